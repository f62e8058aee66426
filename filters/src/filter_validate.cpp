// Validation of a parsed WQL query against a namespace's schema (the semantic stage of
// QueryFilter::compile). The rules and their status codes are listed in docs/wql.md.

#include <wbem/filter.hpp>
#include <wbem/names.hpp>

#include "filter_detail.hpp"

#include <utility>

namespace wbem {
namespace {

bool isOrdering(WqlOp op) noexcept {
  return op == WqlOp::Less || op == WqlOp::LessEqual || op == WqlOp::Greater || op == WqlOp::GreaterEqual;
}

// Checks one query against the schema; throws the first violation found, in query order.
class Validator {
 public:
  Validator(const Namespace& ns, const ObjectPtr& from) : ns_(ns), from_(from) {}

  // Records the classes of the top-level `path ISA "C"` conjuncts: properties read through that
  // path are then checked against C (WMI checks them against the named class, not subclasses).
  void collectIsa(std::span<const WqlComparison* const> conjuncts) {
    for (const WqlComparison* c : conjuncts) {
      if (c->op != WqlOp::Isa) continue;
      ObjectPtr cls = requireIsaClass(*c);
      isa_.emplace_back(lowerName(c->path.toString()), std::move(cls));
    }
  }

  void checkCondition(const WqlCondition& c) {
    if (c.kind != WqlCondition::Kind::Compare) {
      for (const WqlCondition& operand : c.operands) checkCondition(operand);
      return;
    }
    checkComparison(c.comparison);
  }

  void checkSelected(const WqlPath& path) { resolve(path); }

  void checkGroupBy(const WqlPath& path) {
    const Resolved r = resolve(path);
    if (r.known && r.type.type == CimType::Object && !r.type.array)
      throw Error(WBEM_E_AGGREGATING_BY_OBJECT,
                  "GROUP BY " + path.toString() + " names an embedded object; group by one of its properties",
                  path.position);
  }

 private:
  struct Resolved {
    bool known = false;  // false inside an untyped embedded object: checked at run time only
    PropertyType type;
  };

  // Position of the k-th name of a path (names are written without spaces around the dots).
  static TextPosition namePosition(const WqlPath& path, std::size_t k) {
    TextPosition p = path.position;
    for (std::size_t j = 0; j < k; ++j) p.column += static_cast<std::uint32_t>(path.names[j].size() + 1);
    return p;
  }

  ObjectPtr isaClassFor(const WqlPath& path, std::size_t upTo) const {
    std::string prefix;
    for (std::size_t j = 0; j <= upTo; ++j) prefix += (j ? "." : "") + lowerName(path.names[j]);
    for (const auto& [p, cls] : isa_)
      if (p == prefix) return cls;
    return nullptr;
  }

  Resolved resolve(const WqlPath& path) const {
    ObjectPtr cls = from_;
    std::size_t k = 0;
    if (iequals(path.names.front(), "__THIS")) {
      if (path.names.size() == 1) return {true, PropertyType{CimType::Object, false, std::nullopt, from_->className()}};
      k = 1;
    }
    for (; k < path.names.size(); ++k) {
      if (!cls) return {};
      const std::string& name = path.names[k];
      if (!cls->hasProperty(name))
        throw Error(WBEM_E_INVALID_PROPERTY, "class " + cls->className() + " has no property " + name,
                    namePosition(path, k));
      PropertyType type = cls->getPropertyType(name);
      if (k + 1 == path.names.size()) return {true, std::move(type)};
      if (type.type != CimType::Object || type.array)
        throw Error(WBEM_E_PROPERTY_NOT_AN_OBJECT, "property " + name + " is not an embedded object",
                    namePosition(path, k));
      ObjectPtr next = isaClassFor(path, k);
      if (!next && !type.className.empty()) next = ns_.findClass(type.className);
      cls = std::move(next);
    }
    return {};
  }

  ObjectPtr requireIsaClass(const WqlComparison& c) const {
    const std::string& name = c.literal.asString();
    ObjectPtr cls = ns_.findClass(name);
    if (!cls) throw Error(WBEM_E_INVALID_CLASS, "ISA names class " + name + ", which does not exist", c.position);
    return cls;
  }

  [[noreturn]] static void badOperator(const WqlComparison& c, std::string_view why) {
    throw Error(WBEM_E_INVALID_OPERATOR,
                "operator " + std::string(wqlOpText(c.op)) + " is not valid for " + c.path.toString() + ": " +
                    std::string(why),
                c.position);
  }
  [[noreturn]] static void mismatch(const WqlComparison& c, std::string_view type) {
    throw Error(WBEM_E_TYPE_MISMATCH,
                "the constant " + c.literal.toMof() + " cannot be compared with " + c.path.toString() + " (" +
                    std::string(type) + ")",
                c.position);
  }

  void checkComparison(const WqlComparison& c) const {
    const Resolved r = resolve(c.path);
    if (c.op == WqlOp::Isa) {
      if (r.known && (r.type.type != CimType::Object || r.type.array)) badOperator(c, "ISA needs an embedded object");
      requireIsaClass(c);
      return;
    }
    if (c.op == WqlOp::IsNull || c.op == WqlOp::IsNotNull || !r.known) return;
    const PropertyType& t = r.type;
    const std::string typeName = t.cimTypeQualifier() + (t.array ? "[]" : "");
    if (c.literal.isNull()) {
      if (c.op != WqlOp::Equal && c.op != WqlOp::NotEqual) badOperator(c, "NULL takes only =, <> and IS");
      return;
    }
    if (t.array) badOperator(c, "arrays can only be tested for NULL");
    if (c.op == WqlOp::Like && t.type != CimType::String) badOperator(c, "LIKE needs a string property");
    const detail::Operand o = detail::prepareOperand(c.literal);
    switch (t.type) {
      case CimType::Object:
        badOperator(c, "an embedded object takes only ISA and NULL tests");
      case CimType::Boolean:
        if (isOrdering(c.op)) badOperator(c, "booleans take only = and <>");
        if (!o.boolean || o.num == detail::Operand::Num::Real) mismatch(c, typeName);
        return;
      case CimType::String:
        if (!o.isString) mismatch(c, typeName);
        return;
      case CimType::Char16:
        if (o.num == detail::Operand::Num::None && !o.char16) mismatch(c, typeName);
        return;
      case CimType::DateTime:
        if (!o.isString || !o.dateTime) mismatch(c, typeName);
        return;
      case CimType::Reference:
        if (isOrdering(c.op)) badOperator(c, "references take only = and <>");
        if (!o.isString || !o.path) mismatch(c, typeName);
        return;
      default:
        if (o.num == detail::Operand::Num::None) mismatch(c, typeName);
        return;
    }
  }

  const Namespace& ns_;
  ObjectPtr from_;
  std::vector<std::pair<std::string, ObjectPtr>> isa_;
};

}  // namespace

std::shared_ptr<const QueryFilter> QueryFilter::compile(WqlQuery query, const Namespace& ns, QueryKind kind) {
  std::shared_ptr<QueryFilter> filter(new QueryFilter());
  filter->query_ = std::move(query);
  filter->kind_ = kind;
  const WqlQuery& q = filter->query_;

  filter->fromClass_ = ns.findClass(q.className);
  if (!filter->fromClass_)
    throw Error(WBEM_E_INVALID_CLASS, "class " + q.className + " does not exist in " + ns.name(), q.classPosition);
  const bool eventClass = filter->fromClass_->definition().inheritsFrom("__Event");
  if (kind == QueryKind::Notification && !eventClass)
    throw Error(WBEM_E_NOT_EVENT_CLASS, "class " + q.className + " is not derived from __Event", q.classPosition);
  if (kind == QueryKind::Data) {
    // Polling and aggregation only mean something for event queries.
    if (q.within) throw Error(WBEM_E_INVALID_QUERY, "WITHIN is only valid in event queries", q.withinPosition);
    if (q.groupWithin) throw Error(WBEM_E_INVALID_QUERY, "GROUP is only valid in event queries", q.groupPosition);
  }

  if (q.where) {
    if (q.where->kind == WqlCondition::Kind::Compare) {
      filter->conjuncts_.push_back(&q.where->comparison);
    } else if (q.where->kind == WqlCondition::Kind::And) {
      for (const WqlCondition& c : q.where->operands)
        if (c.kind == WqlCondition::Kind::Compare) filter->conjuncts_.push_back(&c.comparison);
    }
  }

  Validator validator(ns, filter->fromClass_);
  validator.collectIsa(filter->conjuncts_);
  for (const WqlComparison* c : filter->conjuncts_) {
    if (c->op == WqlOp::Isa && c->path.names.size() == 1 && iequals(c->path.names.front(), "TargetInstance")) {
      filter->targetInstanceClass_ = ns.findClass(c->literal.asString())->className();
      break;
    }
  }
  for (const WqlPath& p : q.selectList) validator.checkSelected(p);
  if (q.where) validator.checkCondition(*q.where);
  for (const WqlPath& p : q.groupBy) validator.checkGroupBy(p);
  return filter;
}

}  // namespace wbem
