// Pure functions behind the mail module: the checks of its settings, the
// text of the configuration files it writes (Dovecot, Sieve, SpamAssassin)
// and the edits of Postfix's main.cf and master.cf (a marked block of sc's
// own at the end; the host's lines that the block overrides are commented
// out with a marker, and put back by `restore_*`), the argv of the daily
// learning (sa-learn) and of the removal of old spam.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mail {

/// What the generated files depend on.
struct Params {
  std::string fqdn;       ///< myhostname; mydomain is derived from it
  std::string relayhost;  ///< empty: mail goes out directly
  std::string maildir;    ///< MAILDIR, e.g. /var/mail
  std::string cert;       ///< SSLCERT
  std::string key;        ///< SSLKEY
};

/// The files sc writes or edits.
inline constexpr const char* kMainCf = "/etc/postfix/main.cf";
inline constexpr const char* kMasterCf = "/etc/postfix/master.cf";
inline constexpr const char* kDovecotConf = "/etc/dovecot/conf.d/99-sc-mail.conf";
inline constexpr const char* kDovecotSslConf = "/etc/dovecot/conf.d/10-ssl.conf";
inline constexpr const char* kSieveDir = "/etc/dovecot/sc-mail";
inline constexpr const char* kSieveScript = "/etc/dovecot/sc-mail/junk.sieve";
inline constexpr const char* kSieveBinary = "/etc/dovecot/sc-mail/junk.svbin";
inline constexpr const char* kSpamConf = "/etc/spamassassin/sc-mail.cf";
inline constexpr const char* kBayesDir = "/var/lib/spamassassin/sc-bayes";
/// The spam folder: IMAP "Junk", Maildir++ ".Junk".
inline constexpr const char* kJunk = "Junk";

/// "" when `fqdn` can be Postfix's myhostname (letters, digits, '-' and
/// at least one '.', labels of 1-63 characters), else why not.
std::string fqdn_problem(std::string_view fqdn);
/// "" when `relay` is empty or HOST, [HOST], HOST:PORT or [HOST]:PORT.
std::string relayhost_problem(std::string_view relay);
/// "" when `path` is an absolute path of letters, digits and ._-/ (it is
/// written into configuration files), without "..", not "/" itself.
std::string path_problem(std::string_view path);
/// `path` without trailing slashes.
std::string normal_path(std::string path);

/// mydomain: the FQDN without its first label when that leaves a name
/// with a dot (m.example.org -> example.org), else the FQDN itself.
std::string domain_of(const std::string& fqdn);

/// The main.cf parameters sc sets, in order (NAME, VALUE).
std::vector<std::pair<std::string, std::string>> main_cf_params(const Params& p);
/// main.cf as sc wants it: `text` restored (restore_main_cf), each of the
/// host's definitions of a parameter sc sets commented out with the
/// marker, and sc's block appended. Idempotent.
std::string edit_main_cf(const std::string& text, const Params& p);
/// main.cf without sc's block and with the host's lines put back.
std::string restore_main_cf(const std::string& text);

/// The master.cf services sc defines (smtp with the spam filter,
/// submission, the spamassassin pipe), as master.cf entries.
std::string master_cf_block();
/// master.cf as sc wants it: restored, the host's entries of the same
/// service name and type commented out, sc's block appended. Idempotent.
std::string edit_master_cf(const std::string& text);
std::string restore_master_cf(const std::string& text);

/// /etc/dovecot/conf.d/99-sc-mail.conf.
std::string dovecot_conf(const Params& p);
/// The package's 10-ssl.conf with its ssl_cert and ssl_key lines
/// commented out with the marker: Dovecot opens every `<FILE` it reads,
/// even one a later file overrides, and the package's pair may not exist
/// (installed without its postinst's certificate). Idempotent.
std::string edit_dovecot_ssl_conf(const std::string& text);
std::string restore_dovecot_ssl_conf(const std::string& text);
/// The sieve_before script: X-Spam-Flag: YES into Junk.
std::string sieve_script();
/// /etc/spamassassin/sc-mail.cf.
std::string spamassassin_conf();

/// A user's Maildir: MAILDIR/USER/Maildir.
std::string user_maildir(const std::string& maildir, const std::string& user);
/// The folders of a Maildir (its subdirectory names, e.g. ".Junk") whose
/// mail is learnt as ham: every folder (INBOX is "") but Junk and Trash.
std::vector<std::string> ham_folders(const std::vector<std::string>& entries);
/// sa-learn learning DIRS as spam (or ham); empty when no DIRS.
std::vector<std::string> sa_learn_argv(bool spam, const std::vector<std::string>& dirs);
/// find removing the files of DIRS older than `days` days.
std::vector<std::string> old_spam_argv(const std::vector<std::string>& dirs, int days);

}  // namespace mail
