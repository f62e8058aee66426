#pragma once
// The consumer provider SDK: how permanent consumers receive their events. WMI mapping:
//   IWbemEventConsumerProvider::FindConsumer(logical, &sink) -> EventConsumerProvider::findConsumer(logical)
//   IWbemUnboundObjectSink::IndicateToConsumer(logical, n, objs)
//                                                 -> UnboundObjectSink::indicateToConsumer(logical, objects)
// A logical consumer is an instance of a subclass of __EventConsumer (LogFileEventConsumer{...});
// __EventConsumerProviderRegistration names the provider that serves its class.
//
// Writing a consumer is like writing an spdlog sink: derive from ConsumerSink and override
// consume(), which is handed one event at a time with the base class's lock held; serve it with
// SimpleConsumerProvider<YourSink>, and WBEM_CONSUMER_PLUGIN makes a shared library of it
// (docs/consumers.md, examples/consumer-plugin).

#include <wbem/classobject.hpp>
#include <wbem/status.hpp>

#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>

namespace wbem {

/// The physical consumer of one logical consumer (IWbemUnboundObjectSink).
class UnboundObjectSink {
 public:
  virtual ~UnboundObjectSink() = default;
  /// Delivers `objects`, each a separate event, to `logicalConsumer` (IndicateToConsumer). Returns
  /// WBEM_S_NO_ERROR, or an error: the batch is retried with backoff and, when it keeps failing,
  /// dropped with one __ConsumerFailureEvent per event. Must not keep references to the objects'
  /// insides past the call (hold the ObjectPtr to keep one). Safety: called by one delivery thread
  /// at a time per binding, but several bindings may share a sink, so it must be thread-safe.
  virtual Status indicateToConsumer(const ClassObject& logicalConsumer, std::span<const ObjectPtr> objects) = 0;
};

/// Hands out physical consumers (IWbemEventConsumerProvider).
class EventConsumerProvider {
 public:
  virtual ~EventConsumerProvider() = default;
  /// The sink for `logicalConsumer` (FindConsumer); throw wbem::Error to refuse it (WBEM_E_NOT_FOUND
  /// for a consumer it does not serve, WBEM_E_INVALID_PARAMETER for bad settings). Called again when
  /// the logical consumer changes. Safety: may be called from several threads at once.
  virtual std::shared_ptr<UnboundObjectSink> findConsumer(const ClassObject& logicalConsumer) = 0;
};

/// The base of a physical consumer: serialises calls and turns each batch into one consume() call
/// per event, then one flush(). An exception from consume() (wbem::Error keeps its status, anything
/// else is WBEM_E_FAILED) fails the batch, which is then retried whole unless the status says the
/// consumer refuses it (WBEM_E_ACCESS_DENIED, WBEM_E_INVALID_PARAMETER, ...): do the work whose
/// repetition would show in flush(), or make it idempotent. `Mutex` may be a null mutex for a sink the
/// plugin knows is used by one binding only.
template <typename Mutex = std::mutex>
class ConsumerSink : public UnboundObjectSink {
 public:
  /// Effect: consume()s each event in order, then flush(). Safety: thread-safe (holds the lock).
  Status indicateToConsumer(const ClassObject& logicalConsumer, std::span<const ObjectPtr> objects) final {
    std::lock_guard lock(mutex_);
    try {
      for (const ObjectPtr& event : objects) consume(logicalConsumer, *event);
      flush();
      return WBEM_S_NO_ERROR;
    } catch (const Error& e) {
      return e.status();
    } catch (...) {
      return WBEM_E_FAILED;
    }
  }

 protected:
  /// Handles one event for `logicalConsumer`; throw to fail. Called with the lock held.
  virtual void consume(const ClassObject& logicalConsumer, const ClassObject& event) = 0;
  /// Called after each batch, with the lock held (write out buffers here). Default: nothing.
  virtual void flush() {}

 private:
  Mutex mutex_;
};

/// A provider that makes one `Sink` per logical consumer, constructed as `Sink(logicalConsumer)`
/// (the constructor reads the consumer's settings and may throw wbem::Error to refuse them). A
/// logical consumer that changed gets a new sink; an unchanged one keeps its sink.
/// Safety: findConsumer is thread-safe.
template <typename Sink>
class SimpleConsumerProvider : public EventConsumerProvider {
 public:
  std::shared_ptr<UnboundObjectSink> findConsumer(const ClassObject& logicalConsumer) override {
    const std::string key = logicalConsumer.getObjectText();
    std::lock_guard lock(mutex_);
    auto& sink = sinks_[key];
    if (!sink) sink = std::make_shared<Sink>(logicalConsumer);
    return sink;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<UnboundObjectSink>> sinks_;
};

}  // namespace wbem

/// The ABI of consumer plugins. A plugin is a shared library built against this wbem version that
/// exports `wbem_consumer_plugin`, returning this table; the loader refuses a table whose
/// `abiVersion` differs from WBEM_CONSUMER_PLUGIN_ABI (C++ types cross the boundary, so plugins
/// are rebuilt when it changes).
#define WBEM_CONSUMER_PLUGIN_ABI 1u

extern "C" {
struct WbemConsumerPlugin {
  std::uint32_t abiVersion;
  /// Creates the provider. May throw (the loader reports it and loads nothing).
  wbem::EventConsumerProvider* (*create)();
};
}

/// Makes the shared library being built a consumer plugin serving `ProviderType` (default
/// constructible, derived from wbem::EventConsumerProvider). Use once, at namespace scope.
#define WBEM_CONSUMER_PLUGIN(ProviderType)                                                                       \
  extern "C" __attribute__((visibility("default"))) const WbemConsumerPlugin* wbem_consumer_plugin() {           \
    static const WbemConsumerPlugin plugin{WBEM_CONSUMER_PLUGIN_ABI,                                             \
                                           []() -> wbem::EventConsumerProvider* { return new ProviderType(); }}; \
    return &plugin;                                                                                              \
  }
