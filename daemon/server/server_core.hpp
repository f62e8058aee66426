#pragma once
// The server's insides: Server::Core (shared state), Session (one client connection) and
// RemoteProvider (a decoupled provider seen from the event service).

#include <wbem/event_provider.hpp>
#include <wbem/protocol.hpp>
#include <wbem/security.hpp>
#include <wbem/server.hpp>
#include <wbem/wire.hpp>

#include <atomic>
#include <boost/asio.hpp>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace wbem {

namespace server {

namespace asio = boost::asio;
using Socket = asio::local::stream_protocol::socket;
using protocol::Message;

class Session;
class RemoteProvider;

/// Counters of the server (statistics()).
struct Counters {
  std::atomic<std::uint64_t> connections{0};
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> eventsSent{0};
  std::atomic<std::uint64_t> eventsDropped{0};
  std::atomic<std::uint64_t> providerEvents{0};
  std::atomic<std::uint64_t> protocolErrors{0};
  std::atomic<std::uint64_t> stalledClients{0};
};

/// One client connection. Created on the I/O thread; every member function says which thread may
/// call it.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Server::Core& core, Socket socket, Principal principal, std::uint64_t id);
  ~Session();

  /// Sends the Hello and starts reading. I/O thread.
  void start();
  /// Sends Goodbye(reason, message) if the socket still works, then closes. Any thread.
  void close(Status reason, const std::string& message);

  /// Queues one frame whose body `packBody` packs (with the connection's object encoder). Replies
  /// are never dropped; a client letting them pile up past 4 × the send limit is disconnected.
  /// Any thread.
  void send(Message type, std::uint64_t requestId,
            const std::function<void(wire::Packer&, wire::ObjectEncoder&)>& packBody);
  /// Queues an Events frame for subscription `requestId`, or drops the events (counted) when the
  /// send queue is full. Any thread (the event service's delivery threads).
  void sendEvents(std::uint64_t requestId, std::span<const ObjectPtr> events);
  /// Calls the provider process (AccessCheck, Initialize) and waits up to the provider call
  /// timeout for its Reply: its status, WBEM_E_PROVIDER_TIMED_OUT, or WBEM_E_TRANSPORT_FAILURE
  /// when the connection ends. Any thread but the I/O thread.
  Status call(Message type, const std::function<void(wire::Packer&)>& packBody);
  /// Calls `done` with the provider's Reply status when it comes (or the failure as in call()),
  /// without waiting. Returns the call's id (0 when the connection had ended and `done` ran
  /// already). Any thread.
  std::uint64_t callAsync(Message type, const std::function<void(wire::Packer&)>& packBody,
                          std::function<void(Status)> done);

  const Principal& principal() const noexcept { return principal_; }
  std::uint64_t id() const noexcept { return id_; }

 private:
  friend struct RequestHandlers;
  void readMore();
  void onBytes(std::size_t size);
  void onFrame(const wire::Frame& frame);
  void onReply(const wire::Frame& frame);
  void onIndicate(const wire::Frame& frame);
  void onSetSinkSecurity(const wire::Frame& frame);
  // The provider registered here under `handle`, or null.
  std::shared_ptr<RemoteProvider> providerOf(std::uint64_t handle);
  // Runs `action` (for the provider `handle`); a failure goes back as IndicateFailed.
  void reportIndicateFailure(std::uint64_t handle, const std::function<Status()>& action);
  void writeSome();
  void fail(const Error& error);  // protocol error: Goodbye, close
  void closeNow();                // I/O thread
  void cleanUp();                 // once, after the socket closed: subscriptions, providers, calls
  // Runs `handler` on the request pool, in order with this client's other requests.
  void post(std::function<void()> handler);

  Server::Core& core_;
  Socket socket_;
  const Principal principal_;
  const std::uint64_t id_;
  asio::strand<asio::thread_pool::executor_type> strand_;

  // I/O thread only.
  wire::FrameDecoder decoder_;
  wire::ObjectDecoder objects_;
  bool helloSeen_ = false;
  std::uint32_t peerMaxFrameSize_ = wire::kDefaultMaxFrameSize;

  // Send side.
  std::mutex sendMutex_;
  wire::ObjectEncoder encoder_;
  wire::Bytes pending_;
  wire::Bytes writing_;
  bool writeInFlight_ = false;
  bool closing_ = false;  // Goodbye queued: nothing more is queued, the socket closes after it
  bool closed_ = false;
  std::optional<std::chrono::steady_clock::time_point> stalledSince_;

  // What the client holds (stateMutex_).
  std::mutex stateMutex_;
  std::map<std::uint64_t, SubscriptionId> subscriptions_;               // by request id
  std::map<std::uint64_t, std::shared_ptr<RemoteProvider>> providers_;  // by handle
  struct PendingCall {
    std::function<void(Status)> done;
  };
  std::map<std::uint64_t, PendingCall> calls_;
  std::uint64_t nextCallId_ = 1;
  bool cleanedUp_ = false;
};

/// A decoupled provider's stand-in inside the event service: forwards the service's calls to the
/// provider process (only those it said it implements) and hands its events to the service's sink,
/// restricted to what its registrations name: a provider process raises nothing else.
class RemoteProvider : public EventProvider,
                       public EventProviderQuerySink,
                       public EventProviderSecurity,
                       public ProviderInit,
                       public ProviderIdentity {
 public:
  /// `space` is the provider's namespace, which outlives it (the event service keeps namespaces).
  RemoteProvider(std::weak_ptr<Session> session, std::uint64_t handle, std::uint32_t capabilities,
                 const Namespace& space, std::string name);

  Status provideEvents(std::shared_ptr<EventSink> sink, std::int32_t flags) override;
  Status newQuery(std::uint32_t id, std::string_view language, std::string_view query) override;
  Status cancelQuery(std::uint32_t id) override;
  Status accessCheck(std::string_view language, std::string_view query, const Principal* principal) override;
  Status initialize(const ProviderInitContext& context, std::shared_ptr<ProviderInitSink> sink) override;
  /// Keeps the registration's EventQueryList (by the registration's path), for the sink's restriction.
  Status setRegistrationObject(std::int32_t flags, const ClassObject& registration) override;

  /// Hands events from the process to the service (I/O thread). Returns the sink's status;
  /// WBEM_S_FALSE when the service has not asked for events (no sink: nobody listens).
  Status indicate(std::span<const ClassObject> events, bool subjectToSds);
  /// The process's setSinkSecurity: applies to the service's sink now and to any it gets later.
  /// Thread-safe.
  void setSinkSecurity(SecurityDescriptor descriptor);

  const std::string& ns() const noexcept { return ns_; }
  const std::string& name() const noexcept { return name_; }

 private:
  /// A sink of `sink` that forwards only events one of the registered queries matches.
  std::shared_ptr<EventSink> restrictToRegistrations(const std::shared_ptr<EventSink>& sink);

  std::weak_ptr<Session> session_;
  const std::uint64_t handle_;
  const std::uint32_t capabilities_;
  const Namespace& space_;
  const std::string ns_;
  const std::string name_;
  std::mutex registrationsMutex_;
  std::map<std::string, std::vector<std::string>> registeredQueries_;  // by registration path
  std::atomic<std::shared_ptr<EventSink>> sink_;
  std::mutex securityMutex_;  // security_, and setting it on a new sink
  std::optional<SecurityDescriptor> security_;
};

/// The event provider behind `wbemctl raise` (Connection::raise): one per namespace, registered
/// as "wbemd" for every extrinsic event on first use. Its sink's descriptor names each client as
/// owner while their events are indicated, so that filters' EventAccess judges the client, not the
/// daemon; one sink for all keeps the events in the order they were raised.
class RaiseProvider : public EventProvider {
 public:
  Status provideEvents(std::shared_ptr<EventSink> sink, std::int32_t flags) override;
  /// Indicates `events` as raised by `raiser`; WBEM_S_FALSE when nobody listens. Thread-safe.
  Status raise(std::span<const ClassObject> events, const Principal& raiser);

 private:
  std::atomic<std::shared_ptr<EventSink>> sink_;
  std::mutex raiseMutex_;  // a descriptor and the events it covers, one raiser at a time
};

}  // namespace server

struct Server::Core {
  Core(EventService& service, PermanentSubscriptions* permanent, ServerOptions options);

  EventService& service;
  PermanentSubscriptions* permanent;
  const ServerOptions options;
  std::filesystem::path socketPath;
  // The pool is declared first so that it is destroyed last: handlers still queued in `io` hold
  // sessions, whose strands live in the pool's services.
  server::asio::thread_pool pool;
  server::asio::io_context io;
  std::optional<server::asio::local::stream_protocol::acceptor> acceptor;
  std::thread ioThread;
  server::Counters counters;

  std::mutex claimsMutex;  // held to read and claim a __Win32Provider's SecurityDescriptor

  std::mutex mutex;  // everything below
  std::map<std::uint64_t, std::weak_ptr<server::Session>> sessions;
  // Live decoupled registrations, by "namespace\nname" lower-cased.
  std::map<std::string, std::weak_ptr<server::RemoteProvider>> registry;
  std::map<std::string, std::shared_ptr<server::RaiseProvider>> raisers;  // by canonical namespace
  std::uint64_t nextSessionId = 1;
  bool stopping = false;

  void accept();
  /// The raise provider of `ns`, registered on first use.
  std::shared_ptr<server::RaiseProvider> raiser(const std::string& ns);
  static std::string registryKey(std::string_view ns, std::string_view name);
  /// The counters of Server::statistics(), with the event service's totals from `events`.
  static std::map<std::string, std::uint64_t> totals(const Core& core, const EventServiceStatistics& events);
};

}  // namespace wbem
