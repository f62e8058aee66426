// Tests of namespace creation and deletion through the event service, and the
// __Namespace*Event they raise in the parent (spec 12.C case 35).

#include <wbem/event_service.hpp>

#include <catch2/catch.hpp>

#include "support.hpp"

#include <mutex>
#include <vector>

using namespace wbem;

namespace {

// Records the events and the final status a consumer receives.
class Recorder : public ObjectSink {
 public:
  Status indicate(std::span<const ObjectPtr> objects) override {
    std::lock_guard lock(mutex_);
    events.insert(events.end(), objects.begin(), objects.end());
    return WBEM_S_NO_ERROR;
  }
  void setStatus(std::int32_t, Status result, std::string_view, const ClassObject*) override {
    std::lock_guard lock(mutex_);
    statuses.push_back(result);
  }
  std::mutex mutex_;
  std::vector<ObjectPtr> events;
  std::vector<Status> statuses;
};

}  // namespace

TEST_CASE("creating and deleting a namespace raise events in its parent", "[namespaces]") {
  EventService service{EventServiceOptions{.clock = std::make_shared<ManualClock>()}};
  service.createNamespace("root\\test");
  auto parentEvents = std::make_shared<Recorder>();
  service.subscribe("root\\test", "WQL", "SELECT * FROM __NamespaceOperationEvent", parentEvents);

  Namespace& kid = service.createNamespace("root/test/kid");
  CHECK(kid.name() == "root\\test\\kid");
  CHECK(service.findNamespace("ROOT\\TEST\\KID") == &kid);
  auto kidEvents = std::make_shared<Recorder>();
  service.subscribe("root\\test\\kid", "WQL", "SELECT * FROM __InstanceCreationEvent", kidEvents);
  service.createNamespace("root\\test\\kid\\grandchild");

  service.deleteNamespace("root\\test\\kid");
  REQUIRE(service.waitIdle());
  CHECK(service.findNamespace("root\\test\\kid") == nullptr);
  CHECK(service.findNamespace("root\\test\\kid\\grandchild") == nullptr);
  REQUIRE(parentEvents->events.size() == 2);
  CHECK(parentEvents->events[0]->className() == "__NamespaceCreationEvent");
  CHECK(parentEvents->events[0]->get("TargetNamespace").asObject()->get("Name").asString() == "kid");
  CHECK(parentEvents->events[1]->className() == "__NamespaceDeletionEvent");
  CHECK(parentEvents->events[1]->get("TargetNamespace").asObject()->get("Name").asString() == "kid");
  // The deleted namespace's subscription ended with its reason.
  CHECK(kidEvents->statuses == std::vector<Status>{WBEM_E_INVALID_NAMESPACE});
  CHECK(service.statistics().subscriptions == 1);
}

TEST_CASE("namespace names are checked", "[namespaces]") {
  EventService service{EventServiceOptions{.clock = std::make_shared<ManualClock>()}};
  CHECK_STATUS(WBEM_E_INVALID_NAMESPACE, service.createNamespace("root\\no\\such"));
  CHECK_STATUS(WBEM_E_INVALID_NAMESPACE, service.createNamespace("test"));
  service.createNamespace("root\\a");
  CHECK_STATUS(WBEM_E_ALREADY_EXISTS, service.createNamespace("root\\A"));
  CHECK_STATUS(WBEM_E_ACCESS_DENIED, service.deleteNamespace("root"));
  CHECK_STATUS(WBEM_E_INVALID_NAMESPACE, service.deleteNamespace("root\\b"));
  CHECK_STATUS(WBEM_E_INVALID_NAMESPACE, service.getNamespace("root\\b"));
  CHECK(&service.getNamespace("root") == service.findNamespace("root"));
}
