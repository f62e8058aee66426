// Tests of wbem::ClassObject: classes, derivation, instances, copy on write, properties,
// system properties, GetNames, origins, embedded-object checks, slots, paths and CompareTo.

#include <wbem/classobject.hpp>
#include <wbem/namespace.hpp>
#include <wbem/status.hpp>

#include <algorithm>
#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

#include "support.hpp"

using namespace wbem;

namespace {

using Names = std::vector<std::string>;

constexpr std::int32_t kToSubclass = WBEM_FLAVOR_FLAG_PROPAGATE_TO_DERIVED_CLASS;
const Names kSystemNames{"__GENUS",          "__CLASS",      "__SUPERCLASS", "__DYNASTY",   "__RELPATH",
                         "__PROPERTY_COUNT", "__DERIVATION", "__SERVER",     "__NAMESPACE", "__PATH"};

// A -> B -> C. A: Id (key, string), Count (uint32 = 1). B: Ref (ref:A), Flag (boolean).
// C: Extra (sint64 array).
ClassObject classA() {
  ClassObject a = ClassObject::createClass("A");
  a.putProperty("Id", scalarType(CimType::String));
  a.putPropertyQualifier("Id", "key", Value(true), kToSubclass);
  a.putProperty("Count", scalarType(CimType::UInt32), Value(std::uint32_t{1}));
  return a;
}
ClassObject classB() {
  ClassObject b = classA().spawnDerivedClass("B");
  b.putProperty("Ref", PropertyType{CimType::Reference, false, std::nullopt, "A"});
  b.putProperty("Flag", scalarType(CimType::Boolean), Value(false));
  b.putPropertyQualifier("Flag", "Description", Value("a flag"));
  return b;
}
ClassObject classC() {
  ClassObject c = classB().spawnDerivedClass("C");
  c.putProperty("Extra", arrayType(CimType::SInt64));
  return c;
}

ClassObject simpleMethodClass(std::string_view name) {
  ClassObject cls = ClassObject::createClass(name);
  ClassObject in = ClassObject::parametersClass();
  in.putProperty("X", scalarType(CimType::SInt32));
  ClassObject out = ClassObject::parametersClass();
  out.putProperty("ReturnValue", scalarType(CimType::UInt32));
  cls.putMethod("Run", &in, &out);
  return cls;
}

}  // namespace

// --- creation and derivation ----------------------------------------------------------------------

TEST_CASE("createClass makes an empty root class and checks the name", "[classobject]") {
  const ClassObject c = ClassObject::createClass("My_Class1");
  CHECK(c.isClass());
  CHECK_FALSE(c.isInstance());
  CHECK(c.genus() == WBEM_GENUS_CLASS);
  CHECK(c.className() == "My_Class1");
  CHECK(c.superclassName().empty());
  CHECK(c.definition().properties().empty());
  CHECK(c.definition().derivation().empty());
  CHECK(c.getQualifierSet().empty());
  CHECK(c.methodNames().empty());
  CHECK(ClassObject::createClass("_Underscore").className() == "_Underscore");

  for (const char* bad : {"", "1Class", "My Class", "My.Class", "My-Class", "A=B"}) {
    INFO(bad);
    CHECK_STATUS(WBEM_E_INVALID_PARAMETER, ClassObject::createClass(bad));
  }
  const ClassObject p = ClassObject::parametersClass();
  CHECK(p.className() == "__PARAMETERS");
  CHECK(p.isClass());
}

TEST_CASE("spawnDerivedClass chains inherit properties in order", "[classobject]") {
  const ClassObject c = classC();
  CHECK(c.className() == "C");
  CHECK(c.superclassName() == "B");
  CHECK(c.definition().derivation() == Names{"B", "A"});
  Names props;
  for (const PropertyDef& p : c.definition().properties()) props.push_back(p.name);
  CHECK(props == Names{"Id", "Count", "Ref", "Flag", "Extra"});
  CHECK(c.definition().properties()[0].originClass == "A");
  CHECK(c.definition().properties()[2].originClass == "B");
  CHECK(c.definition().properties()[4].originClass == "C");
  CHECK(c.get("Count") == Value(std::uint32_t{1}));  // inherited default
  CHECK(c.definition().keySlots() == std::vector<PropertySlot>{0});
  CHECK(c.getPropertyType("Ref") == PropertyType{CimType::Reference, false, std::nullopt, "A"});

  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, classA().spawnDerivedClass(""));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, classA().spawnDerivedClass("9x"));
  CHECK_STATUS(WBEM_E_ILLEGAL_OPERATION, classA().spawnInstance().spawnDerivedClass("D"));
}

TEST_CASE("inheritsFrom follows WMI: only __DERIVATION counts", "[classobject]") {
  const ClassObject c = classC();
  CHECK(c.inheritsFrom("B"));
  CHECK(c.inheritsFrom("a"));
  CHECK_FALSE(c.inheritsFrom("C"));
  CHECK_FALSE(c.inheritsFrom("c"));
  CHECK_FALSE(c.inheritsFrom("Z"));
  CHECK_FALSE(c.inheritsFrom(""));
  const ClassObject i = c.spawnInstance();
  CHECK(i.inheritsFrom("B"));
  CHECK_FALSE(i.inheritsFrom("C"));
  CHECK_FALSE(classA().inheritsFrom("A"));
  // ClassDef::inheritsFrom is the "is or derives from" test.
  CHECK(c.definition().inheritsFrom("C"));
  CHECK(c.definition().inheritsFrom("A"));
  CHECK_FALSE(c.definition().inheritsFrom("X"));
}

TEST_CASE("spawnInstance copies the class defaults", "[classobject]") {
  const ClassObject b = classB();
  const ClassObject i = b.spawnInstance();
  CHECK(i.isInstance());
  CHECK(i.genus() == WBEM_GENUS_INSTANCE);
  CHECK(i.className() == "B");
  CHECK(i.get("Count") == Value(std::uint32_t{1}));
  CHECK(i.get("Flag") == Value(false));
  CHECK(i.get("Id") == Value::null(CimType::String));
  CHECK(i.get("Ref") == Value::null(CimType::Reference));
  CHECK_STATUS(WBEM_E_ILLEGAL_OPERATION, i.spawnInstance());
}

TEST_CASE("copies are independent: changing a class keeps earlier instances and copies intact", "[classobject][cow]") {
  ClassObject a = classA();
  ClassObject inst = a.spawnInstance();
  const ClassObject copy = a.clone();
  const auto defBefore = inst.sharedDefinition();

  a.put("Count", Value(std::uint32_t{99}));
  a.putProperty("Added", scalarType(CimType::String), Value("x"));
  a.putPropertyQualifier("Count", "Note", Value("n"));
  a.putQualifier("ClassQ", Value(true));
  a.remove("Id");

  CHECK(a.get("Count") == Value(std::uint32_t{99}));
  CHECK(a.hasProperty("Added"));
  CHECK_FALSE(a.hasProperty("Id"));

  // The instance keeps the schema it was spawned with.
  CHECK(inst.sharedDefinition() == defBefore);
  CHECK(inst.hasProperty("Id"));
  CHECK_FALSE(inst.hasProperty("Added"));
  CHECK(inst.get("Count") == Value(std::uint32_t{1}));
  CHECK(inst.get("__PROPERTY_COUNT") == Value(std::int32_t{2}));
  CHECK(inst.getPropertyQualifierSet("Count").find("Note") == nullptr);
  CHECK_OK(inst.put("Id", Value("still here")));
  // So does the copy.
  CHECK(copy.get("Count") == Value(std::uint32_t{1}));
  CHECK_FALSE(copy.hasProperty("Added"));
  CHECK(copy.getQualifierSet().find("ClassQ") == nullptr);

  // Instances copied from each other are independent too.
  ClassObject i1 = classA().spawnInstance();
  i1.put("Id", Value("one"));
  ClassObject i2 = i1.clone();
  i2.put("Id", Value("two"));
  CHECK(i1.get("Id") == Value("one"));
  CHECK(i2.get("Id") == Value("two"));
}

// --- get / put / remove ---------------------------------------------------------------------------

TEST_CASE("get and put on a class set defaults; on an instance values", "[classobject][property]") {
  ClassObject a = classA();
  CHECK(a.get("count") == Value(std::uint32_t{1}));
  a.put("COUNT", Value(std::int32_t{7}));  // converted to uint32
  CHECK(a.get("Count") == Value(std::uint32_t{7}));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, a.put("Count", Value(std::int32_t{-7})));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, a.put("Count", Value("7")));
  CHECK(a.get("Count") == Value(std::uint32_t{7}));

  ClassObject i = a.spawnInstance();
  i.put("id", Value("abc"));
  CHECK(i.get("Id") == Value("abc"));
  i.put("Count", Value(std::uint8_t{3}));
  CHECK(i.get("Count") == Value(std::uint32_t{3}));
  CHECK(i.get("Count").type() == CimType::UInt32);
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, i.put("Count", Value(true)));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, i.put("Count", Value(std::int64_t{4294967296})));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, i.put("Id", Value(std::int32_t{1})));
  i.put("Count", Value());
  CHECK(i.get("Count") == Value::null(CimType::UInt32));
  CHECK(a.get("Count") == Value(std::uint32_t{7}));  // the class is unaffected

  CHECK_STATUS(WBEM_E_NOT_FOUND, i.get("Nope"));
  CHECK_STATUS(WBEM_E_NOT_FOUND, a.get("Nope"));
  CHECK_STATUS(WBEM_E_NOT_FOUND, a.get("__NOPE"));
  CHECK_FALSE(a.hasProperty("Nope"));
  CHECK(a.hasProperty("ID"));
  CHECK(a.hasProperty("__class"));
  // The message names the property.
  CHECK_THAT(wbemtest::messageOf([&] { i.put("Count", Value(true)); }), Catch::Matchers::Contains("Count"));
}

TEST_CASE("put of an unknown property: NOT_FOUND on an instance, adds on a class", "[classobject][property]") {
  ClassObject a = classA();
  ClassObject i = a.spawnInstance();
  CHECK_STATUS(WBEM_E_NOT_FOUND, i.put("New", Value(std::int32_t{1})));
  CHECK_FALSE(i.hasProperty("New"));

  CHECK_OK(a.put("New", Value(std::int16_t{1})));
  CHECK(a.getPropertyType("New") == scalarType(CimType::SInt16));
  CHECK(a.get("New") == Value(std::int16_t{1}));
  CHECK(a.getPropertyOrigin("New") == "A");
  CHECK_OK(a.put("List", Value(CimType::String, ValueArray{Value("x")})));
  CHECK(a.getPropertyType("List") == arrayType(CimType::String));
  CHECK_OK(a.put("TypedNull", Value::null(CimType::DateTime)));
  CHECK(a.getPropertyType("TypedNull") == scalarType(CimType::DateTime));
  CHECK(a.get("TypedNull").isNull());
  CHECK_STATUS(WBEM_E_INVALID_PROPERTY_TYPE, a.put("Untyped", Value()));
  CHECK_FALSE(a.hasProperty("Untyped"));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, a.put("bad name", Value(1)));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, a.put("__Reserved", Value(1)));
  CHECK_STATUS(WBEM_E_NOT_FOUND, i.put("__Reserved", Value(1)));
}

TEST_CASE("putProperty declares typed properties and converts the default", "[classobject][property]") {
  ClassObject c = ClassObject::createClass("T");
  CHECK_OK(c.putProperty("U8", scalarType(CimType::UInt8), Value(std::int32_t{200})));
  CHECK(c.get("U8") == Value(std::uint8_t{200}));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, c.putProperty("U8b", scalarType(CimType::UInt8), Value(std::int32_t{300})));
  CHECK_FALSE(c.hasProperty("U8b"));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, c.putProperty("S", scalarType(CimType::String), Value(1.5)));
  CHECK_OK(c.putProperty("When", scalarType(CimType::DateTime), Value("20240101000000.000000+000")));
  CHECK(c.get("When").type() == CimType::DateTime);
  CHECK_OK(c.putProperty("Fixed", PropertyType{CimType::SInt32, true, 2u, {}}));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, c.put("Fixed", Value(CimType::SInt32, ValueArray{Value(1), Value(2), Value(3)})));
  CHECK_OK(c.put("Fixed", Value(CimType::SInt32, ValueArray{Value(1), Value(2)})));
  CHECK_STATUS(WBEM_E_INVALID_PROPERTY_TYPE, c.putProperty("E", PropertyType{}));
  CHECK_STATUS(WBEM_E_INVALID_PROPERTY_TYPE, c.putProperty("E", scalarType(static_cast<CimType>(99))));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, c.putProperty("", scalarType(CimType::SInt32)));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, c.putProperty("__X", scalarType(CimType::SInt32)));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, c.putProperty("a-b", scalarType(CimType::SInt32)));
  CHECK_STATUS(WBEM_E_ILLEGAL_OPERATION, c.spawnInstance().putProperty("X", scalarType(CimType::SInt32)));

  // A local property may be redeclared with another type.
  CHECK_OK(c.putProperty("u8", scalarType(CimType::String), Value("s")));
  CHECK(c.getPropertyType("U8") == scalarType(CimType::String));
  CHECK(c.get("U8") == Value("s"));
  CHECK(c.definition().properties().size() == 3);
}

TEST_CASE("an inherited property keeps its type", "[classobject][property]") {
  ClassObject b = classB();
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, b.putProperty("Count", scalarType(CimType::UInt64)));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, b.putProperty("Count", arrayType(CimType::UInt32)));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, classC().putProperty("Ref", scalarType(CimType::Reference)));
  CHECK(b.getPropertyType("Count") == scalarType(CimType::UInt32));
  // Same type: the redeclaration sets the default and the property stays inherited.
  CHECK_OK(b.putProperty("Count", scalarType(CimType::UInt32), Value(std::uint32_t{5})));
  CHECK(b.get("Count") == Value(std::uint32_t{5}));
  CHECK(b.getPropertyOrigin("Count") == "A");
}

TEST_CASE("remove: local on a class, inherited refused, instance reset to default", "[classobject][property]") {
  ClassObject b = classB();
  CHECK_STATUS(WBEM_E_PROPAGATED_PROPERTY, b.remove("Count"));
  CHECK_STATUS(WBEM_E_PROPAGATED_PROPERTY, b.remove("id"));
  CHECK(b.hasProperty("Count"));
  CHECK_OK(b.remove("flag"));
  CHECK_FALSE(b.hasProperty("Flag"));
  CHECK(b.slotOf("Ref") == PropertySlot{2});
  CHECK_STATUS(WBEM_E_NOT_FOUND, b.remove("Flag"));
  CHECK_STATUS(WBEM_E_SYSTEM_PROPERTY, b.remove("__CLASS"));

  ClassObject a = classA();
  a.put("Count", Value(std::uint32_t{10}));
  ClassObject i = a.spawnInstance();
  i.put("Count", Value(std::uint32_t{20}));
  i.put("Id", Value("x"));
  CHECK_OK(i.remove("Count"));
  CHECK(i.get("Count") == Value(std::uint32_t{10}));
  CHECK_OK(i.remove("Id"));
  CHECK(i.get("Id").isNull());
  CHECK(i.hasProperty("Id"));
  CHECK_STATUS(WBEM_E_NOT_FOUND, i.remove("Nope"));
  CHECK_STATUS(WBEM_E_SYSTEM_PROPERTY, i.remove("__PATH"));
}

// --- system properties ----------------------------------------------------------------------------

TEST_CASE("system properties of free classes and instances", "[classobject][system]") {
  const ClassObject c = classC();
  CHECK(c.get("__CLASS") == Value("C"));
  CHECK(c.get("__class") == Value("C"));
  CHECK(c.get("__SUPERCLASS") == Value("B"));
  CHECK(c.get("__DYNASTY") == Value("A"));
  CHECK(c.get("__DERIVATION") == Value(CimType::String, ValueArray{Value("B"), Value("A")}));
  CHECK(c.get("__GENUS") == Value(std::int32_t{1}));
  CHECK(c.get("__PROPERTY_COUNT") == Value(std::int32_t{5}));
  CHECK(c.get("__RELPATH") == Value("C"));
  CHECK(c.get("__PATH") == Value::null(CimType::String));
  CHECK(c.get("__NAMESPACE") == Value::null(CimType::String));
  CHECK(c.get("__SERVER") == Value::null(CimType::String));

  const ClassObject a = classA();
  CHECK(a.get("__SUPERCLASS") == Value::null(CimType::String));
  CHECK(a.get("__DYNASTY") == Value("A"));
  CHECK(a.get("__DERIVATION") == Value(CimType::String, ValueArray{}));

  ClassObject i = c.spawnInstance();
  CHECK(i.get("__GENUS") == Value(std::int32_t{2}));
  CHECK(i.get("__CLASS") == Value("C"));
  CHECK(i.get("__RELPATH") == Value::null(CimType::String));  // key not set
  i.put("Id", Value("k"));
  CHECK(i.get("__RELPATH") == Value("C.Id=\"k\""));
  CHECK(i.get("__PATH") == Value::null(CimType::String));
  CHECK(i.get("__SERVER").isNull());
  CHECK(i.get("__NAMESPACE").isNull());

  CHECK(c.getPropertyType("__GENUS") == scalarType(CimType::SInt32));
  CHECK(c.getPropertyType("__DERIVATION") == arrayType(CimType::String));
  CHECK(c.getPropertyType("__path") == scalarType(CimType::String));
  CHECK(c.getPropertyOrigin("__CLASS") == "___SYSTEM");
}

TEST_CASE("system properties of objects from a namespace", "[classobject][system]") {
  Namespace ns("root/test");
  ns.putClass(classA());
  ClassObject inst = ns.getClass("A")->spawnInstance();
  inst.put("Id", Value("k"));
  const ObjectPath path = ns.putInstance(inst);

  const ObjectPtr cls = ns.getClass("A");
  CHECK(cls->get("__NAMESPACE") == Value("root\\test"));
  REQUIRE_FALSE(cls->get("__SERVER").isNull());
  const std::string server = cls->get("__SERVER").asString();
  CHECK_FALSE(server.empty());
  CHECK(cls->get("__PATH") == Value("\\\\" + server + "\\root\\test:A"));
  CHECK(cls->get("__RELPATH") == Value("A"));

  const ObjectPtr stored = ns.getInstance(path);
  CHECK(stored->get("__NAMESPACE") == Value("root\\test"));
  CHECK(stored->get("__SERVER") == Value(server));
  CHECK(stored->get("__PATH") == Value("\\\\" + server + "\\root\\test:A.Id=\"k\""));
  CHECK(stored->get("__RELPATH") == Value("A.Id=\"k\""));
  CHECK(path.toString() == stored->get("__PATH").asString());
}

TEST_CASE("system properties are read-only, except __CLASS on a class", "[classobject][system]") {
  ClassObject c = classB();
  for (const std::string& name : kSystemNames) {
    if (name == "__CLASS") continue;
    INFO(name);
    CHECK_STATUS(WBEM_E_READ_ONLY, c.put(name, Value("x")));
  }
  CHECK_STATUS(WBEM_E_READ_ONLY, c.put("__genus", Value(std::int32_t{2})));
  ClassObject i = c.spawnInstance();
  for (const std::string& name : kSystemNames) {
    INFO(name);
    CHECK_STATUS(WBEM_E_READ_ONLY, i.put(name, Value("x")));
  }
  CHECK(i.className() == "B");
}

TEST_CASE("renaming a class with put(__CLASS)", "[classobject][system]") {
  ClassObject b = classB();
  CHECK_OK(b.put("__CLASS", Value("Renamed")));
  CHECK(b.className() == "Renamed");
  CHECK(b.get("__CLASS") == Value("Renamed"));
  CHECK(b.superclassName() == "A");
  CHECK(b.getPropertyOrigin("Flag") == "Renamed");  // local properties follow the class
  CHECK(b.getPropertyOrigin("Count") == "A");       // inherited ones do not
  CHECK(b.getNames(WBEM_FLAG_LOCAL_ONLY) == Names{"Ref", "Flag"});
  CHECK_OK(b.remove("Flag"));  // still local
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, b.put("__CLASS", Value("bad name")));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, b.put("__CLASS", Value(std::int32_t{5})));
  CHECK(b.className() == "Renamed");

  ClassObject m = simpleMethodClass("M");
  m.put("__CLASS", Value("M2"));
  CHECK(m.getMethodOrigin("Run") == "M2");
  CHECK(m.methodNames(WBEM_FLAG_LOCAL_ONLY) == Names{"Run"});
}

// --- getNames -------------------------------------------------------------------------------------

TEST_CASE("getNames with every flag", "[classobject][names]") {
  ClassObject b = classB();
  b.putPropertyQualifier("Count", "Description", Value("count"));
  const ClassObject i = b.spawnInstance();
  for (const ClassObject* o : std::vector<const ClassObject*>{&b, &i}) {
    INFO((o->isClass() ? "class" : "instance"));
    Names all = kSystemNames;
    for (const char* n : {"Id", "Count", "Ref", "Flag"}) all.push_back(n);
    CHECK(o->getNames() == all);
    CHECK(o->getNames(WBEM_FLAG_ALWAYS) == all);
    CHECK(o->getNames(WBEM_FLAG_SYSTEM_ONLY) == kSystemNames);
    CHECK(o->getNames(WBEM_FLAG_NONSYSTEM_ONLY) == Names{"Id", "Count", "Ref", "Flag"});
    CHECK(o->getNames(WBEM_FLAG_LOCAL_ONLY) == Names{"Ref", "Flag"});
    CHECK(o->getNames(WBEM_FLAG_PROPAGATED_ONLY) == Names{"Id", "Count"});
    CHECK(o->getNames(WBEM_FLAG_KEYS_ONLY) == Names{"Id"});
    CHECK(o->getNames(WBEM_FLAG_REFS_ONLY) == Names{"Ref"});
    CHECK(o->getNames(WBEM_FLAG_KEYS_ONLY | WBEM_FLAG_LOCAL_ONLY).empty());
    CHECK(o->getNames(WBEM_FLAG_REFS_ONLY | WBEM_FLAG_LOCAL_ONLY) == Names{"Ref"});
    CHECK(o->getNames(WBEM_FLAG_ONLY_IF_TRUE, "description") == Names{"Count", "Flag"});
    CHECK(o->getNames(WBEM_FLAG_ONLY_IF_FALSE, "Description") == Names{"Id", "Ref"});
    CHECK(o->getNames(WBEM_FLAG_ONLY_IF_IDENTICAL, "Description", Value("a flag")) == Names{"Flag"});
    CHECK(o->getNames(WBEM_FLAG_ONLY_IF_IDENTICAL, "Description", Value("nothing")).empty());
    CHECK(o->getNames(WBEM_FLAG_ONLY_IF_TRUE | WBEM_FLAG_LOCAL_ONLY, "Description") == Names{"Flag"});
    CHECK(o->getNames(WBEM_FLAG_ONLY_IF_TRUE, "Key") == Names{"Id"});
  }
  const ClassObject c = classC();
  CHECK(c.getNames(WBEM_FLAG_LOCAL_ONLY) == Names{"Extra"});
  CHECK(c.getNames(WBEM_FLAG_PROPAGATED_ONLY) == Names{"Id", "Count", "Ref", "Flag"});
}

TEST_CASE("getNames refuses invalid flags", "[classobject][names]") {
  const ClassObject b = classB();
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, b.getNames(WBEM_FLAG_ONLY_IF_TRUE));  // no qualifier name
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, b.getNames(WBEM_FLAG_ONLY_IF_FALSE, ""));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, b.getNames(WBEM_FLAG_ONLY_IF_IDENTICAL));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, b.getNames(0x50));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, b.getNames(0x60));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, b.getNames(0x70));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, b.getNames(0x80));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, b.getNames(0x1000));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, b.getNames(-1));
}

// --- origins --------------------------------------------------------------------------------------

TEST_CASE("getPropertyOrigin and getMethodOrigin name the declaring class", "[classobject]") {
  const ClassObject c = classC();
  CHECK(c.getPropertyOrigin("id") == "A");
  CHECK(c.getPropertyOrigin("Flag") == "B");
  CHECK(c.getPropertyOrigin("Extra") == "C");
  CHECK(c.spawnInstance().getPropertyOrigin("Flag") == "B");
  CHECK_STATUS(WBEM_E_NOT_FOUND, c.getPropertyOrigin("Nope"));

  const ClassObject base = simpleMethodClass("MBase");
  ClassObject derived = base.spawnDerivedClass("MDerived");
  ClassObject in = ClassObject::parametersClass();
  derived.putMethod("Own", &in, nullptr);
  CHECK(derived.getMethodOrigin("run") == "MBase");
  CHECK(derived.getMethodOrigin("Own") == "MDerived");
  CHECK_STATUS(WBEM_E_NOT_FOUND, derived.getMethodOrigin("Nope"));
}

// --- embedded objects -----------------------------------------------------------------------------

TEST_CASE("an object:Class property accepts objects of that class or a subclass only", "[classobject][object]") {
  const ClassObject disk = ClassObject::createClass("Disk");
  const ClassObject ssd = disk.spawnDerivedClass("Ssd");
  const ClassObject other = ClassObject::createClass("Other");

  ClassObject holder = ClassObject::createClass("Holder");
  holder.putProperty("D", PropertyType{CimType::Object, false, std::nullopt, "Disk"});
  holder.putProperty("Ds", PropertyType{CimType::Object, true, std::nullopt, "Disk"});
  holder.putProperty("Any", scalarType(CimType::Object));
  ClassObject h = holder.spawnInstance();

  CHECK_OK(h.put("D", Value(share(disk.spawnInstance()))));
  CHECK_OK(h.put("D", Value(share(ssd.spawnInstance()))));
  CHECK_OK(h.put("D", Value(share(disk))));  // a class object of the class is fine too
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, h.put("D", Value(share(other.spawnInstance()))));
  CHECK(h.get("D").asObject()->className() == "Disk");
  CHECK_OK(h.put("D", Value(ObjectPtr{})));
  CHECK(h.get("D").isNull());

  CHECK_OK(h.put("Ds", Value(CimType::Object, ValueArray{Value(share(disk.spawnInstance())), Value(ObjectPtr{}),
                                                         Value(share(ssd.spawnInstance()))})));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH,
               h.put("Ds", Value(CimType::Object,
                                 ValueArray{Value(share(disk.spawnInstance())), Value(share(other.spawnInstance()))})));
  CHECK(h.get("Ds").asArray().size() == 3);

  CHECK_OK(h.put("Any", Value(share(other.spawnInstance()))));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, h.put("Any", Value("not an object")));

  // The class default is checked the same way.
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, holder.put("D", Value(share(other.spawnInstance()))));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, holder.putProperty("E", PropertyType{CimType::Object, false, std::nullopt, "Disk"},
                                                        Value(share(other.spawnInstance()))));
  // And a put by slot.
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, h.put(*h.slotOf("D"), Value(share(other.spawnInstance()))));
}

// --- slots ----------------------------------------------------------------------------------------

TEST_CASE("slot access: resolve once, read and write by slot", "[classobject][slot]") {
  const ClassObject b = classB();
  const auto slot = b.slotOf("FLAG");
  REQUIRE(slot);
  CHECK(*slot == 3);
  CHECK_FALSE(b.slotOf("Nope"));
  CHECK_FALSE(b.slotOf("__CLASS"));
  CHECK(b.get(*slot) == Value(false));  // the default on a class

  ClassObject i1 = b.spawnInstance();
  ClassObject i2 = b.spawnInstance();
  CHECK(i1.slotOf("Flag") == slot);
  i1.put(*slot, Value(true));
  CHECK(i1.get(*slot) == Value(true));
  CHECK(i1.get("Flag") == Value(true));
  CHECK(i2.get(*slot) == Value(false));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, i1.put(*slot, Value("true")));
  const PropertySlot count = *b.slotOf("Count");
  i1.put(count, Value(std::int8_t{4}));
  CHECK(i1.get(count) == Value(std::uint32_t{4}));

  i2.putExact(count, Value(std::uint32_t{77}));
  CHECK(i2.get("Count") == Value(std::uint32_t{77}));
  i2.putExact(count, Value());
  CHECK(i2.get(count).isNull());

  // Slots of a superclass are valid in its subclasses' instances.
  const ClassObject c = classC();
  CHECK(c.slotOf("Flag") == slot);
  ClassObject ci = c.spawnInstance();
  ci.putExact(*slot, Value(true));
  CHECK(ci.get("flag") == Value(true));
}

TEST_CASE("slots and keys stay right as a class grows past the scan limit", "[classobject][slot]") {
  // Properties appended one by one extend the name index in place; a copy taken halfway keeps its
  // own view, and Key qualifiers put or removed later keep keySlots() in slot order.
  ClassObject c = ClassObject::createClass("Wide");
  std::optional<ClassObject> half;
  for (int i = 0; i < 40; ++i) {
    c.putProperty("P" + std::to_string(i), scalarType(CimType::SInt32));
    if (i == 20) half = c;
  }
  for (int i = 0; i < 40; ++i) CHECK(c.slotOf("p" + std::to_string(i)) == static_cast<PropertySlot>(i));
  CHECK(half->slotOf("P20") == PropertySlot{20});
  CHECK_FALSE(half->slotOf("P21"));
  c.putPropertyQualifier("P30", "key", Value(true), kMofDefaultFlavor);  // goes to subclasses
  c.putPropertyQualifier("P2", "Key", Value(true));
  c.putPropertyQualifier("P17", "KEY", Value(true));
  CHECK(c.definition().keySlots() == std::vector<PropertySlot>{2, 17, 30});
  c.removePropertyQualifier("P17", "key");
  c.putPropertyQualifier("P2", "key", Value(false));
  CHECK(c.definition().keySlots() == std::vector<PropertySlot>{30});
  CHECK(half->definition().keySlots().empty());
  ClassObject d = c.spawnDerivedClass("Wider");
  d.putProperty("Extra", scalarType(CimType::String));
  CHECK(d.slotOf("extra") == PropertySlot{40});
  CHECK(d.slotOf("P39") == PropertySlot{39});
  CHECK(d.definition().keySlots() == std::vector<PropertySlot>{30});
  CHECK(c.slotOf("Extra") == std::nullopt);
}

// --- paths ----------------------------------------------------------------------------------------

TEST_CASE("path(): classes, keyed, multi-key, singleton and keyless instances", "[classobject][path]") {
  const ClassObject a = classA();
  REQUIRE(a.path());
  CHECK(a.path()->isClass());
  CHECK(a.path()->relativePath() == "A");

  ClassObject i = a.spawnInstance();
  CHECK_FALSE(i.path());
  i.put("Id", Value("x\"y"));
  REQUIRE(i.path());
  CHECK(i.path()->relativePath() == "A.Id=\"x\\\"y\"");
  CHECK(i.path()->className() == "A");
  CHECK(i.path()->namespacePath().empty());

  ClassObject multi = ClassObject::createClass("Multi");
  multi.putProperty("Zeta", scalarType(CimType::SInt32));
  multi.putProperty("alpha", scalarType(CimType::String));
  multi.putProperty("Mid", scalarType(CimType::Boolean));
  multi.putProperty("NotKey", scalarType(CimType::String));
  for (const char* k : {"Zeta", "alpha", "Mid"}) multi.putPropertyQualifier(k, "Key", Value(true));
  ClassObject m = multi.spawnInstance();
  m.put("Zeta", Value(std::int32_t{-3}));
  m.put("alpha", Value("a"));
  CHECK_FALSE(m.path());  // Mid is not set
  m.put("Mid", Value(true));
  m.put("NotKey", Value("ignored"));
  REQUIRE(m.path());
  CHECK(m.path()->relativePath() == "Multi.alpha=\"a\",Mid=TRUE,Zeta=-3");

  ClassObject single = ClassObject::createClass("Single");
  single.putQualifier("Singleton", Value(true));
  single.putProperty("V", scalarType(CimType::SInt32));
  REQUIRE(single.spawnInstance().path());
  CHECK(single.spawnInstance().path()->relativePath() == "Single=@");
  CHECK(single.spawnInstance().path()->isSingleton());

  ClassObject keyless = ClassObject::createClass("Keyless");
  keyless.putProperty("V", scalarType(CimType::SInt32));
  ClassObject k = keyless.spawnInstance();
  k.put("V", Value(std::int32_t{1}));
  CHECK_FALSE(k.path());
  CHECK(k.get("__RELPATH").isNull());

  // Origin set: the path carries namespace and server.
  i.setOrigin("host", "root/x");
  REQUIRE(i.path());
  CHECK(i.path()->toString() == "\\\\host\\root\\x:A.Id=\"x\\\"y\"");
  CHECK(i.namespacePath() == "root/x");
  CHECK(i.server() == "host");
}

// --- compareTo ------------------------------------------------------------------------------------

TEST_CASE("compareTo: equal objects, class versus instance", "[classobject][compare]") {
  CHECK(classB().compareTo(classB()));
  CHECK(classB() == classB());
  CHECK_FALSE(classB().compareTo(classB().spawnInstance()));
  CHECK_FALSE(classB().spawnInstance().compareTo(classB()));
  CHECK_FALSE(classA().compareTo(classB()));
  CHECK(classB().spawnInstance() == classB().spawnInstance());
  ClassObject i = classB().spawnInstance();
  ClassObject j = classB().spawnInstance();
  i.put("Id", Value("x"));
  CHECK_FALSE(i == j);
  j.put("Id", Value("x"));
  CHECK(i == j);
  // A property more is a difference.
  ClassObject b2 = classB();
  b2.putProperty("More", scalarType(CimType::SInt32));
  CHECK_FALSE(classB().compareTo(b2, 0x3F));
}

TEST_CASE("compareTo with WBEM_FLAG_IGNORE_QUALIFIERS", "[classobject][compare]") {
  ClassObject a = classB(), b = classB();
  b.putQualifier("Description", Value("d"));
  CHECK_FALSE(a.compareTo(b));
  CHECK(a.compareTo(b, WBEM_FLAG_IGNORE_QUALIFIERS));
  ClassObject c = classB();
  c.putPropertyQualifier("Flag", "Description", Value("other"));
  CHECK_FALSE(a.compareTo(c));
  CHECK(a.compareTo(c, WBEM_FLAG_IGNORE_QUALIFIERS));

  ClassObject i = classB().spawnInstance(), j = classB().spawnInstance();
  j.putQualifier("Note", Value("n"));
  CHECK_FALSE(i.compareTo(j));
  CHECK(i.compareTo(j, WBEM_FLAG_IGNORE_QUALIFIERS));
}

TEST_CASE("compareTo with WBEM_FLAG_IGNORE_OBJECT_SOURCE", "[classobject][compare]") {
  ClassObject a = classB(), b = classB();
  b.setOrigin("host", "root\\x");
  CHECK_FALSE(a.compareTo(b));
  CHECK(a.compareTo(b, WBEM_FLAG_IGNORE_OBJECT_SOURCE));
  ClassObject i = classB().spawnInstance(), j = classB().spawnInstance();
  i.setOrigin("h1", "root");
  j.setOrigin("h2", "root");
  CHECK_FALSE(i.compareTo(j));
  CHECK(i.compareTo(j, WBEM_FLAG_IGNORE_OBJECT_SOURCE));
  j.setOrigin("H1", "ROOT");
  CHECK(i.compareTo(j));  // names compare case-insensitively
}

TEST_CASE("compareTo with WBEM_FLAG_IGNORE_DEFAULT_VALUES", "[classobject][compare]") {
  ClassObject a = classB(), b = classB();
  b.put("Count", Value(std::uint32_t{42}));
  CHECK_FALSE(a.compareTo(b));
  CHECK(a.compareTo(b, WBEM_FLAG_IGNORE_DEFAULT_VALUES));
  // Instance values are not defaults.
  ClassObject i = a.spawnInstance(), j = a.spawnInstance();
  j.put("Count", Value(std::uint32_t{42}));
  CHECK_FALSE(i.compareTo(j, WBEM_FLAG_IGNORE_DEFAULT_VALUES));
}

TEST_CASE("compareTo with WBEM_FLAG_IGNORE_CLASS", "[classobject][compare]") {
  ClassObject x = ClassObject::createClass("X");
  x.putProperty("P", scalarType(CimType::SInt32));
  x.putProperty("Q", scalarType(CimType::String));
  ClassObject y = ClassObject::createClass("Y");
  y.putProperty("Q", scalarType(CimType::String));
  y.putProperty("P", scalarType(CimType::SInt32));
  ClassObject xi = x.spawnInstance(), yi = y.spawnInstance();
  xi.put("P", Value(std::int32_t{1}));
  yi.put("P", Value(std::int32_t{1}));
  xi.put("Q", Value("q"));
  yi.put("Q", Value("q"));
  CHECK_FALSE(xi.compareTo(yi));
  CHECK(xi.compareTo(yi, WBEM_FLAG_IGNORE_CLASS));
  yi.put("Q", Value("other"));
  CHECK_FALSE(xi.compareTo(yi, WBEM_FLAG_IGNORE_CLASS));
}

TEST_CASE("compareTo with WBEM_FLAG_IGNORE_CASE", "[classobject][compare]") {
  ClassObject i = classB().spawnInstance(), j = classB().spawnInstance();
  i.put("Id", Value("Hello"));
  j.put("Id", Value("hELLO"));
  CHECK_FALSE(i.compareTo(j));
  CHECK(i.compareTo(j, WBEM_FLAG_IGNORE_CASE));

  ClassObject a = classB(), b = classB();
  a.putProperty("Names", arrayType(CimType::String), Value(CimType::String, ValueArray{Value("ABC")}));
  b.putProperty("Names", arrayType(CimType::String), Value(CimType::String, ValueArray{Value("abc")}));
  CHECK_FALSE(a.compareTo(b));
  CHECK(a.compareTo(b, WBEM_FLAG_IGNORE_CASE));

  // WMI: "This applies to strings and to qualifier values."
  ClassObject c = classB(), d = classB();
  c.putQualifier("Description", Value("Some Text"));
  d.putQualifier("Description", Value("some text"));
  c.putPropertyQualifier("Flag", "DisplayName", Value("FLAG"));
  d.putPropertyQualifier("Flag", "DisplayName", Value("flag"));
  CHECK_FALSE(c.compareTo(d));
  CHECK(c.compareTo(d, WBEM_FLAG_IGNORE_CASE));
}

TEST_CASE("compareTo with WBEM_FLAG_IGNORE_FLAVOR", "[classobject][compare]") {
  ClassObject a = classB(), b = classB();
  a.putQualifier("Q", Value("v"), WBEM_FLAVOR_FLAG_PROPAGATE_TO_DERIVED_CLASS);
  b.putQualifier("Q", Value("v"), WBEM_FLAVOR_FLAG_PROPAGATE_TO_INSTANCE);
  CHECK_FALSE(a.compareTo(b));
  CHECK(a.compareTo(b, WBEM_FLAG_IGNORE_FLAVOR));
  b.putQualifier("Q", Value("w"), WBEM_FLAVOR_FLAG_PROPAGATE_TO_INSTANCE);
  CHECK_FALSE(a.compareTo(b, WBEM_FLAG_IGNORE_FLAVOR));
}
