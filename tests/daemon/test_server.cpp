// wbem::Server against raw sockets speaking the protocol frame by frame: requests and replies,
// subscriptions, and every way a broken or hostile client is shown the door while the others
// keep being served.

#include <wbem/event_service.hpp>
#include <wbem/mof.hpp>
#include <wbem/protocol.hpp>
#include <wbem/server.hpp>
#include <wbem/wire.hpp>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

#include "in_process_daemon.hpp"
#include "support.hpp"

using namespace wbem;
using protocol::Message;

namespace {

// A daemon in this process: the service with an event class, and the server on a fresh socket.
struct Daemon : wbemtest::InProcessDaemon {
  explicit Daemon(ServerOptions options = {}) : InProcessDaemon(std::move(options)) {
    Namespace& ns = service.createNamespace("root/cimv2");
    ClassObject alarm = ns.getClass("__ExtrinsicEvent")->spawnDerivedClass("Alarm");
    alarm.putProperty("Level", scalarType(CimType::UInt32));
    alarm.putProperty("Text", scalarType(CimType::String));
    ns.putClass(alarm);
    server.start();
  }
  ClassObject alarm(std::uint32_t level) const {
    ClassObject event = service.getNamespace("root/cimv2").getClass("Alarm")->spawnInstance();
    event.put("Level", Value(level));
    event.put("Text", Value("disk"));
    return event;
  }
};

// One client speaking frames directly.
class RawClient {
 public:
  explicit RawClient(const std::filesystem::path& path, bool sendHello = true) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    timeval timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    const auto hello = next();
    REQUIRE(hello);
    CHECK(wire::decodeHello(*hello).software == "wbemd");
    if (sendHello) write(wire::encodeHello({.software = "raw-test"}));
  }
  ~RawClient() { ::close(fd_); }

  void write(const wire::Bytes& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return;  // the daemon closed: what follows tells
      done += static_cast<std::size_t>(n);
    }
  }
  template <typename Pack>
  void request(Message type, std::uint64_t id, Pack pack) {
    wire::Bytes out;
    wire::FrameWriter writer(out, static_cast<std::uint8_t>(type), id);
    pack(writer.body(), encoder_);
    writer.finish();
    write(out);
  }
  // The next frame, or nullopt when the daemon closed the connection (or 5 s passed).
  std::optional<wire::Frame> next() {
    for (;;) {
      if (auto frame = decoder_.next()) return frame;
      auto buffer = decoder_.prepare(65536);
      const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
      if (n <= 0) return std::nullopt;
      decoder_.commit(static_cast<std::size_t>(n));
    }
  }
  // The next frame that is not an Events frame (events are counted in `events`).
  std::optional<wire::Frame> nextNonEvent(std::vector<ClassObject>* events = nullptr) {
    for (;;) {
      auto frame = next();
      if (!frame || frame->type() != static_cast<std::uint8_t>(Message::Events)) return frame;
      for (ClassObject& event : eventsIn(*frame))
        if (events) events->push_back(std::move(event));
    }
  }
  // The events of an Events frame (its body is the array of their records).
  std::vector<ClassObject> eventsIn(const wire::Frame& frame) {
    REQUIRE(frame.body().type == msgpack::type::ARRAY);
    std::vector<ClassObject> events;
    for (std::uint32_t i = 0; i < frame.body().via.array.size; ++i)
      events.push_back(objects_.decode(frame.body().via.array.ptr[i]));
    return events;
  }
  ClassObject decode(const msgpack::object& record) { return objects_.decode(record); }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  wire::FrameDecoder decoder_;
  wire::ObjectDecoder objects_;
  wire::ObjectEncoder encoder_;
};

void packString(wire::Packer& packer, std::string_view text) { protocol::packString(packer, text); }

// The next frame, which the test needs: fails it when the daemon closed the connection instead.
wire::Frame requireNext(RawClient& client) {
  auto frame = client.next();
  REQUIRE(frame);
  return std::move(*frame);
}

// Sends ExecNotificationQuery; returns the daemon's Reply to it (no event comes before it).
wire::Frame subscribe(RawClient& client, std::uint64_t id, std::string_view query) {
  client.request(Message::ExecNotificationQuery, id, [&](wire::Packer& p, wire::ObjectEncoder&) {
    p.pack_array(3);
    packString(p, "root/cimv2");
    packString(p, "WQL");
    packString(p, query);
  });
  return requireNext(client);
}

// Sends GetObject; returns the daemon's Reply to it.
wire::Frame getObject(RawClient& client, std::uint64_t id, std::string_view ns, std::string_view path) {
  client.request(Message::GetObject, id, [&](wire::Packer& p, wire::ObjectEncoder&) {
    p.pack_array(2);
    packString(p, ns);
    packString(p, path);
  });
  return requireNext(client);
}

void raise(RawClient& client, std::uint64_t id, const std::vector<ClassObject>& events) {
  client.request(Message::Raise, id, [&](wire::Packer& p, wire::ObjectEncoder& encoder) {
    p.pack_array(2);
    packString(p, "root\\cimv2");
    p.pack_array(static_cast<std::uint32_t>(events.size()));
    for (const ClassObject& event : events) encoder.encode(p, event);
  });
}

// The status a Reply frame carries.
Status replyStatus(const wire::Frame& frame) {
  REQUIRE(frame.type() == static_cast<std::uint8_t>(Message::Reply));
  return wbemtest::statusOf([&] { protocol::replyResult(frame.body()); });
}

// The Goodbye a daemon sends before it closes: its status.
Status goodbyeStatus(RawClient& client) {
  auto frame = client.nextNonEvent();
  REQUIRE(frame);
  REQUIRE(frame->type() == static_cast<std::uint8_t>(Message::Goodbye));
  const auto status = static_cast<Status>(frame->body().via.array.ptr[0].via.u64);
  CHECK_FALSE(client.next());  // and the connection is closed
  return status;
}

}  // namespace

TEST_CASE("a client subscribes, raises, receives and cancels over the socket") {
  Daemon daemon;
  RawClient client(daemon.server.socketPath());
  const wire::Frame reply = subscribe(client, 7, "SELECT * FROM Alarm WHERE Level > 2");
  CHECK(reply.requestId() == 7);
  CHECK(replyStatus(reply) == WBEM_S_NO_ERROR);

  raise(client, 8, {daemon.alarm(1), daemon.alarm(5)});
  std::vector<ClassObject> events;
  auto raised = client.nextNonEvent(&events);
  REQUIRE(raised);
  CHECK(raised->requestId() == 8);
  CHECK(replyStatus(*raised) == WBEM_S_NO_ERROR);
  while (events.empty()) {
    auto frame = client.next();
    REQUIRE(frame);
    REQUIRE(frame->type() == static_cast<std::uint8_t>(Message::Events));
    CHECK(frame->requestId() == 7);
    events = client.eventsIn(*frame);
  }
  REQUIRE(events.size() == 1);
  CHECK(events[0].className() == "Alarm");
  CHECK(events[0].get("Level") == Value(std::uint32_t{5}));
  CHECK(events[0].get("Text") == Value("disk"));

  // Cancel: the subscription's CallEnded(WBEM_E_CALL_CANCELLED) comes before the cancel's Reply.
  client.request(Message::CancelAsyncCall, 9, [](wire::Packer& p, wire::ObjectEncoder&) {
    p.pack_array(1);
    p.pack_uint64(7);
  });
  auto ended = client.nextNonEvent();
  REQUIRE(ended);
  CHECK(ended->type() == static_cast<std::uint8_t>(Message::CallEnded));
  CHECK(ended->requestId() == 7);
  CHECK(ended->body().via.array.ptr[0].via.u64 == WBEM_E_CALL_CANCELLED);
  auto cancelled = client.next();
  REQUIRE(cancelled);
  CHECK(cancelled->requestId() == 9);
  CHECK(replyStatus(*cancelled) == WBEM_S_NO_ERROR);
}

TEST_CASE("a request that fails gets its status, message and position in the Reply") {
  Daemon daemon;
  RawClient client(daemon.server.socketPath());
  const wire::Frame reply = subscribe(client, 1, "SELECT * FROM Alarm WHERE");
  const Error error = wbemtest::errorOf([&] { protocol::replyResult(reply.body()); });
  CHECK(error.status() == WBEM_E_INVALID_QUERY);
  REQUIRE(error.position());
  CHECK(error.position()->column > 20);

  CHECK(replyStatus(getObject(client, 2, "root/cimv2", "NoSuchClass")) == WBEM_E_NOT_FOUND);
  CHECK(replyStatus(getObject(client, 3, "root/nowhere", "Alarm")) == WBEM_E_INVALID_NAMESPACE);

  // And the connection still serves: the class comes back whole.
  const wire::Frame found = getObject(client, 4, "root\\cimv2", "Alarm");
  REQUIRE(replyStatus(found) == WBEM_S_NO_ERROR);
  const ClassObject alarm = client.decode(protocol::replyResult(found.body()));
  CHECK(alarm == *daemon.service.getNamespace("root/cimv2").getClass("Alarm"));
}

TEST_CASE("a broken client is disconnected with the reason; the others keep being served") {
  Daemon daemon;
  RawClient watcher(daemon.server.socketPath());
  REQUIRE(replyStatus(subscribe(watcher, 1, "SELECT * FROM Alarm")) == WBEM_S_NO_ERROR);

  SECTION("garbage after the Hello") {
    RawClient bad(daemon.server.socketPath());
    bad.write({0x03, 0x00, 0x00, 0x00, 0xc1, 0xc1, 0xc1});  // 0xc1 is never valid msgpack
    CHECK(goodbyeStatus(bad) == WBEM_E_INVALID_STREAM);
  }
  SECTION("a frame longer than the daemon accepts") {
    RawClient bad(daemon.server.socketPath());
    bad.write({0xff, 0xff, 0xff, 0x7f});
    CHECK(goodbyeStatus(bad) == WBEM_E_QUOTA_VIOLATION);
  }
  SECTION("a request before the Hello") {
    RawClient bad(daemon.server.socketPath(), false);
    bad.request(Message::Statistics, 1, [](wire::Packer& p, wire::ObjectEncoder&) { p.pack_array(0); });
    CHECK(goodbyeStatus(bad) == WBEM_E_UNKNOWN_PACKET_TYPE);
  }
  SECTION("another protocol version") {
    RawClient bad(daemon.server.socketPath(), false);
    bad.write(wire::encodeHello({.protocolVersion = 99, .software = "future"}));
    CHECK(goodbyeStatus(bad) == WBEM_E_MARSHAL_VERSION_MISMATCH);
  }
  SECTION("a message type only the daemon sends") {
    RawClient bad(daemon.server.socketPath());
    bad.request(Message::Events, 1, [](wire::Packer& p, wire::ObjectEncoder&) { p.pack_array(0); });
    CHECK(goodbyeStatus(bad) == WBEM_E_UNKNOWN_PACKET_TYPE);
  }
  SECTION("a body of the wrong shape") {
    RawClient bad(daemon.server.socketPath());
    bad.request(Message::GetObject, 1, [](wire::Packer& p, wire::ObjectEncoder&) { p.pack_uint32(5); });
    CHECK(goodbyeStatus(bad) == WBEM_E_INVALID_STREAM);
  }
  SECTION("a truncated frame, then the client vanishes") {
    auto bad = std::make_unique<RawClient>(daemon.server.socketPath());
    bad->write({0x40, 0x00, 0x00, 0x00, 0x93, 0x0a});
    bad.reset();
  }

  // The watcher never noticed: an event raised now reaches it.
  RawClient raiser(daemon.server.socketPath());
  raise(raiser, 2, {daemon.alarm(3)});
  REQUIRE(replyStatus(*raiser.next()) == WBEM_S_NO_ERROR);
  auto frame = watcher.next();
  REQUIRE(frame);
  REQUIRE(frame->type() == static_cast<std::uint8_t>(Message::Events));
  CHECK(watcher.eventsIn(*frame).at(0).get("Level") == Value(std::uint32_t{3}));
  CHECK(daemon.server.statistics().at("server.protocolErrors") <= 1);
}

TEST_CASE("a client that never reads loses events, then its connection; nobody else waits") {
  Daemon daemon({.maxSendQueueBytes = 64u << 10, .sendStallTimeout = std::chrono::milliseconds(300)});
  RawClient sleeper(daemon.server.socketPath());
  ::setsockopt(sleeper.fd(), SOL_SOCKET, SO_RCVBUF, std::array<int, 1>{4096}.data(), sizeof(int));
  REQUIRE(replyStatus(subscribe(sleeper, 1, "SELECT * FROM Alarm")) == WBEM_S_NO_ERROR);
  RawClient reader(daemon.server.socketPath());
  REQUIRE(replyStatus(subscribe(reader, 1, "SELECT * FROM Alarm WHERE Level = 999999")) == WBEM_S_NO_ERROR);

  // Enough events to fill the socket buffers and the 64 KiB send queue many times over.
  RawClient raiser(daemon.server.socketPath());
  std::vector<ClassObject> batch;
  for (std::uint32_t i = 0; i < 500; ++i) batch.push_back(daemon.alarm(i));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::uint64_t id = 10;
  while (daemon.server.statistics().at("server.stalledClients") == 0 && std::chrono::steady_clock::now() < deadline) {
    raise(raiser, ++id, batch);
    REQUIRE(replyStatus(*raiser.next()) == WBEM_S_NO_ERROR);
  }
  const auto stats = daemon.server.statistics();
  CHECK(stats.at("server.eventsDropped") > 0);
  CHECK(stats.at("server.stalledClients") == 1);

  // The reader is served as before: its one matching event arrives at once.
  raise(raiser, ++id, {daemon.alarm(999999)});
  REQUIRE(replyStatus(*raiser.next()) == WBEM_S_NO_ERROR);
  auto frame = reader.next();
  REQUIRE(frame);
  CHECK(reader.eventsIn(*frame).at(0).get("Level") == Value(std::uint32_t{999999}));
}

TEST_CASE("statistics and the socket file follow the server's life") {
  std::filesystem::path path;
  {
    Daemon daemon;
    path = daemon.server.socketPath();
    CHECK(std::filesystem::is_socket(path));
    // A second server on the same socket is refused while the first listens.
    EventService other;
    Server second(other, nullptr, {.socketPath = path});
    CHECK(wbemtest::statusOf([&] { second.start(); }) == WBEM_E_ALREADY_EXISTS);

    RawClient client(path);
    client.request(Message::Statistics, 5, [](wire::Packer& p, wire::ObjectEncoder&) { p.pack_array(0); });
    auto reply = client.next();
    REQUIRE(reply);
    std::map<std::string, std::uint64_t> counters;
    const msgpack::object& result = protocol::replyResult(reply->body());
    REQUIRE(result.type == msgpack::type::ARRAY);
    result.via.array.ptr[0].convert(counters);  // [counters, providers, consumers]
    CHECK(counters.at("server.clients") == 1);
    CHECK(counters.at("server.connections") >= 1);

    // Stopping says Goodbye(WBEM_E_SHUTTING_DOWN) to every client.
    daemon.server.stop();
    CHECK(goodbyeStatus(client) == WBEM_E_SHUTTING_DOWN);
  }
  CHECK_FALSE(std::filesystem::exists(path));
}
