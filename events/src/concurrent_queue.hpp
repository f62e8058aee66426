#pragma once
// The one place the moodycamel queues are included (Debian ships the headers without a CMake
// package): the lock-free MPMC queue the ingest, delivery and free lists are built on.

#include <concurrentqueue/blockingconcurrentqueue.h>
#include <concurrentqueue/concurrentqueue.h>

namespace wbem::detail {

template <typename T>
using ConcurrentQueue = moodycamel::ConcurrentQueue<T>;
template <typename T>
using BlockingConcurrentQueue = moodycamel::BlockingConcurrentQueue<T>;
using ProducerToken = moodycamel::ProducerToken;
using ConsumerToken = moodycamel::ConsumerToken;

}  // namespace wbem::detail
