#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../daemon_unit.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

namespace {

// The exact unit for MODULE daemon ARGS, written out in full for `lifeline`
// and `portforward nas.example.com`.
std::string expected_unit(const std::string& args, const std::string& description) {
  return "# Written by `sc daemon add " + args + "`; remove it with `sc daemon del " + args + "`.\n" +
         "[Unit]\n"
         "Description=" +
         description + "\n" +
         "Wants=network-online.target\n"
         "After=network-online.target\n"
         "# Never give up restarting: no start-rate limit.\n"
         "StartLimitIntervalSec=0\n"
         "\n"
         "[Service]\n"
         "ExecStart=" +
         built_sc_path() + " " + (args == "lifeline" ? "lifeline daemon" : "portforward daemon nas.example.com") +
         "\n" +
         "Restart=always\n"
         "RestartSec=10\n"
         "\n"
         "[Install]\n"
         "WantedBy=multi-user.target\n";
}

}  // namespace

TEST_CASE("daemon: unit names and text", "[daemon]") {
  CHECK(daemon_unit::unit_name("lifeline", "") == "sc_daemon_lifeline.service");
  CHECK(daemon_unit::unit_name("portforward", "nas.example.com") == "sc_daemon_portforward_nas.example.com.service");
  std::string m, i;
  CHECK(daemon_unit::parse_unit_name("sc_daemon_portforward_nas.example.com.service", &m, &i));
  CHECK(m == "portforward");
  CHECK(i == "nas.example.com");
  CHECK(daemon_unit::parse_unit_name("sc_daemon_wstunnel.service", &m, &i));
  CHECK(m == "wstunnel");
  CHECK(i.empty());
  CHECK(daemon_unit::parse_unit_name("sc_daemon_x_a_b.service", &m, &i));
  CHECK(i == "a_b");
  for (const char* bad : {"sc_daemon_.service", "sc_daemon_Bad.service", "sc_boot_x.service", "sc_daemon_x.timer",
                          "sc_daemon_x_.service", "sc_daemon_x_-y.service", "sc_daemon_x.service.d"})
    CHECK_FALSE(daemon_unit::parse_unit_name(bad, nullptr, nullptr));
  for (const char* ok : {"nas", "nas.example.com", "host-1", "A1_b"}) CHECK(daemon_unit::valid_instance(ok));
  for (const char* bad : {"", "-x", ".x", "a b", "a/b", "a%b", "a$b", "a@b", "a\\b"})
    CHECK_FALSE(daemon_unit::valid_instance(bad));
  CHECK(daemon_unit::unit_file("/usr/local/sbin/sc", "portforward", "nas") ==
        "# Written by `sc daemon add portforward nas`; remove it with `sc daemon del portforward nas`.\n"
        "[Unit]\n"
        "Description=sc module portforward daemon (nas)\n"
        "Wants=network-online.target\n"
        "After=network-online.target\n"
        "# Never give up restarting: no start-rate limit.\n"
        "StartLimitIntervalSec=0\n"
        "\n"
        "[Service]\n"
        "ExecStart=/usr/local/sbin/sc portforward daemon nas\n"
        "Restart=always\n"
        "RestartSec=10\n"
        "\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n");
}

TEST_CASE("daemon add, has, list and del under --root", "[daemon]") {
  TempDir root;
  fs::create_directories(root / "etc");
  const std::string before = tree_hash(root.path());
  ScRun r = run_sc_rooted(root.path(), {"--dry-run", "daemon", "add", "lifeline"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("would change: write /etc/systemd/system/sc_daemon_lifeline.service"));
  CHECK_THAT(r.err, Contains("would change: symlink /etc/systemd/system/multi-user.target.wants/"
                             "sc_daemon_lifeline.service"));
  CHECK_THAT(r.err, Contains("would run: systemctl restart sc_daemon_lifeline.service"));
  CHECK(tree_hash(root.path()) == before);

  r = run_sc_rooted(root.path(), {"--json", "daemon", "add", "lifeline"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(run_actions(r) == std::vector<std::string>{"systemctl daemon-reload recorded",
                                                   "systemctl restart sc_daemon_lifeline.service recorded"});
  const fs::path unit = root / "etc/systemd/system/sc_daemon_lifeline.service";
  CHECK(read_text(unit) == expected_unit("lifeline", "sc module lifeline daemon"));
  CHECK((fs::status(unit).permissions() & fs::perms::all) == fs::perms(0644));
  CHECK(fs::read_symlink(root / "etc/systemd/system/multi-user.target.wants/sc_daemon_lifeline.service") ==
        "/etc/systemd/system/sc_daemon_lifeline.service");
  CHECK(systemd_verify(unit).empty());
  CHECK(systemd_is_enabled(root.path(), "sc_daemon_lifeline.service") == "enabled\n");

  // Second run: nothing changes, nothing is restarted.
  r = run_sc_rooted(root.path(), {"--json", "daemon", "add", "lifeline"});
  REQUIRE(r.status == 0);
  CHECK(json::parse(r.out)["summary"]["changed"] == 0);
  CHECK(run_actions(r).empty());

  // An instance.
  r = run_sc_rooted(root.path(), {"daemon", "add", "portforward", "nas.example.com"});
  REQUIRE(r.status == 0);
  const fs::path unit2 = root / "etc/systemd/system/sc_daemon_portforward_nas.example.com.service";
  CHECK(read_text(unit2) ==
        expected_unit("portforward nas.example.com", "sc module portforward daemon (nas.example.com)"));
  CHECK(systemd_verify(unit2).empty());
  CHECK(systemd_is_enabled(root.path(), "sc_daemon_portforward_nas.example.com.service") == "enabled\n");

  CHECK(run_sc_rooted(root.path(), {"daemon", "has", "lifeline"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"daemon", "has", "portforward", "nas.example.com"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"daemon", "has", "portforward"}).status == 1);
  CHECK(json::parse(run_sc_rooted(root.path(), {"--json", "daemon", "has", "lifeline"}).out)["result"] == true);
  CHECK(json::parse(run_sc_rooted(root.path(), {"--json", "daemon", "has", "scanner"}).out)["result"] == false);

  // A unit sc did not enable is listed as such; other units are not listed.
  fs::remove(root / "etc/systemd/system/multi-user.target.wants/sc_daemon_portforward_nas.example.com.service");
  write_text(root / "etc/systemd/system/other.service", "[Service]\nExecStart=/bin/true\n");
  r = run_sc_rooted(root.path(), {"daemon", "list"});
  CHECK(r.out == "lifeline\nportforward nas.example.com\t(not enabled)\n");
  json doc = json::parse(run_sc_rooted(root.path(), {"--json", "daemon", "list"}).out);
  CHECK(doc["result"] ==
        json::array(
            {{{"name", "lifeline"}, {"instance", nullptr}, {"unit", "sc_daemon_lifeline.service"}, {"enabled", true}},
             {{"name", "portforward"},
              {"instance", "nas.example.com"},
              {"unit", "sc_daemon_portforward_nas.example.com.service"},
              {"enabled", false}}}));
  // add enables it again.
  r = run_sc_rooted(root.path(), {"--json", "daemon", "add", "portforward", "nas.example.com"});
  CHECK(run_actions(r) ==
        std::vector<std::string>{"systemctl daemon-reload recorded",
                                 "systemctl restart sc_daemon_portforward_nas.example.com.service recorded"});

  // del: stopped, link and unit removed, systemd reloaded.
  const std::string before_del = tree_hash(root.path());
  r = run_sc_rooted(root.path(), {"--dry-run", "daemon", "del", "lifeline"});
  CHECK(r.status == 0);
  CHECK(tree_hash(root.path()) == before_del);
  r = run_sc_rooted(root.path(), {"--json", "daemon", "del", "lifeline"});
  REQUIRE(r.status == 0);
  CHECK(run_actions(r) == std::vector<std::string>{"systemctl stop sc_daemon_lifeline.service recorded",
                                                   "systemctl daemon-reload recorded"});
  CHECK_FALSE(fs::exists(unit));
  CHECK_FALSE(fs::is_symlink(root / "etc/systemd/system/multi-user.target.wants/sc_daemon_lifeline.service"));
  r = run_sc_rooted(root.path(), {"--json", "daemon", "del", "lifeline"});
  CHECK(run_actions(r).empty());
  CHECK(json::parse(r.out)["summary"]["changed"] == 0);
  CHECK(run_sc_rooted(root.path(), {"daemon", "list"}).out == "portforward nas.example.com\n");
}

TEST_CASE("daemon refuses bad input and changes nothing", "[daemon]") {
  TempDir root;
  fs::create_directories(root / "etc/systemd/system");
  auto refused = [&](const std::vector<std::string>& args, const std::string& message) {
    check_refused(root.path(), "daemon", args, message);
  };
  for (const auto& bad : hostile_strings()) {
    refused({"add", bad}, "is not a module name");
    refused({"del", bad}, "is not a module name");
    refused({"has", bad}, "is not a module name");
    refused({"add", "portforward", bad}, "is not an instance name");
  }
  for (const std::string bad : {"a/b", "..", "life line", "a_b", "Lifeline"})
    refused({"add", bad}, "is not a module name");
  refused({"add", "portforward", "a%b"}, "is not an instance name");
  refused({"add"}, "usage: sc daemon add NAME [INSTANCE]");
  refused({"add", "a", "b", "c"}, "too many arguments");
  refused({"list", "x"}, "too many arguments");
}
