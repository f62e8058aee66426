// `wbemctl stats`: the daemon's counters. As text: the totals, one "name value" line each sorted by
// name; then one "provider" line per event provider and one "consumer" line per subscription, with
// key=value fields (the query last, as it has spaces). With --json: one JSON object.

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "daemon_options.hpp"

namespace wbemctl {
namespace {

struct StatsArguments {
  DaemonOptions daemon;
  bool json = false;
};

void printText(const wbem::DaemonStatistics& stats) {
  // counters is a std::map: the lines come sorted by name.
  for (const auto& [name, value] : stats.counters) std::cout << name << ' ' << value << '\n';
  for (const wbem::ProviderStatistics& p : stats.providers)
    std::cout << "provider " << p.namespaceName << ' ' << p.name << " bound=" << std::boolalpha << p.bound
              << " filters=" << p.filters << " indicated=" << p.indicated << " rejectedBusy=" << p.rejectedBusy << '\n';
  for (const wbem::ConsumerStatistics& c : stats.consumers)
    std::cout << "consumer " << c.id << ' ' << c.namespaceName << " delivered=" << c.delivered
              << " dropped=" << c.dropped << " failures=" << c.failures << " queued=" << c.queuedEvents
              << " queuedBytes=" << c.queuedBytes << " owner=" << c.ownerUid << " permanent=" << std::boolalpha
              << c.permanent << " consumer=" << c.consumer << " query=" << c.query << '\n';
}

Json toJson(const wbem::DaemonStatistics& stats) {
  Json json{{"counters", Json::object()}, {"providers", Json::array()}, {"consumers", Json::array()}};
  for (const auto& [name, value] : stats.counters) json["counters"][name] = value;
  for (const wbem::ProviderStatistics& p : stats.providers)
    json["providers"].push_back({{"namespace", p.namespaceName},
                                 {"name", p.name},
                                 {"bound", p.bound},
                                 {"filters", p.filters},
                                 {"indicated", p.indicated},
                                 {"rejectedBusy", p.rejectedBusy}});
  for (const wbem::ConsumerStatistics& c : stats.consumers)
    json["consumers"].push_back({{"id", c.id},
                                 {"namespace", c.namespaceName},
                                 {"query", c.query},
                                 {"consumer", c.consumer},
                                 {"owner", c.ownerUid},
                                 {"permanent", c.permanent},
                                 {"delivered", c.delivered},
                                 {"dropped", c.dropped},
                                 {"failures", c.failures},
                                 {"queued", c.queuedEvents},
                                 {"queuedBytes", c.queuedBytes}});
  return json;
}

}  // namespace

void addStatsCommand(CLI::App& app) {
  auto arguments = std::make_shared<StatsArguments>();
  CLI::App* command = app.add_subcommand(
      "stats", "Print the daemon's counters: totals, per event provider and per subscription's consumer");
  addDaemonOptions(*command, arguments->daemon);
  command->add_flag("--json", arguments->json, "One JSON object instead of text lines");
  command->callback([arguments] {
    const wbem::DaemonStatistics stats = connectDaemon(arguments->daemon)->statistics();
    if (arguments->json)
      std::cout << jsonLine(toJson(stats)) << '\n';
    else
      printText(stats);
  });
}

}  // namespace wbemctl
