// wbemctl: the command-line tool of wbem-events. main builds the CLI, lets every subcommand register
// itself (commands.hpp) and turns failures into exit codes.

#include <CLI/CLI.hpp>
#include <iostream>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Inspect and control the wbem-events WMI event subsystem.", "wbemctl"};
  app.set_version_flag("--version", "wbemctl " WBEM_VERSION, "Print the version of wbemctl and exit");
  app.require_subcommand(1);
  app.footer("Run 'wbemctl COMMAND --help' for the options of one command.");

  wbemctl::addStatusCommand(app);
  wbemctl::addMofCommand(app);
  wbemctl::addWqlCommand(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const wbemctl::CommandError& e) {
    std::cerr << "wbemctl: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
