#pragma once
// wbem::protocol — the messages of the daemon protocol, on top of the wire codec (wire.hpp): what
// wbemd, its clients (wbem::connect) and decoupled providers say to each other.
//
// Every frame is [type, requestId, body] (wire.hpp). A client numbers its requests; the daemon
// answers each with one Reply carrying the same requestId. The daemon numbers its own calls to a
// provider process (AccessCheck, Initialize) the same way and the provider answers with a Reply.
// Requests on one connection are handled in order. Objects travel as ObjectRecords of the sending
// side's ObjectEncoder, so frames must be decoded in the order they arrived.
//
//   Reply                  [status, message, result|nil, line|nil, column|nil]
//                          status 0 (or another success code) with the request's result; a
//                          failure with the error's message and, for a text, its position
//   client → daemon (each answered by a Reply; result shown after "→")
//   GetObject              [ns, path]                       → Object (class name or instance path)
//   PutClass               [ns, flags, Object]              → nil
//   PutInstance            [ns, flags, Object]              → path text
//   DeleteClass            [ns, className]                  → nil
//   DeleteInstance         [ns, path]                       → nil
//   ExecQuery              [ns, language, query]            → [Object...]
//   ExecMethod             [ns, path, method, Object|nil]   → Object (the out-parameters)
//   CompileMof             [ns, text, sourceName, checkOnly] → [classes, instances]
//   ExecNotificationQuery  [ns, language, query]            → nil; then Events frames with this
//                          requestId until one CallEnded frame
//   CancelAsyncCall        [requestId of the subscription]  → nil (its CallEnded follows)
//   Raise                  [ns, [Object...]]                → nil (extrinsic events, admins only)
//   ListSubscriptions      [ns]                             → [[filter, consumer, query, active,
//                                                               reason]...] (permanent ones)
//   Statistics             []                               → [{name: uint64}, providers, consumers]
//                          providers: [[ns, name, bound, filters, indicated, rejectedBusy]...]
//                          consumers: [[id, ns, query, consumer, ownerUid, permanent, delivered,
//                                       dropped, failures, queuedEvents, queuedBytes]...]
//   Backup, Restore        [file]                           → nil (a path on the daemon's host)
//   RegisterProvider       [scope, name, user, locale, flags, capabilities] → nil; the
//                          requestId is the registration's handle from then on. The daemon
//                          binds the provider before it replies, so ProvideEvents and NewQuery
//                          for the handle may arrive before the Reply
//   UnregisterProvider     [handle]                         → nil
//   Indicate               [handle, [Object...], subjectToSds?] no Reply (events stream one
//                          way); a failure comes back as an IndicateFailed frame. subjectToSds
//                          (default false): each event's SECURITY_DESCRIPTOR decides who gets it
//   SetSinkSecurity        [handle, sddl]                   no Reply; applies to the events
//                          indicated after it (a bad descriptor comes back as IndicateFailed)
//   daemon → client (no Reply unless said)
//   Events                 requestId: the subscription's;   [Object...]
//   CallEnded              requestId: the subscription's;   [status, message]
//   ProvideEvents          requestId: the handle;           [flags]
//   NewQuery               requestId: the handle;           [queryId, language, query]
//   CancelQuery            requestId: the handle;           [queryId]
//   AccessCheck            requestId: the daemon's call id; [handle, language, query] → Reply
//                          (never a client identity: spec case 54)
//   Initialize             requestId: the daemon's call id; [handle, user, ns, locale] → Reply
//   IndicateFailed         requestId: the handle;           [status, message]
//   Goodbye                requestId 0;                     [status, message]: the daemon is
//                          closing this connection (shutting down, or the peer broke the protocol)

#include <wbem/status.hpp>
#include <wbem/wire.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace wbem::protocol {

/// Frame types (wire::kHelloMessage is 0).
enum class Message : std::uint8_t {
  Reply = 1,
  GetObject = 10,
  PutClass = 11,
  PutInstance = 12,
  DeleteClass = 13,
  DeleteInstance = 14,
  ExecQuery = 15,
  ExecMethod = 16,
  CompileMof = 17,
  ExecNotificationQuery = 18,
  CancelAsyncCall = 19,
  Raise = 20,
  ListSubscriptions = 21,
  Statistics = 22,
  Backup = 23,
  Restore = 24,
  RegisterProvider = 30,
  UnregisterProvider = 31,
  Indicate = 32,
  SetSinkSecurity = 33,
  Events = 40,
  CallEnded = 41,
  ProvideEvents = 42,
  NewQuery = 43,
  CancelQuery = 44,
  AccessCheck = 45,
  Initialize = 46,
  IndicateFailed = 47,
  Goodbye = 48,
};

/// The message's name, for logs ("ExecQuery"); "unknown" for another value. Thread-safe.
std::string_view messageName(std::uint8_t type) noexcept;

/// What a decoupled provider object implements, sent with RegisterProvider so that the daemon
/// forwards only the callbacks the process answers.
enum ProviderCapability : std::uint32_t {
  kProvidesEvents = 0x1,  // EventProvider::provideEvents
  kQuerySink = 0x2,       // EventProviderQuerySink::newQuery / cancelQuery
  kAccessCheck = 0x4,     // EventProviderSecurity::accessCheck
  kInitialize = 0x8,      // ProviderInit::initialize
};

/// The socket a client uses and the daemon listens on when none is named: `WBEM_SOCKET` when set
/// and not empty, else /run/wbem/wbemd.sock for root, else $XDG_RUNTIME_DIR/wbem/wbemd.sock
/// (/tmp/wbem-UID/wbemd.sock without XDG_RUNTIME_DIR). Thread-safe.
std::filesystem::path defaultSocketPath();

/// Namespace names accept `/` or `\`: the canonical form uses `/`. Thread-safe.
std::string canonicalNamespace(std::string_view name);

/// Packs a Reply body for a success with no result (callers with a result pack it themselves
/// after packReplyHead). Not thread-safe (the packer).
void packReplyHead(wire::Packer& packer, Status status, std::string_view message);

/// Packs a whole failure Reply body for `error`, with its position when it has one. Not
/// thread-safe (the packer).
void packErrorReply(wire::Packer& packer, const Error& error);

/// Reads the fields of a message body (an array) in order, each access checking the field's kind
/// and throwing WBEM_E_INVALID_STREAM that names the message and field. Points into the frame,
/// which must outlive it. Not thread-safe.
class BodyReader {
 public:
  /// A reader of `body`, which must be an array of `minFields` to `maxFields` elements.
  BodyReader(const msgpack::object& body, std::string_view message, std::size_t minFields, std::size_t maxFields);
  /// The next field as a str.
  std::string_view string(std::string_view field);
  /// The next field as an unsigned integer not above `max`.
  std::uint64_t unsignedInt(std::string_view field, std::uint64_t max = UINT64_MAX);
  /// The next field as a (possibly negative) 32-bit integer.
  std::int32_t int32(std::string_view field);
  /// The next field as a boolean.
  bool boolean(std::string_view field);
  /// The next field as an array of at most `max` elements.
  std::span<const msgpack::object> array(std::string_view field, std::size_t max);
  /// The next field, whatever it is (for an ObjectRecord); nullptr when it is nil or absent.
  const msgpack::object* optional();
  /// The next field, whatever it is; WBEM_E_INVALID_STREAM when absent.
  const msgpack::object& any(std::string_view field);

 private:
  const msgpack::object& next(std::string_view field);
  std::span<const msgpack::object> fields_;
  std::size_t index_ = 0;
  std::string_view message_;
};

/// Packs a str (msgpack's own pack(string_view) needs the C++17 adaptor header). Not thread-safe.
void packString(wire::Packer& packer, std::string_view text);

/// The status of a Reply body: returns its result value when the status is a success, otherwise
/// throws the Error it carries (message and position). Throws WBEM_E_INVALID_STREAM for a
/// malformed body. Thread-safe.
const msgpack::object& replyResult(const msgpack::object& body);

}  // namespace wbem::protocol
