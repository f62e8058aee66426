// Tests of wbemctl's pure helpers: values typed from name=value text and from JSON (value_input.hpp), objects
// as JSON and errors as one line (output.hpp); and of the real wbemctl's `call` and `stats` against a daemon
// in this process.

#include <wbem/classobject.hpp>
#include <wbem/datetime.hpp>
#include <wbem/event_service.hpp>
#include <wbem/mof.hpp>
#include <wbem/namespace.hpp>
#include <wbem/status.hpp>
#include <wbem/value.hpp>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "child_process.hpp"
#include "in_process_daemon.hpp"
#include "output.hpp"
#include "support.hpp"
#include "value_input.hpp"

using namespace std::chrono_literals;
using wbem::CimType;
using wbem::Value;
using wbemctl::Json;
using wbemtest::statusOf;

namespace {

// A class with one property of each kind the converters handle, and one to embed.
std::map<std::string, wbem::ClassObject> schema() {
  wbem::ClassObject part = wbem::ClassObject::createClass("Test_Part");
  part.putProperty("Label", wbem::scalarType(CimType::String));
  wbem::ClassObject cls = wbem::ClassObject::createClass("Test_Item");
  cls.putProperty("Id", wbem::scalarType(CimType::UInt64));
  cls.putPropertyQualifier("Id", "key", Value(true));
  cls.putProperty("Delta", wbem::scalarType(CimType::SInt8));
  cls.putProperty("Ratio", wbem::scalarType(CimType::Real32));
  cls.putProperty("Exact", wbem::scalarType(CimType::Real64));
  cls.putProperty("On", wbem::scalarType(CimType::Boolean));
  cls.putProperty("When", wbem::scalarType(CimType::DateTime));
  cls.putProperty("Name", wbem::scalarType(CimType::String));
  cls.putProperty("Owner", wbem::scalarType(CimType::Reference));
  cls.putProperty("Sizes", wbem::arrayType(CimType::UInt32));
  cls.putProperty("Part", wbem::scalarType(CimType::Object, "Test_Part"));
  return {{"Test_Item", cls}, {"Test_Part", part}};
}

wbemctl::ClassLookup lookupIn(const std::map<std::string, wbem::ClassObject>& classes) {
  return [&classes](const std::string& name) {
    const auto it = classes.find(name);
    if (it == classes.end()) throw wbem::Error(wbem::WBEM_E_NOT_FOUND, name);
    return it->second;
  };
}

// --- wbemctl call ---------------------------------------------------------------------------------

// A class whose one method has in-parameters of three types, two out-parameters and a ReturnValue.
constexpr std::string_view kCalculatorMof = R"(
[Provider("Test_CalculatorProvider")]
class Test_Calculator {
  [key] uint32 Id;
  [Implemented] uint32 Divide([in] uint32 Dividend, [in] uint8 Divisor, [in] string Unit,
                              [out] uint32 Remainder, [out] string Text);
};
)";
// The instance wbemctl calls Divide on: the provider serves any, none is stored.
constexpr const char* kCalculatorPath = "Test_Calculator.Id=1";

// Runs Test_Calculator.Divide in the daemon's process: ReturnValue is the whole quotient, and Text
// tells what was divided on which instance, so that the output shows what reached the provider.
// (The namespace hands it only in-parameters of the declared types: a mistyped one fails the call.)
class CalculatorProvider : public wbem::MethodProvider {
 public:
  void execMethod(const wbem::MethodCall& call, wbem::ClassObject& out) override {
    const std::uint64_t dividend = call.inParameters.get("Dividend").asUInt64();
    const std::uint64_t divisor = call.inParameters.get("Divisor").asUInt64();
    const std::string unit = call.inParameters.get("Unit").asString();
    out.put("ReturnValue", Value(static_cast<std::uint32_t>(dividend / divisor)));
    out.put("Remainder", Value(static_cast<std::uint32_t>(dividend % divisor)));
    out.put("Text", Value(call.target.relativePath() + " divided " + std::to_string(dividend) + " " + unit + " by " +
                          std::to_string(divisor)));
  }
};

// A daemon in this process whose root\cimv2 holds Test_Calculator, its method run by a CalculatorProvider.
struct CalculatorDaemon : wbemtest::InProcessDaemon {
  CalculatorDaemon() {
    wbem::Namespace& ns = service.createNamespace("root/cimv2");
    const wbem::MofCompiler compiler([&ns](const std::string&) { return &ns; });
    const wbem::MofResult result = compiler.compileText(kCalculatorMof, "calculator.mof");
    INFO((result.ok() ? std::string() : result.diagnostics.front().toString()));
    REQUIRE(result.ok());
    ns.registerMethodProvider("Test_CalculatorProvider", std::make_shared<CalculatorProvider>());
    server.start();
  }
};

// An event provider that keeps the sink the service hands it, so that the test can raise events.
class KeepingProvider : public wbem::EventProvider {
 public:
  wbem::Status provideEvents(std::shared_ptr<wbem::EventSink> sink, std::int32_t) override {
    sink_ = std::move(sink);
    return wbem::WBEM_S_NO_ERROR;
  }
  const std::shared_ptr<wbem::EventSink>& sink() const { return sink_; }

 private:
  std::shared_ptr<wbem::EventSink> sink_;
};

// What one run of the real wbemctl left behind.
struct WbemctlRun {
  int exitCode;          // -1: it did not exit in time, or died of a signal
  std::string output;    // all of stdout
  std::string describe;  // stdout and stderr, for failure messages
};

// Runs `wbemctl ARGUMENTS... --socket <daemon's>` to its end; its stderr goes to <dir>/wbemctl.log.
WbemctlRun runWbemctl(const wbemtest::InProcessDaemon& daemon, const wbemtest::TempDir& dir,
                      std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), WBEM_TEST_WBEMCTL);
  arguments.insert(arguments.end(), {"--socket", daemon.server.socketPath().string()});
  wbemtest::Child wbemctl(std::move(arguments), dir / "wbemctl.log", true);
  const int exitCode = wbemctl.exitCode(30s);
  return {exitCode, wbemctl.output(), wbemctl.describe()};
}

}  // namespace

TEST_CASE("parseValueText types text by the declared type") {
  using wbemctl::parseValueText;
  CHECK(parseValueText("18446744073709551615", wbem::scalarType(CimType::UInt64)) ==
        Value(std::uint64_t{18446744073709551615u}));
  CHECK(parseValueText("-128", wbem::scalarType(CimType::SInt8)) == Value(std::int8_t{-128}));
  CHECK(parseValueText("0x10", wbem::scalarType(CimType::UInt16)) == Value(std::uint16_t{16}));
  CHECK(parseValueText("TRUE", wbem::scalarType(CimType::Boolean)) == Value(true));
  CHECK(parseValueText("0.1", wbem::scalarType(CimType::Real32)) == Value::real32(0.1f));
  CHECK(parseValueText("2.5e3", wbem::scalarType(CimType::Real64)) == Value(2500.0));
  CHECK(parseValueText(" spaced ", wbem::scalarType(CimType::String)) == Value(" spaced "));
  CHECK(parseValueText("20240102030405.000006+060", wbem::scalarType(CimType::DateTime)) ==
        Value(wbem::DateTime::timestamp(2024, 1, 2, 3, 4, 5, 6, 60)));
  CHECK(parseValueText("x", wbem::scalarType(CimType::Char16)) == Value(u'x'));
  CHECK(parseValueText("A.K=\"v\"", wbem::scalarType(CimType::Reference)) == Value::reference("A.K=\"v\""));
}

TEST_CASE("parseValueText reads arrays as comma lists") {
  using wbemctl::parseValueText;
  CHECK(parseValueText("1, 2,3", wbem::arrayType(CimType::UInt32)) ==
        Value(CimType::UInt32, {Value(std::uint32_t{1}), Value(std::uint32_t{2}), Value(std::uint32_t{3})}));
  CHECK(parseValueText("", wbem::arrayType(CimType::String)) == Value(CimType::String, {}));
  CHECK(parseValueText("a,,b", wbem::arrayType(CimType::String)) ==
        Value(CimType::String, {Value("a"), Value(""), Value("b")}));
}

TEST_CASE("parseValueText refuses what does not fit the type") {
  using wbemctl::parseValueText;
  const auto status = [](const char* text, CimType type) {
    return statusOf([&] { parseValueText(text, wbem::scalarType(type)); });
  };
  CHECK(status("128", CimType::SInt8) == wbem::WBEM_E_TYPE_MISMATCH);
  CHECK(status("-1", CimType::UInt32) == wbem::WBEM_E_TYPE_MISMATCH);
  CHECK(status("18446744073709551616", CimType::UInt64) == wbem::WBEM_E_TYPE_MISMATCH);
  CHECK(status("12abc", CimType::SInt32) == wbem::WBEM_E_TYPE_MISMATCH);
  CHECK(status("yes", CimType::Boolean) == wbem::WBEM_E_TYPE_MISMATCH);
  CHECK(status("1e39", CimType::Real32) == wbem::WBEM_E_TYPE_MISMATCH);
  CHECK(status("2024", CimType::DateTime) == wbem::WBEM_E_TYPE_MISMATCH);
  CHECK(status("xy", CimType::Char16) == wbem::WBEM_E_TYPE_MISMATCH);
  CHECK(status("x", CimType::Object) == wbem::WBEM_E_TYPE_MISMATCH);
}

TEST_CASE("splitAssignment splits at the first equals sign") {
  CHECK(wbemctl::splitAssignment("Query=a=b") == std::pair<std::string, std::string>{"Query", "a=b"});
  CHECK(wbemctl::splitAssignment("Name=") == std::pair<std::string, std::string>{"Name", ""});
  CHECK(statusOf([] { wbemctl::splitAssignment("NoValue"); }) == wbem::WBEM_E_INVALID_PARAMETER);
  CHECK(statusOf([] { wbemctl::splitAssignment("=5"); }) == wbem::WBEM_E_INVALID_PARAMETER);
}

TEST_CASE("putAssignments types each value by its property") {
  const auto classes = schema();
  wbem::ClassObject instance = classes.at("Test_Item").spawnInstance();
  wbemctl::putAssignments(instance, {"Id=7", "On=false", "Sizes=4,5"});
  CHECK(instance.get("Id") == Value(std::uint64_t{7}));
  CHECK(instance.get("On") == Value(false));
  CHECK(instance.get("Sizes") == Value(CimType::UInt32, {Value(std::uint32_t{4}), Value(std::uint32_t{5})}));
  CHECK(statusOf([&] { wbemctl::putAssignments(instance, {"Nope=1"}); }) == wbem::WBEM_E_NOT_FOUND);
}

TEST_CASE("instanceFromJson builds a typed instance, embedded objects included") {
  const auto classes = schema();
  const Json json = Json::parse(R"({"__CLASS": "Test_Item", "Id": 18446744073709551615, "Delta": -3,
    "Ratio": 0.5, "Exact": 1, "On": true, "When": "20240102030405.000000+000", "Name": "n", "Owner": null,
    "Sizes": [1, 2], "Part": {"Label": "inner"}})");
  const wbem::ClassObject instance = wbemctl::instanceFromJson(json, lookupIn(classes));
  CHECK(instance.className() == "Test_Item");
  CHECK(instance.get("Id") == Value(std::uint64_t{18446744073709551615u}));
  CHECK(instance.get("Delta") == Value(std::int8_t{-3}));
  CHECK(instance.get("Ratio") == Value::real32(0.5f));
  CHECK(instance.get("Exact") == Value(1.0));
  CHECK(instance.get("When") == Value(wbem::DateTime::timestamp(2024, 1, 2, 3, 4, 5)));
  CHECK(instance.get("Owner").isNull());
  CHECK(instance.get("Part").asObject()->get("Label") == Value("inner"));
  // What toJson prints reads back to the same instance.
  CHECK(wbemctl::instanceFromJson(wbemctl::toJson(instance), lookupIn(classes)) == instance);
}

TEST_CASE("instanceFromJson refuses values of the wrong kind") {
  const auto classes = schema();
  const auto status = [&](const char* text) {
    return statusOf([&] { wbemctl::instanceFromJson(Json::parse(text), lookupIn(classes)); });
  };
  CHECK(status(R"({"__CLASS": "Test_Item", "Delta": 300})") == wbem::WBEM_E_TYPE_MISMATCH);
  CHECK(status(R"({"__CLASS": "Test_Item", "Id": 1.5})") == wbem::WBEM_E_TYPE_MISMATCH);
  CHECK(status(R"({"__CLASS": "Test_Item", "Name": 5})") == wbem::WBEM_E_TYPE_MISMATCH);
  CHECK(status(R"({"__CLASS": "Test_Item", "Sizes": 5})") == wbem::WBEM_E_TYPE_MISMATCH);
  CHECK(status(R"({"__CLASS": "Test_Item", "Missing": 5})") == wbem::WBEM_E_NOT_FOUND);
  CHECK(status(R"({"Id": 5})") == wbem::WBEM_E_INVALID_PARAMETER);
  CHECK(status(R"([1])") == wbem::WBEM_E_INVALID_PARAMETER);
  CHECK(status(R"({"__CLASS": "Nothing"})") == wbem::WBEM_E_NOT_FOUND);
}

TEST_CASE("toJson writes exact integers, DMTF datetimes, paths, nested objects and null") {
  const auto classes = schema();
  wbem::ClassObject part = classes.at("Test_Part").spawnInstance();
  part.put("Label", Value("p"));
  wbem::ClassObject instance = classes.at("Test_Item").spawnInstance();
  instance.put("Id", Value(std::uint64_t{18446744073709551615u}));
  instance.put("Delta", Value(std::int8_t{-1}));
  instance.put("Ratio", Value::real32(0.1f));
  instance.put("When", Value(wbem::DateTime::interval(1, 2, 3, 4)));
  instance.put("Owner", Value::reference("Test_Part"));
  instance.put("Sizes", Value(CimType::UInt32, {Value(std::uint32_t{9})}));
  instance.put("Part", Value(wbem::share(part)));
  CHECK(wbemctl::jsonLine(wbemctl::toJson(instance)) ==
        R"({"__CLASS":"Test_Item","Id":18446744073709551615,"Delta":-1,"Ratio":0.1,"Exact":null,"On":null,)"
        R"("When":"00000001020304.000000:000","Name":null,"Owner":"Test_Part","Sizes":[9],)"
        R"("Part":{"__CLASS":"Test_Part","Label":"p"}})");
}

TEST_CASE("errorLine gives the symbolic name, the code, the position and the message") {
  CHECK(wbemctl::errorLine(wbem::Error(wbem::WBEM_E_NOT_FOUND, "no such class")) ==
        "WBEM_E_NOT_FOUND (0x80041002): no such class");
  CHECK(wbemctl::errorLine(wbem::Error(wbem::WBEM_E_INVALID_QUERY, "expected FROM", {"", 1, 15})) ==
        "WBEM_E_INVALID_QUERY (0x80041017): 1:15: expected FROM");
  CHECK(wbemctl::errorLine(wbem::Error(wbem::WBEM_E_INVALID_SYNTAX, "bad", {"a.mof", 3, 2})) ==
        "WBEM_E_INVALID_SYNTAX (0x80041021): a.mof:3:2: bad");
}

TEST_CASE("wbemctl call types name=value by the method's in-parameters and prints the out-parameters") {
  const CalculatorDaemon daemon;
  const wbemtest::TempDir dir("wbem-test-wbemctl");
  // Divisor=0x5: integers may also be written in hex.
  std::vector<std::string> arguments{"call", kCalculatorPath, "Divide", "Dividend=47", "Divisor=0x5", "Unit=km"};
  std::string expected;
  SECTION("as MOF, by default") {
    // The out-parameters in their signature's order, then ReturnValue; a blank line ends the object.
    expected = R"(instance of __PARAMETERS
{
    Remainder = 2;
    Text = "Test_Calculator.Id=1 divided 47 km by 5";
    ReturnValue = 9;
};

)";
  }
  SECTION("as JSON") {
    arguments.insert(arguments.end(), {"--format", "json"});
    expected =
        R"({"__CLASS":"__PARAMETERS","Remainder":2,"Text":"Test_Calculator.Id=1 divided 47 km by 5","ReturnValue":9})"
        "\n";
  }

  const WbemctlRun run = runWbemctl(daemon, dir, arguments);
  INFO(run.describe);
  CHECK(run.exitCode == 0);
  CHECK(run.output == expected);
}

TEST_CASE("wbemctl stats prints the totals, each event provider and each subscription's consumer") {
  wbemtest::InProcessDaemon daemon;
  wbem::Namespace& ns = daemon.service.createNamespace("root/cimv2");
  const wbem::MofCompiler compiler([&ns](const std::string&) { return &ns; });
  REQUIRE(compiler.compileText("class Test_Tick : __ExtrinsicEvent { uint32 N; };", "tick.mof").ok());
  auto provider = std::make_shared<KeepingProvider>();
  daemon.service.registerEventProvider("root/cimv2", "TickProvider", {"SELECT * FROM Test_Tick"}, provider);
  const wbem::SubscriptionId id =
      daemon.service.subscribePull("root/cimv2", "WQL", "SELECT * FROM Test_Tick WHERE N > 1");
  daemon.server.start();
  std::vector<wbem::ClassObject> ticks;
  for (std::uint32_t n = 1; n <= 3; ++n) {
    ticks.push_back(ns.getClass("Test_Tick")->spawnInstance());
    ticks.back().put("N", Value(n));
  }
  REQUIRE(provider->sink()->indicate(ticks) == wbem::WBEM_S_NO_ERROR);
  REQUIRE(daemon.service.waitIdle());
  const wbemtest::TempDir dir("wbem-test-wbemctl");

  SECTION("as text") {
    const WbemctlRun run = runWbemctl(daemon, dir, {"stats"});
    INFO(run.describe);
    REQUIRE(run.exitCode == 0);
    CHECK(run.output.find("\nservice.indicated 3\n") != std::string::npos);
    CHECK(run.output.find("\nprovider root/cimv2 TickProvider bound=true filters=1 indicated=3 rejectedBusy=0\n") !=
          std::string::npos);
    // The pull consumer's two events wait in its queue until pulled.
    const std::string consumer =
        "consumer " + std::to_string(id) + " root/cimv2 delivered=0 dropped=0 failures=0 queued=2";
    CHECK(run.output.find("\n" + consumer + " queuedBytes=") != std::string::npos);
    CHECK(run.output.find(" permanent=false consumer=__TemporaryConsumer.Id=" + std::to_string(id) +
                          " query=SELECT * FROM Test_Tick WHERE N > 1\n") != std::string::npos);
  }
  SECTION("as JSON") {
    const WbemctlRun run = runWbemctl(daemon, dir, {"stats", "--json"});
    INFO(run.describe);
    REQUIRE(run.exitCode == 0);
    const Json stats = Json::parse(run.output);
    CHECK(stats["counters"]["service.indicated"] == 3);
    const Json& tickProvider = stats["providers"].back();
    CHECK(tickProvider["name"] == "TickProvider");
    CHECK(tickProvider["indicated"] == 3);
    REQUIRE(stats["consumers"].size() == 1);
    CHECK(stats["consumers"][0]["id"] == id);
    CHECK(stats["consumers"][0]["queued"] == 2);
    CHECK(stats["consumers"][0]["delivered"] == 0);
  }
}
