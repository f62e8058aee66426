#pragma once
// The interfaces an in-process event provider implements (WMI: IWbemProviderInit,
// IWbemEventProvider, IWbemEventProviderQuerySink, IWbemEventProviderSecurity,
// IWbemProviderIdentity, IWbemShutdown). A provider object derives from EventProvider and, as it
// needs, from the others; the service finds them as WMI finds interfaces with QueryInterface.

#include <wbem/classobject.hpp>
#include <wbem/event_sink.hpp>
#include <wbem/security.hpp>
#include <wbem/status.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace wbem {

class Namespace;

/// WBEM_S_INITIALIZED: the status a provider reports through ProviderInitSink when ready.
inline constexpr Status WBEM_S_INITIALIZED = WBEM_S_NO_ERROR;

/// Where a provider reports the outcome of initialize() (IWbemProviderInitSink). Thread-safe;
/// may be called from any thread, later than initialize() returns.
class ProviderInitSink {
 public:
  virtual ~ProviderInitSink() = default;
  /// Reports WBEM_S_INITIALIZED, or a failure code (IWbemProviderInitSink::SetStatus). The first
  /// call decides; later ones are ignored. Thread-safe.
  virtual void setStatus(Status status, std::int32_t flags = 0) = 0;
};

/// What initialize() is told (the IWbemProviderInit::Initialize arguments).
struct ProviderInitContext {
  /// The user for per-user initialization; empty otherwise (always for event providers).
  std::string user;
  std::int32_t flags = 0;
  /// The namespace the provider serves ("root\\test").
  std::string namespaceName;
  /// The locale, e.g. "MS_409"; empty when none.
  std::string locale;
  /// The namespace itself, for calls back into it during initialization.
  Namespace* services = nullptr;
};

/// IWbemProviderInit. The service calls initialize() once before the provider's first activation
/// and waits (up to __Win32Provider.InitializationTimeoutInterval, default 20 s) for the sink to
/// report. Returning a failure without reporting, or reporting one, fails the subscription with
/// WBEM_E_INITIALIZATION_FAILURE; never reporting fails it with WBEM_E_PROVIDER_TIMED_OUT.
class ProviderInit {
 public:
  virtual ~ProviderInit() = default;
  virtual Status initialize(const ProviderInitContext& context, std::shared_ptr<ProviderInitSink> sink) = 0;
};

/// IWbemEventProvider. provideEvents() activates the provider: keep the sink and raise events
/// through it from any thread; return quickly (WMI allows a few seconds). `flags` is 0.
class EventProvider {
 public:
  virtual ~EventProvider() = default;
  virtual Status provideEvents(std::shared_ptr<EventSink> sink, std::int32_t flags) = 0;
};

/// IWbemEventProviderQuerySink: told of each live filter that concerns the provider. newQuery may
/// come before provideEvents and more than once for one id; cancelQuery comes when the filter
/// goes. Advisory: the return value is logged when it is a failure.
class EventProviderQuerySink {
 public:
  virtual ~EventProviderQuerySink() = default;
  virtual Status newQuery(std::uint32_t id, std::string_view language, std::string_view query) = 0;
  virtual Status cancelQuery(std::uint32_t id) = 0;
};

/// IWbemEventProviderSecurity: asked whether a subscriber may receive the provider's events.
/// `principal` is null for a temporary consumer (WMI passes no SID then) and the creator for a
/// permanent subscription. A failure status fails that subscription with WBEM_E_ACCESS_DENIED.
class EventProviderSecurity {
 public:
  virtual ~EventProviderSecurity() = default;
  virtual Status accessCheck(std::string_view language, std::string_view query, const Principal* principal) = 0;
};

/// IWbemProviderIdentity: handed the provider's __EventProviderRegistration instance before
/// initialize().
class ProviderIdentity {
 public:
  virtual ~ProviderIdentity() = default;
  virtual Status setRegistrationObject(std::int32_t flags, const ClassObject& registration) = 0;
};

/// IWbemShutdown: called when the provider is deactivated (the last filter that needed it went)
/// or the service stops. After it the provider's sink is released.
class ProviderShutdown {
 public:
  virtual ~ProviderShutdown() = default;
  virtual void shutdown(std::int32_t reason, std::uint32_t maxMilliseconds) = 0;
};

/// IWbemServices::CreateInstanceEnum for a dynamic class (an instance provider). The service polls
/// it for intrinsic events of classes whose filters use WITHIN and that no event provider serves.
class InstanceProvider {
 public:
  virtual ~InstanceProvider() = default;
  /// Every instance of `className` (and of its subclasses the provider serves). May be called from
  /// the service's scheduler thread; throw wbem::Error to report a failure (logged; the poll is
  /// skipped).
  virtual std::vector<ObjectPtr> createInstanceEnum(std::string_view className) = 0;
};

}  // namespace wbem
