#include "instance_poll.hpp"

#include <wbem/objectpath.hpp>
#include <wbem/value.hpp>

#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>
#include <utility>

namespace wbem::detail {

namespace {

// Origin (server, namespace) is where the provider says it served the instance from; it is not
// part of the instance's state, so a provider that stamps it differently from poll to poll must
// not raise modifications.
constexpr std::int32_t kCompareFlags = WBEM_FLAG_IGNORE_OBJECT_SOURCE;

std::size_t objectSize(const ClassObject& object);

// Rough bytes of one value beyond its own slot: array elements, string text, embedded objects.
std::size_t valueExtra(const Value& v) {
  if (v.isNull()) return 0;
  if (v.isArray()) {
    std::size_t size = 0;
    for (const Value& e : v.asArray()) size += sizeof(Value) + valueExtra(e);
    return size;
  }
  switch (v.type()) {
    case CimType::String:
    case CimType::Reference:
      return v.asString().size();
    case CimType::Object:
      return objectSize(*v.asObject());
    default:
      return 0;
  }
}

std::size_t objectSize(const ClassObject& object) {
  const std::size_t count = object.definition().properties().size();
  std::size_t size = count * sizeof(Value);
  for (PropertySlot slot = 0; slot < count; ++slot) size += valueExtra(object.get(slot));
  return size;
}

std::size_t entrySize(const std::string& path, const ClassObject& object) { return path.size() + objectSize(object); }

// An event of class `eventClass` (spawned from `ns`, resolved on first use: most polls change
// nothing) with TargetInstance and, for modifications, PreviousInstance set.
class EventMaker {
 public:
  EventMaker(const Namespace& ns, std::string_view eventClass) : ns_(ns), eventClass_(eventClass) {}

  ClassObject make(const ObjectPtr& target, const ObjectPtr& previous = nullptr) {
    if (!cls_) cls_ = ns_.getClass(eventClass_);
    ClassObject event = cls_->spawnInstance();
    event.put("TargetInstance", Value(target));
    if (previous) event.put("PreviousInstance", Value(previous));
    return event;
  }

 private:
  const Namespace& ns_;
  std::string_view eventClass_;
  ObjectPtr cls_;
};

}  // namespace

std::vector<ClassObject> InstancePoll::update(std::vector<ObjectPtr> current, const Namespace& ns) {
  Snapshot next;
  std::size_t memory = 0;
  for (ObjectPtr& object : current) {
    if (!object || !object->isInstance()) continue;
    std::optional<ObjectPath> path = object->path();
    if (!path) continue;  // keys not all set: nothing to match it by across polls
    auto [it, added] = next.try_emplace(path->relativePath(), std::move(object));
    if (added) memory += entrySize(it->first, *it->second);
  }

  std::vector<ClassObject> events;
  if (primed_) {
    EventMaker deletion(ns, "__InstanceDeletionEvent");
    EventMaker modification(ns, "__InstanceModificationEvent");
    EventMaker creation(ns, "__InstanceCreationEvent");
    // Both maps iterate in path order, so each group comes out sorted.
    for (const auto& [path, old] : snapshot_)
      if (!next.contains(path)) events.push_back(deletion.make(old));
    std::vector<ClassObject> created;
    for (const auto& [path, now] : next) {
      auto it = snapshot_.find(path);
      if (it == snapshot_.end())
        created.push_back(creation.make(now));
      else if (it->second != now && !it->second->compareTo(*now, kCompareFlags))
        events.push_back(modification.make(now, it->second));
    }
    events.insert(events.end(), std::make_move_iterator(created.begin()), std::make_move_iterator(created.end()));
  }

  snapshot_ = std::move(next);
  memory_ = memory;
  primed_ = true;
  return events;
}

}  // namespace wbem::detail
