// nfssrv between two real hosts of the test cluster: on the server m, sc
// runs for real (no --root) and chooses NFS-Ganesha by itself, since these
// machines' kernel has no NFS server; m runs the ganesha.nfsd it configured;
// the client c1 lists, reads and writes m's /srv/mass with Debian's libnfs
// client (nfs-ls, nfs-cp).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "../exports.hpp"
#include "cluster.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

namespace {

bool port_answers(const std::string& address, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, address.c_str(), &a.sin_addr);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

bool alive(pid_t pid) {
  return ::kill(pid, 0) == 0;
}

/// ganesha.nfsd started in `host` as its service would be (it puts itself
/// in the background), with its log and pid file in the host's /root;
/// stopped when this goes out of scope, even when a check failed (and the
/// cluster's teardown kills whatever a host still runs).
class HostGanesha {
 public:
  HostGanesha(const Cluster& c, std::string host) : c_(c), host_(std::move(host)) {
    sc::ProcessResult r = c_.on(host_, {"ganesha.nfsd", "-f", "/etc/ganesha/ganesha.conf", "-L", "/root/ganesha.log",
                                        "-p", "/root/ganesha.pid"});
    if (!r.ok()) throw std::runtime_error("ganesha.nfsd did not start in " + host_ + ": " + r.err + log());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!port_answers(c_.address(host_), 2049)) {
      if (std::chrono::steady_clock::now() > deadline) {
        stop();
        throw std::runtime_error("ganesha.nfsd in " + host_ + " does not answer on port 2049: " + log());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    pid_ = std::stoi(read_text(c_.path(host_, "/root/ganesha.pid")));
  }
  ~HostGanesha() { stop(); }
  HostGanesha(const HostGanesha&) = delete;
  HostGanesha& operator=(const HostGanesha&) = delete;

  /// What the unit's ExecReload does: SIGHUP, exports read again.
  void reload() const { ::kill(pid_, SIGHUP); }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (alive(pid_) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (alive(pid_)) ::kill(pid_, SIGKILL);
    pid_ = -1;
  }

  std::string log() const {
    std::error_code ec;
    fs::path p = c_.path(host_, "/root/ganesha.log");
    return fs::exists(p, ec) ? read_text(p) : std::string("(no log)");
  }

 private:
  const Cluster& c_;
  std::string host_;
  pid_t pid_ = -1;
};

}  // namespace

TEST_CASE("nfssrv on a real host: NFS-Ganesha serves m's /srv/mass to c1", "[nfssrv][ganesha][cluster]") {
  for (const char* program : {"/usr/bin/ganesha.nfsd", "/usr/bin/nfs-ls", "/usr/bin/nfs-cp"}) {
    INFO(program << " is missing: .ci/install-deps installs nfs-ganesha, nfs-ganesha-vfs and libnfs-utils");
    REQUIRE(fs::exists(program));
  }
  Cluster c({"m", "c1"});
  const std::string m = c.address("m");
  // libnfs 4.0 crashes on a one-letter server name (nfs://m/...): the
  // client names m by its address, which its /etc/hosts gives for "m".
  REQUIRE_THAT(c.on("c1", {"getent", "hosts", "m"}).out, Contains(m));
  auto url = [&](const std::string& path) { return "nfs://" + m + path + "?version=4"; };

  write_text(c.path("m", "/srv/mass/a.txt"), "hello from m\n");
  write_text(c.path("m", "/home/alice/notes.txt"), "alice's\n");
  fs::permissions(c.path("m", "/srv/mass"), fs::perms(0777));  // root is squashed to 65534
  // NFS-Ganesha's recovery directory is in m's /var/lib (a copy-on-write
  // view of the machine's): made empty there, so that no client state of
  // another run puts the new server in its grace period.
  REQUIRE(c.on("m", {"rm", "-rf", "/var/lib/nfs/ganesha"}).ok());

  REQUIRE(c.sc("m", {"settings", "set", "NFSSRV_GANESHA_BIND", m}).status == 0);
  // Connections between the cluster's hosts all come from 127.0.0.1 (the
  // source address of the machine's loopback route), so that is the
  // client's address as m sees it; the refusal of a client not allowed is
  // tested in nfssrv_ganesha_test.cpp.
  REQUIRE(c.sc("m", {"nfssrv", "allow", "127.0.0.1"}).status == 0);
  ScRun r = c.sc("m", {"--json", "nfssrv", "setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  json doc = json::parse(r.out);
  CHECK(doc["result"]["server"] == "ganesha");
  CHECK_THAT(doc["result"]["why"].get<std::string>(), Contains("no nfsd in /proc/filesystems"));
  // No systemd in a cluster host: setup says what to start.
  CHECK_THAT(r.out, Contains("start nfs-ganesha yourself"));
  nfssrv::Exports e;
  e.paths = {"/home", "/srv/mass"};
  e.clients = {"127.0.0.1"};
  CHECK(read_text(c.path("m", "/etc/ganesha/ganesha.conf")) == nfssrv::ganesha_conf(e, {2049, m}));
  CHECK(c.sc("m", {"nfssrv", "ready"}).status == 0);

  HostGanesha server(c, "m");
  INFO(server.log());
  sc::ProcessResult ls = c.on("c1", {"nfs-ls", url("/srv/mass")});
  INFO(ls.err);
  REQUIRE(ls.ok());
  CHECK_THAT(ls.out, Contains(" a.txt\n"));
  ls = c.on("c1", {"nfs-ls", url("/home/alice")});
  CHECK_THAT(ls.out, Contains(" notes.txt\n"));

  // Read m's file into c1's /root, write c1's file into m's /srv/mass.
  sc::ProcessResult cp = c.on("c1", {"nfs-cp", url("/srv/mass/a.txt"), "/root/a.txt"});
  INFO(cp.err);
  REQUIRE(cp.ok());
  CHECK(read_text(c.path("c1", "/root/a.txt")) == "hello from m\n");
  write_text(c.path("c1", "/root/up.txt"), "from c1\n");
  cp = c.on("c1", {"nfs-cp", "/root/up.txt", url("/srv/mass/up.txt")});
  INFO(cp.err);
  REQUIRE(cp.ok());
  CHECK(read_text(c.path("m", "/srv/mass/up.txt")) == "from c1\n");
  CHECK_FALSE(fs::exists(c.path("c1", "/srv/mass/up.txt")));
  struct stat st {};
  REQUIRE(::stat(c.path("m", "/srv/mass/up.txt").c_str(), &st) == 0);
  CHECK(st.st_uid == 65534);

  // Stop exporting /home: the running server drops it on reload (what
  // `systemctl reload nfs-ganesha` does); /srv/mass stays.
  r = c.sc("m", {"nfssrv", "del", "/home"});
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("send SIGHUP to ganesha.nfsd"));
  server.reload();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    ls = c.on("c1", {"nfs-ls", url("/home/alice")});
    if (!ls.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < deadline);
  CHECK_FALSE(ls.ok());
  CHECK(c.on("c1", {"nfs-ls", url("/srv/mass")}).ok());
  CHECK(read_text(c.path("m", "/home/alice/notes.txt")) == "alice's\n");
}
