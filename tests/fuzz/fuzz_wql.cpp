// libFuzzer target for the WQL parser and printer: any input either parses or throws wbem::Error,
// and a parsed query's canonical text parses back to the same canonical text.

#include <wbem/wql.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string canonical;
  try {
    canonical = wbem::parseWql(text).toString();
  } catch (const wbem::Error&) {
    return 0;  // rejecting is fine; crashing, hanging or throwing anything else is not
  }
  try {
    if (wbem::parseWql(canonical).toString() != canonical) std::abort();
  } catch (const wbem::Error&) {
    std::abort();  // the canonical text of a valid query must itself be valid
  }
  return 0;
}
