// files pull against a real sshd on loopback (tests/support/sshd_harness.hpp):
// the peer is this machine's sc with its own --root.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "sshd_harness.hpp"

using namespace sc::test;
using Catch::Contains;

TEST_CASE("files pull copies a module's files from a peer", "[files][peer]") {
  SshdHarness h;
  write_minimal_accounts(h.peer_root());
  write_minimal_accounts(h.client_root());
  REQUIRE(h.peer_sc({"user", "add", "alice"}).status == 0);
  write_text(h.peer_root() / "home/alice/notes.txt", "from the peer\n");
  write_text(h.client_root() / "home/gone/old.txt", "not listed: stays\n");
  const std::string source = h.peer() + ":" + h.peer_root().string();

  const std::string before = tree_hash(h.client_root());
  ScRun r = h.sc({"--dry-run", "files", "pull", "user", source});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(tree_hash(h.client_root()) == before);

  r = h.sc({"files", "pull", "user", source});
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("copied 5 path(s) of user from " + source));
  for (const char* f : {"etc/passwd", "etc/shadow", "etc/group", "etc/gshadow", "home/alice/notes.txt"})
    CHECK(read_text(h.client_root() / f) == read_text(h.peer_root() / f));
  CHECK(read_text(h.client_root() / "home/gone/old.txt") == "not listed: stays\n");

  // A module the peer does not have, a peer that does not answer.
  r = h.sc({"files", "pull", "nosuch", source});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("cannot get the file list of nosuch from " + h.peer()));
  r = h.sc({"files", "pull", "user", "root@127.0.0.1:1"});
  CHECK(r.status == 1);
}
