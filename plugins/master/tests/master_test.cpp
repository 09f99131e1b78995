// The master module: its pure part (roles.cpp) byte for byte, and its
// commands run by the built sc under --root.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../roles.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

TEST_CASE("master: role names, setting names and the status text", "[master]") {
  using master::Role;
  for (const char* r : {"master", "standby", "backup", "client", "roaming"})
    CHECK(master::role_name(*master::parse_role(r)) == std::string(r));
  for (const char* bad : {"", "Master", "client ", "slave", "standby\n"}) CHECK_FALSE(master::parse_role(bad));
  CHECK(master::all_roles().size() == 5);

  for (const char* ok : {"FQDN", "MASTER_MODE", "A", "B2_C"}) CHECK(master::valid_setting_name(ok));
  for (const char* bad : {"", "fqdn", "_A", "2A", "A-B", "A B", "A;touch x", std::string(65, 'A').c_str()})
    CHECK_FALSE(master::valid_setting_name(bad));
  CHECK(master::valid_setting_name(std::string(64, 'A')));

  CHECK(master::status_text(std::nullopt, "", false, "") ==
        "this host has no role (MASTER_MODE is not set): a host of its own; `sc master setup` gives it one\n");
  CHECK(master::status_text(Role::master, "", false, "") == "this host is the master\n");
  CHECK(master::status_text(Role::client, "m", true, "") ==
        "this host is a client host of the master m\nm answers (SSH, our key accepted)\n");
  CHECK(master::status_text(Role::roaming, "root@m:2222", false, "connection refused") ==
        "this host is a roaming host of the master root@m:2222\nroot@m:2222 does not answer: connection refused\n");
}

namespace {

fs::path settled_root(const TempDir& root, const std::string& settings) {
  write_text(root / "etc/hostname", "node1\n");
  write_text(root / "etc/sc", "# sc-settings 1\nSSHLINK_CONNECT_TIMEOUT=\"2\"\n" + settings, fs::perms(0600));
  return root.path();
}

json doc_of(const ScRun& r) {
  auto doc = json::parse(r.out, nullptr, false);
  INFO(r.out << r.err);
  REQUIRE(doc.is_object());
  return doc;
}

}  // namespace

TEST_CASE("master mode, enabled and ready follow MASTER_MODE and MASTER_HOST", "[master]") {
  TempDir root;
  settled_root(root, "");
  const std::string before = tree_hash(root.path());

  // No role: a host of its own, the original's answer "master".
  ScRun r = run_sc_rooted(root.path(), {"master", "mode"});
  CHECK(r.status == 0);
  CHECK(r.out == "master\n");
  json doc = doc_of(run_sc_rooted(root.path(), {"--json", "master", "mode"}));
  CHECK(doc["result"] == json({{"mode", "master"}, {"set", false}, {"master", nullptr}}));
  r = run_sc_rooted(root.path(), {"master", "enabled"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("MASTER_MODE is not set"));
  CHECK(run_sc_rooted(root.path(), {"master", "ready"}).status == 1);

  // The master is enabled; ready once what its role sets up is in place
  // (the original's master was never ready: see the setup test).
  CHECK(run_sc_rooted(root.path(), {"--set", "MASTER_MODE=master", "master", "enabled"}).status == 0);
  r = run_sc_rooted(root.path(), {"--set", "MASTER_MODE=master", "master", "ready"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("no role was set up here yet (`sc master setup`)"));

  // A client needs its master's name.
  r = run_sc_rooted(root.path(), {"--set", "MASTER_MODE=client", "master", "enabled"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("MASTER_HOST is not set"));
  doc = doc_of(run_sc_rooted(root.path(),
                             {"--json", "--set", "MASTER_MODE=client", "--set", "MASTER_HOST=m", "master", "mode"}));
  CHECK(doc["result"] == json({{"mode", "client"}, {"set", true}, {"master", "m"}}));
  CHECK(run_sc_rooted(root.path(), {"--set", "MASTER_MODE=client", "--set", "MASTER_HOST=m", "master", "enabled"})
            .status == 0);

  // A host of the original tool (its setting MASTER, which MASTER_HOST
  // replaces) keeps its master.
  {
    TempDir old;
    settled_root(old, "MASTER_MODE=\"client\"\nMASTER=\"root@m\"\n");
    doc = doc_of(run_sc_rooted(old.path(), {"--json", "master", "mode"}));
    CHECK(doc["result"] == json({{"mode", "client"}, {"set", true}, {"master", "root@m"}}));
    CHECK(run_sc_rooted(old.path(), {"master", "enabled"}).status == 0);
  }

  // A role that is not one, a master name that is not a peer name: exit 2.
  r = run_sc_rooted(root.path(), {"--set", "MASTER_MODE=slave", "master", "mode"});
  CHECK(r.status == 2);
  r = run_sc_rooted(root.path(), {"--set", "MASTER_MODE=client", "--set", "MASTER_HOST=a@b@c", "master", "enabled"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("MASTER_HOST \"a@b@c\" is not a peer name"));
  CHECK(tree_hash(root.path()) == before);
}

TEST_CASE("master status, getvar and exec on the master and towards an absent master", "[master]") {
  TempDir root;
  settled_root(root, "FQDN=\"node1.example.com\"\n");
  const std::string before = tree_hash(root.path());

  ScRun r = run_sc_rooted(root.path(), {"master", "status"});
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("MASTER_MODE is not set"));
  r = run_sc_rooted(root.path(), {"--set", "MASTER_MODE=master", "master", "status"});
  CHECK(r.out == "this host is the master\n");

  // On the master, getvar reads this host's own settings.
  r = run_sc_rooted(root.path(), {"--set", "MASTER_MODE=master", "master", "getvar", "FQDN"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "node1.example.com\n");
  CHECK(doc_of(run_sc_rooted(root.path(), {"--json", "master", "getvar", "FQDN"}))["result"] == "node1.example.com");
  check_refused(root.path(), "master", {"getvar", "fqdn"}, "\"fqdn\" is not a setting NAME");
  check_refused(root.path(), "master", {"getvar", "A;touch /tmp/x"}, "is not a setting NAME");
  check_refused(root.path(), "master", {"getvar"}, "NAME");
  check_refused(root.path(), "master", {"exec"}, "COMMAND");
  check_refused(root.path(), "master", {"exec", ""}, "the COMMAND is empty");

  // On the master, exec runs here: planned only under --dry-run.
  r = run_sc_rooted(root.path(), {"--dry-run", "--set", "MASTER_MODE=master", "master", "exec", "touch", "/x y"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("touch"));
  CHECK_FALSE(fs::exists(root / "x y"));

  // A client whose master does not answer (a closed port): status says so
  // and exits 0; getvar and exec fail (exit 1), naming the master.
  const std::vector<std::string> client = {"--set", "MASTER_MODE=client", "--set", "MASTER_HOST=127.0.0.1:1"};
  auto with = [&](std::vector<std::string> args) {
    std::vector<std::string> all = client;
    all.insert(all.end(), args.begin(), args.end());
    return run_sc_rooted(root.path(), all);
  };
  r = with({"master", "status"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("this host is a client host of the master 127.0.0.1:1\n127.0.0.1:1 does not answer: "));
  json doc = doc_of(with({"--json", "master", "status"}));
  CHECK(doc["result"]["mode"] == "client");
  CHECK(doc["result"]["master"] == "127.0.0.1:1");
  CHECK(doc["result"]["reachable"] == false);
  CHECK(doc["result"]["why"].is_string());
  r = with({"master", "getvar", "FQDN"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("127.0.0.1:1"));
  r = with({"master", "exec", "true"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("127.0.0.1:1"));
  // A client without MASTER_HOST: exit 2, how to fix it.
  r = run_sc_rooted(root.path(), {"--set", "MASTER_MODE=client", "master", "getvar", "FQDN"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("sc settings set MASTER_HOST HOST"));
  CHECK(tree_hash(root.path()) == before);
}

TEST_CASE("master: the role table, its text, JSON, modules and readiness checks", "[master]") {
  using master::Call;
  using master::Role;
  REQUIRE(master::role_table().size() == 5);
  for (Role r : master::all_roles()) CHECK(master::spec_of(r).role == r);

  CHECK(master::roles_text({Role::client}) ==
        "client: a local client: homes are the master's over NFS, the mass storage too (nfs4), accounts pulled\n"
        "  settings: MASS_MODE=nfs4 MASS_HOST=MASTER\n"
        "  sets up: sc user setup, sc sshlink sc MASTER nfssrv allow THIS-HOST, sc nfsclient add MASTER /home, sc mass "
        "setup\n"
        "  cron: sc master cron daily, sc master cron fast\n"
        "  boot: sc master boot\n"
        "  modules: boot crontask mass nfsclient sshlink user\n");
  CHECK(master::roles_text({Role::master}) ==
        "master: hosts every service and the shared data; the other hosts take their accounts, settings and data "
        "from it\n"
        "  settings: MASS_MODE=separated\n"
        "  sets up: sc user setup, sc mass setup, sc nfssrv setup, sc wstunnel setup, sc ssl setup (a service), sc "
        "nginx setup (a service), sc www setup (a service), sc mail setup (a service), sc roundcube setup (a "
        "service), sc cloud setup (a service)\n"
        "  modules: cloud mail mass nfssrv nginx roundcube ssl user wstunnel www\n");
  CHECK_THAT(master::roles_text({Role::backup}), Contains("  imported from the master: backup/BACKUP_LIST update\n") &&
                                                     Contains("  modules: backup crontask sshlink update user\n"));
  // Every role, separated by an empty line, in the manifest's order.
  const std::string all = master::roles_text(master::all_roles());
  CHECK(all.find("master: ") == 0);
  CHECK(all.find("\n\nstandby: ") < all.find("\n\nbackup: "));
  CHECK(all.find("\n\nclient: ") < all.find("\n\nroaming: "));

  CHECK(master::modules_needed(master::spec_of(Role::standby)) ==
        std::vector<std::string>{"cloud", "crontask", "mail", "mass", "master", "nfssrv", "nginx", "roundcube",
                                 "sshlink", "ssl", "unisonsync", "update", "user", "wstunnel", "www"});
  CHECK(master::modules_needed(master::spec_of(Role::roaming)) ==
        std::vector<std::string>{"boot", "crontask", "mass", "sshlink", "unisonsync", "user"});
  CHECK(master::package_of("nfsclient") == "synccluster-plugin-nfsclient");

  CHECK(master::ready_checks(master::spec_of(Role::client), "root@m:2222") ==
        std::vector<Call>{{"user", "ready", {}},
                          {"nfsclient", "has", {"/home"}},
                          {"mass", "ready", {}},
                          {"crontask", "has", {"master", "daily"}},
                          {"crontask", "has", {"master", "fast"}},
                          {"boot", "has", {"master"}}});
  CHECK(master::ready_checks(master::spec_of(Role::master), "") ==
        std::vector<Call>{{"user", "ready", {}},
                          {"mass", "ready", {}},
                          {"nfssrv", "ready", {}},
                          {"wstunnel", "ready", {}},
                          {"ssl", "ready", {}, false, true},
                          {"nginx", "ready", {}, false, true},
                          {"www", "ready", {}, false, true},
                          {"mail", "ready", {}, false, true},
                          {"roundcube", "ready", {}, false, true},
                          {"cloud", "ready", {}, false, true}});
  CHECK(master::bound(Call{"nfsclient", "add", {"{master}", "/home"}}, "m") ==
        Call{"nfsclient", "add", {"m", "/home"}});
  CHECK(master::call_text(Call{"crontask", "add", {"master", "fast"}}) == "sc crontask add master fast");

  auto doc = json::parse(master::roles_json({Role::client}));
  REQUIRE(doc.is_array());
  REQUIRE(doc.size() == 1);
  CHECK(doc[0]["role"] == "client");
  CHECK(doc[0]["settings"] == json({{"MASS_MODE", "nfs4"}, {"MASS_HOST", "{master}"}}));
  CHECK(doc[0]["steps"][1] ==
        json({{"run", {{"module", "sshlink"}, {"command", "sc"}, {"args", {"{master}", "nfssrv", "allow", "{host}"}}}},
              {"check", nullptr}}));
  CHECK(doc[0]["steps"][2] ==
        json({{"run", {{"module", "nfsclient"}, {"command", "add"}, {"args", {"{master}", "/home"}}}},
              {"check", {{"module", "nfsclient"}, {"command", "has"}, {"args", {"/home"}}}}}));
  CHECK(doc[0]["cron"] == json({"daily", "fast"}));
  CHECK(doc[0]["boot"] == true);
  CHECK(doc[0]["modules"] == json({"boot", "crontask", "mass", "nfsclient", "sshlink", "user"}));
}

TEST_CASE("master: MASTER_SERVICES names the master's services", "[master]") {
  using V = std::vector<std::string>;
  CHECK(master::parse_services("ssl nginx www mail roundcube") == V{"ssl", "nginx", "www", "mail", "roundcube"});
  CHECK(master::parse_services("mail,  ssl,mail") == V{"mail", "ssl"});
  CHECK(master::parse_services("none").empty());
  CHECK(master::parse_services("").empty());
  CHECK_THROWS_WITH(
      master::parse_services("ssl apache"),
      Contains("\"apache\" is not one of the master's services (ssl, nginx, www, mail, roundcube, cloud)"));
  for (const auto& bad : hostile_strings()) {
    if (bad.empty()) continue;  // no service, as "none"
    INFO(bad);
    CHECK_THROWS_AS(master::parse_services(bad), std::invalid_argument);
  }
  CHECK(master::is_service("cloud"));
  CHECK_FALSE(master::is_service("user"));
}

TEST_CASE("sc master roles prints the table and refuses a ROLE that is not one", "[master]") {
  TempDir root;
  settled_root(root, "");
  ScRun r = run_sc_rooted(root.path(), {"master", "roles"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == master::roles_text(master::all_roles()));
  r = run_sc_rooted(root.path(), {"master", "roles", "roaming"});
  CHECK(r.out == master::roles_text({master::Role::roaming}));
  json doc = doc_of(run_sc_rooted(root.path(), {"--json", "master", "roles", "standby"}));
  CHECK(doc["result"] == json::parse(master::roles_json({master::Role::standby})));
  check_refused(root.path(), "master", {"roles", "slave"}, "\"slave\" is not a ROLE");
  check_refused(root.path(), "master", {"roles", "client", "x"}, "usage");
}

TEST_CASE("master: the setup plan of each role, its text and where a stopped setup stands", "[master]") {
  using master::Role;
  auto texts = [](const std::vector<master::Call>& plan) {
    std::vector<std::string> out;
    for (const auto& c : plan) out.push_back(master::call_text(c));
    return out;
  };
  CHECK_FALSE(master::uses_host_name(master::spec_of(Role::master)));
  CHECK(master::uses_host_name(master::spec_of(Role::client)));
  CHECK(texts(master::setup_plan(master::spec_of(Role::master), "", "", "")) ==
        std::vector<std::string>{"sc settings set MASTER_MODE master", "sc settings del MASTER_HOST",
                                 "sc settings set MASS_MODE separated", "sc user setup", "sc mass setup",
                                 "sc nfssrv setup", "sc wstunnel setup", "sc ssl setup", "sc nginx setup",
                                 "sc www setup", "sc mail setup", "sc roundcube setup", "sc cloud setup",
                                 "sc settings set MASTER_APPLIED master"});
  const auto client = master::setup_plan(master::spec_of(Role::client), "m", "c1.example.com", "");
  CHECK(texts(client) == std::vector<std::string>{
                             "sc sshlink add m", "sc settings set MASTER_MODE client", "sc settings set MASTER_HOST m",
                             "sc settings set MASS_MODE nfs4", "sc settings set MASS_HOST m", "sc user setup",
                             "sc sshlink sc m nfssrv allow c1.example.com", "sc nfsclient add m /home", "sc mass setup",
                             "sc crontask add master daily", "sc crontask add master fast", "sc boot add master",
                             "sc sshlink sc m master hostadd c1.example.com client",
                             "sc settings set MASTER_APPLIED client m", "sc master pull"});
  // The registration on the master, alone optional: a master that does not
  // answer does not stop the setup.
  for (size_t i = 0; i < client.size(); ++i) CHECK(client[i].optional == (i == 12));
  // A backup host imports the master's backup list; a SOURCE is restored
  // before the host registers on the master, the role is recorded and the
  // first pull.
  CHECK(texts(master::setup_plan(master::spec_of(Role::backup), "root@m:2222", "b", "/srv/snap")) ==
        std::vector<std::string>{"sc sshlink add root@m:2222", "sc settings set MASTER_MODE backup",
                                 "sc settings set MASTER_HOST root@m:2222",
                                 "sc sshlink importsettings root@m:2222 backup/BACKUP_LIST update", "sc user setup",
                                 "sc backup setup", "sc crontask add master daily", "sc backup restore_from /srv/snap",
                                 "sc sshlink sc root@m:2222 master hostadd b backup",
                                 "sc settings set MASTER_APPLIED backup root@m:2222", "sc master pull"});
  // No name for this host: no registration (never an empty PEER).
  CHECK(texts(master::setup_plan(master::spec_of(Role::backup), "m", "", "")) ==
        std::vector<std::string>{
            "sc sshlink add m", "sc settings set MASTER_MODE backup", "sc settings set MASTER_HOST m",
            "sc sshlink importsettings m backup/BACKUP_LIST update", "sc user setup", "sc backup setup",
            "sc crontask add master daily", "sc settings set MASTER_APPLIED backup m", "sc master pull"});
  // Every role with a master needs this host's name (it registers under it).
  for (Role r : {Role::standby, Role::backup, Role::client, Role::roaming})
    CHECK(master::uses_host_name(master::spec_of(r)));
  // An argument with a space stays one argument (the calls are argv, never a shell line).
  CHECK(master::setup_plan(master::spec_of(Role::master), "", "", "/srv/my snap")[13] ==
        master::Call{"backup", "restore_from", {"/srv/my snap"}});

  const auto plan = master::setup_plan(master::spec_of(Role::roaming), "m", "r1", "");
  CHECK(master::plan_text(Role::roaming, "m", plan) ==
        "setup of the role roaming (master m), 13 steps:\n"
        "  1. sc sshlink add m\n"
        "  2. sc settings set MASTER_MODE roaming\n"
        "  3. sc settings set MASTER_HOST m\n"
        "  4. sc settings set MASS_MODE unison\n"
        "  5. sc settings set MASS_HOST m\n"
        "  6. sc user setup\n"
        "  7. sc unisonsync setup\n"
        "  8. sc mass setup\n"
        "  9. sc crontask add master daily\n"
        "  10. sc boot add master\n"
        "  11. sc sshlink sc m master hostadd r1 roaming (skipped if m does not answer)\n"
        "  12. sc settings set MASTER_APPLIED roaming m\n"
        "  13. sc master pull\n");
  CHECK(master::stopped_text(plan, 0, "status 1") ==
        "step 1 of 13, `sc sshlink add m`, failed: status 1; nothing was done before it. Fix the cause and run `sc "
        "master setup` again: every step is idempotent, those done stay done and it goes on from there");
  CHECK(master::stopped_text(plan, 6, "status 1") ==
        "step 7 of 13, `sc unisonsync setup`, failed: status 1; steps 1-6 were done (`sc sshlink add m` to `sc user "
        "setup`). Fix the cause and run `sc master setup` again: every step is idempotent, those done stay done and it "
        "goes on from there");
  CHECK(master::applied_text(Role::master, "") == "master");
  CHECK(master::applied_text(Role::client, "m") == "client m");
}

namespace {

/// A root where the master role's modules find their programs: sudo (user),
/// exportfs (nfssrv, kernel server), a cron daemon.
void master_ready_root(const TempDir& root) {
  // The master's services are the services' own tests' (they need a
  // certificate authority, PostgreSQL, mail...): none here.
  settled_root(root, "NFSSRV_SERVER=\"kernel\"\nFQDN=\"node1.example.com\"\nMASTER_SERVICES=\"none\"\n");
  write_text(root / "usr/bin/sudo", "#!/bin/sh\n", fs::perms(0755));
  write_text(root / "usr/sbin/exportfs", "#!/bin/sh\n", fs::perms(0755));
  write_text(root / "usr/sbin/cron", "#!/bin/sh\n", fs::perms(0755));
  write_text(root / "etc/machine-id", "0123456789abcdef0123456789abcdef\n");
  write_text(root / "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
  write_text(root / "etc/group", "root:x:0:\nsudo:x:27:\n");
  write_text(root / "etc/shadow", "root:*:19000:0:99999:7:::\n", fs::perms(0640));
  write_text(root / "etc/gshadow", "root:*::\nsudo:*::\n", fs::perms(0640));
  fs::create_directories(root / "etc/sudoers.d");
}

}  // namespace

TEST_CASE("master setup of the master role under --root: the plan, then in place, ready, and a re-run changes nothing",
          "[master]") {
  TempDir root;
  master_ready_root(root);
  const std::string before = tree_hash(root.path());

  // --dry-run: the whole plan shown, nothing changed.
  ScRun r = run_sc_rooted(root.path(), {"--dry-run", "--yes", "--set", "MASTER_MODE=master", "master", "setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("setup of the role master, 14 steps:\n  1. sc settings set MASTER_MODE master\n") == 0);
  CHECK_THAT(r.out, Contains("  8. sc ssl setup (when MASTER_SERVICES names ssl)\n") &&
                        Contains("  13. sc cloud setup (when MASTER_SERVICES names cloud)\n"));
  CHECK_THAT(r.err, Contains("step 8, `sc ssl setup`, skipped: MASTER_SERVICES does not name ssl"));
  CHECK_THAT(r.err, Contains("would change: write /etc/sudoers.d/sc"));
  CHECK(tree_hash(root.path()) == before);
  CHECK(run_sc_rooted(root.path(), {"master", "ready"}).status == 1);

  r = run_sc_rooted(root.path(), {"--yes", "--set", "MASTER_MODE=master", "master", "setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(fs::is_directory(root / "srv/mass"));
  CHECK(fs::exists(root / "etc/sudoers.d/sc"));
  CHECK(fs::exists(root / "etc/exports"));
  const std::string settings = read_text(root / "etc/sc");
  CHECK_THAT(settings, Contains("MASTER_MODE=\"master\"") && Contains("MASTER_APPLIED=\"master\"") &&
                           Contains("MASS_MODE=\"separated\""));
  r = run_sc_rooted(root.path(), {"master", "ready"});
  INFO(r.err);
  CHECK(r.status == 0);
  // Another run changes nothing.
  const std::string done = tree_hash(root.path());
  json doc = doc_of(run_sc_rooted(root.path(), {"--json", "--yes", "master", "setup"}));
  CHECK(doc["status"] == 0);
  CHECK(doc["summary"]["changed"] == 0);
  CHECK(doc["result"]["role"] == "master");
  CHECK(tree_hash(root.path()) == done);

  // Something the role set up is gone: not ready, naming it.
  fs::remove(root / "etc/sudoers.d/sc");
  r = run_sc_rooted(root.path(), {"master", "ready"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("not in place: `sc user ready` fails"));

  // Another role over this one is a transition (a demotion, here): the new
  // master must answer and be the master; one that does not answer is
  // said, and nothing changes.
  const std::string now = tree_hash(root.path());
  r = run_sc_rooted(root.path(),
                    {"--set", "MASTER_MODE=client", "--set", "MASTER_HOST=127.0.0.1:1", "master", "setup"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("this master becomes a host of 127.0.0.1:1, which must be the master, but it does not "
                             "answer") &&
                        Contains("nothing was changed"));
  CHECK(tree_hash(root.path()) == now);

  // Pull on the master: nothing to do.
  r = run_sc_rooted(root.path(), {"master", "pull"});
  CHECK(r.status == 0);
  CHECK(r.out == "this host is the master: nothing to pull\n");
  CHECK(run_sc_rooted(root.path(), {"master", "cron", "daily"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"master", "cron", "fast"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"master", "boot"}).status == 0);
}

TEST_CASE("master setup refuses, before any change, what it cannot do", "[master]") {
  TempDir root;
  master_ready_root(root);
  const std::string before = tree_hash(root.path());

  // A module the role needs is not installed: named with its package.
  TempDir plugins;
  for (const auto& e : fs::directory_iterator(kPluginDir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("nfsclient.", 0) == 0 || name.rfind("boot.", 0) == 0) continue;
    fs::create_symlink(fs::canonical(e.path()), plugins / name);
  }
  ScRun r = run_sc({"--plugin-path", plugins.path().string(), "--root", root.path().string(), "--set",
                    "MASTER_MODE=client", "--set", "MASTER_HOST=m", "master", "setup"});
  INFO(r.err);
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("the role client needs modules that are not installed: boot (package "
                             "synccluster-plugin-boot), nfsclient (package synccluster-plugin-nfsclient)") &&
                        Contains("nothing was changed"));
  CHECK(tree_hash(root.path()) == before);

  // A SOURCE that is not a backup.
  for (const std::string bad : {"relative/snap", "/srv/none", "/srv/../etc", "/"}) {
    std::vector<std::string> args = {"setup", bad};
    check_refused(root.path(), "master", args, "is not a backup directory");
  }
  // No role given and no terminal: exit 2, naming --set.
  r = run_sc_rooted(root.path(), {"master", "setup"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("MASTER_MODE"));
  // A master name that is not a peer name, given with --set: exit 2, named.
  for (const std::string bad : {"a@b@c", "m; touch /tmp/x", "-oProxyCommand=x", "$(touch x)"}) {
    r = run_sc_rooted(root.path(), {"--set", "MASTER_MODE=client", "--set", "MASTER_HOST=" + bad, "master", "setup"});
    INFO(bad << ": " << r.err);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Contains("MASTER_HOST"));
  }
  CHECK(tree_hash(root.path()) == before);
  check_refused(root.path(), "master", {"cron", "often"}, "\"often\" is not a PERIOD");
  check_refused(root.path(), "master", {"pull", "x"}, "usage");
  r = run_sc_rooted(root.path(), {"master", "pull"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("MASTER_MODE is not set"));
  CHECK(tree_hash(root.path()) == before);

  // A client whose master does not answer: step 1 (linking it) fails, the
  // message says nothing was done and how to finish (--dry-run: no SSH key
  // of ours is made in HOME).
  r = run_sc_rooted(root.path(), {"--dry-run", "--yes", "--set", "MASTER_MODE=client", "--set",
                                  "MASTER_HOST=127.0.0.1:1", "master", "setup"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("step 1 of 15, `sc sshlink add 127.0.0.1:1`, failed") &&
                        Contains("nothing was done before it") &&
                        Contains("run `sc --set MASTER_MODE=client --set MASTER_HOST=127.0.0.1:1 master setup` again"));
  CHECK(tree_hash(root.path()) == before);
  // Pulling from it fails, naming it, and changes nothing.
  r = run_sc_rooted(root.path(), {"--set", "MASTER_MODE=client", "--set", "MASTER_HOST=127.0.0.1:1", "master", "pull"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("cannot reach the master 127.0.0.1:1") && Contains("nothing was pulled"));
  CHECK(tree_hash(root.path()) == before);
}

TEST_CASE("master: the plans of cleanup, promote and switch, byte for byte", "[master]") {
  using master::Role;
  auto texts = [](const std::vector<master::Call>& plan) {
    std::vector<std::string> out;
    for (const auto& c : plan) out.push_back(master::call_text(c));
    return out;
  };
  CHECK(texts(master::cleanup_plan(master::spec_of(Role::master), "", "")) ==
        std::vector<std::string>{"sc mass cleanup", "sc settings del MASTER_MODE", "sc settings del MASTER_HOST",
                                 "sc settings del MASTER_APPLIED"});
  // A client is also taken out of its master's NFS clients and list of
  // hosts, when it answers.
  const auto client_cleanup = master::cleanup_plan(master::spec_of(Role::client), "m", "c1.example.com");
  CHECK(master::titled_plan_text("cleanup of the role client (master m)", client_cleanup) ==
        "cleanup of the role client (master m), 9 steps:\n"
        "  1. sc boot del master\n"
        "  2. sc crontask del master\n"
        "  3. sc mass cleanup\n"
        "  4. sc nfsclient del /home\n"
        "  5. sc sshlink sc m nfssrv deny c1.example.com (skipped if m does not answer)\n"
        "  6. sc sshlink sc m master hostdel c1.example.com (skipped if m does not answer)\n"
        "  7. sc settings del MASTER_MODE\n"
        "  8. sc settings del MASTER_HOST\n"
        "  9. sc settings del MASTER_APPLIED\n");
  for (size_t i = 0; i < client_cleanup.size(); ++i) CHECK(client_cleanup[i].optional == (i == 4 || i == 5));
  CHECK(texts(master::cleanup_plan(master::spec_of(Role::backup), "m", "b")) ==
        std::vector<std::string>{"sc crontask del master", "sc sshlink sc m master hostdel b",
                                 "sc settings del MASTER_MODE", "sc settings del MASTER_HOST",
                                 "sc settings del MASTER_APPLIED"});
  // No name for this host: nothing to take out (never an empty PEER).
  CHECK(texts(master::cleanup_plan(master::spec_of(Role::backup), "m", "")) ==
        std::vector<std::string>{"sc crontask del master", "sc settings del MASTER_MODE", "sc settings del MASTER_HOST",
                                 "sc settings del MASTER_APPLIED"});
  CHECK(texts(master::undo_steps(master::spec_of(Role::roaming), "m", "r1")) ==
        std::vector<std::string>{"sc boot del master", "sc crontask del master", "sc user stophomes m",
                                 "sc mass cleanup", "sc sshlink sc m master hostdel r1"});
  CHECK(texts(master::undo_steps(master::spec_of(Role::standby), "m", "s")) ==
        std::vector<std::string>{"sc crontask del master", "sc user stophomes m", "sc mass cleanup",
                                 "sc sshlink sc m master hostdel s"});
  // The master has no master to leave.
  CHECK(texts(master::undo_steps(master::spec_of(Role::master), "", "m")) ==
        std::vector<std::string>{"sc mass cleanup"});

  CHECK(texts(master::promote_plan("m")) ==
        std::vector<std::string>{
            "sc crontask del master", "sc user stophomes m", "sc mass cleanup", "sc settings set MASTER_MODE master",
            "sc settings del MASTER_HOST", "sc settings set MASS_MODE separated", "sc user setup", "sc mass setup",
            "sc nfssrv setup", "sc wstunnel setup", "sc ssl setup", "sc nginx setup", "sc www setup", "sc mail setup",
            "sc roundcube setup", "sc cloud setup", "sc settings set MASTER_APPLIED master"});
  CHECK(master::promote_plan("m") == master::transition_plan({Role::standby, "m"}, {Role::master, ""}, ""));
  // With this host's name (as `sc master promote` runs it): out of the list
  // it imported from the old master (where it is a standby) once it is the
  // master. The old master is not contacted: it may be gone, and its list
  // goes when it comes back as a standby (the demotion below).
  const auto promotion = master::transition_plan({Role::standby, "m"}, {Role::master, ""}, "s");
  CHECK(texts(promotion) ==
        std::vector<std::string>{
            "sc crontask del master", "sc user stophomes m", "sc mass cleanup", "sc settings set MASTER_MODE master",
            "sc settings del MASTER_HOST", "sc settings set MASS_MODE separated", "sc user setup", "sc mass setup",
            "sc nfssrv setup", "sc wstunnel setup", "sc ssl setup", "sc nginx setup", "sc www setup", "sc mail setup",
            "sc roundcube setup", "sc cloud setup", "sc master hostdel s", "sc settings set MASTER_APPLIED master"});
  for (const auto& c : promotion) CHECK_FALSE(c.optional);

  const auto sw = master::switch_plan(master::spec_of(Role::client), "m", "m2", "c1.example.com");
  CHECK(texts(sw) == std::vector<std::string>{"sc boot del master",
                                              "sc crontask del master",
                                              "sc mass cleanup",
                                              "sc nfsclient del /home",
                                              "sc sshlink sc m nfssrv deny c1.example.com",
                                              "sc sshlink sc m master hostdel c1.example.com",
                                              "sc sshlink add m2",
                                              "sc settings set MASTER_MODE client",
                                              "sc settings set MASTER_HOST m2",
                                              "sc settings set MASS_MODE nfs4",
                                              "sc settings set MASS_HOST m2",
                                              "sc user setup",
                                              "sc sshlink sc m2 nfssrv allow c1.example.com",
                                              "sc nfsclient add m2 /home",
                                              "sc mass setup",
                                              "sc crontask add master daily",
                                              "sc crontask add master fast",
                                              "sc boot add master",
                                              "sc sshlink sc m2 master hostadd c1.example.com client",
                                              "sc settings set MASTER_APPLIED client m2",
                                              "sc master pull"});
  // What acts on the old master is skipped when it is gone; the new
  // master's registration when it does not answer.
  for (size_t i = 0; i < sw.size(); ++i) CHECK(sw[i].optional == (i == 4 || i == 5 || i == 18));
  const auto bk = master::switch_plan(master::spec_of(Role::backup), "m", "root@m2:2222", "b");
  CHECK(master::titled_plan_text(master::transition_title({Role::backup, "m"}, {Role::backup, "root@m2:2222"}), bk) ==
        "switch of this backup host from the master m to root@m2:2222, 12 steps:\n"
        "  1. sc crontask del master\n"
        "  2. sc sshlink sc m master hostdel b (skipped if m does not answer)\n"
        "  3. sc sshlink add root@m2:2222\n"
        "  4. sc settings set MASTER_MODE backup\n"
        "  5. sc settings set MASTER_HOST root@m2:2222\n"
        "  6. sc sshlink importsettings root@m2:2222 backup/BACKUP_LIST update\n"
        "  7. sc user setup\n"
        "  8. sc backup setup\n"
        "  9. sc crontask add master daily\n"
        "  10. sc sshlink sc root@m2:2222 master hostadd b backup (skipped if root@m2:2222 does not answer)\n"
        "  11. sc settings set MASTER_APPLIED backup root@m2:2222\n"
        "  12. sc master pull\n");
  CHECK(master::stopped_text(bk, 2, "status 1", "sc master switch root@m2:2222") ==
        "step 3 of 12, `sc sshlink add root@m2:2222`, failed: status 1; steps 1-2 were done (`sc crontask del master` "
        "to `sc sshlink sc m master hostdel b`). Fix the cause and run `sc master switch root@m2:2222` again: every "
        "step is idempotent, those done stay done and it goes on from there");
  CHECK(texts(master::switch_plan(master::spec_of(Role::standby), "m", "s2", "s")) ==
        std::vector<std::string>{
            "sc crontask del master",
            "sc user stophomes m",
            "sc mass cleanup",
            "sc sshlink sc m master hostdel s",
            "sc sshlink add s2",
            "sc settings set MASTER_MODE standby",
            "sc settings set MASTER_HOST s2",
            "sc sshlink importsettings s2 unisonsync update master/MASTER_(SERVICES|HOSTS) mail roundcube cloud",
            "sc settings set MASS_MODE unison",
            "sc settings set MASS_HOST s2",
            "sc user setup",
            "sc unisonsync setup",
            "sc mass setup",
            "sc nfssrv setup",
            "sc wstunnel setup",
            "sc ssl sync s2 standby",
            "sc nginx setup",
            "sc www setup",
            "sc mail setup",
            "sc roundcube setup",
            "sc cloud setup",
            "sc crontask add master daily",
            "sc crontask add master fast",
            "sc sshlink sc s2 master hostadd s standby",
            "sc settings set MASTER_APPLIED standby s2",
            "sc master pull"});
  CHECK(texts(master::switch_plan(master::spec_of(Role::roaming), "m", "s", "r1")) ==
        std::vector<std::string>{"sc boot del master", "sc crontask del master", "sc user stophomes m",
                                 "sc mass cleanup", "sc sshlink sc m master hostdel r1", "sc sshlink add s",
                                 "sc settings set MASTER_MODE roaming", "sc settings set MASTER_HOST s",
                                 "sc settings set MASS_MODE unison", "sc settings set MASS_HOST s", "sc user setup",
                                 "sc unisonsync setup", "sc mass setup", "sc crontask add master daily",
                                 "sc boot add master", "sc sshlink sc s master hostadd r1 roaming",
                                 "sc settings set MASTER_APPLIED roaming s", "sc master pull"});

  CHECK(master::parse_applied("master") == std::make_pair(Role::master, std::string()));
  CHECK(master::parse_applied("client root@m:2222") == std::make_pair(Role::client, std::string("root@m:2222")));
  for (const char* bad : {"", "master m", "client", "client a b", "slave m", " client m"})
    CHECK_FALSE(master::parse_applied(bad));
}

TEST_CASE("master: the plans of a demotion and of client to and from roaming, byte for byte", "[master]") {
  using master::Role;
  // The old master back after its standby s took over: it follows s. Its
  // list of hosts goes (they register with s; a standby imports s's), and
  // it registers on s.
  const auto demotion = master::transition_plan({Role::master, ""}, {Role::standby, "s"}, "m");
  CHECK(master::titled_plan_text(master::transition_title({Role::master, ""}, {Role::standby, "s"}), demotion) ==
        "demotion of this master to a standby host of s, 24 steps:\n"
        "  1. sc mass cleanup\n"
        "  2. sc settings del MASTER_HOSTS\n"
        "  3. sc sshlink add s\n"
        "  4. sc settings set MASTER_MODE standby\n"
        "  5. sc settings set MASTER_HOST s\n"
        "  6. sc sshlink importsettings s unisonsync update master/MASTER_(SERVICES|HOSTS) mail roundcube cloud\n"
        "  7. sc settings set MASS_MODE unison\n"
        "  8. sc settings set MASS_HOST s\n"
        "  9. sc user setup\n"
        "  10. sc unisonsync setup\n"
        "  11. sc mass setup\n"
        "  12. sc nfssrv setup\n"
        "  13. sc wstunnel setup\n"
        "  14. sc ssl sync s standby (when MASTER_SERVICES names ssl)\n"
        "  15. sc nginx setup (when MASTER_SERVICES names nginx)\n"
        "  16. sc www setup (when MASTER_SERVICES names www)\n"
        "  17. sc mail setup (when MASTER_SERVICES names mail)\n"
        "  18. sc roundcube setup (when MASTER_SERVICES names roundcube)\n"
        "  19. sc cloud setup (when MASTER_SERVICES names cloud)\n"
        "  20. sc crontask add master daily\n"
        "  21. sc crontask add master fast\n"
        "  22. sc sshlink sc s master hostadd m standby (skipped if s does not answer)\n"
        "  23. sc settings set MASTER_APPLIED standby s\n"
        "  24. sc master pull\n");

  // A client becomes roaming: /home no longer the master's, out of its NFS
  // clients, the cluster's accounts deleted here (the roaming host takes
  // those it roams, `sc user roam`), then the roaming setup.
  const auto to_roaming = master::transition_plan({Role::client, "m"}, {Role::roaming, "m"}, "c1");
  CHECK(master::titled_plan_text(master::transition_title({Role::client, "m"}, {Role::roaming, "m"}), to_roaming) ==
        "transition of this host from a client host of m to a roaming host of m, 20 steps:\n"
        "  1. sc boot del master\n"
        "  2. sc crontask del master\n"
        "  3. sc mass cleanup\n"
        "  4. sc nfsclient del /home\n"
        "  5. sc sshlink sc m nfssrv deny c1 (skipped if m does not answer)\n"
        "  6. sc sshlink sc m master hostdel c1 (skipped if m does not answer)\n"
        "  7. sc user cleanup_local\n"
        "  8. sc sshlink add m\n"
        "  9. sc settings set MASTER_MODE roaming\n"
        "  10. sc settings set MASTER_HOST m\n"
        "  11. sc settings set MASS_MODE unison\n"
        "  12. sc settings set MASS_HOST m\n"
        "  13. sc user setup\n"
        "  14. sc unisonsync setup\n"
        "  15. sc mass setup\n"
        "  16. sc crontask add master daily\n"
        "  17. sc boot add master\n"
        "  18. sc sshlink sc m master hostadd c1 roaming (skipped if m does not answer)\n"
        "  19. sc settings set MASTER_APPLIED roaming m\n"
        "  20. sc master pull\n");

  // Roaming back to a client: the accounts stay (the pull adds the others).
  const auto to_client = master::transition_plan({Role::roaming, "m"}, {Role::client, "m"}, "c1");
  CHECK(master::titled_plan_text(master::transition_title({Role::roaming, "m"}, {Role::client, "m"}), to_client) ==
        "transition of this host from a roaming host of m to a client host of m, 20 steps:\n"
        "  1. sc boot del master\n"
        "  2. sc crontask del master\n"
        "  3. sc user stophomes m\n"
        "  4. sc mass cleanup\n"
        "  5. sc sshlink sc m master hostdel c1 (skipped if m does not answer)\n"
        "  6. sc sshlink add m\n"
        "  7. sc settings set MASTER_MODE client\n"
        "  8. sc settings set MASTER_HOST m\n"
        "  9. sc settings set MASS_MODE nfs4\n"
        "  10. sc settings set MASS_HOST m\n"
        "  11. sc user setup\n"
        "  12. sc sshlink sc m nfssrv allow c1\n"
        "  13. sc nfsclient add m /home\n"
        "  14. sc mass setup\n"
        "  15. sc crontask add master daily\n"
        "  16. sc crontask add master fast\n"
        "  17. sc boot add master\n"
        "  18. sc sshlink sc m master hostadd c1 client (skipped if m does not answer)\n"
        "  19. sc settings set MASTER_APPLIED client m\n"
        "  20. sc master pull\n");

  // Any other change is the same rule: a client of m becomes the master,
  // a backup server of m a client of m2 (and a backup SOURCE restored).
  CHECK(master::transition_title({Role::client, "m"}, {Role::master, ""}) ==
        "transition of this host from a client host of m to the master");
  auto texts = [](const std::vector<master::Call>& plan) {
    std::vector<std::string> out;
    for (const auto& c : plan) out.push_back(master::call_text(c));
    return out;
  };
  CHECK(texts(master::transition_plan({Role::client, "m"}, {Role::master, ""}, "c1")) ==
        std::vector<std::string>{"sc boot del master",
                                 "sc crontask del master",
                                 "sc mass cleanup",
                                 "sc nfsclient del /home",
                                 "sc sshlink sc m nfssrv deny c1",
                                 "sc sshlink sc m master hostdel c1",
                                 "sc settings set MASTER_MODE master",
                                 "sc settings del MASTER_HOST",
                                 "sc settings set MASS_MODE separated",
                                 "sc user setup",
                                 "sc mass setup",
                                 "sc nfssrv setup",
                                 "sc wstunnel setup",
                                 "sc ssl setup",
                                 "sc nginx setup",
                                 "sc www setup",
                                 "sc mail setup",
                                 "sc roundcube setup",
                                 "sc cloud setup",
                                 "sc settings set MASTER_APPLIED master"});
  const auto restored = master::transition_plan({Role::backup, "m"}, {Role::client, "m2"}, "b", "/srv/snap");
  CHECK(texts(restored).front() == "sc crontask del master");
  CHECK(texts(restored)[restored.size() - 4] == "sc backup restore_from /srv/snap");
  CHECK(texts(restored)[restored.size() - 3] == "sc sshlink sc m2 master hostadd b client");
  CHECK(master::transition_title({Role::backup, "m"}, {Role::client, "m2"}) ==
        "transition of this host from a backup host of m to a client host of m2");
  CHECK(master::transition_title({Role::master, ""}, {Role::client, "s"}) ==
        "demotion of this master to a client host of s");
}

TEST_CASE("master cleanup under --root: the plan, the role's parts gone, files kept, and a re-run", "[master]") {
  TempDir root;
  master_ready_root(root);
  ScRun r = run_sc_rooted(root.path(), {"--yes", "--set", "MASTER_MODE=master", "master", "setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  write_text(root / "srv/mass/kept.txt", "data\n");

  // --dry-run: the whole plan, nothing changed.
  const std::string set_up = tree_hash(root.path());
  r = run_sc_rooted(root.path(), {"--dry-run", "master", "cleanup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("cleanup of the role master, 4 steps:\n  1. sc mass cleanup\n  2. sc settings del MASTER_MODE\n"
                   "  3. sc settings del MASTER_HOST\n  4. sc settings del MASTER_APPLIED\n") == 0);
  CHECK(tree_hash(root.path()) == set_up);

  r = run_sc_rooted(root.path(), {"master", "cleanup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  const std::string settings = read_text(root / "etc/sc");
  CHECK(settings.find("MASTER_MODE") == std::string::npos);
  CHECK(settings.find("MASTER_APPLIED") == std::string::npos);
  CHECK(settings.find("MASS_MODE") == std::string::npos);
  CHECK(read_text(root / "srv/mass/kept.txt") == "data\n");
  CHECK(fs::exists(root / "etc/sudoers.d/sc"));
  CHECK(read_text(root / "etc/passwd") == "root:x:0:0:root:/root:/bin/bash\n");
  CHECK(run_sc_rooted(root.path(), {"master", "ready"}).status == 1);

  // Again: only the (unset) settings to forget, nothing changes.
  const std::string done = tree_hash(root.path());
  json doc = doc_of(run_sc_rooted(root.path(), {"--json", "master", "cleanup"}));
  CHECK(doc["status"] == 0);
  CHECK(doc["summary"]["changed"] == 0);
  CHECK(doc["result"]["role"] == nullptr);
  CHECK(doc["result"]["plan"] ==
        json({"sc settings del MASTER_MODE", "sc settings del MASTER_HOST", "sc settings del MASTER_APPLIED"}));
  CHECK(tree_hash(root.path()) == done);

  // Now another role can be set up (here the master again).
  r = run_sc_rooted(root.path(), {"--yes", "--set", "MASTER_MODE=master", "master", "setup"});
  CHECK(r.status == 0);
  CHECK(run_sc_rooted(root.path(), {"master", "ready"}).status == 0);
}

TEST_CASE("master promote turns a standby into the master under --root, other roles are refused", "[master]") {
  TempDir root;
  master_ready_root(root);
  // A standby as setup leaves it (its parts that need the master aside),
  // with m's list of hosts imported: this host (node1.example.com, its
  // FQDN) is in it, as m's standby.
  write_text(root / "etc/sc",
             read_text(root / "etc/sc") +
                 "MASTER_MODE=\"standby\"\nMASTER_HOST=\"m\"\nMASTER_APPLIED=\"standby m\"\nMASS_MODE=\"unison\"\n"
                 "MASS_HOST=\"m\"\nMASTER_HOSTS=\"node1.example.com=standby c1=client\"\n",
             fs::perms(0600));
  const std::string before = tree_hash(root.path());
  const std::string promotion =
      "promotion of this standby (master m) to the master, 18 steps:\n"
      "  1. sc crontask del master\n"
      "  2. sc user stophomes m\n"
      "  3. sc mass cleanup\n"
      "  4. sc settings set MASTER_MODE master\n";
  ScRun r = run_sc_rooted(root.path(), {"--dry-run", "--yes", "master", "promote"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find(promotion) == 0);
  CHECK_THAT(r.out,
             Contains("  17. sc master hostdel node1.example.com\n  18. sc settings set MASTER_APPLIED master\n"));
  // The old master m (whose name does not even resolve here) is not
  // contacted.
  CHECK(r.err.find("master hostdel node1.example.com`, skipped") == std::string::npos);
  CHECK_THAT(r.err, Contains("would change: setting MASTER_HOSTS"));
  CHECK(tree_hash(root.path()) == before);
  // The same transition through setup with the role master: the same plan.
  r = run_sc_rooted(root.path(), {"--dry-run", "--yes", "--set", "MASTER_MODE=master", "master", "setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find(promotion) == 0);
  CHECK(tree_hash(root.path()) == before);

  // MASS_BACKUP, which mass setup asks, takes its default (--yes).
  json doc = doc_of(run_sc_rooted(root.path(), {"--json", "--yes", "master", "promote"}));
  REQUIRE(doc["status"] == 0);
  CHECK(doc["result"]["skipped"] == json::array());
  const std::string settings = read_text(root / "etc/sc");
  CHECK_THAT(settings, Contains("MASTER_MODE=\"master\"") && Contains("MASTER_APPLIED=\"master\"") &&
                           Contains("MASS_MODE=\"separated\""));
  // The new master's list: the hosts it took from m, without itself.
  CHECK_THAT(settings, Contains("MASTER_HOSTS=\"c1=client\"\n"));
  CHECK(doc_of(run_sc_rooted(root.path(), {"--json", "master", "hosts"}))["result"] ==
        json::parse(R"([{"peer": "c1", "role": "client"}])"));
  CHECK(settings.find("MASTER_HOST=") == std::string::npos);
  CHECK(settings.find("MASS_HOST") == std::string::npos);
  r = run_sc_rooted(root.path(), {"master", "ready"});
  INFO(r.err);
  CHECK(r.status == 0);

  // The master, a client: refused, nothing changed.
  const std::string now = tree_hash(root.path());
  r = run_sc_rooted(root.path(), {"master", "promote"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("promote makes a standby the master, and this host is set up as \"master\" already") &&
                        Contains("nothing was changed"));
  r = run_sc_rooted(root.path(), {"--set", "MASTER_APPLIED=client m", "master", "promote"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("set up as \"client m\": another role becomes the master with `sc --set "
                             "MASTER_MODE=master master setup`"));
  check_refused(root.path(), "master", {"promote", "x"}, "usage");
  CHECK(tree_hash(root.path()) == now);
}

TEST_CASE("master switch: refused on the master and for a bad NEWMASTER, a stopped switch says how to finish",
          "[master]") {
  TempDir root;
  master_ready_root(root);
  write_text(root / "etc/sc",
             read_text(root / "etc/sc") + "MASTER_MODE=\"backup\"\nMASTER_HOST=\"m\"\nMASTER_APPLIED=\"backup m\"\n",
             fs::perms(0600));
  const std::string before = tree_hash(root.path());
  for (const std::string bad : {"a@b@c", "-oProxyCommand=x", "m; touch /tmp/x", ""}) {
    ScRun r = run_sc_rooted(root.path(), {"master", "switch", bad});
    INFO(bad << ": " << r.err);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Contains("NEWMASTER"));
  }
  check_refused(root.path(), "master", {"switch"}, "usage");
  // Already its master: nothing to do.
  ScRun r = run_sc_rooted(root.path(), {"master", "switch", "m"});
  CHECK(r.status == 0);
  CHECK(r.out == "this backup host's master is already m: nothing to switch\n");
  // The new master does not answer: step 3 (linking it) fails, after the
  // old master's cron task is removed (here, under --dry-run, planned) and
  // the old master, which does not answer either, skipped.
  r = run_sc_rooted(root.path(), {"--dry-run", "master", "switch", "127.0.0.1:1"});
  INFO(r.out << r.err);
  CHECK(r.status == 1);
  CHECK(r.out.find("switch of this backup host from the master m to 127.0.0.1:1, 12 steps:\n") == 0);
  CHECK_THAT(r.err, Contains("step 2, `sc sshlink sc m master hostdel node1.example.com`, skipped: m does not answer"));
  CHECK_THAT(r.err, Contains("step 3 of 12, `sc sshlink add 127.0.0.1:1`, failed") &&
                        Contains("run `sc master switch 127.0.0.1:1` again"));
  CHECK(tree_hash(root.path()) == before);

  // On the master: a demotion, which needs NEWMASTER to answer and be the
  // master; here it does not answer: refused, nothing changed.
  r = run_sc_rooted(root.path(), {"--set", "MASTER_APPLIED=master", "master", "switch", "127.0.0.1:1"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("this master becomes a host of 127.0.0.1:1, which must be the master") &&
                        Contains("nothing was changed"));
  // No role set up: refused, pointing to setup.
  r = run_sc_rooted(root.path(), {"--set", "MASTER_APPLIED=", "master", "switch", "m2"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("sc master setup"));
  CHECK(tree_hash(root.path()) == before);
}
