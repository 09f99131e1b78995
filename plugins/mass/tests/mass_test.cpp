#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../mass_mode.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

TEST_CASE("mass: modes, their record and their calls", "[mass]") {
  using mass::Applied;
  using mass::Call;
  using mass::Mode;
  for (const char* m : {"separated", "unison", "sshfs", "nfs4"}) CHECK(mass::mode_name(*mass::parse_mode(m)) == m);
  for (const char* bad : {"", "Unison", "nfs", "sshfs ", "local"}) CHECK_FALSE(mass::parse_mode(bad));

  const Applied sep{Mode::separated, "", ""}, uni{Mode::unison, "m", "daily"}, fs{Mode::sshfs, "root@m:2222", ""},
      nfs{Mode::nfs4, "m.example.com", ""};
  CHECK(mass::applied_text(sep) == "separated");
  CHECK(mass::applied_text(uni) == "unison m daily");
  CHECK(mass::applied_text(fs) == "sshfs root@m:2222");
  CHECK(mass::applied_text(nfs) == "nfs4 m.example.com");
  for (const auto& a : {sep, uni, fs, nfs}) CHECK(mass::parse_applied(mass::applied_text(a)) == a);
  for (const char* bad : {"", "separated m", "unison m", "sshfs", "sshfs m x", "nfs4  m", " nfs4 m", "tape m"})
    CHECK_FALSE(mass::parse_applied(bad));

  CHECK(mass::add_call(uni, false) == Call{"unisonsync", "add", {"m", "/srv/mass", "/srv/mass", "daily"}});
  CHECK(mass::add_call(uni, true) ==
        Call{"unisonsync", "add", {"m", "/srv/mass", "/srv/mass", "daily", "--fill-empty"}});
  CHECK(mass::has_call(uni) == Call{"unisonsync", "has", {"m", "/srv/mass", "daily"}});
  CHECK(mass::del_call(uni) == Call{"unisonsync", "del", {"m", "/srv/mass", "daily"}});
  CHECK(mass::add_call(fs, true) == Call{"sshshare", "add", {"root@m:2222", "/srv/mass", "/srv/mass"}});
  CHECK(mass::has_call(fs) == Call{"sshshare", "has", {"/srv/mass"}});
  CHECK(mass::del_call(fs) == Call{"sshshare", "del", {"root@m:2222", "/srv/mass", "/srv/mass"}});
  CHECK(mass::add_call(nfs, false) == Call{"nfsclient", "add", {"m.example.com", "/srv/mass", "/srv/mass", "--cache"}});
  CHECK(mass::has_call(nfs) == Call{"nfsclient", "has", {"/srv/mass"}});
  // nfsclient del takes the local path alone (the original passed it the wrong way round).
  CHECK(mass::del_call(nfs) == Call{"nfsclient", "del", {"/srv/mass"}});

  CHECK(mass::carrier(Mode::separated).empty());
  CHECK(mass::carrier_package(Mode::sshfs) == "synccluster-plugin-sshshare");
  CHECK(mass::mounts(Mode::sshfs));
  CHECK(mass::mounts(Mode::nfs4));
  CHECK_FALSE(mass::mounts(Mode::unison));
  CHECK(mass::aside_dir("20261202-073000") == "/srv/mass.local-20261202-073000");
}

namespace {
/// The stored value of a mass setting ("(unset)" when not stored).
std::string mass_setting(const fs::path& root, const std::string& name) {
  ScRun r = run_sc_rooted(root, {"settings", "print", "mass"});
  REQUIRE(r.status == 0);
  const std::string key = "\n" + name + "=\"";
  const std::string text = "\n" + r.out;
  auto at = text.find(key);
  if (at == std::string::npos) return "(unset)";
  at += key.size();
  return text.substr(at, text.find("\"\n", at) - at);
}
}  // namespace

TEST_CASE("mass setup, files, mode and cleanup of a separated host under --root", "[mass]") {
  TempDir root;
  fs::create_directories(root / "etc");
  const std::string before = tree_hash(root.path());
  ScRun r = run_sc_rooted(root.path(),
                          {"--dry-run", "--set", "MASS_MODE=separated", "--set", "MASS_BACKUP=yes", "mass", "setup"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.err, Contains("would change: mkdir /srv/mass"));
  CHECK(tree_hash(root.path()) == before);

  // Without a terminal, an unset mode is refused naming --set, and nothing changes.
  r = run_sc_rooted(root.path(), {"mass", "setup"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("--set MASS_MODE="));
  CHECK(tree_hash(root.path()) == before);

  r = run_sc_rooted(root.path(), {"--set", "MASS_MODE=separated", "--set", "MASS_BACKUP=yes", "mass", "setup"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(fs::is_directory(root / "srv/mass"));
  CHECK(mass_setting(root.path(), "MASS_APPLIED") == "separated");
  CHECK(mass_setting(root.path(), "MASS_MODE") == "separated");
  CHECK(run_sc_rooted(root.path(), {"mass", "ready"}).status == 0);

  r = run_sc_rooted(root.path(), {"--json", "mass", "files"});
  REQUIRE(r.status == 0);
  CHECK(json::parse(r.out)["result"] == json::array({"/srv/mass"}));
  r = run_sc_rooted(root.path(), {"mass", "mode"});
  CHECK(r.out == "separated, backed up\n");

  // Idempotent.
  r = run_sc_rooted(root.path(), {"--json", "mass", "setup"});
  REQUIRE(r.status == 0);
  CHECK(json::parse(r.out)["summary"]["changed"] == 0);

  // The status hook: in place, no problem, MASS_HOST unused when separated;
  // the directory gone is an error whose fix is setup, and sc status says so.
  r = run_sc_rooted(root.path(), {"--json", "mass", "status"});
  REQUIRE(r.status == 0);
  json st = json::parse(r.out)["result"];
  CHECK(st["problems"].empty());
  CHECK(st["facts"]["mode"] == "separated");
  CHECK(st["unused_settings"] == json::array({"MASS_HOST"}));
  fs::rename(root / "srv/mass", root / "srv/mass.away");
  st = json::parse(run_sc_rooted(root.path(), {"--json", "mass", "status", "local"}).out)["result"];
  REQUIRE(st["problems"].size() == 1);
  CHECK(st["problems"][0]["level"] == "error");
  CHECK(st["problems"][0]["fix"] == "sc mass setup");
  r = run_sc_rooted(root.path(), {"status", "--local"});
  CHECK(r.status == 1);
  CHECK_THAT(r.out, Contains("ERROR  mass: the mass storage (separated) is not in place any more"));
  fs::rename(root / "srv/mass.away", root / "srv/mass");

  // No backup: the files hook lists nothing.
  REQUIRE(run_sc_rooted(root.path(), {"settings", "set", "MASS_BACKUP", "no"}).status == 0);
  REQUIRE(run_sc_rooted(root.path(), {"mass", "setup"}).status == 0);
  r = run_sc_rooted(root.path(), {"--json", "mass", "files"});
  CHECK(json::parse(r.out)["result"] == json::array());

  // Cleanup forgets the mode and keeps the files.
  write_text(root / "srv/mass/keep.txt", "data\n");
  r = run_sc_rooted(root.path(), {"mass", "cleanup"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(read_text(root / "srv/mass/keep.txt") == "data\n");
  CHECK(mass_setting(root.path(), "MASS_APPLIED") == "(unset)");
  CHECK(mass_setting(root.path(), "MASS_MODE") == "(unset)");
  CHECK(run_sc_rooted(root.path(), {"mass", "ready"}).status == 1);
  r = run_sc_rooted(root.path(), {"mass", "mode"});
  CHECK(r.out == "not set up\n");
}

TEST_CASE("mass setup refuses a bad MASS_HOST, a file at /srv/mass and a foreign MASS_APPLIED", "[mass]") {
  TempDir root;
  fs::create_directories(root / "etc");
  const std::string before = tree_hash(root.path());
  for (const std::string& host : hostile_strings()) {
    ScRun r = run_sc_rooted(root.path(), {"--set", "MASS_MODE=sshfs", "--set", "MASS_HOST=" + host, "mass", "setup"});
    INFO(host << "\n" << r.err);
    CHECK(r.status == 2);
    CHECK(tree_hash(root.path()) == before);
  }
  write_text(root / "srv/mass", "not a directory\n");
  ScRun r = run_sc_rooted(root.path(), {"--set", "MASS_MODE=separated", "--set", "MASS_BACKUP=no", "mass", "setup"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("/srv/mass exists and is not a directory"));
  CHECK(read_text(root / "srv/mass") == "not a directory\n");
  fs::remove(root / "srv/mass");

  REQUIRE(run_sc_rooted(root.path(), {"settings", "set", "MASS_APPLIED", "tape drive"}).status == 0);
  r = run_sc_rooted(root.path(), {"--set", "MASS_MODE=separated", "--set", "MASS_BACKUP=no", "mass", "setup"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("was not written by sc mass"));
  CHECK_FALSE(fs::exists(root / "srv/mass"));
}
