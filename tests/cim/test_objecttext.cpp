// MOF text of classes and instances (getObjectText) and the MOF and plain text of values.

#include <wbem/classobject.hpp>
#include <wbem/namespace.hpp>
#include <wbem/status.hpp>

#include <catch2/catch.hpp>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "support.hpp"

using namespace wbem;

namespace {

constexpr std::int32_t kToInstance = WBEM_FLAVOR_FLAG_PROPAGATE_TO_INSTANCE;
constexpr std::int32_t kToSubclass = WBEM_FLAVOR_FLAG_PROPAGATE_TO_DERIVED_CLASS;
constexpr std::int32_t kDisableOverride = WBEM_FLAVOR_NOT_OVERRIDABLE;
constexpr std::int32_t kAmended = WBEM_FLAVOR_AMENDED;

PropertyType refTo(std::string cls) { return PropertyType{CimType::Reference, false, std::nullopt, std::move(cls)}; }
PropertyType objectOf(std::string cls) { return PropertyType{CimType::Object, false, std::nullopt, std::move(cls)}; }
PropertyType arrayOf(PropertyType type, std::optional<std::uint32_t> size = std::nullopt) {
  type.array = true;
  type.arraySize = size;
  return type;
}

Value ints(std::initializer_list<std::int32_t> values) {
  ValueArray elements;
  for (std::int32_t v : values) elements.emplace_back(v);
  return Value(CimType::SInt32, std::move(elements));
}

Value strings(std::initializer_list<const char*> values) {
  ValueArray elements;
  for (const char* v : values) elements.emplace_back(v);
  return Value(CimType::String, std::move(elements));
}

const ClassObject& systemClass(std::string_view name) {
  for (const ObjectPtr& cls : systemClasses())
    if (cls->className() == name) return *cls;
  throw std::runtime_error("no system class " + std::string(name));
}

ClassObject innerClass() {
  ClassObject inner = ClassObject::createClass("Inner");
  inner.putProperty("Name", scalarType(CimType::String));
  inner.putProperty("N", scalarType(CimType::SInt32));
  return inner;
}

ClassObject innerInstance(const ClassObject& cls, const char* name) {
  ClassObject instance = cls.spawnInstance();
  instance.put("Name", Value(name));
  return instance;
}

}  // namespace

// --- Value::toMof ------------------------------------------------------------------------------

TEST_CASE("toMof of strings escapes quotes, backslashes and control characters", "[objecttext]") {
  CHECK(Value("plain").toMof() == R"("plain")");
  CHECK(Value("").toMof() == R"("")");
  CHECK(Value("say \"hi\"").toMof() == R"("say \"hi\"")");
  CHECK(Value("C:\\dir\\file").toMof() == R"("C:\\dir\\file")");
  CHECK(Value("a\nb\tc\rd").toMof() == R"("a\nb\tc\rd")");
  CHECK(Value("bell\anul\001del\177").toMof() == R"("bell\x0007nul\x0001del\x007F")");
  CHECK(Value("it's").toMof() == R"("it's")");
  CHECK(Value("caf\xC3\xA9").toMof() == "\"caf\xC3\xA9\"");  // UTF-8 passes through
}

TEST_CASE("toMof of char16 values", "[objecttext]") {
  CHECK(Value(u'x').toMof() == "'x'");
  CHECK(Value(u'"').toMof() == "'\"'");
  CHECK(Value(u'\'').toMof() == R"('\'')");
  CHECK(Value(u'\\').toMof() == R"('\\')");
  CHECK(Value(u'\n').toMof() == R"('\n')");
  CHECK(Value(char16_t{0x01}).toMof() == R"('\x0001')");
  CHECK(Value(char16_t{0xE9}).toMof() == R"('\x00E9')");
  CHECK(Value(char16_t{0xD800}).toMof() == R"('\xD800')");  // a lone surrogate: the MOF compiler reads it back
  CHECK(Value(char16_t{0xFFFF}).toMof() == R"('\xFFFF')");
  CHECK(Value(char16_t{0}).toMof() == R"('\x0000')");
}

TEST_CASE("toMof of integers and booleans", "[objecttext]") {
  CHECK(Value(std::int8_t{-128}).toMof() == "-128");
  CHECK(Value(std::uint8_t{255}).toMof() == "255");
  CHECK(Value(std::int16_t{-2}).toMof() == "-2");
  CHECK(Value(std::uint16_t{65535}).toMof() == "65535");
  CHECK(Value(std::int32_t{0}).toMof() == "0");
  CHECK(Value(std::uint32_t{4294967295u}).toMof() == "4294967295");
  CHECK(Value(std::numeric_limits<long long>::min()).toMof() == "-9223372036854775808");
  CHECK(Value(std::numeric_limits<unsigned long long>::max()).toMof() == "18446744073709551615");
  CHECK(Value(true).toMof() == "TRUE");
  CHECK(Value(false).toMof() == "FALSE");
}

TEST_CASE("toMof of reals is the shortest exact text and always a MOF real", "[objecttext]") {
  CHECK(Value(2.0).toMof() == "2.0");
  CHECK(Value(0.1).toMof() == "0.1");
  CHECK(Value(-1.5).toMof() == "-1.5");
  CHECK(Value(-0.0).toMof() == "-0.0");
  CHECK(Value(1e20).toMof() == "1.0e+20");
  CHECK(Value(1.5e-7).toMof() == "1.5e-07");
  CHECK(Value(1.0 / 3.0).toMof() == "0.3333333333333333");
  CHECK(Value::real32(0.1f).toMof() == "0.1");
  CHECK(Value::real32(16777216.0f).toMof() == "16777216.0");
  // No digits spell these: the MOF compiler's extension words.
  CHECK(Value(std::numeric_limits<double>::infinity()).toMof() == "Inf");
  CHECK(Value(-std::numeric_limits<double>::infinity()).toMof() == "-Inf");
  CHECK(Value(std::numeric_limits<double>::quiet_NaN()).toMof() == "NaN");
  CHECK(Value(-std::numeric_limits<double>::quiet_NaN()).toMof() == "NaN");
  CHECK(Value::real32(-std::numeric_limits<float>::infinity()).toMof() == "-Inf");
  CHECK(Value::real32(std::numeric_limits<float>::quiet_NaN()).toMof() == "NaN");
  CHECK(Value(CimType::Real64, ValueArray{Value(1.0), Value(std::numeric_limits<double>::infinity())}).toMof() ==
        "{1.0, Inf}");

  for (double d : {0.1, 1.0 / 3.0, 2.5e300, 2.2250738585072014e-308, 123456789.123456789, -7e-5, 1e15, 1e16}) {
    const std::string text = Value(d).toMof();
    INFO(text);
    CHECK(text.find('.') != std::string::npos);
    double back = 0;
    REQUIRE(std::from_chars(text.data(), text.data() + text.size(), back).ec == std::errc());
    CHECK(back == d);
  }
  for (float f : {0.1f, 3.14159265f, 1e-30f, 65504.0f}) {
    const std::string text = Value::real32(f).toMof();
    INFO(text);
    float back = 0;
    REQUIRE(std::from_chars(text.data(), text.data() + text.size(), back).ec == std::errc());
    CHECK(back == f);
  }
}

TEST_CASE("toMof of datetimes, references, arrays and NULL", "[objecttext]") {
  CHECK(Value(DateTime::timestamp(2024, 1, 2, 3, 4, 5, 6, 60)).toMof() == R"("20240102030405.000006+060")");
  CHECK(Value(DateTime::interval(1, 2, 3, 4, 5)).toMof() == R"("00000001020304.000005:000")");
  CHECK(Value::reference(R"(Rep.K="a")").toMof() == R"("Rep.K=\"a\"")");
  CHECK(ints({1, 2, 3}).toMof() == "{1, 2, 3}");
  CHECK(ints({}).toMof() == "{}");
  CHECK(strings({"a", "b\"c"}).toMof() == R"({"a", "b\"c"})");
  CHECK(Value(CimType::SInt32, ValueArray{Value(std::int32_t{1}), Value::null(CimType::SInt32)}).toMof() ==
        "{1, NULL}");
  CHECK(Value(CimType::Boolean, ValueArray{Value(true), Value(false)}).toMof() == "{TRUE, FALSE}");
  CHECK(Value().toMof() == "NULL");
  CHECK(Value::null(CimType::String).toMof() == "NULL");
  CHECK(Value::null(CimType::UInt8, true).toMof() == "NULL");
}

TEST_CASE("toMof of an embedded instance is its instance block", "[objecttext]") {
  const ClassObject inner = innerClass();
  const Value value(share(innerInstance(inner, "c")));
  CHECK(value.toMof() == "instance of Inner\n{\n    Name = \"c\";\n}");
}

// --- Value::toText -----------------------------------------------------------------------------

TEST_CASE("toText is the plain form of string templates", "[objecttext]") {
  CHECK(Value("say \"hi\"\n").toText() == "say \"hi\"\n");
  CHECK(Value(u'x').toText() == "x");
  CHECK(Value(char16_t{0xE9}).toText() == "\xC3\xA9");
  CHECK(Value(std::int32_t{-90}).toText() == "-90");
  CHECK(Value(std::numeric_limits<unsigned long long>::max()).toText() == "18446744073709551615");
  CHECK(Value(2.0).toText() == "2");
  CHECK(Value(0.1).toText() == "0.1");
  CHECK(Value(1e20).toText() == "1e+20");
  CHECK(Value::real32(0.1f).toText() == "0.1");
  CHECK(Value(true).toText() == "TRUE");
  CHECK(Value(false).toText() == "FALSE");
  CHECK(Value(DateTime::timestamp(2024, 1, 2, 3, 4, 5, 6, -300)).toText() == "20240102030405.000006-300");
  CHECK(Value::reference(R"(Rep.K="a")").toText() == R"(Rep.K="a")");
  CHECK(Value().toText().empty());
  CHECK(Value::null(CimType::SInt32).toText().empty());
  CHECK(Value::null(CimType::SInt32, true).toText().empty());
}

TEST_CASE("toText of arrays follows the template rules", "[objecttext]") {
  CHECK(ints({1, 5, 10, 1024}).toText() == "(1,5,10,1024)");
  CHECK(ints({7}).toText() == "7");
  CHECK(ints({}).toText() == "()");
  CHECK(strings({"C:", "D:"}).toText() == R"(("C:","D:"))");
  CHECK(strings({"C:"}).toText() == R"("C:")");
  CHECK(Value(CimType::Boolean, ValueArray{Value(true), Value(false)}).toText() == "(TRUE,FALSE)");
  CHECK(Value(CimType::SInt32, ValueArray{Value(std::int32_t{1}), Value::null(CimType::SInt32)}).toText() == "(1,)");
}

TEST_CASE("toText of an embedded object is its object text", "[objecttext]") {
  const ClassObject inner = innerClass();
  const ClassObject instance = innerInstance(inner, "c");
  CHECK(Value(share(instance)).toText() == "instance of Inner\n{\n    Name = \"c\";\n};\n");
  CHECK(Value(share(instance)).toText() == instance.getObjectText());
}

// --- classes -----------------------------------------------------------------------------------

TEST_CASE("class qualifiers with their flavors", "[objecttext]") {
  ClassObject cls = ClassObject::createClass("Sample");
  cls.putQualifier("Description", Value("A \"sample\" class"), kMofDefaultFlavor);
  cls.putQualifier("abstract", Value(true), WBEM_FLAVOR_DONT_PROPAGATE);
  cls.putQualifier("Locale", Value(std::int32_t{1033}), kToInstance | kToSubclass);
  cls.putQualifier("Fixed", Value(false), kToSubclass | kDisableOverride);
  cls.putQualifier("DisplayName", Value("Sample"), kToSubclass | kAmended);
  cls.putQualifier("Values", strings({"a", "b"}), kMofDefaultFlavor);
  cls.putQualifier("Everything", Value(true), kToInstance | kDisableOverride | kAmended);

  CHECK(cls.getObjectText() ==
        "[Description(\"A \\\"sample\\\" class\"), abstract: Restricted, Locale(1033): ToInstance, "
        "Fixed(FALSE): DisableOverride, DisplayName(\"Sample\"): Amended, Values{\"a\", \"b\"}, "
        "Everything: ToInstance DisableOverride Restricted Amended]\n"
        "class Sample\n"
        "{\n"
        "};\n");
  CHECK(cls.getObjectText(WBEM_FLAG_NO_FLAVORS) ==
        "[Description(\"A \\\"sample\\\" class\"), abstract, Locale(1033), Fixed(FALSE), DisplayName(\"Sample\"), "
        "Values{\"a\", \"b\"}, Everything]\n"
        "class Sample\n"
        "{\n"
        "};\n");
}

TEST_CASE("a class without qualifiers or properties", "[objecttext]") {
  CHECK(ClassObject::createClass("Empty").getObjectText() == "class Empty\n{\n};\n");
}

TEST_CASE("properties of every type, arrays, references and defaults", "[objecttext]") {
  ClassObject cls = ClassObject::createClass("AllTypes");
  cls.putProperty("Id", scalarType(CimType::String));
  cls.putPropertyQualifier("Id", "key", Value(true), kToSubclass | kDisableOverride);
  cls.putPropertyQualifier("Id", "MaxLen", Value(std::uint32_t{64}), kMofDefaultFlavor);
  cls.putProperty("S8", scalarType(CimType::SInt8), Value(std::int8_t{-8}));
  cls.putProperty("U8", scalarType(CimType::UInt8), Value(std::uint8_t{8}));
  cls.putProperty("S16", scalarType(CimType::SInt16), Value(std::int16_t{-16}));
  cls.putProperty("U16", scalarType(CimType::UInt16), Value(std::uint16_t{16}));
  cls.putProperty("S32", scalarType(CimType::SInt32), Value(std::int32_t{-32}));
  cls.putProperty("U32", scalarType(CimType::UInt32), Value(std::uint32_t{32}));
  cls.putProperty("S64", scalarType(CimType::SInt64), Value(-64LL));
  cls.putProperty("U64", scalarType(CimType::UInt64), Value(18446744073709551615ULL));
  cls.putProperty("R32", scalarType(CimType::Real32), Value::real32(0.1f));
  cls.putProperty("R64", scalarType(CimType::Real64), Value(2.0));
  cls.putProperty("B", scalarType(CimType::Boolean), Value(true));
  cls.putProperty("Str", scalarType(CimType::String), Value("tab\there"));
  cls.putProperty("Dt", scalarType(CimType::DateTime), Value(DateTime::timestamp(2024, 1, 2, 3, 4, 5, 6, 60)));
  cls.putProperty("C", scalarType(CimType::Char16), Value(u'x'));
  cls.putProperty("Ref", refTo("Other"), Value::reference(R"(Other.Name="n")"));
  cls.putProperty("AnyRef", refTo(""));
  cls.putProperty("Obj", objectOf("Other"));
  cls.putProperty("AnyObj", objectOf(""));
  cls.putProperty("NoDefault", scalarType(CimType::UInt32));
  cls.putProperty("Arr", arrayType(CimType::SInt32), ints({1, 2, 3}));
  cls.putProperty("Fixed", arrayOf(scalarType(CimType::UInt8), 4));
  cls.putProperty("Strs", arrayType(CimType::String), strings({"a", "b"}));
  cls.putProperty("Refs", arrayOf(refTo("Other")));
  cls.putProperty("Objs", arrayOf(objectOf("Other")));
  cls.putProperty("Empty", arrayType(CimType::Real64), Value(CimType::Real64, ValueArray{}));

  // MaxLen is a uint32, which its literal alone would not give.
  CHECK(cls.getObjectText() ==
        "Qualifier MaxLen : uint32;\n"
        "class AllTypes\n"
        "{\n"
        "    [key: DisableOverride, MaxLen(64)] string Id;\n"
        "    sint8 S8 = -8;\n"
        "    uint8 U8 = 8;\n"
        "    sint16 S16 = -16;\n"
        "    uint16 U16 = 16;\n"
        "    sint32 S32 = -32;\n"
        "    uint32 U32 = 32;\n"
        "    sint64 S64 = -64;\n"
        "    uint64 U64 = 18446744073709551615;\n"
        "    real32 R32 = 0.1;\n"
        "    real64 R64 = 2.0;\n"
        "    boolean B = TRUE;\n"
        "    string Str = \"tab\\there\";\n"
        "    datetime Dt = \"20240102030405.000006+060\";\n"
        "    char16 C = 'x';\n"
        "    Other ref Ref = \"Other.Name=\\\"n\\\"\";\n"
        "    object ref AnyRef;\n"
        "    Other Obj;\n"
        "    object AnyObj;\n"
        "    uint32 NoDefault;\n"
        "    sint32 Arr[] = {1, 2, 3};\n"
        "    uint8 Fixed[4];\n"
        "    string Strs[] = {\"a\", \"b\"};\n"
        "    Other ref Refs[];\n"
        "    Other Objs[];\n"
        "    real64 Empty[] = {};\n"
        "};\n");
  CHECK(cls.getObjectText(WBEM_FLAG_NO_FLAVORS).find("    [key, MaxLen(64)] string Id;\n") != std::string::npos);
}

TEST_CASE("a derived class shows local and locally overridden declarations only", "[objecttext]") {
  ClassObject base = ClassObject::createClass("Base");
  base.putQualifier("abstract", Value(true), WBEM_FLAVOR_DONT_PROPAGATE);
  base.putQualifier("Description", Value("base"), kMofDefaultFlavor);
  base.putProperty("K", scalarType(CimType::String));
  base.putPropertyQualifier("K", "key", Value(true), kToSubclass | kDisableOverride);
  base.putProperty("V", scalarType(CimType::UInt32), Value(std::uint32_t{5}));
  base.putProperty("W", scalarType(CimType::String));

  ClassObject derived = base.spawnDerivedClass("Derived");
  derived.putPropertyQualifier("W", "Description", Value("overridden"), kMofDefaultFlavor);
  derived.putProperty("Extra", arrayType(CimType::SInt64));

  CHECK(base.getObjectText() ==
        "[abstract: Restricted, Description(\"base\")]\n"
        "class Base\n"
        "{\n"
        "    [key: DisableOverride] string K;\n"
        "    uint32 V = 5;\n"
        "    string W;\n"
        "};\n");
  CHECK(derived.getObjectText() ==
        "class Derived : Base\n"
        "{\n"
        "    [Description(\"overridden\")] string W;\n"
        "    sint64 Extra[];\n"
        "};\n");
}

namespace {

// The MOF forms of "Creating a WMI Method".
ClassObject methodClass() {
  ClassObject cls = ClassObject::createClass("MyClass");
  cls.putQualifier("Dynamic", Value(true), kMofDefaultFlavor);
  cls.putQualifier("Provider", Value("ProviderX"), kMofDefaultFlavor);

  const auto parameter = [](ClassObject& signature, const char* name, const PropertyType& type, bool in,
                            std::int32_t id) {
    signature.putProperty(name, type);
    signature.putPropertyQualifier(name, in ? "In" : "Out", Value(true), kMofDefaultFlavor);
    signature.putPropertyQualifier(name, "ID", Value(id), kMofDefaultFlavor);
  };
  const auto returns = [](ClassObject& signature, const PropertyType& type) {
    signature.putProperty(kReturnValue, type);
    signature.putPropertyQualifier(kReturnValue, "Out", Value(true), kMofDefaultFlavor);
  };
  const PropertyType sint32 = scalarType(CimType::SInt32);
  const PropertyType disk = objectOf("Win32_LogicalDisk");

  ClassObject in1 = ClassObject::parametersClass(), out1 = ClassObject::parametersClass();
  parameter(in1, "InParam", sint32, true, 0);
  returns(out1, sint32);
  cls.putMethod("MyMethod1", &in1, &out1);

  ClassObject in2 = ClassObject::parametersClass(), out2 = ClassObject::parametersClass();
  parameter(in2, "InParam", sint32, true, 0);
  parameter(out2, "OutParam", sint32, false, 1);
  cls.putMethod("MyMethod2", &in2, &out2);

  ClassObject in3 = ClassObject::parametersClass(), out3 = ClassObject::parametersClass();
  parameter(in3, "InOutParam", sint32, true, 0);
  parameter(out3, "InOutParam", sint32, false, 0);
  returns(out3, sint32);
  cls.putMethod("MyMethod3", &in3, &out3);

  ClassObject in4 = ClassObject::parametersClass(), out4 = ClassObject::parametersClass();
  parameter(in4, "DiskParam", arrayOf(disk), true, 0);
  parameter(in4, "Fixed", arrayOf(disk, 32), true, 1);
  returns(out4, sint32);
  QualifierSet implemented;
  implemented.put("Implemented", Value(true), kMofDefaultFlavor);
  cls.putMethod("Disks", &in4, &out4, implemented);

  ClassObject in5 = ClassObject::parametersClass(), out5 = ClassObject::parametersClass();
  parameter(in5, "DiskRef", refTo("Win32_LogicalDisk"), true, 0);
  in5.putPropertyQualifier("DiskRef", "Description", Value("any"), kMofDefaultFlavor);
  parameter(in5, "AnyObject", refTo(""), true, 1);
  parameter(out5, "Results", arrayOf(objectOf("")), false, 2);
  returns(out5, disk);
  QualifierSet isStatic;
  isStatic.put("Static", Value(true), kMofDefaultFlavor);
  cls.putMethod("Refs", &in5, &out5, isStatic);

  ClassObject in6 = ClassObject::parametersClass();
  parameter(in6, "Label", scalarType(CimType::String), true, 0);
  in6.put("Label", Value("none"));
  cls.putMethod("WithDefault", &in6, nullptr);

  cls.putMethod("NoParams", nullptr, nullptr);
  return cls;
}

}  // namespace

TEST_CASE("methods with in, out and in-out parameters of every form", "[objecttext]") {
  CHECK(methodClass().getObjectText() ==
        "[Dynamic, Provider(\"ProviderX\")]\n"
        "class MyClass\n"
        "{\n"
        "    sint32 MyMethod1([In, ID(0)] sint32 InParam);\n"
        "    void MyMethod2([In, ID(0)] sint32 InParam, [Out, ID(1)] sint32 OutParam);\n"
        "    sint32 MyMethod3([In, Out, ID(0)] sint32 InOutParam);\n"
        "    [Implemented] sint32 Disks([In, ID(0)] Win32_LogicalDisk DiskParam[], "
        "[In, ID(1)] Win32_LogicalDisk Fixed[32]);\n"
        "    [Static] Win32_LogicalDisk Refs([In, ID(0), Description(\"any\")] Win32_LogicalDisk ref DiskRef, "
        "[In, ID(1)] object ref AnyObject, [Out, ID(2)] object Results[]);\n"
        "    void WithDefault([In, ID(0)] string Label = \"none\");\n"
        "    void NoParams();\n"
        "};\n");
}

TEST_CASE("parameter qualifiers keep their stored names and flavors", "[objecttext]") {
  ClassObject cls = ClassObject::createClass("Tool");
  ClassObject in = ClassObject::parametersClass(), out = ClassObject::parametersClass();
  in.putProperty("Path", scalarType(CimType::String));
  in.putPropertyQualifier("Path", "in", Value(true), kToSubclass | kDisableOverride);
  in.putPropertyQualifier("Path", "id", Value(std::int32_t{0}), WBEM_FLAVOR_DONT_PROPAGATE);
  out.putProperty("Path", scalarType(CimType::String));
  out.putPropertyQualifier("Path", "out", Value(true), kMofDefaultFlavor);
  out.putPropertyQualifier("Path", "id", Value(std::int32_t{0}), WBEM_FLAVOR_DONT_PROPAGATE);
  out.putProperty(kReturnValue, scalarType(CimType::Boolean));
  cls.putMethod("Resolve", &in, &out);
  // IDs and directions that putMethod assigns itself.
  ClassObject plain = ClassObject::parametersClass();
  plain.putProperty("A", scalarType(CimType::UInt8));
  plain.putProperty("B", arrayType(CimType::String));
  cls.putMethod("Assigned", &plain, nullptr);

  CHECK(cls.getObjectText().find("    boolean Resolve([in: DisableOverride, out, id(0): Restricted] string Path);\n") !=
        std::string::npos);
  CHECK(cls.getObjectText(WBEM_FLAG_NO_FLAVORS) ==
        "class Tool\n"
        "{\n"
        "    boolean Resolve([in, out, id(0)] string Path);\n"
        "    void Assigned([In, ID(0)] uint8 A, [In, ID(1)] string B[]);\n"
        "};\n");
}

TEST_CASE("a derived class shows only the methods it overrides", "[objecttext]") {
  ClassObject derived = methodClass().spawnDerivedClass("MyDerived");
  CHECK(derived.getObjectText() == "class MyDerived : MyClass\n{\n};\n");
  derived.putMethodQualifier("MyMethod1", "Implemented", Value(true), kMofDefaultFlavor);
  CHECK(derived.getObjectText() ==
        "class MyDerived : MyClass\n"
        "{\n"
        "    [Implemented] sint32 MyMethod1([In, ID(0)] sint32 InParam);\n"
        "};\n");
}

TEST_CASE("system classes as text", "[objecttext]") {
  CHECK(systemClass("__EventFilter").getObjectText() ==
        "class __EventFilter : __IndicationRelated\n"
        "{\n"
        "    string CreatorSID;\n"
        "    string EventAccess;\n"
        "    string EventNamespace;\n"
        "    [key: DisableOverride] string Name;\n"
        "    string Query;\n"
        "    string QueryLanguage;\n"
        "};\n");
  CHECK(systemClass("__EventProviderRegistration").getObjectText() ==
        "class __EventProviderRegistration : __ProviderRegistration\n"
        "{\n"
        "    [key: DisableOverride] __Provider ref provider;\n"
        "    string EventQueryList[];\n"
        "};\n");
  CHECK(systemClass("__Event").getObjectText(WBEM_FLAG_NO_FLAVORS) ==
        "[abstract]\n"
        "class __Event : __IndicationRelated\n"
        "{\n"
        "    uint8 SECURITY_DESCRIPTOR[];\n"
        "    uint64 TIME_CREATED;\n"
        "};\n");
  CHECK(systemClass("__InstanceCreationEvent").getObjectText() ==
        "class __InstanceCreationEvent : __InstanceOperationEvent\n{\n};\n");
  CHECK(systemClass("__ArbitratorConfiguration")
            .getObjectText()
            .starts_with("[singleton]\nclass __ArbitratorConfiguration : __SystemClass\n{\n"
                         "    uint32 TemporarySubscriptionsPerUser = 1000;\n"));
}

TEST_CASE("qualifiers that their literals would retype are declared ahead of the object", "[objecttext]") {
  ClassObject cls = ClassObject::createClass("Typed");
  cls.putQualifier("Max", Value(std::uint32_t{5}), kMofDefaultFlavor);
  cls.putQualifier("Plain", Value(std::int32_t{5}), kMofDefaultFlavor);
  cls.putProperty("P", scalarType(CimType::String));
  cls.putPropertyQualifier("P", "max", Value(std::uint32_t{7}), kMofDefaultFlavor);  // one name, one type
  cls.putPropertyQualifier("P", "Ratio", Value::real32(0.5f), kMofDefaultFlavor);
  cls.putPropertyQualifier("P", "Since", Value(DateTime::timestamp(2024, 1, 2, 3, 4, 5, 6, 0)), kMofDefaultFlavor);
  cls.putPropertyQualifier("P", "Codes", Value(CimType::UInt8, ValueArray{}), kMofDefaultFlavor);
  cls.putPropertyQualifier("P", "Nothing", Value::null(CimType::String, true), kMofDefaultFlavor);
  cls.putPropertyQualifier("P", "Big", Value(5000000000LL), kMofDefaultFlavor);  // sint64 by its literal
  cls.putPropertyQualifier("P", "Huge", Value(18446744073709551615ULL), kMofDefaultFlavor);
  cls.putPropertyQualifier("P", "Letters", Value(CimType::Char16, ValueArray{Value(u'a')}), kMofDefaultFlavor);
  cls.putPropertyQualifier("P", "Untyped", Value(), kMofDefaultFlavor);

  const std::string expected =
      "Qualifier Max : uint32;\n"
      "Qualifier Ratio : real32;\n"
      "Qualifier Since : datetime;\n"
      "Qualifier Codes : uint8[];\n"
      "Qualifier Nothing : string[];\n"
      "[Max(5), Plain(5)]\n"
      "class Typed\n"
      "{\n"
      "    [max(7), Ratio(0.5), Since(\"20240102030405.000006+000\"), Codes{}, Nothing(NULL), Big(5000000000), "
      "Huge(18446744073709551615), Letters{'a'}, Untyped(NULL)] string P;\n"
      "};\n";
  CHECK(cls.getObjectText() == expected);
  CHECK(cls.getObjectText(WBEM_FLAG_EXACT_TEXT) == expected);

  // Declarations come before the qualifiers of an instance and of its embedded instances too.
  ClassObject holder = ClassObject::createClass("Holder");
  holder.putProperty("Inner", objectOf(""));
  ClassObject inner = innerInstance(innerClass(), "i");
  inner.putPropertyQualifier("Name", "Weight", Value(std::uint16_t{3}), kMofDefaultFlavor);
  ClassObject instance = holder.spawnInstance();
  instance.put("Inner", Value(share(inner)));
  CHECK(instance.getObjectText() ==
        "Qualifier Weight : uint16;\n"
        "instance of Holder\n"
        "{\n"
        "    Inner = instance of Inner\n"
        "    {\n"
        "        [Weight(3)] Name = \"i\";\n"
        "    };\n"
        "};\n");
  // A value alone has no place for declarations.
  CHECK(instance.get("Inner").toMof() == "instance of Inner\n{\n    [Weight(3)] Name = \"i\";\n}");
}

TEST_CASE("one qualifier name of several types is declared only when its literals keep them", "[objecttext]") {
  ClassObject literal = ClassObject::createClass("Literal");
  literal.putQualifier("Max", Value(std::int32_t{1}), kMofDefaultFlavor);
  literal.putProperty("P", scalarType(CimType::String));
  literal.putPropertyQualifier("P", "Max", Value(5000000000LL), kMofDefaultFlavor);
  literal.putPropertyQualifier("P", "Note", Value(), kMofDefaultFlavor);
  literal.putProperty("Q", scalarType(CimType::String));
  literal.putPropertyQualifier("Q", "Note", Value("text"), kMofDefaultFlavor);
  // sint32 and sint64, NULL and string: what the literals give, with no declaration.
  CHECK(literal.getObjectText(WBEM_FLAG_EXACT_TEXT) == literal.getObjectText());
  CHECK(literal.getObjectText().starts_with("[Max(1)]\nclass Literal\n"));

  ClassObject mixed = ClassObject::createClass("Mixed");
  mixed.putProperty("P", scalarType(CimType::String));
  mixed.putPropertyQualifier("P", "Max", Value(std::uint32_t{1}), kMofDefaultFlavor);
  mixed.putProperty("Q", scalarType(CimType::String));
  mixed.putPropertyQualifier("Q", "Max", Value(std::int32_t{2}), kMofDefaultFlavor);
  // No one declaration keeps both: the plain text has none, the exact text is refused.
  CHECK(mixed.getObjectText().starts_with("class Mixed\n"));
  const Error error = wbemtest::errorOf([&] { (void)mixed.getObjectText(WBEM_FLAG_EXACT_TEXT); });
  CHECK(error.status() == WBEM_E_INVALID_PARAMETER);
  CHECK_THAT(error.message(), Catch::Contains("'Max'") && Catch::Contains("uint32") && Catch::Contains("sint32"));
}

TEST_CASE("exact text refuses what MOF cannot express, naming where it is", "[objecttext]") {
  const ClassObject part = innerClass();
  const auto refusal = [](const ClassObject& object) {
    const Error error = wbemtest::errorOf([&] { (void)object.getObjectText(WBEM_FLAG_EXACT_TEXT); });
    CHECK(error.status() == WBEM_E_INVALID_PARAMETER);
    CHECK_NOTHROW(object.getObjectText());  // the plain text is still written, as best it can be
    return error.message();
  };

  ClassObject holder = ClassObject::createClass("Holder");
  holder.putProperty("Any", objectOf(""));
  holder.putProperty("Many", arrayOf(objectOf("")));
  ClassObject withClass = holder.spawnInstance();
  withClass.put("Any", Value(share(part)));
  CHECK_THAT(refusal(withClass), Catch::Contains("property 'Any'") && Catch::Contains("class 'Inner'"));
  CHECK(withClass.getObjectText().find("Any = class Inner") != std::string::npos);

  ClassObject inArray = holder.spawnInstance();
  inArray.put("Many", Value(CimType::Object, ValueArray{Value(share(innerInstance(part, "x"))), Value(share(part))}));
  CHECK_THAT(refusal(inArray), Catch::Contains("property 'Many'"));

  ClassObject deep = holder.spawnInstance();
  deep.put("Any", Value(share(withClass)));
  CHECK_THAT(refusal(deep), Catch::Contains("property 'Any' of the instance in property 'Any'"));

  ClassObject defaulted = ClassObject::createClass("Defaulted");
  defaulted.putProperty("Template", objectOf(""), Value(share(part)));
  CHECK_THAT(refusal(defaulted), Catch::Contains("property 'Template'"));

  ClassObject reference = ClassObject::createClass("RefQualifier");
  reference.putProperty("P", scalarType(CimType::String));
  reference.putPropertyQualifier("P", "Target", Value::reference("Inner.Name=\"x\""), kMofDefaultFlavor);
  CHECK_THAT(refusal(reference), Catch::Contains("qualifier 'Target' of property 'P'") && Catch::Contains("reference"));

  ClassObject objectQualifier = ClassObject::createClass("ObjectQualifier");
  objectQualifier.putQualifier("Sample", Value(share(innerInstance(part, "s"))), kMofDefaultFlavor);
  CHECK_THAT(refusal(objectQualifier), Catch::Contains("qualifier 'Sample' of class 'ObjectQualifier'"));

  ClassObject badName = ClassObject::createClass("BadName");
  badName.putQualifier("not a name", Value(true), kMofDefaultFlavor);
  CHECK_THAT(refusal(badName), Catch::Contains("'not a name'") && Catch::Contains("identifier"));
}

TEST_CASE("a NULL array qualifier is written with parentheses", "[objecttext]") {
  ClassObject cls = ClassObject::createClass("NullArray");
  cls.putQualifier("Values", Value::null(CimType::String, true), kMofDefaultFlavor);
  CHECK(cls.getObjectText() == "Qualifier Values : string[];\n[Values(NULL)]\nclass NullArray\n{\n};\n");
}

TEST_CASE("unknown getObjectText flags are refused", "[objecttext]") {
  try {
    (void)ClassObject::createClass("X").getObjectText(0x2);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.status() == WBEM_E_INVALID_PARAMETER);
  }
}

// --- instances ---------------------------------------------------------------------------------

TEST_CASE("an instance with a value of every type", "[objecttext]") {
  ClassObject cls = ClassObject::createClass("Values");
  cls.putQualifier("Locale", Value(std::int32_t{1033}), kToInstance | kToSubclass);
  cls.putProperty("K", scalarType(CimType::String));
  cls.putPropertyQualifier("K", "key", Value(true), kToSubclass | kDisableOverride);
  cls.putProperty("S8", scalarType(CimType::SInt8));
  cls.putProperty("U16", scalarType(CimType::UInt16));
  cls.putProperty("S64", scalarType(CimType::SInt64));
  cls.putProperty("U64", scalarType(CimType::UInt64));
  cls.putProperty("R32", scalarType(CimType::Real32));
  cls.putProperty("R64", scalarType(CimType::Real64));
  cls.putProperty("B", scalarType(CimType::Boolean));
  cls.putProperty("C", scalarType(CimType::Char16));
  cls.putProperty("Dt", scalarType(CimType::DateTime));
  cls.putProperty("Ref", refTo("Values"));
  cls.putProperty("Arr", arrayType(CimType::UInt8));
  cls.putProperty("Strs", arrayType(CimType::String));
  cls.putProperty("Unset", scalarType(CimType::String));
  cls.putProperty("Defaulted", scalarType(CimType::UInt32), Value(std::uint32_t{7}));
  cls.putProperty("Cleared", scalarType(CimType::String), Value("class default"));

  ClassObject instance = cls.spawnInstance();
  instance.put("K", Value("a\\b"));
  instance.put("S8", Value(std::int8_t{-1}));
  instance.put("U16", Value(std::uint16_t{65535}));
  instance.put("S64", Value(-9000000000LL));
  instance.put("U64", Value(9000000000ULL));
  instance.put("R32", Value::real32(1.5f));
  instance.put("R64", Value(3.0));
  instance.put("B", Value(false));
  instance.put("C", Value(u'\t'));
  instance.put("Dt", Value(DateTime::interval(0, 0, 0, 30)));
  instance.put("Ref", Value::reference(R"(Values.K="z")"));
  instance.put("Arr", Value(CimType::UInt8, ValueArray{Value(std::uint8_t{1}), Value(std::uint8_t{255})}));
  instance.put("Strs", strings({"x", "y z"}));
  instance.put("Cleared", Value());

  CHECK(instance.getObjectText() ==
        "instance of Values\n"
        "{\n"
        "    K = \"a\\\\b\";\n"
        "    S8 = -1;\n"
        "    U16 = 65535;\n"
        "    S64 = -9000000000;\n"
        "    U64 = 9000000000;\n"
        "    R32 = 1.5;\n"
        "    R64 = 3.0;\n"
        "    B = FALSE;\n"
        "    C = '\\t';\n"
        "    Dt = \"00000000000030.000000:000\";\n"
        "    Ref = \"Values.K=\\\"z\\\"\";\n"
        "    Arr = {1, 255};\n"
        "    Strs = {\"x\", \"y z\"};\n"
        "    Defaulted = 7;\n"
        "    Cleared = NULL;\n"
        "};\n");
}

TEST_CASE("instance-level qualifiers are shown, class qualifiers are not", "[objecttext]") {
  ClassObject cls = innerClass();
  cls.putQualifier("Locale", Value(std::int32_t{1033}), kToInstance | kToSubclass);
  cls.putPropertyQualifier("Name", "MaxLen", Value(std::int32_t{10}), kToInstance | kToSubclass);
  ClassObject instance = innerInstance(cls, "q");
  CHECK(instance.getObjectText() == "instance of Inner\n{\n    Name = \"q\";\n};\n");
  instance.putQualifier("Note", Value("mine"), kMofDefaultFlavor);
  instance.putPropertyQualifier("N", "Units", Value("s"), kMofDefaultFlavor);
  CHECK(instance.getObjectText() ==
        "[Note(\"mine\")]\n"
        "instance of Inner\n"
        "{\n"
        "    Name = \"q\";\n"
        "    [Units(\"s\")] N = NULL;\n"
        "};\n");
}

TEST_CASE("an instance with nested embedded instances", "[objecttext]") {
  const ClassObject inner = innerClass();
  ClassObject outer = ClassObject::createClass("Outer");
  outer.putProperty("Child", objectOf("Inner"));
  outer.putProperty("Any", objectOf(""));
  outer.putProperty("Children", arrayOf(objectOf("Inner")));
  outer.putProperty("Label", scalarType(CimType::String));

  ClassObject child = innerInstance(inner, "c");
  child.put("N", Value(std::int32_t{1}));
  ClassObject nested = outer.spawnInstance();
  nested.put("Child", Value(share(innerInstance(inner, "deep"))));

  ClassObject instance = outer.spawnInstance();
  instance.put("Child", Value(share(child)));
  instance.put("Any", Value(share(nested)));
  instance.put("Children", Value(CimType::Object, ValueArray{Value(share(innerInstance(inner, "x"))),
                                                             Value(share(innerInstance(inner, "y")))}));
  instance.put("Label", Value("L"));

  CHECK(instance.getObjectText() ==
        "instance of Outer\n"
        "{\n"
        "    Child = instance of Inner\n"
        "    {\n"
        "        Name = \"c\";\n"
        "        N = 1;\n"
        "    };\n"
        "    Any = instance of Outer\n"
        "    {\n"
        "        Child = instance of Inner\n"
        "        {\n"
        "            Name = \"deep\";\n"
        "        };\n"
        "    };\n"
        "    Children = {instance of Inner\n"
        "    {\n"
        "        Name = \"x\";\n"
        "    }, instance of Inner\n"
        "    {\n"
        "        Name = \"y\";\n"
        "    }};\n"
        "    Label = \"L\";\n"
        "};\n");
}

TEST_CASE("an event as a consumer sees it", "[objecttext]") {
  Namespace ns("root/test");
  ClassObject rep = ClassObject::createClass("Rep");
  rep.putProperty("K", scalarType(CimType::String));
  rep.putPropertyQualifier("K", "key", Value(true), kToSubclass | kDisableOverride);
  rep.putProperty("V", scalarType(CimType::UInt32));
  ClassObject target = rep.spawnInstance();
  target.put("K", Value("a"));
  target.put("V", Value(std::uint32_t{2}));

  ClassObject event = ns.getClass("__InstanceCreationEvent")->spawnInstance();
  event.put("TargetInstance", Value(share(target)));
  event.put("TIME_CREATED", Value(133000000000000000ULL));
  CHECK(event.getObjectText() ==
        "instance of __InstanceCreationEvent\n"
        "{\n"
        "    TIME_CREATED = 133000000000000000;\n"
        "    TargetInstance = instance of Rep\n"
        "    {\n"
        "        K = \"a\";\n"
        "        V = 2;\n"
        "    };\n"
        "};\n");
  CHECK(event.get("TargetInstance").toText() == "instance of Rep\n{\n    K = \"a\";\n    V = 2;\n};\n");
}

TEST_CASE("class text shows an inherited property whose default the class changes") {
  ClassObject base = ClassObject::createClass("Base");
  base.putProperty("Level", scalarType(CimType::UInt8), Value(std::uint8_t{1}));
  base.putProperty("Name", scalarType(CimType::String));
  ClassObject derived = base.spawnDerivedClass("Derived");
  derived.put("Level", Value(std::uint8_t{7}));
  CHECK(derived.getObjectText() == "class Derived : Base\n{\n    uint8 Level = 7;\n};\n");
  CHECK(base.spawnDerivedClass("Same").getObjectText() == "class Same : Base\n{\n};\n");
}
