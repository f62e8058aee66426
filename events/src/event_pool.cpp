#include "event_pool.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <optional>

namespace wbem::detail {

struct EventPool::Record {
  std::optional<ClassObject> object;  // empty until first used; then assigned over, reusing storage
  std::shared_ptr<EventPool> pool;    // keeps the free list alive while the record is out
  bool kept = false;                  // returns to the free list rather than being freed
  // Released with release order before the record is queued as free and read with acquire order
  // when it is taken: the last reader's accesses happen before the next writer's, explicitly
  // rather than through the queue's fences (which ThreadSanitizer cannot see).
  std::atomic<std::uint32_t> handoff{0};
  // Storage for the shared_ptr control block, so that sharing a record allocates nothing.
  alignas(std::max_align_t) unsigned char controlBlock[64];
};

// Places the control block inside its record. deallocate() runs after the control block is
// destroyed, which makes it the safe point to recycle the record.
template <typename T>
struct RecordAllocator {
  using value_type = T;
  EventPool::Record* record;

  explicit RecordAllocator(EventPool::Record* r) noexcept : record(r) {}
  template <typename U>
  RecordAllocator(const RecordAllocator<U>& other) noexcept : record(other.record) {}

  T* allocate(std::size_t n) {
    static_assert(sizeof(T) <= sizeof(EventPool::Record::controlBlock), "control block does not fit its record");
    if (n != 1) throw std::bad_alloc();
    return reinterpret_cast<T*>(record->controlBlock);
  }
  void deallocate(T*, std::size_t) noexcept { EventPool::release(record); }

  template <typename U>
  bool operator==(const RecordAllocator<U>& other) const noexcept {
    return record == other.record;
  }
};

std::shared_ptr<EventPool> EventPool::create(std::size_t capacity) {
  return std::shared_ptr<EventPool>(new EventPool(capacity));
}

EventPool::~EventPool() { drain(); }

EventPool::Cache::~Cache() {
  while (size != 0) returnNow(records[--size]);
}

struct EventPool::ReleaseBatch {
  static constexpr std::size_t kCapacity = 32;
  EventPool* pool = nullptr;  // kept alive by the records in the batch
  Record* records[kCapacity];
  std::size_t size = 0;

  ~ReleaseBatch() { flush(); }
  void flush() noexcept {
    if (size == 0) return;
    EventPool& target = *pool;
    // Hold the pool: once the records are queued, a concurrent close() may free them and with
    // them the last references to it.
    std::shared_ptr<EventPool> keepAlive = records[0]->pool;
    target.free_.enqueue_bulk(records, size);
    size = 0;
    if (target.closed_.load(std::memory_order_acquire)) target.drain();
  }
};

EventPool::Record* EventPool::acquire() {
  thread_local Cache cache;
  if (cache.pool.get() != this) {
    while (cache.size != 0) returnNow(cache.records[--cache.size]);
    cache.pool = shared_from_this();
  }
  if (cache.size == 0 && !closed_.load(std::memory_order_relaxed))
    cache.size = free_.try_dequeue_bulk(cache.records, Cache::kCapacity);
  Record* record = nullptr;
  if (cache.size != 0) {
    record = cache.records[--cache.size];
    (void)record->handoff.load(std::memory_order_acquire);
    return record;
  }
  record = new Record;
  record->pool = shared_from_this();
  // Keep it only while under capacity and open; beyond that it is freed on release.
  if (!closed_.load(std::memory_order_relaxed) && kept_.fetch_add(1, std::memory_order_relaxed) < capacity_) {
    record->kept = true;
  }
  return record;
}

ClassObject& EventPool::assign(Record* record, const ClassObject& source) {
  if (record->object)
    *record->object = source;
  else
    record->object.emplace(source);
  return *record->object;
}

ObjectPtr EventPool::share(Record* record) {
  // The record's object with a no-op deleter: the record's lifetime is the pool's.
  return ObjectPtr(
      &*record->object, [](const ClassObject*) noexcept {}, RecordAllocator<ClassObject>(record));
}

void EventPool::release(Record* record) noexcept {
  EventPool* pool = record->pool.get();
  if (!record->kept || pool->closed_.load(std::memory_order_acquire)) return returnNow(record);
  record->handoff.fetch_add(1, std::memory_order_release);
  thread_local ReleaseBatch batch;
  if (batch.size != 0 && batch.pool != pool) batch.flush();
  batch.pool = pool;
  batch.records[batch.size++] = record;
  if (batch.size == ReleaseBatch::kCapacity) batch.flush();
}

void EventPool::returnNow(Record* record) noexcept {
  EventPool& pool = *record->pool;
  if (record->kept && !pool.closed_.load(std::memory_order_acquire)) {
    record->handoff.fetch_add(1, std::memory_order_release);
    pool.free_.enqueue(record);
    // close() may have drained just before this enqueue: drain again so nothing stays behind.
    if (pool.closed_.load(std::memory_order_acquire)) pool.drain();
    return;
  }
  std::shared_ptr<EventPool> keepAlive = std::move(record->pool);
  delete record;
}

void EventPool::close() {
  closed_.store(true, std::memory_order_release);
  drain();
}

void EventPool::drain() noexcept {
  // The records' references to the pool are let go only after the loop's last use of it: the
  // last one may destroy the pool.
  std::shared_ptr<EventPool> keepAlive;
  Record* record = nullptr;
  while (free_.try_dequeue(record)) {
    keepAlive = std::move(record->pool);
    delete record;
  }
}

}  // namespace wbem::detail
