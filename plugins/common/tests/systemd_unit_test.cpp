#include "common/systemd_unit.hpp"

#include <catch2/catch.hpp>

TEST_CASE("systemd_unit: unit names and paths", "[common][systemd_unit]") {
  CHECK(plugin_common::systemd_unit::unit_name("sc_boot_", "master") == "sc_boot_master.service");
  CHECK(plugin_common::systemd_unit::unit_path("sc_boot_master.service") ==
        "/etc/systemd/system/sc_boot_master.service");
  CHECK(plugin_common::systemd_unit::unit_stem("sc_boot_master.service", "sc_boot_") == "master");
  for (const char* bad : {"sc_boot_.service", "sc_boot_master.timer", "sc_daemon_x.service", "sc_boot_master.service.d",
                          "sc_boot_master", ""})
    CHECK_FALSE(plugin_common::systemd_unit::unit_stem(bad, "sc_boot_").has_value());
}

TEST_CASE("systemd_unit: paths an ExecStart line holds as they are", "[common][systemd_unit]") {
  CHECK(plugin_common::systemd_unit::plain_exec_path("/usr/local/sbin/sc"));
  CHECK(plugin_common::systemd_unit::plain_exec_path("/opt/sc-1.0_b+c/sc"));
  for (const char* bad : {"sc", "/", "/opt/s c/sc", "/opt/100%/sc", "/opt/$x/sc", "/opt/\"/sc", "/opt/a\\b", ""})
    CHECK_FALSE(plugin_common::systemd_unit::plain_exec_path(bad));
}
