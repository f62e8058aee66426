// Loading consumer plugins (issue 7): a good plugin serves a permanent subscription through
// __Win32Provider.Module; each way a load fails is reported with WBEM_E_PROVIDER_LOAD_FAILURE and
// a message naming the cause, and takes nothing else down.

#include <wbem/mof.hpp>
#include <wbem/permanent_subscriptions.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "fixture.hpp"
#include "support.hpp"

using namespace wbem;
using namespace wbemtest;

namespace {

std::string loadError(const std::filesystem::path& module) {
  const Error e = errorOf([&] { loadConsumerPlugin(module); });
  CHECK(e.status() == WBEM_E_PROVIDER_LOAD_FAILURE);
  CHECK(e.message().find(module.string()) != std::string::npos);
  return e.message();
}

}  // namespace

TEST_CASE("each way a plugin fails to load is reported with its cause") {
  CHECK(loadError("/nonexistent/libnothing.so").find("cannot be loaded") != std::string::npos);
  CHECK(loadError(WBEM_TEST_NO_ENTRY_PLUGIN).find("does not export wbem_consumer_plugin") != std::string::npos);
  CHECK(loadError(WBEM_TEST_WRONG_ABI_PLUGIN).find("plugin ABI 42") != std::string::npos);
  CHECK(loadError(WBEM_TEST_THROWING_PLUGIN).find("no configuration found") != std::string::npos);
}

TEST_CASE("a plugin named by __Win32Provider.Module serves a permanent subscription") {
  World w(Time::Real);
  PermanentSubscriptions permanent(w.service);
  const auto out = std::filesystem::temp_directory_path() / ("wbem-plugin-" + std::to_string(getpid()) + ".txt");
  std::filesystem::remove(out);
  MofCompiler compiler([&](const std::string& name) { return w.service.findNamespace(name); });
  const MofResult result = compiler.compileText(R"(
      #pragma namespace("\\\\.\\root\\subscription")
      class LineConsumer : __EventConsumer { [key] string Name; };
      instance of __Win32Provider as $P { Name = "Lines"; Module = ")" WBEM_TEST_RECORDING_PLUGIN R"("; };
      instance of __EventConsumerProviderRegistration { provider = $P; ConsumerClassNames = {"LineConsumer"}; };
      instance of __EventFilter as $F { Name = "F"; QueryLanguage = "WQL"; Query = "SELECT * FROM E";
                                        EventNamespace = "root\\test"; };
      instance of LineConsumer as $C { Name = ")" + out.string() +
                                                    R"("; };
      instance of __FilterToConsumerBinding { Filter = $F; Consumer = $C; };
      instance of __Win32Provider as $Bad { Name = "Broken"; Module = ")" WBEM_TEST_THROWING_PLUGIN R"("; };
      class BrokenConsumer : __EventConsumer { [key] string Name; };
      instance of __EventConsumerProviderRegistration { provider = $Bad; ConsumerClassNames = {"BrokenConsumer"}; };
      instance of BrokenConsumer as $B { Name = "b"; };
      instance of __FilterToConsumerBinding { Filter = $F; Consumer = $B; };
  )",
                                                "plugin.mof");
  for (const auto& d : result.diagnostics) INFO(d.toString());
  REQUIRE(result.ok());

  const auto bindings = permanent.bindings();
  REQUIRE(bindings.size() == 2);
  for (const BindingStatus& b : bindings) {
    INFO(b.consumer << ": " << b.reason);
    CHECK(b.active == (b.consumer.find("LineConsumer") != std::string::npos));
    if (!b.active) CHECK(b.reason.find("no configuration found") != std::string::npos);
  }
  w.raise(w.event("first"));
  w.raise(w.event("second"));
  w.settle();
  std::ifstream in(out);
  std::ostringstream text;
  text << in.rdbuf();
  CHECK(text.str() == "first\nsecond\n");
  std::filesystem::remove(out);
}
