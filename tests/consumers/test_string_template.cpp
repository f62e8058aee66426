// WMI's standard string templates (spec 6.3 and cases 62-65): variables, embedded objects, arrays,
// quotes, %% and the splitting of command-line templates into arguments.

#include <wbem/classobject.hpp>
#include <wbem/mof.hpp>
#include <wbem/namespace.hpp>
#include <wbem/standard_consumers.hpp>
#include <wbem/string_template.hpp>

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace wbem;

namespace {

constexpr std::string_view kMof = R"(
class Rep { [key] string K; uint32 V; };
class E : __ExtrinsicEvent {
  string S; sint32 N; boolean B; real64 R; uint64 Big; datetime T; char16 C;
  uint32 Arr[]; string Drives[]; Rep Obj; Rep Items[]; __InstanceModificationEvent Mods[];
};
)";

// root\test with the classes above and the standard consumer classes.
class Classes {
 public:
  Classes() {
    const MofCompiler compiler([this](const std::string&) { return &ns_; });
    REQUIRE(compiler.compileText(kMof, "test.mof").ok());
    REQUIRE(compiler.compileText(standardConsumerClassesMof(), "standard_consumers.mof").ok());
  }

  ClassObject instance(std::string_view className) const { return ns_.getClass(className)->spawnInstance(); }
  ObjectPtr rep(std::string_view key, std::uint32_t value = 0) const {
    ClassObject rep = instance("Rep");
    rep.put("K", key);
    rep.put("V", value);
    return share(std::move(rep));
  }
  Namespace& ns() { return ns_; }

 private:
  Namespace ns_{"root\\test"};
};

Value uint32Array(std::vector<std::uint32_t> values) {
  ValueArray elements;
  for (const std::uint32_t v : values) elements.emplace_back(v);
  return Value(CimType::UInt32, std::move(elements));
}

Value stringArray(std::vector<std::string> values) {
  ValueArray elements;
  for (std::string& v : values) elements.emplace_back(std::move(v));
  return Value(CimType::String, std::move(elements));
}

Value objectArray(std::vector<ObjectPtr> objects) {
  ValueArray elements;
  for (ObjectPtr& object : objects) elements.emplace_back(std::move(object));
  return Value(CimType::Object, std::move(elements));
}

}  // namespace

TEST_CASE("spec 62: scalar properties and %%", "[template]") {
  Classes classes;
  ClassObject e = classes.instance("E");
  e.put("S", "x");
  e.put("N", 5);
  CHECK(formatTemplate("S=%S% N=%N% %%", e) == "S=x N=5 %");
  CHECK(formatTemplate("no variables at all", e) == "no variables at all");
  CHECK(formatTemplate("", e).empty());
}

TEST_CASE("spec 63: a property of the embedded TargetInstance", "[template]") {
  Classes classes;
  ClassObject creation = classes.instance("__InstanceCreationEvent");
  creation.put("TargetInstance", Value(classes.rep("k1", 7)));
  CHECK(formatTemplate("%TargetInstance.K%", creation) == "k1");
  CHECK(formatTemplate("%TargetInstance.K%/%TargetInstance.V%", creation) == "k1/7");
  CHECK(formatTemplate("%TargetInstance.__CLASS%", creation) == "Rep");

  // Deeper: an event embedded in an event.
  ClassObject outer = classes.instance("__InstanceCreationEvent");
  outer.put("TargetInstance", Value(share(creation)));
  CHECK(formatTemplate("%TargetInstance.TargetInstance.K%", outer) == "k1");
}

TEST_CASE("spec 64: arrays in parentheses, one element alone, none as ()", "[template]") {
  Classes classes;
  ClassObject e = classes.instance("E");
  e.put("Arr", uint32Array({1, 5, 10, 1024}));
  CHECK(formatTemplate("%Arr%", e) == "(1,5,10,1024)");
  e.put("Arr", uint32Array({7}));
  CHECK(formatTemplate("%Arr%", e) == "7");
  e.put("Arr", uint32Array({}));
  CHECK(formatTemplate("%Arr%", e) == "()");
}

TEST_CASE("string array elements are quoted", "[template]") {
  Classes classes;
  ClassObject e = classes.instance("E");
  e.put("Drives", stringArray({"C:", "D:"}));
  CHECK(formatTemplate("%Drives%", e) == R"(("C:","D:"))");
  e.put("Drives", stringArray({"C:"}));
  CHECK(formatTemplate("%Drives%", e) == R"("C:")");
}

TEST_CASE("spec 65: text inside double quotes is literal and keeps its quotes", "[template]") {
  Classes classes;
  // The Text of a LogFileEventConsumer written in MOF as spec 65 writes it.
  const MofCompiler compiler([&](const std::string&) { return &classes.ns(); });
  REQUIRE(compiler
              .compileText(R"(instance of LogFileEventConsumer { Name = "L"; Filename = "/tmp/x";
                                 Text = "CPU is \"%N%\""; };)",
                           "consumer.mof")
              .ok());
  const ObjectPtr consumer = classes.ns().enumInstances("LogFileEventConsumer").at(0);
  const std::string text = consumer->get("Text").asString();
  REQUIRE(text == R"(CPU is "%N%")");

  ClassObject e = classes.instance("E");
  e.put("N", 90);
  CHECK(formatTemplate(text, e) == R"(CPU is "%N%")");
  CHECK(formatTemplate(R"(%N% "%N%" %N% "%%" "")", e) == R"(90 "%N%" 90 "%%" "")");
  // A quote without its pair is plain text, and what follows it is expanded.
  CHECK(formatTemplate(R"(say "hi %N%)", e) == R"(say "hi 90)");
  CHECK(formatTemplate(R"("a" %N% "b)", e) == R"("a" 90 "b)");
}

TEST_CASE("values of every kind as text", "[template]") {
  Classes classes;
  ClassObject e = classes.instance("E");
  e.put("B", true);
  e.put("N", -42);
  e.put("R", 2.5);
  e.put("Big", std::numeric_limits<std::uint64_t>::max());
  e.put("T", DateTime::parse("20240102030405.123456+060"));
  e.put("C", char16_t{u'\u00e9'});
  CHECK(formatTemplate("%B%", e) == "TRUE");
  CHECK(formatTemplate("%N%", e) == "-42");
  CHECK(formatTemplate("%R%", e) == "2.5");
  CHECK(formatTemplate("%Big%", e) == "18446744073709551615");
  CHECK(formatTemplate("%T%", e) == "20240102030405.123456+060");
  CHECK(formatTemplate("%C%", e) == "\u00e9");
  e.put("B", false);
  CHECK(formatTemplate("%B%", e) == "FALSE");
}

TEST_CASE("NULL and missing properties give empty text; names are case-insensitive", "[template]") {
  Classes classes;
  ClassObject e = classes.instance("E");
  e.put("S", "v");
  CHECK(formatTemplate("[%N%]", e) == "[]");               // NULL
  CHECK(formatTemplate("[%NoSuchProperty%]", e) == "[]");  // missing
  CHECK(formatTemplate("[%Obj.K%]", e) == "[]");           // through a NULL object
  CHECK(formatTemplate("[%S.Length%]", e) == "[]");        // through a string
  CHECK(formatTemplate("[%Arr%]", e) == "[]");             // a NULL array
  CHECK(formatTemplate("[%s%|%S%|%__class%]", e) == "[v|v|E]");
  e.put("Obj", Value(classes.rep("k")));
  CHECK(formatTemplate("[%obj.nosuch%|%OBJ.k%]", e) == "[|k]");
}

TEST_CASE("an embedded object gives its MOF text", "[template]") {
  Classes classes;
  ClassObject e = classes.instance("E");
  const ObjectPtr rep = classes.rep("k1", 3);
  e.put("Obj", Value(rep));
  CHECK(formatTemplate("%Obj%", e) == rep->getObjectText());
  CHECK(formatTemplate("<%Obj%>", e) == "<" + rep->getObjectText() + ">");
}

TEST_CASE("a property of an array of embedded objects is an array", "[template]") {
  Classes classes;
  ClassObject e = classes.instance("E");
  e.put("Items", objectArray({classes.rep("C:", 1), classes.rep("D:", 2)}));
  CHECK(formatTemplate("%Items.K%", e) == R"(("C:","D:"))");
  CHECK(formatTemplate("%Items.V%", e) == "(1,2)");
  CHECK(formatTemplate("%Items.NoSuch%", e) == "(,)");
  e.put("Items", objectArray({classes.rep("C:")}));
  CHECK(formatTemplate("%Items.K%", e) == R"("C:")");
  e.put("Items", objectArray({}));
  CHECK(formatTemplate("%Items.K%", e) == "()");

  // The documentation's example: %MyEvents.TargetInstance.DriveLetter% over modification events.
  std::vector<ObjectPtr> mods;
  for (const char* drive : {"C:", "D:"}) {
    ClassObject mod = classes.instance("__InstanceModificationEvent");
    mod.put("TargetInstance", Value(classes.rep(drive)));
    mods.push_back(share(std::move(mod)));
  }
  e.put("Mods", objectArray(mods));
  CHECK(formatTemplate("%Mods.TargetInstance.K%", e) == R"(("C:","D:"))");
}

TEST_CASE("%% and a % that starts no variable are plain text", "[template]") {
  Classes classes;
  ClassObject e = classes.instance("E");
  e.put("N", 5);
  CHECK(formatTemplate("%%", e) == "%");
  CHECK(formatTemplate("100%%", e) == "100%");
  CHECK(formatTemplate("%%%N%%%", e) == "%5%");
  CHECK(formatTemplate("50%", e) == "50%");              // unterminated
  CHECK(formatTemplate("%N", e) == "%N");                // unterminated
  CHECK(formatTemplate("50% of %N%", e) == "50% of 5");  // `% of %` names no property
  CHECK(formatTemplate("%N%%N%", e) == "55");
  CHECK(formatTemplate("%.N%|%N.%|%a..b%", e) == "%.N%|%N.%|%a..b%");
}

TEST_CASE("values are inserted as they are, never expanded again", "[template]") {
  Classes classes;
  ClassObject e = classes.instance("E");
  e.put("N", 5);
  for (const std::string value :
       {"%N%", "\"quoted\" %%", "line1\nline2", "tab\there", "caf\u00e9 \u2603", "a; rm -rf /"}) {
    e.put("S", value);
    CHECK(formatTemplate("%S%", e) == value);
    CHECK(formatTemplate("<%S%>", e) == "<" + value + ">");
  }
}

TEST_CASE("a 1 MB value and a long template", "[template]") {
  Classes classes;
  ClassObject e = classes.instance("E");
  const std::string big(1 << 20, 'x');
  e.put("S", big);
  const std::string out = formatTemplate("[%S%]", e);
  CHECK(out.size() == big.size() + 2);
  CHECK(out == "[" + big + "]");

  e.put("N", 1);
  std::string manyVariables;
  for (int i = 0; i < 10000; ++i) manyVariables += "%N%";
  CHECK(formatTemplate(manyVariables, e) == std::string(10000, '1'));
}

TEST_CASE("command lines split into arguments before any expansion", "[template][command-line]") {
  using Arguments = std::vector<TemplateArgument>;
  const auto plain = [](std::string text) { return TemplateArgument{TemplateSegment{std::move(text), false}}; };
  const auto literal = [](std::string text) { return TemplateArgument{TemplateSegment{std::move(text), true}}; };

  CHECK(parseTemplateArguments("").empty());
  CHECK(parseTemplateArguments(" \t ").empty());
  CHECK(parseTemplateArguments("prog  a\tb ") == Arguments{plain("prog"), plain("a"), plain("b")});
  CHECK(parseTemplateArguments(R"(prog "a b" c)") == Arguments{plain("prog"), literal("a b"), plain("c")});
  CHECK(parseTemplateArguments(R"(--x="%S% y"%N%)") ==
        Arguments{TemplateArgument{{"--x=", false}, {"%S% y", true}, {"%N%", false}}});
  CHECK(parseTemplateArguments(R"(a "" b)") == Arguments{plain("a"), literal(""), plain("b")});
  CHECK(parseTemplateArguments(R"("unterminated arg)") == Arguments{literal("unterminated arg")});
  // Backslashes as CommandLineToArgvW reads them.
  CHECK(parseTemplateArguments(R"(a\"b)") == Arguments{plain(R"(a"b)")});
  CHECK(parseTemplateArguments(R"(a\\"b c")") == Arguments{TemplateArgument{{R"(a\)", false}, {"b c", true}}});
  CHECK(parseTemplateArguments(R"(a\\\"b)") == Arguments{plain(R"(a\"b)")});
  CHECK(parseTemplateArguments(R"(C:\dir\file)") == Arguments{plain(R"(C:\dir\file)")});
}

TEST_CASE("command-line arguments expand their unquoted parts only", "[template][command-line]") {
  Classes classes;
  ClassObject e = classes.instance("E");
  e.put("S", "two words; $(id) \"x\"");
  e.put("N", 5);
  const std::vector<TemplateArgument> arguments = parseTemplateArguments(R"(prog %S% "%N%" n=%N% %%)");
  REQUIRE(arguments.size() == 5);
  std::vector<std::string> argv;
  for (const TemplateArgument& argument : arguments) argv.push_back(formatTemplateArgument(argument, e));
  CHECK(argv == std::vector<std::string>{"prog", "two words; $(id) \"x\"", "%N%", "n=5", "%"});
}
