// Tests of object path parsing, formatting, construction and comparison.

#include <wbem/objectpath.hpp>
#include <wbem/status.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "support.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using wbem::CimType;
using wbem::KeyBinding;
using wbem::ObjectPath;
using wbem::Value;

namespace {

using wbemtest::errorOf;

wbem::Error parseError(const std::string& text) {
  return errorOf([&] { ObjectPath::parse(text); });
}

}  // namespace

TEST_CASE("paths round-trip exactly through parse and toString", "[objectpath]") {
  const std::vector<std::string> texts = {
      R"(Win32_LogicalDisk)",
      R"(__EventFilter)",
      R"(_x1)",
      R"(Win32_LogicalDisk.DeviceID="C:")",
      R"(\\Machine1\root\cimv2:Win32_LogicalDisk.DeviceID="C:")",
      R"(\\.\root\cimv2:Win32_LogicalDisk)",
      R"(\\.\root\cimv2:Win32_LogicalDisk.DeviceID="C:")",
      R"(root\cimv2:Win32_LogicalDisk)",
      R"(root:__Namespace.Name="cimv2")",
      R"(root\subscription:__EventFilter.Name="f1")",
      R"(root\a\b\c:X.K=1)",
      R"(__ArbitratorConfiguration=@)",
      R"(root:__ArbitratorConfiguration=@)",
      R"(\\.\root:__ArbitratorConfiguration=@)",
      R"(MyClass="x")",
      R"(MyClass=5)",
      R"(MyClass=-5)",
      R"(MyClass=TRUE)",
      R"(root\default:MyClass="")",
      R"(MyClass.key=5)",
      R"(MyClass.a=1,b="two",c=FALSE)",
      R"(MyClass.B=TRUE,A=FALSE)",
      R"(MyClass.Key=-9223372036854775808)",
      R"(MyClass.Key=9223372036854775807)",
      R"(MyClass.Key=9223372036854775808)",
      R"(MyClass.Key=18446744073709551615)",
      R"(MyClass.Key=0)",
      R"(MyClass.Key="")",
      R"(Win32_Directory.Name="C:\\")",
      R"(MyClass.Key="say \"hi\"")",
      R"(MyClass.Key="a\\\"b")",
      R"(MyClass.Key="'")",
      R"(MyClass.Key="a,b=c.d:e@f")",
      R"(MyClass.Key="with  spaces ")",
      R"(Win32_OperatingSystem.Name="Microsoft Windows NT Workstation|C:\\WINNT|\\Device\\Harddisk0\\partition1")",
      R"(__FilterToConsumerBinding.Consumer="\\\\.\\root\\subscription:LogFileEventConsumer.Name=\"log\"",)"
      R"(Filter="__EventFilter.Name=\"f1\"")",
      R"(\\server-01.example.com\root\cimv2:Win32_Service.Name="Spooler")",
      R"(\\WKSTA-W2KS\root\cimv2:Win32_LogicalFileSecuritySetting.Path="C:\\temp")",
      R"(\\10.0.0.1\root:X=1)",
      "\u00DCnicode.\u00D1ame=\"\u00E4\"",  // UTF-8 bytes in names and values
      R"(Win32_Process.Handle="4",Name="System",Count=-1,Flag=FALSE)",
  };
  REQUIRE(texts.size() >= 30);
  for (const std::string& text : texts) {
    INFO(text);
    const ObjectPath p = ObjectPath::parse(text);
    CHECK(p.toString() == text);
    // The re-parsed path is the same path.
    CHECK(ObjectPath::parse(p.toString()) == p);
  }
}

TEST_CASE("malformed paths are refused with the column of the fault", "[objectpath]") {
  struct Row {
    std::string text;
    std::uint32_t column;
    std::string message;
  };
  const std::vector<Row> rows = {
      {"", 1, "class or namespace name expected, found end of path"},
      {" Class", 1, "found whitespace"},
      {"Class ", 6, "'.', '=' or end of path expected, found whitespace"},
      {"1Class", 1, "class or namespace name expected, found '1'"},
      {":Class", 1, "class or namespace name expected, found ':'"},
      {"Class.", 7, "key name expected, found end of path"},
      {"Class..Key=1", 7, "key name expected, found '.'"},
      {"Class.Key", 10, "'=' after the key name expected, found end of path"},
      {"Class.Key =1", 10, "'=' after the key name expected, found whitespace"},
      {"Class.Key=", 11, "key value expected, found end of path"},
      {"Class.Key= 1", 11, "key value expected, found whitespace"},
      {R"(Class.Key="abc)", 11, "string not closed"},
      {R"(Class.Key="abc\)", 11, "string not closed"},
      {R"(Class.Key='abc)", 11, "string not closed"},
      {R"(Class.Key="a\nb")", 13, R"(invalid escape '\n')"},
      {R"(Class.Key="a"b)", 14, "',' or end of path expected, found 'b'"},
      {"Class.Key=1,", 13, "key name expected, found end of path"},
      {"Class.Key=1 ,K2=2", 12, "',' or end of path expected, found whitespace"},
      {"Class.Key=1,Key=2", 13, "duplicate key 'Key'"},
      {"Class.Key=1,kEY=2", 13, "duplicate key 'kEY'"},
      {"Class=@x", 8, "end of path expected, found 'x'"},
      {R"(Class="a"="b")", 10, "end of path expected, found '='"},
      {"Class.Key=@", 11, "key value expected, found '@'"},
      {"Class.Key=maybe", 11, "found 'maybe'"},
      {"Class.Key=12abc", 13, "',' or end of path expected, found 'a'"},
      {"Class.Key=1.5", 12, "',' or end of path expected, found '.'"},
      {"Class.Key=-", 12, "digit expected, found end of path"},
      {"Class.Key=-x", 12, "digit expected, found 'x'"},
      {"Class.Key=0x", 13, "hexadecimal digit expected, found end of path"},
      {"Class.Key=0xg", 13, "hexadecimal digit expected, found 'g'"},
      {"Class.Key=18446744073709551616", 11, "integer out of range"},
      {"Class.Key=-9223372036854775809", 11, "integer out of range"},
      {"Class.Key=0x10000000000000000", 11, "integer out of range"},
      {R"(\\)", 3, "server name expected, found end of path"},
      {R"(\\\root:X)", 3, "server name expected, found '\\'"},
      {R"(\\.)", 4, R"('\' and a namespace expected, found end of path)"},
      {R"(\\.:X)", 4, R"('\' and a namespace expected, found ':')"},
      {R"(\\ser ver\root:X)", 6, R"('\' and a namespace expected, found whitespace)"},
      {R"(\\.\root)", 9, "':' and a class name expected, found end of path"},
      {R"(\\.\root\)", 10, "namespace name expected, found end of path"},
      {R"(\\.\root\\cimv2:X)", 10, "namespace name expected, found '\\'"},
      {R"(\\.\:X)", 5, "namespace name expected, found ':'"},
      {R"(\root)", 6, "':' and a class name expected, found end of path"},
      {"root:", 6, "class name expected, found end of path"},
      {R"(root\cimv2:)", 12, "class name expected, found end of path"},
      {"root:Class:Other", 11, "'.', '=' or end of path expected, found ':'"},
      {"root::Class", 6, "class name expected, found ':'"},
      {"Class;", 6, "'.', '=' or end of path expected, found ';'"},
      {std::string("Class.K=\x01", 9), 9, "key value expected, found byte 0x01"},
      {"Class.K=\xC3\xA4", 9, "key value expected (a quoted string, an integer, TRUE or FALSE), found '\xC3\xA4'"},
  };
  REQUIRE(rows.size() >= 20);
  for (const Row& r : rows) {
    INFO(r.text);
    const wbem::Error e = parseError(r.text);
    CHECK(e.status() == wbem::WBEM_E_INVALID_OBJECT_PATH);
    REQUIRE(e.position().has_value());
    CHECK(e.position()->line == 1);
    CHECK(e.position()->column == r.column);
    CHECK(e.position()->source.empty());
    CHECK_THAT(e.message(), Contains(r.message));
    CHECK_THAT(e.message(), StartsWith("invalid object path \"" + r.text + "\": "));
  }
}

TEST_CASE("a full instance path parses into its parts", "[objectpath]") {
  const ObjectPath p = ObjectPath::parse(R"(\\Machine1\root\cimv2:Win32_LogicalDisk.DeviceID="C:")");
  CHECK(p.server() == "Machine1");
  CHECK(p.namespacePath() == "root\\cimv2");
  CHECK(p.className() == "Win32_LogicalDisk");
  REQUIRE(p.keys().size() == 1);
  CHECK(p.keys()[0].name == "DeviceID");
  CHECK(p.keys()[0].value.type() == CimType::String);
  CHECK(p.keys()[0].value.asString() == "C:");
  CHECK(p.isAbsolute());
  CHECK_FALSE(p.isClass());
  CHECK_FALSE(p.isSingleton());
  CHECK(p.relativePath() == R"(Win32_LogicalDisk.DeviceID="C:")");
}

TEST_CASE("key values: strings, integers, booleans", "[objectpath]") {
  const ObjectPath p =
      ObjectPath::parse(R"(C.S="a\"b\\c",N=-42,Z=0,U=18446744073709551615,B=9223372036854775808,T=true,F=FaLsE)");
  REQUIRE(p.keys().size() == 7);
  CHECK(p.key("S")->type() == CimType::String);
  CHECK(p.key("S")->asString() == R"(a"b\c)");
  CHECK(p.key("N")->type() == CimType::SInt64);
  CHECK(p.key("N")->asInt64() == -42);
  CHECK(p.key("Z")->type() == CimType::SInt64);
  CHECK(p.key("Z")->asInt64() == 0);
  CHECK(p.key("U")->type() == CimType::UInt64);
  CHECK(p.key("U")->asUInt64() == std::numeric_limits<std::uint64_t>::max());
  CHECK(p.key("B")->type() == CimType::UInt64);
  CHECK(p.key("B")->asUInt64() == 9223372036854775808ull);
  CHECK(p.key("T")->type() == CimType::Boolean);
  CHECK(p.key("T")->asBool());
  CHECK_FALSE(p.key("F")->asBool());
  CHECK(p.toString() == R"(C.S="a\"b\\c",N=-42,Z=0,U=18446744073709551615,B=9223372036854775808,T=TRUE,F=FALSE)");

  const ObjectPath minimum = ObjectPath::parse("C.K=-9223372036854775808");
  CHECK(minimum.key("K")->type() == CimType::SInt64);
  CHECK(minimum.key("K")->asInt64() == std::numeric_limits<std::int64_t>::min());
  CHECK(ObjectPath::parse("C.K=9223372036854775807").key("K")->type() == CimType::SInt64);
  CHECK(ObjectPath::parse("C.K=-0").key("K")->asInt64() == 0);
  CHECK(ObjectPath::parse("C.K=-0").toString() == "C.K=0");
  CHECK(ObjectPath::parse("C.K=007").toString() == "C.K=7");
}

TEST_CASE("hexadecimal integers are read and written in decimal", "[objectpath]") {
  CHECK(ObjectPath::parse("MyClass.KeyValue=0x12").key("KeyValue")->asInt64() == 18);
  CHECK(ObjectPath::parse("MyClass.KeyValue=0x12").toString() == "MyClass.KeyValue=18");
  CHECK(ObjectPath::parse("C.K=0XfF").key("K")->asInt64() == 255);
  const ObjectPath max = ObjectPath::parse("C.K=0xFFFFFFFFFFFFFFFF");
  CHECK(max.key("K")->type() == CimType::UInt64);
  CHECK(max.toString() == "C.K=18446744073709551615");
}

TEST_CASE("single-quoted strings take no escapes and are written double-quoted", "[objectpath]") {
  const ObjectPath p = ObjectPath::parse(R"(//WKSTA-W2KS/root/cimv2:Win32_LogicalFileSecuritySetting.Path='C:\temp')");
  CHECK(p.key("Path")->asString() == R"(C:\temp)");
  CHECK(p.toString() == R"(\\WKSTA-W2KS\root\cimv2:Win32_LogicalFileSecuritySetting.Path="C:\\temp")");
  CHECK(p == ObjectPath::parse(R"(\\WKSTA-W2KS\root\cimv2:Win32_LogicalFileSecuritySetting.Path="C:\\temp")"));
  CHECK(ObjectPath::parse(R"(C.K='say "hi"')").key("K")->asString() == R"(say "hi")");
  CHECK(ObjectPath::parse(R"(C.K='say "hi"')").toString() == R"(C.K="say \"hi\"")");
  CHECK(ObjectPath::parse("C=''").key("")->asString().empty());
}

TEST_CASE("quotes and backslashes in key values are escaped when written", "[objectpath]") {
  const std::vector<std::pair<std::string, std::string>> rows = {
      {R"(plain)", R"(C.K="plain")"},
      {R"(C:\)", R"(C.K="C:\\")"},
      {R"(\\server\share)", R"(C.K="\\\\server\\share")"},
      {R"(say "hi")", R"(C.K="say \"hi\"")"},
      {R"(\")", R"(C.K="\\\"")"},
      {R"(")", R"(C.K="\"")"},
      {"", R"(C.K="")"},
      {"it's", R"(C.K="it's")"},
  };
  for (const auto& [raw, text] : rows) {
    INFO(raw);
    const ObjectPath built = ObjectPath::forInstance("C", {{"K", Value(raw)}});
    CHECK(built.toString() == text);
    const ObjectPath parsed = ObjectPath::parse(text);
    CHECK(parsed.key("K")->asString() == raw);
    CHECK(parsed == built);
  }
}

TEST_CASE("a reference key is a quoted path and stays a string when parsed", "[objectpath]") {
  const std::string consumer = R"(\\.\root\subscription:LogFileEventConsumer.Name="log")";
  const std::string filter = R"(__EventFilter.Name="f1")";
  const ObjectPath built = ObjectPath::forInstance(
      "__FilterToConsumerBinding", {{"Filter", Value::reference(filter)}, {"Consumer", Value::reference(consumer)}});
  const std::string text =
      R"(__FilterToConsumerBinding.Consumer="\\\\.\\root\\subscription:LogFileEventConsumer.Name=\"log\"",)"
      R"(Filter="__EventFilter.Name=\"f1\"")";
  CHECK(built.toString() == text);
  const ObjectPath parsed = ObjectPath::parse(text);
  CHECK(parsed.key("Consumer")->type() == CimType::String);
  CHECK(parsed.key("Consumer")->asString() == consumer);
  CHECK(ObjectPath::parse(parsed.key("Consumer")->asString()).className() == "LogFileEventConsumer");
  // A string and a reference of the same text are the same key.
  CHECK(parsed == built);
}

TEST_CASE("other key types format as WMI writes them", "[objectpath]") {
  const auto text = [](Value v) { return ObjectPath::forInstance("C", {{"K", std::move(v)}}).toString(); };
  CHECK(text(Value(std::uint32_t{4000000000u})) == "C.K=4000000000");
  CHECK(text(Value(std::int8_t{-128})) == "C.K=-128");
  CHECK(text(Value(std::uint8_t{255})) == "C.K=255");
  CHECK(text(Value(std::int16_t{-2})) == "C.K=-2");
  CHECK(text(Value(std::numeric_limits<std::int64_t>::min())) == "C.K=-9223372036854775808");
  CHECK(text(Value(std::numeric_limits<std::uint64_t>::max())) == "C.K=18446744073709551615");
  CHECK(text(Value(u'A')) == "C.K=65");
  CHECK(text(Value(true)) == "C.K=TRUE");
  CHECK(text(Value(false)) == "C.K=FALSE");
  CHECK(text(Value(wbem::DateTime::parse("20260101120000.000000+060"))) == R"(C.K="20260101120000.000000+060")");
}

TEST_CASE("the unnamed single key is a KeyBinding with an empty name", "[objectpath]") {
  const ObjectPath p = ObjectPath::parse(R"(MyClass="x")");
  REQUIRE(p.keys().size() == 1);
  CHECK(p.keys()[0].name.empty());
  CHECK(p.keys()[0].value.asString() == "x");
  REQUIRE(p.key("") != nullptr);
  CHECK(p.key("")->asString() == "x");
  CHECK_FALSE(p.isClass());
  CHECK(p.relativePath() == R"(MyClass="x")");

  const ObjectPath built = ObjectPath::forInstance("MyClass", {{"", Value("x")}});
  CHECK(built.toString() == R"(MyClass="x")");
  CHECK(built == p);
  CHECK(ObjectPath::forInstance("MyClass", {{"", Value(std::int32_t{5})}}).toString() == "MyClass=5");
  // It stands for a key whose name the path does not give: not the same as a named key.
  CHECK_FALSE(p == ObjectPath::parse(R"(MyClass.Name="x")"));

  const wbem::Error e = errorOf([] { ObjectPath::forInstance("C", {{"", Value("x")}, {"K", Value("y")}}); });
  CHECK(e.status() == wbem::WBEM_E_INVALID_OBJECT_PATH);
  CHECK_THAT(e.message(), Contains("invalid key name ''"));
}

TEST_CASE("singleton and class paths", "[objectpath]") {
  const ObjectPath s = ObjectPath::forSingleton("__ArbitratorConfiguration");
  CHECK(s.isSingleton());
  CHECK_FALSE(s.isClass());
  CHECK(s.keys().empty());
  CHECK(s.toString() == "__ArbitratorConfiguration=@");
  CHECK(ObjectPath::parse("__ArbitratorConfiguration=@") == s);
  CHECK(ObjectPath::parse("__arbitratorconfiguration=@") == s);
  CHECK(ObjectPath::parse("root:__ArbitratorConfiguration=@").isSingleton());

  const ObjectPath c = ObjectPath::forClass("Win32_Process");
  CHECK(c.isClass());
  CHECK_FALSE(c.isSingleton());
  CHECK_FALSE(c.isAbsolute());
  CHECK(c.toString() == "Win32_Process");
  CHECK(ObjectPath::parse("Win32_Process") == c);
  CHECK(ObjectPath::parse(R"(\\.\root\cimv2:Win32_Process)").isClass());

  CHECK_FALSE(s == ObjectPath::forClass("__ArbitratorConfiguration"));
  CHECK_FALSE(c == ObjectPath::forInstance("Win32_Process", {{"Handle", Value("4")}}));
  CHECK(ObjectPath().toString().empty());
  CHECK(ObjectPath().isClass());
}

TEST_CASE("namespaces accept either separator and are kept with backslashes", "[objectpath]") {
  const ObjectPath forward = ObjectPath::parse("//myserver/root/cimv2:Win32_OperatingSystem");
  CHECK(forward.server() == "myserver");
  CHECK(forward.namespacePath() == "root\\cimv2");
  CHECK(forward.toString() == R"(\\myserver\root\cimv2:Win32_OperatingSystem)");

  const ObjectPath mixed = ObjectPath::parse(R"(\\myserver/root\default:MyClass.key="ab/c\\def")");
  CHECK(mixed.namespacePath() == "root\\default");
  CHECK(mixed.key("key")->asString() == R"(ab/c\def)");
  CHECK(ObjectPath::parse(R"(//myserver\root/default:MyClass.key="ab\\c/def")").toString() ==
        R"(\\myserver\root\default:MyClass.key="ab\\c/def")");

  CHECK(ObjectPath::parse("//./root/default:MyClass").toString() == R"(\\.\root\default:MyClass)");
  CHECK(ObjectPath::parse("//./root/default:MyClass").server() == ".");
  CHECK(ObjectPath::parse("root/cimv2:X").toString() == R"(root\cimv2:X)");
  // A single leading separator marks a namespace; WMI drops it.
  CHECK(ObjectPath::parse(R"(\root\cimv2:X)").toString() == R"(root\cimv2:X)");
  CHECK(ObjectPath::parse("/root/cimv2:X").namespacePath() == "root\\cimv2");
  CHECK(ObjectPath::parse("/root:X").server().empty());
}

TEST_CASE("normalizeNamespace gives WMI's form", "[objectpath]") {
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"root/cimv2", R"(root\cimv2)"},
      {R"(root\cimv2)", R"(root\cimv2)"},
      {"/root/cimv2/", R"(root\cimv2)"},
      {R"(\root\cimv2\)", R"(root\cimv2)"},
      {R"(root\\cimv2)", R"(root\cimv2)"},
      {"root//a\\/b", R"(root\a\b)"},
      {"root", "root"},
      {"", ""},
      {"//", ""},
      {"Root/CIMV2", R"(Root\CIMV2)"},
  };
  for (const auto& [in, out] : rows) {
    INFO(in);
    CHECK(wbem::normalizeNamespace(in) == out);
  }
}

TEST_CASE("setNamespace and setServer control the prefix toString writes", "[objectpath]") {
  ObjectPath p = ObjectPath::forInstance("__EventFilter", {{"Name", Value("f1")}});
  CHECK(p.toString() == R"(__EventFilter.Name="f1")");
  CHECK_FALSE(p.isAbsolute());

  p.setNamespace("root/subscription");
  CHECK(p.namespacePath() == "root\\subscription");
  CHECK(p.isAbsolute());
  CHECK(p.toString() == R"(root\subscription:__EventFilter.Name="f1")");

  p.setServer(".");
  CHECK(p.toString() == R"(\\.\root\subscription:__EventFilter.Name="f1")");
  CHECK(p.relativePath() == R"(__EventFilter.Name="f1")");

  p.setServer("HOST");
  CHECK(p.toString() == R"(\\HOST\root\subscription:__EventFilter.Name="f1")");

  // A server without a namespace cannot be written in WMI's grammar.
  p.setNamespace("");
  CHECK(p.namespacePath().empty());
  CHECK(p.isAbsolute());
  CHECK(p.toString() == R"(__EventFilter.Name="f1")");

  p.setServer("");
  CHECK_FALSE(p.isAbsolute());

  for (const char* bad : {"root\\bad name", "root:x", "1root", "root\\a.b", "\\\\.\\root"}) {
    INFO(bad);
    CHECK(errorOf([&] { p.setNamespace(bad); }).status() == wbem::WBEM_E_INVALID_NAMESPACE);
  }
  CHECK(p.namespacePath().empty());
}

TEST_CASE("forInstance sorts keys by name without regard to case", "[objectpath]") {
  const ObjectPath p = ObjectPath::forInstance("C", {{"b", Value(std::int32_t{1})},
                                                     {"A", Value(std::int32_t{2})},
                                                     {"c", Value(std::int32_t{3})},
                                                     {"_z", Value(std::int32_t{4})},
                                                     {"B2", Value(std::int32_t{5})}});
  REQUIRE(p.keys().size() == 5);
  CHECK(p.keys()[0].name == "_z");
  CHECK(p.keys()[1].name == "A");
  CHECK(p.keys()[2].name == "b");
  CHECK(p.keys()[3].name == "B2");
  CHECK(p.keys()[4].name == "c");
  CHECK(p.toString() == "C._z=4,A=2,b=1,B2=5,c=3");
  // Parsing keeps the order of the text.
  CHECK(ObjectPath::parse("C.b=1,A=2").keys()[0].name == "b");
}

TEST_CASE("forClass, forInstance and forSingleton refuse what no path can hold", "[objectpath]") {
  const auto check = [](auto f, const std::string& message) {
    const wbem::Error e = errorOf(f);
    CHECK(e.status() == wbem::WBEM_E_INVALID_OBJECT_PATH);
    CHECK_THAT(e.message(), Contains(message));
  };
  check([] { ObjectPath::forClass(""); }, "invalid class name ''");
  check([] { ObjectPath::forClass("bad name"); }, "invalid class name 'bad name'");
  check([] { ObjectPath::forClass("9Lives"); }, "invalid class name '9Lives'");
  check([] { ObjectPath::forSingleton("a.b"); }, "invalid class name 'a.b'");
  check([] { ObjectPath::forInstance("C", {}); }, "needs at least one key");
  check([] { ObjectPath::forInstance("C", {{"K", Value()}}); }, "key 'K' of C is NULL");
  check([] { ObjectPath::forInstance("C", {{"K", Value::null(CimType::String)}}); }, "is NULL");
  check([] { ObjectPath::forInstance("C", {{"K", Value(1.5)}}); }, "is of type real64");
  check([] { ObjectPath::forInstance("C", {{"K", Value(CimType::SInt32, {Value(std::int32_t{1})})}}); }, "is an array");
  check([] { ObjectPath::forInstance("C", {{"1K", Value("x")}}); }, "invalid key name '1K'");
  check([] { ObjectPath::forInstance("C", {{"K", Value("x")}, {"k", Value("y")}}); }, "duplicate key 'k'");
}

TEST_CASE("key() finds keys case-insensitively", "[objectpath]") {
  const ObjectPath p = ObjectPath::parse(R"(C.Name="n",Id=3)");
  REQUIRE(p.key("name") != nullptr);
  CHECK(p.key("name")->asString() == "n");
  REQUIRE(p.key("ID") != nullptr);
  CHECK(p.key("ID")->asInt64() == 3);
  CHECK(p.key("Other") == nullptr);
  CHECK(p.key("") == nullptr);
  CHECK(ObjectPath::forClass("C").key("Name") == nullptr);
}

TEST_CASE("equality ignores the case of names and strings, and key order", "[objectpath]") {
  const ObjectPath p = ObjectPath::parse(R"(\\Host\Root\CIMV2:Win32_Service.Name="Spooler",Id=5)");
  CHECK(p == ObjectPath::parse(R"(\\host\root\cimv2:win32_service.name="Spooler",id=5)"));
  CHECK(p == ObjectPath::parse(R"(\\HOST\ROOT\CIMV2:WIN32_SERVICE.Id=5,NAME="SPOOLER")"));
  CHECK(p == ObjectPath::parse(R"(//host/root/cimv2:Win32_Service.Name='spooler',Id=0x5)"));

  CHECK_FALSE(p == ObjectPath::parse(R"(\\Other\root\cimv2:Win32_Service.Name="Spooler",Id=5)"));
  CHECK_FALSE(p == ObjectPath::parse(R"(\\Host\root\default:Win32_Service.Name="Spooler",Id=5)"));
  CHECK_FALSE(p == ObjectPath::parse(R"(root\cimv2:Win32_Service.Name="Spooler",Id=5)"));
  CHECK_FALSE(p == ObjectPath::parse(R"(\\Host\root\cimv2:Win32_Process.Name="Spooler",Id=5)"));
  CHECK_FALSE(p == ObjectPath::parse(R"(\\Host\root\cimv2:Win32_Service.Name="Spooler2",Id=5)"));
  CHECK_FALSE(p == ObjectPath::parse(R"(\\Host\root\cimv2:Win32_Service.Name="Spooler",Id=6)"));
  CHECK_FALSE(p == ObjectPath::parse(R"(\\Host\root\cimv2:Win32_Service.Name="Spooler")"));
  CHECK_FALSE(p == ObjectPath::parse(R"(\\Host\root\cimv2:Win32_Service.Name="Spooler",Other=5)"));
  CHECK_FALSE(p == ObjectPath::parse(R"(\\Host\root\cimv2:Win32_Service.Name="Spooler",Id="5")"));
}

TEST_CASE("integer keys compare by value whatever their type", "[objectpath]") {
  const ObjectPath parsed = ObjectPath::parse("C.K=5");
  CHECK(parsed == ObjectPath::forInstance("C", {{"K", Value(std::uint32_t{5})}}));
  CHECK(parsed == ObjectPath::forInstance("C", {{"K", Value(std::int8_t{5})}}));
  CHECK(parsed == ObjectPath::forInstance("C", {{"K", Value(std::uint64_t{5})}}));
  CHECK(ObjectPath::parse("C.K=65") == ObjectPath::forInstance("C", {{"K", Value(u'A')}}));
  CHECK(ObjectPath::parse("C.K=-1") == ObjectPath::forInstance("C", {{"K", Value(std::int16_t{-1})}}));
  CHECK_FALSE(ObjectPath::parse("C.K=-1") ==
              ObjectPath::forInstance("C", {{"K", Value(std::numeric_limits<std::uint64_t>::max())}}));
  CHECK(ObjectPath::parse("C.K=18446744073709551615") ==
        ObjectPath::forInstance("C", {{"K", Value(std::numeric_limits<std::uint64_t>::max())}}));
  // Booleans are not integers.
  CHECK_FALSE(ObjectPath::parse("C.K=TRUE") == ObjectPath::parse("C.K=1"));
  CHECK(ObjectPath::parse("C.K=TRUE") == ObjectPath::forInstance("C", {{"K", Value(true)}}));
  CHECK_FALSE(ObjectPath::parse("C.K=TRUE") == ObjectPath::parse("C.K=FALSE"));
}

TEST_CASE("datetime keys equal their DMTF text", "[objectpath]") {
  const auto dt = wbem::DateTime::parse("20260101120000.000000+060");
  const ObjectPath built = ObjectPath::forInstance("C", {{"When", Value(dt)}});
  const ObjectPath parsed = ObjectPath::parse(built.toString());
  CHECK(parsed.key("When")->type() == CimType::String);
  CHECK(parsed == built);
}
