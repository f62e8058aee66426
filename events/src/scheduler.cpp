// The scheduler thread: timer instructions (__TimerEvent), WITHIN polling of instance providers,
// GROUP WITHIN windows, and the watch for delivery threads stuck in consumers. It sleeps until
// the earliest deadline (real time), or until a ManualClock advances.

#include <algorithm>
#include <spdlog/spdlog.h>

#include "service_impl.hpp"
#include "sink.hpp"

namespace wbem {
namespace {

// The longest the scheduler sleeps, so that stuck delivery threads are noticed.
constexpr auto kMaxSleep = std::chrono::milliseconds(100);

void earliest(std::optional<Clock::TimePoint>& acc, Clock::TimePoint t) {
  if (!acc || t < *acc) acc = t;
}

}  // namespace

void EventService::Impl::wakeScheduler() {
  {
    std::lock_guard lock(schedulerMutex_);
    schedulerPoked_ = true;
  }
  schedulerWake_.notify_all();
}

void EventService::Impl::schedulerLoop() {
  while (running_.load(std::memory_order_acquire)) {
    const auto now = clock_->now();
    runDue(now);
    growWorkersIfStuck(now);

    // The next deadline among timers, polls and aggregation windows.
    std::optional<Clock::TimePoint> next;
    {
      std::lock_guard lock(mutex_);
      for (auto& [name, state] : namespaces_) {
        for (auto& [id, timer] : state->timers)
          if (auto due = timer.schedule.nextDue()) earliest(next, *due);
        for (auto& [cls, poll] : state->polls) earliest(next, poll.nextDue);
      }
    }
    {
      std::shared_lock lock(tableMutex_);
      for (const auto& [id, sub] : table_)
        if (sub->aggregator)
          if (auto due = sub->aggregator->nextDeadline()) earliest(next, *due);
    }

    std::unique_lock lock(schedulerMutex_);
    ++schedulerPasses_;
    schedulerPassed_.notify_all();
    if (schedulerPoked_) {
      schedulerPoked_ = false;
      continue;
    }
    auto sleep = std::chrono::duration_cast<std::chrono::steady_clock::duration>(kMaxSleep);
    if (next && clock_->isReal()) sleep = std::clamp(*next - clock_->now(), Clock::duration::zero(), sleep);
    schedulerWake_.wait_for(lock, sleep, [&] { return schedulerPoked_ || !running_.load(); });
    schedulerPoked_ = false;
  }
}

void EventService::Impl::runDue(Clock::TimePoint now) {
  struct PollJob {
    detail::NamespaceState* state;
    std::string className;
    std::shared_ptr<InstanceProvider> provider;
  };
  std::vector<PollJob> polls;
  std::vector<std::pair<detail::NamespaceState*, ClassObject>> timerEvents;
  {
    std::lock_guard lock(mutex_);
    for (auto& [name, state] : namespaces_) {
      if (state->timersDirty.exchange(false, std::memory_order_acq_rel)) reloadTimers(*state);
      for (auto& [id, timer] : state->timers) {
        const auto due = timer.schedule.nextDue();
        if (!due || *due > now) continue;
        if (const std::uint32_t firings = timer.schedule.fire(now))
          timerEvents.emplace_back(state.get(), detail::makeTimerEvent(*state->ns, timer.schedule.timerId(), firings));
      }
      for (auto& [cls, poll] : state->polls) {
        if (poll.nextDue > now) continue;
        const auto interval = std::min_element(poll.intervals.begin(), poll.intervals.end(), [](auto& a, auto& b) {
                                return a.second < b.second;
                              })->second;
        // The next poll stays on the grid of the smallest interval, however late this one is.
        while (poll.nextDue <= now) poll.nextDue += interval;
        polls.push_back({state.get(), poll.className, poll.provider});
      }
    }
  }
  for (auto& [state, event] : timerEvents) {
    const auto skip = event.get("TimerId").isNull() ? false : [&, state = state, &event = event] {
      std::lock_guard lock(mutex_);
      auto it = state->timers.find(event.get("TimerId").asString());
      return it != state->timers.end() && it->second.schedule.skipIfPassed();
    }();
    state->systemSink->raise(std::span<const ClassObject>(&event, 1),
                             static_cast<std::uint8_t>(detail::kTimerEvent | (skip ? detail::kTimerSkipPassed : 0)));
  }

  // Polls enumerate without the service lock: a provider may be slow.
  for (PollJob& job : polls) {
    std::vector<ObjectPtr> instances;
    try {
      instances = job.provider->createInstanceEnum(job.className);
    } catch (const std::exception& e) {
      spdlog::warn("polling {} in {} failed: {}", job.className, job.state->ns->name(), e.what());
      continue;
    }
    std::vector<ClassObject> events;
    {
      std::lock_guard lock(mutex_);
      auto it = job.state->polls.find(job.className);
      if (it == job.state->polls.end()) continue;  // the last filter polling it went meanwhile
      events = it->second.snapshot.update(std::move(instances), *job.state->ns);
    }
    if (!events.empty()) job.state->systemSink->raise(events, 0);
  }

  // Aggregation windows that closed, queued under the table lock: a subscription it holds is not
  // cancelled yet, so its cancel() discards what is queued here.
  std::shared_lock lock(tableMutex_);
  for (const auto& [id, sub] : table_) {
    if (!sub->aggregator) continue;
    for (ClassObject& aggregate : sub->aggregator->flush(now)) {
      ObjectPtr event = share(std::move(aggregate));
      const std::uint32_t bytes = detail::approximateSize(*event);
      deliver(sub->consumer, std::move(event), bytes, 0, now);
    }
  }
}

void EventService::Impl::reloadTimers(detail::NamespaceState& state) {
  // Called with mutex_ held.
  std::map<std::string, detail::TimerEntry, NameLess> timers;
  for (const ObjectPtr& instruction : state.ns->enumInstances("__TimerInstruction")) {
    const Value id = instruction->get("TimerId");
    if (id.isNull()) continue;
    auto old = state.timers.find(id.asString());
    if (old != state.timers.end() && old->second.instruction == instruction) {
      timers.insert_or_assign(id.asString(), std::move(old->second));
      continue;
    }
    try {
      timers.insert_or_assign(id.asString(),
                              detail::TimerEntry{instruction, detail::TimerSchedule::fromInstruction(
                                                                  *instruction, clock_->now(), clock_->wallNow())});
    } catch (const Error& e) {
      spdlog::warn("timer instruction {} in {} ignored: {}", id.asString(), state.ns->name(), e.message());
    }
  }
  state.timers = std::move(timers);
}

std::shared_ptr<InstanceProvider> EventService::Impl::instanceProviderOf(const detail::NamespaceState& state,
                                                                         const ClassObject& cls) const {
  for (const ClassDef* d = &cls.definition(); d; d = d->superclass().get()) {
    const Qualifier* name = d->qualifiers().find("Provider");
    if (!name || name->value.isNull()) continue;
    auto it = state.instanceProviders.find(name->value.asString());
    if (it != state.instanceProviders.end()) return it->second;
  }
  return nullptr;
}

void EventService::Impl::addPoll(detail::Subscription& sub, Clock::duration interval) {
  // Called with mutex_ held.
  detail::NamespaceState& state = *sub.ns;
  const std::shared_ptr<InstanceProvider> provider = instanceProviderOf(state, *state.ns->getClass(sub.polledClass));
  if (!provider)
    throw Error(WBEM_E_PROVIDER_NOT_FOUND,
                "no instance provider is bound for " + sub.polledClass + ", so it cannot be polled");
  auto [it, created] = state.polls.try_emplace(sub.polledClass);
  detail::PollState& poll = it->second;
  const auto now = clock_->now();
  if (created) {
    poll.className = sub.polledClass;
    poll.provider = provider;
    poll.nextDue = now + interval;
    // The snapshot later polls compare with is taken now, so that what exists at subscription
    // raises nothing and what appears after it does. (Under the service lock: subscriptions to
    // a new polled class wait for one enumeration.)
    try {
      poll.snapshot.update(provider->createInstanceEnum(sub.polledClass), *state.ns);
    } catch (...) {
      state.polls.erase(it);
      throw;
    }
  }
  poll.nextDue = std::min(poll.nextDue, now + interval);
  poll.intervals[sub.id] = interval;
  wakeScheduler();
}

void EventService::Impl::removePoll(detail::Subscription& sub) {
  // Called with mutex_ held.
  auto it = sub.ns->polls.find(sub.polledClass);
  if (it == sub.ns->polls.end()) return;
  it->second.intervals.erase(sub.id);
  if (it->second.intervals.empty()) sub.ns->polls.erase(it);
}

}  // namespace wbem
