#pragma once
// wbem::Value — one CIM value of any type, an array of them, or NULL (WMI: a VARIANT with a CIMTYPE).

#include <wbem/cimtype.hpp>
#include <wbem/datetime.hpp>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace wbem {

class ClassObject;
/// Embedded objects are immutable snapshots shared between values (and threads).
using ObjectPtr = std::shared_ptr<const ClassObject>;

class Value;
/// Array values are immutable and shared: copying a Value never copies its elements.
using ValueArray = std::vector<Value>;

/// A CIM value. Every value knows its CIM type; NULL values may carry a type too.
/// Integers are held as 64-bit (signed or unsigned as the type is), real32 as a double rounded to
/// float, char16 as its code unit, references as path text, embedded objects as shared snapshots.
/// Values are small (no heap for scalars and short strings) and cheap to copy.
/// Safety: a Value is safe to read from many threads; writing needs outside synchronisation.
class Value {
 public:
  /// NULL without a type.
  Value() noexcept = default;

  Value(bool v) noexcept : type_(CimType::Boolean), data_(v) {}
  Value(std::int8_t v) noexcept : type_(CimType::SInt8), data_(std::int64_t{v}) {}
  Value(std::uint8_t v) noexcept : type_(CimType::UInt8), data_(std::uint64_t{v}) {}
  Value(std::int16_t v) noexcept : type_(CimType::SInt16), data_(std::int64_t{v}) {}
  Value(std::uint16_t v) noexcept : type_(CimType::UInt16), data_(std::uint64_t{v}) {}
  Value(std::int32_t v) noexcept : type_(CimType::SInt32), data_(std::int64_t{v}) {}
  Value(std::uint32_t v) noexcept : type_(CimType::UInt32), data_(std::uint64_t{v}) {}
  Value(long v) noexcept : type_(CimType::SInt64), data_(std::int64_t{v}) {}
  Value(long long v) noexcept : type_(CimType::SInt64), data_(std::int64_t{v}) {}
  Value(unsigned long v) noexcept : type_(CimType::UInt64), data_(std::uint64_t{v}) {}
  Value(unsigned long long v) noexcept : type_(CimType::UInt64), data_(std::uint64_t{v}) {}
  Value(float v) noexcept : type_(CimType::Real32), data_(double{v}) {}
  Value(double v) noexcept : type_(CimType::Real64), data_(v) {}
  Value(char16_t v) noexcept : type_(CimType::Char16), data_(std::uint64_t{v}) {}
  Value(std::string v) noexcept : type_(CimType::String), data_(std::move(v)) {}
  Value(std::string_view v) : type_(CimType::String), data_(std::string(v)) {}
  Value(const char* v) : type_(CimType::String), data_(std::string(v)) {}
  Value(DateTime v) noexcept : type_(CimType::DateTime), data_(v) {}
  /// An embedded object (a null pointer gives a NULL object value).
  Value(ObjectPtr v) noexcept;
  /// An array of `elementType`; every element must already be of that type or NULL
  /// (throws WBEM_E_TYPE_MISMATCH otherwise; use convertTo() to convert). A NULL element becomes
  /// a NULL of `elementType`.
  Value(CimType elementType, ValueArray elements);

  /// A reference value: the path text is validated (WBEM_E_INVALID_OBJECT_PATH when malformed).
  static Value reference(std::string_view objectPath);
  /// A NULL value that still carries a type (what Get returns for an unset typed property).
  static Value null(CimType type, bool array = false) noexcept;
  /// A real32 value (spelled out because float literals are rare in calling code).
  static Value real32(float v) noexcept { return Value(v); }

  CimType type() const noexcept { return type_; }
  bool isArray() const noexcept { return array_; }
  bool isNull() const noexcept { return std::holds_alternative<std::monostate>(data_); }
  /// The WMI CIMTYPE (base type | CIM_FLAG_ARRAY).
  std::uint16_t cimtype() const noexcept {
    return static_cast<std::uint16_t>(static_cast<std::uint16_t>(type_) | (array_ ? CIM_FLAG_ARRAY : 0));
  }

  // Typed reads. Each throws WBEM_E_TYPE_MISMATCH when the value is NULL or of another kind.
  bool asBool() const;
  /// Any signed or unsigned integer or char16 that fits in int64.
  std::int64_t asInt64() const;
  /// Any non-negative integer or char16.
  std::uint64_t asUInt64() const;
  /// Any real, or an integer (converted).
  double asReal() const;
  char16_t asChar16() const;
  /// Strings and references (path text).
  const std::string& asString() const;
  const DateTime& asDateTime() const;
  const ObjectPtr& asObject() const;
  const ValueArray& asArray() const;

  /// This value converted for a property of type `target`, following the put rules
  /// (docs/object-model.md): same type; integers into any integer/real type that holds the value
  /// exactly; real64 into real32 when exact; char16 and integers 0..65535 into each other (WMI
  /// passes char16 as a 16-bit integer); strings into datetime/reference when they parse, into
  /// char16 when one character; embedded objects into an object property whose class they derive
  /// from (checked by the caller that knows the schema); NULL into anything.
  /// Throws WBEM_E_TYPE_MISMATCH for anything lossy or across kinds. Thread-safe.
  Value convertTo(const PropertyType& target) const;

  /// The MOF literal of this value ("abc" with escapes, 5, TRUE, {1, 2}, NULL, instance of ...).
  std::string toMof() const;
  /// A plain text form: strings unquoted, arrays as "(1,5,10)" (as WMI's templates show them).
  std::string toText() const;

  /// Equal when type, array-ness and contents are equal (embedded objects compared deeply; a
  /// NaN real equals any NaN of the same type, as contents rather than arithmetic). Thread-safe.
  friend bool operator==(const Value& a, const Value& b);

 private:
  using Storage = std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double, std::string, DateTime,
                               ObjectPtr, std::shared_ptr<const ValueArray>>;
  Value(CimType type, bool array, Storage data) noexcept : type_(type), array_(array), data_(std::move(data)) {}

  CimType type_ = CimType::Empty;
  bool array_ = false;
  Storage data_;
};

}  // namespace wbem
