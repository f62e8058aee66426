#pragma once
// UTF-8 decoding and case folding for WQL: one definition used by the lexer, LIKE, comparisons
// and the filter index, so that every part of wbem::filters agrees on what "case-insensitive" is
// (decisions.md 11).

#include <cstddef>
#include <string>
#include <string_view>

namespace wbem::detail {

/// The UTF-8 code point at `pos` (advancing `pos`); a byte that does not start a valid sequence
/// decodes to 0xDC00 + byte, so it only ever matches itself. Thread-safe.
char32_t decodeUtf8(std::string_view text, std::size_t& pos) noexcept;

/// Unicode simple case folding of one code point (see unicode_fold.cpp for the blocks covered;
/// others are returned as they are). Thread-safe.
char32_t foldCase(char32_t c) noexcept;

/// `s` decoded from UTF-8 and case-folded. Thread-safe.
std::u32string foldString(std::string_view s);

/// Three-way case-insensitive comparison of UTF-8 `a` with already folded `b`. Thread-safe.
int compareFolded(std::string_view a, std::u32string_view b) noexcept;

}  // namespace wbem::detail
