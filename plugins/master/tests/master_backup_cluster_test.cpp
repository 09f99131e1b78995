// Issue 15, scenario 4, on real hosts (tests/support/CLUSTER.md), no --root:
// a master m, a backup server b, a fresh host n. b is set up with `sc master
// setup` (MASTER_MODE=backup): it imports m's BACKUP_LIST and backs m itself
// up; what its cron tasks run (the lines of its /etc/cron.d files, run as
// cron would) takes a real snapshot of m over SSH with rsync. n then becomes
// the master from b's backup of m: `sc master setup b:/srv/backup/m` copies
// the snapshot from b and restores the accounts (same ids, same password
// hash), the settings and the modules' files; n is a working master after.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cluster.hpp"
#include "cluster_checks.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

namespace {

/// The command of the task in the cron file `file` of `host`, as cron runs
/// it (the line's fields after the schedule and the user), through sh.
sc::ProcessResult run_cron_file(const Cluster& c, const std::string& host, const std::string& file) {
  std::istringstream lines(read_text(c.path(host, file)));
  std::string line, command;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#' || line.find('=') < line.find(' ')) continue;
    std::istringstream words(line);
    std::string word;
    const int skip = line[0] == '@' ? 2 : 6;  // @daily root CMD, or M H DOM MON DOW root CMD
    size_t at = 0;
    for (int i = 0; i < skip && (words >> word); ++i) at = line.find(word, at) + word.size();
    command = line.substr(line.find_first_not_of(" \t", at));
  }
  INFO(file << " on " << host);
  REQUIRE_FALSE(command.empty());
  return c.on(host, {"sh", "-c", command});
}

/// What a setup must not change on a host: its accounts, settings, cron
/// tasks and the directories a restore writes to.
std::string state_of(const Cluster& c, const std::string& host) {
  std::string all;
  for (const char* f : {"/etc/passwd", "/etc/shadow", "/etc/group"}) all += read_text(c.path(host, f));
  all += c.on(host, {"cat", "/etc/sc"}).out;
  all += c.on(host, {"find", "/etc/cron.d", "/srv", "/home", "/var/lib/sc", "-printf", "%p %m %s\n"}).out;
  return all;
}

}  // namespace

TEST_CASE("a backup server backs its master up by its cron run, and a fresh host becomes the master from that backup",
          "[master][cluster]") {
  Cluster c({"m", "b", "n"});
  c.trust_all();
  without_services(c, {"m", "b", "n"});

  // m: the master, with a cluster user (password), settings, module files
  // (a home, the mass storage) and a backup list naming one of its paths.
  run_ok(c, "m", {"--yes", "--set", "MASTER_MODE=master", "master", "setup"});
  const std::string pw = "c0rrect horse\n";
  run_ok(c, "m", {"user", "add", "alice", "--password-stdin"}, &pw);
  REQUIRE(
      c.on("m", {"sh", "-c", "echo alice notes > /home/alice/notes.txt && chown alice: /home/alice/notes.txt"}).ok());
  REQUIRE(c.on("m", {"sh", "-c", "echo shared > /srv/mass/shared.txt"}).ok());
  run_ok(c, "m", {"settings", "set", "SSHLINK_CONNECT_TIMEOUT", "7"});
  run_ok(c, "m", {"settings", "set", "BACKUP_LIST", "weekly:m:/srv/mass"});

  // b: the backup role. Its setup imports m's list and, at its pull, adds m
  // itself (the list did not name it).
  ScRun r = run_ok(c, "b",
                   {"--yes", "--set", "MASTER_MODE=backup", "--set", "MASTER_HOST=m", "--set", "BACKUP_DIR=/srv/backup",
                    "master", "setup"});
  CHECK_THAT(r.out, Contains("sc sshlink importsettings m backup/BACKUP_LIST update"));
  CHECK(c.sc("b", {"master", "ready"}).status == 0);
  CHECK(c.sc("b", {"backup", "has", "m:/srv/mass", "weekly"}).status == 0);
  CHECK(c.sc("b", {"backup", "has", "m", "daily"}).status == 0);
  CHECK(c.on("b", {"getent", "passwd", "alice"}).ok());  // the backup role pulls the accounts too

  // What cron runs on b, daily: the role's pull, then the backups.
  for (const char* file : {"/etc/cron.d/sc_master_daily", "/etc/cron.d/sc_backup_daily"}) {
    sc::ProcessResult cr = run_cron_file(c, "b", file);
    INFO(file << ": " << cr.out << cr.err);
    REQUIRE(cr.exit_code == 0);
  }
  r = run_ok(c, "b", {"--json", "backup", "list"});
  auto list = json::parse(r.out, nullptr, false);
  REQUIRE(list.is_object());
  std::string snapshot;
  for (const auto& row : list["result"])
    if (row["entry"] == "m" && row["period"] == "daily" && row["snapshot"].is_string())
      snapshot = row["snapshot"].get<std::string>();
  INFO(list.dump());
  REQUIRE_FALSE(snapshot.empty());
  const std::string snap_dir = "/srv/backup/m/host/daily/" + snapshot;
  CHECK(read_text(c.path("b", snap_dir + "/fs/home/alice/notes.txt")) == "alice notes\n");
  CHECK(read_text(c.path("b", snap_dir + "/fs/srv/mass/shared.txt")) == "shared\n");
  CHECK_THAT(read_text(c.path("b", snap_dir + "/sc")), Contains("SSHLINK_CONNECT_TIMEOUT"));
  CHECK(c.sc("b", {"backup", "verify", "m"}).status == 0);

  // n: bad SOURCEs are refused, naming what is wrong; nothing changes.
  const std::string before = state_of(c, "n");
  const std::string canary = "/tmp/sc-backupr-canary-" + std::to_string(::getpid());
  for (const std::string& bad :
       {std::string("b:/srv/backup/none"), std::string("b:/srv/../etc"), std::string("b:relative/dir"),
        std::string("b;touch ") + canary + ":/srv/backup/m", "$(touch " + canary + "):/srv/backup/m",
        std::string("-oProxyCommand=touch ") + canary + ":/srv/backup/m", std::string("nosuchhost:/srv/backup/m"),
        std::string("b:/srv/backup/m\ntouch")}) {
    r = c.sc("n", {"--yes", "--set", "MASTER_MODE=master", "master", "setup", bad});
    INFO(bad << ": " << r.out << r.err);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Contains("SOURCE") || Contains("nothing was changed"));
  }
  r = c.sc("n", {"--yes", "--set", "MASTER_MODE=master", "master", "setup", "b:/srv/backup/none"});
  CHECK_THAT(r.err, Contains("cannot be restored: on b: backup source /srv/backup/none is not a directory") &&
                        Contains("nothing was changed"));
  r = c.sc("n", {"--yes", "--set", "MASTER_MODE=master", "master", "setup", "nosuchhost:/srv/backup/m"});
  CHECK_THAT(r.err, Contains("cannot reach the backup host nosuchhost") && Contains("sc sshlink add nosuchhost"));
  CHECK_FALSE(c.on("n", {"test", "-e", canary}).ok());
  CHECK(state_of(c, "n") == before);

  // --dry-run: the whole plan, the copy from b planned, nothing changed.
  r = c.sc("n", {"--dry-run", "--yes", "--set", "MASTER_MODE=master", "master", "setup", "b:/srv/backup/m"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("sc backup restore_from b:/srv/backup/m"));
  CHECK_THAT(r.out + r.err, Contains("restoring the backup b:" + snap_dir));
  CHECK(state_of(c, "n") == before);

  // The restore: n becomes the master from b's backup of m.
  r = run_ok(c, "n", {"--yes", "--set", "MASTER_MODE=master", "master", "setup", "b:/srv/backup/m"});
  CHECK_THAT(r.out, Contains("copying b:" + snap_dir));
  for (const char* db : {"passwd", "shadow", "group"})
    CHECK(out_of(c, "n", {"getent", db, "alice"}) == out_of(c, "m", {"getent", db, "alice"}));
  CHECK(out_of(c, "n", {"id", "alice"}) == out_of(c, "m", {"id", "alice"}));
  CHECK(read_text(c.path("n", "/home/alice/notes.txt")) == "alice notes\n");
  CHECK(out_of(c, "n", {"stat", "-c", "%U:%G", "/home/alice/notes.txt"}) == "alice:alice\n");
  CHECK(read_text(c.path("n", "/srv/mass/shared.txt")) == "shared\n");
  CHECK(c.sc("n", {"settings", "get", "SSHLINK_CONNECT_TIMEOUT"}).out == "7\n");
  // A working master: its role in place, the account known to sc.
  r = c.sc("n", {"master", "ready"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(c.sc("n", {"user", "has", "alice"}).status == 0);
  CHECK(c.sc("n", {"master", "mode"}).out == "master\n");
  // The copy of the snapshot (secrets) is gone once restored.
  CHECK_FALSE(c.on("n", {"test", "-e", "/var/lib/sc/restore/b"}).ok());
  // Again: idempotent.
  run_ok(c, "n", {"--yes", "master", "setup", "b:/srv/backup/m"});
  CHECK(out_of(c, "n", {"getent", "shadow", "alice"}) == out_of(c, "m", {"getent", "shadow", "alice"}));
}
