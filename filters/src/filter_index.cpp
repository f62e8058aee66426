// FilterIndex: filters filed by FROM class, then along a tree of their top-level conjuncts
// (equality hash, ISA hash, LIKE-prefix hash, sorted range thresholds). See filter_index.hpp.

#include <wbem/filter_index.hpp>
#include <wbem/names.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>

#include "filter_detail.hpp"

#include <absl/container/flat_hash_map.h>

namespace wbem {
namespace {

// Integers of 64 bits (signed and unsigned) and doubles all convert exactly into the 64-bit
// mantissa of x86-64's long double, so one type orders and hashes every WQL number exactly.
using Number = long double;
static_assert(std::numeric_limits<Number>::digits >= 64, "long double must hold every int64, uint64 and double");

// The kinds of value an index key is exact for: a key of family F equals a value of family F
// exactly when WQL's `=` holds; values of other families reach the bucket through QueryFilter.
enum class Family : std::uint8_t { Null, Bool, Num, Real32, Char16, String, Other };
constexpr std::size_t kFamilies = 7;

// The family of values of a CIM type; Other when the index does not key that type.
Family familyOf(CimType type, bool array) noexcept {
  if (array) return Family::Other;
  if (isInteger(type) || type == CimType::Real64) return Family::Num;
  switch (type) {
    case CimType::Boolean:
      return Family::Bool;
    case CimType::Real32:
      return Family::Real32;
    case CimType::Char16:
      return Family::Char16;
    case CimType::String:
      return Family::String;
    default:
      return Family::Other;
  }
}

Family familyOfType(const PropertyType& t) noexcept { return familyOf(t.type, t.array); }

Family familyOf(const Value& v) noexcept { return v.isNull() ? Family::Null : familyOf(v.type(), v.isArray()); }

// A numeric value as a Number; nullopt for NaN (which no comparison holds for).
std::optional<Number> numberOf(const Value& v) {
  const CimType t = v.type();
  if (t == CimType::Char16) return Number(v.asChar16());
  if (isInteger(t)) return isSigned(t) ? Number(v.asInt64()) : Number(v.asUInt64());
  const double d = v.asReal();
  if (std::isnan(d)) return std::nullopt;
  return Number(d);
}

// The operand's number as compared with a property of family `f` (nullopt: the literal never
// compares as a number there, see detail::compareValue).
std::optional<Number> operandNumber(const detail::Operand& o, Family f) {
  switch (o.num) {
    case detail::Operand::Num::Int:
      return Number(o.i);
    case detail::Operand::Num::UInt:
      return Number(o.u);
    case detail::Operand::Num::Real: {
      // A real32 property is compared with the constant rounded to real32.
      const double r = f == Family::Real32 ? static_cast<double>(static_cast<float>(o.r)) : o.r;
      if (std::isnan(r)) return std::nullopt;
      return Number(r);
    }
    case detail::Operand::Num::None:
      break;
  }
  if (f == Family::Char16 && o.char16) return Number(*o.char16);
  return std::nullopt;
}

std::size_t hashNumber(Number n) noexcept { return n == 0 ? 0 : std::hash<Number>{}(n); }

// An equality key as stored, and the view used for lookups (no allocation).
// String keys hold the folded text encoded as UTF-8 (short ones stay inline).
struct KeyView {
  Family family;
  Number number;
  std::string_view text;
};
struct Key {
  Family family;
  Number number;
  std::string text;
  operator KeyView() const noexcept { return KeyView{family, number, text}; }
};
struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(const KeyView& k) const noexcept {
    const std::size_t h = k.family == Family::String ? std::hash<std::string_view>{}(k.text) : hashNumber(k.number);
    return h ^ (static_cast<std::size_t>(k.family) * 0x9E3779B97F4A7C15ull);
  }
  std::size_t operator()(const Key& k) const noexcept { return (*this)(KeyView(k)); }
};
struct KeyEqual {
  using is_transparent = void;
  bool operator()(const KeyView& a, const KeyView& b) const noexcept {
    return a.family == b.family && (a.family == Family::String ? a.text == b.text : a.number == b.number);
  }
  bool operator()(const Key& a, const KeyView& b) const noexcept { return (*this)(KeyView(a), b); }
  bool operator()(const KeyView& a, const Key& b) const noexcept { return (*this)(a, KeyView(b)); }
  bool operator()(const Key& a, const Key& b) const noexcept { return (*this)(KeyView(a), KeyView(b)); }
};

void appendUtf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// Folded text as UTF-8: equal for two strings exactly when detail::compareFolded finds them equal.
void appendFolded(std::string& out, std::u32string_view folded) {
  for (char32_t c : folded) appendUtf8(out, c);
}

// The folded form of a string value for a key lookup: ASCII is folded into a per-thread buffer
// that keeps its capacity; other text goes through detail::foldString (which allocates).
std::string_view foldForLookup(std::string_view s) {
  thread_local std::string buffer;
  buffer.resize(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (static_cast<unsigned char>(s[i]) >= 0x80) {
      buffer.clear();
      appendFolded(buffer, detail::foldString(s));
      return buffer;
    }
    buffer[i] = asciiLower(s[i]);
  }
  return buffer;
}

bool isAscii(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// The literal prefix of a LIKE pattern (up to the first wildcard or set), when it is ASCII.
std::string_view likePrefix(std::string_view pattern) noexcept {
  const std::size_t end = pattern.find_first_of("%_[");
  const std::string_view prefix = pattern.substr(0, end);
  return isAscii(prefix) ? prefix : std::string_view();
}

bool hasSystemName(const WqlPath& path) noexcept {
  return std::any_of(path.names.begin(), path.names.end(), [](const std::string& n) { return n.starts_with("__"); });
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The tree

namespace {

struct Node;

// A filter as filed in a bucket. `verify`: conditions remain that QueryFilter::matches checks.
struct Entry {
  FilterIndex::FilterId id;
  const QueryFilter* filter;
  bool verify;
};

// One operator's range thresholds in ascending order, in parallel arrays so that a search reads
// only the keys and the matching filters then sit densely side by side.
template <class T>
struct Thresholds {
  std::vector<T> keys;
  std::vector<Entry> entries;

  void insert(std::size_t i, const T& key, const Entry& entry) {
    keys.insert(keys.begin() + static_cast<std::ptrdiff_t>(i), key);
    entries.insert(entries.begin() + static_cast<std::ptrdiff_t>(i), entry);
  }
  void erase(std::size_t i) {
    keys.erase(keys.begin() + static_cast<std::ptrdiff_t>(i));
    entries.erase(entries.begin() + static_cast<std::ptrdiff_t>(i));
  }

  std::size_t bytes() const noexcept {
    std::size_t n = keys.capacity() * sizeof(T) + entries.capacity() * sizeof(Entry);
    if constexpr (std::is_same_v<T, std::u32string>)
      for (const auto& k : keys) n += k.capacity() > 3 ? (k.capacity() + 1) * sizeof(char32_t) : 0;
    return n;
  }
};

// Numeric thresholds are searched by their nearest doubles (8 bytes each, where an exact x87
// Number with its padding takes 16): rounding to the nearest double never reverses an order, so
// only a run of equal doubles needs the exact values, which are kept aside for that.
struct NumThresholds : Thresholds<double> {
  std::vector<Number> exact;  // parallel to keys

  void insert(std::size_t i, Number x, const Entry& entry) {
    Thresholds::insert(i, static_cast<double>(x), entry);
    exact.insert(exact.begin() + static_cast<std::ptrdiff_t>(i), x);
  }
  void erase(std::size_t i) {
    Thresholds::erase(i);
    exact.erase(exact.begin() + static_cast<std::ptrdiff_t>(i));
  }

  std::size_t bytes() const noexcept { return Thresholds::bytes() + exact.capacity() * sizeof(Number); }
};

// [first index whose key is not below(), first index whose key is not atMost()) of ascending keys.
template <class T, class Below, class AtMost>
std::pair<std::size_t, std::size_t> bounds(const std::vector<T>& keys, Below below, AtMost atMost) {
  const auto lo = std::partition_point(keys.begin(), keys.end(), below);
  const auto hi = std::partition_point(lo, keys.end(), atMost);
  return {static_cast<std::size_t>(lo - keys.begin()), static_cast<std::size_t>(hi - keys.begin())};
}

// [first threshold >= x, first threshold > x).
std::pair<std::size_t, std::size_t> bounds(const NumThresholds& t, Number x) {
  const double a = static_cast<double>(x);
  const auto [lo, hi] = bounds(
      t.keys, [a](double k) { return k < a; }, [a](double k) { return k <= a; });
  if (lo == hi) return {lo, hi};
  const auto first = t.exact.begin() + static_cast<std::ptrdiff_t>(lo);
  const auto last = t.exact.begin() + static_cast<std::ptrdiff_t>(hi);
  const auto from = std::lower_bound(first, last, x);
  return {static_cast<std::size_t>(from - t.exact.begin()),
          static_cast<std::size_t>(std::upper_bound(from, last, x) - t.exact.begin())};
}

// [first threshold >= folded, first threshold > folded).
std::pair<std::size_t, std::size_t> bounds(const Thresholds<std::u32string>& t, const std::u32string& folded) {
  return bounds(
      t.keys, [&](const std::u32string& k) { return k < folded; },
      [&](const std::u32string& k) { return !(folded < k); });
}

// Filters filed by one range conjunct, one sorted array per operator.
template <class Op>
struct RangeArrays {
  Op byOp[4];  // Greater, GreaterEqual, Less, LessEqual
  bool empty() const noexcept {
    return std::all_of(std::begin(byOp), std::end(byOp), [](const Op& t) { return t.keys.empty(); });
  }
  std::size_t bytes() const noexcept {
    std::size_t n = sizeof(*this);
    for (const Op& t : byOp) n += t.bytes();
    return n;
  }
};

// The tree's buckets: absl's open-addressing map (a lookup probes one flat array instead of
// walking a chain of separately allocated nodes), looked up with views so that matching
// allocates nothing. Children are held by pointer: their addresses stay put as a map grows.
template <class K, class Hash, class Equal>
using BucketMap = absl::flat_hash_map<K, std::unique_ptr<Node>, Hash, Equal>;

// The child under `key`, or nullptr.
template <class M, class Q>
Node* childAt(const M& map, const Q& key) noexcept {
  const auto it = map.find(key);
  return it == map.end() ? nullptr : it->second.get();
}

// The child under `key`, added empty when absent.
template <class M, class K>
Node* childFor(M& map, K&& key) {
  auto [it, added] = map.try_emplace(std::forward<K>(key));
  if (added) it->second = std::make_unique<Node>();
  return it->second.get();
}

// Bytes a bucket map's slot array holds (one control byte per slot besides the slot itself).
template <class M>
std::size_t bucketBytes(const M& map) noexcept {
  return map.capacity() * (sizeof(typename M::value_type) + 1);
}

int opIndex(WqlOp op) noexcept {
  switch (op) {
    case WqlOp::Greater:
      return 0;
    case WqlOp::GreaterEqual:
      return 1;
    case WqlOp::Less:
      return 2;
    default:
      return 3;  // LessEqual
  }
}

struct Group;

struct Node {
  std::vector<Entry> entries;
  std::vector<Group> groups;  // inline: one memory access less per level

  bool empty() const noexcept { return entries.empty() && groups.empty(); }
  Group* find(int kind, std::uint32_t path) const noexcept;
  std::size_t bytes() const;
};

struct Group {
  enum class Kind : std::uint8_t { Eq, Isa, Like, Range };
  Kind kind;
  std::uint32_t path;  // index into the root's paths
  // Members in the order a visit reads them, a range visit's first: a group spans several cache
  // lines, and each one a visit touches is a miss once the index outgrows the caches.
  // Range: thresholds per family: Num inline (the common one), Real32 and Char16 numerically,
  // String folded.
  std::unique_ptr<RangeArrays<NumThresholds>> rare[2];
  std::unique_ptr<RangeArrays<Thresholds<std::u32string>>> text;
  RangeArrays<NumThresholds> num;
  // Eq: children per key, and how many keys each family has (for values of another family).
  std::uint32_t familyKeys[kFamilies] = {};
  BucketMap<Key, KeyHash, KeyEqual> eq;
  // Isa: children per class name; Like: children per prefix, with the prefix lengths in use.
  BucketMap<std::string, NameHash, NameEqual> named;
  std::vector<std::pair<std::size_t, std::uint32_t>> lengths;  // (length, keys of that length)

  bool empty() const noexcept {
    if (!eq.empty() || !named.empty()) return false;
    if (text && !text->empty()) return false;
    return num.empty() && std::all_of(std::begin(rare), std::end(rare), [](const auto& r) { return !r; });
  }
};

Group* Node::find(int kind, std::uint32_t path) const noexcept {
  for (const Group& g : groups)
    if (static_cast<int>(g.kind) == kind && g.path == path) return const_cast<Group*>(&g);
  return nullptr;
}

std::size_t mapBytes(std::size_t buckets, std::size_t size, std::size_t node) noexcept {
  return buckets * sizeof(void*) + size * (node + 2 * sizeof(void*));
}

std::size_t Node::bytes() const {
  std::size_t n = sizeof(Node) + entries.capacity() * sizeof(Entry) + groups.capacity() * sizeof(Group);
  for (const Group& group : groups) {
    const Group* g = &group;
    n += g->lengths.capacity() * sizeof(g->lengths[0]) + g->num.bytes() - sizeof(g->num);
    n += bucketBytes(g->eq) + bucketBytes(g->named);
    for (const auto& [key, child] : g->eq)
      n += child->bytes() + (key.text.capacity() > 15 ? key.text.capacity() + 1 : 0);
    for (const auto& [key, child] : g->named) n += child->bytes() + (key.capacity() > 15 ? key.capacity() + 1 : 0);
    for (const auto& r : g->rare)
      if (r) n += r->bytes();
    if (g->text) n += g->text->bytes();
  }
  return n;
}

// One step of a filter's path through the tree (an indexed conjunct), or the final range.
struct Step {
  Group::Kind kind;
  std::uint32_t path;
  WqlOp op = WqlOp::Equal;
  Family family = Family::Other;
  Number number = 0;
  std::u32string folded;  // Range on strings
  std::string text;       // Eq on strings: folded, as UTF-8
  std::string name;       // Isa class, Like prefix
};

// Reads an indexed path. The first name goes through a CompiledPath (its slot resolved per
// concrete event class); each later name through a slot remembered per embedded class in a
// direct-mapped table that readers consult without locking. CompiledPath's own per-class memory
// is a short list, and embedded objects of a namespace can come in hundreds of classes.
class PathReader {
 public:
  PathReader(const WqlPath& path, std::shared_ptr<const ClassDef> cls)
      : path_(path),
        head_(path.names.size() == 1 ? path : WqlPath{{path.names.front()}, path.position}, std::move(cls)) {
    for (std::size_t i = 1; i < path.names.size(); ++i) rest_.push_back(std::make_unique<SlotCache>(path.names[i]));
  }

  const Value& read(const ClassObject& object, Value& scratch) const {
    const Value* value = &head_.read(object, scratch);
    for (const auto& step : rest_) {
      if (value->isNull() || value->isArray() || value->type() != CimType::Object) return kNull;
      const ClassObject& embedded = *value->asObject();
      const auto slot = step->slotIn(embedded);
      if (!slot) return kNull;
      value = &embedded.get(*slot);
    }
    return *value;
  }

  const WqlPath& path() const noexcept { return path_; }

  const ClassObject* readObject(const ClassObject& object) const {
    if (rest_.empty()) return head_.readObject(object);
    Value scratch;
    const Value& value = read(object, scratch);
    if (value.isNull() || value.isArray() || value.type() != CimType::Object) return nullptr;
    return value.asObject().get();
  }

 private:
  struct SlotCache {
    struct Entry {
      std::shared_ptr<const ClassDef> def;  // held so that its address is not reused
      std::optional<PropertySlot> slot;
    };
    static constexpr std::size_t kCells = 512;

    explicit SlotCache(std::string n) : name(std::move(n)) {}
    ~SlotCache() {
      for (auto& cell : cells) delete cell.load(std::memory_order_relaxed);
    }

    // A cell is filled once and never replaced, so a reader's entry stays valid; a class whose
    // cell is taken is looked up by name each time.
    std::optional<PropertySlot> slotIn(const ClassObject& object) {
      const ClassDef* def = &object.definition();
      auto& cell = cells[(reinterpret_cast<std::uintptr_t>(def) >> 4) % kCells];
      const Entry* entry = cell.load(std::memory_order_acquire);
      if (entry != nullptr && entry->def.get() == def) return entry->slot;
      const auto slot = def->slotOf(name);
      if (entry == nullptr) {
        auto fresh = std::make_unique<Entry>(Entry{object.sharedDefinition(), slot});
        const Entry* expected = nullptr;
        if (cell.compare_exchange_strong(expected, fresh.get(), std::memory_order_acq_rel)) fresh.release();
      }
      return slot;
    }

    std::string name;
    std::array<std::atomic<const Entry*>, kCells> cells{};
  };

  static inline const Value kNull{};
  WqlPath path_;
  CompiledPath head_;
  std::vector<std::unique_ptr<SlotCache>> rest_;
};

}  // namespace

struct FilterIndex::Root {
  ObjectPtr fromClass;
  Node node;
  std::vector<PathReader> paths;
  std::vector<std::string> pathKeys;  // lower-case dotted text, parallel to paths
  std::size_t filters = 0;

  std::uint32_t pathIndex(const WqlPath& path) {
    const std::string key = lowerName(path.toString());
    for (std::uint32_t i = 0; i < pathKeys.size(); ++i)
      if (pathKeys[i] == key) return i;
    paths.emplace_back(path, fromClass->sharedDefinition());
    pathKeys.push_back(key);
    return static_cast<std::uint32_t>(paths.size() - 1);
  }
};

// Slot codes of a plan: a path of one name is read by its slot in the concrete class, or is
// absent there (NULL); longer paths go through their PathReader.
constexpr std::int32_t kAbsent = -1;
constexpr std::int32_t kReader = -2;

// A filter's analysed conjuncts: computed without the lock; paths are named, not yet numbered.
struct FilterIndex::Placement {
  struct Pending {
    Step step;
    const WqlPath* path;
  };
  std::vector<Pending> steps;  // Eq..., Isa..., Like..., then at most one Range
  bool verify = false;
};

namespace {

// True when WHERE is exactly the conjunction of filter.conjuncts().
bool whereIsConjunction(const QueryFilter& filter) {
  const auto& where = filter.query().where;
  if (!where) return true;
  if (where->kind == WqlCondition::Kind::Compare) return true;
  if (where->kind != WqlCondition::Kind::And) return false;
  return where->operands.size() == filter.conjuncts().size();
}

// The family a comparison on `path` is keyed in: the declared type for a property of the FROM
// class (subclasses cannot change it), otherwise (embedded objects vary) the literal's own kind.
Family keyFamily(const QueryFilter& filter, const WqlPath& path, const detail::Operand& o, const Value& literal) {
  if (path.names.size() == 1) {
    const ClassDef& def = filter.fromClass()->definition();
    const auto slot = def.slotOf(path.names.front());
    return slot ? familyOfType(def.properties()[*slot].type) : Family::Other;
  }
  if (o.isString) return Family::String;
  if (o.num != detail::Operand::Num::None) return Family::Num;
  if (literal.type() == CimType::Boolean) return Family::Bool;
  return Family::Other;
}

// Fills `step` with the key of `o` in family `f`; false when the literal has no exact key there.
bool keyIn(const detail::Operand& o, Family f, Step& step) {
  step.family = f;
  switch (f) {
    case Family::Bool:
      if (!o.boolean) return false;
      step.number = *o.boolean ? 1 : 0;
      return true;
    case Family::String:
      if (!o.isString && o.text.empty()) return false;
      step.folded = o.folded;
      appendFolded(step.text, o.folded);
      return true;
    case Family::Num:
    case Family::Real32:
    case Family::Char16:
      if (const auto n = operandNumber(o, f)) {
        step.number = *n;
        return true;
      }
      return false;
    default:
      return false;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Matching

namespace {

const Value kNullValue;

struct Visitor {
  const std::vector<PathReader>& paths;
  const std::int32_t* slots;
  const ClassObject& event;
  std::vector<FilterIndex::FilterId>& out;

  const Value& read(std::uint32_t path, Value& scratch) const {
    const std::int32_t slot = slots[path];
    if (slot >= 0) return event.get(static_cast<PropertySlot>(slot));
    if (slot == kAbsent) return kNullValue;
    return paths[path].read(event, scratch);
  }
  const ClassObject* readObject(std::uint32_t path) const {
    if (slots[path] == kReader) return paths[path].readObject(event);
    Value scratch;
    const Value& v = read(path, scratch);
    return v.isNull() || v.isArray() || v.type() != CimType::Object ? nullptr : v.asObject().get();
  }

  void emit(const Entry& e, bool verify) const {
    if ((verify || e.verify) && !e.filter->matches(event)) return;
    out.push_back(e.id);
  }

  void visit(const Node& node, bool verify) const {
    for (const Entry& e : node.entries) emit(e, verify);
    for (const Group& group : node.groups) {
      const Group* g = &group;
      switch (g->kind) {
        case Group::Kind::Eq:
          visitEq(*g, verify);
          break;
        case Group::Kind::Isa:
          visitIsa(*g, verify);
          break;
        case Group::Kind::Like:
          visitLike(*g, verify);
          break;
        case Group::Kind::Range:
          visitRange(*g, verify);
          break;
      }
    }
  }

  // Every child keyed in a family other than `exact` (values of that family were looked up).
  void visitOtherFamilies(const Group& g, Family exact) const {
    for (std::size_t f = 0; f < kFamilies; ++f) {
      if (static_cast<Family>(f) == exact || f == static_cast<std::size_t>(Family::Null) || g.familyKeys[f] == 0)
        continue;
      for (const auto& [key, child] : g.eq)
        if (key.family == static_cast<Family>(f)) visit(*child, true);
    }
  }

  void visitEq(const Group& g, bool verify) const {
    Value scratch;
    const Value& v = read(g.path, scratch);
    const Family f = familyOf(v);
    KeyView key{f, 0, {}};
    switch (f) {
      case Family::Null:
        break;  // only `= NULL` holds for NULL
      case Family::Other:
        // Datetimes and references equal string constants that parse as such; arrays and
        // embedded objects equal nothing.
        if (!v.isArray() && (v.type() == CimType::DateTime || v.type() == CimType::Reference))
          visitOtherFamilies(g, Family::Other);
        return;
      case Family::Bool:
        key.number = v.asBool() ? 1 : 0;
        break;
      case Family::String:
        key.text = foldForLookup(v.asString());
        break;
      default: {
        const auto n = numberOf(v);
        if (!n) return;  // NaN equals nothing
        key.number = *n;
        break;
      }
    }
    if (const Node* child = childAt(g.eq, key)) visit(*child, verify);
    if (f != Family::Null) visitOtherFamilies(g, f);
  }

  void visitIsa(const Group& g, bool verify) const {
    const ClassObject* embedded = readObject(g.path);
    if (embedded == nullptr || g.named.empty()) return;
    const ClassDef& def = embedded->definition();
    if (const Node* child = childAt(g.named, std::string_view(def.name()))) visit(*child, verify);
    for (const std::string& ancestor : def.derivation())
      if (const Node* child = childAt(g.named, std::string_view(ancestor))) visit(*child, verify);
  }

  void visitLike(const Group& g, bool verify) const {
    Value scratch;
    const Value& v = read(g.path, scratch);
    if (v.isNull() || v.isArray() || v.type() != CimType::String) return;  // LIKE takes strings only
    const std::string_view s = v.asString();
    const std::size_t longest = g.lengths.empty() ? 0 : g.lengths.back().first;
    if (!isAscii(s.substr(0, longest))) {
      // Non-ASCII characters may fold to ASCII ones (K, the Kelvin sign): let LIKE decide.
      for (const auto& [name, child] : g.named) visit(*child, true);
      return;
    }
    for (const auto& [length, count] : g.lengths) {
      if (length > s.size()) break;
      if (const Node* child = childAt(g.named, s.substr(0, length))) visit(*child, verify);
    }
  }

  // bounds(t) is [first threshold >= the value, first threshold > the value) of t.
  template <class Op, class Bounds>
  void emitRange(const RangeArrays<Op>& r, Bounds bounds, bool verify) const {
    const auto& [gt, ge, lt, le] = r.byOp;
    auto span = [&](const Op& t, std::size_t from, std::size_t to) {
      for (std::size_t i = from; i < to; ++i) emit(t.entries[i], verify);
    };
    if (!gt.keys.empty()) span(gt, 0, bounds(gt).first);
    if (!ge.keys.empty()) span(ge, 0, bounds(ge).second);
    if (!lt.keys.empty()) span(lt, bounds(lt).second, lt.keys.size());
    if (!le.keys.empty()) span(le, bounds(le).first, le.keys.size());
  }

  template <class Op>
  void emitAll(const RangeArrays<Op>& r) const {
    for (const Op& t : r.byOp)
      for (const Entry& e : t.entries) emit(e, true);
  }

  // The thresholds of numeric family Num + k, or nullptr.
  static const RangeArrays<NumThresholds>* numeric(const Group& g, std::size_t k) noexcept {
    return k == 0 ? &g.num : g.rare[k - 1].get();
  }
  // Every numeric threshold but those of family Num + `except`, through QueryFilter.
  void emitAllNumeric(const Group& g, std::size_t except) const {
    for (std::size_t k = 0; k < 3; ++k)
      if (const RangeArrays<NumThresholds>* r = numeric(g, k); k != except && r != nullptr) emitAll(*r);
  }

  void visitRange(const Group& g, bool verify) const {
    Value scratch;
    const Value& v = read(g.path, scratch);
    const Family f = familyOf(v);
    if (f == Family::Null) return;  // ordering never holds for NULL
    if (f == Family::Bool) {
      // Booleans order against constants through WQL's conversions (`B > 0`); none are filed as such.
      emitAllNumeric(g, 3);
      if (g.text) emitAll(*g.text);
      return;
    }
    if (f == Family::Other) {
      // Datetimes order against string constants that parse as datetimes; nothing else orders.
      if (!v.isArray() && v.type() == CimType::DateTime && g.text) emitAll(*g.text);
      return;
    }
    if (f == Family::String) {
      const std::string_view s = v.asString();
      if (g.text)
        emitRange(
            *g.text,
            [&](const Thresholds<std::u32string>& t) {
              return bounds(
                  t.keys, [&](const std::u32string& k) { return detail::compareFolded(s, k) > 0; },
                  [&](const std::u32string& k) { return detail::compareFolded(s, k) >= 0; });
            },
            verify);
    } else if (const auto n = numberOf(v)) {
      const std::size_t k = static_cast<std::size_t>(f) - static_cast<std::size_t>(Family::Num);
      if (const RangeArrays<NumThresholds>* r = numeric(g, k))
        emitRange(
            *r, [x = *n](const NumThresholds& t) { return bounds(t, x); }, verify);
      emitAllNumeric(g, k);
    }
    // Thresholds of the other kinds compare through WQL's conversions.
    if (f != Family::String && g.text) emitAll(*g.text);
    if (f == Family::String) emitAllNumeric(g, 3);
  }
};

// Inserts (insert = true) or removes the entry along `steps` from `node`; returns false when a
// removal found nothing. Empty nodes and groups are pruned on the way back.
bool file(Node& node, std::vector<Step>& steps, std::size_t at, const Entry& entry, bool insert) {
  if (at == steps.size()) {
    if (insert) {
      node.entries.push_back(entry);
      return true;
    }
    const auto it =
        std::find_if(node.entries.begin(), node.entries.end(), [&](const Entry& e) { return e.id == entry.id; });
    if (it == node.entries.end()) return false;
    *it = node.entries.back();
    node.entries.pop_back();
    return true;
  }
  Step& step = steps[at];
  Group* group = node.find(static_cast<int>(step.kind), step.path);
  if (group == nullptr) {
    if (!insert) return false;
    node.groups.emplace_back();
    group = &node.groups.back();
    group->kind = step.kind;
    group->path = step.path;
  }
  bool done = false;
  switch (step.kind) {
    case Group::Kind::Eq: {
      const KeyView view{step.family, step.number, step.text};
      Node* child = childAt(group->eq, view);
      if (child == nullptr) {
        if (!insert) break;
        child = childFor(group->eq, Key{step.family, step.number, step.text});
        ++group->familyKeys[static_cast<std::size_t>(step.family)];
      }
      done = file(*child, steps, at + 1, entry, insert);
      if (child->empty()) {
        --group->familyKeys[static_cast<std::size_t>(step.family)];
        group->eq.erase(view);
      }
      break;
    }
    case Group::Kind::Isa:
    case Group::Kind::Like: {
      Node* child = childAt(group->named, std::string_view(step.name));
      if (child == nullptr) {
        if (!insert) break;
        child = childFor(group->named, step.name);
        if (step.kind == Group::Kind::Like) {
          auto len = std::lower_bound(group->lengths.begin(), group->lengths.end(),
                                      std::pair<std::size_t, std::uint32_t>{step.name.size(), 0});
          if (len == group->lengths.end() || len->first != step.name.size())
            len = group->lengths.insert(len, {step.name.size(), 0});
          ++len->second;
        }
      }
      done = file(*child, steps, at + 1, entry, insert);
      if (child->empty()) {
        if (step.kind == Group::Kind::Like) {
          auto len = std::lower_bound(group->lengths.begin(), group->lengths.end(),
                                      std::pair<std::size_t, std::uint32_t>{step.name.size(), 0});
          if (--len->second == 0) group->lengths.erase(len);
        }
        group->named.erase(std::string_view(step.name));
      }
      break;
    }
    case Group::Kind::Range: {
      auto place = [&](auto& arrays, const auto& value) {
        auto& t = arrays.byOp[opIndex(step.op)];
        const auto [lo, hi] = bounds(t, value);
        if (insert) {
          t.insert(hi, value, entry);
          return true;
        }
        for (std::size_t i = lo; i < hi; ++i)
          if (t.entries[i].id == entry.id) {
            t.erase(i);
            return true;
          }
        return false;
      };
      // The less common families live behind a pointer, made on first use and dropped when empty.
      auto placeRare = [&](auto& slot, const auto& value) {
        if (!slot) {
          if (!insert) return false;
          slot = std::make_unique<std::remove_reference_t<decltype(*slot)>>();
        }
        const bool found = place(*slot, value);
        if (slot->empty()) slot.reset();
        return found;
      };
      if (step.family == Family::String)
        done = placeRare(group->text, step.folded);
      else if (step.family == Family::Num)
        done = place(group->num, step.number);
      else
        done = placeRare(group->rare[static_cast<std::size_t>(step.family) - static_cast<std::size_t>(Family::Real32)],
                         step.number);
      break;
    }
  }
  if (group->empty()) node.groups.erase(node.groups.begin() + (group - node.groups.data()));
  return done;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// FilterIndex

FilterIndex::FilterIndex() = default;
FilterIndex::~FilterIndex() = default;

namespace {

// Classifies the top-level conjuncts of `filter` into index steps (paths still unnumbered).
template <class Placement>
Placement analyse(const QueryFilter& filter) {
  Placement p;
  p.verify = !whereIsConjunction(filter);
  std::vector<typename Placement::Pending> eqs, isas, likes, ranges;
  for (const WqlComparison* c : filter.conjuncts()) {
    Step step{};
    const bool thisPath = c->path.names.size() == 1 && iequals(c->path.names.front(), "__THIS");
    if (hasSystemName(c->path) && !(thisPath && c->op == WqlOp::Isa)) {
      p.verify = true;  // system properties are computed on each read: left to QueryFilter
      continue;
    }
    const detail::Operand o = detail::prepareOperand(c->literal);
    switch (c->op) {
      case WqlOp::Equal:
        step.kind = Group::Kind::Eq;
        if (o.null) {
          step.family = Family::Null;
          eqs.push_back({std::move(step), &c->path});
          continue;
        }
        if (keyIn(o, keyFamily(filter, c->path, o, c->literal), step)) {
          eqs.push_back({std::move(step), &c->path});
          continue;
        }
        break;
      case WqlOp::Isa:
        if (!o.isString) break;
        step.kind = Group::Kind::Isa;
        step.name = o.text;
        isas.push_back({std::move(step), &c->path});
        continue;
      case WqlOp::Like: {
        const std::string_view prefix = o.isString ? likePrefix(o.text) : std::string_view();
        if (prefix.empty()) break;
        step.kind = Group::Kind::Like;
        step.name = lowerName(prefix);
        // Exact when `%` and nothing else follows the prefix (no wildcard at all means equality).
        if (o.text.size() == prefix.size() || o.text.find_first_not_of('%', prefix.size()) != std::string::npos)
          p.verify = true;
        likes.push_back({std::move(step), &c->path});
        continue;
      }
      case WqlOp::Less:
      case WqlOp::LessEqual:
      case WqlOp::Greater:
      case WqlOp::GreaterEqual: {
        if (o.null || !ranges.empty()) break;
        step.kind = Group::Kind::Range;
        step.op = c->op;
        const Family f = keyFamily(filter, c->path, o, c->literal);
        if (f == Family::Bool || !keyIn(o, f, step)) break;
        ranges.push_back({std::move(step), &c->path});
        continue;
      }
      default:
        break;
    }
    p.verify = true;  // not indexed: QueryFilter checks it
  }
  for (auto* list : {&eqs, &isas, &likes, &ranges})
    for (auto& s : *list) p.steps.push_back(std::move(s));
  return p;
}

}  // namespace

void FilterIndex::add(FilterId id, std::shared_ptr<const QueryFilter> filter) {
  if (!filter) throw Error(WBEM_E_INVALID_PARAMETER, "FilterIndex::add: null filter");
  Placement placement = analyse<Placement>(*filter);
  const std::string rootKey = lowerName(filter->query().className);
  std::unique_lock lock(mutex_);
  if (filters_.contains(id))
    throw Error(WBEM_E_ALREADY_EXISTS, "FilterIndex::add: filter id " + std::to_string(id) + " in use");
  auto& root = roots_[rootKey];
  if (!root) {
    root = std::make_unique<Root>();
    root->fromClass = filter->fromClass();
    plans_.clear();
  }
  const std::size_t pathsBefore = root->paths.size();
  std::vector<Step> steps;
  steps.reserve(placement.steps.size());
  for (auto& pending : placement.steps) {
    pending.step.path = root->pathIndex(*pending.path);
    steps.push_back(std::move(pending.step));
  }
  if (root->paths.size() != pathsBefore) plans_.clear();  // plans hold slots per path
  file(root->node, steps, 0, Entry{id, filter.get(), placement.verify}, true);
  ++root->filters;
  filters_.emplace(id, std::move(filter));
}

bool FilterIndex::remove(FilterId id) {
  std::unique_lock lock(mutex_);
  const auto it = filters_.find(id);
  if (it == filters_.end()) return false;
  // The placement is recomputed: the same filter always files along the same steps.
  std::shared_ptr<const QueryFilter> filter = std::move(it->second);
  filters_.erase(it);
  Placement placement = analyse<Placement>(*filter);
  const auto rootIt = roots_.find(lowerName(filter->query().className));
  Root& root = *rootIt->second;
  std::vector<Step> steps;
  steps.reserve(placement.steps.size());
  for (auto& pending : placement.steps) {
    pending.step.path = root.pathIndex(*pending.path);
    steps.push_back(std::move(pending.step));
  }
  file(root.node, steps, 0, Entry{id, filter.get(), placement.verify}, false);
  if (--root.filters == 0) {
    roots_.erase(rootIt);
    plans_.clear();
  }
  lock.unlock();
  return true;
}

void FilterIndex::visitRoot(const Root& root, const std::int32_t* slots, const ClassObject& event,
                            std::vector<FilterId>& out) const {
  Visitor{root.paths, slots, event, out}.visit(root.node, false);
}

void FilterIndex::match(const ClassObject& event, std::vector<FilterId>& out) const {
  const ClassDef& def = event.definition();
  {
    std::shared_lock lock(mutex_);
    if (const auto it = plans_.find(&def); it != plans_.end()) {
      for (const auto& target : it->second.targets) visitRoot(*target.root, target.slots.data(), event, out);
      return;
    }
  }
  // First event of this concrete class: find the roots of its class and ancestors, and resolve
  // their one-name paths in this class, once.
  ClassPlan plan{event.sharedDefinition(), {}};
  std::unique_lock lock(mutex_);
  auto lookup = [&](const std::string& name) {
    const auto it = roots_.find(lowerName(name));
    if (it == roots_.end()) return;
    const Root& root = *it->second;
    ClassPlan::Target target{&root, {}};
    for (const PathReader& path : root.paths) {
      const WqlPath& p = path.path();
      if (p.names.size() != 1 || p.names.front().starts_with("__")) {
        target.slots.push_back(kReader);
      } else {
        const auto slot = def.slotOf(p.names.front());
        target.slots.push_back(slot ? static_cast<std::int32_t>(*slot) : kAbsent);
      }
    }
    plan.targets.push_back(std::move(target));
  };
  lookup(def.name());
  for (const std::string& ancestor : def.derivation()) lookup(ancestor);
  for (const auto& target : plan.targets) visitRoot(*target.root, target.slots.data(), event, out);
  // A producer that makes a new class definition per event would grow the cache without end.
  constexpr std::size_t kMaxPlans = 1024;
  if (plans_.size() < kMaxPlans) plans_.emplace(&def, std::move(plan));
}

std::size_t FilterIndex::size() const {
  std::shared_lock lock(mutex_);
  return filters_.size();
}

std::size_t FilterIndex::memoryUsage() const {
  std::shared_lock lock(mutex_);
  std::size_t n = sizeof(*this) + mapBytes(filters_.bucket_count(), filters_.size(), sizeof(FilterId) + 16);
  n += mapBytes(roots_.bucket_count(), roots_.size(), sizeof(std::string) + sizeof(void*));
  for (const auto& [name, root] : roots_) {
    n += sizeof(Root) + root->node.bytes() - sizeof(Node);
    n += root->paths.capacity() * sizeof(PathReader) + root->pathKeys.capacity() * sizeof(std::string);
  }
  n += mapBytes(plans_.bucket_count(), plans_.size(), sizeof(void*) + sizeof(ClassPlan));
  for (const auto& [def, plan] : plans_) {
    n += plan.targets.capacity() * sizeof(ClassPlan::Target);
    for (const auto& target : plan.targets) n += target.slots.capacity() * sizeof(std::int32_t);
  }
  return n;
}

}  // namespace wbem
