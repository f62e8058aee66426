// Decoupled providers: DecoupledRegistrar and its detail::Registration (one registered provider on
// its own session), the EventSink handed to the provider, and the batching of its events into
// Indicate frames.
//
// The sink's indicate() takes no lock: it copies the events into a bounded lock-free queue and
// posts a wake-up to the I/O thread only when none is pending, so that events raised back to back
// leave in one Indicate frame (cut at about 64 KiB), while one event alone leaves at once.
// Decisions the protocol leaves to the client:
//  - while the daemon is unreachable, indicate() accepts events and drops them (counted, logged
//    when the connection comes back): there is no one to deliver them to;
//  - the daemon always gets kQuerySink, so that isActive() knows the live queries even when the
//    provider object does not implement EventProviderQuerySink;
//  - setSinkSecurity travels in the event queue (a SetSinkSecurity frame between the Indicate
//    frames), so that it applies exactly to the events indicated after it, and is sent again after
//    a reconnection; events indicated subject to their SECURITY_DESCRIPTOR go in frames of their
//    own (Indicate's subjectToSds field);
//  - getRestrictedSink needs the daemon's schema to compile the queries, which the process does
//    not have: it fails with WBEM_E_NOT_SUPPORTED rather than deliver events the provider meant
//    to restrict;
//  - setBatchingParameters shapes the Indicate frames: MUST_NOT_BATCH one event per frame,
//    MUST_BATCH holds events until maxBufferSize bytes (approximate) wait or the oldest waited
//    maxSendLatencyMs, BATCH_IF_NEEDED (default) sends whatever has accumulated.

#include <wbem/decoupled_provider.hpp>
#include <wbem/detail/concurrent_queue.hpp>
#include <wbem/protocol.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <future>
#include <optional>
#include <set>
#include <spdlog/spdlog.h>
#include <utility>
#include <vector>

#include "client_session.hpp"

namespace wbem {
namespace detail {
namespace {

using protocol::Message;

// Events queued and not yet sent, per registration: above it indicate() is refused.
constexpr std::int64_t kMaxQueuedEvents = 65536;
// An Indicate frame is cut once its events' approximate size reaches this.
constexpr std::uint64_t kBatchBytes = 64u << 10;
// How many events the I/O thread takes from the queue at a time.
constexpr std::size_t kDequeueChunk = 256;
constexpr std::chrono::milliseconds kFirstRetry{50};
constexpr std::chrono::milliseconds kMaxRetry{5000};

bool isEventClass(const ClassObject& object) {
  return object.inheritsFrom("__ExtrinsicEvent") || object.inheritsFrom("__InstanceOperationEvent") ||
         object.inheritsFrom("__ClassOperationEvent") || object.inheritsFrom("__NamespaceOperationEvent") ||
         object.inheritsFrom("__TimerEvent") || object.inheritsFrom("__AggregateEvent");
}

// FILETIME now: 100 ns intervals since 1601-01-01 UTC (TIME_CREATED).
std::uint64_t fileTimeNow() {
  constexpr std::uint64_t kUnixEpochAsFileTime = 116444736000000000ULL;
  const auto ticks = std::chrono::duration_cast<std::chrono::duration<std::int64_t, std::ratio<1, 10'000'000>>>(
      std::chrono::system_clock::now().time_since_epoch());
  return kUnixEpochAsFileTime + static_cast<std::uint64_t>(ticks.count());
}

std::int64_t steadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string describe(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

Status statusOf(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    return e.status();
  } catch (...) {
    return WBEM_E_FAILED;
  }
}

class DecoupledSink;

}  // namespace

/// One provider registered with the daemon. Its fixed part is set before registration; the event
/// queue is lock-free; `staged_`, `liveQueries_` and the timers belong to the I/O thread.
struct Registration final : SessionListener, std::enable_shared_from_this<Registration> {
  enum State : int { kRegistering, kRegistered, kDisconnected, kUnregistering, kUnregistered };

  /// An event, or (without one) a change of the sink's security descriptor.
  struct QueuedEvent {
    std::optional<ClassObject> object;  // optional: the queue needs default-constructible items
    std::uint64_t bytes = 0;
    bool subjectToSds = false;
    std::string sinkSecurity;  // SDDL, when `object` is empty
    // MUST_NOT_BATCH when it was indicated: a later setBatchingParameters does not reshape it,
    // and one made before it applies even to a flush already running.
    bool alone = false;
  };

  std::shared_ptr<ClientSession> session;
  std::string scope;
  std::string name;
  std::string user;
  std::string locale;
  std::uint32_t capabilities = 0;
  std::shared_ptr<EventProvider> provider;
  std::shared_ptr<EventProviderQuerySink> querySink;
  std::shared_ptr<EventProviderSecurity> security;
  std::shared_ptr<ProviderInit> init;
  std::shared_ptr<EventSink> sink;

  std::atomic<int> state{kRegistering};
  std::atomic<std::uint64_t> handle{0};  // the RegisterProvider requestId the daemon accepted
  std::atomic<std::size_t> liveQueryCount{0};

  ConcurrentQueue<QueuedEvent> queue;
  std::atomic<std::int64_t> queued{0};  // queued or staged, not yet sent
  std::atomic<std::uint64_t> pendingBytes{0};
  std::atomic<std::int64_t> firstPendingNs{0};  // when the oldest waiting event came (MUST_BATCH)
  std::atomic<bool> wakePending{false};
  std::atomic<std::uint64_t> dropped{0};
  std::atomic<std::int32_t> batchMode{WBEM_FLAG_BATCH_IF_NEEDED};
  std::atomic<std::uint32_t> maxBufferSize{0};
  std::atomic<std::uint32_t> maxLatencyMs{WBEM_INFINITE};

  // I/O thread only.
  std::deque<QueuedEvent> staged;
  std::set<std::uint32_t> liveQueries;
  std::optional<std::string> sinkSecurity;  // the last descriptor set, sent again on reconnection
  bool latencyTimerArmed = false;
  std::chrono::milliseconds retry{kFirstRetry};

  Status indicate(std::span<const ClassObject> objects, bool subjectToSds);
  /// Queues a SetSinkSecurity behind the events indicated so far. Any thread.
  Status setSinkSecurity(const SecurityDescriptor& descriptor);
  /// Sends SetSinkSecurity with `sddl` for handle `h`. I/O thread.
  void sendSinkSecurity(std::uint64_t h, const std::string& sddl);
  void wake();
  Status registerNow();
  Status unregister();
  void packRegister(wire::Packer& packer) const;
  void sendReply(std::uint64_t callId, std::uint64_t generation, Status status, const std::string& message);
  bool readyToSend();
  void dropQueued();
  /// Calls the provider's cancelQuery unless it is unregistering. Delivery thread only.
  void cancelQueryNow(std::uint32_t id);

  void onConnected() override;
  void onDisconnected(Status status, const std::string& message) override;
  void onMessage(Message type, std::uint64_t requestId, const msgpack::object& body) override;
  void flush() override;
};

namespace {

/// The sink a decoupled provider raises events through (see the file comment).
class DecoupledSink final : public EventSink {
 public:
  explicit DecoupledSink(std::weak_ptr<Registration> owner) : owner_(std::move(owner)) {}

  Status indicate(std::span<const ClassObject> objects, bool subjectToSds) override {
    const std::shared_ptr<Registration> registration = owner_.lock();
    if (!registration) return WBEM_E_PROVIDER_NOT_REGISTERED;
    return registration->indicate(objects, subjectToSds);
  }

  Status setStatus(std::int32_t flags, Status result) override {
    spdlog::warn("decoupled provider called SetStatus({}, {}) on its event sink; event providers use only Indicate",
                 flags, statusName(result));
    return WBEM_S_NO_ERROR;
  }

  Status isActive() const override {
    const std::shared_ptr<Registration> registration = owner_.lock();
    if (!registration || registration->state.load() != Registration::kRegistered) return WBEM_S_FALSE;
    return registration->liveQueryCount.load() > 0 ? WBEM_S_NO_ERROR : WBEM_S_FALSE;
  }

  std::shared_ptr<EventSink> getRestrictedSink(const std::vector<std::string>& queries) override {
    if (queries.empty()) throw Error(WBEM_E_INVALID_PARAMETER, "GetRestrictedSink needs at least one query");
    throw Error(WBEM_E_NOT_SUPPORTED, "a decoupled provider's sink cannot be restricted (no schema here)");
  }

  void setSinkSecurity(const SecurityDescriptor& descriptor) override {
    const std::shared_ptr<Registration> registration = owner_.lock();
    if (!registration) throw Error(WBEM_E_PROVIDER_NOT_REGISTERED, "the provider is not registered");
    const Status status = registration->setSinkSecurity(descriptor);
    if (isError(status)) throw Error(status, "the sink's security descriptor cannot be queued");
  }

  Status setBatchingParameters(std::int32_t flags, std::uint32_t maxBufferSize,
                               std::uint32_t maxSendLatencyMs) override {
    if (flags != WBEM_FLAG_BATCH_IF_NEEDED && flags != WBEM_FLAG_MUST_BATCH && flags != WBEM_FLAG_MUST_NOT_BATCH)
      return WBEM_E_INVALID_PARAMETER;
    if (flags == WBEM_FLAG_MUST_BATCH && maxBufferSize == 0 && maxSendLatencyMs == WBEM_INFINITE)
      return WBEM_E_INVALID_PARAMETER;
    const std::shared_ptr<Registration> registration = owner_.lock();
    if (!registration) return WBEM_E_PROVIDER_NOT_REGISTERED;
    registration->maxBufferSize.store(maxBufferSize);
    registration->maxLatencyMs.store(maxSendLatencyMs);
    registration->batchMode.store(flags);
    registration->wake();  // what waited under the old rule may go now
    return WBEM_S_NO_ERROR;
  }

 private:
  std::weak_ptr<Registration> owner_;
};

/// IWbemProviderInitSink of one Initialize call: the first status reported becomes its Reply.
class InitSink final : public ProviderInitSink {
 public:
  InitSink(std::weak_ptr<Registration> owner, std::uint64_t callId, std::uint64_t generation)
      : owner_(std::move(owner)), callId_(callId), generation_(generation) {}

  void setStatus(Status status, std::int32_t) override {
    if (reported_.exchange(true)) return;
    if (auto registration = owner_.lock()) registration->sendReply(callId_, generation_, status, "initialize");
  }

 private:
  std::weak_ptr<Registration> owner_;
  std::uint64_t callId_;
  std::uint64_t generation_;
  std::atomic<bool> reported_{false};
};

}  // namespace

Status Registration::indicate(std::span<const ClassObject> objects, bool subjectToSds) {
  const int current = state.load(std::memory_order_acquire);
  if (current == kUnregistering || current == kUnregistered) return WBEM_E_PROVIDER_NOT_REGISTERED;
  for (const ClassObject& object : objects)
    if (!object.isInstance() || !isEventClass(object)) return WBEM_E_INVALID_PARAMETER;
  if (objects.empty()) return WBEM_S_NO_ERROR;
  const auto n = static_cast<std::int64_t>(objects.size());
  if (current == kDisconnected) {
    dropped.fetch_add(objects.size(), std::memory_order_relaxed);
    return WBEM_S_NO_ERROR;
  }
  if (queued.fetch_add(n, std::memory_order_relaxed) + n > kMaxQueuedEvents) {
    queued.fetch_sub(n, std::memory_order_relaxed);
    return WBEM_E_SERVER_TOO_BUSY;
  }
  const std::uint64_t created = fileTimeNow();
  const bool alone = batchMode.load() == WBEM_FLAG_MUST_NOT_BATCH;
  std::vector<QueuedEvent> items;
  items.reserve(objects.size());
  std::uint64_t bytes = 0;
  for (const ClassObject& object : objects) {
    QueuedEvent item{object, 0, subjectToSds, {}, alone};
    item.object->setOrigin({}, {});
    if (auto slot = item.object->slotOf("TIME_CREATED"); slot && item.object->get(*slot).isNull())
      item.object->putExact(*slot, Value(created));
    item.bytes = wire::approximateEncodedSize(*item.object);
    bytes += item.bytes;
    items.push_back(std::move(item));
  }
  if (!queue.enqueue_bulk(std::make_move_iterator(items.begin()), items.size())) {
    queued.fetch_sub(n, std::memory_order_relaxed);
    return WBEM_E_OUT_OF_MEMORY;
  }
  pendingBytes.fetch_add(bytes, std::memory_order_relaxed);
  std::int64_t none = 0;
  firstPendingNs.compare_exchange_strong(none, steadyNowNs(), std::memory_order_relaxed);
  wake();
  return WBEM_S_NO_ERROR;
}

Status Registration::setSinkSecurity(const SecurityDescriptor& descriptor) {
  const int current = state.load(std::memory_order_acquire);
  if (current == kUnregistering || current == kUnregistered) return WBEM_E_PROVIDER_NOT_REGISTERED;
  queued.fetch_add(1, std::memory_order_relaxed);
  if (!queue.enqueue(QueuedEvent{std::nullopt, 0, false, descriptor.toSddl()})) {
    queued.fetch_sub(1, std::memory_order_relaxed);
    return WBEM_E_OUT_OF_MEMORY;
  }
  wake();
  return WBEM_S_NO_ERROR;
}

void Registration::sendSinkSecurity(std::uint64_t h, const std::string& sddl) {
  session->send(
      Message::SetSinkSecurity, h,
      [&](wire::Packer& packer, wire::ObjectEncoder&) {
        packer.pack_array(2);
        packer.pack_uint64(h);
        protocol::packString(packer, sddl);
      },
      false);
}

void Registration::wake() {
  if (wakePending.exchange(true)) return;
  session->post([weak = weak_from_this()] {
    if (auto self = weak.lock()) self->flush();
  });
}

void Registration::packRegister(wire::Packer& packer) const {
  packer.pack_array(6);
  protocol::packString(packer, scope);
  protocol::packString(packer, name);
  protocol::packString(packer, user);
  protocol::packString(packer, locale);
  packer.pack_int32(0);
  packer.pack_uint32(capabilities);
}

Status Registration::registerNow() {
  const std::uint64_t id = session->newRequestId();
  // Bound before sending: ProvideEvents may follow the Reply before call() returns.
  session->bindHandle(id, shared_from_this());
  try {
    session->call(
        Message::RegisterProvider, [this](wire::Packer& packer, wire::ObjectEncoder&) { packRegister(packer); }, {},
        id);
  } catch (const Error& e) {
    session->unbindHandle(id);
    state.store(kUnregistered);
    spdlog::debug("decoupled provider {}: registration refused: {}", name, e.what());
    return e.status();
  }
  handle.store(id);
  int expected = kRegistering;
  state.compare_exchange_strong(expected, kRegistered);
  session->addListener(shared_from_this());
  wake();  // events raised before the handle was known
  return WBEM_S_NO_ERROR;
}

Status Registration::unregister() {
  int current = state.load();
  do {
    if (current == kUnregistering || current == kUnregistered) return WBEM_E_PROVIDER_NOT_REGISTERED;
  } while (!state.compare_exchange_weak(current, kUnregistering));
  session->removeListener(this);
  // What was indicated before this call still goes out, ahead of UnregisterProvider.
  auto flushed = std::make_shared<std::promise<void>>();
  std::future<void> done = flushed->get_future();
  session->post([weak = weak_from_this(), flushed] {
    if (auto self = weak.lock()) self->flush();
    flushed->set_value();
  });
  done.wait_for(session->options().timeout);
  if (const std::uint64_t h = handle.exchange(0); h != 0) {
    try {
      session->call(Message::UnregisterProvider, [h](wire::Packer& packer, wire::ObjectEncoder&) {
        packer.pack_array(1);
        packer.pack_uint64(h);
      });
    } catch (const Error& e) {
      // The daemon forgets a registration with its connection anyway.
      spdlog::debug("decoupled provider {}: UnregisterProvider: {}", name, e.what());
    }
    session->unbindHandle(h);
  }
  state.store(kUnregistered);
  session->post([weak = weak_from_this()] {
    if (auto self = weak.lock()) self->dropQueued();
  });
  session->drainDeliveries();  // no callback runs once unregister returns
  if (const std::uint64_t lost = dropped.load(); lost != 0)
    spdlog::info("decoupled provider {}: {} events dropped while the daemon was unreachable", name, lost);
  session->removeUser();
  return WBEM_S_NO_ERROR;
}

void Registration::sendReply(std::uint64_t callId, std::uint64_t generation, Status status,
                             const std::string& message) {
  try {
    session->send(
        Message::Reply, callId,
        [&](wire::Packer& packer, wire::ObjectEncoder&) {
          if (isError(status)) {
            protocol::packErrorReply(packer, Error(status, message.empty() ? statusText(status) : message));
          } else {
            protocol::packReplyHead(packer, status, message);
            packer.pack_nil();
          }
        },
        false, generation);
  } catch (const Error& e) {
    spdlog::debug("decoupled provider {}: cannot answer the daemon's call {}: {}", name, callId, e.what());
  }
}

// --- I/O thread ---------------------------------------------------------------------------------

void Registration::onConnected() {
  if (state.load() >= kUnregistering) return;
  state.store(kRegistering);
  const std::uint64_t id = session->newRequestId();
  session->bindHandle(id, shared_from_this());
  auto done = [weak = weak_from_this(), id](std::exception_ptr error) {
    auto self = weak.lock();
    if (!self) return;
    if (!error) {
      self->retry = kFirstRetry;
      self->handle.store(id);
      int expected = kRegistering;
      self->state.compare_exchange_strong(expected, kRegistered);
      spdlog::info("decoupled provider {}: registered again with the daemon", self->name);
      if (self->sinkSecurity) {
        try {
          self->sendSinkSecurity(id, *self->sinkSecurity);
        } catch (const Error& e) {
          spdlog::warn("decoupled provider {}: cannot restore the sink's security: {}", self->name, e.what());
        }
      }
      self->flush();
      return;
    }
    self->session->unbindHandle(id);
    if (self->session->generation() == 0) return;  // the connection broke: the next one registers
    // Refused (say, the daemon has not yet noticed the old connection is gone): try again later.
    spdlog::warn("decoupled provider {}: registering again failed: {}; retrying in {} ms", self->name, describe(error),
                 self->retry.count());
    const std::uint64_t generation = self->session->generation();
    self->session->postAfter(self->retry, [weak = std::weak_ptr<Registration>(self), generation] {
      auto again = weak.lock();
      if (again && again->session->generation() == generation && again->state.load() == kRegistering)
        again->onConnected();
    });
    self->retry = std::min(self->retry * 2, kMaxRetry);
  };
  try {
    session->callAsync(
        Message::RegisterProvider, id, [this](wire::Packer& packer, wire::ObjectEncoder&) { packRegister(packer); }, {},
        std::move(done));
  } catch (const Error& e) {
    session->unbindHandle(id);
    spdlog::warn("decoupled provider {}: cannot register again: {}", name, e.what());
  }
}

void Registration::onDisconnected(Status status, const std::string& message) {
  handle.store(0);
  int current = state.load();
  while (current < kUnregistering && !state.compare_exchange_weak(current, kDisconnected)) {
  }
  // The daemon's filters went with the connection: the provider cancels them, so that the
  // newQuery calls of the next registration do not find it holding stale ones.
  std::vector<std::uint32_t> cancelled(liveQueries.begin(), liveQueries.end());
  liveQueries.clear();
  liveQueryCount.store(0);
  dropQueued();
  spdlog::debug("decoupled provider {}: disconnected: {} ({})", name, message, statusName(status));
  if (querySink && !cancelled.empty())
    session->deliver([self = shared_from_this(), cancelled = std::move(cancelled)] {
      for (const std::uint32_t id : cancelled) self->cancelQueryNow(id);
    });
}

void Registration::cancelQueryNow(std::uint32_t id) {
  if (state.load() >= kUnregistering) return;
  const Status status = querySink->cancelQuery(id);
  if (isError(status)) spdlog::info("decoupled provider {}: cancelQuery {} returned {}", name, id, statusName(status));
}

void Registration::dropQueued() {
  std::uint64_t taken = 0;
  std::uint64_t lost = 0;
  std::uint64_t bytes = 0;
  // Events are lost; a security change is kept, for the next registration.
  auto drop = [&](QueuedEvent& item) {
    ++taken;
    if (!item.object) {
      sinkSecurity = std::move(item.sinkSecurity);
      return;
    }
    ++lost;
    bytes += item.bytes;
  };
  for (QueuedEvent& item : staged) drop(item);
  staged.clear();
  QueuedEvent item;
  while (queue.try_dequeue(item)) drop(item);
  if (taken == 0) return;
  queued.fetch_sub(static_cast<std::int64_t>(taken));
  pendingBytes.fetch_sub(bytes);
  firstPendingNs.store(0);
  if (state.load() != kUnregistered) dropped.fetch_add(lost);
}

void Registration::onMessage(Message type, std::uint64_t requestId, const msgpack::object& body) {
  auto self = shared_from_this();
  switch (type) {
    case Message::ProvideEvents: {
      protocol::BodyReader fields(body, "ProvideEvents", 1, 1);
      const std::int32_t flags = fields.int32("flags");
      if (!provider) return;
      session->deliver([self, flags] {
        if (self->state.load() >= kUnregistering) return;
        const Status status = self->provider->provideEvents(self->sink, flags);
        if (isError(status))
          spdlog::warn("decoupled provider {}: provideEvents failed: {}", self->name, statusName(status));
      });
      return;
    }
    case Message::NewQuery: {
      protocol::BodyReader fields(body, "NewQuery", 3, 3);
      const auto id = static_cast<std::uint32_t>(fields.unsignedInt("queryId", UINT32_MAX));
      std::string language(fields.string("language"));
      std::string query(fields.string("query"));
      liveQueries.insert(id);
      liveQueryCount.store(liveQueries.size());
      if (!querySink) return;
      session->deliver([self, id, language = std::move(language), query = std::move(query)] {
        if (self->state.load() >= kUnregistering) return;
        const Status status = self->querySink->newQuery(id, language, query);
        if (isError(status))
          spdlog::info("decoupled provider {}: newQuery {} returned {}", self->name, id, statusName(status));
      });
      return;
    }
    case Message::CancelQuery: {
      protocol::BodyReader fields(body, "CancelQuery", 1, 1);
      const auto id = static_cast<std::uint32_t>(fields.unsignedInt("queryId", UINT32_MAX));
      liveQueries.erase(id);
      liveQueryCount.store(liveQueries.size());
      if (!querySink) return;
      session->deliver([self, id] { self->cancelQueryNow(id); });
      return;
    }
    case Message::IndicateFailed: {
      protocol::BodyReader fields(body, "IndicateFailed", 2, 2);
      const auto status = static_cast<Status>(fields.unsignedInt("status", UINT32_MAX));
      spdlog::warn("decoupled provider {}: the daemon refused events: {} ({})", name, fields.string("message"),
                   statusName(status));
      return;
    }
    case Message::AccessCheck: {
      protocol::BodyReader fields(body, "AccessCheck", 3, 3);
      fields.unsignedInt("handle");
      std::string language(fields.string("language"));
      std::string query(fields.string("query"));
      const std::uint64_t generation = session->generation();
      session->deliver([self, requestId, generation, language = std::move(language), query = std::move(query)] {
        Status status = WBEM_S_NO_ERROR;  // without EventProviderSecurity every subscriber may receive
        std::string message;
        try {
          if (self->state.load() >= kUnregistering)
            status = WBEM_E_PROVIDER_NOT_REGISTERED;
          else if (self->security)
            status = self->security->accessCheck(language, query, nullptr);
        } catch (...) {
          status = statusOf(std::current_exception());
          message = describe(std::current_exception());
        }
        self->sendReply(requestId, generation, status, message);
      });
      return;
    }
    case Message::Initialize: {
      protocol::BodyReader fields(body, "Initialize", 4, 4);
      fields.unsignedInt("handle");
      ProviderInitContext context;
      context.user = fields.string("user");
      context.namespaceName = fields.string("ns");
      context.locale = fields.string("locale");
      const std::uint64_t generation = session->generation();
      session->deliver([self, requestId, generation, context = std::move(context)] {
        const std::shared_ptr<ProviderInitSink> initSink = std::make_shared<InitSink>(self, requestId, generation);
        if (self->state.load() >= kUnregistering) {
          initSink->setStatus(WBEM_E_PROVIDER_NOT_REGISTERED);
          return;
        }
        if (!self->init) {
          initSink->setStatus(WBEM_S_INITIALIZED);
          return;
        }
        try {
          const Status status = self->init->initialize(context, initSink);
          if (isError(status)) initSink->setStatus(status);  // ignored when it reported already
        } catch (...) {
          initSink->setStatus(statusOf(std::current_exception()));
        }
      });
      return;
    }
    default:
      return;
  }
}

bool Registration::readyToSend() {
  if (batchMode.load() != WBEM_FLAG_MUST_BATCH || state.load() == kUnregistering) return true;
  if (staged.empty() && queued.load() == 0) return false;
  const std::uint32_t buffer = maxBufferSize.load();
  if (buffer != 0 && pendingBytes.load() >= buffer) return true;
  const std::uint32_t latency = maxLatencyMs.load();
  if (latency == WBEM_INFINITE) return false;
  std::int64_t first = firstPendingNs.load();
  const std::int64_t now = steadyNowNs();
  if (first == 0) firstPendingNs.compare_exchange_strong(first, now);
  const std::int64_t waited = first == 0 ? 0 : now - first;
  const std::int64_t limit = static_cast<std::int64_t>(latency) * 1'000'000;
  if (waited >= limit) return true;
  if (!latencyTimerArmed) {
    latencyTimerArmed = true;
    const auto left = std::chrono::milliseconds((limit - waited + 999'999) / 1'000'000);
    session->postAfter(left, [weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        self->latencyTimerArmed = false;
        self->flush();
      }
    });
  }
  return false;
}

void Registration::flush() {
  wakePending.store(false);
  const int current = state.load();
  if (current == kDisconnected || current == kUnregistered) {
    dropQueued();
    return;
  }
  const std::uint64_t h = handle.load();
  if (h == 0 || !readyToSend()) return;
  for (;;) {
    if (session->backlog() >= kMaxSendBacklog) return;  // resumed when writes catch up
    if (staged.size() < kDequeueChunk) {
      QueuedEvent chunk[kDequeueChunk];
      const std::size_t taken = queue.try_dequeue_bulk(chunk, kDequeueChunk - staged.size());
      for (std::size_t i = 0; i < taken; ++i) staged.push_back(std::move(chunk[i]));
    }
    if (staged.empty()) break;
    std::size_t count = 0;
    std::uint64_t bytes = 0;
    if (!staged.front().object) {  // a security change: alone, between the events
      sinkSecurity = staged.front().sinkSecurity;
      count = 1;
    } else {
      // One frame holds events of one kind: all subject to their descriptors, or none.
      const bool subjectToSds = staged.front().subjectToSds;
      do {
        bytes += staged[count].bytes;
        ++count;
      } while (!staged.front().alone && count < staged.size() && bytes < kBatchBytes && staged[count].object &&
               !staged[count].alone && staged[count].subjectToSds == subjectToSds);
    }
    try {
      if (!staged.front().object)
        sendSinkSecurity(h, *sinkSecurity);
      else
        session->send(
            Message::Indicate, h,
            [&](wire::Packer& packer, wire::ObjectEncoder& encoder) {
              const bool subjectToSds = staged.front().subjectToSds;
              packer.pack_array(subjectToSds ? 3 : 2);
              packer.pack_uint64(h);
              packer.pack_array(static_cast<std::uint32_t>(count));
              for (std::size_t i = 0; i < count; ++i) encoder.encode(packer, *staged[i].object);
              if (subjectToSds) packer.pack(true);
            },
            false);
    } catch (const Error& e) {
      if (session->generation() == 0) {
        dropQueued();  // the connection is gone
        return;
      }
      spdlog::warn("decoupled provider {}: {} events could not be sent: {}", name, count, e.what());
      if (staged.front().object) dropped.fetch_add(count);
    }
    staged.erase(staged.begin(), staged.begin() + static_cast<std::ptrdiff_t>(count));
    queued.fetch_sub(static_cast<std::int64_t>(count));
    pendingBytes.fetch_sub(bytes);
  }
  if (queued.load() == 0) firstPendingNs.store(0);
}

}  // namespace detail

// --- the registrars -----------------------------------------------------------------------------

DecoupledRegistrar::DecoupledRegistrar(ConnectOptions options) : options_(std::move(options)) {}

DecoupledRegistrar::~DecoupledRegistrar() { unregister(); }

Status DecoupledRegistrar::registerProvider(std::int32_t flags, std::string_view user, std::string_view locale,
                                            std::string_view scope, std::string_view registration,
                                            std::shared_ptr<EventProvider> provider) {
  if (flags != 0 || registration.empty()) return WBEM_E_INVALID_PARAMETER;
  // WMI's own sample passes the namespace as the locale with an empty scope.
  const std::string_view ns = scope.empty() ? locale : scope;
  if (ns.empty()) return WBEM_E_INVALID_PARAMETER;
  std::lock_guard lock(mutex_);
  if (registration_ && registration_->state.load() < detail::Registration::kUnregistering)
    return WBEM_E_PROVIDER_ALREADY_REGISTERED;

  std::shared_ptr<detail::ClientSession> session;
  try {
    session = detail::ClientSession::open(options_);
  } catch (const Error& e) {
    spdlog::debug("decoupled provider {}: {}", registration, e.what());
    return e.status();
  }
  auto reg = std::make_shared<detail::Registration>();
  reg->session = session;
  reg->scope = protocol::canonicalNamespace(ns);
  reg->name = registration;
  reg->user = user;
  reg->locale = scope.empty() ? std::string_view() : locale;
  reg->provider = provider;
  reg->querySink = std::dynamic_pointer_cast<EventProviderQuerySink>(provider);
  reg->security = std::dynamic_pointer_cast<EventProviderSecurity>(provider);
  reg->init = std::dynamic_pointer_cast<ProviderInit>(provider);
  reg->capabilities = protocol::kQuerySink | (provider ? protocol::kProvidesEvents : 0u) |
                      (reg->security ? protocol::kAccessCheck : 0u) | (reg->init ? protocol::kInitialize : 0u);
  reg->sink = std::make_shared<detail::DecoupledSink>(reg);
  session->addUser();
  const Status status = reg->registerNow();
  if (isError(status)) {
    session->removeUser();
    return status;
  }
  registration_ = std::move(reg);
  return WBEM_S_NO_ERROR;
}

Status DecoupledRegistrar::unregister() {
  std::shared_ptr<detail::Registration> reg;
  {
    std::lock_guard lock(mutex_);
    reg = registration_;
  }
  // Not under mutex_: unregistering waits for the delivery thread, whose callbacks may call
  // getSink().
  if (!reg) return WBEM_E_PROVIDER_NOT_REGISTERED;
  return reg->unregister();
}

std::shared_ptr<EventSink> DecoupledBasicEventProvider::getSink(std::int32_t) const {
  std::shared_ptr<detail::Registration> reg;
  {
    std::lock_guard lock(mutex_);
    reg = registration_;
  }
  if (!reg || reg->state.load() >= detail::Registration::kUnregistering)
    throw Error(WBEM_E_PROVIDER_NOT_REGISTERED, "the provider is not registered");
  return reg->sink;
}

std::shared_ptr<Connection> DecoupledBasicEventProvider::getService(std::int32_t) const {
  std::shared_ptr<detail::Registration> reg;
  {
    std::lock_guard lock(mutex_);
    reg = registration_;
  }
  if (!reg || reg->state.load() >= detail::Registration::kUnregistering)
    throw Error(WBEM_E_PROVIDER_NOT_REGISTERED, "the provider is not registered");
  return std::make_shared<Connection>(reg->session, reg->scope);
}

}  // namespace wbem
