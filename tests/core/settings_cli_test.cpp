// `sc settings ...`: the seed's settings module, built into the core.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

namespace {
ScRun sc_settings(const fs::path& root, std::vector<std::string> args, const std::string* input = nullptr) {
  std::vector<std::string> all = {"--plugin-path", kFixtureDir, "--root", root.string(), "settings"};
  all.insert(all.end(), args.begin(), args.end());
  return run_sc(all, input);
}
}  // namespace

TEST_CASE("settings set, get, print, del", "[settings][cli]") {
  TempDir root;
  CHECK(sc_settings(root.path(), {"get", "PROBE_TEXT"}).out == "hello\n");  // the default
  ScRun r = sc_settings(root.path(), {"set", "PROBE_TEXT", "a 'b' \"c\" $(d) ü"});
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("changed: setting PROBE_TEXT"));
  CHECK(sc_settings(root.path(), {"get", "PROBE_TEXT"}).out == "a 'b' \"c\" $(d) ü\n");
  CHECK(sc_settings(root.path(), {"set", "PROBE_TEXT", "a 'b' \"c\" $(d) ü"}).err == "sc settings set: 1 ok\n");

  r = sc_settings(root.path(), {"set", "PROBE_INT", "zero"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("PROBE_INT") && Contains("not an integer"));

  // A secret from stdin never needs the command line, and print hides it.
  std::string pw = "hunter2\n";
  CHECK(sc_settings(root.path(), {"set", "PROBE_SECRET"}, &pw).status == 0);
  r = sc_settings(root.path(), {"print"});
  CHECK_THAT(r.out, Contains("PROBE_SECRET=\"********\"") && !Contains("hunter2") &&
                        Contains("PROBE_TEXT=\"a 'b' \\\"c\\\" $(d) ü\""));
  CHECK_THAT(sc_settings(root.path(), {"print", "--show-secrets"}).out, Contains("hunter2"));
  CHECK(sc_settings(root.path(), {"get", "PROBE_SECRET"}).out == "hunter2\n");
  r = sc_settings(root.path(), {"print", "cplugin"});
  CHECK(r.out.empty());

  // A setting no module declares is kept, with a warning.
  r = sc_settings(root.path(), {"set", "FOREIGN_THING", "x"});
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("no installed module declares FOREIGN_THING"));

  r = sc_settings(root.path(), {"--json", "list"});
  auto list = nlohmann::json::parse(r.out)["result"];
  bool saw_foreign = false, saw_secret = false;
  for (const auto& row : list) {
    if (row["name"] == "FOREIGN_THING") saw_foreign = row["module"].is_null();
    if (row["name"] == "PROBE_SECRET") saw_secret = row["secret"] == true && row["module"] == "probe";
  }
  CHECK(saw_foreign);
  CHECK(saw_secret);

  CHECK(sc_settings(root.path(), {"del", "PROBE_TEXT"}).status == 0);
  CHECK(sc_settings(root.path(), {"get", "PROBE_TEXT"}).out == "hello\n");
  CHECK(sc_settings(root.path(), {"get", "NOT_SET_ANYWHERE"}).status == 1);
  CHECK(sc_settings(root.path(), {"get", "lower"}).status == 2);
  CHECK(sc_settings(root.path(), {"frobnicate"}).status == 2);
  CHECK(sc_settings(root.path(), {}).status == 2);
}

TEST_CASE("settings in the original format are imported without loss", "[settings][cli]") {
  TempDir root;
  write_text(root / "etc/sc",
             "FQDN='node.example.com'\nMOTD='it'\\''s a \"test\" with $(no) expansion'\n"
             "MULTI='line one\nline two'\nSETTINGS_VERSION='1006'\n",
             fs::perms(0644));
  ScRun r = sc_settings(root.path(), {"get", "MOTD"});
  CHECK(r.status == 0);
  CHECK(r.out == "it's a \"test\" with $(no) expansion\n");
  CHECK(sc_settings(root.path(), {"get", "MULTI"}).out == "line one\nline two\n");
  // Converted on first use: mode 0600, the original kept aside.
  CHECK((fs::status(root / "etc/sc").permissions() & fs::perms::all) == fs::perms(0600));
  CHECK(fs::exists(root / "etc/sc.legacy"));
  // The original's own version is not one of our settings (original_settings).
  CHECK_THAT(read_text(root / "etc/sc"),
             Contains("# sc-settings 1") && Contains("FQDN=\"node.example.com\"") && !Contains("SETTINGS_VERSION"));
  CHECK_THAT(read_text(root / "etc/sc.legacy"), Contains("SETTINGS_VERSION='1006'"));
}

TEST_CASE("settings changes under --dry-run touch nothing", "[settings][cli]") {
  TempDir root;
  fs::create_directories(root / "etc");
  std::string before = tree_hash(root.path());
  ScRun r = sc_settings(root.path(), {"--dry-run", "set", "PROBE_TEXT", "x"});
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("would change: setting PROBE_TEXT"));
  CHECK(tree_hash(root.path()) == before);
}
