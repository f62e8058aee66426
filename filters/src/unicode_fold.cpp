// UTF-8 decoding and Unicode simple case folding for WQL (decisions.md 11).
//
// Case folding is Unicode simple case folding (CaseFolding.txt, status C and S) for these blocks:
// Basic Latin, Latin-1 Supplement, Latin Extended-A, Greek and Coptic, Cyrillic, Cyrillic Supplement,
// Armenian, Latin Extended Additional and the fullwidth Latin letters; characters elsewhere compare
// exactly. A table rather than towlower(): the C library's answer depends on the process locale.

#include "unicode_fold.hpp"

namespace wbem::detail {

char32_t decodeUtf8(std::string_view text, std::size_t& pos) noexcept {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char b0 = byte(pos);
  const auto invalid = [&]() {
    ++pos;
    return static_cast<char32_t>(0xDC00 + b0);
  };
  if (b0 < 0x80) {
    ++pos;
    return b0;
  }
  std::size_t length = 0;
  char32_t cp = 0;
  char32_t minimum = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2, cp = b0 & 0x1F, minimum = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3, cp = b0 & 0x0F, minimum = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4, cp = b0 & 0x07, minimum = 0x10000;
  } else {
    return invalid();
  }
  if (pos + length > text.size()) return invalid();
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(pos + i) & 0xC0) != 0x80) return invalid();
    cp = (cp << 6) | (byte(pos + i) & 0x3F);
  }
  // Overlong forms, UTF-16 surrogates and values past U+10FFFF are not characters.
  if (cp < minimum || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return invalid();
  pos += length;
  return cp;
}

char32_t foldCase(char32_t c) noexcept {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  if (c < 0x100) {
    if (c == 0xB5) return 0x3BC;                             // MICRO SIGN -> Greek mu
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;  // Latin-1 capitals, not the multiplication sign
    return c;
  }
  if (c < 0x180) {
    if (c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149) return c;  // no simple folding
    if (c == 0x178) return 0xFF;
    if (c == 0x17F) return 's';
    // Pairs: capital on even code points below U+0138 and from U+014A, on odd ones in between and after U+0178.
    const bool oddCapitals = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    return ((c & 1) == (oddCapitals ? 1u : 0u)) ? c + 1 : c;
  }
  if (c >= 0x370 && c < 0x400) {
    switch (c) {
      case 0x370:
      case 0x372:
      case 0x376:
        return c + 1;
      case 0x37F:
        return 0x3F3;
      case 0x386:
        return 0x3AC;
      case 0x38C:
        return 0x3CC;
      case 0x38E:
        return 0x3CD;
      case 0x38F:
        return 0x3CE;
      case 0x3C2:
        return 0x3C3;  // final sigma folds to sigma
      case 0x3CF:
        return 0x3D7;
      case 0x3D0:
        return 0x3B2;
      case 0x3D1:
        return 0x3B8;
      case 0x3D5:
        return 0x3C6;
      case 0x3D6:
        return 0x3C0;
      case 0x3F0:
        return 0x3BA;
      case 0x3F1:
        return 0x3C1;
      case 0x3F4:
        return 0x3B8;
      case 0x3F5:
        return 0x3B5;
      case 0x3F7:
        return 0x3F8;
      case 0x3F9:
        return 0x3F2;
      case 0x3FA:
        return 0x3FB;
      default:
        break;
    }
    if (c >= 0x388 && c <= 0x38A) return c + 37;
    if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 32;
    if (c >= 0x3D8 && c <= 0x3EF) return (c & 1) == 0 ? c + 1 : c;
    if (c >= 0x3FD && c <= 0x3FF) return c - 130;
    return c;
  }
  if (c >= 0x400 && c < 0x530) {
    if (c < 0x410) return c + 80;
    if (c < 0x430) return c + 32;
    if (c == 0x4C0) return 0x4CF;
    if (c >= 0x4C1 && c <= 0x4CE) return (c & 1) == 1 ? c + 1 : c;
    if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || c >= 0x4D0) return (c & 1) == 0 ? c + 1 : c;
    return c;
  }
  if (c >= 0x531 && c <= 0x556) return c + 48;  // Armenian
  if (c >= 0x1E00 && c <= 0x1EFF) {
    if (c == 0x1E9B) return 0x1E61;
    if (c == 0x1E9E) return 0xDF;  // capital sharp s
    if (c >= 0x1E96 && c <= 0x1E9F) return c;
    return (c & 1) == 0 ? c + 1 : c;
  }
  if (c >= 0xFF21 && c <= 0xFF3A) return c + 32;  // fullwidth A-Z
  return c;
}

std::u32string foldString(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) out.push_back(foldCase(decodeUtf8(s, i)));
  return out;
}

int compareFolded(std::string_view a, std::u32string_view b) noexcept {
  std::size_t i = 0, k = 0;
  for (; i < a.size() && k < b.size(); ++k) {
    const char32_t x = foldCase(decodeUtf8(a, i));
    if (x != b[k]) return x < b[k] ? -1 : 1;
  }
  if (i < a.size()) return 1;
  return k < b.size() ? -1 : 0;
}

}  // namespace wbem::detail
