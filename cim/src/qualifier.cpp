#include <wbem/names.hpp>
#include <wbem/qualifier.hpp>
#include <wbem/status.hpp>

#include <algorithm>

namespace wbem {
namespace {

// CIM's Abstract qualifier is Restricted by definition: a subclass of an abstract class is
// concrete unless it says otherwise, whatever flavor the declaration carried; and an instance is
// never abstract, so it does not go to instances either.
bool alwaysRestricted(std::string_view name) { return iequals(name, "abstract"); }

}  // namespace

const Qualifier* QualifierSet::find(std::string_view name) const noexcept {
  for (const Qualifier& q : items_)
    if (iequals(q.name, name)) return &q;
  return nullptr;
}

Value QualifierSet::get(std::string_view name) const {
  const Qualifier* q = find(name);
  return q ? q->value : Value();
}

bool QualifierSet::isTrue(std::string_view name) const noexcept {
  const Qualifier* q = find(name);
  return q && !q->value.isArray() && q->value.type() == CimType::Boolean && !q->value.isNull() &&
         q->value.asBool();
}

void QualifierSet::put(std::string_view name, Value value, std::int32_t flavor) {
  if (name.empty()) throw Error(WBEM_E_INVALID_PARAMETER, "a qualifier needs a name");
  if ((flavor & ~(WBEM_FLAVOR_MASK_PROPAGATION | WBEM_FLAVOR_MASK_PERMISSIONS | WBEM_FLAVOR_MASK_AMENDED)) != 0)
    throw Error(WBEM_E_INVALID_FLAVOR, "invalid flavor " + std::to_string(flavor) + " for qualifier " + std::string(name));
  for (Qualifier& q : items_) {
    if (!iequals(q.name, name)) continue;
    if (q.isPropagated() && (q.flavor & WBEM_FLAVOR_NOT_OVERRIDABLE) && !(q.value == value))
      throw Error(WBEM_E_OVERRIDE_NOT_ALLOWED,
                  "qualifier " + q.name + " is inherited with DisableOverride and cannot be changed");
    q.value = std::move(value);
    q.flavor = flavor;
    return;
  }
  items_.push_back(Qualifier{std::string(name), std::move(value), flavor});
}

void QualifierSet::remove(std::string_view name) {
  auto it = std::find_if(items_.begin(), items_.end(), [&](const Qualifier& q) { return iequals(q.name, name); });
  if (it == items_.end()) throw Error(WBEM_E_NOT_FOUND, "no qualifier " + std::string(name));
  if (it->isPropagated())
    throw Error(WBEM_E_PROPAGATED_QUALIFIER, "qualifier " + it->name + " is inherited and cannot be deleted");
  items_.erase(it);
}

std::vector<std::string> QualifierSet::names(bool localOnly, bool propagatedOnly) const {
  std::vector<std::string> out;
  for (const Qualifier& q : items_) {
    if ((localOnly && q.isPropagated()) || (propagatedOnly && !q.isPropagated())) continue;
    out.push_back(q.name);
  }
  return out;
}

QualifierSet QualifierSet::propagated(bool toInstance) const {
  const std::int32_t flag =
      toInstance ? WBEM_FLAVOR_FLAG_PROPAGATE_TO_INSTANCE : WBEM_FLAVOR_FLAG_PROPAGATE_TO_DERIVED_CLASS;
  QualifierSet out;
  for (const Qualifier& q : items_) {
    if (!(q.flavor & flag) || alwaysRestricted(q.name)) continue;
    out.items_.push_back(Qualifier{q.name, q.value, q.flavor | WBEM_FLAVOR_ORIGIN_PROPAGATED});
  }
  return out;
}

void QualifierSet::inheritFrom(const QualifierSet& inherited) {
  QualifierSet merged = inherited;
  for (Qualifier& local : items_) {
    if (local.isPropagated()) continue;  // stale copy of an earlier parent's qualifier
    merged.put(local.name, std::move(local.value), local.flavor);
  }
  items_ = std::move(merged.items_);
}

bool QualifierSet::equals(const QualifierSet& other, bool ignoreFlavor) const {
  if (items_.size() != other.items_.size()) return false;
  for (const Qualifier& q : items_) {
    const Qualifier* o = other.find(q.name);
    if (!o || !(o->value == q.value) || (!ignoreFlavor && o->flavor != q.flavor)) return false;
  }
  return true;
}

}  // namespace wbem
