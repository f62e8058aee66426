// Benchmark of the event service end to end: a provider raises events through its EventSink, the
// dispatcher matches them through the filter index and a consumer's ObjectSink counts them; events/s
// with 1 filter and with 10 000 filters (one matches, 9 999 never do), with 1 and 2 producer
// threads, and latency p50/p99 at a paced 20 000 events/s. Printed beside a baseline measured in
// the same run: a moodycamel ConcurrentQueue between two threads carrying one make_shared event of
// the same size per message (what moving an event between threads costs without matching, copying
// or delivery bookkeeping). Each figure is printed with its ratio and target. The arbitrator's
// quotas and queue limits are raised (see Bench()); with the default 10 MB consumer queue a
// full-speed provider loses events, which the "dropped" column would show.
// Run in a Release build: bench_events [--quick]

#include <wbem/event_service.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <concurrentqueue/concurrentqueue.h>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "keeping_provider.hpp"

using namespace wbem;

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kNs = "root\\bench";
constexpr const char* kMatchingQuery = "SELECT * FROM E WHERE S = \"hit\"";
constexpr int kFilters = 10000;
// Mirrors the service's default ingest limit (EventServiceOptions::ingestQueueLimit), so that the
// baseline producer cannot run further ahead of its consumer than a provider can.
constexpr std::int64_t kBaselineBacklog = 65536;
constexpr double kLatencyRate = 20000;             // events/s
constexpr std::uint32_t kQueueLimit = 512u << 20;  // bytes per consumer (default 10 MB)
constexpr std::uint32_t kMaxWaitMs = 60000;        // default 2000

std::int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// --- baseline ---------------------------------------------------------------------------------

// An event of the size a 6-property ClassObject occupies, as one opaque allocation.
using RawEvent = std::array<std::byte, sizeof(ClassObject) + 6 * sizeof(Value)>;

double baselineRate(std::size_t count) {
  moodycamel::ConcurrentQueue<std::shared_ptr<RawEvent>> queue;
  std::atomic<std::int64_t> consumed{0};
  Clock::time_point end;
  std::thread consumer([&] {
    moodycamel::ConsumerToken token(queue);
    std::vector<std::shared_ptr<RawEvent>> batch(256);
    std::size_t done = 0;
    while (done < count) {
      const std::size_t n = queue.try_dequeue_bulk(token, batch.begin(), batch.size());
      if (n == 0) {
        std::this_thread::yield();
        continue;
      }
      for (std::size_t i = 0; i < n; ++i) batch[i].reset();
      done += n;
      consumed.store(static_cast<std::int64_t>(done), std::memory_order_relaxed);
    }
    end = Clock::now();
  });
  moodycamel::ProducerToken token(queue);
  const auto start = Clock::now();
  for (std::size_t i = 0; i < count; ++i) {
    while (static_cast<std::int64_t>(i) - consumed.load(std::memory_order_relaxed) >= kBaselineBacklog)
      std::this_thread::yield();
    auto event = std::make_shared<RawEvent>();
    std::memset(event->data(), static_cast<int>(i & 0xff), event->size());
    std::memcpy(event->data(), &i, sizeof i);
    queue.enqueue(token, std::move(event));
  }
  consumer.join();
  return static_cast<double>(count) / std::chrono::duration<double>(end - start).count();
}

// --- the service ------------------------------------------------------------------------------

using wbembench::KeepingProvider;

// Counts what it receives and notes the time the expected count was reached, so that the end of a
// run is timed where it happens rather than when a polling thread notices. With `recordLatency`
// it also keeps receive - send (the U property) per event.
class CountingSink : public ObjectSink {
 public:
  explicit CountingSink(PropertySlot sentAt) : sentAt_(sentAt) {}

  void expect(std::uint64_t count, bool recordLatency) {
    std::lock_guard lock(mutex_);
    received_.store(0, std::memory_order_relaxed);
    expected_ = count;
    done_ = false;
    recordLatency_ = recordLatency;
    latencies_.clear();
    if (recordLatency) latencies_.reserve(count);
  }

  Status indicate(std::span<const ObjectPtr> objects) override {
    if (recordLatency_) {
      // Only at the paced rate: a lock per call is no cost there and orders the vector's writes.
      std::lock_guard lock(mutex_);
      const std::int64_t now = nowNs();
      for (const ObjectPtr& o : objects)
        latencies_.push_back(now - static_cast<std::int64_t>(o->get(sentAt_).asUInt64()));
    }
    const std::uint64_t total = received_.fetch_add(objects.size(), std::memory_order_relaxed) + objects.size();
    if (total == expected_) {
      const auto now = Clock::now();
      std::lock_guard lock(mutex_);
      doneAt_ = now;
      done_ = true;
      doneCv_.notify_all();
    }
    return WBEM_S_NO_ERROR;
  }

  std::uint64_t received() const { return received_.load(std::memory_order_relaxed); }

  // Waits until the expected count arrived (its time) or `stalled()` says it never will (nullopt).
  template <class Stalled>
  std::optional<Clock::time_point> wait(Stalled stalled) {
    std::unique_lock lock(mutex_);
    while (!done_) {
      doneCv_.wait_for(lock, std::chrono::milliseconds(100));
      if (!done_ && stalled()) return std::nullopt;
    }
    return doneAt_;
  }

  std::vector<std::int64_t> latencies() {
    std::lock_guard lock(mutex_);
    return latencies_;
  }

 private:
  const PropertySlot sentAt_;
  std::atomic<std::uint64_t> received_{0};
  std::uint64_t expected_ = 0;  // written before the run's first indicate, under mutex_
  bool recordLatency_ = false;  // likewise
  std::mutex mutex_;
  std::condition_variable doneCv_;
  bool done_ = false;
  Clock::time_point doneAt_;
  std::vector<std::int64_t> latencies_;
};

struct Slots {
  PropertySlot s, n, b, u, r, t;
};

struct RunResult {
  double rate = 0;  // events/s; 0 when events were lost
  std::uint64_t busyRetries = 0;
  std::uint64_t dropped = 0;
  double p50us = 0, p99us = 0, achievedRate = 0;  // latency runs only
};

class Bench {
 public:
  Bench() {
    // 10 000 temporary subscriptions of one user exceed the default quota (1000 per user). The
    // queue limits are raised too: at full speed the dispatcher outruns the delivery thread on 2
    // shared cores, and a 10 MB consumer queue then drops events, after which the run's figure
    // would measure losing events rather than delivering them. The time measured still ends when
    // the consumer has received the last event, so the backlog is paid for.
    Namespace& root = service_.getNamespace("root");
    ClassObject config = root.getClass("__ArbitratorConfiguration")->spawnInstance();
    config.put("TemporarySubscriptionsPerUser", Value(std::uint32_t{2 * kFilters}));
    config.put("TemporarySubscriptionsTotal", Value(std::uint32_t{2 * kFilters}));
    config.put("MaximumQueueSizePerConsumer", Value(kQueueLimit));
    config.put("MaximumQueueSizePerUser", Value(2 * kQueueLimit));
    config.put("MaximumQueueSizeTotal", Value(2 * kQueueLimit));
    config.put("MaxWaitOnEvents", Value(kMaxWaitMs));
    root.putInstance(config);

    Namespace& ns = service_.createNamespace(kNs);
    ClassObject e = ns.getClass("__ExtrinsicEvent")->spawnDerivedClass("E");
    e.putProperty("S", scalarType(CimType::String));
    e.putProperty("N", scalarType(CimType::SInt32));
    e.putProperty("B", scalarType(CimType::Boolean));
    e.putProperty("U", scalarType(CimType::UInt64));
    e.putProperty("R", scalarType(CimType::Real64));
    e.putProperty("T", scalarType(CimType::String));
    eventClass_ = ns.putClass(e);
    slots_ = Slots{*eventClass_->slotOf("S"), *eventClass_->slotOf("N"), *eventClass_->slotOf("B"),
                   *eventClass_->slotOf("U"), *eventClass_->slotOf("R"), *eventClass_->slotOf("T")};
    // Two providers of the same class, so that each producer thread has its own sink (and ingest
    // limit), as two real providers would.
    for (int i = 0; i < 2; ++i) {
      providers_.push_back(std::make_shared<KeepingProvider>());
      service_.registerEventProvider(kNs, "P" + std::to_string(i + 1), {"SELECT * FROM E"}, providers_.back());
    }
    consumer_ = std::make_shared<CountingSink>(slots_.u);
    cold_ = std::make_shared<CountingSink>(slots_.u);
    service_.subscribe(kNs, "WQL", kMatchingQuery, consumer_);
    for (auto& p : providers_) {
      sinks_.push_back(p->sink());
      if (!sinks_.back()) {
        std::printf("!! provider was not activated by the subscription\n");
        std::exit(1);
      }
    }
  }

  // Adds the filters that never match: equality on a value S never has, and ranges past every N.
  double addColdFilters(int count) {
    const auto start = Clock::now();
    for (int k = 0; k < count; ++k) {
      const std::string query = k % 2 == 0 ? "SELECT * FROM E WHERE S = \"other" + std::to_string(k) + "\""
                                           : "SELECT * FROM E WHERE N > " + std::to_string(1000000 + k);
      service_.subscribe(kNs, "WQL", query, cold_);
    }
    return count / std::chrono::duration<double>(Clock::now() - start).count();
  }

  // `perProducer` events from each of `producers` threads, as fast as the sinks take them, or
  // paced at `pacedRate` events/s in total (then latency is recorded).
  RunResult run(int producers, std::size_t perProducer, double pacedRate = 0) {
    const std::uint64_t total = perProducer * static_cast<std::uint64_t>(producers);
    const bool paced = pacedRate > 0;
    consumer_->expect(total, paced);
    const std::uint64_t droppedBefore = service_.statistics().dropped;
    std::atomic<std::uint64_t> retries{0};
    std::atomic<bool> go{false};
    std::atomic<int> failed{0};
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
      threads.emplace_back([&, p] {
        EventSink& sink = *sinks_[static_cast<std::size_t>(p)];
        ClassObject event = eventClass_->spawnInstance();
        std::uint64_t busy = 0;
        const auto interval =
            std::chrono::nanoseconds(paced ? static_cast<std::int64_t>(1e9 * producers / pacedRate) : 0);
        go.wait(false);
        auto next = Clock::now();
        for (std::size_t i = 0; i < perProducer; ++i) {
          if (paced) {
            next += interval;
            std::this_thread::sleep_until(next);
          }
          // N changes each event and stays below every range filter's bound.
          event.putExact(slots_.s, Value("hit"));
          event.putExact(slots_.n, Value(static_cast<std::int32_t>(i % 1000000)));
          event.putExact(slots_.b, Value(i % 2 == 0));
          event.putExact(slots_.u, Value(static_cast<std::uint64_t>(nowNs())));
          event.putExact(slots_.r, Value(static_cast<double>(i) * 0.5));
          event.putExact(slots_.t, Value("host-01"));
          Status status;
          while ((status = sink.indicate(event)) == WBEM_E_SERVER_TOO_BUSY) {
            ++busy;
            std::this_thread::yield();
          }
          if (status != WBEM_S_NO_ERROR) {
            failed.fetch_add(1);
            break;
          }
        }
        retries.fetch_add(busy, std::memory_order_relaxed);
      });
    }
    const auto start = Clock::now();
    go.store(true);
    go.notify_all();
    // Lost events never arrive: stop waiting once every event is either received or dropped.
    const auto doneAt = consumer_->wait([&] {
      return failed.load() != 0 || consumer_->received() + (service_.statistics().dropped - droppedBefore) >= total;
    });
    for (auto& t : threads) t.join();
    // Nothing of this run may still be in flight when the next one starts counting.
    if (!service_.waitIdle()) std::printf("!! the service did not become idle within 10 s\n");

    RunResult result;
    result.busyRetries = retries.load();
    result.dropped = service_.statistics().dropped - droppedBefore;
    if (failed.load() != 0) std::printf("!! indicate failed\n");
    if (cold_->received() != 0)
      std::printf("!! non-matching filters received %llu events\n", static_cast<unsigned long long>(cold_->received()));
    // With losses the figure is what arrived per second until the last event was accounted for.
    const auto end = doneAt ? *doneAt : Clock::now();
    result.rate = static_cast<double>(consumer_->received()) / std::chrono::duration<double>(end - start).count();
    if (paced && doneAt) {
      std::vector<std::int64_t> lat = consumer_->latencies();
      std::sort(lat.begin(), lat.end());
      if (!lat.empty()) {
        result.p50us = static_cast<double>(lat[lat.size() / 2]) / 1000;
        result.p99us = static_cast<double>(lat[std::min(lat.size() - 1, lat.size() * 99 / 100)]) / 1000;
      }
      result.achievedRate = result.rate;
    }
    return result;
  }

 private:
  EventService service_;  // default options: SystemClock, 1 dispatcher, 2 delivery threads
  ObjectPtr eventClass_;
  Slots slots_{};
  std::vector<std::shared_ptr<KeepingProvider>> providers_;
  std::vector<std::shared_ptr<EventSink>> sinks_;
  std::shared_ptr<CountingSink> consumer_;
  std::shared_ptr<CountingSink> cold_;  // every non-matching filter's consumer: must stay at 0
};

// The median run of `repeats` by rate (the machine is shared, so single runs are noisy); busy
// retries and drops are summed over all of them, as any loss matters.
template <class Run>
RunResult median(int repeats, Run run) {
  std::vector<RunResult> runs;
  for (int i = 0; i < repeats; ++i) runs.push_back(run());
  std::sort(runs.begin(), runs.end(), [](const RunResult& a, const RunResult& b) { return a.rate < b.rate; });
  RunResult result = runs[runs.size() / 2];
  result.busyRetries = result.dropped = 0;
  for (const RunResult& r : runs) {
    result.busyRetries += r.busyRetries;
    result.dropped += r.dropped;
  }
  return result;
}

const char* verdict(bool met) { return met ? "met" : "NOT MET"; }

void printRow(const char* name, const RunResult& r, double baseline) {
  std::printf("  %-30s %12.0f %9.2fx %14llu %9llu\n", name, r.rate, r.rate / baseline,
              static_cast<unsigned long long>(r.busyRetries), static_cast<unsigned long long>(r.dropped));
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::size_t events = quick ? 200000 : 1000000;       // per throughput run, over all producers
  const std::size_t latencyEvents = quick ? 10000 : 100000;  // per latency run (0.5 s / 5 s)
  const std::size_t warmup = 20000;
  const int repeats = quick ? 1 : 3;

  std::printf("Event service benchmark (%s): provider -> match -> consumer\n", quick ? "quick" : "full");
  std::printf(
      "E : __ExtrinsicEvent {string S, sint32 N, boolean B, uint64 U, real64 R, string T}; one reusable\n"
      "ClassObject per producer, one sink per producer (providers P1, P2); consumer counts; default options.\n\n");

  const double baseline = median(repeats, [&] { return RunResult{.rate = baselineRate(events)}; }).rate;
  std::printf("Baseline: moodycamel ConcurrentQueue, make_shared<%zu bytes> per event, 2 threads: %.0f events/s\n",
              sizeof(RawEvent), baseline);
  std::printf("Arbitrator limits raised for the runs: 20 000 subscriptions, %u MB per consumer queue, %u ms wait\n\n",
              kQueueLimit >> 20, kMaxWaitMs);

  Bench bench;
  bench.run(1, warmup);  // pools, per-class plans, the sinks' producer tokens
  const RunResult one1 = median(repeats, [&] { return bench.run(1, events); });
  const RunResult one2 = median(repeats, [&] { return bench.run(2, events / 2); });
  const RunResult latency1 = bench.run(1, latencyEvents, kLatencyRate);
  const double subscriptionsPerSecond = bench.addColdFilters(kFilters - 1);
  bench.run(1, warmup);  // the new filters' per-class plans
  const RunResult many1 = median(repeats, [&] { return bench.run(1, events); });
  const RunResult many2 = median(repeats, [&] { return bench.run(2, events / 2); });
  const RunResult latencyMany = bench.run(1, latencyEvents, kLatencyRate);

  std::printf(
      "%zu events per throughput run, median of %d runs (busy = indicate() retries after WBEM_E_SERVER_TOO_BUSY,\n"
      "and drops, summed over the runs):\n",
      events, repeats);
  std::printf("  %-30s %12s %10s %14s %9s\n", "configuration", "events/s", "ratio", "busy retries", "dropped");
  std::printf("  %-30s %12.0f %9.2fx %14s %9s\n", "baseline", baseline, 1.0, "-", "-");
  printRow("1 filter, 1 producer", one1, baseline);
  printRow("1 filter, 2 producers", one2, baseline);
  printRow("10 000 filters, 1 producer", many1, baseline);
  printRow("10 000 filters, 2 producers", many2, baseline);
  std::printf("Subscribing the %d non-matching filters: %.0f subscriptions/s\n", kFilters - 1, subscriptionsPerSecond);

  std::printf("\nLatency at %.0f events/s paced by sleep_until (1 producer, %zu events; U carries the send time):\n",
              kLatencyRate, latencyEvents);
  std::printf("  %-30s %12s %10s %10s %9s\n", "configuration", "events/s", "p50 us", "p99 us", "dropped");
  for (const auto& [name, r] : {std::pair{"1 filter", latency1}, std::pair{"10 000 filters", latencyMany}})
    std::printf("  %-30s %12.0f %10.1f %10.1f %9llu\n", name, r.achievedRate, r.p50us, r.p99us,
                static_cast<unsigned long long>(r.dropped));

  std::printf("\nTargets (1 producer; 2-producer ratios are information):\n");
  std::printf("  1 filter vs baseline: %.2fx (target >= 1.0x): %s\n", one1.rate / baseline,
              verdict(one1.rate >= baseline));
  std::printf("  10 000 filters vs baseline: %.2fx (target >= 0.5x): %s\n", many1.rate / baseline,
              verdict(many1.rate >= 0.5 * baseline));
  std::printf("  2 producers: 1 filter %.2fx, 10 000 filters %.2fx (no target)\n", one2.rate / baseline,
              many2.rate / baseline);
  return 0;
}
