// LinuxProcessStartTraceProvider: Linux_ProcessStartTrace from the kernel's process-event
// connector (linux/cn_proc.h). A netlink socket bound to the CN_IDX_PROC group and subscribed
// with PROC_CN_MCAST_LISTEN receives one datagram per process event of the whole system; a
// PROC_EVENT_EXEC becomes one event.

#include <wbem/classobject.hpp>
#include <wbem/linux_providers.hpp>
#include <wbem/value.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <optional>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <string>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "procfs.hpp"
#include "provider_support.hpp"

namespace wbem {
namespace {

constexpr std::string_view kEventClass = "Linux_ProcessStartTrace";
// How long available() waits for the event of its probe child.
constexpr int kProbeTimeoutMs = 2000;
// The socket's receive buffer: room for bursts (a parallel build execs thousands a second).
constexpr int kReceiveBufferBytes = 1 << 20;

std::string errnoText(int error) { return std::strerror(error); }

// Sends PROC_CN_MCAST_LISTEN or _IGNORE; 0 or the errno. The kernel's acknowledgement (a
// PROC_EVENT_NONE to every listener) carries `seq`.
int sendControl(int fd, proc_cn_mcast_op op, std::uint32_t seq = 0) {
  // nlmsghdr | cn_msg | op, built byte-wise: cn_msg ends in a flexible array.
  constexpr std::size_t kPayload = sizeof(cn_msg) + sizeof(std::uint32_t);
  alignas(nlmsghdr) std::array<char, NLMSG_SPACE(kPayload)> buffer{};
  nlmsghdr header{};
  header.nlmsg_len = NLMSG_LENGTH(kPayload);
  header.nlmsg_type = NLMSG_DONE;
  header.nlmsg_pid = static_cast<std::uint32_t>(::getpid());
  std::memcpy(buffer.data(), &header, sizeof header);
  cn_msg message{};
  message.id.idx = CN_IDX_PROC;
  message.id.val = CN_VAL_PROC;
  message.seq = seq;
  message.len = sizeof(std::uint32_t);
  std::memcpy(buffer.data() + NLMSG_HDRLEN, &message, sizeof message);
  const auto value = static_cast<std::uint32_t>(op);
  std::memcpy(buffer.data() + NLMSG_HDRLEN + sizeof(cn_msg), &value, sizeof value);
  if (::send(fd, buffer.data(), header.nlmsg_len, 0) < 0) return errno;
  return 0;
}

// A connector socket bound to CN_IDX_PROC and subscribed, or -1 with `why` set.
int openConnector(std::string& why, std::uint32_t seq = 0) {
  const int fd = ::socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
  if (fd < 0) {
    why = "netlink connector socket: " + errnoText(errno);
    return -1;
  }
  // SO_RCVBUFFORCE passes the rmem_max cap (we hold CAP_NET_ADMIN when the connector works at all).
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &kReceiveBufferBytes, sizeof kReceiveBufferBytes) < 0)
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kReceiveBufferBytes, sizeof kReceiveBufferBytes);
  sockaddr_nl address{};
  address.nl_family = AF_NETLINK;
  address.nl_groups = CN_IDX_PROC;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) < 0) {
    why = "bind to the CN_IDX_PROC group: " + errnoText(errno);
    ::close(fd);
    return -1;
  }
  if (const int error = sendControl(fd, PROC_CN_MCAST_LISTEN, seq)) {
    why = "PROC_CN_MCAST_LISTEN: " + errnoText(error);
    ::close(fd);
    return -1;
  }
  return fd;
}

// Unsubscribes (the kernel counts listeners) and closes.
void closeConnector(int fd) {
  sendControl(fd, PROC_CN_MCAST_IGNORE);
  ::close(fd);
}

// Reads one datagram from the kernel and calls `f(proc_event, seq)` for each process event in it.
// Returns 0, or the errno of recvfrom (EINTR/EAGAIN included). Datagrams not from the kernel
// (nl_pid 0) are ignored: another process could forge them.
template <typename F>
int receiveEvents(int fd, F&& f) {
  alignas(nlmsghdr) std::array<char, 8192> buffer;
  sockaddr_nl from{};
  socklen_t fromLength = sizeof from;
  const ssize_t n = ::recvfrom(fd, buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&from), &fromLength);
  if (n < 0) return errno;
  if (from.nl_pid != 0) return 0;
  int remaining = static_cast<int>(n);
  for (auto* header = reinterpret_cast<nlmsghdr*>(buffer.data()); NLMSG_OK(header, remaining);
       header = NLMSG_NEXT(header, remaining)) {
    if (header->nlmsg_type == NLMSG_ERROR || header->nlmsg_type == NLMSG_NOOP) continue;
    const char* payload = static_cast<const char*>(NLMSG_DATA(header));
    const std::size_t size = header->nlmsg_len - NLMSG_HDRLEN;
    if (size < sizeof(cn_msg)) continue;
    cn_msg message;
    std::memcpy(&message, payload, sizeof message);
    if (message.id.idx != CN_IDX_PROC || message.id.val != CN_VAL_PROC) continue;
    // proc_event lies at an offset that is not 8-aligned: copied out, never read in place.
    proc_event event{};
    std::memcpy(&event, payload + sizeof(cn_msg),
                std::min<std::size_t>({sizeof event, message.len, size - sizeof(cn_msg)}));
    f(event, message.seq);
  }
  return 0;
}

// The probe behind available(): opens the connector and waits for the fork of a child that exits
// at once. Empty when it works, otherwise why not.
std::string probeConnector() {
  std::string why;
  // Acknowledgements go to every listener: ours is the one with our pid as sequence number.
  const auto seq = static_cast<std::uint32_t>(::getpid());
  const int fd = openConnector(why, seq);
  if (fd < 0) return why;
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  if (child < 0) {
    why = "fork: " + errnoText(errno);
    closeConnector(fd);
    return why;
  }
  bool seen = false;
  std::uint32_t refused = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kProbeTimeoutMs);
  while (!seen && refused == 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) break;
    pollfd ready{fd, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(left)) <= 0) continue;
    receiveEvents(fd, [&](const proc_event& event, std::uint32_t eventSeq) {
      if (event.what == proc_event::PROC_EVENT_NONE && eventSeq == seq) refused = event.event_data.ack.err;
      if (event.what == proc_event::PROC_EVENT_FORK && event.event_data.fork.child_tgid == child) seen = true;
      if (event.what == proc_event::PROC_EVENT_EXIT && event.event_data.exit.process_tgid == child) seen = true;
    });
  }
  ::waitpid(child, nullptr, 0);
  closeConnector(fd);
  if (seen) return {};
  if (refused != 0) return "PROC_CN_MCAST_LISTEN refused: " + errnoText(static_cast<int>(refused));
  return "no process event arrived within " + std::to_string(kProbeTimeoutMs) +
         " ms (not the initial network namespace?)";
}

}  // namespace

// The listener thread and the socket it reads; destroying it stops and joins the thread.
class LinuxProcessStartTraceProvider::Listener {
 public:
  // Opens the connector; throws wbem::Error(WBEM_E_ACCESS_DENIED) saying why it cannot.
  explicit Listener(LinuxProcessStartTraceProvider& owner) : owner_(owner) {
    std::string why;
    socket_ = openConnector(why);
    if (socket_ < 0) throw Error(WBEM_E_ACCESS_DENIED, why);
    wake_ = ::eventfd(0, EFD_CLOEXEC);
    if (wake_ < 0) {
      const int error = errno;
      closeConnector(socket_);
      throw Error(WBEM_E_FAILED, "eventfd: " + errnoText(error));
    }
    thread_ = std::thread([this] { run(); });
  }
  ~Listener() {
    const std::uint64_t one = 1;
    if (::write(wake_, &one, sizeof one) < 0) spdlog::error("process start trace: cannot wake the listener");
    thread_.join();
    closeConnector(socket_);
    ::close(wake_);
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

 private:
  void run() {
    std::array<pollfd, 2> fds{pollfd{socket_, POLLIN, 0}, pollfd{wake_, POLLIN, 0}};
    bool overrunLogged = false;
    while (true) {
      if (::poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        spdlog::error("process start trace: poll failed ({}); no more events", errnoText(errno));
        return;
      }
      if (fds[1].revents != 0) return;
      if (fds[0].revents == 0) continue;
      const int error = receiveEvents(socket_, [this](const proc_event& event, std::uint32_t) {
        if (event.what == proc_event::PROC_EVENT_EXEC)
          owner_.raise(static_cast<std::uint32_t>(event.event_data.exec.process_tgid));
      });
      if (error == ENOBUFS) {
        // The kernel dropped events because we fell behind; keep going with the next ones.
        if (!overrunLogged) spdlog::warn("process start trace: receive buffer overrun, some process starts were lost");
        overrunLogged = true;
      } else if (error != 0 && error != EINTR && error != EAGAIN) {
        spdlog::error("process start trace: receive failed ({}); no more events", errnoText(error));
        return;
      }
    }
  }

  LinuxProcessStartTraceProvider& owner_;
  int socket_ = -1;
  int wake_ = -1;
  std::thread thread_;
};

LinuxProcessStartTraceProvider::LinuxProcessStartTraceProvider(const Namespace& ns) : ns_(ns) {}

LinuxProcessStartTraceProvider::~LinuxProcessStartTraceProvider() {
  std::lock_guard lock(control_);
  stopListening();
}

bool LinuxProcessStartTraceProvider::available() {
  static const bool works = [] {
    const std::string why = probeConnector();
    if (!why.empty())
      spdlog::warn("Linux_ProcessStartTrace is not available: the kernel process-event connector cannot be used ({})",
                   why);
    return why.empty();
  }();
  return works;
}

Status LinuxProcessStartTraceProvider::provideEvents(std::shared_ptr<EventSink> sink, std::int32_t) {
  std::lock_guard lock(sinkMutex_);
  sink_ = std::move(sink);
  return WBEM_S_NO_ERROR;
}

Status LinuxProcessStartTraceProvider::newQuery(std::uint32_t id, std::string_view, std::string_view) {
  std::lock_guard lock(control_);
  queries_.insert(id);
  if (listener_) return WBEM_S_NO_ERROR;
  try {
    listener_ = std::make_unique<Listener>(*this);
  } catch (const Error& e) {
    if (!openFailureLogged_)
      spdlog::error("Linux_ProcessStartTrace: cannot listen to the process-event connector: {}", e.message());
    openFailureLogged_ = true;
    return e.status();
  }
  return WBEM_S_NO_ERROR;
}

Status LinuxProcessStartTraceProvider::cancelQuery(std::uint32_t id) {
  std::lock_guard lock(control_);
  queries_.erase(id);
  if (queries_.empty()) stopListening();
  return WBEM_S_NO_ERROR;
}

void LinuxProcessStartTraceProvider::shutdown(std::int32_t, std::uint32_t) {
  {
    std::lock_guard lock(control_);
    queries_.clear();
    stopListening();
  }
  std::lock_guard lock(sinkMutex_);
  sink_.reset();
}

bool LinuxProcessStartTraceProvider::listening() const {
  std::lock_guard lock(control_);
  return listener_ != nullptr;
}

void LinuxProcessStartTraceProvider::stopListening() {
  // The listener thread takes only sinkMutex_, so joining it here under control_ cannot deadlock.
  listener_.reset();
}

void LinuxProcessStartTraceProvider::raise(std::uint32_t pid) {
  std::shared_ptr<EventSink> sink;
  {
    std::lock_guard lock(sinkMutex_);
    sink = sink_;
  }
  if (!sink) return;  // newQuery came before provideEvents
  try {
    const ObjectPtr cls = ns_.getClass(kEventClass);
    const ClassDef& def = cls->definition();
    ClassObject event = cls->spawnInstance();
    event.putExact(linuxprov::requireSlot(def, "ProcessId", CimType::UInt32), Value(pid));
    // A process that exited already is still reported, with what is known: its pid.
    if (std::optional<procfs::ProcessInfo> info = procfs::readProcess(-1, pid, procfs::Detail::Basic)) {
      event.putExact(linuxprov::requireSlot(def, "ParentProcessId", CimType::UInt32), Value(info->ppid));
      event.putExact(linuxprov::requireSlot(def, "ProcessName", CimType::String), Value(std::move(info->comm)));
      event.putExact(linuxprov::requireSlot(def, "UserId", CimType::UInt32), Value(info->uid));
    }
    const Status status = sink->indicate(event);
    if (status == WBEM_E_SERVER_TOO_BUSY)
      spdlog::debug("Linux_ProcessStartTrace for {} dropped: the service is busy", pid);
  } catch (const Error& e) {
    // Once: the cause (the class deleted or redeclared) would repeat for every exec.
    if (!raiseFailureLogged_.exchange(true))
      spdlog::warn("Linux_ProcessStartTrace for {} not raised (and later failures not logged): {}", pid, e.message());
  }
}

}  // namespace wbem
