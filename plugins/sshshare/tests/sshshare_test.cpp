// sshshare's commands through the built sc: under --root against a real
// sshd on loopback (tests/support/sshd_harness.hpp), and real sshfs mounts
// made from the very fstab line the module wrote, including a peer that
// stops answering (SIGSTOP of its sshd and sessions).
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "../share.hpp"
#include "common/fstab.hpp"
#include "engine/process.hpp"
#include "sshd_harness.hpp"

using namespace sc::test;
using Catch::Contains;
using json = nlohmann::json;

namespace {

const std::string kSftp = "Subsystem sftp internal-sftp";

SshdHarness::Options sftp_options() {
  SshdHarness::Options o;
  o.extra_config = {kSftp};
  return o;
}

// The client root `add` needs: root's home is the harness's HOME (where
// sc's key and known_hosts are, so the fstab names them), and sshfs is
// installed (so no package is planned).
void prepare_root(const fs::path& root, const fs::path& home) {
  write_text(root / "etc/passwd", "root:x:0:0:root:" + home.string() + ":/bin/bash\n");
  write_text(root / "usr/bin/sshfs", "#!/bin/sh\n", fs::perms(0755));
}

// The options `add` writes for the harness's peer with SSHSHARE_TIMEOUT t.
std::string expected_options(const SshdHarness& h, int t = 30) {
  const int i = (t + 3) / 4;
  return "noauto,x-systemd.automount,_netdev,reconnect,ServerAliveInterval=" + std::to_string(i) +
         ",ServerAliveCountMax=3,ConnectTimeout=" + std::to_string(i) +
         ",BatchMode=yes,StrictHostKeyChecking=yes,UserKnownHostsFile=" + h.home().string() +
         "/.ssh/known_hosts,IdentityFile=" + h.home().string() + "/.ssh/id_ed25519,port=" + std::to_string(h.port()) +
         ",idmap=user,transform_symlinks,allow_other,default_permissions";
}

// A mountinfo line saying `type` is mounted on `point`.
std::string mountinfo_line(const std::string& point, const std::string& type, const std::string& source) {
  return "41 40 0:36 / " + plugin_common::fstab::escape(point) + " rw,nosuid - " + type + " " +
         plugin_common::fstab::escape(source) + " rw\n";
}

json doc_of(const ScRun& r) {
  json j = json::parse(r.out, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

sc::ProcessResult run(const std::vector<std::string>& argv,
                      std::chrono::milliseconds timeout = std::chrono::seconds(150),
                      const std::optional<std::string>& input = std::nullopt) {
  sc::ProcessSpec p;
  p.argv = argv;
  p.capture_out = p.capture_err = true;
  p.timeout = timeout;
  p.input = input;
  return sc::run_process(p);
}

// The entries of an fstab file as libmount's own parser reads them
// (findmnt): "SOURCE\tTARGET\tFSTYPE\tOPTIONS" per entry, decoded.
std::vector<std::string> findmnt_entries(const fs::path& fstab) {
  auto r = run({"findmnt", "--tab-file", fstab.string(), "--json", "--list", "-o", "SOURCE,TARGET,FSTYPE,OPTIONS"});
  INFO(r.err);
  REQUIRE(r.ok());
  std::vector<std::string> out;
  const json doc = json::parse(r.out);  // kept: the loop reads into it
  for (const auto& fs : doc["filesystems"])
    out.push_back(fs["source"].get<std::string>() + "\t" + fs["target"].get<std::string>() + "\t" +
                  fs["fstype"].get<std::string>() + "\t" + fs["options"].get<std::string>());
  return out;
}

// A private mount namespace for a test's real mounts, held by a sleeping
// process: mounts made in it are seen by no other test (nor by the mount
// namespaces other harnesses copy from the machine's, and may clean up),
// and disappear with it. Commands run in it through nsenter.
class PrivateMounts {
 public:
  PrivateMounts() {
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::execlp("unshare", "unshare", "--mount", "--propagation", "private", "--", "sleep", "infinity",
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // unshare execs sleep in the same process once the namespace is made.
    const auto self = fs::read_symlink("/proc/self/ns/mnt");
    for (int i = 0; i < 500; ++i) {
      std::error_code ec;
      auto ns = fs::read_symlink("/proc/" + std::to_string(pid_) + "/ns/mnt", ec);
      std::ifstream comm("/proc/" + std::to_string(pid_) + "/comm");
      std::string name;
      std::getline(comm, name);
      if (!ec && ns != self && name == "sleep") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL("unshare --mount did not start");
  }
  ~PrivateMounts() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  PrivateMounts(const PrivateMounts&) = delete;
  PrivateMounts& operator=(const PrivateMounts&) = delete;

  sc::ProcessResult run(const std::vector<std::string>& argv,
                        std::chrono::milliseconds timeout = std::chrono::seconds(150),
                        const std::optional<std::string>& input = std::nullopt) const {
    std::vector<std::string> all = {"nsenter", "--target", std::to_string(pid_), "--mount", "--"};
    all.insert(all.end(), argv.begin(), argv.end());
    return ::run(all, timeout, input);
  }
  std::string mountinfo() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/mountinfo");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  bool mounted(const fs::path& point) const {
    for (const auto& m : plugin_common::fstab::parse_mountinfo(mountinfo()))
      if (m.point == point.string()) return true;
    return false;
  }

 private:
  pid_t pid_ = -1;
};

// Unmounts `point` in `ns` when the test ends, however it ends (the sshfs
// daemon would otherwise stay, reconnecting for ever).
class MountGuard {
 public:
  MountGuard(const PrivateMounts& ns, fs::path p) : ns_(ns), point_(std::move(p)) {}
  ~MountGuard() {
    for (int i = 0; i < 5 && ns_.mounted(point_); ++i) {
      if (!ns_.run({"umount", point_.string()}, std::chrono::seconds(30)).ok())
        ns_.run({"umount", "-l", point_.string()}, std::chrono::seconds(30));
    }
  }
  MountGuard(const MountGuard&) = delete;
  MountGuard& operator=(const MountGuard&) = delete;

 private:
  const PrivateMounts& ns_;
  fs::path point_;
};

// Every process whose command line holds `needle`, and their descendants.
std::vector<pid_t> process_tree_of(const std::string& needle) {
  std::map<pid_t, std::vector<pid_t>> children;
  std::vector<pid_t> roots;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    std::ifstream stat(e.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // "PID (COMM) STATE PPID ...": COMM may hold spaces and ')'.
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    children[ppid].push_back(pid);
    std::ifstream cmd(e.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
    if (cmdline.find(needle) != std::string::npos) roots.push_back(pid);
  }
  std::vector<pid_t> out;
  std::vector<pid_t> todo = roots;
  while (!todo.empty()) {
    pid_t p = todo.back();
    todo.pop_back();
    out.push_back(p);
    for (pid_t c : children[p]) todo.push_back(c);
  }
  return out;
}

// SIGSTOP to a peer's sshd and its sessions; SIGCONT when it goes out of
// scope, whatever happened in between.
class StoppedPeer {
 public:
  explicit StoppedPeer(const SshdHarness& h) : pids_(process_tree_of((h.dir() / "sshd_config").string())) {
    for (pid_t p : pids_) ::kill(p, SIGSTOP);
  }
  ~StoppedPeer() { resume(); }
  void resume() {
    for (pid_t p : pids_) ::kill(p, SIGCONT);
    pids_.clear();
  }
  size_t count() const { return pids_.size(); }
  StoppedPeer(const StoppedPeer&) = delete;
  StoppedPeer& operator=(const StoppedPeer&) = delete;

 private:
  std::vector<pid_t> pids_;
};

}  // namespace

TEST_CASE("add writes the exact fstab line, keeps every other byte and mounts the share", "[sshshare][sshd]") {
  SshdHarness h(sftp_options());
  const fs::path root = h.client_root();
  prepare_root(root, h.home());
  const std::string before =
      "# /etc/fstab\r\n"
      "UUID=1234\t/\text4\terrors=remount-ro 0 1\n"
      "\n"
      "# root@127.0.0.1:/srv/mass /srv/mass fuse.sshfs old 0 0\n"
      "tmpfs /tmp tmpfs defaults 0 0";
  write_text(root / "etc/fstab", before, fs::perms(0640));

  // --dry-run: nothing changes.
  const std::string hash = tree_hash(root);
  ScRun r = h.sc({"--dry-run", "sshshare", "add", h.peer(), "/srv/mass"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(tree_hash(root) == hash);
  CHECK_THAT(r.err, Contains("would run: mount /srv/mass"));

  r = h.sc({"--json", "sshshare", "add", h.peer(), "/srv/mass"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const std::string line = "root@127.0.0.1:/srv/mass /srv/mass fuse.sshfs " + expected_options(h) + " 0 0\n";
  CHECK(read_text(root / "etc/fstab") == before + "\n" + line);
  CHECK(mode_of(root / "etc/fstab") == "0640 0:0");  // the file keeps its mode
  CHECK(fs::is_directory(root / "srv/mass"));
  CHECK(run_actions(r) == std::vector<std::string>{"mount /srv/mass recorded"});
  json res = doc_of(r)["result"];
  CHECK(res["line"] == line);
  CHECK(res["options"] == expected_options(h));
  // libmount reads back exactly what was meant.
  auto entries = findmnt_entries(root / "etc/fstab");
  REQUIRE(entries.size() == 3);
  CHECK(entries[2] == "root@127.0.0.1:/srv/mass\t/srv/mass\tfuse.sshfs\t" + expected_options(h));

  // Once it is mounted, a second add changes nothing at all.
  write_text(root / "proc/self/mountinfo", mountinfo_line("/srv/mass", "fuse.sshfs", "root@127.0.0.1:/srv/mass"));
  const std::string after = tree_hash(root);
  r = h.sc({"--json", "sshshare", "add", h.peer(), "/srv/mass"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(tree_hash(root) == after);
  CHECK(run_actions(r).empty());
  CHECK(doc_of(r)["summary"]["changed"] == 0);
}

TEST_CASE("add replaces the share on a path in place, and refuses another kind of mount there", "[sshshare][sshd]") {
  SshdHarness h(sftp_options());
  const fs::path root = h.client_root();
  prepare_root(root, h.home());
  const std::string head = "a /a ext4 defaults 0 0\n";
  const std::string tail = "b /b ext4 defaults 0 0\n";
  write_text(root / "etc/fstab", head + "old@oldhost:/x /srv/mass/ sshfs ro 0 0\n" + tail +
                                     "root@127.0.0.1:/srv/mass /srv/mass fuse.sshfs dup 0 0\n");
  // The old share is mounted: it is unmounted before the new one is mounted.
  write_text(root / "proc/self/mountinfo", mountinfo_line("/srv/mass", "fuse.sshfs", "old@oldhost:/x"));
  ScRun r = h.sc({"--json", "sshshare", "add", h.peer(), "/srv/mass"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const std::string line = "root@127.0.0.1:/srv/mass /srv/mass fuse.sshfs " + expected_options(h) + " 0 0\n";
  CHECK(read_text(root / "etc/fstab") == head + line + tail);
  CHECK(run_actions(r) == std::vector<std::string>{"umount /srv/mass recorded", "mount /srv/mass recorded"});

  // A new timeout rewrites the options of the mounted share, which keeps
  // its old ones until its next mount, as the warning says.
  write_text(root / "proc/self/mountinfo", mountinfo_line("/srv/mass", "fuse.sshfs", "root@127.0.0.1:/srv/mass"));
  r = h.sc({"--json", "--set", "SSHSHARE_TIMEOUT=6", "sshshare", "add", h.peer(), "/srv/mass"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(read_text(root / "etc/fstab") ==
        head + "root@127.0.0.1:/srv/mass /srv/mass fuse.sshfs " + expected_options(h, 6) + " 0 0\n" + tail);
  CHECK(run_actions(r).empty());
  CHECK_THAT(r.err, Contains("stays mounted with its former options"));

  // Something else mounted there, that fstab does not name: refused.
  write_text(root / "proc/self/mountinfo", mountinfo_line("/srv/mass", "ext4", "/dev/sdb1"));
  std::string hash = tree_hash(root);
  r = h.sc({"sshshare", "add", h.peer(), "/srv/mass"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("/srv/mass has ext4 /dev/sdb1 mounted on it"));
  CHECK(tree_hash(root) == hash);

  // An NFS entry on the path: refused, nothing changed.
  const std::string nfs = head + "m:/srv/mass /srv/mass nfs4 _netdev 0 0\n";
  write_text(root / "etc/fstab", nfs);
  fs::remove(root / "proc/self/mountinfo");
  hash = tree_hash(root);
  r = h.sc({"sshshare", "add", h.peer(), "/srv/mass"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("PATH /srv/mass") && Contains("nfs4"));
  CHECK(tree_hash(root) == hash);
}

TEST_CASE("systemd hosts: daemon-reload after the fstab changes, the automount unit stopped on del",
          "[sshshare][sshd]") {
  SshdHarness h(sftp_options());
  const fs::path root = h.client_root();
  prepare_root(root, h.home());
  fs::create_directories(root / "run/systemd/system");
  ScRun r = h.sc({"--json", "sshshare", "add", h.peer(), "/srv/with space"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(run_actions(r) ==
        std::vector<std::string>{"systemctl daemon-reload recorded", "mount '/srv/with space' recorded"});
  CHECK(read_text(root / "etc/fstab") ==
        "root@127.0.0.1:/srv/with\\040space /srv/with\\040space fuse.sshfs " + expected_options(h) + " 0 0\n");

  write_text(root / "proc/self/mountinfo",
             mountinfo_line("/srv/with space", "autofs", "systemd-1") +
                 mountinfo_line("/srv/with space", "fuse.sshfs", "root@127.0.0.1:/srv/with space"));
  r = h.sc({"--json", "sshshare", "has", "/srv/with space"});
  CHECK(r.status == 0);
  r = h.sc({"--json", "sshshare", "del", h.peer(), "/srv/with space"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(run_actions(r) == std::vector<std::string>{"systemctl stop 'srv-with\\x20space.automount' recorded",
                                                   "umount '/srv/with space' recorded",
                                                   "systemctl daemon-reload recorded"});
  CHECK(read_text(root / "etc/fstab").empty());
}

TEST_CASE("del removes exactly that entry, has and list read fstab and the mounts", "[sshshare]") {
  TempDir root;
  const std::string others =
      "# keep me\n"
      "m:/srv/mass /srv/other fuse.sshfs o 0 0\n"
      "n:/srv/mass /srv/mass fuse.sshfs o 0 0\n";
  const std::string mine = "root@m:/srv/mass /srv/mass fuse.sshfs port=2222,o 0 0\n";
  write_text(root / "etc/fstab", others + mine + "tail /t ext4 d 0 0");

  // list: text escaped as fstab, JSON as it is.
  ScRun r = run_sc_rooted(root.path(), {"sshshare", "list"});
  REQUIRE(r.status == 0);
  CHECK(r.out == "m /srv/mass /srv/other\nn /srv/mass /srv/mass\nroot@m:2222 /srv/mass /srv/mass\n");
  r = run_sc_rooted(root.path(), {"--json", "sshshare", "list"});
  REQUIRE(r.status == 0);
  json items = doc_of(r)["result"];
  REQUIRE(items.size() == 3);
  CHECK(items[2] == json{{"host", "root@m:2222"},
                         {"remote", "/srv/mass"},
                         {"path", "/srv/mass"},
                         {"options", "port=2222,o"},
                         {"mounted", false}});

  // has: the entry and a mount are both needed.
  r = run_sc_rooted(root.path(), {"sshshare", "has", "/srv/none"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("no sshfs share on /srv/none"));
  r = run_sc_rooted(root.path(), {"sshshare", "has", "/srv/mass"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("not mounted"));
  write_text(root / "proc/self/mountinfo", mountinfo_line("/srv/mass", "fuse.sshfs", "n:/srv/mass"));
  CHECK(run_sc_rooted(root.path(), {"sshshare", "has", "/srv/mass"}).status == 0);

  // del of the port-2222 share: only its line goes, after the unmount of
  // its mount (and of no other share's).
  write_text(root / "proc/self/mountinfo", mountinfo_line("/srv/mass", "fuse.sshfs", "root@m:/srv/mass"));
  std::string hash = tree_hash(root.path());
  r = run_sc_rooted(root.path(), {"--dry-run", "sshshare", "del", "root@m:2222", "/srv/mass"});
  REQUIRE(r.status == 0);
  CHECK(tree_hash(root.path()) == hash);
  r = run_sc_rooted(root.path(), {"--json", "sshshare", "del", "root@m:2222", "/srv/mass"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(read_text(root / "etc/fstab") == others + "tail /t ext4 d 0 0");
  CHECK(run_actions(r) == std::vector<std::string>{"umount /srv/mass recorded"});
  // Again: nothing to do, said so.
  hash = tree_hash(root.path());
  r = run_sc_rooted(root.path(), {"sshshare", "del", "root@m:2222", "/srv/mass"});
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("nothing to remove") && Contains("n:/srv/mass"));
  CHECK(tree_hash(root.path()) == hash);
  // PATH defaults to REMOTE, as in the original.
  r = run_sc_rooted(root.path(), {"sshshare", "del", "n", "/srv/mass"});
  REQUIRE(r.status == 0);
  CHECK(read_text(root / "etc/fstab") == "# keep me\nm:/srv/mass /srv/other fuse.sshfs o 0 0\ntail /t ext4 d 0 0");
}

TEST_CASE("hostile arguments are refused with exit 2 and nothing changed", "[sshshare]") {
  TempDir root;
  write_text(root / "etc/fstab", "a /a ext4 defaults 0 0\n");
  for (const auto& bad : hostile_strings()) {
    check_refused(root.path(), "sshshare", {"add", bad, "/srv/mass"}, "HOST");
    check_refused(root.path(), "sshshare", {"add", "m", bad}, "REMOTE");
    check_refused(root.path(), "sshshare", {"add", "m", "/srv/mass", bad}, "PATH");
    check_refused(root.path(), "sshshare", {"del", bad, "/srv/mass"}, "HOST");
    check_refused(root.path(), "sshshare", {"del", "m", bad}, "REMOTE");
    check_refused(root.path(), "sshshare", {"del", "m", "/srv/mass", bad}, "PATH");
    check_refused(root.path(), "sshshare", {"has", bad}, "PATH");
  }
  // Absolute, but with a control character or a non-canonical component.
  for (const std::string bad : {"/new\nline", "/a\tb", "/a\rb", "/esc\x1b[31m", "/a/../b", "/a//b", "/a/", "/"}) {
    check_refused(root.path(), "sshshare", {"add", "m", "/srv/mass", bad}, "PATH");
    check_refused(root.path(), "sshshare", {"del", "m", "/srv/mass", bad}, "PATH");
  }
  check_refused(root.path(), "sshshare", {"add", "-oProxyCommand=touch /tmp/pwned", "/srv"}, "HOST");
  check_refused(root.path(), "sshshare", {"add", "m", "/srv", "/srv", "extra"}, "too many arguments");
  check_refused(root.path(), "sshshare", {"list", "x"}, "too many arguments");
}

TEST_CASE("hostile but valid path names are escaped, never split a line, never duplicated", "[sshshare][sshd]") {
  SshdHarness h(sftp_options());
  const fs::path root = h.client_root();
  prepare_root(root, h.home());
  const std::string before = "UUID=1 / ext4 defaults 0 1\n# comment\n";
  write_text(root / "etc/fstab", before);
  std::vector<std::string> paths;
  for (const auto& s : hostile_strings()) {
    const std::string p = "/srv/" + s;
    if (!sshshare::path_problem(p, true).empty()) continue;
    paths.push_back(p);
  }
  paths.push_back("/srv/a #b");
  paths.push_back("/srv/x y\\040z");  // looks like an escape already
  REQUIRE(paths.size() > 8);
  std::string expected = before;
  for (const auto& p : paths) {
    INFO(p);
    for (int round = 0; round < 2; ++round) {  // the second add changes nothing
      ScRun r = h.sc({"sshshare", "add", h.peer(), p});
      INFO(r.err);
      REQUIRE(r.status == 0);
    }
    expected += sshshare::fstab_line("root@127.0.0.1:" + p, p, expected_options(h));
    CHECK(read_text(root / "etc/fstab") == expected);
  }
  // libmount reads every entry back with the exact names.
  auto entries = findmnt_entries(root / "etc/fstab");
  REQUIRE(entries.size() == paths.size() + 1);
  for (size_t i = 0; i < paths.size(); ++i)
    CHECK(entries[i + 1] == "root@127.0.0.1:" + paths[i] + "\t" + paths[i] + "\tfuse.sshfs\t" + expected_options(h));
  // list gives them back (JSON exact, text escaped), and del removes each.
  ScRun r = h.sc({"--json", "sshshare", "list"});
  REQUIRE(r.status == 0);
  json items = doc_of(r)["result"];
  REQUIRE(items.size() == paths.size());
  for (size_t i = 0; i < paths.size(); ++i) CHECK(items[i]["path"] == paths[i]);
  for (const auto& p : paths) {
    r = h.sc({"sshshare", "del", h.peer(), p});
    INFO(r.err);
    CHECK(r.status == 0);
  }
  CHECK(read_text(root / "etc/fstab") == before);
}

// The mount itself: `mount --fstab` of the fstab `add` wrote (so the very
// line, options and all, that mount(8) reads at boot), reads and writes
// through it, then a peer that stops answering: accesses must fail, not
// hang. The bound is the watchdog of each access (150 s); the time taken is
// printed (bench/sshshare_bench.sh measures it).
TEST_CASE("a share mounted with the module's fstab line works, and fails rather than hangs when the peer stops",
          "[sshshare][sshd][sshfs]") {
  SshdHarness h(sftp_options());
  const fs::path root = h.client_root();
  prepare_root(root, h.home());
  const fs::path exported = h.dir() / "export dir";  // a space: escaped in fstab, decoded by mount
  const fs::path point = h.dir() / "mnt point";
  fs::create_directories(exported);
  fs::create_directories(point);
  write_text(exported / "hello.txt", "hello from the peer\n");

  ScRun r = h.sc({"--json", "sshshare", "add", h.peer(), exported.string(), point.string()});
  INFO(r.err);
  REQUIRE(r.status == 0);
  REQUIRE(run_actions(r) == std::vector<std::string>{"mount '" + point.string() + "' recorded"});
  const std::string fstab = read_text(root / "etc/fstab");
  CHECK(fstab == sshshare::fstab_line("root@127.0.0.1:" + exported.string(), point.string(), expected_options(h)));

  PrivateMounts ns;
  MountGuard guard(ns, point);
  auto m = ns.run({"mount", "--fstab", (root / "etc/fstab").string(), point.string()}, std::chrono::seconds(60));
  INFO(m.err);
  REQUIRE(m.ok());
  REQUIRE(ns.mounted(point));
  // has sees it through the mountinfo of the namespace.
  write_text(root / "proc/self/mountinfo", ns.mountinfo());
  CHECK(h.sc({"sshshare", "has", point.string()}).status == 0);

  // Read and write through it.
  CHECK(ns.run({"cat", (point / "hello.txt").string()}).out == "hello from the peer\n");
  CHECK(ns.run({"tee", (point / "written.txt").string()}, std::chrono::seconds(30), "written by the client\n").ok());
  CHECK(read_text(exported / "written.txt") == "written by the client\n");
  CHECK(ns.run({"ls", point.string()}).out == "hello.txt\nwritten.txt\n");

  // Symlinks (transform_symlinks, and Debian's symlink containment, which
  // sc keeps): an absolute link into the same directory becomes relative
  // and works; one that would need ".." is refused by sshfs.
  fs::create_symlink(exported / "hello.txt", exported / "abs-link");
  fs::create_directories(exported / "sub");
  fs::create_symlink("../hello.txt", exported / "sub/up-link");
  CHECK(ns.run({"readlink", (point / "abs-link").string()}).out == "hello.txt\n");
  CHECK(ns.run({"cat", (point / "abs-link").string()}).out == "hello from the peer\n");
  auto up = ns.run({"cat", (point / "sub/up-link").string()});
  CHECK_FALSE(up.ok());
  CHECK_THAT(up.err, Contains("Operation not permitted"));

  // Names the client never looked up (nothing of them is cached): each
  // access below has to ask the peer.
  write_text(exported / "fresh-stat.txt", "s\n");
  write_text(exported / "fresh-dir/inner.txt", "d\n");
  write_text(exported / "fresh-cat.txt", "c\n");

  // The peer stops answering: every access fails within the watchdog, with
  // an I/O error (and the sshfs daemon lives on, to reconnect).
  {
    StoppedPeer stopped(h);
    REQUIRE(stopped.count() >= 3);  // the listener, the session and its sftp
    for (const std::vector<std::string>& argv : {std::vector<std::string>{"stat", (point / "fresh-stat.txt").string()},
                                                 std::vector<std::string>{"ls", (point / "fresh-dir").string()},
                                                 std::vector<std::string>{"cat", (point / "fresh-cat.txt").string()}}) {
      const auto start = std::chrono::steady_clock::now();
      auto a = ns.run(argv);
      const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      INFO(argv[0] << " took " << secs << " s: " << a.describe() << ": " << a.err);
      WARN(argv[0] + " on a stopped peer failed after " + std::to_string(secs) + " s");
      CHECK_FALSE(a.timed_out);
      CHECK_FALSE(a.ok());
      CHECK_THAT(a.err, Contains("Input/output error"));
    }
  }  // SIGCONT

  // The peer answers again: sshfs reconnects by itself.
  auto c = ns.run({"cat", (point / "fresh-cat.txt").string()}, std::chrono::seconds(60));
  INFO(c.err);
  CHECK(c.out == "c\n");
  CHECK(ns.run({"cat", (point / "fresh-dir/inner.txt").string()}, std::chrono::seconds(60)).out == "d\n");

  // del unmounts it for real when sc is not confined: here, the recorded
  // umount is checked, and the guard unmounts.
  r = h.sc({"--json", "sshshare", "del", h.peer(), exported.string(), point.string()});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(run_actions(r) == std::vector<std::string>{"umount '" + point.string() + "' recorded"});
  CHECK(read_text(root / "etc/fstab").empty());
}
