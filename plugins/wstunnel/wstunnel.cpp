// wstunnel: SSH over a websocket for hosts whose network only lets HTTPS
// out (the original's module, which ran Node's npm wstunnel 1.4.0). The
// server and the client are built in (relay.cpp, Boost.Beast); the wire is
// the npm package's, so either end may still be the npm one.
#include <fstream>
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>

#include "common/peer_name.hpp"
#include "common/role.hpp"
#include "common/ssh_home.hpp"
#include "common/status_hook.hpp"
#include "common/systemd_unit.hpp"
#include "common/tunnel.hpp"
#include "relay.hpp"
#include "tunnel_config.hpp"
#include "wst_status.hpp"

namespace {

using nlohmann::json;
using namespace wstunnel;

constexpr const char* kMode = "WSTUNNEL_MODE";

Endpoint endpoint_setting(const sc::Context& ctx, const char* name) {
  std::string err, value = ctx.setting(name).value_or("");
  auto e = parse_endpoint(value, &err);
  if (!e) throw sc::Usage(std::string(name) + ": " + err + "; fix it with `sc settings set " + name + " HOST:PORT`");
  return *e;
}

/// A setting of the master module (MASTER_MODE, MASTER_HOST), read through
/// `sc settings get` as the user module does: wstunnel does not require the
/// master module (the server runs on the master whatever its role), and a
/// host without it simply has no master. nullopt when unset.
std::optional<std::string> master_setting(const sc::Context& ctx, const char* name) {
  sc::CallResult r = ctx.call("settings", "get", {name});
  auto doc = json::parse(r.json, nullptr, false);
  if (r.status == SC_OK && doc.is_object() && doc.contains("result") && doc["result"].is_string())
    return doc["result"].get<std::string>();
  return std::nullopt;
}

/// The master's host (from MASTER_HOST), for the default URL and the route.
std::string master_host(const sc::Context& ctx) {
  auto master = master_setting(ctx, "MASTER_HOST");
  if (!master || master->empty())
    throw sc::Usage("MASTER_HOST is not set: this host has no master to connect to (`sc master setup`)");
  std::string problem = plugin_common::peer_name::problem(*master);
  if (!problem.empty()) throw sc::Usage("MASTER_HOST: " + problem);
  return peer_host(*master);
}

ServerUrl url_setting(const sc::Context& ctx) {
  auto set = ctx.setting("WSTUNNEL_URL");
  std::string text = set && !set->empty() ? *set : default_url(master_host(ctx));
  std::string err;
  auto u = parse_server_url(text, &err);
  if (!u) throw sc::Usage("WSTUNNEL_URL: " + err + "; fix it with `sc settings set WSTUNNEL_URL URL`");
  return *u;
}

std::string ca_setting(const sc::Context& ctx) {
  std::string ca = ctx.setting("WSTUNNEL_CA_FILE").value_or("");
  if (ca.empty()) return ca;
  std::string problem = ca_file_problem(ca);
  if (!problem.empty()) throw sc::Usage("WSTUNNEL_CA_FILE: " + problem);
  return ca;
}

unsigned keepalive_setting(const sc::Context& ctx) {
  std::string err;
  auto k = parse_keepalive(ctx.setting("WSTUNNEL_KEEPALIVE").value_or("30"), &err);
  if (!k) throw sc::Usage(err + "; fix it with `sc settings set WSTUNNEL_KEEPALIVE SECONDS`");
  return *k;
}

std::string ssh_config_path(const sc::Context& ctx) {
  std::string dir = plugin_common::ssh_home::target_ssh_dir(ctx);
  if (dir.empty()) throw sc::Failure("the user running sc has no home directory: no ~/.ssh/config to route through");
  return dir + "/config";
}

void setup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  endpoint_setting(ctx, "WSTUNNEL_LISTEN");
  endpoint_setting(ctx, "WSTUNNEL_TARGET");
  keepalive_setting(ctx);
  ctx.set_setting(kMode, "server");
  if (ctx.call_shown("daemon", "add", {"wstunnel"}) != SC_OK) throw sc::Failure("daemon add wstunnel failed");
  const Endpoint listen = endpoint_setting(ctx, "WSTUNNEL_LISTEN");
  ctx.info("the server listens on " + listen.text() +
           ": nginx must proxy https://THIS-HOST/wstunnel to it with the websocket Upgrade headers (see the "
           "wstunnel section of the README)");
}

void client(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  auto mode = master_setting(ctx, "MASTER_MODE");
  auto role = mode ? plugin_common::role::parse_role(*mode) : std::nullopt;
  if (!role || (*role != plugin_common::role::Role::client && *role != plugin_common::role::Role::roaming))
    throw sc::Usage("no master to connect to: MASTER_MODE is " + (mode ? "\"" + *mode + "\"" : std::string("unset")) +
                    ", and only a client or roaming host has one (`sc master setup`)");
  const std::string host = master_host(ctx);
  url_setting(ctx);
  endpoint_setting(ctx, "WSTUNNEL_LISTEN");
  ca_setting(ctx);
  keepalive_setting(ctx);
  const std::string sc_path = plugin_common::systemd_unit::exec_sc_path();
  ctx.set_setting(kMode, "client");
  const std::string config = ssh_config_path(ctx);
  const std::string ssh_dir = config.substr(0, config.rfind('/'));
  if (!ctx.stat(ssh_dir, /*follow=*/true).exists()) ctx.make_dir(ssh_dir, sc::FileAttr::with_mode(0700));
  std::string old = ctx.read_file(config).value_or("");
  std::string text = with_route(old, host, sc_path);
  if (text != old) ctx.write_file(config, text, sc::FileAttr::with_mode(0600));
  if (ctx.call_shown("daemon", "add", {"wstunnel"}) != SC_OK) throw sc::Failure("daemon add wstunnel failed");
}

void cleanup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  // The route first: ssh goes direct again even when the unit cannot be
  // stopped (run again, cleanup finishes).
  const std::string config = ssh_config_path(ctx);
  if (auto old = ctx.read_file(config)) {
    std::string text = without_route(*old);
    if (text != *old) ctx.write_file(config, text, sc::FileAttr::with_mode(0600));
  }
  if (ctx.setting(kMode, SC_SETTING_NO_DEFAULT)) ctx.unset_setting(kMode);
  if (ctx.call_shown("daemon", "del", {"wstunnel"}) != SC_OK) throw sc::Failure("daemon del wstunnel failed");
}

int ready(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  bool yes = ctx.setting(kMode).has_value() && ctx.call("daemon", "has", {"wstunnel"}).status == SC_OK;
  ctx.result(yes ? "true" : "false");
  return yes ? SC_OK : SC_FAIL;
}

int daemon(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  auto mode = ctx.setting(kMode);
  if (!mode) throw sc::Usage("WSTUNNEL_MODE is not set: run `sc wstunnel setup` (server) or `sc wstunnel client`");
  RelayConfig cfg;
  cfg.client = *mode == "client";
  cfg.listen = endpoint_setting(ctx, "WSTUNNEL_LISTEN");
  cfg.keepalive = keepalive_setting(ctx);
  if (cfg.client) {
    cfg.url = url_setting(ctx);
    cfg.ca_file = ca_setting(ctx);
    if (!cfg.ca_file.empty()) cfg.ca_file = ctx.resolve_path(cfg.ca_file);
  } else {
    cfg.target = endpoint_setting(ctx, "WSTUNNEL_TARGET");
  }
  cfg.status_path = ctx.resolve_path(kStatusFile);
  cfg.log = [&ctx](const std::string& line) { ctx.info(line); };
  std::string err;
  if (run_relay(cfg, &err) != 0) throw sc::Failure(err);
  return SC_OK;
}

/// `status`, also the hook `status [local]` (sc status; `local` changes
/// nothing: no other host is asked). The result is the state document with
/// `running`, the hook's `problems` (a tunnel set up here that is not up:
/// an error whose fix starts it again) and `facts.tunnels` (the server or
/// the client, named after its mode). No WSTUNNEL_MODE: no tunnel here.
int status(sc::Context& ctx) {
  ctx.expect_args(0, 1, "[local]");
  if (ctx.args().size() == 1 && ctx.arg(0) != "local")
    throw sc::Usage("argument \"" + ctx.arg(0) + "\" is not \"local\"; usage: sc wstunnel status [local]");
  const std::string path = ctx.resolve_path(kStatusFile);
  std::ifstream in(path);
  Status st;
  bool alive = false;
  if (in) {
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string err;
    auto parsed = from_json(text, &err);
    if (!parsed) throw sc::Failure(path + ": " + err + "; it is rewritten when the daemon starts");
    st = *parsed;
    alive = plugin_common::tunnel::daemon_running(st.pid, "wstunnel");
  } else {
    st.mode = ctx.setting(kMode).value_or("");
    st.last_error = "the daemon has not run here (no " + path + ")";
  }
  const bool up = alive && st.state == "up";
  json j = json::parse(to_json(st));
  j["running"] = alive;
  if (!alive && st.state != "stopped") j["state"] = "down";  // it died without saying so
  const std::string text = describe(st, alive);
  const auto mode = ctx.setting(kMode, SC_SETTING_NO_DEFAULT);
  json tunnels = json::array(), problems = json::array();
  if (mode && !mode->empty()) {
    const std::string detail = text.substr(0, text.find('\n'));
    tunnels.push_back({{"name", *mode}, {"up", up}, {"detail", detail}});
    if (!up) {
      const bool unit = ctx.call("daemon", "has", {"wstunnel"}).status == SC_OK;
      std::string what = "the wstunnel " + *mode + " is not up: " + detail.substr(detail.find(": ") + 2);
      if (!st.last_error.empty()) what += "; last error: " + st.last_error;
      if (!unit) what += "; its daemon unit is missing";
      problems.push_back(
          plugin_common::status_hook::to_json({"error", what,
                                               unit ? plugin_common::tunnel::restart_command("wstunnel", "")
                                               : *mode == "client" ? std::string("sc wstunnel client")
                                                                   : std::string("sc wstunnel setup")}));
    }
  }
  j["problems"] = problems;
  j["facts"] = {{"tunnels", tunnels}};
  ctx.print(text);
  ctx.result(j.dump(-1, ' ', false, json::error_handler_t::replace));
  return up ? SC_OK : SC_FAIL;
}

int connect(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  Endpoint to = endpoint_setting(ctx, "WSTUNNEL_LISTEN");
  std::string err;
  if (bridge_stdio(to, &err) != 0) throw sc::Failure(err);
  return SC_OK;
}

}  // namespace

// clang-format off
SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION,
          sc::command<&setup>("setup"),
          sc::command<&client>("client"),
          sc::command<&cleanup>("cleanup"),
          sc::command<&ready>("ready"),
          sc::command<&daemon>("daemon"),
          sc::command<&status>("status"),
          sc::command<&connect>("connect"))
// clang-format on
