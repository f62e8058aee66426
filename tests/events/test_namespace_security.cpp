// Namespace security (issue 9): each namespace's descriptor, inherited unless set, judging every
// call a principal makes, changed through __SystemSecurity, and kept in the repository.

#include <wbem/event_service.hpp>
#include <wbem/objectpath.hpp>
#include <wbem/repository.hpp>

#include <catch2/catch.hpp>

#include "child_process.hpp"
#include "event_fixture.hpp"
#include "support.hpp"

using namespace wbem;
using namespace wbemtest;

namespace {

const ObjectPath kSystemSecurity = ObjectPath::forSingleton("__SystemSecurity");

// Alice: an ordinary user (not the test process's uid, not an administrator).
Principal alice() { return userPrincipal(6001); }

std::string sddlOf(const ClassObject& getSdOut) {
  std::string text;
  for (const Value& b : getSdOut.get("SD").asArray()) text.push_back(static_cast<char>(b.asUInt64()));
  return text;
}

ClassObject setSdIn(Namespace& ns, std::string_view sddl) {
  ClassObject in = ns.getClass("__SystemSecurity")->getMethod("SetSD").inSignature->spawnInstance();
  ValueArray bytes;
  for (char c : sddl) bytes.emplace_back(static_cast<std::uint8_t>(c));
  in.put("SD", Value(CimType::UInt8, std::move(bytes)));
  return in;
}

ObjectPath repPath(std::string_view key) { return ObjectPath::parse("Rep.K=\"" + std::string(key) + "\""); }

}  // namespace

TEST_CASE("Namespaces inherit the default descriptor: admins and the service's user all, everyone read") {
  Fixture f;
  const NamespaceSecurity root = f.service.namespaceSecurity("root");
  CHECK(root.inherited);
  CHECK(root.descriptor == EventService::defaultNamespaceSecurity());
  CHECK(f.service.namespaceSecurity("root/test").descriptor == root.descriptor);

  const SecurityDescriptor& sd = root.descriptor;
  CHECK(sd.owner() == "BA");
  CHECK(sd.grants(adminPrincipal(), kAllNamespaceRights));
  CHECK(sd.grants(Principal::current(), kAllNamespaceRights));
  CHECK(sd.grants(alice(), WBEM_ENABLE | WBEM_METHOD_EXECUTE | WBEM_RIGHT_SUBSCRIBE));
  for (std::uint32_t right :
       {WBEM_FULL_WRITE_REP, WBEM_PARTIAL_WRITE_REP, WBEM_WRITE_PROVIDER, WBEM_RIGHT_PUBLISH, READ_CONTROL, WRITE_DAC})
    CHECK_FALSE(sd.grants(alice(), right));
}

TEST_CASE("An ordinary user reads and subscribes but every write is denied and changes nothing") {
  Fixture f;
  ClassObject existing = f.ns.getClass("Rep")->spawnInstance();
  existing.put("K", Value("kept"));
  f.ns.putInstance(existing);

  const Impersonation actingAs(alice());
  CHECK(f.ns.getInstance(repPath("kept"))->get("K").asString() == "kept");
  CHECK(f.ns.enumInstances("Rep").size() == 1);
  CHECK(f.service.createInstanceEnum("root\\test", "Rep").size() == 1);
  auto sink = std::make_shared<RecordingSink>();
  CHECK(f.service.subscribe("root\\test", "WQL", "SELECT * FROM E", sink) > 0);

  ClassObject added = f.ns.getClass("Rep")->spawnInstance();
  added.put("K", Value("added"));
  const Error denied = errorOf([&] { f.ns.putInstance(added); });
  CHECK(denied.status() == WBEM_E_ACCESS_DENIED);
  CHECK_THAT(denied.message(), Catch::Contains("PutInstance in namespace root\\test") && Catch::Contains("uid:6001"));
  CHECK(statusOf([&] { f.ns.deleteInstance(repPath("kept")); }) == WBEM_E_ACCESS_DENIED);
  CHECK(statusOf([&] { f.ns.putClass(ClassObject::createClass("Mine")); }) == WBEM_E_ACCESS_DENIED);
  CHECK(statusOf([&] { f.ns.deleteClass("Rep"); }) == WBEM_E_ACCESS_DENIED);
  CHECK(statusOf([&] { f.service.createNamespace("root\\test\\mine"); }) == WBEM_E_ACCESS_DENIED);
  CHECK(statusOf([&] { f.service.deleteNamespace("root\\test"); }) == WBEM_E_ACCESS_DENIED);
  CHECK(statusOf([&] { f.service.namespaceSecurity("root\\test"); }) == WBEM_E_ACCESS_DENIED);
  CHECK(statusOf([&] { f.service.setNamespaceSecurity("root\\test", SecurityDescriptor()); }) == WBEM_E_ACCESS_DENIED);
  CHECK(statusOf([&] { f.service.addEventProvider("root\\test", "Q", std::make_shared<TestProvider>()); }) ==
        WBEM_E_ACCESS_DENIED);

  // Nothing changed, as the service itself sees it.
  const RevertToSelf asService;
  CHECK(f.ns.enumInstances("Rep").size() == 1);
  CHECK(f.ns.findClass("Mine") == nullptr);
  CHECK(f.ns.findClass("Rep") != nullptr);
  CHECK(f.service.findNamespace("root\\test\\mine") == nullptr);
  CHECK(f.service.namespaceSecurity("root\\test").inherited);
}

TEST_CASE("A namespace's own descriptor applies to it and the namespaces below, until it inherits again") {
  Fixture f;
  f.service.createNamespace("root\\test\\child");
  // Alice may write static instances in root\test (PartialWrite), but not classes.
  const std::string granted = "O:BAG:BAD:(A;;0x600ff;;;BA)(A;;0x43;;;WD)(A;;0x8;;;uid:6001)";
  f.service.setNamespaceSecurity("root\\test", SecurityDescriptor::parse(granted));
  CHECK_FALSE(f.service.namespaceSecurity("root\\test").inherited);
  CHECK(f.service.namespaceSecurity("root\\test\\child").inherited);
  CHECK(f.service.namespaceSecurity("root\\test\\child").descriptor.toSddl() == granted);
  CHECK(f.service.namespaceSecurity("root").descriptor == EventService::defaultNamespaceSecurity());

  {
    const Impersonation actingAs(alice());
    ClassObject mine = f.ns.getClass("Rep")->spawnInstance();
    mine.put("K", Value("alice's"));
    CHECK(f.ns.putInstance(mine).relativePath() == "Rep.K=\"alice's\"");
    CHECK(statusOf([&] { f.ns.putClass(ClassObject::createClass("Mine")); }) == WBEM_E_ACCESS_DENIED);
    // Provider registrations need ProviderWrite besides.
    ClassObject provider = f.ns.getClass("__Win32Provider")->spawnInstance();
    provider.put("Name", Value("AliceProvider"));
    CHECK(statusOf([&] { f.ns.putInstance(provider); }) == WBEM_E_ACCESS_DENIED);
    CHECK(statusOf([&] { f.service.getNamespace("root").putInstance(mine); }) == WBEM_E_ACCESS_DENIED);
  }

  f.service.setNamespaceSecurity("root\\test", std::nullopt);
  CHECK(f.service.namespaceSecurity("root\\test").inherited);
  CHECK(f.service.namespaceSecurity("root\\test\\child").descriptor == EventService::defaultNamespaceSecurity());
  const Impersonation actingAs(alice());
  CHECK(statusOf([&] { f.ns.deleteInstance(repPath("alice's")); }) == WBEM_E_ACCESS_DENIED);
}

TEST_CASE("Without WBEM_RIGHT_SUBSCRIBE a subscription is refused, in code and for a permanent owner") {
  Fixture f;
  f.service.setNamespaceSecurity("root\\test", SecurityDescriptor::parse("O:BAG:BAD:(A;;0x600ff;;;BA)(A;;0x3;;;WD)"));
  auto sink = std::make_shared<RecordingSink>();
  const Error denied =
      errorOf([&] { f.service.subscribe("root\\test", "WQL", "SELECT * FROM E", sink, ownedBy(alice())); });
  CHECK(denied.status() == WBEM_E_ACCESS_DENIED);
  CHECK_THAT(denied.message(), Catch::Contains("WBEM_RIGHT_SUBSCRIBE"));
  CHECK(f.service.statistics().subscriptions == 0);
  // An administrator still may.
  CHECK(f.service.subscribe("root\\test", "WQL", "SELECT * FROM E", sink, ownedBy(adminPrincipal())) > 0);
}

TEST_CASE("__SystemSecurity serves GetSD, SetSD and InheritSD to those the descriptor lets") {
  Fixture f;
  ClassObject out = f.ns.execMethod(kSystemSecurity, "GetSD", nullptr);
  CHECK(sddlOf(out) == EventService::defaultNamespaceSecurity().toSddl());
  CHECK(out.get("Inherited").asBool());
  CHECK(out.get("ReturnValue").asUInt64() == 0);

  // Alice owns root\test's descriptor: an owner keeps ReadSecurity and WriteSecurity whatever the DACL.
  const std::string aliceOwns = "O:uid:6001G:BAD:(A;;0x600ff;;;BA)";
  const ClassObject setIn = setSdIn(f.ns, aliceOwns);
  f.ns.execMethod(kSystemSecurity, "SetSD", &setIn);
  CHECK(f.service.namespaceSecurity("root\\test").descriptor.toSddl() == aliceOwns);
  {
    const Impersonation actingAs(alice());
    // MethodExecute is not granted to her any more: the methods need it as every method does.
    CHECK(statusOf([&] { f.ns.execMethod(kSystemSecurity, "GetSD", nullptr); }) == WBEM_E_ACCESS_DENIED);
    CHECK(f.service.namespaceSecurity("root\\test").descriptor.toSddl() == aliceOwns);
    f.service.setNamespaceSecurity("root\\test", SecurityDescriptor::parse(aliceOwns + "(A;;0x3;;;uid:6001)"));
    CHECK(sddlOf(f.ns.execMethod(kSystemSecurity, "GetSD", nullptr)) == aliceOwns + "(A;;0x3;;;uid:6001)");
    f.ns.execMethod(kSystemSecurity, "InheritSD", nullptr);
    // Inherited again: the default, where she has neither ReadSecurity nor WriteSecurity.
    CHECK(statusOf([&] { f.ns.execMethod(kSystemSecurity, "GetSD", nullptr); }) == WBEM_E_ACCESS_DENIED);
  }
  CHECK(f.service.namespaceSecurity("root\\test").inherited);

  const ClassObject garbage = setSdIn(f.ns, "D:(A;;0x1;;;nobody)");
  CHECK(statusOf([&] { f.ns.execMethod(kSystemSecurity, "SetSD", &garbage); }) == WBEM_E_INVALID_PARAMETER);
  CHECK(f.service.namespaceSecurity("root\\test").inherited);
}

TEST_CASE("Namespace descriptors are kept in the repository and come back after a restart") {
  const wbemtest::TempDir dir("wbem-namespace-security");
  const std::string own = "O:BAG:BAD:(A;;0x600ff;;;BA)(A;;0x1;;;WD)(A;;0xc;;;gid:6100)";
  {
    EventServiceOptions options;
    options.repository = std::make_shared<Repository>(dir / "repository.db");
    EventService service(std::move(options));
    service.createNamespace("root\\app");
    service.createNamespace("root\\app\\child");
    service.setNamespaceSecurity("root\\app", SecurityDescriptor::parse(own));
  }
  EventServiceOptions options;
  options.repository = std::make_shared<Repository>(dir / "repository.db");
  EventService service(std::move(options));
  CHECK_FALSE(service.namespaceSecurity("root\\app").inherited);
  CHECK(service.namespaceSecurity("root\\app").descriptor.toSddl() == own);
  CHECK(service.namespaceSecurity("root\\app\\child").descriptor.toSddl() == own);
  CHECK(service.namespaceSecurity("root").inherited);
  // The descriptor judges again: a member of gid 6100 may write instances, others not.
  Principal member{6002, {6002, 6100}, false};
  CHECK(service.getNamespace("root\\app").grants(member, WBEM_PARTIAL_WRITE_REP));
  CHECK_FALSE(service.getNamespace("root\\app").grants(alice(), WBEM_PARTIAL_WRITE_REP));
}

TEST_CASE(
    "A __Win32Provider with a SecurityDescriptor, and its registrations, change only for its owner and "
    "administrators") {
  Fixture f;
  f.service.setNamespaceSecurity("root\\test", SecurityDescriptor::parse("D:(A;;GA;;;WD)"));
  Namespace& ns = f.ns;
  ClassObject provider = ns.getClass("__Win32Provider")->spawnInstance();
  provider.put("Name", Value("Claimed"));
  provider.put("HostingModel", Value("Decoupled:Com"));
  provider.put("SecurityDescriptor", Value("O:uid:6001D:(A;;0x80;;;uid:6001)"));
  const ObjectPath path = ns.putInstance(provider);

  ClassObject takeover = provider;
  takeover.put("SecurityDescriptor", Value("D:(A;;0x80;;;uid:6002)"));
  {
    const Impersonation asMallory(userPrincipal(6002));
    CHECK_STATUS(WBEM_E_ACCESS_DENIED, ns.putInstance(takeover));
    CHECK_STATUS(WBEM_E_ACCESS_DENIED, ns.deleteInstance(path));
  }
  CHECK(ns.getInstance(path)->get("SecurityDescriptor").asString() == "O:uid:6001D:(A;;0x80;;;uid:6001)");
  // Its registrations are its owner's too: nobody else adds queries to it or takes them away.
  ClassObject registration = ns.getClass("__EventProviderRegistration")->spawnInstance();
  registration.put("provider", Value::reference(path.relativePath()));
  registration.put("EventQueryList", Value(CimType::String, ValueArray{Value("SELECT * FROM E")}));
  {
    const Impersonation asMallory(userPrincipal(6002));
    CHECK_STATUS(WBEM_E_ACCESS_DENIED, ns.putInstance(registration));
  }
  const ObjectPath registrationPath = *registration.path();
  CHECK_STATUS(WBEM_E_NOT_FOUND, ns.getInstance(registrationPath));
  {
    const Impersonation asOwner(alice());
    ns.putInstance(registration);
  }
  {
    const Impersonation asMallory(userPrincipal(6002));
    CHECK_STATUS(WBEM_E_ACCESS_DENIED, ns.deleteInstance(registrationPath));
  }
  CHECK(ns.getInstance(registrationPath));
  {
    const Impersonation asOwner(alice());
    ns.putInstance(takeover);  // the owner may give it away
  }
  CHECK(ns.getInstance(path)->get("SecurityDescriptor").asString() == "D:(A;;0x80;;;uid:6002)");
  {
    const Impersonation asAdministrator(adminPrincipal());
    ns.deleteInstance(path);
  }
  CHECK_STATUS(WBEM_E_NOT_FOUND, ns.getInstance(path));
}
