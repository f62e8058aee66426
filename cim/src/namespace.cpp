#include <wbem/namespace.hpp>
#include <wbem/status.hpp>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <mutex>
#include <optional>
#include <unistd.h>
#include <utility>

namespace wbem {

// Tells the observers, once a change call has released the write lock, that its changes are in.
struct Namespace::ChangeGuard {
  const Namespace& ns;
  ~ChangeGuard() {
    const auto observers = ns.observers();
    for (const auto& o : *observers) o->changesApplied(ns);
  }
};
namespace {

// WMI's __SERVER is the machine name.
const std::string& hostName() {
  static const std::string name = [] {
    char buf[HOST_NAME_MAX + 1] = {};
    return ::gethostname(buf, sizeof buf) == 0 ? std::string(buf) : std::string("localhost");
  }();
  return name;
}

bool isSystemClassName(std::string_view name) { return name.size() >= 2 && name[0] == '_' && name[1] == '_'; }

std::vector<ObjectPtr> sortedByName(std::vector<ObjectPtr> classes) {
  std::sort(classes.begin(), classes.end(),
            [](const ObjectPtr& a, const ObjectPtr& b) { return icompare(a->className(), b->className()) < 0; });
  return classes;
}

}  // namespace

Namespace::Namespace(std::string_view name) : name_(normalizeNamespace(name)) {
  if (name_.empty()) throw Error(WBEM_E_INVALID_NAMESPACE, "a namespace needs a name");
  for (const ObjectPtr& cls : systemClasses()) {
    ClassObject copy = *cls;
    copy.setOrigin(hostName(), name_);
    classes_[cls->className()].cls = share(std::move(copy));
  }
}

Namespace::ClassEntry* Namespace::entry(std::string_view name) {
  auto it = classes_.find(name);
  return it == classes_.end() ? nullptr : &it->second;
}

const Namespace::ClassEntry* Namespace::entry(std::string_view name) const {
  auto it = classes_.find(name);
  return it == classes_.end() ? nullptr : &it->second;
}

bool Namespace::hasChildren(std::string_view name) const {
  return std::any_of(classes_.begin(), classes_.end(),
                     [&](const auto& kv) { return iequals(kv.second.cls->superclassName(), name); });
}

ObjectPtr Namespace::findClass(std::string_view name) const {
  std::shared_lock lock(mutex_);
  const ClassEntry* e = entry(name);
  return e ? e->cls : nullptr;
}

std::shared_ptr<const SecurityDescriptor> Namespace::security() const { return security_.load(); }

void Namespace::setSecurity(std::shared_ptr<const SecurityDescriptor> descriptor) {
  security_.store(std::move(descriptor));
}

bool Namespace::grants(const Principal& who, std::uint32_t rights) const {
  const auto descriptor = security_.load();
  return !descriptor || descriptor->grants(who, rights);
}

void Namespace::requireAccess(std::uint32_t rights, std::string_view operation) const {
  const Principal& who = Principal::caller();
  if (grants(who, rights)) return;
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%X", rights);
  throw Error(WBEM_E_ACCESS_DENIED, std::string(operation) + " in namespace " + name_ + " needs the rights " + hex +
                                        ", which its security descriptor does not grant " + who.sid());
}

void Namespace::requireInstanceWrite(std::string_view className, std::string_view operation) const {
  const Principal& who = Principal::caller();
  if (!grants(who, WBEM_FULL_WRITE_REP) && !grants(who, WBEM_PARTIAL_WRITE_REP))
    requireAccess(WBEM_PARTIAL_WRITE_REP, operation);  // throws, naming the lesser right
  if (classInheritsFrom(className, "__Provider") || classInheritsFrom(className, "__ProviderRegistration"))
    requireAccess(WBEM_WRITE_PROVIDER, std::string(operation) + " of a provider registration");
}

void Namespace::requireProviderClaim(const ClassObject& instance, std::string_view operation) const {
  // A registration counts as its provider's: who may not change the one may not change the other.
  ObjectPtr referenced;
  if (instance.definition().inheritsFrom("__ProviderRegistration")) {
    const auto slot = instance.slotOf("provider");
    if (!slot || instance.get(*slot).isNull()) return;
    try {
      referenced = findInstance(ObjectPath::parse(instance.get(*slot).asString()));
    } catch (const Error&) {  // a reference to nothing here protects nothing
    }
    if (!referenced) return;
  }
  const ClassObject& provider = referenced ? *referenced : instance;
  if (!provider.definition().inheritsFrom("__Win32Provider")) return;
  const auto slot = provider.slotOf("SecurityDescriptor");
  const Value sddl = slot ? provider.get(*slot) : Value();
  if (sddl.isNull() || sddl.asString().empty()) return;
  const Principal& who = Principal::caller();
  if (who.admin) return;
  try {
    if (SecurityDescriptor::parse(sddl.asString()).grants(who, WRITE_DAC)) return;
  } catch (const Error&) {  // an unreadable claim is the administrators' to mend
  }
  throw Error(WBEM_E_ACCESS_DENIED, std::string(operation) + " of " + instance.path()->relativePath() +
                                        " needs WRITE_DAC in the SecurityDescriptor of provider " +
                                        provider.path()->relativePath() + " (" + sddl.asString() +
                                        "), which does not grant it to " + who.sid());
}

ObjectPtr Namespace::findInstance(const ObjectPath& path) const {
  const ClassEntry* target = entry(path.className());
  if (!target) throw Error(WBEM_E_INVALID_CLASS, "class " + path.className() + " not found in namespace " + name_);
  const std::string key = instanceKey(path, target->cls->definition());
  // An instance of a subclass is found through its superclass's path too, as in WMI.
  for (const auto& [name, e] : classes_) {
    if (!e.cls->definition().inheritsFrom(path.className())) continue;
    auto it = e.instances.find(key);
    if (it != e.instances.end()) return it->second;
  }
  return nullptr;
}

ObjectPtr Namespace::getClass(std::string_view name) const {
  if (ObjectPtr cls = findClass(name)) return cls;
  throw Error(WBEM_E_NOT_FOUND, "class " + std::string(name) + " not found in namespace " + name_);
}

ObjectPtr Namespace::putClass(const ClassObject& cls, std::int32_t flags) {
  requireAccess(WBEM_FULL_WRITE_REP, "PutClass");
  if (!cls.isClass())
    throw Error(WBEM_E_INVALID_PARAMETER, "PutClass needs a class; " + cls.className() + " is an instance");
  if (flags != WBEM_FLAG_CREATE_OR_UPDATE && flags != WBEM_FLAG_CREATE_ONLY && flags != WBEM_FLAG_UPDATE_ONLY)
    throw Error(WBEM_E_INVALID_PARAMETER, "invalid PutClass flags " + std::to_string(flags));
  const std::string& name = cls.className();
  if (isSystemClassName(name)) throw Error(WBEM_E_ACCESS_DENIED, "system class " + name + " cannot be changed");

  const ChangeGuard applied{*this};  // declared first: runs after the lock is released
  std::unique_lock lock(mutex_);
  ClassEntry* existing = entry(name);
  if (existing && flags == WBEM_FLAG_CREATE_ONLY)
    throw Error(WBEM_E_ALREADY_EXISTS, "class " + name + " already exists");
  if (!existing && flags == WBEM_FLAG_UPDATE_ONLY) throw Error(WBEM_E_NOT_FOUND, "class " + name + " not found");

  ClassObject stored = cls;
  if (!cls.superclassName().empty()) {
    const ClassEntry* super = entry(cls.superclassName());
    if (!super)
      throw Error(WBEM_E_INVALID_SUPERCLASS, "superclass " + cls.superclassName() + " of " + name + " not found");
    if (super->cls->definition().inheritsFrom(name))
      throw Error(WBEM_E_CIRCULAR_REFERENCE, "class " + name + " cannot derive from its own subclass");
    stored = cls.rebasedOn(*super->cls);
  }
  stored.setOrigin(hostName(), name_);
  if (existing) {
    if (existing->cls->compareTo(stored)) return existing->cls;  // unchanged: nothing to do
    if (hasChildren(name))
      throw Error(WBEM_E_CLASS_HAS_CHILDREN, "class " + name + " has subclasses and cannot change");
    if (!existing->instances.empty())
      throw Error(WBEM_E_CLASS_HAS_INSTANCES, "class " + name + " has instances and cannot change");
    ObjectPtr before = std::exchange(existing->cls, share(std::move(stored)));
    for (const auto& o : *observers_) o->classChanged(*this, before, existing->cls);
    return existing->cls;
  }
  ClassEntry& e = classes_[name];
  e.cls = share(std::move(stored));
  for (const auto& o : *observers_) o->classChanged(*this, nullptr, e.cls);
  return e.cls;
}

void Namespace::deleteClass(std::string_view name) {
  requireAccess(WBEM_FULL_WRITE_REP, "DeleteClass");
  if (isSystemClassName(name))
    throw Error(WBEM_E_ACCESS_DENIED, "system class " + std::string(name) + " cannot be deleted");
  const ChangeGuard applied{*this};  // declared first: runs after the lock is released
  std::unique_lock lock(mutex_);
  if (!entry(name)) throw Error(WBEM_E_NOT_FOUND, "class " + std::string(name) + " not found");
  std::erase_if(classes_, [&](const auto& kv) {
    if (!kv.second.cls->definition().inheritsFrom(name)) return false;
    for (const auto& o : *observers_) o->classChanged(*this, kv.second.cls, nullptr);
    return true;
  });
}

std::vector<ObjectPtr> Namespace::enumClasses(std::string_view superclass, bool deep) const {
  requireAccess(WBEM_ENABLE, "enumerating classes");
  std::shared_lock lock(mutex_);
  if (!superclass.empty() && !entry(superclass))
    throw Error(WBEM_E_INVALID_CLASS, "class " + std::string(superclass) + " not found");
  std::vector<ObjectPtr> out;
  for (const auto& [key, e] : classes_) {
    const ClassDef& d = e.cls->definition();
    const bool match = superclass.empty() ? (deep || d.superclassName().empty())
                                          : (deep ? (!iequals(d.name(), superclass) && d.inheritsFrom(superclass))
                                                  : iequals(d.superclassName(), superclass));
    if (match) out.push_back(e.cls);
  }
  return sortedByName(std::move(out));
}

bool Namespace::classInheritsFrom(std::string_view name, std::string_view ancestor) const {
  std::shared_lock lock(mutex_);
  const ClassEntry* e = entry(name);
  return e && entry(ancestor) && e->cls->definition().inheritsFrom(ancestor);
}

std::string Namespace::instanceKey(const ObjectPath& path, const ClassDef& cls) const {
  // Instances are stored under their class, keyed by the key part of the canonical relative path:
  // keys named as the class spells them (an unnamed key is the class's single key), sorted, and
  // their values converted to the key properties' types, however the caller's path wrote them.
  if (path.isSingleton() || path.keys().empty()) return path.isSingleton() ? "=@" : std::string();
  std::vector<KeyBinding> keys;
  for (const KeyBinding& k : path.keys()) {
    std::optional<PropertySlot> slot =
        k.name.empty() && cls.keySlots().size() == 1 ? std::optional(cls.keySlots().front()) : cls.slotOf(k.name);
    if (!slot || !cls.properties()[*slot].isKey()) {
      keys.push_back(k);
      continue;
    }
    const PropertyDef& p = cls.properties()[*slot];
    Value value = k.value;
    try {
      value = k.value.convertTo(p.type);
    } catch (const Error&) {
      // Left as written: it cannot equal any stored key, so the lookup reports WBEM_E_NOT_FOUND.
    }
    keys.push_back(KeyBinding{p.name, std::move(value)});
  }
  const std::string rel = ObjectPath::forInstance(cls.name(), std::move(keys)).relativePath();
  return rel.substr(rel.find('.'));
}

ObjectPath Namespace::putInstance(const ClassObject& original, std::int32_t flags) {
  requireInstanceWrite(original.className(), "PutInstance");
  // Observers may complete or refuse the instance before anything is locked or stored.
  const auto checkers = observers();
  std::optional<ClassObject> checked;
  if (original.isInstance() && !checkers->empty()) {
    checked = original;
    for (const auto& o : *checkers) o->checkInstance(*this, *checked);
  }
  const ClassObject& instance = checked ? *checked : original;
  if (!instance.isInstance())
    throw Error(WBEM_E_INVALID_PARAMETER, "PutInstance needs an instance; " + instance.className() + " is a class");
  if (flags != WBEM_FLAG_CREATE_OR_UPDATE && flags != WBEM_FLAG_CREATE_ONLY && flags != WBEM_FLAG_UPDATE_ONLY)
    throw Error(WBEM_E_INVALID_PARAMETER, "invalid PutInstance flags " + std::to_string(flags));

  const ChangeGuard applied{*this};  // declared first: runs after the lock is released
  std::unique_lock lock(mutex_);
  ClassEntry* e = entry(instance.className());
  if (!e) throw Error(WBEM_E_INVALID_CLASS, "class " + instance.className() + " not found in namespace " + name_);
  const ClassObject& cls = *e->cls;
  if (cls.definition().qualifiers().isTrue("abstract"))
    throw Error(WBEM_E_INVALID_OPERATION, "class " + cls.className() + " is abstract and cannot have instances");

  // Re-express the instance on the stored class, so every stored instance shares its schema.
  ClassObject stored = cls.spawnInstance();
  for (const PropertyDef& p : instance.definition().properties()) {
    const auto slot = stored.slotOf(p.name);
    if (!slot) throw Error(WBEM_E_INVALID_PROPERTY, "class " + cls.className() + " has no property " + p.name);
    stored.put(*slot, instance.get(*instance.slotOf(p.name)));
  }
  const QualifierSet qualifiers = instance.getQualifierSet();
  for (const Qualifier& q : qualifiers.all())
    if (!q.isPropagated()) stored.putQualifier(q.name, q.value, q.flavor);

  const auto path = stored.path();
  if (!path) {
    if (cls.definition().keySlots().empty())
      throw Error(WBEM_E_NO_KEY, "class " + cls.className() + " has no key, so its instances cannot be stored");
    for (PropertySlot slot : cls.definition().keySlots())
      if (stored.get(slot).isNull())
        throw Error(WBEM_E_ILLEGAL_NULL, "key property " + cls.definition().properties()[slot].name + " of " +
                                             cls.className() + " is not set");
  }
  const std::string key = instanceKey(*path, cls.definition());
  const auto existing = e->instances.find(key);
  const bool exists = existing != e->instances.end();
  if (exists) requireProviderClaim(*existing->second, "PutInstance");
  if (cls.definition().inheritsFrom("__ProviderRegistration")) requireProviderClaim(stored, "PutInstance");
  if (exists && flags == WBEM_FLAG_CREATE_ONLY)
    throw Error(WBEM_E_ALREADY_EXISTS, "instance " + path->relativePath() + " already exists");
  if (!exists && flags == WBEM_FLAG_UPDATE_ONLY)
    throw Error(WBEM_E_NOT_FOUND, "instance " + path->relativePath() + " not found");
  stored.setOrigin(hostName(), name_);
  ObjectPtr& slot = e->instances[key];
  ObjectPtr before = std::exchange(slot, share(std::move(stored)));
  for (const auto& o : *observers_) o->instanceChanged(*this, before, slot);
  ObjectPath full = *path;
  full.setNamespace(name_);
  full.setServer(hostName());
  return full;
}

ObjectPtr Namespace::getInstance(const ObjectPath& path) const {
  requireAccess(WBEM_ENABLE, "reading an instance");
  std::shared_lock lock(mutex_);
  if (ObjectPtr found = findInstance(path)) return found;
  throw Error(WBEM_E_NOT_FOUND, "instance " + path.relativePath() + " not found");
}

void Namespace::deleteInstance(const ObjectPath& path) {
  requireInstanceWrite(path.className(), "DeleteInstance");
  const ChangeGuard applied{*this};  // declared first: runs after the lock is released
  std::unique_lock lock(mutex_);
  const ClassEntry* target = entry(path.className());
  if (!target) throw Error(WBEM_E_INVALID_CLASS, "class " + path.className() + " not found in namespace " + name_);
  const std::string key = instanceKey(path, target->cls->definition());
  for (auto& [name, e] : classes_) {
    if (!e.cls->definition().inheritsFrom(path.className())) continue;
    auto it = e.instances.find(key);
    if (it == e.instances.end()) continue;
    requireProviderClaim(*it->second, "DeleteInstance");
    ObjectPtr before = std::move(it->second);
    e.instances.erase(it);
    for (const auto& o : *observers_) o->instanceChanged(*this, before, nullptr);
    return;
  }
  throw Error(WBEM_E_NOT_FOUND, "instance " + path.relativePath() + " not found");
}

std::vector<ObjectPtr> Namespace::enumInstances(std::string_view className, bool deep) const {
  requireAccess(WBEM_ENABLE, "enumerating instances");
  std::shared_lock lock(mutex_);
  if (!entry(className)) throw Error(WBEM_E_INVALID_CLASS, "class " + std::string(className) + " not found");
  std::vector<ObjectPtr> out;
  for (const auto& [name, e] : classes_) {
    const ClassDef& d = e.cls->definition();
    if (deep ? !d.inheritsFrom(className) : !iequals(d.name(), className)) continue;
    for (const auto& [key, inst] : e.instances) out.push_back(inst);
  }
  return out;
}

std::shared_ptr<const Namespace::Observers> Namespace::observers() const {
  std::shared_lock lock(mutex_);
  return observers_;
}

void Namespace::addObserver(std::shared_ptr<NamespaceObserver> observer) {
  if (!observer) throw Error(WBEM_E_INVALID_PARAMETER, "a namespace observer cannot be null");
  std::unique_lock lock(mutex_);
  auto next = std::make_shared<Observers>(*observers_);
  next->push_back(std::move(observer));
  observers_ = std::move(next);
}

void Namespace::removeObserver(const NamespaceObserver* observer) {
  std::unique_lock lock(mutex_);
  auto next = std::make_shared<Observers>(*observers_);
  std::erase_if(*next, [observer](const auto& o) { return o.get() == observer; });
  observers_ = std::move(next);
}

void Namespace::registerMethodProvider(std::string_view providerName, std::shared_ptr<MethodProvider> provider) {
  if (providerName.empty() || !provider)
    throw Error(WBEM_E_INVALID_PARAMETER, "a method provider needs a name and an object");
  std::unique_lock lock(mutex_);
  methodProviders_[std::string(providerName)] = std::move(provider);
}

void Namespace::unregisterMethodProvider(std::string_view providerName) {
  std::unique_lock lock(mutex_);
  if (!methodProviders_.erase(std::string(providerName)))
    throw Error(WBEM_E_NOT_FOUND, "no method provider " + std::string(providerName));
}

ClassObject Namespace::execMethod(const ObjectPath& target, std::string_view method, const ClassObject* inParameters) {
  requireAccess(WBEM_METHOD_EXECUTE, "ExecMethod");
  ObjectPtr cls;
  std::string implementingClass;
  std::shared_ptr<MethodProvider> provider;
  {
    std::shared_lock lock(mutex_);
    const ClassEntry* e = entry(target.className());
    if (!e) throw Error(WBEM_E_INVALID_CLASS, "class " + target.className() + " not found in namespace " + name_);
    cls = e->cls;
    const MethodDef* m = cls->definition().findMethod(method);
    if (!m) throw Error(WBEM_E_INVALID_METHOD, "class " + cls->className() + " has no method " + std::string(method));
    if (m->qualifiers.isTrue("disabled"))
      throw Error(WBEM_E_METHOD_DISABLED, "method " + m->name + " of " + cls->className() + " is disabled");
    if (target.isClass() && !m->qualifiers.isTrue("static"))
      throw Error(WBEM_E_INVALID_METHOD, "method " + m->name + " is not static: call it on an instance path");

    // The nearest class in the chain that declares the method [Implemented] runs it.
    std::vector<std::string> chain{cls->className()};
    chain.insert(chain.end(), cls->definition().derivation().begin(), cls->definition().derivation().end());
    for (const std::string& name : chain) {
      const ClassEntry* c = entry(name);
      const MethodDef* cm = c ? c->cls->definition().findMethod(method) : nullptr;
      const Qualifier* impl = cm ? cm->qualifiers.find("Implemented") : nullptr;
      if (impl && !impl->isPropagated() && cm->qualifiers.isTrue("Implemented")) {
        implementingClass = c->cls->className();
        const Value providerName = c->cls->definition().qualifiers().get("Provider");
        if (providerName.type() != CimType::String || providerName.isNull())
          throw Error(WBEM_E_PROVIDER_NOT_FOUND,
                      "class " + implementingClass + " implements " + m->name + " but names no Provider");
        auto it = methodProviders_.find(providerName.asString());
        if (it == methodProviders_.end())
          throw Error(WBEM_E_PROVIDER_NOT_FOUND, "method provider " + providerName.asString() + " is not registered");
        provider = it->second;
        break;
      }
    }
    if (!provider)
      throw Error(WBEM_E_METHOD_NOT_IMPLEMENTED, "method " + m->name + " of " + cls->className() +
                                                     " is not [Implemented] by the class or any superclass");
  }

  // Check the in-parameters against the signature.
  const MethodDef& m = cls->getMethod(method);
  ClassObject in = (m.inSignature ? *m.inSignature : ClassObject::parametersClass()).spawnInstance();
  if (inParameters) {
    for (const PropertyDef& p : inParameters->definition().properties()) {
      const Value& v = inParameters->get(*inParameters->slotOf(p.name));
      const auto slot = in.slotOf(p.name);
      if (!slot) {
        if (v.isNull()) continue;
        throw Error(WBEM_E_INVALID_METHOD_PARAMETERS, "method " + m.name + " has no in-parameter " + p.name);
      }
      try {
        in.put(*slot, v);
      } catch (const Error& err) {
        throw Error(WBEM_E_INVALID_METHOD_PARAMETERS, "method " + m.name + ": " + err.message());
      }
    }
  }
  for (const PropertyDef& p : in.definition().properties()) {
    if (in.get(*in.slotOf(p.name)).isNull() && !p.qualifiers.isTrue("Optional"))
      throw Error(WBEM_E_INVALID_METHOD_PARAMETERS, "method " + m.name + ": in-parameter " + p.name + " is missing");
  }

  ClassObject out = (m.outSignature ? *m.outSignature : ClassObject::parametersClass()).spawnInstance();
  try {
    provider->execMethod(MethodCall{target, m.name, implementingClass, in}, out);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& ex) {
    throw Error(WBEM_E_PROVIDER_FAILURE, "method " + m.name + " failed in its provider: " + ex.what());
  }
  return out;
}

}  // namespace wbem
