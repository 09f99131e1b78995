// daemon: keeps a module's `daemon` command running as a systemd service
// (the original's daemon module). Units run as root, like every sc command
// (the original ran them as whoever typed `daemon add`), and are restarted
// forever instead of being given up after a few quick failures.
#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>

#include "daemon_unit.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string sc_binary() {
  std::error_code ec;
  std::string s = fs::read_symlink("/proc/self/exe", ec).string();
  if (ec) throw sc::Failure("cannot tell where sc is installed: /proc/self/exe: " + ec.message());
  const std::string deleted = " (deleted)";
  if (s.size() > deleted.size() && s.compare(s.size() - deleted.size(), deleted.size(), deleted) == 0)
    s.resize(s.size() - deleted.size());
  if (!daemon_unit::plain_exec_path(s))
    throw sc::Failure("sc is installed at " + s +
                      ", a path a unit's ExecStart cannot hold as it is (use letters, digits and /._+- only)");
  return s;
}

struct Target {
  std::string module, instance, unit, unit_path, link_path;
};

Target target(const sc::Context& ctx) {
  Target t;
  t.module = ctx.arg(0);
  t.instance = ctx.arg(1);
  if (!daemon_unit::valid_module_name(t.module))
    throw sc::Usage("\"" + t.module +
                    "\" is not a module name (lower-case letters, digits and '-', starting with a letter)");
  if (ctx.args().size() > 1 && !daemon_unit::valid_instance(t.instance))
    throw sc::Usage("\"" + t.instance +
                    "\" is not an instance name (letters, digits, '.', '_' and '-', starting with a letter or digit)");
  t.unit = daemon_unit::unit_name(t.module, t.instance);
  t.unit_path = std::string(daemon_unit::kUnitDir) + "/" + t.unit;
  t.link_path = std::string(daemon_unit::kWantsDir) + "/" + t.unit;
  return t;
}

/// Target of the symlink at `path` on the target system, or "".
std::string link_target(const sc::Context& ctx, const std::string& dir, const std::string& name) {
  sc::detail::HostString real{ctx.api()};
  if (ctx.api()->resolve_path(ctx.host(), dir.c_str(), &real.ptr) != SC_OK) return {};
  std::error_code ec;
  fs::path p = fs::read_symlink(fs::path(real.str()) / name, ec);
  return ec ? std::string() : p.string();
}

bool unit_exists(const sc::Context& ctx, const Target& t) {
  return ctx.read_file(t.unit_path).has_value() || !link_target(ctx, daemon_unit::kWantsDir, t.unit).empty();
}

sc::RunOptions live() {
  sc::RunOptions o;
  o.live = true;
  return o;
}

void add(sc::Context& ctx) {
  ctx.expect_args(1, 2, "NAME [INSTANCE]");
  Target t = target(ctx);
  const std::string text = daemon_unit::unit_file(sc_binary(), t.module, t.instance);
  const bool same =
      ctx.read_file(t.unit_path) == text && link_target(ctx, daemon_unit::kWantsDir, t.unit) == t.unit_path;
  sc::FileAttr dir = sc::FileAttr::with_mode(0755);
  dir.keep_attrs = true;
  ctx.make_dir(daemon_unit::kUnitDir, dir);
  ctx.write_file(t.unit_path, text, sc::FileAttr::with_mode(0644));
  // What `systemctl enable` does, made here so that it works the same under
  // --root and is reported like any other change.
  ctx.make_dir(daemon_unit::kWantsDir, dir);
  ctx.symlink(t.unit_path, t.link_path);
  if (!same) {
    ctx.run_checked({"systemctl", "daemon-reload"}, live());
    ctx.run_checked({"systemctl", "restart", t.unit}, live());
  } else if (!ctx.rooted()) {
    // Unchanged: only start it when it is not running.
    sc::RunOptions q;
    q.readonly = true;
    q.capture_out = true;
    q.capture_err = true;
    if (!ctx.run({"systemctl", "is-active", "--quiet", t.unit}, q).ok())
      ctx.run_checked({"systemctl", "restart", t.unit}, live());
  }
}

void del(sc::Context& ctx) {
  ctx.expect_args(1, 2, "NAME [INSTANCE]");
  Target t = target(ctx);
  const bool existed = unit_exists(ctx, t);
  if (existed) {
    sc::RunResult r = ctx.run({"systemctl", "stop", t.unit}, live());
    if (!r.ok()) ctx.warn("could not stop " + t.unit + " (removing it anyway): " + ctx.api()->last_error(ctx.host()));
  }
  ctx.remove(t.link_path);
  ctx.remove(t.unit_path);
  if (existed) ctx.run_checked({"systemctl", "daemon-reload"}, live());
}

int has(sc::Context& ctx) {
  ctx.expect_args(1, 2, "NAME [INSTANCE]");
  Target t = target(ctx);
  bool yes = ctx.read_file(t.unit_path).has_value();
  ctx.result(yes ? "true" : "false");
  return yes ? SC_OK : SC_FAIL;
}

void list(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(ctx.resolve_path(daemon_unit::kUnitDir), ec))
    files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  json result = json::array();
  std::string text;
  for (const auto& f : files) {
    std::string module, instance;
    if (!daemon_unit::parse_unit_name(f, &module, &instance)) continue;
    const std::string path = std::string(daemon_unit::kUnitDir) + "/" + f;
    bool enabled = link_target(ctx, daemon_unit::kWantsDir, f) == path;
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
          sc::command<&has>("has"),
          sc::command<&list>("list"))
// clang-format on
