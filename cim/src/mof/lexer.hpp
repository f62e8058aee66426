#pragma once
// Tokens of the MOF language (DMTF DSP0221 as accepted by Microsoft's mofcomp).
// Positions are 1-based; a column counts bytes of the UTF-8 text (a tab is one column).

#include <wbem/status.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace wbem::mof {

/// A place in one source text.
struct Loc {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};

enum class TokenKind {
  End,         ///< end of the text
  Identifier,  ///< names and keywords (keywords are recognised by the parser, case-insensitively)
  Integer,     ///< decimal, hex (0x), octal (leading 0) or binary (b suffix); magnitude only
  Real,
  String,  ///< one quoted literal, escapes decoded to UTF-8 (the parser joins adjacent ones)
  Char16,  ///< 'c'
  Alias,   ///< $Name (text holds Name)
  Punct,   ///< one of { } ( ) [ ] ; , : = + - #
  Error,   ///< a lexical error: status and text describe it
};

struct Token {
  TokenKind kind = TokenKind::End;
  Loc loc;
  std::string text;  ///< identifier, decoded string, alias name, punctuation or error message
  std::uint64_t integer = 0;
  double real = 0;
  char16_t char16 = 0;
  Status status = WBEM_S_NO_ERROR;  ///< for Error tokens

  /// True for the punctuation `c`. Thread-safe.
  bool isPunct(char c) const noexcept { return kind == TokenKind::Punct && text.size() == 1 && text[0] == c; }
  /// True for an identifier spelled `word` in any case. Thread-safe.
  bool isWord(std::string_view word) const noexcept;
};

/// Splits a MOF text into tokens, skipping white space and comments. Never throws on bad input:
/// a malformed token comes back as an Error token and scanning resumes after it.
/// Safety: one instance per thread; the text must outlive the lexer.
class Lexer {
 public:
  /// A lexer at the start of `text` (a UTF-8 byte order mark is skipped).
  explicit Lexer(std::string_view text);

  /// The next token (End forever once the text is consumed).
  Token next();
  /// Number of lines seen so far (the whole text once End was returned).
  std::uint32_t line() const noexcept { return line_; }

 private:
  bool atEnd() const noexcept { return pos_ >= text_.size(); }
  char peek(std::size_t ahead = 0) const noexcept { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }
  void advance() noexcept;
  Loc here() const noexcept { return Loc{line_, static_cast<std::uint32_t>(pos_ - lineStart_ + 1)}; }
  bool skipSpaceAndComments(Token& error);
  Token error(Loc loc, std::string message, Status status = WBEM_E_INVALID_SYNTAX);
  Token lexNumber();
  Token lexString();
  Token lexChar16();
  /// Decodes the escape at the current `\` into `codePoint` and appends it to `out`. A surrogate
  /// code unit (\xD800-\xDFFF) is accepted only `inChar16`, and then not appended.
  bool lexEscape(std::string& out, char32_t& codePoint, Token& error, bool inChar16 = false);

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t lineStart_ = 0;
  std::uint32_t line_ = 1;
};

/// Appends code point `cp` to `out` as UTF-8. Thread-safe.
void appendUtf8(std::string& out, char32_t cp);

}  // namespace wbem::mof
