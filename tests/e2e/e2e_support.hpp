#pragma once
// Helpers of the end-to-end tests (test_e2e.cpp, test_real_users.cpp): the real wbemd on a case's
// own socket and data directory, the decoupled provider process (e2e_provider) and its schema.
// The programs' paths come from WBEM_E2E_WBEMD and WBEM_E2E_PROVIDER (tests/e2e/CMakeLists.txt).

#include <wbem/client.hpp>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <utility>
#include <vector>

#include "child_process.hpp"

namespace wbemtest {

inline void writeFile(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// A connected Unix stream socket, or -1 when nobody accepts on `path`.
inline int connectUnix(const std::filesystem::path& path, int receiveBuffer = 0) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (receiveBuffer > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof(receiveBuffer));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// wbemd on the case's own socket and data directory, in the foreground (a child of the test).
class Daemon {
 public:
  explicit Daemon(const TempDir& dir, std::string_view dataDirName = "data")
      : socket_(dir / "wbemd.sock"), dataDir_(dir / dataDirName), log_(dir / "wbemd.log") {
    start();
  }

  void start() {
    using namespace std::chrono_literals;
    process_.reset();
    process_.emplace(
        std::vector<std::string>{WBEM_E2E_WBEMD, "--foreground", "--socket", socket_.string(), "--data-dir",
                                 dataDir_.string(), "--log-level", "info", "--linux-providers", "false"},
        log_, false);
    // Serving once the socket accepts (it is bound and listening before start() returns).
    bool exited = false;
    const bool serving = waitUntil(
        [&] {
          exited = !process_->running();
          if (exited) return true;
          const int fd = connectUnix(socket_);
          if (fd < 0) return false;
          ::close(fd);
          return true;
        },
        30s);
    if (!serving || exited) FAIL("wbemd did not start serving on " << socket_ << "\n" << readFile(log_));
  }
  // kill -9: no shutdown at all.
  void kill() { process_->kill(); }
  // SIGTERM: its exit code (-1 when it did not exit in time).
  int stop() { return process_->stop(std::chrono::seconds(20)); }

  std::shared_ptr<wbem::Connection> connect(std::string_view ns = "root/cimv2") const {
    return wbem::connect({.socketPath = socket_, .namespaceName = std::string(ns), .software = "e2e-test"});
  }
  const std::filesystem::path& socket() const { return socket_; }
  std::string log() const { return readFile(log_); }

 private:
  std::filesystem::path socket_;
  std::filesystem::path dataDir_;
  std::filesystem::path log_;
  std::optional<Child> process_;
};

// The event class and the decoupled provider's registration, for root/cimv2.
inline constexpr std::string_view kProviderMof = R"(
class E2EEvent : __ExtrinsicEvent { uint32 Seq; string Source; };
instance of __Win32Provider as $P { Name = "E2EProvider"; HostingModel = "Decoupled:Com"; };
instance of __EventProviderRegistration { provider = $P; EventQueryList = {"SELECT * FROM E2EEvent"}; };
)";

inline void compileProviderMof(const Daemon& daemon) {
  const auto counts = daemon.connect()->compileMof(kProviderMof, "e2e.mof");
  REQUIRE(counts.first == 1);
  REQUIRE(counts.second == 2);
}

// An e2e_provider process (`program`, a copy of it elsewhere if given) with stdout captured; its
// log is <dir>/<logName>. `prefix` goes before the program (setpriv and its options, to run it as
// another user).
inline std::unique_ptr<Child> startProvider(const TempDir& dir, const Daemon& daemon, std::vector<std::string> options,
                                            std::string_view logName = "provider.log",
                                            std::vector<std::string> prefix = {},
                                            const std::filesystem::path& program = WBEM_E2E_PROVIDER) {
  std::vector<std::string> argv = std::move(prefix);
  argv.insert(argv.end(), {program.string(), "--socket", daemon.socket().string()});
  argv.insert(argv.end(), options.begin(), options.end());
  return std::make_unique<Child>(std::move(argv), dir / logName, true);
}

inline void requireOutput(Child& child, std::string_view needle, Milliseconds timeout, std::size_t occurrences = 1) {
  if (!child.waitForOutput(needle, timeout, occurrences))
    FAIL("no '" << needle << "' (x" << occurrences << ") from " << child.describe());
}

// Sanitizer builds: a report in any process of the case (each writes stderr to a log in `dir`)
// fails it, even when the process that reported went on or died unnoticed.
inline void checkNoSanitizerReports(const TempDir& dir) {
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (entry.path().extension() != ".log") continue;
    const std::string text = readFile(entry.path());
    INFO(entry.path().filename().string() << ":\n" << text);
    for (const std::string_view marker :
         {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "WARNING: ThreadSanitizer", "runtime error:"})
      CHECK(text.find(marker) == std::string::npos);
  }
}

}  // namespace wbemtest
