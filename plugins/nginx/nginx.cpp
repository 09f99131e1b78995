// nginx: sc's TLS front on the master (the original's lib/nginx). Its own
// site, sites-available/sc-front, enabled by a link: the host's other sites
// stay (the original wiped sites-enabled); server_name from the FQDN (the
// original's was hard-coded); TLS 1.2 and 1.3 only (the original's
// defaults allowed RC4 in its day). Every change goes through
// checked_config: `nginx -t` before it stays, a reload (never a restart)
// after.
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <sc/plugin.hpp>

#include "common/checked_config.hpp"
#include "common/conf_snippet.hpp"
#include "site.hpp"

namespace {

using json = nlohmann::json;
namespace checked_config = plugin_common::checked_config;
namespace conf_snippet = plugin_common::conf_snippet;

/// A setting of a module nginx does not require (ssl, wstunnel), read
/// through `sc settings get` as the wstunnel and master modules read
/// theirs: the ssl module provides the certificate but nginx must not set
/// it up by itself (the master role orders them), and wstunnel is optional.
/// nullopt when unset and without a default (or the module is absent).
std::optional<std::string> other_setting(const sc::Context& ctx, const char* name) {
  sc::CallResult r = ctx.call("settings", "get", {name});
  auto doc = json::parse(r.json, nullptr, false);
  if (r.status == SC_OK && doc.is_object() && doc.contains("result") && doc["result"].is_string())
    return doc["result"].get<std::string>();
  return std::nullopt;
}

std::string checked_path(const std::string& value, const char* setting) {
  std::string why;
  if (!nginx::valid_conf_path(value, &why))
    throw sc::Usage(std::string(setting) + ": " + why + "; fix it with `sc settings set " + setting + " PATH`");
  return value;
}

/// The FQDN in lower case (as hostconf stores it), checked.
std::string checked_fqdn(std::string fqdn) {
  for (char& c : fqdn)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  std::string why;
  if (!nginx::valid_fqdn(fqdn, &why)) throw sc::Usage(why);
  return fqdn;
}

/// The FQDN the site names: the argument of the setfqdn hook when given,
/// else the setting FQDN (hostconf).
std::string fqdn_of(const sc::Context& ctx, const std::optional<std::string>& given = std::nullopt) {
  if (given) return checked_fqdn(*given);
  auto v = ctx.setting("FQDN", SC_SETTING_NO_DEFAULT);
  if (!v || v->empty())
    throw sc::Usage("FQDN is not set: nginx's server_name comes from it; set it with `sc hostconf setup`");
  return checked_fqdn(*v);
}

/// Everything the site is made of, checked before anything changes.
nginx::Site site_of(const sc::Context& ctx, const std::string& fqdn) {
  nginx::Site s;
  s.fqdn = fqdn;
  s.cert = checked_path(other_setting(ctx, "SSLCERT").value_or(nginx::kDefaultCert), "SSLCERT");
  s.key = checked_path(other_setting(ctx, "SSLKEY").value_or(nginx::kDefaultKey), "SSLKEY");
  s.acme_webroot =
      checked_path(other_setting(ctx, "SSL_ACME_WEBROOT").value_or(nginx::kDefaultWebroot), "SSL_ACME_WEBROOT");
  s.max_body = ctx.setting("NGINX_MAX_BODY").value_or("512m");
  std::string why;
  if (!conf_snippet::valid_size(s.max_body, &why))
    throw sc::Usage("NGINX_MAX_BODY: " + why + "; fix it with `sc settings set NGINX_MAX_BODY 512m`");
  s.hsts = ctx.setting("NGINX_HSTS").value_or("no") == "yes";
  if (other_setting(ctx, "WSTUNNEL_MODE").value_or("") == "server") {
    s.wstunnel = other_setting(ctx, "WSTUNNEL_LISTEN").value_or("127.0.0.1:8022");
    if (!nginx::valid_endpoint(s.wstunnel, &why))
      throw sc::Usage("WSTUNNEL_LISTEN: " + why + "; fix it with `sc settings set WSTUNNEL_LISTEN 127.0.0.1:8022`");
  }
  return s;
}

std::vector<checked_config::File> site_files(const nginx::Site& s) {
  checked_config::File link{nginx::kSiteLink, ""};
  link.link = nginx::kSiteLinkTarget;
  return {{nginx::kSiteFile, nginx::site_text(s)}, link};
}

void require_nginx(const sc::Context& ctx) {
  if (!ctx.stat("/etc/nginx/nginx.conf", /*follow=*/true).is_file() || !ctx.stat("/etc/nginx/sites-available").is_dir())
    throw sc::Failure(
        "nginx is not installed here (no /etc/nginx/nginx.conf or /etc/nginx/sites-available): apt-get install "
        "nginx");
}

void require_certificate(const sc::Context& ctx, const nginx::Site& s) {
  for (const std::string* p : {&s.cert, &s.key})
    if (!ctx.stat(*p, /*follow=*/true).is_file())
      throw sc::Failure(*p + " does not exist yet: the certificate and key come from `sc ssl setup` (the master " +
                        "role runs it before `sc nginx setup`; a standby takes the master's with `sc ssl sync " +
                        "MASTER standby`); nothing was changed");
}

bool site_enabled(const sc::Context& ctx) {
  const sc::PathInfo link = ctx.stat(nginx::kSiteLink);
  return link.is_symlink() && link.link == nginx::kSiteLinkTarget && ctx.stat(nginx::kSiteFile).is_file();
}

/// Installs the site (checked, restored when refused) and reloads nginx.
/// Debian's `default` site is disabled first when it would collide on port
/// 80, and enabled again when the checker refuses.
bool install_site(const sc::Context& ctx, const nginx::Site& s) {
  std::optional<std::string> disabled;
  const sc::PathInfo def = ctx.stat(nginx::kDebianDefaultLink);
  if (def.exists()) {
    const auto text = ctx.read_file(nginx::kDebianDefaultLink);
    if (text && nginx::listens_default_80(*text)) {
      if (!def.is_symlink())
        throw sc::Failure(std::string(nginx::kDebianDefaultLink) +
                          " is a file, not Debian's link, and listens on port 80 as the default server like sc's "
                          "front: move it away or drop its default_server; nothing was changed");
      disabled = def.link;
      ctx.info("disabling Debian's default nginx site (" + std::string(nginx::kDebianDefaultLink) + " -> " + def.link +
               "): it is the default server on port 80, as sc's front is; its file is kept and `sc " +
               "nginx cleanup` enables it again");
      ctx.remove(nginx::kDebianDefaultLink);
    }
  }
  bool changed = false;
  try {
    changed = checked_config::install(ctx, checked_config::nginx(), site_files(s));
    if (disabled && !changed) checked_config::check(ctx, checked_config::nginx());
  } catch (...) {
    if (disabled) ctx.symlink(*disabled, nginx::kDebianDefaultLink);
    throw;
  }
  if (disabled) {
    if (!ctx.stat("/var/lib/sc/nginx").is_dir()) ctx.make_dir("/var/lib/sc/nginx");
    ctx.write_file(nginx::kDisabledDefaultRecord, *disabled + "\n");
  }
  if (changed || disabled) checked_config::reload(ctx, checked_config::nginx());
  return changed || disabled;
}

void setup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const nginx::Site s = site_of(ctx, fqdn_of(ctx));
  require_nginx(ctx);
  require_certificate(ctx, s);
  if (!ctx.stat(nginx::kLocationsDir).is_dir()) ctx.make_dir(nginx::kLocationsDir);
  if (!ctx.stat(s.acme_webroot).is_dir()) ctx.make_dir(s.acme_webroot);
  install_site(ctx, s);
}

void cleanup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  // The snippets other modules added stay: they belong to those modules
  // (and nothing includes them without sc's site).
  std::vector<std::string> paths = {nginx::kSiteLink, nginx::kSiteFile};
  const auto record = ctx.read_file(nginx::kDisabledDefaultRecord);
  if (record) {
    std::string target = record->substr(0, record->find('\n'));
    if (!target.empty() && !ctx.stat(nginx::kDebianDefaultLink).exists()) {
      ctx.symlink(target, nginx::kDebianDefaultLink);
      ctx.info("enabled Debian's default nginx site again (" + std::string(nginx::kDebianDefaultLink) + ")");
    }
  }
  const bool removed = checked_config::remove(ctx, checked_config::nginx(), paths);
  if (record) ctx.remove(nginx::kDisabledDefaultRecord);
  if (removed || record) checked_config::reload(ctx, checked_config::nginx());
}

/// Set up: the site enabled and the certificate it names in place (what
/// nginx needs to start); whether the daemon runs is the system's business.
int ready(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  if (!site_enabled(ctx)) return SC_FAIL;
  const std::optional<std::string> text = ctx.read_file(nginx::kSiteFile);
  for (const char* directive : {"ssl_certificate ", "ssl_certificate_key "}) {
    const size_t at = text ? text->find(std::string("\n    ") + directive) : std::string::npos;
    if (at == std::string::npos) return SC_FAIL;
    const size_t start = at + 5 + std::string(directive).size(), end = text->find(';', start);
    if (end == std::string::npos || !ctx.stat(text->substr(start, end - start), /*follow=*/true).is_file())
      return SC_FAIL;
  }
  return SC_OK;
}

int enabled(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  return site_enabled(ctx) ? SC_OK : SC_FAIL;
}

void conf(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const std::string text = nginx::site_text(site_of(ctx, fqdn_of(ctx)));
  ctx.print(text);
  ctx.result(json(text).dump());
}

void addconf(sc::Context& ctx) {
  ctx.expect_args(1, 1, "NAME");
  conf_snippet::check_name(ctx.args()[0]);
  const std::string text = conf_snippet::from_stdin(ctx);
  if (!site_enabled(ctx))
    ctx.warn("sc's nginx site is not set up yet (`sc nginx setup`): the snippet waits in " +
             std::string(nginx::kLocationsDir) + " until it is");
  const bool changed = conf_snippet::add(ctx, conf_snippet::Server::nginx, ctx.args()[0], text);
  ctx.result(json{{"name", ctx.args()[0]}, {"changed", changed}}.dump());
}

int hasconf(sc::Context& ctx) {
  ctx.expect_args(1, 1, "NAME");
  return conf_snippet::has(ctx, conf_snippet::Server::nginx, ctx.args()[0]) ? SC_OK : SC_FAIL;
}

void delconf(sc::Context& ctx) {
  ctx.expect_args(1, 1, "NAME");
  const bool removed = conf_snippet::remove(ctx, conf_snippet::Server::nginx, ctx.args()[0]);
  if (!removed) ctx.info("no nginx snippet named " + ctx.args()[0] + ": nothing to remove");
}

/// Hook: the FQDN changed; regenerate server_name where the site is set up.
void setfqdn(sc::Context& ctx) {
  ctx.expect_args(0, 1, "[FQDN]");
  const std::string fqdn = fqdn_of(ctx, ctx.args().empty() ? std::nullopt : std::optional<std::string>(ctx.args()[0]));
  if (!site_enabled(ctx)) return;
  const nginx::Site s = site_of(ctx, fqdn);
  install_site(ctx, s);
}

}  // namespace

SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION, sc::command<&setup>("setup"), sc::command<&cleanup>("cleanup"),
          sc::command<&ready>("ready"), sc::command<&enabled>("enabled"), sc::command<&conf>("conf"),
          sc::command<&addconf>("addconf"), sc::command<&hasconf>("hasconf"), sc::command<&delconf>("delconf"),
          sc::command<&setfqdn>("setfqdn"))
