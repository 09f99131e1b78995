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

// ---- dumps of the original tool ---------------------------------------------

namespace {
const std::string kScram =
    "SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0$3Xk1b2V5c3RvcmVka2V5c3RvcmVka2V5cw==:c2VydmVya2V5c2VydmVya2V5c2VydmVy";

/// A stream as the original's db_backup composed it.
std::string original_stream(const std::string& role_lines, const std::string& dump) {
  return "DROP DATABASE IF EXISTS alicedb;\nDROP ROLE IF EXISTS alice;\n" + role_lines +
         "CREATE DATABASE alicedb OWNER=alice;\n\\connect alicedb\n" + dump;
}
}  // namespace

TEST_CASE("db: names of an original dump come from its file name", "[db]") {
  std::string why;
  CHECK(db::original_dump_names("alice:alicedb.xz", &why) ==
        std::make_pair(std::string("alice"), std::string("alicedb")));
  CHECK(db::original_dump_names("roundcube:roundcube.xz", &why) ==
        std::make_pair(std::string("roundcube"), std::string("roundcube")));
  for (const char* bad :
       {"alice:alicedb", "alicedb.xz", "alice:alicedb.sql", "Alice:db.xz", "a;b:db.xz", "alice:db'x.xz", "alice:a b.xz",
        ":db.xz", "alice:.xz", "alice:db:x.xz", "../x:y.xz", "postgres:mine.xz", "pg_monitor:mine.xz",
        "alice:postgres.xz", "alice:template1.xz", "alice:template0.xz", ".xz"}) {
    INFO(bad);
    why.clear();
    CHECK_FALSE(db::original_dump_names(bad, &why));
    CHECK_FALSE(why.empty());
  }
  CHECK_FALSE(db::original_dump_names(std::string("alice:al\0ce.xz", 14), &why));
  for (const auto& hostile : sc::test::hostile_strings()) {
    CHECK_FALSE(db::original_dump_names(hostile, nullptr));
    CHECK_FALSE(db::original_dump_names(hostile + ":db.xz", nullptr));
    CHECK_FALSE(db::original_dump_names("alice:" + hostile + ".xz", nullptr));
  }
}

TEST_CASE("db: password hashes carried over are well-formed", "[db]") {
  CHECK(db::valid_password_hash("md5" + std::string(32, 'a')));
  CHECK(db::valid_password_hash("md50123456789abcdef0123456789abcdef"));
  CHECK(db::valid_password_hash(kScram));
  for (const std::string& bad : std::vector<std::string>{
           std::string("md5") + std::string(31, 'a'), "md5" + std::string(32, 'G'), "md5" + std::string(33, 'a'),
           std::string("plain password"), std::string(""), std::string("SCRAM-SHA-256$"),
           std::string("SCRAM-SHA-256$x:salt$a:b"), std::string("SCRAM-SHA-256$4096:salt$ab"),
           std::string("SCRAM-SHA-256$4096:sa'lt$a:b"), std::string("SCRAM-SHA-256$4096:salt$a:b c"),
           std::string("SCRAM-SHA-1$4096:salt$a:b")}) {
    INFO(bad);
    CHECK_FALSE(db::valid_password_hash(bad));
  }
}

TEST_CASE("db: an original dump stream is split into the role's password and pg_dump's part", "[db]") {
  const std::string dump =
      "\\restrict AbC123\n"
      "SET client_encoding = 'UTF8';\n"
      "CREATE TABLE public.notes (id integer, body text);\n"
      "COPY public.notes (id, body) FROM stdin;\n"
      "1\tit's\n"
      "\\restrict inside the data\n"
      "\\restrict Xy1\n"
      "\\.\n"
      "ALTER TABLE public.notes OWNER TO alice;\n"
      "\\unrestrict AbC123\n";
  const std::string kept =
      "SET client_encoding = 'UTF8';\n"
      "CREATE TABLE public.notes (id integer, body text);\n"
      "COPY public.notes (id, body) FROM stdin;\n"
      "1\tit's\n"
      "\\restrict inside the data\n"
      "\\restrict Xy1\n"
      "\\.\n"
      "ALTER TABLE public.notes OWNER TO alice;\n";
  std::string why;
  auto d = db::parse_original_dump(
      original_stream("CREATE ROLE alice;\nALTER ROLE alice WITH NOSUPERUSER INHERIT LOGIN PASSWORD '" + kScram +
                          "';\nCREATE ROLE alicebis;\nALTER ROLE alicebis WITH SUPERUSER LOGIN PASSWORD 'md5" +
                          std::string(32, 'b') + "';\n",
                      dump),
      "alice", "alicedb", &why);
  INFO(why);
  REQUIRE(d);
  CHECK(d->password_hash == kScram);
  CHECK(d->password_problem.empty());
  CHECK(d->dump == kept);

  // The role of the file's name only; a quoted name as pg_dumpall writes a
  // reserved word; an md5 hash.
  d = db::parse_original_dump(
      "DROP DATABASE IF EXISTS alicedb;\nCREATE ROLE \"alice\";\nALTER ROLE \"alice\" WITH LOGIN PASSWORD 'md5" +
          std::string(32, 'c') + "';\r\n\\connect \"alicedb\"\r\nSELECT 1;\n",
      "alice", "alicedb", &why);
  REQUIRE(d);
  CHECK(d->password_hash == "md5" + std::string(32, 'c'));
  CHECK(d->dump == "SELECT 1;\n");

  // No password, or one that is not a hash: none taken, and why.
  d = db::parse_original_dump(original_stream("CREATE ROLE alice;\nALTER ROLE alice WITH LOGIN;\n", "SELECT 1;\n"),
                              "alice", "alicedb", &why);
  REQUIRE(d);
  CHECK_FALSE(d->password_hash);
  CHECK(d->password_problem.empty());
  for (const std::string& line : std::vector<std::string>{
           std::string("ALTER ROLE alice WITH LOGIN PASSWORD 'cleartext';\n"),
           std::string("ALTER ROLE alice WITH LOGIN PASSWORD '") + kScram + "'; DROP ROLE postgres;\n",
           std::string("ALTER ROLE alice WITH LOGIN PASSWORD 'md5") + std::string(32, 'a') + "' || 'x';\n",
           std::string("ALTER ROLE alice WITH LOGIN PASSWORD 'md5") + std::string(32, 'a') + "\n"}) {
    INFO(line);
    d = db::parse_original_dump(original_stream("CREATE ROLE alice;\n" + line, ""), "alice", "alicedb", &why);
    if (!d) {  // a line that does not end in ';' is not one the original wrote
      CHECK_THAT(why, Catch::Contains("is not one the original tool wrote"));
      continue;
    }
    CHECK_FALSE(d->password_hash);
    CHECK_THAT(d->password_problem, Catch::Contains("no password hash"));
  }
}

TEST_CASE("db: a stream that is not an original dump of the file's database is refused", "[db]") {
  std::string why;
  // Another database than the file names.
  CHECK_FALSE(db::parse_original_dump(original_stream("", "SELECT 1;\n"), "alice", "otherdb", &why));
  CHECK_THAT(why, Catch::Contains("not an original dump of database otherdb"));
  // Anything but the original's statements before \connect.
  for (const std::string& head : std::vector<std::string>{
           std::string("SELECT 1;\n"), std::string("\\! rm -rf /\n"), std::string("COPY x TO PROGRAM 'sh';\n"),
           std::string("GRANT pg_execute_server_program TO alice;\n"), std::string("\\connect postgres\n"),
           std::string("CREATE ROLE alice\n")}) {
    INFO(head);
    CHECK_FALSE(db::parse_original_dump(head + "\\connect alicedb\nSELECT 1;\n", "alice", "alicedb", &why));
    CHECK_THAT(why, Catch::Contains("not an original dump of database alicedb"));
  }
  CHECK_FALSE(db::parse_original_dump(std::string("\\connect alicedb\n\0", 18), "alice", "alicedb", &why));
  CHECK_FALSE(db::parse_original_dump("", "alice", "alicedb", &why));
  for (const auto& hostile : sc::test::hostile_strings())
    CHECK_FALSE(db::parse_original_dump(hostile, "alice", "alicedb", nullptr));
}

TEST_CASE("db: the scripts of an original dump's restore", "[db]") {
  const std::string s = db::original_prepare_script("alice", "alicedb", "Tmp0");
  CHECK_THAT(s, Catch::Contains("ALTER ROLE \"alice\" WITH LOGIN PASSWORD ' || '''Tmp0'''"));
  CHECK_THAT(s, Catch::Contains("CREATE ROLE \"alice\" WITH LOGIN PASSWORD ' || '''Tmp0'''"));
  CHECK_THAT(s,
             Catch::EndsWith("DROP DATABASE IF EXISTS \"alicedb\";\nCREATE DATABASE \"alicedb\" OWNER \"alice\";\n"));
  CHECK(s.find("SUPERUSER") == std::string::npos);
  CHECK(db::password_script("alice", kScram) ==
        "SET standard_conforming_strings = on;\nALTER ROLE \"alice\" WITH PASSWORD '" + kScram + "';\n");
  CHECK(db::password_script("alice", std::nullopt) ==
        "SET standard_conforming_strings = on;\nALTER ROLE \"alice\" WITH PASSWORD NULL;\n");
}
