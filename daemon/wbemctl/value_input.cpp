// Typed values from text and JSON (value_input.hpp).

#include "value_input.hpp"

#include <wbem/names.hpp>
#include <wbem/status.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <system_error>

namespace wbemctl {
namespace {

[[noreturn]] void mismatch(std::string_view text, const wbem::PropertyType& type, std::string_view why) {
  throw wbem::Error(
      wbem::WBEM_E_TYPE_MISMATCH,
      "'" + std::string(text) + "' is not a " + std::string(wbem::cimTypeName(type.type)) + ": " + std::string(why));
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// All of `text` as a T in `base`; nullopt when anything is left over or the number does not fit.
template <typename T>
std::optional<T> parseWhole(std::string_view text, int base = 10) {
  T value{};
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value, base);
  if (text.empty() || error != std::errc{} || stop != end) return std::nullopt;
  return value;
}

// An integer literal as the Value of its own kind (sint64 when negative, else uint64), for convertTo.
wbem::Value integerValue(std::string_view text, const wbem::PropertyType& type) {
  if (text.starts_with("0x") || text.starts_with("0X")) {
    if (const auto value = parseWhole<std::uint64_t>(text.substr(2), 16)) return wbem::Value(*value);
  } else if (text.starts_with('-')) {
    if (const auto value = parseWhole<std::int64_t>(text)) return wbem::Value(*value);
  } else if (const auto value = parseWhole<std::uint64_t>(text)) {
    return wbem::Value(*value);
  }
  mismatch(text, type, "expected an integer (decimal, or hex with 0x) within 64 bits");
}

wbem::Value realValue(double value, const wbem::PropertyType& type, std::string_view text) {
  if (type.type == wbem::CimType::Real64) return wbem::Value(value);
  if (std::isfinite(value) && std::fabs(value) > std::numeric_limits<float>::max())
    mismatch(text, type, "out of the range of a real32");
  // A real32 takes the nearest float: decimal fractions are rarely exact in binary.
  return wbem::Value::real32(static_cast<float>(value));
}

// Converts a value of the literal's own kind, with the schema's rules (ranges, lossless conversions).
wbem::Value converted(const wbem::Value& value, const wbem::PropertyType& type, std::string_view text) {
  try {
    return value.convertTo(type);
  } catch (const wbem::Error& error) {
    mismatch(text, type, error.message());
  }
}

wbem::Value parseScalar(std::string_view text, const wbem::PropertyType& type) {
  using wbem::CimType;
  switch (type.type) {
    case CimType::Boolean:
      if (wbem::iequals(text, "true")) return wbem::Value(true);
      if (wbem::iequals(text, "false")) return wbem::Value(false);
      mismatch(text, type, "expected true or false");
    case CimType::SInt8:
    case CimType::UInt8:
    case CimType::SInt16:
    case CimType::UInt16:
    case CimType::SInt32:
    case CimType::UInt32:
    case CimType::SInt64:
    case CimType::UInt64:
      return converted(integerValue(text, type), type, text);
    case CimType::Real32:
    case CimType::Real64: {
      double value = 0;
      const char* end = text.data() + text.size();
      const auto [stop, error] = std::from_chars(text.data(), end, value);
      if (text.empty() || error != std::errc{} || stop != end) mismatch(text, type, "expected a real number");
      return realValue(value, type, text);
    }
    case CimType::Object:
      mismatch(text, type, "an embedded object has no text form (put-instance takes one as a JSON object)");
    case CimType::Empty:
      return wbem::Value(std::string(text));
    default:  // string, char16, datetime, reference: the object model parses them from a string
      return converted(wbem::Value(std::string(text)), type, text);
  }
}

wbem::PropertyType elementType(const wbem::PropertyType& type) {
  return wbem::PropertyType{type.type, false, std::nullopt, type.className};
}

wbem::ValueArray arrayElements(const Json& json, const wbem::PropertyType& type, const ClassLookup& lookup) {
  wbem::ValueArray elements;
  elements.reserve(json.size());
  for (const Json& element : json) elements.push_back(valueFromJson(element, elementType(type), lookup));
  return elements;
}

}  // namespace

wbem::Value parseValueText(std::string_view text, const wbem::PropertyType& type) {
  const bool keepSpaces = type.type == wbem::CimType::String || type.type == wbem::CimType::Char16;
  if (!type.array) return parseScalar(keepSpaces ? text : trimmed(text), type);
  wbem::ValueArray elements;
  const wbem::PropertyType element = elementType(type);
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view part = text.substr(0, comma);
    elements.push_back(parseScalar(keepSpaces ? part : trimmed(part), element));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
    if (text.empty()) elements.push_back(parseScalar(text, element));  // a trailing comma: one empty element
  }
  return converted(wbem::Value(type.type, std::move(elements)), type, "the list");
}

std::pair<std::string, std::string> splitAssignment(std::string_view argument) {
  const std::size_t equals = argument.find('=');
  if (equals == std::string_view::npos || equals == 0)
    throw wbem::Error(wbem::WBEM_E_INVALID_PARAMETER,
                      "'" + std::string(argument) + "' is not name=value (a property or parameter and its value)");
  return {std::string(argument.substr(0, equals)), std::string(argument.substr(equals + 1))};
}

void putAssignments(wbem::ClassObject& instance, const std::vector<std::string>& assignments) {
  for (const std::string& assignment : assignments) {
    const auto [name, text] = splitAssignment(assignment);
    try {
      instance.put(name, parseValueText(text, instance.getPropertyType(name)));
    } catch (const wbem::Error& error) {
      throw wbem::Error(error.status(), instance.className() + "." + name + ": " + error.message());
    }
  }
}

wbem::Value valueFromJson(const Json& json, const wbem::PropertyType& type, const ClassLookup& lookup) {
  using wbem::CimType;
  if (json.is_null()) return wbem::Value::null(type.type, type.array);
  const std::string text = json.is_string() ? json.get<std::string>() : jsonLine(json);
  if (type.array != json.is_array())
    mismatch(text, type, type.array ? "expected a JSON array" : "a JSON array needs an array property");
  if (json.is_array()) {
    if (type.type == CimType::Empty) throw wbem::Error(wbem::WBEM_E_TYPE_MISMATCH, "an array needs a typed property");
    return converted(wbem::Value(type.type, arrayElements(json, type, lookup)), type, text);
  }
  switch (json.type()) {
    case Json::value_t::boolean:
      return converted(wbem::Value(json.get<bool>()), type, text);
    case Json::value_t::number_unsigned:
      return converted(wbem::Value(json.get<std::uint64_t>()), type, text);
    case Json::value_t::number_integer:
      return converted(wbem::Value(json.get<std::int64_t>()), type, text);
    case Json::value_t::number_float:
      if (!wbem::isReal(type.type)) mismatch(text, type, "a fraction is no integer");
      return realValue(json.get<double>(), type, text);
    case Json::value_t::string:
      return parseScalar(text, type);
    case Json::value_t::object: {
      if (type.type != CimType::Object) mismatch(text, type, "a JSON object is an embedded object");
      return converted(wbem::Value(wbem::share(instanceFromJson(json, lookup, type.className))), type, text);
    }
    default:
      mismatch(text, type, "unsupported JSON value");
  }
}

wbem::ClassObject instanceFromJson(const Json& json, const ClassLookup& lookup, const std::string& defaultClass) {
  if (!json.is_object())
    throw wbem::Error(wbem::WBEM_E_INVALID_PARAMETER, "expected a JSON object, not " + jsonLine(json));
  std::string className = defaultClass;
  if (const auto it = json.find("__CLASS"); it != json.end()) {
    if (!it->is_string()) throw wbem::Error(wbem::WBEM_E_INVALID_PARAMETER, "__CLASS must be a string");
    className = it->get<std::string>();
  }
  if (className.empty())
    throw wbem::Error(wbem::WBEM_E_INVALID_PARAMETER, "the JSON object has no __CLASS to say what it is");
  wbem::ClassObject instance = lookup(className).spawnInstance();
  for (const auto& [name, value] : json.items()) {
    if (wbem::iequals(name, "__CLASS")) continue;
    try {
      instance.put(name, valueFromJson(value, instance.getPropertyType(name), lookup));
    } catch (const wbem::Error& error) {
      throw wbem::Error(error.status(), className + "." + name + ": " + error.message());
    }
  }
  return instance;
}

}  // namespace wbemctl
