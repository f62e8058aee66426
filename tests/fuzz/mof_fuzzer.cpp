// libFuzzer target of the MOF compiler: the parser alone, then the whole compiler into fresh
// in-memory namespaces. Any crash, sanitizer report, leak or timeout is a bug.

#include <wbem/mof.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "../../cim/src/mof/ast.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  wbem::mof::parseMof(text);

  std::map<std::string, std::unique_ptr<wbem::Namespace>, wbem::NameLess> spaces;
  wbem::MofOptions options;
  options.allowIncludes = false;  // the input must not make the fuzzer read files
  wbem::MofCompiler compiler(
      [&](const std::string& name) -> wbem::Namespace* {
        auto& ns = spaces[name];
        if (!ns) ns = std::make_unique<wbem::Namespace>(name);
        return ns.get();
      },
      options);
  compiler.compileText(text, "fuzz.mof");
  return 0;
}
