#pragma once
// The fixture the event service tests share: a service on a ManualClock with namespace root\test,
// the extrinsic classes of spec 12 (E {string S; sint32 N; boolean B;} and E2 : E), a plain class,
// the repository class Rep and the dynamic class Dyn, a provider P registered for
// `SELECT * FROM E`, and recording consumers and providers.

#include <wbem/classobject.hpp>
#include <wbem/clock.hpp>
#include <wbem/event_provider.hpp>
#include <wbem/event_service.hpp>
#include <wbem/namespace.hpp>
#include <wbem/object_sink.hpp>
#include <wbem/security.hpp>
#include <wbem/status.hpp>
#include <wbem/value.hpp>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support.hpp"

namespace wbemtest {

using namespace wbem;
using namespace std::chrono_literals;

// How long a test waits for something another thread does before it fails (never reached when
// the service works; not a timing assertion).
inline constexpr std::chrono::milliseconds kPatience{10000};

// A gate that blocks every consumer call reaching it until the test opens it (for good).
class Gate {
 public:
  // Blocks until the gate is open.
  void pass() {
    std::unique_lock lock(mutex_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    --waiting_;
  }
  // Opens the gate and lets every waiter through.
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }
  // Waits until some caller is blocked at the gate; false after kPatience.
  bool waitForWaiter() {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, kPatience, [&] { return waiting_ > 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
  int waiting_ = 0;
};

// A consumer that records every indicate() call and setStatus(); it may block on a gate and
// return a failure status.
class RecordingSink : public ObjectSink {
 public:
  explicit RecordingSink(std::shared_ptr<Gate> gate = nullptr, Status result = WBEM_S_NO_ERROR)
      : gate_(std::move(gate)), result_(result) {}

  Status indicate(std::span<const ObjectPtr> objects) override {
    if (gate_) gate_->pass();
    std::lock_guard lock(mutex_);
    if (closed_) ++callsAfterClose_;
    calls_.push_back(objects.size());
    for (const ObjectPtr& o : objects) events_.push_back(o);
    cv_.notify_all();
    return result_;
  }
  void setStatus(std::int32_t flags, Status result, std::string_view, const ClassObject*) override {
    std::lock_guard lock(mutex_);
    statuses_.emplace_back(flags, result);
    cv_.notify_all();
  }

  // The events received so far, in order.
  std::vector<ObjectPtr> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }
  // The number of objects of each indicate() call, in order.
  std::vector<std::size_t> calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  // The setStatus() calls received, as (flags, result).
  std::vector<std::pair<std::int32_t, Status>> statuses() const {
    std::lock_guard lock(mutex_);
    return statuses_;
  }
  // Waits until at least `n` events arrived; false after kPatience.
  bool waitForEvents(std::size_t n) const {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, kPatience, [&] { return events_.size() >= n; });
  }
  // Marks the point after which indicate() must not be called any more (cancel returned).
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  // indicate() calls made after close().
  int callsAfterClose() const {
    std::lock_guard lock(mutex_);
    return callsAfterClose_;
  }

 private:
  std::shared_ptr<Gate> gate_;
  Status result_;
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  std::vector<ObjectPtr> events_;
  std::vector<std::size_t> calls_;
  std::vector<std::pair<std::int32_t, Status>> statuses_;
  bool closed_ = false;
  int callsAfterClose_ = 0;
};

// An event provider implementing every provider interface: it keeps its sink, records each call,
// and answers initialize() and accessCheck() as the test configures it beforehand.
class TestProvider : public EventProvider,
                     public EventProviderQuerySink,
                     public EventProviderSecurity,
                     public ProviderInit,
                     public ProviderShutdown {
 public:
  // Configuration, set before the first subscription.
  Status initReturns = WBEM_S_NO_ERROR;                    // what initialize() returns
  std::optional<Status> initReports = WBEM_S_INITIALIZED;  // what it reports; nullopt: never
  Status accessAnswer = WBEM_S_NO_ERROR;                   // what accessCheck() returns

  Status provideEvents(std::shared_ptr<EventSink> sink, std::int32_t flags) override {
    std::lock_guard lock(mutex_);
    sink_ = std::move(sink);
    ++activations_;
    provideFlags_ = flags;
    return WBEM_S_NO_ERROR;
  }
  Status newQuery(std::uint32_t id, std::string_view language, std::string_view query) override {
    std::lock_guard lock(mutex_);
    newQueries_.push_back({id, std::string(language), std::string(query)});
    return WBEM_S_NO_ERROR;
  }
  Status cancelQuery(std::uint32_t id) override {
    std::lock_guard lock(mutex_);
    cancelled_.push_back(id);
    return WBEM_S_NO_ERROR;
  }
  Status accessCheck(std::string_view, std::string_view query, const Principal* principal) override {
    std::lock_guard lock(mutex_);
    accessChecks_.push_back({std::string(query), principal ? std::optional<Principal>(*principal) : std::nullopt});
    return accessAnswer;
  }
  Status initialize(const ProviderInitContext& context, std::shared_ptr<ProviderInitSink> sink) override {
    {
      std::lock_guard lock(mutex_);
      ++initializations_;
      initNamespace_ = context.namespaceName;
      initFlags_ = context.flags;
    }
    if (initReports) sink->setStatus(*initReports, 0);
    return initReturns;
  }
  void shutdown(std::int32_t, std::uint32_t) override {
    std::lock_guard lock(mutex_);
    ++shutdowns_;
  }

  struct NewQuery {
    std::uint32_t id;
    std::string language, query;
  };
  struct AccessCheck {
    std::string query;
    std::optional<Principal> principal;
  };

  // The sink of the latest provideEvents(), null before any.
  std::shared_ptr<EventSink> sink() const {
    std::lock_guard lock(mutex_);
    return sink_;
  }
  int activations() const {
    std::lock_guard lock(mutex_);
    return activations_;
  }
  int initializations() const {
    std::lock_guard lock(mutex_);
    return initializations_;
  }
  int shutdowns() const {
    std::lock_guard lock(mutex_);
    return shutdowns_;
  }
  std::vector<NewQuery> newQueries() const {
    std::lock_guard lock(mutex_);
    return newQueries_;
  }
  std::vector<std::uint32_t> cancelled() const {
    std::lock_guard lock(mutex_);
    return cancelled_;
  }
  std::vector<AccessCheck> accessChecks() const {
    std::lock_guard lock(mutex_);
    return accessChecks_;
  }
  std::string initNamespace() const {
    std::lock_guard lock(mutex_);
    return initNamespace_;
  }
  std::int32_t initFlags() const {
    std::lock_guard lock(mutex_);
    return initFlags_;
  }
  std::int32_t provideFlags() const {
    std::lock_guard lock(mutex_);
    return provideFlags_;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<EventSink> sink_;
  int activations_ = 0, initializations_ = 0, shutdowns_ = 0;
  std::int32_t initFlags_ = -1, provideFlags_ = -1;
  std::string initNamespace_;
  std::vector<NewQuery> newQueries_;
  std::vector<std::uint32_t> cancelled_;
  std::vector<AccessCheck> accessChecks_;
};

// An instance provider for Dyn whose instances the test sets (polled through WITHIN).
class DynProvider : public InstanceProvider {
 public:
  std::vector<ObjectPtr> createInstanceEnum(std::string_view) override {
    std::lock_guard lock(mutex_);
    ++enumerations_;
    return instances_;
  }
  // Replaces the instances the next enumeration returns.
  void set(std::vector<ObjectPtr> instances) {
    std::lock_guard lock(mutex_);
    instances_ = std::move(instances);
  }
  int enumerations() const {
    std::lock_guard lock(mutex_);
    return enumerations_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<ObjectPtr> instances_;
  int enumerations_ = 0;
};

// An administrator (for admin-only events and BA in descriptors).
inline Principal adminPrincipal(std::uint32_t uid = 5001) { return Principal{uid, {uid}, true}; }
// An ordinary user.
inline Principal userPrincipal(std::uint32_t uid = 5002) { return Principal{uid, {uid}, false}; }

// Subscription options for `owner` (a permanent subscription when `permanent`).
inline SubscriptionOptions ownedBy(Principal owner, bool permanent = false) {
  SubscriptionOptions options;
  options.owner = std::move(owner);
  options.permanent = permanent;
  return options;
}
// Subscription options with a queue limit of `bytes` and IntendedConsumer `path` (when not empty).
inline SubscriptionOptions queueLimited(std::uint64_t bytes, std::string path = {}) {
  SubscriptionOptions options;
  options.maxQueueBytes = bytes;
  options.consumerPath = std::move(path);
  return options;
}

// The service of spec 12 on a ManualClock: root\test with E, E2, Plain, Rep, Dyn and provider P.
struct Fixture {
  explicit Fixture(EventServiceOptions options = {}, bool registerP = true)
      : clock(std::make_shared<ManualClock>()),
        service(withClock(std::move(options), clock)),
        ns(service.createNamespace("root\\test")) {
    ClassObject e = ns.getClass("__ExtrinsicEvent")->spawnDerivedClass("E");
    e.putProperty("S", scalarType(CimType::String));
    e.putProperty("N", scalarType(CimType::SInt32));
    e.putProperty("B", scalarType(CimType::Boolean));
    ns.putClass(e);
    ns.putClass(ns.getClass("E")->spawnDerivedClass("E2"));

    ClassObject plain = ClassObject::createClass("Plain");
    plain.putProperty("K", scalarType(CimType::String));
    plain.putPropertyQualifier("K", "Key", Value(true), WBEM_FLAVOR_FLAG_PROPAGATE_TO_DERIVED_CLASS);
    ns.putClass(plain);

    ClassObject rep = ClassObject::createClass("Rep");
    rep.putProperty("K", scalarType(CimType::String));
    rep.putPropertyQualifier("K", "Key", Value(true), WBEM_FLAVOR_FLAG_PROPAGATE_TO_DERIVED_CLASS);
    rep.putProperty("V", scalarType(CimType::UInt32));
    ns.putClass(rep);

    ClassObject dyn = ClassObject::createClass("Dyn");
    dyn.putQualifier("Dynamic", Value(true));
    dyn.putQualifier("Provider", Value("DynProv"));
    dyn.putProperty("K", scalarType(CimType::String));
    dyn.putPropertyQualifier("K", "Key", Value(true), WBEM_FLAVOR_FLAG_PROPAGATE_TO_DERIVED_CLASS);
    dyn.putProperty("V", scalarType(CimType::UInt32));
    ns.putClass(dyn);

    if (registerP) service.registerEventProvider("root\\test", "P", {"SELECT * FROM E"}, provider);
  }
  // Opens every gate first: the service's destructor waits for consumer calls to return.
  ~Fixture() {
    for (auto& gate : gates) gate->open();
  }

  std::shared_ptr<ManualClock> clock;
  EventService service;
  Namespace& ns;
  std::shared_ptr<TestProvider> provider = std::make_shared<TestProvider>();
  std::vector<std::shared_ptr<Gate>> gates;

  // `options` with the fixture's clock.
  static EventServiceOptions withClock(EventServiceOptions options, std::shared_ptr<ManualClock> clock) {
    options.clock = std::move(clock);
    return options;
  }

  // A new closed gate, opened at the latest when the fixture ends.
  std::shared_ptr<Gate> gate() { return gates.emplace_back(std::make_shared<Gate>()); }

  // An instance of E (or of `cls`, a subclass) with S, N and B set.
  ClassObject event(std::string_view s, std::int32_t n = 0, bool b = false, std::string_view cls = "E") const {
    ClassObject o = ns.getClass(cls)->spawnInstance();
    o.put("S", Value(s));
    o.put("N", Value(n));
    o.put("B", Value(b));
    return o;
  }
  // An instance of Rep (or of `cls`, a subclass) with K and V set.
  ClassObject rep(std::string_view k, std::uint32_t v = 0, std::string_view cls = "Rep") const {
    ClassObject o = ns.getClass(cls)->spawnInstance();
    o.put("K", Value(k));
    o.put("V", Value(v));
    return o;
  }
  // A shared instance of Dyn, as an instance provider returns it.
  ObjectPtr dyn(std::string_view k, std::uint32_t v = 0) const { return share(rep(k, v, "Dyn")); }

  // Subscribes a new recording sink to `query` in root\test; returns the id and the sink.
  std::pair<SubscriptionId, std::shared_ptr<RecordingSink>> subscribeWithId(
      std::string_view query, SubscriptionOptions options = {}, std::shared_ptr<RecordingSink> sink = nullptr) {
    if (!sink) sink = std::make_shared<RecordingSink>();
    const SubscriptionId id = service.subscribe("root\\test", "WQL", query, sink, std::move(options));
    return {id, sink};
  }
  // Subscribes a new recording sink to `query` in root\test.
  std::shared_ptr<RecordingSink> subscribe(std::string_view query, SubscriptionOptions options = {}) {
    return subscribeWithId(query, std::move(options)).second;
  }
  // P's sink; fails the test when P has not been activated.
  std::shared_ptr<EventSink> sink() const {
    auto s = provider->sink();
    REQUIRE(s);
    return s;
  }
  // Indicates `objects` through P's sink and waits until the service has delivered them.
  void raise(const std::vector<ClassObject>& objects) {
    REQUIRE(sink()->indicate(objects) == WBEM_S_NO_ERROR);
    REQUIRE(service.waitIdle());
  }
  // Moves the clock by `by` and waits until what became due has run and been delivered.
  void advance(std::chrono::steady_clock::duration by) {
    clock->advance(by);
    REQUIRE(service.waitIdle());
  }
};

// The value of `property` of each event as text ("NULL" for NULL).
inline std::vector<std::string> texts(const std::vector<ObjectPtr>& events, std::string_view property) {
  std::vector<std::string> out;
  for (const ObjectPtr& e : events) out.push_back(e->get(property).isNull() ? "NULL" : e->get(property).toText());
  return out;
}

// The embedded object `property` of `event`.
inline const ClassObject& embedded(const ObjectPtr& event, std::string_view property) {
  return *event->get(property).asObject();
}

// The class name of each event.
inline std::vector<std::string> classNames(const std::vector<ObjectPtr>& events) {
  std::vector<std::string> out;
  for (const ObjectPtr& e : events) out.push_back(e->className());
  return out;
}

}  // namespace wbemtest
