#include <wbem/classobject.hpp>
#include <wbem/names.hpp>
#include <wbem/status.hpp>

#include <algorithm>
#include <array>
#include <cassert>
#include <map>
#include <unordered_map>

namespace wbem {

const std::string ClassDef::empty_;

struct ClassDef::Index {
  std::unordered_map<std::string, PropertySlot, NameHash, NameEqual> slots;
};

struct ClassObject::InstanceQualifiers {
  QualifierSet object;
  std::map<std::string, QualifierSet, NameLess> properties;
};

namespace {

// System properties in the order WMI lists them, with their types.
struct SystemProperty {
  std::string_view name;
  PropertyType type;
};
const std::array<SystemProperty, 10>& systemPropertyList() {
  static const std::array<SystemProperty, 10> list{{
      {"__GENUS", scalarType(CimType::SInt32)},
      {"__CLASS", scalarType(CimType::String)},
      {"__SUPERCLASS", scalarType(CimType::String)},
      {"__DYNASTY", scalarType(CimType::String)},
      {"__RELPATH", scalarType(CimType::String)},
      {"__PROPERTY_COUNT", scalarType(CimType::SInt32)},
      {"__DERIVATION", arrayType(CimType::String)},
      {"__SERVER", scalarType(CimType::String)},
      {"__NAMESPACE", scalarType(CimType::String)},
      {"__PATH", scalarType(CimType::String)},
  }};
  return list;
}
const SystemProperty* findSystemProperty(std::string_view name) {
  for (const SystemProperty& p : systemPropertyList())
    if (iequals(p.name, name)) return &p;
  return nullptr;
}

bool isSystemName(std::string_view name) { return name.size() >= 2 && name[0] == '_' && name[1] == '_'; }

// CIM element names: a letter or underscore, then letters, digits, underscores.
void requireIdentifier(std::string_view name, const char* what) {
  auto ok = [](char c, bool first) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || (!first && c >= '0' && c <= '9') ||
           static_cast<unsigned char>(c) >= 0x80;
  };
  bool valid = !name.empty();
  for (std::size_t i = 0; valid && i < name.size(); ++i) valid = ok(name[i], i == 0);
  if (!valid)
    throw Error(WBEM_E_INVALID_PARAMETER, std::string("invalid ") + what + " name '" + std::string(name) + "'");
}

bool valuesEqual(const Value& a, const Value& b, std::int32_t flags);

bool objectsEqual(const ObjectPtr& a, const ObjectPtr& b, std::int32_t flags) {
  if (a == b) return true;
  return a && b && a->compareTo(*b, flags);
}

bool valuesEqual(const Value& a, const Value& b, std::int32_t flags) {
  if (a.type() != b.type() || a.isArray() != b.isArray() || a.isNull() != b.isNull()) return false;
  if (a.isNull()) return true;
  if (a.isArray()) {
    const ValueArray& x = a.asArray();
    const ValueArray& y = b.asArray();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!valuesEqual(x[i], y[i], flags)) return false;
    return true;
  }
  if (a.type() == CimType::Object) return objectsEqual(a.asObject(), b.asObject(), flags);
  if ((flags & WBEM_FLAG_IGNORE_CASE) && a.type() == CimType::String) return iequals(a.asString(), b.asString());
  return a == b;
}

bool qualifiersEqual(const QualifierSet& a, const QualifierSet& b, std::int32_t flags) {
  if (flags & WBEM_FLAG_IGNORE_QUALIFIERS) return true;
  // Not QualifierSet::equals: WBEM_FLAG_IGNORE_CASE applies to qualifier values too, as in WMI.
  if (a.size() != b.size()) return false;
  for (const Qualifier& q : a.all()) {
    const Qualifier* o = b.find(q.name);
    if (!o || !valuesEqual(q.value, o->value, flags) || (!(flags & WBEM_FLAG_IGNORE_FLAVOR) && o->flavor != q.flavor))
      return false;
  }
  return true;
}

// Checks that an embedded object (or each element of an array of them) is of the declared class.
void requireObjectClass(const Value& v, const PropertyDef& p) {
  if (p.type.type != CimType::Object || p.type.className.empty() || v.isNull()) return;
  auto check = [&](const Value& e) {
    if (e.isNull()) return;
    const ClassDef& d = e.asObject()->definition();
    if (!d.inheritsFrom(p.type.className))
      throw Error(WBEM_E_TYPE_MISMATCH,
                  "property " + p.name + " holds " + p.type.className + " objects, not " + d.name());
  };
  if (v.isArray())
    for (const Value& e : v.asArray()) check(e);
  else
    check(v);
}

Value convertFor(const PropertyDef& p, const Value& v) {
  Value converted;
  try {
    converted = v.convertTo(p.type);
  } catch (const Error& e) {
    throw Error(e.status(), "property " + p.name + ": " + e.message());
  }
  requireObjectClass(converted, p);
  return converted;
}

}  // namespace

// --- ClassDef --------------------------------------------------------------------------------------

std::optional<PropertySlot> ClassDef::slotOf(std::string_view name) const noexcept {
  // Most classes are small: a scan that rejects on length first beats hashing a folded name.
  if (properties_.size() <= kScanLimit) {
    for (PropertySlot i = 0; i < properties_.size(); ++i)
      if (iequals(properties_[i].name, name)) return i;
    return std::nullopt;
  }
  auto it = index_->slots.find(name);
  if (it == index_->slots.end()) return std::nullopt;
  return it->second;
}

const MethodDef* ClassDef::findMethod(std::string_view name) const noexcept {
  for (const MethodDef& m : methods_)
    if (iequals(m.name, name)) return &m;
  return nullptr;
}

bool ClassDef::inheritsFrom(std::string_view ancestor) const noexcept {
  if (iequals(name_, ancestor)) return true;
  return std::any_of(derivation_.begin(), derivation_.end(),
                     [&](const std::string& d) { return iequals(d, ancestor); });
}

void ClassDef::rebuildIndex() {
  keySlots_.clear();
  for (PropertySlot i = 0; i < properties_.size(); ++i)
    if (properties_[i].isKey()) keySlots_.push_back(i);
  index_.reset();
  if (properties_.size() <= kScanLimit) return;
  auto index = std::make_shared<Index>();
  for (PropertySlot i = 0; i < properties_.size(); ++i) index->slots.emplace(properties_[i].name, i);
  index_ = std::move(index);
}

void ClassDef::indexAppended() {
  const auto slot = static_cast<PropertySlot>(properties_.size() - 1);
  // An index shared with a copy of this definition (copies share it until they change) must not
  // change under that copy; and the first property past the scan limit needs one built.
  if (properties_.size() > kScanLimit && (!index_ || index_.use_count() != 1)) return rebuildIndex();
  if (properties_[slot].isKey()) keySlots_.push_back(slot);
  if (index_) std::const_pointer_cast<Index>(index_)->slots.emplace(properties_[slot].name, slot);
}

void ClassDef::updateKeySlot(PropertySlot slot) {
  const auto it = std::lower_bound(keySlots_.begin(), keySlots_.end(), slot);
  const bool listed = it != keySlots_.end() && *it == slot;
  if (properties_[slot].isKey() && !listed)
    keySlots_.insert(it, slot);
  else if (!properties_[slot].isKey() && listed)
    keySlots_.erase(it);
}

// --- construction and identity ----------------------------------------------------------------------

ClassObject::ClassObject(std::shared_ptr<ClassDef> def, Genus genus) : def_(std::move(def)), genus_(genus) {}

ClassObject ClassObject::createClass(std::string_view className) {
  requireIdentifier(className, "class");
  auto def = std::make_shared<ClassDef>();
  def->name_ = std::string(className);
  def->rebuildIndex();
  return ClassObject(std::move(def), WBEM_GENUS_CLASS);
}

ClassObject ClassObject::parametersClass() { return createClass(kParametersClass); }

ClassDef& ClassObject::mutableDef() {
  // Copy on write: instances and copies spawned earlier keep the schema they were made with.
  if (def_.use_count() != 1) def_ = std::make_shared<ClassDef>(*def_);
  return *def_;
}

void ClassObject::requireClass(const char* operation) const {
  if (!isClass())
    throw Error(WBEM_E_ILLEGAL_OPERATION,
                std::string(operation) + " is only allowed on a class, and " + className() + " is an instance");
}

bool ClassObject::inheritsFrom(std::string_view ancestor) const noexcept {
  const auto& d = def_->derivation();
  return std::any_of(d.begin(), d.end(), [&](const std::string& n) { return iequals(n, ancestor); });
}

void ClassObject::setOrigin(std::string server, std::string namespacePath) {
  server_ = std::move(server);
  namespace_ = std::move(namespacePath);
}

ClassObject ClassObject::spawnDerivedClass(std::string_view className) const {
  requireClass("SpawnDerivedClass");
  requireIdentifier(className, "class");
  auto def = std::make_shared<ClassDef>();
  def->name_ = std::string(className);
  def->superclass_ = def_;
  def->derivation_.reserve(def_->derivation_.size() + 1);
  def->derivation_.push_back(def_->name_);
  def->derivation_.insert(def->derivation_.end(), def_->derivation_.begin(), def_->derivation_.end());
  def->qualifiers_ = def_->qualifiers_.propagated(false);
  def->properties_ = def_->properties_;
  for (PropertyDef& p : def->properties_) p.qualifiers = p.qualifiers.propagated(false);
  def->methods_ = def_->methods_;
  for (MethodDef& m : def->methods_) m.qualifiers = m.qualifiers.propagated(false);
  def->rebuildIndex();
  return ClassObject(std::move(def), WBEM_GENUS_CLASS);
}

ClassObject ClassObject::spawnInstance() const {
  requireClass("SpawnInstance");
  ClassObject instance(def_, WBEM_GENUS_INSTANCE);
  instance.values_.reserve(def_->properties_.size());
  for (const PropertyDef& p : def_->properties_) instance.values_.push_back(p.defaultValue);
  return instance;
}

ClassObject ClassObject::rebasedOn(const ClassObject& superclass) const {
  requireClass("rebasing");
  ClassObject out = superclass.spawnDerivedClass(className());
  const ClassDef& base = superclass.definition();
  ClassDef& def = out.mutableDef();
  def.qualifiers_ = def_->qualifiers_;
  def.qualifiers_.inheritFrom(base.qualifiers_.propagated(false));
  for (const PropertyDef& p : def_->properties_) {
    const auto slot = def.slotOf(p.name);
    if (!slot) {
      // Declared here, or inherited from a superclass version that no longer has it.
      PropertyDef local = p;
      local.originClass = className();
      QualifierSet own;
      for (const Qualifier& q : p.qualifiers.all())
        if (!q.isPropagated()) own.put(q.name, q.value, q.flavor);
      local.qualifiers = std::move(own);
      def.properties_.push_back(std::move(local));
      def.indexAppended();
      continue;
    }
    PropertyDef& target = def.properties_[*slot];
    if (!(target.type == p.type))
      throw Error(WBEM_E_TYPE_MISMATCH,
                  "property " + p.name + " of " + className() + " does not have the type its superclass declares");
    target.defaultValue = p.defaultValue;
    QualifierSet merged = p.qualifiers;
    merged.inheritFrom(target.qualifiers);
    target.qualifiers = std::move(merged);
  }
  for (const MethodDef& m : def_->methods_) {
    if (iequals(m.originClass, className())) {
      out.putMethod(m.name, m.inSignature.get(), m.outSignature.get(), m.qualifiers);
      continue;
    }
    const MethodDef* inherited = out.definition().findMethod(m.name);
    if (!inherited) continue;  // dropped by the new superclass version
    for (const Qualifier& q : m.qualifiers.all())
      if (!q.isPropagated()) out.putMethodQualifier(m.name, q.name, q.value, q.flavor);
  }
  out.def_->rebuildIndex();
  return out;
}

// --- properties -----------------------------------------------------------------------------------

const Value& ClassObject::get(PropertySlot slot) const noexcept {
  assert(slot < def_->properties_.size());
  return isInstance() ? values_[slot] : def_->properties_[slot].defaultValue;
}

PropertySlot ClassObject::requireSlot(std::string_view name) const {
  if (auto slot = def_->slotOf(name)) return *slot;
  throw Error(WBEM_E_NOT_FOUND, "class " + className() + " has no property " + std::string(name));
}

Value ClassObject::systemProperty(std::string_view name, bool& found) const {
  found = true;
  const auto nullString = Value::null(CimType::String);
  if (iequals(name, "__GENUS")) return Value(static_cast<std::int32_t>(genus_));
  if (iequals(name, "__CLASS")) return Value(className());
  if (iequals(name, "__SUPERCLASS")) return superclassName().empty() ? nullString : Value(superclassName());
  if (iequals(name, "__DYNASTY")) return Value(def_->derivation_.empty() ? className() : def_->derivation_.back());
  if (iequals(name, "__PROPERTY_COUNT")) return Value(static_cast<std::int32_t>(def_->properties_.size()));
  if (iequals(name, "__DERIVATION")) {
    ValueArray names;
    for (const std::string& n : def_->derivation_) names.emplace_back(n);
    return Value(CimType::String, std::move(names));
  }
  if (iequals(name, "__SERVER")) return server_.empty() ? nullString : Value(server_);
  if (iequals(name, "__NAMESPACE")) return namespace_.empty() ? nullString : Value(namespace_);
  if (iequals(name, "__RELPATH") || iequals(name, "__PATH")) {
    auto p = path();
    if (!p) return nullString;
    if (iequals(name, "__RELPATH")) return Value(p->relativePath());
    return (server_.empty() || namespace_.empty()) ? nullString : Value(p->toString());
  }
  found = false;
  return Value();
}

Value ClassObject::get(std::string_view name) const {
  if (isSystemName(name)) {
    bool found = false;
    Value v = systemProperty(name, found);
    if (found) return v;
  }
  return get(requireSlot(name));
}

bool ClassObject::hasProperty(std::string_view name) const noexcept {
  return def_->slotOf(name).has_value() || findSystemProperty(name) != nullptr;
}

PropertyType ClassObject::getPropertyType(std::string_view name) const {
  if (const SystemProperty* s = findSystemProperty(name)) return s->type;
  return def_->properties_[requireSlot(name)].type;
}

void ClassObject::put(std::string_view name, const Value& value) {
  if (isSystemName(name)) {
    if (iequals(name, "__CLASS") && isClass()) {
      const std::string& newName = value.asString();
      requireIdentifier(newName, "class");
      ClassDef& def = mutableDef();
      for (PropertyDef& p : def.properties_)
        if (iequals(p.originClass, def.name_)) p.originClass = newName;
      for (MethodDef& m : def.methods_)
        if (iequals(m.originClass, def.name_)) m.originClass = newName;
      def.name_ = newName;
      return;
    }
    if (findSystemProperty(name))
      throw Error(WBEM_E_READ_ONLY, "system property " + std::string(name) + " is read-only");
    if (isClass())
      throw Error(WBEM_E_INVALID_PARAMETER, "property names beginning with '__' are reserved: " + std::string(name));
  }
  if (auto slot = def_->slotOf(name)) return put(*slot, value);
  if (isInstance()) throw Error(WBEM_E_NOT_FOUND, "class " + className() + " has no property " + std::string(name));
  if (value.type() == CimType::Empty)
    throw Error(WBEM_E_INVALID_PROPERTY_TYPE, "a new property " + std::string(name) + " needs a type; NULL has none");
  putProperty(name, PropertyType{value.type(), value.isArray(), std::nullopt, {}}, value);
}

void ClassObject::put(PropertySlot slot, const Value& value) {
  const PropertyDef& p = def_->properties_.at(slot);
  Value converted = convertFor(p, value);
  if (isInstance())
    values_[slot] = std::move(converted);
  else
    mutableDef().properties_[slot].defaultValue = std::move(converted);
}

void ClassObject::putExact(PropertySlot slot, Value value) noexcept {
  assert(isInstance() && slot < values_.size());
  assert(value.isNull() ||
         (value.type() == def_->properties_[slot].type.type && value.isArray() == def_->properties_[slot].type.array));
  values_[slot] = std::move(value);
}

void ClassObject::putProperty(std::string_view name, const PropertyType& type, const Value& defaultValue) {
  requireClass("declaring a property");
  requireIdentifier(name, "property");
  if (isSystemName(name))
    throw Error(WBEM_E_INVALID_PARAMETER, "property names beginning with '__' are reserved: " + std::string(name));
  if (type.type == CimType::Empty || cimTypeName(type.type).empty())
    throw Error(WBEM_E_INVALID_PROPERTY_TYPE, "property " + std::string(name) + " needs a valid CIM type");
  PropertyDef candidate{std::string(name), type, Value(), {}, className()};
  candidate.defaultValue = convertFor(candidate, defaultValue);

  ClassDef& def = mutableDef();
  if (auto slot = def.slotOf(name)) {
    PropertyDef& existing = def.properties_[*slot];
    if (!iequals(existing.originClass, def.name_) && !(existing.type == type))
      throw Error(WBEM_E_TYPE_MISMATCH, "property " + existing.name + " is inherited from " + existing.originClass +
                                            " as " + std::string(cimTypeName(existing.type.type)) +
                                            " and cannot change its type");
    existing.type = type;
    existing.defaultValue = std::move(candidate.defaultValue);
    return;
  }
  def.properties_.push_back(std::move(candidate));
  def.indexAppended();
}

void ClassObject::remove(std::string_view name) {
  if (findSystemProperty(name))
    throw Error(WBEM_E_SYSTEM_PROPERTY, "system property " + std::string(name) + " cannot be deleted");
  const PropertySlot slot = requireSlot(name);
  if (isInstance()) {
    values_[slot] = def_->properties_[slot].defaultValue;
    return;
  }
  if (!iequals(def_->properties_[slot].originClass, className()))
    throw Error(WBEM_E_PROPAGATED_PROPERTY, "property " + std::string(name) + " is inherited and cannot be deleted");
  ClassDef& def = mutableDef();
  def.properties_.erase(def.properties_.begin() + slot);
  def.rebuildIndex();
}

std::vector<std::string> ClassObject::getNames(std::int32_t flags, std::string_view qualifierName,
                                               const Value& qualifierValue) const {
  const std::int32_t primary = flags & WBEM_MASK_PRIMARY_CONDITION;
  const std::int32_t origin = flags & WBEM_MASK_CONDITION_ORIGIN;
  if ((flags &
       ~(WBEM_MASK_PRIMARY_CONDITION | WBEM_MASK_CONDITION_ORIGIN | WBEM_FLAG_KEYS_ONLY | WBEM_FLAG_REFS_ONLY)) ||
      origin > WBEM_FLAG_NONSYSTEM_ONLY || (primary != WBEM_FLAG_ALWAYS && qualifierName.empty()))
    throw Error(WBEM_E_INVALID_PARAMETER, "invalid GetNames flags " + std::to_string(flags));

  std::vector<std::string> names;
  const bool userOnlyFilter = (flags & (WBEM_FLAG_KEYS_ONLY | WBEM_FLAG_REFS_ONLY)) || primary != WBEM_FLAG_ALWAYS;
  if ((origin == 0 && !userOnlyFilter) || origin == WBEM_FLAG_SYSTEM_ONLY)
    for (const SystemProperty& s : systemPropertyList()) names.emplace_back(s.name);
  if (origin == WBEM_FLAG_SYSTEM_ONLY) return names;

  for (std::size_t i = 0; i < def_->properties_.size(); ++i) {
    const PropertyDef& p = def_->properties_[i];
    const bool local = iequals(p.originClass, className());
    if ((origin == WBEM_FLAG_LOCAL_ONLY && !local) || (origin == WBEM_FLAG_PROPAGATED_ONLY && local)) continue;
    if ((flags & WBEM_FLAG_KEYS_ONLY) && !p.isKey()) continue;
    if ((flags & WBEM_FLAG_REFS_ONLY) && p.type.type != CimType::Reference) continue;
    if (primary != WBEM_FLAG_ALWAYS) {
      const Qualifier* q = p.qualifiers.find(qualifierName);
      if (primary == WBEM_FLAG_ONLY_IF_TRUE && !q) continue;
      if (primary == WBEM_FLAG_ONLY_IF_FALSE && q) continue;
      if (primary == WBEM_FLAG_ONLY_IF_IDENTICAL && !(q && valuesEqual(q->value, qualifierValue, 0))) continue;
    }
    names.push_back(p.name);
  }
  return names;
}

std::string ClassObject::getPropertyOrigin(std::string_view name) const {
  if (findSystemProperty(name)) return "___SYSTEM";
  return def_->properties_[requireSlot(name)].originClass;
}

// --- qualifiers -----------------------------------------------------------------------------------

QualifierSet ClassObject::getQualifierSet() const {
  if (isClass()) return def_->qualifiers_;
  QualifierSet set = def_->qualifiers_.propagated(true);
  if (instanceQualifiers_)
    for (const Qualifier& q : instanceQualifiers_->object.all()) set.put(q.name, q.value, q.flavor);
  return set;
}

bool ClassObject::hasInstanceQualifiers() const noexcept {
  if (!instanceQualifiers_) return false;
  if (!instanceQualifiers_->object.empty()) return true;
  return std::any_of(instanceQualifiers_->properties.begin(), instanceQualifiers_->properties.end(),
                     [](const auto& entry) { return !entry.second.empty(); });
}

void ClassObject::putQualifier(std::string_view name, const Value& value, std::int32_t flavor) {
  if (isClass()) return mutableDef().qualifiers_.put(name, value, flavor);
  getQualifierSet().put(name, value, flavor);  // enforces DisableOverride of class qualifiers
  if (!instanceQualifiers_ || instanceQualifiers_.use_count() != 1)
    instanceQualifiers_ = instanceQualifiers_ ? std::make_shared<InstanceQualifiers>(*instanceQualifiers_)
                                              : std::make_shared<InstanceQualifiers>();
  instanceQualifiers_->object.put(name, value, flavor);
}

void ClassObject::removeQualifier(std::string_view name) {
  if (isClass()) return mutableDef().qualifiers_.remove(name);
  if (!instanceQualifiers_ || !instanceQualifiers_->object.find(name)) {
    getQualifierSet().remove(name);  // reports NOT_FOUND or PROPAGATED_QUALIFIER
    return;
  }
  if (instanceQualifiers_.use_count() != 1)
    instanceQualifiers_ = std::make_shared<InstanceQualifiers>(*instanceQualifiers_);
  instanceQualifiers_->object.remove(name);
}

QualifierSet ClassObject::getPropertyQualifierSet(std::string_view name) const {
  if (findSystemProperty(name))
    throw Error(WBEM_E_SYSTEM_PROPERTY, "system property " + std::string(name) + " has no qualifiers");
  const PropertyDef& p = def_->properties_[requireSlot(name)];
  if (isClass()) return p.qualifiers;
  QualifierSet set = p.qualifiers.propagated(true);
  if (instanceQualifiers_) {
    auto it = instanceQualifiers_->properties.find(p.name);
    if (it != instanceQualifiers_->properties.end())
      for (const Qualifier& q : it->second.all()) set.put(q.name, q.value, q.flavor);
  }
  return set;
}

void ClassObject::putPropertyQualifier(std::string_view property, std::string_view name, const Value& value,
                                       std::int32_t flavor) {
  const PropertySlot slot = requireSlot(property);
  if (isClass()) {
    ClassDef& def = mutableDef();
    def.properties_[slot].qualifiers.put(name, value, flavor);
    if (iequals(name, "key")) def.updateKeySlot(slot);
    return;
  }
  getPropertyQualifierSet(property).put(name, value, flavor);  // enforces DisableOverride
  instanceQualifiers_ = instanceQualifiers_ ? std::make_shared<InstanceQualifiers>(*instanceQualifiers_)
                                            : std::make_shared<InstanceQualifiers>();
  instanceQualifiers_->properties[def_->properties_[slot].name].put(name, value, flavor);
}

void ClassObject::removePropertyQualifier(std::string_view property, std::string_view name) {
  const PropertySlot slot = requireSlot(property);
  if (isClass()) {
    ClassDef& def = mutableDef();
    def.properties_[slot].qualifiers.remove(name);
    if (iequals(name, "key")) def.updateKeySlot(slot);
    return;
  }
  const std::string& propertyName = def_->properties_[slot].name;
  if (!instanceQualifiers_ || !instanceQualifiers_->properties.count(propertyName) ||
      !instanceQualifiers_->properties.at(propertyName).find(name)) {
    getPropertyQualifierSet(property).remove(name);  // reports NOT_FOUND or PROPAGATED_QUALIFIER
    return;
  }
  instanceQualifiers_ = std::make_shared<InstanceQualifiers>(*instanceQualifiers_);
  instanceQualifiers_->properties[propertyName].remove(name);
}

// --- paths and comparison -------------------------------------------------------------------------

std::optional<ObjectPath> ClassObject::path() const {
  std::optional<ObjectPath> p;
  if (isClass()) {
    p = ObjectPath::forClass(className());
  } else if (def_->qualifiers_.isTrue("singleton")) {
    p = ObjectPath::forSingleton(className());
  } else {
    if (def_->keySlots_.empty()) return std::nullopt;
    std::vector<KeyBinding> keys;
    keys.reserve(def_->keySlots_.size());
    for (PropertySlot slot : def_->keySlots_) {
      if (values_[slot].isNull()) return std::nullopt;
      keys.push_back(KeyBinding{def_->properties_[slot].name, values_[slot]});
    }
    p = ObjectPath::forInstance(className(), std::move(keys));
  }
  if (!namespace_.empty()) p->setNamespace(namespace_);
  if (!server_.empty()) p->setServer(server_);
  return p;
}

bool ClassObject::compareTo(const ClassObject& other, std::int32_t flags) const {
  if (genus_ != other.genus_) return false;
  if (!(flags & WBEM_FLAG_IGNORE_OBJECT_SOURCE) &&
      (!iequals(server_, other.server_) || !iequals(namespace_, other.namespace_)))
    return false;
  const ClassDef& a = *def_;
  const ClassDef& b = *other.def_;

  if (isInstance() && (flags & WBEM_FLAG_IGNORE_CLASS)) {
    // Compare the values of properties by name only.
    if (a.properties_.size() != b.properties_.size()) return false;
    for (std::size_t i = 0; i < a.properties_.size(); ++i) {
      auto slot = b.slotOf(a.properties_[i].name);
      if (!slot || !valuesEqual(values_[i], other.values_[*slot], flags)) return false;
    }
    return (flags & WBEM_FLAG_IGNORE_QUALIFIERS) || qualifiersEqual(getQualifierSet(), other.getQualifierSet(), flags);
  }

  if (&a != &b) {
    if (!iequals(a.name_, b.name_) || a.derivation_.size() != b.derivation_.size() ||
        a.properties_.size() != b.properties_.size() || a.methods_.size() != b.methods_.size())
      return false;
    for (std::size_t i = 0; i < a.derivation_.size(); ++i)
      if (!iequals(a.derivation_[i], b.derivation_[i])) return false;
    if (isClass() && !qualifiersEqual(a.qualifiers_, b.qualifiers_, flags)) return false;
    for (std::size_t i = 0; i < a.properties_.size(); ++i) {
      const PropertyDef& p = a.properties_[i];
      const PropertyDef& q = b.properties_[i];
      if (!iequals(p.name, q.name) || !(p.type == q.type) || !iequals(p.originClass, q.originClass)) return false;
      if (isClass() && !(flags & WBEM_FLAG_IGNORE_DEFAULT_VALUES) &&
          !valuesEqual(p.defaultValue, q.defaultValue, flags))
        return false;
      if (isClass() && !qualifiersEqual(p.qualifiers, q.qualifiers, flags)) return false;
    }
    for (std::size_t i = 0; i < a.methods_.size(); ++i) {
      const MethodDef& m = a.methods_[i];
      const MethodDef* n = b.findMethod(m.name);
      if (!n || !iequals(m.originClass, n->originClass) || !objectsEqual(m.inSignature, n->inSignature, flags) ||
          !objectsEqual(m.outSignature, n->outSignature, flags) || !qualifiersEqual(m.qualifiers, n->qualifiers, flags))
        return false;
    }
  }
  if (isClass()) return true;
  for (std::size_t i = 0; i < values_.size(); ++i)
    if (!valuesEqual(values_[i], other.values_[i], flags)) return false;
  if (flags & WBEM_FLAG_IGNORE_QUALIFIERS) return true;
  return instanceQualifiers_ == other.instanceQualifiers_ ||
         qualifiersEqual(getQualifierSet(), other.getQualifierSet(), flags);
}

}  // namespace wbem
