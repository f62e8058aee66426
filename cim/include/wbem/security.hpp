#pragma once
// wbem::Principal and wbem::SecurityDescriptor — who is asking, and what a descriptor grants
// them (WMI: the caller's token and a self-relative SECURITY_DESCRIPTOR in SDDL form). Linux
// identity as decisions.md 10 says: a principal is a uid with its groups; the Windows
// "Administrators" role is uid 0 or membership of the admin group (default `wbem-admin`).

#include <wbem/value.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wbem {

/// WMI access rights (WBEM_ENABLE ... WBEM_RIGHT_PUBLISH) and the standard rights SDDL uses.
enum AccessRight : std::uint32_t {
  WBEM_ENABLE = 0x1,
  WBEM_METHOD_EXECUTE = 0x2,
  WBEM_FULL_WRITE_REP = 0x4,
  WBEM_PARTIAL_WRITE_REP = 0x8,
  WBEM_WRITE_PROVIDER = 0x10,
  WBEM_REMOTE_ACCESS = 0x20,
  WBEM_RIGHT_SUBSCRIBE = 0x40,
  WBEM_RIGHT_PUBLISH = 0x80,
  READ_CONTROL = 0x20000,
  WRITE_DAC = 0x40000,
};

/// Every right a namespace descriptor can grant (WMI's namespace rights, the event rights,
/// ReadSecurity and WriteSecurity).
inline constexpr std::uint32_t kAllNamespaceRights =
    WBEM_ENABLE | WBEM_METHOD_EXECUTE | WBEM_FULL_WRITE_REP | WBEM_PARTIAL_WRITE_REP | WBEM_WRITE_PROVIDER |
    WBEM_REMOTE_ACCESS | WBEM_RIGHT_SUBSCRIBE | WBEM_RIGHT_PUBLISH | READ_CONTROL | WRITE_DAC;

/// A caller: uid, primary and supplementary gids, and whether it counts as an administrator.
/// A plain value type; thread-safe as any const object.
struct Principal {
  std::uint32_t uid = 0;
  std::vector<std::uint32_t> gids;  // primary group first
  bool admin = false;

  /// The calling process (getuid, getgid, getgroups); admin when uid 0 or a member of the admin
  /// group. Thread-safe.
  static Principal current();
  /// A principal from peer credentials (SO_PEERCRED gives uid and gid; the supplementary groups
  /// are read from the user database; a uid the database does not know has just `gid`). Admin as
  /// current(). Thread-safe.
  static Principal fromCredentials(std::uint32_t uid, std::uint32_t gid);
  /// The principal a CreatorSID names ("uid:N"): its groups and primary gid from the user
  /// database (a uid it does not know has no groups). nullopt for any other text. Thread-safe.
  static std::optional<Principal> fromSid(std::string_view sid);
  /// The principal the calling thread acts for: the one the innermost live Impersonation on this
  /// thread names, otherwise the process's (read once). Creators, owners and namespace rights are
  /// judged by it. The reference stays valid while that Impersonation lives. Thread-safe.
  static const Principal& caller();
  /// The group whose members are administrators (default "wbem-admin"; `WBEM_ADMIN_GROUP` in the
  /// environment overrides it unless empty). A group that does not exist makes only root an
  /// administrator. Thread-safe.
  static std::string adminGroupName();

  /// "uid:N", the form CreatorSID and descriptors use. Thread-safe.
  std::string sid() const;
  /// True when the principal is `uid:N` or in `gid:N` named by `trustee`, or the trustee is a
  /// well-known one that covers it: WD (everyone), BA (administrators), SY (uid 0). Letters compare
  /// without case; any other text names nobody. Thread-safe.
  bool isTrustee(std::string_view trustee) const;

  friend bool operator==(const Principal&, const Principal&) = default;
};

/// Principal::fromSid with memory: each SID is read from the user database at most once per
/// `maxAge`, for callers that look the same few up often (creators of permanent subscriptions,
/// owners events are raised as), while changes of groups still show after `maxAge`.
class PrincipalCache {
 public:
  explicit PrincipalCache(std::chrono::steady_clock::duration maxAge = std::chrono::seconds(30)) : maxAge_(maxAge) {}
  /// Principal::fromSid(sid), read again when the entry is older than maxAge. Thread-safe.
  std::optional<Principal> find(std::string_view sid);

 private:
  using Entry = std::pair<std::optional<Principal>, std::chrono::steady_clock::time_point>;
  const std::chrono::steady_clock::duration maxAge_;
  std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> entries_;
};

/// While it lives, the calling thread acts for `principal` (WMI: CoImpersonateClient until
/// CoRevertToSelf): what Principal::caller() returns. Scopes nest. Safety: affects only the thread
/// that made it, which must also destroy it.
class Impersonation {
 public:
  explicit Impersonation(Principal principal);
  ~Impersonation();
  Impersonation(const Impersonation&) = delete;
  Impersonation& operator=(const Impersonation&) = delete;

 private:
  Principal principal_;
  const Principal* previous_;
};

/// While it lives, the calling thread acts for the process itself again, whatever Impersonation
/// is live on it (WMI: CoRevertToSelf): for work the service does on its own account while serving
/// a caller, such as reading its configuration. Safety: affects only the thread that made it,
/// which must also destroy it.
class RevertToSelf {
 public:
  RevertToSelf();
  ~RevertToSelf();
  RevertToSelf(const RevertToSelf&) = delete;
  RevertToSelf& operator=(const RevertToSelf&) = delete;

 private:
  const Principal* previous_;
};

/// A security descriptor in the SDDL subset wbem uses: `O:owner`, `G:group` and `D:(ace)(ace)...`,
/// each at most once, in any order, without whitespace (`O:BAG:BAD:(A;;0x40;;;BA)`). ACEs are
/// `(A;;rights;;;trustee)` (allow) and `(D;;rights;;;trustee)` (deny); DACL flags after `D:` (P, AI,
/// AR) are accepted and ignored. Rights are hex (`0x40`), decimal, or concatenated SDDL codes: GA
/// (all bits), GR, GW, GX, CC, DC, LC, SW, RP, WP, RC, WD. Trustees are `uid:N`, `gid:N`, WD, BA, SY
/// (letters in any case; kept in canonical form: `uid:`/`gid:` lower case, the others upper case).
/// A descriptor without `D:` has a NULL DACL (everyone is granted everything); `D:` with no ACE
/// grants nobody. Immutable value type; thread-safe as any const object.
class SecurityDescriptor {
 public:
  struct Ace {
    bool allow = true;
    std::uint32_t rights = 0;
    std::string trustee;

    friend bool operator==(const Ace&, const Ace&) = default;
  };

  /// A descriptor with a NULL DACL (everyone allowed). Thread-safe.
  SecurityDescriptor() = default;
  /// Parses SDDL; anything else is WBEM_E_INVALID_PARAMETER with a message naming the fault and its
  /// column (also in Error::position(), line 1). The empty text is the NULL descriptor. Thread-safe.
  static SecurityDescriptor parse(std::string_view sddl);
  /// Reads the byte form (`__Event.SECURITY_DESCRIPTOR`, `setSinkSecurity`): the SDDL text's UTF-8
  /// bytes, without a terminating NUL. An empty span is a NULL descriptor (no owner, no group, NULL
  /// DACL: everyone is granted everything), as a NULL SECURITY_DESCRIPTOR is in WMI.
  /// WBEM_E_INVALID_PARAMETER when they are not a valid descriptor. Thread-safe.
  static SecurityDescriptor fromBytes(std::span<const std::uint8_t> bytes);

  /// The canonical SDDL text (round-trips through parse). Thread-safe.
  std::string toSddl() const;
  /// The byte form fromBytes reads: the UTF-8 bytes of toSddl(), empty for a NULL descriptor.
  /// Thread-safe.
  std::vector<std::uint8_t> toBytes() const;
  /// fromBytes of a uint8[] property value (__Event.SECURITY_DESCRIPTOR, __SystemSecurity's SD);
  /// NULL is a NULL descriptor. WBEM_E_INVALID_PARAMETER as fromBytes. Thread-safe.
  static SecurityDescriptor fromValue(const Value& bytes);
  /// toBytes() as such a uint8[] value. Thread-safe.
  Value toValue() const;

  /// True when every bit of `rights` is allowed to `who`: ACEs are read in order, a deny ACE naming
  /// the principal and one of the bits not yet granted denies, allow ACEs accumulate; a NULL DACL
  /// (or `rights` 0) allows all. As in Windows, the owner always has READ_CONTROL and WRITE_DAC,
  /// whatever the DACL says, so that an owner cannot lock themselves out of the descriptor.
  /// Thread-safe.
  bool grants(const Principal& who, std::uint32_t rights) const;

  const std::string& owner() const noexcept { return owner_; }
  const std::string& group() const noexcept { return group_; }
  /// The ACEs, or nullopt for a NULL DACL.
  const std::optional<std::vector<Ace>>& dacl() const noexcept { return dacl_; }

  friend bool operator==(const SecurityDescriptor&, const SecurityDescriptor&) = default;

 private:
  std::string owner_;
  std::string group_;
  std::optional<std::vector<Ace>> dacl_;
};

}  // namespace wbem
