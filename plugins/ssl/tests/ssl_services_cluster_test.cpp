// ssl with a running nginx, on a host of the test cluster, as the master
// role uses it: the first certificate from pebble through lego's own
// http-01 server on the host's address, port 80 (nginx not running yet);
// then nginx serves it on 443 and the ACME path on 80, and a forced
// renewal goes through nginx's webroot, checks nginx's configuration and
// reloads it — the same nginx process then serves the new certificate
// (certbot#3499: nginx kept serving the old one) — and a new FQDN
// (hostconf setup, its setfqdn broadcast) gets its certificate the same way.
// Binds ports 80 and 443: tagged [services] (a resource lock in ctest).
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "cluster.hpp"
#include "cluster_checks.hpp"
#include "engine/process.hpp"
#include "pebble_harness.hpp"
#include "service_daemons.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

namespace {

/// The first PEM certificate of `text`.
std::string first_cert(const std::string& text) {
  const std::string begin = "-----BEGIN CERTIFICATE-----", end = "-----END CERTIFICATE-----";
  size_t b = text.find(begin), e = text.find(end, b == std::string::npos ? 0 : b);
  if (b == std::string::npos || e == std::string::npos) return "";
  return text.substr(b, e + end.size() - b);
}

/// The leaf certificate nginx serves on ADDRESS:443 for `name`.
std::string served_cert(const std::string& address, const std::string& name) {
  sc::ProcessSpec s;
  s.argv = {"openssl", "s_client", "-connect", address + ":443", "-servername", name};
  s.input = "";
  s.capture_out = s.capture_err = true;
  s.timeout = std::chrono::milliseconds(30000);
  return first_cert(sc::run_process(s).out);
}

std::string nginx_pid() {
  std::ifstream f("/run/nginx.pid");
  std::string pid;
  f >> pid;
  return pid;
}

}  // namespace

TEST_CASE("ssl: the first certificate before nginx, renewals through nginx's webroot with a reload, a new FQDN",
          "[ssl][cluster][services]") {
  for (const char* p : {"/usr/bin/pebble", "/usr/bin/lego", "/usr/sbin/nginx"})
    if (!fs::exists(p)) {
      WARN("skipped: " << p << " is missing (.ci/install-deps installs it)");
      return;
    }
  Cluster c({"m"});
  const std::string address = c.address("m"), fqdn = "m.example.test", fqdn2 = "n.example.test";
  Pebble ca;
  ca.resolve(fqdn, address);
  ca.resolve(fqdn2, address);
  run_ok(c, "m", {"--yes", "--set", "FQDN=" + fqdn, "hostconf", "setup"});
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"SSL_ACME_DIRECTORY", ca.directory_url()},
                                                        {"SSL_ACME_CA_CERTIFICATES", ca.listener_ca().string()},
                                                        {"SSL_ACME_EMAIL", "admin@example.test"},
                                                        {"SSL_ACME_LISTEN", address + ":80"},
                                                        // nginx only: the hosts share the machine's /var/spool, where
                                                        // postfix's pid file would be another test's.
                                                        {"SSL_RELOAD", "nginx"}})
    run_ok(c, "m", {"settings", "set", name, value});

  // No nginx yet: lego's own server answers on m's address.
  ScRun r = run_ok(c, "m", {"ssl", "setup"});
  CHECK_THAT(r.err, Contains("http-01 on lego's own server at " + address + ":80"));
  const fs::path cert = c.path("m", "/etc/ssl/sc/fullchain.pem");
  const std::string first = read_text(cert);
  CHECK(mode_of(c.path("m", "/etc/ssl/sc/privkey.pem")) == "0600 0:0");
  CHECK(fs::exists(c.path("m", "/etc/cron.d/sc_ssl_daily")));

  // nginx on m's address only: the ACME path on 80 from the webroot, the
  // certificate on 443 (the package's default site, on every address, off).
  fs::remove(c.path("m", "/etc/nginx/sites-enabled/default"));
  write_text(c.path("m", "/etc/nginx/sites-enabled/ssl-test"),
             "server {\n  listen " + address + ":80;\n  location /.well-known/acme-challenge/ {\n" +
                 "    root /var/lib/sc/ssl/webroot;\n  }\n}\nserver {\n  listen " + address +
                 ":443 ssl;\n  ssl_certificate /etc/ssl/sc/fullchain.pem;\n" +
                 "  ssl_certificate_key /etc/ssl/sc/privkey.pem;\n  return 200 \"ok\\n\";\n}\n");
  Daemons daemons(c, "m");
  daemons.start("nginx");
  const std::string pid = nginx_pid();
  REQUIRE(first_cert(first) == served_cert(address, fqdn));

  // A forced renewal: through nginx (webroot), nginx -t, then a reload.
  r = c.sc("m", {"ssl", "renew", "--force"});
  INFO(r.out << r.err << ca.log() << daemons.log());
  REQUIRE(r.status == 0);
  CHECK_THAT(r.err, Contains("http-01 through nginx from /var/lib/sc/ssl/webroot"));
  const std::string second = read_text(cert);
  CHECK(second != first);
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {  // the reload is asynchronous
    served = served_cert(address, fqdn) == first_cert(second);
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(served);
  CHECK(nginx_pid() == pid);  // reloaded, not restarted

  // A new FQDN: hostconf's setfqdn broadcast asks ssl for its certificate.
  r = run_ok(c, "m", {"--yes", "--set", "FQDN=" + fqdn2, "hostconf", "setup"});
  r = run_ok(c, "m", {"ssl", "ready"});
  CHECK_THAT(r.out, Contains("certificate for " + fqdn2 + " valid until"));
  served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    served = served_cert(address, fqdn2) == first_cert(read_text(cert));
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(served);
  CHECK(nginx_pid() == pid);
}

TEST_CASE("ssl: the master role certifies the master, its standby takes the pair, and renews it once promoted",
          "[ssl][cluster][services]") {
  for (const char* p : {"/usr/bin/pebble", "/usr/bin/lego"})
    if (!fs::exists(p)) {
      WARN("skipped: " << p << " is missing (.ci/install-deps installs it)");
      return;
    }
  Cluster c({"m", "s"});
  c.trust_all();
  const std::string fqdn = "m.example.test";
  Pebble ca;
  ca.resolve(fqdn, c.address("m"));
  run_ok(c, "m", {"--yes", "--set", "FQDN=" + fqdn, "hostconf", "setup"});
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"SSL_ACME_DIRECTORY", ca.directory_url()},
                                                        {"SSL_ACME_CA_CERTIFICATES", ca.listener_ca().string()},
                                                        {"SSL_ACME_EMAIL", "admin@example.test"},
                                                        {"SSL_ACME_LISTEN", c.address("m") + ":80"},
                                                        {"SSL_RELOAD", ""},
                                                        {"MASTER_SERVICES", "ssl"}})
    run_ok(c, "m", {"settings", "set", name, value});
  ScRun r = run_ok(c, "m", {"--yes", "--set", "MASTER_MODE=master", "master", "setup"});
  CHECK_THAT(r.out, Contains("sc ssl setup"));
  CHECK(run_ok(c, "m", {"ssl", "ready"}).out.find("certificate for " + fqdn) != std::string::npos);

  run_ok(c, "s", {"--yes", "--set", "FQDN=s.example.test", "hostconf", "setup"});
  run_ok(c, "s", {"settings", "set", "SSL_RELOAD", ""});
  run_ok(c, "s", {"settings", "set", "MASTER_SERVICES", "ssl"});
  r = run_ok(c, "s", {"--yes", "--set", "MASTER_MODE=standby", "--set", "MASTER_HOST=m", "master", "setup"});
  CHECK_THAT(r.out, Contains("sc ssl sync m standby"));
  CHECK(read_text(c.path("s", "/etc/ssl/sc/fullchain.pem")) == read_text(c.path("m", "/etc/ssl/sc/fullchain.pem")));
  CHECK(read_text(c.path("s", "/etc/ssl/sc/privkey.pem")) == read_text(c.path("m", "/etc/ssl/sc/privkey.pem")));
  CHECK(mode_of(c.path("s", "/etc/ssl/sc/privkey.pem")) == "0600 0:0");
  CHECK(run_ok(c, "s", {"settings", "get", "SSL_MODE"}).out == "peer\n");
  CHECK_FALSE(fs::exists(c.path("s", "/etc/cron.d/sc_ssl_daily")));

  // m is gone; s is promoted and renews the master's certificate itself.
  for (int pid : c.processes("m")) kill(pid, SIGSTOP);
  r = run_ok(c, "s", {"--yes", "master", "promote"});
  for (int pid : c.processes("m")) kill(pid, SIGCONT);
  CHECK(run_ok(c, "s", {"settings", "get", "SSL_MODE"}).out == "acme\n");
  CHECK(run_ok(c, "s", {"settings", "get", "SSL_ACME_DOMAINS"}).out == fqdn + "\n");
  CHECK(fs::exists(c.path("s", "/etc/cron.d/sc_ssl_daily")));
}
