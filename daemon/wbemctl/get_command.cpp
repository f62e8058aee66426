// `wbemctl get PATH`: one class or instance from the daemon (IWbemServices::GetObject).

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "daemon_options.hpp"

namespace wbemctl {
namespace {

struct GetArguments {
  DaemonOptions daemon;
  OutputFormat format = OutputFormat::Mof;
  std::string path;
};

}  // namespace

void addGetCommand(CLI::App& app) {
  auto arguments = std::make_shared<GetArguments>();
  CLI::App* command = app.add_subcommand("get", "Print a class or an instance of the daemon");
  command->add_option("PATH", arguments->path, "A class name, or an instance path (Class.Key=\"value\", Class=@)")
      ->type_name("")
      ->required();
  addDaemonOptions(*command, arguments->daemon);
  addFormatOption(*command, arguments->format);
  command->callback([arguments] {
    const auto connection = connectDaemon(arguments->daemon);
    printObject(std::cout, *connection->getObject(arguments->path), arguments->format);
  });
}

}  // namespace wbemctl
