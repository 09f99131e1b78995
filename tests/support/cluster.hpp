// A cluster of real test hosts on this machine, for multi-host tests: each
// host a private mount and UTS namespace with its own /etc, /root, /home,
// /srv, /var/lib, /var/mail, and its own sshd on its own loopback address,
// port 22; the built sc at /usr/local/bin/sc and the built plugins at
// /usr/local/lib/sc in every host. The work is done by the tool
// tests/support/cluster (see tests/support/CLUSTER.md); this class brings a
// cluster up for a test and always down: in its destructor, and through the
// tool's keeper when the test process dies, even by SIGKILL.
//
//   sc::test::Cluster c({"m", "c1"});
//   c.trust_all();
//   auto r = c.on("c1", {"ssh", "m", "hostname"});   // r.out == "m\n"
//   auto s = c.sc("m", {"settings", "get", "NAME"}); // the host's own /etc/sc
//
// Tests that use it carry the ctest label `cluster` (tests/cluster/).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace sc::test {

/// Per-host choices of a Cluster.
struct ClusterOptions {
  /// Hosts whose /usr/local/sbin/sc (with /usr/local/bin/sc a symlink to it)
  /// and /usr/local/lib/sc are their own writable copy of the built files,
  /// laid out as `cmake --install --prefix /usr/local` makes them, instead
  /// of bind mounts of the build tree: for tests that install sc in a host
  /// (`sc update`, code following the master). Copy in another build with
  /// on(host, {"cp", FILE, "/usr/local/sbin/sc"}).
  std::vector<std::string> own_usr_local;
};

class Cluster {
 public:
  /// Brings up the hosts (names: lower-case letters, digits, '-'); throws
  /// std::runtime_error with the tool's message when it cannot.
  explicit Cluster(std::vector<std::string> hosts, const ClusterOptions& options = {});
  /// Tears the cluster down: every sshd and process of the hosts stopped,
  /// every mount gone, the state removed.
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  /// Runs argv (argv[0] looked up in the host's PATH, /usr/local/bin
  /// first) inside `host` as root, cwd /root, HOME=/root, a clean
  /// environment; stdin from `input` when given, else /dev/null; stdout and
  /// stderr captured. Stopped after 300 s.
  sc::ProcessResult on(const std::string& host, const std::vector<std::string>& argv,
                       const std::string* input = nullptr) const;
  /// Runs the built sc inside `host` (args after "sc"): no --root, no
  /// --plugin-path: the host's own /etc/sc and the plugins at
  /// /usr/local/lib/sc.
  ScRun sc(const std::string& host, const std::vector<std::string>& args, const std::string* input = nullptr) const;

  /// "127.0.B.N": the host's own loopback address.
  std::string address(const std::string& host) const;
  /// Where `inside` (an absolute path under one of the host's own
  /// directories: /etc, /root, /home, /srv, /var/lib/sc, /var/mail,
  /// /run/sshd, /run/lock) lives, seen from the test; throws
  /// std::invalid_argument for any other path (it is the machine's).
  fs::path path(const std::string& host, const fs::path& inside) const;
  /// root@from can `ssh to` by key with no prompt: from's key in to's
  /// authorized_keys, to's host key in from's known_hosts (name and address).
  void trust(const std::string& from, const std::string& to) const;
  /// trust() for every ordered pair of hosts.
  void trust_all() const;

  /// Pids of every process running in `host` (its sshd, sessions, what
  /// on() left running): e.g. to SIGSTOP a peer and see what hangs.
  std::vector<int> processes(const std::string& host) const;
  /// Pid of the host's sshd listener (SIGHUP it after adding a file to the
  /// host's /etc/ssh/sshd_config.d, which is read first).
  int sshd_pid(const std::string& host) const;

  const std::vector<std::string>& hosts() const { return hosts_; }
  /// The state directory (ns files, hosts/NAME/..., sshd logs).
  const fs::path& state() const { return state_; }
  /// What sshd of `host` logged so far.
  std::string sshd_log(const std::string& host) const;
  /// The tool, tests/support/cluster of the source tree.
  static fs::path tool();

 private:
  void check_host(const std::string& host) const;
  sc::ProcessResult run_tool(const std::vector<std::string>& args) const;

  std::vector<std::string> hosts_;
  std::map<std::string, std::string> addresses_;
  fs::path state_;
};

}  // namespace sc::test
