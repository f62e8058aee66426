// live-subscription: runs the event service with a provider that raises DiskFullEvent every
// 100 ms, a temporary subscription filtering them with WQL, and one on repository changes.
// Usage: live-subscription [seconds]   (default 3)

#include <wbem/event_service.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
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
  try {
    wbem::EventService service;
    wbem::Namespace& ns = service.createNamespace("root\\demo");

    wbem::ClassObject diskFull = ns.getClass("__ExtrinsicEvent")->spawnDerivedClass("DiskFullEvent");
    diskFull.putProperty("Drive", wbem::scalarType(wbem::CimType::String));
    diskFull.putProperty("FreeBytes", wbem::scalarType(wbem::CimType::UInt64));
    auto provider = std::make_shared<DiskProvider>(ns.putClass(diskFull));
    service.registerEventProvider("root\\demo", "DiskProvider", {"SELECT * FROM DiskFullEvent"}, provider);

    wbem::ClassObject volume = wbem::ClassObject::createClass("Volume");
    volume.putProperty("Name", wbem::scalarType(wbem::CimType::String));
    volume.putPropertyQualifier("Name", "key", wbem::Value(true));
    ns.putClass(volume);

    service.subscribe("root\\demo", "WQL", "SELECT * FROM DiskFullEvent WHERE Drive = '/dev/sda1' AND FreeBytes < 950",
                      std::make_shared<PrintingSink>("low disk"));
    service.subscribe("root\\demo", "WQL", "SELECT * FROM __InstanceOperationEvent WHERE TargetInstance ISA 'Volume'",
                      std::make_shared<PrintingSink>("volumes"));

    wbem::ClassObject v = ns.getClass("Volume")->spawnInstance();
    v.put("Name", "data");
    ns.putInstance(v);
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    ns.deleteInstance(wbem::ObjectPath::parse("Volume.Name=\"data\""));
    service.waitIdle();

    const auto stats = service.statistics();
    std::cout << "indicated " << stats.indicated << ", delivered " << stats.delivered << ", dropped " << stats.dropped
              << '\n';
    provider->stop();
    return 0;
  } catch (const wbem::Error& error) {
    std::cerr << "live-subscription: " << error.what() << '\n';
    return 1;
  }
}
