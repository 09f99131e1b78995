// utils: sets of Debian packages an administrator wants on a host (the
// original's utils module), installed through the aptpackage module.
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>

#include "common/apt_ensure.hpp"
#include "package_sets.hpp"

namespace {

void install(sc::Context& ctx, const std::vector<std::string>& specs) {
  plugin_common::apt_ensure::Outcome o = plugin_common::apt_ensure::ensure(ctx, specs);
  std::string names;
  for (const auto& p : o.installed) names += " " + p;
  ctx.print(o.installed.empty() ? "all " + std::to_string(o.present.size()) + " packages are installed\n"
                                : "installing:" + names + "\n");
  ctx.result(nlohmann::json{{"present", o.present}, {"installed", o.installed}}.dump());
}

void setup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  install(ctx, utils_pkg::admin_set());
}

void client(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  std::string l10n = ctx.setting("UTILS_L10N").value_or("");
  if (!l10n.empty() && !utils_pkg::valid_l10n(l10n))
    throw sc::Usage("UTILS_L10N \"" + l10n +
                    "\" is not a language code of Debian's l10n packages (e.g. fr, de, pt-br); fix it with `sc "
                    "settings set UTILS_L10N fr` or leave it empty");
  install(ctx, utils_pkg::client_set(l10n));
}

void server(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  install(ctx, utils_pkg::server_set());
}

int ready(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  std::vector<std::string> missing = plugin_common::apt_ensure::missing_on_target(ctx, utils_pkg::admin_set());
  ctx.result(nlohmann::json{{"missing", missing}}.dump());
  for (const auto& p : missing) ctx.debug("missing package " + p);
  return missing.empty() ? SC_OK : SC_FAIL;
}

}  // namespace

SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION, sc::command<&setup>("setup"), sc::command<&client>("client"),
          sc::command<&server>("server"), sc::command<&ready>("ready"))
