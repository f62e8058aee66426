// End-to-end security with real users (issue 9): this process runs as root and starts the real
// wbemd as root; wbemctl and e2e_provider run as the accounts scripts/setup.sh creates, through
// setpriv: wbem-test-alice and wbem-test-bob are ordinary users, wbem-test-carol is a member of
// wbem-admin (an administrator to wbem without being root). Where a case needs alice or bob to
// write permanent subscriptions, root grants them PartialWrite in root\subscription first (the
// default descriptor lets only administrators write). Every denial checks the status wbemctl
// prints and that nothing changed. Without root or those accounts each case warns and passes, so
// that developers can run the suite unprivileged.
//
// WBEM_E2E_SLOW=N multiplies every deadline by N; WBEM_E2E_KEEP=1 keeps the temporary directories
// (the daemon's log is wbemd.log there, each wbemctl run's stderr wbemctl-N-USER.log).

#include <wbem/client.hpp>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <pwd.h>
#include <sstream>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

#include "e2e_support.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

using wbemtest::checkNoSanitizerReports;
using wbemtest::Child;
using wbemtest::compileProviderMof;
using wbemtest::Daemon;
using wbemtest::readFile;
using wbemtest::requireOutput;
using wbemtest::slowFactor;
using wbemtest::startProvider;
using wbemtest::TempDir;
using wbemtest::waitUntil;
using wbemtest::writeFile;

constexpr std::string_view kTempDirPrefix = "wbem-users";
constexpr std::string_view kSetpriv = "/usr/bin/setpriv";

// What wbemctl prints for the statuses the cases expect.
constexpr std::string_view kAccessDenied = "WBEM_E_ACCESS_DENIED (0x80041003)";
constexpr std::string_view kNotFound = "WBEM_E_NOT_FOUND (0x80041002)";
constexpr std::string_view kQuotaViolation = "WBEM_E_QUOTA_VIOLATION (0x8004106C)";

// MOF's line that puts what follows into root\subscription.
constexpr std::string_view kSubscriptionPragma = R"(#pragma namespace("\\\\.\\root\\subscription"))";

// The classes the cases raise and watch, in root/cimv2 (E2EEvent comes with kProviderMof).
constexpr std::string_view kSchemaMof = R"(
class UserEvent : __ExtrinsicEvent { string Who; };
class Gadget { [key] string Name; };
)";

struct User {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

std::optional<User> lookupUser(const std::string& name) {
  const passwd* entry = ::getpwnam(name.c_str());
  if (entry == nullptr) return std::nullopt;
  return User{name, entry->pw_uid, entry->pw_gid};
}

// The default descriptor of the root namespace when the daemon runs as root.
constexpr std::string_view kDefaultSddl = "O:BAG:BAD:(A;;0x600ff;;;BA)(A;;0x43;;;WD)";

std::string sid(const User& user) { return "uid:" + std::to_string(user.uid); }

// setpriv and its options, to run a program as `user` (nothing for root).
std::vector<std::string> asUser(const User& user) {
  if (user.uid == 0) return {};
  return {std::string(kSetpriv), "--reuid=" + std::to_string(user.uid), "--regid=" + std::to_string(user.gid),
          "--init-groups"};
}

// One wbemctl run that has ended.
struct CtlRun {
  std::string command;
  int exitCode = -1;  // -1: still running after the deadline, or killed by a signal
  std::string out;
  std::string err;

  std::string describe() const {
    return command + "\n-> exit " + std::to_string(exitCode) + "\nstdout:\n" + out + "\nstderr:\n" + err;
  }
};

void checkSucceeded(const CtlRun& run) {
  INFO(run.describe());
  CHECK(run.exitCode == 0);
}

// wbemctl failed (exit 1) with `status` on stderr, as "wbemctl: NAME (0xCODE): message".
void checkFailed(const CtlRun& run, std::string_view status) {
  INFO(run.describe());
  CHECK(run.exitCode == 1);
  CHECK(run.err.find("wbemctl: " + std::string(status) + ": ") != std::string::npos);
}

// One JSON object of string properties, as `wbemctl put-instance` reads it.
std::string jsonObject(std::initializer_list<std::pair<std::string_view, std::string>> properties) {
  std::string out = "{";
  for (const auto& [name, value] : properties) {
    if (out.size() > 1) out += ",";
    out += "\"" + std::string(name) + "\":\"";
    for (const char c : value) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += "\"";
  }
  return out + "}";
}

std::string logConsumerJson(std::string_view name, const fs::path& file) {
  return jsonObject(
      {{"__CLASS", "LogFileEventConsumer"}, {"Name", std::string(name)}, {"Filename", file}, {"Text", "who=%Who%"}});
}

// A CommandLineEventConsumer that writes the uid it runs as into `file`.
std::string idCommandJson(std::string_view name, const fs::path& file) {
  return jsonObject({{"__CLASS", "CommandLineEventConsumer"},
                     {"Name", std::string(name)},
                     {"CommandLineTemplate", "/bin/sh -c \"id -u > " + file.string() + "\""}});
}

// A LogFileEventConsumer (MOF alias $C) writing "who=%Who%" lines into `file`.
std::string logConsumerMof(std::string_view name, const fs::path& file) {
  return "instance of LogFileEventConsumer as $C { Name = \"" + std::string(name) + "\"; Filename = \"" +
         file.string() + "\"; Text = \"who=%Who%\"; };\n";
}

// A permanent subscription in root\subscription on root\cimv2's events: filter, consumer ($C) and binding.
std::string subscriptionMof(std::string_view filterName, std::string_view query, std::string_view consumerMof,
                            std::string_view eventAccess = {}) {
  const std::string access = eventAccess.empty() ? "" : " EventAccess = \"" + std::string(eventAccess) + "\";";
  return std::string(kSubscriptionPragma) + "\ninstance of __EventFilter as $F { Name = \"" + std::string(filterName) +
         "\"; QueryLanguage = \"WQL\"; EventNamespace = \"root\\\\cimv2\"; Query = \"" + std::string(query) + "\";" +
         access + " };\n" + std::string(consumerMof) +
         "instance of __FilterToConsumerBinding { Filter = $F; Consumer = $C; };\n";
}

// The line of `wbemctl subscriptions list` whose filter is `filterName` (empty when none).
std::string subscriptionLine(const std::string& listing, std::string_view filterName) {
  const std::string key = "__EventFilter.Name=\"" + std::string(filterName) + "\"";
  std::istringstream lines(listing);
  for (std::string line; std::getline(lines, line);)
    if (line.find(key) != std::string::npos) return line;
  return {};
}

std::optional<struct stat> fileStatus(const fs::path& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) return std::nullopt;
  return status;
}

// Each case: its own directory (traversable by the test users) and daemon, with the schema.
// (Catch2 runs a TEST_CASE_METHOD as a member of a subclass: the cases name these as their own.)
struct RealUsersCase {
  RealUsersCase() {
    if (::geteuid() != 0) {
      whyNot_ = "not root: the real-user cases need root to start wbemd and switch users";
      return;
    }
    if (::access(std::string(kSetpriv).c_str(), X_OK) != 0) {
      whyNot_ = std::string(kSetpriv) + " is missing (util-linux)";
      return;
    }
    for (auto [user, name] : {std::pair{&alice, "wbem-test-alice"}, std::pair{&bob, "wbem-test-bob"},
                              std::pair{&carol, "wbem-test-carol"}}) {
      const std::optional<User> found = lookupUser(name);
      if (!found) {
        whyNot_ = std::string("user ") + name + " is missing: run scripts/setup.sh as root";
        return;
      }
      *user = *found;
    }
    // From here on the cases run for real: what stops them is a failure, not a reason to skip.
    available_ = true;
    fs::permissions(dir.path(), fs::perms(0755));
    // The build tree may be where the test users cannot go (a clone under /root): they run copies.
    for (const auto& [program, copy] :
         {std::pair{fs::path(WBEM_E2E_WBEMCTL), &wbemctlCopy}, std::pair{fs::path(WBEM_E2E_PROVIDER), &providerCopy}}) {
      *copy = dir.path() / program.filename();
      fs::copy_file(program, *copy);
      fs::permissions(*copy, fs::perms(0755));
    }
    daemon.emplace(dir);
    admin = daemon->connect();
    compileProviderMof(*daemon);
    REQUIRE(admin->compileMof(kSchemaMof, "schema.mof").first == 2);
  }

  // True, after a warning that says why, when the case cannot run here.
  bool skipped() const {
    if (available_) return false;
    WARN("skipped: " << whyNot_);
    return true;
  }

  // wbemctl as `user` in the background, stdout captured; --socket is added.
  std::unique_ptr<Child> startCtl(const User& user, std::vector<std::string> args) {
    return startCtl(user, std::move(args), nextLog(user), {});
  }

  // wbemctl as `user` until it exits, with `input` (when given) on its stdin.
  CtlRun ctl(const User& user, std::vector<std::string> args, std::string_view input = {}) {
    const fs::path log = nextLog(user);
    CtlRun run;
    run.command = user.name + ": wbemctl";
    for (const std::string& arg : args) run.command += " " + arg;
    fs::path inputFile;
    if (!input.empty()) {
      run.command += " < " + std::string(input);
      inputFile = fs::path(log).replace_extension(".in");
      writeFile(inputFile, input);
    }
    auto child = startCtl(user, std::move(args), log, inputFile);
    run.exitCode = child->exitCode(30s);
    run.out = child->output();
    run.err = readFile(log);
    return run;
  }

  // `wbemctl put-instance` into root/subscription as `user`, of one JSON object.
  CtlRun putInstance(const User& user, const std::string& json) {
    return ctl(user, {"put-instance", "--namespace", "root/subscription"}, json);
  }

  // Gives `users` PartialWrite (static instances: permanent subscriptions) in root\subscription,
  // beside the default rights.
  void grantPartialWrite(std::initializer_list<const User*> users) { grant("root/subscription", users, "0x8"); }
  // Gives `users` `rights` in `ns`, beside the default rights.
  void grant(std::string_view ns, std::initializer_list<const User*> users, std::string_view rights) {
    std::string sddl(kDefaultSddl);
    for (const User* user : users) sddl += "(A;;" + std::string(rights) + ";;;" + sid(*user) + ")";
    checkSucceeded(ctl(root, {"security", "set", std::string(ns), sddl}));
  }

  // A file in the case's directory, readable by every test user; its path.
  std::string file(std::string_view name, std::string_view text) const {
    const fs::path path = dir / name;
    writeFile(path, text);
    return path.string();
  }

  // A directory of the case owned by `user` (mode 0755).
  fs::path directoryOf(const User& user) const {
    const fs::path path = dir / (user.name + "-files");
    fs::create_directory(path);
    REQUIRE(::chown(path.c_str(), user.uid, user.gid) == 0);
    fs::permissions(path, fs::perms(0755));
    return path;
  }

  std::string subscriptions() {
    const CtlRun listing = ctl(root, {"subscriptions", "list"});
    checkSucceeded(listing);
    return listing.out;
  }

  // The temporary subscriptions `user` holds in the daemon now.
  std::size_t temporarySubscriptions(const User& user) const {
    const auto consumers = admin->statistics().consumers;
    return static_cast<std::size_t>(std::ranges::count_if(
        consumers, [&](const wbem::ConsumerStatistics& c) { return c.ownerUid == user.uid && !c.permanent; }));
  }
  void requireTemporarySubscriptions(const User& user, std::size_t count) const {
    if (!waitUntil([&] { return temporarySubscriptions(user) >= count; }, 20s))
      FAIL(user.name << " does not hold " << count << " subscriptions; it holds " << temporarySubscriptions(user)
                     << "\nwbemd:\n"
                     << daemon->log());
  }

  // The counters of the live permanent subscription whose consumer path holds `consumerName`.
  std::optional<wbem::ConsumerStatistics> permanentConsumer(std::string_view consumerName) const {
    for (const wbem::ConsumerStatistics& c : admin->statistics().consumers)
      if (c.permanent && c.consumer.find(consumerName) != std::string::npos) return c;
    return std::nullopt;
  }
  // Waits until the consumer's delivery of an event failed.
  void requireConsumerFailure(std::string_view consumerName) const {
    const bool failed = waitUntil(
        [&] {
          const auto counters = permanentConsumer(consumerName);
          return counters && counters->failures >= 1;
        },
        20s);
    if (!failed) FAIL(consumerName << " never failed\nwbemd:\n" << daemon->log());
  }

  // Root raises UserEvent{Who = "root"}: `subscriber`, a `subscribe --count 1 --format json` of
  // UserEvent, must print it and exit 0.
  void requireReceivesRootEvent(Child& subscriber) {
    checkSucceeded(ctl(root, {"raise", "UserEvent", "Who=root"}));
    const int exitCode = subscriber.exitCode(30s);
    INFO(subscriber.describe());
    CHECK(exitCode == 0);
    CHECK(subscriber.output().find(R"("Who":"root")") != std::string::npos);
  }

  std::string timeoutSeconds(unsigned seconds) const { return std::to_string(seconds * slowFactor()); }

  const User root{"root", 0, 0};
  User alice, bob, carol;
  TempDir dir{kTempDirPrefix};
  std::optional<Daemon> daemon;
  std::shared_ptr<wbem::Connection> admin;  // root's, to set up and to watch
  fs::path wbemctlCopy, providerCopy;       // of the programs, where the test users can run them

 private:
  bool available_ = false;  // root, setpriv and the accounts are there
  std::string whyNot_;      // when they are not
  fs::path nextLog(const User& user) { return dir / ("wbemctl-" + std::to_string(++runs_) + "-" + user.name + ".log"); }

  std::unique_ptr<Child> startCtl(const User& user, std::vector<std::string> args, const fs::path& log,
                                  const fs::path& input) {
    std::vector<std::string> argv = asUser(user);
    // The shell opens stdin as the user, then becomes wbemctl.
    if (!input.empty()) argv.insert(argv.end(), {"/bin/sh", "-c", R"(f=$1; shift; exec "$@" < "$f")", "sh", input});
    argv.push_back(wbemctlCopy.string());
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--socket", daemon->socket().string()});
    return std::make_unique<Child>(std::move(argv), log, true);
  }

  unsigned runs_ = 0;
};

}  // namespace

TEST_CASE_METHOD(RealUsersCase, "real users a: command lines run only for administrators, as themselves") {
  if (skipped()) return;
  const fs::path aliceId = directoryOf(alice) / "id.txt";
  const std::string alicePath = R"(CommandLineEventConsumer.Name="AliceCommand")";

  // Without a write right alice cannot even store one.
  checkFailed(putInstance(alice, idCommandJson("AliceCommand", aliceId)), kAccessDenied);
  checkFailed(ctl(root, {"get", "--namespace", "root/subscription", alicePath}), kNotFound);

  // With one she still cannot: only administrators may make a command-line consumer.
  grantPartialWrite({&alice});
  const CtlRun refused = putInstance(alice, idCommandJson("AliceCommand", aliceId));
  checkFailed(refused, kAccessDenied);
  CHECK(refused.err.find("only administrators may create a CommandLineEventConsumer") != std::string::npos);
  checkFailed(ctl(root, {"get", "--namespace", "root/subscription", alicePath}), kNotFound);

  // carol: filter, consumer and binding, all hers, from MOF.
  const fs::path carolId = directoryOf(carol) / "id.txt";
  const std::string consumer =
      R"(instance of CommandLineEventConsumer as $C { Name = "CarolCommand"; CommandLineTemplate = "/bin/sh -c \"id -u > )" +
      carolId.string() + "\\\"\"; };\n";
  checkSucceeded(
      ctl(carol, {"mof", file("carol.mof", subscriptionMof("CarolFilter", "SELECT * FROM UserEvent", consumer))}));
  const CtlRun stored =
      ctl(root, {"get", "--namespace", "root/subscription", R"(CommandLineEventConsumer.Name="CarolCommand")"});
  checkSucceeded(stored);
  CHECK(stored.out.find("CreatorSID = \"" + sid(carol) + "\";") != std::string::npos);
  const std::string listing = subscriptions();
  CHECK(subscriptionLine(listing, "CarolFilter").find("\tactive\t") != std::string::npos);

  checkSucceeded(ctl(root, {"raise", "UserEvent", "Who=root"}));
  INFO("wbemd:\n" << daemon->log());
  REQUIRE(waitUntil([&] { return readFile(carolId) == std::to_string(carol.uid) + "\n"; }, 20s));
  const auto status = fileStatus(carolId);
  REQUIRE(status);
  CHECK(status->st_uid == carol.uid);
  CHECK(status->st_gid == carol.gid);
  CHECK_FALSE(fs::exists(aliceId));
  checkNoSanitizerReports(dir);
}

TEST_CASE_METHOD(RealUsersCase, "real users b: alice may not bind a polling filter; carol may") {
  if (skipped()) return;
  grantPartialWrite({&alice});
  checkSucceeded(putInstance(alice, logConsumerJson("AliceLog", directoryOf(alice) / "poll.log")));
  const std::string before = subscriptions();

  // `subscriptions add` puts the filter, then the binding: the binding is what is refused, and
  // the filter is taken back.
  const std::string polling = "SELECT * FROM __InstanceCreationEvent WITHIN 1 WHERE TargetInstance ISA 'Gadget'";
  const CtlRun refused = ctl(alice, {"subscriptions", "add", "--filter", "AlicePoll", "--query", polling, "--consumer",
                                     R"(LogFileEventConsumer.Name="AliceLog")", "--event-namespace", "root/cimv2"});
  checkFailed(refused, kAccessDenied);
  CHECK(refused.err.find("only administrators may bind a filter that polls (WITHIN)") != std::string::npos);
  CHECK(subscriptions() == before);
  checkFailed(ctl(root, {"get", "--namespace", "root/subscription", R"(__EventFilter.Name="AlicePoll")"}), kNotFound);
  CHECK_FALSE(permanentConsumer("AliceLog").has_value());  // nothing polls for her

  // The same query from an administrator who is not root is stored and live (administrators count
  // as one creator, so carol's filter may feed root's consumer).
  REQUIRE(admin->openNamespace("root/subscription")
              ->compileMof(logConsumerMof("RootLog", dir / "root.log"), "root.mof")
              .second == 1);
  checkSucceeded(ctl(carol, {"subscriptions", "add", "--filter", "CarolPoll", "--query", polling, "--consumer",
                             R"(LogFileEventConsumer.Name="RootLog")", "--event-namespace", "root/cimv2"}));
  CHECK(subscriptionLine(subscriptions(), "CarolPoll").find("\tactive\t") != std::string::npos);
  checkNoSanitizerReports(dir);
}

TEST_CASE_METHOD(RealUsersCase, "real users c: alice's filter bound by bob to his consumer stays inactive") {
  if (skipped()) return;
  grantPartialWrite({&alice, &bob});
  const fs::path bobLog = directoryOf(bob) / "bob.log";
  checkSucceeded(putInstance(alice, jsonObject({{"__CLASS", "__EventFilter"},
                                                {"Name", "AliceFilter"},
                                                {"QueryLanguage", "WQL"},
                                                {"EventNamespace", "root\\cimv2"},
                                                {"Query", "SELECT * FROM UserEvent"}})));
  checkSucceeded(putInstance(bob, logConsumerJson("BobLog", bobLog)));
  checkSucceeded(putInstance(bob, jsonObject({{"__CLASS", "__FilterToConsumerBinding"},
                                              {"Filter", R"(__EventFilter.Name="AliceFilter")"},
                                              {"Consumer", R"(LogFileEventConsumer.Name="BobLog")"}})));
  // root's own subscription beside it shows when the event has been delivered.
  const fs::path controlLog = dir / "control.log";
  REQUIRE(admin
              ->compileMof(
                  subscriptionMof("RootFilter", "SELECT * FROM UserEvent", logConsumerMof("ControlLog", controlLog)),
                  "control.mof")
              .second == 3);

  const std::string listing = subscriptions();
  INFO(listing);
  CHECK(subscriptionLine(listing, "AliceFilter")
            .find("\tinactive (filter, consumer and binding have different creators (" + sid(alice) + ", " + sid(bob) +
                  ", " + sid(bob) + "))\t") != std::string::npos);
  CHECK(subscriptionLine(listing, "RootFilter").find("\tactive\t") != std::string::npos);

  checkSucceeded(ctl(root, {"raise", "UserEvent", "Who=root"}));
  REQUIRE(waitUntil([&] { return readFile(controlLog) == "who=root\n"; }, 20s));
  CHECK_FALSE(fs::exists(bobLog));
  CHECK_FALSE(permanentConsumer("BobLog").has_value());  // never subscribed
  checkNoSanitizerReports(dir);
}

TEST_CASE_METHOD(RealUsersCase, "real users d: alice's log file consumers write with her rights only") {
  if (skipped()) return;
  grantPartialWrite({&alice});
  const fs::path rootOnly = dir / "root-only";
  fs::create_directory(rootOnly);
  fs::permissions(rootOnly, fs::perms(0755));
  const fs::path denied = rootOnly / "alice.log";
  const fs::path own = directoryOf(alice) / "alice.log";

  for (const auto& [name, path] : {std::pair{"AliceDenied", denied}, std::pair{"AliceOwn", own}}) {
    checkSucceeded(putInstance(alice, logConsumerJson(name, path)));
    checkSucceeded(ctl(
        alice, {"subscriptions", "add", "--filter", "AliceFilter", "--query", "SELECT * FROM UserEvent", "--consumer",
                "LogFileEventConsumer.Name=\"" + std::string(name) + "\"", "--event-namespace", "root/cimv2"}));
  }
  checkSucceeded(ctl(root, {"raise", "UserEvent", "Who=root"}));

  INFO("wbemd:\n" << daemon->log());
  REQUIRE(waitUntil([&] { return readFile(own) == "who=root\n"; }, 20s));
  const auto status = fileStatus(own);
  REQUIRE(status);
  CHECK(status->st_uid == alice.uid);
  CHECK(status->st_gid == alice.gid);
  requireConsumerFailure("AliceDenied");
  CHECK_FALSE(fs::exists(denied));
  checkNoSanitizerReports(dir);
}

TEST_CASE_METHOD(RealUsersCase, "real users e: alice may not raise events; administrators may") {
  if (skipped()) return;
  auto subscriber = startCtl(bob, {"subscribe", "SELECT * FROM UserEvent", "--count", "2", "--timeout",
                                   timeoutSeconds(20), "--format", "json"});
  requireTemporarySubscriptions(bob, 1);

  checkFailed(ctl(alice, {"raise", "UserEvent", "Who=alice"}), kAccessDenied);
  checkSucceeded(ctl(carol, {"raise", "UserEvent", "Who=carol"}));
  checkSucceeded(ctl(root, {"raise", "UserEvent", "Who=root"}));

  // Events come in the order they were raised: had alice's gone through, it would be first.
  const int exitCode = subscriber->exitCode(30s);
  INFO(subscriber->describe());
  CHECK(exitCode == 0);
  const std::string printed = subscriber->output();
  const auto carolAt = printed.find(R"("Who":"carol")");
  CHECK(carolAt != std::string::npos);
  CHECK(printed.find(R"("Who":"root")") > carolAt);
  CHECK(printed.find("alice") == std::string::npos);
  checkNoSanitizerReports(dir);
}

TEST_CASE_METHOD(RealUsersCase, "real users f: alice may not register a decoupled provider; carol may") {
  if (skipped()) return;
  const auto bound = [&] {
    for (const wbem::ProviderStatistics& p : admin->statistics().providers)
      if (p.name == "E2EProvider") return p.bound;
    return false;
  };
  {
    auto refused = startProvider(dir, *daemon, {"--count", "1"}, "alice-provider.log", asUser(alice), providerCopy);
    const int exitCode = refused->exitCode(30s);
    INFO(refused->describe());
    CHECK(exitCode == 2);
    CHECK(refused->output().find("register failed 0x80041003 WBEM_E_ACCESS_DENIED") != std::string::npos);
  }
  CHECK_FALSE(bound());

  // The name stayed free: an administrator who is not root registers it.
  auto provider = startProvider(dir, *daemon, {"--count", "0", "--interval-ms", "50"}, "carol-provider.log",
                                asUser(carol), providerCopy);
  requireOutput(*provider, "registered", 30s);
  CHECK(bound());
  CHECK(provider->stop() == 0);
  checkNoSanitizerReports(dir);
}

TEST_CASE_METHOD(RealUsersCase, "real users g: a provider's sink or event security lets alice receive and not bob") {
  if (skipped()) return;
  std::string option;
  SECTION("the sink's descriptor (setSinkSecurity)") { option = "--sink-sddl"; }
  SECTION("each event's SECURITY_DESCRIPTOR, indicated subject to it") { option = "--event-sddl"; }
  // bob first: one event would end his wbemctl.
  auto bobSubscriber = startCtl(bob, {"subscribe", "SELECT * FROM E2EEvent", "--count", "1", "--timeout",
                                      timeoutSeconds(60), "--format", "json"});
  requireTemporarySubscriptions(bob, 1);
  auto aliceSubscriber = startCtl(alice, {"subscribe", "SELECT * FROM E2EEvent", "--count", "3", "--timeout",
                                          timeoutSeconds(20), "--format", "json"});
  requireTemporarySubscriptions(alice, 1);

  const std::string sddl = "D:(A;;0x40;;;" + sid(alice) + ")";  // WBEM_RIGHT_SUBSCRIBE
  auto provider = startProvider(dir, *daemon, {"--count", "0", "--interval-ms", "20", "--wait-active", option, sddl});
  requireOutput(*provider, "registered", 30s);

  {
    const int exitCode = aliceSubscriber->exitCode(30s);
    INFO(aliceSubscriber->describe() << "\n" << provider->describe());
    CHECK(exitCode == 0);
    CHECK(Child::count(aliceSubscriber->output(), R"("Source":"e2e")") == 3);
  }
  // bob was subscribed all along, and got none of them, nor of the events raised every 20 ms since.
  std::this_thread::sleep_for(wbemtest::scaled(500ms));
  INFO(bobSubscriber->describe());
  CHECK(bobSubscriber->running());
  CHECK(temporarySubscriptions(bob) == 1);
  bobSubscriber->stop();
  CHECK(bobSubscriber->output().empty());
  CHECK(provider->stop() == 0);
  checkNoSanitizerReports(dir);
}

TEST_CASE_METHOD(RealUsersCase, "real users h: alice at her subscription quota does not hold bob up") {
  if (skipped()) return;
  checkSucceeded(ctl(root, {"mof", file("quota.mof", R"(#pragma namespace("\\\\.\\root")
instance of __ArbitratorConfiguration { TemporarySubscriptionsPerUser = 2; };
)")}));
  const CtlRun config = ctl(root, {"get", "--namespace", "root", "__ArbitratorConfiguration=@"});
  checkSucceeded(config);
  CHECK(config.out.find("TemporarySubscriptionsPerUser = 2;") != std::string::npos);

  const std::vector<std::string> subscribe{"subscribe", "SELECT * FROM UserEvent", "--format", "json"};
  auto first = startCtl(alice, subscribe);
  auto second = startCtl(alice, subscribe);
  requireTemporarySubscriptions(alice, 2);
  std::vector<std::string> third = subscribe;
  third.insert(third.end(), {"--timeout", timeoutSeconds(10)});
  checkFailed(ctl(alice, third), kQuotaViolation);
  CHECK(temporarySubscriptions(alice) == 2);

  std::vector<std::string> bobs = subscribe;
  bobs.insert(bobs.end(), {"--count", "1", "--timeout", timeoutSeconds(20)});
  auto bobSubscriber = startCtl(bob, bobs);
  requireTemporarySubscriptions(bob, 1);
  // Each sees their own subscriptions in the statistics, not the other's.
  for (const auto& [user, count] : {std::pair{&alice, std::size_t{2}}, std::pair{&bob, std::size_t{1}}}) {
    const CtlRun stats = ctl(*user, {"stats", "--json"});
    checkSucceeded(stats);
    CHECK(Child::count(stats.out, R"("owner":)") == count);
    CHECK(Child::count(stats.out, R"("owner":)" + std::to_string(user->uid)) == count);
  }
  requireReceivesRootEvent(*bobSubscriber);
  checkNoSanitizerReports(dir);
}

TEST_CASE_METHOD(RealUsersCase, "real users i: namespace rights decide who writes; only administrators change them") {
  if (skipped()) return;
  const std::string gadget = R"({"__CLASS":"Gadget","Name":"alice's"})";
  const std::vector<std::string> putGadget{"put-instance", "--namespace", "root/cimv2"};
  const std::vector<std::string> getGadget{"get", "--namespace", "root/cimv2", R"(Gadget.Name="alice's")"};

  // By default she reads, but neither writes nor sees or changes the descriptor.
  checkFailed(ctl(alice, putGadget, gadget), kAccessDenied);
  checkFailed(ctl(root, getGadget), kNotFound);
  checkFailed(ctl(alice, {"security", "get", "root/cimv2"}), kAccessDenied);
  checkFailed(ctl(alice, {"security", "set", "root/cimv2", "O:BAG:BAD:(A;;0x600ff;;;WD)"}), kAccessDenied);
  const CtlRun inherited = ctl(root, {"security", "get", "root/cimv2"});
  checkSucceeded(inherited);
  CHECK(inherited.out.find("inherited yes") != std::string::npos);
  CHECK(inherited.out.find("allow WD Enable,MethodExecute,Subscribe") != std::string::npos);

  // Root gives her PartialWrite in root/cimv2: she may put static instances there, bob still not.
  const std::string granted = std::string(kDefaultSddl) + "(A;;0x8;;;" + sid(alice) + ")";
  const CtlRun set = ctl(root, {"security", "set", "root/cimv2", granted});
  checkSucceeded(set);
  CHECK(set.out.find("descriptor " + granted) != std::string::npos);
  CHECK(set.out.find("inherited no") != std::string::npos);
  checkSucceeded(ctl(alice, putGadget, gadget));
  checkSucceeded(ctl(root, getGadget));
  checkFailed(ctl(bob, {"delete", "--namespace", "root/cimv2", R"(Gadget.Name="alice's")"}), kAccessDenied);
  checkSucceeded(ctl(root, getGadget));
  // Classes need FullWrite, which she does not have.
  checkFailed(
      ctl(alice, {"mof", "--namespace", "root/cimv2", file("class.mof", "class AliceClass { [key] string K; };")}),
      kAccessDenied);
  checkFailed(ctl(root, {"get", "--namespace", "root/cimv2", "AliceClass"}), kNotFound);

  // Inheriting again takes the grant back.
  checkSucceeded(ctl(root, {"security", "inherit", "root/cimv2"}));
  checkFailed(ctl(alice, {"delete", "--namespace", "root/cimv2", R"(Gadget.Name="alice's")"}), kAccessDenied);
  checkSucceeded(ctl(root, getGadget));
  checkNoSanitizerReports(dir);
}

TEST_CASE_METHOD(RealUsersCase, "real users j: a filter's EventAccess takes alice's events and not bob's or carol's") {
  if (skipped()) return;
  grant("root/cimv2", {&alice, &bob}, "0x80");  // WBEM_RIGHT_PUBLISH
  const fs::path alicesOnly = dir / "alices.log";
  const fs::path everyones = dir / "everyones.log";
  REQUIRE(admin
              ->compileMof(subscriptionMof("AlicesOnly", "SELECT * FROM UserEvent",
                                           logConsumerMof("AlicesLog", alicesOnly), "D:(A;;0x80;;;" + sid(alice) + ")"),
                           "alices.mof")
              .second == 3);
  REQUIRE(admin
              ->compileMof(
                  subscriptionMof("Everyones", "SELECT * FROM UserEvent", logConsumerMof("EveryonesLog", everyones)),
                  "everyones.mof")
              .second == 3);

  for (const User* user : {&bob, &alice, &carol})
    checkSucceeded(ctl(*user, {"raise", "UserEvent", "Who=" + user->name}));
  INFO("wbemd:\n" << daemon->log());
  // Raised events keep their order: had bob's or carol's reached alice's filter, they would come
  // before her last one.
  checkSucceeded(ctl(alice, {"raise", "UserEvent", "Who=last"}));
  const std::string all = "who=" + bob.name + "\nwho=" + alice.name + "\nwho=" + carol.name + "\nwho=last\n";
  REQUIRE(waitUntil([&] { return readFile(everyones) == all; }, 20s));
  REQUIRE(waitUntil([&] { return readFile(alicesOnly).find("who=last\n") != std::string::npos; }, 20s));
  CHECK(readFile(alicesOnly) == "who=" + alice.name + "\nwho=last\n");
  checkNoSanitizerReports(dir);
}

TEST_CASE_METHOD(RealUsersCase, "real users k: alice's provider name stays hers across a restart; bob cannot take it") {
  if (skipped()) return;
  grant("root/cimv2", {&alice, &bob}, "0x98");  // PartialWrite, ProviderWrite and Publish: both may register
  const std::vector<std::string> getRegistration{"get", "--namespace", "root/cimv2",
                                                 R"(__Win32Provider.Name="E2EProvider")"};
  const auto registerAs = [&](const User& user, std::string_view log) {
    return startProvider(dir, *daemon, {"--count", "0", "--interval-ms", "50"}, log, asUser(user), providerCopy);
  };
  {
    auto provider = registerAs(alice, "alice-provider-1.log");
    requireOutput(*provider, "registered", 30s);
    CHECK(provider->stop() == 0);
  }
  const CtlRun claimed = ctl(root, getRegistration);
  checkSucceeded(claimed);
  CHECK(claimed.out.find("SecurityDescriptor = \"O:" + sid(alice) + "D:(A;;0x80;;;" + sid(alice) + ")\";") !=
        std::string::npos);

  REQUIRE(daemon->stop() == 0);
  daemon->start();

  {
    auto refused = registerAs(bob, "bob-provider.log");
    const int exitCode = refused->exitCode(30s);
    INFO(refused->describe());
    CHECK(exitCode == 2);
    CHECK(refused->output().find("register failed 0x80041003 WBEM_E_ACCESS_DENIED") != std::string::npos);
  }
  // Nor may he rewrite or delete the registration to take the name.
  const std::string takeover = jsonObject({{"__CLASS", "__Win32Provider"},
                                           {"Name", "E2EProvider"},
                                           {"HostingModel", "Decoupled:Com"},
                                           {"SecurityDescriptor", "D:(A;;0x80;;;" + sid(bob) + ")"}});
  checkFailed(ctl(bob, {"put-instance", "--namespace", "root/cimv2"}, takeover), kAccessDenied);
  checkFailed(ctl(bob, {"delete", "--namespace", "root/cimv2", R"(__Win32Provider.Name="E2EProvider")"}),
              kAccessDenied);
  CHECK(ctl(root, getRegistration).out == claimed.out);

  // alice still may, after the restart.
  auto provider = registerAs(alice, "alice-provider-2.log");
  requireOutput(*provider, "registered", 30s);
  CHECK(provider->stop() == 0);
  checkNoSanitizerReports(dir);
}

TEST_CASE_METHOD(RealUsersCase,
                 "real users l: Enable, MethodExecute and Subscribe each decide, namespace by namespace") {
  if (skipped()) return;
  // In root/cimv2 bob may only read; alice may read, call methods, subscribe and read the
  // descriptor; other users nothing. The root namespace keeps the default: everyone subscribes.
  checkSucceeded(
      ctl(root, {"security", "set", "root/cimv2",
                 "O:BAG:BAD:(A;;0x600ff;;;BA)(A;;0x1;;;" + sid(bob) + ")(A;;0x20043;;;" + sid(alice) + ")"}));
  const std::vector<std::string> query{"query", "--namespace", "root/cimv2", "SELECT * FROM Gadget"};
  checkSucceeded(ctl(alice, query));
  checkSucceeded(ctl(bob, query));
  const User nobody = lookupUser("nobody").value_or(User{"nobody", 65534, 65534});
  checkFailed(ctl(nobody, query), kAccessDenied);

  // Methods: __SystemSecurity.GetSD needs MethodExecute (and ReadSecurity).
  const std::vector<std::string> getSd{"call", "--namespace", "root/cimv2", "__SystemSecurity=@", "GetSD"};
  const CtlRun called = ctl(alice, getSd);
  checkSucceeded(called);
  CHECK(called.out.find("Inherited") != std::string::npos);
  checkFailed(ctl(bob, getSd), kAccessDenied);

  // Subscriptions: bob is refused in root/cimv2 but may subscribe in root; alice gets her event.
  checkFailed(ctl(bob, {"subscribe", "SELECT * FROM UserEvent", "--namespace", "root/cimv2", "--timeout", "5"}),
              kAccessDenied);
  const CtlRun elsewhere =
      ctl(bob, {"subscribe", "SELECT * FROM __NamespaceCreationEvent", "--namespace", "root", "--timeout", "1"});
  INFO(elsewhere.command << "\n" << elsewhere.err);
  CHECK(elsewhere.exitCode == 3);  // subscribed, and nothing came before the timeout
  auto subscriber = startCtl(alice, {"subscribe", "SELECT * FROM UserEvent", "--namespace", "root/cimv2", "--count",
                                     "1", "--timeout", timeoutSeconds(20), "--format", "json"});
  requireTemporarySubscriptions(alice, 1);
  requireReceivesRootEvent(*subscriber);
  checkNoSanitizerReports(dir);
}
