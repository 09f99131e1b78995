// Issue 15, scenario 2, on real hosts of the test cluster (tests/support/
// CLUSTER.md), no --root: the standby takes over. m is set up as the master
// and s as its standby with `sc master setup`, for real (s copies m's
// accounts, and m's /srv/mass through unison; both export with
// NFS-Ganesha, which sc chooses by itself here). m's sshd is stopped (the
// master is gone); `sc master promote` on s; `sc master switch s` on the
// client c; c's next pull gets the accounts from s; a user added on s
// reaches c. Then m comes back and follows s (`sc master switch s` on m,
// a demotion), stopped half-way by a step that fails for real and finished
// by running it again.
//
// What is real and what is not: every sc command runs for real on its host
// over real SSH (sshlink, sc on the peers, rsync, unison, useradd...). The
// client role mounts its master's /home over kernel NFS, which no host of
// the test cluster can run (no kernel NFS client or server): c's setup and
// c's switch run for real up to `sc nfsclient add MASTER /home`, which
// writes its /etc/fstab line (checked byte for byte) and then fails at
// `mount /home` (mount.nfs4: No such device) — the boundary. The steps
// after it (`mass setup` with an NFSv4 mount of /srv/mass, the cron tasks
// and boot unit, MASTER_APPLIED, the pull) are not run by the switch: c's
// pulls from s are run by hand (`sc master pull`, real, since the switch
// stored MASTER_HOST=s before the boundary), and c's MASTER_APPLIED still
// names m. The steps of c's setup after the boundary are run by hand too
// (its settings, the cron tasks, the boot unit, MASTER_APPLIED), but its
// mass storage over NFS. No systemd runs here: the boot unit is a file
// only (written, enabled by its symlink, not reloaded). The plan past the
// boundary is checked under --dry-run, where `mount /home` is
// only planned. NFS-Ganesha is configured by `nfssrv setup` but not
// started (no systemd here, and no client could mount it): the exports are
// checked as sc writes them (the clients allowed). No cron daemon runs
// here either: the daily unison sync of /srv/mass is run as cron runs it
// (`sc unisonsync cron daily`).
#include <catch2/catch.hpp>
#include <csignal>
#include <nlohmann/json.hpp>

#include "../roles.hpp"
#include "cluster.hpp"
#include "cluster_checks.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

namespace {

std::string setting(Cluster& c, const std::string& host, const std::string& name) {
  return c.sc(host, {"settings", "get", name}).out;
}

/// What a transition can change on a host: its settings, accounts, mounts,
/// cron tasks, boot units, exports, sudoers, /srv and /home.
std::string state(const Cluster& c, const std::string& host) {
  std::string all;
  for (const char* f : {"/etc/fstab", "/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow"})
    all += read_text(c.path(host, f));
  for (const char* cmd :
       {"cat /etc/sc /etc/ganesha/ganesha.conf", "ls -A /etc/cron.d /etc/sudoers.d /srv /srv/mass /home",
        "ls -AR /var/lib/sc", "ls -A /etc/systemd/system"})
    all += c.on(host, {"sh", "-c", std::string(cmd) + " 2>&1"}).out;
  return all;
}

/// The account lines of LOGIN (passwd, shadow, group, id) on a host.
std::string account_of(const Cluster& c, const std::string& host, const std::string& login) {
  return out_of(c, host, {"getent", "passwd", login}) + out_of(c, host, {"getent", "shadow", login}) +
         out_of(c, host, {"getent", "group", login}) + out_of(c, host, {"id", login});
}

const std::string kHomeLine = " /home nfs4 rw,hard,rsize=131072,wsize=131072,_netdev,noauto,x-systemd.automount 0 0\n";

}  // namespace

TEST_CASE("master takeover on real hosts: standby s promoted, client c switched to it, old master m follows s",
          "[master][cluster]") {
  Cluster c({"m", "s", "c"});
  c.trust_all();
  without_services(c, {"m", "s", "c"});
  for (const std::string h : {"m", "s", "c"}) run_ok(c, h, {"settings", "set", "SSHLINK_CONNECT_TIMEOUT", "5"});

  // m: the master, set up for real; `ready` is true on it (the original's
  // never was).
  ScRun r = run_ok(c, "m", {"--yes", "--set", "MASTER_MODE=master", "master", "setup"});
  CHECK(r.out.find("setup of the role master, 14 steps:\n") == 0);
  run_ok(c, "m", {"master", "ready"});
  const std::string pw = "Tr0ub4dor&3\n";
  r = c.sc("m", {"user", "add", "alice", "--password-stdin"}, &pw);
  INFO(r.err);
  REQUIRE(r.status == 0);
  REQUIRE(c.on("m", {"usermod", "--append", "--groups", "sudo", "alice"}).ok());
  write_text(c.path("m", "/srv/mass/before.txt"), "written on m\n");

  // s: its standby, set up for real: m's accounts and /srv/mass copied.
  r = run_ok(c, "s", {"--yes", "--set", "MASTER_MODE=standby", "--set", "MASTER_HOST=m", "master", "setup"});
  CHECK(r.out.find("setup of the role standby (master m), 22 steps:\n  1. sc sshlink add m\n") == 0);
  CHECK(setting(c, "s", "MASTER_APPLIED") == "standby m\n");
  // s is on m's list of hosts, as its standby.
  CHECK(setting(c, "m", "MASTER_HOSTS") == "s=standby\n");
  r = c.sc("s", {"master", "ready"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(account_of(c, "s", "alice") == account_of(c, "m", "alice"));
  CHECK(c.sc("s", {"unisonsync", "has", "m", "/srv/mass", "daily"}).status == 0);
  // Its daily cron task (no cron daemon here: run as cron runs it) copies
  // m's /srv/mass.
  run_ok(c, "s", {"unisonsync", "cron", "daily"});
  CHECK(read_text(c.path("s", "/srv/mass/before.txt")) == "written on m\n");

  // c: the client role's setup, for real up to the NFS mount of m's /home
  // (step 8): its fstab line is written, `mount /home` fails here. Then by
  // hand what the setup stored or does after that step, but the mass
  // storage over NFS: the role's settings (given with --set, which a failed
  // run does not store), the cron tasks, the boot unit, MASTER_APPLIED.
  r = c.sc("c", {"--yes", "--set", "MASTER_MODE=client", "--set", "MASTER_HOST=m", "master", "setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 1);
  CHECK(r.out.find("setup of the role client (master m), 15 steps:\n") == 0);
  CHECK_THAT(r.out + r.err, Contains("FAILED: mount /home"));
  // The module's own error is part of the message.
  CHECK_THAT(r.err, Contains("step 8 of 15, `sc nfsclient add m /home`, failed: status 1 (nfsclient add: /home is in "
                             "/etc/fstab but mounting m:/home failed: ") &&
                        Contains("); steps 1-7 were done"));
  CHECK_THAT(read_text(c.path("c", "/etc/fstab")), Contains("\nm:/home" + kHomeLine));
  CHECK_THAT(setting(c, "m", "NFSSRV_CLIENTS"), Contains("c"));
  // /home is still c's own (the harness's bind mount), never unmounted.
  CHECK(out_of(c, "c", {"findmnt", "-n", "-o", "TARGET", "/home"}) == "/home\n");
  run_ok(c, "c", {"settings", "set", "MASTER_MODE", "client"});
  run_ok(c, "c", {"settings", "set", "MASTER_HOST", "m"});
  for (const std::string p : {"daily", "fast"}) run_ok(c, "c", {"crontask", "add", "master", p});
  run_ok(c, "c", {"boot", "add", "master"});
  run_ok(c, "c", {"settings", "set", "MASTER_APPLIED", "client m"});
  run_ok(c, "c", {"sshlink", "sc", "m", "master", "hostadd", "c", "client"});
  r = run_ok(c, "c", {"master", "pull"});
  CHECK(account_of(c, "c", "alice") == account_of(c, "m", "alice"));
  CHECK(setting(c, "m", "MASTER_HOSTS") == "s=standby c=client\n");
  // s imports m's list again, as each run of its setup does (its step 5;
  // its first run imported it before s registered): s itself is in it.
  run_ok(c, "s", {"sshlink", "importsettings", "m", "master/MASTER_HOSTS"});
  CHECK(setting(c, "s", "MASTER_HOSTS") == "s=standby c=client\n");

  // The master is gone.
  REQUIRE(::kill(c.sshd_pid("m"), SIGTERM) == 0);
  REQUIRE_FALSE(c.on("s", {"ssh", "-o", "ConnectTimeout=5", "m", "true"}).ok());

  // --dry-run of the promotion: the whole plan, nothing changed anywhere.
  const std::string s0 = state(c, "s"), c0 = state(c, "c");
  r = c.sc("s", {"--dry-run", "--yes", "master", "promote"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  const std::string promotion =
      "promotion of this standby (master m) to the master, 18 steps:\n"
      "  1. sc crontask del master\n"
      "  2. sc user stophomes m\n"
      "  3. sc mass cleanup\n"
      "  4. sc settings set MASTER_MODE master\n"
      "  5. sc settings del MASTER_HOST\n"
      "  6. sc settings set MASS_MODE separated\n"
      "  7. sc user setup\n"
      "  8. sc mass setup\n"
      "  9. sc nfssrv setup\n"
      "  10. sc wstunnel setup\n"
      "  11. sc ssl setup (when MASTER_SERVICES names ssl)\n"
      "  12. sc nginx setup (when MASTER_SERVICES names nginx)\n"
      "  13. sc www setup (when MASTER_SERVICES names www)\n"
      "  14. sc mail setup (when MASTER_SERVICES names mail)\n"
      "  15. sc roundcube setup (when MASTER_SERVICES names roundcube)\n"
      "  16. sc cloud setup (when MASTER_SERVICES names cloud)\n"
      "  17. sc master hostdel s\n"
      "  18. sc settings set MASTER_APPLIED master\n";
  CHECK(r.out.find(promotion) == 0);
  CHECK(state(c, "s") == s0);
  CHECK(state(c, "c") == c0);

  // The standby's homes are synchronised with m's (user pull); the
  // promotion ends those synchronisations and keeps the homes.
  auto home_syncs = [&](const std::string& host) {
    std::vector<std::string> homes;
    const json list = json::parse(c.sc(host, {"--json", "unisonsync", "list"}).out);
    for (const auto& row : list["result"])
      if (row["local"].get<std::string>().rfind("/home/", 0) == 0) homes.push_back(row["local"]);
    return homes;
  };
  const std::vector<std::string> synced = home_syncs("s");
  CHECK_FALSE(synced.empty());

  // promote on s: for real, without m.
  r = c.sc("s", {"--json", "--yes", "master", "promote"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  json doc = json::parse(r.out);
  CHECK(doc["output"].get<std::string>().find(promotion) == 0);
  CHECK(doc["result"]["old_role"] == "standby");
  CHECK(doc["result"]["old_master"] == "m");
  CHECK(doc["result"]["role"] == "master");
  CHECK(doc["result"]["master"] == nullptr);
  CHECK(doc["result"]["plan"].size() == 18);
  CHECK(home_syncs("s").empty());
  for (const auto& home : synced) CHECK(c.on("s", {"test", "-d", home}).ok());
  CHECK(doc["result"]["skipped"] == json::array());
  // The list s took from m, without s: the master is not on its own list.
  CHECK(setting(c, "s", "MASTER_HOSTS") == "c=client\n");
  CHECK(setting(c, "s", "MASTER_MODE") == "master\n");
  CHECK(setting(c, "s", "MASTER_APPLIED") == "master\n");
  CHECK(setting(c, "s", "MASTER_HOST").empty());
  CHECK(setting(c, "s", "MASS_MODE") == "separated\n");
  CHECK(c.sc("s", {"crontask", "has", "master"}).status != 0);
  CHECK(c.sc("s", {"unisonsync", "has", "m", "/srv/mass"}).status != 0);
  r = c.sc("s", {"master", "ready"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(read_text(c.path("s", "/srv/mass/before.txt")) == "written on m\n");
  CHECK(c.sc("s", {"master", "status"}).out == "this host is the master\n");

  // --dry-run of c's switch: the whole plan (past the NFS boundary, only
  // planned here), m's step skipped, nothing changed on c or s.
  const std::string s1 = state(c, "s");
  r = c.sc("c", {"--dry-run", "master", "switch", "s"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  const std::string switching =
      "switch of this client host from the master m to s, 21 steps:\n"
      "  1. sc boot del master\n"
      "  2. sc crontask del master\n"
      "  3. sc mass cleanup\n"
      "  4. sc nfsclient del /home\n"
      "  5. sc sshlink sc m nfssrv deny c (skipped if m does not answer)\n"
      "  6. sc sshlink sc m master hostdel c (skipped if m does not answer)\n"
      "  7. sc sshlink add s\n"
      "  8. sc settings set MASTER_MODE client\n"
      "  9. sc settings set MASTER_HOST s\n"
      "  10. sc settings set MASS_MODE nfs4\n"
      "  11. sc settings set MASS_HOST s\n"
      "  12. sc user setup\n"
      "  13. sc sshlink sc s nfssrv allow c\n"
      "  14. sc nfsclient add s /home\n"
      "  15. sc mass setup\n"
      "  16. sc crontask add master daily\n"
      "  17. sc crontask add master fast\n"
      "  18. sc boot add master\n"
      "  19. sc sshlink sc s master hostadd c client (skipped if s does not answer)\n"
      "  20. sc settings set MASTER_APPLIED client s\n"
      "  21. sc master pull\n";
  CHECK(r.out.find(switching) == 0);
  CHECK_THAT(r.err, Contains("step 5, `sc sshlink sc m nfssrv deny c`, skipped: m does not answer") &&
                        Contains("Once m answers, run `sc sshlink sc m nfssrv deny c` here"));
  CHECK_THAT(r.err, Contains("step 6, `sc sshlink sc m master hostdel c`, skipped: m does not answer") &&
                        Contains("Once m answers, run `sc sshlink sc m master hostdel c` here"));
  CHECK_THAT(r.err, Contains("would run: mount /home"));
  CHECK(state(c, "c") == c0);
  CHECK(state(c, "s") == s1);

  // c's switch, for real up to the boundary: m's /home line replaced by
  // s's, c allowed on s, then `mount /home` fails here; what was done and
  // how to finish are said. m is skipped, not a failure.
  r = c.sc("c", {"master", "switch", "s"});
  INFO(r.out << r.err);
  CHECK(r.status == 1);
  CHECK(r.out.find(switching) == 0);
  CHECK_THAT(r.err, Contains("step 5, `sc sshlink sc m nfssrv deny c`, skipped: m does not answer"));
  CHECK_THAT(r.out + r.err, Contains("FAILED: mount /home"));
  CHECK_THAT(r.err, Contains("step 14 of 21, `sc nfsclient add s /home`, failed: status 1 (nfsclient add: /home is in "
                             "/etc/fstab but mounting s:/home failed: ") &&
                        Contains("); steps 1-13 were done") && Contains("run `sc master switch s` again"));
  const std::string fstab = read_text(c.path("c", "/etc/fstab"));
  CHECK_THAT(fstab, Contains("\ns:/home" + kHomeLine));
  CHECK(fstab.find("m:/home") == std::string::npos);
  CHECK(count_of(fstab, " /home ") == 1);
  CHECK(out_of(c, "c", {"findmnt", "-n", "-o", "TARGET", "/home"}) == "/home\n");
  CHECK_THAT(setting(c, "s", "NFSSRV_CLIENTS"), Contains("c"));
  CHECK_THAT(read_text(c.path("s", "/etc/ganesha/ganesha.conf")), Contains("Clients = c;"));
  CHECK(setting(c, "c", "MASTER_HOST") == "s\n");
  CHECK(setting(c, "c", "MASTER_APPLIED") == "client m\n");  // not finished: past the boundary
  CHECK(c.sc("c", {"crontask", "has", "master"}).status != 0);
  CHECK(c.sc("c", {"boot", "has", "master"}).status != 0);

  // c's next pull gets the accounts from s, over one SSH connection.
  size_t sessions = count_of(c.sshd_log("s"), "Accepted publickey");
  r = c.sc("c", {"--json", "master", "pull"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  doc = json::parse(r.out);
  CHECK(doc["result"]["master"] == "s");
  CHECK(count_of(c.sshd_log("s"), "Accepted publickey") == sessions + 1);
  CHECK(account_of(c, "c", "alice") == account_of(c, "s", "alice"));
  CHECK_THAT(out_of(c, "c", {"getent", "group", "sudo"}), Contains("alice"));

  // A user added on s, the master now, reaches c at its next pull.
  const std::string pw2 = "c0rrect-h0rse\n";
  r = c.sc("s", {"user", "add", "bob", "--password-stdin"}, &pw2);
  INFO(r.err);
  REQUIRE(r.status == 0);
  sessions = count_of(c.sshd_log("s"), "Accepted publickey");
  r = c.sc("c", {"master", "pull"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Contains("added user bob"));
  CHECK(count_of(c.sshd_log("s"), "Accepted publickey") == sessions + 1);
  CHECK(account_of(c, "c", "bob") == account_of(c, "s", "bob"));
  CHECK(account_of(c, "c", "alice") == account_of(c, "s", "alice"));
  write_text(c.path("s", "/srv/mass/after.txt"), "written on s\n");

  // m comes back: its sshd started again. It still says it is the master;
  // it follows s with `sc master switch s` (a demotion to standby).
  REQUIRE(c.on("m", {"/usr/sbin/sshd", "-f", "/etc/ssh/sshd_config", "-E", "/root/sshd-again.log"}).ok());
  REQUIRE(c.on("s", {"ssh", "-o", "ConnectTimeout=5", "m", "true"}).ok());
  // What c's switch skipped, done now that m answers.
  run_ok(c, "c", {"sshlink", "sc", "m", "nfssrv", "deny", "c"});
  CHECK(setting(c, "m", "NFSSRV_CLIENTS").find('c') == std::string::npos);
  run_ok(c, "c", {"sshlink", "sc", "m", "master", "hostdel", "c"});
  CHECK(setting(c, "m", "MASTER_HOSTS") == "s=standby\n");

  // --dry-run of the demotion: nothing changed on m or s.
  const std::string m0 = state(c, "m"), s2 = state(c, "s");
  r = c.sc("m", {"--dry-run", "--yes", "master", "switch", "s"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  // The plan sc prints is the planner's (its text is pinned in master_test).
  const master::Placed from{master::Role::master, ""}, to{master::Role::standby, "s"};
  const std::string demotion =
      master::titled_plan_text(master::transition_title(from, to), master::transition_plan(from, to, "m"));
  CHECK(r.out.find(demotion) == 0);
  CHECK(state(c, "m") == m0);
  CHECK(state(c, "s") == s2);

  // A master never follows a host that is not the master: c is refused.
  r = c.sc("m", {"master", "switch", "c"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err,
             Contains("which is not the master (its MASTER_MODE is \"client\")") && Contains("nothing was changed"));
  CHECK(state(c, "m") == m0);

  // The demotion stopped half-way by a step that fails for real: `sc user
  // setup` cannot write /etc/sudoers.d/sc, a directory here.
  REQUIRE(c.on("m", {"sh", "-c", "rm /etc/sudoers.d/sc && mkdir /etc/sudoers.d/sc"}).ok());
  r = c.sc("m", {"--yes", "master", "switch", "s"});
  INFO(r.out << r.err);
  CHECK(r.status == 1);
  CHECK(r.out.find(demotion) == 0);
  CHECK_THAT(r.err, Contains("step 9 of 24, `sc user setup`, failed") &&
                        Contains("steps 1-8 were done (`sc mass cleanup` to `sc settings set MASS_HOST s`)") &&
                        Contains("run `sc master switch s` again"));
  CHECK(setting(c, "m", "MASTER_MODE") == "standby\n");
  CHECK(setting(c, "m", "MASTER_APPLIED") == "master\n");
  CHECK(c.sc("m", {"master", "ready"}).status != 0);

  // Fixed, run again: it goes on and finishes.
  REQUIRE(c.on("m", {"rmdir", "/etc/sudoers.d/sc"}).ok());
  r = c.sc("m", {"--yes", "master", "switch", "s"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find(demotion) == 0);
  CHECK(setting(c, "m", "MASTER_APPLIED") == "standby s\n");
  CHECK(setting(c, "m", "MASTER_HOST") == "s\n");
  CHECK(setting(c, "m", "MASS_MODE") == "unison\n");
  r = c.sc("m", {"master", "ready"});
  INFO(r.err);
  CHECK(r.status == 0);
  // m took s's accounts (bob) and its mass storage; its own files stay.
  CHECK(account_of(c, "m", "bob") == account_of(c, "s", "bob"));
  CHECK(account_of(c, "m", "alice") == account_of(c, "s", "alice"));
  CHECK(c.sc("m", {"unisonsync", "has", "s", "/srv/mass", "daily"}).status == 0);
  run_ok(c, "m", {"unisonsync", "cron", "daily"});
  CHECK(read_text(c.path("m", "/srv/mass/after.txt")) == "written on s\n");
  CHECK(read_text(c.path("m", "/srv/mass/before.txt")) == "written on m\n");
  CHECK(c.sc("m", {"master", "status"}).out ==
        "this host is a standby host of the master s\ns answers (SSH, our key "
        "accepted)\n");
  // m's own list is gone: it holds s's, where m is now a standby (c, whose
  // switch stopped before its registration, is not there yet).
  CHECK(setting(c, "s", "MASTER_HOSTS") == "c=client m=standby\n");
  CHECK(setting(c, "m", "MASTER_HOSTS") == "c=client\n");
  // Again: already following s.
  CHECK(c.sc("m", {"master", "switch", "s"}).out == "this standby host's master is already s: nothing to switch\n");
}

// Client to roaming and back, on real hosts: m the master, c its client
// (set up as in the takeover above: for real up to the NFS mount of /home,
// the rest by hand). Roaming uses no NFS: that transition runs for real to
// its end. The way back to a client stops at the same NFS boundary.
TEST_CASE("master: a real client becomes roaming (accounts deleted, homes kept) and a client again",
          "[master][cluster]") {
  Cluster c({"m", "c"});
  c.trust_all();
  without_services(c, {"m", "c"});
  for (const std::string h : {"m", "c"}) run_ok(c, h, {"settings", "set", "SSHLINK_CONNECT_TIMEOUT", "5"});
  run_ok(c, "m", {"--yes", "--set", "MASTER_MODE=master", "master", "setup"});
  const std::string pw = "Tr0ub4dor&3\n";
  for (const std::string login : {"alice", "bob"}) {
    ScRun r = c.sc("m", {"user", "add", login, "--password-stdin"}, &pw);
    INFO(r.err);
    REQUIRE(r.status == 0);
  }
  ScRun r = c.sc("c", {"--yes", "--set", "MASTER_MODE=client", "--set", "MASTER_HOST=m", "master", "setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 1);
  // A run that fails does not store --set values: the message names them.
  CHECK_THAT(r.err, Contains("run `sc --set MASTER_MODE=client --set MASTER_HOST=m master setup` again"));
  run_ok(c, "c", {"settings", "set", "MASTER_MODE", "client"});
  run_ok(c, "c", {"settings", "set", "MASTER_HOST", "m"});
  for (const std::string p : {"daily", "fast"}) run_ok(c, "c", {"crontask", "add", "master", p});
  run_ok(c, "c", {"settings", "set", "MASTER_APPLIED", "client m"});
  run_ok(c, "c", {"master", "pull"});
  REQUIRE(account_of(c, "c", "alice") == account_of(c, "m", "alice"));
  REQUIRE_THAT(setting(c, "m", "NFSSRV_CLIENTS"), Contains("c"));

  // --dry-run: the whole transition, nothing changed on c or m.
  const std::string c0 = state(c, "c"), m0 = state(c, "m");
  r = c.sc("c", {"--dry-run", "--yes", "--set", "MASTER_MODE=roaming", "master", "setup"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(r.out.find("transition of this host from a client host of m to a roaming host of m, 20 steps:\n"
                   "  1. sc boot del master\n  2. sc crontask del master\n  3. sc mass cleanup\n"
                   "  4. sc nfsclient del /home\n  5. sc sshlink sc m nfssrv deny c (skipped if m does not answer)\n"
                   "  6. sc sshlink sc m master hostdel c (skipped if m does not answer)\n"
                   "  7. sc user cleanup_local\n") == 0);
  CHECK(state(c, "c") == c0);
  CHECK(state(c, "m") == m0);

  // For real: /home no longer m's, c out of m's NFS clients, the cluster's
  // accounts gone (homes kept), m's /srv/mass copied by unison.
  write_text(c.path("m", "/srv/mass/shared.txt"), "on m\n");
  r = c.sc("c", {"--yes", "--set", "MASTER_MODE=roaming", "master", "setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(read_text(c.path("c", "/etc/fstab")).find(" /home ") == std::string::npos);
  CHECK(setting(c, "m", "NFSSRV_CLIENTS").find('c') == std::string::npos);
  CHECK_FALSE(c.on("c", {"getent", "passwd", "alice"}).ok());
  CHECK_FALSE(c.on("c", {"getent", "passwd", "bob"}).ok());
  CHECK(c.on("c", {"test", "-d", "/home/alice"}).ok());
  CHECK(setting(c, "c", "MASTER_APPLIED") == "roaming m\n");
  CHECK(setting(c, "c", "MASTER_MODE") == "roaming\n");
  CHECK(setting(c, "m", "MASTER_HOSTS") == "c=roaming\n");
  CHECK(c.sc("c", {"boot", "has", "master"}).status == 0);
  CHECK(c.sc("c", {"crontask", "has", "master", "fast"}).status != 0);
  r = c.sc("c", {"master", "ready"});
  INFO(r.err);
  CHECK(r.status == 0);
  run_ok(c, "c", {"unisonsync", "cron", "daily"});
  CHECK(read_text(c.path("c", "/srv/mass/shared.txt")) == "on m\n");
  // The users it roams come back as m has them, at the next pull too.
  run_ok(c, "c", {"user", "roam", "alice", "m"});
  run_ok(c, "c", {"master", "pull"});
  CHECK(account_of(c, "c", "alice") == account_of(c, "m", "alice"));
  CHECK_FALSE(c.on("c", {"getent", "passwd", "bob"}).ok());

  // Back to a client: the accounts stay; it stops at the NFS mount of
  // m's /home (the boundary), its fstab line written, c allowed on m again.
  r = c.sc("c", {"--set", "MASTER_MODE=client", "master", "setup"});
  INFO(r.out << r.err);
  CHECK(r.status == 1);
  CHECK(r.out.find("transition of this host from a roaming host of m to a client host of m, 20 steps:\n"
                   "  1. sc boot del master\n  2. sc crontask del master\n  3. sc user stophomes m\n"
                   "  4. sc mass cleanup\n  5. sc sshlink sc m master hostdel c (skipped if m does not answer)\n"
                   "  6. sc sshlink add m\n") == 0);
  CHECK_THAT(r.err, Contains("step 13 of 20, `sc nfsclient add m /home`, failed") &&
                        Contains("run `sc --set MASTER_MODE=client --set MASTER_HOST=m master setup` again"));
  CHECK_THAT(read_text(c.path("c", "/etc/fstab")), Contains("\nm:/home" + kHomeLine));
  CHECK_THAT(setting(c, "m", "NFSSRV_CLIENTS"), Contains("c"));
  CHECK(c.sc("c", {"boot", "has", "master"}).status != 0);
  CHECK(account_of(c, "c", "alice") == account_of(c, "m", "alice"));
  CHECK(setting(c, "c", "MASTER_APPLIED") == "roaming m\n");
  // Out of m's list as a roaming host; back on it when the setup is
  // finished (its registration comes after the NFS boundary).
  CHECK(setting(c, "m", "MASTER_HOSTS").empty());
}
