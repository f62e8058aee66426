// Tests of wbemctl's pure helpers: values typed from name=value text and from JSON (value_input.hpp), objects
// as JSON and errors as one line (output.hpp). The commands themselves need a daemon.

#include <wbem/classobject.hpp>
#include <wbem/datetime.hpp>
#include <wbem/status.hpp>
#include <wbem/value.hpp>

#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <string>

#include "output.hpp"
#include "value_input.hpp"

using wbem::CimType;
using wbem::Value;
using wbemctl::Json;

namespace {

wbem::Status statusOf(const std::function<void()>& action) {
  try {
    action();
  } catch (const wbem::Error& error) {
    return error.status();
  }
  return wbem::WBEM_S_NO_ERROR;
}

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
