// MOF text of objects and values (IWbemClassObject::GetObjectText) and the plain text of values used
// by string templates.
//
// The text is meant to be compiled back by the MOF compiler into an equal object:
// - A class shows its local qualifiers, its local properties and methods, and the inherited ones
//   that carry local qualifiers or a default other than the superclass's (as WMI does); inherited
//   declarations come from the superclass.
// - Method parameters show the In, Out and ID qualifiers as their signatures store them, merged
//   into one declaration for an [in, out] parameter, in ID order.
// - An instance shows every property whose value is not NULL, class defaults included, and
//   `P = NULL;` where the instance cleared a property whose class default is not NULL.
// - Embedded-object types are written `Class Name` (`object Name` when untyped) and references
//   `Class ref Name` (`object ref Name`), the forms of "Creating a WMI Method".
// - Flavors are written only where they differ from MOF's default (EnableOverride ToSubclass).
// - Reals use the shortest text that reads back to the same value, always with a `.`; NaN and
//   infinities, which have no MOF literal, are written `NaN`, `Inf` and `-Inf` (the compiler's
//   extension, which also reads the `nan`, `inf`, `-inf` that earlier versions wrote).
// - A char16 beyond ASCII is written as its code (`'\xD800'`), so that a lone surrogate survives.
// - A qualifier is typed by its MOF literal unless a `Qualifier` declaration types it: the text
//   starts with a declaration for each qualifier whose values are of another type (QualifierUse).

#include <wbem/classobject.hpp>
#include <wbem/names.hpp>
#include <wbem/status.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace wbem {
namespace {

constexpr std::size_t kIndentWidth = 4;

void appendIndent(std::string& out, int level) { out.append(static_cast<std::size_t>(level) * kIndentWidth, ' '); }

void appendHex4(std::string& out, unsigned code) {
  constexpr char kDigits[] = "0123456789ABCDEF";
  out += "\\x";
  for (int shift = 12; shift >= 0; shift -= 4) out += kDigits[(code >> shift) & 0xF];
}

// One character of a MOF string or char16 literal; `quote` is the delimiter to escape.
void appendEscaped(std::string& out, unsigned code, char quote) {
  switch (code) {
    case '\\':
      out += "\\\\";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\r':
      out += "\\r";
      return;
    default:
      break;
  }
  if (code == static_cast<unsigned char>(quote)) {
    out += '\\';
    out += quote;
  } else if (code < 0x20 || code == 0x7F) {
    appendHex4(out, code);
  } else {
    out += static_cast<char>(code);
  }
}

void appendMofString(std::string& out, std::string_view text) {
  out += '"';
  // Bytes of 0x80 and above are UTF-8 sequences and pass through unchanged.
  for (char c : text) appendEscaped(out, static_cast<unsigned char>(c), '"');
  out += '"';
}

void appendMofChar16(std::string& out, char16_t c) {
  out += '\'';
  // A char16 is one UTF-16 unit; anything beyond ASCII is written as its code so surrogates survive.
  if (c < 0x80)
    appendEscaped(out, c, '\'');
  else
    appendHex4(out, c);
  out += '\'';
}

void appendUtf8(std::string& out, char16_t c) {
  unsigned code = c;
  if (code >= 0xD800 && code <= 0xDFFF) code = 0xFFFD;  // a lone surrogate has no UTF-8 form
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

// Shortest round-trip text of a real; real32 values are printed as floats so 0.1f gives "0.1".
// With `mofLiteral` an integral-looking result gets ".0", as a MOF real needs a decimal point.
void appendReal(std::string& out, const Value& value, bool mofLiteral) {
  char buffer[64];
  const double d = value.asReal();
  if (mofLiteral && !std::isfinite(d)) {
    out += std::isnan(d) ? "NaN" : d < 0 ? "-Inf" : "Inf";  // the MOF compiler's extension
    return;
  }
  const std::to_chars_result result = value.type() == CimType::Real32
                                          ? std::to_chars(buffer, buffer + sizeof buffer, static_cast<float>(d))
                                          : std::to_chars(buffer, buffer + sizeof buffer, d);
  std::string text(buffer, result.ptr);
  if (mofLiteral && text.find('.') == std::string::npos) {
    const std::size_t exponent = text.find('e');
    text.insert(exponent == std::string::npos ? text.size() : exponent, ".0");
  }
  out += text;
}

void appendInteger(std::string& out, const Value& value) {
  char buffer[24];
  const std::to_chars_result result = isSigned(value.type())
                                          ? std::to_chars(buffer, buffer + sizeof buffer, value.asInt64())
                                          : std::to_chars(buffer, buffer + sizeof buffer, value.asUInt64());
  out.append(buffer, result.ptr);
}

// One qualifier written: its type, and whether the compiler gives its literal that type undeclared.
struct QualifierUse {
  std::string name;
  CimType type;
  bool array;
  bool literalTyped;
};

// What one text is written with, and what it learns on the way.
struct Writer {
  std::int32_t flags = 0;
  bool exact = false;              // WBEM_FLAG_EXACT_TEXT: refuse what MOF cannot express
  std::vector<QualifierUse> uses;  // every qualifier written, in order
  std::string subject;             // what is being written, for messages: "property 'P'", ...
};

// Sets what a Writer is writing, `describe()`, for the lifetime of the scope. Only exact text has
// messages to give, so only it pays for building the description.
class Subject {
 public:
  template <typename Describe>
  Subject(Writer& w, Describe describe)
      : w_(w), saved_(std::exchange(w.subject, w.exact ? describe() : std::string())) {}
  ~Subject() { w_.subject = std::move(saved_); }
  Subject(const Subject&) = delete;
  Subject& operator=(const Subject&) = delete;

 private:
  Writer& w_;
  std::string saved_;
};

[[noreturn]] void refuse(const std::string& message) { throw Error(WBEM_E_INVALID_PARAMETER, message); }

std::string quoted(std::string_view name) { return "'" + std::string(name) + "'"; }

// "property 'P'" at the top, "property 'Q' of the instance in property 'P'" in an embedded one.
std::string nested(const Writer& w, const std::string& what) {
  return w.subject.empty() ? what : what + " of the instance in " + w.subject;
}

std::string typeName(CimType type, bool array) {
  if (type == CimType::Empty) return "NULL without a type";
  return std::string(cimTypeName(type)) + (array ? "[]" : "");
}

// The type the MOF compiler gives the literal of qualifier value `value` when no declaration types
// it (mof.hpp): integers sint32, or sint64/uint64 when needed; reals real64; strings, datetimes and
// references (written as strings) string; an empty or all-NULL array string[]; NULL no type.
std::pair<CimType, bool> literalType(const Value& value) {
  if (value.isNull()) return {CimType::Empty, false};  // written (NULL)
  const bool array = value.isArray();
  const Value* single = &value;
  const std::span<const Value> elements = array ? std::span<const Value>(value.asArray()) : std::span(single, 1);
  bool any = false, needs64 = false, needsUnsigned = false;
  for (const Value& e : elements) {
    if (e.isNull()) continue;
    any = true;
    if (isSigned(e.type())) {
      const std::int64_t v = e.asInt64();
      needs64 |= v < std::numeric_limits<std::int32_t>::min() || v > std::numeric_limits<std::int32_t>::max();
    } else if (isInteger(e.type())) {
      const std::uint64_t v = e.asUInt64();
      needs64 |= v > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max());
      needsUnsigned |= v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    }
  }
  if (!any) return {CimType::String, true};  // {} or {NULL, ...}
  switch (value.type()) {
    case CimType::Real32:
    case CimType::Real64:
      return {CimType::Real64, array};
    case CimType::String:
    case CimType::DateTime:
    case CimType::Reference:
      return {CimType::String, array};
    case CimType::Boolean:
    case CimType::Char16:
    case CimType::Object:
      return {value.type(), array};
    default:
      return {needsUnsigned ? CimType::UInt64 : needs64 ? CimType::SInt64 : CimType::SInt32, array};
  }
}

bool isMofIdentifier(std::string_view name) {
  const auto letter = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || static_cast<unsigned char>(c) >= 0x80;
  };
  if (name.empty() || !letter(name.front())) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) { return letter(c) || (c >= '0' && c <= '9'); });
}

// Records a qualifier written as `name` with `value` (exact text: refuses what MOF cannot hold).
void recordQualifier(Writer& w, std::string_view name, const Value& value) {
  if (w.exact) {
    const std::string what = "qualifier " + quoted(name) + (w.subject.empty() ? "" : " of " + w.subject);
    if (!isMofIdentifier(name)) refuse(what + ": the name is no MOF identifier");
    if (value.type() == CimType::Reference || value.type() == CimType::Object)
      refuse(what + " holds " + (value.type() == CimType::Object ? "an object" : "a reference") +
             ", which a MOF qualifier cannot hold");
  }
  const auto [type, array] = literalType(value);
  w.uses.push_back(
      QualifierUse{std::string(name), value.type(), value.isArray(), type == value.type() && array == value.isArray()});
}

// The `Qualifier Name : type;` declarations that the qualifiers written need to keep their types:
// one for each name whose values all have one type that their literals do not all give.
std::string qualifierDeclarations(const Writer& w) {
  std::string out;
  std::vector<bool> done(w.uses.size(), false);
  for (std::size_t i = 0; i < w.uses.size(); ++i) {
    if (done[i]) continue;
    const QualifierUse& first = w.uses[i];
    bool sameType = true, literalTyped = true;
    const QualifierUse* other = nullptr;
    for (std::size_t j = i; j < w.uses.size(); ++j) {
      const QualifierUse& use = w.uses[j];
      if (!iequals(use.name, first.name)) continue;
      done[j] = true;
      literalTyped &= use.literalTyped;
      if (use.type != first.type || use.array != first.array) {
        sameType = false;
        other = &use;
      }
    }
    if (literalTyped) continue;
    if (!sameType) {
      // Without a declaration each value would come back as its literal's type, with one as the
      // declared type: either way some would change.
      if (w.exact)
        refuse("qualifier " + quoted(first.name) + " has values of type " + typeName(first.type, first.array) +
               " and " + typeName(other->type, other->array) +
               " in one object, which MOF cannot type apart (a qualifier name has one declared type)");
      continue;
    }
    if (first.type == CimType::Empty || first.type == CimType::Reference || first.type == CimType::Object) continue;
    out += "Qualifier ";
    out += first.name;
    out += " : ";
    out += typeName(first.type, first.array);
    out += ";\n";
  }
  return out;
}

void appendObject(std::string& out, const ClassObject& object, Writer& w, int level);

void appendMofValue(std::string& out, const Value& value, Writer& w, int level) {
  if (value.isNull()) {
    out += "NULL";
    return;
  }
  if (value.isArray()) {
    out += '{';
    bool first = true;
    for (const Value& element : value.asArray()) {
      if (!first) out += ", ";
      first = false;
      appendMofValue(out, element, w, level);
    }
    out += '}';
    return;
  }
  switch (value.type()) {
    case CimType::Boolean:
      out += value.asBool() ? "TRUE" : "FALSE";
      return;
    case CimType::Real32:
    case CimType::Real64:
      appendReal(out, value, true);
      return;
    case CimType::Char16:
      appendMofChar16(out, value.asChar16());
      return;
    case CimType::String:
    case CimType::Reference:
      appendMofString(out, value.asString());
      return;
    case CimType::DateTime:
      appendMofString(out, value.asDateTime().toString());
      return;
    case CimType::Object: {
      const ClassObject& object = *value.asObject();
      if (w.exact && object.isClass())
        refuse((w.subject.empty() ? std::string("a value") : w.subject) + " holds class " + quoted(object.className()) +
               ", and MOF has no embedded class values (only embedded instances, `instance of`)");
      appendObject(out, object, w, level);
      return;
    }
    default:
      appendInteger(out, value);
      return;
  }
}

void appendScalarText(std::string& out, const Value& value) {
  if (value.isNull()) return;
  switch (value.type()) {
    case CimType::Boolean:
      out += value.asBool() ? "TRUE" : "FALSE";
      return;
    case CimType::Real32:
    case CimType::Real64:
      appendReal(out, value, false);
      return;
    case CimType::Char16:
      appendUtf8(out, value.asChar16());
      return;
    case CimType::String:
    case CimType::Reference:
      out += value.asString();
      return;
    case CimType::DateTime:
      out += value.asDateTime().toString();
      return;
    case CimType::Object:
      out += value.asObject()->getObjectText();
      return;
    default:
      appendInteger(out, value);
      return;
  }
}

// Array elements are separated by commas, so text-like elements are quoted, as WMI's templates do.
void appendElementText(std::string& out, const Value& element) {
  const bool quoted = !element.isNull() && (element.type() == CimType::String || element.type() == CimType::Reference ||
                                            element.type() == CimType::DateTime);
  if (quoted) out += '"';
  appendScalarText(out, element);
  if (quoted) out += '"';
}

// The MOF flavor keywords that turn MOF's default flavor into `flavor`.
void appendFlavors(std::string& out, std::int32_t flavor) {
  std::string keywords;
  const auto add = [&keywords](std::string_view keyword) {
    keywords += keywords.empty() ? ": " : " ";
    keywords += keyword;
  };
  if (flavor & WBEM_FLAVOR_FLAG_PROPAGATE_TO_INSTANCE) add("ToInstance");
  if (flavor & WBEM_FLAVOR_NOT_OVERRIDABLE) add("DisableOverride");
  if (!(flavor & WBEM_FLAVOR_FLAG_PROPAGATE_TO_DERIVED_CLASS)) add("Restricted");
  if (flavor & WBEM_FLAVOR_AMENDED) add("Amended");
  out += keywords;
}

void appendQualifier(std::string& out, const Qualifier& qualifier, Writer& w) {
  recordQualifier(w, qualifier.name, qualifier.value);
  out += qualifier.name;
  const Value& value = qualifier.value;
  // A boolean qualifier named alone is TRUE in MOF; an array is written `Name{...}`, but a NULL
  // one `Name(NULL)`.
  const bool bare = !value.isArray() && value.type() == CimType::Boolean && !value.isNull() && value.asBool();
  if (value.isArray() && !value.isNull()) {
    appendMofValue(out, value, w, 0);
  } else if (!bare) {
    out += '(';
    appendMofValue(out, value, w, 0);
    out += ')';
  }
  if (!(w.flags & WBEM_FLAG_NO_FLAVORS)) appendFlavors(out, qualifier.flavor);
}

bool hasLocal(const QualifierSet& qualifiers) {
  return std::any_of(qualifiers.all().begin(), qualifiers.all().end(),
                     [](const Qualifier& q) { return !q.isPropagated(); });
}

// `[a, b(1): Restricted] ` for the local qualifiers of `qualifiers`, minus `skip`; nothing when none.
// `leading` are written first, before any of the set (the in/out/id of method parameters).
void appendQualifierList(std::string& out, const QualifierSet& qualifiers, Writer& w,
                         const std::vector<std::string>& leading = {},
                         std::initializer_list<std::string_view> skip = {}) {
  std::string list;
  for (const std::string& text : leading) {
    if (!list.empty()) list += ", ";
    list += text;
  }
  for (const Qualifier& qualifier : qualifiers.all()) {
    if (qualifier.isPropagated()) continue;
    if (std::any_of(skip.begin(), skip.end(), [&](std::string_view name) { return iequals(name, qualifier.name); }))
      continue;
    if (!list.empty()) list += ", ";
    appendQualifier(list, qualifier, w);
  }
  if (list.empty()) return;
  out += '[';
  out += list;
  out += "] ";
}

// The MOF data type of a declaration; array brackets follow the name (appendArraySuffix).
std::string typeText(const PropertyType& type) {
  const std::string& constraint = type.className;
  switch (type.type) {
    case CimType::Reference:
      return (constraint.empty() ? std::string("object") : constraint) + " ref";
    case CimType::Object:
      return constraint.empty() ? std::string("object") : constraint;
    default:
      return std::string(cimTypeName(type.type));
  }
}

void appendArraySuffix(std::string& out, const PropertyType& type) {
  if (!type.array) return;
  out += '[';
  if (type.arraySize) out += std::to_string(*type.arraySize);
  out += ']';
}

// The type, name and default of a property or parameter; the Writer's subject names it.
void appendDeclaration(std::string& out, const PropertyDef& property, Writer& w, int level) {
  out += typeText(property.type);
  out += ' ';
  out += property.name;
  appendArraySuffix(out, property.type);
  if (!property.defaultValue.isNull()) {
    out += " = ";
    appendMofValue(out, property.defaultValue, w, level);
  }
}

// One parameter: its declaration in the in-signature, the out-signature or both ([in, out]).
struct Parameter {
  const PropertyDef* in = nullptr;
  const PropertyDef* out = nullptr;
  std::int64_t id = std::numeric_limits<std::int64_t>::max();

  const PropertyDef& declaration() const { return in ? *in : *out; }
};

// The parameters of both signatures merged by name and put in ID order (in-parameters first when
// IDs are missing, which putMethod does not let happen).
std::vector<Parameter> mergeParameters(const MethodDef& method) {
  std::vector<Parameter> parameters;
  const auto collect = [&parameters](const ObjectPtr& signature, bool isIn) {
    if (!signature) return;
    for (const PropertyDef& property : signature->definition().properties()) {
      if (!isIn && iequals(property.name, kReturnValue)) continue;
      auto found = std::find_if(parameters.begin(), parameters.end(),
                                [&](const Parameter& p) { return iequals(p.declaration().name, property.name); });
      if (found == parameters.end()) found = parameters.insert(parameters.end(), Parameter{});
      (isIn ? found->in : found->out) = &property;
      const Value id = property.qualifiers.get("ID");
      if (!id.isNull()) found->id = id.asInt64();
    }
  };
  collect(method.inSignature, true);
  collect(method.outSignature, false);
  std::stable_sort(parameters.begin(), parameters.end(),
                   [](const Parameter& a, const Parameter& b) { return a.id < b.id; });
  return parameters;
}

// `[In, Out, ID(0), others] ` of a parameter: the direction qualifiers as each signature stores
// them (so flavors survive a round trip), `in`/`out` when a signature lacks its own, then ID, then
// the other qualifiers of the declaration.
void appendParameterQualifiers(std::string& out, const Parameter& parameter, Writer& w) {
  std::vector<std::string> leading;
  const auto add = [&](const PropertyDef* side, std::string_view name) {
    if (!side) return;
    const Qualifier* q = side->qualifiers.find(name);
    std::string text;
    if (q) {
      appendQualifier(text, *q, w);
    } else if (!iequals(name, "ID")) {
      text = lowerName(name);
      recordQualifier(w, name, Value(true));
    }
    if (!text.empty()) leading.push_back(std::move(text));
  };
  add(parameter.in, "In");
  add(parameter.out, "Out");
  add(&parameter.declaration(), "ID");
  appendQualifierList(out, parameter.declaration().qualifiers, w, leading, {"In", "Out", "ID"});
}

void appendMethod(std::string& out, const MethodDef& method, Writer& w, int level) {
  appendIndent(out, level);
  {
    const Subject subject(w, [&] { return nested(w, "method " + quoted(method.name)); });
    appendQualifierList(out, method.qualifiers, w);
  }
  const PropertyDef* returnValue = nullptr;
  if (method.outSignature) {
    const ClassDef& signature = method.outSignature->definition();
    if (const auto slot = signature.slotOf(kReturnValue)) returnValue = &signature.properties()[*slot];
  }
  out += returnValue ? typeText(returnValue->type) : std::string("void");
  out += ' ';
  out += method.name;
  out += '(';
  bool first = true;
  for (const Parameter& parameter : mergeParameters(method)) {
    if (!first) out += ", ";
    first = false;
    const Subject subject(w, [&] {
      return nested(w, "parameter " + quoted(parameter.declaration().name) + " of method " + quoted(method.name));
    });
    appendParameterQualifiers(out, parameter, w);
    appendDeclaration(out, parameter.declaration(), w, level);
  }
  out += ");\n";
}

// True when a derived class gives inherited `property` another default than its superclass does.
bool overridesDefault(const ClassDef& def, const PropertyDef& property) {
  const ClassDef* super = def.superclass().get();
  const auto slot = super ? super->slotOf(property.name) : std::nullopt;
  return slot && !(super->properties()[*slot].defaultValue == property.defaultValue);
}

void appendClassBody(std::string& out, const ClassObject& cls, Writer& w, int level) {
  const ClassDef& def = cls.definition();
  for (const PropertyDef& property : def.properties()) {
    if (!iequals(property.originClass, def.name()) && !hasLocal(property.qualifiers) &&
        !overridesDefault(def, property))
      continue;
    const Subject subject(w, [&] { return nested(w, "property " + quoted(property.name)); });
    appendIndent(out, level);
    appendQualifierList(out, property.qualifiers, w);
    appendDeclaration(out, property, w, level);
    out += ";\n";
  }
  for (const MethodDef& method : def.methods()) {
    if (!iequals(method.originClass, def.name()) && !hasLocal(method.qualifiers)) continue;
    appendMethod(out, method, w, level);
  }
}

void appendInstanceBody(std::string& out, const ClassObject& instance, Writer& w, int level) {
  const std::vector<PropertyDef>& properties = instance.definition().properties();
  for (PropertySlot slot = 0; slot < properties.size(); ++slot) {
    const PropertyDef& property = properties[slot];
    const Value& value = instance.get(slot);
    const QualifierSet qualifiers = instance.getPropertyQualifierSet(property.name);
    if (value.isNull() && property.defaultValue.isNull() && !hasLocal(qualifiers)) continue;
    const Subject subject(w, [&] { return nested(w, "property " + quoted(property.name)); });
    appendIndent(out, level);
    appendQualifierList(out, qualifiers, w);
    out += property.name;
    out += " = ";
    appendMofValue(out, value, w, level);
    out += ";\n";
  }
}

// `class X : Y {...}` or `instance of X {...}` without the final `;`, its header at the current
// position and its body indented one level deeper than `level`.
void appendObject(std::string& out, const ClassObject& object, Writer& w, int level) {
  const std::size_t headerStart = out.size();
  {
    // The subject on entry is empty at the top, or the property that holds this embedded instance.
    const Subject subject(w, [&] {
      return w.subject.empty() ? (object.isClass() ? "class " : "the instance of ") + quoted(object.className())
                               : "the instance in " + w.subject;
    });
    appendQualifierList(out, object.getQualifierSet(), w);
  }
  if (out.size() != headerStart) {
    out.back() = '\n';  // qualifiers stand on their own line above the header
    appendIndent(out, level);
  }
  if (object.isClass()) {
    out += "class ";
    out += object.className();
    if (!object.superclassName().empty()) {
      out += " : ";
      out += object.superclassName();
    }
  } else {
    out += "instance of ";
    out += object.className();
  }
  out += '\n';
  appendIndent(out, level);
  out += "{\n";
  if (object.isClass())
    appendClassBody(out, object, w, level + 1);
  else
    appendInstanceBody(out, object, w, level + 1);
  appendIndent(out, level);
  out += '}';
}

}  // namespace

std::string ClassObject::getObjectText(std::int32_t flags) const {
  if (flags & ~(WBEM_FLAG_NO_FLAVORS | WBEM_FLAG_EXACT_TEXT))
    throw Error(WBEM_E_INVALID_PARAMETER, "getObjectText: unknown flags");
  Writer w;
  w.flags = flags;
  w.exact = (flags & WBEM_FLAG_EXACT_TEXT) != 0;
  std::string body;
  appendObject(body, *this, w, 0);
  body += ";\n";
  // The declarations must come first, and what they are is known only once the object is written.
  std::string out = qualifierDeclarations(w);
  out += body;
  return out;
}

std::string Value::toMof() const {
  // A value cannot carry qualifier declarations: those of an embedded instance are left out.
  Writer w;
  std::string out;
  appendMofValue(out, *this, w, 0);
  return out;
}

std::string Value::toText() const {
  std::string out;
  if (!isArray() || isNull()) {
    appendScalarText(out, *this);
    return out;
  }
  const ValueArray& elements = asArray();
  // WMI's templates: one element stands alone, more (or none) are listed in parentheses.
  if (elements.size() == 1) {
    appendElementText(out, elements.front());
    return out;
  }
  out += '(';
  for (std::size_t i = 0; i < elements.size(); ++i) {
    if (i != 0) out += ',';
    appendElementText(out, elements[i]);
  }
  out += ')';
  return out;
}

}  // namespace wbem
