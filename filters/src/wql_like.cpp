// WQL LIKE matching (spec Q15) with case-insensitive comparison (decisions.md 11).
//
// Decisions:
// - Subject and pattern are decoded from UTF-8, so `_` and a set match one character, not one
//   byte. A byte that is not valid UTF-8 stands for itself (see decodeUtf8).
// - Sets: after `[` and an optional `^`, the first character is always literal, so `[]]` is a set
//   holding `]` and `[^]]` its complement; `a-z` is a range; a `-` first or last is literal. A
//   reversed range (`[z-a]`) holds nothing.
// - A `[` without a closing `]` makes the whole pattern malformed: wqlLike() then matches nothing,
//   and parseWql() rejects such a LIKE literal with WBEM_E_INVALID_QUERY (likePatternError()).
// - Case folding is Unicode simple case folding (CaseFolding.txt, status C and S) for these blocks:
//   Basic Latin, Latin-1 Supplement, Latin Extended-A, Greek and Coptic, Cyrillic, Cyrillic
//   Supplement, Armenian, Latin Extended Additional and the fullwidth Latin letters. Characters
//   elsewhere compare exactly. The C library's towlower() depends on the process locale (and the C
//   and C.UTF-8 locales fold little or nothing), hence the table below.
// - Matching is the two-cursor wildcard scan: every element but `%` consumes exactly one character,
//   so remembering only the last `%` is enough. That is O(|subject| x |pattern|) at worst and never
//   exponential (OMI's `a%a%a%...b` vectors).

#include <wbem/wql.hpp>

#include <vector>

#include "wql_lexer.hpp"

namespace wbem {
namespace {

// Simple case folding of one code point for the blocks listed above; anything else is returned as is.
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

struct Range {
  char32_t low;
  char32_t high;
};

// One pattern element: `%`, `_`, a literal character or a set (ranges [first, first + count)).
struct Element {
  enum class Kind : std::uint8_t { AnyRun, AnyOne, Literal, Set };
  Kind kind = Kind::Literal;
  bool negated = false;
  char32_t folded = 0;  // Literal
  std::size_t first = 0;
  std::size_t count = 0;
};

struct Pattern {
  std::vector<Element> elements;
  std::vector<Range> ranges;
};

// Compiles `pattern`; false when a '[' has no ']' (errorOffset: that '[').
bool compile(std::string_view pattern, Pattern& out, std::size_t& errorOffset) {
  std::size_t pos = 0;
  while (pos < pattern.size()) {
    const std::size_t at = pos;
    const char32_t c = wql::decodeUtf8(pattern, pos);
    Element e;
    if (c == '%') {
      // Consecutive runs are one run; keeping them apart only costs time.
      if (!out.elements.empty() && out.elements.back().kind == Element::Kind::AnyRun) continue;
      e.kind = Element::Kind::AnyRun;
    } else if (c == '_') {
      e.kind = Element::Kind::AnyOne;
    } else if (c == '[') {
      e.kind = Element::Kind::Set;
      e.first = out.ranges.size();
      if (pos < pattern.size() && pattern[pos] == '^') {
        e.negated = true;
        ++pos;
      }
      bool closed = false;
      bool firstMember = true;
      while (pos < pattern.size()) {
        if (pattern[pos] == ']' && !firstMember) {
          ++pos;
          closed = true;
          break;
        }
        firstMember = false;
        const char32_t low = wql::decodeUtf8(pattern, pos);
        char32_t high = low;
        if (pos + 1 < pattern.size() && pattern[pos] == '-' && pattern[pos + 1] != ']') {
          ++pos;
          high = wql::decodeUtf8(pattern, pos);
        }
        out.ranges.push_back({low, high});
      }
      if (!closed) {
        errorOffset = at;
        return false;
      }
      e.count = out.ranges.size() - e.first;
    } else {
      e.folded = foldCase(c);
    }
    out.elements.push_back(e);
  }
  return true;
}

bool inSet(const Pattern& p, const Element& e, char32_t c, char32_t folded) noexcept {
  bool found = false;
  for (std::size_t i = e.first; i < e.first + e.count && !found; ++i) {
    const Range& r = p.ranges[i];
    // Either the character or its folding lies in the range, or in the range's folding: `[A-C]`
    // takes 'b', `[a-c]` takes 'B'.
    found = (c >= r.low && c <= r.high) || (folded >= r.low && folded <= r.high) ||
            (folded >= foldCase(r.low) && folded <= foldCase(r.high));
  }
  return found != e.negated;
}

}  // namespace

namespace wql {

std::optional<std::size_t> likePatternError(std::string_view pattern) {
  // Only a '[' can make a pattern malformed, so most patterns skip the compile.
  if (pattern.find('[') == std::string_view::npos) return std::nullopt;
  Pattern compiled;
  std::size_t errorOffset = 0;
  if (!compile(pattern, compiled, errorOffset)) return errorOffset;
  return std::nullopt;
}

}  // namespace wql

bool wqlLike(std::string_view subject, std::string_view pattern) {
  Pattern compiled;
  std::size_t errorOffset = 0;
  if (!compile(pattern, compiled, errorOffset)) return false;

  std::vector<char32_t> raw;
  std::vector<char32_t> folded;
  raw.reserve(subject.size());
  folded.reserve(subject.size());
  for (std::size_t pos = 0; pos < subject.size();) {
    const char32_t c = wql::decodeUtf8(subject, pos);
    raw.push_back(c);
    folded.push_back(foldCase(c));
  }

  const std::vector<Element>& elements = compiled.elements;
  const auto matchesOne = [&](const Element& e, std::size_t s) {
    switch (e.kind) {
      case Element::Kind::AnyOne:
        return true;
      case Element::Kind::Literal:
        return e.folded == folded[s];
      case Element::Kind::Set:
        return inSet(compiled, e, raw[s], folded[s]);
      case Element::Kind::AnyRun:
        break;
    }
    return false;
  };

  constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::size_t p = 0;
  std::size_t s = 0;
  std::size_t runResume = kNone;  // element after the last '%' seen
  std::size_t runSubject = 0;     // subject position that '%' was last tried to end at
  while (s < raw.size()) {
    if (p < elements.size() && elements[p].kind == Element::Kind::AnyRun) {
      runResume = ++p;
      runSubject = s;
    } else if (p < elements.size() && matchesOne(elements[p], s)) {
      ++p;
      ++s;
    } else if (runResume != kNone) {
      // Let the last '%' swallow one more character and retry what follows it.
      p = runResume;
      s = ++runSubject;
    } else {
      return false;
    }
  }
  while (p < elements.size() && elements[p].kind == Element::Kind::AnyRun) ++p;
  return p == elements.size();
}

}  // namespace wbem
