#pragma once
// wbem::Server — the daemon's socket side: serves an EventService (and its permanent
// subscriptions) to clients and decoupled provider processes over a Unix stream socket, speaking
// the protocol of wbem/protocol.hpp. wbemd is this plus configuration, logging and signals.
//
// Every client is identified by SO_PEERCRED (decisions.md 10): its requests run impersonating that
// principal. Writes (classes, instances, MOF, raising events, provider registration, backup and
// restore) need an administrator: root, a member of the admin group, or the daemon's own user.
//
// Threads: one I/O thread reads and writes every socket and decodes frames; requests run on a
// small pool, in order per client; events reach clients from the event service's delivery
// threads, which only encode into the client's send queue. Each client's send queue is bounded
// (ServerOptions::maxSendQueueBytes): events that do not fit are dropped and counted, and a client
// that has not read for sendStallTimeout is disconnected. A client that breaks the protocol (a
// malformed, oversized or unexpected frame) gets a Goodbye with the error and is disconnected;
// nobody else notices.

#include <wbem/event_service.hpp>
#include <wbem/permanent_subscriptions.hpp>
#include <wbem/status.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

namespace wbem {

/// How a Server listens and what it allows.
struct ServerOptions {
  std::filesystem::path socketPath{};                   // empty: protocol::defaultSocketPath()
  std::size_t maxSendQueueBytes = 8u << 20;             // per client; events beyond are dropped
  std::chrono::milliseconds sendStallTimeout{30000};    // a client not reading that long is dropped
  std::uint32_t maxFrameSize = 16u << 20;               // largest frame accepted (and announced)
  unsigned requestThreads = 4;                          // pool running requests
  std::size_t maxClients = 4096;                        // more connections are refused
  std::chrono::milliseconds providerCallTimeout{5000};  // AccessCheck / Initialize in a provider process
};

/// The socket server of wbemd. Not copyable.
class Server {
 public:
  /// A server for `service` and, when given, its permanent subscriptions (which must outlive it).
  /// Listens only after start(). Thread-safe.
  Server(EventService& service, PermanentSubscriptions* permanent, ServerOptions options = {});
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  /// stop() if still running.
  ~Server();

  /// Binds the socket (creating its directory, 0755; the socket is 0666 since every request is
  /// judged by the caller's identity) and starts serving. A stale socket file nobody listens on is
  /// replaced; a live one gives WBEM_E_ALREADY_EXISTS. Thread-safe; once.
  void start();
  /// Tells every client Goodbye(`reason`), closes the connections, unbinds decoupled providers
  /// (their subscriptions stay) and removes the socket file. Thread-safe; idempotent.
  void stop(Status reason = WBEM_E_SHUTTING_DOWN);
  /// The socket path served. Thread-safe.
  const std::filesystem::path& socketPath() const noexcept;
  /// Counters: clients, requests, events sent and dropped, provider events in, protocol errors,
  /// plus the event service's own. Thread-safe.
  std::map<std::string, std::uint64_t> statistics() const;

  struct Core;

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace wbem
