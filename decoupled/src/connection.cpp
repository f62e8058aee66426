// wbem::connect and Connection: each IWbemServices call as one request on the session, and the
// semisynchronous enumerator over a subscription.

#include <wbem/client.hpp>
#include <wbem/event_sink.hpp>  // WBEM_INFINITE
#include <wbem/protocol.hpp>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <spdlog/spdlog.h>
#include <utility>

#include "client_session.hpp"
#include "msgpack_input.hpp"

namespace wbem {
namespace {

using detail::ClientSession;
using protocol::Message;
using protocol::packString;
using wire::ObjectDecoder;
using wire::ObjectEncoder;
using wire::Packer;

// The lFlags of the event calls (the values of consumers' QueryFlag, which this module does not
// link).
constexpr std::int32_t kSendStatus = 0x80;
constexpr std::int32_t kReturnImmediately = 0x10;
constexpr std::int32_t kForwardOnly = 0x20;
// Events a semisynchronous enumerator keeps for next(); past it new ones are dropped (logged).
constexpr std::size_t kMaxEnumeratorEvents = 65536;

std::string_view textOf(const msgpack::object& o, std::string_view what) { return wire::detail::stringOf(o, what); }

// The sink of a semisynchronous subscription: the session calls it on its I/O thread, next() takes
// what it holds.
class EnumeratorSink final : public ObjectSink {
 public:
  Status indicate(std::span<const ObjectPtr> objects) override {
    {
      std::lock_guard lock(mutex_);
      if (events_.size() + objects.size() > kMaxEnumeratorEvents) {
        if (dropped_ == 0) spdlog::warn("wbem client: an event enumerator is not read, events are dropped");
        dropped_ += objects.size();
        return WBEM_E_SERVER_TOO_BUSY;
      }
      events_.insert(events_.end(), objects.begin(), objects.end());
    }
    arrived_.notify_all();
    return WBEM_S_NO_ERROR;
  }

  void setStatus(std::int32_t flags, Status result, std::string_view, const ClassObject*) override {
    if (flags != WBEM_STATUS_COMPLETE) return;
    {
      std::lock_guard lock(mutex_);
      ended_ = true;
      reason_ = result;
    }
    arrived_.notify_all();
  }

  Status next(std::uint32_t timeoutMs, std::uint32_t count, std::vector<ObjectPtr>& out) {
    std::unique_lock lock(mutex_);
    auto ready = [&] { return events_.size() >= count || ended_; };
    if (timeoutMs == WBEM_INFINITE)
      arrived_.wait(lock, ready);
    else
      arrived_.wait_for(lock, std::chrono::milliseconds(timeoutMs), ready);
    const std::size_t taken = std::min<std::size_t>(count, events_.size());
    if (taken == 0 && ended_) return reason_;
    out.insert(out.end(), events_.begin(), events_.begin() + static_cast<std::ptrdiff_t>(taken));
    events_.erase(events_.begin(), events_.begin() + static_cast<std::ptrdiff_t>(taken));
    return taken == count ? WBEM_S_NO_ERROR : WBEM_S_TIMEDOUT;
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<ObjectPtr> events_;
  bool ended_ = false;
  Status reason_ = WBEM_S_NO_ERROR;
  std::size_t dropped_ = 0;
};

class EnumeratorProxy final : public EventEnumeratorProxy {
 public:
  EnumeratorProxy(std::shared_ptr<ClientSession> session, std::uint64_t id, std::shared_ptr<EnumeratorSink> sink)
      : session_(std::move(session)), id_(id), sink_(std::move(sink)) {}
  ~EnumeratorProxy() override { session_->cancelSubscription(id_, false); }

  Status next(std::uint32_t timeoutMs, std::uint32_t count, std::vector<ObjectPtr>& out) override {
    if (count == 0) return WBEM_E_INVALID_PARAMETER;
    return sink_->next(timeoutMs, count, out);
  }

 private:
  std::shared_ptr<ClientSession> session_;
  std::uint64_t id_;
  std::shared_ptr<EnumeratorSink> sink_;
};

}  // namespace

std::shared_ptr<Connection> connect(const ConnectOptions& options) {
  return std::make_shared<Connection>(ClientSession::open(options), options.namespaceName);
}

Connection::Connection(std::shared_ptr<detail::ClientSession> session, std::string namespaceName)
    : session_(std::move(session)), namespace_(protocol::canonicalNamespace(namespaceName)) {
  if (!session_) throw Error(WBEM_E_INVALID_PARAMETER, "a Connection needs a session");
  session_->addUser();
}

Connection::~Connection() {
  session_->cancelOwned(this);
  session_->removeUser();
}

std::shared_ptr<Connection> Connection::openNamespace(std::string_view name) const {
  return std::make_shared<Connection>(session_, std::string(name));
}

ObjectPtr Connection::getObject(std::string_view path) const {
  auto out = std::make_shared<ObjectPtr>();
  session_->call(
      Message::GetObject,
      [&](Packer& packer, ObjectEncoder&) {
        packer.pack_array(2);
        packString(packer, namespace_);
        packString(packer, path);
      },
      [out](const msgpack::object& result, ObjectDecoder& decoder) { *out = share(decoder.decode(result)); });
  return *out;
}

void Connection::putClass(const ClassObject& cls, std::int32_t flags) const {
  session_->call(Message::PutClass, [&](Packer& packer, ObjectEncoder& encoder) {
    packer.pack_array(3);
    packString(packer, namespace_);
    packer.pack_int32(flags);
    encoder.encode(packer, cls);
  });
}

ObjectPath Connection::putInstance(const ClassObject& instance, std::int32_t flags) const {
  auto out = std::make_shared<std::string>();
  session_->call(
      Message::PutInstance,
      [&](Packer& packer, ObjectEncoder& encoder) {
        packer.pack_array(3);
        packString(packer, namespace_);
        packer.pack_int32(flags);
        encoder.encode(packer, instance);
      },
      [out](const msgpack::object& result, ObjectDecoder&) { *out = textOf(result, "PutInstance result"); });
  return ObjectPath::parse(*out);  // here, not on the I/O thread: a bad path is this call's error
}

void Connection::deleteClass(std::string_view name) const {
  session_->call(Message::DeleteClass, [&](Packer& packer, ObjectEncoder&) {
    packer.pack_array(2);
    packString(packer, namespace_);
    packString(packer, name);
  });
}

void Connection::deleteInstance(std::string_view path) const {
  session_->call(Message::DeleteInstance, [&](Packer& packer, ObjectEncoder&) {
    packer.pack_array(2);
    packString(packer, namespace_);
    packString(packer, path);
  });
}

std::vector<ObjectPtr> Connection::execQuery(std::string_view language, std::string_view query) const {
  auto out = std::make_shared<std::vector<ObjectPtr>>();
  session_->call(
      Message::ExecQuery,
      [&](Packer& packer, ObjectEncoder&) {
        packer.pack_array(3);
        packString(packer, namespace_);
        packString(packer, language);
        packString(packer, query);
      },
      [out](const msgpack::object& result, ObjectDecoder& decoder) {
        for (const msgpack::object& record : wire::detail::arrayOf(result, 0, SIZE_MAX, "ExecQuery result"))
          out->push_back(share(decoder.decode(record)));
      });
  return std::move(*out);
}

ClassObject Connection::execMethod(std::string_view path, std::string_view method,
                                   const ClassObject* inParameters) const {
  auto out = std::make_shared<std::optional<ClassObject>>();
  session_->call(
      Message::ExecMethod,
      [&](Packer& packer, ObjectEncoder& encoder) {
        packer.pack_array(4);
        packString(packer, namespace_);
        packString(packer, path);
        packString(packer, method);
        if (inParameters)
          encoder.encode(packer, *inParameters);
        else
          packer.pack_nil();
      },
      [out](const msgpack::object& result, ObjectDecoder& decoder) { out->emplace(decoder.decode(result)); });
  return std::move(**out);
}

std::pair<std::uint32_t, std::uint32_t> Connection::compileMof(std::string_view text, std::string_view sourceName,
                                                               bool checkOnly) const {
  auto out = std::make_shared<std::pair<std::uint32_t, std::uint32_t>>();
  session_->call(
      Message::CompileMof,
      [&](Packer& packer, ObjectEncoder&) {
        packer.pack_array(4);
        packString(packer, namespace_);
        packString(packer, text);
        packString(packer, sourceName);
        if (checkOnly)
          packer.pack_true();
        else
          packer.pack_false();
      },
      [out](const msgpack::object& result, ObjectDecoder&) {
        const auto counts = wire::detail::arrayOf(result, 2, 2, "CompileMof result");
        out->first = static_cast<std::uint32_t>(wire::detail::unsignedOf(counts[0], UINT32_MAX, "classes"));
        out->second = static_cast<std::uint32_t>(wire::detail::unsignedOf(counts[1], UINT32_MAX, "instances"));
      });
  return *out;
}

void Connection::raise(std::span<const ClassObject> events) const {
  session_->call(Message::Raise, [&](Packer& packer, ObjectEncoder& encoder) {
    packer.pack_array(2);
    packString(packer, namespace_);
    packer.pack_array(static_cast<std::uint32_t>(events.size()));
    for (const ClassObject& event : events) encoder.encode(packer, event);
  });
}

Status Connection::execNotificationQueryAsync(std::string_view language, std::string_view query, std::int32_t flags,
                                              std::shared_ptr<ObjectSink> sink) const {
  if ((flags & ~kSendStatus) != 0 || !sink) return WBEM_E_INVALID_PARAMETER;
  try {
    session_->subscribe(
        session_->newRequestId(),
        [&](Packer& packer, ObjectEncoder&) {
          packer.pack_array(3);
          packString(packer, namespace_);
          packString(packer, language);
          packString(packer, query);
        },
        std::move(sink), this, false);
  } catch (const Error& e) {
    spdlog::debug("wbem client: ExecNotificationQuery {}: {}", query, e.what());
    return e.status();
  }
  return WBEM_S_NO_ERROR;
}

Status Connection::cancelAsyncCall(const std::shared_ptr<ObjectSink>& sink) const {
  if (!sink) return WBEM_E_INVALID_PARAMETER;
  const std::uint64_t id = session_->findSubscription(this, sink.get());
  if (id == 0) return WBEM_E_NOT_FOUND;
  return session_->cancelSubscription(id, true);
}

std::unique_ptr<EventEnumeratorProxy> Connection::execNotificationQuery(std::string_view language,
                                                                        std::string_view query,
                                                                        std::int32_t flags) const {
  if (flags != (kReturnImmediately | kForwardOnly))
    throw Error(
        WBEM_E_INVALID_PARAMETER,
        "ExecNotificationQuery needs lFlags WBEM_FLAG_RETURN_IMMEDIATELY | WBEM_FLAG_FORWARD_ONLY (0x30), got " +
            statusHex(static_cast<std::uint32_t>(flags)));
  auto sink = std::make_shared<EnumeratorSink>();
  const std::uint64_t id = session_->newRequestId();
  session_->subscribe(
      id,
      [&](Packer& packer, ObjectEncoder&) {
        packer.pack_array(3);
        packString(packer, namespace_);
        packString(packer, language);
        packString(packer, query);
      },
      sink, this, true);
  return std::make_unique<EnumeratorProxy>(session_, id, std::move(sink));
}

std::vector<SubscriptionInfo> Connection::listSubscriptions() const {
  auto out = std::make_shared<std::vector<SubscriptionInfo>>();
  session_->call(
      Message::ListSubscriptions,
      [&](Packer& packer, ObjectEncoder&) {
        packer.pack_array(1);
        packString(packer, namespace_);
      },
      [out](const msgpack::object& result, ObjectDecoder&) {
        for (const msgpack::object& row : wire::detail::arrayOf(result, 0, SIZE_MAX, "ListSubscriptions result")) {
          protocol::BodyReader fields(row, "ListSubscriptions row", 5, 5);
          SubscriptionInfo info;
          info.filter = fields.string("filter");
          info.consumer = fields.string("consumer");
          info.query = fields.string("query");
          info.active = fields.boolean("active");
          info.reason = fields.string("reason");
          out->push_back(std::move(info));
        }
      });
  return std::move(*out);
}

DaemonStatistics Connection::statistics() const {
  auto out = std::make_shared<DaemonStatistics>();
  session_->call(
      Message::Statistics, [](Packer& packer, ObjectEncoder&) { packer.pack_array(0); },
      [out](const msgpack::object& result, ObjectDecoder&) {
        protocol::BodyReader parts(result, "Statistics result", 3, 3);
        const msgpack::object& counters = parts.any("counters");
        if (counters.type != msgpack::type::MAP)
          wire::detail::invalidStream("Statistics counters: a map expected, got " +
                                      std::string(wire::detail::kindName(counters)));
        for (const msgpack::object_kv& entry : std::span(counters.via.map.ptr, counters.via.map.size))
          out->counters[std::string(textOf(entry.key, "Statistics name"))] =
              wire::detail::unsignedOf(entry.val, UINT64_MAX, "Statistics value");
        for (const msgpack::object& row : parts.array("providers", SIZE_MAX)) {
          protocol::BodyReader fields(row, "Statistics provider", 6, 6);
          ProviderStatistics& provider = out->providers.emplace_back();
          provider.namespaceName = fields.string("namespace");
          provider.name = fields.string("name");
          provider.bound = fields.boolean("bound");
          provider.filters = fields.unsignedInt("filters", SIZE_MAX);
          provider.indicated = fields.unsignedInt("indicated");
          provider.rejectedBusy = fields.unsignedInt("rejectedBusy");
        }
        for (const msgpack::object& row : parts.array("consumers", SIZE_MAX)) {
          protocol::BodyReader fields(row, "Statistics consumer", 11, 11);
          ConsumerStatistics& consumer = out->consumers.emplace_back();
          consumer.id = fields.unsignedInt("id");
          consumer.namespaceName = fields.string("namespace");
          consumer.query = fields.string("query");
          consumer.consumer = fields.string("consumer");
          consumer.ownerUid = static_cast<std::uint32_t>(fields.unsignedInt("ownerUid", UINT32_MAX));
          consumer.permanent = fields.boolean("permanent");
          consumer.delivered = fields.unsignedInt("delivered");
          consumer.dropped = fields.unsignedInt("dropped");
          consumer.failures = fields.unsignedInt("failures");
          consumer.queuedEvents = fields.unsignedInt("queuedEvents", SIZE_MAX);
          consumer.queuedBytes = fields.unsignedInt("queuedBytes");
        }
      });
  return std::move(*out);
}

void Connection::backup(const std::filesystem::path& file) const {
  session_->call(Message::Backup, [&](Packer& packer, ObjectEncoder&) {
    packer.pack_array(1);
    packString(packer, file.string());
  });
}

void Connection::restore(const std::filesystem::path& file) const {
  session_->call(Message::Restore, [&](Packer& packer, ObjectEncoder&) {
    packer.pack_array(1);
    packString(packer, file.string());
  });
}

}  // namespace wbem
