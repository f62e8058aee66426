#pragma once
// detail::ClientSession — one socket to the daemon, shared by the Connections of wbem::connect()
// and by decoupled provider registrations. It owns two threads: the I/O thread runs the socket
// (connect, Hello, reads, writes, every decoding, reconnects) and the delivery thread runs user
// callbacks (ObjectSink::indicate/setStatus, provider callbacks), so that a callback making a
// synchronous call on the same session never blocks the thread that reads the reply.

#include <wbem/client.hpp>
#include <wbem/object_sink.hpp>
#include <wbem/protocol.hpp>
#include <wbem/status.hpp>
#include <wbem/wire.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace wbem::detail {

/// Largest amount of frames waiting to be written before calls fail with WBEM_E_SERVER_TOO_BUSY.
inline constexpr std::size_t kMaxSendBacklog = 16u << 20;

/// A registration as the session sees it: the session routes the daemon's messages for its
/// handle to it and tells it when the connection comes and goes. Every member runs on the I/O
/// thread.
class SessionListener {
 public:
  virtual ~SessionListener() = default;
  /// A connection is up again (after a reconnect's Hello): register again.
  virtual void onConnected() = 0;
  /// The connection is gone: forget the handle and the daemon's queries, drop queued events.
  virtual void onDisconnected(Status status, const std::string& message) = 0;
  /// A message for this registration (ProvideEvents, NewQuery, CancelQuery, IndicateFailed with
  /// requestId = handle; AccessCheck, Initialize with the daemon's call id).
  virtual void onMessage(protocol::Message type, std::uint64_t requestId, const msgpack::object& body) = 0;
  /// Frames may be sent again (the backlog fell below the limit, or a wake-up was asked for).
  virtual void flush() = 0;
};

/// The socket, its threads and the calls and subscriptions in flight. Thread-safe unless said.
class ClientSession : public std::enable_shared_from_this<ClientSession> {
 public:
  /// Packs a request body with the connection's encoder (called under the send lock).
  using BodyFn = std::function<void(wire::Packer&, wire::ObjectEncoder&)>;
  /// Reads a successful Reply's result on the I/O thread (the decoder is only valid there).
  using ResultFn = std::function<void(const msgpack::object& result, wire::ObjectDecoder&)>;
  /// Completes a call without a waiting thread, on the I/O thread: null on success.
  using DoneFn = std::function<void(std::exception_ptr error)>;

  /// Connects to the daemon and exchanges the Hello, waiting up to options.timeout. Throws
  /// wbem::Error (WBEM_E_TRANSPORT_FAILURE when no daemon listens, the Hello's errors,
  /// WBEM_E_TIMED_OUT). The session starts with no user (see addUser). Thread-safe.
  static std::shared_ptr<ClientSession> open(const ConnectOptions& options);
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;
  /// Stops the threads if removeUser() did not. Not from the session's own threads.
  ~ClientSession();

  /// Counts a user (Connection, Registration). Thread-safe.
  void addUser();
  /// The last user gone, the session closes its socket and stops its threads (joined, or left to
  /// finish by themselves when it is one of them that drops the last user). Thread-safe.
  void removeUser();

  /// A fresh request id (never 0). Thread-safe, lock-free.
  std::uint64_t newRequestId() noexcept { return nextRequestId_.fetch_add(1, std::memory_order_relaxed); }
  /// The options the session was opened with. Thread-safe.
  const ConnectOptions& options() const noexcept { return options_; }

  /// A synchronous call: sends [type, requestId, body] and waits up to the timeout for its Reply;
  /// runs `onResult` with the result on the I/O thread. requestId 0 takes a fresh one. Throws the
  /// Reply's error, WBEM_E_TRANSPORT_FAILURE (no connection, or it broke), WBEM_E_TIMED_OUT,
  /// WBEM_E_SERVER_TOO_BUSY (send backlog full). Thread-safe; not from the I/O thread.
  void call(protocol::Message type, const BodyFn& body, const ResultFn& onResult = {}, std::uint64_t requestId = 0);
  /// Sends a request whose Reply `done` handles on the I/O thread (also when the connection
  /// breaks). Throws like send(). Thread-safe.
  void callAsync(protocol::Message type, std::uint64_t requestId, const BodyFn& body, ResultFn onResult, DoneFn done);
  /// Queues a frame that expects no Reply. `bounded`: WBEM_E_SERVER_TOO_BUSY when the backlog is
  /// full. `generation`: the frame belongs to that connection only (a Reply to one of the daemon's
  /// calls), else WBEM_E_TRANSPORT_FAILURE. Thread-safe.
  void send(protocol::Message type, std::uint64_t requestId, const BodyFn& body, bool bounded = true,
            std::uint64_t generation = 0);
  /// Bytes queued or being written. Thread-safe.
  std::size_t backlog() const;
  /// The current connection's number (0 while none is up). Thread-safe.
  std::uint64_t generation() const;

  /// Starts a temporary subscription under `requestId`: its Events go to `sink` (on the delivery
  /// thread, or on the I/O thread when `direct`, for the library's own sinks) until it ends with
  /// one setStatus(WBEM_STATUS_COMPLETE, ...). Throws the daemon's refusal (and call() errors;
  /// WBEM_E_INVALID_PARAMETER when `owner` already subscribed `sink`); a failure calls no sink.
  /// `owner` groups subscriptions for cancelOwned(). Thread-safe.
  void subscribe(std::uint64_t requestId, const BodyFn& body, std::shared_ptr<ObjectSink> sink, const void* owner,
                 bool direct);
  /// Cancels the subscription `requestId`: once it returns no indicate follows; the sink gets
  /// setStatus(COMPLETE, WBEM_E_CALL_CANCELLED) once. With `wait` it waits for the daemon's Reply
  /// to CancelAsyncCall. WBEM_E_NOT_FOUND when no such subscription runs. Thread-safe; not from
  /// that subscription's own sink.
  Status cancelSubscription(std::uint64_t requestId, bool wait);
  /// The id of `owner`'s subscription delivering to `sink`, 0 when none. Thread-safe.
  std::uint64_t findSubscription(const void* owner, const ObjectSink* sink) const;
  /// Cancels every subscription of `owner` without waiting for the daemon. Thread-safe.
  void cancelOwned(const void* owner);

  /// Routes the daemon's messages for `handle` to `listener`. Thread-safe.
  void bindHandle(std::uint64_t handle, const std::shared_ptr<SessionListener>& listener);
  /// Stops routing `handle`. Thread-safe.
  void unbindHandle(std::uint64_t handle);
  /// Keeps `listener` registered across reconnects (the session reconnects while it has one).
  /// Thread-safe.
  void addListener(const std::shared_ptr<SessionListener>& listener);
  /// Forgets `listener`. Thread-safe.
  void removeListener(const SessionListener* listener);

  /// Runs `task` on the delivery thread, after the tasks before it; false (task dropped) once the
  /// session has stopped. Thread-safe.
  bool deliver(std::function<void()> task);
  /// Waits until the delivery thread has run every task queued before the call (returns at once
  /// on the delivery thread itself). Thread-safe.
  void drainDeliveries();
  /// True on the session's delivery thread. Thread-safe.
  bool onDeliveryThread() const noexcept { return std::this_thread::get_id() == deliveryThreadId_.load(); }
  /// Runs `task` on the I/O thread. Thread-safe.
  void post(std::function<void()> task);
  /// Runs `task` on the I/O thread after `delay`, unless the session stops first. Thread-safe.
  void postAfter(std::chrono::milliseconds delay, std::function<void()> task);

 private:
  struct Impl;
  struct PendingCall;
  struct Subscription;
  explicit ClientSession(ConnectOptions options);

  void start();
  void shutdown();
  void deliveryLoop();
  void deliverEvents(const std::shared_ptr<Subscription>& sub, const std::vector<ObjectPtr>& events);
  void endSubscription(const std::shared_ptr<Subscription>& sub, Status status, const std::string& message);
  void sendCancel(std::uint64_t requestId, bool wait);
  std::uint64_t currentGeneration() const;

  // I/O thread only.
  void connectAttempt();
  void startRead(std::uint64_t generation);
  void startWrite(std::uint64_t generation);
  void handleFrame(const wire::Frame& frame);
  void handleReply(const wire::Frame& frame);
  void handleEvents(const wire::Frame& frame);
  void handleCallEnded(const wire::Frame& frame);
  void routeToListener(const wire::Frame& frame);
  void connectionUp(const wire::Hello& hello);
  void disconnect(Status status, const std::string& message);
  void scheduleReconnect();
  void notifyWritable();

  ConnectOptions options_;
  std::unique_ptr<Impl> impl_;  // the Asio objects
  std::atomic<std::uint64_t> nextRequestId_{1};
  std::atomic<int> users_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<std::thread::id> deliveryThreadId_{};
  std::atomic<const Subscription*> delivering_{nullptr};  // the subscription whose sink runs now
  std::atomic<std::size_t> queuedEvents_{0};              // events waiting for the delivery thread
  std::atomic<std::uint64_t> droppedEvents_{0};           // events dropped above that bound
  std::thread ioThread_;
  std::thread deliveryThread_;

  // Sending: the encoder and the frames queued, under sendMutex_.
  mutable std::mutex sendMutex_;
  wire::ObjectEncoder encoder_;
  wire::Bytes outgoing_;
  std::size_t inFlight_ = 0;  // bytes handed to the socket, not yet written
  bool writing_ = false;
  bool sendOpen_ = false;         // a connection is up and accepts frames
  std::uint64_t generation_ = 0;  // the connection attempt frames belong to; 0 when none
  std::uint32_t peerMaxFrame_ = wire::kDefaultMaxFrameSize;

  // Calls waiting for a Reply, and subscriptions, under stateMutex_.
  mutable std::mutex stateMutex_;
  std::map<std::uint64_t, std::shared_ptr<PendingCall>> calls_;
  std::map<std::uint64_t, std::shared_ptr<Subscription>> subscriptions_;
  std::map<std::uint64_t, std::shared_ptr<SessionListener>> handles_;
  std::vector<std::shared_ptr<SessionListener>> listeners_;

  // The delivery thread's tasks.
  std::mutex deliveryMutex_;
  std::condition_variable deliveryReady_;
  std::deque<std::function<void()>> deliveries_;
  bool deliveryStop_ = false;
  bool deliveryDone_ = false;

  // I/O thread only.
  std::unique_ptr<wire::FrameDecoder> frames_;
  std::unique_ptr<wire::ObjectDecoder> objects_;
  std::uint64_t attempts_ = 0;
  bool helloReceived_ = false;
  bool reconnectScheduled_ = false;
  std::chrono::milliseconds backoff_{50};
  DoneFn onFirstConnect_;  // the first connection's outcome, for open()
};

}  // namespace wbem::detail
