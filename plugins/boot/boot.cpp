// boot: runs a module's `boot` command once at each boot through a oneshot
// systemd unit (the original's boot module). Units run as root, like every
// sc command (the original used whoever typed `boot add`).
#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>

#include "boot_unit.hpp"

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
  if (!boot_unit::plain_exec_path(s))
    throw sc::Failure("sc is installed at " + s +
                      ", a path a unit's ExecStart cannot hold as it is (use letters, digits and /._+- only)");
  return s;
}

std::string module_arg(const sc::Context& ctx) {
  std::string m = ctx.arg(0);
  if (!boot_unit::valid_module_name(m))
    throw sc::Usage("\"" + m + "\" is not a module name (lower-case letters, digits and '-', starting with a letter)");
  return m;
}

std::string unit_path(const std::string& unit) {
  return std::string(boot_unit::kUnitDir) + "/" + unit;
}
std::string link_path(const std::string& unit) {
  return std::string(boot_unit::kWantsDir) + "/" + unit;
}

/// Target of the enable link of `unit` on the target system, or "".
std::string link_target(const sc::Context& ctx, const std::string& unit) {
  sc::detail::HostString real{ctx.api()};
  if (ctx.api()->resolve_path(ctx.host(), boot_unit::kWantsDir, &real.ptr) != SC_OK) return {};
  std::error_code ec;
  fs::path p = fs::read_symlink(fs::path(real.str()) / unit, ec);
  return ec ? std::string() : p.string();
}

sc::RunOptions live() {
  sc::RunOptions o;
  o.live = true;
  return o;
}

void add(sc::Context& ctx) {
  ctx.expect_args(1, 1, "NAME");
  const std::string module = module_arg(ctx), unit = boot_unit::unit_name(module);
  const std::string text = boot_unit::unit_file(sc_binary(), module);
  const bool same = ctx.read_file(unit_path(unit)) == text && link_target(ctx, unit) == unit_path(unit);
  sc::FileAttr dir = sc::FileAttr::with_mode(0755);
  dir.keep_attrs = true;
  ctx.make_dir(boot_unit::kUnitDir, dir);
  ctx.write_file(unit_path(unit), text, sc::FileAttr::with_mode(0644));
  // What `systemctl enable` does, made here so that it works the same under
  // --root and is reported like any other change.
  ctx.make_dir(boot_unit::kWantsDir, dir);
  ctx.symlink(unit_path(unit), link_path(unit));
  // Runs at the next boot, as the original's did; not started now.
  if (!same) ctx.run_checked({"systemctl", "daemon-reload"}, live());
}

void del(sc::Context& ctx) {
  ctx.expect_args(1, 1, "NAME");
  const std::string unit = boot_unit::unit_name(module_arg(ctx));
  const bool existed = ctx.read_file(unit_path(unit)).has_value() || !link_target(ctx, unit).empty();
  ctx.remove(link_path(unit));
  ctx.remove(unit_path(unit));
  if (existed) ctx.run_checked({"systemctl", "daemon-reload"}, live());
}

int has(sc::Context& ctx) {
  ctx.expect_args(1, 1, "NAME");
  bool yes = ctx.read_file(unit_path(boot_unit::unit_name(module_arg(ctx)))).has_value();
  ctx.result(yes ? "true" : "false");
  return yes ? SC_OK : SC_FAIL;
}

void list(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(ctx.resolve_path(boot_unit::kUnitDir), ec))
    files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  json result = json::array();
  std::string text;
  for (const auto& f : files) {
    std::string module;
    if (!boot_unit::parse_unit_name(f, &module)) continue;
    bool enabled = link_target(ctx, f) == unit_path(f);
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
