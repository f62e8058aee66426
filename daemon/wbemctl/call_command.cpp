// `wbemctl call PATH METHOD name=value...`: runs a method of a class or instance in the daemon
// (IWbemServices::ExecMethod) and prints its out-parameters, ReturnValue included.

#include <wbem/objectpath.hpp>
#include <wbem/status.hpp>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "daemon_options.hpp"
#include "value_input.hpp"

namespace wbemctl {
namespace {

struct CallArguments {
  DaemonOptions daemon;
  OutputFormat format = OutputFormat::Mof;
  std::string path;
  std::string method;
  std::vector<std::string> parameters;
};

void runCall(const CallArguments& arguments) {
  const wbem::ObjectPath path = wbem::ObjectPath::parse(arguments.path);
  const auto connection = connectDaemon(arguments.daemon);
  // The class (in the path's namespace when it names one) holds the method's in-signature.
  std::string classPath = path.className();
  if (!path.namespacePath().empty()) classPath = path.namespacePath() + ":" + classPath;
  const wbem::ObjectPtr cls = connection->getObject(classPath);
  const wbem::MethodDef& method = cls->getMethod(arguments.method);
  std::optional<wbem::ClassObject> in;
  if (method.inSignature) {
    in = method.inSignature->spawnInstance();
    putAssignments(*in, arguments.parameters);
  } else if (!arguments.parameters.empty()) {
    throw wbem::Error(wbem::WBEM_E_INVALID_PARAMETER, cls->className() + "." + method.name + " takes no in-parameters");
  }
  const wbem::ClassObject out = connection->execMethod(arguments.path, method.name, in ? &*in : nullptr);
  printObject(std::cout, out, arguments.format);
}

}  // namespace

void addCallCommand(CLI::App& app) {
  auto arguments = std::make_shared<CallArguments>();
  CLI::App* command = app.add_subcommand("call", "Call a method of a class or instance in the daemon");
  command->add_option("PATH", arguments->path, "The class (static methods) or instance path")
      ->type_name("")
      ->required();
  command->add_option("METHOD", arguments->method, "The method's name")->type_name("")->required();
  command->add_option("PARAMETER", arguments->parameters, "In-parameters as name=value, typed by the method")
      ->type_name("");
  addDaemonOptions(*command, arguments->daemon);
  addFormatOption(*command, arguments->format);
  command->footer(
      "Values take the in-parameter's declared type: true/false, integers (decimal or 0x hex), reals, DMTF\n"
      "datetimes, object paths for references, text for strings; arrays as comma-separated lists.\n"
      "Prints the out-parameters (a __PARAMETERS instance with ReturnValue). Example:\n"
      "  wbemctl call 'Linux_Process.Handle=\"1234\"' Terminate Reason=15");
  command->callback([arguments] { runCall(*arguments); });
}

}  // namespace wbemctl
