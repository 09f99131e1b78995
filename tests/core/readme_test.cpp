// README.md documents every command of every module in the tree: a user
// should never need to read code to find a command.
#include <catch2/catch.hpp>
#include <regex>

#include "modules/manifest.hpp"
#include "test_support.hpp"

using namespace sc::test;

TEST_CASE("README's module table lists every command of every module", "[docs]") {
  const std::string readme = read_text(fs::path(kSourceDir) / "README.md");
  std::vector<std::string> missing;
  int modules = 0;
  for (const auto& dir : fs::directory_iterator(fs::path(kSourceDir) / "plugins")) {
    fs::path file = dir.path() / "manifest.json";
    if (!fs::exists(file)) continue;
    sc::Manifest m;
    std::string err;
    // The manifest is read under its module's name, as an installed one is.
    REQUIRE(sc::parse_manifest(dir.path() / (dir.path().filename().string() + ".json"), read_text(file), &m, &err));
    ++modules;
    for (const auto& c : m.commands) {
      // A row "| MODULE | ... `COMMAND ...` ... |" (several commands may share one row).
      std::regex row("\\n\\| " + m.name + " \\| [^\\n]*`" + c.name + "[` ][^\\n]*\\|");
      if (!std::regex_search(readme, row)) missing.push_back(m.name + " " + c.name);
    }
  }
  CHECK(modules >= 2);
  INFO("add these to the module table of README.md");
  CHECK(missing == std::vector<std::string>{});
}
