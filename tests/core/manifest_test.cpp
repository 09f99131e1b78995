#include "modules/manifest.hpp"

#include <catch2/catch.hpp>

#include "test_support.hpp"

using sc::Manifest;
using sc::parse_manifest;

namespace {

const char* const kGood = R"({
  "format_version": "1.0",
  "name": "backup",
  "version": "1.2.0",
  "abi": "1.0",
  "library": "backup.so",
  "summary": "Whole-host backups",
  "requires": ["crontask", "sshlink"],
  "settings": [
    {"name": "BACKUP_DIR", "type": "path", "prompt": "Where?", "default": "/srv/backup"},
    {"name": "BACKUP_KEEP", "type": "int", "min": 1, "max": 100, "default": 7},
    {"name": "BACKUP_MODE", "type": "choice", "choices": ["a", "b"]},
    {"name": "BACKUP_ON", "type": "bool", "default": true},
    {"name": "BACKUP_PW", "type": "string", "secret": true}
  ],
  "commands": [
    {"name": "add", "usage": "HOST[:/PATH] [PERIOD]", "summary": "back up a host", "changes_host": true},
    {"name": "list", "summary": "list backups"}
  ],
  "hooks": ["cron", "sync"]
})";

std::string parse_error(const std::string& text, const std::string& file = "/x/backup.json") {
  Manifest m;
  std::string err;
  REQUIRE_FALSE(parse_manifest(file, text, &m, &err));
  return err;
}

std::string with(const std::string& from, const std::string& to) {
  std::string s = kGood;
  auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  return s.replace(pos, from.size(), to);
}

}  // namespace

TEST_CASE("a complete manifest parses into every field", "[manifest]") {
  Manifest m;
  std::string err;
  REQUIRE(parse_manifest("/usr/lib/sc/backup.json", kGood, &m, &err));
  CHECK(err.empty());
  CHECK(m.name == "backup");
  CHECK(m.version == "1.2.0");
  CHECK(m.format_major == 1);
  CHECK(m.abi_major == 1);
  CHECK(m.abi_minor == 0);
  CHECK(m.library == "/usr/lib/sc/backup.so");
  CHECK(m.requires_ == std::vector<std::string>{"crontask", "sshlink"});
  REQUIRE(m.settings.size() == 5);
  CHECK(m.settings[0].type == sc::SettingType::path);
  CHECK(m.settings[0].default_value == "/srv/backup");
  CHECK(m.settings[1].min == 1);
  CHECK(m.settings[1].max == 100);
  CHECK(m.settings[1].default_value == "7");
  CHECK(m.settings[2].choices == std::vector<std::string>{"a", "b"});
  CHECK(m.settings[3].default_value == "yes");
  CHECK(m.settings[4].secret);
  REQUIRE(m.command("add"));
  CHECK(m.command("add")->changes_host);
  CHECK(m.command("add")->usage == "HOST[:/PATH] [PERIOD]");
  CHECK_FALSE(m.command("list")->changes_host);
  CHECK(m.has_hook("cron"));
  CHECK(m.runs("sync"));
  CHECK_FALSE(m.runs("restore"));
}

TEST_CASE("manifest errors name the file, the field and the fix", "[manifest]") {
  SECTION("not JSON") {
    auto e = parse_error("{ \"name\": ");
    CHECK_THAT(e, Catch::Contains("/x/backup.json") && Catch::Contains("not valid JSON") && Catch::Contains("line 1"));
  }
  SECTION("missing field") {
    auto e = parse_error(with("\"library\": \"backup.so\",", ""));
    CHECK_THAT(e, Catch::Contains("\"library\"") && Catch::Contains("missing") && Catch::Contains("add \"library\""));
  }
  SECTION("wrong type") {
    auto e = parse_error(with("\"version\": \"1.2.0\"", "\"version\": 12"));
    CHECK_THAT(e, Catch::Contains("\"version\"") && Catch::Contains("must be a string"));
  }
  SECTION("unknown format major") {
    auto e = parse_error(with("\"format_version\": \"1.0\"", "\"format_version\": \"2.0\""));
    CHECK_THAT(e, Catch::Contains("format 2.0 is not supported") && Catch::Contains("upgrade sc"));
  }
  SECTION("a newer minor is read and its unknown fields are ignored") {
    Manifest m;
    std::string err;
    std::string text = with("\"format_version\": \"1.0\"", "\"format_version\": \"1.7\", \"future\": 1");
    CHECK(parse_manifest("/x/backup.json", text, &m, &err));
  }
  SECTION("an unknown field in the current format is a typo") {
    auto e = parse_error(with("\"hooks\"", "\"hoks\": [], \"hooks\""));
    CHECK_THAT(e, Catch::Contains("\"hoks\"") && Catch::Contains("unknown field"));
  }
  SECTION("file name and module name disagree") {
    auto e = parse_error(kGood, "/x/other.json");
    CHECK_THAT(e, Catch::Contains("rename the file to backup.json"));
  }
  SECTION("bad module names") {
    for (const char* bad : {"Backup", "back up", "../x", "b/a", "1abc", "a;b", ""}) {
      auto e = parse_error(with("\"name\": \"backup\"", std::string("\"name\": \"") + bad + "\""));
      CHECK_THAT(e, Catch::Contains("\"name\""));
    }
  }
  SECTION("library must be a plain file name beside the manifest") {
    for (const char* bad : {"/usr/lib/evil.so", "../evil.so", "sub/x.so", ""}) {
      auto e = parse_error(with("\"library\": \"backup.so\"", std::string("\"library\": \"") + bad + "\""));
      CHECK_THAT(e, Catch::Contains("\"library\""));
    }
  }
  SECTION("setting errors point at the setting") {
    auto e = parse_error(with("\"type\": \"int\"", "\"type\": \"integer\""));
    CHECK_THAT(e, Catch::Contains("\"settings\"[1].\"type\"") && Catch::Contains("use one of"));
    e = parse_error(with("\"name\": \"BACKUP_DIR\"", "\"name\": \"backup_dir\""));
    CHECK_THAT(e, Catch::Contains("\"settings\"[0].\"name\"") && Catch::Contains("upper-case"));
    e = parse_error(with("\"choices\": [\"a\", \"b\"]", "\"choices\": []"));
    CHECK_THAT(e, Catch::Contains("\"settings\"[2].\"choices\""));
    e = parse_error(with("\"default\": 7", "\"default\": 700"));
    CHECK_THAT(e, Catch::Contains("\"settings\"[1].\"default\"") && Catch::Contains("above the maximum"));
  }
  SECTION("duplicates") {
    auto e = parse_error(with("\"sync\"]", "\"sync\", \"cron\"]"));
    CHECK_THAT(e, Catch::Contains("listed twice"));
    e = parse_error(with("{\"name\": \"list\"", "{\"name\": \"add\""));
    CHECK_THAT(e, Catch::Contains("declared twice"));
  }
  SECTION("a module requiring itself") {
    auto e = parse_error(with("[\"crontask\", \"sshlink\"]", "[\"backup\"]"));
    CHECK_THAT(e, Catch::Contains("requires itself"));
  }
}

TEST_CASE("setting values are checked against their type", "[manifest][settings]") {
  sc::SettingSpec s;
  s.name = "X";
  std::string out, err;
  s.type = sc::SettingType::boolean;
  for (const char* yes : {"yes", "TRUE", "on", "1"}) {
    REQUIRE(sc::validate_setting_value(s, yes, &out, &err));
    CHECK(out == "yes");
  }
  REQUIRE(sc::validate_setting_value(s, "Off", &out, &err));
  CHECK(out == "no");
  CHECK_FALSE(sc::validate_setting_value(s, "maybe", &out, &err));
  CHECK_THAT(err, Catch::Contains("X") && Catch::Contains("yes or no"));

  s.type = sc::SettingType::integer;
  s.min = 1;
  s.max = 10;
  CHECK(sc::validate_setting_value(s, "10", &out, &err));
  CHECK_FALSE(sc::validate_setting_value(s, "11", &out, &err));
  CHECK_FALSE(sc::validate_setting_value(s, "3x", &out, &err));
  CHECK_FALSE(sc::validate_setting_value(s, "", &out, &err));

  s.type = sc::SettingType::path;
  CHECK(sc::validate_setting_value(s, "/srv/with space", &out, &err));
  CHECK_FALSE(sc::validate_setting_value(s, "relative/path", &out, &err));
  CHECK_THAT(err, Catch::Contains("absolute"));

  s.type = sc::SettingType::choice;
  s.choices = {"nfs4", "sshfs"};
  CHECK(sc::validate_setting_value(s, "sshfs", &out, &err));
  CHECK_FALSE(sc::validate_setting_value(s, "smb", &out, &err));
  CHECK_THAT(err, Catch::Contains("nfs4, sshfs"));

  s.type = sc::SettingType::string;
  CHECK(sc::validate_setting_value(s, "it's \"$(rm -rf /)\"\nnext", &out, &err));
  CHECK(out == "it's \"$(rm -rf /)\"\nnext");
  CHECK_FALSE(sc::validate_setting_value(s, std::string("a\0b", 3), &out, &err));
}

TEST_CASE("module and command names", "[manifest]") {
  CHECK(sc::valid_module_name("sshlink"));
  CHECK(sc::valid_module_name("sc-extra2"));
  CHECK_FALSE(sc::valid_module_name("ssh_link"));
  CHECK_FALSE(sc::valid_module_name("SSH"));
  CHECK_FALSE(sc::valid_module_name(".."));
  CHECK_FALSE(sc::valid_module_name("a b"));
  CHECK(sc::valid_command_name("restore_from"));
  CHECK(sc::valid_command_name("has-sc"));
  CHECK_FALSE(sc::valid_command_name("_private"));
  CHECK_FALSE(sc::valid_command_name("x;y"));
}

TEST_CASE("class 9: manifest limits: NUL, integer overflow, size", "[manifest][hostile]") {
  // A NUL inside a string would cut it where C sees it.
  CHECK_THAT(parse_error(with("\"backup.so\"", "\"backup.so\\u0000.evil\"")),
             Catch::Contains("\"library\"") && Catch::Contains("NUL"));
  CHECK_THAT(parse_error(with("\"Whole-host backups\"", "\"Whole\\u0000\"")),
             Catch::Contains("\"summary\"") && Catch::Contains("NUL"));
  // Integers sc cannot hold are refused, not wrapped (to -1 here).
  CHECK_THAT(parse_error(with("\"min\": 1", "\"min\": 18446744073709551615")),
             Catch::Contains("min") && Catch::Contains("out of range"));
  CHECK_THAT(parse_error(with("\"default\": 7", "\"default\": 9223372036854775808")),
             Catch::Contains("default") && Catch::Contains("out of range"));
  Manifest m;
  std::string err;
  CHECK(parse_manifest("/x/backup.json", with("\"min\": 1", "\"min\": -9223372036854775808"), &m, &err));

  // A manifest over 1 MiB is refused before it is parsed.
  sc::test::TempDir dir;
  const std::filesystem::path big = dir / "big.json";
  std::string text = kGood;
  text.insert(text.size() - 1, ", \"x-padding\": \"" + std::string(sc::kMaxManifestBytes, 'x') + "\"");
  sc::test::write_text(big, text);
  CHECK_FALSE(sc::load_manifest(big, &m, &err));
  CHECK_THAT(err, Catch::Contains(big.string()) && Catch::Contains("more than the 1024 KiB"));
}
