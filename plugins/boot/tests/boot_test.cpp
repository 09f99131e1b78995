#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../boot_unit.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

TEST_CASE("boot: unit names and text", "[boot]") {
  CHECK(boot_unit::unit_name("master") == "sc_boot_master.service");
  std::string m;
  CHECK(boot_unit::parse_unit_name("sc_boot_bluetooth.service", &m));
  CHECK(m == "bluetooth");
  for (const char* bad :
       {"sc_boot_.service", "sc_boot_a_b.service", "sc_daemon_x.service", "sc_boot_x.timer", "sc_boot_X.service"})
    CHECK_FALSE(boot_unit::parse_unit_name(bad, nullptr));
  CHECK(boot_unit::unit_file("/usr/local/sbin/sc", "master") ==
        "# Written by `sc boot add master`; remove it with `sc boot del master`.\n"
        "[Unit]\n"
        "Description=sc module master boot tasks\n"
        "Wants=network-online.target\n"
        "After=network-online.target\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        "RemainAfterExit=yes\n"
        "ExecStart=/usr/local/sbin/sc master boot\n"
        "\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n");
}

TEST_CASE("boot add, has, list and del under --root", "[boot]") {
  TempDir root;
  fs::create_directories(root / "etc");
  const std::string before = tree_hash(root.path());
  ScRun r = run_sc_rooted(root.path(), {"--dry-run", "boot", "add", "master"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("would change: write /etc/systemd/system/sc_boot_master.service"));
  CHECK(tree_hash(root.path()) == before);

  r = run_sc_rooted(root.path(), {"--json", "boot", "add", "master"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(run_actions(r) == std::vector<std::string>{"systemctl daemon-reload recorded"});
  const fs::path unit = root / "etc/systemd/system/sc_boot_master.service";
  CHECK(read_text(unit) == boot_unit::unit_file(built_sc_path(), "master"));
  CHECK((fs::status(unit).permissions() & fs::perms::all) == fs::perms(0644));
  CHECK(fs::read_symlink(root / "etc/systemd/system/multi-user.target.wants/sc_boot_master.service") ==
        "/etc/systemd/system/sc_boot_master.service");
  CHECK(systemd_verify(unit).empty());
  CHECK(systemd_is_enabled(root.path(), "sc_boot_master.service") == "enabled\n");

  r = run_sc_rooted(root.path(), {"--json", "boot", "add", "master"});
  REQUIRE(r.status == 0);
  CHECK(json::parse(r.out)["summary"]["changed"] == 0);
  CHECK(run_actions(r).empty());

  REQUIRE(run_sc_rooted(root.path(), {"boot", "add", "bluetooth"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"boot", "has", "master"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"boot", "has", "scanner"}).status == 1);
  CHECK(json::parse(run_sc_rooted(root.path(), {"--json", "boot", "has", "master"}).out)["result"] == true);
  CHECK(run_sc_rooted(root.path(), {"boot", "list"}).out == "bluetooth\nmaster\n");
  json doc = json::parse(run_sc_rooted(root.path(), {"--json", "boot", "list"}).out);
  CHECK(doc["result"] == json::array({{{"name", "bluetooth"}, {"unit", "sc_boot_bluetooth.service"}, {"enabled", true}},
                                      {{"name", "master"}, {"unit", "sc_boot_master.service"}, {"enabled", true}}}));

  const std::string before_del = tree_hash(root.path());
  r = run_sc_rooted(root.path(), {"--dry-run", "boot", "del", "master"});
  CHECK(r.status == 0);
  CHECK(tree_hash(root.path()) == before_del);
  r = run_sc_rooted(root.path(), {"--json", "boot", "del", "master"});
  REQUIRE(r.status == 0);
  CHECK(run_actions(r) == std::vector<std::string>{"systemctl daemon-reload recorded"});
  CHECK_FALSE(fs::exists(unit));
  CHECK_FALSE(fs::is_symlink(root / "etc/systemd/system/multi-user.target.wants/sc_boot_master.service"));
  CHECK(systemd_is_enabled(root.path(), "sc_boot_bluetooth.service") == "enabled\n");
  r = run_sc_rooted(root.path(), {"--json", "boot", "del", "master"});
  CHECK(run_actions(r).empty());
  CHECK(run_sc_rooted(root.path(), {"boot", "list"}).out == "bluetooth\n");
}

TEST_CASE("boot refuses bad input and changes nothing", "[boot]") {
  TempDir root;
  fs::create_directories(root / "etc/systemd/system");
  auto refused = [&](const std::vector<std::string>& args, const std::string& message) {
    check_refused(root.path(), "boot", args, message);
  };
  for (const auto& bad : hostile_strings()) {
    refused({"add", bad}, "is not a module name");
    refused({"del", bad}, "is not a module name");
    refused({"has", bad}, "is not a module name");
  }
  for (const std::string bad : {"a/b", "..", "mas ter", "a_b"}) refused({"add", bad}, "is not a module name");
  refused({"add"}, "usage: sc boot add NAME");
  refused({"add", "master", "extra"}, "too many arguments");
}
