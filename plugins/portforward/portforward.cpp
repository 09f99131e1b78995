// portforward: ports of peers reachable on this host (ssh -L), one daemon
// per peer carrying every port listed for it (the original's module). The
// tunnels are supervised like the lifeline's (plugins/common/tunnel.hpp):
// a port taken here, a peer that refuses or a dead path ends ssh with the
// reason in the status and the journal, and ssh is started again.
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>

#include "common/module_call.hpp"
#include "common/peer_name.hpp"
#include "common/sc_names.hpp"
#include "common/ssh_home.hpp"
#include "common/status_hook.hpp"
#include "common/tunnel.hpp"
#include "forwards.hpp"

namespace {

using nlohmann::json;
using portforward::Forward;
namespace tunnel = plugin_common::tunnel;
namespace module_call = plugin_common::module_call;

constexpr const char* kList = "PORTFORWARD_LIST";

std::vector<Forward> current(const sc::Context& ctx) {
  std::vector<std::string> bad;
  auto list = portforward::parse_list(ctx.setting(kList).value_or(""), &bad);
  for (const auto& b : bad)
    ctx.warn(std::string(kList) + " holds \"" + b + "\", which is not HOST:PORT: ignored (remove it with " +
             "`sc settings set " + kList + " ...`)");
  return list;
}

void save(const sc::Context& ctx, const std::vector<Forward>& list) {
  ctx.set_setting(kList, portforward::list_text(list));
}

std::string checked_host(const sc::Context& ctx, size_t i) {
  const std::string host = plugin_common::peer_name::checked(ctx.arg(i), "HOST");
  if (host == "localhost") throw sc::Usage("HOST is localhost: a port of this host needs no forward");
  return host;
}

int checked_port(const sc::Context& ctx, size_t i) {
  const std::string p = ctx.arg(i);
  if (std::string why = portforward::port_problem(p); !why.empty()) throw sc::Usage("PORT " + why);
  return std::stoi(p);
}

bool unit_exists(const sc::Context& ctx, const std::string& instance) {
  return ctx.call("daemon", "has", {portforward::kModule, instance}).status == SC_OK;
}

void add(sc::Context& ctx) {
  ctx.expect_args(2, 2, "HOST PORT");
  const std::string host = checked_host(ctx, 0);
  const int port = checked_port(ctx, 1);
  auto list = current(ctx);
  const Forward f{host, port};
  const std::string instance = portforward::instance_name(host);
  if (std::find(list.begin(), list.end(), f) != list.end() && unit_exists(ctx, instance)) {
    ctx.info(portforward::item_text(f) + " is already forwarded");
    return;
  }
  module_call::run_shown(ctx, "sshlink", "add", {host});
  const bool existed = unit_exists(ctx, instance);
  if (std::find(list.begin(), list.end(), f) == list.end()) list.push_back(f);
  save(ctx, list);
  module_call::run_shown(ctx, "daemon", "add", {portforward::kModule, instance});
  // Only this host's tunnel starts again, with its new list.
  if (existed) module_call::run_shown(ctx, "daemon", "restart", {portforward::kModule, instance});
}

void del(sc::Context& ctx) {
  ctx.expect_args(1, 2, "HOST [PORT]");
  const std::string host = checked_host(ctx, 0);
  const bool one = ctx.args().size() == 2;
  const int port = one ? checked_port(ctx, 1) : 0;
  auto list = current(ctx);
  const size_t before = list.size();
  list.erase(std::remove_if(list.begin(), list.end(),
                            [&](const Forward& f) { return f.host == host && (!one || f.port == port); }),
             list.end());
  const std::string instance = portforward::instance_name(host);
  if (list.size() == before && !(!one && unit_exists(ctx, instance))) {
    ctx.info(host + (one ? ":" + std::to_string(port) : "") + " is not forwarded");
    return;
  }
  save(ctx, list);
  if (portforward::ports_of(list, host).empty()) {
    module_call::run_shown(ctx, "daemon", "del", {portforward::kModule, instance});
    for (const std::string& f :
         {tunnel::status_path(portforward::kModule, instance), tunnel::control_path(portforward::kModule, instance)})
      if (ctx.stat(f).exists()) ctx.remove(f);
  } else {
    module_call::run_shown(ctx, "daemon", "restart", {portforward::kModule, instance});
  }
}

int has(sc::Context& ctx) {
  ctx.expect_args(1, 2, "HOST [PORT]");
  const std::string host = checked_host(ctx, 0);
  const bool one = ctx.args().size() == 2;
  const int port = one ? checked_port(ctx, 1) : 0;
  const auto list = current(ctx);
  const bool yes = std::any_of(list.begin(), list.end(),
                               [&](const Forward& f) { return f.host == host && (!one || f.port == port); });
  ctx.result(yes ? "true" : "false");
  return yes ? SC_OK : SC_FAIL;
}

void list(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  json out = json::array();
  std::string text;
  for (const auto& f : current(ctx)) {
    out.push_back({{"host", f.host}, {"port", f.port}, {"instance", portforward::instance_name(f.host)}});
    text += portforward::item_text(f) + "\n";
  }
  ctx.print(text);
  ctx.result(out.dump());
}

/// Why the tunnel of `host` is not up, or "". *unit: whether its daemon unit exists.
std::string problem(const sc::Context& ctx, const std::string& host, std::optional<tunnel::Status>* s, bool* alive,
                    bool* unit = nullptr) {
  const std::string instance = portforward::instance_name(host);
  const bool exists = unit_exists(ctx, instance);
  if (unit) *unit = exists;
  if (!exists) return "its daemon unit is missing: run `sc portforward add " + host + " PORT` again";
  *s = tunnel::read_status(ctx, portforward::kModule, instance, alive);
  return tunnel::status_problem(*s, *alive, tunnel::status_path(portforward::kModule, instance));
}

/// `status [HOST]`, and the hook `status [local]` (sc status): each peer's
/// tunnel, up or not and why; the result is the hook's object, each
/// tunnel's status in facts.tunnels (with name and detail), a tunnel that
/// is not up an error whose fix makes it up again. Reads only (`local`:
/// every peer, none contacted, as always).
int status(sc::Context& ctx) {
  ctx.expect_args(0, 1, "[HOST|local]");
  const auto all = current(ctx);
  std::vector<std::string> which = portforward::hosts(all);
  if (ctx.args().size() == 1 && ctx.arg(0) != "local") {
    const std::string host = checked_host(ctx, 0);
    if (std::find(which.begin(), which.end(), host) == which.end())
      throw sc::Usage("no port of " + host + " is forwarded (`sc portforward list` shows them)");
    which = {host};
  }
  json tunnels = json::array(), problems = json::array();
  std::string text;
  bool all_up = true;
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  for (const auto& host : which) {
    std::optional<tunnel::Status> s;
    bool alive = false, unit = false;
    const std::string why = problem(ctx, host, &s, &alive, &unit);
    const auto ports = portforward::ports_of(all, host);
    all_up = all_up && why.empty();
    const std::string detail = s ? tunnel::describe(*s, now, alive) : std::string("never started");
    json j = s ? json::parse(tunnel::to_json(*s)) : json::object();
    j["name"] = host;
    j["host"] = host;
    j["ports"] = ports;
    j["up"] = why.empty();
    j["detail"] = detail;
    j["problem"] = why;
    tunnels.push_back(j);
    if (!why.empty()) {
      std::string list;
      for (int p : ports) list += (list.empty() ? "" : ", ") + std::to_string(p);
      problems.push_back(plugin_common::status_hook::to_json(
          {"error", std::string(ports.size() == 1 ? "port " : "ports ") + list + " of " + host + ": " + why,
           portforward::tunnel_fix(host, ports, unit)}));
    }
    text += host + ": " + detail + "\n";
    if (!why.empty()) text += "  problem: " + why + "\n";
  }
  if (which.empty()) text = "no port is forwarded\n";
  ctx.print(text);
  ctx.result(json{{"problems", problems}, {"facts", {{"tunnels", tunnels}}}}.dump());
  return all_up ? SC_OK : SC_FAIL;
}

int ready(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  bool ok = true;
  for (const auto& host : portforward::hosts(current(ctx))) {
    std::optional<tunnel::Status> s;
    bool alive = false;
    if (std::string why = problem(ctx, host, &s, &alive); !why.empty()) {
      ctx.info("portforward " + host + ": " + why);
      ok = false;
    }
  }
  ctx.result(ok ? "true" : "false");
  return ok ? SC_OK : SC_FAIL;
}

int daemon(sc::Context& ctx) {
  ctx.expect_args(1, 1, "INSTANCE");
  const std::string instance = ctx.arg(0);
  const bool form = plugin_common::sc_names::valid_daemon_instance(instance);
  if (!form)
    throw sc::Usage("INSTANCE \"" + instance +
                    "\" is not a daemon instance of portforward (letters, digits, '.', '_' and '-', starting with a "
                    "letter or digit; `sc portforward list --json` shows each peer's)");
  const auto all = current(ctx);
  std::string host;
  for (const auto& h : portforward::hosts(all))
    if (portforward::instance_name(h) == instance) host = h;
  if (host.empty())
    throw sc::Usage("INSTANCE \"" + instance + "\": no peer of " + kList +
                    " has this daemon instance (`sc portforward list --json` shows each peer's; remove a unit left "
                    "behind with `sc daemon del portforward " +
                    instance + "`)");
  if (ctx.rooted() || ctx.dry_run())
    throw sc::Usage("the portforward daemon runs on this host only: without --root and --dry-run");
  const std::string bind = ctx.setting("PORTFORWARD_BIND").value_or("localhost");
  if (std::string why = portforward::bind_problem(bind); !why.empty())
    throw sc::Usage("PORTFORWARD_BIND " + why + " (set it to localhost, *, a host name or an address)");
  int keepalive = 5, timeout = 10;
  try {
    keepalive = std::stoi(ctx.setting("PORTFORWARD_KEEPALIVE").value_or("5"));
    timeout = std::max(10, std::stoi(ctx.setting("SSHLINK_CONNECT_TIMEOUT").value_or("2")));
  } catch (const std::exception&) {
  }
  const auto id = plugin_common::ssh_home::identity(ctx);
  if (std::string why = plugin_common::openssh::identity_problem(id); !why.empty()) throw sc::Failure(why);
  return tunnel::supervise(portforward::spec(host, portforward::ports_of(all, host), bind, keepalive, timeout,
                                             plugin_common::ssh_home::cpu_has_aes(), id));
}

}  // namespace

// clang-format off
SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION,
          sc::command<&add>("add"),
          sc::command<&del>("del"),
          sc::command<&has>("has"),
          sc::command<&list>("list"),
          sc::command<&status>("status"),
          sc::command<&ready>("ready"),
          sc::command<&daemon>("daemon"))
// clang-format on
