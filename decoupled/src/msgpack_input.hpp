#pragma once
// Reading untrusted msgpack: checked unpacking (bounded before anything is allocated) and typed
// accessors of msgpack::object that throw wbem::Error instead of msgpack's own exceptions.

#include <wbem/status.hpp>
#include <wbem/wire.hpp>

#include <cstddef>
#include <cstdint>
#include <msgpack.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace wbem::wire::detail {

/// Unpacks the one msgpack value `data` must hold, after a first pass that allocates nothing has
/// checked it against `limits`: complete, no trailing bytes, no deeper than maxDepth, at most
/// maxValues values, and no array or map declaring more elements than the bytes can hold. Strings
/// and binaries point into `data`, which must outlive the result. Error messages start with `what`
/// and the stream offset when given ("frame at byte offset 12: ..."); byte offsets after that count
/// from the start of `data`. Throws WBEM_E_INVALID_STREAM or WBEM_E_QUOTA_VIOLATION. Thread-safe.
msgpack::object_handle unpackChecked(std::span<const std::uint8_t> data, const FrameLimits& limits,
                                     std::string_view what, std::optional<std::uint64_t> streamOffset);

/// Throws WBEM_E_INVALID_STREAM with `message`.
[[noreturn]] void invalidStream(std::string message);

/// The name of a msgpack value's kind, for messages ("array", "str", "positive integer"). Thread-safe.
std::string_view kindName(const msgpack::object& o) noexcept;

/// True when `o` is nil. Thread-safe.
inline bool isNil(const msgpack::object& o) noexcept { return o.type == msgpack::type::NIL; }

/// The elements of array `o`, which must have between `min` and `max` of them; else
/// WBEM_E_INVALID_STREAM naming `what`. Thread-safe.
std::span<const msgpack::object> arrayOf(const msgpack::object& o, std::size_t min, std::size_t max,
                                         std::string_view what);
/// Unsigned integer `o`, at most `max`; else WBEM_E_INVALID_STREAM naming `what`. Thread-safe.
std::uint64_t unsignedOf(const msgpack::object& o, std::uint64_t max, std::string_view what);
/// The bytes of str `o`; else WBEM_E_INVALID_STREAM naming `what`. Thread-safe.
std::string_view stringOf(const msgpack::object& o, std::string_view what);
/// Boolean `o`; else WBEM_E_INVALID_STREAM naming `what`. Thread-safe.
bool booleanOf(const msgpack::object& o, std::string_view what);

}  // namespace wbem::wire::detail
