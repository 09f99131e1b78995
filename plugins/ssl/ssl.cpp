// ssl: the host's TLS certificate and key (the original's ssl module, which
// only pointed at the snakeoil pair). The pair lives at SSLCERT/SSLKEY,
// whatever its source: an ACME CA through Debian's lego (issued, renewed
// from cron), a copy of the host's snakeoil pair, the administrator's own
// pair, or a standby's copy of its master's. lego works in its own state
// directory; the pair in place is replaced only by a new pair that was
// read back and checked, so a renewal that fails changes nothing.
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>
#include <string>
#include <vector>

#include "acme.hpp"
#include "common/apt_ensure.hpp"
#include "common/checked_config.hpp"
#include "common/peer_name.hpp"
#include "common/role.hpp"
#include "pem_pair.hpp"

namespace {

using json = nlohmann::json;
namespace cc = plugin_common::checked_config;

constexpr const char* kSnakeoilCert = "/etc/ssl/certs/ssl-cert-snakeoil.pem";
constexpr const char* kSnakeoilKey = "/etc/ssl/private/ssl-cert-snakeoil.key";
constexpr const char* kSslState = "/var/lib/sc/ssl";

std::string setting(const sc::Context& ctx, const char* name, const std::string& fallback = "") {
  return ctx.setting(name).value_or(fallback);
}

/// Throws sc::Usage "NAME: problem; fix" when `problem` is not "".
void refuse_if(const std::string& problem, const char* name) {
  if (!problem.empty())
    throw sc::Usage(std::string(name) + ": " + problem + "; nothing was changed (fix it with `sc settings set " + name +
                    " VALUE`)");
}

/// The settings every mode uses, checked.
struct Config {
  std::string mode;
  std::string cert;
  std::string key;
  std::vector<std::string> reload;
};

Config config(const sc::Context& ctx) {
  Config c;
  c.mode = setting(ctx, "SSL_MODE", "acme");
  c.cert = setting(ctx, "SSLCERT", "/etc/ssl/sc/fullchain.pem");
  c.key = setting(ctx, "SSLKEY", "/etc/ssl/sc/privkey.pem");
  refuse_if(ssl::path_problem(c.cert), "SSLCERT");
  refuse_if(ssl::path_problem(c.key), "SSLKEY");
  if (c.cert == c.key) throw sc::Usage("SSLCERT and SSLKEY are the same file; give the key its own file");
  std::string why;
  auto reload = ssl::reload_services(setting(ctx, "SSL_RELOAD", "nginx postfix dovecot"), &why);
  if (!reload) throw sc::Usage(why + "; nothing was changed");
  c.reload = *reload;
  return c;
}

/// The ACME settings, checked; `fqdn` is used when SSL_ACME_DOMAINS is empty.
struct Acme {
  std::string directory, email, listen, webroot, ca_certificates, challenge;
  std::vector<std::string> domains;
};

Acme acme_config(const sc::Context& ctx, const std::string& fqdn) {
  Acme a;
  a.directory = setting(ctx, "SSL_ACME_DIRECTORY", "https://acme-v02.api.letsencrypt.org/directory");
  a.email = setting(ctx, "SSL_ACME_EMAIL");
  a.listen = setting(ctx, "SSL_ACME_LISTEN", ":80");
  a.webroot = setting(ctx, "SSL_ACME_WEBROOT", "/var/lib/sc/ssl/webroot");
  a.ca_certificates = setting(ctx, "SSL_ACME_CA_CERTIFICATES");
  a.challenge = setting(ctx, "SSL_ACME_CHALLENGE", "auto");
  refuse_if(ssl::directory_problem(a.directory), "SSL_ACME_DIRECTORY");
  refuse_if(ssl::email_problem(a.email), "SSL_ACME_EMAIL");
  refuse_if(ssl::listen_problem(a.listen), "SSL_ACME_LISTEN");
  refuse_if(ssl::path_problem(a.webroot), "SSL_ACME_WEBROOT");
  if (!a.ca_certificates.empty()) refuse_if(ssl::path_problem(a.ca_certificates), "SSL_ACME_CA_CERTIFICATES");
  if (!ssl::challenge(a.challenge, false)) refuse_if("not one of auto, webroot, standalone", "SSL_ACME_CHALLENGE");
  std::string why;
  auto d = ssl::domains(setting(ctx, "SSL_ACME_DOMAINS"), fqdn, &why);
  if (!d) refuse_if(why, "SSL_ACME_DOMAINS");
  a.domains = *d;
  if (a.email.empty() && !a.domains.empty()) a.email = ssl::default_email(a.domains.front());
  return a;
}

/// A setting of a module ssl does not require (hostconf's FQDN, master's
/// MASTER_MODE), read through `sc settings get` as wstunnel reads the
/// master's: only some modes need them. "" when unset.
std::string other_setting(const sc::Context& ctx, const std::string& name) {
  const sc::CallResult r = ctx.call("settings", "get", {name});
  const json doc = json::parse(r.json, nullptr, false);
  if (r.status == SC_OK && doc.is_object() && doc.contains("result") && doc["result"].is_string())
    return doc["result"].get<std::string>();
  return "";
}

/// The FQDN in lower case (certificates hold names in lower case).
std::string fqdn_of(const sc::Context& ctx) {
  std::string fqdn = other_setting(ctx, "FQDN");
  for (char& ch : fqdn)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return fqdn;
}

/// A path as a program run by sc sees it: under --root, inside the root.
std::string program_path(const sc::Context& ctx, const std::string& path) {
  if (!ctx.rooted()) return path;
  std::string root = ctx.root();
  while (!root.empty() && root.back() == '/') root.pop_back();
  return root + path;
}

std::string parent_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

/// The pair at SSLCERT/SSLKEY, as it is.
struct Pair {
  std::optional<std::string> chain, key;
  ssl::PairInfo info;
  bool usable() const { return chain && key && info.problem.empty(); }
};

Pair read_pair(const sc::Context& ctx, const Config& c) {
  Pair p;
  p.chain = ctx.read_file(c.cert);
  p.key = ctx.read_file(c.key);
  if (p.chain && p.key) p.info = ssl::inspect_pair(*p.chain, *p.key);
  return p;
}

ssl::Installed installed_of(const Pair& p) {
  ssl::Installed i;
  i.present = p.usable();
  i.not_after = p.info.not_after;
  i.names = p.info.names;
  return i;
}

std::string names_text(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : " ") + n;
  return out.empty() ? "no name" : out;
}

/// Puts a checked pair at SSLCERT/SSLKEY (the key 0600, never shown in a
/// diff). True when either file changed.
bool install_pair(const sc::Context& ctx, const Config& c, const std::string& chain, const std::string& key,
                  const std::string& from) {
  const ssl::PairInfo info = ssl::inspect_pair(chain, key);
  if (!info.problem.empty()) throw sc::Failure(from + ": " + info.problem + "; the pair in place is kept");
  const Pair now = read_pair(ctx, c);
  const bool changed = now.chain != chain || now.key != key;
  for (const auto& dir : {parent_of(c.cert), parent_of(c.key)})
    if (!ctx.stat(dir, true).is_dir()) ctx.make_dir(dir, sc::FileAttr::with_mode(0755));
  // The key first: a reader that sees the new certificate finds its key.
  sc::FileAttr key_attr = sc::FileAttr::with_mode(0600);
  key_attr.secret = true;
  ctx.write_file(c.key, key, key_attr);
  ctx.write_file(c.cert, chain, sc::FileAttr::with_mode(0644));
  if (changed)
    ctx.print(std::string(ctx.dry_run() ? "would install the " : "") + "certificate for " + names_text(info.names) +
              " (valid until " + ssl::utc_text(info.not_after) + ")" + (ctx.dry_run() ? "" : " installed") + " at " +
              c.cert + ", key at " + c.key + " (" + from + ")\n");
  return changed;
}

cc::Service service_named(const std::string& name) {
  if (name == "nginx") return cc::nginx();
  if (name == "apache2") return cc::apache();
  if (name == "postfix") return cc::postfix();
  return cc::dovecot();
}

/// After the pair changed: each SSL_RELOAD service that runs has its
/// configuration checked, then is reloaded (never restarted). One refused
/// does not stop the others; the command then fails naming it.
void reload_services(const sc::Context& ctx, const Config& c) {
  std::string failed;
  for (const auto& name : c.reload) {
    const cc::Service s = service_named(name);
    if (!cc::running(ctx, s)) {
      ctx.info(name + " does not run: it reads the new certificate when it starts");
      continue;
    }
    try {
      cc::check(ctx, s);
      cc::reload(ctx, s);
    } catch (const sc::Failure& e) {
      ctx.warn(std::string(e.what()) + "\n" + name + " was not reloaded and still serves the previous certificate");
      failed += (failed.empty() ? "" : ", ") + name;
    }
  }
  if (!failed.empty())
    throw sc::Failure("the new certificate is installed, but " + failed +
                      " could not be reloaded (see above); fix the configuration, then reload");
}

void make_state_dirs(const sc::Context& ctx, const Acme& a) {
  // The default webroot is under kSslState: nginx's workers (www-data)
  // must pass through it. lego's account and keys stay private.
  ctx.make_dir(kSslState, sc::FileAttr::with_mode(0755));
  ctx.make_dir(ssl::kLegoDir, sc::FileAttr::with_mode(0700));
  for (const std::string& dir : {a.webroot, a.webroot + "/.well-known", a.webroot + "/.well-known/acme-challenge"})
    if (!ctx.stat(dir, true).is_dir()) ctx.make_dir(dir, sc::FileAttr::with_mode(0755));
}

/// A new order from the CA through lego, then the pair put in place. True
/// when the pair changed. Throws sc::Failure, the pair in place untouched,
/// when lego fails.
bool issue(const sc::Context& ctx, const Config& c, const Acme& a, const std::string& reason) {
  make_state_dirs(ctx, a);
  const bool nginx_runs = cc::running(ctx, cc::nginx());
  ssl::LegoRequest req;
  req.directory = a.directory;
  req.email = a.email;
  req.domains = a.domains;
  req.state_dir = program_path(ctx, ssl::kLegoDir);
  req.challenge = *ssl::challenge(a.challenge, nginx_runs);
  req.webroot = program_path(ctx, a.webroot);
  req.listen = a.listen;
  ctx.info("asking " + a.directory + " for a certificate for " + names_text(a.domains) + " (" + reason + "), " +
           (req.challenge == ssl::Challenge::kWebroot ? "http-01 through nginx from " + a.webroot
                                                      : "http-01 on lego's own server at " + a.listen));
  sc::RunOptions o;
  o.env = ssl::lego_env(a.ca_certificates);
  o.capture_out = o.capture_err = true;
  o.timeout_ms = 600000;
  const sc::RunResult r = ctx.run(ssl::lego_argv(req), o);
  if (r.ran && !r.err.empty()) ctx.debug("lego said:\n" + r.err);  // its log, shown with -v
  if (!r.ran) {
    ctx.print("would ask " + a.directory + " for a certificate for " + names_text(a.domains) + " (" + reason +
              ") and install it at " + c.cert + "\n");
    return false;
  }
  if (!r.ok()) {
    std::string words = r.err.empty() ? r.out : r.err;
    if (words.size() > 4000) words = "..." + words.substr(words.size() - 4000);
    while (!words.empty() && (words.back() == '\n' || words.back() == ' ')) words.pop_back();
    throw sc::Failure("lego could not get a certificate for " + names_text(a.domains) + " from " + a.directory + ":\n" +
                      (words.empty() ? ctx.last_error() : words) + "\nthe certificate and key in place (" + c.cert +
                      ", " + c.key + ") are kept unchanged");
  }
  auto chain = ctx.read_file(ssl::lego_certificate(ssl::kLegoDir, a.domains));
  auto key = ctx.read_file(ssl::lego_key(ssl::kLegoDir, a.domains));
  if (!chain || !key)
    throw sc::Failure("lego succeeded but " + ssl::lego_certificate(ssl::kLegoDir, a.domains) +
                      " or its key cannot be read; the pair in place is kept");
  return install_pair(ctx, c, *chain, *key, "issued by " + a.directory);
}

/// Removes the daily renewal when present (modes without one).
void drop_cron(const sc::Context& ctx) {
  if (ctx.call("crontask", "has", {"ssl"}).status == SC_OK && ctx.call_shown("crontask", "del", {"ssl"}) != SC_OK)
    throw sc::Failure("could not remove the renewal's cron task (see above)");
}

/// Renews under acme when due. True when the pair changed.
bool renew_acme(const sc::Context& ctx, const Config& c, const Acme& a, bool force) {
  const Pair p = read_pair(ctx, c);
  const std::string reason = ssl::renewal_reason(installed_of(p), a.domains, ssl::now_seconds(), force);
  if (reason.empty()) {
    ctx.print("certificate for " + names_text(p.info.names) + " valid until " + ssl::utc_text(p.info.not_after) + " (" +
              std::to_string(ssl::days_left(p.info.not_after, ssl::now_seconds())) + " days left): not renewed\n");
    return false;
  }
  return issue(ctx, c, a, reason);
}

// ---- commands -------------------------------------------------------------

void setup_acme(const sc::Context& ctx, const Config& c, const Acme& a) {
  plugin_common::apt_ensure::ensure(ctx, {"lego:lego"});
  make_state_dirs(ctx, a);
  if (renew_acme(ctx, c, a, false)) reload_services(ctx, c);
  if (ctx.call("crontask", "has", {"ssl", "daily"}).status != SC_OK &&
      ctx.call_shown("crontask", "add", {"ssl", "daily"}) != SC_OK)
    throw sc::Failure("could not add the daily renewal (sc crontask add ssl daily; see above)");
}

/// A standby promoted to master (SSL_MODE peer, MASTER_MODE master) renews
/// the certificate it took from the old master from now on: SSL_MODE
/// becomes acme for the names the certificate holds (the names clients
/// use), unless SSL_ACME_DOMAINS already names them. nullopt, with a
/// warning, when those names cannot be renewed over http-01.
std::optional<Acme> take_over(const sc::Context& ctx, const Config& c) {
  const Pair p = read_pair(ctx, c);
  if (!p.usable()) return std::nullopt;
  std::string names = setting(ctx, "SSL_ACME_DOMAINS"), why;
  const bool from_cert = names.empty();
  if (from_cert)
    for (const auto& n : p.info.names) names += (names.empty() ? "" : " ") + n;
  const auto domains = ssl::domains(names, "", &why);
  if (!domains) {
    ctx.warn("this host is the master now, but its certificate (" + names_text(p.info.names) +
             ") cannot be renewed over http-01: " + why +
             "; SSL_MODE stays peer: set SSL_MODE and SSL_ACME_DOMAINS, then sc ssl setup");
    return std::nullopt;
  }
  // Every other ACME setting checked before anything is stored.
  Acme a = acme_config(ctx, domains->front());
  a.domains = *domains;
  ctx.set_setting("SSL_MODE", "acme");
  if (from_cert) ctx.set_setting("SSL_ACME_DOMAINS", names);
  ctx.info("this host is the master now: the certificate for " + names + " taken from the old master is renewed here");
  return a;
}

void setup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const Config c = config(ctx);
  if (c.mode == "acme") {
    setup_acme(ctx, c, acme_config(ctx, fqdn_of(ctx)));
    return;
  }
  if (c.mode == "peer" && other_setting(ctx, "MASTER_MODE") == "master")
    if (const auto a = take_over(ctx, c)) {
      setup_acme(ctx, c, *a);
      return;
    }
  drop_cron(ctx);
  if (c.mode == "snakeoil") {
    plugin_common::apt_ensure::ensure(ctx, {"ssl-cert:make-ssl-cert"});
    if (!ctx.stat(kSnakeoilCert, true).exists() || !ctx.stat(kSnakeoilKey, true).exists()) {
      sc::RunOptions o;
      o.live = true;
      o.capture_out = o.capture_err = true;
      const sc::RunResult r = ctx.run({"make-ssl-cert", "generate-default-snakeoil"}, o);
      if (!r.ok()) throw sc::Failure("make-ssl-cert could not make the snakeoil pair: " + r.err + ctx.last_error());
    }
    auto chain = ctx.read_file(kSnakeoilCert);
    auto key = ctx.read_file(kSnakeoilKey);
    if (!chain || !key) {
      if (ctx.dry_run() || ctx.rooted()) {
        ctx.print(std::string("would copy the snakeoil pair (") + kSnakeoilCert + ") to " + c.cert + "\n");
        return;
      }
      throw sc::Failure(std::string("the snakeoil pair ") + kSnakeoilCert + ", " + kSnakeoilKey +
                        " cannot be read; make it with `make-ssl-cert generate-default-snakeoil`");
    }
    if (install_pair(ctx, c, *chain, *key, std::string("copy of the snakeoil pair ") + kSnakeoilCert))
      reload_services(ctx, c);
    return;
  }
  const Pair p = read_pair(ctx, c);
  if (!p.chain || !p.key)
    throw sc::Failure("no certificate and key at " + c.cert + " and " + c.key +
                      (c.mode == "peer" ? std::string("; copy the master's with `sc ssl sync MASTER standby`")
                                        : std::string("; put your pair there, or choose another SSL_MODE")));
  if (!p.info.problem.empty()) throw sc::Failure(c.cert + ", " + c.key + ": " + p.info.problem);
  if (const auto attr = ctx.stat(c.key, true); attr.mode & 0077)
    ctx.warn(c.key + " can be read by other users than its owner; chmod 600 it");
  ctx.print("certificate for " + names_text(p.info.names) + " at " + c.cert + ", valid until " +
            ssl::utc_text(p.info.not_after) + "\n");
}

void cleanup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  drop_cron(ctx);
  for (const char* s :
       {"SSLCERT", "SSLKEY", "SSL_MODE", "SSL_ACME_DIRECTORY", "SSL_ACME_EMAIL", "SSL_ACME_DOMAINS",
        "SSL_ACME_CHALLENGE", "SSL_ACME_LISTEN", "SSL_ACME_WEBROOT", "SSL_ACME_CA_CERTIFICATES", "SSL_RELOAD"})
    ctx.unset_setting(s);
}

void ready(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const Config c = config(ctx);
  const Pair p = read_pair(ctx, c);
  if (!p.chain) throw sc::Failure("no certificate at " + c.cert + " (sc ssl setup)");
  if (!p.key) throw sc::Failure("no key at " + c.key + " (sc ssl setup)");
  if (!p.info.problem.empty()) throw sc::Failure(c.cert + ", " + c.key + ": " + p.info.problem);
  const std::int64_t now = ssl::now_seconds();
  if (p.info.not_after <= now)
    throw sc::Failure("the certificate at " + c.cert + " expired on " + ssl::utc_text(p.info.not_after) +
                      " (sc ssl renew)");
  ctx.print("certificate for " + names_text(p.info.names) + " valid until " + ssl::utc_text(p.info.not_after) + " (" +
            std::to_string(ssl::days_left(p.info.not_after, now)) + " days left)\n");
}

int enabled(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const Config c = config(ctx);
  return ctx.stat(c.cert, true).is_file() && ctx.stat(c.key, true).is_file() ? SC_OK : SC_FAIL;
}

void do_renew(const sc::Context& ctx, bool force) {
  const Config c = config(ctx);
  if (c.mode != "acme") {
    ctx.print("SSL_MODE is " + c.mode + ": " +
              (c.mode == "peer" ? "the master's certificate comes with `sc ssl sync`" : "nothing to renew") + "\n");
    return;
  }
  const Acme a = acme_config(ctx, fqdn_of(ctx));
  if (renew_acme(ctx, c, a, force)) reload_services(ctx, c);
}

void renew(sc::Context& ctx) {
  bool force = false;
  for (const auto& a : ctx.args()) {
    if (a == "--force")
      force = true;
    else
      throw sc::Usage("unknown argument \"" + a + "\"; usage: sc ssl renew [--force]");
  }
  do_renew(ctx, force);
}

void cron(sc::Context& ctx) {
  ctx.expect_args(1, 1, "PERIOD");
  if (ctx.arg(0) != "daily")
    throw sc::Usage("PERIOD \"" + ctx.arg(0) + "\": ssl runs daily only (sc crontask add ssl daily)");
  do_renew(ctx, false);
}

void export_pair(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  if (ctx.json()) throw sc::Usage("sc ssl export prints the PEM pair on stdout; run it without --json");
  const Config c = config(ctx);
  const Pair p = read_pair(ctx, c);
  if (!p.chain || !p.key) throw sc::Failure("no certificate and key at " + c.cert + " and " + c.key);
  if (!p.info.problem.empty()) throw sc::Failure(c.cert + ", " + c.key + ": " + p.info.problem);
  ctx.print(ssl::export_text(*p.chain, *p.key));
}

void files(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const Config c = config(ctx);
  // What exists only: a backup names every installed module's files, and
  // a host without a certificate has none to keep.
  std::vector<std::string> paths;
  for (const std::string& p : {c.cert, c.key})
    if (ctx.stat(p, true).is_file()) paths.push_back(p);
  if (c.mode == "acme" && ctx.stat(ssl::kLegoDir, true).is_dir()) paths.push_back(ssl::kLegoDir);
  std::string text;
  for (const auto& p : paths) text += p + "\n";
  ctx.print(text);
  ctx.result(json(paths).dump());
}

/// Copies the tree `from` (a backup's) to `to`, each file with its mode,
/// as secrets (lego's account key is in it).
void copy_tree(const sc::Context& ctx, const std::string& from, const std::string& to) {
  const sc::PathInfo top = ctx.stat(from, false);
  if (top.is_dir()) {
    if (!ctx.stat(to, false).is_dir()) ctx.make_dir(to, sc::FileAttr::with_mode(top.mode & 0777));
    for (const auto& name : ctx.list_dir(from)) copy_tree(ctx, from + "/" + name, to + "/" + name);
  } else if (top.is_file()) {
    auto text = ctx.read_file(from);
    if (!text) throw sc::Failure("cannot read " + from + " of the backup");
    sc::FileAttr a = sc::FileAttr::with_mode(top.mode & 0777);
    a.secret = true;
    ctx.write_file(to, *text, a);
  }
}

void restore(sc::Context& ctx) {
  ctx.expect_args(1, 1, "SOURCE");
  std::string source = ctx.arg(0);
  if (!ssl::path_problem(source).empty() && source != "/")
    throw sc::Usage("SOURCE \"" + source + "\" is not a backup directory: give its absolute path");
  while (source.size() > 1 && source.back() == '/') source.pop_back();
  const Config c = config(ctx);
  const std::string fs = (source == "/" ? "" : source) + "/fs";
  auto chain = ctx.read_file(fs + c.cert);
  auto key = ctx.read_file(fs + c.key);
  if (!chain || !key) {
    ctx.info("the backup " + source + " holds no " + c.cert + " and " + c.key + ": no certificate to restore");
    return;
  }
  if (ctx.stat(fs + ssl::kLegoDir, false).is_dir()) {
    if (!ctx.stat(kSslState, true).is_dir()) ctx.make_dir(kSslState, sc::FileAttr::with_mode(0755));
    copy_tree(ctx, fs + ssl::kLegoDir, ssl::kLegoDir);
  }
  if (install_pair(ctx, c, *chain, *key, "restored from " + source)) reload_services(ctx, c);
}

void sync(sc::Context& ctx) {
  const auto [host, role] = plugin_common::role::sync_args(ctx);
  const Config c = config(ctx);
  if (role == plugin_common::role::Role::master) return;  // the master keeps its own
  if (role != plugin_common::role::Role::standby && c.mode != "peer") {
    ctx.info("SSL_MODE is " + c.mode + ": this host keeps its own certificate (only a standby takes the master's)");
    return;
  }
  sc::RunOptions o;
  o.readonly = true;
  o.capture_out = o.capture_err = true;
  o.timeout_ms = 120000;
  const sc::RunResult r = ctx.peer_run(host, {setting(ctx, "SSHLINK_REMOTE_SC", "sc"), "ssl", "export"}, o);
  if (!r.ok())
    throw sc::Failure("cannot get the certificate of " + host + " (sc ssl export there): " +
                      (r.err.empty() ? ctx.last_error() : r.err) + "; the pair in place is kept");
  std::string chain, key, why;
  if (!ssl::split_export(r.out, &chain, &key, &why))
    throw sc::Failure("what " + host + " sent is not a certificate and key: " + why + "; the pair in place is kept");
  const bool changed = install_pair(ctx, c, chain, key, "copied from " + host);
  if (c.mode != "peer") ctx.set_setting("SSL_MODE", "peer");
  drop_cron(ctx);
  if (changed) reload_services(ctx, c);
}

void setfqdn(sc::Context& ctx) {
  ctx.expect_args(1, 1, "FQDN");
  // Names are case-insensitive; certificates hold them in lower case.
  std::string fqdn = ctx.arg(0);
  for (char& ch : fqdn)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  if (fqdn.empty() || fqdn[0] == '-' ||
      fqdn.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") != std::string::npos)
    throw sc::Usage("FQDN \"" + ctx.arg(0) + "\" is not a host name (letters, digits, '-' and '.')");
  const Config c = config(ctx);
  // Only a host whose certificate sc got from the ACME CA (lego's state is
  // there): hostconf broadcasts this hook on every host where the module is
  // installed, and a pair the administrator put in place is not sc's to
  // replace.
  if (c.mode != "acme" || !ctx.stat(c.cert, true).exists() || !ctx.stat(ssl::kLegoDir, true).is_dir()) return;
  refuse_if(ssl::domain_problem(fqdn), "FQDN");
  if (!setting(ctx, "SSL_ACME_DOMAINS").empty()) {
    ctx.info("SSL_ACME_DOMAINS names the certificate's domains: add " + fqdn + " to it, then sc ssl renew");
    return;
  }
  const Acme a = acme_config(ctx, fqdn);
  if (renew_acme(ctx, c, a, false)) reload_services(ctx, c);
}

}  // namespace

SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION, sc::command<&setup>("setup"), sc::command<&cleanup>("cleanup"),
          sc::command<&ready>("ready"), sc::command<&enabled>("enabled"), sc::command<&renew>("renew"),
          sc::command<&export_pair>("export"), sc::command<&cron>("cron"), sc::command<&files>("files"),
          sc::command<&restore>("restore"), sc::command<&sync>("sync"), sc::command<&setfqdn>("setfqdn"))
