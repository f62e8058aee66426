// hello-events: what an event provider does with the object model before it fires anything —
// declare an extrinsic event class in a namespace, then build one event of it.

#include <wbem/classobject.hpp>
#include <wbem/namespace.hpp>
#include <wbem/status.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>

int main() {
  try {
    wbem::Namespace ns("root/test");

    // Extrinsic events describe something that happened outside WMI. They are delivered, never
    // stored, so the class needs no Key property.
    wbem::ClassObject diskFullClass = ns.getClass("__ExtrinsicEvent")->spawnDerivedClass("DiskFullEvent");
    diskFullClass.putProperty("Drive", wbem::scalarType(wbem::CimType::String));
    diskFullClass.putProperty("FreeBytes", wbem::scalarType(wbem::CimType::UInt64));
    diskFullClass.putProperty("When", wbem::scalarType(wbem::CimType::DateTime));
    const wbem::ObjectPtr stored = ns.putClass(diskFullClass);

    // A provider resolves slots once per class and then fills and reads events without name lookups.
    const wbem::PropertySlot freeBytesSlot = stored->slotOf("FreeBytes").value();

    wbem::ClassObject event = stored->spawnInstance();
    event.put("Drive", "/dev/sda1");
    event.put("FreeBytes", std::uint64_t{52'428'800});
    event.put("When", wbem::DateTime::fromTimePoint(std::chrono::system_clock::now()));

    std::cout << event.getObjectText();
    std::cout << "FreeBytes read by slot " << freeBytesSlot << ": " << event.get(freeBytesSlot).asUInt64() << '\n';
    std::cout << "DiskFullEvent is an __Event: " << std::boolalpha << event.inheritsFrom("__Event") << '\n';
    return 0;
  } catch (const wbem::Error& error) {
    std::cerr << "hello-events: " << error.what() << '\n';
    return 1;
  }
}
