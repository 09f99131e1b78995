// Issue 19: the Ansible collection of contrib/ansible (synccluster.sc) on
// real hosts of the test cluster (tests/support/CLUSTER.md). The collection
// is built with `ansible-galaxy collection build` and installed with
// `ansible-galaxy collection install` inside the host m, which is the
// controller: Debian 12's ansible-core runs there (`ansible-playbook`), and
// reaches the targets over the cluster's real sshd with root@m's key, as an
// administrator's machine would. The playbooks are tests/ansible/*.yml.
#include <catch2/catch.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "cluster.hpp"
#include "cluster_checks.hpp"

using namespace sc::test;
using Catch::Contains;

namespace {

/// The collection's source, copied into `host` (whose /root the source tree
/// may not be seen from: the hosts have their own /root and /home), built
/// there into a tarball and installed from it into root's default
/// collections path, ~/.ansible/collections.
void install_collection(const Cluster& c, const std::string& host) {
  const fs::path src = c.path(host, "/root/src/synccluster-ansible");
  fs::create_directories(src.parent_path());
  fs::copy(fs::path(kSourceDir) / "contrib/ansible", src, fs::copy_options::recursive);
  sc::ProcessResult r = c.on(
      host, {"ansible-galaxy", "collection", "build", "/root/src/synccluster-ansible", "--output-path", "/root/dist"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> tarballs;
  for (const auto& e : fs::directory_iterator(c.path(host, "/root/dist")))
    tarballs.push_back("/root/dist/" + e.path().filename().string());
  REQUIRE(tarballs.size() == 1);
  CHECK_THAT(tarballs[0], Contains("synccluster-sc-"));
  r = c.on(host, {"ansible-galaxy", "collection", "install", tarballs[0]});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(
      fs::exists(c.path(host, "/root/.ansible/collections/ansible_collections/synccluster/sc/plugins/modules/sc.py")));
  // The playbooks, beside an inventory each test writes.
  fs::create_directories(c.path(host, "/root/play"));
  for (const auto& e : fs::directory_iterator(fs::path(kSourceDir) / "tests/ansible"))
    if (e.path().extension() == ".yml") fs::copy_file(e.path(), c.path(host, "/root/play") / e.path().filename());
}

/// `ansible-playbook ARGS` run in `host` from /root/play, with the
/// collection installed there. Host keys are trusted beforehand
/// (Cluster::trust), so OpenSSH checks them as it would for an
/// administrator.
sc::ProcessResult playbook(const Cluster& c, const std::string& host, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"env", "ANSIBLE_NOCOLOR=1", "ANSIBLE_FORCE_COLOR=0", "ansible-playbook"};
  argv.insert(argv.end(), args.begin(), args.end());
  // cd through the shell would be a shell: the playbooks are named by path.
  return c.on(host, argv);
}

/// The PLAY RECAP of ansible-playbook's default output: per host, each
/// counter ("ok", "changed", "failed"...).
std::map<std::string, std::map<std::string, int>> recap(const std::string& out) {
  std::map<std::string, std::map<std::string, int>> hosts;
  const size_t at = out.find("PLAY RECAP");
  if (at == std::string::npos) return hosts;
  std::istringstream lines(out.substr(at));
  std::string line;
  std::getline(lines, line);
  static const std::regex counter("([a-z]+)=([0-9]+)");
  while (std::getline(lines, line)) {
    const size_t colon = line.find(" : ");
    if (colon == std::string::npos) continue;
    std::string host = line.substr(0, colon);
    host.erase(host.find_last_not_of(' ') + 1);
    const std::string rest = line.substr(colon + 3);
    for (std::sregex_iterator m(rest.begin(), rest.end(), counter), end; m != end; ++m)
      hosts[host][(*m)[1]] = std::stoi((*m)[2]);
  }
  return hosts;
}

/// Everything sc may change on a host: /etc (settings, accounts, cron,
/// units, sudoers, fstab), its own state, the shared trees, root's SSH
/// files. Ansible's own files (/root/.ansible) are left out.
std::string host_state(const Cluster& c, const std::string& host) {
  std::string all;
  for (const char* dir : {"/etc", "/var/lib/sc", "/srv", "/home", "/root/.ssh"})
    all += std::string("== ") + dir + "\n" + tree_hash(c.path(host, dir));
  return all;
}

/// The lines of `a` and `b` that are not in both: what changed, short
/// enough to read in a failed check.
std::string changed_lines(const std::string& a, const std::string& b) {
  auto split = [](const std::string& s) {
    std::multiset<std::string> lines;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);) lines.insert(l);
    return lines;
  };
  const auto la = split(a), lb = split(b);
  std::string diff;
  for (const auto& l : la)
    if (!lb.count(l)) diff += "- " + l + "\n";
  for (const auto& l : lb)
    if (!la.count(l)) diff += "+ " + l + "\n";
  return diff;
}

/// The master m (no services), with one account to pull, and root@m
/// trusted by every other host; the collection installed in m.
void master_and_controller(const Cluster& c) {
  for (const auto& h : c.hosts()) {
    run_ok(c, h, {"settings", "set", "MASTER_SERVICES", "none"});
    if (h != "m") c.trust("m", h);
  }
  run_ok(c, "m", {"settings", "set", "MASTER_MODE", "master"});
  const std::string pw = "Tr0ub4dor&3\n";
  run_ok(c, "m", {"user", "add", "alice", "--password-stdin"}, &pw);
  install_collection(c, "m");
}

void write_inventory(const Cluster& c, const std::string& text) {
  write_text(c.path("m", "/root/play/hosts.ini"), text + "[all:vars]\nansible_python_interpreter=/usr/bin/python3\n");
}

}  // namespace

TEST_CASE("a playbook of synccluster.sc.sc sets up a client and a roaming host, the second run changes nothing",
          "[ansible][cluster]") {
  Cluster c({"m", "c1", "c2"});
  c.trust("c1", "m");  // the client's key on the master: `sshlink add m` needs no password
  c.trust("c2", "m");
  master_and_controller(c);
  write_inventory(c, "[client]\nc1\n[roaming]\nc2\n");

  sc::ProcessResult r = playbook(c, "m", {"-i", "/root/play/hosts.ini", "/root/play/site.yml"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  auto counts = recap(r.out);
  REQUIRE(counts.count("c1"));
  REQUIRE(counts.count("c2"));
  // c1: the role, the master, the user module and the pull changed the
  // host; the link was there (trusted above).
  CHECK(counts["c1"]["changed"] == 4);
  CHECK(counts["c1"]["failed"] == 0);
  CHECK(counts["c2"]["changed"] == 1);
  CHECK(counts["c2"]["failed"] == 0);

  // What sc did on the targets, for real.
  CHECK(c.sc("c1", {"settings", "get", "MASTER_MODE"}).out == "client\n");
  CHECK(c.sc("c1", {"settings", "get", "MASTER_HOST"}).out == "m\n");
  CHECK(fs::exists(c.path("c1", "/etc/sudoers.d/sc")));
  CHECK(out_of(c, "c1", {"getent", "passwd", "alice"}) == out_of(c, "m", {"getent", "passwd", "alice"}));
  CHECK(out_of(c, "c1", {"getent", "shadow", "alice"}) == out_of(c, "m", {"getent", "shadow", "alice"}));
  CHECK(c.sc("c2", {"settings", "get", "MASTER_APPLIED"}).out == "roaming m\n");
  CHECK(fs::exists(c.path("c2", "/etc/cron.d/sc_master_daily")));
  CHECK(c.sc("c2", {"master", "ready"}).status == 0);

  // Again: nothing to do, and Ansible says so.
  const std::string c1_before = host_state(c, "c1"), c2_before = host_state(c, "c2");
  r = playbook(c, "m", {"-i", "/root/play/hosts.ini", "/root/play/site.yml"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  counts = recap(r.out);
  CHECK(counts["c1"]["changed"] == 0);
  CHECK(counts["c1"]["failed"] == 0);
  CHECK(counts["c1"]["ok"] == 6);
  CHECK(counts["c2"]["changed"] == 0);
  CHECK(counts["c2"]["failed"] == 0);
  CHECK(changed_lines(c1_before, host_state(c, "c1")).empty());
  CHECK(changed_lines(c2_before, host_state(c, "c2")).empty());
}

TEST_CASE("the playbook in check mode on fresh hosts reports changes with their diffs and changes nothing",
          "[ansible][cluster]") {
  Cluster c({"m", "c3", "c4"});
  c.trust("c3", "m");
  c.trust("c4", "m");
  master_and_controller(c);
  write_inventory(c, "[client]\nc3\n[roaming]\nc4\n");
  const std::string m_before = host_state(c, "m"), c3_before = host_state(c, "c3"), c4_before = host_state(c, "c4");

  sc::ProcessResult r = playbook(c, "m", {"--check", "--diff", "-i", "/root/play/hosts.ini", "/root/play/site.yml"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  auto counts = recap(r.out);
  // Would change: c3's role, master and user module; c4's whole setup.
  CHECK(counts["c3"]["changed"] == 3);
  CHECK(counts["c3"]["failed"] == 0);
  CHECK(counts["c4"]["changed"] == 1);
  CHECK(counts["c4"]["failed"] == 0);
  // sc's diffs (--diff), shown by Ansible: settings and files.
  CHECK_THAT(r.out, Contains("setting MASTER_MODE: (unset) -> \"client\""));
  CHECK_THAT(r.out, Contains("setting MASTER_APPLIED: (unset) -> \"roaming m\""));
  CHECK_THAT(r.out, Contains("+++ b/etc/cron.d/sc_master_daily"));
  CHECK_THAT(r.out, Contains("+++ b/etc/sudoers.d/sc"));
  // Secret files stay hidden under --diff (c4's /etc/gshadow gets the
  // group alice).
  CHECK_THAT(r.out, Contains("(secret content not shown)"));

  // Nothing changed anywhere.
  CHECK(changed_lines(c3_before, host_state(c, "c3")).empty());
  CHECK(changed_lines(c4_before, host_state(c, "c4")).empty());
  CHECK(changed_lines(m_before, host_state(c, "m")).empty());
  CHECK(c.sc("c3", {"settings", "get", "MASTER_MODE"}).status == 1);
  CHECK(c.sc("c4", {"settings", "get", "MASTER_MODE"}).status == 1);
  CHECK_FALSE(fs::exists(c.path("c4", "/etc/cron.d/sc_master_daily")));
}

TEST_CASE("secrets given to synccluster.sc.sc show nowhere in Ansible's output, diffs and logs included",
          "[ansible][cluster]") {
  Cluster c({"m", "c1"});
  master_and_controller(c);
  write_inventory(c, "[client]\nc1\n");
  const std::string db_password = "S3cr3t-db-8f1c", admin_password = "Adm1n-pw-77ae";
  // -vvv: every module's arguments and result as Ansible sees them.
  sc::ProcessResult r = playbook(c, "m",
                                 {"-vvv", "--diff", "-i", "/root/play/hosts.ini", "-e", "db_password=" + db_password,
                                  "-e", "admin_password=" + admin_password, "/root/play/secret.yml"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  auto counts = recap(r.out);
  CHECK(counts["c1"]["changed"] == 1);
  CHECK(counts["c1"]["failed"] == 0);
  // The secret reached sc through stdin and is stored...
  CHECK(c.sc("c1", {"settings", "get", "CLOUD_DB_PASSWORD"}).out == db_password + "\n");
  // ...and sc's diff of it, shown by Ansible, hides both values.
  CHECK_THAT(r.out, Contains("setting CLOUD_DB_PASSWORD: (unset) -> ********"));
  CHECK_THAT(r.out, Contains("CLOUD_ADMIN_PASSWORD=********"));
  CHECK_THAT(r.out + r.err, !Contains(db_password) && !Contains(admin_password));
}
