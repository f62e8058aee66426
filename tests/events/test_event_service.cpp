// End-to-end tests of the in-process event service: a provider raises events through its sink,
// the service matches them and delivers them to subscribers (spec 12.B 15-24, A 2/4-6, G 55-60,
// decisions.md 6).

#include <wbem/event_service.hpp>

#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "event_fixture.hpp"
#include "support.hpp"

using namespace wbem;
using namespace wbemtest;

TEST_CASE("an extrinsic event reaches a matching temporary consumer only (case 15)", "[service]") {
  Fixture f;
  auto cats = f.subscribe("SELECT * FROM E WHERE S = \"cat\"");
  auto dogs = f.subscribe("SELECT * FROM E WHERE S = 'dog'");
  f.raise({f.event("CaT")});
  REQUIRE(cats->events().size() == 1);
  CHECK(cats->events()[0]->get("S").asString() == "CaT");
  CHECK(dogs->events().empty());
}

TEST_CASE("AND binds tighter than OR (case 16)", "[service]") {
  Fixture f;
  auto sink = f.subscribe("SELECT * FROM E WHERE N > 3 AND S = \"a\" OR S = \"b\"");
  f.raise({f.event("b", 1), f.event("a", 5), f.event("a", 1)});
  CHECK(texts(sink->events(), "S") == std::vector<std::string>{"b", "a"});
  CHECK(texts(sink->events(), "N") == std::vector<std::string>{"1", "5"});
}

TEST_CASE("LIKE patterns (cases 17-19)", "[service]") {
  Fixture f;
  auto escaped = f.subscribe("SELECT * FROM E WHERE S LIKE \"ab[_]%\"");
  auto negatedSet = f.subscribe("SELECT * FROM E WHERE S LIKE \"[^a-c]%\"");
  auto notLike = f.subscribe("SELECT * FROM E WHERE NOT S LIKE \"%x%\"");
  f.raise({f.event("ab_x"), f.event("abcx"), f.event("AB_"), f.event("dog"), f.event("cat"), f.event("axb"),
           f.event("ab")});
  CHECK(texts(escaped->events(), "S") == std::vector<std::string>{"ab_x", "AB_"});
  CHECK(texts(negatedSet->events(), "S") == std::vector<std::string>{"dog"});
  CHECK(texts(notLike->events(), "S") == std::vector<std::string>{"AB_", "dog", "cat", "ab"});
}

TEST_CASE("IS NULL matches an unset property only (case 20)", "[service]") {
  Fixture f;
  auto sink = f.subscribe("SELECT * FROM E WHERE S IS NULL");
  ClassObject unset = f.ns.getClass("E")->spawnInstance();
  unset.put("N", Value(std::int32_t{1}));
  f.raise({unset, f.event("v", 2)});
  REQUIRE(sink->events().size() == 1);
  CHECK(sink->events()[0]->get("N").asInt64() == 1);
  CHECK(sink->events()[0]->get("S").isNull());
}

TEST_CASE("B = TRUE and B = 1 both receive a true boolean (case 21)", "[service]") {
  Fixture f;
  auto byTrue = f.subscribe("SELECT * FROM E WHERE B = TRUE");
  auto byOne = f.subscribe("SELECT * FROM E WHERE B = 1");
  f.raise({f.event("yes", 1, true), f.event("no", 2, false)});
  CHECK(texts(byTrue->events(), "S") == std::vector<std::string>{"yes"});
  CHECK(texts(byOne->events(), "S") == std::vector<std::string>{"yes"});
}

TEST_CASE("FROM includes subclasses and __CLASS selects one (cases 22, 23)", "[service]") {
  Fixture f;
  auto all = f.subscribe("SELECT * FROM E");
  auto onlyE2 = f.subscribe("SELECT * FROM E WHERE __CLASS = \"E2\"");
  f.raise({f.event("base"), f.event("sub", 0, false, "E2")});
  CHECK(classNames(all->events()) == std::vector<std::string>{"E", "E2"});
  CHECK(texts(all->events(), "__CLASS") == std::vector<std::string>{"E", "E2"});
  CHECK(texts(onlyE2->events(), "S") == std::vector<std::string>{"sub"});
}

TEST_CASE("SELECT S projects S and leaves the rest NULL (case 24)", "[service]") {
  Fixture f;
  auto sink = f.subscribe("SELECT S FROM E");
  f.raise({f.event("x", 5, true)});
  REQUIRE(sink->events().size() == 1);
  const ObjectPtr e = sink->events()[0];
  CHECK(e->get("S").asString() == "x");
  CHECK(e->get("N").isNull());
  CHECK(e->get("B").isNull());
  for (const char* system : {"__PATH", "__RELPATH", "__NAMESPACE", "__SERVER"}) {
    INFO(system);
    CHECK(e->get(system).isNull());
  }
  REQUIRE_FALSE(e->get("TIME_CREATED").isNull());
  // The ManualClock's wall time (2023-11-14 22:13:20 UTC) as a FILETIME.
  CHECK(e->get("TIME_CREATED").asUInt64() == 116444736000000000ULL + 1'700'000'000ULL * 10'000'000ULL);
}

TEST_CASE("a full event keeps its properties and has no path (case 24, SELECT *)", "[service]") {
  Fixture f;
  auto sink = f.subscribe("SELECT * FROM E");
  f.raise({f.event("x", 5, true)});
  REQUIRE(sink->events().size() == 1);
  const ObjectPtr e = sink->events()[0];
  CHECK(e->get("N").asInt64() == 5);
  CHECK(e->get("B").asBool());
  CHECK(e->get("__PATH").isNull());
  CHECK(e->get("__NAMESPACE").isNull());
  CHECK(e->get("TIME_CREATED").asUInt64() != 0);
}

TEST_CASE("invalid queries fail subscribe with their codes and leave the sink alone (A 2, 4-6, 60)", "[service]") {
  Fixture f;
  auto sink = std::make_shared<RecordingSink>();
  auto subscribe = [&](std::string_view language, std::string_view query) {
    f.service.subscribe("root\\test", language, query, sink);
  };
  CHECK_STATUS(WBEM_E_INVALID_QUERY_TYPE, subscribe("SQL", "SELECT * FROM E"));
  CHECK_STATUS(WBEM_E_INVALID_QUERY, subscribe("WQL", "SELEC * FROM E"));
  CHECK_STATUS(WBEM_E_NOT_EVENT_CLASS, subscribe("WQL", "SELECT * FROM Plain"));
  CHECK_STATUS(WBEM_E_INVALID_CLASS, subscribe("WQL", "SELECT * FROM NoSuchEvent"));
  CHECK_STATUS(WBEM_E_INVALID_NAMESPACE, f.service.subscribe("root\\nowhere", "WQL", "SELECT * FROM E", sink));
  CHECK(f.service.statistics().subscriptions == 0);
  CHECK(f.provider->activations() == 0);
  CHECK(f.provider->newQueries().empty());

  // Nothing was called on the sink and nothing kept it.
  REQUIRE(f.service.waitIdle());
  CHECK(sink->calls().empty());
  CHECK(sink->statuses().empty());
  CHECK(sink.use_count() == 1);
}

TEST_CASE("cancel: no indicate after it returns, then exactly one COMPLETE/CALL_CANCELLED (decisions 6)",
          "[service][cancel]") {
  Fixture f;
  auto [id, sink] = f.subscribeWithId("SELECT * FROM E");
  auto providerSink = f.sink();
  std::atomic<bool> stop{false};
  std::thread raiser([&] {
    // At most 2000 events, so that a slow machine does not queue tens of thousands.
    for (std::int32_t n = 0; !stop.load() && n < 2000; ++n) (void)providerSink->indicate(f.event("x", n));
  });
  REQUIRE(sink->waitForEvents(10));
  CHECK(f.service.cancel(id));
  sink->close();
  // Events raised after cancel are matched against nothing that reaches the sink.
  for (std::int32_t n = 0; n < 100; ++n) (void)providerSink->indicate(f.event("late", n));
  stop.store(true);
  raiser.join();
  REQUIRE(f.service.waitIdle());
  CHECK(sink->callsAfterClose() == 0);
  CHECK(sink->statuses() ==
        std::vector<std::pair<std::int32_t, Status>>{{WBEM_STATUS_COMPLETE, WBEM_E_CALL_CANCELLED}});

  // A second cancel of the same id, and one of an id never given, find nothing.
  CHECK_FALSE(f.service.cancel(id));
  CHECK_FALSE(f.service.cancel(id + 1000));
  CHECK(sink->statuses().size() == 1);
  CHECK(f.service.statistics().subscriptions == 0);
}

TEST_CASE("cancel of a consumer waiting for a delivery thread leaves the service able to go idle",
          "[service][cancel]") {
  // One delivery thread, held by a blocked consumer, so that the victim's queue waits on the
  // run queue when it is cancelled.
  EventServiceOptions options;
  options.deliveryThreads = 1;
  options.maxDeliveryThreads = 1;
  Fixture f(options);
  auto gate = f.gate();
  f.subscribeWithId("SELECT * FROM E WHERE S = \"block\"", {}, std::make_shared<RecordingSink>(gate));
  auto [victimId, victim] = f.subscribeWithId("SELECT * FROM E WHERE S = \"v\"");
  const SubscriptionId witness = f.service.subscribePull("root\\test", "WQL", "SELECT * FROM E WHERE S = \"w\"");
  REQUIRE(f.sink()->indicate(f.event("block")) == WBEM_S_NO_ERROR);
  REQUIRE(gate->waitForWaiter());
  REQUIRE(f.sink()->indicate(std::vector<ClassObject>{f.event("v"), f.event("w")}) == WBEM_S_NO_ERROR);
  std::vector<ObjectPtr> out;
  REQUIRE(f.service.pull(witness, WBEM_INFINITE, 1, out) == WBEM_S_NO_ERROR);  // "v" was queued
  CHECK(f.service.cancel(victimId));
  gate->open();
  CHECK(f.service.waitIdle(std::chrono::milliseconds(2000)));
  CHECK(victim->events().empty());
  CHECK(victim->statuses().size() == 1);
}

TEST_CASE("cancel with another reason reports that reason", "[service][cancel]") {
  Fixture f;
  auto [id, sink] = f.subscribeWithId("SELECT * FROM E");
  CHECK(f.service.cancel(id, WBEM_E_SHUTTING_DOWN));
  CHECK(sink->statuses() == std::vector<std::pair<std::int32_t, Status>>{{WBEM_STATUS_COMPLETE, WBEM_E_SHUTTING_DOWN}});
}

TEST_CASE("the service's destructor ends live subscriptions with WBEM_E_SHUTTING_DOWN", "[service][cancel]") {
  auto sink = std::make_shared<RecordingSink>();
  {
    Fixture f;
    f.service.subscribe("root\\test", "WQL", "SELECT * FROM E", sink);
  }
  CHECK(sink->statuses() == std::vector<std::pair<std::int32_t, Status>>{{WBEM_STATUS_COMPLETE, WBEM_E_SHUTTING_DOWN}});
}

TEST_CASE("1000 events of one sink reach one consumer in order", "[service][order]") {
  Fixture f;
  auto sink = f.subscribe("SELECT * FROM E");
  auto providerSink = f.sink();
  for (std::int32_t n = 0; n < 1000; ++n) REQUIRE(providerSink->indicate(f.event("o", n)) == WBEM_S_NO_ERROR);
  REQUIRE(f.service.waitIdle());
  const auto events = sink->events();
  REQUIRE(events.size() == 1000);
  bool ordered = true;
  for (std::size_t i = 0; i < events.size(); ++i)
    ordered = ordered && events[i]->get("N").asInt64() == static_cast<std::int64_t>(i);
  CHECK(ordered);
}

TEST_CASE("1000 events indicated in one call keep their order too", "[service][order]") {
  Fixture f;
  auto sink = f.subscribe("SELECT * FROM E WHERE N >= 0");
  std::vector<ClassObject> batch;
  for (std::int32_t n = 0; n < 1000; ++n) batch.push_back(f.event("o", n));
  f.raise(batch);
  const auto events = sink->events();
  REQUIRE(events.size() == 1000);
  std::vector<std::int64_t> got, want;
  for (std::size_t i = 0; i < events.size(); ++i) {
    got.push_back(events[i]->get("N").asInt64());
    want.push_back(static_cast<std::int64_t>(i));
  }
  CHECK(got == want);
}

TEST_CASE("pull subscriptions (cases 55-57)", "[service][pull]") {
  Fixture f;
  const SubscriptionId id = f.service.subscribePull("root\\test", "WQL", "SELECT * FROM E");
  std::vector<ObjectPtr> out;

  SECTION("nothing pending: WBEM_S_TIMEDOUT at once with timeout 0") {
    CHECK(f.service.pull(id, 0, 1, out) == WBEM_S_TIMEDOUT);
    CHECK(out.empty());
  }
  SECTION("3 pending, 5 asked without waiting: WBEM_S_TIMEDOUT with 3") {
    f.raise({f.event("a"), f.event("b"), f.event("c")});
    CHECK(f.service.pull(id, 0, 5, out) == WBEM_S_TIMEDOUT);
    CHECK(texts(out, "S") == std::vector<std::string>{"a", "b", "c"});
    out.clear();
    CHECK(f.service.pull(id, 0, 5, out) == WBEM_S_TIMEDOUT);
    CHECK(out.empty());
  }
  SECTION("2 pending, 2 asked with an infinite wait: WBEM_S_NO_ERROR with 2") {
    f.raise({f.event("a"), f.event("b"), f.event("c")});
    CHECK(f.service.pull(id, WBEM_INFINITE, 2, out) == WBEM_S_NO_ERROR);
    CHECK(texts(out, "S") == std::vector<std::string>{"a", "b"});
    CHECK(f.service.pull(id, 0, 1, out) == WBEM_S_NO_ERROR);
    CHECK(texts(out, "S") == std::vector<std::string>{"a", "b", "c"});
  }
  SECTION("a pull waiting for ever is ended by an event") {
    std::thread later([&] { (void)f.sink()->indicate(f.event("late")); });
    CHECK(f.service.pull(id, WBEM_INFINITE, 1, out) == WBEM_S_NO_ERROR);
    later.join();
    CHECK(texts(out, "S") == std::vector<std::string>{"late"});
  }
  SECTION("after cancel: the events it had, then WBEM_E_CALL_CANCELLED") {
    f.raise({f.event("a")});
    CHECK(f.service.cancel(id));
    CHECK(f.service.pull(id, 0, 1, out) == WBEM_E_CALL_CANCELLED);
  }
  SECTION("count 0 and a push subscription are invalid") {
    CHECK(f.service.pull(id, 0, 0, out) == WBEM_E_INVALID_PARAMETER);
    auto [pushId, sink] = f.subscribeWithId("SELECT * FROM E");
    CHECK(f.service.pull(pushId, 0, 1, out) == WBEM_E_INVALID_PARAMETER);
  }
  SECTION("pull of an unknown id") { CHECK(f.service.pull(id + 1000, 0, 1, out) == WBEM_E_CALL_CANCELLED); }
}

TEST_CASE("statistics count indications, deliveries, subscriptions and providers", "[service][stats]") {
  Fixture f;
  const EventServiceStatistics before = f.service.statistics();
  CHECK(before.indicated == 0);
  CHECK(before.delivered == 0);
  CHECK(before.subscriptions == 0);
  CHECK(before.activeProviders == 0);
  CHECK(before.deliveryThreads == 2);

  auto all = f.subscribe("SELECT * FROM E");
  auto some = f.subscribe("SELECT * FROM E WHERE N > 1");
  const SubscriptionId pullId = f.service.subscribePull("root\\test", "WQL", "SELECT * FROM E WHERE N = 3");
  f.raise({f.event("a", 1), f.event("b", 2), f.event("c", 3)});
  const EventServiceStatistics mid = f.service.statistics();
  CHECK(mid.indicated == 3);
  CHECK(mid.delivered == 3 + 2);  // the pull consumer's event counts when pulled
  CHECK(mid.subscriptions == 3);
  CHECK(mid.activeProviders == 1);
  CHECK(mid.dropped == 0);
  CHECK(mid.consumerFailures == 0);
  CHECK(mid.rejectedBusy == 0);
  // Per provider: P raised all three and serves the three filters.
  REQUIRE(mid.providers.size() == 1);
  CHECK(mid.providers[0].namespaceName == "root\\test");
  CHECK(mid.providers[0].name == "P");
  CHECK(mid.providers[0].bound);
  CHECK(mid.providers[0].filters == 3);
  CHECK(mid.providers[0].indicated == 3);
  CHECK(mid.providers[0].rejectedBusy == 0);
  // Per consumer, by subscription id: what each got, and what waits for the pull.
  REQUIRE(mid.consumers.size() == 3);
  CHECK(mid.consumers[0].query == "SELECT * FROM E");
  CHECK(mid.consumers[0].delivered == 3);
  CHECK(mid.consumers[1].query == "SELECT * FROM E WHERE N > 1");
  CHECK(mid.consumers[1].delivered == 2);
  CHECK(mid.consumers[1].namespaceName == "root\\test");
  CHECK_FALSE(mid.consumers[1].permanent);
  CHECK(mid.consumers[2].id == pullId);
  CHECK(mid.consumers[2].consumer == "__TemporaryConsumer.Id=" + std::to_string(pullId));
  CHECK(mid.consumers[2].delivered == 0);
  CHECK(mid.consumers[2].queuedEvents == 1);
  CHECK(mid.consumers[2].queuedBytes > 0);
  for (const ConsumerStatistics& consumer : mid.consumers) {
    CHECK(consumer.dropped == 0);
    CHECK(consumer.failures == 0);
  }

  std::vector<ObjectPtr> out;
  CHECK(f.service.pull(pullId, 0, 1, out) == WBEM_S_NO_ERROR);
  CHECK(f.service.statistics().delivered == 6);
  CHECK(f.service.statistics().consumers[2].delivered == 1);
  CHECK(f.service.statistics().consumers[2].queuedEvents == 0);
  CHECK(f.service.cancel(pullId));
  CHECK(f.service.statistics().subscriptions == 2);
}
