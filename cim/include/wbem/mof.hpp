#pragma once
// The MOF compiler (WMI: mofcomp): compiles Managed Object Format text — qualifier, class and
// instance declarations and the mofcomp pragmas — into namespaces of the object model.
//
// A file (with the files it includes) is one unit: it is parsed and checked against staging
// copies of its target namespaces, and applied to the real ones only when it has no error at all.
// Diagnostics carry `file:line:column` (1-based; a column counts bytes of the UTF-8 text, a tab is
// one column) and a WMI status code. Status codes used:
//   WBEM_E_INVALID_SYNTAX        malformed text, unknown pragma, bad escape or number
//   WBEM_E_VALUE_OUT_OF_RANGE    a number that does not fit the declared type or 64 bits
//   WBEM_E_TYPE_MISMATCH         a value of the wrong kind for its property, parameter or qualifier
//   WBEM_E_INVALID_CLASS         `instance of` an unknown class
//   WBEM_E_INVALID_SUPERCLASS    a class derived from an unknown class
//   WBEM_E_INVALID_PROPERTY      an instance sets a property its class lacks, or sets one twice;
//                                a class declares one property twice
//   WBEM_E_INVALID_PROPERTY_TYPE an unknown type keyword, `ref` on a non-class type, `void` data
//   WBEM_E_ILLEGAL_NULL          an instance without a value for a key property
//   WBEM_E_NOT_FOUND             an undefined alias, a missing include file, deleteclass(FAIL)
//   WBEM_E_ALREADY_EXISTS        an alias defined twice
//   WBEM_E_CIRCULAR_REFERENCE    an include cycle, or instances whose aliases refer to each other
//                                through their keys
//   WBEM_E_INVALID_NAMESPACE     a #pragma namespace the resolver does not know, or a remote server
//   WBEM_E_INVALID_FLAVOR        an unknown flavor
//   WBEM_E_ACCESS_DENIED         a #pragma include when MofOptions::allowIncludes is off
//   WBEM_E_INVALID_PARAMETER     an unknown or contradictory #pragma classflags/instanceflags flag
//   WBEM_E_INVALID_QUALIFIER     a qualifier given twice in one list
//   WBEM_E_INVALID_QUALIFIER_TYPE an alias or embedded instance as a qualifier value
//   WBEM_E_INVALID_METHOD, WBEM_E_INVALID_DUPLICATE_PARAMETER and the other method codes: the
//                                method rules of "Creating a WMI Method" (array return type, ...)
// and any status the object model raises for a class or instance (reported at its declaration).
//
// Language notes (where DSP0221, mofcomp and the object model leave a choice):
// - Values are typed by the property, parameter or qualifier declaration they are put into;
//   integers may go into any integer or real type whose range holds them. A qualifier whose name
//   has a `Qualifier` declaration earlier in the unit takes the declared type (DSP0221: `Qualifier
//   Max : uint32;` makes `Max(5)` a uint32); without one, its value is typed by its literal
//   (integers sint32, or sint64/uint64 when needed; reals real64; strings string; a NULL has no
//   type). Declarations also give the default flavor of their qualifier. Both hold for the rest of
//   the unit (the object model stores no declarations), or, with
//   MofOptions::qualifierDeclarationsPerObject, up to the end of the next class or instance.
// - A parameter with neither In nor Out is an in-parameter (DSP0221), made explicit with [In];
//   In(FALSE)/Out(FALSE) are dropped (the signature a parameter is in says it).
// - `Type Name` with a class name as Type is an embedded object of that class, which must exist
//   (so a misspelt type keyword is an error); `Class ref Name` may name a class that does not.
// - An alias may be used before its definition in the same unit, anywhere but inside an
//   embedded instance value (there it must be defined first).
// - #pragma include, namespace, classflags, instanceflags, deleteclass, deleteinstance are
//   honoured; autorecover, locale and amendment are accepted without effect; others are errors.
//
// wbem extensions (what ClassObject::getObjectText writes for values MOF has no literal for):
// - `NaN` and `Inf`, in any case and `Inf` with a sign (`-Inf`), are the non-finite real values,
//   accepted wherever a real number is (real32 and real64 values, and qualifier values, which
//   they make real64 unless a declaration says otherwise). An identifier spelled so is still an
//   identifier everywhere else.
// - A char16 literal may hold a lone UTF-16 surrogate as an escape ('\xD800'): a char16 is one
//   UTF-16 code unit. Strings are UTF-8, and a surrogate escape in one is still an error.

#include <wbem/namespace.hpp>
#include <wbem/status.hpp>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace wbem {

/// One error found while compiling MOF.
struct MofDiagnostic {
  TextPosition position;
  Status status = WBEM_E_FAILED;
  std::string message;

  /// "file:line:column: message (WBEM_E_NAME 0x8004xxxx)"; "file: message (...)" for an error
  /// about a whole file (line 0), such as one that cannot be read. Thread-safe.
  std::string toString() const;
};

/// Maps a normalised namespace name ("root\\default") to the namespace to compile into, or nullptr
/// when there is no such namespace (reported as WBEM_E_INVALID_NAMESPACE). Called from the thread
/// that runs the compiler; the namespace must outlive the compile call.
using NamespaceResolver = std::function<Namespace*(const std::string& name)>;

struct MofOptions {
  /// Namespace used until a `#pragma namespace` (mofcomp's default, or its -N switch).
  std::string defaultNamespace = "root\\default";
  /// Parse and check everything, but apply nothing (mofcomp -check).
  bool checkOnly = false;
  /// Stop reporting after this many errors.
  std::size_t maxErrors = 100;
  /// Whether `#pragma include` may read files. Turn it off for text from an untrusted source:
  /// an include is then an error (WBEM_E_ACCESS_DENIED).
  bool allowIncludes = true;
  /// wbem extension: `Qualifier` declarations hold only up to the end of the next class or
  /// instance declaration, instead of for the rest of the unit. For text made of many objects'
  /// getObjectText, each with the declarations its own qualifiers need (the repository's).
  bool qualifierDeclarationsPerObject = false;
};

/// What one compile did (or, with checkOnly or after an error, would have done).
struct MofResult {
  std::vector<MofDiagnostic> diagnostics;  ///< in the order found; the first is the first error in text order
  std::size_t classes = 0;                 ///< class declarations stored
  std::size_t instances = 0;               ///< instances stored (embedded instances not counted)
  std::size_t deletedClasses = 0;          ///< #pragma deleteclass that deleted a class
  std::size_t deletedInstances = 0;        ///< #pragma deleteinstance that deleted an instance
  std::size_t qualifierDeclarations = 0;   ///< `Qualifier` declarations read (they set default flavors)
  std::size_t files = 0;                   ///< the file and every file it included
  std::size_t lines = 0;                   ///< lines of all those files
  std::vector<std::string> namespaces;     ///< namespaces the unit touched, in first-use order
  bool applied = false;                    ///< true when the changes were applied to the namespaces

  /// True when there is no diagnostic.
  bool ok() const noexcept { return diagnostics.empty(); }
  /// One line: "3 classes, 5 instances, ... in root\\default (120 lines)". Thread-safe.
  std::string summary() const;
};

/// The MOF compiler. Each compile call is one atomic unit (see the file comment): the classes and
/// instances of each namespace it uses are copied into a staging namespace first, a cost that
/// grows with the size of those namespaces.
/// Safety: a compiler holds no state between calls; one instance may serve one thread at a time.
/// Compiling into namespaces that others use concurrently is safe (Namespace is thread-safe), but
/// the unit is checked against a snapshot taken when each namespace is first used.
class MofCompiler {
 public:
  /// A compiler that finds its target namespaces with `resolver`.
  explicit MofCompiler(NamespaceResolver resolver, MofOptions options = {});

  /// Compiles one file (UTF-8, or UTF-16 with a byte order mark) and the files it includes.
  /// Never throws for bad input or an unreadable file: problems come back as diagnostics.
  MofResult compileFile(const std::filesystem::path& path) const;
  /// Compiles MOF text held in memory (UTF-8). `sourceName` names it in diagnostics, and includes
  /// are resolved relative to its directory (the current directory when it has none).
  MofResult compileText(std::string_view text, std::string sourceName) const;

 private:
  NamespaceResolver resolver_;
  MofOptions options_;
};

/// `wbemctl mof [--check] FILE...`: compiles each file in turn (each one atomic) into in-memory
/// namespaces that start with the system classes only, so later files see the classes of earlier
/// ones. Prints one summary line per file to `out` (with --check: "FILE: OK" and what it holds)
/// and every diagnostic to `err` in the format of MofDiagnostic::toString(). Returns the exit
/// code: 0 when every file compiled, 1 otherwise. Thread-safe (no shared state).
int runMofCommand(const std::vector<std::string>& files, bool checkOnly, std::ostream& out, std::ostream& err);

}  // namespace wbem
