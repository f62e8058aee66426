// consumer-plugin host: the event service with permanent subscriptions, the DiskFullEvent class
// and a provider for it in root\demo. It compiles alert.mof (which registers the AlertFileConsumer
// plugin and binds it to a filter), raises three events and prints the lines the plugin wrote.
// Exits 0 when the plugin wrote exactly the two events the filter selects.

#include <wbem/event_service.hpp>
#include <wbem/mof.hpp>
#include <wbem/permanent_subscriptions.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>

namespace {

// An event provider that hands its sink to main().
class DiskProvider : public wbem::EventProvider {
 public:
  wbem::Status provideEvents(std::shared_ptr<wbem::EventSink> sink, std::int32_t) override {
    std::lock_guard lock(mutex_);
    sink_ = std::move(sink);
    return wbem::WBEM_S_NO_ERROR;
  }
  std::shared_ptr<wbem::EventSink> sink() {
    std::lock_guard lock(mutex_);
    return sink_;
  }

 private:
  std::mutex mutex_;
  std::shared_ptr<wbem::EventSink> sink_;
};

}  // namespace

int main() {
  try {
    // The alert file is relative: write it in a scratch directory.
    const auto workDir = std::filesystem::temp_directory_path() / "wbem-consumer-plugin-example";
    std::filesystem::remove_all(workDir);
    std::filesystem::create_directories(workDir);
    std::filesystem::current_path(workDir);

    wbem::EventService service;
    wbem::PermanentSubscriptions permanent(service);
    wbem::Namespace& demo = service.createNamespace("root\\demo");
    wbem::ClassObject diskFull = demo.getClass("__ExtrinsicEvent")->spawnDerivedClass("DiskFullEvent");
    diskFull.putProperty("Drive", wbem::scalarType(wbem::CimType::String));
    diskFull.putProperty("FreeBytes", wbem::scalarType(wbem::CimType::UInt64));
    demo.putClass(diskFull);
    auto provider = std::make_shared<DiskProvider>();
    service.registerEventProvider("root\\demo", "DiskProvider", {"SELECT * FROM DiskFullEvent"}, provider);

    wbem::MofCompiler compiler([&](const std::string& name) { return service.findNamespace(name); });
    const wbem::MofResult result = compiler.compileFile(ALERT_MOF);
    for (const auto& d : result.diagnostics) std::cerr << d.toString() << '\n';
    if (!result.ok()) return 1;
    for (const wbem::BindingStatus& b : permanent.bindings())
      std::cout << "binding " << b.binding << ": " << (b.active ? "active" : "inactive: " + b.reason) << '\n';

    const auto sink = provider->sink();
    if (!sink) {
      std::cerr << "consumer-plugin: the provider was not activated\n";
      return 1;
    }
    for (std::uint64_t free : {150u, 50u, 20u}) {
      wbem::ClassObject event = demo.getClass("DiskFullEvent")->spawnInstance();
      event.put("Drive", "/dev/sda1");
      event.put("FreeBytes", free);
      sink->indicate(event);
    }
    service.waitIdle();

    std::ifstream in(workDir / "alerts.log");
    std::string line;
    int lines = 0;
    while (std::getline(in, line)) {
      std::cout << "alerts.log: " << line << '\n';
      ++lines;
    }
    return lines == 2 ? 0 : 1;
  } catch (const wbem::Error& error) {
    std::cerr << "consumer-plugin: " << error.what() << '\n';
    return 1;
  }
}
