// unisonsync's generated text, byte for byte: profiles, the common
// preferences, ssh's words, unison's command line, the conflict ledger,
// the steps of a resolution, fstab and mountinfo readings.
#include <catch2/catch.hpp>

#include "../ledger.hpp"
#include "../mounts.hpp"
#include "../profile.hpp"

using namespace unisonsync;

TEST_CASE("profile names follow the original's and never collide", "[unisonsync]") {
  CHECK(profile_name("m", "/srv/mass", "daily") == "daily:m:_srv_mass");
  CHECK(profile_name("master.example.com", "/home/alice", "") == "manual:master.example.com:_home_alice");
  // Anything the name cannot show adds a hash of host and path.
  CHECK(profile_name("root@127.0.0.1:2299", "/srv/a b", "hourly") == "hourly:root_127.0.0.1_2299:_srv_a_b.75d5eaa6");
  CHECK(profile_name("m", "/srv/my_data", "daily") == "daily:m:_srv_my_data.b866fd74");
  CHECK(profile_name("m", "/srv/my/data", "daily") == "daily:m:_srv_my_data");
  // Long paths are cut, and hashed.
  std::string name = profile_name("m", "/" + std::string(300, 'a'), "weekly");
  CHECK(name.size() == std::string("weekly:m:").size() + 96 + 9);
  CHECK(name.substr(name.size() - 9, 1) == ".");
}

TEST_CASE("roots: what a synchronisation accepts", "[unisonsync]") {
  CHECK(path_problem("/srv/mass") == "");
  CHECK(path_problem("/srv/mass/") == "");
  CHECK(path_problem("/srv/it's \"odd\" ü") == "");
  CHECK(path_problem("") == "is empty");
  CHECK(path_problem("srv") == "is not an absolute path");
  CHECK(path_problem("/") == "is the root directory: synchronise a directory under it");
  CHECK(path_problem("///") == "is the root directory: synchronise a directory under it");
  CHECK(path_problem("/srv/a\nb") == "contains a control character");
  CHECK(path_problem("/srv/\x1b[31m") == "contains a control character");
  CHECK(path_problem("/srv/\xff\xfe") == "is not valid UTF-8");
  CHECK(path_problem("/srv/a ") == "ends with white space (unison would drop it)");
  CHECK(path_problem("/srv//a") == "has an empty component (\"//\")");
  CHECK(path_problem("/srv/../etc") == "has a \".\" or \"..\" component");
  CHECK(path_problem("/srv/./a") == "has a \".\" or \"..\" component");
  CHECK(path_problem("/" + std::string(1024, 'a')) == "is longer than 1024 bytes");
  CHECK(normal_path("/srv/mass//") == "/srv/mass");
  CHECK(normal_path("/") == "/");
  CHECK(valid_period("daily"));
  CHECK_FALSE(valid_period("yearly"));
  CHECK_FALSE(valid_period(""));
}

TEST_CASE("ssh's words give unison sc's identity and trust", "[unisonsync]") {
  CHECK(remote_root("root@127.0.0.1:2299", "/srv/mass") == "ssh://root@127.0.0.1:2299//srv/mass");
  auto w = ssh_words("/root/.ssh", {"/root/.ssh/id_ed25519"}, false, 2);
  CHECK(w == std::vector<std::string>{"-i", "/root/.ssh/id_ed25519", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                                      "-o", "StrictHostKeyChecking=yes", "-o",
                                      "UserKnownHostsFile=/root/.ssh/known_hosts", "-o", "ConnectTimeout=2", "-o",
                                      "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4"});
  CHECK(ssh_words_problem(w) == "");
  auto with_config = ssh_words("/h/.ssh", {}, true, 9);
  CHECK(with_config[0] == "-F");
  CHECK(with_config[1] == "/h/.ssh/config");
  CHECK(with_config[2] == "-o");
  CHECK(ssh_words_problem(ssh_words("/my home/.ssh", {}, false, 2)) ==
        "\"UserKnownHostsFile=/my home/.ssh/known_hosts\" holds a space, a tab, a backslash or a control character, "
        "which unison cannot pass to ssh");
}

TEST_CASE("the common preferences, exactly", "[unisonsync]") {
  const std::string expected =
      "# Written by sc unisonsync: the preferences of every synchronisation of\n"
      "# this host (each profile includes this file). `sc unisonsync setup`\n"
      "# rewrites it; edits are lost.\n"
      "#\n"
      "# A conflict keeps both versions: the newer one takes the path, the other\n"
      "# is kept beside it as \"NAME (conflict_on_DATE)\" (copyonconflict), and a\n"
      "# deletion against an edit keeps the edit. A root lacking the marker file\n"
      "# .sc-unisonsync (not mounted, or emptied) stops the run (mountpoint).\n"
      "batch = true\n"
      "terse = true\n"
      "color = false\n"
      "log = false\n"
      "times = true\n"
      "owner = true\n"
      "group = true\n"
      "prefer = newer\n"
      "copyonconflict = true\n"
      "confirmbigdel = true\n"
      "addversionno = true\n"
      "retry = 1\n"
      "mountpoint = .sc-unisonsync\n"
      "ignore = Path .sc-unisonsync\n"
      "sshargs = -i /root/.ssh/id_ed25519 -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o "
      "UserKnownHostsFile=/root/.ssh/known_hosts -o ConnectTimeout=2 -o ServerAliveInterval=15 -o "
      "ServerAliveCountMax=4\n"
      "\n"
      "ignore = Regex .*/\\.?[cC]ache/.*\n"
      "ignore = Name [lL]ock\n"
      "ignore = Name .parentlock\n"
      "ignore = Name *.[lL]ock\n"
      "ignore = Name *.nps\n"
      "ignore = Name *.o\n"
      "ignore = Name *~\n"
      "ignore = Name .*~\n"
      "ignore = Name .[tT]rash*\n"
      "ignore = Name .*.swp\n"
      "ignore = Name [Tt]humbs.db\n"
      "ignore = Name $RECYCLE.BIN\n"
      "ignore = Name Crash Reports\n"
      "ignore = Name .nvidia-settings-rc\n"
      "ignore = Name .dmrc\n"
      "ignore = Name .xscreensaver\n"
      "ignore = Name .*authority\n"
      "ignore = Name .xsession-errors*\n"
      "ignore = Name .Trash*\n"
      "ignore = Name .viminfo\n"
      "ignore = Name .lesshst\n"
      "ignore = Name .bash_history\n"
      "ignore = Name .bash_logout\n"
      "ignore = Name ownCloud\n"
      "ignore = Name tmp\n"
      "ignore = Name Download*\n"
      "ignore = Name Téléchargements\n"
      "ignore = Path Documents/HTC\n"
      "ignore = Path .local\n"
      "ignore = Path .adobe\n"
      "ignore = Path .audacity-data\n"
      "ignore = Path .dbus\n"
      "ignore = Path .nv\n"
      "ignore = Path .wine\n"
      "ignore = Path .thumbnails\n"
      "ignore = Path .gstreamer-*\n"
      "ignore = Path .cache\n";
  CHECK(common_profile(ssh_words("/root/.ssh", {"/root/.ssh/id_ed25519"}, false, 2)) == expected);
}

TEST_CASE("a synchronisation's profile, exactly, and read back", "[unisonsync]") {
  Sync s{"m", "/srv/mass", "/srv/mass", "daily", false};
  CHECK(sync_profile(s, "/srv/mass") ==
        "# sc-unisonsync {\"fill_empty\":false,\"host\":\"m\",\"local\":\"/srv/mass\",\"period\":\"daily\","
        "\"remote\":\"/srv/mass\"}\n"
        "# Written by `sc unisonsync add`; `sc unisonsync del` removes it.\n"
        "include _common\n"
        "root = /srv/mass\n"
        "root = ssh://m//srv/mass\n");
  CHECK(parse_profile(sync_profile(s, "/srv/mass")) == s);
  // Under --root unison sees the real path; the header keeps the target's.
  Sync odd{"root@127.0.0.1:2299", "/tmp/peer/srv/it's \"odd\" é", "/srv/local copy", "", true};
  const std::string text = sync_profile(odd, "/tmp/client-root/srv/local copy");
  CHECK(text ==
        "# sc-unisonsync {\"fill_empty\":true,\"host\":\"root@127.0.0.1:2299\",\"local\":\"/srv/local copy\","
        "\"period\":\"\",\"remote\":\"/tmp/peer/srv/it's \\\"odd\\\" é\"}\n"
        "# Written by `sc unisonsync add`; `sc unisonsync del` removes it.\n"
        "include _common\n"
        "root = /tmp/client-root/srv/local copy\n"
        "root = ssh://root@127.0.0.1:2299//tmp/peer/srv/it's \"odd\" é\n");
  CHECK(parse_profile(text) == odd);
  CHECK_FALSE(parse_profile("root = /a\nroot = /b\n"));
  CHECK_FALSE(parse_profile("# sc-unisonsync {\"host\":\"m\"}\n"));
  CHECK_FALSE(
      parse_profile("# sc-unisonsync {\"fill_empty\":false,\"host\":\"m\",\"local\":\"rel\",\"period\":\"\","
                    "\"remote\":\"/a\"}\n"));
  CHECK_FALSE(
      parse_profile("# sc-unisonsync {\"fill_empty\":false,\"host\":\"m\",\"local\":\"/a\",\"period\":"
                    "\"yearly\",\"remote\":\"/a\"}\n"));
}

TEST_CASE("unison's command line, versions, statuses and messages", "[unisonsync]") {
  CHECK(unison_argv("daily:m:_srv_mass") == std::vector<std::string>{"unison", "daily:m:_srv_mass"});
  using V = std::vector<std::string>;
  CHECK(probe_root_argv("/srv/it's mass") == V{"find", "/srv/it's mass/", "-mindepth", "1", "-maxdepth", "1", "!",
                                               "-name", ".sc-unisonsync", "-printf", "x", "-quit"});
  CHECK(mark_root_argv("/srv/mass") == V{"touch", "--", "/srv/mass/.sc-unisonsync"});
  CHECK(put_back_argv("/srv/mass", "d/g (conflict_on_2026-12-02_was_deleted)", "d/g") ==
        V{"mv", "-n", "-T", "--", "/srv/mass/d/g (conflict_on_2026-12-02_was_deleted)", "/srv/mass/d/g"});
  CHECK(unison_version("unison version 2.52.1 (ocaml 4.13.1)\n") == "2.52.1");
  CHECK(unison_version("unison version 2.53.7\n") == "2.53.7");
  CHECK(unison_version("bash: unison: command not found\n") == "");
  CHECK(unison_series("2.52.1") == "2.52");
  CHECK(unison_series("2.48") == "2.48");
  CHECK(unison_series("x.1") == "");
  CHECK(unison_status_text(0) == "successful synchronisation");
  CHECK(unison_status_text(1) == "some paths were skipped, the others synchronised");
  CHECK(unison_status_text(2) == "some paths failed to synchronise (non-fatal failures)");
  CHECK(unison_status_text(3) == "fatal error: the synchronisation stopped");
  const std::string err =
      "Unison 2.52.1 (ocaml 4.13.1): Contacting server...\n"
      "Looking for changes\n"
      "Reconciling changes\n"
      "Propagating updates\n"
      "Unison 2.52.1 (ocaml 4.13.1) started propagating changes at 07:18:33.21 on 02 Dec 2026\n"
      "[BGN] Copying y from /tmp/ux/a to //vm//tmp/ux/b\n"
      "[END] Copying y\n"
      " 60%  00:00 ETA\r               \r100%  00:00 ETA\r"
      "Failed: Destination updated during synchronization\n"
      "The contents of file x have been modified\n"
      "Unison 2.52.1 (ocaml 4.13.1) finished propagating changes at 07:18:33.22 on 02 Dec 2026, 0.004 s\n"
      "Saving synchronizer state\n"
      "Synchronization incomplete at 07:18:33  (1 item transferred, 0 skipped, 1 failed)\n"
      "  failed: x\n";
  const std::string out = "changed  ---->            x  \nFailed [x]: Destination updated during synchronization\n";
  CHECK(unison_messages(out, err) ==
        std::vector<std::string>{"Failed: Destination updated during synchronization",
                                 "The contents of file x have been modified",
                                 "Synchronization incomplete at 07:18:33  (1 item transferred, 0 skipped, 1 "
                                 "failed)",
                                 "failed: x", "Failed [x]: Destination updated during synchronization"});
  CHECK(unison_summary(err) == "Synchronization incomplete at 07:18:33  (1 item transferred, 0 skipped, 1 failed)");
  CHECK(unison_summary("Fatal error: Lost connection with the server\n") == "");
}

TEST_CASE("conflicts in unison's listing, paths with newlines and spaces", "[unisonsync]") {
  const std::string listing =
      "changed  ====> deleted    y  \n"
      "changed  <==== changed    dir/it's \"odd\"\n"
      "line é  \n"
      "new file ---->            plain  \n"
      "changed  <-?-> changed    skipped  \n";
  CHECK(listing_has_conflict(listing));
  CHECK(listing_shows_conflict(listing, "y"));
  CHECK(listing_shows_conflict(listing, "dir/it's \"odd\"\nline é"));
  CHECK_FALSE(listing_shows_conflict(listing, "plain"));
  CHECK_FALSE(listing_shows_conflict(listing, "skipped"));
  CHECK_FALSE(listing_shows_conflict(listing, "dir/it's \"odd\""));
  CHECK_FALSE(listing_has_conflict("new file ---->            plain  \nchanged  <-?-> changed    s  \n"));
  CHECK_FALSE(listing_has_conflict(""));
}

TEST_CASE("the names copyonconflict gives", "[unisonsync]") {
  auto c = parse_copy_name("f (conflict_on_2026-12-02)");
  REQUIRE(c);
  CHECK(c->original == "f");
  CHECK_FALSE(c->was_deleted);
  c = parse_copy_name("report (conflict #2_on_2026-12-02).odt");
  REQUIRE(c);
  CHECK(c->original == "report.odt");
  c = parse_copy_name("g (conflict_on_2026-12-02_was_deleted)");
  REQUIRE(c);
  CHECK(c->original == "g");
  CHECK(c->was_deleted);
  c = parse_copy_name(" (conflict_on_2026-12-02).bashrc");
  REQUIRE(c);
  CHECK(c->original == ".bashrc");
  c = parse_copy_name("a.tar (conflict_on_2026-12-02).gz");
  REQUIRE(c);
  CHECK(c->original == "a.tar.gz");
  c = parse_copy_name("it's \"odd\"\nline é (conflict_on_2026-12-02)");
  REQUIRE(c);
  CHECK(c->original == "it's \"odd\"\nline é");
  CHECK_FALSE(parse_copy_name("f (conflict_on_2026-12-02).a.b"));  // unison cuts at the last dot
  CHECK_FALSE(parse_copy_name("a.b (conflict_on_2026-12-02)"));    // it would have been "a (conflict...).b"
  CHECK_FALSE(parse_copy_name("f (conflict_on_26-12-02)"));
  CHECK_FALSE(parse_copy_name("f (conflict #_on_2026-12-02)"));
  CHECK_FALSE(parse_copy_name("f (conflict_on_2026-12-02"));
  CHECK_FALSE(parse_copy_name("plain"));
  CHECK(original_path("d/e/x (conflict_on_2026-12-02).txt", *parse_copy_name("x (conflict_on_2026-12-02).txt")) ==
        "d/e/x.txt");
}

TEST_CASE("find's listing of the copies", "[unisonsync]") {
  CHECK(find_copies_argv("/srv/mass") ==
        std::vector<std::string>{"find", "/srv/mass/", "-name",
                                 "* (conflict*_on_[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*)*", "-printf",
                                 "%y %T@ %s %P\\0", "-prune"});
  const std::string nul(1, '\0');
  const std::string out = "f 1764659902.1234567890 4 z (conflict_on_2026-12-02)" + nul +
                          "d 1764659900.0000000000 4096 dir/sub (conflict_on_2026-12-02)" + nul +
                          "f 17 2 new\nline (conflict_on_2026-12-02)" + nul + "bad" + nul + "f 1 2 cut";
  auto f = parse_found(out);
  REQUIRE(f.size() == 3);
  CHECK(f[0].type == 'f');
  CHECK(f[0].mtime == 1764659902);
  CHECK(f[0].size == 4);
  CHECK(f[0].path == "z (conflict_on_2026-12-02)");
  CHECK(f[1].type == 'd');
  CHECK(f[1].path == "dir/sub (conflict_on_2026-12-02)");
  CHECK(f[2].path == "new\nline (conflict_on_2026-12-02)");
}

namespace {

Conflict sample() {
  Conflict c;
  c.sync = "daily:m:_srv_mass";
  c.path = "dir/z";
  c.local_root = "/srv/mass";
  c.remote_root = "/srv/mass";
  c.local_host = "c1";
  c.remote_host = "m";
  c.kind = "both-changed";
  c.kept = "remote";
  c.local_time = 1764659902;
  c.remote_time = 1764659907;
  c.copy = "dir/z (conflict_on_2026-12-02)";
  c.copy_hosts = {"c1", "m"};
  c.found = 1764659913;
  c.path_size = 3;
  c.path_mtime = 1764659907;
  c.copy_size = 4;
  c.copy_mtime = 1764659902;
  return c;
}

}  // namespace

TEST_CASE("the ledger, exactly, and read back", "[unisonsync]") {
  Conflict c = sample();
  const std::string text = ledger_text({c});
  CHECK(text ==
        "{\n"
        " \"conflicts\": [\n"
        "  {\n"
        "   \"copy\": \"dir/z (conflict_on_2026-12-02)\",\n"
        "   \"copy_hosts\": [\n"
        "    \"c1\",\n"
        "    \"m\"\n"
        "   ],\n"
        "   \"copy_mtime\": 1764659902,\n"
        "   \"copy_size\": 4,\n"
        "   \"found\": 1764659913,\n"
        "   \"kept\": \"remote\",\n"
        "   \"kind\": \"both-changed\",\n"
        "   \"local_host\": \"c1\",\n"
        "   \"local_root\": \"/srv/mass\",\n"
        "   \"local_time\": 1764659902,\n"
        "   \"path\": \"dir/z\",\n"
        "   \"path_mtime\": 1764659907,\n"
        "   \"path_size\": 3,\n"
        "   \"remote_host\": \"m\",\n"
        "   \"remote_root\": \"/srv/mass\",\n"
        "   \"remote_time\": 1764659907,\n"
        "   \"sync\": \"daily:m:_srv_mass\"\n"
        "  }\n"
        " ],\n"
        " \"format\": 1\n"
        "}\n");
  auto back = parse_ledger(text);
  REQUIRE(back);
  REQUIRE(back->size() == 1);
  CHECK(ledger_text(*back) == text);
  CHECK_FALSE(parse_ledger("{\"format\":2,\"conflicts\":[]}"));
  CHECK_FALSE(parse_ledger("{\"format\":1,\"conflicts\":[{\"path\":1}]}"));
  CHECK_FALSE(parse_ledger("not json"));
  CHECK(parse_ledger(ledger_text({}))->empty());
}

TEST_CASE("a conflict as `conflicts` shows it", "[unisonsync]") {
  Conflict c = sample();
  CHECK(iso_time(1764659902) == "2025-12-02T07:18:22Z");
  CHECK(conflict_text(c) ==
        "/srv/mass/dir/z\n"
        "  c1: 2025-12-02T07:18:22Z, m: 2025-12-02T07:18:27Z\n"
        "  the path holds m's version (the newer); c1's is /srv/mass/dir/z (conflict_on_2026-12-02) on c1 and m\n"
        "  sync daily:m:_srv_mass, found 2025-12-02T07:18:33Z\n");
  CHECK(conflict_json(c) ==
        "{\"found\":\"2025-12-02T07:18:33Z\",\"kept\":\"remote\",\"kept_host\":\"m\",\"kind\":\"both-changed\","
        "\"local_host\":\"c1\",\"local_time\":\"2025-12-02T07:18:22Z\",\"other_copy\":\"/srv/mass/dir/z "
        "(conflict_on_2026-12-02)\",\"other_copy_hosts\":[\"c1\",\"m\"],\"other_copy_remote\":\"/srv/mass/dir/z "
        "(conflict_on_2026-12-02)\",\"path\":\"/srv/mass/dir/z\",\"relative_path\":\"dir/z\",\"remote_host\":\"m\","
        "\"remote_time\":\"2025-12-02T07:18:27Z\",\"sync\":\"daily:m:_srv_mass\"}");
  Conflict d = sample();
  d.kind = "deleted-there";
  d.kept = "local";
  d.remote_time.reset();
  d.copy.clear();
  d.copy_hosts.clear();
  d.path = "new\nline";
  CHECK(conflict_text(d) ==
        "/srv/mass/new\\nline\n"
        "  c1: 2025-12-02T07:18:22Z, m: deleted\n"
        "  m deleted it, c1 changed it: the change was kept\n"
        "  sync daily:m:_srv_mass, found 2025-12-02T07:18:33Z\n");
}

TEST_CASE("the status hook's warning for a synchronisation with conflicts", "[unisonsync]") {
  auto one = conflict_warning("daily:m:_srv_mass", {"/srv/mass/dir/z"});
  CHECK(one.what ==
        "daily:m:_srv_mass: 1 unresolved conflict, on /srv/mass/dir/z (both versions are kept until resolved: "
        "keep-local, keep-remote or keep-both; sc unisonsync conflicts lists them)");
  CHECK(one.fix == "sc unisonsync resolve /srv/mass/dir/z keep-both");
  // A path a shell would split or read otherwise is quoted, on one line.
  auto two = conflict_warning("daily:m:_srv_mass", {"/srv/mass/it's \"odd\"\nname", "/srv/mass/b"});
  CHECK(two.what ==
        "daily:m:_srv_mass: 2 unresolved conflicts, the first on $'/srv/mass/it\\'s \"odd\"\\nname' (both versions "
        "are kept until resolved: keep-local, keep-remote or keep-both; sc unisonsync conflicts lists them)");
  CHECK(two.fix == "sc unisonsync resolve $'/srv/mass/it\\'s \"odd\"\\nname' keep-both");
  CHECK(conflict_warning("s", {"/srv/my file"}).fix == "sc unisonsync resolve '/srv/my file' keep-both");
}

TEST_CASE("the steps of each resolution", "[unisonsync]") {
  using V = std::vector<std::string>;
  Conflict c = sample();  // kept: remote; the copy holds this host's version
  CHECK(resolution_steps(c, Choice::keep_both, "/srv/mass", true, true).empty());
  auto s = resolution_steps(c, Choice::keep_local, "/srv/mass", true, true);
  REQUIRE(s.size() == 1);
  CHECK_FALSE(s[0].on_peer);
  CHECK(s[0].argv == V{"mv", "-f", "-T", "--", "/srv/mass/dir/z (conflict_on_2026-12-02)", "/srv/mass/dir/z"});
  s = resolution_steps(c, Choice::keep_remote, "/r/srv/mass", true, false);
  REQUIRE(s.size() == 1);
  CHECK(s[0].argv == V{"rm", "-rf", "--", "/r/srv/mass/dir/z (conflict_on_2026-12-02)"});
  // The copy only on the peer: the step runs there.
  s = resolution_steps(c, Choice::keep_local, "/srv/mass", false, true);
  REQUIRE(s.size() == 1);
  CHECK(s[0].on_peer);
  CHECK(s[0].argv == V{"mv", "-f", "-T", "--", "/srv/mass/dir/z (conflict_on_2026-12-02)", "/srv/mass/dir/z"});
  CHECK_THROWS_WITH(resolution_steps(c, Choice::keep_local, "/srv/mass", false, false),
                    "the other version (dir/z (conflict_on_2026-12-02)) is on neither host any more");
  CHECK(resolution_steps(c, Choice::keep_remote, "/srv/mass", false, false).empty());
  c.kept = "local";  // the copy holds the peer's version
  s = resolution_steps(c, Choice::keep_local, "/srv/mass", true, true);
  CHECK(s[0].argv == V{"rm", "-rf", "--", "/srv/mass/dir/z (conflict_on_2026-12-02)"});
  s = resolution_steps(c, Choice::keep_remote, "/srv/mass", true, true);
  CHECK(s[0].argv[0] == "mv");

  Conflict d = sample();
  d.kind = "deleted-here";  // this host deleted it, the peer changed it
  d.kept = "remote";
  s = resolution_steps(d, Choice::keep_local, "/srv/mass", false, false);
  REQUIRE(s.size() == 1);
  CHECK(s[0].argv == V{"rm", "-rf", "--", "/srv/mass/dir/z"});
  CHECK(resolution_steps(d, Choice::keep_remote, "/srv/mass", false, false).empty());
  d.kind = "deleted-there";
  d.kept = "local";
  CHECK(resolution_steps(d, Choice::keep_local, "/srv/mass", false, false).empty());
  s = resolution_steps(d, Choice::keep_remote, "/srv/mass", false, false);
  REQUIRE(s.size() == 1);
  CHECK(s[0].argv == V{"rm", "-rf", "--", "/srv/mass/dir/z"});
  CHECK(parse_choice("keep-both") == Choice::keep_both);
  CHECK_FALSE(parse_choice("keep"));
}

TEST_CASE("fstab and mountinfo: a root on a file system that is not mounted", "[unisonsync]") {
  const std::string fstab =
      "# /etc/fstab\n"
      "UUID=1 / ext4 errors=remount-ro 0 1\n"
      "UUID=2 none swap sw 0 0\n"
      "/dev/sdb1\t/srv ext4 defaults 0 2\n"
      "/dev/sdc1 /srv/my\\040disk ext4 noauto 0 2\n"
      "m:/srv/mass /mnt/mass/ fuse.sshfs noauto,x-systemd.automount 0 0\n";
  CHECK(fstab_mount_points(fstab) == std::vector<std::string>{"/", "/srv", "/srv/my disk", "/mnt/mass"});
  const std::string mountinfo =
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
      "35 22 8:17 / /srv rw,relatime shared:2 - ext4 /dev/sdb1 rw\n"
      "36 22 0:40 / /run/user\\0401 rw - tmpfs tmpfs rw\n";
  auto mounted = mounted_points(mountinfo);
  CHECK(mounted == std::vector<std::string>{"/", "/srv", "/run/user 1"});
  auto points = fstab_mount_points(fstab);
  CHECK_FALSE(unmounted_mount_point(points, mounted, "/srv/mass"));
  CHECK(unmounted_mount_point(points, mounted, "/srv/my disk/photos") == "/srv/my disk");
  CHECK(unmounted_mount_point(points, mounted, "/srv/my disk") == "/srv/my disk");
  CHECK_FALSE(unmounted_mount_point(points, mounted, "/srv/my diskette"));
  CHECK(unmounted_mount_point(points, mounted, "/mnt/mass/") == "/mnt/mass");
  CHECK_FALSE(unmounted_mount_point(points, mounted, "/home/alice"));
  CHECK_FALSE(unmounted_mount_point(points, {}, "/"));
}
