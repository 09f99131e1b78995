#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../main_conf.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;
namespace conf = bluetooth_conf;

namespace {

/// Debian 12's main.conf: the installed one (bluez is a test dependency,
/// see .ci/install-deps), else the lines of its [Policy] section with a
/// neighbour on each side.
std::string debian_main_conf() {
  std::error_code ec;
  if (fs::is_regular_file("/etc/bluetooth/main.conf", ec)) return read_text("/etc/bluetooth/main.conf");
  WARN("bluez is not installed: a copy of main.conf's [Policy] section stands in for the file");
  return "[GATT]\n#Channels = 3\n\n"
         "[Policy]\n#\n# The ReconnectUUIDs defines the set of remote services that should try\n"
         "#ReconnectAttempts=7\n\n"
         "# AutoEnable defines option to enable all controllers when they are found.\n"
         "# This includes adapters present on start as well as adapters that are plugged\n"
         "# in later on. Defaults to 'true'.\nAutoEnable=true\n\n"
         "# Default: 2\n#ResumeDelay = 2\n\n"
         "[AdvMon]\n#RSSISamplingPeriod=0xFF\n";
}

/// `text` with the first `from` replaced by `to` (which must be there).
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

/// What Python's configparser (strict: no duplicate section or key) reads
/// as [Policy] AutoEnable in `text`, or "ERROR ..." when it refuses it.
std::string configparser_auto_enable(const std::string& text) {
  TempDir d;
  write_text(d / "main.conf", text);
  sc::ProcessSpec p;
  p.argv = {"python3", "-c",
            "import configparser, sys\n"
            "c = configparser.ConfigParser(interpolation=None, strict=True)\n"
            "c.optionxform = str\n"
            "try:\n"
            "    c.read(sys.argv[1])\n"
            "except configparser.Error as e:\n"
            "    print('ERROR', e); sys.exit(0)\n"
            "print(c.get('Policy', 'AutoEnable', fallback='(unset)'))\n",
            (d / "main.conf").string()};
  p.capture_out = p.capture_err = true;
  sc::ProcessResult r = sc::run_process(p);
  INFO(r.err);
  REQUIRE(r.ok());
  return r.out.substr(0, r.out.find('\n'));
}

/// The edit, then its restore: back to `text` byte for byte.
void check_round_trip(const std::string& text) {
  INFO(text);
  conf::Edit e = conf::enable(text);
  REQUIRE(e.changed);
  CHECK(conf::auto_enable(e.text) == "true");
  CHECK_FALSE(conf::enable(e.text).changed);  // idempotent
  conf::Restore r = conf::restore(e.text, e.record);
  CHECK(r.changed);
  CHECK(r.note.empty());
  CHECK(r.text == text);
  CHECK_FALSE(r.remove_file);
}

/// A root holding BlueZ's files as Debian installs them: bluetoothctl and
/// main.conf (`main_conf`).
void install_bluez(const fs::path& root, const std::string& main_conf) {
  write_text(root / "usr/bin/bluetoothctl", "#!/bin/sh\n", fs::perms(0755));
  write_text(root / "etc/bluetooth/main.conf", main_conf);
}

}  // namespace

TEST_CASE("bluetooth: AutoEnable in Debian 12's main.conf", "[bluetooth]") {
  const std::string debian = debian_main_conf();
  // Debian 12 (BlueZ 5.66) ships AutoEnable=true: nothing to change.
  CHECK(conf::auto_enable(debian) == "true");
  conf::Edit same = conf::enable(debian);
  CHECK_FALSE(same.changed);
  CHECK(same.text == debian);
  CHECK(same.record.empty());
  CHECK(configparser_auto_enable(debian) == "true");

  // Set to false by the administrator: that one line changes.
  const std::string off = replaced(debian, "\nAutoEnable=true\n", "\nAutoEnable = false\n");
  conf::Edit e = conf::enable(off);
  CHECK(e.changed);
  CHECK(e.text == debian);
  CHECK(json::parse(e.record) == json{{"kind", "replaced"}, {"line", "AutoEnable = false"}});
  CHECK(conf::restore(e.text, e.record).text == off);
  CHECK(configparser_auto_enable(off) == "false");
  CHECK(configparser_auto_enable(e.text) == "true");

  // Commented out, as older BlueZ shipped it: the line goes right after the comment.
  const std::string commented = replaced(debian, "\nAutoEnable=true\n", "\n#AutoEnable=true\n");
  CHECK(conf::auto_enable(commented) == std::nullopt);
  e = conf::enable(commented);
  CHECK(e.text == replaced(debian, "\nAutoEnable=true\n", "\n#AutoEnable=true\nAutoEnable=true\n"));
  CHECK(configparser_auto_enable(commented) == "(unset)");
  CHECK(configparser_auto_enable(e.text) == "true");
  check_round_trip(commented);
  check_round_trip(off);
}

TEST_CASE("bluetooth: the edit of main.conf, against expected text", "[bluetooth]") {
  // No comment to follow: after the header, CRLF and other lines kept.
  conf::Edit e = conf::enable("[General]\nName = x\n[Policy]\r\nReconnectAttempts=7\n");
  CHECK(e.text == "[General]\nName = x\n[Policy]\r\nAutoEnable=true\r\nReconnectAttempts=7\n");
  CHECK(json::parse(e.record) == json{{"kind", "inserted"}, {"eol_added", false}});
  // AutoEnable in another section is not [Policy]'s.
  e = conf::enable("[General]\nAutoEnable=false\n");
  CHECK(e.text == "[General]\nAutoEnable=false\n\n[Policy]\nAutoEnable=true\n");
  CHECK(conf::auto_enable(e.text) == "true");
  // A last line without a newline.
  e = conf::enable("[General]\nName = x");
  CHECK(e.text == "[General]\nName = x\n\n[Policy]\nAutoEnable=true\n");
  e = conf::enable("[Policy]");
  CHECK(e.text == "[Policy]\nAutoEnable=true");
  e = conf::enable("[Policy]\n  AutoEnable =  0  ");
  CHECK(e.text == "[Policy]\nAutoEnable=true");
  CHECK(conf::restore(e.text, e.record).text == "[Policy]\n  AutoEnable =  0  ");
  // An empty file, and no file.
  CHECK(conf::enable("").text == "[Policy]\nAutoEnable=true\n");
  e = conf::enable("", false);
  CHECK(e.text == "[Policy]\nAutoEnable=true\n");
  conf::Restore r = conf::restore(e.text, e.record);
  CHECK(r.remove_file);
  CHECK(r.text.empty());

  for (const char* text :
       {"[General]\nName = x\n[Policy]\r\nReconnectAttempts=7\n", "[General]\nAutoEnable=false\n",
        "[General]\nName = x", "[Policy]", "[Policy]\n#AutoEnable=false", "", "[Policy]\nAutoEnable=false\n[LE]\n",
        "[Policy]\n#AutoEnable=x\n# AutoEnable = y\n\n[LE]\n", "\n\n", "[Policy]\nAutoEnable=off\r\n"})
    check_round_trip(text);
  CHECK(configparser_auto_enable(conf::enable("[General]\nName = x").text) == "true");

  CHECK(conf::is_true("true"));
  CHECK(conf::is_true("1"));
  for (const char* no : {"false", "0", "yes", "True", ""}) CHECK_FALSE(conf::is_true(no));
}

TEST_CASE("bluetooth: cleanup leaves a line changed by hand alone", "[bluetooth]") {
  conf::Edit e = conf::enable("[Policy]\nAutoEnable=false\n");
  conf::Restore r = conf::restore("[Policy]\nAutoEnable=0\n", e.record);
  CHECK_FALSE(r.changed);
  CHECK(r.text == "[Policy]\nAutoEnable=0\n");
  CHECK_THAT(r.note, Contains("changed to \"0\" since setup"));
  r = conf::restore("[Policy]\n", e.record);
  CHECK_FALSE(r.changed);
  CHECK_THAT(r.note, Contains("no longer in [Policy]"));
  // A section appended, then written to: only sc's line goes.
  e = conf::enable("[General]\n");
  r = conf::restore(e.text + "ResumeDelay=3\n", e.record);
  CHECK(r.text == "[General]\n\n[Policy]\nResumeDelay=3\n");
}

TEST_CASE("bluetooth: a main.conf or a record sc cannot edit safely is refused", "[bluetooth]") {
  CHECK_THROWS_WITH(conf::enable("[Policy]\nA=1\n[Policy]\nB=2\n"), Contains("two [Policy] sections"));
  CHECK_THROWS_WITH(conf::enable("[Policy]\nAutoEnable=false\nAutoEnable=true\n"),
                    Contains("AutoEnable twice in [Policy]"));
  CHECK_THROWS_AS(conf::auto_enable("[Policy]\nAutoEnable=1\n AutoEnable = 0\n"), conf::Unsupported);
  for (const char* bad : {"", "x", "[]", "{}", "{\"kind\":\"gone\"}", "{\"kind\":\"replaced\"}",
                          "{\"kind\":\"replaced\",\"line\":\"AutoEnable=false\\n[General]\"}", "{\"kind\":1}",
                          "{\"kind\":\"appended\",\"text\":2}"}) {
    INFO(bad);
    CHECK_THROWS_AS(conf::restore("[Policy]\nAutoEnable=true\n", bad), conf::Unsupported);
  }
}

TEST_CASE("bluetooth setup and cleanup under --root", "[bluetooth]") {
  TempDir root;
  const std::string off = replaced(debian_main_conf(), "\nAutoEnable=true\n", "\nAutoEnable=false\n");
  install_bluez(root.path(), off);
  CHECK(run_sc_rooted(root.path(), {"bluetooth", "enabled"}).status == 1);

  // --dry-run changes nothing.
  const std::string before = tree_hash(root.path());
  ScRun r = run_sc_rooted(root.path(), {"--dry-run", "bluetooth", "setup"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(tree_hash(root.path()) == before);

  r = run_sc_rooted(root.path(), {"--json", "bluetooth", "setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  json doc = json::parse(r.out);
  CHECK(doc["result"] == json{{"installed", json::array()}, {"changed", true}});
  std::vector<std::string> actions = run_actions(r);
  CHECK(std::find(actions.begin(), actions.end(), "systemctl restart bluetooth recorded") != actions.end());
  const std::string set = read_text(root / "etc/bluetooth/main.conf");
  CHECK(set == debian_main_conf());
  CHECK(configparser_auto_enable(set) == "true");
  CHECK(json::parse(read_text(root / "var/lib/sc/bluetooth/main.conf.json"))["line"] == "AutoEnable=false");
  CHECK(run_sc_rooted(root.path(), {"bluetooth", "enabled"}).status == 0);

  // A second setup changes nothing, and runs nothing.
  const std::string after = tree_hash(root.path());
  r = run_sc_rooted(root.path(), {"--json", "bluetooth", "setup"});
  CHECK(r.status == 0);
  CHECK(json::parse(r.out)["result"]["changed"] == false);
  CHECK(run_actions(r).empty());
  CHECK(tree_hash(root.path()) == after);

  // --dry-run cleanup changes nothing; cleanup puts the host's line back.
  CHECK(run_sc_rooted(root.path(), {"--dry-run", "bluetooth", "cleanup"}).status == 0);
  CHECK(tree_hash(root.path()) == after);
  r = run_sc_rooted(root.path(), {"bluetooth", "cleanup"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(read_text(root / "etc/bluetooth/main.conf") == off);
  CHECK_FALSE(fs::exists(root / "var/lib/sc/bluetooth"));
  CHECK(fs::exists(root / "usr/bin/bluetoothctl"));  // BlueZ stays
  CHECK(run_sc_rooted(root.path(), {"bluetooth", "enabled"}).status == 1);
  // A second cleanup has nothing to do.
  const std::string clean = tree_hash(root.path());
  CHECK(run_sc_rooted(root.path(), {"bluetooth", "cleanup"}).status == 0);
  CHECK(tree_hash(root.path()) == clean);
}

TEST_CASE("bluetooth setup on Debian's own main.conf, and without BlueZ", "[bluetooth]") {
  TempDir root;
  install_bluez(root.path(), debian_main_conf());
  const std::string before = tree_hash(root.path());
  ScRun r = run_sc_rooted(root.path(), {"bluetooth", "setup"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("AutoEnable is already true"));
  CHECK(tree_hash(root.path()) == before);
  CHECK(run_sc_rooted(root.path(), {"bluetooth", "cleanup"}).status == 0);
  CHECK(tree_hash(root.path()) == before);

  // No BlueZ: its install is recorded, not run, and main.conf (which the
  // package would bring) is created with the one key.
  TempDir bare;
  fs::create_directories(bare / "etc");
  r = run_sc_rooted(bare.path(), {"bluetooth", "setup"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("not run: ") && Contains("bluez"));
  CHECK(read_text(bare / "etc/bluetooth/main.conf") == "[Policy]\nAutoEnable=true\n");
  CHECK(run_sc_rooted(bare.path(), {"bluetooth", "cleanup"}).status == 0);
  CHECK_FALSE(fs::exists(bare / "etc/bluetooth/main.conf"));
}

TEST_CASE("bluetooth ready: a controller in /sys/class/bluetooth, or a reason", "[bluetooth]") {
  TempDir root;
  install_bluez(root.path(), debian_main_conf());
  ScRun r = run_sc_rooted(root.path(), {"--json", "bluetooth", "ready"});
  CHECK(r.status == 1);
  json doc = json::parse(r.out);
  CHECK(doc["result"]["controllers"] == json::array());
  REQUIRE(doc["result"]["reasons"].size() == 1);
  CHECK_THAT(doc["result"]["reasons"][0].get<std::string>(), Contains("no Bluetooth controller"));
  CHECK_THAT(run_sc_rooted(root.path(), {"bluetooth", "ready"}).err, Contains("no Bluetooth controller"));

  // The kernel's class directory with something that is not a controller.
  fs::create_directories(root / "sys/class/bluetooth/hcix");
  CHECK(run_sc_rooted(root.path(), {"bluetooth", "ready"}).status == 1);

  // hci0 as sysfs shows it: a symbolic link into /sys/devices.
  fs::create_directories(root / "sys/devices/pci0000:00/usb1/1-1/bluetooth/hci0");
  fs::create_directory_symlink("../../devices/pci0000:00/usb1/1-1/bluetooth/hci0", root / "sys/class/bluetooth/hci0");
  const std::string before = tree_hash(root.path());
  r = run_sc_rooted(root.path(), {"--json", "bluetooth", "ready"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  doc = json::parse(r.out);
  CHECK(doc["result"]["controllers"] == json{"hci0"});
  CHECK(doc["result"]["reasons"] == json::array());
  CHECK(tree_hash(root.path()) == before);

  // Not set up: each reason is said.
  fs::remove(root / "usr/bin/bluetoothctl");
  write_text(root / "etc/bluetooth/main.conf", "[Policy]\nAutoEnable=false\n");
  r = run_sc_rooted(root.path(), {"bluetooth", "ready"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("BlueZ is not installed") && Contains("AutoEnable is not true"));

  // The boot command powers the controller on (recorded under --root).
  install_bluez(root.path(), debian_main_conf());
  r = run_sc_rooted(root.path(), {"--json", "bluetooth", "boot"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(run_actions(r) == std::vector<std::string>{"bluetoothctl recorded"});
}

TEST_CASE("bluetooth: hostile input is refused and changes nothing", "[bluetooth]") {
  TempDir root;
  install_bluez(root.path(), "[Policy]\nAutoEnable=false\n");
  for (const auto& bad : hostile_strings())
    for (const char* cmd : {"setup", "cleanup", "ready", "enabled", "boot"})
      check_refused(root.path(), "bluetooth", {cmd, bad}, "too many arguments");

  // A main.conf sc cannot edit safely: a clear error, nothing changed.
  write_text(root / "etc/bluetooth/main.conf", "[Policy]\nAutoEnable=false\n[Policy]\nAutoEnable=0\n");
  const std::string before = tree_hash(root.path());
  ScRun r = run_sc_rooted(root.path(), {"bluetooth", "setup"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("two [Policy] sections"));
  CHECK(tree_hash(root.path()) == before);
  // A record that is not sc's: cleanup refuses, nothing changed.
  write_text(root / "etc/bluetooth/main.conf", "[Policy]\nAutoEnable=true\n");
  write_text(root / "var/lib/sc/bluetooth/main.conf.json", "{\"kind\":\"replaced\",\"line\":\"x\\n[General]\"}\n");
  const std::string planted = tree_hash(root.path());
  r = run_sc_rooted(root.path(), {"bluetooth", "cleanup"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("not a record sc wrote"));
  CHECK(tree_hash(root.path()) == planted);
}
