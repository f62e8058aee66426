// Tests of the event provider contract as the service drives it: registration, activation and
// shutdown, newQuery/cancelQuery, initialization, accessCheck, the EventSink calls (isActive,
// restricted sinks, sink security, per-event descriptors, batching, ingest limits) and ignored
// registrations (spec 12.E 40-49, decisions.md 1, 3 and 4).

#include <wbem/event_service.hpp>
#include <wbem/security.hpp>

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "event_fixture.hpp"
#include "support.hpp"

using namespace wbem;
using namespace wbemtest;

namespace {

// The SECURITY_DESCRIPTOR property value of `sddl`: its UTF-8 bytes as a uint8 array.
Value descriptorValue(std::string_view sddl) { return SecurityDescriptor::parse(sddl).toValue(); }

// An event provider for Dyn that does nothing but exist (its registration is what matters).
class SilentProvider : public EventProvider {
 public:
  Status provideEvents(std::shared_ptr<EventSink>, std::int32_t) override { return WBEM_S_NO_ERROR; }
};

}  // namespace

TEST_CASE("newQuery once per filter with a fresh id, cancelQuery with the same id (case 40)", "[providers]") {
  Fixture f;
  auto [first, sink1] = f.subscribeWithId("SELECT * FROM E WHERE N=1");
  auto [second, sink2] = f.subscribeWithId("SELECT * FROM E WHERE N=2");
  const auto queries = f.provider->newQueries();
  REQUIRE(queries.size() == 2);
  CHECK(queries[0].language == "WQL");
  CHECK(queries[0].query == "SELECT * FROM E WHERE N=1");
  CHECK(queries[1].query == "SELECT * FROM E WHERE N=2");
  CHECK(queries[0].id != queries[1].id);
  CHECK(f.provider->cancelled().empty());

  CHECK(f.service.cancel(first));
  CHECK(f.provider->cancelled() == std::vector<std::uint32_t>{queries[0].id});
  CHECK(f.service.cancel(second));
  CHECK(f.provider->cancelled() == std::vector<std::uint32_t>{queries[0].id, queries[1].id});
  CHECK(f.provider->newQueries().size() == 2);

  // A new filter after both went gets an id not used before.
  f.subscribe("SELECT * FROM E WHERE N=1");
  const auto again = f.provider->newQueries();
  REQUIRE(again.size() == 3);
  CHECK(again[2].id != queries[0].id);
  CHECK(again[2].id != queries[1].id);
}

TEST_CASE("a provider is initialised and activated only when a filter overlaps its registration (case 41)",
          "[providers]") {
  Fixture f;
  CHECK(f.provider->initializations() == 0);
  f.subscribe("SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA \"Rep\"");
  f.subscribe("SELECT * FROM __TimerEvent");
  CHECK(f.provider->activations() == 0);
  CHECK(f.provider->initializations() == 0);
  CHECK(f.service.statistics().activeProviders == 0);

  f.subscribe("SELECT * FROM E2");  // a subclass of what P registered overlaps it
  CHECK(f.provider->initializations() == 1);
  CHECK(f.provider->initNamespace() == "root\\test");
  CHECK(f.provider->initFlags() == 0);
  CHECK(f.provider->activations() == 1);
  CHECK(f.provider->provideFlags() == 0);
  CHECK(f.service.statistics().activeProviders == 1);

  // A second filter neither initialises nor activates it again.
  f.subscribe("SELECT * FROM E");
  CHECK(f.provider->initializations() == 1);
  CHECK(f.provider->activations() == 1);
}

TEST_CASE("the last filter going shuts the provider down and releases its sink", "[providers]") {
  Fixture f;
  auto [a, sinkA] = f.subscribeWithId("SELECT * FROM E WHERE N = 1");
  auto [b, sinkB] = f.subscribeWithId("SELECT * FROM E WHERE N = 2");
  auto providerSink = f.sink();
  CHECK(f.service.cancel(a));
  CHECK(f.provider->shutdowns() == 0);
  CHECK(providerSink->indicate(f.event("x", 2)) == WBEM_S_NO_ERROR);
  REQUIRE(f.service.waitIdle());
  CHECK(sinkB->events().size() == 1);

  CHECK(f.service.cancel(b));
  CHECK(f.provider->shutdowns() == 1);
  CHECK(providerSink->indicate(f.event("x", 2)) == WBEM_E_CALL_CANCELLED);
  CHECK(f.service.statistics().activeProviders == 0);

  // The next filter initialises and activates it again with a new sink.
  auto sinkC = f.subscribe("SELECT * FROM E");
  CHECK(f.provider->initializations() == 2);
  CHECK(f.provider->activations() == 2);
  REQUIRE(f.provider->sink() != providerSink);
  f.raise({f.event("again")});
  CHECK(texts(sinkC->events(), "S") == std::vector<std::string>{"again"});
}

TEST_CASE("initialization failures fail the subscription (case 42)", "[providers][init]") {
  SECTION("initialize() returns a failure without reporting") {
    Fixture f;
    f.provider->initReturns = WBEM_E_FAILED;
    f.provider->initReports = std::nullopt;
    auto sink = std::make_shared<RecordingSink>();
    CHECK_STATUS(WBEM_E_INITIALIZATION_FAILURE, f.service.subscribe("root\\test", "WQL", "SELECT * FROM E", sink));
    CHECK(f.provider->activations() == 0);
    CHECK(f.provider->sink() == nullptr);
    CHECK(f.service.statistics().subscriptions == 0);
    CHECK(sink->statuses().empty());
  }
  SECTION("initialize() reports a failure") {
    Fixture f;
    f.provider->initReports = WBEM_E_FAILED;
    CHECK_STATUS(WBEM_E_INITIALIZATION_FAILURE, f.subscribe("SELECT * FROM E"));
    CHECK(f.provider->activations() == 0);
  }
  SECTION("initialize() never reports") {
    EventServiceOptions options;
    options.providerInitTimeout = std::chrono::milliseconds(50);
    Fixture f(options);
    f.provider->initReports = std::nullopt;
    CHECK_STATUS(WBEM_E_PROVIDER_TIMED_OUT, f.subscribe("SELECT * FROM E"));
    CHECK(f.provider->activations() == 0);
    CHECK(f.service.statistics().subscriptions == 0);
    CHECK(f.provider->newQueries().empty());
  }
}

TEST_CASE("a provider may report its initialization from another thread", "[providers][init]") {
  // P's initialize() hands the sink to a thread that reports a little later.
  class LateInit : public TestProvider {
   public:
    ~LateInit() override {
      if (reporter.joinable()) reporter.join();
    }
    Status initialize(const ProviderInitContext&, std::shared_ptr<ProviderInitSink> sink) override {
      reporter = std::thread([sink] { sink->setStatus(WBEM_S_INITIALIZED, 0); });
      return WBEM_S_NO_ERROR;
    }
    std::thread reporter;
  };
  Fixture f({}, false);
  auto provider = std::make_shared<LateInit>();
  f.service.registerEventProvider("root\\test", "Late", {"SELECT * FROM E"}, provider);
  auto sink = f.subscribe("SELECT * FROM E");
  provider->reporter.join();
  CHECK(provider->activations() == 1);
  REQUIRE(provider->sink()->indicate(f.event("x")) == WBEM_S_NO_ERROR);
  REQUIRE(f.service.waitIdle());
  CHECK(sink->events().size() == 1);
}

TEST_CASE("accessCheck denial fails the subscription; the principal is null only for temporary ones (43, 44)",
          "[providers][security]") {
  Fixture f;
  f.provider->accessAnswer = WBEM_E_ACCESS_DENIED;
  auto sink = std::make_shared<RecordingSink>();
  CHECK_STATUS(WBEM_E_ACCESS_DENIED, f.service.subscribe("root\\test", "WQL", "SELECT * FROM E", sink));
  const Principal owner = adminPrincipal(777);
  CHECK_STATUS(WBEM_E_ACCESS_DENIED,
               f.service.subscribe("root\\test", "WQL", "SELECT * FROM E WHERE N = 1", sink, ownedBy(owner, true)));
  const auto checks = f.provider->accessChecks();
  REQUIRE(checks.size() == 2);
  CHECK(checks[0].query == "SELECT * FROM E");
  CHECK_FALSE(checks[0].principal.has_value());
  CHECK(checks[1].query == "SELECT * FROM E WHERE N = 1");
  REQUIRE(checks[1].principal.has_value());
  CHECK(*checks[1].principal == owner);
  CHECK(checks[1].principal->sid() == "uid:777");
  CHECK(f.provider->activations() == 0);
  CHECK(f.provider->initializations() == 0);
  CHECK(f.service.statistics().subscriptions == 0);
  CHECK(sink->statuses().empty());

  // Any failure status denies, and success lets the next one through.
  f.provider->accessAnswer = WBEM_S_NO_ERROR;
  CHECK_OK(f.subscribe("SELECT * FROM E"));
  CHECK(f.provider->activations() == 1);
}

TEST_CASE("an unrestricted sink is active while a filter overlaps the registration (decisions 4)",
          "[providers][sink]") {
  Fixture f;
  auto [id, consumer] = f.subscribeWithId("SELECT * FROM E WHERE N = 1");
  auto sink = f.sink();
  CHECK(sink->isActive() == WBEM_S_NO_ERROR);
  CHECK(f.service.cancel(id));
  CHECK(sink->isActive() == WBEM_S_FALSE);
}

TEST_CASE("a restricted sink is active only while a filter overlaps its queries and forwards only them (case 45)",
          "[providers][sink]") {
  Fixture f;
  auto ones = f.subscribe("SELECT * FROM E WHERE N = 1");
  auto restricted = f.sink()->getRestrictedSink({"SELECT * FROM E WHERE N = 7"});
  REQUIRE(restricted);
  CHECK(restricted->isActive() == WBEM_S_FALSE);
  CHECK(f.sink()->isActive() == WBEM_S_NO_ERROR);

  auto [sevenId, sevens] = f.subscribeWithId("SELECT * FROM E WHERE N = 7");
  CHECK(restricted->isActive() == WBEM_S_NO_ERROR);
  auto wide = f.subscribe("SELECT * FROM E");
  REQUIRE(restricted->indicate(std::vector<ClassObject>{f.event("a", 7), f.event("b", 3), f.event("c", 7)}) ==
          WBEM_S_NO_ERROR);
  REQUIRE(f.service.waitIdle());
  CHECK(texts(wide->events(), "S") == std::vector<std::string>{"a", "c"});
  CHECK(texts(sevens->events(), "S") == std::vector<std::string>{"a", "c"});
  CHECK(ones->events().empty());

  CHECK(f.service.cancel(sevenId));
  CHECK(restricted->isActive() == WBEM_S_NO_ERROR);  // SELECT * FROM E still wants N = 7
}

TEST_CASE("getRestrictedSink validates its queries", "[providers][sink]") {
  Fixture f;
  f.subscribe("SELECT * FROM E");
  auto sink = f.sink();
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, sink->getRestrictedSink({}));
  CHECK_STATUS(WBEM_E_INVALID_QUERY, sink->getRestrictedSink({"SELEC * FROM E"}));
  CHECK_STATUS(WBEM_E_INVALID_CLASS, sink->getRestrictedSink({"SELECT * FROM NoSuchClass"}));
}

TEST_CASE("setSinkSecurity: only consumers granted WBEM_RIGHT_SUBSCRIBE receive (case 46)", "[providers][security]") {
  Fixture f;
  auto admin = f.subscribe("SELECT * FROM E", ownedBy(adminPrincipal()));
  auto user = f.subscribe("SELECT * FROM E", ownedBy(userPrincipal()));
  f.raise({f.event("before")});
  f.sink()->setSinkSecurity(SecurityDescriptor::parse("O:BAG:BAD:(A;;0x40;;;BA)"));
  f.raise({f.event("after")});
  CHECK(texts(admin->events(), "S") == std::vector<std::string>{"before", "after"});
  CHECK(texts(user->events(), "S") == std::vector<std::string>{"before"});
  CHECK(user->statuses().empty());

  // A descriptor naming the user by uid lets it in again.
  f.sink()->setSinkSecurity(SecurityDescriptor::parse("D:(A;;0x40;;;uid:5002)"));
  f.raise({f.event("uid")});
  CHECK(texts(user->events(), "S") == std::vector<std::string>{"before", "uid"});
  CHECK(texts(admin->events(), "S") == std::vector<std::string>{"before", "after"});

  // A change applies to events indicated after it, even when earlier ones still wait for the
  // dispatcher: the descriptor is taken when the event is indicated.
  for (int i = 0; i < 3; ++i) {
    REQUIRE(f.sink()->indicate(f.event("open" + std::to_string(i))) == WBEM_S_NO_ERROR);
    f.sink()->setSinkSecurity(SecurityDescriptor::parse("D:(A;;0x40;;;BA)"));
    REQUIRE(f.sink()->indicate(f.event("closed")) == WBEM_S_NO_ERROR);
    f.sink()->setSinkSecurity(SecurityDescriptor::parse("D:(A;;0x40;;;WD)"));
  }
  REQUIRE(f.service.waitIdle());
  CHECK(texts(user->events(), "S") == std::vector<std::string>{"before", "uid", "open0", "open1", "open2"});
}

TEST_CASE("per-event SECURITY_DESCRIPTOR decides only with subjectToSds (case 47)", "[providers][security]") {
  Fixture f;
  auto admin = f.subscribe("SELECT * FROM E", ownedBy(adminPrincipal()));
  auto user = f.subscribe("SELECT * FROM E", ownedBy(userPrincipal()));
  ClassObject protectedEvent = f.event("admins only");
  protectedEvent.put("SECURITY_DESCRIPTOR", descriptorValue("O:BAG:BAD:(A;;0x40;;;BA)"));
  ClassObject open = f.event("everyone");
  REQUIRE(f.sink()->indicate(std::vector<ClassObject>{protectedEvent, open}, true) == WBEM_S_NO_ERROR);
  REQUIRE(f.service.waitIdle());
  CHECK(texts(user->events(), "S") == std::vector<std::string>{"everyone"});
  CHECK(texts(admin->events(), "S") == std::vector<std::string>{"admins only", "everyone"});

  // Without subjectToSds the descriptor is only data.
  f.raise({protectedEvent});
  CHECK(texts(user->events(), "S") == std::vector<std::string>{"everyone", "admins only"});
}

TEST_CASE("EventAccess: a filter receives what every identity the event is raised as may publish",
          "[providers][security]") {
  Fixture f;
  auto publishableBy = [](std::string_view sddl) {
    SubscriptionOptions options;
    options.eventAccess = SecurityDescriptor::parse(sddl);
    return options;
  };
  auto open = f.subscribe("SELECT * FROM E");
  auto alices = f.subscribe("SELECT * FROM E", publishableBy("D:(A;;0x80;;;uid:5002)"));
  auto admins = f.subscribe("SELECT * FROM E", publishableBy("D:(A;;0x80;;;BA)"));

  // P was bound with the process's own identity, which the service trusts, and its sink names no
  // owner: its events pass every EventAccess.
  f.raise({f.event("service")});
  // The owner of the sink's descriptor is whom the events are raised as.
  f.sink()->setSinkSecurity(SecurityDescriptor::parse("O:uid:5002"));
  f.raise({f.event("as alice")});
  f.sink()->setSinkSecurity(SecurityDescriptor::parse("O:BA"));
  f.raise({f.event("as administrators")});
  CHECK(texts(open->events(), "S") == std::vector<std::string>{"service", "as alice", "as administrators"});
  CHECK(texts(alices->events(), "S") == std::vector<std::string>{"service", "as alice"});
  CHECK(texts(admins->events(), "S") == std::vector<std::string>{"service", "as administrators"});

  // A provider bound by uid 5003 raises as uid 5003 whatever owner its sink claims.
  f.service.setNamespaceSecurity("root\\test", SecurityDescriptor::parse("D:(A;;GA;;;WD)"));
  auto mallory = std::make_shared<TestProvider>();
  {
    const Impersonation asMallory(userPrincipal(5003));
    f.service.registerEventProvider("root\\test", "Q", {"SELECT * FROM E2"}, mallory);
  }
  auto mallorys = f.subscribe("SELECT * FROM E2", publishableBy("D:(A;;0x80;;;uid:5003)"));
  REQUIRE(mallory->sink());
  REQUIRE(mallory->sink()->indicate(f.event("from mallory", 0, false, "E2")) == WBEM_S_NO_ERROR);
  mallory->sink()->setSinkSecurity(SecurityDescriptor::parse("O:uid:5002"));
  REQUIRE(mallory->sink()->indicate(f.event("mallory as alice", 0, false, "E2")) == WBEM_S_NO_ERROR);
  REQUIRE(f.service.waitIdle());
  CHECK(texts(open->events(), "S") ==
        std::vector<std::string>{"service", "as alice", "as administrators", "from mallory", "mallory as alice"});
  CHECK(texts(alices->events(), "S") == std::vector<std::string>{"service", "as alice"});
  CHECK(texts(mallorys->events(), "S") == std::vector<std::string>{"from mallory"});
}

TEST_CASE("bad registration queries are ignored while the others work (cases 48, 49)", "[providers][registration]") {
  Fixture f({}, false);
  f.service.registerEventProvider(
      "root\\test", "P",
      {"SELECT * FROM NoSuchClass", "SELEC * FROM E", "SELECT * FROM Plain", "SELECT * FROM E WHERE N = 1"},
      f.provider);
  auto sink = f.subscribe("SELECT * FROM E WHERE N = 1");
  CHECK(f.provider->activations() == 1);
  f.raise({f.event("x", 1)});
  CHECK(texts(sink->events(), "S") == std::vector<std::string>{"x"});

  // Case 49: a registration for a subset of Dyn's instances is ignored, so Dyn still has no
  // event provider and an intrinsic query without WITHIN is refused.
  auto subset = std::make_shared<SilentProvider>();
  f.service.registerEventProvider(
      "root\\test", "Subset",
      {"SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA \"Dyn\" AND TargetInstance.K = \"a\""}, subset);
  CHECK_STATUS(WBEMESS_E_REGISTRATION_TOO_PRECISE,
               f.subscribe("SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA \"Dyn\""));

  // A registration for every instance of Dyn is taken: the query is now served by a provider.
  auto whole = std::make_shared<TestProvider>();
  f.service.registerEventProvider("root\\test", "Whole",
                                  {"SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA \"Dyn\""}, whole);
  CHECK_OK(f.subscribe("SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA \"Dyn\""));
  CHECK(whole->activations() == 1);
}

TEST_CASE("a registration for instance events of a repository class is ignored (too broad)",
          "[providers][registration]") {
  Fixture f({}, false);
  f.service.registerEventProvider(
      "root\\test", "P", {"SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA \"Rep\""}, f.provider);
  auto sink = f.subscribe("SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA \"Rep\"");
  CHECK(f.provider->activations() == 0);
  f.ns.putInstance(f.rep("a"));
  REQUIRE(f.service.waitIdle());
  CHECK(sink->events().size() == 1);  // the service raises it itself
}

TEST_CASE("an intrinsic query on a dynamic class needs WITHIN (decisions 1)", "[providers][registration]") {
  Fixture f;
  f.service.addInstanceProvider("root\\test", "DynProv", std::make_shared<DynProvider>());
  const auto error =
      errorOf([&] { f.subscribe("SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA \"Dyn\""); });
  CHECK(error.status() == WBEMESS_E_REGISTRATION_TOO_PRECISE);
  CHECK(static_cast<std::uint32_t>(error.status()) == 0x80042002u);
  CHECK(f.service.statistics().subscriptions == 0);
  CHECK_OK(f.subscribe("SELECT * FROM __InstanceModificationEvent WITHIN 5 WHERE TargetInstance ISA \"Dyn\""));
}

TEST_CASE("setBatchingParameters: MUST_NOT_BATCH delivers one event per call; bad flags are refused (decisions 3)",
          "[providers][sink]") {
  Fixture f;
  auto gate = f.gate();
  auto consumer = std::make_shared<RecordingSink>(gate);
  f.subscribeWithId("SELECT * FROM E", {}, consumer);
  auto sink = f.sink();
  CHECK(sink->setBatchingParameters(7, 0, WBEM_INFINITE) == WBEM_E_INVALID_PARAMETER);
  CHECK(sink->setBatchingParameters(-1, 0, 0) == WBEM_E_INVALID_PARAMETER);
  CHECK(sink->setBatchingParameters(WBEM_FLAG_MUST_BATCH, 0, WBEM_INFINITE) == WBEM_E_INVALID_PARAMETER);
  REQUIRE(sink->setBatchingParameters(WBEM_FLAG_MUST_NOT_BATCH, 0, 0) == WBEM_S_NO_ERROR);

  // The consumer blocks in its first call while the other events queue up behind it.
  std::vector<ClassObject> events;
  for (std::int32_t n = 0; n < 10; ++n) events.push_back(f.event("x", n));
  REQUIRE(sink->indicate(events) == WBEM_S_NO_ERROR);
  REQUIRE(gate->waitForWaiter());
  gate->open();
  REQUIRE(f.service.waitIdle());
  CHECK(consumer->calls() == std::vector<std::size_t>(10, 1));
  CHECK(texts(consumer->events(), "N") == std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"});
}

TEST_CASE("setBatchingParameters: MUST_BATCH holds events until the latency bound, then delivers them together",
          "[providers][sink]") {
  Fixture f;
  auto consumer = f.subscribe("SELECT * FROM E");
  auto sink = f.sink();
  REQUIRE(sink->setBatchingParameters(WBEM_FLAG_MUST_BATCH, 1u << 20, 1000) == WBEM_S_NO_ERROR);
  for (std::int32_t n = 0; n < 3; ++n) REQUIRE(sink->indicate(f.event("held", n)) == WBEM_S_NO_ERROR);
  // Held: nothing is delivered while the (manual) clock stands still.
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  CHECK(consumer->events().empty());
  f.clock->advance(std::chrono::milliseconds(1000));
  REQUIRE(f.service.waitIdle());
  CHECK(consumer->calls() == std::vector<std::size_t>{3});
  CHECK(texts(consumer->events(), "N") == std::vector<std::string>{"0", "1", "2"});
}

TEST_CASE("setBatchingParameters: MUST_BATCH releases a batch when it reaches maxBufferSize", "[providers][sink]") {
  Fixture f;
  auto consumer = f.subscribe("SELECT * FROM E");
  auto sink = f.sink();
  REQUIRE(sink->setBatchingParameters(WBEM_FLAG_MUST_BATCH, 1, WBEM_INFINITE) == WBEM_S_NO_ERROR);
  REQUIRE(sink->indicate(f.event("full")) == WBEM_S_NO_ERROR);  // any event fills a 1-byte buffer
  REQUIRE(f.service.waitIdle());
  CHECK(texts(consumer->events(), "S") == std::vector<std::string>{"full"});
}

TEST_CASE("indicate refuses objects that are not event instances", "[providers][sink]") {
  Fixture f;
  auto consumer = f.subscribe("SELECT * FROM E");
  auto sink = f.sink();
  ClassObject plain = f.ns.getClass("Plain")->spawnInstance();
  plain.put("K", Value("k"));
  CHECK(sink->indicate(plain) == WBEM_E_INVALID_PARAMETER);
  CHECK(sink->indicate(*f.ns.getClass("E")) == WBEM_E_INVALID_PARAMETER);
  // One bad object refuses the whole call.
  CHECK(sink->indicate(std::vector<ClassObject>{f.event("ok"), plain}) == WBEM_E_INVALID_PARAMETER);
  REQUIRE(f.service.waitIdle());
  CHECK(consumer->events().empty());
  CHECK(f.service.statistics().indicated == 0);
}

TEST_CASE("an indicate larger than the ingest limit is refused whole with WBEM_E_SERVER_TOO_BUSY",
          "[providers][sink]") {
  EventServiceOptions options;
  options.ingestQueueLimit = 4;
  Fixture f(options);
  auto consumer = f.subscribe("SELECT * FROM E");
  std::vector<ClassObject> five;
  for (std::int32_t n = 0; n < 5; ++n) five.push_back(f.event("x", n));
  CHECK(f.sink()->indicate(five) == WBEM_E_SERVER_TOO_BUSY);
  REQUIRE(f.service.waitIdle());
  CHECK(consumer->events().empty());
  CHECK(f.service.statistics().rejectedBusy == 5);
  CHECK(f.service.statistics().indicated == 0);

  five.pop_back();
  f.raise(five);  // four fit
  CHECK(consumer->events().size() == 4);
  CHECK(f.service.statistics().indicated == 4);
}

TEST_CASE("setStatus from a provider is ignored", "[providers][sink]") {
  Fixture f;
  auto consumer = f.subscribe("SELECT * FROM E");
  CHECK(f.sink()->setStatus(WBEM_STATUS_COMPLETE, WBEM_E_FAILED) == WBEM_S_NO_ERROR);
  f.raise({f.event("still")});
  CHECK(consumer->events().size() == 1);
  CHECK(consumer->statuses().empty());
}

TEST_CASE("removeEventProvider shuts the provider down; its subscriptions stay", "[providers]") {
  Fixture f;
  auto consumer = f.subscribe("SELECT * FROM E");
  auto sink = f.sink();
  f.service.removeEventProvider("root\\test", "P");
  CHECK(f.provider->shutdowns() == 1);
  CHECK(sink->indicate(f.event("gone")) == WBEM_E_CALL_CANCELLED);
  CHECK(f.service.statistics().subscriptions == 1);
  CHECK(consumer->statuses().empty());
}
