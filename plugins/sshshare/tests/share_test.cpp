// sshshare's pure functions: the exact fstab line and options, fstab edits
// that keep every other byte, mountinfo, unit names (the fields' escapes and
// the fstab model itself: plugins/common/tests/fstab_test.cpp).
#include "../share.hpp"

#include <catch2/catch.hpp>

#include "common/fstab.hpp"
#include "common/peer_name.hpp"
#include "test_support.hpp"

using namespace sshshare;
namespace fstab = plugin_common::fstab;

namespace {

const SshFiles kFiles{"/root/.ssh/id_ed25519", "/root/.ssh/known_hosts"};

const char* const kMassOptions =
    "noauto,x-systemd.automount,_netdev,reconnect,ServerAliveInterval=8,ServerAliveCountMax=3,ConnectTimeout=8,"
    "BatchMode=yes,StrictHostKeyChecking=yes,UserKnownHostsFile=/root/.ssh/known_hosts,"
    "IdentityFile=/root/.ssh/id_ed25519,idmap=user,transform_symlinks,allow_other,default_permissions";

}  // namespace

TEST_CASE("the fstab line of a share, byte for byte", "[sshshare]") {
  const Peer m = split_peer("m");
  CHECK(mount_options(m, 30, kFiles) == kMassOptions);
  CHECK(fstab_line(source(m, "/srv/mass"), "/srv/mass", mount_options(m, 30, kFiles)) ==
        std::string("m:/srv/mass /srv/mass fuse.sshfs ") + kMassOptions + " 0 0\n");

  // A user and a port: the user in the source, the port as an option.
  const Peer p = split_peer("backup@nas.example.org:2222");
  CHECK(p.user == "backup");
  CHECK(p.host == "nas.example.org");
  CHECK(p.port == 2222);
  CHECK(source(p, "/data") == "backup@nas.example.org:/data");
  CHECK(mount_options(p, 6, {"/home/a/.ssh/id_rsa", "/home/a/.ssh/known_hosts"}) ==
        "noauto,x-systemd.automount,_netdev,reconnect,ServerAliveInterval=2,ServerAliveCountMax=3,ConnectTimeout=2,"
        "BatchMode=yes,StrictHostKeyChecking=yes,UserKnownHostsFile=/home/a/.ssh/known_hosts,"
        "IdentityFile=/home/a/.ssh/id_rsa,port=2222,idmap=user,transform_symlinks,allow_other,default_permissions");

  // IPv6 stays in brackets, as sshfs wants it.
  const Peer v6 = split_peer("root@[fd00::1]:22");
  CHECK(v6.host == "[fd00::1]");
  CHECK(v6.port == 22);
  CHECK(source(v6, "/srv") == "root@[fd00::1]:/srv");
  CHECK(peer_text(v6) == "root@[fd00::1]:22");
  CHECK(peer_text(split_peer("[::1]")) == "[::1]");
  CHECK(peer_text(split_peer("h:1")) == "h:1");

  // Spaces and backslashes in paths are escaped as fstab(5) says.
  CHECK(fstab_line("m:/srv/my files", "/mnt/a\\b c", "o") ==
        "m:/srv/my\\040files /mnt/a\\134b\\040c fuse.sshfs o 0 0\n");
}

TEST_CASE("timeouts come from SSHSHARE_TIMEOUT", "[sshshare]") {
  auto t = timeouts_for(30);
  CHECK(t.alive_interval == 8);
  CHECK(t.alive_count == 3);
  CHECK(t.connect == 8);
  t = timeouts_for(4);
  CHECK(t.alive_interval == 1);
  CHECK(t.connect == 1);
  t = timeouts_for(32);
  CHECK(t.alive_interval == 8);
  t = timeouts_for(33);  // rounded up: never shorter than asked
  CHECK(t.alive_interval == 9);
  t = timeouts_for(3600);
  CHECK(t.alive_interval == 900);
}

TEST_CASE("shares are read back from fstab entries", "[sshshare]") {
  auto share = [](const std::string& line) {
    auto e = fstab::parse_entry(line);
    REQUIRE(e);
    return share_of(*e);
  };
  auto s = share("alice@h:/srv/a:b /mnt/x/ fuse.sshfs Port=2200,ro 0 0");
  REQUIRE(s);
  CHECK(s->peer.user == "alice");
  CHECK(s->peer.host == "h");
  CHECK(s->peer.port == 2200);
  CHECK(s->remote == "/srv/a:b");
  CHECK(s->path == "/mnt/x");
  s = share("[fd00::1]:/srv /srv sshfs defaults 0 0");
  REQUIRE(s);
  CHECK(s->peer.host == "[fd00::1]");
  CHECK(s->remote == "/srv");
  s = share("h:/a@b /a fuse.sshfs x 0 0");  // an '@' of the directory is not a user
  REQUIRE(s);
  CHECK(s->peer.user.empty());
  CHECK(s->remote == "/a@b");
  CHECK_FALSE(share("nocolon /a fuse.sshfs x 0 0"));
  CHECK_FALSE(share(":/a /a fuse.sshfs x 0 0"));

  Share a{split_peer("h"), "/r", "/p", ""};
  Share b{split_peer("h:22"), "/r", "/p/", "other"};
  CHECK(same_share(a, b));
  b.peer.port = 23;
  CHECK_FALSE(same_share(a, b));
  CHECK_FALSE(same_share(a, Share{split_peer("root@h"), "/r", "/p", ""}));
  CHECK_FALSE(same_share(a, Share{split_peer("h"), "/r2", "/p", ""}));
}

TEST_CASE("add keeps every other line byte for byte and never duplicates", "[sshshare]") {
  const std::string line = "m:/srv/mass /srv/mass fuse.sshfs o 0 0\n";
  // CRLF, tabs, comments, no final newline, a commented entry for the path,
  // an entry for a path below it.
  const std::string before =
      "# /etc/fstab: static file system information.\r\n"
      "UUID=1234\t/\text4\terrors=remount-ro 0 1\n"
      "\n"
      "# m:/srv/mass /srv/mass fuse.sshfs old 0 0\n"
      "m:/srv/mass/sub /srv/mass/sub fuse.sshfs o 0 0\n"
      "tmpfs /tmp tmpfs defaults 0 0";
  AddPlan p = plan_add(before, "/srv/mass", line);
  CHECK(p.conflict.empty());
  CHECK(p.replaced.empty());
  CHECK(p.text == before + "\n" + line);

  // Again: nothing changes.
  AddPlan again = plan_add(p.text, "/srv/mass", line);
  CHECK(again.text == p.text);
  CHECK(again.replaced.empty());

  // An older line for the path is replaced in place; duplicates go.
  const std::string old =
      "a /a ext4 defaults 0 0\n"
      "old@m:/srv/mass /srv/mass/ sshfs old 0 0\n"
      "b /b ext4 defaults 0 0\n"
      "m:/srv/mass /srv/mass fuse.sshfs o 0 0\n"
      "c /c ext4 defaults 0 0\n";
  p = plan_add(old, "/srv/mass", line);
  CHECK(p.text ==
        "a /a ext4 defaults 0 0\n"
        "m:/srv/mass /srv/mass fuse.sshfs o 0 0\n"
        "b /b ext4 defaults 0 0\n"
        "c /c ext4 defaults 0 0\n");
  REQUIRE(p.replaced.size() == 1);
  CHECK(p.replaced[0].peer.user == "old");

  // Another kind of entry for the path is a conflict; nothing changes.
  const std::string nfs = "m:/srv/mass /srv/mass nfs4 _netdev 0 0\n";
  p = plan_add(nfs, "/srv/mass", line);
  CHECK_FALSE(p.conflict.empty());
  CHECK(p.text == nfs);
  CHECK_THAT(p.conflict, Catch::Contains("nfs4"));

  CHECK(plan_add("", "/p", "x /p fuse.sshfs o 0 0\n").text == "x /p fuse.sshfs o 0 0\n");

  // A line ended "\r\n" keeps its ending: the same line is no change and
  // replaces nothing; another one is replaced in place, still "\r\n".
  const std::string crlf = "# x\r\nm:/srv/mass /srv/mass fuse.sshfs o 0 0\r\ny /y ext4 d 0 0\r\n";
  p = plan_add(crlf, "/srv/mass", line);
  CHECK(p.text == crlf);
  CHECK(p.replaced.empty());
  p = plan_add("# x\r\nold@m:/srv/mass /srv/mass fuse.sshfs old 0 0\r\n", "/srv/mass", line);
  CHECK(p.text == "# x\r\nm:/srv/mass /srv/mass fuse.sshfs o 0 0\r\n");
  CHECK(p.replaced.size() == 1);
}

TEST_CASE("del removes exactly the share's lines", "[sshshare]") {
  const std::string text =
      "# keep\n"
      "m:/srv/mass /srv/mass fuse.sshfs o 0 0\n"
      "m:/srv/mass /srv/other fuse.sshfs o 0 0\n"
      "n:/srv/mass /srv/mass fuse.sshfs o 0 0\n"
      "m:/srv/mass /srv/mass fuse.sshfs port=2 0 0\n"
      "m:/srv/mass /srv/mass nfs4 o 0 0\n"
      "last /x ext4 d 0 0";
  DelPlan p = plan_del(text, Share{split_peer("m"), "/srv/mass", "/srv/mass", ""});
  CHECK(p.removed == 1);
  CHECK(p.text ==
        "# keep\n"
        "m:/srv/mass /srv/other fuse.sshfs o 0 0\n"
        "n:/srv/mass /srv/mass fuse.sshfs o 0 0\n"
        "m:/srv/mass /srv/mass fuse.sshfs port=2 0 0\n"
        "m:/srv/mass /srv/mass nfs4 o 0 0\n"
        "last /x ext4 d 0 0");
  CHECK(p.others.size() == 2);
  // Absent: the text is returned as it was.
  p = plan_del(text, Share{split_peer("zz"), "/srv/mass", "/srv/mass", ""});
  CHECK(p.removed == 0);
  CHECK(p.text == text);
  // The last line, without its newline.
  p = plan_del("a /a ext4 d 0 0\nm:/r /p sshfs o 0 0", Share{split_peer("m"), "/r", "/p", ""});
  CHECK(p.text == "a /a ext4 d 0 0\n");
}

TEST_CASE("list gives every sshfs entry", "[sshshare]") {
  auto shares = list_shares(
      "m:/a /a fuse.sshfs port=3 0 0\n# n:/b /b fuse.sshfs o 0 0\nx /x ext4 d 0 0\nu@n:/c\\040d /c\\040d sshfs o 0 "
      "0\n");
  REQUIRE(shares.size() == 2);
  CHECK(peer_text(shares[0].peer) == "m:3");
  CHECK(shares[1].remote == "/c d");
  CHECK(shares[1].path == "/c d");
  CHECK(peer_text(shares[1].peer) == "u@n");
}

TEST_CASE("paths: hostile and non-canonical ones are refused", "[sshshare]") {
  for (const char* ok : {"/srv/mass", "/with space", "/a\\b", "/ünï/名前", "/a$b", "/-rf", "/a,b", "/#x"}) {
    INFO(ok);
    CHECK(path_problem(ok, true).empty());
  }
  CHECK(path_problem("/", false).empty());
  CHECK_FALSE(path_problem("/", true).empty());
  for (const char* bad : {"", "srv", "../../etc", "/a/../b", "/a/./b", "/a//b", "/a/", "/new\nline", "/a\tb", "/a\rb",
                          "/\x1b[31m", "/a\x7f"}) {
    INFO(bad);
    CHECK_FALSE(path_problem(bad, true).empty());
    CHECK_FALSE(path_problem(bad, false).empty());
  }
  CHECK_FALSE(path_problem("/" + std::string(4095, 'a'), true).empty());
  CHECK(path_problem("/" + std::string(4094, 'a'), true).empty());

  CHECK(option_file_problem("/root/.ssh/id_ed25519").empty());
  CHECK(option_file_problem("/tmp/sc-x.1_2+3@h/home/.ssh/known_hosts").empty());
  for (const char* bad : {"", "rel/x", "/a,b", "/a b", "/a=b", "/a\nb", "/a\\b", "/a\"b"}) {
    INFO(bad);
    CHECK_FALSE(option_file_problem(bad).empty());
  }
}

TEST_CASE("every valid peer name makes a source sshfs splits back", "[sshshare]") {
  for (const char* peer : {"m", "root@m", "m:2222", "u@10.0.0.1:22", "[::1]", "u@[fd00::1]:2", "a_b.c-d"}) {
    INFO(peer);
    REQUIRE(plugin_common::peer_name::valid(peer));
    const Peer p = split_peer(peer);
    CHECK(peer_text(p) == peer);
    const std::string line = fstab_line(source(p, "/r x"), "/p", mount_options(p, 30, kFiles));
    auto e = fstab::parse_entry(line.substr(0, line.size() - 1));
    REQUIRE(e);
    auto s = share_of(*e);
    REQUIRE(s);
    CHECK(same_share(*s, Share{p, "/r x", "/p", ""}));
  }
}

TEST_CASE("mountinfo: a share's sshfs mount and its automount point", "[sshshare]") {
  const std::string info =
      "22 1 0:21 / /proc rw,nosuid shared:12 - proc proc rw\n"
      "40 25 0:35 / /srv/mass rw,relatime shared:20 - autofs systemd-1 rw,fd=40\n"
      "41 40 0:36 / /srv/mass rw,nosuid,nodev - fuse.sshfs m:/srv/mass rw,user_id=0\n"
      "42 25 0:37 / /mnt/with\\040space rw - fuse.sshfs m:/a\\040b rw\n"
      "garbage\n";
  auto mounts = fstab::parse_mountinfo(info);
  auto at = fstab::mounts_at(mounts, "/srv/mass");
  REQUIRE(at.size() == 2);
  CHECK(automounted(at));
  CHECK(sshfs_mounted(at, "m:/srv/mass"));
  CHECK_FALSE(sshfs_mounted(at, "n:/srv/mass"));
  at = fstab::mounts_at(mounts, "/mnt/with space");
  REQUIRE(at.size() == 1);
  CHECK_FALSE(automounted(at));
  CHECK(sshfs_mounted(at, "m:/a b"));
  CHECK_FALSE(sshfs_mounted(fstab::mounts_at(mounts, "/proc"), "proc"));
}
