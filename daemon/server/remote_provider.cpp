// A decoupled provider as the event service sees it, and the daemon's own provider of raised
// events.

#include <wbem/filter.hpp>

#include <spdlog/spdlog.h>

#include "server_core.hpp"

namespace wbem::server {

RemoteProvider::RemoteProvider(std::weak_ptr<Session> session, std::uint64_t handle, std::uint32_t capabilities,
                               const Namespace& space, std::string name)
    : session_(std::move(session)),
      handle_(handle),
      capabilities_(capabilities),
      space_(space),
      ns_(protocol::canonicalNamespace(space.name())),
      name_(std::move(name)) {}

Status RemoteProvider::setRegistrationObject(std::int32_t, const ClassObject& registration) {
  std::vector<std::string> queries;
  if (const Value list = registration.get("EventQueryList"); !list.isNull())
    for (const Value& query : list.asArray()) queries.push_back(query.asString());
  std::lock_guard lock(registrationsMutex_);
  registeredQueries_[registration.get("__RELPATH").toText()] = std::move(queries);
  return WBEM_S_NO_ERROR;
}

std::shared_ptr<EventSink> RemoteProvider::restrictToRegistrations(const std::shared_ptr<EventSink>& sink) {
  std::vector<std::string> queries;
  {
    std::lock_guard lock(registrationsMutex_);
    for (const auto& [path, list] : registeredQueries_)
      for (const std::string& query : list) {
        // The service ignores (and logged) a registration query that does not compile; so does this.
        try {
          QueryFilter::compile(query, space_, QueryKind::Notification);
          queries.push_back(query);
        } catch (const Error&) {
        }
      }
  }
  // None: the service would not have asked for events. Should it, the process can raise nothing.
  if (queries.empty()) queries.push_back("SELECT * FROM __ExtrinsicEvent WHERE __CLASS = \"\"");
  return sink->getRestrictedSink(queries);
}

Status RemoteProvider::provideEvents(std::shared_ptr<EventSink> unrestricted, std::int32_t flags) {
  const std::shared_ptr<EventSink> sink = restrictToRegistrations(unrestricted);
  {
    std::lock_guard lock(securityMutex_);
    if (security_) sink->setSinkSecurity(*security_);
    sink_.store(std::move(sink));
  }
  if (!(capabilities_ & protocol::kProvidesEvents)) return WBEM_S_NO_ERROR;
  if (auto session = session_.lock())
    session->send(Message::ProvideEvents, handle_, [&](wire::Packer& packer, wire::ObjectEncoder&) {
      packer.pack_array(1);
      packer.pack_int32(flags);
    });
  return WBEM_S_NO_ERROR;
}

Status RemoteProvider::newQuery(std::uint32_t id, std::string_view language, std::string_view query) {
  if (!(capabilities_ & protocol::kQuerySink)) return WBEM_S_NO_ERROR;
  if (auto session = session_.lock())
    session->send(Message::NewQuery, handle_, [&](wire::Packer& packer, wire::ObjectEncoder&) {
      packer.pack_array(3);
      packer.pack_uint32(id);
      protocol::packString(packer, language);
      protocol::packString(packer, query);
    });
  return WBEM_S_NO_ERROR;
}

Status RemoteProvider::cancelQuery(std::uint32_t id) {
  if (!(capabilities_ & protocol::kQuerySink)) return WBEM_S_NO_ERROR;
  if (auto session = session_.lock())
    session->send(Message::CancelQuery, handle_, [&](wire::Packer& packer, wire::ObjectEncoder&) {
      packer.pack_array(1);
      packer.pack_uint32(id);
    });
  return WBEM_S_NO_ERROR;
}

Status RemoteProvider::accessCheck(std::string_view language, std::string_view query, const Principal*) {
  if (!(capabilities_ & protocol::kAccessCheck)) return WBEM_S_NO_ERROR;
  auto session = session_.lock();
  if (!session) return WBEM_S_NO_ERROR;  // gone: it raises nothing, so it guards nothing
  // The consumer's identity is never passed on (spec case 54).
  return session->call(Message::AccessCheck, [&](wire::Packer& packer) {
    packer.pack_array(3);
    packer.pack_uint64(handle_);
    protocol::packString(packer, language);
    protocol::packString(packer, query);
  });
}

Status RemoteProvider::initialize(const ProviderInitContext& context, std::shared_ptr<ProviderInitSink> sink) {
  auto session = session_.lock();
  if (!(capabilities_ & protocol::kInitialize) || !session) {
    sink->setStatus(WBEM_S_INITIALIZED);
    return WBEM_S_NO_ERROR;
  }
  session->callAsync(
      Message::Initialize,
      [&](wire::Packer& packer) {
        packer.pack_array(4);
        packer.pack_uint64(handle_);
        protocol::packString(packer, context.user);
        protocol::packString(packer, context.namespaceName);
        protocol::packString(packer, context.locale);
      },
      [sink](Status status) { sink->setStatus(isError(status) ? status : WBEM_S_INITIALIZED); });
  return WBEM_S_NO_ERROR;
}

Status RemoteProvider::indicate(std::span<const ClassObject> events, bool subjectToSds) {
  const std::shared_ptr<EventSink> sink = sink_.load();
  if (!sink) return WBEM_S_FALSE;
  return sink->indicate(events, subjectToSds);
}

void RemoteProvider::setSinkSecurity(SecurityDescriptor descriptor) {
  std::lock_guard lock(securityMutex_);
  if (const std::shared_ptr<EventSink> sink = sink_.load()) sink->setSinkSecurity(descriptor);
  security_ = std::move(descriptor);
}

Status RaiseProvider::provideEvents(std::shared_ptr<EventSink> sink, std::int32_t) {
  sink_.store(std::move(sink));
  return WBEM_S_NO_ERROR;
}

Status RaiseProvider::raise(std::span<const ClassObject> events, const Principal& raiser) {
  const std::shared_ptr<EventSink> sink = sink_.load();
  if (!sink) return WBEM_S_FALSE;
  const SecurityDescriptor asRaiser = SecurityDescriptor::parse("O:" + raiser.sid());
  std::lock_guard lock(raiseMutex_);
  sink->setSinkSecurity(asRaiser);
  return sink->indicate(events);
}

}  // namespace wbem::server
