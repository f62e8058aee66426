// WMI's standard string templates: expansion of %...% variables against an event, and the
// splitting of command-line templates into arguments before any expansion.

#include <wbem/string_template.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wbem {
namespace {

bool isNameByte(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  // CIM names are letters, digits and '_'; bytes of UTF-8 sequences count as letters.
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || u >= 0x80;
}

// The dot-separated property names of a variable, or nothing when `name` is not a property path
// (then its `%` is plain text).
std::vector<std::string_view> splitPath(std::string_view name) {
  std::vector<std::string_view> path;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    const std::string_view segment = name.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (segment.empty()) return {};
    for (const char c : segment)
      if (!isNameByte(c)) return {};
    path.push_back(segment);
    if (dot == std::string_view::npos) return path;
    start = dot + 1;
  }
}

// One array element as the templates print it; a one-element array of it prints just that element,
// quoted as Value::toText quotes array elements.
void appendElement(std::string& out, const Value& element) {
  if (!element.isNull()) out += Value(element.type(), ValueArray{element}).toText();
}

// The values at `path` below `value`, spread over arrays of embedded objects on the way and over
// an array at the end; a missing property or a NULL object on the way gives a NULL leaf.
void collectLeaves(const Value& value, std::span<const std::string_view> path, std::vector<Value>& leaves) {
  if (path.empty()) {
    if (value.isArray() && !value.isNull())
      leaves.insert(leaves.end(), value.asArray().begin(), value.asArray().end());
    else
      leaves.push_back(value);
    return;
  }
  if (value.isNull() || value.type() != CimType::Object) {
    leaves.emplace_back();
    return;
  }
  if (value.isArray()) {
    for (const Value& element : value.asArray()) collectLeaves(element, path, leaves);
    return;
  }
  const ClassObject& object = *value.asObject();
  if (object.hasProperty(path.front()))
    collectLeaves(object.get(path.front()), path.subspan(1), leaves);
  else
    leaves.emplace_back();
}

void appendVariable(std::string& out, const ClassObject& event, std::span<const std::string_view> path) {
  if (!event.hasProperty(path.front())) return;
  Value value = event.get(path.front());
  for (std::size_t i = 1; i < path.size(); ++i) {
    if (value.isNull() || value.type() != CimType::Object) return;
    if (value.isArray()) {
      std::vector<Value> leaves;
      collectLeaves(value, path.subspan(i), leaves);
      if (leaves.size() == 1) {
        appendElement(out, leaves.front());
        return;
      }
      out += '(';
      for (std::size_t j = 0; j < leaves.size(); ++j) {
        if (j != 0) out += ',';
        appendElement(out, leaves[j]);
      }
      out += ')';
      return;
    }
    const ObjectPtr object = value.asObject();  // a copy: `value` is overwritten below
    if (!object->hasProperty(path[i])) return;
    value = object->get(path[i]);
  }
  out += value.toText();
}

// Expands the variables of `text`, in which quotes have no meaning.
void appendExpanded(std::string& out, std::string_view text, const ClassObject& event) {
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t percent = text.find('%', i);
    if (percent == std::string_view::npos) {
      out += text.substr(i);
      return;
    }
    out += text.substr(i, percent - i);
    if (percent + 1 < text.size() && text[percent + 1] == '%') {
      out += '%';
      i = percent + 2;
      continue;
    }
    const std::size_t close = text.find('%', percent + 1);
    const std::vector<std::string_view> path = close == std::string_view::npos
                                                   ? std::vector<std::string_view>{}
                                                   : splitPath(text.substr(percent + 1, close - percent - 1));
    if (path.empty()) {
      out += '%';
      i = percent + 1;
      continue;
    }
    appendVariable(out, event, path);
    i = close + 1;
  }
}

bool isBlank(char c) noexcept { return c == ' ' || c == '\t'; }

}  // namespace

std::string formatTemplate(std::string_view text, const ClassObject& event) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    // Only a pair of quotes makes a literal: an unpaired quote is plain text.
    const std::size_t open = text.find('"', i);
    const std::size_t close = open == std::string_view::npos ? open : text.find('"', open + 1);
    if (close == std::string_view::npos) {
      appendExpanded(out, text.substr(i), event);
      break;
    }
    appendExpanded(out, text.substr(i, open - i), event);
    out += text.substr(open, close - open + 1);
    i = close + 1;
  }
  return out;
}

std::vector<TemplateArgument> parseTemplateArguments(std::string_view commandLine) {
  std::vector<TemplateArgument> arguments;
  std::size_t i = 0;
  while (true) {
    while (i < commandLine.size() && isBlank(commandLine[i])) ++i;
    if (i == commandLine.size()) return arguments;
    TemplateArgument argument;
    std::string text;
    bool quoted = false;
    bool sawQuote = false;
    const auto endSegment = [&] {
      if (!text.empty()) argument.push_back(TemplateSegment{std::move(text), quoted});
      text.clear();
    };
    while (i < commandLine.size() && (quoted || !isBlank(commandLine[i]))) {
      const char c = commandLine[i];
      if (c == '\\') {
        std::size_t count = 0;
        while (i + count < commandLine.size() && commandLine[i + count] == '\\') ++count;
        i += count;
        const bool beforeQuote = i < commandLine.size() && commandLine[i] == '"';
        text.append(beforeQuote ? count / 2 : count, '\\');
        if (beforeQuote && count % 2 == 1) {
          text += '"';
          ++i;
        }
      } else if (c == '"') {
        endSegment();
        quoted = !quoted;
        sawQuote = true;
        ++i;
      } else {
        text += c;
        ++i;
      }
    }
    endSegment();
    if (argument.empty() && sawQuote) argument.push_back(TemplateSegment{"", true});  // `""`
    arguments.push_back(std::move(argument));
  }
}

std::string formatTemplateArgument(const TemplateArgument& argument, const ClassObject& event) {
  std::string out;
  for (const TemplateSegment& segment : argument) {
    if (segment.literal)
      out += segment.text;
    else
      appendExpanded(out, segment.text, event);
  }
  return out;
}

}  // namespace wbem
