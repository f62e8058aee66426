// Benchmark of the daemon protocol's object codec (wbem/wire.hpp) on a typical event: an
// __InstanceCreationEvent whose TargetInstance is an instance of a 10-property class (strings,
// integers, a datetime, a real, a boolean, a string array). Prints encode and decode objects/s
// and bytes/object on one connection in its steady state (the class records went out with the
// first event), beside a baseline measured in the same run: the same events as MOF text, written
// with ClassObject::getObjectText() and read back with the MOF compiler (check-only, so that
// nothing is stored; 1000 events per compile so that its per-unit set-up is spread thin). The
// compiler refuses keyless instances even when checking, so the text it reads names a stand-in
// subclass of __InstanceCreationEvent with one key more (Seq), otherwise the same text. Each
// figure comes with its ratio to the baseline. Also prints the size of the first event (with its
// class records) and the cost of framing and unframing the steady-state records.
// Run in a Release build: bench_wire [--quick]

#include <wbem/classobject.hpp>
#include <wbem/mof.hpp>
#include <wbem/namespace.hpp>
#include <wbem/wire.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

using namespace wbem;

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kNs = "root\\bench";
constexpr std::size_t kDistinctEvents = 1000;  // events cycled through, so values vary
constexpr std::size_t kEventsPerCompile = 1000;

int failedChecks = 0;

void check(bool ok, const std::string& what) {
  if (ok) return;
  ++failedChecks;
  std::printf("!! %s\n", what.c_str());
}

ClassObject processClass() {
  ClassObject c = ClassObject::createClass("Bench_Process");
  c.putProperty("Handle", scalarType(CimType::String));
  c.putPropertyQualifier("Handle", "key", Value(true), kMofDefaultFlavor);
  c.putProperty("ProcessId", scalarType(CimType::UInt32));
  c.putProperty("ParentProcessId", scalarType(CimType::UInt32));
  c.putProperty("Name", scalarType(CimType::String));
  c.putProperty("CommandLine", scalarType(CimType::String));
  c.putProperty("CreationDate", scalarType(CimType::DateTime));
  c.putProperty("ThreadCount", scalarType(CimType::UInt32));
  c.putProperty("WorkingSetSize", scalarType(CimType::UInt64));
  c.putProperty("CpuLoad", scalarType(CimType::Real64));
  c.putProperty("Arguments", arrayType(CimType::String));
  return c;
}

std::vector<ClassObject> makeEvents(const ClassObject& eventClass, const ClassObject& process) {
  std::vector<ClassObject> events;
  const auto start = std::chrono::system_clock::now();
  for (std::size_t i = 0; i < kDistinctEvents; ++i) {
    const auto n = static_cast<std::uint32_t>(1000 + i);
    ClassObject t = process.spawnInstance();
    t.putExact(0, Value(std::to_string(n)));
    t.putExact(1, Value(n));
    t.putExact(2, Value(std::uint32_t{1}));
    t.putExact(3, Value("worker-" + std::to_string(i % 17)));
    t.putExact(4, Value("/usr/bin/worker --id " + std::to_string(n) + " --queue jobs"));
    t.putExact(5, Value(DateTime::fromTimePoint(start + std::chrono::microseconds(i * 1337))));
    t.putExact(6, Value(std::uint32_t{4 + static_cast<std::uint32_t>(i % 8)}));
    t.putExact(7, Value(static_cast<unsigned long long>(1ull << 20) * (i % 300 + 1)));
    t.putExact(8, Value(static_cast<double>(i % 100) / 7.0));
    t.putExact(9, Value(CimType::String, {Value("--id"), Value(std::to_string(n)), Value("--queue")}));
    ClassObject e = eventClass.spawnInstance();
    e.put("TargetInstance", Value(share(std::move(t))));
    e.put("TIME_CREATED", Value(static_cast<unsigned long long>(133500000000000000ull + i)));
    events.push_back(std::move(e));
  }
  return events;
}

// Objects per second of `run(count)`, the median of `repeats` runs.
double rate(int repeats, std::size_t count, const std::function<void(std::size_t)>& run) {
  std::vector<double> rates;
  for (int r = 0; r < repeats; ++r) {
    const auto start = Clock::now();
    run(count);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    rates.push_back(static_cast<double>(count) / seconds);
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::size_t count = quick ? 100000 : 1000000;  // objects per codec run
  const std::size_t mofCount = quick ? 10000 : 50000;  // objects per MOF run
  const int repeats = quick ? 1 : 3;

  Namespace ns(kNs);
  const ClassObject process = processClass();
  ns.putClass(process);
  // The MOF baseline's stand-in for __InstanceCreationEvent (see the file comment).
  ClassObject stored = ns.getClass("__InstanceCreationEvent")->spawnDerivedClass("Bench_StoredEvent");
  stored.putProperty("Seq", scalarType(CimType::UInt64));
  stored.putPropertyQualifier("Seq", "key", Value(true), kMofDefaultFlavor);
  ns.putClass(stored);
  const ObjectPtr eventClass = ns.getClass("__InstanceCreationEvent");
  const std::vector<ClassObject> events = makeEvents(*eventClass, *ns.getClass("Bench_Process"));

  std::printf("Wire codec benchmark (%s): __InstanceCreationEvent with an embedded 10-property instance\n",
              quick ? "quick" : "full");
  std::printf("(string key, 2 uint32, 2 strings, datetime, uint32, uint64, real64, string[3]); %zu distinct events\n",
              kDistinctEvents);
  std::printf("cycled; median of %d runs. Baseline: MOF text, getObjectText() and MofCompiler (check-only).\n\n",
              repeats);

  // --- wire: one connection, steady state ---------------------------------------------------------
  wire::ObjectEncoder encoder;
  wire::ObjectDecoder decoder;
  const wire::Bytes first = encoder.encode(events[0]);
  check(decoder.decode(first) == events[0], "the first event decodes equal");
  std::vector<wire::Bytes> records;
  std::size_t wireBytes = 0;
  for (const ClassObject& e : events) {
    records.push_back(encoder.encode(e));
    wireBytes += records.back().size();
    check(decoder.decode(records.back()) == e, "an event decodes equal");
  }
  const double wireBytesPerObject = static_cast<double>(wireBytes) / static_cast<double>(events.size());

  wire::Bytes out;
  const double encodeRate = rate(repeats, count, [&](std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      out.clear();
      encoder.encode(events[i % kDistinctEvents], out);
    }
  });
  std::size_t sink = 0;
  const double decodeRate = rate(repeats, count, [&](std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) sink += decoder.decode(records[i % kDistinctEvents]).genus();
  });

  // Framing the records and splitting them again (frames of one record each).
  wire::Bytes stream;
  for (std::size_t i = 0; i < kDistinctEvents; ++i) wire::encodeFrame(stream, 3, i, records[i]);
  const double frameRate = rate(repeats, count, [&](std::size_t n) {
    for (std::size_t done = 0; done < n; done += kDistinctEvents) {
      out.clear();
      for (std::size_t i = 0; i < kDistinctEvents; ++i) {
        wire::FrameWriter writer(out, 3, i);
        encoder.encode(writer.body(), events[i]);
        writer.finish();
      }
    }
  });
  const double unframeRate = rate(repeats, count, [&](std::size_t n) {
    wire::FrameDecoder frames;
    for (std::size_t done = 0; done < n; done += kDistinctEvents) {
      frames.feed(stream);
      while (auto frame = frames.next()) sink += decoder.decode(frame->body()).genus();
    }
  });

  // --- baseline: MOF text ---------------------------------------------------------------------------
  std::vector<std::string> texts;
  std::size_t mofBytes = 0;
  for (const ClassObject& e : events) {
    texts.push_back(e.getObjectText());
    mofBytes += texts.back().size();
  }
  const double mofBytesPerObject = static_cast<double>(mofBytes) / static_cast<double>(events.size());
  const double textRate = rate(repeats, count, [&](std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) sink += events[i % kDistinctEvents].getObjectText().size();
  });
  std::string unit = "#pragma namespace(\"\\\\\\\\.\\\\root\\\\bench\")\n";
  const std::string head = "instance of __InstanceCreationEvent\n{\n";
  for (std::size_t i = 0; i < kEventsPerCompile; ++i) {
    const std::string& text = texts[i % kDistinctEvents];
    check(text.starts_with(head), "the MOF text of an event starts as expected");
    unit +=
        "instance of Bench_StoredEvent\n{\n    Seq = " + std::to_string(i) + ";\n" + text.substr(head.size()) + "\n";
  }
  MofOptions options;
  options.defaultNamespace = kNs;
  options.checkOnly = true;
  options.allowIncludes = false;
  const MofCompiler compiler([&](const std::string&) { return &ns; }, options);
  const MofResult probe = compiler.compileText(unit, "events.mof");
  check(probe.ok(), "the MOF baseline compiles: " +
                        (probe.diagnostics.empty() ? std::string() : probe.diagnostics.front().toString()));
  check(probe.instances == kEventsPerCompile, "the MOF baseline reads every event");
  const double compileRate = rate(repeats, mofCount, [&](std::size_t n) {
    for (std::size_t done = 0; done < n; done += kEventsPerCompile)
      sink += compiler.compileText(unit, "events.mof").instances;
  });

  std::printf("Size: first event with its class records %zu bytes (%zu classes); then per event:\n", first.size(),
              encoder.classCount());
  std::printf("  %-40s %12s %9s\n", "format", "bytes/event", "ratio");
  std::printf("  %-40s %12.1f %8.2fx\n", "baseline: MOF text", mofBytesPerObject, 1.0);
  std::printf("  %-40s %12.1f %8.2fx\n", "wire record", wireBytesPerObject, wireBytesPerObject / mofBytesPerObject);
  std::printf("\n  %-40s %12s %9s\n", "encode", "events/s", "ratio");
  std::printf("  %-40s %12.0f %8.2fx\n", "baseline: getObjectText()", textRate, 1.0);
  std::printf("  %-40s %12.0f %8.2fx\n", "ObjectEncoder::encode", encodeRate, encodeRate / textRate);
  std::printf("  %-40s %12.0f %8.2fx\n", "encode into frames (FrameWriter)", frameRate, frameRate / textRate);
  std::printf("\n  %-40s %12s %9s\n", "decode", "events/s", "ratio");
  std::printf("  %-40s %12.0f %8.2fx\n", "baseline: MofCompiler (check-only)", compileRate, 1.0);
  std::printf("  %-40s %12.0f %8.2fx\n", "ObjectDecoder::decode (bytes)", decodeRate, decodeRate / compileRate);
  std::printf("  %-40s %12.0f %8.2fx\n", "FrameDecoder + ObjectDecoder", unframeRate, unframeRate / compileRate);
  std::printf("\n(checksum %zu)\n", sink);
  if (failedChecks != 0) std::printf("!! %d checks failed: the figures above are not valid\n", failedChecks);
  return failedChecks == 0 ? 0 : 1;
}
