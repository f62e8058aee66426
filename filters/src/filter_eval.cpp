// Evaluation of QueryFilter: literals prepared once, conditions compiled per concrete class into a
// form that reads properties by slot, CompiledPath with its per-class slot memory, projection.

#include <wbem/filter.hpp>
#include <wbem/names.hpp>

#include "filter_detail.hpp"
#include "unicode_fold.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace wbem {
namespace detail {
namespace {

int threeWay(auto a, auto b) noexcept { return a < b ? -1 : (b < a ? 1 : 0); }

// Exact comparison of an integer with a double (no rounding of either); 2 means unordered (NaN).
int compareIntReal(std::int64_t a, double b) noexcept {
  if (std::isnan(b)) return 2;
  if (b >= 9223372036854775808.0) return -1;
  if (b < -9223372036854775808.0) return 1;
  const double t = std::trunc(b);
  const auto ti = static_cast<std::int64_t>(t);
  if (a != ti) return a < ti ? -1 : 1;
  return b > t ? -1 : (b < t ? 1 : 0);
}
int compareUIntReal(std::uint64_t a, double b) noexcept {
  if (std::isnan(b)) return 2;
  if (b < 0) return 1;
  if (b >= 18446744073709551616.0) return -1;
  const double t = std::trunc(b);
  const auto tu = static_cast<std::uint64_t>(t);
  if (a != tu) return a < tu ? -1 : 1;
  return b > t ? -1 : 0;
}
int compareIntUInt(std::int64_t a, std::uint64_t b) noexcept {
  return a < 0 ? -1 : threeWay(static_cast<std::uint64_t>(a), b);
}

// An integer property value against the operand's number; 2 = no numeric form (no match).
int compareInteger(const Value& v, const Operand& o) {
  const bool sig = isSigned(v.type());
  const std::int64_t i = sig ? v.asInt64() : 0;
  const std::uint64_t u = sig ? 0 : (v.type() == CimType::Char16 ? std::uint64_t{v.asChar16()} : v.asUInt64());
  switch (o.num) {
    case Operand::Num::Int: return sig ? threeWay(i, o.i) : -compareIntUInt(o.i, u);
    case Operand::Num::UInt: return sig ? compareIntUInt(i, o.u) : threeWay(u, o.u);
    case Operand::Num::Real: return sig ? compareIntReal(i, o.r) : compareUIntReal(u, o.r);
    case Operand::Num::None: break;
  }
  if (v.type() == CimType::Char16 && o.char16) return threeWay(u, std::uint64_t{*o.char16});
  return 2;
}

// A real property against the operand. A real32 property is compared with the literal rounded to
// real32, as WMI converts the constant to the property's type.
int compareReal(const Value& v, const Operand& o) {
  const double d = v.asReal();
  if (std::isnan(d)) return 2;
  const bool single = v.type() == CimType::Real32;
  switch (o.num) {
    case Operand::Num::Int: {
      const int c = compareIntReal(o.i, d);
      return c == 2 ? 2 : -c;
    }
    case Operand::Num::UInt: {
      const int c = compareUIntReal(o.u, d);
      return c == 2 ? 2 : -c;
    }
    case Operand::Num::Real: {
      const double r = single ? static_cast<double>(static_cast<float>(o.r)) : o.r;
      return std::isnan(r) ? 2 : threeWay(d, r);
    }
    case Operand::Num::None: break;
  }
  return 2;
}

bool apply(WqlOp op, int c) noexcept {
  if (c == 2) return op == WqlOp::NotEqual;  // unordered or unconvertible: only "differs" holds
  switch (op) {
    case WqlOp::Equal: return c == 0;
    case WqlOp::NotEqual: return c != 0;
    case WqlOp::Less: return c < 0;
    case WqlOp::LessEqual: return c <= 0;
    case WqlOp::Greater: return c > 0;
    case WqlOp::GreaterEqual: return c >= 0;
    default: return false;
  }
}

bool parseWholeInt(std::string_view s, Operand& o) {
  std::int64_t i = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
  if (ec == std::errc() && p == s.data() + s.size()) {
    o.num = Operand::Num::Int;
    o.i = i;
    return true;
  }
  std::uint64_t u = 0;
  auto [q, ec2] = std::from_chars(s.data(), s.data() + s.size(), u);
  if (ec2 == std::errc() && q == s.data() + s.size()) {
    o.num = Operand::Num::UInt;
    o.u = u;
    return true;
  }
  return false;
}

void parseWholeReal(const std::string& s, Operand& o) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s.front()))) return;
  char* end = nullptr;
  errno = 0;
  const double d = std::strtod(s.c_str(), &end);
  if (end == s.c_str() + s.size() && errno == 0 && std::isfinite(d)) {
    o.num = Operand::Num::Real;
    o.r = d;
  }
}

}  // namespace

Operand prepareOperand(const Value& literal) {
  Operand o;
  if (literal.isNull()) return o;
  o.null = false;
  switch (literal.type()) {
    case CimType::Boolean:
      o.boolean = literal.asBool();
      o.text = *o.boolean ? "TRUE" : "FALSE";
      break;
    case CimType::Real32:
    case CimType::Real64:
      o.num = Operand::Num::Real;
      o.r = literal.asReal();
      break;
    case CimType::String: {
      o.isString = true;
      o.text = literal.asString();
      if (iequals(o.text, "true") || iequals(o.text, "false")) o.boolean = iequals(o.text, "true");
      if (!parseWholeInt(o.text, o)) parseWholeReal(o.text, o);
      std::size_t i = 0;
      if (!o.text.empty()) {
        const char32_t c = decodeUtf8(o.text, i);
        if (i == o.text.size() && c <= 0xFFFF) o.char16 = static_cast<char16_t>(c);
      }
      try {
        o.dateTime = DateTime::parse(o.text);
      } catch (const Error&) {
      }
      try {
        o.path = ObjectPath::parse(o.text);
      } catch (const Error&) {
      }
      break;
    }
    default:
      if (isInteger(literal.type())) {
        if (isSigned(literal.type())) {
          o.num = Operand::Num::Int;
          o.i = literal.asInt64();
          o.text = std::to_string(o.i);
          o.boolean = o.i != 0;
          if (o.i >= 0 && o.i <= 0xFFFF) o.char16 = static_cast<char16_t>(o.i);
        } else {
          o.num = Operand::Num::UInt;
          o.u = literal.asUInt64();
          o.text = std::to_string(o.u);
          o.boolean = o.u != 0;
          if (o.u <= 0xFFFF) o.char16 = static_cast<char16_t>(o.u);
        }
      }
      break;
  }
  o.folded = foldString(o.text);
  return o;
}

bool compareValue(const Value& v, WqlOp op, const Operand& o) {
  // NULL compares by equality (WMI, OMI): `= NULL` holds for a NULL value, `<> NULL` for any
  // other; a NULL value against a constant is FALSE whatever the operator, `<>` included.
  if (op == WqlOp::IsNull) return v.isNull();
  if (op == WqlOp::IsNotNull) return !v.isNull();
  if (v.isNull()) return o.null && op == WqlOp::Equal;
  if (o.null) return op == WqlOp::NotEqual;
  if (v.isArray()) return op == WqlOp::NotEqual;
  const CimType t = v.type();
  if (op == WqlOp::Like) return t == CimType::String && o.isString && wqlLike(v.asString(), o.text);
  if (op == WqlOp::Isa) return false;
  if (isInteger(t) || t == CimType::Char16) return apply(op, compareInteger(v, o));
  if (isReal(t)) return apply(op, compareReal(v, o));
  switch (t) {
    case CimType::Boolean:
      return o.boolean ? apply(op, threeWay(int{v.asBool()}, int{*o.boolean})) : apply(op, 2);
    case CimType::String:
      return o.isString || !o.text.empty() ? apply(op, compareFolded(v.asString(), o.folded)) : apply(op, 2);
    case CimType::DateTime: {
      if (!o.dateTime) return apply(op, 2);
      const auto c = v.asDateTime() <=> *o.dateTime;
      if (c == std::partial_ordering::unordered) return apply(op, 2);
      return apply(op, c < 0 ? -1 : (c > 0 ? 1 : 0));
    }
    case CimType::Reference: {
      if (!o.path || (op != WqlOp::Equal && op != WqlOp::NotEqual)) return apply(op, 2);
      bool same = iequals(v.asString(), o.text);
      if (!same) {
        try {
          same = ObjectPath::parse(v.asString()) == *o.path;
        } catch (const Error&) {
        }
      }
      return apply(op, same ? 0 : 1);
    }
    default:
      return apply(op, 2);  // embedded objects only take ISA and NULL tests
  }
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// CompiledPath

namespace {
const Value kNullValue;
// Per-class memory beyond this many classes would only grow: the rest resolve by name.
constexpr std::size_t kMaxRemembered = 64;
}  // namespace

struct CompiledPath::Step {
  enum class Kind : std::uint8_t { Property, System, This };
  struct Entry {
    std::shared_ptr<const ClassDef> def;  // held so that its address is not reused
    std::optional<PropertySlot> slot;
    const Entry* next;
  };

  std::string name;
  Kind kind = Kind::Property;
  std::atomic<const Entry*> head{nullptr};
  std::atomic<std::size_t> count{0};
  std::mutex mutex;

  ~Step() {
    for (const Entry* e = head.load(); e != nullptr;) {
      const Entry* next = e->next;
      delete e;
      e = next;
    }
  }

  void remember(std::shared_ptr<const ClassDef> def, std::optional<PropertySlot> slot) {
    head.store(new Entry{std::move(def), slot, head.load(std::memory_order_relaxed)}, std::memory_order_release);
    count.fetch_add(1, std::memory_order_relaxed);
  }

  // The slot of this step's name in `object`'s class: found in the published list without
  // locking; a class not seen yet is resolved once under the mutex.
  std::optional<PropertySlot> slotIn(const ClassObject& object) {
    const ClassDef* def = &object.definition();
    for (const Entry* e = head.load(std::memory_order_acquire); e != nullptr; e = e->next)
      if (e->def.get() == def) return e->slot;
    if (count.load(std::memory_order_relaxed) >= kMaxRemembered) return def->slotOf(name);
    std::lock_guard lock(mutex);
    for (const Entry* e = head.load(std::memory_order_relaxed); e != nullptr; e = e->next)
      if (e->def.get() == def) return e->slot;
    const auto slot = def->slotOf(name);
    remember(object.sharedDefinition(), slot);
    return slot;
  }
};

CompiledPath::CompiledPath(WqlPath path, std::shared_ptr<const ClassDef> cls) : path_(std::move(path)), cls_(cls) {
  for (std::size_t i = 0; i < path_.names.size(); ++i) {
    auto step = std::make_unique<Step>();
    step->name = path_.names[i];
    if (i == 0 && iequals(step->name, "__THIS"))
      step->kind = Step::Kind::This;
    else if (step->name.starts_with("__"))
      step->kind = Step::Kind::System;
    else if (i == 0 && cls_)
      step->remember(cls_, cls_->slotOf(step->name));
    steps_.push_back(std::move(step));
  }
}

CompiledPath::CompiledPath(CompiledPath&&) noexcept = default;
CompiledPath& CompiledPath::operator=(CompiledPath&&) noexcept = default;
CompiledPath::~CompiledPath() = default;

const Value& CompiledPath::read(const ClassObject& object, Value& scratch) const {
  const ClassObject* current = &object;
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    Step& step = *steps_[i];
    const Value* value = &kNullValue;
    switch (step.kind) {
      case Step::Kind::This:
        if (i + 1 == steps_.size()) return kNullValue;  // the object itself is not a value
        continue;
      case Step::Kind::System:
        // Computed by ClassObject; only these reads allocate.
        scratch = current->hasProperty(step.name) ? current->get(std::string_view(step.name)) : Value();
        value = &scratch;
        break;
      case Step::Kind::Property:
        if (const auto slot = step.slotIn(*current)) value = &current->get(*slot);
        break;
    }
    if (i + 1 == steps_.size()) return *value;
    if (value->isNull() || value->isArray() || value->type() != CimType::Object) return kNullValue;
    current = value->asObject().get();
  }
  return kNullValue;
}

const ClassObject* CompiledPath::readObject(const ClassObject& object) const {
  if (steps_.size() == 1 && steps_.front()->kind == Step::Kind::This) return &object;
  Value scratch;
  const Value& value = read(object, scratch);
  if (value.isNull() || value.isArray() || value.type() != CimType::Object || &value == &scratch) return nullptr;
  return value.asObject().get();
}

// ---------------------------------------------------------------------------------------------
// QueryFilter: per-class compiled conditions

// One comparison compiled for a concrete class.
struct CompiledComparison {
  CompiledPath path;
  WqlOp op;
  detail::Operand operand;
  std::string isaClass;
};

// The WHERE tree compiled for a concrete class; nodes refer to their children by index.
struct QueryFilter::Compiled {
  struct Node {
    WqlCondition::Kind kind;
    std::uint32_t index;  // Compare: into comparisons; others: first child in children
    std::uint32_t count;  // children
  };
  bool classMatches = false;
  std::vector<Node> nodes;  // nodes[0] is the root when there is a WHERE
  std::vector<std::uint32_t> children;
  std::vector<CompiledComparison> comparisons;

  std::uint32_t add(const WqlCondition& c, const std::shared_ptr<const ClassDef>& def) {
    const auto at = static_cast<std::uint32_t>(nodes.size());
    nodes.push_back(Node{c.kind, 0, 0});
    if (c.kind == WqlCondition::Kind::Compare) {
      nodes[at].index = static_cast<std::uint32_t>(comparisons.size());
      const WqlComparison& cmp = c.comparison;
      comparisons.push_back(CompiledComparison{CompiledPath(cmp.path, def), cmp.op, detail::prepareOperand(cmp.literal),
                                               cmp.op == WqlOp::Isa ? cmp.literal.asString() : std::string()});
      return at;
    }
    std::vector<std::uint32_t> mine;
    for (const WqlCondition& operand : c.operands) mine.push_back(add(operand, def));
    nodes[at].index = static_cast<std::uint32_t>(children.size());
    nodes[at].count = static_cast<std::uint32_t>(mine.size());
    children.insert(children.end(), mine.begin(), mine.end());
    return at;
  }

  bool eval(std::uint32_t n, const ClassObject& object, Value& scratch) const {
    const Node& node = nodes[n];
    switch (node.kind) {
      case WqlCondition::Kind::And:
        for (std::uint32_t k = 0; k < node.count; ++k)
          if (!eval(children[node.index + k], object, scratch)) return false;
        return true;
      case WqlCondition::Kind::Or:
        for (std::uint32_t k = 0; k < node.count; ++k)
          if (eval(children[node.index + k], object, scratch)) return true;
        return false;
      case WqlCondition::Kind::Not:
        return !eval(children[node.index], object, scratch);
      case WqlCondition::Kind::Compare:
        break;
    }
    const CompiledComparison& cmp = comparisons[node.index];
    if (cmp.op == WqlOp::Isa) {
      // The embedded object's class or any subclass, including classes created after the filter.
      const ClassObject* embedded = cmp.path.readObject(object);
      return embedded != nullptr && embedded->definition().inheritsFrom(cmp.isaClass);
    }
    return detail::compareValue(cmp.path.read(object, scratch), cmp.op, cmp.operand);
  }

  bool matches(const ClassObject& object) const {
    if (!classMatches) return false;
    if (nodes.empty()) return true;
    Value scratch;
    return eval(0, object, scratch);
  }
};

struct QueryFilter::CacheNode {
  std::shared_ptr<const ClassDef> def;  // held so that its address is not reused
  std::unique_ptr<const Compiled> compiled;
  const CacheNode* next;
  std::size_t depth;
};

QueryFilter::~QueryFilter() {
  for (const CacheNode* n = cache_.load(); n != nullptr;) {
    const CacheNode* next = n->next;
    delete n;
    n = next;
  }
}

std::unique_ptr<const QueryFilter::Compiled> QueryFilter::compileFor(const ClassObject& object) const {
  auto compiled = std::make_unique<Compiled>();
  compiled->classMatches = object.definition().inheritsFrom(query_.className);
  if (query_.where) compiled->add(*query_.where, object.sharedDefinition());
  return compiled;
}

bool QueryFilter::matches(const ClassObject& object) const {
  const ClassDef* def = &object.definition();
  for (const CacheNode* n = cache_.load(std::memory_order_acquire); n != nullptr; n = n->next)
    if (n->def.get() == def) return n->compiled->matches(object);
  // Only classes that can match are worth a compiled form: others would fill the cache.
  if (!def->inheritsFrom(fromClass_->className())) return false;
  std::unique_lock lock(mutex_);
  const CacheNode* head = cache_.load(std::memory_order_relaxed);
  for (const CacheNode* n = head; n != nullptr; n = n->next)
    if (n->def.get() == def) return n->compiled->matches(object);
  auto compiled = compileFor(object);
  if (head != nullptr && head->depth >= kMaxRemembered) {
    // A producer that builds a new class definition per event would grow the list without end.
    lock.unlock();
    return compiled->matches(object);
  }
  const auto* node = new CacheNode{object.sharedDefinition(), std::move(compiled), head, head ? head->depth + 1 : 1};
  cache_.store(node, std::memory_order_release);
  lock.unlock();
  return node->compiled->matches(object);
}

ClassObject QueryFilter::project(const ClassObject& object) const {
  ClassObject out = object;
  if (isEventQuery()) out.setOrigin({}, {});
  if (query_.selectAll) return out;
  const auto& properties = object.definition().properties();
  for (PropertySlot slot = 0; slot < properties.size(); ++slot) {
    const PropertyDef& p = properties[slot];
    bool keep = isEventQuery() && iequals(p.originClass, "__Event");
    for (const WqlPath& selected : query_.selectList) keep = keep || iequals(selected.names.front(), p.name);
    if (!keep) out.putExact(slot, Value::null(p.type.type, p.type.array));
  }
  return out;
}

}  // namespace wbem
