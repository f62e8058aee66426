#pragma once
// Compiling a MOF file into the daemon, shared by `wbemctl mof` and `wbemctl put-instance --mof`.

#include <wbem/client.hpp>

#include <string>

namespace wbemctl {

/// Reads `file` and compiles it into the daemon as one unit (into the connection's namespace unless it says
/// #pragma namespace); prints "FILE: compiled N classes, M instances" on stdout. The daemon gets the
/// absolute path as the source name, so includes resolve beside the file. Throws wbem::Error:
/// WBEM_E_NOT_FOUND when the file cannot be read, the compiler's error with its position otherwise.
/// Thread-safe when the stream is not shared.
void compileMofFile(const wbem::Connection& connection, const std::string& file);

}  // namespace wbemctl
