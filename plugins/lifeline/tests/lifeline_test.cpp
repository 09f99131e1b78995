#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../lifeline_spec.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

TEST_CASE("lifeline: LIFELINE_LOCAL is HOST:PORT", "[lifeline]") {
  for (const char* ok : {"localhost:22", "127.0.0.1:2222", "[::1]:22", "ssh.example.com:65535"}) {
    INFO(ok);
    CHECK(lifeline::local_problem(ok).empty());
  }
  CHECK_THAT(lifeline::local_problem("localhost"), Contains("has no port"));
  CHECK_THAT(lifeline::local_problem("localhost:0"), Contains("from 1 to 65535"));
  CHECK_THAT(lifeline::local_problem("localhost:65536"), Contains("from 1 to 65535"));
  CHECK_THAT(lifeline::local_problem("[zz]:22"), Contains("not an IPv6 address"));
  for (const auto& bad : hostile_strings()) {
    INFO(bad);
    CHECK_FALSE(lifeline::local_problem(bad).empty());
    CHECK_FALSE(lifeline::local_problem(bad + ":22").empty());
  }
  std::string host;
  int port = 0;
  lifeline::split_local("[::1]:2200", &host, &port);
  CHECK(host == "[::1]");
  CHECK(port == 2200);
}

TEST_CASE("lifeline: the tunnel's and the probe's command lines", "[lifeline]") {
  lifeline::Config c;
  c.target = "admin@relay:2222";
  c.port = 22000;
  c.local_host = "localhost";
  c.local_port = 22;
  c.keepalive = 5;
  c.connect_timeout = 10;
  plugin_common::openssh::Identity id{"/root/.ssh", {"/root/.ssh/id_ed25519"}, false};
  auto s = lifeline::spec(c, id);
  const std::vector<std::string> auth = {"-i", "/root/.ssh/id_ed25519",
                                         "-o", "IdentitiesOnly=yes",
                                         "-o", "BatchMode=yes",
                                         "-o", "StrictHostKeyChecking=yes",
                                         "-o", "UserKnownHostsFile=/root/.ssh/known_hosts",
                                         "-o", "ConnectTimeout=10",
                                         "-o", "ServerAliveInterval=5",
                                         "-o", "ServerAliveCountMax=3"};
  std::vector<std::string> want = {"ssh"};
  want.insert(want.end(), auth.begin(), auth.end());
  want.insert(want.end(), {"-o", "ExitOnForwardFailure=yes", "-o", "ControlMaster=yes", "-o",
                           "ControlPath=/var/lib/sc/lifeline/ctl", "-o", "ControlPersist=no", "-N", "-R",
                           "22000:localhost:22", "-p", "2222", "-l", "admin", "--", "relay"});
  CHECK(s.ssh == want);
  want = {"ssh"};
  want.insert(want.end(), auth.begin(), auth.end());
  want.insert(want.end(), {"-o", "ControlMaster=no", "-o", "ControlPath=/var/lib/sc/lifeline/ctl", "-W",
                           "localhost:22000", "-p", "2222", "-l", "admin", "--", "relay"});
  CHECK(s.probe == want);
  CHECK(s.probe_expect == "SSH-");
  CHECK(s.module == "lifeline");
  CHECK(s.instance.empty());
  CHECK(s.target == "port 22000 of admin@relay:2222 leads to localhost:22");
}

// Setup links the relay for real: the cluster test runs it (and its
// --dry-run); here, what is refused before any change.
TEST_CASE("lifeline setup refuses bad settings and changes nothing", "[lifeline]") {
  TempDir root;
  fs::create_directories(root / "etc");
  fs::create_directories(root / "root/.ssh");
  const std::string before = tree_hash(root.path());
  // The daemon's settings are read at its start: a bad one stops setup first.
  ScRun r = run_sc_rooted(root.path(),
                          {"--set", "LIFELINE_TARGET=relay", "--set", "LIFELINE_LOCAL=localhost", "lifeline", "setup"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("LIFELINE_LOCAL \"localhost\" is not HOST:PORT: it has no port"));
  CHECK(tree_hash(root.path()) == before);
  for (const auto& bad : hostile_strings()) {
    INFO(bad);
    r = run_sc_rooted(root.path(), {"--set", "LIFELINE_TARGET=" + bad, "lifeline", "setup"});
    CHECK(r.status == 2);
    CHECK(tree_hash(root.path()) == before);
  }
  r = run_sc_rooted(root.path(), {"--set", "LIFELINE_TARGET=localhost", "lifeline", "setup"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("the relay must be another host"));

  // status: nothing set up, nothing in use: no problem for `sc status`
  // (which asks every module), exit 1 as the lifeline is not up.
  r = run_sc_rooted(root.path(), {"--json", "lifeline", "status"});
  CHECK(r.status == 1);
  json j = json::parse(r.out);
  CHECK(j["result"]["up"] == false);
  CHECK(j["result"]["set_up"] == false);
  CHECK(j["result"]["problems"] == json::array());
  CHECK(j["result"]["facts"] == json{{"tunnels", json::array()}});
  // A target set but nothing else: each reason said, with its fix.
  r = run_sc_rooted(root.path(), {"--json", "--set", "LIFELINE_TARGET=relay", "lifeline", "status"});
  CHECK(r.status == 1);
  j = json::parse(r.out);
  CHECK(j["result"]["problems"] ==
        json::array({{{"level", "error"},
                      {"what", "its daemon unit is missing: run `sc lifeline setup`"},
                      {"fix", "sc lifeline setup"}},
                     {{"level", "error"},
                      {"what", "its daemon has not run yet (no /var/lib/sc/lifeline/status.json)"},
                      {"fix", "sc lifeline setup"}}}));
  CHECK(j["result"]["facts"] ==
        json{{"tunnels", json::array({{{"name", "relay"}, {"up", false}, {"detail", "never started"}}})}});
  r = run_sc_rooted(root.path(), {"lifeline", "ready"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("LIFELINE_TARGET is not set"));
  CHECK_THAT(r.err, Contains("its daemon unit is missing"));

  // The daemon runs on a live host only.
  r = run_sc_rooted(root.path(), {"--set", "LIFELINE_TARGET=relay", "lifeline", "daemon"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("runs on this host only"));
}

TEST_CASE("lifeline status and ready read what the daemon wrote", "[lifeline]") {
  TempDir root;
  fs::create_directories(root / "etc/systemd/system");
  write_text(root / "etc/systemd/system/sc_daemon_lifeline.service", "[Service]\n");
  ScRun r = run_sc_rooted(root.path(), {"settings", "set", "LIFELINE_TARGET", "relay"});
  REQUIRE(r.status == 0);
  auto write_status = [&](const std::string& state, const std::string& error) {
    json s = {{"module", "lifeline"},
              {"instance", ""},
              {"state", state},
              {"since_epoch", 1796223845},
              {"last_error", error},
              {"last_error_at_epoch", error.empty() ? 0 : 1796223800},
              {"attempts", 2},
              {"pid", 1},
              {"target", "port 22000 of relay leads to localhost:22"}};
    fs::create_directories(root / "var/lib/sc/lifeline");
    write_text(root / "var/lib/sc/lifeline/status.json", s.dump());
  };
  write_status("up", "");
  r = run_sc_rooted(root.path(), {"lifeline", "status"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("lifeline: up since 2026-12-02T15:04:05Z"));
  CHECK_THAT(r.out, Contains("port 22000 of relay leads to localhost:22; 2 connections started"));
  CHECK(run_sc_rooted(root.path(), {"lifeline", "ready"}).status == 0);
  // The status hook: no problem, the tunnel (named after its relay) up.
  r = run_sc_rooted(root.path(), {"--json", "lifeline", "status", "local"});
  CHECK(r.status == 0);
  json up = json::parse(r.out)["result"];
  CHECK(up["problems"] == json::array());
  REQUIRE(up["facts"]["tunnels"].size() == 1);
  CHECK(up["facts"]["tunnels"][0]["name"] == "relay");
  CHECK(up["facts"]["tunnels"][0]["up"] == true);
  CHECK_THAT(up["facts"]["tunnels"][0]["detail"].get<std::string>(),
             Contains("up since 2026-12-02T15:04:05Z") && Contains("port 22000 of relay leads to localhost:22"));
  CHECK(up["state"] == "up");  // the status document, as before
  CHECK(run_sc_rooted(root.path(), {"lifeline", "status", "remote"}).status == 2);

  write_status("down", "the peer refused to listen on its port 22000: the port is taken there");
  r = run_sc_rooted(root.path(), {"--json", "lifeline", "status"});
  CHECK(r.status == 1);
  json j = json::parse(r.out);
  CHECK(j["result"]["state"] == "down");
  CHECK(j["result"]["since"] == "2026-12-02T15:04:05Z");
  CHECK(j["result"]["last_error"] == "the peer refused to listen on its port 22000: the port is taken there");
  CHECK(j["result"]["problems"] ==
        json::array(
            {{{"level", "error"},
              {"what", "the tunnel is down: the peer refused to listen on its port 22000: the port is taken there"},
              {"fix", "sc daemon restart lifeline"}}}));
  CHECK(j["result"]["facts"]["tunnels"][0]["up"] == false);
  CHECK(j["result"]["facts"]["tunnels"][0]["name"] == "relay");
  // `local` asks nothing more of the relay: the same answer.
  r = run_sc_rooted(root.path(), {"--json", "lifeline", "status", "local"});
  CHECK(r.status == 1);
  CHECK(json::parse(r.out)["result"]["problems"] == j["result"]["problems"]);
  r = run_sc_rooted(root.path(), {"lifeline", "ready"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("the tunnel is down: the peer refused"));
}
