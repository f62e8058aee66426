// Aggregator: GROUP WITHIN / BY / HAVING (spec 2.4 G1-G8, 2.5 GROUP examples, 12 D cases 36-38),
// driven by an injected clock so nothing sleeps.

#include <wbem/aggregator.hpp>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

using namespace wbem;
using namespace std::chrono_literals;

namespace {

// Extrinsic class E {S, N, B} (spec 12), EmailEvent {Sender, Importance}, and a log-entry class
// for intrinsic events; a fake clock the tests move by hand.
struct Fixture {
  Namespace ns{"root\\test"};
  Aggregator::TimePoint now{};
  Aggregator::Clock clock = [this] { return now; };

  Fixture() {
    ClassObject e = ns.getClass("__ExtrinsicEvent")->spawnDerivedClass("E");
    e.putProperty("S", scalarType(CimType::String));
    e.putProperty("N", scalarType(CimType::SInt32));
    e.putProperty("B", scalarType(CimType::Boolean));
    ns.putClass(e);
    ClassObject mail = ns.getClass("__ExtrinsicEvent")->spawnDerivedClass("EmailEvent");
    mail.putProperty("Sender", scalarType(CimType::String));
    mail.putProperty("Importance", scalarType(CimType::UInt32));
    ns.putClass(mail);
    ClassObject log = ClassObject::createClass("Win32_NTLogEvent");
    log.putProperty("RecordNumber", scalarType(CimType::UInt32));
    log.putPropertyQualifier("RecordNumber", "key", Value(true));
    log.putProperty("SourceName", scalarType(CimType::String));
    ns.putClass(log);
  }

  std::unique_ptr<Aggregator> aggregator(const std::string& query) {
    return std::make_unique<Aggregator>(QueryFilter::compile(query, ns, QueryKind::Notification), ns, clock);
  }
  ClassObject e(const char* s, std::int32_t n = 0) const {
    ClassObject ev = ns.getClass("E")->spawnInstance();
    ev.put("S", Value(s));
    ev.put("N", Value(n));
    return ev;
  }
  ClassObject mail(const char* sender, std::uint32_t importance) const {
    ClassObject ev = ns.getClass("EmailEvent")->spawnInstance();
    ev.put("Sender", Value(sender));
    ev.put("Importance", Value(importance));
    return ev;
  }
  ClassObject logCreation(std::uint32_t record, const char* source) const {
    ClassObject entry = ns.getClass("Win32_NTLogEvent")->spawnInstance();
    entry.put("RecordNumber", Value(record));
    entry.put("SourceName", Value(source));
    ClassObject ev = ns.getClass("__InstanceCreationEvent")->spawnInstance();
    ev.put("TargetInstance", Value(share(entry)));
    return ev;
  }
};

std::uint32_t count(const ClassObject& aggregate) {
  return static_cast<std::uint32_t>(aggregate.get("NumberOfEvents").asUInt64());
}
const ClassObject& representative(const ClassObject& aggregate) {
  return *aggregate.get(std::string_view("Representative")).asObject();
}

}  // namespace

TEST_CASE("D36: GROUP WITHIN 2 combines 5 events into one aggregate 2 s after the first", "[aggregator]") {
  Fixture fx;
  auto agg = fx.aggregator("SELECT * FROM E GROUP WITHIN 2");
  const auto start = fx.now;
  for (int i = 0; i < 5; ++i) {
    fx.now = start + i * 200ms;
    agg->add(fx.e("a", i));
  }
  REQUIRE(agg->nextDeadline() == start + 2s);
  fx.now = start + 1999ms;
  CHECK(agg->poll().empty());
  fx.now = start + 2s;
  const auto out = agg->poll();
  REQUIRE(out.size() == 1);
  CHECK(out[0].className() == "__AggregateEvent");
  CHECK(count(out[0]) == 5);
  CHECK(representative(out[0]).className() == "E");
  CHECK(representative(out[0]).get("N").asInt64() == 0);  // the first event
  // G8: __AggregateEvent is no __Event.
  CHECK_FALSE(out[0].hasProperty("TIME_CREATED"));
  CHECK(agg->poll().empty());
  CHECK_FALSE(agg->nextDeadline());
}

TEST_CASE("D37: GROUP WITHIN 2 BY S gives one aggregate per distinct S", "[aggregator]") {
  Fixture fx;
  auto agg = fx.aggregator("SELECT * FROM E GROUP WITHIN 2 BY S");
  for (const char* s : {"x", "y", "x", "X", "y"}) agg->add(fx.e(s));
  fx.now += 2s;
  const auto out = agg->flush(fx.now);
  REQUIRE(out.size() == 2);
  // Oldest window first; strings group case-insensitively as WQL `=` compares them.
  CHECK(out[0].get("S").asString() == "x");
  CHECK(count(out[0]) == 3);
  CHECK(out[1].get("S").asString() == "y");
  CHECK(count(out[1]) == 2);
  CHECK(out[1].getPropertyType("S").type == CimType::String);
}

TEST_CASE("D38: HAVING NumberOfEvents > 5 drops smaller aggregates", "[aggregator]") {
  Fixture fx;
  auto agg = fx.aggregator("SELECT * FROM E GROUP WITHIN 2 HAVING NumberOfEvents > 5");
  for (int i = 0; i < 5; ++i) agg->add(fx.e("a"));
  fx.now += 2s;
  CHECK(agg->poll().empty());
  for (int i = 0; i < 6; ++i) agg->add(fx.e("a"));
  fx.now += 2s;
  const auto out = agg->poll();
  REQUIRE(out.size() == 1);
  CHECK(count(out[0]) == 6);
}

TEST_CASE("HAVING takes every relational operator", "[aggregator]") {
  struct Row {
    const char* having;
    bool delivered;  // for 3 events
  };
  for (const Row& row : {Row{"= 3", true}, Row{"<> 3", false}, Row{"!= 2", true}, Row{"< 3", false}, Row{"<= 3", true},
                         Row{"> 2", true}, Row{">= 4", false}}) {
    Fixture fx;
    auto agg = fx.aggregator(std::string("SELECT * FROM E GROUP WITHIN 1 HAVING NumberOfEvents ") + row.having);
    for (int i = 0; i < 3; ++i) agg->add(fx.e("a"));
    INFO(row.having);
    CHECK(agg->flush(fx.now + 1s).size() == (row.delivered ? 1u : 0u));
  }
}

TEST_CASE("2.5: per-sender and per-importance windows, filtered first", "[aggregator]") {
  Fixture fx;
  SECTION("SELECT * FROM EmailEvent GROUP WITHIN 300 BY Sender: windows start per group") {
    auto agg = fx.aggregator("SELECT * FROM EmailEvent GROUP WITHIN 300 BY Sender");
    const auto start = fx.now;
    agg->add(fx.mail("boss", 1));
    fx.now = start + 100s;
    agg->add(fx.mail("peer", 1));
    agg->add(fx.mail("boss", 2));
    fx.now = start + 300s;
    auto out = agg->poll();
    REQUIRE(out.size() == 1);
    CHECK(out[0].get("Sender").asString() == "boss");
    CHECK(count(out[0]) == 2);
    CHECK(agg->nextDeadline() == start + 400s);
    fx.now = start + 400s;
    out = agg->poll();
    REQUIRE(out.size() == 1);
    CHECK(out[0].get("Sender").asString() == "peer");
  }
  SECTION("SELECT * FROM EventClass WHERE Sender = 'MyBoss' GROUP WITHIN 300 BY Importance") {
    const auto filter =
        QueryFilter::compile("SELECT * FROM EmailEvent WHERE Sender = 'MyBoss' GROUP WITHIN 300 BY Importance", fx.ns,
                             QueryKind::Notification);
    Aggregator agg(filter, fx.ns, fx.clock);
    for (const ClassObject& ev :
         {fx.mail("MyBoss", 1), fx.mail("other", 1), fx.mail("myboss", 3), fx.mail("MyBoss", 1)})
      if (filter->matches(ev)) agg.add(ev);
    const auto out = agg.flush(fx.now + 300s);
    REQUIRE(out.size() == 2);
    CHECK(out[0].get("Importance").asUInt64() == 1);
    CHECK(out[0].getPropertyType("Importance").type == CimType::UInt32);
    CHECK(count(out[0]) == 2);
    CHECK(out[1].get("Importance").asUInt64() == 3);
  }
  SECTION("BY TargetInstance.SourceName HAVING NumberOfEvents > 25: dotted path property") {
    auto agg = fx.aggregator(
        "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Win32_NTLogEvent' GROUP WITHIN 600 BY "
        "TargetInstance.SourceName HAVING NumberOfEvents > 25");
    for (std::uint32_t i = 0; i < 26; ++i) agg->add(fx.logCreation(i, "Disk"));
    for (std::uint32_t i = 0; i < 25; ++i) agg->add(fx.logCreation(100 + i, "Net"));
    const auto out = agg->flush(fx.now + 600s);
    REQUIRE(out.size() == 1);
    CHECK(Aggregator::propertyName(parseWql("SELECT * FROM E GROUP WITHIN 1 BY A.B.C").groupBy[0]) == "A_B_C");
    CHECK(out[0].get("TargetInstance_SourceName").asString() == "Disk");
    CHECK(count(out[0]) == 26);
    CHECK(representative(out[0]).className() == "__InstanceCreationEvent");
  }
}

TEST_CASE("An event after its group's window closed opens a new window", "[aggregator]") {
  Fixture fx;
  auto agg = fx.aggregator("SELECT * FROM E GROUP WITHIN 2 BY N");
  const auto start = fx.now;
  agg->add(fx.e("a", 1));
  fx.now = start + 3s;  // not polled in time
  agg->add(fx.e("b", 1));
  agg->add(fx.e("c", 2));
  auto out = agg->poll();
  REQUIRE(out.size() == 1);
  CHECK(count(out[0]) == 1);
  CHECK(representative(out[0]).get("S").asString() == "a");
  CHECK(agg->nextDeadline() == start + 5s);
  out = agg->flushAll();
  REQUIRE(out.size() == 2);
  CHECK(representative(out[0]).get("S").asString() == "b");
  CHECK(out[1].get("N").asInt64() == 2);
}

TEST_CASE("NULL BY values form their own group", "[aggregator]") {
  Fixture fx;
  auto agg = fx.aggregator("SELECT * FROM E GROUP WITHIN 5 BY S, B");
  agg->add(fx.ns.getClass("E")->spawnInstance());
  agg->add(fx.ns.getClass("E")->spawnInstance());
  agg->add(fx.e("x"));
  const auto out = agg->flushAll();
  REQUIRE(out.size() == 2);
  CHECK(out[0].get("S").isNull());
  CHECK(out[0].get("B").isNull());
  CHECK(count(out[0]) == 2);
  CHECK(out[1].get("S").asString() == "x");
}

TEST_CASE("Aggregator construction errors", "[aggregator]") {
  Fixture fx;
  try {
    Aggregator agg(QueryFilter::compile("SELECT * FROM E", fx.ns, QueryKind::Notification), fx.ns, fx.clock);
    FAIL("accepted a filter without GROUP WITHIN");
  } catch (const Error& e) {
    CHECK(e.status() == WBEM_E_INVALID_PARAMETER);
  }
  CHECK_THROWS_AS(Aggregator(nullptr, fx.ns, fx.clock), Error);
  // The default clock is the steady clock.
  Aggregator real(QueryFilter::compile("SELECT * FROM E GROUP WITHIN 60", fx.ns, QueryKind::Notification), fx.ns);
  real.add(fx.e("a"));
  CHECK(real.poll().empty());
  CHECK(real.flushAll().size() == 1);
}
