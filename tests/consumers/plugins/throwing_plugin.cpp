// A plugin whose provider's constructor throws: the loader must report it and load nothing.

#include <wbem/consumer_provider.hpp>

#include <stdexcept>

namespace {

class ThrowingProvider : public wbem::EventConsumerProvider {
 public:
  ThrowingProvider() { throw std::runtime_error("no configuration found"); }
  std::shared_ptr<wbem::UnboundObjectSink> findConsumer(const wbem::ClassObject&) override { return nullptr; }
};

}  // namespace

WBEM_CONSUMER_PLUGIN(ThrowingProvider)
