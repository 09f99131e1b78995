// unisonsync end to end: the built sc (under --root) synchronising a
// directory with a peer through real unison over a real sshd on loopback
// (tests/support/sshd_harness.hpp). The peer's side is a real directory of
// this machine, reached through that sshd.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <nlohmann/json.hpp>

#include "../../crontask/cron_line.hpp"
#include "../profile.hpp"
#include "sshd_harness.hpp"
#include "sync_test_files.hpp"

using namespace sc::test;
using Catch::Contains;
using json = nlohmann::json;
using namespace std::string_literals;
using unisonsync_test::copies;
using unisonsync_test::doc;
using unisonsync_test::kOdd;
using unisonsync_test::put;

namespace {

/// A client root and a peer directory synchronised through a loopback sshd.
struct Pair {
  SshdHarness h;
  fs::path local;   // the client's root, seen from here
  fs::path remote;  // the peer's directory, a real path
  std::string remote_s;
  std::string name;
  Pair() : h(options()) {
    const fs::path root = h.client_root();
    write_text(root / "etc/hostname", "client\n");
    write_text(root / "etc/machine-id", "0123456789abcdef0123456789abcdef\n");
    write_text(root / "usr/sbin/cron", "#!/bin/sh\n", fs::perms(0755));
    // unison runs from this machine; the target must show it installed.
    write_text(root / "usr/bin/unison", "#!/bin/sh\n", fs::perms(0755));
    fs::create_directories(root / "etc/cron.d");
    local = root / "srv/data";
    fs::create_directories(local);
    remote = h.dir() / "peer-data";
    fs::create_directories(remote);
    remote_s = remote.string();
    name = unisonsync::profile_name(h.peer(), remote_s, "daily");
  }
  static SshdHarness::Options options() {
    SshdHarness::Options o;
    return o;
  }
  ScRun sc(std::vector<std::string> args) const { return h.sc(args); }
  ScRun start(std::vector<std::string> extra = {}) const {
    std::vector<std::string> a = {"unisonsync", "start", h.peer(), remote_s, "/srv/data", "daily"};
    a.insert(a.end(), extra.begin(), extra.end());
    return h.sc(a);
  }
  fs::path state_dir() const { return h.client_root() / "var/lib/sc/unisonsync"; }
};

}  // namespace

TEST_CASE("unisonsync: a sync with a peer, conflicts kept and resolved", "[unisonsync][peer]") {
  Pair p;
  const std::string before_all = tree_hash(p.h.client_root());

  // Bad input changes nothing.
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"unisonsync", "add", "bad host", p.remote_s},
                                             {"unisonsync", "add", p.h.peer(), "relative"},
                                             {"unisonsync", "add", p.h.peer(), "/srv/../etc"},
                                             {"unisonsync", "add", p.h.peer(), p.remote_s, "/srv/data", "yearly"},
                                             {"unisonsync", "add", p.h.peer(), p.remote_s, "/srv/a\nb"},
                                             {"unisonsync", "add", "localhost", p.remote_s},
                                             {"unisonsync", "resolve", "/srv/data/none", "keep-both"},
                                             {"unisonsync", "resolve", "/srv/data/none", "keep"},
                                             {"unisonsync", "status", "remote"},
                                             {"unisonsync", "status", "local", "local"}}) {
    ScRun r = p.sc(args);
    INFO(r.err);
    CHECK(r.status == 2);
  }
  CHECK(tree_hash(p.h.client_root()) == before_all);

  // add: the profile, the common preferences and the cron task, exactly.
  ScRun r = p.sc({"unisonsync", "add", p.h.peer(), p.remote_s, "/srv/data", "daily"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  const fs::path prf = p.state_dir() / "unison" / (p.name + ".prf");
  unisonsync::Sync s{p.h.peer(), p.remote_s, "/srv/data", "daily", false};
  CHECK(read_text(prf) == unisonsync::sync_profile(s, (p.h.client_root() / "srv/data").string()));
  CHECK(read_text(p.state_dir() / "unison/_common.prf") ==
        unisonsync::common_profile(unisonsync::ssh_words((p.h.home() / ".ssh").string(),
                                                         {(p.h.home() / ".ssh/id_ed25519").string()}, false, 2)));
  crontask::Task task;
  task.module = "unisonsync";
  task.period = "daily";
  task.sc_binary = built_sc_path();
  task.schedule = crontask::schedule("0123456789abcdef0123456789abcdef", "unisonsync", "daily");
  CHECK(read_text(p.h.client_root() / "etc/cron.d/sc_unisonsync_daily") == crontask::cron_file(task));
  CHECK(p.sc({"unisonsync", "has", p.h.peer(), p.remote_s, "daily"}).status == 0);
  CHECK(p.sc({"unisonsync", "has", p.h.peer(), p.remote_s}).status == 1);
  r = p.sc({"--json", "unisonsync", "files"});
  CHECK(doc(r)["result"] == json::array({"/var/lib/sc/unisonsync/unison/" + p.name + ".prf"}));
  // A second add changes nothing.
  r = p.sc({"--json", "unisonsync", "add", p.h.peer(), p.remote_s, "/srv/data", "daily"});
  CHECK(doc(r)["summary"]["changed"] == 0);

  // The first sync against an empty peer directory is refused.
  put(p.local / "a.txt", "a\n", -100);
  put(p.local / kOdd, "odd\n", -100);
  put(p.local / "sub dir/deep.txt", "deep\n", -100);
  r = p.start();
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("first sync of " + p.name + " refused: " + p.remote_s + " on " + p.h.peer() +
                             " is empty while /srv/data on client is not"));
  CHECK_THAT(r.err, Contains("--fill-empty"));
  CHECK(fs::is_empty(p.remote));
  // A dry run changes nothing on either side.
  const std::string local_before = tree_hash(p.local), remote_before = tree_hash(p.remote);
  r = p.h.sc({"--dry-run", "unisonsync", "start", p.h.peer(), p.remote_s, "/srv/data", "daily", "--fill-empty"});
  CHECK(tree_hash(p.local) == local_before);
  CHECK(tree_hash(p.remote) == remote_before);
  CHECK_THAT(r.out, Contains(p.name + ": would synchronise /srv/data with " + p.h.peer() + ":" + p.remote_s));

  // --fill-empty: the first sync fills the peer; both roots are marked.
  r = p.start({"--fill-empty"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Contains(p.name + ": Synchronization complete"));
  CHECK(read_text(p.remote / kOdd) == "odd\n");
  CHECK(read_text(p.remote / "sub dir/deep.txt") == "deep\n");
  CHECK(fs::exists(p.remote / ".sc-unisonsync"));
  CHECK(fs::exists(p.local / ".sc-unisonsync"));
  CHECK(p.sc({"unisonsync", "ready"}).status == 0);

  // Both sides change the same files: the newer takes the path, the older
  // is kept beside it on both hosts, and the ledger lists each.
  put(p.local / "a.txt", "local a\n", -100);
  put(p.remote / "a.txt", "remote a\n", -50);
  put(p.local / kOdd, "local odd\n", -20);
  put(p.remote / kOdd, "remote odd\n", -60);
  // A deletion against an edit, each way: the edit stays at its path.
  fs::remove(p.local / "sub dir/deep.txt");
  put(p.remote / "sub dir/deep.txt", "remote deep\n", -30);
  put(p.local / "b.txt", "local b\n", -40);
  // A file made on both sides at once, and a directory deleted here while
  // a file in it changed there.
  put(p.local / "n.txt", "local new\n", -80);
  put(p.remote / "n.txt", "remote new\n", -40);
  put(p.local / "dir/f.txt", "f\n", -300);
  REQUIRE(p.start().status == 0);
  fs::remove_all(p.local / "dir");
  put(p.remote / "dir/f.txt", "remote f\n", -25);
  r = p.start();
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  fs::remove(p.remote / "b.txt");  // after b.txt reached the peer
  put(p.local / "b.txt", "local b2\n", -10);
  r = p.start();
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.err, Contains("conflict on /srv/data/b.txt: deleted on one side, changed on the other"));
  for (const fs::path& side : {p.local, p.remote}) {
    INFO(side);
    CHECK(read_text(side / "a.txt") == "remote a\n");
    auto a = copies(side, "a");
    REQUIRE(a.size() == 1);
    CHECK(read_text(side / a[0]) == "local a\n");
    CHECK(read_text(side / kOdd) == "local odd\n");
    auto odd = copies(side, kOdd);
    REQUIRE(odd.size() == 1);
    CHECK(read_text(side / odd[0]) == "remote odd\n");
    CHECK(read_text(side / "sub dir/deep.txt") == "remote deep\n");
    CHECK(read_text(side / "b.txt") == "local b2\n");
    CHECK(copies(side / "sub dir", "deep").empty());
    CHECK(copies(side, "b").empty());
    CHECK(read_text(side / "n.txt") == "remote new\n");
    REQUIRE(copies(side, "n").size() == 1);
    CHECK(read_text(side / copies(side, "n")[0]) == "local new\n");
    CHECK(read_text(side / "dir/f.txt") == "remote f\n");
    CHECK(copies(side, "dir").empty());
  }
  r = p.sc({"--json", "unisonsync", "conflicts"});
  json list = doc(r)["result"];
  REQUIRE(list.size() == 6);
  std::map<std::string, json> by_path;
  for (const auto& c : list) by_path[c["path"].get<std::string>()] = c;
  json a = by_path.at("/srv/data/a.txt");
  CHECK(a["kind"] == "both-changed");
  CHECK(a["local_host"] == "client");
  CHECK(a["remote_host"] == p.h.peer());
  CHECK(a["kept"] == "remote");
  CHECK(a["kept_host"] == p.h.peer());
  CHECK(a["other_copy"] == "/srv/data/" + copies(p.local, "a")[0]);
  CHECK(a["other_copy_remote"] == p.remote_s + "/" + copies(p.local, "a")[0]);
  CHECK(a["other_copy_hosts"] == json::array({"client", p.h.peer()}));
  CHECK(a["local_time"].is_string());
  CHECK(a["remote_time"].is_string());
  CHECK(a["local_time"] < a["remote_time"]);
  json odd = by_path.at("/srv/data/" + kOdd);
  CHECK(odd["kept"] == "local");
  CHECK(odd["other_copy"] == "/srv/data/" + copies(p.local, kOdd)[0]);
  CHECK(by_path.at("/srv/data/sub dir/deep.txt")["kind"] == "deleted-here");
  CHECK(by_path.at("/srv/data/sub dir/deep.txt")["local_time"].is_null());
  CHECK(by_path.at("/srv/data/b.txt")["kind"] == "deleted-there");
  CHECK(by_path.at("/srv/data/b.txt")["remote_time"].is_null());
  CHECK(by_path.at("/srv/data/n.txt")["kind"] == "both-changed");
  CHECK(by_path.at("/srv/data/dir")["kind"] == "deleted-here");
  r = p.sc({"unisonsync", "conflicts"});
  CHECK_THAT(r.out, Contains("/srv/data/it's \"odd\"\\nname é\n"));
  // The status hook: the profile with the paths `conflicts` lists, one
  // warning whose fix a shell reads as `resolve` of the first path.
  {
    std::vector<std::string> paths;
    for (const auto& c : list) paths.push_back(c["path"].get<std::string>());
    const auto before_status = tree_hash(p.h.client_root());
    json st = doc(p.sc({"--json", "unisonsync", "status", "local"}))["result"];
    CHECK(st["facts"] == json{{"profiles", json::array({{{"name", p.name}, {"conflicts", paths}}})}});
    REQUIRE(st["problems"].size() == 1);
    json w = st["problems"][0];
    CHECK(w["level"] == "warning");
    CHECK_THAT(w["what"].get<std::string>(), Contains(p.name + ": 6 unresolved conflicts, the first on "));
    const std::string words =
        output_of({"bash", "-c", "for w in " + w["fix"].get<std::string>() + "; do printf '%s\\0' \"$w\"; done"});
    CHECK(words == "sc\0unisonsync\0resolve\0"s + paths[0] + "\0keep-both\0"s);
    CHECK(tree_hash(p.h.client_root()) == before_status);
  }
  r = p.sc({"unisonsync", "ready"});
  CHECK(r.status == 1);
  CHECK_THAT(r.out, Contains("not ready: 6 unresolved conflicts (sc unisonsync conflicts)"));
  // Another run changes nothing and records nothing twice.
  r = p.start();
  REQUIRE(r.status == 0);
  CHECK(doc(p.sc({"--json", "unisonsync", "conflicts"}))["result"].size() == 6);

  // Resolving: a version changed since is never discarded.
  const std::string a_copy = copies(p.local, "a")[0];
  put(p.local / a_copy, "local a, edited again\n", -5);
  r = p.sc({"unisonsync", "resolve", "/srv/data/a.txt", "keep-remote"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("changed since the conflict was recorded: nothing was done"));
  CHECK(fs::exists(p.local / a_copy));
  // keep-both forgets it; both files stay.
  r = p.sc({"unisonsync", "resolve", "/srv/data/a.txt", "keep-both"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(fs::exists(p.local / a_copy));
  CHECK(read_text(p.local / "a.txt") == "remote a\n");
  // keep-remote on the odd name: the peer's version takes the path on both
  // hosts, the copy goes.
  r = p.sc({"unisonsync", "resolve", "/srv/data/" + kOdd, "keep-remote"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  for (const fs::path& side : {p.local, p.remote}) {
    CHECK(read_text(side / kOdd) == "remote odd\n");
    CHECK(copies(side, kOdd).empty());
  }
  // keep-local on a deletion made here: deleted on both hosts.
  r = p.sc({"unisonsync", "resolve", "/srv/data/sub dir/deep.txt", "keep-local"});
  CHECK(r.status == 0);
  CHECK_FALSE(fs::exists(p.local / "sub dir/deep.txt"));
  CHECK_FALSE(fs::exists(p.remote / "sub dir/deep.txt"));
  // keep-local on the peer's deletion: the change stays.
  r = p.sc({"unisonsync", "resolve", "/srv/data/b.txt", "keep-local"});
  CHECK(r.status == 0);
  CHECK(read_text(p.remote / "b.txt") == "local b2\n");
  CHECK(p.sc({"unisonsync", "resolve", "/srv/data/n.txt", "keep-both"}).status == 0);
  CHECK(p.sc({"unisonsync", "resolve", "/srv/data/dir", "keep-remote"}).status == 0);
  CHECK(read_text(p.local / "dir/f.txt") == "remote f\n");
  CHECK(doc(p.sc({"--json", "unisonsync", "conflicts"}))["result"].empty());
  CHECK(p.sc({"unisonsync", "ready"}).status == 0);
  // Nothing left: no problem, the profile without conflicts.
  r = p.sc({"--json", "unisonsync", "status"});
  CHECK(r.status == 0);
  CHECK(doc(r)["result"] ==
        json{{"problems", json::array()},
             {"facts", {{"profiles", json::array({{{"name", p.name}, {"conflicts", json::array()}}})}}}});
  CHECK(p.sc({"unisonsync", "status"}).out == "no unresolved conflict\n");

  // keep-local on a both-changed conflict the peer won: this host's version
  // comes back on both.
  put(p.local / "c.txt", "c\n", -200);
  REQUIRE(p.start().status == 0);
  put(p.local / "c.txt", "local c\n", -100);
  put(p.remote / "c.txt", "remote c\n", -50);
  REQUIRE(p.start().status == 0);
  r = p.sc({"--json", "unisonsync", "status"});
  CHECK(doc(r)["result"]["problems"] ==
        json::array({{{"level", "warning"},
                      {"what", p.name + ": 1 unresolved conflict, on /srv/data/c.txt (both versions are kept until "
                                        "resolved: keep-local, keep-remote or keep-both; sc unisonsync conflicts "
                                        "lists them)"},
                      {"fix", "sc unisonsync resolve /srv/data/c.txt keep-both"}}}));
  CHECK(p.sc({"unisonsync", "status"}).out == doc(r)["result"]["problems"][0]["what"].get<std::string>() + "\n");
  r = p.sc({"unisonsync", "resolve", "/srv/data/c.txt", "keep-local"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  for (const fs::path& side : {p.local, p.remote}) {
    CHECK(read_text(side / "c.txt") == "local c\n");
    CHECK(copies(side, "c").empty());
  }

  // unison's statuses are reported: a path it must skip (status 1)...
  REQUIRE(::mkfifo((p.local / "fifo").c_str(), 0644) == 0);
  r = p.start();
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("unison ended with status 1 (some paths were skipped, the others synchronised)"));
  CHECK_THAT(r.err, Contains("skipped: fifo"));
  fs::remove(p.local / "fifo");
  r = p.sc({"--json", "unisonsync", "list"});
  json row = doc(r)["result"][0];
  CHECK(row["last_run"]["ok"] == false);
  CHECK(row["last_run"]["unison_status"] == 1);
  REQUIRE(p.start().status == 0);

  // ...and a peer directory that is not mounted (here: replaced by an
  // empty one) stops it (status 3): nothing is deleted on either side.
  fs::rename(p.remote, p.h.dir() / "peer-data.real");
  fs::create_directories(p.remote);
  const std::string local_now = tree_hash(p.local);
  r = p.start();
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("unison ended with status 3 (fatal error: the synchronisation stopped): a root of " +
                             p.name + " lacks its marker .sc-unisonsync"));
  CHECK_THAT(r.err, Contains("probably not mounted"));
  CHECK(tree_hash(p.local) == local_now);
  CHECK(fs::is_empty(p.remote));
  fs::remove(p.remote);
  fs::rename(p.h.dir() / "peer-data.real", p.remote);
  REQUIRE(p.start().status == 0);

  // One run at a time per synchronisation.
  {
    const fs::path lock = p.state_dir() / "locks" / (p.name + ".lock");
    int fd = ::open(lock.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    REQUIRE(::flock(fd, LOCK_EX) == 0);
    r = p.sc({"--set", "UNISONSYNC_LOCK_WAIT=1", "unisonsync", "start", p.h.peer(), p.remote_s, "/srv/data", "daily"});
    ::close(fd);
    CHECK(r.status == 1);
    CHECK_THAT(r.err, Contains("another run of " + p.name + " is still going on"));
  }

  // The cron hook runs the period's synchronisations.
  put(p.remote / "from-cron.txt", "cron\n", -10);
  r = p.sc({"unisonsync", "cron", "daily"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(read_text(p.local / "from-cron.txt") == "cron\n");
  CHECK(p.sc({"unisonsync", "cron", "hourly"}).status == 0);

  // del: the profile and the cron task go, the data stays.
  r = p.sc({"unisonsync", "del", p.h.peer(), p.remote_s, "daily"});
  CHECK(r.status == 0);
  CHECK_FALSE(fs::exists(prf));
  CHECK_FALSE(fs::exists(p.h.client_root() / "etc/cron.d/sc_unisonsync_daily"));
  CHECK(read_text(p.local / "c.txt") == "local c\n");
  CHECK(p.sc({"unisonsync", "has", p.h.peer(), p.remote_s, "daily"}).status == 1);
}

TEST_CASE("unisonsync: a peer with another unison series is refused", "[unisonsync][peer]") {
  Pair p;
  put(p.local / "x.txt", "x\n", -10);
  put(p.remote / "x.txt", "x\n", -10);
  REQUIRE(p.sc({"unisonsync", "start", p.h.peer(), p.remote_s, "/srv/data"}).status == 0);
  // The peer's PATH starts with the harness's bin directory.
  write_text(p.h.dir() / "bin/unison-2.52", "#!/bin/sh\necho \"sh: 1: unison-2.52: not found\" >&2\nexit 127\n",
             fs::perms(0755));
  write_text(p.h.dir() / "bin/unison", "#!/bin/sh\necho \"unison version 2.53.3 (ocaml 5.1.1)\"\n", fs::perms(0755));
  ScRun r = p.sc({"unisonsync", "add", p.h.peer(), "/srv/other"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains(p.h.peer() + " runs unison 2.53.3 (series 2.53) and this host unison 2.52"));
  CHECK_FALSE(fs::exists(p.state_dir() / "unison" / (unisonsync::profile_name(p.h.peer(), "/srv/other", "") + ".prf")));
  // An existing synchronisation says so too, when it runs.
  r = p.sc({"unisonsync", "start", p.h.peer(), p.remote_s, "/srv/data"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("unison ended with status 3"));
  CHECK_THAT(r.err, Contains("runs unison 2.53.3 (series 2.53)"));
}

TEST_CASE("unisonsync: a first sync against a missing peer directory is refused", "[unisonsync][peer]") {
  Pair p;
  put(p.local / "x.txt", "x\n", -10);
  ScRun r = p.sc({"unisonsync", "start", p.h.peer(), p.remote_s + "/none", "/srv/data", "--fill-empty"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains(p.remote_s + "/none on " + p.h.peer() + " cannot be read"));
  CHECK_FALSE(fs::exists(p.remote / "none"));
  // Both sides empty: nothing to lose, the pair is marked and synchronised.
  fs::remove(p.local / "x.txt");
  r = p.sc({"unisonsync", "start", p.h.peer(), p.remote_s, "/srv/data"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(fs::exists(p.remote / ".sc-unisonsync"));
}

TEST_CASE("unisonsync: setup, cleanup, ready and the files, restore and sync hooks", "[unisonsync][peer]") {
  Pair p;
  const fs::path unison_dir = p.state_dir() / "unison";
  ScRun r = p.sc({"unisonsync", "ready"});
  CHECK(r.status == 1);
  CHECK_THAT(r.out, Contains("not ready: /var/lib/sc/unisonsync/unison/_common.prf is missing or outdated"));
  REQUIRE(p.sc({"unisonsync", "setup"}).status == 0);
  CHECK(p.sc({"unisonsync", "ready"}).status == 0);
  REQUIRE(p.sc({"unisonsync", "add", p.h.peer(), p.remote_s, "/srv/data", "daily"}).status == 0);
  const fs::path prf = unison_dir / (p.name + ".prf");
  const std::string profile = read_text(prf);

  // A backup holding the profile (and things that are not profiles).
  const fs::path snap = p.h.client_root() / "srv/snap/fs/var/lib/sc/unisonsync/unison";
  write_text(snap / (p.name + ".prf"), profile);
  write_text(snap / "_common.prf", "batch = false\n");
  write_text(snap / "junk.prf", "root = /\n");
  r = p.sc({"unisonsync", "del", p.h.peer(), p.remote_s, "daily"});
  REQUIRE(r.status == 0);
  CHECK_FALSE(fs::exists(p.h.client_root() / "etc/cron.d/sc_unisonsync_daily"));
  r = p.sc({"unisonsync", "restore", "/srv/snap"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("restored 1 synchronisation(s)"));
  CHECK_THAT(r.err, Contains("junk.prf is not a profile of sc unisonsync: not restored"));
  CHECK(read_text(prf) == profile);
  CHECK(fs::exists(p.h.client_root() / "etc/cron.d/sc_unisonsync_daily"));
  CHECK(read_text(unison_dir / "_common.prf") != "batch = false\n");
  CHECK(p.sc({"unisonsync", "restore", "/srv/none"}).status == 0);
  CHECK(p.sc({"unisonsync", "restore", "relative"}).status == 2);

  // sync: only a standby or roaming host takes its master's profiles.
  const std::string before = tree_hash(p.h.client_root());
  CHECK(p.sc({"unisonsync", "sync", p.h.peer(), "master"}).status == 0);
  CHECK(p.sc({"unisonsync", "sync", p.h.peer(), "client"}).status == 0);
  CHECK(p.sc({"unisonsync", "sync", p.h.peer(), "mirror"}).status == 2);
  CHECK(p.sc({"unisonsync", "sync", "localhost", "standby"}).status == 2);
  CHECK(tree_hash(p.h.client_root()) == before);

  // cleanup: the cron task and the common preferences go, the profile stays.
  r = p.sc({"unisonsync", "cleanup"});
  CHECK(r.status == 0);
  CHECK_FALSE(fs::exists(p.h.client_root() / "etc/cron.d/sc_unisonsync_daily"));
  CHECK_FALSE(fs::exists(unison_dir / "_common.prf"));
  CHECK(fs::exists(prf));
  r = p.sc({"unisonsync", "ready"});
  CHECK(r.status == 1);
  CHECK_THAT(r.out, Contains("not ready: the daily cron task is missing (sc unisonsync setup)"));
  REQUIRE(p.sc({"unisonsync", "setup"}).status == 0);
  CHECK(p.sc({"unisonsync", "ready"}).status == 0);
  r = p.sc({"--json", "unisonsync", "setup"});
  CHECK(doc(r)["summary"]["changed"] == 0);
}
