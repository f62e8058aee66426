#pragma once
// How wbemctl prints what it gets: objects as MOF text or as JSON lines, and wbem::Error as one line.
// Shared by `wql eval` and the daemon commands so that every JSON line has the same shape.

#include <wbem/classobject.hpp>
#include <wbem/status.hpp>
#include <wbem/value.hpp>

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>

namespace wbemctl {

/// Keeps keys in insertion order, so that __CLASS comes first and properties follow in class order.
using Json = nlohmann::ordered_json;

/// How the object-printing commands write objects (`--format`).
enum class OutputFormat { Mof, Json };

/// One CIM value as JSON: NULL null, integers exact (int64/uint64), reals as numbers (a real32 with the
/// shortest digits of its float), booleans, datetimes as DMTF strings, references as path strings, char16 as
/// the character, embedded objects as nested objects, arrays as arrays. Thread-safe.
Json toJson(const wbem::Value& value);

/// An object as JSON: "__CLASS", then every property in class order. Thread-safe.
Json toJson(const wbem::ClassObject& object);

/// `json` on one line; invalid UTF-8 in a string becomes U+FFFD rather than failing the whole output.
/// Thread-safe.
std::string jsonLine(const Json& json);

/// Writes `object` to `out` in `format`: its MOF text (getObjectText) followed by a blank line, or one JSON
/// line. Flushes, so that a reader of a pipe sees each object as it comes. Not thread-safe (the stream).
void printObject(std::ostream& out, const wbem::ClassObject& object, OutputFormat format);

/// What wbemctl prints for an error: "WBEM_E_NAME (0x8004xxxx): [source:]line:column: message", the position
/// only when the error has one. Thread-safe.
std::string errorLine(const wbem::Error& error);

}  // namespace wbemctl
