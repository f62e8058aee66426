#pragma once
// wbem::QueryFilter — a WQL query validated against a namespace's schema and compiled for
// evaluation (WMI: what winmgmt builds from an __EventFilter or an ExecQuery / ExecNotificationQuery
// text). Semantics and status codes: docs/wql.md.

#include <wbem/classobject.hpp>
#include <wbem/namespace.hpp>
#include <wbem/wql.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wbem {

/// What a query is used for: ExecQuery (Data) or ExecNotificationQuery / __EventFilter
/// (Notification; the FROM class must derive from __Event).
enum class QueryKind : std::uint8_t { Data, Notification };

/// A WqlPath resolved for reading: the first name is resolved once against one concrete class,
/// each name after a dot per class of the embedded object met (embedded classes vary per object),
/// remembered so that later objects of a known class are read by slot, without name lookups.
/// Names that are system properties (__CLASS, __PATH, ...) are computed on each read. `__THIS`
/// as a first name stands for the object itself (for `__THIS ISA "C"`).
/// Safety: move-only; read() may run concurrently from many threads (the per-class memory of
/// embedded steps is published atomically, a new embedded class is resolved under a mutex).
class CompiledPath {
 public:
  /// Resolves `path` against `cls`, the concrete class of the objects read() will get.
  /// Never throws for unknown names: they read as NULL (validation reports them). Not thread-safe.
  CompiledPath(WqlPath path, std::shared_ptr<const ClassDef> cls);
  CompiledPath(CompiledPath&&) noexcept;
  CompiledPath& operator=(CompiledPath&&) noexcept;
  ~CompiledPath();

  /// The value at the path in `object` (an instance of the class given at construction): a
  /// reference to the stored value, to `scratch` holding a computed system property, or to a
  /// NULL Value when the name is unknown or an embedded object on the way is NULL.
  /// Allocation-free after the first object of each embedded class, except for system properties.
  /// Thread-safe.
  const Value& read(const ClassObject& object, Value& scratch) const;

  /// The embedded object the path names (`TargetInstance`, `__THIS`), or nullptr when the value
  /// is NULL or not an object. For ISA. Thread-safe.
  const ClassObject* readObject(const ClassObject& object) const;

  /// The path as written in the query. Thread-safe.
  const WqlPath& path() const noexcept { return path_; }

 private:
  struct Step;
  WqlPath path_;
  std::shared_ptr<const ClassDef> cls_;
  std::vector<std::unique_ptr<Step>> steps_;  // one per name
};

/// A query validated against a namespace and compiled. Immutable once built and shared as
/// std::shared_ptr<const QueryFilter>; every member function is thread-safe.
///
/// matches() compiles the WHERE condition once per concrete class of the objects it is given (the
/// compiled forms read properties by slot and hold converted literals) and keeps them keyed by the
/// class's ClassDef (held, so the key stays unique); readers find them without locking.
class QueryFilter {
 public:
  /// Parses (parseWql with `limits`), validates against `ns` and compiles `query`. Throws
  /// wbem::Error with WMI's code and the position in the query; the codes per rule are in
  /// docs/wql.md (WBEM_E_INVALID_QUERY, WBEM_E_INVALID_CLASS, WBEM_E_NOT_EVENT_CLASS,
  /// WBEM_E_INVALID_PROPERTY, WBEM_E_PROPERTY_NOT_AN_OBJECT, WBEM_E_INVALID_OPERATOR,
  /// WBEM_E_TYPE_MISMATCH, WBEM_E_AGGREGATING_BY_OBJECT, WBEM_E_QUOTA_VIOLATION, ...).
  /// The query language check is the caller's (requireWqlLanguage). Thread-safe.
  static std::shared_ptr<const QueryFilter> compile(std::string_view query, const Namespace& ns, QueryKind kind,
                                                    const WqlLimits& limits = {});
  /// The same for an already parsed query. Thread-safe.
  static std::shared_ptr<const QueryFilter> compile(WqlQuery query, const Namespace& ns, QueryKind kind);

  QueryFilter(const QueryFilter&) = delete;
  QueryFilter& operator=(const QueryFilter&) = delete;
  ~QueryFilter();

  /// The parsed query. Thread-safe.
  const WqlQuery& query() const noexcept { return query_; }
  QueryKind kind() const noexcept { return kind_; }
  /// True for a Notification query. Thread-safe.
  bool isEventQuery() const noexcept { return kind_ == QueryKind::Notification; }
  /// The FROM class as it was in the namespace when the filter was compiled. Thread-safe.
  const ObjectPtr& fromClass() const noexcept { return fromClass_; }

  /// The top-level conjuncts of WHERE: the comparisons every matching object satisfies (the
  /// operands of a top-level AND that are comparisons, or the WHERE itself when it is one
  /// comparison). Empty without WHERE. Pointers into query(). Thread-safe.
  std::span<const WqlComparison* const> conjuncts() const noexcept { return conjuncts_; }
  /// The class named by the first top-level conjunct `TargetInstance ISA "C"` (empty when none),
  /// spelled as in the namespace. Thread-safe.
  const std::string& targetInstanceClass() const noexcept { return targetInstanceClass_; }

  /// True when `object` satisfies the query: its class is the FROM class or derives from it, and
  /// the WHERE condition (if any) holds. Allocation-free after the first object of each concrete
  /// class (and of each embedded class), except when the condition reads system properties such
  /// as __PATH. Thread-safe.
  bool matches(const ClassObject& object) const;

  /// The object as the query delivers it: an instance of the same class with every property the
  /// SELECT list does not name set to NULL (what WMI does). A selected `TargetInstance.Name` or
  /// `TargetInstance` keeps the whole embedded object (spec Q2). For event queries the properties
  /// declared by __Event (TIME_CREATED, SECURITY_DESCRIPTOR) are kept, and __NAMESPACE, __SERVER,
  /// __PATH and __RELPATH are NULL (spec Q3: the origin is cleared; event classes have no keys).
  /// SELECT * keeps every property. Thread-safe.
  ClassObject project(const ClassObject& object) const;

 private:
  struct Compiled;
  struct CacheNode;
  QueryFilter() = default;
  std::unique_ptr<const Compiled> compileFor(const ClassObject& object) const;

  WqlQuery query_;
  QueryKind kind_ = QueryKind::Data;
  ObjectPtr fromClass_;
  std::vector<const WqlComparison*> conjuncts_;
  std::string targetInstanceClass_;
  // Compiled conditions per concrete class: an immutable list, prepended under mutex_.
  mutable std::atomic<const CacheNode*> cache_{nullptr};
  mutable std::mutex mutex_;
};

}  // namespace wbem
