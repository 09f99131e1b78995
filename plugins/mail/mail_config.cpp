#include "mail_config.hpp"

#include <algorithm>
#include <set>

namespace mail {
namespace {

constexpr const char* kBegin = "# BEGIN sc mail: written by `sc mail setup`; sc rewrites this block, edit outside it";
constexpr const char* kEnd = "# END sc mail";
// A host line that sc's block overrides, kept so that cleanup puts it back.
constexpr std::string_view kDisabled = "#sc-mail# ";

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

/// The text without sc's block and with the disabled lines put back.
std::string restored(const std::string& text) {
  std::string out;
  bool in_block = false;
  for (const auto& line : lines_of(text)) {
    if (!in_block && starts_with(line, "# BEGIN sc mail")) {
      in_block = true;
      continue;
    }
    if (in_block) {
      if (starts_with(line, kEnd)) in_block = false;
      continue;
    }
    out += (starts_with(line, kDisabled) ? line.substr(kDisabled.size()) : line) + "\n";
  }
  return out;
}

/// `text` restored, every logical entry whose key is in `keys` disabled
/// (with its continuation lines), and `block` appended between the
/// markers. `key_of` gives the key of an entry's first line.
template <typename KeyOf>
std::string edited(const std::string& text, const std::set<std::string>& keys, const std::string& block, KeyOf key_of) {
  std::string out;
  bool disabling = false;
  for (const auto& line : lines_of(restored(text))) {
    const bool continuation = !line.empty() && (line[0] == ' ' || line[0] == '\t');
    const bool entry = !line.empty() && !continuation && line[0] != '#';
    if (entry)
      disabling = keys.count(key_of(line)) > 0;
    else if (!continuation)
      disabling = false;  // a comment or a blank line ends an entry
    out += (disabling && (entry || continuation) ? std::string(kDisabled) : std::string()) + line + "\n";
  }
  return out + kBegin + "\n" + block + kEnd + "\n";
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

/// main.cf: "name = value" -> "name".
std::string parameter_of(const std::string& line) {
  const size_t eq = line.find('=');
  return trimmed(eq == std::string::npos ? line : line.substr(0, eq));
}

/// master.cf: "smtp inet n - y - - smtpd" -> "smtp/inet".
std::string service_of(const std::string& line) {
  std::vector<std::string> words;
  std::string w;
  for (char c : line + " ") {
    if (c == ' ' || c == '\t') {
      if (!w.empty()) words.push_back(w);
      w.clear();
      if (words.size() == 2) break;
    } else {
      w += c;
    }
  }
  return words.size() == 2 ? words[0] + "/" + words[1] : line;
}

bool valid_host(std::string_view host) {
  if (host.empty() || host.size() > 253 || host.front() == '.' || host.back() == '.' || host.front() == '-')
    return false;
  for (char c : host)
    if (!is_alnum(c) && c != '.' && c != '-') return false;
  return host.find("..") == std::string_view::npos;
}

}  // namespace

std::string fqdn_problem(std::string_view fqdn) {
  if (fqdn.empty()) return "is empty";
  if (fqdn.size() > 253) return "is longer than 253 characters";
  if (fqdn.find('.') == std::string_view::npos) return "has no domain part (host.example.org)";
  size_t start = 0;
  while (start <= fqdn.size()) {
    size_t dot = fqdn.find('.', start);
    if (dot == std::string_view::npos) dot = fqdn.size();
    std::string_view label = fqdn.substr(start, dot - start);
    if (label.empty() || label.size() > 63) return "has an empty label or one longer than 63 characters";
    if (label.front() == '-' || label.back() == '-') return "has a label starting or ending with '-'";
    for (char c : label)
      if (!is_alnum(c) && c != '-') return "holds a character other than letters, digits, '-' and '.'";
    start = dot + 1;
  }
  return "";
}

std::string relayhost_problem(std::string_view relay) {
  if (relay.empty()) return "";
  std::string_view host = relay, port;
  if (relay.front() == '[') {
    const size_t close = relay.find(']');
    if (close == std::string_view::npos) return "has '[' without ']'";
    host = relay.substr(1, close - 1);
    std::string_view rest = relay.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return "has something other than :PORT after ']'";
      port = rest.substr(1);
      if (port.empty()) return "has an empty PORT";
    }
  } else if (const size_t colon = relay.find(':'); colon != std::string_view::npos) {
    host = relay.substr(0, colon);
    port = relay.substr(colon + 1);
    if (port.empty()) return "has an empty PORT";
  }
  if (!valid_host(host)) return "is not HOST, [HOST], HOST:PORT or [HOST]:PORT (HOST: letters, digits, '-' and '.')";
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return "has a PORT that is not a number";
    const int n = std::stoi(std::string(port));
    if (n < 1 || n > 65535) return "has a PORT outside 1-65535";
  }
  return "";
}

std::string path_problem(std::string_view path) {
  if (path.empty() || path.front() != '/') return "is not an absolute path";
  if (path.size() > 200) return "is longer than 200 characters";
  for (char c : path)
    if (!is_alnum(c) && c != '/' && c != '.' && c != '_' && c != '-')
      return "holds a character other than letters, digits and ._-/ (it is written into configuration files)";
  const std::string p = "/" + std::string(path) + "/";
  if (p.find("/../") != std::string::npos || p.find("/./") != std::string::npos) return "holds . or .. components";
  if (normal_path(std::string(path)).empty()) return "is / itself";
  return "";
}

std::string normal_path(std::string path) {
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path;
}

std::string domain_of(const std::string& fqdn) {
  const size_t dot = fqdn.find('.');
  if (dot == std::string::npos) return fqdn;
  std::string rest = fqdn.substr(dot + 1);
  return rest.find('.') == std::string::npos ? fqdn : rest;
}

std::vector<std::pair<std::string, std::string>> main_cf_params(const Params& p) {
  return {
      {"myhostname", p.fqdn},
      {"mydomain", domain_of(p.fqdn)},
      {"myorigin", "$myhostname"},
      {"mydestination", "$myhostname, $mydomain, localhost.$mydomain, localhost"},
      {"relayhost", p.relayhost},
      {"mynetworks", "127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128"},
      {"inet_interfaces", "all"},
      {"smtpd_banner", "$myhostname ESMTP $mail_name"},
      {"biff", "no"},
      {"mailbox_transport", "lmtp:unix:private/dovecot-lmtp"},
      {"mailbox_size_limit", "0"},
      {"recipient_delimiter", "+"},
      {"smtpd_tls_cert_file", p.cert},
      {"smtpd_tls_key_file", p.key},
      {"smtpd_tls_security_level", "may"},
      {"smtpd_tls_auth_only", "yes"},
      {"smtpd_tls_protocols", ">=TLSv1.2"},
      {"smtpd_tls_mandatory_protocols", ">=TLSv1.2"},
      {"smtp_tls_security_level", "may"},
      {"smtpd_sasl_type", "dovecot"},
      {"smtpd_sasl_path", "private/auth"},
      {"smtpd_sasl_auth_enable", "no"},
      {"smtpd_sasl_security_options", "noanonymous"},
      {"smtpd_relay_restrictions", "permit_mynetworks permit_sasl_authenticated defer_unauth_destination"},
  };
}

std::string edit_main_cf(const std::string& text, const Params& p) {
  std::set<std::string> keys;
  std::string block;
  for (const auto& [name, value] : main_cf_params(p)) {
    keys.insert(name);
    block += name + " =" + (value.empty() ? "" : " " + value) + "\n";
  }
  return edited(text, keys, block, parameter_of);
}

std::string restore_main_cf(const std::string& text) {
  return restored(text);
}

std::string master_cf_block() {
  return "smtp      inet  n       -       n       -       -       smtpd\n"
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
         "  user=debian-spamd argv=/usr/bin/spamc -e /usr/sbin/sendmail -oi -f ${sender} ${recipient}\n";
}

std::string edit_master_cf(const std::string& text) {
  return edited(text, {"smtp/inet", "submission/inet", "spamassassin/unix"}, master_cf_block(), service_of);
}

std::string restore_master_cf(const std::string& text) {
  return restored(text);
}

std::string dovecot_conf(const Params& p) {
  const std::string maildir = normal_path(p.maildir);
  return "# Written by `sc mail setup` (synccluster): sc rewrites this file. Put settings of your own in\n"
         "# another file of conf.d; this one is read last, so it wins over the package's.\n"
         "protocols = imap lmtp\n"
         "mail_location = maildir:" +
         maildir + "/%u/Maildir\n" + "mail_home = " + maildir +
         "/%u\n"
         "mail_privileged_group = mail\n"
         "# MAILDIR is root:mail 2775: a user's first delivery or login makes MAILDIR/USER.\n"
         "mail_access_groups = mail\n"
         "first_valid_uid = 1000\n"
         "\n"
         "# IMAP on 143 (STARTTLS; a password in clear only from this host, Dovecot's\n"
         "# disable_plaintext_auth) and IMAPS on 993, with the ssl module's certificate.\n"
         "ssl = yes\n"
         "ssl_cert = <" +
         p.cert + "\n" + "ssl_key = <" + p.key +
         "\n"
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
         "  sieve_before = " +
         kSieveScript +
         "\n"
         "}\n";
}

std::string edit_dovecot_ssl_conf(const std::string& text) {
  std::string out;
  for (const auto& line : lines_of(restored(text))) {
    const std::string name = parameter_of(line);
    const bool ours = line.find('=') != std::string::npos && (name == "ssl_cert" || name == "ssl_key") &&
                      !line.empty() && line[0] != ' ' && line[0] != '\t';
    out += (ours ? std::string(kDisabled) : std::string()) + line + "\n";
  }
  return out;
}

std::string restore_dovecot_ssl_conf(const std::string& text) {
  return restored(text);
}

std::string sieve_script() {
  return "# Written by `sc mail setup` (synccluster): mail SpamAssassin flags as spam goes to Junk.\n"
         "require [\"fileinto\", \"mailbox\"];\n"
         "if header :is \"X-Spam-Flag\" \"YES\" {\n"
         "  fileinto :create \"Junk\";\n"
         "  stop;\n"
         "}\n";
}

std::string spamassassin_conf() {
  return std::string(
             "# Written by `sc mail setup` (synccluster): sc rewrites this file.\n"
             "# Spam keeps its subject and body; the headers say what SpamAssassin found\n"
             "# (X-Spam-Flag: YES files it into Junk).\n"
             "report_safe 0\n"
             "required_score 5.0\n"
             "use_bayes 1\n"
             "bayes_auto_learn 1\n"
             "# One Bayes database for every user: learnt daily from the users' Junk (spam)\n"
             "# and other folders (ham) by `sc mail cron daily`, read by spamd.\n"
             "bayes_path ") +
         kBayesDir +
         "/bayes\n"
         "bayes_file_mode 0660\n";
}

std::string user_maildir(const std::string& maildir, const std::string& user) {
  return normal_path(maildir) + "/" + user + "/Maildir";
}

std::vector<std::string> ham_folders(const std::vector<std::string>& entries) {
  std::vector<std::string> out = {""};
  for (const auto& e : entries) {
    if (e.size() < 2 || e[0] != '.' || e == "..") continue;
    if (e == std::string(".") + kJunk || e == ".Trash" || starts_with(e, ".Junk.") || starts_with(e, ".Trash."))
      continue;
    out.push_back(e);
  }
  return out;
}

std::vector<std::string> sa_learn_argv(bool spam, const std::vector<std::string>& dirs) {
  if (dirs.empty()) return {};
  std::vector<std::string> argv = {"sa-learn", spam ? "--spam" : "--ham", "--no-sync"};
  argv.insert(argv.end(), dirs.begin(), dirs.end());
  return argv;
}

std::vector<std::string> old_spam_argv(const std::vector<std::string>& dirs, int days) {
  if (dirs.empty() || days <= 0) return {};
  std::vector<std::string> argv = {"find"};
  argv.insert(argv.end(), dirs.begin(), dirs.end());
  for (const char* w : {"-maxdepth", "1", "-type", "f", "-mtime"}) argv.push_back(w);
  argv.push_back("+" + std::to_string(days));
  argv.push_back("-delete");
  return argv;
}

}  // namespace mail
