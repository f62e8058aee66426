// Permanent subscriptions (spec 6.2, cases 62, 66–72, 77; decisions.md 9): filters, consumers and
// bindings put through the API and MOF, checked at put, activated, retried, and failing alone.

#include <wbem/consumer_provider.hpp>
#include <wbem/mof.hpp>
#include <wbem/objectpath.hpp>
#include <wbem/permanent_subscriptions.hpp>
#include <wbem/repository.hpp>
#include <wbem/security.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <signal.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "fixture.hpp"
#include "support.hpp"

using namespace wbem;
using namespace wbemtest;

namespace {

constexpr std::string_view kSub = "root\\subscription";

// Consumer class RecordingConsumer : __EventConsumer { [key] string Name; } served in-process.
class RecordingConsumerSink : public ConsumerSink<> {
 public:
  explicit RecordingConsumerSink(std::atomic<int>& failuresLeft) : failuresLeft_(failuresLeft) {}
  std::vector<std::string> seen() const {
    std::lock_guard lock(seenMutex_);
    return seen_;
  }
  std::vector<std::thread::id> threads() const {
    std::lock_guard lock(seenMutex_);
    return threads_;
  }

 protected:
  void consume(const ClassObject&, const ClassObject& event) override {
    if (failuresLeft_.load() != 0) {
      if (failuresLeft_.load() > 0) failuresLeft_.fetch_sub(1);
      throw Error(WBEM_E_FAILED, "told to fail");
    }
    std::lock_guard lock(seenMutex_);
    seen_.push_back(event.get("S").asString());
    threads_.push_back(std::this_thread::get_id());
  }

 private:
  std::atomic<int>& failuresLeft_;
  mutable std::mutex seenMutex_;
  std::vector<std::string> seen_;
  std::vector<std::thread::id> threads_;
};

class RecordingConsumerProvider : public EventConsumerProvider {
 public:
  std::shared_ptr<UnboundObjectSink> findConsumer(const ClassObject& logical) override {
    const std::string name = logical.get("Name").asString();
    std::lock_guard lock(mutex_);
    auto& sink = sinks_[name];
    if (!sink) sink = std::make_shared<RecordingConsumerSink>(failures[name]);
    return sink;
  }
  std::vector<std::string> seen(const std::string& name) {
    std::lock_guard lock(mutex_);
    auto it = sinks_.find(name);
    return it == sinks_.end() ? std::vector<std::string>{} : it->second->seen();
  }
  std::vector<std::thread::id> threads(const std::string& name) {
    std::lock_guard lock(mutex_);
    auto it = sinks_.find(name);
    return it == sinks_.end() ? std::vector<std::thread::id>{} : it->second->threads();
  }
  // Per logical consumer: calls left to fail (-1: fail for ever).
  std::map<std::string, std::atomic<int>> failures;

 private:
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<RecordingConsumerSink>> sinks_;
};

// The world with permanent subscriptions, the class RecordingConsumer in root\subscription and
// its provider bound in-process.
struct PermanentWorld : World {
  PermanentWorld() : World(Time::Real), consumerProvider(std::make_shared<RecordingConsumerProvider>()) {
    consumerProvider->failures["C1"] = 0;
    consumerProvider->failures["C2"] = 0;
    REQUIRE(compile(R"(
      #pragma namespace("\\\\.\\root\\subscription")
      class RecordingConsumer : __EventConsumer { [key] string Name; };
      instance of __Win32Provider as $P { Name = "Recorder"; };
      instance of __EventConsumerProviderRegistration { provider = $P; ConsumerClassNames = {"RecordingConsumer"}; };
    )")
                .empty());
    permanent.addConsumerProvider(kSub, "Recorder", consumerProvider);
    // The cases act as ordinary users too: they may write subscriptions here (PartialWrite), so
    // that what is judged is the creator rules, not the namespace's rights.
    service.setNamespaceSecurity(
        kSub, SecurityDescriptor::parse(EventService::defaultNamespaceSecurity().toSddl() + "(A;;0x8;;;WD)"));
  }

  // Compiles MOF into the service's namespaces; the diagnostics, empty when it compiled.
  std::string compile(std::string_view mof) {
    MofCompiler compiler([this](const std::string& name) { return service.findNamespace(name); });
    const MofResult result = compiler.compileText(mof, "test.mof");
    std::string out;
    for (const auto& d : result.diagnostics) out += d.toString() + "\n";
    return out;
  }

  Namespace& sub() { return service.getNamespace(kSub); }

  ObjectPath putFilter(std::string_view name, std::string_view query, std::string_view language = "WQL") {
    ClassObject filter = sub().getClass("__EventFilter")->spawnInstance();
    filter.put("Name", Value(name));
    filter.put("Query", Value(query));
    filter.put("QueryLanguage", Value(language));
    filter.put("EventNamespace", Value("root\\test"));
    return sub().putInstance(filter);
  }
  ObjectPath putConsumer(std::string_view name) {
    ClassObject consumer = sub().getClass("RecordingConsumer")->spawnInstance();
    consumer.put("Name", Value(name));
    return sub().putInstance(consumer);
  }
  ObjectPath putBinding(const ObjectPath& filter, const ObjectPath& consumer, bool synchronous = false) {
    ClassObject binding = sub().getClass("__FilterToConsumerBinding")->spawnInstance();
    if (synchronous) {
      binding.put("DeliverSynchronously", Value(true));
      binding.put("DeliveryQoS", Value(std::uint32_t{1}));
    }
    binding.put("Filter", Value::reference(filter.relativePath()));
    binding.put("Consumer", Value::reference(consumer.relativePath()));
    return sub().putInstance(binding);
  }

  PermanentSubscriptions permanent{service, PermanentSubscriptionOptions{3, std::chrono::milliseconds(1), true}};
  std::shared_ptr<RecordingConsumerProvider> consumerProvider;
};

Principal nonAdmin(std::uint32_t uid) {
  Principal p;
  p.uid = uid;
  p.gids = {uid};
  p.admin = false;
  return p;
}

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("a binding activates its filter for its consumer, and deleting it deactivates (case 77)") {
  PermanentWorld w;
  const ObjectPath filter = w.putFilter("F1", "SELECT * FROM E WHERE N > 1");
  const ObjectPath consumer = w.putConsumer("C1");
  REQUIRE(w.provider->sink() == nullptr);  // nothing bound yet, so P is not needed
  const ObjectPath binding = w.putBinding(filter, consumer);
  REQUIRE(w.provider->sink() != nullptr);

  w.raise(w.event("one", 1));
  w.raise(w.event("two", 2));
  w.settle();
  CHECK(w.consumerProvider->seen("C1") == std::vector<std::string>{"two"});
  const auto status = w.permanent.bindings();
  REQUIRE(status.size() == 1);
  CHECK(status[0].active);
  CHECK(status[0].ns == "root\\subscription");

  w.sub().deleteInstance(binding);
  w.raiseIfActive(w.event("three", 3));
  w.settle();
  CHECK(w.consumerProvider->seen("C1") == std::vector<std::string>{"two"});
  CHECK(w.permanent.bindings().empty());
  CHECK(w.sub().getInstance(filter));  // filter and consumer stay
  CHECK(w.sub().getInstance(consumer));
}

TEST_CASE("filters are checked at put (cases 66, 67, bad queries)") {
  PermanentWorld w;
  CHECK_STATUS(WBEM_E_INVALID_QUERY_TYPE, w.putFilter("F", "SELECT * FROM E", "SQL"));
  const Error bad = errorOf([&] { w.putFilter("F", "SELECT * FROM E WHERE N >"); });
  CHECK(bad.status() == WBEM_E_INVALID_QUERY);
  REQUIRE(bad.position());
  CHECK(bad.position()->column > 20);
  CHECK_STATUS(WBEM_E_INVALID_CLASS, w.putFilter("F", "SELECT * FROM NoSuchClass"));
  CHECK_STATUS(WBEM_E_INVALID_PROPERTY, w.putFilter("F", "SELECT * FROM E WHERE Nope = 1"));
  CHECK(w.sub().enumInstances("__EventFilter").empty());  // nothing stored by a refused put

  const ObjectPath named = w.putFilter("", "SELECT * FROM E");
  const std::string name = named.key("Name")->asString();
  CHECK(name.size() == 38);
  CHECK(name.front() == '{');
  CHECK(name.back() == '}');
  CHECK(w.sub().getInstance(named)->get("CreatorSID").asString() == Principal::caller().sid());
}

TEST_CASE("a filter's EventAccess says whose events it receives; one that is not a descriptor is refused") {
  PermanentWorld w;
  auto putFilterWithAccess = [&](std::string_view name, std::string_view eventAccess) {
    ClassObject filter = w.sub().getClass("__EventFilter")->spawnInstance();
    filter.put("Name", Value(name));
    filter.put("Query", Value("SELECT * FROM E"));
    filter.put("QueryLanguage", Value("WQL"));
    filter.put("EventNamespace", Value("root\\test"));
    filter.put("EventAccess", Value(eventAccess));
    return w.sub().putInstance(filter);
  };
  const Error bad = errorOf([&] { putFilterWithAccess("Bad", "D:(X;;0x80;;;BA)"); });
  CHECK(bad.status() == WBEM_E_INVALID_PARAMETER);
  REQUIRE(bad.position());
  CHECK(bad.position()->column == 4);
  CHECK(w.sub().enumInstances("__EventFilter").empty());

  w.putBinding(putFilterWithAccess("AdminsOnly", "O:BAG:BAD:(A;;0x80;;;BA)"), w.putConsumer("C1"));
  w.raise(w.event("from the service's own provider"));
  w.provider->sink()->setSinkSecurity(SecurityDescriptor::parse("O:uid:5002"));
  w.raise(w.event("raised as uid 5002"));
  w.provider->sink()->setSinkSecurity(SecurityDescriptor::parse("O:uid:0"));
  w.raise(w.event("raised as root"));
  w.settle();
  CHECK(w.consumerProvider->seen("C1") ==
        std::vector<std::string>{"from the service's own provider", "raised as root"});
}

TEST_CASE("a binding to a missing filter or consumer is refused") {
  PermanentWorld w;
  const ObjectPath filter = w.putFilter("F1", "SELECT * FROM E");
  const ObjectPath consumer = w.putConsumer("C1");
  CHECK_STATUS(WBEM_E_NOT_FOUND, w.putBinding(ObjectPath::parse("__EventFilter.Name=\"nope\""), consumer));
  CHECK_STATUS(WBEM_E_NOT_FOUND, w.putBinding(filter, ObjectPath::parse("RecordingConsumer.Name=\"nope\"")));
  CHECK(w.sub().enumInstances("__FilterToConsumerBinding").empty());
}

TEST_CASE("overwriting a filter changes what its bindings receive (case 68)") {
  PermanentWorld w;
  const ObjectPath filter = w.putFilter("F1", "SELECT * FROM E WHERE S = 'a'");
  w.putBinding(filter, w.putConsumer("C1"));
  w.raise(w.event("a"));
  w.raise(w.event("b"));
  w.settle();
  w.putFilter("F1", "SELECT * FROM E WHERE S = 'b'");
  w.raise(w.event("a"));
  w.raise(w.event("b"));
  w.settle();
  CHECK(w.consumerProvider->seen("C1") == std::vector<std::string>{"a", "b"});
}

TEST_CASE("filter, consumer and binding made by different creators deliver nothing (case 69)") {
  PermanentWorld w;
  const ObjectPath filter = w.putFilter("F1", "SELECT * FROM E");
  ObjectPath consumer, binding;
  {
    Impersonation other(nonAdmin(getuid() + 4242));
    consumer = w.putConsumer("C1");
    binding = w.putBinding(filter, consumer);
  }
  if (Principal::caller().admin) {  // an administrator's filter also mismatches a non-admin's binding
    const auto status = w.permanent.bindings();
    REQUIRE(status.size() == 1);
    CHECK_FALSE(status[0].active);
    CHECK(status[0].reason.find("different creators") != std::string::npos);
  } else {
    CHECK_FALSE(w.permanent.bindings().at(0).active);
  }
  CHECK(w.service.statistics().consumerFailures == 0);
}

TEST_CASE("only administrators may bind a polling filter (case 71)") {
  PermanentWorld w;
  ClassObject dyn = ClassObject::createClass("Dyn");
  dyn.putQualifier("dynamic", Value(true));
  dyn.putQualifier("provider", Value("DynProv"));
  dyn.putProperty("Name", scalarType(CimType::String));
  dyn.putPropertyQualifier("Name", "key", Value(true));
  w.ns.putClass(dyn);
  Impersonation user(nonAdmin(getuid() + 4242));
  const ObjectPath filter =
      w.putFilter("Poll", "SELECT * FROM __InstanceCreationEvent WITHIN 10 WHERE TargetInstance ISA 'Dyn'");
  const ObjectPath consumer = w.putConsumer("C1");
  CHECK_STATUS(WBEM_E_ACCESS_DENIED, w.putBinding(filter, consumer));
}

TEST_CASE("a failing consumer is retried, then fails alone with __ConsumerFailureEvent (case 72)") {
  PermanentWorld w;
  auto failures = std::make_shared<RecordingSink>();
  w.service.subscribe("root\\test", "WQL", "SELECT * FROM __ConsumerFailureEvent", failures);
  w.consumerProvider->failures["C1"] = -1;
  w.consumerProvider->failures["C2"] = 2;  // recovers on its third try
  const ObjectPath filter = w.putFilter("F1", "SELECT * FROM E");
  w.putBinding(filter, w.putConsumer("C1"));
  w.putBinding(filter, w.putConsumer("C2"));

  w.raise(w.event("x"));
  w.settle();
  CHECK(w.consumerProvider->seen("C2") == std::vector<std::string>{"x"});
  CHECK(w.consumerProvider->seen("C1").empty());
  const auto events = failures->events();
  REQUIRE(events.size() == 1);
  CHECK(events[0]->get("ErrorCode").asUInt64() == WBEM_E_FAILED);
  CHECK(events[0]->get("IntendedConsumer").asString().find("RecordingConsumer.Name=\"C1\"") != std::string::npos);
  CHECK(events[0]->get("Event").asObject()->get("S").asString() == "x");
}

TEST_CASE("DeliverSynchronously runs the consumer inside the provider's indicate (case 76)") {
  PermanentWorld w;
  const ObjectPath filter = w.putFilter("F1", "SELECT * FROM E");
  w.putBinding(filter, w.putConsumer("C1"), true);
  w.putBinding(filter, w.putConsumer("C2"));
  w.raise(w.event("now"));
  // No settle: the synchronous consumer has it when indicate returns, on this thread.
  CHECK(w.consumerProvider->seen("C1") == std::vector<std::string>{"now"});
  CHECK(w.consumerProvider->threads("C1") == std::vector<std::thread::id>{std::this_thread::get_id()});
  w.settle();
  CHECK(w.consumerProvider->seen("C2") == std::vector<std::string>{"now"});
  REQUIRE(w.consumerProvider->threads("C2").size() == 1);
  CHECK(w.consumerProvider->threads("C2")[0] != std::this_thread::get_id());
}

TEST_CASE("a subscription made in MOF writes the log file line of case 62") {
  PermanentWorld w;
  const auto dir = std::filesystem::temp_directory_path() / ("wbem-perm-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto log = dir / "l1.log";
  std::filesystem::remove(log);
  const std::string mof = R"(
    #pragma namespace("\\\\.\\root\\subscription")
    instance of __EventFilter as $F { Name = "F1"; QueryLanguage = "WQL"; Query = "SELECT * FROM E";
                                      EventNamespace = "root\\test"; };
    instance of LogFileEventConsumer as $L { Name = "L1"; Filename = ")" +
                          log.string() + R"("; Text = "S=%S% N=%N% %%"; };
    instance of __FilterToConsumerBinding { Filter = $F; Consumer = $L; };
  )";
  REQUIRE(w.compile(mof).empty());
  w.raise(w.event("x", 5));
  w.settle();
  CHECK(readFile(log) == "S=x N=5 %\n");
  std::filesystem::remove_all(dir);
}

TEST_CASE("bindings() says why a binding is inactive, and a consumer provider bound later activates it") {
  PermanentWorld w;
  REQUIRE(w.compile(R"(
      #pragma namespace("\\\\.\\root\\subscription")
      class LateConsumer : __EventConsumer { [key] string Name; };
      instance of __Win32Provider as $P { Name = "Late"; };
      instance of __EventConsumerProviderRegistration { provider = $P; ConsumerClassNames = {"LateConsumer"}; };
      instance of __EventFilter as $F { Name = "F1"; QueryLanguage = "WQL"; Query = "SELECT * FROM E";
                                        EventNamespace = "root\\test"; };
      instance of LateConsumer as $C { Name = "C1"; };
      instance of __FilterToConsumerBinding { Filter = $F; Consumer = $C; };
  )")
              .empty());
  auto status = w.permanent.bindings();
  REQUIRE(status.size() == 1);
  CHECK_FALSE(status[0].active);
  CHECK(status[0].reason.find("Late") != std::string::npos);

  w.permanent.addConsumerProvider(kSub, "Late", w.consumerProvider);
  CHECK(w.permanent.bindings().at(0).active);
  w.raise(w.event("late"));
  w.settle();
  CHECK(w.consumerProvider->seen("C1") == std::vector<std::string>{"late"});
}

TEST_CASE("permanent subscriptions survive a restart with the repository") {
  const auto dir = std::filesystem::temp_directory_path() / ("wbem-perm-repo-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto provider = std::make_shared<RecordingProvider>();
  auto consumers = std::make_shared<RecordingConsumerProvider>();
  consumers->failures["C1"] = 0;
  const auto start = [&](auto&& body) {
    EventServiceOptions options;
    options.repository = std::make_shared<Repository>(dir / "repository.db");
    EventService service(options);
    PermanentSubscriptions permanent(service);
    body(service, permanent);
  };
  start([&](EventService& service, PermanentSubscriptions& permanent) {
    Namespace& test = service.createNamespace("root\\test");
    ClassObject e = test.getClass("__ExtrinsicEvent")->spawnDerivedClass("E");
    e.putProperty("S", scalarType(CimType::String));
    test.putClass(e);
    MofCompiler compiler([&](const std::string& name) { return service.findNamespace(name); });
    REQUIRE(compiler
                .compileText(R"(
      #pragma namespace("\\\\.\\root\\subscription")
      class RecordingConsumer : __EventConsumer { [key] string Name; };
      instance of __Win32Provider as $P { Name = "Recorder"; };
      instance of __EventConsumerProviderRegistration { provider = $P; ConsumerClassNames = {"RecordingConsumer"}; };
      instance of __EventFilter as $F { Name = "F1"; QueryLanguage = "WQL"; Query = "SELECT * FROM E";
                                        EventNamespace = "root\\test"; };
      instance of RecordingConsumer as $C { Name = "C1"; };
      instance of __FilterToConsumerBinding { Filter = $F; Consumer = $C; };
    )",
                             "setup.mof")
                .ok());
    CHECK_FALSE(permanent.bindings().at(0).active);  // its provider is not bound in this run
  });
  start([&](EventService& service, PermanentSubscriptions& permanent) {
    permanent.addConsumerProvider(kSub, "Recorder", consumers);
    REQUIRE(permanent.bindings().size() == 1);
    CHECK(permanent.bindings().at(0).active);
    service.registerEventProvider("root\\test", "P", {"SELECT * FROM E"}, provider);
    REQUIRE(provider->sink());
    ClassObject ev = service.getNamespace("root\\test").getClass("E")->spawnInstance();
    ev.put("S", Value("after restart"));
    REQUIRE(provider->sink()->indicate(ev) == WBEM_S_NO_ERROR);
    REQUIRE(service.waitIdle());
    CHECK(consumers->seen("C1") == std::vector<std::string>{"after restart"});

    // A restore brings back the binding deleted after the backup, active again.
    service.backup(dir / "backup.db");
    Namespace& sub = service.getNamespace(kSub);
    sub.deleteInstance(sub.enumInstances("__FilterToConsumerBinding").at(0)->path().value());
    CHECK(permanent.bindings().empty());
    service.restore(dir / "backup.db");
    REQUIRE(permanent.bindings().size() == 1);
    CHECK(permanent.bindings().at(0).active);
    auto again = std::make_shared<RecordingProvider>();  // provider bindings end with a restore
    service.registerEventProvider("root\\test", "P", {"SELECT * FROM E"}, again);
    REQUIRE(again->sink());
    ev = service.getNamespace("root\\test").getClass("E")->spawnInstance();
    ev.put("S", Value("after restore"));
    REQUIRE(again->sink()->indicate(ev) == WBEM_S_NO_ERROR);
    REQUIRE(service.waitIdle());
    CHECK(consumers->seen("C1") == std::vector<std::string>{"after restart", "after restore"});
  });
  std::filesystem::remove_all(dir);
}

namespace {

// The child of the crash test: makes subscription changes with a repository, reporting the number
// of each step on `report` once the step returned (so it is committed). Step i puts filter Fi,
// consumer Ci and binding Bi; every third step also deletes the binding of the step before.
[[noreturn]] void changeUntilKilled(const std::filesystem::path& file, int report) {
  EventServiceOptions options;
  options.repository = std::make_shared<Repository>(file);
  EventService service(options);
  PermanentSubscriptions permanent(service);
  Namespace& test = service.createNamespace("root\\test");
  ClassObject e = test.getClass("__ExtrinsicEvent")->spawnDerivedClass("E");
  e.putProperty("S", scalarType(CimType::String));
  test.putClass(e);
  Namespace& sub = service.getNamespace(kSub);
  ClassObject consumerClass = sub.getClass("__EventConsumer")->spawnDerivedClass("RecordingConsumer");
  consumerClass.putProperty("Name", scalarType(CimType::String));
  consumerClass.putPropertyQualifier("Name", "key", Value(true));
  sub.putClass(consumerClass);
  for (int i = 1;; ++i) {
    ClassObject filter = sub.getClass("__EventFilter")->spawnInstance();
    filter.put("Name", Value("F" + std::to_string(i)));
    filter.put("Query", Value("SELECT * FROM E WHERE S = '" + std::to_string(i) + "'"));
    filter.put("QueryLanguage", Value("WQL"));
    filter.put("EventNamespace", Value("root\\test"));
    const ObjectPath f = sub.putInstance(filter);
    ClassObject consumer = sub.getClass("RecordingConsumer")->spawnInstance();
    consumer.put("Name", Value("C" + std::to_string(i)));
    const ObjectPath c = sub.putInstance(consumer);
    ClassObject binding = sub.getClass("__FilterToConsumerBinding")->spawnInstance();
    binding.put("Filter", Value::reference(f.relativePath()));
    binding.put("Consumer", Value::reference(c.relativePath()));
    sub.putInstance(binding);
    if (i % 3 == 0) {
      ClassObject previous = sub.getClass("__FilterToConsumerBinding")->spawnInstance();
      previous.put("Filter", Value::reference("__EventFilter.Name=\"F" + std::to_string(i - 1) + "\""));
      previous.put("Consumer", Value::reference("RecordingConsumer.Name=\"C" + std::to_string(i - 1) + "\""));
      sub.deleteInstance(*previous.path());
    }
    if (write(report, &i, sizeof i) != sizeof i) _exit(1);
  }
}

// The bindings step `last` leaves: Bi for every i <= last, but B(i-1) for each i % 3 == 0.
std::set<std::string> bindingsAfter(int last) {
  std::set<std::string> names;
  for (int i = 1; i <= last; ++i) {
    names.insert("C" + std::to_string(i));
    if (i % 3 == 0) names.erase("C" + std::to_string(i - 1));
  }
  return names;
}

}  // namespace

TEST_CASE("a crash during a stream of subscription changes loses nothing committed") {
  const auto dir = std::filesystem::temp_directory_path() / ("wbem-perm-crash-" + std::to_string(getpid()));
  for (int round = 0; round < 4; ++round) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const auto file = dir / "repository.db";
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      close(fds[0]);
      changeUntilKilled(file, fds[1]);
    }
    close(fds[1]);
    // Let the child get 3 + 7 * round steps in, then kill it wherever it is.
    int last = 0, step = 0;
    while (last < 3 + 7 * round && read(fds[0], &step, sizeof step) == sizeof step) last = step;
    kill(child, SIGKILL);
    while (read(fds[0], &step, sizeof step) == sizeof step) last = step;  // reports already sent
    close(fds[0]);
    int status = 0;
    waitpid(child, &status, 0);
    REQUIRE(last >= 3 + 7 * round);

    EventServiceOptions options;
    options.repository = std::make_shared<Repository>(file);
    EventService service(options);
    PermanentSubscriptions permanent(service);
    // The provider is bound before it is registered, so each binding activates once.
    auto consumers = std::make_shared<RecordingConsumerProvider>();
    permanent.addConsumerProvider(kSub, "Recorder", consumers);
    ClassObject provider = service.getNamespace(kSub).getClass("__Win32Provider")->spawnInstance();
    provider.put("Name", Value("Recorder"));
    const ObjectPath providerPath = service.getNamespace(kSub).putInstance(provider);
    ClassObject registration =
        service.getNamespace(kSub).getClass("__EventConsumerProviderRegistration")->spawnInstance();
    registration.put("provider", Value::reference(providerPath.relativePath()));
    registration.put("ConsumerClassNames", Value(CimType::String, ValueArray{Value("RecordingConsumer")}));
    service.getNamespace(kSub).putInstance(registration);

    std::set<std::string> present;
    for (const BindingStatus& b : permanent.bindings()) {
      INFO(b.binding << ": " << b.reason);
      CHECK(b.active);
      const auto at = b.consumer.find("Name=\"") + 6;
      present.insert(b.consumer.substr(at, b.consumer.find('"', at) - at));
    }
    // Every reported step is there, and of the step in flight either nothing, its binding, or
    // its binding and its deletion: each change is whole or absent.
    INFO("round " << round << ", last reported step " << last);
    std::set<std::string> withNextBinding = bindingsAfter(last);
    withNextBinding.insert("C" + std::to_string(last + 1));
    CHECK((present == bindingsAfter(last) || present == withNextBinding || present == bindingsAfter(last + 1)));
    CHECK(service.getNamespace(kSub).enumInstances("__EventFilter").size() >= static_cast<std::size_t>(last));
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("only administrators may name a provider Module, and only by absolute path") {
  PermanentWorld w;
  ClassObject provider = w.sub().getClass("__Win32Provider")->spawnInstance();
  provider.put("Name", Value("Plugin"));
  provider.put("Module", Value("/usr/lib/libsomething.so"));
  {
    Impersonation user(nonAdmin(getuid() + 4242));
    CHECK_STATUS(WBEM_E_ACCESS_DENIED, w.sub().putInstance(provider));
  }
  if (Principal::caller().admin) {
    provider.put("Module", Value("libsomething.so"));
    CHECK_STATUS(WBEM_E_INVALID_PARAMETER, w.sub().putInstance(provider));
  }
}

TEST_CASE("deleting a consumer class ends the bindings of its instances") {
  PermanentWorld w;
  w.putBinding(w.putFilter("F1", "SELECT * FROM E"), w.putConsumer("C1"));
  REQUIRE(w.permanent.bindings().at(0).active);
  w.sub().deleteClass("RecordingConsumer");
  const auto status = w.permanent.bindings();
  REQUIRE(status.size() == 1);
  CHECK_FALSE(status[0].active);
  w.raiseIfActive(w.event("gone"));
  w.settle();
  CHECK(w.consumerProvider->seen("C1").empty());
}
