#pragma once
// Helpers for the tests that run real processes (the end-to-end tests, wbemctl against a daemon):
// deadlines that stretch in sanitizer builds, waiting on a condition, a temporary directory per
// test and child processes that never outlive the test that started them.
//
// WBEM_E2E_SLOW=N multiplies every deadline by N; WBEM_E2E_KEEP=1 keeps the temporary directories.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <signal.h>
#include <spawn.h>
#include <sstream>
#include <string>
#include <string_view>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define WBEM_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define WBEM_TEST_SANITIZED 1
#endif
#endif

namespace wbemtest {

using Clock = std::chrono::steady_clock;
using Milliseconds = std::chrono::milliseconds;

// --- timing -------------------------------------------------------------------------------------

inline unsigned envNumber(const char* name, unsigned fallback) {
  const char* text = std::getenv(name);
  return text && *text ? static_cast<unsigned>(std::strtoul(text, nullptr, 10)) : fallback;
}

// Sanitizer builds run every process several times slower: deadlines stretch with them.
inline unsigned slowFactor() {
#ifdef WBEM_TEST_SANITIZED
  constexpr unsigned kDefault = 4;
#else
  constexpr unsigned kDefault = 1;
#endif
  static const unsigned factor = std::max(1u, envNumber("WBEM_E2E_SLOW", kDefault));
  return factor;
}

inline Milliseconds scaled(Milliseconds timeout) { return timeout * slowFactor(); }

// Polls `condition` until it holds or `timeout` (scaled) passes; true when it held.
template <typename Condition>
bool waitUntil(Condition condition, Milliseconds timeout) {
  using namespace std::chrono_literals;
  const auto deadline = Clock::now() + scaled(timeout);
  while (!condition()) {
    if (Clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

inline std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// --- processes ----------------------------------------------------------------------------------

// A directory of its own per test (<tmp>/<prefix>-XXXXXX), removed at the end unless WBEM_E2E_KEEP
// is set.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix) {
    std::string pattern = (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    if (envNumber("WBEM_E2E_KEEP", 0) == 0) {
      std::error_code ignored;
      std::filesystem::remove_all(path_, ignored);
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// A child process (posix_spawn): stderr appended to `logFile`, stdout too or captured through a
// pipe (output(), waitForOutput()). The destructor SIGKILLs it if it still runs and reaps it, so
// a failing REQUIRE never leaves a process behind.
class Child {
 public:
  Child(std::vector<std::string> argv, const std::filesystem::path& logFile, bool captureStdout,
        const std::vector<std::string>& extraEnv = {})
      : name_(std::filesystem::path(argv.at(0)).filename().string()), logFile_(logFile) {
    int pipeFds[2] = {-1, -1};
    if (captureStdout) REQUIRE(::pipe2(pipeFds, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (captureStdout)
      posix_spawn_file_actions_adddup2(&actions, pipeFds[1], 1);
    else
      posix_spawn_file_actions_adddup2(&actions, 2, 1);
    // This process holds other children's pipes and client sockets that Asio opens without
    // CLOEXEC: none of them may leak into the child (a leaked pipe end would never see EOF).
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);

    std::vector<std::string> environment;
    for (char** entry = environ; *entry; ++entry) environment.emplace_back(*entry);
    environment.insert(environment.end(), extraEnv.begin(), extraEnv.end());
    std::vector<char*> envp;
    for (std::string& entry : environment) envp.push_back(entry.data());
    envp.push_back(nullptr);
    std::vector<char*> args;
    for (std::string& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);

    const int error = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (captureStdout) ::close(pipeFds[1]);
    if (error != 0) {
      if (captureStdout) ::close(pipeFds[0]);
      FAIL("posix_spawn " << argv[0] << ": " << std::strerror(error));
    }
    if (captureStdout)
      reader_ = std::thread([this, fd = pipeFds[0]] { readOutput(fd); });
    else
      outputClosed_ = true;
  }

  ~Child() {
    if (!exited_) {
      ::kill(pid_, SIGKILL);
      reap(true);
    }
    if (reader_.joinable()) reader_.join();
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  void signal(int number) {
    if (!exited_) ::kill(pid_, number);
  }
  // True while the process has not exited.
  bool running() { return !exited_ && !reap(false); }
  // The raw wait status once the process exited within `timeout` (scaled).
  std::optional<int> wait(Milliseconds timeout) {
    if (!waitUntil([&] { return !running(); }, timeout)) return std::nullopt;
    return status_;
  }
  // Its exit code once it exited normally within `timeout` (scaled) and its stdout was read to the
  // end, so that output() holds all it wrote; -1 when it is still running or died of a signal.
  int exitCode(Milliseconds timeout) {
    const std::optional<int> status = wait(timeout);
    if (!status || !WIFEXITED(*status) || !waitForOutputEnd(timeout)) return -1;
    return WEXITSTATUS(*status);
  }
  // SIGKILL, then reaps.
  void kill() {
    signal(SIGKILL);
    if (!exited_) reap(true);
  }
  // SIGTERM, then its exit code when it exits normally within `timeout`; SIGKILL and -1 when not.
  int stop(Milliseconds timeout = std::chrono::seconds(10)) {
    signal(SIGTERM);
    const std::optional<int> status = wait(timeout);
    if (!status) kill();
    return status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
  }

  // Captured stdout so far.
  std::string output() const {
    std::lock_guard lock(mutex_);
    return output_;
  }
  // Waits until stdout holds `needle` at least `occurrences` times.
  bool waitForOutput(std::string_view needle, Milliseconds timeout, std::size_t occurrences = 1) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, scaled(timeout), [&] { return count(output_, needle) >= occurrences; });
  }
  // stdout and the log, for failure messages.
  std::string describe() const {
    return name_ + " stdout:\n" + output() + "\n" + name_ + " log (" + logFile_.string() + "):\n" + readFile(logFile_);
  }

  static std::size_t count(std::string_view text, std::string_view needle) {
    std::size_t n = 0;
    for (std::size_t at = text.find(needle); at != std::string_view::npos; at = text.find(needle, at + 1)) ++n;
    return n;
  }

 private:
  // Waits until stdout was read to its end (closed by the process as it exited).
  bool waitForOutputEnd(Milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, scaled(timeout), [&] { return outputClosed_; });
  }
  bool reap(bool block) {
    int status = 0;
    const pid_t result = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
    if (result == pid_ || (result < 0 && errno == ECHILD)) {
      exited_ = true;
      status_ = status;
    }
    return exited_;
  }
  void readOutput(int fd) {
    char buffer[4096];
    for (;;) {
      const ssize_t n = ::read(fd, buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      std::lock_guard lock(mutex_);
      output_.append(buffer, static_cast<std::size_t>(n));
      changed_.notify_all();
    }
    ::close(fd);
    std::lock_guard lock(mutex_);
    outputClosed_ = true;
    changed_.notify_all();
  }

  std::string name_;
  std::filesystem::path logFile_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int status_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string output_;
  bool outputClosed_ = false;
  std::thread reader_;
};

}  // namespace wbemtest
