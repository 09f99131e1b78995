// The master's services end to end, on real hosts of the test cluster with
// the real daemons (started by the test: no systemd there), as a user of the
// cluster meets them: `sc master setup` on m with the default services
// (ssl from a private ACME CA, pebble; nginx; Apache with PHP; Postfix,
// Dovecot and SpamAssassin; Roundcube on PostgreSQL), then mail sent over
// SMTP reaches a cluster user's Maildir, is read over IMAPS with the user's
// password under the certificate pebble issued, a GTUBE mail is filed as
// spam, and the user logs in to Roundcube over HTTPS through nginx and sees
// the message. The second test replicates the services to a standby and
// reads the mail there over IMAP after the standby's promotion, the master
// gone.
#include <signal.h>

#include <catch2/catch.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "cluster.hpp"
#include "cluster_checks.hpp"
#include "pebble_harness.hpp"
#include "pg_harness.hpp"
#include "service_daemons.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

namespace {

const std::string kDomain = "example.test";
const std::string kPassword = "Mail pass 'x' $(id)";
const std::string kGtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

/// What the end-to-end tests need of the machine; "" when all is there.
std::string missing_tools() {
  for (const char* p :
       {"/usr/bin/pebble", "/usr/bin/pebble-challtestsrv", "/usr/bin/lego", "/usr/sbin/nginx", "/usr/sbin/apache2ctl",
        "/usr/sbin/postfix", "/usr/sbin/dovecot", "/usr/sbin/spamd", "/usr/share/roundcube", "/usr/lib/postgresql"})
    if (!fs::exists(p)) return p;
  return "";
}

/// A host set up as the master's services need it: its FQDN, the private
/// PostgreSQL server, pebble as its ACME CA (lego's own http-01 server on
/// the host's address for the first certificate).
void prepare(const Cluster& c, const std::string& host, const std::string& fqdn, const PgCluster& pg,
             const Pebble& ca) {
  run_ok(c, host, {"--yes", "--set", "FQDN=" + fqdn, "hostconf", "setup"});
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"DB_PGHOST", pg.socket_dir().string()},
                                                        {"DB_PGPORT", std::to_string(pg.port())},
                                                        {"SSL_ACME_DIRECTORY", ca.directory_url()},
                                                        {"SSL_ACME_CA_CERTIFICATES", ca.listener_ca().string()},
                                                        {"SSL_ACME_EMAIL", "admin@" + kDomain},
                                                        {"SSL_ACME_LISTEN", c.address(host) + ":80"}})
    run_ok(c, host, {"settings", "set", name, value});
}

/// The daemons of the master's services, started in `host`.
void start_services(Daemons& d) {
  for (const char* name : {"spamd", "dovecot", "postfix", "apache2", "nginx"}) d.start(name);
}

}  // namespace

TEST_CASE("master services: mail, IMAP, spam filing and webmail over HTTPS with an ACME certificate",
          "[master][cluster][services]") {
  if (std::string missing = missing_tools(); !missing.empty()) {
    WARN("skipped: " << missing << " is missing (.ci/install-deps installs it)");
    return;
  }
  PgCluster pg;
  Cluster c({"m"});
  const std::string fqdn = "m." + kDomain, address = c.address("m");
  Pebble ca;
  ca.resolve(fqdn, address);
  prepare(c, "m", fqdn, pg, ca);
  run_ok(c, "m", {"user", "add", "alice", "--password-stdin"}, &kPassword);

  // The master role with its default services, as an administrator runs it.
  ScRun r = run_ok(c, "m", {"--yes", "--set", "MASTER_MODE=master", "master", "setup"});
  for (const char* step : {"sc ssl setup", "sc nginx setup", "sc www setup", "sc mail setup", "sc roundcube setup"})
    CHECK_THAT(r.out, Contains(step));
  CHECK_THAT(r.err, Contains("skipped: MASTER_SERVICES does not name cloud"));
  Daemons daemons(c, "m");
  start_services(daemons);
  r = c.sc("m", {"master", "ready"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);

  // Mail to a cluster user, over SMTP on the master's address: in the
  // user's Maildir, then read over IMAPS with the user's password, the
  // server's certificate verified against pebble's root under the FQDN.
  const fs::path maildir = c.path("m", "/var/mail/alice/Maildir");
  sc::ProcessResult p =
      mail_client(c, "m", {"send", address, "25", "bob@elsewhere.test", "alice@" + fqdn, "Hello Alice", "first mail"});
  INFO(p.err);
  REQUIRE(p.exit_code == 0);
  REQUIRE(mail_delivered(maildir, 1));
  p = mail_client(c, "m", {"imap", address, "993", fqdn, ca.issuing_root().string(), "alice", kPassword, "INBOX"});
  INFO(p.err << daemons.log());
  REQUIRE(p.exit_code == 0);
  CHECK(p.out == "Hello Alice\n");
  // A wrong password is refused.
  p = mail_client(c, "m", {"imap", address, "993", fqdn, ca.issuing_root().string(), "alice", "wrong", "INBOX"});
  CHECK(p.exit_code == 1);

  // GTUBE, SpamAssassin's test pattern: filed in the spam folder, not the inbox.
  p = mail_client(c, "m", {"send", address, "25", "spammer@elsewhere.test", "alice@" + fqdn, "Cheap", kGtube});
  REQUIRE(p.exit_code == 0);
  CHECK(mail_delivered(maildir / ".Junk", 1));
  CHECK(maildir_messages(maildir) == 1);
  p = mail_client(c, "m", {"imap", address, "993", fqdn, ca.issuing_root().string(), "alice", kPassword, "Junk"});
  INFO(p.err);
  CHECK(p.out == "Cheap\n");

  // Roundcube over HTTPS through nginx: the login page, a login as alice,
  // her inbox listing the message.
  p = mail_client(c, "m", {"webmail", address, fqdn, ca.issuing_root().string(), "alice", kPassword});
  INFO(p.err << daemons.log());
  REQUIRE(p.exit_code == 0);
  CHECK_THAT(p.out, Contains("Hello Alice"));
  p = mail_client(c, "m", {"webmail", address, fqdn, ca.issuing_root().string(), "alice", "wrong"});
  CHECK(p.exit_code == 1);
  CHECK_THAT(p.err, Contains("the login did not succeed"));

  // A second setup changes nothing and the services keep running.
  r = run_ok(c, "m", {"--json", "--yes", "master", "setup"});
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  INFO(r.out);
  CHECK(doc["summary"]["changed"] == 0);
}

TEST_CASE("master services: a standby replicates them and serves the mail after its promotion",
          "[master][cluster][services]") {
  if (std::string missing = missing_tools(); !missing.empty()) {
    WARN("skipped: " << missing << " is missing (.ci/install-deps installs it)");
    return;
  }
  PgCluster pg_m, pg_s;
  Cluster c({"m", "s"});
  c.trust_all();
  const std::string fqdn = "m." + kDomain;
  Pebble ca;
  ca.resolve(fqdn, c.address("m"));
  prepare(c, "m", fqdn, pg_m, ca);
  run_ok(c, "m", {"user", "add", "alice", "--password-stdin"}, &kPassword);
  run_ok(c, "m", {"--yes", "--set", "MASTER_MODE=master", "master", "setup"});

  auto on_m = std::make_unique<Daemons>(c, "m");
  start_services(*on_m);
  sc::ProcessResult p =
      mail_client(c, "m", {"send", c.address("m"), "25", "bob@elsewhere.test", "alice@" + fqdn, "Kept", "replicated"});
  REQUIRE(p.exit_code == 0);
  REQUIRE(mail_delivered(c.path("m", "/var/mail/alice/Maildir"), 1));
  // m's daemons stop before s is set up: the hosts of the test cluster share
  // the machine's /run and /var/spool, where s would find m's pid files and
  // take m's daemons for its own (a real standby has its own; its services
  // are set up, not started, until its promotion).
  on_m.reset();

  // s: a standby of m, its own PostgreSQL; the services come with the role
  // (MASTER_SERVICES imported from m), the certificate is m's.
  run_ok(c, "s", {"--yes", "--set", "FQDN=s." + kDomain, "hostconf", "setup"});
  run_ok(c, "s", {"settings", "set", "DB_PGHOST", pg_s.socket_dir().string()});
  run_ok(c, "s", {"settings", "set", "DB_PGPORT", std::to_string(pg_s.port())});
  ScRun r = run_ok(c, "s", {"--yes", "--set", "MASTER_MODE=standby", "--set", "MASTER_HOST=m", "master", "setup"});
  CHECK_THAT(r.out, Contains("sc ssl sync m standby") && Contains("sc mail setup"));
  CHECK(read_text(c.path("s", "/etc/ssl/sc/fullchain.pem")) == read_text(c.path("m", "/etc/ssl/sc/fullchain.pem")));
  // The pull replicated the maildir and Roundcube's database.
  CHECK(maildir_messages(c.path("s", "/var/mail/alice/Maildir")) == 1);
  CHECK(pg_s.psql("SELECT count(*) FROM pg_database WHERE datname = 'roundcube'") == "1\n");

  // m is gone, its sshd too. s takes over.
  for (int pid : c.processes("m")) kill(pid, SIGSTOP);
  r = run_ok(c, "s", {"--yes", "master", "promote"});
  Daemons on_s(c, "s");
  on_s.start("dovecot");
  // The clients still use the master's name: the certificate is m's.
  p = mail_client(c, "s",
                  {"imap", c.address("s"), "993", fqdn, ca.issuing_root().string(), "alice", kPassword, "INBOX"});
  INFO(p.err << on_s.log());
  REQUIRE(p.exit_code == 0);
  CHECK(p.out == "Kept\n");
  for (int pid : c.processes("m")) kill(pid, SIGCONT);
}
