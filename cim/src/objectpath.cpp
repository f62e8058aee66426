// Object path parsing and formatting, after WMI's object path grammar (WMI Object Path Requirements).
//
// Decisions:
// - No whitespace anywhere outside quoted strings; every fault is WBEM_E_INVALID_OBJECT_PATH with its
//   column (line 1).
// - A path must name a class or an instance: a namespace alone (`\\.\root\cimv2`) is refused.
// - Server names are letters, digits, `_`, `-`, `.` and non-ASCII bytes; `.` is the local machine.
//   Namespace, class and key names are identifiers (letters, digits, `_`, non-ASCII; no leading digit).
//   A leading single separator before the namespace (`\root\x:C`) is accepted and dropped.
// - Key values: "..." with the escapes \" and \\ only; '...' without escapes (as WMI's lexer);
//   decimal integers with an optional '-', and 0x hex; TRUE/FALSE in any case. Quoted values stay
//   String values, also when they hold a path: the text cannot tell a reference key from a string key,
//   the schema can (Value::convertTo). Integers are sint64 unless above INT64_MAX, then uint64.
// - `Class="v"` (WMI's unnamed single key) is a KeyBinding with an empty name; it formats back as
//   `Class="v"`.
// - Formatting always uses double quotes, decimal integers, TRUE/FALSE; datetime keys are quoted DMTF
//   text and char16 keys their code unit as an integer (WMI holds char16 as a 16-bit integer).
// - Equality: server, namespace, class and key names compare case-insensitively, key order does not
//   matter, string key values compare case-insensitively (ASCII folding; WMI compares paths without
//   case), integers by value whatever their width, and a string equals a reference or datetime of the
//   same text.

#include <wbem/names.hpp>
#include <wbem/objectpath.hpp>
#include <wbem/status.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

namespace wbem {
namespace {

bool isSeparator(char c) { return c == '\\' || c == '/'; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isIdentStart(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}
bool isIdentChar(char c) { return isIdentStart(c) || isDigit(c); }
bool isServerChar(char c) { return isIdentChar(c) || c == '-' || c == '.'; }

bool isIdentifier(std::string_view s) {
  return !s.empty() && isIdentStart(s.front()) && std::all_of(s.begin(), s.end(), isIdentChar);
}

[[noreturn]] void invalid(std::string message) { throw Error(WBEM_E_INVALID_OBJECT_PATH, std::move(message)); }

// What a key value is for formatting and comparison.
enum class KeyKind { Text, Integer, Boolean, Invalid };

KeyKind keyKind(const Value& v) {
  if (v.isNull() || v.isArray()) return KeyKind::Invalid;
  switch (v.type()) {
    case CimType::String:
    case CimType::Reference:
    case CimType::DateTime:
      return KeyKind::Text;
    case CimType::Boolean:
      return KeyKind::Boolean;
    case CimType::Char16:
      return KeyKind::Integer;
    default:
      return isInteger(v.type()) ? KeyKind::Integer : KeyKind::Invalid;
  }
}

std::string keyText(const Value& v) { return v.type() == CimType::DateTime ? v.asDateTime().toString() : v.asString(); }

// An integer key as sign and magnitude, so that sint64 and uint64 values compare by value.
std::pair<bool, std::uint64_t> keyInteger(const Value& v) {
  if (!isSigned(v.type())) return {false, v.asUInt64()};
  const std::int64_t x = v.asInt64();
  return {x < 0, x < 0 ? 0 - static_cast<std::uint64_t>(x) : static_cast<std::uint64_t>(x)};
}

bool keyValuesEqual(const Value& a, const Value& b) {
  const KeyKind kind = keyKind(a);
  if (kind != keyKind(b)) return false;
  switch (kind) {
    case KeyKind::Text:
      return iequals(keyText(a), keyText(b));
    case KeyKind::Integer:
      return keyInteger(a) == keyInteger(b);
    case KeyKind::Boolean:
      return a.asBool() == b.asBool();
    case KeyKind::Invalid:
      break;
  }
  return false;
}

void appendQuoted(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

void appendKeyValue(std::string& out, const Value& v) {
  switch (keyKind(v)) {
    case KeyKind::Text:
      appendQuoted(out, keyText(v));
      break;
    case KeyKind::Integer: {
      const auto [negative, magnitude] = keyInteger(v);
      if (negative) out += '-';
      out += std::to_string(magnitude);
      break;
    }
    case KeyKind::Boolean:
      out += v.asBool() ? "TRUE" : "FALSE";
      break;
    case KeyKind::Invalid:
      // forInstance() and parse() admit no such key, so no path holds one.
      break;
  }
}

// The parts of a parsed path, in the order of the text.
struct ParsedPath {
  std::string server;
  std::string ns;
  std::string className;
  std::vector<KeyBinding> keys;
  bool singleton = false;
};

// Recursive descent over the path text; positions are byte offsets, reported 1-based.
class PathParser {
 public:
  explicit PathParser(std::string_view text) : text_(text) {}

  ParsedPath parse() {
    if (isSeparator(peek()) && pos_ + 1 < text_.size() && isSeparator(text_[pos_ + 1])) {
      pos_ += 2;
      const std::size_t start = pos_;
      while (!atEnd() && isServerChar(peek())) ++pos_;
      if (pos_ == start) unexpected("server name", start);
      path_.server = std::string(text_.substr(start, pos_ - start));
      if (!isSeparator(peek())) unexpected("'\\' and a namespace", pos_);
      ++pos_;
      namespaceList();
    } else if (isSeparator(peek())) {
      ++pos_;
      namespaceList();
    } else {
      // A leading identifier is a namespace when a separator or ':' follows it, else the class.
      const std::size_t start = pos_;
      identifier("class or namespace name");
      const char next = peek();
      pos_ = start;
      if (isSeparator(next) || next == ':') namespaceList();
    }
    path_.className = std::string(identifier("class name"));
    objectRest();
    return std::move(path_);
  }

 private:
  bool atEnd() const { return pos_ >= text_.size(); }
  char peek() const { return atEnd() ? '\0' : text_[pos_]; }

  // What stands at `pos` for a message: a quoted character, a byte value, whitespace or the end.
  std::string found(std::size_t pos) const {
    if (pos >= text_.size()) return "end of path";
    const char c = text_[pos];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') return "whitespace";
    if (c > 0x20 && c < 0x7f) return std::string("'") + c + "'";
    return "byte 0x" + std::string(1, "0123456789abcdef"[(c >> 4) & 0xf]) + "0123456789abcdef"[c & 0xf];
  }

  [[noreturn]] void fail(const std::string& what, std::size_t pos) const {
    throw Error(WBEM_E_INVALID_OBJECT_PATH, "invalid object path \"" + std::string(text_) + "\": " + what,
                TextPosition{{}, 1, static_cast<std::uint32_t>(pos + 1)});
  }
  [[noreturn]] void unexpected(const std::string& expected, std::size_t pos) const {
    fail(expected + " expected, found " + found(pos), pos);
  }

  std::string_view identifier(const char* what) {
    const std::size_t start = pos_;
    if (!isIdentStart(peek())) unexpected(what, pos_);
    while (!atEnd() && isIdentChar(peek())) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  // ident { sep ident } ':' -- the namespace of a path, stored with `\` separators.
  void namespaceList() {
    std::string ns(identifier("namespace name"));
    while (isSeparator(peek())) {
      ++pos_;
      ns += '\\';
      ns += identifier("namespace name");
    }
    // A namespace alone names no object: a class name must follow.
    if (peek() != ':') unexpected("':' and a class name", pos_);
    ++pos_;
    path_.ns = std::move(ns);
  }

  // What follows the class name: nothing, `=@`, `=value` or `.k=v{,k=v}`.
  void objectRest() {
    if (atEnd()) return;
    if (peek() == '=') {
      ++pos_;
      if (peek() == '@') {
        ++pos_;
        path_.singleton = true;
      } else {
        path_.keys.push_back(KeyBinding{{}, keyValue()});
      }
      if (!atEnd()) unexpected("end of path", pos_);
      return;
    }
    if (peek() != '.') unexpected("'.', '=' or end of path", pos_);
    ++pos_;
    while (true) {
      const std::size_t namePos = pos_;
      std::string name(identifier("key name"));
      for (const KeyBinding& k : path_.keys)
        if (iequals(k.name, name)) fail("duplicate key '" + name + "'", namePos);
      if (peek() != '=') unexpected("'=' after the key name", pos_);
      ++pos_;
      path_.keys.push_back(KeyBinding{std::move(name), keyValue()});
      if (atEnd()) return;
      if (peek() != ',') unexpected("',' or end of path", pos_);
      ++pos_;
    }
  }

  Value keyValue() {
    const char c = peek();
    if (c == '"') return doubleQuoted();
    if (c == '\'') return singleQuoted();
    if (isDigit(c) || c == '-') return integer();
    if (isIdentStart(c)) {
      const std::size_t start = pos_;
      const std::string_view word = identifier("key value");
      if (iequals(word, "TRUE")) return Value(true);
      if (iequals(word, "FALSE")) return Value(false);
      fail("key value expected (a quoted string, an integer, TRUE or FALSE), found '" + std::string(word) + "'", start);
    }
    unexpected("key value", pos_);
  }

  Value doubleQuoted() {
    const std::size_t open = pos_++;
    std::string s;
    while (true) {
      if (atEnd()) fail("string not closed", open);
      const char c = text_[pos_];
      if (c == '"') break;
      if (c == '\\') {
        if (pos_ + 1 >= text_.size()) fail("string not closed", open);
        const char e = text_[pos_ + 1];
        if (e != '\\' && e != '"') fail("invalid escape '\\" + std::string(1, e) + "' (only \\\" and \\\\)", pos_);
        s += e;
        pos_ += 2;
        continue;
      }
      s += c;
      ++pos_;
    }
    ++pos_;
    return Value(std::move(s));
  }

  // WMI's lexer takes single-quoted strings without escapes: 'C:\temp' is C:\temp.
  Value singleQuoted() {
    const std::size_t open = pos_++;
    const std::size_t close = text_.find('\'', pos_);
    if (close == std::string_view::npos) fail("string not closed", open);
    std::string s(text_.substr(pos_, close - pos_));
    pos_ = close + 1;
    return Value(std::move(s));
  }

  Value integer() {
    const std::size_t start = pos_;
    const bool negative = peek() == '-';
    if (negative) ++pos_;
    const bool hex = !negative && peek() == '0' && pos_ + 1 < text_.size() && (text_[pos_ + 1] | 0x20) == 'x';
    if (hex) pos_ += 2;
    const unsigned base = hex ? 16 : 10;
    std::uint64_t magnitude = 0;
    const std::size_t digitsStart = pos_;
    while (!atEnd()) {
      const char c = peek();
      unsigned d;
      if (isDigit(c)) {
        d = static_cast<unsigned>(c - '0');
      } else if (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
        d = static_cast<unsigned>((c | 0x20) - 'a' + 10);
      } else {
        break;
      }
      if (magnitude > (std::numeric_limits<std::uint64_t>::max() - d) / base) fail("integer out of range", start);
      magnitude = magnitude * base + d;
      ++pos_;
    }
    if (pos_ == digitsStart) unexpected(hex ? "hexadecimal digit" : "digit", pos_);
    constexpr auto kMaxSigned = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (negative) {
      if (magnitude > kMaxSigned + 1) fail("integer out of range", start);
      // -(2^63) has no positive int64 counterpart: negate in unsigned arithmetic.
      return Value(static_cast<std::int64_t>(0 - magnitude));
    }
    if (magnitude > kMaxSigned) return Value(magnitude);
    return Value(static_cast<std::int64_t>(magnitude));
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  ParsedPath path_;
};

}  // namespace

std::string normalizeNamespace(std::string_view ns) {
  std::string out;
  out.reserve(ns.size());
  for (char c : ns) {
    if (isSeparator(c)) {
      // Runs of separators collapse; a leading one is dropped here, a trailing one below.
      if (!out.empty() && out.back() != '\\') out += '\\';
    } else {
      out += c;
    }
  }
  if (!out.empty() && out.back() == '\\') out.pop_back();
  return out;
}

ObjectPath ObjectPath::parse(std::string_view text) {
  ParsedPath parts = PathParser(text).parse();
  ObjectPath path;
  path.server_ = std::move(parts.server);
  path.namespace_ = std::move(parts.ns);
  path.class_ = std::move(parts.className);
  path.keys_ = std::move(parts.keys);
  path.singleton_ = parts.singleton;
  return path;
}

ObjectPath ObjectPath::forClass(std::string className) {
  if (!isIdentifier(className)) invalid("invalid class name '" + className + "'");
  ObjectPath path;
  path.class_ = std::move(className);
  return path;
}

ObjectPath ObjectPath::forInstance(std::string className, std::vector<KeyBinding> keys) {
  ObjectPath path = forClass(std::move(className));
  if (keys.empty()) invalid("an instance path of " + path.class_ + " needs at least one key");
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const KeyBinding& k = keys[i];
    // The unnamed key is WMI's `Class=value` shortcut, which only exists for a single key.
    if (!(k.name.empty() && keys.size() == 1) && !isIdentifier(k.name))
      invalid("invalid key name '" + k.name + "' in a path of " + path.class_);
    for (std::size_t j = 0; j < i; ++j)
      if (iequals(keys[j].name, k.name)) invalid("duplicate key '" + k.name + "' in a path of " + path.class_);
    if (keyKind(k.value) == KeyKind::Invalid) {
      const std::string what = k.value.isNull()    ? std::string("NULL")
                               : k.value.isArray() ? std::string("an array")
                                                   : "of type " + std::string(cimTypeName(k.value.type()));
      invalid("key '" + k.name + "' of " + path.class_ + " is " + what + ", which a path cannot hold");
    }
  }
  std::stable_sort(keys.begin(), keys.end(),
                   [](const KeyBinding& a, const KeyBinding& b) { return icompare(a.name, b.name) < 0; });
  path.keys_ = std::move(keys);
  return path;
}

ObjectPath ObjectPath::forSingleton(std::string className) {
  ObjectPath path = forClass(std::move(className));
  path.singleton_ = true;
  return path;
}

void ObjectPath::setNamespace(std::string_view ns) {
  std::string normal = normalizeNamespace(ns);
  std::string_view rest = normal;
  while (!rest.empty()) {
    const std::size_t sep = rest.find('\\');
    if (!isIdentifier(rest.substr(0, sep)))
      throw Error(WBEM_E_INVALID_NAMESPACE, "invalid namespace name '" + std::string(ns) + "'");
    rest = sep == std::string_view::npos ? std::string_view() : rest.substr(sep + 1);
  }
  namespace_ = std::move(normal);
}

const Value* ObjectPath::key(std::string_view name) const noexcept {
  for (const KeyBinding& k : keys_)
    if (iequals(k.name, name)) return &k.value;
  return nullptr;
}

std::string ObjectPath::relativePath() const {
  std::string out = class_;
  if (singleton_) {
    out += "=@";
  } else if (keys_.size() == 1 && keys_.front().name.empty()) {
    out += '=';
    appendKeyValue(out, keys_.front().value);
  } else {
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      out += i == 0 ? '.' : ',';
      out += keys_[i].name;
      out += '=';
      appendKeyValue(out, keys_[i].value);
    }
  }
  return out;
}

std::string ObjectPath::toString() const {
  std::string out;
  // WMI's grammar has no server without a namespace, so a server alone is not written.
  if (!namespace_.empty()) {
    if (!server_.empty()) out += "\\\\" + server_ + '\\';
    out += namespace_;
    out += ':';
  }
  return out + relativePath();
}

bool operator==(const ObjectPath& a, const ObjectPath& b) {
  if (!iequals(a.server_, b.server_) || !iequals(a.namespace_, b.namespace_) || !iequals(a.class_, b.class_) ||
      a.singleton_ != b.singleton_ || a.keys_.size() != b.keys_.size())
    return false;
  // Names are unique within a path, so matching each key of `a` by name covers `b` too.
  for (const KeyBinding& k : a.keys_) {
    const Value* other = b.key(k.name);
    if (!other || !keyValuesEqual(k.value, *other)) return false;
  }
  return true;
}

}  // namespace wbem
