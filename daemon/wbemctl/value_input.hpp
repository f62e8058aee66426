#pragma once
// Values typed from what a user writes: `name=value` arguments (call, raise) and JSON objects (put-instance),
// converted to the CIM type the schema declares. Text becomes a Value of its own kind first and
// Value::convertTo does the rest, so ranges and lossless rules are the object model's.

#include <wbem/cimtype.hpp>
#include <wbem/classobject.hpp>
#include <wbem/value.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "output.hpp"

namespace wbemctl {

/// The class named `name` (from the daemon, for a JSON embedded object); throws wbem::Error when there is none.
using ClassLookup = std::function<wbem::ClassObject(const std::string& name)>;

/// `text` as a value of `type`: booleans true/false (any case); integers in decimal or 0x hex, range-checked
/// for the type; reals in decimal or exponent form (nan, inf); datetimes as DMTF strings; references as paths;
/// char16 one character; strings as they are. An array takes a comma-separated list ("" is the empty array).
/// Embedded objects have no text form. Throws wbem::Error(WBEM_E_TYPE_MISMATCH) naming the problem.
/// Thread-safe.
wbem::Value parseValueText(std::string_view text, const wbem::PropertyType& type);

/// `argument` "name=value" split at its first '='; throws wbem::Error(WBEM_E_INVALID_PARAMETER) without one
/// or with an empty name. Thread-safe.
std::pair<std::string, std::string> splitAssignment(std::string_view argument);

/// Sets every "name=value" of `assignments` on `instance`, each value typed by the property's declared type.
/// Throws wbem::Error naming the property (WBEM_E_NOT_FOUND for one the class lacks). Not thread-safe (the
/// instance).
void putAssignments(wbem::ClassObject& instance, const std::vector<std::string>& assignments);

/// `json` as a value of `type`: null, booleans, numbers (converted as Value::convertTo allows; a real32 takes
/// the nearest float), strings (parsed as parseValueText does for a non-string type), arrays, and objects as
/// embedded instances of their "__CLASS" (default: the declared class), whose class `lookup` gives.
/// Throws wbem::Error(WBEM_E_TYPE_MISMATCH). Thread-safe when `lookup` is.
wbem::Value valueFromJson(const Json& json, const wbem::PropertyType& type, const ClassLookup& lookup);

/// A new instance from a JSON object: "__CLASS" names the class (`lookup` gives it) and every other member
/// is a property, typed by the class (`defaultClass` when the object has no "__CLASS"). Throws wbem::Error.
/// Thread-safe when `lookup` is.
wbem::ClassObject instanceFromJson(const Json& json, const ClassLookup& lookup, const std::string& defaultClass = {});

}  // namespace wbemctl
