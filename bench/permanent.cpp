// Benchmark of permanent subscriptions (consumers/), three figures, each beside a baseline
// measured in the same run and its ratio:
//  1. __EventFilter + consumer + __FilterToConsumerBinding triples put per second, each becoming a
//     live subscription, with a write-through repository and without; baseline: temporary
//     subscriptions of the same queries per second (EventService::subscribe to a null sink). The
//     consumer class is served in-process and only counts, so no file I/O is measured.
//  2. Opening a repository of 100 000 instances and 10 000 permanent subscriptions: Repository,
//     EventService (loads everything) and PermanentSubscriptions (activates every binding);
//     baseline: the same objects compiled from MOF text into memory in one compile, then
//     PermanentSubscriptions.
//  3. Events/s through a LogFileEventConsumer as fast as a provider can raise them; baseline: the
//     same lines formatted with formatTemplate and written by one std::ofstream on one thread.
// Run in a Release build: bench_permanent [--quick]

#include <wbem/consumer_provider.hpp>
#include <wbem/event_service.hpp>
#include <wbem/mof.hpp>
#include <wbem/objectpath.hpp>
#include <wbem/permanent_subscriptions.hpp>
#include <wbem/repository.hpp>
#include <wbem/security.hpp>
#include <wbem/standard_consumers.hpp>
#include <wbem/string_template.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "keeping_provider.hpp"

using namespace wbem;

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::string_view kTest = "root\\test";
constexpr std::string_view kSub = "root\\subscription";
constexpr std::string_view kLogText = "S=%S% N=%N%";
// Every run makes more subscriptions than the default quotas (1000 per user) allow.
constexpr std::uint32_t kQuota = 1000000;
// At full speed the provider outruns the log consumer; with the default 10 MB queue events would
// be dropped and figure 3 would measure losing them. The time still ends when the last is written.
constexpr std::uint32_t kQueueLimit = 512u << 20;
constexpr std::chrono::seconds kIdleTimeout{120};

int failedChecks = 0;

// A benchmark whose objects did not do what they should measures nothing: say so, exit non-zero.
bool check(bool ok, const std::string& what) {
  if (!ok) {
    std::printf("!! %s\n", what.c_str());
    ++failedChecks;
  }
  return ok;
}

double secondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

std::string query(int i) { return "SELECT * FROM E WHERE N = " + std::to_string(i); }

// MOF string literal contents for `text`.
std::string mofEscape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out;
}

// `#pragma namespace` naming `ns` on the local machine.
std::string pragmaNamespace(std::string_view ns) {
  return "#pragma namespace(\"" + mofEscape("\\\\.\\" + std::string(ns)) + "\")\n";
}

// The quotas and queue limits of every run, as MOF (figure 2 compiles it) and put into root.
std::string arbitratorMof() {
  const std::string quota = std::to_string(kQuota);
  return "instance of __ArbitratorConfiguration { TemporarySubscriptionsPerUser = " + quota +
         "; TemporarySubscriptionsTotal = " + quota + "; PermanentSubscriptionsPerUser = " + quota +
         "; PermanentSubscriptionsTotal = " + quota + "; MaximumQueueSizePerConsumer = " + std::to_string(kQueueLimit) +
         "; MaximumQueueSizePerUser = " + std::to_string(2 * kQueueLimit) +
         "; MaximumQueueSizeTotal = " + std::to_string(2 * kQueueLimit) + "; MaxWaitOnEvents = 60000; };\n";
}

// Compiles `mof` into the service's namespaces; the first diagnostic, empty when it compiled.
std::string compile(EventService& service, std::string_view mof) {
  MofCompiler compiler([&service](const std::string& name) { return service.findNamespace(name); });
  const MofResult result = compiler.compileText(mof, "bench.mof");
  return result.ok() ? std::string() : result.diagnostics.front().toString();
}

using wbembench::KeepingProvider;

class NullSink : public ObjectSink {
 public:
  Status indicate(std::span<const ObjectPtr>) override { return WBEM_S_NO_ERROR; }
};

// The physical consumer of every CountingConsumer: one counter shared by all bindings.
class CountingSink : public UnboundObjectSink {
 public:
  Status indicateToConsumer(const ClassObject&, std::span<const ObjectPtr> objects) override {
    count_.fetch_add(objects.size(), std::memory_order_relaxed);
    return WBEM_S_NO_ERROR;
  }
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> count_{0};
};

class CountingProvider : public EventConsumerProvider {
 public:
  std::shared_ptr<UnboundObjectSink> findConsumer(const ClassObject&) override { return sink_; }
  std::uint64_t count() const { return sink_->count(); }

 private:
  std::shared_ptr<CountingSink> sink_ = std::make_shared<CountingSink>();
};

// A service with the raised limits, root\test, E : __ExtrinsicEvent { string S; sint32 N; } and
// provider P for "SELECT * FROM E".
struct World {
  explicit World(std::shared_ptr<Repository> repository = nullptr) : service(options(std::move(repository))) {
    check(compile(service, pragmaNamespace("root") + arbitratorMof()).empty(),
          "the arbitrator configuration does not compile");
    Namespace& test = service.createNamespace(kTest);
    ClassObject e = test.getClass("__ExtrinsicEvent")->spawnDerivedClass("E");
    e.putProperty("S", scalarType(CimType::String));
    e.putProperty("N", scalarType(CimType::SInt32));
    eventClass = test.putClass(e);
    service.registerEventProvider(kTest, "P", {"SELECT * FROM E"}, provider);
  }

  static EventServiceOptions options(std::shared_ptr<Repository> repository) {
    EventServiceOptions o;
    o.repository = std::move(repository);
    return o;
  }

  // Raises E{S, N} through P, retrying while the service is busy; false when P is not active or
  // the event is refused. Counts the retries into `busy`.
  bool raise(const std::shared_ptr<EventSink>& sink, ClassObject& event, PropertySlot s, PropertySlot n,
             std::int32_t value, std::uint64_t& busy) {
    event.putExact(s, Value("disk-full"));
    event.putExact(n, Value(value));
    Status status;
    while ((status = sink->indicate(event)) == WBEM_E_SERVER_TOO_BUSY) {
      ++busy;
      std::this_thread::yield();
    }
    return status == WBEM_S_NO_ERROR;
  }

  EventService service;
  ObjectPtr eventClass;
  std::shared_ptr<KeepingProvider> provider = std::make_shared<KeepingProvider>();
};

// --- 1. subscriptions created per second --------------------------------------------------------

double temporaryRate(int count) {
  World world;
  auto sink = std::make_shared<NullSink>();
  const auto start = SteadyClock::now();
  for (int i = 0; i < count; ++i) world.service.subscribe(kTest, "WQL", query(i), sink);
  const double rate = count / secondsSince(start);
  check(world.service.statistics().subscriptions == static_cast<std::size_t>(count),
        "temporary: not every subscription is live");
  return rate;
}

// Triples put per second; `repository` empty: none.
double permanentRate(int count, const std::filesystem::path& repository) {
  World world(repository.empty() ? nullptr : std::make_shared<Repository>(repository));
  PermanentSubscriptions permanent(world.service);
  check(compile(world.service, R"(
    #pragma namespace("\\\\.\\root\\subscription")
    class CountingConsumer : __EventConsumer { [key] string Name; };
    instance of __Win32Provider as $P { Name = "Counter"; };
    instance of __EventConsumerProviderRegistration { provider = $P; ConsumerClassNames = {"CountingConsumer"}; };
  )")
            .empty(),
        "the consumer class does not compile");
  auto consumers = std::make_shared<CountingProvider>();
  permanent.addConsumerProvider(kSub, "Counter", consumers);
  Namespace& sub = world.service.getNamespace(kSub);
  const ObjectPtr filterClass = sub.getClass("__EventFilter");
  const ObjectPtr consumerClass = sub.getClass("CountingConsumer");
  const ObjectPtr bindingClass = sub.getClass("__FilterToConsumerBinding");

  const auto start = SteadyClock::now();
  for (int i = 0; i < count; ++i) {
    ClassObject filter = filterClass->spawnInstance();
    filter.put("Name", Value("F" + std::to_string(i)));
    filter.put("QueryLanguage", Value("WQL"));
    filter.put("Query", Value(query(i)));
    filter.put("EventNamespace", Value(kTest));
    const ObjectPath filterPath = sub.putInstance(filter);
    ClassObject consumer = consumerClass->spawnInstance();
    consumer.put("Name", Value("C" + std::to_string(i)));
    const ObjectPath consumerPath = sub.putInstance(consumer);
    ClassObject binding = bindingClass->spawnInstance();
    binding.put("Filter", Value::reference(filterPath.relativePath()));
    binding.put("Consumer", Value::reference(consumerPath.relativePath()));
    sub.putInstance(binding);
  }
  const double rate = count / secondsSince(start);

  // Every binding live, and one event reaching exactly the one filter it matches.
  const std::string what = repository.empty() ? "permanent: " : "permanent with repository: ";
  check(world.service.statistics().subscriptions == static_cast<std::size_t>(count),
        what + "not every binding is a live subscription");
  ClassObject event = world.eventClass->spawnInstance();
  std::uint64_t busy = 0;
  const auto sink = world.provider->sink();
  if (check(sink != nullptr, what + "provider P was not activated"))
    check(world.raise(sink, event, *event.definition().slotOf("S"), *event.definition().slotOf("N"), count / 2, busy),
          what + "indicate failed");
  check(world.service.waitIdle(kIdleTimeout), what + "the service did not become idle");
  check(consumers->count() == 1,
        what + "the consumer received " + std::to_string(consumers->count()) + " events, not 1");
  if (!repository.empty()) {
    const RepositoryCounts stored = Repository(repository).counts();
    check(stored.instances >= 3 * static_cast<std::size_t>(count), what + "the triples are not all stored");
  }
  return rate;
}

// --- 2. repository open -------------------------------------------------------------------------

// root's limits, root\test with E and `instances` of Item, and root\subscription with the standard
// consumer classes and `subscriptions` filter + LogFileEventConsumer + binding triples.
std::string openMof(int instances, int subscriptions, const std::filesystem::path& logFile) {
  const std::string sid = Principal::caller().sid();
  const std::string file = mofEscape(logFile.string());
  std::string out;
  out.reserve(static_cast<std::size_t>(instances) * 80 + static_cast<std::size_t>(subscriptions) * 480);
  out += pragmaNamespace("root");
  out += arbitratorMof();
  out += pragmaNamespace(kTest);
  out += "class E : __ExtrinsicEvent { string S; sint32 N; };\n";
  out += "class Item { [key] uint32 Id; string Name; sint32 Size; boolean Enabled; };\n";
  for (int i = 0; i < instances; ++i) {
    const std::string n = std::to_string(i);
    out += "instance of Item { Id = " + n + "; Name = \"item-" + n + "\"; Size = " + std::to_string(i % 100000 * 7) +
           "; Enabled = TRUE; };\n";
  }
  out += pragmaNamespace(kSub);
  // The standard consumers as PermanentSubscriptions registers them, so that both start-ups
  // find the same objects (the repository holds these too).
  out += standardConsumerClassesMof();
  out += "\n";
  for (const char* cls : {"LogFileEventConsumer", "CommandLineEventConsumer"}) {
    out += "instance of __Win32Provider as $" + std::string(cls) + " { Name = \"" + cls + "\"; };\n";
    out += "instance of __EventConsumerProviderRegistration { provider = $" + std::string(cls) +
           "; ConsumerClassNames = {\"" + cls + "\"}; };\n";
  }
  for (int i = 0; i < subscriptions; ++i) {
    const std::string n = std::to_string(i);
    out += "instance of __EventFilter { Name = \"F" + n + "\"; QueryLanguage = \"WQL\"; Query = \"" + query(i) +
           R"("; EventNamespace = "root\\test"; CreatorSID = ")" + sid + "\"; };\n";
    out += "instance of LogFileEventConsumer { Name = \"L" + n + "\"; Filename = \"" + file + "\"; Text = \"" +
           std::string(kLogText) + "\"; MaximumFileSize = 0; CreatorSID = \"" + sid + "\"; };\n";
    out += R"(instance of __FilterToConsumerBinding { Filter = "__EventFilter.Name=\"F)" + n +
           R"(\""; Consumer = "LogFileEventConsumer.Name=\"L)" + n + R"(\""; CreatorSID = ")" + sid + "\"; };\n";
  }
  return out;
}

// Writes what `service` holds into `repository`, one transaction per object (system classes are
// built in and not stored).
void copyToRepository(EventService& service, Repository& repository) {
  for (std::string_view name : {std::string_view("root"), kTest, kSub}) {
    Namespace& ns = service.getNamespace(name);
    repository.putNamespace(ns.name());
    const std::vector<ObjectPtr> classes = ns.enumClasses();
    for (const ObjectPtr& cls : classes) repository.putClass(ns.name(), *cls);
    for (const ObjectPtr& cls : classes)
      for (const ObjectPtr& instance : ns.enumInstances(cls->className(), false))
        repository.putInstance(ns.name(), *instance);
  }
}

struct OpenTimes {
  double load = 0;       // Repository + EventService, or EventService + the MOF compile
  double permanent = 0;  // PermanentSubscriptions
  double total() const { return load + permanent; }
};

// Checks that all `subscriptions` bindings are live.
void checkActive(const EventService& service, const PermanentSubscriptions& permanent, int subscriptions,
                 const std::string& what) {
  const std::vector<BindingStatus> bindings = permanent.bindings();
  const auto active = std::count_if(bindings.begin(), bindings.end(), [](const BindingStatus& b) { return b.active; });
  check(active == subscriptions && bindings.size() == static_cast<std::size_t>(subscriptions),
        what + ": " + std::to_string(active) + " of " + std::to_string(bindings.size()) +
            " bindings active, expected " + std::to_string(subscriptions));
  check(service.statistics().subscriptions == static_cast<std::size_t>(subscriptions),
        what + ": " + std::to_string(service.statistics().subscriptions) + " live subscriptions");
}

// The baseline: the objects compiled into memory. With `build`, also writes them into a new
// repository there, in `buildSeconds` (not part of the figure).
OpenTimes compiledOpen(const std::string& mof, int subscriptions, const std::filesystem::path& build = {},
                       double* buildSeconds = nullptr) {
  OpenTimes times;
  const auto start = SteadyClock::now();
  EventService service;
  service.createNamespace(kTest);
  service.createNamespace(kSub);
  const std::string diagnostic = compile(service, mof);
  times.load = secondsSince(start);
  const auto activation = SteadyClock::now();
  PermanentSubscriptions permanent(service);
  times.permanent = secondsSince(activation);
  check(diagnostic.empty(), "the generated MOF does not compile: " + diagnostic);
  checkActive(service, permanent, subscriptions, "compiled");
  if (!build.empty()) {
    const auto start = SteadyClock::now();
    {
      Repository repository(build);
      copyToRepository(service, repository);
    }
    if (buildSeconds) *buildSeconds = secondsSince(start);
  }
  return times;
}

OpenTimes repositoryOpen(const std::filesystem::path& repository, int instances, int subscriptions) {
  OpenTimes times;
  const auto start = SteadyClock::now();
  EventServiceOptions options;
  options.repository = std::make_shared<Repository>(repository);
  EventService service(options);
  times.load = secondsSince(start);
  const auto activation = SteadyClock::now();
  PermanentSubscriptions permanent(service);
  times.permanent = secondsSince(activation);
  checkActive(service, permanent, subscriptions, "repository");
  check(service.getNamespace(kTest).enumInstances("Item").size() == static_cast<std::size_t>(instances),
        "repository: not every Item instance was loaded");
  return times;
}

// --- 3. events through a LogFileEventConsumer -------------------------------------------------

struct LogRun {
  double rate = 0;
  std::size_t lines = 0;
  std::uint64_t dropped = 0, busy = 0;
};

std::size_t countLines(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::size_t lines = 0;
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    lines += static_cast<std::size_t>(std::count(buffer.data(), buffer.data() + in.gcount(), '\n'));
  }
  return lines;
}

LogRun logFileRun(std::size_t events, const std::filesystem::path& file) {
  World world;
  PermanentSubscriptions permanent(world.service);
  Namespace& sub = world.service.getNamespace(kSub);
  ClassObject filter = sub.getClass("__EventFilter")->spawnInstance();
  filter.put("Name", Value("All"));
  filter.put("QueryLanguage", Value("WQL"));
  filter.put("Query", Value("SELECT * FROM E"));
  filter.put("EventNamespace", Value(kTest));
  const ObjectPath filterPath = sub.putInstance(filter);
  ClassObject consumer = sub.getClass("LogFileEventConsumer")->spawnInstance();
  consumer.put("Name", Value("Log"));
  consumer.put("Filename", Value(file.string()));
  consumer.put("Text", Value(kLogText));
  consumer.put("MaximumFileSize", Value(std::uint64_t{0}));
  const ObjectPath consumerPath = sub.putInstance(consumer);
  ClassObject binding = sub.getClass("__FilterToConsumerBinding")->spawnInstance();
  binding.put("Filter", Value::reference(filterPath.relativePath()));
  binding.put("Consumer", Value::reference(consumerPath.relativePath()));
  sub.putInstance(binding);

  LogRun run;
  const auto sink = world.provider->sink();
  if (!check(sink != nullptr, "log file: provider P was not activated")) return run;
  ClassObject event = world.eventClass->spawnInstance();
  const PropertySlot s = *event.definition().slotOf("S"), n = *event.definition().slotOf("N");
  const auto start = SteadyClock::now();
  for (std::size_t i = 0; i < events; ++i) {
    if (!check(world.raise(sink, event, s, n, static_cast<std::int32_t>(i), run.busy), "log file: indicate failed"))
      break;
  }
  check(world.service.waitIdle(kIdleTimeout), "log file: the service did not become idle");
  run.rate = static_cast<double>(events) / secondsSince(start);
  run.dropped = world.service.statistics().dropped;
  run.lines = countLines(file);
  check(run.lines == events, "log file: " + std::to_string(run.lines) + " lines, expected " + std::to_string(events));
  check(world.service.statistics().consumerFailures == 0, "log file: the consumer failed");
  return run;
}

// The same lines, formatted from the same event object and appended by one stream.
double ofstreamRate(std::size_t events, const std::filesystem::path& file) {
  Namespace ns("root\\baseline");
  ClassObject e = ns.getClass("__ExtrinsicEvent")->spawnDerivedClass("E");
  e.putProperty("S", scalarType(CimType::String));
  e.putProperty("N", scalarType(CimType::SInt32));
  ClassObject event = ns.putClass(e)->spawnInstance();
  const PropertySlot s = *event.definition().slotOf("S"), n = *event.definition().slotOf("N");
  const auto start = SteadyClock::now();
  {
    std::ofstream out(file, std::ios::binary | std::ios::app);
    for (std::size_t i = 0; i < events; ++i) {
      event.putExact(s, Value("disk-full"));
      event.putExact(n, Value(static_cast<std::int32_t>(i)));
      out << formatTemplate(kLogText, event) << '\n';
    }
  }
  const double rate = static_cast<double>(events) / secondsSince(start);
  check(countLines(file) == events, "baseline log file: wrong line count");
  return rate;
}

// The median of `repeats` calls of `run` (the machine is shared, so single runs are noisy).
template <class Run>
double median(int repeats, Run run) {
  std::vector<double> values;
  for (int i = 0; i < repeats; ++i) values.push_back(run(i));
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

OpenTimes medianOf(std::vector<OpenTimes> runs) {
  std::sort(runs.begin(), runs.end(), [](const OpenTimes& a, const OpenTimes& b) { return a.total() < b.total(); });
  return runs[runs.size() / 2];
}

class TempDir {
 public:
  TempDir(const std::filesystem::path& base, std::string_view tag)
      : path_(base / ("wbem-bench-" + std::string(tag) + "-" + std::to_string(getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const int triples = quick ? 200 : 2000;
  const int instances = quick ? 10000 : 100000;
  const int stored = quick ? 1000 : 10000;  // permanent subscriptions in the repository
  const std::size_t events = quick ? 20000 : 200000;
  const int repeats = quick ? 1 : 3;
  const auto begin = SteadyClock::now();
  TempDir dir(std::filesystem::temp_directory_path(), "permanent");

  std::printf("Permanent subscriptions benchmark (%s); every figure beside a baseline of the same run\n\n",
              quick ? "quick" : "full");

  // 1.
  const double temporary = median(repeats, [&](int) { return temporaryRate(triples); });
  const double inMemory = median(repeats, [&](int) { return permanentRate(triples, {}); });
  const double written = median(repeats, [&](int r) {
    return permanentRate(triples, dir.path() / ("subscriptions-" + std::to_string(r) + ".db"));
  });
  std::printf(
      "1. Subscriptions created: %d triples of __EventFilter (SELECT * FROM E WHERE N = <i>, EventNamespace\n"
      "   root\\test) + CountingConsumer (in-process, counts) + __FilterToConsumerBinding, put one by one\n"
      "   into root\\subscription; median of %d runs.\n",
      triples, repeats);
  std::printf("  %-52s %12s %9s\n", "configuration", "per second", "ratio");
  std::printf("  %-52s %12.0f %8.2fx\n", "baseline: temporary subscribe(), same queries", temporary, 1.0);
  std::printf("  %-52s %12.0f %8.2fx\n", "permanent triples, no repository", inMemory, inMemory / temporary);
  std::printf("  %-52s %12.0f %8.2fx\n", "permanent triples, repository (1 transaction per put)", written,
              written / temporary);

  // 2. The repository is written once, on tmpfs when there is one (a transaction per object is
  // several times faster there), and copied beside the other files, where it is opened.
  const std::filesystem::path repository = dir.path() / "open.db";
  const std::string mof = openMof(instances, stored, dir.path() / "never-written.log");
  std::vector<OpenTimes> compiled, opened;
  double buildSeconds = 0;
  {
    const bool shm = std::filesystem::is_directory("/dev/shm");
    TempDir build(shm ? std::filesystem::path("/dev/shm") : dir.path(), "permanent-build");
    compiled.push_back(compiledOpen(mof, stored, build.path() / "open.db", &buildSeconds));
    std::filesystem::copy_file(build.path() / "open.db", repository);
    check(!std::filesystem::exists(build.path() / "open.db-wal"), "the built repository left its WAL file");
  }
  const auto fileSize = std::filesystem::file_size(repository);
  for (int r = 0; r < repeats; ++r) {
    if (r > 0) compiled.push_back(compiledOpen(mof, stored));
    opened.push_back(repositoryOpen(repository, instances, stored));
  }
  const OpenTimes baselineOpen = medianOf(compiled), repositoryOpened = medianOf(opened);
  std::printf(
      "\n2. Start-up with %d Item instances and %d permanent subscriptions (filter + LogFileEventConsumer\n"
      "   + binding, so %d more instances); the loaded service is checked to hold them all, active.\n"
      "   Repository file: %.1f MB (built in %.1f s%s, one transaction per object; not part of the figure).\n"
      "   Median of %d runs (by total), baseline and repository alternating.\n",
      instances, stored, 3 * stored, static_cast<double>(fileSize) / (1 << 20), buildSeconds,
      std::filesystem::is_directory("/dev/shm") ? " on /dev/shm" : "", repeats);
  std::printf("  %-52s %9s %12s %9s %9s\n", "configuration", "load s", "activate s", "total s", "ratio");
  std::printf("  %-52s %9.3f %12.3f %9.3f %8.2fx\n", "baseline: EventService + one MOF compile (in memory)",
              baselineOpen.load, baselineOpen.permanent, baselineOpen.total(), 1.0);
  std::printf("  %-52s %9.3f %12.3f %9.3f %8.2fx\n", "Repository + EventService (loads the SQLite file)",
              repositoryOpened.load, repositoryOpened.permanent, repositoryOpened.total(),
              repositoryOpened.total() / baselineOpen.total());
  std::printf(
      "  (load = until the service holds everything; activate = PermanentSubscriptions construction;\n"
      "   ratio = time / baseline time, lower is faster)\n");

  // 3.
  const double baselineLog = median(
      repeats, [&](int r) { return ofstreamRate(events, dir.path() / ("baseline-" + std::to_string(r) + ".log")); });
  std::vector<LogRun> runs;
  for (int r = 0; r < repeats; ++r)
    runs.push_back(logFileRun(events, dir.path() / ("events-" + std::to_string(r) + ".log")));
  std::sort(runs.begin(), runs.end(), [](const LogRun& a, const LogRun& b) { return a.rate < b.rate; });
  const LogRun& log = runs[runs.size() / 2];
  std::printf(
      "\n3. LogFileEventConsumer (Text \"%s\", MaximumFileSize 0) bound to SELECT * FROM E: %zu events\n"
      "   raised by one provider thread as fast as it can, timed to waitIdle(); median of %d runs.\n",
      std::string(kLogText).c_str(), events, repeats);
  std::printf("  %-52s %12s %9s %10s %8s %8s\n", "configuration", "events/s", "ratio", "lines", "dropped", "busy");
  std::printf("  %-52s %12.0f %8.2fx %10zu %8s %8s\n", "baseline: formatTemplate + one std::ofstream, 1 thread",
              baselineLog, 1.0, events, "-", "-");
  std::printf("  %-52s %12.0f %8.2fx %10zu %8llu %8llu\n", "provider -> filter -> LogFileEventConsumer", log.rate,
              log.rate / baselineLog, log.lines, static_cast<unsigned long long>(log.dropped),
              static_cast<unsigned long long>(log.busy));

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("\nPeak RSS: %.1f MB; total run time %.1f s\n", static_cast<double>(usage.ru_maxrss) / 1024,
              secondsSince(begin));
  if (failedChecks != 0) std::printf("!! %d checks failed: the figures above are not valid\n", failedChecks);
  return failedChecks == 0 ? 0 : 1;
}
