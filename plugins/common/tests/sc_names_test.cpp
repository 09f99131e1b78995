#include "common/sc_names.hpp"

#include <catch2/catch.hpp>
#include <sc/plugin.hpp>

#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

TEST_CASE("sc_names: module names", "[common][sc_names]") {
  for (const char* ok : {"backup", "user", "mass-2", "a-1", "a"}) CHECK(plugin_common::sc_names::valid_module_name(ok));
  CHECK(plugin_common::sc_names::valid_module_name(std::string(64, 'a')));
  for (const char* bad : {"", "Backup", "User", "1x", "1a", "-x", "-a", "a/b", "..", "a b", "a_b", "a.b"}) {
    INFO(bad);
    CHECK_FALSE(plugin_common::sc_names::valid_module_name(bad));
  }
  CHECK_FALSE(plugin_common::sc_names::valid_module_name(std::string(65, 'a')));
  for (const auto& bad : hostile_strings()) CHECK_FALSE(plugin_common::sc_names::valid_module_name(bad));

  CHECK(plugin_common::sc_names::checked_module_name("mass-2") == "mass-2");
  CHECK_THROWS_AS(plugin_common::sc_names::checked_module_name("a_b"), sc::Usage);
  CHECK_THROWS_WITH(plugin_common::sc_names::checked_module_name("a_b"), Contains("\"a_b\" is not a module name"));
}

TEST_CASE("sc_names: running_sc() is the running program", "[common][sc_names]") {
  const std::string self = plugin_common::sc_names::running_sc();
  REQUIRE_FALSE(self.empty());
  CHECK(self.front() == '/');
  CHECK(fs::equivalent(self, "/proc/self/exe"));
}
