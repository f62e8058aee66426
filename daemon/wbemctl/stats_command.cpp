// `wbemctl stats`: the daemon's counters, one "name value" line each, sorted by name.

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "daemon_options.hpp"

namespace wbemctl {

void addStatsCommand(CLI::App& app) {
  auto options = std::make_shared<DaemonOptions>();
  CLI::App* command = app.add_subcommand("stats", "Print the daemon's counters (events in and out, drops, clients)");
  addDaemonOptions(*command, *options);
  command->callback([options] {
    // statistics() is a std::map: the lines come sorted by name.
    for (const auto& [name, value] : connectDaemon(*options)->statistics()) std::cout << name << ' ' << value << '\n';
  });
}

}  // namespace wbemctl
