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
// - Case folding: detail::foldCase (unicode_fold.hpp).
// - Matching is the two-cursor wildcard scan: every element but `%` consumes exactly one character,
//   so remembering only the last `%` is enough. That is O(|subject| x |pattern|) at worst and never
//   exponential (OMI's `a%a%a%...b` vectors).

#include <wbem/wql.hpp>

#include <vector>

#include "unicode_fold.hpp"
#include "wql_lexer.hpp"

namespace wbem {
namespace {

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
    const char32_t c = detail::decodeUtf8(pattern, pos);
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
        const char32_t low = detail::decodeUtf8(pattern, pos);
        char32_t high = low;
        if (pos + 1 < pattern.size() && pattern[pos] == '-' && pattern[pos + 1] != ']') {
          ++pos;
          high = detail::decodeUtf8(pattern, pos);
        }
        out.ranges.push_back({low, high});
      }
      if (!closed) {
        errorOffset = at;
        return false;
      }
      e.count = out.ranges.size() - e.first;
    } else {
      e.folded = detail::foldCase(c);
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
            (folded >= detail::foldCase(r.low) && folded <= detail::foldCase(r.high));
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
    const char32_t c = detail::decodeUtf8(subject, pos);
    raw.push_back(c);
    folded.push_back(detail::foldCase(c));
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
