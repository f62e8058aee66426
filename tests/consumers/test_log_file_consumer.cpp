// LogFileEventConsumer (spec 6.3, cases 62, 73, 74): lines, rotation, encodings, errors, batches.

#include <wbem/classobject.hpp>
#include <wbem/mof.hpp>
#include <wbem/namespace.hpp>
#include <wbem/standard_consumers.hpp>
#include <wbem/status.hpp>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <pwd.h>
#include <string>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "support.hpp"

using namespace wbem;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kEventMof = "class E : __ExtrinsicEvent { string S; sint32 N; };";

// A fresh directory, removed with what it holds.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "wbem-logfile-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }
  fs::path operator/(std::string_view name) const { return path_ / name; }

 private:
  fs::path path_;
};

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeFile(const fs::path& path, std::string_view content) { std::ofstream(path, std::ios::binary) << content; }

// root\subscription with the standard consumer classes and the event class E.
class World {
 public:
  World() {
    const MofCompiler compiler([this](const std::string&) { return &ns_; });
    REQUIRE(compiler.compileText(standardConsumerClassesMof(), "standard_consumers.mof").ok());
    REQUIRE(compiler.compileText(kEventMof, "event.mof").ok());
  }

  ClassObject consumer(const fs::path& filename, std::string_view text) const {
    ClassObject consumer = ns_.getClass("LogFileEventConsumer")->spawnInstance();
    consumer.put("Name", "L1");
    consumer.put("Filename", filename.string());
    consumer.put("Text", text);
    return consumer;
  }

  ObjectPtr event(std::string s, std::int32_t n = 0) const {
    ClassObject event = ns_.getClass("E")->spawnInstance();
    event.put("S", std::move(s));
    event.put("N", n);
    return share(std::move(event));
  }

  // Delivers `events` to `consumer` through a fresh provider's sink, as the event service does.
  Status deliver(const ClassObject& consumer, std::vector<ObjectPtr> events) {
    return provider.findConsumer(consumer)->indicateToConsumer(consumer, events);
  }

  Namespace& ns() { return ns_; }

  LogFileConsumerProvider provider;

 private:
  Namespace ns_{"root\\subscription"};
};

std::string utf16le(std::u16string_view text) {
  std::string bytes;
  for (const char16_t unit : text) {
    bytes += static_cast<char>(unit & 0xFF);
    bytes += static_cast<char>(unit >> 8);
  }
  return bytes;
}

}  // namespace

TEST_CASE("the class: derived from __EventConsumer, Name is the key, MaximumFileSize defaults to 65535", "[logfile]") {
  World world;
  const ClassObject consumer = world.consumer("/tmp/x", "t");
  CHECK(consumer.inheritsFrom("__EventConsumer"));
  const ObjectPtr cls = world.ns().getClass("LogFileEventConsumer");
  CHECK(cls->definition().keySlots() == std::vector<PropertySlot>{*cls->slotOf("Name")});
  CHECK(consumer.get("MaximumFileSize") == Value(std::uint64_t{65535}));
  CHECK(consumer.getPropertyType("IsUnicode") == scalarType(CimType::Boolean));
  CHECK(cls->getPropertyQualifierSet("Text").isTrue("Template"));
}

TEST_CASE("spec 62: one line per event, exactly the expanded text", "[logfile]") {
  TempDir dir;
  World world;
  const ClassObject consumer = world.consumer(dir / "l1.log", "S=%S% N=%N% %%");
  REQUIRE(world.deliver(consumer, {world.event("x", 5)}) == WBEM_S_NO_ERROR);
  CHECK(readFile(dir / "l1.log") == "S=x N=5 %\n");
  REQUIRE(world.deliver(consumer, {world.event("y", 6)}) == WBEM_S_NO_ERROR);
  CHECK(readFile(dir / "l1.log") == "S=x N=5 %\nS=y N=6 %\n");
}

TEST_CASE("a batch of events appends its lines in order", "[logfile]") {
  TempDir dir;
  World world;
  writeFile(dir / "batch.log", "before\n");
  const ClassObject consumer = world.consumer(dir / "batch.log", "%N%");
  std::vector<ObjectPtr> batch;
  std::string expected = "before\n";
  for (int i = 0; i < 100; ++i) {
    batch.push_back(world.event("", i));
    expected += std::to_string(i) + "\n";
  }
  REQUIRE(world.deliver(consumer, batch) == WBEM_S_NO_ERROR);
  CHECK(readFile(dir / "batch.log") == expected);
  CHECK(world.deliver(consumer, {}) == WBEM_S_NO_ERROR);
  CHECK(readFile(dir / "batch.log") == expected);
}

TEST_CASE("a removed file is created again at the next event", "[logfile]") {
  TempDir dir;
  World world;
  const ClassObject consumer = world.consumer(dir / "again.log", "%S%");
  REQUIRE(world.deliver(consumer, {world.event("one")}) == WBEM_S_NO_ERROR);
  fs::remove(dir / "again.log");
  REQUIRE(world.deliver(consumer, {world.event("two")}) == WBEM_S_NO_ERROR);
  CHECK(readFile(dir / "again.log") == "two\n");
}

TEST_CASE("spec 73: size checked before each write; an 8.3 name rotates to .001", "[logfile]") {
  TempDir dir;
  World world;
  writeFile(dir / "log.txt", std::string(89, 'o') + "\n");  // 90 bytes
  ClassObject consumer = world.consumer(dir / "log.txt", "%S%");
  consumer.put("MaximumFileSize", std::uint64_t{100});
  const std::string first = std::string(29, 'a');  // 30 bytes with its newline
  const std::string second = std::string(29, 'b');

  REQUIRE(world.deliver(consumer, {world.event(first)}) == WBEM_S_NO_ERROR);
  CHECK(fs::file_size(dir / "log.txt") == 120);  // 90 < 100 before the write: no rotation
  CHECK_FALSE(fs::exists(dir / "log.001"));

  REQUIRE(world.deliver(consumer, {world.event(second)}) == WBEM_S_NO_ERROR);
  CHECK(readFile(dir / "log.001") == std::string(89, 'o') + "\n" + first + "\n");
  CHECK(readFile(dir / "log.txt") == second + "\n");
}

TEST_CASE("spec 73: other names get the number appended", "[logfile]") {
  TempDir dir;
  World world;
  writeFile(dir / "application.log", std::string(120, 'o'));
  ClassObject consumer = world.consumer(dir / "application.log", "%S%");
  consumer.put("MaximumFileSize", std::uint64_t{100});
  REQUIRE(world.deliver(consumer, {world.event("new")}) == WBEM_S_NO_ERROR);
  CHECK(readFile(dir / "application.log001") == std::string(120, 'o'));
  CHECK(readFile(dir / "application.log") == "new\n");

  // Two dots make a name that is not 8.3 even when short.
  writeFile(dir / "a.b.c", std::string(120, 'o'));
  consumer.put("Filename", (dir / "a.b.c").string());
  REQUIRE(world.deliver(consumer, {world.event("new")}) == WBEM_S_NO_ERROR);
  CHECK(fs::exists(dir / "a.b.c001"));
}

TEST_CASE("rotation numbers go above every number in use, then fill gaps after 999", "[logfile]") {
  TempDir dir;
  World world;
  ClassObject consumer = world.consumer(dir / "log.txt", "%S%");
  consumer.put("MaximumFileSize", std::uint64_t{10});
  const std::string full(20, 'o');

  writeFile(dir / "log.txt", full);
  writeFile(dir / "log.002", "old");
  writeFile(dir / "log.007", "old");
  writeFile(dir / "log.abc", "not a number");
  REQUIRE(world.deliver(consumer, {world.event("x")}) == WBEM_S_NO_ERROR);
  CHECK(readFile(dir / "log.008") == full);
  CHECK_FALSE(fs::exists(dir / "log.001"));

  fs::remove(dir / "log.002");
  fs::remove(dir / "log.007");
  fs::remove(dir / "log.008");
  writeFile(dir / "log.999", "old");
  writeFile(dir / "log.001", "old");
  writeFile(dir / "log.txt", full);
  REQUIRE(world.deliver(consumer, {world.event("y")}) == WBEM_S_NO_ERROR);
  CHECK(readFile(dir / "log.002") == full);
  CHECK(readFile(dir / "log.txt") == "y\n");
}

TEST_CASE("a batch rotates between its own lines", "[logfile]") {
  TempDir dir;
  World world;
  ClassObject consumer = world.consumer(dir / "log.txt", "%S%");
  consumer.put("MaximumFileSize", std::uint64_t{10});
  REQUIRE(world.deliver(consumer, {world.event("aaaaaaaaaa"), world.event("bbb"), world.event("ccc"),
                                   world.event("ddddddddddd")}) == WBEM_S_NO_ERROR);
  CHECK(readFile(dir / "log.001") == "aaaaaaaaaa\n");
  CHECK(readFile(dir / "log.txt") == "bbb\nccc\nddddddddddd\n");  // 8 bytes < 10 before the last line
  CHECK_FALSE(fs::exists(dir / "log.002"));
}

TEST_CASE("MaximumFileSize 0 never rotates", "[logfile]") {
  TempDir dir;
  World world;
  writeFile(dir / "log.txt", std::string(100000, 'o'));
  ClassObject consumer = world.consumer(dir / "log.txt", "%S%");
  consumer.put("MaximumFileSize", std::uint64_t{0});
  REQUIRE(world.deliver(consumer, {world.event("x")}) == WBEM_S_NO_ERROR);
  CHECK(fs::file_size(dir / "log.txt") == 100002);
  CHECK_FALSE(fs::exists(dir / "log.001"));
}

TEST_CASE("IsUnicode: a new file is UTF-16LE with a BOM; an existing file keeps its encoding", "[logfile]") {
  TempDir dir;
  World world;
  ClassObject consumer = world.consumer(dir / "unicode.log", "%S%");
  consumer.put("IsUnicode", true);
  REQUIRE(world.deliver(consumer, {world.event("caf\u00e9 \U0001F600")}) == WBEM_S_NO_ERROR);
  const std::string expected = "\xFF\xFE" + utf16le(u"caf\u00e9 \U0001F600\n");
  CHECK(readFile(dir / "unicode.log") == expected);
  REQUIRE(world.deliver(consumer, {world.event("b")}) == WBEM_S_NO_ERROR);
  CHECK(readFile(dir / "unicode.log") == expected + utf16le(u"b\n"));

  // An existing ANSI file stays ANSI although IsUnicode is TRUE.
  writeFile(dir / "ansi.log", "old\n");
  consumer.put("Filename", (dir / "ansi.log").string());
  REQUIRE(world.deliver(consumer, {world.event("new")}) == WBEM_S_NO_ERROR);
  CHECK(readFile(dir / "ansi.log") == "old\nnew\n");

  // An existing Unicode file stays Unicode although IsUnicode is FALSE.
  consumer.put("IsUnicode", false);
  consumer.put("Filename", (dir / "unicode.log").string());
  REQUIRE(world.deliver(consumer, {world.event("c")}) == WBEM_S_NO_ERROR);
  CHECK(readFile(dir / "unicode.log") == expected + utf16le(u"b\nc\n"));

  // A new file without IsUnicode is UTF-8, without a BOM.
  consumer.put("Filename", (dir / "utf8.log").string());
  REQUIRE(world.deliver(consumer, {world.event("caf\u00e9")}) == WBEM_S_NO_ERROR);
  CHECK(readFile(dir / "utf8.log") == "caf\u00e9\n");
}

TEST_CASE("a rotated Unicode file's successor is new, so IsUnicode decides again", "[logfile]") {
  TempDir dir;
  World world;
  ClassObject consumer = world.consumer(dir / "log.txt", "%S%");
  consumer.put("IsUnicode", true);
  consumer.put("MaximumFileSize", std::uint64_t{4});
  REQUIRE(world.deliver(consumer, {world.event("a"), world.event("b")}) == WBEM_S_NO_ERROR);
  CHECK(readFile(dir / "log.001") == "\xFF\xFE" + utf16le(u"a\n"));
  CHECK(readFile(dir / "log.txt") == "\xFF\xFE" + utf16le(u"b\n"));
}

TEST_CASE("spec 74: a missing directory fails the event and writes nothing", "[logfile]") {
  TempDir dir;
  World world;
  const ClassObject consumer = world.consumer(dir / "missing" / "l.log", "%S%");
  CHECK(world.deliver(consumer, {world.event("x")}) == WBEM_E_FAILED);
  CHECK_FALSE(fs::exists(dir / "missing"));
}

TEST_CASE("an unwritable file fails the event with WBEM_E_ACCESS_DENIED", "[logfile]") {
  TempDir dir;
  World world;
  if (::geteuid() == 0) {
    // root writes anything: a directory standing where the file should be fails instead.
    fs::create_directory(dir / "dir.log");
    CHECK(world.deliver(world.consumer(dir / "dir.log", "%S%"), {world.event("x")}) == WBEM_E_FAILED);
    return;
  }
  writeFile(dir / "ro.log", "");
  fs::permissions(dir / "ro.log", fs::perms::owner_read);
  CHECK(world.deliver(world.consumer(dir / "ro.log", "%S%"), {world.event("x")}) == WBEM_E_ACCESS_DENIED);
}

TEST_CASE("a symbolic link as the file is refused, so a planted link cannot redirect the log", "[logfile]") {
  TempDir dir;
  World world;
  writeFile(dir / "target", "keep");
  fs::create_symlink(dir / "target", dir / "link.log");
  CHECK(world.deliver(world.consumer(dir / "link.log", "%S%"), {world.event("x")}) == WBEM_E_ACCESS_DENIED);
  CHECK(readFile(dir / "target") == "keep");
}

TEST_CASE("the file is opened, created and rotated with its creator's rights", "[logfile]") {
  if (::geteuid() != 0) {
    WARN("only root can act as another user: skipped");
    return;
  }
  const passwd* nobody = ::getpwnam("nobody");
  REQUIRE(nobody != nullptr);
  const uid_t nobodyUid = nobody->pw_uid;
  TempDir dir;
  fs::create_directory(dir / "private");  // root's: 0755, nobody may not create files in it
  fs::create_directory(dir / "shared");
  fs::permissions(dir.path(), fs::perms::all);
  fs::permissions(dir / "shared", fs::perms::all);
  World world;

  ClassObject denied = world.consumer(dir / "private" / "l.log", "%S%");
  denied.put("CreatorSID", "uid:" + std::to_string(nobodyUid));
  CHECK(world.deliver(denied, {world.event("x")}) == WBEM_E_ACCESS_DENIED);
  CHECK_FALSE(fs::exists(dir / "private" / "l.log"));

  // Where nobody may write, the file is nobody's; root's own thread is root again afterwards.
  ClassObject allowed = world.consumer(dir / "shared" / "l.log", "%S%");
  allowed.put("CreatorSID", "uid:" + std::to_string(nobodyUid));
  allowed.put("MaximumFileSize", std::uint64_t{3});
  REQUIRE(world.deliver(allowed, {world.event("one"), world.event("two")}) == WBEM_S_NO_ERROR);
  struct stat status {};
  REQUIRE(::stat((dir / "shared" / "l.log").c_str(), &status) == 0);
  CHECK(status.st_uid == nobodyUid);
  REQUIRE(::stat((dir / "shared" / "l.001").c_str(), &status) == 0);  // rotated as nobody too
  CHECK(readFile(dir / "shared" / "l.001") == "one\n");
  CHECK(readFile(dir / "shared" / "l.log") == "two\n");
  CHECK(::setfsuid(static_cast<uid_t>(-1)) == 0);  // the test's thread kept its identity

  // A creator the service cannot name acts as nobody, never as root.
  ClassObject unnamed = world.consumer(dir / "private" / "u.log", "%S%");
  unnamed.put("CreatorSID", "someone");
  CHECK(world.deliver(unnamed, {world.event("x")}) == WBEM_E_ACCESS_DENIED);
  ClassObject byRoot = world.consumer(dir / "private" / "r.log", "%S%");
  byRoot.put("CreatorSID", "uid:0");
  CHECK(world.deliver(byRoot, {world.event("x")}) == WBEM_S_NO_ERROR);
}

TEST_CASE("findConsumer refuses a consumer without Filename and one of another class", "[logfile]") {
  World world;
  ClassObject consumer = world.consumer("/tmp/x", "t");
  consumer.put("Filename", Value());
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, world.provider.findConsumer(consumer));
  consumer.put("Filename", "");
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, world.provider.findConsumer(consumer));
  CHECK_STATUS(WBEM_E_NOT_FOUND, world.provider.findConsumer(*world.event("x")));
}

TEST_CASE("an unchanged consumer keeps its sink, a changed one gets a new sink", "[logfile]") {
  World world;
  ClassObject consumer = world.consumer("/tmp/x", "t");
  const auto first = world.provider.findConsumer(consumer);
  CHECK(world.provider.findConsumer(consumer) == first);
  consumer.put("Text", "other");
  CHECK(world.provider.findConsumer(consumer) != first);
}
