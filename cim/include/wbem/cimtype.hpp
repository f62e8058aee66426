#pragma once
// CIM data types (WMI CIMTYPE_ENUMERATION) and the full type of a property or parameter.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wbem {

/// The CIM base types, numbered as WMI's CIMTYPE_ENUMERATION so values survive a trip to WMI tools.
enum class CimType : std::uint16_t {
  Empty = 0,  ///< no type yet: a NULL value put without a type
  SInt8 = 16,
  UInt8 = 17,
  SInt16 = 2,
  UInt16 = 18,
  SInt32 = 3,
  UInt32 = 19,
  SInt64 = 20,
  UInt64 = 21,
  Real32 = 4,
  Real64 = 5,
  Boolean = 11,
  String = 8,
  DateTime = 101,
  Reference = 102,
  Char16 = 103,
  Object = 13,
};

/// WMI's CIM_FLAG_ARRAY: or-ed into a CIMTYPE to mark an array.
inline constexpr std::uint16_t CIM_FLAG_ARRAY = 0x2000;

/// MOF keyword of a base type ("sint32", "datetime", "object", ...). Thread-safe.
std::string_view cimTypeName(CimType type) noexcept;

/// The base type whose MOF keyword is `name` (case-insensitive); nullopt when it is none. Thread-safe.
std::optional<CimType> cimTypeFromName(std::string_view name) noexcept;

/// True for the eight integer types. Thread-safe.
constexpr bool isInteger(CimType t) noexcept {
  switch (t) {
    case CimType::SInt8: case CimType::UInt8: case CimType::SInt16: case CimType::UInt16:
    case CimType::SInt32: case CimType::UInt32: case CimType::SInt64: case CimType::UInt64:
      return true;
    default:
      return false;
  }
}
/// True for sint8..sint64. Thread-safe.
constexpr bool isSigned(CimType t) noexcept {
  return t == CimType::SInt8 || t == CimType::SInt16 || t == CimType::SInt32 || t == CimType::SInt64;
}
/// True for real32 and real64. Thread-safe.
constexpr bool isReal(CimType t) noexcept { return t == CimType::Real32 || t == CimType::Real64; }

/// The declared type of a property, parameter or method return: base type, array-ness and,
/// for references and embedded objects, the class they are constrained to (empty = any class).
/// The WMI CIMTYPE qualifier text is `cimTypeQualifier()` ("ref:Win32_LogicalDisk", "object", ...).
struct PropertyType {
  CimType type = CimType::Empty;
  bool array = false;
  /// Fixed array size as declared in MOF (`P[32]`); nullopt for an unbound array or a scalar.
  std::optional<std::uint32_t> arraySize;
  /// Class of a reference or embedded object; empty means any class ("object", "ref").
  std::string className;

  /// The WMI CIMTYPE value: base type, with CIM_FLAG_ARRAY for arrays.
  std::uint16_t cimtype() const noexcept {
    return static_cast<std::uint16_t>(static_cast<std::uint16_t>(type) | (array ? CIM_FLAG_ARRAY : 0));
  }
  /// The CIMTYPE qualifier text WMI shows: "sint32", "ref:Class", "object:Class", "object".
  std::string cimTypeQualifier() const;

  friend bool operator==(const PropertyType&, const PropertyType&) = default;
};

/// Shorthand for a scalar type; `className` constrains a reference or embedded object (empty: any).
inline PropertyType scalarType(CimType t, std::string className = {}) {
  return PropertyType{t, false, std::nullopt, std::move(className)};
}
/// Shorthand for an unbound array type without a class constraint.
inline PropertyType arrayType(CimType t) { return PropertyType{t, true, std::nullopt, {}}; }

}  // namespace wbem
