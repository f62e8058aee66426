#pragma once
// wbem::EventEnumerator — the semisynchronous event consumer (WMI: the IEnumWbemClassObject that
// IWbemServices::ExecNotificationQuery returns). Services::execNotificationQuery creates it; the
// caller pulls events with next(). WMI mapping:
//   IEnumWbemClassObject::Next(lTimeout, uCount, apObjects, puReturned) -> next(timeoutMs, count, out)
//                                                                          (*puReturned = out's growth)
//   IEnumWbemClassObject::Reset                                         -> reset()
//   IEnumWbemClassObject::Release (last reference)                      -> ~EventEnumerator
// Clone and Skip are not offered: WMI's event enumerators are forward-only and support neither.

#include <wbem/classobject.hpp>
#include <wbem/event_service.hpp>
#include <wbem/status.hpp>

#include <cstdint>
#include <memory>
#include <vector>

namespace wbem {

/// WBEM_NO_WAIT: next() returns at once with what has arrived (WBEM_INFINITE, in event_sink.hpp,
/// waits for ever).
inline constexpr std::uint32_t WBEM_NO_WAIT = 0;

namespace detail {
struct ServicesCore;
}

/// IEnumWbemClassObject over an event query (ExecNotificationQuery): a pull subscription of the
/// event service. Destroying it cancels the subscription (the providers get cancelQuery).
///
/// Lifetime: it may outlive the Services that created it (and that Services' EventService): once
/// the Services is destroyed, the subscription is over and next() returns WBEM_E_CALL_CANCELLED
/// (spec 61). Events that were waiting then are discarded, as WMI discards them when the
/// IWbemServices proxy goes.
class EventEnumerator {
 public:
  EventEnumerator(const EventEnumerator&) = delete;
  EventEnumerator& operator=(const EventEnumerator&) = delete;
  /// Cancels the subscription unless it already ended. Must not run concurrently with next().
  ~EventEnumerator();

  /// IEnumWbemClassObject::Next: appends up to `count` events to `out`, waiting up to `timeoutMs`
  /// (WBEM_INFINITE for ever, WBEM_NO_WAIT not at all) for them to arrive. WBEM_S_NO_ERROR when
  /// `count` arrived; WBEM_S_TIMEDOUT when fewer did (an event enumeration never ends, so never
  /// WBEM_S_FALSE; spec 55, 56); WBEM_E_INVALID_PARAMETER for `count` 0; WBEM_E_CALL_CANCELLED once
  /// the subscription has ended (its Services was destroyed, spec 61, or the service shut down).
  /// Not thread-safe against itself; thread-safe against reset() and the Services' calls.
  Status next(std::uint32_t timeoutMs, std::uint32_t count, std::vector<ObjectPtr>& out);

  /// IEnumWbemClassObject::Reset: has no effect on an event enumerator (events already returned
  /// are not delivered again, spec 58); returns WBEM_S_NO_ERROR. Thread-safe.
  Status reset();

  /// The event service's id of the subscription (for logs and statistics). Thread-safe.
  SubscriptionId subscriptionId() const noexcept { return id_; }

 private:
  friend class Services;
  EventEnumerator(std::shared_ptr<detail::ServicesCore> core, SubscriptionId id);

  std::shared_ptr<detail::ServicesCore> core_;
  SubscriptionId id_;
};

}  // namespace wbem
