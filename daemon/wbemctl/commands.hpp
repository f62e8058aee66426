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

}  // namespace wbemctl
