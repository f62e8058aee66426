// Services::subscribe: Boost.Signals2 subscriptions. Values reach the slot, subscriptions are
// independent, and every way of disconnecting (scoped_connection, disconnect() inside the slot,
// the Services or the service going) ends the subscription at the provider.

#include <wbem/services.hpp>

#include <atomic>
#include <boost/signals2/connection.hpp>
#include <catch2/catch.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "consumers/fixture.hpp"
#include "support.hpp"

using namespace wbem;
using namespace wbemtest;

namespace {

// What a slot saw, readable from the test thread.
struct Seen {
  std::mutex mutex;
  std::vector<std::string> s;
  std::vector<std::int64_t> n;
  std::vector<bool> b;

  void add(const ClassObject& ev) {
    std::lock_guard lock(mutex);
    s.push_back(ev.get("S").asString());
    n.push_back(ev.get("N").asInt64());
    b.push_back(ev.get("B").asBool());
  }
  std::vector<std::string> strings() {
    std::lock_guard lock(mutex);
    return s;
  }
};

}  // namespace

TEST_CASE("a slot receives the events of its query with their values", "[signals]") {
  World world;
  Services services(world.service, "root\\test");
  Seen seen;
  boost::signals2::scoped_connection connection =
      services.subscribe("SELECT * FROM E WHERE B = TRUE", [&](const ClassObject& ev) { seen.add(ev); });
  CHECK(connection.connected());
  world.raise(world.event("cat", 7, true));
  world.raise(world.event("dog", 8, false));
  world.raise(world.event("eel", -1, true));
  world.settle();
  std::lock_guard lock(seen.mutex);
  CHECK(seen.s == std::vector<std::string>{"cat", "eel"});
  CHECK(seen.n == std::vector<std::int64_t>{7, -1});
  CHECK(seen.b == std::vector<bool>{true, true});
}

TEST_CASE("two slots on two subscriptions each get their own events", "[signals]") {
  World world;
  Services services(world.service, "root\\test");
  Seen ones, twos;
  boost::signals2::scoped_connection first =
      services.subscribe("SELECT * FROM E WHERE N = 1", [&](const ClassObject& ev) { ones.add(ev); });
  boost::signals2::scoped_connection second =
      services.subscribe("SELECT * FROM E WHERE N = 2", [&](const ClassObject& ev) { twos.add(ev); });
  CHECK(world.provider->live().size() == 2);
  world.raise(world.event("a", 1));
  world.raise(world.event("b", 2));
  world.raise(world.event("c", 1));
  world.settle();
  CHECK(ones.strings() == std::vector<std::string>{"a", "c"});
  CHECK(twos.strings() == std::vector<std::string>{"b"});

  first.disconnect();  // the other subscription goes on
  CHECK(world.provider->live().size() == 1);
  world.raise(world.event("d", 1));
  world.raise(world.event("e", 2));
  world.settle();
  CHECK(ones.strings() == std::vector<std::string>{"a", "c"});
  CHECK(twos.strings() == std::vector<std::string>{"b", "e"});
}

TEST_CASE("a scoped_connection leaving scope cancels the subscription", "[signals]") {
  World world;
  Services services(world.service, "root\\test");
  std::atomic<int> count{0};
  boost::signals2::connection plain;
  {
    boost::signals2::scoped_connection connection =
        services.subscribe("SELECT * FROM E", [&](const ClassObject&) { ++count; });
    plain = connection;
    REQUIRE(world.provider->live().size() == 1);
    world.raise(world.event("in"));
    world.settle();
    CHECK(count == 1);
  }
  // Left scope on this thread, outside any delivery: the cancellation is done when it returns.
  CHECK_FALSE(plain.connected());
  CHECK(world.provider->live().empty());
  CHECK(world.provider->cancelled().size() == 1);
  world.raiseIfActive(world.event("out"));
  world.settle();
  CHECK(count == 1);
}

TEST_CASE("disconnecting from inside the slot does not deadlock and ends the subscription", "[signals]") {
  World world;
  Services services(world.service, "root\\test");
  std::atomic<int> count{0};
  boost::signals2::connection connection;
  std::mutex connectionMutex;
  {
    std::lock_guard lock(connectionMutex);
    connection = services.subscribe("SELECT * FROM E", [&](const ClassObject&) {
      ++count;
      std::lock_guard inner(connectionMutex);
      connection.disconnect();
    });
  }
  world.raise(world.event("1"));
  // The slot may already have disconnected, and the provider been shut down.
  world.raiseIfActive(world.event("2"));
  world.raiseIfActive(world.event("3"));
  world.settle();
  CHECK(count == 1);
  {
    std::lock_guard lock(connectionMutex);
    CHECK_FALSE(connection.connected());
  }
  REQUIRE(world.provider->waitLive(0));  // cancelled by the helper thread
  CHECK(world.provider->cancelled().size() == 1);
  world.raiseIfActive(world.event("4"));
  world.settle();
  CHECK(count == 1);
}

TEST_CASE("a slot may disconnect another subscription's connection", "[signals]") {
  World world;
  Services services(world.service, "root\\test");
  std::atomic<int> victimCount{0};
  boost::signals2::connection victim =
      services.subscribe("SELECT * FROM E WHERE N = 2", [&](const ClassObject&) { ++victimCount; });
  boost::signals2::scoped_connection killer =
      services.subscribe("SELECT * FROM E WHERE N = 1", [&](const ClassObject&) { victim.disconnect(); });
  world.raise(world.event("kill", 1));
  world.settle();
  REQUIRE(world.provider->waitLive(1));  // the killer's own query stays
  CHECK_FALSE(victim.connected());
  world.raise(world.event("late", 2));
  world.settle();
  CHECK(victimCount == 0);
}

TEST_CASE("a bad query or an empty slot throws and leaves nothing subscribed", "[signals]") {
  World world;
  Services services(world.service, "root\\test");
  auto slot = [](const ClassObject&) {};
  CHECK_STATUS(WBEM_E_INVALID_QUERY, services.subscribe("SELEC * FROM E", slot));
  CHECK_STATUS(WBEM_E_INVALID_CLASS, services.subscribe("SELECT * FROM NoSuchEvent", slot));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, services.subscribe("SELECT * FROM E", nullptr));
  CHECK(world.provider->live().empty());
}

TEST_CASE("destroying the Services disconnects its slots", "[signals]") {
  World world;
  auto services = std::make_unique<Services>(world.service, "root\\test");
  std::atomic<int> count{0};
  boost::signals2::scoped_connection connection =
      services->subscribe("SELECT * FROM E", [&](const ClassObject&) { ++count; });
  world.raise(world.event("a"));
  world.settle();
  services.reset();
  CHECK_FALSE(connection.connected());
  CHECK(world.provider->live().empty());
  CHECK(world.provider->cancelled().size() == 1);
  world.raiseIfActive(world.event("b"));
  world.settle();
  CHECK(count == 1);
}

TEST_CASE("a connection may outlive its Services and the event service", "[signals]") {
  boost::signals2::scoped_connection connection;
  {
    World world;
    Services services(world.service, "root\\test");
    connection = services.subscribe("SELECT * FROM E", [](const ClassObject&) {});
    CHECK(connection.connected());
  }
  CHECK_FALSE(connection.connected());
  connection.disconnect();
}
