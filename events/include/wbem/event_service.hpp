#pragma once
// wbem::EventService — the in-process event subsystem (WMI: the event half of winmgmt). It holds
// namespaces, event and instance providers and subscriptions; providers raise events through
// EventSinks, a dispatcher matches them against every live filter through the filter index, and
// each consumer gets its own bounded delivery queue. Design and WMI mapping: docs/events.md.

#include <wbem/classobject.hpp>
#include <wbem/clock.hpp>
#include <wbem/event_provider.hpp>
#include <wbem/event_sink.hpp>
#include <wbem/namespace.hpp>
#include <wbem/object_sink.hpp>
#include <wbem/repository.hpp>
#include <wbem/security.hpp>
#include <wbem/status.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wbem {

/// How an EventService runs. The defaults suit a daemon; tests pass a ManualClock.
struct EventServiceOptions {
  /// Where time comes from (SystemClock when null).
  std::shared_ptr<Clock> clock;
  /// Threads that match ingested events against the filters. Each provider sink is served by one
  /// of them, so the order of one sink's events is kept.
  unsigned dispatcherThreads = 1;
  /// Threads that call consumers. A consumer runs on at most one at a time; when every thread is
  /// stuck in a consumer for longer than `stuckConsumerTime`, another is started, up to
  /// `maxDeliveryThreads`, so one hung consumer never stops the others.
  unsigned deliveryThreads = 2;
  unsigned maxDeliveryThreads = 32;
  std::chrono::milliseconds stuckConsumerTime{200};
  /// Events one provider sink may have waiting for the dispatcher; beyond it indicate() returns
  /// WBEM_E_SERVER_TOO_BUSY.
  std::size_t ingestQueueLimit = 65536;
  /// The smallest WITHIN a query may ask (decisions.md 2).
  std::chrono::milliseconds minimumPollingInterval{100};
  /// How long provider initialization may take when __Win32Provider does not say.
  std::chrono::milliseconds providerInitTimeout{20000};
  /// The persistent repository. When set, the service starts with every namespace, class and
  /// instance it holds, and writes every later change through to it (one transaction per change;
  /// the event path never reads it). Without one, everything lives in memory only.
  std::shared_ptr<Repository> repository{};
};

/// Told of namespaces as they come and go and, as a NamespaceObserver, of the changes in each
/// (what permanent subscriptions are built on). Override what you need.
class ServiceObserver : public NamespaceObserver {
 public:
  /// Namespace `ns` exists from now on (created, restored, or already there when the observer was
  /// added). Called without the service's locks held; the observer already sees its changes.
  virtual void namespaceCreated(Namespace& ns) { (void)ns; }
  /// Namespace `ns` has been deleted (or is replaced by a restore): its changes no longer reach
  /// the observer. The object stays valid until the service is destroyed.
  virtual void namespaceDeleted(const Namespace& ns) { (void)ns; }
  /// An event or instance provider was bound in `ns` (subscriptions that needed it may now be
  /// made). Called without the service's locks held.
  virtual void providersChanged(Namespace& ns) { (void)ns; }
};

/// Who subscribes and how; the defaults describe a temporary consumer of the calling process.
struct SubscriptionOptions {
  /// The subscriber: quotas, sink security, per-event descriptors and admin-only events
  /// (__EventQueueOverflowEvent) are judged against it. When unset, Principal::caller(): the
  /// principal the calling thread impersonates, or the process's.
  std::optional<Principal> owner;
  /// Who may publish to it (__EventFilter.EventAccess): an event reaches the consumer only when
  /// every identity it is raised as holds WBEM_RIGHT_PUBLISH here, that is its provider's
  /// registrant (the caller of addEventProvider, unless that is the process's own user) and the
  /// owner of the sink's descriptor (setSinkSecurity). Unset: everyone. The service's own
  /// intrinsic, timer and system events always pass.
  std::optional<SecurityDescriptor> eventAccess;
  /// A permanent subscription (an __EventFilter bound to a consumer): accessCheck is given the
  /// owner, and the permanent quotas apply. Temporary otherwise.
  bool permanent = false;
  /// IntendedConsumer of drop and failure events about this consumer (an object path); a
  /// temporary consumer gets `__TemporaryConsumer.Id=<subscription id>` when empty.
  std::string consumerPath;
  /// Bytes this consumer's queue may hold (__EventConsumer.MaximumQueueSize); 0 takes the
  /// arbitrator's per-consumer limit.
  std::uint64_t maxQueueBytes = 0;
  /// Deliver on the provider's thread (__FilterToConsumerBinding.DeliverSynchronously, spec case
  /// 76): events a provider indicates reach the sink inside that indicate() call, which waits for
  /// the consumer; events the service raises itself (intrinsic, timer, system) still go through
  /// the consumer's queue. Ignored for GROUP queries and pull subscriptions.
  bool deliverSynchronously = false;
};

/// A subscription's identity, unique for the service's life.
using SubscriptionId = std::uint64_t;

/// Limits in force (__ArbitratorConfiguration in the root namespace; decisions.md 7).
struct ArbitratorLimits {
  std::uint32_t temporarySubscriptionsPerUser = 1000;
  std::uint32_t temporarySubscriptionsTotal = 10000;
  std::uint32_t permanentSubscriptionsPerUser = 1000;
  std::uint32_t permanentSubscriptionsTotal = 10000;
  std::uint32_t pollingInstructionsPerUser = 1000;
  std::uint32_t pollingInstructionsTotal = 10000;
  std::uint64_t maximumQueueSizePerConsumer = 10u << 20;
  std::uint64_t maximumQueueSizePerUser = 10u << 20;  // all queues of one owner's consumers together
  std::uint64_t maximumQueueSizeTotal = 20u << 20;
  std::chrono::milliseconds maxWaitOnEvents{2000};
};

/// One event provider's counters (`wbemctl stats`), over all its activations.
struct ProviderStatistics {
  std::string namespaceName;
  std::string name;
  bool bound = false;              // a provider object is bound under this name
  std::size_t filters = 0;         // live filters it serves (0: inactive)
  std::uint64_t indicated = 0;     // events it raised that reached the dispatcher
  std::uint64_t rejectedBusy = 0;  // events its sinks refused with WBEM_E_SERVER_TOO_BUSY
};

/// One subscription's consumer counters (`wbemctl stats`).
struct ConsumerStatistics {
  SubscriptionId id = 0;
  std::string namespaceName;
  std::string query;
  std::string consumer;  // the consumer's path (__TemporaryConsumer.Id=N for a temporary one)
  std::uint32_t ownerUid = 0;
  bool permanent = false;
  std::uint64_t delivered = 0;   // events handed to the consumer (or pulled)
  std::uint64_t dropped = 0;     // events dropped for it: queue full or waited too long
  std::uint64_t failures = 0;    // events in consumer calls that failed
  std::size_t queuedEvents = 0;  // waiting in its queue now (approximate)
  std::uint64_t queuedBytes = 0;
};

/// Counters, for tests, benchmarks and `wbemctl`.
struct EventServiceStatistics {
  std::uint64_t indicated = 0;         // events accepted from sinks and matched (counted at dispatch)
  std::uint64_t rejectedBusy = 0;      // events refused with WBEM_E_SERVER_TOO_BUSY
  std::uint64_t delivered = 0;         // event deliveries to consumers
  std::uint64_t dropped = 0;           // deliveries dropped (queue full or too old)
  std::uint64_t consumerFailures = 0;  // failed consumer calls
  std::size_t subscriptions = 0;
  std::size_t activeProviders = 0;
  std::size_t deliveryThreads = 0;
  std::vector<ProviderStatistics> providers;  // by namespace, then name
  std::vector<ConsumerStatistics> consumers;  // by subscription id
};

/// A namespace's security descriptor, and whether it is inherited (WMI: the SD __SystemSecurity's
/// GetSD returns).
struct NamespaceSecurity {
  SecurityDescriptor descriptor;
  bool inherited = false;  // the parent's (for `root`, the default) rather than its own
};

/// The event service. Every public member function is thread-safe unless it says otherwise.
/// None may be called from inside a consumer's indicate() for the same subscription (WMI's rule
/// for CancelAsyncCall): cancel() waits for that call to finish.
class EventService {
 public:
  /// Starts the dispatcher, delivery and scheduler threads, and creates the namespace `root`.
  explicit EventService(EventServiceOptions options = {});
  EventService(const EventService&) = delete;
  EventService& operator=(const EventService&) = delete;
  /// Cancels every subscription (each ObjectSink gets setStatus(COMPLETE, WBEM_E_SHUTTING_DOWN)),
  /// shuts providers down, releases their sinks and joins the threads. Events still queued are
  /// dropped. Not thread-safe: no other call may be running.
  ~EventService();

  // --- namespaces -----------------------------------------------------------------------------
  /// Creates namespace `name` (its parent must exist; `root` always does) and raises
  /// __NamespaceCreationEvent in the parent. WBEM_E_ALREADY_EXISTS, WBEM_E_INVALID_NAMESPACE.
  /// Changes to its classes and instances raise the intrinsic events from then on. Thread-safe.
  Namespace& createNamespace(std::string_view name);
  /// Deletes namespace `name` and the namespaces below it: their subscriptions end (each sink gets
  /// setStatus(COMPLETE, WBEM_E_INVALID_NAMESPACE)), their providers are shut down, and
  /// __NamespaceDeletionEvent is raised in the parent. `root` cannot be deleted
  /// (WBEM_E_ACCESS_DENIED); WBEM_E_INVALID_NAMESPACE when there is none. References to the deleted
  /// Namespace objects stay valid until the service is destroyed. Thread-safe.
  void deleteNamespace(std::string_view name);
  /// The namespace `name` ("root\\test" or "root/test", case-insensitive), or nullptr. Thread-safe.
  Namespace* findNamespace(std::string_view name) const;
  /// The namespace `name`; WBEM_E_INVALID_NAMESPACE when there is none. Thread-safe.
  Namespace& getNamespace(std::string_view name) const;

  // --- namespace security (WMI: __SystemSecurity, which calls these) -----------------------------
  /// The descriptor that judges calls in namespace `ns`: its own, or the nearest ancestor's, or
  /// for none defaultNamespaceSecurity(). The caller (Principal::caller()) needs READ_CONTROL
  /// there. WBEM_E_INVALID_NAMESPACE, WBEM_E_ACCESS_DENIED. Thread-safe.
  NamespaceSecurity namespaceSecurity(std::string_view ns) const;
  /// Gives namespace `ns` its own descriptor, or with nullopt makes it inherit again; namespaces
  /// below it that inherit follow at once. Stored in the repository when there is one. The caller
  /// needs WRITE_DAC there (an owner of the descriptor always has it). WBEM_E_INVALID_NAMESPACE,
  /// WBEM_E_ACCESS_DENIED. Thread-safe.
  void setNamespaceSecurity(std::string_view ns, std::optional<SecurityDescriptor> descriptor);
  /// The descriptor of namespaces that have none of their own: owned by the administrators; they
  /// and the user the service runs as get every right, everyone (WD) WBEM_ENABLE,
  /// WBEM_METHOD_EXECUTE and WBEM_RIGHT_SUBSCRIBE. Thread-safe.
  static SecurityDescriptor defaultNamespaceSecurity();

  // --- providers ------------------------------------------------------------------------------
  /// Binds the provider object for `__Win32Provider.Name = name` in namespace `ns` (WMI loads it by
  /// CLSID; here the application hands it over). Its queries come from the
  /// __EventProviderRegistration instances that reference it, read again whenever they change.
  /// The object is initialised and given provideEvents only while some filter overlaps one of its
  /// queries. WBEM_E_ALREADY_EXISTS when a provider of that name is bound. Thread-safe.
  void addEventProvider(std::string_view ns, std::string_view name, std::shared_ptr<EventProvider> provider);
  /// Puts `__Win32Provider{Name}` and `__EventProviderRegistration{EventQueryList = queries}` into
  /// `ns`, then binds `provider` as addEventProvider does. Thread-safe.
  void registerEventProvider(std::string_view ns, std::string_view name, const std::vector<std::string>& queries,
                             std::shared_ptr<EventProvider> provider);
  /// Unbinds the provider: it is shut down if active; its sink is released. Thread-safe.
  void removeEventProvider(std::string_view ns, std::string_view name);
  /// Binds the instance provider named by classes' `Provider` qualifier in `ns` (dynamic classes);
  /// intrinsic queries with WITHIN on those classes poll it. Thread-safe.
  void addInstanceProvider(std::string_view ns, std::string_view name, std::shared_ptr<InstanceProvider> provider);
  /// The instances of `className` in `ns` and its subclasses (IWbemServices::CreateInstanceEnum):
  /// from the bound instance provider for a dynamic class (WBEM_E_PROVIDER_NOT_FOUND when none is
  /// bound), from the namespace otherwise. Thread-safe; the provider is called without locks held.
  std::vector<ObjectPtr> createInstanceEnum(std::string_view ns, std::string_view className) const;

  // --- subscriptions (temporary consumers; consumers/ wraps them in WMI's calls) -----------------
  /// Subscribes `sink` to the events of `query` in namespace `ns`. `language` must be "WQL"
  /// (WBEM_E_INVALID_QUERY_TYPE). The query is validated (WQL codes with positions), checked
  /// against quotas (WBEM_E_QUOTA_VIOLATION), intrinsic queries on dynamic classes need WITHIN
  /// (WBEMESS_E_REGISTRATION_TOO_PRECISE) and their polling is set up; providers whose registration
  /// overlaps the query are asked accessCheck (WBEM_E_ACCESS_DENIED), initialised
  /// (WBEM_E_INITIALIZATION_FAILURE, WBEM_E_PROVIDER_TIMED_OUT), activated and told newQuery.
  /// On failure nothing stays registered and `sink` is not called. Thread-safe.
  SubscriptionId subscribe(std::string_view ns, std::string_view language, std::string_view query,
                           std::shared_ptr<ObjectSink> sink, SubscriptionOptions options = {});
  /// The same, for a consumer that pulls its events with pull() instead of receiving indicate()
  /// calls (the semisynchronous enumerator). Thread-safe.
  SubscriptionId subscribePull(std::string_view ns, std::string_view language, std::string_view query,
                               SubscriptionOptions options = {});
  /// Takes up to `count` events of a pull subscription into `out`, waiting up to `timeout` for
  /// them (WBEM_INFINITE waits for ever, 0 does not wait): WBEM_S_NO_ERROR when `count` arrived,
  /// WBEM_S_TIMEDOUT when fewer did, WBEM_E_CALL_CANCELLED when the subscription has ended (after
  /// the events it had). Thread-safe; one puller at a time per subscription.
  Status pull(SubscriptionId id, std::uint32_t timeoutMs, std::size_t count, std::vector<ObjectPtr>& out);
  /// Ends a subscription: no indicate() follows once it returns, then the sink gets one
  /// setStatus(WBEM_STATUS_COMPLETE, `reason`); providers get cancelQuery and are shut down when no
  /// filter needs them. False when there is no such subscription. Thread-safe; must not be called
  /// from the subscription's own indicate().
  bool cancel(SubscriptionId id, Status reason = WBEM_E_CALL_CANCELLED);

  /// Adds `observer` to every namespace, present and future; each present one is reported to it
  /// through namespaceCreated() before this returns. Thread-safe.
  void addObserver(std::shared_ptr<ServiceObserver> observer);
  /// Removes an observer from every namespace; no call to it starts after this returns. Thread-safe.
  void removeObserver(const ServiceObserver* observer);

  // --- repository (IWbemBackupRestore) ---------------------------------------------------------
  /// Writes a consistent copy of the repository to `file` while the service runs (Backup).
  /// WBEM_E_INVALID_OPERATION without a repository. Thread-safe.
  void backup(const std::filesystem::path& file) const;
  /// Replaces everything with the contents of backup `file` (Restore): the backup is checked first
  /// (an unreadable one changes nothing), then every subscription ends (sinks get
  /// setStatus(COMPLETE, WBEM_E_SHUTTING_DOWN)), every namespace but root is deleted and root
  /// emptied, and the backup's namespaces, classes and instances are loaded, so the permanent
  /// subscriptions it holds are active again. As WMI restarts for a restore, every binding of a
  /// provider object ends too (bind them again; a deleted Namespace& stays valid but unused).
  /// WBEM_E_INVALID_OPERATION without a repository. Not thread-safe: no other call that changes
  /// namespaces may run meanwhile.
  void restore(const std::filesystem::path& file);

  // --- service --------------------------------------------------------------------------------
  /// The limits in force, read from __ArbitratorConfiguration in `root`. Thread-safe.
  ArbitratorLimits limits() const;
  /// The service's clock. Thread-safe.
  Clock& clock() const noexcept;
  /// Waits until every event raised before the call has been matched and handed to its consumers
  /// (or dropped), due timers and polls have run, and no consumer call is running; false on
  /// `timeout`. For tests and orderly shutdown. Thread-safe.
  bool waitIdle(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Counters since start. Thread-safe.
  EventServiceStatistics statistics() const;

  /// The service's internals (src/). Public so that the implementation's parts can name it.
  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace wbem
