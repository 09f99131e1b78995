// A plugin built against the frozen ABI 1.0 headers (tests/abi/abi10, from
// tests/abi/plugin-1.0) keeps loading and running in the current core,
// whatever 1.x minor the current headers describe.
#include <sc/plugin.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstddef>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using json = nlohmann::json;

namespace {

/// Built by tests/abi/CMakeLists.txt with the frozen headers.
const char* const kAbi10Dir = SC_ABI10_DIR;

ScRun abi10(const fs::path& root, std::vector<std::string> args) {
  std::vector<std::string> all = {"--plugin-path", kAbi10Dir, "--root", root.string()};
  all.insert(all.end(), args.begin(), args.end());
  return run_sc(all);
}

}  // namespace

TEST_CASE("a 1.0 plugin is listed as loadable by the current core", "[abi][abi10]") {
  TempDir root;
  ScRun r = abi10(root.path(), {"--json", "plugins"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  json list = json::parse(r.out)["result"];
  REQUIRE(list.size() == 1);
  CHECK(list[0]["name"] == "abi10");
  CHECK(list[0]["state"] == "loaded-ok");
  CHECK_FALSE(list[0].contains("reason"));
}

TEST_CASE("a 1.0 plugin runs commands, with arguments and errors", "[abi][abi10]") {
  TempDir root;
  ScRun r = abi10(root.path(), {"abi10", "hello", "wörld; $(x)"});
  CHECK(r.status == 0);
  CHECK(r.out == "hello wörld; $(x) from an ABI 1.0 plugin\n");
  r = abi10(root.path(), {"abi10", "hello"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("missing argument; usage: sc abi10 hello NAME"));
  r = abi10(root.path(), {"abi10", "fail"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("abi10: refused on purpose"));
}

TEST_CASE("a 1.0 plugin sees a host table at least as large as its own", "[abi][abi10]") {
  TempDir root;
  ScRun r = abi10(root.path(), {"--json", "abi10", "host"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  json res = json::parse(r.out)["result"];
  CHECK(res["host_abi"] == std::to_string(SC_ABI_MAJOR) + "." + std::to_string(SC_ABI_MINOR));
  CHECK(res["host_api_size"] == sizeof(sc_host_api));  // the current header's table
  // The 1.0 table ends with `ask`.
  CHECK(res["plugin_api_size"] == offsetof(sc_host_api, ask) + sizeof(void (*)()));
  CHECK(res["host_api_size"].get<std::size_t>() >= res["plugin_api_size"].get<std::size_t>());
  CHECK(res["has_ask"] == true);
  CHECK(res["call_size"] == sizeof(sc_call));
}

TEST_CASE("a 1.0 plugin's file actions honour --dry-run and --root", "[abi][abi10]") {
  TempDir root;
  const std::string before = tree_hash(root.path());
  ScRun r = abi10(root.path(), {"--dry-run", "abi10", "write"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(tree_hash(root.path()) == before);

  r = abi10(root.path(), {"--set", "ABI10_TEXT=from --set", "abi10", "write"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(read_text(root / "etc/abi10.conf") == "from --set\n");
  struct stat st {};
  REQUIRE(::stat((root / "etc/abi10.conf").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);

  r = abi10(root.path(), {"--json", "abi10", "write"});
  REQUIRE(r.status == 0);
  CHECK(read_text(root / "etc/abi10.conf") == "written by a 1.0 plugin\n");
  r = abi10(root.path(), {"--json", "abi10", "write"});
  CHECK(json::parse(r.out)["summary"]["changed"] == 0);
}

TEST_CASE("a 1.0 plugin runs programs and answers hooks", "[abi][abi10]") {
  TempDir root;
  ScRun r = abi10(root.path(), {"--dry-run", "abi10", "echo", "a b", "c"});  // read-only: runs under --dry-run
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("a b c\n"));
  r = abi10(root.path(), {"abi10", "files"});
  CHECK(r.status == 0);
  CHECK(r.out == "/etc/abi10.conf\n");
}
