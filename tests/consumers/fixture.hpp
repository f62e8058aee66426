#pragma once
// The world of the consumer tests (spec 12): a real EventService with namespace root\test, the
// extrinsic class E : __ExtrinsicEvent { string S; sint32 N; boolean B; } and provider P registered
// for "SELECT * FROM E". P keeps the sink provideEvents() hands it, so that a test raises events
// through it, and records the queries it is told of (EventProviderQuerySink). Time is a
// ManualClock unless a test needs real timeouts.

#include <wbem/classobject.hpp>
#include <wbem/clock.hpp>
#include <wbem/event_provider.hpp>
#include <wbem/event_service.hpp>
#include <wbem/object_sink.hpp>
#include <wbem/status.hpp>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wbemtest {

using namespace std::chrono_literals;

/// How long a test waits for something another thread does before it fails (never a sleep).
inline constexpr std::chrono::seconds kPatience{10};

/// Provider P: keeps its sink and the live queries; counts cancelQuery calls. Thread-safe.
class RecordingProvider : public wbem::EventProvider, public wbem::EventProviderQuerySink {
 public:
  wbem::Status provideEvents(std::shared_ptr<wbem::EventSink> sink, std::int32_t) override {
    std::lock_guard lock(mutex_);
    sink_ = std::move(sink);
    changed_.notify_all();
    return wbem::WBEM_S_NO_ERROR;
  }
  wbem::Status newQuery(std::uint32_t id, std::string_view, std::string_view query) override {
    std::lock_guard lock(mutex_);
    live_[id] = std::string(query);
    changed_.notify_all();
    return wbem::WBEM_S_NO_ERROR;
  }
  wbem::Status cancelQuery(std::uint32_t id) override {
    std::lock_guard lock(mutex_);
    live_.erase(id);
    cancelled_.push_back(id);
    changed_.notify_all();
    return wbem::WBEM_S_NO_ERROR;
  }

  std::shared_ptr<wbem::EventSink> sink() const {
    std::lock_guard lock(mutex_);
    return sink_;
  }
  /// Live query ids, with their text.
  std::map<std::uint32_t, std::string> live() const {
    std::lock_guard lock(mutex_);
    return live_;
  }
  std::vector<std::uint32_t> cancelled() const {
    std::lock_guard lock(mutex_);
    return cancelled_;
  }
  /// Waits (up to kPatience) until `count` queries are live; false on timeout.
  bool waitLive(std::size_t count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kPatience, [&] { return live_.size() == count; });
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::shared_ptr<wbem::EventSink> sink_;
  std::map<std::uint32_t, std::string> live_;
  std::vector<std::uint32_t> cancelled_;
};

/// An async consumer's sink that records what it is given. `onIndicate` runs inside indicate().
class RecordingSink : public wbem::ObjectSink {
 public:
  struct StatusCall {
    std::int32_t flags;
    wbem::Status result;
  };

  wbem::Status indicate(std::span<const wbem::ObjectPtr> objects) override {
    std::function<void()> hook;
    {
      std::lock_guard lock(mutex_);
      ++indicateCalls_;
      events_.insert(events_.end(), objects.begin(), objects.end());
      hook = onIndicate;
    }
    if (hook) hook();
    return wbem::WBEM_S_NO_ERROR;
  }
  void setStatus(std::int32_t flags, wbem::Status result, std::string_view, const wbem::ClassObject*) override {
    std::lock_guard lock(mutex_);
    statuses_.push_back({flags, result});
    changed_.notify_all();
  }

  std::vector<wbem::ObjectPtr> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }
  std::size_t indicateCalls() const {
    std::lock_guard lock(mutex_);
    return indicateCalls_;
  }
  std::vector<StatusCall> statuses() const {
    std::lock_guard lock(mutex_);
    return statuses_;
  }
  /// Waits (up to kPatience) for a setStatus call; false on timeout.
  bool waitStatus() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kPatience, [this] { return !statuses_.empty(); });
  }

  std::function<void()> onIndicate;  // set before subscribing

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t indicateCalls_ = 0;
  std::vector<wbem::ObjectPtr> events_;
  std::vector<StatusCall> statuses_;
};

/// Real time or a ManualClock.
enum class Time { Manual, Real };

inline wbem::EventServiceOptions serviceOptions(const std::shared_ptr<wbem::Clock>& clock) {
  wbem::EventServiceOptions options;
  options.clock = clock;
  return options;
}

/// The event service, root\test with class E, and provider P for "SELECT * FROM E".
struct World {
  explicit World(Time time = Time::Manual)
      : clock(time == Time::Manual ? std::make_shared<wbem::ManualClock>() : nullptr),
        service(serviceOptions(clock)),
        ns(service.createNamespace("root\\test")),
        provider(std::make_shared<RecordingProvider>()) {
    wbem::ClassObject e = ns.getClass("__ExtrinsicEvent")->spawnDerivedClass("E");
    e.putProperty("S", wbem::scalarType(wbem::CimType::String));
    e.putProperty("N", wbem::scalarType(wbem::CimType::SInt32));
    e.putProperty("B", wbem::scalarType(wbem::CimType::Boolean));
    ns.putClass(e);
    service.registerEventProvider("root\\test", "P", {"SELECT * FROM E"}, provider);
  }

  /// An instance of E.
  wbem::ClassObject event(std::string_view s, std::int32_t n = 0, bool b = false) const {
    wbem::ClassObject ev = ns.getClass("E")->spawnInstance();
    ev.put("S", wbem::Value(s));
    ev.put("N", wbem::Value(n));
    ev.put("B", wbem::Value(b));
    return ev;
  }

  /// P raises `ev`; the provider must be active (some subscription overlaps its query).
  void raise(const wbem::ClassObject& ev) {
    auto sink = provider->sink();
    REQUIRE(sink);
    REQUIRE(sink->indicate(ev) == wbem::WBEM_S_NO_ERROR);
  }
  /// P raises `ev` if it still has a sink; for checking that nothing arrives after a cancel, when
  /// the provider may already have been shut down and its sink released.
  void raiseIfActive(const wbem::ClassObject& ev) {
    if (auto sink = provider->sink()) (void)sink->indicate(ev);
  }
  /// Waits until everything raised so far has been delivered.
  void settle() { REQUIRE(service.waitIdle()); }

  std::shared_ptr<wbem::ManualClock> clock;
  wbem::EventService service;
  wbem::Namespace& ns;
  std::shared_ptr<RecordingProvider> provider;
};

/// The S property of an event.
inline std::string sOf(const wbem::ClassObject& ev) { return ev.get("S").asString(); }

}  // namespace wbemtest
