// Benchmark of the daemon's event path across processes: a decoupled provider process raises
// Bench_Event through its sink, the daemon (wbem::Server over an EventService, in a process of its
// own, as wbemd hosts it) matches it against a client's `SELECT * FROM Bench_Event` and sends it to
// the client process (this one), whose ObjectSink checks and counts it. Prints events/s measured at
// the client from the first to the last event of a burst, and the one-way latency p50/p99 of events
// raised 1 ms apart (each carries its send time from CLOCK_MONOTONIC, which every process shares).
//
// Baseline, measured in the same run: a raw two-process Unix stream socket with the same codec and
// batching. A producer process raises the same events into a bounded lock-free queue that a writer
// thread drains as the decoupled provider's I/O thread does (up to 256 events per Indicate frame,
// cut at about 64 KiB, each sent as soon as it is encoded: a batch leaves when full or when the
// producer goes idle); the consumer (a thread of this process) unframes and decodes them as the
// client library does and hands them to the same counting sink. So the real path differs only by
// the daemon hop, the filter matching and the delivery queues. The unit of latency is a round trip:
// a small frame (one steady-state event) ping-ponged between two processes, also 1 ms apart.
// Targets: events/s >= 0.5x the baseline; low-rate p50 <= 2 round trips. Also printed, to explain
// the figures: each process's CPU time per event (schedstat, spin-waits included), the events per
// sink call as batches arrived, and the daemon's drop counters.
// A full provider queue (WBEM_E_SERVER_TOO_BUSY) is retried after 1 ms, so nothing is lost there;
// events lost further on are counted from the sequence numbers and the daemon's counters.
// Run in a Release build: bench_daemon [--quick]   (it starts its helper processes itself)

#include <wbem/client.hpp>
#include <wbem/decoupled_provider.hpp>
#include <wbem/detail/concurrent_queue.hpp>
#include <wbem/event_service.hpp>
#include <wbem/mof.hpp>
#include <wbem/namespace.hpp>
#include <wbem/protocol.hpp>
#include <wbem/server.hpp>
#include <wbem/wire.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <poll.h>
#include <semaphore>
#include <spawn.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <time.h>
#include <unistd.h>
#include <vector>

extern char** environ;

using namespace wbem;

namespace {

constexpr const char* kNs = "root/cimv2";
constexpr const char* kEventMof = R"(
class Bench_Event : __ExtrinsicEvent { uint64 Seq; sint64 SentNs; string Source; uint32 Kind; real64 Load; };
)";
constexpr const char* kProviderMof = R"(
instance of __Win32Provider as $P { Name = "BenchProvider"; HostingModel = "Decoupled:Com"; };
instance of __EventProviderRegistration { provider = $P; EventQueryList = {"SELECT * FROM Bench_Event"}; };
)";
constexpr const char* kSource = "bench-provider";
constexpr std::uint32_t kBurstKind = 1;
constexpr std::uint32_t kPacedKind = 2;
constexpr auto kInterval = std::chrono::microseconds(1000);  // between low-rate events and pings

// The decoupled provider's batching (decoupled_provider.cpp), which the baseline copies.
constexpr std::int64_t kMaxQueuedEvents = 65536;
constexpr std::uint64_t kBatchBytes = 64u << 10;
constexpr std::size_t kDequeueChunk = 256;
// The client library's read size (client_session.cpp).
constexpr std::size_t kReadChunk = 64u << 10;

int failedChecks = 0;

void check(bool ok, const std::string& what) {
  if (ok) return;
  ++failedChecks;
  std::printf("!! %s\n", what.c_str());
}

// CLOCK_MONOTONIC: one clock for every process of the machine.
std::int64_t monotonicNs() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

// Helper processes log only warnings, to stderr: their stdout carries the replies to this process.
void quietLogs() {
  auto logger = spdlog::stderr_color_mt("bench");
  logger->set_level(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

// One line to the parent, unbuffered.
void reply(const std::string& line) {
  const std::string text = line + "\n";
  [[maybe_unused]] const ssize_t written = ::write(1, text.data(), text.size());
}

// --- sockets --------------------------------------------------------------------------------------

sockaddr_un addressOf(const std::filesystem::path& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  return address;
}

int listenOn(const std::filesystem::path& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const sockaddr_un address = addressOf(path);
  if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 || ::listen(fd, 1) != 0)
    throw Error(WBEM_E_FAILED, "cannot listen on " + path.string() + ": " + std::strerror(errno));
  return fd;
}

// The first connection to `listener` (closed), within 30 s.
int acceptOne(int listener) {
  pollfd ready{listener, POLLIN, 0};
  const int fd = ::poll(&ready, 1, 30000) == 1 ? ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC) : -1;
  ::close(listener);
  if (fd < 0) throw Error(WBEM_E_FAILED, "no helper process connected");
  return fd;
}

int connectTo(const std::filesystem::path& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const sockaddr_un address = addressOf(path);
  if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0)
    throw Error(WBEM_E_FAILED, "cannot connect to " + path.string() + ": " + std::strerror(errno));
  return fd;
}

bool writeAll(int fd, const std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool readAll(int fd, std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::recv(fd, data, size, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// --- helper processes -----------------------------------------------------------------------------

// This program again (/proc/self/exe --role ...), talking lines over its stdin and stdout;
// stderr is shared. The destructor closes its stdin (helpers end on EOF) and reaps it, killing it
// when it does not end within 10 s.
class Child {
 public:
  explicit Child(std::vector<std::string> args) {
    int toChild[2];
    int fromChild[2];
    if (::pipe2(toChild, O_CLOEXEC) != 0 || ::pipe2(fromChild, O_CLOEXEC) != 0)
      throw Error(WBEM_E_FAILED, "pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, toChild[0], 0);
    posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1);
    // Asio opens its sockets without CLOEXEC: none of this process's may leak into the helper.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    args.insert(args.begin(), {"/proc/self/exe", "--role"});
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const int error = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(toChild[0]);
    ::close(fromChild[1]);
    in_ = toChild[1];
    out_ = fromChild[0];
    if (error != 0) {
      pid_ = -1;
      ::close(in_);
      ::close(out_);
      throw Error(WBEM_E_FAILED, std::string("posix_spawn: ") + std::strerror(error));
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() { finish(); }

  pid_t pid() const noexcept { return pid_; }

  void command(const std::string& line) {
    const std::string text = line + "\n";
    [[maybe_unused]] const ssize_t written = ::write(in_, text.data(), text.size());  // fits a pipe's buffer
  }

  // The helper's next line; empty when it ended or said nothing for `timeout`.
  std::string readLine(std::chrono::milliseconds timeout = std::chrono::seconds(120)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (const auto end = buffer_.find('\n'); end != std::string::npos) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 1);
        return line;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd ready{out_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&ready, 1, static_cast<int>(left.count())) != 1) return {};
      char chunk[256];
      const ssize_t n = ::read(out_, chunk, sizeof(chunk));
      if (n <= 0) return {};
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  // Closes its stdin and waits for it; true when it exited with 0.
  bool finish() {
    if (pid_ < 0) return exitedOk_;
    if (in_ >= 0) ::close(in_);
    in_ = -1;
    int status = 0;
    for (int i = 0; i < 1000 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (::waitpid(pid_, &status, WNOHANG) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    ::close(out_);
    pid_ = -1;
    exitedOk_ = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    return exitedOk_;
  }

 private:
  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
  std::string buffer_;
  bool exitedOk_ = false;
};

// CPU time every thread of process `pid` has run so far (schedstat: nanoseconds, exact).
std::int64_t cpuNs(pid_t pid) {
  std::int64_t total = 0;
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", error)) {
    std::ifstream in(task.path() / "schedstat");
    std::int64_t ns = 0;
    if (in >> ns) total += ns;
  }
  return total;
}

// --- raising events (provider and baseline producer) ----------------------------------------------

// Runs the parent's commands, raising through `indicate` (retried after 1 ms while it answers
// WBEM_E_SERVER_TOO_BUSY), until stdin ends:
//   burst SEQ N         N events back to back, Seq from SEQ   -> "sent RETRIES"
//   paced SEQ N         N events, each after a kInterval sleep -> "sent RETRIES"
template <typename Indicate>
int serveCommands(ClassObject event, Indicate indicate) {
  const PropertySlot seqSlot = *event.slotOf("Seq");
  const PropertySlot sentSlot = *event.slotOf("SentNs");
  const PropertySlot kindSlot = *event.slotOf("Kind");
  const PropertySlot loadSlot = *event.slotOf("Load");
  event.put("Source", Value(kSource));
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream words(line);
    std::string what;
    std::uint64_t first = 0;
    std::uint64_t count = 0;
    words >> what >> first >> count;
    const bool paced = what == "paced";
    std::uint64_t retries = 0;
    for (std::uint64_t seq = first; seq < first + count; ++seq) {
      // Relative sleeps: after an oversleep the next event still goes alone, never in a catch-up burst.
      if (paced) std::this_thread::sleep_for(kInterval);
      event.putExact(seqSlot, Value(static_cast<unsigned long long>(seq)));
      event.putExact(kindSlot, Value(paced ? kPacedKind : kBurstKind));
      event.putExact(loadSlot, Value(static_cast<double>(seq) / 8));
      event.putExact(sentSlot, Value(static_cast<long long>(monotonicNs())));
      Status status;
      while ((status = indicate(event)) == WBEM_E_SERVER_TOO_BUSY) {
        ++retries;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      if (isError(status)) {
        reply("failed " + std::string(statusName(status)));
        return 3;
      }
    }
    reply("sent " + std::to_string(retries));
  }
  return 0;
}

// --role provider SOCKET: the decoupled provider process.
int runProvider(const std::string& socket) {
  DecoupledBasicEventProvider registrar({.socketPath = socket, .software = "bench_daemon provider"});
  const Status status = registrar.registerProvider(0, "", "", kNs, "BenchProvider", nullptr);
  if (isError(status)) {
    reply("failed " + std::string(statusName(status)));
    return 2;
  }
  const std::shared_ptr<EventSink> sink = registrar.getSink();
  // The client subscribed before this process started: wait for the daemon's NewQuery.
  for (int i = 0; i < 10000 && sink->isActive() != WBEM_S_NO_ERROR; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (sink->isActive() != WBEM_S_NO_ERROR) {
    reply("failed: no subscription reached the provider");
    return 2;
  }
  reply("ready");
  const int result = serveCommands(registrar.getService()->getObject("Bench_Event")->spawnInstance(),
                                   [&](const ClassObject& event) { return sink->indicate(event); });
  registrar.unregister();
  return result;
}

// --role daemon SOCKET: the daemon's socket side over an event service, as wbemd hosts it (no
// repository: nothing on the event path touches it).
int runDaemon(const std::string& socket) {
  EventService service;
  if (!service.findNamespace(kNs)) service.createNamespace(kNs);
  Server server(service, nullptr, {.socketPath = socket});
  server.start();
  reply("ready");
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  server.stop();
  return 0;
}

// The baseline's sending side: the decoupled provider's queue and batching on a plain socket.
// indicate() copies the event (stamping TIME_CREATED) into a bounded lock-free queue and wakes the
// writer unless a wake-up is pending; the writer drains 256 events at a time into Indicate frames
// cut at kBatchBytes, each sent as soon as it is encoded as far as the socket takes it without
// waiting; once it does not take all, frames queue up and go (blocking) when the queue is drained.
class BaselineSender {
 public:
  explicit BaselineSender(int fd) : fd_(fd), writer_([this] { writeLoop(); }) {}
  BaselineSender(const BaselineSender&) = delete;
  BaselineSender& operator=(const BaselineSender&) = delete;
  ~BaselineSender() {
    stop_.store(true);
    wake_.release();
    writer_.join();
  }

  Status indicate(const ClassObject& event) {
    if (queued_.fetch_add(1, std::memory_order_relaxed) + 1 > kMaxQueuedEvents) {
      queued_.fetch_sub(1, std::memory_order_relaxed);
      return WBEM_E_SERVER_TOO_BUSY;
    }
    Queued item{event, 0};
    if (auto slot = item.object->slotOf("TIME_CREATED"); slot && item.object->get(*slot).isNull())
      item.object->putExact(*slot, Value(static_cast<unsigned long long>(monotonicNs())));
    item.bytes = wire::approximateEncodedSize(*item.object);
    queue_.enqueue(std::move(item));
    if (!wakePending_.exchange(true)) wake_.release();
    return WBEM_S_NO_ERROR;
  }

 private:
  struct Queued {
    std::optional<ClassObject> object;
    std::uint64_t bytes = 0;
  };

  void writeLoop() {
    for (;;) {
      wake_.acquire();
      wakePending_.store(false);
      flush();
      if (!outgoing_.empty() && !writeAll(fd_, outgoing_.data(), outgoing_.size())) return;
      outgoing_.clear();
      backedUp_ = false;
      if (stop_.load() && queued_.load() == 0) return;
    }
  }

  void flush() {
    for (;;) {
      if (staged_.size() < kDequeueChunk) {
        Queued chunk[kDequeueChunk];
        const std::size_t taken = queue_.try_dequeue_bulk(chunk, kDequeueChunk - staged_.size());
        for (std::size_t i = 0; i < taken; ++i) staged_.push_back(std::move(chunk[i]));
      }
      if (staged_.empty()) return;
      std::size_t count = 0;
      std::uint64_t bytes = 0;
      do {
        bytes += staged_[count].bytes;
        ++count;
      } while (count < staged_.size() && bytes < kBatchBytes);
      wire::FrameWriter frame(outgoing_, static_cast<std::uint8_t>(protocol::Message::Indicate), 1);
      frame.body().pack_array(2);
      frame.body().pack_uint64(1);
      frame.body().pack_array(static_cast<std::uint32_t>(count));
      for (std::size_t i = 0; i < count; ++i) encoder_.encode(frame.body(), *staged_[i].object);
      frame.finish();
      staged_.erase(staged_.begin(), staged_.begin() + static_cast<std::ptrdiff_t>(count));
      queued_.fetch_sub(static_cast<std::int64_t>(count));
      if (backedUp_) continue;
      const ssize_t sent = ::send(fd_, outgoing_.data(), outgoing_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (sent > 0) outgoing_.erase(outgoing_.begin(), outgoing_.begin() + sent);
      backedUp_ = !outgoing_.empty();
    }
  }

  int fd_;
  detail::ConcurrentQueue<Queued> queue_;
  std::atomic<std::int64_t> queued_{0};
  std::atomic<bool> wakePending_{false};
  std::counting_semaphore<> wake_{0};
  std::atomic<bool> stop_{false};
  // Writer thread only.
  std::deque<Queued> staged_;
  wire::ObjectEncoder encoder_;
  wire::Bytes outgoing_;
  bool backedUp_ = false;  // the socket did not take a frame: the rest waits for the end of the drain
  std::thread writer_;     // last: starts once the members above exist
};

// The event class as the daemon has it, compiled from the same MOF, for the baseline producer.
ClassObject localEventClass() {
  Namespace ns(kNs);
  MofOptions options;
  options.defaultNamespace = kNs;
  const MofCompiler compiler([&](const std::string&) { return &ns; }, options);
  const MofResult result = compiler.compileText(kEventMof, "bench.mof");
  if (!result.ok()) throw Error(WBEM_E_FAILED, result.diagnostics.front().toString());
  return *ns.getClass("Bench_Event");
}

// --role producer SOCKET: the baseline's sending process.
int runProducer(const std::string& socket) {
  const int fd = connectTo(socket);
  int result = 0;
  {
    BaselineSender sender(fd);
    reply("ready");
    result = serveCommands(localEventClass().spawnInstance(),
                           [&](const ClassObject& event) { return sender.indicate(event); });
  }
  ::close(fd);
  return result;
}

// --role echo SOCKET: sends every frame back as it came, until the socket closes.
int runEcho(const std::string& socket) {
  const int fd = connectTo(socket);
  std::vector<std::uint8_t> frame;
  for (;;) {
    std::uint8_t prefix[wire::kLengthPrefixSize];
    if (!readAll(fd, prefix, sizeof(prefix))) break;
    const std::uint32_t size =
        prefix[0] | prefix[1] << 8 | prefix[2] << 16 | static_cast<std::uint32_t>(prefix[3]) << 24;
    frame.assign(prefix, prefix + sizeof(prefix));
    frame.resize(sizeof(prefix) + size);
    if (!readAll(fd, frame.data() + sizeof(prefix), size) || !writeAll(fd, frame.data(), frame.size())) break;
  }
  ::close(fd);
  return 0;
}

int runRole(const std::string& role, const std::string& socket) {
  quietLogs();
  try {
    if (role == "provider") return runProvider(socket);
    if (role == "daemon") return runDaemon(socket);
    if (role == "producer") return runProducer(socket);
    if (role == "echo") return runEcho(socket);
  } catch (const std::exception& e) {
    reply(std::string("failed ") + e.what());
    return 3;
  }
  return 64;
}

// --- receiving (this process) ---------------------------------------------------------------------

// What one burst or paced run delivered.
struct Phase {
  std::uint64_t received = 0;
  std::uint64_t lost = 0;       // sequence numbers skipped
  std::uint64_t reordered = 0;  // sequence numbers that came back late or twice
  std::uint64_t badValues = 0;  // events whose properties are not what was raised
  std::uint64_t batches = 0;    // indicate() calls the events came in
  std::int64_t firstNs = 0;
  std::int64_t lastNs = 0;
  std::vector<std::int64_t> latenciesNs;  // receive - send, paced runs only
  std::uint64_t retries = 0;              // indicate() answers WBEM_E_SERVER_TOO_BUSY, retried

  double rate() const {
    return lastNs > firstNs ? static_cast<double>(received - 1) * 1e9 / static_cast<double>(lastNs - firstNs) : 0;
  }
};

// The client's sink (and the baseline consumer's): checks each event against what the raiser put
// in it and records arrival times. One caller at a time (the delivery thread, or the baseline's
// reader); the main thread waits on it.
class Recorder final : public ObjectSink {
 public:
  void expect(std::uint64_t firstSeq, std::uint64_t count, std::uint32_t kind) {
    std::lock_guard lock(mutex_);
    phase_ = Phase{};
    next_ = firstSeq;
    end_ = firstSeq + count;
    kind_ = kind;
    if (kind == kPacedKind) phase_.latenciesNs.reserve(count);
  }

  Status indicate(std::span<const ObjectPtr> events) override {
    const std::int64_t now = monotonicNs();
    std::lock_guard lock(mutex_);
    for (const ObjectPtr& event : events) {
      const std::uint64_t seq = event->get("Seq").asUInt64();
      const std::int64_t sent = event->get("SentNs").asInt64();
      if (event->className() != "Bench_Event" || event->get("Kind").asUInt64() != kind_ ||
          event->get("Source").asString() != kSource || event->get("Load").asReal() != static_cast<double>(seq) / 8 ||
          sent > now)
        ++phase_.badValues;
      if (seq < next_ || seq >= end_) {
        ++phase_.reordered;
        continue;
      }
      phase_.lost += seq - next_;
      next_ = seq + 1;
      if (phase_.received++ == 0) phase_.firstNs = now;
      if (kind_ == kPacedKind) phase_.latenciesNs.push_back(now - sent);
    }
    ++phase_.batches;
    phase_.lastNs = now;
    changed_.notify_all();
    return WBEM_S_NO_ERROR;
  }

  // The run's outcome once its last event came, or once nothing came for 2 s (events lost).
  Phase wait() {
    std::unique_lock lock(mutex_);
    std::uint64_t seen = phase_.received;
    while (next_ < end_) {
      if (!changed_.wait_for(lock, std::chrono::seconds(2), [&] { return phase_.received != seen || next_ >= end_; }))
        break;
      seen = phase_.received;
    }
    phase_.lost += end_ - next_;
    return std::move(phase_);
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  Phase phase_;
  std::uint64_t next_ = 0;
  std::uint64_t end_ = 0;
  std::uint32_t kind_ = 0;
};

// The baseline's receiving side: reads as the client library does (64 KiB at a time into the
// frame decoder), decodes each Indicate frame's events and hands them to the recorder.
class BaselineReceiver {
 public:
  BaselineReceiver(int fd, Recorder& recorder) : fd_(fd), recorder_(recorder), reader_([this] { readLoop(); }) {}
  BaselineReceiver(const BaselineReceiver&) = delete;
  BaselineReceiver& operator=(const BaselineReceiver&) = delete;
  // Unblocks the reader when the run ended early (the producer is still alive then).
  ~BaselineReceiver() {
    ::shutdown(fd_, SHUT_RDWR);
    if (reader_.joinable()) reader_.join();
    ::close(fd_);
  }
  // Waits until the producer closed the socket; the reading error, if any.
  std::string finish() {
    if (reader_.joinable()) reader_.join();
    return error_;
  }

 private:
  void readLoop() {
    wire::FrameDecoder frames;
    wire::ObjectDecoder objects;
    std::vector<ObjectPtr> events;
    try {
      for (;;) {
        const std::span<std::uint8_t> room = frames.prepare(kReadChunk);
        const ssize_t n = ::recv(fd_, room.data(), room.size(), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        frames.commit(static_cast<std::size_t>(n));
        while (auto frame = frames.next()) {
          protocol::BodyReader body(frame->body(), "Indicate", 2, 2);
          body.unsignedInt("handle");
          const auto records = body.array("events", 1u << 20);
          events.clear();
          events.reserve(records.size());
          for (const msgpack::object& record : records) events.push_back(share(objects.decode(record)));
          recorder_.indicate(events);
        }
      }
      frames.finish();
    } catch (const std::exception& e) {
      error_ = e.what();
    }
  }

  int fd_;
  Recorder& recorder_;
  std::string error_;
  std::thread reader_;
};

// Runs `count` events through a raiser (burst or paced) and waits for them at the recorder.
Phase runPhase(Child& raiser, Recorder& recorder, std::uint64_t& seq, std::uint64_t count, bool paced) {
  recorder.expect(seq, count, paced ? kPacedKind : kBurstKind);
  raiser.command(std::string(paced ? "paced " : "burst ") + std::to_string(seq) + " " + std::to_string(count));
  const std::string sent = raiser.readLine();
  check(sent.starts_with("sent "), "the raiser reports its events sent (got \"" + sent + "\")");
  Phase phase = recorder.wait();
  if (sent.starts_with("sent ")) phase.retries = std::stoull(sent.substr(5));
  seq += count;
  return phase;
}

// A process of a path, and the CPU time it spent on the bursts.
struct Process {
  std::string name;
  pid_t pid = 0;
  std::int64_t burstCpuNs = 0;
};

struct PathResult {
  Phase throughput;  // the median run, with every run's losses and retries summed
  Phase latency;
  std::vector<Process> processes;
  std::uint64_t burstEvents = 0;  // over all runs
};

// A warm-up burst, `repeats` bursts of `events`, then one paced run of `paced` events through `raiser`.
// `mayDrop`: the
// path has bounded queues that drop under overload by design, so a burst's losses are counted, not
// a failure (values, order and the paced run are checked either way).
PathResult measure(const char* name, Child& raiser, Recorder& recorder, std::vector<Process> processes,
                   std::size_t events, std::size_t paced, int repeats, bool mayDrop) {
  std::uint64_t seq = 0;
  std::vector<Phase> runs;
  std::uint64_t lost = 0;
  std::uint64_t retries = 0;
  // Unmeasured: class records, pools, queue blocks and buffers reach their steady state.
  const Phase warmup = runPhase(raiser, recorder, seq, std::min<std::size_t>(events, 20000), false);
  check(warmup.reordered == 0 && warmup.badValues == 0, std::string(name) + ": warm-up events out of order or wrong");
  for (int r = 0; r < repeats; ++r) {
    for (Process& process : processes) process.burstCpuNs -= cpuNs(process.pid);
    runs.push_back(runPhase(raiser, recorder, seq, events, false));
    for (Process& process : processes) process.burstCpuNs += cpuNs(process.pid);
    const Phase& run = runs.back();
    lost += run.lost;
    retries += run.retries;
    check(mayDrop || run.lost == 0,
          std::string(name) + ": " + std::to_string(run.lost) + " of a burst's events never arrived");
    check(run.reordered == 0 && run.badValues == 0,
          std::string(name) + ": events out of order or with wrong values in a burst");
  }
  std::sort(runs.begin(), runs.end(), [](const Phase& a, const Phase& b) { return a.rate() < b.rate(); });
  PathResult result{std::move(runs[runs.size() / 2]), {}, std::move(processes), events * repeats};
  result.throughput.lost = lost;
  result.throughput.retries = retries;
  result.latency = runPhase(raiser, recorder, seq, paced, true);
  check(result.latency.lost == 0 && result.latency.reordered == 0 && result.latency.badValues == 0,
        std::string(name) + ": paced events lost, out of order or with wrong values");
  return result;
}

double percentileUs(std::vector<std::int64_t> samples, double p) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  const auto index = std::min(samples.size() - 1, static_cast<std::size_t>(p * static_cast<double>(samples.size())));
  return static_cast<double>(samples[index]) / 1000;
}

// Round trips of a steady-state one-event Indicate frame to an echo process, kInterval apart.
std::vector<std::int64_t> pingPong(const std::filesystem::path& dir, std::size_t count) {
  const std::filesystem::path socket = dir / "echo.sock";
  const int listener = listenOn(socket);
  Child echo({"echo", socket.string()});
  const int fd = acceptOne(listener);
  ClassObject event = localEventClass().spawnInstance();
  event.put("Seq", Value(1ull));
  event.put("SentNs", Value(static_cast<long long>(monotonicNs())));
  event.put("Source", Value(kSource));
  event.put("Kind", Value(kPacedKind));
  event.put("Load", Value(0.125));
  event.put("TIME_CREATED", Value(static_cast<unsigned long long>(monotonicNs())));
  wire::ObjectEncoder encoder;
  encoder.encode(event);  // the class records go with the first event only
  wire::Bytes frame;
  {
    wire::FrameWriter writer(frame, static_cast<std::uint8_t>(protocol::Message::Indicate), 1);
    writer.body().pack_array(2);
    writer.body().pack_uint64(1);
    writer.body().pack_array(1);
    encoder.encode(writer.body(), event);
    writer.finish();
  }
  std::vector<std::uint8_t> back(frame.size());
  std::vector<std::int64_t> samples;
  constexpr std::size_t kWarmup = 50;
  for (std::size_t i = 0; i < kWarmup + count; ++i) {
    std::this_thread::sleep_for(kInterval);
    const std::int64_t start = monotonicNs();
    if (!writeAll(fd, frame.data(), frame.size()) || !readAll(fd, back.data(), back.size())) break;
    if (i >= kWarmup) samples.push_back(monotonicNs() - start);
  }
  check(samples.size() == count && back == frame, "every ping came back unchanged");
  ::close(fd);
  check(echo.finish(), "the echo process ended cleanly");
  return samples;
}

PathResult measureBaseline(const std::filesystem::path& dir, std::size_t events, std::size_t paced, int repeats) {
  const std::filesystem::path socket = dir / "baseline.sock";
  const int listener = listenOn(socket);
  Child producer({"producer", socket.string()});
  Recorder recorder;
  BaselineReceiver receiver(acceptOne(listener), recorder);
  const std::string ready = producer.readLine();
  if (ready != "ready") throw Error(WBEM_E_FAILED, "the baseline producer did not start: " + ready);
  PathResult result = measure("baseline", producer, recorder, {{"producer", producer.pid()}, {"consumer", ::getpid()}},
                              events, paced, repeats, false);
  check(producer.finish(), "the baseline producer ended cleanly");
  const std::string error = receiver.finish();
  check(error.empty(), "the baseline stream decodes: " + error);
  return result;
}

PathResult measureDaemon(const std::filesystem::path& dir, std::size_t events, std::size_t paced, int repeats,
                         std::map<std::string, std::uint64_t>& counters) {
  const std::string socket = (dir / "wbemd.sock").string();
  Child daemon({"daemon", socket});
  const std::string ready = daemon.readLine();
  if (ready != "ready") throw Error(WBEM_E_FAILED, "the daemon did not start: " + ready);
  auto recorder = std::make_shared<Recorder>();
  PathResult result;
  {
    const std::shared_ptr<Connection> client =
        connect({.socketPath = socket, .namespaceName = kNs, .software = "bench_daemon client"});
    client->compileMof(std::string(kEventMof) + kProviderMof, "bench.mof");
    check(client->execNotificationQueryAsync("WQL", "SELECT * FROM Bench_Event", 0, recorder) == WBEM_S_NO_ERROR,
          "the client subscribes");
    Child provider({"provider", socket});
    const std::string registered = provider.readLine();
    if (registered != "ready") throw Error(WBEM_E_FAILED, "the provider did not start: " + registered);
    result = measure("daemon", provider, *recorder,
                     {{"provider", provider.pid()}, {"daemon", daemon.pid()}, {"client", ::getpid()}}, events, paced,
                     repeats, true);
    counters = client->statistics().counters;
    check(provider.finish(), "the provider process ended cleanly");
    client->cancelAsyncCall(recorder);
  }
  check(daemon.finish(), "the daemon process ended cleanly");
  return result;
}

const char* verdict(bool met) { return met ? "PASS" : "MISS"; }

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  if (argc == 4 && std::strcmp(argv[1], "--role") == 0) return runRole(argv[2], argv[3]);
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  spdlog::set_level(spdlog::level::warn);
  const std::size_t events = quick ? 20000 : 200000;  // per burst
  const std::size_t paced = quick ? 200 : 1000;       // low-rate events, and pings
  const int repeats = quick ? 1 : 3;

  std::string pattern = (std::filesystem::temp_directory_path() / "wbem-bench-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::printf("!! cannot create a temporary directory\n");
    return 1;
  }
  const std::filesystem::path dir = pattern;

  std::printf("Daemon benchmark (%s): decoupled provider process -> daemon process -> client process\n",
              quick ? "quick" : "full");
  std::printf("Bench_Event : __ExtrinsicEvent {uint64 Seq, sint64 SentNs, string Source, uint32 Kind, real64 Load};\n");
  std::printf("the client subscribes with SELECT * FROM Bench_Event. Baseline: producer process -> Unix socket ->\n");
  std::printf("consumer, same codec and batching (<= 256 events or ~64 KiB per frame, each sent once encoded).\n");
  double load = 0;
  if (std::ifstream loadavg("/proc/loadavg"); !(loadavg >> load)) load = -1;
  std::printf("%u CPUs, load average %.2f at the start: other processes' load moves every figure.\n\n",
              std::thread::hardware_concurrency(), load);

  PathResult baseline;
  PathResult daemon;
  std::vector<std::int64_t> roundTrips;
  std::map<std::string, std::uint64_t> counters;
  try {
    roundTrips = pingPong(dir, paced);
    baseline = measureBaseline(dir, events, paced, repeats);
    daemon = measureDaemon(dir, events, paced, repeats, counters);
  } catch (const std::exception& e) {
    check(false, e.what());
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);

  const double baseRate = baseline.throughput.rate();
  const double rate = daemon.throughput.rate();
  std::printf("Throughput: bursts of %zu events, median of %d, events/s at the receiver from first to last event\n",
              events, repeats);
  std::printf("(busy = indicate() retried after WBEM_E_SERVER_TOO_BUSY; lost = never arrived; both summed over the\n");
  std::printf("runs; per call = events per call of the receiving sink, the batches as they arrived):\n");
  std::printf("  %-36s %12s %9s %10s %8s %9s\n", "path", "events/s", "ratio", "busy", "lost", "per call");
  for (const auto& [name, path] :
       {std::pair{"baseline: producer -> consumer", &baseline}, std::pair{"provider -> daemon -> client", &daemon}}) {
    const Phase& run = path->throughput;
    std::printf("  %-36s %12.0f %8.2fx %10llu %8llu %9.1f\n", name, run.rate(),
                baseRate > 0 ? run.rate() / baseRate : 0.0, static_cast<unsigned long long>(run.retries),
                static_cast<unsigned long long>(run.lost),
                run.batches > 0 ? static_cast<double>(run.received) / static_cast<double>(run.batches) : 0.0);
  }
  std::printf("CPU time per event during the bursts, all threads of each process, spin-waits included (ns):\n");
  for (const PathResult* path : {&baseline, &daemon}) {
    std::int64_t total = 0;
    std::string parts;
    for (const Process& process : path->processes) {
      const std::int64_t perEvent =
          process.burstCpuNs / static_cast<std::int64_t>(std::max<std::uint64_t>(1, path->burstEvents));
      total += perEvent;
      parts += (parts.empty() ? "" : " + ") + process.name + " " + std::to_string(perEvent);
    }
    std::printf("  %-36s %s = %lld\n", path == &baseline ? "baseline" : "provider -> daemon -> client", parts.c_str(),
                static_cast<long long>(total));
  }
  std::printf("Daemon counters: server.eventsDropped %llu, service.dropped %llu, service.rejectedBusy %llu\n",
              static_cast<unsigned long long>(counters["server.eventsDropped"]),
              static_cast<unsigned long long>(counters["service.dropped"]),
              static_cast<unsigned long long>(counters["service.rejectedBusy"]));
  if (daemon.throughput.lost > 0) {
    const std::uint64_t inDaemon =
        counters["server.eventsDropped"] + counters["service.dropped"] + counters["service.rejectedBusy"];
    const std::uint64_t inClient = daemon.throughput.lost - std::min(daemon.throughput.lost, inDaemon);
    std::printf(
        "Lost on the daemon path: %llu events. The daemon dropped %llu: service.dropped when the\n"
        "subscription's delivery queue was full (10 MiB) or an event waited 2 s, server.eventsDropped when\n"
        "the client's send queue was full (8 MiB), service.rejectedBusy when the ingest queue was full;\n"
        "the client library dropped %llu (at most 65 536 events wait for its delivery thread).\n",
        static_cast<unsigned long long>(daemon.throughput.lost), static_cast<unsigned long long>(inDaemon),
        static_cast<unsigned long long>(inClient));
  }
  std::printf("\n");

  const double rtt = percentileUs(roundTrips, 0.5);
  const double p50 = percentileUs(daemon.latency.latenciesNs, 0.5);
  std::printf("Low-rate latency: %zu events 1 ms apart, receive - send (CLOCK_MONOTONIC), microseconds:\n", paced);
  std::printf("  %-36s %10s %10s %12s\n", "path", "p50", "p99", "p50 / RTT");
  std::printf("  %-36s %10.1f %10.1f %12.2f\n", "round trip: ping-pong, 2 processes", rtt,
              percentileUs(roundTrips, 0.99), 1.0);
  for (const auto& [name, result] :
       {std::pair{"baseline one way", &baseline}, std::pair{"provider -> daemon -> client", &daemon}}) {
    const double mid = percentileUs(result->latency.latenciesNs, 0.5);
    std::printf("  %-36s %10.1f %10.1f %12.2f\n", name, mid, percentileUs(result->latency.latenciesNs, 0.99),
                rtt > 0 ? mid / rtt : 0.0);
  }

  std::printf("\nTargets:\n");
  std::printf("  throughput vs baseline: %.2fx (target >= 0.5x): %s\n", baseRate > 0 ? rate / baseRate : 0.0,
              verdict(rate >= 0.5 * baseRate && baseRate > 0));
  std::printf("  low-rate p50: %.2f round trips (target <= 2): %s\n", rtt > 0 ? p50 / rtt : 0.0,
              verdict(rtt > 0 && p50 > 0 && p50 <= 2 * rtt));
  if (failedChecks != 0) std::printf("!! %d checks failed: the figures above are not valid\n", failedChecks);
  return failedChecks == 0 ? 0 : 1;
}
