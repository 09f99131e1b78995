// The original tool's settings and ours: the mapping table
// (core/settings/original_settings), through the store and the CLI.
#include "settings/original_settings.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "settings/settings_store.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
namespace os = sc::original_settings;
using Map = std::map<std::string, std::string>;

namespace {

// An /etc/sc as the original's `settings save` writes it: the paths its main
// script lists, then each loaded module's settings, `NAME='value'`, the
// original's own quoting of a single quote.
const char* kOriginalFile =
    "SCROOTDIR=''\n"
    "SCPREFIX='/usr/local'\n"
    "SCLIBDIR='/usr/local/lib/sc'\n"
    "SCBIN='/usr/local/sbin/sc'\n"
    "SCDEF='/etc/default/sc'\n"
    "SETTINGS_VERSION='1006'\n"
    "MASTER='m.example.org'\n"
    "MASTER_MODE='client'\n"
    "MASSBACKUP='0'\n"
    "MASSMODE='unison'\n"
    "RETROARCH='1'\n"
    "SCUPDATEURL='https://github.com/retro16/synccluster/archive/master.tar.gz'\n"
    "UNISON='/var/lib/unison'\n"
    "MAILDIR='/var/mail'\n"
    "SPAMMAILDIR='Junk'\n"
    "HAMMAILDIR='Good'\n"
    "RELAYHOST='smtp.example.org'\n"
    "ROUNDCUBE_PASSWORD='r0und'\\''cube $(x)'\n"
    "CLOUD_PASSWORD='cl;oud'\n"
    "SSHLINK_SPEEDLIMITS=' slow.example.org:200 m:1000'\n"
    "BACKUP_LIST=' daily:m hourly:web:/srv/www '\n"
    "PGVERSION='15'\n"
    "SCANMODE='remote'\n"
    "SCANOPT='--mode=Gray --resolution 200'\n"
    "FQDN='c1.example.org'\n"
    "HANDMADE='kept as it is'\n";

Map parsed(const std::string& text, std::vector<std::string>* notes = nullptr) {
  Map out;
  std::string err;
  INFO(err);
  REQUIRE(sc::parse_settings(text, "/etc/sc", &out, &err, notes));
  return out;
}

}  // namespace

TEST_CASE("original settings: the table is sorted, unique, and every kept name is ours", "[settings][original]") {
  std::set<std::string> seen;
  std::string_view last;
  for (const auto& m : os::table()) {
    CHECK(last < m.original);
    last = m.original;
    CHECK(seen.insert(std::string(m.original)).second);
    CHECK(!m.why.empty());
    CHECK((m.how == os::How::dropped) == m.ours.empty());
    for (auto o : m.ours) CHECK(sc::valid_setting_name(o));
    CHECK(os::find(m.original) == &m);
  }
  CHECK(os::find("NOT_ORIGINAL") == nullptr);
}

TEST_CASE("original settings: names, boolean sense and constants are mapped on parse", "[settings][original]") {
  std::vector<std::string> notes;
  Map v = parsed(kOriginalFile, &notes);
  CHECK(v == Map{{"BACKUP_LIST", " daily:m hourly:web:/srv/www "},
                 {"CLOUD_ADMIN_PASSWORD", "cl;oud"},
                 {"CLOUD_DB_PASSWORD", "cl;oud"},
                 {"FQDN", "c1.example.org"},
                 {"HANDMADE", "kept as it is"},
                 {"MAIL_RELAYHOST", "smtp.example.org"},
                 {"MASS_BACKUP", "yes"},  // 0 meant yes
                 {"MASS_MODE", "unison"},
                 {"MASTER_HOST", "m.example.org"},
                 {"MASTER_MODE", "client"},
                 {"MEDIA_RETROARCH", "no"},  // 1 meant no
                 {"ROUNDCUBE_DB_PASSWORD", "r0und'cube $(x)"},
                 {"SCANNER_MODE", "remote"},
                 {"SCANNER_OPTIONS", "--mode=Gray --resolution 200"},
                 {"SSHLINK_SPEEDLIMITS", "slow.example.org=200 m=1000"}});
  std::string all;
  for (const auto& n : notes) all += n + "\n";
  CHECK_THAT(all, Contains("MASSBACKUP=0 became MASS_BACKUP=yes") && Contains("MASTER became MASTER_HOST") &&
                      Contains("SCUPDATEURL dropped") && Contains("UNISON dropped") && Contains("SCBIN dropped"));
  // Secrets are named, never quoted.
  CHECK_THAT(all, !Contains("r0und") && !Contains("cl;oud"));
}

TEST_CASE("original settings: edge cases of the mapping", "[settings][original]") {
  std::vector<std::string> notes;
  // A boolean that is neither 0 nor 1 is dropped (it would flip otherwise);
  // an update URL of one's own is kept; our name given too wins.
  Map v = parsed("MASSBACKUP='yes'\nSCUPDATEURL='https://mirror.example/sc.tar.gz'\nMASTER='old'\nMASTER_HOST='new'\n",
                 &notes);
  CHECK(v == Map{{"MASTER_HOST", "new"}, {"UPDATE_URL", "https://mirror.example/sc.tar.gz"}});
  // Our own format is never mapped: MASTER there is just a name.
  Map ours = parsed("# sc-settings 1\nMASTER=\"x\"\n");
  CHECK(ours == Map{{"MASTER", "x"}});
}

TEST_CASE("original settings: what the original would hold, from ours", "[settings][original]") {
  Map ours = {{"MASTER_HOST", "m"},
              {"MASS_BACKUP", "no"},
              {"MEDIA_RETROARCH", "yes"},
              {"UPDATE_URL", "https://x"},
              {"BACKUP_LIST", "daily:a weekly:b:/p"},
              {"PORTFORWARD_LIST", "h:22 g:80"},
              {"SSHLINK_SPEEDLIMITS", "a=10 b=20"},
              {"MAILDIR", "/srv/mail"}};
  auto get = [&](const std::string& n) -> std::optional<std::string> {
    auto it = ours.find(n);
    return it == ours.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  CHECK(os::to_original("MASTER", get) == "m");
  CHECK(os::to_original("MASSBACKUP", get) == "1");
  CHECK(os::to_original("RETROARCH", get) == "0");
  CHECK(os::to_original("SCUPDATEURL", get) == std::nullopt);  // never sc's archive to the bash tool
  CHECK(os::to_original("BACKUP_LIST", get) == " daily:a weekly:b:/p ");
  CHECK(os::to_original("PORTFORWARD_LIST", get) == " h:22 g:80");
  CHECK(os::to_original("SSHLINK_SPEEDLIMITS", get) == " a:10 b:20");
  CHECK(os::to_original("MASSDIR", get) == "/srv/mass");    // a constant of the original
  CHECK(os::to_original("MAILDIR", get) == "/srv/mail");    // ours is a setting
  CHECK(os::to_original("CLOUDDIR", get) == "/srv/cloud");  // unset here: the original's constant
  CHECK(os::to_original("MASTER_MODE", get) == std::nullopt);
  CHECK(os::to_original("PGVERSION", get) == std::nullopt);
  CHECK(os::to_original("NOT_ORIGINAL", get) == std::nullopt);
}

TEST_CASE("original settings: through sc settings import and sc settings original", "[settings][original][cli]") {
  TempDir root;
  write_text(root / "backup/sc", kOriginalFile, fs::perms(0600));
  ScRun r = run_sc_rooted(root.path(), {"settings", "import", "/backup/sc"});
  REQUIRE(r.status == 0);
  CHECK_THAT(r.err, Contains("MASSBACKUP=0 became MASS_BACKUP=yes") && !Contains("r0und"));
  CHECK(run_sc_rooted(root.path(), {"settings", "get", "MASTER_HOST"}).out == "m.example.org\n");
  CHECK(run_sc_rooted(root.path(), {"settings", "get", "MASS_BACKUP"}).out == "yes\n");
  CHECK(run_sc_rooted(root.path(), {"settings", "get", "MEDIA_RETROARCH"}).out == "no\n");
  CHECK(run_sc_rooted(root.path(), {"settings", "get", "SCBIN"}).status != 0);
  // Back the other way, as the original's client would ask its master.
  CHECK(run_sc_rooted(root.path(), {"settings", "original", "MASSBACKUP"}).out == "0\n");
  CHECK(run_sc_rooted(root.path(), {"settings", "original", "MASTER"}).out == "m.example.org\n");
  CHECK(run_sc_rooted(root.path(), {"settings", "original", "MASSDIR"}).out == "/srv/mass\n");
  r = run_sc_rooted(root.path(), {"settings", "original", "SCUPDATEURL"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("has no value on this host"));
  r = run_sc_rooted(root.path(), {"settings", "original", "NOPE"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("not a setting of the original tool"));
  r = run_sc_rooted(root.path(), {"settings", "original", "$(id);x"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("is not a setting name of the original tool"));
  // The table, every row.
  r = run_sc_rooted(root.path(), {"--json", "settings", "original"});
  auto rows = nlohmann::json::parse(r.out)["result"];
  CHECK(rows.size() == os::table().size());
  CHECK(rows[0]["original"] == "BACKUP_DIR");
}

TEST_CASE("update upgrade takes the original's build number", "[settings][original][cli]") {
  TempDir root;
  ScRun r = run_sc_rooted(root.path(), {"update", "upgrade", "1006"});
  CHECK(r.status == 0);
  CHECK_THAT(r.out,
             Contains("1006 is a build number of the original tool") && Contains("upgraded the modules from 0.0.0"));
  r = run_sc_rooted(root.path(), {"update", "upgrade", "10066"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("the original tool's build number"));
}

TEST_CASE("original settings: the README's migration section lists every row of the table", "[settings][original]") {
  const std::string readme = read_text(fs::path(kSourceDir) / "README.md");
  for (const auto& m : os::table()) {
    std::string row = "| `" + std::string(m.original) + "` | ";
    if (m.ours.empty()) row += "—";
    for (size_t i = 0; i < m.ours.size(); ++i) row += (i ? " and `" : "`") + std::string(m.ours[i]) + "`";
    row += " | " + std::string(os::how_name(m.how)) + " | ";
    INFO("add this row to the table of README.md's \"Migrating from the original sc\": " << row);
    CHECK_THAT(readme, Contains(row));
  }
}
