// The lifeline on two real hosts of the test cluster: h (behind a NAT, say)
// keeps a reverse tunnel to the relay r; r reaches h's sshd through it and
// runs sc there. Every failure of issue 16 is injected and must heal by
// itself: the ssh child ending with a signal (autossh's trap), the relay's
// sshd gone and back, a half-dead path (the relay's session paused), and
// the relay still holding the port of that dead session.
#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cluster.hpp"
#include "cluster_checks.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

namespace {

json lifeline_status(const Cluster& c) {
  ScRun r = c.sc("h", {"--json", "lifeline", "status"});
  json j = json::parse(r.out, nullptr, false);
  if (j.is_discarded() || !j.contains("result")) return json::object();
  return j["result"];
}

bool is_up(const Cluster& c) {
  return lifeline_status(c).value("up", false);
}

std::string cmdline(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/cmdline");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  for (char& ch : s)
    if (ch == '\0') ch = ' ';
  return s;
}

/// The relay's sshd processes: its listener, or the sessions (every other).
std::vector<int> sshd_processes(const Cluster& c, const std::string& host, bool listener) {
  std::vector<int> out;
  for (int pid : c.processes(host)) {
    const std::string cl = cmdline(pid);
    if (cl.rfind("sshd", 0) != 0 && cl.find("/usr/sbin/sshd") != 0) continue;
    if ((cl.find("[listener]") != std::string::npos) == listener) out.push_back(pid);
  }
  return out;
}

/// The ssh run by the supervisor `pid` (its child).
int ssh_child(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  int child = 0;
  while (f >> child)
    if (cmdline(child).rfind("ssh ", 0) == 0) return child;
  return 0;
}

/// r runs `command` on h through the lifeline (port `port` of its loopback).
sc::ProcessResult through_lifeline(const Cluster& c, int port, const std::vector<std::string>& command) {
  std::vector<std::string> argv = {"ssh",
                                   "-o",
                                   "BatchMode=yes",
                                   "-o",
                                   "HostKeyAlias=h",
                                   "-o",
                                   "ConnectTimeout=5",
                                   "-p",
                                   std::to_string(port),
                                   "root@localhost"};
  argv.insert(argv.end(), command.begin(), command.end());
  return c.on("r", argv);
}

}  // namespace

TEST_CASE("lifeline: the relay reaches the host through the tunnel, which heals from every failure",
          "[lifeline][cluster]") {
  Cluster c({"h", "r"});
  c.trust("h", "r");  // the tunnel: h's key on r
  c.trust("r", "h");  // through it: r's key on h, h's host key known to r
  const int port = free_loopback_port();
  const std::vector<std::string> sets = {"--set", "LIFELINE_TARGET=r",
                                         "--set", "LIFELINE_PORT=" + std::to_string(port),
                                         "--set", "LIFELINE_LOCAL=" + c.address("h") + ":22",
                                         "--set", "LIFELINE_KEEPALIVE=2"};
  const fs::path unit = c.path("h", "/etc/systemd/system/sc_daemon_lifeline.service");

  // --dry-run plans it all and changes nothing.
  std::vector<std::string> args = sets;
  args.insert(args.begin(), "--dry-run");
  args.insert(args.end(), {"lifeline", "setup"});
  ScRun r = run_ok(c, "h", args);
  CHECK_THAT(r.err, Contains("would change: write /etc/systemd/system/sc_daemon_lifeline.service"));
  CHECK_FALSE(fs::exists(unit));
  CHECK_FALSE(c.sc("h", {"settings", "get", "LIFELINE_TARGET"}).status == 0);

  args = sets;
  args.insert(args.end(), {"lifeline", "setup"});
  r = run_ok(c, "h", args);
  CHECK_THAT(r.err, Contains("systemd is not running on this host: sc_daemon_lifeline.service starts when it does"));
  REQUIRE(fs::exists(unit));
  CHECK(systemd_verify_in(c, "h", "/etc/systemd/system/sc_daemon_lifeline.service").empty());
  CHECK_THAT(read_text(unit), Contains("StartLimitIntervalSec=0"));
  CHECK_THAT(read_text(unit), Contains("Restart=always"));
  // A second setup changes nothing.
  r = run_ok(c, "h", {"lifeline", "setup"});
  CHECK(c.sc("h", {"lifeline", "ready"}).status == 1);  // not started yet

  // What the unit runs, run as systemd would.
  start_background(c, "h", {"sc", "lifeline", "daemon"}, "/var/lib/sc/lifeline-daemon.log");
  REQUIRE(wait_for([&] { return is_up(c); }, 30) >= 0);
  CHECK(c.sc("h", {"lifeline", "ready"}).status == 0);
  json st = lifeline_status(c);
  // The status hook (sc status): the tunnel to r up, no problem.
  CHECK(st["problems"] == json::array());
  CHECK(st["facts"]["tunnels"] ==
        json::array({{{"name", "r"}, {"up", true}, {"detail", st["facts"]["tunnels"][0]["detail"]}}}));
  CHECK(st["state"] == "up");
  CHECK(st["attempts"] == 1);
  CHECK(st["target"] == "port " + std::to_string(port) + " of r leads to " + c.address("h") + ":22");
  const int supervisor = st["pid"].get<int>();

  // The relay reaches h's sshd and runs sc there.
  sc::ProcessResult p = through_lifeline(c, port, {"hostname"});
  CHECK(p.out == "h\n");
  p = through_lifeline(c, port, {"sc", "settings", "get", "LIFELINE_TARGET"});
  INFO(p.err);
  CHECK(p.out == "r\n");

  SECTION("the ssh child ending on a signal (status 0 or not) is started again") {
    // autossh stays dead when its ssh exits 0, which a SIGTERM makes it do.
    const int child = ssh_child(supervisor);
    REQUIRE(child > 0);
    REQUIRE(::kill(child, SIGTERM) == 0);
    CHECK(wait_for([&] { return lifeline_status(c).value("attempts", 0) >= 2 && is_up(c); }, 30) >= 0);
    CHECK(through_lifeline(c, port, {"hostname"}).out == "h\n");
  }

  SECTION("the relay's sshd gone for a while, then back: up within 30 s of its return") {
    for (int pid : sshd_processes(c, "r", true)) ::kill(pid, SIGKILL);
    for (int pid : sshd_processes(c, "r", false)) ::kill(pid, SIGKILL);
    REQUIRE(wait_for([&] { return !is_up(c); }, 30) >= 0);
    // Several attempts fail while it is away (refused), with the reason said.
    REQUIRE(wait_for([&] { return lifeline_status(c).value("attempts", 0) >= 4; }, 60) >= 0);
    st = lifeline_status(c);
    CHECK(st["state"] != "up");
    CHECK_THAT(st["last_error"].get<std::string>(), Contains("refused the connection"));
    p = c.on("r", {"/usr/sbin/sshd", "-f", "/etc/ssh/sshd_config", "-E", "/var/lib/sc/sshd-again.log"});
    REQUIRE(p.exit_code == 0);
    const double back = wait_for([&] { return is_up(c); }, 30);
    CHECK(back >= 0);
    CHECK(through_lifeline(c, port, {"hostname"}).out == "h\n");
  }

  SECTION("a half-dead path, then the relay holding the dead session's port: detected, said, healed") {
    // The relay's session of the tunnel stops answering (packets taken by
    // the kernel, nothing answered): keepalives notice it within 30 s.
    std::vector<int> sessions = sshd_processes(c, "r", false);
    REQUIRE_FALSE(sessions.empty());
    for (int pid : sessions) ::kill(pid, SIGSTOP);
    CHECK(wait_for([&] { return !is_up(c); }, 30) >= 0);
    // The new connection asks for the port the paused session still holds:
    // refused, said, tried again.
    REQUIRE(wait_for(
                [&] {
                  return lifeline_status(c)
                             .value("last_error", "")
                             .find("refused to listen on its port " + std::to_string(port)) != std::string::npos;
                },
                60) >= 0);
    const int attempts = lifeline_status(c).value("attempts", 0);
    CHECK(wait_for([&] { return lifeline_status(c).value("attempts", 0) > attempts; }, 30) >= 0);
    CHECK_FALSE(is_up(c));
    r = c.sc("h", {"lifeline", "status"});
    CHECK(r.status == 1);
    CHECK_THAT(r.out, Contains("the port is taken there"));
    // ... and the hook says it as an error, its fix the unit's restart.
    r = c.sc("h", {"--json", "lifeline", "status", "local"});
    CHECK(r.status == 1);
    const json hook = json::parse(r.out, nullptr, false)["result"];
    REQUIRE(hook["problems"].size() == 1);
    CHECK(hook["problems"][0]["level"] == "error");
    CHECK_THAT(hook["problems"][0]["what"].get<std::string>(),
               Contains("the tunnel is ") && Contains("the port is taken there"));
    CHECK(hook["problems"][0]["fix"] == "sc daemon restart lifeline");
    CHECK(hook["facts"]["tunnels"][0]["up"] == false);
    // The relay lets the dead session go (what its ClientAliveInterval
    // does): the tunnel is up again within 30 s.
    for (int pid : sessions) ::kill(pid, SIGKILL);
    CHECK(wait_for([&] { return is_up(c); }, 30) >= 0);
    CHECK(through_lifeline(c, port, {"hostname"}).out == "h\n");
  }

  // Stopped as systemd stops it: the status says so, ready fails, ssh is gone.
  const int child = ssh_child(supervisor);
  REQUIRE(::kill(supervisor, SIGTERM) == 0);
  CHECK(wait_for([&] { return lifeline_status(c).value("state", "") == "stopped"; }, 15) >= 0);
  CHECK(wait_for([&] { return child == 0 || ::kill(child, 0) != 0; }, 15) >= 0);
  CHECK(c.sc("h", {"lifeline", "ready"}).status == 1);

  run_ok(c, "h", {"lifeline", "cleanup"});
  CHECK_FALSE(fs::exists(unit));
  CHECK(c.sc("h", {"settings", "get", "LIFELINE_TARGET"}).status != 0);
  CHECK_FALSE(fs::exists(c.path("h", "/var/lib/sc/lifeline/status.json")));
}
