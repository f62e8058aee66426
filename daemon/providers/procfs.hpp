#pragma once
// Reading processes from /proc, for both Linux providers. Each file is read with one read() into a
// stack buffer and parsed in place: an enumeration reads thousands of them every second.

#include <cstdint>
#include <optional>
#include <string>

namespace wbem::procfs {

/// What /proc says of one process.
struct ProcessInfo {
  std::uint32_t pid = 0;
  std::uint32_t ppid = 0;
  std::uint32_t uid = 0;                      ///< real uid (status Uid:)
  std::uint32_t threads = 0;                  ///< status Threads:
  std::uint64_t rssBytes = 0;                 ///< status VmRSS: in bytes; 0 for kernel threads
  std::uint64_t startTicks = 0;               ///< stat starttime: clock ticks after boot
  std::string comm;                           ///< stat comm, the same text as /proc/PID/comm
  std::optional<std::string> commandLine;     ///< cmdline, NULs as spaces; none when empty
  std::optional<std::string> executablePath;  ///< readlink exe; none when not readable
};

/// Which parts readProcess reads: Basic skips cmdline and exe.
enum class Detail { Basic, Full };

/// Reads process `pid` through `procFd`, an open directory fd of /proc (or AT_FDCWD for
/// "/proc/..." paths, when procFd is -1). nullopt when the process is gone or its stat/status
/// cannot be read. Thread-safe.
std::optional<ProcessInfo> readProcess(int procFd, std::uint32_t pid, Detail detail);

/// /proc/stat btime: the boot time in seconds since the epoch; nullopt when unreadable.
/// Thread-safe.
std::optional<std::int64_t> bootTime();

}  // namespace wbem::procfs
