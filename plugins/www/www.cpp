// www: Apache with PHP 8.2 behind nginx (the original's lib/www), on
// 127.0.0.1:8080 only. sc writes its own files (a conf, a site, a PHP ini
// in conf.d) and enables them with links, as a2enconf and a2ensite do; of
// the package's files it changes one line, the `Listen 80` of ports.conf,
// commented out (the original overwrote ports.conf and 000-default.conf and
// ran sed on php.ini). Every change goes through checked_config:
// `apache2ctl -t` before it stays, a graceful reload (never a restart)
// after.
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <sc/plugin.hpp>

#include "apache_conf.hpp"
#include "common/checked_config.hpp"
#include "common/conf_snippet.hpp"
#include "common/peer_name.hpp"
#include "common/role.hpp"

namespace {

using json = nlohmann::json;
namespace checked_config = plugin_common::checked_config;
namespace conf_snippet = plugin_common::conf_snippet;

constexpr const char* kModsAvailable = "/etc/apache2/mods-available/";
constexpr const char* kModsEnabled = "/etc/apache2/mods-enabled/";

std::string web_root(const sc::Context& ctx) {
  const std::string root = ctx.setting("WWW_ROOT").value_or(www::kDefaultRoot);
  std::string why;
  if (!www::valid_root(root, &why))
    throw sc::Usage("WWW_ROOT: " + why + "; fix it with `sc settings set WWW_ROOT /var/www/html`");
  return root;
}

std::string php_size(const sc::Context& ctx, const char* name) {
  const std::string v = ctx.setting(name).value_or("512M");
  std::string why;
  if (!conf_snippet::valid_size(v, &why))
    throw sc::Usage(std::string(name) + ": " + why + "; fix it with `sc settings set " + name + " 512M`");
  return v;
}

www::PhpSettings php_settings(const sc::Context& ctx) {
  www::PhpSettings p;
  p.memory_limit = php_size(ctx, "WWW_MEMORY_LIMIT");
  p.upload_max = php_size(ctx, "WWW_UPLOAD_MAX");
  p.max_execution_time = ctx.setting("WWW_MAX_EXECUTION_TIME").value_or("1200");
  const sc::PathInfo localtime = ctx.stat("/etc/localtime");
  p.timezone = www::timezone_of(ctx.read_file("/etc/timezone").value_or(""), localtime.link);
  return p;
}

void require_apache(const sc::Context& ctx) {
  if (!ctx.stat("/etc/apache2/apache2.conf", /*follow=*/true).is_file())
    throw sc::Failure("Apache is not installed here (no /etc/apache2/apache2.conf): apt-get install apache2");
  for (const auto& m : www::modules())
    if (!ctx.stat(kModsAvailable + m + ".load", /*follow=*/true).is_file())
      throw sc::Failure("the Apache module " + m + " is not installed (no " + kModsAvailable + m + ".load)" +
                        (m == "php8.2" ? ": apt-get install libapache2-mod-php8.2" : ": reinstall apache2") +
                        "; nothing was changed");
}

checked_config::File link(const std::string& path, const std::string& target) {
  checked_config::File f{path, ""};
  f.link = target;
  return f;
}

bool link_is(const sc::Context& ctx, const std::string& path, const std::string& target) {
  const sc::PathInfo i = ctx.stat(path);
  return i.is_symlink() && i.link == target;
}

/// The links a2enmod makes for module `m`: its .load and, when it has one,
/// its .conf.
void add_module_links(const sc::Context& ctx, const std::string& m, std::vector<checked_config::File>* files) {
  for (const char* ext : {".load", ".conf"}) {
    const std::string name = m + ext;
    if (std::string(ext) == ".conf" && !ctx.stat(kModsAvailable + name, /*follow=*/true).exists()) continue;
    files->push_back(link(kModsEnabled + name, "../mods-available/" + name));
  }
}

bool module_enabled(const sc::Context& ctx, const std::string& m) {
  return ctx.stat(kModsEnabled + m + ".load").exists();
}

/// Everything setup installs, from the current settings and files.
std::vector<checked_config::File> setup_files(const sc::Context& ctx, const std::string& root,
                                              const www::PhpSettings& php, std::vector<std::string>* mpm_off) {
  std::vector<checked_config::File> files;
  files.push_back({www::kConfFile, www::conf_text()});
  files.push_back(link(www::kConfLink, www::kConfLinkTarget));
  files.push_back({www::kSiteFile, www::site_text(root)});
  files.push_back(link(www::kSiteLink, www::kSiteLinkTarget));
  files.push_back({www::kPhpIni, www::php_ini_text(php)});
  if (const auto ports = ctx.read_file(www::kPortsFile)) {
    checked_config::File f{www::kPortsFile, www::ports_without_80(*ports)};
    f.attr.keep_attrs = true;
    files.push_back(f);
  }
  // mod_php runs under the prefork MPM only: a2enmod php8.2 switches a
  // threaded MPM off, and so does sc, in the same checked change.
  if (!module_enabled(ctx, "php8.2")) {
    for (const auto& mpm : www::threaded_mpms())
      if (module_enabled(ctx, mpm)) mpm_off->push_back(mpm);
    if (!mpm_off->empty() || !module_enabled(ctx, "mpm_prefork")) add_module_links(ctx, "mpm_prefork", &files);
  }
  for (const auto& m : www::modules()) add_module_links(ctx, m, &files);
  return files;
}

void setup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const std::string root = web_root(ctx);
  const www::PhpSettings php = php_settings(ctx);
  require_apache(ctx);
  std::vector<std::string> mpm_off;
  const std::vector<checked_config::File> files = setup_files(ctx, root, php, &mpm_off);
  for (const char* dir : {"/etc/apache2/conf-available", "/etc/apache2/conf-enabled", "/etc/apache2/sites-available",
                          "/etc/apache2/sites-enabled", "/etc/apache2/mods-enabled", www::kPhpConfDir})
    if (!ctx.stat(dir).is_dir()) ctx.make_dir(dir);
  if (!ctx.stat(root).is_dir()) ctx.make_dir(root);
  // The threaded MPM's links go first (two MPMs are refused), and come
  // back when the checker refuses the whole.
  std::vector<std::pair<std::string, std::string>> removed;
  for (const auto& mpm : mpm_off)
    for (const char* ext : {".load", ".conf"}) {
      const std::string path = kModsEnabled + mpm + ext;
      const sc::PathInfo i = ctx.stat(path);
      if (!i.is_symlink()) continue;
      removed.emplace_back(path, i.link);
      ctx.remove(path);
    }
  bool changed = false;
  try {
    changed = checked_config::install(ctx, checked_config::apache(), files);
  } catch (...) {
    for (const auto& [path, target] : removed) ctx.symlink(target, path);
    throw;
  }
  if (!removed.empty())
    ctx.info("switched Apache from " + mpm_off.front() + " to the prefork MPM, which mod_php 8.2 needs");
  if (changed || !removed.empty()) checked_config::reload(ctx, checked_config::apache());
}

void cleanup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  // ports.conf's Listen 80 back first, while sc's Listen 127.0.0.1:8080 is
  // still there: Apache never has no listener.
  bool changed = false;
  if (const auto ports = ctx.read_file(www::kPortsFile)) {
    checked_config::File f{www::kPortsFile, www::ports_restored(*ports)};
    f.attr.keep_attrs = true;
    changed = checked_config::install(ctx, checked_config::apache(), {f});
  }
  // The modules stay enabled (other sites may use them), the web root and
  // the modules' snippets (sc_NAME.conf) stay: they belong to those modules.
  if (checked_config::remove(ctx, checked_config::apache(),
                             {www::kSiteLink, www::kSiteFile, www::kConfLink, www::kConfFile, www::kPhpIni}))
    changed = true;
  if (changed) checked_config::reload(ctx, checked_config::apache());
}

bool configured(const sc::Context& ctx) {
  return link_is(ctx, www::kConfLink, www::kConfLinkTarget) && ctx.stat(www::kConfFile).is_file() &&
         link_is(ctx, www::kSiteLink, www::kSiteLinkTarget) && ctx.stat(www::kSiteFile).is_file();
}

/// Set up: sc's conf and site enabled, PHP 8.2 enabled (whether the
/// daemon runs is the system's business).
int ready(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  return configured(ctx) && module_enabled(ctx, "php8.2") ? SC_OK : SC_FAIL;
}

int enabled(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  return configured(ctx) ? SC_OK : SC_FAIL;
}

void addconf(sc::Context& ctx) {
  ctx.expect_args(1, 1, "NAME");
  conf_snippet::check_name(ctx.args()[0]);
  const std::string text = conf_snippet::from_stdin(ctx);
  const bool changed = conf_snippet::add(ctx, conf_snippet::Server::apache, ctx.args()[0], text);
  ctx.result(json{{"name", ctx.args()[0]}, {"changed", changed}}.dump());
}

int hasconf(sc::Context& ctx) {
  ctx.expect_args(1, 1, "NAME");
  return conf_snippet::has(ctx, conf_snippet::Server::apache, ctx.args()[0]) ? SC_OK : SC_FAIL;
}

void delconf(sc::Context& ctx) {
  ctx.expect_args(1, 1, "NAME");
  if (!conf_snippet::remove(ctx, conf_snippet::Server::apache, ctx.args()[0]))
    ctx.info("no Apache snippet named " + ctx.args()[0] + ": nothing to remove");
}

/// Hook: what a backup takes of this module.
void files(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  // Only when it exists: a backup asks every installed module, and a path
  // that does not exist fails it.
  const std::string root = web_root(ctx);
  json list = json::array();
  if (ctx.stat(root, true).is_dir()) {
    ctx.print(root + "\n");
    list.push_back(root);
  }
  ctx.result(list.dump());
}

/// The master's web root (its WWW_ROOT), asked over the run's session;
/// this host's own when the master does not say.
std::string master_root(const sc::Context& ctx, const std::string& host, const std::string& fallback) {
  const sc::CallResult r = ctx.peer_sc(host, {"settings", "get", "WWW_ROOT"}, /*readonly=*/true);
  auto doc = json::parse(r.json, nullptr, false);
  if (r.status != SC_OK || !doc.is_object() || !doc["result"].is_string()) return fallback;
  const std::string root = doc["result"].get<std::string>();
  std::string why;
  if (!www::valid_root(root, &why)) throw sc::Failure("the master " + host + "'s WWW_ROOT: " + why);
  return root;
}

/// Hook `sync HOST MODE`: a standby takes the master's web root (a copy,
/// files gone from the master removed); other roles keep their own.
void sync(sc::Context& ctx) {
  const auto [host, role] = plugin_common::role::sync_args(ctx);
  const std::string root = web_root(ctx);
  if (role != plugin_common::role::Role::standby) return;
  const std::string from = master_root(ctx, host, root);
  if (!ctx.stat(root).is_dir()) ctx.make_dir(root);
  sc::FetchOptions o;
  o.peer = host;
  o.source_dir = from;
  o.target_dir = root;
  o.paths = {"."};
  o.delete_extraneous = true;  // the standby's web root is the master's
  o.exact = true;
  const sc::FetchResult r = ctx.fetch(o);
  if (!r.ok()) throw sc::Failure("copying the web root " + from + " from " + host + " failed: " + r.error);
}

}  // namespace

SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION, sc::command<&setup>("setup"), sc::command<&cleanup>("cleanup"),
          sc::command<&ready>("ready"), sc::command<&enabled>("enabled"), sc::command<&addconf>("addconf"),
          sc::command<&hasconf>("hasconf"), sc::command<&delconf>("delconf"), sc::command<&files>("files"),
          sc::command<&sync>("sync"))
