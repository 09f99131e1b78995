// The db module against a real PostgreSQL server (a private cluster).
#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "pg_harness.hpp"
#include "sshd_harness.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

namespace {
ScRun db(const PgCluster& pg, const fs::path& root, std::vector<std::string> args, const std::string* input = nullptr) {
  std::vector<std::string> all = {"--plugin-path", kPluginDir, "--root", root.string()};
  for (const auto& a : pg.set_args()) all.push_back(a);
  all.push_back("db");
  all.insert(all.end(), args.begin(), args.end());
  return run_sc(all, input);
}
}  // namespace

TEST_CASE("db against a real PostgreSQL: add, sql, backup, del, restore", "[db][postgres]") {
  PgCluster pg;
  TempDir root;
  CHECK(db(pg, root.path(), {"ready"}).status == 0);

  // Bad names are refused before anything reaches the server.
  std::string before = pg.psql("SELECT count(*) FROM pg_roles;");
  const std::string pw_line = "pw\n";
  ScRun r = db(pg, root.path(), {"add", "x; DROP ROLE postgres", "--password-stdin"}, &pw_line);
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("is not a valid database or role name"));
  // A password on the command line is refused, and never echoed.
  for (const char* given : {"--password=hunter2", "--password"}) {
    r = db(pg, root.path(), {"add", "cloud", given});
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Contains("never taken from the command line") && Contains("--password-stdin"));
    CHECK_THAT(r.err, !Contains("hunter2"));
  }
  for (const auto& hostile : hostile_strings()) CHECK(db(pg, root.path(), {"has", hostile}).status == 2);
  CHECK(pg.psql("SELECT count(*) FROM pg_roles;") == before);

  // No password and no terminal: a clear error.
  r = db(pg, root.path(), {"add", "cloud"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("--password-stdin"));

  // Dry run: planned, nothing created.
  std::string pw = "s3cr'et\\ pass\n";
  r = db(pg, root.path(), {"--dry-run", "add", "cloud", "clouddb", "--password-stdin"}, &pw);
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("would run: runuser -u postgres -- psql"));
  CHECK(db(pg, root.path(), {"has", "clouddb"}).status == 1);

  r = db(pg, root.path(), {"add", "cloud", "clouddb", "--password-stdin"}, &pw);
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out + r.err, !Contains("s3cr"));
  CHECK(db(pg, root.path(), {"has", "clouddb"}).status == 0);
  CHECK(pg.psql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'clouddb';") == "cloud\n");

  // The same add again changes nothing.
  r = db(pg, root.path(), {"--json", "add", "cloud", "clouddb", "--password-stdin"}, &pw);
  auto doc = nlohmann::json::parse(r.out);
  CHECK(doc["status"] == 0);
  CHECK(doc["summary"]["changed"] == 0);

  auto list = nlohmann::json::parse(db(pg, root.path(), {"--json", "list"}).out)["result"];
  CHECK(list == nlohmann::json::array({"clouddb"}));

  // A script runs as the role: its tables belong to it.
  write_text(root / "srv/init.sql",
             "CREATE TABLE notes (id int PRIMARY KEY, body text);\n"
             "INSERT INTO notes VALUES (1, 'it''s'), (2, 'ünïcode');\n");
  r = db(pg, root.path(), {"sql", "cloud", "clouddb", "--file", "/srv/init.sql"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(pg.psql("SELECT tableowner FROM pg_tables WHERE tablename = 'notes';", "clouddb") == "cloud\n");

  CHECK_THAT(db(pg, root.path(), {"getpw", "cloud"}).out, Catch::StartsWith("SCRAM-SHA-256$"));

  // Backup: an xz stream on stdout.
  sc::ProcessSpec spec;
  spec.argv = {kScBinary, "--plugin-path", kPluginDir, "--root", root.path().string()};
  for (const auto& a : pg.set_args()) spec.argv.push_back(a);
  spec.argv.insert(spec.argv.end(), {"db", "backup", "cloud", "clouddb"});
  spec.capture_out = spec.capture_err = true;
  sc::ProcessResult dump = sc::run_process(spec);
  INFO(dump.err);
  REQUIRE(dump.ok());
  REQUIRE(dump.out.size() > 6);
  CHECK(dump.out.compare(0, 6,
                         "\xfd"
                         "7zXZ\0",
                         6) == 0);
  // Byte for byte one xz stream: it ends with the footer magic, and xz
  // finds nothing after it (sc's messages are on stderr, never in the
  // stream).
  CHECK(dump.out.compare(dump.out.size() - 2, 2, "YZ") == 0);
  sc::ProcessSpec test_xz;
  test_xz.argv = {"xz", "--test", "--single-stream", "-"};
  test_xz.input = dump.out;
  test_xz.capture_err = true;
  sc::ProcessResult tested = sc::run_process(test_xz);
  INFO(tested.err);
  CHECK(tested.ok());
  test_xz.argv = {"xz", "--test", "-"};
  CHECK(sc::run_process(test_xz).ok());
  write_text(root / "srv/cloud.sql.xz", dump.out);

  // del asks first; without a terminal only --yes confirms.
  r = db(pg, root.path(), {"del", "cloud", "clouddb"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("--yes"));
  CHECK(db(pg, root.path(), {"has", "clouddb"}).status == 0);
  CHECK(db(pg, root.path(), {"--yes", "del", "cloud", "clouddb"}).status == 0);
  CHECK(db(pg, root.path(), {"has", "clouddb"}).status == 1);
  CHECK(pg.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'cloud';") == "0\n");

  // Restore brings role, database and rows back.
  r = db(pg, root.path(), {"restore", "/srv/cloud.sql.xz"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(pg.psql("SELECT id || ':' || body FROM notes ORDER BY id;", "clouddb") == "1:it's\n2:ünïcode\n");
  CHECK(pg.psql("SELECT tableowner FROM pg_tables WHERE tablename = 'notes';", "clouddb") == "cloud\n");
  // The restored role keeps its password.
  r = db(pg, root.path(), {"--json", "add", "cloud", "clouddb", "--password-stdin"}, &pw);
  CHECK(nlohmann::json::parse(r.out)["summary"]["changed"] == 0);

  // Restoring something that is not a dump of ours is refused.
  write_text(root / "srv/evil.sql", "DROP ROLE postgres;\n");
  r = db(pg, root.path(), {"restore", "/srv/evil.sql"});
  CHECK(r.status == 2);
  std::string stream = dump.out;
  r = db(pg, root.path(), {"restorestream"}, &stream);
  CHECK(r.status == 0);
}

TEST_CASE("db add takes the password from a file of the target with --password-file", "[db][postgres]") {
  PgCluster pg;
  TempDir root;
  // Refused before anything reaches the server: a relative path, a missing
  // file, both ways at once.
  ScRun r = db(pg, root.path(), {"add", "app", "--password-file", "pw.txt"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("--password-file \"pw.txt\" is not an absolute path"));
  r = db(pg, root.path(), {"add", "app", "--password-file", "/etc/none.pw"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("cannot read this file"));
  CHECK(db(pg, root.path(), {"add", "app", "--password-file"}).status == 2);
  write_text(root / "etc/app.pw", "file pass 'x'\nsecond line ignored\n", fs::perms(0600));
  const std::string pw = "other\n";
  r = db(pg, root.path(), {"add", "app", "--password-file", "/etc/app.pw", "--password-stdin"}, &pw);
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("not both"));
  CHECK(db(pg, root.path(), {"has", "app"}).status == 1);

  r = db(pg, root.path(), {"add", "app", "appdb", "--password-file", "/etc/app.pw"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out + r.err, !Contains("file pass"));
  CHECK(db(pg, root.path(), {"has", "appdb"}).status == 0);
  // The first line is the password: the same one given on stdin changes nothing.
  const std::string same = "file pass 'x'\n";
  r = db(pg, root.path(), {"--json", "add", "app", "appdb", "--password-stdin"}, &same);
  CHECK(nlohmann::json::parse(r.out)["summary"]["changed"] == 0);
}

TEST_CASE("db ready fails clearly when no server answers", "[db]") {
  TempDir root;
  ScRun r = run_sc_rooted(root.path(), {"--set", "DB_PGHOST=/nonexistent", "--set", "DB_PGPORT=1", "db", "ready"});
  CHECK(r.status == 1);
  r = run_sc_rooted(root.path(), {"--set", "DB_PGHOST=/nonexistent", "--set", "DB_PGPORT=1", "db", "list"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("does not answer") && Contains("sc db ready"));
}

TEST_CASE("db pull copies a module's databases from a peer", "[db][peer][postgres]") {
  PgCluster peer_pg, local_pg;  // the peer's server and ours
  SshdHarness::Options o;
  o.peer_plugin_dirs = {kFixtureDir};  // dbowner declares notes:notesdb
  SshdHarness h(o);
  auto point = [](const fs::path& root, const PgCluster& pg) {
    for (const auto& a : {std::pair<std::string, std::string>{"DB_PGPORT", std::to_string(pg.port())},
                          {"DB_PGHOST", pg.socket_dir().string()}})
      REQUIRE(
          run_sc({"--plugin-path", kPluginDir, "--root", root.string(), "settings", "set", a.first, a.second}).status ==
          0);
  };
  point(h.peer_root(), peer_pg);
  point(h.client_root(), local_pg);
  std::string pw = "pw\n";
  REQUIRE(run_sc({"--plugin-path", kPluginDir, "--root", h.peer_root().string(), "db", "add", "notes", "notesdb",
                  "--password-stdin"},
                 &pw)
              .status == 0);
  peer_pg.psql("CREATE TABLE t (v text); INSERT INTO t VALUES ('from the peer');", "notesdb");

  ScRun r = h.sc({"--dry-run", "db", "pull", "dbowner", h.peer()});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(local_pg.psql("SELECT count(*) FROM pg_database WHERE datname = 'notesdb';") == "0\n");
  r = h.sc({"db", "pull", "dbowner", h.peer()});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Contains("database notesdb copied from " + h.peer()));
  CHECK(local_pg.psql("SELECT v FROM t;", "notesdb") == "from the peer\n");
  CHECK(local_pg.psql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'notesdb';") == "notes\n");
  CHECK(h.sc({"db", "pull", "nosuch", h.peer()}).status == 1);
  CHECK(h.sc({"db", "pull", "a;b", h.peer()}).status == 2);
}

namespace {

std::string xz(const std::string& text) {
  return output_of({"xz", "-c", "-8"}, text);
}

/// Can ROLE log in to DATABASE over TCP with PASSWORD?
bool logs_in(const PgCluster& pg, const std::string& role, const std::string& database, const std::string& password) {
  return run_captured({"env", "PGPASSWORD=" + password, "PGCONNECT_TIMEOUT=5", "psql", "-X", "-w", "-tA", "-h",
                       "127.0.0.1", "-p", std::to_string(pg.port()), "-U", role, "-d", database, "-c", "SELECT 1"})
      .ok();
}

}  // namespace

TEST_CASE("db restore --original: a dump of the original tool, run as its role only", "[db][postgres]") {
  PgCluster pg;
  TempDir root;
  // The original's `db backup alice alicedb`, from a real server.
  pg.psql("CREATE ROLE alice LOGIN PASSWORD 'alice pw'; CREATE DATABASE alicedb OWNER alice;");
  pg.psql("SET ROLE alice; CREATE TABLE t (id int, v text); INSERT INTO t VALUES (1, 'it''s'), (2, E'\\\\! x');",
          "alicedb");
  const std::string stream = original_db_backup(pg, "alice", "alicedb");
  REQUIRE_THAT(stream, Contains("PASSWORD 'SCRAM-SHA-256$"));
  // Its head (up to \connect) and the pg_dump part, for the variants below.
  const size_t cut = stream.find("\\connect alicedb\n");
  REQUIRE(cut != std::string::npos);
  const std::string head = stream.substr(0, cut + 17), body = stream.substr(cut + 17);
  write_text(root / "srv/db/alice:alicedb.xz", xz(stream), fs::perms(0600));
  pg.psql("DROP DATABASE alicedb; DROP ROLE alice;");

  // Without --original, a stream that is not ours is refused.
  ScRun r = db(pg, root.path(), {"restore", "/srv/db/alice:alicedb.xz"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("was not made by `sc db backup`"));

  // Dry run: nothing made.
  r = db(pg, root.path(), {"--dry-run", "restore", "/srv/db/alice:alicedb.xz", "--original"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(pg.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'alice';") == "0\n");

  r = db(pg, root.path(), {"restore", "/srv/db/alice:alicedb.xz", "--original"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(pg.psql("SELECT id || '=' || v FROM t ORDER BY id;", "alicedb") == "1=it's\n2=\\! x\n");
  CHECK(pg.psql("SELECT tableowner FROM pg_tables WHERE tablename = 't';", "alicedb") == "alice\n");
  CHECK(pg.psql("SELECT rolsuper FROM pg_roles WHERE rolname = 'alice';") == "f\n");
  CHECK(logs_in(pg, "alice", "alicedb", "alice pw"));  // the hash carried over, the one-time password gone
  // Again: the database is replaced, not added to.
  r = db(pg, root.path(), {"restore", "/srv/db/alice:alicedb.xz", "--original"});
  REQUIRE(r.status == 0);
  CHECK(pg.psql("SELECT count(*) FROM t;", "alicedb") == "2\n");

  // The stream's own head never runs: a SUPERUSER there is not granted.
  const std::string evil_head =
      "DROP DATABASE IF EXISTS alicedb;\nDROP ROLE IF EXISTS postgres;\n"
      "CREATE ROLE alice;\nALTER ROLE alice WITH SUPERUSER LOGIN;\n"
      "CREATE DATABASE alicedb OWNER=alice;\n\\connect alicedb\n";
  write_text(root / "srv/db/alice:alicedb.xz", xz(evil_head + body), fs::perms(0600));
  r = db(pg, root.path(), {"restore", "/srv/db/alice:alicedb.xz", "--original"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.err, Contains("restored without one"));
  CHECK(pg.psql("SELECT rolsuper, rolpassword IS NULL FROM pg_authid WHERE rolname = 'alice';") == "f|t\n");
  CHECK(pg.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'postgres';") == "1\n");

  // pg_dump's part runs as the role, meta-commands refused: a shell escape,
  // another connection, a grab for superuser, a program run by the server.
  const fs::path marker = root / "pwned";
  for (const std::string& evil : std::vector<std::string>{
           "\\! touch " + marker.string() + "\n", "\\connect postgres\nCREATE TABLE stolen (x int);\n",
           "SELECT 1; \\! touch " + marker.string() + "\n", std::string("ALTER ROLE alice SUPERUSER;\n"),
           "COPY (SELECT 1) TO PROGRAM 'touch " + marker.string() + "';\n",
           std::string("RESET ROLE; ALTER ROLE alice SUPERUSER;\n")}) {
    INFO(evil);
    write_text(root / "srv/db/alice:alicedb.xz", xz(head + evil), fs::perms(0600));
    r = db(pg, root.path(), {"restore", "/srv/db/alice:alicedb.xz", "--original"});
    CHECK(r.status == 1);
    CHECK_THAT(r.err, Contains("failed"));
    CHECK_FALSE(fs::exists(marker));
    CHECK(pg.psql("SELECT rolsuper FROM pg_roles WHERE rolname = 'alice';") == "f\n");
    CHECK(pg.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'stolen';") == "0\n");
    CHECK(logs_in(pg, "alice", "alicedb", "alice pw"));  // the stream's password, not the one-time one
  }

  // Names: from the file's name only, checked; a superuser role never.
  for (const char* bad : {"/srv/db/Alice:x.xz", "/srv/db/alice.xz", "/srv/db/postgres:x.xz", "/srv/db/a:template1.xz",
                          "/srv/db/a;b:c.xz", "srv/db/alice:alicedb.xz"}) {
    INFO(bad);
    write_text(root / ("srv/db/" + fs::path(bad).filename().string()), xz(head + body));
    r = db(pg, root.path(), {"restore", bad, "--original"});
    CHECK(r.status == 2);
  }
  pg.psql("CREATE ROLE boss SUPERUSER;");
  write_text(root / "srv/db/boss:bossdb.xz", xz("CREATE DATABASE bossdb OWNER=boss;\n\\connect bossdb\nSELECT 1;\n"));
  r = db(pg, root.path(), {"restore", "/srv/db/boss:bossdb.xz", "--original"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("is a superuser here"));
  // The file names another database than its stream connects to.
  write_text(root / "srv/db/alice:otherdb.xz", xz(head + body));
  r = db(pg, root.path(), {"restore", "/srv/db/alice:otherdb.xz", "--original"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("\\connect otherdb"));
  CHECK(pg.psql("SELECT count(*) FROM pg_database WHERE datname = 'otherdb';") == "0\n");
  write_text(root / "srv/db/alice:junk.xz", "not xz");
  CHECK(db(pg, root.path(), {"restore", "/srv/db/alice:junk.xz", "--original"}).status == 2);
}
