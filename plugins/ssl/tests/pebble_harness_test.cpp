// The pebble harness (tests/support/pebble_harness.hpp) on its own: a real
// ACME client (lego) gets a certificate from it over http-01, the
// certificate verifies with the harness's issuing root, and a CA that is
// stopped refuses the next order. Only free loopback ports: no lock needed.
#include "pebble_harness.hpp"

#include <catch2/catch.hpp>

namespace {

using sc::test::Pebble;

sc::ProcessResult lego(const Pebble& ca, const sc::test::fs::path& dir, int http_port, const std::string& domain,
                       const std::vector<std::string>& action) {
  sc::ProcessSpec spec;
  spec.argv = {"lego",
               "--server",
               ca.directory_url(),
               "--accept-tos",
               "--email",
               "admin@example.test",
               "--domains",
               domain,
               "--http",
               "--http.port",
               "127.0.0.1:" + std::to_string(http_port),
               "--path",
               dir.string()};
  spec.argv.insert(spec.argv.end(), action.begin(), action.end());
  spec.env_add = {"LEGO_CA_CERTIFICATES=" + ca.listener_ca().string()};
  spec.capture_out = spec.capture_err = true;
  spec.timeout = std::chrono::milliseconds(120000);
  return sc::run_process(spec);
}

}  // namespace

TEST_CASE("pebble harness: lego gets a certificate that verifies with the issuing root, not once the CA stops",
          "[ssl][pebble]") {
  int http_port = sc::test::free_loopback_port();
  Pebble ca({.http_port = http_port, .tls_port = 443, .default_ipv4 = "127.0.0.1"});
  ca.resolve("harness.example.test", "127.0.0.1");
  sc::test::TempDir dir;

  sc::ProcessResult run = lego(ca, dir.path(), http_port, "harness.example.test", {"run"});
  INFO(run.out << run.err << ca.log());
  REQUIRE(run.ok());
  auto cert = dir / "certificates/harness.example.test.crt";
  REQUIRE(sc::test::read_text(cert).find("-----BEGIN CERTIFICATE-----") != std::string::npos);

  // The chain lego saved (leaf + intermediate) verifies up to /roots/0.
  sc::ProcessSpec verify;
  verify.argv = {"openssl",    "verify",      "-CAfile",    ca.issuing_root().string(),
                 "-untrusted", cert.string(), cert.string()};
  verify.capture_out = verify.capture_err = true;
  sc::ProcessResult v = sc::run_process(verify);
  INFO(v.out << v.err);
  CHECK(v.ok());

  // The listener's own CA is not the issuing root.
  CHECK(sc::test::read_text(ca.listener_ca()) != sc::test::read_text(ca.issuing_root()));

  ca.stop_ca();
  CHECK_FALSE(ca.ca_running());
  sc::ProcessResult renew =
      lego(ca, dir.path(), http_port, "harness.example.test", {"renew", "--days", "100000", "--no-random-sleep"});
  CHECK_FALSE(renew.ok());
}

TEST_CASE("pebble harness: a name resolving where nothing answers fails validation", "[ssl][pebble]") {
  int http_port = sc::test::free_loopback_port();
  Pebble ca({.http_port = http_port, .tls_port = 443, .default_ipv4 = "127.0.0.1"});
  // 127.0.0.1 answers (lego listens there); 127.0.0.254 does not.
  ca.set_default_ipv4("127.0.0.254");
  sc::test::TempDir dir;
  sc::ProcessResult run = lego(ca, dir.path(), http_port, "nowhere.example.test", {"run"});
  INFO(run.out << run.err);
  CHECK_FALSE(run.ok());
  CHECK_FALSE(sc::test::fs::exists(dir / "certificates/nowhere.example.test.crt"));
}
