// MOF files compiled into the daemon (mof_file.hpp).

#include "mof_file.hpp"

#include <wbem/status.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <utility>

namespace wbemctl {

void compileMofFile(const wbem::Connection& connection, const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in.is_open()) throw wbem::Error(wbem::WBEM_E_NOT_FOUND, file + ": cannot open the file");
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) throw wbem::Error(wbem::WBEM_E_NOT_FOUND, file + ": cannot read the file");
  std::error_code error;
  const std::filesystem::path absolute = std::filesystem::absolute(file, error);
  std::pair<std::uint32_t, std::uint32_t> counts;
  try {
    counts = connection.compileMof(text, error ? file : absolute.string(), /*checkOnly=*/false);
  } catch (const wbem::Error& failure) {
    // The reply carries line and column only: name the file as the user did, so that several files'
    // errors can be told apart.
    const auto& position = failure.position();
    if (failure.status() == wbem::WBEM_E_TRANSPORT_FAILURE || (position && !position->source.empty())) throw;
    if (position) throw wbem::Error(failure.status(), failure.message(), {file, position->line, position->column});
    throw wbem::Error(failure.status(), file + ": " + failure.message());
  }
  const auto [classes, instances] = counts;
  std::cout << file << ": compiled " << classes << (classes == 1 ? " class, " : " classes, ") << instances
            << (instances == 1 ? " instance" : " instances") << '\n';
}

}  // namespace wbemctl
