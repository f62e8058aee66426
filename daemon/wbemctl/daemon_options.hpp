#pragma once
// What every command that talks to the daemon shares: --socket and --namespace, --format for those that print
// objects, and the connection they describe.

#include <wbem/client.hpp>

#include <memory>
#include <string>

#include "output.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace wbemctl {

/// Where the daemon is and which namespace a command works in.
struct DaemonOptions {
  std::string socket;         // empty: $WBEM_SOCKET, else wbem::protocol::defaultSocketPath()
  std::string namespaceName;  // `/` or `\` separated
};

/// The namespace the daemon commands work in unless --namespace says otherwise.
inline constexpr const char* kDefaultNamespace = "root/cimv2";
/// Where permanent subscriptions (__EventFilter, consumers, bindings) live, the `subscriptions` default.
inline constexpr const char* kSubscriptionNamespace = "root/subscription";

/// Adds --socket PATH and --namespace NS (default `defaultNamespace`) to `command`, writing to `options`,
/// which must outlive the App. Not thread-safe: call while building the CLI.
void addDaemonOptions(CLI::App& command, DaemonOptions& options,
                      const std::string& defaultNamespace = kDefaultNamespace);

/// Adds --format mof|json (default mof) to `command`, writing to `format`, which must outlive the App.
/// Not thread-safe: call while building the CLI.
void addFormatOption(CLI::App& command, OutputFormat& format);

/// Connects to the daemon `options` names. Throws wbem::Error (WBEM_E_TRANSPORT_FAILURE when none listens).
/// Thread-safe.
std::shared_ptr<wbem::Connection> connectDaemon(const DaemonOptions& options);

}  // namespace wbemctl
