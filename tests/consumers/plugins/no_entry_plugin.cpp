// A shared library that is not a consumer plugin: it lacks wbem_consumer_plugin.

extern "C" __attribute__((visibility("default"))) int notAPlugin() { return 42; }
