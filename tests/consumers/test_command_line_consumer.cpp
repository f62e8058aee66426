// CommandLineEventConsumer (spec 6.2, 6.3): processes started without a shell, one argument per
// template argument whatever the event holds, admin-only creators, start failures, KillTimeout,
// output logging, the process limit and shutdown. The programs the consumer starts here are small
// sh scripts the test writes (the consumer itself never uses a shell).

#include <wbem/classobject.hpp>
#include <wbem/mof.hpp>
#include <wbem/namespace.hpp>
#include <wbem/standard_consumers.hpp>
#include <wbem/status.hpp>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <grp.h>
#include <iterator>
#include <memory>
#include <optional>
#include <pwd.h>
#include <sstream>
#include <string>
#include <sys/types.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "support.hpp"

using namespace wbem;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// Generous: the machine may be loaded. Tests wait for what they expect, never for a set time.
constexpr std::chrono::seconds kPatience{60};

constexpr std::string_view kEventMof = "class E : __ExtrinsicEvent { string S; sint32 N; };";

// Records its working directory, the number of its arguments after the first, and each of them
// ended by a NUL, into the file its first argument names (renamed into place when complete).
constexpr std::string_view kRecordScript = R"(#!/bin/sh
out="$1"
shift
{ pwd; echo "$#"; for a in "$@"; do printf '%s\0' "$a"; done; } > "$out.tmp" && mv "$out.tmp" "$out"
)";

// Writes its pid to the file named by $1, then becomes `sleep $2` (same pid).
constexpr std::string_view kPidScript = R"(#!/bin/sh
echo "$$" > "$1.tmp" && mv "$1.tmp" "$1"
exec sleep "$2"
)";

// As kPidScript, with a background child of its own first: "child pid" in the file.
constexpr std::string_view kFamilyScript = R"(#!/bin/sh
sleep 300 &
echo "$! $$" > "$1.tmp" && mv "$1.tmp" "$1"
exec sleep 300
)";

// Prints lines to stdout and stderr, the last one without a newline.
constexpr std::string_view kTalkScript = R"(#!/bin/sh
printf 'first line\nsecond line\r\n'
echo 'to stderr' >&2
printf 'no newline'
exit 3
)";

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "wbem-cmdline-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  fs::path operator/(std::string_view name) const { return path_ / name; }
  std::string str() const { return path_.string(); }

  // An executable script `name` holding `text`.
  std::string script(std::string_view name, std::string_view text) const {
    const fs::path path = path_ / name;
    std::ofstream(path) << text;
    fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
    return path.string();
  }

 private:
  fs::path path_;
};

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// The content of `path` once it exists (the scripts rename complete files into place).
std::string awaitFile(const fs::path& path) {
  REQUIRE(eventually([&] { return fs::exists(path); }));
  return readFile(path);
}

// What kRecordScript wrote: working directory and arguments.
struct Record {
  std::string directory;
  std::vector<std::string> arguments;
};

Record awaitRecord(const fs::path& path) {
  const std::string text = awaitFile(path);
  std::istringstream in(text);
  Record record;
  std::string count;
  std::getline(in, record.directory);
  std::getline(in, count);
  std::string argument;
  while (std::getline(in, argument, '\0')) record.arguments.push_back(argument);
  REQUIRE(std::to_string(record.arguments.size()) == count);
  return record;
}

// True when `pid` no longer runs: gone, or a zombie waiting for a parent that is not this test.
bool ended(pid_t pid) {
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  const std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
  const std::size_t close = stat.rfind(')');
  return close != std::string::npos && stat.size() > close + 2 && stat[close + 2] == 'Z';
}

// The process group of `pid`, from /proc/<pid>/stat (after "(comm) state ppid").
pid_t processGroup(pid_t pid) {
  const std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
  REQUIRE(stat.rfind(')') != std::string::npos);
  std::istringstream in(stat.substr(stat.rfind(')') + 2));
  std::string state;
  pid_t parent = 0;
  pid_t group = 0;
  in >> state >> parent >> group;
  return group;
}

// Sends fd 1 to a file while it lives (spdlog's default logger writes to stdout).
class StdoutCapture {
 public:
  explicit StdoutCapture(const fs::path& file) : saved_(::dup(STDOUT_FILENO)) {
    std::fflush(stdout);
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ::dup2(fd, STDOUT_FILENO);
    ::close(fd);
  }
  ~StdoutCapture() {
    std::fflush(stdout);
    ::dup2(saved_, STDOUT_FILENO);
    ::close(saved_);
  }
  StdoutCapture(const StdoutCapture&) = delete;
  StdoutCapture& operator=(const StdoutCapture&) = delete;

 private:
  int saved_;
};

// root\subscription with the standard consumer classes and E, and a provider.
class World {
 public:
  explicit World(CommandLineConsumerOptions options = {})
      : provider(std::make_unique<CommandLineConsumerProvider>(options)) {
    const MofCompiler compiler([this](const std::string&) { return &ns_; });
    REQUIRE(compiler.compileText(standardConsumerClassesMof(), "standard_consumers.mof").ok());
    REQUIRE(compiler.compileText(kEventMof, "event.mof").ok());
  }

  // A consumer created by root (an administrator).
  ClassObject consumer(std::optional<std::string> executablePath, std::optional<std::string> commandLine) const {
    ClassObject consumer = ns_.getClass("CommandLineEventConsumer")->spawnInstance();
    consumer.put("Name", "C1");
    consumer.put("CreatorSID", "uid:0");
    if (executablePath) consumer.put("ExecutablePath", *executablePath);
    if (commandLine) consumer.put("CommandLineTemplate", *commandLine);
    return consumer;
  }

  ObjectPtr event(std::string s = "", std::int32_t n = 0) const {
    ClassObject event = ns_.getClass("E")->spawnInstance();
    event.put("S", std::move(s));
    event.put("N", n);
    return share(std::move(event));
  }

  Status deliver(const ClassObject& consumer, std::vector<ObjectPtr> events) {
    return provider->findConsumer(consumer)->indicateToConsumer(consumer, events);
  }
  Status deliver(const ClassObject& consumer, ObjectPtr event) {
    return deliver(consumer, std::vector<ObjectPtr>{std::move(event)});
  }

  std::unique_ptr<CommandLineConsumerProvider> provider;

 private:
  Namespace ns_{"root\\subscription"};
};

pid_t readPid(const fs::path& file) { return static_cast<pid_t>(std::stol(awaitFile(file))); }

}  // namespace

TEST_CASE("the class as WMI declares it", "[cmdline]") {
  World world;
  const ClassObject consumer = world.consumer(std::nullopt, std::nullopt);
  CHECK(consumer.inheritsFrom("__EventConsumer"));
  CHECK(consumer.get("KillTimeout") == Value(std::uint32_t{0}));
  CHECK(consumer.get("CreateNewProcessGroup") == Value(true));
  CHECK(consumer.get("RunInteractively") == Value(false));
  CHECK(consumer.get("Priority") == Value(std::int32_t{32}));
  CHECK(consumer.getPropertyType("WorkingDirectory") == scalarType(CimType::String));
}

TEST_CASE("an event's values never add arguments nor reach a shell", "[cmdline]") {
  TempDir dir;
  World world;
  const std::string record = dir.script("record.sh", kRecordScript);
  const std::vector<std::string> values = {
      "a; touch " + (dir / "pwned").string(),
      "$(touch " + (dir / "pwned").string() + ")",
      "`touch " + (dir / "pwned").string() + "`",
      "\"quoted\" extra args",
      "it's 'single' quoted",
      "line1\nline2",
      "  leading and trailing spaces  ",
      "tab\tseparated",
      "back\\slash \\\"",
      "* " + dir.str() + "/*",
      "| cat > " + (dir / "pwned").string() + " && true || false",
      "%N% %% \"%N%\"",
      "",
  };
  int i = 0;
  for (const std::string& value : values) {
    const fs::path out = dir / ("out" + std::to_string(i++));
    const ClassObject consumer = world.consumer(std::nullopt, "\"" + record + "\" \"" + out.string() + "\" %S%");
    REQUIRE(world.deliver(consumer, world.event(value, 7)) == WBEM_S_NO_ERROR);
    const Record got = awaitRecord(out);
    CHECK(got.arguments == std::vector<std::string>{value});
  }
  CHECK_FALSE(fs::exists(dir / "pwned"));
}

TEST_CASE("template arguments: quoted parts are literal, unquoted ones expanded", "[cmdline]") {
  TempDir dir;
  World world;
  const std::string record = dir.script("record.sh", kRecordScript);
  const fs::path out = dir / "out";
  const ClassObject consumer =
      world.consumer(std::nullopt, record + " " + out.string() + R"( %S% "%N%" n=%N% "two words" %% %Missing%)");
  REQUIRE(world.deliver(consumer, world.event("v a l", 7)) == WBEM_S_NO_ERROR);
  CHECK(awaitRecord(out).arguments == std::vector<std::string>{"v a l", "%N%", "n=7", "two words", "%", ""});
}

TEST_CASE("ExecutablePath is the program; the template gives argv", "[cmdline]") {
  TempDir dir;
  World world;
  const std::string record = dir.script("record.sh", kRecordScript);
  const fs::path out = dir / "out";
  // argv[0] is the template's first token, not a program: ExecutablePath is what runs.
  const ClassObject consumer = world.consumer(record, "not-a-program " + out.string() + " %N%");
  REQUIRE(world.deliver(consumer, world.event("", 42)) == WBEM_S_NO_ERROR);
  CHECK(awaitRecord(out).arguments == std::vector<std::string>{"42"});
}

TEST_CASE("without CommandLineTemplate, ExecutablePath runs with no arguments", "[cmdline]") {
  TempDir dir;
  World world;
  const fs::path out = dir / "out";
  const std::string noArguments =
      dir.script("noargs.sh", "#!/bin/sh\necho \"$#\" > \"" + out.string() + ".tmp\" && mv \"" + out.string() +
                                  ".tmp\" \"" + out.string() + "\"\n");
  REQUIRE(world.deliver(world.consumer(noArguments, std::nullopt), world.event()) == WBEM_S_NO_ERROR);
  CHECK(awaitFile(out) == "0\n");
}

TEST_CASE("without ExecutablePath, the first argument is searched in PATH", "[cmdline]") {
  TempDir dir;
  World world;
  const std::string record = dir.script("record.sh", kRecordScript);
  const fs::path out = dir / "out";
  // env is found in PATH and runs the script with the remaining arguments.
  REQUIRE(world.deliver(world.consumer(std::nullopt, "env " + record + " " + out.string() + " %S%"),
                        world.event("x y")) == WBEM_S_NO_ERROR);
  CHECK(awaitRecord(out).arguments == std::vector<std::string>{"x y"});
}

TEST_CASE("WorkingDirectory is where the process starts", "[cmdline]") {
  TempDir dir;
  World world;
  const std::string record = dir.script("record.sh", kRecordScript);
  fs::create_directory(dir / "work");
  ClassObject consumer = world.consumer(record, "record relative-out");
  consumer.put("WorkingDirectory", (dir / "work").string());
  REQUIRE(world.deliver(consumer, world.event()) == WBEM_S_NO_ERROR);
  const Record got = awaitRecord(dir / "work" / "relative-out");
  CHECK(fs::equivalent(got.directory, dir / "work"));

  consumer.put("WorkingDirectory", (dir / "missing").string());
  CHECK(world.deliver(consumer, world.event()) == WBEM_E_NOT_FOUND);
}

TEST_CASE("only an administrator's consumer runs commands", "[cmdline]") {
  TempDir dir;
  World world;
  const std::string record = dir.script("record.sh", kRecordScript);
  const fs::path out = dir / "out";
  ClassObject consumer = world.consumer(record, "record " + out.string());
  for (const Value& creator : {Value("uid:65534"), Value(), Value("not a sid"), Value("gid:0")}) {
    consumer.put("CreatorSID", creator);
    CHECK(world.deliver(consumer, world.event()) == WBEM_E_ACCESS_DENIED);
  }
  consumer.put("CreatorSID", "uid:0");
  REQUIRE(world.deliver(consumer, world.event()) == WBEM_S_NO_ERROR);
  awaitFile(out);  // only now, from the administrator's consumer
}

TEST_CASE("the process runs as the consumer's creator, never as root unless the creator is root", "[cmdline]") {
  if (::geteuid() != 0) {
    WARN("only root can run a process as another user: skipped");
    return;
  }
  const passwd* nobody = ::getpwnam("nobody");
  REQUIRE(nobody != nullptr);
  const uid_t nobodyUid = nobody->pw_uid;
  const gid_t nobodyGid = nobody->pw_gid;
  const group* nobodyGroup = ::getgrgid(nobodyGid);
  REQUIRE(nobodyGroup != nullptr);
  // nobody's own group is the admin group here, so that nobody may create a command consumer.
  const wbemtest::ScopedEnv admins("WBEM_ADMIN_GROUP", nobodyGroup->gr_name);
  TempDir dir;
  fs::permissions(dir.str(), fs::perms::all);
  const std::string identity = dir.script("identity.sh", R"(#!/bin/sh
{ id -u; id -g; id -G; } > "$1.tmp" && mv "$1.tmp" "$1"
)");
  fs::permissions(identity, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                fs::perms::others_read | fs::perms::others_exec);
  World world;
  ClassObject consumer = world.consumer(identity, "identity " + (dir / "as-nobody").string());
  consumer.put("CreatorSID", "uid:" + std::to_string(nobodyUid));
  REQUIRE(world.deliver(consumer, world.event()) == WBEM_S_NO_ERROR);
  const std::string gid = std::to_string(nobodyGid);
  CHECK(awaitFile(dir / "as-nobody") == std::to_string(nobodyUid) + "\n" + gid + "\n" + gid + "\n");

  consumer.put("CommandLineTemplate", "identity " + (dir / "as-root").string());
  consumer.put("CreatorSID", "uid:0");
  REQUIRE(world.deliver(consumer, world.event()) == WBEM_S_NO_ERROR);
  CHECK(awaitFile(dir / "as-root").rfind("0\n0\n", 0) == 0);

  // What the creator may not run does not start: its rights, not the service's, decide.
  const std::string rootOnly = dir.script("root-only.sh", "#!/bin/sh\n");
  fs::permissions(rootOnly, fs::perms::owner_all);
  consumer.put("ExecutablePath", rootOnly);
  consumer.put("CommandLineTemplate", Value());
  consumer.put("CreatorSID", "uid:" + std::to_string(nobodyUid));
  CHECK(world.deliver(consumer, world.event()) == WBEM_E_ACCESS_DENIED);
  consumer.put("WorkingDirectory", (dir / "missing").string());
  consumer.put("ExecutablePath", identity);
  CHECK(world.deliver(consumer, world.event()) == WBEM_E_NOT_FOUND);
}

TEST_CASE("a program that cannot start fails the event", "[cmdline]") {
  TempDir dir;
  World world;
  CHECK(world.deliver(world.consumer((dir / "no-such-program").string(), std::nullopt), world.event()) ==
        WBEM_E_NOT_FOUND);
  CHECK(world.deliver(world.consumer(std::nullopt, "wbem-no-such-program-anywhere arg"), world.event()) ==
        WBEM_E_NOT_FOUND);
  // Event data never chooses the program: a template starting with a variable is refused.
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, world.deliver(world.consumer(std::nullopt, "%S% arg"), world.event("sh")));
  std::ofstream(dir / "not-executable") << "#!/bin/sh\n";
  CHECK(world.deliver(world.consumer((dir / "not-executable").string(), std::nullopt), world.event()) ==
        WBEM_E_ACCESS_DENIED);
}

TEST_CASE("an argument holding a NUL character fails the event instead of being cut short", "[cmdline]") {
  TempDir dir;
  World world;
  const std::string record = dir.script("record.sh", kRecordScript);
  const ClassObject consumer = world.consumer(record, "record " + (dir / "out").string() + " %S%");
  CHECK(world.deliver(consumer, world.event(std::string("a\0; extra", 9))) == WBEM_E_INVALID_PARAMETER);
  CHECK_FALSE(fs::exists(dir / "out"));
}

TEST_CASE("findConsumer refuses a consumer that names no program, and other classes", "[cmdline]") {
  World world;
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, world.provider->findConsumer(world.consumer(std::nullopt, std::nullopt)));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, world.provider->findConsumer(world.consumer(std::nullopt, " \t ")));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, world.provider->findConsumer(world.consumer("", std::nullopt)));
  CHECK_STATUS(WBEM_E_NOT_FOUND, world.provider->findConsumer(*world.event()));
  CHECK_OK(world.provider->findConsumer(world.consumer("/bin/true", " ")));
}

TEST_CASE("KillTimeout kills the process and its process group", "[cmdline]") {
  TempDir dir;
  World world;
  const std::string family = dir.script("family.sh", kFamilyScript);
  const fs::path pids = dir / "pids";
  ClassObject consumer = world.consumer(family, "family " + pids.string());
  consumer.put("KillTimeout", std::uint32_t{1});
  REQUIRE(world.deliver(consumer, world.event()) == WBEM_S_NO_ERROR);
  std::istringstream in(awaitFile(pids));
  pid_t child = 0;
  pid_t process = 0;
  in >> child >> process;
  REQUIRE(process > 0);
  REQUIRE(child > 0);
  // Both would sleep 300 s, far longer than the patience.
  CHECK(eventually([&] { return ended(process); }));
  CHECK(eventually([&] { return ended(child); }));
}

TEST_CASE("CreateNewProcessGroup decides whether the process has a group of its own", "[cmdline]") {
  TempDir dir;
  World world;
  const std::string pidScript = dir.script("pid.sh", kPidScript);
  for (const bool ownGroup : {true, false}) {
    const fs::path pidFile = dir / (ownGroup ? "own" : "shared");
    ClassObject consumer = world.consumer(pidScript, "pid " + pidFile.string() + " 300");
    consumer.put("CreateNewProcessGroup", ownGroup);
    REQUIRE(world.deliver(consumer, world.event()) == WBEM_S_NO_ERROR);
    const pid_t pid = readPid(pidFile);
    CHECK(processGroup(pid) == (ownGroup ? pid : ::getpgrp()));
    ::kill(pid, SIGKILL);
    CHECK(eventually([&] { return ended(pid); }));
  }
}

TEST_CASE("output lines and the exit status are logged", "[cmdline]") {
  TempDir dir;
  World world;
  const std::string talk = dir.script("talk.sh", kTalkScript);
  const fs::path log = dir / "stdout.log";
  Status status = WBEM_E_FAILED;
  bool logged = false;
  {
    StdoutCapture capture(log);  // no assertion in here: Catch2 would write into the capture
    status = world.deliver(world.consumer(talk, std::nullopt), world.event());
    logged = eventually([&] { return readFile(log).find("exited with status 3") != std::string::npos; });
  }
  REQUIRE(status == WBEM_S_NO_ERROR);
  const std::string text = readFile(log);
  INFO(text);
  REQUIRE(logged);
  CHECK(text.find("CommandLineEventConsumer C1: first line\n") != std::string::npos);
  CHECK(text.find("CommandLineEventConsumer C1: second line\n") != std::string::npos);  // without its \r
  CHECK(text.find("CommandLineEventConsumer C1: to stderr\n") != std::string::npos);
  CHECK(text.find("CommandLineEventConsumer C1: no newline\n") != std::string::npos);
}

TEST_CASE("processes beyond maxProcesses fail with WBEM_E_QUOTA_VIOLATION", "[cmdline]") {
  TempDir dir;
  World world(CommandLineConsumerOptions{.maxProcesses = 2});
  const std::string pidScript = dir.script("pid.sh", kPidScript);
  std::vector<pid_t> pids;
  for (int i = 0; i < 2; ++i) {
    const fs::path pidFile = dir / ("pid" + std::to_string(i));
    REQUIRE(world.deliver(world.consumer(pidScript, "pid " + pidFile.string() + " 300"), world.event()) ==
            WBEM_S_NO_ERROR);
    pids.push_back(readPid(pidFile));
  }
  const ClassObject third = world.consumer(pidScript, "pid " + (dir / "third").string() + " 0");
  CHECK(world.deliver(third, world.event()) == WBEM_E_QUOTA_VIOLATION);
  CHECK_FALSE(fs::exists(dir / "third"));

  for (const pid_t pid : pids) ::kill(pid, SIGKILL);
  // Once the supervisor has reaped one of them, there is room again.
  CHECK(eventually([&] { return world.deliver(third, world.event()) == WBEM_S_NO_ERROR; }));
  awaitFile(dir / "third");
}

TEST_CASE("destroying the provider waits for processes that end within the grace", "[cmdline]") {
  TempDir dir;
  World world(CommandLineConsumerOptions{.shutdownGrace = kPatience});
  const std::string pidScript = dir.script("pid.sh", kPidScript);
  REQUIRE(world.deliver(world.consumer(pidScript, "pid " + (dir / "pid").string() + " 0.2"), world.event()) ==
          WBEM_S_NO_ERROR);
  const pid_t pid = readPid(dir / "pid");
  world.provider.reset();
  CHECK(::kill(pid, 0) != 0);  // ended and reaped before the destructor returned
}

TEST_CASE("destroying the provider kills nothing; its sinks then refuse events", "[cmdline]") {
  TempDir dir;
  World world(CommandLineConsumerOptions{.shutdownGrace = 0ms});
  const std::string pidScript = dir.script("pid.sh", kPidScript);
  const ClassObject consumer = world.consumer(pidScript, "pid " + (dir / "pid").string() + " 300");
  const auto sink = world.provider->findConsumer(consumer);
  REQUIRE(sink->indicateToConsumer(consumer, std::vector<ObjectPtr>{world.event()}) == WBEM_S_NO_ERROR);
  const pid_t pid = readPid(dir / "pid");
  world.provider.reset();
  CHECK_FALSE(ended(pid));
  CHECK(sink->indicateToConsumer(consumer, std::vector<ObjectPtr>{world.event()}) == WBEM_E_SHUTTING_DOWN);
  // The process is still this test's child: clean it up here.
  ::kill(pid, SIGKILL);
  CHECK(::waitpid(pid, nullptr, 0) == pid);
}
