// Services: the temporary-consumer calls over EventService::subscribe/subscribePull/cancel.

#include <wbem/services.hpp>

#include <atomic>
#include <boost/signals2/signal.hpp>
#include <exception>
#include <new>
#include <span>
#include <utility>
#include <vector>

#include "services_core.hpp"

namespace wbem {
namespace detail {

namespace {
thread_local unsigned consumerCallDepth = 0;
}  // namespace

bool inConsumerCall() noexcept { return consumerCallDepth != 0; }
ConsumerCallScope::ConsumerCallScope() noexcept { ++consumerCallDepth; }
ConsumerCallScope::~ConsumerCallScope() { --consumerCallDepth; }

// The sink the event service holds for one execNotificationQueryAsync call: forwards to the
// consumer's sink, and forgets the call when it ends so that the sink may be used again.
class AsyncCallSink final : public ObjectSink {
 public:
  AsyncCallSink(std::shared_ptr<ObjectSink> consumer, std::weak_ptr<ServicesCore> core)
      : consumer_(std::move(consumer)), core_(std::move(core)) {}

  /// Stops forwarding at once: cancelAsyncCall from inside a consumer call only queues the
  /// cancellation, and no indicate may reach the consumer after it returns.
  void stopForwarding() noexcept { cancelled_.store(true, std::memory_order_release); }

  Status indicate(std::span<const ObjectPtr> objects) override {
    if (cancelled_.load(std::memory_order_acquire)) return WBEM_S_NO_ERROR;
    ConsumerCallScope scope;
    return consumer_->indicate(objects);
  }

  void setStatus(std::int32_t flags, Status result, std::string_view param, const ClassObject* object) override {
    if (flags == WBEM_STATUS_COMPLETE) forget();
    ConsumerCallScope scope;
    consumer_->setStatus(flags, result, param, object);
  }

 private:
  // Removes this call from the Services' table unless a later call of the same sink replaced it.
  void forget() {
    auto core = core_.lock();
    if (!core) return;
    std::lock_guard lock(core->mutex);
    auto it = core->asyncCalls.find(consumer_.get());
    if (it != core->asyncCalls.end() && it->second.call.get() == this) core->asyncCalls.erase(it);
  }

  std::shared_ptr<ObjectSink> consumer_;
  std::weak_ptr<ServicesCore> core_;
  std::atomic<bool> cancelled_{false};
};

// One Signals2 subscription: the sink the event service holds, and the signal its one slot is
// connected to. `ended` is set once by whoever ends it first (the slot's guard on disconnect, the
// service's final setStatus, or ~Services), so that the others do not cancel it again.
class SignalSubscription final : public ObjectSink {
 public:
  explicit SignalSubscription(std::weak_ptr<ServicesCore> core) : core_(std::move(core)) {}

  Status indicate(std::span<const ObjectPtr> objects) override {
    ConsumerCallScope scope;
    try {
      for (const ObjectPtr& object : objects) {
        if (ended.load(std::memory_order_acquire)) break;
        signal(*object);
      }
    } catch (const Error& e) {
      return e.status();
    } catch (const std::bad_alloc&) {
      return WBEM_E_OUT_OF_MEMORY;
    } catch (const std::exception&) {
      return WBEM_E_FAILED;
    }
    return WBEM_S_NO_ERROR;
  }

  // The subscription is over (cancelled, or ended by the service): the connection then reads
  // disconnected, which is how the slot's owner learns of it.
  void setStatus(std::int32_t flags, Status, std::string_view, const ClassObject*) override {
    if (flags != WBEM_STATUS_COMPLETE) return;
    ended.store(true, std::memory_order_release);
    std::shared_ptr<SignalSubscription> self;  // the table's reference, released after the last use of this
    if (auto core = core_.lock()) {
      std::lock_guard lock(core->mutex);
      if (auto it = core->signals.find(id.load()); it != core->signals.end() && it->second.get() == this) {
        self = std::move(it->second);
        core->signals.erase(it);
      }
    }
    signal.disconnect_all_slots();
  }

  boost::signals2::signal<void(const ClassObject&)> signal;
  std::atomic<bool> ended{false};
  std::atomic<SubscriptionId> id{0};

 private:
  std::weak_ptr<ServicesCore> core_;
};

namespace {

// Lives inside the connected slot. Boost.Signals2 (checked on 1.74) destroys a slot's functor when
// its connection is disconnected: in disconnect() itself, after releasing its locks, or, when the
// slot is running at that moment, on the delivering thread as that call returns. So the guard's
// destructor is the one place that sees every way of disconnecting (disconnect(),
// scoped_connection, disconnect_all_slots, the signal's end) without polling. On a delivering
// thread EventService::cancel would wait for the very delivery it runs in, so cancelSoon() hands
// the id to the Services' canceller thread there.
class SlotGuard {
 public:
  SlotGuard(std::weak_ptr<ServicesCore> core, std::weak_ptr<SignalSubscription> subscription)
      : core_(std::move(core)), subscription_(std::move(subscription)) {}
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;

  ~SlotGuard() {
    auto subscription = subscription_.lock();
    if (!subscription || subscription->ended.exchange(true)) return;
    auto core = core_.lock();
    if (!core) return;
    SubscriptionId id = subscription->id.load();
    {
      std::lock_guard lock(core->mutex);
      core->signals.erase(id);
    }
    core->cancelSoon(id);
  }

 private:
  std::weak_ptr<ServicesCore> core_;
  std::weak_ptr<SignalSubscription> subscription_;
};

// The functor connected to the signal: the user's slot, plus the guard it shares among copies.
struct SlotCall {
  std::function<void(const ClassObject&)> slot;
  std::shared_ptr<SlotGuard> guard;

  void operator()(const ClassObject& event) const { slot(event); }
};

}  // namespace

bool ServicesCore::enter() {
  std::lock_guard lock(mutex);
  if (closed) return false;
  ++active;
  return true;
}

void ServicesCore::leave() {
  std::lock_guard lock(mutex);
  if (--active == 0) changed.notify_all();
}

void ServicesCore::cancelSoon(SubscriptionId id) {
  {
    std::lock_guard lock(mutex);
    if (closed) return;
    if (inConsumerCall()) {
      toCancel.push_back(id);
      if (!canceller.joinable()) canceller = std::thread([this] { runCanceller(); });
      changed.notify_all();
      return;
    }
    ++active;
  }
  service.cancel(id);
  leave();
}

void ServicesCore::runCanceller() {
  std::unique_lock lock(mutex);
  for (;;) {
    changed.wait(lock, [this] { return closed || !toCancel.empty(); });
    if (closed) return;  // close() cancels what is left
    SubscriptionId id = toCancel.front();
    toCancel.pop_front();
    lock.unlock();
    service.cancel(id);
    lock.lock();
  }
}

void ServicesCore::close() {
  std::vector<SubscriptionId> ids;
  std::vector<std::shared_ptr<SignalSubscription>> subscriptions;
  {
    std::lock_guard lock(mutex);
    closed = true;
    for (auto& [sink, call] : asyncCalls)
      if (call.id != 0) ids.push_back(call.id);
    ids.insert(ids.end(), pulls.begin(), pulls.end());
    for (auto& [id, subscription] : signals) {
      ids.push_back(id);
      subscriptions.push_back(subscription);
    }
    ids.insert(ids.end(), toCancel.begin(), toCancel.end());
    asyncCalls.clear();
    pulls.clear();
    signals.clear();
    toCancel.clear();
  }
  changed.notify_all();
  if (canceller.joinable()) canceller.join();
  // Their final setStatus disconnects the slots; the guards must not cancel a second time.
  for (auto& subscription : subscriptions) subscription->ended.store(true);
  for (SubscriptionId id : ids) service.cancel(id);
  std::unique_lock lock(mutex);
  changed.wait(lock, [this] { return active == 0; });
}

}  // namespace detail

namespace {

Status statusOfCurrentException() noexcept {
  try {
    throw;
  } catch (const Error& e) {
    return e.status();
  } catch (const std::bad_alloc&) {
    return WBEM_E_OUT_OF_MEMORY;
  } catch (...) {
    return WBEM_E_FAILED;
  }
}

}  // namespace

Services::Services(EventService& service, std::string_view namespaceName, std::optional<Principal> caller) {
  service.getNamespace(namespaceName);  // WBEM_E_INVALID_NAMESPACE, as ConnectServer
  core_ = std::make_shared<detail::ServicesCore>(service, std::string(namespaceName), std::move(caller));
}

Services::~Services() { core_->close(); }

EventService& Services::service() const noexcept { return core_->service; }
const std::string& Services::namespaceName() const noexcept { return core_->namespaceName; }

Status Services::execNotificationQueryAsync(std::string_view language, std::string_view query, std::int32_t flags,
                                            std::shared_ptr<ObjectSink> sink) {
  if ((flags & ~static_cast<std::int32_t>(WBEM_FLAG_SEND_STATUS)) != 0 || !sink) return WBEM_E_INVALID_PARAMETER;
  const ObjectSink* key = sink.get();
  std::shared_ptr<detail::AsyncCallSink> call;
  try {
    call = std::make_shared<detail::AsyncCallSink>(std::move(sink), core_);
    std::lock_guard lock(core_->mutex);
    if (!core_->asyncCalls.try_emplace(key, detail::ServicesCore::AsyncCall{call, 0}).second)
      return WBEM_E_INVALID_PARAMETER;
  } catch (...) {
    return statusOfCurrentException();
  }
  SubscriptionId id = 0;
  try {
    id = core_->service.subscribe(core_->namespaceName, language, query, call, core_->options());
  } catch (...) {
    std::lock_guard lock(core_->mutex);
    core_->asyncCalls.erase(key);
    return statusOfCurrentException();
  }
  std::lock_guard lock(core_->mutex);
  // Absent when the call already ended (its final setStatus removed it).
  if (auto it = core_->asyncCalls.find(key); it != core_->asyncCalls.end() && it->second.call == call)
    it->second.id = id;
  return WBEM_S_NO_ERROR;
}

Status Services::cancelAsyncCall(const std::shared_ptr<ObjectSink>& sink) {
  if (!sink) return WBEM_E_INVALID_PARAMETER;
  std::shared_ptr<detail::AsyncCallSink> call;
  SubscriptionId id = 0;
  {
    std::lock_guard lock(core_->mutex);
    auto it = core_->asyncCalls.find(sink.get());
    if (it == core_->asyncCalls.end() || it->second.id == 0) return WBEM_E_NOT_FOUND;
    call = std::move(it->second.call);
    id = it->second.id;
    core_->asyncCalls.erase(it);
  }
  call->stopForwarding();
  if (detail::inConsumerCall()) {
    core_->cancelSoon(id);  // deferred: cancel() would wait for the consumer call we are in
    return WBEM_S_NO_ERROR;
  }
  return core_->service.cancel(id) ? WBEM_S_NO_ERROR : WBEM_E_NOT_FOUND;
}

std::unique_ptr<EventEnumerator> Services::execNotificationQuery(std::string_view language, std::string_view query,
                                                                 std::int32_t flags) {
  if (flags != (WBEM_FLAG_RETURN_IMMEDIATELY | WBEM_FLAG_FORWARD_ONLY))
    throw Error(
        WBEM_E_INVALID_PARAMETER,
        "ExecNotificationQuery needs lFlags WBEM_FLAG_RETURN_IMMEDIATELY | WBEM_FLAG_FORWARD_ONLY (0x30), got " +
            statusHex(static_cast<std::uint32_t>(flags)));
  SubscriptionId id = core_->service.subscribePull(core_->namespaceName, language, query, core_->options());
  try {
    {
      std::lock_guard lock(core_->mutex);
      core_->pulls.insert(id);
    }
    return std::unique_ptr<EventEnumerator>(new EventEnumerator(core_, id));
  } catch (...) {
    {
      std::lock_guard lock(core_->mutex);
      core_->pulls.erase(id);
    }
    core_->service.cancel(id);
    throw;
  }
}

boost::signals2::connection Services::subscribe(std::string_view query, std::function<void(const ClassObject&)> slot) {
  if (!slot) throw Error(WBEM_E_INVALID_PARAMETER, "Services::subscribe needs a slot");
  auto subscription = std::make_shared<detail::SignalSubscription>(core_);
  // Connected before subscribing, so that no event raised as soon as the filter is live is missed.
  boost::signals2::connection connection = subscription->signal.connect(
      detail::SlotCall{std::move(slot), std::make_shared<detail::SlotGuard>(core_, subscription)});
  SubscriptionId id = 0;
  try {
    id = core_->service.subscribe(core_->namespaceName, "WQL", query, subscription, core_->options());
  } catch (...) {
    subscription->ended.store(true);  // so that the guard does not cancel what never was
    subscription->signal.disconnect_all_slots();
    throw;
  }
  subscription->id.store(id);
  try {
    std::lock_guard lock(core_->mutex);
    if (!subscription->ended.load()) core_->signals.emplace(id, subscription);
  } catch (...) {
    subscription->ended.store(true);
    core_->service.cancel(id);
    throw;
  }
  return connection;
}

}  // namespace wbem
