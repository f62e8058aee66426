#pragma once
// Qualifiers and qualifier sets (WMI: IWbemQualifierSet) with flavors and their propagation.

#include <wbem/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wbem {

/// Qualifier flavors, WMI's WBEM_FLAVOR_TYPE values. Propagation flags say where a qualifier
/// goes; origin flags say where a qualifier in a set came from.
enum Flavor : std::int32_t {
  WBEM_FLAVOR_DONT_PROPAGATE = 0,
  WBEM_FLAVOR_FLAG_PROPAGATE_TO_INSTANCE = 0x1,       ///< MOF ToInstance
  WBEM_FLAVOR_FLAG_PROPAGATE_TO_DERIVED_CLASS = 0x2,  ///< MOF ToSubclass (Restricted clears it)
  WBEM_FLAVOR_MASK_PROPAGATION = 0xF,
  WBEM_FLAVOR_OVERRIDABLE = 0,
  WBEM_FLAVOR_NOT_OVERRIDABLE = 0x10,  ///< MOF DisableOverride
  WBEM_FLAVOR_MASK_PERMISSIONS = 0x10,
  WBEM_FLAVOR_ORIGIN_LOCAL = 0,
  WBEM_FLAVOR_ORIGIN_PROPAGATED = 0x20,
  WBEM_FLAVOR_ORIGIN_SYSTEM = 0x40,
  WBEM_FLAVOR_MASK_ORIGIN = 0x60,
  WBEM_FLAVOR_NOT_AMENDED = 0,
  WBEM_FLAVOR_AMENDED = 0x80,  ///< MOF Amended (localizable)
  WBEM_FLAVOR_MASK_AMENDED = 0x80,
};

/// The flavor MOF gives a qualifier that names none: EnableOverride, ToSubclass.
inline constexpr std::int32_t kMofDefaultFlavor = WBEM_FLAVOR_FLAG_PROPAGATE_TO_DERIVED_CLASS;

/// One named qualifier value with its flavor.
struct Qualifier {
  std::string name;
  Value value;
  std::int32_t flavor = WBEM_FLAVOR_DONT_PROPAGATE;

  /// True when the qualifier came from a superclass (or a class, for an instance).
  bool isPropagated() const noexcept { return (flavor & WBEM_FLAVOR_ORIGIN_PROPAGATED) != 0; }
  friend bool operator==(const Qualifier&, const Qualifier&) = default;
};

/// An ordered set of qualifiers with case-insensitive names (WMI: IWbemQualifierSet).
/// Safety: not synchronised; objects that hold sets are copied before being shared.
class QualifierSet {
 public:
  /// The qualifier named `name`, or nullptr.
  const Qualifier* find(std::string_view name) const noexcept;
  /// The value of `name`, or a NULL value when absent.
  Value get(std::string_view name) const;
  /// True when the qualifier is present and its value is TRUE (boolean qualifiers like Key, In).
  bool isTrue(std::string_view name) const noexcept;

  /// Adds or replaces `name` (IWbemQualifierSet::Put). Replacing a propagated qualifier makes it
  /// local; that fails with WBEM_E_OVERRIDE_NOT_ALLOWED when its flavor is DisableOverride.
  /// Throws WBEM_E_INVALID_PARAMETER for an empty name or WBEM_E_INVALID_FLAVOR for origin bits.
  void put(std::string_view name, Value value, std::int32_t flavor = WBEM_FLAVOR_DONT_PROPAGATE);
  /// Removes a local qualifier (IWbemQualifierSet::Delete). Throws WBEM_E_NOT_FOUND when absent and
  /// WBEM_E_PROPAGATED_QUALIFIER for an inherited one (WMI's rule: inherited ones cannot be deleted).
  void remove(std::string_view name);

  /// All qualifiers, in the order they were added.
  const std::vector<Qualifier>& all() const noexcept { return items_; }
  /// Names, optionally only local (WBEM_FLAG_LOCAL_ONLY) or only propagated ones.
  std::vector<std::string> names(bool localOnly = false, bool propagatedOnly = false) const;
  bool empty() const noexcept { return items_.empty(); }
  std::size_t size() const noexcept { return items_.size(); }

  /// The qualifiers a derived class (or, with `toInstance`, an instance) inherits from this set:
  /// those with the matching propagation flag, marked WBEM_FLAVOR_ORIGIN_PROPAGATED.
  QualifierSet propagated(bool toInstance) const;
  /// Puts every qualifier of `inherited` that this set does not override locally (used when a
  /// class is derived); an override of a DisableOverride qualifier with another value throws
  /// WBEM_E_OVERRIDE_NOT_ALLOWED.
  void inheritFrom(const QualifierSet& inherited);

  /// Equal, optionally ignoring flavors (WBEM_FLAG_IGNORE_FLAVOR) and name case.
  bool equals(const QualifierSet& other, bool ignoreFlavor) const;
  friend bool operator==(const QualifierSet& a, const QualifierSet& b) { return a.equals(b, false); }

 private:
  std::vector<Qualifier> items_;
};

}  // namespace wbem
