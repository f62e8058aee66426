// QueryFilter::matches / project and CompiledPath: every operator on every CIM type, NULL
// semantics, LIKE, ISA through hierarchies, embedded paths, booleans, datetimes, literals on
// either side. Table-driven: (WHERE clause, event, expected match).

#include <wbem/filter.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace wbem;

namespace {

// Namespace root\test: E : __ExtrinsicEvent with a property of every type, E2 : E, Plain and
// PlainChild (keyed), and three events: all NULL (E), full values (E), other values (E2).
struct Fixture {
  Namespace ns{"root\\test"};
  std::vector<ObjectPtr> events;

  Fixture() {
    ClassObject plain = ClassObject::createClass("Plain");
    plain.putProperty("K", scalarType(CimType::String));
    plain.putPropertyQualifier("K", "key", Value(true));
    plain.putProperty("V", scalarType(CimType::SInt32));
    ns.putClass(plain);
    ns.putClass(ns.getClass("Plain")->spawnDerivedClass("PlainChild"));

    ClassObject e = ns.getClass("__ExtrinsicEvent")->spawnDerivedClass("E");
    e.putProperty("S", scalarType(CimType::String));
    e.putProperty("N", scalarType(CimType::SInt32));
    e.putProperty("B", scalarType(CimType::Boolean));
    e.putProperty("U8", scalarType(CimType::UInt8));
    e.putProperty("S8", scalarType(CimType::SInt8));
    e.putProperty("U16", scalarType(CimType::UInt16));
    e.putProperty("S16", scalarType(CimType::SInt16));
    e.putProperty("U32", scalarType(CimType::UInt32));
    e.putProperty("U64", scalarType(CimType::UInt64));
    e.putProperty("I64", scalarType(CimType::SInt64));
    e.putProperty("R32", scalarType(CimType::Real32));
    e.putProperty("R64", scalarType(CimType::Real64));
    e.putProperty("C", scalarType(CimType::Char16));
    e.putProperty("D", scalarType(CimType::DateTime));
    e.putProperty("Rf", scalarType(CimType::Reference, "Plain"));
    e.putProperty("O", scalarType(CimType::Object));
    e.putProperty("P", scalarType(CimType::Object, "Plain"));
    e.putProperty("SA", arrayType(CimType::String));
    ns.putClass(e);
    ClassObject e2 = ns.getClass("E")->spawnDerivedClass("E2");
    e2.putProperty("Extra", scalarType(CimType::String));
    ns.putClass(e2);

    events.push_back(share(ns.getClass("E")->spawnInstance()));

    ClassObject full = ns.getClass("E")->spawnInstance();
    full.put("S", Value("CaT"));
    full.put("N", Value(std::int32_t{5}));
    full.put("B", Value(true));
    full.put("U8", Value(std::uint8_t{200}));
    full.put("S8", Value(std::int8_t{-5}));
    full.put("U16", Value(std::uint16_t{60000}));
    full.put("S16", Value(std::int16_t{-300}));
    full.put("U32", Value(std::uint32_t{4000000000u}));
    full.put("U64", Value(9223372036854775813ull));
    full.put("I64", Value(-7ll));
    full.put("R32", Value::real32(1.5f));
    full.put("R64", Value(-2.25));
    full.put("C", Value(u'x'));
    full.put("D", Value(DateTime::parse("20240101120000.000000+000")));
    full.put("Rf", Value::reference("Plain.K=\"a\""));
    full.put("O", Value(share(plainInstance("PlainChild", "p", 3))));
    full.put("P", Value(share(plainInstance("Plain", "q", 4))));
    full.put("SA", Value(CimType::String, ValueArray{Value("x"), Value("y")}));
    events.push_back(share(full));

    ClassObject other = ns.getClass("E2")->spawnInstance();
    other.put("S", Value("dog"));
    other.put("N", Value(std::int32_t{-3}));
    other.put("B", Value(false));
    other.put("U64", Value(1ull));
    other.put("I64", Value(-9223372036854775807ll - 1));
    other.put("R64", Value(1e300));
    other.put("C", Value(u'\u00C9'));
    other.put("D", Value(DateTime::parse("20240101130000.000000+120")));
    other.put("Extra", Value("Ünïcödé ΣΊΣΥΦΟΣ"));
    events.push_back(share(other));
  }

  ClassObject plainInstance(const char* cls, const char* key, std::int32_t v) const {
    ClassObject p = ns.getClass(cls)->spawnInstance();
    p.put("K", Value(key));
    p.put("V", Value(v));
    return p;
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

struct Row {
  const char* where;
  int event;  // 0 all NULL, 1 full E, 2 E2
  bool expected;
};

// clang-format off
const Row kRows[] = {
    // strings: case-insensitive, ordering, literal on either side, NULL
    {"S = 'cat'", 1, true}, {"S = \"CAT\"", 1, true}, {"S = 'cAt'", 1, true}, {"S = 'ca'", 1, false},
    {"S <> 'cat'", 1, false}, {"S != 'dog'", 1, true}, {"S < 'dog'", 1, true}, {"S <= 'CAT'", 1, true},
    {"S > 'bat'", 1, true}, {"S >= 'cau'", 1, false}, {"'cat' = S", 1, true}, {"'dog' > S", 1, true},
    {"'CAT' <= S", 1, true}, {"S = 'cat'", 0, false}, {"S <> 'cat'", 0, false}, {"S < 'zzz'", 0, false},
    {"S = NULL", 0, true}, {"S = NULL", 1, false}, {"S <> NULL", 1, true}, {"S <> NULL", 0, false},
    {"S IS NULL", 0, true}, {"S IS NULL", 1, false}, {"S IS NOT NULL", 1, true}, {"S IS NOT NULL", 0, false},
    {"NULL = S", 0, true}, {"Extra = 'üNÏCÖDÉ σίσυφος'", 2, true}, {"Extra = 'ünïcödé σίσυφοσ'", 2, true},
    {"Extra > 'ünïcödé'", 2, true}, {"Extra LIKE 'ü%Σ'", 2, true},
    // LIKE
    {"S LIKE 'c%'", 1, true}, {"S LIKE '%T'", 1, true}, {"S LIKE 'c_t'", 1, true}, {"S LIKE 'c_'", 1, false},
    {"S LIKE '[a-c]at'", 1, true}, {"S LIKE '[^a-c]%'", 1, false}, {"S LIKE '[^a-c]%'", 2, true},
    {"NOT S LIKE '%x%'", 1, true}, {"S LIKE '%'", 0, false}, {"NOT S LIKE '%'", 0, true}, {"S NOT LIKE 'd%'", 1, true},
    // sint32 with every operator, literals on either side, string constants converted
    {"N = 5", 1, true}, {"N = 5", 2, false}, {"N <> 5", 1, false}, {"N < 6", 1, true}, {"N <= 5", 1, true},
    {"N > 5", 1, false}, {"N >= 5", 1, true}, {"5 = N", 1, true}, {"6 > N", 1, true}, {"4 >= N", 1, false},
    {"N = '5'", 1, true}, {"N <> '5'", 1, false}, {"N < 0", 2, true}, {"N > -4", 2, true}, {"N = 5.0", 1, true},
    {"N < 5.5", 1, true}, {"N > 4.99", 1, true}, {"N = 5.1", 1, false}, {"N = NULL", 0, true}, {"N <> 5", 0, false},
    {"N > 0", 0, false}, {"N < 0", 0, false}, {"N IS NULL", 0, true},
    // the other integer types, across signedness and widths
    {"U8 = 200", 1, true}, {"U8 > 199", 1, true}, {"U8 > -1", 1, true}, {"S8 = -5", 1, true}, {"S8 < 0", 1, true},
    {"S8 >= -5", 1, true}, {"U16 = 60000", 1, true}, {"U16 < 60001", 1, true}, {"S16 = -300", 1, true},
    {"S16 > -301", 1, true}, {"U32 = 4000000000", 1, true}, {"U32 > 2147483647", 1, true},
    {"U64 = 9223372036854775813", 1, true}, {"U64 > 9223372036854775807", 1, true}, {"U64 > -1", 1, true},
    {"U64 < 0", 1, false}, {"U64 >= 18446744073709551615", 1, false}, {"U64 = 1", 2, true},
    {"I64 = -7", 1, true}, {"I64 < 0", 1, true}, {"I64 < 9223372036854775813", 1, true},
    {"I64 = -9223372036854775808", 2, true}, {"I64 < -9223372036854775807", 2, true}, {"I64 <> 0", 2, true},
    {"I64 < 1e19", 1, true}, {"I64 > -1e19", 2, true},
    // reals
    {"R32 = 1.5", 1, true}, {"R32 = 1.5000001", 1, false}, {"R32 > 1", 1, true}, {"R32 < 2", 1, true},
    {"R64 = -2.25", 1, true}, {"R64 < -2", 1, true}, {"R64 >= -2.25", 1, true}, {"R64 > 1e299", 2, true},
    {"R64 = '-2.25'", 1, true}, {"R64 <> -2.25", 1, false}, {"R64 = NULL", 0, true}, {"R64 > 0", 0, false},
    // booleans: = TRUE and = 1 both accepted, string constants converted
    {"B = TRUE", 1, true}, {"B = 1", 1, true}, {"B = FALSE", 1, false}, {"B = 0", 1, false}, {"B <> TRUE", 1, false},
    {"B != FALSE", 1, true}, {"TRUE = B", 1, true}, {"B = FALSE", 2, true}, {"B = 0", 2, true},
    {"B <> 'false'", 1, true}, {"B = 'TRUE'", 1, true}, {"B = TRUE", 0, false}, {"B <> TRUE", 0, false},
    {"B = NULL", 0, true}, {"B = 2", 1, true},
    // char16: by character or by code
    {"C = 'x'", 1, true}, {"C = 'X'", 1, false}, {"C = 120", 1, true}, {"C > 'a'", 1, true}, {"C < 'y'", 1, true},
    {"C = 'É'", 2, true}, {"C > 200", 2, true},
    // datetimes compared as instants
    {"D = '20240101120000.000000+000'", 1, true}, {"D = '20240101130000.000000+060'", 1, true},
    {"D < '20240101120000.000001+000'", 1, true}, {"D > '20231231235959.999999+000'", 1, true},
    {"D <> '20240101120000.000000+000'", 1, false}, {"D = '20240101110000.000000+000'", 2, true},
    {"D < '20240101120000.000000+000'", 2, true}, {"D >= '20240101120000.000000+000'", 0, false},
    {"D = NULL", 0, true},
    // references compared as object paths
    {"Rf = 'Plain.K=\"a\"'", 1, true}, {"Rf = 'PLAIN.k=\"a\"'", 1, true}, {"Rf = 'Plain.K=\"b\"'", 1, false},
    {"Rf <> 'Plain.K=\"b\"'", 1, true}, {"Rf = NULL", 0, true}, {"Rf IS NOT NULL", 1, true},
    // embedded objects: ISA through the hierarchy, paths through them, NULL on the way
    {"O ISA 'Plain'", 1, true}, {"O ISA 'PlainChild'", 1, true}, {"O ISA 'plainchild'", 1, true},
    {"O ISA 'E'", 1, false}, {"NOT O ISA 'Plain'", 1, false}, {"O ISA 'Plain'", 0, false},
    {"O.K = 'P'", 1, true}, {"O.V = 3", 1, true}, {"O.V > 3", 1, false}, {"O.V = NULL", 0, true},
    {"O.K IS NULL", 0, true}, {"O.NoSuch = 1", 1, false}, {"O.__CLASS = 'PlainChild'", 1, true},
    {"P.K = 'q'", 1, true}, {"P.V >= 4", 1, true}, {"P ISA 'Plain'", 1, true}, {"P IS NULL", 0, true},
    {"O IS NOT NULL", 1, true}, {"__THIS ISA 'E'", 1, true}, {"__THIS ISA 'E2'", 1, false},
    {"__THIS ISA 'E2'", 2, true}, {"__THIS ISA '__Event'", 2, true},
    // system properties
    {"__CLASS = 'E'", 1, true}, {"__CLASS = 'e2'", 2, true}, {"__CLASS = 'E2'", 1, false},
    {"__CLASS LIKE '%2'", 2, true}, {"__SUPERCLASS = 'E'", 2, true},
    {"__PATH = NULL", 1, true}, {"__GENUS = 2", 1, true}, {"__SERVER IS NULL", 1, true},
    // arrays: only NULL tests
    {"SA IS NOT NULL", 1, true}, {"SA IS NULL", 0, true}, {"SA = NULL", 1, false}, {"SA <> NULL", 1, true},
    // AND / OR / NOT and precedence (acceptance case B16)
    {"N > 3 AND S = 'a' OR S = 'cat'", 1, true}, {"N > 3 AND (S = 'a' OR S = 'cat')", 1, true},
    {"N > 3 AND (S = 'a' OR S = 'dog')", 1, false}, {"NOT N = 5", 1, false}, {"NOT (N = 5 OR N = 6)", 1, false},
    {"NOT NOT N = 5", 1, true}, {"N = 1 OR N = 2 OR N = 5", 1, true}, {"N = 5 AND S = 'cat' AND B = TRUE", 1, true},
    {"N = 5 AND S = 'cat' AND B = FALSE", 1, false}, {"NOT S = 'x'", 0, true}, {"S = NULL AND N = NULL", 0, true},
    // E2 instances are instances of E (FROM includes subclasses)
    {"Extra IS NULL", 2, false},
};
// clang-format on

}  // namespace

TEST_CASE("matches: table of WHERE clauses") {
  Fixture& f = fixture();
  int count = 0;
  for (const Row& row : kRows) {
    const std::string query = std::string("SELECT * FROM ") + (std::string(row.where).starts_with("Extra") ? "E2" : "E") +
                              " WHERE " + row.where;
    INFO(query << "  [event " << row.event << "]");
    auto filter = QueryFilter::compile(query, f.ns, QueryKind::Notification);
    CHECK(filter->matches(*f.events[row.event]) == row.expected);
    // The second evaluation runs on the cached compiled form.
    CHECK(filter->matches(*f.events[row.event]) == row.expected);
    ++count;
  }
  CHECK(count >= 150);
}

TEST_CASE("matches: FROM class and its subclasses only") {
  Fixture& f = fixture();
  auto all = QueryFilter::compile("SELECT * FROM E", f.ns, QueryKind::Notification);
  auto sub = QueryFilter::compile("SELECT * FROM E2", f.ns, QueryKind::Notification);
  CHECK(all->matches(*f.events[1]));
  CHECK(all->matches(*f.events[2]));
  CHECK_FALSE(sub->matches(*f.events[1]));
  CHECK(sub->matches(*f.events[2]));
  auto timer = QueryFilter::compile("SELECT * FROM __TimerEvent", f.ns, QueryKind::Notification);
  CHECK_FALSE(timer->matches(*f.events[1]));
}

TEST_CASE("matches: ISA matches classes created after the filter") {
  Fixture& f = fixture();
  auto filter = QueryFilter::compile(
      "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Plain' AND TargetInstance.V > 1", f.ns,
      QueryKind::Notification);
  CHECK(filter->targetInstanceClass() == "Plain");
  CHECK(filter->conjuncts().size() == 2);
  ClassObject later = f.ns.getClass("PlainChild")->spawnDerivedClass("LaterGrandChild");
  later.putProperty("Z", scalarType(CimType::UInt8));
  f.ns.putClass(later);
  for (const char* cls : {"Plain", "PlainChild", "LaterGrandChild"}) {
    ClassObject event = f.ns.getClass("__InstanceCreationEvent")->spawnInstance();
    event.put("TargetInstance", Value(share(f.plainInstance(cls, "k", 2))));
    CHECK(filter->matches(event));
    event.put("TargetInstance", Value(share(f.plainInstance(cls, "k", 1))));
    CHECK_FALSE(filter->matches(event));
  }
  ClassObject event = f.ns.getClass("__InstanceCreationEvent")->spawnInstance();
  CHECK_FALSE(filter->matches(event));  // NULL TargetInstance
  event.put("TargetInstance", Value(f.events[1]));
  CHECK_FALSE(filter->matches(event));
}

TEST_CASE("matches: concurrent readers share the compiled forms") {
  Fixture& f = fixture();
  auto filter = QueryFilter::compile("SELECT * FROM E WHERE O.V = 3 OR S = 'dog'", f.ns, QueryKind::Notification);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i)
        if (!filter->matches(*f.events[1 + i % 2]) || filter->matches(*f.events[0])) ++failures;
    });
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
}

TEST_CASE("CompiledPath reads by slot, through embedded objects") {
  Fixture& f = fixture();
  const ClassObject& event = *f.events[1];
  CompiledPath name(WqlPath{{"O", "K"}, {}}, event.sharedDefinition());
  Value scratch;
  CHECK(name.read(event, scratch) == Value("p"));
  CHECK(name.read(*f.events[0], scratch).isNull());
  CompiledPath cls(WqlPath{{"__CLASS"}, {}}, event.sharedDefinition());
  CHECK(cls.read(event, scratch) == Value("E"));
  CompiledPath object(WqlPath{{"O"}, {}}, event.sharedDefinition());
  REQUIRE(object.readObject(event) != nullptr);
  CHECK(object.readObject(event)->className() == "PlainChild");
  CHECK(name.path().toString() == "O.K");
}

TEST_CASE("project: unselected properties NULL, embedded objects whole, origin cleared") {
  Fixture& f = fixture();
  ClassObject event = f.events[1]->clone();
  event.put("TIME_CREATED", Value(133000000000000000ull));
  event.setOrigin("host", "root\\test");
  auto filter = QueryFilter::compile("SELECT S, O.K FROM E", f.ns, QueryKind::Notification);
  const ClassObject out = filter->project(event);
  CHECK(out.className() == "E");
  CHECK(out.get("S") == Value("CaT"));
  CHECK(out.get("N").isNull());
  CHECK(out.get("B").isNull());
  CHECK(out.get("O").asObject()->get("V") == Value(std::int32_t{3}));
  CHECK(out.get("TIME_CREATED") == Value(133000000000000000ull));
  for (const char* system : {"__PATH", "__RELPATH", "__NAMESPACE", "__SERVER"}) CHECK(out.get(system).isNull());

  auto all = QueryFilter::compile("SELECT * FROM E", f.ns, QueryKind::Notification);
  const ClassObject whole = all->project(event);
  CHECK(whole.get("N") == Value(std::int32_t{5}));
  CHECK(whole.get("__NAMESPACE").isNull());

  ClassObject plain = f.plainInstance("Plain", "k", 7);
  plain.setOrigin("host", "root\\test");
  auto data = QueryFilter::compile("SELECT V FROM Plain", f.ns, QueryKind::Data);
  const ClassObject row = data->project(plain);
  CHECK(row.get("V") == Value(std::int32_t{7}));
  CHECK(row.get("K").isNull());
  CHECK(row.get("__PATH").isNull());
}
