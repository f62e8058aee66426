#pragma once
// Internals shared by the validation and the evaluation of QueryFilter: a query literal prepared
// once in every form a property may need it in, and the comparison of a property value with it.

#include <wbem/objectpath.hpp>
#include <wbem/wql.hpp>

#include "unicode_fold.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wbem::detail {

/// A literal of the query, converted ahead of time to each kind a property can have. A string
/// literal also gets the forms it parses as (WMI converts "0" for a sint32 and "false" for a
/// boolean); a form that is absent means the literal does not fit properties of that kind.
struct Operand {
  enum class Num : std::uint8_t { None, Int, UInt, Real };
  bool null = true;
  bool isString = false;  ///< the literal is a string
  Num num = Num::None;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double r = 0;
  std::optional<bool> boolean;
  std::optional<char16_t> char16;
  std::optional<DateTime> dateTime;
  std::optional<ObjectPath> path;
  std::string text;       ///< a string literal, or the decimal text of an integer literal
  std::u32string folded;  ///< `text` case-folded, for ordering and equality
};

/// Prepares `literal` (a WqlComparison literal). Thread-safe.
Operand prepareOperand(const Value& literal);

/// `value op operand` with WMI's semantics (NULL compares by equality; strings case-insensitively;
/// numbers by value; datetimes as instants). Not for ISA. Allocation-free except for references
/// whose text differs from the literal's. Thread-safe.
bool compareValue(const Value& value, WqlOp op, const Operand& operand);


}  // namespace wbem::detail
