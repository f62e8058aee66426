#pragma once
// wbem::wire — the wire codec of the daemon protocol: how wbemd, its clients and decoupled
// providers put messages and CIM objects on a stream socket.
//
// Frames. Each direction of a connection is a stream of frames: a uint32 little-endian payload
// length, then the payload, the msgpack array [uint8 type, uint64 requestId, body] where body is
// one msgpack value whose shape the message type defines. The first frame each side sends is a
// Hello (type kHelloMessage, body [protocolVersion, software, maxFrameSize]); a receiver ignores
// trailing Hello fields it does not know, so that compatible additions keep the version number.
//
// Objects. An ObjectEncoder (one per connection and direction) sends each class definition once,
// the first time an object needs it, as a class record carrying a connection-local class id; from
// then on an instance costs [genus, classId, [slot values]]. The peer's ObjectDecoder rebuilds
// ClassObjects equal (ClassObject::operator==) to the originals. So records must reach the decoder
// in the order they were encoded, none lost: drop objects before encoding them, never after.
//
//   ObjectRecord := [[ClassRecord...], Object]       the classes Object needs that were not sent
//   ClassRecord  := [classId, name, superclassId|nil, Qualifiers, [Property...], [Method...]]
//                   ids count from 0 in sending order; a record refers to earlier ids only.
//                   Rebuilt as createClass(name) or <superclass>.spawnDerivedClass(name), then
//                   the local declarations below.
//   Property     := [name, Type, default, Qualifiers]  every slot in order, inherited ones first
//   Type         := [cimtype | CIM_FLAG_ARRAY, className, arraySize|nil]
//   Method       := [name, kind, inSignature Object|nil, outSignature Object|nil, Qualifiers]
//                   kind 0: declared here (all its qualifiers follow); 1: inherited as is (no
//                   signatures); 2: inherited with its signatures restated
//   Qualifiers   := [[name, Tagged, flavor]...]     the element's own ones (inherited ones are
//                   rebuilt from the superclass)
//   Object       := [genus, classId, values|nil, server|nil, namespace|nil, Qualifiers|nil,
//                    [[slot, Qualifiers]...]|nil]   trailing nils left out; values (instances
//                   only) has one Value per slot; the qualifiers are an instance's own ones
//   Value        := the value in the form its declared type gives it: nil for NULL; integers,
//                   char16 as msgpack integers; real32/real64 as the unsigned integer of their
//                   IEEE 754 bits (exact for -0.0 and NaN payloads too); boolean; string,
//                   reference (path text) and datetime (DMTF text) as str; object as Object;
//                   arrays as arrays of those (uint8 arrays without NULLs as bin); or Tagged when
//                   the value's type is not the declared one (a NULL of another type)
//   Tagged       := {cimtype | CIM_FLAG_ARRAY: Value}  a value with its type (0: untyped NULL)
//
// Errors are wbem::Error: WBEM_E_INVALID_STREAM for malformed input, WBEM_E_QUOTA_VIOLATION for a
// limit exceeded, WBEM_E_MARSHAL_VERSION_MISMATCH for another protocol version,
// WBEM_E_UNKNOWN_PACKET_TYPE for a first frame that is not a Hello, WBEM_E_INVALID_CLASS for an
// unknown class id, WBEM_E_TYPE_MISMATCH for a value of the wrong type, and the object model's own
// codes for a class record it refuses. Any decoding error means the peer is broken or hostile:
// close the connection (FrameDecoder refuses to go on; ObjectDecoder stays consistent, see there).

#include <wbem/classobject.hpp>
#include <wbem/status.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <msgpack.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace wbem::wire {

/// Bytes as they go to or come from a socket.
using Bytes = std::vector<std::uint8_t>;

/// The protocol's major version: peers of different versions refuse each other in checkHello().
inline constexpr std::uint32_t kProtocolVersion = 1;
/// Default largest payload a side accepts (and announces in its Hello).
inline constexpr std::uint32_t kDefaultMaxFrameSize = 16u << 20;
/// Smallest maxFrameSize a Hello may announce: below it not even a class record fits.
inline constexpr std::uint32_t kMinMaxFrameSize = 64u << 10;
/// Size of the length prefix before each payload.
inline constexpr std::size_t kLengthPrefixSize = 4;
/// Frame type of the Hello message; the message layer numbers the others.
inline constexpr std::uint8_t kHelloMessage = 0;

/// The msgpack stream wbem packs into: appends to a Bytes buffer (msgpack::packer writes to any
/// type with write(const char*, size_t)). Not thread-safe.
class ByteSink {
 public:
  /// A sink appending to `out`, which must outlive it. Not thread-safe.
  explicit ByteSink(Bytes& out) noexcept : out_(&out) {}
  /// Appends `size` bytes (what msgpack::packer calls). Not thread-safe.
  void write(const char* data, std::size_t size);
  /// The buffer appended to. Not thread-safe.
  Bytes& bytes() const noexcept { return *out_; }

 private:
  Bytes* out_;
};

/// A msgpack packer that appends to Bytes.
using Packer = msgpack::packer<ByteSink>;

// --- frames -------------------------------------------------------------------------------------

/// Builds one frame in place at the end of a buffer: the envelope is packed on construction, the
/// caller packs exactly one body value through body(), and finish() writes the length prefix.
/// A writer destroyed before finish() (say, by an exception while packing) removes its partial
/// frame again. Not thread-safe.
class FrameWriter {
 public:
  /// Starts a frame of `type` for `requestId` at the end of `out`, which must outlive the writer.
  /// Not thread-safe.
  FrameWriter(Bytes& out, std::uint8_t type, std::uint64_t requestId);
  /// Removes the partial frame when finish() was not called. Not thread-safe.
  ~FrameWriter();
  FrameWriter(const FrameWriter&) = delete;
  FrameWriter& operator=(const FrameWriter&) = delete;

  /// The packer for the body: pack exactly one value (an array or map for several). Not thread-safe.
  Packer& body() noexcept { return packer_; }
  /// Completes the frame. When its payload exceeds `maxFrameSize` (the peer's announced limit) the
  /// frame is removed and WBEM_E_QUOTA_VIOLATION thrown. Not thread-safe.
  void finish(std::uint32_t maxFrameSize = kDefaultMaxFrameSize);

 private:
  Bytes& out_;
  std::size_t start_;
  ByteSink sink_;
  Packer packer_;
  bool finished_ = false;
};

/// Appends the frame [type, requestId, body] to `out`; `body` must hold exactly one packed msgpack
/// value (WBEM_E_INVALID_PARAMETER otherwise) and the payload fit `maxFrameSize`
/// (WBEM_E_QUOTA_VIOLATION). `out` is unchanged when it throws. Thread-safe.
void encodeFrame(Bytes& out, std::uint8_t type, std::uint64_t requestId, std::span<const std::uint8_t> body,
                 std::uint32_t maxFrameSize = kDefaultMaxFrameSize);
/// The frame [type, requestId, body] as bytes, with the checks of the overload above. Thread-safe.
Bytes encodeFrame(std::uint8_t type, std::uint64_t requestId, std::span<const std::uint8_t> body);

/// Limits a decoder puts on what a peer sends it; each refuses input, never truncates it.
struct FrameLimits {
  /// Largest payload (the length prefix excluded); announce it in the Hello.
  std::uint32_t maxFrameSize = kDefaultMaxFrameSize;
  /// Most msgpack values in one payload. The decoded value tree takes up to 24 bytes per value,
  /// so this bounds a payload's decoding memory (24 MiB by default) whatever its size.
  std::uint32_t maxValues = 1u << 20;
  /// Deepest nesting of msgpack arrays and maps (room for 64 nested embedded objects).
  std::uint32_t maxDepth = 512;
};

/// One decoded frame: the envelope's fields and the body as a msgpack value.
/// The body refers to the bytes of the FrameDecoder it came from (strings are not copied): it is
/// valid until that decoder's next feed() or prepare(), or its destruction. Decode what you need
/// before feeding more. Const members are thread-safe.
class Frame {
 public:
  /// The message type (kHelloMessage or one of the message layer's). Thread-safe.
  std::uint8_t type() const noexcept { return type_; }
  /// The request the frame belongs to (0 when none). Thread-safe.
  std::uint64_t requestId() const noexcept { return requestId_; }
  /// Byte offset of the frame's length prefix in the stream, for messages. Thread-safe.
  std::uint64_t offset() const noexcept { return offset_; }
  /// Payload size in bytes. Thread-safe.
  std::uint32_t size() const noexcept { return size_; }
  /// The body value (see the lifetime note above). Thread-safe.
  const msgpack::object& body() const noexcept { return handle_.get().via.array.ptr[2]; }

 private:
  friend class FrameDecoder;
  Frame(msgpack::object_handle handle, std::uint64_t offset, std::uint32_t size) noexcept;

  std::uint8_t type_ = 0;
  std::uint64_t requestId_ = 0;
  std::uint64_t offset_ = 0;
  std::uint32_t size_ = 0;
  msgpack::object_handle handle_;
};

/// Splits an incoming byte stream into frames, incrementally: hand it bytes as they arrive (feed(),
/// or prepare() + commit() to receive straight into its buffer), then take frames with next()
/// until it returns nullopt. Bytes are copied once, into its buffer; frames refer to that buffer.
/// Errors (WBEM_E_QUOTA_VIOLATION for a frame over the limit, WBEM_E_INVALID_STREAM for a payload
/// that is not a valid envelope or a stream that ends inside a frame) name the frame's byte offset
/// in the stream. After an error the stream cannot be resynchronised: the decoder stays failed,
/// rethrowing the error, and the connection must close. Not thread-safe.
class FrameDecoder {
 public:
  /// A decoder enforcing `limits`. Not thread-safe.
  explicit FrameDecoder(FrameLimits limits = {});
  /// Frees the buffer (the bodies of its frames with it). Not thread-safe.
  ~FrameDecoder();
  /// Moves the state; frames stay valid (the buffer does not move). Not thread-safe.
  FrameDecoder(FrameDecoder&&) noexcept;
  /// Moves the state, dropping this decoder's own. Not thread-safe.
  FrameDecoder& operator=(FrameDecoder&&) noexcept;

  /// Appends received bytes (invalidating earlier frames' bodies). Not thread-safe.
  void feed(std::span<const std::uint8_t> bytes);
  /// Room for `size` more bytes at the end of the buffer, to receive into directly (say with
  /// recv()); then commit() the count received. Invalidates earlier frames' bodies. Not thread-safe.
  std::span<std::uint8_t> prepare(std::size_t size);
  /// Adds the first `size` bytes of the last prepare() to the stream (at most what it gave).
  /// Not thread-safe.
  void commit(std::size_t size);
  /// The next complete frame, or nullopt when more bytes are needed. Throws wbem::Error (see the
  /// class comment) for a bad frame, and again on every later call. Not thread-safe.
  std::optional<Frame> next();
  /// Call at the end of the stream: throws WBEM_E_INVALID_STREAM when it ended inside a frame
  /// (or the decoder failed earlier). Not thread-safe.
  void finish() const;

  /// Stream offset of the first byte not yet consumed as part of a frame. Not thread-safe.
  std::uint64_t offset() const noexcept;
  /// Bytes received but not yet consumed. Not thread-safe.
  std::size_t buffered() const noexcept;
  /// True once next() has thrown. Not thread-safe.
  bool failed() const noexcept;
  /// The limits it enforces. Not thread-safe.
  const FrameLimits& limits() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// --- handshake ----------------------------------------------------------------------------------

/// The first message of each side.
struct Hello {
  /// The sender's protocol version (kProtocolVersion).
  std::uint32_t protocolVersion = kProtocolVersion;
  /// Free text naming the sender ("wbemd 0.1.0", "wbemctl 0.1.0", a provider's name).
  std::string software;
  /// Largest payload the sender accepts: the other side must not send bigger frames.
  std::uint32_t maxFrameSize = kDefaultMaxFrameSize;
};

/// The Hello frame for `hello` (request id 0). Thread-safe.
Bytes encodeHello(const Hello& hello);
/// Packs `hello` as a frame body, for a caller building its own frame. Thread-safe.
void packHello(Packer& packer, const Hello& hello);
/// The Hello a frame carries: WBEM_E_UNKNOWN_PACKET_TYPE when the frame is of another type (the
/// first frame must be a Hello), WBEM_E_INVALID_STREAM when its body is not a Hello. Fields after
/// the version are read strictly only for this protocol version (another version may lay them out
/// differently), so that checkHello() can then name that version. Thread-safe.
Hello decodeHello(const Frame& frame);
/// Checks the peer's Hello: WBEM_E_MARSHAL_VERSION_MISMATCH naming both versions when the peer
/// speaks another protocol version; WBEM_E_INVALID_PARAMETER when it announces a maxFrameSize below
/// kMinMaxFrameSize. Thread-safe.
void checkHello(const Hello& peer);

// --- objects ------------------------------------------------------------------------------------

/// Limits on objects, checked by the encoder (so that it never sends what the peer refuses) and
/// the decoder (so that a hostile peer cannot make it do unbounded work or allocation).
struct ObjectLimits {
  /// Deepest nesting of embedded objects: an object is depth 1, one embedded in it depth 2, ...
  std::uint32_t maxDepth = 64;
  /// Most classes one connection direction may define.
  std::uint32_t maxClasses = 16384;
  /// Most properties of one class (inherited ones included), and parameters of one signature.
  std::uint32_t maxProperties = 4096;
  /// Most methods of one class.
  std::uint32_t maxMethods = 1024;
  /// Most qualifiers in one qualifier set.
  std::uint32_t maxQualifiers = 256;
};

/// Roughly the bytes `object`'s values take in an encoded instance record (its class record not
/// counted), cheap to compute: what senders use to cut batches near a frame size. Thread-safe.
std::uint64_t approximateEncodedSize(const ClassObject& object);

/// Encodes objects for one direction of one connection, sending each class definition (schema)
/// once: it remembers every definition it has sent, by identity (instances of one class share
/// theirs), for its lifetime. Refuses what the peer's decoder would (ObjectLimits; an instance
/// value not of its property's type, which putExact() misuse can make) with wbem::Error, and then
/// records nothing as sent. Not thread-safe: one sending thread at a time.
class ObjectEncoder {
 public:
  /// An encoder enforcing `limits` (use the peer decoder's). Not thread-safe.
  explicit ObjectEncoder(ObjectLimits limits = {});
  /// Forgets the classes sent (the connection is over). Not thread-safe.
  ~ObjectEncoder();
  /// Moves the connection's state. Not thread-safe.
  ObjectEncoder(ObjectEncoder&&) noexcept;
  /// Moves the connection's state, dropping this encoder's own. Not thread-safe.
  ObjectEncoder& operator=(ObjectEncoder&&) noexcept;

  /// Packs `object` (class or instance) as one ObjectRecord value. If it throws, whatever was
  /// packed of the record must be discarded (nothing is recorded as sent). Not thread-safe.
  void encode(Packer& packer, const ClassObject& object);
  /// Appends the ObjectRecord of `object` to `out` (unchanged when it throws). Not thread-safe.
  void encode(const ClassObject& object, Bytes& out);
  /// The ObjectRecord of `object`. Not thread-safe.
  Bytes encode(const ClassObject& object);
  /// Class definitions sent so far. Not thread-safe.
  std::size_t classCount() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// Decodes ObjectRecords from one direction of one connection, keeping the class definitions the
/// peer sent. Validates everything (structure, class ids, value counts and types, ObjectLimits)
/// and throws wbem::Error for bad input, never leaving a half-built class behind: class records
/// are kept as each is complete, so after an error the decoder stays usable and consistent with
/// what it accepted. The peer's encoder, though, believes everything it sent arrived: the
/// connection should still close. Not thread-safe: one receiving thread at a time.
class ObjectDecoder {
 public:
  /// A decoder enforcing `limits`. Not thread-safe.
  explicit ObjectDecoder(ObjectLimits limits = {});
  /// Forgets the classes received; objects decoded earlier keep theirs. Not thread-safe.
  ~ObjectDecoder();
  /// Moves the connection's state. Not thread-safe.
  ObjectDecoder(ObjectDecoder&&) noexcept;
  /// Moves the connection's state, dropping this decoder's own. Not thread-safe.
  ObjectDecoder& operator=(ObjectDecoder&&) noexcept;

  /// The object an ObjectRecord value (say, a frame's body or part of it) holds. Not thread-safe.
  ClassObject decode(const msgpack::object& record);
  /// The object of an ObjectRecord given as bytes: exactly one msgpack value, checked against
  /// `limits` before anything is allocated for it. Not thread-safe.
  ClassObject decode(std::span<const std::uint8_t> record, const FrameLimits& limits = {});
  /// Class definitions received so far. Not thread-safe.
  std::size_t classCount() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace wbem::wire
