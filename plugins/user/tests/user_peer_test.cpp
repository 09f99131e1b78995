// user roam against a real sshd on loopback (tests/support/sshd_harness.hpp).
#include <catch2/catch.hpp>
#include <ctime>
#include <nlohmann/json.hpp>

#include "../account_ops.hpp"
#include "sshd_harness.hpp"

using namespace sc::test;
using Catch::Contains;

namespace {

void make_accounts(const fs::path& root) {
  write_minimal_accounts(root);
  write_text(root / "etc/skel/.profile", "# skel\n");
}

}  // namespace

TEST_CASE("user roam imports an account from the master", "[user][peer]") {
  SshdHarness h;
  make_accounts(h.peer_root());
  make_accounts(h.client_root());
  REQUIRE(h.peer_sc({"user", "addgroup", "staff"}).status == 0);
  REQUIRE(h.peer_sc({"user", "add", "bob", "staff"}).status == 0);

  const std::string before = tree_hash(h.client_root());
  ScRun r = h.sc({"--dry-run", "user", "roam", "bob", h.peer()});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(tree_hash(h.client_root()) == before);

  r = h.sc({"user", "roam", "bob", h.peer()});
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("imported user bob (uid 10001) from " + h.peer()));
  const std::string today = std::to_string(useracct::days_since_epoch(std::time(nullptr)));
  CHECK(read_text(h.client_root() / "etc/passwd") == kMinimalPasswd + "bob:x:10001:10000::/home/bob:/bin/bash\n");
  CHECK(read_text(h.client_root() / "etc/shadow") == kMinimalShadow + "bob:!:" + today + ":0:99999:7:::\n");
  CHECK(read_text(h.client_root() / "etc/group") == kMinimalGroup + "staff:x:10000:\n");
  CHECK(read_text(h.client_root() / "etc/gshadow") == kMinimalGshadow + "staff:!::\n");
  CHECK(read_text(h.client_root() / "home/bob/.profile") == "# skel\n");
  auto doc = nlohmann::json::parse(h.sc({"--json", "user", "roam", "bob", h.peer()}).out);
  CHECK(doc["status"] == 0);
  CHECK(doc["summary"]["changed"] == 0);

  // The master has no such user; a gid that means another group here.
  r = h.sc({"user", "roam", "nobody", h.peer()});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("cannot read the account of nobody on " + h.peer()));
  REQUIRE(h.peer_sc({"user", "add", "carol", "staff"}).status == 0);
  write_text(h.client_root() / "etc/group", kMinimalGroup + "other:x:10000:\n");
  write_text(h.client_root() / "etc/gshadow", kMinimalGshadow + "other:!::\n", fs::perms(0640));
  const std::string conflict = tree_hash(h.client_root());
  r = h.sc({"user", "roam", "carol", h.peer()});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("gid 10000 is group other here but staff on " + h.peer()));
  CHECK(tree_hash(h.client_root()) == conflict);
}
