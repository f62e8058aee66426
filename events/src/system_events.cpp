// Events the service raises itself: intrinsic events for changes to a namespace's classes and
// instances (and to its child namespaces), and __EventDroppedEvent, __EventQueueOverflowEvent
// and __ConsumerFailureEvent for consumers that lose events.

#include "system_events.hpp"

#include <spdlog/spdlog.h>

#include "service_impl.hpp"
#include "sink.hpp"

namespace wbem {
namespace detail {
namespace {

ClassObject spawn(const Namespace& ns, std::string_view className) { return ns.getClass(className)->spawnInstance(); }

void raiseIn(NamespaceState& state, const ClassObject& event, std::uint8_t flags) {
  const Status s = state.systemSink->raise(std::span<const ClassObject>(&event, 1), flags);
  if (!isError(s)) return;
  // Logged on the 1st, 2nd, 4th, 8th... failure: a flood must not turn into a flood of log lines.
  static std::atomic<std::uint64_t> failures{0};
  const std::uint64_t n = ++failures;
  if ((n & (n - 1)) == 0)
    spdlog::warn("{} in {} was not raised: {} ({} such failures so far)", event.className(), state.ns->name(),
                 statusName(s), n);
}

}  // namespace

IntrinsicObserver::IntrinsicObserver(NamespaceState& state) : state_(state) {
  for (const char* name : {"__ClassCreationEvent", "__ClassDeletionEvent", "__ClassModificationEvent",
                           "__InstanceCreationEvent", "__InstanceDeletionEvent", "__InstanceModificationEvent"})
    classes_.push_back(state.ns->getClass(name));
}

ObjectPtr IntrinsicObserver::eventClass(std::string_view name) const {
  for (const ObjectPtr& c : classes_)
    if (c->className() == name) return c;
  throw Error(WBEM_E_INVALID_CLASS, "no intrinsic event class " + std::string(name));
}

void IntrinsicObserver::classChanged(const Namespace&, const ObjectPtr& before, const ObjectPtr& after) {
  if (state_.intrinsicFilters.load(std::memory_order_acquire) == 0) return;
  const char* kind = !before ? "__ClassCreationEvent" : !after ? "__ClassDeletionEvent" : "__ClassModificationEvent";
  ClassObject event = eventClass(kind)->spawnInstance();
  event.put("TargetClass", Value(after ? after : before));
  if (before && after) event.put("PreviousClass", Value(before));
  raiseIn(state_, event, 0);
}

void IntrinsicObserver::instanceChanged(const Namespace&, const ObjectPtr& before, const ObjectPtr& after) {
  const ClassObject& changed = after ? *after : *before;
  if (changed.definition().inheritsFrom("__TimerInstruction"))
    state_.timersDirty.store(true, std::memory_order_release);
  if (changed.definition().inheritsFrom("__EventProviderRegistration") ||
      changed.definition().inheritsFrom("__Win32Provider"))
    state_.registrationsDirty.store(true, std::memory_order_release);
  if (state_.intrinsicFilters.load(std::memory_order_acquire) == 0) return;
  const char* kind = !before  ? "__InstanceCreationEvent"
                     : !after ? "__InstanceDeletionEvent"
                              : "__InstanceModificationEvent";
  ClassObject event = eventClass(kind)->spawnInstance();
  event.put("TargetInstance", Value(after ? after : before));
  if (before && after) event.put("PreviousInstance", Value(before));
  raiseIn(state_, event, 0);
}

void raiseNamespaceEvent(NamespaceState& parent, std::string_view kind, std::string_view childName) {
  if (parent.intrinsicFilters.load(std::memory_order_acquire) == 0) return;
  ClassObject target = spawn(*parent.ns, "__Namespace");
  target.put("Name", Value(childName));
  ClassObject event = spawn(*parent.ns, kind);
  event.put("TargetNamespace", Value(share(std::move(target))));
  raiseIn(parent, event, 0);
}

}  // namespace detail

void EventService::Impl::raiseDropped(const detail::ConsumerQueue& consumer, const ObjectPtr& event, bool overflow,
                                      std::uint64_t queueSize) {
  detail::NamespaceState& state = *consumer.ns;
  if (state.dropFilters.load(std::memory_order_acquire) == 0) return;
  ClassObject dropped = detail::spawn(*state.ns, overflow ? "__EventQueueOverflowEvent" : "__EventDroppedEvent");
  dropped.put("Event", Value(event));
  dropped.put("IntendedConsumer", Value::reference(consumer.path()));
  if (overflow)
    dropped.put("CurrentQueueSize", Value(static_cast<std::uint32_t>(std::min<std::uint64_t>(queueSize, UINT32_MAX))));
  detail::raiseIn(state, dropped, detail::kSystemDrop);
}

void EventService::Impl::raiseFailure(const detail::ConsumerQueue& consumer, const ObjectPtr& event, Status code,
                                      const std::string& description) {
  detail::NamespaceState& state = *consumer.ns;
  spdlog::warn("consumer {} failed an event delivery: {} ({})", consumer.path(), statusName(code), description);
  if (state.dropFilters.load(std::memory_order_acquire) == 0) return;
  ClassObject failure = detail::spawn(*state.ns, "__ConsumerFailureEvent");
  failure.put("Event", Value(event));
  failure.put("IntendedConsumer", Value::reference(consumer.path()));
  failure.put("ErrorCode", Value(static_cast<std::uint32_t>(code)));
  failure.put("ErrorDescription", Value(description));
  detail::raiseIn(state, failure, detail::kSystemDrop);
}

}  // namespace wbem
