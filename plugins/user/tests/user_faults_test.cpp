// Faults (issue 12): `sc user add` killed with SIGKILL at random points, and
// run on a full file system. Afterwards every account file parses, pwck and
// grpck find nothing wrong once the next run has completed what the killed
// one left, and a home is either complete or absent.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <random>

#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

namespace {

void make_tree(const fs::path& root) {
  write_minimal_accounts(root);
  write_text(root / "etc/skel/.profile", "# profile\n");
  write_text(root / "etc/skel/.config/app/settings.ini", "[a]\nb=c\n");
  write_text(root / "bin/bash", "", fs::perms(0755));
  fs::create_directories(root / "root");
}

std::vector<std::string> add_argv(const fs::path& root, const std::string& login) {
  return {kScBinary, "--plugin-path", kPluginDir, "--root", root.string(), "user", "add", login};
}

}  // namespace

TEST_CASE("faults: SIGKILL at random points of user add, then a re-run completes it", "[faults][user]") {
  TempDir root;
  make_tree(root.path());
  auto run = [&](const std::vector<std::string>& argv) { return run_sc({argv.begin() + 1, argv.end()}); };
  // Kills land anywhere within the shortest of three whole runs.
  auto whole = std::chrono::microseconds::max();
  for (const char* login : {"timing1", "timing2", "timing3"}) {
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(run(add_argv(root.path(), login)).status == 0);
    whole =
        std::min(whole, std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0));
  }
  std::mt19937 rng(7);
  std::uniform_int_distribution<long> when(0, whole.count());
  int killed = 0, incomplete = 0;
  for (int i = 0; i < 100; ++i) {
    const std::string login = "u" + std::to_string(i);
    if (run_killed_after(add_argv(root.path(), login), std::chrono::microseconds(when(rng)))) ++killed;
    // Every file parses (sc reads them all) and none is half-written.
    ScRun r = run_sc_rooted(root.path(), {"user", "has", "root"});
    INFO("trial " << i << ": " << r.err);
    REQUIRE(r.status == 0);
    if (!account_check(root.path()).empty()) ++incomplete;
    // A half-made home is never left under the final name.
    if (fs::exists(root / ("home/" + login))) CHECK(fs::exists(root / ("home/" + login + "/.config/app/settings.ini")));
    // The next run completes whatever was left.
    r = run_sc_rooted(root.path(), {"user", "add", login});
    REQUIRE(r.status == 0);
    CHECK(account_check(root.path()) == "");
    CHECK(read_text(root / ("home/" + login + "/.config/app/settings.ini")) == "[a]\nb=c\n");
    CHECK_FALSE(fs::exists(root / ("home/." + login + ".sc-new")));
    // The managed range has 100 ids: free this one for the next trials.
    REQUIRE(run_sc_rooted(root.path(), {"--yes", "user", "del", login}).status == 0);
    CHECK(account_check(root.path()) == "");
  }
  WARN("user add: " << killed << " of 100 killed, " << incomplete << " left files for the next run to complete");
  CHECK(killed > 10);
}

TEST_CASE("faults: user add on a full file system leaves the accounts as they were", "[faults][user]") {
  if (::geteuid() != 0) {
    WARN("skipped: needs root for a private mount namespace");
    return;
  }
  TempDir root;
  make_tree(root.path());
  const std::string before = read_text(root / "etc/passwd") + read_text(root / "etc/shadow") +
                             read_text(root / "etc/group") + read_text(root / "etc/gshadow");
  // ROOT/etc on a small tmpfs, filled up; the account files copied in.
  const std::string script =
      "set -u\n"
      "root=$1 sc=$2 plugins=$3\n"
      "cp -a \"$root/etc\" \"$root/etc.orig\"\n"
      "mount -t tmpfs -o size=64k tmpfs \"$root/etc\" || exit 99\n"
      "cp -a \"$root/etc.orig/.\" \"$root/etc/\"\n"
      "dd if=/dev/zero of=\"$root/etc/filler\" bs=1k count=128 2>/dev/null\n"
      "\"$sc\" --plugin-path \"$plugins\" --root \"$root\" user add newbie\n"
      "echo \"status=$?\"\n"
      "rm -f \"$root/etc/filler\"\n"
      "for f in passwd shadow group gshadow; do cat \"$root/etc/$f\"; done\n"
      "ls -A \"$root/etc\"\n";
  sc::ProcessResult r = run_in_mount_namespace(script, {root.path().string(), kScBinary, kPluginDir});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("status=1"));
  CHECK_THAT(r.err, Contains("No space left on device"));
  CHECK_THAT(r.out, Contains(before));
  CHECK_THAT(r.out, !Contains("newbie"));
  CHECK_THAT(r.out, !Contains(".sc-"));
}
