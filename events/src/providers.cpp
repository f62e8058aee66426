// Event providers: their registrations (__Win32Provider + __EventProviderRegistration), and their
// life as filters come and go — accessCheck, initialize, provideEvents, newQuery, cancelQuery and
// shutdown only while some filter overlaps a registered query (spec 4, decisions.md 4).

#include <wbem/objectpath.hpp>
#include <wbem/overlap.hpp>

#include <condition_variable>
#include <spdlog/spdlog.h>

#include "service_impl.hpp"
#include "sink.hpp"

namespace wbem {
namespace {

// The NT event IDs WMI logs for ignored registration queries (spec 4.1), kept in the log lines so
// that administrators can look them up.
void logIgnored(const detail::ProviderState& provider, std::string_view query, int eventId, const std::string& why) {
  spdlog::error("event provider {} in {}: registration query \"{}\" ignored (WMI event {}): {}", provider.name,
                provider.ns->ns->name(), query, eventId, why);
}

// The init sink handed to ProviderInit::initialize: the first status wins.
class InitSink final : public ProviderInitSink {
 public:
  void setStatus(Status status, std::int32_t) override {
    std::lock_guard lock(mutex_);
    if (reported_) return;
    reported_ = true;
    status_ = status;
    cv_.notify_all();
  }
  // The reported status, or nullopt after `timeout`.
  std::optional<Status> wait(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, timeout, [&] { return reported_; })) return std::nullopt;
    return status_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool reported_ = false;
  Status status_ = WBEM_S_NO_ERROR;
};

}  // namespace

bool detail::isDynamicClass(const ClassDef& def) {
  for (const ClassDef* d = &def; d; d = d->superclass().get())
    if (d->qualifiers().isTrue("Dynamic") || d->qualifiers().find("Provider")) return true;
  return false;
}

void EventService::Impl::loadRegistrations(detail::ProviderState& provider) {
  Namespace& ns = *provider.ns->ns;
  provider.queries.clear();
  for (const ObjectPtr& registration : ns.enumInstances("__EventProviderRegistration")) {
    const Value ref = registration->get("provider");
    if (ref.isNull()) continue;
    ObjectPath target;
    try {
      target = ObjectPath::parse(ref.asString());
    } catch (const Error&) {
      continue;
    }
    const Value* name = target.key("Name");
    if (!name || name->isNull() || !iequals(name->toText(), provider.name)) continue;
    if (auto identity = std::dynamic_pointer_cast<ProviderIdentity>(provider.object))
      identity->setRegistrationObject(0, *registration);
    const Value list = registration->get("EventQueryList");
    if (list.isNull()) continue;
    for (const Value& q : list.asArray()) {
      const std::string text = q.asString();
      std::shared_ptr<const QueryFilter> filter;
      try {
        filter = QueryFilter::compile(text, ns, QueryKind::Notification);
      } catch (const Error& e) {
        const int eventId = e.status() == WBEM_E_INVALID_CLASS ? 24 : e.status() == WBEM_E_NOT_EVENT_CLASS ? 25 : 21;
        logIgnored(provider, text, eventId, statusName(e.status()) + ": " + e.message());
        continue;
      }
      if (filter->fromClass()->definition().inheritsFrom("__InstanceOperationEvent")) {
        // Intrinsic registrations name all instances of one class: exactly `TargetInstance ISA "C"`.
        const std::string& target = filter->targetInstanceClass();
        const auto& where = filter->query().where;
        if (target.empty() || !where || where->kind != WqlCondition::Kind::Compare) {
          logIgnored(provider, text, 22,
                     statusName(WBEM_E_UNINTERPRETABLE_PROVIDER_QUERY) +
                         ": an intrinsic registration must be exactly TargetInstance ISA \"Class\"");
          continue;
        }
        const ObjectPtr cls = ns.findClass(target);
        if (cls && !detail::isDynamicClass(cls->definition())) {
          logIgnored(provider, text, 23,
                     statusName(WBEMESS_E_REGISTRATION_TOO_BROAD) + ": instances of " + target +
                         " are in the repository, whose events the system raises itself");
          continue;
        }
      }
      provider.queries.push_back({text, std::move(filter)});
    }
  }
}

bool EventService::Impl::providerServes(const detail::NamespaceState& ns, const QueryFilter& filter) const {
  for (const auto& [name, provider] : ns.providers)
    for (const detail::RegisteredQuery& q : provider->queries)
      if (queriesOverlap(*q.filter, filter, *ns.ns)) return true;
  return false;
}

void EventService::Impl::activateProviders(detail::Subscription& sub) {
  detail::NamespaceState& ns = *sub.ns;
  std::vector<detail::ProviderState*> concerned;
  {
    std::lock_guard lock(mutex_);
    for (auto& [name, provider] : ns.providers) {
      if (!provider->object) continue;
      for (const detail::RegisteredQuery& q : provider->queries)
        if (queriesOverlap(*q.filter, *sub.filter, *ns.ns)) {
          concerned.push_back(provider.get());
          break;
        }
    }
  }
  // Every provider must agree before any is activated (spec E.43: denial fails the subscription).
  for (detail::ProviderState* provider : concerned) {
    std::lock_guard call(provider->callMutex);
    if (auto security = std::dynamic_pointer_cast<EventProviderSecurity>(provider->object)) {
      const Status s = security->accessCheck("WQL", sub.query, sub.permanent ? &sub.owner : nullptr);
      if (isError(s))
        throw Error(WBEM_E_ACCESS_DENIED,
                    "event provider " + provider->name + " denied access (" + statusName(s) + ")");
    }
  }
  try {
    for (detail::ProviderState* provider : concerned) {
      std::lock_guard call(provider->callMutex);
      initializeProvider(*provider);
      provider->concerned[sub.id] = static_cast<std::uint32_t>(sub.id);
      provider->concernedCount.store(static_cast<int>(provider->concerned.size()), std::memory_order_release);
      sub.providers.push_back(provider);
      tellNewQuery(*provider, sub);
      startProvider(*provider);
    }
  } catch (...) {
    releaseProviders(sub);
    throw;
  }
}

void EventService::Impl::initializeProvider(detail::ProviderState& provider) {
  if (provider.initialized) return;
  if (auto init = std::dynamic_pointer_cast<ProviderInit>(provider.object)) {
    auto sink = std::make_shared<InitSink>();
    ProviderInitContext context{{}, 0, provider.ns->ns->name(), {}, provider.ns->ns.get()};
    const Status returned = init->initialize(context, sink);
    if (isError(returned)) {
      throw Error(WBEM_E_INITIALIZATION_FAILURE,
                  "event provider " + provider.name + " failed to initialize (" + statusName(returned) + ")");
    }
    const auto reported = sink->wait(provider.initTimeout);
    if (!reported)
      throw Error(WBEM_E_PROVIDER_TIMED_OUT, "event provider " + provider.name + " did not report initialization");
    if (isError(*reported))
      throw Error(WBEM_E_INITIALIZATION_FAILURE,
                  "event provider " + provider.name + " reported " + statusName(*reported));
  }
  provider.initialized = true;
}

void EventService::Impl::tellNewQuery(detail::ProviderState& provider, const detail::Subscription& sub) {
  if (auto querySink = std::dynamic_pointer_cast<EventProviderQuerySink>(provider.object)) {
    const auto queryId = static_cast<std::uint32_t>(sub.id);
    const Status s = querySink->newQuery(queryId, "WQL", sub.query);
    if (isError(s)) spdlog::warn("event provider {}: NewQuery({}) returned {}", provider.name, queryId, statusName(s));
  }
}

void EventService::Impl::startProvider(detail::ProviderState& provider) {
  if (provider.sink) return;
  // Its events are raised as its registrant, unless that is the process's own user.
  std::optional<Principal> publisher;
  if (provider.registrant.uid != Principal::current().uid) publisher = provider.registrant;
  provider.sink = makeSink(*provider.ns, &provider, false, std::move(publisher));
  const Status s = provider.object->provideEvents(provider.sink, 0);
  if (isError(s)) throw Error(s, "event provider " + provider.name + " refused ProvideEvents (" + statusName(s) + ")");
}

void EventService::Impl::adoptSubscriptions(detail::ProviderState& provider) {
  detail::NamespaceState& ns = *provider.ns;
  std::vector<std::shared_ptr<detail::Subscription>> adopted;
  {
    // Under mutex_, so that a cancel either ran before (the subscription is gone) or finds the
    // provider in sub.providers and releases it.
    std::lock_guard lock(mutex_);
    std::lock_guard call(provider.callMutex);
    std::shared_lock table(tableMutex_);
    for (const auto& [id, sub] : table_) {
      if (sub->ns != &ns) continue;
      if (provider.concerned.count(id)) {
        adopted.push_back(sub);  // its filter outlived an earlier object of this provider: tell the new one
        continue;
      }
      const bool overlaps =
          std::any_of(provider.queries.begin(), provider.queries.end(),
                      [&, &filter = *sub->filter](const auto& q) { return queriesOverlap(*q.filter, filter, *ns.ns); });
      if (!overlaps) continue;
      if (auto security = std::dynamic_pointer_cast<EventProviderSecurity>(provider.object)) {
        const Status s = security->accessCheck("WQL", sub->query, sub->permanent ? &sub->owner : nullptr);
        if (isError(s)) {
          spdlog::warn("event provider {} denied existing subscription {} ({}): it gets no events from it",
                       provider.name, id, statusName(s));
          continue;
        }
      }
      provider.concerned[id] = static_cast<std::uint32_t>(id);
      sub->providers.push_back(&provider);
      adopted.push_back(sub);
    }
    provider.concernedCount.store(static_cast<int>(provider.concerned.size()), std::memory_order_release);
  }
  if (adopted.empty()) return;
  std::lock_guard call(provider.callMutex);
  try {
    initializeProvider(provider);
    for (const auto& sub : adopted)
      if (provider.concerned.count(sub->id)) tellNewQuery(provider, *sub);  // not cancelled meanwhile
    if (!provider.concerned.empty()) startProvider(provider);
  } catch (const Error& e) {
    // The subscriptions stay; they receive nothing from this provider (as when it dies).
    spdlog::error("event provider {} could not serve the existing subscriptions: {}", provider.name, e.what());
  }
}

void EventService::Impl::releaseProviders(detail::Subscription& sub) {
  for (detail::ProviderState* provider : sub.providers) {
    std::lock_guard call(provider->callMutex);
    auto it = provider->concerned.find(sub.id);
    if (it == provider->concerned.end()) continue;
    const std::uint32_t queryId = it->second;
    provider->concerned.erase(it);
    provider->concernedCount.store(static_cast<int>(provider->concerned.size()), std::memory_order_release);
    if (auto querySink = std::dynamic_pointer_cast<EventProviderQuerySink>(provider->object)) {
      const Status s = querySink->cancelQuery(queryId);
      if (isError(s))
        spdlog::warn("event provider {}: CancelQuery({}) returned {}", provider->name, queryId, statusName(s));
    }
    if (provider->concerned.empty()) shutdownProvider(*provider);
  }
  sub.providers.clear();
}

void EventService::Impl::shutdownProvider(detail::ProviderState& provider) {
  // Called with provider.callMutex held.
  if (provider.sink) {
    provider.sink->release();
    provider.sink.reset();
  }
  std::vector<std::weak_ptr<detail::SinkImpl>> restricted;
  {
    std::lock_guard lock(sinksMutex_);
    restricted.swap(provider.restricted);
  }
  for (auto& weak : restricted)
    if (auto sink = weak.lock()) sink->release();
  if (provider.initialized) {
    if (auto shutdown = std::dynamic_pointer_cast<ProviderShutdown>(provider.object)) shutdown->shutdown(0, 0);
  }
  provider.initialized = false;
}

}  // namespace wbem
