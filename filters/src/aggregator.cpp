// Aggregator: GROUP WITHIN / BY / HAVING. Groups are keyed by an encoding of their BY values in
// which values WQL's `=` finds equal encode alike.

#include <wbem/aggregator.hpp>
#include <wbem/names.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "filter_detail.hpp"

namespace wbem {

struct Aggregator::Group {
  std::uint64_t sequence = 0;
  TimePoint deadline;
  std::uint32_t count = 0;
  ObjectPtr representative;
  std::vector<Value> values;  // one per BY path, from the first event
};

namespace {

// Appends a number so that equal values of any numeric type encode alike.
void encodeNumber(std::string& out, const Value& v) {
  char buffer[40];
  std::to_chars_result r{};
  const CimType t = v.type();
  if (t == CimType::Char16)
    r = std::to_chars(buffer, buffer + sizeof buffer, std::uint64_t{v.asChar16()});
  else if (isInteger(t) && isSigned(t))
    r = std::to_chars(buffer, buffer + sizeof buffer, v.asInt64());
  else if (isInteger(t))
    r = std::to_chars(buffer, buffer + sizeof buffer, v.asUInt64());
  else {
    const double d = v.asReal();
    if (d == std::trunc(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
      r = std::to_chars(buffer, buffer + sizeof buffer, static_cast<std::int64_t>(d));
    else if (d == std::trunc(d) && d >= 0 && d < 18446744073709551616.0)
      r = std::to_chars(buffer, buffer + sizeof buffer, static_cast<std::uint64_t>(d));
    else
      r = std::to_chars(buffer, buffer + sizeof buffer, d);
  }
  out.push_back('n');
  out.append(buffer, r.ptr);
}

// Appends one BY value, length-prefixed so that tuples cannot run into each other.
void encodeValue(std::string& out, const Value& v) {
  std::string part;
  if (v.isNull()) {
    part = "z";
  } else if (v.isArray() || v.type() == CimType::Object || v.type() == CimType::DateTime ||
             v.type() == CimType::Reference) {
    part = v.toMof();
    part.insert(part.begin(), 'o');
  } else if (v.type() == CimType::String) {
    part = "s";
    for (char32_t c : detail::foldString(v.asString()))
      for (int shift = 0; shift < 32; shift += 8) part.push_back(static_cast<char>((c >> shift) & 0xFF));
  } else if (v.type() == CimType::Boolean) {
    part = v.asBool() ? "b1" : "b0";
  } else {
    encodeNumber(part, v);
  }
  out += std::to_string(part.size());
  out.push_back(':');
  out += part;
}

bool compareCount(std::uint32_t count, WqlOp op, std::uint64_t k) {
  switch (op) {
    case WqlOp::Equal:
      return count == k;
    case WqlOp::NotEqual:
      return count != k;
    case WqlOp::Less:
      return count < k;
    case WqlOp::LessEqual:
      return count <= k;
    case WqlOp::Greater:
      return count > k;
    case WqlOp::GreaterEqual:
      return count >= k;
    default:
      return true;
  }
}

}  // namespace

std::string Aggregator::propertyName(const WqlPath& path) {
  std::string name;
  for (const std::string& part : path.names) {
    if (!name.empty()) name.push_back('_');
    name += part;
  }
  return name;
}

Aggregator::Aggregator(std::shared_ptr<const QueryFilter> filter, const Namespace& ns, Clock clock)
    : filter_(std::move(filter)), clock_(std::move(clock)) {
  if (!filter_ || !filter_->query().groupWithin)
    throw Error(WBEM_E_INVALID_PARAMETER, "Aggregator: the filter has no GROUP WITHIN clause");
  aggregateClass_ = ns.getClass("__AggregateEvent");
  window_ = std::chrono::seconds(*filter_->query().groupWithin);
  for (const WqlPath& path : filter_->query().groupBy) {
    std::string name = propertyName(path);
    const bool reserved = iequals(name, "NumberOfEvents") || iequals(name, "Representative");
    const auto same = std::find_if(byNames_.begin(), byNames_.end(), [&](const auto& n) { return iequals(n, name); });
    if (same != byNames_.end() || reserved) {
      if (!reserved && lowerName(byPaths_[same - byNames_.begin()].path().toString()) == lowerName(path.toString()))
        continue;  // `BY S, S`: one property
      throw Error(WBEM_E_INVALID_QUERY,
                  "GROUP BY " + path.toString() + ": the aggregate property " + name + " is already taken",
                  path.position);
    }
    byPaths_.emplace_back(path, filter_->fromClass()->sharedDefinition());
    byNames_.push_back(std::move(name));
  }
}

Aggregator::~Aggregator() = default;

void Aggregator::add(const ClassObject& event) { add(event, clock_()); }

void Aggregator::add(const ClassObject& event, TimePoint now) {
  std::vector<Value> values;
  values.reserve(byPaths_.size());
  std::string key;
  for (const CompiledPath& path : byPaths_) {
    Value scratch;
    values.push_back(path.read(event, scratch));
    encodeValue(key, values.back());
  }
  std::lock_guard lock(mutex_);
  auto it = groups_.find(key);
  if (it != groups_.end() && it->second->deadline <= now) {
    closed_.push_back(std::move(it->second));
    groups_.erase(it);
    it = groups_.end();
  }
  if (it == groups_.end()) {
    auto group = std::make_unique<Group>();
    group->sequence = sequence_++;
    group->deadline = now + window_;
    group->representative = share(event);
    group->values = std::move(values);
    it = groups_.emplace(std::move(key), std::move(group)).first;
  }
  if (it->second->count < std::numeric_limits<std::uint32_t>::max()) ++it->second->count;
}

bool Aggregator::passesHaving(std::uint32_t count) const {
  const auto& having = filter_->query().having;
  if (!having) return true;
  return compareCount(count, having->op, having->literal.asUInt64());
}

ClassObject Aggregator::makeAggregate(const Group& group) const {
  ClassObject cls = *aggregateClass_;
  for (std::size_t i = 0; i < byNames_.size(); ++i) {
    const Value& v = group.values[i];
    const CimType type = v.type() == CimType::Empty ? CimType::String : v.type();
    cls.putProperty(byNames_[i], PropertyType{type, v.isArray(), std::nullopt, {}});
  }
  ClassObject aggregate = cls.spawnInstance();
  aggregate.put("NumberOfEvents", Value(group.count));
  aggregate.put("Representative", Value(group.representative));
  for (std::size_t i = 0; i < byNames_.size(); ++i) {
    const Value& v = group.values[i];
    const auto slot = aggregate.slotOf(byNames_[i]);
    aggregate.putExact(*slot, v.type() == CimType::Empty ? Value::null(CimType::String) : v);
  }
  return aggregate;
}

std::vector<ClassObject> Aggregator::flush(TimePoint now) {
  std::vector<std::unique_ptr<Group>> done;
  {
    std::lock_guard lock(mutex_);
    done = std::move(closed_);
    closed_.clear();
    for (auto it = groups_.begin(); it != groups_.end();) {
      if (it->second->deadline <= now) {
        done.push_back(std::move(it->second));
        it = groups_.erase(it);
      } else {
        ++it;
      }
    }
  }
  std::sort(done.begin(), done.end(), [](const auto& a, const auto& b) { return a->sequence < b->sequence; });
  std::vector<ClassObject> out;
  for (const auto& group : done)
    if (passesHaving(group->count)) out.push_back(makeAggregate(*group));
  return out;
}

std::vector<ClassObject> Aggregator::poll() { return flush(clock_()); }

std::vector<ClassObject> Aggregator::flushAll() { return flush(TimePoint::max()); }

std::optional<Aggregator::TimePoint> Aggregator::nextDeadline() const {
  std::lock_guard lock(mutex_);
  std::optional<TimePoint> next;
  for (const auto& group : closed_)
    if (!next || group->deadline < *next) next = group->deadline;
  for (const auto& [key, group] : groups_)
    if (!next || group->deadline < *next) next = group->deadline;
  return next;
}

}  // namespace wbem
