// Faults, not only input (issue 12): sc killed with SIGKILL at random
// points of a settings write, and a full file system under a write. Loop
// tests: they count what happened, they time nothing.

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <random>
#include <thread>

#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

namespace {

std::vector<std::string> rooted(const fs::path& root, std::vector<std::string> args) {
  std::vector<std::string> all = {kScBinary, "--plugin-path", kFixtureDir, "--root", root.string()};
  all.insert(all.end(), args.begin(), args.end());
  return all;
}

std::chrono::microseconds duration_of(const std::vector<std::string>& argv) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::string> rest(argv.begin() + 1, argv.end());
  run_sc(rest);
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
}

std::vector<std::string> leftovers(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".sc-") != std::string::npos) names.push_back(e.path().filename());
  return names;
}

}  // namespace

TEST_CASE("faults: SIGKILL at random points of settings writes loses nothing", "[faults][settings]") {
  TempDir root;
  auto sc_get = [&](const std::string& name) {
    std::vector<std::string> a = rooted(root.path(), {"settings", "get", name});
    return run_sc({a.begin() + 1, a.end()});
  };
  auto sc_set = [&](const std::string& value) { return rooted(root.path(), {"settings", "set", "PROBE_TEXT", value}); };
  {
    auto a = sc_set("v0");
    REQUIRE(run_sc({a.begin() + 1, a.end()}).status == 0);
    a = rooted(root.path(), {"settings", "set", "PROBE_SECRET", "s3cret"});
    REQUIRE(run_sc({a.begin() + 1, a.end()}).status == 0);
  }
  // Kills land anywhere within the shortest of three whole runs.
  const auto whole =
      std::min({duration_of(sc_set("timing")), duration_of(sc_set("timing")), duration_of(sc_set("timing"))});
  std::mt19937 rng(12);
  std::uniform_int_distribution<long> when(0, whole.count());
  std::string last = "timing";
  int killed = 0, finished = 0;
  for (int i = 1; i <= 100; ++i) {
    const std::string value = "v" + std::to_string(i) + std::string(static_cast<size_t>(i * 37 % 3000), 'x');
    if (run_killed_after(sc_set(value), std::chrono::microseconds(when(rng))))
      ++killed;
    else
      ++finished;
    // Every file parses; the value is the old or the new one, never a mix;
    // the other settings are untouched.
    ScRun r = sc_get("PROBE_TEXT");
    INFO("trial " << i << ": " << r.err);
    REQUIRE(r.status == 0);
    const std::string got = r.out.substr(0, r.out.size() - 1);
    CHECK((got == last || got == value));
    last = got;
    CHECK(sc_get("PROBE_SECRET").out == "s3cret\n");
  }
  WARN("settings writes: " << killed << " of 100 killed, " << finished << " finished first");
  CHECK(killed > 10);
  // The next write removes what killed writers left.
  auto a = sc_set("final");
  REQUIRE(run_sc({a.begin() + 1, a.end()}).status == 0);
  CHECK(leftovers(root / "etc").empty());
  CHECK(sc_get("PROBE_TEXT").out == "final\n");
}

TEST_CASE("faults: a full file system under a settings write keeps the old store", "[faults][settings]") {
  if (::geteuid() != 0) {
    WARN("skipped: needs root for a private mount namespace");
    return;
  }
  TempDir root;
  fs::create_directories(root / "etc");
  // A small tmpfs on ROOT/etc in a private mount namespace, filled up.
  const std::string script =
      "set -u\n"
      "root=$1 sc=$2 fx=$3 big=$4\n"
      "mount -t tmpfs -o size=32k tmpfs \"$root/etc\" || exit 99\n"
      "\"$sc\" --plugin-path \"$fx\" --root \"$root\" settings set PROBE_TEXT old >/dev/null 2>&1 || exit 98\n"
      "dd if=/dev/zero of=\"$root/etc/filler\" bs=1k count=64 2>/dev/null\n"
      "\"$sc\" --plugin-path \"$fx\" --root \"$root\" settings set PROBE_TEXT \"$big\"\n"
      "echo \"status=$?\"\n"
      "\"$sc\" --plugin-path \"$fx\" --root \"$root\" settings get PROBE_TEXT\n"
      "ls -A \"$root/etc\"\n";
  sc::ProcessResult r =
      run_in_mount_namespace(script, {root.path().string(), kScBinary, kFixtureDir, std::string(8000, 'n')});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("status=1"));
  CHECK_THAT(r.err, Contains("No space left on device") && Contains("the file is unchanged"));
  CHECK_THAT(r.out, Contains("\nold\n"));
  CHECK_THAT(r.out, !Contains(".sc.sc-"));  // no temporary left behind
}
