// What the daemon does with each message a client sends: bodies are read on the I/O thread (the
// frame and the object decoder live there) into owned values, then the request runs on the pool,
// impersonating the client, and its Reply is queued.

#include <wbem/filter.hpp>
#include <wbem/mof.hpp>
#include <wbem/objectpath.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <spdlog/spdlog.h>

#include "server_core.hpp"

namespace wbem::server {

namespace {

constexpr std::size_t kMaxObjectsPerMessage = 1u << 20;

using PackResult = std::function<void(wire::Packer&, wire::ObjectEncoder&)>;

// What a request produced: how to pack its Reply's result, and what to do once the Reply is queued.
struct Outcome {
  Outcome(PackResult packResult, std::function<void()> after = {})
      : pack(std::move(packResult)), afterReply(std::move(after)) {}
  PackResult pack;
  std::function<void()> afterReply;
};

void packNil(wire::Packer& packer, wire::ObjectEncoder&) { packer.pack_nil(); }

void requireAdmin(const Principal& principal, std::string_view what) {
  if (!principal.admin)
    throw Error(WBEM_E_ACCESS_DENIED,
                std::string(what) + " needs an administrator; uid " + std::to_string(principal.uid) + " is not one");
}

// Who may register as the decoupled provider `registration` names: administrators and those its
// SecurityDescriptor grants WBEM_RIGHT_PUBLISH. One without a descriptor is claimed by its first
// registrant: a descriptor naming them is stored in it, so that the claim outlives the connection
// and the daemon, and only they or an administrator may change the registration (Namespace).
void claimProvider(Namespace& space, const ObjectPtr& registration, const Principal& who, std::mutex& claims) {
  const std::string name = registration->get("Name").asString();
  std::lock_guard lock(claims);
  const RevertToSelf asDaemon;  // reading and claiming are the daemon's business; `who` is judged
  const ObjectPtr current = space.getInstance(*registration->path());
  const Value sddl = current->get("SecurityDescriptor");
  if (!sddl.isNull() && !sddl.asString().empty()) {
    SecurityDescriptor allowed;
    try {
      allowed = SecurityDescriptor::parse(sddl.asString());
    } catch (const Error& e) {
      throw Error(WBEM_E_INVALID_PROVIDER_REGISTRATION,
                  "the SecurityDescriptor of __Win32Provider " + name + " is unreadable: " + e.what());
    }
    if (who.admin || allowed.grants(who, WBEM_RIGHT_PUBLISH)) return;
    throw Error(WBEM_E_ACCESS_DENIED,
                "provider " + name + " in " + space.name() +
                    " may be registered only by administrators and those its SecurityDescriptor (" + sddl.asString() +
                    ") grants WBEM_RIGHT_PUBLISH; " + who.sid() + " is neither");
  }
  ClassObject claimed = *current;
  claimed.put("SecurityDescriptor", Value("O:" + who.sid() + "D:(A;;0x80;;;" + who.sid() + ")"));
  space.putInstance(claimed, WBEM_FLAG_UPDATE_ONLY);
  spdlog::info("provider {} in {} is now claimed by {}", name, space.name(), who.sid());
}

bool isDynamic(const ClassObject& cls) {
  for (const ClassDef* d = &cls.definition(); d; d = d->superclass().get())
    if (d->qualifiers().find("Provider")) return true;
  return false;
}

// Forwards the event service's deliveries of one subscription to the client. Events that come
// before the subscription's Reply is queued wait, so that the client reads the Reply first.
class RemoteSink : public ObjectSink {
 public:
  RemoteSink(std::weak_ptr<Session> session, std::uint64_t requestId)
      : session_(std::move(session)), requestId_(requestId) {}
  Status indicate(std::span<const ObjectPtr> objects) override {
    if (!open_.load(std::memory_order_acquire)) {
      std::lock_guard lock(earlyMutex_);
      if (!open_.load(std::memory_order_relaxed)) {
        early_.insert(early_.end(), objects.begin(), objects.end());
        return WBEM_S_NO_ERROR;
      }
    }
    if (auto session = session_.lock()) session->sendEvents(requestId_, objects);
    return WBEM_S_NO_ERROR;
  }
  // Called once the Reply is queued: the waiting events go first, later ones after them.
  void open() {
    std::lock_guard lock(earlyMutex_);
    if (!early_.empty())
      if (auto session = session_.lock()) session->sendEvents(requestId_, early_);
    early_.clear();
    early_.shrink_to_fit();
    open_.store(true, std::memory_order_release);
  }
  void setStatus(std::int32_t, Status result, std::string_view param, const ClassObject*) override {
    if (auto session = session_.lock())
      session->send(Message::CallEnded, requestId_, [&](wire::Packer& packer, wire::ObjectEncoder&) {
        packer.pack_array(2);
        packer.pack_uint32(static_cast<std::uint32_t>(result));
        protocol::packString(packer, param);
      });
  }

 private:
  std::weak_ptr<Session> session_;
  std::uint64_t requestId_;
  std::atomic<bool> open_{false};
  std::mutex earlyMutex_;
  std::vector<ObjectPtr> early_;
};

std::vector<ClassObject> decodeObjects(wire::ObjectDecoder& decoder, std::span<const msgpack::object> records) {
  std::vector<ClassObject> objects;
  objects.reserve(records.size());
  for (const msgpack::object& record : records) objects.push_back(decoder.decode(record));
  return objects;
}

}  // namespace

// Runs on the pool: the request's work under the client's identity, then its Reply.
struct RequestHandlers {
  static void run(Session& session, std::uint64_t requestId, std::function<Outcome()> work) {
    session.post([self = session.shared_from_this(), requestId, work = std::move(work)] {
      self->core_.counters.requests.fetch_add(1, std::memory_order_relaxed);
      std::optional<Outcome> result;
      try {
        Impersonation acting(self->principal_);
        result = work();
      } catch (const Error& e) {
        self->send(Message::Reply, requestId,
                   [&](wire::Packer& packer, wire::ObjectEncoder&) { protocol::packErrorReply(packer, e); });
        return;
      } catch (const std::exception& e) {
        const Error failure(WBEM_E_FAILED, e.what());
        self->send(Message::Reply, requestId,
                   [&](wire::Packer& packer, wire::ObjectEncoder&) { protocol::packErrorReply(packer, failure); });
        return;
      }
      self->send(Message::Reply, requestId, [&](wire::Packer& packer, wire::ObjectEncoder& encoder) {
        protocol::packReplyHead(packer, WBEM_S_NO_ERROR, "");
        result->pack(packer, encoder);
      });
      if (result->afterReply) result->afterReply();
    });
  }

  static void dispatch(Session& s, const wire::Frame& frame) {
    EventService& service = s.core_.service;
    const std::uint64_t id = frame.requestId();
    const Principal& who = s.principal_;
    const std::string_view name = protocol::messageName(frame.type());
    switch (static_cast<Message>(frame.type())) {
      case Message::Reply:
        s.onReply(frame);
        return;
      case Message::Indicate:
        s.onIndicate(frame);
        return;
      case Message::SetSinkSecurity:
        s.onSetSinkSecurity(frame);
        return;
      case Message::GetObject: {
        protocol::BodyReader body(frame.body(), name, 2, 2);
        std::string ns = protocol::canonicalNamespace(body.string("namespace"));
        std::string path(body.string("path"));
        run(s, id, [&service, ns, path]() -> PackResult {
          const ObjectPath parsed = ObjectPath::parse(path);
          ObjectPtr found;
          if (parsed.isClass()) {
            Namespace& n = service.getNamespace(ns);
            n.requireAccess(WBEM_ENABLE, "reading a class");  // getClass is the service's unchecked lookup
            found = n.getClass(parsed.className());
          } else {
            Namespace& n = service.getNamespace(ns);
            if (isDynamic(*n.getClass(parsed.className()))) {
              for (const ObjectPtr& instance : service.createInstanceEnum(ns, parsed.className()))
                if (ObjectPath::parse(instance->get("__RELPATH").asString()) == parsed) found = instance;
              if (!found) throw Error(WBEM_E_NOT_FOUND, "no instance " + path);
            } else {
              found = n.getInstance(parsed);
            }
          }
          return [found](wire::Packer& packer, wire::ObjectEncoder& encoder) { encoder.encode(packer, *found); };
        });
        return;
      }
      case Message::PutClass:
      case Message::PutInstance: {
        protocol::BodyReader body(frame.body(), name, 3, 3);
        std::string ns = protocol::canonicalNamespace(body.string("namespace"));
        const std::int32_t flags = body.int32("flags");
        auto object = std::make_shared<ClassObject>(s.objects_.decode(body.any("object")));
        const bool isClass = static_cast<Message>(frame.type()) == Message::PutClass;
        // The namespace's security descriptor judges the caller (impersonated while this runs).
        run(s, id, [&service, ns, flags, object, isClass]() -> PackResult {
          Namespace& n = service.getNamespace(ns);
          if (isClass) {
            n.putClass(*object, flags);
            return packNil;
          }
          const std::string path = n.putInstance(*object, flags).toString();
          return [path](wire::Packer& packer, wire::ObjectEncoder&) { protocol::packString(packer, path); };
        });
        return;
      }
      case Message::DeleteClass:
      case Message::DeleteInstance: {
        protocol::BodyReader body(frame.body(), name, 2, 2);
        std::string ns = protocol::canonicalNamespace(body.string("namespace"));
        std::string target(body.string("path"));
        const bool isClass = static_cast<Message>(frame.type()) == Message::DeleteClass;
        run(s, id, [&service, ns, target, isClass]() -> PackResult {
          Namespace& n = service.getNamespace(ns);
          if (isClass)
            n.deleteClass(target);
          else
            n.deleteInstance(ObjectPath::parse(target));
          return packNil;
        });
        return;
      }
      case Message::ExecQuery: {
        protocol::BodyReader body(frame.body(), name, 3, 3);
        std::string ns = protocol::canonicalNamespace(body.string("namespace"));
        std::string language(body.string("language"));
        std::string query(body.string("query"));
        run(s, id, [&service, ns, language, query]() -> PackResult {
          requireWqlLanguage(language);
          Namespace& n = service.getNamespace(ns);
          auto filter = QueryFilter::compile(query, n, QueryKind::Data);
          auto results = std::make_shared<std::vector<ClassObject>>();
          for (const ObjectPtr& instance : service.createInstanceEnum(ns, filter->fromClass()->className()))
            if (filter->matches(*instance)) results->push_back(filter->project(*instance));
          return [results](wire::Packer& packer, wire::ObjectEncoder& encoder) {
            packer.pack_array(static_cast<std::uint32_t>(results->size()));
            for (const ClassObject& object : *results) encoder.encode(packer, object);
          };
        });
        return;
      }
      case Message::ExecMethod: {
        protocol::BodyReader body(frame.body(), name, 4, 4);
        std::string ns = protocol::canonicalNamespace(body.string("namespace"));
        std::string path(body.string("path"));
        std::string method(body.string("method"));
        std::shared_ptr<ClassObject> in;
        if (const msgpack::object* record = body.optional())
          in = std::make_shared<ClassObject>(s.objects_.decode(*record));
        run(s, id, [&service, ns, path, method, in]() -> PackResult {
          auto out = std::make_shared<ClassObject>(
              service.getNamespace(ns).execMethod(ObjectPath::parse(path), method, in.get()));
          return [out](wire::Packer& packer, wire::ObjectEncoder& encoder) { encoder.encode(packer, *out); };
        });
        return;
      }
      case Message::CompileMof: {
        protocol::BodyReader body(frame.body(), name, 4, 4);
        std::string ns = protocol::canonicalNamespace(body.string("namespace"));
        std::string text(body.string("text"));
        std::string source(body.string("sourceName"));
        const bool checkOnly = body.boolean("checkOnly");
        run(s, id, [&service, ns, text, source, checkOnly]() -> PackResult {
          // Each class, instance and namespace the MOF puts is judged as it is put; this first check
          // refuses a caller without write access before anything is compiled.
          if (Namespace* target = checkOnly ? nullptr : service.findNamespace(ns))
            target->requireAccess(WBEM_FULL_WRITE_REP, "compiling MOF into the daemon");
          std::map<std::string, std::unique_ptr<Namespace>> scratch;  // new namespaces a check names
          MofOptions options;
          options.defaultNamespace = ns;
          options.checkOnly = checkOnly;
          options.allowIncludes = false;  // the text comes from a client: never read daemon files
          MofCompiler compiler(
              [&](const std::string& name) -> Namespace* {
                if (Namespace* found = service.findNamespace(name)) return found;
                if (!checkOnly) return &service.createNamespace(name);
                auto& space = scratch[name];
                if (!space) space = std::make_unique<Namespace>(name);
                return space.get();
              },
              options);
          const MofResult result = compiler.compileText(text, source);
          if (!result.ok()) {
            const MofDiagnostic& first = result.diagnostics.front();
            throw Error(first.status, first.message, first.position);
          }
          const auto classes = static_cast<std::uint32_t>(result.classes);
          const auto instances = static_cast<std::uint32_t>(result.instances);
          return [classes, instances](wire::Packer& packer, wire::ObjectEncoder&) {
            packer.pack_array(2);
            packer.pack_uint32(classes);
            packer.pack_uint32(instances);
          };
        });
        return;
      }
      case Message::ExecNotificationQuery: {
        protocol::BodyReader body(frame.body(), name, 3, 3);
        std::string ns = protocol::canonicalNamespace(body.string("namespace"));
        std::string language(body.string("language"));
        std::string query(body.string("query"));
        run(s, id, [&service, &s, &who, id, ns, language, query]() -> Outcome {
          auto sink = std::make_shared<RemoteSink>(s.weak_from_this(), id);
          {
            std::lock_guard lock(s.stateMutex_);
            if (s.subscriptions_.count(id))
              throw Error(WBEM_E_INVALID_PARAMETER, "request id " + std::to_string(id) + " is already a subscription");
          }
          const SubscriptionId subscription = service.subscribe(ns, language, query, sink,
                                                                SubscriptionOptions{.owner = who,
                                                                                    .eventAccess = std::nullopt,
                                                                                    .permanent = false,
                                                                                    .consumerPath = {},
                                                                                    .maxQueueBytes = 0,
                                                                                    .deliverSynchronously = false});
          {
            std::lock_guard lock(s.stateMutex_);
            s.subscriptions_[id] = subscription;
          }
          return Outcome(packNil, [sink] { sink->open(); });  // events may follow the Reply now
        });
        return;
      }
      default:
        break;
    }
    dispatchMore(s, frame);
  }

  static void dispatchMore(Session& s, const wire::Frame& frame);
  static Outcome registerProvider(Session& s, Server::Core& core, const Principal& who, std::uint64_t handle,
                                  std::string scope, const std::string& name, const std::string& locale,
                                  std::int32_t flags, std::uint32_t capabilities);
};

void RequestHandlers::dispatchMore(Session& s, const wire::Frame& frame) {
  Server::Core& core = s.core_;
  EventService& service = core.service;
  const std::uint64_t id = frame.requestId();
  const Principal& who = s.principal_;
  const std::string_view name = protocol::messageName(frame.type());
  switch (static_cast<Message>(frame.type())) {
    case Message::CancelAsyncCall: {
      protocol::BodyReader body(frame.body(), name, 1, 1);
      const std::uint64_t target = body.unsignedInt("subscription");
      run(s, id, [&service, &s, target]() -> PackResult {
        SubscriptionId subscription = 0;
        {
          std::lock_guard lock(s.stateMutex_);
          auto it = s.subscriptions_.find(target);
          if (it == s.subscriptions_.end())
            throw Error(WBEM_E_NOT_FOUND, "no subscription with request id " + std::to_string(target));
          subscription = it->second;
          s.subscriptions_.erase(it);
        }
        // Its CallEnded is queued inside cancel(), so the client reads it before this Reply.
        if (!service.cancel(subscription, WBEM_E_CALL_CANCELLED))
          throw Error(WBEM_E_NOT_FOUND, "the subscription with request id " + std::to_string(target) + " has ended");
        return packNil;
      });
      return;
    }
    case Message::Raise: {
      protocol::BodyReader body(frame.body(), name, 2, 2);
      std::string ns = protocol::canonicalNamespace(body.string("namespace"));
      auto events = std::make_shared<std::vector<ClassObject>>(
          decodeObjects(s.objects_, body.array("events", kMaxObjectsPerMessage)));
      run(s, id, [&core, ns, events]() -> PackResult {
        core.service.getNamespace(ns).requireAccess(WBEM_RIGHT_PUBLISH, "raising events");
        const Status status = core.raiser(ns)->raise(*events, Principal::caller());
        if (isError(status)) throw Error(status, "the event service refused the events");
        return packNil;
      });
      return;
    }
    case Message::ListSubscriptions: {
      protocol::BodyReader body(frame.body(), name, 1, 1);
      std::string ns = protocol::canonicalNamespace(body.string("namespace"));
      run(s, id, [&core, ns]() -> PackResult {
        if (!core.permanent) throw Error(WBEM_E_NOT_SUPPORTED, "this server runs no permanent subscriptions");
        core.service.getNamespace(ns).requireAccess(WBEM_ENABLE, "listing subscriptions");
        auto rows = std::make_shared<std::vector<std::array<std::string, 4>>>();
        auto active = std::make_shared<std::vector<bool>>();
        for (const BindingStatus& binding : core.permanent->bindings()) {
          if (protocol::canonicalNamespace(binding.ns) != ns) continue;
          std::string query;
          try {
            query =
                core.service.getNamespace(ns).getInstance(ObjectPath::parse(binding.filter))->get("Query").asString();
          } catch (const Error&) {
            // A binding whose filter is gone: its reason says so.
          }
          rows->push_back({binding.filter, binding.consumer, query, binding.reason});
          active->push_back(binding.active);
        }
        return [rows, active](wire::Packer& packer, wire::ObjectEncoder&) {
          packer.pack_array(static_cast<std::uint32_t>(rows->size()));
          for (std::size_t i = 0; i < rows->size(); ++i) {
            const auto& row = (*rows)[i];
            packer.pack_array(5);
            protocol::packString(packer, row[0]);
            protocol::packString(packer, row[1]);
            protocol::packString(packer, row[2]);
            packer.pack((*active)[i] ? true : false);
            protocol::packString(packer, row[3]);
          }
        };
      });
      return;
    }
    case Message::Statistics: {
      run(s, id, [&core]() -> PackResult {
        auto events = std::make_shared<EventServiceStatistics>(core.service.statistics());
        // Server::statistics() gives the same counters; Core cannot reach its Server.
        auto counters = std::make_shared<std::map<std::string, std::uint64_t>>(Server::Core::totals(core, *events));
        // The totals are for everyone; the lines name queries and consumers, which administrators
        // see all of and others only as far as they are theirs: their own subscriptions, and the
        // providers of namespaces they may read.
        const Principal& who = Principal::caller();
        if (!who.admin) {
          std::erase_if(events->consumers, [&](const ConsumerStatistics& c) { return c.ownerUid != who.uid; });
          std::erase_if(events->providers, [&](const ProviderStatistics& p) {
            const Namespace* ns = core.service.findNamespace(p.namespaceName);
            return !ns || !ns->grants(who, WBEM_ENABLE);
          });
        }
        return [events, counters](wire::Packer& packer, wire::ObjectEncoder&) {
          packer.pack_array(3);
          packer.pack_map(static_cast<std::uint32_t>(counters->size()));
          for (const auto& [key, value] : *counters) {
            protocol::packString(packer, key);
            packer.pack_uint64(value);
          }
          packer.pack_array(static_cast<std::uint32_t>(events->providers.size()));
          for (const ProviderStatistics& provider : events->providers) {
            packer.pack_array(6);
            protocol::packString(packer, protocol::canonicalNamespace(provider.namespaceName));
            protocol::packString(packer, provider.name);
            packer.pack(provider.bound);
            packer.pack_uint64(provider.filters);
            packer.pack_uint64(provider.indicated);
            packer.pack_uint64(provider.rejectedBusy);
          }
          packer.pack_array(static_cast<std::uint32_t>(events->consumers.size()));
          for (const ConsumerStatistics& consumer : events->consumers) {
            packer.pack_array(11);
            packer.pack_uint64(consumer.id);
            protocol::packString(packer, protocol::canonicalNamespace(consumer.namespaceName));
            protocol::packString(packer, consumer.query);
            protocol::packString(packer, consumer.consumer);
            packer.pack_uint32(consumer.ownerUid);
            packer.pack(consumer.permanent);
            packer.pack_uint64(consumer.delivered);
            packer.pack_uint64(consumer.dropped);
            packer.pack_uint64(consumer.failures);
            packer.pack_uint64(consumer.queuedEvents);
            packer.pack_uint64(consumer.queuedBytes);
          }
        };
      });
      return;
    }
    case Message::Backup:
    case Message::Restore: {
      protocol::BodyReader body(frame.body(), name, 1, 1);
      std::string file(body.string("file"));
      const bool backup = static_cast<Message>(frame.type()) == Message::Backup;
      run(s, id, [&service, &who, file, backup]() -> PackResult {
        requireAdmin(who, backup ? "backup" : "restore");
        if (backup)
          service.backup(file);
        else
          service.restore(file);
        return packNil;
      });
      return;
    }
    case Message::RegisterProvider: {
      protocol::BodyReader body(frame.body(), name, 6, 6);
      std::string scope(body.string("scope"));
      std::string providerName(body.string("name"));
      body.string("user");  // WMI reserves it for the account to run as; the process already runs as one
      std::string locale(body.string("locale"));
      const std::int32_t flags = body.int32("flags");
      const auto capabilities = static_cast<std::uint32_t>(body.unsignedInt("capabilities", UINT32_MAX));
      run(s, id, [&s, &core, &who, id, scope, providerName, locale, flags, capabilities]() -> Outcome {
        return registerProvider(s, core, who, id, scope, providerName, locale, flags, capabilities);
      });
      return;
    }
    case Message::UnregisterProvider: {
      protocol::BodyReader body(frame.body(), name, 1, 1);
      const std::uint64_t handle = body.unsignedInt("handle");
      run(s, id, [&s, &core, handle]() -> PackResult {
        std::shared_ptr<RemoteProvider> provider;
        {
          std::lock_guard lock(s.stateMutex_);
          auto it = s.providers_.find(handle);
          if (it == s.providers_.end())
            throw Error(WBEM_E_PROVIDER_NOT_REGISTERED,
                        "no provider is registered with handle " + std::to_string(handle));
          provider = it->second;
          s.providers_.erase(it);
        }
        core.service.removeEventProvider(provider->ns(), provider->name());
        std::lock_guard lock(core.mutex);
        core.registry.erase(Server::Core::registryKey(provider->ns(), provider->name()));
        spdlog::info("decoupled provider {} in {} unregistered", provider->name(), provider->ns());
        return packNil;
      });
      return;
    }
    default:
      throw Error(WBEM_E_UNKNOWN_PACKET_TYPE, "message type " + std::to_string(frame.type()) + " (" +
                                                  std::string(name) + ") is not one a client sends");
  }
}

Outcome RequestHandlers::registerProvider(Session& s, Server::Core& core, const Principal& who, std::uint64_t handle,
                                          std::string scope, const std::string& name, const std::string& locale,
                                          std::int32_t flags, std::uint32_t capabilities) {
  if (flags != 0) throw Error(WBEM_E_INVALID_PARAMETER, "Register takes no flags; got " + std::to_string(flags));
  // WMI's own sample passes the namespace in the locale slot: take it there when scope is empty.
  if (scope.empty() && !locale.empty() && locale.find_first_of("/\\") != std::string::npos) scope = locale;
  if (scope.empty()) throw Error(WBEM_E_INVALID_PARAMETER, "Register needs a scope (the provider's namespace)");
  const std::string ns = protocol::canonicalNamespace(scope);
  Namespace& space = core.service.getNamespace(ns);
  space.requireAccess(WBEM_WRITE_PROVIDER | WBEM_RIGHT_PUBLISH, "registering a decoupled provider");
  ObjectPtr registration;
  for (const ObjectPtr& candidate : space.enumInstances("__Win32Provider")) {
    const Value value = candidate->get("Name");
    if (value.isNull() || !iequals(value.asString(), name)) continue;
    // Two (one of a subclass) would let whoever put the second claim the name of the first.
    if (registration)
      throw Error(WBEM_E_INVALID_PROVIDER_REGISTRATION, "more than one __Win32Provider is named " + name + " in " + ns +
                                                            " (" + registration->className() + " and " +
                                                            candidate->className() + ")");
    registration = candidate;
  }
  if (!registration) throw Error(WBEM_E_PROVIDER_NOT_FOUND, "no __Win32Provider named " + name + " in " + ns);
  const Value model = registration->get("HostingModel");
  if (model.isNull() || model.asString().rfind("Decoupled", 0) != 0)
    throw Error(
        WBEM_E_INVALID_PROVIDER_REGISTRATION,
        "__Win32Provider " + name + " is not a decoupled provider (its HostingModel must be \"Decoupled:Com\")");
  // The name stays with whoever may register it, so that nobody else takes its place (and its
  // subscribers' trust) while it is away.
  claimProvider(space, registration, who, core.claimsMutex);
  auto provider = std::make_shared<RemoteProvider>(s.weak_from_this(), handle, capabilities, space, name);
  {
    std::lock_guard lock(core.mutex);
    auto& slot = core.registry[Server::Core::registryKey(ns, name)];
    if (!slot.expired())
      throw Error(WBEM_E_PROVIDER_ALREADY_REGISTERED,
                  "provider " + name + " in " + ns + " is registered and connected");
    slot = provider;
  }
  {
    std::lock_guard lock(s.stateMutex_);
    s.providers_[handle] = provider;
  }
  // Bound before the Reply: events the process sends once it has the Reply must find the sink.
  // So provideEvents and newQuery may reach the process before the Reply does: the handle is the
  // request's id, which the process knows from the start.
  try {
    core.service.addEventProvider(ns, name, provider);
  } catch (...) {
    std::lock_guard lock(core.mutex);
    core.registry.erase(Server::Core::registryKey(ns, name));
    std::lock_guard state(s.stateMutex_);
    s.providers_.erase(handle);
    throw;
  }
  spdlog::info("decoupled provider {} in {} registered by uid {}", name, ns, who.uid);
  return Outcome(packNil);
}

void Session::onFrame(const wire::Frame& frame) { RequestHandlers::dispatch(*this, frame); }

void Session::onIndicate(const wire::Frame& frame) {
  protocol::BodyReader body(frame.body(), "Indicate", 2, 3);
  const std::uint64_t handle = body.unsignedInt("handle");
  const std::vector<ClassObject> events = decodeObjects(objects_, body.array("events", kMaxObjectsPerMessage));
  const msgpack::object* subjectToSds = body.optional();
  if (subjectToSds && subjectToSds->type != msgpack::type::BOOLEAN)
    throw Error(WBEM_E_INVALID_STREAM, "Indicate: subjectToSds must be a boolean");
  core_.counters.providerEvents.fetch_add(events.size(), std::memory_order_relaxed);
  // Events decoded first either way: the object decoder must see every record in order.
  const std::shared_ptr<RemoteProvider> provider = providerOf(handle);
  if (!provider) return;  // unregistered meanwhile: the client's sink already refuses new ones
  reportIndicateFailure(handle, [&] { return provider->indicate(events, subjectToSds && subjectToSds->via.boolean); });
}

void Session::onSetSinkSecurity(const wire::Frame& frame) {
  protocol::BodyReader body(frame.body(), "SetSinkSecurity", 2, 2);
  const std::uint64_t handle = body.unsignedInt("handle");
  const std::string_view sddl = body.string("sddl");
  const std::shared_ptr<RemoteProvider> provider = providerOf(handle);
  if (!provider) return;
  reportIndicateFailure(handle, [&] {
    provider->setSinkSecurity(SecurityDescriptor::parse(sddl));
    return WBEM_S_NO_ERROR;
  });
}

std::shared_ptr<RemoteProvider> Session::providerOf(std::uint64_t handle) {
  std::lock_guard lock(stateMutex_);
  auto it = providers_.find(handle);
  return it == providers_.end() ? nullptr : it->second;
}

void Session::reportIndicateFailure(std::uint64_t handle, const std::function<Status()>& action) {
  Status status = WBEM_S_NO_ERROR;
  std::string message;
  try {
    status = action();
  } catch (const Error& e) {
    status = e.status();
    message = e.message();
  }
  if (!isError(status)) return;
  send(Message::IndicateFailed, handle, [&](wire::Packer& packer, wire::ObjectEncoder&) {
    packer.pack_array(2);
    packer.pack_uint32(static_cast<std::uint32_t>(status));
    protocol::packString(packer, message);
  });
}

}  // namespace wbem::server
