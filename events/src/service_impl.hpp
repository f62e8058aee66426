#pragma once
// EventService internals shared by its parts: sinks (sink.cpp), consumers and their delivery
// (delivery.cpp), matching (dispatcher.cpp), providers (providers.cpp), timers, polls and
// aggregation (scheduler.cpp), intrinsic and system events (system_events.cpp), the public calls
// (event_service.cpp).
//
// Threads: provider threads call SinkImpl::indicate (lock-free); dispatcher threads match; the
// delivery workers call push consumers; one scheduler thread runs timers, polls and aggregation
// windows. Control calls (subscribe, cancel, provider binding) serialise on Impl::mutex_, which no
// hot path takes except the dispatcher's shared lock on the subscription table, once per batch.

#include <wbem/aggregator.hpp>
#include <wbem/detail/concurrent_queue.hpp>
#include <wbem/event_service.hpp>
#include <wbem/filter.hpp>
#include <wbem/filter_index.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "event_pool.hpp"
#include "instance_poll.hpp"
#include "timer_schedule.hpp"

namespace wbem {

namespace detail {

struct NamespaceState;
struct ProviderState;
struct SinkImpl;
class ConsumerQueue;

/// True when instances of the class come from a provider (it or an ancestor is Dynamic or names a
/// Provider), so that the repository raises no intrinsic events for them.
bool isDynamicClass(const ClassDef& def);

/// The parent of namespace `name` ("root\\a" for "root\\a\\b"), empty for `root`.
std::string parentNamespace(const std::string& name);

/// Rough bytes an event holds, for queue limits.
std::uint32_t approximateSize(const ClassObject& object);

/// Delivery flags carried with an event to a consumer.
enum DeliveryFlag : std::uint8_t {
  kDeliverAlone = 0x1,     // from a MUST_NOT_BATCH sink
  kTimerSkipPassed = 0x2,  // a __TimerEvent whose instruction has SkipIfPassed
  kSystemDrop = 0x4,       // a drop/failure event: its own drops raise nothing
  kSubjectToSds = 0x8,     // its SECURITY_DESCRIPTOR decides who receives it
  kTimerEvent = 0x10,      // a __TimerEvent: firings a lagging consumer missed are merged
};

/// One event on its way from a sink to the dispatcher.
struct Ingest {
  ObjectPtr event;
  SinkImpl* sink = nullptr;
  // The sink's descriptor when the event was indicated: a later setSinkSecurity does not apply.
  const SecurityDescriptor* sinkSecurity = nullptr;
  std::uint32_t bytes = 0;
  std::uint8_t flags = 0;
};

/// A dispatcher's ingest queue. Producers do not signal a semaphore per call (an atomic on a line
/// the dispatcher also writes, the costliest step of indicate): they wake the dispatcher only when
/// it said it is going to sleep. A wake lost to a race costs at most the dispatcher's idle timeout.
struct IngestQueue {
  ConcurrentQueue<Ingest> queue;
  alignas(64) std::atomic<bool> sleeping{false};
  moodycamel::LightweightSemaphore wake{0, 0};

  /// Called by a producer after it enqueued. Thread-safe.
  void notify() noexcept {
    std::atomic_thread_fence(std::memory_order_seq_cst);  // the enqueue before the read of `sleeping`
    if (sleeping.load(std::memory_order_relaxed)) wake.signal();
  }
};

/// One event waiting in a consumer's queue.
struct Delivery {
  ObjectPtr event;
  std::uint32_t bytes = 0;
  std::uint8_t flags = 0;
  Clock::TimePoint queuedAt{};
};

/// The bytes all queues of one user's consumers hold (decisions.md 7: quotas are charged to the
/// user who causes them, so that one user's slow consumers cannot fill the total for everyone).
struct UserQueueAccount {
  explicit UserQueueAccount(unsigned dispatchers) : staged(dispatchers, 0) {}
  std::atomic<std::uint64_t> bytes{0};
  std::vector<std::uint64_t> staged;  // per dispatcher, matched in its current batch; each touches its own
};

/// A consumer's bounded delivery queue: pushed by dispatchers and the scheduler, drained by one
/// delivery worker at a time (push consumers) or by pull() (pull consumers).
class ConsumerQueue {
 public:
  ConsumerQueue(std::shared_ptr<ObjectSink> sink, Principal owner, std::shared_ptr<UserQueueAccount> account,
                std::string path, std::uint64_t limitBytes)
      : sink_(std::move(sink)),
        owner_(std::move(owner)),
        account_(std::move(account)),
        path_(std::move(path)),
        limitBytes_(limitBytes) {}

  const std::shared_ptr<ObjectSink>& sink() const noexcept { return sink_; }
  bool isPull() const noexcept { return sink_ == nullptr; }
  const Principal& owner() const noexcept { return owner_; }
  UserQueueAccount& account() const noexcept { return *account_; }
  const std::string& path() const noexcept { return path_; }
  std::uint64_t limitBytes() const noexcept { return limitBytes_; }

  SmallBlockingQueue<Delivery> queue_{0};  // no blocks until the first event
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<bool> scheduled_{false};  // on the workers' run queue or being drained
  std::atomic<bool> cancelled_{false};
  // For statistics(): counted where the service's totals are.
  std::atomic<std::uint64_t> delivered_{0}, dropped_{0}, failures_{0};
  std::mutex deliverMutex_;  // held while the sink is called; cancel() takes it to wait
  // What each dispatcher matched for this consumer in its current batch, queued in one bulk
  // operation at the batch's end (one entry per dispatcher; each touches only its own).
  struct Staged {
    std::vector<Delivery> items;
    std::uint64_t bytes = 0;
  };
  std::vector<Staged> staged_;
  NamespaceState* ns = nullptr;  // where its drop and failure events are raised

 private:
  std::shared_ptr<ObjectSink> sink_;
  Principal owner_;
  std::shared_ptr<UserQueueAccount> account_;
  std::string path_;
  std::uint64_t limitBytes_;
};

/// One live subscription: a compiled filter delivering to one consumer.
struct Subscription {
  SubscriptionId id = 0;
  NamespaceState* ns = nullptr;
  std::string query;
  std::shared_ptr<const QueryFilter> filter;
  std::shared_ptr<ConsumerQueue> consumer;
  Principal owner;
  std::optional<SecurityDescriptor> eventAccess;  // who may publish to it (__EventFilter.EventAccess)
  bool permanent = false;
  bool projects = false;  // SELECT list: deliver projected copies
  std::unique_ptr<Aggregator> aggregator;
  std::string polledClass;                // the dynamic class this subscription polls (WITHIN), if any
  bool intrinsic = false;                 // counted in NamespaceState::intrinsicFilters
  bool wantsDrops = false;                // counted in NamespaceState::dropFilters
  bool synchronous = false;               // provider events are delivered on the provider's thread
  std::vector<ProviderState*> providers;  // providers told newQuery for it
};

/// A polled dynamic class: one poll for every filter that needs it, at the smallest interval.
struct PollState {
  std::string className;
  std::shared_ptr<InstanceProvider> provider;
  std::map<SubscriptionId, Clock::duration> intervals;
  Clock::TimePoint nextDue{};
  detail::InstancePoll snapshot;
};

/// A registration query of a provider, compiled in its namespace.
struct RegisteredQuery {
  std::string text;
  std::shared_ptr<const QueryFilter> filter;
};

/// An event provider bound in a namespace.
struct ProviderState {
  NamespaceState* ns = nullptr;
  std::string name;
  std::shared_ptr<EventProvider> object;
  Principal registrant;  // who bound the object: its events are raised as them
  std::vector<RegisteredQuery> queries;
  std::chrono::milliseconds initTimeout{0};
  std::mutex callMutex;  // serialises calls into the provider
  bool initialized = false;
  std::shared_ptr<SinkImpl> sink;                     // while active
  std::map<SubscriptionId, std::uint32_t> concerned;  // filters it was told of, by query id
  std::atomic<int> concernedCount{0};                 // concerned.size(), read without the lock
  std::vector<std::weak_ptr<SinkImpl>> restricted;    // restricted sinks it made
};

/// A timer instruction stored in a namespace, with its schedule.
struct TimerEntry {
  ObjectPtr instruction;  // as stored: a new object means the instruction changed
  TimerSchedule schedule;
};

/// A namespace with its filters.
struct NamespaceState {
  std::unique_ptr<Namespace> ns;
  std::vector<std::shared_ptr<NamespaceObserver>> observers;  // what the service attached to ns
  FilterIndex index;
  std::shared_ptr<SinkImpl> systemSink;  // intrinsic, timer and system events raised here
  std::map<std::string, std::unique_ptr<ProviderState>, NameLess> providers;
  std::map<std::string, std::shared_ptr<InstanceProvider>, NameLess> instanceProviders;
  std::map<std::string, PollState, NameLess> polls;
  std::map<std::string, TimerEntry, NameLess> timers;  // by TimerId; the scheduler's own
  // Filters whose FROM class is an intrinsic event class, so that changes raise events only when
  // someone may want them.
  std::atomic<int> intrinsicFilters{0};
  // Filters that may want __EventDroppedEvent and its subclasses.
  std::atomic<int> dropFilters{0};
  // Synchronous subscriptions, published whole so that indicate() reads them without the
  // service's locks; replaced under Impl::mutex_. The count spares indicate() the load when zero.
  std::atomic<std::shared_ptr<const std::vector<std::shared_ptr<Subscription>>>> synchronous{
      std::make_shared<const std::vector<std::shared_ptr<Subscription>>>()};
  std::atomic<int> synchronousCount{0};
  std::atomic<bool> timersDirty{false};
  std::atomic<bool> registrationsDirty{false};
  // Set through __SystemSecurity; nullopt: inherits. Guarded by Impl::mutex_.
  std::optional<SecurityDescriptor> ownSecurity;
};

}  // namespace detail

struct EventService::Impl : std::enable_shared_from_this<EventService::Impl> {
  explicit Impl(EventServiceOptions options);

  // event_service.cpp
  void start();
  void stop();
  detail::NamespaceState& state(std::string_view name) const;
  detail::NamespaceState* findState(std::string_view name) const;
  SubscriptionId subscribe(std::string_view ns, std::string_view language, std::string_view query,
                           std::shared_ptr<ObjectSink> sink, SubscriptionOptions options);
  bool cancel(SubscriptionId id, Status reason);
  void checkQuotas(const Principal& owner, bool permanent, bool polling) const;
  /// Makes the state of namespace `name` with its sinks (without observers), under mutex_.
  std::unique_ptr<detail::NamespaceState> makeNamespace(const std::string& name);
  /// Attaches the intrinsic observer, the repository writer and the service observers; under mutex_.
  void attachObservers(detail::NamespaceState& state);
  /// Detaches them and shuts the namespace's providers down (a deleted namespace).
  void retireNamespace(detail::NamespaceState& state);
  /// Tells the service observers that a provider was bound in `state`; without locks held.
  void notifyProvidersChanged(detail::NamespaceState& state);

  // persistence.cpp
  /// Loads every namespace the repository holds (at start, or after a restore), with their own
  /// security descriptors, under mutex_.
  void loadRepository();

  // namespace_security.cpp
  /// Gives every namespace its effective descriptor (own, nearest ancestor's or the default);
  /// under mutex_.
  void applySecurityLocked();
  /// Registers the __SystemSecurity method provider of `state`.
  void serveSystemSecurity(detail::NamespaceState& state);
  /// EventService::namespaceSecurity and setNamespaceSecurity; without mutex_ held.
  NamespaceSecurity securityOf(std::string_view ns) const;
  void setSecurity(std::string_view ns, std::optional<SecurityDescriptor> descriptor);

  // event_service.cpp (sinks)
  std::shared_ptr<detail::SinkImpl> makeSink(detail::NamespaceState& ns, detail::ProviderState* provider,
                                             bool restricted, std::optional<Principal> publisher);
  ArbitratorLimits limits() const;

  // dispatcher.cpp
  void dispatcherLoop(unsigned index);
  void dispatchBatch(unsigned index, detail::Ingest* items, std::size_t count, Clock::TimePoint now);
  void stage(unsigned index, const std::shared_ptr<detail::ConsumerQueue>& consumer, ObjectPtr event,
             std::uint32_t bytes, std::uint8_t flags, Clock::TimePoint now);
  void flushStaged(unsigned index);
  void deliver(const std::shared_ptr<detail::ConsumerQueue>& consumer, ObjectPtr event, std::uint32_t bytes,
               std::uint8_t flags, Clock::TimePoint now);
  /// True when `bytes` more fit the consumer's queue, its owner's share and all queues together,
  /// besides what is matched but not queued yet (`*Staged`); otherwise counts and reports the drop.
  bool admit(detail::ConsumerQueue& consumer, const ObjectPtr& event, std::uint32_t bytes, std::uint8_t flags,
             std::uint64_t consumerStaged, std::uint64_t userStaged, std::uint64_t totalStaged);
  /// Counts `bytes` going into the consumer's queue (its own, its owner's and the total).
  void count(detail::ConsumerQueue& consumer, std::uint64_t bytes) noexcept;
  /// Takes `bytes` that left the consumer's queue off its counts.
  void uncount(detail::ConsumerQueue& consumer, std::uint64_t bytes) noexcept;
  /// True when `sub` may receive `event` from `sink`, whose descriptor was `sinkSecurity` (the
  /// filter's EventAccess, sink and event security, admin-only overflow reports).
  bool mayReceive(const detail::Subscription& sub, const ClassObject& event, const detail::SinkImpl& sink,
                  const SecurityDescriptor* sinkSecurity, std::uint8_t flags);
  /// True when every identity an event from `sink` is raised as may publish to a filter with
  /// EventAccess `access`: the sink's publisher and the owner its descriptor names.
  bool publishGranted(const SecurityDescriptor& access, const detail::SinkImpl& sink,
                      const SecurityDescriptor* sinkSecurity);
  /// Hands `event`, just indicated by `sink`, a provider sink of `ns`, to the synchronous
  /// subscriptions that match it, on the calling thread.
  void deliverSynchronously(detail::NamespaceState& ns, const ObjectPtr& event, const detail::SinkImpl& sink,
                            const SecurityDescriptor* sinkSecurity, std::uint8_t flags);
  /// Publishes `ns`'s synchronous subscriptions with `sub` added or removed; under mutex_.
  void publishSynchronous(detail::NamespaceState& ns, const std::shared_ptr<detail::Subscription>& sub, bool add);
  detail::IngestQueue& ingestFor(const detail::SinkImpl& sink);

  // delivery.cpp
  void workerLoop(std::atomic<std::int64_t>* busySince);
  void schedule(const std::shared_ptr<detail::ConsumerQueue>& consumer);
  /// Delivers one batch of the consumer's queue; true when it was a full batch (more may wait).
  bool drainConsumer(const std::shared_ptr<detail::ConsumerQueue>& consumer);
  void growWorkersIfStuck(Clock::TimePoint now);
  /// Calls the consumer's sink with `events`; a failure (status or exception) raises
  /// __ConsumerFailureEvent for each. The caller holds the consumer's deliverMutex_.
  void callConsumer(detail::ConsumerQueue& consumer, std::span<const ObjectPtr> events);
  void discard(detail::ConsumerQueue& consumer);
  // Counts an event dropped for `consumer`, in its counters and the service's.
  void countDropped(detail::ConsumerQueue& consumer);

  // providers.cpp
  void loadRegistrations(detail::ProviderState& provider);
  void activateProviders(detail::Subscription& subscription);
  void releaseProviders(detail::Subscription& subscription);
  // With the provider's callMutex held: initialise it once, tell it of a filter, start it once.
  void initializeProvider(detail::ProviderState& provider);
  void tellNewQuery(detail::ProviderState& provider, const detail::Subscription& subscription);
  void startProvider(detail::ProviderState& provider);
  /// Activates a provider just bound for the live subscriptions its queries overlap.
  void adoptSubscriptions(detail::ProviderState& provider);
  void shutdownProvider(detail::ProviderState& provider);
  bool providerServes(const detail::NamespaceState& ns, const QueryFilter& filter) const;
  void refreshRestrictedSinks(detail::NamespaceState& ns);

  // scheduler.cpp
  void schedulerLoop();
  void wakeScheduler();
  void runDue(Clock::TimePoint now);
  void addPoll(detail::Subscription& subscription, std::chrono::steady_clock::duration interval);
  // The instance provider a dynamic class (or its nearest ancestor with a Provider qualifier)
  // names, if bound; null for a static class or an unbound provider. Called with mutex_ held.
  std::shared_ptr<InstanceProvider> instanceProviderOf(const detail::NamespaceState& state,
                                                       const ClassObject& cls) const;
  void removePoll(detail::Subscription& subscription);
  void reloadTimers(detail::NamespaceState& ns);

  // system_events.cpp
  /// Raises __EventQueueOverflowEvent (when `overflow`, with the queue's size in bytes as it would
  /// have been with the event) or __EventDroppedEvent for `event`, which `consumer` loses.
  void raiseDropped(const detail::ConsumerQueue& consumer, const ObjectPtr& event, bool overflow,
                    std::uint64_t queueSize);
  void raiseFailure(const detail::ConsumerQueue& consumer, const ObjectPtr& event, Status code,
                    const std::string& description);

  EventServiceOptions options_;
  std::shared_ptr<Clock> clock_;
  std::shared_ptr<detail::EventPool> pool_;

  // Namespaces and subscriptions (control state).
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<detail::NamespaceState>, NameLess> namespaces_;
  std::atomic<detail::NamespaceState*> root_{nullptr};  // set by start(), replaced by restore()
  // Deleted namespaces: kept, since sinks and consumers still point at them, until the end.
  std::vector<std::unique_ptr<detail::NamespaceState>> deletedNamespaces_;
  std::atomic<SubscriptionId> nextId_{1};
  std::vector<std::shared_ptr<ServiceObserver>> observers_;  // under mutex_
  std::shared_ptr<NamespaceObserver> repositoryWriter_;      // null without a repository

  // Every sink made (for waitIdle, statistics and stop) and the providers' restricted sinks.
  std::mutex sinksMutex_;
  std::vector<std::shared_ptr<detail::SinkImpl>> sinks_;
  std::atomic<unsigned> nextDispatcher_{0};

  // The dispatcher's view of the subscriptions, read under a shared lock once per batch.
  mutable std::shared_mutex tableMutex_;
  std::unordered_map<SubscriptionId, std::shared_ptr<detail::Subscription>> table_;

  // Ingest: one queue per dispatcher thread.
  std::vector<std::unique_ptr<detail::IngestQueue>> ingest_;
  std::vector<std::thread> dispatchers_;

  // Delivery workers.
  detail::BlockingConcurrentQueue<std::shared_ptr<detail::ConsumerQueue>> runQueue_;
  std::mutex workersMutex_;
  std::vector<std::thread> workers_;
  std::vector<std::unique_ptr<std::atomic<std::int64_t>>> busySince_;  // per worker; 0 when idle
  std::atomic<std::uint64_t> queuedTotalBytes_{0};
  std::atomic<std::int64_t> pushInFlight_{0};  // push deliveries queued or being delivered
  // Limits from __ArbitratorConfiguration, refreshed on each subscribe.
  std::atomic<std::uint64_t> totalQueueLimit_{20u << 20};
  std::atomic<std::uint64_t> userQueueLimit_{10u << 20};
  std::atomic<Clock::duration> maxWaitOnEvents_{std::chrono::milliseconds(2000)};
  // Subscription counts for quotas, by uid (temporary, permanent, polling).
  struct QuotaCounts {
    std::uint32_t temporary = 0, permanent = 0, polling = 0;
  };
  std::map<std::uint32_t, QuotaCounts> quotaPerUser_;
  std::map<std::uint32_t, std::shared_ptr<detail::UserQueueAccount>> queueAccounts_;  // by uid; under mutex_
  PrincipalCache owners_;  // users sink descriptors name as owner (EventAccess checks)
  QuotaCounts quotaTotal_;

  // Scheduler.
  std::thread scheduler_;
  std::mutex schedulerMutex_;
  std::condition_variable schedulerWake_;
  bool schedulerPoked_ = false;
  std::uint64_t schedulerPasses_ = 0;
  std::condition_variable schedulerPassed_;

  std::atomic<bool> running_{false};

  // Counters.
  std::atomic<std::uint64_t> delivered_{0}, dropped_{0}, failures_{0};
};

}  // namespace wbem
