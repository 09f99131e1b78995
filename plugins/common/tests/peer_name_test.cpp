#include "common/peer_name.hpp"

#include <catch2/catch.hpp>
#include <sc/plugin.hpp>
#include <string>
#include <vector>

#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
namespace peer_name = plugin_common::peer_name;

TEST_CASE("peer_name: the core's peer names", "[common][peer_name]") {
  for (const std::string& ok :
       std::vector<std::string>{"node1", "node1.example.com", "root@node1", "node1:2222", "root@node1:2222", "[::1]:22",
                                "_alias", "192.168.1.2", "localhost", std::string(63, 'a') + ".example.com"}) {
    INFO(ok);
    CHECK(peer_name::problem(ok).empty());
  }
  for (const auto& bad : hostile_strings()) {
    INFO(bad);
    CHECK_FALSE(peer_name::valid(bad));
  }
}

TEST_CASE("peer_name: what libssh would refuse only when connecting", "[common][peer_name]") {
  // Each of these once reached `backup add`'s setup (cron files written)
  // before the link refused it; a 64-byte label made sshlink add write a
  // key and fail with an empty message.
  CHECK_THAT(peer_name::problem(std::string(64, 'a') + ".example.com"), Contains("63 bytes"));
  CHECK_THAT(peer_name::problem("node1." + std::string(64, 'b')), Contains("63 bytes"));
  CHECK_THAT(peer_name::problem("host:port"), Contains("port"));
  CHECK_THAT(peer_name::problem("host:0"), Contains("port"));
  CHECK_THAT(peer_name::problem("host:65536"), Contains("port"));
  CHECK_FALSE(peer_name::valid("a@b@c"));
  CHECK_FALSE(peer_name::valid("[not-ipv6]"));
  CHECK_FALSE(peer_name::valid(std::string(254, 'a')));
  CHECK_THAT(peer_name::problem(""), Contains("empty"));
  CHECK_THAT(peer_name::problem(std::string(100000, 'a')), Contains("longer"));
}

TEST_CASE("peer_name: checked() names the argument and the rule", "[common][peer_name]") {
  CHECK(peer_name::checked("node1:22", "HOST") == "node1:22");
  CHECK_THROWS_AS(peer_name::checked("a@b@c", "MASTER"), sc::Usage);
  CHECK_THROWS_WITH(peer_name::checked("host:port", "HOST"),
                    Contains("HOST \"host:port\" is not a peer name: the port must be a number"));
}
