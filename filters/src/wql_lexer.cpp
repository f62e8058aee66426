// The WQL tokenizer.
//
// Decisions (the WMI documentation is silent on them):
// - String escapes are exactly \\, \" and \' (spec Q17). Any other backslash sequence is an error
//   rather than a literal backslash, so "C:\temp" cannot silently mean something else than meant;
//   a backslash is written \\ as in every WMI path example.
// - A sign belongs to the number it touches (`-5`, `+0x10`); WQL has no arithmetic, so a lone
//   '+' or '-' is an error. Numbers: decimal or 0x hex integers, reals with a fraction and/or an
//   exponent (`1.5`, `.5`, `1e3`, `-2.5E-3`). Integers are sint64, or uint64 above INT64_MAX.
// - Identifiers are [A-Za-z_][A-Za-z0-9_]*, and any non-ASCII byte counts as a letter because CIM
//   names may use non-ASCII letters.

#include "wql_lexer.hpp"

#include "unicode_fold.hpp"

#include <wbem/names.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

namespace wbem::wql {
namespace {

constexpr std::array<std::pair<std::string_view, Keyword>, 16> kKeywords{{
    {"SELECT", Keyword::Select},
    {"FROM", Keyword::From},
    {"WHERE", Keyword::Where},
    {"WITHIN", Keyword::Within},
    {"GROUP", Keyword::Group},
    {"BY", Keyword::By},
    {"HAVING", Keyword::Having},
    {"AND", Keyword::And},
    {"OR", Keyword::Or},
    {"NOT", Keyword::Not},
    {"LIKE", Keyword::Like},
    {"ISA", Keyword::Isa},
    {"IS", Keyword::Is},
    {"NULL", Keyword::Null},
    {"TRUE", Keyword::True},
    {"FALSE", Keyword::False},
}};

bool isDigit(char c) noexcept { return c >= '0' && c <= '9'; }
bool isHexDigit(char c) noexcept { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool isNameStart(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}
bool isNameChar(char c) noexcept { return isNameStart(c) || isDigit(c); }

int hexDigitValue(char c) noexcept {
  if (isDigit(c)) return c - '0';
  return asciiLower(c) - 'a' + 10;
}

}  // namespace

void Lexer::advance() noexcept {
  const char c = text_[pos_++];
  if (c == '\n') {
    ++line_;
    column_ = 1;
  } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
    // Continuation bytes do not start a character, so columns count code points.
    ++column_;
  }
}

void Lexer::skipSpace() noexcept {
  while (!atEnd()) {
    const char c = peek();
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\f' && c != '\v') break;
    advance();
  }
}

void Lexer::fail(const Token& at, std::string message) const {
  throw Error(WBEM_E_INVALID_QUERY, std::move(message), TextPosition{"", at.line, at.column});
}

Token Lexer::next() {
  skipSpace();
  Token t;
  t.line = line_;
  t.column = column_;
  const std::size_t start = pos_;
  if (atEnd()) {
    t.text = text_.substr(pos_, 0);
    return t;
  }
  const char c = peek();
  const auto punct = [&](TokenKind kind, std::size_t length) {
    for (std::size_t i = 0; i < length; ++i) advance();
    t.kind = kind;
    t.text = text_.substr(start, length);
    return t;
  };
  if (isNameStart(c)) {
    while (!atEnd() && isNameChar(peek())) advance();
    t.kind = TokenKind::Name;
    t.text = text_.substr(start, pos_ - start);
    for (const auto& [word, keyword] : kKeywords)
      if (iequals(word, t.text)) t.keyword = keyword;
    return t;
  }
  if (c == '"' || c == '\'') {
    lexString(t);
    t.text = text_.substr(start, pos_ - start);
    return t;
  }
  if (isDigit(c) || (c == '.' && isDigit(peek(1))) ||
      ((c == '-' || c == '+') && (isDigit(peek(1)) || (peek(1) == '.' && isDigit(peek(2)))))) {
    lexNumber(t);
    t.text = text_.substr(start, pos_ - start);
    return t;
  }
  switch (c) {
    case '*':
      return punct(TokenKind::Star, 1);
    case ',':
      return punct(TokenKind::Comma, 1);
    case '.':
      return punct(TokenKind::Dot, 1);
    case '(':
      return punct(TokenKind::LeftParen, 1);
    case ')':
      return punct(TokenKind::RightParen, 1);
    case '=':
      return punct(TokenKind::Equal, 1);
    case '<':
      if (peek(1) == '>') return punct(TokenKind::NotEqual, 2);
      if (peek(1) == '=') return punct(TokenKind::LessEqual, 2);
      return punct(TokenKind::Less, 1);
    case '>':
      if (peek(1) == '=') return punct(TokenKind::GreaterEqual, 2);
      return punct(TokenKind::Greater, 1);
    case '!':
      if (peek(1) == '=') return punct(TokenKind::NotEqual, 2);
      break;
    default:
      break;
  }
  // Show the whole (possibly multi-byte) character in the message.
  std::size_t end = pos_;
  detail::decodeUtf8(text_, end);
  fail(t, "unexpected character '" + std::string(text_.substr(start, end - start)) + "'");
}

void Lexer::lexString(Token& t) {
  const char quote = peek();
  advance();
  std::string value;
  for (;;) {
    if (atEnd()) fail(t, std::string("string starting here has no closing ") + quote);
    const char c = peek();
    if (c == quote) {
      advance();
      break;
    }
    if (c == '\\') {
      Token escape;
      escape.line = line_;
      escape.column = column_;
      advance();
      if (atEnd()) fail(t, std::string("string starting here has no closing ") + quote);
      const char e = peek();
      if (e != '\\' && e != '"' && e != '\'') {
        std::size_t end = pos_;
        detail::decodeUtf8(text_, end);
        fail(escape, "unknown escape '\\" + std::string(text_.substr(pos_, end - pos_)) +
                         "' in a string (the escapes are \\\\, \\\" and \\')");
      }
      value += e;
      advance();
      continue;
    }
    value += c;
    advance();
  }
  t.kind = TokenKind::String;
  t.value = Value(std::move(value));
}

void Lexer::lexNumber(Token& t) {
  const std::size_t start = pos_;
  bool negative = false;
  if (peek() == '-' || peek() == '+') {
    negative = peek() == '-';
    advance();
  }
  const std::size_t digitsStart = pos_;
  const auto malformed = [&]() {
    while (!atEnd() && (isNameChar(peek()) || peek() == '.')) advance();
    fail(t, "malformed number '" + std::string(text_.substr(start, pos_ - start)) + "'");
  };
  const auto outOfRange = [&](std::string_view what) {
    fail(t,
         "number '" + std::string(text_.substr(start, pos_ - start)) + "' is out of the range of " + std::string(what));
  };
  const auto integerValue = [&](std::uint64_t magnitude) {
    constexpr std::uint64_t kMaxSigned = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (negative) {
      if (magnitude > kMaxSigned + 1) outOfRange("sint64");
      // Two's complement negation of the magnitude, well defined for INT64_MIN too.
      t.value = Value(static_cast<long long>(0 - magnitude));
    } else if (magnitude <= kMaxSigned) {
      t.value = Value(static_cast<long long>(magnitude));
    } else {
      t.value = Value(static_cast<unsigned long long>(magnitude));
    }
    t.kind = TokenKind::Integer;
  };

  if (peek() == '0' && (peek(1) == 'x' || peek(1) == 'X')) {
    advance();
    advance();
    if (!isHexDigit(peek())) malformed();
    std::uint64_t magnitude = 0;
    bool overflow = false;
    while (isHexDigit(peek())) {
      if (magnitude > (std::numeric_limits<std::uint64_t>::max() >> 4)) overflow = true;
      magnitude = (magnitude << 4) | static_cast<std::uint64_t>(hexDigitValue(peek()));
      advance();
    }
    if (isNameChar(peek()) || peek() == '.') malformed();
    if (overflow) outOfRange(negative ? "sint64" : "uint64");
    integerValue(magnitude);
    return;
  }

  bool real = false;
  while (isDigit(peek())) advance();
  if (peek() == '.' && isDigit(peek(1))) {
    real = true;
    advance();
    while (isDigit(peek())) advance();
  }
  if (peek() == 'e' || peek() == 'E') {
    const std::size_t exponentDigits = (peek(1) == '+' || peek(1) == '-') ? 2 : 1;
    if (!isDigit(peek(exponentDigits))) malformed();
    real = true;
    for (std::size_t i = 0; i < exponentDigits; ++i) advance();
    while (isDigit(peek())) advance();
  }
  if (isNameChar(peek()) || peek() == '.') malformed();

  if (real) {
    // from_chars does not take a '+' sign; the sign is applied here instead.
    const std::string_view digits = text_.substr(digitsStart, pos_ - digitsStart);
    double v = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc() || end != digits.data() + digits.size() || !std::isfinite(v)) outOfRange("real64");
    t.kind = TokenKind::Real;
    t.value = Value(negative ? -v : v);
    return;
  }
  std::uint64_t magnitude = 0;
  bool overflow = false;
  for (std::size_t i = digitsStart; i < pos_; ++i) {
    const auto digit = static_cast<std::uint64_t>(text_[i] - '0');
    if (magnitude > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) overflow = true;
    magnitude = magnitude * 10 + digit;
  }
  if (overflow) outOfRange(negative ? "sint64" : "uint64");
  integerValue(magnitude);
}

std::string describe(const Token& t) {
  if (t.kind == TokenKind::End) return "end of query";
  constexpr std::size_t kShown = 40;
  if (t.text.size() <= kShown)
    return t.kind == TokenKind::String ? std::string(t.text) : "'" + std::string(t.text) + "'";
  // Cut on a character boundary so the message stays valid UTF-8.
  std::size_t cut = kShown;
  while (cut > 0 && (static_cast<unsigned char>(t.text[cut]) & 0xC0) == 0x80) --cut;
  const std::string shown = std::string(t.text.substr(0, cut)) + "...";
  return t.kind == TokenKind::String ? shown : "'" + shown + "'";
}

}  // namespace wbem::wql
