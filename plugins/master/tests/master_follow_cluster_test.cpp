// Issue 15, scenario 5, on real hosts (tests/support/CLUSTER.md), no
// --root: code follows the master. The master m and the client c1 have
// their own /usr/local (ClusterOptions::own_usr_local); m runs a build of
// sc with a newer version (sc_next_minor, sc_next_major: core/CMakeLists.txt,
// the same code with another version number). `sc master pull` on c1 brings
// it to m's version first — m's files copied over the pull's SSH connection
// and checked against m's SHA-256 list, then the upgrade hooks — and the new
// sc does the pull. A list that does not match the files, a hostile list and
// a newer major are refused with nothing installed.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cluster.hpp"
#include "cluster_checks.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

namespace {

std::string out_ok(const Cluster& c, const std::string& host, const std::vector<std::string>& argv) {
  sc::ProcessResult r = c.on(host, argv);
  INFO(host << ": " << argv.front() << ": " << r.err);
  REQUIRE(r.ok());
  return r.out;
}

std::string version_on(const Cluster& c, const std::string& host) {
  return out_ok(c, host, {"sc", "version", "show"});
}

/// SHA-256 of sc's files in `host`, one line per file (sha256sum output).
std::string sums_on(const Cluster& c, const std::string& host) {
  return out_ok(c, host,
                {"sh", "-c", "cd /usr/local && find sbin/sc lib/sc -type f | LC_ALL=C sort | xargs sha256sum"});
}

/// A master m and a client c1 of it, each with its own /usr/local; m runs
/// the test build `sc_binary`.
void make_pair(Cluster& c, const std::string& sc_binary) {
  c.trust_all();
  run_ok(c, "m", {"settings", "set", "MASTER_MODE", "master"});
  run_ok(c, "c1", {"settings", "set", "MASTER_MODE", "client"});
  run_ok(c, "c1", {"settings", "set", "MASTER_HOST", "m"});
  out_ok(c, "m", {"cp", sc_binary, "/usr/local/sbin/sc.new"});
  out_ok(c, "m", {"mv", "/usr/local/sbin/sc.new", "/usr/local/sbin/sc"});
}

ClusterOptions own_copies() {
  ClusterOptions o;
  o.own_usr_local = {"m", "c1"};
  return o;
}

}  // namespace

TEST_CASE("code follows the master: master pull brings the client to the master's newer sc", "[master][cluster]") {
  Cluster c({"m", "c1", "c2"}, own_copies());
  make_pair(c, kScNextMinor);
  const std::string old = version_on(c, "c1");
  REQUIRE(version_on(c, "m") == std::string(kScNextMinorVersion) + "\n");
  REQUIRE(old != version_on(c, "m"));
  // The user module's upgrade hook rewrites an outdated sudoers file.
  const std::string stale = "# written by an older sc\n";
  out_ok(c, "c1", {"mkdir", "-p", "/etc/sudoers.d"});
  sc::test::write_text(c.path("c1", "/etc/sudoers.d/sc"), stale);

  // m's list: version, kind, and its files with their SHA-256.
  ScRun r = c.sc("m", {"--json", "update", "release", "files"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  auto list = json::parse(r.out)["result"];
  CHECK(list["version"] == kScNextMinorVersion);
  CHECK(list["kind"] == "local");
  CHECK(list["exe"] == "/usr/local/sbin/sc");
  CHECK(list["files"].dump().find("\"usr/local/lib/sc/core/ssh.so\"") != std::string::npos);
  CHECK(list["files"].dump().find("\"path\":\"usr/local/sbin/sc\"") != std::string::npos);

  // The master's own buildnumber / version.
  r = c.sc("m", {"--json", "master", "buildnumber"});
  CHECK(json::parse(r.out)["result"]["version"] == kScNextMinorVersion);
  CHECK(json::parse(r.out)["result"]["kind"] == "local");
  CHECK(c.sc("c1", {"master", "version"}).out == old);

  // --dry-run asks m and shows the copy, nothing changes.
  const std::string before_sums = sums_on(c, "c1");
  r = c.sc("c1", {"--dry-run", "master", "update_sc"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Contains("would check the"));
  CHECK(sums_on(c, "c1") == before_sums);
  CHECK(version_on(c, "c1") == old);

  // c2 runs the build tree's sc through a bind mount: neither a /usr/local
  // install nor a Debian package, so it is never written (it would write
  // into the build tree); the skew is said.
  run_ok(c, "c2", {"settings", "set", "MASTER_MODE", "client"});
  run_ok(c, "c2", {"settings", "set", "MASTER_HOST", "m"});
  r = c.sc("c2", {"--json", "master", "update_sc"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Contains("neither /usr/local/sbin/sc nor a Debian package: sc does not rewrite it"));
  CHECK(version_on(c, "c2") == old);

  const size_t sessions = count_of(c.sshd_log("m"), "Accepted publickey");
  r = c.sc("c1", {"master", "pull"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out,
             Contains("updating sc " + old.substr(0, old.size() - 1) + " to " + kScNextMinorVersion + " from m"));
  CHECK_THAT(r.out, Contains("and ran the modules' upgrade hooks"));
  CHECK(version_on(c, "c1") == std::string(kScNextMinorVersion) + "\n");
  CHECK(sums_on(c, "c1") == sums_on(c, "m"));
  CHECK(out_ok(c, "c1", {"stat", "-c", "%a", "/usr/local/sbin/sc"}) == "755\n");
  // The upgrade hooks ran with the new sc: the sudoers file is current.
  const std::string sudoers = sc::test::read_text(c.path("c1", "/etc/sudoers.d/sc"));
  CHECK(sudoers != stale);
  CHECK_THAT(sudoers, Contains("%sudo"));
  // One connection for the comparison, the list and the copy; one more for
  // the pull the new sc does.
  CHECK(count_of(c.sshd_log("m"), "Accepted publickey") == sessions + 2);

  // The same version now: nothing fetched, one connection per pull.
  r = c.sc("c1", {"--json", "master", "update_sc"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  const size_t again = count_of(c.sshd_log("m"), "Accepted publickey");
  const std::string before = sums_on(c, "c1");
  r = c.sc("c1", {"--json", "master", "pull"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(json::parse(r.out)["result"]["master"] == "m");
  CHECK(count_of(c.sshd_log("m"), "Accepted publickey") == again + 1);
  CHECK(sums_on(c, "c1") == before);
  r = c.sc("c1", {"--json", "update", "follow", "m"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(json::parse(r.out)["result"]["action"] == "same");

  // The master is older than this host now: nothing changes.
  out_ok(c, "c1", {"cp", kScNextMajor, "/usr/local/sbin/sc.new"});
  out_ok(c, "c1", {"mv", "/usr/local/sbin/sc.new", "/usr/local/sbin/sc"});
  r = c.sc("c1", {"--json", "update", "follow", "m"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(json::parse(r.out)["result"]["action"] == "peer_older");
  CHECK(version_on(c, "c1") == std::string(kScNextMajorVersion) + "\n");
}

TEST_CASE("code follows the master: a list that does not match, a hostile list, a newer major: nothing installed",
          "[master][cluster]") {
  Cluster c({"m", "c1"}, own_copies());
  make_pair(c, kScNextMinor);
  const std::string old = version_on(c, "c1");
  const std::string sums = sums_on(c, "c1");

  // m answers `update release files` with a list edited by the test, through
  // a wrapper named by SSHLINK_REMOTE_SC: c1 gets m's real files, one of
  // which no longer matches its SHA-256.
  ScRun r = c.sc("m", {"--json", "update", "release", "files"});
  REQUIRE(r.status == 0);
  json doc = json::parse(r.out);
  json& files = doc["result"]["files"];
  REQUIRE(files.size() > 2);
  for (auto& f : files)
    if (f["path"] == "usr/local/lib/sc/user.so") f["sha256"] = std::string(64, '0');
  sc::test::write_text(c.path("m", "/root/list.json"), doc.dump());
  sc::test::write_text(c.path("m", "/root/lying-sc"),
                       "#!/bin/sh\n"
                       "case \"$*\" in *'update release files'*) cat /root/list.json; exit 0;; esac\n"
                       "exec /usr/local/sbin/sc \"$@\"\n");
  out_ok(c, "m", {"chmod", "0755", "/root/lying-sc"});
  run_ok(c, "c1", {"settings", "set", "SSHLINK_REMOTE_SC", "/root/lying-sc"});

  r = c.sc("c1", {"master", "pull"});
  INFO(r.out << r.err);
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("/usr/local/lib/sc/user.so copied from m has SHA-256"));
  CHECK_THAT(r.err, Contains("0000000000000000000000000000000000000000000000000000000000000000"));
  CHECK_THAT(r.err, Contains("nothing was installed"));
  CHECK(sums_on(c, "c1") == sums);
  CHECK(version_on(c, "c1") == old);  // the old sc still runs

  // Hostile lists: a file outside sc's, a path with "..", a bad mode.
  for (const char* bad : {"etc/shadow", "usr/local/lib/sc/../../../../etc/shadow"}) {
    json hostile = doc;
    hostile["result"]["files"][0]["path"] = bad;
    sc::test::write_text(c.path("m", "/root/list.json"), hostile.dump());
    r = c.sc("c1", {"master", "update_sc"});
    INFO(bad << ": " << r.out << r.err);
    CHECK(r.status == 1);
    CHECK_THAT(r.err, Contains("m's list of sc's files is refused"));
    CHECK_THAT(r.err, Contains("nothing was installed"));
  }
  json hostile = doc;
  hostile["result"]["files"][0]["mode"] = "4755";
  sc::test::write_text(c.path("m", "/root/list.json"), hostile.dump());
  r = c.sc("c1", {"master", "update_sc"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("is not 0644 or 0755"));
  CHECK(sums_on(c, "c1") == sums);
  run_ok(c, "c1", {"settings", "del", "SSHLINK_REMOTE_SC"});

  // A newer major on the master: refused, naming both versions.
  out_ok(c, "m", {"cp", kScNextMajor, "/usr/local/sbin/sc.new"});
  out_ok(c, "m", {"mv", "/usr/local/sbin/sc.new", "/usr/local/sbin/sc"});
  r = c.sc("c1", {"master", "pull"});
  INFO(r.out << r.err);
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("refusing to update sc " + old.substr(0, old.size() - 1) + " to " + kScNextMajorVersion +
                             " from m"));
  CHECK_THAT(r.err, Contains("nothing was changed"));
  CHECK(sums_on(c, "c1") == sums);
  CHECK(version_on(c, "c1") == old);
  // cron and boot follow first too.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"master", "cron", "fast"}, std::vector<std::string>{"master", "boot"}}) {
    r = c.sc("c1", args);
    INFO(args.at(1) << ": " << r.out << r.err);
    CHECK(r.status == 1);
    CHECK_THAT(r.err, Contains("refusing to update sc"));
  }
  CHECK(sums_on(c, "c1") == sums);

  // Without the update module here, a pull says it cannot follow and goes
  // on; update_sc fails saying so.
  out_ok(c, "c1", {"rm", "/usr/local/lib/sc/update.so", "/usr/local/lib/sc/update.json"});
  r = c.sc("c1", {"master", "pull"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("cannot follow its master's sc: the update module is not installed"));
  r = c.sc("c1", {"master", "update_sc"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("package synccluster-plugin-update"));
}
