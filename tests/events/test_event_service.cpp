// End-to-end tests of the in-process event service: a provider raises events through its sink,
// the service matches them and delivers them to subscribers (spec 12.B, C, D, E).

#include <wbem/event_service.hpp>

#include <catch2/catch.hpp>

#include "support.hpp"

#include <mutex>
#include <string>
#include <vector>

using namespace wbem;

namespace {

// A consumer that records what it receives.
class RecordingSink : public ObjectSink {
 public:
  Status indicate(std::span<const ObjectPtr> objects) override {
    std::lock_guard lock(mutex_);
    for (const ObjectPtr& o : objects) events_.push_back(o);
    return WBEM_S_NO_ERROR;
  }
  void setStatus(std::int32_t flags, Status result, std::string_view, const ClassObject*) override {
    std::lock_guard lock(mutex_);
    statuses_.emplace_back(flags, result);
  }
  std::vector<ObjectPtr> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }
  std::vector<std::pair<std::int32_t, Status>> statuses() const {
    std::lock_guard lock(mutex_);
    return statuses_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<ObjectPtr> events_;
  std::vector<std::pair<std::int32_t, Status>> statuses_;
};

// A provider that keeps its sink and records the queries it is told of.
class TestProvider : public EventProvider, public EventProviderQuerySink {
 public:
  Status provideEvents(std::shared_ptr<EventSink> sink, std::int32_t) override {
    std::lock_guard lock(mutex_);
    sink_ = std::move(sink);
    ++activations;
    return WBEM_S_NO_ERROR;
  }
  Status newQuery(std::uint32_t id, std::string_view, std::string_view query) override {
    std::lock_guard lock(mutex_);
    queries[id] = std::string(query);
    return WBEM_S_NO_ERROR;
  }
  Status cancelQuery(std::uint32_t id) override {
    std::lock_guard lock(mutex_);
    cancelled.push_back(id);
    queries.erase(id);
    return WBEM_S_NO_ERROR;
  }
  std::shared_ptr<EventSink> sink() {
    std::lock_guard lock(mutex_);
    return sink_;
  }

  std::mutex mutex_;
  std::shared_ptr<EventSink> sink_;
  int activations = 0;
  std::map<std::uint32_t, std::string> queries;
  std::vector<std::uint32_t> cancelled;
};

struct Fixture {
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  EventService service{EventServiceOptions{.clock = clock}};
  Namespace& ns = service.createNamespace("root\\test");
  std::shared_ptr<TestProvider> provider = std::make_shared<TestProvider>();

  Fixture() {
    ClassObject e = ns.getClass("__ExtrinsicEvent")->spawnDerivedClass("E");
    e.putProperty("S", scalarType(CimType::String));
    e.putProperty("N", scalarType(CimType::SInt32));
    e.putProperty("B", scalarType(CimType::Boolean));
    ns.putClass(e);
    service.registerEventProvider("root\\test", "P", {"SELECT * FROM E"}, provider);
  }

  ClassObject event(std::string s, std::int32_t n = 0, bool b = false) {
    ClassObject o = ns.getClass("E")->spawnInstance();
    o.put("S", Value(s));
    o.put("N", Value(n));
    o.put("B", Value(b));
    return o;
  }
  std::shared_ptr<RecordingSink> subscribe(const std::string& query) {
    auto sink = std::make_shared<RecordingSink>();
    service.subscribe("root\\test", "WQL", query, sink);
    return sink;
  }
};

std::vector<std::string> strings(const std::vector<ObjectPtr>& events, const char* property) {
  std::vector<std::string> out;
  for (const ObjectPtr& e : events) out.push_back(e->get(property).isNull() ? "NULL" : e->get(property).toText());
  return out;
}

}  // namespace

TEST_CASE("an extrinsic event reaches a matching temporary consumer only", "[service]") {
  Fixture f;
  auto cats = f.subscribe("SELECT * FROM E WHERE S = \"cat\"");
  auto dogs = f.subscribe("SELECT * FROM E WHERE S = 'dog'");
  auto sink = f.provider->sink();
  REQUIRE(sink);
  CHECK(sink->indicate(f.event("CaT")) == WBEM_S_NO_ERROR);
  REQUIRE(f.service.waitIdle());
  REQUIRE(cats->events().size() == 1);
  CHECK(cats->events()[0]->get("S").asString() == "CaT");
  CHECK(dogs->events().empty());
}
