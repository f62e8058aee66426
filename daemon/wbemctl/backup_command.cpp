// `wbemctl backup FILE` and `wbemctl restore FILE`: a copy of the daemon's repository written to, or read back
// from, a file on the daemon's host (administrators only).

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "commands.hpp"
#include "daemon_options.hpp"

namespace wbemctl {
namespace {

struct BackupArguments {
  DaemonOptions daemon;
  std::string file;
};

// The daemon runs in another directory: a relative FILE means one relative to where wbemctl runs.
std::filesystem::path absoluteFile(const std::string& file) { return std::filesystem::absolute(file); }

}  // namespace

void addBackupCommands(CLI::App& app) {
  auto arguments = std::make_shared<BackupArguments>();
  CLI::App* backup = app.add_subcommand("backup", "Write a consistent copy of the daemon's repository to a file");
  backup->add_option("FILE", arguments->file, "Where the daemon writes the copy (on its host)")
      ->type_name("")
      ->required();
  addDaemonOptions(*backup, arguments->daemon);
  backup->callback([arguments] { connectDaemon(arguments->daemon)->backup(absoluteFile(arguments->file)); });

  CLI::App* restore = app.add_subcommand("restore", "Replace the daemon's repository by a backup file");
  restore->add_option("FILE", arguments->file, "A file 'wbemctl backup' wrote (on the daemon's host)")
      ->type_name("")
      ->required();
  addDaemonOptions(*restore, arguments->daemon);
  restore->callback([arguments] { connectDaemon(arguments->daemon)->restore(absoluteFile(arguments->file)); });
}

}  // namespace wbemctl
