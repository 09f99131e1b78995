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
