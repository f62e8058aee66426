// Objects as MOF or JSON, and errors as one line (output.hpp).

#include "output.hpp"

#include <charconv>
#include <ostream>

namespace wbemctl {

Json toJson(const wbem::Value& value) {
  using wbem::CimType;
  if (value.isNull()) return nullptr;
  if (value.isArray()) {
    Json array = Json::array();
    for (const wbem::Value& element : value.asArray()) array.push_back(toJson(element));
    return array;
  }
  switch (value.type()) {
    case CimType::Boolean:
      return value.asBool();
    case CimType::SInt8:
    case CimType::SInt16:
    case CimType::SInt32:
    case CimType::SInt64:
      return value.asInt64();
    case CimType::UInt8:
    case CimType::UInt16:
    case CimType::UInt32:
    case CimType::UInt64:
      return value.asUInt64();
    case CimType::Real32: {
      // The shortest digits that give back the same float, not those of the double it is held in.
      char buffer[32];
      const auto result = std::to_chars(buffer, buffer + sizeof buffer, static_cast<float>(value.asReal()));
      double shortest = 0;
      std::from_chars(buffer, result.ptr, shortest);
      return shortest;
    }
    case CimType::Real64:
      return value.asReal();
    case CimType::DateTime:
      return value.asDateTime().toString();
    case CimType::Object:
      return toJson(*value.asObject());
    default:  // strings, references (path text) and char16 (the character)
      return value.toText();
  }
}

Json toJson(const wbem::ClassObject& object) {
  Json json = Json::object();
  json["__CLASS"] = object.className();
  for (const wbem::PropertyDef& property : object.definition().properties())
    json[property.name] = toJson(object.get(property.name));
  return json;
}

std::string jsonLine(const Json& json) { return json.dump(-1, ' ', false, nlohmann::detail::error_handler_t::replace); }

void printObject(std::ostream& out, const wbem::ClassObject& object, OutputFormat format) {
  if (format == OutputFormat::Json) {
    out << jsonLine(toJson(object)) << '\n';
  } else {
    const std::string text = object.getObjectText();
    out << text << (text.ends_with('\n') ? "\n" : "\n\n");
  }
  out.flush();
}

std::string errorLine(const wbem::Error& error) {
  std::string line = wbem::statusName(error.status()) + " (" + wbem::statusHex(error.status()) + "): ";
  if (const auto& position = error.position()) {
    if (!position->source.empty()) line += position->source + ":";
    line += std::to_string(position->line) + ":" + std::to_string(position->column) + ": ";
  }
  return line + error.message();
}

}  // namespace wbemctl
