// roundcube setup against a real PostgreSQL server (a private cluster),
// under --root: the database roundcube created with Roundcube's schema,
// config.inc.php written (Debian's kept), the snippet enabled and Debian's
// conf disabled, a second setup changing nothing, hostile input refused.
#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cluster.hpp"
#include "cluster_checks.hpp"
#include "pg_harness.hpp"
#include "service_daemons.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

namespace {

ScRun rc(const fs::path& root, std::vector<std::string> args) {
  std::vector<std::string> all = {"--plugin-path", kPluginDir, "--root", root.string(), "roundcube"};
  all.insert(all.end(), args.begin(), args.end());
  return run_sc(all);
}

/// A root with what Debian's roundcube package installs that setup reads.
void debian_roundcube(const fs::path& root) {
  // Accounts as on the machine: www-data owns files sc writes.
  for (const char* f : {"passwd", "group"}) {
    fs::create_directories(root / "etc");
    fs::copy_file(fs::path("/etc") / f, root / "etc" / f, fs::copy_options::overwrite_existing);
  }
  for (const char* f : {"/usr/share/roundcube/index.php", "/etc/php/8.2/mods-available/pgsql.ini"})
    write_text(root / (f + 1), "installed\n");
  fs::create_directories(root / "usr/share/doc/roundcube-pgsql");
  fs::create_directories(root / "usr/share/roundcube/SQL");
  fs::copy_file("/usr/share/roundcube/SQL/postgres.initial.sql", root / "usr/share/roundcube/SQL/postgres.initial.sql");
  write_text(root / "etc/roundcube/config.inc.php", "<?php\n$config = []; // Debian's\n", fs::perms(0640));
  fs::create_directories(root / "etc/apache2/conf-available");
  fs::create_directories(root / "etc/apache2/conf-enabled");
  write_text(root / "etc/roundcube/apache.conf", "# Debian's\n");
  fs::create_symlink("/etc/roundcube/apache.conf", root / "etc/apache2/conf-available/roundcube.conf");
  fs::create_symlink("../conf-available/roundcube.conf", root / "etc/apache2/conf-enabled/roundcube.conf");
}

}  // namespace

TEST_CASE("roundcube setup creates its database with the schema and configures Roundcube", "[roundcube][postgres]") {
  PgCluster pg;
  TempDir root;
  debian_roundcube(root.path());
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"DB_PGHOST", pg.socket_dir().string()}, {"DB_PGPORT", std::to_string(pg.port())}})
    REQUIRE(run_sc_rooted(root.path(), {"settings", "set", name, value}).status == 0);

  CHECK(rc(root.path(), {"enabled"}).status == 1);
  CHECK(rc(root.path(), {"ready"}).status == 1);
  // Not set up: the backup's hooks name nothing (Debian's file is not sc's).
  CHECK(nlohmann::json::parse(rc(root.path(), {"--json", "db"}).out)["result"] == nlohmann::json::array());
  CHECK(nlohmann::json::parse(rc(root.path(), {"--json", "files"}).out)["result"] == nlohmann::json::array());

  // A dry run plans and changes nothing.
  const std::string before = tree_hash(root.path());
  ScRun r = rc(root.path(), {"--dry-run", "setup"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(tree_hash(root.path()) == before);
  CHECK(pg.psql("SELECT count(*) FROM pg_database WHERE datname = 'roundcube';") == "0\n");

  r = rc(root.path(), {"setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.err, Contains("disabled Debian's own Apache conf"));
  CHECK(pg.psql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'roundcube';") == "roundcube\n");
  // Roundcube's schema, owned by its role.
  CHECK(pg.psql("SELECT tableowner FROM pg_tables WHERE tablename = 'users';", "roundcube") == "roundcube\n");
  CHECK(pg.psql("SELECT value FROM system WHERE name = 'roundcube-version';", "roundcube") != "");

  const std::string config = read_text(root / "etc/roundcube/config.inc.php");
  CHECK_THAT(config, Contains("// Written by sc") && Contains("localhost:" + std::to_string(pg.port()) + "/roundcube"));
  CHECK(read_text(root / "etc/roundcube/config.inc.php.sc-orig") == "<?php\n$config = []; // Debian's\n");
  CHECK((fs::status(root / "etc/roundcube/config.inc.php").permissions() & fs::perms::all) == fs::perms(0640));
  // The key is this host's own: 24 characters, in the settings and the file.
  const std::string key = run_sc_rooted(root.path(), {"settings", "get", "ROUNDCUBE_DES_KEY"}).out;
  REQUIRE(key.size() == 25);
  CHECK_THAT(config, Contains("$config['des_key'] = '" + key.substr(0, 24) + "';"));
  CHECK_THAT(r.out + r.err, !Contains(key.substr(0, 24)));
  // The role's password is the one in the config: Roundcube can log in.
  const std::string pw = run_sc_rooted(root.path(), {"settings", "get", "ROUNDCUBE_DB_PASSWORD"}).out.substr(0, 32);
  sc::ProcessSpec login;
  login.argv = {"psql", "-X",        "-tA", "-w",        "-h", "localhost", "-p", std::to_string(pg.port()),
                "-U",   "roundcube", "-d",  "roundcube", "-c", "SELECT 1"};
  login.env_add = {"PGPASSWORD=" + pw};
  login.capture_out = login.capture_err = true;
  sc::ProcessResult p = sc::run_process(login);
  INFO(p.err);
  CHECK(p.out == "1\n");
  CHECK((fs::status(root / "var/lib/sc/roundcube/db-password").permissions() & fs::perms::all) == fs::perms(0600));

  // sc's snippet in, Debian's conf out (its conf-available link kept).
  CHECK_THAT(read_text(root / "etc/apache2/conf-available/sc_roundcube.conf"),
             Contains("Alias /mail /var/lib/roundcube/public_html"));
  CHECK(fs::read_symlink(root / "etc/apache2/conf-enabled/sc_roundcube.conf") == "../conf-available/sc_roundcube.conf");
  CHECK_FALSE(fs::exists(fs::symlink_status(root / "etc/apache2/conf-enabled/roundcube.conf")));
  CHECK(fs::is_symlink(root / "etc/apache2/conf-available/roundcube.conf"));

  CHECK(rc(root.path(), {"ready"}).status == 0);
  CHECK(rc(root.path(), {"enabled"}).status == 0);
  CHECK(nlohmann::json::parse(rc(root.path(), {"--json", "db"}).out)["result"] ==
        nlohmann::json::array({"roundcube:roundcube"}));
  CHECK(nlohmann::json::parse(rc(root.path(), {"--json", "files"}).out)["result"] ==
        nlohmann::json::array({"/etc/roundcube/config.inc.php"}));

  // A second setup changes nothing (the schema is not loaded again).
  r = rc(root.path(), {"--json", "setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(nlohmann::json::parse(r.out)["summary"]["changed"] == 0);

  // sync: nothing on a master; hostile hosts and modes refused.
  CHECK(rc(root.path(), {"sync", "m", "master"}).status == 0);
  for (const auto& hostile : hostile_strings()) {
    CHECK(rc(root.path(), {"sync", hostile, "standby"}).status == 2);
    CHECK(rc(root.path(), {"sync", "m", hostile}).status == 2);
  }

  // cleanup: Debian's config back, the snippet gone, the database kept.
  r = rc(root.path(), {"cleanup"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(read_text(root / "etc/roundcube/config.inc.php") == "<?php\n$config = []; // Debian's\n");
  CHECK_FALSE(fs::exists(root / "etc/apache2/conf-available/sc_roundcube.conf"));
  CHECK_THAT(r.err, Contains("enabled Debian's own Apache conf for Roundcube again"));
  CHECK(fs::read_symlink(root / "etc/apache2/conf-enabled/roundcube.conf") == "../conf-available/roundcube.conf");
  CHECK(pg.psql("SELECT count(*) FROM pg_database WHERE datname = 'roundcube';") == "1\n");
  CHECK(rc(root.path(), {"enabled"}).status == 1);

  // Set up again on the kept database: the schema is not loaded twice,
  // the same key is used.
  r = rc(root.path(), {"setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(read_text(root / "etc/roundcube/config.inc.php"), Contains(key.substr(0, 24)));
}

TEST_CASE("roundcube setup refuses a stored key Roundcube cannot use, before any change", "[roundcube][postgres]") {
  PgCluster pg;
  TempDir root;
  debian_roundcube(root.path());
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"DB_PGHOST", pg.socket_dir().string()},
                                                        {"DB_PGPORT", std::to_string(pg.port())},
                                                        {"ROUNDCUBE_DES_KEY", "short'key"}})
    REQUIRE(run_sc_rooted(root.path(), {"settings", "set", name, value}).status == 0);
  const std::string before = tree_hash(root.path());
  ScRun r = rc(root.path(), {"setup"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("ROUNDCUBE_DES_KEY is not a valid secret"));
  CHECK_THAT(r.err, !Contains("short'key"));
  CHECK(tree_hash(root.path()) == before);
  CHECK(pg.psql("SELECT count(*) FROM pg_database WHERE datname = 'roundcube';") == "0\n");
}

TEST_CASE("roundcube setup on a real host: Debian's Apache accepts the snippet and Roundcube reaches its database",
          "[roundcube][cluster][postgres]") {
  PgCluster pg;
  Cluster c({"m"});
  run_ok(c, "m", {"settings", "set", "DB_PGHOST", pg.socket_dir().string()});
  run_ok(c, "m", {"settings", "set", "DB_PGPORT", std::to_string(pg.port())});
  ScRun r = run_ok(c, "m", {"--json", "roundcube", "setup"});
  std::vector<std::string> runs = run_actions(r);
  // The real checker on the host's whole Apache configuration.
  CHECK(std::find(runs.begin(), runs.end(), "apache2ctl -t changed") != runs.end());
  CHECK(fs::is_symlink(c.path("m", "/etc/apache2/conf-enabled/sc_roundcube.conf")));
  CHECK_FALSE(fs::exists(fs::symlink_status(c.path("m", "/etc/apache2/conf-enabled/roundcube.conf"))));
  sc::ProcessResult p = c.on("m", {"apache2ctl", "-t"});
  INFO(p.out << p.err);
  CHECK(p.exit_code == 0);
  // Roundcube's own code, as www-data, with sc's config: its database
  // schema check connects with the DSN and finds the schema up to date.
  p = c.on("m", {"runuser", "-u", "www-data", "--", "env", "ROUNDCUBE_CONFIG_DIR=/etc/roundcube", "php",
                 "/usr/share/roundcube/bin/updatedb.sh", "--package=roundcube", "--dir=/usr/share/roundcube/SQL"});
  INFO(p.out << p.err);
  CHECK(p.exit_code == 0);
  CHECK(c.sc("m", {"roundcube", "ready"}).status == 0);
  r = run_ok(c, "m", {"--json", "roundcube", "setup"});
  CHECK(nlohmann::json::parse(r.out)["summary"]["changed"] == 0);
}

TEST_CASE("roundcube on a standby: the master's settings imported, its database pulled, Roundcube still logs in",
          "[roundcube][cluster][postgres]") {
  PgCluster pg_m, pg_s;
  Cluster c({"m", "s"});
  c.trust_all();
  for (const auto& [host, pg] : std::vector<std::pair<std::string, const PgCluster*>>{{"m", &pg_m}, {"s", &pg_s}}) {
    run_ok(c, host, {"settings", "set", "DB_PGHOST", pg->socket_dir().string()});
    run_ok(c, host, {"settings", "set", "DB_PGPORT", std::to_string(pg->port())});
  }
  run_ok(c, "m", {"roundcube", "setup"});
  pg_m.psql("INSERT INTO users (username, mail_host, language) VALUES ('alice', 'localhost', 'en_US');", "roundcube");

  // What the standby role does: link the master, import its roundcube
  // settings, set up, then the sync hook.
  run_ok(c, "s", {"--yes", "sshlink", "add", "m"});
  run_ok(c, "s", {"sshlink", "importsettings", "m", "roundcube"});
  CHECK(c.sc("s", {"settings", "get", "ROUNDCUBE_DES_KEY"}).out ==
        c.sc("m", {"settings", "get", "ROUNDCUBE_DES_KEY"}).out);
  run_ok(c, "s", {"roundcube", "setup"});
  CHECK(pg_s.psql("SELECT count(*) FROM users;", "roundcube") == "0\n");
  ScRun r = run_ok(c, "s", {"roundcube", "sync", "m", "standby"});
  CHECK_THAT(r.out, Contains("database roundcube copied from m"));
  CHECK(pg_s.psql("SELECT username FROM users;", "roundcube") == "alice\n");
  // The same configuration as the master's, but for its own server's port.
  std::string expected = read_text(c.path("m", "/etc/roundcube/config.inc.php"));
  const std::string port_m = "@localhost:" + std::to_string(pg_m.port()) + "/";
  REQUIRE(expected.find(port_m) != std::string::npos);
  expected.replace(expected.find(port_m), port_m.size(), "@localhost:" + std::to_string(pg_s.port()) + "/");
  CHECK(read_text(c.path("s", "/etc/roundcube/config.inc.php")) == expected);
  // The pulled role's password is the one in the standby's config.
  sc::ProcessResult p =
      c.on("s", {"runuser", "-u", "www-data", "--", "env", "ROUNDCUBE_CONFIG_DIR=/etc/roundcube", "php",
                 "/usr/share/roundcube/bin/updatedb.sh", "--package=roundcube", "--dir=/usr/share/roundcube/SQL"});
  INFO(p.out << p.err);
  CHECK(p.exit_code == 0);
  CHECK(c.sc("s", {"roundcube", "ready"}).status == 0);
  // A master's sync pulls nothing.
  CHECK(c.sc("m", {"roundcube", "sync", "s", "master"}).status == 0);
}

TEST_CASE("roundcube served by Apache: the login page under /mail, the application's files out of reach",
          "[roundcube][cluster][services][postgres]") {
  PgCluster pg;
  Cluster c({"m"});
  const std::string base = "http://" + c.address("m") + ":8080";
  // Apache on the host's own address only (the www module's job on a real
  // master: not built here).
  write_text(c.path("m", "/etc/apache2/ports.conf"), "Listen " + c.address("m") + ":8080\n");
  run_ok(c, "m", {"settings", "set", "DB_PGHOST", pg.socket_dir().string()});
  run_ok(c, "m", {"settings", "set", "DB_PGPORT", std::to_string(pg.port())});
  run_ok(c, "m", {"roundcube", "setup"});
  Daemons d(c, "m");
  d.start("apache2");
  auto get = [&](const std::string& path) {
    sc::ProcessSpec p;
    p.argv = {"curl", "--silent", "--max-time", "30", "--write-out", "\n%{http_code}", base + path};
    p.capture_out = p.capture_err = true;
    return sc::run_process(p).out;
  };
  const std::string login = get("/mail/");
  INFO(login.substr(0, 2000) << d.log());
  CHECK_THAT(login, Contains("name=\"_token\"") && Contains("name=\"_user\""));
  CHECK(login.substr(login.size() - 3) == "200");
  CHECK(get("/roundcube").substr(get("/roundcube").size() - 3) == "301");
  for (const char* hidden : {"/mail/config/config.inc.php", "/mail/SQL/postgres.initial.sql", "/mail/logs/errors.log"})
    CHECK(get(hidden).substr(get(hidden).size() - 3) == "404");
  // Roundcube keeps its sessions in the database: the page made one.
  CHECK(pg.psql("SELECT count(*) > 0 FROM session;", "roundcube") == "t\n");
}

TEST_CASE("roundcube behind the www module's Apache: the login page at 127.0.0.1:8080/mail/",
          "[roundcube][cluster][services][postgres]") {
  PgCluster pg;
  Cluster c({"m"});
  // The web root in the host's own /srv (/var/www is the machine's).
  run_ok(c, "m", {"settings", "set", "WWW_ROOT", "/srv/www/html"});
  run_ok(c, "m", {"settings", "set", "DB_PGHOST", pg.socket_dir().string()});
  run_ok(c, "m", {"settings", "set", "DB_PGPORT", std::to_string(pg.port())});
  run_ok(c, "m", {"www", "setup"});
  run_ok(c, "m", {"roundcube", "setup"});
  Daemons d(c, "m");
  d.start("apache2");
  sc::ProcessSpec p;
  p.argv = {"curl", "--silent", "--max-time", "30", "--write-out", "\n%{http_code}", "http://127.0.0.1:8080/mail/"};
  p.capture_out = p.capture_err = true;
  const std::string login = sc::run_process(p).out;
  INFO(login.substr(0, 2000) << d.log());
  CHECK_THAT(login, Contains("name=\"_token\"") && Contains("name=\"_user\""));
  CHECK(login.substr(login.size() - 3) == "200");
  // Both modules again: nothing changes.
  for (const char* module : {"www", "roundcube"}) {
    ScRun r = run_ok(c, "m", {"--json", module, "setup"});
    CHECK(nlohmann::json::parse(r.out)["summary"]["changed"] == 0);
  }
}
