// `wbemctl status CODE`: the WMI symbolic name and English text of a status code, given as a number
// (hex, decimal or a negative HRESULT) or as a name.

#include <wbem/status.hpp>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "commands.hpp"

namespace wbemctl {
namespace {

// All of `text` as an integer in `base`; nullopt when it is empty, has other characters or overflows T.
template <typename T>
std::optional<T> parseWhole(std::string_view text, int base) {
  T value{};
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value, base);
  if (text.empty() || error != std::errc{} || stop != end) return std::nullopt;
  return value;
}

// The code `argument` stands for. A leading digit or '-' makes it a number, anything else a name.
std::uint32_t parseCode(const std::string& argument) {
  const std::string_view text = argument;
  if (text.empty() || (text.front() != '-' && (text.front() < '0' || text.front() > '9'))) {
    if (const wbem::StatusInfo* info = wbem::findStatusByName(text)) return info->code;
    throw CommandError("unknown status name '" + argument + "'");
  }
  std::optional<std::uint32_t> code;
  if (text.starts_with("0x") || text.starts_with("0X")) {
    code = parseWhole<std::uint32_t>(text.substr(2), 16);
  } else if (text.front() == '-') {
    // A negative number is an HRESULT printed as a signed 32-bit integer, as PowerShell and .NET show them.
    if (const auto value = parseWhole<std::int32_t>(text, 10)) code = static_cast<std::uint32_t>(*value);
  } else {
    code = parseWhole<std::uint32_t>(text, 10);
  }
  if (!code) {
    throw CommandError("'" + argument +
                       "' is not a status code: give it in hex (0x80041017), in decimal (2147749911), as a negative "
                       "HRESULT (-2147217385) or as a name (WBEM_E_INVALID_QUERY)");
  }
  return *code;
}

// What `wbemctl status` prints: "WBEM_E_INVALID_QUERY: <text> (0x80041017)".
std::string statusLine(const wbem::StatusInfo& info) {
  return std::string(info.name) + ": " + std::string(info.text) + " (" + wbem::statusHex(info.code) + ")";
}

}  // namespace

void addStatusCommand(CLI::App& app) {
  // Owned by the callback, which the App keeps as long as the option that writes to it.
  auto argument = std::make_shared<std::string>();
  CLI::App* command = app.add_subcommand("status", "Explain a WMI status code: print its symbolic name and meaning");
  command
      ->add_option("CODE", *argument,
                   "The status code: hex (0x80041017), decimal (2147749911), a negative HRESULT (-2147217385) or "
                   "a symbolic name in any case (WBEM_E_INVALID_QUERY)")
      ->type_name("")
      ->required();
  command->footer(
      "Prints 'NAME: text (0xHEXCODE)' and exits 0; an unknown or malformed CODE exits 1.\n"
      "Example:\n"
      "  $ wbemctl status 0x80041017\n"
      "  " +
      statusLine(*wbem::findStatus(wbem::WBEM_E_INVALID_QUERY)));
  command->callback([argument] {
    const std::uint32_t code = parseCode(*argument);
    const wbem::StatusInfo* info = wbem::findStatus(code);
    if (info == nullptr) throw CommandError("unknown status code " + wbem::statusHex(code));
    std::cout << statusLine(*info) << '\n';
  });
}

}  // namespace wbemctl
