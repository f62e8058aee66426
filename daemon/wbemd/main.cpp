// wbemd: the wbem-events daemon. Hosts the namespaces (loaded from and written through to the
// SQLite repository in --data-dir), the event service, permanent subscriptions with the standard
// consumers and consumer plugins (loaded from the library their __Win32Provider.Module names), the
// Linux providers, and serves clients and decoupled
// providers on a Unix socket (wbem::Server). Settings come from the command line, else from the
// config file (INI/TOML keys named as the long options), else from the defaults.

#include <wbem/event_service.hpp>
#include <wbem/linux_providers.hpp>
#include <wbem/permanent_subscriptions.hpp>
#include <wbem/protocol.hpp>
#include <wbem/repository.hpp>
#include <wbem/server.hpp>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <signal.h>
#include <spdlog/cfg/env.h>
#include <spdlog/spdlog.h>
#include <string>
#include <systemd/sd-daemon.h>
#include <unistd.h>
#include <vector>

namespace {

std::filesystem::path defaultDataDir() {
  if (::geteuid() == 0) return "/var/lib/wbem";
  if (const char* data = std::getenv("XDG_DATA_HOME"); data && *data) return std::filesystem::path(data) / "wbem";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::filesystem::path(home) / ".local" / "share" / "wbem";
  return std::filesystem::temp_directory_path() / ("wbem-" + std::to_string(::geteuid()));
}

std::filesystem::path defaultConfigFile() {
  if (::geteuid() == 0) return "/etc/wbem/wbemd.conf";
  if (const char* config = std::getenv("XDG_CONFIG_HOME"); config && *config)
    return std::filesystem::path(config) / "wbem" / "wbemd.conf";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::filesystem::path(home) / ".config" / "wbem" / "wbemd.conf";
  return {};
}

struct Settings {
  std::string socket;
  std::string dataDir;
  bool foreground = false;
  std::string logLevel = "info";
  std::string adminGroup;
  bool linuxProviders = true;
  unsigned requestThreads = 4;
  std::size_t maxClients = 4096;
};

// Without --foreground the daemon detaches: the parent waits until the child is serving (or has
// failed, with its message) and exits with that outcome, so that `wbemd && wbemctl ...` works.
// Returns the fd the child reports readiness on, or -1 in the foreground.
int detach() {
  int ready[2];
  if (::pipe(ready) != 0) throw std::runtime_error("pipe failed");
  const pid_t child = ::fork();
  if (child < 0) throw std::runtime_error("fork failed");
  if (child > 0) {
    ::close(ready[1]);
    char status = 1;
    const bool told = ::read(ready[0], &status, 1) == 1;
    std::_Exit(told && status == 0 ? 0 : 1);
  }
  ::close(ready[0]);
  ::setsid();
  if (::fork() > 0) std::_Exit(0);  // not a session leader: never gets a controlling terminal
  return ready[1];
}

void reportReady(int fd, bool ok) {
  if (fd < 0) return;
  const char status = ok ? 0 : 1;
  [[maybe_unused]] const auto written = ::write(fd, &status, 1);
  ::close(fd);
}

int run(const Settings& settings, int readyFd) {
  if (!settings.adminGroup.empty()) ::setenv("WBEM_ADMIN_GROUP", settings.adminGroup.c_str(), 1);
  const std::filesystem::path dataDir =
      settings.dataDir.empty() ? defaultDataDir() : std::filesystem::path(settings.dataDir);
  // Only the daemon reads or writes the repository; clients reach it through the socket, where
  // they are judged. A directory the administrator chose is left as it is, with a warning if others
  // may write to it.
  namespace fs = std::filesystem;
  if (fs::create_directories(dataDir))
    fs::permissions(dataDir, fs::perms::owner_all);
  else if ((fs::status(dataDir).permissions() & (fs::perms::group_write | fs::perms::others_write)) != fs::perms::none)
    spdlog::warn("data directory {} is writable by others: they could change the repository", dataDir.string());

  // Signals are taken by sigwait in this thread only: blocked before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  wbem::EventServiceOptions options;
  options.repository = std::make_shared<wbem::Repository>(dataDir / "repository.db");
  wbem::EventService service(options);
  wbem::PermanentSubscriptions permanent(service);
  if (!service.findNamespace("root/cimv2")) service.createNamespace("root/cimv2");  // clients' default
  if (settings.linuxProviders) wbem::registerLinuxProviders(service);

  wbem::ServerOptions serverOptions;
  serverOptions.socketPath = settings.socket;
  serverOptions.requestThreads = settings.requestThreads;
  serverOptions.maxClients = settings.maxClients;
  wbem::Server server(service, &permanent, serverOptions);
  server.start();
  const wbem::RepositoryCounts counts = options.repository->counts();
  spdlog::info("wbemd {} serving {} namespaces, {} classes, {} instances from {}", WBEM_VERSION, counts.namespaces,
               counts.classes, counts.instances, options.repository->path().string());
  reportReady(readyFd, true);
  sd_notify(0, "READY=1");

  int signal = 0;
  sigwait(&signals, &signal);
  spdlog::info("{} received: shutting down", signal == SIGTERM ? "SIGTERM" : "SIGINT");
  sd_notify(0, "STOPPING=1");
  server.stop(wbem::WBEM_E_SHUTTING_DOWN);
  service.waitIdle(std::chrono::seconds(5));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wbemd: the wbem-events daemon (WMI event subsystem for Linux).", "wbemd"};
  app.set_version_flag("--version", "wbemd " WBEM_VERSION);
  Settings settings;
  app.set_config("--config", defaultConfigFile().string(), "Config file (INI or TOML; keys as the long options)");
  app.add_option("--socket", settings.socket,
                 "Socket to listen on (default: $WBEM_SOCKET, /run/wbem/wbemd.sock as root, "
                 "$XDG_RUNTIME_DIR/wbem/wbemd.sock otherwise)")
      ->envname("WBEM_SOCKET");
  app.add_option("--data-dir", settings.dataDir,
                 "Repository directory (default: /var/lib/wbem as root, $XDG_DATA_HOME/wbem otherwise)");
  app.add_flag("--foreground", settings.foreground, "Stay in the foreground (systemd, containers, tests)");
  app.add_option("--log-level", settings.logLevel,
                 "trace, debug, info, warn, error, critical or off (SPDLOG_LEVEL "
                 "overrides per logger)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.add_option("--admin-group", settings.adminGroup, "Group whose members are administrators (default wbem-admin)");
  app.add_option("--linux-providers", settings.linuxProviders,
                 "Host Linux_Process and its event provider (true/false)");
  app.add_option("--request-threads", settings.requestThreads, "Threads running client requests")
      ->check(CLI::Range(1, 64));
  app.add_option("--max-clients", settings.maxClients, "Connections served at once");
  CLI11_PARSE(app, argc, argv);

  spdlog::set_level(spdlog::level::from_str(settings.logLevel));
  spdlog::cfg::load_env_levels();
  int readyFd = -1;
  try {
    if (!settings.foreground) readyFd = detach();
    return run(settings, readyFd);
  } catch (const std::exception& e) {
    spdlog::critical("wbemd cannot run: {}", e.what());
    std::cerr << "wbemd: " << e.what() << '\n';
    reportReady(readyFd, false);
    return 1;
  }
}
