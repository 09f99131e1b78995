// crontask: periodic runs of a module's `cron` command through
// /etc/cron.d/sc_MODULE_PERIOD files (the original's crontask module).
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>
#include <stdexcept>

#include "common/sc_names.hpp"
#include "common/target.hpp"
#include "cron_line.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kCronDir = "/etc/cron.d";

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
  return s;
}

/// The running sc: cron must start the same program that wrote the entry.
std::string sc_binary() {
  std::string s = plugin_common::sc_names::running_sc();
  if (auto why = crontask::arg_problem(s); !why.empty())
    throw sc::Failure("sc is installed at a path cron cannot run (" + s + "): " + why);
  return s;
}

/// A stable identity of the target host, so schedules differ between
/// hosts but never between runs on one host.
std::string host_id(sc::Context& ctx) {
  for (const char* file : {"/etc/machine-id", "/etc/hostname"})
    if (auto text = ctx.read_file(file)) {
      std::string id = trimmed(*text);
      if (!id.empty()) return id;
    }
  return {};
}

void check_period(const std::string& period) {
  if (!crontask::valid_period(period))
    throw sc::Usage("\"" + period + "\" is not a period; use fast, hourly, daily, weekly or monthly");
}

/// Names of the task files in /etc/cron.d of the target, sorted.
std::vector<std::pair<std::string, std::string>> task_files(sc::Context& ctx) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!ctx.stat(kCronDir, /*follow=*/true).is_dir()) return out;
  for (const auto& name : ctx.list_dir(kCronDir)) {
    std::string module, period;
    if (crontask::parse_file_name(name, &module, &period)) out.emplace_back(module, period);
  }
  auto rank = [](const std::string& p) {
    return std::find(crontask::kPeriods.begin(), crontask::kPeriods.end(), p) - crontask::kPeriods.begin();
  };
  std::sort(out.begin(), out.end(), [&](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : rank(a.second) < rank(b.second);
  });
  return out;
}

/// Entries in /etc/cron.d do nothing without a cron daemon. Any daemon that
/// reads them will do (cron, cronie, systemd-cron); Debian's cron is
/// installed only when none is there.
void ensure_cron_daemon(sc::Context& ctx) {
  for (const char* daemon :
       {"/usr/sbin/cron", "/usr/sbin/crond", "/lib/systemd/system-generators/systemd-crontab-generator",
        "/usr/lib/systemd/system-generators/systemd-crontab-generator"}) {
    if (plugin_common::target::exists(ctx, daemon)) return;
  }
  sc::CallResult r = ctx.call("aptpackage", "ensure", {"cron:/usr/sbin/cron"});
  if (r.status != SC_OK) {
    json doc = json::parse(r.json, nullptr, false);
    std::string why = doc.is_object() && doc["error"].is_string() ? doc["error"].get<std::string>() : "failed";
    throw sc::Failure("cannot install cron: " + why);
  }
}

void add(sc::Context& ctx) {
  ctx.expect_args(2, 1000, "MODULE PERIOD [ARGS...]");
  const auto& a = ctx.args();
  crontask::Task task;
  task.module = plugin_common::sc_names::checked_module_name(a[0]);
  check_period(a[1]);
  task.period = a[1];
  task.args.assign(a.begin() + 2, a.end());
  for (const auto& arg : task.args)
    if (auto why = crontask::arg_problem(arg); !why.empty())
      throw sc::Usage("argument \"" + arg + "\" cannot be passed through cron: " + why);
  task.sc_binary = sc_binary();
  task.schedule = crontask::schedule(host_id(ctx), task.module, task.period);
  std::string text;
  try {
    text = crontask::cron_file(task);
  } catch (const std::invalid_argument& e) {
    throw sc::Usage(std::string(e.what()) + "; pass fewer or shorter arguments");
  }

  ensure_cron_daemon(ctx);
  sc::FileAttr dir = sc::FileAttr::with_mode(0755);
  dir.keep_attrs = true;
  ctx.make_dir(kCronDir, dir);
  // cron ignores files that are group or world writable; none needs +x.
  ctx.write_file(crontask::file_path(task.module, task.period), text, sc::FileAttr::with_mode(0644));
}

void del(sc::Context& ctx) {
  ctx.expect_args(1, 2, "MODULE [PERIOD]");
  const std::string module = plugin_common::sc_names::checked_module_name(ctx.arg(0));
  if (ctx.args().size() == 2) {
    check_period(ctx.arg(1));
    ctx.remove(crontask::file_path(module, ctx.arg(1)));
    return;
  }
  for (auto period : crontask::kPeriods) ctx.remove(crontask::file_path(module, period));
}

int has(sc::Context& ctx) {
  ctx.expect_args(1, 2, "MODULE [PERIOD]");
  const std::string wanted = plugin_common::sc_names::checked_module_name(ctx.arg(0));
  if (ctx.args().size() == 2) check_period(ctx.arg(1));
  bool found = false;
  for (const auto& [module, period] : task_files(ctx))
    if (module == wanted && (ctx.args().size() == 1 || period == ctx.arg(1))) found = true;
  ctx.result(found ? "true" : "false");
  return found ? SC_OK : SC_FAIL;
}

void list(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  json result = json::array();
  std::string text;
  for (const auto& [module, period] : task_files(ctx)) {
    const std::string path = crontask::file_path(module, period);
    json item = {{"module", module}, {"period", period}, {"file", path}};
    std::string line = module + " " + period;
    auto content = ctx.read_file(path);
    auto task = content ? crontask::parse_cron_file(*content) : std::nullopt;
    if (task && task->module == module && task->period == period) {
      item["schedule"] = task->schedule;
      item["args"] = task->args;
      for (const auto& arg : task->args) line += " " + crontask::shell_word(arg);
      line += "\t(" + task->schedule + ")";
    } else {
      item["schedule"] = nullptr;
      item["args"] = nullptr;
      line += "\t(not written by sc crontask add: check " + path + ")";
    }
    result.push_back(std::move(item));
    text += line + "\n";
  }
  ctx.print(text);
  // An entry written by hand (or by an older sc) may hold bytes that are
  // not UTF-8: shown replaced, never a failure of the whole list.
  ctx.result(result.dump(-1, ' ', false, json::error_handler_t::replace));
}

void cleanup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  for (const auto& [module, period] : task_files(ctx)) ctx.remove(crontask::file_path(module, period));
}

}  // namespace

// clang-format off
SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION,
          sc::command<&add>("add"),
          sc::command<&del>("del"),
          sc::command<&has>("has"),
          sc::command<&list>("list"),
          sc::command<&cleanup>("cleanup"))
// clang-format on
