// The listening side: binding the socket, accepting clients with their SO_PEERCRED identity,
// shutting down, and the counters.

#include <wbem/protocol.hpp>

#include <algorithm>
#include <cctype>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server_core.hpp"

namespace wbem {

namespace {

// A client's principal from the kernel's record of the connecting process (decisions.md 10). The
// daemon's own user counts as an administrator: a user's private daemon is theirs to manage.
Principal peerPrincipal(int fd) {
  ucred credentials{};
  socklen_t size = sizeof(credentials);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &size) != 0)
    throw Error(WBEM_E_ACCESS_DENIED, std::string("cannot read the client's credentials: ") + std::strerror(errno));
  Principal principal = Principal::fromCredentials(credentials.uid, credentials.gid);
  if (credentials.uid == ::geteuid()) principal.admin = true;
  return principal;
}

// True when some process accepts connections on `path`.
bool someoneListens(const std::filesystem::path& path) {
  server::asio::io_context io;
  server::Socket probe(io);
  boost::system::error_code error;
  probe.connect(server::asio::local::stream_protocol::endpoint(path.string()), error);
  return !error;
}

}  // namespace

Server::Core::Core(EventService& service, PermanentSubscriptions* permanent, ServerOptions options)
    : service(service),
      permanent(permanent),
      options(std::move(options)),
      socketPath(this->options.socketPath.empty() ? protocol::defaultSocketPath() : this->options.socketPath),
      pool(std::max(1u, this->options.requestThreads)) {}

std::string Server::Core::registryKey(std::string_view ns, std::string_view name) {
  std::string key = protocol::canonicalNamespace(ns) + "\n" + std::string(name);
  std::ranges::transform(key, key.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return key;
}

void Server::Core::accept() {
  acceptor->async_accept([this](const boost::system::error_code& error, server::Socket socket) {
    if (error) {
      if (error != server::asio::error::operation_aborted) {
        spdlog::error("accepting a client: {}", error.message());
        accept();
      }
      return;
    }
    try {
      Principal principal = peerPrincipal(socket.native_handle());
      std::shared_ptr<server::Session> session;
      {
        std::lock_guard lock(mutex);
        if (stopping) return;
        if (sessions.size() >= options.maxClients) {
          spdlog::warn("refusing a client of uid {}: {} clients already", principal.uid, sessions.size());
        } else {
          const std::uint64_t id = nextSessionId++;
          session = std::make_shared<server::Session>(*this, std::move(socket), std::move(principal), id);
          sessions[id] = session;
        }
      }
      if (session) {
        counters.connections.fetch_add(1, std::memory_order_relaxed);
        spdlog::debug("client {} connected (uid {})", session->id(), session->principal().uid);
        session->start();
      }
    } catch (const Error& e) {
      spdlog::warn("refusing a client: {}", e.what());
    }
    accept();
  });
}

std::shared_ptr<server::RaiseProvider> Server::Core::raiser(const std::string& ns) {
  std::lock_guard lock(mutex);
  auto& provider = raisers[ns];
  if (!provider) {
    provider = std::make_shared<server::RaiseProvider>();
    const RevertToSelf asDaemon;  // the daemon's own provider, whoever raised first
    try {
      service.registerEventProvider(ns, "wbemd", {"SELECT * FROM __ExtrinsicEvent"}, provider);
    } catch (...) {
      raisers.erase(ns);
      throw;
    }
  }
  return provider;
}

std::map<std::string, std::uint64_t> Server::Core::totals(const Core& core, const EventServiceStatistics& events) {
  std::map<std::string, std::uint64_t> result{
      {"service.indicated", events.indicated},
      {"service.rejectedBusy", events.rejectedBusy},
      {"service.delivered", events.delivered},
      {"service.dropped", events.dropped},
      {"service.consumerFailures", events.consumerFailures},
      {"service.subscriptions", events.subscriptions},
      {"service.activeProviders", events.activeProviders},
      {"service.deliveryThreads", events.deliveryThreads},
      {"server.connections", core.counters.connections.load()},
      {"server.requests", core.counters.requests.load()},
      {"server.eventsSent", core.counters.eventsSent.load()},
      {"server.eventsDropped", core.counters.eventsDropped.load()},
      {"server.providerEvents", core.counters.providerEvents.load()},
      {"server.protocolErrors", core.counters.protocolErrors.load()},
      {"server.stalledClients", core.counters.stalledClients.load()},
  };
  std::lock_guard lock(const_cast<std::mutex&>(core.mutex));
  result["server.clients"] = core.sessions.size();
  result["server.decoupledProviders"] = core.registry.size();
  return result;
}

Server::Server(EventService& service, PermanentSubscriptions* permanent, ServerOptions options)
    : core_(std::make_shared<Core>(service, permanent, std::move(options))) {}

Server::~Server() { stop(); }

const std::filesystem::path& Server::socketPath() const noexcept { return core_->socketPath; }

void Server::start() {
  const std::filesystem::path& path = core_->socketPath;
  std::error_code ignored;
  if (path.has_parent_path() && !std::filesystem::exists(path.parent_path())) {
    std::filesystem::create_directories(path.parent_path());
    std::filesystem::permissions(path.parent_path(), std::filesystem::perms(0755), ignored);
  }
  if (std::filesystem::exists(std::filesystem::symlink_status(path))) {
    if (someoneListens(path)) throw Error(WBEM_E_ALREADY_EXISTS, "another daemon listens on " + path.string());
    std::filesystem::remove(path);  // left by a daemon that died
  }
  core_->acceptor.emplace(core_->io);
  boost::system::error_code error;
  const server::asio::local::stream_protocol::endpoint endpoint(path.string());
  core_->acceptor->open(endpoint.protocol(), error);
  if (!error) core_->acceptor->bind(endpoint, error);
  if (!error) core_->acceptor->listen(server::asio::socket_base::max_listen_connections, error);
  if (error) throw Error(WBEM_E_TRANSPORT_FAILURE, "cannot listen on " + path.string() + ": " + error.message());
  ::chmod(path.c_str(), 0666);
  // Logged before the I/O thread starts: the first use of spdlog sets up its registry, which must
  // not race with the thread's own logging (spdlog's library is not instrumented for TSan).
  spdlog::info("listening on {}", path.string());
  core_->accept();
  core_->ioThread = std::thread([core = core_] { core->io.run(); });
}

void Server::stop(Status reason) {
  std::vector<std::shared_ptr<server::Session>> sessions;
  {
    std::lock_guard lock(core_->mutex);
    if (core_->stopping) return;
    core_->stopping = true;
    for (auto& [id, weak] : core_->sessions)
      if (auto session = weak.lock()) sessions.push_back(session);
  }
  if (!core_->ioThread.joinable()) return;  // never started
  // A raw pointer: a handler still queued when io stops must not keep Core (its owner) alive.
  server::asio::post(core_->io, [core = core_.get()] {
    boost::system::error_code ignored;
    core->acceptor->close(ignored);
  });
  for (auto& session : sessions) session->close(reason, "the daemon is shutting down");
  // Each session closes within a second (its Goodbye written or abandoned), then cleans up on the
  // pool; wait for that before the service goes.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(core_->mutex);
      if (core_->sessions.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  core_->io.stop();
  core_->ioThread.join();
  core_->pool.join();
  std::error_code ignored;
  std::filesystem::remove(core_->socketPath, ignored);
  spdlog::info("stopped listening on {}", core_->socketPath.string());
}

std::map<std::string, std::uint64_t> Server::statistics() const {
  return Core::totals(*core_, core_->service.statistics());
}

}  // namespace wbem
