#pragma once
// Internals of the WQL parser shared between its source files: the tokenizer, and the LIKE
// pattern check the parser applies to LIKE literals (wql_like.cpp owns the pattern syntax).

#include <wbem/status.hpp>
#include <wbem/value.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wbem::wql {

enum class TokenKind : std::uint8_t {
  End,
  Name,  // identifiers and keywords (Token::keyword tells them apart)
  String,
  Integer,
  Real,
  Star,
  Comma,
  Dot,
  LeftParen,
  RightParen,
  Equal,
  NotEqual,  // <> and !=
  Less,
  LessEqual,
  Greater,
  GreaterEqual,
};

// The reserved words of the grammar; none of them can name a class or a property (spec Q21).
enum class Keyword : std::uint8_t {
  None,
  Select,
  From,
  Where,
  Within,
  Group,
  By,
  Having,
  And,
  Or,
  Not,
  Like,
  Isa,
  Is,
  Null,
  True,
  False,
};

struct Token {
  TokenKind kind = TokenKind::End;
  Keyword keyword = Keyword::None;
  std::string_view text;  // as written (strings with their quotes)
  Value value;            // String: the unescaped text; Integer: sint64/uint64; Real: real64
  std::uint32_t line = 1;
  std::uint32_t column = 1;
};

// Splits a WQL text into tokens, one at a time, so that the first error in text order is the one
// reported. Columns count characters (UTF-8 code points) from 1. Not thread-safe (one per parse).
class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  // The next token; End (repeatedly) at the end of the text. Throws WBEM_E_INVALID_QUERY for a
  // character that starts no token, an unterminated string, a bad escape or a malformed number.
  Token next();

 private:
  char peek(std::size_t ahead = 0) const noexcept { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }
  bool atEnd(std::size_t ahead = 0) const noexcept { return pos_ + ahead >= text_.size(); }
  void advance() noexcept;  // one byte, keeping line and column
  void skipSpace() noexcept;
  [[noreturn]] void fail(const Token& at, std::string message) const;
  void lexString(Token& t);
  void lexNumber(Token& t);

  std::string_view text_;
  std::size_t pos_ = 0;
  std::uint32_t line_ = 1;
  std::uint32_t column_ = 1;
};

// A token as error messages show it: 'FORM', "abc", or "end of query". Thread-safe.
std::string describe(const Token& t);

// Where a LIKE pattern is malformed (a '[' without its ']'): the byte offset of that '[' in the
// pattern, or nullopt when the pattern is well formed. Thread-safe.
std::optional<std::size_t> likePatternError(std::string_view pattern);

}  // namespace wbem::wql
