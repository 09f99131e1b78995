#include "engine/accounts.hpp"

#include <catch2/catch.hpp>

#include "test_support.hpp"

namespace fs = std::filesystem;
using sc::test::TempDir;
using sc::test::write_text;

namespace {

const char* kPasswd =
    "# a comment\n"
    "root:x:0:0:root:/root:/bin/bash\n"
    "\n"
    "+nisuser::::::\n"
    "broken:x:notanumber:1\n"
    "short:x:5\n"
    "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
    "alice:x:1234:2345:Alice:/home/alice:/bin/sh\n"
    "alice:x:9999:9999:second entry ignored:/:/bin/sh";

const char* kGroup =
    "root:x:0:\n"
    "staff:x:3456:alice,bob\n"
    "bad:x:\n"
    "nomembers:x:77";

}  // namespace

TEST_CASE("passwd and group texts are parsed") {
  auto alice = sc::find_user_in(kPasswd, "alice");
  REQUIRE(alice);
  CHECK(alice->uid == 1234);
  CHECK(alice->gid == 2345);
  auto www = sc::find_user_in(kPasswd, "www-data");
  REQUIRE(www);
  CHECK(www->uid == 33);
  CHECK_FALSE(sc::find_user_in(kPasswd, "broken"));
  CHECK_FALSE(sc::find_user_in(kPasswd, "short"));
  CHECK_FALSE(sc::find_user_in(kPasswd, "+nisuser"));
  CHECK_FALSE(sc::find_user_in(kPasswd, "nobody"));
  CHECK_FALSE(sc::find_user_in(kPasswd, ""));
  CHECK_FALSE(sc::find_user_in(kPasswd, "root:x"));
  CHECK(sc::find_group_in(kGroup, "staff") == 3456u);
  CHECK(sc::find_group_in(kGroup, "nomembers") == 77u);
  CHECK_FALSE(sc::find_group_in(kGroup, "bad"));
  CHECK_FALSE(sc::find_group_in(kGroup, "alice"));
}

TEST_CASE("users and groups come from the target tree") {
  TempDir root;
  write_text(root / "etc/passwd", kPasswd);
  write_text(root / "etc/group", kGroup);
  auto alice = sc::lookup_user(root.path(), "alice");
  REQUIRE(alice);
  CHECK(alice->uid == 1234);
  CHECK(alice->gid == 2345);
  CHECK(sc::lookup_group(root.path(), "staff") == 3456u);
  // Not on the target: the host's name service is not asked under a root.
  CHECK_FALSE(sc::lookup_user(root.path(), "daemon"));
  CHECK_FALSE(sc::lookup_group(root.path(), "daemon"));
}

TEST_CASE("root is 0/0 even in a bare tree") {
  TempDir root;
  auto r = sc::lookup_user(root.path(), "root");
  REQUIRE(r);
  CHECK(r->uid == 0);
  CHECK(r->gid == 0);
  CHECK(sc::lookup_group(root.path(), "root") == 0u);
  CHECK_FALSE(sc::lookup_user(root.path(), "alice"));
}

TEST_CASE("a symlinked /etc/passwd is read inside the root") {
  TempDir root;
  write_text(root / "data/passwd", "alice:x:4321:4321::/:/bin/sh\n");
  fs::create_directories(root / "etc");
  fs::create_symlink("/data/passwd", root / "etc/passwd");
  auto alice = sc::lookup_user(root.path(), "alice");
  REQUIRE(alice);
  CHECK(alice->uid == 4321);
  // A link pointing at the host's /etc/passwd stays in the (empty) root.
  TempDir other;
  fs::create_directories(other / "etc");
  fs::create_symlink("/etc/passwd", other / "etc/group");
  CHECK_FALSE(sc::lookup_group(other.path(), "daemon"));
}

TEST_CASE("the running system uses its files and the name service") {
  auto r = sc::lookup_user("/", "root");
  REQUIRE(r);
  CHECK(r->uid == 0);
  CHECK(sc::lookup_group("/", "root") == 0u);
  CHECK_FALSE(sc::lookup_user("/", "sc-no-such-user-4711"));
}

TEST_CASE("a reader function can supply the files") {
  sc::TargetFileReader reader = [](const std::string& path, std::string* text) {
    if (path != "/etc/passwd") return false;
    *text = "planned:x:500:501::/:/bin/sh\n";
    return true;
  };
  auto p = sc::lookup_user(reader, false, "planned");
  REQUIRE(p);
  CHECK(p->gid == 501);
  CHECK_FALSE(sc::lookup_group(reader, false, "planned"));
}
