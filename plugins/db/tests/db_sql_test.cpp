#include <catch2/catch.hpp>

#include "../sql.hpp"
#include "test_support.hpp"

TEST_CASE("db: identifiers are validated, never escaped into SQL", "[db]") {
  std::string why;
  CHECK(db::valid_identifier("roundcubemail", &why));
  CHECK(db::valid_identifier("_x9", &why));
  CHECK(db::valid_identifier("user", &why));  // reserved, but quoted everywhere
  for (const char* bad : {"x; DROP ROLE postgres", "Upper", "a-b", "a b", "9lives", "\"q\"", "it's", ""}) {
    INFO(bad);
    CHECK_FALSE(db::valid_identifier(bad, &why));
    CHECK_THAT(why, Catch::Contains("is not a valid database or role name"));
  }
  CHECK_FALSE(db::valid_identifier(std::string(64, 'a'), &why));
  for (const auto& hostile : sc::test::hostile_strings()) CHECK_FALSE(db::valid_identifier(hostile, nullptr));
}

TEST_CASE("db: quoting", "[db]") {
  CHECK(db::quote_ident("user") == "\"user\"");
  CHECK(db::quote_literal("it's") == "'it''s'");
  CHECK(db::quote_literal("back\\slash") == "'back\\slash'");
}

TEST_CASE("db: the ensure script creates what is missing and drops nothing", "[db]") {
  std::string s = db::ensure_script("cloud", "clouddb", "p'w");
  CHECK(s ==
        "SET standard_conforming_strings = on;\n"
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cloud')\n"
        "  THEN 'ALTER ROLE \"cloud\" WITH LOGIN PASSWORD ' || '''p''''w'''\n"
        "  ELSE 'CREATE ROLE \"cloud\" WITH LOGIN PASSWORD ' || '''p''''w''' END\n"
        "\\gexec\n"
        "SELECT 'CREATE DATABASE \"clouddb\" OWNER \"cloud\"'\n"
        "  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'clouddb')\n"
        "\\gexec\n"
        "ALTER DATABASE \"clouddb\" OWNER TO \"cloud\";\n");
  CHECK(s.find("DROP") == std::string::npos);
  CHECK(db::drop_script("cloud", "clouddb") ==
        "DROP DATABASE IF EXISTS \"clouddb\";\nDROP ROLE IF EXISTS \"cloud\";\n");
}

TEST_CASE("db: role lines are picked from pg_dumpall output", "[db]") {
  const std::string dump =
      "--\n-- Roles\n--\n\nCREATE ROLE cloud;\nALTER ROLE cloud WITH NOSUPERUSER LOGIN PASSWORD 'SCRAM-SHA-256$x';\n"
      "CREATE ROLE cloudy;\nALTER ROLE cloudy WITH LOGIN;\nCREATE ROLE \"user\";\nALTER ROLE \"user\" WITH LOGIN;\n";
  CHECK(db::role_lines(dump, "cloud") ==
        "CREATE ROLE cloud;\nALTER ROLE cloud WITH NOSUPERUSER LOGIN PASSWORD 'SCRAM-SHA-256$x';\n");
  CHECK(db::role_lines(dump, "user") == "CREATE ROLE \"user\";\nALTER ROLE \"user\" WITH LOGIN;\n");
  CHECK(db::role_lines(dump, "nobody").empty());
}

TEST_CASE("db: hook entries", "[db]") {
  CHECK(db::parse_db_entry("cloud:clouddb") == std::make_pair(std::string("cloud"), std::string("clouddb")));
  CHECK(db::parse_db_entry("cloud") == std::make_pair(std::string("cloud"), std::string("cloud")));
  CHECK_FALSE(db::parse_db_entry("Error: Cannot find sc mass enabled"));
  CHECK_FALSE(db::parse_db_entry("a:b;c"));
}
