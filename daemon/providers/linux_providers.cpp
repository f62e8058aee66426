// The Linux providers' MOF and their registration in an event service.

#include <wbem/linux_providers.hpp>
#include <wbem/mof.hpp>
#include <wbem/names.hpp>

#include <algorithm>
#include <memory>
#include <spdlog/spdlog.h>
#include <string>

namespace wbem {
namespace {

// Creates `name` and whichever of its parents are missing ("root" always exists).
Namespace& ensureNamespace(EventService& service, std::string_view name) {
  if (Namespace* ns = service.findNamespace(name)) return *ns;
  std::string path;
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t end = std::min(name.find_first_of("/\\", start), name.size());
    if (end > start) {
      if (!path.empty()) path += '\\';
      path.append(name.substr(start, end - start));
      if (!service.findNamespace(path)) {
        try {
          service.createNamespace(path);
        } catch (const Error& e) {
          if (e.status() != WBEM_E_ALREADY_EXISTS) throw;  // another thread was first: fine
        }
      }
    }
    start = end + 1;
  }
  return service.getNamespace(name);
}

}  // namespace

std::string linuxProvidersMof() {
  return R"mof(// The Linux providers of wbemd, for root\cimv2.

// A process (WMI: Win32_Process), as /proc shows it at each enumeration.
[Dynamic, Provider("Linux_ProcessProvider")]
class Linux_Process
{
  [key] string Handle;      // the process id in decimal
  uint32 ProcessId;
  uint32 ParentProcessId;
  string Name;              // comm: the executable's name, up to 15 bytes
  string CommandLine;       // the arguments joined by spaces; NULL for kernel threads and zombies
  string ExecutablePath;    // the target of /proc/PID/exe; NULL when it cannot be read
  datetime CreationDate;    // start time (boot time + starttime), to the clock tick
  uint32 UserId;            // the real user id
  uint32 ThreadCount;
  uint64 WorkingSetSize;    // resident set size (VmRSS) in bytes; 0 for kernel threads
};

// Raised when a process calls exec() (WMI: Win32_ProcessStartTrace). The values are read from
// /proc when the kernel reports the exec; only ProcessId is set when the process exited already.
class Linux_ProcessStartTrace : __ExtrinsicEvent
{
  uint32 ProcessId;
  uint32 ParentProcessId;
  string ProcessName;       // comm, as Linux_Process.Name
  uint32 UserId;            // the real user id
};

instance of __Win32Provider as $StartTrace
{
  Name = "Linux_ProcessStartTraceProvider";
};

instance of __EventProviderRegistration
{
  provider = $StartTrace;
  EventQueryList = {"SELECT * FROM Linux_ProcessStartTrace"};
};
)mof";
}

void registerLinuxProviders(EventService& service, std::string_view ns) {
  Namespace& target = ensureNamespace(service, ns);
  MofOptions options;
  options.defaultNamespace = target.name();
  options.allowIncludes = false;
  // Unchanged classes are left alone by the compiler, so running this on a namespace restored
  // from a repository changes nothing but the two provider instances, put again as they were.
  const MofResult result =
      MofCompiler([&target](const std::string& name) { return iequals(name, target.name()) ? &target : nullptr; },
                  options)
          .compileText(linuxProvidersMof(), "linux_providers.mof");
  if (!result.ok())
    throw Error(result.diagnostics.front().status, "the Linux provider classes do not compile into " + target.name() +
                                                       ": " + result.diagnostics.front().toString());

  service.addInstanceProvider(target.name(), kLinuxProcessProviderName, std::make_shared<LinuxProcessProvider>(target));
  if (!LinuxProcessStartTraceProvider::available()) return;  // available() logged why
  try {
    service.addEventProvider(target.name(), kLinuxProcessStartTraceProviderName,
                             std::make_shared<LinuxProcessStartTraceProvider>(target));
  } catch (const Error& e) {
    if (e.status() != WBEM_E_ALREADY_EXISTS) throw;
    spdlog::debug("{} is already bound in {}", kLinuxProcessStartTraceProviderName, target.name());
  }
}

}  // namespace wbem
