// queriesOverlap: provider registration queries against consumer filters (spec 4.1,
// decisions.md 4): class relationships, ISA targets, contradictory equalities, NULL tests, and
// the conservative answer when unsure.

#include <wbem/overlap.hpp>

#include <catch2/catch.hpp>
#include <string>

using namespace wbem;

namespace {

struct Fixture {
  Namespace ns{"root\\test"};
  Fixture() {
    ClassObject e = ns.getClass("__ExtrinsicEvent")->spawnDerivedClass("E");
    e.putProperty("Source", scalarType(CimType::String));
    e.putProperty("N", scalarType(CimType::SInt32));
    e.putProperty("R", scalarType(CimType::Real32));
    e.putProperty("B", scalarType(CimType::Boolean));
    e.putProperty("O", scalarType(CimType::Object));
    ns.putClass(e);
    ns.putClass(ns.getClass("E")->spawnDerivedClass("E2"));
    ns.putClass(ns.getClass("__ExtrinsicEvent")->spawnDerivedClass("Other"));
    ClassObject p = ClassObject::createClass("CIM_Process");
    p.putProperty("Handle", scalarType(CimType::String));
    p.putPropertyQualifier("Handle", "key", Value(true));
    ns.putClass(p);
    ns.putClass(ns.getClass("CIM_Process")->spawnDerivedClass("Linux_Process"));
    ClassObject disk = ClassObject::createClass("Win32_LogicalDisk");
    disk.putProperty("DeviceID", scalarType(CimType::String));
    disk.putPropertyQualifier("DeviceID", "key", Value(true));
    ns.putClass(disk);
  }
  bool overlap(const std::string& registration, const std::string& filter) const {
    return queriesOverlap(*QueryFilter::compile(registration, ns, QueryKind::Notification),
                          *QueryFilter::compile(filter, ns, QueryKind::Notification), ns);
  }
};

const char* const kCreationsOfLinux = "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Linux_Process'";

}  // namespace

TEST_CASE("Overlap by event class: same, subclass, superclass, unrelated", "[overlap]") {
  Fixture fx;
  CHECK(fx.overlap("SELECT * FROM E", "SELECT * FROM E"));
  CHECK(fx.overlap("SELECT * FROM E", "SELECT * FROM E2"));
  CHECK(fx.overlap("SELECT * FROM E2", "SELECT * FROM E"));
  CHECK(fx.overlap("SELECT * FROM E", "SELECT * FROM __ExtrinsicEvent"));
  CHECK(fx.overlap("SELECT * FROM E", "SELECT * FROM __Event"));
  CHECK_FALSE(fx.overlap("SELECT * FROM E", "SELECT * FROM Other"));
  CHECK_FALSE(fx.overlap("SELECT * FROM E2", "SELECT * FROM Other"));
  // A provider of creations serves a filter on all instance operations, not one on deletions.
  CHECK(
      fx.overlap(kCreationsOfLinux, "SELECT * FROM __InstanceOperationEvent WHERE TargetInstance ISA 'Linux_Process'"));
  CHECK_FALSE(
      fx.overlap(kCreationsOfLinux, "SELECT * FROM __InstanceDeletionEvent WHERE TargetInstance ISA 'Linux_Process'"));
  CHECK_FALSE(fx.overlap("SELECT * FROM __InstanceCreationEvent", "SELECT * FROM E"));
}

TEST_CASE("Overlap by TargetInstance ISA targets", "[overlap]") {
  Fixture fx;
  CHECK(fx.overlap(kCreationsOfLinux, "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'CIM_Process'"));
  CHECK(fx.overlap("SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'CIM_Process'",
                   "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'linux_process'"));
  CHECK_FALSE(fx.overlap(kCreationsOfLinux,
                         "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Win32_LogicalDisk'"));
  // No ISA on one side: any target.
  CHECK(fx.overlap(kCreationsOfLinux, "SELECT * FROM __InstanceCreationEvent"));
  CHECK(fx.overlap("SELECT * FROM __InstanceCreationEvent", kCreationsOfLinux));
  // Only top-level conjuncts count: an OR may reach the other class.
  CHECK(fx.overlap(kCreationsOfLinux,
                   "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA "
                   "'Win32_LogicalDisk' OR TargetInstance ISA 'CIM_Process'"));
  CHECK_FALSE(fx.overlap(kCreationsOfLinux,
                         "SELECT * FROM __InstanceOperationEvent WHERE TargetInstance.DeviceID = "
                         "'C:' AND TargetInstance ISA 'Win32_LogicalDisk'"));
  // A class created after both queries is looked up in the namespace.
  ClassObject late = fx.ns.getClass("Linux_Process")->spawnDerivedClass("Linux_Thread");
  fx.ns.putClass(late);
  CHECK(fx.overlap(kCreationsOfLinux, "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Linux_Thread'"));
}

TEST_CASE("Overlap by top-level equality and NULL conditions", "[overlap]") {
  Fixture fx;
  CHECK_FALSE(fx.overlap("SELECT * FROM E WHERE Source = 'a'", "SELECT * FROM E WHERE Source = 'b'"));
  CHECK(fx.overlap("SELECT * FROM E WHERE Source = 'a'", "SELECT * FROM E WHERE Source = 'A'"));
  CHECK(fx.overlap("SELECT * FROM E WHERE Source = 'a'", "SELECT * FROM E2 WHERE source = 'a' AND N > 3"));
  CHECK_FALSE(fx.overlap("SELECT * FROM E WHERE Source = 'a'", "SELECT * FROM E2 WHERE N > 3 AND Source = 'c'"));
  CHECK(fx.overlap("SELECT * FROM E WHERE Source = 'a'", "SELECT * FROM E WHERE N = 1"));
  CHECK(fx.overlap("SELECT * FROM E WHERE Source = 'a'", "SELECT * FROM E WHERE Source = 'b' OR N = 1"));
  CHECK(fx.overlap("SELECT * FROM E WHERE Source = 'a'", "SELECT * FROM E WHERE Source <> 'a'"));  // unsure: overlap
  // Numbers compare by value across literal kinds.
  CHECK(fx.overlap("SELECT * FROM E WHERE N = 5", "SELECT * FROM E WHERE N = 5.0"));
  CHECK(fx.overlap("SELECT * FROM E WHERE N = 5", "SELECT * FROM E WHERE N = '5'"));
  CHECK_FALSE(fx.overlap("SELECT * FROM E WHERE N = 5", "SELECT * FROM E WHERE N = 6"));
  // real32 properties compare with constants rounded to real32.
  CHECK(fx.overlap("SELECT * FROM E WHERE R = 0.1", "SELECT * FROM E WHERE R = 0.10000000149011612"));
  CHECK_FALSE(fx.overlap("SELECT * FROM E WHERE R = 0.5", "SELECT * FROM E WHERE R = 0.25"));
  // Booleans: TRUE = 1 = any nonzero constant.
  CHECK(fx.overlap("SELECT * FROM E WHERE B = TRUE", "SELECT * FROM E WHERE B = 7"));
  CHECK_FALSE(fx.overlap("SELECT * FROM E WHERE B = TRUE", "SELECT * FROM E WHERE B = 0"));
  // Inside embedded objects the type is unknown: "5" and 5 may be the same value.
  CHECK(fx.overlap("SELECT * FROM E WHERE O.X = 5", "SELECT * FROM E WHERE O.X = '5'"));
  CHECK_FALSE(fx.overlap("SELECT * FROM E WHERE O.X = 'a'", "SELECT * FROM E WHERE O.X = 'b'"));
  // NULL tests.
  CHECK_FALSE(fx.overlap("SELECT * FROM E WHERE Source = 'a'", "SELECT * FROM E WHERE Source IS NULL"));
  CHECK_FALSE(fx.overlap("SELECT * FROM E WHERE Source = NULL", "SELECT * FROM E WHERE Source IS NOT NULL"));
  CHECK(fx.overlap("SELECT * FROM E WHERE Source = NULL", "SELECT * FROM E WHERE Source IS NULL"));
}
