// bluetooth: BlueZ installed and every controller powered on when it is
// found (the original's bluetooth module). The original ran `bluetoothctl
// power on` from a boot unit; BlueZ's own AutoEnable in [Policy] of
// /etc/bluetooth/main.conf does it at bluetoothd's start and for a
// controller plugged in later, so setup sets that one key (see README).
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>

#include "common/apt_ensure.hpp"
#include "common/system_service.hpp"
#include "common/target.hpp"
#include "main_conf.hpp"

namespace {

using nlohmann::json;
namespace conf = bluetooth_conf;

/// The package and the command that tells it is installed.
const std::vector<std::string>& specs() {
  static const std::vector<std::string> s = {"bluez:bluetoothctl"};
  return s;
}

constexpr const char* kClassDir = "/sys/class/bluetooth";

/// The controllers the kernel knows (hci0, hci1...), read through the
/// target so that --root sees the image's /sys.
std::vector<std::string> controllers(const sc::Context& ctx) {
  std::vector<std::string> out;
  if (!ctx.stat(kClassDir, true).is_dir()) return out;
  for (const auto& name : ctx.list_dir(kClassDir)) {
    if (name.size() > 3 && name.compare(0, 3, "hci") == 0 &&
        name.find_first_not_of("0123456789", 3) == std::string::npos)
      out.push_back(name);
  }
  return out;
}

/// AutoEnable's value in main.conf, or nullopt when the file or the key is missing.
std::optional<std::string> auto_enable_now(const sc::Context& ctx) {
  auto text = ctx.read_file(conf::kMainConf);
  if (!text) return std::nullopt;
  try {
    return conf::auto_enable(*text);
  } catch (const conf::Unsupported& e) {
    throw sc::Failure(e.what());
  }
}

bool bluez_installed(const sc::Context& ctx) {
  return plugin_common::apt_ensure::missing_on_target(ctx, specs()).empty();
}

void setup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  plugin_common::apt_ensure::Outcome o = plugin_common::apt_ensure::ensure(ctx, specs());
  auto text = ctx.read_file(conf::kMainConf);
  conf::Edit e;
  try {
    e = conf::enable(text.value_or(""), text.has_value());
  } catch (const conf::Unsupported& x) {
    throw sc::Failure(x.what());
  }
  if (e.changed) {
    // The first record is the host's own state: a later setup (after a
    // hand edit) must not take sc's own line for it.
    if (!ctx.read_file(conf::kRecord)) {
      ctx.make_dir("/var/lib/sc/bluetooth", sc::FileAttr::with_mode(0755));
      ctx.write_file(conf::kRecord, e.record + "\n", sc::FileAttr::with_mode(0644));
    }
    if (!text) ctx.make_dir("/etc/bluetooth", sc::FileAttr::with_mode(0755));
    sc::FileAttr keep = sc::FileAttr::with_mode(0644);
    keep.keep_attrs = true;
    ctx.write_file(conf::kMainConf, e.text, keep);
  }
  // bluetoothd reads main.conf at its start only.
  if (e.changed || !o.installed.empty()) plugin_common::system_service::ensure_running(ctx, "bluetooth", e.changed);
  ctx.print(std::string(e.changed ? "AutoEnable=true set in " : "AutoEnable is already true in ") + conf::kMainConf +
            ": controllers are powered on when bluetoothd finds them\n");
  ctx.result(json{{"installed", o.installed}, {"changed", e.changed}}.dump());
}

void cleanup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  auto record = ctx.read_file(conf::kRecord);
  if (!record) {
    ctx.print(std::string("nothing to put back: setup did not change ") + conf::kMainConf + "\n");
    ctx.result(json{{"changed", false}}.dump());
    return;
  }
  auto text = ctx.read_file(conf::kMainConf);
  conf::Restore r;
  try {
    r = conf::restore(text.value_or(""), *record);
  } catch (const conf::Unsupported& x) {
    throw sc::Failure(x.what());
  }
  if (!r.note.empty()) ctx.warn(r.note);
  if (r.changed && text) {
    if (r.remove_file) {
      ctx.remove(conf::kMainConf);
    } else {
      sc::FileAttr keep = sc::FileAttr::with_mode(0644);
      keep.keep_attrs = true;
      ctx.write_file(conf::kMainConf, r.text, keep);
    }
  }
  ctx.remove(conf::kRecord);
  if (plugin_common::target::exists(ctx, "/var/lib/sc/bluetooth") && ctx.list_dir("/var/lib/sc/bluetooth").empty())
    ctx.remove("/var/lib/sc/bluetooth");
  // BlueZ itself stays, as the original left it: other software may use it.
  if (r.changed && text) ctx.print(std::string("AutoEnable put back as it was in ") + conf::kMainConf + "\n");
  ctx.result(json{{"changed", r.changed && text.has_value()}}.dump());
}

int enabled(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  auto v = auto_enable_now(ctx);
  bool yes = bluez_installed(ctx) && v && conf::is_true(*v);
  ctx.result(yes ? "true" : "false");
  return yes ? SC_OK : SC_FAIL;
}

int ready(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  std::vector<std::string> reasons;
  if (!bluez_installed(ctx)) reasons.push_back("BlueZ is not installed (no bluetoothctl): run `sc bluetooth setup`");
  auto v = auto_enable_now(ctx);
  if (!v || !conf::is_true(*v))
    reasons.push_back(std::string("AutoEnable is not true in [Policy] of ") + conf::kMainConf +
                      ": run `sc bluetooth setup`");
  std::vector<std::string> found = controllers(ctx);
  if (found.empty())
    reasons.push_back(std::string("no Bluetooth controller: ") + kClassDir +
                      " has no hci device (none plugged in, or its driver or firmware is missing)");
  for (const auto& r : reasons) ctx.info(r);
  std::string names;
  for (const auto& c : found) names += " " + c;
  ctx.print(reasons.empty() ? "ready: controllers" + names + "\n" : std::string("not ready\n"));
  ctx.result(json{{"controllers", found}, {"reasons", reasons}}.dump());
  return reasons.empty() ? SC_OK : SC_FAIL;
}

void boot(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  if (controllers(ctx).empty()) {
    ctx.info(std::string("no Bluetooth controller in ") + kClassDir + ": nothing to power on");
    return;
  }
  sc::RunOptions o = plugin_common::system_service::live();
  o.input = "power on\n";
  o.timeout_ms = 15000;
  ctx.run_checked({"bluetoothctl"}, o);
}

}  // namespace

// clang-format off
SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION,
          sc::command<&setup>("setup"),
          sc::command<&cleanup>("cleanup"),
          sc::command<&ready>("ready"),
          sc::command<&enabled>("enabled"),
          sc::command<&boot>("boot"))
// clang-format on
