// `sc migrate [--undo]`: taking over a host of the original bash sc. The
// pure readers of the original's files, then the built sc with the real
// modules under --root, on a tree that looks like the original's install
// (every file written here from our own text, the way the original writes
// its cron entries and units).
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "base/sha256.hpp"
#include "commands/original_install.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using json = nlohmann::json;

namespace {

const std::string kFakeProgram =
    "#!/bin/bash\n"
    "# stand-in for the original's program, written for this test\n"
    "SCVERSION=1006 # build number\n"
    "exit 0\n";

/// The original's cron entry for `sc MODULE cron PERIOD ARGS` (its format).
std::string original_cron(const std::string& time, const std::string& module, const std::string& period,
                          const std::string& args) {
  const std::string file = "/etc/cron.d/sc_" + module + "_" + period;
  return time + " root flock -w 30 -E 1 '" + file + "' /usr/local/sbin/sc " + module + " cron " + period +
         (args.empty() ? "" : " " + args) + "\n";
}

/// The original's daemon unit for `daemon add NAME [INSTANCE]` (its format,
/// including its naming of the module NAME_INSTANCE on ExecStart).
std::string original_daemon_unit(const std::string& name, const std::string& instance) {
  const std::string stem = instance.empty() ? name : name + "_" + instance;
  return "[Unit]\nDescription=Start " + stem + " module as a daemon\nAfter=network-online.target\n\n[Service]\n" +
         "ExecStart=/usr/local/sbin/sc " + stem + " daemon " + instance +
         "\nKillMode=process\nUser=root\nGroup=root\nRestart=on-failure\n\n[Install]\nWantedBy=multi-user.target\n";
}

std::string original_boot_unit(const std::string& name) {
  return "[Unit]\nDescription=Start " + name + " module at boot\nAfter=network-online.target\n\n[Service]\n" +
         "Type=oneshot\nExecStart=/usr/local/sbin/sc " + name + " boot \nUser=root\nGroup=root\n\n[Install]\n" +
         "WantedBy=multi-user.target\n";
}

void link_enabled(const fs::path& root, const std::string& unit) {
  fs::create_directories(root / "etc/systemd/system/multi-user.target.wants");
  fs::create_symlink("/etc/systemd/system/" + unit, root / "etc/systemd/system/multi-user.target.wants" / unit);
}

/// A host where the original is installed: program, modules, settings,
/// cron entries (one for a module sc lacks), a daemon and a boot unit;
/// the rest of a small Debian tree (cron installed, /var/lib there).
void write_original(const fs::path& root) {
  write_text(root / "usr/local/sbin/sc", kFakeProgram, fs::perms(0755));
  write_text(root / "usr/local/lib/sc/backup", "#!/bin/bash\n# our stand-in of a module file\n", fs::perms(0755));
  write_text(root / "usr/local/lib/sc/master", "#!/bin/bash\n# our stand-in of a module file\n", fs::perms(0755));
  write_text(root / "etc/default/sc", "SCPREFIX=/usr/local\n");
  write_text(root / "etc/sc", "MASTER='h1.example'\nBACKUP_DIR='/srv/my backups'\nSCROOTDIR=''\n");
  write_text(root / "etc/cron.d/sc_backup_daily", original_cron("17 4 * * *", "backup", "daily", "/srv/data"),
             fs::perms(0755));
  write_text(root / "etc/cron.d/sc_oldmod_fast", original_cron("*/20 * * * *", "oldmod", "fast", ""), fs::perms(0755));
  write_text(root / "etc/systemd/system/sc_daemon_lifeline.service", original_daemon_unit("lifeline", ""));
  link_enabled(root, "sc_daemon_lifeline.service");
  write_text(root / "etc/systemd/system/sc_boot_master.service", original_boot_unit("master"));
  link_enabled(root, "sc_boot_master.service");
  write_text(root / "usr/sbin/cron", "", fs::perms(0755));
  write_text(root / "etc/hostname", "h2\n");
  fs::create_directories(root / "var/lib");
}

/// Every path under `root` outside the backup that still holds something
/// of the original (its program text, its entries' flock line, its units'
/// User= line).
std::vector<std::string> original_left(const fs::path& root) {
  std::vector<std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::end(it); ++it) {
    const std::string rel = fs::relative(it->path(), root).string();
    if (rel.rfind("var/lib/sc/migrate", 0) == 0) continue;
    if (!it->is_regular_file() || it->is_symlink()) continue;
    const std::string text = read_text(it->path());
    if (text.find("SCVERSION=") != std::string::npos ||
        text.find("flock -w 30 -E 1 '/etc/cron.d/") != std::string::npos || text.find("\nUser=") != std::string::npos ||
        text.find("MASTER='") != std::string::npos || rel == "etc/default/sc" || rel.rfind("usr/local/lib/sc/", 0) == 0)
      out.push_back(rel);
  }
  return out;
}

}  // namespace

TEST_CASE("sha256: the standard test vectors", "[migrate]") {
  CHECK(sc::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sc::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sc::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sc::sha256_hex(std::string(1000, 'a')) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

TEST_CASE("original install: the program is told by its SCVERSION line, never an ELF", "[migrate]") {
  using sc::original::program_version;
  CHECK(program_version(kFakeProgram) == std::optional<std::string>("1006"));
  CHECK(program_version("#!/bin/bash\n  SCVERSION=999\n") == std::optional<std::string>("999"));
  CHECK_FALSE(
      program_version(std::string("\x7f"
                                  "ELF\nSCVERSION=1006\n",
                                  19)));
  CHECK_FALSE(program_version("#!/bin/bash\necho no version\n"));
  CHECK_FALSE(program_version("SCVERSION=1006\n"));  // not a script
  CHECK(sc::original::is_module_file("backup", "#!/bin/bash\n"));
  CHECK_FALSE(sc::original::is_module_file("backup.so", "#!/bin/bash\n"));
  CHECK_FALSE(sc::original::is_module_file("backup.json", "{}"));
  CHECK_FALSE(sc::original::is_module_file("core", std::string("\x7f"
                                                               "ELF",
                                                               4)));
  CHECK_FALSE(sc::original::is_module_file("mod", std::string("a\0b", 3)));
}

TEST_CASE("original install: cron entries as the original writes them are read back", "[migrate]") {
  sc::original::CronTask t;
  std::string why;
  REQUIRE(sc::original::parse_cron("sc_backup_daily", original_cron("17 4 * * *", "backup", "daily", "/srv/a b2"), &t,
                                   &why));
  CHECK(t.module == "backup");
  CHECK(t.period == "daily");
  CHECK(t.schedule == "17 4 * * *");
  CHECK(t.args == std::vector<std::string>{"/srv/a", "b2"});  // the original's $@ is split by the shell
  REQUIRE(sc::original::parse_cron("sc_master_fast", original_cron("*/20 * * * *", "master", "fast", ""), &t, &why));
  CHECK(t.args.empty());
  REQUIRE(sc::original::parse_cron("sc_x_weekly", original_cron("1 2 * * 6", "x", "weekly", "'quoted arg'"), &t, &why));
  CHECK(t.args == std::vector<std::string>{"quoted arg"});

  // What the shell or cron would compute or change is refused, saying what.
  for (const std::string& args : {std::string("a; rm -rf /"), std::string("$(touch /tmp/p)"), std::string("`id`"),
                                  std::string("a|b"), std::string("50%"), std::string("\"$HOME\""),
                                  std::string("'unterminated"), std::string("*"), std::string("a>b")}) {
    INFO(args);
    why.clear();
    CHECK_FALSE(sc::original::parse_cron("sc_x_daily", original_cron("1 2 * * *", "x", "daily", args), &t, &why));
    CHECK_FALSE(why.empty());
  }
  CHECK_FALSE(
      sc::original::parse_cron("sc_x_daily", original_cron("1 2 * * *", "x", "daily", "a") + "2nd line\n", &t, &why));
  CHECK_FALSE(sc::original::parse_cron("sc_x_daily", original_cron("1 2 * * *", "y", "daily", ""), &t, &why));
  CHECK_FALSE(sc::original::parse_cron("sc_x_hourly", original_cron("1 2 * * *", "x", "daily", ""), &t, &why));
  CHECK_FALSE(sc::original::parse_cron("sc_X_daily", "", &t, &why));
}

TEST_CASE("original install: units as the original writes them are read back", "[migrate]") {
  sc::original::UnitTask u;
  std::string why;
  REQUIRE(sc::original::parse_unit("sc_daemon_lifeline.service", original_daemon_unit("lifeline", ""), &u, &why));
  CHECK(u.kind == sc::original::UnitTask::Kind::daemon);
  CHECK(u.module == "lifeline");
  CHECK(u.instance.empty());
  REQUIRE(sc::original::parse_unit("sc_daemon_portforward_h1.example.service",
                                   original_daemon_unit("portforward", "h1.example"), &u, &why));
  CHECK(u.module == "portforward");
  CHECK(u.instance == "h1.example");
  REQUIRE(sc::original::parse_unit("sc_boot_master.service", original_boot_unit("master"), &u, &why));
  CHECK(u.kind == sc::original::UnitTask::Kind::boot);
  CHECK(u.module == "master");
  CHECK_FALSE(sc::original::parse_unit("sc_boot_master.service",
                                       "[Service]\nExecStart=/usr/local/sbin/sc master boot; id\n", &u, &why));
  CHECK_FALSE(sc::original::parse_unit("sc_boot_master.service", "[Service]\n", &u, &why));
  CHECK(sc::original::written_by_us("# Written by `sc daemon add x`; remove it with `sc daemon del x`.\n"));
}

TEST_CASE("sc migrate: a host without the original is left alone", "[migrate]") {
  TempDir root;
  write_text(root / "etc/hostname", "h\n");
  const std::string before = tree_hash(root.path());
  ScRun r = run_sc_rooted(root.path(), {"migrate"});
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("the original sc is not installed"));
  CHECK(tree_hash(root.path()) == before);
  r = run_sc_rooted(root.path(), {"migrate", "--undo"});
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("Nothing to undo"));
  CHECK(tree_hash(root.path()) == before);
}

TEST_CASE("sc migrate: bad arguments are usage errors that change nothing", "[migrate]") {
  TempDir root;
  write_original(root.path());
  const std::string before = tree_hash(root.path());
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"migrate", "--bogus"}, {"migrate", "extra"}, {"migrate", "--undo", "--undo"}, {"migrate", "--undo", "x"}}) {
    ScRun r = run_sc_rooted(root.path(), args);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Contains("usage: sc migrate [--undo]"));
  }
  CHECK(tree_hash(root.path()) == before);
}

TEST_CASE("sc migrate: dry run, migration, second run, undo byte for byte", "[migrate]") {
  TempDir root;
  const fs::path& R = root.path();
  write_original(R);
  const std::string before = tree_hash(R);

  // The dry run shows every step and changes nothing.
  ScRun dry = run_sc_rooted(R, {"--dry-run", "migrate"});
  INFO(dry.err);
  REQUIRE(dry.status == 0);
  CHECK_THAT(dry.err, Contains("would change: remove /usr/local/sbin/sc"));
  CHECK_THAT(dry.err, Contains("would change: write /var/lib/sc/migrate/original/etc/sc"));
  CHECK_THAT(dry.err, Contains("would change: write /etc/cron.d/sc_backup_daily"));
  CHECK_THAT(dry.err, Contains("would change: write /var/lib/sc/migrate/original/migration.json"));
  CHECK(tree_hash(R) == before);

  ScRun r = run_sc_rooted(R, {"--json", "migrate"});
  INFO(r.out);
  INFO(r.err);
  REQUIRE(r.status == 0);
  json doc = json::parse(r.out);
  const json& res = doc["result"];
  CHECK(res["original_version"] == "1006");
  CHECK_THAT(res["settings_mapping"].dump(), Contains("MASTER became MASTER_HOST"));
  CHECK(res["original_modules"] == json::array({"backup", "master"}));
  CHECK(res["replaced"].size() == 3);
  REQUIRE(res["kept"].size() == 1);
  CHECK(res["kept"][0]["from"] == "/etc/cron.d/sc_oldmod_fast");
  CHECK_THAT(res["kept"][0]["why"].get<std::string>(), Contains("synccluster-plugin-oldmod"));
  CHECK_THAT(res["kept"][0]["why"].get<std::string>(), Contains("sc crontask add oldmod fast"));

  // Nothing of the original outside the backup; all of it inside.
  CHECK(original_left(R) == std::vector<std::string>{});
  const fs::path B = R / "var/lib/sc/migrate/original";
  CHECK(read_text(B / "usr/local/sbin/sc") == kFakeProgram);
  CHECK(read_text(B / "etc/sc") == "MASTER='h1.example'\nBACKUP_DIR='/srv/my backups'\nSCROOTDIR=''\n");
  CHECK(fs::is_symlink(B / "etc/systemd/system/multi-user.target.wants/sc_boot_master.service"));
  CHECK(mode_of(B / "etc/cron.d/sc_backup_daily").substr(0, 4) == "0755");
  CHECK(mode_of(B).substr(0, 4) == "0700");

  // Settings in sc's format; cron and units ours, running the built sc.
  const std::string settings = read_text(R / "etc/sc");
  CHECK(settings.rfind("# sc-settings 1\n", 0) == 0);
  CHECK_THAT(settings, Contains("BACKUP_DIR=\"/srv/my backups\""));
  // Through the settings mapping: renamed, the original's paths dropped.
  CHECK_THAT(settings, Contains("MASTER_HOST=\"h1.example\""));
  CHECK_THAT(settings, !Contains("MASTER=") && !Contains("SCROOTDIR"));
  const std::string cron = read_text(R / "etc/cron.d/sc_backup_daily");
  CHECK_THAT(cron, Contains("# Written by `sc crontask add`"));
  CHECK_THAT(cron, Contains(built_sc_path() + " backup cron daily /srv/data"));
  CHECK_THAT(cron, Contains("/run/lock/sc_backup_daily.lock"));
  CHECK_THAT(read_text(R / "etc/systemd/system/sc_daemon_lifeline.service"),
             Contains("ExecStart=" + built_sc_path() + " lifeline daemon\n"));
  CHECK_THAT(read_text(R / "etc/systemd/system/sc_boot_master.service"),
             Contains("ExecStart=" + built_sc_path() + " master boot\n"));
  CHECK(fs::read_symlink(R / "etc/systemd/system/multi-user.target.wants/sc_boot_master.service") ==
        "/etc/systemd/system/sc_boot_master.service");

  // The record: what moved, what was written, each with its hash.
  json record = json::parse(read_text(B / "migration.json"));
  CHECK(record["original_version"] == "1006");
  bool program_moved = false, cron_written = false;
  for (const auto& m : record["moved"])
    if (m["path"] == "/usr/local/sbin/sc") program_moved = m["sha256"] == sc::sha256_hex(kFakeProgram);
  for (const auto& w : record["written"])
    if (w["path"] == "/etc/cron.d/sc_backup_daily") cron_written = w["sha256"] == sc::sha256_hex(cron);
  CHECK(program_moved);
  CHECK(cron_written);

  // A second run: nothing to do, nothing changed.
  const std::string migrated = tree_hash(R);
  ScRun again = run_sc_rooted(R, {"migrate"});
  CHECK(again.status == 0);
  CHECK_THAT(again.out, Contains("Nothing to do: this host was migrated already"));
  CHECK(tree_hash(R) == migrated);

  // Undo refuses while a file the migration wrote was changed since.
  write_text(R / "etc/cron.d/sc_backup_daily", cron + "# edited\n");
  const std::string edited = tree_hash(R);
  ScRun refused = run_sc_rooted(R, {"migrate", "--undo"});
  CHECK(refused.status == 1);
  CHECK_THAT(refused.err, Contains("/etc/cron.d/sc_backup_daily changed since"));
  CHECK(tree_hash(R) == edited);
  write_text(R / "etc/cron.d/sc_backup_daily", cron);
  fs::permissions(R / "etc/cron.d/sc_backup_daily", fs::perms(0644));

  // Undo: the tree is what it was, byte for byte, modes and links included.
  ScRun dry_undo = run_sc_rooted(R, {"--dry-run", "migrate", "--undo"});
  CHECK(dry_undo.status == 0);
  CHECK(tree_hash(R) == migrated);
  ScRun undo = run_sc_rooted(R, {"migrate", "--undo"});
  INFO(undo.err);
  CHECK(undo.status == 0);
  CHECK_THAT(undo.out, Contains("The original sc is back"));
  CHECK(tree_hash(R) == before);
  CHECK(read_text(R / "etc/sc") == "MASTER='h1.example'\nBACKUP_DIR='/srv/my backups'\nSCROOTDIR=''\n");
  CHECK_FALSE(fs::exists(R / "var/lib/sc/migrate"));
  // The record is gone: nothing more to undo, and the original is found again.
  CHECK_THAT(run_sc_rooted(R, {"migrate", "--undo"}).out, Contains("Nothing to undo"));
}

TEST_CASE("sc migrate: the original installed again over a migration is refused", "[migrate]") {
  TempDir root;
  const fs::path& R = root.path();
  write_original(R);
  REQUIRE(run_sc_rooted(R, {"migrate"}).status == 0);
  write_text(R / "usr/local/sbin/sc", kFakeProgram, fs::perms(0755));
  const std::string before = tree_hash(R);
  ScRun r = run_sc_rooted(R, {"migrate"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("the original sc is here again (/usr/local/sbin/sc)"));
  CHECK_THAT(r.err, Contains("sc migrate --undo"));
  CHECK_THAT(r.err, Contains("mv /var/lib/sc/migrate/original /var/lib/sc/migrate/original.old"));
  CHECK(tree_hash(R) == before);
  // Undo does not overwrite the new program either.
  ScRun u = run_sc_rooted(R, {"migrate", "--undo"});
  CHECK(u.status == 1);
  CHECK_THAT(u.err, Contains("/usr/local/sbin/sc exists and was not written by `sc migrate`"));
  CHECK(tree_hash(R) == before);
}

TEST_CASE("sc migrate: hostile cron arguments and settings values", "[migrate]") {
  TempDir root;
  const fs::path& R = root.path();
  write_original(R);
  // Cron lines a shell would run more of: kept, not replaced, said.
  write_text(R / "etc/cron.d/sc_backup_hourly",
             original_cron("5 * * * *", "backup", "hourly", "/srv/a; touch /tmp/sc-migrate-pwned"), fs::perms(0755));
  write_text(R / "etc/cron.d/sc_backup_weekly",
             original_cron("5 3 * * 6", "backup", "weekly", "$(touch /tmp/sc-migrate-pwned)"), fs::perms(0755));
  write_text(R / "etc/cron.d/sc_backup_monthly", original_cron("5 3 1 * *", "backup", "monthly", "'with space' plain"),
             fs::perms(0755));
  // Values with quotes, $(), ';', spaces and new lines, in the original's
  // quoting; one line the shell would compute, which is not imported.
  write_text(R / "etc/sc",
             "MOTD='it'\\''s; $(id) `id`\nsecond line'\nBACKUP_DIR='/srv/x y'\nBAD=$(touch /tmp/sc-migrate-pwned)\n");
  const std::string before = tree_hash(R);
  ScRun r = run_sc_rooted(R, {"--json", "migrate"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK_FALSE(fs::exists("/tmp/sc-migrate-pwned"));
  CHECK_THAT(r.err, Contains("/etc/cron.d/sc_backup_hourly is not understood"));
  CHECK_THAT(r.err, Contains("/etc/cron.d/sc_backup_weekly is not understood"));
  CHECK_THAT(r.err, Contains("line 4 not imported"));
  CHECK_FALSE(fs::exists(R / "etc/cron.d/sc_backup_hourly"));
  CHECK(fs::exists(R / "var/lib/sc/migrate/original/etc/cron.d/sc_backup_hourly"));
  CHECK_THAT(read_text(R / "etc/cron.d/sc_backup_monthly"), Contains("backup cron monthly 'with space' plain"));
  const std::string settings = read_text(R / "etc/sc");
  CHECK_THAT(settings, Contains("MOTD=\"it's; $(id) `id`\\nsecond line\""));
  CHECK_THAT(settings, Contains("BACKUP_DIR=\"/srv/x y\""));
  CHECK_THAT(settings, !Contains("BAD="));
  REQUIRE(run_sc_rooted(R, {"migrate", "--undo"}).status == 0);
  CHECK(tree_hash(R) == before);
}

TEST_CASE("sc migrate: the original's program moved into the backup before (sc master adopt) joins the record",
          "[migrate]") {
  TempDir root;
  const fs::path& R = root.path();
  write_original(R);
  // What adopt does before it installs sc in /usr/local: the original's
  // program moved to where sc migrate keeps it, our sc in its place.
  fs::create_directories(R / "var/lib/sc/migrate/original/usr/local/sbin");
  fs::rename(R / "usr/local/sbin/sc", R / "var/lib/sc/migrate/original/usr/local/sbin/sc");
  write_text(R / "usr/local/sbin/sc",
             std::string("\x7f"
                         "ELF our sc",
                         11),
             fs::perms(0755));
  ScRun r = run_sc_rooted(R, {"--json", "migrate"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  json doc = json::parse(r.out);
  CHECK(doc["result"]["original_version"] == "1006");
  CHECK(original_left(R) == std::vector<std::string>{});
  json record = json::parse(read_text(R / "var/lib/sc/migrate/original/migration.json"));
  bool program = false;
  for (const auto& m : record["moved"]) program = program || m["path"] == "/usr/local/sbin/sc";
  CHECK(program);
  // Undo puts the program back too, over the sc installed in its place.
  r = run_sc_rooted(R, {"migrate", "--undo"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(read_text(R / "usr/local/sbin/sc") == kFakeProgram);
  CHECK_FALSE(fs::exists(R / "var/lib/sc/migrate/original"));
}

TEST_CASE("sc status warns while the original is installed, not once it is migrated", "[migrate][status]") {
  TempDir root;
  const fs::path& R = root.path();
  write_original(R);
  ScRun r = run_sc_rooted(R, {"--json", "status", "--local"});
  json doc = json::parse(r.out);
  bool warned = false;
  for (const auto& p : doc["result"]["problems"])
    warned = warned ||
             (p["fix"] == "sc migrate" && p["what"].get<std::string>().find("/usr/local/sbin/sc") != std::string::npos);
  CHECK(warned);
  CHECK(r.status == 1);
  REQUIRE(run_sc_rooted(R, {"migrate"}).status == 0);
  r = run_sc_rooted(R, {"status", "--local"});
  CHECK_THAT(r.out + r.err, !Contains("original bash sc is still installed"));
}
