#include "timer_schedule.hpp"

#include <wbem/datetime.hpp>
#include <wbem/status.hpp>
#include <wbem/value.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace wbem::detail {

namespace {

using Duration = Clock::TimePoint::duration;

constexpr std::string_view kIntervalClass = "__IntervalTimerInstruction";
constexpr std::string_view kAbsoluteClass = "__AbsoluteTimerInstruction";

[[noreturn]] void invalid(const std::string& message) { throw Error(WBEM_E_INVALID_PARAMETER, message); }

// Microseconds from the Unix epoch to the instant a timestamp names. Done by hand rather than with
// DateTime::toTimePoint() so that years outside system_clock's 1677-2262 still schedule (far
// future) or count as passed (far past) instead of failing.
std::int64_t epochMicros(const DateTime& t) {
  using namespace std::chrono;
  const sys_days date{year{t.year()} / month{static_cast<unsigned>(t.month())} / day{static_cast<unsigned>(t.day())}};
  const microseconds local = duration_cast<microseconds>(date.time_since_epoch()) + hours{t.hour()} +
                             minutes{t.minute()} + seconds{t.second()} + microseconds{t.microsecond()};
  return (local - minutes{t.utcOffsetMinutes()}).count();  // local time is UTC plus the offset
}

// The steady time at which `when` falls, seen from the pair (now, wallNow); nullopt when it has
// already passed. Clamped to TimePoint::max() beyond the steady clock's range.
std::optional<Clock::TimePoint> steadyTimeOf(const DateTime& when, Clock::TimePoint now, Clock::WallTime wallNow) {
  using namespace std::chrono;
  // Split wallNow into whole microseconds (DMTF's resolution) and a sub-microsecond rest so that
  // the difference is exact and the int64 arithmetic cannot overflow for any DMTF year.
  const microseconds wallMicros = floor<microseconds>(wallNow.time_since_epoch());
  const Duration wallRest = duration_cast<Duration>(wallNow.time_since_epoch() - wallMicros);
  const microseconds untilMicros{epochMicros(when) - wallMicros.count()};
  if (untilMicros < microseconds::zero()) return std::nullopt;
  const microseconds headroom = duration_cast<microseconds>(Clock::TimePoint::max() - now);
  if (untilMicros >= headroom) return Clock::TimePoint::max();
  const Duration until = duration_cast<Duration>(untilMicros) - wallRest;
  if (until < Duration::zero()) return std::nullopt;
  return now + until;
}

}  // namespace

TimerSchedule TimerSchedule::fromInstruction(const ClassObject& instruction, Clock::TimePoint now,
                                             Clock::WallTime wallNow) {
  const ClassDef& def = instruction.definition();
  const bool interval = def.inheritsFrom(kIntervalClass);
  if (!instruction.isInstance() || (!interval && !def.inheritsFrom(kAbsoluteClass)))
    invalid(instruction.className() + " is not an instance of " + std::string(kIntervalClass) + " or " +
            std::string(kAbsoluteClass));

  TimerSchedule s;
  const Value id = instruction.get("TimerId");
  if (id.isNull() || id.asString().empty()) invalid(instruction.className() + " needs a TimerId");
  s.timerId_ = id.asString();
  const Value skip = instruction.get("SkipIfPassed");
  s.skipIfPassed_ = !skip.isNull() && skip.asBool();

  if (interval) {
    const Value ms = instruction.get("IntervalBetweenEvents");
    if (ms.isNull() || ms.asUInt64() == 0)
      invalid("timer " + s.timerId_ + " needs an IntervalBetweenEvents of at least 1 ms");
    s.interval_ = std::chrono::duration_cast<Duration>(std::chrono::milliseconds(ms.asUInt64()));
    s.start_ = now;
    s.next_ = now + s.interval_;
    return s;
  }

  const Value when = instruction.get("EventDateTime");
  if (when.isNull() || when.asDateTime().isInterval())
    invalid("timer " + s.timerId_ + " needs an EventDateTime that is a timestamp, not an interval");
  if (std::optional<Clock::TimePoint> due = steadyTimeOf(when.asDateTime(), now, wallNow))
    s.next_ = *due;
  else if (!s.skipIfPassed_)
    s.next_ = now;  // missed (e.g. while the service was down): reported at the first check
  return s;
}

std::uint32_t TimerSchedule::fire(Clock::TimePoint now) noexcept {
  if (!next_ || now < *next_) return 0;
  if (!isInterval()) {
    next_.reset();
    return 1;
  }
  // Grid point k is due at start_ + k * interval_; everything up to `now` not yet fired is due now.
  const std::int64_t through = (now - start_) / interval_;
  const std::int64_t due = through - firedThrough_;
  firedThrough_ = through;
  next_ = start_ + (through + 1) * interval_;
  if (skipIfPassed_) return 1;
  constexpr std::int64_t kMax = std::numeric_limits<std::uint32_t>::max();
  return static_cast<std::uint32_t>(due < kMax ? due : kMax);
}

ClassObject makeTimerEvent(const Namespace& ns, std::string_view timerId, std::uint32_t numFirings) {
  ClassObject event = ns.getClass("__TimerEvent")->spawnInstance();
  event.put("TimerId", Value(timerId));
  event.put("NumFirings", Value(numFirings));
  return event;
}

}  // namespace wbem::detail
