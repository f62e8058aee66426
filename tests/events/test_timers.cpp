// Tests of timer instructions through the service: __IntervalTimerInstruction and
// __AbsoluteTimerInstruction instances put into a namespace raise __TimerEvent as the ManualClock
// moves, and firings a consumer could not take in time are merged (spec 3, 6.4 F9, 12.J 83-85).

#include <wbem/datetime.hpp>
#include <wbem/event_service.hpp>
#include <wbem/objectpath.hpp>

#include <algorithm>
#include <catch2/catch.hpp>
#include <numeric>
#include <string>
#include <vector>

#include "event_fixture.hpp"
#include "support.hpp"

using namespace wbem;
using namespace wbemtest;

namespace {

// Puts __IntervalTimerInstruction{TimerId, IntervalBetweenEvents = ms, SkipIfPassed} into root\test.
void putIntervalTimer(Fixture& f, std::string_view id, std::uint32_t ms, bool skip = false) {
  ClassObject i = f.ns.getClass("__IntervalTimerInstruction")->spawnInstance();
  i.put("TimerId", Value(id));
  i.put("IntervalBetweenEvents", Value(ms));
  i.put("SkipIfPassed", Value(skip));
  f.ns.putInstance(i);
  REQUIRE(f.service.waitIdle());  // the scheduler reads the instruction at the current time
}

// Puts __AbsoluteTimerInstruction{TimerId, EventDateTime = now + `in`} into root\test.
void putAbsoluteTimer(Fixture& f, std::string_view id, std::chrono::seconds in) {
  ClassObject i = f.ns.getClass("__AbsoluteTimerInstruction")->spawnInstance();
  i.put("TimerId", Value(id));
  i.put("EventDateTime", Value(DateTime::fromTimePoint(f.clock->wallNow() + in)));
  f.ns.putInstance(i);
  REQUIRE(f.service.waitIdle());
}

// The NumFirings of each event.
std::vector<std::uint64_t> firings(const std::vector<ObjectPtr>& events) {
  std::vector<std::uint64_t> out;
  for (const ObjectPtr& e : events) out.push_back(e->get("NumFirings").asUInt64());
  return out;
}

// Moves the clock by `step` without waitIdle (a consumer is blocked) and waits until `witness`
// has received `count` events.
void advanceUntil(Fixture& f, std::chrono::milliseconds step, const RecordingSink& witness, std::size_t count) {
  f.clock->advance(step);
  REQUIRE(witness.waitForEvents(count));
}

}  // namespace

TEST_CASE("an interval timer fires once per interval (case 83)", "[timers]") {
  Fixture f;
  auto sink = f.subscribe("SELECT * FROM __TimerEvent WHERE TimerId = \"T1\"");
  auto other = f.subscribe("SELECT * FROM __TimerEvent WHERE TimerId = \"T2\"");
  putIntervalTimer(f, "T1", 1000);
  for (int step = 0; step < 7; ++step) f.advance(500ms);  // 3.5 s
  const auto events = sink->events();
  CHECK(classNames(events) == std::vector<std::string>(3, "__TimerEvent"));
  CHECK(texts(events, "TimerId") == std::vector<std::string>(3, "T1"));
  CHECK(firings(events) == std::vector<std::uint64_t>(3, 1));
  for (const ObjectPtr& e : events) CHECK(e->get("TIME_CREATED").asUInt64() != 0);
  CHECK(other->events().empty());
}

TEST_CASE("two interval timers fire independently", "[timers]") {
  Fixture f;
  auto sink = f.subscribe("SELECT * FROM __TimerEvent");
  putIntervalTimer(f, "fast", 500);
  putIntervalTimer(f, "slow", 1500);
  for (int step = 0; step < 6; ++step) f.advance(500ms);  // 3 s
  const auto ids = texts(sink->events(), "TimerId");
  CHECK(std::count(ids.begin(), ids.end(), "fast") == 6);
  CHECK(std::count(ids.begin(), ids.end(), "slow") == 2);
}

TEST_CASE("deleting or changing the instruction changes the timer", "[timers]") {
  Fixture f;
  auto sink = f.subscribe("SELECT * FROM __TimerEvent WHERE TimerId = \"T1\"");
  putIntervalTimer(f, "T1", 1000);
  f.advance(1s);
  CHECK(sink->events().size() == 1);

  putIntervalTimer(f, "T1", 250);  // restarts on the new interval
  f.advance(500ms);
  CHECK(sink->events().size() == 2);  // one firing of 2 merged, since the clock jumped 500 ms
  CHECK(firings(sink->events()).back() == 2);

  f.ns.deleteInstance(ObjectPath::parse("__IntervalTimerInstruction.TimerId=\"T1\""));
  REQUIRE(f.service.waitIdle());
  f.advance(2s);
  CHECK(sink->events().size() == 2);
}

TEST_CASE("a scheduler that was late reports the missed firings in NumFirings, or one with SkipIfPassed (84, F9)",
          "[timers][merge]") {
  Fixture f;
  auto kept = f.subscribe("SELECT * FROM __TimerEvent WHERE TimerId = \"keep\"");
  auto skipped = f.subscribe("SELECT * FROM __TimerEvent WHERE TimerId = \"skip\"");
  putIntervalTimer(f, "keep", 1000);
  putIntervalTimer(f, "skip", 1000, true);
  f.advance(3500ms);  // in one jump: firings at 1, 2 and 3 s are due together
  CHECK(firings(kept->events()) == std::vector<std::uint64_t>{3});
  CHECK(firings(skipped->events()) == std::vector<std::uint64_t>{1});
  f.advance(500ms);
  CHECK(firings(kept->events()) == std::vector<std::uint64_t>{3, 1});
}

TEST_CASE("firings queued behind a blocked consumer are merged into one __TimerEvent (case 84)", "[timers][merge]") {
  Fixture f;
  auto gate = f.gate();
  auto blocked = std::make_shared<RecordingSink>(gate);
  f.subscribeWithId("SELECT * FROM __TimerEvent WHERE TimerId = \"T1\"", {}, blocked);
  auto witness = f.subscribe("SELECT * FROM __TimerEvent WHERE TimerId = \"T1\"");
  putIntervalTimer(f, "T1", 500);

  advanceUntil(f, 500ms, *witness, 1);
  REQUIRE(gate->waitForWaiter());  // the consumer is inside its call with the first firing
  for (std::size_t n = 2; n <= 4; ++n) advanceUntil(f, 500ms, *witness, n);
  gate->open();
  REQUIRE(f.service.waitIdle());

  CHECK(firings(witness->events()) == std::vector<std::uint64_t>(4, 1));
  const auto got = firings(blocked->events());
  REQUIRE(got.size() >= 2);
  CHECK(got.size() < 4);
  CHECK(got[0] == 1);
  CHECK(got[1] > 1);  // the firings that waited arrive as one
  CHECK(std::accumulate(got.begin(), got.end(), std::uint64_t{0}) == 4);
}

TEST_CASE("with SkipIfPassed the merged firings count as one (case 84)", "[timers][merge]") {
  Fixture f;
  auto gate = f.gate();
  auto blocked = std::make_shared<RecordingSink>(gate);
  f.subscribeWithId("SELECT * FROM __TimerEvent WHERE TimerId = \"T1\"", {}, blocked);
  auto witness = f.subscribe("SELECT * FROM __TimerEvent WHERE TimerId = \"T1\"");
  putIntervalTimer(f, "T1", 500, true);

  advanceUntil(f, 500ms, *witness, 1);
  REQUIRE(gate->waitForWaiter());
  for (std::size_t n = 2; n <= 4; ++n) advanceUntil(f, 500ms, *witness, n);
  gate->open();
  REQUIRE(f.service.waitIdle());

  const auto got = firings(blocked->events());
  REQUIRE(got.size() >= 2);
  CHECK(got.size() < 4);
  CHECK(got == std::vector<std::uint64_t>(got.size(), 1));
}

TEST_CASE("an absolute timer fires exactly once at its time (case 85)", "[timers]") {
  Fixture f;
  auto sink = f.subscribe("SELECT * FROM __TimerEvent WHERE TimerId = \"A1\"");
  putAbsoluteTimer(f, "A1", 2s);
  f.advance(1s);
  CHECK(sink->events().empty());
  f.advance(1s);
  CHECK(sink->events().size() == 1);
  f.advance(1s);
  f.advance(10s);
  const auto events = sink->events();
  REQUIRE(events.size() == 1);
  CHECK(events[0]->get("TimerId").asString() == "A1");
  CHECK(events[0]->get("NumFirings").asUInt64() == 1);
}

TEST_CASE("an absolute timer already passed fires once at once", "[timers]") {
  Fixture f;
  auto sink = f.subscribe("SELECT * FROM __TimerEvent WHERE TimerId = \"past\"");
  ClassObject i = f.ns.getClass("__AbsoluteTimerInstruction")->spawnInstance();
  i.put("TimerId", Value("past"));
  i.put("EventDateTime", Value(DateTime::fromTimePoint(f.clock->wallNow() - 1h)));
  f.ns.putInstance(i);
  REQUIRE(f.service.waitIdle());
  f.advance(1s);
  f.advance(1s);
  CHECK(firings(sink->events()) == std::vector<std::uint64_t>{1});
}
