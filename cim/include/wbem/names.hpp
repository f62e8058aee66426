#pragma once
// CIM names (classes, properties, qualifiers, methods, namespaces) compare case-insensitively,
// as in WMI. These helpers fold ASCII only: CIM names are identifiers.

#include <cstddef>
#include <string>
#include <string_view>

namespace wbem {

/// ASCII lower-case of one character.
constexpr char asciiLower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

/// Case-insensitive equality of two names. Thread-safe.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (asciiLower(a[i]) != asciiLower(b[i])) return false;
  return true;
}

/// Case-insensitive three-way comparison of two names: <0, 0 or >0. Thread-safe.
constexpr int icompare(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = a.size() < b.size() ? a.size() : b.size();
  for (std::size_t i = 0; i < n; ++i) {
    const char x = asciiLower(a[i]), y = asciiLower(b[i]);
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

/// The name in lower case (a lookup key).
inline std::string lowerName(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = asciiLower(c);
  return out;
}

/// Hash and equality for unordered containers keyed by case-insensitive names (transparent).
struct NameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    std::size_t h = 14695981039346656037ull;  // FNV-1a over the folded bytes
    for (char c : s) h = (h ^ static_cast<unsigned char>(asciiLower(c))) * 1099511628211ull;
    return h;
  }
};
struct NameEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept { return iequals(a, b); }
};
/// Ordering for std::map keyed by case-insensitive names (transparent).
struct NameLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept { return icompare(a, b) < 0; }
};

}  // namespace wbem
