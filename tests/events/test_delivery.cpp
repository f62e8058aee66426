// Tests of delivery to consumers: GROUP WITHIN aggregation on the ManualClock, queue overflow and
// __EventQueueOverflowEvent, quotas from __ArbitratorConfiguration, consumer failures and
// __ConsumerFailureEvent, and isolation from a hung consumer (spec 12.D 36-38, 12.I 78-81, 6.4 F1,
// case 72 in-process, decisions.md 7).

#include <wbem/event_service.hpp>

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "event_fixture.hpp"
#include "support.hpp"

using namespace wbem;
using namespace wbemtest;

namespace {

// Puts the __ArbitratorConfiguration singleton into root with `property` = `value`.
void setQuota(Fixture& f, std::string_view property, std::uint32_t value) {
  Namespace& root = f.service.getNamespace("root");
  ClassObject config = root.getClass("__ArbitratorConfiguration")->spawnInstance();
  config.put(property, Value(value));
  root.putInstance(config);
}

// `count` E events with N = 0..count-1.
std::vector<ClassObject> numbered(const Fixture& f, std::string_view s, std::int32_t count) {
  std::vector<ClassObject> out;
  for (std::int32_t n = 0; n < count; ++n) out.push_back(f.event(s, n));
  return out;
}

}  // namespace

TEST_CASE("GROUP WITHIN: one aggregate when the window started by the first event closes (case 36)",
          "[delivery][aggregate]") {
  Fixture f;
  auto sink = f.subscribe("SELECT * FROM E GROUP WITHIN 2");
  f.raise(numbered(f, "x", 3));
  f.advance(500ms);
  f.raise(numbered(f, "y", 2));
  f.advance(1s);
  CHECK(sink->events().empty());
  f.advance(500ms);  // 2 s after the first event
  const auto events = sink->events();
  REQUIRE(events.size() == 1);
  CHECK(events[0]->className() == "__AggregateEvent");
  CHECK(events[0]->get("NumberOfEvents").asUInt64() == 5);
  CHECK(embedded(events[0], "Representative").className() == "E");
  CHECK(embedded(events[0], "Representative").get("S").asString() == "x");

  // The next event opens a new window.
  f.raise({f.event("z")});
  f.advance(2s);
  REQUIRE(sink->events().size() == 2);
  CHECK(sink->events()[1]->get("NumberOfEvents").asUInt64() == 1);
}

TEST_CASE("GROUP WITHIN ... BY: one aggregate per distinct value (case 37)", "[delivery][aggregate]") {
  Fixture f;
  auto sink = f.subscribe("SELECT * FROM E GROUP WITHIN 2 BY S");
  f.raise({f.event("x"), f.event("y"), f.event("X"), f.event("x"), f.event("y")});
  f.advance(2s);
  auto events = sink->events();
  REQUIRE(events.size() == 2);
  std::vector<std::pair<std::string, std::uint64_t>> groups;
  for (const ObjectPtr& e : events) groups.emplace_back(e->get("S").asString(), e->get("NumberOfEvents").asUInt64());
  std::sort(groups.begin(), groups.end());
  CHECK(groups == std::vector<std::pair<std::string, std::uint64_t>>{{"x", 3}, {"y", 2}});
}

TEST_CASE("GROUP WITHIN ... HAVING drops aggregates that fail it (case 38)", "[delivery][aggregate]") {
  Fixture f;
  auto sink = f.subscribe("SELECT * FROM E GROUP WITHIN 2 HAVING NumberOfEvents > 5");
  f.raise(numbered(f, "x", 5));
  f.advance(2s);
  CHECK(sink->events().empty());
  f.raise(numbered(f, "x", 6));
  f.advance(2s);
  REQUIRE(sink->events().size() == 1);
  CHECK(sink->events()[0]->get("NumberOfEvents").asUInt64() == 6);
}

TEST_CASE("GROUP WITHIN aggregates only what the WHERE matched", "[delivery][aggregate]") {
  Fixture f;
  auto sink = f.subscribe("SELECT * FROM E WHERE N >= 2 GROUP WITHIN 1");
  f.raise(numbered(f, "x", 5));
  f.advance(1s);
  REQUIRE(sink->events().size() == 1);
  CHECK(sink->events()[0]->get("NumberOfEvents").asUInt64() == 3);
  CHECK(embedded(sink->events()[0], "Representative").get("N").asInt64() == 2);
}

TEST_CASE("a full consumer queue drops events with __EventQueueOverflowEvent for admins only (78, 79)",
          "[delivery][overflow]") {
  Fixture f;
  auto gate = f.gate();
  auto slow = std::make_shared<RecordingSink>(gate);
  auto [slowId, unused] = f.subscribeWithId("SELECT * FROM E WHERE N >= 0", queueLimited(1024), slow);
  auto sentinel = f.subscribe("SELECT * FROM E WHERE N = -1");
  auto admin = f.subscribe("SELECT * FROM __EventQueueOverflowEvent", ownedBy(adminPrincipal()));
  auto user = f.subscribe("SELECT * FROM __EventQueueOverflowEvent", ownedBy(userPrincipal()));
  auto userDrops = f.subscribe("SELECT * FROM __EventDroppedEvent", ownedBy(userPrincipal()));

  // The first event blocks the consumer; the others fill its 1024 bytes and overflow. The
  // sentinel, raised after them through the same sink, shows that all were matched.
  REQUIRE(f.sink()->indicate(f.event("first")) == WBEM_S_NO_ERROR);
  REQUIRE(gate->waitForWaiter());
  REQUIRE(f.sink()->indicate(numbered(f, "more", 100)) == WBEM_S_NO_ERROR);
  REQUIRE(f.sink()->indicate(f.event("sentinel", -1)) == WBEM_S_NO_ERROR);
  REQUIRE(sentinel->waitForEvents(1));
  gate->open();
  REQUIRE(f.service.waitIdle());

  const auto overflows = admin->events();
  const auto received = slow->events();
  const EventServiceStatistics stats = f.service.statistics();
  CHECK(stats.dropped > 0);
  CHECK(overflows.size() == stats.dropped);
  CHECK(received.size() + stats.dropped == 101);
  CHECK(received.size() > 1);
  const auto slowStats = std::find_if(stats.consumers.begin(), stats.consumers.end(),
                                      [&](const ConsumerStatistics& c) { return c.id == slowId; });
  REQUIRE(slowStats != stats.consumers.end());
  CHECK(slowStats->dropped == stats.dropped);  // every drop was this consumer's
  CHECK(slowStats->delivered == received.size());
  for (const ObjectPtr& e : overflows) {
    CHECK(e->className() == "__EventQueueOverflowEvent");
    CHECK(e->get("IntendedConsumer").asString() == "__TemporaryConsumer.Id=" + std::to_string(slowId));
    // The queue was near its limit: dropping means the event did not fit in the bytes left.
    CHECK(e->get("CurrentQueueSize").asUInt64() > 1024);  // the size the queue would have had (spec case 78)
    CHECK(embedded(e, "Event").className() == "E");
    CHECK(embedded(e, "Event").get("S").asString() == "more");
  }
  // Received and dropped events together are every event, each once.
  std::vector<std::int64_t> seen;
  for (const ObjectPtr& e : received)
    if (e->get("S").asString() == "more") seen.push_back(e->get("N").asInt64());
  for (const ObjectPtr& e : overflows) seen.push_back(embedded(e, "Event").get("N").asInt64());
  std::sort(seen.begin(), seen.end());
  std::vector<std::int64_t> all(100);
  for (std::int64_t n = 0; n < 100; ++n) all[static_cast<std::size_t>(n)] = n;
  CHECK(seen == all);

  CHECK(user->events().empty());
  CHECK(userDrops->events().empty());  // a subclass the non-admin may not see either
}

TEST_CASE("one user's idle consumers fill only that user's share of the queues (MaximumQueueSizePerUser)",
          "[delivery][overflow][quota]") {
  Fixture f;
  constexpr std::uint32_t kShare = 64 * 1024;
  setQuota(f, "MaximumQueueSizePerUser", kShare);
  REQUIRE(f.service.limits().maximumQueueSizePerUser == kShare);
  // Two pull subscriptions alice never reads: their queues only fill.
  std::vector<SubscriptionId> alices;
  for (int i = 0; i < 2; ++i)
    alices.push_back(f.service.subscribePull("root\\test", "WQL", "SELECT * FROM E", ownedBy(userPrincipal(6001))));
  auto [bobId, bob] = f.subscribeWithId("SELECT * FROM E", ownedBy(userPrincipal(6002)));

  // In rounds that bob's consumer keeps up with: a round is well within his share.
  for (int round = 0; round < 4; ++round) f.raise(numbered(f, "more", 50));
  CHECK(texts(bob->events(), "S").size() == 200);
  const EventServiceStatistics stats = f.service.statistics();
  std::uint64_t aliceQueued = 0, aliceDropped = 0, aliceHeld = 0;
  for (const ConsumerStatistics& c : stats.consumers) {
    if (c.id == bobId) {
      CHECK(c.dropped == 0);
      CHECK(c.delivered == 200);
    } else {
      aliceQueued += c.queuedBytes;
      aliceHeld += c.queuedEvents;
      aliceDropped += c.dropped;
    }
  }
  // Her two queues together stay within her share, where each alone could take 10 MiB.
  CHECK(aliceQueued <= kShare);
  CHECK(aliceQueued > kShare / 2);
  CHECK(aliceDropped > 0);
  CHECK(aliceHeld + aliceDropped == 2 * 200);
}

TEST_CASE("an explicit consumer path is the IntendedConsumer of its overflow events", "[delivery][overflow]") {
  Fixture f;
  auto gate = f.gate();
  auto slow = std::make_shared<RecordingSink>(gate);
  const std::string path = "LogFileEventConsumer.Name=\"L1\"";
  f.subscribeWithId("SELECT * FROM E", queueLimited(1024, path), slow);
  auto admin = f.subscribe("SELECT * FROM __EventQueueOverflowEvent", ownedBy(adminPrincipal()));
  REQUIRE(f.sink()->indicate(f.event("first")) == WBEM_S_NO_ERROR);
  REQUIRE(gate->waitForWaiter());
  REQUIRE(f.sink()->indicate(numbered(f, "more", 50)) == WBEM_S_NO_ERROR);
  REQUIRE(admin->waitForEvents(1));
  gate->open();  // (CurrentQueueSize is not checked here: the queue may drain as it is read)
  REQUIRE(f.service.waitIdle());
  REQUIRE_FALSE(admin->events().empty());
  for (const std::string& consumer : texts(admin->events(), "IntendedConsumer")) CHECK(consumer == path);
  CHECK(texts(slow->events(), "S").front() == "first");
}

TEST_CASE("TemporarySubscriptionsPerUser = 20: the 21st fails until one is cancelled (case 80)", "[delivery][quota]") {
  Fixture f;
  setQuota(f, "TemporarySubscriptionsPerUser", 20);
  CHECK(f.service.limits().temporarySubscriptionsPerUser == 20);
  const SubscriptionOptions alice = ownedBy(userPrincipal(6001));
  std::vector<SubscriptionId> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(f.subscribeWithId("SELECT * FROM E", alice).first);
  CHECK_STATUS(WBEM_E_QUOTA_VIOLATION, f.subscribe("SELECT * FROM E", alice));
  CHECK_STATUS(WBEM_E_QUOTA_VIOLATION, f.service.subscribePull("root\\test", "WQL", "SELECT * FROM E", alice));
  CHECK(f.service.statistics().subscriptions == 20);

  // Another user has a quota of their own, and permanent subscriptions count separately.
  CHECK_OK(f.subscribe("SELECT * FROM E", ownedBy(userPrincipal(6002))));
  CHECK_OK(f.subscribe("SELECT * FROM E", ownedBy(userPrincipal(6001), true)));

  CHECK(f.service.cancel(ids.back()));
  CHECK_OK(f.subscribe("SELECT * FROM E", alice));
  CHECK_STATUS(WBEM_E_QUOTA_VIOLATION, f.subscribe("SELECT * FROM E", alice));

  // The quota changes at run time.
  setQuota(f, "TemporarySubscriptionsPerUser", 21);
  CHECK_OK(f.subscribe("SELECT * FROM E", alice));
}

TEST_CASE("PollingInstructionsPerUser = 2: a 3rd polling subscription fails, others do not (case 81)",
          "[delivery][quota]") {
  Fixture f;
  f.service.addInstanceProvider("root\\test", "DynProv", std::make_shared<DynProvider>());
  setQuota(f, "PollingInstructionsPerUser", 2);
  const SubscriptionOptions bob = ownedBy(userPrincipal(6003));
  const std::string polling = "SELECT * FROM __InstanceCreationEvent WITHIN 10 WHERE TargetInstance ISA \"Dyn\"";
  auto [first, sink1] = f.subscribeWithId(polling, bob);
  CHECK_OK(f.subscribe(polling, bob));
  CHECK_STATUS(WBEM_E_QUOTA_VIOLATION, f.subscribe(polling, bob));
  CHECK_OK(f.subscribe("SELECT * FROM E", bob));
  CHECK_OK(f.subscribe("SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA \"Rep\"", bob));
  CHECK(f.service.cancel(first));
  CHECK_OK(f.subscribe(polling, bob));
}

TEST_CASE("a failing consumer raises __ConsumerFailureEvent while a healthy one still receives (F1, case 72)",
          "[delivery][failure]") {
  Fixture f;
  auto failing = std::make_shared<RecordingSink>(nullptr, WBEM_E_FAILED);
  auto [failingId, unused] = f.subscribeWithId("SELECT * FROM E", {}, failing);
  auto healthy = f.subscribe("SELECT * FROM E");
  auto failures = f.subscribe("SELECT * FROM __ConsumerFailureEvent");
  f.raise({f.event("x", 5)});
  CHECK(texts(healthy->events(), "S") == std::vector<std::string>{"x"});
  CHECK(failing->events().size() == 1);  // it was called, and failed
  const auto events = failures->events();
  REQUIRE(events.size() == 1);
  CHECK(events[0]->get("ErrorCode").asUInt64() == 0x80041001u);
  CHECK(events[0]->get("IntendedConsumer").asString() == "__TemporaryConsumer.Id=" + std::to_string(failingId));
  CHECK(embedded(events[0], "Event").get("S").asString() == "x");
  CHECK(embedded(events[0], "Event").get("N").asInt64() == 5);
  CHECK_FALSE(events[0]->get("ErrorDescription").isNull());
  const EventServiceStatistics stats = f.service.statistics();
  CHECK(stats.consumerFailures == 1);
  for (const ConsumerStatistics& consumer : stats.consumers)
    CHECK(consumer.failures == (consumer.id == failingId ? 1u : 0u));
  CHECK(failing->statuses().empty());  // a failure does not end the subscription
}

TEST_CASE("a consumer that throws wbem::Error fails with the error's code", "[delivery][failure]") {
  // A consumer that refuses every event by throwing.
  class ThrowingSink : public ObjectSink {
   public:
    Status indicate(std::span<const ObjectPtr>) override { throw Error(WBEM_E_ACCESS_DENIED, "no entry"); }
  };
  Fixture f;
  f.service.subscribe("root\\test", "WQL", "SELECT * FROM E", std::make_shared<ThrowingSink>());
  auto failures = f.subscribe("SELECT * FROM __ConsumerFailureEvent");
  f.raise({f.event("x")});
  REQUIRE(failures->events().size() == 1);
  CHECK(failures->events()[0]->get("ErrorCode").asUInt64() == 0x80041003u);
  CHECK(failures->events()[0]->get("ErrorDescription").asString() == "no entry");
}

TEST_CASE("a hung consumer does not stop another consumer", "[delivery][isolation]") {
  Fixture f;
  auto gate = f.gate();
  auto hung = std::make_shared<RecordingSink>(gate);
  f.subscribeWithId("SELECT * FROM E", {}, hung);
  auto other = f.subscribe("SELECT * FROM E");
  REQUIRE(f.sink()->indicate(f.event("first")) == WBEM_S_NO_ERROR);
  REQUIRE(gate->waitForWaiter());
  for (std::int32_t n = 0; n < 100; ++n) REQUIRE(f.sink()->indicate(f.event("next", n)) == WBEM_S_NO_ERROR);
  REQUIRE(other->waitForEvents(101));
  CHECK(other->events().size() == 101);
  CHECK(hung->events().empty());  // still inside its first call

  gate->open();
  REQUIRE(f.service.waitIdle());
  CHECK(hung->events().size() == 101);
  CHECK(texts(hung->events(), "N") == texts(other->events(), "N"));
}

TEST_CASE("hung consumers on every delivery thread do not stop another consumer", "[delivery][isolation]") {
  EventServiceOptions options;
  options.deliveryThreads = 1;
  options.stuckConsumerTime = std::chrono::milliseconds(20);
  Fixture f(options);
  auto gate = f.gate();
  auto hung = std::make_shared<RecordingSink>(gate);
  f.subscribeWithId("SELECT * FROM E WHERE S = \"hang\"", {}, hung);
  auto other = f.subscribe("SELECT * FROM E WHERE S = \"go\"");
  REQUIRE(f.sink()->indicate(f.event("hang")) == WBEM_S_NO_ERROR);
  REQUIRE(gate->waitForWaiter());
  REQUIRE(f.sink()->indicate(f.event("go")) == WBEM_S_NO_ERROR);
  REQUIRE(other->waitForEvents(1));
  CHECK(f.service.statistics().deliveryThreads >= 2);
  gate->open();
  REQUIRE(f.service.waitIdle());
  CHECK(hung->events().size() == 1);
}
