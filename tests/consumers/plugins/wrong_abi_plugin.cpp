// A plugin built for another plugin ABI: the loader must refuse it.

#include <wbem/consumer_provider.hpp>

extern "C" __attribute__((visibility("default"))) const WbemConsumerPlugin* wbem_consumer_plugin() {
  static const WbemConsumerPlugin plugin{WBEM_CONSUMER_PLUGIN_ABI + 41, nullptr};
  return &plugin;
}
