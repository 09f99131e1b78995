// Catch2 checks shared by the tests that run commands on the test cluster
// (cluster.hpp): a command that must succeed, and counting what a log says.
#pragma once
#include <catch2/catch.hpp>
#include <string>
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

}  // namespace sc::test
