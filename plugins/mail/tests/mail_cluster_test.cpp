// The mail module with the real daemons, in one host of the test cluster
// (no systemd there: the test starts spamd, Dovecot and Postfix itself):
// `sc mail setup`, then a mail sent over SMTP lands in a cluster user's
// Maildir and is read over IMAPS with the user's password, GTUBE lands in
// .Junk, the daily cron hook's sa-learn learns it, a configuration that
// Dovecot's checker refuses is not installed, and a second setup changes
// nothing.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cluster.hpp"
#include "cluster_checks.hpp"
#include "mail_test_support.hpp"
#include "service_daemons.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

namespace {

const std::string kFqdn = "m.example.test";
const std::string kPassword = "Mail pass 'x' $(id)";
const std::string kGtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

std::string missing_tools() {
  for (const char* p : {"/usr/sbin/postfix", "/usr/sbin/dovecot", "/usr/sbin/spamd", "/usr/bin/spamc",
                        "/usr/bin/sievec", "/usr/bin/openssl"})
    if (!fs::exists(p)) return p;
  return "";
}

/// The spam count of `sa-learn --dump magic` ("0.000 0 N 0 non-token data: nspam").
int nspam(const std::string& dump) {
  const size_t at = dump.find("non-token data: nspam");
  if (at == std::string::npos) return -1;
  const size_t line = dump.rfind('\n', at) + 1;
  std::istringstream words(dump.substr(line, at - line));
  std::string version, zero;
  int n = -1;
  words >> version >> zero >> n;
  return n;
}

}  // namespace

TEST_CASE("mail: SMTP to a user's Maildir, IMAPS with the password, GTUBE to Junk, sa-learn from cron",
          "[mail][cluster][services]") {
  if (std::string missing = missing_tools(); !missing.empty()) {
    WARN("skipped: " << missing << " is missing (.ci/install-deps installs it)");
    return;
  }
  const std::string ssl = mail_test::ssl_standin_dir();
  Cluster c({"m"});
  const std::string address = c.address("m");
  // sc with the ssl stand-in first (see mail_test_support.hpp).
  auto sc_m = [&](std::vector<std::string> args, const std::string* input = nullptr) {
    args.insert(args.begin(), {"--plugin-path", ssl, "--plugin-path", "/usr/local/lib/sc"});
    ScRun r = c.sc("m", args, input);
    return r;
  };
  ScRun r = sc_m({"--yes", "--set", "FQDN=" + kFqdn, "hostconf", "setup"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  r = sc_m({"user", "add", "alice", "--password-stdin"}, &kPassword);
  INFO(r.err);
  REQUIRE(r.status == 0);
  // The certificate the ssl module would leave, made here.
  sc::ProcessResult made =
      c.on("m", {"sh", "-c",
                 "mkdir -p /etc/ssl/sc && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=" + kFqdn +
                     " -addext subjectAltName=DNS:" + kFqdn +
                     " -keyout /etc/ssl/sc/privkey.pem -out /etc/ssl/sc/fullchain.pem 2>&1 && chmod 600 "
                     "/etc/ssl/sc/privkey.pem"});
  INFO(made.out);
  REQUIRE(made.exit_code == 0);
  const fs::path cafile = c.path("m", "/etc/ssl/sc/fullchain.pem");

  r = sc_m({"--yes", "mail", "setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(mode_of(c.path("m", "/var/mail")) == "2775 0:8");
  Daemons daemons(c, "m");
  for (const char* name : {"spamd", "dovecot", "postfix"}) daemons.start(name);
  r = sc_m({"mail", "ready"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);

  // Mail over SMTP: in alice's Maildir, read over IMAPS with her password.
  const fs::path maildir = c.path("m", "/var/mail/alice/Maildir");
  sc::ProcessResult p =
      mail_client(c, "m", {"send", address, "25", "bob@elsewhere.test", "alice@" + kFqdn, "Hello Alice", "first mail"});
  INFO(p.err);
  REQUIRE(p.exit_code == 0);
  INFO(daemons.log());
  REQUIRE(mail_delivered(maildir, 1));
  p = mail_client(c, "m", {"imap", address, "993", kFqdn, cafile.string(), "alice", kPassword, "INBOX"});
  INFO(p.err << daemons.log());
  REQUIRE(p.exit_code == 0);
  CHECK(p.out == "Hello Alice\n");
  p = mail_client(c, "m", {"imap", address, "993", kFqdn, cafile.string(), "alice", "wrong", "INBOX"});
  CHECK(p.exit_code == 1);
  // IMAP on 143 from this host (Roundcube's localhost:143): a password in
  // clear is taken from localhost, as Dovecot's default allows; STARTTLS is offered.
  p = c.on("m", {"python3", "-c",
                 "import imaplib, sys\n"
                 "box = imaplib.IMAP4('localhost', 143, timeout=30)\n"
                 "print('STARTTLS' in box.capabilities)\n"
                 "box.login(sys.argv[1], sys.argv[2])\n"
                 "box.select('INBOX', readonly=True)\n"
                 "print(box.search(None, 'ALL')[1][0].decode())\n",
                 "alice", kPassword});
  INFO(p.err);
  CHECK(p.out == "True\n1\n");

  // Submission on 587, as a user's mail program (and Roundcube) sends:
  // STARTTLS, then SASL through Dovecot with the user's password.
  p = mail_client(c, "m",
                  {"submit", address, "587", kFqdn, cafile.string(), "alice", kPassword, "alice@" + kFqdn,
                   "alice@" + kFqdn, "Note to self", "sent"});
  INFO(p.err);
  CHECK(p.exit_code == 0);
  CHECK(mail_delivered(maildir, 2));
  p = mail_client(c, "m",
                  {"submit", address, "587", kFqdn, cafile.string(), "alice", "wrong", "alice@" + kFqdn,
                   "alice@" + kFqdn, "Not sent", "refused"});
  CHECK(p.exit_code == 1);
  CHECK_THAT(p.err, Contains("authentication failed"));
  // Without STARTTLS and a login: refused on 587.
  p = mail_client(c, "m", {"send", address, "587", "bob@elsewhere.test", "alice@" + kFqdn, "Plain", "refused"});
  CHECK(p.exit_code == 1);

  // GTUBE: filed in Junk by the Sieve script, not in the inbox.
  p = mail_client(c, "m", {"send", address, "25", "spammer@elsewhere.test", "alice@" + kFqdn, "Cheap", kGtube});
  REQUIRE(p.exit_code == 0);
  CHECK(mail_delivered(maildir / ".Junk", 1));
  CHECK(maildir_messages(maildir) == 2);
  p = mail_client(c, "m", {"imap", address, "993", kFqdn, cafile.string(), "alice", kPassword, "Junk"});
  INFO(p.err);
  CHECK(p.out == "Cheap\n");

  // The daily cron hook, as cron runs it: sa-learn learns the Junk folder.
  r = sc_m({"mail", "cron", "daily"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("learnt from 1 spam"));
  sc::ProcessResult dump = c.on("m", {"sa-learn", "--dump", "magic"});
  INFO(dump.out << dump.err);
  CHECK(nspam(dump.out) >= 1);

  // A relay host: main.cf checked, Postfix reloaded (its own command, no
  // systemd here) and running with it; local mail still delivered.
  r = sc_m({"--set", "MAIL_RELAYHOST=[relay.example.test]:2525", "mail", "setup"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("ran: postfix reload"));
  CHECK(c.on("m", {"postconf", "-h", "relayhost"}).out == "[relay.example.test]:2525\n");
  p = mail_client(c, "m", {"send", address, "25", "bob@elsewhere.test", "alice@" + kFqdn, "After reload", "third"});
  CHECK(p.exit_code == 0);
  CHECK(mail_delivered(maildir, 3));

  // A configuration Dovecot's checker refuses is not installed: here a
  // broken file of the host's own in conf.d, then a new MAILDIR. The
  // previous file stays, and Dovecot keeps serving with it.
  const fs::path conf = c.path("m", "/etc/dovecot/conf.d/99-sc-mail.conf");
  const std::string conf_before = read_text(conf);
  write_text(c.path("m", "/etc/dovecot/conf.d/50-broken.conf"), "this is not a setting\n");
  r = sc_m({"--set", "MAILDIR=/srv/mail", "mail", "setup"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("doveconf -n") && Contains("50-broken.conf") && Contains("nothing was installed"));
  CHECK(read_text(conf) == conf_before);
  fs::remove(c.path("m", "/etc/dovecot/conf.d/50-broken.conf"));
  p = mail_client(c, "m", {"imap", address, "993", kFqdn, cafile.string(), "alice", kPassword, "INBOX"});
  CHECK(p.out == "Hello Alice\nNote to self\nAfter reload\n");

  // A second setup changes nothing.
  r = sc_m({"--json", "--yes", "mail", "setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(nlohmann::json::parse(r.out)["summary"]["changed"] == 0);
}

TEST_CASE("mail: a standby's sync takes the master's maildirs, aliases and Bayes database", "[mail][cluster]") {
  if (!fs::exists("/usr/bin/unison") || !fs::exists("/usr/sbin/postfix")) {
    WARN("skipped: unison or postfix is missing (.ci/install-deps installs them)");
    return;
  }
  Cluster c({"m", "s"});
  c.trust_all();
  auto sc_on = [&](const std::string& host, std::vector<std::string> args, const std::string* input = nullptr) {
    args.insert(args.begin(), {"--plugin-path", mail_test::ssl_standin_dir(), "--plugin-path", "/usr/local/lib/sc"});
    ScRun r = c.sc(host, args, input);
    INFO(host << ": " << r.out << r.err);
    REQUIRE(r.status == 0);
    return r;
  };
  for (const std::string host : {"m", "s"}) {
    sc_on(host, {"--yes", "--set", "FQDN=" + host + ".example.test", "hostconf", "setup"});
    sc::ProcessResult made =
        c.on(host, {"sh", "-c",
                    "mkdir -p /etc/ssl/sc && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=m -keyout "
                    "/etc/ssl/sc/privkey.pem -out /etc/ssl/sc/fullchain.pem 2>/dev/null"});
    REQUIRE(made.exit_code == 0);
    sc_on(host, {"--yes", "mail", "setup"});
  }
  sc_on("m", {"user", "add", "alice", "--password-stdin"}, &kPassword);
  // A mail in alice's Maildir on m, and a Bayes database.
  const fs::path m_mail = c.path("m", "/var/mail/alice/Maildir/new/1700000000.M1P1.m");
  write_text(m_mail, "Subject: kept\n\nreplicated\n", fs::perms(0600));
  REQUIRE(c.on("m", {"chown", "-R", "alice:alice", "/var/mail/alice"}).ok());
  REQUIRE(c.on("m", {"sh", "-c", "echo bayes > /var/lib/spamassassin/sc-bayes/bayes_toks"}).ok());
  REQUIRE(c.on("m", {"sh", "-c", "echo 'postmaster: root' > /etc/aliases"}).ok());

  // s: the accounts first (as its role's pull does, user before mail),
  // then mail's sync hook.
  sc_on("s", {"--yes", "unisonsync", "setup"});
  sc_on("s", {"user", "pull", "m", "standby"});
  ScRun r = sc_on("s", {"mail", "sync", "m", "standby"});
  CHECK_THAT(r.out, Contains("mail of m synchronised"));
  const fs::path s_mail = c.path("s", "/var/mail/alice/Maildir/new/1700000000.M1P1.m");
  REQUIRE(fs::exists(s_mail));
  CHECK(read_text(s_mail) == "Subject: kept\n\nreplicated\n");
  CHECK(c.on("s", {"stat", "-c", "%U:%G %a", "/var/mail/alice/Maildir/new/1700000000.M1P1.m"}).out ==
        "alice:alice 600\n");
  CHECK(c.on("s", {"cat", "/var/lib/spamassassin/sc-bayes/bayes_toks"}).out == "bayes\n");
  CHECK(read_text(c.path("s", "/etc/aliases")) == "postmaster: root\n");
  // A mail that reached s (after its promotion) flows back at the next sync.
  write_text(c.path("s", "/var/mail/alice/Maildir/new/1700000001.M2P2.s"), "Subject: back\n\nfrom s\n");
  sc_on("s", {"mail", "sync", "m", "standby"});
  CHECK(read_text(c.path("m", "/var/mail/alice/Maildir/new/1700000001.M2P2.s")) == "Subject: back\n\nfrom s\n");
  // On the master itself, or another role, the hook does nothing.
  r = sc_on("m", {"--json", "mail", "sync", "s", "master"});
  CHECK(nlohmann::json::parse(r.out)["summary"]["changed"] == 0);
}
