// EventEnumerator: next() over EventService::pull, through the Services' core so that it stops
// touching the service once the Services is gone.

#include <wbem/event_enumerator.hpp>

#include <utility>

#include "services_core.hpp"

namespace wbem {

EventEnumerator::EventEnumerator(std::shared_ptr<detail::ServicesCore> core, SubscriptionId id)
    : core_(std::move(core)), id_(id) {}

EventEnumerator::~EventEnumerator() {
  {
    std::lock_guard lock(core_->mutex);
    if (core_->closed) return;  // ~Services cancelled it
    core_->pulls.erase(id_);
    ++core_->active;
  }
  // A pull subscription has no consumer call to wait for, so this may run anywhere.
  core_->service.cancel(id_);
  core_->leave();
}

Status EventEnumerator::next(std::uint32_t timeoutMs, std::uint32_t count, std::vector<ObjectPtr>& out) {
  if (count == 0) return WBEM_E_INVALID_PARAMETER;
  if (!core_->enter()) return WBEM_E_CALL_CANCELLED;
  struct Leave {
    detail::ServicesCore& core;
    ~Leave() { core.leave(); }
  } leave{*core_};
  // Into a vector of its own: whatever pull() does with its argument, `out` only grows.
  std::vector<ObjectPtr> events;
  Status status = core_->service.pull(id_, timeoutMs, count, events);
  out.insert(out.end(), std::make_move_iterator(events.begin()), std::make_move_iterator(events.end()));
  return status;
}

Status EventEnumerator::reset() { return WBEM_S_NO_ERROR; }

}  // namespace wbem
