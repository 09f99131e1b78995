// mail: Postfix, Dovecot and SpamAssassin for the cluster's users (the
// original's lib/mail, with Debian 12's choices: Dovecot LMTP and a Sieve
// script instead of procmail, a daily learning that runs). Every
// configuration comes from mail_config.cpp and is installed through
// common/checked_config: the service's own checker first, the previous
// file back when it refuses, then a reload (never a restart).
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>

#include "common/apt_ensure.hpp"
#include "common/checked_config.hpp"
#include "common/module_call.hpp"
#include "common/peer_name.hpp"
#include "common/role.hpp"
#include "common/system_service.hpp"
#include "mail_config.hpp"

namespace {

using nlohmann::json;
namespace checked_config = plugin_common::checked_config;

const std::vector<std::string> kPackages = {"postfix:postfix",      "dovecot-imapd:dovecot", "dovecot-lmtpd",
                                            "dovecot-sieve:sievec", "spamassassin:sa-learn", "spamc:spamc",
                                            "spamd:spamd"};
constexpr const char* kDefaultCert = "/etc/ssl/sc/fullchain.pem";
constexpr const char* kDefaultKey = "/etc/ssl/sc/privkey.pem";

/// spamd, whose configuration `spamassassin --lint` checks; reloaded by
/// SIGHUP when it runs without systemd.
checked_config::Service spamd() {
  return {"spamd",
          {"spamassassin", "--lint"},
          {"start-stop-daemon", "--stop", "--signal", "HUP", "--quiet", "--pidfile", "/run/spamd.pid"},
          {"spamd", "--daemonize", "--pidfile=/run/spamd.pid", "--create-prefs", "--helper-home-dir"},
          "/run/spamd.pid"};
}

std::string checked_path_setting(const sc::Context& ctx, const char* name, const std::string& fallback) {
  std::string value = ctx.setting(name).value_or("");
  if (value.empty()) value = fallback;
  if (auto why = mail::path_problem(value); !why.empty())
    throw sc::Usage(std::string(name) + " \"" + value + "\" " + why + "; fix it with `sc settings set " + name +
                    " PATH`");
  return mail::normal_path(value);
}

std::string maildir_setting(const sc::Context& ctx) {
  return checked_path_setting(ctx, "MAILDIR", "/var/mail");
}

std::string checked_fqdn(const std::string& fqdn, const std::string& what) {
  if (auto why = mail::fqdn_problem(fqdn); !why.empty())
    throw sc::Usage(what + " \"" + fqdn + "\" " + why + "; give the host's name with its domain, e.g. m.example.org");
  return fqdn;
}

/// Every setting the files depend on, checked before anything changes.
/// `fqdn`: the name to use (setfqdn's argument), else the FQDN setting.
/// `ask`: an unset FQDN is asked for (setup), else refused (ready).
mail::Params params(const sc::Context& ctx, const std::string& fqdn = "", bool ask = true) {
  mail::Params p;
  if (!fqdn.empty()) {
    p.fqdn = fqdn;
  } else if (ask) {
    p.fqdn = checked_fqdn(ctx.setting_or_prompt("FQDN"), "FQDN");
  } else {
    const auto set = ctx.setting("FQDN");
    if (!set) throw sc::Usage("FQDN is not set (`sc hostconf setup`)");
    p.fqdn = checked_fqdn(*set, "FQDN");
  }
  // Asked at setup, as the original did (blank: send directly).
  p.relayhost = ask ? ctx.setting_or_prompt("MAIL_RELAYHOST") : ctx.setting("MAIL_RELAYHOST").value_or("");
  if (auto why = mail::relayhost_problem(p.relayhost); !why.empty())
    throw sc::Usage("MAIL_RELAYHOST \"" + p.relayhost + "\" " + why +
                    "; fix it with `sc settings set MAIL_RELAYHOST [HOST]:PORT` (empty: send directly)");
  p.maildir = maildir_setting(ctx);
  p.cert = checked_path_setting(ctx, "SSLCERT", kDefaultCert);
  p.key = checked_path_setting(ctx, "SSLKEY", kDefaultKey);
  return p;
}

int junk_days(const sc::Context& ctx) {
  const std::string v = ctx.setting("MAIL_JUNK_DAYS").value_or("30");
  try {
    return std::stoi(v);
  } catch (const std::exception&) {
    throw sc::Usage("MAIL_JUNK_DAYS \"" + v + "\" is not a number of days");
  }
}

std::string current(const sc::Context& ctx, const std::string& path) {
  return ctx.read_file(path).value_or("");
}

/// main.cf as it is, or, when the package's postinst did not write one
/// (installed with "No configuration"), Debian's template as it would.
std::string main_cf_now(const sc::Context& ctx) {
  if (auto text = ctx.read_file(mail::kMainCf)) return *text;
  return current(ctx, "/usr/share/postfix/main.cf.debian");
}

/// Postfix's two files as sc wants them, from what they hold now.
std::vector<checked_config::File> postfix_files(const sc::Context& ctx, const mail::Params& p) {
  return {{mail::kMainCf, mail::edit_main_cf(main_cf_now(ctx), p), {}},
          {mail::kMasterCf, mail::edit_master_cf(current(ctx, mail::kMasterCf)), {}}};
}

/// Dovecot, whose checker also opens the files a `<FILE` value names
/// (`-x`), as the daemon does when it starts: a missing certificate is
/// refused here rather than when Dovecot next starts.
checked_config::Service dovecot() {
  checked_config::Service s = checked_config::dovecot();
  s.check = {"doveconf", "-n", "-x"};
  return s;
}

std::vector<checked_config::File> dovecot_files(const sc::Context& ctx, const mail::Params& p) {
  std::vector<checked_config::File> files = {{mail::kSieveScript, mail::sieve_script(), {}},
                                             {mail::kDovecotConf, mail::dovecot_conf(p), {}}};
  if (auto ssl = ctx.read_file(mail::kDovecotSslConf))
    files.push_back({mail::kDovecotSslConf, mail::edit_dovecot_ssl_conf(*ssl), {}});
  return files;
}

void install_postfix(const sc::Context& ctx, const mail::Params& p) {
  if (checked_config::install(ctx, checked_config::postfix(), postfix_files(ctx, p)))
    checked_config::reload(ctx, checked_config::postfix());
}

/// The Bayes database's directory: spamd (debian-spamd) and the daily
/// sa-learn (root) both write it, through its group.
void make_bayes_dir(const sc::Context& ctx) {
  sc::FileAttr a = sc::FileAttr::with_mode(02770);
  a.owner = "debian-spamd";
  a.group = "debian-spamd";
  ctx.make_dir(mail::kBayesDir, a);
}

void setup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const mail::Params p = params(ctx);
  // Dovecot's checker does not open them, and a daemon reloaded without
  // them stops serving TLS: refused before anything changes.
  for (const auto& [name, path] : {std::pair{"SSLCERT", p.cert}, std::pair{"SSLKEY", p.key}})
    if (!ctx.stat(path, true).is_file())
      throw sc::Failure(std::string(name) + " " + path +
                        " does not exist: the certificate comes first (`sc ssl setup`); nothing was changed");
  plugin_common::apt_ensure::ensure(ctx, kPackages);

  sc::FileAttr dir = sc::FileAttr::with_mode(02775);
  dir.group = "mail";
  ctx.make_dir(p.maildir, dir);

  // The packages make these; a dry run (or an image) may not have them yet.
  for (const char* d : {"/etc/spamassassin", "/etc/dovecot", "/etc/dovecot/conf.d", "/etc/postfix"})
    ctx.make_dir(d, sc::FileAttr::with_mode(0755));
  if (checked_config::install(ctx, spamd(), {{mail::kSpamConf, mail::spamassassin_conf(), {}}}))
    checked_config::reload(ctx, spamd());
  make_bayes_dir(ctx);

  ctx.make_dir(mail::kSieveDir, sc::FileAttr::with_mode(0755));
  const bool dovecot_changed = checked_config::install(ctx, dovecot(), dovecot_files(ctx, p));
  // Dovecot runs the Sieve script as the user, who cannot write beside
  // it: compiled here, once per change.
  if (dovecot_changed || !ctx.stat(mail::kSieveBinary).exists())
    ctx.run_checked({"sievec", mail::kSieveScript}, plugin_common::system_service::live());
  if (dovecot_changed) checked_config::reload(ctx, dovecot());

  install_postfix(ctx, p);
  if (!ctx.stat("/etc/aliases.db").exists()) ctx.run_checked({"newaliases"}, plugin_common::system_service::live());

  plugin_common::module_call::run_shown(ctx, "crontask", "add", {"mail", "daily"});
  // The directory the files were written for, kept (a MAILDIR given with
  // --set included) once everything is in place.
  ctx.set_setting("MAILDIR", p.maildir);
}

/// Why mail is not ready; empty when it is.
std::vector<std::string> not_ready(const sc::Context& ctx) {
  std::vector<std::string> why;
  for (const auto& pkg : plugin_common::apt_ensure::missing_on_target(ctx, kPackages))
    why.push_back("the package " + pkg + " is not installed");
  mail::Params p;
  try {
    p = params(ctx, "", /*ask=*/false);
  } catch (const sc::Usage& e) {
    why.push_back(e.what());
    return why;
  }
  if (!ctx.stat(p.maildir, true).is_dir()) why.push_back(p.maildir + " (MAILDIR) does not exist");
  std::vector<checked_config::File> files = dovecot_files(ctx, p);
  for (auto& f : postfix_files(ctx, p)) files.push_back(f);
  files.push_back({mail::kSpamConf, mail::spamassassin_conf(), {}});
  for (const auto& f : files)
    if (ctx.read_file(f.path) != f.text) why.push_back(f.path + " is not as `sc mail setup` writes it");
  if (ctx.call("crontask", "has", {"mail", "daily"}).status != SC_OK) why.push_back("the daily cron task is missing");
  return why;
}

int ready(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const auto why = not_ready(ctx);
  std::string text;
  for (const auto& w : why) text += "not ready: " + w + "\n";
  ctx.print(why.empty() ? "mail is ready\n" : text);
  ctx.result(json{{"ready", why.empty()}, {"reasons", why}}.dump());
  return why.empty() ? SC_OK : SC_FAIL;
}

int enabled(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  return ctx.stat(mail::kDovecotConf).exists() ? SC_OK : SC_FAIL;
}

void cleanup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  plugin_common::module_call::run_shown(ctx, "crontask", "del", {"mail"});
  std::vector<checked_config::File> postfix;
  for (const char* path : {mail::kMainCf, mail::kMasterCf})
    if (auto text = ctx.read_file(path)) postfix.push_back({path, mail::restore_main_cf(*text), {}});
  if (checked_config::install(ctx, checked_config::postfix(), postfix))
    checked_config::reload(ctx, checked_config::postfix());
  // The package's certificate lines back first (sc's file still names a
  // certificate), then sc's file removed; what is left is the host's, so
  // only checked as `doveconf -n` does.
  bool dovecot_changed = false;
  if (auto ssl = ctx.read_file(mail::kDovecotSslConf))
    dovecot_changed = checked_config::install(ctx, checked_config::dovecot(),
                                              {{mail::kDovecotSslConf, mail::restore_dovecot_ssl_conf(*ssl), {}}});
  dovecot_changed |= checked_config::remove(ctx, checked_config::dovecot(), {mail::kDovecotConf});
  if (dovecot_changed) checked_config::reload(ctx, dovecot());
  for (const char* path : {mail::kSieveScript, mail::kSieveBinary})
    if (ctx.stat(path).exists()) ctx.remove(path);
  if (checked_config::remove(ctx, spamd(), {mail::kSpamConf})) checked_config::reload(ctx, spamd());
  ctx.print("mail's configuration removed; the mail in " + maildir_setting(ctx) + " and the Bayes database in " +
            mail::kBayesDir + " are kept\n");
}

void setfqdn(sc::Context& ctx) {
  ctx.expect_args(1, 1, "FQDN");
  const std::string fqdn = checked_fqdn(ctx.arg(0), "FQDN");
  if (!ctx.stat(mail::kDovecotConf).exists()) {
    ctx.info("mail is not set up here: nothing names the host");
    return;
  }
  install_postfix(ctx, params(ctx, fqdn));
}

/// This host's role (MASTER_MODE), read through `sc settings get`: mail
/// does not require the master module; "" without one.
std::string master_mode(const sc::Context& ctx) {
  sc::CallResult r = ctx.call("settings", "get", {"MASTER_MODE"});
  auto doc = json::parse(r.json, nullptr, false);
  if (r.status == SC_OK && doc.is_object() && doc.contains("result") && doc["result"].is_string())
    return doc["result"].get<std::string>();
  return "";
}

/// The users' Maildirs under MAILDIR (USER/Maildir directories).
std::vector<std::string> maildirs(const sc::Context& ctx, const std::string& maildir) {
  std::vector<std::string> out;
  if (!ctx.stat(maildir, true).is_dir()) return out;
  for (const auto& user : ctx.list_dir(maildir)) {
    const std::string dir = mail::user_maildir(maildir, user);
    if (ctx.stat(dir).is_dir()) out.push_back(dir);
  }
  return out;
}

/// A directory with at least one message: sa-learn fails on a set of
/// empty ones ("0 message(s) examined", exit 1).
bool holds_mail(const sc::Context& ctx, const std::string& dir) {
  return ctx.stat(dir).is_dir() && !ctx.list_dir(dir).empty();
}

void learn(const sc::Context& ctx, bool spam, const std::vector<std::string>& dirs) {
  const auto argv = mail::sa_learn_argv(spam, dirs);
  if (argv.empty()) return;
  sc::RunOptions o = plugin_common::system_service::live();
  o.capture_out = o.capture_err = true;
  o.timeout_ms = 3600 * 1000;
  sc::RunResult r = ctx.run(argv, o);
  if (!r.ok()) throw sc::Failure("sa-learn (" + std::string(spam ? "spam" : "ham") + ") failed: " + r.err + r.out);
  if (!r.out.empty()) ctx.info(std::string(spam ? "spam: " : "ham: ") + r.out);
}

void cron(sc::Context& ctx) {
  ctx.expect_args(1, 1, "PERIOD");
  const std::string& period = ctx.arg(0);
  if (period != "fast" && period != "hourly" && period != "daily" && period != "weekly" && period != "monthly")
    throw sc::Usage("PERIOD \"" + period + "\" is not fast, hourly, daily, weekly or monthly");
  const std::string maildir = maildir_setting(ctx);
  const int days = junk_days(ctx);
  if (period != "daily") return;
  if (master_mode(ctx) == "standby") {
    ctx.print("a standby: its mail is the master's copy, the master learns from it\n");
    return;
  }
  std::vector<std::string> spam, ham;
  for (const auto& box : maildirs(ctx, maildir)) {
    for (const char* sub : {"/cur", "/new"}) {
      const std::string d = box + "/." + mail::kJunk + sub;
      if (holds_mail(ctx, d)) spam.push_back(d);
    }
    // Ham: the mail a user has read (cur/) in every folder but Junk and Trash.
    for (const auto& folder : mail::ham_folders(ctx.list_dir(box))) {
      const std::string d = box + (folder.empty() ? "" : "/" + folder) + "/cur";
      if (holds_mail(ctx, d)) ham.push_back(d);
    }
  }
  make_bayes_dir(ctx);
  learn(ctx, true, spam);
  learn(ctx, false, ham);
  if (!spam.empty() || !ham.empty()) {
    sc::RunOptions o = plugin_common::system_service::live();
    o.capture_out = o.capture_err = true;
    o.timeout_ms = 600 * 1000;
    sc::RunResult r = ctx.run({"sa-learn", "--sync"}, o);
    if (!r.ok()) throw sc::Failure("sa-learn --sync failed: " + r.err + r.out);
  }
  ctx.print("learnt from " + std::to_string(spam.size()) + " spam and " + std::to_string(ham.size()) +
            " ham folders\n");
  if (const auto argv = mail::old_spam_argv(spam, days); !argv.empty()) {
    sc::RunOptions o = plugin_common::system_service::live();
    o.capture_err = true;
    ctx.run_checked(argv, o);
  }
}

void files(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  // What exists only: a backup names every installed module's files, and a
  // host without mail has none of them.
  json list = json::array();
  for (const std::string& p : {maildir_setting(ctx), std::string("/etc/aliases"), std::string(mail::kBayesDir)})
    if (ctx.stat(p, true).exists()) list.push_back(p);
  std::string text;
  for (const auto& f : list) text += f.get<std::string>() + "\n";
  ctx.print(text);
  ctx.result(list.dump());
}

std::string error_of(const sc::CallResult& r) {
  auto doc = json::parse(r.json, nullptr, false);
  return doc.is_object() && doc["error"].is_string() ? doc["error"].get<std::string>() : "failed";
}

void sync(sc::Context& ctx) {
  const auto [host, role] = plugin_common::role::sync_args(ctx);
  const std::string maildir = maildir_setting(ctx);
  if (role != plugin_common::role::Role::standby) return;

  // The maildirs, both ways (a promoted standby's mail flows back), the
  // standby's empty MAILDIR filled from the master's on the first run.
  sc::CallResult r = ctx.call("unisonsync", "start", {host, maildir, maildir, "--fill-empty"});
  if (r.status == plugin_common::module_call::kNotInstalled)
    throw sc::Failure("the unisonsync module is not available here (" + error_of(r) +
                      "); install synccluster-plugin-unisonsync to replicate the mail");
  if (r.status != SC_OK) throw sc::Failure("cannot synchronise " + maildir + " with " + host + ": " + error_of(r));

  sc::FetchOptions f;
  f.peer = host;
  f.target_dir = "/";
  f.paths = {"etc/aliases", std::string(mail::kBayesDir).substr(1)};
  sc::FetchResult copied = ctx.fetch(f);
  if (!copied.ok())
    throw sc::Failure("cannot copy /etc/aliases and the Bayes database from " + host + ": " + copied.error);
  ctx.run_checked({"newaliases"}, plugin_common::system_service::live());
  checked_config::reload(ctx, checked_config::postfix());
  ctx.print("mail of " + host + " synchronised\n");
}

}  // namespace

SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION, sc::command<&setup>("setup"), sc::command<&cleanup>("cleanup"),
          sc::command<&ready>("ready"), sc::command<&enabled>("enabled"), sc::command<&setfqdn>("setfqdn"),
          sc::command<&cron>("cron"), sc::command<&files>("files"), sc::command<&sync>("sync"))
