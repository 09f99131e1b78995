// wstunnel on the test cluster: the master m runs our server behind a real
// nginx (TLS with a certificate the test makes, the original's /wstunnel
// location); the client host c runs our client, and `sc sshlink` from c to
// m goes through nginx and the websocket, m's host key checked under its
// own name in c's known_hosts.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "../tunnel_config.hpp"
#include "../wst_status.hpp"
#include "cluster.hpp"
#include "cluster_checks.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

template <class F>
bool soon(F done, std::chrono::milliseconds limit = 20s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return done();
}

json status_of(const Cluster& c, const std::string& host) {
  ScRun r = c.sc(host, {"--json", "wstunnel", "status"});
  json j = json::parse(r.out, nullptr, false);
  return j.is_object() && j.contains("result") ? j["result"] : json::object();
}

bool up(const Cluster& c, const std::string& host) {
  json s = status_of(c, host);
  return s.value("running", false) && s.value("state", "") == "up";
}

std::string nginx_conf(const std::string& address) {
  const std::string d = "/var/lib/sc/wst-nginx";
  return "pid " + d +
         "/nginx.pid;\n"
         "error_log " +
         d +
         "/error.log;\n"
         "events {}\n"
         "http {\n"
         "  access_log " +
         d +
         "/access.log;\n"
         "  client_body_temp_path " +
         d +
         "/body;\n"
         "  proxy_temp_path " +
         d +
         "/proxy;\n"
         "  fastcgi_temp_path " +
         d +
         "/fastcgi;\n"
         "  uwsgi_temp_path " +
         d +
         "/uwsgi;\n"
         "  scgi_temp_path " +
         d +
         "/scgi;\n"
         "  server {\n"
         "    listen " +
         address +
         ":443 ssl;\n"
         "    server_name m;\n"
         "    ssl_certificate /etc/wst-test/cert.pem;\n"
         "    ssl_certificate_key /etc/wst-test/key.pem;\n"
         // The original's location (lib/nginx), proxying to WSTUNNEL_LISTEN.
         "    location /wstunnel {\n"
         "      proxy_pass http://" +
         address +
         ":8022;\n"
         "      proxy_http_version 1.1;\n"
         "      proxy_set_header Upgrade $http_upgrade;\n"
         "      proxy_set_header Connection \"upgrade\";\n"
         "      proxy_set_header Host $host;\n"
         "      proxy_set_header X-Real-IP $remote_addr;\n"
         "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
         "      proxy_set_header X-Forwarded-Proto $scheme;\n"
         "    }\n"
         "  }\n"
         "}\n";
}

}  // namespace

TEST_CASE("wstunnel: sshlink from a client to its master through nginx and the websocket tunnel",
          "[wstunnel][cluster]") {
  sc::ProcessSpec probe;
  probe.argv = {"nginx", "-v"};
  probe.capture_out = probe.capture_err = true;
  if (!sc::run_process(probe).ok()) {
    WARN("skipped: nginx is not installed (apt-get install nginx; .ci/install-deps has it)");
    return;
  }
  Cluster c({"m", "c"});
  c.trust("c", "m");
  const std::string ma = c.address("m"), ca = c.address("c");

  // m: a certificate for "m" (its own CA), nginx in front, our server behind
  // it on m's own address (the hosts share the network stack) joined to m's sshd.
  REQUIRE(out_of(c, "m", {"mkdir", "-p", "/etc/wst-test", "/var/lib/sc/wst-nginx"}).empty());
  out_of(c, "m",
         {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=m", "-addext",
          "subjectAltName=DNS:m", "-keyout", "/etc/wst-test/key.pem", "-out", "/etc/wst-test/cert.pem"});
  write_text(c.path("m", "/etc/wst-test/nginx.conf"), nginx_conf(ma));
  out_of(c, "m", {"nginx", "-t", "-c", "/etc/wst-test/nginx.conf"});
  out_of(c, "m", {"nginx", "-c", "/etc/wst-test/nginx.conf"});
  run_ok(c, "m", {"settings", "set", "WSTUNNEL_LISTEN", ma + ":8022"});
  run_ok(c, "m", {"settings", "set", "WSTUNNEL_TARGET", ma + ":22"});
  run_ok(c, "m", {"settings", "set", "WSTUNNEL_MODE", "server"});
  out_of(c, "m", {"sh", "-c", "sc wstunnel daemon </dev/null >/var/lib/sc/wstunnel-daemon.log 2>&1 &"});
  REQUIRE(soon([&] { return up(c, "m"); }));

  // c: a client host of m. `wstunnel client` writes the setting, the
  // ~/.ssh/config block and the unit; there is no systemd in the cluster,
  // so the daemon module leaves the unit for systemd's start and the
  // daemon is started by hand.
  write_text(c.path("c", "/etc/wst-test/ca.pem"), read_text(c.path("m", "/etc/wst-test/cert.pem")));
  run_ok(c, "c", {"settings", "set", "MASTER_MODE", "client"});
  run_ok(c, "c", {"settings", "set", "MASTER_HOST", "m"});
  run_ok(c, "c", {"settings", "set", "WSTUNNEL_LISTEN", ca + ":8022"});
  run_ok(c, "c", {"settings", "set", "WSTUNNEL_CA_FILE", "/etc/wst-test/ca.pem"});
  const std::string known_before = read_text(c.path("c", "/root/.ssh/known_hosts"));
  run_ok(c, "c", {"wstunnel", "client"});
  CHECK_THAT(read_text(c.path("c", "/etc/sc")), Contains("WSTUNNEL_MODE=\"client\""));
  CHECK(wstunnel::routed_host(read_text(c.path("c", "/root/.ssh/config"))) == "m");
  {
    // Checked inside c, where its ExecStart (/usr/local/bin/sc) exists.
    CHECK(systemd_verify_in(c, "c", "/etc/systemd/system/sc_daemon_wstunnel.service").empty());
  }
  out_of(c, "c", {"sh", "-c", "sc wstunnel daemon </dev/null >/var/lib/sc/wstunnel-daemon.log 2>&1 &"});
  REQUIRE(soon([&] { return up(c, "c"); }));
  json cs = status_of(c, "c");
  CHECK(cs["peer"] == "wss://m/wstunnel");

  // sshlink (libssh, the core's SSH layer) and plain ssh go through it.
  ScRun r = c.sc("c", {"sshlink", "exec", "m", "hostname"});
  INFO(r.out << r.err << read_text(c.path("c", "/var/lib/sc/wstunnel-daemon.log")));
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Contains("m"));
  CHECK(out_of(c, "c", {"ssh", "-o", "BatchMode=yes", "m", "hostname"}) == "m\n");
  ScRun settings = run_ok(c, "c", {"sshlink", "sc", "m", "settings", "print"});
  CHECK_THAT(settings.out, Contains("WSTUNNEL_MODE"));
  // Through the tunnel indeed: counted by both ends and by nginx.
  CHECK(soon([&] { return status_of(c, "c")["connections"].value("total", 0) >= 3; }));
  CHECK(status_of(c, "m")["connections"].value("total", 0) >= 3);
  const std::string access = read_text(c.path("m", "/var/lib/sc/wst-nginx/access.log"));
  CHECK(count_of(access, "\"GET /wstunnel HTTP/1.1\" 101") >= 3);
  CHECK_THAT(read_text(c.path("m", "/var/lib/sc/wstunnel-daemon.log")), Contains("tunnel to " + ma + ":22 open"));
  // The one trust store: m's key under its own name, nothing added for the
  // listener's address.
  CHECK(read_text(c.path("c", "/root/.ssh/known_hosts")) == known_before);

  // npm wstunnel 1.4.0's client through nginx to our server (TLS checked
  // against the test's CA), naming the destination: ssh reaches m.
  std::string why;
  const std::string npm = "/tmp/sc-npm-wstunnel-1.4.0/node_modules/.bin/wstunnel";
  if (::access(npm.c_str(), X_OK) != 0) {
    WARN("npm client part skipped: " << npm << " is not installed (the [wstunnel] npm test installs it)");
  } else {
    out_of(c, "c",
           {"sh", "-c",
            "NODE_EXTRA_CA_CERTS=/etc/wst-test/ca.pem \"$0\" -t \"$1\" https://m/wstunnel "
            "</dev/null >/var/lib/sc/npm-client.log 2>&1 &",
            npm, ca + ":8023:" + ma + ":22"});
    REQUIRE(soon([&] { return c.on("c", {"bash", "-c", "exec 3<>/dev/tcp/\"$0\"/8023", ca}).exit_code == 0; }));
    CHECK(out_of(c, "c",
                 {"ssh", "-o", "BatchMode=yes", "-o", "ProxyCommand=none", "-o", "HostKeyAlias=m", "-p", "8023", ca,
                  "hostname"}) == "m\n");
    CHECK_THAT(read_text(c.path("c", "/var/lib/sc/npm-client.log")), Contains("Websocket tunnel established"));
  }

  // The client stopped: the route is the tunnel, so sshlink fails (while
  // the direct path still works when asked for explicitly).
  const int client_pid = status_of(c, "c").value("pid", 0);
  REQUIRE(client_pid > 0);
  ::kill(client_pid, SIGTERM);
  REQUIRE(soon([&] { return !status_of(c, "c").value("running", true); }));
  ScRun down = c.sc("c", {"sshlink", "exec", "m", "hostname"});
  CHECK(down.status != 0);
  CHECK(out_of(c, "c", {"ssh", "-o", "BatchMode=yes", "-o", "ProxyCommand=none", "m", "hostname"}) == "m\n");

  // cleanup takes the route away: sshlink goes direct again.
  run_ok(c, "c", {"wstunnel", "cleanup"});
  CHECK_FALSE(fs::exists(c.path("c", "/etc/systemd/system/sc_daemon_wstunnel.service")));
  CHECK(wstunnel::routed_host(read_text(c.path("c", "/root/.ssh/config"))).empty());
  ScRun direct = c.sc("c", {"sshlink", "exec", "m", "hostname"});
  INFO(direct.err);
  CHECK(direct.status == 0);
}
