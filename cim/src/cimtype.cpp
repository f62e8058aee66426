// CIM type keywords and the WMI CIMTYPE qualifier text.

#include <wbem/cimtype.hpp>
#include <wbem/names.hpp>

#include <array>
#include <utility>

namespace wbem {
namespace {

// Every base type with its MOF keyword. Empty has no keyword and is not listed.
constexpr std::array<std::pair<CimType, std::string_view>, 16> kTypeNames{{
    {CimType::SInt8, "sint8"},
    {CimType::UInt8, "uint8"},
    {CimType::SInt16, "sint16"},
    {CimType::UInt16, "uint16"},
    {CimType::SInt32, "sint32"},
    {CimType::UInt32, "uint32"},
    {CimType::SInt64, "sint64"},
    {CimType::UInt64, "uint64"},
    {CimType::Real32, "real32"},
    {CimType::Real64, "real64"},
    {CimType::Boolean, "boolean"},
    {CimType::String, "string"},
    {CimType::DateTime, "datetime"},
    {CimType::Char16, "char16"},
    {CimType::Object, "object"},
    {CimType::Reference, "ref"},
}};

}  // namespace

std::string_view cimTypeName(CimType type) noexcept {
  for (const auto& [t, name] : kTypeNames)
    if (t == type) return name;
  // Empty (and any value outside the enumeration) has no keyword.
  return {};
}

std::optional<CimType> cimTypeFromName(std::string_view name) noexcept {
  // "ref" gives Reference: it is the keyword cimTypeName() writes, so the two functions round-trip.
  for (const auto& [t, keyword] : kTypeNames)
    if (iequals(keyword, name)) return t;
  return std::nullopt;
}

std::string PropertyType::cimTypeQualifier() const {
  std::string text(cimTypeName(type));
  // Only references and embedded objects carry a class; WMI writes it after a colon.
  if ((type == CimType::Reference || type == CimType::Object) && !className.empty()) {
    text += ':';
    text += className;
  }
  return text;
}

}  // namespace wbem
