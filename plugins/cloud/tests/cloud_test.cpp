// cloud up to the boundary this machine allows (no Nextcloud release can be
// downloaded here): a local archive with a release's layout whose `occ` is
// a PHP script recording its argv, stdin, user and environment; the
// SHA-256 check refusing a tampered archive before anything is unpacked;
// a real PostgreSQL server for the database cloud; upgrade and its
// roll-back. Under --root.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "pg_harness.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using json = nlohmann::json;

namespace {

const char* kFakeOcc = R"PHP(<?php
// A stand-in for Nextcloud's occ: records each call in config/occ.log.
$in = stream_get_contents(STDIN);
$user = trim(shell_exec('id -un'));
file_put_contents(__DIR__ . '/config/occ.log', json_encode(['argv' => array_slice($argv, 1), 'stdin' => $in,
    'interactive' => getenv('SHELL_INTERACTIVE'), 'user' => $user]) . "\n", FILE_APPEND);
$cmd = $argv[1] ?? '';
if ($cmd === 'maintenance:install')
    file_put_contents(__DIR__ . '/config/config.php', "<?php\n\$CONFIG = ['installed' => true];\n");
if ($cmd === 'app:install') mkdir(__DIR__ . '/apps/' . $argv[2]);
if ($cmd === 'upgrade' && file_exists(__DIR__ . '/FAIL_UPGRADE')) { fwrite(STDERR, "upgrade refused\n"); exit(1); }
)PHP";

/// A .tar.bz2 laid out as a Nextcloud server release; returns its path.
fs::path release(const fs::path& dir, const std::string& version, bool fail_upgrade = false) {
  const fs::path tree = dir / ("tree-" + version);
  write_text(tree / "nextcloud/occ", kFakeOcc);
  write_text(tree / "nextcloud/version.php", "<?php $OC_Version = '" + version + "';\n");
  write_text(tree / "nextcloud/cron.php", "<?php\n");
  write_text(tree / "nextcloud/apps/files/appinfo.xml", "files\n");
  fs::create_directories(tree / "nextcloud/config");
  if (fail_upgrade) write_text(tree / "nextcloud/FAIL_UPGRADE", "");
  const fs::path archive = dir / ("nextcloud-" + version + ".tar.bz2");
  sc::ProcessSpec p;
  p.argv = {"tar", "-cjf", archive.string(), "-C", tree.string(), "nextcloud"};
  REQUIRE(sc::run_process(p).ok());
  return archive;
}

std::string sha256(const fs::path& file) {
  sc::ProcessSpec p;
  p.argv = {"sha256sum", file.string()};
  p.capture_out = true;
  sc::ProcessResult r = sc::run_process(p);
  REQUIRE(r.ok());
  return r.out.substr(0, 64);
}

ScRun cloud(const fs::path& root, std::vector<std::string> args) {
  std::vector<std::string> all = {"--plugin-path", kPluginDir, "--root", root.string()};
  all.insert(all.end(), args.begin(), args.end());
  return run_sc(all);
}

/// What a Debian host has that setup checks for.
void debian_host(const fs::path& root) {
  // Accounts as on the machine: www-data owns files sc writes.
  for (const char* f : {"passwd", "group"}) {
    fs::create_directories(root / "etc");
    fs::copy_file(fs::path("/etc") / f, root / "etc" / f, fs::copy_options::overwrite_existing);
  }
  for (const char* m : {"pgsql", "gd", "curl", "zip", "dom", "mbstring", "intl", "bcmath", "gmp"})
    write_text(root / "etc/php/8.2/mods-available" / (std::string(m) + ".ini"), "\n");
  for (const char* c : {"usr/bin/curl", "usr/bin/bzip2", "usr/bin/unzip", "usr/sbin/cron"})
    write_text(root / c, "#!/bin/sh\n", fs::perms(0755));
  fs::create_directories(root / "etc/apache2/conf-available");
  fs::create_directories(root / "etc/apache2/conf-enabled");
  fs::create_directories(root / "var/www");
}

std::vector<json> occ_calls(const fs::path& webroot) {
  std::vector<json> calls;
  std::istringstream in(read_text(webroot / "config/occ.log"));
  for (std::string line; std::getline(in, line);) calls.push_back(json::parse(line));
  return calls;
}

}  // namespace

TEST_CASE("cloud setup installs a checked release with occ as www-data, and upgrade rolls back a failure",
          "[cloud][postgres]") {
  PgCluster pg;
  TempDir top;
  // www-data runs the fake occ inside the tree.
  fs::permissions(top.path(), fs::perms(0755));
  const fs::path root = top / "root", files = top / "files";
  fs::create_directories(root);
  fs::create_directories(files);
  debian_host(root);
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"DB_PGHOST", pg.socket_dir().string()}, {"DB_PGPORT", std::to_string(pg.port())}})
    REQUIRE(cloud(root, {"settings", "set", name, value}).status == 0);
  const fs::path good = release(files, "28.0.1");
  const std::string url = "file://" + good.string(), sum = sha256(good);

  // Not installed: the backup's hooks name nothing.
  CHECK(json::parse(cloud(root, {"--json", "cloud", "db"}).out)["result"] == json::array());
  CHECK(json::parse(cloud(root, {"--json", "cloud", "files"}).out)["result"] == json::array());

  // Without a URL and SHA-256 nothing is installed.
  std::string before = tree_hash(root);
  ScRun r = cloud(root, {"cloud", "setup"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("CLOUD_URL and CLOUD_SHA256 must name the Nextcloud release"));
  CHECK(tree_hash(root) == before);
  // Hostile values are refused before any change.
  for (const auto& hostile : hostile_strings()) {
    r = cloud(root, {"--set", "CLOUD_URL=" + url, "--set", "CLOUD_SHA256=" + hostile, "cloud", "setup"});
    CHECK(r.status != 0);
    r = cloud(root, {"cloud", "upgrade", hostile, sum});
    CHECK(r.status == 2);
    r = cloud(root, {"cloud", "upgrade", url, hostile});
    CHECK(r.status == 2);
  }
  r = cloud(root, {"--set", "CLOUD_URL=" + url, "--set", "CLOUD_SHA256=" + sum, "--set", "CLOUD_WEBROOT=/var/www/x y",
                   "cloud", "setup"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("CLOUD_WEBROOT"));
  CHECK(tree_hash(root) == before);

  // A tampered archive: refused, deleted, nothing unpacked.
  const fs::path tampered = files / "tampered.tar.bz2";
  fs::copy_file(good, tampered);
  {
    std::ofstream out(tampered, std::ios::app);
    out << "x";
  }
  r = cloud(root, {"--set", "CLOUD_URL=file://" + tampered.string(), "--set", "CLOUD_SHA256=" + sum, "cloud", "setup"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("has the SHA-256 " + sha256(tampered)) && Contains("nothing was unpacked"));
  CHECK_FALSE(fs::exists(root / "var/www/nextcloud"));
  CHECK_FALSE(fs::exists(root / "var/www/nextcloud.sc-new"));
  CHECK_FALSE(fs::exists(root / "var/lib/sc/cloud/download.tar"));
  CHECK(pg.psql("SELECT count(*) FROM pg_database WHERE datname = 'cloud';") == "0\n");

  // The real one, planned first: a dry run changes nothing (it cannot
  // check what it did not download, and says so).
  REQUIRE(cloud(root, {"settings", "set", "CLOUD_URL", url}).status == 0);
  REQUIRE(cloud(root, {"settings", "set", "CLOUD_SHA256", sum}).status == 0);
  before = tree_hash(root);
  r = cloud(root, {"--dry-run", "cloud", "setup"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("would be downloaded, its SHA-256 checked and unpacked"));
  CHECK(tree_hash(root) == before);
  r = cloud(root, {"cloud", "setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  const fs::path web = root / "var/www/nextcloud";
  CHECK(read_text(web / "version.php") == "<?php $OC_Version = '28.0.1';\n");
  CHECK(pg.psql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'cloud';") == "cloud\n");
  const std::string db_pw = cloud(root, {"settings", "get", "CLOUD_DB_PASSWORD"}).out.substr(0, 32);
  std::string admin_pw = cloud(root, {"settings", "get", "CLOUD_ADMIN_PASSWORD"}).out;
  admin_pw.pop_back();
  CHECK_THAT(r.out + r.err, !Contains(db_pw) && !Contains(admin_pw));

  // occ as www-data, the exact argv, the passwords on stdin only.
  auto calls = occ_calls(web);
  REQUIRE(calls.size() == 3);
  CHECK(calls[0]["argv"] == json::array({"maintenance:install", "--database=pgsql", "--database-name=cloud",
                                         "--database-host=localhost:" + std::to_string(pg.port()),
                                         "--database-user=cloud", "--admin-user=admin", "--data-dir=/srv/cloud"}));
  CHECK(calls[0]["stdin"] == db_pw + "\n" + admin_pw + "\n");
  CHECK(calls[0]["interactive"] == "1");
  CHECK(calls[1]["argv"] == json::array({"app:install", "user_external"}));
  CHECK(calls[2]["argv"] == json::array({"background:cron"}));
  for (const auto& c : calls) CHECK(c["user"] == "www-data");

  // sc's fragment, the data directory, the snippet, the cron task.
  CHECK_THAT(read_text(web / "config/sc.config.php"),
             Contains("'datadirectory' => '/srv/cloud'") && Contains("'\\\\OCA\\\\UserExternal\\\\IMAP'"));
  struct stat st {};
  REQUIRE(::stat((root / "srv/cloud").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0750);
  CHECK_THAT(read_text(root / "etc/apache2/conf-available/sc_cloud.conf"),
             Contains("Alias /cloud /var/www/nextcloud/"));
  CHECK(fs::is_symlink(root / "etc/apache2/conf-enabled/sc_cloud.conf"));
  CHECK(fs::exists(root / "etc/cron.d/sc_cloud_fast"));
  CHECK(cloud(root, {"cloud", "ready"}).status == 0);
  CHECK(cloud(root, {"cloud", "enabled"}).status == 0);
  CHECK(json::parse(cloud(root, {"--json", "cloud", "files"}).out)["result"] ==
        json::array({"/var/www/nextcloud/config/config.php", "/srv/cloud"}));

  // A second setup changes nothing and runs no occ.
  r = cloud(root, {"--json", "cloud", "setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(json::parse(r.out)["summary"]["changed"] == 0);
  CHECK(occ_calls(web).size() == 3);

  // cron: cron.php as www-data.
  r = cloud(root, {"--json", "cloud", "cron", "fast"});
  CHECK(r.status == 0);
  bool ran_cron = false;
  for (const auto& a : run_actions(r)) ran_cron = ran_cron || a.find("runuser -u www-data -- php -f") == 0;
  CHECK(ran_cron);

  // An upgrade whose occ upgrade fails: the previous release is back.
  const fs::path bad = release(files, "29.0.0-bad", true);
  r = cloud(root, {"cloud", "upgrade", "file://" + bad.string(), sha256(bad)});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("upgrade refused") && Contains("the previous release is back"));
  CHECK(read_text(web / "version.php") == "<?php $OC_Version = '28.0.1';\n");
  CHECK(cloud(root, {"settings", "get", "CLOUD_SHA256"}).out == sum + "\n");

  // A good upgrade: config and apps carried over, occ upgrade between
  // maintenance on and off, the old release removed.
  const fs::path next = release(files, "29.0.1");
  r = cloud(root, {"cloud", "upgrade", "file://" + next.string(), sha256(next)});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(read_text(web / "version.php") == "<?php $OC_Version = '29.0.1';\n");
  CHECK(fs::exists(web / "config/sc.config.php"));
  CHECK(fs::is_directory(web / "apps/user_external"));
  CHECK_FALSE(fs::exists(root / "var/www/nextcloud.sc-old"));
  CHECK(cloud(root, {"settings", "get", "CLOUD_SHA256"}).out == sha256(next) + "\n");
  // The new tree's log: occ upgrade, then maintenance off (maintenance
  // was turned on in the old tree, now removed).
  calls = occ_calls(web);
  REQUIRE(calls.size() == 2);
  CHECK(calls[0]["argv"] == json::array({"upgrade"}));
  CHECK(calls[1]["argv"] == json::array({"maintenance:mode", "--off"}));

  // cleanup: the snippet and the cron task go; code, data and database stay.
  r = cloud(root, {"cloud", "cleanup"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK_FALSE(fs::exists(root / "etc/apache2/conf-available/sc_cloud.conf"));
  CHECK_FALSE(fs::exists(root / "etc/cron.d/sc_cloud_fast"));
  CHECK(fs::exists(web / "occ"));
  CHECK(fs::is_directory(root / "srv/cloud"));
  CHECK(pg.psql("SELECT count(*) FROM pg_database WHERE datname = 'cloud';") == "1\n");
  CHECK(cloud(root, {"cloud", "ready"}).status == 1);
}
