// The system classes every namespace holds, built once from a table that follows the WMI
// documentation of each class (desktop-src/WmiSdk/--<class>.md) and decisions.md.

#include <wbem/classobject.hpp>
#include <wbem/names.hpp>
#include <wbem/namespace.hpp>
#include <wbem/status.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wbem {
namespace {

// Class qualifiers the table can put, as bits.
enum Trait : unsigned {
  kPlain = 0,
  kAbstract = 1,     // WMI "abstract": Restricted, so subclasses are concrete unless they say so
  kSingleton = 2,    // one instance, path `Class=@`
  kAssociation = 4,  // __FilterToConsumerBinding relates a filter to a consumer
};

struct PropertySpec {
  std::string_view name;
  PropertyType type;
  Value defaultValue = Value();
};

struct ClassSpec {
  std::string_view name;
  std::string_view superclass;  // empty for a root class
  unsigned traits = kPlain;
  std::vector<PropertySpec> properties = {};
  std::vector<std::string_view> keys = {};  // local or inherited properties that get [key]
};

PropertyType scalar(CimType t) { return scalarType(t); }
PropertyType array(CimType t) { return arrayType(t); }
PropertyType ref(std::string className) {
  return PropertyType{CimType::Reference, false, std::nullopt, std::move(className)};
}
PropertyType object(std::string className = {}) {
  return PropertyType{CimType::Object, false, std::nullopt, std::move(className)};
}

// CIM declares Key and Association with DisableOverride: a subclass cannot drop them.
constexpr std::int32_t kFixedFlavor = WBEM_FLAVOR_FLAG_PROPAGATE_TO_DERIVED_CLASS | WBEM_FLAVOR_NOT_OVERRIDABLE;

std::vector<ClassSpec> classTable() {
  using enum CimType;
  // decisions.md 10: CreatorSID holds "uid:N", so it is a string here, not WMI's uint8[] SID.
  const PropertySpec creatorSid{"CreatorSID", scalar(String)};
  // decisions.md 7 gives the quota defaults (uint32, as WMI documents them) except PollingMemory*
  // (bytes), which follow the values Windows reports for them.
  const auto quota = [](std::string_view name, std::uint32_t value) {
    return PropertySpec{name, scalar(UInt32), Value(value)};
  };
  return {
      {"__SystemClass", "", kAbstract},
      {"__NotifyStatus", "", kAbstract, {{"StatusCode", scalar(UInt32)}}},
      {"__ExtendedStatus",
       "__NotifyStatus",
       kPlain,
       {{"Description", scalar(String)},
        {"Operation", scalar(String)},
        {"ParameterInfo", scalar(String)},
        {"ProviderName", scalar(String)}}},
      {"__Namespace", "__SystemClass", kPlain, {{"Name", scalar(String)}}, {"Name"}},
      {"__Provider", "__SystemClass", kAbstract, {{"Name", scalar(String)}}, {"Name"}},
      {"__Win32Provider",
       "__Provider",
       kPlain,
       {{"ClientLoadableCLSID", scalar(String)},
        {"CLSID", scalar(String)},
        {"Concurrency", scalar(SInt32)},
        {"DefaultMachineName", scalar(String)},
        {"Enabled", scalar(Boolean)},
        {"HostingModel", scalar(String)},
        {"InitializationReentrancy", scalar(SInt32), Value(std::int32_t{0})},
        {"InitializeAsAdminFirst", scalar(Boolean)},
        // wbem's stand-in for the COM server CLSID points at: the shared library of a plugin.
        {"Module", scalar(String)},
        {"PerLocaleInitialization", scalar(Boolean), Value(false)},
        {"PerUserInitialization", scalar(Boolean), Value(false)},
        {"Pure", scalar(Boolean), Value(true)},
        {"SecurityDescriptor", scalar(String)},
        {"UnloadTimeout", scalar(DateTime)},
        {"Version", scalar(UInt32)}}},
      {"__ProviderRegistration", "__SystemClass", kAbstract, {{"provider", ref("__Provider")}}},
      {"__EventProviderRegistration",
       "__ProviderRegistration",
       kPlain,
       {{"EventQueryList", array(String)}},
       {"provider"}},
      {"__EventConsumerProviderRegistration",
       "__ProviderRegistration",
       kPlain,
       {{"ConsumerClassNames", array(String)}},
       {"provider"}},
      {"__ArbitratorConfiguration",
       "__SystemClass",
       kSingleton,
       {quota("TemporarySubscriptionsPerUser", 1000), quota("TemporarySubscriptionsTotal", 10000),
        quota("PermanentSubscriptionsPerUser", 1000), quota("PermanentSubscriptionsTotal", 10000),
        quota("PollingInstructionsPerUser", 1000), quota("PollingInstructionsTotal", 10000),
        quota("PollingMemoryPerUser", 5000000), quota("PollingMemoryTotal", 10000000),
        // Event queue limits in bytes: per consumer (named after __EventConsumer.MaximumQueueSize,
        // which overrides it), for all consumers of one owner, and in total; and
        // Win32_WMISetting's MaxWaitOnEvents in ms.
        quota("MaximumQueueSizePerConsumer", 10u << 20), quota("MaximumQueueSizePerUser", 10u << 20),
        quota("MaximumQueueSizeTotal", 20u << 20), quota("MaxWaitOnEvents", 2000)}},
      {"__IndicationRelated", "__SystemClass", kAbstract},
      {"__Event",
       "__IndicationRelated",
       kAbstract,
       {{"SECURITY_DESCRIPTOR", array(UInt8)}, {"TIME_CREATED", scalar(UInt64)}}},
      {"__ExtrinsicEvent", "__Event", kAbstract},
      {"__SystemEvent", "__ExtrinsicEvent"},
      {"__EventDroppedEvent",
       "__SystemEvent",
       kPlain,
       {{"Event", object("__Event")}, {"IntendedConsumer", ref("__EventConsumer")}}},
      {"__EventQueueOverflowEvent", "__EventDroppedEvent", kPlain, {{"CurrentQueueSize", scalar(UInt32)}}},
      {"__ConsumerFailureEvent",
       "__EventDroppedEvent",
       kPlain,
       {{"ErrorCode", scalar(UInt32)},
        {"ErrorDescription", scalar(String)},
        {"ErrorObject", object("__ExtendedStatus")}}},
      {"__InstanceOperationEvent", "__Event", kPlain, {{"TargetInstance", object()}}},
      {"__InstanceCreationEvent", "__InstanceOperationEvent"},
      {"__InstanceDeletionEvent", "__InstanceOperationEvent"},
      {"__InstanceModificationEvent", "__InstanceOperationEvent", kPlain, {{"PreviousInstance", object()}}},
      {"__MethodInvocationEvent",
       "__InstanceOperationEvent",
       kPlain,
       {{"Method", scalar(String)},
        {"Parameters", object(std::string(kParametersClass))},
        {"PreCall", scalar(Boolean)}}},
      {"__ClassOperationEvent", "__Event", kPlain, {{"TargetClass", object()}}},
      {"__ClassCreationEvent", "__ClassOperationEvent"},
      {"__ClassDeletionEvent", "__ClassOperationEvent"},
      {"__ClassModificationEvent", "__ClassOperationEvent", kPlain, {{"PreviousClass", object()}}},
      {"__NamespaceOperationEvent", "__Event", kPlain, {{"TargetNamespace", object("__Namespace")}}},
      {"__NamespaceCreationEvent", "__NamespaceOperationEvent"},
      {"__NamespaceDeletionEvent", "__NamespaceOperationEvent"},
      {"__NamespaceModificationEvent",
       "__NamespaceOperationEvent",
       kPlain,
       {{"PreviousNamespace", object("__Namespace")}}},
      {"__TimerEvent", "__Event", kPlain, {{"NumFirings", scalar(UInt32)}, {"TimerId", scalar(String)}}},
      {"__AggregateEvent",
       "__IndicationRelated",
       kPlain,
       {{"NumberOfEvents", scalar(UInt32)}, {"Representative", object()}}},
      {"__EventGenerator", "__IndicationRelated", kAbstract},
      {"__TimerInstruction",
       "__EventGenerator",
       kAbstract,
       {{"SkipIfPassed", scalar(Boolean), Value(false)}, {"TimerId", scalar(String)}},
       {"TimerId"}},
      {"__IntervalTimerInstruction", "__TimerInstruction", kPlain, {{"IntervalBetweenEvents", scalar(UInt32)}}},
      {"__AbsoluteTimerInstruction", "__TimerInstruction", kPlain, {{"EventDateTime", scalar(DateTime)}}},
      {"__EventFilter",
       "__IndicationRelated",
       kPlain,
       {creatorSid,
        {"EventAccess", scalar(String)},
        {"EventNamespace", scalar(String)},
        {"Name", scalar(String)},
        {"Query", scalar(String)},
        {"QueryLanguage", scalar(String)}},
       {"Name"}},
      {"__EventConsumer",
       "__IndicationRelated",
       kAbstract,
       {creatorSid, {"MachineName", scalar(String)}, {"MaximumQueueSize", scalar(UInt32)}}},
      {"__FilterToConsumerBinding",
       "__IndicationRelated",
       kAssociation,
       {{"Consumer", ref("__EventConsumer")},
        creatorSid,
        {"DeliverSynchronously", scalar(Boolean), Value(false)},
        {"DeliveryQoS", scalar(UInt32)},
        {"Filter", ref("__EventFilter")},
        {"MaintainSecurityContext", scalar(Boolean), Value(false)},
        {"SlowDownProviders", scalar(Boolean), Value(false)}},
       {"Consumer", "Filter"}},
  };
}

const ClassObject& builtClass(std::string_view name, const std::vector<ObjectPtr>& built) {
  for (const ObjectPtr& cls : built)
    if (iequals(cls->className(), name)) return *cls;
  throw Error(WBEM_E_INVALID_SUPERCLASS, "system class " + std::string(name) + " is used before it is built");
}

ClassObject buildClass(const ClassSpec& spec, const std::vector<ObjectPtr>& built) {
  ClassObject cls = spec.superclass.empty() ? ClassObject::createClass(spec.name)
                                            : builtClass(spec.superclass, built).spawnDerivedClass(spec.name);
  if (spec.traits & kAbstract) cls.putQualifier("abstract", Value(true), WBEM_FLAVOR_DONT_PROPAGATE);
  if (spec.traits & kSingleton) cls.putQualifier("singleton", Value(true), kMofDefaultFlavor);
  if (spec.traits & kAssociation) cls.putQualifier("association", Value(true), kFixedFlavor);
  for (const PropertySpec& property : spec.properties)
    cls.putProperty(property.name, property.type, property.defaultValue);
  for (std::string_view key : spec.keys) cls.putPropertyQualifier(key, "key", Value(true), kFixedFlavor);
  return cls;
}

// __SystemSecurity (WMI: the namespace's security methods, called on `__SystemSecurity=@`):
// GetSD and SetSD carry the descriptor in wbem's byte form (the SDDL text's UTF-8 bytes, see
// SecurityDescriptor::fromBytes). GetSD's `Inherited` and InheritSD, which makes the namespace
// follow its parent's descriptor again, have no WMI counterpart. The event service serves them.
ClassObject systemSecurityClass() {
  ClassObject cls = ClassObject::createClass("__SystemSecurity");
  cls.putQualifier("singleton", Value(true), kMofDefaultFlavor);
  cls.putQualifier("Provider", Value(std::string(kSystemSecurityProvider)), kMofDefaultFlavor);
  int nextId = 0;
  const auto parameter = [&nextId](ClassObject& signature, std::string_view name, PropertyType type, bool in) {
    signature.putProperty(name, type);
    signature.putPropertyQualifier(name, in ? "In" : "Out", Value(true), kMofDefaultFlavor);
    signature.putPropertyQualifier(name, "ID", Value(static_cast<std::int32_t>(nextId++)), kMofDefaultFlavor);
  };
  const auto method = [&cls](std::string_view name, const ClassObject* in, ClassObject out) {
    out.putProperty(kReturnValue, scalarType(CimType::UInt32));
    out.putPropertyQualifier(kReturnValue, "Out", Value(true), kMofDefaultFlavor);
    QualifierSet qualifiers;
    qualifiers.put("Implemented", Value(true), WBEM_FLAVOR_DONT_PROPAGATE);
    cls.putMethod(name, in, &out, qualifiers);
  };
  ClassObject getOut = ClassObject::parametersClass();
  parameter(getOut, "SD", arrayType(CimType::UInt8), false);
  parameter(getOut, "Inherited", scalarType(CimType::Boolean), false);
  method("GetSD", nullptr, std::move(getOut));
  nextId = 0;
  ClassObject setIn = ClassObject::parametersClass();
  parameter(setIn, "SD", arrayType(CimType::UInt8), true);
  method("SetSD", &setIn, ClassObject::parametersClass());
  method("InheritSD", nullptr, ClassObject::parametersClass());
  return cls;
}

std::vector<ObjectPtr> buildSystemClasses() {
  std::vector<ObjectPtr> classes;
  // __PARAMETERS is exactly what method signatures start from, so the two can never disagree.
  classes.push_back(share(ClassObject::parametersClass()));
  for (const ClassSpec& spec : classTable()) classes.push_back(share(buildClass(spec, classes)));
  classes.push_back(share(systemSecurityClass()));
  return classes;
}

}  // namespace

const std::vector<ObjectPtr>& systemClasses() {
  static const std::vector<ObjectPtr> classes = buildSystemClasses();
  return classes;
}

}  // namespace wbem
