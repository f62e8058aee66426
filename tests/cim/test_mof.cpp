// The MOF compiler's semantics: what classes, methods and instances it builds, how it types
// values, resolves aliases and namespaces, and that a unit with an error changes nothing.

#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <limits>

#include "test_mof_support.hpp"

using namespace wbem;

namespace {

MofResult compile(testing::Namespaces& ns, std::string_view text, MofOptions options = {}) {
  return MofCompiler(ns.resolver(), std::move(options)).compileText(text, "test.mof");
}

}  // namespace

TEST_CASE("mof: class with properties, defaults, qualifiers and flavors", "[mof]") {
  testing::Namespaces ns;
  const MofResult r = compile(ns, R"(
    [Description("d") : ToInstance Amended, Abstract]
    class Base { [key : DisableOverride] string Id; uint8 Level = 3; real32 Ratio = 0.1; string Tags[] = {"a"}; };
    class Derived : Base { sint64 Extra[4]; Base ref Parent; object Any; Base Child; };)");
  INFO(testing::diagnosticsText(r));
  REQUIRE(r.ok());
  CHECK(r.classes == 2);
  const ObjectPtr base = ns["root\\default"].getClass("base");
  const QualifierSet baseQualifiers = base->getQualifierSet();  // a copy: keep it while using d
  const Qualifier* d = baseQualifiers.find("Description");
  REQUIRE(d);
  CHECK(d->flavor == (kMofDefaultFlavor | WBEM_FLAVOR_FLAG_PROPAGATE_TO_INSTANCE | WBEM_FLAVOR_AMENDED));
  CHECK(base->getPropertyQualifierSet("Id").find("key")->flavor == (kMofDefaultFlavor | WBEM_FLAVOR_NOT_OVERRIDABLE));
  CHECK(base->get("Level") == Value(std::uint8_t{3}));
  CHECK(base->get("Ratio") == Value::real32(0.1f));
  const ObjectPtr derived = ns["root\\default"].getClass("Derived");
  CHECK(derived->getPropertyType("Extra") == PropertyType{CimType::SInt64, true, 4u, {}});
  CHECK(derived->getPropertyType("Parent") == PropertyType{CimType::Reference, false, std::nullopt, "Base"});
  CHECK(derived->getPropertyType("Any") == PropertyType{CimType::Object, false, std::nullopt, {}});
  CHECK(derived->getPropertyType("Child") == PropertyType{CimType::Object, false, std::nullopt, "Base"});
  CHECK(derived->definition().keySlots().size() == 1);
}

TEST_CASE("mof: methods build __PARAMETERS signatures with IDs", "[mof][methods]") {
  testing::Namespaces ns;
  const MofResult r = compile(ns, R"(
    class Disk { [key] string Id; };
    class M {
      sint32 A([in, id(0)] sint32 X, [out, id(1)] string Y);
      void B([in] sint32 P, [in, out] Disk D[], [out] Disk ref R);
      Disk C();
    };)");
  INFO(testing::diagnosticsText(r));
  REQUIRE(r.ok());
  const ObjectPtr m = ns["root\\default"].getClass("M");
  const MethodDef& a = m->getMethod("A");
  REQUIRE(a.inSignature);
  REQUIRE(a.outSignature);
  CHECK(a.inSignature->hasProperty("X"));
  CHECK(a.outSignature->getPropertyType("ReturnValue") == scalarType(CimType::SInt32));
  CHECK(a.outSignature->getPropertyQualifierSet("Y").get("ID") == Value(std::int32_t{1}));
  const MethodDef& b = m->getMethod("B");
  CHECK(!b.outSignature->hasProperty("ReturnValue"));
  // IDs assigned in declaration order, in-parameters first.
  CHECK(b.inSignature->getPropertyQualifierSet("P").get("ID") == Value(std::int32_t{0}));
  CHECK(b.inSignature->getPropertyQualifierSet("D").get("ID") == Value(std::int32_t{1}));
  CHECK(b.outSignature->getPropertyQualifierSet("D").get("ID") == Value(std::int32_t{1}));
  CHECK(b.outSignature->getPropertyQualifierSet("R").get("ID") == Value(std::int32_t{2}));
  CHECK(b.inSignature->getPropertyType("D") == PropertyType{CimType::Object, true, std::nullopt, "Disk"});
  const MethodDef& c = m->getMethod("C");
  CHECK(!c.inSignature);
  CHECK(c.outSignature->getPropertyType("ReturnValue") == PropertyType{CimType::Object, false, std::nullopt, "Disk"});
}

TEST_CASE("mof: the object model's method rules are errors at the method", "[mof][methods]") {
  testing::Namespaces ns;
  const MofResult r = compile(ns, "class M {\n  void A([in, id(0)] sint32 X, [in, id(2)] sint32 Y);\n};");
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].status == WBEM_E_NONCONSECUTIVE_PARAMETER_IDS);
  CHECK(r.diagnostics[0].position.line == 2);
  CHECK(r.diagnostics[0].position.column == 8);
  CHECK(!ns["root\\default"].findClass("M"));
}

TEST_CASE("mof: instances, aliases before and after their definition", "[mof][instances]") {
  testing::Namespaces ns;
  const MofResult r = compile(ns, R"(
    class N { [key] string Name; };
    class L { [key] N ref A; [key] N ref B; };
    instance of L as $L1 { A = $X; B = $Y; };
    instance of N as $X { Name = "x"; };
    instance of N as $Y { Name = "y"; };
    class H { [key] L ref Link; };
    instance of H { Link = $L1; };)");
  INFO(testing::diagnosticsText(r));
  REQUIRE(r.ok());
  CHECK(r.instances == 4);
  const auto links = ns["root\\default"].enumInstances("L");
  REQUIRE(links.size() == 1);
  CHECK(links[0]->get("A") == Value::reference("N.Name=\"x\""));
  const auto h = ns["root\\default"].enumInstances("H");
  REQUIRE(h.size() == 1);
  CHECK(h[0]->get("Link").asString().find("L.") == 0);
}

TEST_CASE("mof: aliases across namespaces carry the namespace", "[mof][instances]") {
  testing::Namespaces ns;
  const MofResult r = compile(ns, R"(
    #pragma namespace("\\\\.\\root\\a")
    class T { [key] string K; };
    instance of T as $T { K = "1"; };
    #pragma namespace("\\\\.\\root\\b")
    class R { [key] object ref To; };
    instance of R { To = $T; };)");
  INFO(testing::diagnosticsText(r));
  REQUIRE(r.ok());
  CHECK(ns["root\\b"].enumInstances("R").at(0)->get("To").asString() == "root\\a:T.K=\"1\"");
}

TEST_CASE("mof: integer literals are typed by the property, with range checks", "[mof][values]") {
  testing::Namespaces ns;
  REQUIRE(compile(ns, "class V { [key] uint64 U; sint8 S; real64 R; char16 C; };").ok());
  const MofResult ok = compile(ns, "instance of V { U = 0xFFFFFFFFFFFFFFFF; S = -128; R = 7; C = 'x'; };");
  INFO(testing::diagnosticsText(ok));
  REQUIRE(ok.ok());
  const auto v = ns["root\\default"].enumInstances("V").at(0);
  CHECK(v->get("U") == Value(18446744073709551615ull));
  CHECK(v->get("S") == Value(std::int8_t{-128}));
  CHECK(v->get("R") == Value(7.0));
  CHECK(v->get("C") == Value(u'x'));
  const MofResult bad = compile(ns, "instance of V { U = -1; S = -129; R = \"x\"; C = \"xy\"; };");
  REQUIRE(bad.diagnostics.size() == 4);
  CHECK(bad.diagnostics[0].status == WBEM_E_VALUE_OUT_OF_RANGE);
  CHECK(bad.diagnostics[1].status == WBEM_E_VALUE_OUT_OF_RANGE);
  CHECK(bad.diagnostics[2].status == WBEM_E_TYPE_MISMATCH);
  CHECK(bad.diagnostics[3].status == WBEM_E_TYPE_MISMATCH);
}

TEST_CASE("mof: a unit with an error applies nothing, even to other namespaces", "[mof][atomic]") {
  testing::Namespaces ns;
  const MofResult r = compile(ns, R"(
    class Good { [key] string K; };
    instance of Good { K = "a"; };
    #pragma namespace("\\\\.\\root\\other")
    class AlsoGood { [key] string K; };
    instance of Missing { K = "b"; };)");
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(!r.applied);
  CHECK(!ns["root\\default"].findClass("Good"));
  CHECK(!ns["root\\other"].findClass("AlsoGood"));
}

TEST_CASE("mof: checkOnly checks everything and applies nothing", "[mof][atomic]") {
  testing::Namespaces ns;
  MofOptions options;
  options.checkOnly = true;
  const MofResult r = compile(ns, "class C { [key] string K; }; instance of C { K = \"x\"; };", options);
  CHECK(r.ok());
  CHECK(r.classes == 1);
  CHECK(r.instances == 1);
  CHECK(!r.applied);
  CHECK(!ns["root\\default"].findClass("C"));
}

TEST_CASE("mof: the unit sees classes already in the namespace", "[mof]") {
  testing::Namespaces ns;
  REQUIRE(compile(ns, "class P { [key] string K; }; instance of P { K = \"old\"; };").ok());
  const MofResult r = compile(ns, "class Q : P { uint32 N; }; instance of Q { K = \"new\"; N = 1; };");
  INFO(testing::diagnosticsText(r));
  CHECK(r.ok());
  CHECK(ns["root\\default"].enumInstances("P").size() == 2);
}

TEST_CASE("mof: unknown namespaces from the resolver are errors at the pragma", "[mof]") {
  Namespace only("root\\default");
  MofCompiler compiler([&](const std::string& name) { return iequals(name, "root\\default") ? &only : nullptr; });
  const MofResult r = compiler.compileText("#pragma namespace(\"\\\\\\\\.\\\\root\\\\nowhere\")\nclass X {};", "t");
  REQUIRE(r.diagnostics.size() >= 1);
  CHECK(r.diagnostics[0].status == WBEM_E_INVALID_NAMESPACE);
  CHECK(r.diagnostics[0].position.line == 1);
  CHECK(r.diagnostics[0].position.column == 19);
}

TEST_CASE("mof: errors after a broken class are not cascaded", "[mof]") {
  testing::Namespaces ns;
  const MofResult r = compile(ns,
                              "class A { sting X; };\nclass B : A { };\ninstance of A { X = 1; };\n"
                              "instance of Nope { };");
  INFO(testing::diagnosticsText(r));
  REQUIRE(r.diagnostics.size() == 2);
  CHECK(r.diagnostics[0].position.line == 1);
  CHECK(r.diagnostics[1].position.line == 4);
  CHECK(r.diagnostics[1].status == WBEM_E_INVALID_CLASS);
}

TEST_CASE("mof: diagnostics format and the error limit", "[mof]") {
  testing::Namespaces ns;
  std::string text;
  for (int i = 0; i < 50; ++i) text += "instance of Nope { };\n";
  MofOptions options;
  options.maxErrors = 5;
  const MofResult r = compile(ns, text, options);
  CHECK(r.diagnostics.size() == 5);
  CHECK(r.diagnostics[0].toString() == "test.mof:1:13: class 'Nope' is not defined (WBEM_E_INVALID_CLASS 0x80041010)");
}

TEST_CASE("mof: a missing file is a diagnostic", "[mof]") {
  testing::Namespaces ns;
  const MofResult r = MofCompiler(ns.resolver()).compileFile("/nonexistent/file.mof");
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].status == WBEM_E_NOT_FOUND);
}

TEST_CASE("mof: qualifier declarations check values and set default flavors", "[mof]") {
  testing::Namespaces ns;
  const MofResult bad = compile(ns, "Qualifier Max : uint8, Scope(property);\nclass X { [Max(300)] uint32 P; };");
  REQUIRE(bad.diagnostics.size() == 1);
  CHECK(bad.diagnostics[0].status == WBEM_E_VALUE_OUT_OF_RANGE);
  CHECK(bad.diagnostics[0].position.line == 2);
  const MofResult ok = compile(ns,
                               "Qualifier Sealed : boolean = false, Scope(class), Flavor(DisableOverride);\n"
                               "[Sealed] class Y { };");
  INFO(testing::diagnosticsText(ok));
  REQUIRE(ok.ok());
  CHECK(ns["root\\default"].getClass("Y")->getQualifierSet().find("Sealed")->flavor ==
        (kMofDefaultFlavor | WBEM_FLAVOR_NOT_OVERRIDABLE));
}

TEST_CASE("mof: includes can be turned off for untrusted text", "[mof]") {
  testing::Namespaces ns;
  MofOptions options;
  options.allowIncludes = false;
  const MofResult r = compile(ns, "#pragma include(\"/etc/passwd\")", options);
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].status == WBEM_E_ACCESS_DENIED);
}

TEST_CASE("mof: written and assigned parameter IDs give the same method", "[mof][methods]") {
  testing::Namespaces a, b;
  REQUIRE(compile(a, "class M { sint32 F([in] sint32 X, [out] string Y); };").ok());
  REQUIRE(compile(b, "class M { sint32 F([in, id(0)] sint32 X, [out, id(1)] string Y); };").ok());
  CHECK(a["root\\default"].getClass("M")->compareTo(*b["root\\default"].getClass("M"), WBEM_FLAG_IGNORE_OBJECT_SOURCE));
}

TEST_CASE("mof: a chain of forward aliases resolves without quadratic work", "[mof][instances]") {
  testing::Namespaces ns;
  std::string text = "class Chain { [key] uint32 N; Chain ref Next; };\n";
  constexpr int kLength = 2000;
  // Each instance refers to the next one, declared after it.
  for (int i = 0; i < kLength; ++i)
    text += "instance of Chain as $C" + std::to_string(i) + " { N = " + std::to_string(i) + ";" +
            (i + 1 < kLength ? " Next = $C" + std::to_string(i + 1) + ";" : "") + " };\n";
  const MofResult r = compile(ns, text);
  INFO(testing::diagnosticsText(r));
  REQUIRE(r.ok());
  CHECK(r.instances == kLength);
}

TEST_CASE("mof: NaN and Inf are values of real properties and qualifiers (a wbem extension)", "[mof][values]") {
  testing::Namespaces ns;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const MofResult r = compile(ns, R"(
    [Limit(Inf), Gaps{NaN, -Inf}]
    class F { [key] uint32 K; real32 R32 = -Inf; real64 R64 = NaN; real64 Many[] = {1.0, Inf, nan, -INF}; };
    instance of F { K = 1; R32 = NaN; R64 = -Inf; };)");
  INFO(testing::diagnosticsText(r));
  REQUIRE(r.ok());
  const ObjectPtr cls = ns["root\\default"].getClass("F");
  CHECK(cls->get("R32") == Value::real32(-std::numeric_limits<float>::infinity()));
  CHECK(std::isnan(cls->get("R64").asReal()));
  const ValueArray& many = cls->get("Many").asArray();
  REQUIRE(many.size() == 4);
  CHECK(many[1].asReal() == kInf);
  CHECK(std::isnan(many[2].asReal()));
  CHECK(many[3].asReal() == -kInf);
  CHECK(cls->getQualifierSet().get("Limit") == Value(kInf));
  CHECK(cls->getQualifierSet().get("Gaps").type() == CimType::Real64);
  const ObjectPtr f = ns["root\\default"].enumInstances("F").at(0);
  CHECK(f->get("R32").type() == CimType::Real32);
  CHECK(std::isnan(f->get("R32").asReal()));
  CHECK(f->get("R64") == Value(-kInf));

  const MofResult bad = compile(ns, "instance of F { K = NaN; };");
  REQUIRE(bad.diagnostics.size() == 1);
  CHECK(bad.diagnostics[0].status == WBEM_E_TYPE_MISMATCH);
}

TEST_CASE("mof: a real32 takes every literal that rounds to a finite float", "[mof][values]") {
  testing::Namespaces ns;
  // 3.4028235e+38, the shortest text of FLT_MAX, is a little above it as a double.
  const MofResult ok = compile(ns,
                               "class R { real32 Max = 3.4028235e+38; real32 Min = -3.4028235e+38; "
                               "real32 Tiny = 1.0e-45; };");
  INFO(testing::diagnosticsText(ok));
  REQUIRE(ok.ok());
  const ObjectPtr cls = ns["root\\default"].getClass("R");
  CHECK(cls->get("Max") == Value::real32(FLT_MAX));
  CHECK(cls->get("Min") == Value::real32(-FLT_MAX));
  CHECK(cls->get("Tiny") == Value::real32(std::numeric_limits<float>::denorm_min()));
  const MofResult bad = compile(ns, "class S { real32 Big = 3.4028236e+38; };");
  REQUIRE(bad.diagnostics.size() == 1);
  CHECK(bad.diagnostics[0].status == WBEM_E_VALUE_OUT_OF_RANGE);
}

TEST_CASE("mof: a char16 may be a lone surrogate, written as an escape", "[mof][values]") {
  testing::Namespaces ns;
  const MofResult r = compile(ns, R"(class C { char16 Hi = '\xD800'; char16 Lo[] = {'\xDC00', 'x'}; };)");
  INFO(testing::diagnosticsText(r));
  REQUIRE(r.ok());
  const ObjectPtr cls = ns["root\\default"].getClass("C");
  CHECK(cls->get("Hi") == Value(char16_t{0xD800}));
  CHECK(cls->get("Lo").asArray().at(0) == Value(char16_t{0xDC00}));
  const MofResult bad = compile(ns, R"(class D { string S = "\xD800"; };)");
  REQUIRE(bad.diagnostics.size() == 1);
  CHECK(bad.diagnostics[0].status == WBEM_E_INVALID_SYNTAX);
}

TEST_CASE("mof: a qualifier declaration types the qualifier's values", "[mof][qualifiers]") {
  testing::Namespaces ns;
  const MofResult r = compile(ns, R"(
    Qualifier Max : uint32;
    Qualifier Small : sint64;
    Qualifier Ratio : real32;
    Qualifier Since : datetime;
    Qualifier Codes : uint8[];
    Qualifier Letter : char16;
    Qualifier Unset : uint16;
    [Max(5), Small(-1), Ratio(0.1), Since("20240101000000.000000+000"), Codes{1, 2}, Letter("x"), Unset(NULL),
     Plain(5), PlainReal(0.1), PlainNull(NULL)]
    class Q { };)");
  INFO(testing::diagnosticsText(r));
  REQUIRE(r.ok());
  const QualifierSet q = ns["root\\default"].getClass("Q")->getQualifierSet();
  CHECK(q.get("Max") == Value(std::uint32_t{5}));
  CHECK(q.get("Small") == Value(-1LL));
  CHECK(q.get("Ratio") == Value::real32(0.1f));
  CHECK(q.get("Since") == Value(DateTime::parse("20240101000000.000000+000")));
  CHECK(q.get("Codes") == Value(CimType::UInt8, ValueArray{Value(std::uint8_t{1}), Value(std::uint8_t{2})}));
  CHECK(q.get("Letter") == Value(u'x'));
  CHECK(q.find("Unset")->value == Value::null(CimType::UInt16));
  // Undeclared ones are typed by their literals.
  CHECK(q.get("Plain") == Value(std::int32_t{5}));
  CHECK(q.get("PlainReal") == Value(0.1));
  CHECK(q.find("PlainNull")->value == Value());
}

TEST_CASE("mof: qualifier declarations hold for the unit, or per object when asked", "[mof][qualifiers]") {
  const std::string text = R"(
    Qualifier Max : uint32;
    #pragma classflags("createonly")
    [Max(1)] class A { [Max(2)] string P; };
    [Max(3)] class B { };
    class Q { [key] string K; };
    Qualifier Max : uint8;
    [Max(4)] instance of Q { K = "q"; };
    [Max(5)] instance of Q { K = "r"; };)";
  testing::Namespaces unit, perObject;
  REQUIRE(compile(unit, text).ok());
  MofOptions options;
  options.qualifierDeclarationsPerObject = true;
  REQUIRE(compile(perObject, text, options).ok());

  const auto max = [](testing::Namespaces& ns, const char* cls) {
    return ns["root\\default"].getClass(cls)->getQualifierSet().get("Max");
  };
  const auto instanceMax = [](testing::Namespaces& ns, const char* key) {
    return ns["root\\default"]
        .getInstance(ObjectPath::forInstance("Q", {{"K", Value(key)}}))
        ->getQualifierSet()
        .get("Max");
  };
  CHECK(max(unit, "A") == Value(std::uint32_t{1}));
  CHECK(unit["root\\default"].getClass("A")->getPropertyQualifierSet("P").get("Max") == Value(std::uint32_t{2}));
  CHECK(max(unit, "B") == Value(std::uint32_t{3}));
  CHECK(instanceMax(unit, "q") == Value(std::uint8_t{4}));
  CHECK(instanceMax(unit, "r") == Value(std::uint8_t{5}));

  // Per object: a declaration (a pragma between does not end it) types the next class or instance only.
  CHECK(max(perObject, "A") == Value(std::uint32_t{1}));
  CHECK(perObject["root\\default"].getClass("A")->getPropertyQualifierSet("P").get("Max") == Value(std::uint32_t{2}));
  CHECK(max(perObject, "B") == Value(std::int32_t{3}));
  CHECK(instanceMax(perObject, "q") == Value(std::uint8_t{4}));
  CHECK(instanceMax(perObject, "r") == Value(std::int32_t{5}));
}

TEST_CASE("mof: an instance that waits for an alias is typed by the declarations at its place", "[mof][qualifiers]") {
  testing::Namespaces ns;
  const MofResult r = compile(ns, R"(
    class N { [key] string Name; };
    class L { [key] N ref A; };
    Qualifier Tag : uint8;
    [Tag(1)] instance of L { A = $X; };
    Qualifier Tag : sint64;
    instance of N as $X { Name = "x"; };)");
  INFO(testing::diagnosticsText(r));
  REQUIRE(r.ok());
  CHECK(ns["root\\default"].enumInstances("L").at(0)->getQualifierSet().get("Tag") == Value(std::uint8_t{1}));
}
