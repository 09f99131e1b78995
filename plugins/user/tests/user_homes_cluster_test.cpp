// Issue 15, scenario 3, on real hosts (tests/support/CLUSTER.md): homes of
// cluster users kept in sync with the master's by real unison over each
// host's own sshd, no --root. A roaming host r holds the users it roamed,
// a standby s every user, a client c none (its homes are the master's over
// NFS). Edits on both sides between two pulls are both kept, the conflict
// in unisonsync's ledger until it is resolved.
#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>

#include "../../unisonsync/tests/sync_test_files.hpp"
#include "cluster.hpp"
#include "cluster_checks.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;
using unisonsync_test::copies;
using unisonsync_test::doc;
using unisonsync_test::kOdd;
using unisonsync_test::put;

namespace {

/// Local root -> row of each synchronisation `unisonsync list` shows on `host`.
std::map<std::string, json> syncs(const Cluster& c, const std::string& host) {
  std::map<std::string, json> out;
  const json list = doc(c.sc(host, {"--json", "unisonsync", "list"}))["result"];
  for (const auto& row : list) out[row["local"].get<std::string>()] = row;
  return out;
}

ScRun checked(const Cluster& c, const std::string& host, const std::vector<std::string>& args, int status = 0) {
  ScRun r = c.sc(host, args);
  INFO(host << ": sc " << args.front() << " " << (args.size() > 1 ? args[1] : "") << "\n" << r.out << r.err);
  CHECK(r.status == status);
  return r;
}

}  // namespace

TEST_CASE("homes on real hosts: a roaming host, a standby and a client of master m", "[user][cluster]") {
  Cluster c({"m", "r", "s", "c"});
  c.trust_all();
  const std::string pw = "s3cret pass\n";
  REQUIRE(c.sc("m", {"user", "add", "alice", "--password-stdin"}, &pw).status == 0);
  REQUIRE(c.sc("m", {"user", "add", "bob"}).status == 0);
  const fs::path m_alice = c.path("m", "/home/alice");
  put(m_alice / "notes.txt", "m notes\n", -600);
  put(m_alice / kOdd, "odd\n", -600);
  put(m_alice / "docs/deep.txt", "deep\n", -600);
  REQUIRE(c.on("m", {"chown", "-R", "alice:alice", "/home/alice"}).ok());

  // -- the roaming host r ------------------------------------------------
  REQUIRE(c.sc("r", {"settings", "set", "MASTER_MODE", "roaming"}).status == 0);
  const fs::path r_alice = c.path("r", "/home/alice");
  ScRun r = checked(c, "r", {"user", "roam", "alice", "m"});
  CHECK_THAT(r.out, Contains("imported user alice (uid 10000) from m"));
  CHECK_THAT(r.out, Contains("synchronised the home /home/alice of alice with m"));
  // The first sync filled the empty home from m's: content, owner and mode.
  CHECK(read_text(r_alice / "notes.txt") == "m notes\n");
  CHECK(read_text(r_alice / kOdd) == "odd\n");
  CHECK(read_text(r_alice / "docs/deep.txt") == "deep\n");
  CHECK(read_text(r_alice / ".profile") == read_text(m_alice / ".profile"));
  CHECK(out_of(c, "r", {"stat", "-c", "%U:%G %u:%g %a", "/home/alice"}) == "alice:alice 10000:10000 700\n");
  CHECK(out_of(c, "r", {"stat", "-c", "%U:%G %u:%g", "/home/alice/docs/deep.txt"}) == "alice:alice 10000:10000\n");
  auto on_r = syncs(c, "r");
  REQUIRE(on_r.size() == 1);
  CHECK(on_r.at("/home/alice")["host"] == "m");
  CHECK(on_r.at("/home/alice")["remote"] == "/home/alice");
  CHECK(on_r.at("/home/alice")["period"].is_null());
  CHECK(on_r.at("/home/alice")["profile"] == "manual:m:_home_alice");

  // A pull: alice's password and home; bob is not held here, nor synced.
  r = checked(c, "r", {"user", "pull", "m", "roaming"});
  CHECK_THAT(r.out, Contains("updated the password of alice"));
  CHECK_THAT(r.out, Contains("synchronised the home /home/alice of alice with m"));
  CHECK(out_of(c, "r", {"getent", "shadow", "alice"}) == out_of(c, "m", {"getent", "shadow", "alice"}));
  CHECK_FALSE(c.on("r", {"getent", "passwd", "bob"}).ok());
  CHECK(syncs(c, "r").size() == 1);

  // Between two pulls: the same file edited on both hosts (m's edit the
  // newer), and an edit on each side that does not conflict.
  put(r_alice / "notes.txt", "r edit\n", -200);
  put(m_alice / "notes.txt", "m edit\n", -100);
  put(r_alice / "from r.txt", "written on r\n", -100);
  put(m_alice / kOdd, "odd, edited on m\n", -100);
  REQUIRE(c.on("r", {"chown", "alice:alice", "/home/alice/notes.txt", "/home/alice/from r.txt"}).ok());
  r = checked(c, "r", {"--json", "user", "pull", "m", "roaming"});
  json result = doc(r)["result"];
  CHECK(result["homes_synchronised"] == json::array({"alice"}));
  CHECK(result["home_conflicts"] == 1);
  CHECK(result["homes_failed"].empty());
  for (const fs::path& side : {m_alice, r_alice}) {
    INFO(side);
    CHECK(read_text(side / "notes.txt") == "m edit\n");
    REQUIRE(copies(side, "notes").size() == 1);
    CHECK(read_text(side / copies(side, "notes")[0]) == "r edit\n");
    CHECK(read_text(side / "from r.txt") == "written on r\n");
    CHECK(read_text(side / kOdd) == "odd, edited on m\n");
  }
  CHECK(out_of(c, "m", {"stat", "-c", "%U:%G", "/home/alice/from r.txt"}) == "alice:alice\n");
  json conflicts = doc(c.sc("r", {"--json", "unisonsync", "conflicts"}))["result"];
  REQUIRE(conflicts.size() == 1);
  CHECK(conflicts[0]["path"] == "/home/alice/notes.txt");
  CHECK(conflicts[0]["kind"] == "both-changed");
  CHECK(conflicts[0]["local_host"] == "r");
  CHECK(conflicts[0]["remote_host"] == "m");
  CHECK(conflicts[0]["kept_host"] == "m");
  r = c.sc("r", {"unisonsync", "ready"});
  CHECK(r.status == 1);
  CHECK_THAT(r.out, Contains("1 unresolved conflict"));
  // Another pull keeps the conflict (and its copies) until it is resolved.
  checked(c, "r", {"user", "pull", "m", "roaming"});
  CHECK(c.sc("r", {"unisonsync", "ready"}).status == 1);
  checked(c, "r", {"unisonsync", "resolve", "/home/alice/notes.txt", "keep-local"});
  CHECK(c.sc("r", {"unisonsync", "ready"}).status == 0);
  for (const fs::path& side : {m_alice, r_alice}) {
    INFO(side);
    CHECK(read_text(side / "notes.txt") == "r edit\n");
    CHECK(copies(side, "notes").empty());
  }

  // Freed: the synchronisation stopped first, then the account and the
  // home here; m's home untouched.
  const std::string m_home = tree_hash(m_alice);
  r = checked(c, "r", {"user", "free", "alice"});
  CHECK_THAT(r.out, Contains("stopped the synchronisation of the home /home/alice of alice"));
  CHECK(syncs(c, "r").empty());
  CHECK_FALSE(fs::exists(r_alice));
  CHECK_FALSE(c.on("r", {"getent", "passwd", "alice"}).ok());
  CHECK(tree_hash(m_alice) == m_home);
  // Roamed again: unison's archive of the earlier pair is not taken for
  // the state of the new empty home (which would delete m's files).
  r = checked(c, "r", {"user", "roam", "alice", "m"});
  CHECK(read_text(r_alice / "notes.txt") == "r edit\n");
  CHECK(read_text(r_alice / "from r.txt") == "written on r\n");
  CHECK(tree_hash(m_alice) == m_home);

  // -- the standby s: every user's home ----------------------------------
  // bob's home on s is an empty directory already: its first sync is
  // refused (an empty side against a full one), alice's goes on, the
  // accounts are merged, the pull fails naming bob.
  fs::create_directories(c.path("s", "/home/bob"));
  r = c.sc("s", {"user", "pull", "m", "standby"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("home of bob (/home/bob): not synchronised: first sync of manual:m:_home_bob refused: "
                             "/home/bob on s is empty while /home/bob on m is not"));
  CHECK_THAT(r.err, Contains("the accounts of m are merged, but the home of bob could not be synchronised"));
  CHECK(out_of(c, "s", {"getent", "passwd", "alice", "bob"}) == out_of(c, "m", {"getent", "passwd", "alice", "bob"}));
  CHECK(read_text(c.path("s", "/home/alice/notes.txt")) == "r edit\n");
  CHECK(read_text(c.path("s", "/home/alice") / kOdd) == "odd, edited on m\n");
  CHECK(fs::is_empty(c.path("s", "/home/bob")));
  // The empty directory removed, the next pull makes bob's home and fills it.
  fs::remove(c.path("s", "/home/bob"));
  r = checked(c, "s", {"user", "pull", "m", "standby"});
  CHECK_THAT(r.out, Contains("created the home directory /home/bob of bob (empty: its first synchronisation fills it "
                             "from m)"));
  CHECK(read_text(c.path("s", "/home/bob/.profile")) == read_text(c.path("m", "/home/bob/.profile")));
  CHECK(out_of(c, "s", {"stat", "-c", "%U:%G %a", "/home/bob", "/home/bob/.profile"}) ==
        out_of(c, "m", {"stat", "-c", "%U:%G %a", "/home/bob", "/home/bob/.profile"}));
  auto on_s = syncs(c, "s");
  CHECK(on_s.size() == 2);
  CHECK(on_s.count("/home/alice") == 1);
  CHECK(on_s.count("/home/bob") == 1);
  // An edit on the standby reaches m at the next pull.
  put(c.path("s", "/home/bob/plan.txt"), "from s\n", -10);
  checked(c, "s", {"user", "pull", "m", "standby"});
  CHECK(read_text(c.path("m", "/home/bob/plan.txt")) == "from s\n");

  // -- the client c: homes from the skeleton, nothing synchronised ---------
  checked(c, "c", {"user", "pull", "m", "client"});
  CHECK(fs::exists(c.path("c", "/home/alice/.profile")));
  CHECK_FALSE(fs::exists(c.path("c", "/home/alice/notes.txt")));
  CHECK(syncs(c, "c").empty());
  CHECK_FALSE(fs::exists(c.path("c", "/var/lib/sc/unisonsync")));

  // -- alice deleted on m: her syncs stopped, her homes kept ---------------
  REQUIRE(c.sc("m", {"--yes", "user", "del", "alice"}).status == 0);
  for (const std::string host : {"r", "s"}) {
    r = checked(c, host, {"user", "pull", "m", host == "r" ? "roaming" : "standby"});
    CHECK_THAT(r.out, Contains("removed user alice, gone from m"));
    CHECK_THAT(r.out, Contains("stopped the synchronisation of the home /home/alice of alice (the home is kept)"));
    CHECK(syncs(c, host).count("/home/alice") == 0);
    CHECK(read_text(c.path(host, "/home/alice/notes.txt")) == "r edit\n");
  }
  CHECK(syncs(c, "s").count("/home/bob") == 1);
}
