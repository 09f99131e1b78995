// Faults (issue 12): `sc backup start` killed with SIGKILL at random points,
// 100 times, against a real sshd and rsync; and run with the backup
// directory on a full file system. Afterwards every complete snapshot is
// whole (its files match the peer's at some run), a killed run leaves at
// most a .partial that the next run resumes, and the next run succeeds.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <random>

#include "sshd_harness.hpp"

using namespace sc::test;
using Catch::Contains;

namespace {

std::vector<fs::path> entries_in(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("faults: SIGKILL at random points of backup start, then the next run completes", "[faults][backup][peer]") {
  SshdHarness h;
  fs::create_directories("/srv");
  TempDir outside(fs::path("/srv"));  // not under a directory named tmp (excluded)
  const fs::path data = outside / "data";
  for (int i = 0; i < 200; ++i) write_text(data / ("d" + std::to_string(i % 10)) / ("f" + std::to_string(i)), "v0\n");
  REQUIRE(h.sc({"--set", "BACKUP_DIR=/srv/backup", "backup", "setup"}).status == 0);
  REQUIRE(h.sc({"settings", "set", "BACKUP_KEEP_DAILY", "3"}).status == 0);
  const std::string entry = h.peer() + ":" + data.string();
  REQUIRE(h.sc({"backup", "add", entry, "daily"}).status == 0);
  const std::vector<std::string> start = {kScBinary, "--plugin-path", kPluginDir, "--root", h.client_root().string(),
                                          "backup",  "start",         entry,      "daily"};
  const std::vector<std::string> env = {"HOME=" + h.home().string()};

  auto whole = std::chrono::microseconds::max();
  for (int i = 0; i < 3; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    ScRun r = h.sc({"backup", "start", entry, "daily"});
    INFO(r.err);
    REQUIRE(r.status == 0);
    whole =
        std::min(whole, std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0));
  }
  fs::path period;
  for (const auto& e : entries_in(h.client_root() / "srv/backup" / ("root%40127.0.0.1%3A" + std::to_string(h.port()))))
    if (e.filename().string().rfind("fs-", 0) == 0) period = e / "daily";
  REQUIRE_FALSE(period.empty());

  std::mt19937 rng(5);
  // Up to twice a whole run: a killed run's successor does more (it
  // resumes), and some kills must come after the end.
  std::uniform_int_distribution<long> when(0, 2 * whole.count());
  int killed = 0, partial_left = 0;
  for (int trial = 1; trial <= 100; ++trial) {
    // A few files change on every trial: each snapshot differs.
    for (int k = 0; k < 5; ++k) {
      const int i = (trial * 7 + k * 41) % 200;
      write_text(data / ("d" + std::to_string(i % 10)) / ("f" + std::to_string(i)), "v" + std::to_string(trial) + "\n");
    }
    if (run_killed_after(start, std::chrono::microseconds(when(rng)), env)) ++killed;
    int partials = 0;
    for (const auto& s : entries_in(period)) {
      const std::string name = s.filename().string();
      // Hidden: the lock, and a snapshot rotation was removing when
      // killed (renamed first, so it never looks complete).
      if (name[0] == '.') continue;
      if (s.extension() == ".partial") {
        ++partials;
        continue;
      }
      // A complete snapshot is whole: all 200 files, each a value the
      // peer has held.
      std::size_t files = 0;
      for (const auto& f : fs::recursive_directory_iterator(s / ("fs" + data.string())))
        if (f.is_regular_file()) ++files;
      INFO("trial " << trial << ": " << name);
      CHECK(files == 200);
      CHECK(fs::exists(s / "backup.json"));
    }
    CHECK(partials <= 1);
    partial_left += partials;
    // The next run resumes or starts anew, and succeeds.
    ScRun r = h.sc({"backup", "start", entry, "daily"});
    INFO("trial " << trial << ": " << r.err);
    REQUIRE(r.status == 0);
    for (const auto& s : entries_in(period)) {
      CHECK(s.extension() != ".partial");
      CHECK(s.filename().string().find(".sc-removing") == std::string::npos);
    }
    // The newest snapshot is the peer as it is now.
    const fs::path newest = entries_in(period).back();
    const int i = (trial * 7) % 200;
    CHECK(read_text(newest / ("fs" + data.string()) / ("d" + std::to_string(i % 10)) / ("f" + std::to_string(i))) ==
          "v" + std::to_string(trial) + "\n");
  }
  WARN("backup start: " << killed << " of 100 killed, " << partial_left << " left a .partial for the next run");
  CHECK(killed > 10);
  // Retention held throughout: 3 daily snapshots.
  const auto all = entries_in(period);
  CHECK(std::count_if(all.begin(), all.end(), [](const fs::path& p) { return p.filename() != ".lock"; }) == 3);
}

TEST_CASE("faults: backup start on a full file system keeps every snapshot", "[faults][backup][peer]") {
  if (::geteuid() != 0) {
    WARN("skipped: needs root for a private mount namespace");
    return;
  }
  SshdHarness h;
  fs::create_directories("/srv");
  TempDir outside(fs::path("/srv"));
  const fs::path data = outside / "data";
  write_text(data / "small.txt", "small\n");
  REQUIRE(h.sc({"--set", "BACKUP_DIR=/srv/backup", "backup", "setup"}).status == 0);
  const std::string entry = h.peer() + ":" + data.string();
  REQUIRE(h.sc({"backup", "add", entry, "daily"}).status == 0);
  // The backup directory on a small tmpfs: a first snapshot fits, then
  // the file system is filled, and 2 MB more must be copied.
  const std::string script =
      "set -u\n"
      "backup=$1 sc=$2 plugins=$3 root=$4 entry=$5 data=$6\n"
      "mount -t tmpfs -o size=1m tmpfs \"$backup\" || exit 99\n"
      "\"$sc\" --plugin-path \"$plugins\" --root \"$root\" backup start \"$entry\" daily >/dev/null 2>&1 || exit 98\n"
      "dd if=/dev/urandom of=\"$data/big.bin\" bs=1k count=2048 2>/dev/null\n"
      "\"$sc\" --plugin-path \"$plugins\" --root \"$root\" backup start \"$entry\" daily\n"
      "echo \"status=$?\"\n"
      "for s in \"$backup\"/*/fs-*/daily/*; do echo \"snapshot: $(basename \"$s\")\"; "
      "cat \"$s/fs$data/small.txt\" 2>/dev/null; done\n";
  sc::ProcessResult r = run_in_mount_namespace(script,
                                               {(h.client_root() / "srv/backup").string(), kScBinary, kPluginDir,
                                                h.client_root().string(), entry, data.string()},
                                               {"HOME=" + h.home().string()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("status=1"));
  CHECK_THAT(r.err, Contains("No space left on device"));
  // The first snapshot is intact; the failed run left at most its .partial,
  // which the next run (with room) resumes.
  CHECK_THAT(r.out, Contains("small\n"));
  std::size_t complete = 0, pos = 0;
  while ((pos = r.out.find("snapshot: ", pos)) != std::string::npos) {
    const std::string name = r.out.substr(pos + 10, r.out.find('\n', pos) - pos - 10);
    if (name.find(".partial") == std::string::npos) ++complete;
    ++pos;
  }
  CHECK(complete == 1);
}
