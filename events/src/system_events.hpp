#pragma once
// Raising the events the service itself is the source of (system_events.cpp).

#include <string_view>
#include <vector>

#include "service_impl.hpp"

namespace wbem::detail {

/// Turns a namespace's class and instance changes into intrinsic events in that namespace, and
/// notes changes to timer instructions and provider registrations. Safety: called under the
/// namespace's write lock; takes no lock of the service (raising is lock-free).
class IntrinsicObserver final : public NamespaceObserver {
 public:
  explicit IntrinsicObserver(NamespaceState& state);
  void classChanged(const Namespace& ns, const ObjectPtr& before, const ObjectPtr& after) override;
  void instanceChanged(const Namespace& ns, const ObjectPtr& before, const ObjectPtr& after) override;

 private:
  // The intrinsic event classes, looked up once: the namespace cannot be read from inside its
  // own write lock, and system classes never change.
  ObjectPtr eventClass(std::string_view name) const;

  NamespaceState& state_;
  std::vector<ObjectPtr> classes_;
};

/// Raises `kind` (__NamespaceCreationEvent, ...) in `parent` for its child namespace `childName`.
/// Thread-safe.
void raiseNamespaceEvent(NamespaceState& parent, std::string_view kind, std::string_view childName);

}  // namespace wbem::detail
