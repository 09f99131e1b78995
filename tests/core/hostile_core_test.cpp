// The core's answers to hostile input and failing output (issue 12): usage
// errors change nothing and say so with status 2, secrets are never quoted
// back, output that cannot be written is a failure, and control characters
// never reach a terminal raw.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

namespace {

std::vector<std::string> rooted(const fs::path& root, std::vector<std::string> args) {
  std::vector<std::string> all = {"--plugin-path", kFixtureDir, "--root", root.string()};
  all.insert(all.end(), args.begin(), args.end());
  return all;
}

// sc with its stdout sent to `target` ("/dev/full", or "-" for closed).
ScRun sc_stdout_to(const std::string& target, const std::vector<std::string>& args) {
  sc::ProcessSpec spec;
  spec.argv = {"sh", "-c", target == "-" ? "exec \"$@\" >&-" : "exec \"$@\" >" + target, "sh", kScBinary};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.capture_err = true;
  sc::ProcessResult p = sc::run_process(spec);
  return {p.exit_code, p.out, p.err};
}

bool has_control(const std::string& s) {
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return true;
  return false;
}

}  // namespace

TEST_CASE("class 5: output that cannot be written is a failure", "[hostile][output]") {
  TempDir root;
  REQUIRE(run_sc_fixtures(root.path(), {"settings", "set", "PROBE_TEXT", "x"}).status == 0);
  for (const std::string target : {"/dev/full", "-"}) {
    INFO(target);
    for (const auto& args : {std::vector<std::string>{"settings", "print"},
                             {"--json", "settings", "print"},
                             {"help"},
                             {"probe", "help"},
                             {"--version"},
                             {"plugins", "--no-load"}}) {
      ScRun r = sc_stdout_to(target, rooted(root.path(), args));
      CHECK(r.status == 1);
      CHECK_THAT(r.err, Contains("cannot write the output to stdout"));
    }
  }
  ScRun r = sc_stdout_to("/dev/full", rooted(root.path(), {"help"}));
  CHECK_THAT(r.err, Contains("the disk is full"));
  // A failing command keeps its own status.
  r = sc_stdout_to("/dev/full", rooted(root.path(), {"settings", "get", "NOT_SET_ANYWHERE"}));
  CHECK(r.status == 1);
}

TEST_CASE("class 6: control characters never reach the terminal raw", "[hostile][output]") {
  TempDir root;
  const std::string forged =
      "a\nchanged: setting FQDN (forged)\n\x1b]0;pwned\x07\x1b[2J\xc2\x9b"
      "31m";
  ScRun r = run_sc_fixtures(root.path(), {"settings", "set", "PROBE_TEXT", forged});
  CHECK(r.status == 0);
  CHECK_FALSE(has_control(r.err));
  CHECK(r.err.find("\nchanged: setting FQDN") == std::string::npos);
  CHECK_THAT(r.err, Contains("\\e[2J") && Contains("\\x07") && Contains("\\xc2\\x9b"));
  // Bytes that are not UTF-8 are refused for a setting, and shown escaped.
  r = run_sc_fixtures(root.path(), {"settings", "set", "PROBE_PATH", "/a\xff\x1b"});
  CHECK(r.status == 2);
  CHECK_FALSE(has_control(r.err));
  // Errors: an argument echoed in a message is escaped too.
  r = run_sc_fixtures(root.path(), {"settings", "get", "BAD\x1b[2Jname"});
  CHECK(r.status == 2);
  CHECK_FALSE(has_control(r.err));
  r = run_sc_fixtures(root.path(), {"no\x1b[2Jsuch", "cmd"});
  CHECK(r.status == 2);
  CHECK_FALSE(has_control(r.err));
  r = run_sc({"--root", root.path().string(), "--no-such-option\x1b[2J"});
  CHECK(r.status == 2);
  CHECK_FALSE(has_control(r.err));
  // A multi-line message keeps its lines, indented: none can pass for a
  // line of sc's own.
  r = run_sc_fixtures(root.path(), {"settings", "set", "PROBE_PATH", "relative\nsc: error: forged"});
  CHECK(r.status == 2);
  CHECK(r.err.find("\nsc: error: forged") == std::string::npos);
}

TEST_CASE("class 6: a value's bytes survive a round trip", "[hostile][settings]") {
  TempDir root;
  for (const auto& v : hostile_strings()) {
    INFO(v);
    REQUIRE(run_sc_fixtures(root.path(), {"settings", "set", "PROBE_TEXT", v}).status == 0);  // "" too: an explicit ''
    CHECK(run_sc_fixtures(root.path(), {"settings", "get", "PROBE_TEXT"}).out == v + "\n");
  }
  const std::string esc = "x\x1b[31my";
  REQUIRE(run_sc_fixtures(root.path(), {"settings", "set", "PROBE_TEXT", esc}).status == 0);
  CHECK(run_sc_fixtures(root.path(), {"settings", "get", "PROBE_TEXT"}).out == esc + "\n");
}

TEST_CASE("class 2: usage errors end with status 2 and change nothing", "[hostile][settings]") {
  TempDir root;
  REQUIRE(run_sc_fixtures(root.path(), {"settings", "set", "PROBE_TEXT", "x"}).status == 0);
  write_text(root / "srv/legacy", "PROBE_TEXT='\xff\xfe'\n");
  write_text(root / "srv/ours", "# sc-settings 1\nPROBE_TEXT=\"y\"\n");
  const std::string before = tree_hash(root.path());
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"settings", "import", "srv/ours"}, "not an absolute path"},
      {{"settings", "import", "/srv"}, "is a directory"},
      {{"settings", "import", "/srv/legacy"}, "not valid UTF-8"},
      {{"settings", "import", "/srv/ours", "lower"}, "is not a setting name"},
      {{"help", "nosuch"}, "is not installed"},
      {{"nosuch", "help"}, "is not installed"},
      {{"help", "probe", "nosuch"}, "has no command"},
      {{"--set", "PROBE_TEXT=\xff", "settings", "get", "PROBE_TEXT"}, "not valid UTF-8"},
  };
  for (const auto& c : cases) {
    std::string shown;
    for (const auto& a : c.args) shown += " [" + a + "]";
    INFO(shown);
    ScRun r = run_sc_fixtures(root.path(), c.args);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Contains(c.message));
  }
  CHECK(tree_hash(root.path()) == before);
  // A file that is there but cannot be read is a failure, not a usage error.
  CHECK(run_sc_fixtures(root.path(), {"settings", "import", "/srv/missing"}).status == 1);
}

TEST_CASE("class 7: no input is not an empty value", "[hostile][settings]") {
  TempDir root;
  REQUIRE(run_sc_fixtures(root.path(), {"settings", "set", "PROBE_TEXT", "kept"}).status == 0);
  const std::string before = tree_hash(root.path());
  ScRun r = run_sc_fixtures(root.path(), {"settings", "set", "PROBE_TEXT"});  // stdin: /dev/null
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("no value given") && Contains("''"));
  CHECK(tree_hash(root.path()) == before);
  // An empty line is an empty value, given on purpose.
  const std::string empty_line = "\n";
  CHECK(run_sc_fixtures(root.path(), {"settings", "set", "PROBE_TEXT"}, &empty_line).status == 0);
  CHECK(run_sc_fixtures(root.path(), {"settings", "get", "PROBE_TEXT"}).out == "\n");
}

TEST_CASE("class 3: a refused secret is never quoted back", "[hostile][settings]") {
  TempDir root;
  for (const std::string bad : {"hunter2", "99999", "12"}) {
    for (bool json : {false, true}) {
      std::vector<std::string> args = {"settings", "set", "PROBE_PIN", bad};
      if (json) args.insert(args.begin(), "--json");
      ScRun r = run_sc_fixtures(root.path(), args);
      CHECK(r.status == 2);
      CHECK_THAT(r.out + r.err, !Contains(bad));
      CHECK_THAT(r.out + r.err, Contains("PROBE_PIN"));
    }
    ScRun r = run_sc_fixtures(root.path(), {"--set", "PROBE_PIN=" + bad, "probe", "get", "PROBE_PIN"});
    CHECK_THAT(r.out + r.err, !Contains(bad));
  }
  // A setting that is not secret names the value, to help.
  ScRun r = run_sc_fixtures(root.path(), {"settings", "set", "PROBE_INT", "zero"});
  CHECK_THAT(r.err, Contains("\"zero\""));
  // An ill-formed --set never echoes its value either.
  r = run_sc({"--root", root.path().string(), "--set", "lower=hunter2", "help"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, !Contains("hunter2"));
}

TEST_CASE("class 10: the settings store cleans up and keeps its mode", "[hostile][settings]") {
  TempDir root;
  REQUIRE(run_sc_fixtures(root.path(), {"settings", "set", "PROBE_SECRET", "hunter2"}).status == 0);
  // A writer killed before its rename left a full copy of the settings.
  write_text(root / "etc/.sc.sc-AbC123", "# sc-settings 1\nPROBE_SECRET=\"hunter2\"\n", fs::perms(0600));
  write_text(root / "etc/.sc.legacy.sc-XyZ789", "PROBE_SECRET='hunter2'\n", fs::perms(0600));
  write_text(root / "etc/.other.sc-keep", "not ours\n");
  REQUIRE(run_sc_fixtures(root.path(), {"settings", "set", "PROBE_TEXT", "y"}).status == 0);
  CHECK_FALSE(fs::exists(root / "etc/.sc.sc-AbC123"));
  CHECK_FALSE(fs::exists(root / "etc/.sc.legacy.sc-XyZ789"));
  CHECK(fs::exists(root / "etc/.other.sc-keep"));

  // A mode opened up by hand is put back by any read as root, and said;
  // a dry run only says it.
  fs::permissions(root / "etc/sc", fs::perms(0666));
  ScRun r = run_sc_fixtures(root.path(), {"--dry-run", "settings", "get", "PROBE_TEXT"});
  CHECK(r.status == 0);
  if (::geteuid() == 0) {
    CHECK((fs::status(root / "etc/sc").permissions() & fs::perms::all) == fs::perms(0666));
    CHECK_THAT(r.err, Contains("has mode 0666; the next run without --dry-run sets it back to 0600"));
  }
  r = run_sc_fixtures(root.path(), {"settings", "get", "PROBE_TEXT"});
  CHECK(r.status == 0);
  if (::geteuid() == 0) {
    CHECK((fs::status(root / "etc/sc").permissions() & fs::perms::all) == fs::perms(0600));
    CHECK_THAT(r.err, Contains("had mode 0666; set back to 0600"));
  }
  // ... and by a set that changes nothing.
  fs::permissions(root / "etc/sc", fs::perms(0644));
  REQUIRE(run_sc_fixtures(root.path(), {"settings", "set", "PROBE_TEXT", "y"}).status == 0);
  CHECK((fs::status(root / "etc/sc").permissions() & fs::perms::all) == fs::perms(0600));
}

TEST_CASE("class 10: converting the original's files keeps every original", "[hostile][settings]") {
  TempDir root;
  // CR LF lines; a lower-case name.
  write_text(root / "etc/sc", "FQDN='first.example.com'\r\nlower_name='kept'\r\n", fs::perms(0644));
  ScRun r = run_sc_fixtures(root.path(), {"settings", "get", "FQDN"});
  CHECK(r.out == "first.example.com\n");
  CHECK_THAT(r.err, Contains("copy kept as " + (root / "etc/sc.legacy").string()));
  CHECK(read_text(root / "etc/sc.legacy") == "FQDN='first.example.com'\r\nlower_name='kept'\r\n");
  // The lower-case name can be read and deleted, though not created anew.
  CHECK(run_sc_fixtures(root.path(), {"settings", "get", "lower_name"}).out == "kept\n");
  CHECK(run_sc_fixtures(root.path(), {"settings", "del", "lower_name"}).status == 0);
  CHECK(run_sc_fixtures(root.path(), {"settings", "get", "lower_name"}).status == 2);
  CHECK(run_sc_fixtures(root.path(), {"settings", "set", "lower_name", "x"}).status == 2);

  // Another original file later: the first copy stays, the new one gets
  // its own name, and the message says which.
  write_text(root / "etc/sc", "FQDN='second.example.com'\n", fs::perms(0644));
  r = run_sc_fixtures(root.path(), {"settings", "get", "FQDN"});
  CHECK(r.out == "second.example.com\n");
  CHECK_THAT(r.err, Contains("copy kept as " + (root / "etc/sc.legacy.1").string()));
  CHECK(read_text(root / "etc/sc.legacy") == "FQDN='first.example.com'\r\nlower_name='kept'\r\n");
  CHECK(read_text(root / "etc/sc.legacy.1") == "FQDN='second.example.com'\n");
}
