// detail::ClientSession: the socket (Boost.Asio on the I/O thread), the Hello, request/Reply
// matching, temporary subscriptions, routing to registrations, reconnects, and the delivery
// thread that runs user callbacks.

#include "client_session.hpp"

#include <algorithm>
#include <boost/asio.hpp>
#include <future>
#include <optional>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <utility>

#include "msgpack_input.hpp"

namespace wbem::detail {
namespace {

namespace asio = boost::asio;
using Local = asio::local::stream_protocol;

constexpr std::size_t kReadChunk = 64u << 10;
// Events decoded but not yet handed to their sinks: past it the delivery thread is far behind and
// further batches are dropped (the daemon drops for a client that does not read; this is the same
// rule one step later, keeping replies flowing to callbacks that make calls).
constexpr std::size_t kMaxQueuedEvents = 65536;
constexpr std::chrono::milliseconds kFirstBackoff{50};
constexpr std::chrono::milliseconds kMaxBackoff{5000};

Error errorOfCurrentException() {
  try {
    throw;
  } catch (const Error& e) {
    return e;
  } catch (const std::exception& e) {
    return Error(WBEM_E_FAILED, e.what());
  } catch (...) {
    return Error(WBEM_E_FAILED, "unknown exception");
  }
}

// A failure as plain data: what crosses from the I/O thread to a waiting caller, who throws a
// fresh Error. (An exception_ptr handed across would be released on either thread through
// libstdc++'s uninstrumented reference count, which ThreadSanitizer reports as a race.)
struct Failure {
  Status status = WBEM_E_FAILED;
  std::string message;
  std::optional<TextPosition> position;
};

std::optional<Failure> failureOf(std::exception_ptr error) {
  if (!error) return std::nullopt;
  const Error e = [&] {
    try {
      std::rethrow_exception(error);
    } catch (...) {
      return errorOfCurrentException();
    }
  }();
  return Failure{e.status(), e.message(), e.position()};
}

[[noreturn]] void throwFailure(const Failure& failure) {
  if (failure.position) throw Error(failure.status, failure.message, *failure.position);
  throw Error(failure.status, failure.message);
}

}  // namespace

struct ClientSession::Impl {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  Local::socket socket{io};
  asio::steady_timer reconnectTimer{io};
};

struct ClientSession::PendingCall {
  ResultFn onResult;
  DoneFn done;
};

struct ClientSession::Subscription {
  std::uint64_t id = 0;
  std::shared_ptr<ObjectSink> sink;
  const void* owner = nullptr;
  bool direct = false;
  std::atomic<bool> started{false};  // the daemon accepted it (set on the I/O thread)
  std::atomic<bool> over{false};     // no indicate any more
  std::mutex mutex;                  // held while its sink runs, so that cancel can wait for it
};

ClientSession::ClientSession(ConnectOptions options) : options_(std::move(options)), impl_(std::make_unique<Impl>()) {
  if (options_.socketPath.empty()) options_.socketPath = protocol::defaultSocketPath();
}

ClientSession::~ClientSession() {
  // Normally shutdown() ran and the threads are joined or detached (a thread holds the session
  // until it ends, so this runs after both threads are done).
  if (ioThread_.joinable()) ioThread_.detach();
  if (deliveryThread_.joinable()) deliveryThread_.detach();
}

std::shared_ptr<ClientSession> ClientSession::open(const ConnectOptions& options) {
  std::shared_ptr<ClientSession> session(new ClientSession(options));
  auto promise = std::make_shared<std::promise<std::optional<Failure>>>();
  std::future<std::optional<Failure>> outcome = promise->get_future();
  session->onFirstConnect_ = [promise](std::exception_ptr error) { promise->set_value(failureOf(error)); };
  session->start();
  session->post([s = session.get()] { s->connectAttempt(); });
  try {
    if (outcome.wait_for(options.timeout) == std::future_status::timeout)
      throw Error(WBEM_E_TIMED_OUT, "no Hello from the daemon at " + session->options_.socketPath.string() +
                                        " within " + std::to_string(options.timeout.count()) + " ms");
    if (const std::optional<Failure> failure = outcome.get()) throwFailure(*failure);
  } catch (...) {
    session->shutdown();
    throw;
  }
  return session;
}

void ClientSession::start() {
  auto self = shared_from_this();
  // Each thread holds the session until it ends, so that the last user may go on either thread.
  ioThread_ = std::thread([self] {
    try {
      self->impl_->io.run();
    } catch (...) {
      spdlog::error("wbem client I/O thread: {}", errorOfCurrentException().what());
    }
  });
  deliveryThread_ = std::thread([self] { self->deliveryLoop(); });
}

void ClientSession::addUser() { users_.fetch_add(1); }

void ClientSession::removeUser() {
  if (users_.fetch_sub(1) == 1) shutdown();
}

void ClientSession::shutdown() {
  if (stopping_.exchange(true)) return;
  asio::post(impl_->io, [this] {
    disconnect(WBEM_E_TRANSPORT_FAILURE, "the client closed the connection");
    impl_->work.reset();
    impl_->io.stop();
    {
      std::lock_guard lock(deliveryMutex_);
      deliveryStop_ = true;
    }
    deliveryReady_.notify_all();
  });
  const std::thread::id self = std::this_thread::get_id();
  if (self == ioThread_.get_id() || self == deliveryThread_.get_id()) {
    // A thread cannot join itself: both finish on their own, holding the session until then.
    ioThread_.detach();
    deliveryThread_.detach();
  } else {
    if (ioThread_.joinable()) ioThread_.join();
    if (deliveryThread_.joinable()) deliveryThread_.join();
  }
}

// --- delivery thread ----------------------------------------------------------------------------

bool ClientSession::deliver(std::function<void()> task) {
  {
    std::lock_guard lock(deliveryMutex_);
    if (deliveryDone_) return false;
    deliveries_.push_back(std::move(task));
  }
  deliveryReady_.notify_one();
  return true;
}

void ClientSession::deliveryLoop() {
  deliveryThreadId_.store(std::this_thread::get_id());
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(deliveryMutex_);
      deliveryReady_.wait(lock, [this] { return !deliveries_.empty() || deliveryStop_; });
      if (deliveries_.empty()) {
        deliveryDone_ = true;
        return;
      }
      task = std::move(deliveries_.front());
      deliveries_.pop_front();
    }
    try {
      task();
    } catch (...) {
      spdlog::warn("wbem client callback failed: {}", errorOfCurrentException().what());
    }
  }
}

void ClientSession::drainDeliveries() {
  if (onDeliveryThread()) return;
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> drained = done->get_future();
  if (!deliver([done] { done->set_value(); })) return;
  drained.wait();
}

void ClientSession::post(std::function<void()> task) { asio::post(impl_->io, std::move(task)); }

void ClientSession::postAfter(std::chrono::milliseconds delay, std::function<void()> task) {
  // The handler owns the timer; an io_context destroyed first destroys both unrun.
  auto timer = std::make_shared<asio::steady_timer>(impl_->io, delay);
  timer->async_wait([timer, task = std::move(task)](const boost::system::error_code& ec) {
    if (!ec) task();
  });
}

void ClientSession::deliverEvents(const std::shared_ptr<Subscription>& sub, const std::vector<ObjectPtr>& events) {
  std::lock_guard lock(sub->mutex);
  if (sub->over.load()) return;
  delivering_.store(sub.get());
  try {
    const Status status = sub->sink->indicate(events);
    if (isError(status)) spdlog::debug("wbem client: a sink refused {} events: {}", events.size(), statusName(status));
  } catch (...) {
    spdlog::debug("wbem client: a sink threw: {}", errorOfCurrentException().what());
  }
  delivering_.store(nullptr);
}

void ClientSession::endSubscription(const std::shared_ptr<Subscription>& sub, Status status,
                                    const std::string& message) {
  auto finish = [sub, status, message] {
    std::lock_guard lock(sub->mutex);
    sub->over.store(true);
    sub->sink->setStatus(WBEM_STATUS_COMPLETE, status, message, nullptr);
  };
  if (sub->direct)
    finish();
  else
    deliver(std::move(finish));
}

// --- sending ------------------------------------------------------------------------------------

std::uint64_t ClientSession::currentGeneration() const {
  std::lock_guard lock(sendMutex_);
  return generation_;
}

std::uint64_t ClientSession::generation() const {
  std::lock_guard lock(sendMutex_);
  return sendOpen_ ? generation_ : 0;
}

std::size_t ClientSession::backlog() const {
  std::lock_guard lock(sendMutex_);
  return outgoing_.size() + inFlight_;
}

void ClientSession::send(protocol::Message type, std::uint64_t requestId, const BodyFn& body, bool bounded,
                         std::uint64_t generation) {
  std::uint64_t current = 0;
  {
    std::lock_guard lock(sendMutex_);
    if (!sendOpen_ || (generation != 0 && generation != generation_))
      throw Error(WBEM_E_TRANSPORT_FAILURE, "not connected to the daemon at " + options_.socketPath.string());
    if (bounded && outgoing_.size() + inFlight_ >= kMaxSendBacklog)
      throw Error(WBEM_E_SERVER_TOO_BUSY,
                  "more than " + std::to_string(kMaxSendBacklog >> 20) + " MiB are waiting to be sent to the daemon");
    const std::size_t classes = encoder_.classCount();
    try {
      wire::FrameWriter frame(outgoing_, static_cast<std::uint8_t>(type), requestId);
      body(frame.body(), encoder_);
      frame.finish(peerMaxFrame_);
    } catch (...) {
      // Class records counted as sent went nowhere: the daemon's decoder can no longer follow
      // this connection, which must close (the next one starts with fresh codecs).
      if (encoder_.classCount() != classes) {
        sendOpen_ = false;
        const std::uint64_t broken = generation_;
        asio::post(impl_->io, [this, broken] {
          if (currentGeneration() == broken)
            disconnect(WBEM_E_TRANSPORT_FAILURE, "a frame with new class definitions could not be sent");
        });
      }
      throw;
    }
    if (writing_) return;
    // On the I/O thread (a registration's flush, which encodes until its queue is empty) the
    // frame goes out now, as far as the socket takes it: posting the write would hold every
    // frame back until the flush returns, for a whole burst.
    if (impl_->io.get_executor().running_in_this_thread()) {
      const ssize_t sent =
          ::send(impl_->socket.native_handle(), outgoing_.data(), outgoing_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      // On an error the write pump below meets it again and disconnects.
      if (sent > 0) outgoing_.erase(outgoing_.begin(), outgoing_.begin() + sent);
      if (outgoing_.empty()) return;
    }
    writing_ = true;
    current = generation_;
  }
  asio::post(impl_->io, [this, current] { startWrite(current); });
}

void ClientSession::startWrite(std::uint64_t generation) {
  std::shared_ptr<wire::Bytes> buffer;
  {
    std::lock_guard lock(sendMutex_);
    if (generation != generation_) return;
    if (outgoing_.empty()) {
      writing_ = false;
      return;
    }
    buffer = std::make_shared<wire::Bytes>(std::move(outgoing_));
    outgoing_ = wire::Bytes();
    inFlight_ = buffer->size();
  }
  asio::async_write(impl_->socket, asio::buffer(*buffer),
                    [this, generation, buffer](const boost::system::error_code& ec, std::size_t) {
                      {
                        std::lock_guard lock(sendMutex_);
                        if (generation != generation_) return;
                        inFlight_ = 0;
                      }
                      if (ec) {
                        disconnect(WBEM_E_TRANSPORT_FAILURE, "writing to the daemon failed: " + ec.message());
                        return;
                      }
                      startWrite(generation);
                      notifyWritable();
                    });
}

void ClientSession::notifyWritable() {
  if (backlog() >= kMaxSendBacklog) return;
  std::vector<std::shared_ptr<SessionListener>> listeners;
  {
    std::lock_guard lock(stateMutex_);
    listeners = listeners_;
  }
  for (const auto& listener : listeners) listener->flush();
}

// --- calls --------------------------------------------------------------------------------------

void ClientSession::callAsync(protocol::Message type, std::uint64_t requestId, const BodyFn& body, ResultFn onResult,
                              DoneFn done) {
  auto pending = std::make_shared<PendingCall>(PendingCall{std::move(onResult), std::move(done)});
  {
    std::lock_guard lock(stateMutex_);
    calls_[requestId] = pending;
  }
  try {
    send(type, requestId, body);
  } catch (...) {
    std::lock_guard lock(stateMutex_);
    // Absent when the connection broke meanwhile: `done` has the error already.
    if (calls_.erase(requestId) == 0) return;
    throw;
  }
}

void ClientSession::call(protocol::Message type, const BodyFn& body, const ResultFn& onResult,
                         std::uint64_t requestId) {
  if (requestId == 0) requestId = newRequestId();
  auto promise = std::make_shared<std::promise<std::optional<Failure>>>();
  std::future<std::optional<Failure>> reply = promise->get_future();
  // `onResult` stays with the pending call after a timeout: a late Reply must still be decoded
  // (its class records), so results go to heap objects the callers share with it.
  callAsync(type, requestId, body, onResult,
            [promise](std::exception_ptr error) { promise->set_value(failureOf(error)); });
  if (reply.wait_for(options_.timeout) == std::future_status::timeout)
    throw Error(WBEM_E_TIMED_OUT, std::string(protocol::messageName(static_cast<std::uint8_t>(type))) +
                                      ": no reply from the daemon within " + std::to_string(options_.timeout.count()) +
                                      " ms");
  if (const std::optional<Failure> failure = reply.get()) throwFailure(*failure);
}

// --- subscriptions ------------------------------------------------------------------------------

void ClientSession::subscribe(std::uint64_t requestId, const BodyFn& body, std::shared_ptr<ObjectSink> sink,
                              const void* owner, bool direct) {
  auto sub = std::make_shared<Subscription>();
  sub->id = requestId;
  sub->sink = std::move(sink);
  sub->owner = owner;
  sub->direct = direct;
  {
    std::lock_guard lock(stateMutex_);
    for (const auto& [id, other] : subscriptions_)
      if (other->owner == owner && other->sink == sub->sink)  // as in-process
        throw Error(WBEM_E_INVALID_PARAMETER, "this sink already receives a subscription of this connection");
    subscriptions_[requestId] = sub;
  }
  try {
    call(
        protocol::Message::ExecNotificationQuery, body,
        [sub](const msgpack::object&, wire::ObjectDecoder&) { sub->started.store(true); }, requestId);
  } catch (const Error& e) {
    {
      std::lock_guard lock(stateMutex_);
      subscriptions_.erase(requestId);
    }
    if (e.status() == WBEM_E_TIMED_OUT) sendCancel(requestId, false);  // in case it starts later
    throw;
  }
}

std::uint64_t ClientSession::findSubscription(const void* owner, const ObjectSink* sink) const {
  std::lock_guard lock(stateMutex_);
  for (const auto& [id, sub] : subscriptions_)
    if (sub->owner == owner && sub->sink.get() == sink) return id;
  return 0;
}

Status ClientSession::cancelSubscription(std::uint64_t requestId, bool wait) {
  std::shared_ptr<Subscription> sub;
  {
    std::lock_guard lock(stateMutex_);
    auto it = subscriptions_.find(requestId);
    if (it == subscriptions_.end()) return WBEM_E_NOT_FOUND;
    sub = std::move(it->second);
    subscriptions_.erase(it);
  }
  // Waiting for a running indicate to finish, unless it is that indicate calling (which the
  // contract forbids, but a deadlock would be the worst answer).
  if (onDeliveryThread() && delivering_.load() == sub.get()) {
    sub->over.store(true);
  } else {
    std::lock_guard lock(sub->mutex);
    sub->over.store(true);
  }
  if (sub->started.load()) endSubscription(sub, WBEM_E_CALL_CANCELLED, "the subscription was cancelled");
  sendCancel(requestId, wait);
  return WBEM_S_NO_ERROR;
}

void ClientSession::cancelOwned(const void* owner) {
  std::vector<std::uint64_t> ids;
  {
    std::lock_guard lock(stateMutex_);
    for (const auto& [id, sub] : subscriptions_)
      if (sub->owner == owner) ids.push_back(id);
  }
  for (std::uint64_t id : ids) cancelSubscription(id, false);
}

void ClientSession::sendCancel(std::uint64_t requestId, bool wait) {
  auto body = [requestId](wire::Packer& packer, wire::ObjectEncoder&) {
    packer.pack_array(1);
    packer.pack_uint64(requestId);
  };
  // The subscription is over here whatever the daemon answers; its answer is only logged.
  try {
    if (wait) {
      call(protocol::Message::CancelAsyncCall, body);
    } else {
      callAsync(protocol::Message::CancelAsyncCall, newRequestId(), body, {}, [requestId](std::exception_ptr error) {
        if (!error) return;
        try {
          std::rethrow_exception(error);
        } catch (const Error& e) {
          spdlog::debug("wbem client: CancelAsyncCall {}: {}", requestId, e.what());
        }
      });
    }
  } catch (const Error& e) {
    spdlog::debug("wbem client: CancelAsyncCall {}: {}", requestId, e.what());
  }
}

// --- registrations ------------------------------------------------------------------------------

void ClientSession::bindHandle(std::uint64_t handle, const std::shared_ptr<SessionListener>& listener) {
  std::lock_guard lock(stateMutex_);
  handles_[handle] = listener;
}

void ClientSession::unbindHandle(std::uint64_t handle) {
  std::lock_guard lock(stateMutex_);
  handles_.erase(handle);
}

void ClientSession::addListener(const std::shared_ptr<SessionListener>& listener) {
  {
    std::lock_guard lock(stateMutex_);
    listeners_.push_back(listener);
  }
  // The connection may have broken between the registration's Reply and now.
  asio::post(impl_->io, [this] {
    if (currentGeneration() == 0 && !stopping_.load()) scheduleReconnect();
  });
}

void ClientSession::removeListener(const SessionListener* listener) {
  std::shared_ptr<SessionListener> removed;  // released outside the lock
  std::lock_guard lock(stateMutex_);
  auto it = std::find_if(listeners_.begin(), listeners_.end(), [&](const auto& l) { return l.get() == listener; });
  if (it == listeners_.end()) return;
  removed = std::move(*it);
  listeners_.erase(it);
}

// --- the connection (I/O thread) ----------------------------------------------------------------

void ClientSession::connectAttempt() {
  reconnectScheduled_ = false;
  if (stopping_.load()) return;
  boost::system::error_code ignored;
  impl_->socket.close(ignored);
  frames_ = std::make_unique<wire::FrameDecoder>();
  objects_ = std::make_unique<wire::ObjectDecoder>();
  helloReceived_ = false;
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(sendMutex_);
    generation = generation_ = ++attempts_;
    encoder_ = wire::ObjectEncoder();
    outgoing_ = wire::encodeHello({.software = options_.software});
    inFlight_ = 0;
    writing_ = true;  // the pump starts once connected
    sendOpen_ = false;
    peerMaxFrame_ = wire::kDefaultMaxFrameSize;
  }
  Local::endpoint endpoint;
  try {
    endpoint = Local::endpoint(options_.socketPath.string());
  } catch (const std::exception& e) {
    disconnect(WBEM_E_TRANSPORT_FAILURE, "bad socket path " + options_.socketPath.string() + ": " + e.what());
    return;
  }
  impl_->socket.async_connect(endpoint, [this, generation](const boost::system::error_code& ec) {
    if (currentGeneration() != generation) return;
    if (ec) {
      disconnect(WBEM_E_TRANSPORT_FAILURE,
                 "cannot connect to the daemon at " + options_.socketPath.string() + ": " + ec.message());
      return;
    }
    startWrite(generation);
    startRead(generation);
  });
}

void ClientSession::startRead(std::uint64_t generation) {
  const std::span<std::uint8_t> room = frames_->prepare(kReadChunk);
  impl_->socket.async_read_some(asio::buffer(room.data(), room.size()), [this, generation](
                                                                            const boost::system::error_code& ec,
                                                                            std::size_t received) {
    if (currentGeneration() != generation) return;
    if (ec) {
      disconnect(WBEM_E_TRANSPORT_FAILURE, ec == asio::error::eof ? "the daemon closed the connection"
                                                                  : "reading from the daemon failed: " + ec.message());
      return;
    }
    frames_->commit(received);
    try {
      while (auto frame = frames_->next()) {
        handleFrame(*frame);
        if (currentGeneration() != generation) return;  // the frame ended the connection
      }
    } catch (...) {
      const Error error = errorOfCurrentException();
      disconnect(WBEM_E_TRANSPORT_FAILURE, std::string("the daemon broke the protocol: ") + error.what());
      return;
    }
    startRead(generation);
  });
}

void ClientSession::handleFrame(const wire::Frame& frame) {
  using protocol::Message;
  if (!helloReceived_) {
    if (frame.type() == static_cast<std::uint8_t>(Message::Goodbye)) {
      protocol::BodyReader goodbye(frame.body(), "Goodbye", 2, 2);
      const auto status = static_cast<Status>(goodbye.unsignedInt("status", UINT32_MAX));
      const std::string message(goodbye.string("message"));
      disconnect(isError(status) ? status : WBEM_E_TRANSPORT_FAILURE, "the daemon refused the connection: " + message);
      return;
    }
    wire::Hello hello;
    try {
      hello = wire::decodeHello(frame);
      wire::checkHello(hello);
    } catch (const Error& e) {
      disconnect(e.status(), e.message());
      return;
    }
    connectionUp(hello);
    return;
  }
  switch (static_cast<Message>(frame.type())) {
    case Message::Reply:
      handleReply(frame);
      return;
    case Message::Events:
      handleEvents(frame);
      return;
    case Message::CallEnded:
      handleCallEnded(frame);
      return;
    case Message::ProvideEvents:
    case Message::NewQuery:
    case Message::CancelQuery:
    case Message::AccessCheck:
    case Message::Initialize:
    case Message::IndicateFailed:
      routeToListener(frame);
      return;
    case Message::Goodbye: {
      protocol::BodyReader goodbye(frame.body(), "Goodbye", 2, 2);
      const auto status = static_cast<Status>(goodbye.unsignedInt("status", UINT32_MAX));
      const std::string message(goodbye.string("message"));
      spdlog::info("wbem client: the daemon closes the connection: {} ({})", message, statusName(status));
      disconnect(isError(status) ? status : WBEM_E_TRANSPORT_FAILURE, "the daemon closed the connection: " + message);
      return;
    }
    default:
      throw Error(WBEM_E_INVALID_STREAM,
                  "unexpected message " + std::string(protocol::messageName(frame.type())) + " from the daemon");
  }
}

void ClientSession::connectionUp(const wire::Hello& hello) {
  helloReceived_ = true;
  backoff_ = kFirstBackoff;
  {
    std::lock_guard lock(sendMutex_);
    peerMaxFrame_ = hello.maxFrameSize;
    sendOpen_ = true;
  }
  spdlog::debug("wbem client: connected to {} ({})", options_.socketPath.string(), hello.software);
  if (onFirstConnect_) {
    DoneFn first = std::move(onFirstConnect_);
    onFirstConnect_ = nullptr;
    first(nullptr);
  }
  std::vector<std::shared_ptr<SessionListener>> listeners;
  {
    std::lock_guard lock(stateMutex_);
    listeners = listeners_;
  }
  for (const auto& listener : listeners) listener->onConnected();
}

void ClientSession::handleReply(const wire::Frame& frame) {
  std::shared_ptr<PendingCall> call;
  {
    std::lock_guard lock(stateMutex_);
    auto it = calls_.find(frame.requestId());
    if (it != calls_.end()) {
      call = std::move(it->second);
      calls_.erase(it);
    }
  }
  if (!call) throw Error(WBEM_E_INVALID_STREAM, "a Reply to no request (" + std::to_string(frame.requestId()) + ")");
  const msgpack::object* result = nullptr;
  try {
    result = &protocol::replyResult(frame.body());
  } catch (const Error&) {
    call->done(std::current_exception());
    return;
  }
  if (call->onResult) {
    try {
      call->onResult(*result, *objects_);
    } catch (...) {
      // The result did not decode: the daemon is broken (and the object decoder may be behind).
      call->done(std::current_exception());
      throw;
    }
  }
  call->done(nullptr);
}

void ClientSession::handleEvents(const wire::Frame& frame) {
  // Decoded even for an ended subscription: the records may define classes later frames use.
  const auto records = wire::detail::arrayOf(frame.body(), 0, SIZE_MAX, "Events");
  std::vector<ObjectPtr> events;
  events.reserve(records.size());
  for (const msgpack::object& record : records) events.push_back(share(objects_->decode(record)));
  std::shared_ptr<Subscription> sub;
  {
    std::lock_guard lock(stateMutex_);
    auto it = subscriptions_.find(frame.requestId());
    if (it != subscriptions_.end()) sub = it->second;
  }
  if (!sub || sub->over.load() || events.empty()) return;
  if (sub->direct) {
    deliverEvents(sub, events);
    return;
  }
  const std::size_t count = events.size();
  if (queuedEvents_.fetch_add(count) + count > kMaxQueuedEvents) {
    queuedEvents_.fetch_sub(count);
    if (droppedEvents_.fetch_add(count) == 0)
      spdlog::warn("wbem client: callbacks are too slow, events are being dropped");
    return;
  }
  deliver([this, sub, count, events = std::move(events)] {
    queuedEvents_.fetch_sub(count);
    deliverEvents(sub, events);
  });
}

void ClientSession::handleCallEnded(const wire::Frame& frame) {
  protocol::BodyReader ended(frame.body(), "CallEnded", 2, 2);
  const auto status = static_cast<Status>(ended.unsignedInt("status", UINT32_MAX));
  const std::string message(ended.string("message"));
  std::shared_ptr<Subscription> sub;
  {
    std::lock_guard lock(stateMutex_);
    auto it = subscriptions_.find(frame.requestId());
    if (it == subscriptions_.end()) return;  // cancelled here already
    sub = std::move(it->second);
    subscriptions_.erase(it);
  }
  endSubscription(sub, status, message);
}

void ClientSession::routeToListener(const wire::Frame& frame) {
  using protocol::Message;
  const auto type = static_cast<Message>(frame.type());
  const bool daemonCall = type == Message::AccessCheck || type == Message::Initialize;
  std::uint64_t handle = frame.requestId();
  if (daemonCall) {
    const auto fields = wire::detail::arrayOf(frame.body(), 1, SIZE_MAX, protocol::messageName(frame.type()));
    handle = wire::detail::unsignedOf(fields[0], UINT64_MAX, "handle");
  }
  std::shared_ptr<SessionListener> listener;
  {
    std::lock_guard lock(stateMutex_);
    auto it = handles_.find(handle);
    if (it != handles_.end()) listener = it->second;
  }
  if (listener) {
    listener->onMessage(type, frame.requestId(), frame.body());
    return;
  }
  if (!daemonCall) return;  // a registration that just went
  const std::uint64_t callId = frame.requestId();
  try {
    send(
        Message::Reply, callId,
        [](wire::Packer& packer, wire::ObjectEncoder&) {
          protocol::packErrorReply(packer, Error(WBEM_E_PROVIDER_NOT_REGISTERED, "no such registration here"));
        },
        false);
  } catch (const Error& e) {
    spdlog::debug("wbem client: cannot answer {}: {}", protocol::messageName(frame.type()), e.what());
  }
}

void ClientSession::disconnect(Status status, const std::string& message) {
  {
    std::lock_guard lock(sendMutex_);
    sendOpen_ = false;
    generation_ = 0;
    outgoing_.clear();
    inFlight_ = 0;
    writing_ = false;
    encoder_ = wire::ObjectEncoder();
  }
  boost::system::error_code ignored;
  impl_->socket.close(ignored);
  const bool wasUp = helloReceived_;
  helloReceived_ = false;

  std::map<std::uint64_t, std::shared_ptr<PendingCall>> calls;
  std::map<std::uint64_t, std::shared_ptr<Subscription>> subscriptions;
  std::vector<std::shared_ptr<SessionListener>> listeners;
  {
    std::lock_guard lock(stateMutex_);
    calls.swap(calls_);
    subscriptions.swap(subscriptions_);
    handles_.clear();
    listeners = listeners_;
  }
  if (wasUp && !stopping_.load()) spdlog::warn("wbem client: lost the daemon: {} ({})", message, statusName(status));
  const auto error = std::make_exception_ptr(Error(status, message));
  for (auto& [id, call] : calls) call->done(error);
  for (auto& [id, sub] : subscriptions)
    if (sub->started.load()) endSubscription(sub, status, message);
  for (const auto& listener : listeners) listener->onDisconnected(status, message);
  if (onFirstConnect_) {
    DoneFn first = std::move(onFirstConnect_);
    onFirstConnect_ = nullptr;
    first(error);
  }
  if (!listeners.empty() && !stopping_.load()) scheduleReconnect();
}

void ClientSession::scheduleReconnect() {
  if (reconnectScheduled_) return;
  reconnectScheduled_ = true;
  impl_->reconnectTimer.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  impl_->reconnectTimer.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_.load()) return;
    connectAttempt();
  });
}

}  // namespace wbem::detail
