// LinuxProcessProvider: Linux_Process instances from /proc.

#include <wbem/classobject.hpp>
#include <wbem/datetime.hpp>
#include <wbem/linux_providers.hpp>
#include <wbem/names.hpp>
#include <wbem/value.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <dirent.h>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unistd.h>
#include <utility>
#include <vector>

#include "procfs.hpp"
#include "provider_support.hpp"

namespace wbem {
namespace {

constexpr std::string_view kProcessClass = "Linux_Process";

std::int64_t requireBootTime() {
  const auto btime = procfs::bootTime();
  if (!btime) throw Error(WBEM_E_FAILED, "the boot time (btime) cannot be read from /proc/stat");
  return *btime;
}

long clockTicksPerSecond() {
  const long ticks = ::sysconf(_SC_CLK_TCK);
  return ticks > 0 ? ticks : 100;  // USER_HZ is 100 on every Linux architecture
}

// The slots of Linux_Process, resolved once per enumeration (the class may be redeclared).
struct ProcessSlots {
  PropertySlot handle, processId, parentProcessId, name, commandLine, executablePath, creationDate, userId, threadCount,
      workingSetSize;

  explicit ProcessSlots(const ClassDef& def)
      : handle(linuxprov::requireSlot(def, "Handle", CimType::String)),
        processId(linuxprov::requireSlot(def, "ProcessId", CimType::UInt32)),
        parentProcessId(linuxprov::requireSlot(def, "ParentProcessId", CimType::UInt32)),
        name(linuxprov::requireSlot(def, "Name", CimType::String)),
        commandLine(linuxprov::requireSlot(def, "CommandLine", CimType::String)),
        executablePath(linuxprov::requireSlot(def, "ExecutablePath", CimType::String)),
        creationDate(linuxprov::requireSlot(def, "CreationDate", CimType::DateTime)),
        userId(linuxprov::requireSlot(def, "UserId", CimType::UInt32)),
        threadCount(linuxprov::requireSlot(def, "ThreadCount", CimType::UInt32)),
        workingSetSize(linuxprov::requireSlot(def, "WorkingSetSize", CimType::UInt64)) {}
};

// Closes a directory stream at scope exit.
struct DirCloser {
  void operator()(DIR* dir) const noexcept { ::closedir(dir); }
};

}  // namespace

LinuxProcessProvider::LinuxProcessProvider(const Namespace& ns)
    : ns_(ns), bootTime_(requireBootTime()), ticksPerSecond_(clockTicksPerSecond()) {}

std::vector<ObjectPtr> LinuxProcessProvider::createInstanceEnum(std::string_view className) {
  if (!iequals(className, kProcessClass))
    throw Error(WBEM_E_INVALID_CLASS, "Linux_ProcessProvider serves Linux_Process, not " + std::string(className));
  const ObjectPtr cls = ns_.getClass(kProcessClass);
  const ProcessSlots slots(cls->definition());

  const std::unique_ptr<DIR, DirCloser> proc(::opendir("/proc"));
  if (!proc) throw Error(WBEM_E_FAILED, "/proc cannot be listed");
  const int procFd = ::dirfd(proc.get());
  const auto boot = std::chrono::system_clock::time_point(std::chrono::seconds(bootTime_));

  std::vector<ObjectPtr> instances;
  while (const dirent* entry = ::readdir(proc.get())) {
    // Only the numeric entries are processes (thread-group leaders; threads are under task/).
    const std::string_view name(entry->d_name);
    std::uint32_t pid = 0;
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (ec != std::errc() || end != name.data() + name.size()) continue;

    std::optional<procfs::ProcessInfo> info = procfs::readProcess(procFd, pid, procfs::Detail::Full);
    if (!info) continue;  // it exited while we read it

    ClassObject instance = cls->spawnInstance();
    char digits[16];
    const auto handleEnd = std::to_chars(digits, digits + sizeof digits, pid).ptr;
    instance.putExact(slots.handle, Value(std::string(digits, handleEnd)));
    instance.putExact(slots.processId, Value(pid));
    instance.putExact(slots.parentProcessId, Value(info->ppid));
    instance.putExact(slots.name, Value(std::move(info->comm)));
    if (info->commandLine) instance.putExact(slots.commandLine, Value(std::move(*info->commandLine)));
    if (info->executablePath) instance.putExact(slots.executablePath, Value(std::move(*info->executablePath)));
    const auto started =
        std::chrono::microseconds(static_cast<std::int64_t>(info->startTicks) * 1'000'000 / ticksPerSecond_);
    instance.putExact(slots.creationDate,
                      Value(DateTime::fromTimePoint(
                          boot + std::chrono::duration_cast<std::chrono::system_clock::duration>(started))));
    instance.putExact(slots.userId, Value(info->uid));
    instance.putExact(slots.threadCount, Value(info->threads));
    instance.putExact(slots.workingSetSize, Value(info->rssBytes));
    instances.push_back(share(std::move(instance)));
  }
  return instances;
}

}  // namespace wbem
