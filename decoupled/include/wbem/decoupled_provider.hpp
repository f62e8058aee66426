#pragma once
// Decoupled providers: an application hosts an event provider and registers it with the daemon
// (spec section 5, decisions.md 5). WMI mapping:
//   IWbemDecoupledRegistrar::Register(flags, ctx, user, locale, scope, registration, punk)
//                                   -> DecoupledRegistrar::registerProvider(flags, user, locale,
//                                      scope, registration, provider)   (the reserved context is
//                                      left out)
//   IWbemDecoupledRegistrar::UnRegister           -> unregister
//   IWbemDecoupledBasicEventProvider::GetSink     -> DecoupledBasicEventProvider::getSink
//   IWbemDecoupledBasicEventProvider::GetService  -> DecoupledBasicEventProvider::getService
//   QueryInterface on punk                        -> dynamic_cast of `provider` to EventProvider,
//                                                    EventProviderQuerySink, EventProviderSecurity,
//                                                    ProviderInit (the callbacks it gets)
//
// The namespace must hold `__Win32Provider{Name = registration, HostingModel = "Decoupled:Com"}`
// and its `__EventProviderRegistration` (MOF, compiled into the daemon). Callbacks (provideEvents,
// newQuery, cancelQuery, accessCheck, initialize) run on the library's delivery thread, one at a
// time. The sink's indicate never blocks on the daemon: events are batched and sent by the I/O
// thread; when the daemon is unreachable they are dropped and counted (there is no one to deliver
// them to). When the daemon goes away the provider gets cancelQuery for each filter it had; the
// library reconnects with backoff (50 ms doubling to 5 s) and registers again, without the
// provider's code doing anything; the daemon then calls provideEvents and newQuery for every live
// filter again.

#include <wbem/client.hpp>
#include <wbem/event_provider.hpp>
#include <wbem/event_sink.hpp>
#include <wbem/status.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>

namespace wbem {

namespace detail {
struct Registration;
}

/// IWbemDecoupledRegistrar: registers a provider object living in this process.
class DecoupledRegistrar {
 public:
  /// A registrar reaching the daemon as `options` says (its namespaceName is not used: the scope
  /// names the namespace). Connects at registerProvider. Thread-safe.
  explicit DecoupledRegistrar(ConnectOptions options = {});
  DecoupledRegistrar(const DecoupledRegistrar&) = delete;
  DecoupledRegistrar& operator=(const DecoupledRegistrar&) = delete;
  /// Unregisters if still registered. Not to be called from one of the provider's callbacks.
  virtual ~DecoupledRegistrar();

  /// Register: connects and registers `provider` as the provider named `registration` in the
  /// namespace `scope` (`root/cimv2` or `root\cimv2`; a namespace given in `locale` while scope is
  /// empty is taken too, as WMI's own example does). `flags` must be 0 (WBEM_E_INVALID_PARAMETER).
  /// Returns WBEM_S_NO_ERROR, WBEM_E_PROVIDER_ALREADY_REGISTERED when that name is registered and
  /// connected, or already registered here; WBEM_E_PROVIDER_NOT_FOUND without its __Win32Provider;
  /// WBEM_E_TRANSPORT_FAILURE when no daemon listens. Thread-safe.
  Status registerProvider(std::int32_t flags, std::string_view user, std::string_view locale, std::string_view scope,
                          std::string_view registration, std::shared_ptr<EventProvider> provider);
  /// UnRegister: the daemon stops calling the provider and its sink refuses events
  /// (WBEM_E_PROVIDER_NOT_REGISTERED). WBEM_E_PROVIDER_NOT_REGISTERED when not registered.
  /// Thread-safe; not from one of the provider's callbacks.
  Status unregister();

 protected:
  /// The registration (sink, connection); null before registerProvider.
  const std::shared_ptr<detail::Registration>& registration() const noexcept { return registration_; }

 private:
  friend class DecoupledBasicEventProvider;  // reads registration_ under mutex_
  ConnectOptions options_;
  mutable std::mutex mutex_;  // registration_ and the calls that replace or end it
  std::shared_ptr<detail::Registration> registration_;
};

/// IWbemDecoupledBasicEventProvider: a registrar that hands out the sink itself, for applications
/// that raise events without a provider object (registerProvider's `provider` may be null).
class DecoupledBasicEventProvider : public DecoupledRegistrar {
 public:
  using DecoupledRegistrar::DecoupledRegistrar;

  /// GetSink: the sink events go through (fully concurrent: indicate may be called from any
  /// thread). WBEM_E_PROVIDER_NOT_REGISTERED (thrown) before registerProvider. Thread-safe.
  std::shared_ptr<EventSink> getSink(std::int32_t flags = 0) const;
  /// GetService: the daemon's services in the registered namespace. Throws
  /// WBEM_E_PROVIDER_NOT_REGISTERED before registerProvider. Thread-safe.
  std::shared_ptr<Connection> getService(std::int32_t flags = 0) const;
};

}  // namespace wbem
