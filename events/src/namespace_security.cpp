// Namespace security: each namespace's own descriptor or the one it inherits, kept in the
// repository, judged by Namespace on every call, and served to callers by __SystemSecurity.

#include <wbem/event_service.hpp>
#include <wbem/names.hpp>

#include <cstdio>

#include "service_impl.hpp"

namespace wbem {
namespace {

constexpr std::uint32_t kEveryoneRights = WBEM_ENABLE | WBEM_METHOD_EXECUTE | WBEM_RIGHT_SUBSCRIBE;

// GetSD, SetSD and InheritSD of one namespace's __SystemSecurity.
class SystemSecurityProvider final : public MethodProvider {
 public:
  SystemSecurityProvider(EventService::Impl& service, std::string ns) : service_(service), ns_(std::move(ns)) {}

  void execMethod(const MethodCall& call, ClassObject& out) override {
    if (iequals(call.method, "GetSD")) {
      const NamespaceSecurity security = service_.securityOf(ns_);
      out.put("SD", security.descriptor.toValue());
      out.put("Inherited", Value(security.inherited));
    } else if (iequals(call.method, "SetSD")) {
      const Value& sd = call.inParameters.get("SD");
      if (sd.isNull()) throw Error(WBEM_E_INVALID_PARAMETER, "SetSD needs SD, a security descriptor");
      service_.setSecurity(ns_, SecurityDescriptor::fromValue(sd));
    } else {  // InheritSD: the class declares no other method
      service_.setSecurity(ns_, std::nullopt);
    }
    out.put(kReturnValue, Value(std::uint32_t{0}));
  }

 private:
  EventService::Impl& service_;
  const std::string ns_;
};

}  // namespace

SecurityDescriptor EventService::defaultNamespaceSecurity() {
  static const SecurityDescriptor descriptor = [] {
    const auto hex = [](std::uint32_t rights) {
      char text[16];
      std::snprintf(text, sizeof text, "0x%X", rights);
      return std::string(text);
    };
    std::string sddl = "O:BAG:BAD:(A;;" + hex(kAllNamespaceRights) + ";;;BA)";
    // A service run by an ordinary user (its own wbemd, an application) serves that user fully.
    const Principal& self = Principal::current();
    if (!self.admin) sddl += "(A;;" + hex(kAllNamespaceRights) + ";;;" + self.sid() + ")";
    sddl += "(A;;" + hex(kEveryoneRights) + ";;;WD)";
    return SecurityDescriptor::parse(sddl);
  }();
  return descriptor;
}

void EventService::Impl::applySecurityLocked() {
  const auto fallback = std::make_shared<const SecurityDescriptor>(EventService::defaultNamespaceSecurity());
  // Parents sort before their children (a prefix sorts first), so each inherits an updated parent.
  std::map<std::string, std::shared_ptr<const SecurityDescriptor>, NameLess> effective;
  for (auto& [name, state] : namespaces_) {
    std::shared_ptr<const SecurityDescriptor> descriptor;
    if (state->ownSecurity) {
      descriptor = std::make_shared<const SecurityDescriptor>(*state->ownSecurity);
    } else {
      auto parent = effective.find(detail::parentNamespace(name));
      descriptor = parent == effective.end() ? fallback : parent->second;
    }
    state->ns->setSecurity(descriptor);
    effective.emplace(name, std::move(descriptor));
  }
}

void EventService::Impl::serveSystemSecurity(detail::NamespaceState& state) {
  state.ns->registerMethodProvider(kSystemSecurityProvider,
                                   std::make_shared<SystemSecurityProvider>(*this, state.ns->name()));
}

NamespaceSecurity EventService::Impl::securityOf(std::string_view ns) const {
  const detail::NamespaceState& target = state(ns);
  target.ns->requireAccess(READ_CONTROL, "reading the security descriptor");
  std::lock_guard lock(mutex_);
  return NamespaceSecurity{*target.ns->security(), !target.ownSecurity.has_value()};
}

void EventService::Impl::setSecurity(std::string_view ns, std::optional<SecurityDescriptor> descriptor) {
  detail::NamespaceState& target = state(ns);
  target.ns->requireAccess(WRITE_DAC, "changing the security descriptor");
  std::lock_guard lock(mutex_);
  if (options_.repository)  // stored first: may fail
    options_.repository->putNamespaceSecurity(target.ns->name(),
                                              descriptor ? std::optional(descriptor->toSddl()) : std::nullopt);
  target.ownSecurity = std::move(descriptor);
  applySecurityLocked();
}

NamespaceSecurity EventService::namespaceSecurity(std::string_view ns) const { return impl_->securityOf(ns); }

void EventService::setNamespaceSecurity(std::string_view ns, std::optional<SecurityDescriptor> descriptor) {
  impl_->setSecurity(ns, std::move(descriptor));
}

}  // namespace wbem
