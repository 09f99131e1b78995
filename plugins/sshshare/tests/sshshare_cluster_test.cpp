// sshshare on the test cluster (tests/support/CLUSTER.md): real hosts, the
// built sc with no --root. The client c1 mounts the master m's /srv/mass
// with `sc sshshare add`, exactly as its /etc/fstab says, reads and writes
// through it, unmounts it with `del`; then m stops answering (SIGSTOP of
// every process of m: its sshd and sessions) and nothing on c1 hangs.
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>

#include "../share.hpp"
#include "cluster.hpp"

using namespace sc::test;
using Catch::Contains;

namespace {

// SIGSTOP to every process of a host (its sshd and the sessions), SIGCONT
// when it goes out of scope, whatever happened in between.
class StoppedHost {
 public:
  StoppedHost(const Cluster& c, const std::string& host) {
    struct stat host_ns {};
    REQUIRE(::stat((c.state() / "ns" / (host + ".mnt")).c_str(), &host_ns) == 0);
    for (const auto& entry : fs::directory_iterator("/proc")) {
      const std::string pid = entry.path().filename().string();
      struct stat ns {};
      if (pid.find_first_not_of("0123456789") != std::string::npos ||
          ::stat((entry.path() / "ns/mnt").c_str(), &ns) != 0 || ns.st_ino != host_ns.st_ino ||
          ns.st_dev != host_ns.st_dev)
        continue;
      if (::kill(std::stoi(pid), SIGSTOP) == 0) pids_.push_back(std::stoi(pid));
    }
  }
  ~StoppedHost() {
    for (pid_t p : pids_) ::kill(p, SIGCONT);
  }
  size_t count() const { return pids_.size(); }
  StoppedHost(const StoppedHost&) = delete;
  StoppedHost& operator=(const StoppedHost&) = delete;

 private:
  std::vector<pid_t> pids_;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("cluster: c1 mounts m's /srv/mass with sshshare, and a stopped m hangs nothing", "[sshshare][cluster]") {
  Cluster c({"m", "c1"});
  c.trust_all();
  REQUIRE(c.on("m", {"sh", "-c", "mkdir -p /srv/mass && echo from m > /srv/mass/hello.txt"}).ok());
  const std::string fstab_before = read_text(c.path("c1", "/etc/fstab"));
  // A short timeout keeps the test quick; the line is the module's all the
  // same (the default is tested on loopback and measured in bench/).
  const std::vector<std::string> add = {"--set", "SSHSHARE_TIMEOUT=8", "sshshare", "add", "m", "/srv/mass"};

  ScRun r = c.sc("c1", add);
  INFO(r.err);
  REQUIRE(r.status == 0);
  const std::string line =
      "m:/srv/mass /srv/mass fuse.sshfs noauto,x-systemd.automount,_netdev,reconnect,ServerAliveInterval=2,"
      "ServerAliveCountMax=3,ConnectTimeout=2,BatchMode=yes,StrictHostKeyChecking=yes,"
      "UserKnownHostsFile=/root/.ssh/known_hosts,IdentityFile=/root/.ssh/id_ed25519,idmap=user,transform_symlinks,"
      "allow_other,default_permissions 0 0\n";
  CHECK(read_text(c.path("c1", "/etc/fstab")) == fstab_before + line);
  CHECK_THAT(r.err, Contains("ran: mount /srv/mass"));

  // Mounted in c1 (and only there), from those options.
  auto f = c.on("c1", {"findmnt", "-n", "-o", "FSTYPE,SOURCE", "/srv/mass"});
  CHECK(f.out == "fuse.sshfs m:/srv/mass\n");
  CHECK_FALSE(c.on("m", {"findmnt", "/srv/mass"}).ok());
  CHECK(c.sc("c1", {"sshshare", "has", "/srv/mass"}).status == 0);
  CHECK(c.sc("c1", {"sshshare", "list"}).out == "m /srv/mass /srv/mass\n");
  auto ps = c.on("c1", {"sh", "-c", "ps -eo args | grep '^ssh .*ServerAliveInterval=2' | grep -v grep"});
  CHECK_THAT(ps.out, Contains("-oIdentityFile=/root/.ssh/id_ed25519") && Contains("-oBatchMode=yes") &&
                         Contains("-oStrictHostKeyChecking=yes"));

  // Read and write through it.
  CHECK(c.on("c1", {"cat", "/srv/mass/hello.txt"}).out == "from m\n");
  REQUIRE(c.on("c1", {"sh", "-c", "echo from c1 > /srv/mass/c1.txt"}).ok());
  CHECK(read_text(c.path("m", "/srv/mass/c1.txt")) == "from c1\n");

  // Again: nothing changes, nothing is mounted twice.
  r = c.sc("c1", add);
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.err, !Contains("ran: mount"));
  CHECK(read_text(c.path("c1", "/etc/fstab")) == fstab_before + line);
  CHECK(c.on("c1", {"findmnt", "-n", "-o", "FSTYPE", "/srv/mass"}).out == "fuse.sshfs\n");

  // del unmounts it and removes exactly its line.
  r = c.sc("c1", {"sshshare", "del", "m", "/srv/mass"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.err, Contains("ran: umount /srv/mass"));
  CHECK(read_text(c.path("c1", "/etc/fstab")) == fstab_before);
  CHECK_FALSE(c.on("c1", {"findmnt", "/srv/mass"}).ok());
  CHECK(c.sc("c1", {"sshshare", "has", "/srv/mass"}).status == 1);
  CHECK(c.on("c1", {"ls", "/srv/mass"}).out.empty());  // the bare mount point

  // Mounted again, then m stops answering: accesses fail (an I/O error)
  // instead of hanging, and sc's own commands return.
  REQUIRE(c.sc("c1", add).status == 0);
  REQUIRE(c.on("m", {"sh", "-c",
                     "echo s > /srv/mass/fresh-stat && mkdir /srv/mass/fresh-dir && echo c > "
                     "/srv/mass/fresh-cat"})
              .ok());
  {
    StoppedHost stopped(c, "m");
    REQUIRE(stopped.count() >= 2);
    for (const std::vector<std::string>& argv : {std::vector<std::string>{"stat", "/srv/mass/fresh-stat"},
                                                 std::vector<std::string>{"ls", "/srv/mass/fresh-dir"},
                                                 std::vector<std::string>{"cat", "/srv/mass/fresh-cat"}}) {
      const auto start = std::chrono::steady_clock::now();
      auto a = c.on("c1", argv);
      const double secs = seconds_since(start);
      INFO(argv[0] << ": " << a.describe() << ": " << a.err);
      WARN(argv[0] + " on c1 with m stopped failed after " + std::to_string(secs) + " s");
      CHECK_FALSE(a.timed_out);
      CHECK_FALSE(a.ok());
      CHECK_THAT(a.err, Contains("Input/output error"));
    }
    // sc itself: reading the fstab and the mounts, linking (which gives up
    // after SSHLINK_CONNECT_TIMEOUT) and unmounting never wait for m.
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"sshshare", "has", "/srv/mass"}, std::vector<std::string>{"sshshare", "list"}, add,
          std::vector<std::string>{"sshshare", "del", "m", "/srv/mass"}}) {
      const std::string name = *(std::find(args.begin(), args.end(), "sshshare") + 1);
      const auto start = std::chrono::steady_clock::now();
      ScRun s = c.sc("c1", args);
      const double secs = seconds_since(start);
      INFO(name << " took " << secs << " s, status " << s.status << ": " << s.err);
      WARN("sc sshshare " + name + " with m stopped returned after " + std::to_string(secs) + " s");
      CHECK(s.status < 128);  // not killed by the harness's watchdog
    }
    // del worked without m: the share is gone from c1.
    CHECK(read_text(c.path("c1", "/etc/fstab")) == fstab_before);
    CHECK_FALSE(c.on("c1", {"findmnt", "/srv/mass"}).ok());
  }
}
