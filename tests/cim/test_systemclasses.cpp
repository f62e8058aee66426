// The system classes: presence, derivation, keys, types, defaults and qualifiers as WMI documents
// them (with decisions.md 7 and 10), and their presence in every namespace.

#include <wbem/classobject.hpp>
#include <wbem/names.hpp>
#include <wbem/namespace.hpp>

#include <catch2/catch.hpp>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace wbem;

namespace {

const ClassObject& systemClass(std::string_view name) {
  for (const ObjectPtr& cls : systemClasses())
    if (iequals(cls->className(), name)) return *cls;
  throw std::runtime_error("no system class " + std::string(name));
}

PropertyType refTo(std::string cls) { return PropertyType{CimType::Reference, false, std::nullopt, std::move(cls)}; }
PropertyType objectOf(std::string cls) { return PropertyType{CimType::Object, false, std::nullopt, std::move(cls)}; }

std::vector<std::string> keyNames(const ClassObject& cls) {
  std::vector<std::string> names;
  for (PropertySlot slot : cls.definition().keySlots()) names.push_back(cls.definition().properties()[slot].name);
  return names;
}

const std::vector<std::string> kAllClasses = {
    "__SystemClass",
    "__NotifyStatus",
    "__ExtendedStatus",
    "__Namespace",
    "__IndicationRelated",
    "__Event",
    "__ExtrinsicEvent",
    "__SystemEvent",
    "__EventDroppedEvent",
    "__EventQueueOverflowEvent",
    "__ConsumerFailureEvent",
    "__InstanceOperationEvent",
    "__InstanceCreationEvent",
    "__InstanceDeletionEvent",
    "__InstanceModificationEvent",
    "__MethodInvocationEvent",
    "__ClassOperationEvent",
    "__ClassCreationEvent",
    "__ClassDeletionEvent",
    "__ClassModificationEvent",
    "__NamespaceOperationEvent",
    "__NamespaceCreationEvent",
    "__NamespaceDeletionEvent",
    "__NamespaceModificationEvent",
    "__TimerEvent",
    "__EventGenerator",
    "__TimerInstruction",
    "__IntervalTimerInstruction",
    "__AbsoluteTimerInstruction",
    "__AggregateEvent",
    "__EventFilter",
    "__EventConsumer",
    "__FilterToConsumerBinding",
    "__Provider",
    "__Win32Provider",
    "__ProviderRegistration",
    "__EventProviderRegistration",
    "__EventConsumerProviderRegistration",
    "__PARAMETERS",
    "__ArbitratorConfiguration",
    "__SystemSecurity",
};

}  // namespace

TEST_CASE("every system class is present once, spelled as WMI spells it", "[systemclasses]") {
  const std::vector<ObjectPtr>& classes = systemClasses();
  REQUIRE(classes.size() == kAllClasses.size());
  for (const std::string& name : kAllClasses) {
    INFO(name);
    CHECK(systemClass(name).className() == name);
    CHECK(systemClass(name).isClass());
  }
}

TEST_CASE("systemClasses() is built once", "[systemclasses]") {
  CHECK(&systemClasses() == &systemClasses());
  CHECK(systemClasses().front().get() == systemClasses().front().get());
}

TEST_CASE("every superclass precedes its subclasses", "[systemclasses]") {
  const std::vector<ObjectPtr>& classes = systemClasses();
  for (std::size_t i = 0; i < classes.size(); ++i) {
    const std::string& super = classes[i]->superclassName();
    if (super.empty()) continue;
    INFO(classes[i]->className() << " : " << super);
    bool before = false;
    for (std::size_t j = 0; j < i; ++j) before = before || iequals(classes[j]->className(), super);
    CHECK(before);
  }
}

TEST_CASE("derivation chains follow the WMI documentation", "[systemclasses]") {
  using Chain = std::vector<std::string>;
  CHECK(systemClass("__InstanceCreationEvent").definition().derivation() ==
        Chain{"__InstanceOperationEvent", "__Event", "__IndicationRelated", "__SystemClass"});
  CHECK(systemClass("__InstanceModificationEvent").superclassName() == "__InstanceOperationEvent");
  CHECK(systemClass("__MethodInvocationEvent").superclassName() == "__InstanceOperationEvent");
  CHECK(systemClass("__ClassModificationEvent").superclassName() == "__ClassOperationEvent");
  CHECK(systemClass("__NamespaceDeletionEvent").superclassName() == "__NamespaceOperationEvent");
  CHECK(systemClass("__EventQueueOverflowEvent").definition().derivation() ==
        Chain{"__EventDroppedEvent", "__SystemEvent", "__ExtrinsicEvent", "__Event", "__IndicationRelated",
              "__SystemClass"});
  CHECK(systemClass("__ConsumerFailureEvent").superclassName() == "__EventDroppedEvent");
  CHECK(systemClass("__TimerEvent").superclassName() == "__Event");
  CHECK(systemClass("__IntervalTimerInstruction").definition().derivation() ==
        Chain{"__TimerInstruction", "__EventGenerator", "__IndicationRelated", "__SystemClass"});
  CHECK(systemClass("__AbsoluteTimerInstruction").superclassName() == "__TimerInstruction");
  CHECK(systemClass("__ExtendedStatus").definition().derivation() == Chain{"__NotifyStatus"});
  CHECK(systemClass("__NotifyStatus").superclassName().empty());
  CHECK(systemClass("__SystemClass").superclassName().empty());
  CHECK(systemClass("__PARAMETERS").superclassName().empty());
  CHECK(systemClass("__Win32Provider").superclassName() == "__Provider");
  CHECK(systemClass("__EventConsumerProviderRegistration").superclassName() == "__ProviderRegistration");
  CHECK(systemClass("__EventProviderRegistration").superclassName() == "__ProviderRegistration");
  CHECK(systemClass("__ArbitratorConfiguration").superclassName() == "__SystemClass");
  for (std::string_view name : {"__EventFilter", "__EventConsumer", "__FilterToConsumerBinding", "__AggregateEvent"})
    CHECK(systemClass(name).superclassName() == "__IndicationRelated");
}

TEST_CASE("__AggregateEvent is not an __Event", "[systemclasses]") {
  const ClassDef& aggregate = systemClass("__AggregateEvent").definition();
  CHECK_FALSE(aggregate.inheritsFrom("__Event"));
  CHECK(aggregate.inheritsFrom("__IndicationRelated"));
  CHECK_FALSE(aggregate.slotOf("TIME_CREATED"));
  CHECK(systemClass("__AggregateEvent").getPropertyType("NumberOfEvents") == scalarType(CimType::UInt32));
  CHECK(systemClass("__AggregateEvent").getPropertyType("Representative") == scalarType(CimType::Object));
}

TEST_CASE("__Event properties are inherited by every event class", "[systemclasses]") {
  for (std::string_view name : {"__Event", "__InstanceDeletionEvent", "__TimerEvent", "__ConsumerFailureEvent",
                                "__NamespaceCreationEvent", "__ClassDeletionEvent"}) {
    INFO(name);
    const ClassObject& cls = systemClass(name);
    CHECK(cls.getPropertyType("SECURITY_DESCRIPTOR") == arrayType(CimType::UInt8));
    CHECK(cls.getPropertyType("TIME_CREATED") == scalarType(CimType::UInt64));
    CHECK(cls.getPropertyOrigin("TIME_CREATED") == "__Event");
    CHECK(cls.get("TIME_CREATED").isNull());
  }
}

TEST_CASE("event property types, including embedded-object and reference classes", "[systemclasses]") {
  const ClassObject& dropped = systemClass("__EventDroppedEvent");
  CHECK(dropped.getPropertyType("Event") == objectOf("__Event"));
  CHECK(dropped.getPropertyType("IntendedConsumer") == refTo("__EventConsumer"));

  const ClassObject& overflow = systemClass("__EventQueueOverflowEvent");
  CHECK(overflow.getPropertyType("CurrentQueueSize") == scalarType(CimType::UInt32));
  CHECK(overflow.getPropertyOrigin("IntendedConsumer") == "__EventDroppedEvent");

  const ClassObject& failure = systemClass("__ConsumerFailureEvent");
  CHECK(failure.getPropertyType("ErrorCode") == scalarType(CimType::UInt32));
  CHECK(failure.getPropertyType("ErrorDescription") == scalarType(CimType::String));
  CHECK(failure.getPropertyType("ErrorObject") == objectOf("__ExtendedStatus"));
  CHECK(failure.getPropertyType("Event") == objectOf("__Event"));

  CHECK(systemClass("__InstanceOperationEvent").getPropertyType("TargetInstance") == scalarType(CimType::Object));
  CHECK(systemClass("__InstanceModificationEvent").getPropertyType("PreviousInstance") == scalarType(CimType::Object));
  CHECK(systemClass("__InstanceModificationEvent").getPropertyOrigin("TargetInstance") == "__InstanceOperationEvent");

  const ClassObject& invocation = systemClass("__MethodInvocationEvent");
  CHECK(invocation.getPropertyType("Method") == scalarType(CimType::String));
  CHECK(invocation.getPropertyType("Parameters") == objectOf("__PARAMETERS"));
  CHECK(invocation.getPropertyType("PreCall") == scalarType(CimType::Boolean));

  CHECK(systemClass("__ClassOperationEvent").getPropertyType("TargetClass") == scalarType(CimType::Object));
  CHECK(systemClass("__ClassModificationEvent").getPropertyType("PreviousClass") == scalarType(CimType::Object));
  CHECK(systemClass("__NamespaceOperationEvent").getPropertyType("TargetNamespace") == objectOf("__Namespace"));
  CHECK(systemClass("__NamespaceModificationEvent").getPropertyType("PreviousNamespace") == objectOf("__Namespace"));

  CHECK(systemClass("__TimerEvent").getPropertyType("NumFirings") == scalarType(CimType::UInt32));
  CHECK(systemClass("__TimerEvent").getPropertyType("TimerId") == scalarType(CimType::String));
}

TEST_CASE("status classes", "[systemclasses]") {
  const ClassObject& status = systemClass("__ExtendedStatus");
  for (std::string_view name : {"Description", "Operation", "ParameterInfo", "ProviderName"})
    CHECK(status.getPropertyType(name) == scalarType(CimType::String));
  CHECK(status.getPropertyType("StatusCode") == scalarType(CimType::UInt32));
  CHECK(status.getPropertyOrigin("StatusCode") == "__NotifyStatus");
  CHECK(status.getNames(WBEM_FLAG_NONSYSTEM_ONLY).size() == 5);
}

TEST_CASE("timer instructions", "[systemclasses]") {
  const ClassObject& timer = systemClass("__TimerInstruction");
  CHECK(timer.getPropertyType("SkipIfPassed") == scalarType(CimType::Boolean));
  CHECK(timer.get("SkipIfPassed") == Value(false));
  CHECK(keyNames(timer) == std::vector<std::string>{"TimerId"});

  const ClassObject& interval = systemClass("__IntervalTimerInstruction");
  CHECK(interval.getPropertyType("IntervalBetweenEvents") == scalarType(CimType::UInt32));
  CHECK(keyNames(interval) == std::vector<std::string>{"TimerId"});
  ClassObject instance = interval.spawnInstance();
  CHECK(instance.get("SkipIfPassed") == Value(false));
  instance.put("TimerId", Value("T1"));
  instance.put("IntervalBetweenEvents", Value(std::uint32_t{1000}));
  REQUIRE(instance.path());
  CHECK(instance.path()->relativePath() == "__IntervalTimerInstruction.TimerId=\"T1\"");

  CHECK(systemClass("__AbsoluteTimerInstruction").getPropertyType("EventDateTime") == scalarType(CimType::DateTime));
}

TEST_CASE("permanent subscription classes", "[systemclasses]") {
  const ClassObject& filter = systemClass("__EventFilter");
  CHECK(keyNames(filter) == std::vector<std::string>{"Name"});
  // decisions.md 10: CreatorSID is "uid:N" text, not a binary SID.
  CHECK(filter.getPropertyType("CreatorSID") == scalarType(CimType::String));
  for (std::string_view name : {"EventAccess", "EventNamespace", "Name", "Query", "QueryLanguage"})
    CHECK(filter.getPropertyType(name) == scalarType(CimType::String));
  ClassObject instance = filter.spawnInstance();
  instance.put("Name", Value("F1"));
  REQUIRE(instance.path());
  CHECK(instance.path()->relativePath() == "__EventFilter.Name=\"F1\"");

  const ClassObject& consumer = systemClass("__EventConsumer");
  CHECK(consumer.getPropertyType("CreatorSID") == scalarType(CimType::String));
  CHECK(consumer.getPropertyType("MachineName") == scalarType(CimType::String));
  CHECK(consumer.getPropertyType("MaximumQueueSize") == scalarType(CimType::UInt32));
  CHECK(keyNames(consumer).empty());

  const ClassObject& binding = systemClass("__FilterToConsumerBinding");
  CHECK(keyNames(binding) == std::vector<std::string>{"Consumer", "Filter"});
  CHECK(binding.getPropertyType("Consumer") == refTo("__EventConsumer"));
  CHECK(binding.getPropertyType("Filter") == refTo("__EventFilter"));
  CHECK(binding.getPropertyType("CreatorSID") == scalarType(CimType::String));
  CHECK(binding.getPropertyType("DeliveryQoS") == scalarType(CimType::UInt32));
  CHECK(binding.get("DeliveryQoS").isNull());
  CHECK(binding.get("DeliverSynchronously") == Value(false));
  CHECK(binding.get("MaintainSecurityContext") == Value(false));
  CHECK(binding.get("SlowDownProviders") == Value(false));
  CHECK(binding.getQualifierSet().isTrue("association"));
}

TEST_CASE("provider classes and registrations", "[systemclasses]") {
  const ClassObject& provider = systemClass("__Win32Provider");
  CHECK(keyNames(provider) == std::vector<std::string>{"Name"});
  CHECK(provider.getPropertyOrigin("Name") == "__Provider");
  for (std::string_view name :
       {"CLSID", "ClientLoadableCLSID", "DefaultMachineName", "HostingModel", "SecurityDescriptor"})
    CHECK(provider.getPropertyType(name) == scalarType(CimType::String));
  CHECK(provider.getPropertyType("Concurrency") == scalarType(CimType::SInt32));
  CHECK(provider.getPropertyType("InitializationReentrancy") == scalarType(CimType::SInt32));
  CHECK(provider.get("InitializationReentrancy") == Value(std::int32_t{0}));
  CHECK(provider.getPropertyType("UnloadTimeout") == scalarType(CimType::DateTime));
  CHECK(provider.getPropertyType("Version") == scalarType(CimType::UInt32));
  CHECK(provider.getPropertyType("Enabled") == scalarType(CimType::Boolean));
  CHECK(provider.getPropertyType("InitializeAsAdminFirst") == scalarType(CimType::Boolean));
  CHECK(provider.get("PerLocaleInitialization") == Value(false));
  CHECK(provider.get("PerUserInitialization") == Value(false));
  CHECK(provider.get("Pure") == Value(true));
  CHECK(provider.get("HostingModel").isNull());

  CHECK(systemClass("__ProviderRegistration").getPropertyType("provider") == refTo("__Provider"));
  CHECK(keyNames(systemClass("__ProviderRegistration")).empty());

  const ClassObject& events = systemClass("__EventProviderRegistration");
  CHECK(keyNames(events) == std::vector<std::string>{"provider"});
  CHECK(events.getPropertyOrigin("provider") == "__ProviderRegistration");
  CHECK(events.getPropertyType("EventQueryList") == arrayType(CimType::String));

  const ClassObject& consumers = systemClass("__EventConsumerProviderRegistration");
  CHECK(keyNames(consumers) == std::vector<std::string>{"provider"});
  CHECK(consumers.getPropertyType("ConsumerClassNames") == arrayType(CimType::String));
  ClassObject registration = consumers.spawnInstance();
  registration.put("provider", Value::reference("__Win32Provider.Name=\"LogFileConsumer\""));
  REQUIRE(registration.path());
  CHECK(registration.path()->className() == "__EventConsumerProviderRegistration");
  CHECK(registration.path()->keys().size() == 1);
}

TEST_CASE("__Namespace has the key Name", "[systemclasses]") {
  const ClassObject& ns = systemClass("__Namespace");
  CHECK(keyNames(ns) == std::vector<std::string>{"Name"});
  CHECK(ns.getPropertyType("Name") == scalarType(CimType::String));
  CHECK(ns.superclassName() == "__SystemClass");
}

TEST_CASE("__ArbitratorConfiguration is a singleton with the quotas of decisions.md 7", "[systemclasses]") {
  const ClassObject& config = systemClass("__ArbitratorConfiguration");
  CHECK(config.getQualifierSet().isTrue("singleton"));
  const std::vector<std::pair<std::string_view, std::uint32_t>> defaults = {
      {"TemporarySubscriptionsPerUser", 1000},
      {"TemporarySubscriptionsTotal", 10000},
      {"PermanentSubscriptionsPerUser", 1000},
      {"PermanentSubscriptionsTotal", 10000},
      {"PollingInstructionsPerUser", 1000},
      {"PollingInstructionsTotal", 10000},
      {"PollingMemoryPerUser", 5000000},
      {"PollingMemoryTotal", 10000000},
      {"MaximumQueueSizePerConsumer", 10u * 1024 * 1024},
      {"MaximumQueueSizePerUser", 10u * 1024 * 1024},
      {"MaximumQueueSizeTotal", 20u * 1024 * 1024},
      {"MaxWaitOnEvents", 2000},
  };
  CHECK(config.getNames(WBEM_FLAG_NONSYSTEM_ONLY).size() == defaults.size());
  for (const auto& [name, value] : defaults) {
    INFO(name);
    CHECK(config.getPropertyType(name) == scalarType(CimType::UInt32));
    CHECK(config.get(name) == Value(value));
  }
  const ClassObject instance = config.spawnInstance();
  CHECK(instance.get("TemporarySubscriptionsPerUser") == Value(std::uint32_t{1000}));
  REQUIRE(instance.path());
  CHECK(instance.path()->relativePath() == "__ArbitratorConfiguration=@");
}

TEST_CASE("abstract classes carry a Restricted abstract qualifier", "[systemclasses]") {
  for (std::string_view name :
       {"__SystemClass", "__NotifyStatus", "__IndicationRelated", "__Event", "__ExtrinsicEvent", "__EventGenerator",
        "__TimerInstruction", "__EventConsumer", "__Provider", "__ProviderRegistration"}) {
    INFO(name);
    const QualifierSet qualifiers = systemClass(name).getQualifierSet();
    const Qualifier* abstract = qualifiers.find("abstract");
    REQUIRE(abstract);
    CHECK(abstract->value == Value(true));
    CHECK_FALSE(abstract->isPropagated());
    CHECK((abstract->flavor & WBEM_FLAVOR_FLAG_PROPAGATE_TO_DERIVED_CLASS) == 0);
  }
  for (std::string_view name : {"__Namespace", "__ExtendedStatus", "__SystemEvent", "__InstanceCreationEvent",
                                "__IntervalTimerInstruction", "__Win32Provider", "__EventFilter",
                                "__EventProviderRegistration", "__AggregateEvent", "__ArbitratorConfiguration"}) {
    INFO(name);
    CHECK_FALSE(systemClass(name).getQualifierSet().isTrue("abstract"));
  }
}

TEST_CASE("keys are inherited and cannot be overridden", "[systemclasses]") {
  const QualifierSet qualifiers = systemClass("__Win32Provider").getPropertyQualifierSet("Name");
  const Qualifier* key = qualifiers.find("key");
  REQUIRE(key);
  CHECK(key->isPropagated());
  CHECK((key->flavor & WBEM_FLAVOR_NOT_OVERRIDABLE) != 0);
}

TEST_CASE("__PARAMETERS is the class method signatures start from", "[systemclasses]") {
  CHECK(systemClass("__PARAMETERS") == ClassObject::parametersClass());
  CHECK(systemClass("__PARAMETERS").definition().properties().empty());
}

TEST_CASE("a namespace holds every system class, found case-insensitively", "[systemclasses]") {
  Namespace ns("root/test");
  const ObjectPtr filter = ns.getClass("__eventfilter");
  REQUIRE(filter);
  CHECK(filter->className() == "__EventFilter");
  CHECK(filter->compareTo(systemClass("__EventFilter"), WBEM_FLAG_IGNORE_OBJECT_SOURCE));
  for (const std::string& name : kAllClasses) {
    INFO(name);
    const ObjectPtr cls = ns.findClass(lowerName(name));
    REQUIRE(cls);
    CHECK(cls->className() == name);
  }
  CHECK(ns.classInheritsFrom("__InstanceCreationEvent", "__Event"));
  CHECK_FALSE(ns.classInheritsFrom("__AggregateEvent", "__Event"));
}
