#pragma once
// wbem::Namespace — one CIM namespace: its classes (with the system classes of the event world
// preloaded), its static instances, and method execution through in-process method providers.
// WMI mapping: the class/instance/method parts of IWbemServices for one namespace.

#include <wbem/classobject.hpp>
#include <wbem/names.hpp>
#include <wbem/security.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace wbem {

/// putClass()/putInstance() flags (WMI WBEM_CHANGE_FLAG_TYPE).
enum ChangeFlag : std::int32_t {
  WBEM_FLAG_CREATE_OR_UPDATE = 0,
  WBEM_FLAG_UPDATE_ONLY = 0x1,
  WBEM_FLAG_CREATE_ONLY = 0x2,
};

/// What a method provider is handed for one call.
struct MethodCall {
  /// The object the method runs on: an instance path, or a class path for a static method.
  const ObjectPath& target;
  /// Method name as declared.
  std::string_view method;
  /// The class whose [Implemented] declaration is being run (WMI runs the nearest one).
  std::string_view implementingClass;
  /// The in-parameters, checked against the signature (an empty instance when there are none).
  const ClassObject& inParameters;
};

/// An in-process method provider (WMI: the ExecMethodAsync part of IWbemServices a provider
/// implements). Override one function; set out-parameters (and ReturnValue) on `outParameters`,
/// an instance of the method's out-signature. Throw wbem::Error to fail the call.
class MethodProvider {
 public:
  virtual ~MethodProvider() = default;
  /// Runs one method call. May be called from several threads at once.
  virtual void execMethod(const MethodCall& call, ClassObject& outParameters) = 0;
};

class Namespace;

/// Told of every change to a namespace's classes and static instances (what raises WMI's intrinsic
/// __Class*Event and __Instance*Event, what the repository writes through, what activates permanent
/// subscriptions). Override the calls you need; all default to doing nothing.
class NamespaceObserver {
 public:
  virtual ~NamespaceObserver() = default;
  /// A class changed: `before` is null for a creation, `after` for a deletion. Called with the
  /// namespace's write lock held, in the order of the changes: record or queue the change, and do
  /// not call back into the namespace.
  virtual void classChanged(const Namespace& ns, const ObjectPtr& before, const ObjectPtr& after) {
    (void)ns, (void)before, (void)after;
  }
  /// An instance changed; as classChanged.
  virtual void instanceChanged(const Namespace& ns, const ObjectPtr& before, const ObjectPtr& after) {
    (void)ns, (void)before, (void)after;
  }
  /// Before putInstance stores `instance`, without the lock held (so it may read this or any
  /// namespace): may complete the instance (a generated key, the creator) or throw wbem::Error to
  /// refuse it, in which case nothing is stored.
  virtual void checkInstance(const Namespace& ns, ClassObject& instance) { (void)ns, (void)instance; }
  /// After a change call has released the write lock, on the thread that made it: where an
  /// observer acts on what it queued (so that the change has taken effect when the call returns).
  /// Also called after a failed change. Must not throw.
  virtual void changesApplied(const Namespace& ns) noexcept { (void)ns; }
};

/// One namespace. Safety: every member function is thread-safe (a reader-writer lock guards the
/// registry; readers get immutable shared snapshots that stay valid after later changes).
///
/// Security: once the event service has given the namespace a descriptor (setSecurity), the calls
/// below that stand for IWbemServices operations check that the calling principal
/// (Principal::caller()) holds the namespace right they need, and otherwise fail with
/// WBEM_E_ACCESS_DENIED before changing anything: reading classes and instances needs
/// WBEM_ENABLE; putClass and deleteClass WBEM_FULL_WRITE_REP; putInstance and deleteInstance
/// WBEM_FULL_WRITE_REP or WBEM_PARTIAL_WRITE_REP, and WBEM_WRITE_PROVIDER as well for provider
/// registrations (__Provider, __ProviderRegistration and their subclasses); a __Win32Provider
/// whose SecurityDescriptor is set (a decoupled provider's name, claimed by whoever registered it
/// first), and the registrations that reference it, are put or deleted only by administrators
/// and those it grants WRITE_DAC; execMethod
/// WBEM_METHOD_EXECUTE. Reading instances (getInstance, enumInstances) and enumClasses need
/// WBEM_ENABLE. findClass, getClass and classInheritsFrom are the schema lookups the service makes
/// for itself (to build events, compile queries) and check nothing; an entry point that serves a
/// class to a caller checks WBEM_ENABLE itself.
class Namespace {
 public:
  /// A namespace named `name` ("root\\cimv2" or "root/cimv2") holding the system classes.
  explicit Namespace(std::string_view name);
  Namespace(const Namespace&) = delete;
  Namespace& operator=(const Namespace&) = delete;

  /// Normalised name with `\` separators.
  const std::string& name() const noexcept { return name_; }

  // --- classes --------------------------------------------------------------------------------
  /// The class named `name` (case-insensitive), or nullptr.
  ObjectPtr findClass(std::string_view name) const;
  /// The class named `name` (IWbemServices::GetObject on a class path); WBEM_E_NOT_FOUND.
  ObjectPtr getClass(std::string_view name) const;
  /// Stores a class (IWbemServices::PutClass). Its superclass must exist (WBEM_E_INVALID_SUPERCLASS);
  /// it is rebased on the stored superclass. Updating a class that has subclasses or instances
  /// gives WBEM_E_CLASS_HAS_CHILDREN / WBEM_E_CLASS_HAS_INSTANCES; system classes (`__` names)
  /// cannot be changed (WBEM_E_ACCESS_DENIED). CREATE_ONLY: WBEM_E_ALREADY_EXISTS; UPDATE_ONLY:
  /// WBEM_E_NOT_FOUND. Returns the stored class.
  ObjectPtr putClass(const ClassObject& cls, std::int32_t flags = WBEM_FLAG_CREATE_OR_UPDATE);
  /// Deletes a class with its subclasses and their instances (IWbemServices::DeleteClass).
  void deleteClass(std::string_view name);
  /// Classes derived from `superclass` (all classes when empty); `deep` includes all descendants,
  /// otherwise only immediate children (IWbemServices::CreateClassEnum). Sorted by name.
  std::vector<ObjectPtr> enumClasses(std::string_view superclass = {}, bool deep = true) const;
  /// True when class `name` is `ancestor` or derives from it; false when either is unknown.
  bool classInheritsFrom(std::string_view name, std::string_view ancestor) const;

  // --- static instances -----------------------------------------------------------------------
  /// Stores an instance (IWbemServices::PutInstance): its class must be stored here
  /// (WBEM_E_INVALID_CLASS), not abstract (WBEM_E_INVALID_OPERATION), and all keys set
  /// (WBEM_E_ILLEGAL_NULL; a class with no key at all gives WBEM_E_NO_KEY); it is converted to the
  /// stored class (WBEM_E_INVALID_PROPERTY for a property the class lacks). Returns its full path.
  ObjectPath putInstance(const ClassObject& instance, std::int32_t flags = WBEM_FLAG_CREATE_OR_UPDATE);
  /// The instance at `path` (WBEM_E_NOT_FOUND; WBEM_E_INVALID_CLASS for an unknown class).
  ObjectPtr getInstance(const ObjectPath& path) const;
  /// Deletes the instance at `path` (WBEM_E_NOT_FOUND).
  void deleteInstance(const ObjectPath& path);
  /// Instances of `className`, and of its subclasses when `deep` (IWbemServices::CreateInstanceEnum).
  std::vector<ObjectPtr> enumInstances(std::string_view className, bool deep = true) const;

  // --- security -------------------------------------------------------------------------------
  /// The descriptor that judges calls here (WMI: the namespace's security descriptor, see
  /// __SystemSecurity); null, which allows everyone everything, until setSecurity. Thread-safe.
  std::shared_ptr<const SecurityDescriptor> security() const;
  /// Replaces that descriptor (the event service does, keeping inheritance between namespaces).
  /// Thread-safe.
  void setSecurity(std::shared_ptr<const SecurityDescriptor> descriptor);
  /// True when `who` is granted every bit of `rights` here. Thread-safe.
  bool grants(const Principal& who, std::uint32_t rights) const;
  /// WBEM_E_ACCESS_DENIED, naming `operation`, this namespace and the caller, unless
  /// Principal::caller() is granted every bit of `rights` here. Thread-safe.
  void requireAccess(std::uint32_t rights, std::string_view operation) const;

  // --- change notification ------------------------------------------------------------------
  /// Adds an observer told of every later change (observers are told in the order added).
  /// Thread-safe.
  void addObserver(std::shared_ptr<NamespaceObserver> observer);
  /// Removes an observer; no call to it starts after this returns. Thread-safe.
  void removeObserver(const NamespaceObserver* observer);

  // --- methods --------------------------------------------------------------------------------
  /// Registers the method provider named by classes' `Provider` qualifier. Replaces any earlier one.
  void registerMethodProvider(std::string_view providerName, std::shared_ptr<MethodProvider> provider);
  /// Removes a method provider registration.
  void unregisterMethodProvider(std::string_view providerName);
  /// Runs `method` on the object at `target` (IWbemServices::ExecMethod) and returns the
  /// out-parameters (an instance of the out-signature; empty __PARAMETERS for void methods).
  /// The target's class must exist (WBEM_E_INVALID_CLASS); an instance path is handed to the provider
  /// as is, not looked up, since dynamic classes serve their own instances. WBEM_E_INVALID_METHOD for an
  /// unknown method, WBEM_E_METHOD_DISABLED, WBEM_E_METHOD_NOT_IMPLEMENTED when no class in the
  /// chain has [Implemented], WBEM_E_PROVIDER_NOT_FOUND when no provider is registered,
  /// WBEM_E_INVALID_METHOD_PARAMETERS for a missing (NULL, not [Optional]), unknown or mistyped
  /// in-parameter; a provider's std::exception becomes WBEM_E_PROVIDER_FAILURE. A class path needs a
  /// [Static] method (WBEM_E_INVALID_METHOD). The provider runs without the namespace lock held.
  ClassObject execMethod(const ObjectPath& target, std::string_view method, const ClassObject* inParameters);

 private:
  struct ClassEntry {
    ObjectPtr cls;
    std::map<std::string, ObjectPtr, NameLess> instances;  // keyed by relative path text
  };
  ClassEntry* entry(std::string_view name);
  const ClassEntry* entry(std::string_view name) const;
  bool hasChildren(std::string_view name) const;
  std::string instanceKey(const ObjectPath& path, const ClassDef& cls) const;
  void requireInstanceWrite(std::string_view className, std::string_view operation) const;
  void requireProviderClaim(const ClassObject& instance, std::string_view operation) const;
  ObjectPtr findInstance(const ObjectPath& path) const;  // under mutex_; null when absent

  std::string name_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, ClassEntry, NameHash, NameEqual> classes_;
  std::unordered_map<std::string, std::shared_ptr<MethodProvider>, NameHash, NameEqual> methodProviders_;
  using Observers = std::vector<std::shared_ptr<NamespaceObserver>>;
  struct ChangeGuard;
  std::shared_ptr<const Observers> observers() const;

  std::shared_ptr<const Observers> observers_ = std::make_shared<const Observers>();
  std::atomic<std::shared_ptr<const SecurityDescriptor>> security_;
};

/// The `Provider` qualifier of __SystemSecurity: the method provider the event service registers
/// in each namespace to serve GetSD, SetSD and InheritSD.
inline constexpr std::string_view kSystemSecurityProvider = "__SystemSecurity";

/// The system classes every namespace holds (__SystemClass, __Event and its family, __EventFilter,
/// __PARAMETERS, ...), in an order where each superclass precedes its subclasses. Thread-safe.
const std::vector<ObjectPtr>& systemClasses();

}  // namespace wbem
