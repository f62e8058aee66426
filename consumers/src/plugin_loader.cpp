// Loading consumer plugins: dlopen, the versioned entry point, and a provider that keeps its
// library loaded for as long as it lives.

#include <wbem/permanent_subscriptions.hpp>

#include <dlfcn.h>
#include <memory>
#include <string>

namespace wbem {
namespace {

[[noreturn]] void fail(const std::filesystem::path& module, const std::string& cause) {
  throw Error(WBEM_E_PROVIDER_LOAD_FAILURE, "consumer plugin " + module.string() + ": " + cause);
}

std::string lastDlError() {
  const char* text = dlerror();
  return text != nullptr ? text : "unknown error";
}

}  // namespace

std::shared_ptr<EventConsumerProvider> loadConsumerPlugin(const std::filesystem::path& module) {
  // RTLD_LOCAL keeps one plugin's symbols from resolving another's.
  std::shared_ptr<void> library(dlopen(module.c_str(), RTLD_NOW | RTLD_LOCAL), [](void* handle) {
    if (handle != nullptr) dlclose(handle);
  });
  if (!library) fail(module, "cannot be loaded: " + lastDlError());
  dlerror();
  void* symbol = dlsym(library.get(), "wbem_consumer_plugin");
  if (symbol == nullptr) fail(module, "does not export wbem_consumer_plugin (built without WBEM_CONSUMER_PLUGIN?)");
  using EntryPoint = const WbemConsumerPlugin* (*)();
  const WbemConsumerPlugin* plugin = reinterpret_cast<EntryPoint>(symbol)();
  if (plugin == nullptr) fail(module, "wbem_consumer_plugin returned no plugin table");
  // The version first: the rest of a table of another ABI means nothing.
  if (plugin->abiVersion != WBEM_CONSUMER_PLUGIN_ABI)
    fail(module, "was built for plugin ABI " + std::to_string(plugin->abiVersion) + ", this wbem has ABI " +
                     std::to_string(WBEM_CONSUMER_PLUGIN_ABI) + ": rebuild it against this version");
  if (plugin->create == nullptr) fail(module, "its plugin table has no create function");
  EventConsumerProvider* provider = nullptr;
  try {
    provider = plugin->create();
  } catch (const std::exception& e) {
    fail(module, std::string("its provider's constructor threw: ") + e.what());
  } catch (...) {
    fail(module, "its provider's constructor threw a non-standard exception");
  }
  if (provider == nullptr) fail(module, "its provider's constructor returned null");
  // The deleter holds the library, so its code stays mapped until the provider is gone.
  return std::shared_ptr<EventConsumerProvider>(provider, [library](EventConsumerProvider* p) { delete p; });
}

}  // namespace wbem
