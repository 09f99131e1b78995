// The ssl module's pure logic: lego's argv and environment, the renewal
// decision, the checks of every setting, the export text, and the PEM pair
// inspection (on pairs made here by openssl).
#include <catch2/catch.hpp>

#include "../acme.hpp"
#include "../pem_pair.hpp"
#include "engine/process.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

namespace {

using Strings = std::vector<std::string>;

/// A self-signed EC pair for `name`, valid `days` days, made by openssl.
std::pair<std::string, std::string> make_pair_pem(const TempDir& dir, const std::string& name, int days) {
  make_self_signed(dir / (name + ".crt"), dir / (name + ".key"), {name, "www." + name}, days);
  return {read_text(dir / (name + ".crt")), read_text(dir / (name + ".key"))};
}

}  // namespace

TEST_CASE("ssl: lego's argv for a standalone order and for a webroot one", "[ssl]") {
  ssl::LegoRequest r;
  r.directory = "https://acme.example/dir";
  r.email = "admin@example.org";
  r.domains = {"m.example.org", "www.example.org"};
  r.state_dir = "/var/lib/sc/ssl/lego";
  r.challenge = ssl::Challenge::kStandalone;
  r.listen = "127.0.0.2:80";
  CHECK(ssl::lego_argv(r) == Strings{"lego",
                                     "--server",
                                     "https://acme.example/dir",
                                     "--accept-tos",
                                     "--email",
                                     "admin@example.org",
                                     "--path",
                                     "/var/lib/sc/ssl/lego",
                                     "--key-type",
                                     "ec256",
                                     "--domains",
                                     "m.example.org",
                                     "--domains",
                                     "www.example.org",
                                     "--http",
                                     "--http.port",
                                     "127.0.0.2:80",
                                     "run",
                                     "--always-deactivate-authorizations",
                                     "always"});
  r.email.clear();
  r.domains = {"m.example.org"};
  r.challenge = ssl::Challenge::kWebroot;
  r.webroot = "/var/lib/sc/ssl/webroot";
  CHECK(ssl::lego_argv(r) == Strings{"lego", "--server", "https://acme.example/dir", "--accept-tos", "--path",
                                     "/var/lib/sc/ssl/lego", "--key-type", "ec256", "--domains", "m.example.org",
                                     "--http", "--http.webroot", "/var/lib/sc/ssl/webroot", "run",
                                     "--always-deactivate-authorizations", "always"});
  CHECK(ssl::lego_certificate("/s", {"m.example.org", "x.example.org"}) == "/s/certificates/m.example.org.crt");
  CHECK(ssl::lego_key("/s", {"m.example.org"}) == "/s/certificates/m.example.org.key");
}

TEST_CASE("ssl: lego's environment names the CA bundle only when one is given", "[ssl]") {
  CHECK(ssl::lego_env("").empty());
  CHECK(ssl::lego_env("/etc/ssl/private-ca.pem") == Strings{"LEGO_CA_CERTIFICATES=/etc/ssl/private-ca.pem"});
}

TEST_CASE("ssl: the challenge follows nginx under auto", "[ssl]") {
  CHECK(ssl::challenge("auto", true) == ssl::Challenge::kWebroot);
  CHECK(ssl::challenge("auto", false) == ssl::Challenge::kStandalone);
  CHECK(ssl::challenge("webroot", false) == ssl::Challenge::kWebroot);
  CHECK(ssl::challenge("standalone", true) == ssl::Challenge::kStandalone);
  CHECK_FALSE(ssl::challenge("dns", true));
}

TEST_CASE("ssl: the renewal decision", "[ssl]") {
  const std::int64_t now = 1'800'000'000, day = 86400;
  ssl::Installed i;
  i.present = true;
  i.names = {"www.example.org", "m.example.org"};
  i.not_after = now + 60 * day;
  const Strings want = {"m.example.org", "www.example.org"};
  CHECK(ssl::renewal_reason(i, want, now, false) == "");
  CHECK(ssl::renewal_reason(i, want, now, true) == "--force");
  i.not_after = now + 30 * day;
  CHECK(ssl::renewal_reason(i, want, now, false) == "");
  i.not_after = now + 30 * day - 1;
  CHECK(ssl::renewal_reason(i, want, now, false) == "the certificate expires in 29 days (renewed under 30)");
  i.not_after = now - 1;
  CHECK(ssl::renewal_reason(i, want, now, false) == "the certificate has expired");
  i.not_after = now + 60 * day;
  CHECK(ssl::renewal_reason(i, {"m.example.org"}, now, false) ==
        "the certificate names www.example.org m.example.org, not the domains asked for");
  i.present = false;
  CHECK(ssl::renewal_reason(i, want, now, false) == "no valid certificate and key are installed");
  CHECK(ssl::days_left(now + 3 * day + 5, now) == 3);
  CHECK(ssl::days_left(now - 3600, now) == -1);
}

TEST_CASE("ssl: domains from the setting or the FQDN, hostile ones refused", "[ssl]") {
  std::string why;
  CHECK(ssl::domains("", "m.example.test", &why) == Strings{"m.example.test"});
  CHECK(ssl::domains("a.example.org, b.example.org a.example.org", "m.example.test", &why) ==
        Strings{"a.example.org", "b.example.org"});
  CHECK_FALSE(ssl::domains("", "", &why));
  CHECK_THAT(why, Contains("no FQDN"));
  for (const std::string bad :
       {"it's.example.org", "a\"b.example.org", "x;rm.example.org", "$(id).example.org", "`id`.example.org",
        "new\nline.example.org", "tab\t.example.org", "ünïcødé.example.org", "UPPER.example.org", "localhost",
        "-a.example.org", "a..example.org", "*.example.org", "10.0.0.1", "a.example.org."}) {
    INFO(bad);
    CHECK_FALSE(ssl::domain_problem(bad).empty());
    CHECK_FALSE(ssl::domains(bad, "m.example.test", &why));
  }
  CHECK_FALSE(ssl::domains("with space.example.org", "", &why));  // "with" alone: one label
  CHECK_THAT(ssl::domain_problem("a;b.example.org"), Contains("only lower-case ASCII letters"));
  CHECK(ssl::domain_problem("xn--bcher-kva.example") == "");
  CHECK(ssl::domain_problem(std::string(64, 'a') + ".org") != "");
}

TEST_CASE("ssl: e-mail, directory, listen address, paths and reload services are checked", "[ssl]") {
  CHECK(ssl::email_problem("") == "");
  CHECK(ssl::default_email("m.example.org") == "root@example.org");
  CHECK(ssl::default_email("mail.corp.example.org") == "root@corp.example.org");
  CHECK(ssl::default_email("example.org") == "root@example.org");
  CHECK(ssl::email_problem("admin@example.org") == "");
  for (const std::string bad : {"admin", "a@b@example.org", "a b@example.org", "a'@example.org", "$(id)@example.org",
                                "a@example.org\n", "ä@example.org"})
    CHECK_FALSE(ssl::email_problem(bad).empty());
  CHECK(ssl::directory_problem("https://acme-v02.api.letsencrypt.org/directory") == "");
  CHECK(ssl::directory_problem("http://127.0.0.1:14000/dir") == "");
  CHECK_FALSE(ssl::directory_problem("http://acme.example/dir").empty());
  CHECK_FALSE(ssl::directory_problem("https://a b/").empty());
  CHECK_FALSE(ssl::directory_problem("https://x/'$(id)'").empty());
  CHECK(ssl::listen_problem(":80") == "");
  CHECK(ssl::listen_problem("127.0.0.2:80") == "");
  CHECK(ssl::listen_problem("[::1]:8080") == "");
  for (const std::string bad : {"80", ":0", ":70000", "host:80", "1.2.3:80", "[x]:80", ":8$0"})
    CHECK_FALSE(ssl::listen_problem(bad).empty());
  CHECK(ssl::path_problem("/etc/ssl/sc/fullchain.pem") == "");
  for (const std::string bad : {"", "rel/x", "/a/../b", "/a\nb", "/etc/ssl/"})
    CHECK_FALSE(ssl::path_problem(bad).empty());
  std::string why;
  CHECK(ssl::reload_services("nginx postfix dovecot nginx", &why) == Strings{"nginx", "postfix", "dovecot"});
  CHECK(ssl::reload_services("", &why) == Strings{});
  CHECK_FALSE(ssl::reload_services("nginx sshd", &why));
  CHECK_THAT(why, Contains("\"sshd\" is not one of"));
}

TEST_CASE("ssl: the export text splits back into the chain and the key", "[ssl]") {
  const std::string cert = "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n";
  const std::string inter = "-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----\n";
  const std::string key = "-----BEGIN EC PRIVATE KEY-----\nKKK\n-----END EC PRIVATE KEY-----\n";
  const std::string text = ssl::export_text(cert + inter, key);
  CHECK(text == cert + inter + key);
  std::string chain, k, why;
  REQUIRE(ssl::split_export(text, &chain, &k, &why));
  CHECK(chain == cert + inter);
  CHECK(k == key);
  CHECK_FALSE(ssl::split_export(cert, &chain, &k, &why));
  CHECK(why == "no private key in it");
  CHECK_FALSE(ssl::split_export(key, &chain, &k, &why));
  CHECK(why == "no certificate in it");
  CHECK_FALSE(ssl::split_export(cert + key + key, &chain, &k, &why));
  CHECK_FALSE(ssl::split_export("-----BEGIN CERTIFICATE-----\nAAA\n", &chain, &k, &why));
}

TEST_CASE("ssl: a PEM pair is read, its names and end found, a foreign key refused", "[ssl]") {
  TempDir dir;
  auto [cert, key] = make_pair_pem(dir, "a.example.org", 10);
  auto [other_cert, other_key] = make_pair_pem(dir, "b.example.org", 10);
  ssl::PairInfo info = ssl::inspect_pair(cert, key);
  CHECK(info.problem == "");
  CHECK(info.names == Strings{"a.example.org", "www.a.example.org"});
  const std::int64_t left = info.not_after - ssl::now_seconds();
  CHECK(left > 9 * 86400);
  CHECK(left <= 10 * 86400 + 60);
  CHECK(ssl::inspect_pair(cert, other_key).problem == "the key is not the certificate's key");
  CHECK(ssl::inspect_pair("junk", key).problem == "no PEM certificate could be read");
  CHECK(ssl::inspect_pair(cert, "").problem == "no unencrypted PEM private key could be read");
  CHECK(ssl::utc_text(0) == "1970-01-01 00:00:00 UTC");
}
