// Methods of a class: PutMethod and the rules of "Creating a WMI Method", and their enumeration.
#include <wbem/classobject.hpp>
#include <wbem/names.hpp>
#include <wbem/status.hpp>

#include <algorithm>
#include <map>

namespace wbem {
namespace {

struct Parameter {
  const PropertyDef* in = nullptr;
  const PropertyDef* out = nullptr;
  const std::string& name() const { return in ? in->name : out->name; }
};

[[noreturn]] void fail(Status status, std::string_view method, const std::string& message) {
  throw Error(status, "method " + std::string(method) + ": " + message);
}

// The ID qualifier of a parameter: nullopt when absent; a WBEM_E_INVALID_PARAMETER_ID when not a
// non-negative integer.
std::optional<std::int64_t> parameterId(std::string_view method, const PropertyDef& p) {
  const Qualifier* q = p.qualifiers.find("ID");
  if (!q) return std::nullopt;
  if (q->value.isArray() || q->value.isNull() || !isInteger(q->value.type()) ||
      (isSigned(q->value.type()) && q->value.asInt64() < 0))
    fail(WBEM_E_INVALID_PARAMETER_ID, method, "parameter " + p.name + " has an ID that is not a non-negative integer");
  if (!isSigned(q->value.type()) && q->value.asUInt64() > INT32_MAX)
    fail(WBEM_E_INVALID_PARAMETER_ID, method, "parameter " + p.name + " has an ID out of range");
  return q->value.asInt64();
}

// The qualifiers of a parameter apart from the direction ones, for the [in,out] pair rule.
QualifierSet withoutDirection(const QualifierSet& set) {
  QualifierSet out;
  for (const Qualifier& q : set.all())
    if (!iequals(q.name, "in") && !iequals(q.name, "out")) out.put(q.name, q.value, q.flavor & ~WBEM_FLAVOR_MASK_ORIGIN);
  return out;
}

// A signature class as stored: every parameter carries its direction qualifier and ID.
ObjectPtr normalizedSignature(const ClassObject* sig, const char* direction, const std::map<std::string, std::int64_t, NameLess>& ids) {
  if (!sig) return nullptr;
  ClassObject copy = *sig;
  for (const PropertyDef& p : sig->definition().properties()) {
    if (iequals(p.name, kReturnValue)) continue;
    if (!p.qualifiers.find(direction)) copy.putPropertyQualifier(p.name, direction, Value(true), kMofDefaultFlavor);
    if (!p.qualifiers.find("ID")) copy.putPropertyQualifier(p.name, "ID", Value(static_cast<std::int32_t>(ids.at(p.name))), kMofDefaultFlavor);
  }
  return share(std::move(copy));
}

// Two signatures are the same when they have the same parameters with the same types and IDs.
bool sameSignature(const ObjectPtr& a, const ObjectPtr& b) {
  const auto count = [](const ObjectPtr& s) { return s ? s->definition().properties().size() : 0; };
  if (count(a) != count(b)) return false;
  if (!a) return true;
  for (const PropertyDef& p : a->definition().properties()) {
    auto slot = b->definition().slotOf(p.name);
    if (!slot) return false;
    const PropertyDef& q = b->definition().properties()[*slot];
    if (!(p.type == q.type) || !(p.qualifiers.get("ID") == q.qualifiers.get("ID"))) return false;
  }
  return true;
}

}  // namespace

void ClassObject::putMethod(std::string_view name, const ClassObject* inSignature, const ClassObject* outSignature,
                            const QualifierSet& qualifiers) {
  requireClass("PutMethod");
  if (name.empty() || name.front() == '_' || name.back() == '_')
    fail(WBEM_E_INVALID_PARAMETER, name, "method names may not be empty or begin or end with '_'");
  for (const ClassObject* sig : {inSignature, outSignature}) {
    if (sig && (!sig->isClass() || !iequals(sig->className(), kParametersClass)))
      fail(WBEM_E_INVALID_PARAMETER, name, "a signature must be a __PARAMETERS class object, not " + sig->className());
  }

  // Pair up parameters by name: an [in,out] parameter appears in both signatures.
  std::vector<Parameter> params;
  auto findParam = [&](std::string_view n) -> Parameter* {
    for (Parameter& p : params)
      if (iequals(p.name(), n)) return &p;
    return nullptr;
  };
  const PropertyDef* returnValue = nullptr;
  if (inSignature)
    for (const PropertyDef& p : inSignature->definition().properties()) {
      if (iequals(p.name, kReturnValue))
        fail(WBEM_E_INVALID_METHOD_PARAMETERS, name, "ReturnValue may only be an out-parameter");
      params.push_back(Parameter{&p, nullptr});
    }
  if (outSignature)
    for (const PropertyDef& p : outSignature->definition().properties()) {
      if (iequals(p.name, kReturnValue)) {
        returnValue = &p;
        continue;
      }
      if (Parameter* existing = findParam(p.name))
        existing->out = &p;
      else
        params.push_back(Parameter{nullptr, &p});
    }

  if (returnValue) {
    if (returnValue->qualifiers.find("ID"))
      fail(WBEM_E_PARAMETER_ID_ON_RETVAL, name, "ReturnValue may not have an ID qualifier");
    if (returnValue->type.array) fail(WBEM_E_INVALID_METHOD, name, "the return type may not be an array");
  }

  // IDs: all present, or all absent (then assigned in declaration order, inputs first).
  std::map<std::string, std::int64_t, NameLess> ids;
  std::size_t withId = 0;
  for (const Parameter& p : params) {
    const auto inId = p.in ? parameterId(name, *p.in) : std::nullopt;
    const auto outId = p.out ? parameterId(name, *p.out) : std::nullopt;
    withId += (p.in && inId) + (p.out && outId);
  }
  std::size_t sides = 0;
  for (const Parameter& p : params) sides += (p.in != nullptr) + (p.out != nullptr);
  if (withId != 0 && withId != sides) {
    for (const Parameter& p : params)
      for (const PropertyDef* side : {p.in, p.out})
        if (side && !side->qualifiers.find("ID"))
          fail(WBEM_E_MISSING_PARAMETER_ID, name, "parameter " + side->name + " has no ID qualifier while others do");
  }
  if (withId == 0) {
    std::int64_t next = 0;
    for (const Parameter& p : params)
      if (p.in) ids[p.name()] = next++;
    for (const Parameter& p : params)
      if (!p.in) ids[p.name()] = next++;
  } else {
    for (const Parameter& p : params) ids[p.name()] = *parameterId(name, p.in ? *p.in : *p.out);
  }

  // [in,out] pairs: same type, same qualifiers apart from In/Out (the ID included).
  for (const Parameter& p : params) {
    if (!p.in || !p.out) continue;
    if (!(p.in->type == p.out->type) ||
        !withoutDirection(p.in->qualifiers).equals(withoutDirection(p.out->qualifiers), false))
      fail(WBEM_E_INVALID_DUPLICATE_PARAMETER, name,
           "parameter " + p.name() + " is both in and out but its two declarations differ in type or qualifiers");
  }

  // IDs: unique, from 0 with no gaps, inputs before outputs.
  std::vector<std::pair<std::int64_t, const Parameter*>> order;
  for (const Parameter& p : params) order.emplace_back(ids[p.name()], &p);
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (i > 0 && order[i].first == order[i - 1].first)
      fail(WBEM_E_INVALID_DUPLICATE_PARAMETER, name,
           "parameters " + order[i - 1].second->name() + " and " + order[i].second->name() + " share ID " +
               std::to_string(order[i].first));
    if (order[i].first != static_cast<std::int64_t>(i))
      fail(WBEM_E_NONCONSECUTIVE_PARAMETER_IDS, name,
           "parameter IDs must run from 0 without gaps; parameter " + order[i].second->name() + " has ID " +
               std::to_string(order[i].first) + " where " + std::to_string(i) + " is expected");
    if (i > 0 && order[i].second->in && !order[i - 1].second->in)
      fail(WBEM_E_INVALID_PARAMETER_ID, name,
           "input parameter " + order[i].second->name() + " (ID " + std::to_string(order[i].first) +
               ") follows output parameter " + order[i - 1].second->name() + ": all inputs must precede outputs");
  }

  MethodDef method{std::string(name), normalizedSignature(inSignature, "In", ids),
                   normalizedSignature(outSignature, "Out", ids), qualifiers, className()};
  ClassDef& def = mutableDef();
  for (MethodDef& existing : def.methods_) {
    if (!iequals(existing.name, name)) continue;
    if (!iequals(existing.originClass, def.name_)) {
      if (!sameSignature(existing.inSignature, method.inSignature) ||
          !sameSignature(existing.outSignature, method.outSignature))
        fail(WBEM_E_PROPAGATED_METHOD, name,
             "it is inherited from " + existing.originClass + " with another signature; methods cannot be overloaded");
      method.originClass = existing.originClass;
      // Keep what the superclass passes down; the new declaration's qualifiers replace local ones.
      QualifierSet inherited = existing.qualifiers;
      for (const std::string& local : existing.qualifiers.names(/*localOnly=*/true)) inherited.remove(local);
      method.qualifiers.inheritFrom(inherited);
    }
    existing = std::move(method);
    return;
  }
  def.methods_.push_back(std::move(method));
}

const MethodDef& ClassObject::getMethod(std::string_view name) const {
  if (const MethodDef* m = def_->findMethod(name)) return *m;
  throw Error(WBEM_E_NOT_FOUND, "class " + className() + " has no method " + std::string(name));
}

void ClassObject::deleteMethod(std::string_view name) {
  requireClass("DeleteMethod");
  const MethodDef& m = getMethod(name);
  if (!iequals(m.originClass, className()))
    fail(WBEM_E_PROPAGATED_METHOD, name, "it is inherited from " + m.originClass + " and cannot be deleted");
  ClassDef& def = mutableDef();
  def.methods_.erase(std::find_if(def.methods_.begin(), def.methods_.end(),
                                  [&](const MethodDef& x) { return iequals(x.name, name); }));
}

std::vector<std::string> ClassObject::methodNames(std::int32_t flags) const {
  if (flags != 0 && flags != WBEM_FLAG_LOCAL_ONLY && flags != WBEM_FLAG_PROPAGATED_ONLY)
    throw Error(WBEM_E_INVALID_PARAMETER, "invalid method enumeration flags " + std::to_string(flags));
  std::vector<std::string> names;
  for (const MethodDef& m : def_->methods_) {
    const bool local = iequals(m.originClass, className());
    if ((flags == WBEM_FLAG_LOCAL_ONLY && !local) || (flags == WBEM_FLAG_PROPAGATED_ONLY && local)) continue;
    names.push_back(m.name);
  }
  return names;
}

std::string ClassObject::getMethodOrigin(std::string_view name) const { return getMethod(name).originClass; }

QualifierSet ClassObject::getMethodQualifierSet(std::string_view name) const { return getMethod(name).qualifiers; }

void ClassObject::putMethodQualifier(std::string_view method, std::string_view name, const Value& value,
                                     std::int32_t flavor) {
  requireClass("changing a method qualifier");
  getMethod(method);  // reports WBEM_E_NOT_FOUND
  for (MethodDef& m : mutableDef().methods_)
    if (iequals(m.name, method)) m.qualifiers.put(name, value, flavor);
}

}  // namespace wbem
