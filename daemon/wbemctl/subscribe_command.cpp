// `wbemctl subscribe QUERY [--count N] [--timeout S]`: a temporary subscription in the daemon whose events are
// printed as they come, until N of them, the timeout (exit 3) or Ctrl-C.

#include <wbem/services.hpp>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "daemon_options.hpp"

namespace wbemctl {
namespace {

struct SubscribeArguments {
  DaemonOptions daemon;
  OutputFormat format = OutputFormat::Mof;
  std::string query;
  std::uint64_t count = 0;  // 0: no limit
  std::optional<double> timeoutSeconds;
};

// The exit status when the timeout passes before --count events came.
constexpr int kTimedOutExit = 3;
// How long one wait for events lasts at most, so that Ctrl-C is noticed promptly.
constexpr std::chrono::milliseconds kPollInterval{200};

volatile std::sig_atomic_t interrupted = 0;

extern "C" void onInterrupt(int) { interrupted = 1; }

// Routes SIGINT and SIGTERM to `interrupted` while it lives, so that the subscription is cancelled and the
// connection closed in order instead of the process dying mid-frame.
class InterruptGuard {
 public:
  InterruptGuard() {
    struct sigaction action {};
    action.sa_handler = onInterrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &oldInt_);
    sigaction(SIGTERM, &action, &oldTerm_);
  }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  ~InterruptGuard() {
    sigaction(SIGINT, &oldInt_, nullptr);
    sigaction(SIGTERM, &oldTerm_, nullptr);
  }

 private:
  struct sigaction oldInt_ {};
  struct sigaction oldTerm_ {};
};

void runSubscribe(const SubscribeArguments& arguments) {
  using Clock = std::chrono::steady_clock;
  const InterruptGuard guard;
  const auto connection = connectDaemon(arguments.daemon);
  const auto events = connection->execNotificationQuery(
      "WQL", arguments.query, wbem::WBEM_FLAG_RETURN_IMMEDIATELY | wbem::WBEM_FLAG_FORWARD_ONLY);
  std::optional<Clock::time_point> deadline;
  if (arguments.timeoutSeconds) {
    deadline = Clock::now() +
               std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(*arguments.timeoutSeconds));
  }
  std::uint64_t received = 0;
  std::vector<wbem::ObjectPtr> batch;
  while (interrupted == 0 && (arguments.count == 0 || received < arguments.count)) {
    auto wait = kPollInterval;
    if (deadline) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
      if (left <= std::chrono::milliseconds::zero()) {
        std::cerr << "wbemctl: timed out after " << received << (received == 1 ? " event" : " events") << '\n';
        throw CLI::RuntimeError(kTimedOutExit);
      }
      wait = std::min(wait, left);
    }
    batch.clear();
    const wbem::Status status = events->next(static_cast<std::uint32_t>(wait.count()), 1, batch);
    for (const wbem::ObjectPtr& event : batch) {
      printObject(std::cout, *event, arguments.format);
      ++received;
    }
    if (wbem::isError(status)) throw wbem::Error(status, "the subscription ended");
  }
}

}  // namespace

void addSubscribeCommand(CLI::App& app) {
  auto arguments = std::make_shared<SubscribeArguments>();
  CLI::App* command = app.add_subcommand("subscribe", "Subscribe to events in the daemon and print them as they come");
  command->add_option("QUERY", arguments->query, "The WQL event query (SELECT * FROM __InstanceCreationEvent ...)")
      ->type_name("")
      ->required();
  command->add_option("--count", arguments->count, "Exit 0 after this many events (default: no limit)")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
  command
      ->add_option("--timeout", arguments->timeoutSeconds,
                   "Exit 3 when this many seconds pass before --count events (default: wait for ever)")
      ->type_name("S")
      ->check(CLI::NonNegativeNumber);
  addDaemonOptions(*command, arguments->daemon);
  addFormatOption(*command, arguments->format);
  command->footer(
      "The subscription is temporary: it ends with wbemctl. Each event is printed and flushed as it arrives.\n"
      "Exits 0 after --count events or on Ctrl-C, 3 when --timeout passes first, 1 when the daemon refuses\n"
      "the query or the subscription ends.\n"
      "Example:\n"
      "  wbemctl subscribe --count 1 \"SELECT * FROM __InstanceCreationEvent WITHIN 1 WHERE TargetInstance ISA "
      "'Linux_Process'\"");
  command->callback([arguments] { runSubscribe(*arguments); });
}

}  // namespace wbemctl
