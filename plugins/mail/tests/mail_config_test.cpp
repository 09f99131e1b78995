// The mail module's pure functions: settings' checks, the generated files
// against their expected text, and the edits of Postfix's files (sc's
// block, the host's overridden lines kept and put back).
#include "../mail_config.hpp"

#include <catch2/catch.hpp>

using namespace mail;

namespace {

Params sample() {
  return {"m.example.org", "", "/var/mail", "/etc/ssl/sc/fullchain.pem", "/etc/ssl/sc/privkey.pem"};
}

// What Debian 12's postinst leaves, shortened.
const std::string kDebianMain =
    "# See /usr/share/postfix/main.cf.dist for a commented, more complete version\n"
    "smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)\n"
    "biff = no\n"
    "\n"
    "smtpd_tls_cert_file=/etc/ssl/certs/ssl-cert-snakeoil.pem\n"
    "smtpd_tls_key_file=/etc/ssl/private/ssl-cert-snakeoil.key\n"
    "smtpd_relay_restrictions = permit_mynetworks\n"
    "    permit_sasl_authenticated defer_unauth_destination\n"
    "myhostname = old.example.org\n"
    "alias_maps = hash:/etc/aliases\n"
    "relayhost = \n"
    "inet_protocols = all\n";

const std::string kDebianMaster =
    "# Postfix master process configuration file.\n"
    "smtp      inet  n       -       y       -       -       smtpd\n"
    "#submission inet n       -       y       -       -       smtpd\n"
    "#  -o syslog_name=postfix/submission\n"
    "pickup    unix  n       -       y       60      1       pickup\n"
    "cleanup   unix  n       -       y       -       0       cleanup\n";

}  // namespace

TEST_CASE("mail: settings are checked before they reach a configuration file", "[mail]") {
  CHECK(fqdn_problem("m.example.org") == "");
  CHECK(fqdn_problem("a-b.c1.example") == "");
  for (const char* bad : {"", "localhost", "m..example.org", "-m.example.org", "m.example.org\nmyhostname = x",
                          "m example.org", "m.exa$(id).org", ".m.org", "m.org."})
    CHECK(fqdn_problem(bad) != "");

  for (const char* good : {"", "relay.example.org", "[relay.example.org]", "relay.example.org:25", "[10.0.0.1]:587"})
    CHECK(relayhost_problem(good) == "");
  for (const char* bad : {"relay example", "[relay", "relay:", "relay:99999", "relay:2x", "a\nb", "[r]x", "r;id",
                          "-r.example.org", "relay..org"})
    CHECK(relayhost_problem(bad) != "");

  CHECK(path_problem("/var/mail") == "");
  CHECK(path_problem("/srv/mail-1/") == "");
  for (const char* bad : {"", "var/mail", "/", "//", "/var/../etc", "/var/mail dir", "/var/mail\n", "/a/'b'"})
    CHECK(path_problem(bad) != "");
  CHECK(normal_path("/var/mail//") == "/var/mail");
}

TEST_CASE("mail: mydomain is the FQDN without its host label", "[mail]") {
  CHECK(domain_of("m.example.org") == "example.org");
  CHECK(domain_of("a.b.example.org") == "b.example.org");
  CHECK(domain_of("example.org") == "example.org");
}

TEST_CASE("mail: main.cf gets sc's block and keeps the host's lines, commented", "[mail]") {
  Params p = sample();
  p.relayhost = "[relay.example.org]:587";
  const std::string edited = edit_main_cf(kDebianMain, p);
  const std::string expected =
      "# See /usr/share/postfix/main.cf.dist for a commented, more complete version\n"
      "#sc-mail# smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)\n"
      "#sc-mail# biff = no\n"
      "\n"
      "#sc-mail# smtpd_tls_cert_file=/etc/ssl/certs/ssl-cert-snakeoil.pem\n"
      "#sc-mail# smtpd_tls_key_file=/etc/ssl/private/ssl-cert-snakeoil.key\n"
      "#sc-mail# smtpd_relay_restrictions = permit_mynetworks\n"
      "#sc-mail#     permit_sasl_authenticated defer_unauth_destination\n"
      "#sc-mail# myhostname = old.example.org\n"
      "alias_maps = hash:/etc/aliases\n"
      "#sc-mail# relayhost = \n"
      "inet_protocols = all\n"
      "# BEGIN sc mail: written by `sc mail setup`; sc rewrites this block, edit outside it\n"
      "myhostname = m.example.org\n"
      "mydomain = example.org\n"
      "myorigin = $myhostname\n"
      "mydestination = $myhostname, $mydomain, localhost.$mydomain, localhost\n"
      "relayhost = [relay.example.org]:587\n"
      "mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128\n"
      "inet_interfaces = all\n"
      "smtpd_banner = $myhostname ESMTP $mail_name\n"
      "biff = no\n"
      "mailbox_transport = lmtp:unix:private/dovecot-lmtp\n"
      "mailbox_size_limit = 0\n"
      "recipient_delimiter = +\n"
      "smtpd_tls_cert_file = /etc/ssl/sc/fullchain.pem\n"
      "smtpd_tls_key_file = /etc/ssl/sc/privkey.pem\n"
      "smtpd_tls_security_level = may\n"
      "smtpd_tls_auth_only = yes\n"
      "smtpd_tls_protocols = >=TLSv1.2\n"
      "smtpd_tls_mandatory_protocols = >=TLSv1.2\n"
      "smtp_tls_security_level = may\n"
      "smtpd_sasl_type = dovecot\n"
      "smtpd_sasl_path = private/auth\n"
      "smtpd_sasl_auth_enable = no\n"
      "smtpd_sasl_security_options = noanonymous\n"
      "smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated defer_unauth_destination\n"
      "# END sc mail\n";
  CHECK(edited == expected);
  // Again: the same text; another name: only the block changes.
  CHECK(edit_main_cf(edited, p) == edited);
  p.fqdn = "n.example.net";
  p.relayhost = "";
  const std::string renamed = edit_main_cf(edited, p);
  CHECK(renamed.find("myhostname = n.example.net\nmydomain = example.net\n") != std::string::npos);
  CHECK(renamed.find("\nrelayhost =\n") != std::string::npos);
  CHECK(renamed.substr(0, renamed.find("# BEGIN")) == expected.substr(0, expected.find("# BEGIN")));
  // Cleanup gives the host its file back, byte for byte.
  CHECK(restore_main_cf(renamed) == kDebianMain);
  CHECK(restore_main_cf(kDebianMain) == kDebianMain);
  // A file without a final newline, or none at all.
  CHECK(restore_main_cf(edit_main_cf("biff = no", sample())) == "biff = no\n");
  CHECK(edit_main_cf("", sample()).rfind("# BEGIN sc mail", 0) == 0);
}

TEST_CASE("mail: master.cf gets the filtered smtp, submission and the spamassassin pipe", "[mail]") {
  const std::string edited = edit_master_cf(kDebianMaster);
  const std::string expected =
      "# Postfix master process configuration file.\n"
      "#sc-mail# smtp      inet  n       -       y       -       -       smtpd\n"
      "#submission inet n       -       y       -       -       smtpd\n"
      "#  -o syslog_name=postfix/submission\n"
      "pickup    unix  n       -       y       60      1       pickup\n"
      "cleanup   unix  n       -       y       -       0       cleanup\n"
      "# BEGIN sc mail: written by `sc mail setup`; sc rewrites this block, edit outside it\n"
      "smtp      inet  n       -       n       -       -       smtpd\n"
      "  -o content_filter=spamassassin\n"
      "submission inet n       -       n       -       -       smtpd\n"
      "  -o syslog_name=postfix/submission\n"
      "  -o smtpd_tls_security_level=encrypt\n"
      "  -o smtpd_sasl_auth_enable=yes\n"
      "  -o smtpd_tls_auth_only=yes\n"
      "  -o smtpd_client_restrictions=permit_sasl_authenticated,reject\n"
      "  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject\n"
      "  -o milter_macro_daemon_name=ORIGINATING\n"
      "spamassassin unix -     n       n       -       -       pipe\n"
      "  user=debian-spamd argv=/usr/bin/spamc -e /usr/sbin/sendmail -oi -f ${sender} ${recipient}\n"
      "# END sc mail\n";
  CHECK(edited == expected);
  CHECK(edit_master_cf(edited) == edited);
  CHECK(restore_master_cf(edited) == kDebianMaster);
  // A host's own submission entry, with its options, is set aside whole.
  const std::string own =
      "submission inet n - y - - smtpd\n  -o smtpd_sasl_auth_enable=yes\nqmgr unix n - n 300 1 qmgr\n";
  const std::string e2 = edit_master_cf(own);
  CHECK(e2.rfind("#sc-mail# submission inet n - y - - smtpd\n#sc-mail#   -o smtpd_sasl_auth_enable=yes\nqmgr unix",
                 0) == 0);
  CHECK(restore_master_cf(e2) == own);
}

TEST_CASE("mail: Dovecot's configuration, the Sieve script and SpamAssassin's", "[mail]") {
  Params p = sample();
  p.maildir = "/srv/mail/";
  const std::string conf = dovecot_conf(p);
  CHECK(conf ==
        "# Written by `sc mail setup` (synccluster): sc rewrites this file. Put settings of your own in\n"
        "# another file of conf.d; this one is read last, so it wins over the package's.\n"
        "protocols = imap lmtp\n"
        "mail_location = maildir:/srv/mail/%u/Maildir\n"
        "mail_home = /srv/mail/%u\n"
        "mail_privileged_group = mail\n"
        "# MAILDIR is root:mail 2775: a user's first delivery or login makes MAILDIR/USER.\n"
        "mail_access_groups = mail\n"
        "first_valid_uid = 1000\n"
        "\n"
        "# IMAP on 143 (STARTTLS; a password in clear only from this host, Dovecot's\n"
        "# disable_plaintext_auth) and IMAPS on 993, with the ssl module's certificate.\n"
        "ssl = yes\n"
        "ssl_cert = </etc/ssl/sc/fullchain.pem\n"
        "ssl_key = </etc/ssl/sc/privkey.pem\n"
        "ssl_min_protocol = TLSv1.2\n"
        "disable_plaintext_auth = yes\n"
        "auth_mechanisms = plain login\n"
        "\n"
        "namespace inbox {\n"
        "  mailbox Junk {\n"
        "    auto = subscribe\n"
        "    special_use = \\Junk\n"
        "  }\n"
        "  mailbox Sent {\n"
        "    auto = subscribe\n"
        "    special_use = \\Sent\n"
        "  }\n"
        "  mailbox Trash {\n"
        "    auto = subscribe\n"
        "    special_use = \\Trash\n"
        "  }\n"
        "  mailbox Drafts {\n"
        "    auto = subscribe\n"
        "    special_use = \\Drafts\n"
        "  }\n"
        "}\n"
        "\n"
        "service imap-login {\n"
        "  inet_listener imap {\n"
        "    port = 143\n"
        "  }\n"
        "  inet_listener imaps {\n"
        "    port = 993\n"
        "    ssl = yes\n"
        "  }\n"
        "}\n"
        "\n"
        "# Postfix delivers through LMTP and authenticates submission through Dovecot.\n"
        "service lmtp {\n"
        "  unix_listener /var/spool/postfix/private/dovecot-lmtp {\n"
        "    mode = 0600\n"
        "    user = postfix\n"
        "    group = postfix\n"
        "  }\n"
        "}\n"
        "service auth {\n"
        "  unix_listener /var/spool/postfix/private/auth {\n"
        "    mode = 0660\n"
        "    user = postfix\n"
        "    group = postfix\n"
        "  }\n"
        "}\n"
        "protocol lmtp {\n"
        "  auth_username_format = %Ln\n"
        "  mail_plugins = $mail_plugins sieve\n"
        "}\n"
        "plugin {\n"
        "  sieve_before = /etc/dovecot/sc-mail/junk.sieve\n"
        "}\n");
  CHECK(sieve_script() ==
        "# Written by `sc mail setup` (synccluster): mail SpamAssassin flags as spam goes to Junk.\n"
        "require [\"fileinto\", \"mailbox\"];\n"
        "if header :is \"X-Spam-Flag\" \"YES\" {\n"
        "  fileinto :create \"Junk\";\n"
        "  stop;\n"
        "}\n");
  const std::string sa = spamassassin_conf();
  CHECK(sa.find("\nreport_safe 0\n") != std::string::npos);
  CHECK(sa.find("\nbayes_path /var/lib/spamassassin/sc-bayes/bayes\n") != std::string::npos);
  CHECK(sa.find("rewrite_header") == std::string::npos);
}

TEST_CASE("mail: the package's certificate lines of 10-ssl.conf are set aside and put back", "[mail]") {
  const std::string package =
      "##\n## SSL settings\n##\nssl = yes\n"
      "ssl_cert = </etc/dovecot/private/dovecot.pem\nssl_key = </etc/dovecot/private/dovecot.key\n"
      "#ssl_key_password =\nssl_client_ca_dir = /etc/ssl/certs\nssl_dh = </usr/share/dovecot/dh.pem\n";
  const std::string edited = edit_dovecot_ssl_conf(package);
  CHECK(
      edited ==
      "##\n## SSL settings\n##\nssl = yes\n"
      "#sc-mail# ssl_cert = </etc/dovecot/private/dovecot.pem\n#sc-mail# ssl_key = </etc/dovecot/private/dovecot.key\n"
      "#ssl_key_password =\nssl_client_ca_dir = /etc/ssl/certs\nssl_dh = </usr/share/dovecot/dh.pem\n");
  CHECK(edit_dovecot_ssl_conf(edited) == edited);
  CHECK(restore_dovecot_ssl_conf(edited) == package);
}

TEST_CASE("mail: what the daily cron learns from and removes", "[mail]") {
  CHECK(user_maildir("/var/mail/", "alice") == "/var/mail/alice/Maildir");
  CHECK(ham_folders({"cur", "new", "tmp", ".Junk", ".Trash", ".Sent", ".Work", ".Work.2024", ".Junk.old", "..",
                     "dovecot.index"}) == std::vector<std::string>{"", ".Sent", ".Work", ".Work.2024"});
  CHECK(sa_learn_argv(true, {}).empty());
  CHECK(sa_learn_argv(true, {"/var/mail/a/Maildir/.Junk/cur"}) ==
        std::vector<std::string>{"sa-learn", "--spam", "--no-sync", "/var/mail/a/Maildir/.Junk/cur"});
  CHECK(sa_learn_argv(false, {"/x/cur", "/y/cur"}) ==
        std::vector<std::string>{"sa-learn", "--ham", "--no-sync", "/x/cur", "/y/cur"});
  CHECK(old_spam_argv({"/j/cur", "/j/new"}, 30) == std::vector<std::string>{"find", "/j/cur", "/j/new", "-maxdepth",
                                                                            "1", "-type", "f", "-mtime", "+30",
                                                                            "-delete"});
  CHECK(old_spam_argv({"/j/cur"}, 0).empty());
  CHECK(old_spam_argv({}, 7).empty());
}
