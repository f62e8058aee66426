// `wbemctl put-instance [--mof FILE]`: creates or updates an instance in the daemon, given as a JSON object
// on stdin (typed by its class, fetched from the daemon), or as the instances of a MOF file.

#include <wbem/status.hpp>

#include <CLI/CLI.hpp>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include "commands.hpp"
#include "daemon_options.hpp"
#include "mof_file.hpp"
#include "value_input.hpp"

namespace wbemctl {
namespace {

struct PutInstanceArguments {
  DaemonOptions daemon;
  std::string mofFile;
};

Json readJsonObject(std::istream& in) {
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  try {
    return Json::parse(text);
  } catch (const Json::exception& error) {
    throw wbem::Error(wbem::WBEM_E_INVALID_PARAMETER, std::string("stdin is not one JSON object: ") + error.what());
  }
}

void runPutInstance(const PutInstanceArguments& arguments) {
  if (!arguments.mofFile.empty()) {
    compileMofFile(*connectDaemon(arguments.daemon), arguments.mofFile);
    return;
  }
  const Json json = readJsonObject(std::cin);
  const auto connection = connectDaemon(arguments.daemon);
  const auto lookup = [&connection](const std::string& name) {
    const wbem::ObjectPtr cls = connection->getObject(name);
    if (!cls->isClass()) throw wbem::Error(wbem::WBEM_E_INVALID_CLASS, "'" + name + "' names an instance, not a class");
    return *cls;
  };
  std::cout << connection->putInstance(instanceFromJson(json, lookup)).toString() << '\n';
}

}  // namespace

void addPutInstanceCommand(CLI::App& app) {
  auto arguments = std::make_shared<PutInstanceArguments>();
  CLI::App* command =
      app.add_subcommand("put-instance", "Create or update an instance in the daemon from JSON on stdin or a MOF file");
  command->add_option("--mof", arguments->mofFile, "Compile this MOF file's instances (and classes) instead")
      ->type_name("FILE");
  addDaemonOptions(*command, arguments->daemon);
  command->footer(
      "stdin holds one JSON object, as 'wbemctl get --format json' prints it: \"__CLASS\" and properties. Each\n"
      "value is converted to the property's declared type: integers (exact to 64 bits, or as strings), reals,\n"
      "booleans, datetimes and references as strings, arrays as arrays, embedded objects as objects, null.\n"
      "Prints the instance's path. Example:\n"
      "  echo '{\"__CLASS\": \"Inv_Item\", \"Id\": 7, \"Name\": \"disk\"}' | wbemctl put-instance --namespace "
      "root/inv");
  command->callback([arguments] { runPutInstance(*arguments); });
}

}  // namespace wbemctl
