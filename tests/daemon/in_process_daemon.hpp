#pragma once
// A daemon inside the test process: an event service with its permanent subscriptions, served by
// a wbem::Server on a socket of its own. The test fills the service, then calls server.start();
// at the end the server stops and the socket's directory is removed.

#include <wbem/event_service.hpp>
#include <wbem/permanent_subscriptions.hpp>
#include <wbem/server.hpp>

#include <filesystem>
#include <string>
#include <unistd.h>
#include <utility>

namespace wbemtest {

// <tmp>/wbem-test-server-<pid>-<n>/s.sock, a new n each call: tests never share a socket.
inline std::filesystem::path freshSocketPath() {
  static int counter = 0;
  return std::filesystem::temp_directory_path() /
         ("wbem-test-server-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)) / "s.sock";
}

struct InProcessDaemon {
  wbem::EventService service;
  wbem::PermanentSubscriptions permanent{service};
  wbem::Server server;

  // `options` with the socket path replaced by a fresh one; not started yet.
  explicit InProcessDaemon(wbem::ServerOptions options = {})
      : server(service, &permanent, withFreshSocket(std::move(options))) {}
  ~InProcessDaemon() {
    server.stop();
    std::filesystem::remove_all(server.socketPath().parent_path());
  }
  InProcessDaemon(const InProcessDaemon&) = delete;
  InProcessDaemon& operator=(const InProcessDaemon&) = delete;

  static wbem::ServerOptions withFreshSocket(wbem::ServerOptions options) {
    options.socketPath = freshSocketPath();
    return options;
  }
};

}  // namespace wbemtest
