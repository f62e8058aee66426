// `wbemctl providers list`: the providers registered in a namespace (__Win32Provider) and the events each
// event provider says it raises (__EventProviderRegistration).

#include <wbem/objectpath.hpp>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "daemon_options.hpp"

namespace wbemctl {
namespace {

struct ProvidersArguments {
  DaemonOptions daemon;
};

// Property `name` as text, or "" when NULL.
std::string textOf(const wbem::ClassObject& object, const char* name) {
  const wbem::Value value = object.get(name);
  return value.isNull() ? std::string() : value.toText();
}

// A registration's provider reference shortened to the provider's Name when it has one.
std::string providerName(const wbem::ClassObject& registration) {
  const std::string path = textOf(registration, "provider");
  try {
    const wbem::ObjectPath parsed = wbem::ObjectPath::parse(path);
    if (const wbem::Value* name = parsed.key("Name")) return name->toText();
  } catch (const wbem::Error&) {
    // Not a path wbem can parse: show it as it is.
  }
  return path;
}

void runList(const ProvidersArguments& arguments) {
  const auto connection = connectDaemon(arguments.daemon);
  for (const wbem::ObjectPtr& provider : connection->execQuery("WQL", "SELECT * FROM __Win32Provider")) {
    std::cout << "provider " << textOf(*provider, "Name");
    for (const char* property : {"HostingModel", "Module"}) {
      const std::string value = textOf(*provider, property);
      if (!value.empty()) std::cout << ' ' << property << '=' << value;
    }
    std::cout << '\n';
  }
  for (const wbem::ObjectPtr& registration :
       connection->execQuery("WQL", "SELECT * FROM __EventProviderRegistration")) {
    std::cout << "events " << providerName(*registration) << ':';
    const wbem::Value queries = registration->get("EventQueryList");
    if (!queries.isNull()) {
      const char* separator = " ";
      for (const wbem::Value& query : queries.asArray()) {
        std::cout << separator << (query.isNull() ? std::string("NULL") : query.asString());
        separator = "; ";
      }
    }
    std::cout << '\n';
  }
}

}  // namespace

void addProvidersCommand(CLI::App& app) {
  auto arguments = std::make_shared<ProvidersArguments>();
  CLI::App* command = app.add_subcommand("providers", "List the providers registered in the daemon");
  command->require_subcommand(1);
  CLI::App* list = command->add_subcommand("list", "List the providers of a namespace and the events they raise");
  addDaemonOptions(*list, arguments->daemon);
  list->footer(
      "One line per provider ('provider NAME [HostingModel=...] [Module=...]'), then one per event provider\n"
      "registration ('events NAME: QUERY; QUERY...').");
  list->callback([arguments] { runList(*arguments); });
}

}  // namespace wbemctl
