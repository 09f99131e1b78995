// The master's host registry (MASTER_HOSTS): its pure part (registry.cpp)
// byte for byte, and the commands hosts, hostadd, hostdel and inventory run
// by the built sc under --root.
#include "../registry.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using master::HostEntry;
using nlohmann::json;
using plugin_common::role::Role;

namespace {

using Hosts = std::vector<HostEntry>;

}  // namespace

TEST_CASE("registry: MASTER_HOSTS read back, in its order", "[master]") {
  CHECK(master::parse_hosts("").empty());
  CHECK(master::parse_hosts("  \t ").empty());
  CHECK(master::parse_hosts("c1=client") == Hosts{{"c1", Role::client}});
  CHECK(master::parse_hosts(" s=standby  root@b.example.com:2222=backup\tc1=client [::1]:2200=roaming ") ==
        Hosts{{"s", Role::standby},
              {"root@b.example.com:2222", Role::backup},
              {"c1", Role::client},
              {"[::1]:2200", Role::roaming}});
  // Two ports of one address, two users of one host: different peers.
  CHECK(master::parse_hosts("c1:2222=client c1:2223=client root@c1=backup c1=roaming").size() == 4);
}

TEST_CASE("registry: a MASTER_HOSTS value that is not PEER=ROLE items is refused, naming the item", "[master]") {
  CHECK_THROWS_WITH(master::parse_hosts("c1=client c2"), Contains("\"c2\" is not PEER=ROLE"));
  CHECK_THROWS_WITH(master::parse_hosts("c1=client c1=backup"), Contains("the peer c1 is named twice"));
  CHECK_THROWS_WITH(master::parse_hosts("m=master"),
                    Contains("in \"m=master\": \"master\" is not a role of a host under a master (standby, backup, "
                             "client, roaming)"));
  CHECK_THROWS_WITH(master::parse_hosts("c1=Client"), Contains("\"Client\" is not a role"));
  CHECK_THROWS_WITH(master::parse_hosts("c1="), Contains("\"\" is not a role"));
  CHECK_THROWS_WITH(master::parse_hosts("=client"), Contains("in \"=client\": it is empty"));
  CHECK_THROWS_WITH(master::parse_hosts("a@b@c=client"), Contains("in \"a@b@c=client\": a host is letters"));
  CHECK_THROWS_WITH(master::parse_hosts("c1:0=client"), Contains("the port must be a number from 1 to 65535"));
  CHECK_THROWS_WITH(master::parse_hosts("c1:x=client"), Contains("the port must be a number from 1 to 65535"));
  for (const char* bad : {"-oProxyCommand=x=client", "c1=client=client", "c1;touch /tmp/x=client", "c1=client;touch",
                          "c1=client\nc2=backup", "c1==client"}) {
    INFO(bad);
    CHECK_THROWS_AS(master::parse_hosts(bad), std::invalid_argument);
  }
  // Every hostile string, as a peer and as a role: refused (a space splits
  // the item, and each part is checked).
  for (const auto& bad : hostile_strings()) {
    INFO(bad);
    CHECK_THROWS_AS(master::parse_hosts(bad + "=client"), std::invalid_argument);
    CHECK_THROWS_AS(master::parse_hosts("c1=" + bad), std::invalid_argument);
    CHECK_THROWS_AS(master::parse_hosts("c1=client " + bad + "=backup"), std::invalid_argument);
  }
}

TEST_CASE("registry: with_host, without_host and the value written back", "[master]") {
  const Hosts none;
  const Hosts one = master::with_host(none, {"c1", Role::client});
  CHECK(one == Hosts{{"c1", Role::client}});
  // The same entry again: the same list (hostadd then changes nothing).
  CHECK(master::with_host(one, {"c1", Role::client}) == one);
  // A new peer goes last; a known one keeps its place with its new role.
  const Hosts two = master::with_host(one, {"root@b:2222", Role::backup});
  CHECK(two == Hosts{{"c1", Role::client}, {"root@b:2222", Role::backup}});
  CHECK(master::with_host(two, {"c1", Role::roaming}) == Hosts{{"c1", Role::roaming}, {"root@b:2222", Role::backup}});
  // Peers are compared as written: c1 and root@c1 are two hosts.
  CHECK(master::with_host(two, {"root@c1", Role::client}).size() == 3);

  CHECK(master::without_host(two, "c1") == Hosts{{"root@b:2222", Role::backup}});
  CHECK(master::without_host(two, "root@c1") == two);
  CHECK(master::without_host(master::without_host(two, "c1"), "root@b:2222").empty());
  CHECK(master::without_host(none, "c1").empty());

  CHECK(master::hosts_text(none).empty());
  CHECK(master::hosts_text(two) == "c1=client root@b:2222=backup");
  // What is written is read back as it was, for every role and peer form.
  const Hosts all = {{"s", Role::standby},
                     {"b.example.com", Role::backup},
                     {"root@c1:2222", Role::client},
                     {"[fe80::1%eth0]:22", Role::roaming},
                     {"user$@r1", Role::roaming}};
  CHECK(master::parse_hosts(master::hosts_text(all)) == all);
  CHECK(master::hosts_text(master::parse_hosts("  s=standby   c1=client ")) == "s=standby c1=client");
}

TEST_CASE("registry: the list as text and JSON", "[master]") {
  CHECK(master::hosts_list_text({}) ==
        "no host is registered with this master (hosts register at `sc master setup`)\n");
  CHECK(master::hosts_list_text({{"c1", Role::client}, {"root@b:2222", Role::backup}}) ==
        "c1           client\n"
        "root@b:2222  backup\n");
  CHECK(master::hosts_json({}) == json::array());
  CHECK(master::hosts_json({{"c1", Role::client}, {"root@b:2222", Role::backup}}) ==
        json::parse(R"([{"peer": "c1", "role": "client"}, {"peer": "root@b:2222", "role": "backup"}])"));
}

TEST_CASE("registry: the Ansible inventory of the cluster", "[master]") {
  // Nothing registered: the master alone, every group there.
  CHECK(master::inventory_json("m.example.com", {}) == json::parse(R"({
    "_meta": {"hostvars": {"m.example.com": {"sc_role": "master"}}},
    "all": {"children": ["master", "standby", "backup", "client", "roaming"]},
    "master": {"hosts": ["m.example.com"]},
    "standby": {"hosts": []}, "backup": {"hosts": []}, "client": {"hosts": []}, "roaming": {"hosts": []}
  })"));

  // user@host:port and [IPv6]:port: the connection variables; the name is
  // the host part.
  CHECK(master::inventory_json("m", {{"s", Role::standby},
                                     {"root@b.example.com:2222", Role::backup},
                                     {"c1", Role::client},
                                     {"c2:2200", Role::client},
                                     {"[::1]:2201", Role::roaming},
                                     {"admin@r2", Role::roaming}}) == json::parse(R"({
    "_meta": {"hostvars": {
      "m": {"sc_role": "master"},
      "s": {"sc_peer": "s", "sc_role": "standby", "sc_master": "m"},
      "b.example.com": {"ansible_user": "root", "ansible_host": "b.example.com", "ansible_port": 2222,
                        "sc_peer": "root@b.example.com:2222", "sc_role": "backup", "sc_master": "m"},
      "c1": {"sc_peer": "c1", "sc_role": "client", "sc_master": "m"},
      "c2": {"ansible_host": "c2", "ansible_port": 2200, "sc_peer": "c2:2200", "sc_role": "client",
             "sc_master": "m"},
      "::1": {"ansible_host": "::1", "ansible_port": 2201, "sc_peer": "[::1]:2201", "sc_role": "roaming",
              "sc_master": "m"},
      "r2": {"ansible_user": "admin", "ansible_host": "r2", "sc_peer": "admin@r2", "sc_role": "roaming",
             "sc_master": "m"}
    }},
    "all": {"children": ["master", "standby", "backup", "client", "roaming"]},
    "master": {"hosts": ["m"]},
    "standby": {"hosts": ["s"]},
    "backup": {"hosts": ["b.example.com"]},
    "client": {"hosts": ["c1", "c2"]},
    "roaming": {"hosts": ["::1", "r2"]}
  })"));

  // Two peers with one host part (two ports, a user and none) are named by
  // their whole peer names, whatever their order: no host hides another.
  for (const Hosts& hosts : {Hosts{{"c1:2222", Role::client}, {"c1:2223", Role::client}, {"root@c1", Role::backup}},
                             Hosts{{"root@c1", Role::backup}, {"c1:2223", Role::client}, {"c1:2222", Role::client}}}) {
    const json inv = master::inventory_json("m", hosts);
    INFO(inv.dump(2));
    CHECK(inv["_meta"]["hostvars"].size() == 4);
    CHECK(inv["_meta"]["hostvars"]["c1:2222"] == json::parse(R"({"ansible_host": "c1", "ansible_port": 2222,
      "sc_peer": "c1:2222", "sc_role": "client", "sc_master": "m"})"));
    CHECK(inv["_meta"]["hostvars"]["c1:2223"]["ansible_port"] == 2223);
    CHECK(inv["_meta"]["hostvars"]["root@c1"] == json::parse(R"({"ansible_user": "root", "ansible_host": "c1",
      "sc_peer": "root@c1", "sc_role": "backup", "sc_master": "m"})"));
    CHECK(inv["backup"]["hosts"] == json({"root@c1"}));
    CHECK(inv["client"]["hosts"].size() == 2);
  }
  // A plain name and the same host with a user: both kept, each its peer.
  json inv = master::inventory_json("m", {{"root@c1", Role::client}, {"c1", Role::backup}});
  CHECK(inv["client"]["hosts"] == json({"root@c1"}));
  CHECK(inv["backup"]["hosts"] == json({"c1"}));
  CHECK(inv["_meta"]["hostvars"]["c1"]["sc_role"] == "backup");
  CHECK(inv["_meta"]["hostvars"]["root@c1"]["sc_role"] == "client");
  // A host with the master's host part is named by its peer; an item that
  // is the master itself is not listed a second time.
  inv = master::inventory_json("m", {{"root@m", Role::standby}, {"m", Role::standby}});
  CHECK(inv["standby"]["hosts"] == json({"root@m"}));
  CHECK(inv["master"]["hosts"] == json({"m"}));
  CHECK(inv["_meta"]["hostvars"]["m"] == json({{"sc_role", "master"}}));
}

namespace {

fs::path registry_root(const TempDir& root, const std::string& settings) {
  write_text(root / "etc/hostname", "m\n");
  write_text(root / "etc/sc", "# sc-settings 1\nSSHLINK_CONNECT_TIMEOUT=\"2\"\n" + settings, fs::perms(0600));
  return root.path();
}

json result_of(const ScRun& r) {
  auto doc = json::parse(r.out, nullptr, false);
  INFO(r.out << r.err);
  REQUIRE(doc.is_object());
  REQUIRE(doc["status"] == 0);
  return doc["result"];
}

/// The MASTER_HOSTS line of the root's settings file, "" when there is none.
std::string hosts_line(const TempDir& root) {
  const std::string text = read_text(root / "etc/sc");
  const size_t at = text.find("\nMASTER_HOSTS=");
  return at == std::string::npos ? "" : text.substr(at + 1, text.find('\n', at + 1) - at - 1);
}

}  // namespace

TEST_CASE("sc master hostadd, hostdel and hosts keep the list on the master, each change made once", "[master]") {
  TempDir root;
  registry_root(root, "MASTER_MODE=\"master\"\n");

  ScRun r = run_sc_rooted(root.path(), {"master", "hosts"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "no host is registered with this master (hosts register at `sc master setup`)\n");
  CHECK(result_of(run_sc_rooted(root.path(), {"--json", "master", "hosts"})) == json::array());

  // --dry-run: planned, nothing written.
  const std::string empty = tree_hash(root.path());
  r = run_sc_rooted(root.path(), {"--dry-run", "master", "hostadd", "c1", "client"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("would change: setting MASTER_HOSTS"));
  CHECK(tree_hash(root.path()) == empty);

  r = run_sc_rooted(root.path(), {"master", "hostadd", "c1", "client"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(hosts_line(root) == "MASTER_HOSTS=\"c1=client\"");
  // Again: nothing changes, and it says so.
  const std::string one = tree_hash(root.path());
  r = run_sc_rooted(root.path(), {"--json", "master", "hostadd", "c1", "client"});
  CHECK(json::parse(r.out)["summary"]["changed"] == 0);
  CHECK_THAT(r.out, Contains("c1 is already registered as a client host"));
  CHECK(tree_hash(root.path()) == one);

  run_sc_rooted(root.path(), {"master", "hostadd", "root@b.example.com:2222", "backup"});
  REQUIRE(run_sc_rooted(root.path(), {"master", "hostadd", "s", "standby"}).status == 0);
  // A new role for a known host: changed in its place.
  REQUIRE(run_sc_rooted(root.path(), {"master", "hostadd", "c1", "roaming"}).status == 0);
  CHECK(hosts_line(root) == "MASTER_HOSTS=\"c1=roaming root@b.example.com:2222=backup s=standby\"");
  r = run_sc_rooted(root.path(), {"master", "hosts"});
  CHECK(r.out ==
        "c1                       roaming\n"
        "root@b.example.com:2222  backup\n"
        "s                        standby\n");
  CHECK(result_of(run_sc_rooted(root.path(), {"--json", "master", "hosts"})) == json::parse(R"([
    {"peer": "c1", "role": "roaming"}, {"peer": "root@b.example.com:2222", "role": "backup"},
    {"peer": "s", "role": "standby"}])"));

  // The inventory: the master under its host name (no FQDN here), the same
  // JSON as text and as --json result.
  r = run_sc_rooted(root.path(), {"master", "inventory"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const json inv = json::parse(r.out);
  CHECK(r.out == inv.dump(2) + "\n");
  CHECK(result_of(run_sc_rooted(root.path(), {"--json", "master", "inventory"})) == inv);
  CHECK(inv == master::inventory_json("m", master::parse_hosts("c1=roaming root@b.example.com:2222=backup s=standby")));
  CHECK(inv["backup"]["hosts"] == json({"b.example.com"}));
  CHECK(inv["_meta"]["hostvars"]["b.example.com"]["ansible_port"] == 2222);
  // Its FQDN, when set, names the master.
  r = run_sc_rooted(root.path(), {"--set", "FQDN=m.example.com", "master", "inventory"});
  CHECK(json::parse(r.out)["master"]["hosts"] == json({"m.example.com"}));

  // hostdel: out of the list; a peer not there changes nothing; the last
  // one out unsets the setting.
  r = run_sc_rooted(root.path(), {"master", "hostdel", "c1"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(hosts_line(root) == "MASTER_HOSTS=\"root@b.example.com:2222=backup s=standby\"");
  const std::string two = tree_hash(root.path());
  for (const std::string gone : {"c1", "b.example.com", "root@s"}) {
    r = run_sc_rooted(root.path(), {"--json", "master", "hostdel", gone});
    CHECK(r.status == 0);
    CHECK(json::parse(r.out)["summary"]["changed"] == 0);
    CHECK_THAT(r.out, Contains(gone + " is not registered: nothing to remove"));
  }
  CHECK(tree_hash(root.path()) == two);
  REQUIRE(run_sc_rooted(root.path(), {"master", "hostdel", "root@b.example.com:2222"}).status == 0);
  REQUIRE(run_sc_rooted(root.path(), {"master", "hostdel", "s"}).status == 0);
  CHECK(hosts_line(root).empty());
  CHECK(result_of(run_sc_rooted(root.path(), {"--json", "master", "hosts"})) == json::array());

  // A host with no role yet (MASTER_MODE unset) may keep a list: it is
  // becoming a master.
  TempDir fresh;
  registry_root(fresh, "");
  REQUIRE(run_sc_rooted(fresh.path(), {"master", "hostadd", "c1", "client"}).status == 0);
  CHECK(hosts_line(fresh) == "MASTER_HOSTS=\"c1=client\"");
}

TEST_CASE("sc master hostadd and hostdel refuse a bad PEER or ROLE, and a host that has a master", "[master]") {
  TempDir root;
  registry_root(root, "MASTER_MODE=\"master\"\nMASTER_HOSTS=\"c1=client\"\n");
  // (The message is checked without the value: a newline in it is
  // indented where the message is wrapped.)
  for (const auto& bad : hostile_strings()) {
    check_refused(root.path(), "master", {"hostadd", bad, "client"}, "\" is not a peer name");
    check_refused(root.path(), "master", {"hostdel", bad}, "\" is not a peer name");
    check_refused(root.path(), "master", {"hostadd", "c2", bad}, "\" is not the ROLE of a host under a master");
  }
  check_refused(root.path(), "master", {"hostadd", "c2;id", "client"}, "PEER \"c2;id\" is not a peer name");
  check_refused(root.path(), "master", {"hostdel", "$(id)"}, "PEER \"$(id)\" is not a peer name");
  check_refused(root.path(), "master", {"hostadd", "c2", "slave"}, "\"slave\" is not the ROLE of a host");
  for (const std::string bad : {"-oProxyCommand=x", "a@b@c", "c2:99999", "c2=client"})
    check_refused(root.path(), "master", {"hostadd", bad, "client"}, "is not a peer name");
  // The master is not a host under a master.
  check_refused(root.path(), "master", {"hostadd", "c2", "master"},
                "\"master\" is not the ROLE of a host under a master: give standby, backup, client or roaming");
  check_refused(root.path(), "master", {"hostadd", "c2"}, "usage");
  check_refused(root.path(), "master", {"hostadd", "c2", "client", "x"}, "usage");
  check_refused(root.path(), "master", {"hostdel"}, "usage");
  check_refused(root.path(), "master", {"hosts", "x"}, "usage");
  check_refused(root.path(), "master", {"inventory", "x"}, "usage");

  // A host under a master keeps no list: refused, pointing to the master.
  TempDir client;
  registry_root(client, "MASTER_MODE=\"client\"\nMASTER_HOST=\"m\"\n");
  check_refused(client.path(), "master", {"hostadd", "c2", "client"},
                "this host is a client host: the list of hosts is kept on the master; run `sc master hostadd` there");
  check_refused(client.path(), "master", {"hostdel", "c2"}, "the list of hosts is kept on the master");
  check_refused(client.path(), "master", {"inventory"}, "the list of hosts is kept on the master");

  // A value sc cannot read (edited by hand): said with how to fix it,
  // nothing changed.
  TempDir broken;
  registry_root(broken, "MASTER_MODE=\"master\"\nMASTER_HOSTS=\"c1=client c2\"\n");
  const std::string before = tree_hash(broken.path());
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"master", "hosts"}, {"master", "hostadd", "c3", "client"}, {"master", "hostdel", "c1"}}) {
    ScRun r = run_sc_rooted(broken.path(), args);
    INFO(r.err);
    CHECK(r.status == 1);
    CHECK_THAT(r.err, Contains("MASTER_HOSTS is \"c1=client c2\": \"c2\" is not PEER=ROLE") &&
                          Contains("sc settings del MASTER_HOSTS"));
  }
  CHECK(tree_hash(broken.path()) == before);
}
