#pragma once
// An event provider for benchmarks: keeps the sink provideEvents() hands it, through which the
// benchmark raises events. Thread-safe.

#include <wbem/event_provider.hpp>

#include <memory>
#include <mutex>

namespace wbembench {

class KeepingProvider : public wbem::EventProvider {
 public:
  wbem::Status provideEvents(std::shared_ptr<wbem::EventSink> sink, std::int32_t) override {
    std::lock_guard lock(mutex_);
    sink_ = std::move(sink);
    return wbem::WBEM_S_NO_ERROR;
  }
  /// The sink given last, or null before provideEvents.
  std::shared_ptr<wbem::EventSink> sink() {
    std::lock_guard lock(mutex_);
    return sink_;
  }

 private:
  std::mutex mutex_;
  std::shared_ptr<wbem::EventSink> sink_;
};

}  // namespace wbembench
