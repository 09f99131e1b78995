// The db module against a real PostgreSQL server (a private cluster).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

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
