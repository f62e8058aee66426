#pragma once
// wbem::PermanentSubscriptions — WMI's permanent event consumers: __EventFilter instances bound to
// logical consumers (instances of __EventConsumer subclasses) by __FilterToConsumerBinding, in any
// namespace of an EventService, put through the API or MOF. Each binding whose filter, consumer
// and creator agree is a live subscription of the event service, delivering to the physical
// consumer that the consumer class's provider (__EventConsumerProviderRegistration) hands out.
// With a repository, they survive restarts: loading the instances activates them again.
//
// What a put is checked against (the put fails with the code, nothing is stored):
//   __EventFilter  QueryLanguage must be "WQL" (WBEM_E_INVALID_QUERY_TYPE); Query must be a valid
//                  event query in EventNamespace (or the filter's own namespace): the WQL error
//                  with its position; an empty Name is filled with a GUID.
//   binding        Filter and Consumer must exist in its namespace (WBEM_E_NOT_FOUND); a filter
//                  that polls (WITHIN) may be bound by administrators only (WBEM_E_ACCESS_DENIED).
//   all three      CreatorSID is set to the caller (Principal::caller()), whatever the put says.
// A binding whose three creators differ (an administrator counts as any administrator) is stored
// but inactive, and says why in bindings() (decisions.md 9).

#include <wbem/consumer_provider.hpp>
#include <wbem/event_service.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace wbem {

/// How permanent consumers are run.
struct PermanentSubscriptionOptions {
  /// Calls of a failing consumer per batch of events, and the wait before the second (doubling
  /// each time); when the last fails, the events are dropped with __ConsumerFailureEvent. The
  /// waits hold only that consumer's delivery.
  unsigned deliveryAttempts = 3;
  std::chrono::milliseconds retryBackoff{50};
  /// Make `root\subscription` (when missing) with LogFileEventConsumer and
  /// CommandLineEventConsumer declared and registered, as WMI has them.
  bool standardConsumers = true;
};

/// One binding as it stands: for `wbemctl subscriptions list` and tests.
struct BindingStatus {
  std::string ns;        ///< the binding's namespace
  std::string binding;   ///< its relative path
  std::string filter;    ///< the Filter reference as stored
  std::string consumer;  ///< the Consumer reference as stored
  bool active = false;
  std::string reason;  ///< why it is not active (empty when it is)
};

/// Runs the permanent subscriptions of one EventService. Every member function is thread-safe.
/// Consumers are called on the service's delivery threads; they must not change a namespace from
/// inside indicateToConsumer (WMI's rule for calls into WMI from a sink).
class PermanentSubscriptions {
 public:
  /// Starts watching every namespace of `service` and activates the bindings already there. The
  /// service must outlive this object.
  explicit PermanentSubscriptions(EventService& service, PermanentSubscriptionOptions options = {});
  /// Ends the live subscriptions (the instances stay) and stops watching.
  ~PermanentSubscriptions();
  PermanentSubscriptions(const PermanentSubscriptions&) = delete;
  PermanentSubscriptions& operator=(const PermanentSubscriptions&) = delete;

  /// Binds the provider object for `__Win32Provider.Name = name` in namespace `ns`, instead of
  /// loading the shared library its `Module` names; bindings it serves are (re)activated.
  /// Replaces an earlier object of that name.
  void addConsumerProvider(std::string_view ns, std::string_view name, std::shared_ptr<EventConsumerProvider> provider);
  /// Unbinds it; the bindings it served become inactive.
  void removeConsumerProvider(std::string_view ns, std::string_view name);

  /// Every binding of every namespace, sorted by namespace and path.
  std::vector<BindingStatus> bindings() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

/// Loads the consumer plugin in shared library `module` (dlopen) and creates its provider; the
/// library stays loaded while the provider lives. WBEM_E_PROVIDER_LOAD_FAILURE, with the path and
/// the cause, when the file cannot be loaded, lacks `wbem_consumer_plugin`, has another ABI
/// version, or its constructor throws or returns null. Thread-safe.
std::shared_ptr<EventConsumerProvider> loadConsumerPlugin(const std::filesystem::path& module);

}  // namespace wbem
