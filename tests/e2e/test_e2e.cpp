// End-to-end: the real wbemd, wbemctl and decoupled provider processes (e2e_provider) talking over
// the daemon's socket. Each case has its own temporary directory (socket, data dir, logs) and
// kills and reaps every process it started, whatever happens. Nothing here sleeps to assert: each
// wait is on a condition, with a generous deadline (longer in sanitizer builds).
//
// WBEM_E2E_SLOW=N multiplies every deadline by N, WBEM_E2E_CLIENTS sets case 4's connection count,
// WBEM_E2E_KEEP=1 keeps the temporary directories (the daemon's log is wbemd.log there).

#include <wbem/client.hpp>
#include <wbem/protocol.hpp>
#include <wbem/wire.hpp>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "e2e_support.hpp"

using namespace std::chrono_literals;
using wbem::protocol::Message;
namespace wire = wbem::wire;

namespace {

using wbemtest::checkNoSanitizerReports;
using wbemtest::Child;
using wbemtest::Clock;
using wbemtest::compileProviderMof;
using wbemtest::connectUnix;
using wbemtest::Daemon;
using wbemtest::envNumber;
using wbemtest::kProviderMof;
using wbemtest::Milliseconds;
using wbemtest::readFile;
using wbemtest::requireOutput;
using wbemtest::scaled;
using wbemtest::slowFactor;
using wbemtest::startProvider;
using wbemtest::TempDir;
using wbemtest::waitUntil;
using wbemtest::writeFile;

// Each case's temporary directory is <tmp>/wbem-e2e-XXXXXX.
constexpr std::string_view kTempDirPrefix = "wbem-e2e";

// --- consumers ----------------------------------------------------------------------------------

// A temporary consumer in this process: keeps each event's Seq and Source.
class RecordingSink final : public wbem::ObjectSink {
 public:
  struct Event {
    std::uint32_t seq;
    std::string source;
  };

  wbem::Status indicate(std::span<const wbem::ObjectPtr> objects) override {
    std::lock_guard lock(mutex_);
    for (const wbem::ObjectPtr& object : objects)
      events_.push_back({static_cast<std::uint32_t>(object->get("Seq").asUInt64()), object->get("Source").asString()});
    changed_.notify_all();
    return wbem::WBEM_S_NO_ERROR;
  }
  void setStatus(std::int32_t, wbem::Status result, std::string_view, const wbem::ClassObject*) override {
    std::lock_guard lock(mutex_);
    statuses_.push_back(result);
  }

  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return events_.size();
  }
  std::vector<Event> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }
  std::vector<wbem::Status> statuses() const {
    std::lock_guard lock(mutex_);
    return statuses_;
  }
  bool waitForCount(std::size_t n, Milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, scaled(timeout), [&] { return events_.size() >= n; });
  }
  // Waits until no event arrived for `quiet` (both scaled); false when events kept coming for `timeout`.
  bool waitForQuiet(Milliseconds quiet, Milliseconds timeout) {
    const auto deadline = Clock::now() + scaled(timeout);
    std::size_t seen = count();
    auto since = Clock::now();
    while (Clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
      const std::size_t now = count();
      if (now != seen) {
        seen = now;
        since = Clock::now();
      } else if (Clock::now() - since >= scaled(quiet)) {
        return true;
      }
    }
    return false;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Event> events_;
  std::vector<wbem::Status> statuses_;
};

std::shared_ptr<RecordingSink> subscribe(const wbem::Connection& connection, std::string_view query) {
  auto sink = std::make_shared<RecordingSink>();
  const wbem::Status status = connection.execNotificationQueryAsync("WQL", query, 0, sink);
  REQUIRE(wbem::statusName(status) == wbem::statusName(wbem::WBEM_S_NO_ERROR));
  return sink;
}

// The first index where Seq does not follow its predecessor, or events.size().
std::size_t firstGap(const std::vector<RecordingSink::Event>& events) {
  for (std::size_t i = 1; i < events.size(); ++i)
    if (events[i].seq != events[i - 1].seq + 1) return i;
  return events.size();
}

// --- raw protocol -------------------------------------------------------------------------------

// A client speaking frames directly, to misbehave in ways the library never would.
class RawClient {
 public:
  explicit RawClient(const std::filesystem::path& socket, int receiveBuffer = 0)
      : fd_(connectUnix(socket, receiveBuffer)) {
    REQUIRE(fd_ >= 0);
    const timeval timeout{static_cast<time_t>(10 * slowFactor()), 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  void send(std::span<const std::uint8_t> bytes) {
    for (std::size_t done = 0; done < bytes.size();) {
      const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return;  // closed by the daemon: what it read next tells
      done += static_cast<std::size_t>(n);
    }
  }
  void sendHello() { send(wire::encodeHello({.software = "e2e-raw"})); }
  void subscribe(std::uint64_t requestId, std::string_view query) {
    wire::Bytes out;
    wire::FrameWriter writer(out, static_cast<std::uint8_t>(Message::ExecNotificationQuery), requestId);
    writer.body().pack_array(3);
    wbem::protocol::packString(writer.body(), "root/cimv2");
    wbem::protocol::packString(writer.body(), "WQL");
    wbem::protocol::packString(writer.body(), query);
    writer.finish();
    send(out);
  }
  // The types of the frames received until the daemon closed the connection (eof()) or nothing
  // came for the receive timeout.
  std::vector<std::uint8_t> framesUntilClosed() {
    std::vector<std::uint8_t> types;
    for (;;) {
      while (auto frame = nextBuffered()) types.push_back(frame->type());
      if (!receive()) return types;
    }
  }
  // The next frame (nullopt when closed or silent for the timeout).
  std::optional<wire::Frame> next() {
    for (;;) {
      if (auto frame = nextBuffered()) return frame;
      if (!receive()) return std::nullopt;
    }
  }
  bool eof() const { return eof_; }

 private:
  std::optional<wire::Frame> nextBuffered() { return decoder_.next(); }
  bool receive() {
    auto buffer = decoder_.prepare(65536);
    const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n == 0) eof_ = true;
    if (n <= 0) return false;
    decoder_.commit(static_cast<std::size_t>(n));
    return true;
  }

  int fd_;
  wire::FrameDecoder decoder_;
  bool eof_ = false;
};

std::uint64_t statistic(const wbem::Connection& connection, const std::string& name) {
  const auto counters = connection.statistics().counters;
  const auto it = counters.find(name);
  if (it == counters.end()) FAIL("no statistic " << name);
  return it->second;
}

// --- fixtures -----------------------------------------------------------------------------------
// (Catch2 runs a TEST_CASE_METHOD as a member of a subclass: the cases name `dir`, `daemon`,
// `connection` and `sink` as their own, and they go in the reverse order of their making.)

// Where cases 2 to 6 start: their own directory and a daemon that knows E2EEvent and its provider.
struct ProviderSchemaCase {
  ProviderSchemaCase() { compileProviderMof(daemon); }
  TempDir dir{kTempDirPrefix};
  Daemon daemon{dir};
};

// Cases 4 to 6 also watch a subscription of this process to every E2EEvent while something else
// misbehaves around it.
struct SubscribedCase : ProviderSchemaCase {
  const std::shared_ptr<wbem::Connection> connection = daemon.connect();
  const std::shared_ptr<RecordingSink> sink = subscribe(*connection, "SELECT * FROM E2EEvent");
};

}  // namespace

// --- the cases ----------------------------------------------------------------------------------

TEST_CASE("e2e 1: wbemctl subscribe prints the matching events of a decoupled provider") {
  TempDir dir(kTempDirPrefix);
  Daemon daemon(dir);
  const std::vector<std::string> socketEnv{"WBEM_SOCKET=" + daemon.socket().string()};

  // The schema goes in through wbemctl too.
  writeFile(dir / "e2e.mof", kProviderMof);
  {
    Child mof({WBEM_E2E_WBEMCTL, "mof", (dir / "e2e.mof").string(), "--socket", daemon.socket().string()},
              dir / "wbemctl-mof.log", true, socketEnv);
    const int exitCode = mof.exitCode(30s);
    INFO(mof.describe());
    REQUIRE(exitCode == 0);
  }
  REQUIRE(daemon.connect()->getObject("E2EEvent")->className() == "E2EEvent");

  Child subscriber({WBEM_E2E_WBEMCTL, "subscribe", "SELECT * FROM E2EEvent WHERE Seq >= 3", "--count", "2", "--timeout",
                    std::to_string(20 * slowFactor()), "--socket", daemon.socket().string()},
                   dir / "wbemctl-subscribe.log", true, socketEnv);
  // --wait-active: Seq 0 is raised only once wbemctl's filter is live, so none can be missed.
  auto provider = startProvider(dir, daemon, {"--count", "10", "--interval-ms", "10", "--wait-active"});
  requireOutput(*provider, "registered", 30s);

  const int exitCode = subscriber.exitCode(40s);
  INFO(subscriber.describe() << "\n" << provider->describe() << "\nwbemd:\n" << daemon.log());
  REQUIRE(exitCode >= 0);
  CHECK(exitCode == 0);
  CHECK(provider->output().find("newQuery") != std::string::npos);

  // Each Seq value printed, whatever the layout (MOF `Seq = 3;`, JSON `"Seq": 3`, `Seq=3`).
  const std::string printed = subscriber.output();
  const std::regex seqPattern(R"(\bSeq\b[^0-9\n]{0,8}([0-9]+))");
  std::vector<unsigned long> seqs;
  for (auto it = std::sregex_iterator(printed.begin(), printed.end(), seqPattern); it != std::sregex_iterator(); ++it)
    seqs.push_back(std::stoul((*it)[1].str()));
  CHECK(seqs == std::vector<unsigned long>{3, 4});

  // Both processes shut down cleanly on SIGTERM (sanitizer builds: with no leak reported).
  requireOutput(*provider, "done 9", 30s);
  CHECK(provider->stop() == 0);
  CHECK(daemon.stop() == 0);
  checkNoSanitizerReports(dir);
}

TEST_CASE_METHOD(ProviderSchemaCase, "e2e 2: a subscription survives its decoupled provider's crash and restart") {
  auto first = startProvider(dir, daemon, {"--count", "0", "--interval-ms", "20", "--source", "first"}, "first.log");
  requireOutput(*first, "registered", 30s);
  const auto connection = daemon.connect();
  const auto sink = subscribe(*connection, "SELECT * FROM E2EEvent");
  requireOutput(*first, "newQuery", 30s);
  REQUIRE(sink->waitForCount(3, 30s));

  // The same name again while the first is registered and connected: refused.
  {
    auto duplicate = startProvider(dir, daemon, {"--count", "1"}, "duplicate.log");
    const int exitCode = duplicate->exitCode(30s);
    INFO(duplicate->describe());
    REQUIRE(exitCode >= 0);
    CHECK(exitCode != 0);
    CHECK(duplicate->output().find("register failed 0x80041084") != std::string::npos);
  }

  // Crash: what was in flight may still arrive, then nothing while no provider runs.
  first->kill();
  REQUIRE(sink->waitForQuiet(500ms, 20s));
  const std::size_t beforeRestart = sink->count();
  CHECK(sink->statuses().empty());

  auto second = startProvider(
      dir, daemon, {"--count", "0", "--interval-ms", "20", "--start", "1000", "--source", "second"}, "second.log");
  requireOutput(*second, "registered", 30s);
  // The daemon tells the new process about the filter that stayed live...
  requireOutput(*second, "newQuery", 30s);
  CHECK(second->output().find("SELECT * FROM E2EEvent") != std::string::npos);
  // ... and its events reach the subscription made before the crash, never resubscribed.
  INFO(second->describe() << "\nwbemd:\n" << daemon.log());
  REQUIRE(sink->waitForCount(beforeRestart + 5, 30s));
  const auto events = sink->events();
  for (std::size_t i = 0; i < events.size(); ++i) {
    INFO("event " << i << " Seq " << events[i].seq);
    CHECK(events[i].source == (i < beforeRestart ? "first" : "second"));
  }
  CHECK(events.at(beforeRestart).seq >= 1000);
  CHECK(sink->statuses().empty());
  checkNoSanitizerReports(dir);
}

TEST_CASE_METHOD(ProviderSchemaCase,
                 "e2e 3: a permanent subscription delivers again after the daemon is killed and restarted") {
  const std::filesystem::path logFile = dir / "events.log";
  {
    const std::string subscriptionMof = R"(
      #pragma namespace("\\\\.\\root\\subscription")
      instance of __EventFilter as $F {
        Name = "E2EFilter"; QueryLanguage = "WQL"; EventNamespace = "root\\cimv2";
        Query = "SELECT * FROM E2EEvent";
      };
      instance of LogFileEventConsumer as $C {
        Name = "E2ELog"; Filename = ")" +
                                        logFile.string() + R"("; Text = "seq=%Seq% source=%Source%";
        MaximumFileSize = 0;
      };
      instance of __FilterToConsumerBinding { Filter = $F; Consumer = $C; };
    )";
    const auto counts = daemon.connect()->compileMof(subscriptionMof, "subscription.mof");
    REQUIRE(counts.second == 3);
  }

  // Raises for ever; while the daemon is down its events are dropped by the library.
  auto provider = startProvider(dir, daemon, {"--count", "0", "--interval-ms", "50"});
  requireOutput(*provider, "provideEvents", 30s);
  INFO(provider->describe() << "\nwbemd:\n" << daemon.log());
  REQUIRE(waitUntil([&] { return readFile(logFile).find("seq=3 ") != std::string::npos; }, 30s));

  daemon.kill();
  const std::string beforeKill = readFile(logFile);
  REQUIRE(beforeKill.find("source=e2e") != std::string::npos);
  daemon.start();

  // The provider reconnects and registers again by itself (its second provideEvents), and the
  // binding loaded from the repository writes the new events.
  requireOutput(*provider, "provideEvents", 30s, 2);
  REQUIRE(waitUntil([&] { return readFile(logFile).size() > beforeKill.size() + 100; }, 30s));
  const std::string after = readFile(logFile);
  CHECK(after.compare(0, beforeKill.size(), beforeKill) == 0);  // appended, not rewritten
  const std::regex line(R"(seq=([0-9]+) source=e2e)");
  unsigned long lastBefore = 0;
  for (auto it = std::sregex_iterator(beforeKill.begin(), beforeKill.end(), line); it != std::sregex_iterator(); ++it)
    lastBefore = std::max(lastBefore, std::stoul((*it)[1].str()));
  const std::string added = after.substr(beforeKill.size());
  std::smatch firstNew;
  REQUIRE(std::regex_search(added, firstNew, line));
  CHECK(std::stoul(firstNew[1].str()) > lastBefore);

  const auto subscriptions = daemon.connect("root/subscription")->listSubscriptions();
  REQUIRE(subscriptions.size() == 1);
  CHECK(subscriptions[0].active);
  checkNoSanitizerReports(dir);
}

TEST_CASE_METHOD(SubscribedCase, "e2e 4: 1000 clients come and go while events flow; none is lost, none lingers") {
  auto provider = startProvider(dir, daemon, {"--count", "0", "--interval-ms", "5", "--wait-active"});
  requireOutput(*provider, "registered", 30s);
  REQUIRE(sink->waitForCount(10, 30s));
  const std::uint64_t baseline = statistic(*connection, "server.clients");

#ifdef WBEM_TEST_SANITIZED
  constexpr unsigned kDefaultClients = 300;
#else
  constexpr unsigned kDefaultClients = 1000;
#endif
  const unsigned clients = envNumber("WBEM_E2E_CLIENTS", kDefaultClients);
  constexpr unsigned kThreads = 4;
  std::atomic<unsigned> next{0};
  std::atomic<unsigned> failures{0};
  std::mutex errorMutex;
  std::string firstError;
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      while (next.fetch_add(1) < clients) {
        try {
          const auto client = daemon.connect();
          if (client->statistics().counters.count("server.clients") == 0) throw std::runtime_error("no server.clients");
        } catch (const std::exception& e) {
          if (failures.fetch_add(1) == 0) {
            std::lock_guard lock(errorMutex);
            firstError = e.what();
          }
        }
      }
    });
  for (std::thread& thread : threads) thread.join();
  INFO("first failure: " << firstError);
  CHECK(failures == 0);

  // Events kept flowing through the churn and after it, every one in order.
  const std::size_t afterChurn = sink->count();
  REQUIRE(sink->waitForCount(afterChurn + 50, 30s));
  const auto events = sink->events();
  const std::size_t gap = firstGap(events);
  INFO("events " << events.size() << ", first gap at " << gap);
  CHECK(gap == events.size());
  CHECK(sink->statuses().empty());

  std::uint64_t clientsNow = 0;
  CHECK(waitUntil([&] { return (clientsNow = statistic(*connection, "server.clients")) == baseline; }, 20s));
  CHECK(clientsNow == baseline);
  CHECK(statistic(*connection, "server.connections") >= clients);
  checkNoSanitizerReports(dir);
}

TEST_CASE_METHOD(SubscribedCase, "e2e 5: malformed frames close that connection only; a subscription keeps receiving") {
  auto provider = startProvider(dir, daemon, {"--count", "0", "--interval-ms", "10", "--wait-active"});
  REQUIRE(sink->waitForCount(3, 30s));
  const std::uint64_t errorsBefore = statistic(*connection, "server.protocolErrors");

  // Each is shown the door: a Goodbye (after the daemon's Hello), then the end of the stream.
  const std::string_view http = "GET / HTTP/1.1\r\nHost: wbemd\r\n\r\n";  // a length prefix of 542 MB
  const std::vector<std::pair<std::string, std::vector<std::uint8_t>>> attacks{
      {"garbage after the Hello", {0x03, 0x00, 0x00, 0x00, 0xc1, 0xc1, 0xc1}},  // 0xc1 is never msgpack
      {"an oversized length prefix", {0xff, 0xff, 0xff, 0x7f}},
      {"text instead of a Hello", std::vector<std::uint8_t>(http.begin(), http.end())},
  };
  for (const auto& [what, bytes] : attacks) {
    INFO(what);
    RawClient bad(daemon.socket());
    if (what != "text instead of a Hello") bad.sendHello();
    bad.send(bytes);
    const auto frames = bad.framesUntilClosed();
    REQUIRE_FALSE(frames.empty());
    CHECK(frames.back() == static_cast<std::uint8_t>(Message::Goodbye));
    CHECK(bad.eof());
  }

  // The subscriber never noticed: events keep coming, in order, and its call did not end.
  const std::size_t seen = sink->count();
  REQUIRE(sink->waitForCount(seen + 10, 30s));
  CHECK(firstGap(sink->events()) == sink->count());
  CHECK(sink->statuses().empty());
  CHECK(statistic(*connection, "server.protocolErrors") == errorsBefore + attacks.size());
  checkNoSanitizerReports(dir);
}

TEST_CASE_METHOD(SubscribedCase,
                 "e2e 6: a client that never reads loses events; another subscriber gets all of them promptly") {
  // Subscribes, reads the Reply (so that its filter is live), then never reads again.
  RawClient sleeper(daemon.socket(), 4096);
  sleeper.sendHello();
  sleeper.subscribe(1, "SELECT * FROM E2EEvent");
  std::optional<wire::Frame> frame = sleeper.next();
  if (frame && frame->type() == wire::kHelloMessage) frame = sleeper.next();
  REQUIRE(frame);
  REQUIRE(frame->type() == static_cast<std::uint8_t>(Message::Reply));
  REQUIRE(frame->requestId() == 1);
  REQUIRE_NOTHROW(wbem::protocol::replyResult(frame->body()));

  // 3000 events of 4 KiB: 12 MiB, past the 8 MiB the daemon queues for one client.
  constexpr std::uint32_t kEvents = 3000;
  auto provider = startProvider(dir, daemon,
                                {"--count", std::to_string(kEvents), "--burst", "30", "--interval-ms", "10",
                                 "--payload-bytes", "4096", "--wait-active"});
  requireOutput(*provider, "done", 60s);
  const auto done = Clock::now();
  INFO(provider->describe() << "\nwbemd:\n" << daemon.log());
  REQUIRE(sink->waitForCount(kEvents, 30s));
  const auto lag = std::chrono::duration_cast<Milliseconds>(Clock::now() - done);
  CHECK(lag < scaled(10s));
  const auto events = sink->events();
  CHECK(events.size() == kEvents);
  CHECK(events.front().seq == 0);
  CHECK(firstGap(events) == events.size());
  CHECK(sink->statuses().empty());

  std::uint64_t dropped = 0;
  CHECK(waitUntil([&] { return (dropped = statistic(*connection, "server.eventsDropped")) > 0; }, 30s));
  CHECK(dropped > 0);
  checkNoSanitizerReports(dir);
}
