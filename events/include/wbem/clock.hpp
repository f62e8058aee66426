#pragma once
// wbem::Clock — where the event service reads time: polling intervals, timers, GROUP WITHIN
// windows, queue ages and TIME_CREATED. Tests inject a ManualClock so that nothing sleeps.

#include <chrono>
#include <functional>
#include <mutex>
#include <vector>

namespace wbem {

/// A source of monotonic and wall-clock time that can wake waiters when it moves. The service's
/// scheduler waits for real time on the system clock, and for advance() on a ManualClock.
/// Safety: every member function is thread-safe.
class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using WallTime = std::chrono::system_clock::time_point;
  using duration = std::chrono::steady_clock::duration;

  virtual ~Clock() = default;
  /// Monotonic time, for intervals and deadlines. Thread-safe.
  virtual TimePoint now() const = 0;
  /// Wall-clock time, for TIME_CREATED and absolute timers. Thread-safe.
  virtual WallTime wallNow() const = 0;
  /// True when waits should be real sleeps (false for a manual clock, which wakes waiters through
  /// onAdvance callbacks instead). Thread-safe.
  virtual bool isReal() const noexcept = 0;
  /// Registers `wake`, called after each manual advance. Thread-safe.
  virtual void onAdvance(std::function<void()> wake) { (void)wake; }
};

/// The system clocks (steady_clock and system_clock). Thread-safe.
class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
  WallTime wallNow() const override { return std::chrono::system_clock::now(); }
  bool isReal() const noexcept override { return true; }
};

/// A clock that moves only when told to (tests). Starts at an arbitrary fixed point; wall time
/// starts at `wallStart`. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(WallTime wallStart = WallTime(std::chrono::seconds(1'700'000'000))) : wallStart_(wallStart) {}

  TimePoint now() const override {
    std::lock_guard lock(mutex_);
    return TimePoint(elapsed_);
  }
  WallTime wallNow() const override {
    std::lock_guard lock(mutex_);
    return wallStart_ + std::chrono::duration_cast<WallTime::duration>(elapsed_);
  }
  bool isReal() const noexcept override { return false; }
  void onAdvance(std::function<void()> wake) override {
    std::lock_guard lock(mutex_);
    wakers_.push_back(std::move(wake));
  }

  /// Moves time forward by `by` and wakes every waiter. Thread-safe.
  void advance(std::chrono::steady_clock::duration by) {
    std::vector<std::function<void()>> wakers;
    {
      std::lock_guard lock(mutex_);
      elapsed_ += by;
      wakers = wakers_;
    }
    for (auto& wake : wakers) wake();
  }

 private:
  mutable std::mutex mutex_;
  WallTime wallStart_;
  std::chrono::steady_clock::duration elapsed_{};
  std::vector<std::function<void()>> wakers_;
};

}  // namespace wbem
