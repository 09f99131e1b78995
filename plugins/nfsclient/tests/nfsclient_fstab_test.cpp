// nfsclient's pure functions: the exact fstab text, its edits of NFS
// entries that keep every other byte, checked against systemd's own fstab
// generator and libmount; cachefilesd's files. (The fstab model, mountinfo
// and unit names: plugins/common/tests/fstab_test.cpp.)
#include <catch2/catch.hpp>

#include "../fstab.hpp"
#include "engine/process.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

namespace {

const char* const kOptions = "rw,hard,rsize=131072,wsize=131072,_netdev,noauto,x-systemd.automount";

// Debian 12's /etc/fstab as the installer writes it.
const std::string kDebianFstab =
    "# /etc/fstab: static file system information.\n"
    "#\n"
    "# Use 'blkid' to print the universally unique identifier for a\n"
    "# device; this may be used with UUID= as a more robust way to name devices\n"
    "# that works even if disks are added and removed. See fstab(5).\n"
    "#\n"
    "# <file system> <mount point>   <type>  <options>       <dump>  <pass>\n"
    "# / was on /dev/vda1 during installation\n"
    "UUID=0b1c2d3e-aaaa-bbbb-cccc-0123456789ab /               ext4    errors=remount-ro 0       1\n"
    "# swap was on /dev/vda5 during installation\n"
    "UUID=11111111-2222-3333-4444-555555555555 none            swap    sw              0       0\n"
    "/dev/sr0        /media/cdrom0   udf,iso9660 user,noauto     0       0\n";

nfsclient::Mount mass(bool cache = false) {
  return {"master.example.com", "/srv/mass", "/srv/mass", cache};
}

std::string run_out(const std::vector<std::string>& argv, const std::vector<std::string>& env = {}) {
  sc::ProcessSpec p;
  p.argv = argv;
  p.env_add = env;
  p.capture_out = true;
  p.capture_err = true;
  sc::ProcessResult r = sc::run_process(p);
  INFO(r.err);
  REQUIRE(r.ok());
  return r.out;
}

}  // namespace

TEST_CASE("nfsclient: servers", "[nfsclient]") {
  for (const char* ok : {"master", "master.example.com", "10.0.0.1", "[fd00::1]", "[::ffff:10.0.0.1]", "a-1.b"}) {
    INFO(ok);
    CHECK(nfsclient::server_problem(ok).empty());
  }
  CHECK_THAT(nfsclient::server_problem("root@master"), Contains("not user@host"));
  CHECK_THAT(nfsclient::server_problem("master:2049"), Contains("without a port"));
  CHECK_THAT(nfsclient::server_problem("fd00::1"), Contains("in brackets"));
  for (const std::string bad : {"", "a b", "a;b", "-a", "a-", "a..b", ".a", "300.1.1.1", "1.2.3", "01.2.3.4", "[xyz]",
                                "[fd00::1", "a_b", "ünï", "a\tb", "a\nb", "*"}) {
    INFO(bad);
    CHECK_FALSE(nfsclient::server_problem(bad).empty());
  }
  CHECK_FALSE(nfsclient::server_problem(std::string(64, 'a') + ".com").empty());
  for (const auto& bad : hostile_strings()) CHECK_FALSE(nfsclient::server_problem(bad).empty());
}

TEST_CASE("nfsclient: the fstab line", "[nfsclient]") {
  CHECK(nfsclient::mount_options(false) == kOptions);
  CHECK(nfsclient::mount_options(true) == std::string(kOptions) + ",fsc");
  CHECK(nfsclient::fstab_line(mass()) ==
        std::string("master.example.com:/srv/mass /srv/mass nfs4 ") + kOptions + " 0 0");
  CHECK(nfsclient::fstab_line({"[fd00::1]", "/home", "/home", true}) ==
        std::string("[fd00::1]:/home /home nfs4 ") + kOptions + ",fsc 0 0");
}

TEST_CASE("nfsclient: adding keeps every other line byte for byte", "[nfsclient]") {
  const std::string line = nfsclient::fstab_line(mass());
  // Appended to Debian's file.
  CHECK(nfsclient::with_mount(kDebianFstab, mass()) == kDebianFstab + line + "\n");
  // Empty or missing fstab.
  CHECK(nfsclient::with_mount("", mass()) == line + "\n");
  // A last line without its newline gets one, nothing else changes.
  CHECK(nfsclient::with_mount("/dev/sda1 / ext4 defaults 0 1", mass()) ==
        "/dev/sda1 / ext4 defaults 0 1\n" + line + "\n");
  // An NFS entry of the path is replaced in its place; a later duplicate
  // goes; tabs, CRLF lines, comments and other paths are kept as they were.
  const std::string before =
      "# comment\twith tab\r\n"
      "old.example.com:/mass\t/srv/mass/\tnfs\tdefaults\t0 0\r\n"
      "/dev/sdb1  /srv/massive  ext4  defaults  0 2\n"
      "server:/x /srv/mass/sub nfs4 rw 0 0\n"
      "dup:/y /srv/mass nfs4 rw 0 0\n"
      "  # indented comment /srv/mass nfs4\n"
      "\n";
  CHECK(nfsclient::with_mount(before, mass()) == "# comment\twith tab\r\n" + line +
                                                     "\r\n"
                                                     "/dev/sdb1  /srv/massive  ext4  defaults  0 2\n"
                                                     "server:/x /srv/mass/sub nfs4 rw 0 0\n"
                                                     "  # indented comment /srv/mass nfs4\n"
                                                     "\n");
  // Adding what is there changes nothing: never a duplicate.
  const std::string once = nfsclient::with_mount(kDebianFstab, mass());
  CHECK(nfsclient::with_mount(once, mass()) == once);
  // The cache switched on replaces the line in place.
  CHECK(nfsclient::with_mount(once, mass(true)) == kDebianFstab + nfsclient::fstab_line(mass(true)) + "\n");
  // An escaped mount point written by hand is recognised.
  CHECK(nfsclient::nfs_entries_on("s:/a /srv/my\\040mass nfs4 rw 0 0\n", "/srv/my mass").size() == 1);
}

TEST_CASE("nfsclient: removing takes exactly the entry of the path", "[nfsclient]") {
  const std::string line = nfsclient::fstab_line(mass());
  const std::string text = kDebianFstab + "server:/x /srv/mass/sub nfs4 rw 0 0\n" + line +
                           "\n"
                           "/dev/sdb1 /srv/mass2 ext4 defaults 0 2\n"
                           "other:/home /home nfs4 rw 0 0";
  CHECK(nfsclient::without_mount(text, "/srv/mass") == kDebianFstab +
                                                           "server:/x /srv/mass/sub nfs4 rw 0 0\n"
                                                           "/dev/sdb1 /srv/mass2 ext4 defaults 0 2\n"
                                                           "other:/home /home nfs4 rw 0 0");
  // The last line, without its newline.
  CHECK(nfsclient::without_mount(text, "/home") ==
        kDebianFstab + "server:/x /srv/mass/sub nfs4 rw 0 0\n" + line + "\n/dev/sdb1 /srv/mass2 ext4 defaults 0 2\n");
  // Nothing on that path: the text as it was.
  CHECK(nfsclient::without_mount(text, "/srv") == text);
  // Never a mount of another type on the same path.
  CHECK(nfsclient::without_mount("/dev/sdb1 /srv/mass ext4 defaults 0 2\n", "/srv/mass") ==
        "/dev/sdb1 /srv/mass ext4 defaults 0 2\n");
  auto other = nfsclient::other_mount_on("/dev/sdb1 /srv/mass/ ext4 defaults 0 2\n", "/srv/mass");
  REQUIRE(other);
  CHECK(other->vfstype == "ext4");
  CHECK(other->spec == "/dev/sdb1");
  CHECK_FALSE(nfsclient::other_mount_on(text, "/srv/mass"));
}

TEST_CASE("nfsclient: entries and what sc manages", "[nfsclient]") {
  const std::string text = kDebianFstab + nfsclient::fstab_line(mass(true)) +
                           "\n"
                           "[fd00::1]:/home /home nfs4 rw 0 0\n"
                           "m:/srv/mass /old nfs4 rw,rsize=131072,wsize=131072,_netdev,hard,noauto,"
                           "x-systemd.requires=lightdm.service,x-systemd.automount,proto=tcp,fsc 0 0\n"
                           "broken /x nfs4 rw 0 0\n"
                           "short line\n";
  auto all = plugin_common::fstab::entries(text);
  REQUIRE(all.size() == 7);
  CHECK(all[0].file == "/");
  CHECK(all[0].line == 8);
  auto m = nfsclient::mount_of(all[3]);
  REQUIRE(m);
  CHECK(m->server == "master.example.com");
  CHECK(m->remote == "/srv/mass");
  CHECK(m->path == "/srv/mass");
  CHECK(m->cache);
  CHECK(nfsclient::managed(all[3]));
  m = nfsclient::mount_of(all[4]);
  REQUIRE(m);
  CHECK(m->server == "[fd00::1]");
  CHECK(m->remote == "/home");
  CHECK_FALSE(m->cache);
  CHECK_FALSE(nfsclient::managed(all[4]));
  CHECK(nfsclient::managed(all[5]));  // written by the original tool
  CHECK(nfsclient::mount_of(all[5])->cache);
  CHECK_FALSE(nfsclient::mount_of(all[6]));
  CHECK_FALSE(nfsclient::mount_of(all[0]));
  CHECK_FALSE(nfsclient::managed(all[0]));
  // A line written by hand with fstab's escapes (sshshare writes them too)
  // is read decoded: its remote directory and mount point as they are.
  auto e = plugin_common::fstab::parse_entry("s:/a\\040b /srv/my\\040mass/ nfs4 rw,fsc 0 0\r");
  REQUIRE(e);
  m = nfsclient::mount_of(*e);
  REQUIRE(m);
  CHECK(m->server == "s");
  CHECK(m->remote == "/a b");
  CHECK(m->path == "/srv/my mass");
  CHECK(m->cache);
}

TEST_CASE("nfsclient: systemd reads the entries as automounts after the network", "[nfsclient]") {
  TempDir dir;
  const std::string text =
      nfsclient::with_mount(nfsclient::with_mount(kDebianFstab, mass(true)), {"[fd00::1]", "/home", "/home", false});
  write_text(dir / "fstab", text);
  fs::create_directories(dir / "gen");
  // The generator systemd runs at boot and on daemon-reload, on our file.
  run_out({"/lib/systemd/system-generators/systemd-fstab-generator", (dir / "gen").string(), (dir / "gen").string(),
           (dir / "gen").string()},
          {"SYSTEMD_FSTAB=" + (dir / "fstab").string(), "SYSTEMD_PROC_CMDLINE="});
  CHECK(fs::is_symlink(dir / "gen/remote-fs.target.requires/srv-mass.automount"));
  CHECK(fs::is_symlink(dir / "gen/remote-fs.target.requires/home.automount"));
  const std::string unit = read_text(dir / "gen/srv-mass.mount");
  CHECK_THAT(unit, Contains("What=master.example.com:/srv/mass\n") && Contains("Where=/srv/mass\n") &&
                       Contains("Type=nfs4\n") && Contains(std::string("Options=") + kOptions + ",fsc\n"));
  CHECK_THAT(read_text(dir / "gen/srv-mass.automount"), Contains("Where=/srv/mass\n"));
  CHECK_THAT(read_text(dir / "gen/home.mount"), Contains("What=[fd00::1]:/home\n"));
  // libmount (mount, findmnt) reads the same fields.
  CHECK(run_out({"findmnt", "--tab-file", (dir / "fstab").string(), "-n", "-r", "-o", "SOURCE,TARGET,FSTYPE", "-t",
                 "nfs4"}) == "master.example.com:/srv/mass /srv/mass nfs4\n[fd00::1]:/home /home nfs4\n");
}

TEST_CASE("nfsclient: cachefilesd allowed to run", "[nfsclient]") {
  // Debian 12's /etc/default/cachefilesd.
  const std::string debian =
      "# Defaults for cachefilesd initscript\n"
      "# sourced by /etc/init.d/cachefilesd\n"
      "\n"
      "# You must uncomment the run=yes line below for cachefilesd to start.\n"
      "# Before doing so, please read /usr/share/doc/cachefilesd/howto.txt.gz as\n"
      "# extended user attributes need to be enabled on the cache filesystem.\n"
      "#RUN=yes\n"
      "\n"
      "# Additional options that are passed to the Daemon.\n"
      "DAEMON_OPTS=\"\"\n";
  std::string want = debian;
  want.replace(want.find("#RUN=yes"), 8, "RUN=yes");
  CHECK(nfsclient::cachefilesd_default_with_run(debian) == want);
  CHECK_FALSE(nfsclient::cachefilesd_runs(debian));
  CHECK(nfsclient::cachefilesd_runs(want));
  CHECK(nfsclient::cachefilesd_default_with_run(want) == want);
  CHECK(nfsclient::cachefilesd_default_with_run("RUN=no\nX=1\n  RUN=\"maybe\"") == "RUN=yes\nX=1\nRUN=yes");
  CHECK(nfsclient::cachefilesd_runs("RUN=\"yes\"\n"));
  CHECK(nfsclient::cachefilesd_default_with_run("# RUN=yes\n#RUN=yes\n") == "RUN=yes\n#RUN=yes\n");
  CHECK(nfsclient::cachefilesd_default_with_run("") == "RUN=yes\n");
  CHECK(nfsclient::cachefilesd_default_with_run("X=1") == "X=1\nRUN=yes\n");
}

TEST_CASE("nfsclient: the cache directory cachefilesd.conf names", "[nfsclient]") {
  // Debian 12's /etc/cachefilesd.conf, without its license header.
  const std::string debian =
      "dir /var/cache/fscache\n"
      "tag mycache\n"
      "brun 10%\n"
      "bcull 7%\n"
      "bstop 3%\n"
      "frun 10%\n"
      "fcull 7%\n"
      "fstop 3%\n"
      "\n"
      "# Assuming you're using SELinux with the default security policy included in\n"
      "# this package\n"
      "# secctx system_u:system_r:cachefiles_kernel_t:s0\n";
  CHECK(nfsclient::cachefilesd_dir(debian) == "/var/cache/fscache");
  CHECK(nfsclient::cachefilesd_dir("  dir\t/srv/fscache/ \r\ntag x\n") == "/srv/fscache/");
  CHECK(nfsclient::cachefilesd_dir("dir /a\ndir /b\n") == "/b");
  CHECK(nfsclient::cachefilesd_dir("# dir /a\ndirs /b\ndir\ndir /c d\n").empty());
  CHECK(nfsclient::cachefilesd_dir("").empty());
}
