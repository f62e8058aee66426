#pragma once
// wbem::FilterIndex — every live filter of a namespace, indexed so that matching one event costs
// about the same whether a hundred or a hundred thousand filters do not match it (WMI: the event
// subsystem's filter tree). The design is in the class comment.

#include <wbem/classobject.hpp>
#include <wbem/filter.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace wbem {

/// The filters of one namespace, indexed for matching events (or instances).
///
/// Each filter is filed under its FROM class and then along a path of its top-level conjuncts:
/// first each `path = literal` (a hash on the literal, compared as WQL compares: strings
/// case-insensitively, numbers by value across integer and real types, NULL only with NULL), then
/// each `path ISA "C"` (a hash on the class name), then each `path LIKE "prefix%..."` (a hash on
/// the ASCII prefix), and last one `path <, <=, >, >= literal` (sorted thresholds). An event visits
/// the buckets of its class and of each ancestor (the list, with the slots of the indexed
/// properties in the event's class, is cached per concrete class), reads each indexed property
/// once per bucket it reaches (embedded paths by CompiledPath plus a slot per embedded class,
/// never by name after the first sight), and collects the filters whose indexed conjuncts all
/// hold; QueryFilter::matches runs only for filters with further conditions (or when a value's
/// type calls for WQL's conversions), so the result always equals evaluating every filter one by
/// one.
///
/// Safety: every member function is thread-safe. match() holds a shared lock while it matches one
/// event; add() and remove() analyse the filter without the lock and then hold the exclusive lock
/// only for hash-table and sorted-array updates along the filter's path (a sorted threshold array
/// insertion moves at most the entries of that one array).
class FilterIndex {
 public:
  /// Caller-chosen identity of a filter (e.g. the event core's filter number).
  using FilterId = std::uint64_t;

  /// An empty index. Thread-safe.
  FilterIndex();
  FilterIndex(const FilterIndex&) = delete;
  FilterIndex& operator=(const FilterIndex&) = delete;
  /// Drops the index and its references to the filters. Not thread-safe: no match may be running.
  ~FilterIndex();

  /// Adds `filter` under `id`. WBEM_E_INVALID_PARAMETER for a null filter, WBEM_E_ALREADY_EXISTS
  /// when `id` is in use. Thread-safe.
  void add(FilterId id, std::shared_ptr<const QueryFilter> filter);

  /// Removes the filter `id`; false when there is none. Thread-safe.
  bool remove(FilterId id);

  /// Appends to `out` the ids of the filters `event` matches (the same set as QueryFilter::matches
  /// over every filter, in no particular order). Allocation-free when `out` has the capacity, once
  /// the event's class and embedded classes have been seen. Thread-safe.
  void match(const ClassObject& event, std::vector<FilterId>& out) const;

  /// The number of filters. Thread-safe.
  std::size_t size() const;

  /// Bytes the index structures hold (not counting the QueryFilter objects), estimated from
  /// container sizes and capacities. Thread-safe.
  std::size_t memoryUsage() const;

 private:
  struct Root;
  struct Placement;
  // The roots an event of one concrete class visits (its class and ancestors) with the slots of
  // their one-name paths in that class (or a code: absent, or read through the path's reader).
  struct ClassPlan {
    struct Target {
      const Root* root;
      std::vector<std::int32_t> slots;  // per path of the root
    };
    std::shared_ptr<const ClassDef> def;  // held so that the key's address is not reused
    std::vector<Target> targets;
  };

  void visitRoot(const Root& root, const std::int32_t* slots, const ClassObject& event,
                 std::vector<FilterId>& out) const;

  mutable std::shared_mutex mutex_;
  std::unordered_map<FilterId, std::shared_ptr<const QueryFilter>> filters_;
  // One root per FROM class, by lower-case class name.
  std::unordered_map<std::string, std::unique_ptr<Root>> roots_;
  // Plans per concrete class; cleared whenever a root is created or dropped or gains a path.
  mutable std::unordered_map<const ClassDef*, ClassPlan> plans_;
};

}  // namespace wbem
