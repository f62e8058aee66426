#pragma once
// wbem::Services — the event calls of IWbemServices for one namespace of an EventService and one
// caller: temporary consumers, asynchronous (an ObjectSink), semisynchronous (an EventEnumerator)
// or, for C++ code, a Boost.Signals2 slot. WMI mapping, one call to one function:
//   IWbemServices::ExecNotificationQueryAsync(lang, query, lFlags, ctx, sink)
//                                      -> execNotificationQueryAsync(language, query, flags, sink)
//   IWbemServices::CancelAsyncCall(sink) -> cancelAsyncCall(sink)
//   IWbemServices::ExecNotificationQuery(lang, query, lFlags, ctx, &enum)
//                                      -> execNotificationQuery(language, query, flags)
//   IWbemServices::Release (last reference of the proxy) -> ~Services
//   (no WMI counterpart)                 -> subscribe(query, slot)
// The IWbemContext argument has no counterpart: the event calls of WMI ignore it.
//
// Errors: the asynchronous call returns its status, as WMI's does, and never throws; the calls
// that return an object (execNotificationQuery, subscribe) throw wbem::Error with the same codes,
// which also carries the message and, for a bad query, the position in the query text.

#include <wbem/classobject.hpp>
#include <wbem/event_enumerator.hpp>
#include <wbem/event_service.hpp>
#include <wbem/object_sink.hpp>
#include <wbem/security.hpp>
#include <wbem/status.hpp>

#include <boost/signals2/connection.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace wbem {

/// The lFlags of the event calls (WMI WBEM_GENERIC_FLAG_TYPE, the members that apply to them).
enum QueryFlag : std::int32_t {
  WBEM_FLAG_RETURN_IMMEDIATELY = 0x10,
  WBEM_FLAG_FORWARD_ONLY = 0x20,
  WBEM_FLAG_SEND_STATUS = 0x80,
};

/// The event calls of IWbemServices, bound to one EventService namespace and one caller.
///
/// Every member function is thread-safe except the destructor. Destroying a Services ends all its
/// temporary subscriptions (spec 61, WMI's "releasing the IWbemServices stops delivery to all of
/// its temporary consumers"): each async sink gets setStatus(WBEM_STATUS_COMPLETE,
/// WBEM_E_CALL_CANCELLED), its enumerators return WBEM_E_CALL_CANCELLED, its Signals2 connections
/// become disconnected. Lifetime: the EventService must outlive the Services; enumerators,
/// connections and sinks may outlive both. The destructor must not run inside one of its own
/// consumer calls (an indicate() or a slot), since it waits for those calls to finish.
class Services {
 public:
  /// Binds to namespace `namespaceName` of `service` ("root\\test"; WMI: IWbemLocator::ConnectServer)
  /// as `caller` (Principal::current() when unset), whom quotas and security are judged against.
  /// Throws WBEM_E_INVALID_NAMESPACE when there is no such namespace. Thread-safe.
  Services(EventService& service, std::string_view namespaceName, std::optional<Principal> caller = std::nullopt);
  Services(const Services&) = delete;
  Services& operator=(const Services&) = delete;
  /// Cancels every subscription made through this object and waits for calls of its consumers and
  /// enumerators already in the event service to return. Not thread-safe.
  ~Services();

  /// IWbemServices::ExecNotificationQueryAsync: subscribes `sink` to the events of `query`; they
  /// arrive through sink->indicate() on a delivery thread until cancelAsyncCall(sink). `flags` is 0
  /// or WBEM_FLAG_SEND_STATUS (accepted; an event query has no progress to report), anything else
  /// is WBEM_E_INVALID_PARAMETER, as is a null sink or a sink that already has a call running on
  /// this Services (cancelAsyncCall could not tell the two apart). Otherwise the codes of
  /// EventService::subscribe: WBEM_E_INVALID_QUERY_TYPE, WBEM_E_INVALID_QUERY and the other WQL
  /// codes, WBEM_E_QUOTA_VIOLATION, WBEM_E_ACCESS_DENIED, ... On any failure the sink is never
  /// called nor kept (spec 60). setStatus comes only when the call ends: after cancelAsyncCall, when
  /// this Services is destroyed, or with the error that ended it. Never throws. Thread-safe.
  Status execNotificationQueryAsync(std::string_view language, std::string_view query, std::int32_t flags,
                                    std::shared_ptr<ObjectSink> sink);

  /// IWbemServices::CancelAsyncCall: ends the call `sink` was given to. WBEM_S_NO_ERROR, and no
  /// indicate() starts after it returns; then exactly one setStatus(WBEM_STATUS_COMPLETE,
  /// WBEM_E_CALL_CANCELLED) follows (decisions.md 6). WBEM_E_NOT_FOUND when the sink has no call
  /// on this Services (never had one, was cancelled, or its call ended); WBEM_E_INVALID_PARAMETER
  /// for null. Unlike WMI it may be called from inside a consumer call (a sink's indicate() or a
  /// slot): the cancellation is then finished by a helper thread, so the setStatus comes later.
  /// Thread-safe.
  Status cancelAsyncCall(const std::shared_ptr<ObjectSink>& sink);

  /// IWbemServices::ExecNotificationQuery: the semisynchronous form. `flags` must be exactly
  /// WBEM_FLAG_RETURN_IMMEDIATELY | WBEM_FLAG_FORWARD_ONLY (spec case 3, decisions.md 3), else
  /// WBEM_E_INVALID_PARAMETER. Returns at once with a non-null enumerator; throws wbem::Error with
  /// the codes of execNotificationQueryAsync on failure (nothing stays registered). Thread-safe.
  std::unique_ptr<EventEnumerator> execNotificationQuery(std::string_view language, std::string_view query,
                                                         std::int32_t flags);

  /// Subscribes a C++ callable with Boost.Signals2: `slot` is called once per event of the WQL
  /// `query`, on a delivery thread, never concurrently with itself. It may throw wbem::Error to
  /// report a consumer failure (the rest of that delivery is dropped and __ConsumerFailureEvent
  /// raised). Returns the connection: disconnecting it (or a boost::signals2::scoped_connection
  /// holding it going out of scope) cancels the subscription; disconnecting from inside the slot is
  /// allowed and finishes on a helper thread. The connection reads disconnected once the
  /// subscription ends for any other reason. Throws wbem::Error for a bad query (codes as
  /// execNotificationQuery) and WBEM_E_INVALID_PARAMETER for an empty slot. Only these
  /// subscriptions pay for Signals2. Thread-safe.
  boost::signals2::connection subscribe(std::string_view query, std::function<void(const ClassObject&)> slot);

  /// The EventService and namespace this object is bound to. Thread-safe.
  EventService& service() const noexcept;
  const std::string& namespaceName() const noexcept;

 private:
  std::shared_ptr<detail::ServicesCore> core_;
};

}  // namespace wbem
