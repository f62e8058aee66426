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

/// Adds `wbemctl mof [--check] FILE...`: compiles MOF files (wbem::runMofCommand) and exits with its status.
/// Not thread-safe: call once while building the CLI.
void addMofCommand(CLI::App& app);

/// Adds `wbemctl wql check QUERY [--schema FILE...]` and `wbemctl wql eval --schema FILE... QUERY`: parse and
/// validate a WQL query, or run a data query over MOF instances and print JSON lines.
/// Not thread-safe: call once while building the CLI.
void addWqlCommand(CLI::App& app);

}  // namespace wbemctl
