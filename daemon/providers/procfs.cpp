// Reading processes from /proc (see procfs.hpp). proc(5) gives the formats parsed here.

#include "procfs.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstddef>
#include <fcntl.h>
#include <string_view>
#include <unistd.h>

namespace wbem::procfs {
namespace {

// Up to this many bytes of a file are read; what we need of stat and status lies well within.
constexpr std::size_t kStatSize = 1024;
constexpr std::size_t kStatusSize = 4096;
constexpr std::size_t kCmdlineSize = 4096;

// Closes a file descriptor at scope exit.
class Fd {
 public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

// "<pid>/<name>" relative to procFd, or "/proc/<pid>/<name>" when procFd is -1, NUL-terminated.
struct ProcPath {
  std::array<char, 64> text{};

  ProcPath(int procFd, std::uint32_t pid, std::string_view name) {
    char* out = text.data();
    char* const end = text.data() + text.size() - 1;
    if (procFd < 0) {
      constexpr std::string_view prefix = "/proc/";
      out = std::copy(prefix.begin(), prefix.end(), out);
    }
    out = std::to_chars(out, end, pid).ptr;
    *out++ = '/';
    out = std::copy(name.begin(), name.end(), out);
    *out = '\0';
  }
  const char* c_str() const noexcept { return text.data(); }
};

int dirFd(int procFd) noexcept { return procFd < 0 ? AT_FDCWD : procFd; }

// One read() of the file into `buffer`: the bytes read, or -1 when the file cannot be read.
ssize_t readOnce(int procFd, const ProcPath& path, char* buffer, std::size_t size) noexcept {
  const Fd fd(::openat(dirFd(procFd), path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return -1;
  ssize_t n;
  do n = ::read(fd.get(), buffer, size);
  while (n < 0 && errno == EINTR);
  return n;
}

template <typename T>
bool parseNumber(std::string_view text, T& value) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  return std::from_chars(text.data(), text.data() + text.size(), value).ec == std::errc();
}

// The value after "\n<key>" in a status file (the key includes its colon), or empty.
std::string_view statusField(std::string_view status, std::string_view key) noexcept {
  std::size_t at = 0;
  while (true) {
    at = status.find(key, at);
    if (at == std::string_view::npos) return {};
    if (at == 0 || status[at - 1] == '\n') break;
    at += key.size();
  }
  std::string_view rest = status.substr(at + key.size());
  return rest.substr(0, rest.find('\n'));
}

// ppid, starttime and comm from /proc/PID/stat: "pid (comm) state ppid ... starttime ...". comm
// may hold spaces and parentheses, so it ends at the last ')'.
bool parseStat(std::string_view stat, ProcessInfo& info) {
  const std::size_t open = stat.find('(');
  const std::size_t close = stat.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return false;
  info.comm.assign(stat.substr(open + 1, close - open - 1));
  std::string_view rest = stat.substr(close + 1);
  // Fields after comm, from 0: state, ppid (1), ..., starttime (19) — proc(5) fields 3, 4 and 22.
  for (int field = 0; field <= 19; ++field) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    const std::size_t end = rest.find(' ');
    const std::string_view token = rest.substr(0, end);
    if (token.empty()) return false;
    if (field == 1 && !parseNumber(token, info.ppid)) return false;
    if (field == 19) return parseNumber(token, info.startTicks);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  return false;
}

bool parseStatus(std::string_view status, ProcessInfo& info) {
  if (!parseNumber(statusField(status, "Uid:"), info.uid)) return false;  // real, effective, saved, fs
  if (!parseNumber(statusField(status, "Threads:"), info.threads)) return false;
  std::uint64_t rssKb = 0;
  if (parseNumber(statusField(status, "VmRSS:"), rssKb)) info.rssBytes = rssKb * 1024;  // absent for kernel threads
  return true;
}

// cmdline with its NUL separators as spaces (the trailing one dropped); none when empty, as for
// kernel threads and zombies. Long command lines take more reads.
std::optional<std::string> readCommandLine(int procFd, std::uint32_t pid) {
  std::array<char, kCmdlineSize> buffer;
  const ProcPath path(procFd, pid, "cmdline");
  const Fd fd(::openat(dirFd(procFd), path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return std::nullopt;
  std::string text;
  while (true) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer.data(), static_cast<std::size_t>(n));
    if (static_cast<std::size_t>(n) < buffer.size()) break;
  }
  while (!text.empty() && text.back() == '\0') text.pop_back();
  if (text.empty()) return std::nullopt;
  for (char& c : text)
    if (c == '\0') c = ' ';
  return text;
}

std::optional<std::string> readExecutable(int procFd, std::uint32_t pid) {
  std::array<char, PATH_MAX> buffer;
  const ProcPath path(procFd, pid, "exe");
  const ssize_t n = ::readlinkat(dirFd(procFd), path.c_str(), buffer.data(), buffer.size());
  if (n <= 0) return std::nullopt;
  return std::string(buffer.data(), static_cast<std::size_t>(n));
}

}  // namespace

std::optional<ProcessInfo> readProcess(int procFd, std::uint32_t pid, Detail detail) {
  ProcessInfo info;
  info.pid = pid;
  {
    std::array<char, kStatSize> buffer;
    const ssize_t n = readOnce(procFd, ProcPath(procFd, pid, "stat"), buffer.data(), buffer.size());
    if (n <= 0 || !parseStat(std::string_view(buffer.data(), static_cast<std::size_t>(n)), info)) return std::nullopt;
  }
  {
    std::array<char, kStatusSize> buffer;
    const ssize_t n = readOnce(procFd, ProcPath(procFd, pid, "status"), buffer.data(), buffer.size());
    if (n <= 0 || !parseStatus(std::string_view(buffer.data(), static_cast<std::size_t>(n)), info)) return std::nullopt;
  }
  if (detail == Detail::Full) {
    info.commandLine = readCommandLine(procFd, pid);
    info.executablePath = readExecutable(procFd, pid);
  }
  return info;
}

std::optional<std::int64_t> bootTime() {
  // Read once per provider, so a plain loop: the intr line before btime can be long.
  const Fd fd(::open("/proc/stat", O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return std::nullopt;
  std::string text;
  std::array<char, 4096> buffer;
  while (true) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer.data(), static_cast<std::size_t>(n));
  }
  std::int64_t btime = 0;
  if (!parseNumber(statusField(text, "btime"), btime)) return std::nullopt;
  return btime;
}

}  // namespace wbem::procfs
