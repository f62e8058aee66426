// Tests of wbem::detail::TimerSchedule (the firing schedule of __IntervalTimerInstruction and
// __AbsoluteTimerInstruction instances, spec 3 and cases 83-85) and makeTimerEvent.

#include <wbem/classobject.hpp>
#include <wbem/clock.hpp>
#include <wbem/datetime.hpp>
#include <wbem/namespace.hpp>
#include <wbem/status.hpp>
#include <wbem/value.hpp>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "support.hpp"
#include "timer_schedule.hpp"

using namespace wbem;
using namespace std::chrono_literals;
using wbem::detail::makeTimerEvent;
using wbem::detail::TimerSchedule;

namespace {

using Duration = Clock::TimePoint::duration;

ClassObject intervalInstruction(const Namespace& ns, const Value& timerId, const Value& ms, bool skip = false) {
  ClassObject i = ns.getClass("__IntervalTimerInstruction")->spawnInstance();
  i.put("TimerId", timerId);
  i.put("IntervalBetweenEvents", ms);
  i.put("SkipIfPassed", Value(skip));
  return i;
}

ClassObject intervalInstruction(const Namespace& ns, std::string_view timerId, std::uint32_t ms, bool skip = false) {
  return intervalInstruction(ns, Value(timerId), Value(ms), skip);
}

ClassObject absoluteInstruction(const Namespace& ns, std::string_view timerId, const Value& when, bool skip = false) {
  ClassObject i = ns.getClass("__AbsoluteTimerInstruction")->spawnInstance();
  i.put("TimerId", Value(timerId));
  i.put("EventDateTime", when);
  i.put("SkipIfPassed", Value(skip));
  return i;
}

// One non-zero fire() result of a run: when, and the count it returned.
struct Firing {
  Duration at;  // since the start of the run
  std::uint32_t count;
  friend bool operator==(const Firing&, const Firing&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Firing& f) {
    return os << "{" << std::chrono::duration<double>(f.at).count() << " s: " << f.count << "}";
  }
};

// A scheduler that checks the timer every `step` until `until` has passed since `start`, as the
// service's scheduler does when nothing makes it late.
std::vector<Firing> run(TimerSchedule& timer, ManualClock& clock, Duration step, Duration until) {
  const Clock::TimePoint start = clock.now();
  std::vector<Firing> firings;
  while (clock.now() - start < until) {
    clock.advance(step);
    if (std::uint32_t n = timer.fire(clock.now())) firings.push_back({clock.now() - start, n});
  }
  return firings;
}

}  // namespace

TEST_CASE("An interval timer fires once per interval (case 83)", "[timer]") {
  Namespace ns("root\\test");
  ManualClock clock;
  const Clock::TimePoint t0 = clock.now();
  TimerSchedule timer = TimerSchedule::fromInstruction(intervalInstruction(ns, "T1", 1000), t0, clock.wallNow());

  CHECK(timer.timerId() == "T1");
  CHECK_FALSE(timer.skipIfPassed());
  CHECK(timer.isInterval());
  REQUIRE(timer.nextDue() == t0 + 1s);

  SECTION("nothing is due before the first interval has passed") {
    CHECK(timer.fire(t0) == 0);
    CHECK(timer.fire(t0 + 999ms) == 0);
    CHECK(timer.nextDue() == t0 + 1s);
  }
  SECTION("3.5 s give 3 firings of 1, at +1 s, +2 s and +3 s") {
    const std::vector<Firing> firings = run(timer, clock, 100ms, 3500ms);
    CHECK(firings == std::vector<Firing>{{1s, 1}, {2s, 1}, {3s, 1}});
    CHECK(timer.nextDue() == t0 + 4s);
  }
  SECTION("firing exactly at the due time moves the next due a full interval on") {
    CHECK(timer.fire(t0 + 1s) == 1);
    CHECK(timer.nextDue() == t0 + 2s);
    CHECK(timer.fire(t0 + 1s) == 0);  // a second check at the same time finds nothing due
  }
}

TEST_CASE("A late check merges the missed firings of an interval timer (case 84)", "[timer]") {
  Namespace ns("root\\test");
  ManualClock clock;
  const Clock::TimePoint t0 = clock.now();

  SECTION("SkipIfPassed FALSE: one count of all the missed firings, next due on the original grid") {
    TimerSchedule timer = TimerSchedule::fromInstruction(intervalInstruction(ns, "T1", 1000), t0, clock.wallNow());
    CHECK(timer.fire(t0 + 5s) == 5);
    CHECK(timer.nextDue() == t0 + 6s);
    CHECK(timer.fire(t0 + 6s) == 1);
    CHECK(timer.nextDue() == t0 + 7s);
  }
  SECTION("a check between grid points counts the points passed and keeps the grid") {
    TimerSchedule timer = TimerSchedule::fromInstruction(intervalInstruction(ns, "T1", 1000), t0, clock.wallNow());
    CHECK(timer.fire(t0 + 1s) == 1);
    CHECK(timer.fire(t0 + 4200ms) == 3);
    CHECK(timer.nextDue() == t0 + 5s);
    CHECK(timer.fire(t0 + 5001ms) == 1);
    CHECK(timer.nextDue() == t0 + 6s);
  }
  SECTION("SkipIfPassed TRUE: the missed firings are not reported") {
    TimerSchedule timer =
        TimerSchedule::fromInstruction(intervalInstruction(ns, "T1", 1000, true), t0, clock.wallNow());
    CHECK(timer.skipIfPassed());
    CHECK(timer.fire(t0 + 5s) == 1);
    CHECK(timer.nextDue() == t0 + 6s);
    CHECK(timer.fire(t0 + 6500ms) == 1);
    CHECK(timer.nextDue() == t0 + 7s);
  }
  SECTION("a 1 ms timer checked a day late") {
    TimerSchedule timer = TimerSchedule::fromInstruction(intervalInstruction(ns, "fast", 1), t0, clock.wallNow());
    CHECK(timer.fire(t0 + 24h) == 86'400'000u);
    CHECK(timer.nextDue() == t0 + 24h + 1ms);
  }
}

TEST_CASE("An interval timer's grid starts when the instruction is read", "[timer]") {
  Namespace ns("root\\test");
  ManualClock clock;
  clock.advance(12345ms);
  const Clock::TimePoint start = clock.now();
  TimerSchedule timer = TimerSchedule::fromInstruction(intervalInstruction(ns, "T2", 250), start, clock.wallNow());
  CHECK(timer.nextDue() == start + 250ms);
  CHECK(run(timer, clock, 50ms, 1s) == std::vector<Firing>{{250ms, 1}, {500ms, 1}, {750ms, 1}, {1000ms, 1}});
}

TEST_CASE("An absolute timer fires exactly once (case 85)", "[timer]") {
  Namespace ns("root\\test");
  ManualClock clock;
  const Clock::TimePoint t0 = clock.now();

  SECTION("EventDateTime two seconds ahead, in UTC") {
    const Value when(DateTime::fromTimePoint(clock.wallNow() + 2s));
    TimerSchedule timer = TimerSchedule::fromInstruction(absoluteInstruction(ns, "A1", when), t0, clock.wallNow());
    CHECK(timer.timerId() == "A1");
    CHECK_FALSE(timer.isInterval());
    REQUIRE(timer.nextDue() == t0 + 2s);
    CHECK(run(timer, clock, 100ms, 3s) == std::vector<Firing>{{2s, 1}});
    CHECK(timer.nextDue() == std::nullopt);
    CHECK(timer.fire(t0 + 1h) == 0);
  }
  SECTION("EventDateTime with a UTC offset names the same instant") {
    // The ManualClock's wall time starts at 2023-11-14 22:13:20 UTC: 23:13:22+060 is 2 s later.
    REQUIRE(DateTime::fromTimePoint(clock.wallNow()).toString() == "20231114221320.000000+000");
    const Value when(DateTime::timestamp(2023, 11, 14, 23, 13, 22, 0, 60));
    TimerSchedule timer = TimerSchedule::fromInstruction(absoluteInstruction(ns, "A1", when), t0, clock.wallNow());
    CHECK(timer.nextDue() == t0 + 2s);
  }
  SECTION("a scheduler that is late still fires it once") {
    const Value when(DateTime::fromTimePoint(clock.wallNow() + 2s));
    TimerSchedule timer = TimerSchedule::fromInstruction(absoluteInstruction(ns, "A1", when), t0, clock.wallNow());
    CHECK(timer.fire(t0 + 10s) == 1);
    CHECK(timer.fire(t0 + 11s) == 0);
    CHECK(timer.nextDue() == std::nullopt);
  }
  SECTION("wall time with a sub-microsecond part: the due time is exact") {
    clock.advance(1500ms + 300ns);
    const Clock::TimePoint now = clock.now();
    // DMTF has microseconds: the EventDateTime is wallNow + 2 s less the 300 ns.
    const Value when(DateTime::fromTimePoint(clock.wallNow() + 2s));
    TimerSchedule timer = TimerSchedule::fromInstruction(absoluteInstruction(ns, "A1", when), now, clock.wallNow());
    CHECK(timer.nextDue() == now + 2s - 300ns);
  }
  SECTION("EventDateTime as a DMTF string") {
    const Value when("20231114221321.500000+000");
    TimerSchedule timer = TimerSchedule::fromInstruction(absoluteInstruction(ns, "A1", when), t0, clock.wallNow());
    CHECK(timer.nextDue() == t0 + 1500ms);
  }
}

TEST_CASE("An absolute timer whose time has passed", "[timer]") {
  Namespace ns("root\\test");
  ManualClock clock;
  clock.advance(1h);
  const Clock::TimePoint now = clock.now();
  const Value past(DateTime::fromTimePoint(clock.wallNow() - 10s));

  SECTION("fires once at the first check when SkipIfPassed is FALSE") {
    TimerSchedule timer = TimerSchedule::fromInstruction(absoluteInstruction(ns, "P", past), now, clock.wallNow());
    REQUIRE(timer.nextDue() == now);
    CHECK(timer.fire(now) == 1);
    CHECK(timer.nextDue() == std::nullopt);
    CHECK(timer.fire(now + 1s) == 0);
  }
  SECTION("never fires when SkipIfPassed is TRUE") {
    TimerSchedule timer =
        TimerSchedule::fromInstruction(absoluteInstruction(ns, "P", past, true), now, clock.wallNow());
    CHECK(timer.nextDue() == std::nullopt);
    CHECK(timer.fire(now) == 0);
    CHECK(timer.fire(now + 24h) == 0);
  }
  SECTION("one microsecond in the past counts as passed") {
    const Value justPast(DateTime::fromTimePoint(clock.wallNow() - 1us));
    TimerSchedule timer =
        TimerSchedule::fromInstruction(absoluteInstruction(ns, "P", justPast, true), now, clock.wallNow());
    CHECK(timer.nextDue() == std::nullopt);
  }
  SECTION("a year before system_clock's range is simply in the past") {
    const Value ancient(DateTime::timestamp(1000, 1, 1, 0, 0, 0));
    TimerSchedule timer = TimerSchedule::fromInstruction(absoluteInstruction(ns, "P", ancient), now, clock.wallNow());
    CHECK(timer.nextDue() == now);
    TimerSchedule skipped =
        TimerSchedule::fromInstruction(absoluteInstruction(ns, "P", ancient, true), now, clock.wallNow());
    CHECK(skipped.nextDue() == std::nullopt);
  }
}

TEST_CASE("An absolute timer beyond the steady clock's range waits forever", "[timer]") {
  Namespace ns("root\\test");
  ManualClock clock;
  const Clock::TimePoint t0 = clock.now();
  const Value farFuture(DateTime::timestamp(9999, 12, 31, 23, 59, 59));
  TimerSchedule timer = TimerSchedule::fromInstruction(absoluteInstruction(ns, "F", farFuture), t0, clock.wallNow());
  CHECK(timer.nextDue() == Clock::TimePoint::max());
  CHECK(timer.fire(t0 + 24h * 365 * 100) == 0);
}

TEST_CASE("A subclass of a timer instruction class is a timer instruction", "[timer]") {
  Namespace ns("root\\test");
  ClassObject cls = ns.getClass("__IntervalTimerInstruction")->spawnDerivedClass("MyTimer");
  cls.putProperty("Owner", scalarType(CimType::String));
  ns.putClass(cls);
  ClassObject instruction = ns.getClass("MyTimer")->spawnInstance();
  instruction.put("TimerId", Value("mine"));
  instruction.put("IntervalBetweenEvents", Value(std::uint32_t{500}));
  ManualClock clock;
  const TimerSchedule timer = TimerSchedule::fromInstruction(instruction, clock.now(), clock.wallNow());
  CHECK(timer.timerId() == "mine");
  CHECK(timer.nextDue() == clock.now() + 500ms);
}

TEST_CASE("Invalid timer instructions are WBEM_E_INVALID_PARAMETER", "[timer]") {
  Namespace ns("root\\test");
  ManualClock clock;
  auto schedule = [&](const ClassObject& instruction) {
    return TimerSchedule::fromInstruction(instruction, clock.now(), clock.wallNow());
  };
  const Value soon(DateTime::fromTimePoint(clock.wallNow() + 1s));

  SECTION("another class") {
    CHECK_STATUS(WBEM_E_INVALID_PARAMETER, schedule(ns.getClass("__TimerEvent")->spawnInstance()));
    ClassObject abstractBase = ns.getClass("__TimerInstruction")->spawnInstance();
    abstractBase.put("TimerId", Value("T"));
    CHECK_STATUS(WBEM_E_INVALID_PARAMETER, schedule(abstractBase));
    ClassObject other = ClassObject::createClass("Other");
    other.putProperty("TimerId", scalarType(CimType::String), Value("T"));
    other.putProperty("IntervalBetweenEvents", scalarType(CimType::UInt32), Value(std::uint32_t{1000}));
    CHECK_STATUS(WBEM_E_INVALID_PARAMETER, schedule(other.spawnInstance()));
  }
  SECTION("a class rather than an instance") {
    ClassObject cls = ns.getClass("__IntervalTimerInstruction")->spawnDerivedClass("TimerClass");
    cls.put("TimerId", Value("T"));
    cls.put("IntervalBetweenEvents", Value(std::uint32_t{1000}));
    CHECK_STATUS(WBEM_E_INVALID_PARAMETER, schedule(cls));
  }
  SECTION("TimerId NULL or empty") {
    CHECK_STATUS(WBEM_E_INVALID_PARAMETER, schedule(intervalInstruction(ns, Value(), Value(std::uint32_t{1000}))));
    CHECK_STATUS(WBEM_E_INVALID_PARAMETER, schedule(intervalInstruction(ns, "", 1000)));
    CHECK_STATUS(WBEM_E_INVALID_PARAMETER, schedule(absoluteInstruction(ns, "", soon)));
  }
  SECTION("IntervalBetweenEvents NULL or 0") {
    CHECK_STATUS(WBEM_E_INVALID_PARAMETER, schedule(intervalInstruction(ns, Value("T"), Value())));
    CHECK_STATUS(WBEM_E_INVALID_PARAMETER, schedule(intervalInstruction(ns, "T", 0)));
    CHECK_STATUS(WBEM_S_NO_ERROR, schedule(intervalInstruction(ns, "T", 1)));
  }
  SECTION("EventDateTime NULL or an interval") {
    CHECK_STATUS(WBEM_E_INVALID_PARAMETER, schedule(absoluteInstruction(ns, "A", Value())));
    CHECK_STATUS(WBEM_E_INVALID_PARAMETER,
                 schedule(absoluteInstruction(ns, "A", Value(DateTime::interval(0, 0, 0, 2)))));
    CHECK_STATUS(WBEM_S_NO_ERROR, schedule(absoluteInstruction(ns, "A", soon)));
  }
  SECTION("SkipIfPassed NULL reads as FALSE") {
    ClassObject instruction = intervalInstruction(ns, "T", 1000);
    instruction.put("SkipIfPassed", Value());
    CHECK_FALSE(schedule(instruction).skipIfPassed());
  }
}

TEST_CASE("makeTimerEvent builds a __TimerEvent", "[timer]") {
  Namespace ns("root\\test");
  const ClassObject event = makeTimerEvent(ns, "T1", 5);
  CHECK(event.isInstance());
  CHECK(event.className() == "__TimerEvent");
  CHECK(event.inheritsFrom("__Event"));
  CHECK(event.get("TimerId") == Value("T1"));
  CHECK(event.get("NumFirings") == Value(std::uint32_t{5}));
  CHECK(event.get("NumFirings").type() == CimType::UInt32);
  CHECK(event.get("TIME_CREATED").isNull());
  CHECK(makeTimerEvent(ns, "other", 1).get("NumFirings").asUInt64() == 1);
}
