// cloud: Nextcloud from a release the administrator names by URL and
// SHA-256 (the original downloaded Nextcloud 12 unchecked, and gave
// www-data a login shell to run occ), verified before anything is
// unpacked, on PostgreSQL through the db module, its users authenticated
// against the mail server's IMAP (user_external), served by Apache under
// /cloud.
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>

#include "cloud_config.hpp"
#include "common/conf_snippet.hpp"
#include "common/module_call.hpp"
#include "common/peer_name.hpp"
#include "common/role.hpp"
#include "common/web_app.hpp"

namespace {

using json = nlohmann::json;
namespace web_app = plugin_common::web_app;
namespace snippet = plugin_common::conf_snippet;

std::string checked_path(const sc::Context& ctx, const std::string& name, const std::string& fallback) {
  const std::string path = ctx.setting(name).value_or(fallback);
  if (std::string why = cloud::path_problem(path); !why.empty())
    throw sc::Usage("the setting " + name + " \"" + path + "\" cannot be used: " + why);
  return path;
}

std::string webroot(const sc::Context& ctx) {
  return checked_path(ctx, "CLOUD_WEBROOT", "/var/www/nextcloud");
}
std::string datadir(const sc::Context& ctx) {
  return checked_path(ctx, "CLOUDDIR", "/srv/cloud");
}

struct Release {
  std::string url, sha256;
};

/// A release named by URL and SHA-256, both checked (Usage when not).
Release checked_release(const std::string& url, const std::string& sha, const std::string& url_name,
                        const std::string& sha_name) {
  if (url.empty() || sha.empty())
    throw sc::Usage(url_name + " and " + sha_name +
                    " must name the Nextcloud release (a .tar.bz2 or .zip from nextcloud.com, and the SHA-256 "
                    "published beside it): sc installs nothing it cannot check; e.g. sc --set CLOUD_URL=... --set "
                    "CLOUD_SHA256=... cloud setup");
  if (std::string why = cloud::url_problem(url); !why.empty())
    throw sc::Usage(url_name + " \"" + url + "\" is not a release URL: " + why);
  const std::string sum = cloud::normalized_sha256(sha);
  if (sum.empty()) throw sc::Usage(sha_name + " \"" + sha + "\" is not a SHA-256 (64 hexadecimal digits)");
  return {url, sum};
}

int int_setting(const sc::Context& ctx, const std::string& name, int fallback) {
  const auto v = ctx.setting(name);
  try {
    return v && !v->empty() ? std::stoi(*v) : fallback;
  } catch (const std::exception&) {
    throw sc::Failure("the setting " + name + " is not a number");
  }
}

/// "SHA256 URL" of the installed release, from sc's state file.
std::optional<Release> installed_release(const sc::Context& ctx) {
  const auto text = ctx.read_file(cloud::kReleaseFile);
  if (!text) return std::nullopt;
  const std::string sum = cloud::normalized_sha256(text->substr(0, 64));
  if (sum.empty() || text->size() < 66) return std::nullopt;
  std::string url = text->substr(65);
  while (!url.empty() && url.back() == '\n') url.pop_back();
  return Release{url, sum};
}

void run_occ(const sc::Context& ctx, const std::string& root, const std::vector<std::string>& args,
             const std::optional<std::string>& input = std::nullopt) {
  sc::RunOptions o;
  o.capture_out = o.capture_err = true;
  o.env = cloud::occ_env();
  o.input = input;
  o.timeout_ms = 30 * 60 * 1000;
  const sc::RunResult r = ctx.run(cloud::occ_argv(ctx.resolve_path(root + "/occ"), args), o);
  if (!r.ok())
    throw sc::Failure("occ " + (args.empty() ? std::string() : args[0]) + " failed in " + root + ":\n" + r.err + r.out);
  if (!r.out.empty()) ctx.print(r.out);
}

/// Downloads the release, checks its SHA-256 and unpacks it into
/// `staging` (made empty first): `staging`/nextcloud. False under
/// --dry-run (planned only: nothing to check).
bool fetch_release(const sc::Context& ctx, const Release& rel, const std::string& staging) {
  ctx.make_dir(cloud::kStateDir, sc::FileAttr::with_mode(0700));
  const std::string archive = std::string(cloud::kDownload) + (cloud::is_zip(rel.url) ? ".zip" : ".tar");
  if (ctx.stat(archive).exists()) ctx.remove(archive);
  sc::RunOptions dl;
  dl.capture_err = true;
  dl.timeout_ms = 30 * 60 * 1000;
  const sc::RunResult got =
      ctx.run({"curl", "--fail", "--silent", "--show-error", "--location", "--max-redirs", "5", "--proto",
               "=https,http,file", "--output", ctx.resolve_path(archive), "--", rel.url},
              dl);
  if (!got.ok()) throw sc::Failure("cannot download " + rel.url + ": " + got.err);
  if (!got.ran) {
    ctx.info("the release would be downloaded, its SHA-256 checked and unpacked");
    return false;
  }
  sc::RunOptions ro;
  ro.readonly = true;
  ro.capture_out = ro.capture_err = true;
  ro.timeout_ms = 10 * 60 * 1000;
  const sc::RunResult sum = ctx.run({"sha256sum", "--", ctx.resolve_path(archive)}, ro);
  const std::string actual = cloud::sha256sum_value(sum.out);
  if (!sum.ok() || actual != rel.sha256) {
    ctx.remove(archive);
    throw sc::Failure("the file downloaded from " + rel.url + " has the SHA-256 " +
                      (actual.empty() ? std::string("(unknown: ") + sum.err + ")" : actual) + ", not " + rel.sha256 +
                      ": it was deleted and nothing was unpacked; check the URL and the SHA-256 published with the "
                      "release");
  }
  if (ctx.stat(staging).exists()) ctx.remove(staging, /*recursive=*/true);
  ctx.make_dir(staging, sc::FileAttr::with_mode(0755));
  sc::RunOptions un;
  un.capture_out = un.capture_err = true;
  un.timeout_ms = 30 * 60 * 1000;
  const sc::RunResult x =
      cloud::is_zip(rel.url)
          ? ctx.run({"unzip", "-q", "-o", ctx.resolve_path(archive), "-d", ctx.resolve_path(staging)}, un)
          : ctx.run({"tar", "-x", "--no-same-owner", "-f", ctx.resolve_path(archive), "-C", ctx.resolve_path(staging)},
                    un);
  ctx.remove(archive);
  if (!x.ok()) throw sc::Failure("cannot unpack the release from " + rel.url + ": " + x.err + x.out);
  if (!ctx.stat(staging + "/nextcloud/occ").is_file()) {
    ctx.remove(staging, /*recursive=*/true);
    throw sc::Failure("the archive from " + rel.url +
                      " holds no nextcloud/occ: it is not a Nextcloud server release; nothing was installed");
  }
  return true;
}

/// The directories Nextcloud writes in its own tree.
void give_to_www_data(const sc::Context& ctx, const std::string& root) {
  for (const char* sub : {"config", "apps"})
    ctx.run_checked({"chown", "-R", "www-data:www-data", "--", ctx.resolve_path(root + "/" + sub)});
}

void write_release(const sc::Context& ctx, const Release& rel) {
  ctx.write_file(cloud::kReleaseFile, rel.sha256 + " " + rel.url + "\n", sc::FileAttr::with_mode(0600));
}

std::string fqdn(const sc::Context& ctx) {
  const sc::CallResult r = ctx.call("hostconf", "fqdn");
  if (r.status != SC_OK) return "";
  const json doc = json::parse(r.json, nullptr, false);
  std::string out = doc.is_object() && doc.contains("output") && doc["output"].is_string() ? doc["output"] : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return cloud::valid_host_name(out) ? out : "";
}

/// config/sc.config.php, checked with php -l first.
void write_fragment(const sc::Context& ctx, const std::string& root, const std::string& name) {
  const std::string text = cloud::fragment_text(name, datadir(ctx));
  web_app::php_check(ctx, text, root + "/" + cloud::kFragment);
  sc::FileAttr a = sc::FileAttr::with_mode(0640);
  a.group = "www-data";
  ctx.write_file(root + "/" + cloud::kFragment, text, a);
}

bool is_installed(const sc::Context& ctx, const std::string& root) {
  const auto config = ctx.read_file(root + "/config/config.php");
  return config && cloud::installed(*config);
}

bool has_app(const sc::Context& ctx, const std::string& root, const std::string& app) {
  return ctx.stat(root + "/apps/" + app).is_dir() || ctx.stat(root + "/custom_apps/" + app).is_dir();
}

// ---- commands -------------------------------------------------------------

void setup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const Release rel = checked_release(ctx.setting("CLOUD_URL").value_or(""), ctx.setting("CLOUD_SHA256").value_or(""),
                                      "CLOUD_URL", "CLOUD_SHA256");
  const std::string root = webroot(ctx), data = datadir(ctx);
  const auto current = installed_release(ctx);
  const bool present = ctx.stat(root).exists();
  if (present && !current)
    throw sc::Usage(root + " exists and sc did not install it: move it away, or set CLOUD_WEBROOT to another place");
  if (current && current->sha256 != rel.sha256)
    throw sc::Usage("the release installed in " + root + " is " + current->url +
                    "; to change it run sc cloud upgrade URL SHA256 (setup does not replace it)");
  const std::string admin = ctx.setting("CLOUD_ADMIN").value_or("admin");
  if (std::string why = cloud::path_problem("/" + admin); !why.empty() || admin.find('/') != std::string::npos)
    throw sc::Usage("the setting CLOUD_ADMIN \"" + admin + "\" is not a user name: use letters, digits and ._-");
  if (ctx.call_shown(
          "aptpackage", "ensure",
          {"curl:curl", "bzip2:bzip2", "unzip:unzip", "php-pgsql:/etc/php/8.2/mods-available/pgsql.ini",
           "php-gd:/etc/php/8.2/mods-available/gd.ini", "php-curl:/etc/php/8.2/mods-available/curl.ini",
           "php-zip:/etc/php/8.2/mods-available/zip.ini", "php-xml:/etc/php/8.2/mods-available/dom.ini",
           "php-mbstring:/etc/php/8.2/mods-available/mbstring.ini", "php-intl:/etc/php/8.2/mods-available/intl.ini",
           "php-bcmath:/etc/php/8.2/mods-available/bcmath.ini", "php-gmp:/etc/php/8.2/mods-available/gmp.ini"}) !=
      SC_OK)
    throw sc::Failure("Nextcloud's PHP modules could not be installed (see above)");
  const std::string db_password = web_app::secret_setting(ctx, "CLOUD_DB_PASSWORD", cloud::kPasswordLength);
  // The administrator's password may be one the administrator chose: any
  // text on one line (it travels on occ's stdin); made at random when unset.
  std::string admin_password = ctx.setting("CLOUD_ADMIN_PASSWORD").value_or("");
  if (admin_password.empty()) admin_password = web_app::secret_setting(ctx, "CLOUD_ADMIN_PASSWORD", 20);
  if (admin_password.find_first_of(std::string("\0\n\r", 3)) != std::string::npos)
    throw sc::Usage("the setting CLOUD_ADMIN_PASSWORD holds a line break or a NUL byte; set another");

  ctx.make_dir("/var/lib/sc", sc::FileAttr::with_mode(0755));
  if (!present) {
    const std::string staging = root + ".sc-new";
    if (!fetch_release(ctx, rel, staging)) return;  // dry run: nothing more can be planned
    ctx.rename(staging + "/nextcloud", root);
    ctx.remove(staging, /*recursive=*/true);
    give_to_www_data(ctx, root);
    write_release(ctx, rel);
  }
  sc::FileAttr data_attr = sc::FileAttr::with_mode(0750);
  data_attr.owner = data_attr.group = "www-data";
  ctx.make_dir(data, data_attr);

  web_app::ensure_database(ctx, cloud::kDatabase, cloud::kDatabase, db_password, cloud::kPasswordFile);
  if (!is_installed(ctx, root)) {
    cloud::Install in;
    in.db_port = int_setting(ctx, "DB_PGPORT", 5432);
    in.admin = admin;
    in.data_dir = data;
    run_occ(ctx, root, cloud::occ_install_args(in), cloud::occ_install_input(db_password, admin_password));
    run_occ(ctx, root,
            {"app:" + std::string(has_app(ctx, root, "user_external") ? "enable" : "install"), "user_external"});
    run_occ(ctx, root, {"background:cron"});
    ctx.info("Nextcloud's administrator is " + admin + "; its password: sc settings get CLOUD_ADMIN_PASSWORD");
  }
  write_fragment(ctx, root, fqdn(ctx));
  plugin_common::module_call::run_shown(ctx, "crontask", "add", {"cloud", "fast"});
  snippet::add(ctx, snippet::Server::apache, cloud::kSnippet, cloud::apache_text(root, data));
}

void cleanup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  snippet::remove(ctx, snippet::Server::apache, cloud::kSnippet);
  if (ctx.call("crontask", "has", {"cloud", "fast"}).status == SC_OK)
    plugin_common::module_call::run_shown(ctx, "crontask", "del", {"cloud", "fast"});
  ctx.info("kept: " + webroot(ctx) + " (Nextcloud and its config.php), " + datadir(ctx) +
           " (the users' files), the database cloud (sc db del cloud drops it)");
}

int ready(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const std::string root = webroot(ctx);
  return installed_release(ctx) && ctx.stat(datadir(ctx)).is_dir() && is_installed(ctx, root) &&
                 snippet::has(ctx, snippet::Server::apache, cloud::kSnippet) &&
                 web_app::database_exists(ctx, cloud::kDatabase)
             ? SC_OK
             : SC_FAIL;
}

int enabled(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  return installed_release(ctx) ? SC_OK : SC_FAIL;
}

void upgrade(sc::Context& ctx) {
  ctx.expect_args(2, 2, "URL SHA256");
  const Release rel = checked_release(ctx.args()[0], ctx.args()[1], "URL", "SHA256");
  const std::string root = webroot(ctx);
  const auto current = installed_release(ctx);
  if (!current || !is_installed(ctx, root))
    throw sc::Usage("no Nextcloud installed by sc in " + root + ": run sc cloud setup first");
  if (current->sha256 == rel.sha256) {
    ctx.print("the release " + rel.sha256 + " is already installed\n");
    return;
  }
  const std::string staging = root + ".sc-new", old = root + ".sc-old";
  if (!fetch_release(ctx, rel, staging)) return;
  const std::string fresh = staging + "/nextcloud";
  // Maintenance first, so that the configuration copied is the final one.
  run_occ(ctx, root, {"maintenance:mode", "--on"});
  auto maintenance_off = [&] {
    try {
      run_occ(ctx, root, {"maintenance:mode", "--off"});
    } catch (const sc::Failure& e) {
      ctx.warn(std::string("could not turn maintenance off: ") + e.what());
    }
  };
  try {
    // The instance's configuration and the apps the new release lacks.
    sc::RunOptions o;
    o.capture_err = true;
    for (const auto& name : ctx.list_dir(root + "/config"))
      if (name.size() > 4 && name.compare(name.size() - 4, 4, ".php") == 0)
        ctx.run_checked(
            {"cp", "-a", "--", ctx.resolve_path(root + "/config/" + name), ctx.resolve_path(fresh + "/config/" + name)},
            o);
    for (const auto& app : ctx.list_dir(root + "/apps"))
      if (!ctx.stat(fresh + "/apps/" + app).exists())
        ctx.run_checked({"cp", "-a", "--", ctx.resolve_path(root + "/apps/" + app), ctx.resolve_path(fresh + "/apps/")},
                        o);
    give_to_www_data(ctx, fresh);
  } catch (const sc::Failure&) {
    maintenance_off();
    throw;
  }
  if (ctx.stat(old).exists()) ctx.remove(old, /*recursive=*/true);
  ctx.rename(root, old);
  ctx.rename(fresh, root);
  ctx.remove(staging, /*recursive=*/true);
  try {
    run_occ(ctx, root, {"upgrade"});
  } catch (const sc::Failure& e) {
    // The old release back in place, as it was.
    ctx.rename(root, staging);
    ctx.rename(old, root);
    maintenance_off();
    throw sc::Failure(std::string(e.what()) + "\nthe previous release is back in " + root +
                      "; the new one was left in " + staging + " to look at");
  }
  run_occ(ctx, root, {"maintenance:mode", "--off"});
  ctx.remove(old, /*recursive=*/true);
  write_release(ctx, rel);
  ctx.set_setting("CLOUD_URL", rel.url);
  ctx.set_setting("CLOUD_SHA256", rel.sha256);
}

// The hooks answer for a Nextcloud sc installed here only, and name what
// exists: a backup broadcasts them to every module installed, set up or not.
void db_hook(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  ctx.result((installed_release(ctx) ? json::array({"cloud:cloud"}) : json::array()).dump());
}

void files(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  json list = json::array();
  if (installed_release(ctx))
    for (const std::string& path : {webroot(ctx) + "/config/config.php", datadir(ctx)})
      if (ctx.stat(path).exists()) list.push_back(path);
  ctx.result(list.dump());
}

void sync(sc::Context& ctx) {
  const auto [host, role] = plugin_common::role::sync_args(ctx);
  if (role != plugin_common::role::Role::standby) return;
  plugin_common::module_call::run_shown(ctx, "db", "pull", {"cloud", host});
  plugin_common::module_call::run_shown(ctx, "files", "pull", {"cloud", host});
}

void cron(sc::Context& ctx) {
  ctx.expect_args(0, 1, "[PERIOD]");
  if (ctx.args().size() == 1 && ctx.args()[0] != "fast" && ctx.args()[0] != "hourly" && ctx.args()[0] != "daily" &&
      ctx.args()[0] != "weekly" && ctx.args()[0] != "monthly")
    throw sc::Usage("PERIOD \"" + ctx.args()[0] + "\" is not one of fast, hourly, daily, weekly, monthly");
  const std::string root = webroot(ctx);
  if (!is_installed(ctx, root)) return;
  sc::RunOptions o;
  o.capture_err = true;
  const sc::RunResult r =
      ctx.run({"runuser", "-u", "www-data", "--", "php", "-f", ctx.resolve_path(root + "/cron.php")}, o);
  if (!r.ok()) throw sc::Failure("Nextcloud's background job (cron.php) failed: " + r.err);
}

void setfqdn(sc::Context& ctx) {
  ctx.expect_args(1, 1, "FQDN");
  const std::string& name = ctx.args()[0];
  if (!cloud::valid_host_name(name)) throw sc::Usage("FQDN \"" + name + "\" is not a host name");
  const std::string root = webroot(ctx);
  if (!is_installed(ctx, root)) return;
  write_fragment(ctx, root, name);
}

}  // namespace

// clang-format off
SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION,
          sc::command<&setup>("setup"),
          sc::command<&cleanup>("cleanup"),
          sc::command<&ready>("ready"),
          sc::command<&enabled>("enabled"),
          sc::command<&upgrade>("upgrade"),
          sc::command<&db_hook>("db"),
          sc::command<&files>("files"),
          sc::command<&sync>("sync"),
          sc::command<&cron>("cron"),
          sc::command<&setfqdn>("setfqdn"))
// clang-format on
