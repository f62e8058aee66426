// Benchmark of FilterIndex: events matched per second with 1, 100, 10 000 and 100 000 filters
// (for the mix, filters past the first 100 never match, as the flatness target is about
// the cost of non-matching filters),
// beside one-by-one QueryFilter::matches over the same filters and, for the simple shape
// `Severity > k AND Source = 'sK'`, beside a hand-written hash-plus-sorted-threshold matcher;
// memory per filter from mallinfo2 deltas. Each figure is printed with its ratio and target.
// Run in a Release build: bench_filters [--quick]

#include <wbem/filter_index.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <malloc.h>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

using namespace wbem;

namespace {

using Clock = std::chrono::steady_clock;
using Filters = std::vector<std::shared_ptr<const QueryFilter>>;

constexpr int kEventClasses = 1000;
constexpr int kTargetClasses = 1000;
constexpr int kSources = 1000;
constexpr int kRaisedTargets = 500;
constexpr int kHotFilters = 100;     // filters that can match; the rest of each set is cold  // events carry Res0..Res499 only; Res500.. are for cold filters

// App0..App999 : __ExtrinsicEvent {Source, Severity, Message}; Res0..Res999 : Res {Name, V}.
struct World {
  Namespace ns{"root\\bench"};
  std::mt19937_64 rng{42};

  World() {
    for (int i = 0; i < kEventClasses; ++i) {
      ClassObject c = ns.getClass("__ExtrinsicEvent")->spawnDerivedClass("App" + std::to_string(i));
      c.putProperty("Source", scalarType(CimType::String));
      c.putProperty("Severity", scalarType(CimType::UInt32));
      c.putProperty("Message", scalarType(CimType::String));
      ns.putClass(c);
    }
    ClassObject res = ClassObject::createClass("Res");
    res.putProperty("Name", scalarType(CimType::String));
    res.putPropertyQualifier("Name", "key", Value(true));
    res.putProperty("V", scalarType(CimType::SInt32));
    ns.putClass(res);
    for (int i = 0; i < kTargetClasses; ++i)
      ns.putClass(ns.getClass("Res")->spawnDerivedClass("Res" + std::to_string(i)));
  }

  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); }

  // The realistic mix, by i % 10: class only; equality (2); the simple shape (2); range; LIKE;
  // ISA; ISA with equality; ISA with a range. A `cold` filter has the same shape and classes but
  // a condition no generated event meets (a source, prefix, value or target class events never
  // carry), so that adding cold filters grows the index without growing the matches.
  std::string mixQuery(int i, bool cold) {
    const std::string app = "App" + std::to_string(pick(kEventClasses));
    const std::string src = (cold ? "'c" : "'s") + std::to_string(pick(kSources)) + "'";
    const int target = cold ? kRaisedTargets + pick(kTargetClasses - kRaisedTargets) : pick(kRaisedTargets);
    const std::string res = "'Res" + std::to_string(target) + "'";
    switch (i % 10) {
      case 0:
        return "SELECT * FROM " + app + (cold ? " WHERE Source = " + src : std::string());
      case 1:
      case 2:
        return "SELECT * FROM " + app + " WHERE Source = " + src;
      case 3:
      case 4:
        return "SELECT * FROM " + app + " WHERE Severity > " + std::to_string(pick(100)) + " AND Source = " + src;
      case 5:
        return "SELECT * FROM " + app + " WHERE Severity >= " + std::to_string(pick(100) + (cold ? 100 : 0));
      case 6:
        return "SELECT * FROM " + app + " WHERE Message LIKE '" + (cold ? "z" : "m") + std::to_string(pick(100)) + "%'";
      case 7:
        return "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA " + res;
      case 8:
        return "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA " + res +
               " AND TargetInstance.Name = '" + (cold ? "c" : "n") + std::to_string(pick(100)) + "'";
      default:
        return "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA " + res + " AND TargetInstance.V < " +
               std::to_string(cold ? -pick(100) : pick(100));
    }
  }
  std::string simpleQuery() {
    return "SELECT * FROM App0 WHERE Severity > " + std::to_string(pick(100)) + " AND Source = 's" +
           std::to_string(pick(kSources)) + "'";
  }

  ClassObject extrinsic(int cls) {
    ClassObject e = ns.getClass("App" + std::to_string(cls))->spawnInstance();
    e.put("Source", Value("s" + std::to_string(pick(kSources))));
    e.put("Severity", Value(static_cast<std::uint32_t>(pick(100))));
    e.put("Message", Value("m" + std::to_string(pick(100)) + " disk full"));
    return e;
  }
  ClassObject mixEvent() {
    if (pick(5) != 0) return extrinsic(pick(kEventClasses));
    ClassObject t = ns.getClass("Res" + std::to_string(pick(kRaisedTargets)))->spawnInstance();
    t.put("Name", Value("n" + std::to_string(pick(100))));
    t.put("V", Value(static_cast<std::int32_t>(pick(100))));
    ClassObject e = ns.getClass("__InstanceCreationEvent")->spawnInstance();
    e.put("TargetInstance", Value(share(std::move(t))));
    return e;
  }
};

// The hand-written matcher for `Severity > k AND Source = 's'`: a hash on the source, thresholds
// sorted ascending; slots resolved once.
class HandMatcher {
 public:
  HandMatcher(const ClassObject& cls) : source_(*cls.slotOf("Source")), severity_(*cls.slotOf("Severity")) {}
  void add(std::uint64_t id, const std::string& source, std::uint32_t k) {
    auto& v = bySource_[source];
    const std::pair<std::uint64_t, std::uint64_t> entry{k, id};
    v.insert(std::upper_bound(v.begin(), v.end(), entry), entry);
  }
  void match(const ClassObject& event, std::vector<std::uint64_t>& out) const {
    const Value& s = event.get(source_);
    const Value& sev = event.get(severity_);
    if (s.isNull() || sev.isNull()) return;
    const auto it = bySource_.find(s.asString());
    if (it == bySource_.end()) return;
    const std::uint64_t x = sev.asUInt64();
    for (const auto& [k, id] : it->second) {
      if (k >= x) break;
      out.push_back(id);
    }
  }

 private:
  PropertySlot source_, severity_;
  std::unordered_map<std::string, std::vector<std::pair<std::uint64_t, std::uint64_t>>> bySource_;
};

std::size_t heapInUse() { return mallinfo2().uordblks; }

// Events per second of `fn` over `events`, repeated until at least `seconds` have passed.
template <class Fn>
double rate(const std::vector<ClassObject>& events, std::size_t limit, double seconds, Fn fn) {
  const std::size_t n = std::min(limit, events.size());
  std::size_t done = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  do {
    for (std::size_t i = 0; i < n; ++i) fn(events[i]);
    done += n;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  return static_cast<double>(done) / elapsed;
}

// One-by-one evaluation: each filter's FROM class is checked first, then QueryFilter::matches
// (which would otherwise compile and cache a condition for every event class it is shown).
std::size_t oneByOneMatch(const Filters& filters, const ClassObject& event) {
  std::size_t n = 0;
  const ClassDef& def = event.definition();
  for (const auto& f : filters) n += def.inheritsFrom(f->query().className) && f->matches(event);
  return n;
}

const char* verdict(bool met) { return met ? "met" : "NOT MET"; }

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const double seconds = quick ? 0.05 : 0.5;
  World world;
  std::vector<ClassObject> mixEvents, simpleEvents;
  for (int i = 0; i < 4096; ++i) mixEvents.push_back(world.mixEvent());
  for (int i = 0; i < 4096; ++i) simpleEvents.push_back(world.extrinsic(0));
  std::vector<std::uint64_t> out;
  out.reserve(1 << 16);
  std::size_t sink = 0;

  std::printf("FilterIndex benchmark (%s)\n\n", quick ? "quick" : "full");
  std::printf(
      "Realistic mix (class only 10%%, equality 20%%, Severity>k AND Source=s 20%%, range 10%%, LIKE 10%%,\n"
      "ISA 10%%, ISA+equality 10%%, ISA+range 10%%; 1000 event classes, 1000 target classes; the first 100\n"
      "filters can match, the others are cold: same shapes and classes, conditions no event meets):\n");
  std::printf("%8s %14s %14s %10s %12s %12s %14s\n", "filters", "index ev/s", "1-by-1 ev/s", "ratio", "matches/ev",
              "B/filter", "est. B/filter");
  double costAt100 = 0, costAt100k = 0, ratioAt10k = 0, bytesWorst = 0;
  for (const int n : {1, 100, 10000, 100000}) {
    Filters filters;
    for (int i = 0; i < n; ++i)
      filters.push_back(QueryFilter::compile(world.mixQuery(i, i >= kHotFilters), world.ns, QueryKind::Notification));
    const std::size_t before = heapInUse();
    auto index = std::make_unique<FilterIndex>();
    for (int i = 0; i < n; ++i) index->add(static_cast<std::uint64_t>(i), filters[i]);
    const double bytes = static_cast<double>(heapInUse() - before) / n;
    const double estimate = static_cast<double>(index->memoryUsage()) / n;
    std::size_t matches = 0;
    for (const auto& e : mixEvents) {  // warm-up: per-class plans and compiled conditions
      out.clear();
      index->match(e, out);
      matches += out.size();
    }
    const double indexed = rate(mixEvents, mixEvents.size(), seconds, [&](const ClassObject& e) {
      out.clear();
      index->match(e, out);
      sink += out.size();
    });
    // One by one over 100 000 filters is slow: sampled on 64 events.
    const std::size_t sample = n >= 100000 ? 64 : mixEvents.size();
    const double oneByOne =
        rate(mixEvents, sample, seconds, [&](const ClassObject& e) { sink += oneByOneMatch(filters, e); });
    std::printf("%8d %14.0f %14.0f %9.0fx %12.2f %12.0f %14.0f%s\n", n, indexed, oneByOne, indexed / oneByOne,
                static_cast<double>(matches) / mixEvents.size(), bytes, estimate,
                sample < mixEvents.size() ? "  (1-by-1 sampled on 64 events)" : "");
    if (n == 100) costAt100 = 1 / indexed;
    if (n == 100000) costAt100k = 1 / indexed;
    if (n == 10000) ratioAt10k = indexed / oneByOne;
    if (n >= 10000) bytesWorst = std::max(bytesWorst, bytes);
  }

  std::printf("\nSimple shape only (SELECT * FROM App0 WHERE Severity > k AND Source = 'sK', 1000 sources):\n");
  std::printf("%8s %14s %14s %14s %12s %12s %12s\n", "filters", "index ev/s", "hand ev/s", "1-by-1 ev/s", "idx/hand",
              "idx/1-by-1", "matches/ev");
  double handRatioAt10k = 0, simpleRatioAt10k = 0;
  for (const int n : {1, 100, 10000, 100000}) {
    Filters filters;
    FilterIndex index;
    HandMatcher hand(*world.ns.getClass("App0"));
    for (int i = 0; i < n; ++i) {
      const std::uint32_t k = static_cast<std::uint32_t>(world.pick(100));
      const std::string source = "s" + std::to_string(world.pick(kSources));
      filters.push_back(QueryFilter::compile(
          "SELECT * FROM App0 WHERE Severity > " + std::to_string(k) + " AND Source = '" + source + "'", world.ns,
          QueryKind::Notification));
      index.add(static_cast<std::uint64_t>(i), filters.back());
      hand.add(static_cast<std::uint64_t>(i), source, k);
    }
    std::size_t matches = 0, handMatches = 0;
    for (const auto& e : simpleEvents) {
      out.clear();
      index.match(e, out);
      matches += out.size();
      out.clear();
      hand.match(e, out);
      handMatches += out.size();
    }
    if (matches != handMatches) std::printf("  !! index found %zu matches, hand-written %zu\n", matches, handMatches);
    const double indexed = rate(simpleEvents, simpleEvents.size(), seconds, [&](const ClassObject& e) {
      out.clear();
      index.match(e, out);
      sink += out.size();
    });
    const double handRate = rate(simpleEvents, simpleEvents.size(), seconds, [&](const ClassObject& e) {
      out.clear();
      hand.match(e, out);
      sink += out.size();
    });
    const std::size_t sample = n >= 100000 ? 64 : simpleEvents.size();
    const double oneByOne =
        rate(simpleEvents, sample, seconds, [&](const ClassObject& e) { sink += oneByOneMatch(filters, e); });
    std::printf("%8d %14.0f %14.0f %14.0f %11.2fx %11.0fx %12.2f%s\n", n, indexed, handRate, oneByOne,
                indexed / handRate, indexed / oneByOne, static_cast<double>(matches) / simpleEvents.size(),
                sample < simpleEvents.size() ? "  (1-by-1 sampled on 64 events)" : "");
    if (n == 10000) {
      handRatioAt10k = indexed / handRate;
      simpleRatioAt10k = indexed / oneByOne;
    }
  }

  std::printf("\nTargets:\n");
  std::printf("  10 000 filters, index vs hand-written (simple shape): %.2fx (target >= 0.5x): %s\n", handRatioAt10k,
              verdict(handRatioAt10k >= 0.5));
  std::printf("  10 000 filters, index vs one by one: mix %.0fx, simple shape %.0fx (target > 300x): %s\n", ratioAt10k,
              simpleRatioAt10k, verdict(ratioAt10k > 300 && simpleRatioAt10k > 300));
  std::printf("  per-event cost 100 000 vs 100 filters (mix): %.2fx (target <= 3x): %s\n", costAt100k / costAt100,
              verdict(costAt100k / costAt100 <= 3));
  std::printf("  index memory per filter (mallinfo2, worst of 10 000 and 100 000): %.0f B (target <= 1024 B): %s\n",
              bytesWorst, verdict(bytesWorst <= 1024));
  std::printf("(checksum %zu)\n", sink);
  return 0;
}
