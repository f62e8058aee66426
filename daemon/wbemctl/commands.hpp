#pragma once
// The subcommands of wbemctl. Each lives in its own <name>_command.cpp and adds itself to the CLI through
// one registration function declared here; main.cpp calls them all.

#include <stdexcept>

namespace CLI {
class App;
}  // namespace CLI

namespace wbemctl {

/// A subcommand that cannot do what was asked throws this: main prints "wbemctl: <what()>" on stderr and
/// exits with status 1. Usage errors are CLI11's and keep CLI11's exit codes.
class CommandError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Adds `wbemctl status CODE`: prints the WMI name and meaning of a status code.
/// Not thread-safe: call once while building the CLI.
void addStatusCommand(CLI::App& app);

/// Adds `wbemctl mof [--check] FILE...`: compiles MOF files into the daemon, or with --check checks them
/// without one (wbem::runMofCommand), and exits 1 when a file fails.
/// Not thread-safe: call once while building the CLI.
void addMofCommand(CLI::App& app);

/// Adds `wbemctl wql check QUERY [--schema FILE...]` and `wbemctl wql eval --schema FILE... QUERY`: parse and
/// validate a WQL query, or run a data query over MOF instances and print JSON lines.
/// Not thread-safe: call once while building the CLI.
void addWqlCommand(CLI::App& app);

// The commands below talk to the daemon (--socket, --namespace; daemon_options.hpp). A wbem::Error they throw
// reaches main, which prints it with errorLine() and exits 1. Each is not thread-safe: call once while
// building the CLI.

/// Adds `wbemctl subscribe QUERY [--count N] [--timeout S]`: prints events as they come; exit 3 on timeout.
void addSubscribeCommand(CLI::App& app);

/// Adds `wbemctl query QUERY`: runs a WQL data query and prints the objects.
void addQueryCommand(CLI::App& app);

/// Adds `wbemctl get PATH`: prints a class or instance.
void addGetCommand(CLI::App& app);

/// Adds `wbemctl put-instance [--mof FILE]`: creates or updates an instance from JSON on stdin, or compiles
/// a MOF file's instances.
void addPutInstanceCommand(CLI::App& app);

/// Adds `wbemctl delete PATH`: deletes a class or an instance.
void addDeleteCommand(CLI::App& app);

/// Adds `wbemctl call PATH METHOD name=value...`: runs a method and prints its out-parameters.
void addCallCommand(CLI::App& app);

/// Adds `wbemctl raise CLASS name=value...`: raises an extrinsic event.
void addRaiseCommand(CLI::App& app);

/// Adds `wbemctl subscriptions list|add|remove`: the permanent subscriptions (root/subscription by default).
void addSubscriptionsCommand(CLI::App& app);

/// Adds `wbemctl providers list`: the registered providers and the events they raise.
void addProvidersCommand(CLI::App& app);

/// Adds `wbemctl stats`: the daemon's counters as sorted "name value" lines.
void addStatsCommand(CLI::App& app);

/// Adds `wbemctl security get|set|inherit NAMESPACE`: a namespace's security descriptor (__SystemSecurity).
void addSecurityCommand(CLI::App& app);

/// Adds `wbemctl backup FILE` and `wbemctl restore FILE`: the daemon's repository to and from a file.
void addBackupCommands(CLI::App& app);

}  // namespace wbemctl
