#pragma once
// The EventSink the service hands to providers (and uses itself for intrinsic, timer and system
// events): copies events into pooled records and queues them for its dispatcher, lock-free.

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "service_impl.hpp"

namespace wbem::detail {

struct SinkImpl final : EventSink, std::enable_shared_from_this<SinkImpl> {
  SinkImpl(EventService::Impl& service, NamespaceState& ns, ProviderState* provider, unsigned dispatcher);
  ~SinkImpl() override;

  Status indicate(std::span<const ClassObject> objects, bool subjectToSds) override;
  Status setStatus(std::int32_t flags, Status result) override;
  Status isActive() const override;
  std::shared_ptr<EventSink> getRestrictedSink(const std::vector<std::string>& queries) override;
  void setSinkSecurity(const SecurityDescriptor& descriptor) override;
  Status setBatchingParameters(std::int32_t flags, std::uint32_t maxBufferSize,
                               std::uint32_t maxSendLatencyMs) override;

  /// indicate() with delivery flags, for the service's own events. Thread-safe, lock-free.
  Status raise(std::span<const ClassObject> objects, std::uint8_t flags);
  /// Refuses every later indicate() and waits for running ones to finish. Thread-safe.
  void release();
  /// The descriptor set by setSinkSecurity, or null. Thread-safe.
  const SecurityDescriptor* security() const noexcept { return security_.load(std::memory_order_acquire); }

  EventService::Impl& service_;
  NamespaceState& ns_;
  ProviderState* provider_;  // null for the namespace's system sink
  unsigned dispatcher_;
  // Whom the provider's events are raised as: its registrant when the sink was made. None for the
  // service's own events and for providers bound with the service's own identity, which it trusts.
  std::optional<Principal> publisher_;
  std::vector<RegisteredQuery> restriction_;  // a restricted sink's queries

  // Events queued, not yet dispatched: raised by the provider's thread, lowered by the dispatcher;
  // on its own cache line so that the sink's other fields do not bounce with it.
  alignas(64) std::atomic<std::int64_t> pending_{0};
  alignas(64) std::atomic<std::uint64_t> dispatched_{0};  // counted by the dispatcher
  std::atomic<std::uint64_t> rejected_{0};

  // Batching (setBatchingParameters), read by the dispatcher.
  std::atomic<std::int32_t> batchFlags_{WBEM_FLAG_BATCH_IF_NEEDED};
  std::atomic<std::uint32_t> maxBufferSize_{0};
  std::atomic<std::uint32_t> maxSendLatencyMs_{WBEM_INFINITE};
  // Events a MUST_BATCH sink holds; touched only by its dispatcher thread.
  std::vector<Ingest> held_;
  std::uint64_t heldBytes_ = 0;
  Clock::TimePoint heldSince_{};
  std::atomic<std::size_t> heldCount_{0};  // held_.size(), for other threads (waitIdle)

 private:
  // What indicate() needs to know of an event's class, found once per class.
  struct ClassInfo {
    std::shared_ptr<const ClassDef> def;  // held, so that the address stays unique
    bool isEvent = false;
    std::optional<PropertySlot> timeCreated;
  };
  using ClassList = std::vector<ClassInfo>;

  Status enqueue(std::span<const ClassObject> objects, bool subjectToSds, std::uint8_t flags);
  const ClassInfo& classInfo(const ClassObject& object);

  std::atomic<bool> released_{false};
  alignas(64) std::atomic<int> calls_{0};  // indicate() calls running, touched by provider threads only
  // The first thread to indicate uses the sink's producer token (fastest); others use their own
  // implicit producer. Each thread thus always takes the same path, which keeps its order.
  std::atomic<std::thread::id> tokenOwner_{};
  std::unique_ptr<ProducerToken> token_;
  // Classes seen, as an immutable list replaced (copied and extended) under classMutex_; old
  // lists are kept because readers hold them without a lock.
  std::atomic<const ClassList*> classes_{nullptr};
  std::mutex classMutex_;
  std::vector<std::unique_ptr<const ClassList>> classVersions_;
  std::atomic<const SecurityDescriptor*> security_{nullptr};
  std::mutex securityMutex_;
  std::vector<std::unique_ptr<SecurityDescriptor>> securityHistory_;  // kept: readers hold raw pointers
};

}  // namespace wbem::detail
