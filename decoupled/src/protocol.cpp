// The daemon protocol's shared pieces: message names, the default socket, Reply bodies and the
// checked reading of message bodies.

#include <wbem/protocol.hpp>

#include <cstdlib>
#include <limits>
#include <unistd.h>

#include "msgpack_input.hpp"

namespace wbem::protocol {

std::string_view messageName(std::uint8_t type) noexcept {
  switch (static_cast<Message>(type)) {
    case Message::Reply:
      return "Reply";
    case Message::GetObject:
      return "GetObject";
    case Message::PutClass:
      return "PutClass";
    case Message::PutInstance:
      return "PutInstance";
    case Message::DeleteClass:
      return "DeleteClass";
    case Message::DeleteInstance:
      return "DeleteInstance";
    case Message::ExecQuery:
      return "ExecQuery";
    case Message::ExecMethod:
      return "ExecMethod";
    case Message::CompileMof:
      return "CompileMof";
    case Message::ExecNotificationQuery:
      return "ExecNotificationQuery";
    case Message::CancelAsyncCall:
      return "CancelAsyncCall";
    case Message::Raise:
      return "Raise";
    case Message::ListSubscriptions:
      return "ListSubscriptions";
    case Message::Statistics:
      return "Statistics";
    case Message::Backup:
      return "Backup";
    case Message::Restore:
      return "Restore";
    case Message::RegisterProvider:
      return "RegisterProvider";
    case Message::UnregisterProvider:
      return "UnregisterProvider";
    case Message::Indicate:
      return "Indicate";
    case Message::SetSinkSecurity:
      return "SetSinkSecurity";
    case Message::Events:
      return "Events";
    case Message::CallEnded:
      return "CallEnded";
    case Message::ProvideEvents:
      return "ProvideEvents";
    case Message::NewQuery:
      return "NewQuery";
    case Message::CancelQuery:
      return "CancelQuery";
    case Message::AccessCheck:
      return "AccessCheck";
    case Message::Initialize:
      return "Initialize";
    case Message::IndicateFailed:
      return "IndicateFailed";
    case Message::Goodbye:
      return "Goodbye";
  }
  return type == wire::kHelloMessage ? "Hello" : "unknown";
}

std::filesystem::path defaultSocketPath() {
  if (const char* named = std::getenv("WBEM_SOCKET"); named && *named) return named;
  if (::geteuid() == 0) return "/run/wbem/wbemd.sock";
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime && *runtime)
    return std::filesystem::path(runtime) / "wbem" / "wbemd.sock";
  return std::filesystem::path("/tmp") / ("wbem-" + std::to_string(::geteuid())) / "wbemd.sock";
}

std::string canonicalNamespace(std::string_view name) {
  std::string canonical(name);
  for (char& c : canonical)
    if (c == '\\') c = '/';
  return canonical;
}

void packString(wire::Packer& packer, std::string_view text) {
  if (text.size() > std::numeric_limits<std::uint32_t>::max())
    throw Error(WBEM_E_QUOTA_VIOLATION, "a text of " + std::to_string(text.size()) + " bytes cannot be sent");
  packer.pack_str(static_cast<std::uint32_t>(text.size()));
  packer.pack_str_body(text.data(), static_cast<std::uint32_t>(text.size()));
}

void packReplyHead(wire::Packer& packer, Status status, std::string_view message) {
  packer.pack_array(3);
  packer.pack_uint32(static_cast<std::uint32_t>(status));
  packString(packer, message);
}

void packErrorReply(wire::Packer& packer, const Error& error) {
  const bool positioned = error.position().has_value();
  packer.pack_array(positioned ? 5 : 3);
  packer.pack_uint32(static_cast<std::uint32_t>(error.status()));
  packString(packer, error.message());
  packer.pack_nil();
  if (positioned) {
    packer.pack_uint32(error.position()->line);
    packer.pack_uint32(error.position()->column);
  }
}

const msgpack::object& replyResult(const msgpack::object& body) {
  BodyReader reply(body, "Reply", 3, 5);
  const auto status = static_cast<Status>(reply.unsignedInt("status", std::numeric_limits<std::uint32_t>::max()));
  const std::string_view message = reply.string("message");
  const msgpack::object& result = reply.any("result");
  if (!isError(static_cast<std::uint32_t>(status))) return result;
  const msgpack::object* line = reply.optional();
  const msgpack::object* column = reply.optional();
  if (line && column) {
    TextPosition position;
    position.line = static_cast<std::uint32_t>(wire::detail::unsignedOf(*line, UINT32_MAX, "Reply line"));
    position.column = static_cast<std::uint32_t>(wire::detail::unsignedOf(*column, UINT32_MAX, "Reply column"));
    throw Error(status, std::string(message), std::move(position));
  }
  throw Error(status, std::string(message));
}

BodyReader::BodyReader(const msgpack::object& body, std::string_view message, std::size_t minFields,
                       std::size_t maxFields)
    : fields_(wire::detail::arrayOf(body, minFields, maxFields, message)), message_(message) {}

const msgpack::object& BodyReader::next(std::string_view field) {
  if (index_ >= fields_.size())
    wire::detail::invalidStream(std::string(message_) + ": field " + std::string(field) + " is missing");
  return fields_[index_++];
}

std::string_view BodyReader::string(std::string_view field) {
  return wire::detail::stringOf(next(field), std::string(message_) + " " + std::string(field));
}

std::uint64_t BodyReader::unsignedInt(std::string_view field, std::uint64_t max) {
  return wire::detail::unsignedOf(next(field), max, std::string(message_) + " " + std::string(field));
}

std::int32_t BodyReader::int32(std::string_view field) {
  const msgpack::object& o = next(field);
  if (o.type == msgpack::type::NEGATIVE_INTEGER && o.via.i64 >= std::numeric_limits<std::int32_t>::min())
    return static_cast<std::int32_t>(o.via.i64);
  // Flags travel as their unsigned bit pattern too.
  const std::uint64_t value = wire::detail::unsignedOf(o, std::numeric_limits<std::uint32_t>::max(),
                                                       std::string(message_) + " " + std::string(field));
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(value));
}

bool BodyReader::boolean(std::string_view field) {
  return wire::detail::booleanOf(next(field), std::string(message_) + " " + std::string(field));
}

std::span<const msgpack::object> BodyReader::array(std::string_view field, std::size_t max) {
  return wire::detail::arrayOf(next(field), 0, max, std::string(message_) + " " + std::string(field));
}

const msgpack::object* BodyReader::optional() {
  if (index_ >= fields_.size()) return nullptr;
  const msgpack::object& o = fields_[index_++];
  return wire::detail::isNil(o) ? nullptr : &o;
}

const msgpack::object& BodyReader::any(std::string_view field) { return next(field); }

}  // namespace wbem::protocol
