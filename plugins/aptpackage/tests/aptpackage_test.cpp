// aptpackage through sc under --root: package requests, the planned apt-get
// argv, and setup/cleanup of the sources. Nothing is ever installed: under
// --root apt-get runs are recorded, not run.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../packages.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

namespace {

const std::string kDebian12Sources =
    "Types: deb\n"
    "URIs: http://deb.debian.org/debian\n"
    "Suites: bookworm bookworm-updates\n"
    "Components: main\n"
    "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    "\n"
    "Types: deb\n"
    "URIs: http://deb.debian.org/debian-security\n"
    "Suites: bookworm-security\n"
    "Components: main\n"
    "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n";

const std::string kHeader =
    "# Written by `sc aptpackage setup`: Debian components and suites this host's\n"
    "# own sources lack. `sc aptpackage cleanup` removes this file; setup rewrites it.\n";

void dpkg_status(const TempDir& root, const std::vector<std::pair<std::string, std::string>>& packages) {
  std::string text;
  for (const auto& [name, status] : packages)
    text += "Package: " + name + "\nStatus: " + status +
            "\nPriority: optional\nSection: misc\nMaintainer: Test <t@example.org>\nArchitecture: all\n"
            "Version: 1.0\nDescription: test package\n\n";
  write_text(root / "var/lib/dpkg/status", text);
}

void package_lists(const TempDir& root) {
  write_text(root / "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages", "");
}

}  // namespace

TEST_CASE("aptpackage: package requests", "[aptpackage]") {
  for (const char* ok : {"rsync", "g++", "libsdl2-dev", "postgresql-15", "xz-utils", "0ad", "lib.x+y-z"})
    CHECK(aptpackage::valid_package_name(ok));
  for (const char* bad : {"", "a", "Rsync", "-rsync", "+x", ".x", "rs ync", "rsync;id", "a_b", "a:b", "a/b"})
    CHECK_FALSE(aptpackage::valid_package_name(bad));
  CHECK_FALSE(aptpackage::valid_package_name(std::string(129, 'a')));

  aptpackage::PackageSpec s;
  std::string why;
  REQUIRE(aptpackage::parse_package_spec("openssh-client:ssh-keygen", &s, &why));
  CHECK(s.name == "openssh-client");
  CHECK(s.suite.empty());
  CHECK(s.check == "ssh-keygen");
  REQUIRE(aptpackage::parse_package_spec("postgresql-contrib:/usr/lib/postgresql/15/bin/pg_dump", &s, &why));
  CHECK(s.check == "/usr/lib/postgresql/15/bin/pg_dump");
  REQUIRE(aptpackage::parse_package_spec("wireguard/bookworm-backports:wg", &s, &why));
  CHECK(s.name == "wireguard");
  CHECK(s.suite == "bookworm-backports");
  CHECK(aptpackage::install_name(s) == "wireguard/bookworm-backports");
  REQUIRE(aptpackage::parse_package_spec("xz-utils", &s, &why));
  CHECK(s.check.empty());
  CHECK(aptpackage::install_name(s) == "xz-utils");
  for (const char* bad : {"rsync:", "rsync:a b", "rsync:../x", "rsync:/a/../b", "rsync:/", "rsync:$(id)", "x/",
                          "rsync/Bookworm", ":rsync", "rsync:/a\nb", "rsync:-x"}) {
    INFO(bad);
    CHECK_FALSE(aptpackage::parse_package_spec(bad, &s, &why));
    CHECK_THAT(why, Contains("is not a package request"));
  }
  for (const auto& h : hostile_strings()) CHECK_FALSE(aptpackage::parse_package_spec(h, &s, &why));

  CHECK(aptpackage::install_argv({"rsync", "unison"}) ==
        std::vector<std::string>{"apt-get", "install", "-y", "--no-install-recommends", "rsync", "unison"});
  CHECK(aptpackage::status_argv("rsync", "") ==
        std::vector<std::string>{"dpkg-query", "-W", "-f=${Status}\\n", "rsync"});
  CHECK(aptpackage::status_argv("rsync", "/r/var/lib/dpkg") ==
        std::vector<std::string>{"dpkg-query", "--admindir=/r/var/lib/dpkg", "-W", "-f=${Status}\\n", "rsync"});
  CHECK(aptpackage::status_installed("install ok installed\n"));
  CHECK(aptpackage::status_installed("deinstall ok config-files\nhold ok installed\n"));
  CHECK_FALSE(aptpackage::status_installed("deinstall ok config-files\n"));
  CHECK_FALSE(aptpackage::status_installed("install reinstreq half-installed\n"));
  CHECK_FALSE(aptpackage::status_installed(""));
}

TEST_CASE("aptpackage ensure and install plan one apt-get run", "[aptpackage]") {
  TempDir root;
  dpkg_status(root, {{"rsync", "install ok installed"}, {"unison", "deinstall ok config-files"}});
  write_text(root / "usr/bin/ssh", "", fs::perms(0755));
  write_text(root / "usr/bin/ssh-keygen", "", fs::perms(0644));  // not executable: missing
  write_text(root / "etc/ssl/certs/ssl-cert-snakeoil.pem", "");
  write_text(root / "etc/apt/sources.list.d/debian.sources", kDebian12Sources);

  // No package lists yet: apt-get update first. Both runs are recorded.
  std::string before = tree_hash(root.path());
  ScRun r = run_sc_rooted(root.path(), {"--json", "aptpackage", "ensure", "rsync", "unison", "openssh-client:ssh",
                                        "openssh-client:ssh-keygen", "ssl-cert:/etc/ssl/certs/ssl-cert-snakeoil.pem",
                                        "xz-utils:/usr/bin/xz", "wireguard/bookworm-backports:wg"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(run_actions(r) ==
        std::vector<std::string>{"apt-get update recorded",
                                 "apt-get install -y --no-install-recommends unison openssh-client xz-utils "
                                 "wireguard/bookworm-backports recorded"});
  json doc = json::parse(r.out);
  CHECK(doc["result"]["present"] == json({"rsync", "ssl-cert"}));
  CHECK(doc["result"]["installed"] == json({"unison", "openssh-client", "xz-utils", "wireguard/bookworm-backports"}));
  // ensure never touches the sources (nor anything else).
  CHECK(tree_hash(root.path()) == before);

  package_lists(root);
  before = tree_hash(root.path());
  r = run_sc_rooted(root.path(), {"--json", "aptpackage", "install", "rsync", "unison", "cron"});
  REQUIRE(r.status == 0);
  CHECK(run_actions(r) == std::vector<std::string>{"apt-get install -y --no-install-recommends unison cron recorded"});

  // Dry run: planned, not recorded; nothing changed.
  r = run_sc_rooted(root.path(), {"--json", "--dry-run", "aptpackage", "ensure", "cron:cron"});
  REQUIRE(r.status == 0);
  CHECK(run_actions(r) == std::vector<std::string>{"apt-get install -y --no-install-recommends cron planned"});
  CHECK(tree_hash(root.path()) == before);

  // Everything present: no run at all.
  r = run_sc_rooted(root.path(), {"--json", "aptpackage", "ensure", "rsync", "openssh-client:ssh", "rsync:/usr/bin"});
  REQUIRE(r.status == 0);
  CHECK(run_actions(r).empty());
  CHECK(json::parse(r.out)["result"]["installed"] == json::array());
  r = run_sc_rooted(root.path(), {"aptpackage", "ensure", "rsync"});
  CHECK(r.out.empty());
  r = run_sc_rooted(root.path(), {"aptpackage", "ensure", "cron"});
  CHECK_THAT(r.out, Contains("installing: cron"));
  CHECK_THAT(r.err, Contains("not run: apt-get install -y --no-install-recommends cron"));
}

TEST_CASE("aptpackage has", "[aptpackage]") {
  TempDir root;
  dpkg_status(root, {{"rsync", "install ok installed"}, {"unison", "deinstall ok config-files"}});
  CHECK(run_sc_rooted(root.path(), {"aptpackage", "has", "rsync"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"aptpackage", "has", "unison"}).status == 1);
  CHECK(run_sc_rooted(root.path(), {"aptpackage", "has", "cron"}).status == 1);
  CHECK(json::parse(run_sc_rooted(root.path(), {"--json", "aptpackage", "has", "rsync"}).out)["result"] == true);
  CHECK(json::parse(run_sc_rooted(root.path(), {"--json", "aptpackage", "has", "cron"}).out)["result"] == false);
  TempDir bare;  // no dpkg database at all
  CHECK(run_sc_rooted(bare.path(), {"aptpackage", "has", "rsync"}).status == 1);
  CHECK(run_sc_rooted(bare.path(), {"aptpackage", "ready"}).status == 0);
}

TEST_CASE("aptpackage refuses bad package requests and changes nothing", "[aptpackage]") {
  TempDir root;
  write_text(root / "etc/apt/sources.list.d/debian.sources", kDebian12Sources);
  const std::string before = tree_hash(root.path());
  auto refused = [&](const std::vector<std::string>& args, const std::string& message) {
    std::vector<std::string> all = {"--json", "aptpackage"};
    all.insert(all.end(), args.begin(), args.end());
    ScRun r = run_sc_rooted(root.path(), all);
    INFO(args.back());
    CHECK(r.status == 2);
    CHECK_THAT(r.out, Contains(message));
    CHECK(run_actions(r).empty());
    CHECK(tree_hash(root.path()) == before);
  };
  for (const auto& bad : hostile_strings()) {
    refused({"ensure", "rsync", bad}, "is not a package request");
    refused({"install", bad}, "is not a package request");
    refused({"has", bad}, "is not a Debian package name");
  }
  refused({"ensure", "Rsync"}, "is not a Debian package name");
  refused({"ensure", "rsync:../../bin/sh"}, "is neither a command name");
  refused({"install", "rsync:rsync"}, "install takes package names");
  refused({"ensure"}, "missing argument");
  refused({"has", "a", "b"}, "too many arguments");
}

TEST_CASE("aptpackage setup and cleanup on a deb822 host", "[aptpackage]") {
  TempDir root;
  write_text(root / "etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_CODENAME=bookworm\n");
  write_text(root / "etc/apt/sources.list.d/debian.sources", kDebian12Sources);
  // What the original tool left behind (malformed on deb822 hosts).
  write_text(root / "etc/apt/sources.list.d/sc_backports.list", "deb  -backports main contrib non-free\n");
  write_text(root / "etc/apt/sources.list.d/sc_contrib.list", "deb   contrib non-free\n");
  const std::string before = tree_hash(root.path());

  ScRun r = run_sc_rooted(root.path(), {"--dry-run", "aptpackage", "setup"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("would change: write /etc/apt/sources.list.d/sc.sources"));
  CHECK_THAT(r.err, Contains("would change: remove /etc/apt/sources.list.d/sc_backports.list"));
  CHECK_THAT(r.err, Contains("would run: apt-get update"));
  CHECK(tree_hash(root.path()) == before);

  r = run_sc_rooted(root.path(), {"--json", "aptpackage", "setup"});
  REQUIRE(r.status == 0);
  CHECK(run_actions(r) == std::vector<std::string>{"apt-get update recorded"});
  const std::string expected = kHeader +
                               "Types: deb\n"
                               "URIs: http://deb.debian.org/debian\n"
                               "Suites: bookworm bookworm-updates\n"
                               "Components: contrib\n"
                               "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
                               "\n"
                               "Types: deb\n"
                               "URIs: http://deb.debian.org/debian\n"
                               "Suites: bookworm-backports\n"
                               "Components: main contrib\n"
                               "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
                               "\n"
                               "Types: deb\n"
                               "URIs: http://deb.debian.org/debian-security\n"
                               "Suites: bookworm-security\n"
                               "Components: contrib\n"
                               "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n";
  CHECK(read_text(root / "etc/apt/sources.list.d/sc.sources") == expected);
  CHECK((fs::status(root / "etc/apt/sources.list.d/sc.sources").permissions() & fs::perms::all) == fs::perms(0644));
  CHECK_FALSE(fs::exists(root / "etc/apt/sources.list.d/sc.list"));
  CHECK_FALSE(fs::exists(root / "etc/apt/sources.list.d/sc_backports.list"));
  CHECK_FALSE(fs::exists(root / "etc/apt/sources.list.d/sc_contrib.list"));
  CHECK(read_text(root / "etc/apt/sources.list.d/debian.sources") == kDebian12Sources);
  json doc = json::parse(r.out);
  CHECK(doc["result"]["codename"] == "bookworm");
  REQUIRE(doc["result"]["added"].size() == 3);
  CHECK(doc["result"]["added"][1] == json({{"types", {"deb"}},
                                           {"uris", {"http://deb.debian.org/debian"}},
                                           {"suites", {"bookworm-backports"}},
                                           {"components", {"main", "contrib"}},
                                           {"from", "/etc/apt/sources.list.d/debian.sources:1"}}));

  // Second run: all ok, no apt-get update.
  r = run_sc_rooted(root.path(), {"--json", "aptpackage", "setup"});
  REQUIRE(r.status == 0);
  doc = json::parse(r.out);
  CHECK(doc["summary"]["changed"] == 0);
  CHECK(run_actions(r).empty());
  CHECK(doc["result"]["added"].size() == 3);  // still what sc adds

  // More components, no backports: the file follows the settings.
  r = run_sc_rooted(root.path(),
                    {"--set", "APT_COMPONENTS=contrib non-free", "--set", "APT_BACKPORTS=no", "aptpackage", "setup"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(read_text(root / "etc/apt/sources.list.d/sc.sources") ==
        kHeader +
            "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\n"
            "Components: contrib non-free\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
            "Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n"
            "Components: contrib non-free\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n");

  // cleanup removes sc's files only, then updates.
  r = run_sc_rooted(root.path(), {"--json", "aptpackage", "cleanup"});
  REQUIRE(r.status == 0);
  CHECK(run_actions(r) == std::vector<std::string>{"apt-get update recorded"});
  CHECK_FALSE(fs::exists(root / "etc/apt/sources.list.d/sc.sources"));
  CHECK(read_text(root / "etc/apt/sources.list.d/debian.sources") == kDebian12Sources);
  r = run_sc_rooted(root.path(), {"--json", "aptpackage", "cleanup"});
  CHECK(run_actions(r).empty());
  CHECK(json::parse(r.out)["summary"]["changed"] == 0);
}

TEST_CASE("aptpackage setup on a classic sources.list host", "[aptpackage]") {
  TempDir root;
  write_text(root / "etc/os-release", "VERSION=\"12 (bookworm)\"\n");
  const std::string list =
      "deb http://ftp.fr.debian.org/debian/ bookworm main\n"
      "deb [arch=amd64] http://security.debian.org/debian-security bookworm-security main contrib\n";
  write_text(root / "etc/apt/sources.list", list);
  ScRun r = run_sc_rooted(root.path(), {"aptpackage", "setup"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(read_text(root / "etc/apt/sources.list.d/sc.list") ==
        kHeader +
            "deb http://ftp.fr.debian.org/debian/ bookworm contrib\n"
            "deb http://ftp.fr.debian.org/debian/ bookworm-backports main contrib\n");
  CHECK_FALSE(fs::exists(root / "etc/apt/sources.list.d/sc.sources"));
  CHECK(read_text(root / "etc/apt/sources.list") == list);
  CHECK_THAT(r.out, Contains("sc source: deb http://ftp.fr.debian.org/debian/ bookworm-backports main contrib"));
  r = run_sc_rooted(root.path(), {"--json", "aptpackage", "setup"});
  CHECK(json::parse(r.out)["summary"]["changed"] == 0);
}

TEST_CASE("aptpackage setup fails cleanly when it cannot do its job", "[aptpackage]") {
  TempDir root;
  write_text(root / "etc/apt/sources.list.d/debian.sources", kDebian12Sources);
  std::string before = tree_hash(root.path());
  ScRun r = run_sc_rooted(root.path(), {"aptpackage", "setup"});  // no os-release
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("cannot tell the Debian release"));
  CHECK(tree_hash(root.path()) == before);

  write_text(root / "etc/os-release", "VERSION_CODENAME=trixie\n");  // sources are for bookworm
  before = tree_hash(root.path());
  r = run_sc_rooted(root.path(), {"aptpackage", "setup"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("no enabled source of Debian's archive for trixie"));
  CHECK(tree_hash(root.path()) == before);

  for (const std::string bad : {"main", "contrib universe", "contrib;id"}) {
    r = run_sc_rooted(root.path(), {"--set", "APT_COMPONENTS=" + bad, "aptpackage", "setup"});
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Contains("is not a Debian component to add"));
    CHECK(tree_hash(root.path()) == before);
  }

  // A malformed line of the host is reported and skipped, never copied.
  write_text(root / "etc/os-release", "VERSION_CODENAME=bookworm\n");
  write_text(root / "etc/apt/sources.list", "deb [arch=amd64 http://deb.debian.org/debian bookworm main\n");
  r = run_sc_rooted(root.path(), {"aptpackage", "setup"});
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("/etc/apt/sources.list:1: '[' without ']' (line ignored)"));
  CHECK_FALSE(fs::exists(root / "etc/apt/sources.list.d/sc.list"));
  CHECK(fs::exists(root / "etc/apt/sources.list.d/sc.sources"));
}
