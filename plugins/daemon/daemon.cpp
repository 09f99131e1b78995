// daemon: keeps a module's `daemon` command running as a systemd service
// (the original's daemon module). Units run as root, like every sc command
// (the original ran them as whoever typed `daemon add`), and are restarted
// forever instead of being given up after a few quick failures.
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>

#include "common/sc_names.hpp"
#include "common/system_service.hpp"
#include "common/systemd_unit.hpp"
#include "daemon_unit.hpp"

namespace {

using nlohmann::json;

struct Target {
  std::string module, instance, unit;
};

Target target(const sc::Context& ctx) {
  Target t;
  t.module = plugin_common::sc_names::checked_module_name(ctx.arg(0));
  t.instance = ctx.arg(1);
  if (ctx.args().size() > 1 && !daemon_unit::valid_instance(t.instance))
    throw sc::Usage("\"" + t.instance +
                    "\" is not an instance name (letters, digits, '.', '_' and '-', starting with a letter or digit)");
  t.unit = daemon_unit::unit_name(t.module, t.instance);
  return t;
}

/// Where systemd does not run (an image, a container, a chroot), the unit
/// is only written: systemd starts it when it runs. Says so, with the
/// command that runs the daemon meanwhile.
bool systemd_here(const sc::Context& ctx, const Target& t) {
  if (plugin_common::system_service::systemd_running(ctx)) return true;
  ctx.info("systemd is not running on this host: " + t.unit + " starts when it does (meanwhile: sc " + t.module +
           " daemon" + (t.instance.empty() ? "" : " " + t.instance) + ")");
  return false;
}

void add(sc::Context& ctx) {
  ctx.expect_args(1, 2, "NAME [INSTANCE]");
  Target t = target(ctx);
  const std::string text = daemon_unit::unit_file(plugin_common::systemd_unit::exec_sc_path(), t.module, t.instance);
  const bool changed = plugin_common::systemd_unit::install_unit(ctx, t.unit, text);
  if (!systemd_here(ctx, t)) return;
  if (changed) {
    plugin_common::systemd_unit::daemon_reload(ctx);
    ctx.run_checked({"systemctl", "restart", t.unit}, plugin_common::systemd_unit::live());
  } else if (!ctx.rooted()) {
    // Unchanged: only start it when it is not running.
    sc::RunOptions q;
    q.readonly = true;
    q.capture_out = true;
    q.capture_err = true;
    if (!ctx.run({"systemctl", "is-active", "--quiet", t.unit}, q).ok())
      ctx.run_checked({"systemctl", "restart", t.unit}, plugin_common::systemd_unit::live());
  }
}

void del(sc::Context& ctx) {
  ctx.expect_args(1, 2, "NAME [INSTANCE]");
  Target t = target(ctx);
  const bool existed = plugin_common::systemd_unit::unit_exists(ctx, t.unit);
  const bool live = existed && plugin_common::system_service::systemd_running(ctx);
  if (live) {
    sc::RunResult r = ctx.run({"systemctl", "stop", t.unit}, plugin_common::systemd_unit::live());
    if (!r.ok()) ctx.warn("could not stop " + t.unit + " (removing it anyway): " + ctx.api()->last_error(ctx.host()));
  }
  plugin_common::systemd_unit::remove_unit(ctx, t.unit);
  if (live) plugin_common::systemd_unit::daemon_reload(ctx);
}

void restart(sc::Context& ctx) {
  ctx.expect_args(1, 2, "NAME [INSTANCE]");
  Target t = target(ctx);
  if (!plugin_common::systemd_unit::unit_written(ctx, t.unit))
    throw sc::Usage("there is no unit " + t.unit + ": add it with `sc daemon add " + t.module +
                    (t.instance.empty() ? "" : " " + t.instance) + "`");
  if (!systemd_here(ctx, t)) return;
  ctx.run_checked({"systemctl", "restart", t.unit}, plugin_common::systemd_unit::live());
}

int has(sc::Context& ctx) {
  ctx.expect_args(1, 2, "NAME [INSTANCE]");
  bool yes = plugin_common::systemd_unit::unit_written(ctx, target(ctx).unit);
  ctx.result(yes ? "true" : "false");
  return yes ? SC_OK : SC_FAIL;
}

void list(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  json result = json::array();
  std::string text;
  for (const auto& f : plugin_common::systemd_unit::unit_dir_files(ctx)) {
    std::string module, instance;
    if (!daemon_unit::parse_unit_name(f, &module, &instance)) continue;
    bool enabled = plugin_common::systemd_unit::unit_enabled(ctx, f);
    result.push_back({{"name", module},
                      {"instance", instance.empty() ? json(nullptr) : json(instance)},
                      {"unit", f},
                      {"enabled", enabled}});
    text += module + (instance.empty() ? "" : " " + instance) + (enabled ? "" : "\t(not enabled)") + "\n";
  }
  ctx.print(text);
  ctx.result(result.dump());
}

}  // namespace

// clang-format off
SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION,
          sc::command<&add>("add"),
          sc::command<&del>("del"),
          sc::command<&restart>("restart"),
          sc::command<&has>("has"),
          sc::command<&list>("list"))
// clang-format on
