#pragma once
// The state a Services shares with what may outlive it: its enumerators, the sinks the event
// service holds, and the slots inside Signals2 connections. All of them reach the event service
// only through a ServicesCore, which refuses once the Services is gone, so nothing calls into an
// EventService that may have been destroyed after it.

#include <wbem/event_service.hpp>
#include <wbem/object_sink.hpp>
#include <wbem/security.hpp>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace wbem::detail {

class AsyncCallSink;
class SignalSubscription;

/// True while this thread is inside a consumer call made by a Services (a sink's indicate() or a
/// Signals2 slot). Cancelling from there must not wait for the delivery, so it is deferred.
bool inConsumerCall() noexcept;

/// Marks the current thread as inside a consumer call for its lifetime.
class ConsumerCallScope {
 public:
  ConsumerCallScope() noexcept;
  ~ConsumerCallScope();
  ConsumerCallScope(const ConsumerCallScope&) = delete;
  ConsumerCallScope& operator=(const ConsumerCallScope&) = delete;
};

/// Shared state of one Services. Members after `mutex` are guarded by it.
struct ServicesCore {
  ServicesCore(EventService& s, std::string ns, std::optional<Principal> who)
      : service(s), namespaceName(std::move(ns)), caller(std::move(who)) {}

  /// Subscription options for this caller's temporary consumers.
  SubscriptionOptions options() const {
    SubscriptionOptions result;
    result.owner = caller;
    return result;
  }

  /// Counts a call into the service made on behalf of an object that may outlive the Services;
  /// false (and nothing counted) once the Services is closing. Thread-safe.
  bool enter();
  /// Ends a call counted by enter(). Thread-safe.
  void leave();
  /// Cancels `id` now, or hands it to the canceller thread when the calling thread is inside a
  /// consumer call (EventService::cancel would wait for that very call). Nothing once closed.
  /// Thread-safe.
  void cancelSoon(SubscriptionId id);
  /// Closes the core (see ~Services): stops the canceller, cancels every subscription left and
  /// waits for counted calls to end. Not thread-safe against itself.
  void close();

  EventService& service;
  const std::string namespaceName;
  const std::optional<Principal> caller;

  struct AsyncCall {
    std::shared_ptr<AsyncCallSink> call;  // the sink the service holds: tells this call from a later one
    SubscriptionId id;                    // 0 while the subscription is being made
  };

  std::mutex mutex;
  std::condition_variable changed;  // `active` fell, or canceller work / stop
  bool closed = false;
  unsigned active = 0;
  std::unordered_map<const ObjectSink*, AsyncCall> asyncCalls;  // by the consumer's sink
  std::unordered_set<SubscriptionId> pulls;
  std::unordered_map<SubscriptionId, std::shared_ptr<SignalSubscription>> signals;
  std::deque<SubscriptionId> toCancel;
  std::thread canceller;  // started on the first deferred cancel

 private:
  void runCanceller();
};

}  // namespace wbem::detail
