// Tests of wbem::Principal (uid, groups, admin role) and wbem::SecurityDescriptor (SDDL subset,
// byte form, access checks), decisions.md 10.

#include <wbem/security.hpp>
#include <wbem/status.hpp>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <grp.h>
#include <optional>
#include <string>
#include <string_view>
#include <unistd.h>
#include <utility>
#include <vector>

#include "support.hpp"

namespace {

using wbem::Principal;
using wbem::SecurityDescriptor;

// A non-admin principal with the given uid and gids (admin is set by hand: these tests are about
// the descriptor, not the group database).
Principal user(std::uint32_t uid, std::vector<std::uint32_t> gids, bool admin = false) {
  Principal p;
  p.uid = uid;
  p.gids = std::move(gids);
  p.admin = admin;
  return p;
}

// The wbem::Error that parsing `sddl` throws.
wbem::Error parseError(std::string_view sddl) {
  return wbemtest::errorOf([&] { (void)SecurityDescriptor::parse(sddl); });
}

}  // namespace

TEST_CASE("the spec's example descriptor parses into owner, group and one ACE", "[security]") {
  const SecurityDescriptor sd = SecurityDescriptor::parse("O:BAG:BAD:(A;;0x40;;;BA)");
  CHECK(sd.owner() == "BA");
  CHECK(sd.group() == "BA");
  REQUIRE(sd.dacl().has_value());
  REQUIRE(sd.dacl()->size() == 1);
  const SecurityDescriptor::Ace& ace = sd.dacl()->front();
  CHECK(ace.allow);
  CHECK(ace.rights == wbem::WBEM_RIGHT_SUBSCRIBE);
  CHECK(ace.trustee == "BA");
  CHECK(sd.toSddl() == "O:BAG:BAD:(A;;0x40;;;BA)");
}

TEST_CASE("rights read as hex, decimal and SDDL codes", "[security]") {
  auto rightsOf = [](std::string_view text) {
    const SecurityDescriptor sd = SecurityDescriptor::parse("D:(A;;" + std::string(text) + ";;;WD)");
    REQUIRE(sd.dacl()->size() == 1);
    return sd.dacl()->front().rights;
  };
  CHECK(rightsOf("0x80") == wbem::WBEM_RIGHT_PUBLISH);
  CHECK(rightsOf("0X1F") == 0x1Fu);
  CHECK(rightsOf("0xFFFFFFFF") == 0xFFFFFFFFu);
  CHECK(rightsOf("64") == 0x40u);
  CHECK(rightsOf("0") == 0u);
  CHECK(rightsOf("GA") == 0xFFFFFFFFu);
  CHECK(rightsOf("GR") == (wbem::READ_CONTROL | wbem::WBEM_ENABLE));
  CHECK(rightsOf("GW") == (wbem::WBEM_FULL_WRITE_REP | wbem::WBEM_PARTIAL_WRITE_REP | wbem::WBEM_WRITE_PROVIDER));
  CHECK(rightsOf("GX") == wbem::WBEM_METHOD_EXECUTE);
  CHECK(rightsOf("CC") == wbem::WBEM_ENABLE);
  CHECK(rightsOf("DC") == wbem::WBEM_METHOD_EXECUTE);
  CHECK(rightsOf("LC") == wbem::WBEM_FULL_WRITE_REP);
  CHECK(rightsOf("SW") == wbem::WBEM_PARTIAL_WRITE_REP);
  CHECK(rightsOf("RP") == wbem::WBEM_WRITE_PROVIDER);
  CHECK(rightsOf("WP") == wbem::WBEM_REMOTE_ACCESS);
  CHECK(rightsOf("RC") == wbem::READ_CONTROL);
  CHECK(rightsOf("WD") == wbem::WRITE_DAC);
  CHECK(rightsOf("CCDCRC") == (wbem::WBEM_ENABLE | wbem::WBEM_METHOD_EXECUTE | wbem::READ_CONTROL));
}

TEST_CASE("sections come in any order, DACL flags are ignored, trustees are canonical", "[security]") {
  const SecurityDescriptor sd = SecurityDescriptor::parse("D:PAI(D;;0x2;;;Uid:0042)(A;;GA;;;wd)G:gid:7O:sy");
  CHECK(sd.owner() == "SY");
  CHECK(sd.group() == "gid:7");
  REQUIRE(sd.dacl().has_value());
  REQUIRE(sd.dacl()->size() == 2);
  CHECK_FALSE((*sd.dacl())[0].allow);
  CHECK((*sd.dacl())[0].rights == 0x2u);
  CHECK((*sd.dacl())[0].trustee == "uid:42");
  CHECK((*sd.dacl())[1].allow);
  CHECK((*sd.dacl())[1].trustee == "WD");
  CHECK(sd.toSddl() == "O:SYG:gid:7D:(D;;0x2;;;uid:42)(A;;0xffffffff;;;WD)");

  CHECK(SecurityDescriptor::parse("D:P").dacl()->empty());
  CHECK(SecurityDescriptor::parse("D:ARAIP(A;;0x1;;;BA)").dacl()->size() == 1);
}

TEST_CASE("NULL and empty DACLs differ", "[security]") {
  const SecurityDescriptor none = SecurityDescriptor::parse("");
  CHECK(none == SecurityDescriptor());
  CHECK_FALSE(none.dacl().has_value());
  CHECK(none.owner().empty());
  CHECK(none.group().empty());
  CHECK(none.toSddl().empty());

  const SecurityDescriptor ownerOnly = SecurityDescriptor::parse("O:uid:1000");
  CHECK(ownerOnly.owner() == "uid:1000");
  CHECK_FALSE(ownerOnly.dacl().has_value());
  CHECK(ownerOnly.toSddl() == "O:uid:1000");

  const SecurityDescriptor empty = SecurityDescriptor::parse("D:");
  REQUIRE(empty.dacl().has_value());
  CHECK(empty.dacl()->empty());
  CHECK(empty.toSddl() == "D:");
  CHECK_FALSE(empty == none);
}

TEST_CASE("toSddl round-trips through parse", "[security]") {
  for (const char* text :
       {"", "O:BA", "G:gid:0", "D:", "O:BAG:BAD:(A;;0x40;;;BA)", "O:uid:1000G:gid:1000D:(A;;GA;;;SY)",
        "D:(D;;0x80;;;uid:5)(A;;0xc0;;;WD)(A;;RCWD;;;gid:10)", "D:P(A;;4294967295;;;ba)G:SYO:wd"}) {
    CAPTURE(text);
    const SecurityDescriptor sd = SecurityDescriptor::parse(text);
    const std::string canonical = sd.toSddl();
    const SecurityDescriptor again = SecurityDescriptor::parse(canonical);
    CHECK(again == sd);
    CHECK(again.toSddl() == canonical);
  }
  CHECK(SecurityDescriptor::parse("D:P(A;;4294967295;;;ba)G:SYO:wd").toSddl() == "O:WDG:SYD:(A;;0xffffffff;;;BA)");
  CHECK(SecurityDescriptor::parse("D:(A;;RCWD;;;gid:10)").toSddl() == "D:(A;;0x60000;;;gid:10)");
}

TEST_CASE("the byte form is the SDDL text, and no bytes is a NULL descriptor", "[security]") {
  const SecurityDescriptor sd = SecurityDescriptor::parse("O:BAD:(A;;0x40;;;BA)");
  const std::vector<std::uint8_t> bytes = sd.toBytes();
  CHECK(std::string(bytes.begin(), bytes.end()) == "O:BAD:(A;;0x40;;;BA)");
  CHECK(SecurityDescriptor::fromBytes(bytes) == sd);

  const SecurityDescriptor none = SecurityDescriptor::fromBytes({});
  CHECK(none == SecurityDescriptor());
  CHECK_FALSE(none.dacl().has_value());
  CHECK(none.grants(user(1000, {1000}), wbem::WBEM_RIGHT_SUBSCRIBE));
  CHECK(SecurityDescriptor().toBytes().empty());

  const std::vector<std::uint8_t> garbage{0x01, 0x00, 0x04, 0x80};
  CHECK_STATUS(wbem::WBEM_E_INVALID_PARAMETER, SecurityDescriptor::fromBytes(garbage));
  const std::string withNul("D:\0", 3);
  const std::vector<std::uint8_t> nulTerminated(withNul.begin(), withNul.end());
  CHECK_STATUS(wbem::WBEM_E_INVALID_PARAMETER, SecurityDescriptor::fromBytes(nulTerminated));
}

TEST_CASE("malformed SDDL is WBEM_E_INVALID_PARAMETER with the column", "[security]") {
  struct Case {
    const char* sddl;
    std::uint32_t column;
    const char* words;  // what the message must name
  };
  const Case cases[] = {
      {"D:(A;;0x40;;;BA", 3, "unterminated ACE"},
      {"D:(A;;0x40;;;BA(A;;0x1;;;WD)", 3, "unterminated ACE"},
      {"D:(X;;0x40;;;BA)", 4, "unknown ACE type 'X'"},
      {"D:(AU;;0x40;;;BA)", 4, "unknown ACE type 'AU'"},
      {"D:(;;0x40;;;BA)", 4, "ACE type expected"},
      {"D:(A;;0xZZ;;;BA)", 9, "hex digit"},
      {"D:(A;;0x;;;BA)", 9, "hex digits expected"},
      {"D:(A;;0x100000000;;;BA)", 9, "32 bits"},
      {"D:(A;;12a;;;BA)", 9, "decimal digit"},
      {"D:(A;;GAXY;;;BA)", 9, "unknown access right 'XY'"},
      {"D:(A;;G;;;BA)", 7, "unknown access right 'G'"},
      {"D:(A;;;;;BA)", 7, "access rights expected"},
      {"D:(A;;0x40;;;uid:x)", 14, "unknown trustee 'uid:x'"},
      {"D:(A;;0x40;;;XX)", 14, "unknown trustee 'XX'"},
      {"D:(A;;0x40;;;S-1-5-18)", 14, "unknown trustee"},
      {"D:(A;;0x40;;;uid:99999999999)", 14, "unknown trustee"},
      {"D:(A;;0x40;;;)", 14, "trustee expected"},
      {"D:(A;CI;0x40;;;BA)", 6, "ACE flags"},
      {"D:(A;;0x40;guid;;BA)", 12, "object ACEs"},
      {"D:(A;;0x40;;BA)", 3, "6 fields"},
      {"O:uid:x", 7, "decimal id expected"},
      {"O:XX", 3, "trustee"},
      {"O:", 3, "end of text"},
      {"G:uid:99999999999", 7, "out of range"},
      {"O:BAO:SY", 5, "duplicate 'O:'"},
      {"G:BAG:BA", 5, "duplicate 'G:'"},
      {"D:D:(A;;GA;;;WD)", 3, "duplicate 'D:'"},
      {"D:(A;;GA;;;WD)D:", 15, "duplicate 'D:'"},
      {"hello", 1, "section"},
      {"O:BAX", 5, "section"},
      {"D:(A;;GA;;;WD))", 15, "section"},
      {"S:(AU;;GA;;;WD)", 1, "unsupported section 'S:'"},
      {"D:Q(A;;GA;;;WD)", 3, "unknown DACL flag"},
      {"D:NO_ACCESS_CONTROL", 3, "unknown DACL flag"},
      {"O:BA D:", 5, "whitespace"},
      {" O:BA", 1, "whitespace"},
      {"D:(A;;GA;;;WD)\n", 15, "whitespace"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.sddl);
    CHECK_STATUS(wbem::WBEM_E_INVALID_PARAMETER, SecurityDescriptor::parse(c.sddl));
    const wbem::Error error = parseError(c.sddl);
    CHECK(error.status() == wbem::WBEM_E_INVALID_PARAMETER);
    CHECK_THAT(error.message(), Catch::Contains(c.words));
    CHECK_THAT(error.message(), Catch::EndsWith("at column " + std::to_string(c.column)));
    REQUIRE(error.position().has_value());
    CHECK(error.position()->line == 1);
    CHECK(error.position()->column == c.column);
  }
}

TEST_CASE("grants: admins versus others through BA, WD, uid and gid", "[security]") {
  const Principal admin = user(0, {0}, true);
  const Principal groupAdmin = user(1500, {1500, 990}, true);
  const Principal alice = user(1000, {1000, 27});
  const Principal bob = user(1001, {1001});

  const SecurityDescriptor adminsOnly = SecurityDescriptor::parse("O:BAG:BAD:(A;;0x40;;;BA)");
  CHECK(adminsOnly.grants(admin, wbem::WBEM_RIGHT_SUBSCRIBE));
  CHECK(adminsOnly.grants(groupAdmin, wbem::WBEM_RIGHT_SUBSCRIBE));
  CHECK_FALSE(adminsOnly.grants(alice, wbem::WBEM_RIGHT_SUBSCRIBE));
  CHECK_FALSE(adminsOnly.grants(admin, wbem::WBEM_RIGHT_PUBLISH));
  CHECK_FALSE(adminsOnly.grants(admin, wbem::WBEM_RIGHT_SUBSCRIBE | wbem::WBEM_RIGHT_PUBLISH));

  const SecurityDescriptor everyone = SecurityDescriptor::parse("D:(A;;0xc0;;;WD)");
  CHECK(everyone.grants(alice, wbem::WBEM_RIGHT_SUBSCRIBE | wbem::WBEM_RIGHT_PUBLISH));
  CHECK(everyone.grants(bob, wbem::WBEM_RIGHT_PUBLISH));
  CHECK_FALSE(everyone.grants(bob, wbem::WBEM_ENABLE));

  const SecurityDescriptor byUid = SecurityDescriptor::parse("D:(A;;0x40;;;uid:1000)");
  CHECK(byUid.grants(alice, wbem::WBEM_RIGHT_SUBSCRIBE));
  CHECK_FALSE(byUid.grants(bob, wbem::WBEM_RIGHT_SUBSCRIBE));
  CHECK_FALSE(byUid.grants(admin, wbem::WBEM_RIGHT_SUBSCRIBE));

  const SecurityDescriptor byGid = SecurityDescriptor::parse("D:(A;;0x40;;;gid:27)");
  CHECK(byGid.grants(alice, wbem::WBEM_RIGHT_SUBSCRIBE));
  CHECK_FALSE(byGid.grants(bob, wbem::WBEM_RIGHT_SUBSCRIBE));

  const SecurityDescriptor bySystem = SecurityDescriptor::parse("D:(A;;GA;;;SY)");
  CHECK(bySystem.grants(admin, wbem::WRITE_DAC));
  CHECK_FALSE(bySystem.grants(groupAdmin, wbem::WRITE_DAC));

  // Allow bits accumulate over several ACEs.
  const SecurityDescriptor split = SecurityDescriptor::parse("D:(A;;0x40;;;WD)(A;;0x80;;;gid:27)");
  CHECK(split.grants(alice, wbem::WBEM_RIGHT_SUBSCRIBE | wbem::WBEM_RIGHT_PUBLISH));
  CHECK_FALSE(split.grants(bob, wbem::WBEM_RIGHT_SUBSCRIBE | wbem::WBEM_RIGHT_PUBLISH));
}

TEST_CASE("grants: ACE order decides between deny and allow", "[security]") {
  const Principal alice = user(1000, {1000, 27});
  const Principal bob = user(1001, {1001});

  const SecurityDescriptor denyFirst = SecurityDescriptor::parse("D:(D;;0x40;;;uid:1000)(A;;GA;;;WD)");
  CHECK_FALSE(denyFirst.grants(alice, wbem::WBEM_RIGHT_SUBSCRIBE));
  CHECK(denyFirst.grants(alice, wbem::WBEM_RIGHT_PUBLISH));  // the deny names another bit
  CHECK(denyFirst.grants(bob, wbem::WBEM_RIGHT_SUBSCRIBE));  // the deny names another principal

  const SecurityDescriptor allowFirst = SecurityDescriptor::parse("D:(A;;GA;;;WD)(D;;0x40;;;uid:1000)");
  CHECK(allowFirst.grants(alice, wbem::WBEM_RIGHT_SUBSCRIBE));

  // A deny of a bit already granted by an earlier ACE does not take it back.
  const SecurityDescriptor partly = SecurityDescriptor::parse("D:(A;;0x40;;;WD)(D;;0x40;;;gid:27)(A;;0x80;;;WD)");
  CHECK(partly.grants(alice, wbem::WBEM_RIGHT_SUBSCRIBE | wbem::WBEM_RIGHT_PUBLISH));
  const SecurityDescriptor denyRest = SecurityDescriptor::parse("D:(A;;0x40;;;WD)(D;;0xc0;;;gid:27)(A;;0x80;;;WD)");
  CHECK_FALSE(denyRest.grants(alice, wbem::WBEM_RIGHT_SUBSCRIBE | wbem::WBEM_RIGHT_PUBLISH));
  CHECK(denyRest.grants(alice, wbem::WBEM_RIGHT_SUBSCRIBE));
}

TEST_CASE("grants: NULL DACL allows all, empty DACL allows nothing, no rights is always granted", "[security]") {
  const Principal bob = user(1001, {1001});
  const Principal root = user(0, {0}, true);

  CHECK(SecurityDescriptor().grants(bob, 0xFFFFFFFFu));
  CHECK(SecurityDescriptor::parse("O:BAG:BA").grants(bob, wbem::WBEM_RIGHT_PUBLISH));

  const SecurityDescriptor empty = SecurityDescriptor::parse("D:");
  CHECK_FALSE(empty.grants(bob, wbem::WBEM_RIGHT_SUBSCRIBE));
  CHECK_FALSE(empty.grants(root, wbem::WBEM_RIGHT_SUBSCRIBE));
  CHECK(empty.grants(bob, 0));
  CHECK(SecurityDescriptor::parse("D:(D;;GA;;;WD)").grants(bob, 0));
}

TEST_CASE("sid and isTrustee", "[security]") {
  const Principal alice = user(1000, {1000, 27});
  const Principal admin = user(1500, {1500, 990}, true);
  const Principal root = user(0, {0}, true);

  CHECK(alice.sid() == "uid:1000");
  CHECK(root.sid() == "uid:0");

  CHECK(alice.isTrustee("uid:1000"));
  CHECK(alice.isTrustee("UID:1000"));
  CHECK(alice.isTrustee("uid:01000"));
  CHECK_FALSE(alice.isTrustee("uid:1001"));
  CHECK(alice.isTrustee("gid:27"));
  CHECK(alice.isTrustee("Gid:1000"));
  CHECK_FALSE(alice.isTrustee("gid:990"));
  CHECK(alice.isTrustee("WD"));
  CHECK(alice.isTrustee("wd"));
  CHECK_FALSE(alice.isTrustee("BA"));
  CHECK_FALSE(alice.isTrustee("SY"));

  CHECK(admin.isTrustee("BA"));
  CHECK(admin.isTrustee("ba"));
  CHECK_FALSE(admin.isTrustee("SY"));
  CHECK(root.isTrustee("SY"));
  CHECK(root.isTrustee("Sy"));

  for (const char* other : {"", "uid:", "uid:x", "uid:-1", "uid:99999999999", "1000", "S-1-5-18", "WDX", "everyone"}) {
    CAPTURE(other);
    CHECK_FALSE(alice.isTrustee(other));
    CHECK_FALSE(root.isTrustee(other));
  }
}

TEST_CASE("Principal::current is the calling process", "[security][principal]") {
  const wbemtest::ScopedEnv env("WBEM_ADMIN_GROUP", "wbem-test-no-such-group");
  const Principal me = Principal::current();
  CHECK(me.uid == ::getuid());
  REQUIRE_FALSE(me.gids.empty());
  CHECK(me.gids.front() == ::getgid());
  CHECK(me.admin == (::getuid() == 0));
  CHECK(me.sid() == "uid:" + std::to_string(::getuid()));
  CHECK(me.isTrustee(me.sid()));
  CHECK(me.isTrustee("gid:" + std::to_string(::getgid())));
}

TEST_CASE("the admin group comes from WBEM_ADMIN_GROUP", "[security][principal]") {
  {
    const wbemtest::ScopedEnv env("WBEM_ADMIN_GROUP", nullptr);
    CHECK(Principal::adminGroupName() == "wbem-admin");
  }
  {
    const wbemtest::ScopedEnv env("WBEM_ADMIN_GROUP", "");
    CHECK(Principal::adminGroupName() == "wbem-admin");
  }

  const ::group* primary = ::getgrgid(::getgid());
  if (primary == nullptr) {
    WARN("the primary group has no name; skipping the admin-group checks");
    return;
  }
  const std::string primaryName = primary->gr_name;
  const wbemtest::ScopedEnv env("WBEM_ADMIN_GROUP", primaryName.c_str());
  CHECK(Principal::adminGroupName() == primaryName);
  const Principal me = Principal::current();
  CHECK(me.admin);
  CHECK(me.isTrustee("BA"));
  CHECK(SecurityDescriptor::parse("D:(A;;0x40;;;BA)").grants(me, wbem::WBEM_RIGHT_SUBSCRIBE));

  // Peer credentials: membership through the given primary gid counts as well.
  const Principal peer = Principal::fromCredentials(4000000000u, ::getgid());
  CHECK(peer.admin);
}

TEST_CASE("Principal::fromCredentials reads the user database", "[security][principal]") {
  const wbemtest::ScopedEnv env("WBEM_ADMIN_GROUP", "wbem-test-no-such-group");

  const Principal root = Principal::fromCredentials(0, 0);
  CHECK(root.uid == 0);
  REQUIRE_FALSE(root.gids.empty());
  CHECK(root.gids.front() == 0);
  CHECK(root.admin);
  CHECK(root.isTrustee("SY"));
  CHECK(root.isTrustee("BA"));

  // A uid the database does not know keeps just the gid it came with.
  const Principal stranger = Principal::fromCredentials(4000000000u, 4000000001u);
  CHECK(stranger.uid == 4000000000u);
  CHECK(stranger.gids == std::vector<std::uint32_t>{4000000001u});
  CHECK_FALSE(stranger.admin);
  CHECK(stranger.sid() == "uid:4000000000");
  // With no admin group on the system, a group cannot make anyone but root an administrator.
  CHECK_FALSE(Principal::fromCredentials(4000000000u, ::getgid()).admin);

  // The calling user seen through credentials has the same uid and primary group as current().
  const Principal me = Principal::fromCredentials(::getuid(), ::getgid());
  CHECK(me.uid == ::getuid());
  REQUIRE_FALSE(me.gids.empty());
  CHECK(me.gids.front() == ::getgid());
  CHECK(me.admin == (::getuid() == 0));
  for (std::size_t i = 0; i < me.gids.size(); ++i)
    for (std::size_t j = i + 1; j < me.gids.size(); ++j) CHECK(me.gids[i] != me.gids[j]);
}
