// `wbemctl subscriptions list|add|remove`: the permanent subscriptions of a namespace (root/subscription
// unless --namespace says otherwise): __EventFilter instances bound to consumers by __FilterToConsumerBinding.

#include <wbem/objectpath.hpp>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "daemon_options.hpp"

namespace wbemctl {
namespace {

struct SubscriptionsArguments {
  DaemonOptions daemon;
  std::string filter;
  std::string query;
  std::string consumer;
  std::string eventNamespace;
};

wbem::ObjectPath filterPath(const std::string& name) {
  return wbem::ObjectPath::forInstance("__EventFilter", {{"Name", wbem::Value(name)}});
}

// The binding's path from its two keys. The consumer path goes through ObjectPath so that it is spelt as the
// daemon stores references (keys sorted, quoting canonical).
wbem::ObjectPath bindingPath(const std::string& filter, const std::string& consumer) {
  return wbem::ObjectPath::forInstance(
      "__FilterToConsumerBinding", {{"Consumer", wbem::Value::reference(wbem::ObjectPath::parse(consumer).toString())},
                                    {"Filter", wbem::Value::reference(filterPath(filter).toString())}});
}

void runList(const SubscriptionsArguments& arguments) {
  const auto connection = connectDaemon(arguments.daemon);
  for (const wbem::SubscriptionInfo& info : connection->listSubscriptions()) {
    std::cout << info.filter << '\t' << info.consumer << '\t'
              << (info.active ? std::string("active") : "inactive (" + info.reason + ")") << '\t' << info.query << '\n';
  }
}

void runAdd(const SubscriptionsArguments& arguments) {
  const auto connection = connectDaemon(arguments.daemon);
  wbem::ClassObject filter = connection->getObject("__EventFilter")->spawnInstance();
  filter.put("Name", wbem::Value(arguments.filter));
  filter.put("QueryLanguage", wbem::Value("WQL"));
  filter.put("Query", wbem::Value(arguments.query));
  filter.put("EventNamespace",
             wbem::Value(wbem::normalizeNamespace(arguments.eventNamespace.empty() ? arguments.daemon.namespaceName
                                                                                   : arguments.eventNamespace)));
  // All or nothing: should the binding be refused, the filter goes back to what it was.
  const std::string filterText = filterPath(arguments.filter).toString();
  wbem::ObjectPtr previousFilter;
  try {
    previousFilter = connection->getObject(filterText);
  } catch (const wbem::Error& e) {
    if (e.status() != wbem::WBEM_E_NOT_FOUND) throw;
  }
  const wbem::ObjectPath filterStored = connection->putInstance(filter);

  wbem::ClassObject binding = connection->getObject("__FilterToConsumerBinding")->spawnInstance();
  const wbem::ObjectPath consumer = wbem::ObjectPath::parse(arguments.consumer);
  binding.put("Filter", wbem::Value::reference(filterText));
  binding.put("Consumer", wbem::Value::reference(consumer.toString()));
  wbem::ObjectPath bindingStored;
  try {
    bindingStored = connection->putInstance(binding);
  } catch (const wbem::Error&) {
    try {
      if (previousFilter)
        connection->putInstance(*previousFilter);
      else
        connection->deleteInstance(filterText);
    } catch (const wbem::Error&) {
      // The refusal is what the user needs to see; a failed undo leaves the filter, as before.
    }
    throw;
  }
  std::cout << filterStored.toString() << '\n' << bindingStored.toString() << '\n';
}

void runRemove(const SubscriptionsArguments& arguments) {
  const auto connection = connectDaemon(arguments.daemon);
  connection->deleteInstance(bindingPath(arguments.filter, arguments.consumer).toString());
}

}  // namespace

void addSubscriptionsCommand(CLI::App& app) {
  auto arguments = std::make_shared<SubscriptionsArguments>();
  CLI::App* command = app.add_subcommand("subscriptions", "List, add or remove the daemon's permanent subscriptions");
  command->require_subcommand(1);
  command->footer("Permanent subscription objects live in root/subscription unless --namespace names another.");

  CLI::App* list = command->add_subcommand("list", "List the permanent subscriptions, active or not");
  addDaemonOptions(*list, arguments->daemon, kSubscriptionNamespace);
  list->footer(
      "One line per binding, tab-separated: filter path, consumer path, 'active' or 'inactive (reason)', query.");
  list->callback([arguments] { runList(*arguments); });

  CLI::App* add = command->add_subcommand("add", "Add an __EventFilter and bind it to an existing consumer");
  add->add_option("--filter", arguments->filter, "The filter's Name")->type_name("NAME")->required();
  add->add_option("--query", arguments->query, "The filter's WQL event query")->type_name("WQL")->required();
  add->add_option("--consumer", arguments->consumer, "The consumer's path (LogFileEventConsumer.Name=\"log\")")
      ->type_name("PATH")
      ->required();
  add->add_option("--event-namespace", arguments->eventNamespace,
                  "Where the events come from (default: the --namespace)")
      ->type_name("NS");
  addDaemonOptions(*add, arguments->daemon, kSubscriptionNamespace);
  add->footer(
      "Puts the __EventFilter (QueryLanguage \"WQL\"; an existing one of that Name is updated) and a\n"
      "__FilterToConsumerBinding of it to the consumer, then prints both paths.");
  add->callback([arguments] { runAdd(*arguments); });

  CLI::App* remove = command->add_subcommand("remove", "Remove the binding of a filter to a consumer");
  remove->add_option("--filter", arguments->filter, "The filter's Name")->type_name("NAME")->required();
  remove->add_option("--consumer", arguments->consumer, "The consumer's path")->type_name("PATH")->required();
  addDaemonOptions(*remove, arguments->daemon, kSubscriptionNamespace);
  remove->footer("Deletes the __FilterToConsumerBinding only: the filter and the consumer stay.");
  remove->callback([arguments] { runRemove(*arguments); });
}

}  // namespace wbemctl
