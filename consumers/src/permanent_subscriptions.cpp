// Permanent subscriptions: watching filters, consumers and bindings in every namespace, checking
// puts, and keeping one event service subscription per active binding.
//
// Changes are recorded under the changed namespace's write lock (instanceChanged) and acted on
// once the lock is released (changesApplied), by whichever thread gets there first, in the order
// they were made; so a put of a binding has taken effect when it returns.

#include <wbem/filter.hpp>
#include <wbem/mof.hpp>
#include <wbem/objectpath.hpp>
#include <wbem/permanent_subscriptions.hpp>
#include <wbem/standard_consumers.hpp>
#include <wbem/wql.hpp>

#include <algorithm>
#include <atomic>
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>
#include <cctype>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <spdlog/spdlog.h>
#include <thread>

namespace wbem {
namespace {

constexpr std::string_view kFilterClass = "__EventFilter";
constexpr std::string_view kConsumerClass = "__EventConsumer";
constexpr std::string_view kBindingClass = "__FilterToConsumerBinding";
constexpr std::string_view kRegistrationClass = "__EventConsumerProviderRegistration";
constexpr std::string_view kProviderClass = "__Win32Provider";
constexpr std::string_view kSubscriptionNamespace = "root\\subscription";

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string stringProperty(const ClassObject& object, std::string_view name) {
  const Value v = object.get(name);
  return v.isNull() ? std::string() : v.asString();
}

// Instances and references name the same object with one key: the relative path, folded.
std::string keyOf(const ClassObject& instance) {
  const auto path = instance.path();
  return path ? lower(path->relativePath()) : std::string();
}

std::string keyOfReference(const std::string& reference) {
  if (reference.empty()) return {};
  try {
    ObjectPath path = ObjectPath::parse(reference);
    return lower(path.relativePath());
  } catch (const Error&) {
    return {};
  }
}

bool hasInstance(const Namespace& ns, const ObjectPath& path) {
  try {
    ns.getInstance(path);
    return true;
  } catch (const Error&) {
    return false;
  }
}

std::string fullPath(const Namespace& ns, const ClassObject& instance) {
  auto path = instance.path();
  if (!path) return instance.className();
  path->setNamespace(ns.name());
  return path->toString();
}

// What a change is about, from the class of the instance.
enum class Kind { Other, Filter, Consumer, Binding, Registration };

Kind kindOf(const ClassObject& instance) {
  const ClassDef& cls = instance.definition();  // ClassDef::inheritsFrom counts the class itself
  if (cls.inheritsFrom(kFilterClass)) return Kind::Filter;
  if (cls.inheritsFrom(kConsumerClass)) return Kind::Consumer;
  if (cls.inheritsFrom(kBindingClass)) return Kind::Binding;
  if (cls.inheritsFrom(kRegistrationClass) || cls.inheritsFrom(kProviderClass)) return Kind::Registration;
  return Kind::Other;
}

// Failures a retry cannot mend: the consumer refuses, rather than cannot yet take, the events.
bool isPermanentFailure(Status status) {
  return status == WBEM_E_ACCESS_DENIED || status == WBEM_E_INVALID_PARAMETER || status == WBEM_E_NOT_FOUND ||
         status == WBEM_E_QUOTA_VIOLATION || status == WBEM_E_NOT_SUPPORTED || status == WBEM_E_SHUTTING_DOWN;
}

// Hands a binding's events to its physical consumer, retrying a failing call with backoff; the
// provider is held too, since the sink's code may live in the provider's plugin library.
class ConsumerDelivery final : public ObjectSink {
 public:
  ConsumerDelivery(std::shared_ptr<EventConsumerProvider> provider, std::shared_ptr<UnboundObjectSink> sink,
                   ObjectPtr logicalConsumer, const PermanentSubscriptionOptions& options)
      : provider_(std::move(provider)),
        sink_(std::move(sink)),
        consumer_(std::move(logicalConsumer)),
        attempts_(std::max(1u, options.deliveryAttempts)),
        backoff_(options.retryBackoff) {}

  Status indicate(std::span<const ObjectPtr> objects) override {
    auto wait = backoff_;
    for (unsigned attempt = 1;; ++attempt) {
      Status status = WBEM_E_FAILED;
      try {
        status = sink_->indicateToConsumer(*consumer_, objects);
      } catch (const Error& e) {
        status = e.status();
      } catch (...) {
        status = WBEM_E_FAILED;  // plugin code may throw anything; the delivery thread must live
      }
      if (!isError(status) || attempt >= attempts_ || isPermanentFailure(status)) return status;
      std::this_thread::sleep_for(wait);
      wait *= 2;
    }
  }

  // The service ended the subscription (its event namespace was deleted, or it shut down).
  void setStatus(std::int32_t, Status, std::string_view, const ClassObject*) override { ended_.store(true); }
  bool ended() const noexcept { return ended_.load(); }

 private:
  std::shared_ptr<EventConsumerProvider> provider_;
  std::shared_ptr<UnboundObjectSink> sink_;
  ObjectPtr consumer_;
  unsigned attempts_;
  std::chrono::milliseconds backoff_;
  std::atomic<bool> ended_{false};
};

struct Binding {
  ObjectPtr instance;
  std::string filterKey, consumerKey;
  std::optional<SubscriptionId> id;
  std::shared_ptr<ConsumerDelivery> delivery;
  std::string fingerprint;  // what the live subscription was made from
  std::string reason;       // why it is inactive
};

// What one namespace holds, by key.
struct Watch {
  Namespace* ns = nullptr;
  std::map<std::string, ObjectPtr> filters, consumers;
  std::map<std::string, Binding> bindings;
  std::map<std::string, std::set<std::string>> byFilter, byConsumer;  // filter/consumer key -> binding keys
};

struct Change {
  Namespace* ns;
  ObjectPtr before, after;
  bool classDeleted = false;  // `before` is a deleted class: its instances went with it
};

// Set while this thread acts on changes: a provider or consumer that changes a namespace from
// inside an activation queues its change for the running loop instead of re-entering it.
thread_local bool processing = false;

}  // namespace

struct PermanentSubscriptions::Impl final : ServiceObserver {
  Impl(EventService& service, PermanentSubscriptionOptions options) : service_(service), options_(options) {}

  // --- NamespaceObserver ----------------------------------------------------------------------
  void instanceChanged(const Namespace& ns, const ObjectPtr& before, const ObjectPtr& after) override {
    if (kindOf(after ? *after : *before) == Kind::Other) return;
    std::lock_guard lock(queueMutex_);
    queue_.push_back(Change{const_cast<Namespace*>(&ns), before, after});
  }

  // A deleted class takes its instances with it, without instance events.
  void classChanged(const Namespace& ns, const ObjectPtr& before, const ObjectPtr& after) override {
    if (after || kindOf(*before) == Kind::Other) return;
    std::lock_guard lock(queueMutex_);
    queue_.push_back(Change{const_cast<Namespace*>(&ns), before, nullptr, true});
  }

  void changesApplied(const Namespace&) noexcept override { process(); }

  void checkInstance(const Namespace& ns, ClassObject& instance) override {
    const Kind kind = kindOf(instance);
    const Principal caller = Principal::caller();
    if (kind == Kind::Registration) checkModule(instance, caller);
    if (kind != Kind::Filter && kind != Kind::Consumer && kind != Kind::Binding) return;
    instance.put("CreatorSID", Value(caller.sid()));
    // It would run commands as its creator: WMI lets only administrators make one (it checks
    // again at each event, since membership of the admin group can change).
    if (kind == Kind::Consumer && !caller.admin && instance.definition().inheritsFrom("CommandLineEventConsumer"))
      throw Error(WBEM_E_ACCESS_DENIED,
                  "only administrators may create a CommandLineEventConsumer; " + caller.sid() + " is not one");
    if (kind == Kind::Filter) checkFilter(ns, instance);
    if (kind == Kind::Binding) checkBinding(ns, instance, caller);
  }

  // --- ServiceObserver ------------------------------------------------------------------------
  void namespaceCreated(Namespace& ns) override {
    // Read without our locks (a put holds the namespace's lock while it takes queueMutex_), and
    // queued before the changes recorded meanwhile, which are newer than this snapshot.
    std::vector<Change> snapshot;
    for (std::string_view cls : {kFilterClass, kConsumerClass, kRegistrationClass, kBindingClass})
      for (ObjectPtr& instance : ns.enumInstances(cls)) snapshot.push_back(Change{&ns, nullptr, std::move(instance)});
    {
      std::lock_guard lock(queueMutex_);
      queue_.insert(queue_.begin(), std::make_move_iterator(snapshot.begin()), std::make_move_iterator(snapshot.end()));
    }
    process();
    retryInactive({});  // a binding may have waited for this namespace as its EventNamespace
  }

  // Bindings that could not subscribe because a provider was missing may succeed now.
  void providersChanged(Namespace& ns) override { retryInactive(ns.name()); }

  // Re-evaluates the bindings that are not live (those whose filter watches `eventNamespace`,
  // or all when it is empty).
  void retryInactive(const std::string& eventNamespace) {
    if (processing) return;
    std::lock_guard lock(mutex_);
    if (closed_) return;
    for (auto& [name, watch] : watches_) {
      for (auto& [key, binding] : watch.bindings) {
        if (binding.id && !binding.delivery->ended()) continue;
        if (!eventNamespace.empty()) {
          auto f = watch.filters.find(binding.filterKey);
          if (f == watch.filters.end()) continue;
          const std::string target = stringProperty(*f->second, "EventNamespace");
          if (!iequals(target.empty() ? watch.ns->name() : target, eventNamespace)) continue;
        }
        evaluate(watch, binding);
      }
    }
  }

  void namespaceDeleted(const Namespace& ns) override {
    std::lock_guard lock(mutex_);
    auto it = watches_.find(lower(ns.name()));
    if (it == watches_.end() || it->second.ns != &ns) return;
    for (auto& [key, binding] : it->second.bindings) deactivate(binding);
    watches_.erase(it);
  }

  // --- checks at put --------------------------------------------------------------------------
  void checkFilter(const Namespace& ns, ClassObject& filter) {
    requireWqlLanguage(stringProperty(filter, "QueryLanguage"));
    if (stringProperty(filter, "Name").empty())
      filter.put("Name", Value("{" + lower(boost::uuids::to_string(boost::uuids::random_generator()())) + "}"));
    const std::string target = stringProperty(filter, "EventNamespace");
    const Namespace* eventNamespace = target.empty() ? &ns : service_.findNamespace(target);
    if (eventNamespace == nullptr)
      throw Error(WBEM_E_INVALID_NAMESPACE, "EventNamespace " + target + " of the filter does not exist");
    QueryFilter::compile(stringProperty(filter, "Query"), *eventNamespace, QueryKind::Notification);
    eventAccess(filter);
  }

  // __EventFilter.EventAccess, the SDDL of who may publish to the filter (NULL or empty: everyone).
  // WBEM_E_INVALID_PARAMETER with the column when it is not a descriptor.
  static std::optional<SecurityDescriptor> eventAccess(const ClassObject& filter) {
    const std::string sddl = stringProperty(filter, "EventAccess");
    if (sddl.empty()) return std::nullopt;
    return SecurityDescriptor::parse(sddl);
  }

  void checkBinding(const Namespace& ns, const ClassObject& binding, const Principal& caller) {
    const ObjectPtr filter = referenced(ns, binding, "Filter");
    referenced(ns, binding, "Consumer");
    if (!caller.admin && parseWql(stringProperty(*filter, "Query")).within)
      throw Error(WBEM_E_ACCESS_DENIED,
                  "only administrators may bind a filter that polls (WITHIN): " + stringProperty(*filter, "Name"));
  }

  // A provider that names a shared library makes the service load code: administrators only,
  // and only by absolute path (no search through the library path).
  static void checkModule(const ClassObject& provider, const Principal& caller) {
    if (!provider.definition().inheritsFrom(kProviderClass)) return;
    const std::string module = stringProperty(provider, "Module");
    if (module.empty()) return;
    if (!caller.admin)
      throw Error(WBEM_E_ACCESS_DENIED, "only administrators may register a provider module (" + module + ")");
    if (!std::filesystem::path(module).is_absolute())
      throw Error(WBEM_E_INVALID_PARAMETER, "a provider Module must be an absolute path: " + module);
  }

  static ObjectPtr referenced(const Namespace& ns, const ClassObject& binding, std::string_view property) {
    const std::string reference = stringProperty(binding, property);
    try {
      return ns.getInstance(ObjectPath::parse(reference));
    } catch (const Error&) {
      throw Error(WBEM_E_NOT_FOUND, "the binding's " + std::string(property) + " " + reference +
                                        " does not exist in namespace " + ns.name());
    }
  }

  // --- acting on changes ----------------------------------------------------------------------
  void process() noexcept {
    if (processing) return;  // the loop below, further up this thread's stack, takes the change
    {
      std::lock_guard queued(queueMutex_);
      if (queue_.empty()) return;  // most changes are not ours: do not wait for the lock
    }
    std::lock_guard lock(mutex_);
    processing = true;
    struct Reset {
      ~Reset() { processing = false; }
    } reset;
    for (;;) {
      std::vector<Change> batch;
      {
        std::lock_guard queued(queueMutex_);
        batch.swap(queue_);
      }
      if (batch.empty() || closed_) return;
      for (const Change& change : batch) {
        try {
          apply(change);
        } catch (const std::exception& e) {
          spdlog::error("permanent subscriptions: a change in {} was not applied: {}", change.ns->name(), e.what());
        } catch (...) {
          spdlog::error("permanent subscriptions: a change in {} was not applied: a non-standard exception",
                        change.ns->name());
        }
      }
    }
  }

  Watch& watchOf(Namespace& ns) {
    Watch& watch = watches_[lower(ns.name())];
    watch.ns = &ns;
    return watch;
  }

  void apply(const Change& change) {
    if (change.classDeleted) return forgetClass(watchOf(*change.ns), change.before->className());
    const ClassObject& object = change.after ? *change.after : *change.before;
    Watch& watch = watchOf(*change.ns);
    const std::string key = keyOf(object);
    switch (kindOf(object)) {
      case Kind::Filter:
      case Kind::Consumer: {
        const bool filter = kindOf(object) == Kind::Filter;
        auto& objects = filter ? watch.filters : watch.consumers;
        if (change.after)
          objects[key] = change.after;
        else
          objects.erase(key);
        auto& users = filter ? watch.byFilter : watch.byConsumer;
        if (auto it = users.find(key); it != users.end())
          for (const std::string& bindingKey : it->second) evaluate(watch, watch.bindings.at(bindingKey));
        break;
      }
      case Kind::Binding:
        if (change.after)
          putBinding(watch, key, change.after);
        else
          eraseBinding(watch, key);
        break;
      case Kind::Registration:
        for (auto& [k, binding] : watch.bindings) evaluate(watch, binding);
        break;
      case Kind::Other:
        break;
    }
  }

  void forgetClass(Watch& watch, const std::string& className) {
    auto ofClass = [&](const ObjectPtr& o) { return iequals(o->className(), className); };
    std::vector<std::string> bindings;
    for (auto* objects : {&watch.filters, &watch.consumers}) {
      auto& users = objects == &watch.filters ? watch.byFilter : watch.byConsumer;
      for (auto it = objects->begin(); it != objects->end();) {
        if (!ofClass(it->second)) {
          ++it;
          continue;
        }
        if (auto u = users.find(it->first); u != users.end())
          bindings.insert(bindings.end(), u->second.begin(), u->second.end());
        it = objects->erase(it);
      }
    }
    for (auto& [key, binding] : watch.bindings)
      if (ofClass(binding.instance)) bindings.push_back(key);
    for (const std::string& key : bindings) {
      auto it = watch.bindings.find(key);
      if (it == watch.bindings.end()) continue;
      if (ofClass(it->second.instance))
        eraseBinding(watch, key);
      else
        evaluate(watch, it->second);
    }
  }

  void putBinding(Watch& watch, const std::string& key, const ObjectPtr& instance) {
    Binding& binding = watch.bindings[key];
    watch.byFilter[binding.filterKey].erase(key);
    watch.byConsumer[binding.consumerKey].erase(key);
    binding.instance = instance;
    binding.filterKey = keyOfReference(stringProperty(*instance, "Filter"));
    binding.consumerKey = keyOfReference(stringProperty(*instance, "Consumer"));
    watch.byFilter[binding.filterKey].insert(key);
    watch.byConsumer[binding.consumerKey].insert(key);
    evaluate(watch, binding);
  }

  void eraseBinding(Watch& watch, const std::string& key) {
    auto it = watch.bindings.find(key);
    if (it == watch.bindings.end()) return;
    deactivate(it->second);
    watch.byFilter[it->second.filterKey].erase(key);
    watch.byConsumer[it->second.consumerKey].erase(key);
    watch.bindings.erase(it);
  }

  void deactivate(Binding& binding) {
    if (binding.id) service_.cancel(*binding.id);
    binding.id.reset();
    binding.delivery.reset();
    binding.fingerprint.clear();
  }

  // Why the binding cannot be active (empty when it can), and the provider that serves it.
  std::string obstacle(Watch& watch, const Binding& binding, ObjectPtr& filter, ObjectPtr& consumer,
                       std::shared_ptr<EventConsumerProvider>& provider) {
    auto f = watch.filters.find(binding.filterKey);
    if (f == watch.filters.end())
      return "its filter " + stringProperty(*binding.instance, "Filter") + " does not exist";
    auto c = watch.consumers.find(binding.consumerKey);
    if (c == watch.consumers.end())
      return "its consumer " + stringProperty(*binding.instance, "Consumer") + " does not exist";
    filter = f->second;
    consumer = c->second;
    const std::string creator = stringProperty(*binding.instance, "CreatorSID");
    const std::string filterCreator = stringProperty(*filter, "CreatorSID");
    const std::string consumerCreator = stringProperty(*consumer, "CreatorSID");
    if (!sameCreator(creator, filterCreator) || !sameCreator(creator, consumerCreator))
      return "filter, consumer and binding have different creators (" + filterCreator + ", " + consumerCreator + ", " +
             creator + ")";
    try {
      provider = providerFor(*watch.ns, *consumer);
    } catch (const Error& e) {
      return e.what();
    }
    return {};
  }

  void evaluate(Watch& watch, Binding& binding) {
    ObjectPtr filter, consumer;
    std::shared_ptr<EventConsumerProvider> provider;
    std::string reason = obstacle(watch, binding, filter, consumer, provider);
    std::string fingerprint;
    if (reason.empty())
      fingerprint = filter->getObjectText() + consumer->getObjectText() + binding.instance->getObjectText() +
                    std::to_string(reinterpret_cast<std::uintptr_t>(provider.get()));
    if (binding.id && !binding.delivery->ended() && fingerprint == binding.fingerprint) return;
    deactivate(binding);
    if (reason.empty()) {
      try {
        activate(watch, binding, *filter, consumer, provider);
        binding.fingerprint = std::move(fingerprint);
        binding.reason.clear();
        return;
      } catch (const Error& e) {
        reason = std::string("the subscription failed: ") + e.what();
      }
    }
    if (reason != binding.reason)  // said once, not at every re-evaluation
      spdlog::warn("binding {} in {} is inactive: {}", binding.instance->path()->relativePath(), watch.ns->name(),
                   reason);
    binding.reason = std::move(reason);
  }

  void activate(Watch& watch, Binding& binding, const ClassObject& filter, const ObjectPtr& consumer,
                const std::shared_ptr<EventConsumerProvider>& provider) {
    std::shared_ptr<UnboundObjectSink> sink = provider->findConsumer(*consumer);
    if (!sink) throw Error(WBEM_E_PROVIDER_FAILURE, "the consumer provider returned no sink for " + keyOf(*consumer));
    auto delivery = std::make_shared<ConsumerDelivery>(provider, std::move(sink), consumer, options_);
    SubscriptionOptions options;
    options.owner = creatorPrincipal(stringProperty(*binding.instance, "CreatorSID"));
    options.eventAccess = eventAccess(filter);
    options.permanent = true;
    options.consumerPath = fullPath(*watch.ns, *consumer);
    // DeliverSynchronously = TRUE overrides DeliveryQoS, whose 0 is WMIMSG_FLAG_QOS_SYNCHRONOUS.
    const Value synchronous = binding.instance->get("DeliverSynchronously");
    const Value qos = binding.instance->get("DeliveryQoS");
    options.deliverSynchronously =
        (!synchronous.isNull() && synchronous.asBool()) || (!qos.isNull() && qos.asUInt64() == 0);
    const Value queueSize = consumer->get("MaximumQueueSize");
    if (!queueSize.isNull()) options.maxQueueBytes = queueSize.asUInt64();
    const std::string target = stringProperty(filter, "EventNamespace");
    binding.id = service_.subscribe(target.empty() ? watch.ns->name() : target, stringProperty(filter, "QueryLanguage"),
                                    stringProperty(filter, "Query"), delivery, options);
    binding.delivery = std::move(delivery);
  }

  bool sameCreator(const std::string& a, const std::string& b) {
    if (iequals(a, b)) return true;
    // Administrators share one identity as creators, as WMI stores the Administrators group for them.
    const auto pa = creatorPrincipal(a), pb = creatorPrincipal(b);
    return pa && pb && pa->admin && pb->admin;
  }

  // Bindings share few creators: their principals come from a cache.
  std::optional<Principal> creatorPrincipal(const std::string& sid) { return creators_.find(sid); }

  // The provider registered for the consumer's class or its nearest ancestor in `ns`.
  std::shared_ptr<EventConsumerProvider> providerFor(const Namespace& ns, const ClassObject& consumer) {
    std::vector<std::string> chain{consumer.className()};
    const auto& derivation = consumer.definition().derivation();
    chain.insert(chain.end(), derivation.begin(), derivation.end());
    const std::vector<ObjectPtr> registrations = ns.enumInstances(kRegistrationClass);
    for (const std::string& cls : chain) {
      for (const ObjectPtr& registration : registrations) {
        const Value names = registration->get("ConsumerClassNames");
        if (names.isNull()) continue;
        const bool serves = std::ranges::any_of(
            names.asArray(), [&](const Value& n) { return !n.isNull() && iequals(n.asString(), cls); });
        if (serves) return providerNamed(ns, stringProperty(*registration, "provider"));
      }
    }
    throw Error(WBEM_E_PROVIDER_NOT_FOUND,
                "no __EventConsumerProviderRegistration in " + ns.name() + " serves class " + consumer.className());
  }

  std::shared_ptr<EventConsumerProvider> providerNamed(const Namespace& ns, const std::string& reference) {
    const ObjectPtr registered = ns.getInstance(ObjectPath::parse(reference));
    const std::string name = stringProperty(*registered, "Name");
    if (auto it = bound_.find(lower(ns.name()) + ':' + lower(name)); it != bound_.end()) return it->second;
    const std::string module = stringProperty(*registered, "Module");
    if (module.empty())
      throw Error(WBEM_E_PROVIDER_NOT_FOUND,
                  "consumer provider " + name + " is neither bound in-process nor names a Module");
    auto& loaded = plugins_[module];
    if (!loaded) loaded = loadConsumerPlugin(module);
    return loaded;
  }

  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    for (auto& [name, watch] : watches_)
      for (auto& [key, binding] : watch.bindings) deactivate(binding);
    watches_.clear();
  }

  EventService& service_;
  const PermanentSubscriptionOptions options_;
  std::mutex queueMutex_;  // taken under namespace write locks: guards queue_ only
  std::vector<Change> queue_;
  mutable std::mutex mutex_;  // the state below; held while changes are acted on
  bool closed_ = false;
  std::map<std::string, Watch> watches_;                                   // by folded namespace name
  std::map<std::string, std::shared_ptr<EventConsumerProvider>> bound_;    // "ns:name" folded
  std::map<std::string, std::shared_ptr<EventConsumerProvider>> plugins_;  // by module path
  PrincipalCache creators_;
};

namespace {

// Declares and registers WMI's standard consumers in root\subscription, unless already there
// (a repository brings them back). Their provider objects are bound before this runs.
void installStandardConsumers(EventService& service) {
  Namespace* ns = service.findNamespace(kSubscriptionNamespace);
  if (ns == nullptr) ns = &service.createNamespace(kSubscriptionNamespace);
  if (!ns->findClass("LogFileEventConsumer")) {
    MofOptions options;
    options.defaultNamespace = std::string(kSubscriptionNamespace);
    options.allowIncludes = false;
    const MofResult result = MofCompiler([ns](std::string_view) { return ns; }, options)
                                 .compileText(standardConsumerClassesMof(), "standard consumers");
    if (!result.ok())
      throw Error(WBEM_E_FAILED,
                  "the standard consumer classes do not compile: " + result.diagnostics.front().toString());
  }
  for (std::string_view name : {"LogFileEventConsumer", "CommandLineEventConsumer"}) {
    ClassObject win32Provider = ns->getClass(kProviderClass)->spawnInstance();
    win32Provider.put("Name", Value(name));
    const ObjectPath providerPath = win32Provider.path().value();
    ClassObject registration = ns->getClass(kRegistrationClass)->spawnInstance();
    registration.put("provider", Value::reference(providerPath.relativePath()));
    registration.put("ConsumerClassNames", Value(CimType::String, ValueArray{Value(name)}));
    if (!hasInstance(*ns, providerPath)) {
      ns->putInstance(win32Provider);
      ns->putInstance(registration);
    }
  }
}

}  // namespace

PermanentSubscriptions::PermanentSubscriptions(EventService& service, PermanentSubscriptionOptions options)
    : impl_(std::make_shared<Impl>(service, options)) {
  if (options.standardConsumers) {
    // Bound first, so that subscriptions restored from a repository find them at once.
    const std::string prefix = lower(std::string(kSubscriptionNamespace)) + ':';
    impl_->bound_[prefix + "logfileeventconsumer"] = std::make_shared<LogFileConsumerProvider>();
    impl_->bound_[prefix + "commandlineeventconsumer"] = std::make_shared<CommandLineConsumerProvider>();
  }
  // Installed before watching, so that restored bindings find their registrations at once.
  if (options.standardConsumers) installStandardConsumers(service);
  service.addObserver(impl_);
}

PermanentSubscriptions::~PermanentSubscriptions() {
  impl_->service_.removeObserver(impl_.get());
  impl_->close();
}

void PermanentSubscriptions::addConsumerProvider(std::string_view ns, std::string_view name,
                                                 std::shared_ptr<EventConsumerProvider> provider) {
  if (!provider) throw Error(WBEM_E_INVALID_PARAMETER, "addConsumerProvider needs a provider object");
  Namespace& target = impl_->service_.getNamespace(ns);
  std::lock_guard lock(impl_->mutex_);
  impl_->bound_[lower(target.name()) + ':' + lower(std::string(name))] = std::move(provider);
  Watch& watch = impl_->watchOf(target);
  for (auto& [key, binding] : watch.bindings) impl_->evaluate(watch, binding);
}

void PermanentSubscriptions::removeConsumerProvider(std::string_view ns, std::string_view name) {
  Namespace& target = impl_->service_.getNamespace(ns);
  std::lock_guard lock(impl_->mutex_);
  if (!impl_->bound_.erase(lower(target.name()) + ':' + lower(std::string(name))))
    throw Error(WBEM_E_NOT_FOUND, "no consumer provider " + std::string(name) + " is bound in " + target.name());
  Watch& watch = impl_->watchOf(target);
  for (auto& [key, binding] : watch.bindings) impl_->evaluate(watch, binding);
}

std::vector<BindingStatus> PermanentSubscriptions::bindings() const {
  std::lock_guard lock(impl_->mutex_);
  std::vector<BindingStatus> out;
  for (const auto& [name, watch] : impl_->watches_) {
    for (const auto& [key, binding] : watch.bindings) {
      BindingStatus status;
      status.ns = watch.ns->name();
      status.binding = binding.instance->path() ? binding.instance->path()->relativePath() : key;
      status.filter = stringProperty(*binding.instance, "Filter");
      status.consumer = stringProperty(*binding.instance, "Consumer");
      status.active = binding.id.has_value() && !binding.delivery->ended();
      status.reason = status.active            ? std::string()
                      : binding.reason.empty() ? "its event namespace is gone"
                                               : binding.reason;
      out.push_back(std::move(status));
    }
  }
  return out;
}

}  // namespace wbem
