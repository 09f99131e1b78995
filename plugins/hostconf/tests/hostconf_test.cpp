#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../hosts_file.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

TEST_CASE("hostconf: FQDN validation", "[hostconf]") {
  std::string why;
  CHECK(hostconf::valid_fqdn("www.example.com", &why));
  CHECK(hostconf::valid_fqdn("a-1.b", &why));
  for (const char* bad : {"localhost", "", "a..b", ".a.b", "a.b.", "-a.b", "a-.b", "a b.c", "a;b.c", "a$(x).b",
                          "ä.example.com", "a_b.example.com"}) {
    INFO(bad);
    CHECK_FALSE(hostconf::valid_fqdn(bad, &why));
    CHECK_THAT(why, Contains("is not a valid host and domain name"));
  }
  CHECK_FALSE(hostconf::valid_fqdn(std::string(64, 'a') + ".com", &why));
  CHECK(hostconf::normalize_fqdn("WWW.Example.COM") == "www.example.com");
  CHECK(hostconf::host_part("www.example.com") == "www");
  CHECK(hostconf::domain_part("www.example.com") == "example.com");
}

TEST_CASE("hostconf: the 127.0.1.1 line of /etc/hosts", "[hostconf]") {
  const std::string debian =
      "127.0.0.1\tlocalhost\n127.0.1.1\told.example.org\told\n\n"
      "# The following lines are desirable for IPv6 capable hosts\n::1     localhost ip6-localhost ip6-loopback\n";
  CHECK(hostconf::set_hosts_entry(debian, "new.example.com") ==
        "127.0.0.1\tlocalhost\n127.0.1.1\tnew.example.com new\n\n"
        "# The following lines are desirable for IPv6 capable hosts\n::1     localhost ip6-localhost ip6-loopback\n");
  // No such line (the original silently did nothing): added after 127.0.0.1.
  CHECK(hostconf::set_hosts_entry("127.0.0.1 localhost\n10.0.0.1 nas\n", "h.d") ==
        "127.0.0.1 localhost\n127.0.1.1\th.d h\n10.0.0.1 nas\n");
  // Commented lines are left alone, duplicates collapse into one.
  CHECK(hostconf::set_hosts_entry("#127.0.1.1 x\n127.0.1.1 a\n127.0.1.1 b\n", "h.d") ==
        "#127.0.1.1 x\n127.0.1.1\th.d h\n");
  CHECK(hostconf::set_hosts_entry("", "h.d") == "127.0.1.1\th.d h\n");
  CHECK(hostconf::hostname_file("www.example.com") == "www\n");
}

TEST_CASE("hostconf setup under --root writes the exact files", "[hostconf]") {
  TempDir root;
  write_text(root / "etc/hosts", "127.0.0.1\tlocalhost\n127.0.1.1\tdebian\n");
  write_text(root / "etc/hostname", "debian\n");

  // No terminal and no value: a clear error naming --set, nothing changed.
  std::string before = tree_hash(root.path());
  ScRun r = run_sc_rooted(root.path(), {"hostconf", "setup"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("--set FQDN=host.example.com"));
  CHECK(tree_hash(root.path()) == before);

  // Bad values are refused before anything changes.
  for (const auto& bad : hostile_strings()) {
    r = run_sc_rooted(root.path(), {"--set", "FQDN=" + bad, "hostconf", "setup"});
    CHECK(r.status == 2);
    CHECK(tree_hash(root.path()) == before);
  }

  // Dry run: the plan, nothing written.
  r = run_sc_rooted(root.path(), {"--dry-run", "--set", "FQDN=Node1.Example.com", "hostconf", "setup"});
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("would change: write /etc/hostname") && Contains("would change: write /etc/hosts") &&
                        Contains("would change: setting FQDN"));
  CHECK(tree_hash(root.path()) == before);

  r = run_sc_rooted(root.path(), {"--set", "FQDN=Node1.Example.com", "hostconf", "setup"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(read_text(root / "etc/hostname") == "node1\n");
  CHECK(read_text(root / "etc/hosts") == "127.0.0.1\tlocalhost\n127.0.1.1\tnode1.example.com node1\n");
  CHECK_THAT(read_text(root / "etc/sc"), Contains("FQDN=\"node1.example.com\""));
  CHECK_THAT(r.err, Contains("not run: hostname node1"));

  // A second run changes nothing.
  r = run_sc_rooted(root.path(), {"--json", "hostconf", "setup"});
  auto doc = nlohmann::json::parse(r.out);
  CHECK(doc["status"] == 0);
  CHECK(doc["summary"]["changed"] == 0);
  CHECK(doc["summary"]["ok"].get<int>() >= 3);

  CHECK(run_sc_rooted(root.path(), {"hostconf", "fqdn"}).out == "node1.example.com\n");
  CHECK(run_sc_rooted(root.path(), {"hostconf", "host"}).out == "node1\n");
  CHECK(run_sc_rooted(root.path(), {"hostconf", "domain"}).out == "example.com\n");
  CHECK(run_sc_rooted(root.path(), {"hostconf", "ready"}).status == 0);
  CHECK(nlohmann::json::parse(run_sc_rooted(root.path(), {"--json", "hostconf", "host"}).out)["result"] == "node1");
}

TEST_CASE("hostconf ready and setfqdn", "[hostconf]") {
  TempDir root;
  fs::create_directories(root / "etc");
  CHECK(run_sc_rooted(root.path(), {"hostconf", "ready"}).status == 1);
  CHECK(run_sc_rooted(root.path(), {"settings", "set", "FQDN", "localhost.localdomain"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"hostconf", "ready"}).status == 1);
  ScRun r = run_sc_rooted(root.path(), {"hostconf", "fqdn"});
  CHECK(r.out == "localhost.localdomain\n");
  r = run_sc_rooted(root.path(), {"hostconf", "setfqdn"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("usage: sc hostconf setfqdn FQDN"));
  r = run_sc_rooted(root.path(), {"hostconf", "setfqdn", "a.b", "extra"});
  CHECK(r.status == 2);
  r = run_sc_rooted(root.path(), {"hostconf", "setfqdn", "x.y.z"});
  CHECK(r.status == 0);
  CHECK(read_text(root / "etc/hosts") == "127.0.0.1\tlocalhost\n127.0.1.1\tx.y.z x\n");
}
