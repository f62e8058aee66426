// One client connection: reading frames, the bounded send queue, calls into a provider process,
// and the clean-up when the client goes.

#include <spdlog/spdlog.h>

#include "server_core.hpp"

namespace wbem::server {

namespace {
constexpr std::size_t kReadChunk = 64u << 10;
}

Session::Session(Server::Core& core, Socket socket, Principal principal, std::uint64_t id)
    : core_(core),
      socket_(std::move(socket)),
      principal_(std::move(principal)),
      id_(id),
      strand_(asio::make_strand(core.pool.get_executor())),
      decoder_(wire::FrameLimits{.maxFrameSize = core.options.maxFrameSize}) {}

Session::~Session() = default;

void Session::start() {
  wire::Bytes hello = wire::encodeHello({.software = "wbemd", .maxFrameSize = core_.options.maxFrameSize});
  {
    std::lock_guard lock(sendMutex_);
    pending_.insert(pending_.end(), hello.begin(), hello.end());
    writeInFlight_ = true;
  }
  writeSome();
  readMore();
}

void Session::readMore() {
  auto buffer = decoder_.prepare(kReadChunk);
  socket_.async_read_some(asio::buffer(buffer.data(), buffer.size()),
                          [self = shared_from_this()](const boost::system::error_code& error, std::size_t size) {
                            if (error) {
                              self->closeNow();
                              return;
                            }
                            self->onBytes(size);
                          });
}

void Session::onBytes(std::size_t size) {
  try {
    decoder_.commit(size);
    while (auto frame = decoder_.next()) {
      if (!helloSeen_) {
        const wire::Hello hello = wire::decodeHello(*frame);
        wire::checkHello(hello);
        helloSeen_ = true;
        peerMaxFrameSize_ = hello.maxFrameSize;
        continue;
      }
      onFrame(*frame);
    }
  } catch (const Error& e) {
    fail(e);
    return;
  }
  if (socket_.is_open()) readMore();
}

void Session::fail(const Error& error) {
  core_.counters.protocolErrors.fetch_add(1, std::memory_order_relaxed);
  spdlog::warn("client {} (uid {}) broke the protocol, disconnecting it: {}", id_, principal_.uid, error.what());
  close(error.status(), error.message());
}

void Session::send(Message type, std::uint64_t requestId,
                   const std::function<void(wire::Packer&, wire::ObjectEncoder&)>& packBody) {
  bool startWrite = false;
  {
    std::lock_guard lock(sendMutex_);
    if (closed_ || closing_) return;
    if (pending_.size() > 4 * core_.options.maxSendQueueBytes) {
      core_.counters.stalledClients.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("client {} does not read its replies ({} bytes waiting); disconnecting it", id_, pending_.size());
      closed_ = true;
      asio::post(core_.io, [self = shared_from_this()] { self->closeNow(); });
      return;
    }
    wire::FrameWriter writer(pending_, static_cast<std::uint8_t>(type), requestId);
    try {
      packBody(writer.body(), encoder_);
      writer.finish(peerMaxFrameSize_);
    } catch (const Error& e) {
      // Too big for the peer, or an object the codec refuses: tell the requester instead.
      if (type != Message::Reply) throw;
      wire::FrameWriter failure(pending_, static_cast<std::uint8_t>(Message::Reply), requestId);
      protocol::packErrorReply(failure.body(), e);
      failure.finish(peerMaxFrameSize_);
    }
    if (!writeInFlight_) startWrite = writeInFlight_ = true;
  }
  if (startWrite) asio::post(core_.io, [self = shared_from_this()] { self->writeSome(); });
}

void Session::sendEvents(std::uint64_t requestId, std::span<const ObjectPtr> events) {
  bool startWrite = false;
  {
    std::lock_guard lock(sendMutex_);
    if (closed_ || closing_) return;
    if (pending_.size() >= core_.options.maxSendQueueBytes) {
      core_.counters.eventsDropped.fetch_add(events.size(), std::memory_order_relaxed);
      const auto now = std::chrono::steady_clock::now();
      if (!stalledSince_) stalledSince_ = now;
      if (now - *stalledSince_ > core_.options.sendStallTimeout) {
        core_.counters.stalledClients.fetch_add(1, std::memory_order_relaxed);
        spdlog::warn("client {} has not read for {} ms; disconnecting it", id_,
                     std::chrono::duration_cast<std::chrono::milliseconds>(now - *stalledSince_).count());
        closed_ = true;
        asio::post(core_.io, [self = shared_from_this()] { self->closeNow(); });
      }
      return;
    }
    try {
      wire::FrameWriter writer(pending_, static_cast<std::uint8_t>(Message::Events), requestId);
      writer.body().pack_array(static_cast<std::uint32_t>(events.size()));
      for (const ObjectPtr& event : events) encoder_.encode(writer.body(), *event);
      writer.finish(peerMaxFrameSize_);
    } catch (const Error& e) {
      core_.counters.eventsDropped.fetch_add(events.size(), std::memory_order_relaxed);
      spdlog::warn("events for client {} dropped: {}", id_, e.what());
      return;
    }
    core_.counters.eventsSent.fetch_add(events.size(), std::memory_order_relaxed);
    if (!writeInFlight_) startWrite = writeInFlight_ = true;
  }
  if (startWrite) asio::post(core_.io, [self = shared_from_this()] { self->writeSome(); });
}

void Session::writeSome() {
  {
    std::lock_guard lock(sendMutex_);
    writing_.clear();
    std::swap(writing_, pending_);
    if (writing_.empty()) {
      writeInFlight_ = false;
      if (!closing_) return;
    }
  }
  if (writing_.empty()) {
    closeNow();
    return;
  }
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
                      if (error) {
                        self->closeNow();
                        return;
                      }
                      {
                        std::lock_guard lock(self->sendMutex_);
                        self->stalledSince_.reset();
                      }
                      self->writeSome();
                    });
}

void Session::close(Status reason, const std::string& message) {
  bool startWrite = false;
  {
    std::lock_guard lock(sendMutex_);
    if (closed_ || closing_) return;
    try {
      wire::FrameWriter writer(pending_, static_cast<std::uint8_t>(Message::Goodbye), 0);
      writer.body().pack_array(2);
      writer.body().pack_uint32(static_cast<std::uint32_t>(reason));
      protocol::packString(writer.body(), message.substr(0, 4096));
      writer.finish(wire::kMinMaxFrameSize);
    } catch (const Error&) {
    }
    closing_ = true;  // the write chain closes the socket once the Goodbye is out
    if (!writeInFlight_) startWrite = writeInFlight_ = true;
  }
  if (startWrite) asio::post(core_.io, [self = shared_from_this()] { self->writeSome(); });
  // A client that does not read never takes the Goodbye: close anyway after a moment.
  auto timer = std::make_shared<asio::steady_timer>(core_.io, std::chrono::seconds(1));
  timer->async_wait([self = shared_from_this(), timer](const boost::system::error_code&) { self->closeNow(); });
}

void Session::closeNow() {
  {
    std::lock_guard lock(sendMutex_);
    if (closed_ && !socket_.is_open()) return;
    closed_ = true;
  }
  boost::system::error_code ignored;
  if (socket_.is_open()) {
    socket_.shutdown(Socket::shutdown_both, ignored);
    socket_.close(ignored);
  }
  // Cancelling subscriptions waits for consumer calls in progress: not on the I/O thread.
  asio::post(core_.pool, [self = shared_from_this()] { self->cleanUp(); });
}

void Session::cleanUp() {
  std::map<std::uint64_t, SubscriptionId> subscriptions;
  std::map<std::uint64_t, std::shared_ptr<RemoteProvider>> providers;
  std::map<std::uint64_t, PendingCall> calls;
  {
    std::lock_guard lock(stateMutex_);
    if (cleanedUp_) return;
    cleanedUp_ = true;
    subscriptions.swap(subscriptions_);
    providers.swap(providers_);
    calls.swap(calls_);
  }
  for (auto& [requestId, id] : subscriptions) core_.service.cancel(id, WBEM_E_TRANSPORT_FAILURE);
  for (auto& [handle, provider] : providers) {
    // The subscriptions it served stay (decisions.md 5); it is told of them when it registers again.
    try {
      core_.service.removeEventProvider(provider->ns(), provider->name());
    } catch (const Error& e) {
      spdlog::warn("unbinding provider {} of client {}: {}", provider->name(), id_, e.what());
    }
    std::lock_guard lock(core_.mutex);
    auto it = core_.registry.find(Server::Core::registryKey(provider->ns(), provider->name()));
    if (it != core_.registry.end() && it->second.lock() == provider) core_.registry.erase(it);
    spdlog::info("decoupled provider {} in {} disconnected", provider->name(), provider->ns());
  }
  for (auto& [id, call] : calls) call.done(WBEM_E_TRANSPORT_FAILURE);
  std::lock_guard lock(core_.mutex);
  core_.sessions.erase(id_);
}

void Session::post(std::function<void()> handler) { asio::post(strand_, std::move(handler)); }

Status Session::call(Message type, const std::function<void(wire::Packer&)>& packBody) {
  auto state = std::make_shared<std::pair<std::mutex, std::condition_variable>>();
  auto result = std::make_shared<std::optional<Status>>();
  const std::uint64_t callId = callAsync(type, packBody, [state, result](Status status) {
    std::lock_guard lock(state->first);
    *result = status;
    state->second.notify_all();
  });
  std::unique_lock lock(state->first);
  if (state->second.wait_for(lock, core_.options.providerCallTimeout, [&] { return result->has_value(); }))
    return **result;
  lock.unlock();
  // Forgotten, so that a provider that never answers does not grow calls_; a late Reply is ignored.
  std::lock_guard calls(stateMutex_);
  calls_.erase(callId);
  return WBEM_E_PROVIDER_TIMED_OUT;
}

std::uint64_t Session::callAsync(Message type, const std::function<void(wire::Packer&)>& packBody,
                                 std::function<void(Status)> done) {
  std::uint64_t callId = 0;
  {
    std::lock_guard lock(stateMutex_);
    if (cleanedUp_) {
      done(WBEM_E_TRANSPORT_FAILURE);
      return 0;
    }
    callId = nextCallId_++;
    calls_[callId] = PendingCall{std::move(done)};
  }
  send(type, callId, [&](wire::Packer& packer, wire::ObjectEncoder&) { packBody(packer); });
  return callId;
}

void Session::onReply(const wire::Frame& frame) {
  PendingCall call;
  {
    std::lock_guard lock(stateMutex_);
    auto it = calls_.find(frame.requestId());
    if (it == calls_.end()) return;  // timed out already
    call = std::move(it->second);
    calls_.erase(it);
  }
  Status status = WBEM_S_NO_ERROR;
  try {
    protocol::replyResult(frame.body());
  } catch (const Error& e) {
    status = e.status();
    if (status == WBEM_E_INVALID_STREAM) throw;
  }
  call.done(status);
}

}  // namespace wbem::server
