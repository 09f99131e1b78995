// Issue 15, scenario 1, through the master module on real hosts
// (tests/support/CLUSTER.md), no --root: a master m and two clients c1, c2.
// An account added on m reaches each client at its `sc master pull` with the
// same ids, groups and password hash, over one SSH connection per pull;
// deleted on m, it goes from the clients at the next pull, homes kept. The
// clients' role is stored with `sc settings set` rather than `sc master
// setup`, whose client role mounts the master's /home over NFS, which the
// test cluster cannot run (kernel NFS); the setup plan is tested under
// --root (master_test.cpp).
#include <catch2/catch.hpp>
#include <csignal>
#include <nlohmann/json.hpp>

#include "cluster.hpp"
#include "cluster_checks.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

TEST_CASE("master pull on real hosts: master m and clients c1, c2 get its accounts", "[master][cluster]") {
  Cluster c({"m", "c1", "c2"});
  c.trust_all();
  without_services(c, {"m", "c1", "c2"});
  run_ok(c, "m", {"settings", "set", "MASTER_MODE", "master"});
  for (const std::string client : {"c1", "c2"}) {
    run_ok(c, client, {"settings", "set", "MASTER_MODE", "client"});
    run_ok(c, client, {"settings", "set", "MASTER_HOST", "m"});
  }
  run_ok(c, "c1", {"user", "setup"});  // the user module is ready: its sync hook runs

  const std::string pw = "Tr0ub4dor&3\n";
  ScRun r = c.sc("m", {"user", "add", "alice", "--password-stdin"}, &pw);
  INFO(r.err);
  REQUIRE(r.status == 0);
  REQUIRE(c.on("m", {"usermod", "--append", "--groups", "sudo", "alice"}).ok());
  const std::string id_m = out_of(c, "m", {"id", "alice"});

  // c2's user module is not set up: the pull says the accounts stayed behind.
  r = c.sc("c2", {"--json", "master", "pull"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  auto skipped = json::parse(r.out, nullptr, false);
  REQUIRE(skipped.is_object());
  CHECK(skipped["result"]["not_ready"] == json({"user"}));
  CHECK_THAT(skipped.dump(), Contains("not pulled, since not ready here: user"));
  CHECK_FALSE(c.on("c2", {"getent", "passwd", "alice"}).ok());
  run_ok(c, "c2", {"user", "setup"});

  for (const std::string client : {"c1", "c2"}) {
    const size_t sessions = count_of(c.sshd_log("m"), "Accepted publickey");
    r = c.sc(client, {"--json", "master", "pull"});
    INFO(client << ": " << r.out << r.err);
    REQUIRE(r.status == 0);
    auto doc = json::parse(r.out, nullptr, false);
    REQUIRE(doc.is_object());
    CHECK(doc["result"]["master"] == "m");
    CHECK(doc["result"]["mode"] == "client");
    CHECK(doc["result"]["modules"].dump().find("{\"module\":\"user\",\"status\":0}") != std::string::npos);
    CHECK_THAT(doc["output"].get<std::string>(), Contains("added user alice (uid 10000)"));
    // One SSH connection to the master for the whole pull.
    CHECK(count_of(c.sshd_log("m"), "Accepted publickey") == sessions + 1);
    CHECK(out_of(c, client, {"id", "alice"}) == id_m);
    CHECK(out_of(c, client, {"getent", "passwd", "alice"}) == out_of(c, "m", {"getent", "passwd", "alice"}));
    CHECK(out_of(c, client, {"getent", "shadow", "alice"}) == out_of(c, "m", {"getent", "shadow", "alice"}));
    CHECK(out_of(c, client, {"stat", "-c", "%U:%G", "/home/alice"}) == "alice:alice\n");
  }

  // The master's own pull does nothing; a client's status sees the master.
  r = c.sc("m", {"master", "pull"});
  CHECK(r.out == "this host is the master: nothing to pull\n");
  r = c.sc("c1", {"master", "status"});
  CHECK(r.out == "this host is a client host of the master m\nm answers (SSH, our key accepted)\n");
  r = c.sc("c1", {"master", "getvar", "MASTER_MODE"});
  CHECK(r.out == "master\n");

  // Deleted on the master: gone from c1 at its next pull (cron's fast
  // period pulls the accounts), the home kept.
  REQUIRE(c.sc("m", {"--yes", "user", "del", "alice"}).status == 0);
  r = c.sc("c1", {"master", "cron", "fast"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("removed user alice, gone from m (its home directory is kept)"));
  CHECK_FALSE(c.on("c1", {"getent", "passwd", "alice"}).ok());
  CHECK(c.on("c1", {"test", "-d", "/home/alice"}).ok());
  r = c.sc("c2", {"master", "pull"});
  CHECK(r.status == 0);
  CHECK_FALSE(c.on("c2", {"getent", "passwd", "alice"}).ok());

  // The master gone (its sshd stopped): the pull says so, nothing changed.
  REQUIRE(::kill(c.sshd_pid("m"), SIGTERM) == 0);
  r = c.sc("c1", {"master", "pull"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("cannot reach the master m") && Contains("nothing was pulled"));
}

TEST_CASE("master setup --dry-run of a client against a real master shows the whole plan and changes nothing",
          "[master][cluster]") {
  Cluster c({"m", "c1"});
  c.trust_all();
  without_services(c, {"m", "c1"});
  auto state = [&](const std::string& host) {
    std::string all;
    for (const char* f : {"/etc/fstab", "/etc/passwd", "/etc/group"}) all += read_text(c.path(host, f));
    all += c.on(host, {"ls", "-A", "/etc/cron.d", "/srv", "/home"}).out;
    all += c.on(host, {"cat", "/etc/sc"}).out;
    all += c.on(host, {"ls", "-A", "/etc/sudoers.d"}).out;
    return all;
  };
  const std::string before_c1 = state("c1"), before_m = state("m");
  ScRun r = c.sc("c1", {"--dry-run", "--yes", "--set", "MASTER_MODE=client", "--set", "MASTER_HOST=m", "--set",
                        "FQDN=c1.example.com", "master", "setup"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(r.out.find("setup of the role client (master m), 15 steps:\n"
                   "  1. sc sshlink add m\n"
                   "  2. sc settings set MASTER_MODE client\n"
                   "  3. sc settings set MASTER_HOST m\n"
                   "  4. sc settings set MASS_MODE nfs4\n"
                   "  5. sc settings set MASS_HOST m\n"
                   "  6. sc user setup\n"
                   "  7. sc sshlink sc m nfssrv allow c1.example.com\n"
                   "  8. sc nfsclient add m /home\n") == 0);
  CHECK_THAT(r.out, Contains("  13. sc sshlink sc m master hostadd c1.example.com client (skipped if m does not "
                             "answer)\n  14. sc settings set MASTER_APPLIED client m\n"));
  CHECK_THAT(r.err, Contains("would change: write /etc/sudoers.d/sc") && Contains("/etc/fstab"));
  CHECK(state("c1") == before_c1);
  CHECK(state("m") == before_m);
}

TEST_CASE("master switch of a real backup server from m1 to m2, then cleanup, each master's list of hosts following",
          "[master][cluster]") {
  Cluster c({"m1", "m2", "b"});
  c.trust_all();
  without_services(c, {"m1", "m2", "b"});
  for (const std::string m : {"m1", "m2"}) run_ok(c, m, {"settings", "set", "MASTER_MODE", "master"});
  // A master's list of hosts, read on the master itself (no SSH).
  auto hosts_of = [&](const std::string& m) {
    ScRun h = c.sc(m, {"--json", "master", "hosts"});
    INFO(m << ": " << h.out << h.err);
    REQUIRE(h.status == 0);
    return json::parse(h.out)["result"];
  };
  const json b_backup = json::parse(R"([{"peer": "b", "role": "backup"}])");

  // The setup registers b (its host name: no FQDN here) on m1, as a backup
  // server.
  ScRun r = c.sc("b", {"--yes", "--set", "MASTER_MODE=backup", "--set", "MASTER_HOST=m1", "master", "setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  REQUIRE(c.sc("b", {"master", "ready"}).status == 0);
  CHECK_THAT(r.out, Contains("setup of the role backup (master m1), 10 steps:\n") &&
                        Contains("  8. sc sshlink sc m1 master hostadd b backup (skipped if m1 does not answer)\n"));
  CHECK(hosts_of("m1") == b_backup);
  CHECK(hosts_of("m2") == json::array());
  CHECK(json::parse(c.sc("m1", {"--json", "master", "inventory"}).out)["result"]["backup"]["hosts"] == json({"b"}));

  // m1 is gone (its sshd stopped), as when a standby took over: b's switch
  // to m2 goes on without m1, saying so and how to finish on m1 later. The
  // original did nothing here; ours moves the backup server to m2.
  REQUIRE(::kill(c.sshd_pid("m1"), SIGTERM) == 0);
  r = c.sc("b", {"--yes", "--json", "master", "switch", "m2"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  json doc = json::parse(r.out);
  const std::string output = doc["output"].get<std::string>();
  CHECK(output.find("switch of this backup host from the master m1 to m2, 12 steps:\n  1. sc crontask del master\n"
                    "  2. sc sshlink sc m1 master hostdel b (skipped if m1 does not answer)\n"
                    "  3. sc sshlink add m2\n") == 0);
  CHECK_THAT(r.out, Contains("step 2, `sc sshlink sc m1 master hostdel b`, skipped: m1 does not answer") &&
                        Contains("Once m1 answers, run `sc sshlink sc m1 master hostdel b` here"));
  CHECK(doc["result"]["skipped"] == json({"sc sshlink sc m1 master hostdel b"}));
  CHECK(c.sc("b", {"settings", "get", "MASTER_HOST"}).out == "m2\n");
  CHECK(c.sc("b", {"settings", "get", "MASTER_APPLIED"}).out == "backup m2\n");
  r = c.sc("b", {"master", "ready"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(c.sc("b", {"master", "status"}).out ==
        "this host is a backup host of the master m2\nm2 answers (SSH, our key "
        "accepted)\n");
  // b is on m2's list; m1, which could not be told, still names it, until
  // its administrator takes it out there.
  CHECK(hosts_of("m2") == b_backup);
  CHECK(hosts_of("m1") == b_backup);
  run_ok(c, "m1", {"master", "hostdel", "b"});
  CHECK(hosts_of("m1") == json::array());
  // Again: already there.
  CHECK(c.sc("b", {"master", "switch", "m2"}).out == "this backup host's master is already m2: nothing to switch\n");

  // cleanup: the cron task gone, the role forgotten, the accounts kept, b
  // out of m2's list.
  const std::string passwd = read_text(c.path("b", "/etc/passwd"));
  r = c.sc("b", {"master", "cleanup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Contains("  2. sc sshlink sc m2 master hostdel b (skipped if m2 does not answer)\n"));
  CHECK(c.sc("b", {"crontask", "has", "master"}).status != 0);
  CHECK(c.sc("b", {"settings", "get", "MASTER_APPLIED"}).out.empty());
  CHECK(read_text(c.path("b", "/etc/passwd")) == passwd);
  CHECK(hosts_of("m2") == json::array());

  // A master that answers but refuses the registration (its list edited by
  // hand into something sc cannot read): the setup goes on, saying why.
  run_ok(c, "m2", {"settings", "set", "MASTER_HOSTS", "c1=client c2"});
  r = c.sc("b", {"--yes", "--set", "MASTER_MODE=backup", "--set", "MASTER_HOST=m2", "master", "setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.err, Contains("step 8, `sc sshlink sc m2 master hostadd b backup`, skipped: m2 does not answer or "
                             "refused") &&
                        Contains("MASTER_HOSTS is \"c1=client c2\""));
  CHECK(c.sc("b", {"settings", "get", "MASTER_APPLIED"}).out == "backup m2\n");
  CHECK(c.sc("b", {"master", "ready"}).status == 0);
  CHECK(c.sc("m2", {"settings", "get", "MASTER_HOSTS"}).out == "c1=client c2\n");
}
