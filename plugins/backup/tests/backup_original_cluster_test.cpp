// Restoring a backup made by the original bash tool, on real hosts of the
// test cluster with a real PostgreSQL: the backup directory is built here
// the way the original's `backup start` left it (BACKUP_DIR/HOST/sc, its
// settings as NAME='value' lines; fs/ with every module's files at their
// absolute paths; db/USER:DATABASE.xz, the original's db_backup stream made
// from a real pg_dumpall and pg_dump), then `sc backup restore_from` on a
// fresh host restores it from a directory there, and on another host from
// a backup server (HOST:/DIR, over SSH).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "cluster.hpp"
#include "cluster_checks.hpp"
#include "pg_harness.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

namespace {

/// The file the original's `db backup alice alicedb` wrote, from a real
/// server (pg_harness's original_db_backup), xz -8.
std::string original_dump(const PgCluster& pg) {
  const std::string stream = original_db_backup(pg, "alice", "alicedb");
  sc::ProcessResult xz = run_captured({"xz", "-c", "-8"}, stream);
  REQUIRE(xz.ok());
  return xz.out;
}

const std::string kRows = "1|it's\n2|\\! touch /tmp/x\n3|two\nlines\n";

/// BACKUP_DIR/oldhost of the original tool, under `dir` (a path of the test).
void write_original_backup(const fs::path& dir, const std::string& dump) {
  // Settings: what `sshlink getsettings` printed, `echo "$s='$(... settings get "$s")'"`.
  write_text(dir / "sc",
             "SETTINGS_VERSION='1006'\n"
             "SCROOTDIR=''\n"
             "SCPREFIX='/usr/local'\n"
             "SCLIBDIR='/usr/local/lib/sc'\n"
             "FQDN='old.example.test'\n"
             "MASTER='m.example.test'\n"
             "PGVERSION='15'\n"
             "BACKUP_DIR='/srv/backup'\n",
             fs::perms(0644));
  // Accounts: carol (10000) and bob (10001), bob in sudo; a system user.
  const fs::path etc = dir / "fs/etc";
  write_text(etc / "passwd",
             "root:x:0:0:root:/root:/bin/bash\n"
             "postgres:x:108:114:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash\n"
             "carol:x:10000:10000:Carol Old:/home/carol:/bin/bash\n"
             "bob:x:10001:10001:Bob,,,:/home/bob:/bin/bash\n");
  write_text(etc / "shadow",
             "root:*:19000:0:99999:7:::\n"
             "postgres:*:19000:0:99999:7:::\n"
             "carol:$y$j9T$oldcarol$oldcarolhasholdcarolhasholdcarolhash:19500:0:99999:7:::\n"
             "bob:$y$j9T$bobsalt$bobhashbobhashbobhashbobhashbobhashbobhas:19500:0:99999:7:::\n",
             fs::perms(0640));
  write_text(etc / "group", "root:x:0:\nsudo:x:27:bob\ncarol:x:10000:\nbob:x:10001:\n");
  write_text(etc / "gshadow", "root:*::\nsudo:*::bob\ncarol:!::\nbob:!::\n", fs::perms(0640));
  // bob's home, owned by him as rsync -a kept it; carol's old home.
  write_text(dir / "fs/home/bob/notes.txt", "bob's notes\n");
  write_text(dir / "fs/home/bob/.profile", "# bob\n");
  write_text(dir / "fs/home/carol/old.txt", "carol's old file\n");
  for (const char* p : {"home/bob", "home/bob/notes.txt", "home/bob/.profile"})
    REQUIRE(::chown((dir / "fs" / p).c_str(), 10001, 10001) == 0);
  // Other modules' files, copied back as they are.
  write_text(dir / "fs/srv/www/html/index.html", "<h1>old site</h1>\n");
  write_text(dir / "fs/etc/aliases", "postmaster: root\nbob: bob\n");
  // The database.
  write_text(dir / "db/alice:alicedb.xz", dump, fs::perms(0600));
}

std::string file_owner(const fs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid);
}

/// A fresh host pointed at `pg`, with a local account carol of its own.
void prepare_host(const Cluster& c, const std::string& host, const PgCluster& pg) {
  run_ok(c, host, {"settings", "set", "DB_PGHOST", pg.socket_dir().string()});
  run_ok(c, host, {"settings", "set", "DB_PGPORT", std::to_string(pg.port())});
  const std::string pw = "carol's own password\n";
  run_ok(c, host, {"user", "add", "carol", "--password-stdin"}, &pw);
}

/// Everything of the backup arrived in `host`, whose own carol was kept.
void check_restored(const Cluster& c, const std::string& host, const PgCluster& pg,
                    const std::string& carol_shadow_before) {
  // Settings, the original's names mapped to ours, its own dropped.
  CHECK(c.sc(host, {"settings", "get", "FQDN"}).out == "old.example.test\n");
  CHECK(c.sc(host, {"settings", "get", "MASTER_HOST"}).out == "m.example.test\n");
  CHECK(c.sc(host, {"settings", "get", "BACKUP_DIR"}).out == "/srv/backup\n");
  for (const char* dropped : {"SCROOTDIR", "SCPREFIX", "SCLIBDIR", "PGVERSION", "MASTER"})
    CHECK(c.sc(host, {"settings", "get", dropped}).status != 0);

  // Accounts merged: bob added with his password and sudo, carol kept as
  // she is here (her password, her home).
  const std::string passwd = read_text(c.path(host, "/etc/passwd")), shadow = read_text(c.path(host, "/etc/shadow"));
  CHECK_THAT(passwd, Contains("bob:x:10001:10001:Bob,,,:/home/bob:/bin/bash\n"));
  CHECK_THAT(shadow, Contains("bob:$y$j9T$bobsalt$bobhashbobhashbobhashbobhashbobhashbobhas:19500:"));
  CHECK_THAT(passwd, Contains("carol:x:10000:10000:"));
  CHECK_THAT(passwd, !Contains("Carol Old"));
  CHECK_THAT(shadow, Contains(carol_shadow_before));
  CHECK_THAT(shadow, !Contains("oldcarol"));
  CHECK_THAT(read_text(c.path(host, "/etc/group")), Contains("\nbob:x:10001:"));
  std::regex sudo_line("(^|\n)sudo:x:27:([^\n]*,)?bob(,|\n)");
  CHECK(std::regex_search(read_text(c.path(host, "/etc/group")), sudo_line));
  CHECK(c.on(host, {"id", "-u", "bob"}).out == "10001\n");
  sc::ProcessResult pwck = c.on(host, {"pwck", "-r"});
  CHECK_THAT(pwck.out + pwck.err, !Contains("bob"));

  // Files: bob's home with his ownership, carol's home left as it was,
  // the rest as it was in the backup.
  CHECK(read_text(c.path(host, "/home/bob/notes.txt")) == "bob's notes\n");
  CHECK(file_owner(c.path(host, "/home/bob/notes.txt")) == "10001:10001");
  CHECK_FALSE(fs::exists(c.path(host, "/home/carol/old.txt")));
  CHECK(read_text(c.path(host, "/etc/aliases")) == "postmaster: root\nbob: bob\n");
  CHECK(c.on(host, {"cat", "/srv/www/html/index.html"}).out == "<h1>old site</h1>\n");

  // The database: its rows, owned by alice, her password as it was.
  CHECK(pg.psql("SELECT id || '|' || body FROM notes ORDER BY id;", "alicedb") == kRows);
  CHECK(pg.psql("SELECT tableowner FROM pg_tables WHERE tablename = 'notes';", "alicedb") == "alice\n");
  CHECK(pg.psql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'alicedb';") == "alice\n");
  CHECK(pg.psql("SELECT rolsuper, rolcanlogin FROM pg_roles WHERE rolname = 'alice';") == "f|t\n");
  sc::ProcessResult login =
      run_captured({"env", "PGPASSWORD=alice pw", "psql", "-X", "-tA", "-h", "127.0.0.1", "-p",
                    std::to_string(pg.port()), "-U", "alice", "-d", "alicedb", "-c", "SELECT count(*) FROM notes"});
  INFO(login.err);
  CHECK(login.out == "3\n");
}

}  // namespace

TEST_CASE("backup restore_from a backup of the original tool: settings, accounts, files, database",
          "[backup][cluster][postgres]") {
  PgCluster old_server, pg1, pg2;
  // The database as it was on the original's host.
  old_server.psql("CREATE ROLE alice LOGIN PASSWORD 'alice pw'; CREATE DATABASE alicedb OWNER alice;");
  old_server.psql(
      "SET ROLE alice; CREATE TABLE notes (id int PRIMARY KEY, body text);"
      "INSERT INTO notes VALUES (1, 'it''s'), (2, '\\! touch /tmp/x'), (3, E'two\\nlines');",
      "alicedb");
  const std::string dump = original_dump(old_server);

  Cluster c({"b", "h1", "h2"});
  c.trust("h2", "b");
  // h1: the backup copied into a directory of its own.
  write_original_backup(c.path("h1", "/srv/orig/oldhost"), dump);
  prepare_host(c, "h1", pg1);
  const std::string carol_shadow =
      read_text(c.path("h1", "/etc/shadow")).substr(read_text(c.path("h1", "/etc/shadow")).find("carol:"), 40);

  // Nothing changes under --dry-run.
  const std::string before = tree_hash(c.path("h1", "/etc")) + tree_hash(c.path("h1", "/home"));
  ScRun r = c.sc("h1", {"--dry-run", "backup", "restore_from", "/srv/orig/oldhost"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(tree_hash(c.path("h1", "/etc")) + tree_hash(c.path("h1", "/home")) == before);
  CHECK(pg1.psql("SELECT count(*) FROM pg_database WHERE datname = 'alicedb';") == "0\n");

  // The one copy the original kept: no --at.
  r = c.sc("h1", {"backup", "restore_from", "/srv/orig/oldhost", "--at", "2020-01-01"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("single copy"));

  r = run_ok(c, "h1", {"backup", "restore_from", "/srv/orig/oldhost"});
  CHECK_THAT(r.out, Contains("settings restored"));
  CHECK_THAT(r.out, Contains("module user restored"));
  CHECK_THAT(r.out, Contains("database alice:alicedb restored"));
  check_restored(c, "h1", pg1, carol_shadow);

  // A dump whose name is not USER:DATABASE.xz: refused, nothing changed.
  write_text(c.path("h1", "/srv/orig/oldhost/db/Evil;name:x.xz"), dump);
  const std::string settings_before = read_text(c.path("h1", "/etc/sc"));
  r = c.sc("h1", {"backup", "restore_from", "/srv/orig/oldhost"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("Evil;name:x.xz") && Contains("nothing was changed"));
  CHECK(read_text(c.path("h1", "/etc/sc")) == settings_before);

  // h2: from the backup server b (HOST:/DIR), copied over SSH first.
  write_original_backup(c.path("b", "/srv/backup/oldhost"), dump);
  prepare_host(c, "h2", pg2);
  const std::string carol_shadow2 =
      read_text(c.path("h2", "/etc/shadow")).substr(read_text(c.path("h2", "/etc/shadow")).find("carol:"), 40);
  run_ok(c, "h2", {"sshlink", "add", "b"});
  r = run_ok(c, "h2", {"backup", "snapshot", "b:/srv/backup/oldhost"});
  CHECK(r.out == "b:/srv/backup/oldhost\n");
  r = run_ok(c, "h2", {"backup", "restore_from", "b:/srv/backup/oldhost"});
  CHECK_THAT(r.out, Contains("database alice:alicedb restored"));
  check_restored(c, "h2", pg2, carol_shadow2);
  CHECK_FALSE(fs::exists(c.path("h2", "/var/lib/sc/restore/b")));
}
