// Tests of the WMI status table (names, texts, lookups) and of wbem::Error.

#include <wbem/status.hpp>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <string_view>

namespace {

// True when `text` contains `word`, ignoring ASCII case.
bool containsIgnoreCase(std::string_view text, std::string_view word) {
  return std::ranges::search(text, word, [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         }).begin() != text.end();
}

}  // namespace

TEST_CASE("findStatus returns WMI's name and text for a known code", "[status]") {
  const wbem::StatusInfo* info = wbem::findStatus(0x80041017);
  REQUIRE(info != nullptr);
  CHECK(info->code == wbem::WBEM_E_INVALID_QUERY);
  CHECK(info->name == "WBEM_E_INVALID_QUERY");
  CHECK(containsIgnoreCase(info->text, "query"));

  REQUIRE(wbem::findStatus(0) != nullptr);
  CHECK(wbem::findStatus(0)->name == "WBEM_S_NO_ERROR");
  REQUIRE(wbem::findStatus(0x80042002) != nullptr);
  CHECK(wbem::findStatus(0x80042002)->name == "WBEMESS_E_REGISTRATION_TOO_PRECISE");
  CHECK(wbem::findStatus(0x80042002)->text == "A WITHIN clause was not used in this query");
  CHECK(wbem::findStatus(0x80041084)->name == "WBEM_E_PROVIDER_ALREADY_REGISTERED");
  CHECK(wbem::findStatus(0x80043002)->name == "WBEM_E_RESOURCE_CONTENTION");
}

TEST_CASE("the text of WBEM_E_QUOTA_VIOLATION mentions quota (spec case 91)", "[status]") {
  const std::string text = wbem::statusText(0x8004106C);
  CHECK_FALSE(text.empty());
  CHECK(containsIgnoreCase(text, "quota"));
  CHECK(wbem::statusName(0x8004106C) == "WBEM_E_QUOTA_VIOLATION");
}

TEST_CASE("findStatusByName ignores case and rejects unknown names", "[status]") {
  for (const char* name : {"WBEM_E_INVALID_QUERY", "wbem_e_invalid_query", "Wbem_E_Invalid_Query"}) {
    const wbem::StatusInfo* info = wbem::findStatusByName(name);
    REQUIRE(info != nullptr);
    CHECK(info->code == wbem::WBEM_E_INVALID_QUERY);
  }
  REQUIRE(wbem::findStatusByName("wbemess_e_registration_too_broad") != nullptr);
  CHECK(wbem::findStatusByName("wbemess_e_registration_too_broad")->code == 0x80042001);
  CHECK(wbem::findStatusByName("WBEM_E_NO_SUCH_THING") == nullptr);
  CHECK(wbem::findStatusByName("WBEM_E_INVALID_QUER") == nullptr);
  CHECK(wbem::findStatusByName("") == nullptr);
}

TEST_CASE("unknown codes get hex names and a generic text", "[status]") {
  CHECK(wbem::findStatus(0x80041FFF) == nullptr);
  CHECK(wbem::findStatus(0x8004105E) == nullptr);  // the one gap in WMI's 0x80041001-0x8004108A run
  CHECK(wbem::statusName(0x80041FFF) == "0x80041FFF");
  CHECK(wbem::statusName(0x2A) == "0x0000002A");
  CHECK(wbem::statusText(0x80041FFF) == "Unknown WMI status code 0x80041FFF");
  CHECK(wbem::statusHex(0x80041017) == "0x80041017");
  CHECK(wbem::statusHex(0) == "0x00000000");
  CHECK(wbem::statusHex(0xFFFFFFFF) == "0xFFFFFFFF");
}

TEST_CASE("isError follows the severity bit", "[status]") {
  CHECK_FALSE(wbem::isError(wbem::WBEM_S_NO_ERROR));
  CHECK_FALSE(wbem::isError(wbem::WBEM_S_FALSE));
  CHECK_FALSE(wbem::isError(wbem::WBEM_S_SUBJECT_TO_SDS));
  CHECK(wbem::isError(wbem::WBEM_E_FAILED));
  CHECK(wbem::isError(wbem::WBEMESS_E_REGISTRATION_TOO_BROAD));
  CHECK(wbem::isError(0x80000000u));
  CHECK_FALSE(wbem::isError(0x7FFFFFFFu));
  for (const wbem::StatusInfo& info : wbem::allStatuses()) {
    INFO(info.name);
    CHECK(wbem::isError(info.code) == (info.name.starts_with("WBEM_E_") || info.name.starts_with("WBEMESS_E_")));
  }
}

TEST_CASE("Error::what() gives position, message, name and code", "[status]") {
  SECTION("without a position") {
    const wbem::Error error(wbem::WBEM_E_INVALID_QUERY, "unexpected token 'SELEC'");
    CHECK(std::string(error.what()) == "unexpected token 'SELEC' (WBEM_E_INVALID_QUERY 0x80041017)");
    CHECK(error.status() == wbem::WBEM_E_INVALID_QUERY);
    CHECK(error.message() == "unexpected token 'SELEC'");
    CHECK_FALSE(error.position().has_value());
  }
  SECTION("with a position in an in-memory text") {
    const wbem::Error error(wbem::WBEM_E_INVALID_QUERY, "expected FROM", {"", 1, 10});
    CHECK(std::string(error.what()) == "1:10: expected FROM (WBEM_E_INVALID_QUERY 0x80041017)");
    REQUIRE(error.position().has_value());
    CHECK(error.position()->line == 1);
    CHECK(error.position()->column == 10);
    CHECK(error.message() == "expected FROM");
  }
  SECTION("with a position in a file") {
    const wbem::Error error(wbem::WBEM_E_INVALID_SYNTAX, "missing ';'", {"classes.mof", 12, 3});
    CHECK(std::string(error.what()) == "classes.mof:12:3: missing ';' (WBEM_E_INVALID_SYNTAX 0x80041021)");
    CHECK(error.position()->source == "classes.mof");
  }
  SECTION("with a code wbem does not know") {
    const wbem::Error error(static_cast<wbem::Status>(0x80041FFF), "odd");
    CHECK(std::string(error.what()) == "odd (0x80041FFF)");
  }
  SECTION("caught as std::exception") {
    try {
      throw wbem::Error(wbem::WBEM_E_QUOTA_VIOLATION, "too many AND/OR operators");
    } catch (const std::exception& e) {
      CHECK(std::string(e.what()) == "too many AND/OR operators (WBEM_E_QUOTA_VIOLATION 0x8004106C)");
    }
  }
}

TEST_CASE("the table is sorted by code, unique and complete in every row", "[status]") {
  const auto statuses = wbem::allStatuses();
  REQUIRE(statuses.size() > 100);
  for (std::size_t i = 1; i < statuses.size(); ++i) {
    INFO(statuses[i].name);
    CHECK(statuses[i - 1].code < statuses[i].code);
  }
  for (const wbem::StatusInfo& a : statuses) {
    INFO(a.name);
    CHECK((a.name.starts_with("WBEM_") || a.name.starts_with("WBEMESS_")));
    CHECK_FALSE(a.text.empty());
    CHECK(wbem::findStatus(a.code) == &a);
    CHECK(wbem::findStatusByName(a.name) == &a);
    CHECK(wbem::statusName(a.code) == a.name);
    CHECK(wbem::statusText(a.code) == a.text);
    CHECK(std::ranges::count(statuses, a.name, &wbem::StatusInfo::name) == 1);
  }
}

TEST_CASE("every enumerator of status.hpp is in the table, and nothing else", "[status]") {
  // Parses the header itself, so an enumerator added there without a table row fails here.
  const auto header =
      (std::filesystem::path(WBEM_TEST_DATA_DIR) / "../../cim/include/wbem/status.hpp").lexically_normal();
  std::ifstream in(header);
  REQUIRE(in.is_open());
  const std::regex enumerator(R"(^\s*(WBEM\w*)\s*=\s*0x([0-9A-Fa-f]+),)");
  std::size_t count = 0;
  for (std::string line; std::getline(in, line);) {
    std::smatch match;
    if (!std::regex_search(line, match, enumerator)) continue;
    ++count;
    const std::string name = match[1];
    const auto code = static_cast<std::uint32_t>(std::stoul(match[2], nullptr, 16));
    INFO(name << " = " << wbem::statusHex(code));
    const wbem::StatusInfo* info = wbem::findStatus(code);
    REQUIRE(info != nullptr);
    CHECK(info->name == name);
  }
  CHECK(count == wbem::allStatuses().size());
}
