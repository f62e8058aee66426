// wbemctl: the command-line tool of wbem-events. main builds the CLI, lets every subcommand register
// itself (commands.hpp) and turns failures into exit codes.

#include <wbem/status.hpp>

#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "commands.hpp"
#include "output.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Inspect and control the wbem-events WMI event subsystem.", "wbemctl"};
  app.set_version_flag("--version", "wbemctl " WBEM_VERSION, "Print the version of wbemctl and exit");
  app.require_subcommand(1);
  app.footer("Run 'wbemctl COMMAND --help' for the options of one command.");

  wbemctl::addStatusCommand(app);
  wbemctl::addMofCommand(app);
  wbemctl::addWqlCommand(app);
  wbemctl::addSubscribeCommand(app);
  wbemctl::addQueryCommand(app);
  wbemctl::addGetCommand(app);
  wbemctl::addPutInstanceCommand(app);
  wbemctl::addDeleteCommand(app);
  wbemctl::addCallCommand(app);
  wbemctl::addRaiseCommand(app);
  wbemctl::addSubscriptionsCommand(app);
  wbemctl::addProvidersCommand(app);
  wbemctl::addStatsCommand(app);
  wbemctl::addSecurityCommand(app);
  wbemctl::addBackupCommands(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const wbemctl::CommandError& e) {
    std::cerr << "wbemctl: " << e.what() << '\n';
    return 1;
  } catch (const wbem::Error& e) {
    std::cerr << "wbemctl: " << wbemctl::errorLine(e) << '\n';
    return 1;
  } catch (const std::exception& e) {
    // Anything else (a file system error, memory) still ends with a message rather than std::terminate.
    std::cerr << "wbemctl: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
