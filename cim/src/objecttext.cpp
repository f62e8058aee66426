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
//   infinities have no MOF literal and are written `nan`, `inf`, `-inf`.

#include <wbem/classobject.hpp>
#include <wbem/names.hpp>
#include <wbem/status.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
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
  const std::to_chars_result result = value.type() == CimType::Real32
                                          ? std::to_chars(buffer, buffer + sizeof buffer, static_cast<float>(d))
                                          : std::to_chars(buffer, buffer + sizeof buffer, d);
  std::string text(buffer, result.ptr);
  if (mofLiteral && std::isfinite(d) && text.find('.') == std::string::npos) {
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

void appendObject(std::string& out, const ClassObject& object, std::int32_t flags, int level);

void appendMofValue(std::string& out, const Value& value, std::int32_t flags, int level) {
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
      appendMofValue(out, element, flags, level);
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
    case CimType::Object:
      appendObject(out, *value.asObject(), flags, level);
      return;
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

void appendQualifier(std::string& out, const Qualifier& qualifier, std::int32_t flags) {
  out += qualifier.name;
  const Value& value = qualifier.value;
  // A boolean qualifier named alone is TRUE in MOF.
  const bool bare = !value.isArray() && value.type() == CimType::Boolean && !value.isNull() && value.asBool();
  if (value.isArray()) {
    appendMofValue(out, value, flags, 0);
  } else if (!bare) {
    out += '(';
    appendMofValue(out, value, flags, 0);
    out += ')';
  }
  if (!(flags & WBEM_FLAG_NO_FLAVORS)) appendFlavors(out, qualifier.flavor);
}

bool hasLocal(const QualifierSet& qualifiers) {
  return std::any_of(qualifiers.all().begin(), qualifiers.all().end(),
                     [](const Qualifier& q) { return !q.isPropagated(); });
}

// `[a, b(1): Restricted] ` for the local qualifiers of `qualifiers`, minus `skip`; nothing when none.
// `leading` are written first, before any of the set (the in/out/id of method parameters).
void appendQualifierList(std::string& out, const QualifierSet& qualifiers, std::int32_t flags,
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
    appendQualifier(list, qualifier, flags);
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

void appendDeclaration(std::string& out, const PropertyDef& property, std::int32_t flags, int level) {
  out += typeText(property.type);
  out += ' ';
  out += property.name;
  appendArraySuffix(out, property.type);
  if (!property.defaultValue.isNull()) {
    out += " = ";
    appendMofValue(out, property.defaultValue, flags, level);
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
void appendParameterQualifiers(std::string& out, const Parameter& parameter, std::int32_t flags) {
  std::vector<std::string> leading;
  const auto add = [&](const PropertyDef* side, std::string_view name) {
    if (!side) return;
    const Qualifier* q = side->qualifiers.find(name);
    std::string text;
    if (q)
      appendQualifier(text, *q, flags);
    else if (!iequals(name, "ID"))
      text = lowerName(name);
    if (!text.empty()) leading.push_back(std::move(text));
  };
  add(parameter.in, "In");
  add(parameter.out, "Out");
  add(&parameter.declaration(), "ID");
  appendQualifierList(out, parameter.declaration().qualifiers, flags, leading, {"In", "Out", "ID"});
}

void appendMethod(std::string& out, const MethodDef& method, std::int32_t flags, int level) {
  appendIndent(out, level);
  appendQualifierList(out, method.qualifiers, flags);
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
    appendParameterQualifiers(out, parameter, flags);
    appendDeclaration(out, parameter.declaration(), flags, level);
  }
  out += ");\n";
}

// True when a derived class gives inherited `property` another default than its superclass does.
bool overridesDefault(const ClassDef& def, const PropertyDef& property) {
  const ClassDef* super = def.superclass().get();
  const auto slot = super ? super->slotOf(property.name) : std::nullopt;
  return slot && !(super->properties()[*slot].defaultValue == property.defaultValue);
}

void appendClassBody(std::string& out, const ClassObject& cls, std::int32_t flags, int level) {
  const ClassDef& def = cls.definition();
  for (const PropertyDef& property : def.properties()) {
    if (!iequals(property.originClass, def.name()) && !hasLocal(property.qualifiers) &&
        !overridesDefault(def, property))
      continue;
    appendIndent(out, level);
    appendQualifierList(out, property.qualifiers, flags);
    appendDeclaration(out, property, flags, level);
    out += ";\n";
  }
  for (const MethodDef& method : def.methods()) {
    if (!iequals(method.originClass, def.name()) && !hasLocal(method.qualifiers)) continue;
    appendMethod(out, method, flags, level);
  }
}

void appendInstanceBody(std::string& out, const ClassObject& instance, std::int32_t flags, int level) {
  const std::vector<PropertyDef>& properties = instance.definition().properties();
  for (PropertySlot slot = 0; slot < properties.size(); ++slot) {
    const PropertyDef& property = properties[slot];
    const Value& value = instance.get(slot);
    const QualifierSet qualifiers = instance.getPropertyQualifierSet(property.name);
    if (value.isNull() && property.defaultValue.isNull() && !hasLocal(qualifiers)) continue;
    appendIndent(out, level);
    appendQualifierList(out, qualifiers, flags);
    out += property.name;
    out += " = ";
    appendMofValue(out, value, flags, level);
    out += ";\n";
  }
}

// `class X : Y {...}` or `instance of X {...}` without the final `;`, its header at the current
// position and its body indented one level deeper than `level`.
void appendObject(std::string& out, const ClassObject& object, std::int32_t flags, int level) {
  const std::size_t headerStart = out.size();
  appendQualifierList(out, object.getQualifierSet(), flags);
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
    appendClassBody(out, object, flags, level + 1);
  else
    appendInstanceBody(out, object, flags, level + 1);
  appendIndent(out, level);
  out += '}';
}

}  // namespace

std::string ClassObject::getObjectText(std::int32_t flags) const {
  if (flags & ~WBEM_FLAG_NO_FLAVORS) throw Error(WBEM_E_INVALID_PARAMETER, "getObjectText: unknown flags");
  std::string out;
  appendObject(out, *this, flags, 0);
  out += ";\n";
  return out;
}

std::string Value::toMof() const {
  std::string out;
  appendMofValue(out, *this, 0, 0);
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
