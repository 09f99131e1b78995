// roundcube: Debian's Roundcube webmail configured by sc (the original
// downloaded Roundcube 1.3.4 and shipped one hard-coded des_key for every
// host): its own random key per host, PostgreSQL through the db module,
// served by Apache under /mail.
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>

#include "common/checked_config.hpp"
#include "common/conf_snippet.hpp"
#include "common/peer_name.hpp"
#include "common/role.hpp"
#include "common/web_app.hpp"
#include "roundcube_config.hpp"

namespace {

using json = nlohmann::json;
namespace web_app = plugin_common::web_app;
namespace snippet = plugin_common::conf_snippet;

int int_setting(const sc::Context& ctx, const std::string& name, int fallback) {
  const auto v = ctx.setting(name);
  if (!v || v->empty()) return fallback;
  try {
    return std::stoi(*v);
  } catch (const std::exception&) {
    throw sc::Failure("the setting " + name + " is not a number: \"" + *v + "\"");
  }
}

bool config_is_ours(const sc::Context& ctx) {
  const auto text = ctx.read_file(roundcube::kConfig);
  return text && roundcube::is_ours(*text);
}

void setup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  // The package and PostgreSQL's PHP driver (roundcube-pgsql brings php-pgsql).
  if (ctx.call_shown("aptpackage", "ensure",
                     {"roundcube-core:/usr/share/roundcube/index.php", "roundcube-pgsql:/usr/share/doc/roundcube-pgsql",
                      "php-pgsql:/etc/php/8.2/mods-available/pgsql.ini"}) != SC_OK)
    throw sc::Failure("Roundcube could not be installed (see above)");

  // Secrets first: a bad stored value stops setup before any change.
  const std::string des_key = web_app::secret_setting(ctx, "ROUNDCUBE_DES_KEY", roundcube::kDesKeyLength);
  if (des_key.size() != roundcube::kDesKeyLength)
    throw sc::Failure("the setting ROUNDCUBE_DES_KEY has " + std::to_string(des_key.size()) +
                      " characters; Roundcube needs exactly 24: unset it (sc settings del ROUNDCUBE_DES_KEY) and sc "
                      "makes a new one");
  const std::string password = web_app::secret_setting(ctx, "ROUNDCUBE_DB_PASSWORD", roundcube::kDbPasswordLength);
  roundcube::Config c;
  c.des_key = des_key;
  c.db_password = password;
  c.db_port = int_setting(ctx, "DB_PGPORT", 5432);
  c.smtp_port = int_setting(ctx, "ROUNDCUBE_SMTP_PORT", 587);
  const std::string config = roundcube::config_text(c);
  web_app::php_check(ctx, config, roundcube::kConfig);

  // The database, its schema when it is new (or when loading it never
  // finished: no mark).
  ctx.make_dir("/var/lib/sc", sc::FileAttr::with_mode(0755));
  const bool existed = web_app::database_exists(ctx, roundcube::kDatabase);
  web_app::ensure_database(ctx, roundcube::kDatabase, roundcube::kDatabase, password, roundcube::kPasswordFile);
  if (!existed || !ctx.stat(roundcube::kSchemaMark).exists()) {
    if (ctx.call_shown("db", "sql", {roundcube::kDatabase, roundcube::kDatabase, "--file", roundcube::kSchema}) !=
        SC_OK)
      throw sc::Failure(std::string("loading Roundcube's schema (") + roundcube::kSchema +
                        ") into the database roundcube failed (see above); if the database holds an older "
                        "attempt, drop it (sc db del roundcube) and run sc roundcube setup again");
    ctx.write_file(roundcube::kSchemaMark, std::string(roundcube::kSchema) + "\n");
  }

  // Debian's config.inc.php is kept once, beside sc's.
  const auto now = ctx.read_file(roundcube::kConfig);
  if (now && !roundcube::is_ours(*now) && !ctx.stat(roundcube::kConfigOrig).exists()) {
    ctx.rename(roundcube::kConfig, roundcube::kConfigOrig);
    ctx.info(std::string("Debian's ") + roundcube::kConfig + " kept as " + roundcube::kConfigOrig);
  }
  sc::FileAttr attr = sc::FileAttr::with_mode(0640);
  attr.group = "www-data";  // read by PHP under Apache
  attr.secret = true;       // the database password and des_key
  ctx.write_file(roundcube::kConfig, config, attr);

  // Debian's own conf first (its link, as a2disconf does; remembered, so
  // that cleanup enables it again), then sc's, checked and reloaded.
  bool disabled = false;
  if (ctx.stat(roundcube::kPackageConfEnabled).exists()) {
    ctx.remove(roundcube::kPackageConfEnabled);
    ctx.write_file(roundcube::kPackageConfMark, std::string(roundcube::kPackageConfEnabled) + "\n");
    ctx.info(std::string("disabled Debian's own Apache conf for Roundcube (") + roundcube::kPackageConfEnabled +
             "): sc's sc_roundcube.conf serves it under /mail");
    disabled = true;
  }
  if (!snippet::add(ctx, snippet::Server::apache, roundcube::kSnippet, roundcube::apache_text()) && disabled) {
    const auto apache = plugin_common::checked_config::apache();
    plugin_common::checked_config::check(ctx, apache);
    plugin_common::checked_config::reload(ctx, apache);
  }
}

void cleanup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  snippet::remove(ctx, snippet::Server::apache, roundcube::kSnippet);
  if (config_is_ours(ctx)) {
    if (ctx.stat(roundcube::kConfigOrig).exists()) {
      ctx.remove(roundcube::kConfig);
      ctx.rename(roundcube::kConfigOrig, roundcube::kConfig);
    } else {
      ctx.remove(roundcube::kConfig);
    }
  }
  if (ctx.stat(roundcube::kPackageConfMark).exists()) {
    if (ctx.stat(roundcube::kPackageConfAvailable).exists() && !ctx.stat(roundcube::kPackageConfEnabled).exists()) {
      ctx.symlink("../conf-available/roundcube.conf", roundcube::kPackageConfEnabled);
      ctx.info(std::string("enabled Debian's own Apache conf for Roundcube again (") + roundcube::kPackageConfEnabled +
               ")");
    }
    ctx.remove(roundcube::kPackageConfMark);
  }
  ctx.info("the database roundcube and the settings ROUNDCUBE_* are kept (sc db del roundcube drops the database)");
}

int ready(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  return config_is_ours(ctx) && snippet::has(ctx, snippet::Server::apache, roundcube::kSnippet) &&
                 web_app::database_exists(ctx, roundcube::kDatabase)
             ? SC_OK
             : SC_FAIL;
}

int enabled(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  return config_is_ours(ctx) ? SC_OK : SC_FAIL;
}

// The hooks answer for a Roundcube sc set up here only: a backup
// broadcasts them to every module installed, set up or not.
void db_hook(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  ctx.result((config_is_ours(ctx) ? json::array({"roundcube:roundcube"}) : json::array()).dump());
}

void files(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  ctx.result((config_is_ours(ctx) ? json::array({roundcube::kConfig}) : json::array()).dump());
}

void sync(sc::Context& ctx) {
  const auto [host, role] = plugin_common::role::sync_args(ctx);
  if (role != plugin_common::role::Role::standby) return;
  if (ctx.call_shown("db", "pull", {"roundcube", host}) != SC_OK)
    throw sc::Failure("the database roundcube could not be copied from " + host + " (see above)");
}

}  // namespace

// clang-format off
SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION,
          sc::command<&setup>("setup"),
          sc::command<&cleanup>("cleanup"),
          sc::command<&ready>("ready"),
          sc::command<&enabled>("enabled"),
          sc::command<&db_hook>("db"),
          sc::command<&files>("files"),
          sc::command<&sync>("sync"))
// clang-format on
