// Discovery and loading, driven through the real `sc` binary with the
// fixture plugins (tests/fixtures): every refusal names the module, the file,
// the reason and the fix, and never takes another module down.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

namespace {

ScRun fx(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"--plugin-path", kFixtureDir};
  all.insert(all.end(), args.begin(), args.end());
  return run_sc(all);
}

struct Refusal {
  const char* module;
  const char* reason;
  const char* fix;
};

}  // namespace

TEST_CASE("each broken plugin is refused with module, file, reason and fix", "[loader]") {
  const Refusal cases[] = {
      {"malformed", "not valid JSON", "fix the syntax"},
      {"missing-field", "\"library\": missing", "add \"library\""},
      {"format-major", "format 2.0 is not supported", "upgrade sc"},
      {"no-library", "cannot open the library", "reinstall the module (package synccluster-plugin-no-library)"},
      {"not-elf", "not an ELF shared library", "reinstall"},
      {"undefined-symbol", "undefined symbol: sc_fixture_function_that_does_not_exist", "libraries it needs"},
      {"no-entry", "does not export sc_plugin_entry", "rebuild it with the sc SDK"},
      {"entry-null", "sc_plugin_entry returned NULL", "documentation"},
      {"bad-magic", "bad descriptor magic 0xdeadbeef", "reinstall"},
      {"abi-major-high", "built for ABI 2.", "upgrade sc"},
      {"abi-major-low", "built for ABI 0.", "rebuild or upgrade the module for ABI 1"},
      {"manifest-abi-high", "declares ABI 2.0", "upgrade sc"},
      {"minor-newer", "newer than this sc's ABI", "upgrade sc"},
      {"struct-larger", "is larger than ABI", "rebuild the module"},
      {"name-mismatch", "the library is someone-else 1.0.0", "same version"},
      {"version-mismatch", "the library is version-mismatch 9.9.9", "half-upgraded"},
      {"needs-missing", "needs-missing -> not-installed: module \"not-installed\" is not installed", "install it"},
      {"cycle-a", "dependency cycle: cycle-a -> cycle-b -> cycle-a", "remove one of these"},
  };
  for (const auto& c : cases) {
    INFO("fixture " << c.module);
    ScRun r = fx({c.module, "hello"});
    CHECK(r.status == 3);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Contains(c.module));
    CHECK_THAT(r.err, Contains(std::string(kFixtureDir)));
    CHECK_THAT(r.err, Contains(c.reason));
    CHECK_THAT(r.err, Contains(c.fix));
  }
}

TEST_CASE("good plugins keep working beside the broken ones", "[loader]") {
  ScRun r = fx({"cplugin", "greet", "world"});
  CHECK(r.status == 0);
  CHECK(r.out == "hello, world\n");
  r = fx({"cplugin", "inited"});
  CHECK(r.out == "init ran\n");
  r = fx({"struct-smaller", "hello"});  // an older, smaller descriptor is accepted
  CHECK(r.status == 0);
  CHECK(r.out == "hello from struct-smaller\n");
  r = fx({"probe", "print", "still here"});
  CHECK(r.status == 0);
  CHECK(r.out == "still here\n");
}

TEST_CASE("a plain C plugin returns structured results", "[loader][abi]") {
  ScRun r = fx({"--json", "cplugin", "args", "a b", "it's", "x\"y", "ü"});
  REQUIRE(r.status == 0);
  auto doc = nlohmann::json::parse(r.out);
  CHECK(doc["result"] == nlohmann::json::array({"a b", "it's", "x\"y", "ü"}));
  CHECK(doc["status"] == 0);
  r = fx({"cplugin", "fail"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("cplugin failed on purpose"));
  r = fx({"cplugin", "greet"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("usage: sc cplugin greet NAME"));
}

TEST_CASE("sc help and sc MODULE help open no library", "[loader]") {
  // abort-ctor aborts as soon as its library is opened.
  ScRun r = fx({"help"});
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("abort-ctor") && Contains("a library constructor that aborts"));
  CHECK_THAT(r.out, Contains("malformed") && Contains("unusable"));
  r = fx({"abort-ctor", "help"});
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("sc abort-ctor 1.0.0") && Contains("hello"));
  r = fx({"abort-ctor", "hello", "--help"});
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("Usage: sc abort-ctor hello"));
  r = fx({"--json", "help"});
  CHECK(r.status == 0);
  CHECK(nlohmann::json::parse(r.out)["result"]["modules"].size() > 20);
}

TEST_CASE("a crash is reported by module name", "[loader]") {
  ScRun r = fx({"crashes", "crash"});
  CHECK(r.status == 128 + SIGSEGV);
  CHECK_THAT(r.err, Contains("module crashes crashed with SIGSEGV") && Contains("while crash") &&
                        Contains("synccluster-plugin-crashes"));
  r = fx({"abort-ctor", "hello"});
  CHECK(r.status == 128 + SIGABRT);
  CHECK_THAT(r.err, Contains("module abort-ctor crashed with SIGABRT") && Contains("while loading"));
}

TEST_CASE("exceptions stop at the C++ layer", "[loader][abi]") {
  ScRun r = fx({"throws", "boom"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("boom: the fixture threw on purpose"));
  r = fx({"throws", "odd"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("unknown exception"));
  r = fx({"throws", "hello"});
  CHECK(r.status == 0);
}

TEST_CASE("an exception escaping a plain C ABI plugin names the module", "[loader][abi]") {
  ScRun r = fx({"rawthrow", "boom"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("module rawthrow: boom: a C++ exception escaped the module (raw boom)"));
  CHECK_THAT(r.err, !Contains("internal error"));
  CHECK(fx({"rawthrow", "hello"}).out == "hello from rawthrow\n");
}

TEST_CASE("an init error that fills its whole buffer is cut at the buffer", "[loader][abi]") {
  ScRun r = fx({"init-full-error", "hello"});
  CHECK(r.status == 3);
  // 1023 bytes of the plugin's 1024-byte buffer, then sc's own text:
  // nothing read past the buffer.
  CHECK_THAT(r.err, Contains("initialisation failed: " + std::string(1023, 'E') + "; see the module's documentation"));
}

TEST_CASE("control characters of a manifest are escaped in help", "[loader][help]") {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"help"}, {"esc-summary", "help"}}) {
    ScRun r = fx(args);
    CHECK(r.status == 0);
    CHECK_THAT(r.out, Contains("fixture: \\e[2Jclears the screen\\x07"));
    CHECK(r.out.find('\x1b') == std::string::npos);
    CHECK(r.out.find('\x07') == std::string::npos);
  }
  // --json keeps the text as it is (JSON escapes it).
  auto doc = nlohmann::json::parse(fx({"--json", "esc-summary", "help"}).out);
  CHECK(doc["result"]["summary"] == "fixture: \x1b[2Jclears the screen\x07");
}

TEST_CASE("sc plugins lists every plugin with its state and reason", "[loader]") {
  ScRun r = fx({"--json", "plugins"});
  CHECK(r.status == 1);  // some fixtures are refused: like a status check
  auto doc = nlohmann::json::parse(r.out);
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& p : doc["result"]) by_name[p["name"]] = p;
  CHECK(by_name["cplugin"]["state"] == "loaded-ok");
  CHECK(by_name["cplugin"]["version"] == "1.2.3");
  CHECK(by_name["probe"]["state"] == "not-ready");
  CHECK(by_name["struct-smaller"]["state"] == "loaded-ok");
  for (const char* refused :
       {"malformed", "missing-field", "format-major", "no-library", "not-elf", "undefined-symbol", "no-entry",
        "entry-null", "bad-magic", "abi-major-high", "abi-major-low", "minor-newer", "struct-larger", "name-mismatch",
        "version-mismatch", "needs-missing", "cycle-a", "abort-ctor"}) {
    INFO(refused);
    CHECK(by_name[refused]["state"] == "refused");
    CHECK_FALSE(by_name[refused]["reason"].get<std::string>().empty());
  }
  CHECK_THAT(by_name["abort-ctor"]["reason"].get<std::string>(), Contains("crashed with signal 6"));
  r = fx({"plugins"});
  CHECK_THAT(r.out, Contains("cplugin       1.2.3  loaded-ok"));
  r = fx({"plugins", "--no-load"});
  CHECK_THAT(r.out, Contains("abort-ctor    1.0.0  found"));
  // Only usable modules: status 0.
  TempDir good;
  for (const char* f : {"cplugin.json", "cplugin.so"}) fs::copy_file(fs::path(kFixtureDir) / f, good / f);
  CHECK(run_sc({"--plugin-path", good.path().string(), "plugins"}).status == 0);
}

TEST_CASE("a directory given with --add-plugin-path is searched first, then the rest", "[loader]") {
  // A module under development (probe-dep) that requires one installed
  // elsewhere (probe, in the fixtures' directory).
  TempDir dev;
  for (const char* f : {"probe-dep.json", "probe-dep.so"}) fs::copy_file(fs::path(kFixtureDir) / f, dev / f);
  ScRun r = run_sc({"--add-plugin-path", dev.path().string(), "--plugin-path", kFixtureDir, "--set", "PROBE_TEXT=t",
                    "probe-dep", "getprobe"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "t\n");
  // The copy in the added directory is the one used: the other is shadowed.
  r = run_sc(
      {"--add-plugin-path", dev.path().string(), "--plugin-path", kFixtureDir, "--json", "plugins", "--no-load"});
  const auto listed = nlohmann::json::parse(r.out);
  bool first = false;
  for (const auto& m : listed["result"])
    if (m["name"] == "probe-dep") first = m["manifest"] == (dev / "probe-dep.json").string();
  CHECK(first);
  // --plugin-path alone replaces the path: the refusal says so.
  r = run_sc({"--plugin-path", dev.path().string(), "probe-dep", "getprobe"});
  CHECK(r.status == 3);
  CHECK_THAT(r.err, Contains("no probe.json in " + dev.path().string()) && Contains("--plugin-path") &&
                        Contains("--add-plugin-path"));
}

TEST_CASE("a hook the library lacks names the table to fix", "[loader]") {
  TempDir dir;
  fs::copy_file(fs::path(kFixtureDir) / "cplugin.so", dir / "cplugin.so");
  std::string manifest = read_text(fs::path(kFixtureDir) / "cplugin.json");
  const auto brace = manifest.rfind('}');
  manifest.insert(brace, ", \"hooks\": [\"files\"]\n");
  write_text(dir / "cplugin.json", manifest);
  ScRun r = run_sc({"--plugin-path", dir.path().string(), "cplugin", "greet", "x"});
  CHECK(r.status == 3);
  CHECK_THAT(r.err, Contains("declares hook \"files\" but the library's command table") &&
                        Contains("greet, args, fail, inited") && Contains("SC_PLUGIN(...)"));
}

TEST_CASE("unsafe plugin files are refused", "[loader][security]") {
  TempDir dir;
  auto copy = [&](const std::string& name) {
    for (const char* ext : {".json", ".so"}) fs::copy_file(fs::path(kFixtureDir) / (name + ext), dir / (name + ext));
  };
  copy("cplugin");
  fs::permissions(dir.path(), fs::perms(0755));
  std::vector<std::string> base = {"--plugin-path", dir.path().string(), "cplugin", "greet", "x"};
  CHECK(run_sc(base).status == 0);

  SECTION("world-writable library") {
    fs::permissions(dir / "cplugin.so", fs::perms(0757));
    ScRun r = run_sc(base);
    CHECK(r.status == 3);
    CHECK_THAT(r.err,
               Contains((dir / "cplugin.so").string()) && Contains("writable by everyone") && Contains("chmod go-w"));
  }
  SECTION("group-writable manifest") {
    fs::permissions(dir / "cplugin.json", fs::perms(0664));
    ScRun r = run_sc(base);
    CHECK(r.status == 3);
    CHECK_THAT(r.err, Contains("cplugin.json") && Contains("writable by its group"));
  }
  SECTION("world-writable directory") {
    fs::permissions(dir.path(), fs::perms(0777));
    ScRun r = run_sc(base);
    CHECK(r.status == 3);
    CHECK_THAT(r.err, Contains("directory " + dir.path().string() + " (holding the manifest " +
                               (dir / "cplugin.json").string() + ") is writable by everyone"));
  }
  SECTION("symlinks are checked where they lead") {
    // A trusted directory of links to files in a directory anyone may
    // write to: whoever writes there could replace the plugin.
    TempDir links;
    fs::permissions(links.path(), fs::perms(0755));
    fs::permissions(dir.path(), fs::perms(0777));
    for (const char* f : {"cplugin.json", "cplugin.so"}) fs::create_symlink(dir / f, links / f);
    ScRun r = run_sc({"--plugin-path", links.path().string(), "cplugin", "greet", "x"});
    CHECK(r.status == 3);
    CHECK_THAT(r.err, Contains("directory " + dir.path().string()) && Contains("writable by everyone"));
    // The same links to a trusted directory are fine.
    fs::permissions(dir.path(), fs::perms(0755));
    CHECK(run_sc({"--plugin-path", links.path().string(), "cplugin", "greet", "x"}).status == 0);
    // A link that lies in an untrusted directory is refused too.
    fs::permissions(links.path(), fs::perms(0777));
    r = run_sc({"--plugin-path", links.path().string(), "cplugin", "greet", "x"});
    CHECK(r.status == 3);
    CHECK_THAT(r.err, Contains("directory " + links.path().string()) && Contains("writable by everyone"));
  }
  if (::geteuid() == 0) {
    SECTION("library not owned by root") {
      REQUIRE(::chown((dir / "cplugin.so").c_str(), 4242, 4242) == 0);
      ScRun r = run_sc(base);
      CHECK(r.status == 3);
      CHECK_THAT(r.err, Contains("owned by uid 4242") && Contains("chown root"));
    }
  }
  SECTION("the same name later in the search path is shadowed, with a warning") {
    TempDir second;
    fs::copy_file(fs::path(kFixtureDir) / "cplugin.json", second / "cplugin.json");
    fs::copy_file(fs::path(kFixtureDir) / "cplugin.so", second / "cplugin.so");
    ScRun r = run_sc(
        {"--plugin-path", dir.path().string(), "--plugin-path", second.path().string(), "cplugin", "greet", "x"});
    CHECK(r.status == 0);
    CHECK_THAT(r.err, Contains("shadowed by " + (dir / "cplugin.json").string()));
  }
}

namespace {
std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}
}  // namespace

TEST_CASE("a shadowed module is reported by sc plugins and once per run by a command using it", "[loader]") {
  // Every fixture installed twice, as a machine with a packaged and a
  // local copy of each module.
  TempDir second;
  fs::copy(kFixtureDir, second.path(), fs::copy_options::recursive);
  const std::vector<std::string> path = {"--plugin-path", kFixtureDir, "--plugin-path", second.path().string()};
  auto with_path = [&](std::vector<std::string> args) {
    args.insert(args.begin(), path.begin(), path.end());
    return run_sc(args);
  };
  const std::string hidden = (second / "cplugin.json").string();

  // A command warns about the modules it loads, each once; not about others.
  ScRun r = with_path({"--set", "PROBE_TEXT=t", "probe-dep", "getprobe"});
  INFO(r.err);
  CHECK(count_of(r.err, "module probe-dep: " + (second / "probe-dep.json").string() + " is shadowed") == 1);
  CHECK(count_of(r.err, "module probe: " + (second / "probe.json").string() + " is shadowed") == 1);
  CHECK(count_of(r.err, "shadowed") == 2);
  r = with_path({"cplugin", "greet", "x"});
  CHECK(r.status == 0);
  CHECK(count_of(r.err, "shadowed") == 1);
  CHECK(r.out == "hello, x\n");

  // Reading manifests is not using a module: no warning.
  r = with_path({"help"});
  CHECK(count_of(r.err, "shadowed") == 0);

  // sc plugins lists each shadowed copy with the module.
  r = with_path({"plugins"});
  CHECK_THAT(r.out, Contains("shadowed, never used: " + hidden));
  CHECK(count_of(r.err, "shadowed") == 0);
  r = with_path({"--json", "plugins"});
  auto doc = nlohmann::json::parse(r.out);
  bool listed = false;
  for (const auto& m : doc["result"])
    if (m["name"] == "cplugin") listed = m["shadowed"] == nlohmann::json::array({hidden});
  CHECK(listed);
}

TEST_CASE("unknown modules and commands are usage errors", "[cli]") {
  ScRun r = fx({"nosuch", "hello"});
  CHECK(r.status == 3);
  CHECK_THAT(r.err, Contains("module \"nosuch\" is not installed") && Contains("synccluster-plugin-nosuch"));
  r = fx({"cplugin", "nosuch"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("has no command \"nosuch\"") && Contains("greet, args, fail, inited"));
  r = fx({"cplugin"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("missing command"));
  for (const auto& hostile : hostile_strings()) {
    r = fx({hostile, "hello"});
    CHECK(r.status != 0);
  }
  r = fx({"../probe", "print", "x"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("is not a module name"));
  r = run_sc({});
  CHECK(r.status == 2);
  r = run_sc({"--no-such-option"});
  CHECK(r.status == 2);
  r = run_sc({"--root"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("--root needs a value"));
  r = run_sc({"--root", "/nonexistent/dir", "help"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("not a directory"));
  r = run_sc({"--set", "lower=x", "help"});
  CHECK(r.status == 2);
  r = run_sc({"--version"});
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("plugin ABI 1."));
}
