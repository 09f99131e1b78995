// portforward on real hosts of the test cluster: a web server on m's
// loopback reached from c through the forward, a local port already taken
// (the forward fails loudly, is retried, and heals once the port is free),
// and add/del touching only the peer's own daemon.
#include <signal.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cluster.hpp"
#include "cluster_checks.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

namespace {

json peer_status(const Cluster& c, const std::string& peer) {
  ScRun r = c.sc("c", {"--json", "portforward", "status", peer});
  json j = json::parse(r.out, nullptr, false);
  if (j.is_discarded() || !j.contains("result") || !j["result"].is_object()) return json::object();
  const json tunnels = j["result"].value("facts", json::object()).value("tunnels", json::array());
  return tunnels.is_array() && !tunnels.empty() ? tunnels[0] : json::object();
}

bool is_up(const Cluster& c, const std::string& peer) {
  return peer_status(c, peer).value("up", false);
}

/// What c gets from http://ADDRESS:PORT/FILE (empty when nothing answers).
std::string fetch(const Cluster& c, int port, const std::string& file) {
  sc::ProcessResult r = c.on(
      "c", {"curl", "-sS", "--max-time", "5", "http://" + c.address("c") + ":" + std::to_string(port) + "/" + file});
  return r.exit_code == 0 ? r.out : std::string();
}

}  // namespace

TEST_CASE("portforward: a peer's service reached through the forward, failures said and healed",
          "[portforward][cluster]") {
  Cluster c({"c", "m", "n"});
  c.trust("c", "m");
  c.trust("c", "n");
  const int web = free_loopback_port();
  const int other = free_loopback_port();
  REQUIRE(web != other);
  // m serves /srv/www on its loopback only: c reaches it through the forward.
  write_text(c.path("m", "/srv/www/index.txt"), "served by m\n");
  start_background(
      c, "m", {"python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", "/srv/www", std::to_string(web)},
      "/var/lib/sc/http.log");
  REQUIRE(wait_for([&] { return loopback_port_answers(web); }, 15) >= 0);
  run_ok(c, "c", {"settings", "set", "PORTFORWARD_BIND", c.address("c")});
  CHECK(fetch(c, web, "index.txt").empty());  // nothing listens on c's address yet

  ScRun r = run_ok(c, "c", {"portforward", "add", "m", std::to_string(web)});
  const fs::path unit_m = c.path("c", "/etc/systemd/system/sc_daemon_portforward_m.service");
  REQUIRE(fs::exists(unit_m));
  CHECK(systemd_verify_in(c, "c", "/etc/systemd/system/sc_daemon_portforward_m.service").empty());
  CHECK_THAT(read_text(unit_m), Contains(" portforward daemon m\n"));
  r = run_ok(c, "c", {"portforward", "add", "m", std::to_string(web)});  // again: nothing changes
  CHECK_THAT(r.err, Contains("m:" + std::to_string(web) + " is already forwarded"));
  CHECK(c.sc("c", {"portforward", "has", "m", std::to_string(web)}).status == 0);
  CHECK(c.sc("c", {"portforward", "has", "m"}).status == 0);
  CHECK(c.sc("c", {"portforward", "has", "n"}).status == 1);

  start_background(c, "c", {"sc", "portforward", "daemon", "m"}, "/var/lib/sc/pf-m.log");
  REQUIRE(wait_for([&] { return is_up(c, "m"); }, 30) >= 0);
  CHECK(fetch(c, web, "index.txt") == "served by m\n");
  CHECK(c.sc("c", {"portforward", "ready"}).status == 0);
  // The status hook (sc status): no problem, the tunnel up.
  r = c.sc("c", {"--json", "portforward", "status", "local"});
  CHECK(r.status == 0);
  json hook = json::parse(r.out, nullptr, false);
  CHECK(hook["result"]["problems"] == json::array());
  REQUIRE(hook["result"]["facts"]["tunnels"].size() == 1);
  CHECK(hook["result"]["facts"]["tunnels"][0]["name"] == "m");
  CHECK(hook["result"]["facts"]["tunnels"][0]["up"] == true);
  CHECK_THAT(hook["result"]["facts"]["tunnels"][0]["detail"].get<std::string>(), Contains("up since "));
  int supervisor = peer_status(c, "m")["pid"].get<int>();

  // A second port of m, already taken on c: only m's daemon is restarted
  // (n's is untouched), and the forward fails loudly until the port is free.
  start_background(c, "c", {"python3", "-m", "http.server", "--bind", c.address("c"), std::to_string(other)},
                   "/var/lib/sc/squatter.log");
  REQUIRE(wait_for(
              [&] {
                return c.on("c", {"curl", "-s", "-o", "/dev/null", "--max-time", "2",
                                  "http://" + c.address("c") + ":" + std::to_string(other) + "/"})
                           .exit_code == 0;
              },
              15) >= 0);
  r = run_ok(c, "c", {"portforward", "add", "n", "7"});
  CHECK_THAT(r.err, Contains("sc_daemon_portforward_n.service"));
  CHECK_THAT(r.err, !Contains("sc_daemon_portforward_m.service"));
  r = run_ok(c, "c", {"portforward", "add", "m", std::to_string(other)});
  CHECK_THAT(r.err, Contains("sc_daemon_portforward_m.service"));
  CHECK_THAT(r.err, !Contains("sc_daemon_portforward_n.service"));
  CHECK(out_of(c, "c", {"sc", "portforward", "list"}) ==
        "m:" + std::to_string(web) + "\nn:7\nm:" + std::to_string(other) + "\n");
  // The restart systemd would do.
  REQUIRE(::kill(supervisor, SIGTERM) == 0);
  REQUIRE(wait_for([&] { return peer_status(c, "m").value("state", "") == "stopped"; }, 15) >= 0);
  start_background(c, "c", {"sc", "portforward", "daemon", "m"}, "/var/lib/sc/pf-m2.log");
  REQUIRE(wait_for(
              [&] {
                return peer_status(c, "m").value("last_error", "").find("local port to forward is taken") !=
                       std::string::npos;
              },
              30) >= 0);
  CHECK_FALSE(is_up(c, "m"));
  r = c.sc("c", {"portforward", "status", "m"});
  CHECK(r.status == 1);
  CHECK_THAT(r.out, Contains("a local port to forward is taken on this host"));
  CHECK(c.sc("c", {"portforward", "ready"}).status == 1);
  // The hook: m's tunnel down (its daemon runs, restarting it is the fix),
  // n's never started (no daemon runs it here).
  r = c.sc("c", {"--json", "portforward", "status", "local"});
  CHECK(r.status == 1);
  hook = json::parse(r.out, nullptr, false);
  REQUIRE(hook["result"]["problems"].size() == 2);
  CHECK(hook["result"]["problems"][0]["level"] == "error");
  CHECK_THAT(hook["result"]["problems"][0]["what"].get<std::string>(),
             Contains("ports " + std::to_string(web) + ", " + std::to_string(other) +
                      " of m: the tunnel is down: a local port to forward is taken on this host"));
  CHECK(hook["result"]["problems"][0]["fix"] == "sc daemon restart portforward m");
  CHECK(hook["result"]["problems"][1]["what"] ==
        "port 7 of n: its daemon has not run yet (no /var/lib/sc/portforward/status-n.json)");
  CHECK(hook["result"]["problems"][1]["fix"] == "sc daemon restart portforward n");
  CHECK(hook["result"]["facts"]["tunnels"][0]["up"] == false);
  // The squatter goes: both ports are forwarded within 30 s.
  for (int pid : c.processes("c")) {
    sc::ProcessResult ps = c.on("c", {"cat", "/proc/" + std::to_string(pid) + "/cmdline"});
    if (ps.out.find("http.server") != std::string::npos) ::kill(pid, SIGKILL);
  }
  REQUIRE(wait_for([&] { return is_up(c, "m"); }, 30) >= 0);
  CHECK(fetch(c, web, "index.txt") == "served by m\n");
  CHECK(c.on("c", {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5",
                   "http://" + c.address("c") + ":" + std::to_string(other) + "/"})
            .out != "200");  // nothing serves it on m: the forward is there, the service is not
  // ... and that is not silent: the status says the peer could not open it.
  CHECK(wait_for(
            [&] {
              return peer_status(c, "m").value("last_error", "").find("could not open a forwarded connection") !=
                     std::string::npos;
            },
            10) >= 0);
  supervisor = peer_status(c, "m")["pid"].get<int>();

  // del of one port restarts m's daemon only; del of the last removes it.
  r = run_ok(c, "c", {"portforward", "del", "m", std::to_string(other)});
  CHECK_THAT(r.err, Contains("sc_daemon_portforward_m.service"));
  CHECK(fs::exists(unit_m));
  r = run_ok(c, "c", {"portforward", "del", "m"});
  CHECK_FALSE(fs::exists(unit_m));
  CHECK(fs::exists(c.path("c", "/etc/systemd/system/sc_daemon_portforward_n.service")));
  CHECK(out_of(c, "c", {"sc", "portforward", "list"}) == "n:7\n");
  ::kill(supervisor, SIGTERM);
}
