#include "common/checked_config.hpp"

#include <catch2/catch.hpp>
#include <sc/testing.hpp>

namespace cc = plugin_common::checked_config;
using Catch::Contains;

namespace {

// What the command under test does: one install of these files.
std::vector<cc::File> g_files;
bool g_changed = false;

int install_command(const sc_call* call) {
  sc::Context ctx(call);
  try {
    g_changed = cc::install(ctx, cc::nginx(), g_files);
    return SC_OK;
  } catch (const sc::Failure& e) {
    std::snprintf(call->error, call->error_size, "%s", e.what());
    return SC_FAIL;
  }
}

bool is_check(const sc::testing::Run& r) {
  return r.argv == std::vector<std::string>{"nginx", "-t", "-q"};
}

}  // namespace

TEST_CASE("checked_config: a configuration the checker accepts is installed", "[common][checked_config]") {
  sc::testing::Host h;
  h.dirs["/etc"] = 0755;
  h.dirs["/etc/nginx"] = 0755;
  h.files["/etc/nginx/old.conf"].data = "old\n";
  g_files = {{"/etc/nginx/old.conf", "new\n"}, {"/etc/nginx/added.conf", "added\n"}};
  REQUIRE(h.run(install_command, "x") == SC_OK);
  CHECK(g_changed);
  CHECK(h.files["/etc/nginx/old.conf"].data == "new\n");
  CHECK(h.files["/etc/nginx/added.conf"].data == "added\n");
  REQUIRE(h.runs.size() == 1);
  CHECK(is_check(h.runs[0]));

  SECTION("a second run changes nothing and checks nothing") {
    h.runs.clear();
    REQUIRE(h.run(install_command, "x") == SC_OK);
    CHECK_FALSE(g_changed);
    CHECK(h.runs.empty());
  }
}

TEST_CASE("checked_config: a refused configuration is never left in place", "[common][checked_config]") {
  sc::testing::Host h;
  h.dirs["/etc"] = 0755;
  h.dirs["/etc/nginx"] = 0755;
  h.files["/etc/nginx/old.conf"].data = "old\n";
  h.files["/etc/nginx/old.conf"].mode = 0640;
  h.on_run = [](const sc::testing::Run& r, std::string* out) {
    if (is_check(r)) *out = "nginx: [emerg] unknown directive \"bogus\" in /etc/nginx/old.conf:1\n";
    return is_check(r) ? 1 : 0;
  };
  g_files = {{"/etc/nginx/old.conf", "bogus;\n"}, {"/etc/nginx/added.conf", "added\n"}};
  REQUIRE(h.run(install_command, "x") == SC_FAIL);
  CHECK_THAT(h.error, Contains("unknown directive \"bogus\""));
  CHECK_THAT(h.error, Contains("previous configuration is back"));
  CHECK(h.files["/etc/nginx/old.conf"].data == "old\n");
  CHECK(h.files["/etc/nginx/old.conf"].mode == 0640);
  CHECK(h.files.count("/etc/nginx/added.conf") == 0);
}

TEST_CASE("checked_config: --dry-run writes nothing and runs no checker", "[common][checked_config]") {
  sc::testing::Host h;
  h.mode = SC_MODE_DRY_RUN;
  h.dirs["/etc"] = 0755;
  h.dirs["/etc/nginx"] = 0755;
  g_files = {{"/etc/nginx/added.conf", "added\n"}};
  REQUIRE(h.run(install_command, "x") == SC_OK);
  CHECK(g_changed);
  CHECK(h.files.count("/etc/nginx/added.conf") == 0);
  CHECK(h.runs.empty());
}
