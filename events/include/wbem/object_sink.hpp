#pragma once
// wbem::ObjectSink — where the event service hands events to a temporary consumer (WMI:
// IWbemObjectSink as passed to ExecNotificationQueryAsync). Implement indicate(); setStatus() is
// optional.

#include <wbem/classobject.hpp>
#include <wbem/status.hpp>

#include <cstdint>
#include <span>
#include <string_view>

namespace wbem {

/// IWbemObjectSink::SetStatus lFlags (WBEM_STATUS_TYPE).
enum StatusType : std::int32_t {
  WBEM_STATUS_COMPLETE = 0,
  WBEM_STATUS_REQUIREMENTS = 1,
  WBEM_STATUS_PROGRESS = 2,
};

/// A consumer's sink (IWbemObjectSink). Override indicate().
///
/// The service calls a sink from one delivery thread at a time, never concurrently with itself,
/// in the order the events were raised by each provider sink. Objects are shared immutable
/// snapshots: keep the ObjectPtr to hold one past the call. indicate() should return within about
/// 100 ms (WMI's rule): while it runs, this consumer's queue grows, and past its limit events are
/// dropped with __EventQueueOverflowEvent; other consumers are unaffected.
class ObjectSink {
 public:
  virtual ~ObjectSink() = default;

  /// Receives one or more events (IWbemObjectSink::Indicate). Return a failure status (or throw
  /// wbem::Error) to report a consumer failure: the events count as not delivered and a
  /// __ConsumerFailureEvent is raised with that code.
  virtual Status indicate(std::span<const ObjectPtr> objects) = 0;

  /// Receives the final status of the call (IWbemObjectSink::SetStatus): for an event query,
  /// once, with WBEM_STATUS_COMPLETE and WBEM_E_CALL_CANCELLED after cancelAsyncCall (decisions.md
  /// 6), or with the error that ended the subscription. Default: ignores it.
  virtual void setStatus(std::int32_t flags, Status result, std::string_view param, const ClassObject* object) {
    (void)flags, (void)result, (void)param, (void)object;
  }
};

}  // namespace wbem
