// The APT source parsers and the setup planner: exact text, and APT's own
// reading of the result (apt-get indextargets on a private root).
#include "../apt_sources.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <sstream>

#include "engine/process.hpp"
#include "test_support.hpp"

using namespace sc::test;
using aptpackage::SourceEntry;
using Catch::Contains;

namespace {

const std::string kHeader =
    "# Written by `sc aptpackage setup`: Debian components and suites this host's\n"
    "# own sources lack. `sc aptpackage cleanup` removes this file; setup rewrites it.\n";

// Debian 12's debian.sources as the official container images ship it.
const std::string kDebian12Sources =
    "Types: deb\n"
    "# http://snapshot.debian.org/archive/debian/20250520T000000Z\n"
    "URIs: http://deb.debian.org/debian\n"
    "Suites: bookworm bookworm-updates\n"
    "Components: main\n"
    "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    "\n"
    "Types: deb\n"
    "# http://snapshot.debian.org/archive/debian-security/20250520T000000Z\n"
    "URIs: http://deb.debian.org/debian-security\n"
    "Suites: bookworm-security\n"
    "Components: main\n"
    "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n";

const std::string kClassicList =
    "# See sources.list(5)\n"
    "deb http://deb.debian.org/debian bookworm main non-free-firmware\n"
    "deb-src http://deb.debian.org/debian bookworm main non-free-firmware\n"
    "\n"
    "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://security.debian.org/debian-security "
    "bookworm-security main\n"
    "deb http://deb.debian.org/debian bookworm-updates main contrib  # already has contrib\n";

aptpackage::Wanted bookworm(std::vector<std::string> comps = {"contrib"}, bool backports = true) {
  aptpackage::Wanted w;
  w.codename = "bookworm";
  w.components = std::move(comps);
  w.backports = backports;
  return w;
}

std::vector<SourceEntry> concat(std::vector<SourceEntry> a, const std::vector<SourceEntry>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

struct AptView {
  std::string err;                // everything APT complained about
  std::set<std::string> targets;  // "deb URI SUITE COMPONENT"
};

// What APT itself makes of the sources under `root`: its parser, its
// duplicate and Signed-By conflict checks, no network.
AptView apt_view(const fs::path& root) {
  for (const char* d : {"etc/apt/apt.conf.d", "etc/apt/preferences.d", "etc/apt/sources.list.d",
                        "var/lib/apt/lists/partial", "var/cache/apt/archives/partial", "var/lib/dpkg"})
    fs::create_directories(root / d);
  if (!fs::exists(root / "var/lib/dpkg/status")) write_text(root / "var/lib/dpkg/status", "");
  write_text(root / "apt.conf", "");
  sc::ProcessSpec p;
  p.argv = {"apt-get",
            "-o",
            "Dir=" + root.string() + "/",
            "indextargets",
            "--no-release-info",
            "--format",
            "$(TARGET_OF) $(SITE) $(RELEASE) $(COMPONENT) $(IDENTIFIER)"};
  p.env_add = {"APT_CONFIG=" + (root / "apt.conf").string()};
  p.capture_out = true;
  p.capture_err = true;
  sc::ProcessResult r = sc::run_process(p);
  AptView v;
  v.err = r.err + (r.ok() ? "" : "exit: " + r.describe());
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    std::istringstream w(line);
    std::string type, site, release, comp, id;
    w >> type >> site >> release >> comp >> id;
    if (id == "Packages" || id == "Sources") {
      while (!site.empty() && site.back() == '/') site.pop_back();
      v.targets.insert(type + " " + site + " " + release + " " + comp);
    }
  }
  return v;
}

}  // namespace

TEST_CASE("aptpackage: one-line sources", "[aptpackage]") {
  const std::string text =
      "# comment line\n"
      "deb http://deb.debian.org/debian bullseye main contrib # trailing comment\n"
      "deb-src http://deb.debian.org/debian bullseye main\r\n"
      "deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
      "http://deb.debian.org/debian-security bullseye-security main\n"
      "  deb [ arch=amd64,i386 ]   http://ftp.fr.debian.org/debian/ bullseye-updates main\n"
      "deb cdrom:[Debian GNU/Linux 11.0.0 _Bullseye_ - Official amd64 DVD Binary-1 20210814-10:04]/ bullseye contrib "
      "main\n"
      "#deb http://deb.debian.org/debian bullseye-backports main\n"
      "deb http://example.org/flat ./\n"
      "rpm http://example.org/x y z\n"
      "deb http://example.org/only-uri\n"
      "deb [arch=amd64 http://example.org bullseye main\n"
      "deb http://example.org bullseye\n";
  std::vector<std::string> problems;
  auto e = aptpackage::parse_one_line(text, "/etc/apt/sources.list", &problems);
  REQUIRE(e.size() == 6);
  CHECK(e[0].where == "/etc/apt/sources.list:2");
  CHECK(e[0].types == std::vector<std::string>{"deb"});
  CHECK(e[0].uris == std::vector<std::string>{"http://deb.debian.org/debian"});
  CHECK(e[0].suites == std::vector<std::string>{"bullseye"});
  CHECK(e[0].components == std::vector<std::string>{"main", "contrib"});
  CHECK(e[0].options.empty());
  CHECK(e[1].types == std::vector<std::string>{"deb-src"});
  CHECK(e[1].components == std::vector<std::string>{"main"});
  CHECK(e[2].options ==
        std::vector<std::string>{"arch=amd64", "signed-by=/usr/share/keyrings/debian-archive-keyring.gpg"});
  CHECK(e[2].suites == std::vector<std::string>{"bullseye-security"});
  CHECK(e[3].options == std::vector<std::string>{"arch=amd64,i386"});
  CHECK(e[3].uris == std::vector<std::string>{"http://ftp.fr.debian.org/debian/"});
  CHECK(e[4].uris == std::vector<std::string>{
                         "cdrom:[Debian GNU/Linux 11.0.0 _Bullseye_ - Official amd64 DVD Binary-1 20210814-10:04]/"});
  CHECK(e[4].components == std::vector<std::string>{"contrib", "main"});
  CHECK(e[5].suites == std::vector<std::string>{"./"});
  CHECK(e[5].components.empty());
  REQUIRE(problems.size() == 4);
  CHECK_THAT(problems[0], Contains("sources.list:9: unknown type \"rpm\""));
  CHECK_THAT(problems[1], Contains(":10: no URI or no suite"));
  CHECK_THAT(problems[2], Contains(":11: '[' without ']'"));
  CHECK_THAT(problems[3], Contains(":12: no component after the suite"));

  // Formatting gives the entries back as written (options kept).
  CHECK(aptpackage::format_one_line({e[2], e[3]}) ==
        "deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
        "http://deb.debian.org/debian-security bullseye-security main\n"
        "deb [arch=amd64,i386] http://ftp.fr.debian.org/debian/ bullseye-updates main\n");
}

TEST_CASE("aptpackage: deb822 sources", "[aptpackage]") {
  const std::string text = "# A comment before the first stanza\n" + kDebian12Sources +
                           "\n\n"
                           "Types: deb deb-src\n"
                           "URIs: http://deb.debian.org/debian\n"
                           "  http://ftp.fr.debian.org/debian\n"
                           "Suites: bookworm-backports\n"
                           "Components: main contrib\n"
                           "Enabled: no\n"
                           "Architectures: amd64\n"
                           "Signed-By:\n"
                           " -----BEGIN PGP PUBLIC KEY BLOCK-----\n"
                           " .\n"
                           " mQINBGPL0BUBEADmW5NlOWCkR8T\n"
                           " -----END PGP PUBLIC KEY BLOCK-----\n"
                           " \t\n"  // whitespace only: ends the stanza
                           "types: deb\n"
                           "uris: http://example.org/x\n"
                           "suites: stable\n"
                           "components: main\n"
                           "\n"
                           "Types: deb\n"
                           "URIs: http://example.org/nosuite\n"
                           "\n"
                           "Types: deb\n"
                           "this line has no colon\n"
                           "Suites: x\n"
                           "\n"
                           " orphan continuation\n"
                           "\n"
                           "Types: deb\n"
                           "Types: deb-src\n"
                           "URIs: http://example.org\n"
                           "Suites: x\n";
  std::vector<std::string> problems;
  auto e = aptpackage::parse_deb822(text, "debian.sources", &problems);
  REQUIRE(e.size() == 4);
  CHECK(e[0].where == "debian.sources:2");
  CHECK(e[0].format == SourceEntry::Format::deb822);
  CHECK(e[0].suites == std::vector<std::string>{"bookworm", "bookworm-updates"});
  CHECK(e[0].components == std::vector<std::string>{"main"});
  CHECK(e[0].fields == std::vector<std::string>{"Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"});
  CHECK(e[0].enabled);
  CHECK(e[1].uris == std::vector<std::string>{"http://deb.debian.org/debian-security"});
  CHECK(e[2].types == std::vector<std::string>{"deb", "deb-src"});
  CHECK(e[2].uris == std::vector<std::string>{"http://deb.debian.org/debian", "http://ftp.fr.debian.org/debian"});
  CHECK_FALSE(e[2].enabled);
  CHECK(e[2].fields == std::vector<std::string>{"Architectures: amd64",
                                                "Signed-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n"
                                                " mQINBGPL0BUBEADmW5NlOWCkR8T\n -----END PGP PUBLIC KEY BLOCK-----"});
  CHECK(e[3].suites == std::vector<std::string>{"stable"});  // field names are case-insensitive
  REQUIRE(problems.size() == 4);
  CHECK_THAT(problems[0], Contains("no Types, URIs or Suites"));
  CHECK_THAT(problems[1], Contains("\"this line has no colon\" is not a \"Name: value\" field"));
  CHECK_THAT(problems[2], Contains("continuation line without a field"));
  CHECK_THAT(problems[3], Contains("field Types is given twice"));

  // Formatting: fields copied whole, the key block included.
  SourceEntry copy = e[2];
  copy.suites = {"bookworm"};
  copy.components = {"non-free"};
  CHECK(aptpackage::format_deb822({e[0], copy}) ==
        "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
        "Types: deb deb-src\nURIs: http://deb.debian.org/debian http://ftp.fr.debian.org/debian\nSuites: bookworm\n"
        "Components: non-free\nArchitectures: amd64\n"
        "Signed-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n mQINBGPL0BUBEADmW5NlOWCkR8T\n"
        " -----END PGP PUBLIC KEY BLOCK-----\n");
}

TEST_CASE("aptpackage: Debian suites, URIs and os-release", "[aptpackage]") {
  for (const char* s : {"bookworm", "bookworm-updates", "bookworm-security", "bookworm-backports",
                        "bookworm-proposed-updates", "stable", "stable-updates", "oldstable-backports", "testing"})
    CHECK(aptpackage::is_debian_suite(s, "bookworm"));
  for (const char* s : {"bullseye", "bookworm-pgdg", "bookworm/updates", "sid", "", "./", "bookwormx", "stable/"})
    CHECK_FALSE(aptpackage::is_debian_suite(s, "bookworm"));
  CHECK(aptpackage::is_debian_uri("http://deb.debian.org/debian"));
  CHECK(aptpackage::is_debian_uri("mirror+file:///etc/apt/mirrors/debian.list"));
  CHECK(aptpackage::is_debian_uri("http://ftp.FR.Debian.org/debian/"));
  CHECK_FALSE(aptpackage::is_debian_uri("cdrom:[Debian GNU/Linux 12]/"));
  CHECK_FALSE(aptpackage::is_debian_uri("https://packages.sury.org/php/"));

  CHECK(aptpackage::os_release_codename(
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_CODENAME=bookworm\n") == "bookworm");
  CHECK(aptpackage::os_release_codename("VERSION=\"13 (trixie)\"\n") == "trixie");
  CHECK(aptpackage::os_release_codename("VERSION_CODENAME='trixie'\n") == "trixie");
  CHECK(aptpackage::os_release_codename("ID=debian\n").empty());
  CHECK(aptpackage::os_release_codename("VERSION=\"12 (Book Worm)\"\n").empty());

  CHECK(aptpackage::apt_reads_file("debian.sources", ".sources"));
  CHECK(aptpackage::apt_reads_file("pgdg.list", ".list"));
  CHECK_FALSE(aptpackage::apt_reads_file("pgdg.list.save", ".list"));
  CHECK_FALSE(aptpackage::apt_reads_file("my repo.list", ".list"));
  CHECK_FALSE(aptpackage::apt_reads_file(".list", ".list"));
}

TEST_CASE("aptpackage: setup's additions for Debian 12's deb822 sources", "[aptpackage]") {
  auto host = aptpackage::parse_deb822(kDebian12Sources, "debian.sources", nullptr);
  aptpackage::Plan plan = aptpackage::plan_sources(host, bookworm());
  CHECK(plan.found_debian);
  CHECK(plan.one_line_text.empty());
  CHECK(plan.deb822_text == kHeader +
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
                                "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n");
  REQUIRE(plan.added.size() == 3);
  CHECK(plan.added[0].where == "debian.sources:1");

  // With the additions in place there is nothing left to add.
  auto ours = aptpackage::parse_deb822(plan.deb822_text, "sc.sources", nullptr);
  aptpackage::Plan again = aptpackage::plan_sources(concat(host, ours), bookworm());
  CHECK(again.added.empty());

  // APT reads the pair without a warning and sees every wanted target.
  TempDir root;
  write_text(root / "etc/apt/sources.list.d/debian.sources", kDebian12Sources);
  write_text(root / "etc/apt/sources.list.d/sc.sources", plan.deb822_text);
  AptView v = apt_view(root.path());
  CHECK(v.err.empty());
  for (const char* t :
       {"deb http://deb.debian.org/debian bookworm contrib", "deb http://deb.debian.org/debian bookworm main",
        "deb http://deb.debian.org/debian bookworm-updates contrib",
        "deb http://deb.debian.org/debian bookworm-backports main",
        "deb http://deb.debian.org/debian bookworm-backports contrib",
        "deb http://deb.debian.org/debian-security bookworm-security contrib"}) {
    INFO(t);
    CHECK(v.targets.count(t) == 1);
  }
}

TEST_CASE("aptpackage: setup's additions for a classic sources.list", "[aptpackage]") {
  auto host = aptpackage::parse_one_line(kClassicList, "/etc/apt/sources.list", nullptr);
  aptpackage::Plan plan = aptpackage::plan_sources(host, bookworm());
  CHECK(plan.deb822_text.empty());
  CHECK(plan.one_line_text == kHeader +
                                  "deb http://deb.debian.org/debian bookworm contrib\n"
                                  "deb http://deb.debian.org/debian bookworm-backports main contrib\n"
                                  "deb-src http://deb.debian.org/debian bookworm contrib\n"
                                  "deb-src http://deb.debian.org/debian bookworm-backports main contrib\n"
                                  "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
                                  "http://security.debian.org/debian-security bookworm-security contrib\n");
  auto ours = aptpackage::parse_one_line(plan.one_line_text, "sc.list", nullptr);
  CHECK(aptpackage::plan_sources(concat(host, ours), bookworm()).added.empty());

  TempDir root;
  write_text(root / "etc/apt/sources.list", kClassicList);
  write_text(root / "etc/apt/sources.list.d/sc.list", plan.one_line_text);
  AptView v = apt_view(root.path());
  CHECK(v.err.empty());
  for (const char* t :
       {"deb http://deb.debian.org/debian bookworm contrib", "deb-src http://deb.debian.org/debian bookworm contrib",
        "deb http://deb.debian.org/debian bookworm-backports contrib",
        "deb-src http://deb.debian.org/debian bookworm-backports main",
        "deb http://security.debian.org/debian-security bookworm-security contrib"}) {
    INFO(t);
    CHECK(v.targets.count(t) == 1);
  }
}

TEST_CASE("aptpackage: setup adds nothing that is already there", "[aptpackage]") {
  const std::string complete =
      "deb http://deb.debian.org/debian bookworm main contrib\n"
      "deb http://deb.debian.org/debian/ bookworm-backports main contrib\n";  // trailing '/' is the same URI
  auto host = aptpackage::parse_one_line(complete, "sources.list", nullptr);
  aptpackage::Plan plan = aptpackage::plan_sources(host, bookworm());
  CHECK(plan.found_debian);
  CHECK(plan.added.empty());
  CHECK(plan.one_line_text.empty());
  CHECK(plan.deb822_text.empty());

  // Without backports and with more components.
  plan = aptpackage::plan_sources(host, bookworm({"contrib", "non-free", "non-free-firmware"}, false));
  CHECK(plan.one_line_text == kHeader +
                                  "deb http://deb.debian.org/debian bookworm non-free non-free-firmware\n"
                                  "deb http://deb.debian.org/debian/ bookworm-backports non-free non-free-firmware\n");

  // The same source twice (two files) is extended once.
  auto twice =
      concat(host, aptpackage::parse_one_line("deb http://deb.debian.org/debian bookworm main\n", "b.list", nullptr));
  plan = aptpackage::plan_sources(twice, bookworm({"non-free"}, false));
  CHECK(plan.added.size() == 2);
}

TEST_CASE("aptpackage: setup leaves other sources alone", "[aptpackage]") {
  const std::string others =
      "Types: deb\n"
      "URIs: http://deb.debian.org/debian\n"
      "Suites: bookworm\n"
      "Components: main\n"
      "Enabled: no\n"
      "\n"
      "Types: deb\n"
      "URIs: https://download.docker.com/linux/debian\n"
      "Suites: bookworm\n"
      "Components: stable\n"
      "\n"
      "Types: deb\n"
      "URIs: http://apt.postgresql.org/pub/repos/apt\n"
      "Suites: bookworm-pgdg\n"
      "Components: main\n";
  auto host = concat(aptpackage::parse_deb822(others, "others.sources", nullptr),
                     aptpackage::parse_one_line("deb cdrom:[Debian GNU/Linux 12.0.0 _Bookworm_]/ bookworm main\n"
                                                "deb http://deb.debian.org/debian bullseye main\n",
                                                "sources.list", nullptr));
  aptpackage::Plan plan = aptpackage::plan_sources(host, bookworm());
  CHECK_FALSE(plan.found_debian);
  CHECK(plan.added.empty());
}

TEST_CASE("aptpackage: deb822 stanzas with several types, URIs and options", "[aptpackage]") {
  const std::string text =
      "Types: deb deb-src\n"
      "URIs: http://deb.debian.org/debian http://ftp.fr.debian.org/debian\n"
      "Suites: stable\n"
      "Components: main contrib\n"
      "Architectures: amd64\n"
      "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n";
  auto host = aptpackage::parse_deb822(text, "d.sources", nullptr);
  aptpackage::Plan plan = aptpackage::plan_sources(host, bookworm({"contrib", "non-free"}, true));
  CHECK(plan.deb822_text == kHeader +
                                "Types: deb deb-src\n"
                                "URIs: http://deb.debian.org/debian http://ftp.fr.debian.org/debian\n"
                                "Suites: stable\n"
                                "Components: non-free\n"
                                "Architectures: amd64\n"
                                "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
                                "\n"
                                "Types: deb deb-src\n"
                                "URIs: http://deb.debian.org/debian http://ftp.fr.debian.org/debian\n"
                                "Suites: stable-backports\n"
                                "Components: main contrib non-free\n"
                                "Architectures: amd64\n"
                                "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n");

  // One (type, URI) already has non-free: the others get their own stanzas.
  auto partly = concat(host, aptpackage::parse_one_line("deb-src http://deb.debian.org/debian stable non-free\n",
                                                        "sources.list", nullptr));
  plan = aptpackage::plan_sources(partly, bookworm({"non-free"}, false));
  CHECK(plan.deb822_text == kHeader +
                                "Types: deb\n"
                                "URIs: http://deb.debian.org/debian http://ftp.fr.debian.org/debian\n"
                                "Suites: stable\n"
                                "Components: non-free\n"
                                "Architectures: amd64\n"
                                "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
                                "\n"
                                "Types: deb-src\n"
                                "URIs: http://ftp.fr.debian.org/debian\n"
                                "Suites: stable\n"
                                "Components: non-free\n"
                                "Architectures: amd64\n"
                                "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n");
  TempDir root;
  write_text(root / "etc/apt/sources.list.d/d.sources", text);
  write_text(root / "etc/apt/sources.list", "deb-src http://deb.debian.org/debian stable non-free\n");
  write_text(root / "etc/apt/sources.list.d/sc.sources", plan.deb822_text);
  AptView v = apt_view(root.path());
  CHECK(v.err.empty());
  CHECK(v.targets.count("deb-src http://ftp.fr.debian.org/debian stable non-free") == 1);
  CHECK(v.targets.count("deb http://deb.debian.org/debian stable non-free") == 1);
}
