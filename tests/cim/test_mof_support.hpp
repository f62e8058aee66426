#pragma once
// Shared by the MOF corpus tests: the corpus file list and in-memory namespaces to compile into.

#include <wbem/mof.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace wbem::testing {

/// The files of tests/data/mof/corpus.txt, as paths, in order.
inline std::vector<std::filesystem::path> mofCorpus() {
  const std::filesystem::path data = std::filesystem::path(WBEM_TEST_DATA_DIR) / "mof";
  std::ifstream list(data / "corpus.txt");
  std::vector<std::filesystem::path> out;
  for (std::string line; std::getline(list, line);) {
    if (line.empty() || line[0] == '#') continue;
    if (line.starts_with("shared/"))
      out.push_back(std::filesystem::path(WBEM_SHARED_DIR) / "conformance" / line.substr(7));
    else
      out.push_back(data / line);
  }
  return out;
}

/// Namespaces created on demand, as `wbemctl mof` has them.
struct Namespaces {
  std::map<std::string, std::unique_ptr<Namespace>, NameLess> spaces;

  NamespaceResolver resolver() {
    return [this](const std::string& name) -> Namespace* {
      auto& ns = spaces[name];
      if (!ns) ns = std::make_unique<Namespace>(name);
      return ns.get();
    };
  }
  Namespace& operator[](const std::string& name) { return *resolver()(name); }
};

/// All diagnostics of a result, one per line (for test failure messages).
inline std::string diagnosticsText(const MofResult& r) {
  std::string s;
  for (const MofDiagnostic& d : r.diagnostics) s += d.toString() + "\n";
  return s;
}

}  // namespace wbem::testing
