#pragma once
// wbem::ClassObject — a CIM class or instance (WMI: IWbemClassObject).
//
// A class object owns a ClassDef (its schema). Instances share their class's ClassDef and hold
// one Value per property slot in a single array, so building an event costs two allocations in
// all, and reading a property by a slot resolved once per class costs no string hashing.

#include <wbem/objectpath.hpp>
#include <wbem/qualifier.hpp>
#include <wbem/value.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wbem {

/// WMI's WBEM_GENUS_TYPE: the value of __GENUS.
enum Genus : std::int32_t { WBEM_GENUS_CLASS = 1, WBEM_GENUS_INSTANCE = 2 };

/// getNames() flags (WMI WBEM_CONDITION_FLAG_TYPE).
enum ConditionFlag : std::int32_t {
  WBEM_FLAG_ALWAYS = 0,
  WBEM_FLAG_ONLY_IF_TRUE = 0x1,       ///< only properties with the named qualifier
  WBEM_FLAG_ONLY_IF_FALSE = 0x2,      ///< only properties without it
  WBEM_FLAG_ONLY_IF_IDENTICAL = 0x3,  ///< only properties whose qualifier has the given value
  WBEM_MASK_PRIMARY_CONDITION = 0x3,
  WBEM_FLAG_KEYS_ONLY = 0x4,
  WBEM_FLAG_REFS_ONLY = 0x8,
  WBEM_FLAG_LOCAL_ONLY = 0x10,
  WBEM_FLAG_PROPAGATED_ONLY = 0x20,
  WBEM_FLAG_SYSTEM_ONLY = 0x30,
  WBEM_FLAG_NONSYSTEM_ONLY = 0x40,
  WBEM_MASK_CONDITION_ORIGIN = 0x70,
};

/// compareTo() flags (WMI WBEM_COMPARISON_FLAG).
enum ComparisonFlag : std::int32_t {
  WBEM_COMPARISON_INCLUDE_ALL = 0,
  WBEM_FLAG_IGNORE_QUALIFIERS = 0x1,
  WBEM_FLAG_IGNORE_OBJECT_SOURCE = 0x2,
  WBEM_FLAG_IGNORE_DEFAULT_VALUES = 0x4,
  WBEM_FLAG_IGNORE_CLASS = 0x8,
  WBEM_FLAG_IGNORE_CASE = 0x10,
  WBEM_FLAG_IGNORE_FLAVOR = 0x20,
};

/// getObjectText() flags (WMI WBEM_GET_TEXT_FLAGS).
enum TextFlag : std::int32_t {
  WBEM_FLAG_NO_FLAVORS = 0x1,
  /// wbem extension: text that the MOF compiler reads back to an equal object, or an error. See
  /// ClassObject::getObjectText.
  WBEM_FLAG_EXACT_TEXT = 0x10000,
};

/// Name of the class method signatures are made of.
inline constexpr std::string_view kParametersClass = "__PARAMETERS";
/// Name of the out-parameter that carries a method's return value.
inline constexpr std::string_view kReturnValue = "ReturnValue";

/// One property of a class: name, declared type, the class's value (default), qualifiers, and the
/// class that first declared it.
struct PropertyDef {
  std::string name;
  PropertyType type;
  Value defaultValue;
  QualifierSet qualifiers;
  std::string originClass;

  bool isKey() const noexcept { return qualifiers.isTrue("key"); }
};

/// One method of a class: its in- and out-signatures (__PARAMETERS class objects; null when the
/// method has no in-parameters, or no out-parameters and returns void), qualifiers, origin.
struct MethodDef {
  std::string name;
  ObjectPtr inSignature;
  ObjectPtr outSignature;
  QualifierSet qualifiers;
  std::string originClass;
};

/// Index of a property within its class's property array. Resolve it once per class with
/// ClassObject::slotOf() and read instances of that class with get(slot).
using PropertySlot = std::uint32_t;

/// The schema of one class: shared, immutable once published, by the class object and every
/// instance of it. Properties are in slot order: inherited ones first, in the superclass's order.
class ClassDef {
 public:
  const std::string& name() const noexcept { return name_; }
  /// Immediate superclass name, empty for a root class.
  const std::string& superclassName() const noexcept { return derivation_.empty() ? empty_ : derivation_.front(); }
  /// The superclass's schema as it was when this class was derived from it; null for a root class.
  const std::shared_ptr<const ClassDef>& superclass() const noexcept { return superclass_; }
  /// Ancestors nearest first (WMI __DERIVATION).
  const std::vector<std::string>& derivation() const noexcept { return derivation_; }
  const QualifierSet& qualifiers() const noexcept { return qualifiers_; }
  const std::vector<PropertyDef>& properties() const noexcept { return properties_; }
  const std::vector<MethodDef>& methods() const noexcept { return methods_; }
  /// Slots of the key properties, in slot order.
  const std::vector<PropertySlot>& keySlots() const noexcept { return keySlots_; }

  /// The slot of property `name` (case-insensitive), or nullopt. One hash lookup.
  std::optional<PropertySlot> slotOf(std::string_view name) const noexcept;
  /// The method named `name`, or nullptr.
  const MethodDef* findMethod(std::string_view name) const noexcept;
  /// True when this class is `ancestor` or derives from it (case-insensitive names).
  bool inheritsFrom(std::string_view ancestor) const noexcept;

 private:
  friend class ClassObject;
  void rebuildIndex();
  // Updates the index after one property was appended, in place when this definition alone holds
  // it, so that declaring n properties one by one costs O(n) rather than O(n^2).
  void indexAppended();
  // Updates keySlots_ after the Key qualifier of `slot` changed (no index rebuild needed).
  void updateKeySlot(PropertySlot slot);

  static constexpr std::size_t kScanLimit = 16;  // up to this many properties, slotOf() scans
  static const std::string empty_;
  std::string name_;
  std::shared_ptr<const ClassDef> superclass_;
  std::vector<std::string> derivation_;
  QualifierSet qualifiers_;
  std::vector<PropertyDef> properties_;
  std::vector<MethodDef> methods_;
  std::vector<PropertySlot> keySlots_;
  struct Index;
  std::shared_ptr<const Index> index_;
};

/// A CIM class or instance (WMI: IWbemClassObject).
/// Names of properties, qualifiers and methods are case-insensitive. System properties (__CLASS,
/// __SUPERCLASS, __DYNASTY, __DERIVATION, __GENUS, __PATH, __RELPATH, __NAMESPACE, __SERVER,
/// __PROPERTY_COUNT) are computed on get() and are read-only, except __CLASS on a class.
/// Safety: const member functions may run concurrently; a mutating call needs exclusive access.
/// Copies are independent (class definitions are copied on write).
class ClassObject {
 public:
  /// A new root class named `className` with no properties (WMI: GetObject(NULL) then Put __CLASS).
  /// Throws WBEM_E_INVALID_PARAMETER for an invalid name.
  static ClassObject createClass(std::string_view className);
  /// An empty __PARAMETERS class, the starting point of a method signature.
  static ClassObject parametersClass();

  // --- identity -------------------------------------------------------------------------------
  Genus genus() const noexcept { return genus_; }
  bool isClass() const noexcept { return genus_ == WBEM_GENUS_CLASS; }
  bool isInstance() const noexcept { return genus_ == WBEM_GENUS_INSTANCE; }
  const std::string& className() const noexcept { return def_->name(); }
  const std::string& superclassName() const noexcept { return def_->superclassName(); }
  /// The shared schema (for slot lookups and introspection).
  const ClassDef& definition() const noexcept { return *def_; }
  const std::shared_ptr<const ClassDef> sharedDefinition() const noexcept { return def_; }
  /// True when this object's class derives from `ancestor` (IWbemClassObject::InheritsFrom). As in
  /// WMI only __DERIVATION counts: an object does not inherit from its own class.
  bool inheritsFrom(std::string_view ancestor) const noexcept;

  /// Namespace and server the object belongs to (set when it is stored in or read from a
  /// namespace; empty for events and free-standing objects, so __NAMESPACE etc. are NULL).
  const std::string& namespacePath() const noexcept { return namespace_; }
  const std::string& server() const noexcept { return server_; }
  void setOrigin(std::string server, std::string namespacePath);

  // --- spawning -------------------------------------------------------------------------------
  /// A new class derived from this class (IWbemClassObject::SpawnDerivedClass): it inherits every
  /// property and method, and the qualifiers with the ToSubclass flavor. Only on classes
  /// (WBEM_E_ILLEGAL_OPERATION otherwise, as every class-only operation on an instance).
  ClassObject spawnDerivedClass(std::string_view className) const;
  /// A new instance of this class with the class's default values (IWbemClassObject::SpawnInstance).
  /// Only on classes.
  ClassObject spawnInstance() const;
  /// An independent copy (IWbemClassObject::Clone).
  ClassObject clone() const { return *this; }
  /// The same class with the local declarations of this one rebased on `superclass` (used when a
  /// class is stored in a namespace whose copy of the superclass differs). Only on classes.
  ClassObject rebasedOn(const ClassObject& superclass) const;

  // --- properties -----------------------------------------------------------------------------
  /// The slot of property `name`, or nullopt (system properties have no slot).
  std::optional<PropertySlot> slotOf(std::string_view name) const noexcept { return def_->slotOf(name); }
  /// Value of the property in `slot`: for instances the instance value, for classes the default.
  /// No checks beyond an assertion: the fast path for readers that resolved the slot.
  const Value& get(PropertySlot slot) const noexcept;
  /// Value of property or system property `name` (IWbemClassObject::Get).
  /// Throws WBEM_E_NOT_FOUND when there is no such property.
  Value get(std::string_view name) const;
  /// True when the object has property (or system property) `name`.
  bool hasProperty(std::string_view name) const noexcept;
  /// Declared type of property `name` (system properties included). Throws WBEM_E_NOT_FOUND.
  PropertyType getPropertyType(std::string_view name) const;

  /// Sets property `name` (IWbemClassObject::Put). On an instance the property must exist
  /// (WBEM_E_NOT_FOUND) and the value is converted to its type (WBEM_E_TYPE_MISMATCH when the
  /// value cannot be converted losslessly; an embedded object must be of the declared class).
  /// On a class it sets the default value, or adds the property with the value's type when new.
  /// System properties are read-only (WBEM_E_READ_ONLY), except __CLASS on a class.
  void put(std::string_view name, const Value& value);
  /// Sets the value in `slot` after the same conversion as put(name, value).
  void put(PropertySlot slot, const Value& value);
  /// Sets a value already of the property's exact type (or NULL) without conversion: the fast
  /// path for providers that build events. The caller guarantees the type; asserted in debug.
  void putExact(PropertySlot slot, Value value) noexcept;
  /// Declares (or redeclares) property `name` of `type` on a class with `defaultValue`
  /// (IWbemClassObject::Put with a CIMTYPE). Redeclaring an inherited property with another type
  /// gives WBEM_E_TYPE_MISMATCH; on an instance, WBEM_E_ILLEGAL_OPERATION.
  void putProperty(std::string_view name, const PropertyType& type, const Value& defaultValue = Value());
  /// IWbemClassObject::Delete: on a class removes a local property (WBEM_E_PROPAGATED_PROPERTY for
  /// an inherited one); on an instance resets the property to the class default.
  void remove(std::string_view name);

  /// Property names (IWbemClassObject::GetNames). `flags` combines one condition on
  /// `qualifierName` (WBEM_FLAG_ONLY_IF_TRUE / _FALSE / _IDENTICAL with `qualifierValue`), and
  /// origin filters (KEYS_ONLY, REFS_ONLY, LOCAL_ONLY, PROPAGATED_ONLY, SYSTEM_ONLY,
  /// NONSYSTEM_ONLY). System properties come first, as in WMI. Bad flags: WBEM_E_INVALID_PARAMETER.
  std::vector<std::string> getNames(std::int32_t flags = WBEM_FLAG_ALWAYS, std::string_view qualifierName = {},
                                    const Value& qualifierValue = Value()) const;
  /// The class that first declared property `name` (IWbemClassObject::GetPropertyOrigin).
  std::string getPropertyOrigin(std::string_view name) const;

  // --- qualifiers -----------------------------------------------------------------------------
  /// The object's qualifiers: for a class its own and inherited ones; for an instance the class's
  /// ToInstance qualifiers plus the instance's own (IWbemClassObject::GetQualifierSet).
  /// Returns a copy: hold it in a variable before keeping pointers from find().
  [[nodiscard]] QualifierSet getQualifierSet() const;
  /// True when this instance carries qualifiers of its own, put on it or on one of its properties,
  /// beyond those its class passes down; false for a class. Lets a reader that needs only those
  /// skip the copies getQualifierSet() makes. Thread-safe.
  bool hasInstanceQualifiers() const noexcept;
  /// Puts a qualifier on the object.
  void putQualifier(std::string_view name, const Value& value, std::int32_t flavor = WBEM_FLAVOR_DONT_PROPAGATE);
  /// Removes a local qualifier of the object (WBEM_E_NOT_FOUND / WBEM_E_PROPAGATED_QUALIFIER).
  void removeQualifier(std::string_view name);
  /// Qualifiers of property `name` (IWbemClassObject::GetPropertyQualifierSet); WBEM_E_NOT_FOUND.
  /// Returns a copy, as getQualifierSet() does.
  [[nodiscard]] QualifierSet getPropertyQualifierSet(std::string_view name) const;
  void putPropertyQualifier(std::string_view property, std::string_view name, const Value& value,
                            std::int32_t flavor = WBEM_FLAVOR_DONT_PROPAGATE);
  void removePropertyQualifier(std::string_view property, std::string_view name);

  // --- methods (classes only) -----------------------------------------------------------------
  /// Adds or replaces method `name` (IWbemClassObject::PutMethod) after checking the rules of
  /// "Creating a WMI Method": see docs/object-model.md for the rule-to-status table. Parameters
  /// without any ID qualifier get IDs in declaration order (in-parameters first).
  void putMethod(std::string_view name, const ClassObject* inSignature, const ClassObject* outSignature,
                 const QualifierSet& qualifiers = {});
  /// The method named `name` (IWbemClassObject::GetMethod); WBEM_E_NOT_FOUND when absent.
  const MethodDef& getMethod(std::string_view name) const;
  /// Removes a local method (WBEM_E_NOT_FOUND, or WBEM_E_PROPAGATED_METHOD for an inherited one).
  void deleteMethod(std::string_view name);
  /// Names of the methods (IWbemClassObject::BeginMethodEnumeration/NextMethod); flags may be
  /// WBEM_FLAG_LOCAL_ONLY or WBEM_FLAG_PROPAGATED_ONLY.
  std::vector<std::string> methodNames(std::int32_t flags = 0) const;
  /// The class that first declared method `name` (IWbemClassObject::GetMethodOrigin).
  std::string getMethodOrigin(std::string_view name) const;
  QualifierSet getMethodQualifierSet(std::string_view name) const;
  void putMethodQualifier(std::string_view method, std::string_view name, const Value& value,
                          std::int32_t flavor = WBEM_FLAVOR_DONT_PROPAGATE);

  // --- paths and text -------------------------------------------------------------------------
  /// The relative path: `Class` for a class, `Class.K="v"` / `Class=@` for an instance, nullopt
  /// for an instance whose keys are not all set or a keyless, non-singleton class.
  std::optional<ObjectPath> path() const;
  /// MOF text of the object (IWbemClassObject::GetObjectText), meant to compile back to an equal
  /// object. WBEM_FLAG_NO_FLAVORS omits flavors. A qualifier whose values are of a type their MOF
  /// literals do not give (uint8, uint32, a small sint64, real32, datetime, a typed NULL, ...) gets
  /// a `Qualifier Name : type;` declaration ahead of the object, as MOF types a qualifier by its
  /// declaration; when one name has values of several such types, none is written.
  /// With WBEM_FLAG_EXACT_TEXT (wbem extension) what MOF cannot express is refused instead, with
  /// WBEM_E_INVALID_PARAMETER naming the property or qualifier: a class held as an embedded
  /// object value, a reference or object qualifier value, a qualifier name that is no MOF
  /// identifier, and one qualifier name with values of several types not all typed by their
  /// literals. The text then compiles back equal on its own, or after other such texts in one unit
  /// compiled with MofOptions::qualifierDeclarationsPerObject. Unknown flags give
  /// WBEM_E_INVALID_PARAMETER. Thread-safe for concurrent readers of the object.
  std::string getObjectText(std::int32_t flags = 0) const;

  /// IWbemClassObject::CompareTo: equality with WBEM_FLAG_IGNORE_* flags.
  bool compareTo(const ClassObject& other, std::int32_t flags = WBEM_COMPARISON_INCLUDE_ALL) const;
  /// Full equality (compareTo with no flags).
  friend bool operator==(const ClassObject& a, const ClassObject& b) { return a.compareTo(b); }

 private:
  ClassObject(std::shared_ptr<ClassDef> def, Genus genus);
  ClassDef& mutableDef();
  void requireClass(const char* operation) const;
  Value systemProperty(std::string_view name, bool& found) const;
  PropertySlot requireSlot(std::string_view name) const;

  std::shared_ptr<ClassDef> def_;
  Genus genus_ = WBEM_GENUS_CLASS;
  std::vector<Value> values_;  // instances: one per slot
  std::string server_;
  std::string namespace_;
  // Instance-level qualifiers, rarely used: null until set, copied on write.
  struct InstanceQualifiers;
  std::shared_ptr<InstanceQualifiers> instanceQualifiers_;
};

/// Makes a shared snapshot (for embedding in a Value or handing to other threads).
inline ObjectPtr share(ClassObject object) { return std::make_shared<const ClassObject>(std::move(object)); }

}  // namespace wbem
