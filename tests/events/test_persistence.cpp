// The event service with a repository (issue 7): what it holds comes back after a restart, every
// change is written through, and backup/restore replaces everything (IWbemBackupRestore).

#include <wbem/event_service.hpp>
#include <wbem/objectpath.hpp>
#include <wbem/repository.hpp>

#include <catch2/catch.hpp>
#include <filesystem>
#include <mutex>
#include <unistd.h>

#include "support.hpp"

using namespace wbem;

namespace {

struct TempDir {
  TempDir() : path(std::filesystem::temp_directory_path() / ("wbem-persistence-" + std::to_string(getpid()))) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::filesystem::path path;
};

EventServiceOptions withRepository(const std::filesystem::path& file) {
  EventServiceOptions options;
  options.repository = std::make_shared<Repository>(file);
  return options;
}

class StatusSink : public ObjectSink {
 public:
  Status indicate(std::span<const ObjectPtr>) override { return WBEM_S_NO_ERROR; }
  void setStatus(std::int32_t, Status result, std::string_view, const ClassObject*) override {
    std::lock_guard lock(mutex_);
    results_.push_back(result);
  }
  std::vector<Status> results() {
    std::lock_guard lock(mutex_);
    return results_;
  }

 private:
  std::mutex mutex_;
  std::vector<Status> results_;
};

// root\app with class Volume { [key] string Name; uint64 Size; } and one instance.
void populate(EventService& service, std::string_view volumeName) {
  Namespace& ns = service.createNamespace("root\\app");
  service.createNamespace("root\\app\\child");
  ClassObject volume = ClassObject::createClass("Volume");
  volume.putProperty("Name", scalarType(CimType::String));
  volume.putPropertyQualifier("Name", "key", Value(true));
  volume.putProperty("Size", scalarType(CimType::UInt64));
  ns.putClass(volume);
  ClassObject v = ns.getClass("Volume")->spawnInstance();
  v.put("Name", Value(volumeName));
  v.put("Size", Value(std::uint64_t{1} << 40));
  ns.putInstance(v);
}

}  // namespace

TEST_CASE("namespaces, classes and instances come back after a restart") {
  TempDir dir;
  const auto file = dir.path / "repository.db";
  {
    EventService service(withRepository(file));
    populate(service, "data");
  }
  EventService service(withRepository(file));
  REQUIRE(service.findNamespace("root\\app\\child"));
  Namespace& ns = service.getNamespace("root\\app");
  const ObjectPtr v = ns.getInstance(ObjectPath::parse("Volume.Name=\"data\""));
  CHECK(v->get("Size").asUInt64() == std::uint64_t{1} << 40);

  // Later changes are written through too: a deletion survives the next restart.
  ns.deleteInstance(ObjectPath::parse("Volume.Name=\"data\""));
  service.deleteNamespace("root\\app\\child");
  const RepositoryCounts counts = Repository(file).counts();
  CHECK(counts.instances == 0);
  CHECK(counts.classes == 1);
  CHECK(counts.namespaces == 2);  // root and root\app
}

TEST_CASE("restore replaces everything with the backup and ends the subscriptions") {
  TempDir dir;
  EventService service(withRepository(dir.path / "repository.db"));
  populate(service, "before");
  const auto backup = dir.path / "backup.db";
  service.backup(backup);

  Namespace& ns = service.getNamespace("root\\app");
  ClassObject later = ns.getClass("Volume")->spawnInstance();
  later.put("Name", Value("after"));
  ns.putInstance(later);
  service.createNamespace("root\\other");
  auto sink = std::make_shared<StatusSink>();
  service.subscribe("root\\app", "WQL", "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Volume'",
                    sink);

  service.restore(backup);
  CHECK(sink->results() == std::vector<Status>{WBEM_E_SHUTTING_DOWN});
  CHECK(service.findNamespace("root\\other") == nullptr);
  Namespace& restored = service.getNamespace("root\\app");
  CHECK(restored.enumInstances("Volume").size() == 1);
  CHECK(restored.getInstance(ObjectPath::parse("Volume.Name=\"before\"")));
  CHECK(service.statistics().subscriptions == 0);

  // The restored service works as before: subscriptions and write-through.
  auto next = std::make_shared<StatusSink>();
  service.subscribe("root\\app", "WQL", "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'Volume'",
                    next);
  restored.putInstance(later);
  CHECK(Repository(dir.path / "repository.db").counts().instances == 2);
}

TEST_CASE("a bad backup changes nothing, and a service without a repository refuses backup and restore") {
  TempDir dir;
  EventService service(withRepository(dir.path / "repository.db"));
  populate(service, "kept");
  const auto junk = dir.path / "junk.db";
  {
    std::FILE* f = std::fopen(junk.c_str(), "w");
    std::fputs("not a repository", f);
    std::fclose(f);
  }
  CHECK(wbemtest::statusOf([&] { service.restore(junk); }) != WBEM_S_NO_ERROR);
  CHECK(service.getNamespace("root\\app").enumInstances("Volume").size() == 1);

  EventService memoryOnly;
  CHECK_STATUS(WBEM_E_INVALID_OPERATION, memoryOnly.backup(dir.path / "b.db"));
  CHECK_STATUS(WBEM_E_INVALID_OPERATION, memoryOnly.restore(dir.path / "b.db"));
}
