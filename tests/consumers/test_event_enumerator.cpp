// Services::execNotificationQuery and EventEnumerator: spec 12 cases 1-4, 55-58, 61 and the
// provider's view of an enumerator's subscription (case 40).

#include <wbem/event_enumerator.hpp>
#include <wbem/services.hpp>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "consumers/fixture.hpp"
#include "support.hpp"

using namespace wbem;
using namespace wbemtest;

namespace {

constexpr std::int32_t kSemisync = WBEM_FLAG_RETURN_IMMEDIATELY | WBEM_FLAG_FORWARD_ONLY;

}  // namespace

TEST_CASE("spec 1: ExecNotificationQuery returns an enumerator at once", "[enumerator]") {
  World world;
  Services services(world.service, "root\\test");
  std::unique_ptr<EventEnumerator> events;
  REQUIRE_OK(events = services.execNotificationQuery("WQL", "SELECT * FROM E", kSemisync));
  REQUIRE(events);
  CHECK(events->subscriptionId() != 0);
}

TEST_CASE("spec 2: a language other than WQL is WBEM_E_INVALID_QUERY_TYPE", "[enumerator]") {
  World world;
  Services services(world.service, "root\\test");
  CHECK_STATUS(WBEM_E_INVALID_QUERY_TYPE, services.execNotificationQuery("SQL", "SELECT * FROM E", kSemisync));
  CHECK(world.provider->live().empty());
}

TEST_CASE("spec 3: flags other than RETURN_IMMEDIATELY | FORWARD_ONLY are WBEM_E_INVALID_PARAMETER", "[enumerator]") {
  World world;
  Services services(world.service, "root\\test");
  for (std::int32_t flags : {0x10, 0x20, 0, 0x30 | WBEM_FLAG_SEND_STATUS, 0x31}) {
    INFO("flags " << flags);
    CHECK_STATUS(WBEM_E_INVALID_PARAMETER, services.execNotificationQuery("WQL", "SELECT * FROM E", flags));
  }
  CHECK(world.provider->live().empty());
}

TEST_CASE("spec 4: a malformed query is WBEM_E_INVALID_QUERY", "[enumerator]") {
  World world;
  Services services(world.service, "root\\test");
  CHECK_STATUS(WBEM_E_INVALID_QUERY, services.execNotificationQuery("WQL", "SELEC * FROM E", kSemisync));
  CHECK(world.provider->live().empty());
}

TEST_CASE("spec 55: Next with no event waits for its timeout and returns WBEM_S_TIMEDOUT", "[enumerator]") {
  World world(Time::Real);
  Services services(world.service, "root\\test");
  auto events = services.execNotificationQuery("WQL", "SELECT * FROM E", kSemisync);
  std::vector<ObjectPtr> out;
  auto start = std::chrono::steady_clock::now();
  CHECK(events->next(100, 1, out) == WBEM_S_TIMEDOUT);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(90));
  CHECK(out.empty());
}

TEST_CASE("spec 56: Next(WBEM_NO_WAIT) with fewer events than asked returns them with WBEM_S_TIMEDOUT",
          "[enumerator]") {
  World world;
  Services services(world.service, "root\\test");
  auto events = services.execNotificationQuery("WQL", "SELECT * FROM E", kSemisync);
  world.raise(world.event("a"));
  world.raise(world.event("b"));
  world.raise(world.event("c"));
  world.settle();
  std::vector<ObjectPtr> out;
  CHECK(events->next(WBEM_NO_WAIT, 5, out) == WBEM_S_TIMEDOUT);
  REQUIRE(out.size() == 3);
  CHECK(sOf(*out[0]) == "a");
  CHECK(sOf(*out[1]) == "b");
  CHECK(sOf(*out[2]) == "c");
  // The enumeration is not finished: more come later.
  world.raise(world.event("d"));
  world.settle();
  CHECK(events->next(WBEM_NO_WAIT, 1, out) == WBEM_S_NO_ERROR);
  REQUIRE(out.size() == 4);
  CHECK(sOf(*out[3]) == "d");
}

TEST_CASE("spec 57: Next(WBEM_INFINITE, 2) with 2 queued events returns both with WBEM_S_NO_ERROR", "[enumerator]") {
  World world;
  Services services(world.service, "root\\test");
  auto events = services.execNotificationQuery("WQL", "SELECT * FROM E", kSemisync);
  world.raise(world.event("x", 1, true));
  world.raise(world.event("y", 2));
  world.settle();
  std::vector<ObjectPtr> out;
  CHECK(events->next(WBEM_INFINITE, 2, out) == WBEM_S_NO_ERROR);
  REQUIRE(out.size() == 2);
  CHECK(sOf(*out[0]) == "x");
  CHECK(out[0]->get("N").asInt64() == 1);
  CHECK(out[0]->get("B").asBool());
  CHECK(sOf(*out[1]) == "y");
}

TEST_CASE("Next waits for an event raised while it waits", "[enumerator]") {
  World world;
  Services services(world.service, "root\\test");
  auto events = services.execNotificationQuery("WQL", "SELECT * FROM E", kSemisync);
  std::vector<ObjectPtr> out;
  Status status = WBEM_E_FAILED;
  std::thread consumer([&] { status = events->next(WBEM_INFINITE, 1, out); });
  world.raise(world.event("late"));
  consumer.join();
  CHECK(status == WBEM_S_NO_ERROR);
  REQUIRE(out.size() == 1);
  CHECK(sOf(*out[0]) == "late");
}

TEST_CASE("Next appends to what the vector holds and refuses a count of 0", "[enumerator]") {
  World world;
  Services services(world.service, "root\\test");
  auto events = services.execNotificationQuery("WQL", "SELECT * FROM E", kSemisync);
  world.raise(world.event("first"));
  world.settle();
  std::vector<ObjectPtr> out;
  CHECK(events->next(WBEM_NO_WAIT, 0, out) == WBEM_E_INVALID_PARAMETER);
  CHECK(out.empty());
  out.push_back(std::make_shared<const ClassObject>(world.event("mine")));
  CHECK(events->next(WBEM_NO_WAIT, 1, out) == WBEM_S_NO_ERROR);
  REQUIRE(out.size() == 2);
  CHECK(sOf(*out[0]) == "mine");
  CHECK(sOf(*out[1]) == "first");
}

TEST_CASE("spec 58: Reset succeeds and does not deliver past events again", "[enumerator]") {
  World world;
  Services services(world.service, "root\\test");
  auto events = services.execNotificationQuery("WQL", "SELECT * FROM E", kSemisync);
  world.raise(world.event("once"));
  world.settle();
  std::vector<ObjectPtr> out;
  REQUIRE(events->next(WBEM_NO_WAIT, 1, out) == WBEM_S_NO_ERROR);
  CHECK(events->reset() == WBEM_S_NO_ERROR);
  CHECK(events->next(WBEM_NO_WAIT, 1, out) == WBEM_S_TIMEDOUT);
  CHECK(out.size() == 1);
}

TEST_CASE("spec 40: releasing the enumerator cancels its query at the provider", "[enumerator]") {
  World world;
  Services services(world.service, "root\\test");
  auto events = services.execNotificationQuery("WQL", "SELECT * FROM E WHERE N = 1", kSemisync);
  auto live = world.provider->live();
  REQUIRE(live.size() == 1);
  std::uint32_t queryId = live.begin()->first;
  CHECK(live.begin()->second == "SELECT * FROM E WHERE N = 1");
  events.reset();
  CHECK(world.provider->live().empty());
  REQUIRE(world.provider->cancelled().size() == 1);
  CHECK(world.provider->cancelled().front() == queryId);
}

TEST_CASE("spec 61: destroying the Services ends its enumerators' subscriptions", "[enumerator]") {
  World world;
  auto services = std::make_unique<Services>(world.service, "root\\test");
  auto events = services->execNotificationQuery("WQL", "SELECT * FROM E", kSemisync);
  world.raise(world.event("before"));
  world.settle();
  services.reset();
  CHECK(world.provider->live().empty());
  std::vector<ObjectPtr> out;
  CHECK(events->next(WBEM_NO_WAIT, 1, out) == WBEM_E_CALL_CANCELLED);
  CHECK(events->next(WBEM_INFINITE, 1, out) == WBEM_E_CALL_CANCELLED);  // at once: no wait for ever
  CHECK(out.empty());
  CHECK(events->reset() == WBEM_S_NO_ERROR);
  events.reset();  // after its Services: nothing to cancel, nothing to crash
  CHECK(world.provider->cancelled().size() == 1);
}

TEST_CASE("destroying the Services releases a Next blocked for ever", "[enumerator]") {
  World world;
  auto services = std::make_unique<Services>(world.service, "root\\test");
  auto events = services->execNotificationQuery("WQL", "SELECT * FROM E", kSemisync);
  std::vector<ObjectPtr> out;
  Status status = WBEM_S_NO_ERROR;
  std::thread consumer([&] { status = events->next(WBEM_INFINITE, 1, out); });
  services.reset();
  consumer.join();
  CHECK(status == WBEM_E_CALL_CANCELLED);
  CHECK(out.empty());
}

TEST_CASE("an enumerator may outlive its Services and the event service", "[enumerator]") {
  std::unique_ptr<EventEnumerator> events;
  {
    World world;
    Services services(world.service, "root\\test");
    events = services.execNotificationQuery("WQL", "SELECT * FROM E", kSemisync);
  }
  std::vector<ObjectPtr> out;
  CHECK(events->next(WBEM_NO_WAIT, 1, out) == WBEM_E_CALL_CANCELLED);
}

TEST_CASE("each enumerator has its own subscription", "[enumerator]") {
  World world;
  Services services(world.service, "root\\test");
  auto ones = services.execNotificationQuery("WQL", "SELECT * FROM E WHERE N = 1", kSemisync);
  auto all = services.execNotificationQuery("WQL", "SELECT * FROM E", kSemisync);
  CHECK(ones->subscriptionId() != all->subscriptionId());
  world.raise(world.event("a", 1));
  world.raise(world.event("b", 2));
  world.settle();
  std::vector<ObjectPtr> fromOnes, fromAll;
  CHECK(ones->next(WBEM_NO_WAIT, 2, fromOnes) == WBEM_S_TIMEDOUT);
  CHECK(all->next(WBEM_NO_WAIT, 2, fromAll) == WBEM_S_NO_ERROR);
  REQUIRE(fromOnes.size() == 1);
  CHECK(sOf(*fromOnes[0]) == "a");
  CHECK(fromAll.size() == 2);
  ones.reset();
  CHECK(world.provider->live().size() == 1);  // the other one stays
}
