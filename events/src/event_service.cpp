// EventService's public calls: namespaces, provider binding, subscribe and cancel, pull, limits,
// and the threads' start and stop.

#include <wbem/event_service.hpp>
#include <wbem/objectpath.hpp>

#include <algorithm>
#include <map>
#include <spdlog/spdlog.h>

#include "persistence.hpp"
#include "service_impl.hpp"
#include "sink.hpp"
#include "system_events.hpp"

namespace wbem {
namespace {

constexpr std::size_t kPoolCapacity = 1 << 14;

std::string normalise(std::string_view name) {
  std::string out(name);
  std::replace(out.begin(), out.end(), '/', '\\');
  return out;
}

// True when events of class `cls` may be events of FROM class `from` or the reverse (a filter on
// __Event also sees intrinsic events).
bool related(const Namespace& ns, const ClassDef& from, std::string_view cls) {
  return from.inheritsFrom(cls) || ns.classInheritsFrom(cls, from.name());
}

std::uint32_t quotaValue(const ClassObject& config, std::string_view name, std::uint32_t fallback) {
  const Value v = config.get(name);
  return v.isNull() ? fallback : static_cast<std::uint32_t>(v.asUInt64());
}

}  // namespace

std::string detail::parentNamespace(const std::string& name) {
  const auto cut = name.rfind('\\');
  return cut == std::string::npos ? std::string() : name.substr(0, cut);
}

// --- construction -----------------------------------------------------------------------------

EventService::Impl::Impl(EventServiceOptions options)
    : options_(std::move(options)),
      clock_(options_.clock ? options_.clock : std::make_shared<SystemClock>()),
      pool_(detail::EventPool::create(kPoolCapacity)) {
  options_.dispatcherThreads = std::max(1u, options_.dispatcherThreads);
  options_.deliveryThreads = std::max(1u, options_.deliveryThreads);
  options_.maxDeliveryThreads = std::max(options_.deliveryThreads, options_.maxDeliveryThreads);
  for (unsigned i = 0; i < options_.dispatcherThreads; ++i) ingest_.push_back(std::make_unique<detail::IngestQueue>());
}

EventService::EventService(EventServiceOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {
  impl_->start();
}

EventService::~EventService() { impl_->stop(); }

void EventService::Impl::start() {
  running_.store(true);
  {
    std::lock_guard lock(mutex_);
    auto root = makeNamespace("root");
    root_ = root.get();
    namespaces_.emplace("root", std::move(root));
    if (options_.repository) {
      repositoryWriter_ = detail::makeRepositoryWriter(options_.repository);
      loadRepository();
    }
    applySecurityLocked();
    for (auto& [name, state] : namespaces_) attachObservers(*state);
  }
  // A manual clock wakes the scheduler when it moves; the callback outlives nothing it uses.
  clock_->onAdvance([weak = std::weak_ptr<Impl>(shared_from_this())] {
    if (auto self = weak.lock()) self->wakeScheduler();
  });
  for (unsigned i = 0; i < options_.dispatcherThreads; ++i) dispatchers_.emplace_back([this, i] { dispatcherLoop(i); });
  {
    std::lock_guard lock(workersMutex_);
    for (unsigned i = 0; i < options_.deliveryThreads; ++i) {
      busySince_.push_back(std::make_unique<std::atomic<std::int64_t>>(0));
      workers_.emplace_back([this, busy = busySince_.back().get()] { workerLoop(busy); });
    }
  }
  scheduler_ = std::thread([this] { schedulerLoop(); });
}

void EventService::Impl::stop() {
  // Subscriptions end first (their sinks are told), then providers, then the threads.
  std::vector<SubscriptionId> ids;
  {
    std::shared_lock lock(tableMutex_);
    for (const auto& [id, sub] : table_) ids.push_back(id);
  }
  for (SubscriptionId id : ids) cancel(id, WBEM_E_SHUTTING_DOWN);
  {
    std::lock_guard lock(mutex_);
    for (auto& [name, state] : namespaces_) retireNamespace(*state);
  }
  {
    std::lock_guard lock(sinksMutex_);
    for (auto& sink : sinks_) sink->release();
  }
  running_.store(false);
  wakeScheduler();
  for (auto& ingest : ingest_) ingest->wake.signal();
  if (scheduler_.joinable()) scheduler_.join();
  for (auto& t : dispatchers_) t.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(workersMutex_);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
  // Events still queued are dropped with the queues; the pool frees records as they come back.
  for (auto& sink : sinks_) sink->held_.clear();
  std::shared_ptr<detail::ConsumerQueue> consumer;
  while (runQueue_.try_dequeue(consumer)) consumer.reset();
  pool_->close();
}

std::shared_ptr<detail::SinkImpl> EventService::Impl::makeSink(detail::NamespaceState& ns,
                                                               detail::ProviderState* provider, bool restricted,
                                                               std::optional<Principal> publisher) {
  // Sinks are spread over the dispatchers; each sink stays with one, which keeps its order.
  const unsigned dispatcher = nextDispatcher_.fetch_add(1, std::memory_order_relaxed) % options_.dispatcherThreads;
  auto sink = std::make_shared<detail::SinkImpl>(*this, ns, provider, dispatcher);
  sink->publisher_ = std::move(publisher);
  std::lock_guard lock(sinksMutex_);
  sinks_.push_back(sink);
  if (provider && restricted) provider->restricted.push_back(sink);
  return sink;
}

// --- namespaces -------------------------------------------------------------------------------

std::unique_ptr<detail::NamespaceState> EventService::Impl::makeNamespace(const std::string& name) {
  auto state = std::make_unique<detail::NamespaceState>();
  state->ns = std::make_unique<Namespace>(name);
  state->systemSink = makeSink(*state, nullptr, false, std::nullopt);
  serveSystemSecurity(*state);
  return state;
}

void EventService::Impl::attachObservers(detail::NamespaceState& state) {
  state.observers.push_back(std::make_shared<detail::IntrinsicObserver>(state));
  if (repositoryWriter_) state.observers.push_back(repositoryWriter_);
  state.observers.insert(state.observers.end(), observers_.begin(), observers_.end());
  for (const auto& o : state.observers) state.ns->addObserver(o);
}

void EventService::Impl::retireNamespace(detail::NamespaceState& state) {
  for (const auto& o : state.observers) state.ns->removeObserver(o.get());
  state.observers.clear();
  for (auto& [pname, provider] : state.providers) {
    std::lock_guard call(provider->callMutex);
    shutdownProvider(*provider);
  }
  state.systemSink->release();
}

detail::NamespaceState* EventService::Impl::findState(std::string_view name) const {
  std::lock_guard lock(mutex_);
  auto it = namespaces_.find(normalise(name));
  return it == namespaces_.end() ? nullptr : it->second.get();
}

detail::NamespaceState& EventService::Impl::state(std::string_view name) const {
  if (detail::NamespaceState* s = findState(name)) return *s;
  throw Error(WBEM_E_INVALID_NAMESPACE, "namespace " + std::string(name) + " does not exist");
}

Namespace& EventService::createNamespace(std::string_view name) {
  const std::string full = normalise(name);
  const std::string parent = detail::parentNamespace(full);
  const std::string leaf = full.substr(parent.empty() ? 0 : parent.size() + 1);
  detail::NamespaceState* parentState = nullptr;
  Namespace* created = nullptr;
  std::vector<std::shared_ptr<ServiceObserver>> observers;
  {
    std::lock_guard lock(impl_->mutex_);
    if (leaf.empty() || parent.empty()) throw Error(WBEM_E_INVALID_NAMESPACE, "invalid namespace name " + full);
    auto p = impl_->namespaces_.find(parent);
    if (p == impl_->namespaces_.end())
      throw Error(WBEM_E_INVALID_NAMESPACE, "parent namespace " + parent + " of " + full + " does not exist");
    p->second->ns->requireAccess(WBEM_FULL_WRITE_REP, "creating a namespace");
    if (impl_->namespaces_.count(full)) throw Error(WBEM_E_ALREADY_EXISTS, "namespace " + full + " already exists");
    if (impl_->options_.repository) impl_->options_.repository->putNamespace(full);  // stored first: may fail
    auto state = impl_->makeNamespace(full);
    state->ns->setSecurity(p->second->ns->security());  // a new namespace inherits
    impl_->attachObservers(*state);
    created = state->ns.get();
    parentState = p->second.get();
    impl_->namespaces_.emplace(full, std::move(state));
    observers = impl_->observers_;
  }
  detail::raiseNamespaceEvent(*parentState, "__NamespaceCreationEvent", leaf);
  for (const auto& o : observers) o->namespaceCreated(*created);
  return *created;
}

void EventService::deleteNamespace(std::string_view name) {
  const std::string full = normalise(name);
  if (iequals(full, "root")) throw Error(WBEM_E_ACCESS_DENIED, "the root namespace cannot be deleted");
  std::vector<detail::NamespaceState*> doomed;
  detail::NamespaceState* parent = nullptr;
  std::vector<std::shared_ptr<ServiceObserver>> observers;
  {
    std::lock_guard lock(impl_->mutex_);
    auto it = impl_->namespaces_.find(full);
    if (it == impl_->namespaces_.end()) throw Error(WBEM_E_INVALID_NAMESPACE, "namespace " + full + " does not exist");
    auto p = impl_->namespaces_.find(detail::parentNamespace(full));
    parent = p == impl_->namespaces_.end() ? nullptr : p->second.get();
    if (parent) parent->ns->requireAccess(WBEM_FULL_WRITE_REP, "deleting a namespace");
    if (impl_->options_.repository) impl_->options_.repository->deleteNamespace(full);
    for (auto n = impl_->namespaces_.begin(); n != impl_->namespaces_.end();) {
      const std::string& key = n->first;
      const bool below =
          key.size() > full.size() && key[full.size()] == '\\' && iequals(key.substr(0, full.size()), full);
      if (!iequals(key, full) && !below) {
        ++n;
        continue;
      }
      doomed.push_back(n->second.get());
      impl_->deletedNamespaces_.push_back(std::move(n->second));
      n = impl_->namespaces_.erase(n);
    }
    observers = impl_->observers_;
  }
  std::vector<SubscriptionId> ids;
  {
    std::shared_lock table(impl_->tableMutex_);
    for (const auto& [id, sub] : impl_->table_)
      if (std::find(doomed.begin(), doomed.end(), sub->ns) != doomed.end()) ids.push_back(id);
  }
  for (SubscriptionId id : ids) impl_->cancel(id, WBEM_E_INVALID_NAMESPACE);
  for (detail::NamespaceState* state : doomed) impl_->retireNamespace(*state);  // out of the map: no lock needed
  for (detail::NamespaceState* state : doomed)
    for (const auto& o : observers) o->namespaceDeleted(*state->ns);
  if (parent)
    detail::raiseNamespaceEvent(*parent, "__NamespaceDeletionEvent",
                                full.substr(detail::parentNamespace(full).size() + 1));
}

void EventService::addObserver(std::shared_ptr<ServiceObserver> observer) {
  if (!observer) throw Error(WBEM_E_INVALID_PARAMETER, "addObserver needs an observer");
  std::vector<Namespace*> present;
  {
    std::lock_guard lock(impl_->mutex_);
    impl_->observers_.push_back(observer);
    for (auto& [name, state] : impl_->namespaces_) {
      state->observers.push_back(observer);
      state->ns->addObserver(observer);
      present.push_back(state->ns.get());
    }
  }
  for (Namespace* ns : present) observer->namespaceCreated(*ns);
}

void EventService::removeObserver(const ServiceObserver* observer) {
  std::lock_guard lock(impl_->mutex_);
  std::erase_if(impl_->observers_, [observer](const auto& o) { return o.get() == observer; });
  for (auto& [name, state] : impl_->namespaces_) {
    state->ns->removeObserver(observer);
    std::erase_if(state->observers, [observer](const auto& o) { return o.get() == observer; });
  }
}

Namespace* EventService::findNamespace(std::string_view name) const {
  detail::NamespaceState* s = impl_->findState(name);
  return s ? s->ns.get() : nullptr;
}

Namespace& EventService::getNamespace(std::string_view name) const { return *impl_->state(name).ns; }

// --- providers --------------------------------------------------------------------------------

void EventService::addEventProvider(std::string_view ns, std::string_view name,
                                    std::shared_ptr<EventProvider> provider) {
  if (!provider) throw Error(WBEM_E_INVALID_PARAMETER, "addEventProvider needs a provider object");
  detail::NamespaceState& state = impl_->state(ns);
  state.ns->requireAccess(WBEM_WRITE_PROVIDER | WBEM_RIGHT_PUBLISH, "binding an event provider");
  Principal registrant = Principal::caller();
  const RevertToSelf asService;  // reading the registrations is the service's own business
  detail::ProviderState* bound = nullptr;
  {
    std::lock_guard lock(impl_->mutex_);
    auto& slot = state.providers[std::string(name)];
    if (!slot) {
      slot = std::make_unique<detail::ProviderState>();
      slot->ns = &state;
      slot->name = std::string(name);
      slot->initTimeout = impl_->options_.providerInitTimeout;
    }
    std::lock_guard call(slot->callMutex);
    if (slot->object) throw Error(WBEM_E_ALREADY_EXISTS, "event provider " + std::string(name) + " is already bound");
    slot->object = std::move(provider);
    slot->registrant = std::move(registrant);
    impl_->loadRegistrations(*slot);
    bound = slot.get();
  }
  // Filters made before the provider came (permanent ones restored at start) now need it.
  impl_->adoptSubscriptions(*bound);
  impl_->notifyProvidersChanged(state);
}

void EventService::registerEventProvider(std::string_view ns, std::string_view name,
                                         const std::vector<std::string>& queries,
                                         std::shared_ptr<EventProvider> provider) {
  Namespace& target = getNamespace(ns);
  ClassObject win32 = target.getClass("__Win32Provider")->spawnInstance();
  win32.put("Name", Value(name));
  const ObjectPath path = target.putInstance(win32);
  ClassObject registration = target.getClass("__EventProviderRegistration")->spawnInstance();
  registration.put("provider", Value::reference(path.relativePath()));
  ValueArray list;
  for (const std::string& q : queries) list.emplace_back(q);
  registration.put("EventQueryList", Value(CimType::String, std::move(list)));
  target.putInstance(registration);
  addEventProvider(ns, name, std::move(provider));
}

void EventService::removeEventProvider(std::string_view ns, std::string_view name) {
  detail::NamespaceState& state = impl_->state(ns);
  // Both locks, as adoptSubscriptions takes them: activateProviders reads the object under mutex_.
  std::lock_guard lock(impl_->mutex_);
  auto it = state.providers.find(std::string(name));
  if (it == state.providers.end()) return;
  detail::ProviderState* provider = it->second.get();
  // The state stays, with the filters it serves (subscriptions point at it); only the object
  // goes. A provider bound again under this name is told of those filters (decisions.md 5).
  std::lock_guard call(provider->callMutex);
  impl_->shutdownProvider(*provider);
  provider->object.reset();
}

void EventService::addInstanceProvider(std::string_view ns, std::string_view name,
                                       std::shared_ptr<InstanceProvider> provider) {
  if (!provider) throw Error(WBEM_E_INVALID_PARAMETER, "addInstanceProvider needs a provider object");
  detail::NamespaceState& state = impl_->state(ns);
  {
    std::lock_guard lock(impl_->mutex_);
    state.instanceProviders[std::string(name)] = std::move(provider);
  }
  impl_->notifyProvidersChanged(state);
}

std::vector<ObjectPtr> EventService::createInstanceEnum(std::string_view ns, std::string_view className) const {
  detail::NamespaceState& state = impl_->state(ns);
  state.ns->requireAccess(WBEM_ENABLE, "enumerating instances");
  const ObjectPtr cls = state.ns->getClass(className);
  std::shared_ptr<InstanceProvider> provider;
  bool dynamic = false;
  {
    std::lock_guard lock(impl_->mutex_);
    provider = impl_->instanceProviderOf(state, *cls);
  }
  for (const ClassDef* d = &cls->definition(); d && !dynamic; d = d->superclass().get())
    dynamic = d->qualifiers().find("Provider") != nullptr;
  if (provider) return provider->createInstanceEnum(className);
  if (dynamic)
    throw Error(WBEM_E_PROVIDER_NOT_FOUND,
                "no instance provider is bound for the dynamic class " + std::string(className));
  return state.ns->enumInstances(className);
}

void EventService::Impl::notifyProvidersChanged(detail::NamespaceState& state) {
  std::vector<std::shared_ptr<ServiceObserver>> observers;
  {
    std::lock_guard lock(mutex_);
    observers = observers_;
  }
  for (const auto& o : observers) o->providersChanged(*state.ns);
}

// --- subscriptions ----------------------------------------------------------------------------

ArbitratorLimits EventService::limits() const { return impl_->limits(); }

ArbitratorLimits EventService::Impl::limits() const {
  ArbitratorLimits limits;
  Namespace& root = *root_.load()->ns;  // not through state(): callers may hold mutex_
  ObjectPtr config;
  try {
    config = root.getInstance(ObjectPath::forSingleton("__ArbitratorConfiguration"));
  } catch (const Error&) {
    config = share(root.getClass("__ArbitratorConfiguration")->spawnInstance());  // the defaults
  }
  limits.temporarySubscriptionsPerUser =
      quotaValue(*config, "TemporarySubscriptionsPerUser", limits.temporarySubscriptionsPerUser);
  limits.temporarySubscriptionsTotal =
      quotaValue(*config, "TemporarySubscriptionsTotal", limits.temporarySubscriptionsTotal);
  limits.permanentSubscriptionsPerUser =
      quotaValue(*config, "PermanentSubscriptionsPerUser", limits.permanentSubscriptionsPerUser);
  limits.permanentSubscriptionsTotal =
      quotaValue(*config, "PermanentSubscriptionsTotal", limits.permanentSubscriptionsTotal);
  limits.pollingInstructionsPerUser =
      quotaValue(*config, "PollingInstructionsPerUser", limits.pollingInstructionsPerUser);
  limits.pollingInstructionsTotal = quotaValue(*config, "PollingInstructionsTotal", limits.pollingInstructionsTotal);
  limits.maximumQueueSizePerConsumer = quotaValue(*config, "MaximumQueueSizePerConsumer",
                                                  static_cast<std::uint32_t>(limits.maximumQueueSizePerConsumer));
  limits.maximumQueueSizePerUser =
      quotaValue(*config, "MaximumQueueSizePerUser", static_cast<std::uint32_t>(limits.maximumQueueSizePerUser));
  limits.maximumQueueSizeTotal =
      quotaValue(*config, "MaximumQueueSizeTotal", static_cast<std::uint32_t>(limits.maximumQueueSizeTotal));
  limits.maxWaitOnEvents = std::chrono::milliseconds(quotaValue(*config, "MaxWaitOnEvents", 2000));
  return limits;
}

SubscriptionId EventService::subscribe(std::string_view ns, std::string_view language, std::string_view query,
                                       std::shared_ptr<ObjectSink> sink, SubscriptionOptions options) {
  if (!sink) throw Error(WBEM_E_INVALID_PARAMETER, "subscribe needs a sink");
  return impl_->subscribe(ns, language, query, std::move(sink), std::move(options));
}

SubscriptionId EventService::subscribePull(std::string_view ns, std::string_view language, std::string_view query,
                                           SubscriptionOptions options) {
  return impl_->subscribe(ns, language, query, nullptr, std::move(options));
}

SubscriptionId EventService::Impl::subscribe(std::string_view nsName, std::string_view language, std::string_view query,
                                             std::shared_ptr<ObjectSink> sink, SubscriptionOptions options) {
  requireWqlLanguage(language);
  detail::NamespaceState& ns = state(nsName);
  const Principal owner = options.owner ? *options.owner : Principal::caller();
  if (!ns.ns->grants(owner, WBEM_ENABLE | WBEM_RIGHT_SUBSCRIBE))
    throw Error(WBEM_E_ACCESS_DENIED, "subscribing in namespace " + ns.ns->name() +
                                          " needs WBEM_ENABLE and WBEM_RIGHT_SUBSCRIBE, which its security "
                                          "descriptor does not grant " +
                                          owner.sid());
  const RevertToSelf asService;  // the rest (quotas, registrations) the service reads as itself
  WqlLimits wqlLimits;
  wqlLimits.minWithinSeconds = std::chrono::duration<double>(options_.minimumPollingInterval).count();
  auto filter = QueryFilter::compile(query, *ns.ns, QueryKind::Notification, wqlLimits);

  auto sub = std::make_shared<detail::Subscription>();
  sub->id = nextId_.fetch_add(1);
  sub->ns = &ns;
  sub->query = std::string(query);
  sub->owner = owner;
  sub->eventAccess = std::move(options.eventAccess);
  sub->permanent = options.permanent;
  sub->projects = !filter->query().selectAll;
  const ClassDef& from = filter->fromClass()->definition();
  sub->intrinsic = related(*ns.ns, from, "__InstanceOperationEvent") ||
                   related(*ns.ns, from, "__ClassOperationEvent") || related(*ns.ns, from, "__NamespaceOperationEvent");
  sub->wantsDrops = related(*ns.ns, from, "__EventDroppedEvent");
  if (filter->query().groupWithin) {
    sub->aggregator = std::make_unique<Aggregator>(filter, *ns.ns, [clock = clock_] { return clock->now(); });
  }
  sub->filter = filter;

  const ArbitratorLimits arbitrator = limits();
  totalQueueLimit_.store(arbitrator.maximumQueueSizeTotal, std::memory_order_relaxed);
  userQueueLimit_.store(arbitrator.maximumQueueSizePerUser, std::memory_order_relaxed);
  maxWaitOnEvents_.store(arbitrator.maxWaitOnEvents, std::memory_order_relaxed);

  {
    std::lock_guard lock(mutex_);
    if (ns.registrationsDirty.exchange(false))
      for (auto& [name, provider] : ns.providers) loadRegistrations(*provider);

    // Intrinsic instance events of a dynamic class: polled with WITHIN, refused without it unless
    // an event provider raises them (decisions.md 1).
    const std::string& target = filter->targetInstanceClass();
    if (from.inheritsFrom("__InstanceOperationEvent") || iequals(from.name(), "__InstanceOperationEvent")) {
      const ObjectPtr targetClass = target.empty() ? nullptr : ns.ns->findClass(target);
      if (targetClass && detail::isDynamicClass(targetClass->definition())) {
        if (filter->query().within) {
          sub->polledClass = targetClass->className();
        } else if (!providerServes(ns, *filter)) {
          throw Error(WBEMESS_E_REGISTRATION_TOO_PRECISE,
                      "A WITHIN clause was not used in this query: instances of " + target +
                          " come from a provider that raises no events, so they must be polled",
                      filter->query().classPosition);
        }
      }
    }
    checkQuotas(sub->owner, sub->permanent, !sub->polledClass.empty());
  }

  const std::uint64_t queueLimit =
      options.maxQueueBytes ? options.maxQueueBytes : arbitrator.maximumQueueSizePerConsumer;
  std::string path =
      options.consumerPath.empty() ? "__TemporaryConsumer.Id=" + std::to_string(sub->id) : options.consumerPath;
  std::shared_ptr<detail::UserQueueAccount> account;
  {
    std::lock_guard lock(mutex_);
    auto& slot = queueAccounts_[sub->owner.uid];
    if (!slot) slot = std::make_shared<detail::UserQueueAccount>(options_.dispatcherThreads);
    account = slot;
  }
  sub->consumer = std::make_shared<detail::ConsumerQueue>(std::move(sink), sub->owner, std::move(account),
                                                          std::move(path), queueLimit);
  sub->consumer->ns = &ns;
  sub->consumer->staged_.resize(options_.dispatcherThreads);
  sub->synchronous = options.deliverSynchronously && !sub->aggregator && sub->consumer->sink();

  activateProviders(*sub);  // throws after undoing its own work
  try {
    std::lock_guard lock(mutex_);
    checkQuotas(sub->owner, sub->permanent, !sub->polledClass.empty());  // others may have come meanwhile
    if (!sub->polledClass.empty())
      addPoll(*sub,
              std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(*filter->query().within)));
    auto& counts = quotaPerUser_[sub->owner.uid];
    for (QuotaCounts* c : {&counts, &quotaTotal_}) {
      (sub->permanent ? c->permanent : c->temporary)++;
      if (!sub->polledClass.empty()) c->polling++;
    }
    if (sub->intrinsic) ns.intrinsicFilters.fetch_add(1);
    if (sub->wantsDrops) ns.dropFilters.fetch_add(1);
    {
      std::unique_lock table(tableMutex_);
      table_.emplace(sub->id, sub);
    }
    ns.index.add(sub->id, filter);
    if (sub->synchronous) publishSynchronous(ns, sub, true);
  } catch (...) {
    releaseProviders(*sub);
    throw;
  }
  return sub->id;
}

void EventService::Impl::checkQuotas(const Principal& owner, bool permanent, bool polling) const {
  // Called with mutex_ held.
  const ArbitratorLimits arbitrator = limits();
  const auto it = quotaPerUser_.find(owner.uid);
  const QuotaCounts user = it == quotaPerUser_.end() ? QuotaCounts{} : it->second;
  auto check = [](std::uint32_t used, std::uint32_t limit, const char* what) {
    if (used >= limit)
      throw Error(WBEM_E_QUOTA_VIOLATION, std::string(what) + " quota of " + std::to_string(limit) + " reached");
  };
  if (permanent) {
    check(user.permanent, arbitrator.permanentSubscriptionsPerUser, "PermanentSubscriptionsPerUser");
    check(quotaTotal_.permanent, arbitrator.permanentSubscriptionsTotal, "PermanentSubscriptionsTotal");
  } else {
    check(user.temporary, arbitrator.temporarySubscriptionsPerUser, "TemporarySubscriptionsPerUser");
    check(quotaTotal_.temporary, arbitrator.temporarySubscriptionsTotal, "TemporarySubscriptionsTotal");
  }
  if (polling) {
    check(user.polling, arbitrator.pollingInstructionsPerUser, "PollingInstructionsPerUser");
    check(quotaTotal_.polling, arbitrator.pollingInstructionsTotal, "PollingInstructionsTotal");
  }
}

bool EventService::cancel(SubscriptionId id, Status reason) { return impl_->cancel(id, reason); }

bool EventService::Impl::cancel(SubscriptionId id, Status reason) {
  std::shared_ptr<detail::Subscription> sub;
  {
    std::lock_guard lock(mutex_);
    {
      std::unique_lock table(tableMutex_);
      auto it = table_.find(id);
      if (it == table_.end()) return false;
      sub = std::move(it->second);
      table_.erase(it);
    }
    sub->ns->index.remove(id);
    if (sub->synchronous) publishSynchronous(*sub->ns, sub, false);
    sub->consumer->cancelled_.store(true, std::memory_order_release);
    if (!sub->polledClass.empty()) removePoll(*sub);
    auto& counts = quotaPerUser_[sub->owner.uid];
    for (QuotaCounts* c : {&counts, &quotaTotal_}) {
      (sub->permanent ? c->permanent : c->temporary)--;
      if (!sub->polledClass.empty()) c->polling--;
    }
    if (sub->intrinsic) sub->ns->intrinsicFilters.fetch_sub(1);
    if (sub->wantsDrops) sub->ns->dropFilters.fetch_sub(1);
  }
  releaseProviders(*sub);
  {
    // Waits for a delivery in progress; none starts after (cancelled_ is set).
    std::lock_guard wait(sub->consumer->deliverMutex_);
    discard(*sub->consumer);
  }
  // Wakes a puller waiting on it. Only pull queues get it: a delivery worker draining a push
  // queue would count the marker as a delivery in flight and unbalance pushInFlight_.
  if (sub->consumer->isPull()) sub->consumer->queue_.enqueue(detail::Delivery{});
  if (const auto& sink = sub->consumer->sink()) {
    try {
      sink->setStatus(WBEM_STATUS_COMPLETE, reason, {}, nullptr);
    } catch (const std::exception& e) {
      spdlog::warn("consumer {} threw from SetStatus: {}", sub->consumer->path(), e.what());
    }
  }
  return true;
}

Status EventService::pull(SubscriptionId id, std::uint32_t timeoutMs, std::size_t count, std::vector<ObjectPtr>& out) {
  std::shared_ptr<detail::ConsumerQueue> consumer;
  {
    std::shared_lock lock(impl_->tableMutex_);
    auto it = impl_->table_.find(id);
    if (it != impl_->table_.end()) consumer = it->second->consumer;
  }
  if (!consumer) return WBEM_E_CALL_CANCELLED;
  if (!consumer->isPull()) return WBEM_E_INVALID_PARAMETER;
  if (count == 0) return WBEM_E_INVALID_PARAMETER;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  std::size_t got = 0;
  detail::Delivery d;
  while (got < count) {
    bool have = consumer->queue_.try_dequeue(d);
    if (!have && timeoutMs != 0) {
      if (timeoutMs == WBEM_INFINITE) {
        consumer->queue_.wait_dequeue(d);
        have = true;
      } else {
        const auto left =
            std::chrono::duration_cast<std::chrono::microseconds>(deadline - std::chrono::steady_clock::now());
        have = left.count() > 0 && consumer->queue_.wait_dequeue_timed(d, left.count());
      }
    }
    if (!have) break;
    if (!d.event) return got ? WBEM_S_TIMEDOUT : WBEM_E_CALL_CANCELLED;  // the cancel marker
    impl_->uncount(*consumer, d.bytes);
    impl_->delivered_.fetch_add(1, std::memory_order_relaxed);
    consumer->delivered_.fetch_add(1, std::memory_order_relaxed);
    out.push_back(std::move(d.event));
    ++got;
  }
  return got == count ? WBEM_S_NO_ERROR : WBEM_S_TIMEDOUT;
}

// --- service ----------------------------------------------------------------------------------

Clock& EventService::clock() const noexcept { return *impl_->clock_; }

bool EventService::waitIdle(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto quiet = [&] {
    std::lock_guard lock(impl_->sinksMutex_);
    for (const auto& sink : impl_->sinks_)
      if (sink->pending_.load() != 0 || sink->heldCount_.load() != 0) return false;
    return impl_->pushInFlight_.load(std::memory_order_acquire) == 0;
  };
  while (std::chrono::steady_clock::now() < deadline) {
    if (quiet()) {
      // A full scheduler pass after quiet: due timers, polls and windows have run. If it raised
      // nothing, everything raised before the call has been handled.
      std::unique_lock lock(impl_->schedulerMutex_);
      const std::uint64_t target = impl_->schedulerPasses_ + 2;
      // The scheduler consumes a poke when it wakes: poke again until both passes ran, or the
      // second would wait for its idle timeout.
      while (impl_->schedulerPasses_ < target) {
        impl_->schedulerPoked_ = true;
        impl_->schedulerWake_.notify_all();
        if (!impl_->schedulerPassed_.wait_until(
                lock, deadline, [&] { return impl_->schedulerPasses_ >= target || !impl_->schedulerPoked_; }))
          return false;
      }
      lock.unlock();
      if (quiet()) return true;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return false;
}

EventServiceStatistics EventService::statistics() const {
  EventServiceStatistics stats;
  // Sinks are looked up by their provider's address, never followed: a sink outlives its activation.
  std::map<const detail::ProviderState*, std::pair<std::uint64_t, std::uint64_t>> bySink;
  {
    std::lock_guard lock(impl_->sinksMutex_);
    for (const auto& sink : impl_->sinks_) {
      const std::uint64_t indicated = sink->dispatched_.load(std::memory_order_relaxed);
      const std::uint64_t rejected = sink->rejected_.load(std::memory_order_relaxed);
      stats.indicated += indicated;
      stats.rejectedBusy += rejected;
      if (!sink->provider_) continue;
      auto& [providerIndicated, providerRejected] = bySink[sink->provider_];
      providerIndicated += indicated;
      providerRejected += rejected;
    }
  }
  std::lock_guard lock(impl_->mutex_);
  stats.delivered = impl_->delivered_.load();
  stats.dropped = impl_->dropped_.load();
  stats.consumerFailures = impl_->failures_.load();
  {
    std::shared_lock table(impl_->tableMutex_);
    stats.subscriptions = impl_->table_.size();
    for (const auto& [id, sub] : impl_->table_) {
      const detail::ConsumerQueue& consumer = *sub->consumer;
      stats.consumers.push_back(ConsumerStatistics{
          .id = id,
          .namespaceName = sub->ns->ns->name(),
          .query = sub->query,
          .consumer = consumer.path(),
          .ownerUid = sub->owner.uid,
          .permanent = sub->permanent,
          .delivered = consumer.delivered_.load(std::memory_order_relaxed),
          .dropped = consumer.dropped_.load(std::memory_order_relaxed),
          .failures = consumer.failures_.load(std::memory_order_relaxed),
          .queuedEvents = consumer.queue_.size_approx(),
          .queuedBytes = consumer.bytes_.load(std::memory_order_relaxed),
      });
    }
  }
  std::sort(stats.consumers.begin(), stats.consumers.end(), [](auto& a, auto& b) { return a.id < b.id; });
  for (const auto& [name, state] : impl_->namespaces_)
    for (const auto& [pname, provider] : state->providers) {
      const auto filters = static_cast<std::size_t>(provider->concernedCount.load());
      if (filters > 0) ++stats.activeProviders;
      const auto counts = bySink.find(provider.get());
      stats.providers.push_back(ProviderStatistics{
          .namespaceName = state->ns->name(),
          .name = provider->name,
          .bound = provider->object != nullptr,
          .filters = filters,
          .indicated = counts == bySink.end() ? 0 : counts->second.first,
          .rejectedBusy = counts == bySink.end() ? 0 : counts->second.second,
      });
    }
  {
    std::lock_guard workers(impl_->workersMutex_);
    stats.deliveryThreads = impl_->workers_.size();
  }
  return stats;
}

}  // namespace wbem
