#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../package_sets.hpp"
#include "common/apt_ensure.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

namespace {

/// Every admin tool present under `root` (empty executables).
void install_admin_tools(const fs::path& root) {
  for (const char* cmd :
       {"usr/bin/screen", "usr/bin/ntpq", "sbin/hdparm", "usr/sbin/iftop", "usr/sbin/smartctl", "usr/bin/git"})
    write_text(root / cmd, "", fs::perms(0755));
  fs::create_directories(root / "usr/share/doc/vim");
  fs::create_directories(root / "etc");
}

/// A plugin directory holding only `names`: modules missing from it (such
/// as aptpackage) are unavailable to the run.
void plugin_dir_with(const fs::path& dir, const std::vector<std::string>& names) {
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms(0755));
  for (const auto& n : names)
    for (const char* ext : {".so", ".json"})
      fs::copy_file(fs::path(kPluginDir) / (n + ext), dir / (n + ext), fs::copy_options::overwrite_existing);
}

}  // namespace

TEST_CASE("utils: the package sets for Debian 12", "[utils]") {
  CHECK(utils_pkg::admin_set() == std::vector<std::string>{"screen:screen", "ntpsec:ntpq", "hdparm:hdparm",
                                                           "iftop:iftop", "smartmontools:smartctl",
                                                           "vim:/usr/share/doc/vim", "git:git"});
  CHECK(utils_pkg::server_set() ==
        std::vector<std::string>{"libvirt-daemon-system", "qemu-system-x86", "ovmf", "debootstrap", "iotop", "iftop"});
  auto client = utils_pkg::client_set("");
  CHECK(client.size() == 26);
  CHECK(std::find(client.begin(), client.end(), "adb") != client.end());
  auto fr = utils_pkg::client_set("fr");
  CHECK(std::vector<std::string>(fr.end() - 2, fr.end()) ==
        std::vector<std::string>{"libreoffice-l10n-fr", "firefox-esr-l10n-fr"});
  CHECK(utils_pkg::valid_l10n("pt-br"));
  for (const char* bad : {"", "f", "FR", "fr_FR", "fr-", "-fr", "fr-br-x", "fr;x"})
    CHECK_FALSE(utils_pkg::valid_l10n(bad));
  // Every spec is well formed.
  std::vector<std::string> all = utils_pkg::admin_set();
  all.insert(all.end(), fr.begin(), fr.end());
  all.insert(all.end(), utils_pkg::server_set().begin(), utils_pkg::server_set().end());
  plugin_common::apt_ensure::Spec s;
  std::string why;
  for (const auto& spec : all) CHECK(plugin_common::apt_ensure::parse_spec(spec, &s, &why));
}

TEST_CASE("utils: every package exists in Debian 12", "[utils]") {
  // Needs APT's package lists (.ci/install-deps runs apt-get update).
  bool lists = false;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/var/lib/apt/lists", ec))
    lists = lists || e.path().filename().string().find("_Packages") != std::string::npos;
  if (!lists) {
    WARN("no APT package lists on this machine: package names not checked");
    return;
  }
  std::vector<std::string> names;
  auto add = [&](const std::vector<std::string>& specs) {
    for (const auto& spec : specs) names.push_back(spec.substr(0, spec.find(':')));
  };
  add(utils_pkg::admin_set());
  add(utils_pkg::client_set("fr"));
  add(utils_pkg::server_set());
  for (const auto& n : names) {
    sc::ProcessSpec p;
    p.argv = {"apt-cache", "policy", n};
    p.capture_out = p.capture_err = true;
    sc::ProcessResult r = sc::run_process(p);
    INFO(n << ": " << r.out);
    CHECK(r.ok());
    CHECK_THAT(r.out, Contains("Candidate:"));
    CHECK(r.out.find("Candidate: (none)") == std::string::npos);
  }
}

TEST_CASE("utils without the aptpackage module: checks, installs nothing", "[utils]") {
  TempDir root, plugins;
  plugin_dir_with(plugins / "lib", {"utils"});
  auto run_here = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--plugin-path", (plugins / "lib").string(), "--root", root.path().string()});
    return run_sc(args);
  };
  install_admin_tools(root.path());
  const std::string before = tree_hash(root.path());
  CHECK(run_here({"utils", "ready"}).status == 0);
  ScRun r = run_here({"utils", "setup"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "all 7 packages are installed\n");
  CHECK(tree_hash(root.path()) == before);

  fs::remove(root / "sbin/hdparm");
  fs::remove(root / "usr/sbin/iftop");
  const std::string missing = tree_hash(root.path());
  CHECK(run_here({"utils", "ready"}).status == 1);
  r = run_here({"utils", "setup"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("needs the Debian packages hdparm, iftop") &&
                        Contains("install them with `apt-get install hdparm iftop`"));
  CHECK(tree_hash(root.path()) == missing);
  CHECK(run_here({"utils", "setup", "extra"}).status == 2);
}

TEST_CASE("utils through aptpackage under --root: the install is recorded, not run", "[utils]") {
  TempDir root;
  install_admin_tools(root.path());
  fs::remove(root / "sbin/hdparm");
  const std::string before = tree_hash(root.path());
  ScRun r = run_sc_rooted(root.path(), {"utils", "setup"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("not run: ") && Contains("install"));
  CHECK_THAT(r.out, Contains("installing: hdparm\n"));
  CHECK(r.out.find("screen") == std::string::npos);  // present: not installed again
  json doc = json::parse(run_sc_rooted(root.path(), {"--json", "utils", "setup"}).out);
  CHECK(doc["result"]["installed"] == json{"hdparm"});
  CHECK(doc["result"]["present"].size() == 6);
  CHECK(tree_hash(root.path()) == before);

  doc = json::parse(run_sc_rooted(root.path(), {"--json", "--set", "UTILS_L10N=fr", "utils", "client"}).out);
  CHECK(doc["status"] == 0);
  CHECK(doc["result"]["present"].size() + doc["result"]["installed"].size() == 28);
  CHECK(doc["result"]["installed"].back() == "firefox-esr-l10n-fr");
  for (const auto& bad : hostile_strings()) {
    if (bad.empty()) continue;  // empty: no translations
    INFO(bad);
    r = run_sc_rooted(root.path(), {"--set", "UTILS_L10N=" + bad, "utils", "client"});
    CHECK(r.status == 2);
  }
  CHECK(tree_hash(root.path()) == before);
}
