// unisonsync between real hosts of the test cluster (tests/support/
// CLUSTER.md): sc for real on each host, no --root, real unison over each
// host's own sshd, real mounts in a host's own namespace.
#include <fcntl.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>

#include "../../crontask/cron_line.hpp"
#include "../profile.hpp"
#include "cluster.hpp"
#include "sync_test_files.hpp"

using namespace sc::test;
using Catch::Contains;
using json = nlohmann::json;
using unisonsync_test::copies;
using unisonsync_test::doc;
using unisonsync_test::kOdd;
using unisonsync_test::put;

namespace {

/// What `ls -A` shows of a directory inside a host (its own mounts).
std::string listing(const Cluster& c, const std::string& host, const std::string& dir) {
  auto r = c.on(host, {"ls", "-A", "--", dir});
  return r.out;
}

}  // namespace

TEST_CASE("unisonsync between two hosts: conflicts kept, listed and resolved", "[unisonsync][cluster]") {
  Cluster c({"m", "c1"});
  c.trust_all();
  const fs::path on_m = c.path("m", "/srv/mass");
  const fs::path on_c1 = c.path("c1", "/srv/mass");
  fs::create_directories(on_c1);
  put(on_m / "a.txt", "a\n", -300);
  put(on_m / kOdd, "odd\n", -300);
  put(on_m / "docs/deep.txt", "deep\n", -300);
  put(on_m / "docs/other.txt", "other\n", -300);

  // The first sync fills the client's empty directory only when asked to.
  ScRun r = c.sc("c1", {"unisonsync", "start", "m", "/srv/mass", "/srv/mass", "daily"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("first sync of daily:m:_srv_mass refused: /srv/mass on c1 is empty while /srv/mass on m "
                             "is not"));
  CHECK(fs::is_empty(on_c1));
  r = c.sc("c1", {"unisonsync", "start", "m", "/srv/mass", "/srv/mass", "daily", "--fill-empty"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(read_text(on_c1 / kOdd) == "odd\n");
  CHECK(read_text(on_c1 / "docs/deep.txt") == "deep\n");
  // The profile, and the cron task as crontask writes it for c1.
  unisonsync::Sync s{"m", "/srv/mass", "/srv/mass", "daily", true};
  CHECK(read_text(c.path("c1", "/var/lib/sc/unisonsync/unison/daily:m:_srv_mass.prf")) ==
        unisonsync::sync_profile(s, "/srv/mass"));
  crontask::Task task;
  task.module = "unisonsync";
  task.period = "daily";
  task.sc_binary = "/usr/local/bin/sc";
  std::string id = read_text(c.path("c1", "/etc/machine-id"));
  task.schedule = crontask::schedule(id.substr(0, id.find('\n')), "unisonsync", "daily");
  CHECK(read_text(c.path("c1", "/etc/cron.d/sc_unisonsync_daily")) == crontask::cron_file(task));

  // Both hosts change the same files; one deletes what the other changes.
  put(on_c1 / "a.txt", "c1 a\n", -100);
  put(on_m / "a.txt", "m a\n", -50);
  put(on_c1 / kOdd, "c1 odd\n", -20);
  put(on_m / kOdd, "m odd\n", -60);
  fs::remove(on_c1 / "docs/deep.txt");
  put(on_m / "docs/deep.txt", "m deep\n", -30);
  fs::remove(on_m / "docs/other.txt");
  put(on_c1 / "docs/other.txt", "c1 other\n", -30);
  r = c.sc("c1", {"unisonsync", "cron", "daily"});  // what cron runs
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  for (const fs::path& side : {on_m, on_c1}) {
    INFO(side);
    CHECK(read_text(side / "a.txt") == "m a\n");
    REQUIRE(copies(side, "a").size() == 1);
    CHECK(read_text(side / copies(side, "a")[0]) == "c1 a\n");
    CHECK(read_text(side / kOdd) == "c1 odd\n");
    REQUIRE(copies(side, kOdd).size() == 1);
    CHECK(read_text(side / copies(side, kOdd)[0]) == "m odd\n");
    CHECK(read_text(side / "docs/deep.txt") == "m deep\n");
    CHECK(read_text(side / "docs/other.txt") == "c1 other\n");
  }
  json list = doc(c.sc("c1", {"--json", "unisonsync", "conflicts"}))["result"];
  REQUIRE(list.size() == 4);
  std::map<std::string, json> by;
  for (const auto& e : list) by[e["path"].get<std::string>()] = e;
  json a = by.at("/srv/mass/a.txt");
  CHECK(a["kind"] == "both-changed");
  CHECK(a["local_host"] == "c1");
  CHECK(a["remote_host"] == "m");
  CHECK(a["kept_host"] == "m");
  CHECK(a["local_time"] < a["remote_time"]);
  CHECK(a["other_copy"] == "/srv/mass/" + copies(on_c1, "a")[0]);
  CHECK(a["other_copy_hosts"] == json::array({"c1", "m"}));
  CHECK(by.at("/srv/mass/" + kOdd)["kept_host"] == "c1");
  CHECK(by.at("/srv/mass/docs/deep.txt")["kind"] == "deleted-here");
  CHECK(by.at("/srv/mass/docs/other.txt")["kind"] == "deleted-there");
  r = c.sc("c1", {"unisonsync", "ready"});
  CHECK(r.status == 1);
  CHECK_THAT(r.out, Contains("4 unresolved conflicts"));

  // Resolve each way.
  r = c.sc("c1", {"unisonsync", "resolve", "/srv/mass/a.txt", "keep-local"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  r = c.sc("c1", {"unisonsync", "resolve", "/srv/mass/" + kOdd, "keep-remote"});
  CHECK(r.status == 0);
  r = c.sc("c1", {"unisonsync", "resolve", "/srv/mass/docs/deep.txt", "keep-both"});
  CHECK(r.status == 0);
  r = c.sc("c1", {"unisonsync", "resolve", "/srv/mass/docs/other.txt", "keep-remote"});
  CHECK(r.status == 0);
  for (const fs::path& side : {on_m, on_c1}) {
    INFO(side);
    CHECK(read_text(side / "a.txt") == "c1 a\n");
    CHECK(copies(side, "a").empty());
    CHECK(read_text(side / kOdd) == "m odd\n");
    CHECK(copies(side, kOdd).empty());
    CHECK(read_text(side / "docs/deep.txt") == "m deep\n");
    CHECK_FALSE(fs::exists(side / "docs/other.txt"));
  }
  CHECK(doc(c.sc("c1", {"--json", "unisonsync", "conflicts"}))["result"].empty());
  CHECK(c.sc("c1", {"unisonsync", "ready"}).status == 0);
}

TEST_CASE("unisonsync between two hosts: an unmounted /srv never empties the peer", "[unisonsync][cluster]") {
  Cluster c({"m", "c1"});
  c.trust_all();
  const fs::path on_m = c.path("m", "/srv/disk");
  put(on_m / "photo.jpg", "jpeg\n", -300);
  put(on_m / "album/p2.jpg", "jpeg 2\n", -300);
  const std::string m_before = tree_hash(on_m);
  // c1 keeps the directory on a file system of its own (a tmpfs in its
  // namespace, listed in its /etc/fstab), not mounted yet.
  auto sh =
      c.on("c1", {"sh", "-c", "mkdir -p /srv/disk && echo 'tmpfs /srv/disk tmpfs noauto,size=16m 0 0' >> /etc/fstab"});
  REQUIRE(sh.ok());
  ScRun r = c.sc("c1", {"unisonsync", "start", "m", "/srv/disk", "/srv/disk", "hourly", "--fill-empty"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("/srv/disk is on /srv/disk, which /etc/fstab mounts but is not mounted on c1"));
  CHECK(fs::is_empty(c.path("c1", "/srv/disk")));

  REQUIRE(c.on("c1", {"mount", "/srv/disk"}).ok());
  r = c.sc("c1", {"unisonsync", "start", "m", "/srv/disk", "/srv/disk", "hourly", "--fill-empty"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(listing(c, "c1", "/srv/disk") == ".sc-unisonsync\nalbum\nphoto.jpg\n");
  CHECK(c.on("c1", {"cat", "/srv/disk/album/p2.jpg"}).out == "jpeg 2\n");

  // Unmounted: the directory under it is empty; nothing moves either way.
  REQUIRE(c.on("c1", {"umount", "/srv/disk"}).ok());
  r = c.sc("c1", {"unisonsync", "start", "m", "/srv/disk", "/srv/disk", "hourly"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("unison ended with status 3"));
  CHECK_THAT(r.err, Contains("lacks its marker .sc-unisonsync"));
  CHECK_THAT(r.err, Contains("host c1"));
  CHECK(listing(c, "c1", "/srv/disk").empty());
  // A fresh (empty) file system mounted there: refused as well.
  REQUIRE(c.on("c1", {"mount", "/srv/disk"}).ok());
  r = c.sc("c1", {"unisonsync", "cron", "hourly"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("lacks its marker"));
  CHECK(listing(c, "c1", "/srv/disk").empty());
  // The peer lost nothing, and unison touched nothing there but its marker.
  fs::remove(on_m / ".sc-unisonsync");
  CHECK(tree_hash(on_m) == m_before);
  r = c.sc("c1", {"--json", "unisonsync", "list"});
  json row = doc(r)["result"][0];
  CHECK(row["last_run"]["ok"] == false);
  CHECK(row["last_run"]["unison_status"] == 3);
}

TEST_CASE("unisonsync between three hosts: a standby takes its master's synchronisations", "[unisonsync][cluster]") {
  Cluster c({"m", "peer", "standby"});
  c.trust_all();
  put(c.path("peer", "/srv/share/f.txt"), "f\n", -100);
  fs::create_directories(c.path("m", "/srv/share"));
  put(c.path("m", "/srv/share/g.txt"), "g\n", -100);
  ScRun r = c.sc("m", {"unisonsync", "start", "peer", "/srv/share", "/srv/share", "weekly"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  json files = doc(c.sc("m", {"--json", "unisonsync", "files"}))["result"];
  CHECK(files == json::array({"/var/lib/sc/unisonsync/unison/weekly:peer:_srv_share.prf"}));

  // A client host takes nothing; a standby takes the profile and its schedule.
  r = c.sc("standby", {"unisonsync", "sync", "m", "client"});
  CHECK(r.status == 0);
  CHECK_FALSE(fs::exists(c.path("standby", "/var/lib/sc/unisonsync/unison/weekly:peer:_srv_share.prf")));
  r = c.sc("standby", {"unisonsync", "sync", "m", "standby"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(read_text(c.path("standby", "/var/lib/sc/unisonsync/unison/weekly:peer:_srv_share.prf")) ==
        read_text(c.path("m", "/var/lib/sc/unisonsync/unison/weekly:peer:_srv_share.prf")));
  CHECK(fs::exists(c.path("standby", "/etc/cron.d/sc_unisonsync_weekly")));
  // Its own first sync is checked as such: its /srv/share is missing.
  r = c.sc("standby", {"unisonsync", "cron", "weekly"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("/srv/share does not exist on standby"));
}
