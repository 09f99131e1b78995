// The backup module end to end: a real sc peer reached over a real sshd on
// loopback, a real PostgreSQL, real rsync; snapshots, a run killed midway,
// retention, and a restore into another root.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "pg_harness.hpp"
#include "sshd_harness.hpp"

using namespace sc::test;
using Catch::Contains;
using json = nlohmann::json;

extern char** environ;

namespace {

/// Complete snapshots of the peer's whole-host entry for a period.
std::vector<fs::path> snapshots(const SshdHarness& h, const std::string& period) {
  fs::path dir = h.client_root() / "srv/backup" / ("root%40127.0.0.1%3A" + std::to_string(h.port())) / "host" / period;
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() != ".partial" && e.path().filename() != ".lock") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

ino_t inode(const fs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_ino;
}

/// Processes whose command line starts with `prog` and contains `needle`.
/// Processes running PROG whose command line holds every one of NEEDLES
/// (tests run in parallel: a needle unique to this test keeps them apart).
std::vector<pid_t> find_processes(const std::string& prog, const std::vector<std::string>& needles) {
  std::vector<pid_t> pids;
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream f(e.path() / "cmdline", std::ios::binary);
    std::string cmd((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (cmd.rfind(prog, 0) == 0 &&
        std::all_of(needles.begin(), needles.end(), [&](const auto& n) { return cmd.find(n) != std::string::npos; }))
      pids.push_back(std::stoi(name));
  }
  return pids;
}

/// "STATE TARGET" of the actions of `kind` that the --json run `r` recorded.
std::vector<std::string> actions_of(const ScRun& r, const std::string& kind) {
  json doc = json::parse(r.out, nullptr, false);
  std::vector<std::string> out;
  if (!doc.is_object()) return out;
  for (const auto& a : doc.value("actions", json::array()))
    if (a.value("kind", "") == kind) out.push_back(a.value("state", "") + " " + a.value("target", ""));
  return out;
}

/// The runs of rsync that copied something (a comparison is not an action).
size_t rsync_copies(const ScRun& r) {
  size_t n = 0;
  for (const auto& a : actions_of(r, "run"))
    if (a.find(" rsync ") != std::string::npos) ++n;
  return n;
}

struct Peer {
  PgCluster pg;
  SshdHarness h;
  Peer() : h(options()) {}
  static SshdHarness::Options options() {
    SshdHarness::Options o;
    o.peer_plugin_dirs = {kFixtureDir};  // dbowner: files and a database
    return o;
  }
};

}  // namespace

TEST_CASE("backup of a whole sc peer, a killed run, and a restore", "[backup][peer][postgres]") {
  Peer p;
  SshdHarness& h = p.h;
  const fs::path peer = h.peer_root();

  // The peer: settings, an account with a home, a module's files, a database.
  write_minimal_accounts(peer);
  REQUIRE(h.peer_sc({"settings", "set", "FQDN", "peer.example.com"}).status == 0);
  REQUIRE(h.peer_sc({"settings", "set", "DB_PGHOST", p.pg.socket_dir().string()}).status == 0);
  REQUIRE(h.peer_sc({"settings", "set", "DB_PGPORT", std::to_string(p.pg.port())}).status == 0);
  REQUIRE(h.peer_sc({"user", "add", "alice"}).status == 0);
  write_text(peer / "home/alice/notes.txt", "version 1\n");
  write_text(peer / "srv/dbowner/big.bin", std::string(2 << 20, 'b'));
  write_text(peer / "srv/dbowner/it's \"odd\" ü.txt", "odd name\n");
  std::string pw = "notes-pw\n";
  ScRun r = run_sc(
      {"--plugin-path", kPluginDir, "--root", peer.string(), "db", "add", "notes", "notesdb", "--password-stdin"}, &pw);
  REQUIRE(r.status == 0);
  p.pg.psql("CREATE TABLE t (id int, v text); INSERT INTO t VALUES (1, 'one'), (2, 'two');", "notesdb");

  // The backup server.
  r = h.sc({"--set", "BACKUP_DIR=/srv/backup", "backup", "setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK((fs::status(h.client_root() / "srv/backup").permissions() & fs::perms::all) == fs::perms(0700));
  for (const auto& bad : {std::string("bad host"), std::string("h:/a/../b"), std::string("-oProxyCommand=x")}) {
    std::string before = tree_hash(h.client_root());
    r = h.sc({"backup", "add", bad});
    CHECK(r.status == 2);
    CHECK(tree_hash(h.client_root()) == before);
  }
  CHECK(h.sc({"backup", "add", h.peer(), "yearly"}).status == 2);
  r = h.sc({"backup", "add", h.peer()});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(h.sc({"backup", "has", h.peer()}).status == 0);

  // First snapshot.
  r = h.sc({"backup", "start", h.peer()});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  auto snaps = snapshots(h, "daily");
  REQUIRE(snaps.size() == 1);
  const fs::path s1 = snaps[0];
  CHECK(read_text(s1 / "fs/home/alice/notes.txt") == "version 1\n");
  CHECK(read_text(s1 / "fs/etc/passwd") == read_text(peer / "etc/passwd"));
  CHECK(fs::exists(s1 / "fs/srv/dbowner/it's \"odd\" ü.txt"));
  CHECK_THAT(read_text(s1 / "sc"), Contains("FQDN=\"peer.example.com\""));
  CHECK(fs::file_size(s1 / "db/notes:notesdb.sql.xz") > 0);
  CHECK((fs::status(s1 / "sc").permissions() & fs::perms::all) == fs::perms(0600));

  // A change, then a second snapshot (within the same second: it takes the
  // next name): unchanged files are hard links.
  write_text(peer / "home/alice/notes.txt", "version 2\n");
  r = h.sc({"--json", "backup", "start", h.peer()});
  REQUIRE(r.status == 0);
  // One action made the new tree from the previous one; one rsync copied
  // what changed.
  CHECK(actions_of(r, "clone").size() == 1);
  CHECK(rsync_copies(r) == 1);
  snaps = snapshots(h, "daily");
  REQUIRE(snaps.size() == 2);
  const fs::path s2 = snaps[1];
  CHECK(inode(s1 / "fs/srv/dbowner/big.bin") == inode(s2 / "fs/srv/dbowner/big.bin"));
  CHECK(inode(s1 / "fs/home/alice/notes.txt") != inode(s2 / "fs/home/alice/notes.txt"));
  CHECK(read_text(s1 / "fs/home/alice/notes.txt") == "version 1\n");
  CHECK(read_text(s2 / "fs/home/alice/notes.txt") == "version 2\n");
  CHECK(h.sc({"backup", "verify", h.peer()}).status == 0);

  // list: period, last success, size, duration, last error.
  auto doc = json::parse(h.sc({"--json", "backup", "list"}).out);
  REQUIRE(doc["result"].size() == 1);
  CHECK(doc["result"][0]["period"] == "daily");
  CHECK(doc["result"][0]["snapshot"] == s2.filename().string());
  CHECK(doc["result"][0]["size"].get<std::uint64_t>() > (2u << 20));
  CHECK(doc["result"][0]["last_error"].is_null());

  // A run killed midway (rsync gets SIGKILL): the last snapshot is intact,
  // the failure is recorded, and the next run completes.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  {
    // Incompressible: rsync compresses when a speed limit is set.
    std::string noise(8 << 20, '\0');
    std::mt19937_64 rng(42);
    for (auto& c : noise) c = static_cast<char>(rng());
    write_text(peer / "srv/dbowner/huge.bin", noise);
  }
  REQUIRE(h.sc({"sshlink", "setspeed", h.peer(), "200"}).status == 0);
  const std::string s2_hash = tree_hash(s2);
  {
    std::vector<std::string> args = {kScBinary, "--plugin-path", kPluginDir, "--root", h.client_root().string(),
                                     "backup",  "start",         h.peer()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::string home = "HOME=" + h.home().string();
    std::vector<char*> env;
    for (char** e = environ; *e; ++e)
      if (std::strncmp(*e, "HOME=", 5) != 0) env.push_back(*e);
    env.push_back(home.data());
    env.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    const std::string err_log = (h.dir() / "killed-run.err").string();
    posix_spawn_file_actions_addopen(&fa, 2, err_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    REQUIRE(posix_spawn(&pid, kScBinary, &fa, nullptr, argv.data(), env.data()) == 0);
    posix_spawn_file_actions_destroy(&fa);
    std::vector<pid_t> rsyncs;
    for (int i = 0; i < 300 && rsyncs.empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      rsyncs = find_processes("rsync", {".partial", h.client_root().string()});
    }
    REQUIRE_FALSE(rsyncs.empty());
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    for (pid_t r2 : rsyncs) ::kill(r2, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    INFO("sc's stderr: " << read_text(err_log) << " killed: " << rsyncs.size() << " rsync processes");
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 1);
  }
  CHECK(snapshots(h, "daily").size() == 2);
  CHECK(tree_hash(s2) == s2_hash);
  doc = json::parse(h.sc({"--json", "backup", "list"}).out);
  CHECK_THAT(doc["result"][0]["last_error"].get<std::string>(), Contains("rsync"));
  CHECK(doc["result"][0]["snapshot"] == s2.filename().string());  // the last success is still s2
  REQUIRE(h.sc({"sshlink", "delspeed", h.peer()}).status == 0);
  r = h.sc({"backup", "start", h.peer()});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  snaps = snapshots(h, "daily");
  REQUIRE(snaps.size() == 3);
  CHECK(fs::file_size(snaps[2] / "fs/srv/dbowner/huge.bin") == (8u << 20));
  doc = json::parse(h.sc({"--json", "backup", "list"}).out);
  CHECK(doc["result"][0]["last_error"].is_null());

  // Damage is found by verify.
  {
    std::ofstream f(snaps[2] / "fs/home/alice/notes.txt", std::ios::binary | std::ios::trunc);
    f << "version X\n";
  }
  r = h.sc({"backup", "verify", h.peer()});
  CHECK(r.status == 1);
  CHECK_THAT(r.out, Contains("home/alice/notes.txt: content differs"));
  write_text(snaps[2] / "fs/home/alice/notes.txt", "version 2\n");

  // Restore into another root: settings, module files, accounts, database.
  TempDir target;
  fs::create_directories(target / "mnt");
  sc::ProcessSpec copy;
  copy.argv = {"cp", "-a", snaps[2].string(), (target / "mnt/snap").string()};
  REQUIRE(sc::run_process(copy).ok());
  write_minimal_accounts(target.path());
  p.pg.psql("DROP DATABASE notesdb; DROP ROLE notes;");
  std::vector<std::string> base = {"--plugin-path", kPluginDir, "--plugin-path",
                                   kFixtureDir,     "--root",   target.path().string()};
  auto at = [&](std::vector<std::string> args) {
    std::vector<std::string> all = base;
    all.insert(all.end(), args.begin(), args.end());
    return run_sc(all);
  };
  std::string before = tree_hash(target.path());
  r = at({"--dry-run", "backup", "restore_from", "/mnt/snap"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(tree_hash(target.path()) == before);
  r = at({"backup", "restore_from", "/mnt/snap"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  for (const char* f :
       {"home/alice/notes.txt", "srv/dbowner/big.bin", "srv/dbowner/huge.bin", "etc/passwd", "etc/group"})
    CHECK(read_text(target / f) == read_text(peer / f));
  CHECK(at({"settings", "get", "FQDN"}).out == "peer.example.com\n");
  CHECK(at({"user", "has", "alice"}).status == 0);
  CHECK(p.pg.psql("SELECT id || '=' || v FROM t ORDER BY id;", "notesdb") == "1=one\n2=two\n");

  // One path only.
  fs::remove(target / "srv/dbowner/big.bin");
  r = at({"backup", "restore_from", "/mnt/snap", "--path", "/srv/dbowner/big.bin"});
  CHECK(r.status == 0);
  CHECK(fs::file_size(target / "srv/dbowner/big.bin") == (2u << 20));
  CHECK(at({"backup", "restore_from", "/mnt/snap", "--path", "/not/there"}).status == 2);
}

TEST_CASE("backup of one path of a peer, and its restore", "[backup][peer]") {
  SshdHarness h;
  // Not under a directory named tmp: the peer exclusion list skips those.
  fs::create_directories("/srv");
  TempDir outside(fs::path("/srv"));
  const fs::path data = outside / "data";
  const std::string odd = "it's \"odd\" $(x); ü.txt";
  write_text(data / "a.txt", "one\n");
  write_text(data / "sub/deep/b.bin", std::string(100000, 'b'));
  write_text(data / odd, "odd\n");
  write_text(data / "build.o", "excluded by the exclusion list\n");
  REQUIRE(h.sc({"--set", "BACKUP_DIR=/srv/backup", "backup", "setup"}).status == 0);
  const std::string entry = h.peer() + ":" + data.string();
  ScRun r = h.sc({"backup", "add", entry, "daily"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  fs::path entry_dir;
  auto snaps = [&] {
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(entry_dir / "daily", ec)) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  };

  r = h.sc({"backup", "start", entry, "daily"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  for (const auto& e :
       fs::directory_iterator(h.client_root() / "srv/backup" / ("root%40127.0.0.1%3A" + std::to_string(h.port()))))
    if (e.path().filename().string().rfind("fs-", 0) == 0) entry_dir = e.path();
  REQUIRE_FALSE(entry_dir.empty());
  REQUIRE(snaps().size() == 1);
  const fs::path s1 = snaps()[0] / ("fs" + data.string());
  CHECK(read_text(s1 / "a.txt") == "one\n");
  CHECK(read_text(s1 / odd) == "odd\n");
  CHECK(fs::file_size(s1 / "sub/deep/b.bin") == 100000);
  CHECK_FALSE(fs::exists(s1 / "build.o"));
  // Only the path itself: nothing beside it in its parent.
  CHECK(std::distance(fs::directory_iterator(s1.parent_path()), fs::directory_iterator()) == 1);

  // A change, then no change: hard links for what is the same.
  write_text(data / "a.txt", "two\n");
  REQUIRE(h.sc({"backup", "start", entry, "daily"}).status == 0);
  // A checksum list that lost a line is not carried over: the next
  // snapshot sums its files again.
  const fs::path sums2 = snaps()[1] / "checksums";
  std::string kept, line;
  std::istringstream lines(read_text(sums2));
  while (std::getline(lines, line))
    if (line.find("a.txt") == std::string::npos) kept += line + "\n";
  write_text(sums2, kept);
  r = h.sc({"--json", "backup", "start", entry, "daily"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  // Nothing changed: the new snapshot is the previous tree linked, one
  // action, and nothing was copied.
  REQUIRE(actions_of(r, "clone").size() == 1);
  CHECK(actions_of(r, "clone")[0].rfind("changed ", 0) == 0);
  CHECK(rsync_copies(r) == 0);
  auto all = snaps();
  REQUIRE(all.size() == 3);
  CHECK_THAT(read_text(all[2] / "checksums"), Contains("a.txt"));
  const fs::path s2 = all[1] / ("fs" + data.string()), s3 = all[2] / ("fs" + data.string());
  CHECK(read_text(s2 / "a.txt") == "two\n");
  CHECK(inode(s1 / "sub/deep/b.bin") == inode(s2 / "sub/deep/b.bin"));
  CHECK(inode(s1 / "a.txt") != inode(s2 / "a.txt"));
  CHECK(inode(s2 / "a.txt") == inode(s3 / "a.txt"));
  CHECK(inode(s2 / odd) == inode(s3 / odd));
  CHECK(h.sc({"backup", "verify", entry}).status == 0);

  // Restore into another root whose directories above the path have their
  // own modes: the path comes back, the levels above it are left alone.
  TempDir target;
  const fs::path parent = target.path() / data.relative_path().parent_path();
  fs::create_directories(parent);
  fs::permissions(target / "srv", fs::perms(0711));
  fs::permissions(parent, fs::perms(0750));
  sc::ProcessSpec copy;
  copy.argv = {"cp", "-a", all[2].string(), (target / "snap").string()};
  REQUIRE(sc::run_process(copy).ok());
  const std::string before = tree_hash(target.path());
  r = run_sc(
      {"--plugin-path", kPluginDir, "--root", target.path().string(), "--dry-run", "backup", "restore_from", "/snap"});
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains(data.string() + " would be restored"));
  CHECK(tree_hash(target.path()) == before);
  r = run_sc({"--plugin-path", kPluginDir, "--root", target.path().string(), "backup", "restore_from", "/snap"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Contains(data.string() + " restored"));
  const fs::path back = target.path() / data.relative_path();
  CHECK(read_text(back / "a.txt") == "two\n");
  CHECK(read_text(back / odd) == "odd\n");
  CHECK(fs::file_size(back / "sub/deep/b.bin") == 100000);
  CHECK((fs::status(target / "srv").permissions() & fs::perms::all) == fs::perms(0711));
  CHECK((fs::status(parent).permissions() & fs::perms::all) == fs::perms(0750));
  // One file of it, into a root where even its parents are missing.
  TempDir bare;
  REQUIRE(sc::run_process([&] {
            sc::ProcessSpec c;
            c.argv = {"cp", "-a", all[2].string(), (bare / "snap").string()};
            return c;
          }())
              .ok());
  const std::string one = (data / "sub/deep/b.bin").string();
  r = run_sc(
      {"--plugin-path", kPluginDir, "--root", bare.path().string(), "backup", "restore_from", "/snap", "--path", one});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(fs::file_size(bare.path() / fs::path(one).relative_path()) == 100000);

  // A run that died while linking left the host's half-made copy in its
  // .partial, and one that died later a half-updated fs/: the run that
  // resumes that .partial removes both and links afresh.
  const fs::path stale = entry_dir / "daily/2099-01-01T00-00-00Z.partial";
  write_text(stale / ".fs.sc-clone/half", "x\n");
  write_text(stale / ("fs" + data.string()) / "a.txt", "half-updated\n");
  r = h.sc({"--json", "backup", "start", entry, "daily"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(actions_of(r, "clone").size() == 1);
  all = snaps();
  REQUIRE(all.size() == 4);
  CHECK(all[3].filename() == "2099-01-01T00-00-00Z");
  CHECK_FALSE(fs::exists(all[3] / ".fs.sc-clone"));
  CHECK(inode(s3 / "a.txt") == inode(all[3] / ("fs" + data.string()) / "a.txt"));
  CHECK(read_text(all[3] / ("fs" + data.string()) / "a.txt") == "two\n");

  // A change of mode alone is a change, and the earlier snapshots keep the
  // old mode (the new one has a file of its own, not a link to theirs).
  fs::permissions(data / "a.txt", fs::perms(0600));
  r = h.sc({"--json", "backup", "start", entry, "daily"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(rsync_copies(r) == 1);
  all = snaps();
  REQUIRE(all.size() == 5);
  const fs::path s5 = all[4] / ("fs" + data.string());
  CHECK((fs::symlink_status(s5 / "a.txt").permissions() & fs::perms::all) == fs::perms(0600));
  CHECK((fs::symlink_status(s3 / "a.txt").permissions() & fs::perms::all) == fs::perms(0644));
  CHECK(inode(s5 / odd) == inode(s3 / odd));
  CHECK(h.sc({"backup", "verify", entry}).status == 0);
}

TEST_CASE("backup retention keeps N snapshots per period, oldest removed", "[backup][peer]") {
  SshdHarness h;
  write_minimal_accounts(h.peer_root());
  REQUIRE(h.sc({"--set", "BACKUP_DIR=/srv/backup", "backup", "setup"}).status == 0);
  REQUIRE(h.sc({"settings", "set", "BACKUP_KEEP_HOURLY", "2"}).status == 0);
  const std::string entry = h.peer();
  REQUIRE(h.sc({"backup", "add", entry, "hourly"}).status == 0);
  fs::path dir = h.client_root() / "srv/backup" / ("root%40127.0.0.1%3A" + std::to_string(h.port()));
  std::vector<std::string> names;
  for (int i = 0; i < 5; ++i) {
    ScRun r = h.sc({"--json", "backup", "cron", "hourly"});
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    // Nothing changes on the peer between runs: after the first, each new
    // snapshot is a hard-link copy of the previous one, and nothing is copied.
    CHECK(actions_of(r, "clone").size() == (i > 0 ? 1u : 0u));
    CHECK(rsync_copies(r) == (i > 0 ? 0u : 1u));
  }
  std::vector<std::string> left;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().parent_path().filename() == "hourly") left.push_back(e.path().filename().string());
  std::sort(left.begin(), left.end());
  REQUIRE(left.size() == 2);
  // Runs in quick succession get increasing names, and a name rotation
  // freed is never given again: the newest run is always the last name.
  ScRun again = h.sc({"backup", "cron", "hourly"});
  REQUIRE(again.status == 0);
  left.clear();
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().parent_path().filename() == "hourly") left.push_back(e.path().filename().string());
  std::sort(left.begin(), left.end());
  REQUIRE(left.size() == 2);
  // The two newest are kept: the names sort by time.
  auto doc = json::parse(h.sc({"--json", "backup", "list"}).out);
  CHECK(doc["result"][0]["snapshot"] == left.back());
  fs::path hourly = dir / "host/hourly";
  CHECK(inode(hourly / left[0] / "fs/etc/passwd") == inode(hourly / left[1] / "fs/etc/passwd"));
  // The linked snapshot's checksums were carried over, fs/ included.
  CHECK_THAT(read_text(hourly / left[1] / "checksums"), Contains("\"fs/etc/passwd\""));
  CHECK(h.sc({"backup", "verify", entry}).status == 0);
  // A change takes the full path again.
  write_text(h.peer_root() / "etc/group", std::string(kMinimalGroup) + "extra:x:10050:\n");
  ScRun r = h.sc({"--json", "backup", "start", entry, "hourly"});
  CHECK(r.status == 0);
  CHECK(rsync_copies(r) == 1);
  left.clear();
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().parent_path().filename() == "hourly") left.push_back(e.path().filename().string());
  std::sort(left.begin(), left.end());
  REQUIRE(left.size() == 2);
  CHECK(read_text(hourly / left[1] / "fs/etc/group") == read_text(h.peer_root() / "etc/group"));
  CHECK(read_text(hourly / left[0] / "fs/etc/group") == kMinimalGroup);
  CHECK(inode(hourly / left[0] / "fs/etc/passwd") == inode(hourly / left[1] / "fs/etc/passwd"));
  CHECK(h.sc({"backup", "verify", entry}).status == 0);

  // Bad input changes nothing.
  std::string before = tree_hash(h.client_root());
  CHECK(h.sc({"backup", "cron", "yearly"}).status == 2);
  CHECK(h.sc({"backup", "start", "host with spaces"}).status == 2);
  CHECK(h.sc({"backup", "start", "h:/x/../y"}).status == 2);
  CHECK(tree_hash(h.client_root()) == before);
}

TEST_CASE("backup refuses a BACKUP_DIR that is not a directory and a peer without sc", "[backup][peer]") {
  SshdHarness h;
  write_text(h.client_root() / "srv/file", "not a dir\n");
  ScRun r = h.sc({"--set", "BACKUP_DIR=/srv/file", "backup", "start", h.peer()});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("BACKUP_DIR /srv/file is not a directory"));
  REQUIRE(h.sc({"--set", "BACKUP_DIR=/srv/backup", "backup", "setup"}).status == 0);
  // A peer whose sc is missing: the remote program does not exist.
  REQUIRE(h.sc({"settings", "set", "SSHLINK_REMOTE_SC", "/nonexistent/sc"}).status == 0);
  std::string before = read_text(h.client_root() / "etc/sc");
  r = h.sc({"backup", "add", h.peer()});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("sc is not installed on " + h.peer()));
  CHECK(read_text(h.client_root() / "etc/sc") == before);
}
