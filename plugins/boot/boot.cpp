// boot: runs a module's `boot` command once at each boot through a oneshot
// systemd unit (the original's boot module). Units run as root, like every
// sc command (the original used whoever typed `boot add`).
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>

#include "boot_unit.hpp"
#include "common/sc_names.hpp"
#include "common/system_service.hpp"
#include "common/systemd_unit.hpp"

namespace {

using nlohmann::json;

/// systemd reads the units again; when it does not run here (an image, a
/// container), it reads them at its start: nothing to reload.
void reload(const sc::Context& ctx) {
  if (plugin_common::system_service::systemd_running(ctx))
    plugin_common::systemd_unit::daemon_reload(ctx);
  else
    ctx.info("systemd is not running on this host: the unit is read when it starts");
}

std::string unit_arg(const sc::Context& ctx) {
  return boot_unit::unit_name(plugin_common::sc_names::checked_module_name(ctx.arg(0)));
}

void add(sc::Context& ctx) {
  ctx.expect_args(1, 1, "NAME");
  const std::string module = plugin_common::sc_names::checked_module_name(ctx.arg(0)),
                    unit = boot_unit::unit_name(module);
  // Runs at the next boot, as the original's did; not started now.
  if (plugin_common::systemd_unit::install_unit(
          ctx, unit, boot_unit::unit_file(plugin_common::systemd_unit::exec_sc_path(), module)))
    reload(ctx);
}

void del(sc::Context& ctx) {
  ctx.expect_args(1, 1, "NAME");
  const std::string unit = unit_arg(ctx);
  const bool existed = plugin_common::systemd_unit::unit_exists(ctx, unit);
  plugin_common::systemd_unit::remove_unit(ctx, unit);
  if (existed) reload(ctx);
}

int has(sc::Context& ctx) {
  ctx.expect_args(1, 1, "NAME");
  bool yes = plugin_common::systemd_unit::unit_written(ctx, unit_arg(ctx));
  ctx.result(yes ? "true" : "false");
  return yes ? SC_OK : SC_FAIL;
}

void list(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  json result = json::array();
  std::string text;
  for (const auto& f : plugin_common::systemd_unit::unit_dir_files(ctx)) {
    std::string module;
    if (!boot_unit::parse_unit_name(f, &module)) continue;
    bool enabled = plugin_common::systemd_unit::unit_enabled(ctx, f);
    result.push_back({{"name", module}, {"unit", f}, {"enabled", enabled}});
    text += module + (enabled ? "" : "\t(not enabled)") + "\n";
  }
  ctx.print(text);
  ctx.result(result.dump());
}

}  // namespace

// clang-format off
SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION,
          sc::command<&add>("add"),
          sc::command<&del>("del"),
          sc::command<&has>("has"),
          sc::command<&list>("list"))
// clang-format on
