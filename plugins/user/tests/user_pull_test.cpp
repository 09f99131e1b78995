// sc user pull against a real sshd on loopback (tests/support/sshd_harness):
// the master is this machine seen through that sshd with its own --root,
// the client another --root. The multi-host scenario (real hosts, no
// --root, a login) is user_cluster_test.cpp.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "sshd_harness.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

namespace {

void make_host(const fs::path& root) {
  write_minimal_accounts(root);
  write_text(root / "etc/skel/.profile", "# skel\n");
  write_text(root / "bin/bash", "", fs::perms(0755));
  fs::create_directories(root / "root");
  fs::create_directories(root / "home");
}

/// The line of `text` for `name` ("name:..."), or "".
std::string line_of(const std::string& text, const std::string& name) {
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    if (text.compare(at, name.size() + 1, name + ":") == 0) return text.substr(at, end - at);
    at = end + 1;
  }
  return "";
}

json summary(const ScRun& r) {
  auto doc = json::parse(r.out, nullptr, false);
  return doc.is_object() ? doc["summary"] : json();
}

}  // namespace

TEST_CASE("user pull brings the master's accounts to a client", "[user][peer]") {
  SshdHarness h;
  make_host(h.peer_root());
  make_host(h.client_root());
  const std::string pw = "correct horse\n";
  REQUIRE(run_sc_rooted(h.peer_root(), {"user", "add", "alice", "--password-stdin"}, &pw).status == 0);
  REQUIRE(run_sc_rooted(h.peer_root(), {"user", "add", "bob", "--password-stdin"}, &pw).status == 0);
  REQUIRE(h.peer_sc({"user", "addgroup", "staff"}).status == 0);
  // alice is a sudoer on the master; the client has a local admin in sudo.
  const fs::path pg = h.peer_root() / "etc/group", pgs = h.peer_root() / "etc/gshadow";
  write_text(pg, read_text(pg).replace(read_text(pg).find("sudo:x:27:"), 10, "sudo:x:27:alice"));
  write_text(pgs, read_text(pgs).replace(read_text(pgs).find("sudo:*::"), 8, "sudo:*::alice"), fs::perms(0640));
  const fs::path cp = h.client_root() / "etc/passwd", cg = h.client_root() / "etc/group";
  write_text(cp, read_text(cp) + "admin:x:1000:27::/root:/bin/bash\n");
  write_text(h.client_root() / "etc/shadow", read_text(h.client_root() / "etc/shadow") + "admin:!:19000:0:99999:7:::\n",
             fs::perms(0640));
  write_text(cg, read_text(cg).replace(read_text(cg).find("sudo:x:27:"), 10, "sudo:x:27:admin"));
  const fs::path cgs = h.client_root() / "etc/gshadow";
  write_text(cgs, read_text(cgs).replace(read_text(cgs).find("sudo:*::"), 8, "sudo:*::admin"), fs::perms(0640));
  REQUIRE(account_check(h.client_root()) == "");

  // --dry-run shows the plan and changes nothing.
  const std::string before = tree_hash(h.client_root());
  ScRun r = h.sc({"--dry-run", "user", "pull", h.peer(), "client"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("would add user alice (uid 10000)"));
  CHECK(tree_hash(h.client_root()) == before);

  r = h.sc({"user", "pull", h.peer(), "client"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out ==
        "added group alice (gid 10000)\nadded group bob (gid 10001)\nadded group staff (gid 10002)\n"
        "added user alice (uid 10000)\nadded user bob (uid 10001)\nadded alice to group sudo\n"
        "created the home directory /home/alice of alice\ncreated the home directory /home/bob of bob\n");
  const std::string mp = read_text(h.peer_root() / "etc/passwd"), ms = read_text(h.peer_root() / "etc/shadow");
  const std::string lp = read_text(cp), ls = read_text(h.client_root() / "etc/shadow");
  for (const char* who : {"alice", "bob"}) {
    CHECK(line_of(lp, who) == line_of(mp, who));
    CHECK(line_of(ls, who) == line_of(ms, who));
    CHECK(line_of(ls, who).find(":$y$") != std::string::npos);
  }
  CHECK(line_of(read_text(cg), "sudo") == "sudo:x:27:admin,alice");
  CHECK(line_of(read_text(cgs), "sudo") == "sudo:*::admin,alice");
  CHECK(read_text(h.client_root() / "home/alice/.profile") == "# skel\n");
  CHECK(fs::status(h.client_root() / "etc/shadow").permissions() == fs::perms(0640));
  CHECK(fs::status(cp).permissions() == fs::perms(0644));
  CHECK(account_check(h.client_root()) == "");

  // Again: nothing changes.
  const std::string after = tree_hash(h.client_root());
  r = h.sc({"--json", "user", "pull", h.peer(), "client"});
  CHECK(r.status == 0);
  CHECK(summary(r)["changed"] == 0);
  CHECK(tree_hash(h.client_root()) == after);

  // bob deleted on the master: gone here at the next pull, his home kept.
  REQUIRE(run_sc_rooted(h.peer_root(), {"--yes", "user", "del", "bob"}).status == 0);
  r = h.sc({"user", "pull", h.peer(), "client"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("removed user bob, gone from " + h.peer() + " (its home directory is kept)"));
  CHECK(line_of(read_text(cp), "bob") == "");
  CHECK(fs::exists(h.client_root() / "home/bob/.profile"));
  CHECK(account_check(h.client_root()) == "");
}

TEST_CASE("user pull refuses a bad master, a conflict or no master, changing nothing", "[user][peer]") {
  SshdHarness h;
  make_host(h.peer_root());
  make_host(h.client_root());
  REQUIRE(h.peer_sc({"user", "add", "alice"}).status == 0);
  const std::string before = tree_hash(h.client_root());

  // A local account named like the master's cluster account.
  const fs::path cp = h.client_root() / "etc/passwd";
  const std::string passwd = read_text(cp);
  write_text(cp, passwd + "alice:x:1000:0::/root:/bin/bash\n");
  const std::string conflicted = tree_hash(h.client_root());
  ScRun r = h.sc({"user", "pull", h.peer(), "client"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("refusing to pull the accounts of " + h.peer() +
                             ", nothing was changed: user alice is a local account here (uid 1000) and a cluster "
                             "account on " +
                             h.peer() + " (uid 10000)"));
  CHECK(tree_hash(h.client_root()) == conflicted);
  write_text(cp, passwd);

  // A hostile entry in the master's files.
  const fs::path mp = h.peer_root() / "etc/passwd";
  const std::string good = read_text(mp);
  write_text(mp, good + "$(reboot):x:10050:10000::/home/x:/bin/bash\n");
  r = h.sc({"user", "pull", h.peer(), "client"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("the account files of " + h.peer() + " cannot be pulled: /etc/passwd: \"$(reboot)\""));
  CHECK_THAT(r.err, Contains("nothing was changed here"));
  CHECK(tree_hash(h.client_root()) == before);
  write_text(mp, good);

  // Nobody answers there.
  r = h.sc({"user", "pull", "root@127.0.0.1:" + std::to_string(free_loopback_port()), "client"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("cannot read the accounts of the master root@127.0.0.1:"));
  CHECK_THAT(r.err, Contains("nothing was changed"));
  CHECK(tree_hash(h.client_root()) == before);

  // Bad arguments: exit 2 before anything.
  r = h.sc({"user", "pull", h.peer(), "boss"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("\"boss\" is not a MODE"));
  CHECK(h.sc({"user", "pull", "-oProxyCommand=x", "client"}).status == 2);
  CHECK(h.sc({"user", "sync", h.peer()}).status == 2);
  // On the master itself: nothing to do, nothing asked of the network.
  r = h.sc({"user", "sync", "127.0.0.1:1", "master"});
  CHECK(r.status == 0);
  CHECK(r.out == "this host is the master: no accounts to pull\n");
  CHECK(tree_hash(h.client_root()) == before);
}

TEST_CASE("user sync is the pull, and a roaming host gets passwords, not users", "[user][peer]") {
  SshdHarness h;
  make_host(h.peer_root());
  make_host(h.client_root());
  const std::string pw = "pw\n";
  REQUIRE(run_sc_rooted(h.peer_root(), {"user", "add", "alice", "--password-stdin"}, &pw).status == 0);
  REQUIRE(run_sc_rooted(h.peer_root(), {"user", "add", "bob", "--password-stdin"}, &pw).status == 0);
  // alice roams here: no password until a pull.
  REQUIRE(h.sc({"user", "roam", "alice", h.peer()}).status == 0);
  const fs::path sh = h.client_root() / "etc/shadow";
  CHECK(line_of(read_text(sh), "alice").rfind("alice:!:", 0) == 0);
  // A roaming host synchronises its users' homes after the accounts: here
  // with only the user module installed (the peer is not a whole host, its
  // homes are not to be synchronised), the home is reported and the merge
  // stands. Real homes are synchronised in user_homes_cluster_test.cpp.
  TempDir plugins;
  fs::permissions(plugins.path(), fs::perms(0755));
  for (const char* f : {"user.so", "user.json"}) fs::copy_file(fs::path(kPluginDir) / f, plugins / f);
  ScRun r = run_sc({"--plugin-path", plugins.path().string(), "--root", h.client_root().string(), "user", "sync",
                    h.peer(), "roaming"},
                   nullptr, {"HOME=" + h.home().string()});
  INFO(r.out << r.err);
  CHECK(r.status == 1);
  CHECK_THAT(r.out, Contains("updated the password of alice"));
  CHECK_THAT(r.err, Contains("1 user of " + h.peer() + " not on this roaming host"));
  CHECK_THAT(r.err, Contains("home of alice (/home/alice): not synchronised: the unisonsync module is not available "
                             "here"));
  CHECK_THAT(r.err,
             Contains("the accounts of " + h.peer() + " are merged, but the home of alice could not be synchronised"));
  CHECK(line_of(read_text(sh), "alice") == line_of(read_text(h.peer_root() / "etc/shadow"), "alice"));
  CHECK(line_of(read_text(h.client_root() / "etc/passwd"), "bob") == "");
  CHECK(account_check(h.client_root()) == "");
}
