// Issue 19: the Ansible collection of contrib/ansible (synccluster.sc) on
// real hosts of the test cluster (tests/support/CLUSTER.md). The collection
// is built with `ansible-galaxy collection build` and installed with
// `ansible-galaxy collection install` inside the host m, which is the
// controller: Debian 12's ansible-core runs there (`ansible-playbook`), and
// reaches the targets over the cluster's real sshd with root@m's key, as an
// administrator's machine would. The playbooks are tests/ansible/*.yml, the
// inventory is the collection's plugin (tests/ansible/sc.yml): the hosts m
// has registered (`sc master inventory`).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "cluster.hpp"
#include "cluster_checks.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

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
  // The playbooks and the inventory.
  fs::create_directories(c.path(host, "/root/play"));
  for (const auto& e : fs::directory_iterator(fs::path(kSourceDir) / "tests/ansible"))
    if (e.path().extension() == ".yml") fs::copy_file(e.path(), c.path(host, "/root/play") / e.path().filename());
}

/// `TOOL ARGS` (ansible-playbook, ansible-inventory) run in `host`, with
/// the collection installed there, plain output, Debian's python3 on the
/// targets. Host keys are trusted beforehand (Cluster::trust), so OpenSSH
/// checks them as it would for an administrator.
sc::ProcessResult ansible(const Cluster& c, const std::string& host, const std::string& tool,
                          const std::vector<std::string>& args) {
  // ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=False: only ansible-core and the
  // collection installed above, as in CI, even on a machine that has
  // Debian's `ansible` (the community collections) too.
  std::vector<std::string> argv = {"env", "ANSIBLE_NOCOLOR=1", "ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3",
                                   "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=False", tool};
  argv.insert(argv.end(), args.begin(), args.end());
  return c.on(host, argv);
}

/// ansible-playbook in m with the inventory plugin (sc.yml, sc on m).
sc::ProcessResult playbook(const Cluster& c, std::vector<std::string> args) {
  args.insert(args.begin(), {"-i", "/root/play/sc.yml"});
  return ansible(c, "m", "ansible-playbook", args);
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

/// `text` with each run of white space made one space: Ansible wraps its
/// warnings at 79 columns when it does not write to a terminal.
std::string one_line(const std::string& text) {
  static const std::regex space("\\s+");
  return std::regex_replace(text, space, " ");
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

/// The master m (no services) with one account to pull and the hosts of
/// `registered` (PEER, ROLE) in its registry, as an administrator adds them
/// with `sc master hostadd`; root@m trusted by every other host, the
/// collection installed in m, the controller.
void master_and_controller(const Cluster& c, const std::vector<std::pair<std::string, std::string>>& registered) {
  for (const auto& h : c.hosts()) {
    run_ok(c, h, {"settings", "set", "MASTER_SERVICES", "none"});
    if (h != "m") c.trust("m", h);
  }
  run_ok(c, "m", {"settings", "set", "MASTER_MODE", "master"});
  for (const auto& [peer, role] : registered) run_ok(c, "m", {"master", "hostadd", peer, role});
  const std::string pw = "Tr0ub4dor&3\n";
  run_ok(c, "m", {"user", "add", "alice", "--password-stdin"}, &pw);
  install_collection(c, "m");
}

}  // namespace

TEST_CASE("a playbook of synccluster.sc.sc sets up a client and a roaming host, the second run changes nothing",
          "[ansible][cluster]") {
  Cluster c({"m", "c1", "c2"});
  c.trust("c1", "m");  // the client's key on the master: `sshlink add m` needs no password
  c.trust("c2", "m");
  master_and_controller(c, {{"c1", "client"}, {"c2", "roaming"}});

  // The inventory: the hosts m registered, each with its role and master.
  sc::ProcessResult r = ansible(c, "m", "ansible-inventory", {"-i", "/root/play/sc.yml", "--list"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  json inv = json::parse(r.out, nullptr, false);
  REQUIRE(inv.is_object());
  CHECK(inv["master"]["hosts"] == json({"m"}));
  CHECK(inv["client"]["hosts"] == json({"c1"}));
  CHECK(inv["roaming"]["hosts"] == json({"c2"}));
  CHECK(inv["workstations"]["hosts"] == json({"c1", "c2"}));
  CHECK(inv["_meta"]["hostvars"]["c1"]["sc_role"] == "client");
  CHECK(inv["_meta"]["hostvars"]["c1"]["sc_master"] == "m");
  CHECK(inv["_meta"]["hostvars"]["m"]["sc_role"] == "master");

  r = playbook(c, {"/root/play/site.yml"});
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
  const std::string m_before = host_state(c, "m");
  r = playbook(c, {"/root/play/site.yml"});
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
  CHECK(changed_lines(m_before, host_state(c, "m")).empty());
}

TEST_CASE("the playbook in check mode on fresh hosts reports changes with their diffs and changes nothing",
          "[ansible][cluster]") {
  Cluster c({"m", "c3", "c4"});
  c.trust("c3", "m");
  c.trust("c4", "m");
  master_and_controller(c, {{"c3", "client"}, {"c4", "roaming"}});
  const std::string m_before = host_state(c, "m"), c3_before = host_state(c, "c3"), c4_before = host_state(c, "c4");

  sc::ProcessResult r = playbook(c, {"--check", "--diff", "/root/play/site.yml"});
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

TEST_CASE("secrets given to synccluster.sc.sc show nowhere in Ansible's output, and its arguments reach sc unchanged",
          "[ansible][cluster]") {
  Cluster c({"m", "c1"});
  master_and_controller(c, {{"c1", "client"}});
  const std::string db_password = "S3cr3t-db-8f1c", admin_password = "Adm1n-pw-77ae";
  // -vvv: every module's arguments and result as Ansible sees them.
  sc::ProcessResult r = playbook(c, {"-vvv", "--diff", "-e", "db_password=" + db_password, "-e",
                                     "admin_password=" + admin_password, "/root/play/secret.yml"});
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

  // Words as they are: no shell ran the $(...), nothing was expanded, and
  // "--dry-run" is a value. sc's warning (a setting no module declares)
  // is Ansible's. A command reading stdin reads an empty one, never the
  // module's own (it would wait for ever).
  r = playbook(c, {"/root/play/words.yml"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(c.sc("c1", {"settings", "get", "ANSIBLE_TEST_WORDS"}).out ==
        "$HOME ~/x $(touch /root/pwned); echo 'q\" `id`\n");
  CHECK(c.sc("c1", {"settings", "get", "ANSIBLE_TEST_OPTION"}).out == "--dry-run\n");
  CHECK_FALSE(fs::exists(c.path("c1", "/root/pwned")));
  CHECK(c.sc("c1", {"settings", "get", "ANSIBLE_TEST_NOTHING"}).status == 1);
  CHECK(recap(r.out)["c1"]["failed"] == 0);
  CHECK_THAT(one_line(r.out + r.err),
             Contains("[WARNING]: sc settings: no installed module declares ANSIBLE_TEST_WORDS; stored anyway"));
}

TEST_CASE("the inventory plugin lists the hosts of a master reached over ssh, with their connection variables",
          "[ansible][cluster]") {
  Cluster c({"m", "c1", "c2"});
  for (const auto& h : c.hosts()) run_ok(c, h, {"settings", "set", "MASTER_SERVICES", "none"});
  run_ok(c, "m", {"settings", "set", "MASTER_MODE", "master"});
  run_ok(c, "m", {"master", "hostadd", "c1", "client"});
  run_ok(c, "m", {"master", "hostadd", "root@r9:2222", "roaming"});
  run_ok(c, "c1", {"settings", "set", "MASTER_MODE", "client"});
  c.trust("c1", "m");  // the controller c1 reaches the master by key
  install_collection(c, "c1");
  write_text(c.path("c1", "/root/play/remote.sc.yml"),
             "plugin: synccluster.sc.sc\nmaster: m\ngroups:\n  workstations: sc_role in ['client', 'roaming']\n");
  const size_t sessions = count_of(c.sshd_log("m"), "Accepted publickey");

  sc::ProcessResult r = ansible(c, "c1", "ansible-inventory", {"-i", "/root/play/remote.sc.yml", "--list"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  // sc ran on m, over one SSH session.
  CHECK(count_of(c.sshd_log("m"), "Accepted publickey") == sessions + 1);
  json inv = json::parse(r.out, nullptr, false);
  REQUIRE(inv.is_object());
  CHECK(inv["master"]["hosts"] == json({"m"}));
  CHECK(inv["client"]["hosts"] == json({"c1"}));
  CHECK(inv["roaming"]["hosts"] == json({"r9"}));
  CHECK(inv["workstations"]["hosts"] == json({"c1", "r9"}));
  CHECK(inv["_meta"]["hostvars"]["r9"] == json({{"ansible_host", "r9"},
                                                {"ansible_port", 2222},
                                                {"ansible_user", "root"},
                                                {"sc_master", "m"},
                                                {"sc_peer", "root@r9:2222"},
                                                {"sc_role", "roaming"}}));
  CHECK(inv["_meta"]["hostvars"]["c1"]["sc_role"] == "client");

  // c1 is not the master: sc's refusal is the inventory's error, and an
  // inventory that cannot be read stops Ansible.
  write_text(c.path("c1", "/root/play/sc.yml"), "plugin: synccluster.sc.sc\n");
  r = c.on("c1", {"env", "ANSIBLE_INVENTORY_UNPARSED_FAILED=True", "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=False",
                  "ansible-inventory", "-i", "/root/play/sc.yml", "--list"});
  INFO(r.out << r.err);
  CHECK(r.exit_code != 0);
  CHECK_THAT(one_line(r.err), Contains("synccluster.sc.sc: sc --json master inventory failed (exit status 2): this "
                                       "host is a client host: the list of hosts is kept on the master"));
}
