#pragma once
// The firing schedule of one timer instruction (__IntervalTimerInstruction or
// __AbsoluteTimerInstruction) and the __TimerEvent it raises. Pure bookkeeping on time points
// handed in by the caller: the scheduler owns the clock and the waiting.

#include <wbem/classobject.hpp>
#include <wbem/clock.hpp>
#include <wbem/namespace.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wbem::detail {

/// The firing schedule of one __IntervalTimerInstruction or __AbsoluteTimerInstruction instance.
/// Safety: not thread-safe; the owner serialises calls (const members may run concurrently).
class TimerSchedule {
 public:
  /// The schedule of `instruction`, an instance of either timer instruction class (or a subclass),
  /// as created at steady time `now` / wall time `wallNow`. Throws WBEM_E_INVALID_PARAMETER for
  /// another class, a NULL/empty TimerId, IntervalBetweenEvents NULL or 0, or EventDateTime NULL or
  /// an interval. An interval timer first fires at now + interval; an absolute timer at the steady
  /// time matching EventDateTime; one already passed fires once at the first check, or never when
  /// SkipIfPassed is TRUE. Thread-safe (touches nothing shared).
  static TimerSchedule fromInstruction(const ClassObject& instruction, Clock::TimePoint now, Clock::WallTime wallNow);

  /// The instruction's TimerId. Not thread-safe against fire().
  const std::string& timerId() const noexcept { return timerId_; }
  /// The instruction's SkipIfPassed (NULL reads as FALSE). Not thread-safe against fire().
  bool skipIfPassed() const noexcept { return skipIfPassed_; }
  /// True for an __IntervalTimerInstruction, false for an absolute one. Not thread-safe against fire().
  bool isInterval() const noexcept { return interval_ != Clock::TimePoint::duration::zero(); }
  /// When it next fires; nullopt when it never will again (an absolute timer that fired or was
  /// skipped). TimePoint::max() for an absolute time beyond the steady clock's range. Not
  /// thread-safe against fire().
  std::optional<Clock::TimePoint> nextDue() const noexcept { return next_; }

  /// Called at `now` (at or after nextDue(), possibly much later when the scheduler was late):
  /// returns how many firings were due (0 when none) and moves nextDue() past `now`. An interval
  /// timer merges missed firings into one count (1 when SkipIfPassed is TRUE) and stays on its
  /// original grid: the next due is the first multiple of the interval after `now`, counted from
  /// the start. Not thread-safe.
  std::uint32_t fire(Clock::TimePoint now) noexcept;

 private:
  TimerSchedule() = default;

  std::string timerId_;
  bool skipIfPassed_ = false;
  Clock::TimePoint::duration interval_{};  // zero for an absolute timer
  Clock::TimePoint start_{};               // interval timers: the grid's origin
  std::int64_t firedThrough_ = 0;          // interval timers: index of the last grid point fired
  std::optional<Clock::TimePoint> next_;
};

/// A __TimerEvent instance of `ns`'s __TimerEvent class with TimerId and NumFirings set (and
/// TIME_CREATED left for the sink to stamp). Thread-safe (Namespace is).
ClassObject makeTimerEvent(const Namespace& ns, std::string_view timerId, std::uint32_t numFirings);

}  // namespace wbem::detail
