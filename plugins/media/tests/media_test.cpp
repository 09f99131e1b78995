// media's commands run by the built sc under --root: the account made by
// useradd in the root's account files, Kodi's home and library on the mass
// storage, sc's LightDM drop-in and nothing else of LightDM, a second setup
// that changes nothing, a dry run that changes nothing, cleanup. Kodi,
// LightDM and RetroArch themselves are stand-in programs (never installed
// for tests: big); LightDM is never started.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../media_config.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

namespace {

const std::string kLightdmConf = "[Seat:*]\n#autologin-user=\ngreeter-session=lightdm-gtk-greeter\n";
const std::string kOtherDropin = "[Seat:*]\nuser-session=xfce\n";

/// A root with the packages' programs, Debian's kodi session file, the
/// host's own LightDM configuration and another user's drop-in.
void make_media_root(const fs::path& root) {
  write_minimal_accounts(root);
  for (const char* p : {"usr/bin/kodi", "usr/sbin/lightdm", "usr/bin/retroarch"})
    write_text(root / p, "#!/bin/sh\n", fs::perms(0755));
  write_text(root / "usr/share/xsessions/kodi.desktop",
             "[Desktop Entry]\nName=Kodi\nExec=kodi-standalone\nType=Application\n");
  write_text(root / "etc/lightdm/lightdm.conf", kLightdmConf);
  write_text(root / "etc/lightdm/lightdm.conf.d/10-admin.conf", kOtherDropin);
  fs::create_directories(root / "srv/mass");
  fs::create_directories(root / "root");  // what pwck checks of root's entry
  write_text(root / "bin/bash", "", fs::perms(0755));
}

json doc_of(const ScRun& r) {
  INFO(r.out << r.err);
  return json::parse(r.out);
}

}  // namespace

TEST_CASE("media setup: the kodi account, its home and library on /srv/mass, LightDM's drop-in", "[media]") {
  TempDir root;
  make_media_root(root.path());
  const std::string before = tree_hash(root.path());

  ScRun r = run_sc_rooted(root.path(), {"--yes", "--dry-run", "media", "setup"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("useradd"));
  CHECK(tree_hash(root.path()) == before);

  r = run_sc_rooted(root.path(), {"--yes", "--json", "media", "setup"});
  REQUIRE(doc_of(r)["status"] == 0);
  const std::string passwd = read_text(root / "etc/passwd");
  auto kodi = media::find_account(passwd, "kodi");
  REQUIRE(kodi);
  CHECK(kodi->uid < 1000);
  CHECK(kodi->home == "/srv/mass/kodi");
  CHECK(account_check(root.path()) == "");
  const std::string ids = std::to_string(kodi->uid) + ":" + std::to_string(kodi->gid);
  CHECK(read_text(root / "etc/lightdm/lightdm.conf.d/60-sc-media.conf") == media::lightdm_dropin("kodi", "kodi"));
  CHECK(mode_of(root / "etc/lightdm/lightdm.conf.d/60-sc-media.conf") == "0644 0:0");
  CHECK(read_text(root / "srv/mass/kodi/.kodi/userdata/sources.xml") == media::sources_xml("/srv/mass/media"));
  CHECK(mode_of(root / "srv/mass/kodi") == "0750 " + ids);
  CHECK(mode_of(root / "srv/mass/kodi/.kodi/userdata/sources.xml") == "0644 " + ids);
  for (const char* d : {"video", "music", "pictures"}) CHECK(mode_of(root / "srv/mass/media" / d) == "0755 " + ids);
  // The host's own LightDM settings are untouched.
  CHECK(read_text(root / "etc/lightdm/lightdm.conf") == kLightdmConf);
  CHECK(read_text(root / "etc/lightdm/lightdm.conf.d/10-admin.conf") == kOtherDropin);

  // Again: nothing changes; a dry run changes nothing either.
  r = run_sc_rooted(root.path(), {"--yes", "--json", "media", "setup"});
  CHECK(doc_of(r)["summary"]["changed"] == 0);
  CHECK(run_actions(r).empty());
  const std::string done = tree_hash(root.path());
  r = run_sc_rooted(root.path(), {"--yes", "--dry-run", "media", "setup"});
  CHECK(r.status == 0);
  CHECK(tree_hash(root.path()) == done);

  // Kodi's own sources.xml is never overwritten.
  write_text(root / "srv/mass/kodi/.kodi/userdata/sources.xml", "<sources/>\n");
  REQUIRE(run_sc_rooted(root.path(), {"--yes", "media", "setup"}).status == 0);
  CHECK(read_text(root / "srv/mass/kodi/.kodi/userdata/sources.xml") == "<sources/>\n");

  r = run_sc_rooted(root.path(), {"media", "ready"});
  CHECK(r.status == 0);
  CHECK(run_sc_rooted(root.path(), {"media", "enabled"}).status == 0);
  r = run_sc_rooted(root.path(), {"media", "files"});
  CHECK(r.out ==
        "/etc/lightdm/lightdm.conf.d/60-sc-media.conf\n"
        "/srv/mass/kodi/.kodi/userdata\n");

  // cleanup: the drop-in goes, nothing else.
  r = run_sc_rooted(root.path(), {"media", "cleanup"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK_FALSE(fs::exists(root / "etc/lightdm/lightdm.conf.d/60-sc-media.conf"));
  CHECK(read_text(root / "etc/lightdm/lightdm.conf") == kLightdmConf);
  CHECK(read_text(root / "etc/lightdm/lightdm.conf.d/10-admin.conf") == kOtherDropin);
  CHECK(read_text(root / "etc/passwd") == passwd);
  CHECK(fs::exists(root / "srv/mass/kodi/.kodi/userdata/sources.xml"));
  CHECK(run_sc_rooted(root.path(), {"media", "enabled"}).status != 0);
  CHECK(run_sc_rooted(root.path(), {"media", "ready"}).status != 0);
  r = run_sc_rooted(root.path(), {"--json", "media", "cleanup"});
  CHECK(doc_of(r)["summary"]["changed"] == 0);
}

TEST_CASE("media setup without RetroArch needs no retroarch, and uses an existing kodi account", "[media]") {
  TempDir root;
  make_media_root(root.path());
  fs::remove(root.path() / "usr/bin/retroarch");
  write_accounts(root.path(), kMinimalPasswd + "kodi:x:990:990:Kodi:/srv/mass/tv:/bin/bash\n",
                 kMinimalShadow + "kodi:!:19000::::::\n", kMinimalGroup + "kodi:x:990:\n",
                 kMinimalGshadow + "kodi:!::\n");
  ScRun r = run_sc_rooted(root.path(), {"--set", "MEDIA_RETROARCH=no", "--json", "media", "setup"});
  REQUIRE(doc_of(r)["status"] == 0);
  CHECK(run_actions(r).empty());  // no useradd
  CHECK(mode_of(root / "srv/mass/tv") == "0750 990:990");
  CHECK(fs::exists(root / "srv/mass/tv/.kodi/userdata/sources.xml"));

  // A home sc does not write under is refused, naming it.
  write_accounts(root.path(), kMinimalPasswd + "kodi:x:990:990:Kodi:/:/bin/bash\n",
                 kMinimalShadow + "kodi:!:19000::::::\n", kMinimalGroup + "kodi:x:990:\n",
                 kMinimalGshadow + "kodi:!::\n");
  const std::string before = tree_hash(root.path());
  r = run_sc_rooted(root.path(), {"--set", "MEDIA_RETROARCH=no", "media", "setup"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("has the home \"/\""));
  CHECK(tree_hash(root.path()) == before);
  // The files hook still answers (a backup asks every module), without it.
  r = run_sc_rooted(root.path(), {"media", "files"});
  CHECK(r.status == 0);
  CHECK(r.out == "/etc/lightdm/lightdm.conf.d/60-sc-media.conf\n");
  CHECK_THAT(r.err, Contains("has the home \"/\""));
}

TEST_CASE("media setup refuses hostile settings and arguments, changing nothing", "[media]") {
  TempDir root;
  make_media_root(root.path());
  const std::string before = tree_hash(root.path());
  for (const std::string bad : {"maybe", "yes; rm -rf /", "yes\nno"}) {
    ScRun r = run_sc_rooted(root.path(), {"--set", "MEDIA_RETROARCH=" + bad, "media", "setup"});
    INFO(bad << ": " << r.err);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Contains("MEDIA_RETROARCH"));
    CHECK(tree_hash(root.path()) == before);
  }
  for (const std::string& bad : hostile_strings()) {
    check_refused(root.path(), "media", {"setup", bad}, "");
    check_refused(root.path(), "media", {"cleanup", bad}, "");
  }
}
