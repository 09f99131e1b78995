// Issue 15, scenario 1, on real hosts (tests/support/CLUSTER.md): a master
// and two clients, no --root. An account added on the master reaches the
// clients with the same ids, groups and password hash, and logs in there
// with its password; deleted on the master, it goes from the clients at the
// next pull (its home stays); a local admin stays in sudo; a second pull
// changes nothing; a master that does not answer changes nothing.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cluster.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

namespace {

const std::string kPassword = "Tr0ub4dor&3";

std::string out_of(const Cluster& c, const std::string& host, const std::vector<std::string>& argv) {
  sc::ProcessResult r = c.on(host, argv);
  INFO(host << ": " << r.err);
  CHECK(r.exit_code == 0);
  return r.out;
}

/// What pwck and grpck (read-only) say about the host's account files.
std::string account_check(const Cluster& c, const std::string& host) {
  std::string out;
  for (const char* tool : {"pwck", "grpck"}) {
    auto r = c.on(host, {tool, "-r"});
    out += r.out + r.err;
  }
  return out;
}

std::string account_files(const Cluster& c, const std::string& host) {
  std::string all;
  for (const char* f : {"/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow"}) all += read_text(c.path(host, f));
  return all;
}

/// `ssh LOGIN@TO id -un; hostname` from `from`, by password only (sshd of
/// the cluster checks it against TO's /etc/shadow).
sc::ProcessResult password_login(const Cluster& c, const std::string& from, const std::string& login,
                                 const std::string& to, const std::string& password) {
  write_text(c.path(from, "/root/askpass"), "#!/bin/sh\nprintf '%s\\n' '" + password + "'\n", fs::perms(0700));
  return c.on(from, {"env", "SSH_ASKPASS=/root/askpass", "SSH_ASKPASS_REQUIRE=force", "DISPLAY=none", "setsid", "-w",
                     "ssh", "-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password", "-o",
                     "NumberOfPasswordPrompts=1", "-o", "BatchMode=no", login + "@" + to, "id -un; hostname"});
}

}  // namespace

TEST_CASE("user pull on real hosts: master m and clients c1, c2", "[user][cluster]") {
  Cluster c({"m", "c1", "c2"});
  c.trust_all();
  // c1 has a local admin in sudo.
  REQUIRE(c.on("c1", {"useradd", "--create-home", "--shell", "/bin/bash", "--groups", "sudo", "admin1"}).ok());
  const std::string sudo_c1 = out_of(c, "c1", {"getent", "group", "sudo"});
  CHECK(sudo_c1 == "sudo:x:27:admin1\n");
  const std::string checked_c1 = account_check(c, "c1"), checked_c2 = account_check(c, "c2");

  const std::string pw = kPassword + "\n";
  ScRun r = c.sc("m", {"user", "add", "alice", "--password-stdin"}, &pw);
  INFO(r.err);
  REQUIRE(r.status == 0);
  REQUIRE(c.on("m", {"usermod", "--append", "--groups", "sudo", "alice"}).ok());
  const std::string id_m = out_of(c, "m", {"id", "alice"});
  CHECK_THAT(id_m, Contains("uid=10000(alice) gid=10000(alice)") && Contains("27(sudo)"));

  for (const std::string client : {"c1", "c2"}) {
    r = c.sc(client, {"user", "pull", "m", "client"});
    INFO(client << ": " << r.out << r.err);
    REQUIRE(r.status == 0);
    CHECK_THAT(r.out, Contains("added user alice (uid 10000)"));
    CHECK(out_of(c, client, {"id", "alice"}) == id_m);
    CHECK(out_of(c, client, {"getent", "passwd", "alice"}) == out_of(c, "m", {"getent", "passwd", "alice"}));
    CHECK(out_of(c, client, {"getent", "shadow", "alice"}) == out_of(c, "m", {"getent", "shadow", "alice"}));
    CHECK(out_of(c, client, {"stat", "-c", "%U:%G %a", "/home/alice"}) == "alice:alice 700\n");
    CHECK(account_check(c, client) == (client == "c1" ? checked_c1 : checked_c2));
  }
  CHECK(out_of(c, "c1", {"getent", "group", "sudo"}) == "sudo:x:27:admin1,alice\n");

  // alice logs in on c1 with her password; a wrong one is refused.
  sc::ProcessResult login = password_login(c, "m", "alice", "c1", kPassword);
  INFO(login.err);
  CHECK(login.out == "alice\nc1\n");
  CHECK_FALSE(password_login(c, "m", "alice", "c1", "wrong").exit_code == 0);

  // A second pull changes nothing.
  const std::string files_c1 = account_files(c, "c1");
  r = c.sc("c1", {"--json", "user", "pull", "m", "client"});
  auto doc = json::parse(r.out, nullptr, false);
  REQUIRE(doc.is_object());
  CHECK(doc["status"] == 0);
  CHECK(doc["summary"]["changed"] == 0);
  CHECK(doc["result"]["changed"] == false);
  CHECK(account_files(c, "c1") == files_c1);

  // Deleted on the master: gone from c1 at the next pull, its home kept,
  // the local admin still in sudo.
  REQUIRE(c.sc("m", {"--yes", "user", "del", "alice"}).status == 0);
  r = c.sc("c1", {"user", "pull", "m", "client"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("removed user alice, gone from m (its home directory is kept)"));
  CHECK_FALSE(c.on("c1", {"getent", "passwd", "alice"}).ok());
  CHECK_FALSE(c.on("c1", {"getent", "group", "alice"}).ok());
  CHECK(c.on("c1", {"test", "-d", "/home/alice"}).ok());
  CHECK(out_of(c, "c1", {"getent", "group", "sudo"}) == "sudo:x:27:admin1\n");
  CHECK(account_check(c, "c1").find("alice") == std::string::npos);

  // A master that does not answer: non-zero, said plainly, nothing changed.
  const std::string files_c2 = account_files(c, "c2");
  r = c.sc("c2", {"user", "pull", "m:1", "client"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("cannot read the accounts of the master m:1") && Contains("nothing was changed"));
  CHECK(account_files(c, "c2") == files_c2);
}
