// e2e_provider: a decoupled event provider process for the end-to-end tests. Registers as
// "E2EProvider" in root/cimv2 and raises E2EEvent {Seq, Source}. Every line it prints on stdout is
// something a test synchronises on:
//   registered                      registerProvider succeeded
//   register failed 0xCODE NAME     it did not (the process exits 2)
//   provideEvents                   the daemon activated the provider (again after a reconnect)
//   newQuery ID QUERY / cancelQuery ID
//   done LAST                       every event was raised (LAST: the last Seq)
// It then stays registered until SIGTERM or SIGINT.
//
// Options: --socket PATH, --count N (0: raise for ever), --interval-ms MS (between bursts),
// --burst N (events per burst), --start SEQ, --source TEXT, --payload-bytes N (Source padded to N
// bytes), --wait-active (raise only once some filter wants the events), --sink-sddl SDDL (the sink's
// security descriptor: only consumers it grants WBEM_RIGHT_SUBSCRIBE receive the events),
// --event-sddl SDDL (each event's SECURITY_DESCRIPTOR, indicated subject to it: the same, per event).

#include <wbem/decoupled_provider.hpp>
#include <wbem/security.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <signal.h>
#include <string>
#include <string_view>
#include <thread>

namespace {

std::mutex outputMutex;
// SIGTERM / SIGINT, taken by a detached thread that may outlive main's locals.
sigset_t stopSignals;
std::atomic<bool> stop{false};

// One whole line per call, flushed at once: tests read stdout through a pipe.
void say(const std::string& line) {
  std::lock_guard lock(outputMutex);
  std::cout << line << std::endl;
}

std::string hex(wbem::Status status) {
  char text[16];
  std::snprintf(text, sizeof(text), "0x%08X", static_cast<unsigned>(status));
  return text;
}

// The provider object: reports the daemon's callbacks so that tests can see them.
class E2EProvider final : public wbem::EventProvider, public wbem::EventProviderQuerySink {
 public:
  wbem::Status provideEvents(std::shared_ptr<wbem::EventSink>, std::int32_t) override {
    say("provideEvents");
    return wbem::WBEM_S_NO_ERROR;
  }
  wbem::Status newQuery(std::uint32_t id, std::string_view, std::string_view query) override {
    say("newQuery " + std::to_string(id) + " " + std::string(query));
    return wbem::WBEM_S_NO_ERROR;
  }
  wbem::Status cancelQuery(std::uint32_t id) override {
    say("cancelQuery " + std::to_string(id));
    return wbem::WBEM_S_NO_ERROR;
  }
};

struct Options {
  std::string socket;
  std::uint64_t count = 10;
  unsigned intervalMs = 10;
  unsigned burst = 1;
  std::uint64_t start = 0;
  std::string source = "e2e";
  std::size_t payloadBytes = 0;
  bool waitActive = false;
  std::optional<std::string> sinkSddl;
  std::optional<std::string> eventSddl;
};

bool parse(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool hasValue = i + 1 < argc;
    if (arg == "--wait-active") {
      options.waitActive = true;
    } else if (!hasValue) {
      return false;
    } else if (arg == "--socket") {
      options.socket = argv[++i];
    } else if (arg == "--count") {
      options.count = std::stoull(argv[++i]);
    } else if (arg == "--interval-ms") {
      options.intervalMs = static_cast<unsigned>(std::stoul(argv[++i]));
    } else if (arg == "--burst") {
      options.burst = static_cast<unsigned>(std::stoul(argv[++i]));
    } else if (arg == "--start") {
      options.start = std::stoull(argv[++i]);
    } else if (arg == "--source") {
      options.source = argv[++i];
    } else if (arg == "--payload-bytes") {
      options.payloadBytes = std::stoull(argv[++i]);
    } else if (arg == "--sink-sddl") {
      options.sinkSddl = argv[++i];
    } else if (arg == "--event-sddl") {
      options.eventSddl = argv[++i];
    } else {
      return false;
    }
  }
  return options.burst > 0;
}

// Raises one event, retrying while the queue towards the daemon is full (a gap would fail tests
// that check Seq is consecutive).
void raise(wbem::EventSink& sink, const wbem::ClassObject& event, bool subjectToSds) {
  for (;;) {
    const wbem::Status status = sink.indicate(event, subjectToSds);
    if (status != wbem::WBEM_E_SERVER_TOO_BUSY) {
      if (wbem::isError(status)) say("indicate failed " + hex(status));
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  try {
    if (!parse(argc, argv, options)) {
      std::cerr << "usage: e2e_provider --socket PATH [--count N] [--interval-ms MS] [--burst N] [--start SEQ] "
                   "[--source TEXT] [--payload-bytes N] [--wait-active] [--sink-sddl SDDL] [--event-sddl SDDL]\n";
      return 64;
    }
  } catch (const std::exception&) {
    std::cerr << "e2e_provider: bad number\n";
    return 64;
  }

  // Blocked before any thread starts, so that only the waiter below takes them: a stop ends the
  // raising loop too (a --count 0 provider raises until then).
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGTERM);
  sigaddset(&stopSignals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  std::thread waiter([] {
    int signal = 0;
    sigwait(&stopSignals, &signal);
    stop = true;
    stop.notify_all();
  });
  waiter.detach();

  try {
    wbem::DecoupledBasicEventProvider registrar({.socketPath = options.socket, .software = "e2e_provider"});
    const wbem::Status status =
        registrar.registerProvider(0, "", "", "root/cimv2", "E2EProvider", std::make_shared<E2EProvider>());
    if (wbem::isError(status)) {
      say("register failed " + hex(status) + " " + std::string(wbem::statusName(status)));
      return 2;
    }
    say("registered");

    const std::shared_ptr<wbem::EventSink> sink = registrar.getSink();
    if (options.sinkSddl) sink->setSinkSecurity(wbem::SecurityDescriptor::parse(*options.sinkSddl));
    wbem::ClassObject event = registrar.getService()->getObject("E2EEvent")->spawnInstance();
    std::string source = options.source;
    if (source.size() < options.payloadBytes) source.resize(options.payloadBytes, '.');
    event.put("Source", wbem::Value(source));
    if (options.eventSddl)
      event.put("SECURITY_DESCRIPTOR", wbem::SecurityDescriptor::parse(*options.eventSddl).toValue());

    if (options.waitActive)
      while (!stop && sink->isActive() != wbem::WBEM_S_NO_ERROR)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));

    const std::uint64_t end = options.count == 0 ? UINT64_MAX : options.start + options.count;
    for (std::uint64_t seq = options.start; seq < end && !stop;) {
      for (unsigned i = 0; i < options.burst && seq < end; ++i, ++seq) {
        event.put("Seq", wbem::Value(static_cast<std::uint32_t>(seq)));
        raise(*sink, event, options.eventSddl.has_value());
      }
      if (options.intervalMs > 0) std::this_thread::sleep_for(std::chrono::milliseconds(options.intervalMs));
    }
    if (!stop) say("done " + std::to_string(end - 1));
    stop.wait(false);
    registrar.unregister();
    return 0;
  } catch (const wbem::Error& e) {
    say("error " + hex(e.status()) + " " + e.what());
    return 3;
  }
}
