#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "../account_db.hpp"
#include "../account_ops.hpp"
#include "../account_store.hpp"
#include "test_support.hpp"

using namespace sc::test;
using namespace useracct;
using Catch::Contains;
using nlohmann::json;

namespace {

const std::string kPasswd = "root:x:0:0:root:/root:/bin/bash\n";
const std::string kShadow = "root:*:19000:0:99999:7:::\n";
const std::string kGroup = "root:x:0:\nshadow:x:42:\nsudo:x:27:\nusers:x:100:\n";
const std::string kGshadow = "root:*::\nshadow:*::\nsudo:*::\nusers:*::\n";
const std::string kProfile = "# ~/.profile from the test skeleton\n";

Db parse_db(const std::string& passwd, const std::string& shadow, const std::string& group,
            const std::string& gshadow) {
  Db db;
  std::string err;
  db.passwd = *Table::parse(File::passwd, passwd, &err);
  db.shadow = *Table::parse(File::shadow, shadow, &err);
  db.group = *Table::parse(File::group, group, &err);
  db.gshadow = *Table::parse(File::gshadow, gshadow, &err);
  return db;
}

/// A minimal Debian-like tree: the four account files, root's home and
/// shell (pwck checks both), a skeleton, sudo, and /etc/.pwd.lock as any
/// system that ever ran a shadow tool has.
void make_system(const fs::path& root) {
  write_accounts(root, kPasswd, kShadow, kGroup, kGshadow);
  write_text(root / "etc/skel/.profile", kProfile);
  fs::create_symlink(".profile", root / "etc/skel/.bash_profile");
  write_text(root / "bin/bash", "", fs::perms(0755));
  write_text(root / "usr/bin/sudo", "", fs::perms(0755));
  fs::create_directories(root / "root");
}

/// pwck and grpck in read-only mode: both must be silent and exit 0.
void check_account_files(const fs::path& root) {
  CHECK(account_check(root) == "");
}

std::string today() {
  return std::to_string(days_since_epoch(std::time(nullptr)));
}

json sc_json(const fs::path& root, std::vector<std::string> args) {
  args.insert(args.begin(), "--json");
  ScRun r = run_sc_rooted(root, args);
  INFO(r.out << r.err);
  return json::parse(r.out);
}

/// True when `hash` is the crypt(3) hash of `password` (perl's crypt is
/// libcrypt's, which knows yescrypt).
bool password_matches(const std::string& hash, const std::string& password) {
  sc::ProcessSpec p;
  p.argv = {"perl", "-e", "chomp(my $h = <STDIN>); chomp(my $p = <STDIN>); exit(crypt($p, $h) eq $h ? 0 : 1)"};
  p.input = hash + "\n" + password + "\n";
  return sc::run_process(p).exit_code == 0;
}

}  // namespace

// -- pure parts ---------------------------------------------------------

TEST_CASE("user: account files parse and print back unchanged", "[user]") {
  std::string err;
  const std::string text = "root:x:0:0:root:/root:/bin/bash\n# a comment\n\n+@nisgroup::::::\n";
  auto t = Table::parse(File::passwd, text, &err);
  REQUIRE(t);
  CHECK(t->text() == text);
  CHECK(t->rows().size() == 1);
  // A new entry goes after the last entry, before the NIS line.
  t->append({"alice", "x", "10000", "10000", "", "/home/alice", "/bin/bash"});
  CHECK(
      t->text() ==
      "root:x:0:0:root:/root:/bin/bash\nalice:x:10000:10000::/home/alice:/bin/bash\n# a comment\n\n+@nisgroup::::::\n");
  // No final newline: added.
  CHECK(Table::parse(File::group, "a:x:1:", &err)->text() == "a:x:1:\n");
  // Malformed lines are refused with the line and the fix.
  CHECK_FALSE(Table::parse(File::passwd, "root:x:0:0:root:/root:/bin/bash\nbroken:x:1\n", &err));
  CHECK(err ==
        "/etc/passwd line 2: expected 7 fields separated by ':' and a name, found 3 fields; fix the file with "
        "`vipw`");
  CHECK_FALSE(Table::parse(File::gshadow, ":x::\n", &err));
  CHECK_THAT(err, Contains("/etc/gshadow line 1") && Contains("vigr -s"));
}

TEST_CASE("user: problems the edit must not add", "[user]") {
  Db db = parse_db(kPasswd, kShadow, kGroup, kGshadow);
  CHECK(problems(db).empty());
  Db bad = db;
  bad.passwd.append({"root", "x", "0", "0", "", "/root", "/bin/sh"});
  bad.passwd.append({"eve", "x", "1x", "0", "", "/home/eve", "/bin/sh"});
  bad.group.append({"g", "x", "5", "a:b"});
  auto p = problems(bad);
  CHECK(p.count("/etc/passwd: \"root\" appears more than once"));
  CHECK(p.count("/etc/passwd: user \"eve\" has a uid or gid that is not a number"));
  CHECK(p.count("/etc/passwd: user \"eve\" has no entry in /etc/shadow"));
  CHECK(p.count("/etc/group: an entry of \"g\" holds ':', a newline or a NUL byte"));
  CHECK(p.count("/etc/group: group \"g\" has no entry in /etc/gshadow"));
}

TEST_CASE("user: names sc accepts", "[user]") {
  std::string why;
  for (const char* ok : {"alice", "_svc", "a", "bob-2", "x_y", "abcdefghijklmnopqrstuvwxyz012345"}) {
    INFO(ok);
    CHECK(valid_name(ok, "login", &why));
  }
  for (const auto& bad : hostile_strings()) {
    INFO(bad);
    CHECK_FALSE(valid_name(bad, "login", &why));
  }
  for (const char* bad : {"Alice", "1abc", "-x", "a.b", "a:b", "a,b", "abcdefghijklmnopqrstuvwxyz0123456"}) {
    INFO(bad);
    CHECK_FALSE(valid_name(bad, "group", &why));
    CHECK_THAT(why, Contains("is not a valid group name"));
  }
  CHECK(valid_home("/home/alice"));
  for (const char* bad : {"", "/", "home/a", "/home/../etc", "/home/./a", "/home//a", "/home/a/", "/a:b", "/a\nb"})
    CHECK_FALSE(valid_home(bad));
}

TEST_CASE("user: ids are the lowest free in 10000-10099, as uid and as gid", "[user]") {
  Db db = parse_db(kPasswd, kShadow, kGroup, kGshadow);
  CHECK(free_id(db) == 10000u);
  add_group(db, "staff", 10000);
  CHECK(free_id(db) == 10001u);  // a gid blocks the id for users too
  add_user(db, {"alice", 10001, 10000, "/home/alice", "/bin/bash", "!", 20000});
  add_user(db, {"bob", 10003, 10000, "/home/bob", "/bin/bash", "!", 20000});
  CHECK(free_id(db) == 10002u);  // the gap is used first
  for (unsigned id = 10002; id <= kLastId; ++id) add_group(db, "g" + std::to_string(id), id);
  CHECK_FALSE(free_id(db));
  // Ids outside the range never count.
  Db other = parse_db("x:x:9999:0::/:/bin/sh\ny:x:10100:0::/:/bin/sh\n", "x:*:1:0:99999:7:::\ny:*:1:0:99999:7:::\n",
                      "root:x:0:\n", "root:*::\n");
  CHECK(free_id(other) == 10000u);
}

TEST_CASE("user: adding and removing entries writes the exact lines", "[user]") {
  Db db = parse_db(kPasswd, kShadow, kGroup, kGshadow);
  add_group(db, "alice", 10000);
  add_user(db, {"alice", 10000, 10000, "/home/alice", "/bin/bash", "$y$hash", 19876});
  CHECK(db.passwd.text() == kPasswd + "alice:x:10000:10000::/home/alice:/bin/bash\n");
  CHECK(db.shadow.text() == kShadow + "alice:$y$hash:19876:0:99999:7:::\n");
  CHECK(db.group.text() == kGroup + "alice:x:10000:\n");
  CHECK(db.gshadow.text() == kGshadow + "alice:!::\n");
  CHECK(add_member(db, "sudo", "alice"));
  CHECK_FALSE(add_member(db, "sudo", "alice"));
  CHECK_FALSE(add_member(db, "nosuch", "alice"));
  CHECK(db.group.find("sudo")->at(3) == "alice");
  CHECK(db.gshadow.find("sudo")->at(3) == "alice");
  db.gshadow.find("users")->at(2) = "alice";  // an administrator
  CHECK(remove_user(db, "alice") == std::optional<std::string>("alice"));
  CHECK(db.passwd.text() == kPasswd);
  CHECK(db.shadow.text() == kShadow);
  CHECK(db.group.text() == kGroup);
  CHECK(db.gshadow.text() == kGshadow);
  // A group shared with another user stays.
  add_group(db, "team", 10000);
  add_user(db, {"team", 10001, 10000, "/home/team", "/bin/bash", "!", 1});
  add_user(db, {"other", 10002, 10000, "/home/other", "/bin/bash", "!", 1});
  CHECK_FALSE(remove_user(db, "team"));
  CHECK(db.group.find("team"));
  CHECK(users_with_primary_gid(db, 10000) == std::vector<std::string>{"other"});
  CHECK(managed_users(db) == std::vector<std::string>{"other"});
  CHECK(managed_groups(db) == std::vector<std::string>{"team"});
  CHECK(managed_homes(db) == std::vector<std::string>{"/home/other"});
}

TEST_CASE("user: merging accounts back from a backup", "[user]") {
  Db local = parse_db(kPasswd + "here:x:10000:10000::/home/here:/bin/bash\n", kShadow + "here:!:1:0:99999:7:::\n",
                      kGroup + "here:x:10000:\n", kGshadow + "here:!::\n");
  Db backup = parse_db(
      kPasswd +
          "here:x:10000:10000::/home/here:/bin/bash\n"
          "dave:x:10001:10001:Dave:/home/dave:/bin/bash\n"
          "clash:x:10000:10000::/home/clash:/bin/bash\n"
          "orphan:x:10005:10050::/home/orphan:/bin/bash\n"
          "sys:x:999:999::/var/sys:/bin/false\n",
      kShadow +
          "here:!:1:0:99999:7:::\ndave:$y$dave:2:0:99999:7:::\nclash:!:1:0:99999:7:::\norphan:!:1:0:99999:7:::\n"
          "sys:!:1:0:99999:7:::\n",
      "root:x:0:\nshadow:x:42:\nsudo:x:27:dave,ghost,here\nusers:x:100:\nhere:x:10000:\ndave:x:10001:\n"
      "crew:x:10002:dave,ghost\nsquat:x:10000:\n",
      "root:*::\nshadow:*::\nsudo:*::dave,ghost,here\nusers:*::\nhere:!::\ndave:!::\ncrew:!:dave:dave,ghost\n"
      "squat:!::\n");
  MergeReport m;
  restore_groups(local, backup, &m);
  restore_users(local, backup, &m);
  drop_unknown_members(local, m.groups, &m);
  restore_sudoers(local, backup, &m);
  CHECK(m.groups == std::vector<std::string>{"dave", "crew"});
  CHECK(m.users == std::vector<std::string>{"dave"});
  CHECK(m.members == std::vector<std::string>{"sudo:dave", "sudo:here"});
  CHECK(m.warnings == std::vector<std::string>{
                          "group squat skipped: its gid 10000 belongs to another group here",
                          "user clash skipped: its uid 10000 belongs to another user here",
                          "user orphan skipped: its primary group (gid 10050) does not exist here",
                          "group crew: member ghost dropped (no such user here)",
                      });
  CHECK(local.passwd.text() == kPasswd +
                                   "here:x:10000:10000::/home/here:/bin/bash\n"
                                   "dave:x:10001:10001:Dave:/home/dave:/bin/bash\n");
  CHECK(local.shadow.text() == kShadow + "here:!:1:0:99999:7:::\ndave:$y$dave:2:0:99999:7:::\n");
  CHECK(
      local.group.text() ==
      "root:x:0:\nshadow:x:42:\nsudo:x:27:dave,here\nusers:x:100:\nhere:x:10000:\ndave:x:10001:\ncrew:x:10002:dave\n");
  CHECK(local.gshadow.text() ==
        "root:*::\nshadow:*::\nsudo:*::dave,here\nusers:*::\nhere:!::\ndave:!::\ncrew:!:dave:dave\n");
  CHECK(problems(local).empty());
  // A second merge adds nothing.
  MergeReport again;
  restore_groups(local, backup, &again);
  restore_users(local, backup, &again);
  restore_sudoers(local, backup, &again);
  CHECK(again.groups.empty());
  CHECK(again.users.empty());
  CHECK(again.members.empty());
}

TEST_CASE("user: generated sudoers text, checked by visudo", "[user]") {
  CHECK(sudoers_text() ==
        "# Written by sc (`sc user setup`): root and the members of group sudo\n"
        "# may run every command as any user without typing a password.\n"
        "root ALL=(ALL:ALL) NOPASSWD: ALL\n"
        "%sudo ALL=(ALL:ALL) NOPASSWD: ALL\n");
  sc::ProcessSpec p;
  p.argv = {"visudo", "-c", "-q", "-f", "-"};
  p.input = sudoers_text();
  p.capture_out = p.capture_err = true;
  sc::ProcessResult r = sc::run_process(p);
  INFO("visudo comes with sudo (.ci/install-deps): " << r.error << r.out << r.err);
  CHECK(r.ok());
  CHECK(home_restore_argv("/b/fs/home/dave", "/home/dave/") ==
        std::vector<std::string>{"rsync", "-a", "--numeric-ids", "--", "/b/fs/home/dave/", "/home/dave/"});
}

TEST_CASE("user: a failed write puts the files written before back", "[user]") {
  Db before = parse_db(kPasswd, kShadow, kGroup, kGshadow);
  std::map<File, std::string> old = {
      {File::passwd, kPasswd}, {File::shadow, kShadow}, {File::group, kGroup}, {File::gshadow, kGshadow}};
  Db after = before;
  add_group(after, "alice", 10000);
  add_user(after, {"alice", 10000, 10000, "/home/alice", "/bin/bash", "!", 1});
  std::map<File, std::string> disk = old;
  std::vector<std::string> calls;
  auto writer = [&](File f, const std::string& text) {
    calls.push_back(path_of(f));
    if (f == File::passwd && text != kPasswd) throw std::runtime_error("disk full");
    disk[f] = text;
  };
  try {
    commit_files(old, after, writer);
    FAIL("commit_files should have thrown");
  } catch (const sc::Failure& e) {
    CHECK(std::string(e.what()) ==
          "writing /etc/passwd failed: disk full; the account files written before it were put back");
  }
  CHECK(calls == std::vector<std::string>{"/etc/group", "/etc/gshadow", "/etc/passwd", "/etc/gshadow", "/etc/group"});
  CHECK(disk == old);
  // Unchanged files are not written at all.
  calls.clear();
  CHECK(commit_files(old, before, writer).empty());
  CHECK(calls.empty());
}

// -- through sc, under --root -------------------------------------------

TEST_CASE("user setup writes the sudoers file once", "[user]") {
  TempDir root;
  make_system(root.path());
  const std::string before = tree_hash(root.path());
  ScRun r = run_sc_rooted(root.path(), {"user", "ready"});
  CHECK(r.status == 1);
  r = run_sc_rooted(root.path(), {"--dry-run", "user", "setup"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("would change: write /etc/sudoers.d/sc"));
  CHECK(tree_hash(root.path()) == before);

  r = run_sc_rooted(root.path(), {"user", "setup"});
  CHECK(r.status == 0);
  CHECK(read_text(root / "etc/sudoers.d/sc") == sudoers_text());
  CHECK(mode_of(root / "etc/sudoers.d/sc") == "0440 0:0");
  CHECK(run_sc_rooted(root.path(), {"user", "ready"}).status == 0);
  json doc = sc_json(root.path(), {"user", "setup"});
  CHECK(doc["status"] == 0);
  CHECK(doc["summary"]["changed"] == 0);

  // The upgrade hook brings the original tool's text up to date.
  write_text(root / "etc/sudoers.d/sc", "root   ALL=NOPASSWD: ALL\n%sudo  ALL=NOPASSWD: ALL\n", fs::perms(0440));
  CHECK(run_sc_rooted(root.path(), {"user", "ready"}).status == 1);
  r = run_sc_rooted(root.path(), {"user", "upgrade", "0.9.0", "1.0.0"});
  CHECK(r.status == 0);
  CHECK(read_text(root / "etc/sudoers.d/sc") == sudoers_text());
}

TEST_CASE("user add creates accounts, homes and a hashed password", "[user]") {
  TempDir root;
  make_system(root.path());
  const std::string before = tree_hash(root.path());

  ScRun r = run_sc_rooted(root.path(), {"--dry-run", "user", "add", "alice"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  // The home is made under a temporary name and renamed into place.
  CHECK_THAT(r.err, Contains("would change: write /etc/passwd") &&
                        Contains("would change: mkdir /home/.alice.sc-new") &&
                        Contains("would change: write /home/.alice.sc-new/.profile") &&
                        Contains("would change: rename /home/.alice.sc-new -> /home/alice"));
  CHECK(tree_hash(root.path()) == before);

  const std::string password = "s3cret it's \"quoted\" $(x)";
  const std::string input = password + "\n";
  r = run_sc_rooted(root.path(), {"user", "add", "alice", "--password-stdin"}, &input);
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("created user alice (uid 10000, group alice 10000)"));
  CHECK(r.out.find(password) == std::string::npos);
  CHECK(read_text(root / "etc/passwd") == kPasswd + "alice:x:10000:10000::/home/alice:/bin/bash\n");
  CHECK(read_text(root / "etc/group") == kGroup + "alice:x:10000:\n");
  CHECK(read_text(root / "etc/gshadow") == kGshadow + "alice:!::\n");
  std::string shadow = read_text(root / "etc/shadow");
  REQUIRE(shadow.rfind(kShadow + "alice:$y$", 0) == 0);
  std::string line = shadow.substr(kShadow.size());
  std::string hash = line.substr(6, line.find(':', 6) - 6);
  CHECK(line == "alice:" + hash + ":" + today() + ":0:99999:7:::\n");
  CHECK(password_matches(hash, password));
  CHECK_FALSE(password_matches(hash, "wrong"));
  CHECK(mode_of(root / "etc/passwd") == "0644 0:0");
  CHECK(mode_of(root / "etc/group") == "0644 0:0");
  CHECK(mode_of(root / "etc/shadow") == "0640 0:42");
  CHECK(mode_of(root / "etc/gshadow") == "0640 0:42");
  CHECK(mode_of(root / "home/alice") == "0700 10000:10000");
  CHECK(read_text(root / "home/alice/.profile") == kProfile);
  CHECK(mode_of(root / "home/alice/.profile") == "0644 10000:10000");
  CHECK(fs::read_symlink(root / "home/alice/.bash_profile") == ".profile");
  check_account_files(root.path());

  // Again: nothing to do.
  json doc = sc_json(root.path(), {"user", "add", "alice"});
  CHECK(doc["status"] == 0);
  CHECK(doc["summary"]["changed"] == 0);
  CHECK(doc["result"]["created"] == false);

  // Several users: an existing group, a new shared group, the gaps.
  CHECK(run_sc_rooted(root.path(), {"user", "add", "bob", "users"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"user", "addgroup", "staff"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"user", "add", "carol", "staff"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"user", "add", "dan", "staff"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"user", "add", "erin"}).status == 0);
  CHECK(read_text(root / "etc/passwd") == kPasswd +
                                              "alice:x:10000:10000::/home/alice:/bin/bash\n"
                                              "bob:x:10001:100::/home/bob:/bin/bash\n"
                                              "carol:x:10003:10002::/home/carol:/bin/bash\n"
                                              "dan:x:10004:10002::/home/dan:/bin/bash\n"
                                              "erin:x:10005:10005::/home/erin:/bin/bash\n");
  CHECK(read_text(root / "etc/group") == kGroup + "alice:x:10000:\nstaff:x:10002:\nerin:x:10005:\n");
  // No terminal and no --password-stdin: the account has no password.
  CHECK_THAT(read_text(root / "etc/shadow"), Contains("bob:!:" + today() + ":0:99999:7:::\n"));
  check_account_files(root.path());

  CHECK(run_sc_rooted(root.path(), {"user", "has", "carol"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"user", "has", "nobody"}).status == 1);
  CHECK(run_sc_rooted(root.path(), {"user", "hasgroup", "staff"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"user", "hasgroup", "nogroup"}).status == 1);
  r = run_sc_rooted(root.path(), {"user", "export", "carol"});
  CHECK(r.out == "carol:x:10003:10002::/home/carol:/bin/bash\n");
  doc = sc_json(root.path(), {"user", "export", "carol"});
  CHECK(doc["result"] == json{{"login", "carol"},
                              {"uid", 10003},
                              {"gid", 10002},
                              {"gecos", ""},
                              {"home", "/home/carol"},
                              {"shell", "/bin/bash"},
                              {"group", "staff"}});
  CHECK(run_sc_rooted(root.path(), {"user", "export", "nobody"}).status == 1);
  r = run_sc_rooted(root.path(), {"user", "files"});
  CHECK(r.out ==
        "/etc/passwd\n/etc/shadow\n/etc/group\n/etc/gshadow\n/home/alice\n/home/bob\n/home/carol\n"
        "/home/dan\n/home/erin\n");
}

TEST_CASE("user add asks the password twice on a terminal, without echo", "[user]") {
  TempDir root;
  make_system(root.path());
  const std::vector<std::string> base = {"--plugin-path", kPluginDir, "--root", root.path().string()};
  auto args = [&](const std::string& login) {
    std::vector<std::string> a = base;
    a.insert(a.end(), {"user", "add", login});
    return a;
  };
  // The two answers differ: nothing is written.
  const std::string before = tree_hash(root.path());
  ScRun r =
      run_sc_tty(args("dave"), {{"Password for dave", "first-pw\n"}, {"Retype the password for dave", "other\n"}});
  CHECK(r.status == 2);
  CHECK_THAT(r.out, Contains("the two passwords differ"));
  CHECK(tree_hash(root.path()) == before);

  r = run_sc_tty(args("dave"),
                 {{"Password for dave", "pw with spaces\n"}, {"Retype the password for dave", "pw with spaces\n"}});
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out.find("pw with spaces") == std::string::npos);  // never echoed
  std::string shadow = read_text(root / "etc/shadow");
  std::string line = shadow.substr(shadow.find("dave:"));
  std::string hash = line.substr(5, line.find(':', 5) - 5);
  CHECK(hash.rfind("$y$", 0) == 0);
  CHECK(password_matches(hash, "pw with spaces"));
  check_account_files(root.path());
}

TEST_CASE("user add refuses bad input and a full range, changing nothing", "[user]") {
  TempDir root;
  make_system(root.path());
  const std::string before = tree_hash(root.path());
  for (const auto& bad : hostile_strings()) {
    INFO(bad);
    for (std::vector<std::string> args : std::vector<std::vector<std::string>>{{"add", bad},
                                                                               {"add", "alice", bad},
                                                                               {"del", bad},
                                                                               {"has", bad},
                                                                               {"addgroup", bad},
                                                                               {"delgroup", bad},
                                                                               {"hasgroup", bad},
                                                                               {"export", bad},
                                                                               {"roam", bad},
                                                                               {"free", bad},
                                                                               {"restore", bad}}) {
      args.insert(args.begin(), "user");
      ScRun r = run_sc_rooted(root.path(), args);
      CHECK(r.status == 2);
      CHECK(tree_hash(root.path()) == before);
    }
  }
  ScRun r = run_sc_rooted(root.path(), {"user", "add", "a;b"});
  CHECK_THAT(r.err, Contains("\"a;b\" is not a valid login name"));
  r = run_sc_rooted(root.path(), {"user", "add"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("usage: sc user add LOGIN [GROUP] [--password-stdin]"));
  CHECK(run_sc_rooted(root.path(), {"user", "add", "a", "b", "c"}).status == 2);
  const std::string empty = "\n";
  CHECK(run_sc_rooted(root.path(), {"user", "add", "alice", "--password-stdin"}, &empty).status == 2);
  CHECK(tree_hash(root.path()) == before);

  // Every id of the range taken: refused, nothing written.
  std::string group = kGroup, gshadow = kGshadow;
  for (unsigned id = kFirstId; id <= kLastId; ++id) {
    group += "g" + std::to_string(id) + ":x:" + std::to_string(id) + ":\n";
    gshadow += "g" + std::to_string(id) + ":!::\n";
  }
  write_text(root / "etc/group", group);
  write_text(root / "etc/gshadow", gshadow, fs::perms(0640));
  const std::string full = tree_hash(root.path());
  r = run_sc_rooted(root.path(), {"user", "add", "alice", "users"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("no free id left in 10000-10099 for user alice"));
  CHECK(run_sc_rooted(root.path(), {"user", "addgroup", "more"}).status == 1);
  CHECK(tree_hash(root.path()) == full);

  // A malformed account file is never rewritten.
  write_text(root / "etc/passwd", kPasswd + "broken:x:1\n");
  const std::string broken = tree_hash(root.path());
  r = run_sc_rooted(root.path(), {"user", "addgroup", "x"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("/etc/passwd line 2: expected 7 fields"));
  CHECK(tree_hash(root.path()) == broken);
}

TEST_CASE("user del, delgroup and cleanup_local", "[user]") {
  TempDir root;
  make_system(root.path());
  CHECK(run_sc_rooted(root.path(), {"user", "add", "alice", "users"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"user", "addgroup", "staff"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"user", "add", "bob", "staff"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"user", "add", "carol", "staff"}).status == 0);
  REQUIRE(read_text(root / "etc/passwd") == kPasswd +
                                                "alice:x:10000:100::/home/alice:/bin/bash\n"
                                                "bob:x:10002:10001::/home/bob:/bin/bash\n"
                                                "carol:x:10003:10001::/home/carol:/bin/bash\n");
  // Accounts outside the range are not sc's.
  ScRun r = run_sc_rooted(root.path(), {"user", "del", "root"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("outside the range sc manages (10000-10099); use userdel"));
  CHECK(run_sc_rooted(root.path(), {"user", "delgroup", "users"}).status == 2);
  r = run_sc_rooted(root.path(), {"user", "delgroup", "staff"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("group staff is the primary group of bob"));

  const std::string before = tree_hash(root.path());
  CHECK(run_sc_rooted(root.path(), {"--dry-run", "user", "del", "bob"}).status == 0);
  ScRun planned = run_sc_rooted(root.path(), {"--dry-run", "user", "addgroup", "extra"});
  CHECK(planned.status == 0);
  CHECK_THAT(planned.err, Contains("would change: write /etc/group"));
  CHECK_THAT(planned.out + planned.err, Contains("would create group extra (gid 10004)"));
  CHECK(sc_json(root.path(), {"user", "addgroup", "staff"})["summary"]["changed"] == 0);
  CHECK(tree_hash(root.path()) == before);
  CHECK(run_sc_rooted(root.path(), {"user", "del", "bob"}).status == 0);
  CHECK_FALSE(fs::exists(root / "home/bob"));
  CHECK(read_text(root / "etc/passwd") == kPasswd +
                                              "alice:x:10000:100::/home/alice:/bin/bash\n"
                                              "carol:x:10003:10001::/home/carol:/bin/bash\n");
  json doc = sc_json(root.path(), {"user", "del", "bob"});
  CHECK(doc["status"] == 0);
  CHECK(doc["summary"]["changed"] == 0);
  check_account_files(root.path());

  // cleanup_local: every managed account goes, homes stay.
  CHECK(run_sc_rooted(root.path(), {"user", "cleanup_local"}).status == 0);
  CHECK(read_text(root / "etc/passwd") == kPasswd);
  CHECK(read_text(root / "etc/shadow") == kShadow);
  CHECK(read_text(root / "etc/group") == kGroup);
  CHECK(read_text(root / "etc/gshadow") == kGshadow);
  CHECK(fs::exists(root / "home/alice"));
  doc = sc_json(root.path(), {"user", "cleanup_local"});
  CHECK(doc["summary"]["changed"] == 0);
  CHECK(run_sc_rooted(root.path(), {"user", "delgroup", "staff"}).status == 0);
}

TEST_CASE("user edits wait for the shadow tools' lock", "[user]") {
  TempDir root;
  make_system(root.path());
  // Hold /etc/.pwd.lock of the root as lckpwdf would.
  int fd = ::open((root / "etc/.pwd.lock").c_str(), O_WRONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  REQUIRE(::fcntl(fd, F_SETLK, &fl) == 0);
  auto pending = std::async(std::launch::async, [&] {
    return run_sc_rooted(root.path(), {"user", "addgroup", "staff"});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  CHECK(read_text(root / "etc/group") == kGroup);  // still waiting
  ::close(fd);                                     // releases the lock
  ScRun r = pending.get();
  CHECK(r.status == 0);
  CHECK(read_text(root / "etc/group") == kGroup + "staff:x:10000:\n");
}

TEST_CASE("user restore brings accounts and homes back from a backup", "[user]") {
  TempDir root;
  make_system(root.path());
  CHECK(run_sc_rooted(root.path(), {"user", "add", "here"}).status == 0);
  const fs::path b = root / "srv/backup/h1";
  write_text(b / "fs/etc/passwd", kPasswd +
                                      "here:x:10000:10000::/home/here:/bin/bash\n"
                                      "dave:x:10001:10001:Dave:/home/dave:/bin/bash\n"
                                      "clash:x:10000:10000::/home/clash:/bin/bash\n");
  write_text(b / "fs/etc/shadow",
             kShadow + "here:!:1:0:99999:7:::\ndave:$y$davehash:2:0:99999:7:::\nclash:!:1:0:99999:7:::\n");
  write_text(b / "fs/etc/group",
             "root:x:0:\nshadow:x:42:\nsudo:x:27:dave,ghost\nusers:x:100:\nhere:x:10000:\n"
             "dave:x:10001:\ncrew:x:10002:dave\n");
  write_text(b / "fs/etc/gshadow",
             "root:*::\nshadow:*::\nsudo:*::dave,ghost\nusers:*::\nhere:!::\ndave:!::\ncrew:!::dave\n");
  write_text(b / "fs/home/dave/notes.txt", "dave's notes\n", fs::perms(0600));
  fs::create_directories(b / "fs/home/dave/sub");

  // Missing pieces of the backup: usage errors, nothing changed.
  const std::string before = tree_hash(root.path());
  ScRun r = run_sc_rooted(root.path(), {"user", "restore", "/srv/nothing"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("/srv/nothing/fs/etc/passwd is missing"));
  CHECK(run_sc_rooted(root.path(), {"user", "restore", "relative/path"}).status == 2);
  CHECK(run_sc_rooted(root.path(), {"user", "restore", "/srv/../etc"}).status == 2);
  r = run_sc_rooted(root.path(), {"--dry-run", "user", "restore", "/srv/backup/h1"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("would run: rsync -a --numeric-ids --"));
  CHECK(tree_hash(root.path()) == before);

  r = run_sc_rooted(root.path(), {"user", "restore", "/srv/backup/h1/"});
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("restored group dave") && Contains("restored group crew") &&
                        Contains("restored user dave") && Contains("restored membership sudo:dave"));
  CHECK_THAT(r.err, Contains("user clash skipped: its uid 10000 belongs to another user here"));
  CHECK(read_text(root / "etc/passwd") == kPasswd +
                                              "here:x:10000:10000::/home/here:/bin/bash\n"
                                              "dave:x:10001:10001:Dave:/home/dave:/bin/bash\n");
  CHECK(read_text(root / "etc/shadow") ==
        kShadow + "here:!:" + today() + ":0:99999:7:::\ndave:$y$davehash:2:0:99999:7:::\n");
  CHECK(read_text(root / "etc/group") ==
        "root:x:0:\nshadow:x:42:\nsudo:x:27:dave\nusers:x:100:\nhere:x:10000:\ndave:x:10001:\ncrew:x:10002:dave\n");
  CHECK(read_text(root / "etc/gshadow") ==
        "root:*::\nshadow:*::\nsudo:*::dave\nusers:*::\nhere:!::\ndave:!::\ncrew:!::dave\n");
  CHECK(read_text(root / "home/dave/notes.txt") == "dave's notes\n");
  CHECK(fs::is_directory(root / "home/dave/sub"));
  CHECK(mode_of(root / "home/dave/notes.txt") == "0600 0:0");  // as in the backup (numeric ids)
  check_account_files(root.path());

  // Again: nothing left to restore.
  json doc = sc_json(root.path(), {"user", "restore", "/srv/backup/h1"});
  CHECK(doc["status"] == 0);
  CHECK(doc["summary"]["changed"] == 0);
  CHECK(sc_json(root.path(), {"user", "restoregroups", "/srv/backup/h1"})["summary"]["changed"] == 0);
  CHECK(sc_json(root.path(), {"user", "restoresudoers", "/srv/backup/h1"})["summary"]["changed"] == 0);
}

TEST_CASE("user restoregroups and restoresudoers alone", "[user]") {
  TempDir root;
  make_system(root.path());
  CHECK(run_sc_rooted(root.path(), {"user", "add", "here"}).status == 0);
  const fs::path b = root / "backup";
  write_text(b / "fs/etc/group", "sudo:x:27:here,gone\ncrew:x:10005:here,gone\n");
  write_text(b / "fs/etc/gshadow", "sudo:*::here,gone\ncrew:!::here,gone\n");
  ScRun r = run_sc_rooted(root.path(), {"user", "restoregroups", "/backup"});
  CHECK(r.status == 0);
  CHECK(read_text(root / "etc/group") == kGroup + "here:x:10000:\ncrew:x:10005:here\n");
  CHECK(read_text(root / "etc/gshadow") == kGshadow + "here:!::\ncrew:!::here\n");
  r = run_sc_rooted(root.path(), {"user", "restoresudoers", "/backup"});
  CHECK(r.status == 0);
  CHECK_THAT(read_text(root / "etc/group"), Contains("sudo:x:27:here\n"));
  CHECK_THAT(read_text(root / "etc/gshadow"), Contains("sudo:*::here\n"));
  check_account_files(root.path());
  fs::remove(b / "fs/etc/gshadow");
  r = run_sc_rooted(root.path(), {"user", "restoregroups", "/backup"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("/backup/fs/etc/gshadow is missing"));
}

TEST_CASE("user roam and free need a master", "[user]") {
  TempDir root, plugins;
  make_system(root.path());
  CHECK(run_sc_rooted(root.path(), {"user", "add", "here"}).status == 0);
  const std::string before = tree_hash(root.path());
  ScRun r = run_sc_rooted(root.path(), {"user", "free", "here"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("this host is not roaming"));
  CHECK(run_sc_rooted(root.path(), {"user", "roam", "here", "master.example.com"}).status == 0);  // already here
  CHECK(run_sc_rooted(root.path(), {"user", "roam", "other"}).status == 2);
  CHECK(run_sc_rooted(root.path(), {"user", "roam", "other", "-oProxyCommand=x"}).status == 2);
  // Without the sshlink module: said plainly.
  fs::create_directories(plugins / "lib");
  fs::permissions(plugins / "lib", fs::perms(0755));
  for (const char* f : {"user.so", "user.json"}) fs::copy_file(fs::path(kPluginDir) / f, plugins / "lib" / f);
  r = run_sc({"--plugin-path", (plugins / "lib").string(), "--root", root.path().string(), "user", "roam", "other",
              "master.example.com"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("sc user roam needs sshlink (not installed/not built yet)"));
  CHECK(tree_hash(root.path()) == before);
}

TEST_CASE("user free releases a user where MASTER_MODE says roaming, without the master module", "[user]") {
  TempDir root;
  make_system(root.path());
  REQUIRE(run_sc_rooted(root.path(), {"user", "add", "alice"}).status == 0);
  const std::string before = tree_hash(root.path());
  ScRun r = run_sc_rooted(root.path(), {"user", "free", "alice"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("this host is not roaming (MASTER_MODE is not set; `sc master setup` sets it, or on a "
                             "roaming host without the master module `sc settings set MASTER_MODE roaming`)"));
  CHECK(tree_hash(root.path()) == before);
  REQUIRE(run_sc_rooted(root.path(), {"settings", "set", "MASTER_MODE", "client"}).status == 0);
  const std::string client = tree_hash(root.path());
  r = run_sc_rooted(root.path(), {"user", "free", "alice"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("this host is not roaming (MASTER_MODE is \"client\")"));
  CHECK(tree_hash(root.path()) == client);
  REQUIRE(run_sc_rooted(root.path(), {"settings", "set", "MASTER_MODE", "roaming"}).status == 0);
  r = run_sc_rooted(root.path(), {"user", "free", "alice"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(read_text(root / "etc/passwd") == kPasswd);
  CHECK(read_text(root / "etc/group") == kGroup);
  CHECK_FALSE(fs::exists(root / "home/alice"));
  check_account_files(root.path());
}
