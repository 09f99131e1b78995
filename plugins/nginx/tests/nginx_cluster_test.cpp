// nginx and www in a host of the test cluster, with the real checkers
// (`nginx -t`, `apache2ctl -t`: no daemon needed for them) and then with the
// real daemons: an HTTPS request through nginx reaches a PHP page on
// Apache, port 80 redirects but for the ACME path, and `setfqdn` changes
// the server_name of the running nginx by a reload.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cluster.hpp"
#include "service_daemons.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

namespace {

const std::string kFqdn = "m.example.test";
const std::string kNewFqdn = "web.example.test";

std::string missing_tools() {
  for (const char* p : {"/usr/sbin/nginx", "/usr/sbin/apache2ctl", "/usr/lib/apache2/modules/libphp8.2.so",
                        "/usr/bin/openssl", "/usr/bin/curl", "/usr/bin/php"})
    if (!fs::exists(p)) return p;
  return "";
}

ScRun sc_ok(const Cluster& c, const std::vector<std::string>& args, const std::string* input = nullptr) {
  ScRun r = c.sc("m", args, input);
  INFO("sc " << args.back() << ":\n" << r.out << r.err);
  REQUIRE(r.status == 0);
  return r;
}

/// m with its FQDN and a self-signed pair where the ssl module puts its
/// certificate (both names, so that the test can rename the host).
void prepare(const Cluster& c) {
  sc_ok(c, {"--yes", "--set", "FQDN=" + kFqdn, "hostconf", "setup"});
  sc::ProcessResult p = c.on("m", {"mkdir", "-p", "/etc/ssl/sc"});
  REQUIRE(p.exit_code == 0);
  p = c.on("m", {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + kFqdn,
                 "-addext", "subjectAltName=DNS:" + kFqdn + ",DNS:" + kNewFqdn, "-keyout", "/etc/ssl/sc/privkey.pem",
                 "-out", "/etc/ssl/sc/fullchain.pem"});
  INFO(p.err);
  REQUIRE(p.exit_code == 0);
}

int changed(const ScRun& r) {
  return json::parse(r.out)["summary"]["changed"].get<int>();
}

/// curl in m, the name resolved to m's address; stdout and the status.
sc::ProcessResult curl(const Cluster& c, const std::string& fqdn, const std::string& url,
                       const std::vector<std::string>& more = {}) {
  const std::string port = url.rfind("https:", 0) == 0 ? "443" : "80";
  std::vector<std::string> argv = {"curl",       "-sS",
                                   "--max-time", "20",
                                   "--cacert",   "/etc/ssl/sc/fullchain.pem",
                                   "--resolve",  fqdn + ":" + port + ":" + c.address("m")};
  argv.insert(argv.end(), more.begin(), more.end());
  argv.push_back(url);
  return c.on("m", argv);
}

}  // namespace

TEST_CASE("nginx and www: the real checkers accept what setup writes and refuse bad snippets",
          "[nginx][www][cluster]") {
  if (std::string missing = missing_tools(); !missing.empty()) {
    WARN("skipped: " << missing << " is missing (.ci/install-deps installs it)");
    return;
  }
  Cluster c({"m"});
  prepare(c);

  // nginx: checked by the real `nginx -t`, then a second run changes nothing.
  ScRun r = sc_ok(c, {"--json", "nginx", "setup"});
  CHECK_THAT(r.out, Contains("nginx -t -q"));
  const fs::path site = c.path("m", "/etc/nginx/sites-available/sc-front");
  CHECK_THAT(read_text(site), Contains("server_name " + kFqdn + ";"));
  CHECK(fs::read_symlink(c.path("m", "/etc/nginx/sites-enabled/sc-front")) == "../sites-available/sc-front");
  CHECK_FALSE(fs::is_symlink(c.path("m", "/etc/nginx/sites-enabled/default")));
  CHECK(changed(sc_ok(c, {"--json", "nginx", "setup"})) == 0);
  CHECK(c.sc("m", {"nginx", "ready"}).status == 0);

  // A location nginx refuses is not installed; a good one is; a refused
  // replacement leaves the good one in place.
  const std::string bad = "location /bad { no_such_directive on; }\n";
  const std::string good = "location = /sc-name { default_type text/plain; return 200 \"$server_name\\n\"; }\n";
  r = c.sc("m", {"nginx", "addconf", "name"}, &bad);
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("refused") && Contains("no_such_directive"));
  CHECK_FALSE(fs::exists(c.path("m", "/etc/nginx/sc-locations/name.conf")));
  CHECK(c.sc("m", {"nginx", "hasconf", "name"}).status == 1);
  sc_ok(c, {"nginx", "addconf", "name"}, &good);
  CHECK(c.sc("m", {"nginx", "hasconf", "name"}).status == 0);
  r = c.sc("m", {"nginx", "addconf", "name"}, &bad);
  CHECK(r.status == 1);
  CHECK(read_text(c.path("m", "/etc/nginx/sc-locations/name.conf")) == good);

  // A site the checker refuses (the certificate became unreadable as PEM)
  // is not installed: setfqdn keeps the previous one.
  const std::string before = read_text(site);
  const std::string cert = read_text(c.path("m", "/etc/ssl/sc/fullchain.pem"));
  write_text(c.path("m", "/etc/ssl/sc/fullchain.pem"), "not a certificate\n");
  r = c.sc("m", {"nginx", "setfqdn", kNewFqdn});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("refused") && Contains("previous configuration is back"));
  CHECK(read_text(site) == before);
  write_text(c.path("m", "/etc/ssl/sc/fullchain.pem"), cert);

  // Hostile FQDNs and names: refused, naming what is wrong.
  for (const auto& hostile : hostile_strings()) {
    INFO("[" << hostile << "]");
    r = c.sc("m", {"nginx", "setfqdn", hostile});
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Contains("FQDN"));
    r = c.sc("m", {"www", "addconf", hostile}, &good);
    CHECK(r.status == 2);
  }
  CHECK(read_text(site) == before);

  // www: checked by the real `apache2ctl -t`, then a second run changes nothing.
  r = sc_ok(c, {"--json", "www", "setup"});
  CHECK_THAT(r.out, Contains("apache2ctl -t"));
  CHECK(changed(sc_ok(c, {"--json", "www", "setup"})) == 0);
  CHECK(c.sc("m", {"www", "ready"}).status == 0);
  CHECK_THAT(read_text(c.path("m", "/etc/apache2/ports.conf")), Contains("\n#sc-www# Listen 80\n"));
  sc::ProcessResult p = c.on("m", {"apache2ctl", "-t", "-D", "DUMP_VHOSTS"});
  CHECK_THAT(p.out, Contains("127.0.0.1:8080"));

  const std::string apache_bad = "<Directory /srv/x>\nNoSuchDirective on\n</Directory>\n";
  const std::string apache_good = "Alias /sc-test /srv/sc-test\n";
  r = c.sc("m", {"www", "addconf", "sctest"}, &apache_bad);
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("refused") && Contains("NoSuchDirective"));
  CHECK_FALSE(fs::exists(c.path("m", "/etc/apache2/conf-available/sc_sctest.conf")));
  CHECK(c.sc("m", {"www", "hasconf", "sctest"}).status == 1);
  sc_ok(c, {"www", "addconf", "sctest"}, &apache_good);
  CHECK(c.sc("m", {"www", "hasconf", "sctest"}).status == 0);
  r = c.sc("m", {"www", "addconf", "sctest"}, &apache_bad);
  CHECK(r.status == 1);
  CHECK(read_text(c.path("m", "/etc/apache2/conf-available/sc_sctest.conf")) == apache_good);
  sc_ok(c, {"www", "delconf", "sctest"});
  CHECK(c.sc("m", {"www", "hasconf", "sctest"}).status == 1);

  // cleanup gives the host back its own files.
  sc_ok(c, {"www", "cleanup"});
  CHECK_THAT(read_text(c.path("m", "/etc/apache2/ports.conf")), Contains("\nListen 80\n"));
  sc_ok(c, {"nginx", "cleanup"});
  CHECK(fs::is_symlink(c.path("m", "/etc/nginx/sites-enabled/default")));
  CHECK_FALSE(fs::exists(site));
  CHECK(c.on("m", {"nginx", "-t", "-q"}).exit_code == 0);
}

TEST_CASE("nginx and www: HTTPS through nginx reaches PHP on Apache, port 80 redirects, setfqdn reloads",
          "[nginx][cluster][services]") {
  if (std::string missing = missing_tools(); !missing.empty()) {
    WARN("skipped: " << missing << " is missing (.ci/install-deps installs it)");
    return;
  }
  Cluster c({"m"});
  prepare(c);
  // The web root in m's own /srv (/var/www is the machine's).
  sc_ok(c, {"settings", "set", "WWW_ROOT", "/srv/www/html"});
  sc_ok(c, {"nginx", "setup"});
  sc_ok(c, {"www", "setup"});
  const std::string name = "location = /sc-name { default_type text/plain; return 200 \"$server_name\\n\"; }\n";
  sc_ok(c, {"nginx", "addconf", "name"}, &name);
  write_text(c.path("m", "/srv/www/html/info.php"),
             "<?php\necho 'php ', PHP_MAJOR_VERSION, '.', PHP_MINOR_VERSION, ' https=', $_SERVER['HTTPS'] ?? 'off', "
             "' host=', $_SERVER['HTTP_HOST'], ' client=', $_SERVER['REMOTE_ADDR'], \"\\n\";\n");
  REQUIRE(c.on("m", {"php", "-l", "/srv/www/html/info.php"}).exit_code == 0);
  write_text(c.path("m", "/var/lib/sc/ssl/webroot/.well-known/acme-challenge/token-1"), "token-1.thumbprint\n");

  Daemons daemons(c, "m");
  daemons.start("apache2");
  daemons.start("nginx");

  // HTTPS through nginx, the certificate checked, to PHP 8.2 on Apache,
  // which sees HTTPS on, the client's host name and address.
  // (From m's own address, which Apache must see as the client's.)
  sc::ProcessResult p = curl(c, kFqdn, "https://" + kFqdn + "/info.php", {"--interface", c.address("m")});
  INFO(p.err << daemons.log());
  REQUIRE(p.exit_code == 0);
  CHECK(p.out == "php 8.2 https=on host=" + kFqdn + " client=" + c.address("m") + "\n");
  // TLS 1.1 is refused.
  p = curl(c, kFqdn, "https://" + kFqdn + "/info.php", {"--tlsv1.1", "--tls-max", "1.1"});
  CHECK(p.exit_code != 0);

  // Port 80: a redirect to https, but for the ACME challenges, served from
  // the ssl module's webroot.
  p = curl(c, kFqdn, "http://" + kFqdn + "/some/page?x=1", {"-o", "/dev/null", "-w", "%{http_code} %{redirect_url}"});
  CHECK(p.out == "301 https://" + kFqdn + "/some/page?x=1");
  p = curl(c, kFqdn, "http://" + kFqdn + "/.well-known/acme-challenge/token-1");
  CHECK(p.out == "token-1.thumbprint\n");
  p = curl(c, kFqdn, "http://" + kFqdn + "/.well-known/acme-challenge/none", {"-o", "/dev/null", "-w", "%{http_code}"});
  CHECK(p.out == "404");

  // Apache answers on 127.0.0.1:8080 only, not on port 80 or m's address.
  CHECK(c.on("m", {"curl", "-sS", "--max-time", "5", "http://" + c.address("m") + ":8080/"}).exit_code != 0);

  // The host renamed: hostconf's setfqdn hook regenerates the site and
  // reloads nginx (the same master process), which now names the new FQDN.
  CHECK(curl(c, kFqdn, "https://" + kFqdn + "/sc-name").out == kFqdn + "\n");
  const std::string pid = read_text("/run/nginx.pid");
  ScRun r = sc_ok(c, {"--yes", "--set", "FQDN=" + kNewFqdn, "hostconf", "setup"});
  CHECK_THAT(r.err, Contains("nginx -s reload"));
  CHECK_THAT(read_text(c.path("m", "/etc/nginx/sites-available/sc-front")), Contains("server_name " + kNewFqdn + ";"));
  std::string served;
  for (int i = 0; i < 50 && served != kNewFqdn + "\n"; ++i) {
    served = curl(c, kNewFqdn, "https://" + kNewFqdn + "/sc-name").out;
    if (served != kNewFqdn + "\n") usleep(100000);
  }
  CHECK(served == kNewFqdn + "\n");
  CHECK(read_text("/run/nginx.pid") == pid);
}
