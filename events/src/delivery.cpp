// Delivery: each push consumer is drained by one worker at a time (a consumer is put on the run
// queue when its queue turns non-empty), so a slow consumer holds one worker and its own queue,
// never the dispatcher or other consumers. Workers are added while all are stuck.

#include <algorithm>
#include <chrono>
#include <spdlog/spdlog.h>
#include <thread>

#include "service_impl.hpp"

namespace wbem {
namespace {

constexpr std::size_t kDeliveryBatch = 256;
constexpr int kRoundsPerTurn = 16;
constexpr auto kWorkerIdleWait = std::chrono::milliseconds(100);

std::int64_t ticksOf(Clock::TimePoint t) { return t.time_since_epoch().count(); }

// Merges the __TimerEvents of one timer that queued up while the consumer lagged into one event
// with the summed NumFirings (or, with SkipIfPassed, one firing), spec J.84.
void mergeTimerEvents(std::vector<ObjectPtr>& events, const std::vector<std::uint8_t>& flags) {
  std::vector<ObjectPtr> out;
  out.reserve(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (!(flags[i] & detail::kTimerEvent)) {
      out.push_back(std::move(events[i]));
      continue;
    }
    const std::string timerId = events[i]->get("TimerId").isNull() ? "" : events[i]->get("TimerId").asString();
    auto previous = std::find_if(out.rbegin(), out.rend(), [&](const ObjectPtr& e) {
      return e->className() == events[i]->className() && !e->get("TimerId").isNull() &&
             e->get("TimerId").asString() == timerId;
    });
    if (previous == out.rend()) {
      out.push_back(std::move(events[i]));
      continue;
    }
    ClassObject merged = **previous;
    const std::uint64_t firings = (*previous)->get("NumFirings").asUInt64() + events[i]->get("NumFirings").asUInt64();
    merged.put("NumFirings",
               Value(static_cast<std::uint32_t>(
                   (flags[i] & detail::kTimerSkipPassed) ? 1 : std::min<std::uint64_t>(firings, UINT32_MAX))));
    *previous = share(std::move(merged));
  }
  events = std::move(out);
}

}  // namespace

void EventService::Impl::schedule(const std::shared_ptr<detail::ConsumerQueue>& consumer) {
  if (!consumer->scheduled_.exchange(true, std::memory_order_acq_rel)) runQueue_.enqueue(consumer);
}

void EventService::Impl::workerLoop(std::atomic<std::int64_t>* busySince) {
  std::atomic<std::int64_t>& busy = *busySince;
  while (running_.load(std::memory_order_acquire)) {
    std::shared_ptr<detail::ConsumerQueue> consumer;
    bool got = runQueue_.try_dequeue(consumer);
    for (int i = 0; !got && i < detail::kYieldsBeforeBlocking; ++i) {
      std::this_thread::yield();
      got = runQueue_.try_dequeue(consumer);
    }
    if (!got &&
        !runQueue_.wait_dequeue_timed(consumer, std::chrono::duration_cast<std::chrono::microseconds>(kWorkerIdleWait)))
      continue;
    busy.store(ticksOf(std::chrono::steady_clock::now()), std::memory_order_relaxed);
    // A few batches per turn: fewer hand-backs and wake-ups while a consumer is busy, and still a
    // turn for the others on the run queue.
    for (int round = 0; round < kRoundsPerTurn && drainConsumer(consumer); ++round) {
    }
    busy.store(0, std::memory_order_relaxed);
    // Hand the consumer back: if events arrived after the drain, someone must take it again.
    consumer->scheduled_.store(false, std::memory_order_release);
    if (consumer->queue_.size_approx() > 0) schedule(consumer);
  }
}

bool EventService::Impl::drainConsumer(const std::shared_ptr<detail::ConsumerQueue>& consumer) {
  thread_local std::vector<detail::Delivery> batch(kDeliveryBatch);
  thread_local std::vector<ObjectPtr> events;
  thread_local std::vector<std::uint8_t> flags;

  std::lock_guard lock(consumer->deliverMutex_);
  const std::size_t n = consumer->queue_.try_dequeue_bulk(batch.begin(), kDeliveryBatch);
  if (n == 0) return false;
  std::uint64_t bytes = 0;
  for (std::size_t i = 0; i < n; ++i) bytes += batch[i].bytes;
  uncount(*consumer, bytes);

  const bool cancelled = consumer->cancelled_.load(std::memory_order_acquire);
  const auto now = clock_->now();
  const auto maxWait = maxWaitOnEvents_.load(std::memory_order_relaxed);
  events.clear();
  flags.clear();
  for (std::size_t i = 0; i < n; ++i) {
    detail::Delivery& d = batch[i];
    if (cancelled) {
      d.event.reset();
      continue;
    }
    if (now - d.queuedAt > maxWait) {  // waited longer than MaxWaitOnEvents: discarded
      countDropped(*consumer);
      if (!(d.flags & detail::kSystemDrop)) raiseDropped(*consumer, d.event, false, 0);
      d.event.reset();
      continue;
    }
    events.push_back(std::move(d.event));
    flags.push_back(d.flags);
  }
  if (!events.empty() &&
      std::find_if(flags.begin(), flags.end(), [](auto f) { return f & detail::kTimerEvent; }) != flags.end())
    mergeTimerEvents(events, flags);

  auto call = [&](std::size_t first, std::size_t last) {
    callConsumer(*consumer, std::span<const ObjectPtr>(events.data() + first, last - first));
  };
  // Events of a MUST_NOT_BATCH sink go alone; the rest together.
  std::size_t start = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (!(flags.size() == events.size() && (flags[i] & detail::kDeliverAlone))) continue;
    if (start < i) call(start, i);
    call(i, i + 1);
    start = i + 1;
  }
  if (start < events.size()) call(start, events.size());
  events.clear();
  pushInFlight_.fetch_sub(static_cast<std::int64_t>(n), std::memory_order_release);
  return n == kDeliveryBatch;
}

void EventService::Impl::growWorkersIfStuck(Clock::TimePoint) {
  const auto stuckBefore = ticksOf(std::chrono::steady_clock::now() - options_.stuckConsumerTime);
  std::lock_guard lock(workersMutex_);
  for (const auto& busy : busySince_) {
    const std::int64_t since = busy->load(std::memory_order_relaxed);
    if (since == 0 || since > stuckBefore) return;  // a worker is free or only briefly busy
  }
  if (workers_.size() >= options_.maxDeliveryThreads || runQueue_.size_approx() == 0) return;
  spdlog::warn("every delivery thread is stuck in a consumer; starting delivery thread {}", workers_.size() + 1);
  busySince_.push_back(std::make_unique<std::atomic<std::int64_t>>(0));
  workers_.emplace_back([this, busy = busySince_.back().get()] { workerLoop(busy); });
}

void EventService::Impl::countDropped(detail::ConsumerQueue& consumer) {
  dropped_.fetch_add(1, std::memory_order_relaxed);
  consumer.dropped_.fetch_add(1, std::memory_order_relaxed);
}

void EventService::Impl::discard(detail::ConsumerQueue& consumer) {
  detail::Delivery d;
  while (consumer.queue_.try_dequeue(d)) {
    uncount(consumer, d.bytes);
    if (!consumer.isPull()) pushInFlight_.fetch_sub(1, std::memory_order_release);
  }
}

void EventService::Impl::callConsumer(detail::ConsumerQueue& consumer, std::span<const ObjectPtr> events) {
  Status status = WBEM_S_NO_ERROR;
  std::string description;
  try {
    status = consumer.sink()->indicate(events);
  } catch (const Error& e) {
    status = e.status();
    description = e.message();
  } catch (const std::exception& e) {
    status = WBEM_E_FAILED;
    description = e.what();
  } catch (...) {
    status = WBEM_E_FAILED;  // a consumer may throw anything; the delivery thread must live
    description = "the consumer threw a non-standard exception";
  }
  if (!isError(status)) {
    delivered_.fetch_add(events.size(), std::memory_order_relaxed);
    consumer.delivered_.fetch_add(events.size(), std::memory_order_relaxed);
    return;
  }
  failures_.fetch_add(events.size(), std::memory_order_relaxed);
  consumer.failures_.fetch_add(events.size(), std::memory_order_relaxed);
  if (description.empty()) description = statusText(status);
  for (const ObjectPtr& e : events) raiseFailure(consumer, e, status, description);
}

}  // namespace wbem
