#include "common/conf_snippet.hpp"

#include <catch2/catch.hpp>
#include <sc/testing.hpp>

namespace cs = plugin_common::conf_snippet;
using Catch::Contains;

namespace {

// What the commands under test do: one add, has or remove of a snippet.
cs::Server g_server = cs::Server::apache;
std::string g_name;
std::string g_text;
bool g_result = false;

template <typename F>
int guarded(const sc_call* call, F&& body) {
  sc::Context ctx(call);
  try {
    g_result = body(ctx);
    return SC_OK;
  } catch (const sc::Usage& e) {
    std::snprintf(call->error, call->error_size, "%s", e.what());
    return SC_USAGE;
  } catch (const sc::Failure& e) {
    std::snprintf(call->error, call->error_size, "%s", e.what());
    return SC_FAIL;
  }
}

int add_command(const sc_call* call) {
  return guarded(call, [](const sc::Context& ctx) { return cs::add(ctx, g_server, g_name, g_text); });
}
int has_command(const sc_call* call) {
  return guarded(call, [](const sc::Context& ctx) { return cs::has(ctx, g_server, g_name); });
}
int remove_command(const sc_call* call) {
  return guarded(call, [](const sc::Context& ctx) { return cs::remove(ctx, g_server, g_name); });
}

bool is_apache_check(const sc::testing::Run& r) {
  return r.argv == std::vector<std::string>{"apache2ctl", "-t"};
}

void apache_dirs(sc::testing::Host& h) {
  for (const char* d : {"/etc", "/etc/apache2", "/etc/apache2/conf-available", "/etc/apache2/conf-enabled"})
    h.dirs[d] = 0755;
}

const char* const kAvailable = "/etc/apache2/conf-available/sc_roundcube.conf";
const char* const kEnabled = "/etc/apache2/conf-enabled/sc_roundcube.conf";

}  // namespace

TEST_CASE("conf_snippet: an Apache snippet is written, enabled as a2enconf does, checked once",
          "[common][conf_snippet]") {
  sc::testing::Host h;
  apache_dirs(h);
  g_server = cs::Server::apache;
  g_name = "roundcube";
  g_text = "Alias /mail /usr/share/roundcube\n";
  REQUIRE(h.run(add_command, "x") == SC_OK);
  CHECK(g_result);
  CHECK(h.files[kAvailable].data == g_text);
  CHECK(h.links[kEnabled] == "../conf-available/sc_roundcube.conf");
  REQUIRE(h.runs.size() == 1);
  CHECK(is_apache_check(h.runs[0]));
  REQUIRE(h.run(has_command, "x") == SC_OK);
  CHECK(g_result);

  SECTION("the same snippet again changes and checks nothing") {
    h.runs.clear();
    REQUIRE(h.run(add_command, "x") == SC_OK);
    CHECK_FALSE(g_result);
    CHECK(h.runs.empty());
  }
  SECTION("a link the administrator pointed elsewhere is put back") {
    h.links[kEnabled] = "/tmp/other.conf";
    h.runs.clear();
    REQUIRE(h.run(add_command, "x") == SC_OK);
    CHECK(g_result);
    CHECK(h.links[kEnabled] == "../conf-available/sc_roundcube.conf");
  }
  SECTION("remove takes the file and its link away") {
    REQUIRE(h.run(remove_command, "x") == SC_OK);
    CHECK(g_result);
    CHECK(h.files.count(kAvailable) == 0);
    CHECK(h.links.count(kEnabled) == 0);
    REQUIRE(h.run(has_command, "x") == SC_OK);
    CHECK_FALSE(g_result);
    REQUIRE(h.run(remove_command, "x") == SC_OK);
    CHECK_FALSE(g_result);
  }
}

TEST_CASE("conf_snippet: a snippet Apache refuses leaves nothing behind, a refused change the old one",
          "[common][conf_snippet]") {
  sc::testing::Host h;
  apache_dirs(h);
  g_server = cs::Server::apache;
  g_name = "roundcube";
  h.on_run = [](const sc::testing::Run& r, std::string* out) {
    if (!is_apache_check(r)) return 0;
    *out = "AH00526: Syntax error on line 1 of /etc/apache2/conf-enabled/sc_roundcube.conf\n";
    return 1;
  };
  g_text = "Bogus\n";
  REQUIRE(h.run(add_command, "x") == SC_FAIL);
  CHECK_THAT(h.error, Contains("AH00526"));
  CHECK(h.files.count(kAvailable) == 0);
  CHECK(h.links.count(kEnabled) == 0);

  h.files[kAvailable].data = "Alias /mail /usr/share/roundcube\n";
  h.links[kEnabled] = "../conf-available/sc_roundcube.conf";
  REQUIRE(h.run(add_command, "x") == SC_FAIL);
  CHECK(h.files[kAvailable].data == "Alias /mail /usr/share/roundcube\n");
  CHECK(h.links[kEnabled] == "../conf-available/sc_roundcube.conf");
  // A removal the checker refuses (another conf needs it) is undone too.
  REQUIRE(h.run(remove_command, "x") == SC_FAIL);
  CHECK(h.files[kAvailable].data == "Alias /mail /usr/share/roundcube\n");
  CHECK(h.links[kEnabled] == "../conf-available/sc_roundcube.conf");
}

TEST_CASE("conf_snippet: an nginx location goes to sc-locations, its directory made", "[common][conf_snippet]") {
  sc::testing::Host h;
  h.dirs["/etc"] = 0755;
  h.dirs["/etc/nginx"] = 0755;
  g_server = cs::Server::nginx;
  g_name = "cloud";
  g_text = "location /cloud/ { proxy_pass http://127.0.0.1:8080; }\n";
  REQUIRE(h.run(add_command, "x") == SC_OK);
  CHECK(g_result);
  CHECK(h.dirs.count("/etc/nginx/sc-locations") == 1);
  CHECK(h.files["/etc/nginx/sc-locations/cloud.conf"].data == g_text);
  REQUIRE(h.runs.size() == 1);
  CHECK(h.runs[0].argv == std::vector<std::string>{"nginx", "-t", "-q"});
}

TEST_CASE("conf_snippet: a name that is not a plain file name is refused, nothing written", "[common][conf_snippet]") {
  g_text = "x\n";
  const std::vector<std::string> bad_names = {
      "",     "../etc", "a/b",         "a b", "a;b", "$(id)", "a'b",
      "a\"b", "a\nb",   "caf\xc3\xa9", "-rf", "_x",  "Upper", std::string(65, 'a')};
  for (const std::string& bad : bad_names) {
    for (cs::Server server : {cs::Server::apache, cs::Server::nginx}) {
      sc::testing::Host h;
      apache_dirs(h);
      g_server = server;
      g_name = bad;
      INFO(bad);
      REQUIRE(h.run(add_command, "x") == SC_USAGE);
      CHECK_THAT(h.error, Contains("invalid snippet name"));
      CHECK(h.files.empty());
      CHECK(h.runs.empty());
    }
  }
  CHECK_NOTHROW(cs::check_name("roundcube"));
  CHECK_NOTHROW(cs::check_name("web-app_2"));
}
