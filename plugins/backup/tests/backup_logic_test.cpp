#include <fcntl.h>
#include <sys/stat.h>

#include <atomic>
#include <catch2/catch.hpp>

#include "../checksums.hpp"
#include "../entry.hpp"
#include "../snapshots.hpp"
#include "../tree.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

TEST_CASE("backup: entries", "[backup]") {
  std::string why;
  auto e = backup::parse_entry("node1", &why);
  REQUIRE(e);
  CHECK(e->host == "node1");
  CHECK(e->whole_host());
  e = backup::parse_entry("root@node1:2222:/srv/data/", &why);
  REQUIRE(e);
  CHECK(e->host == "root@node1:2222");
  CHECK(e->path == "/srv/data");
  CHECK(e->text() == "root@node1:2222:/srv/data");
  for (const char* bad : {"", ":/srv", "-oProxyCommand=x", "host:/a/../b", "host:/a b", "ho st", "h;x", "h$(x)",
                          "host:/a\nb", "h/x", "h..x"}) {
    INFO(bad);
    CHECK_FALSE(backup::parse_entry(bad, &why));
    CHECK_THAT(why, Contains("invalid backup entry"));
  }
  for (const auto& hostile : hostile_strings()) {
    INFO(hostile);
    CHECK_FALSE(backup::parse_entry(hostile, &why));
  }
}

TEST_CASE("backup: names under BACKUP_DIR", "[backup]") {
  CHECK(backup::encode_name("user@host:22") == "user%40host%3A22");
  CHECK(backup::decode_name("user%40host%3A22") == "user@host:22");
  CHECK(backup::encode_name("..") == "%2E.");
  backup::Entry e{"node1", "/srv/data"};
  CHECK(backup::entry_dir("/srv/backup", e) == "/srv/backup/node1/fs-%2Fsrv%2Fdata");
  CHECK(backup::entry_dir("/srv/backup", {"node1", ""}) == "/srv/backup/node1/host");
  CHECK(backup::host_dir("/srv/backup", e) == "/srv/backup/node1");
}

TEST_CASE("backup: the BACKUP_LIST setting", "[backup]") {
  std::vector<std::string> bad;
  auto items = backup::parse_list("daily:node1  hourly:node2:/srv weekly:bad host yearly:x daily:n3:/a/../b", &bad);
  REQUIRE(items.size() == 3);
  CHECK(items[0].period == "daily");
  CHECK(items[2].entry.host == "bad");
  // "host" (no period), an unknown period and a path with ".." are skipped.
  CHECK(bad == std::vector<std::string>{"host", "yearly:x", "daily:n3:/a/../b"});
  CHECK(backup::format_list(items) == "daily:node1 hourly:node2:/srv weekly:bad");
}

TEST_CASE("backup: snapshot names and rotation", "[backup]") {
  CHECK(backup::snapshot_name(0) == "1970-01-01T00-00-00Z");
  CHECK(backup::snapshot_name(1795680000) == "2026-11-26T08-00-00Z");
  CHECK(backup::parse_snapshot_name("2026-11-26T08-00-00Z") == std::time_t{1795680000});
  CHECK_FALSE(backup::parse_snapshot_name("2026-11-26T08-00-00Z.partial"));
  CHECK_FALSE(backup::parse_snapshot_name("2026-13-26T08-00-00Z"));
  CHECK_FALSE(backup::parse_snapshot_name("latest"));
  std::vector<std::string> snaps = {"2026-01-03T00-00-00Z", "2026-01-01T00-00-00Z", "2026-01-04T00-00-00Z",
                                    "2026-01-02T00-00-00Z"};
  CHECK(backup::to_rotate(snaps, 2) == std::vector<std::string>{"2026-01-01T00-00-00Z", "2026-01-02T00-00-00Z"});
  CHECK(backup::to_rotate(snaps, 4).empty());
  CHECK(backup::to_rotate(snaps, 9).empty());
}

TEST_CASE("backup: status keeps the last run and the last success", "[backup]") {
  backup::Status s;
  backup::RunRecord ok;
  ok.period = "daily";
  ok.ok = true;
  ok.snapshot = "2026-01-01T00-00-00Z";
  s.record(ok);
  backup::RunRecord failed;
  failed.period = "daily";
  failed.error = "rsync: exited with status 23";
  s.record(failed);
  auto back = backup::Status::from_json(s.to_json());
  CHECK(back.last_run["daily"].error == "rsync: exited with status 23");
  CHECK(back.last_success["daily"].snapshot == "2026-01-01T00-00-00Z");
  CHECK(backup::human_size(0) == "0 B");
  CHECK(backup::human_size(1536) == "1.5 KiB");
  CHECK(backup::human_time(0) == "never");
}

TEST_CASE("backup: an unchanged fs/ carries its sums over, in walk order", "[backup]") {
  TempDir dir;
  // An earlier snapshot: files before and after "fs" among the top-level names.
  write_text(dir / "old/db/a.sql.xz", "dump 1");
  write_text(dir / "old/fs/etc/x", "x");
  write_text(dir / "old/fs/etc-y", "why");
  write_text(dir / "old/fs/home/u/f", std::string(5000, 'f'));
  write_text(dir / "old/sc", "A='1'\n");
  backup::TreeSums earlier;
  std::string err;
  REQUIRE(backup::sum_tree((dir / "old").string(), {}, &earlier, {}, &err));

  // The new one: fs/ linked whole, the rest written again (one changed).
  fs::create_directories(dir / "new");
  fs::copy(dir / "old/fs", dir / "new/fs", fs::copy_options::recursive | fs::copy_options::create_hard_links);
  write_text(dir / "new/db/a.sql.xz", "dump 2");
  write_text(dir / "new/files.json", "{}");
  write_text(dir / "new/sc", "A='1'\n");
  backup::TreeSums carried, walked;
  REQUIRE(backup::sum_tree_carrying((dir / "new").string(), "fs", earlier.files, &carried, &err));
  REQUIRE(backup::sum_tree((dir / "new").string(), {}, &walked, {}, &err));
  CHECK(backup::format_sums(carried.files) == backup::format_sums(walked.files));
  CHECK(carried.bytes == walked.bytes);
  CHECK(carried.new_bytes == 6 + 2 + 6);  // only what lies outside fs/ was read
  // An earlier list without fs/ entries carries nothing.
  REQUIRE(backup::sum_tree_carrying((dir / "new").string(), "fs", {}, &carried, &err));
  CHECK(carried.files.size() == 3);
}

TEST_CASE("backup: checksums reuse hard-linked files and find damage", "[backup]") {
  TempDir dir;
  write_text(dir / "a/f1", "one");
  write_text(dir / "a/sub/f2", std::string(300000, 'x'));
  write_text(dir / "a/weird \"name\"\n", "three");
  backup::TreeSums first;
  std::string err;
  REQUIRE(backup::sum_tree((dir / "a").string(), {}, &first, {}, &err));
  REQUIRE(first.files.size() == 3);
  CHECK(first.bytes == 300008);
  CHECK(first.new_bytes == 300008);

  // A second snapshot with hard links to unchanged files reads only new data.
  fs::create_directories(dir / "b/sub");
  fs::create_hard_link(dir / "a/sub/f2", dir / "b/sub/f2");
  fs::create_hard_link(dir / "a/weird \"name\"\n", dir / "b/weird \"name\"\n");
  write_text(dir / "b/f1", "changed");
  auto index = backup::index_by_inode((dir / "a").string(), first.files);
  backup::TreeSums second;
  REQUIRE(backup::sum_tree((dir / "b").string(), index, &second, {}, &err));
  CHECK(second.new_bytes == 7);
  CHECK(second.bytes == 300012);

  std::string text = backup::format_sums(second.files);
  std::vector<backup::FileSum> parsed;
  REQUIRE(backup::parse_sums(text, &parsed, &err));
  REQUIRE(parsed.size() == 3);
  CHECK(parsed[2].path == "weird \"name\"\n");
  CHECK(backup::verify_tree((dir / "b").string(), parsed, {}).empty());

  // Damage: a flipped byte, a truncation, a missing file.
  write_text(dir / "b/f1", "chanGed");
  fs::resize_file(dir / "b/sub/f2", 10);
  fs::remove(dir / "b/weird \"name\"\n");
  auto damage = backup::verify_tree((dir / "b").string(), parsed, {});
  REQUIRE(damage.size() == 3);
  CHECK(damage[0].path == "f1");
  CHECK_THAT(damage[0].problem, Contains("content differs"));
  CHECK_THAT(damage[1].problem, Contains("size 10 instead of 300000"));
  CHECK(damage[2].problem == "missing");
  CHECK_FALSE(backup::parse_sums("zz 1 \"x\"\n", &parsed, &err));
}

TEST_CASE("backup: a hard-link copy of a tree, and its removal", "[backup]") {
  TempDir tmp;
  const fs::path from = tmp.path() / "from", to = tmp.path() / "to";
  write_text(from / "plain", "plain\n");
  std::vector<std::string> names;
  for (const auto& h : hostile_strings())
    if (!h.empty() && h.find('/') == std::string::npos) {
      names.push_back(h);
      write_text(from / "sub" / h, h);
    }
  fs::create_hard_link(from / "plain", from / "sub/same inode");
  fs::create_symlink("nowhere/at all", from / "sub/dangling");
  REQUIRE(::mkfifo((from / "sub/fifo").c_str(), 0640) == 0);
  fs::create_directories(from / "empty");
  write_text(from / "locked/inside", "x");
  ::chmod((from / "empty").c_str(), 02750);
  ::chmod((from / "locked").c_str(), 0500);
  const struct timespec old_times[2] = {{1000000000, 5}, {1000000000, 123456789}};
  REQUIRE(::utimensat(AT_FDCWD, (from / "sub").c_str(), old_times, 0) == 0);
  const std::string before = tree_hash(from);

  auto same_inode = [](const fs::path& a, const fs::path& b) {
    struct stat sa {}, sb {};
    return ::lstat(a.c_str(), &sa) == 0 && ::lstat(b.c_str(), &sb) == 0 && sa.st_ino == sb.st_ino &&
           sa.st_dev == sb.st_dev;
  };
  std::atomic<bool> cancel{false};
  std::string err;
  REQUIRE(backup::link_tree(from.string(), to.string(), cancel, &err));
  INFO(err);
  for (const char* f : {"plain", "sub/same inode", "sub/dangling", "sub/fifo", "locked/inside"})
    CHECK(same_inode(from / f, to / f));
  for (const auto& n : names) CHECK(same_inode(from / "sub" / n, to / "sub" / n));
  // Directories are new, with their original's mode, owner and times.
  for (const char* d : {"", "sub", "empty", "locked"}) {
    struct stat a {}, b {};
    REQUIRE(::lstat((from / d).c_str(), &a) == 0);
    REQUIRE(::lstat((to / d).c_str(), &b) == 0);
    CHECK(a.st_ino != b.st_ino);
    CHECK(a.st_mode == b.st_mode);
    CHECK(a.st_uid == b.st_uid);
    CHECK(a.st_gid == b.st_gid);
    CHECK(a.st_mtim.tv_sec == b.st_mtim.tv_sec);
    CHECK(a.st_mtim.tv_nsec == b.st_mtim.tv_nsec);
  }
  CHECK(tree_hash(to) == before);
  // The target must be new: an existing one is never merged into.
  CHECK_FALSE(backup::link_tree(from.string(), to.string(), cancel, &err));
  CHECK_THAT(err, Contains("cannot make directory " + to.string()));

  // Removal takes the copy and leaves the original whole, read-only
  // directories included.
  REQUIRE(backup::remove_tree(to.string(), &err));
  CHECK_FALSE(fs::exists(to));
  CHECK(tree_hash(from) == before);
  CHECK(fs::hard_link_count(from / "plain") == 2);
  CHECK(backup::remove_tree(to.string(), &err));  // already gone: fine

  // Cancelled: stops without an error message, and what was made goes.
  cancel = true;
  err.clear();
  CHECK_FALSE(backup::link_tree(from.string(), to.string(), cancel, &err));
  CHECK(err.empty());
  REQUIRE(backup::remove_tree(to.string(), &err));
  CHECK_FALSE(fs::exists(to));
  ::chmod((from / "locked").c_str(), 0700);
}
