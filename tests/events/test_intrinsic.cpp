// Tests of intrinsic events through the service: instance events of repository classes, WITHIN
// polling of a dynamic class's instance provider on the ManualClock, class and namespace events
// (spec 12.C 25-35, decisions.md 1 and 2).

#include <wbem/event_service.hpp>
#include <wbem/objectpath.hpp>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "event_fixture.hpp"
#include "support.hpp"

using namespace wbem;
using namespace wbemtest;

namespace {

// The value of `property` of each event's embedded `object` as text ("NULL" for NULL).
std::vector<std::string> embeddedTexts(const std::vector<ObjectPtr>& events, std::string_view object,
                                       std::string_view property) {
  std::vector<std::string> out;
  for (const ObjectPtr& e : events) {
    const Value v = embedded(e, object).get(property);
    out.push_back(v.isNull() ? "NULL" : v.toText());
  }
  return out;
}

// The fixture with DynProv bound as the instance provider of Dyn.
struct PollFixture : Fixture {
  std::shared_ptr<DynProvider> dynProvider = std::make_shared<DynProvider>();
  PollFixture() { service.addInstanceProvider("root\\test", "DynProv", dynProvider); }
};

}  // namespace

TEST_CASE("creating a repository instance raises __InstanceCreationEvent (case 25)", "[intrinsic]") {
  Fixture f;
  auto sink = f.subscribe("SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA \"Rep\"");
  f.ns.putInstance(f.rep("a", 1));
  REQUIRE(f.service.waitIdle());
  const auto events = sink->events();
  REQUIRE(events.size() == 1);
  CHECK(events[0]->className() == "__InstanceCreationEvent");
  CHECK(embedded(events[0], "TargetInstance").get("K").asString() == "a");
  CHECK(embedded(events[0], "TargetInstance").className() == "Rep");
  CHECK(events[0]->get("TIME_CREATED").asUInt64() != 0);
}

TEST_CASE("modifying one carries PreviousInstance and TargetInstance (case 26)", "[intrinsic]") {
  Fixture f;
  f.ns.putInstance(f.rep("a", 1));
  auto sink = f.subscribe("SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA \"Rep\"");
  f.ns.putInstance(f.rep("a", 2));
  REQUIRE(f.service.waitIdle());
  const auto events = sink->events();
  REQUIRE(events.size() == 1);
  CHECK(embedded(events[0], "PreviousInstance").get("V").asUInt64() == 1);
  CHECK(embedded(events[0], "TargetInstance").get("V").asUInt64() == 2);
}

TEST_CASE("deleting one raises __InstanceDeletionEvent (case 27)", "[intrinsic]") {
  Fixture f;
  f.ns.putInstance(f.rep("a", 1));
  auto sink = f.subscribe("SELECT * FROM __InstanceDeletionEvent WHERE TargetInstance ISA \"Rep\"");
  f.ns.deleteInstance(ObjectPath::parse("Rep.K=\"a\""));
  REQUIRE(f.service.waitIdle());
  CHECK(embeddedTexts(sink->events(), "TargetInstance", "K") == std::vector<std::string>{"a"});
  CHECK(embeddedTexts(sink->events(), "TargetInstance", "V") == std::vector<std::string>{"1"});
}

TEST_CASE("__InstanceOperationEvent sees create, modify and delete in order (case 28)", "[intrinsic]") {
  Fixture f;
  auto sink = f.subscribe("SELECT * FROM __InstanceOperationEvent WHERE TargetInstance ISA \"Rep\"");
  auto creations = f.subscribe("SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA \"Rep\"");
  f.ns.putInstance(f.rep("a", 1));
  f.ns.putInstance(f.rep("a", 2));
  f.ns.deleteInstance(ObjectPath::parse("Rep.K=\"a\""));
  REQUIRE(f.service.waitIdle());
  CHECK(classNames(sink->events()) ==
        std::vector<std::string>{"__InstanceCreationEvent", "__InstanceModificationEvent", "__InstanceDeletionEvent"});
  CHECK(embeddedTexts(sink->events(), "TargetInstance", "V") == std::vector<std::string>{"1", "2", "2"});
  CHECK(classNames(creations->events()) == std::vector<std::string>{"__InstanceCreationEvent"});
}

TEST_CASE("ISA includes a subclass created after the subscription (case 29)", "[intrinsic]") {
  Fixture f;
  auto sink = f.subscribe("SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA \"Rep\"");
  auto exact = f.subscribe("SELECT * FROM __InstanceCreationEvent WHERE TargetInstance.__CLASS = \"Rep\"");
  f.ns.putClass(f.ns.getClass("Rep")->spawnDerivedClass("RepChild"));
  f.ns.putInstance(f.rep("c", 3, "RepChild"));
  f.ns.putInstance(f.rep("r", 4));
  REQUIRE(f.service.waitIdle());
  CHECK(embeddedTexts(sink->events(), "TargetInstance", "K") == std::vector<std::string>{"c", "r"});
  CHECK(embeddedTexts(sink->events(), "TargetInstance", "__CLASS") == std::vector<std::string>{"RepChild", "Rep"});
  CHECK(embeddedTexts(exact->events(), "TargetInstance", "K") == std::vector<std::string>{"r"});
}

TEST_CASE("a WHERE on TargetInstance properties filters instance events", "[intrinsic]") {
  Fixture f;
  auto sink = f.subscribe(
      "SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA \"Rep\" AND PreviousInstance.V > 4 AND "
      "TargetInstance.V != 3");
  for (std::uint32_t v : {5u, 7u, 3u, 100u}) f.ns.putInstance(f.rep("a", v));
  REQUIRE(f.service.waitIdle());
  CHECK(embeddedTexts(sink->events(), "TargetInstance", "V") == std::vector<std::string>{"7"});
}

TEST_CASE("WITHIN polls a dynamic class's instance provider on the clock (case 30)", "[intrinsic][poll]") {
  PollFixture f;
  f.dynProvider->set({f.dyn("old", 1)});
  auto creations = f.subscribe("SELECT * FROM __InstanceCreationEvent WITHIN 2 WHERE TargetInstance ISA \"Dyn\"");
  auto modifications =
      f.subscribe("SELECT * FROM __InstanceModificationEvent WITHIN 2 WHERE TargetInstance ISA \"Dyn\"");
  auto deletions = f.subscribe("SELECT * FROM __InstanceDeletionEvent WITHIN 2 WHERE TargetInstance ISA \"Dyn\"");
  const int baseline = f.dynProvider->enumerations();
  CHECK(baseline == 1);  // one snapshot for the class, however many filters poll it

  f.dynProvider->set({f.dyn("old", 1), f.dyn("new", 2)});
  f.advance(1s);
  CHECK(creations->events().empty());
  CHECK(f.dynProvider->enumerations() == baseline);
  f.advance(1s);
  CHECK(f.dynProvider->enumerations() == baseline + 1);
  CHECK(embeddedTexts(creations->events(), "TargetInstance", "K") == std::vector<std::string>{"new"});
  CHECK(modifications->events().empty());
  CHECK(deletions->events().empty());

  f.dynProvider->set({f.dyn("new", 3)});
  f.advance(2s);
  CHECK(creations->events().size() == 1);
  CHECK(embeddedTexts(modifications->events(), "TargetInstance", "V") == std::vector<std::string>{"3"});
  CHECK(embeddedTexts(modifications->events(), "PreviousInstance", "V") == std::vector<std::string>{"2"});
  CHECK(embeddedTexts(deletions->events(), "TargetInstance", "K") == std::vector<std::string>{"old"});
}

TEST_CASE("an instance that comes and goes between two polls raises nothing (case 31)", "[intrinsic][poll]") {
  PollFixture f;
  auto sink = f.subscribe("SELECT * FROM __InstanceOperationEvent WITHIN 2 WHERE TargetInstance ISA \"Dyn\"");
  f.dynProvider->set({f.dyn("brief")});
  f.advance(500ms);
  f.dynProvider->set({});
  f.advance(1500ms);
  f.advance(2s);
  CHECK(f.dynProvider->enumerations() == 3);
  CHECK(sink->events().empty());
}

TEST_CASE("polling stops when the last polling filter goes", "[intrinsic][poll]") {
  PollFixture f;
  auto [a, sinkA] =
      f.subscribeWithId("SELECT * FROM __InstanceCreationEvent WITHIN 2 WHERE TargetInstance ISA \"Dyn\"");
  auto [b, sinkB] =
      f.subscribeWithId("SELECT * FROM __InstanceCreationEvent WITHIN 4 WHERE TargetInstance ISA \"Dyn\"");
  f.advance(2s);
  CHECK(f.dynProvider->enumerations() == 2);  // the snapshot, then every 2 s (the smaller interval)
  CHECK(f.service.cancel(a));
  CHECK(f.service.cancel(b));
  f.advance(4s);
  CHECK(f.dynProvider->enumerations() == 2);
}

TEST_CASE("WITHIN below the minimum polling interval is an invalid query (case 33, decisions 2)", "[intrinsic][poll]") {
  PollFixture f;
  CHECK_STATUS(WBEM_E_INVALID_QUERY,
               f.subscribe("SELECT * FROM __InstanceModificationEvent WITHIN 0.001 WHERE TargetInstance ISA \"Dyn\""));
  CHECK(f.dynProvider->enumerations() == 0);
  CHECK_OK(f.subscribe("SELECT * FROM __InstanceModificationEvent WITHIN 0.5 WHERE TargetInstance ISA \"Dyn\""));
}

TEST_CASE("class creation and modification events (case 34)", "[intrinsic][class]") {
  Fixture f;
  auto created = f.subscribe("SELECT * FROM __ClassCreationEvent");
  auto modified = f.subscribe("SELECT * FROM __ClassModificationEvent WHERE TargetClass.__CLASS = \"NewC\"");
  auto deleted = f.subscribe("SELECT * FROM __ClassDeletionEvent");
  ClassObject cls = ClassObject::createClass("NewC");
  cls.putProperty("A", scalarType(CimType::UInt32));
  f.ns.putClass(cls);
  cls.putProperty("B", scalarType(CimType::String));
  f.ns.putClass(cls);
  f.ns.deleteClass("NewC");
  REQUIRE(f.service.waitIdle());

  REQUIRE(created->events().size() == 1);
  CHECK(embedded(created->events()[0], "TargetClass").className() == "NewC");
  CHECK(embeddedTexts(created->events(), "TargetClass", "__CLASS") == std::vector<std::string>{"NewC"});

  const auto modifications = modified->events();
  REQUIRE(modifications.size() == 1);
  CHECK(embedded(modifications[0], "TargetClass").hasProperty("B"));
  CHECK_FALSE(embedded(modifications[0], "PreviousClass").hasProperty("B"));
  CHECK(embedded(modifications[0], "PreviousClass").hasProperty("A"));

  CHECK(embeddedTexts(deleted->events(), "TargetClass", "__CLASS") == std::vector<std::string>{"NewC"});
}

TEST_CASE("createNamespace raises __NamespaceCreationEvent in the parent (case 35)", "[intrinsic][namespace]") {
  Fixture f;
  auto sink = f.subscribe("SELECT * FROM __NamespaceCreationEvent");
  auto rootSink = std::make_shared<RecordingSink>();
  f.service.subscribe("root", "WQL", "SELECT * FROM __NamespaceCreationEvent", rootSink);
  f.service.createNamespace("root\\test\\kid");
  REQUIRE(f.service.waitIdle());
  const auto events = sink->events();
  REQUIRE(events.size() == 1);
  CHECK(embedded(events[0], "TargetNamespace").get("Name").asString() == "kid");
  CHECK(rootSink->events().empty());

  f.service.createNamespace("root/other");
  REQUIRE(f.service.waitIdle());
  CHECK(embeddedTexts(rootSink->events(), "TargetNamespace", "Name") == std::vector<std::string>{"other"});
  CHECK(sink->events().size() == 1);
  CHECK_STATUS(WBEM_E_ALREADY_EXISTS, f.service.createNamespace("root\\test\\kid"));
  CHECK_STATUS(WBEM_E_INVALID_NAMESPACE, f.service.createNamespace("root\\missing\\kid"));
}

TEST_CASE("changes in the new namespace raise events there", "[intrinsic][namespace]") {
  Fixture f;
  Namespace& kid = f.service.createNamespace("root\\test\\kid");
  auto sink = std::make_shared<RecordingSink>();
  f.service.subscribe("root\\test\\kid", "WQL", "SELECT * FROM __ClassCreationEvent", sink);
  auto parent = f.subscribe("SELECT * FROM __ClassCreationEvent");
  kid.putClass(ClassObject::createClass("KidClass"));
  REQUIRE(f.service.waitIdle());
  CHECK(embeddedTexts(sink->events(), "TargetClass", "__CLASS") == std::vector<std::string>{"KidClass"});
  CHECK(parent->events().empty());
}
