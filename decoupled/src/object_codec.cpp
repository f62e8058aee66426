// The object codec of the daemon protocol: class records sent once per connection, then objects as
// slot-ordered values (the layout is in wire.hpp). The decoder rebuilds classes through the object
// model's public API (createClass / spawnDerivedClass, then the local declarations), so a class
// record can only ever produce a class the API itself could build.
#include <wbem/names.hpp>
#include <wbem/status.hpp>
#include <wbem/wire.hpp>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "msgpack_input.hpp"

namespace wbem::wire {
namespace {

using detail::arrayOf;
using detail::booleanOf;
using detail::invalidStream;
using detail::isNil;
using detail::kindName;
using detail::stringOf;
using detail::unsignedOf;

constexpr std::uint32_t kMaxU32 = std::numeric_limits<std::uint32_t>::max();

// How a class record describes a method (the Method kind field).
enum MethodKind : std::uint8_t {
  kDeclaredHere = 0,  // putMethod on the rebuilt class
  kInherited = 1,     // as the superclass has it; only its own qualifiers follow
  kRedeclared = 2,    // inherited, its signatures restated (putMethod over the inherited one)
};

bool isCimType(CimType t) noexcept { return t != CimType::Empty && !cimTypeName(t).empty(); }

bool hasType(const Value& v, const PropertyType& t) noexcept { return v.type() == t.type && v.isArray() == t.array; }

std::string typeText(CimType type, bool array) {
  const std::string_view name = cimTypeName(type);
  return (name.empty() ? std::string("untyped") : std::string(name)) + (array ? "[]" : "");
}

[[noreturn]] void typeMismatch(std::string message) { throw Error(WBEM_E_TYPE_MISMATCH, std::move(message)); }

[[noreturn]] void quota(std::string message) { throw Error(WBEM_E_QUOTA_VIOLATION, std::move(message)); }

// Runs `f`; an Error it throws gets `context()` put before its message (built only then).
template <typename F, typename Context>
decltype(auto) inContext(Context&& context, F&& f) {
  try {
    return f();
  } catch (const Error& e) {
    throw Error(e.status(), context() + ": " + e.message());
  }
}

std::size_t localCount(const QualifierSet& set) noexcept {
  std::size_t n = 0;
  for (const Qualifier& q : set.all()) n += !q.isPropagated();
  return n;
}

// The elements of array `o`: at least `min` (else WBEM_E_INVALID_STREAM), at most the limit `max`
// (else WBEM_E_QUOTA_VIOLATION).
std::span<const msgpack::object> limitedArray(const msgpack::object& o, std::size_t min, std::size_t max,
                                              std::string_view what) {
  const auto elements = arrayOf(o, min, kMaxU32, what);
  if (elements.size() > max)
    quota(std::string(what) + ": " + std::to_string(elements.size()) + " exceed the limit of " + std::to_string(max));
  return elements;
}

const MethodDef* inheritedMethod(const ClassDef* superclass, std::string_view name) noexcept {
  return superclass ? superclass->findMethod(name) : nullptr;
}

}  // namespace

// --- encoder --------------------------------------------------------------------------------------

struct ObjectEncoder::State {
  struct Entry {
    std::shared_ptr<const ClassDef> def;  // keeps the address a unique key while it is remembered
    std::uint32_t id = 0;
    bool ready = false;       // false while its dependencies are being planned
    bool hasObjects = false;  // some property is an embedded object (or array of them)
  };

  ObjectLimits limits;
  std::unordered_map<const ClassDef*, Entry> classes;
  std::uint32_t committed = 0;           // classes the peer has been sent
  std::vector<const ClassDef*> pending;  // planned by the current encode, in id order

  // --- planning: which class records the object needs, and every check, before packing anything

  void plan(const ClassObject& object) {
    try {
      planObject(object, 1);
    } catch (...) {
      rollback();
      throw;
    }
  }

  void rollback() noexcept {
    for (const ClassDef* def : pending) classes.erase(def);
    pending.clear();
  }

  void commit() noexcept {
    committed += static_cast<std::uint32_t>(pending.size());
    pending.clear();
  }

  std::uint32_t idOf(const ClassDef* def) const { return classes.at(def).id; }

  // Plans the qualifiers of `set` that are sent (its own ones, or `all`) for an element of an
  // object of depth `depth` (0 in a class record).
  void planQualifiers(const QualifierSet& set, bool all, std::uint32_t depth) {
    const std::size_t count = all ? set.size() : localCount(set);
    if (count > limits.maxQualifiers)
      quota(std::to_string(count) + " qualifiers in one set exceed the limit of " +
            std::to_string(limits.maxQualifiers));
    for (const Qualifier& q : set.all())
      if (all || !q.isPropagated()) planValue(q.value, depth);
  }

  void planObject(const ClassObject& object, std::uint32_t depth) {
    if (depth > limits.maxDepth)
      quota("embedded objects nested deeper than the limit of " + std::to_string(limits.maxDepth));
    const ClassDef* def = &object.definition();
    auto found = classes.find(def);
    const Entry& entry =
        found != classes.end() && found->second.ready ? found->second : planClass(object.sharedDefinition());
    if (!object.isInstance()) return;
    const auto& properties = def->properties();
    if (entry.hasObjects)
      for (PropertySlot slot = 0; slot < properties.size(); ++slot)
        if (properties[slot].type.type == CimType::Object) planValue(object.get(slot), depth);
    if (object.hasInstanceQualifiers()) {
      planQualifiers(object.getQualifierSet(), false, depth);
      for (const PropertyDef& p : properties) planQualifiers(object.getPropertyQualifierSet(p.name), false, depth);
    }
  }

  // Plans the embedded objects of `value`, which sits in an object of depth `depth`.
  void planValue(const Value& value, std::uint32_t depth) {
    if (value.type() != CimType::Object || value.isNull()) return;
    if (!value.isArray()) return planObject(*value.asObject(), depth + 1);
    for (const Value& e : value.asArray())
      if (!e.isNull()) planObject(*e.asObject(), depth + 1);
  }

  const Entry& planClass(const std::shared_ptr<const ClassDef>& def) {
    auto [it, inserted] = classes.try_emplace(def.get());
    Entry& entry = it->second;  // stays valid while the map grows (nodes do not move)
    if (!inserted) {
      if (entry.ready) return entry;
      throw Error(WBEM_E_CIRCULAR_REFERENCE, "class " + def->name() + " depends on itself");
    }
    entry.def = def;
    try {
      inContext([&] { return "class " + def->name(); }, [&] { planClassBody(*def); });
      if (committed + pending.size() >= limits.maxClasses)
        quota("more than " + std::to_string(limits.maxClasses) + " classes on one connection");
    } catch (...) {
      classes.erase(def.get());  // not ready, so not in `pending`: rollback() would miss it
      throw;
    }
    entry.id = committed + static_cast<std::uint32_t>(pending.size());
    entry.ready = true;
    pending.push_back(def.get());
    return entry;
  }

  // Checks that the class can be rebuilt the way the decoder does it, and plans its dependencies.
  void planClassBody(const ClassDef& def) {
    const ClassDef* superclass = def.superclass().get();
    const auto& properties = def.properties();
    if (properties.size() > limits.maxProperties)
      quota(std::to_string(properties.size()) + " properties exceed the limit of " +
            std::to_string(limits.maxProperties));
    if (def.methods().size() > limits.maxMethods)
      quota(std::to_string(def.methods().size()) + " methods exceed the limit of " + std::to_string(limits.maxMethods));
    const auto cannot = [&](const std::string& why) { throw Error(WBEM_E_INVALID_CLASS, "cannot be sent: " + why); };
    std::size_t inherited = 0;
    if (superclass) {
      planClass(def.superclass());
      inherited = superclass->properties().size();
      const auto& d = def.derivation();
      if (d.size() != superclass->derivation().size() + 1 || !iequals(d.front(), superclass->name()) ||
          !std::equal(d.begin() + 1, d.end(), superclass->derivation().begin(),
                      [](const std::string& a, const std::string& b) { return iequals(a, b); }))
        cannot("its derivation does not follow its superclass " + superclass->name());
    } else if (!def.derivation().empty()) {
      cannot("it has a derivation but no superclass definition");
    }
    if (properties.size() < inherited) cannot("it has fewer properties than its superclass");
    planQualifiers(def.qualifiers(), false, 0);
    bool hasObjects = false;
    for (std::size_t i = 0; i < properties.size(); ++i) {
      const PropertyDef& p = properties[i];
      const std::string& origin = i < inherited ? superclass->properties()[i].originClass : def.name();
      if (!iequals(p.originClass, origin) || (i < inherited && !iequals(p.name, superclass->properties()[i].name)))
        cannot("property " + p.name + " does not come from where its slot says");
      if (!isCimType(p.type.type)) cannot("property " + p.name + " has no valid type");
      hasObjects = hasObjects || p.type.type == CimType::Object;
      planValue(p.defaultValue, 0);
      planQualifiers(p.qualifiers, false, 0);
    }
    for (const MethodDef& m : def.methods()) {
      const bool here = iequals(m.originClass, def.name());
      const MethodDef* base = inheritedMethod(superclass, m.name);
      if (!here && !(base && iequals(base->originClass, m.originClass)))
        cannot("method " + m.name + " comes from " + m.originClass + ", which its superclass does not say");
      if (here && base) cannot("method " + m.name + " is both inherited and declared here");
      planQualifiers(m.qualifiers, here, 0);
      for (const ObjectPtr& signature : {m.inSignature, m.outSignature})
        if (signature) planObject(*signature, 1);
    }
    classes.at(&def).hasObjects = hasObjects;
  }

  // --- packing

  static void packString(Packer& p, std::string_view s) {
    if (s.size() > kMaxU32) quota("a string of " + std::to_string(s.size()) + " bytes is too long to send");
    p.pack_str(static_cast<std::uint32_t>(s.size()));
    p.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
  }

  void packRecord(Packer& p, const ClassObject& object) {
    p.pack_array(2);
    p.pack_array(static_cast<std::uint32_t>(pending.size()));
    for (const ClassDef* def : pending) packClass(p, *def);
    packObject(p, object);
  }

  void packType(Packer& p, const PropertyType& t) {
    p.pack_array(3);
    p.pack_uint16(t.cimtype());
    packString(p, t.className);
    if (t.arraySize)
      p.pack_uint32(*t.arraySize);
    else
      p.pack_nil();
  }

  // The qualifiers of `set`: its own ones, or all (with origin bits cleared) when `all`.
  void packQualifiers(Packer& p, const QualifierSet& set, bool all) {
    p.pack_array(static_cast<std::uint32_t>(all ? set.size() : localCount(set)));
    for (const Qualifier& q : set.all()) {
      if (!all && q.isPropagated()) continue;
      p.pack_array(3);
      packString(p, q.name);
      packTagged(p, q.value);
      p.pack_uint32(static_cast<std::uint32_t>(q.flavor & ~WBEM_FLAVOR_MASK_ORIGIN));
    }
  }

  void packClass(Packer& p, const ClassDef& def) {
    const ClassDef* superclass = def.superclass().get();
    p.pack_array(6);
    p.pack_uint32(idOf(&def));
    packString(p, def.name());
    if (superclass)
      p.pack_uint32(idOf(superclass));
    else
      p.pack_nil();
    packQualifiers(p, def.qualifiers(), false);
    p.pack_array(static_cast<std::uint32_t>(def.properties().size()));
    for (const PropertyDef& prop : def.properties()) {
      p.pack_array(4);
      packString(p, prop.name);
      packType(p, prop.type);
      inContext([&] { return "class " + def.name() + " property " + prop.name; },
                [&] { packSlotValue(p, prop.defaultValue, prop.type); });
      packQualifiers(p, prop.qualifiers, false);
    }
    p.pack_array(static_cast<std::uint32_t>(def.methods().size()));
    for (const MethodDef& m : def.methods()) {
      const MethodDef* base = inheritedMethod(superclass, m.name);
      const MethodKind kind = !base ? kDeclaredHere
                              : base->inSignature == m.inSignature && base->outSignature == m.outSignature
                                  ? kInherited
                                  : kRedeclared;
      p.pack_array(5);
      packString(p, m.name);
      p.pack_uint8(kind);
      for (const ObjectPtr& signature : {m.inSignature, m.outSignature}) {
        if (signature && kind != kInherited)
          packObject(p, *signature);
        else
          p.pack_nil();
      }
      packQualifiers(p, m.qualifiers, kind == kDeclaredHere);
    }
  }

  void packObject(Packer& p, const ClassObject& object) {
    const ClassDef& def = object.definition();
    const bool instance = object.isInstance();
    const bool origin = !object.server().empty() || !object.namespacePath().empty();
    const bool qualifiers = instance && object.hasInstanceQualifiers();
    p.pack_array(qualifiers ? 7 : origin ? 5 : instance ? 3 : 2);
    p.pack_uint8(static_cast<std::uint8_t>(object.genus()));
    p.pack_uint32(idOf(&def));
    if (!qualifiers && !origin && !instance) return;
    if (instance) {
      const auto& properties = def.properties();
      p.pack_array(static_cast<std::uint32_t>(properties.size()));
      for (PropertySlot slot = 0; slot < properties.size(); ++slot)
        inContext([&] { return "instance of " + def.name() + " property " + properties[slot].name; },
                  [&] { packSlotValue(p, object.get(slot), properties[slot].type); });
    } else {
      p.pack_nil();
    }
    if (!qualifiers && !origin) return;
    for (const std::string* s : {&object.server(), &object.namespacePath()}) {
      if (s->empty())
        p.pack_nil();
      else
        packString(p, *s);
    }
    if (!qualifiers) return;
    packQualifiers(p, object.getQualifierSet(), false);
    std::vector<std::pair<PropertySlot, QualifierSet>> own;
    for (PropertySlot slot = 0; slot < def.properties().size(); ++slot) {
      QualifierSet set = object.getPropertyQualifierSet(def.properties()[slot].name);
      if (localCount(set) > 0) own.emplace_back(slot, std::move(set));
    }
    p.pack_array(static_cast<std::uint32_t>(own.size()));
    for (const auto& [slot, set] : own) {
      p.pack_array(2);
      p.pack_uint32(slot);
      packQualifiers(p, set, false);
    }
  }

  // A value in the place of a property of type `type`: in that type's form, or tagged for a NULL
  // of another type. A non-NULL value of another type breaks putExact()'s contract: refused.
  void packSlotValue(Packer& p, const Value& v, const PropertyType& type) {
    if (v.isNull()) {
      if (hasType(v, type))
        p.pack_nil();
      else
        packTagged(p, v);
      return;
    }
    if (!hasType(v, type))
      typeMismatch("holds a " + typeText(v.type(), v.isArray()) + " value, not " + typeText(type.type, type.array));
    if (type.array && type.arraySize && v.asArray().size() > *type.arraySize)
      typeMismatch(std::to_string(v.asArray().size()) + " elements exceed the array size " +
                   std::to_string(*type.arraySize));
    if (type.type == CimType::Object && !type.className.empty()) {
      const auto check = [&](const Value& e) {
        if (!e.isNull() && !e.asObject()->definition().inheritsFrom(type.className))
          typeMismatch("holds an object of class " + e.asObject()->className() + ", not " + type.className);
      };
      if (v.isArray())
        for (const Value& e : v.asArray()) check(e);
      else
        check(v);
    }
    packPlain(p, v);
  }

  void packTagged(Packer& p, const Value& v) {
    p.pack_map(1);
    p.pack_uint16(v.cimtype());
    packPlain(p, v);
  }

  // A value in the form of its own type.
  void packPlain(Packer& p, const Value& v) {
    if (v.isNull()) {
      p.pack_nil();
      return;
    }
    if (v.isArray()) {
      const ValueArray& elements = v.asArray();
      if (elements.size() > kMaxU32) quota("an array of " + std::to_string(elements.size()) + " elements is too long");
      const auto n = static_cast<std::uint32_t>(elements.size());
      if (v.type() == CimType::UInt8 &&
          std::none_of(elements.begin(), elements.end(), [](const Value& e) { return e.isNull(); })) {
        // Bytes as bin: one byte each instead of one to two, and one msgpack value for the decoder.
        std::string bytes(n, '\0');
        for (std::uint32_t i = 0; i < n; ++i) bytes[i] = static_cast<char>(elements[i].asUInt64());
        p.pack_bin(n);
        p.pack_bin_body(bytes.data(), n);
        return;
      }
      p.pack_array(n);
      for (const Value& e : elements) packPlain(p, e);
      return;
    }
    switch (v.type()) {
      case CimType::SInt8:
      case CimType::SInt16:
      case CimType::SInt32:
      case CimType::SInt64:
        p.pack_int64(v.asInt64());
        return;
      case CimType::UInt8:
      case CimType::UInt16:
      case CimType::UInt32:
      case CimType::UInt64:
      case CimType::Char16:
        p.pack_uint64(v.asUInt64());
        return;
      // Reals go as the unsigned integer of their IEEE 754 bits: exact for every value, where
      // msgpack-c 4's pack_float/pack_double turn integral values into integers (losing -0.0, and
      // converting 2^64 to uint64 with undefined behaviour).
      case CimType::Real32:
        p.pack_uint32(std::bit_cast<std::uint32_t>(static_cast<float>(v.asReal())));
        return;
      case CimType::Real64:
        p.pack_uint64(std::bit_cast<std::uint64_t>(v.asReal()));
        return;
      case CimType::Boolean:
        if (v.asBool())
          p.pack_true();
        else
          p.pack_false();
        return;
      case CimType::String:
      case CimType::Reference:
        return packString(p, v.asString());
      case CimType::DateTime:
        return packString(p, v.asDateTime().toString());
      case CimType::Object:
        return packObject(p, *v.asObject());
      case CimType::Empty:
        break;
    }
    typeMismatch("a value of type " + typeText(v.type(), false) + " cannot be sent");
  }
};

ObjectEncoder::ObjectEncoder(ObjectLimits limits) : state_(std::make_unique<State>()) { state_->limits = limits; }
ObjectEncoder::~ObjectEncoder() = default;
ObjectEncoder::ObjectEncoder(ObjectEncoder&&) noexcept = default;
ObjectEncoder& ObjectEncoder::operator=(ObjectEncoder&&) noexcept = default;

void ObjectEncoder::encode(Packer& packer, const ClassObject& object) {
  State& s = *state_;
  s.plan(object);
  try {
    s.packRecord(packer, object);
  } catch (...) {
    s.rollback();
    throw;
  }
  s.commit();
}

void ObjectEncoder::encode(const ClassObject& object, Bytes& out) {
  const std::size_t size = out.size();
  ByteSink sink(out);
  Packer packer(sink);
  try {
    encode(packer, object);
  } catch (...) {
    out.resize(size);
    throw;
  }
}

Bytes ObjectEncoder::encode(const ClassObject& object) {
  Bytes out;
  encode(object, out);
  return out;
}

std::size_t ObjectEncoder::classCount() const noexcept { return state_->committed; }

// --- decoder --------------------------------------------------------------------------------------

struct ObjectDecoder::State {
  ObjectLimits limits;
  std::vector<ClassObject> classes;  // by id: every class the peer defined, as a class object

  ClassObject readRecord(const msgpack::object& record) {
    const auto fields = arrayOf(record, 2, 2, "object record");
    for (const msgpack::object& c : limitedArray(fields[0], 0, limits.maxClasses, "class records")) readClass(c);
    return readObject(fields[1], 1);
  }

  const ClassObject& classFor(const msgpack::object& o) const {
    const std::uint64_t id = unsignedOf(o, kMaxU32, "class id");
    if (id >= classes.size())
      throw Error(WBEM_E_INVALID_CLASS, "unknown class id " + std::to_string(id) + " (" +
                                            std::to_string(classes.size()) +
                                            " classes are defined on this connection)");
    return classes[id];
  }

  void readClass(const msgpack::object& record) {
    const auto fields = arrayOf(record, 6, 6, "class record");
    if (classes.size() >= limits.maxClasses)
      quota("more than " + std::to_string(limits.maxClasses) + " classes on one connection");
    const std::uint64_t id = unsignedOf(fields[0], kMaxU32, "class record id");
    if (id != classes.size())
      invalidStream("class record id " + std::to_string(id) + " out of order: the next id is " +
                    std::to_string(classes.size()));
    const std::string_view name = stringOf(fields[1], "class name");
    inContext([&] { return "class record " + std::to_string(id) + " (" + std::string(name) + ")"; },
              [&] { classes.push_back(buildClass(name, fields)); });
  }

  ClassObject buildClass(std::string_view name, std::span<const msgpack::object> fields) {
    ClassObject cls = isNil(fields[2]) ? ClassObject::createClass(name) : classFor(fields[2]).spawnDerivedClass(name);
    const std::size_t inherited = cls.definition().properties().size();
    const auto properties = limitedArray(fields[4], inherited, limits.maxProperties, "properties");
    for (std::size_t i = 0; i < properties.size(); ++i) {
      const auto slot = static_cast<PropertySlot>(i);
      const auto prop = arrayOf(properties[i], 4, 4, "property");
      const std::string_view propName = stringOf(prop[0], "property name");
      inContext([&] { return "property " + std::to_string(i) + " (" + std::string(propName) + ")"; },
                [&] {
                  const PropertyType type = readType(prop[1]);
                  Value defaultValue = readSlotValue(prop[2], type, 0);
                  if (i < inherited) {
                    const PropertyDef& have = cls.definition().properties()[i];
                    if (!iequals(have.name, propName) || !(have.type == type))
                      invalidStream("does not match the superclass's property " + have.name + " in this slot");
                    if (!(defaultValue == have.defaultValue)) cls.put(slot, defaultValue);
                  } else {
                    cls.putProperty(propName, type, defaultValue);
                    if (cls.slotOf(propName) != slot) invalidStream("declared twice");
                  }
                  for (Qualifier& q : readQualifiers(prop[3], 0))
                    cls.putPropertyQualifier(propName, q.name, std::move(q.value), q.flavor);
                });
    }
    for (Qualifier& q : readQualifiers(fields[3], 0)) cls.putQualifier(q.name, std::move(q.value), q.flavor);
    for (const msgpack::object& method : limitedArray(fields[5], 0, limits.maxMethods, "methods")) {
      const auto m = arrayOf(method, 5, 5, "method");
      const std::string_view methodName = stringOf(m[0], "method name");
      inContext([&] { return "method " + std::string(methodName); }, [&] { readMethod(cls, methodName, m); });
    }
    return cls;
  }

  void readMethod(ClassObject& cls, std::string_view name, std::span<const msgpack::object> m) {
    const auto kind = static_cast<MethodKind>(unsignedOf(m[1], kRedeclared, "method kind"));
    ObjectPtr signatures[2];
    for (int i = 0; i < 2; ++i) {
      if (isNil(m[2 + i])) continue;
      if (kind == kInherited) invalidStream("an inherited method restates no signature");
      signatures[i] = share(readObject(m[2 + i], 1));
    }
    std::vector<Qualifier> qualifiers = readQualifiers(m[4], 0);
    const MethodDef* existing = cls.definition().findMethod(name);
    if ((kind == kDeclaredHere) != (existing == nullptr))
      invalidStream(kind == kDeclaredHere ? "is declared here but also inherited" : "is not inherited");
    if (kind == kInherited) {
      for (Qualifier& q : qualifiers) cls.putMethodQualifier(name, q.name, std::move(q.value), q.flavor);
      return;
    }
    QualifierSet set;
    for (Qualifier& q : qualifiers) set.put(q.name, std::move(q.value), q.flavor);
    cls.putMethod(name, signatures[0].get(), signatures[1].get(), set);
  }

  PropertyType readType(const msgpack::object& o) const {
    const auto fields = arrayOf(o, 3, 3, "type");
    const auto cimtype = static_cast<std::uint16_t>(unsignedOf(fields[0], 0xFFFF, "cimtype"));
    PropertyType type;
    type.type = static_cast<CimType>(cimtype & ~CIM_FLAG_ARRAY);
    type.array = (cimtype & CIM_FLAG_ARRAY) != 0;
    if (!isCimType(type.type)) invalidStream("cimtype " + std::to_string(cimtype) + " is not a CIM type");
    type.className = std::string(stringOf(fields[1], "type class name"));
    if (!isNil(fields[2])) {
      if (!type.array) invalidStream("a scalar type with an array size");
      type.arraySize = static_cast<std::uint32_t>(unsignedOf(fields[2], kMaxU32, "array size"));
    }
    return type;
  }

  // Qualifiers of an element of an object of depth `depth` (0 in a class record).
  std::vector<Qualifier> readQualifiers(const msgpack::object& o, std::uint32_t depth) {
    std::vector<Qualifier> out;
    const auto items = limitedArray(o, 0, limits.maxQualifiers, "qualifiers");
    out.reserve(items.size());
    for (const msgpack::object& item : items) {
      const auto q = arrayOf(item, 3, 3, "qualifier");
      const std::string_view name = stringOf(q[0], "qualifier name");
      Value value =
          inContext([&] { return "qualifier " + std::string(name); }, [&] { return readTagged(q[1], depth); });
      const auto flavor =
          static_cast<std::int32_t>(unsignedOf(q[2], std::numeric_limits<std::int32_t>::max(), "flavor"));
      out.push_back(Qualifier{std::string(name), std::move(value), flavor});
    }
    return out;
  }

  // An object at nesting depth `depth` (1 for a record's object).
  ClassObject readObject(const msgpack::object& o, std::uint32_t depth) {
    if (depth > limits.maxDepth)
      quota("embedded objects nested deeper than the limit of " + std::to_string(limits.maxDepth));
    const auto fields = arrayOf(o, 2, 7, "object");
    const std::uint64_t genus = unsignedOf(fields[0], WBEM_GENUS_INSTANCE, "genus");
    if (genus != WBEM_GENUS_CLASS && genus != WBEM_GENUS_INSTANCE)
      invalidStream("genus 0 is neither class nor instance");
    const ClassObject& cls = classFor(fields[1]);
    const bool instance = genus == WBEM_GENUS_INSTANCE;
    const auto field = [&](std::size_t i) -> const msgpack::object* {
      return i < fields.size() && !isNil(fields[i]) ? &fields[i] : nullptr;
    };
    if (!instance) {
      if (field(2) || field(5) || field(6)) invalidStream("a class object carries values or instance qualifiers");
      ClassObject out = cls;
      readOrigin(out, field(3), field(4));
      return out;
    }
    return inContext(
        [&] { return "instance of " + cls.className(); },
        [&] {
          const auto& properties = cls.definition().properties();
          if (!field(2)) invalidStream("an instance without values");
          const auto values = arrayOf(*field(2), 0, kMaxU32, "values");
          if (values.size() != properties.size())
            invalidStream("class " + cls.className() + " has " + std::to_string(properties.size()) +
                          " properties, not " + std::to_string(values.size()));
          ClassObject out = cls.spawnInstance();
          for (PropertySlot slot = 0; slot < properties.size(); ++slot) {
            const PropertyDef& p = properties[slot];
            out.putExact(slot, inContext([&] { return "property " + p.name; },
                                         [&] { return readSlotValue(values[slot], p.type, depth); }));
          }
          readOrigin(out, field(3), field(4));
          if (field(5))
            for (Qualifier& q : readQualifiers(*field(5), depth))
              out.putQualifier(q.name, std::move(q.value), q.flavor);
          if (field(6)) {
            for (const msgpack::object& entry : arrayOf(*field(6), 0, properties.size(), "property qualifiers")) {
              const auto e = arrayOf(entry, 2, 2, "property qualifiers");
              const auto slot = unsignedOf(e[0], properties.size() - 1, "property qualifier slot");
              for (Qualifier& q : readQualifiers(e[1], depth))
                out.putPropertyQualifier(properties[slot].name, q.name, std::move(q.value), q.flavor);
            }
          }
          return out;
        });
  }

  static void readOrigin(ClassObject& out, const msgpack::object* server, const msgpack::object* ns) {
    if (!server && !ns) return;
    out.setOrigin(server ? std::string(stringOf(*server, "server")) : std::string(),
                  ns ? std::string(stringOf(*ns, "namespace")) : std::string());
  }

  // A value in the place of a property of type `type`, in an object of depth `depth`: NULL of
  // another type is the only thing that may come tagged.
  Value readSlotValue(const msgpack::object& o, const PropertyType& type, std::uint32_t depth) {
    if (o.type == msgpack::type::MAP) {
      Value v = readTagged(o, depth);
      if (!v.isNull())
        typeMismatch("a " + typeText(v.type(), v.isArray()) + " value where " + typeText(type.type, type.array) +
                     " is declared");
      return v;
    }
    Value v = readPlain(o, type.type, type.array, type.className, depth);
    if (type.arraySize && !v.isNull() && v.asArray().size() > *type.arraySize)
      typeMismatch(std::to_string(v.asArray().size()) + " elements exceed the array size " +
                   std::to_string(*type.arraySize));
    return v;
  }

  Value readTagged(const msgpack::object& o, std::uint32_t depth) {
    if (o.type != msgpack::type::MAP || o.via.map.size != 1)
      invalidStream("expected a typed value {cimtype: value}, got " + std::string(kindName(o)));
    const msgpack::object_kv& kv = o.via.map.ptr[0];
    const auto cimtype = static_cast<std::uint16_t>(unsignedOf(kv.key, 0xFFFF, "cimtype"));
    const auto type = static_cast<CimType>(cimtype & ~CIM_FLAG_ARRAY);
    const bool array = (cimtype & CIM_FLAG_ARRAY) != 0;
    if (type == CimType::Empty) {
      if (!isNil(kv.val)) invalidStream("an untyped value that is not NULL");
      return Value::null(type, array);
    }
    if (!isCimType(type)) invalidStream("cimtype " + std::to_string(cimtype) + " is not a CIM type");
    return readPlain(kv.val, type, array, {}, depth);
  }

  Value readPlain(const msgpack::object& o, CimType type, bool array, const std::string& className,
                  std::uint32_t depth) {
    if (isNil(o)) return Value::null(type, array);
    if (!array) return readScalar(o, type, className, depth);
    ValueArray elements;
    if (o.type == msgpack::type::BIN && type == CimType::UInt8) {
      elements.reserve(o.via.bin.size);
      for (std::uint32_t i = 0; i < o.via.bin.size; ++i)
        elements.emplace_back(static_cast<std::uint8_t>(o.via.bin.ptr[i]));
      return Value(type, std::move(elements));
    }
    if (o.type != msgpack::type::ARRAY)
      typeMismatch("expected an array of " + typeText(type, false) + ", got " + std::string(kindName(o)));
    elements.reserve(o.via.array.size);
    for (std::uint32_t i = 0; i < o.via.array.size; ++i) {
      const msgpack::object& e = o.via.array.ptr[i];
      elements.push_back(isNil(e) ? Value::null(type) : readScalar(e, type, className, depth));
    }
    return Value(type, std::move(elements));
  }

  Value readScalar(const msgpack::object& o, CimType type, const std::string& className, std::uint32_t depth) {
    const auto mismatch = [&]() -> Value {
      typeMismatch("expected " + typeText(type, false) + ", got " + std::string(kindName(o)));
    };
    const auto signedIn = [&](std::int64_t min, std::int64_t max) -> std::optional<std::int64_t> {
      if (o.type == msgpack::type::POSITIVE_INTEGER && o.via.u64 <= static_cast<std::uint64_t>(max))
        return static_cast<std::int64_t>(o.via.u64);
      if (o.type == msgpack::type::NEGATIVE_INTEGER && o.via.i64 >= min) return o.via.i64;
      return std::nullopt;
    };
    const auto unsignedIn = [&](std::uint64_t max) -> std::optional<std::uint64_t> {
      if (o.type == msgpack::type::POSITIVE_INTEGER && o.via.u64 <= max) return o.via.u64;
      return std::nullopt;
    };
    switch (type) {
      case CimType::SInt8:
        if (auto v = signedIn(INT8_MIN, INT8_MAX)) return Value(static_cast<std::int8_t>(*v));
        return mismatch();
      case CimType::SInt16:
        if (auto v = signedIn(INT16_MIN, INT16_MAX)) return Value(static_cast<std::int16_t>(*v));
        return mismatch();
      case CimType::SInt32:
        if (auto v = signedIn(INT32_MIN, INT32_MAX)) return Value(static_cast<std::int32_t>(*v));
        return mismatch();
      case CimType::SInt64:
        if (auto v = signedIn(INT64_MIN, INT64_MAX)) return Value(static_cast<long long>(*v));
        return mismatch();
      case CimType::UInt8:
        if (auto v = unsignedIn(UINT8_MAX)) return Value(static_cast<std::uint8_t>(*v));
        return mismatch();
      case CimType::UInt16:
        if (auto v = unsignedIn(UINT16_MAX)) return Value(static_cast<std::uint16_t>(*v));
        return mismatch();
      case CimType::UInt32:
        if (auto v = unsignedIn(UINT32_MAX)) return Value(static_cast<std::uint32_t>(*v));
        return mismatch();
      case CimType::UInt64:
        if (auto v = unsignedIn(UINT64_MAX)) return Value(static_cast<unsigned long long>(*v));
        return mismatch();
      case CimType::Char16:
        if (auto v = unsignedIn(0xFFFF)) return Value(static_cast<char16_t>(*v));
        return mismatch();
      case CimType::Real32:  // the bits, as the encoder sends them
        if (auto v = unsignedIn(UINT32_MAX)) return Value(std::bit_cast<float>(static_cast<std::uint32_t>(*v)));
        return mismatch();
      case CimType::Real64:
        if (auto v = unsignedIn(UINT64_MAX)) return Value(std::bit_cast<double>(*v));
        return mismatch();
      case CimType::Boolean:
        if (o.type != msgpack::type::BOOLEAN) return mismatch();
        return Value(o.via.boolean);
      case CimType::String:
        if (o.type != msgpack::type::STR) return mismatch();
        return Value(std::string(o.via.str.ptr, o.via.str.size));
      case CimType::DateTime:
      case CimType::Reference: {
        if (o.type != msgpack::type::STR) return mismatch();
        const std::string_view text(o.via.str.ptr, o.via.str.size);
        try {
          return type == CimType::DateTime ? Value(DateTime::parse(text)) : Value::reference(text);
        } catch (const Error& e) {
          typeMismatch("not a " + typeText(type, false) + ": " + e.message());
        }
      }
      case CimType::Object: {
        if (o.type != msgpack::type::ARRAY) return mismatch();
        ObjectPtr object = share(readObject(o, depth + 1));
        if (!className.empty() && !object->definition().inheritsFrom(className))
          typeMismatch("an object of class " + object->className() + " where " + className + " is declared");
        return Value(std::move(object));
      }
      case CimType::Empty:
        break;
    }
    return mismatch();
  }
};

ObjectDecoder::ObjectDecoder(ObjectLimits limits) : state_(std::make_unique<State>()) { state_->limits = limits; }
ObjectDecoder::~ObjectDecoder() = default;
ObjectDecoder::ObjectDecoder(ObjectDecoder&&) noexcept = default;
ObjectDecoder& ObjectDecoder::operator=(ObjectDecoder&&) noexcept = default;

ClassObject ObjectDecoder::decode(const msgpack::object& record) { return state_->readRecord(record); }

ClassObject ObjectDecoder::decode(std::span<const std::uint8_t> record, const FrameLimits& limits) {
  const msgpack::object_handle handle = detail::unpackChecked(record, limits, "object record", std::nullopt);
  return decode(handle.get());
}

std::size_t ObjectDecoder::classCount() const noexcept { return state_->classes.size(); }

std::uint64_t approximateEncodedSize(const ClassObject& object) {
  std::uint64_t bytes = 16;
  const std::size_t count = object.definition().properties().size();
  for (PropertySlot slot = 0; slot < count; ++slot) {
    const Value& v = object.get(slot);
    bytes += 2;
    if (v.isNull()) continue;
    if (v.isArray())
      bytes += v.asArray().size() * 9;
    else if (v.type() == CimType::String || v.type() == CimType::Reference || v.type() == CimType::DateTime)
      bytes += v.asString().size();
    else if (v.type() == CimType::Object)
      bytes += approximateEncodedSize(*v.asObject());
    else
      bytes += 8;
  }
  return bytes;
}

}  // namespace wbem::wire
