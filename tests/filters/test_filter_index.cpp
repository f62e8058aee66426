// FilterIndex: the index's matches always equal QueryFilter::matches over every filter — on a
// table of conditions over every CIM type, through class hierarchies (also classes created after
// the filters), on random hierarchies, filters and events — and stay consistent while filters are
// added and removed from another thread.

#include <wbem/filter_index.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace wbem;

namespace {

using Ids = std::vector<FilterIndex::FilterId>;

// The filters and the index over them, with the one-by-one reference result.
struct Indexed {
  FilterIndex index;
  std::vector<std::pair<FilterIndex::FilterId, std::shared_ptr<const QueryFilter>>> filters;

  void add(FilterIndex::FilterId id, std::shared_ptr<const QueryFilter> f) {
    index.add(id, f);
    filters.emplace_back(id, std::move(f));
  }
  void remove(FilterIndex::FilterId id) {
    REQUIRE(index.remove(id));
    filters.erase(std::find_if(filters.begin(), filters.end(), [&](const auto& p) { return p.first == id; }));
  }
  Ids expected(const ClassObject& event) const {
    Ids out;
    for (const auto& [id, f] : filters)
      if (f->matches(event)) out.push_back(id);
    return out;
  }
  Ids actual(const ClassObject& event) const {
    Ids out;
    index.match(event, out);
    std::sort(out.begin(), out.end());
    return out;
  }
};

// root\test: E : __ExtrinsicEvent with a property of every type, E2 : E, Plain, PlainChild.
struct TypesFixture {
  Namespace ns{"root\\test"};
  std::vector<ObjectPtr> events;

  TypesFixture() {
    ClassObject plain = ClassObject::createClass("Plain");
    plain.putProperty("K", scalarType(CimType::String));
    plain.putPropertyQualifier("K", "key", Value(true));
    plain.putProperty("V", scalarType(CimType::SInt32));
    plain.putProperty("F", scalarType(CimType::Real32));
    ns.putClass(plain);
    ns.putClass(ns.getClass("Plain")->spawnDerivedClass("PlainChild"));

    ClassObject e = ns.getClass("__ExtrinsicEvent")->spawnDerivedClass("E");
    e.putProperty("S", scalarType(CimType::String));
    e.putProperty("N", scalarType(CimType::SInt32));
    e.putProperty("B", scalarType(CimType::Boolean));
    e.putProperty("U8", scalarType(CimType::UInt8));
    e.putProperty("U64", scalarType(CimType::UInt64));
    e.putProperty("I64", scalarType(CimType::SInt64));
    e.putProperty("R32", scalarType(CimType::Real32));
    e.putProperty("R64", scalarType(CimType::Real64));
    e.putProperty("C", scalarType(CimType::Char16));
    e.putProperty("D", scalarType(CimType::DateTime));
    e.putProperty("Rf", scalarType(CimType::Reference, "Plain"));
    e.putProperty("O", scalarType(CimType::Object));
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
    full.put("U64", Value(9223372036854775813ull));
    full.put("I64", Value(-7ll));
    full.put("R32", Value::real32(0.1f));
    full.put("R64", Value(-2.25));
    full.put("C", Value(u'x'));
    full.put("D", Value(DateTime::parse("20240101120000.000000+000")));
    full.put("Rf", Value::reference("Plain.K=\"a\""));
    full.put("O", Value(share(plain_("PlainChild", "p", 3, 1.5f))));
    full.put("SA", Value(CimType::String, ValueArray{Value("x"), Value("y")}));
    events.push_back(share(full));

    ClassObject other = ns.getClass("E2")->spawnInstance();
    other.put("S", Value("5"));
    other.put("N", Value(std::int32_t{-3}));
    other.put("B", Value(false));
    other.put("U64", Value(1ull));
    other.put("I64", Value(-9223372036854775807ll - 1));
    other.put("R32", Value::real32(5.0f));
    other.put("R64", Value(1e300));
    other.put("C", Value(u'\u00C9'));
    other.put("D", Value(DateTime::parse("20240101130000.000000+120")));
    other.put("O", Value(share(plain_("Plain", "Kelvin", 0, 0.1f))));
    other.put("Extra", Value("\xE2\x84\xAA"
                             "elvin"));  // starts with U+212A KELVIN SIGN
    events.push_back(share(other));
  }

  ClassObject plain_(const char* cls, const char* key, std::int32_t v, float f) const {
    ClassObject p = ns.getClass(cls)->spawnInstance();
    p.put("K", Value(key));
    p.put("V", Value(v));
    p.put("F", Value::real32(f));
    return p;
  }
};

// clang-format off
const char* const kWheres[] = {
    "S = 'cat'", "S = 'CAT' AND N = 5", "S = 5", "S = '5'", "'5' = S", "S = NULL", "S <> NULL", "S IS NULL",
    "S > 'bat'", "S >= 'cat'", "S < 'cat'", "S <= 'CAT'", "S > 4", "S LIKE 'c%'", "S LIKE 'C_T'", "S LIKE 'ca%t'",
    "S LIKE '%'", "NOT S LIKE 'c%'", "N = 5", "N = 5.0", "N = '5'", "N = 5.5", "N > 4", "N >= 5", "N < 5", "N <= -3",
    "N > 4.5", "N < '0'", "N = -3 OR N = 5", "B = TRUE", "B = 1", "B = 'false'", "B = 0", "B <> TRUE",
    "U8 = 200", "U8 > 199.5", "U64 = 9223372036854775813", "U64 > 9223372036854775807", "U64 = 1",
    "U64 >= 1.0", "I64 = -9223372036854775808", "I64 < -7", "I64 <= -7", "R32 = 0.1", "R32 = 5", "R32 > 0.1",
    "R32 >= 0.1", "R32 < 5.0", "R64 = -2.25", "R64 > 1e299", "R64 < -2", "C = 'x'", "C = 120", "C > 'a'",
    "C = 'X'", "D = '20240101120000.000000+000'", "D < '20240101120000.000000+000'",
    "D >= '20240101110000.000000+000'", "Rf = 'Plain.K=\"a\"'", "Rf = 'plain.k=\"a\"'", "SA IS NULL",
    "O ISA 'Plain'", "O ISA 'PlainChild'", "O.K = 'p'", "O.K = 'P' AND O ISA 'PlainChild'", "O.V = 3", "O.V > 2",
    "O.V = '3'", "O.F = 1.5", "O.F = 0.1", "O.F > 0.1", "O.K LIKE 'kel%'", "O.K > 'a'", "O.V = NULL",
    "O.Missing = 1", "__CLASS = 'E2'", "__THIS ISA 'E2'", "Extra LIKE 'k%'", "Extra LIKE 'K%'", "Extra = 'kelvin'",
    "Extra > 'k'", "S = 'cat' AND N > 4 AND B = TRUE", "N > 0 AND N < 10", "S LIKE 'c%' AND N > 1",
    "(S = 'cat' OR S = 'dog') AND N = 5", "S = 'cat' AND NOT N = 3",
};
// clang-format on

struct HierarchyFixture {
  Namespace ns{"root\\test"};
  HierarchyFixture() {
    ClassObject svc = ClassObject::createClass("CIM_Service");
    svc.putProperty("Name", scalarType(CimType::String));
    svc.putPropertyQualifier("Name", "key", Value(true));
    svc.putProperty("State", scalarType(CimType::UInt32));
    ns.putClass(svc);
    ns.putClass(ns.getClass("CIM_Service")->spawnDerivedClass("Linux_Service"));
  }
  ClassObject creation(const char* eventClass, const char* targetClass, const char* name, std::uint32_t state) const {
    ClassObject target = ns.getClass(targetClass)->spawnInstance();
    target.put("Name", Value(name));
    target.put("State", Value(state));
    ClassObject event = ns.getClass(eventClass)->spawnInstance();
    event.put("TargetInstance", Value(share(target)));
    return event;
  }
};

std::shared_ptr<const QueryFilter> compile(const Namespace& ns, const std::string& q) {
  return QueryFilter::compile(q, ns, QueryKind::Notification);
}

}  // namespace

TEST_CASE("FilterIndex agrees with QueryFilter::matches on every type and operator", "[filter_index]") {
  TypesFixture fx;
  Indexed ix;
  FilterIndex::FilterId id = 0;
  for (const char* from : {"E", "E2", "__ExtrinsicEvent", "__Event"})
    for (const char* where : kWheres) {
      if (std::string(where).find("Extra") != std::string::npos && std::string(from) != "E2") continue;
      try {
        ix.add(++id, compile(fx.ns, std::string("SELECT * FROM ") + from + " WHERE " + where));
      } catch (const Error&) {
        // Rejected by validation (e.g. a constant that does not convert): nothing to index.
      }
    }
  ix.add(++id, compile(fx.ns, "SELECT * FROM E"));
  ix.add(++id, compile(fx.ns, "SELECT * FROM __InstanceCreationEvent"));
  REQUIRE(ix.index.size() == ix.filters.size());
  REQUIRE(ix.filters.size() > 150);
  for (std::size_t i = 0; i < fx.events.size(); ++i) {
    INFO("event " << i);
    const Ids expected = ix.expected(*fx.events[i]);
    CHECK(ix.actual(*fx.events[i]) == expected);
    CHECK(!expected.empty());
  }
  // Removing every other filter keeps the index exact.
  for (FilterIndex::FilterId k = 1; k <= id; k += 2) ix.remove(k);
  for (const auto& event : fx.events) CHECK(ix.actual(*event) == ix.expected(*event));
  CHECK(ix.index.size() == ix.filters.size());
}

TEST_CASE("FilterIndex dispatches through the event and TargetInstance hierarchies", "[filter_index]") {
  HierarchyFixture fx;
  Indexed ix;
  ix.add(1, compile(fx.ns, "SELECT * FROM __InstanceOperationEvent WHERE TargetInstance ISA 'CIM_Service'"));
  ix.add(2, compile(fx.ns, "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Linux_Service'"));
  ix.add(3, compile(fx.ns, "SELECT * FROM __InstanceDeletionEvent WHERE TargetInstance ISA 'CIM_Service'"));
  ix.add(4, compile(fx.ns,
                    "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'CIM_Service' AND "
                    "TargetInstance.Name = 'sshd'"));
  ix.add(5, compile(fx.ns, "SELECT * FROM __Event"));
  ix.add(6, compile(fx.ns, "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance.State > 2"));

  CHECK(ix.actual(fx.creation("__InstanceCreationEvent", "CIM_Service", "SSHD", 3)) == Ids{1, 4, 5, 6});
  CHECK(ix.actual(fx.creation("__InstanceCreationEvent", "Linux_Service", "cron", 1)) == Ids{1, 2, 5});
  CHECK(ix.actual(fx.creation("__InstanceDeletionEvent", "Linux_Service", "sshd", 9)) == Ids{1, 3, 5});

  // Classes created after the filters: a subclass of the ISA class, and a new event class.
  fx.ns.putClass(fx.ns.getClass("Linux_Service")->spawnDerivedClass("Linux_SystemdService"));
  ClassObject myCreation = fx.ns.getClass("__InstanceCreationEvent")->spawnDerivedClass("MyCreationEvent");
  fx.ns.putClass(myCreation);
  const ClassObject late = fx.creation("MyCreationEvent", "Linux_SystemdService", "sshd", 7);
  CHECK(ix.actual(late) == ix.expected(late));
  CHECK(ix.actual(late) == Ids{1, 2, 4, 5, 6});

  // A filter on the new event class joins the plan already cached for it.
  ix.add(7, compile(fx.ns, "SELECT * FROM MyCreationEvent"));
  CHECK(ix.actual(late) == Ids{1, 2, 4, 5, 6, 7});
  ix.remove(5);
  CHECK(ix.actual(late) == Ids{1, 2, 4, 6, 7});
}

TEST_CASE("FilterIndex API errors, size and memory", "[filter_index]") {
  HierarchyFixture fx;
  FilterIndex index;
  const auto f = compile(fx.ns, "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance.Name = 'x'");
  CHECK(index.size() == 0);
  const std::size_t empty = index.memoryUsage();
  index.add(1, f);
  CHECK_THROWS_AS(index.add(1, f), Error);
  try {
    index.add(1, f);
  } catch (const Error& e) {
    CHECK(e.status() == WBEM_E_ALREADY_EXISTS);
  }
  try {
    index.add(2, nullptr);
    FAIL("null filter accepted");
  } catch (const Error& e) {
    CHECK(e.status() == WBEM_E_INVALID_PARAMETER);
  }
  CHECK(index.size() == 1);
  CHECK(index.memoryUsage() > empty);
  CHECK_FALSE(index.remove(2));
  CHECK(index.remove(1));
  CHECK_FALSE(index.remove(1));
  CHECK(index.size() == 0);

  // match appends and does not clear.
  index.add(3, compile(fx.ns, "SELECT * FROM __InstanceCreationEvent"));
  Ids out{42};
  index.match(fx.creation("__InstanceCreationEvent", "CIM_Service", "a", 1), out);
  CHECK(out == Ids{42, 3});
}

namespace {

// A random world: event classes under __ExtrinsicEvent, target classes under a root class, and
// filters of the realistic mix over them.
struct RandomWorld {
  Namespace ns{"root\\random"};
  std::mt19937_64 rng;
  std::vector<std::string> eventClasses{"__ExtrinsicEvent"};
  std::vector<std::string> targetClasses;
  std::vector<std::string> words{"alpha", "Beta", "gamma", "ALPHA", "al", "5", "07", "beta2", "", "Ünï", "ünÏ"};

  explicit RandomWorld(std::uint64_t seed) : rng(seed) {
    ClassObject base = ClassObject::createClass("T0");
    base.putProperty("Name", scalarType(CimType::String));
    base.putPropertyQualifier("Name", "key", Value(true));
    base.putProperty("V", scalarType(CimType::SInt32));
    ns.putClass(base);
    targetClasses.push_back("T0");
    for (int i = 1; i < 8; ++i) {
      const std::string parent = targetClasses[pick(targetClasses.size())];
      ClassObject c = ns.getClass(parent)->spawnDerivedClass("T" + std::to_string(i));
      if (i % 3 == 0) c.putProperty("X" + std::to_string(i), scalarType(CimType::Real64));
      ns.putClass(c);
      targetClasses.push_back("T" + std::to_string(i));
    }
    for (int i = 1; i < 10; ++i) {
      const std::string parent = eventClasses[pick(eventClasses.size())];
      ClassObject c = ns.getClass(parent)->spawnDerivedClass("Ev" + std::to_string(i));
      if (parent == "__ExtrinsicEvent") {
        c.putProperty("Source", scalarType(CimType::String));
        c.putProperty("Severity", scalarType(CimType::UInt16));
        c.putProperty("Level", scalarType(CimType::Real64));
        c.putProperty("Flag", scalarType(CimType::Boolean));
        c.putProperty("Obj", scalarType(CimType::Object));
      }
      ns.putClass(c);
      eventClasses.push_back("Ev" + std::to_string(i));
    }
  }

  std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); }
  std::string word() { return words[pick(words.size())]; }
  std::string number() {
    switch (pick(4)) {
      case 0:
        return std::to_string(pick(10));
      case 1:
        return std::to_string(pick(10)) + ".5";
      case 2:
        return "'" + std::to_string(pick(10)) + "'";
      default:
        return "-" + std::to_string(pick(3));
    }
  }
  const char* rangeOp() { return std::array{"<", "<=", ">", ">="}[pick(4)]; }

  std::string extrinsicCondition() {
    switch (pick(9)) {
      case 0:
        return "Source = '" + word() + "'";
      case 1:
        return "Severity " + std::string(rangeOp()) + " " + number();
      case 2:
        return "Severity = " + number();
      case 3:
        return "Source LIKE '" + word().substr(0, 2) + std::array{"%", "_%", "%a", ""}[pick(4)] + "'";
      case 4:
        return "Level " + std::string(rangeOp()) + " " + number();
      case 5:
        return "Flag = " + std::string(pick(2) ? "TRUE" : "0");
      case 6:
        return "Obj ISA '" + targetClasses[pick(targetClasses.size())] + "'";
      case 7:
        return "Obj.Name = '" + word() + "'";
      default:
        return "Source " + std::string(rangeOp()) + " '" + word() + "'";
    }
  }
  std::string intrinsicCondition() {
    switch (pick(6)) {
      case 0:
      case 1:
        return "TargetInstance ISA '" + targetClasses[pick(targetClasses.size())] + "'";
      case 2:
        return "TargetInstance.Name = '" + word() + "'";
      case 3:
        return "TargetInstance.V " + std::string(rangeOp()) + " " + number();
      case 4:
        return "TargetInstance.Name LIKE '" + word().substr(0, 1) + "%'";
      default:
        return "TargetInstance.V = " + number();
    }
  }

  std::string filterText() {
    const bool intrinsic = pick(3) == 0;
    std::string q = "SELECT * FROM ";
    q += intrinsic
             ? std::array{"__InstanceOperationEvent", "__InstanceCreationEvent", "__InstanceDeletionEvent"}[pick(3)]
             : eventClasses[1 + pick(eventClasses.size() - 1)];
    const std::size_t n = pick(4);  // 0: class only
    for (std::size_t i = 0; i < n; ++i) {
      q += i == 0 ? " WHERE " : (pick(6) == 0 ? " OR " : " AND ");
      if (pick(10) == 0) q += "NOT ";
      q += intrinsic ? intrinsicCondition() : extrinsicCondition();
    }
    return q;
  }

  ObjectPtr target() {
    ClassObject t = ns.getClass(targetClasses[pick(targetClasses.size())])->spawnInstance();
    if (pick(8) != 0) t.put("Name", Value(word()));
    if (pick(8) != 0) t.put("V", Value(static_cast<std::int32_t>(pick(12)) - 2));
    return share(std::move(t));
  }

  ClassObject event() {
    if (pick(3) == 0) {
      ClassObject e = ns.getClass(std::array{"__InstanceCreationEvent", "__InstanceDeletionEvent",
                                             "__InstanceModificationEvent"}[pick(3)])
                          ->spawnInstance();
      if (pick(10) != 0) e.put("TargetInstance", Value(target()));
      return e;
    }
    ClassObject e = ns.getClass(eventClasses[1 + pick(eventClasses.size() - 1)])->spawnInstance();
    if (!e.hasProperty("Source")) return e;
    if (pick(6) != 0) e.put("Source", Value(word()));
    if (pick(6) != 0) e.put("Severity", Value(static_cast<std::uint16_t>(pick(10))));
    if (pick(6) != 0) e.put("Level", Value(static_cast<double>(pick(20)) / 2 - 1));
    if (pick(6) != 0) e.put("Flag", Value(pick(2) == 0));
    if (pick(4) != 0) e.put("Obj", Value(target()));
    return e;
  }
};

}  // namespace

TEST_CASE("FilterIndex equals one-by-one matching on random hierarchies, filters and events", "[filter_index]") {
  for (std::uint64_t seed : {1u, 2u, 3u, 4u, 5u}) {
    RandomWorld world(seed);
    Indexed ix;
    FilterIndex::FilterId id = 0;
    for (int i = 0; i < 400; ++i) {
      const std::string text = world.filterText();
      std::shared_ptr<const QueryFilter> f;
      try {
        f = compile(world.ns, text);
      } catch (const Error&) {
        continue;  // e.g. a constant that does not convert
      }
      ix.add(++id, f);
    }
    REQUIRE(ix.filters.size() > 300);
    std::size_t matched = 0;
    for (int i = 0; i < 300; ++i) {
      if (i == 150)  // remove a third, add fresh ones
        for (FilterIndex::FilterId k = 1; k <= id; k += 3)
          if (std::any_of(ix.filters.begin(), ix.filters.end(), [&](const auto& p) { return p.first == k; }))
            ix.remove(k);
      const ClassObject event = world.event();
      const Ids expected = ix.expected(event);
      matched += expected.size();
      INFO("seed " << seed << " event " << i << " " << event.getObjectText());
      REQUIRE(ix.actual(event) == expected);
    }
    CHECK(matched > 0);
  }
}

TEST_CASE("FilterIndex matches consistently while filters come and go", "[filter_index]") {
  HierarchyFixture fx;
  FilterIndex index;
  // Stable filters are always there; churning ones are added and removed by another thread.
  index.add(1, compile(fx.ns, "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'CIM_Service'"));
  index.add(2, compile(fx.ns, "SELECT * FROM __InstanceOperationEvent WHERE TargetInstance.Name = 'sshd'"));
  index.add(3, compile(fx.ns, "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance.State > 2"));
  std::vector<std::shared_ptr<const QueryFilter>> churn;
  for (int i = 0; i < 20; ++i)
    churn.push_back(compile(fx.ns, "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance.State > " +
                                       std::to_string(i % 5) + " AND TargetInstance.Name LIKE 'ss%'"));
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int round = 0; round < 200; ++round) {
      for (std::size_t i = 0; i < churn.size(); ++i) index.add(100 + i, churn[i]);
      for (std::size_t i = 0; i < churn.size(); ++i) index.remove(100 + i);
    }
    stop = true;
  });
  const ClassObject event = fx.creation("__InstanceCreationEvent", "Linux_Service", "sshd", 9);
  Ids out;
  out.reserve(64);
  std::size_t rounds = 0;
  bool consistent = true;
  while (!stop || rounds < 100) {
    out.clear();
    index.match(event, out);
    std::sort(out.begin(), out.end());
    // 1, 2, 3 always; churning ones all match this event when present.
    consistent = consistent && out.size() >= 3 && out[0] == 1 && out[1] == 2 && out[2] == 3 &&
                 std::all_of(out.begin() + 3, out.end(), [](auto id) { return id >= 100 && id < 120; });
    ++rounds;
  }
  writer.join();
  CHECK(consistent);
  CHECK(index.size() == 3);
}
