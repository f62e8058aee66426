// Tests of wbem::Namespace: system classes, PutClass/DeleteClass/enumeration, static instances,
// ExecMethod through in-process method providers, and concurrent access.

#include "support.hpp"

#include <wbem/classobject.hpp>
#include <wbem/namespace.hpp>
#include <wbem/objectpath.hpp>
#include <wbem/status.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace wbem;

namespace {

using Names = std::vector<std::string>;
constexpr std::int32_t kToSubclass = WBEM_FLAVOR_FLAG_PROPAGATE_TO_DERIVED_CLASS;

Names namesOf(const std::vector<ObjectPtr>& objects) {
  Names out;
  for (const ObjectPtr& o : objects) out.push_back(o->className());
  return out;
}

// Base (key Name) -> Mid (Size) -> Leaf (Extra); Other is a separate root.
ClassObject baseClass() {
  ClassObject c = ClassObject::createClass("Base");
  c.putProperty("Name", scalarType(CimType::String));
  c.putPropertyQualifier("Name", "Key", Value(true), kToSubclass);
  c.putProperty("Count", scalarType(CimType::UInt32), Value(std::uint32_t{1}));
  return c;
}

void storeHierarchy(Namespace& ns) {
  const ClassObject base = baseClass();
  ns.putClass(base);
  ClassObject mid = ns.getClass("Base")->spawnDerivedClass("Mid");
  mid.putProperty("Size", scalarType(CimType::UInt64));
  ns.putClass(mid);
  ClassObject leaf = ns.getClass("Mid")->spawnDerivedClass("Leaf");
  leaf.putProperty("Extra", scalarType(CimType::String));
  ns.putClass(leaf);
  ns.putClass(ClassObject::createClass("Other"));
}

ClassObject instanceOf(const Namespace& ns, std::string_view cls, std::string_view name) {
  ClassObject i = ns.getClass(cls)->spawnInstance();
  i.put("Name", Value(name));
  return i;
}

// --- a method provider for the ExecMethod tests -----------------------------------------------------

struct RecordedCall {
  std::string target;
  std::string method;
  std::string implementingClass;
};

class TestProvider : public MethodProvider {
 public:
  void execMethod(const MethodCall& call, ClassObject& out) override {
    {
      std::lock_guard lock(mutex_);
      calls_.push_back({call.target.relativePath(), std::string(call.method), std::string(call.implementingClass)});
    }
    if (call.method == "Add") {
      const std::int64_t a = call.inParameters.get("A").asInt64();
      const std::int64_t b = call.inParameters.get("B").asInt64();
      out.put("Sum", Value(static_cast<std::int32_t>(a + b)));
      out.put("ReturnValue", Value(std::uint32_t{0}));
      const Value note = call.inParameters.get("Note");
      out.put("Echo", note.isNull() ? Value("none") : note);
    } else if (call.method == "Stat") {
      out.put("ReturnValue", Value(std::uint32_t{42}));
    } else if (call.method == "Boom") {
      throw std::runtime_error("kaboom");
    } else if (call.method == "Deny") {
      throw Error(WBEM_E_ACCESS_DENIED, "not you");
    }
  }
  std::vector<RecordedCall> calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<RecordedCall> calls_;
};

ClassObject params() { return ClassObject::parametersClass(); }

QualifierSet quals(std::initializer_list<const char*> trueOnes) {
  QualifierSet q;
  for (const char* n : trueOnes) q.put(n, Value(true), kToSubclass);
  return q;
}

// Svc [Provider("TestProv")] with key Name and methods:
//   [Implemented] uint32 Add([in] sint32 A, [in] sint32 B, [in, Optional] string Note,
//                            [out] sint32 Sum, [out] string Echo)
//   [Implemented, Static] uint32 Stat();  [Implemented, Disabled] void Off();  void NotImpl();
//   [Implemented] void Boom();  [Implemented] void Deny();
ClassObject serviceClass() {
  ClassObject svc = ClassObject::createClass("Svc");
  svc.putQualifier("Provider", Value("TestProv"), kToSubclass);
  svc.putProperty("Name", scalarType(CimType::String));
  svc.putPropertyQualifier("Name", "Key", Value(true), kToSubclass);

  ClassObject in = params();
  in.putProperty("A", scalarType(CimType::SInt32));
  in.putProperty("B", scalarType(CimType::SInt32));
  in.putProperty("Note", scalarType(CimType::String));
  in.putPropertyQualifier("Note", "Optional", Value(true));
  ClassObject out = params();
  out.putProperty("ReturnValue", scalarType(CimType::UInt32));
  out.putProperty("Sum", scalarType(CimType::SInt32));
  out.putProperty("Echo", scalarType(CimType::String));
  svc.putMethod("Add", &in, &out, quals({"Implemented"}));

  ClassObject ret = params();
  ret.putProperty("ReturnValue", scalarType(CimType::UInt32));
  svc.putMethod("Stat", nullptr, &ret, quals({"Implemented", "Static"}));
  svc.putMethod("Off", nullptr, nullptr, quals({"Implemented", "Disabled"}));
  svc.putMethod("NotImpl", nullptr, nullptr);
  svc.putMethod("Boom", nullptr, nullptr, quals({"Implemented"}));
  svc.putMethod("Deny", nullptr, nullptr, quals({"Implemented"}));
  return svc;
}

// A namespace with Svc, a provider registered as TestProv, and the in-parameters of Add.
struct ServiceFixture {
  Namespace ns{"root/svc"};
  std::shared_ptr<TestProvider> provider = std::make_shared<TestProvider>();
  ObjectPath target = ObjectPath::parse("Svc.Name=\"one\"");

  ServiceFixture() {
    ns.putClass(serviceClass());
    ns.registerMethodProvider("TestProv", provider);
  }
  ClassObject addParams(std::int32_t a, std::int32_t b) const {
    ClassObject in = ns.getClass("Svc")->getMethod("Add").inSignature->spawnInstance();
    in.put("A", Value(a));
    in.put("B", Value(b));
    return in;
  }
};

}  // namespace

// --- system classes -------------------------------------------------------------------------------

TEST_CASE("a namespace holds the system classes, found case-insensitively", "[namespace]") {
  Namespace ns("root\\cimv2");
  CHECK(ns.name() == "root\\cimv2");
  CHECK(Namespace("/root/cimv2/").name() == "root\\cimv2");
  CHECK_STATUS(WBEM_E_INVALID_NAMESPACE, Namespace(""));

  for (const char* name : {"__SystemClass", "__Event", "__ExtrinsicEvent", "__InstanceCreationEvent",
                           "__InstanceModificationEvent", "__EventFilter", "__EventConsumer",
                           "__FilterToConsumerBinding", "__TimerEvent", "__IntervalTimerInstruction",
                           "__PARAMETERS", "__ArbitratorConfiguration", "__AggregateEvent"}) {
    INFO(name);
    REQUIRE(ns.findClass(name));
    CHECK(ns.findClass(name)->className() == name);
    CHECK(ns.findClass(lowerName(name)) == ns.findClass(name));
  }
  CHECK(ns.getClass("__EVENT")->className() == "__Event");
  CHECK(ns.findClass("Nope") == nullptr);
  CHECK_STATUS(WBEM_E_NOT_FOUND, ns.getClass("Nope"));
  CHECK(ns.getClass("__InstanceCreationEvent")->get("__DERIVATION") ==
        Value(CimType::String, ValueArray{Value("__InstanceOperationEvent"), Value("__Event"),
                                          Value("__IndicationRelated"), Value("__SystemClass")}));
  CHECK(ns.getClass("__Event")->get("__NAMESPACE") == Value("root\\cimv2"));
  CHECK(ns.classInheritsFrom("__TimerEvent", "__event"));
  CHECK(ns.classInheritsFrom("__TimerEvent", "__TimerEvent"));
  CHECK_FALSE(ns.classInheritsFrom("__TimerEvent", "__EventFilter"));
  CHECK_FALSE(ns.classInheritsFrom("Nope", "__Event"));
  CHECK_FALSE(ns.classInheritsFrom("__TimerEvent", "Nope"));
  CHECK(ns.enumClasses().size() == systemClasses().size());
}

TEST_CASE("system classes cannot be changed or deleted", "[namespace]") {
  Namespace ns("root");
  ClassObject copy = *ns.getClass("__EventFilter");
  copy.putProperty("Mine", scalarType(CimType::String));
  CHECK_STATUS(WBEM_E_ACCESS_DENIED, ns.putClass(copy));
  CHECK_STATUS(WBEM_E_ACCESS_DENIED, ns.putClass(ClassObject::createClass("__MyOwn")));
  CHECK_STATUS(WBEM_E_ACCESS_DENIED, ns.deleteClass("__EventFilter"));
  CHECK_FALSE(ns.getClass("__EventFilter")->hasProperty("Mine"));
  // Classes may derive from system classes.
  CHECK_OK(ns.putClass(ns.getClass("__ExtrinsicEvent")->spawnDerivedClass("MyEvent")));
  CHECK(ns.classInheritsFrom("MyEvent", "__Event"));
}

// --- putClass -------------------------------------------------------------------------------------

TEST_CASE("putClass stores classes whose superclass exists", "[namespace][putclass]") {
  Namespace ns("root");
  const ClassObject mid = baseClass().spawnDerivedClass("Mid");
  CHECK_STATUS(WBEM_E_INVALID_SUPERCLASS, ns.putClass(mid));
  CHECK(ns.findClass("Mid") == nullptr);

  const ObjectPtr stored = ns.putClass(baseClass());
  REQUIRE(stored);
  CHECK(stored->className() == "Base");
  CHECK(stored->get("__NAMESPACE") == Value("root"));
  CHECK(ns.getClass("base") == stored);
  CHECK_OK(ns.putClass(mid));
  CHECK(ns.getClass("Mid")->superclassName() == "Base");

  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, ns.putClass(baseClass().spawnInstance()));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, ns.putClass(baseClass(), 0x3));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, ns.putClass(baseClass(), 0x100));
}

TEST_CASE("putClass CREATE_ONLY and UPDATE_ONLY", "[namespace][putclass]") {
  Namespace ns("root");
  CHECK_STATUS(WBEM_E_NOT_FOUND, ns.putClass(baseClass(), WBEM_FLAG_UPDATE_ONLY));
  CHECK(ns.findClass("Base") == nullptr);
  CHECK_OK(ns.putClass(baseClass(), WBEM_FLAG_CREATE_ONLY));
  CHECK_STATUS(WBEM_E_ALREADY_EXISTS, ns.putClass(baseClass(), WBEM_FLAG_CREATE_ONLY));
  ClassObject changed = baseClass();
  changed.putProperty("New", scalarType(CimType::SInt32));
  CHECK_OK(ns.putClass(changed, WBEM_FLAG_UPDATE_ONLY));
  CHECK(ns.getClass("Base")->hasProperty("New"));
}

TEST_CASE("updating a class with subclasses or instances is refused; unchanged re-put is a no-op",
          "[namespace][putclass]") {
  Namespace ns("root");
  const ObjectPtr first = ns.putClass(baseClass());
  // Unchanged: the stored object is returned as it is.
  CHECK(ns.putClass(baseClass()) == first);

  ClassObject changed = baseClass();
  changed.put("Count", Value(std::uint32_t{2}));

  SECTION("with a subclass") {
    ns.putClass(ns.getClass("Base")->spawnDerivedClass("Child"));
    CHECK_STATUS(WBEM_E_CLASS_HAS_CHILDREN, ns.putClass(changed));
    CHECK(ns.putClass(baseClass()) == first);  // unchanged is still fine
  }
  SECTION("with an instance") {
    ns.putInstance(instanceOf(ns, "Base", "x"));
    CHECK_STATUS(WBEM_E_CLASS_HAS_INSTANCES, ns.putClass(changed));
    CHECK(ns.putClass(baseClass()) == first);
  }
  CHECK(ns.getClass("Base")->get("Count") == Value(std::uint32_t{1}));
}

TEST_CASE("a class built from another copy of its superclass is rebased on the stored one", "[namespace][putclass]") {
  Namespace ns("root");
  // The stored Base has a property the free copy does not.
  ClassObject storedBase = baseClass();
  storedBase.putProperty("Version", scalarType(CimType::UInt32), Value(std::uint32_t{7}));
  storedBase.putQualifier("Description", Value("stored base"), kToSubclass);
  ns.putClass(storedBase);

  ClassObject child = baseClass().spawnDerivedClass("Child");
  child.putProperty("Own", scalarType(CimType::String), Value("o"));
  child.put("Count", Value(std::uint32_t{5}));  // a local default of an inherited property
  child.putQualifier("Mine", Value(true));
  const ObjectPtr stored = ns.putClass(child);

  Names props;
  for (const PropertyDef& p : stored->definition().properties()) props.push_back(p.name);
  CHECK(props == Names{"Name", "Count", "Version", "Own"});
  CHECK(stored->get("Version") == Value(std::uint32_t{7}));
  CHECK(stored->get("Count") == Value(std::uint32_t{5}));
  CHECK(stored->getPropertyOrigin("Version") == "Base");
  CHECK(stored->getPropertyOrigin("Own") == "Child");
  CHECK(stored->getQualifierSet().get("Description") == Value("stored base"));
  CHECK(stored->getQualifierSet().isTrue("Mine"));
  CHECK(stored->definition().keySlots() == std::vector<PropertySlot>{0});

  // A type conflict with the stored superclass is refused.
  ClassObject conflicting = ClassObject::createClass("Base");
  conflicting.putProperty("Name", scalarType(CimType::SInt32));
  ClassObject bad = conflicting.spawnDerivedClass("Bad");
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, ns.putClass(bad));
}

TEST_CASE("deleteClass removes the class, its subclasses and their instances", "[namespace][deleteclass]") {
  Namespace ns("root");
  storeHierarchy(ns);
  ns.putInstance(instanceOf(ns, "Mid", "m"));
  ns.putInstance(instanceOf(ns, "Leaf", "l"));
  ns.putInstance(instanceOf(ns, "Base", "b"));
  CHECK(ns.enumInstances("Base").size() == 3);

  CHECK_OK(ns.deleteClass("MID"));
  CHECK(ns.findClass("Mid") == nullptr);
  CHECK(ns.findClass("Leaf") == nullptr);
  CHECK(ns.findClass("Base") != nullptr);
  CHECK(namesOf(ns.enumInstances("Base")) == Names{"Base"});
  CHECK_STATUS(WBEM_E_INVALID_CLASS, ns.getInstance(ObjectPath::parse("Leaf.Name=\"l\"")));
  CHECK_STATUS(WBEM_E_NOT_FOUND, ns.getInstance(ObjectPath::parse("Base.Name=\"l\"")));
  CHECK_STATUS(WBEM_E_NOT_FOUND, ns.deleteClass("Mid"));
  // Re-creating the class does not bring the instances back.
  ns.putClass(ns.getClass("Base")->spawnDerivedClass("Mid"));
  CHECK(ns.enumInstances("Mid").empty());
}

TEST_CASE("enumClasses deep and shallow, sorted by name", "[namespace][enum]") {
  Namespace ns("root");
  storeHierarchy(ns);
  ns.putClass(ns.getClass("Base")->spawnDerivedClass("AnotherChild"));
  CHECK(namesOf(ns.enumClasses("Base", true)) == Names{"AnotherChild", "Leaf", "Mid"});
  CHECK(namesOf(ns.enumClasses("base", false)) == Names{"AnotherChild", "Mid"});
  CHECK(namesOf(ns.enumClasses("Mid", false)) == Names{"Leaf"});
  CHECK(ns.enumClasses("Leaf", true).empty());
  const Names roots = namesOf(ns.enumClasses({}, false));
  CHECK(std::find(roots.begin(), roots.end(), "Base") != roots.end());
  CHECK(std::find(roots.begin(), roots.end(), "Other") != roots.end());
  CHECK(std::find(roots.begin(), roots.end(), "Mid") == roots.end());
  const Names all = namesOf(ns.enumClasses());
  CHECK(all.size() == systemClasses().size() + 5);
  CHECK(std::is_sorted(all.begin(), all.end(), [](const std::string& a, const std::string& b) { return icompare(a, b) < 0; }));
  CHECK_STATUS(WBEM_E_INVALID_CLASS, ns.enumClasses("Nope"));
  const Names events = namesOf(ns.enumClasses("__InstanceOperationEvent", false));
  CHECK(events == Names{"__InstanceCreationEvent", "__InstanceDeletionEvent", "__InstanceModificationEvent",
                        "__MethodInvocationEvent"});
}

// --- instances ------------------------------------------------------------------------------------

TEST_CASE("putInstance checks the class, abstractness and keys", "[namespace][instances]") {
  Namespace ns("root");
  storeHierarchy(ns);

  ClassObject unknown = ClassObject::createClass("Unknown");
  unknown.putProperty("K", scalarType(CimType::String));
  unknown.putPropertyQualifier("K", "key", Value(true));
  ClassObject ui = unknown.spawnInstance();
  ui.put("K", Value("k"));
  CHECK_STATUS(WBEM_E_INVALID_CLASS, ns.putInstance(ui));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, ns.putInstance(*ns.getClass("Base")));

  ClassObject abstractClass = baseClass();
  abstractClass.put("__CLASS", Value("Abs"));
  abstractClass.putQualifier("Abstract", Value(true));
  ns.putClass(abstractClass);
  CHECK_STATUS(WBEM_E_INVALID_OPERATION, ns.putInstance(instanceOf(ns, "Abs", "a")));
  // A subclass of an abstract class is concrete.
  ns.putClass(ns.getClass("Abs")->spawnDerivedClass("Concrete"));
  CHECK_OK(ns.putInstance(instanceOf(ns, "Concrete", "c")));

  CHECK_STATUS(WBEM_E_ILLEGAL_NULL, ns.putInstance(ns.getClass("Base")->spawnInstance()));
  CHECK_THAT(wbemtest::messageOf([&] { ns.putInstance(ns.getClass("Base")->spawnInstance()); }),
             Catch::Matchers::Contains("Name"));
  CHECK_STATUS(WBEM_E_NO_KEY, ns.putInstance(ns.getClass("Other")->spawnInstance()));

  // A singleton needs no key.
  ClassObject single = ClassObject::createClass("Single");
  single.putQualifier("Singleton", Value(true));
  single.putProperty("V", scalarType(CimType::SInt32));
  ns.putClass(single);
  const ObjectPath sp = ns.putInstance(ns.getClass("Single")->spawnInstance());
  CHECK(sp.relativePath() == "Single=@");
  CHECK(ns.getInstance(ObjectPath::parse("Single=@"))->className() == "Single");

  // A property the stored class lacks.
  ClassObject wider = baseClass();
  wider.putProperty("Extra", scalarType(CimType::SInt32));
  ClassObject wi = wider.spawnInstance();
  wi.put("Name", Value("w"));
  CHECK_STATUS(WBEM_E_INVALID_PROPERTY, ns.putInstance(wi));
  CHECK(ns.enumInstances("Base", false).empty());
}

TEST_CASE("putInstance CREATE_ONLY / UPDATE_ONLY and the returned path", "[namespace][instances]") {
  Namespace ns("root/inst");
  storeHierarchy(ns);
  ClassObject i = instanceOf(ns, "Base", "x");
  i.put("Count", Value(std::uint32_t{10}));

  CHECK_STATUS(WBEM_E_NOT_FOUND, ns.putInstance(i, WBEM_FLAG_UPDATE_ONLY));
  ObjectPath path;
  REQUIRE_OK(path = ns.putInstance(i, WBEM_FLAG_CREATE_ONLY));
  CHECK(path.className() == "Base");
  CHECK(path.namespacePath() == "root\\inst");
  CHECK_FALSE(path.server().empty());
  CHECK(path.relativePath() == "Base.Name=\"x\"");
  CHECK(path.toString() == "\\\\" + path.server() + "\\root\\inst:Base.Name=\"x\"");
  CHECK_STATUS(WBEM_E_ALREADY_EXISTS, ns.putInstance(i, WBEM_FLAG_CREATE_ONLY));

  i.put("Count", Value(std::uint32_t{11}));
  CHECK_OK(ns.putInstance(i, WBEM_FLAG_UPDATE_ONLY));
  CHECK(ns.getInstance(path)->get("Count") == Value(std::uint32_t{11}));
  i.put("Count", Value(std::uint32_t{12}));
  CHECK_OK(ns.putInstance(i));
  CHECK(ns.getInstance(path)->get("Count") == Value(std::uint32_t{12}));
  CHECK(ns.enumInstances("Base").size() == 1);
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, ns.putInstance(i, 0x4));

  // The stored instance is a snapshot: changing ours later does not change it.
  i.put("Count", Value(std::uint32_t{99}));
  CHECK(ns.getInstance(path)->get("Count") == Value(std::uint32_t{12}));
  CHECK(ns.getInstance(path)->get("__PATH") == Value(path.toString()));
}

TEST_CASE("getInstance: through a superclass path, case-insensitive keys, any key order", "[namespace][instances]") {
  Namespace ns("root");
  storeHierarchy(ns);
  ClassObject leaf = instanceOf(ns, "Leaf", "MixedCase");
  leaf.put("Extra", Value("e"));
  ns.putInstance(leaf);

  const ObjectPtr direct = ns.getInstance(ObjectPath::parse("Leaf.Name=\"MixedCase\""));
  CHECK(direct->className() == "Leaf");
  CHECK(direct->get("Extra") == Value("e"));
  CHECK(ns.getInstance(ObjectPath::parse("Base.Name=\"MixedCase\"")) == direct);
  CHECK(ns.getInstance(ObjectPath::parse("Mid.Name=\"MixedCase\"")) == direct);
  CHECK(ns.getInstance(ObjectPath::parse("Leaf.Name=\"mixedcase\"")) == direct);
  CHECK(ns.getInstance(ObjectPath::parse("leaf.name=\"MIXEDCASE\"")) == direct);
  CHECK(ns.getInstance(ObjectPath::parse("\\\\elsewhere\\root:Leaf.Name=\"MixedCase\"")) == direct);
  CHECK_STATUS(WBEM_E_NOT_FOUND, ns.getInstance(ObjectPath::parse("Leaf.Name=\"Other\"")));
  CHECK_STATUS(WBEM_E_NOT_FOUND, ns.getInstance(ObjectPath::parse("Other.Name=\"MixedCase\"")));
  CHECK_STATUS(WBEM_E_INVALID_CLASS, ns.getInstance(ObjectPath::parse("Nope.Name=\"MixedCase\"")));

  // A class with two keys: a path may list them in any order.
  ClassObject pair = ClassObject::createClass("Pair");
  pair.putProperty("Zed", scalarType(CimType::SInt32));
  pair.putProperty("Alpha", scalarType(CimType::String));
  pair.putPropertyQualifier("Zed", "Key", Value(true));
  pair.putPropertyQualifier("Alpha", "Key", Value(true));
  ns.putClass(pair);
  ClassObject p = ns.getClass("Pair")->spawnInstance();
  p.put("Zed", Value(std::int32_t{3}));
  p.put("Alpha", Value("a"));
  CHECK(ns.putInstance(p).relativePath() == "Pair.Alpha=\"a\",Zed=3");
  CHECK(ns.getInstance(ObjectPath::parse("Pair.Alpha=\"a\",Zed=3"))->className() == "Pair");
  CHECK_OK(ns.getInstance(ObjectPath::parse("Pair.Zed=3,Alpha=\"a\"")));
  CHECK_OK(ns.deleteInstance(ObjectPath::parse("Pair.Zed=3,Alpha=\"A\"")));
  CHECK(ns.enumInstances("Pair").empty());
}

TEST_CASE("deleteInstance and enumInstances deep/shallow", "[namespace][instances]") {
  Namespace ns("root");
  storeHierarchy(ns);
  ns.putInstance(instanceOf(ns, "Base", "b1"));
  ns.putInstance(instanceOf(ns, "Base", "b2"));
  ns.putInstance(instanceOf(ns, "Mid", "m1"));
  ns.putInstance(instanceOf(ns, "Leaf", "l1"));

  const auto sortedNames = [](const std::vector<ObjectPtr>& v) {
    Names n;
    for (const ObjectPtr& o : v) n.push_back(o->get("Name").asString());
    std::sort(n.begin(), n.end());
    return n;
  };
  CHECK(sortedNames(ns.enumInstances("Base")) == Names{"b1", "b2", "l1", "m1"});
  CHECK(sortedNames(ns.enumInstances("BASE", false)) == Names{"b1", "b2"});
  CHECK(sortedNames(ns.enumInstances("Mid", true)) == Names{"l1", "m1"});
  CHECK(sortedNames(ns.enumInstances("Mid", false)) == Names{"m1"});
  CHECK(ns.enumInstances("Other").empty());
  CHECK_STATUS(WBEM_E_INVALID_CLASS, ns.enumInstances("Nope"));

  CHECK_OK(ns.deleteInstance(ObjectPath::parse("Base.Name=\"l1\"")));  // through the superclass
  CHECK(sortedNames(ns.enumInstances("Base")) == Names{"b1", "b2", "m1"});
  CHECK_STATUS(WBEM_E_NOT_FOUND, ns.deleteInstance(ObjectPath::parse("Base.Name=\"l1\"")));
  CHECK_STATUS(WBEM_E_NOT_FOUND, ns.deleteInstance(ObjectPath::parse("Leaf.Name=\"b1\"")));  // not a Leaf
  CHECK_STATUS(WBEM_E_INVALID_CLASS, ns.deleteInstance(ObjectPath::parse("Nope.Name=\"b1\"")));
  CHECK_OK(ns.deleteInstance(ObjectPath::parse("Base.Name=\"B1\"")));
  CHECK(sortedNames(ns.enumInstances("Base")) == Names{"b2", "m1"});
}

// --- execMethod -----------------------------------------------------------------------------------

TEST_CASE("execMethod runs the provider with checked in-parameters and returns out-parameters", "[namespace][exec]") {
  ServiceFixture f;
  const ClassObject in = f.addParams(2, 40);
  ClassObject out = params();
  REQUIRE_OK(out = f.ns.execMethod(f.target, "Add", &in));
  CHECK(out.isInstance());
  CHECK(out.className() == "__PARAMETERS");
  CHECK(out.get("ReturnValue") == Value(std::uint32_t{0}));
  CHECK(out.get("Sum") == Value(std::int32_t{42}));
  CHECK(out.get("Echo") == Value("none"));  // Optional and absent
  const auto calls = f.provider->calls();
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].target == "Svc.Name=\"one\"");
  CHECK(calls[0].method == "Add");
  CHECK(calls[0].implementingClass == "Svc");

  // The method name is found case-insensitively and reported as declared.
  ClassObject in2 = f.addParams(1, 1);
  in2.put("Note", Value("hi"));
  out = f.ns.execMethod(f.target, "ADD", &in2);
  CHECK(out.get("Echo") == Value("hi"));
  CHECK(f.provider->calls().back().method == "Add");

  // In-parameters are converted to the declared types.
  ClassObject loose = params();
  loose.putProperty("A", scalarType(CimType::UInt8));
  loose.putProperty("B", scalarType(CimType::SInt64));
  ClassObject li = loose.spawnInstance();
  li.put("A", Value(std::uint8_t{7}));
  li.put("B", Value(std::int64_t{8}));
  CHECK(f.ns.execMethod(f.target, "Add", &li).get("Sum") == Value(std::int32_t{15}));
}

TEST_CASE("execMethod refuses missing, unknown and mistyped in-parameters", "[namespace][exec]") {
  ServiceFixture f;
  ClassObject missing = f.ns.getClass("Svc")->getMethod("Add").inSignature->spawnInstance();
  missing.put("A", Value(std::int32_t{1}));
  CHECK_STATUS(WBEM_E_INVALID_METHOD_PARAMETERS, f.ns.execMethod(f.target, "Add", &missing));
  CHECK_THAT(wbemtest::messageOf([&] { f.ns.execMethod(f.target, "Add", &missing); }),
             Catch::Matchers::Contains("B"));
  CHECK_STATUS(WBEM_E_INVALID_METHOD_PARAMETERS, f.ns.execMethod(f.target, "Add", nullptr));

  ClassObject unknownSig = params();
  unknownSig.putProperty("A", scalarType(CimType::SInt32));
  unknownSig.putProperty("B", scalarType(CimType::SInt32));
  unknownSig.putProperty("Zzz", scalarType(CimType::SInt32));
  ClassObject unknown = unknownSig.spawnInstance();
  unknown.put("A", Value(1));
  unknown.put("B", Value(2));
  unknown.put("Zzz", Value(3));
  CHECK_STATUS(WBEM_E_INVALID_METHOD_PARAMETERS, f.ns.execMethod(f.target, "Add", &unknown));
  CHECK_THAT(wbemtest::messageOf([&] { f.ns.execMethod(f.target, "Add", &unknown); }),
             Catch::Matchers::Contains("Zzz"));
  unknown.put("Zzz", Value());  // an unknown parameter left NULL is ignored
  CHECK_OK(f.ns.execMethod(f.target, "Add", &unknown));

  ClassObject wrongSig = params();
  wrongSig.putProperty("A", scalarType(CimType::String));
  wrongSig.putProperty("B", scalarType(CimType::SInt32));
  ClassObject wrong = wrongSig.spawnInstance();
  wrong.put("A", Value("abc"));
  wrong.put("B", Value(2));
  CHECK_STATUS(WBEM_E_INVALID_METHOD_PARAMETERS, f.ns.execMethod(f.target, "Add", &wrong));
  ClassObject bigSig = params();
  bigSig.putProperty("A", scalarType(CimType::SInt64));
  bigSig.putProperty("B", scalarType(CimType::SInt32));
  ClassObject big = bigSig.spawnInstance();
  big.put("A", Value(std::int64_t{1} << 40));
  big.put("B", Value(2));
  CHECK_STATUS(WBEM_E_INVALID_METHOD_PARAMETERS, f.ns.execMethod(f.target, "Add", &big));
  // None of the refused calls reached the provider.
  CHECK(f.provider->calls().size() == 1);
}

TEST_CASE("execMethod: unknown method, disabled, not implemented, static", "[namespace][exec]") {
  ServiceFixture f;
  CHECK_STATUS(WBEM_E_INVALID_METHOD, f.ns.execMethod(f.target, "Nope", nullptr));
  CHECK_STATUS(WBEM_E_INVALID_CLASS, f.ns.execMethod(ObjectPath::parse("NoClass.Name=\"x\""), "Add", nullptr));
  CHECK_STATUS(WBEM_E_METHOD_DISABLED, f.ns.execMethod(f.target, "Off", nullptr));
  CHECK_STATUS(WBEM_E_METHOD_NOT_IMPLEMENTED, f.ns.execMethod(f.target, "NotImpl", nullptr));

  // A static method on the class path; a non-static one is refused there.
  const ObjectPath classPath = ObjectPath::forClass("Svc");
  ClassObject out = params();
  REQUIRE_OK(out = f.ns.execMethod(classPath, "Stat", nullptr));
  CHECK(out.get("ReturnValue") == Value(std::uint32_t{42}));
  CHECK(f.provider->calls().back().target == "Svc");
  const ClassObject in = f.addParams(1, 2);
  CHECK_STATUS(WBEM_E_INVALID_METHOD, f.ns.execMethod(classPath, "Add", &in));
  // A static method may be called on an instance too.
  CHECK_OK(f.ns.execMethod(f.target, "Stat", nullptr));

  // A void method returns an empty __PARAMETERS instance.
  ClassObject voidOut = params();
  ClassObject svc = *f.ns.getClass("Svc");
  svc.putMethod("Nothing", nullptr, nullptr, quals({"Implemented"}));
  f.ns.putClass(svc);
  REQUIRE_OK(voidOut = f.ns.execMethod(f.target, "Nothing", nullptr));
  CHECK(voidOut.className() == "__PARAMETERS");
  CHECK(voidOut.isInstance());
  CHECK(voidOut.getNames(WBEM_FLAG_NONSYSTEM_ONLY).empty());
}

TEST_CASE("execMethod: providers missing or failing", "[namespace][exec]") {
  ServiceFixture f;
  CHECK_STATUS(WBEM_E_PROVIDER_FAILURE, f.ns.execMethod(f.target, "Boom", nullptr));
  CHECK_THAT(wbemtest::messageOf([&] { f.ns.execMethod(f.target, "Boom", nullptr); }),
             Catch::Matchers::Contains("kaboom") && Catch::Matchers::Contains("Boom"));
  // A wbem::Error from the provider passes through unchanged.
  CHECK_STATUS(WBEM_E_ACCESS_DENIED, f.ns.execMethod(f.target, "Deny", nullptr));

  f.ns.unregisterMethodProvider("testprov");
  CHECK_STATUS(WBEM_E_NOT_FOUND, f.ns.unregisterMethodProvider("TestProv"));
  const ClassObject in = f.addParams(1, 2);
  CHECK_STATUS(WBEM_E_PROVIDER_NOT_FOUND, f.ns.execMethod(f.target, "Add", &in));
  f.ns.registerMethodProvider("TESTPROV", f.provider);
  CHECK_OK(f.ns.execMethod(f.target, "Add", &in));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, f.ns.registerMethodProvider("", f.provider));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, f.ns.registerMethodProvider("X", nullptr));

  // A class that names no provider.
  ClassObject orphan = ClassObject::createClass("Orphan");
  orphan.putMethod("Go", nullptr, nullptr, quals({"Implemented"}));
  f.ns.putClass(orphan);
  CHECK_STATUS(WBEM_E_PROVIDER_NOT_FOUND, f.ns.execMethod(ObjectPath::parse("Orphan=@"), "Go", nullptr));
}

TEST_CASE("Implemented: a redeclaration without it runs the parent's implementation", "[namespace][exec]") {
  ServiceFixture f;
  auto other = std::make_shared<TestProvider>();
  f.ns.registerMethodProvider("OtherProv", other);
  const ObjectPtr svcPtr = f.ns.getClass("Svc");
  const ClassObject& svc = *svcPtr;
  const MethodDef& add = svc.getMethod("Add");

  // Child redeclares Add without [Implemented] (adding a qualifier).
  ClassObject child = svc.spawnDerivedClass("Child");
  QualifierSet q;
  q.put("Description", Value("child add"));
  child.putMethod("Add", add.inSignature.get(), add.outSignature.get(), q);
  REQUIRE(child.getMethodQualifierSet("Add").find("Implemented"));
  CHECK(child.getMethodQualifierSet("Add").find("Implemented")->isPropagated());
  f.ns.putClass(child);
  const ClassObject in = f.addParams(3, 4);
  ClassObject out = params();
  REQUIRE_OK(out = f.ns.execMethod(ObjectPath::parse("Child.Name=\"c\""), "Add", &in));
  CHECK(out.get("Sum") == Value(std::int32_t{7}));
  CHECK(f.provider->calls().back().implementingClass == "Svc");
  CHECK(f.provider->calls().back().target == "Child.Name=\"c\"");

  // Grandchild, not redeclaring at all, still reaches Svc.
  f.ns.putClass(f.ns.getClass("Child")->spawnDerivedClass("Grandchild"));
  CHECK_OK(f.ns.execMethod(ObjectPath::parse("Grandchild.Name=\"g\""), "Add", &in));
  CHECK(f.provider->calls().back().implementingClass == "Svc");

  // Own implements Add itself, with its own provider.
  ClassObject own = svc.spawnDerivedClass("Own");
  own.putQualifier("Provider", Value("OtherProv"));
  own.putMethod("Add", add.inSignature.get(), add.outSignature.get(), quals({"Implemented"}));
  f.ns.putClass(own);
  CHECK_OK(f.ns.execMethod(ObjectPath::parse("Own.Name=\"o\""), "Add", &in));
  REQUIRE(other->calls().size() == 1);
  CHECK(other->calls()[0].implementingClass == "Own");

  // NotImpl is implemented nowhere in the chain.
  CHECK_STATUS(WBEM_E_METHOD_NOT_IMPLEMENTED, f.ns.execMethod(ObjectPath::parse("Child.Name=\"c\""), "NotImpl", nullptr));
  // Disabled in a subclass only.
  ClassObject off = svc.spawnDerivedClass("OffChild");
  off.putMethodQualifier("Add", "Disabled", Value(true));
  f.ns.putClass(off);
  CHECK_STATUS(WBEM_E_METHOD_DISABLED, f.ns.execMethod(ObjectPath::parse("OffChild.Name=\"x\""), "Add", &in));
  CHECK_OK(f.ns.execMethod(f.target, "Add", &in));
}

// --- concurrency ----------------------------------------------------------------------------------

TEST_CASE("concurrent readers while a writer puts classes", "[namespace][threads]") {
  ServiceFixture f;
  storeHierarchy(f.ns);
  f.ns.putInstance(instanceOf(f.ns, "Base", "shared"));
  std::atomic<bool> done{false};
  std::atomic<int> reads{0};

  std::thread writer([&] {
    for (int i = 0; i < 150; ++i) {
      ClassObject c = f.ns.getClass("Mid")->spawnDerivedClass("W" + std::to_string(i));
      c.putProperty("P", scalarType(CimType::SInt32), Value(i));
      f.ns.putClass(c);
      ClassObject inst = f.ns.getClass(c.className())->spawnInstance();
      inst.put("Name", Value("w" + std::to_string(i)));
      f.ns.putInstance(inst);
      if (i % 10 == 9) f.ns.deleteClass("W" + std::to_string(i - 5));
    }
    done = true;
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      const ClassObject in = f.addParams(r, 1);
      do {
        const ObjectPtr base = f.ns.getClass("Base");
        (void)base->get("__PATH");
        for (const ObjectPtr& c : f.ns.enumClasses("Mid")) {
          if (c->hasProperty("P")) (void)c->get("P");
          (void)c->getNames();
        }
        for (const ObjectPtr& o : f.ns.enumInstances("Base")) (void)o->get("Name");
        (void)f.ns.getInstance(ObjectPath::parse("Base.Name=\"shared\""));
        (void)f.ns.findClass("W3");
        (void)f.ns.classInheritsFrom("W1", "Base");
        (void)f.ns.execMethod(f.target, "Add", &in);
        ++reads;
      } while (!done);
    });
  }
  writer.join();
  for (std::thread& t : readers) t.join();
  CHECK(reads.load() >= 3);  // every reader ran at least once
  CHECK(f.ns.enumClasses("Mid", false).size() == 150 - 15 + 1);  // + Leaf
  CHECK(f.ns.findClass("W149") != nullptr);
  CHECK(f.ns.findClass("W144") == nullptr);
  CHECK(f.ns.getInstance(ObjectPath::parse("Base.Name=\"w149\""))->className() == "W149");
}
