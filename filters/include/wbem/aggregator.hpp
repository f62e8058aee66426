#pragma once
// wbem::Aggregator — GROUP WITHIN n [BY ...] [HAVING NumberOfEvents op k] of one filter: events
// matched by the filter are combined into __AggregateEvent instances, one per group per window
// (WMI: what winmgmt does for an aggregating __EventFilter; spec 2.4 G1-G8).

#include <wbem/classobject.hpp>
#include <wbem/filter.hpp>
#include <wbem/namespace.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace wbem {

/// Combines the events one aggregating filter matched into __AggregateEvent instances.
///
/// Each distinct tuple of BY values is a group (values compare as WQL `=` does: strings
/// case-insensitively, numbers by value, NULL equal to NULL). A group's window opens with its
/// first event and closes n seconds later; then one __AggregateEvent is produced with
/// NumberOfEvents, Representative (a copy of the group's first event) and one property per BY
/// path holding the group's value — named as the path with its dots replaced by underscores
/// (`BY TargetInstance.SourceName` gives `TargetInstance_SourceName`), typed as the value (string
/// when the value is an untyped NULL). An aggregate failing HAVING is dropped. An event arriving
/// after its group's window closed (before the closed group was collected) opens a new window.
///
/// Safety: every member function is thread-safe (one internal mutex, held briefly; the clock is
/// called without it).
class Aggregator {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  /// Where the aggregator reads the current time (tests inject a fake one).
  using Clock = std::function<TimePoint()>;

  /// An aggregator for `filter`, which must have GROUP WITHIN (WBEM_E_INVALID_PARAMETER otherwise)
  /// and belong to `ns` (for the __AggregateEvent class). WBEM_E_INVALID_QUERY when two BY paths
  /// map to the same property name. Thread-safe.
  Aggregator(
      std::shared_ptr<const QueryFilter> filter, const Namespace& ns,
      Clock clock = [] { return std::chrono::steady_clock::now(); });
  Aggregator(const Aggregator&) = delete;
  Aggregator& operator=(const Aggregator&) = delete;
  /// Drops the open groups undelivered. Not thread-safe: no other call may be running.
  ~Aggregator();

  /// Counts `event` (an event the filter matched, as it is to be delivered) at the clock's
  /// current time. Thread-safe.
  void add(const ClassObject& event);
  /// The same at time `now`. Thread-safe.
  void add(const ClassObject& event, TimePoint now);

  /// The aggregates of every window closed at `now` (first event + n seconds <= now) that pass
  /// HAVING, oldest window first; their groups are forgotten. Thread-safe.
  std::vector<ClassObject> flush(TimePoint now);
  /// flush() at the clock's current time. Thread-safe.
  std::vector<ClassObject> poll();
  /// The aggregates of every group, closed or not (at shutdown). Thread-safe.
  std::vector<ClassObject> flushAll();

  /// When the earliest open window closes; nullopt when there is none (for the caller's timer).
  /// Thread-safe.
  std::optional<TimePoint> nextDeadline() const;

  /// The property name of BY path `path` on the aggregate event. Thread-safe.
  static std::string propertyName(const WqlPath& path);

 private:
  struct Group;
  ClassObject makeAggregate(const Group& group) const;
  bool passesHaving(std::uint32_t count) const;

  std::shared_ptr<const QueryFilter> filter_;
  ObjectPtr aggregateClass_;
  Clock clock_;
  std::chrono::seconds window_;
  std::vector<CompiledPath> byPaths_;
  std::vector<std::string> byNames_;
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Group>> groups_;  // by encoded BY tuple
  std::vector<std::unique_ptr<Group>> closed_;            // windows closed before a new event
  std::uint64_t sequence_ = 0;                            // orders groups by their first event
};

}  // namespace wbem
