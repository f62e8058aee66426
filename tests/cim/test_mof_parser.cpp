// Lexer and parser of the MOF compiler, on their own: tokens, literals, positions, the syntax
// tree of every declaration form, and error recovery.

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "../../cim/src/mof/ast.hpp"

using namespace wbem;
using namespace wbem::mof;

namespace {

std::vector<Token> lexAll(std::string_view text) {
  Lexer lexer(text);
  std::vector<Token> out;
  for (Token t = lexer.next(); t.kind != TokenKind::End; t = lexer.next()) out.push_back(t);
  return out;
}

template <typename T>
const T& only(const ParsedFile& f) {
  REQUIRE(f.productions.size() == 1);
  REQUIRE(std::holds_alternative<T>(f.productions[0]));
  return std::get<T>(f.productions[0]);
}

SyntaxError firstError(const ParsedFile& f) {
  for (const Production& p : f.productions)
    if (std::holds_alternative<SyntaxError>(p)) return std::get<SyntaxError>(p);
  FAIL("no syntax error");
  return {};
}

}  // namespace

TEST_CASE("lexer: comments, identifiers, punctuation and positions", "[mof][lexer]") {
  const auto t = lexAll("// line comment\n  /* block\n comment */ class Foo_1 {\t};\n$Alias #");
  REQUIRE(t.size() == 7);
  CHECK(t[0].isWord("CLASS"));
  CHECK(t[0].loc.line == 3);
  CHECK(t[0].loc.column == 13);
  CHECK(t[1].text == "Foo_1");
  CHECK(t[2].isPunct('{'));
  CHECK(t[3].isPunct('}'));
  CHECK(t[3].loc.column == 27);  // a tab is one column
  CHECK(t[5].kind == TokenKind::Alias);
  CHECK(t[5].text == "Alias");
  CHECK(t[5].loc.line == 4);
  CHECK(t[6].isPunct('#'));
}

TEST_CASE("lexer: integers in every base", "[mof][lexer]") {
  const auto t = lexAll("42 0x2A 0X2a 052 101010b 0 0xFFFFFFFFFFFFFFFF 1B");
  REQUIRE(t.size() == 8);
  for (int i = 0; i < 5; ++i) {
    CHECK(t[i].kind == TokenKind::Integer);
    CHECK(t[i].integer == 42);
  }
  CHECK(t[5].integer == 0);
  CHECK(t[6].integer == 0xFFFFFFFFFFFFFFFFull);
  CHECK(t[7].integer == 1);
}

TEST_CASE("lexer: bad numbers are errors with their position", "[mof][lexer]") {
  auto first = [](std::string_view s) { return lexAll(s).at(0); };
  CHECK(first("09").kind == TokenKind::Error);
  CHECK(first("102b").kind == TokenKind::Error);
  CHECK(first("0x").kind == TokenKind::Error);
  CHECK(first("12abc").kind == TokenKind::Error);
  const Token big = first("18446744073709551616");
  CHECK(big.kind == TokenKind::Error);
  CHECK(big.status == WBEM_E_VALUE_OUT_OF_RANGE);
  CHECK(first("0x10000000000000000").status == WBEM_E_VALUE_OUT_OF_RANGE);
}

TEST_CASE("lexer: reals", "[mof][lexer]") {
  const auto t = lexAll("1.5 .25 1e3 2.5E-2 3E+1");
  REQUIRE(t.size() == 5);
  CHECK(t[0].real == 1.5);
  CHECK(t[1].real == 0.25);
  CHECK(t[2].real == 1000);
  CHECK(t[3].real == Approx(0.025));
  CHECK(t[4].real == 30);
  for (const Token& x : t) CHECK(x.kind == TokenKind::Real);
}

TEST_CASE("lexer: reals beyond a double's range overflow or underflow", "[mof][lexer]") {
  for (std::string_view text : {"1e999", "1.5E+309", "123456789e305", "0.1e310"}) {
    INFO(text);
    const Token t = lexAll(text).at(0);
    CHECK(t.kind == TokenKind::Error);
    CHECK(t.status == WBEM_E_VALUE_OUT_OF_RANGE);
  }
  for (std::string_view text : {"1e-999", "0.0000001e-320", "12.5e-400"}) {
    INFO(text);
    const Token t = lexAll(text).at(0);
    CHECK(t.kind == TokenKind::Real);
    CHECK(t.real == 0.0);
  }
  CHECK(lexAll("5.0e-324").at(0).real > 0.0);  // the smallest subnormal still reads
}

TEST_CASE("parser: NaN and Inf, in any case and Inf with a sign, are reals (a wbem extension)", "[mof][parser]") {
  const ParsedFile f = parseMof(
      "instance of X { A = NaN; B = Inf; C = -Inf; D = +inf; E = nan; F = -NAN; "
      "G = {1.5, -INF, NaN}; NaN = Inf; };");
  const InstanceDecl& inst = only<InstanceDecl>(f);
  REQUIRE(inst.values.size() == 8);
  for (const PropertyAssignment& a : inst.values)
    if (a.value.kind != Literal::Kind::Array) CHECK(a.value.kind == Literal::Kind::Real);
  CHECK(std::isnan(inst.values[0].value.real));
  CHECK(inst.values[1].value.real == std::numeric_limits<double>::infinity());
  CHECK(inst.values[2].value.real == -std::numeric_limits<double>::infinity());
  CHECK(inst.values[3].value.real == std::numeric_limits<double>::infinity());
  CHECK(std::isnan(inst.values[4].value.real));
  CHECK(std::isnan(inst.values[5].value.real));
  const std::vector<Literal>& elements = inst.values[6].value.elements;
  REQUIRE(elements.size() == 3);
  CHECK(elements[1].real == -std::numeric_limits<double>::infinity());
  CHECK(std::isnan(elements[2].real));
  CHECK(inst.values[7].name.text == "NaN");  // still a name where a name goes

  // Other words stay errors, with or without a sign.
  CHECK(firstError(parseMof("instance of X { A = Infinity; };")).message.find("expected a value") != std::string::npos);
  CHECK(firstError(parseMof("instance of X { A = -Foo; };")).message.find("a number after the sign") !=
        std::string::npos);
}

TEST_CASE("lexer: strings with escapes and char16 literals", "[mof][lexer]") {
  const auto t = lexAll(R"("a\tb\n\"q\"\\ \x41\X263A" 'c' '\n' '\x263a' 'é')");
  REQUIRE(t.size() == 5);
  CHECK(t[0].kind == TokenKind::String);
  CHECK(t[0].text == "a\tb\n\"q\"\\ A\xE2\x98\xBA");
  CHECK(t[1].char16 == u'c');
  CHECK(t[2].char16 == u'\n');
  CHECK(t[3].char16 == 0x263A);
  CHECK(t[4].char16 == 0xE9);

  // A char16 is one UTF-16 code unit: a lone surrogate is one, as an escape (getObjectText's form).
  const auto s = lexAll(R"('\xD800' '\xdfff' '\xFFFF')");
  REQUIRE(s.size() == 3);
  for (const Token& x : s) CHECK(x.kind == TokenKind::Char16);
  CHECK(s[0].char16 == 0xD800);
  CHECK(s[1].char16 == 0xDFFF);
  CHECK(s[2].char16 == 0xFFFF);
}

TEST_CASE("lexer: broken strings, chars and comments", "[mof][lexer]") {
  CHECK(lexAll("\"abc\n\"").at(0).kind == TokenKind::Error);
  CHECK(lexAll(R"("bad \q escape")").at(0).text.find("escape") != std::string::npos);
  CHECK(lexAll("'ab'").at(0).kind == TokenKind::Error);
  CHECK(lexAll("''").at(0).kind == TokenKind::Error);
  const auto c = lexAll("x /* never closed");
  REQUIRE(c.size() == 2);
  CHECK(c[1].kind == TokenKind::Error);
  CHECK(c[1].loc.column == 3);
  CHECK(lexAll("@").at(0).kind == TokenKind::Error);
  const Token surrogate = lexAll(R"("a\xD800b")").at(0);  // a string is UTF-8: no lone surrogate
  CHECK(surrogate.kind == TokenKind::Error);
  CHECK(surrogate.text.find("\\xd800") != std::string::npos);
  CHECK(lexAll("'\xED\xA0\x80'").at(0).kind == TokenKind::Error);  // nor as UTF-8 bytes in a char16
  CHECK(lexAll(std::string_view("\0", 1)).at(0).kind == TokenKind::Error);
}

TEST_CASE("parser: pragmas", "[mof][parser]") {
  const ParsedFile f = parseMof(
      "#pragma namespace(\"\\\\\\\\.\\\\root\\\\x\")\n#pragma autorecover\n"
      "#pragma deleteclass(\"Foo\", NOFAIL)\n#pragma classflags(\"forceupdate\", 1)");
  REQUIRE(f.productions.size() == 4);
  const auto& ns = std::get<PragmaDecl>(f.productions[0]);
  CHECK(ns.name.text == "namespace");
  REQUIRE(ns.args.size() == 1);
  CHECK(ns.args[0].text == "\\\\.\\root\\x");
  CHECK(std::get<PragmaDecl>(f.productions[1]).args.empty());
  const auto& del = std::get<PragmaDecl>(f.productions[2]);
  CHECK(del.args[1].kind == PragmaArg::Kind::Word);
  CHECK(std::get<PragmaDecl>(f.productions[3]).args[1].number == 1);
}

TEST_CASE("parser: class with qualifiers, properties of every form", "[mof][parser]") {
  const ParsedFile f = parseMof(R"(
[Abstract, Description("A " "class"), Values{"a", "b"}: ToSubclass DisableOverride]
CLASS My_Class : Base_Class
{
  [key] string Name;
  uint8 Bytes[] = {1, 0x2, 03};
  sint32 Fixed[4];
  Other_Class REF Link;
  object ref AnyLink;
  object Anything;
  Embedded_Class Child = instance of Embedded_Class { X = 1; };
  real64 R = -1.5;
  sint64 Low = -9223372036854775808;
  char16 C = 'z';
  string ref;
};)");
  const auto& c = only<ClassDecl>(f);
  CHECK(c.name.text == "My_Class");
  REQUIRE(c.superclass);
  CHECK(c.superclass->text == "Base_Class");
  REQUIRE(c.qualifiers.size() == 3);
  CHECK(c.qualifiers[1].value->text == "A class");
  CHECK(c.qualifiers[2].value->kind == Literal::Kind::Array);
  REQUIRE(c.qualifiers[2].flavors.size() == 2);
  CHECK(c.qualifiers[2].flavors[1].text == "DisableOverride");
  REQUIRE(c.properties.size() == 11);
  CHECK(c.properties[0].qualifiers[0].name.text == "key");
  CHECK(c.properties[0].name.loc.line == 5);
  CHECK(c.properties[0].name.loc.column == 16);
  CHECK(c.properties[1].array);
  CHECK(!c.properties[1].arraySize);
  CHECK(c.properties[1].defaultValue->elements.size() == 3);
  CHECK(c.properties[1].defaultValue->elements[2].magnitude == 3);
  CHECK(*c.properties[2].arraySize == 4);
  CHECK(c.properties[3].type.isRef);
  CHECK(c.properties[3].type.name.text == "Other_Class");
  CHECK(c.properties[4].type.isRef);
  CHECK(!c.properties[5].type.isRef);
  CHECK(c.properties[6].defaultValue->kind == Literal::Kind::Instance);
  CHECK(c.properties[6].defaultValue->instance->values.at(0).name.text == "X");
  CHECK(c.properties[7].defaultValue->real == -1.5);
  CHECK(c.properties[8].defaultValue->negative);
  CHECK(c.properties[8].defaultValue->magnitude == 9223372036854775808ull);
  CHECK(c.properties[9].defaultValue->char16 == u'z');
  CHECK(c.properties[10].name.text == "ref");
  CHECK(!c.properties[10].type.isRef);
}

TEST_CASE("parser: methods in every form of 'Creating a WMI Method'", "[mof][parser]") {
  const ParsedFile f = parseMof(R"(
[Dynamic, Provider("ProviderX")]
class MyClass
{
  sint32 MyMethod1([in, id(0)] sint32 InParam);
  void MyMethod2([in, id(0)] sint32 InParam, [out, id(1)] sint32 OutParam);
  sint32 MyMethod3([in, out, id(0)] sint32 InOutParam);
  sint32 ArrayParams([in, id(0)] Win32_LogicalDisk DiskParam[], [in, id(1)] Win32_LogicalDisk Fixed[32]);
  [Implemented] Win32_LogicalDisk MyMethod5([in, id(0)] string DiskVolLabel = "C:");
  sint32 Refs([in, id(0)] Win32_LogicalDisk ref DiskRef, [in, id(1)] object ref AnyObject);
  void NoParams();
  string[] Bad();
};)");
  const auto& c = only<ClassDecl>(f);
  REQUIRE(c.methods.size() == 8);
  CHECK(c.methods[0].returnType.name.text == "sint32");
  CHECK(c.methods[1].returnType.name.text == "void");
  CHECK(c.methods[1].parameters.size() == 2);
  CHECK(c.methods[2].parameters[0].qualifiers.size() == 3);
  CHECK(c.methods[3].parameters[0].array);
  CHECK(*c.methods[3].parameters[1].arraySize == 32);
  CHECK(c.methods[4].qualifiers[0].name.text == "Implemented");
  CHECK(c.methods[4].parameters[0].defaultValue->text == "C:");
  CHECK(c.methods[5].parameters[0].type.isRef);
  CHECK(c.methods[5].parameters[1].type.name.text == "object");
  CHECK(c.methods[6].parameters.empty());
  CHECK(c.methods[7].returnArray);
}

TEST_CASE("parser: instances with aliases and embedded instances", "[mof][parser]") {
  const ParsedFile f = parseMof(R"(
instance of __EventFilter as $Filter
{
  Name = "F";
  [Description("x")] Query = "SELECT * FROM __InstanceCreationEvent WITHIN 5 "
                            "WHERE TargetInstance ISA 'Win32_Process'";
  Refs = {$A, $B};
  Obj = instance of Inner { V = instance of Deeper { W = TRUE; }; };
  Nothing = null;
};)");
  const auto& i = only<InstanceDecl>(f);
  CHECK(i.className.text == "__EventFilter");
  CHECK(i.alias->text == "Filter");
  REQUIRE(i.values.size() == 5);
  CHECK(i.values[1].value.text.find("WITHIN 5 WHERE") != std::string::npos);
  CHECK(i.values[1].qualifiers.size() == 1);
  CHECK(i.values[2].value.elements[1].kind == Literal::Kind::Alias);
  CHECK(i.values[3].value.instance->values[0].value.instance->values[0].value.boolean);
  CHECK(i.values[4].value.kind == Literal::Kind::Null);
}

TEST_CASE("parser: qualifier declarations", "[mof][parser]") {
  const ParsedFile f =
      parseMof("Qualifier Values : string[] = {\"a\"}, Scope(property, method), Flavor(DisableOverride, Restricted);");
  const auto& q = only<QualifierDecl>(f);
  CHECK(q.name.text == "Values");
  CHECK(q.array);
  CHECK(q.scopes.size() == 2);
  CHECK(q.flavors[1].text == "Restricted");
}

TEST_CASE("parser: keywords are case-insensitive", "[mof][parser]") {
  const ParsedFile f = parseMof("INSTANCE OF X AS $a { P = True; Q = NULL; R = FALSE; };");
  const auto& i = only<InstanceDecl>(f);
  CHECK(i.values[0].value.boolean);
  CHECK(i.values[1].value.kind == Literal::Kind::Null);
}

TEST_CASE("parser: an error names its position and parsing resumes", "[mof][parser]") {
  const ParsedFile f = parseMof(
      "class A {\n  string x\n};\nclass B { sint32 y; };\ninstance of B { y = ; };\n"
      "class C { };");
  REQUIRE(f.productions.size() == 4);
  const auto& e = std::get<SyntaxError>(f.productions[0]);
  CHECK(e.loc.line == 3);
  CHECK(e.loc.column == 1);
  CHECK(e.message == "expected ';' after the property declaration, found '}'");
  CHECK(e.declaredName == "A");
  CHECK(e.declaresClass);
  CHECK(std::get<ClassDecl>(f.productions[1]).name.text == "B");
  const auto& e2 = std::get<SyntaxError>(f.productions[2]);
  CHECK(e2.loc.line == 5);
  CHECK(e2.loc.column == 21);
  CHECK(std::get<ClassDecl>(f.productions[3]).name.text == "C");
}

TEST_CASE("parser: lexical errors become syntax errors", "[mof][parser]") {
  const SyntaxError e = firstError(parseMof("class A { uint8 x = 0x; };"));
  CHECK(e.loc.column == 21);
  CHECK(e.status == WBEM_E_INVALID_SYNTAX);
}

TEST_CASE("parser: nested arrays and deep nesting are refused", "[mof][parser]") {
  CHECK(firstError(parseMof("instance of A { x = {{1}}; };")).message == "arrays cannot be nested");
  std::string deep = "instance of A { x = ";
  for (int i = 0; i < 100; ++i) deep += "instance of A { x = ";
  CHECK(firstError(parseMof(deep)).message.find("nested too deeply") != std::string::npos);
}

TEST_CASE("parser: unexpected end of file", "[mof][parser]") {
  CHECK(firstError(parseMof("class A {")).message.find("end of file") != std::string::npos);
  CHECK(firstError(parseMof("[key")).message.find("end of file") != std::string::npos);
  CHECK(firstError(parseMof("#pragma")).message.find("end of file") != std::string::npos);
}
