// Answers to a command's questions (typed, or given with --set) are stored
// only when the command succeeds; a required module's readiness is the
// host's, not this run's --set values (issue 13).
#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

TEST_CASE("a command that fails stores none of the answers it was given", "[settings]") {
  TempDir root;
  fs::create_directories(root / "etc");
  const std::string before = tree_hash(root.path());
  ScRun r = run_sc_fixtures(root.path(), {"--set", "PROBE_PATH=/srv/x", "probe", "askthenfail", "PROBE_PATH", "nope"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("not stored, since the command did not succeed: PROBE_PATH"));
  CHECK(tree_hash(root.path()) == before);
  CHECK(run_sc_fixtures(root.path(), {"settings", "get", "PROBE_PATH"}).status == 1);

  // The same answer to a command that succeeds is stored, as typed.
  r = run_sc_fixtures(root.path(), {"--set", "PROBE_PATH=/srv/x", "probe", "get", "PROBE_PATH", "prompt"});
  CHECK(r.status == 0);
  CHECK(r.out == "/srv/x\n");
  CHECK_THAT(r.err, Contains("changed: setting PROBE_PATH"));
  CHECK(run_sc_fixtures(root.path(), {"settings", "get", "PROBE_PATH"}).out == "/srv/x\n");
  // Nested in another command, it waits for the outer one.
  r = run_sc_fixtures(root.path(),
                      {"--set", "PROBE_CHOICE=beta", "probe", "call", "probe", "get", "PROBE_CHOICE", "prompt"});
  CHECK(r.status == 0);
  CHECK(run_sc_fixtures(root.path(), {"settings", "get", "PROBE_CHOICE"}).out == "beta\n");
}

TEST_CASE("a required module's readiness is the host's, not this run's --set", "[settings]") {
  TempDir root;
  fs::create_directories(root / "etc");
  // probe is ready when PROBE_READY is yes; --set says so for this run,
  // but the host has never been set up: setup of probe-dep sets it up.
  ScRun r = run_sc_fixtures(root.path(), {"--set", "PROBE_READY=yes", "probe-dep", "setup"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("setting up required module probe"));
  CHECK(read_text(root / "etc/probe.conf") == "probe=1\n");
  CHECK(run_sc_fixtures(root.path(), {"settings", "get", "PROBE_READY"}).out == "yes\n");
  CHECK(run_sc_fixtures(root.path(), {"probe", "ready"}).status == 0);
}
