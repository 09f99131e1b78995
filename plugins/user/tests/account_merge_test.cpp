// The pure part of `sc user pull` (account_merge): the master's files
// checked, and merged into this host's, against exact expected text.
#include "../account_merge.hpp"

#include <catch2/catch.hpp>

#include "../account_ops.hpp"

using namespace useracct;
using Catch::Contains;

namespace {

// A client: root, a local admin in sudo, Debian's fixed groups.
const std::string kLocalPasswd =
    "root:x:0:0:root:/root:/bin/bash\n"
    "localadmin:x:1000:1000:Local Admin,,,:/home/localadmin:/bin/bash\n";
const std::string kLocalShadow =
    "root:*:19000:0:99999:7:::\n"
    "localadmin:$y$j9T$l$localhash:19000:0:99999:7:::\n";
const std::string kLocalGroup = "root:x:0:\nshadow:x:42:\nsudo:x:27:localadmin\nusers:x:100:\nlocaladmin:x:1000:\n";
const std::string kLocalGshadow = "root:*::\nshadow:*::\nsudo:*::localadmin\nusers:*::\nlocaladmin:!::\n";

// The master, as `sc user accounts` sends it: its own admin jm (not a
// cluster account) in sudo with alice.
AccountTexts master_texts() {
  AccountTexts t;
  t.passwd =
      "root:x:0:0:root:/root:/bin/bash\n"
      "jm:x:1000:1000:JM:/home/jm:/bin/bash\n"
      "alice:x:10000:10000:Alice:/home/alice:/bin/bash\n"
      "bob:x:10001:10001::/home/bob:/bin/bash\n";
  t.shadow =
      "alice:$y$j9T$a$hashA:19500:0:99999:7:::\n"
      "bob:$y$j9T$b$hashB:19501:0:99999:7:::\n";
  t.group =
      "root:x:0:\nsudo:x:27:jm,alice\nusers:x:100:\njm:x:1000:\n"
      "alice:x:10000:\nbob:x:10001:\nstaff:x:10002:alice,bob\n";
  t.gshadow = "alice:!::\nbob:!::\nstaff:!::alice,bob\n";
  return t;
}

Db parse(const std::string& passwd, const std::string& shadow, const std::string& group, const std::string& gshadow) {
  Db db;
  std::string err;
  db.passwd = *Table::parse(File::passwd, passwd, &err);
  db.shadow = *Table::parse(File::shadow, shadow, &err);
  db.group = *Table::parse(File::group, group, &err);
  db.gshadow = *Table::parse(File::gshadow, gshadow, &err);
  return db;
}

Db local_db() {
  return parse(kLocalPasswd, kLocalShadow, kLocalGroup, kLocalGshadow);
}

Db master_db(const AccountTexts& t) {
  std::string err;
  auto db = check_master(t, "m", &err);
  INFO(err);
  REQUIRE(db);
  return *db;
}

using Names = std::vector<std::string>;

/// The state after a first pull of master_texts() on a client.
Db pulled_client() {
  return plan_pull(local_db(), master_db(master_texts()), Role::client, "m").next;
}

std::string check_error(const AccountTexts& t) {
  std::string err;
  CHECK_FALSE(check_master(t, "m", &err));
  return err;
}

}  // namespace

TEST_CASE("user pull: roles", "[user]") {
  CHECK(parse_role("client") == Role::client);
  CHECK(parse_role("roaming") == Role::roaming);
  CHECK_FALSE(parse_role("Client"));
  CHECK_FALSE(parse_role(""));
  CHECK(role_name(Role::standby) == std::string("standby"));
  CHECK(role_creates_users(Role::client));
  CHECK(role_creates_users(Role::standby));
  CHECK(role_creates_users(Role::backup));
  CHECK_FALSE(role_creates_users(Role::roaming));
  CHECK_FALSE(role_creates_users(Role::master));
}

TEST_CASE("user pull: the master sends shadow and gshadow entries of its cluster accounts only", "[user]") {
  Db m = parse("root:x:0:0:root:/root:/bin/bash\nalice:x:10000:10000::/home/alice:/bin/bash\n",
               "root:$y$rootsecret:19000:0:99999:7:::\nalice:$y$a:19500:0:99999:7:::\n",
               "root:x:0:\nsudo:x:27:alice\nalice:x:10000:\n", "root:*::\nsudo:*::\nalice:!::\n");
  AccountTexts t = export_accounts(m);
  CHECK(t.passwd == "root:x:0:0:root:/root:/bin/bash\nalice:x:10000:10000::/home/alice:/bin/bash\n");
  CHECK(t.shadow == "alice:$y$a:19500:0:99999:7:::\n");
  CHECK(t.group == "root:x:0:\nsudo:x:27:alice\nalice:x:10000:\n");
  CHECK(t.gshadow == "alice:!::\n");
  std::string err;
  CHECK(check_master(t, "m", &err));
}

TEST_CASE("user pull: member lists keep local members and follow the master's cluster members", "[user]") {
  const Names cluster = {"alice", "bob"};
  CHECK(merge_members("localadmin,alice", {"alice"}, cluster) == "localadmin,alice");
  CHECK(merge_members("bob,alice", {"alice", "bob"}, cluster) == "bob,alice");  // same set: untouched
  CHECK(merge_members("alice,localadmin", {"bob"}, cluster) == "localadmin,bob");
  CHECK(merge_members("", {"alice", "bob"}, cluster) == "alice,bob");
  CHECK(merge_members("localadmin", {}, cluster) == "localadmin");
  CHECK(merge_members("a1,alice,a2,bob", {}, cluster) == "a1,a2");
  CHECK(merge_members("ghost", {"alice"}, cluster) == "ghost,alice");
}

TEST_CASE("user pull: new groups and users come with their passwords, local admins stay in sudo", "[user]") {
  PullPlan p = plan_pull(local_db(), master_db(master_texts()), Role::client, "m");
  CHECK(p.conflicts.empty());
  CHECK(p.next.passwd.text() == kLocalPasswd +
                                    "alice:x:10000:10000:Alice:/home/alice:/bin/bash\n"
                                    "bob:x:10001:10001::/home/bob:/bin/bash\n");
  CHECK(p.next.shadow.text() == kLocalShadow +
                                    "alice:$y$j9T$a$hashA:19500:0:99999:7:::\n"
                                    "bob:$y$j9T$b$hashB:19501:0:99999:7:::\n");
  CHECK(p.next.group.text() ==
        "root:x:0:\nshadow:x:42:\nsudo:x:27:localadmin,alice\nusers:x:100:\nlocaladmin:x:1000:\n"
        "alice:x:10000:\nbob:x:10001:\nstaff:x:10002:alice,bob\n");
  CHECK(p.next.gshadow.text() ==
        "root:*::\nshadow:*::\nsudo:*::localadmin,alice\nusers:*::\nlocaladmin:!::\n"
        "alice:!::\nbob:!::\nstaff:!::alice,bob\n");
  CHECK(p.users_added == Names{"alice", "bob"});
  CHECK(p.groups_added == Names{"alice", "bob", "staff"});
  CHECK(p.members_added == Names{"sudo:alice", "staff:alice", "staff:bob"});
  CHECK(p.cluster_users == Names{"alice", "bob"});
  CHECK(p.users_removed.empty());
  CHECK(p.changed());
  CHECK(problems(p.next).empty());
  // jm, the master's own admin, is no account here and gets nothing.
  CHECK_FALSE(p.next.passwd.find("jm"));
}

TEST_CASE("user pull: a second pull changes nothing", "[user]") {
  const Db once = pulled_client();
  PullPlan again = plan_pull(once, master_db(master_texts()), Role::client, "m");
  CHECK(again.conflicts.empty());
  CHECK_FALSE(again.changed());
  for (File f : {File::passwd, File::shadow, File::group, File::gshadow})
    CHECK(again.next.table(f).text() == once.table(f).text());
}

TEST_CASE("user pull: a changed password and changed entries", "[user]") {
  const Db once = pulled_client();
  AccountTexts t = master_texts();
  t.shadow = "alice:$y$j9T$n$newhash:19600:0:99999:7:::\nbob:$y$j9T$b$hashB:19501:0:99999:7:::\n";
  t.passwd =
      "root:x:0:0:root:/root:/bin/bash\njm:x:1000:1000:JM:/home/jm:/bin/bash\n"
      "alice:x:10000:10000:Alice:/home/alice:/bin/bash\nbob:x:10001:10001:Bob B:/home/bob:/bin/zsh\n";
  PullPlan p = plan_pull(once, master_db(t), Role::client, "m");
  CHECK(p.conflicts.empty());
  CHECK(p.passwords_changed == Names{"alice"});
  CHECK(p.users_updated == Names{"bob"});
  CHECK(p.users_added.empty());
  CHECK(p.next.shadow.text() == kLocalShadow +
                                    "alice:$y$j9T$n$newhash:19600:0:99999:7:::\n"
                                    "bob:$y$j9T$b$hashB:19501:0:99999:7:::\n");
  CHECK(p.next.passwd.text() == kLocalPasswd +
                                    "alice:x:10000:10000:Alice:/home/alice:/bin/bash\n"
                                    "bob:x:10001:10001:Bob B:/home/bob:/bin/zsh\n");
  CHECK(p.next.group.text() == once.group.text());
  CHECK(p.next.gshadow.text() == once.gshadow.text());
}

TEST_CASE("user pull: changed memberships, in cluster groups and in sudo", "[user]") {
  const Db once = pulled_client();
  AccountTexts t = master_texts();
  t.group =
      "root:x:0:\nsudo:x:27:jm,bob\nusers:x:100:bob\njm:x:1000:\n"
      "alice:x:10000:\nbob:x:10001:\nstaff:x:10002:bob\n";
  t.gshadow = "alice:!::\nbob:!::\nstaff:!:bob:bob\n";
  PullPlan p = plan_pull(once, master_db(t), Role::client, "m");
  CHECK(p.conflicts.empty());
  CHECK(p.next.group.text() ==
        "root:x:0:\nshadow:x:42:\nsudo:x:27:localadmin,bob\nusers:x:100:bob\nlocaladmin:x:1000:\n"
        "alice:x:10000:\nbob:x:10001:\nstaff:x:10002:bob\n");
  CHECK(p.next.gshadow.text() ==
        "root:*::\nshadow:*::\nsudo:*::localadmin,bob\nusers:*::bob\nlocaladmin:!::\n"
        "alice:!::\nbob:!::\nstaff:!:bob:bob\n");
  CHECK(p.members_added == Names{"sudo:bob", "users:bob"});
  CHECK(p.members_removed == Names{"sudo:alice", "staff:alice"});
  CHECK(p.next.passwd.text() == once.passwd.text());
  CHECK(p.next.shadow.text() == once.shadow.text());
}

TEST_CASE("user pull: a user gone from the master is removed with its memberships and group", "[user]") {
  const Db once = pulled_client();
  AccountTexts t = master_texts();
  t.passwd =
      "root:x:0:0:root:/root:/bin/bash\njm:x:1000:1000:JM:/home/jm:/bin/bash\n"
      "alice:x:10000:10000:Alice:/home/alice:/bin/bash\n";
  t.shadow = "alice:$y$j9T$a$hashA:19500:0:99999:7:::\n";
  t.group = "root:x:0:\nsudo:x:27:jm,alice\nusers:x:100:\njm:x:1000:\nalice:x:10000:\nstaff:x:10002:alice\n";
  t.gshadow = "alice:!::\nstaff:!::alice\n";
  PullPlan p = plan_pull(once, master_db(t), Role::client, "m");
  CHECK(p.conflicts.empty());
  CHECK(p.users_removed == Names{"bob"});
  CHECK(p.groups_removed == Names{"bob"});
  CHECK(p.members_removed.empty());  // bob's memberships go with bob
  CHECK(p.next.passwd.text() == kLocalPasswd + "alice:x:10000:10000:Alice:/home/alice:/bin/bash\n");
  CHECK(p.next.shadow.text() == kLocalShadow + "alice:$y$j9T$a$hashA:19500:0:99999:7:::\n");
  CHECK(p.next.group.text() ==
        "root:x:0:\nshadow:x:42:\nsudo:x:27:localadmin,alice\nusers:x:100:\nlocaladmin:x:1000:\n"
        "alice:x:10000:\nstaff:x:10002:alice\n");
  CHECK(p.next.gshadow.text() ==
        "root:*::\nshadow:*::\nsudo:*::localadmin,alice\nusers:*::\nlocaladmin:!::\nalice:!::\nstaff:!::alice\n");
  CHECK(problems(p.next).empty());
}

TEST_CASE("user pull: sudo keeps every local admin and gets every cluster sudoer", "[user]") {
  Db local = parse(kLocalPasswd + "otheradmin:x:1001:1001::/home/otheradmin:/bin/bash\n",
                   kLocalShadow + "otheradmin:!:19000:0:99999:7:::\n",
                   "root:x:0:\nshadow:x:42:\nsudo:x:27:localadmin,otheradmin\nusers:x:100:\nlocaladmin:x:1000:\n"
                   "otheradmin:x:1001:\n",
                   "root:*::\nshadow:*::\nsudo:*::localadmin,otheradmin\nusers:*::\nlocaladmin:!::\notheradmin:!::\n");
  AccountTexts t = master_texts();
  t.group =
      "root:x:0:\nsudo:x:27:jm,alice,bob\nusers:x:100:\njm:x:1000:\n"
      "alice:x:10000:\nbob:x:10001:\nstaff:x:10002:alice,bob\n";
  PullPlan p = plan_pull(local, master_db(t), Role::standby, "m");
  CHECK(p.conflicts.empty());
  const Row* sudo = p.next.group.find("sudo");
  REQUIRE(sudo);
  CHECK((*sudo)[3] == "localadmin,otheradmin,alice,bob");
  CHECK((*p.next.gshadow.find("sudo"))[3] == "localadmin,otheradmin,alice,bob");
  // The master drops alice from sudo: only alice goes.
  t.group =
      "root:x:0:\nsudo:x:27:jm,bob\nusers:x:100:\njm:x:1000:\n"
      "alice:x:10000:\nbob:x:10001:\nstaff:x:10002:alice,bob\n";
  PullPlan q = plan_pull(p.next, master_db(t), Role::standby, "m");
  CHECK((*q.next.group.find("sudo"))[3] == "localadmin,otheradmin,bob");
  CHECK(q.members_removed == Names{"sudo:alice"});
}

TEST_CASE("user pull: a roaming host adds no user but updates the passwords of those it has", "[user]") {
  // alice came with `sc user roam` (no password yet); bob is not here.
  Db local = parse(kLocalPasswd + "alice:x:10000:10000:Alice:/home/alice:/bin/bash\n",
                   kLocalShadow + "alice:!:19400:0:99999:7:::\n", kLocalGroup + "alice:x:10000:\n",
                   kLocalGshadow + "alice:!::\n");
  PullPlan p = plan_pull(local, master_db(master_texts()), Role::roaming, "m");
  CHECK(p.conflicts.empty());
  CHECK(p.users_added.empty());
  CHECK(p.not_roaming == Names{"bob"});
  CHECK(p.passwords_changed == Names{"alice"});
  CHECK(p.cluster_users == Names{"alice"});
  CHECK(p.next.passwd.text() == local.passwd.text());
  CHECK(p.next.shadow.text() == kLocalShadow + "alice:$y$j9T$a$hashA:19500:0:99999:7:::\n");
  // Groups are the master's (bob's group too, without bob, who is not here).
  CHECK(p.next.group.text() ==
        "root:x:0:\nshadow:x:42:\nsudo:x:27:localadmin,alice\nusers:x:100:\nlocaladmin:x:1000:\n"
        "alice:x:10000:\nbob:x:10001:\nstaff:x:10002:alice\n");
  CHECK(p.next.gshadow.text() == kLocalGshadow.substr(0, kLocalGshadow.find("sudo")) +
                                     "sudo:*::localadmin,alice\nusers:*::\nlocaladmin:!::\n"
                                     "alice:!::\nbob:!::\nstaff:!::alice\n");
  CHECK(problems(p.next).empty());
  // A roaming user the master deleted goes.
  AccountTexts t = master_texts();
  t.passwd = "root:x:0:0:root:/root:/bin/bash\nbob:x:10001:10001::/home/bob:/bin/bash\n";
  t.shadow = "bob:$y$j9T$b$hashB:19501:0:99999:7:::\n";
  t.group = "root:x:0:\nsudo:x:27:\nusers:x:100:\nbob:x:10001:\n";
  t.gshadow = "bob:!::\n";
  PullPlan q = plan_pull(p.next, master_db(t), Role::roaming, "m");
  CHECK(q.conflicts.empty());
  CHECK(q.users_removed == Names{"alice"});
  CHECK(q.groups_removed == Names{"alice", "staff"});
  CHECK(q.next.passwd.text() == kLocalPasswd);
  CHECK(q.next.shadow.text() == kLocalShadow);
  CHECK(q.next.group.text() == kLocalGroup + "bob:x:10001:\n");
}

TEST_CASE("user pull: conflicts refuse the whole pull and name both sides", "[user]") {
  const Db master = master_db(master_texts());
  auto conflicts_of = [&](const Db& local, Role role = Role::client) {
    PullPlan p = plan_pull(local, master, role, "m");
    for (File f : {File::passwd, File::shadow, File::group, File::gshadow})
      CHECK(p.next.table(f).text() == local.table(f).text());
    CHECK(p.users_added.empty());
    return p.conflicts;
  };
  // A local account with a cluster account's name.
  Db a = parse(kLocalPasswd + "alice:x:1001:100::/home/alice:/bin/bash\n", kLocalShadow + "alice:!:1:0:99999:7:::\n",
               kLocalGroup, kLocalGshadow);
  CHECK(conflicts_of(a) ==
        Names{"user alice is a local account here (uid 1001) and a cluster account on m (uid 10000): rename or "
              "remove one of them"});
  // A roaming host does not create alice: no conflict there.
  CHECK(plan_pull(a, master, Role::roaming, "m").conflicts.empty());
  // A local group with a cluster group's name.
  Db b = parse(kLocalPasswd, kLocalShadow, kLocalGroup + "staff:x:50:\n", kLocalGshadow + "staff:*::\n");
  CHECK(conflicts_of(b) ==
        Names{"group staff is a local group here (gid 50) and a cluster group on m (gid 10002): rename or remove one "
              "of them"});
  // A uid the master gave to alice belongs to carol here (gone from m).
  Db c = parse(kLocalPasswd + "carol:x:10000:100::/home/carol:/bin/bash\n", kLocalShadow + "carol:!:1:0:99999:7:::\n",
               kLocalGroup, kLocalGshadow);
  CHECK(conflicts_of(c) ==
        Names{"uid 10000 is alice's on m but carol's here (carol is gone from m; its files here would belong to "
              "alice): if carol left the cluster, remove it here (`userdel carol` keeps its home) and pull again"});
  // A gid the master gave to staff is another group here.
  Db d = parse(kLocalPasswd, kLocalShadow, kLocalGroup + "old:x:10002:\n", kLocalGshadow + "old:!::\n");
  CHECK(conflicts_of(d) ==
        Names{"gid 10002 is group staff on m but group old here (old is gone from m): if old left the cluster, "
              "remove it here and pull again"});
  // A primary group outside the range that this host lacks, or names otherwise.
  AccountTexts t = master_texts();
  t.passwd += "dave:x:10003:100::/home/dave:/bin/bash\n";
  t.shadow += "dave:$y$d:19500:0:99999:7:::\n";
  const Db with_dave = master_db(t);
  Db e = parse(kLocalPasswd, kLocalShadow, "root:x:0:\nshadow:x:42:\nsudo:x:27:\nlocaladmin:x:1000:\n",
               "root:*::\nshadow:*::\nsudo:*::\nlocaladmin:!::\n");
  CHECK(plan_pull(e, with_dave, Role::client, "m").conflicts ==
        Names{"the primary group of dave, users (gid 100) on m, does not exist here: create it with that gid"});
  Db e2 = parse(kLocalPasswd, kLocalShadow, "root:x:0:\nshadow:x:42:\nsudo:x:27:\nlocaladmin:x:1000:\ncrowd:x:100:\n",
                "root:*::\nshadow:*::\nsudo:*::\nlocaladmin:!::\ncrowd:*::\n");
  CHECK(plan_pull(e2, with_dave, Role::client, "m").conflicts ==
        Names{"gid 100, the primary group of dave, is users on m but crowd here"});
  // A group the master removed is still a local user's primary group.
  Db f = parse(kLocalPasswd + "guest:x:1001:10050::/home/guest:/bin/bash\n", kLocalShadow + "guest:!:1:0:99999:7:::\n",
               kLocalGroup + "team:x:10050:\n", kLocalGshadow + "team:!::\n");
  CHECK(conflicts_of(f) == Names{"group team (gid 10050) is gone from m but is the primary group of the local user "
                                 "guest here: give that user another group"});
}

TEST_CASE("user pull: hostile or broken files from the master are refused", "[user]") {
  auto with = [](auto edit) {
    AccountTexts t = master_texts();
    edit(t);
    return t;
  };
  // A name sc would never create, with shell metacharacters.
  std::string err = check_error(with([](AccountTexts& t) {
    t.passwd += "a;rm -rf /:x:10005:10000::/home/x:/bin/bash\n";
    t.shadow += "a;rm -rf /:$y$x:1:0:99999:7:::\n";
  }));
  CHECK(err ==
        "the account files of m cannot be pulled: /etc/passwd: \"a;rm -rf /\" (uid 10005) is not a login name sc "
        "accepts; fix them on m; nothing was changed here");
  // A path as a name, a carriage return in a name (shown escaped).
  CHECK_THAT(check_error(with([](AccountTexts& t) {
               t.passwd += "../../etc:x:10005:10000::/home/x:/bin/bash\n";
               t.shadow += "../../etc:$y$x:1:0:99999:7:::\n";
             })),
             Contains("\"../../etc\" (uid 10005) is not a login name sc accepts"));
  CHECK_THAT(check_error(with([](AccountTexts& t) {
               t.group += "ev\ril:x:10007:\n";
               t.gshadow += "ev\ril:!::\n";
             })),
             Contains("/etc/group: \"ev\\x0dil\" (gid 10007) is not a group name sc accepts"));
  // A hostile member of a cluster group.
  CHECK_THAT(check_error(with([](AccountTexts& t) {
               t.group += "crew:x:10008:alice,$(reboot)\n";
               t.gshadow += "crew:!::\n";
             })),
             Contains("group crew has a member \"$(reboot)\" that is not a login name"));
  // A home outside the tree, a password login without a password.
  CHECK_THAT(check_error(with([](AccountTexts& t) {
               t.passwd += "carol:x:10005:10000::/home/../etc:/bin/bash\n";
               t.shadow += "carol:$y$x:1:0:99999:7:::\n";
             })),
             Contains("user carol has the home directory \"/home/../etc\", not a valid path"));
  CHECK_THAT(check_error(with([](AccountTexts& t) {
               t.passwd += "carol:x:10005:10000::/home/carol:/bin/bash\n";
               t.shadow += "carol::1:0:99999:7:::\n";
             })),
             Contains("user carol has an empty password"));
  CHECK_THAT(check_error(with([](AccountTexts& t) {
               t.passwd += "carol::10005:10000::/home/carol:/bin/bash\n";
               t.shadow += "carol:$y$x:1:0:99999:7:::\n";
             })),
             Contains("user carol has a password field other than \"x\""));
  // A partial copy: an entry without its shadow line, files without root,
  // a cut line, a hash of an account outside the range.
  CHECK_THAT(check_error(with([](AccountTexts& t) { t.shadow = "alice:$y$j9T$a$hashA:19500:0:99999:7:::\n"; })),
             Contains("/etc/shadow: user bob has no entry"));
  CHECK_THAT(check_error(with([](AccountTexts& t) { t.passwd = "alice:x:10000:10000::/home/alice:/bin/bash\n"; })),
             Contains("has no root entry with id 0 (an incomplete copy?)"));
  CHECK(check_error(with([](AccountTexts& t) { t.passwd += "carol:x:100"; })) ==
        "the account files of m cannot be used: /etc/passwd line 5: expected 7 fields separated by ':' and a name, "
        "found 3 fields; fix them on m; nothing was changed here");
  CHECK_THAT(check_error(with([](AccountTexts& t) { t.shadow += "root:$y$x:1:0:99999:7:::\n"; })),
             Contains("/etc/shadow: \"root\" is not a user of 10000-10099 there"));
  // Two names for one uid; a primary group the master lacks.
  CHECK_THAT(check_error(with([](AccountTexts& t) {
               t.passwd += "carol:x:10001:10001::/home/carol:/bin/bash\n";
               t.shadow += "carol:$y$x:1:0:99999:7:::\n";
             })),
             Contains("uid 10001 is both \"bob\" and \"carol\""));
  CHECK_THAT(check_error(with([](AccountTexts& t) {
               t.passwd += "carol:x:10005:10099::/home/carol:/bin/bash\n";
               t.shadow += "carol:$y$x:1:0:99999:7:::\n";
             })),
             Contains("user carol has the primary gid 10099, which /etc/group lacks"));
  // A date that is not a number, a control character in GECOS.
  CHECK_THAT(check_error(with([](AccountTexts& t) {
               t.shadow += "carol:$y$x:soon:0:99999:7:::\n";
               t.passwd += "carol:x:10005:10000::/home/carol:/bin/bash\n";
             })),
             Contains("the entry of user carol has a control character or a date that is not a number"));
  CHECK_THAT(check_error(with([](AccountTexts& t) {
               t.passwd += "carol:x:10005:10000:\x1b[2J:/home/carol:/bin/bash\n";
               t.shadow += "carol:$y$x:1:0:99999:7:::\n";
             })),
             Contains("user carol has a control character in its GECOS field"));
}
