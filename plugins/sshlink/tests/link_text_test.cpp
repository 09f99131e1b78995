// sshlink's pure logic: speed limits, sources, import specs, file lists and
// the settings text of getsettings.
#include "../link_text.hpp"

#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace sshlink;

TEST_CASE("peer names as sshlink keeps them", "[sshlink]") {
  for (const char* ok : {"host", "root@host", "host:2222", "user@host.example.org:22", "[::1]:2222", "alias_1"})
    CHECK(valid_peer(ok));
  for (const auto& bad : sc::test::hostile_strings()) CHECK_FALSE(valid_peer(bad));
  for (const char* bad : {"-oProxyCommand=x", "host:0", "host:99999", "host=1", "a b", "host:"})
    CHECK_FALSE(valid_peer(bad));
  CHECK(host_part("root@host:2222") == "host");
  CHECK(host_part("[::1]:22") == "::1");
  CHECK(host_part("host") == "host");
}

TEST_CASE("speed limits: typed items, the original's items, replacement and removal", "[sshlink]") {
  std::vector<std::string> bad;
  // As the original stored them (" host:limit host2:limit"), plus ours.
  auto limits = parse_speed_limits(" nas:500 backup:1000 root@web:2222=300 junk nas2:x", &bad);
  REQUIRE(limits.size() == 3);
  CHECK(bad == std::vector<std::string>{"junk", "nas2:x"});
  CHECK(format_speed_limits(limits) == "nas=500 backup=1000 root@web:2222=300");
  CHECK(speed_for(limits, "nas") == 500u);
  CHECK(speed_for(limits, "root@nas:22") == 500u);  // by host when the name has no entry
  CHECK(speed_for(limits, "root@web:2222") == 300u);
  CHECK_FALSE(speed_for(limits, "web"));
  CHECK(set_speed(&limits, "nas", 800));
  CHECK_FALSE(set_speed(&limits, "nas", 800));
  CHECK(set_speed(&limits, "backup", 0));
  CHECK_FALSE(set_speed(&limits, "backup", 0));
  CHECK(format_speed_limits(limits) == "nas=800 root@web:2222=300");
  CHECK(parse_speed_limits(format_speed_limits(limits)).size() == 2);
  unsigned k = 0;
  CHECK(parse_kbps("1", &k));
  CHECK(parse_kbps("10000000", &k));
  for (const char* bad_kbps : {"0", "-5", "10000001", "1.5", "", "12k", " 5"}) CHECK_FALSE(parse_kbps(bad_kbps, &k));
}

TEST_CASE("getfiles sources and import specs", "[sshlink]") {
  Source s;
  std::string err;
  REQUIRE(split_source("root@host:2222:/srv/www", &s, &err));
  CHECK(s.peer == "root@host:2222");
  CHECK(s.dir == "/srv/www");
  REQUIRE(split_source("host", &s, &err));
  CHECK(s.dir == "/");
  REQUIRE(split_source("[::1]:/data", &s, &err));
  CHECK(s.peer == "[::1]");
  CHECK_FALSE(split_source("x; rm -rf /:/x", &s, &err));

  ImportSpec spec;
  REQUIRE(parse_import_spec("backup/BACKUP_LIST", &spec, &err));
  CHECK(spec.module == "backup");
  CHECK(spec.matches("BACKUP_LIST"));
  CHECK_FALSE(spec.matches("BACKUP_LIST2"));  // the whole name, as grep -x
  REQUIRE(parse_import_spec("mass/MASS_(DIR|HOST)", &spec, &err));
  CHECK(spec.matches("MASS_HOST"));
  REQUIRE(parse_import_spec("update", &spec, &err));
  CHECK(spec.matches("ANYTHING"));
  CHECK_FALSE(parse_import_spec("Bad", &spec, &err));
  CHECK_FALSE(parse_import_spec("/X", &spec, &err));
  CHECK_FALSE(parse_import_spec("mod/(", &spec, &err));
  CHECK_THAT(err, Catch::Contains("not a valid extended regular expression"));
}

TEST_CASE("file lists and the settings text", "[sshlink]") {
  CHECK(parse_file_list("a\r\n\nb c\n/d\n") == std::vector<std::string>{"a", "b c", "/d"});
  CHECK(parse_file_list("") == std::vector<std::string>{});
  CHECK(settings_file_text("nas", {{"ZED", "it's \"quoted\"\nand ünï"}, {"ALPHA", "1"}}) ==
        "# sc-settings 1\n"
        "# Settings of nas, read by `sc sshlink getsettings`.\n"
        "ALPHA=\"1\"\n"
        "ZED=\"it's \\\"quoted\\\"\\nand ünï\"\n");
  CHECK(exclude_patterns().front() == "*.o");
  CHECK(exclude_patterns().size() == 38);
}
