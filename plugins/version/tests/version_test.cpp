#include <sc/plugin.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace sc::test;

TEST_CASE("version show", "[version]") {
  TempDir root;
  ScRun r = run_sc_rooted(root.path(), {"version", "show"});
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Catch::Matches("[0-9]+\\.[0-9]+\\.[0-9]+\n"));
  auto doc = nlohmann::json::parse(run_sc_rooted(root.path(), {"--json", "version", "show"}).out);
  // The host's ABI: the header this build was made with.
  CHECK(doc["result"]["abi"] == std::to_string(SC_ABI_MAJOR) + "." + std::to_string(SC_ABI_MINOR));
  CHECK(doc["result"]["sc"].get<std::string>() + "\n" == r.out);
  CHECK(run_sc_rooted(root.path(), {"version", "show", "extra"}).status == 2);
}
