// `wbemctl delete PATH`: deletes a class (with its subclasses and instances) or an instance in the daemon.

#include <wbem/objectpath.hpp>

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "commands.hpp"
#include "daemon_options.hpp"

namespace wbemctl {
namespace {

struct DeleteArguments {
  DaemonOptions daemon;
  std::string path;
};

}  // namespace

void addDeleteCommand(CLI::App& app) {
  auto arguments = std::make_shared<DeleteArguments>();
  CLI::App* command = app.add_subcommand("delete", "Delete a class or an instance of the daemon");
  command
      ->add_option("PATH", arguments->path,
                   "A class name (deletes the class, its subclasses and their instances), or an instance path")
      ->type_name("")
      ->required();
  addDaemonOptions(*command, arguments->daemon);
  command->callback([arguments] {
    // Parsed first so that a malformed path fails before connecting, and keys decide what it names.
    const wbem::ObjectPath path = wbem::ObjectPath::parse(arguments->path);
    const auto connection = connectDaemon(arguments->daemon);
    if (path.isClass()) {
      // A class path may name its namespace (root/x:Class); deleteClass takes a bare name.
      const auto target = path.namespacePath().empty() ? connection : connection->openNamespace(path.namespacePath());
      target->deleteClass(path.className());
    } else {
      connection->deleteInstance(arguments->path);
    }
  });
}

}  // namespace wbemctl
