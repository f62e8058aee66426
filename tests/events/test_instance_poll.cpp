// Tests of wbem::detail::InstancePoll: the intrinsic events WITHIN polling of an instance provider
// makes from the difference between two enumerations (spec 2.3 P1-P6, cases 30 and 31).

#include <wbem/classobject.hpp>
#include <wbem/namespace.hpp>
#include <wbem/value.hpp>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "instance_poll.hpp"
#include "support.hpp"

using namespace wbem;
using wbem::detail::InstancePoll;

namespace {

constexpr std::int32_t kToSubclass = WBEM_FLAVOR_FLAG_PROPAGATE_TO_DERIVED_CLASS;

// Dyn {[key] string K; uint32 V;} and DynChild : Dyn {string Extra;}, the dynamic classes of the
// spec's polling cases.
void storeClasses(Namespace& ns) {
  ClassObject dyn = ClassObject::createClass("Dyn");
  dyn.putProperty("K", scalarType(CimType::String));
  dyn.putPropertyQualifier("K", "Key", Value(true), kToSubclass);
  dyn.putProperty("V", scalarType(CimType::UInt32));
  ns.putClass(dyn);
  ClassObject child = ns.getClass("Dyn")->spawnDerivedClass("DynChild");
  child.putProperty("Extra", scalarType(CimType::String));
  ns.putClass(child);
}

ObjectPtr dyn(const Namespace& ns, std::string_view key, std::uint32_t v, std::string_view cls = "Dyn") {
  ClassObject i = ns.getClass(cls)->spawnInstance();
  i.put("K", Value(key));
  i.put("V", Value(v));
  return share(std::move(i));
}

using Poll = std::vector<ObjectPtr>;

const ClassObject& embedded(const ClassObject& event, std::string_view property) {
  return *event.get(property).asObject();
}

// "Class K" per event, e.g. "__InstanceCreationEvent b", for comparing whole results at once.
std::vector<std::string> summary(const std::vector<ClassObject>& events) {
  std::vector<std::string> out;
  for (const ClassObject& e : events)
    out.push_back(e.className() + " " + embedded(e, "TargetInstance").get("K").asString());
  return out;
}

}  // namespace

TEST_CASE("The first poll only records the snapshot", "[poll]") {
  Namespace ns("root\\test");
  storeClasses(ns);
  InstancePoll poll;
  CHECK(poll.size() == 0);
  CHECK(poll.update({dyn(ns, "a", 1), dyn(ns, "b", 2)}, ns).empty());
  CHECK(poll.size() == 2);
  CHECK(poll.update({dyn(ns, "a", 1), dyn(ns, "b", 2)}, ns).empty());

  SECTION("an empty first poll is a baseline too") {
    InstancePoll empty;
    CHECK(empty.update({}, ns).empty());
    const std::vector<ClassObject> events = empty.update({dyn(ns, "a", 1)}, ns);
    CHECK(summary(events) == std::vector<std::string>{"__InstanceCreationEvent a"});
  }
}

TEST_CASE("A new instance makes an __InstanceCreationEvent (case 30)", "[poll]") {
  Namespace ns("root\\test");
  storeClasses(ns);
  InstancePoll poll;
  poll.update({dyn(ns, "a", 1)}, ns);
  const ObjectPtr b = dyn(ns, "b", 7);
  const std::vector<ClassObject> events = poll.update({dyn(ns, "a", 1), b}, ns);

  REQUIRE(events.size() == 1);
  const ClassObject& e = events.front();
  CHECK(e.isInstance());
  CHECK(e.get("__CLASS") == Value("__InstanceCreationEvent"));
  CHECK(e.inheritsFrom("__InstanceOperationEvent"));
  CHECK(embedded(e, "TargetInstance").get("K") == Value("b"));
  CHECK(embedded(e, "TargetInstance").get("V") == Value(std::uint32_t{7}));
  CHECK(embedded(e, "TargetInstance").get("__CLASS") == Value("Dyn"));
  CHECK(e.get("TargetInstance").asObject() == b);  // the polled snapshot itself, not a copy
  CHECK_FALSE(e.hasProperty("PreviousInstance"));
  CHECK(e.get("TIME_CREATED").isNull());  // the sink stamps it
  CHECK(poll.size() == 2);
}

TEST_CASE("A changed instance makes an __InstanceModificationEvent", "[poll]") {
  Namespace ns("root\\test");
  storeClasses(ns);
  InstancePoll poll;
  poll.update({dyn(ns, "a", 1), dyn(ns, "b", 1)}, ns);
  const std::vector<ClassObject> events = poll.update({dyn(ns, "a", 2), dyn(ns, "b", 1)}, ns);

  REQUIRE(events.size() == 1);
  const ClassObject& e = events.front();
  CHECK(e.get("__CLASS") == Value("__InstanceModificationEvent"));
  CHECK(embedded(e, "PreviousInstance").get("K") == Value("a"));
  CHECK(embedded(e, "PreviousInstance").get("V") == Value(std::uint32_t{1}));
  CHECK(embedded(e, "TargetInstance").get("K") == Value("a"));
  CHECK(embedded(e, "TargetInstance").get("V") == Value(std::uint32_t{2}));
  CHECK(e.get("TIME_CREATED").isNull());

  SECTION("the next poll compares with the new version") {
    CHECK(poll.update({dyn(ns, "a", 2), dyn(ns, "b", 1)}, ns).empty());
    const std::vector<ClassObject> again = poll.update({dyn(ns, "a", 3), dyn(ns, "b", 1)}, ns);
    REQUIRE(again.size() == 1);
    CHECK(embedded(again.front(), "PreviousInstance").get("V") == Value(std::uint32_t{2}));
    CHECK(embedded(again.front(), "TargetInstance").get("V") == Value(std::uint32_t{3}));
  }
  SECTION("a property set to NULL is a change") {
    ClassObject cleared = *dyn(ns, "a", 2);
    cleared.put("V", Value());
    const std::vector<ClassObject> again = poll.update({share(cleared), dyn(ns, "b", 1)}, ns);
    REQUIRE(again.size() == 1);
    CHECK(embedded(again.front(), "TargetInstance").get("V").isNull());
  }
}

TEST_CASE("A vanished instance makes an __InstanceDeletionEvent with the old copy", "[poll]") {
  Namespace ns("root\\test");
  storeClasses(ns);
  InstancePoll poll;
  const ObjectPtr old = dyn(ns, "a", 5);
  poll.update({old, dyn(ns, "b", 1)}, ns);
  const std::vector<ClassObject> events = poll.update({dyn(ns, "b", 1)}, ns);

  REQUIRE(events.size() == 1);
  const ClassObject& e = events.front();
  CHECK(e.get("__CLASS") == Value("__InstanceDeletionEvent"));
  CHECK(embedded(e, "TargetInstance").get("K") == Value("a"));
  CHECK(embedded(e, "TargetInstance").get("V") == Value(std::uint32_t{5}));
  CHECK(e.get("TargetInstance").asObject() == old);
  CHECK_FALSE(e.hasProperty("PreviousInstance"));
  CHECK(poll.size() == 1);

  SECTION("everything gone") {
    const std::vector<ClassObject> rest = poll.update({}, ns);
    CHECK(summary(rest) == std::vector<std::string>{"__InstanceDeletionEvent b"});
    CHECK(poll.size() == 0);
  }
}

TEST_CASE("An unchanged instance makes no event", "[poll]") {
  Namespace ns("root\\test");
  storeClasses(ns);
  InstancePoll poll;
  const ObjectPtr a = dyn(ns, "a", 1);
  poll.update({a}, ns);

  SECTION("the same snapshot again") { CHECK(poll.update({a}, ns).empty()); }
  SECTION("an equal, separately built instance") { CHECK(poll.update({dyn(ns, "a", 1)}, ns).empty()); }
  SECTION("the same values from another server and namespace") {
    ClassObject moved = *dyn(ns, "a", 1);
    moved.setOrigin("otherhost", "root\\elsewhere");
    CHECK(poll.update({share(moved)}, ns).empty());
  }
}

TEST_CASE("An instance that appears and disappears between polls makes no event (case 31)", "[poll]") {
  Namespace ns("root\\test");
  storeClasses(ns);
  InstancePoll poll;
  poll.update({dyn(ns, "a", 1)}, ns);
  // The provider served "b" for 0.5 s between the polls; neither poll saw it.
  CHECK(poll.update({dyn(ns, "a", 1)}, ns).empty());
  // Likewise a modification undone before the next poll.
  CHECK(poll.update({dyn(ns, "a", 1)}, ns).empty());
  CHECK(poll.size() == 1);
}

TEST_CASE("Events come as deletions, modifications, creations, each sorted by path", "[poll]") {
  Namespace ns("root\\test");
  storeClasses(ns);
  InstancePoll poll;
  poll.update({dyn(ns, "x", 1), dyn(ns, "d", 1), dyn(ns, "m", 1), dyn(ns, "b", 1), dyn(ns, "keep", 1)}, ns);

  Poll current{dyn(ns, "z", 1), dyn(ns, "m", 2), dyn(ns, "keep", 1), dyn(ns, "a", 1), dyn(ns, "x", 5), dyn(ns, "c", 1)};
  const std::vector<std::string> expected{"__InstanceDeletionEvent b",     "__InstanceDeletionEvent d",
                                          "__InstanceModificationEvent m", "__InstanceModificationEvent x",
                                          "__InstanceCreationEvent a",     "__InstanceCreationEvent c",
                                          "__InstanceCreationEvent z"};

  SECTION("in enumeration order") { CHECK(summary(poll.update(current, ns)) == expected); }
  SECTION("in reverse enumeration order") {
    std::reverse(current.begin(), current.end());
    CHECK(summary(poll.update(current, ns)) == expected);
  }
}

TEST_CASE("Instances are matched by their relative path", "[poll]") {
  Namespace ns("root\\test");
  storeClasses(ns);
  InstancePoll poll;

  SECTION("instances without a path, null pointers and classes are ignored") {
    ClassObject keyless = ns.getClass("Dyn")->spawnInstance();  // K NULL: no path
    keyless.put("V", Value(std::uint32_t{9}));
    poll.update({dyn(ns, "a", 1), share(keyless), nullptr, ns.getClass("Dyn")}, ns);
    CHECK(poll.size() == 1);
    CHECK(poll.update({dyn(ns, "a", 1)}, ns).empty());
    CHECK(poll.update({dyn(ns, "a", 1), share(keyless)}, ns).empty());
  }
  SECTION("of duplicate paths the first wins") {
    poll.update({dyn(ns, "a", 1), dyn(ns, "a", 2)}, ns);
    CHECK(poll.size() == 1);
    CHECK(poll.update({dyn(ns, "a", 1)}, ns).empty());
  }
  SECTION("key values differing only in case name the same instance, as in WMI paths") {
    poll.update({dyn(ns, "abc", 1)}, ns);
    const std::vector<ClassObject> events = poll.update({dyn(ns, "ABC", 1)}, ns);
    REQUIRE(events.size() == 1);
    CHECK(events.front().className() == "__InstanceModificationEvent");
    CHECK(embedded(events.front(), "PreviousInstance").get("K") == Value("abc"));
    CHECK(embedded(events.front(), "TargetInstance").get("K") == Value("ABC"));
  }
  SECTION("an instance of a subclass is its own path") {
    poll.update({dyn(ns, "a", 1)}, ns);
    const std::vector<ClassObject> events = poll.update({dyn(ns, "a", 1), dyn(ns, "c", 1, "DynChild")}, ns);
    REQUIRE(events.size() == 1);
    CHECK(events.front().className() == "__InstanceCreationEvent");
    CHECK(embedded(events.front(), "TargetInstance").get("__CLASS") == Value("DynChild"));
    CHECK(embedded(events.front(), "TargetInstance").get("__RELPATH") == Value("DynChild.K=\"c\""));
  }
}

TEST_CASE("memoryUsage follows the remembered snapshot", "[poll]") {
  Namespace ns("root\\test");
  storeClasses(ns);
  InstancePoll poll;
  CHECK(poll.memoryUsage() == 0);

  poll.update({dyn(ns, "a", 1)}, ns);
  const std::size_t one = poll.memoryUsage();
  CHECK(one >= 2 * sizeof(Value));  // Dyn has two properties

  poll.update({dyn(ns, "a", 1), dyn(ns, "b", 1), dyn(ns, "c", 1)}, ns);
  const std::size_t three = poll.memoryUsage();
  CHECK(three >= 3 * 2 * sizeof(Value));
  CHECK(three > 2 * one);

  poll.update({dyn(ns, "a", 1), dyn(ns, "b", 1), dyn(ns, std::string(1000, 'c'), 1)}, ns);
  CHECK(poll.memoryUsage() >= three + 999);  // a long key string counts (in value and path)

  poll.update({dyn(ns, "a", 1)}, ns);
  CHECK(poll.memoryUsage() == one);
  poll.update({}, ns);
  CHECK(poll.memoryUsage() == 0);
}
