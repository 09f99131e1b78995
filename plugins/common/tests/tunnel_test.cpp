#include "common/tunnel.hpp"

#include <catch2/catch.hpp>

#include "common/openssh.hpp"
#include "test_support.hpp"

using Catch::Contains;
namespace tunnel = plugin_common::tunnel;
namespace openssh = plugin_common::openssh;

// supervise() runs ssh for real: the lifeline and portforward cluster tests
// drive it through every failure of issue 16.

TEST_CASE("tunnel: backoff is 1, 2, 4, 8, then the cap, never more", "[common][tunnel]") {
  CHECK(tunnel::backoff_seconds(0) == 1);
  CHECK(tunnel::backoff_seconds(1) == 1);
  CHECK(tunnel::backoff_seconds(2) == 2);
  CHECK(tunnel::backoff_seconds(3) == 4);
  CHECK(tunnel::backoff_seconds(4) == 8);
  CHECK(tunnel::backoff_seconds(5) == 10);
  CHECK(tunnel::backoff_seconds(1000000) == 10);
  CHECK(tunnel::backoff_seconds(3, 3) == 3);
}

TEST_CASE("tunnel: status files, their JSON and their text", "[common][tunnel]") {
  CHECK(tunnel::status_path("lifeline", "") == "/var/lib/sc/lifeline/status.json");
  CHECK(tunnel::status_path("portforward", "nas") == "/var/lib/sc/portforward/status-nas.json");
  CHECK(tunnel::control_path("portforward", "nas") == "/var/lib/sc/portforward/ctl-nas");
  CHECK(tunnel::restart_command("lifeline", "") == "sc daemon restart lifeline");
  CHECK(tunnel::restart_command("portforward", "nas") == "sc daemon restart portforward nas");
  CHECK(tunnel::iso_time(0) == "1970-01-01T00:00:00Z");
  CHECK(tunnel::iso_time(1796223845) == "2026-12-02T15:04:05Z");

  tunnel::Status s;
  s.module = "lifeline";
  s.state = "up";
  s.since = 1796223845;
  s.last_error = "the peer refused the connection \"x\"\n";
  s.last_error_at = 1796223800;
  s.attempts = 3;
  s.pid = 4242;
  s.target = "port 22000 of relay leads to localhost:22";
  auto back = tunnel::from_json(tunnel::to_json(s));
  REQUIRE(back);
  CHECK(back->module == "lifeline");
  CHECK(back->state == "up");
  CHECK(back->since == s.since);
  CHECK(back->last_error == s.last_error);
  CHECK(back->last_error_at == s.last_error_at);
  CHECK(back->attempts == 3);
  CHECK(back->pid == 4242);
  CHECK(back->target == s.target);
  CHECK_THAT(tunnel::to_json(s), Contains("\"since\":\"2026-12-02T15:04:05Z\""));
  for (const char* bad : {"", "{", "[]", "{\"state\":3}", "null"}) CHECK_FALSE(tunnel::from_json(bad));

  const std::string up = tunnel::describe(s, s.since + 125, true);
  CHECK_THAT(up, Contains("up since 2026-12-02T15:04:05Z (2 min 5 s)"));
  CHECK_THAT(up, Contains("3 connections started"));
  CHECK_THAT(up, Contains("last error (2026-12-02T15:03:20Z, 2 min 50 s ago): the peer refused"));
  const std::string dead = tunnel::describe(s, s.since + 10, false);
  CHECK_THAT(dead, Contains("down: its daemon (pid 4242) is not running"));
}

TEST_CASE("tunnel: ssh's errors said for people", "[common][tunnel]") {
  CHECK_THAT(tunnel::explain_ssh_error("Error: remote port forwarding failed for listen port 22000"),
             Contains("refused to listen on its port 22000: the port is taken there"));
  CHECK_THAT(tunnel::explain_ssh_error("Error: remote port forwarding failed for listen port 22000"),
             Contains("ClientAliveInterval"));
  CHECK_THAT(tunnel::explain_ssh_error("bind [127.0.0.1]:8080: Address already in use"),
             Contains("a local port to forward is taken on this host"));
  CHECK_THAT(tunnel::explain_ssh_error("ssh: connect to host r port 22: Connection refused"),
             Contains("refused the connection"));
  CHECK_THAT(tunnel::explain_ssh_error("ssh: connect to host r port 22: Connection timed out"),
             Contains("did not answer"));
  CHECK_THAT(tunnel::explain_ssh_error("Timeout, server r not responding."), Contains("stopped answering keepalives"));
  CHECK_THAT(tunnel::explain_ssh_error("Host key verification failed."), Contains("sc sshlink add"));
  CHECK_THAT(tunnel::explain_ssh_error("root@r: Permission denied (publickey)."), Contains("refused our key"));
  CHECK_THAT(tunnel::explain_ssh_error("connect_to localhost port 22: failed."), Contains("local end does not answer"));
  CHECK_THAT(tunnel::explain_ssh_error("channel 2: open failed: connect failed: Connection refused"),
             Contains("could not open a forwarded connection"));
  CHECK(tunnel::explain_ssh_error("Authenticated to r ([127.0.0.2]:22).").empty());
}

TEST_CASE("openssh: peers split for ssh, and sc's identity as options", "[common][openssh]") {
  auto p = openssh::split_peer("admin@relay.example.com:2222");
  CHECK(p.user == "admin");
  CHECK(p.host == "relay.example.com");
  CHECK(p.port == 2222);
  CHECK(openssh::peer_text(p) == "admin@relay.example.com:2222");
  CHECK(openssh::destination_words(p) ==
        std::vector<std::string>{"-p", "2222", "-l", "admin", "--", "relay.example.com"});
  p = openssh::split_peer("[fd00::1]:22");
  CHECK(p.host == "[fd00::1]");
  CHECK(openssh::destination_words(p) == std::vector<std::string>{"-p", "22", "--", "fd00::1"});
  CHECK(openssh::destination_words(openssh::split_peer("r")) == std::vector<std::string>{"--", "r"});

  openssh::Identity id{"/root/.ssh", {"/root/.ssh/id_ed25519"}, true};
  CHECK(openssh::client_options(id, 10, 5, 3) ==
        std::vector<std::string>{"-F", "/root/.ssh/config", "-i", "/root/.ssh/id_ed25519", "-o", "IdentitiesOnly=yes",
                                 "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o",
                                 "UserKnownHostsFile=/root/.ssh/known_hosts", "-o", "ConnectTimeout=10", "-o",
                                 "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3"});
  CHECK(openssh::identity_problem(id).empty());
  CHECK(openssh::cpu_has_aes("processor\t: 0\nflags\t\t: fpu vme sse2 aes avx2\n"));
  CHECK(openssh::cpu_has_aes("flags\t: aes\n"));
  CHECK_FALSE(openssh::cpu_has_aes("flags\t\t: fpu vaes aes-ni\nbugs\t: aes\n"));
  CHECK_FALSE(openssh::cpu_has_aes(""));
  CHECK(openssh::bulk_options(false).empty());
  CHECK(openssh::bulk_options(true) ==
        std::vector<std::string>{"-o", "Ciphers=^aes128-gcm@openssh.com,aes256-gcm@openssh.com"});
  for (const char* bad :
       {"", "relative/.ssh", "/home/a b/.ssh", "/home/a%d/.ssh", "/home/a\"/.ssh", "/home/a\n/.ssh"}) {
    INFO(bad);
    CHECK_FALSE(openssh::identity_problem(openssh::Identity{bad, {}, false}).empty());
  }
}
