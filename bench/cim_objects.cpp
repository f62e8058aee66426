// Benchmark: build a 6-property event instance and read its properties back, objects/s.
// Printed beside a baseline measured in the same run: a plain C++ struct with the same six
// fields, made with std::make_shared (what an event costs without a CIM object model).
// Run by hand on a Release build: build/release/bench/bench_cim_objects [objects]

#include <wbem/namespace.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace {

using Clock = std::chrono::steady_clock;

struct PlainEvent {
  std::string drive;
  std::uint64_t freeBytes;
  std::uint32_t severity;
  bool critical;
  std::string host;
  std::int64_t timeCreated;
};

// Keeps the optimiser from deleting the work whose cost is measured.
volatile std::uint64_t sink;

template <typename F>
double objectsPerSecond(std::size_t count, F&& body) {
  const auto start = Clock::now();
  std::uint64_t acc = 0;
  for (std::size_t i = 0; i < count; ++i) acc += body(i);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  sink = acc;
  return static_cast<double>(count) / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t count = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2'000'000;
  using namespace wbem;

  Namespace ns("root/bench");
  ClassObject cls = ns.getClass("__ExtrinsicEvent")->spawnDerivedClass("DiskSpaceEvent");
  cls.putProperty("Drive", scalarType(CimType::String));
  cls.putProperty("FreeBytes", scalarType(CimType::UInt64));
  cls.putProperty("Severity", scalarType(CimType::UInt32));
  cls.putProperty("Critical", scalarType(CimType::Boolean));
  cls.putProperty("Host", scalarType(CimType::String));
  const ObjectPtr eventClass = ns.putClass(cls);

  // Slots are resolved once per class, as the dispatcher and providers do.
  const PropertySlot drive = *eventClass->slotOf("Drive");
  const PropertySlot freeBytes = *eventClass->slotOf("FreeBytes");
  const PropertySlot severity = *eventClass->slotOf("Severity");
  const PropertySlot critical = *eventClass->slotOf("Critical");
  const PropertySlot host = *eventClass->slotOf("Host");
  const PropertySlot timeCreated = *eventClass->slotOf("TIME_CREATED");

  const double baseline = objectsPerSecond(count, [](std::size_t i) {
    auto e = std::make_shared<const PlainEvent>(
        PlainEvent{"C:", i * 4096, static_cast<std::uint32_t>(i % 5), i % 7 == 0, "host-01", static_cast<std::int64_t>(i)});
    return e->drive.size() + e->freeBytes + e->severity + e->critical + e->host.size() +
           static_cast<std::uint64_t>(e->timeCreated);
  });

  const double bySlot = objectsPerSecond(count, [&](std::size_t i) {
    ClassObject e = eventClass->spawnInstance();
    e.putExact(drive, Value("C:"));
    e.putExact(freeBytes, Value(std::uint64_t{i * 4096}));
    e.putExact(severity, Value(static_cast<std::uint32_t>(i % 5)));
    e.putExact(critical, Value(i % 7 == 0));
    e.putExact(host, Value("host-01"));
    e.putExact(timeCreated, Value(std::uint64_t{i}));
    const ObjectPtr shared = share(std::move(e));
    return shared->get(drive).asString().size() + shared->get(freeBytes).asUInt64() +
           shared->get(severity).asUInt64() + shared->get(critical).asBool() + shared->get(host).asString().size() +
           shared->get(timeCreated).asUInt64();
  });

  const double byName = objectsPerSecond(count, [&](std::size_t i) {
    ClassObject e = eventClass->spawnInstance();
    e.put("Drive", "C:");
    e.put("FreeBytes", Value(std::uint64_t{i * 4096}));
    e.put("Severity", Value(static_cast<std::int32_t>(i % 5)));  // converted sint32 -> uint32, as callers do
    e.put("Critical", Value(i % 7 == 0));
    e.put("Host", "host-01");
    e.put("TIME_CREATED", Value(std::uint64_t{i}));
    const ObjectPtr shared = share(std::move(e));
    return shared->get("Drive").asString().size() + shared->get("FreeBytes").asUInt64() +
           shared->get("Severity").asUInt64() + shared->get("Critical").asBool() +
           shared->get("Host").asString().size() + shared->get("TIME_CREATED").asUInt64();
  });

  std::printf("bench_cim_objects: build a 6-property event, share it, read all 6 properties (%zu objects)\n", count);
  std::printf("  %-44s %12.0f objects/s  (1.00x)\n", "baseline: make_shared<PlainEvent>", baseline);
  std::printf("  %-44s %12.0f objects/s  (%.2fx baseline)\n", "wbem: spawnInstance + putExact/get by slot", bySlot,
              bySlot / baseline);
  std::printf("  %-44s %12.0f objects/s  (%.2fx baseline)\n", "wbem: spawnInstance + put/get by name", byName,
              byName / baseline);
  return 0;
}
