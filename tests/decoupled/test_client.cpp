// Tests of the client side of the daemon protocol (wbem/client.hpp, wbem/decoupled_provider.hpp)
// against a fake daemon: the test thread listens on a temporary Unix socket and speaks the
// protocol with the wire codec, while the client's calls run on other threads.

#include <wbem/classobject.hpp>
#include <wbem/client.hpp>
#include <wbem/decoupled_provider.hpp>
#include <wbem/namespace.hpp>
#include <wbem/protocol.hpp>
#include <wbem/status.hpp>
#include <wbem/wire.hpp>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "support.hpp"

using namespace wbem;
using namespace std::chrono_literals;
using protocol::Message;
using wbemtest::errorOf;
using wbemtest::statusOf;

namespace {

using BodyFn = std::function<void(wire::Packer&, wire::ObjectEncoder&)>;

// A frame the fake daemon received, its body copied out of the decoder's buffer.
struct Msg {
  std::uint8_t type = 0;
  std::uint64_t id = 0;
  msgpack::object_handle body;
  const msgpack::object& field(std::size_t i) const { return body.get().via.array.ptr[i]; }
  std::size_t size() const { return body.get().via.array.size; }
  std::string text(std::size_t i) const { return field(i).as<std::string>(); }
  std::uint64_t number(std::size_t i) const { return field(i).as<std::uint64_t>(); }
};

std::filesystem::path tempSocket() {
  static std::atomic<int> counter{0};
  return std::filesystem::temp_directory_path() /
         ("wbem-client-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".sock");
}

// The daemon's side of one socket path: accepts a client, exchanges the Hello, then receives and
// sends frames as the test says. Not thread-safe: the test thread drives it.
class FakeDaemon {
 public:
  explicit FakeDaemon(std::filesystem::path path) : path_(std::move(path)) {
    std::filesystem::remove(path_);
    listener_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(listener_ >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof(address.sun_path) - 1);
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    REQUIRE(::listen(listener_, 4) == 0);
  }
  ~FakeDaemon() {
    closeClient();
    ::close(listener_);
    std::filesystem::remove(path_);
  }

  const std::filesystem::path& path() const { return path_; }

  // Accepts one client and exchanges the Hello (announcing `version`).
  void accept(std::uint32_t version = wire::kProtocolVersion) {
    pollfd p{listener_, POLLIN, 0};
    REQUIRE(::poll(&p, 1, 5000) == 1);
    closeClient();
    client_ = ::accept(listener_, nullptr, nullptr);
    REQUIRE(client_ >= 0);
    frames_ = wire::FrameDecoder();
    objects_ = wire::ObjectDecoder();
    encoder_ = wire::ObjectEncoder();
    wire::Hello hello;
    hello.protocolVersion = version;
    hello.software = "fake wbemd";
    writeAll(wire::encodeHello(hello));
    const Msg first = receive();
    REQUIRE(first.type == wire::kHelloMessage);
  }

  // The next frame; fails the test after 5 s without one.
  Msg receive() {
    std::optional<Msg> msg = tryReceive(5000ms);
    REQUIRE(msg.has_value());
    return std::move(*msg);
  }

  // The next frame, or nullopt after `timeout` or when the client closed.
  std::optional<Msg> tryReceive(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto frame = frames_.next()) {
        Msg msg{frame->type(), frame->requestId(), msgpack::clone(frame->body())};
        if (msg.type == wire::kHelloMessage) clientHello = wire::decodeHello(*frame);
        return msg;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || client_ < 0) return std::nullopt;
      pollfd p{client_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) != 1) return std::nullopt;
      const std::span<std::uint8_t> room = frames_.prepare(65536);
      const ssize_t n = ::recv(client_, room.data(), room.size(), 0);
      if (n <= 0) {
        frames_.commit(0);
        closeClient();
        return std::nullopt;
      }
      frames_.commit(static_cast<std::size_t>(n));
    }
  }

  // The next frame, which must be of `type`.
  Msg expect(Message type) {
    Msg msg = receive();
    INFO("received " << protocol::messageName(msg.type));
    REQUIRE(msg.type == static_cast<std::uint8_t>(type));
    return msg;
  }

  void send(Message type, std::uint64_t id, const BodyFn& body) {
    wire::Bytes out;
    wire::FrameWriter frame(out, static_cast<std::uint8_t>(type), id);
    body(frame.body(), encoder_);
    frame.finish();
    writeAll(out);
  }

  // A success Reply; `result` packs the result (nil when empty).
  void reply(std::uint64_t id, const BodyFn& result = {}) {
    send(Message::Reply, id, [&](wire::Packer& packer, wire::ObjectEncoder& encoder) {
      protocol::packReplyHead(packer, WBEM_S_NO_ERROR, "");
      if (result)
        result(packer, encoder);
      else
        packer.pack_nil();
    });
  }

  void replyError(std::uint64_t id, const Error& error) {
    send(Message::Reply, id,
         [&](wire::Packer& packer, wire::ObjectEncoder&) { protocol::packErrorReply(packer, error); });
  }

  void sendEvents(std::uint64_t id, const std::vector<ClassObject>& events) {
    send(Message::Events, id, [&](wire::Packer& packer, wire::ObjectEncoder& encoder) {
      packer.pack_array(static_cast<std::uint32_t>(events.size()));
      for (const ClassObject& e : events) encoder.encode(packer, e);
    });
  }

  void sendStatus(Message type, std::uint64_t id, Status status, std::string_view message) {
    send(type, id, [&](wire::Packer& packer, wire::ObjectEncoder&) {
      packer.pack_array(2);
      packer.pack_uint32(status);
      protocol::packString(packer, message);
    });
  }

  ClassObject decode(const msgpack::object& record) { return objects_.decode(record); }

  void closeClient() {
    if (client_ >= 0) ::close(client_);
    client_ = -1;
  }

  wire::Hello clientHello;

 private:
  void writeAll(const wire::Bytes& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::send(client_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      REQUIRE(n > 0);
      done += static_cast<std::size_t>(n);
    }
  }

  std::filesystem::path path_;
  int listener_ = -1;
  int client_ = -1;
  wire::FrameDecoder frames_;
  wire::ObjectDecoder objects_;
  wire::ObjectEncoder encoder_;
};

template <typename Predicate>
bool eventually(Predicate p, std::chrono::milliseconds timeout = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!p()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// A temporary consumer that records what it gets.
class RecordingSink : public ObjectSink {
 public:
  Status indicate(std::span<const ObjectPtr> objects) override {
    std::lock_guard lock(mutex_);
    events_.insert(events_.end(), objects.begin(), objects.end());
    return WBEM_S_NO_ERROR;
  }
  void setStatus(std::int32_t flags, Status result, std::string_view, const ClassObject*) override {
    std::lock_guard lock(mutex_);
    statuses_.emplace_back(flags, result);
  }
  std::size_t eventCount() {
    std::lock_guard lock(mutex_);
    return events_.size();
  }
  std::vector<ObjectPtr> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }
  std::vector<std::pair<std::int32_t, Status>> statuses() {
    std::lock_guard lock(mutex_);
    return statuses_;
  }

 private:
  std::mutex mutex_;
  std::vector<ObjectPtr> events_;
  std::vector<std::pair<std::int32_t, Status>> statuses_;
};

// A provider implementing every interface the daemon may call.
class TestProvider : public EventProvider,
                     public EventProviderQuerySink,
                     public EventProviderSecurity,
                     public ProviderInit {
 public:
  Status provideEvents(std::shared_ptr<EventSink> sink, std::int32_t) override {
    std::lock_guard lock(mutex);
    this->sink = std::move(sink);
    ++provided;
    return WBEM_S_NO_ERROR;
  }
  Status newQuery(std::uint32_t id, std::string_view, std::string_view query) override {
    std::lock_guard lock(mutex);
    queries.emplace_back(id, std::string(query));
    return WBEM_S_NO_ERROR;
  }
  Status cancelQuery(std::uint32_t id) override {
    std::lock_guard lock(mutex);
    cancelled.push_back(id);
    return WBEM_S_NO_ERROR;
  }
  Status accessCheck(std::string_view, std::string_view query, const Principal* principal) override {
    std::lock_guard lock(mutex);
    checked.emplace_back(query);
    sawPrincipal = sawPrincipal || principal != nullptr;
    return accessStatus;
  }
  Status initialize(const ProviderInitContext& context, std::shared_ptr<ProviderInitSink> initSink) override {
    {
      std::lock_guard lock(mutex);
      initNamespace = context.namespaceName;
    }
    initSink->setStatus(initStatus);
    return WBEM_S_NO_ERROR;
  }

  std::shared_ptr<EventSink> currentSink() {
    std::lock_guard lock(mutex);
    return sink;
  }
  std::size_t queryCount() {
    std::lock_guard lock(mutex);
    return queries.size();
  }
  std::vector<std::uint32_t> cancelledQueries() {
    std::lock_guard lock(mutex);
    return cancelled;
  }
  int provideCount() {
    std::lock_guard lock(mutex);
    return provided;
  }

  std::mutex mutex;
  std::shared_ptr<EventSink> sink;
  int provided = 0;
  std::vector<std::pair<std::uint32_t, std::string>> queries;
  std::vector<std::uint32_t> cancelled;
  std::vector<std::string> checked;
  bool sawPrincipal = false;
  std::string initNamespace;
  Status accessStatus = WBEM_E_ACCESS_DENIED;
  Status initStatus = WBEM_S_NO_ERROR;
};

// The event class E : __ExtrinsicEvent { sint32 N; } and its instances.
struct Schema {
  Namespace ns{"root/test"};
  ClassObject eventClass = [this] {
    ClassObject e = ns.getClass("__ExtrinsicEvent")->spawnDerivedClass("E");
    e.putProperty("N", scalarType(CimType::SInt32));
    return e;
  }();
  ClassObject event(std::int32_t n) const {
    ClassObject e = eventClass.spawnInstance();
    e.put("N", Value(n));
    return e;
  }
};

ConnectOptions optionsFor(const FakeDaemon& daemon) {
  ConnectOptions options;
  options.socketPath = daemon.path();
  options.namespaceName = "root\\test";
  options.timeout = 5000ms;
  options.software = "client test";
  return options;
}

// connect() against `daemon`, which the test thread answers meanwhile.
std::shared_ptr<Connection> connectTo(FakeDaemon& daemon) {
  auto connecting = std::async(std::launch::async, [options = optionsFor(daemon)] { return connect(options); });
  daemon.accept();
  return connecting.get();
}

// Starts a subscription of `sink` and answers it; returns its request id.
std::uint64_t subscribe(FakeDaemon& daemon, Connection& connection, const std::shared_ptr<ObjectSink>& sink) {
  auto started = std::async(std::launch::async,
                            [&] { return connection.execNotificationQueryAsync("WQL", "SELECT * FROM E", 0, sink); });
  const Msg request = daemon.expect(Message::ExecNotificationQuery);
  CHECK(request.text(0) == "root/test");
  CHECK(request.text(2) == "SELECT * FROM E");
  daemon.reply(request.id);
  REQUIRE(started.get() == WBEM_S_NO_ERROR);
  return request.id;
}

// The daemon's NewQuery for filter `id` ("SELECT * FROM E") to the provider registered as `handle`.
void sendNewQuery(FakeDaemon& daemon, std::uint64_t handle, std::uint32_t id) {
  daemon.send(Message::NewQuery, handle, [id](wire::Packer& packer, wire::ObjectEncoder&) {
    packer.pack_array(3);
    packer.pack_uint32(id);
    protocol::packString(packer, "WQL");
    protocol::packString(packer, "SELECT * FROM E");
  });
}

}  // namespace

TEST_CASE("connect exchanges the Hello and refuses another protocol version") {
  FakeDaemon daemon(tempSocket());
  {
    auto connection = connectTo(daemon);
    CHECK(connection->namespaceName() == "root/test");
    CHECK(daemon.clientHello.software == "client test");
    CHECK(daemon.clientHello.protocolVersion == wire::kProtocolVersion);
  }
  auto connecting = std::async(std::launch::async, [options = optionsFor(daemon)] { return connect(options); });
  daemon.accept(wire::kProtocolVersion + 1);
  CHECK(errorOf([&] { connecting.get(); }).status() == WBEM_E_MARSHAL_VERSION_MISMATCH);

  ConnectOptions nowhere;
  nowhere.socketPath = tempSocket();
  CHECK(statusOf([&] { connect(nowhere); }) == WBEM_E_TRANSPORT_FAILURE);
}

TEST_CASE("synchronous calls decode their result and rethrow the daemon's errors") {
  Schema schema;
  FakeDaemon daemon(tempSocket());
  auto connection = connectTo(daemon);

  auto got = std::async(std::launch::async, [&] { return connection->getObject("E"); });
  Msg request = daemon.expect(Message::GetObject);
  CHECK(request.text(0) == "root/test");
  CHECK(request.text(1) == "E");
  daemon.reply(request.id,
               [&](wire::Packer& packer, wire::ObjectEncoder& encoder) { encoder.encode(packer, schema.eventClass); });
  CHECK(*got.get() == schema.eventClass);

  auto query = std::async(std::launch::async, [&] { return connection->execQuery("WQL", "SELECT * FROM E"); });
  request = daemon.expect(Message::ExecQuery);
  daemon.reply(request.id, [&](wire::Packer& packer, wire::ObjectEncoder& encoder) {
    packer.pack_array(2);
    encoder.encode(packer, schema.event(1));
    encoder.encode(packer, schema.event(2));
  });
  const std::vector<ObjectPtr> rows = query.get();
  REQUIRE(rows.size() == 2);
  CHECK(*rows[1] == schema.event(2));

  auto put = std::async(std::launch::async, [&] { return connection->putInstance(schema.event(3)); });
  request = daemon.expect(Message::PutInstance);
  CHECK(daemon.decode(request.field(2)) == schema.event(3));
  daemon.reply(request.id, [](wire::Packer& packer, wire::ObjectEncoder&) { protocol::packString(packer, "E=@"); });
  CHECK(put.get().isSingleton());

  auto stats = std::async(std::launch::async, [&] { return connection->statistics(); });
  request = daemon.expect(Message::Statistics);
  daemon.reply(request.id, [](wire::Packer& packer, wire::ObjectEncoder&) {
    packer.pack_array(3);
    packer.pack_map(1);
    protocol::packString(packer, "eventsIn");
    packer.pack_uint64(42);
    packer.pack_array(1);
    packer.pack_array(6);
    protocol::packString(packer, "root/test");
    protocol::packString(packer, "P");
    packer.pack(true);
    packer.pack_uint64(2);
    packer.pack_uint64(40);
    packer.pack_uint64(1);
    packer.pack_array(1);
    packer.pack_array(11);
    packer.pack_uint64(9);
    protocol::packString(packer, "root/test");
    protocol::packString(packer, "SELECT * FROM E");
    protocol::packString(packer, "__TemporaryConsumer.Id=9");
    packer.pack_uint32(1000);
    packer.pack(false);
    for (const std::uint64_t n : {38, 2, 1, 3, 300}) packer.pack_uint64(n);
  });
  const DaemonStatistics statistics = stats.get();
  CHECK(statistics.counters.at("eventsIn") == 42);
  REQUIRE(statistics.providers.size() == 1);
  CHECK(statistics.providers[0].name == "P");
  CHECK(statistics.providers[0].bound);
  CHECK(statistics.providers[0].filters == 2);
  CHECK(statistics.providers[0].indicated == 40);
  CHECK(statistics.providers[0].rejectedBusy == 1);
  REQUIRE(statistics.consumers.size() == 1);
  const ConsumerStatistics& consumer = statistics.consumers[0];
  CHECK(consumer.id == 9);
  CHECK(consumer.query == "SELECT * FROM E");
  CHECK(consumer.consumer == "__TemporaryConsumer.Id=9");
  CHECK(consumer.ownerUid == 1000);
  CHECK_FALSE(consumer.permanent);
  CHECK(consumer.delivered == 38);
  CHECK(consumer.dropped == 2);
  CHECK(consumer.failures == 1);
  CHECK(consumer.queuedEvents == 3);
  CHECK(consumer.queuedBytes == 300);

  auto compile = std::async(std::launch::async, [&] { return connection->compileMof("class X {;", "x.mof"); });
  request = daemon.expect(Message::CompileMof);
  CHECK(request.text(2) == "x.mof");
  daemon.replyError(request.id, Error(WBEM_E_INVALID_SYNTAX, "expected a property", TextPosition{"x.mof", 3, 7}));
  const Error error = errorOf([&] { compile.get(); });
  CHECK(error.status() == WBEM_E_INVALID_SYNTAX);
  CHECK(error.message() == "expected a property");
  REQUIRE(error.position().has_value());
  CHECK(error.position()->line == 3);
  CHECK(error.position()->column == 7);

  // No Reply within the timeout: WBEM_E_TIMED_OUT; the late Reply is still decoded (its class
  // record), so that a later object of that class decodes.
  ConnectOptions quick = optionsFor(daemon);
  quick.timeout = 200ms;
  auto connecting = std::async(std::launch::async, [&] { return connect(quick); });
  daemon.accept();
  auto impatient = connecting.get();
  CHECK(statusOf([&] { impatient->getObject("E"); }) == WBEM_E_TIMED_OUT);
  request = daemon.expect(Message::GetObject);
  daemon.reply(request.id,
               [&](wire::Packer& packer, wire::ObjectEncoder& encoder) { encoder.encode(packer, schema.eventClass); });
  auto second = std::async(std::launch::async, [&] { return impatient->getObject("E=@"); });
  request = daemon.expect(Message::GetObject);
  daemon.reply(request.id,
               [&](wire::Packer& packer, wire::ObjectEncoder& encoder) { encoder.encode(packer, schema.event(8)); });
  CHECK(*second.get() == schema.event(8));
}

TEST_CASE("an asynchronous subscription delivers Events until CallEnded") {
  Schema schema;
  FakeDaemon daemon(tempSocket());
  auto connection = connectTo(daemon);
  auto sink = std::make_shared<RecordingSink>();
  const std::uint64_t id = subscribe(daemon, *connection, sink);

  CHECK(connection->execNotificationQueryAsync("WQL", "SELECT * FROM E", 0x1, sink) == WBEM_E_INVALID_PARAMETER);
  daemon.sendEvents(id, {schema.event(1), schema.event(2)});
  daemon.sendEvents(id, {schema.event(3)});
  REQUIRE(eventually([&] { return sink->eventCount() == 3; }));
  CHECK(*sink->events()[2] == schema.event(3));
  daemon.sendStatus(Message::CallEnded, id, WBEM_E_ACCESS_DENIED, "revoked");
  REQUIRE(eventually([&] { return sink->statuses().size() == 1; }));
  CHECK(sink->statuses()[0] == std::pair<std::int32_t, Status>(WBEM_STATUS_COMPLETE, WBEM_E_ACCESS_DENIED));
  CHECK(connection->cancelAsyncCall(sink) == WBEM_E_NOT_FOUND);

  // A refused query starts nothing and calls no sink.
  auto refusedSink = std::make_shared<RecordingSink>();
  auto refused = std::async(std::launch::async, [&] {
    return connection->execNotificationQueryAsync("WQL", "SELECT * FROM Nope", 0, refusedSink);
  });
  const Msg request = daemon.expect(Message::ExecNotificationQuery);
  daemon.replyError(request.id, Error(WBEM_E_INVALID_CLASS, "Nope"));
  CHECK(refused.get() == WBEM_E_INVALID_CLASS);
  std::this_thread::sleep_for(50ms);
  CHECK(refusedSink->statuses().empty());
}

TEST_CASE("cancelAsyncCall stops the indications and reports WBEM_E_CALL_CANCELLED once") {
  Schema schema;
  FakeDaemon daemon(tempSocket());
  auto connection = connectTo(daemon);
  auto sink = std::make_shared<RecordingSink>();
  const std::uint64_t id = subscribe(daemon, *connection, sink);
  daemon.sendEvents(id, {schema.event(1)});
  REQUIRE(eventually([&] { return sink->eventCount() == 1; }));

  auto cancelling = std::async(std::launch::async, [&] { return connection->cancelAsyncCall(sink); });
  const Msg cancel = daemon.expect(Message::CancelAsyncCall);
  CHECK(cancel.number(0) == id);
  daemon.reply(cancel.id);
  CHECK(cancelling.get() == WBEM_S_NO_ERROR);
  const std::size_t seen = sink->eventCount();
  daemon.sendEvents(id, {schema.event(2), schema.event(3)});  // already on the way
  daemon.sendStatus(Message::CallEnded, id, WBEM_E_CALL_CANCELLED, "cancelled");
  // Still decoded: a later object of the same class arrives fine on another subscription.
  auto other = std::make_shared<RecordingSink>();
  const std::uint64_t second = subscribe(daemon, *connection, other);
  daemon.sendEvents(second, {schema.event(4)});
  REQUIRE(eventually([&] { return other->eventCount() == 1; }));
  CHECK(*other->events()[0] == schema.event(4));
  CHECK(sink->eventCount() == seen);
  REQUIRE(eventually([&] { return !sink->statuses().empty(); }));
  std::this_thread::sleep_for(50ms);
  const auto statuses = sink->statuses();
  REQUIRE(statuses.size() == 1);
  CHECK(statuses[0] == std::pair<std::int32_t, Status>(WBEM_STATUS_COMPLETE, WBEM_E_CALL_CANCELLED));
  CHECK(connection->cancelAsyncCall(sink) == WBEM_E_NOT_FOUND);

  // ~Connection cancels what is left.
  connection.reset();
  REQUIRE(eventually([&] { return other->statuses().size() == 1; }));
  CHECK(other->statuses()[0].second == WBEM_E_CALL_CANCELLED);
}

TEST_CASE("the semisynchronous enumerator") {
  Schema schema;
  FakeDaemon daemon(tempSocket());
  auto connection = connectTo(daemon);
  CHECK(statusOf([&] { connection->execNotificationQuery("WQL", "SELECT * FROM E", 0); }) == WBEM_E_INVALID_PARAMETER);

  auto opening =
      std::async(std::launch::async, [&] { return connection->execNotificationQuery("WQL", "SELECT * FROM E", 0x30); });
  const Msg request = daemon.expect(Message::ExecNotificationQuery);
  daemon.reply(request.id);
  std::unique_ptr<EventEnumeratorProxy> enumerator = opening.get();

  std::vector<ObjectPtr> out;
  CHECK(enumerator->next(0, 0, out) == WBEM_E_INVALID_PARAMETER);
  CHECK(enumerator->next(20, 1, out) == WBEM_S_TIMEDOUT);
  CHECK(out.empty());
  daemon.sendEvents(request.id, {schema.event(1), schema.event(2), schema.event(3)});
  CHECK(enumerator->next(5000, 2, out) == WBEM_S_NO_ERROR);
  REQUIRE(out.size() == 2);
  CHECK(*out[1] == schema.event(2));
  CHECK(enumerator->next(50, 2, out) == WBEM_S_TIMEDOUT);
  CHECK(out.size() == 3);

  enumerator.reset();
  const Msg cancel = daemon.expect(Message::CancelAsyncCall);
  CHECK(cancel.number(0) == request.id);
  daemon.reply(cancel.id);

  // An enumerator whose subscription ends returns the reason once it is empty.
  auto reopening =
      std::async(std::launch::async, [&] { return connection->execNotificationQuery("WQL", "SELECT * FROM E", 0x30); });
  const Msg again = daemon.expect(Message::ExecNotificationQuery);
  daemon.reply(again.id);
  enumerator = reopening.get();
  daemon.sendEvents(again.id, {schema.event(5)});
  daemon.closeClient();
  out.clear();
  CHECK(enumerator->next(5000, 2, out) == WBEM_S_TIMEDOUT);
  CHECK(out.size() == 1);
  CHECK(enumerator->next(5000, 1, out) == WBEM_E_TRANSPORT_FAILURE);
}

TEST_CASE("a broken socket fails pending calls and ends the subscriptions") {
  Schema schema;
  FakeDaemon daemon(tempSocket());
  auto connection = connectTo(daemon);
  auto sink = std::make_shared<RecordingSink>();
  subscribe(daemon, *connection, sink);

  auto pending = std::async(std::launch::async, [&] { return connection->getObject("E"); });
  daemon.expect(Message::GetObject);
  daemon.closeClient();
  CHECK(statusOf([&] { pending.get(); }) == WBEM_E_TRANSPORT_FAILURE);
  REQUIRE(eventually([&] { return sink->statuses().size() == 1; }));
  CHECK(sink->statuses()[0] == std::pair<std::int32_t, Status>(WBEM_STATUS_COMPLETE, WBEM_E_TRANSPORT_FAILURE));
  CHECK(statusOf([&] { connection->getObject("E"); }) == WBEM_E_TRANSPORT_FAILURE);
  CHECK(connection->execNotificationQueryAsync("WQL", "SELECT * FROM E", 0, std::make_shared<RecordingSink>()) ==
        WBEM_E_TRANSPORT_FAILURE);

  // Goodbye ends a connection with its status.
  auto second = connectTo(daemon);
  auto other = std::make_shared<RecordingSink>();
  subscribe(daemon, *second, other);
  auto waiting = std::async(std::launch::async, [&] { return second->getObject("E"); });
  daemon.expect(Message::GetObject);
  daemon.sendStatus(Message::Goodbye, 0, WBEM_E_SHUTTING_DOWN, "stopping");
  CHECK(statusOf([&] { waiting.get(); }) == WBEM_E_SHUTTING_DOWN);
  REQUIRE(eventually([&] { return other->statuses().size() == 1; }));
  CHECK(other->statuses()[0].second == WBEM_E_SHUTTING_DOWN);
  CHECK(statusOf([&] { second->getObject("E"); }) == WBEM_E_TRANSPORT_FAILURE);  // no reconnect for calls
}

TEST_CASE("a decoupled provider registers, gets the daemon's calls and indicates in batches") {
  Schema schema;
  FakeDaemon daemon(tempSocket());
  auto provider = std::make_shared<TestProvider>();
  DecoupledBasicEventProvider registrar(optionsFor(daemon));
  CHECK(statusOf([&] { registrar.getSink(); }) == WBEM_E_PROVIDER_NOT_REGISTERED);
  CHECK(registrar.registerProvider(1, "", "", "root/test", "P", provider) == WBEM_E_INVALID_PARAMETER);

  auto registering = std::async(std::launch::async,
                                [&] { return registrar.registerProvider(0, "", "", "root\\test", "P", provider); });
  daemon.accept();
  const Msg reg = daemon.expect(Message::RegisterProvider);
  CHECK(reg.text(0) == "root/test");
  CHECK(reg.text(1) == "P");
  CHECK(reg.number(5) ==
        (protocol::kProvidesEvents | protocol::kQuerySink | protocol::kAccessCheck | protocol::kInitialize));
  daemon.reply(reg.id);
  REQUIRE(registering.get() == WBEM_S_NO_ERROR);
  CHECK(registrar.registerProvider(0, "", "", "root/test", "P", provider) == WBEM_E_PROVIDER_ALREADY_REGISTERED);
  const std::uint64_t handle = reg.id;
  std::shared_ptr<EventSink> sink = registrar.getSink();
  CHECK(sink->isActive() == WBEM_S_FALSE);

  // The daemon's calls reach the provider's interfaces.
  daemon.send(Message::Initialize, 900, [&](wire::Packer& packer, wire::ObjectEncoder&) {
    packer.pack_array(4);
    packer.pack_uint64(handle);
    protocol::packString(packer, "");
    protocol::packString(packer, "root/test");
    protocol::packString(packer, "");
  });
  Msg answer = daemon.expect(Message::Reply);
  CHECK(answer.id == 900);
  CHECK(answer.number(0) == WBEM_S_NO_ERROR);
  daemon.send(Message::ProvideEvents, handle, [](wire::Packer& packer, wire::ObjectEncoder&) {
    packer.pack_array(1);
    packer.pack_int32(0);
  });
  REQUIRE(eventually([&] { return provider->provideCount() == 1; }));
  CHECK(provider->currentSink() == sink);
  sendNewQuery(daemon, handle, 7);
  REQUIRE(eventually([&] { return sink->isActive() == WBEM_S_NO_ERROR; }));
  daemon.send(Message::AccessCheck, 901, [&](wire::Packer& packer, wire::ObjectEncoder&) {
    packer.pack_array(3);
    packer.pack_uint64(handle);
    protocol::packString(packer, "WQL");
    protocol::packString(packer, "SELECT * FROM E WHERE N > 1");
  });
  answer = daemon.expect(Message::Reply);
  CHECK(answer.id == 901);
  CHECK(answer.number(0) == WBEM_E_ACCESS_DENIED);
  daemon.send(Message::CancelQuery, handle, [](wire::Packer& packer, wire::ObjectEncoder&) {
    packer.pack_array(1);
    packer.pack_uint32(7);
  });
  REQUIRE(eventually([&] { return sink->isActive() == WBEM_S_FALSE; }));
  REQUIRE(eventually([&] {  // the callback follows on the delivery thread
    std::lock_guard lock(provider->mutex);
    return !provider->cancelled.empty();
  }));
  {
    std::lock_guard lock(provider->mutex);
    REQUIRE(provider->queries.size() == 1);
    CHECK(provider->queries[0] == std::pair<std::uint32_t, std::string>(7, "SELECT * FROM E"));
    CHECK(provider->cancelled == std::vector<std::uint32_t>{7});
    CHECK(provider->checked == std::vector<std::string>{"SELECT * FROM E WHERE N > 1"});
    CHECK_FALSE(provider->sawPrincipal);
    CHECK(provider->initNamespace == "root/test");
  }

  // Events leave in Indicate frames, many to a frame.
  CHECK(sink->indicate(schema.eventClass) == WBEM_E_INVALID_PARAMETER);
  std::vector<ClassObject> events;
  for (int i = 0; i < 200; ++i) events.push_back(schema.event(i));
  REQUIRE(sink->indicate(events) == WBEM_S_NO_ERROR);
  std::vector<ClassObject> received;
  int frames = 0;
  while (received.size() < events.size()) {
    const Msg indicate = daemon.expect(Message::Indicate);
    ++frames;
    CHECK(indicate.id == handle);
    CHECK(indicate.number(0) == handle);
    const msgpack::object& batch = indicate.field(1);
    for (std::uint32_t i = 0; i < batch.via.array.size; ++i) received.push_back(daemon.decode(batch.via.array.ptr[i]));
  }
  CHECK(frames < 10);
  CHECK(received[199].get("N") == Value(std::int32_t{199}));
  CHECK_FALSE(received[0].get("TIME_CREATED").isNull());  // stamped when raised

  // A security change travels between the events, so it applies exactly to those after it;
  // events subject to their own descriptors go in frames of their own.
  REQUIRE(sink->indicate(schema.event(300)) == WBEM_S_NO_ERROR);
  sink->setSinkSecurity(SecurityDescriptor::parse("D:(A;;0x40;;;uid:1000)"));
  REQUIRE(sink->indicate(schema.event(301), true) == WBEM_S_NO_ERROR);
  REQUIRE(sink->indicate(schema.event(302)) == WBEM_S_NO_ERROR);
  const Msg before = daemon.expect(Message::Indicate);
  CHECK(before.size() == 2);
  CHECK(daemon.decode(before.field(1).via.array.ptr[0]).get("N") == Value(std::int32_t{300}));
  const Msg security = daemon.expect(Message::SetSinkSecurity);
  CHECK(security.number(0) == handle);
  CHECK(security.text(1) == "D:(A;;0x40;;;uid:1000)");
  const Msg subject = daemon.expect(Message::Indicate);
  REQUIRE(subject.size() == 3);
  CHECK(subject.field(2).as<bool>());
  CHECK(daemon.decode(subject.field(1).via.array.ptr[0]).get("N") == Value(std::int32_t{301}));
  const Msg after = daemon.expect(Message::Indicate);
  CHECK(after.size() == 2);
  CHECK(daemon.decode(after.field(1).via.array.ptr[0]).get("N") == Value(std::int32_t{302}));

  // MUST_NOT_BATCH: one event per frame.
  CHECK(sink->setBatchingParameters(WBEM_FLAG_MUST_BATCH, 0, WBEM_INFINITE) == WBEM_E_INVALID_PARAMETER);
  REQUIRE(sink->setBatchingParameters(WBEM_FLAG_MUST_NOT_BATCH, 0, 0) == WBEM_S_NO_ERROR);
  REQUIRE(sink->indicate(std::vector<ClassObject>{schema.event(1), schema.event(2)}) == WBEM_S_NO_ERROR);
  for (int i = 0; i < 2; ++i) CHECK(daemon.expect(Message::Indicate).field(1).via.array.size == 1);
  CHECK(statusOf([&] { sink->getRestrictedSink({"SELECT * FROM E"}); }) == WBEM_E_NOT_SUPPORTED);

  auto unregistering = std::async(std::launch::async, [&] { return registrar.unregister(); });
  const Msg unreg = daemon.expect(Message::UnregisterProvider);
  CHECK(unreg.number(0) == handle);
  daemon.reply(unreg.id);
  CHECK(unregistering.get() == WBEM_S_NO_ERROR);
  CHECK(sink->indicate(schema.event(9)) == WBEM_E_PROVIDER_NOT_REGISTERED);
  CHECK(registrar.unregister() == WBEM_E_PROVIDER_NOT_REGISTERED);
  CHECK(statusOf([&] { registrar.getSink(); }) == WBEM_E_PROVIDER_NOT_REGISTERED);
}

TEST_CASE("a decoupled provider registers again by itself after the daemon restarts") {
  Schema schema;
  const std::filesystem::path path = tempSocket();
  auto provider = std::make_shared<TestProvider>();
  ConnectOptions options;
  options.socketPath = path;
  options.timeout = 5000ms;
  DecoupledRegistrar registrar(options);
  std::uint64_t handle = 0;
  {
    FakeDaemon daemon(path);
    auto registering = std::async(std::launch::async, [&] {
      return registrar.registerProvider(0, "", "root/test", "", "P", provider);  // the namespace as locale
    });
    daemon.accept();
    const Msg reg = daemon.expect(Message::RegisterProvider);
    CHECK(reg.text(0) == "root/test");
    CHECK(reg.text(3).empty());
    daemon.reply(reg.id);
    REQUIRE(registering.get() == WBEM_S_NO_ERROR);
    daemon.send(Message::ProvideEvents, reg.id, [](wire::Packer& packer, wire::ObjectEncoder&) {
      packer.pack_array(1);
      packer.pack_int32(0);
    });
    sendNewQuery(daemon, reg.id, 7);
    REQUIRE(eventually([&] { return provider->queryCount() == 1; }));
    REQUIRE(eventually([&] { return provider->provideCount() == 1; }));
    provider->currentSink()->setSinkSecurity(SecurityDescriptor::parse("D:(A;;0x40;;;WD)"));
    CHECK(daemon.expect(Message::SetSinkSecurity).text(1) == "D:(A;;0x40;;;WD)");
    handle = reg.id;
  }  // the daemon goes away

  std::shared_ptr<EventSink> sink = provider->currentSink();
  REQUIRE(eventually([&] { return sink->isActive() == WBEM_S_FALSE; }));
  // Its filters went with it: the provider is told, so the next newQuery(7) finds nothing stale.
  REQUIRE(eventually([&] { return provider->cancelledQueries() == std::vector<std::uint32_t>{7}; }));
  std::this_thread::sleep_for(120ms);                         // a failed attempt or two
  CHECK(sink->indicate(schema.event(0)) == WBEM_S_NO_ERROR);  // dropped: no daemon

  FakeDaemon restarted(path);
  restarted.accept();
  const Msg reg = restarted.expect(Message::RegisterProvider);
  CHECK(reg.id != handle);
  CHECK(reg.text(1) == "P");
  restarted.reply(reg.id);
  // The new daemon's sink gets the descriptor before any event.
  const Msg security = restarted.expect(Message::SetSinkSecurity);
  CHECK(security.number(0) == reg.id);
  CHECK(security.text(1) == "D:(A;;0x40;;;WD)");
  restarted.send(Message::ProvideEvents, reg.id, [](wire::Packer& packer, wire::ObjectEncoder&) {
    packer.pack_array(1);
    packer.pack_int32(0);
  });
  REQUIRE(eventually([&] { return provider->provideCount() == 2; }));
  sendNewQuery(restarted, reg.id, 7);
  REQUIRE(eventually([&] { return provider->queryCount() == 2; }));
  CHECK(provider->currentSink() == sink);  // the same sink, now on the new connection
  REQUIRE(sink->indicate(schema.event(5)) == WBEM_S_NO_ERROR);
  const Msg indicate = restarted.expect(Message::Indicate);
  CHECK(indicate.number(0) == reg.id);
  REQUIRE(indicate.field(1).via.array.size == 1);
  CHECK(restarted.decode(indicate.field(1).via.array.ptr[0]).get("N") == Value(std::int32_t{5}));

  auto unregistering = std::async(std::launch::async, [&] { return registrar.unregister(); });
  restarted.reply(restarted.expect(Message::UnregisterProvider).id);
  CHECK(unregistering.get() == WBEM_S_NO_ERROR);
}
