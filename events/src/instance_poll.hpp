#pragma once
// Polling of an instance provider for intrinsic events (WQL WITHIN, spec 2.3 P1-P6): the snapshot
// of one polled class and the __Instance*Event objects the difference between two polls makes.

#include <wbem/classobject.hpp>
#include <wbem/names.hpp>
#include <wbem/namespace.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace wbem::detail {

/// What one polled class looked like at the last poll, and the intrinsic events the next poll's
/// difference makes. As in WMI, a change that is undone between two polls is never seen (P5).
/// Safety: not thread-safe; the owner serialises calls (const members may run concurrently).
class InstancePoll {
 public:
  /// Compares `current` (a fresh enumeration of the class) with the previous poll, matching
  /// instances by relative path (null pointers, classes and instances without a path are ignored;
  /// of duplicate paths the first wins). Returns an __InstanceDeletionEvent per vanished path
  /// (TargetInstance = old copy), an __InstanceModificationEvent per changed instance
  /// (PreviousInstance = old, TargetInstance = new; origin differences do not count) and an
  /// __InstanceCreationEvent per new path, in that order, each group sorted by path text
  /// (case-insensitive). Event classes come from `ns`. The first call only records the snapshot
  /// and returns nothing. TIME_CREATED is left for the sink. Not thread-safe.
  std::vector<ClassObject> update(std::vector<ObjectPtr> current, const Namespace& ns);

  /// Instances remembered from the last poll. Not thread-safe against update().
  std::size_t size() const noexcept { return snapshot_.size(); }
  /// Approximate bytes of the remembered snapshot (for the PollingMemoryPerUser quotas): per
  /// instance, its properties times sizeof(Value) plus its string lengths. Not thread-safe
  /// against update().
  std::size_t memoryUsage() const noexcept { return memory_; }

 private:
  // Keyed by relative path text, compared as Namespace compares stored instances' paths.
  using Snapshot = std::map<std::string, ObjectPtr, NameLess>;

  Snapshot snapshot_;
  std::size_t memory_ = 0;
  bool primed_ = false;  // the first poll only sets the baseline
};

}  // namespace wbem::detail
