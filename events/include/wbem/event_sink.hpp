#pragma once
// wbem::EventSink — what an event provider raises events through (WMI: IWbemEventSink, which
// extends IWbemObjectSink). The service creates sinks; providers receive them in provideEvents()
// (or from a decoupled registrar) and call indicate() from any thread.

#include <wbem/classobject.hpp>
#include <wbem/security.hpp>
#include <wbem/status.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace wbem {

/// setBatchingParameters() lFlags (WBEM_BATCH_TYPE).
enum BatchType : std::int32_t {
  WBEM_FLAG_BATCH_IF_NEEDED = 0,
  WBEM_FLAG_MUST_BATCH = 0x1,
  WBEM_FLAG_MUST_NOT_BATCH = 0x2,
};

/// WBEM_INFINITE: no latency bound in setBatchingParameters (and an unbounded wait elsewhere).
inline constexpr std::uint32_t WBEM_INFINITE = 0xFFFFFFFF;

/// An event provider's sink (IWbemEventSink). Every member function is thread-safe; indicate()
/// takes no lock and never waits for consumers.
class EventSink {
 public:
  virtual ~EventSink() = default;

  /// Raises events (IWbemObjectSink::Indicate): each object is copied (the caller keeps its
  /// objects and may reuse them at once), stamped with TIME_CREATED when unset (100 ns since 1601
  /// UTC), and queued for matching. Returns WBEM_S_NO_ERROR; WBEM_E_SERVER_TOO_BUSY when this
  /// sink's ingest queue is full (nothing of the call was queued; the provider may retry);
  /// WBEM_E_INVALID_PARAMETER for a class object or an object that is not an event
  /// (__ExtrinsicEvent or an intrinsic event class); WBEM_E_CALL_CANCELLED when the sink was
  /// released (its provider shut down, or a decoupled provider unregistered).
  /// With `subjectToSds` true the events' SECURITY_DESCRIPTOR decides which consumers may receive
  /// them (the WBEM_S_SUBJECT_TO_SDS contract). Thread-safe, lock-free.
  virtual Status indicate(std::span<const ClassObject> objects, bool subjectToSds = false) = 0;
  /// indicate() for one object. Thread-safe, lock-free.
  Status indicate(const ClassObject& object, bool subjectToSds = false) {
    return indicate(std::span<const ClassObject>(&object, 1), subjectToSds);
  }

  /// IWbemObjectSink::SetStatus from a provider. Event providers must not call it (WMI's rule):
  /// it is logged and ignored. Returns WBEM_S_NO_ERROR. Thread-safe.
  virtual Status setStatus(std::int32_t flags, Status result) = 0;

  /// WBEM_S_NO_ERROR when some live filter may want events from this sink, WBEM_S_FALSE when none
  /// (decisions.md 4): a restricted sink asks about its own queries, an unrestricted one about
  /// every query of its provider's registration. Thread-safe.
  virtual Status isActive() const = 0;

  /// A sink that raises only events matching one of `queries` and is active only while some live
  /// filter overlaps one of them (IWbemEventSink::GetRestrictedSink). WBEM_E_INVALID_QUERY (with
  /// the position) or another WQL code for a bad query; WBEM_E_INVALID_PARAMETER for an empty list.
  /// Thread-safe.
  virtual std::shared_ptr<EventSink> getRestrictedSink(const std::vector<std::string>& queries) = 0;

  /// Sets which consumers may receive this sink's events (IWbemEventSink::SetSinkSecurity): a
  /// consumer needs WBEM_RIGHT_SUBSCRIBE in the descriptor's DACL; others are silently skipped.
  /// Applies to events indicated after the call. Thread-safe.
  virtual void setSinkSecurity(const SecurityDescriptor& descriptor) = 0;

  /// IWbemEventSink::SetBatchingParameters: BATCH_IF_NEEDED (default) hands consumers what has
  /// accumulated in one call; MUST_NOT_BATCH delivers this sink's events one per call; MUST_BATCH
  /// holds them until `maxBufferSize` bytes are waiting or the oldest waited `maxSendLatencyMs`
  /// (WBEM_INFINITE: no bound) and delivers them together. WBEM_E_INVALID_PARAMETER for unknown
  /// flags or MUST_BATCH with neither bound. Thread-safe.
  virtual Status setBatchingParameters(std::int32_t flags, std::uint32_t maxBufferSize,
                                       std::uint32_t maxSendLatencyMs) = 0;
};

}  // namespace wbem
