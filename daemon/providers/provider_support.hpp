#pragma once
// What both Linux providers need to build their objects fast: property slots checked against the
// types they put, so that values go in with ClassObject::putExact.

#include <wbem/cimtype.hpp>
#include <wbem/classobject.hpp>
#include <wbem/status.hpp>

#include <string>
#include <string_view>

namespace wbem::linuxprov {

/// The slot of scalar property `name` of type `type` in `def`; WBEM_E_INVALID_CLASS when the class
/// lacks it or declares it otherwise (a class of that name not from linuxProvidersMof). Thread-safe.
inline PropertySlot requireSlot(const ClassDef& def, std::string_view name, CimType type) {
  const auto slot = def.slotOf(name);
  if (!slot || def.properties()[*slot].type.type != type || def.properties()[*slot].type.array)
    throw Error(WBEM_E_INVALID_CLASS, "class " + def.name() + " has no scalar property " + std::string(name) +
                                          " of type " + std::string(cimTypeName(type)));
  return *slot;
}

}  // namespace wbem::linuxprov
