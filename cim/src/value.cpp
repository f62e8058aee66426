#include <wbem/classobject.hpp>
#include <wbem/objectpath.hpp>
#include <wbem/status.hpp>
#include <wbem/value.hpp>

#include <cmath>
#include <limits>

namespace wbem {
namespace {

[[noreturn]] void mismatch(const Value& v, const PropertyType& target, std::string_view why = {}) {
  std::string msg = "cannot put a " + std::string(v.isArray() ? "array of " : "") + std::string(cimTypeName(v.type())) +
                    " value into a " + (target.array ? "array of " : "") + std::string(cimTypeName(target.type)) +
                    " property";
  if (!why.empty()) msg += ": " + std::string(why);
  throw Error(WBEM_E_TYPE_MISMATCH, std::move(msg));
}

[[noreturn]] void wrongKind(const char* wanted, CimType actual, bool isNull) {
  throw Error(WBEM_E_TYPE_MISMATCH,
              std::string("value is ") + (isNull ? "NULL" : std::string(cimTypeName(actual))) + ", not " + wanted);
}

struct IntRange {
  long double min;
  long double max;
};

IntRange rangeOf(CimType t) {
  switch (t) {
    case CimType::SInt8:
      return {INT8_MIN, INT8_MAX};
    case CimType::UInt8:
      return {0, UINT8_MAX};
    case CimType::SInt16:
      return {INT16_MIN, INT16_MAX};
    case CimType::UInt16:
      return {0, UINT16_MAX};
    case CimType::SInt32:
      return {INT32_MIN, INT32_MAX};
    case CimType::UInt32:
      return {0, UINT32_MAX};
    case CimType::SInt64:
      return {static_cast<long double>(INT64_MIN), static_cast<long double>(INT64_MAX)};
    default:
      return {0, static_cast<long double>(UINT64_MAX)};
  }
}

// True when a double holds an integer that converts to `type` without loss.
template <typename Float>
bool exactIn(long double v) {
  const auto f = static_cast<Float>(v);
  return std::isfinite(f) && static_cast<long double>(f) == v;
}

// Counts UTF-8 code points; returns the single BMP code point of a one-character string.
std::optional<char16_t> singleChar16(const std::string& s) {
  if (s.empty()) return std::nullopt;
  const auto c0 = static_cast<unsigned char>(s[0]);
  std::size_t len = c0 < 0x80 ? 1 : (c0 >> 5) == 0x6 ? 2 : (c0 >> 4) == 0xE ? 3 : 0;
  if (len == 0 || s.size() != len) return std::nullopt;
  std::uint32_t cp = len == 1 ? c0 : len == 2 ? (c0 & 0x1F) : (c0 & 0x0F);
  for (std::size_t i = 1; i < len; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if ((c >> 6) != 0x2) return std::nullopt;
    cp = (cp << 6) | (c & 0x3F);
  }
  return static_cast<char16_t>(cp);
}

}  // namespace

Value::Value(ObjectPtr v) noexcept : type_(CimType::Object) {
  if (v) data_ = std::move(v);
}

Value::Value(CimType elementType, ValueArray elements) : type_(elementType), array_(true) {
  for (Value& e : elements) {
    if (e.isArray() || (!e.isNull() && e.type() != elementType))
      throw Error(WBEM_E_TYPE_MISMATCH, "array element of type " + std::string(cimTypeName(e.type())) +
                                            " in an array of " + std::string(cimTypeName(elementType)));
    // A NULL element is a NULL of the array's type, however it was made: so that an array reads
    // back from its MOF text (`{1, NULL}`) equal to what was written.
    if (e.isNull()) e.type_ = elementType;
  }
  data_ = std::make_shared<const ValueArray>(std::move(elements));
}

Value Value::reference(std::string_view objectPath) {
  ObjectPath::parse(objectPath);  // validates; throws WBEM_E_INVALID_OBJECT_PATH
  return Value(CimType::Reference, false, std::string(objectPath));
}

Value Value::null(CimType type, bool array) noexcept {
  Value v;  // default-constructed storage: GCC 12 misreports a moved-in monostate as uninitialised
  v.type_ = type;
  v.array_ = array;
  return v;
}

bool Value::asBool() const {
  if (array_ || !std::holds_alternative<bool>(data_)) wrongKind("boolean", type_, isNull());
  return std::get<bool>(data_);
}

std::int64_t Value::asInt64() const {
  if (!array_) {
    if (const auto* s = std::get_if<std::int64_t>(&data_)) return *s;
    if (const auto* u = std::get_if<std::uint64_t>(&data_)) {
      if (*u <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(*u);
      throw Error(WBEM_E_TYPE_MISMATCH, "value " + std::to_string(*u) + " does not fit in sint64");
    }
  }
  wrongKind("an integer", type_, isNull());
}

std::uint64_t Value::asUInt64() const {
  if (!array_) {
    if (const auto* u = std::get_if<std::uint64_t>(&data_)) return *u;
    if (const auto* s = std::get_if<std::int64_t>(&data_)) {
      if (*s >= 0) return static_cast<std::uint64_t>(*s);
      throw Error(WBEM_E_TYPE_MISMATCH, "negative value " + std::to_string(*s) + " is not unsigned");
    }
  }
  wrongKind("an unsigned integer", type_, isNull());
}

double Value::asReal() const {
  if (!array_) {
    if (const auto* d = std::get_if<double>(&data_)) return *d;
    if (const auto* s = std::get_if<std::int64_t>(&data_)) return static_cast<double>(*s);
    if (const auto* u = std::get_if<std::uint64_t>(&data_)) return static_cast<double>(*u);
  }
  wrongKind("a number", type_, isNull());
}

char16_t Value::asChar16() const {
  if (array_ || type_ != CimType::Char16 || isNull()) wrongKind("char16", type_, isNull());
  return static_cast<char16_t>(std::get<std::uint64_t>(data_));
}

const std::string& Value::asString() const {
  if (array_ || !std::holds_alternative<std::string>(data_)) wrongKind("a string", type_, isNull());
  return std::get<std::string>(data_);
}

const DateTime& Value::asDateTime() const {
  if (array_ || !std::holds_alternative<DateTime>(data_)) wrongKind("datetime", type_, isNull());
  return std::get<DateTime>(data_);
}

const ObjectPtr& Value::asObject() const {
  if (array_ || !std::holds_alternative<ObjectPtr>(data_)) wrongKind("an object", type_, isNull());
  return std::get<ObjectPtr>(data_);
}

const ValueArray& Value::asArray() const {
  if (!array_ || isNull()) wrongKind("an array", type_, isNull());
  return *std::get<std::shared_ptr<const ValueArray>>(data_);
}

Value Value::convertTo(const PropertyType& target) const {
  if (isNull()) return null(target.type, target.array);
  if (target.type == CimType::Empty) return *this;
  if (array_ != target.array) mismatch(*this, target, array_ ? "an array is not a scalar" : "a scalar is not an array");
  if (array_) {
    const ValueArray& in = asArray();
    if (target.arraySize && in.size() > *target.arraySize)
      mismatch(*this, target,
               std::to_string(in.size()) + " elements exceed the size " + std::to_string(*target.arraySize));
    if (type_ == target.type) return *this;
    const PropertyType element{target.type, false, std::nullopt, target.className};
    ValueArray out;
    out.reserve(in.size());
    for (const Value& e : in) out.push_back(e.convertTo(element));
    return Value(target.type, std::move(out));
  }
  if (type_ == target.type) return *this;

  const bool fromInt = isInteger(type_);
  switch (target.type) {
    case CimType::SInt8:
    case CimType::UInt8:
    case CimType::SInt16:
    case CimType::UInt16:
    case CimType::SInt32:
    case CimType::UInt32:
    case CimType::SInt64:
    case CimType::UInt64: {
      if (!fromInt && type_ != CimType::Char16) mismatch(*this, target);  // a char16 is its code unit
      const long double v =
          isSigned(type_) ? static_cast<long double>(asInt64()) : static_cast<long double>(asUInt64());
      const IntRange r = rangeOf(target.type);
      if (v < r.min || v > r.max) mismatch(*this, target, "value out of range");
      if (isSigned(target.type)) return Value(target.type, false, static_cast<std::int64_t>(v));
      return Value(target.type, false, static_cast<std::uint64_t>(v));
    }
    case CimType::Real32:
    case CimType::Real64: {
      long double v;
      if (fromInt)
        v = isSigned(type_) ? static_cast<long double>(asInt64()) : static_cast<long double>(asUInt64());
      else if (isReal(type_))
        v = asReal();
      else
        mismatch(*this, target);
      const bool exact = target.type == CimType::Real32 ? exactIn<float>(v) : exactIn<double>(v);
      if (!exact) mismatch(*this, target, "the value would lose precision");
      return Value(target.type, false, static_cast<double>(v));
    }
    case CimType::Char16:
      if (fromInt) {
        const long double v =
            isSigned(type_) ? static_cast<long double>(asInt64()) : static_cast<long double>(asUInt64());
        if (v < 0 || v > 0xFFFF) mismatch(*this, target, "value out of range");
        return Value(CimType::Char16, false, static_cast<std::uint64_t>(v));
      }
      if (type_ == CimType::String) {
        if (auto c = singleChar16(asString())) return Value(*c);
        mismatch(*this, target, "the string is not exactly one character");
      }
      mismatch(*this, target);
    case CimType::DateTime:
      if (type_ != CimType::String) mismatch(*this, target);
      try {
        return Value(DateTime::parse(asString()));
      } catch (const Error& e) {
        mismatch(*this, target, e.message());
      }
    case CimType::Reference:
      if (type_ != CimType::String) mismatch(*this, target);
      try {
        return reference(asString());
      } catch (const Error& e) {
        mismatch(*this, target, e.message());
      }
    default:
      mismatch(*this, target);
  }
}

bool operator==(const Value& a, const Value& b) {
  if (a.type_ != b.type_ || a.array_ != b.array_ || a.data_.index() != b.data_.index()) return false;
  if (const auto* x = std::get_if<ObjectPtr>(&a.data_)) {
    const auto& y = std::get<ObjectPtr>(b.data_);
    return *x == y || (*x && y && **x == *y);
  }
  if (const auto* x = std::get_if<std::shared_ptr<const ValueArray>>(&a.data_)) {
    const auto& y = std::get<std::shared_ptr<const ValueArray>>(b.data_);
    return *x == y || **x == *y;
  }
  // Contents, not arithmetic: a NaN equals a NaN, so that an object holding one equals its copy.
  if (const auto* x = std::get_if<double>(&a.data_)) {
    const double y = std::get<double>(b.data_);
    return *x == y || (std::isnan(*x) && std::isnan(y));
  }
  return a.data_ == b.data_;
}

}  // namespace wbem
