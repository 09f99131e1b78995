// NFS-Ganesha for real: the configuration nfssrv writes (under --root) is
// served by ganesha.nfsd on a free loopback port, and Debian's libnfs
// client lists, reads and writes through it (nfs-ls, nfs-cp). The server
// is stopped at the end of every scope, even when a check fails.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "../exports.hpp"
#include "engine/process.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

namespace {

constexpr const char* kGanesha = "/usr/bin/ganesha.nfsd";

/// ganesha.nfsd in the foreground with `conf`, its log and pid file in
/// `dir`, in a mount namespace of its own where its recovery directory
/// (/var/lib/nfs/ganesha, clients' state kept across restarts) is an empty
/// tmpfs: no earlier run's clients put it in its 90-second grace period,
/// and this run leaves none behind. Killed if the test process dies.
class GaneshaServer {
 public:
  GaneshaServer(const fs::path& conf, const fs::path& dir, int port) : log_(dir / "ganesha.log") {
    const std::string conf_s = conf.string(), log_s = log_.string(), pid_s = (dir / "ganesha.pid").string();
    fs::create_directories("/var/lib/nfs/ganesha");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
      if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
          ::mount("tmpfs", "/var/lib/nfs/ganesha", "tmpfs", 0, "mode=0755") != 0)
        ::_exit(126);
      ::execl(kGanesha, kGanesha, "-F", "-f", conf_s.c_str(), "-L", log_s.c_str(), "-p", pid_s.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!loopback_port_answers(port)) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("ganesha.nfsd ended (status " + std::to_string(status) + "): " + log());
      }
      if (std::chrono::steady_clock::now() > deadline) {
        stop();
        throw std::runtime_error("ganesha.nfsd does not answer on port " + std::to_string(port) + ": " + log());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~GaneshaServer() { stop(); }
  GaneshaServer(const GaneshaServer&) = delete;
  GaneshaServer& operator=(const GaneshaServer&) = delete;

  pid_t pid() const { return pid_; }

  /// What `systemctl reload nfs-ganesha` does (the unit's ExecReload):
  /// SIGHUP, on which NFS-Ganesha reads its exports again.
  void reload() const { ::kill(pid_, SIGHUP); }

  /// SIGTERM, then SIGKILL after 15 s; always reaped.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    pid_ = -1;
  }

  std::string log() const {
    std::error_code ec;
    return fs::exists(log_, ec) ? read_text(log_) : std::string("(no log)");
  }

 private:
  fs::path log_;
  pid_t pid_ = -1;
};

sc::ProcessResult run(const std::vector<std::string>& argv) {
  sc::ProcessSpec p;
  p.argv = argv;
  p.capture_out = true;
  p.capture_err = true;
  p.timeout = std::chrono::milliseconds(60000);
  return sc::run_process(p);
}

/// nfs-ls of `u` until its success is `want` (a reload is applied by a
/// thread of the server, shortly after the signal), at most 10 s.
sc::ProcessResult ls_until(const std::string& u, bool want) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    sc::ProcessResult r = run({"nfs-ls", u});
    if (r.ok() == want || std::chrono::steady_clock::now() > deadline) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::string url(int port, const std::string& path) {
  return "nfs://127.0.0.1" + path + "?version=4&nfsport=" + std::to_string(port);
}

}  // namespace

TEST_CASE("nfssrv: NFS-Ganesha serves what nfssrv writes, to the allowed clients only", "[nfssrv][ganesha]") {
  for (const char* program : {kGanesha, "/usr/bin/nfs-ls", "/usr/bin/nfs-cp"}) {
    INFO(program << " is missing: .ci/install-deps installs nfs-ganesha, nfs-ganesha-vfs and libnfs-utils");
    REQUIRE(fs::exists(program));
  }
  TempDir tmp;
  const fs::path data = tmp / "export";    // served
  const fs::path other = tmp / "private";  // not exported
  const fs::path root = tmp / "root";      // nfssrv's --root
  write_text(data / "a.txt", "hello\n");
  write_text(data / "名前 x.txt", "unicode\n");
  write_text(other / "secret.txt", "no\n");
  // Root is squashed to 65534, which must be able to write there.
  fs::permissions(data, fs::perms(0777));
  // Under --root, add checks the directory in the root's tree.
  fs::create_directories(root / data.relative_path());
  const int port = free_loopback_port();

  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"NFSSRV_SERVER", "ganesha"},
                                                        {"NFSSRV_EXPORTS", ""},
                                                        {"NFSSRV_GANESHA_PORT", std::to_string(port)},
                                                        {"NFSSRV_GANESHA_BIND", "127.0.0.1"}})
    REQUIRE(run_sc_rooted(root, {"settings", "set", name, value}).status == 0);
  ScRun r = run_sc_rooted(root, {"nfssrv", "add", data.string()});
  INFO(r.err);
  REQUIRE(r.status == 0);
  // First only another host may mount it.
  REQUIRE(run_sc_rooted(root, {"nfssrv", "allow", "127.0.0.3"}).status == 0);
  const fs::path conf = root / "etc/ganesha/ganesha.conf";
  nfssrv::Exports e;
  e.paths = {data.string()};
  e.clients = {"127.0.0.3"};
  CHECK(read_text(conf) == nfssrv::ganesha_conf(e, {port, "127.0.0.1"}));

  pid_t seen = -1;
  {
    GaneshaServer server(conf, tmp.path(), port);
    seen = server.pid();
    INFO(server.log());
    sc::ProcessResult ls = run({"nfs-ls", url(port, data.string())});
    CHECK_FALSE(ls.ok());
    CHECK_THAT(ls.err + ls.out, Contains("NFS4ERR_NOENT"));  // the pseudo file system hides it

    // Allowing this host changes the exports only: sc asks for a reload,
    // which the running server takes without a restart.
    r = run_sc_rooted(root, {"--json", "nfssrv", "allow", "127.0.0.1"});
    REQUIRE(r.status == 0);
    CHECK(run_actions(r) == std::vector<std::string>{"systemctl reload-or-restart nfs-ganesha recorded"});
    e.clients = {"127.0.0.3", "127.0.0.1"};
    CHECK(read_text(conf) == nfssrv::ganesha_conf(e, {port, "127.0.0.1"}));
    server.reload();
    ls = ls_until(url(port, data.string()), true);
    INFO(ls.err);
    REQUIRE(ls.ok());
    CHECK_THAT(ls.out, Contains(" a.txt\n") && Contains(" 名前 x.txt\n"));

    // Read.
    sc::ProcessResult cp = run({"nfs-cp", url(port, data.string() + "/a.txt"), (tmp / "down.txt").string()});
    INFO(cp.err);
    REQUIRE(cp.ok());
    CHECK(read_text(tmp / "down.txt") == "hello\n");

    // Write: the file lands in the exported directory, root squashed.
    write_text(tmp / "up.txt", "written over NFSv4\n");
    cp = run({"nfs-cp", (tmp / "up.txt").string(), url(port, data.string() + "/up.txt")});
    INFO(cp.err);
    REQUIRE(cp.ok());
    CHECK(read_text(data / "up.txt") == "written over NFSv4\n");
    struct stat st {};
    REQUIRE(::stat((data / "up.txt").c_str(), &st) == 0);
    CHECK(st.st_uid == 65534);
    ls = run({"nfs-ls", url(port, data.string())});
    CHECK_THAT(ls.out, Contains(" up.txt\n"));

    // A directory that is not exported cannot be reached.
    ls = run({"nfs-ls", url(port, other.string())});
    CHECK_FALSE(ls.ok());

    // del: after the reload the export is gone; its files stay.
    r = run_sc_rooted(root, {"--json", "nfssrv", "del", data.string()});
    REQUIRE(r.status == 0);
    CHECK(run_actions(r) == std::vector<std::string>{"systemctl reload-or-restart nfs-ganesha recorded"});
    server.reload();
    ls = ls_until(url(port, data.string()), false);
    CHECK_FALSE(ls.ok());
    CHECK(read_text(data / "up.txt") == "written over NFSv4\n");
  }
  CHECK(::kill(seen, 0) != 0);
}
