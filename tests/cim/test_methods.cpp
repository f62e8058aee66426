// Tests of methods on classes: PutMethod and the rules of "Creating a WMI Method"
// (seeds/001, spec section 7 and acceptance cases 86-89), inheritance, deletion, enumeration.

#include "support.hpp"

#include <wbem/classobject.hpp>
#include <wbem/status.hpp>

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

using namespace wbem;

namespace {

using Names = std::vector<std::string>;
using Quals = std::vector<std::pair<std::string, Value>>;

// Adds parameter `name` of `type` to a __PARAMETERS class, with an ID qualifier when `id` is set
// (any value, to test invalid IDs) and further qualifiers.
void addParam(ClassObject& sig, std::string_view name, const PropertyType& type, std::optional<Value> id = std::nullopt,
              const Quals& quals = {}, const Value& defaultValue = Value()) {
  sig.putProperty(name, type, defaultValue);
  if (id) sig.putPropertyQualifier(name, "ID", *id);
  for (const auto& [q, v] : quals) sig.putPropertyQualifier(name, q, v);
}

Value id(std::int32_t n) { return Value(n); }

const PropertyType kSInt32 = scalarType(CimType::SInt32);
const PropertyType kUInt32 = scalarType(CimType::UInt32);
const PropertyType kString = scalarType(CimType::String);

ClassObject params() { return ClassObject::parametersClass(); }

ClassObject withReturn(const PropertyType& type = kUInt32) {
  ClassObject out = params();
  out.putProperty("ReturnValue", type);
  return out;
}

// The ID qualifier a stored signature gives parameter `name`.
Value storedId(const ObjectPtr& sig, std::string_view name) { return sig->getPropertyQualifierSet(name).get("ID"); }

ClassObject baseWithMethod() {
  ClassObject base = ClassObject::createClass("Base");
  ClassObject in = params();
  addParam(in, "X", kSInt32);
  base.putMethod("Run", &in, nullptr);
  // Re-put with qualifiers: Description goes to subclasses, Fixed cannot be overridden there.
  QualifierSet q;
  q.put("Description", Value("runs"), WBEM_FLAVOR_FLAG_PROPAGATE_TO_DERIVED_CLASS);
  q.put("Fixed", Value("f"), WBEM_FLAVOR_FLAG_PROPAGATE_TO_DERIVED_CLASS | WBEM_FLAVOR_NOT_OVERRIDABLE);
  q.put("Local", Value("l"));
  ClassObject out = withReturn();
  base.putMethod("Run", &in, &out, q);
  return base;
}

}  // namespace

// --- IDs ------------------------------------------------------------------------------------------

TEST_CASE("case 86: IDs with a gap give WBEM_E_NONCONSECUTIVE_PARAMETER_IDS", "[methods][ids]") {
  ClassObject cls = ClassObject::createClass("C");
  ClassObject in = params();
  addParam(in, "A", kSInt32, id(0));
  addParam(in, "B", kSInt32, id(2));
  CHECK_STATUS(WBEM_E_NONCONSECUTIVE_PARAMETER_IDS, cls.putMethod("M", &in, nullptr));
  const std::string msg = wbemtest::messageOf([&] { cls.putMethod("M", &in, nullptr); });
  CHECK_THAT(msg, Catch::Matchers::Contains("M") && Catch::Matchers::Contains("B"));
  CHECK(cls.methodNames().empty());

  // IDs must start at 0.
  ClassObject from1 = params();
  addParam(from1, "A", kSInt32, id(1));
  CHECK_STATUS(WBEM_E_NONCONSECUTIVE_PARAMETER_IDS, cls.putMethod("M", &from1, nullptr));
  // A gap across the two signatures.
  ClassObject in2 = params();
  addParam(in2, "A", kSInt32, id(0));
  ClassObject out2 = withReturn();
  addParam(out2, "C", kSInt32, id(2));
  CHECK_STATUS(WBEM_E_NONCONSECUTIVE_PARAMETER_IDS, cls.putMethod("M", &in2, &out2));
}

TEST_CASE("explicit consecutive IDs are accepted and kept", "[methods][ids]") {
  ClassObject cls = ClassObject::createClass("C");
  ClassObject in = params();
  addParam(in, "B", kSInt32, id(1));
  addParam(in, "A", kString, Value(std::uint8_t{0}));  // any integer type will do
  ClassObject out = withReturn();
  addParam(out, "C", kSInt32, id(2));
  REQUIRE_OK(cls.putMethod("M", &in, &out));
  const MethodDef& m = cls.getMethod("m");
  CHECK(m.name == "M");
  CHECK(m.originClass == "C");
  REQUIRE(m.inSignature);
  REQUIRE(m.outSignature);
  CHECK(m.inSignature->className() == "__PARAMETERS");
  CHECK(storedId(m.inSignature, "A") == Value(std::uint8_t{0}));
  CHECK(storedId(m.inSignature, "B") == id(1));
  CHECK(storedId(m.outSignature, "C") == id(2));
  // Stored parameters carry their direction; ReturnValue carries neither ID nor direction.
  CHECK(m.inSignature->getPropertyQualifierSet("A").isTrue("In"));
  CHECK(m.outSignature->getPropertyQualifierSet("C").isTrue("Out"));
  CHECK(m.outSignature->getPropertyQualifierSet("ReturnValue").find("ID") == nullptr);
  CHECK(m.outSignature->getPropertyType("ReturnValue") == kUInt32);
  // The caller's signature objects are not modified.
  CHECK(in.getPropertyQualifierSet("A").find("In") == nullptr);
}

TEST_CASE("absent IDs are assigned in declaration order, in-parameters first", "[methods][ids]") {
  ClassObject cls = ClassObject::createClass("C");
  ClassObject in = params();
  addParam(in, "X", kSInt32);
  addParam(in, "Both", kString);
  addParam(in, "Y", kSInt32);
  ClassObject out = params();
  addParam(out, "Z", kSInt32);  // out-only, declared first in the out-signature
  out.putProperty("ReturnValue", kUInt32);
  addParam(out, "Both", kString);  // the out half of an [in,out] parameter
  addParam(out, "W", kSInt32);
  REQUIRE_OK(cls.putMethod("M", &in, &out));
  const MethodDef& m = cls.getMethod("M");
  CHECK(storedId(m.inSignature, "X") == id(0));
  CHECK(storedId(m.inSignature, "Both") == id(1));
  CHECK(storedId(m.inSignature, "Y") == id(2));
  CHECK(storedId(m.outSignature, "Both") == id(1));
  CHECK(storedId(m.outSignature, "Z") == id(3));
  CHECK(storedId(m.outSignature, "W") == id(4));
  CHECK(m.outSignature->getPropertyQualifierSet("ReturnValue").find("ID") == nullptr);
}

TEST_CASE("some parameters with IDs and some without give WBEM_E_MISSING_PARAMETER_ID", "[methods][ids]") {
  ClassObject cls = ClassObject::createClass("C");
  ClassObject in = params();
  addParam(in, "A", kSInt32, id(0));
  addParam(in, "B", kSInt32);
  CHECK_STATUS(WBEM_E_MISSING_PARAMETER_ID, cls.putMethod("M", &in, nullptr));
  CHECK_THAT(wbemtest::messageOf([&] { cls.putMethod("M", &in, nullptr); }),
             Catch::Matchers::Contains("M") && Catch::Matchers::Contains("B"));

  ClassObject in2 = params();
  addParam(in2, "A", kSInt32, id(0));
  ClassObject out2 = withReturn();
  addParam(out2, "C", kSInt32);
  CHECK_STATUS(WBEM_E_MISSING_PARAMETER_ID, cls.putMethod("M", &in2, &out2));

  // The two halves of an [in,out] parameter: one with and one without.
  ClassObject in3 = params();
  addParam(in3, "P", kSInt32, id(0));
  ClassObject out3 = params();
  addParam(out3, "P", kSInt32);
  CHECK_STATUS(WBEM_E_MISSING_PARAMETER_ID, cls.putMethod("M", &in3, &out3));
}

TEST_CASE("an ID that is not a non-negative integer gives WBEM_E_INVALID_PARAMETER_ID", "[methods][ids]") {
  ClassObject cls = ClassObject::createClass("C");
  for (const Value& bad : {Value(std::int32_t{-1}), Value(std::int64_t{-5}), Value("0"), Value(1.0), Value(true),
                           Value::null(CimType::SInt32), Value(CimType::SInt32, ValueArray{Value(0)}),
                           Value(std::uint32_t{0x80000000u})}) {
    ClassObject in = params();
    addParam(in, "A", kSInt32, bad);
    INFO(bad.toText());
    CHECK_STATUS(WBEM_E_INVALID_PARAMETER_ID, cls.putMethod("M", &in, nullptr));
  }
  ClassObject in = params();
  addParam(in, "Bad", kSInt32, Value("zero"));
  CHECK_THAT(wbemtest::messageOf([&] { cls.putMethod("Meth", &in, nullptr); }),
             Catch::Matchers::Contains("Meth") && Catch::Matchers::Contains("Bad"));
}

TEST_CASE("inputs after outputs give WBEM_E_INVALID_PARAMETER_ID", "[methods][ids]") {
  ClassObject cls = ClassObject::createClass("C");
  ClassObject in = params();
  addParam(in, "A", kSInt32, id(1));
  ClassObject out = withReturn();
  addParam(out, "B", kSInt32, id(0));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER_ID, cls.putMethod("M", &in, &out));
  CHECK_THAT(wbemtest::messageOf([&] { cls.putMethod("M", &in, &out); }),
             Catch::Matchers::Contains("A") && Catch::Matchers::Contains("B"));
  // Interleaved.
  ClassObject in2 = params();
  addParam(in2, "A", kSInt32, id(0));
  addParam(in2, "C", kSInt32, id(2));
  ClassObject out2 = params();
  addParam(out2, "B", kSInt32, id(1));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER_ID, cls.putMethod("M", &in2, &out2));
}

TEST_CASE("two parameters sharing an ID give WBEM_E_INVALID_DUPLICATE_PARAMETER", "[methods][ids]") {
  ClassObject cls = ClassObject::createClass("C");
  ClassObject in = params();
  addParam(in, "A", kSInt32, id(0));
  addParam(in, "B", kSInt32, id(0));
  CHECK_STATUS(WBEM_E_INVALID_DUPLICATE_PARAMETER, cls.putMethod("M", &in, nullptr));
  CHECK_THAT(wbemtest::messageOf([&] { cls.putMethod("M", &in, nullptr); }),
             Catch::Matchers::Contains("A") && Catch::Matchers::Contains("B"));

  ClassObject in2 = params();
  addParam(in2, "A", kSInt32, id(0));
  ClassObject out2 = params();
  addParam(out2, "B", kSInt32, id(0));
  CHECK_STATUS(WBEM_E_INVALID_DUPLICATE_PARAMETER, cls.putMethod("M", &in2, &out2));
}

// --- [in,out] parameters --------------------------------------------------------------------------

TEST_CASE("an [in,out] parameter appears in both signatures with identical qualifiers", "[methods][inout]") {
  ClassObject cls = ClassObject::createClass("C");
  const Quals same{{"Description", Value("the value")}, {"Units", Value("bytes")}};

  // Seed: sint32 MyMethod3 ([in, out, id(0)] sint32 InOutParam);
  ClassObject in = params();
  addParam(in, "InOutParam", kSInt32, id(0), {{"In", Value(true)}, {"Out", Value(true)}, same[0], same[1]});
  ClassObject out = withReturn(kSInt32);
  addParam(out, "InOutParam", kSInt32, id(0), {{"Out", Value(true)}, same[1], same[0]});
  REQUIRE_OK(cls.putMethod("MyMethod3", &in, &out));
  const MethodDef& m = cls.getMethod("MyMethod3");
  CHECK(m.inSignature->hasProperty("InOutParam"));
  CHECK(m.outSignature->hasProperty("InOutParam"));
  CHECK(storedId(m.outSignature, "InOutParam") == id(0));

  // Without IDs on either side: both halves get the same one.
  ClassObject in2 = params();
  addParam(in2, "P", kSInt32);
  addParam(in2, "Q", kSInt32);
  ClassObject out2 = params();
  addParam(out2, "Q", kSInt32);
  REQUIRE_OK(cls.putMethod("NoIds", &in2, &out2));
  CHECK(storedId(cls.getMethod("NoIds").inSignature, "Q") == id(1));
  CHECK(storedId(cls.getMethod("NoIds").outSignature, "Q") == id(1));
}

TEST_CASE("[in,out] halves that differ give WBEM_E_INVALID_DUPLICATE_PARAMETER", "[methods][inout]") {
  ClassObject cls = ClassObject::createClass("C");
  SECTION("a qualifier value differs") {
    ClassObject in = params();
    addParam(in, "P", kSInt32, id(0), {{"Description", Value("one")}});
    ClassObject out = params();
    addParam(out, "P", kSInt32, id(0), {{"Description", Value("two")}});
    CHECK_STATUS(WBEM_E_INVALID_DUPLICATE_PARAMETER, cls.putMethod("M", &in, &out));
    CHECK_THAT(wbemtest::messageOf([&] { cls.putMethod("M", &in, &out); }),
               Catch::Matchers::Contains("M") && Catch::Matchers::Contains("P"));
  }
  SECTION("a qualifier is on one side only") {
    ClassObject in = params();
    addParam(in, "P", kSInt32, std::nullopt, {{"Description", Value("one")}});
    ClassObject out = params();
    addParam(out, "P", kSInt32);
    CHECK_STATUS(WBEM_E_INVALID_DUPLICATE_PARAMETER, cls.putMethod("M", &in, &out));
  }
  SECTION("the types differ") {
    ClassObject in = params();
    addParam(in, "P", kSInt32, id(0));
    ClassObject out = params();
    addParam(out, "P", kUInt32, id(0));
    CHECK_STATUS(WBEM_E_INVALID_DUPLICATE_PARAMETER, cls.putMethod("M", &in, &out));
  }
  SECTION("array-ness differs") {
    ClassObject in = params();
    addParam(in, "P", kSInt32);
    ClassObject out = params();
    addParam(out, "P", arrayType(CimType::SInt32));
    CHECK_STATUS(WBEM_E_INVALID_DUPLICATE_PARAMETER, cls.putMethod("M", &in, &out));
  }
  SECTION("the IDs differ") {
    ClassObject in = params();
    addParam(in, "P", kSInt32, id(0));
    ClassObject out = params();
    addParam(out, "P", kSInt32, id(1));
    CHECK_STATUS(WBEM_E_INVALID_DUPLICATE_PARAMETER, cls.putMethod("M", &in, &out));
  }
  CHECK(cls.methodNames().empty());
}

// --- ReturnValue ----------------------------------------------------------------------------------

TEST_CASE("case 87: ReturnValue with an ID gives WBEM_E_PARAMETER_ID_ON_RETVAL", "[methods][return]") {
  ClassObject cls = ClassObject::createClass("C");
  ClassObject out = withReturn();
  out.putPropertyQualifier("ReturnValue", "ID", id(0));
  CHECK_STATUS(WBEM_E_PARAMETER_ID_ON_RETVAL, cls.putMethod("M", nullptr, &out));
  ClassObject out2 = withReturn();
  addParam(out2, "A", kSInt32, id(0));
  out2.putPropertyQualifier("returnvalue", "id", id(1));
  CHECK_STATUS(WBEM_E_PARAMETER_ID_ON_RETVAL, cls.putMethod("M", nullptr, &out2));
}

TEST_CASE("ReturnValue among the in-parameters gives WBEM_E_INVALID_METHOD_PARAMETERS", "[methods][return]") {
  ClassObject cls = ClassObject::createClass("C");
  ClassObject in = params();
  in.putProperty("ReturnValue", kUInt32);
  CHECK_STATUS(WBEM_E_INVALID_METHOD_PARAMETERS, cls.putMethod("M", &in, nullptr));
}

TEST_CASE("an array return type gives WBEM_E_INVALID_METHOD", "[methods][return]") {
  ClassObject cls = ClassObject::createClass("C");
  ClassObject out = withReturn(arrayType(CimType::UInt32));
  CHECK_STATUS(WBEM_E_INVALID_METHOD, cls.putMethod("M", nullptr, &out));
  ClassObject outObjects = withReturn(PropertyType{CimType::Object, true, std::nullopt, "Disk"});
  CHECK_STATUS(WBEM_E_INVALID_METHOD, cls.putMethod("M", nullptr, &outObjects));
}

TEST_CASE("the return types the seed allows", "[methods][return]") {
  ClassObject cls = ClassObject::createClass("C");
  for (CimType t : {CimType::Boolean, CimType::SInt8, CimType::UInt64, CimType::Real64, CimType::Char16,
                    CimType::String, CimType::DateTime, CimType::Object}) {
    INFO(cimTypeName(t));
    ClassObject out = withReturn(scalarType(t));
    CHECK_OK(cls.putMethod("M", nullptr, &out));
    CHECK(cls.getMethod("M").outSignature->getPropertyType("ReturnValue") == scalarType(t));
  }
}

TEST_CASE("void methods have no ReturnValue", "[methods][return]") {
  ClassObject cls = ClassObject::createClass("C");
  REQUIRE_OK(cls.putMethod("NoArgs", nullptr, nullptr));
  CHECK_FALSE(cls.getMethod("NoArgs").inSignature);
  CHECK_FALSE(cls.getMethod("NoArgs").outSignature);

  // Seed: void MyMethod2 ([in, id(0)] sint32 InParam, [out, id(1)] sint32 OutParam);
  ClassObject in = params();
  addParam(in, "InParam", kSInt32, id(0), {{"In", Value(true)}});
  ClassObject out = params();
  addParam(out, "OutParam", kSInt32, id(1), {{"Out", Value(true)}});
  REQUIRE_OK(cls.putMethod("MyMethod2", &in, &out));
  const MethodDef& m = cls.getMethod("MyMethod2");
  REQUIRE(m.outSignature);
  CHECK_FALSE(m.outSignature->hasProperty("ReturnValue"));
  CHECK(m.outSignature->hasProperty("OutParam"));
}

// --- names, class only, signatures ----------------------------------------------------------------

TEST_CASE("case 88: putMethod on an instance gives WBEM_E_ILLEGAL_OPERATION", "[methods]") {
  ClassObject instance = ClassObject::createClass("C").spawnInstance();
  ClassObject in = params();
  CHECK_STATUS(WBEM_E_ILLEGAL_OPERATION, instance.putMethod("M", &in, nullptr));
  CHECK_STATUS(WBEM_E_ILLEGAL_OPERATION, instance.putMethod("M", nullptr, nullptr));
  CHECK_STATUS(WBEM_E_ILLEGAL_OPERATION, instance.deleteMethod("M"));
  CHECK_STATUS(WBEM_E_ILLEGAL_OPERATION, instance.putMethodQualifier("M", "Q", Value(true)));
}

TEST_CASE("case 89: method names may not begin or end with '_'", "[methods]") {
  ClassObject cls = ClassObject::createClass("C");
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, cls.putMethod("_Foo", nullptr, nullptr));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, cls.putMethod("Foo_", nullptr, nullptr));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, cls.putMethod("__Foo", nullptr, nullptr));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, cls.putMethod("", nullptr, nullptr));
  CHECK_THAT(wbemtest::messageOf([&] { cls.putMethod("_Foo", nullptr, nullptr); }), Catch::Matchers::Contains("_Foo"));
  CHECK_OK(cls.putMethod("Foo_Bar", nullptr, nullptr));
  CHECK(cls.methodNames() == Names{"Foo_Bar"});
}

TEST_CASE("signatures must be __PARAMETERS classes", "[methods]") {
  ClassObject cls = ClassObject::createClass("C");
  ClassObject other = ClassObject::createClass("NotParams");
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, cls.putMethod("M", &other, nullptr));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, cls.putMethod("M", nullptr, &other));
  ClassObject paramsInstance = params().spawnInstance();
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, cls.putMethod("M", &paramsInstance, nullptr));
  CHECK(cls.methodNames().empty());
}

TEST_CASE("the seed's parameter forms: arrays, sized arrays, references, schema objects", "[methods][seed]") {
  ClassObject cls = ClassObject::createClass("MyClass");
  cls.putQualifier("Dynamic", Value(true));
  cls.putQualifier("Provider", Value("ProviderX"));
  const PropertyType diskArray{CimType::Object, true, std::nullopt, "Win32_LogicalDisk"};
  const PropertyType diskArray32{CimType::Object, true, 32u, "Win32_LogicalDisk"};
  const PropertyType diskRef{CimType::Reference, false, std::nullopt, "Win32_LogicalDisk"};
  const PropertyType anyRef{CimType::Reference, false, std::nullopt, ""};
  const PropertyType disk{CimType::Object, false, std::nullopt, "Win32_LogicalDisk"};

  const auto put = [&](std::string_view name, const PropertyType& inType, const PropertyType& retType) {
    ClassObject in = params();
    addParam(in, "P", inType, id(0), {{"In", Value(true)}});
    ClassObject out = withReturn(retType);
    cls.putMethod(name, &in, &out);
  };
  // sint32 MyMethod1 ([in, id(0)] Win32_LogicalDisk DiskParam[]);
  REQUIRE_OK(put("ArrayParam", diskArray, kSInt32));
  // sint32 MyMethod2 ([in, id(0)] Win32_LogicalDisk DiskParam[32]);
  REQUIRE_OK(put("SizedArrayParam", diskArray32, kSInt32));
  // sint32 MyMethod1 ([in, id(0)] Win32_LogicalDisk ref DiskRef);
  REQUIRE_OK(put("RefParam", diskRef, kSInt32));
  // sint32 MyMethod2 ([in, id(0)] object ref AnyObject);
  REQUIRE_OK(put("AnyRefParam", anyRef, kSInt32));
  // [Implemented] sint32 MyMethod1 ([in, id(0)] Win32_LogicalDisk DiskParam);
  REQUIRE_OK(put("ObjectParam", disk, kSInt32));
  // Win32_LogicalDisk MyMethod2 ([in, id(0)] string DiskVolLabel);
  REQUIRE_OK(put("ObjectReturn", kString, disk));

  CHECK(cls.getMethod("ArrayParam").inSignature->getPropertyType("P") == diskArray);
  CHECK(cls.getMethod("SizedArrayParam").inSignature->getPropertyType("P") == diskArray32);
  CHECK(cls.getMethod("SizedArrayParam").inSignature->getPropertyType("P").arraySize == 32u);
  CHECK(cls.getMethod("RefParam").inSignature->getPropertyType("P").cimTypeQualifier() == "ref:Win32_LogicalDisk");
  CHECK(cls.getMethod("AnyRefParam").inSignature->getPropertyType("P").cimTypeQualifier() == "ref");
  CHECK(cls.getMethod("ObjectParam").inSignature->getPropertyType("P").cimTypeQualifier() == "object:Win32_LogicalDisk");
  CHECK(cls.getMethod("ObjectReturn").outSignature->getPropertyType("ReturnValue") == disk);
  CHECK(cls.methodNames() ==
        Names{"ArrayParam", "SizedArrayParam", "RefParam", "AnyRefParam", "ObjectParam", "ObjectReturn"});

  // Parameter default values are kept in the signature.
  ClassObject in = params();
  addParam(in, "Level", kUInt32, id(0), {}, Value(std::uint32_t{3}));
  REQUIRE_OK(cls.putMethod("WithDefault", &in, nullptr));
  CHECK(cls.getMethod("WithDefault").inSignature->get("Level") == Value(std::uint32_t{3}));
}

// --- redeclaration and inheritance ----------------------------------------------------------------

TEST_CASE("a local method may be replaced with another signature", "[methods][inherit]") {
  ClassObject cls = ClassObject::createClass("C");
  ClassObject in = params();
  addParam(in, "A", kSInt32);
  REQUIRE_OK(cls.putMethod("M", &in, nullptr));
  ClassObject in2 = params();
  addParam(in2, "A", kString);
  addParam(in2, "B", kString);
  REQUIRE_OK(cls.putMethod("M", &in2, nullptr));
  CHECK(cls.methodNames() == Names{"M"});
  CHECK(cls.getMethod("M").inSignature->getPropertyType("A") == kString);
  CHECK(cls.getMethod("M").inSignature->hasProperty("B"));
}

TEST_CASE("methods and their ToSubclass qualifiers are inherited", "[methods][inherit]") {
  const ClassObject base = baseWithMethod();
  const ClassObject derived = base.spawnDerivedClass("Derived");
  CHECK(derived.methodNames() == Names{"Run"});
  CHECK(derived.getMethodOrigin("Run") == "Base");
  const QualifierSet q = derived.getMethodQualifierSet("run");
  CHECK(q.get("Description") == Value("runs"));
  CHECK(q.find("Description")->isPropagated());
  CHECK(q.find("Local") == nullptr);
  CHECK(derived.getMethod("Run").inSignature->hasProperty("X"));
}

TEST_CASE("a derived class redeclaring a method with another signature: WBEM_E_PROPAGATED_METHOD", "[methods][inherit]") {
  ClassObject derived = baseWithMethod().spawnDerivedClass("Derived");
  SECTION("another parameter type") {
    ClassObject in = params();
    addParam(in, "X", kString);
    ClassObject out = withReturn();
    CHECK_STATUS(WBEM_E_PROPAGATED_METHOD, derived.putMethod("Run", &in, &out));
    CHECK_THAT(wbemtest::messageOf([&] { derived.putMethod("Run", &in, &out); }),
               Catch::Matchers::Contains("Run") && Catch::Matchers::Contains("Base"));
  }
  SECTION("an extra parameter") {
    ClassObject in = params();
    addParam(in, "X", kSInt32);
    addParam(in, "Y", kSInt32);
    ClassObject out = withReturn();
    CHECK_STATUS(WBEM_E_PROPAGATED_METHOD, derived.putMethod("RUN", &in, &out));
  }
  SECTION("another return type") {
    ClassObject in = params();
    addParam(in, "X", kSInt32);
    ClassObject out = withReturn(kString);
    CHECK_STATUS(WBEM_E_PROPAGATED_METHOD, derived.putMethod("Run", &in, &out));
  }
  SECTION("void instead of a return value") {
    ClassObject in = params();
    addParam(in, "X", kSInt32);
    CHECK_STATUS(WBEM_E_PROPAGATED_METHOD, derived.putMethod("Run", &in, nullptr));
  }
  SECTION("a renamed parameter") {
    ClassObject in = params();
    addParam(in, "Renamed", kSInt32);
    ClassObject out = withReturn();
    CHECK_STATUS(WBEM_E_PROPAGATED_METHOD, derived.putMethod("Run", &in, &out));
  }
  CHECK(derived.getMethod("Run").inSignature->getPropertyType("X") == kSInt32);
}

TEST_CASE("redeclaring with the same signature changes qualifiers only", "[methods][inherit]") {
  ClassObject derived = baseWithMethod().spawnDerivedClass("Derived");
  ClassObject in = params();
  addParam(in, "X", kSInt32, id(0));  // an explicit ID equal to the assigned one is the same signature
  ClassObject out = withReturn();
  QualifierSet q;
  q.put("Implemented", Value(true));
  q.put("Description", Value("derived runs"));
  REQUIRE_OK(derived.putMethod("Run", &in, &out, q));
  CHECK(derived.getMethodOrigin("Run") == "Base");
  CHECK(derived.methodNames(WBEM_FLAG_PROPAGATED_ONLY) == Names{"Run"});
  const QualifierSet mq = derived.getMethodQualifierSet("Run");
  CHECK(mq.isTrue("Implemented"));
  CHECK_FALSE(mq.find("Implemented")->isPropagated());
  CHECK(mq.get("Description") == Value("derived runs"));
  CHECK(mq.get("Fixed") == Value("f"));  // still inherited
  CHECK(mq.find("Fixed")->isPropagated());

  // A DisableOverride qualifier of the superclass cannot be changed by the redeclaration.
  QualifierSet bad;
  bad.put("Fixed", Value("changed"));
  CHECK_STATUS(WBEM_E_OVERRIDE_NOT_ALLOWED, derived.putMethod("Run", &in, &out, bad));
  CHECK_STATUS(WBEM_E_OVERRIDE_NOT_ALLOWED, derived.putMethodQualifier("Run", "Fixed", Value("changed")));
  CHECK_OK(derived.putMethodQualifier("Run", "Extra", Value(1)));
  CHECK(derived.getMethodQualifierSet("Run").get("Extra") == Value(1));
  CHECK_STATUS(WBEM_E_NOT_FOUND, derived.putMethodQualifier("Nope", "Extra", Value(1)));

  // Redeclared, the method is still inherited: it cannot be deleted here.
  CHECK_STATUS(WBEM_E_PROPAGATED_METHOD, derived.deleteMethod("Run"));
}

TEST_CASE("deleteMethod: local ones go, inherited ones stay", "[methods][inherit]") {
  ClassObject base = baseWithMethod();
  ClassObject derived = base.spawnDerivedClass("Derived");
  ClassObject in = params();
  addParam(in, "V", kString);
  derived.putMethod("Own", &in, nullptr);
  CHECK(derived.methodNames() == Names{"Run", "Own"});
  CHECK(derived.methodNames(WBEM_FLAG_LOCAL_ONLY) == Names{"Own"});
  CHECK(derived.methodNames(WBEM_FLAG_PROPAGATED_ONLY) == Names{"Run"});
  CHECK(base.methodNames(WBEM_FLAG_LOCAL_ONLY) == Names{"Run"});
  CHECK(base.methodNames(WBEM_FLAG_PROPAGATED_ONLY).empty());
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, derived.methodNames(WBEM_FLAG_LOCAL_ONLY | WBEM_FLAG_PROPAGATED_ONLY));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, derived.methodNames(0x1));

  CHECK_STATUS(WBEM_E_PROPAGATED_METHOD, derived.deleteMethod("Run"));
  CHECK_THAT(wbemtest::messageOf([&] { derived.deleteMethod("Run"); }), Catch::Matchers::Contains("Run"));
  CHECK_STATUS(WBEM_E_NOT_FOUND, derived.deleteMethod("Nope"));
  CHECK_OK(derived.deleteMethod("OWN"));
  CHECK(derived.methodNames() == Names{"Run"});
  CHECK_STATUS(WBEM_E_NOT_FOUND, derived.getMethod("Own"));
  CHECK_OK(base.deleteMethod("Run"));
  CHECK(base.methodNames().empty());
  CHECK(derived.methodNames() == Names{"Run"});  // the derived copy is independent
}

TEST_CASE("method changes do not reach earlier copies and instances", "[methods][cow]") {
  ClassObject cls = baseWithMethod();
  const ClassObject copy = cls;
  const ClassObject instance = cls.spawnInstance();
  cls.deleteMethod("Run");
  cls.putMethod("Other", nullptr, nullptr);
  CHECK(copy.methodNames() == Names{"Run"});
  CHECK(instance.methodNames() == Names{"Run"});
  CHECK(instance.getMethod("Run").outSignature);
}
