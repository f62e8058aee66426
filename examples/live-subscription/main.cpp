// live-subscription: runs the event service on its SQLite repository with a provider that raises
// DiskFullEvent every 100 ms, a temporary subscription filtering them with WQL, one on repository
// changes, and a permanent subscription (kept in the repository) that logs low-disk events to a
// file through the standard LogFileEventConsumer.
// Usage: live-subscription [seconds] [data-dir]   (default 3 s, data in $TMPDIR/wbem-live-subscription)

#include <wbem/event_service.hpp>
#include <wbem/mof.hpp>
#include <wbem/permanent_subscriptions.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

namespace {

// Prints every event it receives (WMI: a temporary consumer's IWbemObjectSink).
class PrintingSink : public wbem::ObjectSink {
 public:
  explicit PrintingSink(std::string label) : label_(std::move(label)) {}
  wbem::Status indicate(std::span<const wbem::ObjectPtr> events) override {
    static std::mutex outputMutex;  // two sinks print from delivery threads
    std::lock_guard lock(outputMutex);
    for (const wbem::ObjectPtr& e : events) {
      if (e->inheritsFrom("__InstanceOperationEvent"))
        std::cout << label_ << ": " << e->className() << " of "
                  << e->get("TargetInstance").asObject()->get("__RELPATH").toText() << '\n';
      else
        std::cout << label_ << ": " << e->className() << " Drive=" << e->get("Drive").toText()
                  << " FreeBytes=" << e->get("FreeBytes").toText() << '\n';
    }
    return wbem::WBEM_S_NO_ERROR;
  }

 private:
  std::string label_;
};

// An event provider: activated only while a subscription wants its events.
class DiskProvider : public wbem::EventProvider {
 public:
  explicit DiskProvider(wbem::ObjectPtr eventClass) : eventClass_(std::move(eventClass)) {}
  ~DiskProvider() override { stop(); }

  wbem::Status provideEvents(std::shared_ptr<wbem::EventSink> sink, std::int32_t) override {
    thread_ = std::thread([this, sink] {
      wbem::ClassObject event = eventClass_->spawnInstance();  // reused for every event
      for (std::uint64_t free = 1000; !stop_; free -= 10) {
        event.put("Drive", free % 20 == 0 ? "/dev/sda1" : "/dev/sdb1");
        event.put("FreeBytes", free);
        if (sink->indicate(event) == wbem::WBEM_E_CALL_CANCELLED) break;  // deactivated
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
    return wbem::WBEM_S_NO_ERROR;
  }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  wbem::ObjectPtr eventClass_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 3;
  const std::filesystem::path dataDir = std::filesystem::absolute(
      argc > 2 ? std::filesystem::path(argv[2]) : std::filesystem::temp_directory_path() / "wbem-live-subscription");
  try {
    std::filesystem::create_directories(dataDir);
    wbem::EventServiceOptions options;
    options.repository = std::make_shared<wbem::Repository>(dataDir / "repository.db");
    wbem::EventService service(options);
    wbem::PermanentSubscriptions permanent(service);
    const wbem::RepositoryCounts loaded = options.repository->counts();
    std::cout << "repository " << options.repository->path().string() << ": " << loaded.namespaces << " namespaces, "
              << loaded.classes << " classes, " << loaded.instances << " instances\n";

    // The schema and the permanent subscription live in the repository; putting them again on a
    // later run changes nothing.
    wbem::Namespace* found = service.findNamespace("root\\demo");
    wbem::Namespace& ns = found ? *found : service.createNamespace("root\\demo");
    wbem::ClassObject diskFull = ns.getClass("__ExtrinsicEvent")->spawnDerivedClass("DiskFullEvent");
    diskFull.putProperty("Drive", wbem::scalarType(wbem::CimType::String));
    diskFull.putProperty("FreeBytes", wbem::scalarType(wbem::CimType::UInt64));
    ns.putClass(diskFull);
    wbem::ClassObject volume = wbem::ClassObject::createClass("Volume");
    volume.putProperty("Name", wbem::scalarType(wbem::CimType::String));
    volume.putPropertyQualifier("Name", "key", wbem::Value(true));
    ns.putClass(volume);

    const std::filesystem::path logFile = dataDir / "low-disk.log";
    wbem::MofCompiler compiler([&](const std::string& name) { return service.findNamespace(name); });
    const wbem::MofResult result = compiler.compileText(R"(
      #pragma namespace("\\\\.\\root\\subscription")
      instance of __EventFilter as $F {
        Name = "LowDisk"; QueryLanguage = "WQL"; EventNamespace = "root\\demo";
        Query = "SELECT * FROM DiskFullEvent WHERE FreeBytes < 980";
      };
      instance of LogFileEventConsumer as $L {
        Name = "LowDiskLog"; Filename = ")" + logFile.string() +
                                                            R"(";
        Text = "%Drive% has %FreeBytes% bytes free"; MaximumFileSize = 0;
      };
      instance of __FilterToConsumerBinding { Filter = $F; Consumer = $L; };
    )",
                                                        "live-subscription.mof");
    for (const auto& d : result.diagnostics) std::cerr << d.toString() << '\n';
    if (!result.ok()) return 1;
    for (const wbem::BindingStatus& b : permanent.bindings())
      std::cout << "permanent subscription " << b.binding << ": " << (b.active ? "active" : b.reason) << '\n';

    auto provider = std::make_shared<DiskProvider>(ns.getClass("DiskFullEvent"));
    service.registerEventProvider("root\\demo", "DiskProvider", {"SELECT * FROM DiskFullEvent"}, provider);
    service.subscribe("root\\demo", "WQL", "SELECT * FROM DiskFullEvent WHERE Drive = '/dev/sda1' AND FreeBytes < 950",
                      std::make_shared<PrintingSink>("low disk"));
    service.subscribe("root\\demo", "WQL", "SELECT * FROM __InstanceOperationEvent WHERE TargetInstance ISA 'Volume'",
                      std::make_shared<PrintingSink>("volumes"));

    wbem::ClassObject v = ns.getClass("Volume")->spawnInstance();
    v.put("Name", "data");
    ns.putInstance(v);
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    ns.deleteInstance(wbem::ObjectPath::parse("Volume.Name=\"data\""));
    provider->stop();
    service.waitIdle();

    const auto stats = service.statistics();
    std::cout << "indicated " << stats.indicated << ", delivered " << stats.delivered << ", dropped " << stats.dropped
              << '\n';
    std::ifstream log(logFile);
    std::size_t lines = 0;
    for (std::string line; std::getline(log, line);) ++lines;
    std::cout << "permanent subscription: " << logFile.string() << " holds " << lines << " lines\n";
    return 0;
  } catch (const wbem::Error& error) {
    std::cerr << "live-subscription: " << error.what() << '\n';
    return 1;
  }
}
