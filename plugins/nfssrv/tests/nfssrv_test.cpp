// nfssrv's commands run by the built sc under --root: the exact server
// files and the argv of every program (exportfs, systemctl, apt-get) as the
// planned actions record them. The kernel's server cannot run here; the
// NFS-Ganesha configuration is served for real in nfssrv_ganesha_test.cpp.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../exports.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

namespace {

// What nfs-kernel-server installs as /etc/exports: comments only.
const std::string kDebianExports =
    "# /etc/exports: the access control list for filesystems which may be exported\n"
    "#\t\tto NFS clients.  See exports(5).\n";

void make_server_root(const fs::path& root) {
  write_text(root / "etc/exports", kDebianExports);
  write_text(root / "usr/sbin/exportfs", "", fs::perms(0755));
  fs::create_directories(root / "home/alice");
  fs::create_directories(root / "srv/mass");
}

json doc_of(const ScRun& r) {
  INFO(r.out << r.err);
  return json::parse(r.out);
}

std::string exports_of(const std::vector<std::string>& paths, const std::vector<std::string>& clients,
                       const std::vector<std::string>& missing = {}) {
  nfssrv::Exports e;
  e.paths = paths;
  e.clients = clients;
  e.missing = missing;
  return nfssrv::exports_file(e);
}

}  // namespace

TEST_CASE("nfssrv with the kernel's server: setup, allow, add, del", "[nfssrv]") {
  TempDir root;
  make_server_root(root.path());
  const std::string before = tree_hash(root.path());
  ScRun r = run_sc_rooted(root.path(), {"--dry-run", "nfssrv", "setup"});
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("would change: write /etc/exports") && Contains("would run: exportfs -ra"));
  CHECK(tree_hash(root.path()) == before);
  r = run_sc_rooted(root.path(), {"--dry-run", "--json", "nfssrv", "setup"});
  CHECK(run_actions(r) == std::vector<std::string>{"exportfs -ra planned", "systemctl enable nfs-server planned",
                                                   "systemctl restart nfs-server planned"});
  CHECK(tree_hash(root.path()) == before);

  r = run_sc_rooted(root.path(), {"--json", "nfssrv", "setup"});
  REQUIRE(doc_of(r)["status"] == 0);
  CHECK(run_actions(r) == std::vector<std::string>{"exportfs -ra recorded", "systemctl enable nfs-server recorded",
                                                   "systemctl restart nfs-server recorded"});
  // No client yet: nothing is exported, and setup says so.
  CHECK(read_text(root / "etc/exports") == exports_of({"/home", "/srv/mass"}, {}));
  CHECK_THAT(r.out, Contains("no client is allowed yet"));
  CHECK_FALSE(fs::exists(root / "etc/exports.sc-old"));  // Debian's comments are not kept
  CHECK(doc_of(r)["result"]["server"] == "kernel");
  CHECK_THAT(doc_of(r)["result"]["why"].get<std::string>(), Contains("--root"));
  CHECK(run_sc_rooted(root.path(), {"nfssrv", "ready"}).status == 0);

  r = run_sc_rooted(root.path(), {"--json", "nfssrv", "allow", "c1.example.com"});
  REQUIRE(doc_of(r)["status"] == 0);
  CHECK(run_actions(r) == std::vector<std::string>{"exportfs -ra recorded"});
  CHECK(read_text(root / "etc/exports") == exports_of({"/home", "/srv/mass"}, {"c1.example.com"}));
  CHECK(read_text(root / "etc/exports") ==
        exports_of({}, {}).substr(0, exports_of({}, {}).find("# No")) +
            "/home c1.example.com(rw,sync,no_subtree_check)\n/srv/mass c1.example.com(rw,sync,no_subtree_check)\n");
  CHECK(run_sc_rooted(root.path(), {"nfssrv", "allow", "10.0.0.0/24"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"settings", "get", "NFSSRV_CLIENTS"}).out == "c1.example.com 10.0.0.0/24\n");

  fs::create_directories(root / "srv/media");
  r = run_sc_rooted(root.path(), {"--json", "nfssrv", "add", "/srv/media/"});
  REQUIRE(doc_of(r)["status"] == 0);
  CHECK(read_text(root / "etc/exports") ==
        exports_of({"/home", "/srv/mass", "/srv/media"}, {"c1.example.com", "10.0.0.0/24"}));
  CHECK(run_sc_rooted(root.path(), {"nfssrv", "has", "/srv/media"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"nfssrv", "has", "/srv"}).status == 1);

  // Again: nothing changes, exportfs does not run.
  r = run_sc_rooted(root.path(), {"--json", "nfssrv", "add", "/srv/media"});
  CHECK(doc_of(r)["summary"]["changed"] == 0);
  CHECK(run_actions(r).empty());
  r = run_sc_rooted(root.path(), {"--json", "nfssrv", "setup"});
  CHECK(doc_of(r)["summary"]["changed"] == 0);
  CHECK(run_actions(r).empty());

  // A directory that goes away is left out, and said.
  fs::remove(root / "srv/mass");
  r = run_sc_rooted(root.path(), {"--json", "nfssrv", "conf"});
  CHECK(read_text(root / "etc/exports") ==
        exports_of({"/home", "/srv/media"}, {"c1.example.com", "10.0.0.0/24"}, {"/srv/mass"}));
  CHECK(run_sc_rooted(root.path(), {"nfssrv", "list"}).out ==
        "/home c1.example.com 10.0.0.0/24\n"
        "/srv/mass (not a directory: not exported)\n"
        "/srv/media c1.example.com 10.0.0.0/24\n");
  json items = doc_of(run_sc_rooted(root.path(), {"--json", "nfssrv", "list"}))["result"];
  CHECK(items[1] == json{{"path", "/srv/mass"}, {"directory", false}, {"clients", {"c1.example.com", "10.0.0.0/24"}}});
  CHECK(run_sc_rooted(root.path(), {"nfssrv", "clients"}).out == "c1.example.com\n10.0.0.0/24\n");

  r = run_sc_rooted(root.path(), {"--json", "nfssrv", "del", "/srv/mass"});
  CHECK(run_sc_rooted(root.path(), {"settings", "get", "NFSSRV_EXPORTS"}).out == "/home /srv/media\n");
  r = run_sc_rooted(root.path(), {"--json", "nfssrv", "deny", "c1.example.com"});
  CHECK(run_actions(r) == std::vector<std::string>{"exportfs -ra recorded"});
  CHECK(read_text(root / "etc/exports") == exports_of({"/home", "/srv/media"}, {"10.0.0.0/24"}));
  // The exported directories' files are never touched.
  CHECK(fs::is_directory(root / "home/alice"));

  // An edit by hand: not ready; conf puts it back.
  write_text(root / "etc/exports", "/ *(rw)\n");
  CHECK(run_sc_rooted(root.path(), {"nfssrv", "ready"}).status == 1);
  r = run_sc_rooted(root.path(), {"--json", "nfssrv", "conf"});
  CHECK(read_text(root / "etc/exports") == exports_of({"/home", "/srv/media"}, {"10.0.0.0/24"}));
  // What the user had is kept once, beside it.
  CHECK(read_text(root / "etc/exports.sc-old") == "/ *(rw)\n");
  CHECK(run_sc_rooted(root.path(), {"nfssrv", "ready"}).status == 0);
  CHECK(doc_of(run_sc_rooted(root.path(), {"--json", "nfssrv", "files"}))["result"] == json{"/etc/exports"});

  r = run_sc_rooted(root.path(), {"--json", "nfssrv", "cleanup"});
  CHECK(run_actions(r) == std::vector<std::string>{"exportfs -ra recorded"});
  CHECK(read_text(root / "etc/exports") == nfssrv::exports_file({}));
  CHECK(run_sc_rooted(root.path(), {"settings", "get", "NFSSRV_CLIENTS"}).out == "10.0.0.0/24\n");
}

TEST_CASE("nfssrv with NFS-Ganesha: setup retires the kernel's exports", "[nfssrv]") {
  TempDir root;
  make_server_root(root.path());
  REQUIRE(run_sc_rooted(root.path(), {"nfssrv", "allow", "c1"}).status == 0);
  REQUIRE(read_text(root / "etc/exports") == exports_of({"/home", "/srv/mass"}, {"c1"}));
  REQUIRE(run_sc_rooted(root.path(), {"settings", "set", "NFSSRV_SERVER", "ganesha"}).status == 0);
  // Debian's ganesha.conf is all comments.
  write_text(root / "etc/ganesha/ganesha.conf", "###################################################\n#\n# EXPORT\n");

  ScRun r = run_sc_rooted(root.path(), {"--json", "nfssrv", "setup"});
  REQUIRE(doc_of(r)["status"] == 0);
  CHECK(run_actions(r) ==
        std::vector<std::string>{"apt-get update recorded",
                                 "apt-get install -y --no-install-recommends nfs-ganesha nfs-ganesha-vfs recorded",
                                 "exportfs -ra recorded", "systemctl stop nfs-server recorded",
                                 "systemctl disable nfs-server recorded", "systemctl enable nfs-ganesha recorded",
                                 "systemctl restart nfs-ganesha recorded"});
  CHECK(read_text(root / "etc/exports") == nfssrv::exports_file({}));
  nfssrv::Exports e;
  e.paths = {"/home", "/srv/mass"};
  e.clients = {"c1"};
  CHECK(read_text(root / "etc/ganesha/ganesha.conf") == nfssrv::ganesha_conf(e, {}));
  CHECK_FALSE(fs::exists(root / "etc/ganesha/ganesha.conf.sc-old"));
  CHECK(doc_of(r)["result"]["server"] == "ganesha");
  CHECK(doc_of(r)["result"]["file"] == "/etc/ganesha/ganesha.conf");

  // A changed port and a new client: NFS-Ganesha restarts.
  REQUIRE(run_sc_rooted(root.path(), {"settings", "set", "NFSSRV_GANESHA_PORT", "20490"}).status == 0);
  r = run_sc_rooted(root.path(), {"--json", "nfssrv", "allow", "c2"});
  CHECK(run_actions(r) ==
        std::vector<std::string>{"systemctl enable nfs-ganesha recorded", "systemctl restart nfs-ganesha recorded"});
  e.clients = {"c1", "c2"};
  CHECK(read_text(root / "etc/ganesha/ganesha.conf") == nfssrv::ganesha_conf(e, {20490, ""}));
  // New exports only: a reload (SIGHUP), which keeps the clients' state.
  r = run_sc_rooted(root.path(), {"--json", "nfssrv", "allow", "c3"});
  CHECK(run_actions(r) == std::vector<std::string>{"systemctl reload-or-restart nfs-ganesha recorded"});
  CHECK(doc_of(r)["output"] == "/home /srv/mass exported to c1 c2 c3\n");
  r = run_sc_rooted(root.path(), {"--json", "nfssrv", "deny", "c3"});
  CHECK(run_actions(r) == std::vector<std::string>{"systemctl reload-or-restart nfs-ganesha recorded"});
  // Once the packages are there, setup again changes and runs nothing.
  write_text(root / "usr/bin/ganesha.nfsd", "", fs::perms(0755));
  write_text(root / "var/lib/dpkg/status",
             "Package: nfs-ganesha-vfs\nStatus: install ok installed\nPriority: optional\nSection: net\n"
             "Maintainer: Test <t@example.org>\nArchitecture: amd64\nVersion: 4.3-2\nDescription: test\n\n");
  r = run_sc_rooted(root.path(), {"--json", "nfssrv", "setup"});
  CHECK(run_actions(r) == std::vector<std::string>{});
  CHECK(doc_of(r)["summary"]["changed"] == 0);
  CHECK(run_sc_rooted(root.path(), {"nfssrv", "ready"}).status == 0);
  json files = doc_of(run_sc_rooted(root.path(), {"--json", "nfssrv", "files"}))["result"];
  CHECK(files == json{"/etc/exports", "/etc/ganesha/ganesha.conf"});

  // restore: written anew from the (restored) settings.
  write_text(root / "etc/ganesha/ganesha.conf", "# lost\n");
  r = run_sc_rooted(root.path(), {"--json", "nfssrv", "restore", "/srv/backup/node1/daily/2026"});
  REQUIRE(doc_of(r)["status"] == 0);
  CHECK(read_text(root / "etc/ganesha/ganesha.conf") == nfssrv::ganesha_conf(e, {20490, ""}));

  r = run_sc_rooted(root.path(), {"--json", "nfssrv", "cleanup"});
  CHECK(run_actions(r) ==
        std::vector<std::string>{"systemctl stop nfs-ganesha recorded", "systemctl disable nfs-ganesha recorded"});
  CHECK(read_text(root / "etc/ganesha/ganesha.conf") == nfssrv::ganesha_conf({}, {20490, ""}));
}

TEST_CASE("nfssrv refuses bad input and bad settings, changing nothing", "[nfssrv]") {
  TempDir root;
  make_server_root(root.path());
  write_text(root / "srv/file", "x\n");
  auto refused = [&](const std::vector<std::string>& args, const std::string& message) {
    check_refused(root.path(), "nfssrv", args, message);
  };
  for (const auto& bad : hostile_strings()) {
    refused({"add", bad}, "PATH");
    refused({"del", bad}, "PATH");
    refused({"has", bad}, "PATH");
    refused({"allow", bad}, "CLIENT");
    refused({"deny", bad}, "CLIENT");
  }
  refused({"allow", "*"}, "wildcards are refused");
  refused({"allow", "*.example.com"}, "wildcards are refused");
  refused({"add", "/"}, "whole file system");
  refused({"add", "/srv/none"}, "is not a directory on this host");
  refused({"add", "/srv/file"}, "is not a directory on this host");
  refused({"add", "/srv/a b"}, "white space");
  refused({"add"}, "usage: sc nfssrv add PATH");
  refused({"allow", "a", "b"}, "too many arguments");

  // Settings set by hand are checked before anything is written.
  for (const std::string& setting :
       {std::string("NFSSRV_EXPORTS=/home relative"), std::string("NFSSRV_CLIENTS=c1 *"),
        std::string("NFSSRV_GANESHA_BIND=host.example.com"), std::string("NFSSRV_EXPORTS=/")}) {
    INFO(setting);
    const std::string before = tree_hash(root.path());
    ScRun r = run_sc_rooted(root.path(), {"--set", setting, "nfssrv", "conf"});
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Contains(setting.substr(0, setting.find('='))));
    CHECK(tree_hash(root.path()) == before);
  }
  ScRun r = run_sc_rooted(root.path(), {"--set", "NFSSRV_SERVER=nfsd", "nfssrv", "conf"});
  CHECK(r.status == 2);
  r = run_sc_rooted(root.path(), {"--set", "NFSSRV_GANESHA_PORT=0", "nfssrv", "conf"});
  CHECK(r.status == 2);
}
