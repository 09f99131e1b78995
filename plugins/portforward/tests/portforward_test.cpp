#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../forwards.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;
using portforward::Forward;

TEST_CASE("portforward: the list, as the original kept it", "[portforward]") {
  std::vector<std::string> bad;
  auto list =
      portforward::parse_list(" nas:8080 nas:9091  admin@web:2222:80 [fd00::1]:22:5432 nas:8080 x y:0 z:99999", &bad);
  CHECK(list == std::vector<Forward>{{"nas", 8080}, {"nas", 9091}, {"admin@web:2222", 80}, {"[fd00::1]:22", 5432}});
  CHECK(bad == std::vector<std::string>{"x", "y:0", "z:99999"});
  CHECK(portforward::list_text(list) == "nas:8080 nas:9091 admin@web:2222:80 [fd00::1]:22:5432");
  CHECK(portforward::hosts(list) == std::vector<std::string>{"nas", "admin@web:2222", "[fd00::1]:22"});
  CHECK(portforward::ports_of(list, "nas") == std::vector<int>{8080, 9091});
  CHECK(portforward::parse_list("", nullptr).empty());
  for (const auto& h : hostile_strings()) {
    INFO(h);
    bad.clear();
    CHECK(portforward::parse_list(h + ":80", &bad).size() <= 1);
  }
}

TEST_CASE("portforward: daemon instances and the bind address", "[portforward]") {
  CHECK(portforward::instance_name("nas") == "nas");
  CHECK(portforward::instance_name("nas.example.com") == "nas.example.com");
  const std::string odd = portforward::instance_name("admin@web:2222");
  CHECK_THAT(odd, Catch::StartsWith("admin_web_2222-"));
  CHECK(odd.size() == std::string("admin_web_2222-").size() + 8);
  CHECK(portforward::instance_name("admin@web:2223") != odd);
  CHECK_THAT(portforward::instance_name("[fd00::1]:22"), Catch::StartsWith("fd00__1__22-"));
  for (const char* ok : {"localhost", "*", "127.0.0.1", "[::1]", "gateway.lan"})
    CHECK(portforward::bind_problem(ok).empty());
  for (const auto& bad : hostile_strings()) {
    INFO(bad);
    if (bad != "*") CHECK_FALSE(portforward::bind_problem(bad).empty());
  }
  for (const char* bad : {"0", "65536", "-1", "08", "", "1e3", "80 "})
    CHECK_FALSE(portforward::port_problem(bad).empty());
}

TEST_CASE("portforward: one ssh per peer carries all its ports", "[portforward]") {
  plugin_common::openssh::Identity id{"/root/.ssh", {"/root/.ssh/id_ed25519"}, false};
  auto s = portforward::spec("nas", {8080, 9091}, "localhost", 5, 10, /*aes=*/false, id);
  CHECK(s.instance == "nas");
  std::vector<std::string> want = {"ssh",
                                   "-i",
                                   "/root/.ssh/id_ed25519",
                                   "-o",
                                   "IdentitiesOnly=yes",
                                   "-o",
                                   "BatchMode=yes",
                                   "-o",
                                   "StrictHostKeyChecking=yes",
                                   "-o",
                                   "UserKnownHostsFile=/root/.ssh/known_hosts",
                                   "-o",
                                   "ConnectTimeout=10",
                                   "-o",
                                   "ServerAliveInterval=5",
                                   "-o",
                                   "ServerAliveCountMax=3",
                                   "-o",
                                   "ExitOnForwardFailure=yes",
                                   "-o",
                                   "ControlMaster=yes",
                                   "-o",
                                   "ControlPath=/var/lib/sc/portforward/ctl-nas",
                                   "-o",
                                   "ControlPersist=no",
                                   "-N",
                                   "-L",
                                   "localhost:8080:localhost:8080",
                                   "-L",
                                   "localhost:9091:localhost:9091",
                                   "--",
                                   "nas"};
  CHECK(s.ssh == want);
  CHECK(s.probe == std::vector<std::string>{"ssh", "-o", "ControlPath=/var/lib/sc/portforward/ctl-nas", "-O", "check",
                                            "--", "nas"});
  CHECK(s.probe_expect.empty());
  CHECK(s.target == "ports 8080, 9091 of nas on localhost");
  // AES-GCM first on a processor with AES instructions, after the identity.
  auto aes = portforward::spec("nas", {8080}, "localhost", 5, 10, /*aes=*/true, id).ssh;
  CHECK(std::vector<std::string>(aes.begin() + 17, aes.begin() + 21) ==
        std::vector<std::string>{"-o", "Ciphers=^aes128-gcm@openssh.com,aes256-gcm@openssh.com", "-o",
                                 "ExitOnForwardFailure=yes"});
  CHECK(portforward::spec("nas", {8080}, "localhost", 5, 10, false, id).target == "port 8080 of nas on localhost");
}

// add links the peer for real: the cluster test runs add, del and the
// tunnels; here, what is refused before any change.
TEST_CASE("portforward refuses bad hosts and ports and changes nothing", "[portforward]") {
  TempDir root;
  fs::create_directories(root / "etc");
  fs::create_directories(root / "root/.ssh");
  const std::string before = tree_hash(root.path());
  ScRun r;
  for (const auto& bad : hostile_strings()) {
    INFO(bad);
    r = run_sc_rooted(root.path(), {"portforward", "add", bad, "8080"});
    CHECK(r.status == 2);
    r = run_sc_rooted(root.path(), {"portforward", "add", "nas", bad});
    CHECK(r.status == 2);
    CHECK(tree_hash(root.path()) == before);
  }
  r = run_sc_rooted(root.path(), {"portforward", "add", "nas", "0"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("PORT \"0\" is not a port number (1 to 65535)"));
  r = run_sc_rooted(root.path(), {"portforward", "add", "localhost", "80"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("needs no forward"));
  CHECK(tree_hash(root.path()) == before);
  r = run_sc_rooted(root.path(), {"portforward", "del", "nas"});
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("nas is not forwarded"));
  r = run_sc_rooted(root.path(), {"portforward", "has", "nas"});
  CHECK(r.status == 1);
  r = run_sc_rooted(root.path(), {"portforward", "status"});
  CHECK(r.status == 0);
  CHECK(r.out == "no port is forwarded\n");
  CHECK(tree_hash(root.path()) == before);
}

TEST_CASE("portforward: the fix of a tunnel that is not up", "[portforward]") {
  CHECK(portforward::tunnel_fix("nas", {8080, 9091}, true) == "sc daemon restart portforward nas");
  CHECK(portforward::tunnel_fix("nas", {8080, 9091}, false) == "sc portforward add nas 8080");
  // A name a shell would read otherwise (brackets glob) is quoted.
  CHECK(portforward::tunnel_fix("[fd00::1]:22", {5432}, false) == "sc portforward add '[fd00::1]:22' 5432");
  CHECK(portforward::tunnel_fix("[fd00::1]:22", {5432}, true) ==
        "sc daemon restart portforward " + portforward::instance_name("[fd00::1]:22"));
}

// The daemons run for real in the cluster test; here the statuses they
// write are seeded under --root (where every daemon counts as running).
TEST_CASE("portforward status: the hook's problems for tunnels up, down and without a unit", "[portforward]") {
  TempDir root;
  fs::create_directories(root / "etc");
  REQUIRE(
      run_sc_rooted(root.path(), {"settings", "set", "PORTFORWARD_LIST", "nas:8080 nas:9091 web:80 gone:22"}).status ==
      0);
  for (const char* unit : {"sc_daemon_portforward_nas.service", "sc_daemon_portforward_web.service"})
    write_text(root / "etc/systemd/system" / unit, "[Service]\n");
  auto seed = [&](const std::string& instance, const std::string& state, const std::string& error) {
    json s = {{"module", "portforward"},
              {"instance", instance},
              {"state", state},
              {"since_epoch", 1796223845},
              {"last_error", error},
              {"last_error_at_epoch", error.empty() ? 0 : 1796223800},
              {"attempts", 3},
              {"pid", 1},
              {"target", "ports of " + instance + " on localhost"}};
    write_text(root / ("var/lib/sc/portforward/status-" + instance + ".json"), s.dump());
  };
  seed("nas", "up", "");
  seed("web", "down", "a local port to forward is taken on this host (bind: Address already in use)");
  const std::string before = tree_hash(root.path());

  ScRun r = run_sc_rooted(root.path(), {"--json", "portforward", "status", "local"});
  INFO(r.out << r.err);
  CHECK(r.status == 1);
  json res = json::parse(r.out)["result"];
  CHECK(res["problems"] == json::array({{{"level", "error"},
                                         {"what",
                                          "port 80 of web: the tunnel is down: a local port to forward is taken "
                                          "on this host (bind: Address already in use)"},
                                         {"fix", "sc daemon restart portforward web"}},
                                        {{"level", "error"},
                                         {"what",
                                          "port 22 of gone: its daemon unit is missing: run `sc portforward add "
                                          "gone PORT` again"},
                                         {"fix", "sc portforward add gone 22"}}}));
  json tunnels = res["facts"]["tunnels"];
  REQUIRE(tunnels.size() == 3);
  // The contract's fields, and the status fields `status` always gave.
  CHECK(tunnels[0]["name"] == "nas");
  CHECK(tunnels[0]["up"] == true);
  CHECK(tunnels[0]["host"] == "nas");
  CHECK(tunnels[0]["ports"] == json::array({8080, 9091}));
  CHECK(tunnels[0]["state"] == "up");
  CHECK(tunnels[0]["problem"] == "");
  CHECK_THAT(tunnels[0]["detail"].get<std::string>(), Contains("up since 2026-12-02T15:04:05Z"));
  CHECK(tunnels[1]["name"] == "web");
  CHECK(tunnels[1]["up"] == false);
  CHECK(tunnels[1]["last_error"] == "a local port to forward is taken on this host (bind: Address already in use)");
  CHECK_THAT(tunnels[1]["detail"].get<std::string>(), Contains("down since 2026-12-02T15:04:05Z"));
  CHECK(tunnels[2]["name"] == "gone");
  CHECK(tunnels[2]["up"] == false);
  CHECK(tunnels[2]["detail"] == "never started");

  // The text is the command's, with or without `local`.
  r = run_sc_rooted(root.path(), {"portforward", "status"});
  CHECK(r.status == 1);
  CHECK(r.out == run_sc_rooted(root.path(), {"portforward", "status", "local"}).out);
  CHECK_THAT(r.out, Contains("nas: up since 2026-12-02T15:04:05Z"));
  CHECK_THAT(r.out, Contains("gone: never started\n  problem: its daemon unit is missing"));
  // One host: that tunnel alone.
  r = run_sc_rooted(root.path(), {"--json", "portforward", "status", "nas"});
  CHECK(r.status == 0);
  res = json::parse(r.out)["result"];
  CHECK(res["problems"] == json::array());
  CHECK(res["facts"]["tunnels"].size() == 1);
  CHECK(tree_hash(root.path()) == before);  // read only
  // Every tunnel up: no problem.
  seed("web", "up", "");
  write_text(root / "etc/systemd/system/sc_daemon_portforward_gone.service", "[Service]\n");
  seed("gone", "up", "");
  r = run_sc_rooted(root.path(), {"--json", "--dry-run", "portforward", "status", "local"});
  CHECK(r.status == 0);
  CHECK(json::parse(r.out)["result"]["problems"] == json::array());
  // A host with no forward: nothing to say.
  TempDir empty;
  fs::create_directories(empty / "etc");
  r = run_sc_rooted(empty.path(), {"--json", "portforward", "status", "local"});
  CHECK(r.status == 0);
  CHECK(json::parse(r.out)["result"] == json::parse(R"({"problems": [], "facts": {"tunnels": []}})"));
}
