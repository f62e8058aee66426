// Tests of qualifiers and qualifier sets: put/get/remove, case-insensitive names, flavors, and
// their propagation to subclasses and instances through ClassObject.

#include <wbem/classobject.hpp>
#include <wbem/qualifier.hpp>
#include <wbem/status.hpp>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "support.hpp"

using namespace wbem;

namespace {

constexpr std::int32_t kToSubclass = WBEM_FLAVOR_FLAG_PROPAGATE_TO_DERIVED_CLASS;
constexpr std::int32_t kToInstance = WBEM_FLAVOR_FLAG_PROPAGATE_TO_INSTANCE;
constexpr std::int32_t kRestricted = WBEM_FLAVOR_DONT_PROPAGATE;
constexpr std::int32_t kDisableOverride = WBEM_FLAVOR_NOT_OVERRIDABLE;
constexpr std::int32_t kAmended = WBEM_FLAVOR_AMENDED;

// A class "Base" with one property P and qualifiers with every propagation flavor, on the class and P.
ClassObject baseClass() {
  ClassObject c = ClassObject::createClass("Base");
  c.putProperty("P", scalarType(CimType::String));
  for (const auto& [name, flavor] : std::vector<std::pair<std::string, std::int32_t>>{
           {"Sub", kToSubclass},
           {"Inst", kToInstance},
           {"Both", kToSubclass | kToInstance},
           {"Restr", kRestricted},
           {"Fixed", kToSubclass | kToInstance | kDisableOverride},
           {"Amend", kToSubclass | kToInstance | kAmended},
       }) {
    c.putQualifier(name, Value(name), flavor);
    c.putPropertyQualifier("P", name, Value(name), flavor);
  }
  return c;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

// --- QualifierSet ---------------------------------------------------------------------------------

TEST_CASE("put, get, find and remove with case-insensitive names", "[qualifier]") {
  QualifierSet q;
  CHECK(q.empty());
  q.put("Description", Value("text"), kToSubclass);
  q.put("Key", Value(true));
  CHECK(q.size() == 2);
  REQUIRE(q.find("DESCRIPTION") != nullptr);
  CHECK(q.find("description")->name == "Description");
  CHECK(q.find("description")->flavor == kToSubclass);
  CHECK(q.get("dEsCrIpTiOn") == Value("text"));
  CHECK(q.get("missing").isNull());
  CHECK(q.find("missing") == nullptr);
  CHECK(q.isTrue("KEY"));
  CHECK_FALSE(q.isTrue("Description"));  // not a boolean
  CHECK_FALSE(q.isTrue("missing"));

  // Replacing keeps the position and the first spelling of the name, takes the new value/flavor.
  q.put("DESCRIPTION", Value("other"), kToInstance);
  CHECK(q.size() == 2);
  CHECK(q.all()[0].name == "Description");
  CHECK(q.all()[0].value == Value("other"));
  CHECK(q.all()[0].flavor == kToInstance);

  q.put("Key", Value(false));
  CHECK_FALSE(q.isTrue("key"));
  q.put("Key", Value::null(CimType::Boolean));
  CHECK_FALSE(q.isTrue("key"));

  CHECK(q.names() == std::vector<std::string>{"Description", "Key"});
  q.remove("KEY");
  CHECK(q.find("key") == nullptr);
  CHECK_STATUS(WBEM_E_NOT_FOUND, q.remove("key"));
  CHECK_STATUS(WBEM_E_NOT_FOUND, QualifierSet().remove("x"));
  CHECK(q.size() == 1);
}

TEST_CASE("qualifier names must not be empty", "[qualifier]") {
  QualifierSet q;
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, q.put("", Value(true)));
  CHECK(q.empty());
}

TEST_CASE("flavors: valid combinations are kept, origin and unknown bits are refused", "[qualifier][flavor]") {
  QualifierSet q;
  const std::int32_t all = kToSubclass | kToInstance | kDisableOverride | kAmended;
  CHECK_OK(q.put("A", Value(true), all));
  CHECK(q.find("A")->flavor == all);
  CHECK_OK(q.put("B", Value(true), kRestricted));
  CHECK(q.find("B")->flavor == 0);

  CHECK_STATUS(WBEM_E_INVALID_FLAVOR, q.put("C", Value(true), WBEM_FLAVOR_ORIGIN_PROPAGATED));
  CHECK_STATUS(WBEM_E_INVALID_FLAVOR, q.put("C", Value(true), WBEM_FLAVOR_ORIGIN_SYSTEM));
  CHECK_STATUS(WBEM_E_INVALID_FLAVOR, q.put("C", Value(true), 0x100));
  CHECK_STATUS(WBEM_E_INVALID_FLAVOR, q.put("C", Value(true), -1));
  CHECK(q.find("C") == nullptr);
  // A refused put leaves an existing qualifier alone.
  CHECK_STATUS(WBEM_E_INVALID_FLAVOR, q.put("A", Value(false), 0x200));
  CHECK(q.find("A")->value == Value(true));
  CHECK(q.find("A")->flavor == all);
}

TEST_CASE("propagated() keeps the qualifiers with the matching flag, marked as propagated", "[qualifier][flavor]") {
  QualifierSet q;
  q.put("Sub", Value(1), kToSubclass);
  q.put("Inst", Value(2), kToInstance);
  q.put("Restr", Value(3), kRestricted);
  q.put("Amend", Value(4), kToSubclass | kAmended);
  q.put("Fixed", Value(5), kToSubclass | kDisableOverride);

  const QualifierSet sub = q.propagated(false);
  CHECK(sub.names() == std::vector<std::string>{"Sub", "Amend", "Fixed"});
  for (const Qualifier& x : sub.all()) CHECK(x.isPropagated());
  CHECK(sub.find("Sub")->flavor == (kToSubclass | WBEM_FLAVOR_ORIGIN_PROPAGATED));
  CHECK(sub.find("Amend")->flavor == (kToSubclass | kAmended | WBEM_FLAVOR_ORIGIN_PROPAGATED));
  CHECK(sub.find("Fixed")->flavor == (kToSubclass | kDisableOverride | WBEM_FLAVOR_ORIGIN_PROPAGATED));
  CHECK(sub.find("Fixed")->value == Value(5));

  const QualifierSet inst = q.propagated(true);
  CHECK(inst.names() == std::vector<std::string>{"Inst"});
  CHECK(inst.find("Inst")->flavor == (kToInstance | WBEM_FLAVOR_ORIGIN_PROPAGATED));

  CHECK(sub.names(/*localOnly=*/true).empty());
  CHECK(sub.names(false, /*propagatedOnly=*/true).size() == 3);
}

TEST_CASE("abstract never propagates, whatever its flavor", "[qualifier][flavor]") {
  QualifierSet q;
  q.put("Abstract", Value(true), kToSubclass | kToInstance | kDisableOverride);
  CHECK(q.propagated(false).find("abstract") == nullptr);
  CHECK(q.propagated(true).find("abstract") == nullptr);

  ClassObject base = ClassObject::createClass("AbstractBase");
  base.putQualifier("ABSTRACT", Value(true), kToSubclass | kToInstance);
  CHECK(base.getQualifierSet().isTrue("abstract"));
  const ClassObject derived = base.spawnDerivedClass("Concrete");
  CHECK(derived.getQualifierSet().find("abstract") == nullptr);
  CHECK(base.spawnInstance().getQualifierSet().find("abstract") == nullptr);
}

TEST_CASE("a propagated qualifier cannot be removed; a DisableOverride one cannot change", "[qualifier][flavor]") {
  QualifierSet base;
  base.put("Fixed", Value("v"), kToSubclass | kDisableOverride);
  base.put("Open", Value("v"), kToSubclass);
  QualifierSet q = base.propagated(false);

  CHECK_STATUS(WBEM_E_PROPAGATED_QUALIFIER, q.remove("fixed"));
  CHECK_STATUS(WBEM_E_PROPAGATED_QUALIFIER, q.remove("Open"));
  CHECK_STATUS(WBEM_E_OVERRIDE_NOT_ALLOWED, q.put("FIXED", Value("other"), kToSubclass));
  CHECK(q.find("Fixed")->value == Value("v"));
  CHECK(q.find("Fixed")->isPropagated());
  // Putting the same value again is not a change.
  CHECK_OK(q.put("Fixed", Value("v"), kToSubclass | kDisableOverride));

  // An overridable one becomes local when overridden, and can then be removed.
  CHECK_OK(q.put("Open", Value("mine"), kToSubclass));
  CHECK_FALSE(q.find("Open")->isPropagated());
  CHECK(q.find("Open")->value == Value("mine"));
  CHECK_OK(q.remove("Open"));
}

TEST_CASE("inheritFrom merges local qualifiers over inherited ones", "[qualifier]") {
  QualifierSet parent;
  parent.put("A", Value(1), kToSubclass);
  parent.put("Fixed", Value(2), kToSubclass | kDisableOverride);
  const QualifierSet inherited = parent.propagated(false);

  QualifierSet local;
  local.put("A", Value(10), kToSubclass);
  local.put("B", Value(20));
  local.inheritFrom(inherited);
  CHECK(local.size() == 3);
  CHECK(local.get("A") == Value(10));
  CHECK_FALSE(local.find("A")->isPropagated());
  CHECK(local.find("Fixed")->isPropagated());
  CHECK(local.get("B") == Value(20));

  QualifierSet bad;
  bad.put("Fixed", Value(3));
  CHECK_STATUS(WBEM_E_OVERRIDE_NOT_ALLOWED, bad.inheritFrom(inherited));
  QualifierSet same;
  same.put("Fixed", Value(2), kToSubclass | kDisableOverride);
  CHECK_OK(same.inheritFrom(inherited));
}

TEST_CASE("qualifier set equality, with and without flavors", "[qualifier]") {
  QualifierSet a, b;
  a.put("X", Value(1), kToSubclass);
  a.put("Y", Value("y"));
  b.put("y", Value("y"));
  b.put("x", Value(1), kToSubclass);
  CHECK(a == b);  // order and name case do not matter
  b.put("X", Value(1), kToInstance);
  CHECK_FALSE(a == b);
  CHECK(a.equals(b, /*ignoreFlavor=*/true));
  b.put("X", Value(2), kToSubclass);
  CHECK_FALSE(a.equals(b, true));
  b.put("Z", Value(true));
  b.put("X", Value(1), kToSubclass);
  CHECK_FALSE(a == b);
}

// --- propagation through classes and instances ----------------------------------------------------

TEST_CASE("class qualifiers propagate to subclasses (ToSubclass) and instances (ToInstance)",
          "[qualifier][classobject]") {
  const ClassObject base = baseClass();
  CHECK(base.getQualifierSet().size() == 6);
  const QualifierSet bq = base.getQualifierSet();
  for (const Qualifier& q : bq.all()) CHECK_FALSE(q.isPropagated());

  const ClassObject derived = base.spawnDerivedClass("Derived");
  const QualifierSet dq = derived.getQualifierSet();
  CHECK(sorted(dq.names()) == std::vector<std::string>{"Amend", "Both", "Fixed", "Sub"});
  for (const Qualifier& q : dq.all()) CHECK(q.isPropagated());
  CHECK(dq.find("Amend")->flavor == (kToSubclass | kToInstance | kAmended | WBEM_FLAVOR_ORIGIN_PROPAGATED));
  CHECK(dq.get("Sub") == Value("Sub"));

  const QualifierSet iq = base.spawnInstance().getQualifierSet();
  CHECK(sorted(iq.names()) == std::vector<std::string>{"Amend", "Both", "Fixed", "Inst"});
  for (const Qualifier& q : iq.all()) CHECK(q.isPropagated());
  CHECK(iq.find("Amend")->flavor & kAmended);

  // Two levels down: only ToSubclass ones keep going; an instance of the subclass gets the
  // ToInstance ones among them.
  const ClassObject grand = derived.spawnDerivedClass("Grand");
  CHECK(sorted(grand.getQualifierSet().names()) == std::vector<std::string>{"Amend", "Both", "Fixed", "Sub"});
  CHECK(sorted(derived.spawnInstance().getQualifierSet().names()) ==
        std::vector<std::string>{"Amend", "Both", "Fixed"});
}

TEST_CASE("property qualifiers propagate the same way", "[qualifier][classobject]") {
  const ClassObject base = baseClass();
  const ClassObject derived = base.spawnDerivedClass("Derived");
  CHECK(sorted(derived.getPropertyQualifierSet("p").names()) ==
        std::vector<std::string>{"Amend", "Both", "Fixed", "Sub"});
  CHECK(derived.getPropertyQualifierSet("P").find("Fixed")->isPropagated());
  CHECK(sorted(base.spawnInstance().getPropertyQualifierSet("P").names()) ==
        std::vector<std::string>{"Amend", "Both", "Fixed", "Inst"});
  CHECK_STATUS(WBEM_E_NOT_FOUND, base.getPropertyQualifierSet("Nope"));
  CHECK_STATUS(WBEM_E_SYSTEM_PROPERTY, base.getPropertyQualifierSet("__CLASS"));
}

TEST_CASE("overriding a DisableOverride qualifier is refused on subclasses and instances", "[qualifier][classobject]") {
  const ClassObject base = baseClass();
  ClassObject derived = base.spawnDerivedClass("Derived");
  CHECK_STATUS(WBEM_E_OVERRIDE_NOT_ALLOWED, derived.putQualifier("fixed", Value("changed")));
  CHECK_STATUS(WBEM_E_OVERRIDE_NOT_ALLOWED, derived.putPropertyQualifier("P", "FIXED", Value("changed")));
  CHECK(derived.getQualifierSet().get("Fixed") == Value("Fixed"));
  // Overridable ones can be overridden, and become local.
  CHECK_OK(derived.putQualifier("Sub", Value("mine"), kToSubclass));
  CHECK(derived.getQualifierSet().get("Sub") == Value("mine"));
  CHECK_FALSE(derived.getQualifierSet().find("Sub")->isPropagated());
  CHECK_OK(derived.putPropertyQualifier("P", "Sub", Value("mine")));
  CHECK(derived.getPropertyQualifierSet("P").get("Sub") == Value("mine"));
  // The base class is untouched.
  CHECK(base.getQualifierSet().get("Sub") == Value("Sub"));

  ClassObject instance = base.spawnInstance();
  CHECK_STATUS(WBEM_E_OVERRIDE_NOT_ALLOWED, instance.putQualifier("Fixed", Value("changed")));
  CHECK_STATUS(WBEM_E_OVERRIDE_NOT_ALLOWED, instance.putPropertyQualifier("P", "Fixed", Value("changed")));
  CHECK_OK(instance.putQualifier("Inst", Value("mine")));
  CHECK(instance.getQualifierSet().get("Inst") == Value("mine"));
  CHECK_FALSE(instance.getQualifierSet().find("Inst")->isPropagated());
  CHECK_OK(instance.putPropertyQualifier("P", "Own", Value(7)));
  CHECK(instance.getPropertyQualifierSet("P").get("Own") == Value(7));
  // The class does not see instance qualifiers.
  CHECK(base.getPropertyQualifierSet("P").find("Own") == nullptr);
  CHECK(base.getQualifierSet().get("Inst") == Value("Inst"));
}

TEST_CASE("removing inherited qualifiers gives WBEM_E_PROPAGATED_QUALIFIER", "[qualifier][classobject]") {
  const ClassObject base = baseClass();
  ClassObject derived = base.spawnDerivedClass("Derived");
  CHECK_STATUS(WBEM_E_PROPAGATED_QUALIFIER, derived.removeQualifier("Sub"));
  CHECK_STATUS(WBEM_E_PROPAGATED_QUALIFIER, derived.removePropertyQualifier("P", "Sub"));
  CHECK_STATUS(WBEM_E_NOT_FOUND, derived.removeQualifier("Restr"));
  CHECK_STATUS(WBEM_E_NOT_FOUND, derived.removePropertyQualifier("P", "Restr"));
  CHECK_STATUS(WBEM_E_NOT_FOUND, derived.removePropertyQualifier("Nope", "Sub"));
  derived.putQualifier("Own", Value(1));
  CHECK_OK(derived.removeQualifier("own"));
  CHECK(derived.getQualifierSet().find("Own") == nullptr);

  ClassObject instance = base.spawnInstance();
  CHECK_STATUS(WBEM_E_PROPAGATED_QUALIFIER, instance.removeQualifier("Inst"));
  CHECK_STATUS(WBEM_E_PROPAGATED_QUALIFIER, instance.removePropertyQualifier("P", "Both"));
  CHECK_STATUS(WBEM_E_NOT_FOUND, instance.removeQualifier("Sub"));
  CHECK_STATUS(WBEM_E_NOT_FOUND, instance.removePropertyQualifier("P", "Nope"));
  instance.putQualifier("Own", Value(1));
  instance.putPropertyQualifier("P", "Own", Value(1));
  CHECK_OK(instance.removeQualifier("OWN"));
  CHECK_OK(instance.removePropertyQualifier("P", "own"));
  CHECK(instance.getQualifierSet().find("Own") == nullptr);
  CHECK(instance.getPropertyQualifierSet("P").find("Own") == nullptr);

  // Local class qualifiers can be removed.
  ClassObject b2 = base;
  CHECK_OK(b2.removeQualifier("Sub"));
  CHECK_OK(b2.removePropertyQualifier("P", "Sub"));
  CHECK(b2.getQualifierSet().find("Sub") == nullptr);
  CHECK(base.getQualifierSet().find("Sub") != nullptr);  // the copy was independent
}

TEST_CASE("instance qualifiers of copies are independent", "[qualifier][classobject]") {
  const ClassObject base = baseClass();
  ClassObject a = base.spawnInstance();
  a.putQualifier("Own", Value(1));
  a.putPropertyQualifier("P", "Own", Value(1));
  ClassObject b = a;
  b.putQualifier("Own", Value(2));
  b.putPropertyQualifier("P", "Own", Value(2));
  b.removeQualifier("Own");
  CHECK(a.getQualifierSet().get("Own") == Value(1));
  CHECK(a.getPropertyQualifierSet("P").get("Own") == Value(1));
  CHECK(b.getPropertyQualifierSet("P").get("Own") == Value(2));
  CHECK(b.getQualifierSet().find("Own") == nullptr);
}

TEST_CASE("hasInstanceQualifiers: only qualifiers put on the instance or its properties count",
          "[qualifier][classobject]") {
  const ClassObject base = baseClass();  // passes Inst, Both, Fixed and Amend down to instances
  CHECK_FALSE(base.hasInstanceQualifiers());
  ClassObject a = base.spawnInstance();
  CHECK_FALSE(a.hasInstanceQualifiers());
  CHECK(a.getQualifierSet().find("Inst") != nullptr);  // inherited ones do not count
  a.putQualifier("Own", Value(1));
  CHECK(a.hasInstanceQualifiers());
  a.removeQualifier("Own");
  CHECK_FALSE(a.hasInstanceQualifiers());
  a.putPropertyQualifier("P", "Own", Value(1));
  CHECK(a.hasInstanceQualifiers());
  const ClassObject copy = a;
  a.removePropertyQualifier("P", "Own");
  CHECK_FALSE(a.hasInstanceQualifiers());
  CHECK(copy.hasInstanceQualifiers());
}

TEST_CASE("invalid flavors are refused through ClassObject too", "[qualifier][classobject]") {
  ClassObject c = ClassObject::createClass("C");
  c.putProperty("P", scalarType(CimType::SInt32));
  CHECK_STATUS(WBEM_E_INVALID_FLAVOR, c.putQualifier("Q", Value(true), WBEM_FLAVOR_ORIGIN_PROPAGATED));
  CHECK_STATUS(WBEM_E_INVALID_FLAVOR, c.putPropertyQualifier("P", "Q", Value(true), 0x400));
  ClassObject i = c.spawnInstance();
  CHECK_STATUS(WBEM_E_INVALID_FLAVOR, i.putQualifier("Q", Value(true), WBEM_FLAVOR_ORIGIN_SYSTEM));
  CHECK(i.getQualifierSet().find("Q") == nullptr);
}
