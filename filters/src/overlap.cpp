// queriesOverlap: conservative disjointness of two event queries from their FROM classes and
// top-level ISA, equality and NULL conjuncts.

#include <wbem/names.hpp>
#include <wbem/overlap.hpp>

#include <compare>

#include "filter_detail.hpp"

namespace wbem {
namespace {

// True unless both classes are known and neither is or derives from the other.
bool classesRelated(const Namespace& ns, std::string_view a, std::string_view b) {
  if (iequals(a, b)) return true;
  if (!ns.findClass(a) || !ns.findClass(b)) return true;
  return ns.classInheritsFrom(a, b) || ns.classInheritsFrom(b, a);
}

// Exact numeric equality of two operands' numbers (integers and reals by value).
bool sameNumber(const detail::Operand& a, const detail::Operand& b) {
  using Num = detail::Operand::Num;
  const auto asLongDouble = [](const detail::Operand& o) -> long double {
    return o.num == Num::Int ? static_cast<long double>(o.i)
                             : (o.num == Num::UInt ? static_cast<long double>(o.u) : static_cast<long double>(o.r));
  };
  return asLongDouble(a) == asLongDouble(b);
}

double toDouble(const detail::Operand& o) {
  using Num = detail::Operand::Num;
  return o.num == Num::Int ? static_cast<double>(o.i) : (o.num == Num::UInt ? static_cast<double>(o.u) : o.r);
}

// True when some value of a property of type `type` (nullptr: unknown, e.g. inside an embedded
// object) may equal both non-NULL constants under WQL's conversions: as text (case-insensitively),
// number, boolean, character, datetime or object path.
bool mayBothEqual(const detail::Operand& a, const detail::Operand& b, const PropertyType* type) {
  using Num = detail::Operand::Num;
  const bool aText = a.isString || !a.text.empty();
  const bool bText = b.isString || !b.text.empty();
  const bool bothNum = a.num != Num::None && b.num != Num::None;
  if (type != nullptr && !type->array) {
    if (type->type == CimType::String) return !(aText && bText) || a.folded == b.folded;
    if (isInteger(type->type) || type->type == CimType::Real64) return !bothNum || sameNumber(a, b);
    // A real32 property compares with real constants rounded to real32.
    if (type->type == CimType::Real32)
      return !bothNum || sameNumber(a, b) || static_cast<float>(toDouble(a)) == static_cast<float>(toDouble(b));
    if (type->type == CimType::Boolean) return !(a.boolean && b.boolean) || *a.boolean == *b.boolean;
  }
  if (aText && bText && a.folded == b.folded) return true;
  if (bothNum && (sameNumber(a, b) || static_cast<float>(toDouble(a)) == static_cast<float>(toDouble(b)))) return true;
  if (a.boolean && b.boolean && *a.boolean == *b.boolean) return true;
  if (a.char16 && b.char16 && *a.char16 == *b.char16) return true;
  if (a.dateTime && b.dateTime) {
    const auto c = *a.dateTime <=> *b.dateTime;
    if (c == 0 || c == std::partial_ordering::unordered) return true;
  }
  return a.path && b.path && *a.path == *b.path;  // references compare as parsed object paths
}

// The declared type of a one-name path in the FROM class (subclasses cannot change it).
const PropertyType* declaredType(const QueryFilter& q, const WqlPath& path) {
  if (path.names.size() != 1) return nullptr;
  const ClassDef& def = q.fromClass()->definition();
  const auto slot = def.slotOf(path.names.front());
  return slot ? &def.properties()[*slot].type : nullptr;
}

bool samePath(const WqlPath& a, const WqlPath& b) {
  if (a.names.size() != b.names.size()) return false;
  for (std::size_t i = 0; i < a.names.size(); ++i)
    if (!iequals(a.names[i], b.names[i])) return false;
  return true;
}

// What a conjunct says about NULL: 1 the value is NULL, -1 it is not, 0 nothing.
int nullness(const WqlComparison& c) {
  if (c.op == WqlOp::IsNull || (c.op == WqlOp::Equal && c.literal.isNull())) return 1;
  if (c.op == WqlOp::IsNotNull || (c.op == WqlOp::Equal && !c.literal.isNull())) return -1;
  return 0;
}

bool disjoint(const WqlComparison& a, const WqlComparison& b, const PropertyType* type, const Namespace& ns) {
  if (!samePath(a.path, b.path)) return false;
  if (a.op == WqlOp::Isa && b.op == WqlOp::Isa)
    return a.literal.type() == CimType::String && b.literal.type() == CimType::String &&
           !classesRelated(ns, a.literal.asString(), b.literal.asString());
  const int na = nullness(a), nb = nullness(b);
  if (na != 0 && nb != 0 && na != nb) return true;
  if (a.op == WqlOp::Equal && b.op == WqlOp::Equal && !a.literal.isNull() && !b.literal.isNull())
    return !mayBothEqual(detail::prepareOperand(a.literal), detail::prepareOperand(b.literal), type);
  return false;
}

}  // namespace

bool queriesOverlap(const QueryFilter& registration, const QueryFilter& filter, const Namespace& ns) {
  if (!classesRelated(ns, registration.query().className, filter.query().className)) return false;
  for (const WqlComparison* a : registration.conjuncts())
    for (const WqlComparison* b : filter.conjuncts())
      if (disjoint(*a, *b, declaredType(filter, b->path), ns)) return false;
  return true;
}

}  // namespace wbem
