#pragma once
// The one place the moodycamel queues are included (Debian ships the headers without a CMake
// package): the lock-free MPMC queues the ingest, delivery, run and free lists are built on, and
// the decoupled provider's send queue. Build-time only: not installed with the public headers.

#include <concurrentqueue/blockingconcurrentqueue.h>
#include <concurrentqueue/concurrentqueue.h>
#include <cstddef>

namespace wbem::detail {

// Larger blocks than the default 32 elements (fewer block hand-offs per bulk operation), and a
// short spin before a blocking wait sleeps: on a 2-core machine a long spin steals the core the
// producer needs.
struct QueueTraits : moodycamel::ConcurrentQueueDefaultTraits {
  static const std::size_t BLOCK_SIZE = 256;
  static const int MAX_SEMA_SPINS = 500;
};

// How many times a thread that found its queue empty yields and looks again before it blocks: a
// futex wake per event costs more than the event, and yielding lets a producer on the same core
// run meanwhile.
inline constexpr int kYieldsBeforeBlocking = 16;

// For the many small queues (one per consumer): small blocks, so that an idle consumer holds
// little memory.
struct SmallQueueTraits : moodycamel::ConcurrentQueueDefaultTraits {
  static const std::size_t BLOCK_SIZE = 32;
  static const int MAX_SEMA_SPINS = 500;
};

template <typename T>
using ConcurrentQueue = moodycamel::ConcurrentQueue<T, QueueTraits>;
template <typename T>
using BlockingConcurrentQueue = moodycamel::BlockingConcurrentQueue<T, QueueTraits>;
template <typename T>
using SmallBlockingQueue = moodycamel::BlockingConcurrentQueue<T, SmallQueueTraits>;
using ProducerToken = moodycamel::ProducerToken;
using ConsumerToken = moodycamel::ConsumerToken;

}  // namespace wbem::detail
