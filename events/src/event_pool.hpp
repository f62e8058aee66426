#pragma once
// Pooled event snapshots: indicate() copies each event into a recycled record and hands it on as
// an ObjectPtr whose control block lives inside the record, so that the hot path pays no malloc
// on the provider's thread and no free on the consumer's.

#include <wbem/classobject.hpp>
#include <wbem/detail/concurrent_queue.hpp>

#include <atomic>
#include <cstddef>
#include <memory>

namespace wbem::detail {

/// A bounded set of reusable event records. make() takes a free record (or a new one) and copies
/// the event into it; when the last ObjectPtr to it goes, on whatever thread, the record returns
/// to the free list. Records beyond `capacity` are freed instead of kept.
/// Safety: make() and the records' release are thread-safe and lock-free; close() is called once
/// by the owner, after which records are freed as they are released.
class EventPool : public std::enable_shared_from_this<EventPool> {
 public:
  /// A pool keeping at most `capacity` records for reuse.
  static std::shared_ptr<EventPool> create(std::size_t capacity);
  ~EventPool();

  struct Record;
  /// Free records one thread takes from the pool in bulk (fewer operations on the shared free
  /// list). Each thread has one (thread_local), given back when the thread ends or turns to
  /// another pool.
  struct Cache {
    static constexpr std::size_t kCapacity = 32;
    std::shared_ptr<EventPool> pool;
    Record* records[kCapacity];
    std::size_t size = 0;
    ~Cache();
  };

  /// A shared copy of `source` (assigned into a recycled record, reusing its storage); `prepare`
  /// adjusts the copy before it is shared. Records come through the calling thread's cache.
  /// Thread-safe.
  template <typename Prepare>
  ObjectPtr make(const ClassObject& source, Prepare&& prepare) {
    Record* record = acquire();
    ClassObject& copy = assign(record, source);
    prepare(copy);
    return share(record);
  }

  /// Stops keeping records: free ones are freed now, the rest when released. Called once.
  void close();
  /// Records currently kept for reuse (for tests). Thread-safe.
  std::size_t freeRecords() const { return free_.size_approx(); }

 private:
  template <typename T>
  friend struct RecordAllocator;

  explicit EventPool(std::size_t capacity) : capacity_(capacity) {}
  Record* acquire();
  static ClassObject& assign(Record* record, const ClassObject& source);
  ObjectPtr share(Record* record);
  // Returns a record the last ObjectPtr let go of: kept ones gather in the releasing thread's
  // batch and go back to the free list 32 at a time (one queue operation, not 32).
  static void release(Record* record) noexcept;
  // Returns one record to its pool's free list at once (or frees it).
  static void returnNow(Record* record) noexcept;
  struct ReleaseBatch;
  void drain() noexcept;

  std::size_t capacity_;
  std::atomic<std::size_t> kept_{0};  // records created to be kept
  std::atomic<bool> closed_{false};
  ConcurrentQueue<Record*> free_;
};

}  // namespace wbem::detail
