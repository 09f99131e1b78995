// A private ACME CA for a test: Debian's `pebble` (Let's Encrypt's test CA)
// with `pebble-challtestsrv` as the only DNS server it asks, both on free
// 127.0.0.1 ports, stopped at the end (and killed with the test process if
// that dies first). Needs the pebble, openssl and curl packages; no root.
//
//   sc::test::Pebble ca;                          // or Pebble({.http_port = 8080})
//   ca.resolve("m.example.test", "127.0.0.2");   // the name's A record
//   // an ACME client: --server ca.directory_url(), trusting ca.listener_ca()
//   // (lego: LEGO_CA_CERTIFICATES=..., certbot: REQUESTS_CA_BUNDLE=...);
//   // pebble's http-01 validation then fetches
//   // http://127.0.0.2:<http_port>/.well-known/acme-challenge/TOKEN
//   // a client verifies what it serves with ca.issuing_root():
//   //   openssl verify -CAfile root -untrusted chain cert / curl --cacert root
//
// Pebble is started with PEBBLE_VA_NOSLEEP=1 (no random validation delay),
// PEBBLE_WFE_NONCEREJECT=0 (no nonce rejected for sport) and
// PEBBLE_AUTHZREUSE=0. Pebble 2.4 still reuses a valid authorization of the
// account about once in a hundred orders: a test whose renewal must fail
// its challenge has its client deactivate authorizations after each order
// (lego: --always-deactivate-authorizations always). Its state (accounts,
// certificates, its root) lives in memory: each Pebble is a new CA.
#pragma once

#include <sys/types.h>

#include <string>

#include "test_support.hpp"

namespace sc::test {

class Pebble {
 public:
  struct Options {
    /// The port pebble's validator connects to for http-01 challenges, on
    /// the address the name resolves to (the real ACME port is 80).
    int http_port = 80;
    /// The same for tls-alpn-01 (the real one is 443).
    int tls_port = 443;
    /// What challtestsrv answers for A queries of names never given to
    /// resolve().
    std::string default_ipv4 = "127.0.0.1";
  };

  /// Starts challtestsrv, then pebble; throws, with their logs, when
  /// either does not answer within 20 s.
  Pebble();
  explicit Pebble(Options options);
  /// Stops both (SIGTERM, then SIGKILL) and removes the temporary files.
  ~Pebble();
  Pebble(const Pebble&) = delete;
  Pebble& operator=(const Pebble&) = delete;

  /// "https://127.0.0.1:PORT/dir": the ACME directory.
  std::string directory_url() const;
  /// PEM bundle of the CA that signed pebble's own TLS listener (made for
  /// this run: "localhost" and IP 127.0.0.1): what an ACME client trusts to
  /// reach directory_url().
  fs::path listener_ca() const { return dir() / "listener-ca.pem"; }
  /// PEM of pebble's issuing root (from its management API, /roots/0): what
  /// verifies the certificates it issues (the chain a client gets holds the
  /// intermediate).
  fs::path issuing_root() const { return dir() / "issuing-root.pem"; }

  /// Makes challtestsrv answer A queries for `name` with `ipv4` (replacing
  /// an earlier answer). Throws when challtestsrv refuses.
  void resolve(const std::string& name, const std::string& ipv4) const;
  /// Makes challtestsrv answer `ipv4` for every name without its own answer.
  void set_default_ipv4(const std::string& ipv4) const;

  /// Stops pebble only (idempotent): the CA is then unreachable, what a
  /// client sees of a CA that is down. It cannot be started again.
  void stop_ca();
  bool ca_running() const { return pebble_pid_ > 0; }

  /// Both logs so far (for failure messages).
  std::string log() const;
  /// Everything lives under this directory.
  const fs::path& dir() const { return tmp_.path(); }

 private:
  void make_listener_cert() const;
  void start();
  void stop_all();
  void manage(const std::string& path, const std::string& json) const;

  Options options_;
  TempDir tmp_;
  int acme_port_ = 0;
  int management_port_ = 0;
  int dns_port_ = 0;
  int challtest_port_ = 0;
  pid_t pebble_pid_ = -1;
  pid_t challtest_pid_ = -1;
};

}  // namespace sc::test
