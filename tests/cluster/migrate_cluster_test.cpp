// `sc migrate` on a real host of the test cluster (tests/support/CLUSTER.md),
// the local-install case: our sc is /usr/local/sbin/sc (an ELF, the host's
// own copy) with its plugins in /usr/local/lib/sc, and the original left
// there its bash modules, plus /etc/sc in its format, its cron entries and
// its units (all written here from our own text, the way the original writes
// them). Checked: the settings arrive mapped, the cron entries and units run
// our sc with our lock path, nothing of the original stays outside the
// backup, our sc and plugins are untouched, and --undo restores it all.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cluster.hpp"
#include "cluster_checks.hpp"

using namespace sc::test;
using Catch::Contains;

namespace {

const char* const kSettings = "MASTER='m'\nMASSBACKUP='0'\nSCPREFIX='/usr/local'\nBACKUP_DIR='/srv/backup'\n";

std::string original_cron(const std::string& when, const std::string& module, const std::string& period,
                          const std::string& args) {
  const std::string file = "/etc/cron.d/sc_" + module + "_" + period;
  return when + " root flock -w 30 -E 1 '" + file + "' /usr/local/sbin/sc " + module + " cron " + period + " " + args +
         "\n";
}

const char* const kBootUnit =
    "[Unit]\nDescription=Start master module at boot\nAfter=network-online.target\n\n[Service]\nType=oneshot\n"
    "ExecStart=/usr/local/sbin/sc master boot \nUser=root\nGroup=root\n\n[Install]\nWantedBy=multi-user.target\n";

/// What migrate and undo may change on the host, with content hashes.
std::string state(const Cluster& c) {
  return out_of(c, "h",
                {"sh", "-c",
                 "cd / && find usr/local/sbin usr/local/lib/sc etc/sc etc/default etc/cron.d "
                 "etc/systemd/system var/lib/sc -xdev 2>/dev/null | LC_ALL=C sort | while read f; do "
                 "if [ -L \"$f\" ]; then echo \"$f -> $(readlink \"$f\")\"; elif [ -f \"$f\" ]; then "
                 "echo \"$f $(stat -c %a \"$f\") $(sha256sum < \"$f\")\"; else echo \"$f\"; fi; done"});
}

}  // namespace

TEST_CASE("sc migrate on a cluster host: the original's files out, ours in, and back with --undo",
          "[migrate][cluster]") {
  ClusterOptions o;
  o.own_usr_local = {"h"};
  Cluster c({"h"}, o);
  auto sh = [&](const std::string& script) { return out_of(c, "h", {"sh", "-c", script}); };
  // The original's leftovers next to our install.
  sh("printf '#!/bin/bash\\n# stand-in module\\n' > /usr/local/lib/sc/backup && "
     "printf '#!/bin/bash\\n# stand-in module\\n' > /usr/local/lib/sc/master && "
     "mkdir -p /etc/systemd/system/multi-user.target.wants /etc/cron.d /etc/default && "
     "ln -sf /etc/systemd/system/sc_boot_master.service "
     "/etc/systemd/system/multi-user.target.wants/sc_boot_master.service && "
     "printf 'SCPREFIX=/usr/local\\n' > /etc/default/sc");
  write_text(c.path("h", "/etc/sc"), kSettings, fs::perms(0644));
  write_text(c.path("h", "/etc/cron.d/sc_backup_daily"), original_cron("17 4 * * *", "backup", "daily", "/srv"),
             fs::perms(0755));
  write_text(c.path("h", "/etc/cron.d/sc_master_fast"), original_cron("*/20 * * * *", "master", "fast", ""),
             fs::perms(0755));
  write_text(c.path("h", "/etc/systemd/system/sc_boot_master.service"), kBootUnit);
  const std::string ours = sh("sha256sum /usr/local/sbin/sc /usr/local/lib/sc/*.so /usr/local/lib/sc/*.json");
  const std::string before = state(c);

  ScRun r = c.sc("h", {"migrate"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Contains("/usr/local/lib/sc/backup: the original's module backup"));
  CHECK_THAT(r.out, Contains("MASTER became MASTER_HOST"));
  CHECK_THAT(r.out, Contains("sc migrate --undo"));

  // Settings mapped.
  CHECK(out_of(c, "h", {"sc", "settings", "get", "MASTER_HOST"}) == "m\n");
  CHECK(out_of(c, "h", {"sc", "settings", "get", "MASS_BACKUP"}) == "yes\n");
  // Cron entries and the unit run our sc, with our lock path.
  const std::string cron = sh("cat /etc/cron.d/sc_backup_daily");
  CHECK_THAT(cron, Contains("/usr/local/sbin/sc backup cron daily /srv"));
  CHECK_THAT(cron, Contains("/run/lock/sc_backup_daily.lock"));
  CHECK_THAT(sh("cat /etc/cron.d/sc_master_fast"), Contains("/usr/local/sbin/sc master cron fast"));
  CHECK_THAT(sh("cat /etc/systemd/system/sc_boot_master.service"),
             Contains("ExecStart=/usr/local/sbin/sc master boot\n"));
  CHECK(sh("head -c 4 /usr/local/sbin/sc | od -An -c | tr -d ' '") == "177ELF\n");
  // Nothing of the original outside the backup; our install untouched.
  CHECK(sh("ls /usr/local/lib/sc | grep -v '[.]' | grep -vx core || true") == "");
  CHECK(sh("grep -l \"flock -w 30 -E 1 '/etc/cron.d\\|^User=\" /etc/cron.d/sc_* /etc/systemd/system/sc_*.service "
           "2>/dev/null || true") == "");
  CHECK(sh("test -e /etc/default/sc && echo left || true") == "");
  CHECK(sh("cat /var/lib/sc/migrate/original/etc/sc") == kSettings);
  CHECK(sh("sha256sum /usr/local/sbin/sc /usr/local/lib/sc/*.so /usr/local/lib/sc/*.json") == ours);

  // A second run: nothing to do.
  const std::string migrated = state(c);
  ScRun again = c.sc("h", {"migrate"});
  CHECK(again.status == 0);
  CHECK_THAT(again.out, Contains("Nothing to do"));
  CHECK(state(c) == migrated);

  // Undo: everything as it was.
  ScRun u = c.sc("h", {"migrate", "--undo"});
  INFO(u.out << u.err);
  CHECK(u.status == 0);
  CHECK(state(c) == before);
  CHECK(sh("cat /etc/sc") == kSettings);
}
