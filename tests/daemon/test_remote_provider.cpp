// A decoupled provider as the daemon hosts it (RemoteProvider): a real Server on its own socket, a
// DecoupledBasicEventProvider and a subscribed client in this process, all over the socket. Sink
// security and per-event descriptors set in the provider process decide which subscribers get its
// events; the daemon's counters follow the provider and the consumer; a provider that does not
// answer an AccessCheck costs the subscriber the provider call timeout, not more.

#include <wbem/client.hpp>
#include <wbem/decoupled_provider.hpp>
#include <wbem/event_service.hpp>
#include <wbem/server.hpp>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "in_process_daemon.hpp"

using namespace wbem;
using namespace std::chrono_literals;

namespace {

// A consumer that keeps the Text of what it receives.
class Collector : public ObjectSink {
 public:
  Status indicate(std::span<const ObjectPtr> objects) override {
    std::lock_guard lock(mutex_);
    for (const auto& object : objects) texts_.push_back(object->get("Text").asString());
    changed_.notify_all();
    return WBEM_S_NO_ERROR;
  }
  // What came, once `count` texts came or after 10 s.
  std::vector<std::string> waitFor(std::size_t count) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 10s, [&] { return texts_.size() >= count; });
    return texts_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> texts_;
};

// The SECURITY_DESCRIPTOR property value of `sddl`.
Value descriptorValue(const std::string& sddl) { return SecurityDescriptor::parse(sddl).toValue(); }

// A daemon on a socket of its own with the Notice event class and the NoticeProvider
// registration, and one client of it.
struct Daemon : wbemtest::InProcessDaemon {
  explicit Daemon(std::chrono::milliseconds providerCallTimeout = 5s)
      : InProcessDaemon(withCallTimeout(providerCallTimeout)) {
    server.start();
    client = connect(connectOptions());
    client->compileMof(R"(
      class Notice : __ExtrinsicEvent { string Text; };
      class Alarm : __ExtrinsicEvent { string Text; };
      instance of __Win32Provider as $P { Name = "NoticeProvider"; HostingModel = "Decoupled:Com"; };
      instance of __EventProviderRegistration { provider = $P; EventQueryList = {"SELECT * FROM Notice"}; };
    )");
  }
  ConnectOptions connectOptions() const { return {.socketPath = server.socketPath(), .namespaceName = "root/cimv2"}; }
  static ServerOptions withCallTimeout(std::chrono::milliseconds providerCallTimeout) {
    ServerOptions options;
    options.providerCallTimeout = providerCallTimeout;
    return options;
  }

  std::shared_ptr<Connection> client;
};

// The daemon's client subscribed to every Notice, and NoticeProvider registered from this process.
struct SubscribedProvider {
  explicit SubscribedProvider(Daemon& daemon) : provider(daemon.connectOptions()) {
    REQUIRE(daemon.client->execNotificationQueryAsync("WQL", "SELECT * FROM Notice", 0, collector) == WBEM_S_NO_ERROR);
    REQUIRE(provider.registerProvider(0, "", "", "root/cimv2", "NoticeProvider", nullptr) == WBEM_S_NO_ERROR);
    sink = provider.getSink();
  }

  std::shared_ptr<Collector> collector = std::make_shared<Collector>();
  DecoupledBasicEventProvider provider;
  std::shared_ptr<EventSink> sink;
};

// A Notice with `text`, from the provider's view of the schema.
ClassObject notice(DecoupledBasicEventProvider& provider, const std::string& text) {
  ClassObject event = provider.getService()->getObject("Notice")->spawnInstance();
  event.put("Text", Value(text));
  return event;
}

std::string me() { return "uid:" + std::to_string(::getuid()); }
std::string someoneElse() { return "uid:" + std::to_string(::getuid() + 1); }

}  // namespace

TEST_CASE("a decoupled provider's sink security and event descriptors decide who receives its events") {
  Daemon daemon;
  SubscribedProvider subscribed(daemon);
  auto& [collector, provider, sink] = subscribed;

  REQUIRE(sink->indicate(notice(provider, "open")) == WBEM_S_NO_ERROR);
  // Only someone else may subscribe: this client no longer receives.
  sink->setSinkSecurity(SecurityDescriptor::parse("D:(A;;0x40;;;" + someoneElse() + ")"));
  REQUIRE(sink->indicate(notice(provider, "hidden by the sink")) == WBEM_S_NO_ERROR);
  sink->setSinkSecurity(SecurityDescriptor::parse("D:(A;;0x40;;;" + me() + ")"));
  REQUIRE(sink->indicate(notice(provider, "allowed by the sink")) == WBEM_S_NO_ERROR);

  // Subject to their own descriptors: one for someone else, one for this client. Without
  // subjectToSds the descriptor is not looked at.
  ClassObject forOther = notice(provider, "hidden by its descriptor");
  forOther.put("SECURITY_DESCRIPTOR", descriptorValue("D:(A;;0x40;;;" + someoneElse() + ")"));
  ClassObject forMe = notice(provider, "allowed by its descriptor");
  forMe.put("SECURITY_DESCRIPTOR", descriptorValue("D:(A;;0x40;;;" + me() + ")"));
  REQUIRE(sink->indicate(std::vector<ClassObject>{forOther, forMe}, true) == WBEM_S_NO_ERROR);
  forOther.put("Text", Value("descriptor ignored"));
  REQUIRE(sink->indicate(forOther) == WBEM_S_NO_ERROR);

  CHECK(collector->waitFor(4) ==
        std::vector<std::string>{"open", "allowed by the sink", "allowed by its descriptor", "descriptor ignored"});

  // The counters: the provider raised six events, the subscription got four.
  REQUIRE(daemon.service.waitIdle());
  const DaemonStatistics stats = daemon.client->statistics();
  const auto noticeProvider = std::find_if(stats.providers.begin(), stats.providers.end(),
                                           [](const ProviderStatistics& p) { return p.name == "NoticeProvider"; });
  REQUIRE(noticeProvider != stats.providers.end());
  CHECK(noticeProvider->namespaceName == "root/cimv2");
  CHECK(noticeProvider->bound);
  CHECK(noticeProvider->filters == 1);
  CHECK(noticeProvider->indicated == 6);
  REQUIRE(stats.consumers.size() == 1);
  CHECK(stats.consumers[0].query == "SELECT * FROM Notice");
  CHECK(stats.consumers[0].ownerUid == ::getuid());
  CHECK(stats.consumers[0].delivered == 4);
  CHECK(stats.consumers[0].dropped == 0);
  CHECK(stats.consumers[0].queuedEvents == 0);
  CHECK(stats.counters.at("service.delivered") == 4);

  CHECK(daemon.client->cancelAsyncCall(collector) == WBEM_S_NO_ERROR);
}

TEST_CASE("a decoupled provider's events pass only when its registration names them") {
  Daemon daemon;
  SubscribedProvider subscribed(daemon);
  auto& [collector, provider, sink] = subscribed;
  auto alarms = std::make_shared<Collector>();
  REQUIRE(daemon.client->execNotificationQueryAsync("WQL", "SELECT * FROM Alarm", 0, alarms) == WBEM_S_NO_ERROR);

  // NoticeProvider is registered for Notice only: an Alarm from it is dropped, as if never raised.
  ClassObject alarm = provider.getService()->getObject("Alarm")->spawnInstance();
  alarm.put("Text", Value("passed off as an alarm"));
  REQUIRE(sink->indicate(alarm) == WBEM_S_NO_ERROR);
  REQUIRE(sink->indicate(notice(provider, "a notice")) == WBEM_S_NO_ERROR);
  CHECK(collector->waitFor(1) == std::vector<std::string>{"a notice"});
  REQUIRE(daemon.service.waitIdle());
  // Raised by the daemon itself (an administrator here), an Alarm does arrive.
  daemon.client->raise(std::vector<ClassObject>{[&] {
    ClassObject raised = daemon.client->getObject("Alarm")->spawnInstance();
    raised.put("Text", Value("raised"));
    return raised;
  }()});
  CHECK(alarms->waitFor(1) == std::vector<std::string>{"raised"});
  CHECK(daemon.client->cancelAsyncCall(alarms) == WBEM_S_NO_ERROR);
  CHECK(daemon.client->cancelAsyncCall(collector) == WBEM_S_NO_ERROR);
}

TEST_CASE("a bad descriptor from a decoupled provider changes nothing") {
  Daemon daemon;
  SubscribedProvider subscribed(daemon);
  auto& [collector, provider, sink] = subscribed;
  // The provider's own library parses the descriptor: a bad one never leaves the process.
  CHECK_THROWS_AS(sink->setSinkSecurity(SecurityDescriptor::parse("D:(X;;0x40;;;WD)")), Error);
  REQUIRE(sink->indicate(notice(provider, "still delivered")) == WBEM_S_NO_ERROR);
  CHECK(collector->waitFor(1) == std::vector<std::string>{"still delivered"});
  CHECK(daemon.client->cancelAsyncCall(collector) == WBEM_S_NO_ERROR);
}

TEST_CASE("an AccessCheck the provider does not answer in time refuses the subscription, and only that one") {
  // A provider whose first access check takes longer than the daemon waits.
  class SlowChecker : public EventProvider, public EventProviderSecurity {
   public:
    Status provideEvents(std::shared_ptr<EventSink>, std::int32_t) override { return WBEM_S_NO_ERROR; }
    Status accessCheck(std::string_view, std::string_view, const Principal*) override {
      if (calls_++ == 0) std::this_thread::sleep_for(600ms);
      return WBEM_S_NO_ERROR;
    }

   private:
    std::atomic<int> calls_{0};
  };
  Daemon daemon(200ms);
  DecoupledRegistrar registrar(daemon.connectOptions());
  REQUIRE(registrar.registerProvider(0, "", "", "root/cimv2", "NoticeProvider", std::make_shared<SlowChecker>()) ==
          WBEM_S_NO_ERROR);

  auto refused = std::make_shared<Collector>();
  const auto start = std::chrono::steady_clock::now();
  // The provider's check failed (WBEM_E_PROVIDER_TIMED_OUT): access denied, as for any failed check.
  CHECK(daemon.client->execNotificationQueryAsync("WQL", "SELECT * FROM Notice", 0, refused) == WBEM_E_ACCESS_DENIED);
  CHECK(std::chrono::steady_clock::now() - start < 5s);  // the daemon's 200 ms, not its default 5 s

  // Once the provider answers again, a subscription is checked and accepted; the late answer to
  // the first check was dropped on arrival.
  std::this_thread::sleep_for(600ms);
  auto accepted = std::make_shared<Collector>();
  CHECK(daemon.client->execNotificationQueryAsync("WQL", "SELECT * FROM Notice", 0, accepted) == WBEM_S_NO_ERROR);
  CHECK(daemon.client->cancelAsyncCall(accepted) == WBEM_S_NO_ERROR);
}

TEST_CASE("a provider name that two __Win32Provider instances share cannot be registered") {
  Daemon daemon;
  daemon.client->compileMof(R"(
    class ShadowProvider : __Win32Provider {};
    instance of ShadowProvider { Name = "NoticeProvider"; HostingModel = "Decoupled:Com"; };
  )");
  DecoupledBasicEventProvider provider(daemon.connectOptions());
  CHECK(provider.registerProvider(0, "", "", "root/cimv2", "NoticeProvider", nullptr) ==
        WBEM_E_INVALID_PROVIDER_REGISTRATION);
  daemon.client->deleteInstance("ShadowProvider.Name=\"NoticeProvider\"");
  CHECK(provider.registerProvider(0, "", "", "root/cimv2", "NoticeProvider", nullptr) == WBEM_S_NO_ERROR);
  // The first registrant claimed the name in the repository.
  CHECK(daemon.client->getObject("__Win32Provider.Name=\"NoticeProvider\"")->get("SecurityDescriptor").asString() ==
        "O:" + me() + "D:(A;;0x80;;;" + me() + ")");
}
