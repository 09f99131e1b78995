// mass on the test cluster (tests/support/CLUSTER.md) and under --root for
// the NFS mode (no kernel NFS here): the shared modes are put in place by
// their modules, a change of mode removes the previous one first, and no
// file is lost on the way.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cluster.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

namespace {
/// The directories /srv/mass.local-* of a host (seen from the test).
std::vector<fs::path> aside_dirs(const Cluster& c, const std::string& host) {
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator(c.path(host, "/srv")))
    if (e.path().filename().string().rfind("mass.local-", 0) == 0) found.push_back(e.path());
  return found;
}
}  // namespace

TEST_CASE("cluster: mass on c1 switches from its own storage to m's over sshfs and back, losing no file",
          "[mass][cluster]") {
  Cluster c({"m", "c1"});
  c.trust_all();
  ScRun r = c.sc("m", {"--set", "MASS_MODE=separated", "--set", "MASS_BACKUP=yes", "mass", "setup"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  REQUIRE(c.on("m", {"sh", "-c", "echo from m > /srv/mass/hello.txt"}).ok());
  r = c.sc("m", {"--json", "mass", "files"});
  CHECK(json::parse(r.out)["result"] == json::array({"/srv/mass"}));

  // c1 kept its own files first.
  r = c.sc("c1", {"--set", "MASS_MODE=separated", "--set", "MASS_BACKUP=yes", "mass", "setup"});
  REQUIRE(r.status == 0);
  REQUIRE(c.on("c1", {"sh", "-c", "echo kept on c1 > /srv/mass/local.txt"}).ok());
  const std::string fstab_before = read_text(c.path("c1", "/etc/fstab"));

  // Now m's, mounted: what c1 kept is moved aside, not hidden, not lost.
  r = c.sc("c1", {"--set", "MASS_MODE=sshfs", "--set", "MASS_HOST=m", "--set", "SSHSHARE_TIMEOUT=8", "mass", "setup"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.err, Contains("are now in /srv/mass.local-"));
  CHECK(c.on("c1", {"cat", "/srv/mass/hello.txt"}).out == "from m\n");
  auto aside = aside_dirs(c, "c1");
  REQUIRE(aside.size() == 1);
  CHECK(read_text(aside[0] / "local.txt") == "kept on c1\n");
  CHECK(c.on("c1", {"findmnt", "-n", "-o", "FSTYPE,SOURCE", "/srv/mass"}).out == "fuse.sshfs m:/srv/mass\n");
  CHECK(c.sc("c1", {"mass", "mode"}).out == "sshfs m:/srv/mass\n");
  CHECK(c.sc("c1", {"mass", "ready"}).status == 0);
  // A shared copy is not backed up here.
  r = c.sc("c1", {"--json", "mass", "files"});
  CHECK(json::parse(r.out)["result"] == json::array());
  // Written on c1, it is m's.
  REQUIRE(c.on("c1", {"sh", "-c", "echo from c1 > /srv/mass/reply.txt"}).ok());
  CHECK(read_text(c.path("m", "/srv/mass/reply.txt")) == "from c1\n");

  // Again: nothing changes, nothing more is moved aside.
  r = c.sc("c1", {"--json", "mass", "setup"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(json::parse(r.out)["summary"]["changed"] == 0);
  CHECK(aside_dirs(c, "c1").size() == 1);

  // Back to its own storage: the mount is removed first, fstab is as before,
  // m's files stay on m, what c1 kept is still aside.
  r = c.sc("c1", {"--set", "MASS_MODE=separated", "mass", "setup"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK_FALSE(c.on("c1", {"findmnt", "/srv/mass"}).ok());
  CHECK(read_text(c.path("c1", "/etc/fstab")) == fstab_before);
  CHECK(c.sc("c1", {"mass", "mode"}).out == "separated, backed up\n");
  CHECK(c.sc("c1", {"mass", "ready"}).status == 0);
  CHECK(read_text(c.path("m", "/srv/mass/hello.txt")) == "from m\n");
  CHECK(read_text(c.path("m", "/srv/mass/reply.txt")) == "from c1\n");
  CHECK(read_text(aside_dirs(c, "c1").at(0) / "local.txt") == "kept on c1\n");

  // A shared mode, then cleanup: unmounted, settings forgotten, files kept.
  REQUIRE(c.sc("c1", {"--set", "MASS_MODE=sshfs", "mass", "setup"}).status == 0);
  r = c.sc("c1", {"mass", "cleanup"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK_FALSE(c.on("c1", {"findmnt", "/srv/mass"}).ok());
  CHECK(read_text(c.path("c1", "/etc/fstab")) == fstab_before);
  CHECK(c.sc("c1", {"mass", "mode"}).out == "not set up\n");
  CHECK(read_text(c.path("m", "/srv/mass/reply.txt")) == "from c1\n");
}

TEST_CASE("mass nfs4 under --root: nfsclient's fstab entry with FS-Cache, and removed when the mode changes",
          "[mass]") {
  TempDir root;
  fs::create_directories(root / "etc");
  write_text(root / "etc/fstab", "# static file system information\n");
  write_text(root / "srv/mass/mine.txt", "this host's\n");
  ScRun r = run_sc_rooted(root.path(), {"--set", "MASS_MODE=nfs4", "--set", "MASS_HOST=m", "mass", "setup"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(read_text(root / "etc/fstab") ==
        "# static file system information\n"
        "m:/srv/mass /srv/mass nfs4 rw,hard,rsize=131072,wsize=131072,_netdev,noauto,x-systemd.automount,fsc 0 0\n");
  CHECK_THAT(r.err, Contains("not run: mount /srv/mass"));
  // The files this host kept are aside; the mount point is empty.
  CHECK(fs::is_empty(root / "srv/mass"));
  bool found = false;
  for (const auto& e : fs::directory_iterator(root / "srv"))
    if (e.path().filename().string().rfind("mass.local-", 0) == 0)
      found = read_text(e.path() / "mine.txt") == "this host's\n";
  CHECK(found);
  CHECK(run_sc_rooted(root.path(), {"mass", "mode"}).out == "nfs4 m:/srv/mass\n");

  r = run_sc_rooted(root.path(), {"--set", "MASS_MODE=separated", "--set", "MASS_BACKUP=no", "mass", "setup"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.err, Contains("not run: umount /srv/mass"));
  CHECK(read_text(root / "etc/fstab") == "# static file system information\n");
  CHECK(run_sc_rooted(root.path(), {"mass", "mode"}).out == "separated\n");
}

TEST_CASE("cluster: mass on c1 in unison mode keeps a copy of m's /srv/mass, and switching away keeps it",
          "[mass][cluster]") {
  Cluster c({"m", "c1"});
  c.trust_all();
  REQUIRE(c.sc("m", {"--set", "MASS_MODE=separated", "--set", "MASS_BACKUP=yes", "mass", "setup"}).status == 0);
  REQUIRE(c.on("m", {"sh", "-c", "echo from m > /srv/mass/hello.txt"}).ok());

  // An empty /srv/mass on c1 takes m's files at the first sync.
  ScRun r = c.sc("c1", {"--set", "MASS_MODE=unison", "--set", "MASS_HOST=m", "mass", "setup"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(c.sc("c1", {"mass", "mode"}).out == "unison m:/srv/mass (daily)\n");
  CHECK(c.sc("c1", {"unisonsync", "has", "m", "/srv/mass", "daily"}).status == 0);
  r = c.sc("c1", {"unisonsync", "start", "m", "/srv/mass", "/srv/mass", "daily"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(read_text(c.path("c1", "/srv/mass/hello.txt")) == "from m\n");
  CHECK(c.sc("c1", {"mass", "ready"}).status == 0);

  // Switching to separated removes the sync and keeps the local copy.
  r = c.sc("c1", {"--set", "MASS_MODE=separated", "--set", "MASS_BACKUP=no", "mass", "setup"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(c.sc("c1", {"unisonsync", "has", "m", "/srv/mass", "daily"}).status == 1);
  CHECK(read_text(c.path("c1", "/srv/mass/hello.txt")) == "from m\n");
  CHECK(read_text(c.path("m", "/srv/mass/hello.txt")) == "from m\n");
}
