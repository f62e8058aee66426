// Services: ExecNotificationQueryAsync and CancelAsyncCall (spec 12 cases 59, 60, 61,
// decisions.md 3 and 6), the namespace binding, and the async half of spec 40.

#include <wbem/services.hpp>

#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <vector>

#include "consumers/fixture.hpp"
#include "support.hpp"

using namespace wbem;
using namespace wbemtest;

TEST_CASE("a Services binds to an existing namespace only", "[services]") {
  World world;
  CHECK_STATUS(WBEM_E_INVALID_NAMESPACE, Services(world.service, "root\\nosuch"));
  Services services(world.service, "ROOT/Test");  // as EventService names it: either slash, any case
  CHECK(&services.service() == &world.service);
  CHECK(services.namespaceName() == "ROOT/Test");
}

TEST_CASE("spec 59: the async sink receives every event, then one setStatus after CancelAsyncCall", "[services]") {
  World world;
  Services services(world.service, "root\\test");
  auto sink = std::make_shared<RecordingSink>();
  REQUIRE(services.execNotificationQueryAsync("WQL", "SELECT * FROM E", 0, sink) == WBEM_S_NO_ERROR);
  for (int i = 0; i < 10; ++i) world.raise(world.event("e", i));
  world.settle();
  auto events = sink->events();
  REQUIRE(events.size() == 10);
  for (int i = 0; i < 10; ++i) CHECK(events[i]->get("N").asInt64() == i);
  CHECK(sink->statuses().empty());

  CHECK(services.cancelAsyncCall(sink) == WBEM_S_NO_ERROR);
  auto statuses = sink->statuses();  // cancel() calls setStatus before it returns
  REQUIRE(statuses.size() == 1);
  CHECK(statuses[0].flags == WBEM_STATUS_COMPLETE);
  CHECK(statuses[0].result == WBEM_E_CALL_CANCELLED);
  std::size_t calls = sink->indicateCalls();
  world.raiseIfActive(world.event("after"));
  world.settle();
  CHECK(sink->indicateCalls() == calls);
  CHECK(sink->events().size() == 10);
  CHECK(sink->statuses().size() == 1);
  CHECK(services.cancelAsyncCall(sink) == WBEM_E_NOT_FOUND);
}

TEST_CASE("WBEM_FLAG_SEND_STATUS is accepted and adds no setStatus", "[services]") {
  World world;
  Services services(world.service, "root\\test");
  auto sink = std::make_shared<RecordingSink>();
  REQUIRE(services.execNotificationQueryAsync("WQL", "SELECT * FROM E", WBEM_FLAG_SEND_STATUS, sink) ==
          WBEM_S_NO_ERROR);
  world.raise(world.event("a"));
  world.settle();
  CHECK(sink->events().size() == 1);
  CHECK(sink->statuses().empty());
}

TEST_CASE("spec 60: a failing ExecNotificationQueryAsync neither calls nor keeps the sink", "[services]") {
  World world;
  Services services(world.service, "root\\test");
  auto sink = std::make_shared<RecordingSink>();
  long uses = sink.use_count();
  CHECK(services.execNotificationQueryAsync("WQL", "SELEC * FROM E", 0, sink) == WBEM_E_INVALID_QUERY);
  CHECK(services.execNotificationQueryAsync("SQL", "SELECT * FROM E", 0, sink) == WBEM_E_INVALID_QUERY_TYPE);
  CHECK(services.execNotificationQueryAsync("WQL", "SELECT * FROM NoSuchEvent", 0, sink) == WBEM_E_INVALID_CLASS);
  // decisions.md 3: unknown flags, including the semisynchronous ones.
  for (std::int32_t flags : {0x30, 0x10, 0x1, WBEM_FLAG_SEND_STATUS | 0x20})
    CHECK(services.execNotificationQueryAsync("WQL", "SELECT * FROM E", flags, sink) == WBEM_E_INVALID_PARAMETER);
  CHECK(services.execNotificationQueryAsync("WQL", "SELECT * FROM E", 0, nullptr) == WBEM_E_INVALID_PARAMETER);
  world.settle();
  CHECK(sink.use_count() == uses);
  CHECK(sink->indicateCalls() == 0);
  CHECK(sink->statuses().empty());
  CHECK(world.provider->live().empty());
  CHECK(services.cancelAsyncCall(sink) == WBEM_E_NOT_FOUND);
}

TEST_CASE("a sink serves one call at a time and can be used again once it ended", "[services]") {
  World world;
  Services services(world.service, "root\\test");
  auto sink = std::make_shared<RecordingSink>();
  REQUIRE(services.execNotificationQueryAsync("WQL", "SELECT * FROM E", 0, sink) == WBEM_S_NO_ERROR);
  CHECK(services.execNotificationQueryAsync("WQL", "SELECT * FROM E WHERE N = 1", 0, sink) == WBEM_E_INVALID_PARAMETER);
  CHECK(world.provider->live().size() == 1);
  REQUIRE(services.cancelAsyncCall(sink) == WBEM_S_NO_ERROR);
  REQUIRE(services.execNotificationQueryAsync("WQL", "SELECT * FROM E WHERE N = 1", 0, sink) == WBEM_S_NO_ERROR);
  world.raise(world.event("no", 2));
  world.raise(world.event("yes", 1));
  world.settle();
  auto events = sink->events();
  REQUIRE(events.size() == 1);
  CHECK(sOf(*events[0]) == "yes");
  CHECK(sink->statuses().size() == 1);  // of the first call only
}

TEST_CASE("CancelAsyncCall of a sink without a call is WBEM_E_NOT_FOUND", "[services]") {
  World world;
  Services services(world.service, "root\\test");
  Services other(world.service, "root\\test");
  auto sink = std::make_shared<RecordingSink>();
  CHECK(services.cancelAsyncCall(sink) == WBEM_E_NOT_FOUND);
  CHECK(services.cancelAsyncCall(nullptr) == WBEM_E_INVALID_PARAMETER);
  REQUIRE(services.execNotificationQueryAsync("WQL", "SELECT * FROM E", 0, sink) == WBEM_S_NO_ERROR);
  CHECK(other.cancelAsyncCall(sink) == WBEM_E_NOT_FOUND);  // calls belong to their Services
  CHECK(services.cancelAsyncCall(sink) == WBEM_S_NO_ERROR);
}

TEST_CASE("spec 40: the provider is told of an async call's query and of its cancellation", "[services]") {
  World world;
  Services services(world.service, "root\\test");
  auto sink = std::make_shared<RecordingSink>();
  REQUIRE(services.execNotificationQueryAsync("WQL", "SELECT * FROM E WHERE N = 1", 0, sink) == WBEM_S_NO_ERROR);
  auto live = world.provider->live();
  REQUIRE(live.size() == 1);
  CHECK(live.begin()->second == "SELECT * FROM E WHERE N = 1");
  REQUIRE(services.cancelAsyncCall(sink) == WBEM_S_NO_ERROR);
  CHECK(world.provider->live().empty());
  REQUIRE(world.provider->cancelled().size() == 1);
  CHECK(world.provider->cancelled().front() == live.begin()->first);
}

TEST_CASE("CancelAsyncCall from inside the sink's own indicate does not deadlock", "[services]") {
  World world;
  Services services(world.service, "root\\test");
  auto sink = std::make_shared<RecordingSink>();
  std::weak_ptr<RecordingSink> weak = sink;
  std::atomic<Status> fromInside{WBEM_E_FAILED};
  sink->onIndicate = [&] {
    if (auto self = weak.lock()) fromInside = services.cancelAsyncCall(self);
  };
  REQUIRE(services.execNotificationQueryAsync("WQL", "SELECT * FROM E", 0, sink) == WBEM_S_NO_ERROR);
  world.raise(world.event("one"));
  world.settle();
  CHECK(fromInside == WBEM_S_NO_ERROR);
  REQUIRE(sink->waitStatus());
  REQUIRE(world.provider->waitLive(0));
  world.raiseIfActive(world.event("two"));
  world.settle();
  CHECK(sink->indicateCalls() == 1);
  auto statuses = sink->statuses();
  REQUIRE(statuses.size() == 1);
  CHECK(statuses[0].flags == WBEM_STATUS_COMPLETE);
  CHECK(statuses[0].result == WBEM_E_CALL_CANCELLED);
}

TEST_CASE("spec 61: destroying the Services ends its async calls with one setStatus each", "[services]") {
  World world;
  auto services = std::make_unique<Services>(world.service, "root\\test");
  Services survivor(world.service, "root\\test");
  auto first = std::make_shared<RecordingSink>();
  auto second = std::make_shared<RecordingSink>();
  auto kept = std::make_shared<RecordingSink>();
  REQUIRE(services->execNotificationQueryAsync("WQL", "SELECT * FROM E", 0, first) == WBEM_S_NO_ERROR);
  REQUIRE(services->execNotificationQueryAsync("WQL", "SELECT * FROM E WHERE N = 1", 0, second) == WBEM_S_NO_ERROR);
  REQUIRE(survivor.execNotificationQueryAsync("WQL", "SELECT * FROM E", 0, kept) == WBEM_S_NO_ERROR);
  world.raise(world.event("a", 1));
  world.settle();
  services.reset();
  for (const auto& sink : {first, second}) {
    auto statuses = sink->statuses();
    REQUIRE(statuses.size() == 1);
    CHECK(statuses[0].flags == WBEM_STATUS_COMPLETE);
    CHECK(statuses[0].result == WBEM_E_CALL_CANCELLED);
    CHECK(sink->events().size() == 1);
  }
  world.raise(world.event("b", 1));
  world.settle();
  CHECK(first->events().size() == 1);
  CHECK(second->events().size() == 1);
  CHECK(kept->events().size() == 2);  // another Services' call is not affected
  CHECK(kept->statuses().empty());
  CHECK(world.provider->live().size() == 1);
}
