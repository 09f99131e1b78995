// nfsclient's commands run by the built sc under --root: the exact fstab
// text and the exact argv of every program (mount, umount, systemctl) as
// the planned actions record them. Mounting itself needs kernel NFS, which
// these machines lack.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../fstab.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

namespace {

const std::string kFstab =
    "# /etc/fstab: static file system information.\n"
    "UUID=0b1c2d3e-aaaa-bbbb-cccc-0123456789ab /               ext4    errors=remount-ro 0       1\n"
    "/dev/sr0        /media/cdrom0   udf,iso9660 user,noauto     0       0\n";

const std::string kOptions = "rw,hard,rsize=131072,wsize=131072,_netdev,noauto,x-systemd.automount";

std::string line(const std::string& server, const std::string& remote, const std::string& path, bool cache = false) {
  return server + ":" + remote + " " + path + " nfs4 " + kOptions + (cache ? ",fsc" : "") + " 0 0\n";
}

/// A root whose nfs-common is installed (mount.nfs4 is there).
void make_client_root(const fs::path& root, const std::string& fstab = kFstab) {
  write_text(root / "etc/fstab", fstab);
  write_text(root / "usr/sbin/mount.nfs4", "", fs::perms(0755));
  fs::create_directories(root / "srv");
}

json doc_of(const ScRun& r) {
  INFO(r.out << r.err);
  return json::parse(r.out);
}

}  // namespace

TEST_CASE("nfsclient add writes the entry, reloads systemd and mounts it", "[nfsclient]") {
  TempDir root;
  make_client_root(root.path());
  const std::string before = tree_hash(root.path());

  ScRun r = run_sc_rooted(root.path(), {"--dry-run", "nfsclient", "add", "master.example.com", "/srv/mass"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("would change: write /etc/fstab") && Contains("would run: mount /srv/mass"));
  CHECK(tree_hash(root.path()) == before);
  r = run_sc_rooted(root.path(), {"--dry-run", "--json", "nfsclient", "add", "master.example.com", "/srv/mass"});
  CHECK(run_actions(r) == std::vector<std::string>{"systemctl daemon-reload planned", "mount /srv/mass planned"});
  CHECK(tree_hash(root.path()) == before);

  r = run_sc_rooted(root.path(), {"--json", "nfsclient", "add", "master.example.com", "/srv/mass"});
  REQUIRE(doc_of(r)["status"] == 0);
  CHECK(run_actions(r) == std::vector<std::string>{"systemctl daemon-reload recorded", "mount /srv/mass recorded"});
  CHECK(read_text(root / "etc/fstab") == kFstab + line("master.example.com", "/srv/mass", "/srv/mass"));
  CHECK(fs::is_directory(root / "srv/mass"));
  CHECK(mode_of(root / "etc/fstab") == "0644 0:0");
  CHECK(doc_of(r)["result"] ==
        json{{"server", "master.example.com"}, {"remote", "/srv/mass"}, {"path", "/srv/mass"}, {"cache", false}});

  // Again: nothing changes, nothing runs, never a second line.
  r = run_sc_rooted(root.path(), {"--json", "nfsclient", "add", "master.example.com", "/srv/mass"});
  CHECK(doc_of(r)["summary"]["changed"] == 0);
  CHECK(run_actions(r).empty());
  CHECK(read_text(root / "etc/fstab") == kFstab + line("master.example.com", "/srv/mass", "/srv/mass"));

  // Another server for the same path replaces the entry in its place,
  // after unmounting what was there; a PATH of its own.
  write_text(root / "etc/fstab", read_text(root / "etc/fstab") + "/dev/sdb1 /srv/other ext4 defaults 0 2\n");
  r = run_sc_rooted(root.path(), {"--json", "nfsclient", "add", "[fd00::1]", "/export/mass", "/srv/mass/"});
  REQUIRE(doc_of(r)["status"] == 0);
  CHECK(run_actions(r) == std::vector<std::string>{"systemctl stop srv-mass.automount recorded",
                                                   "umount /srv/mass recorded", "systemctl daemon-reload recorded",
                                                   "mount /srv/mass recorded"});
  CHECK(read_text(root / "etc/fstab") ==
        kFstab + line("[fd00::1]", "/export/mass", "/srv/mass") + "/dev/sdb1 /srv/other ext4 defaults 0 2\n");

  CHECK(run_sc_rooted(root.path(), {"nfsclient", "has", "/srv/mass"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"nfsclient", "has", "/srv/mass/"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"nfsclient", "has", "/srv/other"}).status == 1);
  CHECK(doc_of(run_sc_rooted(root.path(), {"--json", "nfsclient", "has", "/home"}))["result"] == false);
}

TEST_CASE("nfsclient add --cache installs and starts cachefilesd", "[nfsclient]") {
  TempDir root;
  make_client_root(root.path());
  write_text(root / "etc/default/cachefilesd", "# Defaults\n#RUN=yes\nDAEMON_OPTS=\"\"\n");
  write_text(root / "etc/cachefilesd.conf", "dir /var/cache/fscache\ntag mycache\nbrun 10%\n");
  ScRun r = run_sc_rooted(root.path(), {"--json", "nfsclient", "add", "m", "/srv/mass", "--cache"});
  REQUIRE(doc_of(r)["status"] == 0);
  // No package lists in this root: apt-get update first, then one install.
  CHECK(run_actions(r) == std::vector<std::string>{"apt-get update recorded",
                                                   "apt-get install -y --no-install-recommends cachefilesd recorded",
                                                   "systemctl enable cachefilesd recorded",
                                                   "systemctl restart cachefilesd recorded",
                                                   "systemctl daemon-reload recorded", "mount /srv/mass recorded"});
  CHECK(read_text(root / "etc/fstab") == kFstab + line("m", "/srv/mass", "/srv/mass", true));
  CHECK(read_text(root / "etc/default/cachefilesd") == "# Defaults\nRUN=yes\nDAEMON_OPTS=\"\"\n");
  CHECK(fs::is_directory(root / "var/cache/fscache"));
  CHECK(doc_of(r)["result"]["cache"] == true);

  // Once cachefilesd is installed, a second run changes and runs nothing.
  write_text(root / "usr/sbin/cachefilesd", "", fs::perms(0755));
  r = run_sc_rooted(root.path(), {"--json", "nfsclient", "add", "m", "/srv/mass", "/srv/mass", "--cache"});
  CHECK(doc_of(r)["summary"]["changed"] == 0);
  CHECK(run_actions(r).empty());
  CHECK(run_sc_rooted(root.path(), {"nfsclient", "ready"}).status == 0);
  write_text(root / "etc/default/cachefilesd", "#RUN=yes\n");
  CHECK(run_sc_rooted(root.path(), {"nfsclient", "ready"}).status == 1);
  // Without --cache the entry loses fsc; cachefilesd is left alone.
  r = run_sc_rooted(root.path(), {"--json", "nfsclient", "add", "m", "/srv/mass"});
  CHECK(run_actions(r) == std::vector<std::string>{"systemctl stop srv-mass.automount recorded",
                                                   "umount /srv/mass recorded", "systemctl daemon-reload recorded",
                                                   "mount /srv/mass recorded"});
  CHECK(read_text(root / "etc/fstab") == kFstab + line("m", "/srv/mass", "/srv/mass"));
  CHECK(read_text(root / "etc/default/cachefilesd") == "#RUN=yes\n");
}

TEST_CASE("nfsclient add --cache makes the cache directory cachefilesd.conf names", "[nfsclient]") {
  TempDir root;
  make_client_root(root.path());
  write_text(root / "etc/cachefilesd.conf", "dir /srv/fscache\ntag mycache\n");
  ScRun r = run_sc_rooted(root.path(), {"--json", "nfsclient", "add", "m", "/srv/mass", "--cache"});
  REQUIRE(doc_of(r)["status"] == 0);
  CHECK(fs::is_directory(root / "srv/fscache"));
  CHECK_FALSE(fs::exists(root / "var/cache/fscache"));
}

TEST_CASE("nfsclient del removes exactly the entry of PATH", "[nfsclient]") {
  TempDir root;
  const std::string others =
      "server:/x /srv/mass/sub nfs4 rw 0 0\n"
      "/dev/sdb1\t/srv/massive\text4\tdefaults\t0 2\n"
      "# m:/srv/mass /srv/mass nfs4 rw 0 0\n";
  make_client_root(root.path(), kFstab + others + line("m", "/srv/mass", "/srv/mass") + line("m", "/home", "/home"));
  write_text(root / "srv/mass/keep.txt", "data\n");
  const std::string before = tree_hash(root.path());
  ScRun r = run_sc_rooted(root.path(), {"--dry-run", "nfsclient", "del", "/srv/mass"});
  CHECK(r.status == 0);
  CHECK(tree_hash(root.path()) == before);

  r = run_sc_rooted(root.path(), {"--dry-run", "--json", "nfsclient", "del", "/srv/mass"});
  CHECK(run_actions(r) == std::vector<std::string>{"systemctl stop srv-mass.automount planned",
                                                   "umount /srv/mass planned", "systemctl daemon-reload planned"});
  CHECK(tree_hash(root.path()) == before);

  r = run_sc_rooted(root.path(), {"--json", "nfsclient", "del", "/srv/mass"});
  REQUIRE(doc_of(r)["status"] == 0);
  CHECK(run_actions(r) == std::vector<std::string>{"systemctl stop srv-mass.automount recorded",
                                                   "umount /srv/mass recorded", "systemctl daemon-reload recorded"});
  CHECK(read_text(root / "etc/fstab") == kFstab + others + line("m", "/home", "/home"));
  // The mount point and its files stay: another mass mode uses them next.
  CHECK(read_text(root / "srv/mass/keep.txt") == "data\n");
  CHECK(run_sc_rooted(root.path(), {"nfsclient", "has", "/srv/mass"}).status == 1);

  // Again: nothing to do, nothing run.
  r = run_sc_rooted(root.path(), {"--json", "nfsclient", "del", "/srv/mass"});
  CHECK(doc_of(r)["status"] == 0);
  CHECK(doc_of(r)["summary"]["changed"] == 0);
  CHECK(run_actions(r).empty());
  // Never an entry of another type, nor one below the path.
  r = run_sc_rooted(root.path(), {"nfsclient", "del", "/srv/massive"});
  CHECK(r.status == 0);
  CHECK(read_text(root / "etc/fstab") == kFstab + others + line("m", "/home", "/home"));
}

TEST_CASE("nfsclient list, cleanup and the files and restore hooks", "[nfsclient]") {
  TempDir root;
  const std::string original =
      "m:/srv/mass /old nfs4 rw,rsize=131072,wsize=131072,_netdev,hard,noauto,"
      "x-systemd.requires=lightdm.service,x-systemd.automount 0 0\n";
  const std::string own = "nas:/data /data nfs rw,vers=3 0 0\n";
  make_client_root(root.path(), kFstab + own + original);
  CHECK(run_sc_rooted(root.path(), {"nfsclient", "add", "m", "/srv/mass", "--cache"}).status == 0);

  ScRun r = run_sc_rooted(root.path(), {"nfsclient", "list"});
  CHECK(r.out ==
        "nas:/data /data (not written by sc)\n"
        "m:/srv/mass /old\n"
        "m:/srv/mass /srv/mass (cached)\n");
  json items = doc_of(run_sc_rooted(root.path(), {"--json", "nfsclient", "list"}))["result"];
  REQUIRE(items.size() == 3);
  CHECK(items[0] == json{{"server", "nas"},
                         {"remote", "/data"},
                         {"path", "/data"},
                         {"cache", false},
                         {"spec", "nas:/data"},
                         {"type", "nfs"},
                         {"options", "rw,vers=3"},
                         {"managed", false},
                         {"mounted", nullptr}});
  CHECK(items[2]["options"] == kOptions + ",fsc");
  CHECK(items[2]["managed"] == true);

  CHECK(doc_of(run_sc_rooted(root.path(), {"--json", "nfsclient", "files"}))["result"] == json{"/etc/fstab"});

  // A backup of this fstab (a snapshot of the target, as backup's
  // restore_from names it), restored into a host that has lost its entries.
  write_text(root / "srv/backup/snap/fs/etc/fstab", read_text(root / "etc/fstab"));

  r = run_sc_rooted(root.path(), {"--json", "nfsclient", "cleanup"});
  REQUIRE(doc_of(r)["status"] == 0);
  CHECK(run_actions(r) == std::vector<std::string>{"systemctl stop old.automount recorded", "umount /old recorded",
                                                   "systemctl stop srv-mass.automount recorded",
                                                   "umount /srv/mass recorded", "systemctl daemon-reload recorded"});
  CHECK(read_text(root / "etc/fstab") == kFstab + own);
  CHECK(doc_of(run_sc_rooted(root.path(), {"--json", "nfsclient", "files"}))["result"] == json::array());

  write_text(root / "etc/fstab", kFstab + "/dev/sdb1 /old ext4 defaults 0 2\n");
  r = run_sc_rooted(root.path(), {"--json", "nfsclient", "restore", "/srv/backup/snap"});
  REQUIRE(doc_of(r)["status"] == 0);
  CHECK(run_actions(r) == std::vector<std::string>{"systemctl daemon-reload recorded"});
  // The sc entry comes back; the original's on /old does not replace this
  // host's disk there; the hand-written one is not sc's to restore.
  CHECK(read_text(root / "etc/fstab") ==
        kFstab + "/dev/sdb1 /old ext4 defaults 0 2\n" + line("m", "/srv/mass", "/srv/mass", true));
  CHECK_THAT(r.out, Contains("/old is mounted here from /dev/sdb1"));
  r = run_sc_rooted(root.path(), {"--json", "nfsclient", "restore", "/srv/backup/snap"});
  CHECK(doc_of(r)["summary"]["changed"] == 0);
}

TEST_CASE("nfsclient reads entries written with fstab's escapes, as sshshare writes them", "[nfsclient]") {
  TempDir root;
  const std::string hand = "s:/a\\040b /srv/my\\040mass nfs4 rw 0 0\r\n";
  const std::string sshfs = "m:/srv/a\\040b /srv/mass fuse.sshfs o 0 0\n";
  make_client_root(root.path(), kFstab + hand + sshfs);
  ScRun r = run_sc_rooted(root.path(), {"nfsclient", "list"});
  CHECK(r.out == "s:/a\\040b /srv/my\\040mass (not written by sc)\n");
  json items = doc_of(run_sc_rooted(root.path(), {"--json", "nfsclient", "list"}))["result"];
  REQUIRE(items.size() == 1);
  CHECK(items[0]["spec"] == "s:/a b");
  CHECK(items[0]["remote"] == "/a b");
  CHECK(items[0]["path"] == "/srv/my mass");
  CHECK(items[0]["options"] == "rw");
  // sshshare's share on /srv/mass is not an NFS entry: never replaced.
  check_refused(root.path(), "nfsclient", {"add", "m", "/srv/mass"},
                "already in /etc/fstab, mounting m:/srv/a b (fuse.sshfs) on line 5");
  // Another path: every other line stays byte for byte.
  REQUIRE(run_sc_rooted(root.path(), {"nfsclient", "add", "m", "/srv/other"}).status == 0);
  CHECK(read_text(root / "etc/fstab") == kFstab + hand + sshfs + line("m", "/srv/other", "/srv/other"));
}

TEST_CASE("nfsclient setup, ready and enabled", "[nfsclient]") {
  TempDir root;
  write_text(root / "etc/fstab", kFstab);
  CHECK(run_sc_rooted(root.path(), {"nfsclient", "ready"}).status == 1);
  CHECK(run_sc_rooted(root.path(), {"nfsclient", "enabled"}).status == 1);
  ScRun r = run_sc_rooted(root.path(), {"--json", "nfsclient", "setup"});
  REQUIRE(doc_of(r)["status"] == 0);
  CHECK(run_actions(r) == std::vector<std::string>{"apt-get update recorded",
                                                   "apt-get install -y --no-install-recommends nfs-common recorded"});
  CHECK(read_text(root / "etc/fstab") == kFstab);
  write_text(root / "usr/sbin/mount.nfs4", "", fs::perms(0755));
  CHECK(run_sc_rooted(root.path(), {"nfsclient", "ready"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"nfsclient", "enabled"}).status == 0);
  r = run_sc_rooted(root.path(), {"--json", "nfsclient", "setup"});
  CHECK(run_actions(r).empty());
  CHECK(doc_of(r)["summary"]["changed"] == 0);
}

TEST_CASE("nfsclient refuses bad input and changes nothing", "[nfsclient]") {
  TempDir root;
  make_client_root(root.path(), kFstab + "/dev/sdb1 /srv/mass ext4 defaults 0 2\n");
  write_text(root / "srv/file", "x\n");
  auto refused = [&](const std::vector<std::string>& args, const std::string& message) {
    check_refused(root.path(), "nfsclient", args, message);
  };
  for (const auto& bad : hostile_strings()) {
    refused({"add", bad, "/srv/x"}, "SERVER");
    refused({"add", "m", bad}, "REMOTE");
    refused({"add", "m", "/srv/x", bad}, "PATH");
    refused({"del", bad}, "PATH");
    refused({"has", bad}, "PATH");
  }
  // White space and fstab's escape character are refused, not escaped.
  refused({"add", "m", "/srv/my mass"}, "white space");
  refused({"add", "m", "/srv/x", "/srv/a\\040b"}, "escape");
  refused({"add", "m", "/srv/x", "/srv/a#b"}, "comment");
  refused({"add", "root@m", "/srv/x"}, "not user@host");
  refused({"add", "m:2049", "/srv/x"}, "without a port");
  refused({"add", "m", "/srv/x", "/"}, "cannot be an NFS mount point");
  // A disk on the path is never replaced; a file is no mount point.
  refused({"add", "m", "/srv/mass"}, "already in /etc/fstab, mounting /dev/sdb1 (ext4) on line 4");
  refused({"add", "m", "/srv/x", "/srv/file"}, "is not a directory");
  refused({"add", "m", "/srv/x", "--bogus"}, "unknown option \"--bogus\"");
  refused({"add", "m"}, "usage: sc nfsclient add SERVER REMOTE [PATH] [--cache]");
  refused({"add", "m", "/a", "/b", "/c"}, "too many arguments");
  refused({"del"}, "usage: sc nfsclient del PATH");
  refused({"list", "x"}, "too many arguments");
  refused({"restore", "relative"}, "SOURCE");
}
