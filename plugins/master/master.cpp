// master: this host's role in the cluster (the original's master module):
// the master, a standby ready to take over, a backup server, a client whose
// homes are the master's over NFS, or a roaming client whose homes are
// synchronised. What each role sets up is the role table (roles.cpp).
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>

#include "common/peer_name.hpp"
#include "roles.hpp"

namespace {

using master::Role;
using nlohmann::json;

constexpr const char* kModeSetting = "MASTER_MODE";
constexpr const char* kHostSetting = "MASTER_HOST";

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

/// MASTER_HOST, checked; "" when unset.
std::string stored_master(const sc::Context& ctx) {
  auto host = ctx.setting(kHostSetting);
  if (!host || host->empty()) return "";
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

}  // namespace

SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION, sc::command<&mode>("mode"), sc::command<&enabled>("enabled"),
          sc::command<&ready>("ready"), sc::command<&status>("status"), sc::command<&getvar>("getvar"),
          sc::command<&exec>("exec"), sc::command<&roles>("roles"))
