// The mail module: its generated files read by the real checkers
// (postfix check, doveconf -n, spamassassin --lint, sievec), and its
// commands run by the built sc under --root: setup, a second setup that
// changes nothing, hostile settings and arguments refused before anything
// changes, setfqdn, files, cron, cleanup giving the host its files back.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../mail_config.hpp"
#include "engine/process.hpp"
#include "mail_test_support.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

namespace {

// The main.cf Debian's postinst writes (the test machines install Postfix
// with "No configuration", leaving /etc/postfix/main.cf absent).
const char* const kDebianMainCf = "/usr/share/postfix/main.cf.debian";

/// A private certificate and key, as the ssl module would leave them.
void make_certificate(const fs::path& cert, const fs::path& key, const std::string& name) {
  make_self_signed(cert, key, {name}, 2);
  fs::permissions(key, fs::perms(0600));
}

ScRun mail_sc(const std::string& ssl, const fs::path& root, const std::vector<std::string>& args,
              const std::string* input = nullptr) {
  std::vector<std::string> all = {"--plugin-path", ssl, "--plugin-path", kPluginDir, "--root", root.string()};
  all.insert(all.end(), args.begin(), args.end());
  return run_sc(all, input);
}

json doc_of(const ScRun& r) {
  return json::parse(r.out);
}

/// A Debian root as mail finds it: the package's Postfix files, the
/// accounts, and the programs of the packages it needs (so that nothing
/// is installed).
void debian_root(const fs::path& root) {
  write_accounts(root,
                 kMinimalPasswd + "postfix:x:101:104::/var/spool/postfix:/usr/sbin/nologin\n" +
                     "debian-spamd:x:108:110::/var/lib/spamassassin:/usr/sbin/nologin\n",
                 kMinimalShadow + "postfix:*:19000:0:99999:7:::\ndebian-spamd:*:19000:0:99999:7:::\n",
                 kMinimalGroup + "mail:x:8:\npostfix:x:104:\ndebian-spamd:x:110:\ncrontab:x:102:\n",
                 kMinimalGshadow + "mail:*::\npostfix:*::\ndebian-spamd:*::\ncrontab:*::\n");
  fs::create_directories(root / "etc/postfix");
  fs::copy_file(kDebianMainCf, root / "etc/postfix/main.cf");
  fs::copy_file("/etc/postfix/master.cf", root / "etc/postfix/master.cf");
  write_text(root / "etc/aliases.db", "");
  for (const char* p : {"usr/sbin/postfix", "usr/sbin/dovecot", "usr/bin/sievec", "usr/bin/sa-learn", "usr/bin/spamc",
                        "usr/sbin/spamd", "usr/bin/sudo", "usr/sbin/visudo", "usr/sbin/cron"})
    write_text(root / p, "", fs::perms(0755));
  std::string status;
  for (const char* pkg : {"dovecot-lmtpd", "sudo", "cron"})
    status += std::string("Package: ") + pkg +
              "\nStatus: install ok installed\nPriority: optional\nSection: mail\nMaintainer: Test "
              "<t@example.org>\nArchitecture: amd64\nVersion: 1\nDescription: test\n\n";
  write_text(root / "var/lib/dpkg/status", status);
  fs::create_directories(root / "var/mail");
  fs::create_directories(root / "etc/cron.d");
  // What the ssl module leaves (the content does not matter under --root).
  write_text(root / "etc/ssl/sc/fullchain.pem", "certificate\n");
  write_text(root / "etc/ssl/sc/privkey.pem", "key\n", fs::perms(0600));
}

}  // namespace

TEST_CASE("mail: the generated files pass postfix check, doveconf, sievec and spamassassin --lint", "[mail]") {
  for (const char* tool : {"/usr/sbin/postfix", "/usr/bin/doveconf", "/usr/bin/sievec", "/usr/bin/spamassassin"})
    if (!fs::exists(tool)) {
      WARN("skipped: " << tool << " is missing (.ci/install-deps installs it)");
      return;
    }
  TempDir t;
  fs::copy("/etc/postfix", t / "postfix", fs::copy_options::recursive);
  fs::copy("/etc/dovecot", t / "dovecot", fs::copy_options::recursive);
  make_certificate(t / "ssl/fullchain.pem", t / "ssl/privkey.pem", "m.example.org");
  mail::Params p{"m.example.org", "[relay.example.org]:587", "/var/mail", (t / "ssl/fullchain.pem").string(),
                 (t / "ssl/privkey.pem").string()};

  // Postfix: both files, edited from the package's.
  write_text(t / "postfix/main.cf", mail::edit_main_cf(read_text(kDebianMainCf), p));
  write_text(t / "postfix/master.cf", mail::edit_master_cf(read_text("/etc/postfix/master.cf")));
  sc::ProcessResult r = run_captured({"postfix", "-c", (t / "postfix").string(), "check"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  r = run_captured(
      {"postconf", "-c", (t / "postfix").string(), "-h", "myhostname", "mydomain", "relayhost", "mailbox_transport"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "m.example.org\nexample.org\n[relay.example.org]:587\nlmtp:unix:private/dovecot-lmtp\n");
  CHECK(r.err == "");  // no parameter defined twice, nothing unknown
  r = run_captured(
      {"postconf", "-c", (t / "postfix").string(), "-M", "smtp/inet", "submission/inet", "spamassassin/unix"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("content_filter=spamassassin") && Contains("smtpd_sasl_auth_enable=yes") &&
                        Contains("argv=/usr/bin/spamc"));
  CHECK(r.err == "");

  // Dovecot: the conf.d file and the Sieve script (at their place in the copy).
  std::string conf = mail::dovecot_conf(p);
  const std::string sieve = (t / "sieve/junk.sieve").string();
  conf.replace(conf.find(mail::kSieveScript), std::string(mail::kSieveScript).size(), sieve);
  write_text(t / "dovecot/conf.d/99-sc-mail.conf", conf);
  write_text(sieve, mail::sieve_script());
  write_text(t / "dovecot/conf.d/10-ssl.conf",
             mail::edit_dovecot_ssl_conf(read_text("/etc/dovecot/conf.d/10-ssl.conf")));
  const std::string dovecot_conf = (t / "dovecot/dovecot.conf").string();
  // -x: the files named by `<FILE` values opened, as Dovecot does when it starts.
  r = run_captured({"doveconf", "-n", "-x", "-c", dovecot_conf});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("mail_location = maildir:/var/mail/%u/Maildir") && Contains("protocols = imap lmtp") &&
                        Contains("sieve_before = " + sieve));
  r = run_captured({"sievec", "-c", dovecot_conf, sieve});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(fs::exists(t / "sieve/junk.svbin"));
  // A certificate that is not there: refused.
  p.cert = (t / "ssl/missing.pem").string();
  write_text(t / "dovecot/conf.d/99-sc-mail.conf", mail::dovecot_conf(p));
  r = run_captured({"doveconf", "-n", "-x", "-c", dovecot_conf});
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.err, Contains("missing.pem"));

  // SpamAssassin: the site configuration with sc's file.
  fs::copy("/etc/spamassassin", t / "spamassassin", fs::copy_options::recursive);
  write_text(t / "spamassassin/sc-mail.cf", mail::spamassassin_conf());
  r = run_captured({"spamassassin", "--lint", "--siteconfigpath=" + (t / "spamassassin").string()});
  INFO(r.err);
  CHECK(r.exit_code == 0);
}

TEST_CASE("mail: setup under --root writes sc's files, then changes nothing, and cleanup gives them back", "[mail]") {
  const std::string ssl = mail_test::ssl_standin_dir();
  TempDir root;
  debian_root(root.path());
  const std::string main_before = read_text(root / "etc/postfix/main.cf");
  const std::string master_before = read_text(root / "etc/postfix/master.cf");

  // A dry run plans, changes nothing.
  std::string before = tree_hash(root.path());
  ScRun r = mail_sc(ssl, root.path(), {"--dry-run", "--yes", "--set", "FQDN=m.example.org", "mail", "setup"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(tree_hash(root.path()) == before);

  r = mail_sc(ssl, root.path(), {"--json", "--yes", "--set", "FQDN=m.example.org", "mail", "setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  const mail::Params p{"m.example.org", "", "/var/mail", "/etc/ssl/sc/fullchain.pem", "/etc/ssl/sc/privkey.pem"};
  CHECK(read_text(root / "etc/postfix/main.cf") == mail::edit_main_cf(main_before, p));
  CHECK(read_text(root / "etc/postfix/master.cf") == mail::edit_master_cf(master_before));
  CHECK(read_text(root / "etc/dovecot/conf.d/99-sc-mail.conf") == mail::dovecot_conf(p));
  CHECK(read_text(root / "etc/dovecot/sc-mail/junk.sieve") == mail::sieve_script());
  CHECK(read_text(root / "etc/spamassassin/sc-mail.cf") == mail::spamassassin_conf());
  CHECK(mode_of(root / "var/mail") == "2775 0:8");
  CHECK(mode_of(root / "var/lib/spamassassin/sc-bayes") == "2770 108:110");
  CHECK(fs::exists(root / "etc/cron.d/sc_mail_daily"));
  // The checkers and reloads are live actions: recorded under --root.
  const auto actions = run_actions(r);
  for (const char* a : {"postfix check recorded", "doveconf -n -x recorded", "spamassassin --lint recorded",
                        "sievec /etc/dovecot/sc-mail/junk.sieve recorded"})
    CHECK(std::find(actions.begin(), actions.end(), a) != actions.end());
  CHECK(mail_sc(ssl, root.path(), {"mail", "ready"}).status == 0);
  CHECK(mail_sc(ssl, root.path(), {"mail", "enabled"}).status == 0);

  // Again: nothing changes.
  r = mail_sc(ssl, root.path(), {"--json", "mail", "setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(doc_of(r)["summary"]["changed"] == 0);

  // files: what a backup keeps.
  r = mail_sc(ssl, root.path(), {"--json", "mail", "files"});
  // (this root has no /etc/aliases: newaliases is not run under --root)
  CHECK(doc_of(r)["result"] == json{"/var/mail", "/var/lib/spamassassin/sc-bayes"});

  // setfqdn: myhostname and mydomain follow, nothing else changes.
  r = mail_sc(ssl, root.path(), {"mail", "setfqdn", "mail.example.net"});
  INFO(r.err);
  CHECK(r.status == 0);
  const std::string main_cf = read_text(root / "etc/postfix/main.cf");
  CHECK_THAT(main_cf, Contains("\nmyhostname = mail.example.net\nmydomain = example.net\n"));

  // The relay host setting reaches main.cf.
  r = mail_sc(ssl, root.path(), {"--set", "MAIL_RELAYHOST=[smtp.example.net]:587", "mail", "setup"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK_THAT(read_text(root / "etc/postfix/main.cf"), Contains("\nrelayhost = [smtp.example.net]:587\n"));

  // The daily cron hook: under --root, sa-learn is planned on the users' folders.
  for (const char* d : {"var/mail/alice/Maildir/cur", "var/mail/alice/Maildir/.Junk/cur",
                        "var/mail/alice/Maildir/.Junk/new", "var/mail/alice/Maildir/.Trash/cur"})
    write_text(root / d / "1700000000.M1P1.m:2,S", "Subject: x\n\nmail\n");
  fs::create_directories(root / "var/mail/alice/Maildir/.Sent/cur");  // empty: not learnt
  r = mail_sc(ssl, root.path(), {"--json", "mail", "cron", "daily"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  const auto learnt = run_actions(r);
  CHECK(learnt == std::vector<std::string>{
                      "sa-learn --spam --no-sync /var/mail/alice/Maildir/.Junk/cur /var/mail/alice/Maildir/.Junk/new "
                      "recorded",
                      "sa-learn --ham --no-sync /var/mail/alice/Maildir/cur recorded", "sa-learn --sync recorded",
                      "find /var/mail/alice/Maildir/.Junk/cur /var/mail/alice/Maildir/.Junk/new -maxdepth 1 -type "
                      "f -mtime +30 -delete recorded"});

  // cleanup: the host's own Postfix files back, sc's files gone, the mail kept.
  r = mail_sc(ssl, root.path(), {"mail", "cleanup"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(read_text(root / "etc/postfix/main.cf") == main_before);
  CHECK(read_text(root / "etc/postfix/master.cf") == master_before);
  CHECK_FALSE(fs::exists(root / "etc/dovecot/conf.d/99-sc-mail.conf"));
  CHECK_FALSE(fs::exists(root / "etc/spamassassin/sc-mail.cf"));
  CHECK_FALSE(fs::exists(root / "etc/cron.d/sc_mail_daily"));
  CHECK(fs::is_directory(root / "var/mail/alice/Maildir/cur"));
  CHECK(mail_sc(ssl, root.path(), {"mail", "ready"}).status == 1);
  CHECK(mail_sc(ssl, root.path(), {"mail", "enabled"}).status == 1);
}

TEST_CASE("mail: files names only what exists (a backup asks every installed module)", "[mail]") {
  TempDir root;
  debian_root(root.path());
  fs::remove(root / "etc/aliases");
  ScRun r = mail_sc(mail_test::ssl_standin_dir(), root.path(), {"--json", "mail", "files"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  // Debian's /var/mail is there on every host; no aliases, no Bayes database.
  CHECK(doc_of(r)["result"] == json{"/var/mail"});
}

TEST_CASE("mail: hostile settings and arguments are refused before anything changes", "[mail]") {
  const std::string ssl = mail_test::ssl_standin_dir();
  TempDir root;
  debian_root(root.path());
  // Set up first (with the modules it requires), then every refusal
  // leaves the tree as it is.
  ScRun first = mail_sc(ssl, root.path(), {"--yes", "--set", "FQDN=m.example.org", "mail", "setup"});
  INFO(first.err);
  REQUIRE(first.status == 0);
  const std::string before = tree_hash(root.path());
  auto refused = [&](const std::vector<std::string>& args, const std::string& message) {
    ScRun r = mail_sc(ssl, root.path(), args);
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Contains(message));
    CHECK(tree_hash(root.path()) == before);
  };
  const std::vector<std::string> fqdn = {"--yes", "--set", "FQDN=m.example.org"};
  auto with = [&](std::vector<std::string> a, const std::vector<std::string>& tail) {
    a.insert(a.end(), tail.begin(), tail.end());
    return a;
  };
  refused(with(fqdn, {"--set", "MAIL_RELAYHOST=relay.example.org\nmyhostname = evil", "mail", "setup"}),
          "MAIL_RELAYHOST");
  refused(with(fqdn, {"--set", "MAIL_RELAYHOST=relay;id", "mail", "setup"}), "MAIL_RELAYHOST");
  refused(with(fqdn, {"--set", "MAILDIR=/var/mail dir", "mail", "setup"}), "MAILDIR");
  refused(with(fqdn, {"--set", "MAILDIR=/var/../etc", "mail", "setup"}), "MAILDIR");
  refused(with(fqdn, {"--set", "MAILDIR=/", "mail", "setup"}), "MAILDIR \"/\" is / itself");
  refused(with(fqdn, {"--set", "SSLCERT=/etc/ssl/a cert.pem", "mail", "setup"}), "SSLCERT");
  refused({"--yes", "--set", "FQDN=m.exa$(id).org", "mail", "setup"}, "FQDN");
  // A certificate that is not there: refused (a failure), nothing changed.
  ScRun r = mail_sc(ssl, root.path(), {"--set", "SSLCERT=/etc/ssl/sc/missing.pem", "mail", "setup"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("SSLCERT /etc/ssl/sc/missing.pem does not exist"));
  CHECK(tree_hash(root.path()) == before);
  for (const auto& h : hostile_strings()) {
    r = mail_sc(ssl, root.path(), {"mail", "setfqdn", h});
    CHECK(r.status == 2);
    r = mail_sc(ssl, root.path(), {"mail", "cron", h});
    CHECK(r.status == 2);
    r = mail_sc(ssl, root.path(), {"mail", "sync", h, "standby"});
    CHECK(r.status == 2);
    r = mail_sc(ssl, root.path(), {"mail", "sync", "m", h});
    CHECK(r.status == 2);
  }
  CHECK(tree_hash(root.path()) == before);
}
