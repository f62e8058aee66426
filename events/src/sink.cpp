#include "sink.hpp"

#include <wbem/overlap.hpp>

#include <algorithm>
#include <chrono>
#include <spdlog/spdlog.h>
#include <thread>

namespace wbem::detail {
namespace {

constexpr std::size_t kMaxCachedClasses = 32;
constexpr std::size_t kStackBatch = 64;

// FILETIME: 100 ns intervals since 1601-01-01 UTC (TIME_CREATED).
std::uint64_t fileTime(Clock::WallTime t) {
  constexpr std::uint64_t kUnixEpochAsFileTime = 116444736000000000ULL;
  const auto ticks =
      std::chrono::duration_cast<std::chrono::duration<std::int64_t, std::ratio<1, 10'000'000>>>(t.time_since_epoch());
  return kUnixEpochAsFileTime + static_cast<std::uint64_t>(ticks.count());
}

bool isEventClassDef(const ClassDef& def) {
  return def.inheritsFrom("__ExtrinsicEvent") || def.inheritsFrom("__InstanceOperationEvent") ||
         def.inheritsFrom("__ClassOperationEvent") || def.inheritsFrom("__NamespaceOperationEvent") ||
         def.inheritsFrom("__TimerEvent") || def.inheritsFrom("__AggregateEvent");
}

}  // namespace

std::uint32_t approximateSize(const ClassObject& object) {
  std::size_t bytes = sizeof(ClassObject);
  const std::size_t count = object.definition().properties().size();
  for (PropertySlot slot = 0; slot < count; ++slot) {
    const Value& v = object.get(slot);
    bytes += sizeof(Value);
    if (v.isNull()) continue;
    if (v.isArray()) {
      bytes += v.asArray().size() * sizeof(Value);
    } else if (v.type() == CimType::String || v.type() == CimType::Reference) {
      bytes += v.asString().size();
    } else if (v.type() == CimType::Object) {
      bytes += approximateSize(*v.asObject());
    }
  }
  return static_cast<std::uint32_t>(std::min<std::size_t>(bytes, UINT32_MAX));
}

SinkImpl::SinkImpl(EventService::Impl& service, NamespaceState& ns, ProviderState* provider, unsigned dispatcher)
    : service_(service),
      ns_(ns),
      provider_(provider),
      dispatcher_(dispatcher),
      token_(std::make_unique<ProducerToken>(service.ingestFor(*this).queue)) {}

SinkImpl::~SinkImpl() = default;

const SinkImpl::ClassInfo& SinkImpl::classInfo(const ClassObject& object) {
  const ClassDef* def = &object.definition();
  if (const ClassList* list = classes_.load(std::memory_order_acquire)) {
    for (const ClassInfo& info : *list)
      if (info.def.get() == def) return info;
  }
  std::lock_guard lock(classMutex_);
  const ClassList* current = classes_.load(std::memory_order_acquire);
  if (current) {
    for (const ClassInfo& info : *current)
      if (info.def.get() == def) return info;
  }
  auto next = std::make_unique<ClassList>(current ? *current : ClassList{});
  if (next->size() >= kMaxCachedClasses) next->clear();  // a provider cycling through classes
  next->push_back(ClassInfo{object.sharedDefinition(), isEventClassDef(*def), object.slotOf("TIME_CREATED")});
  const ClassList* published = next.get();
  classVersions_.push_back(std::move(next));
  classes_.store(published, std::memory_order_release);
  return published->back();
}

Status SinkImpl::indicate(std::span<const ClassObject> objects, bool subjectToSds) {
  return enqueue(objects, subjectToSds, 0);
}

Status SinkImpl::raise(std::span<const ClassObject> objects, std::uint8_t flags) {
  return enqueue(objects, false, flags);
}

Status SinkImpl::enqueue(std::span<const ClassObject> objects, bool subjectToSds, std::uint8_t flags) {
  // Sequentially consistent, so that release() either sees this call or the call sees release().
  if (released_.load()) return WBEM_E_CALL_CANCELLED;
  calls_.fetch_add(1);
  struct CallGuard {
    std::atomic<int>& calls;
    ~CallGuard() { calls.fetch_sub(1); }
  } guard{calls_};
  if (released_.load()) return WBEM_E_CALL_CANCELLED;

  for (const ClassObject& object : objects)
    if (!object.isInstance() || !classInfo(object).isEvent) return WBEM_E_INVALID_PARAMETER;

  // A restricted sink forwards only what one of its queries matches; each object is judged once.
  const bool restricted = !restriction_.empty();
  std::vector<char> wanted;  // per object, for a restricted sink only
  std::size_t accepted = objects.size();
  if (restricted) {
    accepted = 0;
    for (const ClassObject& object : objects) {
      const bool match = std::any_of(restriction_.begin(), restriction_.end(),
                                     [&](const RegisteredQuery& q) { return q.filter->matches(object); });
      wanted.push_back(match);
      accepted += match;
    }
    if (accepted == 0) return WBEM_S_NO_ERROR;
  }

  const auto n = static_cast<std::int64_t>(accepted);
  if (pending_.fetch_add(n, std::memory_order_relaxed) + n >
      static_cast<std::int64_t>(service_.options_.ingestQueueLimit)) {
    pending_.fetch_sub(n, std::memory_order_relaxed);
    rejected_.fetch_add(accepted, std::memory_order_relaxed);
    return WBEM_E_SERVER_TOO_BUSY;
  }

  const std::uint64_t created = fileTime(service_.clock_->wallNow());
  std::uint8_t itemFlags = flags;
  if (batchFlags_.load(std::memory_order_relaxed) == WBEM_FLAG_MUST_NOT_BATCH) itemFlags |= kDeliverAlone;
  if (subjectToSds) itemFlags |= kSubjectToSds;

  // The first thread to indicate owns the sink's producer token.
  const std::thread::id self = std::this_thread::get_id();
  std::thread::id owner = tokenOwner_.load(std::memory_order_relaxed);
  if (owner == std::thread::id() && tokenOwner_.compare_exchange_strong(owner, self)) owner = self;
  const bool ownsToken = owner == self;
  auto enqueueAll = [&](Ingest* items, std::size_t count) {
    auto& queue = service_.ingestFor(*this).queue;
    const bool queued = ownsToken ? queue.enqueue_bulk(*token_, std::make_move_iterator(items), count)
                                  : queue.enqueue_bulk(std::make_move_iterator(items), count);
    if (!queued) throw std::bad_alloc();
  };

  const SecurityDescriptor* sinkSecurity = security();
  Ingest stack[kStackBatch];
  std::size_t used = 0;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    if (restricted && !wanted[i]) continue;
    const ClassObject& object = objects[i];
    const ClassInfo& info = classInfo(object);
    ObjectPtr event = service_.pool_->make(object, [&](ClassObject& copy) {
      copy.setOrigin({}, {});
      if (info.timeCreated && copy.get(*info.timeCreated).isNull())
        copy.putExact(*info.timeCreated, Value(static_cast<std::uint64_t>(created)));
    });
    if (provider_ && ns_.synchronousCount.load(std::memory_order_acquire) > 0)
      service_.deliverSynchronously(ns_, event, *this, sinkSecurity, itemFlags);
    const std::uint32_t bytes = approximateSize(*event);
    stack[used++] = Ingest{std::move(event), this, sinkSecurity, bytes, itemFlags};
    if (used == kStackBatch) {
      enqueueAll(stack, used);
      used = 0;
    }
  }
  if (used) enqueueAll(stack, used);
  service_.ingestFor(*this).notify();
  return WBEM_S_NO_ERROR;
}

Status SinkImpl::setStatus(std::int32_t flags, Status result) {
  spdlog::warn("event provider {} called SetStatus({}, {}) on its event sink; event providers use only Indicate",
               provider_ ? provider_->name : std::string("(system)"), flags, statusName(result));
  return WBEM_S_NO_ERROR;
}

Status SinkImpl::isActive() const {
  if (released_.load()) return WBEM_S_FALSE;  // the provider was shut down (or the service stopped)
  if (restriction_.empty()) {
    if (!provider_) return WBEM_S_NO_ERROR;
    return provider_->concernedCount.load(std::memory_order_acquire) > 0 ? WBEM_S_NO_ERROR : WBEM_S_FALSE;
  }
  std::shared_lock lock(service_.tableMutex_);
  for (const auto& [id, subscription] : service_.table_) {
    if (subscription->ns != &ns_) continue;
    for (const RegisteredQuery& q : restriction_)
      if (queriesOverlap(*q.filter, *subscription->filter, *ns_.ns)) return WBEM_S_NO_ERROR;
  }
  return WBEM_S_FALSE;
}

std::shared_ptr<EventSink> SinkImpl::getRestrictedSink(const std::vector<std::string>& queries) {
  if (released_.load()) throw Error(WBEM_E_CALL_CANCELLED, "the sink was released");
  if (queries.empty()) throw Error(WBEM_E_INVALID_PARAMETER, "GetRestrictedSink needs at least one query");
  std::vector<RegisteredQuery> restriction;
  for (const std::string& text : queries)
    restriction.push_back({text, QueryFilter::compile(text, *ns_.ns, QueryKind::Notification)});
  auto sink = service_.makeSink(ns_, provider_, true, publisher_);
  sink->restriction_ = std::move(restriction);
  sink->setBatchingParameters(batchFlags_.load(), maxBufferSize_.load(), maxSendLatencyMs_.load());
  if (const SecurityDescriptor* sd = security()) sink->setSinkSecurity(*sd);
  return sink;
}

void SinkImpl::setSinkSecurity(const SecurityDescriptor& descriptor) {
  std::lock_guard lock(securityMutex_);
  // A descriptor set before is taken again, so that a provider switching between a few (as the
  // daemon's raise provider does per client) keeps a short history.
  auto known = std::find_if(securityHistory_.begin(), securityHistory_.end(),
                            [&](const std::unique_ptr<SecurityDescriptor>& s) { return *s == descriptor; });
  if (known == securityHistory_.end())
    known = securityHistory_.insert(securityHistory_.end(), std::make_unique<SecurityDescriptor>(descriptor));
  security_.store(known->get(), std::memory_order_release);
}

Status SinkImpl::setBatchingParameters(std::int32_t flags, std::uint32_t maxBufferSize,
                                       std::uint32_t maxSendLatencyMs) {
  if (flags != WBEM_FLAG_BATCH_IF_NEEDED && flags != WBEM_FLAG_MUST_BATCH && flags != WBEM_FLAG_MUST_NOT_BATCH)
    return WBEM_E_INVALID_PARAMETER;
  if (flags == WBEM_FLAG_MUST_BATCH && maxBufferSize == 0 && maxSendLatencyMs == WBEM_INFINITE)
    return WBEM_E_INVALID_PARAMETER;
  maxBufferSize_.store(maxBufferSize, std::memory_order_relaxed);
  maxSendLatencyMs_.store(maxSendLatencyMs, std::memory_order_relaxed);
  batchFlags_.store(flags, std::memory_order_release);
  return WBEM_S_NO_ERROR;
}

void SinkImpl::release() {
  released_.store(true);
  while (calls_.load() != 0) std::this_thread::yield();
  token_.reset();  // the token must not outlive the ingest queue, which the sink may
}

}  // namespace wbem::detail
