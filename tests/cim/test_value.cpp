// Tests of wbem::Value: construction of every CIM type, typed reads, equality and the put
// conversion rules (Value::convertTo) for every pair of scalar types, range edges, strings,
// arrays and NULL.

#include <wbem/classobject.hpp>
#include <wbem/datetime.hpp>
#include <wbem/status.hpp>
#include <wbem/value.hpp>

#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "support.hpp"

using namespace wbem;

namespace {

constexpr std::array<CimType, 16> kAllTypes{
    CimType::SInt8,  CimType::UInt8,    CimType::SInt16,    CimType::UInt16, CimType::SInt32,  CimType::UInt32,
    CimType::SInt64, CimType::UInt64,   CimType::Real32,    CimType::Real64, CimType::Boolean, CimType::String,
    CimType::Char16, CimType::DateTime, CimType::Reference, CimType::Object,
};

ObjectPtr sampleObject(std::string_view cls = "Sample", std::int32_t v = 1) {
  ClassObject c = ClassObject::createClass(cls);
  c.putProperty("V", scalarType(CimType::SInt32));
  ClassObject i = c.spawnInstance();
  i.put("V", Value(v));
  return share(std::move(i));
}

const DateTime kInterval = DateTime::interval(1, 2, 3, 4);

// The representative value of each source type in the conversion table.
Value sample(CimType t) {
  switch (t) {
    case CimType::SInt8:
      return Value(std::int8_t{5});
    case CimType::UInt8:
      return Value(std::uint8_t{5});
    case CimType::SInt16:
      return Value(std::int16_t{5});
    case CimType::UInt16:
      return Value(std::uint16_t{5});
    case CimType::SInt32:
      return Value(std::int32_t{5});
    case CimType::UInt32:
      return Value(std::uint32_t{5});
    case CimType::SInt64:
      return Value(std::int64_t{5});
    case CimType::UInt64:
      return Value(std::uint64_t{5});
    case CimType::Real32:
      return Value::real32(1.5f);
    case CimType::Real64:
      return Value(2.5);
    case CimType::Boolean:
      return Value(true);
    case CimType::String:
      return Value("x");
    case CimType::Char16:
      return Value(u'A');
    case CimType::DateTime:
      return Value(kInterval);
    case CimType::Reference:
      return Value::reference("Cls.K=1");
    case CimType::Object:
      return Value(sampleObject());
    default:
      FAIL("no sample for this type");
      return Value();
  }
}

// What a conversion of the sample of one type to each of the 16 target types gives: the converted
// value, or nullopt for WBEM_E_TYPE_MISMATCH.
struct Row {
  CimType source;
  std::array<std::optional<Value>, 16> expected;  // in kAllTypes order
};

const std::optional<Value> kMismatch = std::nullopt;

// An integer 5 converts to every integer type, both reals and char16 (code unit 5).
std::array<std::optional<Value>, 16> fromInteger5() {
  return {Value(std::int8_t{5}),
          Value(std::uint8_t{5}),
          Value(std::int16_t{5}),
          Value(std::uint16_t{5}),
          Value(std::int32_t{5}),
          Value(std::uint32_t{5}),
          Value(std::int64_t{5}),
          Value(std::uint64_t{5}),
          Value::real32(5.0f),
          Value(5.0),
          kMismatch,
          kMismatch,
          Value(char16_t{5}),
          kMismatch,
          kMismatch,
          kMismatch};
}

std::vector<Row> conversionTable() {
  const auto none = [] {
    std::array<std::optional<Value>, 16> a;
    a.fill(kMismatch);
    return a;
  };
  std::vector<Row> rows;
  for (CimType t : {CimType::SInt8, CimType::UInt8, CimType::SInt16, CimType::UInt16, CimType::SInt32, CimType::UInt32,
                    CimType::SInt64, CimType::UInt64})
    rows.push_back({t, fromInteger5()});
  // real32 1.5: real32 (same) and real64 only; reals never become integers.
  {
    auto e = none();
    e[8] = Value::real32(1.5f);
    e[9] = Value(1.5);
    rows.push_back({CimType::Real32, e});
  }
  // real64 2.5: exact in real32.
  {
    auto e = none();
    e[8] = Value::real32(2.5f);
    e[9] = Value(2.5);
    rows.push_back({CimType::Real64, e});
  }
  {
    auto e = none();
    e[10] = Value(true);
    rows.push_back({CimType::Boolean, e});
  }
  // "x": a string, one char16, and a valid class path; not a datetime.
  {
    auto e = none();
    e[11] = Value("x");
    e[12] = Value(u'x');
    e[14] = Value::reference("x");
    rows.push_back({CimType::String, e});
  }
  // 'A' is code unit 65: it fits every integer type, and stays out of reals.
  {
    auto e = none();
    e[0] = Value(std::int8_t{65});
    e[1] = Value(std::uint8_t{65});
    e[2] = Value(std::int16_t{65});
    e[3] = Value(std::uint16_t{65});
    e[4] = Value(std::int32_t{65});
    e[5] = Value(std::uint32_t{65});
    e[6] = Value(std::int64_t{65});
    e[7] = Value(std::uint64_t{65});
    e[12] = Value(u'A');
    rows.push_back({CimType::Char16, e});
  }
  {
    auto e = none();
    e[13] = Value(kInterval);
    rows.push_back({CimType::DateTime, e});
  }
  {
    auto e = none();
    e[14] = Value::reference("Cls.K=1");
    rows.push_back({CimType::Reference, e});
  }
  {
    auto e = none();
    e[15] = Value(sampleObject());
    rows.push_back({CimType::Object, e});
  }
  return rows;
}

std::string typeName(CimType t) { return std::string(cimTypeName(t)); }

}  // namespace

// --- construction ---------------------------------------------------------------------------------

TEST_CASE("every scalar CIM type constructs with its type and value", "[value]") {
  CHECK(Value(std::int8_t{-8}).type() == CimType::SInt8);
  CHECK(Value(std::int8_t{-8}).asInt64() == -8);
  CHECK(Value(std::uint8_t{200}).type() == CimType::UInt8);
  CHECK(Value(std::uint8_t{200}).asUInt64() == 200);
  CHECK(Value(std::int16_t{-300}).type() == CimType::SInt16);
  CHECK(Value(std::int16_t{-300}).asInt64() == -300);
  CHECK(Value(std::uint16_t{60000}).type() == CimType::UInt16);
  CHECK(Value(std::uint16_t{60000}).asUInt64() == 60000);
  CHECK(Value(std::int32_t{-70000}).type() == CimType::SInt32);
  CHECK(Value(std::int32_t{-70000}).asInt64() == -70000);
  CHECK(Value(std::uint32_t{4000000000u}).type() == CimType::UInt32);
  CHECK(Value(std::uint32_t{4000000000u}).asUInt64() == 4000000000u);
  CHECK(Value(std::int64_t{-5000000000}).type() == CimType::SInt64);
  CHECK(Value(-5000000000LL).type() == CimType::SInt64);
  CHECK(Value(std::int64_t{-5000000000}).asInt64() == -5000000000);
  CHECK(Value(std::uint64_t{10000000000000000000ull}).type() == CimType::UInt64);
  CHECK(Value(10000000000000000000ull).type() == CimType::UInt64);
  CHECK(Value(std::uint64_t{10000000000000000000ull}).asUInt64() == 10000000000000000000ull);
  CHECK(Value::real32(0.25f).type() == CimType::Real32);
  CHECK(Value(0.25f).asReal() == 0.25);
  CHECK(Value(0.1).type() == CimType::Real64);
  CHECK(Value(0.1).asReal() == 0.1);
  CHECK(Value(true).type() == CimType::Boolean);
  CHECK(Value(false).asBool() == false);
  CHECK(Value("abc").type() == CimType::String);
  CHECK(Value(std::string("abc")).asString() == "abc");
  CHECK(Value(std::string_view("sv")).asString() == "sv");
  CHECK(Value(u'Z').type() == CimType::Char16);
  CHECK(Value(u'Z').asChar16() == u'Z');
  const DateTime ts = DateTime::timestamp(2024, 2, 29, 23, 59, 58, 123456, -300);
  CHECK(Value(ts).type() == CimType::DateTime);
  CHECK(Value(ts).asDateTime() == ts);
  const Value ref = Value::reference("Win32_LogicalDisk.DeviceID=\"C:\"");
  CHECK(ref.type() == CimType::Reference);
  CHECK(ref.asString() == "Win32_LogicalDisk.DeviceID=\"C:\"");
  const ObjectPtr obj = sampleObject();
  CHECK(Value(obj).type() == CimType::Object);
  CHECK(Value(obj).asObject() == obj);

  for (CimType t : kAllTypes) {
    const Value v = sample(t);
    INFO(typeName(t));
    CHECK(v.type() == t);
    CHECK_FALSE(v.isArray());
    CHECK_FALSE(v.isNull());
    CHECK(v.cimtype() == static_cast<std::uint16_t>(t));
  }
}

TEST_CASE("float precision: real32 holds the float value", "[value]") {
  const Value v = Value::real32(0.1f);
  CHECK(v.asReal() == static_cast<double>(0.1f));
  CHECK(v.asReal() != 0.1);
}

TEST_CASE("NULL values, untyped and typed", "[value]") {
  const Value untyped;
  CHECK(untyped.isNull());
  CHECK(untyped.type() == CimType::Empty);
  CHECK_FALSE(untyped.isArray());
  CHECK(untyped.cimtype() == 0);

  for (CimType t : kAllTypes) {
    INFO(typeName(t));
    const Value n = Value::null(t);
    CHECK(n.isNull());
    CHECK(n.type() == t);
    CHECK_FALSE(n.isArray());
    const Value na = Value::null(t, true);
    CHECK(na.isNull());
    CHECK(na.isArray());
    CHECK(na.cimtype() == (static_cast<std::uint16_t>(t) | CIM_FLAG_ARRAY));
  }
  const Value nullObject{ObjectPtr{}};
  CHECK(nullObject.isNull());
  CHECK(nullObject.type() == CimType::Object);
}

TEST_CASE("arrays of every CIM type", "[value]") {
  for (CimType t : kAllTypes) {
    INFO(typeName(t));
    const Value a(t, ValueArray{sample(t), Value::null(t), sample(t)});
    CHECK(a.isArray());
    CHECK_FALSE(a.isNull());
    CHECK(a.type() == t);
    CHECK(a.cimtype() == (static_cast<std::uint16_t>(t) | CIM_FLAG_ARRAY));
    REQUIRE(a.asArray().size() == 3);
    CHECK(a.asArray()[0] == sample(t));
    CHECK(a.asArray()[1].isNull());
    // An untyped NULL element is allowed too.
    CHECK_OK(Value(t, ValueArray{Value()}));
  }
  const Value empty(CimType::String, ValueArray{});
  CHECK(empty.isArray());
  CHECK_FALSE(empty.isNull());
  CHECK(empty.asArray().empty());
}

TEST_CASE("array construction refuses elements of another type or nested arrays", "[value]") {
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(CimType::UInt8, ValueArray{Value(std::int32_t{1})}));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(CimType::String, ValueArray{Value("a"), Value(true)}));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(CimType::Reference, ValueArray{Value("Cls.K=1")}));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH,
               Value(CimType::SInt32, ValueArray{Value(CimType::SInt32, ValueArray{Value(std::int32_t{1})})}));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(CimType::SInt32, ValueArray{Value::null(CimType::SInt32, true)}));
  // A NULL element typed for another type is still a NULL: allowed.
  CHECK_OK(Value(CimType::SInt32, ValueArray{Value::null(CimType::String)}));
}

TEST_CASE("copying an array value shares its elements", "[value]") {
  const Value a(CimType::SInt32, ValueArray{Value(std::int32_t{1}), Value(std::int32_t{2})});
  const Value b = a;
  CHECK(&a.asArray() == &b.asArray());
  CHECK(a == b);
}

TEST_CASE("Value::reference validates the path", "[value]") {
  CHECK_OK(Value::reference("Cls"));
  CHECK_OK(Value::reference("\\\\srv\\root\\cimv2:Cls.K=\"a\",N=5"));
  CHECK_OK(Value::reference("Cls=@"));
  CHECK_STATUS(WBEM_E_INVALID_OBJECT_PATH, Value::reference(""));
  CHECK_STATUS(WBEM_E_INVALID_OBJECT_PATH, Value::reference("Cls.K="));
  CHECK_STATUS(WBEM_E_INVALID_OBJECT_PATH, Value::reference("Cls.K=\"unterminated"));
  CHECK_STATUS(WBEM_E_INVALID_OBJECT_PATH, Value::reference("1Cls"));
}

// --- typed reads ----------------------------------------------------------------------------------

TEST_CASE("typed reads succeed for the matching kinds", "[value]") {
  CHECK(Value(std::uint32_t{7}).asInt64() == 7);
  CHECK(Value(std::int8_t{7}).asUInt64() == 7);
  CHECK(Value(std::numeric_limits<std::int64_t>::min()).asInt64() == std::numeric_limits<std::int64_t>::min());
  CHECK(Value(std::uint64_t{9223372036854775807ull}).asInt64() == 9223372036854775807ll);
  CHECK(Value(std::numeric_limits<std::uint64_t>::max()).asUInt64() == std::numeric_limits<std::uint64_t>::max());
  CHECK(Value(u'a').asInt64() == 97);
  CHECK(Value(u'a').asUInt64() == 97);
  CHECK(Value(std::int32_t{-3}).asReal() == -3.0);
  CHECK(Value(std::uint64_t{3}).asReal() == 3.0);
  CHECK(Value::reference("Cls.K=1").asString() == "Cls.K=1");
}

TEST_CASE("typed reads of another kind or of NULL give WBEM_E_TYPE_MISMATCH", "[value]") {
  const Value i(std::int32_t{1});
  const Value s("1");
  const Value nul;
  const Value arr(CimType::SInt32, ValueArray{Value(std::int32_t{1})});

  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, i.asBool());
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, s.asBool());
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, nul.asBool());
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value::null(CimType::Boolean).asBool());

  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, s.asInt64());
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(true).asInt64());
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(1.0).asInt64());
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::numeric_limits<std::uint64_t>::max()).asInt64());
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::uint64_t{9223372036854775808ull}).asInt64());
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value::null(CimType::SInt32).asInt64());
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, arr.asInt64());

  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::int32_t{-1}).asUInt64());
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::numeric_limits<std::int64_t>::min()).asUInt64());
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, s.asUInt64());
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, nul.asUInt64());

  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, s.asReal());
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(true).asReal());
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value::null(CimType::Real64).asReal());

  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::uint16_t{65}).asChar16());
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value("A").asChar16());
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value::null(CimType::Char16).asChar16());

  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, i.asString());
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(kInterval).asString());
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value::null(CimType::String).asString());
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(CimType::String, ValueArray{Value("a")}).asString());

  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, s.asDateTime());
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value::null(CimType::DateTime).asDateTime());

  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, s.asObject());
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(ObjectPtr{}).asObject());

  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, i.asArray());
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value::null(CimType::SInt32, true).asArray());
}

// --- equality -------------------------------------------------------------------------------------

TEST_CASE("equality compares type, array-ness and contents", "[value]") {
  CHECK(Value(std::int32_t{5}) == Value(std::int32_t{5}));
  CHECK_FALSE(Value(std::int32_t{5}) == Value(std::int32_t{6}));
  CHECK_FALSE(Value(std::int32_t{5}) == Value(std::uint32_t{5}));
  CHECK_FALSE(Value(std::int32_t{5}) == Value(std::int64_t{5}));
  CHECK_FALSE(Value::real32(2.0f) == Value(2.0));
  CHECK(Value("abc") == Value(std::string("abc")));
  CHECK_FALSE(Value("abc") == Value("ABC"));
  CHECK_FALSE(Value("Cls.K=1") == Value::reference("Cls.K=1"));
  CHECK(Value::reference("Cls.K=1") == Value::reference("Cls.K=1"));
  CHECK(Value(u'a') == Value(u'a'));
  CHECK_FALSE(Value(u'a') == Value(std::uint16_t{97}));
  CHECK(Value(kInterval) == Value(DateTime::interval(1, 2, 3, 4)));
  CHECK_FALSE(Value(kInterval) == Value(DateTime::interval(1, 2, 3, 5)));

  // NULLs: equal only to a NULL of the same type.
  CHECK(Value() == Value());
  CHECK(Value::null(CimType::String) == Value::null(CimType::String));
  CHECK_FALSE(Value() == Value::null(CimType::String));
  CHECK_FALSE(Value::null(CimType::String) == Value::null(CimType::SInt32));
  CHECK_FALSE(Value::null(CimType::String) == Value::null(CimType::String, true));
  CHECK_FALSE(Value::null(CimType::String) == Value(""));

  // Arrays: element-wise.
  const Value a(CimType::SInt32, ValueArray{Value(std::int32_t{1}), Value(std::int32_t{2})});
  const Value b(CimType::SInt32, ValueArray{Value(std::int32_t{1}), Value(std::int32_t{2})});
  const Value c(CimType::SInt32, ValueArray{Value(std::int32_t{2}), Value(std::int32_t{1})});
  CHECK(a == b);
  CHECK_FALSE(a == c);
  CHECK_FALSE(a == Value(std::int32_t{1}));
  CHECK_FALSE(Value(CimType::SInt32, ValueArray{}) == Value(CimType::UInt32, ValueArray{}));
  // A NULL element is a NULL of the array's type, however it was made.
  const Value withNull(CimType::UInt8, ValueArray{Value(std::uint8_t{1}), Value()});
  CHECK(withNull.asArray()[1] == Value::null(CimType::UInt8));
  CHECK(withNull == Value(CimType::UInt8, ValueArray{Value(std::uint8_t{1}), Value::null(CimType::SInt32)}));

  // Reals compare as contents: a NaN equals a NaN (of the same type), so an object equals its copy.
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  CHECK(Value(kNaN) == Value(kNaN));
  CHECK(Value(kNaN) == Value(-kNaN));
  CHECK(Value::real32(std::numeric_limits<float>::quiet_NaN()) ==
        Value::real32(std::numeric_limits<float>::quiet_NaN()));
  CHECK_FALSE(Value(kNaN) == Value::real32(std::numeric_limits<float>::quiet_NaN()));
  CHECK_FALSE(Value(kNaN) == Value(1.0));
  CHECK(Value(CimType::Real64, ValueArray{Value(kNaN)}) == Value(CimType::Real64, ValueArray{Value(kNaN)}));
  CHECK(Value(0.0) == Value(-0.0));

  // Embedded objects: deep comparison.
  CHECK(Value(sampleObject("S", 1)) == Value(sampleObject("S", 1)));
  CHECK_FALSE(Value(sampleObject("S", 1)) == Value(sampleObject("S", 2)));
  CHECK_FALSE(Value(sampleObject("S", 1)) == Value(ObjectPtr{}));
}

// --- conversions ----------------------------------------------------------------------------------

TEST_CASE("conversion of every scalar type into every scalar type", "[value][convert]") {
  const std::vector<Row> table = conversionTable();
  REQUIRE(table.size() == 16);
  for (const Row& row : table) {
    const Value source = sample(row.source);
    for (std::size_t i = 0; i < kAllTypes.size(); ++i) {
      const CimType target = kAllTypes[i];
      INFO(typeName(row.source) << " -> " << typeName(target));
      const std::optional<Value>& expected = row.expected[i];
      if (!expected) {
        CHECK_STATUS(WBEM_E_TYPE_MISMATCH, source.convertTo(scalarType(target)));
        continue;
      }
      Value converted;
      REQUIRE_OK(converted = source.convertTo(scalarType(target)));
      CHECK(converted.type() == target);
      CHECK_FALSE(converted.isArray());
      CHECK(converted == *expected);
    }
  }
}

TEST_CASE("conversion to the untyped target keeps the value", "[value][convert]") {
  for (CimType t : kAllTypes) CHECK(sample(t).convertTo(PropertyType{}) == sample(t));
}

TEST_CASE("integer conversions check the range of the target", "[value][convert]") {
  const auto u8 = scalarType(CimType::UInt8);
  CHECK(Value(std::int32_t{255}).convertTo(u8) == Value(std::uint8_t{255}));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::int32_t{256}).convertTo(u8));
  CHECK(Value(std::int32_t{0}).convertTo(u8) == Value(std::uint8_t{0}));

  for (CimType t : {CimType::UInt8, CimType::UInt16, CimType::UInt32, CimType::UInt64}) {
    INFO(typeName(t));
    CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::int32_t{-1}).convertTo(scalarType(t)));
    CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::int8_t{-1}).convertTo(scalarType(t)));
    CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::int64_t{-1}).convertTo(scalarType(t)));
  }

  const auto s8 = scalarType(CimType::SInt8);
  CHECK(Value(std::int32_t{127}).convertTo(s8) == Value(std::int8_t{127}));
  CHECK(Value(std::int32_t{-128}).convertTo(s8) == Value(std::int8_t{-128}));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::int32_t{128}).convertTo(s8));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::int32_t{-129}).convertTo(s8));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::uint8_t{200}).convertTo(s8));

  const auto s16 = scalarType(CimType::SInt16);
  const auto u16 = scalarType(CimType::UInt16);
  CHECK(Value(std::int32_t{32767}).convertTo(s16) == Value(std::int16_t{32767}));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::int32_t{32768}).convertTo(s16));
  CHECK(Value(std::int32_t{65535}).convertTo(u16) == Value(std::uint16_t{65535}));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::int32_t{65536}).convertTo(u16));

  const auto s32 = scalarType(CimType::SInt32);
  const auto u32 = scalarType(CimType::UInt32);
  CHECK(Value(std::int64_t{2147483647}).convertTo(s32) == Value(std::int32_t{2147483647}));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::int64_t{2147483648}).convertTo(s32));
  CHECK(Value(std::int64_t{-2147483648LL}).convertTo(s32) == Value(std::int32_t{-2147483647 - 1}));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::int64_t{-2147483649LL}).convertTo(s32));
  CHECK(Value(std::int64_t{4294967295LL}).convertTo(u32) == Value(std::uint32_t{4294967295u}));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::int64_t{4294967296LL}).convertTo(u32));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::uint32_t{2147483648u}).convertTo(s32));

  const auto s64 = scalarType(CimType::SInt64);
  const auto u64 = scalarType(CimType::UInt64);
  constexpr auto kI64Max = std::numeric_limits<std::int64_t>::max();
  constexpr auto kI64Min = std::numeric_limits<std::int64_t>::min();
  constexpr auto kU64Max = std::numeric_limits<std::uint64_t>::max();
  CHECK(Value(kI64Max).convertTo(u64) == Value(std::uint64_t{9223372036854775807ull}));
  CHECK(Value(kI64Max).convertTo(s64) == Value(kI64Max));
  CHECK(Value(std::uint64_t{9223372036854775807ull}).convertTo(s64) == Value(kI64Max));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::uint64_t{9223372036854775808ull}).convertTo(s64));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(kU64Max).convertTo(s64));
  CHECK(Value(kU64Max).convertTo(u64) == Value(kU64Max));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(kU64Max).convertTo(u32));
  CHECK(Value(kI64Min).convertTo(s64) == Value(kI64Min));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(kI64Min).convertTo(u64));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(kI64Min).convertTo(s32));
}

TEST_CASE("integer to char16 checks the range", "[value][convert]") {
  const auto c16 = scalarType(CimType::Char16);
  CHECK(Value(std::int32_t{65}).convertTo(c16) == Value(u'A'));
  CHECK(Value(std::uint32_t{0xFFFF}).convertTo(c16) == Value(char16_t{0xFFFF}));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::uint32_t{0x10000}).convertTo(c16));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::int32_t{-1}).convertTo(c16));
}

TEST_CASE("real conversions must be exact", "[value][convert]") {
  const auto r32 = scalarType(CimType::Real32);
  const auto r64 = scalarType(CimType::Real64);
  // 2^53 fits a double exactly, 2^53 + 1 does not.
  CHECK(Value(std::int64_t{9007199254740992}).convertTo(r64) == Value(9007199254740992.0));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::int64_t{9007199254740993}).convertTo(r64));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::uint64_t{9007199254740993ull}).convertTo(r64));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::numeric_limits<std::int64_t>::max()).convertTo(r64));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::numeric_limits<std::uint64_t>::max()).convertTo(r64));
  CHECK(Value(std::uint64_t{9223372036854775808ull}).convertTo(r64) == Value(9223372036854775808.0));
  CHECK(Value(std::numeric_limits<std::int64_t>::min()).convertTo(r64) == Value(-9223372036854775808.0));
  // 2^24 fits a float exactly, 2^24 + 1 does not.
  CHECK(Value(std::int32_t{16777216}).convertTo(r32) == Value::real32(16777216.0f));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::int32_t{16777217}).convertTo(r32));
  CHECK(Value(std::int32_t{-16777216}).convertTo(r32) == Value::real32(-16777216.0f));
  // real64 into real32 only when exact.
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(0.1).convertTo(r32));
  CHECK(Value(0.5).convertTo(r32) == Value::real32(0.5f));
  CHECK(Value(-0.5).convertTo(r32) == Value::real32(-0.5f));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(1e300).convertTo(r32));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::numeric_limits<double>::quiet_NaN()).convertTo(r32));
  // real32 into real64 is always exact.
  CHECK(Value::real32(0.1f).convertTo(r64) == Value(static_cast<double>(0.1f)));
  // reals never become integers, even whole ones.
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(3.0).convertTo(scalarType(CimType::SInt32)));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value::real32(3.0f).convertTo(scalarType(CimType::UInt8)));
}

TEST_CASE("strings convert into datetime, reference and char16 when they parse", "[value][convert]") {
  const auto dt = scalarType(CimType::DateTime);
  const Value ts = Value("20240131235958.123456+060").convertTo(dt);
  CHECK(ts.type() == CimType::DateTime);
  CHECK(ts.asDateTime() == DateTime::timestamp(2024, 1, 31, 23, 59, 58, 123456, 60));
  CHECK(Value("00000001020304.000000:000").convertTo(dt) == Value(kInterval));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value("2024").convertTo(dt));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value("20241331000000.000000+000").convertTo(dt));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value("").convertTo(dt));
  // The failure carries the reason.
  CHECK_THAT(wbemtest::messageOf([] { (void)Value("2024").convertTo(scalarType(CimType::DateTime)); }),
             Catch::Matchers::Contains("datetime"));

  const auto rf = scalarType(CimType::Reference);
  const Value r = Value("Win32_LogicalDisk.DeviceID=\"C:\"").convertTo(rf);
  CHECK(r.type() == CimType::Reference);
  CHECK(r.asString() == "Win32_LogicalDisk.DeviceID=\"C:\"");
  CHECK(Value("\\\\.\\root\\cimv2:Cls=@").convertTo(rf).type() == CimType::Reference);
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value("Cls.K=").convertTo(rf));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value("").convertTo(rf));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value("not a path").convertTo(rf));

  const auto c16 = scalarType(CimType::Char16);
  CHECK(Value("A").convertTo(c16) == Value(u'A'));
  CHECK(Value("\xC3\xA9").convertTo(c16) == Value(u'\u00E9'));      // é, two UTF-8 bytes
  CHECK(Value("\xE2\x82\xAC").convertTo(c16) == Value(u'\u20AC'));  // €, three UTF-8 bytes
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value("AB").convertTo(c16));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value("").convertTo(c16));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value("\xF0\x9F\x98\x80").convertTo(c16));  // outside the BMP
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value("\xC3").convertTo(c16));              // truncated UTF-8
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value("\xC3\x41").convertTo(c16));          // bad continuation

  // Other kinds never become datetime or reference, and those never become strings.
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::int32_t{1}).convertTo(dt));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value::reference("Cls").convertTo(scalarType(CimType::String)));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(kInterval).convertTo(scalarType(CimType::String)));
}

TEST_CASE("arrays convert element by element", "[value][convert]") {
  const Value ints(CimType::SInt32,
                   ValueArray{Value(std::int32_t{1}), Value::null(CimType::SInt32), Value(std::int32_t{255})});
  const Value bytes = ints.convertTo(arrayType(CimType::UInt8));
  CHECK(bytes.type() == CimType::UInt8);
  CHECK(bytes.isArray());
  REQUIRE(bytes.asArray().size() == 3);
  CHECK(bytes.asArray()[0] == Value(std::uint8_t{1}));
  CHECK(bytes.asArray()[1].isNull());
  CHECK(bytes.asArray()[2] == Value(std::uint8_t{255}));
  CHECK(bytes == Value(CimType::UInt8,
                       ValueArray{Value(std::uint8_t{1}), Value::null(CimType::UInt8), Value(std::uint8_t{255})}));

  // One element out of range fails the whole array.
  const Value big(CimType::SInt32, ValueArray{Value(std::int32_t{1}), Value(std::int32_t{256})});
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, big.convertTo(arrayType(CimType::UInt8)));

  // Strings to datetimes.
  const Value texts(CimType::String, ValueArray{Value("00000001020304.000000:000")});
  CHECK(texts.convertTo(arrayType(CimType::DateTime)) == Value(CimType::DateTime, ValueArray{Value(kInterval)}));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH,
               Value(CimType::String, ValueArray{Value("x")}).convertTo(arrayType(CimType::DateTime)));

  // An empty array converts to an empty array of the target type.
  const Value none = Value(CimType::String, ValueArray{}).convertTo(arrayType(CimType::SInt32));
  CHECK(none == Value(CimType::SInt32, ValueArray{}));

  // Scalar and array never convert into each other.
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value(std::int32_t{1}).convertTo(arrayType(CimType::SInt32)));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, ints.convertTo(scalarType(CimType::SInt32)));
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, Value("x").convertTo(arrayType(CimType::String)));

  // Fixed-size arrays: up to the size.
  PropertyType fixed2{CimType::SInt32, true, 2u, {}};
  const Value two(CimType::SInt32, ValueArray{Value(std::int32_t{1}), Value(std::int32_t{2})});
  const Value three(CimType::SInt32,
                    ValueArray{Value(std::int32_t{1}), Value(std::int32_t{2}), Value(std::int32_t{3})});
  CHECK(two.convertTo(fixed2) == two);
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, three.convertTo(fixed2));
  PropertyType fixed2u8{CimType::UInt8, true, 2u, {}};
  CHECK_STATUS(WBEM_E_TYPE_MISMATCH, three.convertTo(fixed2u8));
  CHECK(two.convertTo(fixed2u8).asArray().size() == 2);
  CHECK_THAT(wbemtest::messageOf([&] { (void)three.convertTo(fixed2); }), Catch::Matchers::Contains("3 elements"));
}

TEST_CASE("NULL converts into anything and takes the target type", "[value][convert]") {
  for (CimType t : kAllTypes) {
    INFO(typeName(t));
    const Value n = Value().convertTo(scalarType(t));
    CHECK(n.isNull());
    CHECK(n.type() == t);
    CHECK_FALSE(n.isArray());
    const Value na = Value::null(CimType::String).convertTo(arrayType(t));
    CHECK(na.isNull());
    CHECK(na.type() == t);
    CHECK(na.isArray());
    // A NULL array into a scalar is still just a NULL.
    CHECK(Value::null(CimType::SInt32, true).convertTo(scalarType(t)) == Value::null(t));
  }
}

TEST_CASE("a conversion failure message names both types", "[value][convert]") {
  const std::string msg = wbemtest::messageOf([] { (void)Value(true).convertTo(scalarType(CimType::SInt32)); });
  CHECK_THAT(msg, Catch::Matchers::Contains("boolean") && Catch::Matchers::Contains("sint32"));
}
