// `wbemctl security get|set|inherit NAMESPACE`: a namespace's security descriptor, through the
// namespace's __SystemSecurity methods GetSD, SetSD and InheritSD (WMI's way to the same thing).

#include <wbem/security.hpp>
#include <wbem/status.hpp>

#include <CLI/CLI.hpp>
#include <array>
#include <iostream>
#include <memory>
#include <string>
#include <utility>

#include "commands.hpp"
#include "daemon_options.hpp"

namespace wbemctl {
namespace {

constexpr const char* kSystemSecurity = "__SystemSecurity=@";

struct SecurityArguments {
  DaemonOptions daemon;
  std::string sddl;
};

// "Enable,MethodExecute,0x100000" for `rights`: the names wbemctl and docs/security.md use.
std::string rightNames(std::uint32_t rights) {
  static constexpr std::array<std::pair<std::uint32_t, const char*>, 10> kNames{{
      {wbem::WBEM_ENABLE, "Enable"},
      {wbem::WBEM_METHOD_EXECUTE, "MethodExecute"},
      {wbem::WBEM_FULL_WRITE_REP, "FullWrite"},
      {wbem::WBEM_PARTIAL_WRITE_REP, "PartialWrite"},
      {wbem::WBEM_WRITE_PROVIDER, "ProviderWrite"},
      {wbem::WBEM_REMOTE_ACCESS, "RemoteAccess"},
      {wbem::WBEM_RIGHT_SUBSCRIBE, "Subscribe"},
      {wbem::WBEM_RIGHT_PUBLISH, "Publish"},
      {wbem::READ_CONTROL, "ReadSecurity"},
      {wbem::WRITE_DAC, "WriteSecurity"},
  }};
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if ((rights & bit) == 0) continue;
    if (!out.empty()) out += ',';
    out += name;
    rights &= ~bit;
  }
  if (rights != 0) {
    char rest[16];
    std::snprintf(rest, sizeof rest, "0x%X", rights);
    out += (out.empty() ? "" : ",") + std::string(rest);
  }
  return out.empty() ? "none" : out;
}

void printSecurity(const std::string& ns, const wbem::ClassObject& out) {
  const wbem::SecurityDescriptor descriptor = wbem::SecurityDescriptor::fromValue(out.get("SD"));
  std::cout << "namespace " << ns << "\n"
            << "descriptor " << descriptor.toSddl() << "\n"
            << "inherited " << (out.get("Inherited").asBool() ? "yes" : "no") << "\n";
  if (!descriptor.dacl()) {
    std::cout << "allow everyone all (NULL DACL)\n";
    return;
  }
  for (const wbem::SecurityDescriptor::Ace& ace : *descriptor.dacl())
    std::cout << (ace.allow ? "allow " : "deny ") << ace.trustee << " " << rightNames(ace.rights) << "\n";
}

void runGet(const SecurityArguments& arguments) {
  const wbem::ClassObject out = connectDaemon(arguments.daemon)->execMethod(kSystemSecurity, "GetSD", nullptr);
  printSecurity(arguments.daemon.namespaceName, out);
}

void runSet(const SecurityArguments& arguments) {
  const wbem::SecurityDescriptor descriptor = wbem::SecurityDescriptor::parse(arguments.sddl);  // fails early
  const auto connection = connectDaemon(arguments.daemon);
  wbem::ClassObject in = connection->getObject("__SystemSecurity")->getMethod("SetSD").inSignature->spawnInstance();
  in.put("SD", descriptor.toValue());
  connection->execMethod(kSystemSecurity, "SetSD", &in);
  printSecurity(arguments.daemon.namespaceName, connection->execMethod(kSystemSecurity, "GetSD", nullptr));
}

void runInherit(const SecurityArguments& arguments) {
  const auto connection = connectDaemon(arguments.daemon);
  connection->execMethod(kSystemSecurity, "InheritSD", nullptr);
  printSecurity(arguments.daemon.namespaceName, connection->execMethod(kSystemSecurity, "GetSD", nullptr));
}

}  // namespace

void addSecurityCommand(CLI::App& app) {
  auto arguments = std::make_shared<SecurityArguments>();
  CLI::App* security = app.add_subcommand("security", "Show or change a namespace's security descriptor");
  security->require_subcommand(1);
  security->footer(
      "Descriptors are SDDL: O:owner G:group D:(A|D;;rights;;;trustee)... with trustees uid:N, gid:N, WD\n"
      "(everyone), BA (administrators), SY (root), and rights as hex or the bits of docs/security.md:\n"
      "Enable 0x1, MethodExecute 0x2, FullWrite 0x4, PartialWrite 0x8, ProviderWrite 0x10,\n"
      "Subscribe 0x40, Publish 0x80, ReadSecurity 0x20000, WriteSecurity 0x40000. Example:\n"
      "  wbemctl security set root/cimv2 'O:BAG:BAD:(A;;0x600FF;;;BA)(A;;0x43;;;WD)(A;;0x8B;;;uid:1000)'");

  const auto addNamespace = [&arguments](CLI::App& command, bool required) {
    addDaemonOptions(command, arguments->daemon);
    command.add_option("NAMESPACE", arguments->daemon.namespaceName, "The namespace ('/' or '\\' separated)")
        ->type_name("")
        ->required(required);
  };
  CLI::App* get = security->add_subcommand("get", "Print the descriptor, whether it is inherited, and its entries");
  addNamespace(*get, false);
  get->callback([arguments] { runGet(*arguments); });

  CLI::App* set = security->add_subcommand("set", "Give the namespace a descriptor of its own (needs WriteSecurity)");
  addNamespace(*set, true);
  set->add_option("SDDL", arguments->sddl, "The descriptor")->type_name("")->required();
  set->callback([arguments] { runSet(*arguments); });

  CLI::App* inherit =
      security->add_subcommand("inherit", "Drop the namespace's own descriptor: it follows its parent's again");
  addNamespace(*inherit, false);
  inherit->callback([arguments] { runInherit(*arguments); });
}

}  // namespace wbemctl
