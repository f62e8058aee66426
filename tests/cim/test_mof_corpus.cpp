// The MOF corpus: every realistic and conformance file compiles without a diagnostic, and every
// deliberately broken file gives exactly the diagnostics (line, column, status) it lists in its
// `// expect: LINE:COLUMN STATUS` comments, without changing any namespace.

#include <algorithm>
#include <catch2/catch.hpp>
#include <regex>

#include "test_mof_support.hpp"

using namespace wbem;

TEST_CASE("mof corpus: every file compiles cleanly, in order", "[mof][corpus]") {
  testing::Namespaces ns;
  MofCompiler compiler(ns.resolver());
  const auto files = testing::mofCorpus();
  REQUIRE(files.size() >= 30);
  std::size_t classes = 0, instances = 0;
  for (const auto& file : files) {
    INFO(file.string());
    const MofResult r = compiler.compileFile(file);
    INFO(testing::diagnosticsText(r));
    CHECK(r.ok());
    CHECK(r.applied);
    classes += r.classes;
    instances += r.instances;
  }
  CHECK(classes >= 60);
  CHECK(instances >= 40);
  Namespace& root = ns["root\\default"];
  CHECK(root.findClass("CIM_RunningOS"));
  CHECK(root.findClass("Test_Indication"));
  CHECK(root.enumInstances("wqlTestClass").size() == 10);
  CHECK(ns["root\\subscription"].enumInstances("__FilterToConsumerBinding").size() == 1);
  CHECK(ns["root\\nsTest\\child"].enumInstances("NsTest_B").size() == 1);
}

namespace {

struct Expected {
  std::uint32_t line, column;
  std::string status;
  friend bool operator==(const Expected&, const Expected&) = default;
};

std::vector<Expected> expectations(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  const std::regex re(R"(// expect: (\d+):(\d+) (WBEM_E_[A-Z_]+))");
  std::vector<Expected> out;
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, re))
      out.push_back({static_cast<std::uint32_t>(std::stoul(m[1])), static_cast<std::uint32_t>(std::stoul(m[2])), m[3]});
  }
  return out;
}

}  // namespace

TEST_CASE("mof corpus: broken files give their expected diagnostics and change nothing", "[mof][corpus]") {
  const auto dir = std::filesystem::path(WBEM_TEST_DATA_DIR) / "mof" / "broken";
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".mof") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 10);
  for (const auto& file : files) {
    INFO(file.string());
    testing::Namespaces ns;
    const std::size_t systemClasses = ns["root\\default"].enumClasses().size();
    const MofResult r = MofCompiler(ns.resolver()).compileFile(file);
    INFO(testing::diagnosticsText(r));
    const auto expected = expectations(file);
    REQUIRE(!expected.empty());
    std::vector<Expected> actual;
    for (const MofDiagnostic& d : r.diagnostics) {
      CHECK(d.position.source == file.string());
      actual.push_back({d.position.line, d.position.column, statusName(d.status)});
    }
    CHECK(actual == expected);
    CHECK(!r.applied);
    CHECK(ns["root\\default"].enumClasses().size() == systemClasses);
  }
}

TEST_CASE("mof corpus: wbemctl mof prints a summary, and errors with exit code 1", "[mof][corpus]") {
  const auto data = std::filesystem::path(WBEM_TEST_DATA_DIR) / "mof";
  std::ostringstream out, err;
  CHECK(runMofCommand({(data / "good/01_event_classes.mof").string(), (data / "good/02_methods.mof").string()}, false,
                      out, err) == 0);
  CHECK(out.str().find("compiled 4 classes, 0 instances in root\\default") != std::string::npos);
  CHECK(err.str().empty());
  std::ostringstream out2, err2;
  CHECK(runMofCommand({(data / "broken/02_unknown_class.mof").string()}, true, out2, err2) == 1);
  CHECK(err2.str().find("02_unknown_class.mof:3:13: class 'Unknown_Class' is not defined (WBEM_E_INVALID_CLASS "
                        "0x80041010)") != std::string::npos);
  std::ostringstream out3, err3;
  CHECK(runMofCommand({(data / "good/05_literals.mof").string()}, true, out3, err3) == 0);
  CHECK(out3.str().find(": OK, 1 class, 2 instances") != std::string::npos);
}
