// Tests of the CIM type keywords and of PropertyType's CIMTYPE value and qualifier text.

#include <wbem/cimtype.hpp>

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using wbem::CimType;

namespace {

// Every base type with its MOF keyword and WMI CIMTYPE number.
struct TypeRow {
  CimType type;
  std::string_view name;
  std::uint16_t number;
};
const std::vector<TypeRow> kTypes = {
    {CimType::SInt8, "sint8", 16},        {CimType::UInt8, "uint8", 17},     {CimType::SInt16, "sint16", 2},
    {CimType::UInt16, "uint16", 18},      {CimType::SInt32, "sint32", 3},    {CimType::UInt32, "uint32", 19},
    {CimType::SInt64, "sint64", 20},      {CimType::UInt64, "uint64", 21},   {CimType::Real32, "real32", 4},
    {CimType::Real64, "real64", 5},       {CimType::Boolean, "boolean", 11}, {CimType::String, "string", 8},
    {CimType::DateTime, "datetime", 101}, {CimType::Reference, "ref", 102},  {CimType::Char16, "char16", 103},
    {CimType::Object, "object", 13},
};

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  return out;
}

}  // namespace

TEST_CASE("cimTypeName and cimTypeFromName map every base type both ways", "[cimtype]") {
  for (const TypeRow& row : kTypes) {
    INFO(row.name);
    CHECK(static_cast<std::uint16_t>(row.type) == row.number);
    CHECK(wbem::cimTypeName(row.type) == row.name);
    REQUIRE(wbem::cimTypeFromName(row.name).has_value());
    CHECK(*wbem::cimTypeFromName(row.name) == row.type);
    // MOF keywords are case-insensitive.
    REQUIRE(wbem::cimTypeFromName(upper(row.name)).has_value());
    CHECK(*wbem::cimTypeFromName(upper(row.name)) == row.type);
  }
  CHECK(*wbem::cimTypeFromName("DateTime") == CimType::DateTime);
  CHECK(*wbem::cimTypeFromName("Ref") == CimType::Reference);
}

TEST_CASE("Empty has no keyword and unknown names give nullopt", "[cimtype]") {
  CHECK(wbem::cimTypeName(CimType::Empty).empty());
  CHECK(wbem::cimTypeName(static_cast<CimType>(999)).empty());
  for (std::string_view name : {"", "empty", "int", "integer", "uint128", "float", "bool", "reference", "ref:Foo",
                                "object:Foo", "sint32 ", " sint32", "sint32[]"}) {
    INFO('"' << std::string(name) << '"');
    CHECK_FALSE(wbem::cimTypeFromName(name).has_value());
  }
  CHECK_FALSE(wbem::cimTypeFromName(std::string_view("string\0", 7)).has_value());
}

TEST_CASE("isInteger, isSigned and isReal classify the base types", "[cimtype]") {
  for (const TypeRow& row : kTypes) {
    INFO(row.name);
    const std::string_view n = row.name;
    const bool integer = n.starts_with("sint") || n.starts_with("uint");
    CHECK(wbem::isInteger(row.type) == integer);
    CHECK(wbem::isSigned(row.type) == n.starts_with("sint"));
    CHECK(wbem::isReal(row.type) == n.starts_with("real"));
  }
  CHECK_FALSE(wbem::isInteger(CimType::Empty));
  static_assert(wbem::isInteger(CimType::UInt64) && !wbem::isSigned(CimType::UInt64));
}

TEST_CASE("PropertyType::cimtype or-s CIM_FLAG_ARRAY into arrays", "[cimtype]") {
  CHECK(wbem::scalarType(CimType::SInt32).cimtype() == 3);
  CHECK(wbem::arrayType(CimType::SInt32).cimtype() == 0x2003);
  CHECK(wbem::arrayType(CimType::String).cimtype() == 0x2008);
  CHECK(wbem::arrayType(CimType::Reference).cimtype() == 0x2066);
  CHECK(wbem::scalarType(CimType::Empty).cimtype() == 0);
}

TEST_CASE("PropertyType::cimTypeQualifier gives WMI's CIMTYPE qualifier text", "[cimtype]") {
  using wbem::PropertyType;
  const std::vector<std::pair<PropertyType, std::string>> rows = {
      {wbem::scalarType(CimType::SInt32), "sint32"},
      {wbem::arrayType(CimType::SInt32), "sint32"},
      {wbem::scalarType(CimType::UInt64), "uint64"},
      {wbem::scalarType(CimType::String), "string"},
      {wbem::arrayType(CimType::String), "string"},
      {wbem::scalarType(CimType::DateTime), "datetime"},
      {wbem::scalarType(CimType::Char16), "char16"},
      {wbem::scalarType(CimType::Boolean), "boolean"},
      {wbem::scalarType(CimType::Real32), "real32"},
      {wbem::scalarType(CimType::Reference), "ref"},
      {PropertyType{CimType::Reference, false, std::nullopt, "Win32_LogicalDisk"}, "ref:Win32_LogicalDisk"},
      {PropertyType{CimType::Reference, true, std::nullopt, "__EventFilter"}, "ref:__EventFilter"},
      {wbem::scalarType(CimType::Object), "object"},
      {wbem::arrayType(CimType::Object), "object"},
      {PropertyType{CimType::Object, false, std::nullopt, "__Event"}, "object:__Event"},
      {PropertyType{CimType::Object, true, 4u, "Win32_Process"}, "object:Win32_Process"},
      // A fixed array size is MOF syntax, not part of the qualifier.
      {PropertyType{CimType::UInt8, true, 32u, {}}, "uint8"},
      // Only references and objects carry a class.
      {PropertyType{CimType::String, false, std::nullopt, "Ignored"}, "string"},
      {wbem::scalarType(CimType::Empty), ""},
  };
  for (const auto& [type, text] : rows) {
    INFO(text);
    CHECK(type.cimTypeQualifier() == text);
  }
}

TEST_CASE("PropertyType equality covers every field", "[cimtype]") {
  using wbem::PropertyType;
  const PropertyType a{CimType::Reference, false, std::nullopt, "A"};
  CHECK(a == PropertyType{CimType::Reference, false, std::nullopt, "A"});
  CHECK_FALSE(a == PropertyType{CimType::Reference, true, std::nullopt, "A"});
  CHECK_FALSE(a == PropertyType{CimType::Reference, false, 1u, "A"});
  CHECK_FALSE(a == PropertyType{CimType::Reference, false, std::nullopt, "B"});
  CHECK_FALSE(a == PropertyType{CimType::Object, false, std::nullopt, "A"});
}
