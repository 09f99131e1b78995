// The ssl module's commands through the built sc: the real ACME flow
// against a private pebble CA (issue, a second setup that changes nothing,
// renew --force, a renewal that fails while the CA is down and keeps the
// pair byte for byte), --dry-run, the snakeoil mode, hostile domains, and
// a standby copying its master's pair on the test cluster. The ACME tests
// run under --root (lego's state and the pair inside the root; lego's
// http-01 server on a free loopback port): no lock needed.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cluster.hpp"
#include "engine/process.hpp"
#include "pebble_harness.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

namespace {

const std::string kName = "m.example.test";

/// A root where `ssl setup` finds what it needs installed (lego, cron,
/// make-ssl-cert as files; lego itself is the machine's).
void prepare_root(const TempDir& root) {
  write_text(root / "etc/machine-id", "0123456789abcdef0123456789abcdef\n");
  for (const char* tool : {"usr/sbin/cron", "usr/bin/lego", "usr/sbin/make-ssl-cert"})
    write_text(root / tool, "#!/bin/sh\n", fs::perms(0755));
  fs::create_directories(root / "etc/cron.d");
}

void set(const TempDir& root, const std::string& name, const std::string& value) {
  ScRun r = run_sc_rooted(root.path(), {"settings", "set", name, value});
  INFO(r.err);
  REQUIRE(r.status == 0);
}

void use_ca(const TempDir& root, const Pebble& ca, int http_port) {
  set(root, "SSL_ACME_DIRECTORY", ca.directory_url());
  set(root, "SSL_ACME_CA_CERTIFICATES", ca.listener_ca().string());
  set(root, "SSL_ACME_EMAIL", "admin@example.test");
  set(root, "SSL_ACME_DOMAINS", kName);
  set(root, "SSL_ACME_LISTEN", "127.0.0.1:" + std::to_string(http_port));
}

/// `openssl verify` of the installed chain against pebble's issuing root.
bool verifies(const fs::path& chain, const Pebble& ca) {
  sc::ProcessSpec s;
  s.argv = {"openssl", "verify", "-CAfile", ca.issuing_root().string(), "-untrusted", chain.string(), chain.string()};
  s.capture_out = s.capture_err = true;
  return sc::run_process(s).ok();
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

int changed_count(const ScRun& r) {
  return nlohmann::json::parse(r.out)["summary"]["changed"].get<int>();
}

}  // namespace

TEST_CASE("ssl: issue from pebble, a second setup changes nothing, renew --force, a failed renewal keeps the pair",
          "[ssl][pebble]") {
  const int http_port = free_loopback_port();
  Pebble ca({.http_port = http_port, .tls_port = 443, .default_ipv4 = "127.0.0.1"});
  ca.resolve(kName, "127.0.0.1");
  TempDir root;
  prepare_root(root);
  use_ca(root, ca, http_port);
  const fs::path cert = root / "etc/ssl/sc/fullchain.pem", key = root / "etc/ssl/sc/privkey.pem";

  auto t = std::chrono::steady_clock::now();
  ScRun r = run_sc_rooted(root.path(), {"ssl", "setup"});
  const double issue_s = seconds_since(t);
  INFO(r.out << r.err << ca.log());
  REQUIRE(r.status == 0);
  REQUIRE(fs::exists(cert));
  CHECK(verifies(cert, ca));
  CHECK(mode_of(key) == "0600 0:0");
  CHECK(mode_of(cert) == "0644 0:0");
  CHECK(fs::exists(root / "etc/cron.d/sc_ssl_daily"));
  CHECK(mode_of(root / "var/lib/sc/ssl/lego").substr(0, 4) == "0700");
  r = run_sc_rooted(root.path(), {"ssl", "ready"});
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("certificate for " + kName + " valid until"));

  // A second setup: the certificate is valid for long, nothing changes.
  r = run_sc_rooted(root.path(), {"--json", "ssl", "setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(changed_count(r) == 0);

  // renew without --force, and the daily cron hook: not due.
  const std::string cert1 = read_text(cert), key1 = read_text(key);
  r = run_sc_rooted(root.path(), {"ssl", "renew"});
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("not renewed"));
  r = run_sc_rooted(root.path(), {"ssl", "cron", "daily"});
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("not renewed"));
  CHECK_THAT(read_text(root / "etc/cron.d/sc_ssl_daily"), Contains("ssl cron daily"));
  CHECK(read_text(cert) == cert1);

  // --dry-run of a forced renewal changes nothing and says what it would do.
  std::string before = tree_hash(root.path());
  r = run_sc_rooted(root.path(), {"--dry-run", "ssl", "renew", "--force"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("would ask " + ca.directory_url()));
  CHECK(tree_hash(root.path()) == before);

  // renew --force: a new certificate and key, checked, in place.
  t = std::chrono::steady_clock::now();
  r = run_sc_rooted(root.path(), {"ssl", "renew", "--force"});
  const double renew_s = seconds_since(t);
  INFO(r.out << r.err << ca.log());
  REQUIRE(r.status == 0);
  const std::string cert2 = read_text(cert), key2 = read_text(key);
  CHECK(cert2 != cert1);
  CHECK(key2 != key1);
  CHECK(verifies(cert, ca));
  CHECK(mode_of(key) == "0600 0:0");
  std::printf("ssl timing against pebble: issue (sc ssl setup) %.2f s, renew --force %.2f s\n", issue_s, renew_s);

  // The CA is down: the renewal fails, the pair stays byte for byte.
  ca.stop_ca();
  r = run_sc_rooted(root.path(), {"ssl", "renew", "--force"});
  INFO(r.out << r.err);
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("are kept unchanged"));
  CHECK(read_text(cert) == cert2);
  CHECK(read_text(key) == key2);
  CHECK(mode_of(key) == "0600 0:0");
  CHECK(run_sc_rooted(root.path(), {"ssl", "ready"}).status == 0);
}

TEST_CASE("ssl: --dry-run of a first setup changes nothing", "[ssl]") {
  TempDir root;
  prepare_root(root);
  set(root, "SSL_ACME_DOMAINS", kName);
  set(root, "SSL_ACME_DIRECTORY", "https://127.0.0.1:9/dir");
  const std::string before = tree_hash(root.path());
  ScRun r = run_sc_rooted(root.path(), {"--dry-run", "ssl", "setup"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("would ask https://127.0.0.1:9/dir for a certificate for " + kName));
  CHECK(tree_hash(root.path()) == before);
  // ready fails with a reason when there is no pair.
  r = run_sc_rooted(root.path(), {"ssl", "ready"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("no certificate at /etc/ssl/sc/fullchain.pem"));
  CHECK(run_sc_rooted(root.path(), {"ssl", "enabled"}).status == 1);
}

TEST_CASE("ssl: snakeoil mode copies the host's pair, key 0600, and a second setup changes nothing", "[ssl]") {
  TempDir root;
  prepare_root(root);
  // Before any setup there is nothing for a backup to keep (the backup
  // asks every installed module, and a path that does not exist fails it).
  CHECK(run_sc_rooted(root.path(), {"ssl", "files"}).out.empty());
  make_self_signed(root / "etc/ssl/certs/ssl-cert-snakeoil.pem", root / "etc/ssl/private/ssl-cert-snakeoil.key",
                   {"snake.example.test"});
  set(root, "SSL_MODE", "snakeoil");
  ScRun r = run_sc_rooted(root.path(), {"ssl", "setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(read_text(root / "etc/ssl/sc/fullchain.pem") == read_text(root / "etc/ssl/certs/ssl-cert-snakeoil.pem"));
  CHECK(read_text(root / "etc/ssl/sc/privkey.pem") == read_text(root / "etc/ssl/private/ssl-cert-snakeoil.key"));
  CHECK(mode_of(root / "etc/ssl/sc/privkey.pem") == "0600 0:0");
  CHECK_FALSE(fs::exists(root / "etc/cron.d/sc_ssl_daily"));
  CHECK(run_sc_rooted(root.path(), {"ssl", "ready"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"ssl", "enabled"}).status == 0);
  r = run_sc_rooted(root.path(), {"--json", "ssl", "setup"});
  REQUIRE(r.status == 0);
  CHECK(changed_count(r) == 0);
  // renew has nothing to do outside acme.
  r = run_sc_rooted(root.path(), {"ssl", "renew"});
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("nothing to renew"));
  // files lists the pair; export prints it.
  r = run_sc_rooted(root.path(), {"ssl", "files"});
  CHECK(r.out == "/etc/ssl/sc/fullchain.pem\n/etc/ssl/sc/privkey.pem\n");
  r = run_sc_rooted(root.path(), {"ssl", "export"});
  CHECK(r.out == read_text(root / "etc/ssl/sc/fullchain.pem") + read_text(root / "etc/ssl/sc/privkey.pem"));
}

TEST_CASE("ssl: a backup's pair is restored with the key 0600", "[ssl]") {
  TempDir root;
  prepare_root(root);
  make_self_signed(root / "backup/fs/etc/ssl/sc/fullchain.pem", root / "backup/fs/etc/ssl/sc/privkey.pem",
                   {"r.example.test"});
  write_text(root / "backup/fs/var/lib/sc/ssl/lego/accounts/acct.key", "ACCOUNT\n", fs::perms(0600));
  set(root, "SSL_MODE", "files");
  ScRun r = run_sc_rooted(root.path(), {"ssl", "restore", "/backup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(read_text(root / "etc/ssl/sc/privkey.pem") == read_text(root / "backup/fs/etc/ssl/sc/privkey.pem"));
  CHECK(mode_of(root / "etc/ssl/sc/privkey.pem") == "0600 0:0");
  CHECK(read_text(root / "var/lib/sc/ssl/lego/accounts/acct.key") == "ACCOUNT\n");
  CHECK(mode_of(root / "var/lib/sc/ssl/lego/accounts/acct.key") == "0600 0:0");
  CHECK(run_sc_rooted(root.path(), {"ssl", "setup"}).status == 0);
  check_refused(root.path(), "ssl", {"restore", "relative/dir"}, "SOURCE");

  // A backup whose key is not its certificate's: refused, the pair in
  // place kept byte for byte.
  make_self_signed(root / "bad/fs/etc/ssl/sc/fullchain.pem", root / "bad/fs/etc/ssl/sc/privkey.pem",
                   {"x.example.test"});
  make_self_signed(root / "other/cert.pem", root / "bad/fs/etc/ssl/sc/privkey.pem", {"y.example.test"});
  const std::string before = tree_hash(root / "etc");
  r = run_sc_rooted(root.path(), {"ssl", "restore", "/bad"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("the key is not the certificate's key; the pair in place is kept"));
  CHECK(tree_hash(root / "etc") == before);

  // cleanup: the renewal gone, the settings forgotten, the pair kept.
  r = run_sc_rooted(root.path(), {"ssl", "cleanup"});
  CHECK(r.status == 0);
  CHECK(run_sc_rooted(root.path(), {"settings", "get", "SSL_MODE"}).out == "acme\n");  // the default again
  CHECK(fs::exists(root / "etc/ssl/sc/privkey.pem"));
}

TEST_CASE("ssl: a standby promoted to master renews the certificate it took, for the names it holds", "[ssl]") {
  TempDir root;
  prepare_root(root);
  make_self_signed(root / "etc/ssl/sc/fullchain.pem", root / "etc/ssl/sc/privkey.pem", {kName}, 90);
  set(root, "SSL_MODE", "peer");
  // Still a standby: the pair is only checked.
  ScRun r = run_sc_rooted(root.path(), {"ssl", "setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(run_sc_rooted(root.path(), {"settings", "get", "SSL_MODE"}).out == "peer\n");
  CHECK_FALSE(fs::exists(root / "etc/cron.d/sc_ssl_daily"));
  // Promoted: acme for the certificate's names, the daily renewal added,
  // nothing issued (90 days left).
  set(root, "MASTER_MODE", "master");
  const std::string cert = read_text(root / "etc/ssl/sc/fullchain.pem");
  r = run_sc_rooted(root.path(), {"ssl", "setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.err, Contains("this host is the master now"));
  CHECK(run_sc_rooted(root.path(), {"settings", "get", "SSL_MODE"}).out == "acme\n");
  CHECK(run_sc_rooted(root.path(), {"settings", "get", "SSL_ACME_DOMAINS"}).out == kName + "\n");
  CHECK(fs::exists(root / "etc/cron.d/sc_ssl_daily"));
  CHECK(read_text(root / "etc/ssl/sc/fullchain.pem") == cert);
  r = run_sc_rooted(root.path(), {"--json", "ssl", "setup"});
  REQUIRE(r.status == 0);
  CHECK(changed_count(r) == 0);
}

TEST_CASE("ssl: hostile domains and settings are refused with nothing changed", "[ssl]") {
  TempDir root;
  prepare_root(root);
  set(root, "SSL_ACME_DIRECTORY", "https://127.0.0.1:9/dir");
  for (const std::string bad : {"it's.example.org", "a\"b.example.org", "x;rm.example.org", "$(id).example.org",
                                "new\nline.example.org", "with space", "ünïcødé.example.org", "tab\tx.example.org"}) {
    check_refused(root.path(), "ssl", {"--set", "SSL_ACME_DOMAINS=" + bad, "setup"}, "SSL_ACME_DOMAINS");
    check_refused(root.path(), "ssl", {"--set", "SSL_ACME_DOMAINS=" + bad, "renew"}, "SSL_ACME_DOMAINS");
  }
  for (const auto& bad : hostile_strings()) {
    check_refused(root.path(), "ssl", {"setfqdn", bad}, "FQDN");
    check_refused(root.path(), "ssl", {"sync", bad, "standby"}, "HOST");
    if (!bad.empty())  // an empty e-mail is allowed: no contact
      check_refused(root.path(), "ssl", {"--set", "SSL_ACME_EMAIL=" + bad, "setup"}, "SSL_ACME_EMAIL");
  }
  check_refused(root.path(), "ssl", {"--set", "SSL_ACME_LISTEN=:80; id", "setup"}, "SSL_ACME_LISTEN");
  check_refused(root.path(), "ssl", {"--set", "SSL_RELOAD=nginx sshd", "renew"}, "SSL_RELOAD");
  check_refused(root.path(), "ssl", {"renew", "--now"}, "unknown argument");
}

TEST_CASE("ssl: a standby takes its master's pair over the SSH session, key 0600", "[ssl][cluster]") {
  Cluster c({"m", "s"});
  c.trust("s", "m");
  // The hosts share the machine's /run and /var/spool, where a daemon's
  // pid file tells sc that it runs: another test's postfix or nginx would
  // be taken for s's own. No reloads here (the services test has them).
  REQUIRE(c.sc("s", {"settings", "set", "SSL_RELOAD", ""}).status == 0);
  make_self_signed(c.path("m", "/etc/ssl/sc/fullchain.pem"), c.path("m", "/etc/ssl/sc/privkey.pem"), {kName});
  ScRun r = c.sc("m", {"settings", "set", "SSL_MODE", "files"});
  REQUIRE(r.status == 0);
  r = c.sc("m", {"ssl", "setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);

  // --dry-run changes nothing on s.
  const std::string before = tree_hash(c.path("s", "/etc"));
  r = c.sc("s", {"--dry-run", "ssl", "sync", "m", "standby"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(tree_hash(c.path("s", "/etc")) == before);

  r = c.sc("s", {"ssl", "sync", "m", "standby"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(read_text(c.path("s", "/etc/ssl/sc/fullchain.pem")) == read_text(c.path("m", "/etc/ssl/sc/fullchain.pem")));
  CHECK(read_text(c.path("s", "/etc/ssl/sc/privkey.pem")) == read_text(c.path("m", "/etc/ssl/sc/privkey.pem")));
  CHECK(mode_of(c.path("s", "/etc/ssl/sc/privkey.pem")) == "0600 0:0");
  r = c.sc("s", {"settings", "get", "SSL_MODE"});
  CHECK(r.out == "peer\n");
  CHECK(c.sc("s", {"ssl", "ready"}).status == 0);
  // Again: nothing changes.
  r = c.sc("s", {"--json", "ssl", "sync", "m", "standby"});
  REQUIRE(r.status == 0);
  CHECK(changed_count(r) == 0);
  // On the master the hook does nothing.
  CHECK(c.sc("m", {"ssl", "sync", "s", "master"}).status == 0);
}
