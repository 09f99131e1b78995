// hostconf's commands against sc/testing.hpp's in-memory host (the SDK's
// test host): the wiring of each command, without sc or a root tree. The
// generated texts are the pure functions' (tested in hostconf_test.cpp).
#include <catch2/catch.hpp>
#include <sc/testing.hpp>

#include "../hosts_file.hpp"

TEST_CASE("hostconf setfqdn writes hostname and hosts, and renames the running host", "[hostconf][testhost]") {
  sc::testing::Host host;
  host.mode = SC_MODE_ROOTED;  // no running kernel to ask for its name
  host.dirs["/etc"] = 0755;
  host.files["/etc/hosts"] = {"127.0.0.1\tlocalhost\n"};
  REQUIRE(host.run(sc_plugin_entry(), "setfqdn", {"Node1.Example.com"}) == SC_OK);
  CHECK(host.files["/etc/hostname"].data == hostconf::hostname_file("node1.example.com"));
  CHECK(host.files["/etc/hosts"].data == hostconf::set_hosts_entry("127.0.0.1\tlocalhost\n", "node1.example.com"));
  REQUIRE(host.runs.size() == 1);
  CHECK(host.runs[0].argv == std::vector<std::string>{"hostname", "node1"});
  CHECK((host.runs[0].flags & SC_RUN_LIVE) != 0);
  // Again: the files are as they should be.
  host.actions.clear();
  REQUIRE(host.run(sc_plugin_entry(), "setfqdn", {"node1.example.com"}) == SC_OK);
  CHECK(host.actions[0] == "ok: write /etc/hostname");
  CHECK(host.actions[1] == "ok: write /etc/hosts");
}

TEST_CASE("hostconf refuses a bad name before writing anything", "[hostconf][testhost]") {
  sc::testing::Host host;
  host.mode = SC_MODE_ROOTED;
  host.dirs["/etc"] = 0755;
  for (const char* bad : {"no_domain", "a;b.example.com", "-x.example.com", ""}) {
    INFO(bad);
    CHECK(host.run(sc_plugin_entry(), "setfqdn", {bad}) == SC_USAGE);
    CHECK_FALSE(host.error.empty());
  }
  CHECK(host.actions.empty());
  CHECK(host.files.empty());
}

TEST_CASE("hostconf fqdn, host and domain print the stored name", "[hostconf][testhost]") {
  sc::testing::Host host;
  CHECK(host.run(sc_plugin_entry(), "fqdn") == SC_FAIL);
  CHECK_THAT(host.error, Catch::Contains("sc hostconf setup"));
  host.settings["FQDN"] = "node1.example.com";
  REQUIRE(host.run(sc_plugin_entry(), "host") == SC_OK);
  REQUIRE(host.run(sc_plugin_entry(), "domain") == SC_OK);
  REQUIRE(host.run(sc_plugin_entry(), "fqdn") == SC_OK);
  CHECK(host.output == "node1\nexample.com\nnode1.example.com\n");
  CHECK(host.result == "\"node1.example.com\"");
}
