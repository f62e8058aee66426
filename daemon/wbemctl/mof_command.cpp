// `wbemctl mof [--check] FILE...`: compiles MOF files as mofcomp does (wbem::runMofCommand), so the CLI and
// the library report the same summaries and diagnostics.

#include <wbem/mof.hpp>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"

namespace wbemctl {
namespace {

// What the callback needs; owned by it, which the App keeps as long as the options that write here.
struct MofArguments {
  std::vector<std::string> files;
  bool checkOnly = false;
};

}  // namespace

void addMofCommand(CLI::App& app) {
  auto arguments = std::make_shared<MofArguments>();
  CLI::App* command = app.add_subcommand("mof", "Compile MOF files (mofcomp): check them, or report what they declare");
  command->add_flag("--check", arguments->checkOnly, "Parse and check only, as mofcomp -check");
  command->add_option("FILE", arguments->files, "MOF files, compiled in order: later files see earlier files' classes")
      ->type_name("")
      ->required();
  command->footer(
      "Each file is one unit: it compiles completely or not at all. Prints one summary line per file; every\n"
      "error goes to stderr as 'file:line:column: message (WBEM_E_NAME 0x8004xxxx)'. Exits 1 when a file fails.\n"
      "The namespaces exist only for the run (nothing is stored).");
  command->callback([arguments] {
    const int rc = wbem::runMofCommand(arguments->files, arguments->checkOnly, std::cout, std::cerr);
    // RuntimeError carries an exit status without CLI11 printing anything: the diagnostics are out already.
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace wbemctl
