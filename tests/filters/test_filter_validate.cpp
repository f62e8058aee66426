// QueryFilter::compile's validation against the schema: every rule with its status code and the
// column it reports (spec 2.2, 2.4 G7, 12 A; decisions.md).

#include <wbem/filter.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace wbem;

namespace {

// root\test: acceptance-case classes E : __ExtrinsicEvent {S, N, B, ...}, F : __ExtrinsicEvent
// {object O}, Plain {[key] K, V} and PlainChild : Plain {W}.
Namespace& testNamespace() {
  static Namespace ns("root\\test");
  static const bool ready = [] {
    ClassObject plain = ClassObject::createClass("Plain");
    plain.putProperty("K", scalarType(CimType::String));
    plain.putPropertyQualifier("K", "key", Value(true));
    plain.putProperty("V", scalarType(CimType::SInt32));
    plain.putProperty("Inner", scalarType(CimType::Object, "Plain"));
    ns.putClass(plain);
    ClassObject child = ns.getClass("Plain")->spawnDerivedClass("PlainChild");
    child.putProperty("W", scalarType(CimType::String));
    ns.putClass(child);
    ClassObject e = ns.getClass("__ExtrinsicEvent")->spawnDerivedClass("E");
    e.putProperty("S", scalarType(CimType::String));
    e.putProperty("N", scalarType(CimType::SInt32));
    e.putProperty("B", scalarType(CimType::Boolean));
    e.putProperty("U64", scalarType(CimType::UInt64));
    e.putProperty("R", scalarType(CimType::Real64));
    e.putProperty("C", scalarType(CimType::Char16));
    e.putProperty("D", scalarType(CimType::DateTime));
    e.putProperty("Rf", scalarType(CimType::Reference, "Plain"));
    e.putProperty("P", scalarType(CimType::Object, "Plain"));
    e.putProperty("SA", arrayType(CimType::String));
    ns.putClass(e);
    ClassObject fcls = ns.getClass("__ExtrinsicEvent")->spawnDerivedClass("F");
    fcls.putProperty("O", scalarType(CimType::Object));
    ns.putClass(fcls);
    return true;
  }();
  (void)ready;
  return ns;
}

struct Case {
  QueryKind kind;
  const char* query;
  Status status;
  std::uint32_t column;  // 0: not checked (a success)
};

constexpr QueryKind N = QueryKind::Notification;
constexpr QueryKind D = QueryKind::Data;

// clang-format off
const Case kCases[] = {
    // accepted
    {N, "SELECT * FROM E", WBEM_S_NO_ERROR, 0},
    {N, "SELECT S, N FROM E WHERE S = 'x' AND N > 3", WBEM_S_NO_ERROR, 0},
    {N, "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Plain' AND TargetInstance.V = 1", WBEM_S_NO_ERROR, 0},
    {N, "SELECT TargetInstance.K FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Plain'", WBEM_S_NO_ERROR, 0},
    {N, "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance.Anything = 1", WBEM_S_NO_ERROR, 0},
    {N, "SELECT * FROM __InstanceModificationEvent WITHIN 5 WHERE TargetInstance ISA 'Plain' AND PreviousInstance.Other = 1", WBEM_S_NO_ERROR, 0},
    {N, "SELECT * FROM E WHERE P.Inner.Inner.V = 3", WBEM_S_NO_ERROR, 0},
    {N, "SELECT * FROM E WHERE N = '5' AND B <> 'false' AND R = '1.5' AND C = 'x' AND C = 65", WBEM_S_NO_ERROR, 0},
    {N, "SELECT * FROM E WHERE B = 1 AND B = TRUE AND B <> 0", WBEM_S_NO_ERROR, 0},
    {N, "SELECT * FROM E WHERE D > '20240101000000.000000+000' AND Rf = 'Plain.K=\"a\"'", WBEM_S_NO_ERROR, 0},
    {N, "SELECT * FROM E WHERE SA IS NULL OR SA = NULL OR SA <> NULL", WBEM_S_NO_ERROR, 0},
    {N, "SELECT * FROM E WHERE __CLASS = 'E' AND __PATH IS NULL AND __CLASS LIKE 'E%'", WBEM_S_NO_ERROR, 0},
    {N, "SELECT * FROM E WHERE __THIS ISA 'E'", WBEM_S_NO_ERROR, 0},
    {N, "SELECT * FROM F GROUP WITHIN 10 BY O.Name", WBEM_S_NO_ERROR, 0},
    {N, "SELECT * FROM E GROUP WITHIN 10 BY S HAVING NumberOfEvents > 2", WBEM_S_NO_ERROR, 0},
    {D, "SELECT * FROM Plain WHERE V > 2", WBEM_S_NO_ERROR, 0},
    {D, "SELECT * FROM E", WBEM_S_NO_ERROR, 0},
    {N, "SELECT * FROM __AggregateEvent", WBEM_E_NOT_EVENT_CLASS, 15},
    // classes (A5, A6)
    {N, "SELECT * FROM NoSuchEvent", WBEM_E_INVALID_CLASS, 15},
    {D, "SELECT * FROM NoSuchClass", WBEM_E_INVALID_CLASS, 15},
    {N, "SELECT * FROM Plain", WBEM_E_NOT_EVENT_CLASS, 15},
    {N, "SELECT * FROM __EventFilter", WBEM_E_NOT_EVENT_CLASS, 15},
    {N, "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'NoSuch'", WBEM_E_INVALID_CLASS, 60},
    {N, "SELECT * FROM E WHERE P ISA 'NoSuch' OR N = 1", WBEM_E_INVALID_CLASS, 25},
    // data queries: no polling, no aggregation
    {D, "SELECT * FROM Plain WITHIN 5", WBEM_E_INVALID_QUERY, 21},
    {D, "SELECT * FROM Plain GROUP WITHIN 5", WBEM_E_INVALID_QUERY, 21},
    // properties
    {N, "SELECT * FROM E WHERE NoSuch = 1", WBEM_E_INVALID_PROPERTY, 23},
    {N, "SELECT NoSuch FROM E", WBEM_E_INVALID_PROPERTY, 8},
    {N, "SELECT S, NoSuch FROM E", WBEM_E_INVALID_PROPERTY, 11},
    {N, "SELECT * FROM E WHERE P.NoSuch = 1", WBEM_E_INVALID_PROPERTY, 25},
    {N, "SELECT * FROM E WHERE P.W = 'x'", WBEM_E_INVALID_PROPERTY, 25},
    {N, "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Plain' AND TargetInstance.W = 'x'", WBEM_E_INVALID_PROPERTY, 91},
    {N, "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'PlainChild' AND TargetInstance.W = 'x'", WBEM_S_NO_ERROR, 0},
    {N, "SELECT TargetInstance.W FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Plain'", WBEM_E_INVALID_PROPERTY, 23},
    {N, "SELECT * FROM E GROUP WITHIN 10 BY NoSuch", WBEM_E_INVALID_PROPERTY, 36},
    // dot on a non-object (A7)
    {N, "SELECT * FROM E WHERE S.Foo = 1", WBEM_E_PROPERTY_NOT_AN_OBJECT, 23},
    {N, "SELECT * FROM E WHERE P.K.X = 1", WBEM_E_PROPERTY_NOT_AN_OBJECT, 25},
    {N, "SELECT * FROM E WHERE SA.X = 1", WBEM_E_PROPERTY_NOT_AN_OBJECT, 23},
    {N, "SELECT S.Foo FROM E", WBEM_E_PROPERTY_NOT_AN_OBJECT, 8},
    // aggregation by object (A9)
    {N, "SELECT * FROM F GROUP WITHIN 10 BY O", WBEM_E_AGGREGATING_BY_OBJECT, 36},
    {N, "SELECT * FROM E GROUP WITHIN 10 BY S, P", WBEM_E_AGGREGATING_BY_OBJECT, 39},
    // operators that do not suit the type (A10, Q9, Q22)
    {N, "SELECT * FROM E WHERE B >= TRUE", WBEM_E_INVALID_OPERATOR, 25},
    {N, "SELECT * FROM E WHERE B < 1", WBEM_E_INVALID_OPERATOR, 25},
    {N, "SELECT * FROM E WHERE TRUE > B", WBEM_E_INVALID_OPERATOR, 28},
    {N, "SELECT * FROM E WHERE N >= NULL", WBEM_E_INVALID_OPERATOR, 25},
    {N, "SELECT * FROM E WHERE S < NULL", WBEM_E_INVALID_OPERATOR, 25},
    {N, "SELECT * FROM E WHERE N LIKE '5'", WBEM_E_INVALID_OPERATOR, 25},
    {N, "SELECT * FROM E WHERE D LIKE '2024%'", WBEM_E_INVALID_OPERATOR, 25},
    {N, "SELECT * FROM E WHERE S ISA 'Plain'", WBEM_E_INVALID_OPERATOR, 25},
    {N, "SELECT * FROM E WHERE Rf ISA 'Plain'", WBEM_E_INVALID_OPERATOR, 26},
    {N, "SELECT * FROM E WHERE Rf < 'Plain.K=\"a\"'", WBEM_E_INVALID_OPERATOR, 26},
    {N, "SELECT * FROM E WHERE P = 'x'", WBEM_E_INVALID_OPERATOR, 25},
    {N, "SELECT * FROM E WHERE SA = 'x'", WBEM_E_INVALID_OPERATOR, 26},
    {N, "SELECT * FROM E WHERE N = 1 OR (S = 'a' AND NOT B > FALSE)", WBEM_E_INVALID_OPERATOR, 51},
    // constants that do not fit the type
    {N, "SELECT * FROM E WHERE N = 'abc'", WBEM_E_TYPE_MISMATCH, 25},
    {N, "SELECT * FROM E WHERE N = TRUE", WBEM_E_TYPE_MISMATCH, 25},
    {N, "SELECT * FROM E WHERE U64 > 'x'", WBEM_E_TYPE_MISMATCH, 27},
    {N, "SELECT * FROM E WHERE R = FALSE", WBEM_E_TYPE_MISMATCH, 25},
    {N, "SELECT * FROM E WHERE S = 5", WBEM_E_TYPE_MISMATCH, 25},
    {N, "SELECT * FROM E WHERE S = TRUE", WBEM_E_TYPE_MISMATCH, 25},
    {N, "SELECT * FROM E WHERE B = 'yes'", WBEM_E_TYPE_MISMATCH, 25},
    {N, "SELECT * FROM E WHERE B = 1.5", WBEM_E_TYPE_MISMATCH, 25},
    {N, "SELECT * FROM E WHERE C = 'xy'", WBEM_E_TYPE_MISMATCH, 25},
    {N, "SELECT * FROM E WHERE D = 'tomorrow'", WBEM_E_TYPE_MISMATCH, 25},
    {N, "SELECT * FROM E WHERE D = 20240101", WBEM_E_TYPE_MISMATCH, 25},
    {N, "SELECT * FROM E WHERE Rf = 5", WBEM_E_TYPE_MISMATCH, 26},
    {N, "SELECT * FROM E WHERE 'abc' = N", WBEM_E_TYPE_MISMATCH, 29},
    // parser errors pass through with their own codes (A4, A11-A13)
    {N, "SELEC * FROM E", WBEM_E_INVALID_QUERY, 1},
    {N, "SELECT * FROM E WHERE N IS 5", WBEM_E_INVALID_QUERY, 0},
    {N, "SELECT * FROM E WHERE N < S", WBEM_E_INVALID_QUERY, 0},
};
// clang-format on

}  // namespace

TEST_CASE("compile: validation codes and positions") {
  Namespace& ns = testNamespace();
  for (const Case& c : kCases) {
    INFO(c.query);
    Status status = WBEM_S_NO_ERROR;
    std::uint32_t column = 0;
    try {
      auto filter = QueryFilter::compile(c.query, ns, c.kind);
      CHECK(filter->isEventQuery() == (c.kind == QueryKind::Notification));
    } catch (const Error& e) {
      status = e.status();
      if (e.position()) column = e.position()->column;
      INFO(e.what());
      CHECK(statusName(status) == statusName(c.status));
    }
    CHECK(statusName(status) == statusName(c.status));
    if (c.column != 0) CHECK(column == c.column);
  }
}

TEST_CASE("compile: accessors for the filter index") {
  Namespace& ns = testNamespace();
  auto f = QueryFilter::compile(
      "SELECT * FROM __InstanceModificationEvent WITHIN 5 WHERE TargetInstance ISA 'plainchild' AND "
      "TargetInstance.V = 2 AND (TargetInstance.K = 'a' OR TargetInstance.K = 'b')",
      ns, QueryKind::Notification);
  CHECK(f->fromClass()->className() == "__InstanceModificationEvent");
  CHECK(f->targetInstanceClass() == "PlainChild");
  REQUIRE(f->conjuncts().size() == 2);
  CHECK(f->conjuncts()[0]->op == WqlOp::Isa);
  CHECK(f->conjuncts()[1]->path.toString() == "TargetInstance.V");
  CHECK(f->query().within == 5.0);

  auto single = QueryFilter::compile("SELECT * FROM E WHERE N = 1", ns, QueryKind::Notification);
  REQUIRE(single->conjuncts().size() == 1);
  CHECK(single->targetInstanceClass().empty());
  auto none = QueryFilter::compile("SELECT * FROM E WHERE N = 1 OR N = 2", ns, QueryKind::Notification);
  CHECK(none->conjuncts().empty());
}
