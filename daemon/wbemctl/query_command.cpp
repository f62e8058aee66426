// `wbemctl query QUERY`: a WQL data query run by the daemon (IWbemServices::ExecQuery); prints the results.

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "daemon_options.hpp"

namespace wbemctl {
namespace {

struct QueryArguments {
  DaemonOptions daemon;
  OutputFormat format = OutputFormat::Mof;
  std::string query;
};

}  // namespace

void addQueryCommand(CLI::App& app) {
  auto arguments = std::make_shared<QueryArguments>();
  CLI::App* command = app.add_subcommand("query", "Run a WQL data query in the daemon and print the objects it finds");
  command->add_option("QUERY", arguments->query, "The WQL data query (SELECT Name FROM Linux_Process ...)")
      ->type_name("")
      ->required();
  addDaemonOptions(*command, arguments->daemon);
  addFormatOption(*command, arguments->format);
  command->footer("Instances of dynamic classes come from their instance provider. No result prints nothing.");
  command->callback([arguments] {
    const auto connection = connectDaemon(arguments->daemon);
    for (const wbem::ObjectPtr& object : connection->execQuery("WQL", arguments->query))
      printObject(std::cout, *object, arguments->format);
  });
}

}  // namespace wbemctl
