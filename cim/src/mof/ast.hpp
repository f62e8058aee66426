#pragma once
// Syntax tree of one MOF file: the productions in text order, each with its positions.
// Names keep the case they were written in; the compiler compares them case-insensitively.

#include <wbem/status.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "lexer.hpp"

namespace wbem::mof {

struct InstanceDecl;

/// A value as written: the compiler types it against the property or qualifier it is put into.
struct Literal {
  enum class Kind { Null, Integer, Real, String, Char16, Boolean, Array, Alias, Instance };
  Kind kind = Kind::Null;
  Loc loc;
  bool negative = false;        ///< Integer: a leading minus
  std::uint64_t magnitude = 0;  ///< Integer: absolute value
  double real = 0;
  bool boolean = false;
  char16_t char16 = 0;
  std::string text;                        ///< String value, or Alias name
  std::vector<Literal> elements;           ///< Array
  std::shared_ptr<InstanceDecl> instance;  ///< Instance (an embedded `instance of`)
};

/// A name with the place it was written.
struct Name {
  std::string text;
  Loc loc;
};

/// One qualifier in a `[...]` list: `Name`, `Name(value)` or `Name{...}`, then `: Flavor ...`.
struct QualifierUse {
  Name name;
  std::optional<Literal> value;
  std::vector<Name> flavors;
};

/// A declared type: a CIM type keyword, `object`, or a class name (embedded object of that class,
/// or with `isRef` a reference to it).
struct TypeRef {
  Name name;
  bool isRef = false;
};

/// A property of a class, or a parameter of a method (same shape in MOF).
struct PropertyDecl {
  std::vector<QualifierUse> qualifiers;
  TypeRef type;
  Name name;
  bool array = false;
  std::optional<std::uint32_t> arraySize;
  std::optional<Literal> defaultValue;
};

struct MethodDecl {
  std::vector<QualifierUse> qualifiers;
  TypeRef returnType;        ///< name "void" for none
  bool returnArray = false;  ///< `Type[] Method(...)`: not allowed, reported by the compiler
  Name name;
  std::vector<PropertyDecl> parameters;
};

struct ClassDecl {
  std::vector<QualifierUse> qualifiers;
  Loc loc;  ///< the `class` keyword
  Name name;
  std::optional<Name> superclass;
  std::optional<Name> alias;
  std::vector<PropertyDecl> properties;
  std::vector<MethodDecl> methods;
};

/// `Prop = value;` inside an instance.
struct PropertyAssignment {
  std::vector<QualifierUse> qualifiers;
  Name name;
  Literal value;
};

struct InstanceDecl {
  std::vector<QualifierUse> qualifiers;
  Loc loc;  ///< the `instance` keyword
  Name className;
  std::optional<Name> alias;
  std::vector<PropertyAssignment> values;
};

/// `Qualifier Name : Type [= default], Scope(...), Flavor(...);`
struct QualifierDecl {
  Loc loc;
  Name name;
  TypeRef type;
  bool array = false;
  std::optional<std::uint32_t> arraySize;
  std::optional<Literal> defaultValue;
  std::vector<Name> scopes;
  std::vector<Name> flavors;
};

/// One argument of a pragma: a string, a bare word (FAIL, NOFAIL) or a number.
struct PragmaArg {
  enum class Kind { String, Word, Number };
  Kind kind = Kind::String;
  Loc loc;
  std::string text;
  std::uint64_t number = 0;
};

struct PragmaDecl {
  Loc loc;  ///< the `#`
  Name name;
  std::vector<PragmaArg> args;
};

/// A production that failed to parse. `declaredName`/`declaredAlias` are the class name and alias
/// it declared, when the parser got that far, so that later uses of them are not reported again.
struct SyntaxError {
  Loc loc;
  Status status = WBEM_E_INVALID_SYNTAX;
  std::string message;
  std::string declaredName;
  std::string declaredAlias;
  bool declaresClass = false;
};

using Production = std::variant<PragmaDecl, QualifierDecl, ClassDecl, InstanceDecl, SyntaxError>;

/// Everything parsed from one text.
struct ParsedFile {
  std::vector<Production> productions;
  std::uint32_t lines = 0;
};

class Parser;

/// Parses MOF text one production at a time, so that a compiler can drop each one once it is
/// handled. Never throws for bad input: a broken production comes back as one or more
/// SyntaxErrors, and parsing resumes after the next `;` outside braces (or, inside a class or
/// instance body, after the broken member). Safety: one instance per thread; the text must
/// outlive the parser.
class MofParser {
 public:
  explicit MofParser(std::string_view text);
  ~MofParser();
  MofParser(const MofParser&) = delete;
  MofParser& operator=(const MofParser&) = delete;

  /// The next production, or nullopt at the end of the text.
  std::optional<Production> next();
  /// Lines read so far (all of them once next() returned nullopt).
  std::uint32_t lines() const noexcept;

 private:
  std::unique_ptr<Parser> parser_;
  std::deque<Production> queue_;
};

/// Parses a whole MOF text with MofParser, keeping every production (for tests and tools that
/// want the whole tree). Never throws for bad input. Thread-safe (no shared state).
ParsedFile parseMof(std::string_view text);

}  // namespace wbem::mof
