// The pure part of the SSH layer: peer names, quoting for the remote shell
// and for rsync's -e splitting (both checked against the real programs),
// the authorized_keys script and the rsync command.
#include "peers/peer_address.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>

#include "peers/rsync_command.hpp"
#include "test_support.hpp"

using namespace sc;
using namespace sc::test;
using Catch::Contains;

namespace {

// Words that must reach a remote program unchanged.
std::vector<std::string> awkward_words() {
  std::vector<std::string> w = hostile_strings();
  w.insert(w.end(), {"'",
                     "''",
                     "a'b'c",
                     "\"",
                     "\\",
                     "\\'",
                     "!",
                     "!!",
                     "#comment",
                     "~",
                     "~root",
                     "tab\there",
                     "{a,b}",
                     "[ab]",
                     "x=y",
                     "--",
                     "-",
                     "%s",
                     "\xff\xfe bytes",
                     "end\\",
                     "two\n\nnewlines\n"});
  return w;
}

std::vector<std::string> split_nul(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i)
    if (s[i] == '\0') {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

ProcessResult run(std::vector<std::string> argv, const std::string* input = nullptr,
                  std::vector<std::string> env = {}) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  spec.env_add = std::move(env);
  spec.capture_out = spec.capture_err = true;
  if (input) spec.input = *input;
  spec.timeout = std::chrono::milliseconds(20000);
  return run_process(spec);
}

}  // namespace

TEST_CASE("peer names take the forms ssh takes", "[peer]") {
  PeerAddress a;
  std::string err;
  REQUIRE(parse_peer_address("host", &a, &err));
  CHECK(a.host == "host");
  CHECK(a.user.empty());
  CHECK(a.port == 0);
  REQUIRE(parse_peer_address("root@backup.example.com:2222", &a, &err));
  CHECK(a.user == "root");
  CHECK(a.host == "backup.example.com");
  CHECK(a.port == 2222);
  CHECK(a.text == "root@backup.example.com:2222");
  REQUIRE(parse_peer_address("admin@[fe80::1%eth0]:22", &a, &err));
  CHECK(a.host == "fe80::1%eth0");
  CHECK(a.host_for_url() == "[fe80::1%eth0]");
  REQUIRE(parse_peer_address("[::1]", &a, &err));
  CHECK(a.port == 0);
  REQUIRE(parse_peer_address("my_alias", &a, &err));  // a Host of ~/.ssh/config
  REQUIRE(parse_peer_address("WS$@host", &a, &err));  // machine account
}

TEST_CASE("peer names that could be options or reach a shell are refused", "[peer]") {
  PeerAddress a;
  for (const auto& bad : hostile_strings()) {
    std::string err;
    INFO(bad);
    CHECK_FALSE(parse_peer_address(bad, &a, &err));
    CHECK_THAT(err, Contains("is not a peer name"));
    CHECK(err.find('\n') == std::string::npos);
  }
  for (const char* bad : {"-oProxyCommand=touch /tmp/x", "host:0", "host:65536", "host:22x", "host:", "a@b@c", "user@",
                          "@host", "::1", "[::1", "[::1]x", "-user@host", "host name", ".hidden"}) {
    std::string err;
    INFO(bad);
    CHECK_FALSE(parse_peer_address(bad, &a, &err));
  }
}

TEST_CASE("shell quoting survives sh and bash unchanged", "[peer]") {
  auto words = awkward_words();
  for (const char* shell : {"sh", "bash"}) {
    INFO(shell);
    ProcessResult r = run({shell, "-c", "printf '%s\\0' " + format_argv(words)});
    REQUIRE(r.ok());
    CHECK(split_nul(r.out) == words);
  }
  CHECK(shell_quote("plain-word_1.2/x:y@z") == "plain-word_1.2/x:y@z");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  CHECK(shell_quote("") == "''");
}

TEST_CASE("the rsync command of a copy from a peer", "[peer][rsync]") {
  RsyncFetch f;
  std::string err;
  REQUIRE(parse_peer_address("backup@host.example:2222", &f.peer, &err));
  f.source_dir = "/srv/data";
  f.target = "/var/backups/host";
  f.excludes = {"*.o", "Crash Reports"};
  f.rsh = "/proc/42/exe --rsync-transport=7";
  std::vector<std::string> argv;
  REQUIRE(rsync_fetch_argv(f, &argv, &err));
  CHECK(argv == std::vector<std::string>{"rsync", "--archive", "--recursive", "--protect-args", "--from0",
                                         "--files-from=-", "--exclude=*.o", "--exclude=Crash Reports",
                                         "--rsh=/proc/42/exe --rsync-transport=7", "backup@host.example:/srv/data/",
                                         "/var/backups/host/"});

  f.bwlimit_kbps = 300;
  f.delete_extraneous = true;
  f.progress = true;
  f.excludes.clear();
  REQUIRE(parse_peer_address("[::1]", &f.peer, &err));
  REQUIRE(rsync_fetch_argv(f, &argv, &err));
  CHECK(argv == std::vector<std::string>{"rsync", "--archive", "--recursive", "--protect-args", "--from0",
                                         "--files-from=-", "--delete", "--compress", "--bwlimit=300",
                                         "--info=progress2", "--rsh=/proc/42/exe --rsync-transport=7",
                                         "[::1]:/srv/data/", "/var/backups/host/"});

  // A backup: numeric owners, hard links, unchanged files linked from the
  // previous snapshot.
  f.bwlimit_kbps = 0;
  f.delete_extraneous = false;
  f.progress = false;
  f.exact = true;
  f.link_dest = "/srv/backup/h/host/daily/2026-01-01T00-00-00Z/fs";
  REQUIRE(rsync_fetch_argv(f, &argv, &err));
  CHECK(std::vector<std::string>(argv.begin() + 6, argv.begin() + 10) ==
        std::vector<std::string>{"--numeric-ids", "--hard-links", "--modify-window=-1",
                                 "--link-dest=/srv/backup/h/host/daily/2026-01-01T00-00-00Z/fs"});
  f.link_dest = "/srv/x\ny";
  CHECK_FALSE(rsync_fetch_argv(f, &argv, &err));
  f.link_dest.clear();

  // A whole directory: the source itself, no file list.
  f.whole_dir = true;
  REQUIRE(rsync_fetch_argv(f, &argv, &err));
  CHECK(std::vector<std::string>(argv.begin(), argv.begin() + 5) ==
        std::vector<std::string>{"rsync", "--archive", "--recursive", "--protect-args", "--numeric-ids"});
  CHECK(std::find(argv.begin(), argv.end(), "--files-from=-") == argv.end());
  CHECK(argv.back() == "/var/backups/host/");
  f.whole_dir = false;

  f.rsh = "two\nlines";
  CHECK_FALSE(rsync_fetch_argv(f, &argv, &err));
  f.rsh.clear();
  CHECK_FALSE(rsync_fetch_argv(f, &argv, &err));
  f.rsh = "/proc/42/exe --rsync-transport=7";

  f.source_dir = "relative";
  CHECK_FALSE(rsync_fetch_argv(f, &argv, &err));
  f.source_dir = "/srv/../etc";
  CHECK_FALSE(rsync_fetch_argv(f, &argv, &err));
}

TEST_CASE("a fetch's report: rsync lists each item with its checksum", "[peer][rsync]") {
  RsyncFetch f;
  std::string err;
  REQUIRE(parse_peer_address("host", &f.peer, &err));
  f.target = "/t";
  f.rsh = "/proc/1/exe --rsync-transport=3";
  f.report = true;
  f.list_only = true;
  f.exact = true;
  f.delete_extraneous = true;
  std::vector<std::string> argv;
  REQUIRE(rsync_fetch_argv(f, &argv, &err));
  CHECK(argv == std::vector<std::string>{"rsync", "--archive", "--no-recursive", "--dirs", "--protect-args", "--from0",
                                         "--files-from=-", "--delete", "--delete-excluded", "--numeric-ids",
                                         "--hard-links", "--modify-window=-1", "--out-format=%i %C %l %n",
                                         "--checksum-choice=xxh128", "--rsh=/proc/1/exe --rsync-transport=3", "host:/",
                                         "/t/"});
  // A comparison is the same report from a dry run.
  f.report = false;
  f.list_only = false;
  f.compare = true;
  REQUIRE(rsync_fetch_argv(f, &argv, &err));
  CHECK(std::find(argv.begin(), argv.end(), "--dry-run") != argv.end());
  CHECK(std::find(argv.begin(), argv.end(), "--out-format=%i %C %l %n") != argv.end());

  // What rsync prints: names escaped (\#ooo), directories with a '/', no
  // checksum (spaces) or zeros (dry run) for what it did not copy.
  const std::string sum = "07baf267a0c0ef53ec95a82711cc4758";
  const std::string none(32, ' ');
  const std::string out = "*deleting   " + none + " 0 old file\n" + ">f+++++++++ " + sum + " 4 d/new\\#012line\n" +
                          ".f...p..... " + none + " 2 d/tab\there\n" + "cd+++++++++ " + none + " 60 e/\n" +
                          ".d..t...... " + none + " 60 ./\n" + ">f.st...... " + std::string(32, '0') +
                          " 9 back\\#134#123\n";
  std::vector<RsyncItem> items;
  REQUIRE(parse_rsync_report(out, &items, &err));
  REQUIRE(items.size() == 6);
  CHECK(items[0].deleted());
  CHECK(items[0].path == "old file");
  CHECK(items[1].checksum == sum);
  CHECK(items[1].size == 4);
  CHECK(items[1].path == "d/new\nline");
  CHECK(items[2].checksum.empty());
  CHECK(items[2].path == "d/tab\there");
  CHECK(items[3].is_dir());
  CHECK(items[3].path == "e");
  CHECK(items[4].path == ".");
  CHECK(items[5].checksum.empty());
  CHECK(items[5].path == "back\\#123");
  CHECK_FALSE(parse_rsync_report("sending incremental file list\n", &items, &err));
  CHECK_THAT(err, Contains("sending incremental file list"));

  // Directories that only lead to a listed path are not a change.
  std::vector<RsyncItem> leading(1);
  leading[0].change = ".d..t......";
  leading[0].path = "srv";
  CHECK_FALSE(report_shows_change(leading, {"/srv/data"}, false));
  CHECK(report_shows_change(leading, {"/srv"}, false));
  CHECK(report_shows_change(leading, {"."}, true));
}

TEST_CASE("file lists hold paths, never messages or escapes", "[peer][rsync]") {
  std::string err;
  CHECK(check_fetch_path("etc/hostname", &err));
  CHECK(check_fetch_path("/root/.ssh/id_ed25519", &err));
  CHECK(check_fetch_path("it's a file", &err));
  CHECK_FALSE(check_fetch_path("", &err));
  CHECK_FALSE(check_fetch_path("Error: Cannot find sc mass enabled\n/etc/passwd", &err));
  CHECK_THAT(err, Contains("control character"));
  CHECK_FALSE(check_fetch_path("../../etc/shadow", &err));
  CHECK_FALSE(check_fetch_path("a/../../b", &err));
  CHECK(check_fetch_path("a/..b/c..", &err));
  CHECK(rsync_exit_meaning(23).find("partial transfer") != std::string::npos);
}

TEST_CASE("the authorized_keys script appends a key once and keeps the file intact", "[peer]") {
  TempDir home;
  const std::string key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyKeyKeyKeyKeyKeyKeyKeyKeyKeyKeyKeyKeyKey root@host";
  const std::string input = key + "\n";
  auto script = [&]() { return run({"sh", "-c", authorized_keys_script()}, &input, {"HOME=" + home.path().string()}); };
  ProcessResult r = script();
  REQUIRE(r.ok());
  CHECK(r.out == "added\n");
  CHECK(read_text(home / ".ssh/authorized_keys") == key + "\n");
  CHECK((fs::status(home / ".ssh").permissions() & fs::perms::all) == fs::perms(0700));
  CHECK((fs::status(home / ".ssh/authorized_keys").permissions() & fs::perms::all) == fs::perms(0600));
  r = script();
  REQUIRE(r.ok());
  CHECK(r.out == "present\n");
  CHECK(read_text(home / ".ssh/authorized_keys") == key + "\n");
  // Another key already there, its line without a final newline.
  write_text(home / ".ssh/authorized_keys", "ssh-rsa AAAAB3Nza other@host", fs::perms(0600));
  r = script();
  REQUIRE(r.ok());
  CHECK(read_text(home / ".ssh/authorized_keys") == "ssh-rsa AAAAB3Nza other@host\n" + key + "\n");
  // A key that is a prefix of an existing line is still added.
  write_text(home / ".ssh/authorized_keys", key + " extra\n", fs::perms(0600));
  r = script();
  CHECK(r.out == "added\n");
}
