#pragma once
// wbem::connect — the daemon's services from another process (WMI: IWbemLocator::ConnectServer
// and the IWbemServices proxy it returns). The calls mirror the in-process ones (Namespace,
// Services) and travel over the daemon's Unix socket (protocol.hpp). WMI mapping:
//   IWbemLocator::ConnectServer(namespace)        -> connect({.namespaceName = ...})
//   IWbemServices::OpenNamespace                  -> Connection::openNamespace
//   IWbemServices::GetObject                      -> getObject
//   IWbemServices::PutClass / PutInstance         -> putClass / putInstance
//   IWbemServices::DeleteClass / DeleteInstance   -> deleteClass / deleteInstance
//   IWbemServices::ExecQuery                      -> execQuery
//   IWbemServices::ExecMethod                     -> execMethod
//   IWbemServices::ExecNotificationQueryAsync     -> execNotificationQueryAsync
//   IWbemServices::ExecNotificationQuery          -> execNotificationQuery (semisynchronous)
//   IWbemServices::CancelAsyncCall                -> cancelAsyncCall
//   IMofCompiler::CompileBuffer                   -> compileMof
//
// Threads: every call is thread-safe. Synchronous calls wait for the daemon's reply (up to
// ConnectOptions::timeout); a sink's indicate and setStatus run on the connection's delivery
// thread, one call at a time, so a sink that blocks delays the connection's other sinks but never
// the daemon (which drops what a client does not read, see docs/daemon.md).

#include <wbem/classobject.hpp>
#include <wbem/event_service.hpp>  // ProviderStatistics, ConsumerStatistics
#include <wbem/namespace.hpp>
#include <wbem/object_sink.hpp>
#include <wbem/objectpath.hpp>
#include <wbem/status.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wbem {

namespace detail {
class ClientSession;
}

/// How connect() reaches the daemon.
struct ConnectOptions {
  std::filesystem::path socketPath{};        // empty: protocol::defaultSocketPath()
  std::string namespaceName = "root/cimv2";  // `/` or `\` separated
  std::chrono::milliseconds timeout{30000};  // longest wait for a reply (WBEM_E_TIMED_OUT)
  std::string software = "wbem-client";      // named in the daemon's log
};

/// One permanent subscription as the daemon sees it (`wbemctl subscriptions list`).
struct SubscriptionInfo {
  std::string filter;    // the __EventFilter's path
  std::string consumer;  // the consumer's path
  std::string query;     // the filter's query
  bool active = false;   // delivering
  std::string reason;    // why not, when inactive
};

/// The daemon's counters (Connection::statistics, `wbemctl stats`).
struct DaemonStatistics {
  std::map<std::string, std::uint64_t> counters;  // service.* and server.* totals, by name
  std::vector<ProviderStatistics> providers;      // every event provider, by namespace and name
  std::vector<ConsumerStatistics> consumers;      // every live subscription, by id
};

class EventEnumeratorProxy;

/// IWbemServices for one namespace of the daemon. Connections made by openNamespace share one
/// socket. When the socket breaks, calls fail with WBEM_E_TRANSPORT_FAILURE and every running
/// subscription ends with setStatus(WBEM_STATUS_COMPLETE, WBEM_E_TRANSPORT_FAILURE).
class Connection {
 public:
  explicit Connection(std::shared_ptr<detail::ClientSession> session, std::string namespaceName);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  /// Cancels this connection's subscriptions; the socket closes with the last Connection on it.
  ~Connection();

  /// The same daemon, another namespace (sharing the socket). Thread-safe.
  std::shared_ptr<Connection> openNamespace(std::string_view name) const;
  /// The namespace this connection works in, canonical (`/`). Thread-safe.
  const std::string& namespaceName() const noexcept { return namespace_; }

  /// The class named `path`, or the instance an instance path names. Throws wbem::Error
  /// (WBEM_E_NOT_FOUND, WBEM_E_INVALID_OBJECT_PATH, ...). Thread-safe.
  ObjectPtr getObject(std::string_view path) const;
  /// Creates or updates a class (flags as Namespace::putClass). Throws wbem::Error. Thread-safe.
  void putClass(const ClassObject& cls, std::int32_t flags = WBEM_FLAG_CREATE_OR_UPDATE) const;
  /// Creates or updates an instance; returns its path. Throws wbem::Error. Thread-safe.
  ObjectPath putInstance(const ClassObject& instance, std::int32_t flags = WBEM_FLAG_CREATE_OR_UPDATE) const;
  /// Deletes a class with its subclasses and instances. Throws wbem::Error. Thread-safe.
  void deleteClass(std::string_view name) const;
  /// Deletes the instance `path` names. Throws wbem::Error. Thread-safe.
  void deleteInstance(std::string_view path) const;
  /// Runs a WQL data query ("SELECT Name FROM Linux_Process WHERE ..."); instances of dynamic
  /// classes come from their instance provider. Throws wbem::Error. Thread-safe.
  std::vector<ObjectPtr> execQuery(std::string_view language, std::string_view query) const;
  /// Calls `method` on the class or instance `path` names; returns the out-parameters
  /// (`__PARAMETERS`, ReturnValue included). Throws wbem::Error. Thread-safe.
  ClassObject execMethod(std::string_view path, std::string_view method, const ClassObject* inParameters) const;
  /// Compiles MOF text into the daemon (into this namespace unless the text says #pragma
  /// namespace); with `checkOnly` it only checks. Returns {classes, instances} compiled. Throws
  /// wbem::Error with the position of a mistake. Thread-safe.
  std::pair<std::uint32_t, std::uint32_t> compileMof(std::string_view text, std::string_view sourceName = "<mof>",
                                                     bool checkOnly = false) const;
  /// Raises extrinsic events in this namespace as the daemon's own provider would (what `wbemctl
  /// raise` does); needs an administrator. Throws wbem::Error. Thread-safe.
  void raise(std::span<const ClassObject> events) const;

  /// Starts a temporary subscription; `sink` receives its events until cancelAsyncCall or the end
  /// of the connection, then one setStatus(WBEM_STATUS_COMPLETE, reason). Returns the daemon's
  /// status for the query (a failure starts nothing and calls no sink). Thread-safe.
  Status execNotificationQueryAsync(std::string_view language, std::string_view query, std::int32_t flags,
                                    std::shared_ptr<ObjectSink> sink) const;
  /// Ends the subscription `sink` receives: after it returns no indicate follows, then one
  /// setStatus(WBEM_STATUS_COMPLETE, WBEM_E_CALL_CANCELLED) (decisions.md 6). WBEM_E_NOT_FOUND
  /// for a sink with no subscription. Thread-safe; must not be called from that sink.
  Status cancelAsyncCall(const std::shared_ptr<ObjectSink>& sink) const;
  /// Semisynchronous subscription: events wait in the returned enumerator until next() takes
  /// them. Throws wbem::Error when the daemon refuses the query. Thread-safe.
  std::unique_ptr<EventEnumeratorProxy> execNotificationQuery(std::string_view language, std::string_view query,
                                                              std::int32_t flags) const;

  /// The permanent subscriptions of this namespace, active or not with the reason. Thread-safe.
  std::vector<SubscriptionInfo> listSubscriptions() const;
  /// The daemon's counters: totals (events in/out, drops, clients, ...), and per event provider
  /// and per subscription's consumer (events in/out, queue depth, drops). Thread-safe.
  DaemonStatistics statistics() const;
  /// Writes a consistent copy of the daemon's repository to `file` on the daemon's host (admins
  /// only). Throws wbem::Error. Thread-safe.
  void backup(const std::filesystem::path& file) const;
  /// Replaces the daemon's repository by the backup `file` on its host (admins only). Throws
  /// wbem::Error. Thread-safe.
  void restore(const std::filesystem::path& file) const;

  /// The shared session (for DecoupledRegistrar). Thread-safe.
  const std::shared_ptr<detail::ClientSession>& session() const noexcept { return session_; }

 private:
  std::shared_ptr<detail::ClientSession> session_;
  std::string namespace_;
};

/// IEnumWbemClassObject of a semisynchronous subscription over the socket: next() as
/// EventEnumerator::next in-process. Destroying it cancels the subscription.
class EventEnumeratorProxy {
 public:
  virtual ~EventEnumeratorProxy() = default;
  /// Appends up to `count` events to `out`, waiting up to `timeoutMs` (WBEM_INFINITE for ever):
  /// WBEM_S_NO_ERROR when `count` arrived, WBEM_S_TIMEDOUT when fewer did,
  /// WBEM_E_INVALID_PARAMETER for count 0, the end's reason (WBEM_E_TRANSPORT_FAILURE, ...) once
  /// the subscription has ended and nothing is left. Not thread-safe against itself.
  virtual Status next(std::uint32_t timeoutMs, std::uint32_t count, std::vector<ObjectPtr>& out) = 0;
};

/// Connects to the daemon (IWbemLocator::ConnectServer): opens the socket, exchanges the Hello
/// and returns the namespace's services. Throws wbem::Error: WBEM_E_TRANSPORT_FAILURE when no
/// daemon listens, WBEM_E_MARSHAL_VERSION_MISMATCH for another protocol version. Thread-safe.
std::shared_ptr<Connection> connect(const ConnectOptions& options = {});

}  // namespace wbem
