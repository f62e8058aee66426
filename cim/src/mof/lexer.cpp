// MOF lexer: comments, identifiers, every literal form, aliases and punctuation.

#include "lexer.hpp"

#include <wbem/names.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace wbem::mof {
namespace {

bool isIdentStart(char c) noexcept {
  // Bytes >= 0x80 are UTF-8 sequences: DSP0221 allows non-ASCII letters in names.
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}
bool isIdentChar(char c) noexcept { return isIdentStart(c) || (c >= '0' && c <= '9'); }
bool isDigit(char c) noexcept { return c >= '0' && c <= '9'; }
int hexValue(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// True when the text of a real number (digits, an optional fraction, an optional exponent) that
// does not fit a double is too close to zero rather than too large: its first significant digit
// stands below the units place.
bool underflows(std::string_view text) {
  const std::size_t e = text.find_first_of("eE");
  const std::string_view mantissa = text.substr(0, e);
  long long exponent = 0;
  if (e != std::string_view::npos) {
    std::string_view digits = text.substr(e + 1);
    const bool negative = !digits.empty() && digits.front() == '-';
    if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) digits.remove_prefix(1);
    for (char d : digits) exponent = std::min(exponent * 10 + (d - '0'), 1'000'000'000LL);  // saturates
    if (negative) exponent = -exponent;
  }
  const std::size_t point = std::min(mantissa.find('.'), mantissa.size());
  const std::size_t first = mantissa.find_first_of("123456789");
  if (first == std::string_view::npos) return true;  // zero
  // The power of ten of the first significant digit.
  const long long place =
      first < point ? static_cast<long long>(point - first) - 1 : -static_cast<long long>(first - point);
  return place + exponent < 0;
}

}  // namespace

void appendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool Token::isWord(std::string_view word) const noexcept {
  return kind == TokenKind::Identifier && iequals(text, word);
}

Lexer::Lexer(std::string_view text) : text_(text) {
  // A UTF-8 byte order mark is not part of the text.
  if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = lineStart_ = 3;
}

void Lexer::advance() noexcept {
  if (text_[pos_] == '\n') {
    ++line_;
    lineStart_ = pos_ + 1;
  }
  ++pos_;
}

Token Lexer::error(Loc loc, std::string message, Status status) {
  Token t;
  t.kind = TokenKind::Error;
  t.loc = loc;
  t.text = std::move(message);
  t.status = status;
  return t;
}

bool Lexer::skipSpaceAndComments(Token& err) {
  while (!atEnd()) {
    const char c = peek();
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
      advance();
    } else if (c == '/' && peek(1) == '/') {
      while (!atEnd() && peek() != '\n') advance();
    } else if (c == '/' && peek(1) == '*') {
      const Loc start = here();
      advance();
      advance();
      while (!atEnd() && !(peek() == '*' && peek(1) == '/')) advance();
      if (atEnd()) {
        err = error(start, "unterminated comment");
        return false;
      }
      advance();
      advance();
    } else {
      break;
    }
  }
  return true;
}

Token Lexer::next() {
  Token err;
  if (!skipSpaceAndComments(err)) return err;
  Token t;
  t.loc = here();
  if (atEnd()) return t;
  const char c = peek();
  if (isDigit(c) || (c == '.' && isDigit(peek(1)))) return lexNumber();
  if (c == '"') return lexString();
  if (c == '\'') return lexChar16();
  if (isIdentStart(c)) {
    const std::size_t start = pos_;
    while (!atEnd() && isIdentChar(peek())) advance();
    t.kind = TokenKind::Identifier;
    t.text = std::string(text_.substr(start, pos_ - start));
    return t;
  }
  if (c == '$') {
    advance();
    if (atEnd() || !isIdentStart(peek())) return error(t.loc, "'$' must be followed by an alias name");
    const std::size_t start = pos_;
    while (!atEnd() && isIdentChar(peek())) advance();
    t.kind = TokenKind::Alias;
    t.text = std::string(text_.substr(start, pos_ - start));
    return t;
  }
  static constexpr std::string_view kPunct = "{}()[];,:=+-#";
  advance();
  if (kPunct.find(c) != std::string_view::npos) {
    t.kind = TokenKind::Punct;
    t.text = std::string(1, c);
    return t;
  }
  if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
    return error(t.loc, "unexpected control character " + std::to_string(static_cast<int>(c)));
  return error(t.loc, std::string("unexpected character '") + c + "'");
}

Token Lexer::lexNumber() {
  const Loc loc = here();
  const std::size_t start = pos_;
  Token t;
  t.loc = loc;
  // Hexadecimal: 0x followed by hex digits.
  if (peek() == '0' && (peek(1) == 'x' || peek(1) == 'X')) {
    advance();
    advance();
    std::uint64_t v = 0;
    bool overflow = false;
    std::size_t digits = 0;
    while (!atEnd() && hexValue(peek()) >= 0) {
      if (v > (std::numeric_limits<std::uint64_t>::max() >> 4)) overflow = true;
      v = (v << 4) | static_cast<std::uint64_t>(hexValue(peek()));
      advance();
      ++digits;
    }
    if (digits == 0 || (!atEnd() && isIdentChar(peek()))) {
      while (!atEnd() && isIdentChar(peek())) advance();
      return error(loc, "invalid hexadecimal number '" + std::string(text_.substr(start, pos_ - start)) + "'");
    }
    if (overflow) return error(loc, "integer does not fit in 64 bits", WBEM_E_VALUE_OUT_OF_RANGE);
    t.kind = TokenKind::Integer;
    t.integer = v;
    return t;
  }
  while (!atEnd() && isDigit(peek())) advance();
  bool isRealNumber = false;
  if (peek() == '.' && isDigit(peek(1))) {
    isRealNumber = true;
    advance();
    while (!atEnd() && isDigit(peek())) advance();
  }
  if ((peek() == 'e' || peek() == 'E') &&
      (isDigit(peek(1)) || ((peek(1) == '+' || peek(1) == '-') && isDigit(peek(2))))) {
    isRealNumber = true;
    advance();
    if (peek() == '+' || peek() == '-') advance();
    while (!atEnd() && isDigit(peek())) advance();
  }
  const std::string_view digits = text_.substr(start, pos_ - start);
  if (isRealNumber) {
    if (!atEnd() && isIdentChar(peek())) {
      while (!atEnd() && isIdentChar(peek())) advance();
      return error(loc, "invalid real number '" + std::string(text_.substr(start, pos_ - start)) + "'");
    }
    double v = 0;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    // Out of range leaves `v` alone: too large is an error, too small (an underflow) is zero.
    if (ec == std::errc::result_out_of_range) {
      if (!underflows(digits)) return error(loc, "real number out of range", WBEM_E_VALUE_OUT_OF_RANGE);
      v = 0;
    }
    t.kind = TokenKind::Real;
    t.real = v;
    return t;
  }
  int base = 10;
  std::string_view body = digits;
  if ((peek() == 'b' || peek() == 'B') && !isIdentChar(peek(1))) {
    advance();
    base = 2;
  } else if (digits.size() > 1 && digits[0] == '0') {
    base = 8;
    body = digits.substr(1);
  }
  if (!atEnd() && isIdentChar(peek())) {
    while (!atEnd() && isIdentChar(peek())) advance();
    return error(loc, "invalid number '" + std::string(text_.substr(start, pos_ - start)) + "'");
  }
  std::uint64_t v = 0;
  for (char d : body) {
    const int digit = d - '0';
    if (digit >= base)
      return error(
          loc, std::string("digit '") + d + "' is not valid in " + (base == 2 ? "a binary" : "an octal") + " number");
    if (v > (std::numeric_limits<std::uint64_t>::max() - static_cast<unsigned>(digit)) / static_cast<unsigned>(base))
      return error(loc, "integer does not fit in 64 bits", WBEM_E_VALUE_OUT_OF_RANGE);
    v = v * static_cast<unsigned>(base) + static_cast<unsigned>(digit);
  }
  t.kind = TokenKind::Integer;
  t.integer = v;
  return t;
}

bool Lexer::lexEscape(std::string& out, char32_t& codePoint, Token& err, bool inChar16) {
  const Loc loc = here();
  advance();  // the backslash
  if (atEnd() || peek() == '\n') {
    err = error(loc, "unterminated escape sequence");
    return false;
  }
  const char c = peek();
  advance();
  switch (c) {
    case 'b':
      codePoint = '\b';
      break;
    case 't':
      codePoint = '\t';
      break;
    case 'n':
      codePoint = '\n';
      break;
    case 'f':
      codePoint = '\f';
      break;
    case 'r':
      codePoint = '\r';
      break;
    case '"':
      codePoint = '"';
      break;
    case '\'':
      codePoint = '\'';
      break;
    case '\\':
      codePoint = '\\';
      break;
    case 'x':
    case 'X': {
      // One to four hex digits: one UTF-16 code unit.
      char32_t v = 0;
      int n = 0;
      while (n < 4 && !atEnd() && hexValue(peek()) >= 0) {
        v = (v << 4) | static_cast<char32_t>(hexValue(peek()));
        advance();
        ++n;
      }
      if (n == 0) {
        err = error(loc, "\\x must be followed by one to four hexadecimal digits");
        return false;
      }
      // A string is UTF-8, where a lone surrogate has no place; a char16 is one UTF-16 code unit,
      // which may be one (the text getObjectText writes for such a value).
      if (v >= 0xD800 && v <= 0xDFFF) {
        if (!inChar16) {
          char hex[8];
          const std::to_chars_result printed = std::to_chars(hex, hex + sizeof hex, static_cast<unsigned>(v), 16);
          err = error(loc, "escape \\x" + std::string(hex, printed.ptr) + " is a lone UTF-16 surrogate in a string");
          return false;
        }
        codePoint = v;
        return true;
      }
      codePoint = v;
      break;
    }
    default:
      err = error(loc, std::string("unknown escape sequence '\\") + c + "'");
      return false;
  }
  appendUtf8(out, codePoint);
  return true;
}

Token Lexer::lexString() {
  Token t;
  t.loc = here();
  advance();  // opening quote
  std::string value;
  while (true) {
    if (atEnd() || peek() == '\n') return error(t.loc, "unterminated string literal");
    const char c = peek();
    if (c == '"') {
      advance();
      break;
    }
    if (c == '\\') {
      char32_t cp = 0;
      Token err;
      if (!lexEscape(value, cp, err)) {
        // Skip the rest of the literal so that scanning resumes after it.
        while (!atEnd() && peek() != '\n' && peek() != '"') {
          if (peek() == '\\' && pos_ + 1 < text_.size() && text_[pos_ + 1] != '\n') advance();
          advance();
        }
        if (!atEnd() && peek() == '"') advance();
        return err;
      }
      continue;
    }
    value += c;
    advance();
  }
  t.kind = TokenKind::String;
  t.text = std::move(value);
  return t;
}

Token Lexer::lexChar16() {
  Token t;
  t.loc = here();
  advance();  // opening quote
  if (atEnd() || peek() == '\n' || peek() == '\'') return error(t.loc, "empty or unterminated char16 literal");
  char32_t cp = 0;
  std::string scratch;
  bool escaped = false;
  if (peek() == '\\') {
    Token err;
    if (!lexEscape(scratch, cp, err, true)) return err;
    escaped = true;
  } else {
    // Decode one UTF-8 sequence.
    const auto lead = static_cast<unsigned char>(peek());
    int extra = lead < 0x80 ? 0 : (lead >> 5) == 0x6 ? 1 : (lead >> 4) == 0xE ? 2 : (lead >> 3) == 0x1E ? 3 : -1;
    if (extra < 0) return error(t.loc, "invalid UTF-8 in char16 literal");
    cp = extra == 0 ? lead : lead & (0x3F >> extra);
    advance();
    for (int i = 0; i < extra; ++i) {
      if (atEnd() || (static_cast<unsigned char>(peek()) & 0xC0) != 0x80)
        return error(t.loc, "invalid UTF-8 in char16 literal");
      cp = (cp << 6) | (static_cast<unsigned char>(peek()) & 0x3F);
      advance();
    }
  }
  if (atEnd() || peek() != '\'') {
    while (!atEnd() && peek() != '\n' && peek() != '\'') advance();
    if (!atEnd() && peek() == '\'') advance();
    return error(t.loc, "a char16 literal holds exactly one character");
  }
  advance();
  // A surrogate is accepted as an escape only: UTF-8 text cannot hold one.
  if (cp > 0xFFFF || (!escaped && cp >= 0xD800 && cp <= 0xDFFF))
    return error(t.loc, "character does not fit in one UTF-16 code unit", WBEM_E_VALUE_OUT_OF_RANGE);
  t.kind = TokenKind::Char16;
  t.char16 = static_cast<char16_t>(cp);
  return t;
}

}  // namespace wbem::mof
