// `wbemctl mof [--check] FILE...`: compiles MOF files into the daemon, or with --check only checks them here,
// without a daemon, as mofcomp -check does (wbem::runMofCommand: the CLI and the library report the same
// summaries and diagnostics).

#include <wbem/mof.hpp>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "daemon_options.hpp"
#include "mof_file.hpp"

namespace wbemctl {
namespace {

// What the callback needs; owned by it, which the App keeps as long as the options that write here.
struct MofArguments {
  DaemonOptions daemon;
  std::vector<std::string> files;
  bool checkOnly = false;
};

// Each file is its own unit: one that fails is reported and the others still compile, as with mofcomp.
int compileIntoDaemon(const MofArguments& arguments) {
  const auto connection = connectDaemon(arguments.daemon);
  int rc = 0;
  for (const std::string& file : arguments.files) {
    try {
      compileMofFile(*connection, file);
    } catch (const wbem::Error& error) {
      // A broken connection fails every later file the same way: stop at the first.
      if (error.status() == wbem::WBEM_E_TRANSPORT_FAILURE) throw;
      std::cerr << "wbemctl: " << errorLine(error) << '\n';
      rc = 1;
    }
  }
  return rc;
}

}  // namespace

void addMofCommand(CLI::App& app) {
  auto arguments = std::make_shared<MofArguments>();
  CLI::App* command = app.add_subcommand("mof", "Compile MOF files into the daemon (mofcomp), or only check them");
  command->add_flag("--check", arguments->checkOnly, "Parse and check only, here, without a daemon (mofcomp -check)");
  command->add_option("FILE", arguments->files, "MOF files, compiled in order: later files see earlier files' classes")
      ->type_name("")
      ->required();
  addDaemonOptions(*command, arguments->daemon);
  command->footer(
      "Each file is one unit: it compiles completely or not at all, into --namespace unless it says #pragma\n"
      "namespace. Prints 'FILE: compiled N classes, M instances' per file; an error goes to stderr as\n"
      "'wbemctl: WBEM_E_NAME (0x8004xxxx): file:line:column: message'. Exits 1 when a file fails.\n"
      "--check needs no daemon (--socket and --namespace are ignored): the files compile into in-memory\n"
      "namespaces that start with the system classes only; prints 'FILE: OK' and what each holds, and every\n"
      "error as 'file:line:column: message (WBEM_E_NAME 0x8004xxxx)'.");
  command->callback([arguments] {
    const int rc = arguments->checkOnly ? wbem::runMofCommand(arguments->files, true, std::cout, std::cerr)
                                        : compileIntoDaemon(*arguments);
    // RuntimeError carries an exit status without CLI11 printing anything: the diagnostics are out already.
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace wbemctl
