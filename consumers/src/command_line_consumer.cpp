// CommandLineEventConsumer's physical consumer (spec 6.2, 6.3): a process per event, started with
// posix_spawn and watched by one thread per provider (ProcessSupervisor) that logs its output,
// reaps it and applies KillTimeout. The process runs as the consumer's creator (its uid, primary
// gid and groups): when that is not the service's own uid, it is started by fork and exec, since
// posix_spawn cannot change identity.

#include <wbem/classobject.hpp>
#include <wbem/consumer_provider.hpp>
#include <wbem/names.hpp>
#include <wbem/security.hpp>
#include <wbem/standard_consumers.hpp>
#include <wbem/status.hpp>
#include <wbem/string_template.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <string>
#include <string_view>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

// glibc 2.36's <sys/pidfd.h> lacks the extern "C" its other headers have (fixed in 2.37).
extern "C" {
#include <sys/pidfd.h>
}

extern char** environ;

namespace wbem {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kClassName = "CommandLineEventConsumer";
// Output lines longer than this are logged in pieces, so that a process cannot make the
// supervisor buffer without bound.
constexpr std::size_t kMaxLine = 64 * 1024;
// Reads of output left in the pipe when a process has ended (its children may still write).
constexpr int kFinalReads = 16;

std::string errnoText(int error) { return std::generic_category().message(error); }

std::string prefix(std::string_view consumer) { return std::string(kClassName) + " " + std::string(consumer) + ": "; }

// Owns a file descriptor.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

// The posix_spawn settings of one start, destroyed with it.
class SpawnSettings {
 public:
  SpawnSettings() {
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawnattr_init(&attributes);
  }
  ~SpawnSettings() {
    ::posix_spawnattr_destroy(&attributes);
    ::posix_spawn_file_actions_destroy(&actions);
  }
  SpawnSettings(const SpawnSettings&) = delete;
  SpawnSettings& operator=(const SpawnSettings&) = delete;

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
};

// What to start for one event.
struct SpawnRequest {
  std::string consumer;  // the logical consumer's Name, for messages
  std::string program;
  std::vector<std::string> arguments;  // argv, argv[0] included
  bool searchPath = false;             // look `program` up in PATH
  std::string workingDirectory;        // empty: the service's
  bool ownGroup = true;                // in a process group of its own
  std::uint32_t killTimeout = 0;       // seconds, 0 = never
  std::optional<Principal> runAs;      // who the process runs as, when not the service's uid
};

// Why a process did not start, as a wbem::Error.
Error startError(const SpawnRequest& request, int error) {
  const Status status = error == ENOENT                     ? WBEM_E_NOT_FOUND
                        : error == EACCES || error == EPERM ? WBEM_E_ACCESS_DENIED
                                                            : WBEM_E_FAILED;
  const std::string where = request.workingDirectory.empty() ? "" : " in " + request.workingDirectory;
  const std::string as = request.runAs ? " as " + request.runAs->sid() : "";
  return Error(status,
               prefix(request.consumer) + "cannot start " + request.program + where + as + ": " + errnoText(error));
}

// argv of `request` for exec: pointers into its strings, null-terminated.
std::vector<char*> argvOf(const SpawnRequest& request) {
  std::vector<char*> argv;
  for (const std::string& argument : request.arguments) argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  return argv;
}

// Starts `request` with posix_spawn, its stdout and stderr on `output`. Returns the pid; throws.
pid_t spawnProcess(const SpawnRequest& request, int output) {
  SpawnSettings settings;
  ::posix_spawn_file_actions_addopen(&settings.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&settings.actions, output, STDOUT_FILENO);
  ::posix_spawn_file_actions_adddup2(&settings.actions, output, STDERR_FILENO);
  // Descriptors the host opened without close-on-exec (its own, plugins') stay out of the child.
  ::posix_spawn_file_actions_addclosefrom_np(&settings.actions, STDERR_FILENO + 1);
  if (!request.workingDirectory.empty())
    ::posix_spawn_file_actions_addchdir_np(&settings.actions, request.workingDirectory.c_str());
  // The service's signal mask and ignored signals are its own business, not the program's.
  sigset_t all;
  sigset_t none;
  ::sigfillset(&all);
  ::sigemptyset(&none);
  ::posix_spawnattr_setsigdefault(&settings.attributes, &all);
  ::posix_spawnattr_setsigmask(&settings.attributes, &none);
  short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
  if (request.ownGroup) {
    flags |= POSIX_SPAWN_SETPGROUP;
    ::posix_spawnattr_setpgroup(&settings.attributes, 0);
  }
  ::posix_spawnattr_setflags(&settings.attributes, flags);

  std::vector<char*> argv = argvOf(request);
  pid_t pid = 0;
  const int error =
      request.searchPath
          ? ::posix_spawnp(&pid, request.program.c_str(), &settings.actions, &settings.attributes, argv.data(), environ)
          : ::posix_spawn(&pid, request.program.c_str(), &settings.actions, &settings.attributes, argv.data(), environ);
  if (error != 0) throw startError(request, error);
  return pid;
}

// Starts `request` as request.runAs with fork and exec, as spawnProcess does otherwise. The child
// makes only async-signal-safe calls (the service has other threads); everything it needs is
// prepared before the fork. An error before exec comes back through a close-on-exec pipe.
pid_t forkProcessAs(const SpawnRequest& request, int output) {
  const Principal& as = *request.runAs;
  if (as.gids.empty()) throw startError(request, EINVAL);
  if (::geteuid() != 0) throw startError(request, EPERM);  // only root may become another user
  std::vector<char*> argv = argvOf(request);
  const std::vector<gid_t> groups(as.gids.begin(), as.gids.end());
  std::array<int, 2> errorPipe{};
  if (::pipe2(errorPipe.data(), O_CLOEXEC) != 0) throw startError(request, errno);
  UniqueFd errorRead(errorPipe[0]);
  UniqueFd errorWrite(errorPipe[1]);

  const pid_t pid = ::fork();
  if (pid < 0) throw startError(request, errno);
  if (pid == 0) {
    int report = errorWrite.get();  // moves to 3 below
    const auto fail = [&report](int error) {
      [[maybe_unused]] const auto written = ::write(report, &error, sizeof error);
      ::_exit(127);
    };
    struct sigaction defaults {};
    defaults.sa_handler = SIG_DFL;
    for (int signal = 1; signal < NSIG; ++signal) ::sigaction(signal, &defaults, nullptr);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (request.ownGroup && ::setpgid(0, 0) != 0) fail(errno);
    const int input = ::open("/dev/null", O_RDONLY);
    if (input < 0 || ::dup2(input, STDIN_FILENO) < 0 || ::dup2(output, STDOUT_FILENO) < 0 ||
        ::dup2(output, STDERR_FILENO) < 0)
      fail(errno);
    // The error pipe moves to 3 (close-on-exec); everything above it closes.
    if (report != 3 && ::dup3(report, 3, O_CLOEXEC) < 0) fail(errno);
    report = 3;
    ::close_range(4, ~0U, 0);
    if (::setgroups(groups.size(), groups.data()) != 0 || ::setgid(groups.front()) != 0 || ::setuid(as.uid) != 0)
      fail(errno);
    if (!request.workingDirectory.empty() && ::chdir(request.workingDirectory.c_str()) != 0) fail(errno);
    if (request.searchPath)
      ::execvpe(request.program.c_str(), argv.data(), environ);
    else
      ::execve(request.program.c_str(), argv.data(), environ);
    fail(errno);
  }
  errorWrite.reset();
  int error = 0;
  ssize_t got;
  do {
    got = ::read(errorRead.get(), &error, sizeof error);
  } while (got < 0 && errno == EINTR);
  if (got == sizeof error) {  // it did not get to exec
    ::waitpid(pid, nullptr, 0);
    throw startError(request, error);
  }
  return pid;
}

// A started process the supervisor watches.
struct Child {
  pid_t pid = 0;
  UniqueFd exited;  // its pidfd: readable once it has ended
  UniqueFd output;  // the read end of its stdout and stderr, closed at end of file
  std::string consumer;
  bool ownGroup = true;
  std::uint32_t killTimeout = 0;
  std::optional<Clock::time_point> killAt;
  std::string partial;  // output after the last newline
};

/// Starts processes and watches them on one thread: logs their output, reaps them, applies their
/// KillTimeout. Safety: spawn() is thread-safe; stop() is called by one thread.
class ProcessSupervisor {
 public:
  /// A supervisor and its thread; at most `maxProcesses` processes run at once.
  explicit ProcessSupervisor(std::size_t maxProcesses)
      : maxProcesses_(maxProcesses), wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (!wake_) throw Error(WBEM_E_FAILED, prefix("provider") + "cannot create an eventfd: " + errnoText(errno));
    thread_ = std::thread([this] { run(); });
  }
  ~ProcessSupervisor() { stop(std::chrono::milliseconds::zero()); }
  ProcessSupervisor(const ProcessSupervisor&) = delete;
  ProcessSupervisor& operator=(const ProcessSupervisor&) = delete;

  /// Starts `request`'s process and hands it to the thread. Throws WBEM_E_SHUTTING_DOWN after
  /// stop(), WBEM_E_QUOTA_VIOLATION at the limit, and an error for a process that cannot start.
  /// Thread-safe.
  void spawn(const SpawnRequest& request) {
    // Starting under the lock makes every process either watched or never started once stop() runs.
    std::lock_guard lock(mutex_);
    if (stopping_) throw Error(WBEM_E_SHUTTING_DOWN, prefix(request.consumer) + "the provider is shutting down");
    if (running_ >= maxProcesses_)
      throw Error(WBEM_E_QUOTA_VIOLATION, prefix(request.consumer) + std::to_string(running_) +
                                              " processes of the provider are running, the most it allows");
    std::array<int, 2> pipeEnds{};
    if (::pipe2(pipeEnds.data(), O_CLOEXEC) != 0)
      throw Error(WBEM_E_FAILED, prefix(request.consumer) + "cannot create a pipe: " + errnoText(errno));
    UniqueFd readEnd(pipeEnds[0]);
    UniqueFd writeEnd(pipeEnds[1]);

    const pid_t pid = request.runAs ? forkProcessAs(request, writeEnd.get()) : spawnProcess(request, writeEnd.get());
    writeEnd.reset();  // the process has its copy; end of file comes when it (and its children) close theirs

    Child child;
    child.pid = pid;
    child.exited.reset(::pidfd_open(pid, 0));
    if (!child.exited) {
      const int pidfdError = errno;
      // A process that cannot be watched is not left running unreaped.
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      throw Error(WBEM_E_FAILED, prefix(request.consumer) + "cannot watch process " + std::to_string(pid) + ": " +
                                     errnoText(pidfdError));
    }
    ::fcntl(readEnd.get(), F_SETFL, O_NONBLOCK);
    child.output = std::move(readEnd);
    child.consumer = request.consumer;
    child.ownGroup = request.ownGroup;
    child.killTimeout = request.killTimeout;
    if (request.killTimeout > 0) child.killAt = Clock::now() + std::chrono::seconds(request.killTimeout);
    spdlog::debug("{}started {} (pid {})", prefix(request.consumer), request.program, pid);
    started_.push_back(std::move(child));
    ++running_;
    wake();
  }

  /// Waits up to `grace` for the running processes to end, then stops the thread; later spawn()
  /// calls fail. A second call does nothing. Not thread-safe.
  void stop(std::chrono::milliseconds grace) {
    {
      std::lock_guard lock(mutex_);
      if (!stopping_) {
        stopping_ = true;
        stopBy_ = Clock::now() + grace;
      }
    }
    wake();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void wake() noexcept {
    const std::uint64_t one = 1;
    // Cannot fail but for a full counter, which wakes the thread just as well.
    [[maybe_unused]] const ssize_t written = ::write(wake_.get(), &one, sizeof one);
  }

  void run() {
    std::vector<Child> children;
    std::vector<pollfd> fds;
    while (true) {
      std::optional<Clock::time_point> stopBy;
      {
        std::lock_guard lock(mutex_);
        for (Child& child : started_) children.push_back(std::move(child));
        started_.clear();
        if (stopping_) stopBy = stopBy_;
      }
      if (stopBy && (children.empty() || Clock::now() >= *stopBy)) break;

      // The wake fd, then for each child its pidfd and its output (-1 once closed: poll skips it).
      fds.assign(1, pollfd{wake_.get(), POLLIN, 0});
      std::optional<Clock::time_point> deadline = stopBy;
      for (const Child& child : children) {
        fds.push_back(pollfd{child.exited.get(), POLLIN, 0});
        fds.push_back(pollfd{child.output ? child.output.get() : -1, POLLIN, 0});
        if (child.killAt && (!deadline || *child.killAt < *deadline)) deadline = child.killAt;
      }
      int timeout = -1;
      if (deadline) {
        const auto wait = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()).count();
        timeout = static_cast<int>(std::clamp<decltype(wait)>(wait, 0, INT_MAX));
      }
      if (::poll(fds.data(), fds.size(), timeout) < 0) continue;  // EINTR (or ENOMEM): try again
      if (fds[0].revents & POLLIN) {
        std::uint64_t count = 0;
        [[maybe_unused]] const ssize_t n = ::read(wake_.get(), &count, sizeof count);
      }

      const Clock::time_point now = Clock::now();
      std::vector<Child> running;
      running.reserve(children.size());
      for (std::size_t i = 0; i < children.size(); ++i) {
        Child& child = children[i];
        if (fds[2 + 2 * i].revents != 0) readOutput(child);
        if (fds[1 + 2 * i].revents != 0) {
          reap(child);
          continue;
        }
        if (child.killAt && now >= *child.killAt) killChild(child);
        running.push_back(std::move(child));
      }
      children = std::move(running);
    }
    for (const Child& child : children)
      spdlog::warn("{}process {} still runs as its provider shuts down; it is no longer watched",
                   prefix(child.consumer), child.pid);
  }

  // Reads what the child's pipe holds now (one buffer) and logs the complete lines; false when
  // there was nothing to read (for now, or any more).
  static bool readOutput(Child& child) {
    if (!child.output) return false;
    std::array<char, 16 * 1024> buffer;
    const ssize_t n = ::read(child.output.get(), buffer.data(), buffer.size());
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return false;
    if (n <= 0) {
      if (!child.partial.empty()) logLine(child, child.partial);
      child.partial.clear();
      child.output.reset();
      return false;
    }
    child.partial.append(buffer.data(), static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (std::size_t end; (end = child.partial.find('\n', start)) != std::string::npos; start = end + 1)
      logLine(child, std::string_view(child.partial).substr(start, end - start));
    child.partial.erase(0, start);
    if (child.partial.size() >= kMaxLine) {
      logLine(child, child.partial);
      child.partial.clear();
    }
    return true;
  }

  static void logLine(const Child& child, std::string_view line) {
    if (line.ends_with('\r')) line.remove_suffix(1);
    spdlog::info("{}{}", prefix(child.consumer), line);
  }

  // Logs the ended child's last output and how it ended, and frees its place.
  void reap(Child& child) {
    for (int i = 0; i < kFinalReads && readOutput(child); ++i) {
    }
    if (!child.partial.empty()) logLine(child, child.partial);
    int status = 0;
    if (::waitpid(child.pid, &status, 0) != child.pid)
      spdlog::warn("{}process {} ended; its status is unknown: {}", prefix(child.consumer), child.pid,
                   errnoText(errno));
    else if (WIFEXITED(status))
      spdlog::info("{}process {} exited with status {}", prefix(child.consumer), child.pid, WEXITSTATUS(status));
    else
      spdlog::info("{}process {} was ended by signal SIG{}", prefix(child.consumer), child.pid,
                   ::sigabbrev_np(WTERMSIG(status)));
    std::lock_guard lock(mutex_);
    --running_;
  }

  static void killChild(Child& child) {
    spdlog::warn("{}process {} still runs after KillTimeout ({} s): killing it{}", prefix(child.consumer), child.pid,
                 child.killTimeout, child.ownGroup ? " and its process group" : "");
    // The child is not reaped yet, so its pid (and group id) cannot have been reused.
    ::kill(child.ownGroup ? -child.pid : child.pid, SIGKILL);
    child.killAt.reset();
  }

  const std::size_t maxProcesses_;
  UniqueFd wake_;  // an eventfd: spawn() and stop() wake the thread through it
  std::mutex mutex_;
  std::vector<Child> started_;  // started, not yet picked up by the thread
  std::size_t running_ = 0;     // started and not yet reaped
  bool stopping_ = false;
  Clock::time_point stopBy_;
  std::thread thread_;
};

/// The physical consumer of one CommandLineEventConsumer.
class CommandLineConsumerSink final : public ConsumerSink<> {
 public:
  /// Reads the consumer's settings; WBEM_E_NOT_FOUND for another class, WBEM_E_INVALID_PARAMETER
  /// when no program is named. Thread-safe (reads only `logicalConsumer`).
  CommandLineConsumerSink(const ClassObject& logicalConsumer, std::shared_ptr<ProcessSupervisor> supervisor)
      : supervisor_(std::move(supervisor)) {
    if (!iequals(logicalConsumer.className(), kClassName) && !logicalConsumer.inheritsFrom(kClassName))
      throw Error(WBEM_E_NOT_FOUND, std::string(kClassName) + " cannot serve a " + logicalConsumer.className());
    const auto text = [&](std::string_view property) -> std::optional<std::string> {
      const Value value = logicalConsumer.get(property);
      if (value.isNull()) return std::nullopt;
      return value.asString();
    };
    name_ = text("Name").value_or("");
    creatorSid_ = text("CreatorSID");
    executablePath_ = text("ExecutablePath");
    if (executablePath_ && executablePath_->empty()) executablePath_.reset();
    const std::optional<std::string> commandLine = text("CommandLineTemplate");
    if (commandLine) arguments_ = parseTemplateArguments(*commandLine);
    hasTemplate_ = commandLine.has_value();
    if (!executablePath_ && arguments_.empty())
      throw Error(WBEM_E_INVALID_PARAMETER,
                  prefix(name_) + "neither ExecutablePath nor CommandLineTemplate names a program to run");
    // Event data may fill arguments, never choose the program.
    if (!executablePath_ && std::ranges::any_of(arguments_.front(), [](const TemplateSegment& segment) {
          return !segment.literal && segment.text.find('%') != std::string::npos;
        }))
      throw Error(WBEM_E_INVALID_PARAMETER,
                  prefix(name_) + "the program (the template's first word) must not be a template variable");
    workingDirectory_ = text("WorkingDirectory").value_or("");
    const Value killTimeout = logicalConsumer.get("KillTimeout");
    if (!killTimeout.isNull()) killTimeout_ = static_cast<std::uint32_t>(killTimeout.asUInt64());
    const Value ownGroup = logicalConsumer.get("CreateNewProcessGroup");
    ownGroup_ = ownGroup.isNull() || ownGroup.asBool();
  }

 protected:
  void consume(const ClassObject&, const ClassObject& event) override {
    // Checked at each event: membership of the admin group may change while the consumer exists.
    const std::optional<Principal> creator = creatorSid_ ? Principal::fromSid(*creatorSid_) : std::nullopt;
    if (!creator || !creator->admin)
      throw Error(WBEM_E_ACCESS_DENIED, prefix(name_) + "its creator (" + creatorSid_.value_or("none") +
                                            ") is not an administrator, and only administrators may run commands");
    SpawnRequest request;
    request.consumer = name_;
    request.workingDirectory = workingDirectory_;
    request.ownGroup = ownGroup_;
    request.killTimeout = killTimeout_;
    if (creator->uid != ::geteuid()) request.runAs = creator;  // never as root unless its creator is
    if (hasTemplate_) {
      for (const TemplateArgument& argument : arguments_)
        request.arguments.push_back(formatTemplateArgument(argument, event));
      for (const std::string& argument : request.arguments)
        if (argument.find('\0') != std::string::npos)
          throw Error(WBEM_E_INVALID_PARAMETER, prefix(name_) + "an argument holds a NUL character");
    }
    if (executablePath_) {
      request.program = *executablePath_;
      if (request.arguments.empty()) request.arguments.push_back(*executablePath_);
    } else {
      request.program = request.arguments.front();
      request.searchPath = true;
    }
    supervisor_->spawn(request);
  }

 private:
  std::shared_ptr<ProcessSupervisor> supervisor_;
  std::string name_;
  std::optional<std::string> creatorSid_;
  std::optional<std::string> executablePath_;
  std::vector<TemplateArgument> arguments_;
  bool hasTemplate_ = false;
  std::string workingDirectory_;
  std::uint32_t killTimeout_ = 0;
  bool ownGroup_ = true;
};

}  // namespace

class CommandLineConsumerProvider::Impl {
 public:
  explicit Impl(CommandLineConsumerOptions options)
      : options_(options), supervisor_(std::make_shared<ProcessSupervisor>(options.maxProcesses)) {}
  ~Impl() { supervisor_->stop(options_.shutdownGrace); }

  std::shared_ptr<UnboundObjectSink> findConsumer(const ClassObject& logicalConsumer) {
    // As SimpleConsumerProvider: an unchanged logical consumer keeps its sink.
    std::string key = logicalConsumer.getObjectText();
    std::lock_guard lock(mutex_);
    if (const auto found = sinks_.find(key); found != sinks_.end()) return found->second;
    auto sink = std::make_shared<CommandLineConsumerSink>(logicalConsumer, supervisor_);
    sinks_.emplace(std::move(key), sink);
    return sink;
  }

 private:
  CommandLineConsumerOptions options_;
  std::shared_ptr<ProcessSupervisor> supervisor_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<UnboundObjectSink>> sinks_;
};

CommandLineConsumerProvider::CommandLineConsumerProvider(CommandLineConsumerOptions options)
    : impl_(std::make_unique<Impl>(options)) {}

CommandLineConsumerProvider::~CommandLineConsumerProvider() = default;

std::shared_ptr<UnboundObjectSink> CommandLineConsumerProvider::findConsumer(const ClassObject& logicalConsumer) {
  return impl_->findConsumer(logicalConsumer);
}

}  // namespace wbem
