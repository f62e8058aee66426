// WQL LIKE: OMI's 136 vectors, sets and ranges, case folding beyond ASCII, UTF-8 characters, and
// patterns that would take exponential time with a backtracking matcher.

#include <wbem/wql.hpp>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <string>
#include <vector>

using namespace wbem;

namespace {

// One line of like_vectors.jsonl: a flat JSON object of string and boolean members.
std::map<std::string, std::string> readFlatObject(const std::string& line) {
  std::map<std::string, std::string> out;
  std::size_t pos = 0;
  const auto skip = [&]() {
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == ',' || line[pos] == '{' || line[pos] == ':')) ++pos;
  };
  const auto readString = [&]() {
    REQUIRE(line.at(pos) == '"');
    std::string s;
    for (++pos; line.at(pos) != '"'; ++pos) {
      if (line[pos] == '\\') ++pos;  // the files escape only '"' and '\'
      s += line.at(pos);
    }
    ++pos;
    return s;
  };
  for (skip(); pos < line.size() && line[pos] != '}'; skip()) {
    const std::string key = readString();
    skip();
    if (line.at(pos) == '"') {
      out[key] = readString();
    } else {
      const std::size_t end = line.find_first_of(",}", pos);
      out[key] = line.substr(pos, end - pos);
      pos = end;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("OMI LIKE vectors", "[wql][like][conformance]") {
  std::ifstream in(std::string(WBEM_SHARED_DIR) + "/conformance/omi/like_vectors.jsonl");
  REQUIRE(in.good());
  std::size_t count = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const auto row = readFlatObject(line);
    INFO("pattern '" << row.at("pattern") << "' subject '" << row.at("subject") << "'");
    REQUIRE((row.at("expected_match") == "true" || row.at("expected_match") == "false"));
    CHECK(wqlLike(row.at("subject"), row.at("pattern")) == (row.at("expected_match") == "true"));
    ++count;
  }
  CHECK(count == 136);
}

TEST_CASE("LIKE: wildcards", "[wql][like]") {
  CHECK(wqlLike("", ""));
  CHECK_FALSE(wqlLike("a", ""));
  CHECK(wqlLike("", "%"));
  CHECK(wqlLike("", "%%%"));
  CHECK_FALSE(wqlLike("", "_"));
  CHECK(wqlLike("abc", "a_c"));
  CHECK_FALSE(wqlLike("abbc", "a_c"));
  CHECK(wqlLike("abbc", "a%c"));
  CHECK(wqlLike("ac", "a%c"));
  CHECK_FALSE(wqlLike("acx", "a%c"));
  CHECK(wqlLike("Win32_Process", "%Win32%"));
  CHECK(wqlLike("__InstanceCreationEvent", "[_][_]Instance%Event"));
  CHECK(wqlLike("abcabc", "%abc"));
  CHECK(wqlLike("ababab", "%ab%ab"));
  CHECK_FALSE(wqlLike("ababa", "%ab%ab"));
  CHECK(wqlLike("mississippi", "m%iss%ppi"));
  CHECK(wqlLike("mississippi", "%s_i%"));
  CHECK_FALSE(wqlLike("mississippi", "%s_s%z"));
}

TEST_CASE("LIKE: sets, ranges and negation", "[wql][like]") {
  CHECK(wqlLike("b", "[abc]"));
  CHECK_FALSE(wqlLike("d", "[abc]"));
  CHECK(wqlLike("d", "[^abc]"));
  CHECK_FALSE(wqlLike("a", "[^abc]"));
  CHECK(wqlLike("m", "[a-z]"));
  CHECK_FALSE(wqlLike("5", "[a-z]"));
  CHECK(wqlLike("5", "[0-9]"));
  CHECK(wqlLike("x7", "[a-z][0-9]"));
  CHECK(wqlLike("q", "[a-cp-r]"));
  CHECK_FALSE(wqlLike("m", "[a-cp-r]"));
  CHECK(wqlLike("-", "[-a]"));
  CHECK(wqlLike("-", "[a-]"));
  CHECK_FALSE(wqlLike("b", "[-a]"));
  CHECK(wqlLike("]", "[]]"));
  CHECK(wqlLike("]x", "[]a]x"));
  CHECK_FALSE(wqlLike("]", "[^]]"));
  CHECK(wqlLike("a", "[^]]"));
  CHECK(wqlLike("^", "[x^]"));
  CHECK_FALSE(wqlLike("m", "[z-a]"));  // a reversed range holds nothing
  // Escaping the wildcards with a one-element set.
  CHECK(wqlLike("_", "[_]"));
  CHECK_FALSE(wqlLike("x", "[_]"));
  CHECK(wqlLike("%", "[%]"));
  CHECK_FALSE(wqlLike("x", "[%]"));
  CHECK(wqlLike("[", "[[]"));
  CHECK(wqlLike("50%", "50[%]"));
  CHECK_FALSE(wqlLike("500", "50[%]"));
  CHECK(wqlLike("a_b", "a[_]b"));
  CHECK_FALSE(wqlLike("axb", "a[_]b"));
  // Sets are case-insensitive too.
  CHECK(wqlLike("B", "[abc]"));
  CHECK(wqlLike("b", "[ABC]"));
  CHECK(wqlLike("M", "[a-z]"));
  CHECK(wqlLike("m", "[A-Z]"));
  CHECK_FALSE(wqlLike("M", "[^a-z]"));
  CHECK(wqlLike("D", "[c-e]"));
}

TEST_CASE("LIKE: malformed patterns match nothing", "[wql][like]") {
  CHECK_FALSE(wqlLike("[", "["));
  CHECK_FALSE(wqlLike("[abc", "[abc"));
  CHECK_FALSE(wqlLike("a", "[a"));
  CHECK_FALSE(wqlLike("a", "[^"));
  CHECK_FALSE(wqlLike("]", "[]"));
  CHECK_FALSE(wqlLike("anything", "%[a-"));
  // A stray ']' is an ordinary character.
  CHECK(wqlLike("a]", "a]"));
}

TEST_CASE("LIKE: case folding, ASCII and Unicode", "[wql][like]") {
  CHECK(wqlLike("STRING", "s_r%"));
  CHECK(wqlLike("cat", "CAT"));
  CHECK(wqlLike("cAt", "Cat"));
  // Latin-1
  CHECK(wqlLike("\xC3\x89T\xC3\x89", "\xC3\xA9t\xC3\xA9"));  // ÉTÉ / été
  CHECK(wqlLike("\xC3\x9E", "\xC3\xBE"));                    // Þ / þ
  CHECK_FALSE(wqlLike("\xC3\x97", "\xC3\xB7"));              // × and ÷ are not a case pair
  CHECK(wqlLike("\xC5\xB8", "\xC3\xBF"));                    // Ÿ / ÿ
  CHECK(wqlLike("\xC2\xB5", "\xCE\xBC"));                    // micro sign / mu
  // Latin Extended-A
  CHECK(
      wqlLike("\xC5\x81\xC3\x93"
              "D\xC5\xB9",
              "\xC5\x82\xC3\xB3"
              "d\xC5\xBA"));               // ŁÓDŹ / łódź
  CHECK(wqlLike("\xC4\x8C", "\xC4\x8D"));  // Č / č
  CHECK(wqlLike("\xC4\xBD", "\xC4\xBE"));  // Ľ / ľ (odd capitals)
  CHECK(wqlLike("\xC5\xBF", "S"));         // long s folds to s
  CHECK_FALSE(wqlLike("\xC4\xB0", "i"));   // İ has no simple folding
  // Greek
  CHECK(
      wqlLike("\xCE\xA3\xCE\x95\xCE\x9B\xCE\x97\xCE\x9D\xCE\x97", "\xCF\x83\xCE\xB5\xCE\xBB\xCE\xB7\xCE\xBD\xCE\xB7"));
  CHECK(wqlLike("\xCF\x82", "\xCE\xA3"));  // final sigma / Sigma
  CHECK(wqlLike("\xCE\x86", "\xCE\xAC"));  // Ά / ά
  CHECK(wqlLike("\xCE\x8F", "\xCF\x8E"));  // Ώ / ώ
  // Cyrillic
  CHECK(
      wqlLike("\xD0\x9C\xD0\x9E\xD0\xA1\xD0\x9A\xD0\x92\xD0\x90", "\xD0\xBC\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0"));
  CHECK(wqlLike("\xD0\x81", "\xD1\x91"));  // Ё / ё
  CHECK(wqlLike("\xD0\x84", "\xD1\x94"));  // Є / є
  CHECK(wqlLike("\xD2\x90", "\xD2\x91"));  // Ґ / ґ
  CHECK(wqlLike("\xD3\x81", "\xD3\x82"));  // Ӂ / ӂ
  CHECK(wqlLike("\xD3\x80", "\xD3\x8F"));  // Ӏ / ӏ
  // Armenian, Latin Extended Additional, fullwidth
  CHECK(wqlLike("\xD4\xB1", "\xD5\xA1"));          // Ա / ա
  CHECK(wqlLike("\xE1\xB8\x80", "\xE1\xB8\x81"));  // Ḁ / ḁ
  CHECK(wqlLike("\xE1\xBA\x9E", "\xC3\x9F"));      // ẞ / ß
  CHECK(wqlLike("\xEF\xBC\xA1", "\xEF\xBD\x81"));  // Ａ / ａ
  // Unrelated letters stay apart.
  CHECK_FALSE(wqlLike("\xCE\xB1", "a"));  // alpha is not a
  CHECK_FALSE(wqlLike("\xD0\xB0", "a"));  // Cyrillic a is not Latin a
  // Folding inside patterns with wildcards and sets.
  CHECK(wqlLike("\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82", "\xD0\xBF%\xD0\xA2"));
  CHECK(wqlLike("\xC3\x84", "[\xC3\xA0-\xC3\xA5]"));  // Ä in [à-å]
}

TEST_CASE("LIKE: '_' and sets take one character, not one byte", "[wql][like]") {
  CHECK(wqlLike("\xC3\xA9", "_"));          // é: two bytes
  CHECK(wqlLike("\xE2\x82\xAC", "_"));      // €: three bytes
  CHECK(wqlLike("\xF0\x9F\x98\x80", "_"));  // emoji: four bytes
  CHECK_FALSE(wqlLike("\xF0\x9F\x98\x80", "__"));
  CHECK(
      wqlLike("a\xE2\x82\xAC"
              "b",
              "a_b"));
  CHECK(wqlLike("\xE2\x82\xAC", "[\xE2\x82\xAC$]"));
  CHECK(wqlLike("\xE2\x82\xAC", "[^a-z]"));
  CHECK(wqlLike("caf\xC3\xA9", "caf_"));
  CHECK(wqlLike("caf\xC3\xA9", "%\xC3\x89"));
  // Invalid UTF-8 bytes are characters of their own and only match themselves (or '_').
  CHECK(wqlLike("\xFF", "_"));
  CHECK(
      wqlLike("a\xFF"
              "b",
              "a\xFF"
              "b"));
  CHECK_FALSE(
      wqlLike("a\xFE"
              "b",
              "a\xFF"
              "b"));
  CHECK(wqlLike("\xC3", "_"));  // truncated sequence
  CHECK_FALSE(wqlLike("\xC3", "__"));
}

TEST_CASE("LIKE: pathological patterns finish quickly", "[wql][like]") {
  // With backtracking these take time exponential in the number of '%'; here O(n x m).
  std::string pattern;
  for (int i = 0; i < 200; ++i) pattern += "a%";
  const std::string subject(5000, 'a');
  CHECK_FALSE(wqlLike(subject, pattern + "b"));
  CHECK(wqlLike(subject, pattern));
  CHECK(wqlLike(subject + "b", pattern + "b"));

  std::string underscores;
  for (int i = 0; i < 100; ++i) underscores += "%_";
  CHECK_FALSE(wqlLike(std::string(99, 'x'), underscores));
  CHECK(wqlLike(std::string(100, 'x'), underscores));

  std::string sets;
  for (int i = 0; i < 100; ++i) sets += "%[ab]";
  CHECK_FALSE(wqlLike(std::string(3000, 'a') + "c", sets + "c%d"));
}
