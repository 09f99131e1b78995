#include "common/apt_ensure.hpp"

#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

// ensure() and missing_on_target() need a running sc: the utils module's
// tests run them, with and without the aptpackage module.

TEST_CASE("apt_ensure: package specs", "[common][apt_ensure]") {
  plugin_common::apt_ensure::Spec s;
  std::string why;
  REQUIRE(plugin_common::apt_ensure::parse_spec("smartmontools:smartctl", &s, &why));
  CHECK(s.package == "smartmontools");
  CHECK(s.command == "smartctl");
  REQUIRE(plugin_common::apt_ensure::parse_spec("vim:/usr/share/doc/vim", &s, &why));
  CHECK(s.command == "/usr/share/doc/vim");
  REQUIRE(plugin_common::apt_ensure::parse_spec("gir1.2-spiceclientgtk-3.0", &s, &why));
  CHECK(s.command.empty());
  for (const char* bad :
       {"", "a", "Vim", "-rf", "vim:", "vim:../x", "vim:/a/../b", "vim:a b", "vim:-x", "vim;rm", "vim:/usr//x"}) {
    INFO(bad);
    CHECK_FALSE(plugin_common::apt_ensure::parse_spec(bad, &s, &why));
  }
  for (const auto& bad : hostile_strings()) CHECK_FALSE(plugin_common::apt_ensure::parse_spec(bad, &s, &why));
  CHECK_THAT(why, Contains("is not a package spec"));
}

TEST_CASE("apt_ensure: installed packages from the dpkg status file", "[common][apt_ensure]") {
  const std::string status =
      "Package: screen\nStatus: install ok installed\nVersion: 4.9.0-4\n\n"
      "Package: hdparm\nStatus: deinstall ok config-files\n\n"
      "Package: git\nVersion: 1\nStatus: install ok installed\n";
  CHECK(plugin_common::apt_ensure::installed_packages(status) == std::set<std::string>{"git", "screen"});
  std::vector<plugin_common::apt_ensure::Spec> specs = {
      {"screen", ""}, {"hdparm", ""}, {"iftop", "iftop"}, {"vim", "/usr/share/doc/vim"}, {"iftop", ""}};
  auto has = [](const std::string& c) { return c == "/usr/share/doc/vim"; };
  CHECK(plugin_common::apt_ensure::missing_packages(specs, plugin_common::apt_ensure::installed_packages(status),
                                                    has) == std::vector<std::string>{"hdparm", "iftop"});
}
