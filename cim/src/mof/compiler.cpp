// The MOF compiler's semantic pass: walks the syntax tree of a unit (a file and its includes),
// builds classes, methods and instances through the object model against staging namespaces,
// and applies the recorded changes to the real namespaces only when the unit has no error.

#include <wbem/mof.hpp>
#include <wbem/names.hpp>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <deque>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>

#include "ast.hpp"

namespace wbem {
namespace {

namespace fs = std::filesystem;
using namespace mof;

/// Deepest `#pragma include` chain: deeper is refused (it can only be a runaway generator).
constexpr int kMaxIncludeDepth = 32;

/// The smallest magnitude that rounds to infinity as a real32: FLT_MAX plus half its last place.
constexpr double kReal32Limit = static_cast<double>(FLT_MAX) + 0x1p103;

/// A semantic error found by a helper, reported at `loc` by the construct that catches it.
struct Failure {
  Loc loc;
  Status status;
  std::string message;
};
/// Thrown once the errors of a construct are already reported (nothing more to say).
struct Reported {};

struct SourceFile {
  std::string name;    // as shown in diagnostics
  fs::path directory;  // includes are relative to it
};

std::string inQuotes(std::string_view name) { return "'" + std::string(name) + "'"; }

// --- source text ---------------------------------------------------------------------------------

/// The file's bytes as UTF-8: a UTF-16 file (with a byte order mark, as mofcomp writes them) is
/// converted; a UTF-8 mark is left to the lexer.
std::string decodeSource(std::string bytes) {
  if (bytes.size() < 2) return bytes;
  const auto b0 = static_cast<unsigned char>(bytes[0]), b1 = static_cast<unsigned char>(bytes[1]);
  const bool le = b0 == 0xFF && b1 == 0xFE, be = b0 == 0xFE && b1 == 0xFF;
  if (!le && !be) return bytes;
  std::string out;
  out.reserve(bytes.size() / 2);
  auto unit = [&](std::size_t i) -> char32_t {
    const auto lo = static_cast<unsigned char>(bytes[i + (le ? 0 : 1)]);
    const auto hi = static_cast<unsigned char>(bytes[i + (le ? 1 : 0)]);
    return static_cast<char32_t>(hi << 8 | lo);
  };
  for (std::size_t i = 2; i + 1 < bytes.size(); i += 2) {
    char32_t cp = unit(i);
    if (cp >= 0xD800 && cp <= 0xDBFF && i + 3 < bytes.size() && unit(i + 2) >= 0xDC00 && unit(i + 2) <= 0xDFFF) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (unit(i + 2) - 0xDC00);
      i += 2;
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
      cp = 0xFFFD;  // a lone surrogate: keep the position, the lexer reports what it finds
    }
    appendUtf8(out, cp);
  }
  return out;
}

/// The single UTF-16 code unit a UTF-8 string holds, if it holds exactly one.
std::optional<char16_t> singleChar16(const std::string& s) {
  if (s.empty()) return std::nullopt;
  const auto lead = static_cast<unsigned char>(s[0]);
  const std::size_t len = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : 0;
  if (len == 0 || s.size() != len) return std::nullopt;
  char32_t cp = len == 1 ? lead : lead & (0x3F >> (len - 1));
  for (std::size_t i = 1; i < len; ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (static_cast<unsigned char>(s[i]) & 0x3F);
  }
  if (cp >= 0xD800 && cp <= 0xDFFF) return std::nullopt;
  return static_cast<char16_t>(cp);
}

// --- types and literals --------------------------------------------------------------------------

std::optional<CimType> builtinType(std::string_view name) {
  static const std::pair<std::string_view, CimType> kTypes[] = {
      {"sint8", CimType::SInt8},       {"uint8", CimType::UInt8},     {"sint16", CimType::SInt16},
      {"uint16", CimType::UInt16},     {"sint32", CimType::SInt32},   {"uint32", CimType::UInt32},
      {"sint64", CimType::SInt64},     {"uint64", CimType::UInt64},   {"real32", CimType::Real32},
      {"real64", CimType::Real64},     {"boolean", CimType::Boolean}, {"string", CimType::String},
      {"datetime", CimType::DateTime}, {"char16", CimType::Char16},   {"object", CimType::Object}};
  for (const auto& [n, t] : kTypes)
    if (iequals(n, name)) return t;
  return std::nullopt;
}

std::string typeText(const PropertyType& t) {
  std::string s = t.className.empty() ? std::string(cimTypeName(t.type)) : t.className;
  if (t.type == CimType::Reference) s += " ref";
  if (t.array) s += "[]";
  return s;
}

const char* literalKindText(const Literal& l) {
  switch (l.kind) {
    case Literal::Kind::Null:
      return "NULL";
    case Literal::Kind::Integer:
      return "an integer";
    case Literal::Kind::Real:
      return "a real number";
    case Literal::Kind::String:
      return "a string";
    case Literal::Kind::Char16:
      return "a char16 literal";
    case Literal::Kind::Boolean:
      return "a boolean";
    case Literal::Kind::Array:
      return "an array";
    case Literal::Kind::Alias:
      return "an alias";
    case Literal::Kind::Instance:
      return "an embedded instance";
  }
  return "a value";
}

[[noreturn]] void mismatch(const Literal& l, const PropertyType& t, std::string_view what) {
  throw Failure{
      l.loc, WBEM_E_TYPE_MISMATCH,
      std::string(literalKindText(l)) + " cannot be assigned to " + std::string(what) + " of type " + typeText(t)};
}

/// The integer literal as a signed value within [lo, hi], or nullopt.
std::optional<std::int64_t> signedIn(const Literal& l, std::int64_t lo, std::int64_t hi) {
  if (l.negative) {
    const std::uint64_t limit = static_cast<std::uint64_t>(-(lo + 1)) + 1;
    if (l.magnitude > limit) return std::nullopt;
    return l.magnitude == limit ? lo : -static_cast<std::int64_t>(l.magnitude);
  }
  if (l.magnitude > static_cast<std::uint64_t>(hi)) return std::nullopt;
  return static_cast<std::int64_t>(l.magnitude);
}

std::string integerText(const Literal& l) { return (l.negative ? "-" : "") + std::to_string(l.magnitude); }

Value integerValue(const Literal& l, CimType t, const PropertyType& full, std::string_view what) {
  auto range = [&]() -> Failure {
    return Failure{l.loc, WBEM_E_VALUE_OUT_OF_RANGE,
                   integerText(l) + " is out of range for " + std::string(what) + " of type " + typeText(full)};
  };
  auto sgn = [&](std::int64_t lo, std::int64_t hi) {
    const auto v = signedIn(l, lo, hi);
    if (!v) throw range();
    return *v;
  };
  auto uns = [&](std::uint64_t hi) {
    if (l.negative || l.magnitude > hi) throw range();
    return l.magnitude;
  };
  switch (t) {
    case CimType::SInt8:
      return Value(static_cast<std::int8_t>(sgn(INT8_MIN, INT8_MAX)));
    case CimType::SInt16:
      return Value(static_cast<std::int16_t>(sgn(INT16_MIN, INT16_MAX)));
    case CimType::SInt32:
      return Value(static_cast<std::int32_t>(sgn(INT32_MIN, INT32_MAX)));
    case CimType::SInt64:
      return Value(static_cast<long long>(sgn(INT64_MIN, INT64_MAX)));
    case CimType::UInt8:
      return Value(static_cast<std::uint8_t>(uns(UINT8_MAX)));
    case CimType::UInt16:
      return Value(static_cast<std::uint16_t>(uns(UINT16_MAX)));
    case CimType::UInt32:
      return Value(static_cast<std::uint32_t>(uns(UINT32_MAX)));
    case CimType::UInt64:
      return Value(static_cast<unsigned long long>(uns(UINT64_MAX)));
    case CimType::Real32: {
      const double d = l.negative ? -static_cast<double>(l.magnitude) : static_cast<double>(l.magnitude);
      return Value::real32(static_cast<float>(d));
    }
    case CimType::Real64:
      return Value(l.negative ? -static_cast<double>(l.magnitude) : static_cast<double>(l.magnitude));
    default:
      mismatch(l, full, what);
  }
}

// --- the unit ------------------------------------------------------------------------------------

/// What a `Qualifier` declaration of the unit says: the type of its values, its default flavor.
struct QualifierType {
  PropertyType type;
  std::int32_t flavor = kMofDefaultFlavor;
};

/// The qualifier declarations in force, by name. Shared, never changed once made: a declaration
/// makes a new map, so an instance that waits for an alias keeps the ones in force where it stands.
using QualifierTypes = std::unordered_map<std::string, QualifierType, NameHash, NameEqual>;

/// One change to apply once the unit is known to be free of errors.
struct Operation {
  enum class Kind { PutClass, PutInstance, DeleteClass, DeleteInstance };
  Kind kind;
  std::string ns;
  ObjectPtr object;
  std::string name;  // class name or instance path
  std::int32_t flags = 0;
  std::shared_ptr<const SourceFile> file;
  Loc loc;
};

struct AliasTarget {
  std::string ns;
  std::string path;  // relative path of the instance or class
};

/// An instance declared before an alias it refers to: put once all its aliases are defined.
struct PendingInstance {
  std::shared_ptr<const SourceFile> file;
  const InstanceDecl* decl;
  std::string ns;
  std::int32_t flags;
  std::shared_ptr<const QualifierTypes> qualifierTypes;  // the declarations in force at its place
  std::size_t missing;                                   // aliases it still waits for
  bool done;                                             // put, or dropped because an alias it needs failed
};

class Unit {
 public:
  Unit(const NamespaceResolver& resolver, const MofOptions& options)
      : resolver_(resolver), options_(options), currentNs_(normalizeNamespace(options.defaultNamespace)) {}

  void compileText(std::string_view text, std::shared_ptr<const SourceFile> file) {
    // Each production is dropped once handled (an instance that waits for an alias is kept), so
    // the syntax tree of a big file never exists at once.
    MofParser parser(text);
    ++result_.files;
    while (!stopped()) {
      std::optional<Production> p = parser.next();
      if (!p) break;
      std::visit([&](auto& node) { handle(node, file); }, *p);
      // With qualifierDeclarationsPerObject, the declarations before a class or instance are its own.
      if (options_.qualifierDeclarationsPerObject && !std::holds_alternative<QualifierDecl>(*p) &&
          !std::holds_alternative<PragmaDecl>(*p))
        qualifierTypes_ = std::make_shared<const QualifierTypes>();
    }
    result_.lines += parser.lines();
  }

  /// Reads, decodes and compiles `path`; `from` is the place of the #pragma include, if any.
  void compileFile(const fs::path& path, std::string displayName, const SourceFile* from, Loc fromLoc) {
    auto failAt = [&](Status status, std::string message) {
      if (from)
        report(*from, fromLoc, status, std::move(message));
      else
        report(SourceFile{displayName, {}}, Loc{0, 0}, status, std::move(message));
    };
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      failAt(WBEM_E_NOT_FOUND, "cannot open " + inQuotes(displayName) +
                                   (fs::exists(path, ec) ? ": not a regular file" : ": no such file"));
      return;
    }
    const fs::path canonical = fs::weakly_canonical(path, ec);
    if (std::find(includeStack_.begin(), includeStack_.end(), canonical) != includeStack_.end()) {
      failAt(WBEM_E_CIRCULAR_REFERENCE, "include cycle: " + inQuotes(displayName) + " is already being compiled");
      return;
    }
    if (includeStack_.size() >= kMaxIncludeDepth) {
      failAt(WBEM_E_CIRCULAR_REFERENCE, "includes nested more than " + std::to_string(kMaxIncludeDepth) + " deep");
      return;
    }
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) {
      failAt(WBEM_E_NOT_FOUND, "cannot read " + inQuotes(displayName));
      return;
    }
    includeStack_.push_back(canonical);
    compileText(decodeSource(std::move(bytes)),
                std::make_shared<const SourceFile>(SourceFile{std::move(displayName), path.parent_path()}));
    includeStack_.pop_back();
  }

  MofResult finish() {
    resolvePending();
    if (errors_ == 0 && !options_.checkOnly) apply();
    return std::move(result_);
  }

 private:
  bool stopped() const { return result_.diagnostics.size() >= options_.maxErrors; }

  void report(const SourceFile& file, Loc loc, Status status, std::string message) {
    ++errors_;
    if (stopped()) return;
    result_.diagnostics.push_back(
        MofDiagnostic{TextPosition{file.name, loc.line, loc.column}, status, std::move(message)});
  }

  /// Runs `body`, turning whatever it throws into a diagnostic at `loc`. Returns false on error.
  template <typename F>
  bool guarded(const SourceFile& file, Loc loc, F&& body) {
    try {
      body();
      return true;
    } catch (const Failure& f) {
      report(file, f.loc, f.status, f.message);
    } catch (const Reported&) {
    } catch (const Error& e) {
      report(file, loc, e.status(), e.message());
    } catch (const std::exception& e) {
      report(file, loc, WBEM_E_FAILED, e.what());
    }
    return false;
  }

  // --- namespaces ----------------------------------------------------------------------------
  struct Target {
    Namespace* real = nullptr;
    std::unique_ptr<Namespace> stage;
  };

  /// The staging copy of namespace `name`, made on first use from the real one.
  Namespace& stage(const std::string& name, Loc loc) {
    if (auto it = targets_.find(name); it != targets_.end()) return *it->second.stage;
    Namespace* real = nullptr;
    try {
      real = resolver_ ? resolver_(name) : nullptr;
    } catch (const std::exception& e) {
      throw Failure{loc, WBEM_E_INVALID_NAMESPACE, "namespace " + inQuotes(name) + ": " + e.what()};
    }
    if (!real) throw Failure{loc, WBEM_E_INVALID_NAMESPACE, "unknown namespace " + inQuotes(name)};
    auto copy = std::make_unique<Namespace>(real->name());
    std::vector<ObjectPtr> classes = real->enumClasses();
    std::stable_sort(classes.begin(), classes.end(), [](const ObjectPtr& a, const ObjectPtr& b) {
      return a->definition().derivation().size() < b->definition().derivation().size();
    });
    for (const ObjectPtr& c : classes)
      if (!c->className().starts_with("__")) copy->putClass(*c);
    for (const ObjectPtr& c : classes)
      for (const ObjectPtr& i : real->enumInstances(c->className(), false)) copy->putInstance(*i);
    result_.namespaces.push_back(real->name());
    Namespace& out = *copy;
    targets_.emplace(name, Target{real, std::move(copy)});
    return out;
  }

  /// The namespace a #pragma namespace names, relative to the current one unless it starts with
  /// `\\server\`, `\` or the `root` component.
  std::string namespacePath(const PragmaArg& arg) const {
    std::string s = arg.text;
    std::replace(s.begin(), s.end(), '/', '\\');
    bool absolute = false;
    if (s.starts_with("\\\\")) {
      const std::size_t end = s.find('\\', 2);
      const std::string server = s.substr(2, end == std::string::npos ? std::string::npos : end - 2);
      if (server != "." && !iequals(server, "localhost"))
        throw Failure{arg.loc, WBEM_E_INVALID_NAMESPACE, "namespace on another server " + inQuotes(server)};
      s = end == std::string::npos ? std::string() : s.substr(end);
      absolute = true;
    } else if (s.starts_with("\\")) {
      absolute = true;
    }
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= s.size()) {
      const std::size_t end = std::min(s.find('\\', start), s.size());
      if (end > start) parts.push_back(s.substr(start, end - start));
      start = end + 1;
    }
    if (!parts.empty() && iequals(parts.front(), "root")) absolute = true;
    std::vector<std::string> out;
    if (!absolute) {
      const std::string cur = currentNs_;
      for (std::size_t b = 0; b <= cur.size();) {
        const std::size_t e = std::min(cur.find('\\', b), cur.size());
        if (e > b) out.push_back(cur.substr(b, e - b));
        b = e + 1;
      }
    }
    for (const std::string& p : parts) {
      if (p == ".") continue;
      if (p == "..") {
        if (out.empty()) throw Failure{arg.loc, WBEM_E_INVALID_NAMESPACE, "namespace path goes above the root"};
        out.pop_back();
        continue;
      }
      out.push_back(p);
    }
    if (out.empty()) throw Failure{arg.loc, WBEM_E_INVALID_NAMESPACE, "empty namespace name"};
    std::string joined;
    for (const std::string& p : out) joined += (joined.empty() ? "" : "\\") + p;
    return normalizeNamespace(joined);
  }

  // --- values --------------------------------------------------------------------------------
  PropertyType resolveType(const TypeRef& t, bool array, std::optional<std::uint32_t> size, Namespace& ns,
                           std::string_view declaringClass) {
    PropertyType out;
    out.array = array;
    out.arraySize = size;
    const std::optional<CimType> builtin = builtinType(t.name.text);
    if (t.isRef) {
      if (builtin && *builtin != CimType::Object)
        throw Failure{t.name.loc, WBEM_E_INVALID_PROPERTY_TYPE,
                      "'ref' needs a class name or 'object', not " + inQuotes(t.name.text)};
      out.type = CimType::Reference;
      if (!builtin) out.className = t.name.text;
      return out;
    }
    if (builtin) {
      out.type = *builtin;
      return out;
    }
    if (iequals(t.name.text, "void"))
      throw Failure{t.name.loc, WBEM_E_INVALID_PROPERTY_TYPE, "'void' is only a method return type"};
    // A class name is a schema object (an embedded instance of that class). Unlike references,
    // its class must exist: otherwise a misspelt type keyword would silently become an object.
    if (!iequals(t.name.text, declaringClass) && !ns.findClass(t.name.text))
      throw Failure{t.name.loc, WBEM_E_INVALID_PROPERTY_TYPE, "unknown type or class " + inQuotes(t.name.text)};
    out.type = CimType::Object;
    out.className = t.name.text;
    return out;
  }

  /// `l` as a value of type `t` (for `what`, named in messages), built in namespace `ns`.
  Value toValue(const Literal& l, const PropertyType& t, const std::string& ns, const SourceFile& file,
                std::string_view what) {
    if (l.kind == Literal::Kind::Null) return Value::null(t.type, t.array);
    if (t.array) {
      if (l.kind != Literal::Kind::Array)
        throw Failure{l.loc, WBEM_E_TYPE_MISMATCH,
                      std::string(literalKindText(l)) + " cannot be assigned to array " + std::string(what) +
                          "; write {value, ...}"};
      if (t.arraySize && l.elements.size() > *t.arraySize)
        throw Failure{l.loc, WBEM_E_VALUE_OUT_OF_RANGE,
                      std::to_string(l.elements.size()) + " elements are more than the " +
                          std::to_string(*t.arraySize) + " declared for " + std::string(what)};
      ValueArray items;
      items.reserve(l.elements.size());
      for (const Literal& e : l.elements) items.push_back(scalarValue(e, t, ns, file, what));
      return Value(t.type, std::move(items));
    }
    if (l.kind == Literal::Kind::Array) mismatch(l, t, what);
    return scalarValue(l, t, ns, file, what);
  }

  Value scalarValue(const Literal& l, const PropertyType& full, const std::string& ns, const SourceFile& file,
                    std::string_view what) {
    const CimType t = full.type;
    switch (l.kind) {
      case Literal::Kind::Null:
        return Value::null(t);
      case Literal::Kind::Integer:
        if (isInteger(t) || isReal(t)) return integerValue(l, t, full, what);
        break;
      case Literal::Kind::Real:
        if (t == CimType::Real64) return Value(l.real);
        if (t == CimType::Real32) {
          // Finite values that round to FLT_MAX still fit (the shortest text of FLT_MAX, 3.4028235e+38,
          // is a little above it); NaN and Inf are real32 values too.
          if (std::isfinite(l.real) && std::abs(l.real) >= kReal32Limit)
            throw Failure{l.loc, WBEM_E_VALUE_OUT_OF_RANGE, "real number out of range for real32"};
          return Value::real32(static_cast<float>(l.real));
        }
        break;
      case Literal::Kind::String:
        switch (t) {
          case CimType::String:
            return Value(l.text);
          case CimType::DateTime:
            try {
              return Value(DateTime::parse(l.text));
            } catch (const Error& e) {
              throw Failure{l.loc, WBEM_E_TYPE_MISMATCH, inQuotes(l.text) + " is not a CIM datetime: " + e.message()};
            }
          case CimType::Reference:
            try {
              return Value::reference(l.text);
            } catch (const Error& e) {
              throw Failure{l.loc, e.status(), inQuotes(l.text) + " is not an object path: " + e.message()};
            }
          case CimType::Char16:
            if (const auto c = singleChar16(l.text)) return Value(*c);
            throw Failure{l.loc, WBEM_E_TYPE_MISMATCH, "a char16 value must be exactly one character"};
          default:
            break;
        }
        break;
      case Literal::Kind::Char16:
        if (t == CimType::Char16) return Value(l.char16);
        break;
      case Literal::Kind::Boolean:
        if (t == CimType::Boolean) return Value(l.boolean);
        break;
      case Literal::Kind::Alias:
        if (t == CimType::Reference) {
          const auto it = aliases_.find(l.text);
          if (it == aliases_.end()) {
            if (poisonedAliases_.contains(l.text)) throw Reported{};
            throw Failure{l.loc, WBEM_E_NOT_FOUND, "alias $" + l.text + " is not defined"};
          }
          const AliasTarget& a = it->second;
          return Value::reference(iequals(a.ns, ns) ? a.path : a.ns + ":" + a.path);
        }
        break;
      case Literal::Kind::Instance:
        if (t == CimType::Object) {
          ClassObject obj = buildInstance(*l.instance, ns, file);
          if (!full.className.empty() && !obj.definition().inheritsFrom(full.className))
            throw Failure{l.loc, WBEM_E_TYPE_MISMATCH,
                          "an instance of " + inQuotes(obj.className()) + " is not an instance of " +
                              inQuotes(full.className) + " for " + std::string(what)};
          return Value(share(std::move(obj)));
        }
        break;
      case Literal::Kind::Array:
        break;
    }
    mismatch(l, full, what);
  }

  /// A qualifier value: of the type a Qualifier declaration of the unit gives it, or else typed by
  /// its literal (integers sint32, or sint64/uint64 when needed; reals real64; strings string).
  /// getObjectText writes the declarations a value needs to keep its type.
  Value qualifierValue(const QualifierUse& q, const std::string& ns, const SourceFile& file) {
    if (!q.value) return Value(true);
    if (const auto it = qualifierTypes_->find(q.name.text); it != qualifierTypes_->end())
      return toValue(*q.value, it->second.type, ns, file, "qualifier " + inQuotes(q.name.text));
    const Literal& l = *q.value;
    if (l.kind == Literal::Kind::Alias || l.kind == Literal::Kind::Instance)
      throw Failure{l.loc, WBEM_E_INVALID_QUALIFIER_TYPE,
                    std::string(literalKindText(l)) + " cannot be a qualifier value"};
    PropertyType t;
    t.array = l.kind == Literal::Kind::Array;
    const std::vector<Literal> single{l};
    const std::vector<Literal>& items = t.array ? l.elements : single;
    bool anyInt = false, anyReal = false, anyString = false, anyBool = false, anyChar = false;
    bool needs64 = false, needsUnsigned = false;
    for (const Literal& e : items) {
      switch (e.kind) {
        case Literal::Kind::Integer:
          anyInt = true;
          if (!signedIn(e, INT32_MIN, INT32_MAX)) needs64 = true;
          if (!signedIn(e, INT64_MIN, INT64_MAX)) needsUnsigned = true;
          break;
        case Literal::Kind::Real:
          anyReal = true;
          break;
        case Literal::Kind::String:
          anyString = true;
          break;
        case Literal::Kind::Boolean:
          anyBool = true;
          break;
        case Literal::Kind::Char16:
          anyChar = true;
          break;
        case Literal::Kind::Null:
          break;
        default:
          throw Failure{e.loc, WBEM_E_INVALID_QUALIFIER_TYPE,
                        std::string(literalKindText(e)) + " cannot be a qualifier value"};
      }
    }
    const int kinds = (anyInt || anyReal) + anyString + anyBool + anyChar;
    if (kinds > 1)
      throw Failure{l.loc, WBEM_E_TYPE_MISMATCH, "the values of qualifier " + inQuotes(q.name.text) + " mix types"};
    if (!t.array && l.kind == Literal::Kind::Null) return Value();
    t.type = anyReal   ? CimType::Real64
             : anyInt  ? (needsUnsigned ? CimType::UInt64
                          : needs64     ? CimType::SInt64
                                        : CimType::SInt32)
             : anyBool ? CimType::Boolean
             : anyChar ? CimType::Char16
                       : CimType::String;
    return toValue(l, t, ns, file, "qualifier " + inQuotes(q.name.text));
  }

  /// The flavor of a qualifier: its declared (or MOF default) flavor changed by the listed ones.
  std::int32_t flavorOf(const QualifierUse& q) const {
    std::int32_t f = kMofDefaultFlavor;
    if (const auto it = qualifierTypes_->find(q.name.text); it != qualifierTypes_->end()) f = it->second.flavor;
    for (const Name& n : q.flavors) f = applyFlavor(f, n);
    return f;
  }

  static std::int32_t applyFlavor(std::int32_t f, const Name& n) {
    const std::string& s = n.text;
    if (iequals(s, "EnableOverride")) return f & ~WBEM_FLAVOR_NOT_OVERRIDABLE;
    if (iequals(s, "DisableOverride")) return f | WBEM_FLAVOR_NOT_OVERRIDABLE;
    if (iequals(s, "ToSubclass")) return f | WBEM_FLAVOR_FLAG_PROPAGATE_TO_DERIVED_CLASS;
    if (iequals(s, "Restricted") || iequals(s, "NotToSubclass"))
      return f & ~WBEM_FLAVOR_FLAG_PROPAGATE_TO_DERIVED_CLASS;
    if (iequals(s, "ToInstance")) return f | WBEM_FLAVOR_FLAG_PROPAGATE_TO_INSTANCE;
    if (iequals(s, "NotToInstance")) return f & ~WBEM_FLAVOR_FLAG_PROPAGATE_TO_INSTANCE;
    if (iequals(s, "Amended")) return f | WBEM_FLAVOR_AMENDED;
    // Translatable (DSP0221) has no WMI flavor bit: it is accepted and has no effect.
    if (iequals(s, "Translatable")) return f;
    throw Failure{n.loc, WBEM_E_INVALID_FLAVOR, "unknown flavor " + inQuotes(s)};
  }

  /// Applies each qualifier of `list` with `put(name, value, flavor)`, reporting each failure.
  template <typename Put>
  bool putQualifiers(const std::vector<QualifierUse>& list, const std::string& ns, const SourceFile& file, Put put) {
    bool ok = true;
    std::unordered_set<std::string, NameHash, NameEqual> seen;
    for (const QualifierUse& q : list) {
      ok &= guarded(file, q.name.loc, [&] {
        if (!seen.insert(q.name.text).second)
          throw Failure{q.name.loc, WBEM_E_INVALID_QUALIFIER, "qualifier " + inQuotes(q.name.text) + " is given twice"};
        put(q.name.text, qualifierValue(q, ns, file), flavorOf(q));
      });
    }
    return ok;
  }

  // --- declarations --------------------------------------------------------------------------
  void handle(const SyntaxError& e, const std::shared_ptr<const SourceFile>& file) {
    report(*file, e.loc, e.status, e.message);
    if (e.declaresClass && !e.declaredName.empty()) poisonedClasses_.insert(e.declaredName);
    if (!e.declaredAlias.empty()) poisonAlias(e.declaredAlias);
  }

  void handle(const QualifierDecl& d, const std::shared_ptr<const SourceFile>& file) {
    guarded(*file, d.name.loc, [&] {
      const std::optional<CimType> t = builtinType(d.type.name.text);
      if (!t || *t == CimType::Object)
        throw Failure{d.type.name.loc, WBEM_E_INVALID_QUALIFIER_TYPE,
                      "invalid qualifier type " + inQuotes(d.type.name.text)};
      QualifierType q;
      q.type.type = *t;
      q.type.array = d.array;
      q.type.arraySize = d.arraySize;
      for (const Name& n : d.flavors) q.flavor = applyFlavor(q.flavor, n);
      if (d.defaultValue) toValue(*d.defaultValue, q.type, currentNs_, *file, "qualifier " + inQuotes(d.name.text));
      auto types = std::make_shared<QualifierTypes>(*qualifierTypes_);
      (*types)[d.name.text] = q;
      qualifierTypes_ = std::move(types);
      ++result_.qualifierDeclarations;
    });
  }

  void handle(const PragmaDecl& p, const std::shared_ptr<const SourceFile>& file) {
    guarded(*file, p.name.loc, [&] { pragma(p, file); });
  }

  void pragma(const PragmaDecl& p, const std::shared_ptr<const SourceFile>& file) {
    const std::string& name = p.name.text;
    auto stringArg = [&](std::size_t i) -> const PragmaArg& {
      if (p.args.size() <= i || p.args[i].kind != PragmaArg::Kind::String)
        throw Failure{p.args.size() > i ? p.args[i].loc : p.name.loc, WBEM_E_INVALID_SYNTAX,
                      "#pragma " + name + " needs a string argument"};
      return p.args[i];
    };
    auto failFlag = [&]() {  // FAIL (the default) or NOFAIL
      if (p.args.size() < 2) return true;
      if (p.args.size() > 2 || p.args[1].kind != PragmaArg::Kind::Word ||
          !(iequals(p.args[1].text, "FAIL") || iequals(p.args[1].text, "NOFAIL")))
        throw Failure{p.args[1].loc, WBEM_E_INVALID_SYNTAX, "#pragma " + name + " takes FAIL or NOFAIL"};
      return iequals(p.args[1].text, "FAIL");
    };
    if (iequals(name, "namespace")) {
      const PragmaArg& arg = stringArg(0);
      const std::string ns = namespacePath(arg);
      stage(ns, arg.loc);
      currentNs_ = ns;
    } else if (iequals(name, "include")) {
      const PragmaArg& arg = stringArg(0);
      if (!options_.allowIncludes) throw Failure{arg.loc, WBEM_E_ACCESS_DENIED, "#pragma include is not allowed here"};
      const fs::path target = (file->directory / fs::path(arg.text)).lexically_normal();
      compileFile(target, target.string(), file.get(), arg.loc);
    } else if (iequals(name, "classflags") || iequals(name, "instanceflags")) {
      std::int32_t flags = WBEM_FLAG_CREATE_OR_UPDATE;
      for (const PragmaArg& a : p.args) {
        if (a.kind == PragmaArg::Kind::Number) {
          // WMI's numeric form: CREATE_ONLY/UPDATE_ONLY plus its safe/force update modes (0x20, 0x40).
          if ((a.number & ~std::uint64_t{0x63}) != 0)
            throw Failure{a.loc, WBEM_E_INVALID_PARAMETER, "invalid flags " + std::to_string(a.number)};
          flags |= static_cast<std::int32_t>(a.number & 0x3);
        } else if (iequals(a.text, "createonly")) {
          flags |= WBEM_FLAG_CREATE_ONLY;
        } else if (iequals(a.text, "updateonly")) {
          flags |= WBEM_FLAG_UPDATE_ONLY;
        } else if (!iequals(a.text, "safeupdate") && !iequals(a.text, "forceupdate")) {
          // safeupdate/forceupdate decide how WMI updates classes with children; here an update
          // of such a class is refused either way (Namespace::putClass), so they change nothing.
          throw Failure{a.loc, WBEM_E_INVALID_PARAMETER, "unknown flag " + inQuotes(a.text)};
        }
      }
      if ((flags & WBEM_FLAG_CREATE_ONLY) && (flags & WBEM_FLAG_UPDATE_ONLY))
        throw Failure{p.name.loc, WBEM_E_INVALID_PARAMETER, "createonly and updateonly exclude each other"};
      (iequals(name, "classflags") ? classFlags_ : instanceFlags_) = flags;
    } else if (iequals(name, "deleteclass")) {
      const PragmaArg& arg = stringArg(0);
      const bool mustExist = failFlag();
      Namespace& ns = stage(currentNs_, arg.loc);
      if (!ns.findClass(arg.text)) {
        if (mustExist) throw Failure{arg.loc, WBEM_E_NOT_FOUND, "class " + inQuotes(arg.text) + " does not exist"};
        return;
      }
      ns.deleteClass(arg.text);
      ops_.push_back({Operation::Kind::DeleteClass, currentNs_, nullptr, arg.text, 0, file, arg.loc});
      ++result_.deletedClasses;
    } else if (iequals(name, "deleteinstance")) {
      const PragmaArg& arg = stringArg(0);
      const bool mustExist = failFlag();
      Namespace& ns = stage(currentNs_, arg.loc);
      ObjectPath path;
      try {
        path = ObjectPath::parse(arg.text);
      } catch (const Error& e) {
        throw Failure{arg.loc, e.status(), inQuotes(arg.text) + " is not an object path: " + e.message()};
      }
      try {
        ns.deleteInstance(path);
      } catch (const Error& e) {
        if (mustExist) throw Failure{arg.loc, e.status(), e.message()};
        return;
      }
      ops_.push_back({Operation::Kind::DeleteInstance, currentNs_, nullptr, arg.text, 0, file, arg.loc});
      ++result_.deletedInstances;
    } else if (!iequals(name, "autorecover") && !iequals(name, "locale") && !iequals(name, "amendment")) {
      // autorecover (repository recovery), locale and amendment (localisation) have no meaning
      // for an in-memory compile and are accepted; anything else is refused, as mofcomp does.
      throw Failure{p.name.loc, WBEM_E_INVALID_SYNTAX, "unknown pragma " + inQuotes(name)};
    }
  }

  void handle(const ClassDecl& d, const std::shared_ptr<const SourceFile>& file) {
    const SourceFile& f = *file;
    const std::string ns = currentNs_;
    poisonedClasses_.erase(d.name.text);
    auto poison = [&] {
      poisonedClasses_.insert(d.name.text);
      if (d.alias) poisonAlias(d.alias->text);
    };
    Namespace* stagePtr = nullptr;
    std::optional<ClassObject> cls;
    const bool started = guarded(f, d.name.loc, [&] {
      stagePtr = &stage(ns, d.loc);
      if (d.superclass) {
        if (poisonedClasses_.contains(d.superclass->text)) throw Reported{};
        const ObjectPtr super = stagePtr->findClass(d.superclass->text);
        if (!super)
          throw Failure{d.superclass->loc, WBEM_E_INVALID_SUPERCLASS,
                        "superclass " + inQuotes(d.superclass->text) + " is not defined"};
        cls = super->spawnDerivedClass(d.name.text);
      } else {
        cls = ClassObject::createClass(d.name.text);
      }
    });
    if (!started) return poison();
    Namespace& stageNs = *stagePtr;
    bool ok = putQualifiers(d.qualifiers, ns, f, [&](const std::string& n, const Value& v, std::int32_t fl) {
      cls->putQualifier(n, v, fl);
    });
    std::unordered_set<std::string, NameHash, NameEqual> declared;
    for (const PropertyDecl& p : d.properties) {
      ok &= guarded(f, p.name.loc, [&] {
        if (!declared.insert(p.name.text).second)
          throw Failure{p.name.loc, WBEM_E_INVALID_PROPERTY,
                        "property " + inQuotes(p.name.text) + " is declared twice"};
        PropertyType type = resolveType(p.type, p.array, p.arraySize, stageNs, d.name.text);
        narrowInheritedReference(*cls, p, type, stageNs);
        Value def;
        if (p.defaultValue) def = toValue(*p.defaultValue, type, ns, f, "property " + inQuotes(p.name.text));
        cls->putProperty(p.name.text, type, def);
        if (!putQualifiers(p.qualifiers, ns, f, [&](const std::string& n, const Value& v, std::int32_t fl) {
              cls->putPropertyQualifier(p.name.text, n, v, fl);
            }))
          throw Reported{};
      });
    }
    for (const MethodDecl& m : d.methods) {
      ok &= guarded(f, m.name.loc, [&] {
        if (!declared.insert(m.name.text).second)
          throw Failure{m.name.loc, WBEM_E_INVALID_METHOD, "method " + inQuotes(m.name.text) + " is declared twice"};
        compileMethod(*cls, m, stageNs, ns, f, d.name.text);
      });
    }
    if (!ok) return poison();
    const bool stored = guarded(f, d.name.loc, [&] {
      stageNs.putClass(*cls, classFlags_);
      ops_.push_back({Operation::Kind::PutClass, ns, share(*cls), d.name.text, classFlags_, file, d.name.loc});
      ++result_.classes;
      if (d.alias) defineAlias(*d.alias, AliasTarget{ns, cls->className()});
    });
    if (!stored) poison();
  }

  /// A subclass may narrow an inherited reference to a subclass of its target (CIM_RunningOS does).
  /// The object model keeps one type per property slot, so the inherited constraint is kept; a
  /// class that is known and does not derive from the inherited target is an error.
  static void narrowInheritedReference(const ClassObject& cls, const PropertyDecl& p, PropertyType& type,
                                       const Namespace& stageNs) {
    if (type.type != CimType::Reference || !cls.slotOf(p.name.text)) return;
    const PropertyType inherited = cls.getPropertyType(p.name.text);
    if (inherited.type != CimType::Reference || inherited.array != type.array ||
        iequals(inherited.className, type.className))
      return;
    const ObjectPtr target = stageNs.findClass(type.className);
    if (target && !inherited.className.empty() && !target->definition().inheritsFrom(inherited.className))
      throw Failure{p.type.name.loc, WBEM_E_TYPE_MISMATCH,
                    "reference " + inQuotes(p.name.text) + " is inherited as " + typeText(inherited) + "; " +
                        inQuotes(type.className) + " does not derive from " + inQuotes(inherited.className)};
    type.className = inherited.className;
  }

  void compileMethod(ClassObject& cls, const MethodDecl& m, Namespace& stageNs, const std::string& ns,
                     const SourceFile& f, std::string_view className) {
    if (m.returnArray)
      throw Failure{m.returnType.name.loc, WBEM_E_INVALID_METHOD,
                    "method " + inQuotes(m.name.text) + " cannot return an array"};
    ClassObject in = ClassObject::parametersClass(), out = ClassObject::parametersClass();
    bool hasIn = false, hasOut = false, ok = true;
    std::unordered_set<std::string, NameHash, NameEqual> inNames, outNames;
    const bool isVoid = !m.returnType.isRef && iequals(m.returnType.name.text, "void");
    for (const PropertyDecl& p : m.parameters) {
      ok &= guarded(f, p.name.loc, [&] {
        QualifierSet qs;
        if (!putQualifiers(p.qualifiers, ns, f,
                           [&](const std::string& n, const Value& v, std::int32_t fl) { qs.put(n, v, fl); }))
          throw Reported{};
        bool isIn = qs.isTrue("in"), isOut = qs.isTrue("out");
        // In(FALSE)/Out(FALSE) only say where a parameter is not: the signature it is put in says
        // that already, and the method's MOF text (which merges both signatures) cannot show them.
        for (const char* direction : {"In", "Out"})
          if (qs.find(direction) && !qs.isTrue(direction)) qs.remove(direction);
        if (!isIn && !isOut) {
          // DSP0221: In defaults to TRUE. Made explicit so that the signature says it.
          qs.put("In", Value(true), kMofDefaultFlavor);
          isIn = true;
        }
        const PropertyType type = resolveType(p.type, p.array, p.arraySize, stageNs, className);
        Value def;
        if (p.defaultValue) def = toValue(*p.defaultValue, type, ns, f, "parameter " + inQuotes(p.name.text));
        auto add = [&](ClassObject& sig, std::unordered_set<std::string, NameHash, NameEqual>& names,
                       const char* direction) {
          if (!names.insert(p.name.text).second || (!isVoid && iequals(p.name.text, kReturnValue) && &sig == &out))
            throw Failure{p.name.loc, WBEM_E_INVALID_DUPLICATE_PARAMETER,
                          std::string(direction) + "-parameter " + inQuotes(p.name.text) + " is declared twice"};
          sig.putProperty(p.name.text, type, def);
          for (const Qualifier& q : qs.all()) sig.putPropertyQualifier(p.name.text, q.name, q.value, q.flavor);
        };
        if (isIn) add(in, inNames, "in");
        if (isOut) add(out, outNames, "out");
        hasIn |= isIn;
        hasOut |= isOut;
      });
    }
    if (!ok) throw Reported{};
    if (!isVoid) {
      const PropertyType rt = resolveType(m.returnType, false, std::nullopt, stageNs, className);
      out.putProperty(kReturnValue, rt);
      hasOut = true;
    }
    QualifierSet mq;
    if (!putQualifiers(m.qualifiers, ns, f,
                       [&](const std::string& n, const Value& v, std::int32_t fl) { mq.put(n, v, fl); }))
      throw Reported{};
    try {
      cls.putMethod(m.name.text, hasIn ? &in : nullptr, hasOut ? &out : nullptr, mq);
    } catch (const Error& e) {
      throw Failure{m.name.loc, e.status(), e.message()};  // the object model names the method
    }
  }

  void defineAlias(const Name& alias, AliasTarget target) {
    if (!aliases_.emplace(alias.text, std::move(target)).second)
      throw Failure{alias.loc, WBEM_E_ALREADY_EXISTS, "alias $" + alias.text + " is already defined"};
    const auto w = waiters_.find(alias.text);
    if (w == waiters_.end()) return;
    for (std::size_t i : w->second)
      if (--pending_[i].missing == 0) ready_.push_back(i);
    waiters_.erase(w);
  }

  /// Marks an alias whose declaration failed, and with it every waiting instance that needs it:
  /// their failures would only repeat the first error.
  void poisonAlias(const std::string& alias) {
    std::vector<std::string> work{alias};
    while (!work.empty()) {
      const std::string name = std::move(work.back());
      work.pop_back();
      if (!poisonedAliases_.insert(name).second) continue;
      const auto w = waiters_.find(name);
      if (w == waiters_.end()) continue;
      for (std::size_t i : w->second) {
        if (pending_[i].done) continue;
        pending_[i].done = true;
        if (pending_[i].decl->alias) work.push_back(pending_[i].decl->alias->text);
      }
      waiters_.erase(w);
    }
  }

  /// The instance `d` describes, with every property checked against its class. Reports each bad
  /// property and then throws Reported.
  ClassObject buildInstance(const InstanceDecl& d, const std::string& ns, const SourceFile& f) {
    if (poisonedClasses_.contains(d.className.text)) throw Reported{};
    Namespace& stageNs = stage(ns, d.loc);
    const ObjectPtr cls = stageNs.findClass(d.className.text);
    if (!cls)
      throw Failure{d.className.loc, WBEM_E_INVALID_CLASS, "class " + inQuotes(d.className.text) + " is not defined"};
    ClassObject inst = cls->spawnInstance();
    bool ok = putQualifiers(d.qualifiers, ns, f, [&](const std::string& n, const Value& v, std::int32_t fl) {
      inst.putQualifier(n, v, fl);
    });
    std::unordered_set<std::string, NameHash, NameEqual> seen;
    for (const PropertyAssignment& a : d.values) {
      ok &= guarded(f, a.value.loc, [&] {
        if (!seen.insert(a.name.text).second)
          throw Failure{a.name.loc, WBEM_E_INVALID_PROPERTY, "property " + inQuotes(a.name.text) + " is set twice"};
        if (a.name.text.starts_with("__") || !inst.slotOf(a.name.text))
          throw Failure{a.name.loc, WBEM_E_INVALID_PROPERTY,
                        "class " + inQuotes(cls->className()) + " has no property " + inQuotes(a.name.text)};
        const PropertyType type = inst.getPropertyType(a.name.text);
        inst.put(a.name.text, toValue(a.value, type, ns, f, "property " + inQuotes(a.name.text)));
        if (!putQualifiers(a.qualifiers, ns, f, [&](const std::string& n, const Value& v, std::int32_t fl) {
              inst.putPropertyQualifier(a.name.text, n, v, fl);
            }))
          throw Reported{};
      });
    }
    if (!ok) throw Reported{};
    return inst;
  }

  /// The aliases `d` refers to (directly or in a reference array) that are not defined yet.
  std::unordered_set<std::string, NameHash, NameEqual> undefinedAliases(const InstanceDecl& d) const {
    std::unordered_set<std::string, NameHash, NameEqual> out;
    for (const PropertyAssignment& a : d.values) {
      if (a.value.kind == Literal::Kind::Alias && !aliases_.contains(a.value.text)) out.insert(a.value.text);
      for (const Literal& e : a.value.elements)
        if (e.kind == Literal::Kind::Alias && !aliases_.contains(e.text)) out.insert(e.text);
    }
    return out;
  }

  void handle(InstanceDecl& d, const std::shared_ptr<const SourceFile>& file) {
    if (d.alias) declaredAliases_.insert(d.alias->text);
    const auto missing = undefinedAliases(d);
    if (missing.empty()) return putInstance(d, file, currentNs_, instanceFlags_);
    for (const std::string& alias : missing)
      if (poisonedAliases_.contains(alias)) {
        if (d.alias) poisonAlias(d.alias->text);
        return;
      }
    // It waits until each alias it needs is defined (see defineAlias and resolvePending).
    const std::size_t index = pending_.size();
    waitingDecls_.push_back(std::make_unique<const InstanceDecl>(std::move(d)));
    pending_.push_back(PendingInstance{file, waitingDecls_.back().get(), currentNs_, instanceFlags_, qualifierTypes_,
                                       missing.size(), false});
    for (const std::string& alias : missing) waiters_[alias].push_back(index);
  }

  void putInstance(const InstanceDecl& d, const std::shared_ptr<const SourceFile>& file, const std::string& ns,
                   std::int32_t flags) {
    const SourceFile& f = *file;
    const bool ok = guarded(f, d.loc, [&] {
      ClassObject inst = buildInstance(d, ns, f);
      for (PropertySlot slot : inst.definition().keySlots())
        if (inst.get(slot).isNull())
          throw Failure{d.loc, WBEM_E_ILLEGAL_NULL,
                        "instance of " + inQuotes(inst.className()) + " has no value for key property " +
                            inQuotes(inst.definition().properties()[slot].name)};
      const ObjectPath path = stage(ns, d.loc).putInstance(inst, flags);
      ops_.push_back({Operation::Kind::PutInstance, ns, share(std::move(inst)), d.className.text, flags, file, d.loc});
      ++result_.instances;
      if (d.alias) defineAlias(*d.alias, AliasTarget{ns, path.relativePath()});
    });
    if (!ok && d.alias) poisonAlias(d.alias->text);
  }

  /// Puts the instances that waited for aliases, as their aliases become defined; what is left
  /// refers to an alias nobody defines, or to instances that wait for each other.
  void resolvePending() {
    while (!ready_.empty() && !stopped()) {
      const std::size_t i = ready_.front();
      ready_.pop_front();
      if (pending_[i].done) continue;
      pending_[i].done = true;
      const PendingInstance p = pending_[i];
      // Typed by the declarations in force where it was written, not by later ones.
      std::shared_ptr<const QualifierTypes> current = std::exchange(qualifierTypes_, p.qualifierTypes);
      putInstance(*p.decl, p.file, p.ns, p.flags);  // reports its errors, never throws
      qualifierTypes_ = std::move(current);
    }
    for (const PendingInstance& p : pending_) {
      if (p.done) continue;
      if (stopped()) break;
      const auto missing = undefinedAliases(*p.decl);
      bool undefined = false;
      Loc where = p.decl->loc;
      for (const PropertyAssignment& a : p.decl->values) {
        std::vector<const Literal*> refs{&a.value};
        for (const Literal& e : a.value.elements) refs.push_back(&e);
        for (const Literal* l : refs) {
          if (l->kind != Literal::Kind::Alias || !missing.contains(l->text) || undefined) continue;
          where = l->loc;
          if (!declaredAliases_.contains(l->text)) {
            report(*p.file, l->loc, WBEM_E_NOT_FOUND, "alias $" + l->text + " is not defined");
            undefined = true;
          }
        }
      }
      if (!undefined)
        report(*p.file, where, WBEM_E_CIRCULAR_REFERENCE,
               "instance of " + inQuotes(p.decl->className.text) +
                   " and the instances its aliases name refer to each other in a cycle");
    }
  }

  /// Replays the staged changes on the real namespaces.
  void apply() {
    // The staging copies have done their work; freeing them first, and each object once it is
    // applied, keeps the peak memory of a big unit near one copy of what it declares.
    for (auto& entry : targets_) entry.second.stage.reset();
    for (Operation& op : ops_) {
      Namespace& real = *targets_.at(op.ns).real;
      const bool ok = guarded(*op.file, op.loc, [&] {
        switch (op.kind) {
          case Operation::Kind::PutClass:
            real.putClass(*op.object, op.flags);
            break;
          case Operation::Kind::PutInstance:
            real.putInstance(*op.object, op.flags);
            break;
          case Operation::Kind::DeleteClass:
            real.deleteClass(op.name);
            break;
          case Operation::Kind::DeleteInstance:
            real.deleteInstance(ObjectPath::parse(op.name));
            break;
        }
      });
      op.object.reset();
      // Only a namespace changed by someone else since it was staged can fail here; what was
      // applied before stays applied (the namespaces have no transactions).
      if (!ok) return;
    }
    result_.applied = true;
  }

  const NamespaceResolver& resolver_;
  const MofOptions& options_;
  MofResult result_;
  std::size_t errors_ = 0;
  std::string currentNs_;
  std::int32_t classFlags_ = WBEM_FLAG_CREATE_OR_UPDATE;
  std::int32_t instanceFlags_ = WBEM_FLAG_CREATE_OR_UPDATE;
  std::map<std::string, Target, NameLess> targets_;
  std::vector<Operation> ops_;
  std::vector<std::unique_ptr<const InstanceDecl>> waitingDecls_;  // owned for pending_
  std::vector<fs::path> includeStack_;
  std::shared_ptr<const QualifierTypes> qualifierTypes_ = std::make_shared<const QualifierTypes>();
  std::unordered_map<std::string, AliasTarget, NameHash, NameEqual> aliases_;
  std::unordered_set<std::string, NameHash, NameEqual> declaredAliases_;
  std::unordered_set<std::string, NameHash, NameEqual> poisonedAliases_;
  std::unordered_set<std::string, NameHash, NameEqual> poisonedClasses_;
  std::vector<PendingInstance> pending_;
  std::unordered_map<std::string, std::vector<std::size_t>, NameHash, NameEqual> waiters_;  // alias -> pending_
  std::deque<std::size_t> ready_;  // pending_ entries whose aliases are all defined
};

}  // namespace

std::string MofDiagnostic::toString() const {
  std::ostringstream s;
  if (!position.source.empty()) s << position.source << ':';
  // Line 0: the error concerns the file as a whole (it cannot be read).
  if (position.line != 0) s << position.line << ':' << position.column << ':';
  s << ' ' << message << " (" << statusName(status) << " 0x" << std::hex << static_cast<std::uint32_t>(status) << ')';
  return s.str();
}

std::string MofResult::summary() const {
  std::ostringstream s;
  auto count = [&](std::size_t n, const char* one, const char* many) { s << n << ' ' << (n == 1 ? one : many); };
  count(classes, "class", "classes");
  s << ", ";
  count(instances, "instance", "instances");
  if (deletedClasses) s << ", " << deletedClasses << " deleted class" << (deletedClasses == 1 ? "" : "es");
  if (deletedInstances) s << ", " << deletedInstances << " deleted instance" << (deletedInstances == 1 ? "" : "s");
  if (qualifierDeclarations)
    s << ", " << qualifierDeclarations << " qualifier declaration" << (qualifierDeclarations == 1 ? "" : "s");
  if (!namespaces.empty()) {
    s << " in ";
    for (std::size_t i = 0; i < namespaces.size(); ++i) s << (i ? ", " : "") << namespaces[i];
  }
  s << " (";
  count(files, "file", "files");
  s << ", ";
  count(lines, "line", "lines");
  s << ')';
  return s.str();
}

MofCompiler::MofCompiler(NamespaceResolver resolver, MofOptions options)
    : resolver_(std::move(resolver)), options_(std::move(options)) {}

MofResult MofCompiler::compileFile(const std::filesystem::path& path) const {
  Unit unit(resolver_, options_);
  unit.compileFile(path, path.string(), nullptr, Loc{});
  return unit.finish();
}

MofResult MofCompiler::compileText(std::string_view text, std::string sourceName) const {
  Unit unit(resolver_, options_);
  fs::path dir = fs::path(sourceName).parent_path();
  unit.compileText(text, std::make_shared<const SourceFile>(SourceFile{std::move(sourceName), std::move(dir)}));
  return unit.finish();
}

int runMofCommand(const std::vector<std::string>& files, bool checkOnly, std::ostream& out, std::ostream& err) {
  if (files.empty()) {
    err << "wbemctl mof: no MOF file given\n";
    return 1;
  }
  std::map<std::string, std::unique_ptr<Namespace>, NameLess> spaces;
  // The namespaces live only as long as this command: every name is accepted, and each file is
  // applied so that the next ones see its classes (with --check too: nothing outlives the run).
  MofCompiler compiler([&](const std::string& name) -> Namespace* {
    auto& ns = spaces[name];
    if (!ns) ns = std::make_unique<Namespace>(name);
    return ns.get();
  });
  int rc = 0;
  for (const std::string& file : files) {
    const MofResult r = compiler.compileFile(file);
    for (const MofDiagnostic& d : r.diagnostics) err << d.toString() << '\n';
    if (!r.ok()) {
      err << file << ": " << r.diagnostics.size() << (r.diagnostics.size() == 1 ? " error" : " errors")
          << (checkOnly ? "" : ", nothing compiled") << '\n';
      rc = 1;
      continue;
    }
    out << file << ": " << (checkOnly ? "OK, " : "compiled ") << r.summary() << '\n';
  }
  return rc;
}

}  // namespace wbem
