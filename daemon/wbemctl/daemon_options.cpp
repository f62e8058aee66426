// The options and connection the daemon commands share (daemon_options.hpp).

#include "daemon_options.hpp"

#include <wbem/protocol.hpp>

#include <CLI/CLI.hpp>
#include <map>

namespace wbemctl {

void addDaemonOptions(CLI::App& command, DaemonOptions& options, const std::string& defaultNamespace) {
  options.namespaceName = defaultNamespace;
  command
      .add_option("--socket", options.socket,
                  "The daemon's socket (default: $WBEM_SOCKET, else /run/wbem/wbemd.sock for root, else "
                  "$XDG_RUNTIME_DIR/wbem/wbemd.sock)")
      ->type_name("PATH");
  command.add_option("--namespace", options.namespaceName, "The namespace to work in ('/' or '\\' separated)")
      ->type_name("NS")
      ->capture_default_str();
}

void addFormatOption(CLI::App& command, OutputFormat& format) {
  format = OutputFormat::Mof;
  const std::map<std::string, OutputFormat> formats{{"mof", OutputFormat::Mof}, {"json", OutputFormat::Json}};
  command
      .add_option("--format", format,
                  "How to print objects: mof (their MOF text) or json (one object per line: __CLASS, then the "
                  "properties)")
      ->type_name("mof|json")
      ->transform(CLI::CheckedTransformer(formats, CLI::ignore_case).description(""))
      ->default_str("mof");
}

std::shared_ptr<wbem::Connection> connectDaemon(const DaemonOptions& options) {
  wbem::ConnectOptions connect;
  connect.socketPath =
      options.socket.empty() ? wbem::protocol::defaultSocketPath() : std::filesystem::path(options.socket);
  connect.namespaceName = options.namespaceName;
  connect.software = "wbemctl";
  return wbem::connect(connect);
}

}  // namespace wbemctl
