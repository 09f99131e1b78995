#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>

#include "../checksums.hpp"
#include "../entry.hpp"
#include "../snapshots.hpp"
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
  // Names the link refuses are refused here, before `backup add` sets up
  // anything (it used to write the cron tasks, then fail).
  for (const std::string& bad :
       std::vector<std::string>{"a@b@c", "host:port", "[not-ipv6]", std::string(64, 'a') + ".example.com"}) {
    INFO(bad);
    CHECK_FALSE(backup::parse_entry(bad, &why));
    CHECK_THAT(why, Contains("is not a peer name"));
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

namespace {

/// A read-only descriptor of `dir`, as the host's open_read gives one.
struct DirFd {
  int fd;
  explicit DirFd(const fs::path& dir) : fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    REQUIRE(fd >= 0);
  }
  ~DirFd() { ::close(fd); }
};

}  // namespace

TEST_CASE("backup: checksums take what is known by path and size, and read the rest", "[backup]") {
  TempDir dir;
  write_text(dir / "a/f1", "one");
  write_text(dir / "a/sub/f2", std::string(300000, 'x'));
  write_text(dir / "a/weird \"name\"\n", "three");
  fs::create_symlink("f1", dir / "a/link");
  backup::TreeSums first;
  std::string err;
  {
    DirFd a(dir / "a");
    REQUIRE(backup::sum_tree(a.fd, {}, &first, {}, &err));
  }
  REQUIRE(first.files.size() == 3);  // symlinks have no checksum
  CHECK(first.bytes == 300008);
  CHECK(first.new_bytes == 300008);
  CHECK(first.files[0].hash == backup::hash_bytes("one"));
  CHECK(first.files[1].path == "sub/f2");

  // Known sums (a previous snapshot's, rsync's) are taken when path and
  // size match; anything else is read.
  std::map<std::string, backup::FileSum> known;
  for (const auto& f : first.files) known[f.path] = f;
  write_text(dir / "a/f1", "changed");  // other size: read again
  backup::TreeSums second;
  {
    DirFd a(dir / "a");
    REQUIRE(backup::sum_tree(a.fd, known, &second, {}, &err));
  }
  CHECK(second.new_bytes == 7);
  CHECK(second.bytes == 300012);
  CHECK(second.files[0].hash == backup::hash_bytes("changed"));
  CHECK(backup::sorted_sums(second.files).bytes == second.bytes);
}

TEST_CASE("backup: verify finds every kind of damage", "[backup]") {
  TempDir dir;
  write_text(dir / "b/f1", "changed");
  write_text(dir / "b/sub/f2", std::string(300000, 'x'));
  write_text(dir / "b/weird \"name\"\n", "three");
  backup::TreeSums sums;
  std::string err;
  {
    DirFd b(dir / "b");
    REQUIRE(backup::sum_tree(b.fd, {}, &sums, {}, &err));
  }
  std::string text = backup::format_sums(sums.files);
  std::vector<backup::FileSum> parsed;
  REQUIRE(backup::parse_sums(text, &parsed, &err));
  REQUIRE(parsed.size() == 3);
  CHECK(parsed[2].path == "weird \"name\"\n");
  {
    DirFd b(dir / "b");
    CHECK(backup::verify_tree(b.fd, parsed, {}).empty());
  }

  // Damage: a flipped byte, a truncation, a missing file; a symlink put
  // where a directory was is not followed.
  write_text(dir / "b/f1", "chanGed");
  fs::resize_file(dir / "b/sub/f2", 10);
  fs::remove(dir / "b/weird \"name\"\n");
  DirFd b(dir / "b");
  auto damage = backup::verify_tree(b.fd, parsed, {});
  REQUIRE(damage.size() == 3);
  CHECK(damage[0].path == "f1");
  CHECK_THAT(damage[0].problem, Contains("content differs"));
  CHECK_THAT(damage[1].problem, Contains("size 10 instead of 300000"));
  CHECK(damage[2].problem == "missing");
  fs::rename(dir / "b/sub", dir / "elsewhere");
  fs::create_directory_symlink(dir / "elsewhere", dir / "b/sub");
  damage = backup::verify_tree(b.fd, parsed, {});
  REQUIRE(damage.size() == 3);
  CHECK(damage[1].path == "sub/f2");
  CHECK(damage[1].problem == "missing");
  CHECK_FALSE(backup::parse_sums("zz 1 \"x\"\n", &parsed, &err));
}

TEST_CASE("backup: the checksum list is JSON strings, written fast or not", "[backup]") {
  // Plain paths are written without the JSON library, the others with it:
  // the text is the same either way, and every path comes back.
  std::vector<backup::FileSum> sums;
  for (const auto& p : {std::string("fs/etc/passwd"), std::string("fs/a b/c~d"), std::string("fs/quote\"d"),
                        std::string("fs/back\\slash"), std::string("fs/new\nline"), std::string("fs/caf\xc3\xa9")})
    sums.push_back({p, 3, std::string(32, 'a')});
  const std::string text = backup::format_sums(sums);
  std::string expected;
  for (const auto& s : sums)
    expected +=
        s.hash + " 3 " + nlohmann::json(s.path).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  CHECK(text == expected);
  std::vector<backup::FileSum> back;
  std::string err;
  REQUIRE(backup::parse_sums(text, &back, &err));
  REQUIRE(back.size() == sums.size());
  for (size_t i = 0; i < sums.size(); ++i) CHECK(back[i].path == sums[i].path);
}

TEST_CASE("backup: dumps of a backup of the original tool are named USER:DATABASE.xz", "[backup]") {
  std::string why;
  CHECK(backup::original_db_file("alice:alicedb.xz", &why) ==
        std::make_pair(std::string("alice"), std::string("alicedb")));
  CHECK(backup::original_db_file("_r2:d_9.xz", &why) == std::make_pair(std::string("_r2"), std::string("d_9")));
  for (const std::string& bad : std::vector<std::string>{
           "alice:alicedb", "alicedb.xz", "alice:alicedb.sql.xz", "Alice:db.xz", "alice:db;x.xz", "../etc:passwd.xz",
           "alice:/etc/passwd.xz", ":db.xz", "alice:.xz", "a:b:c.xz", "alice:db x.xz", "9a:db.xz", ".xz",
           "alice:" + std::string(64, 'd') + ".xz", std::string("alice:d\0b.xz", 12)}) {
    INFO(bad);
    why.clear();
    CHECK_FALSE(backup::original_db_file(bad, &why));
    CHECK_FALSE(why.empty());
  }
  for (const auto& hostile : sc::test::hostile_strings()) {
    CHECK_FALSE(backup::original_db_file(hostile + ":db.xz", nullptr));
    CHECK_FALSE(backup::original_db_file("u:" + hostile + ".xz", nullptr));
  }
}

TEST_CASE("backup: a path left out of a restore is matched exactly by rsync", "[backup]") {
  CHECK(backup::exact_exclude("/etc/passwd") == "/etc/passwd");
  CHECK(backup::exact_exclude("/home/a b\\c") == "/home/a b\\c");  // no wildcard: taken as written
  CHECK(backup::exact_exclude("/srv/[x]*?\\y") == "/srv/\\[x]\\*\\?\\\\y");
}
