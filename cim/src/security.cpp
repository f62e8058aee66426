// Principals (a Linux uid with its groups) and security descriptors in an SDDL subset (decisions.md 10).
//
// Decisions:
// - Administrators are uid 0 and the members of the admin group (WBEM_ADMIN_GROUP, default
//   `wbem-admin`). A group the database does not know, or a failed lookup, leaves only root admin.
// - SDDL: no whitespace anywhere; section letters, ACE types, DACL flags and rights codes are upper
//   case as SDDL writes them; trustees take any case and are stored canonically (`uid:N`/`gid:N` in
//   lower case with a plain decimal N, WD/BA/SY in upper case), so owner() compares with sid().
// - ACE flags and object GUIDs are refused rather than ignored: inheritance has no meaning here and
//   silently dropping a flag could change what a descriptor was meant to say. DACL flags (P, AI, AR)
//   only concern inheritance and are dropped; NO_ACCESS_CONTROL is refused (omit `D:` instead).
// - Every parse fault is WBEM_E_INVALID_PARAMETER; the message ends "at column N" (1-based, in bytes)
//   and Error::position() holds line 1, column N.

#include <wbem/names.hpp>
#include <wbem/security.hpp>
#include <wbem/status.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>
#include <utility>

namespace wbem {
namespace {

constexpr std::string_view kDefaultAdminGroup = "wbem-admin";

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// The number of a `uid:N` / `gid:N` trustee: decimal digits only, within 32 bits.
std::optional<std::uint32_t> parseId(std::string_view digits) {
  if (digits.empty() || !std::ranges::all_of(digits, isDigit)) return std::nullopt;
  std::uint32_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

// The id of `trustee` when it reads `<prefix>N` (prefix "uid:" or "gid:", any case).
std::optional<std::uint32_t> idOf(std::string_view trustee, std::string_view prefix) {
  if (trustee.size() <= prefix.size() || !iequals(trustee.substr(0, prefix.size()), prefix)) return std::nullopt;
  return parseId(trustee.substr(prefix.size()));
}

bool hasIdPrefix(std::string_view text) {
  return text.size() >= 4 && (iequals(text.substr(0, 4), "uid:") || iequals(text.substr(0, 4), "gid:"));
}

bool isWellKnown(std::string_view trustee) {
  return iequals(trustee, "WD") || iequals(trustee, "BA") || iequals(trustee, "SY");
}

// The canonical spelling of a trustee, or nullopt when it is not one wbem knows.
std::optional<std::string> canonicalTrustee(std::string_view trustee) {
  if (isWellKnown(trustee)) {
    std::string out(trustee);
    for (char& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
    return out;
  }
  if (!hasIdPrefix(trustee)) return std::nullopt;
  const std::optional<std::uint32_t> id = parseId(trustee.substr(4));
  if (!id) return std::nullopt;
  return lowerName(trustee.substr(0, 4)) + std::to_string(*id);
}

// The two-letter SDDL rights codes, mapped onto WMI's access rights.
struct RightCode {
  std::string_view code;
  std::uint32_t bits;
};
constexpr std::array<RightCode, 12> kRightCodes{{
    {"GA", 0xFFFFFFFFu},
    {"GR", READ_CONTROL | WBEM_ENABLE},
    {"GW", WBEM_FULL_WRITE_REP | WBEM_PARTIAL_WRITE_REP | WBEM_WRITE_PROVIDER},
    {"GX", WBEM_METHOD_EXECUTE},
    {"CC", WBEM_ENABLE},
    {"DC", WBEM_METHOD_EXECUTE},
    {"LC", WBEM_FULL_WRITE_REP},
    {"SW", WBEM_PARTIAL_WRITE_REP},
    {"RP", WBEM_WRITE_PROVIDER},
    {"WP", WBEM_REMOTE_ACCESS},
    {"RC", READ_CONTROL},
    {"WD", WRITE_DAC},
}};

// Text from the descriptor for a message: printable ASCII as is, other bytes as \xNN (the byte form
// may hold anything).
std::string printable(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c > 0x20 && c < 0x7f) {
      out += c;
    } else {
      const auto b = static_cast<unsigned char>(c);
      out += "\\x";
      out += "0123456789abcdef"[b >> 4];
      out += "0123456789abcdef"[b & 0xf];
    }
  }
  return out;
}

struct ParsedSddl {
  std::string owner;
  std::string group;
  std::optional<std::vector<SecurityDescriptor::Ace>> dacl;
};

// Recursive-descent reader of the SDDL subset; each fault throws with its column.
class SddlParser {
 public:
  explicit SddlParser(std::string_view text) : text_(text) {}

  ParsedSddl run() {
    // Whitespace is refused up front so that every later message can be about the grammar.
    if (const auto ws = std::ranges::find_if(text_, isSpace); ws != text_.end())
      fail("whitespace is not allowed", static_cast<std::size_t>(ws - text_.begin()));
    ParsedSddl out;
    bool seenOwner = false;
    bool seenGroup = false;
    while (!atEnd()) {
      const std::size_t start = pos_;
      if (!isSectionStart(pos_)) fail("section 'O:', 'G:' or 'D:' expected, found " + found(pos_), pos_);
      const char section = text_[pos_];
      const std::string name = std::string(1, section) + ":";
      pos_ += 2;
      if (section == 'O') {
        if (seenOwner) fail("duplicate '" + name + "' section", start);
        seenOwner = true;
        out.owner = trustee();
      } else if (section == 'G') {
        if (seenGroup) fail("duplicate '" + name + "' section", start);
        seenGroup = true;
        out.group = trustee();
      } else if (section == 'D') {
        if (out.dacl) fail("duplicate '" + name + "' section", start);
        out.dacl = dacl();
      } else {
        fail("unsupported section '" + name + "' (O:, G: or D: expected)", start);
      }
    }
    return out;
  }

 private:
  bool atEnd() const { return pos_ >= text_.size(); }
  char peek() const { return atEnd() ? '\0' : text_[pos_]; }
  bool isSectionStart(std::size_t pos) const {
    return pos + 1 < text_.size() && isUpper(text_[pos]) && text_[pos + 1] == ':';
  }

  // What stands at `pos` for a message: a quoted character, a byte value or the end.
  std::string found(std::size_t pos) const {
    if (pos >= text_.size()) return "end of text";
    return "'" + printable(text_.substr(pos, 1)) + "'";
  }

  [[noreturn]] void fail(const std::string& what, std::size_t pos) const {
    const auto column = static_cast<std::uint32_t>(pos + 1);
    throw Error(WBEM_E_INVALID_PARAMETER,
                "invalid security descriptor: " + what + " at column " + std::to_string(column),
                TextPosition{{}, 1, column});
  }

  // The owner or group trustee; its end is where its grammar stops (`O:BAG:BA`).
  std::string trustee() {
    const std::size_t start = pos_;
    const std::string_view rest = text_.substr(pos_);
    std::size_t length = 0;
    if (hasIdPrefix(rest)) {
      length = 4;
      while (length < rest.size() && isDigit(rest[length])) ++length;
      if (length == 4)
        fail("decimal id expected after '" + printable(rest.substr(0, 4)) + "', found " + found(start + 4), start + 4);
    } else if (rest.size() >= 2 && isWellKnown(rest.substr(0, 2))) {
      length = 2;
    } else {
      fail("trustee (uid:N, gid:N, WD, BA or SY) expected, found " + found(start), start);
    }
    std::optional<std::string> canonical = canonicalTrustee(rest.substr(0, length));
    if (!canonical) fail("id out of range in trustee '" + printable(rest.substr(0, length)) + "'", start + 4);
    pos_ += length;
    return std::move(*canonical);
  }

  std::vector<SecurityDescriptor::Ace> dacl() {
    // DACL flags (protected, auto-inherit) only concern inheritance, which wbem does not have.
    while (!atEnd() && peek() != '(' && !isSectionStart(pos_)) {
      const std::string_view rest = text_.substr(pos_);
      if (rest.starts_with("AI") || rest.starts_with("AR")) {
        pos_ += 2;
      } else if (rest.starts_with("P")) {
        pos_ += 1;
      } else {
        fail("unknown DACL flag at " + found(pos_) + " (P, AI, AR or an ACE expected)", pos_);
      }
    }
    std::vector<SecurityDescriptor::Ace> aces;
    while (peek() == '(') aces.push_back(ace());
    return aces;
  }

  SecurityDescriptor::Ace ace() {
    const std::size_t open = pos_;
    std::size_t close = open + 1;
    while (close < text_.size() && text_[close] != ')' && text_[close] != '(') ++close;
    if (close >= text_.size() || text_[close] == '(')
      fail("unterminated ACE: ')' expected before " + found(close), open);

    // The six fields type;flags;rights;object-guid;inherit-object-guid;trustee, with their offsets.
    std::vector<std::pair<std::string_view, std::size_t>> fields;
    std::size_t fieldStart = open + 1;
    for (std::size_t i = open + 1; i <= close; ++i) {
      if (i == close || text_[i] == ';') {
        fields.emplace_back(text_.substr(fieldStart, i - fieldStart), fieldStart);
        fieldStart = i + 1;
      }
    }
    if (fields.size() != 6)
      fail("ACE needs 6 fields (type;flags;rights;object;inherited object;trustee), found " +
               std::to_string(fields.size()),
           open);

    SecurityDescriptor::Ace ace;
    const auto [type, typeAt] = fields[0];
    if (type == "A") {
      ace.allow = true;
    } else if (type == "D") {
      ace.allow = false;
    } else {
      fail(type.empty() ? std::string("ACE type expected")
                        : "unknown ACE type '" + printable(type) + "' (A or D expected)",
           typeAt);
    }
    if (!fields[1].first.empty())
      fail("ACE flags are not supported, found '" + printable(fields[1].first) + "'", fields[1].second);
    ace.rights = rights(fields[2].first, fields[2].second);
    for (std::size_t k : {3u, 4u})
      if (!fields[k].first.empty())
        fail("object ACEs are not supported, found '" + printable(fields[k].first) + "'", fields[k].second);
    const auto [who, whoAt] = fields[5];
    std::optional<std::string> canonical = canonicalTrustee(who);
    if (!canonical)
      fail(who.empty() ? std::string("trustee expected")
                       : "unknown trustee '" + printable(who) + "' (uid:N, gid:N, WD, BA or SY expected)",
           whoAt);
    ace.trustee = std::move(*canonical);
    pos_ = close + 1;
    return ace;
  }

  std::uint32_t rights(std::string_view field, std::size_t at) const {
    if (field.empty()) fail("access rights expected", at);
    if (field.size() >= 2 && field[0] == '0' && (field[1] == 'x' || field[1] == 'X')) {
      if (field.size() == 2) fail("hex digits expected after '" + std::string(field) + "'", at + 2);
      return number(field.substr(2), at + 2, 16);
    }
    if (isDigit(field[0])) return number(field, at, 10);
    std::uint32_t bits = 0;
    for (std::size_t i = 0; i < field.size(); i += 2) {
      const std::string_view code = field.substr(i, 2);
      const auto it = std::ranges::find(kRightCodes, code, &RightCode::code);
      if (it == kRightCodes.end()) fail("unknown access right '" + printable(code) + "'", at + i);
      bits |= it->bits;
    }
    return bits;
  }

  std::uint32_t number(std::string_view digits, std::size_t at, int base) const {
    std::uint32_t value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
    if (ec == std::errc::result_out_of_range) fail("access rights do not fit in 32 bits", at);
    const auto bad = ec == std::errc() ? static_cast<std::size_t>(end - digits.data()) : 0;
    if (ec != std::errc() || bad != digits.size())
      fail(std::string(base == 16 ? "hex" : "decimal") + " digit expected in access rights, found " + found(at + bad),
           at + bad);
    return value;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

// Runs a reentrant user-database lookup (getpwuid_r, getgrnam_r), growing `buffer` while the entry
// does not fit. True when an entry was found; lookup errors count as "no such entry".
template <typename Entry, typename Lookup>
bool lookupEntry(Entry& entry, std::vector<char>& buffer, Lookup lookup) {
  constexpr std::size_t kMaxBuffer = std::size_t{1} << 20;
  buffer.resize(1024);
  for (;;) {
    Entry* result = nullptr;
    const int rc = lookup(&entry, buffer.data(), buffer.size(), &result);
    if (rc == ERANGE && buffer.size() < kMaxBuffer) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    return rc == 0 && result != nullptr;
  }
}

bool isAdmin(std::uint32_t uid, const std::vector<std::uint32_t>& gids) {
  if (uid == 0) return true;
  const std::string name = Principal::adminGroupName();
  group entry{};
  std::vector<char> buffer;
  const bool found = lookupEntry(entry, buffer, [&name](group* e, char* b, std::size_t n, group** r) {
    return getgrnam_r(name.c_str(), e, b, n, r);
  });
  return found && std::ranges::find(gids, static_cast<std::uint32_t>(entry.gr_gid)) != gids.end();
}

// A principal from its primary gid and supplementary groups (which may repeat the primary one).
Principal makePrincipal(std::uint32_t uid, std::uint32_t gid, const std::vector<gid_t>& groups) {
  Principal p;
  p.uid = uid;
  p.gids.push_back(gid);
  for (const gid_t g : groups)
    if (std::ranges::find(p.gids, static_cast<std::uint32_t>(g)) == p.gids.end()) p.gids.push_back(g);
  p.admin = isAdmin(uid, p.gids);
  return p;
}

}  // namespace

Principal Principal::current() {
  // A process changes its own group set only through setgroups, so the count cannot go stale
  // between the two calls unless the caller races itself.
  const int count = getgroups(0, nullptr);
  std::vector<gid_t> groups(count > 0 ? static_cast<std::size_t>(count) : 0);
  if (!groups.empty()) {
    const int got = getgroups(count, groups.data());
    groups.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
  }
  return makePrincipal(getuid(), getgid(), groups);
}

Principal Principal::fromCredentials(std::uint32_t uid, std::uint32_t gid) {
  passwd entry{};
  std::vector<char> buffer;
  std::vector<gid_t> groups;
  const bool known = lookupEntry(
      entry, buffer, [uid](passwd* e, char* b, std::size_t n, passwd** r) { return getpwuid_r(uid, e, b, n, r); });
  if (known) {
    // getgrouplist reports the size it needs when the array is too small.
    int count = 32;
    for (;;) {
      groups.resize(static_cast<std::size_t>(count));
      int needed = count;
      if (getgrouplist(entry.pw_name, gid, groups.data(), &needed) != -1) {
        groups.resize(static_cast<std::size_t>(needed));
        break;
      }
      count = needed > count ? needed : count * 2;
    }
  }
  return makePrincipal(uid, gid, groups);
}

std::optional<Principal> PrincipalCache::find(std::string_view sid) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  auto it = entries_.find(sid);
  if (it == entries_.end() || now - it->second.second > maxAge_)
    it = entries_.insert_or_assign(std::string(sid), Entry(Principal::fromSid(sid), now)).first;
  return it->second.first;
}

std::optional<Principal> Principal::fromSid(std::string_view sid) {
  const auto uid = idOf(sid, "uid:");
  if (!uid) return std::nullopt;
  passwd entry{};
  std::vector<char> buffer;
  const bool known = lookupEntry(
      entry, buffer, [id = *uid](passwd* e, char* b, std::size_t n, passwd** r) { return getpwuid_r(id, e, b, n, r); });
  if (!known) {
    Principal unknown;
    unknown.uid = *uid;
    unknown.admin = isAdmin(*uid, unknown.gids);
    return unknown;
  }
  return fromCredentials(*uid, entry.pw_gid);
}

namespace {
thread_local const Principal* impersonated = nullptr;
}  // namespace

const Principal& Principal::caller() {
  if (impersonated != nullptr) return *impersonated;
  static const Principal process = current();
  return process;
}

Impersonation::Impersonation(Principal principal) : principal_(std::move(principal)), previous_(impersonated) {
  impersonated = &principal_;
}

Impersonation::~Impersonation() { impersonated = previous_; }

RevertToSelf::RevertToSelf() : previous_(impersonated) { impersonated = nullptr; }

RevertToSelf::~RevertToSelf() { impersonated = previous_; }

std::string Principal::adminGroupName() {
  const char* name = std::getenv("WBEM_ADMIN_GROUP");
  return name != nullptr && *name != '\0' ? std::string(name) : std::string(kDefaultAdminGroup);
}

std::string Principal::sid() const { return "uid:" + std::to_string(uid); }

bool Principal::isTrustee(std::string_view trustee) const {
  if (const auto id = idOf(trustee, "uid:")) return *id == uid;
  if (const auto id = idOf(trustee, "gid:")) return std::ranges::find(gids, *id) != gids.end();
  if (iequals(trustee, "WD")) return true;
  if (iequals(trustee, "BA")) return admin;
  if (iequals(trustee, "SY")) return uid == 0;
  return false;
}

SecurityDescriptor SecurityDescriptor::parse(std::string_view sddl) {
  ParsedSddl parsed = SddlParser(sddl).run();
  SecurityDescriptor sd;
  sd.owner_ = std::move(parsed.owner);
  sd.group_ = std::move(parsed.group);
  sd.dacl_ = std::move(parsed.dacl);
  return sd;
}

SecurityDescriptor SecurityDescriptor::fromBytes(std::span<const std::uint8_t> bytes) {
  return parse(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::string SecurityDescriptor::toSddl() const {
  std::string out;
  if (!owner_.empty()) out.append("O:").append(owner_);
  if (!group_.empty()) out.append("G:").append(group_);
  if (dacl_) {
    out.append("D:");
    for (const Ace& ace : *dacl_) {
      char hex[sizeof "ffffffff"];
      const auto [end, ec] = std::to_chars(hex, hex + sizeof hex, ace.rights, 16);
      (void)ec;  // eight hex digits always fit
      out.append("(").append(ace.allow ? "A" : "D").append(";;0x").append(hex, end).append(";;;");
      out.append(ace.trustee).append(")");
    }
  }
  return out;
}

std::vector<std::uint8_t> SecurityDescriptor::toBytes() const {
  const std::string text = toSddl();
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

SecurityDescriptor SecurityDescriptor::fromValue(const Value& bytes) {
  if (bytes.isNull()) return SecurityDescriptor();
  std::vector<std::uint8_t> raw;
  for (const Value& b : bytes.asArray()) raw.push_back(static_cast<std::uint8_t>(b.asUInt64()));
  return fromBytes(raw);
}

Value SecurityDescriptor::toValue() const {
  ValueArray bytes;
  for (std::uint8_t b : toBytes()) bytes.emplace_back(b);
  return Value(CimType::UInt8, std::move(bytes));
}

bool SecurityDescriptor::grants(const Principal& who, std::uint32_t rights) const {
  if (rights == 0 || !dacl_) return true;
  constexpr std::uint32_t kOwnerRights = READ_CONTROL | WRITE_DAC;
  std::uint32_t granted = !owner_.empty() && who.isTrustee(owner_) ? kOwnerRights & rights : 0;
  if (granted == rights) return true;
  for (const Ace& ace : *dacl_) {
    if (!who.isTrustee(ace.trustee)) continue;
    if (ace.allow) {
      granted |= ace.rights & rights;
      if (granted == rights) return true;
    } else if ((ace.rights & rights & ~granted) != 0) {
      return false;
    }
  }
  return false;
}

}  // namespace wbem
