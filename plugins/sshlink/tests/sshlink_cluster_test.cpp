// sshlink between two real hosts of the test cluster (tests/support/
// CLUSTER.md): no --root, each host's own keys, known_hosts and settings.
#include <catch2/catch.hpp>

#include "cluster.hpp"

using namespace sc::test;
using Catch::Contains;

TEST_CASE("sshlink add, has, getvar, exec and getfiles between two hosts", "[sshlink][cluster]") {
  Cluster c({"c1", "c2"});
  // c2 already accepts c1's key (as after `ssh-copy-id`); c1 does not know
  // c2's host key yet: `add` learns it (--yes) and asks for no password.
  std::string key = read_text(c.path("c1", "/root/.ssh/id_ed25519.pub"));
  write_text(c.path("c2", "/root/.ssh/authorized_keys"), key, fs::perms(0600));
  CHECK(c.sc("c1", {"sshlink", "has", "c2"}).status == 1);
  ScRun add = c.sc("c1", {"--yes", "sshlink", "add", "c2"});
  INFO(add.out << add.err << c.sshd_log("c2"));
  REQUIRE(add.status == 0);
  CHECK_THAT(read_text(c.path("c1", "/root/.ssh/known_hosts")), Contains("c2"));
  CHECK(c.sc("c1", {"sshlink", "has", "c2"}).status == 0);
  CHECK(c.sc("c1", {"sshlink", "has_sc", "c2"}).status == 0);
  // The peer's sc answers with the peer's own settings.
  REQUIRE(c.sc("c2", {"settings", "set", "SSHLINK_CONNECT_TIMEOUT", "9"}).status == 0);
  ScRun var = c.sc("c1", {"sshlink", "getvar", "c2", "SSHLINK_CONNECT_TIMEOUT"});
  INFO(var.err);
  CHECK(var.out == "9\n");
  CHECK(c.sc("c1", {"settings", "get", "SSHLINK_CONNECT_TIMEOUT"}).out == "2\n");
  ScRun exec = c.sc("c1", {"sshlink", "exec", "c2", "hostname"});
  CHECK(exec.out == "c2\n");
  // A file copied from c2's /srv into c1's.
  REQUIRE(c.on("c2", {"sh", "-c", "echo payload > /srv/data.txt"}).ok());
  ScRun get = c.sc("c1", {"sshlink", "getfiles", "c2:/srv", "/srv", "data.txt"});
  INFO(get.out << get.err);
  CHECK(get.status == 0);
  CHECK(read_text(c.path("c1", "/srv/data.txt")) == "payload\n");
}
