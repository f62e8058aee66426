// Tests of the Linux providers with real processes: Linux_Process enumerated from /proc, polled
// through the event service with WITHIN, and Linux_ProcessStartTrace from the kernel's
// process-event connector (where this machine lets us use it).

#include <wbem/classobject.hpp>
#include <wbem/datetime.hpp>
#include <wbem/event_service.hpp>
#include <wbem/linux_providers.hpp>
#include <wbem/mof.hpp>
#include <wbem/namespace.hpp>
#include <wbem/object_sink.hpp>
#include <wbem/value.hpp>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <spawn.h>
#include <string>
#include <string_view>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "support.hpp"

extern char** environ;

using namespace wbem;
using namespace std::chrono_literals;

namespace {

// How long a test waits for something that should happen within a poll or two.
constexpr auto kPatience = 10s;

// `sleep SECONDS`, started with posix_spawn (which returns once the exec is done, so the child
// already shows as "sleep"), killed and reaped when the test ends.
class SleepChild {
 public:
  explicit SleepChild(const char* seconds) {
    char sleep[] = "sleep";
    std::string arg(seconds);
    char* argv[] = {sleep, arg.data(), nullptr};
    REQUIRE(::posix_spawnp(&pid_, "sleep", nullptr, nullptr, argv, environ) == 0);
  }
  ~SleepChild() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  SleepChild(const SleepChild&) = delete;
  SleepChild& operator=(const SleepChild&) = delete;
  std::uint32_t pid() const { return static_cast<std::uint32_t>(pid_); }

 private:
  pid_t pid_ = -1;
};

// A namespace holding the providers' classes, without a service.
class ProvidersNamespace {
 public:
  ProvidersNamespace() : ns("root\\cimv2") {
    const MofCompiler compiler([this](const std::string&) { return &ns; });
    const MofResult result = compiler.compileText(linuxProvidersMof(), "linux_providers.mof");
    INFO((result.ok() ? std::string() : result.diagnostics.front().toString()));
    REQUIRE(result.ok());
  }
  Namespace ns;
};

ObjectPtr findProcess(const std::vector<ObjectPtr>& instances, std::uint32_t pid) {
  for (const ObjectPtr& i : instances)
    if (i->get("ProcessId") == Value(pid)) return i;
  return nullptr;
}

std::string ownComm() {
  char name[17] = {};
  ::prctl(PR_GET_NAME, name);
  return name;
}

// The events a sink received on the service's (or the provider's) threads, for the test thread to
// wait on. Thread-safe.
class ReceivedEvents {
 public:
  void add(ObjectPtr event) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
    cv_.notify_all();
  }
  // An event for which `match` holds, waiting up to `timeout`; null when none came.
  ObjectPtr waitFor(const std::function<bool(const ClassObject&)>& match, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    ObjectPtr found;
    cv_.wait_for(lock, timeout, [&] {
      for (const ObjectPtr& e : events_)
        if (match(*e)) found = e;
      return found != nullptr;
    });
    return found;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<ObjectPtr> events_;
};

// A consumer that keeps what it receives and lets the test wait for an event it describes.
class RecordingSink : public ObjectSink {
 public:
  Status indicate(std::span<const ObjectPtr> objects) override {
    for (const ObjectPtr& o : objects) received_.add(o);
    return WBEM_S_NO_ERROR;
  }
  // An event for which `match` holds, waiting up to kPatience; null when none came.
  ObjectPtr waitFor(const std::function<bool(const ClassObject&)>& match) {
    return received_.waitFor(match, kPatience);
  }

 private:
  ReceivedEvents received_;
};

// An event provider's sink, for driving LinuxProcessStartTraceProvider without a service.
class CollectingEventSink : public EventSink {
 public:
  Status indicate(std::span<const ClassObject> objects, bool) override {
    for (const ClassObject& o : objects) received_.add(share(o));
    return WBEM_S_NO_ERROR;
  }
  Status setStatus(std::int32_t, Status) override { return WBEM_S_NO_ERROR; }
  Status isActive() const override { return WBEM_S_NO_ERROR; }
  std::shared_ptr<EventSink> getRestrictedSink(const std::vector<std::string>&) override { return nullptr; }
  void setSinkSecurity(const SecurityDescriptor&) override {}
  Status setBatchingParameters(std::int32_t, std::uint32_t, std::uint32_t) override { return WBEM_S_NO_ERROR; }

  // Waits up to `timeout` for an event with ProcessId `pid`.
  ObjectPtr waitForPid(std::uint32_t pid, std::chrono::milliseconds timeout) {
    return received_.waitFor([pid](const ClassObject& e) { return e.get("ProcessId") == Value(pid); }, timeout);
  }

 private:
  ReceivedEvents received_;
};

// An event service with the Linux providers registered in root\cimv2, and a consumer for the
// subscriptions the test makes there.
struct ServiceWithLinuxProviders {
  ServiceWithLinuxProviders() { registerLinuxProviders(service); }
  SubscriptionId subscribe(std::string_view query) { return service.subscribe("root\\cimv2", "WQL", query, sink); }

  EventService service;
  std::shared_ptr<RecordingSink> sink = std::make_shared<RecordingSink>();
};

}  // namespace

TEST_CASE("Linux_Process lists the test's own process with its real values", "[linux][process]") {
  ProvidersNamespace f;
  LinuxProcessProvider provider(f.ns);
  const std::vector<ObjectPtr> processes = provider.createInstanceEnum("Linux_Process");
  CHECK(processes.size() > 1);

  const ObjectPtr self = findProcess(processes, static_cast<std::uint32_t>(::getpid()));
  REQUIRE(self);
  CHECK(self->className() == "Linux_Process");
  CHECK(self->get("Handle") == Value(std::to_string(::getpid())));
  CHECK(self->get("__RELPATH") == Value("Linux_Process.Handle=\"" + std::to_string(::getpid()) + "\""));
  CHECK(self->get("ParentProcessId") == Value(static_cast<std::uint32_t>(::getppid())));
  CHECK(self->get("Name") == Value(ownComm()));
  CHECK(self->get("UserId") == Value(static_cast<std::uint32_t>(::getuid())));
  CHECK(self->get("ThreadCount").asUInt64() >= 1);
  CHECK(self->get("WorkingSetSize").asUInt64() > 0);
  REQUIRE_FALSE(self->get("CommandLine").isNull());
  REQUIRE_FALSE(self->get("ExecutablePath").isNull());
  CHECK(self->get("ExecutablePath").asString().starts_with("/"));

  const auto created = self->get("CreationDate").asDateTime().toTimePoint();
  const auto now = std::chrono::system_clock::now();
  CHECK(created <= now);
  CHECK(now - created < 10min);  // this test started moments ago
}

TEST_CASE("Linux_Process lists a child the test starts", "[linux][process]") {
  ProvidersNamespace f;
  LinuxProcessProvider provider(f.ns);
  const auto before = std::chrono::system_clock::now();
  SleepChild child("5");

  const ObjectPtr p = findProcess(provider.createInstanceEnum("Linux_Process"), child.pid());
  REQUIRE(p);
  CHECK(p->get("Name") == Value("sleep"));
  CHECK(p->get("ParentProcessId") == Value(static_cast<std::uint32_t>(::getpid())));
  CHECK(p->get("CommandLine") == Value("sleep 5"));
  REQUIRE_FALSE(p->get("ExecutablePath").isNull());
  CHECK(p->get("ExecutablePath").asString().ends_with("/sleep"));
  CHECK(p->get("UserId") == Value(static_cast<std::uint32_t>(::getuid())));
  CHECK(p->get("ThreadCount") == Value(std::uint32_t{1}));
  const auto created = p->get("CreationDate").asDateTime().toTimePoint();
  // btime is whole seconds and starttime whole clock ticks, both rounded down.
  CHECK(created >= before - 2s);
  CHECK(created <= std::chrono::system_clock::now());

  SECTION("and no longer once it has gone") {
    const std::uint32_t pid = child.pid();
    ::kill(static_cast<pid_t>(pid), SIGKILL);
    ::waitpid(static_cast<pid_t>(pid), nullptr, 0);
    CHECK_FALSE(findProcess(provider.createInstanceEnum("Linux_Process"), pid));
  }
}

TEST_CASE("LinuxProcessProvider serves Linux_Process only", "[linux][process]") {
  ProvidersNamespace f;
  LinuxProcessProvider provider(f.ns);
  CHECK_STATUS(WBEM_E_INVALID_CLASS, provider.createInstanceEnum("Linux_ProcessStartTrace"));
  CHECK_FALSE(provider.createInstanceEnum("linux_process").empty());  // class names ignore case
}

TEST_CASE("registerLinuxProviders declares the classes and may run again", "[linux][register]") {
  EventService service;
  registerLinuxProviders(service);
  Namespace* ns = service.findNamespace("root\\cimv2");
  REQUIRE(ns);
  const ObjectPtr process = ns->getClass("Linux_Process");
  CHECK(process->getQualifierSet().isTrue("Dynamic"));
  CHECK(process->getQualifierSet().find("Provider")->value == Value("Linux_ProcessProvider"));
  CHECK(ns->getClass("Linux_ProcessStartTrace")->inheritsFrom("__ExtrinsicEvent"));
  CHECK(ns->enumInstances("__EventProviderRegistration").size() == 1);

  CHECK_OK(registerLinuxProviders(service));  // a daemon restarting on its repository
  CHECK(ns->getClass("Linux_Process") == process);
  CHECK(ns->enumInstances("__EventProviderRegistration").size() == 1);

  SECTION("into a namespace whose parents are missing") {
    CHECK_OK(registerLinuxProviders(service, "root/linux/test"));
    REQUIRE(service.findNamespace("root\\linux\\test"));
    CHECK(service.getNamespace("root\\linux\\test").findClass("Linux_Process"));
  }
}

TEST_CASE_METHOD(ServiceWithLinuxProviders, "WITHIN polling raises __InstanceCreationEvent for a started process",
                 "[linux][process][service]") {
  const SubscriptionId id = subscribe(
      "SELECT * FROM __InstanceCreationEvent WITHIN 1 WHERE TargetInstance ISA 'Linux_Process' AND "
      "TargetInstance.Name = 'sleep'");

  SleepChild child("3");
  const ObjectPtr event = sink->waitFor(
      [&](const ClassObject& e) { return e.get("TargetInstance").asObject()->get("ProcessId") == Value(child.pid()); });
  REQUIRE(event);
  CHECK(event->className() == "__InstanceCreationEvent");
  const ObjectPtr target = event->get("TargetInstance").asObject();
  CHECK(target->get("Name") == Value("sleep"));
  CHECK(target->get("ParentProcessId") == Value(static_cast<std::uint32_t>(::getpid())));
  CHECK(service.cancel(id));
}

TEST_CASE("Linux_ProcessStartTrace reports the exec of a child", "[linux][trace]") {
  if (!LinuxProcessStartTraceProvider::available()) {
    WARN(
        "the kernel process-event connector cannot be used here (needs CAP_NET_ADMIN in the initial "
        "network namespace): Linux_ProcessStartTrace is not tested");
    return;
  }

  SECTION("through the event service") {
    ServiceWithLinuxProviders f;
    const SubscriptionId id = f.subscribe("SELECT * FROM Linux_ProcessStartTrace WHERE ProcessName = 'sleep'");
    SleepChild child("3");
    const ObjectPtr event =
        f.sink->waitFor([&](const ClassObject& e) { return e.get("ProcessId") == Value(child.pid()); });
    REQUIRE(event);
    CHECK(event->className() == "Linux_ProcessStartTrace");
    CHECK(event->get("ProcessName") == Value("sleep"));
    CHECK(event->get("ParentProcessId") == Value(static_cast<std::uint32_t>(::getpid())));
    CHECK(event->get("UserId") == Value(static_cast<std::uint32_t>(::getuid())));
    CHECK_FALSE(event->get("TIME_CREATED").isNull());
    CHECK(f.service.cancel(id));
  }

  SECTION("only while some query is live") {
    ProvidersNamespace f;
    LinuxProcessStartTraceProvider provider(f.ns);
    auto sink = std::make_shared<CollectingEventSink>();
    CHECK_FALSE(provider.listening());
    REQUIRE(provider.provideEvents(sink, 0) == WBEM_S_NO_ERROR);
    REQUIRE(provider.newQuery(1, "WQL", "SELECT * FROM Linux_ProcessStartTrace") == WBEM_S_NO_ERROR);
    REQUIRE(provider.newQuery(2, "WQL", "SELECT * FROM Linux_ProcessStartTrace") == WBEM_S_NO_ERROR);
    CHECK(provider.listening());
    {
      SleepChild child("1");
      CHECK(sink->waitForPid(child.pid(), kPatience));
    }

    CHECK(provider.cancelQuery(1) == WBEM_S_NO_ERROR);
    CHECK(provider.listening());
    CHECK(provider.cancelQuery(2) == WBEM_S_NO_ERROR);
    CHECK_FALSE(provider.listening());
    {
      SleepChild child("1");
      CHECK_FALSE(sink->waitForPid(child.pid(), 300ms));
    }

    REQUIRE(provider.newQuery(3, "WQL", "SELECT * FROM Linux_ProcessStartTrace") == WBEM_S_NO_ERROR);
    CHECK(provider.listening());
    provider.shutdown(0, 0);
    CHECK_FALSE(provider.listening());
  }
}
