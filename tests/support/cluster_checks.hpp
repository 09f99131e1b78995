// Catch2 checks shared by the tests that run commands on the test cluster
// (cluster.hpp): a command that must succeed, and counting what a log says.
#pragma once
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "cluster.hpp"

namespace sc::test {

/// argv run in `host` (Cluster::on); checks that it exits 0 and gives its
/// stdout.
inline std::string out_of(const Cluster& c, const std::string& host, const std::vector<std::string>& argv) {
  sc::ProcessResult r = c.on(host, argv);
  INFO(host << ": " << (argv.empty() ? std::string() : argv.front()) << ": " << r.err);
  CHECK(r.exit_code == 0);
  return r.out;
}

/// `sc ARGS` in `host`, which must succeed (the test stops otherwise, with
/// its output).
inline ScRun run_ok(const Cluster& c, const std::string& host, const std::vector<std::string>& args,
                    const std::string* input = nullptr) {
  ScRun r = c.sc(host, args, input);
  std::string line = "sc";
  for (const auto& a : args) line += " " + a;
  INFO(host << ": " << line << "\n" << r.out << r.err);
  REQUIRE(r.status == 0);
  return r;
}

/// How many times `what` occurs in `text` (e.g. "Accepted publickey" in a
/// host's sshd log: the SSH connections it took).
inline size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

/// MASTER_SERVICES=none on each host: a role's test that is not about the
/// master's services (mail, webmail, certificates...) sets them aside.
inline void without_services(const Cluster& c, const std::vector<std::string>& hosts) {
  for (const auto& h : hosts) run_ok(c, h, {"settings", "set", "MASTER_SERVICES", "none"});
}

/// What `systemd-analyze verify UNIT` says of a unit file inside `host`
/// (where the sc its ExecStart names exists): "" when systemd takes it
/// without a word (the checker exits 0 even when it warns).
inline std::string systemd_verify_in(const Cluster& c, const std::string& host, const std::string& unit) {
  sc::ProcessResult r = c.on(host, {"systemd-analyze", "verify", unit});
  return verify_words_about(unit, r.out + r.err) +
         (r.exit_code == 0 ? "" : "exit status " + std::to_string(r.exit_code));
}

/// Asks `ready` every 200 ms until it says yes or `seconds` have passed:
/// the seconds it took, or -1 when it never did. Tests that wait for a
/// recovery poll with this; they never sleep a fixed time.
inline double wait_for(const std::function<bool()>& ready, double seconds) {
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    if (ready()) return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (std::chrono::steady_clock::now() - start > std::chrono::duration<double>(seconds)) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

/// Starts argv in `host` in the background, in a session of its own, its
/// output to `log` (a path inside the host, e.g. under /var/lib/sc): a
/// daemon the host's systemd would run. It ends with the cluster.
inline void start_background(const Cluster& c, const std::string& host, const std::vector<std::string>& argv,
                             const std::string& log) {
  std::vector<std::string> sh = {"sh", "-c", "log=$1; shift; setsid \"$@\" >\"$log\" 2>&1 </dev/null &", "sh", log};
  sh.insert(sh.end(), argv.begin(), argv.end());
  sc::ProcessResult r = c.on(host, sh);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
}

}  // namespace sc::test
