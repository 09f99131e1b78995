// lifeline: a reverse SSH tunnel from this host to a relay, kept up for
// good, so that the relay can always reach this host's sshd (a host behind
// NAT or a fragile router). The original's module, with what made its
// tunnel stop for good fixed: ExitOnForwardFailure, a supervisor that
// restarts ssh after any end with a bounded backoff, an end-to-end probe,
// and a status. See plugins/common/tunnel.hpp.
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>

#include "common/module_call.hpp"
#include "common/peer_name.hpp"
#include "common/ssh_home.hpp"
#include "common/status_hook.hpp"
#include "common/tunnel.hpp"
#include "lifeline_spec.hpp"

namespace {

using nlohmann::json;
namespace tunnel = plugin_common::tunnel;
namespace module_call = plugin_common::module_call;

int int_setting(const sc::Context& ctx, const std::string& name, int fallback) {
  try {
    return std::stoi(ctx.setting(name).value_or(std::to_string(fallback)));
  } catch (const std::exception&) {
    return fallback;
  }
}

/// The settings, checked; prompts for what is unset when `prompt`.
lifeline::Config config(const sc::Context& ctx, bool prompt) {
  lifeline::Config c;
  std::optional<std::string> target =
      prompt ? std::optional<std::string>(ctx.setting_or_prompt("LIFELINE_TARGET")) : ctx.setting("LIFELINE_TARGET");
  if (!target)
    throw sc::Failure("LIFELINE_TARGET is not set: run `sc lifeline setup` (or --set LIFELINE_TARGET=RELAY)");
  if (target->empty()) throw sc::Usage("LIFELINE_TARGET is empty: give the relay, e.g. --set LIFELINE_TARGET=relay");
  c.target = plugin_common::peer_name::checked(*target, "LIFELINE_TARGET");
  if (c.target == "localhost")
    throw sc::Usage("LIFELINE_TARGET is localhost: the relay must be another host (the one that must reach this one)");
  c.port = int_setting(ctx, "LIFELINE_PORT", 22000);
  const std::string local = ctx.setting("LIFELINE_LOCAL").value_or("localhost:22");
  if (std::string why = lifeline::local_problem(local); !why.empty())
    throw sc::Usage("LIFELINE_LOCAL \"" + local + "\" is not HOST:PORT: " + why +
                    " (set it with `sc settings set LIFELINE_LOCAL localhost:22`)");
  lifeline::split_local(local, &c.local_host, &c.local_port);
  c.keepalive = int_setting(ctx, "LIFELINE_KEEPALIVE", 5);
  c.connect_timeout = std::max(int_setting(ctx, "SSHLINK_CONNECT_TIMEOUT", 2), 10);
  c.aes = plugin_common::ssh_home::cpu_has_aes();
  return c;
}

void setup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const lifeline::Config c = config(ctx, /*prompt=*/true);
  ctx.setting_or_prompt("LIFELINE_PORT");
  // Those not asked for are kept when given (--set), as answers are.
  for (const char* name : {"LIFELINE_LOCAL", "LIFELINE_KEEPALIVE"})
    if (ctx.setting(name, SC_SETTING_NO_DEFAULT)) ctx.setting(name, SC_SETTING_PROMPT);
  module_call::run_shown(ctx, "sshlink", "add", {c.target});
  module_call::run_shown(ctx, "daemon", "add", {lifeline::kModule});
  if (!ctx.dry_run())
    ctx.print("lifeline to " + c.target + ": its port " + std::to_string(c.port) + " leads to " + c.local_host + ":" +
              std::to_string(c.local_port) + " of this host; `sc lifeline status` tells when it is up\n");
}

void cleanup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  module_call::run_shown(ctx, "daemon", "del", {lifeline::kModule});
  for (const char* name : {"LIFELINE_TARGET", "LIFELINE_PORT", "LIFELINE_LOCAL", "LIFELINE_KEEPALIVE"})
    ctx.unset_setting(name);
  for (const std::string& f : {tunnel::status_path(lifeline::kModule, ""), tunnel::control_path(lifeline::kModule, "")})
    if (ctx.stat(f).exists()) ctx.remove(f);
}

/// One reason the lifeline is not up, and the command that fixes it.
struct Problem {
  std::string what;
  std::string fix;
};

/// Each reason the lifeline is not up, or none.
std::vector<Problem> problems(const sc::Context& ctx, std::optional<tunnel::Status>* status, bool* alive) {
  std::vector<Problem> why;
  if (!ctx.setting("LIFELINE_TARGET") || ctx.setting("LIFELINE_TARGET")->empty())
    why.push_back({"LIFELINE_TARGET is not set: run `sc lifeline setup`", "sc lifeline setup"});
  const bool unit = ctx.call("daemon", "has", {lifeline::kModule}).status == SC_OK;
  if (!unit) why.push_back({"its daemon unit is missing: run `sc lifeline setup`", "sc lifeline setup"});
  *status = tunnel::read_status(ctx, lifeline::kModule, "", alive);
  if (std::string w = tunnel::status_problem(*status, *alive, tunnel::status_path(lifeline::kModule, "")); !w.empty())
    why.push_back({w, unit ? tunnel::restart_command(lifeline::kModule, "") : "sc lifeline setup"});
  return why;
}

int ready(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  std::optional<tunnel::Status> s;
  bool alive = false;
  auto why = problems(ctx, &s, &alive);
  for (const auto& w : why) ctx.info("lifeline: " + w.what);
  ctx.result(why.empty() ? "true" : "false");
  return why.empty() ? SC_OK : SC_FAIL;
}

/// `status`, also the hook `status [local]` (sc status; `local` changes
/// nothing: the relay is not asked). The result is the tunnel's status
/// document with `up`, `daemon_running`, the hook's `problems` (each an
/// error with its fix) and `facts.tunnels` (the lifeline, named after its
/// relay).
int status(sc::Context& ctx) {
  ctx.expect_args(0, 1, "[local]");
  if (ctx.args().size() == 1 && ctx.arg(0) != "local")
    throw sc::Usage("argument \"" + ctx.arg(0) + "\" is not \"local\"; usage: sc lifeline status [local]");
  // Not in use here (no target, no unit): nothing is wrong, and `sc status`
  // (which asks every module) must not say otherwise.
  const auto target_set = ctx.setting("LIFELINE_TARGET");
  if ((!target_set || target_set->empty()) && ctx.call("daemon", "has", {lifeline::kModule}).status != SC_OK) {
    ctx.print("lifeline: not set up (sc lifeline setup)\n");
    ctx.result(json{
        {"up", false},
        {"daemon_running", false},
        {"problems", json::array()},
        {"facts", {{"tunnels", json::array()}}},
        {"set_up",
         false}}.dump());
    return SC_FAIL;
  }
  std::optional<tunnel::Status> s;
  bool alive = false;
  auto why = problems(ctx, &s, &alive);
  json j = s ? json::parse(tunnel::to_json(*s)) : json::object();
  j["up"] = why.empty();
  j["daemon_running"] = s && alive && s->state != "stopped";
  std::string detail;
  if (s)
    detail = tunnel::describe(*s, static_cast<std::int64_t>(std::time(nullptr)), alive);
  else
    detail = "never started";
  std::string text = "lifeline: " + detail + "\n";
  json list = json::array();
  for (const auto& w : why) {
    text += "problem: " + w.what + "\n";
    list.push_back(plugin_common::status_hook::to_json({"error", w.what, w.fix}));
  }
  j["problems"] = list;
  const std::string target = ctx.setting("LIFELINE_TARGET").value_or("");
  j["facts"] = {{"tunnels", json::array({{{"name", target.empty() ? std::string("lifeline") : target},
                                          {"up", why.empty()},
                                          {"detail", detail}}})}};
  ctx.print(text);
  ctx.result(j.dump(-1, ' ', false, json::error_handler_t::replace));
  return why.empty() ? SC_OK : SC_FAIL;
}

int daemon(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  if (ctx.rooted() || ctx.dry_run())
    throw sc::Usage("the lifeline daemon runs on this host only: without --root and --dry-run");
  const lifeline::Config c = config(ctx, /*prompt=*/false);
  const auto id = plugin_common::ssh_home::identity(ctx);
  if (std::string why = plugin_common::openssh::identity_problem(id); !why.empty()) throw sc::Failure(why);
  return tunnel::supervise(lifeline::spec(c, id));
}

}  // namespace

// clang-format off
SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION,
          sc::command<&setup>("setup"),
          sc::command<&cleanup>("cleanup"),
          sc::command<&ready>("ready"),
          sc::command<&status>("status"),
          sc::command<&daemon>("daemon"))
// clang-format on
