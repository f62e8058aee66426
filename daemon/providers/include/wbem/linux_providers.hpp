#pragma once
// The Linux providers wbemd hosts (WMI: the Win32 provider's Win32_Process and the kernel trace
// provider's Win32_ProcessStartTrace):
//   Linux_Process            [Dynamic, Provider("Linux_ProcessProvider")]: one instance per process,
//                            read from /proc; WITHIN queries poll it.
//   Linux_ProcessStartTrace  : __ExtrinsicEvent, raised by "Linux_ProcessStartTraceProvider" for
//                            every exec(), from the kernel's process-event connector.
// registerLinuxProviders() declares both classes in a namespace and binds the providers.

#include <wbem/event_provider.hpp>
#include <wbem/event_service.hpp>
#include <wbem/event_sink.hpp>
#include <wbem/namespace.hpp>
#include <wbem/status.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace wbem {

/// `__Win32Provider.Name` of the instance provider of Linux_Process (its `Provider` qualifier).
inline constexpr std::string_view kLinuxProcessProviderName = "Linux_ProcessProvider";
/// `__Win32Provider.Name` of the event provider of Linux_ProcessStartTrace.
inline constexpr std::string_view kLinuxProcessStartTraceProviderName = "Linux_ProcessStartTraceProvider";

// The MOF has no #pragma namespace: it is meant for root\cimv2 (mofcomp -N:root\cimv2).
/// The MOF of Linux_Process, Linux_ProcessStartTrace and the event provider's __Win32Provider and
/// __EventProviderRegistration. Thread-safe.
std::string linuxProvidersMof();

/// The instance provider of Linux_Process: every enumeration reads /proc afresh. Processes that
/// exit while being read are left out (a race that is normal, not an error). The boot time
/// (/proc/stat btime) is read once, so that a process's CreationDate never changes between polls.
class LinuxProcessProvider : public InstanceProvider {
 public:
  /// Serves Linux_Process as declared in `ns`, which must outlive it; WBEM_E_FAILED when
  /// /proc/stat cannot be read. Thread-safe.
  explicit LinuxProcessProvider(const Namespace& ns);

  /// One Linux_Process instance per process. `className` must be Linux_Process
  /// (WBEM_E_INVALID_CLASS otherwise); WBEM_E_FAILED when /proc cannot be listed. Thread-safe.
  std::vector<ObjectPtr> createInstanceEnum(std::string_view className) override;

 private:
  const Namespace& ns_;
  const std::int64_t bootTime_;  // seconds since the epoch (btime)
  const long ticksPerSecond_;    // the unit of /proc/PID/stat starttime
};

/// The event provider of Linux_ProcessStartTrace. It listens on the kernel's process-event
/// connector (netlink, CN_IDX_PROC) only while some filter wants its events — from the first
/// newQuery to the cancelQuery that leaves none — and raises one event per PROC_EVENT_EXEC, with
/// what /proc tells of the process at that moment. The connector needs CAP_NET_ADMIN in the
/// initial network namespace: check available() before registering it. available() probes it
/// once, with a child that exits at once, and logs once why it cannot be used.
class LinuxProcessStartTraceProvider : public EventProvider, public EventProviderQuerySink, public ProviderShutdown {
 public:
  /// Raises Linux_ProcessStartTrace as declared in `ns`, which must outlive it. Does not listen
  /// yet. Thread-safe.
  explicit LinuxProcessStartTraceProvider(const Namespace& ns);
  /// Stops listening (joins the listener thread). Not thread-safe: no other call may be running.
  ~LinuxProcessStartTraceProvider() override;
  LinuxProcessStartTraceProvider(const LinuxProcessStartTraceProvider&) = delete;
  LinuxProcessStartTraceProvider& operator=(const LinuxProcessStartTraceProvider&) = delete;

  /// True when the connector can be opened, subscribed to and delivers events here (probed on the
  /// first call, then remembered). Thread-safe.
  static bool available();

  /// Keeps `sink` for the events (IWbemEventProvider::ProvideEvents). Thread-safe.
  Status provideEvents(std::shared_ptr<EventSink> sink, std::int32_t flags) override;
  /// Counts a live filter; the first one starts the listener. WBEM_E_ACCESS_DENIED (and one log
  /// line) when the connector cannot be opened. Thread-safe.
  Status newQuery(std::uint32_t id, std::string_view language, std::string_view query) override;
  /// Forgets a filter; when none is left, stops the listener (joined before it returns).
  /// Thread-safe.
  Status cancelQuery(std::uint32_t id) override;
  /// Stops the listener and releases the sink (the service deactivates the provider). Thread-safe.
  void shutdown(std::int32_t reason, std::uint32_t maxMilliseconds) override;

  /// True while the listener thread runs (for tests and diagnostics). Thread-safe.
  bool listening() const;

 private:
  class Listener;
  // Builds and raises the event for one exec of process `pid` (the listener thread's callback).
  void raise(std::uint32_t pid);
  // Stops the listener; called with control_ held.
  void stopListening();

  const Namespace& ns_;
  mutable std::mutex control_;  // queries_, listener_, openFailureLogged_
  std::set<std::uint32_t> queries_;
  std::unique_ptr<Listener> listener_;
  bool openFailureLogged_ = false;
  // A separate lock, never held while control_ is taken, so that stopping (under control_) may
  // join a listener thread that is reading the sink.
  mutable std::mutex sinkMutex_;
  std::shared_ptr<EventSink> sink_;
  std::atomic<bool> raiseFailureLogged_{false};
};

// Idempotent: classes already there (a repository) are kept when unchanged, and an event provider
// already bound stays. The MOF failing to compile into `ns` (a different class of the same name
// with instances, say) throws wbem::Error with the compiler's first diagnostic.
/// Compiles linuxProvidersMof() into `ns` (created with its parents when missing) and binds both
/// providers, the event provider only when available(). Thread-safe.
void registerLinuxProviders(EventService& service, std::string_view ns = "root/cimv2");

}  // namespace wbem
