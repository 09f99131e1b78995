// Issue 20, mixed clusters, on real hosts (tests/support/CLUSTER.md): the
// master m runs this sc; the client c1 still runs the ORIGINAL bash tool.
// c1's "original" is written here from our own text: a small stand-in for
// its main script doing only what the original client does to update
// itself from its master (ask `ssh m sc sshlink scremote master
// buildnumber`, compare as the original does, and when the master's number
// is newer with the same thousands, rsync --delete the master's
// /usr/local/sbin/sc and /usr/local/lib/sc over its own), bash modules in
// /usr/local/lib/sc, /etc/sc in the original's format, its cron files and
// boot unit as the original writes them.
//
// Checked: the original's update step against our master changes nothing
// on c1 (no rsync, exit 0); `sc master adopt c1` on m leaves c1 running our
// sc (cron files call it, the original kept in sc migrate's backup, settings
// mapped), c1 in MASTER_HOSTS; a second adopt changes nothing. The adopt
// part needs `sc migrate` (core, issue 20 contract 2).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cluster.hpp"
#include "cluster_checks.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

namespace {

// The stand-in for the original's /usr/local/sbin/sc (our text). Like the
// original: bash, `set -e`, settings sourced from /etc/sc, the update step
// of `master update_sc` (which its cron and boot tasks run first).
const char* const kFakeOriginal = R"SH(#!/bin/bash
# Test stand-in for the original synccluster client: its update step only.
set -e
SCVERSION=1006
SCBIN=/usr/local/sbin/sc
SCLIBDIR=/usr/local/lib/sc
[ -r /etc/sc ] && . /etc/sc
case "$1 $2" in
  "master update_sc"|"master cron"|"master boot")
    [ -n "$MASTER" ] || exit 0
    got="$(ssh "$MASTER" sc sshlink scremote master buildnumber || true)"
    if [ "$got" = "Cannot find sc master buildnumber" ]; then
      echo "sc on $MASTER does not support update"
      exit 0
    fi
    if [ "$got" -gt "$SCVERSION" ]; then
      if [ "$((got / 1000))" -ne "$((SCVERSION / 1000))" ]; then
        echo "Cannot update sc from $MASTER: major version number differ"
        exit 1
      fi
      echo "Updating sc from $MASTER"
      touch /root/original-rsync-ran
      printf '%s\n' "$SCBIN" "$SCLIBDIR" | rsync -a --delete --files-from=- -r "$MASTER:/" / || true
    fi
    ;;
  *)
    echo "Error: Cannot find sc $1 $2"
    exit 1
    ;;
esac
)SH";

// /etc/sc as the original's `settings save` writes it: NAME='VALUE' lines.
const char* const kOriginalSettings =
    "SCROOTDIR=''\n"
    "SCPREFIX='/usr/local'\n"
    "SCLIBDIR='/usr/local/lib/sc'\n"
    "SCBIN='/usr/local/sbin/sc'\n"
    "SCDEF='/etc/default/sc'\n"
    "SETTINGS_VERSION='1006'\n"
    "SSHLINK_SPEEDLIMITS=''\n"
    "MASTER='m'\n"
    "MASTER_MODE='client'\n"
    "MASSMODE='nfs4'\n"
    "MASSBACKUP='1'\n"
    "SCUPDATEURL='https://github.com/retro16/synccluster/archive/master.tar.gz'\n"
    "\n";

// A cron file of the original's crontask add (MODULE PERIOD, no args: the
// line ends with the space of its empty "$@").
std::string original_cron(const std::string& when, const std::string& period) {
  const std::string file = "/etc/cron.d/sc_master_" + period;
  return when + " root flock -w 30 -E 1 '" + file + "' /usr/local/sbin/sc master cron " + period + " \n";
}

const char* const kOriginalBootUnit =
    "[Unit]\n"
    "Description=Start master module at boot\n"
    "After=network-online.target\n"
    "\n"
    "[Service]\n"
    "Type=oneshot\n"
    "ExecStart=/usr/local/sbin/sc master boot \n"
    "User=root\n"
    "Group=root\n"
    "\n"
    "[Install]\n"
    "WantedBy=multi-user.target\n";

std::string sh(const Cluster& c, const std::string& host, const std::string& script) {
  return out_of(c, host, {"sh", "-c", script});
}

/// Writes `text` to `path` in `host` (its /usr/local is an overlay of its own
/// that Cluster::path does not name).
void put(const Cluster& c, const std::string& host, const std::string& path, const std::string& text,
         const std::string& mode) {
  sc::ProcessResult r = c.on(host, {"sh", "-c", "cat > \"$0\" && chmod \"$1\" \"$0\"", path, mode}, &text);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
}

/// c1 as an original client of m: its /usr/local holds the original (our
/// stand-in and bash modules), not our sc.
void make_original_client(const Cluster& c) {
  sh(c, "c1", "rm -rf /usr/local/lib/sc /usr/local/bin/sc /usr/local/sbin/sc && mkdir -p /usr/local/lib/sc");
  put(c, "c1", "/usr/local/sbin/sc", kFakeOriginal, "0755");
  for (const char* m : {"master", "crontask", "boot", "settings", "sshlink", "user", "mass"})
    put(c, "c1", std::string("/usr/local/lib/sc/") + m,
        std::string("#!/bin/bash\n# the original's module ") + m + " (test stand-in)\n", "0644");
  write_text(c.path("c1", "/etc/sc"), kOriginalSettings, fs::perms(0644));
  write_text(c.path("c1", "/etc/cron.d/sc_master_daily"), original_cron("17 4 * * *", "daily"), fs::perms(0755));
  write_text(c.path("c1", "/etc/cron.d/sc_master_fast"), original_cron("*/20 * * * *", "fast"), fs::perms(0755));
  write_text(c.path("c1", "/etc/systemd/system/sc_boot_master.service"), kOriginalBootUnit);
  sh(c, "c1",
     "mkdir -p /etc/systemd/system/multi-user.target.wants && ln -sf /etc/systemd/system/sc_boot_master.service "
     "/etc/systemd/system/multi-user.target.wants/sc_boot_master.service");
}

/// What the original's update could change on c1: its sc, its modules,
/// its settings and tasks.
std::string c1_state(const Cluster& c) {
  return sh(c, "c1",
            "cd / && find usr/local/sbin usr/local/lib/sc etc/sc etc/cron.d etc/systemd/system -xdev 2>/dev/null | "
            "LC_ALL=C sort | while read f; do if [ -f \"$f\" ]; then echo \"$f $(sha256sum < \"$f\")\"; else echo "
            "\"$f\"; fi; done; ls /root");
}

ClusterOptions own_copies() {
  ClusterOptions o;
  o.own_usr_local = {"m", "c1"};
  return o;
}

}  // namespace

TEST_CASE("mixed cluster: an original client's update against our master changes nothing", "[master][cluster]") {
  Cluster c({"m", "c1"}, own_copies());
  c.trust_all();
  run_ok(c, "m", {"settings", "set", "MASTER_MODE", "master"});
  make_original_client(c);
  const std::string before = c1_state(c);

  sc::ProcessResult r = c.on("c1", {"/usr/local/sbin/sc", "master", "update_sc"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "sc on m does not support update\n");
  CHECK_FALSE(fs::exists(c.path("c1", "/root/original-rsync-ran")));
  CHECK(c1_state(c) == before);

  // Its cron step (update first) fares the same.
  r = c.on("c1", {"/usr/local/sbin/sc", "master", "cron", "fast"});
  CHECK(r.exit_code == 0);
  CHECK(c1_state(c) == before);

  // What its sync hooks ask the master, through the same door.
  CHECK(out_of(c, "c1", {"ssh", "m", "sc", "sshlink", "scremote", "update", "settings"}) == "SCUPDATEURL\n");
  sc::ProcessResult w = c.on("c1", {"ssh", "m", "sc", "sshlink", "scremote", "settings", "set", "MASTER", "x"});
  CHECK(w.exit_code == 1);
  CHECK(w.out == "Error: Cannot find sc settings set\n");
  // has_sc of the original.
  CHECK(c.on("c1", {"ssh", "m", "sc", "sshlink", "exec", "localhost", "exit", "0"}).exit_code == 0);
}

TEST_CASE("mixed cluster: master adopt --dry-run plans and changes nothing, refusals", "[master][cluster]") {
  Cluster c({"m", "c1", "c2"}, own_copies());
  c.trust("m", "c1");
  run_ok(c, "m", {"settings", "set", "MASTER_MODE", "master"});
  make_original_client(c);
  const std::string before = c1_state(c);

  ScRun d = c.sc("m", {"--dry-run", "master", "adopt", "c1"});
  INFO(d.out << d.err);
  CHECK(d.status == 0);
  CHECK_THAT(d.out, Contains("adopt c1 (client host, runs the original tool)"));
  CHECK_THAT(d.out, Contains("copy this master's sc"));
  CHECK_THAT(d.out, Contains("install it in /usr/local on c1"));
  CHECK_THAT(d.out, Contains("run `sc migrate` on c1"));
  CHECK_THAT(d.out, Contains("register c1 as a client host"));
  CHECK(c1_state(c) == before);
  CHECK(out_of(c, "m", {"sc", "master", "hosts"}).find("c1") == std::string::npos);

  // Not linked: refused, naming the fix.
  ScRun n = c.sc("m", {"master", "adopt", "c2"});
  CHECK(n.status == 2);
  CHECK_THAT(n.err, Contains("sc sshlink add c2"));
  // A hostile name changes nothing.
  ScRun h = c.sc("m", {"master", "adopt", "c1;touch /root/x"});
  CHECK(h.status == 2);
  CHECK(c1_state(c) == before);
}

TEST_CASE("mixed cluster: master adopt moves an original client to our sc", "[master][cluster]") {
  Cluster c({"m", "c1"}, own_copies());
  c.trust_all();
  run_ok(c, "m", {"settings", "set", "MASTER_MODE", "master"});
  make_original_client(c);

  ScRun a = c.sc("m", {"master", "adopt", "c1"});
  INFO(a.out << a.err);
  REQUIRE(a.status == 0);
  CHECK_THAT(a.out, Contains("c1 adopted"));

  // c1 runs our sc: the one of m, byte for byte.
  CHECK(sh(c, "c1", "sha256sum < /usr/local/sbin/sc") == sh(c, "m", "sha256sum < /usr/local/sbin/sc"));
  CHECK(out_of(c, "c1", {"/usr/local/sbin/sc", "--version"}) == out_of(c, "m", {"sc", "--version"}));
  CHECK_FALSE(fs::exists(c.path("c1", "/var/lib/sc/adopt/stage")));
  // The original is kept in sc migrate's backup, its modules too.
  CHECK(read_text(c.path("c1", "/var/lib/sc/migrate/original/usr/local/sbin/sc")) == kFakeOriginal);
  CHECK(fs::exists(c.path("c1", "/var/lib/sc/migrate/original/usr/local/lib/sc/master")));
  CHECK(c.on("c1", {"test", "-e", "/usr/local/lib/sc/master"}).exit_code == 1);
  // Its cron files call our sc, none the original's form.
  const std::string cron = sh(c, "c1", "cat /etc/cron.d/sc_* 2>/dev/null");
  CHECK_THAT(cron, Contains("/usr/local/sbin/sc"));
  CHECK_THAT(cron, Contains("master cron fast"));
  // The original locked the cron file itself; ours locks in /run/lock.
  CHECK(cron.find("flock -w 30 -E 1 '/etc/cron.d/") == std::string::npos);
  CHECK_THAT(cron, Contains("/run/lock/sc_master_fast.lock"));
  // Settings mapped: MASTER became MASTER_HOST.
  CHECK(out_of(c, "c1", {"/usr/local/sbin/sc", "settings", "get", "MASTER_HOST"}) == "m\n");
  CHECK(out_of(c, "c1", {"/usr/local/sbin/sc", "settings", "get", "MASTER_MODE"}) == "client\n");
  CHECK(out_of(c, "c1", {"/usr/local/sbin/sc", "settings", "get", "MASS_MODE"}) == "nfs4\n");
  CHECK(out_of(c, "c1", {"/usr/local/sbin/sc", "settings", "get", "MASS_BACKUP"}) == "no\n");  // 1 meant no
  CHECK(c.on("c1", {"/usr/local/sbin/sc", "settings", "get", "UPDATE_URL"}).exit_code == 1);   // the original's URL
  // Nothing of the original still runs: its boot unit is ours now, and no
  // cron file, unit or program outside the backup is the original's.
  const std::string unit = sh(c, "c1", "cat /etc/systemd/system/sc_boot_master.service");
  CHECK_THAT(unit, Contains("ExecStart=/usr/local/sbin/sc master boot") && !Contains("Start master module at boot"));
  CHECK(
      sh(c, "c1",
         "grep -rlI 'SCVERSION=\\|Start master module at boot\\|-E 1 .*/etc/cron.d/sc_' /usr/local/sbin /usr/local/bin "
         "/usr/local/lib/sc /etc/cron.d /etc/systemd/system 2>/dev/null || true") == "");
  // Registered on m.
  CHECK_THAT(out_of(c, "m", {"sc", "master", "hosts"}), Contains("c1  client"));

  // Again: nothing to do, nothing changed.
  const std::string after = c1_state(c);
  const std::string hosts = out_of(c, "m", {"sc", "settings", "get", "MASTER_HOSTS"});
  ScRun again = c.sc("m", {"master", "adopt", "c1"});
  INFO(again.out << again.err);
  CHECK(again.status == 0);
  CHECK_THAT(again.out, Contains("nothing to do"));
  CHECK(c1_state(c) == after);
  CHECK(out_of(c, "m", {"sc", "settings", "get", "MASTER_HOSTS"}) == hosts);

  // Undone on c1: the original is back, its program included (adopt moved
  // it into the migration's backup before installing sc in its place).
  sc::ProcessResult u = c.on("c1", {"/usr/local/sbin/sc", "migrate", "--undo"});
  UNSCOPED_INFO("undo: " << u.out << u.err);
  REQUIRE(u.exit_code == 0);
  CHECK(sh(c, "c1", "head -c 4096 /usr/local/sbin/sc") == kFakeOriginal);
  CHECK(sh(c, "c1", "cat /etc/cron.d/sc_master_fast") == original_cron("*/20 * * * *", "fast"));
  CHECK(sh(c, "c1", "cat /etc/sc") == kOriginalSettings);
}
