// Every host service, driven through the real ABI by the `probe` fixture
// plugin, under --root so that effects stay in a temporary tree.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using json = nlohmann::json;

namespace {

/// `sc` on the fixture plugins with effects confined to `root`.
ScRun sc_at(const fs::path& root, std::vector<std::string> args, const std::string* input = nullptr) {
  std::vector<std::string> all = {"--plugin-path", kFixtureDir, "--root", root.string()};
  all.insert(all.end(), args.begin(), args.end());
  return run_sc(all, input);
}

/// `sc probe ARGS` (global options may follow the module name).
ScRun probe(const fs::path& root, std::vector<std::string> args, const std::string* input = nullptr) {
  args.insert(args.begin(), "probe");
  return sc_at(root, args, input);
}

json probe_json(const fs::path& root, std::vector<std::string> args) {
  args.insert(args.begin(), "--json");
  ScRun r = probe(root, args);
  INFO(r.err);
  INFO(r.out);
  return json::parse(r.out);
}

}  // namespace

TEST_CASE("files: write, re-write, mode, dry run and diff", "[host][files]") {
  TempDir root;
  fs::create_directories(root / "etc");
  ScRun r = probe(root.path(), {"write", "/etc/a.conf", "one\n", "0640"});
  REQUIRE(r.status == 0);
  CHECK(read_text(root / "etc/a.conf") == "one\n");
  struct stat st {};
  REQUIRE(::stat((root / "etc/a.conf").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);
  CHECK_THAT(r.err, Contains("changed: write /etc/a.conf") && Contains("sc probe write: 1 changed"));
  CHECK(r.out.empty());  // the report is not the command's output

  // Idempotent: the same write again is "ok".
  r = probe(root.path(), {"write", "/etc/a.conf", "one\n", "0640"});
  CHECK(r.status == 0);
  CHECK(r.err == "sc probe write: 1 ok\n");
  CHECK(r.out.empty());

  // Dry run with diff: the plan and the diff, and nothing touched.
  std::string before = tree_hash(root.path());
  r = probe(root.path(), {"--dry-run", "--diff", "write", "/etc/a.conf", "two\n", "0640"});
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("would change: write /etc/a.conf") && Contains("-one") && Contains("+two") &&
                        Contains("(dry run): 1 would change"));
  CHECK(tree_hash(root.path()) == before);

  // Secret files never show their content.
  r = probe(root.path(), {"--diff", "write", "/etc/secret.conf", "password=hunter2\n", "0600", "secret"});
  CHECK(r.status == 0);
  CHECK_THAT(r.out, !Contains("hunter2"));
  CHECK(read_text(root / "etc/secret.conf") == "password=hunter2\n");

  // JSON: the same facts, structured.
  json doc = probe_json(root.path(), {"write", "/etc/a.conf", "three\n"});
  CHECK(doc["status"] == 0);
  REQUIRE(doc["actions"].size() == 1);
  CHECK(doc["actions"][0]["kind"] == "write");
  CHECK(doc["actions"][0]["target"] == "/etc/a.conf");
  CHECK(doc["actions"][0]["state"] == "changed");
  CHECK(doc["summary"]["changed"] == 1);
}

TEST_CASE("paths stay inside --root", "[host][files][security]") {
  TempDir root;
  fs::create_directories(root / "etc");
  fs::create_symlink("/etc", root / "escape");
  ScRun r = probe(root.path(), {"write", "/escape/sc-test-should-not-exist", "x"});
  // The absolute link is followed inside the root: /escape -> ROOT/etc.
  CHECK(r.status == 0);
  CHECK(fs::exists(root / "etc/sc-test-should-not-exist"));
  CHECK_FALSE(fs::exists("/etc/sc-test-should-not-exist"));
  r = probe(root.path(), {"write", "/etc/../../x", "x"});
  CHECK(r.status != 0);
  CHECK_THAT(r.err, Contains(".."));
  r = probe(root.path(), {"resolve", "/etc/passwd"});
  CHECK(r.out == (root / "etc/passwd").string() + "\n");
}

TEST_CASE("directories, symlinks, removal and reads", "[host][files]") {
  TempDir root;
  CHECK(probe(root.path(), {"mkdir", "/srv/data/deep"}).status == 0);
  CHECK(fs::is_directory(root / "srv/data/deep"));
  CHECK(probe(root.path(), {"symlink", "/srv/data", "/data"}).status == 0);
  CHECK(fs::read_symlink(root / "data") == "/srv/data");
  CHECK(probe(root.path(), {"write", "/srv/data/f", "content"}).status == 0);
  ScRun r = probe(root.path(), {"read", "/srv/data/f"});
  CHECK(r.out == "content");
  CHECK(probe(root.path(), {"remove", "/srv/data"}).status != 0);  // not empty
  CHECK(probe(root.path(), {"remove", "/srv/data", "recursive"}).status == 0);
  CHECK_FALSE(fs::exists(root / "srv/data"));
  CHECK(probe(root.path(), {"remove", "/srv/data"}).status == 0);  // already gone: ok
}

TEST_CASE("programs: argv only, dry run, live actions under --root", "[host][run]") {
  TempDir root;
  ScRun r = probe(root.path(), {"run", "readonly", "echo", "a b", "$(id)", "it's"});
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("a b $(id) it's\n") && Contains("ran=1 exit=0"));

  r = probe(root.path(), {"--dry-run", "run", "touch", (root / "made").string()});
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("would run: touch"));
  CHECK(r.out == "ran=0 exit=-1\n");
  CHECK_FALSE(fs::exists(root / "made"));

  r = probe(root.path(), {"run", "touch", (root / "made").string()});
  CHECK(r.status == 0);
  CHECK(fs::exists(root / "made"));

  r = probe(root.path(), {"run", "live", "touch", (root / "live").string()});
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("not run: touch"));
  CHECK(r.out == "ran=0 exit=-1\n");
  CHECK_FALSE(fs::exists(root / "live"));

  r = probe(root.path(), {"run", "sh", "-c", "exit 3"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("exited with status 3"));

  r = probe(root.path(), {"run", "no-such-program-anywhere"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("no-such-program-anywhere") && Contains("not found"));

  r = probe(root.path(), {"--dry-run", "run", "secret", "chpasswd", "--password=hunter2"});
  CHECK_THAT(r.out, !Contains("hunter2"));
}

TEST_CASE("settings through the ABI: types, defaults, dry run, secrets", "[host][settings]") {
  TempDir root;
  ScRun r = probe(root.path(), {"get", "PROBE_TEXT"});
  CHECK(r.out == "hello\n");  // the manifest default
  CHECK(probe(root.path(), {"get", "PROBE_TEXT", "nodefault"}).status == 1);
  CHECK(probe(root.path(), {"set", "PROBE_TEXT", "it's \"quoted\" $(x)"}).status == 0);
  CHECK(probe(root.path(), {"get", "PROBE_TEXT"}).out == "it's \"quoted\" $(x)\n");
  CHECK((fs::status(root / "etc/sc").permissions() & fs::perms::all) == fs::perms(0600));

  r = probe(root.path(), {"set", "PROBE_INT", "11"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("PROBE_INT") && Contains("maximum 10"));
  r = probe(root.path(), {"set", "PROBE_BOOL", "TRUE"});
  CHECK(r.status == 0);
  CHECK(probe(root.path(), {"get", "PROBE_BOOL"}).out == "yes\n");
  r = probe(root.path(), {"set", "PROBE_CHOICE", "delta"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("alpha, beta, gamma"));
  r = probe(root.path(), {"set", "OTHER_MODULE_SETTING", "x"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("not declared by module probe"));

  // Dry run: visible to the run, not stored.
  std::string before = read_text(root / "etc/sc");
  r = probe(root.path(), {"--dry-run", "set", "PROBE_TEXT", "changed"});
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("would change: setting PROBE_TEXT"));
  CHECK(read_text(root / "etc/sc") == before);

  // --set overrides for the run only, unless the module asks for it.
  CHECK(probe(root.path(), {"--set", "PROBE_TEXT=over", "get", "PROBE_TEXT"}).out == "over\n");
  CHECK(read_text(root / "etc/sc") == before);

  // Secrets are redacted from actions and diffs.
  r = probe(root.path(), {"--diff", "set", "PROBE_SECRET", "hunter2"});
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("setting PROBE_SECRET") && !Contains("hunter2"));
  CHECK_THAT(r.out, !Contains("hunter2"));
  CHECK(probe(root.path(), {"get", "PROBE_SECRET"}).out == "hunter2\n");
  r = probe(root.path(), {"--diff", "write", "/etc/x", "pw=hunter2"});
  CHECK(r.status == 0);
  r = probe(root.path(), {"--diff", "log", "1", "the password is hunter2"});
  // Only a value the run has seen is known to be secret: read it first.
  r = probe(root.path(), {"--diff", "call", "probe", "get", "PROBE_SECRET"});
  CHECK(r.status == 0);
}

TEST_CASE("a missing setting without a terminal names --set", "[host][settings]") {
  TempDir root;
  ScRun r = probe(root.path(), {"get", "PROBE_PATH", "prompt"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("PROBE_PATH") && Contains("--set PROBE_PATH=VALUE") && Contains("no terminal"));
  CHECK_FALSE(fs::exists(root / "etc/sc"));
  r = probe(root.path(), {"--set", "PROBE_PATH=/srv/x", "get", "PROBE_PATH", "prompt"});
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("changed: setting PROBE_PATH"));
  CHECK_THAT(r.out, Contains("/srv/x\n"));
  // An answer given with --set to a question is stored, like a typed one.
  CHECK_THAT(read_text(root / "etc/sc"), Contains("PROBE_PATH=\"/srv/x\""));
  r = probe(root.path(), {"--set", "PROBE_PATH=relative", "get", "PROBE_PATH", "prompt"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("absolute"));
  // --yes accepts a default.
  r = probe(root.path(), {"--yes", "get", "PROBE_INT", "prompt"});
  CHECK(r.status == 0);
}

TEST_CASE("module calls, hooks and the setup chain", "[host][modules]") {
  TempDir root;
  ScRun r = probe(root.path(), {"call", "cplugin", "greet", "you"});
  CHECK(r.status == 0);
  auto captured = json::parse(r.out.substr(0, r.out.find('\n')));
  CHECK(captured["status"] == 0);
  CHECK(captured["output"] == "hello, you\n");

  r = probe(root.path(), {"call", "shown", "cplugin", "greet", "you"});
  CHECK(r.out == "hello, you\n");

  r = probe(root.path(), {"call", "cplugin", "fail"});
  CHECK(r.status == 1);

  r = probe(root.path(), {"call", "needs-missing", "hello"});
  CHECK(r.status != 0);

  // Broadcast reaches every module declaring the hook, dependencies first,
  // and loads nothing else (abort-ctor would abort).
  r = probe(root.path(), {"broadcast", "fxhook"});
  CHECK(r.status == 0);
  CHECK(r.out == "fxhook in probe:from-probe\nfxhook in probe-dep:from-probe\n");
  r = probe(root.path(), {"broadcast", "fxhook", "capture"});
  auto list = json::parse(r.out);
  REQUIRE(list.size() == 2);
  CHECK(list[0]["module"] == "probe");
  CHECK(list[1]["module"] == "probe-dep");
  // Only ready modules: probe is not ready yet, probe-dep has no check.
  r = probe(root.path(), {"broadcast", "fxhook", "ready"});
  CHECK(r.out == "fxhook in probe-dep:from-probe\n");

  // `setup` first sets up required modules that are not ready; one given
  // arguments its usage does not show is refused before that.
  const std::string untouched = tree_hash(root.path());
  r = sc_at(root.path(), {"probe-dep", "setup", "extra"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("too many arguments; usage: sc probe-dep setup"));
  CHECK(tree_hash(root.path()) == untouched);
  r = sc_at(root.path(), {"probe-dep", "setup"});
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("setting up required module probe"));
  CHECK(fs::exists(root / "etc/probe.conf"));
  CHECK_THAT(r.out, Contains("probe-dep setup"));
  CHECK(sc_at(root.path(), {"probe", "ready"}).status == 0);
  r = sc_at(root.path(), {"probe-dep", "setup"});
  CHECK_THAT(r.err, !Contains("setting up required module"));

  // A module sees the settings of the modules it requires.
  CHECK(sc_at(root.path(), {"probe-dep", "getprobe"}).out == "hello\n");
  // `ready` of a module without a check: ready.
  CHECK(sc_at(root.path(), {"cplugin", "ready"}).status == 0);
}

TEST_CASE("mode, root and version reach the plugin", "[host]") {
  TempDir root;
  ScRun r = probe(root.path(), {"--dry-run", "--diff", "--yes", "mode"});
  // dry-run 1 | diff 2 | yes 8 | rooted 32
  CHECK_THAT(r.out, Contains("mode=43 root=" + root.path().string() + " version="));
  r = probe(root.path(), {"--json", "mode"});
  CHECK(json::parse(r.out)["output"].get<std::string>().rfind("mode=36", 0) == 0);
}

TEST_CASE("results and output under --json", "[host][json]") {
  TempDir root;
  json doc = probe_json(root.path(), {"result", R"({"a": [1, 2], "b": "ü"})"});
  CHECK(doc["result"]["a"] == json::array({1, 2}));
  CHECK(doc["result"]["b"] == "ü");
  CHECK(doc["module"] == "probe");
  CHECK(doc["command"] == "result");
  doc = probe_json(root.path(), {"result", "not json"});
  CHECK(doc["status"] == 1);
  doc = probe_json(root.path(), {"log", "1", "careful"});
  CHECK(doc["log"][0]["level"] == "warning");
  CHECK(doc["log"][0]["message"] == "careful");
  ScRun r = probe(root.path(), {"result", R"(["x", "y"])"});
  CHECK(r.out == "x\ny\n");  // text mode shows a result the command did not print
}

TEST_CASE("sc broadcast runs every module's hook and returns their results", "[host][modules]") {
  TempDir root;
  json doc = json::parse(sc_at(root.path(), {"--json", "broadcast", "fxhook", "x y"}).out);
  CHECK(doc["status"] == 0);
  REQUIRE(doc["result"].size() == 2);
  CHECK(doc["result"][0]["module"] == "probe");
  CHECK(doc["result"][0]["output"] == "fxhook in probe:x y\n");
  CHECK(doc["root"] == root.path().string());
  // Only ready modules: probe is not ready until set up.
  doc = json::parse(sc_at(root.path(), {"--json", "broadcast", "--ready-only", "fxhook"}).out);
  REQUIRE(doc["result"].size() == 1);
  CHECK(doc["result"][0]["module"] == "probe-dep");
  CHECK(sc_at(root.path(), {"broadcast"}).status == 2);
  CHECK(sc_at(root.path(), {"broadcast", "x;y"}).status == 2);
  // A hook nobody declares: nothing runs, nothing fails.
  doc = json::parse(sc_at(root.path(), {"--json", "broadcast", "nobody-has-this"}).out);
  CHECK(doc["status"] == 0);
  CHECK(doc["result"].empty());
}

TEST_CASE("modules reach the core's help and settings through call()", "[host][modules]") {
  TempDir root;
  ScRun r = probe(root.path(), {"call", "help", "cplugin"});
  REQUIRE(r.status == 0);
  auto captured = json::parse(r.out.substr(0, r.out.find('\n')));
  CHECK(captured["result"]["name"] == "cplugin");
  CHECK(captured["result"]["commands"].size() == 4);
  r = probe(root.path(), {"call", "help", "nosuch"});
  captured = json::parse(r.out.substr(0, r.out.find('\n')));
  CHECK(captured["status"] == 3);
  CHECK_THAT(captured["error"].get<std::string>(), Contains("not installed"));
  write_text(root / "srv/old-sc", "PROBE_TEXT='it'\\''s imported'\nPROBE_INT='42'\nFOREIGN='kept'\n");
  r = probe(root.path(), {"call", "settings", "import", "/srv/old-sc"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("PROBE_INT") && Contains("maximum 10"));  // invalid values are not imported
  CHECK(probe(root.path(), {"get", "PROBE_TEXT"}).out == "it's imported\n");
  CHECK(probe(root.path(), {"get", "PROBE_INT"}).out == "5\n");
  CHECK_THAT(read_text(root / "etc/sc"), Contains("FOREIGN=\"kept\""));
}
