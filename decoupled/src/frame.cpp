// Frames of the daemon protocol (length prefix + msgpack envelope), their incremental decoder, and
// the Hello handshake.
#include <wbem/status.hpp>
#include <wbem/wire.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include "msgpack_input.hpp"

namespace wbem::wire {
namespace {

// Longest software text a Hello may carry: it is a name, and the peer is not trusted yet.
constexpr std::size_t kMaxSoftwareLength = 1024;
// A decoder keeps up to this much buffer between frames; a bigger one (left by a big frame) is
// released once it is empty, so that idle connections do not each hold a maximum-size buffer.
constexpr std::size_t kKeepCapacity = 256u << 10;
constexpr std::size_t kMinCapacity = 16u << 10;

void putLength(std::uint8_t* at, std::uint32_t length) noexcept {
  for (std::size_t i = 0; i < kLengthPrefixSize; ++i) at[i] = static_cast<std::uint8_t>(length >> (8 * i));
}

std::uint32_t getLength(const std::uint8_t* at) noexcept {
  std::uint32_t length = 0;
  for (std::size_t i = 0; i < kLengthPrefixSize; ++i) length |= static_cast<std::uint32_t>(at[i]) << (8 * i);
  return length;
}

std::string frameAt(std::uint64_t offset) { return "frame at byte offset " + std::to_string(offset); }

// What is wrong with an envelope, or empty when it is one.
std::string envelopeProblem(const msgpack::object& root) {
  if (root.type != msgpack::type::ARRAY)
    return "the payload is a " + std::string(detail::kindName(root)) + ", not an array";
  if (root.via.array.size != 3)
    return "the payload is an array of " + std::to_string(root.via.array.size) + " elements, not 3";
  const msgpack::object& type = root.via.array.ptr[0];
  const msgpack::object& id = root.via.array.ptr[1];
  if (type.type != msgpack::type::POSITIVE_INTEGER || type.via.u64 > std::numeric_limits<std::uint8_t>::max())
    return "the message type is not a uint8";
  if (id.type != msgpack::type::POSITIVE_INTEGER) return "the request id is not a uint64";
  return {};
}

}  // namespace

void ByteSink::write(const char* data, std::size_t size) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(data);
  out_->insert(out_->end(), bytes, bytes + size);
}

// --- encoding -------------------------------------------------------------------------------------

FrameWriter::FrameWriter(Bytes& out, std::uint8_t type, std::uint64_t requestId)
    : out_(out), start_(out.size()), sink_(out), packer_(sink_) {
  try {
    out_.resize(start_ + kLengthPrefixSize);  // written by finish(), when the size is known
    packer_.pack_array(3);
    packer_.pack_uint8(type);
    packer_.pack_uint64(requestId);
  } catch (...) {
    out_.resize(start_);
    throw;
  }
}

FrameWriter::~FrameWriter() {
  if (!finished_) out_.resize(start_);
}

void FrameWriter::finish(std::uint32_t maxFrameSize) {
  const std::size_t payload = out_.size() - start_ - kLengthPrefixSize;
  finished_ = true;
  if (payload > maxFrameSize) {
    out_.resize(start_);
    throw Error(WBEM_E_QUOTA_VIOLATION, "a frame of " + std::to_string(payload) +
                                            " bytes exceeds the maximum frame size of " + std::to_string(maxFrameSize));
  }
  putLength(out_.data() + start_, static_cast<std::uint32_t>(payload));
}

void encodeFrame(Bytes& out, std::uint8_t type, std::uint64_t requestId, std::span<const std::uint8_t> body,
                 std::uint32_t maxFrameSize) {
  // A body that is not exactly one value would make the peer refuse the frame and drop the
  // connection: refuse it here, where the mistake is. The null visitor allocates nothing.
  msgpack::null_visitor visitor;
  std::size_t end = 0;
  bool one = false;
  try {
    one = msgpack::parse(reinterpret_cast<const char*>(body.data()), body.size(), end, visitor) && end == body.size();
  } catch (const std::exception&) {
    one = false;
  }
  if (!one) throw Error(WBEM_E_INVALID_PARAMETER, "a frame body must be exactly one msgpack value");
  FrameWriter writer(out, type, requestId);
  out.insert(out.end(), body.begin(), body.end());
  writer.finish(maxFrameSize);
}

Bytes encodeFrame(std::uint8_t type, std::uint64_t requestId, std::span<const std::uint8_t> body) {
  Bytes out;
  out.reserve(kLengthPrefixSize + 11 + body.size());  // + the largest envelope header
  encodeFrame(out, type, requestId, body);
  return out;
}

// --- decoding -------------------------------------------------------------------------------------

Frame::Frame(msgpack::object_handle handle, std::uint64_t offset, std::uint32_t size) noexcept
    : type_(static_cast<std::uint8_t>(handle.get().via.array.ptr[0].via.u64)),
      requestId_(handle.get().via.array.ptr[1].via.u64),
      offset_(offset),
      size_(size),
      handle_(std::move(handle)) {}

struct FrameDecoder::State {
  FrameLimits limits;
  std::unique_ptr<std::uint8_t[]> data;
  std::size_t capacity = 0;
  std::size_t begin = 0;  // first byte not yet consumed
  std::size_t end = 0;    // end of the bytes received
  std::size_t prepared = 0;
  std::uint64_t offset = 0;  // stream offset of data[begin]
  std::optional<Error> failure;

  [[noreturn]] void fail(Error error) {
    failure = error;
    throw error;
  }
};

FrameDecoder::FrameDecoder(FrameLimits limits) : state_(std::make_unique<State>()) { state_->limits = limits; }
FrameDecoder::~FrameDecoder() = default;
FrameDecoder::FrameDecoder(FrameDecoder&&) noexcept = default;
FrameDecoder& FrameDecoder::operator=(FrameDecoder&&) noexcept = default;

std::span<std::uint8_t> FrameDecoder::prepare(std::size_t size) {
  State& s = *state_;
  if (s.begin == s.end) {
    s.begin = s.end = 0;
    if (s.capacity > kKeepCapacity && size <= kKeepCapacity) {
      s.data.reset();
      s.capacity = 0;
    }
  }
  if (s.capacity - s.end < size) {
    const std::size_t live = s.end - s.begin;
    if (live + size <= s.capacity && live <= s.capacity / 2) {
      // Moving the unconsumed tail (at most half the buffer) to the front is cheaper than growing.
      std::memmove(s.data.get(), s.data.get() + s.begin, live);
    } else {
      const std::size_t capacity = std::max({s.capacity * 2, live + size, kMinCapacity});
      auto grown = std::make_unique_for_overwrite<std::uint8_t[]>(capacity);
      if (live > 0) std::memcpy(grown.get(), s.data.get() + s.begin, live);
      s.data = std::move(grown);
      s.capacity = capacity;
    }
    s.begin = 0;
    s.end = live;
  }
  s.prepared = size;
  return {s.data.get() + s.end, size};
}

void FrameDecoder::commit(std::size_t size) {
  State& s = *state_;
  if (size > s.prepared)
    throw Error(WBEM_E_INVALID_PARAMETER,
                "commit of " + std::to_string(size) + " bytes after a prepare of " + std::to_string(s.prepared));
  s.end += size;
  s.prepared = 0;
}

void FrameDecoder::feed(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;
  std::memcpy(prepare(bytes.size()).data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

std::optional<Frame> FrameDecoder::next() {
  State& s = *state_;
  if (s.failure) throw *s.failure;
  const std::size_t available = s.end - s.begin;
  if (available < kLengthPrefixSize) return std::nullopt;
  const std::uint8_t* at = s.data.get() + s.begin;
  const std::uint32_t length = getLength(at);
  if (length > s.limits.maxFrameSize)
    s.fail(Error(WBEM_E_QUOTA_VIOLATION, frameAt(s.offset) + ": a payload of " + std::to_string(length) +
                                             " bytes exceeds the maximum frame size of " +
                                             std::to_string(s.limits.maxFrameSize)));
  if (length == 0) s.fail(Error(WBEM_E_INVALID_STREAM, frameAt(s.offset) + ": empty payload"));
  if (available - kLengthPrefixSize < length) return std::nullopt;

  msgpack::object_handle handle;
  try {
    handle = detail::unpackChecked({at + kLengthPrefixSize, length}, s.limits, "frame", s.offset);
  } catch (const Error& e) {
    s.fail(e);
  }
  if (std::string problem = envelopeProblem(handle.get()); !problem.empty())
    s.fail(Error(WBEM_E_INVALID_STREAM,
                 frameAt(s.offset) + ": " + problem + " (expected [uint8 type, uint64 requestId, body])"));
  Frame frame(std::move(handle), s.offset, length);
  s.begin += kLengthPrefixSize + length;
  s.offset += kLengthPrefixSize + length;
  return frame;
}

void FrameDecoder::finish() const {
  const State& s = *state_;
  if (s.failure) throw *s.failure;
  const std::size_t available = s.end - s.begin;
  if (available == 0) return;
  if (available < kLengthPrefixSize)
    throw Error(WBEM_E_INVALID_STREAM, "the stream ended inside the length prefix of the " + frameAt(s.offset) + " (" +
                                           std::to_string(available) + " of 4 bytes)");
  throw Error(WBEM_E_INVALID_STREAM,
              "the stream ended inside the " + frameAt(s.offset) + ": " + std::to_string(available) + " of its " +
                  std::to_string(kLengthPrefixSize + getLength(s.data.get() + s.begin)) + " bytes arrived");
}

std::uint64_t FrameDecoder::offset() const noexcept { return state_->offset; }
std::size_t FrameDecoder::buffered() const noexcept { return state_->end - state_->begin; }
bool FrameDecoder::failed() const noexcept { return state_->failure.has_value(); }
const FrameLimits& FrameDecoder::limits() const noexcept { return state_->limits; }

// --- handshake ------------------------------------------------------------------------------------

void packHello(Packer& packer, const Hello& hello) {
  if (hello.software.size() > kMaxSoftwareLength)
    throw Error(WBEM_E_INVALID_PARAMETER,
                "the software text of a Hello is limited to " + std::to_string(kMaxSoftwareLength) + " bytes");
  packer.pack_array(3);
  packer.pack_uint32(hello.protocolVersion);
  packer.pack_str(static_cast<std::uint32_t>(hello.software.size()));
  packer.pack_str_body(hello.software.data(), static_cast<std::uint32_t>(hello.software.size()));
  packer.pack_uint32(hello.maxFrameSize);
}

Bytes encodeHello(const Hello& hello) {
  Bytes out;
  FrameWriter writer(out, kHelloMessage, 0);
  packHello(writer.body(), hello);
  writer.finish(kMinMaxFrameSize);  // every peer accepts that much, whatever it announces
  return out;
}

Hello decodeHello(const Frame& frame) {
  if (frame.type() != kHelloMessage)
    throw Error(WBEM_E_UNKNOWN_PACKET_TYPE, frameAt(frame.offset()) + ": expected a Hello (type " +
                                                std::to_string(kHelloMessage) + ") first, got message type " +
                                                std::to_string(frame.type()));
  try {
    const auto fields = detail::arrayOf(frame.body(), 1, std::numeric_limits<std::uint32_t>::max(), "Hello");
    Hello hello;
    hello.protocolVersion = static_cast<std::uint32_t>(
        detail::unsignedOf(fields[0], std::numeric_limits<std::uint32_t>::max(), "Hello protocolVersion"));
    if (hello.protocolVersion != kProtocolVersion) {
      // Another version may lay out the rest differently: take what reads, for checkHello's message.
      if (fields.size() > 1 && fields[1].type == msgpack::type::STR && fields[1].via.str.size <= kMaxSoftwareLength)
        hello.software.assign(fields[1].via.str.ptr, fields[1].via.str.size);
      hello.maxFrameSize = 0;
      return hello;
    }
    if (fields.size() < 3)
      detail::invalidStream("Hello: expected at least 3 fields, got " + std::to_string(fields.size()));
    const std::string_view software = detail::stringOf(fields[1], "Hello software");
    if (software.size() > kMaxSoftwareLength)
      detail::invalidStream("Hello software: longer than " + std::to_string(kMaxSoftwareLength) + " bytes");
    hello.software = std::string(software);
    hello.maxFrameSize = static_cast<std::uint32_t>(
        detail::unsignedOf(fields[2], std::numeric_limits<std::uint32_t>::max(), "Hello maxFrameSize"));
    return hello;
  } catch (const Error& e) {
    throw Error(e.status(), frameAt(frame.offset()) + ": " + e.message());
  }
}

void checkHello(const Hello& peer) {
  if (peer.protocolVersion != kProtocolVersion)
    throw Error(WBEM_E_MARSHAL_VERSION_MISMATCH,
                "the peer" + (peer.software.empty() ? std::string() : " (" + peer.software + ")") +
                    " speaks wbem protocol version " + std::to_string(peer.protocolVersion) +
                    "; this side speaks version " + std::to_string(kProtocolVersion));
  if (peer.maxFrameSize < kMinMaxFrameSize)
    throw Error(WBEM_E_INVALID_PARAMETER, "the peer announces a maximum frame size of " +
                                              std::to_string(peer.maxFrameSize) + " bytes, below the minimum of " +
                                              std::to_string(kMinMaxFrameSize));
}

}  // namespace wbem::wire
