// update sync against a real sshd on loopback (tests/support/sshd_harness.hpp).
#include <catch2/catch.hpp>

#include "sshd_harness.hpp"

using namespace sc::test;
using Catch::Contains;

TEST_CASE("update sync copies the update settings from the master", "[update][peer]") {
  SshdHarness h;
  const std::string url = "https://example.com/sc-2.0.0.tar.gz";
  REQUIRE(h.peer_sc({"--set", "UPDATE_URL=" + url, "update", "setup"}).status == 0);
  const std::string before = tree_hash(h.client_root());
  CHECK(h.sc({"update", "sync", h.peer(), "master"}).status == 0);  // a master keeps its own
  CHECK(tree_hash(h.client_root()) == before);
  ScRun r = h.sc({"update", "sync", h.peer(), "client"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(read_text(h.client_root() / "etc/sc"), Contains("UPDATE_URL=\"" + url + "\""));
  CHECK(h.sc({"update", "ready"}).status == 0);
}
