// `wbemctl raise CLASS name=value...`: raises one extrinsic event in the daemon, as its own provider would.

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "daemon_options.hpp"
#include "value_input.hpp"

namespace wbemctl {
namespace {

struct RaiseArguments {
  DaemonOptions daemon;
  std::string className;
  std::vector<std::string> properties;
};

void runRaise(const RaiseArguments& arguments) {
  const auto connection = connectDaemon(arguments.daemon);
  const wbem::ObjectPtr cls = connection->getObject(arguments.className);
  if (!cls->isClass()) {
    throw wbem::Error(wbem::WBEM_E_INVALID_CLASS, "'" + arguments.className + "' names an instance, not a class");
  }
  wbem::ClassObject event = cls->spawnInstance();
  putAssignments(event, arguments.properties);
  connection->raise({&event, 1});
}

}  // namespace

void addRaiseCommand(CLI::App& app) {
  auto arguments = std::make_shared<RaiseArguments>();
  CLI::App* command = app.add_subcommand("raise", "Raise an extrinsic event in the daemon (administrators only)");
  command->add_option("CLASS", arguments->className, "The event class, derived from __ExtrinsicEvent")
      ->type_name("")
      ->required();
  command->add_option("PROPERTY", arguments->properties, "Property values as name=value, typed by the class")
      ->type_name("");
  addDaemonOptions(*command, arguments->daemon);
  command->footer(
      "Values take the property's declared type: true/false, integers (decimal or 0x hex), reals, DMTF\n"
      "datetimes, object paths for references, text for strings; arrays as comma-separated lists.\n"
      "Example:\n"
      "  wbemctl raise --namespace root/demo DiskFullEvent Drive=C: FreeBytes=1024 "
      "Time=20240101120000.000000+000");
  command->callback([arguments] { runRaise(*arguments); });
}

}  // namespace wbemctl
