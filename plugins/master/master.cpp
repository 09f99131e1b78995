// master: this host's role in the cluster (the original's master module):
// the master, a standby ready to take over, a backup server, a client whose
// homes are the master's over NFS, or a roaming client whose homes are
// synchronised. What each role sets up is the role table (roles.cpp).
#include <algorithm>
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>
#include <set>

#include "adopt.hpp"
#include "all_hosts.hpp"
#include "all_hosts_command.hpp"
#include "common/peer_name.hpp"
#include "common/status_hook.hpp"
#include "follow.hpp"
#include "registry.hpp"
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

/// True when MASTER_SERVICES names `module` (one of the master's services).
bool service_wanted(const sc::Context& ctx, const std::string& module) {
  const std::string value = ctx.setting(master::kServicesSetting).value_or("");
  try {
    const std::vector<std::string> wanted = master::parse_services(value);
    return std::find(wanted.begin(), wanted.end(), module) != wanted.end();
  } catch (const std::invalid_argument& e) {
    throw sc::Usage(std::string(master::kServicesSetting) + " is \"" + value + "\": " + e.what() +
                    "; set it with `sc settings set MASTER_SERVICES \"ssl nginx www mail roundcube\"` (or none)");
  }
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
    if (check.service && !service_wanted(ctx, check.module)) continue;
    if (ctx.call(check.module, check.command, check.args).status != SC_OK) {
      ctx.info("not in place: `" + master::call_text(check) + "` fails (`sc master setup` puts it back)");
      return SC_FAIL;
    }
  }
  return SC_OK;
}

/// What the fan-out (`status --all`, `exec --all`) needs of this host: its
/// role and the registry (defined below).
master::all_hosts::Cluster cluster_of(const sc::Context& ctx);

/// `sc master status [local]`: the role, the master and whether it answers
/// now; also the module's `status` hook (`sc status`): problems (the role
/// not in place, the master silent, another sc version there), facts, and
/// MASTER_HOST as unused on the master. `local`: the master is not
/// contacted (how the master's `status --all` asks its hosts).
/// With --all: the whole cluster (all_hosts_command.cpp).
int status(sc::Context& ctx) {
  if (master::all_hosts::wants_all(ctx.args())) return master::all_hosts::status_all(ctx, cluster_of(ctx));
  ctx.expect_args(0, 1, "[local]");
  const bool local = ctx.args().size() == 1;
  if (local && ctx.arg(0) != "local")
    throw sc::Usage("unknown argument \"" + ctx.arg(0) +
                    "\"; usage: sc master status [local] (local: the master is "
                    "not contacted), or sc status --all for the whole cluster");
  auto role = stored_role(ctx);
  json r = {{"mode", role ? master::role_name(*role) : "master"}, {"set", role.has_value()}, {"master", nullptr}};
  json problems = json::array();
  json facts = {{"role", role ? json(master::role_name(*role)) : json(nullptr)},
                {"master", nullptr},
                {"version", ctx.sc_version()},
                {"master_version", nullptr},
                {"reachable", nullptr}};
  bool reachable = false;
  std::string why, host;
  if (role && *role != Role::master) {
    host = master_of(ctx);
    r["master"] = host;
    facts["master"] = host;
    if (!local) {
      reachable = ctx.peer_linked(host, &why);
      r["reachable"] = reachable;
      r["why"] = reachable ? json(nullptr) : json(why);
      facts["reachable"] = reachable;
      if (!reachable) {
        problems.push_back(plugin_common::status_hook::to_json(
            {"warning", "the master " + host + " does not answer: " + why, "sc sshlink add " + host}));
      } else {
        json doc = json::parse(ctx.peer_sc(host, {"master", "buildnumber"}, /*readonly=*/true).json, nullptr, false);
        if (doc.is_object() && doc.value("status", SC_FAIL) == SC_OK && doc["result"].is_object() &&
            doc["result"]["version"].is_string()) {
          const std::string theirs = doc["result"]["version"].get<std::string>();
          facts["master_version"] = theirs;
          if (theirs != ctx.sc_version())
            problems.push_back(plugin_common::status_hook::to_json(
                {"warning", "sc " + ctx.sc_version() + " here, " + theirs + " on the master " + host,
                 "sc master update_sc"}));
        }
      }
    }
  }
  if (role) {
    sc::CallResult ready_call = ctx.call("master", "ready");
    if (ready_call.status != SC_OK) {
      auto doc = json::parse(ready_call.json, nullptr, false);
      std::string detail;
      if (doc.is_object() && doc["log"].is_array())
        for (const auto& l : doc["log"])
          if (l.is_object() && l["message"].is_string())
            detail += (detail.empty() ? "" : "; ") + l["message"].get<std::string>();
      problems.push_back(
          plugin_common::status_hook::to_json({"error",
                                               std::string("the role ") + master::role_name(*role) +
                                                   " is not (or no longer) in place (`sc master ready` says why)" +
                                                   (detail.empty() ? std::string() : ": " + detail),
                                               "sc master setup"}));
    }
  }
  r["problems"] = problems;
  r["facts"] = facts;
  r["unused_settings"] = !role || *role == Role::master ? json::array({kHostSetting}) : json::array();
  std::string text = master::status_text(role, host, reachable, why);
  if (local && !host.empty()) text = text.substr(0, text.find('\n') + 1);  // not asked: say nothing of it
  ctx.print(text);
  ctx.result(r.dump());
  return SC_OK;
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

int exec(sc::Context& ctx) {
  if (master::all_hosts::wants_all(ctx.args())) return master::all_hosts::exec_all(ctx, cluster_of(ctx));
  if (ctx.args().empty()) ctx.expect_args(1, 1, "COMMAND [ARGS...]");
  if (ctx.args()[0].empty()) throw sc::Usage("the COMMAND is empty: give the program to run on the master");
  const std::string host = master_of(ctx);
  sc::RunResult r = host.empty() ? ctx.run(ctx.args()) : ctx.peer_run(host, ctx.args());
  if (!r.ok()) throw sc::Failure(ctx.last_error());
  return SC_OK;
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

/// The backup a host is restored from, checked as typed (before anything
/// else): a directory here (a backup of the original tool, a snapshot, an
/// entry or host directory of a BACKUP_DIR), or HOST:/DIR, such a directory
/// on a backup server. Which snapshot it designates is asked of the backup
/// module once it is known to be installed (checked_snapshot).
std::string checked_source(const sc::Context& ctx, const std::string& source) {
  std::string s = source;
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  const std::string fix =
      ": give the directory of a backup (a snapshot, or the backup server's directory of the host), as an absolute "
      "path here or as HOST:/DIR on the backup server";
  const size_t colon = s.find(":/");
  const bool remote = !s.empty() && s[0] != '/' && colon != std::string::npos;
  std::string dir = remote ? s.substr(colon + 1) : s;
  if (remote && !plugin_common::peer_name::valid(s.substr(0, colon)))
    throw sc::Usage("SOURCE \"" + source + "\": \"" + s.substr(0, colon) + "\" is not a host name (" +
                    plugin_common::peer_name::problem(s.substr(0, colon)) + ")" + fix);
  const bool dotted = dir.find("/../") != std::string::npos || dir.find("/./") != std::string::npos ||
                      (dir.size() >= 3 && dir.compare(dir.size() - 3, 3, "/..") == 0) ||
                      (dir.size() >= 2 && dir.compare(dir.size() - 2, 2, "/.") == 0);
  bool control = false;
  for (char ch : s) control = control || static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f;
  if (dir.empty() || dir[0] != '/' || dir == "/" || dotted || control)
    throw sc::Usage("SOURCE \"" + source + "\" is not a backup directory" + fix);
  if (!remote && !ctx.stat(s, true).is_dir())
    throw sc::Usage("SOURCE \"" + source + "\" is not a backup directory (there is no such directory here)" + fix);
  return s;
}

/// The snapshot SOURCE designates, as the backup module picks it (on the
/// backup server for HOST:/DIR): refused before any change when there is none.
std::string checked_snapshot(sc::Context& ctx, const std::string& source) {
  sc::CallResult r = ctx.call("backup", "snapshot", {source});
  auto doc = json::parse(r.json, nullptr, false);
  if (r.status == SC_OK && doc.is_object() && doc["result"].is_object() && doc["result"]["snapshot"].is_string()) {
    const std::string host = doc["result"]["host"].is_string() ? doc["result"]["host"].get<std::string>() + ":" : "";
    return host + doc["result"]["snapshot"].get<std::string>();
  }
  std::string why = error_of(doc);
  const std::string unchanged = "; nothing was changed";
  if (why.size() < unchanged.size() || why.compare(why.size() - unchanged.size(), unchanged.size(), unchanged) != 0)
    why += unchanged;
  throw sc::Usage("SOURCE \"" + source + "\" cannot be restored: " + why);
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

// ---- the host registry (MASTER_HOSTS) ------------------------------------------

/// MASTER_HOSTS read back; a value sc cannot read is refused with the way
/// to fix it (it is only ever written by hostadd and hostdel).
std::vector<master::HostEntry> registered(const sc::Context& ctx) {
  const std::string value = ctx.setting(master::kHostsSetting).value_or("");
  try {
    return master::parse_hosts(value);
  } catch (const std::invalid_argument& e) {
    throw sc::Failure(
        std::string(master::kHostsSetting) + " is \"" + value + "\": " + e.what() +
        "; remove the item with `sc master hostdel PEER`, or reset it with `sc settings del MASTER_HOSTS` "
        "and run `sc master setup` on each host again");
  }
}

/// The registry is the master's: on a host with a master it would be a
/// second, stale list.
void require_master_role(const sc::Context& ctx, const std::string& command) {
  auto role = stored_role(ctx);
  if (role && *role != Role::master)
    throw sc::Usage("this host is a " + std::string(master::role_name(*role)) +
                    " host: the list of hosts is kept on the master; run `sc master " + command +
                    "` there (e.g. `sc master exec sc master " + command + " ...`)");
}

master::all_hosts::Cluster cluster_of(const sc::Context& ctx) {
  const auto role = stored_role(ctx);
  master::all_hosts::Cluster c;
  c.self_role = role ? master::role_name(*role) : "master";
  c.on_master = !role || *role == Role::master;
  c.registry = [&ctx] { return registered(ctx); };
  return c;
}

void hosts(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const auto list = registered(ctx);
  ctx.print(master::hosts_list_text(list));
  ctx.result(master::hosts_json(list).dump());
}

void hostadd(sc::Context& ctx) {
  ctx.expect_args(2, 2, "PEER ROLE");
  const std::string peer = plugin_common::peer_name::checked(ctx.arg(0), "PEER");
  auto role = master::parse_role(ctx.arg(1));
  if (!role || *role == Role::master)
    throw sc::Usage("\"" + ctx.arg(1) +
                    "\" is not the ROLE of a host under a master: give standby, backup, client or "
                    "roaming");
  require_master_role(ctx, "hostadd");
  const auto before = registered(ctx);
  const auto after = master::with_host(before, master::HostEntry{peer, *role});
  if (after == before) {
    ctx.info(peer + " is already registered as a " + master::role_name(*role) + " host");
    return;
  }
  ctx.set_setting(master::kHostsSetting, master::hosts_text(after));
}

void hostdel(sc::Context& ctx) {
  ctx.expect_args(1, 1, "PEER");
  const std::string peer = plugin_common::peer_name::checked(ctx.arg(0), "PEER");
  require_master_role(ctx, "hostdel");
  const auto before = registered(ctx);
  const auto after = master::without_host(before, peer);
  if (after.size() == before.size()) {
    ctx.info(peer + " is not registered: nothing to remove");
    return;
  }
  if (after.empty())
    ctx.unset_setting(master::kHostsSetting);
  else
    ctx.set_setting(master::kHostsSetting, master::hosts_text(after));
}

void inventory(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  require_master_role(ctx, "inventory");
  const json inv = master::inventory_json(host_name(ctx), registered(ctx));
  ctx.print(inv.dump(2) + "\n");
  ctx.result(inv.dump());
}

/// Why the call `c` of a plan failed with `status`: the module's own error
/// (which the plan's output does not show otherwise).
std::string failure(const sc::Context& ctx, int status, const master::Call& c) {
  if (status == kNotInstalled) return "the module " + c.module + " is not installed";
  const std::string error = ctx.last_error();
  return "status " + std::to_string(status) + (error.empty() ? std::string() : " (" + error + ")");
}

/// Runs the plan's calls in order; the first that fails stops it, saying
/// what was done and that running `command` again finishes it. An optional
/// step (on the old master, which may be gone) is skipped when its peer does
/// not answer or the call fails: said, with how to do it later, and listed
/// in the returned calls; the plan goes on.
std::vector<master::Call> run_plan(sc::Context& ctx, const std::vector<master::Call>& plan,
                                   const std::string& command) {
  std::vector<master::Call> skipped;
  for (size_t i = 0; i < plan.size(); ++i) {
    const master::Call& c = plan[i];
    const std::string step = "step " + std::to_string(i + 1) + ", `" + master::call_text(c) + "`";
    if (c.service && !service_wanted(ctx, c.module)) {
      ctx.info(step + ", skipped: " + std::string(master::kServicesSetting) + " does not name " + c.module);
      continue;
    }
    if (c.optional && !c.args.empty()) {
      const std::string& peer = c.args.front();
      std::string why;
      int status = SC_OK;
      if (ctx.peer_linked(peer, &why)) {
        status = ctx.call_shown(c.module, c.command, c.args);
        if (status != SC_OK) why = failure(ctx, status, c);
      }
      if (why.empty()) continue;
      ctx.warn(step + ", skipped: " + peer + " does not answer or refused (" + why + "); the rest goes on. Once " +
               peer + " answers, run `" + master::call_text(c) + "` here");
      skipped.push_back(c);
      continue;
    }
    const int status = ctx.call_shown(c.module, c.command, c.args);
    if (status == SC_OK) continue;
    throw sc::Failure(master::stopped_text(plan, i, failure(ctx, status, c), command));
  }
  return skipped;
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

/// Refuses, before any change, a plan that calls a module not installed
/// (a service MASTER_SERVICES does not name is not called).
void require_modules(const sc::Context& ctx, const std::vector<master::Call>& plan, const std::string& what) {
  std::set<std::string> needed;
  for (const auto& c : plan)
    if (c.module != "settings" && (!c.service || service_wanted(ctx, c.module))) needed.insert(c.module);
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
  if (applied) {
    const master::RoleSpec& spec = master::spec_of(applied->first);
    plan = master::cleanup_plan(spec, applied->second, master::uses_host_name(spec) ? host_name(ctx) : "");
  } else {
    for (const char* name : {kModeSetting, kHostSetting, kAppliedSetting})
      plan.push_back(master::Call{"settings", "del", {name}});
  }
  require_modules(ctx, plan, "sc master cleanup");
  ctx.print(master::titled_plan_text(
      applied ? "cleanup of the role " + std::string(master::role_name(applied->first)) +
                    (applied->second.empty() ? std::string() : " (master " + applied->second + ")")
              : std::string("cleanup (no role was set up here)"),
      plan));
  const std::vector<master::Call> skipped = run_plan(ctx, plan, "sc master cleanup");
  ctx.result(json{{"role", applied ? json(master::role_name(applied->first)) : json(nullptr)},
                  {"master", applied && !applied->second.empty() ? json(applied->second) : json(nullptr)},
                  {"plan", plan_json(plan)},
                  {"skipped", plan_json(skipped)}}
                 .dump());
}

/// Before this master becomes another role's host of `host`: `host` must
/// answer and say it is the master (its MASTER_MODE), else two hosts would
/// each follow the other, or the cluster would have none.
void require_new_master(const sc::Context& ctx, const std::string& host) {
  const std::string fix = "; nothing was changed";
  json doc;
  try {
    doc = json::parse(ctx.peer_sc(host, {"settings", "get", kModeSetting}, /*readonly=*/true).json, nullptr, false);
  } catch (const sc::Failure& e) {
    throw sc::Failure("this master becomes a host of " + host + ", which must be the master, but it does not answer (" +
                      e.what() + ")" + fix);
  }
  const std::string mode = doc.is_object() && doc["result"].is_string() ? doc["result"].get<std::string>() : "";
  if (mode != "master")
    throw sc::Usage("this master becomes a host of " + host + ", which is not the master (its MASTER_MODE is \"" +
                    mode + "\"): make it the master first (`sc master promote` on a standby)" + fix);
}

/// A change of role or master, from the role set up here to `to`, as one
/// plan (transition_plan): checked, printed (all of it under --dry-run),
/// run; `command` finishes it when it stops half-way.
void transition(sc::Context& ctx, const master::Placed& from, const master::Placed& to, const std::string& source,
                const std::string& command) {
  if (from.role == Role::master && to.role != Role::master) require_new_master(ctx, to.master);
  const master::RoleSpec& spec = master::spec_of(to.role);
  const bool named = master::uses_host_name(master::spec_of(from.role)) || master::uses_host_name(spec);
  const std::vector<master::Call> plan = master::transition_plan(from, to, named ? host_name(ctx) : "", source);
  require_modules(ctx, plan, command);
  ctx.print(master::titled_plan_text(master::transition_title(from, to), plan));
  const std::vector<master::Call> skipped = run_plan(ctx, plan, command);
  auto or_null = [](const std::string& m) { return m.empty() ? json(nullptr) : json(m); };
  ctx.result(json{{"old_role", master::role_name(from.role)},
                  {"old_master", or_null(from.master)},
                  {"role", master::role_name(to.role)},
                  {"master", or_null(to.master)},
                  {"plan", plan_json(plan)},
                  {"skipped", plan_json(skipped)}}
                 .dump());
}

void promote(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const auto applied = applied_role(ctx);
  if (!applied || applied->first != Role::standby)
    throw sc::Usage(
        std::string("promote makes a standby the master, and this host is ") +
        (applied ? "set up as \"" + master::applied_text(applied->first, applied->second) + "\"" +
                       (applied->first == Role::master ? std::string(" already")
                                                       : std::string(": another role becomes the master with `sc --set "
                                                                     "MASTER_MODE=master master setup`"))
                 : std::string("not set up as any role: `sc master setup` gives it one")) +
        "; nothing was changed");
  transition(ctx, {Role::standby, applied->second}, {Role::master, ""}, "", "sc master promote");
}

void switch_master(sc::Context& ctx) {
  ctx.expect_args(1, 1, "NEWMASTER");
  const std::string host = plugin_common::peer_name::checked(ctx.arg(0), "NEWMASTER");
  const auto applied = applied_role(ctx);
  if (!applied)
    throw sc::Usage(
        "no role is set up here (MASTER_APPLIED is unset): `sc master setup` gives this host one; "
        "nothing was changed");
  const std::string role = master::role_name(applied->first);
  if (applied->second == host) {
    ctx.print("this " + role + " host's master is already " + host + ": nothing to switch\n");
    ctx.result(json{{"old_role", role},
                    {"old_master", host},
                    {"role", role},
                    {"master", host},
                    {"plan", json::array()},
                    {"skipped", json::array()}}
                   .dump());
    return;
  }
  // The master follows NEWMASTER: it becomes its standby (the old master
  // back after a standby took over).
  const Role to = applied->first == Role::master ? Role::standby : applied->first;
  transition(ctx, {applied->first, applied->second}, {to, host}, "", "sc master switch " + host);
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
  // What finishes a setup stopped half-way: the role named, since values
  // given with --set are not stored by a run that fails.
  const std::string again = "sc --set MASTER_MODE=" + role_text + (host.empty() ? "" : " --set MASTER_HOST=" + host) +
                            " master setup" + (source.empty() ? "" : " " + source);

  // Another role or master in place: a transition, one plan that removes
  // what the old role set up, then sets up this one.
  if (const auto applied = applied_role(ctx);
      applied && master::applied_text(applied->first, applied->second) != master::applied_text(*role, host)) {
    transition(ctx, {applied->first, applied->second}, {*role, host}, source, again);
    return;
  }

  // Every module the role calls must be here before anything changes.
  std::vector<std::string> needed;
  for (const auto& m : master::modules_needed(spec))
    if (!master::is_service(m) || service_wanted(ctx, m)) needed.push_back(m);
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
  if (!source.empty()) ctx.info("restoring the backup " + checked_snapshot(ctx, source));
  const std::vector<master::Call> plan = master::setup_plan(spec, host, self, source);
  ctx.print(master::plan_text(*role, host, plan));
  run_plan(ctx, plan, again);
  ctx.result(json{{"role", role_text}, {"master", host.empty() ? json(nullptr) : json(host)}, {"plan", plan_json(plan)}}
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
          sc::command<&update_sc>("update_sc"), sc::command<&hosts>("hosts"), sc::command<&hostadd>("hostadd"),
          sc::command<&hostdel>("hostdel"), sc::command<&inventory>("inventory"),
          sc::command<&master_adopt::adopt>("adopt"))
