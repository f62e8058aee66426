// Matching: dispatcher threads take ingested events in bulk, find the subscriptions whose filters
// match through each namespace's FilterIndex, apply sink and event security, and queue the event
// (or its projection, or feed the aggregator) for each consumer.

#include <algorithm>
#include <spdlog/spdlog.h>
#include <thread>

#include "service_impl.hpp"
#include "sink.hpp"

namespace wbem {
namespace {

constexpr std::size_t kDispatchBatch = 256;
constexpr auto kIdleWait = std::chrono::milliseconds(50);

// The event's SECURITY_DESCRIPTOR grants `who` the right to receive it (NULL: everyone).
bool eventGrants(const ClassObject& event, const Principal& who) {
  const auto slot = event.slotOf("SECURITY_DESCRIPTOR");
  if (!slot) return true;
  const Value& v = event.get(*slot);
  if (v.isNull()) return true;
  try {
    return SecurityDescriptor::fromValue(v).grants(who, WBEM_RIGHT_SUBSCRIBE);
  } catch (const Error&) {
    return false;  // an unreadable descriptor protects the event rather than exposing it
  }
}

}  // namespace

detail::IngestQueue& EventService::Impl::ingestFor(const detail::SinkImpl& sink) { return *ingest_[sink.dispatcher_]; }

void EventService::Impl::dispatcherLoop(unsigned index) {
  detail::IngestQueue& ingest = *ingest_[index];
  auto& queue = ingest.queue;
  detail::ConsumerToken token(queue);
  std::vector<detail::Ingest> batch(kDispatchBatch);
  std::vector<detail::Ingest> ready;
  std::vector<detail::SinkImpl*> holding;  // MUST_BATCH sinks with held events
  ready.reserve(kDispatchBatch);

  while (running_.load(std::memory_order_acquire)) {
    // Wake in time for the earliest held batch's latency bound.
    auto wait = std::chrono::duration_cast<std::chrono::microseconds>(kIdleWait);
    const auto now0 = clock_->now();
    for (detail::SinkImpl* sink : holding) {
      const std::uint32_t latency = sink->maxSendLatencyMs_.load(std::memory_order_relaxed);
      if (latency == WBEM_INFINITE) continue;
      const auto due = sink->heldSince_ + std::chrono::milliseconds(latency);
      wait = std::clamp(std::chrono::duration_cast<std::chrono::microseconds>(due - now0), std::chrono::microseconds(0),
                        wait);
    }
    std::size_t n = queue.try_dequeue_bulk(token, batch.begin(), kDispatchBatch);
    for (int i = 0; n == 0 && i < detail::kYieldsBeforeBlocking && holding.empty(); ++i) {
      std::this_thread::yield();
      n = queue.try_dequeue_bulk(token, batch.begin(), kDispatchBatch);
    }
    if (n == 0) {
      // Announce the sleep, then look once more: a producer that enqueued before reading the
      // announcement is seen here; one that read it wakes us.
      ingest.sleeping.store(true, std::memory_order_seq_cst);
      n = queue.try_dequeue_bulk(token, batch.begin(), kDispatchBatch);
      if (n == 0) {
        ingest.wake.wait(wait.count());
        n = queue.try_dequeue_bulk(token, batch.begin(), kDispatchBatch);
      }
      ingest.sleeping.store(false, std::memory_order_relaxed);
    }
    const auto now = clock_->now();

    ready.clear();
    for (std::size_t i = 0; i < n; ++i) {
      detail::SinkImpl* sink = batch[i].sink;
      if (sink->batchFlags_.load(std::memory_order_relaxed) != WBEM_FLAG_MUST_BATCH && sink->held_.empty()) {
        ready.push_back(std::move(batch[i]));
        continue;
      }
      if (sink->held_.empty()) {
        sink->heldSince_ = now;
        holding.push_back(sink);
      }
      sink->heldBytes_ += batch[i].bytes;
      sink->held_.push_back(std::move(batch[i]));
      sink->heldCount_.store(sink->held_.size(), std::memory_order_release);
    }
    // Release the held batches that reached their size or latency bound (or stopped batching).
    std::erase_if(holding, [&](detail::SinkImpl* sink) {
      const std::uint32_t maxBytes = sink->maxBufferSize_.load(std::memory_order_relaxed);
      const std::uint32_t latency = sink->maxSendLatencyMs_.load(std::memory_order_relaxed);
      const bool full = maxBytes != 0 && sink->heldBytes_ >= maxBytes;
      const bool late = latency != WBEM_INFINITE && now - sink->heldSince_ >= std::chrono::milliseconds(latency);
      const bool stopped = sink->batchFlags_.load(std::memory_order_relaxed) != WBEM_FLAG_MUST_BATCH;
      if (!full && !late && !stopped) return false;
      for (auto& item : sink->held_) ready.push_back(std::move(item));
      sink->held_.clear();
      sink->heldBytes_ = 0;
      sink->heldCount_.store(0, std::memory_order_release);
      return true;
    });
    if (!ready.empty()) dispatchBatch(index, ready.data(), ready.size(), now);
    for (std::size_t i = 0; i < n; ++i) batch[i].event.reset();
    ready.clear();
  }
}

namespace {
// The consumers a dispatcher staged events for in its current batch (one list per dispatcher).
thread_local std::vector<const std::shared_ptr<detail::ConsumerQueue>*> touched;
thread_local std::uint64_t stagedTotal = 0;
}  // namespace

void EventService::Impl::dispatchBatch(unsigned index, detail::Ingest* items, std::size_t count, Clock::TimePoint now) {
  thread_local std::vector<FilterIndex::FilterId> matched;
  bool aggregated = false;
  // A sink's counters are settled once per run of its events, not once per event: they share
  // cache lines with the provider's thread.
  detail::SinkImpl* runSink = nullptr;
  std::int64_t run = 0;
  auto settle = [&] {
    if (!runSink) return;
    runSink->dispatched_.fetch_add(static_cast<std::uint64_t>(run), std::memory_order_relaxed);
    runSink->pending_.fetch_sub(run, std::memory_order_release);
  };
  {
    std::shared_lock lock(tableMutex_);
    for (std::size_t i = 0; i < count; ++i) {
      detail::Ingest& item = items[i];
      const ClassObject& event = *item.event;
      matched.clear();
      item.sink->ns_.index.match(event, matched);
      for (FilterIndex::FilterId id : matched) {
        auto it = table_.find(id);
        if (it == table_.end()) continue;
        detail::Subscription& sub = *it->second;
        if (sub.consumer->cancelled_.load(std::memory_order_relaxed)) continue;
        if (sub.synchronous && item.sink->provider_) continue;  // delivered inside indicate()
        if (!mayReceive(sub, event, *item.sink, item.sinkSecurity, item.flags)) continue;
        ObjectPtr delivered = sub.projects ? share(sub.filter->project(event)) : item.event;
        if (sub.aggregator) {
          sub.aggregator->add(*delivered, now);
          aggregated = true;
          continue;
        }
        stage(index, sub.consumer, std::move(delivered), item.bytes, item.flags, now);
      }
      if (item.sink != runSink) {
        settle();
        runSink = item.sink;
        run = 0;
      }
      ++run;
    }
    flushStaged(index);
  }
  settle();
  if (aggregated) wakeScheduler();
}

bool EventService::Impl::publishGranted(const SecurityDescriptor& access, const detail::SinkImpl& sink,
                                        const SecurityDescriptor* sinkSecurity) {
  if (sink.publisher_ && !access.grants(*sink.publisher_, WBEM_RIGHT_PUBLISH)) return false;
  if (!sinkSecurity || sinkSecurity->owner().empty()) return true;
  // The owner, read through a cache so that group changes show. BA and SY stand for root; an
  // owner that names no user (a group, WD) is nobody, granted only what everyone is.
  const std::string& owner = sinkSecurity->owner();
  const bool root = iequals(owner, "BA") || iequals(owner, "SY");
  const std::optional<Principal> user = owners_.find(root ? "uid:0" : owner);
  return access.grants(user ? *user : Principal{.uid = UINT32_MAX, .gids = {}, .admin = false}, WBEM_RIGHT_PUBLISH);
}

bool EventService::Impl::mayReceive(const detail::Subscription& sub, const ClassObject& event,
                                    const detail::SinkImpl& sink, const SecurityDescriptor* sinkSecurity,
                                    std::uint8_t flags) {
  if (sub.eventAccess && !publishGranted(*sub.eventAccess, sink, sinkSecurity)) return false;
  if (sinkSecurity && !sinkSecurity->grants(sub.owner, WBEM_RIGHT_SUBSCRIBE)) return false;
  if ((flags & detail::kSubjectToSds) && !eventGrants(event, sub.owner)) return false;
  // Queue overflow reports are for administrators only (spec I.79).
  return !((flags & detail::kSystemDrop) && !sub.owner.admin &&
           (event.className() == "__EventQueueOverflowEvent" || event.inheritsFrom("__EventQueueOverflowEvent")));
}

void EventService::Impl::deliverSynchronously(detail::NamespaceState& ns, const ObjectPtr& event,
                                              const detail::SinkImpl& sink, const SecurityDescriptor* sinkSecurity,
                                              std::uint8_t flags) {
  const auto subscriptions = ns.synchronous.load();
  for (const std::shared_ptr<detail::Subscription>& sub : *subscriptions) {
    if (!sub->filter->matches(*event) || !mayReceive(*sub, *event, sink, sinkSecurity, flags)) continue;
    detail::ConsumerQueue& consumer = *sub->consumer;
    // The consumer's delivery lock keeps calls to it one at a time, and lets cancel() wait.
    std::lock_guard lock(consumer.deliverMutex_);
    if (consumer.cancelled_.load(std::memory_order_acquire)) continue;
    const ObjectPtr delivered = sub->projects ? share(sub->filter->project(*event)) : event;
    callConsumer(consumer, std::span<const ObjectPtr>(&delivered, 1));
  }
}

void EventService::Impl::publishSynchronous(detail::NamespaceState& ns,
                                            const std::shared_ptr<detail::Subscription>& sub, bool add) {
  auto next = std::make_shared<std::vector<std::shared_ptr<detail::Subscription>>>(*ns.synchronous.load());
  if (add)
    next->push_back(sub);
  else
    std::erase(*next, sub);
  ns.synchronousCount.store(static_cast<int>(next->size()), std::memory_order_release);
  ns.synchronous.store(std::move(next));
}

bool EventService::Impl::admit(detail::ConsumerQueue& consumer, const ObjectPtr& event, std::uint32_t bytes,
                               std::uint8_t flags, std::uint64_t consumerStaged, std::uint64_t userStaged,
                               std::uint64_t totalStaged) {
  const std::uint64_t queued = consumer.bytes_.load(std::memory_order_relaxed) + consumerStaged + bytes;
  if (queued <= consumer.limitBytes() &&
      consumer.account().bytes.load(std::memory_order_relaxed) + userStaged + bytes <=
          userQueueLimit_.load(std::memory_order_relaxed) &&
      queuedTotalBytes_.load(std::memory_order_relaxed) + totalStaged + bytes <=
          totalQueueLimit_.load(std::memory_order_relaxed))
    return true;
  countDropped(consumer);
  if (!(flags & detail::kSystemDrop)) raiseDropped(consumer, event, true, queued);
  return false;
}

void EventService::Impl::count(detail::ConsumerQueue& consumer, std::uint64_t bytes) noexcept {
  consumer.bytes_.fetch_add(bytes, std::memory_order_relaxed);
  consumer.account().bytes.fetch_add(bytes, std::memory_order_relaxed);
  queuedTotalBytes_.fetch_add(bytes, std::memory_order_relaxed);
}

void EventService::Impl::uncount(detail::ConsumerQueue& consumer, std::uint64_t bytes) noexcept {
  consumer.bytes_.fetch_sub(bytes, std::memory_order_relaxed);
  consumer.account().bytes.fetch_sub(bytes, std::memory_order_relaxed);
  queuedTotalBytes_.fetch_sub(bytes, std::memory_order_relaxed);
}

void EventService::Impl::stage(unsigned index, const std::shared_ptr<detail::ConsumerQueue>& consumer, ObjectPtr event,
                               std::uint32_t bytes, std::uint8_t flags, Clock::TimePoint now) {
  detail::ConsumerQueue::Staged& staged = consumer->staged_[index];
  std::uint64_t& userStaged = consumer->account().staged[index];
  if (!admit(*consumer, event, bytes, flags, staged.bytes, userStaged, stagedTotal)) return;
  if (staged.items.empty()) touched.push_back(&consumer);
  staged.items.push_back(detail::Delivery{std::move(event), bytes, flags, now});
  staged.bytes += bytes;
  userStaged += bytes;
  stagedTotal += bytes;
}

void EventService::Impl::flushStaged(unsigned index) {
  for (const std::shared_ptr<detail::ConsumerQueue>* entry : touched) {
    const std::shared_ptr<detail::ConsumerQueue>& consumer = *entry;
    detail::ConsumerQueue::Staged& staged = consumer->staged_[index];
    const std::size_t n = staged.items.size();
    // Counted before the events become visible: the worker uncounts them after delivering.
    count(*consumer, staged.bytes);
    consumer->account().staged[index] -= staged.bytes;
    if (!consumer->isPull()) pushInFlight_.fetch_add(static_cast<std::int64_t>(n), std::memory_order_relaxed);
    consumer->queue_.enqueue_bulk(std::make_move_iterator(staged.items.begin()), n);
    staged.items.clear();
    staged.bytes = 0;
    if (!consumer->isPull()) schedule(consumer);
  }
  touched.clear();
  stagedTotal = 0;
}

void EventService::Impl::deliver(const std::shared_ptr<detail::ConsumerQueue>& consumer, ObjectPtr event,
                                 std::uint32_t bytes, std::uint8_t flags, Clock::TimePoint now) {
  if (!admit(*consumer, event, bytes, flags, 0, 0, 0)) return;
  count(*consumer, bytes);
  if (!consumer->isPull()) pushInFlight_.fetch_add(1, std::memory_order_relaxed);
  consumer->queue_.enqueue(detail::Delivery{std::move(event), bytes, flags, now});
  if (!consumer->isPull()) schedule(consumer);
}

}  // namespace wbem
