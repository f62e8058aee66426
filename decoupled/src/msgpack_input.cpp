#include "msgpack_input.hpp"

#include <exception>
#include <new>
#include <optional>
#include <utility>

namespace wbem::wire::detail {
namespace {

// The first pass over untrusted bytes. msgpack's unpacker allocates an array's element objects as
// soon as it reads the array's header, before it knows whether the elements are there, so a
// 5-byte header declaring 4 billion elements would cost 100 GB. This visitor allocates nothing
// and stops such input first: each value takes at least one byte, so all the elements that
// arrays and maps declare, plus the root, can never outnumber the bytes.
class LimitVisitor : public msgpack::null_visitor {
 public:
  enum class Problem { None, TooDeep, TooManyValues, MoreElementsThanBytes, Malformed, Truncated };

  LimitVisitor(std::size_t size, const FrameLimits& limits) : size_(size), limits_(limits) {}

  bool start_array(std::uint32_t elements) { return enter(elements); }
  bool start_map(std::uint32_t pairs) { return enter(std::uint64_t{pairs} * 2); }
  bool end_array() {
    --depth_;
    return true;
  }
  bool end_map() {
    --depth_;
    return true;
  }
  void parse_error(std::size_t /*parsedOffset*/, std::size_t errorOffset) {
    problem_ = Problem::Malformed;
    offset_ = errorOffset;
  }
  void insufficient_bytes(std::size_t /*parsedOffset*/, std::size_t errorOffset) {
    if (problem_ == Problem::None) problem_ = Problem::Truncated;
    offset_ = errorOffset;
  }

  Problem problem() const noexcept { return problem_; }
  std::size_t offset() const noexcept { return offset_; }
  std::uint64_t values() const noexcept { return values_; }
  std::uint64_t declared() const noexcept { return declared_; }

 private:
  bool enter(std::uint64_t elements) {
    declared_ = elements;
    if (++depth_ > limits_.maxDepth) return stop(Problem::TooDeep);
    values_ += elements;
    if (values_ > size_) return stop(Problem::MoreElementsThanBytes);
    if (values_ > limits_.maxValues) return stop(Problem::TooManyValues);
    return true;
  }
  bool stop(Problem p) {
    problem_ = p;
    return false;
  }

  std::size_t size_;
  const FrameLimits& limits_;
  std::uint32_t depth_ = 0;
  std::uint64_t values_ = 1;  // the root
  std::uint64_t declared_ = 0;
  std::size_t offset_ = 0;
  Problem problem_ = Problem::None;
};

// Strings and binaries stay in the caller's buffer: the caller keeps it alive (see unpackChecked).
bool referenceAll(msgpack::type::object_type, std::size_t, void*) { return true; }

}  // namespace

void invalidStream(std::string message) { throw Error(WBEM_E_INVALID_STREAM, std::move(message)); }

msgpack::object_handle unpackChecked(std::span<const std::uint8_t> data, const FrameLimits& limits,
                                     std::string_view what, std::optional<std::uint64_t> streamOffset) {
  const auto* chars = reinterpret_cast<const char*>(data.data());
  // Built only for an error: this runs once per frame.
  const auto where = [&] {
    return std::string(what) + (streamOffset ? " at byte offset " + std::to_string(*streamOffset) : std::string());
  };
  LimitVisitor visitor(data.size(), limits);
  std::size_t end = 0;
  bool parsed = false;
  try {
    parsed = msgpack::parse(chars, data.size(), end, visitor);
  } catch (const std::exception& e) {  // msgpack throws for a few malformed sizes (ext)
    invalidStream(where() + ": malformed msgpack: " + e.what());
  }
  switch (visitor.problem()) {
    case LimitVisitor::Problem::TooDeep:
      invalidStream(where() + ": values nested deeper than " + std::to_string(limits.maxDepth));
    case LimitVisitor::Problem::TooManyValues:
      throw Error(WBEM_E_QUOTA_VIOLATION,
                  where() + ": more than " + std::to_string(limits.maxValues) + " msgpack values");
    case LimitVisitor::Problem::MoreElementsThanBytes:
      invalidStream(where() + ": an array or map declares " + std::to_string(visitor.declared()) +
                    " elements, more than its " + std::to_string(data.size()) + " bytes can hold");
    case LimitVisitor::Problem::Malformed:
      invalidStream(where() + ": malformed msgpack at byte " + std::to_string(visitor.offset()) + " of " +
                    std::to_string(data.size()));
    case LimitVisitor::Problem::Truncated:
      invalidStream(where() + ": msgpack value truncated after " + std::to_string(data.size()) + " bytes");
    case LimitVisitor::Problem::None:
      break;
  }
  if (!parsed) invalidStream(where() + ": malformed msgpack");
  if (end != data.size())
    invalidStream(where() + ": " + std::to_string(data.size() - end) +
                  " bytes after the msgpack value, which ends at byte " + std::to_string(end));

  std::size_t offset = 0;
  const auto size = static_cast<std::size_t>(data.size());
  const msgpack::unpack_limit unpackLimit(size, size, size, size, size, limits.maxDepth + 1);
  try {
    return msgpack::unpack(chars, size, offset, referenceAll, nullptr, unpackLimit);
  } catch (const std::bad_alloc&) {
    throw Error(WBEM_E_OUT_OF_MEMORY, where() + ": out of memory unpacking " + std::to_string(size) + " bytes");
  } catch (const std::exception& e) {  // not expected after the first pass; never let it escape as is
    invalidStream(where() + ": malformed msgpack: " + e.what());
  }
}

std::string_view kindName(const msgpack::object& o) noexcept {
  switch (o.type) {
    case msgpack::type::NIL:
      return "nil";
    case msgpack::type::BOOLEAN:
      return "boolean";
    case msgpack::type::POSITIVE_INTEGER:
      return "unsigned integer";
    case msgpack::type::NEGATIVE_INTEGER:
      return "negative integer";
    case msgpack::type::FLOAT32:
      return "float32";
    case msgpack::type::FLOAT64:
      return "float64";
    case msgpack::type::STR:
      return "str";
    case msgpack::type::BIN:
      return "bin";
    case msgpack::type::ARRAY:
      return "array";
    case msgpack::type::MAP:
      return "map";
    case msgpack::type::EXT:
      return "ext";
  }
  return "unknown";
}

std::span<const msgpack::object> arrayOf(const msgpack::object& o, std::size_t min, std::size_t max,
                                         std::string_view what) {
  if (o.type != msgpack::type::ARRAY)
    invalidStream(std::string(what) + ": expected an array, got " + std::string(kindName(o)));
  const std::size_t n = o.via.array.size;
  if (n < min || n > max) {
    std::string expected = min == max ? std::to_string(min) : std::to_string(min) + ".." + std::to_string(max);
    invalidStream(std::string(what) + ": expected an array of " + expected + " elements, got " + std::to_string(n));
  }
  return {o.via.array.ptr, n};
}

std::uint64_t unsignedOf(const msgpack::object& o, std::uint64_t max, std::string_view what) {
  if (o.type != msgpack::type::POSITIVE_INTEGER)
    invalidStream(std::string(what) + ": expected an unsigned integer, got " + std::string(kindName(o)));
  if (o.via.u64 > max)
    invalidStream(std::string(what) + ": " + std::to_string(o.via.u64) + " is more than " + std::to_string(max));
  return o.via.u64;
}

std::string_view stringOf(const msgpack::object& o, std::string_view what) {
  if (o.type != msgpack::type::STR)
    invalidStream(std::string(what) + ": expected a str, got " + std::string(kindName(o)));
  return {o.via.str.ptr, o.via.str.size};
}

bool booleanOf(const msgpack::object& o, std::string_view what) {
  if (o.type != msgpack::type::BOOLEAN)
    invalidStream(std::string(what) + ": expected a boolean, got " + std::string(kindName(o)));
  return o.via.boolean;
}

}  // namespace wbem::wire::detail
