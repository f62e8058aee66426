#pragma once
// Query overlap: can an event a provider registered for (one query of its
// __EventProviderRegistration.EventQueryList) be one a consumer's filter asks for? The event core
// activates a provider only while some live filter overlaps its registration (spec 4.1,
// decisions.md 4).

#include <wbem/filter.hpp>
#include <wbem/namespace.hpp>

namespace wbem {

/// False only when no event can satisfy both `registration` and `filter`; true when unsure.
/// Provably disjoint when:
/// - the FROM classes are unrelated (neither is the other or derives from it: a registration for
///   E serves filters on E, on a subclass of E, and on a superclass such as
///   __InstanceOperationEvent);
/// - both have a top-level `path ISA "C"` on the same path with unrelated classes (related: one
///   derives from the other, so Linux_Process serves a filter on CIM_Process and the reverse);
/// - both have a top-level `path = literal` on the same path whose constants no value can equal
///   at once under WQL's conversions (`Source = "a"` against `Source = "b"`; `N = 5` and
///   `N = "5"` may both hold, so they overlap);
/// - one has `path = NULL` or `path IS NULL` and the other a non-NULL `=` or `IS NOT NULL` on it.
/// Classes are looked up in `ns` (so classes created after the filters count); a class `ns` does
/// not know makes the check inconclusive (overlap). Thread-safe.
bool queriesOverlap(const QueryFilter& registration, const QueryFilter& filter, const Namespace& ns);

}  // namespace wbem
