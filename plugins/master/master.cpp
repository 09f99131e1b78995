// master: this host's role in the cluster (the original's master module):
// the master, a standby ready to take over, a backup server, a client whose
// homes are the master's over NFS, or a roaming client whose homes are
// synchronised. What each role sets up is the role table (roles.cpp).
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>
#include <set>

#include "common/peer_name.hpp"
#include "follow.hpp"
#include "roles.hpp"

namespace {

using master::Role;
using nlohmann::json;

constexpr const char* kModeSetting = "MASTER_MODE";
constexpr const char* kHostSetting = "MASTER_HOST";
constexpr const char* kAppliedSetting = "MASTER_APPLIED";
/// Status of a call whose module is not installed.
constexpr int kNotInstalled = 3;

/// This host's role as stored: nullopt when MASTER_MODE is unset (the core
/// checks the stored value against the manifest's choices).
std::optional<Role> stored_role(const sc::Context& ctx) {
  auto text = ctx.setting(kModeSetting);
  if (!text || text->empty()) return std::nullopt;
  auto role = master::parse_role(*text);
  if (!role)
    throw sc::Usage("MASTER_MODE is \"" + *text +
                    "\", not a role: set it with `sc settings set MASTER_MODE master|standby|backup|client|roaming`");
  return role;
}

/// The original's setting MASTER (a host restored from its backup, or its
/// /etc/sc imported), which MASTER_HOST replaces; "" when unset.
std::string original_master(const sc::Context& ctx) {
  auto doc = json::parse(ctx.call("settings", "get", {"MASTER"}).json, nullptr, false);
  if (doc.is_object() && doc.value("status", SC_FAIL) == SC_OK && doc["result"].is_string())
    return doc["result"].get<std::string>();
  return "";
}

/// MASTER_HOST (else the original's MASTER), checked; "" when unset.
std::string stored_master(const sc::Context& ctx) {
  auto host = ctx.setting(kHostSetting);
  if (!host || host->empty()) host = original_master(ctx);
  if (host->empty()) return "";
  if (std::string why = plugin_common::peer_name::problem(*host); !why.empty())
    throw sc::Usage("MASTER_HOST \"" + *host + "\" is not a peer name (" + why +
                    "): set it with `sc settings set MASTER_HOST HOST`");
  return *host;
}

/// The master's peer name for a role that has one, or "" on the master (and
/// on a host with no role, which is its own master). A role without
/// MASTER_HOST is refused, saying how to set it.
std::string master_of(const sc::Context& ctx) {
  auto role = stored_role(ctx);
  if (!role || *role == Role::master) return "";
  std::string host = stored_master(ctx);
  if (host.empty())
    throw sc::Usage(std::string("this host is a ") + master::role_name(*role) +
                    " host but MASTER_HOST is not set: `sc settings set MASTER_HOST HOST` names its master");
  return host;
}

void mode(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  auto role = stored_role(ctx);
  const std::string name = role ? master::role_name(*role) : "master";
  ctx.print(name + "\n");
  json r = {{"mode", name}, {"set", role.has_value()}, {"master", nullptr}};
  if (role && *role != Role::master) {
    const std::string host = stored_master(ctx);
    if (!host.empty()) r["master"] = host;
  }
  ctx.result(r.dump());
}

int enabled(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  auto role = stored_role(ctx);
  if (!role) {
    ctx.info("MASTER_MODE is not set: this host has no role (`sc master setup` gives it one)");
    return SC_FAIL;
  }
  if (*role != Role::master && stored_master(ctx).empty()) {
    ctx.info(std::string("this host is a ") + master::role_name(*role) + " host but MASTER_HOST is not set");
    return SC_FAIL;
  }
  return SC_OK;
}

int ready(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  if (enabled(ctx) != SC_OK) return SC_FAIL;
  const Role role = *stored_role(ctx);
  const std::string host = master_of(ctx);
  const std::string wanted = master::applied_text(role, host);
  const std::string applied = ctx.setting(kAppliedSetting).value_or("");
  if (applied != wanted) {
    ctx.info(applied.empty() ? "no role was set up here yet (`sc master setup`)"
                             : "the role set up here is \"" + applied + "\", not \"" + wanted + "\"");
    return SC_FAIL;
  }
  for (const auto& check : master::ready_checks(master::spec_of(role), host)) {
    if (ctx.call(check.module, check.command, check.args).status != SC_OK) {
      ctx.info("not in place: `" + master::call_text(check) + "` fails (`sc master setup` puts it back)");
      return SC_FAIL;
    }
  }
  return SC_OK;
}

void status(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  auto role = stored_role(ctx);
  json r = {{"mode", role ? master::role_name(*role) : "master"}, {"set", role.has_value()}, {"master", nullptr}};
  bool reachable = false;
  std::string why, host;
  if (role && *role != Role::master) {
    host = master_of(ctx);
    reachable = ctx.peer_linked(host, &why);
    r["master"] = host;
    r["reachable"] = reachable;
    r["why"] = reachable ? json(nullptr) : json(why);
  }
  ctx.print(master::status_text(role, host, reachable, why));
  ctx.result(r.dump());
}

std::string error_of(const json& doc) {
  return doc.is_object() && doc["error"].is_string() ? doc["error"].get<std::string>() : "failed";
}

void getvar(sc::Context& ctx) {
  ctx.expect_args(1, 1, "NAME");
  const std::string name = ctx.arg(0);
  if (!master::valid_setting_name(name))
    throw sc::Usage("\"" + name +
                    "\" is not a setting NAME (an upper-case letter, then upper-case letters, digits and '_')");
  const std::string host = master_of(ctx);
  json doc;
  if (host.empty()) {
    doc = json::parse(ctx.call("settings", "get", {name}).json, nullptr, false);
  } else {
    sc::CallResult r = ctx.peer_sc(host, {"settings", "get", name}, /*readonly=*/true);
    doc = json::parse(r.json, nullptr, false);
  }
  if (!doc.is_object() || doc.value("status", SC_FAIL) != SC_OK)
    throw sc::Failure((host.empty() ? std::string() : "on the master " + host + ": ") + error_of(doc));
  const std::string value = doc["result"].is_string() ? doc["result"].get<std::string>() : "";
  ctx.print(value + "\n");
  ctx.result(json(value).dump());
}

void exec(sc::Context& ctx) {
  if (ctx.args().empty()) ctx.expect_args(1, 1, "COMMAND [ARGS...]");
  if (ctx.args()[0].empty()) throw sc::Usage("the COMMAND is empty: give the program to run on the master");
  const std::string host = master_of(ctx);
  sc::RunResult r = host.empty() ? ctx.run(ctx.args()) : ctx.peer_run(host, ctx.args());
  if (!r.ok()) throw sc::Failure(ctx.last_error());
}

void roles(sc::Context& ctx) {
  ctx.expect_args(0, 1, "[ROLE]");
  std::vector<Role> which = master::all_roles();
  if (ctx.args().size() == 1) {
    auto role = master::parse_role(ctx.arg(0));
    if (!role) throw sc::Usage("\"" + ctx.arg(0) + "\" is not a ROLE: give master, standby, backup, client or roaming");
    which = {*role};
  }
  ctx.print(master::roles_text(which));
  ctx.result(master::roles_json(which));
}

/// The backup a fresh host is restored from: an absolute path holding fs/.
std::string checked_source(const sc::Context& ctx, const std::string& source) {
  std::string s = source;
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  const std::string fix = ": give the directory of a backup (the one holding fs/), as an absolute path";
  const bool dotted = s.find("/../") != std::string::npos || s.find("/./") != std::string::npos ||
                      (s.size() >= 3 && s.compare(s.size() - 3, 3, "/..") == 0) ||
                      (s.size() >= 2 && s.compare(s.size() - 2, 2, "/.") == 0);
  if (s.empty() || s[0] != '/' || s == "/" || dotted || s.find('\n') != std::string::npos)
    throw sc::Usage("SOURCE \"" + source + "\" is not a backup directory" + fix);
  if (!ctx.stat(s + "/fs", true).is_dir())
    throw sc::Usage("SOURCE \"" + source + "\" is not a backup directory (it has no fs/)" + fix);
  return s;
}

/// Modules of `needed` that are not installed here.
std::vector<std::string> not_installed(const sc::Context& ctx, const std::vector<std::string>& needed) {
  std::vector<std::string> missing;
  for (const auto& m : needed)
    if (ctx.call("help", m).status != SC_OK) missing.push_back(m);
  return missing;
}

/// This host's name as its master knows it, for the role's steps that act
/// on the master for this host (nfssrv allow): the FQDN setting (hostconf),
/// else /etc/hostname.
std::string host_name(const sc::Context& ctx) {
  std::string name;
  auto doc = json::parse(ctx.call("settings", "get", {"FQDN"}).json, nullptr, false);
  if (doc.is_object() && doc.value("status", SC_FAIL) == SC_OK && doc["result"].is_string())
    name = doc["result"].get<std::string>();
  if (name.empty() || name == "localhost") {
    name = ctx.read_file("/etc/hostname").value_or("");
    name = name.substr(0, name.find('\n'));
  }
  bool ok = !name.empty() && name.size() <= 253 && name != "localhost" && name[0] != '-' && name[0] != '.';
  for (char ch : name)
    ok = ok &&
         ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.');
  if (!ok)
    throw sc::Usage("this host has no name its master can allow (FQDN is not set and /etc/hostname holds \"" + name +
                    "\"): give it one with `sc hostconf setup`; nothing was changed");
  return name;
}

/// Runs the plan's calls in order; the first that fails stops it, saying
/// what was done and that running `command` again finishes it.
void run_plan(sc::Context& ctx, const std::vector<master::Call>& plan, const std::string& command) {
  for (size_t i = 0; i < plan.size(); ++i) {
    const master::Call& c = plan[i];
    const int status = ctx.call_shown(c.module, c.command, c.args);
    if (status == SC_OK) continue;
    const std::string why =
        status == kNotInstalled ? "the module " + c.module + " is not installed" : "status " + std::to_string(status);
    throw sc::Failure(master::stopped_text(plan, i, why, command));
  }
}

json plan_json(const std::vector<master::Call>& plan) {
  json steps = json::array();
  for (const auto& c : plan) steps.push_back(master::call_text(c));
  return steps;
}

/// The role set up here (MASTER_APPLIED), checked; nullopt when none is.
std::optional<std::pair<Role, std::string>> applied_role(const sc::Context& ctx) {
  const std::string applied = ctx.setting(kAppliedSetting).value_or("");
  if (applied.empty()) return std::nullopt;
  auto parsed = master::parse_applied(applied);
  if (!parsed)
    throw sc::Usage(
        "MASTER_APPLIED is \"" + applied +
        "\", not ROLE or ROLE MASTER: it is kept by sc master; `sc settings del MASTER_APPLIED` forgets it");
  return parsed;
}

/// Refuses, before any change, a plan that calls a module not installed.
void require_modules(const sc::Context& ctx, const std::vector<master::Call>& plan, const std::string& what) {
  std::set<std::string> needed;
  for (const auto& c : plan)
    if (c.module != "settings") needed.insert(c.module);
  std::vector<std::string> missing = not_installed(ctx, {needed.begin(), needed.end()});
  if (missing.empty()) return;
  std::string list;
  for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m + " (package " + master::package_of(m) + ")";
  throw sc::Usage(what + " needs modules that are not installed: " + list +
                  "; install them and run it again; "
                  "nothing was changed");
}

void cleanup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const auto applied = applied_role(ctx);
  // No role set up: only the role's settings to forget (none, on a re-run).
  std::vector<master::Call> plan;
  if (applied)
    plan = master::cleanup_plan(master::spec_of(applied->first));
  else
    for (const char* name : {kModeSetting, kHostSetting, kAppliedSetting})
      plan.push_back(master::Call{"settings", "del", {name}});
  require_modules(ctx, plan, "sc master cleanup");
  ctx.print(master::titled_plan_text(
      applied ? "cleanup of the role " + std::string(master::role_name(applied->first)) +
                    (applied->second.empty() ? std::string() : " (master " + applied->second + ")")
              : std::string("cleanup (no role was set up here)"),
      plan));
  run_plan(ctx, plan, "sc master cleanup");
  ctx.result(json{{"role", applied ? json(master::role_name(applied->first)) : json(nullptr)},
                  {"master", applied && !applied->second.empty() ? json(applied->second) : json(nullptr)},
                  {"plan", plan_json(plan)}}
                 .dump());
}

void promote(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const auto applied = applied_role(ctx);
  if (!applied || applied->first != Role::standby)
    throw sc::Usage(std::string("promote makes a standby the master, and this host is ") +
                    (applied ? "set up as \"" + master::applied_text(applied->first, applied->second) + "\""
                             : std::string("not set up as any role")) +
                    (applied && applied->first == Role::master ? " already" : "") +
                    ": a standby is set up with `sc master setup` (MASTER_MODE=standby); nothing was changed");
  const std::vector<master::Call> plan = master::promote_plan();
  require_modules(ctx, plan, "sc master promote");
  ctx.print(master::titled_plan_text("promotion of this standby (master " + applied->second + ") to the master", plan));
  run_plan(ctx, plan, "sc master promote");
  ctx.result(json{{"old_master", applied->second}, {"plan", plan_json(plan)}}.dump());
}

void switch_master(sc::Context& ctx) {
  ctx.expect_args(1, 1, "NEWMASTER");
  const std::string host = plugin_common::peer_name::checked(ctx.arg(0), "NEWMASTER");
  const auto applied = applied_role(ctx);
  if (!applied)
    throw sc::Usage(
        "no role is set up here (MASTER_APPLIED is unset): `sc master setup` gives this host one; "
        "nothing was changed");
  if (applied->first == Role::master)
    throw sc::Usage(
        "this host is the master: it has no master to switch (`sc master promote` on a standby makes "
        "another host the master); nothing was changed");
  const std::string role = master::role_name(applied->first);
  if (applied->second == host) {
    ctx.print("this " + role + " host's master is already " + host + ": nothing to switch\n");
    ctx.result(json{{"role", role}, {"old_master", host}, {"master", host}, {"plan", json::array()}}.dump());
    return;
  }
  const master::RoleSpec& spec = master::spec_of(applied->first);
  const std::string self = master::uses_host_name(spec) ? host_name(ctx) : "";
  const std::vector<master::Call> plan = master::switch_plan(spec, host, self);
  require_modules(ctx, plan, "sc master switch");
  ctx.print(master::titled_plan_text(
      "switch of this " + role + " host from the master " + applied->second + " to " + host, plan));
  run_plan(ctx, plan, "sc master switch " + host);
  ctx.result(json{{"role", role}, {"old_master", applied->second}, {"master", host}, {"plan", plan_json(plan)}}.dump());
}

void setup(sc::Context& ctx) {
  ctx.expect_args(0, 1, "[SOURCE]");
  const std::string source = ctx.args().empty() ? "" : checked_source(ctx, ctx.arg(0));
  const std::string role_text = ctx.setting_or_prompt(kModeSetting);
  const auto role = master::parse_role(role_text);
  if (!role) throw sc::Usage("MASTER_MODE \"" + role_text + "\" is not master, standby, backup, client or roaming");
  std::string host;
  if (*role != Role::master)
    host = plugin_common::peer_name::checked(ctx.setting_or_prompt(kHostSetting), "MASTER_HOST");
  const master::RoleSpec& spec = master::spec_of(*role);

  // Another role in place: that is a transition (promote, switch), which
  // removes what the old role set up; a setup would pile one on the other.
  const std::string applied = ctx.setting(kAppliedSetting).value_or("");
  const std::string wanted = master::applied_text(*role, host);
  if (!applied.empty() && applied != wanted)
    throw sc::Usage("this host is set up as \"" + applied + "\", not \"" + wanted +
                    "\": changing a host's role or master is a transition, not a setup: `sc master switch NEWMASTER` "
                    "(the same role, another master), `sc master promote` (a standby becomes the master), or `sc "
                    "master cleanup` then `sc master setup` (another role); nothing was changed");

  // Every module the role calls must be here before anything changes.
  std::vector<std::string> needed = master::modules_needed(spec);
  if (!source.empty()) needed.push_back("backup");
  std::vector<std::string> missing = not_installed(ctx, needed);
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : std::set<std::string>(missing.begin(), missing.end()))
      list += (list.empty() ? "" : ", ") + m + " (package " + master::package_of(m) + ")";
    throw sc::Usage("the role " + role_text + " needs modules that are not installed: " + list +
                    "; install them and run `sc master setup` again; nothing was changed");
  }

  const std::string self = master::uses_host_name(spec) ? host_name(ctx) : "";
  const std::vector<master::Call> plan = master::setup_plan(spec, host, self, source);
  ctx.print(master::plan_text(*role, host, plan));
  if (!spec.not_built.empty()) {
    std::string names;
    for (const auto& n : spec.not_built) names += (names.empty() ? "" : ", ") + n;
    ctx.info("skipped: " + names + " (services of the role " + role_text + " that sc has not built yet)");
  }
  run_plan(ctx, plan, "sc master setup");
  ctx.result(json{{"role", role_text},
                  {"master", host.empty() ? json(nullptr) : json(host)},
                  {"plan", plan_json(plan)},
                  {"not_built", spec.not_built}}
                 .dump());
}

/// `sync MASTER ROLE` to every ready module that has the hook, over the one
/// SSH connection of this run.
void pull_from_master(sc::Context& ctx) {
  auto role = stored_role(ctx);
  if (!role) throw sc::Usage("MASTER_MODE is not set: this host has no master to pull from (`sc master setup`)");
  json result = {{"mode", master::role_name(*role)}, {"master", nullptr}, {"modules", json::array()}};
  if (*role == Role::master) {
    ctx.print("this host is the master: nothing to pull\n");
    ctx.result(result.dump());
    return;
  }
  const std::string host = master_of(ctx);
  result["master"] = host;
  if (std::string why; !ctx.peer_linked(host, &why))
    throw sc::Failure("cannot reach the master " + host + ": " + why + "; nothing was pulled");
  // The master's sc first (follow.hpp); when a new one was installed, it
  // does the pull.
  if (master_follow::follow(ctx, host)) return master_follow::rerun(ctx, {"master", "pull"});
  auto [rc, captured] = ctx.broadcast("sync", {host, master::role_name(*role)}, /*ready_only=*/true, /*capture=*/true);
  auto items = json::parse(captured, nullptr, false);
  std::string failed;
  if (items.is_array()) {
    for (const auto& item : items) {
      if (!item.is_object()) continue;
      const std::string module = item.value("module", "?");
      const int status = item.value("status", SC_FAIL);
      if (item.contains("output") && item["output"].is_string()) ctx.print(item["output"].get<std::string>());
      if (status != SC_OK) failed += (failed.empty() ? "" : ", ") + module;
      result["modules"].push_back(json{{"module", module}, {"status", status}});
    }
  }
  // The role's own modules with a sync hook that did not run: they are
  // not ready here (the broadcast skips those), so say it rather than
  // leave the accounts, say, silently behind.
  std::set<std::string> ran, seen;
  for (const auto& m : result["modules"]) ran.insert(m["module"].get<std::string>());
  std::vector<std::string> not_ready;
  for (const auto& step : master::spec_of(*role).steps) {
    const std::string& module = step.run.module;
    if (!seen.insert(module).second || ran.count(module)) continue;
    auto help = json::parse(ctx.call("help", module).json, nullptr, false);
    if (!help.is_object() || !help["result"].is_object() || !help["result"]["hooks"].is_array()) continue;
    for (const auto& h : help["result"]["hooks"])
      if (h == "sync") not_ready.push_back(module);
  }
  if (!not_ready.empty()) {
    std::string names;
    for (const auto& m : not_ready) names += (names.empty() ? "" : ", ") + m;
    ctx.warn("not pulled, since not ready here: " + names + " (`sc MODULE ready` says why; `sc master setup` sets " +
             (not_ready.size() == 1 ? "it" : "them") + " up)");
  }
  result["not_ready"] = not_ready;
  ctx.result(result.dump());
  if (rc != SC_OK)
    throw sc::Failure("pulling from " + host + " failed for " + (failed.empty() ? std::string("a module") : failed) +
                      " (see above); the other modules pulled; run `sc master pull` again once fixed");
}

void pull(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  pull_from_master(ctx);
}

void cron(sc::Context& ctx) {
  ctx.expect_args(1, 1, "PERIOD");
  const std::string period = ctx.arg(0);
  if (period != "fast" && period != "hourly" && period != "daily" && period != "weekly" && period != "monthly")
    throw sc::Usage("\"" + period + "\" is not a PERIOD: fast, hourly, daily, weekly or monthly");
  if (period != "fast") return pull_from_master(ctx);
  // Every 20 minutes: the accounts only, as the original did.
  auto role = stored_role(ctx);
  if (!role) throw sc::Usage("MASTER_MODE is not set: this host has no master to pull from (`sc master setup`)");
  if (*role == Role::master) return;
  const std::string host = master_of(ctx);
  if (master_follow::follow(ctx, host)) return master_follow::rerun(ctx, {"master", "cron", "fast"});
  const int status = ctx.call_shown("user", "pull", {host, master::role_name(*role)});
  if (status != SC_OK) throw sc::Failure("sc user pull " + host + " failed (status " + std::to_string(status) + ")");
}

void boot(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  pull_from_master(ctx);
}

void update_sc(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const std::string host = master_of(ctx);
  if (host.empty()) {
    ctx.print(stored_role(ctx) ? "this host is the master: its sc follows nobody\n"
                               : "MASTER_MODE is not set: this host has no master to follow\n");
    return;
  }
  master_follow::follow(ctx, host, /*required=*/true);
}

}  // namespace

SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION, sc::command<&mode>("mode"), sc::command<&enabled>("enabled"),
          sc::command<&ready>("ready"), sc::command<&status>("status"), sc::command<&getvar>("getvar"),
          sc::command<&exec>("exec"), sc::command<&roles>("roles"), sc::command<&setup>("setup"),
          sc::command<&pull>("pull"), sc::command<&cron>("cron"), sc::command<&boot>("boot"),
          sc::command<&cleanup>("cleanup"), sc::command<&promote>("promote"), sc::command<&switch_master>("switch"),
          sc::command<&master_follow::version>("buildnumber"), sc::command<&master_follow::version>("version"),
          sc::command<&update_sc>("update_sc"))
