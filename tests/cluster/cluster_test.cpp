// The test cluster itself (tests/support/cluster, cluster.hpp): hosts that
// are really apart (names, accounts, settings, mounts), ssh between them,
// the built sc in them, and a teardown that leaves nothing behind, even
// when the test that owned the cluster is killed.
#include "cluster.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

using namespace sc::test;
using Catch::Contains;

namespace {

bool port22_answers(const std::string& address) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(22);
  ::inet_pton(AF_INET, address.c_str(), &a.sin_addr);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

sc::ProcessResult run_tool(const std::vector<std::string>& args, const std::string* input = nullptr) {
  sc::ProcessSpec spec;
  spec.argv = {"/usr/bin/python3", Cluster::tool().string()};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.capture_out = spec.capture_err = true;
  if (input) spec.input = *input;
  spec.timeout = std::chrono::milliseconds(120000);
  return sc::run_process(spec);
}

// `cluster up --sc BUILT --plugins BUILT ARGS...`
sc::ProcessResult tool_up(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"up", "--sc", built_sc_path(), "--plugins", kPluginDir};
  all.insert(all.end(), args.begin(), args.end());
  return run_tool(all);
}

// Every line of every process's mountinfo that mentions `needle`: a mount
// anywhere on the machine, in any namespace.
std::vector<std::string> mounts_mentioning(const std::string& needle) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "mountinfo");
    for (std::string line; std::getline(in, line);)
      if (line.find(needle) != std::string::npos) out.push_back(pid + ": " + line);
  }
  return out;
}

bool pid_alive(int pid) {
  // A zombie no one reaps is gone for our purpose.
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = stat.rfind(") ");
  return close != std::string::npos && stat[close + 2] != 'Z';
}

// Pids of the processes whose command line mentions `needle`.
std::vector<int> processes_mentioning(const std::string& needle) {
  std::vector<int> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos || std::stoi(pid) == ::getpid()) continue;
    std::ifstream in(entry.path() / "cmdline");
    std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmd.find(needle) != std::string::npos && pid_alive(std::stoi(pid))) out.push_back(std::stoi(pid));
  }
  return out;
}

template <class Pred>
bool wait_until(Pred pred, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

std::string unique(const std::string& stem) {
  return stem + std::to_string(::getpid());
}

}  // namespace

TEST_CASE("hosts have their own names, accounts and files", "[cluster]") {
  Cluster c({"m", "c1"});
  CHECK(c.on("m", {"hostname"}).out == "m\n");
  CHECK(c.on("c1", {"hostname"}).out == "c1\n");
  CHECK(c.on("c1", {"cat", "/etc/hostname"}).out == "c1\n");
  CHECK(c.address("m") != c.address("c1"));
  // Every host's /etc/hosts names every host.
  for (const auto& h : c.hosts()) {
    auto r = c.on(h, {"getent", "hosts", "c1"});
    CHECK(r.out.find(c.address("c1")) == 0);
  }
  std::string user = unique("clu");
  auto add = c.on("c1", {"useradd", "--create-home", user});
  INFO(add.err);
  REQUIRE(add.ok());
  CHECK(c.on("c1", {"getent", "passwd", user}).ok());
  CHECK(fs::is_directory(c.path("c1", "/home/" + user)));
  CHECK_FALSE(c.on("m", {"getent", "passwd", user}).ok());
  CHECK(read_text("/etc/passwd").find(user + ":") == std::string::npos);
  CHECK(read_text(c.path("c1", "/etc/passwd")).find(user + ":") != std::string::npos);
  // Files written inside are seen at path() and nowhere else, and back.
  REQUIRE(c.on("m", {"sh", "-c", "echo from-m > /srv/f"}).ok());
  CHECK(read_text(c.path("m", "/srv/f")) == "from-m\n");
  CHECK_FALSE(fs::exists(c.path("c1", "/srv/f")));
  write_text(c.path("c1", "/root/seed"), "seeded\n");
  CHECK(c.on("c1", {"cat", "/root/seed"}).out == "seeded\n");
  // Own root keys and host keys; an empty /etc/sc; sc and the plugins.
  CHECK(read_text(c.path("m", "/root/.ssh/id_ed25519.pub")) != read_text(c.path("c1", "/root/.ssh/id_ed25519.pub")));
  CHECK(read_text(c.path("m", "/etc/ssh/ssh_host_ed25519_key.pub")) !=
        read_text(c.path("c1", "/etc/ssh/ssh_host_ed25519_key.pub")));
  CHECK_FALSE(fs::exists(c.path("m", "/etc/sc")));  // no settings yet
  CHECK(c.on("m", {"sh", "-c", "command -v sc"}).out == "/usr/local/bin/sc\n");
  CHECK(c.on("m", {"test", "-f", "/usr/local/lib/sc/sshlink.json"}).ok());
  // /var/lib is the host's own (copy on write), /var/lib/sc too.
  REQUIRE(c.on("m", {"touch", "/var/lib/" + user, "/var/lib/sc/x"}).ok());
  CHECK_FALSE(fs::exists("/var/lib/" + user));
  CHECK_FALSE(c.on("c1", {"test", "-e", "/var/lib/" + user}).ok());
  CHECK(fs::exists(c.path("m", "/var/lib/sc/x")));
}

TEST_CASE("cluster on passes stdin, stdout, stderr and the exit status", "[cluster]") {
  Cluster c({"solo"});
  std::string in = "line one\nline two\n";
  auto r = c.on("solo", {"sh", "-c", "cat; echo err >&2; pwd; echo \"$HOME\"; exit 7"}, &in);
  CHECK(r.exit_code == 7);
  CHECK(r.out == in + "/root\n/root\n");
  CHECK(r.err == "err\n");
  // The same through the shell tool.
  auto t = run_tool({"on", "--state", c.state().string(), "solo", "--", "sh", "-c", "cat; hostname; exit 3"}, &in);
  CHECK(t.exit_code == 3);
  CHECK(t.out == in + "solo\n");
}

TEST_CASE("root of a trusted host reaches the others by name over ssh", "[cluster]") {
  Cluster c({"m", "c1", "c2"});
  // Nothing trusted yet: refused without a prompt.
  auto before = c.on("c1", {"ssh", "-o", "BatchMode=yes", "m", "true"});
  CHECK_FALSE(before.ok());
  c.trust("c1", "m");
  auto r = c.on("c1", {"ssh", "-o", "BatchMode=yes", "m", "hostname; cat /etc/hostname"});
  INFO(r.err << c.sshd_log("m"));
  CHECK(r.ok());
  CHECK(r.out == "m\nm\n");
  // By address too (known_hosts has both), and only that direction.
  CHECK(c.on("c1", {"ssh", "-o", "BatchMode=yes", c.address("m"), "hostname"}).out == "m\n");
  CHECK_FALSE(c.on("m", {"ssh", "-o", "BatchMode=yes", "c1", "true"}).ok());
  c.trust("c1", "m");  // idempotent
  CHECK(read_text(c.path("m", "/root/.ssh/authorized_keys")).size() ==
        read_text(c.path("c1", "/root/.ssh/id_ed25519.pub")).size());
  c.trust_all();
  for (const auto& from : c.hosts())
    for (const auto& to : c.hosts()) {
      if (from == to) continue;
      auto s = c.on(from, {"ssh", "-o", "BatchMode=yes", to, "hostname"});
      INFO(from << " -> " << to << ": " << s.err);
      CHECK(s.out == to + "\n");
    }
  // sftp (what sshfs uses) works.
  std::string batch = "ls /\n";
  CHECK(c.on("c2", {"sftp", "-b", "-", "m"}, &batch).ok());
  // A file in m's sshd_config.d overrides the harness's settings, after a
  // SIGHUP to m's sshd.
  int sshd = c.sshd_pid("m");
  std::vector<int> in_m = c.processes("m");
  CHECK(std::find(in_m.begin(), in_m.end(), sshd) != in_m.end());
  CHECK(c.processes("c1") != in_m);
  write_text(c.path("m", "/etc/ssh/sshd_config.d/test.conf"), "PermitRootLogin no\n");
  REQUIRE(::kill(sshd, SIGHUP) == 0);
  CHECK(wait_until(
      [&] {
        return !c.on("c1", {"ssh", "-o", "BatchMode=yes", "m", "true"}).ok();
      },
      std::chrono::seconds(10)));
}

TEST_CASE("the built sc runs in a host with the host's own settings", "[cluster]") {
  Cluster c({"m", "c1"});
  auto set = c.sc("m", {"settings", "set", "SSHLINK_CONNECT_TIMEOUT", "7"});
  INFO(set.err);
  REQUIRE(set.status == 0);
  CHECK(c.sc("m", {"settings", "get", "SSHLINK_CONNECT_TIMEOUT"}).out == "7\n");
  CHECK(c.sc("c1", {"settings", "get", "SSHLINK_CONNECT_TIMEOUT"}).out == "2\n");
  // Stored in m's own /etc/sc, not c1's, not the machine's.
  CHECK_THAT(read_text(c.path("m", "/etc/sc")), Contains("SSHLINK_CONNECT_TIMEOUT"));
  CHECK_FALSE(fs::exists(c.path("c1", "/etc/sc")));
  bool on_machine =
      fs::exists("/etc/sc") && read_text("/etc/sc").find("SSHLINK_CONNECT_TIMEOUT=\"7\"") != std::string::npos;
  CHECK_FALSE(on_machine);
  auto plugins = c.sc("c1", {"plugins"});
  CHECK(plugins.status == 0);
  CHECK_THAT(plugins.out, Contains("sshlink"));
}

TEST_CASE("a host with its own /usr/local installs sc there, not in the build tree nor another host", "[cluster]") {
  ClusterOptions o;
  o.own_usr_local = {"a"};
  Cluster c({"a", "b"}, o);
  // a: sbin/sc a copy of the built sc, bin/sc a symlink to it, its own plugins.
  auto r = c.on("a", {"readlink", "/usr/local/bin/sc"});
  CHECK(r.out == "../sbin/sc\n");
  CHECK(c.on("a", {"cmp", "/usr/local/sbin/sc", built_sc_path()}).ok());
  CHECK(c.on("a", {"test", "-f", "/usr/local/lib/sc/core/ssh.so"}).ok());
  CHECK(c.sc("a", {"version", "show"}).status == 0);
  CHECK(c.sc("a", {"--json", "update", "release"}).out.find("\"kind\":\"local\"") != std::string::npos);
  // What a writes there stays in a.
  REQUIRE(c.on("a", {"sh", "-c", "echo x > /usr/local/lib/sc/written-by-a && echo y >> /usr/local/sbin/sc"}).ok());
  CHECK_FALSE(fs::exists(fs::path(kPluginDir) / "written-by-a"));
  CHECK_FALSE(c.on("b", {"test", "-e", "/usr/local/lib/sc/written-by-a"}).ok());
  CHECK(c.on("b", {"cmp", "/usr/local/bin/sc", built_sc_path()}).ok());
  CHECK_FALSE(c.on("a", {"cmp", "/usr/local/sbin/sc", built_sc_path()}).ok());
  // b keeps the bind mounts: the build tree's sc, where nothing is installed.
  CHECK(c.sc("b", {"--json", "update", "release"}).out.find("\"kind\":\"other\"") != std::string::npos);
  // A name that is not a host of the cluster is refused.
  TempDir tmp;
  auto bad = tool_up({"--state", (tmp / "s").string(), "--own-usr-local", "z", "x"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Contains("--own-usr-local z: not a host of this cluster"));
}

TEST_CASE("an sshfs mount made in a host stays in it and goes with the cluster", "[cluster]") {
  std::string dir = unique("/srv/peer-srv-");
  std::vector<int> sshfs_pids;
  std::string state;
  {
    Cluster c({"m", "c1"});
    state = c.state().string();
    c.trust("c1", "m");
    REQUIRE(c.on("m", {"sh", "-c", "echo shared > /srv/hello"}).ok());
    REQUIRE(c.on("c1", {"mkdir", dir}).ok());
    auto mount = c.on("c1", {"sshfs", "-o", "BatchMode=yes", "m:/srv", dir});
    INFO(mount.err << c.sshd_log("m"));
    REQUIRE(mount.ok());
    CHECK(c.on("c1", {"cat", dir + "/hello"}).out == "shared\n");
    REQUIRE(c.on("c1", {"sh", "-c", "echo back > \"$1\"/from-c1", "sh", dir}).ok());
    CHECK(read_text(c.path("m", "/srv/from-c1")) == "back\n");
    // Not in the test's namespace, not in m's.
    CHECK(fs::is_empty(c.path("c1", dir)));
    std::ifstream own("/proc/self/mountinfo");
    std::string mine((std::istreambuf_iterator<char>(own)), std::istreambuf_iterator<char>());
    CHECK(mine.find(dir) == std::string::npos);
    CHECK_FALSE(c.on("m", {"test", "-e", dir + "/hello"}).ok());
    CHECK(c.on("c1", {"grep", "-q", "fuse.sshfs", "/proc/self/mountinfo"}).ok());
    sshfs_pids = processes_mentioning(dir);
    CHECK_FALSE(sshfs_pids.empty());
    // The cluster goes down with the mount still there.
  }
  for (int pid : sshfs_pids) CHECK_FALSE(pid_alive(pid));
  CHECK(mounts_mentioning(dir).empty());
  CHECK(mounts_mentioning(state).empty());
  CHECK_FALSE(fs::exists(state));
}

TEST_CASE("two clusters at once use different addresses", "[cluster]") {
  Cluster a({"m", "c1"});
  Cluster b({"m", "c1"});
  std::set<std::string> addresses = {a.address("m"), a.address("c1"), b.address("m"), b.address("c1")};
  CHECK(addresses.size() == 4);
  a.trust("c1", "m");
  b.trust("c1", "m");
  REQUIRE(a.on("m", {"touch", "/srv/in-a"}).ok());
  CHECK(a.on("c1", {"ssh", "-o", "BatchMode=yes", "m", "ls /srv"}).out == "in-a\n");
  CHECK(b.on("c1", {"ssh", "-o", "BatchMode=yes", "m", "ls /srv"}).out == "");
}

TEST_CASE("path() and the tool's path agree, and refuse the machine's directories", "[cluster]") {
  Cluster c({"h"});
  for (std::string p : {"/etc", "/etc/sc", "/root/.ssh", "/home/u", "/srv", "/var/lib/sc/x", "/var/mail/root",
                        "/run/sshd", "/run/lock/x.lock"}) {
    auto t = run_tool({"path", "--state", c.state().string(), "h", p});
    INFO(p << ": " << t.err);
    REQUIRE(t.ok());
    CHECK(t.out == c.path("h", p).string() + "\n");
  }
  CHECK_THROWS_AS(c.path("h", "/usr/bin"), std::invalid_argument);
  CHECK_THROWS_AS(c.path("h", "/var/lib/dpkg"), std::invalid_argument);
  CHECK_THROWS_AS(c.path("nope", "/etc"), std::invalid_argument);
  auto t = run_tool({"path", "--state", c.state().string(), "h", "/usr/bin"});
  CHECK(t.exit_code == 2);
  CHECK_THAT(t.err, Contains("not one of the host's own directories"));
}

TEST_CASE("bad host names and a taken port are refused with a clear message", "[cluster]") {
  TempDir tmp;
  for (std::string bad : {"Upper", "under_score", "-dash", "localhost", "a b"}) {
    auto r = tool_up({"--state", (tmp / "s").string(), "--", bad});
    INFO(bad);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("host name"));
  }
  auto dup = tool_up({"--state", (tmp / "s").string(), "a", "a"});
  CHECK(dup.exit_code == 2);
  CHECK_FALSE(fs::exists(tmp / "s"));
  // Something else listens on port 22 of the block's first address.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(22);
  ::inet_pton(AF_INET, "127.0.250.2", &a.sin_addr);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(fd, 1) == 0);
  auto r = tool_up({"--state", (tmp / "s").string(), "--block", "250", "x"});
  ::close(fd);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("port 22 on 127.0.250.2 is taken"));
  CHECK_FALSE(fs::exists(tmp / "s"));
}

TEST_CASE("down is idempotent and a stale cluster is cleaned by the next up", "[cluster]") {
  TempDir tmp;
  std::string state = (tmp / "state").string();
  auto up = tool_up({"--state", state, "--keep", "s1", "s2"});
  INFO(up.err);
  REQUIRE(up.ok());
  std::istringstream lines(up.out);
  std::string name, address;
  std::vector<std::string> addresses;
  while (lines >> name >> address) addresses.push_back(address);
  REQUIRE(addresses.size() == 2);
  std::vector<int> sshds = processes_mentioning(state + "/hosts/s1/sshd.log");
  REQUIRE_FALSE(sshds.empty());
  // The keeper dies without a word: the cluster is left running.
  std::vector<int> keepers = processes_mentioning("_keeper");
  int keeper = 0;
  for (int pid : keepers) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
    std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmd.find(state) != std::string::npos) keeper = pid;
  }
  REQUIRE(keeper > 0);
  ::kill(keeper, SIGKILL);
  REQUIRE(wait_until([&] { return !pid_alive(keeper); }, std::chrono::seconds(10)));
  CHECK(port22_answers(addresses[0]));
  // The next up in that state removes the old hosts first.
  auto again = tool_up({"--state", state, "--keep", "s3"});
  INFO(again.err);
  REQUIRE(again.ok());
  // (Its message says "stale", unless an up of a test running beside this
  // one removed it first: any next up does.)
  for (int pid : sshds) CHECK_FALSE(pid_alive(pid));
  CHECK(run_tool({"on", "--state", state, "s3", "--", "hostname"}).out == "s3\n");
  CHECK(run_tool({"down", "--state", state}).ok());
  CHECK_FALSE(fs::exists(state));
  CHECK(mounts_mentioning(state).empty());
  CHECK(run_tool({"down", "--state", state}).ok());
}

TEST_CASE("down finishes the work of a keeper that does not answer", "[cluster]") {
  TempDir tmp;
  std::string state = (tmp / "state").string();
  REQUIRE(tool_up({"--state", state, "--keep", "x"}).ok());
  std::vector<int> sshds = processes_mentioning(state + "/hosts/x/sshd.log");
  std::vector<int> keeper = processes_mentioning(state);
  REQUIRE(sshds.size() == 1);
  keeper.erase(std::remove(keeper.begin(), keeper.end(), sshds[0]), keeper.end());
  REQUIRE(keeper.size() == 1);
  REQUIRE(::kill(keeper[0], SIGSTOP) == 0);
  sc::ProcessSpec spec;
  spec.argv = {"/usr/bin/python3", Cluster::tool().string(), "down", "--state", state};
  spec.env_add = {"SC_CLUSTER_DOWN_WAIT=1"};
  spec.capture_out = spec.capture_err = true;
  auto r = sc::run_process(spec);
  INFO(r.err);
  CHECK(r.ok());
  CHECK_THAT(r.err, Contains("did not finish its teardown"));
  CHECK_FALSE(fs::exists(state));
  CHECK_FALSE(pid_alive(sshds[0]));
  CHECK_FALSE(pid_alive(keeper[0]));
}

TEST_CASE("a stale cluster on any address block is removed by the next up", "[cluster]") {
  TempDir tmp;
  std::string a = (tmp / "a").string(), b = (tmp / "b").string();
  REQUIRE(tool_up({"--state", a, "--keep", "--block", "240", "x"}).ok());
  std::vector<int> sshds = processes_mentioning(a + "/hosts/x/sshd.log");
  REQUIRE(sshds.size() == 1);
  std::vector<int> keeper = processes_mentioning(a);
  keeper.erase(std::remove(keeper.begin(), keeper.end(), sshds[0]), keeper.end());
  REQUIRE(keeper.size() == 1);
  ::kill(keeper[0], SIGKILL);
  REQUIRE(wait_until([&] { return !pid_alive(keeper[0]); }, std::chrono::seconds(10)));
  auto r = tool_up({"--state", b, "--keep", "--block", "241", "y"});
  INFO(r.err);
  REQUIRE(r.ok());
  CHECK_FALSE(fs::exists(a));
  CHECK_FALSE(pid_alive(sshds[0]));
  CHECK(mounts_mentioning(a).empty());
  CHECK(run_tool({"down", "--state", b}).ok());
}

TEST_CASE("teardown does not hang on an sshfs mount whose peer is stopped", "[cluster]") {
  std::string dir = unique("/srv/stopped-peer-");
  std::chrono::steady_clock::time_point start;
  {
    Cluster c({"m", "c1"});
    c.trust("c1", "m");
    REQUIRE(c.on("m", {"touch", "/srv/hello"}).ok());
    REQUIRE(c.on("c1", {"mkdir", dir}).ok());
    REQUIRE(c.on("c1", {"sshfs", "-o", "BatchMode=yes", "m:/srv", dir}).ok());
    // Every process of m stops: its sshd and the sftp session.
    int stopped = 0;
    for (int pid : c.processes("m"))
      if (::kill(pid, SIGSTOP) == 0) ++stopped;
    CHECK(stopped >= 2);
    // A reader in c1 now waits on the mount for good.
    REQUIRE(c.on("c1", {"sh", "-c", "ls -l \"$1\"/ >/dev/null 2>&1 &", "sh", dir}).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    start = std::chrono::steady_clock::now();
  }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(15));
  CHECK(processes_mentioning(dir).empty());
  CHECK(mounts_mentioning(dir).empty());
}

TEST_CASE("a cluster brought up by a shell script goes when the script ends", "[cluster]") {
  TempDir tmp;
  std::string state = (tmp / "state").string();
  sc::ProcessSpec spec;
  spec.argv = {"/bin/sh",
               "-c",
               "\"$0\" up --state \"$1\" --sc \"$2\" --plugins \"$3\" s >/dev/null && test -d \"$1/hosts/s\"",
               Cluster::tool().string(),
               state,
               built_sc_path(),
               kPluginDir};
  spec.capture_out = spec.capture_err = true;
  auto r = sc::run_process(spec);
  INFO(r.err);
  REQUIRE(r.ok());
  CHECK(wait_until([&] { return !fs::exists(state); }, std::chrono::seconds(20)));
  // The keeper ends right after removing the state.
  CHECK(wait_until([&] { return processes_mentioning(state).empty(); }, std::chrono::seconds(10)));
}

TEST_CASE("a cluster whose test is killed is torn down", "[cluster]") {
  // A process left running in a host: a sleep of a length no one else uses.
  std::string nap = std::to_string(700000 + ::getpid() % 100000);
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(ready[0]);
    try {
      Cluster c({"k1", "k2"});
      c.trust_all();
      c.on("k1", {"sh", "-c", "sleep \"$1\" >/dev/null 2>&1 &", "sh", nap});
      std::string msg = c.state().string() + " " + c.address("k1") + " " + c.address("k2") + "\n";
      if (::write(ready[1], msg.data(), msg.size()) < 0) ::_exit(1);
      for (;;) ::pause();
    } catch (const std::exception& e) {
      std::string msg = std::string("error ") + e.what() + "\n";
      if (::write(ready[1], msg.data(), msg.size()) < 0) ::_exit(1);
      ::_exit(1);
    }
  }
  ::close(ready[1]);
  std::string msg;
  char buf[512];
  ssize_t n;
  while ((n = ::read(ready[0], buf, sizeof buf)) > 0) {
    msg.append(buf, static_cast<size_t>(n));
    if (msg.find('\n') != std::string::npos) break;
  }
  ::close(ready[0]);
  std::istringstream words(msg);
  std::string state, a1, a2;
  words >> state >> a1 >> a2;
  INFO(msg);
  REQUIRE(fs::exists(state + "/cluster.json"));
  CHECK(port22_answers(a1));
  std::vector<int> in_hosts = processes_mentioning(state + "/hosts/");  // the sshds
  std::vector<int> sleepers = processes_mentioning(std::string("sleep") + '\0' + nap);
  CHECK(sleepers.size() == 1);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK(wait_until([&] { return !fs::exists(state); }, std::chrono::seconds(30)));
  for (int pid : in_hosts) CHECK_FALSE(pid_alive(pid));
  for (int pid : sleepers) CHECK_FALSE(pid_alive(pid));
  CHECK_FALSE(port22_answers(a1));
  CHECK_FALSE(port22_answers(a2));
  CHECK(mounts_mentioning(state).empty());
  // The keeper ends right after removing the state.
  CHECK(wait_until([&] { return processes_mentioning(state).empty(); }, std::chrono::seconds(10)));
}
