#include "settings/legacy_settings.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "engine/process.hpp"
#include "test_support.hpp"

namespace {

using Map = std::map<std::string, std::string>;

Map parse_ok(const std::string& text) {
  Map out;
  std::string err;
  INFO("text: " << text);
  bool ok = sc::parse_legacy_settings(text, "/etc/sc", &out, &err);
  INFO("err: " << err);
  REQUIRE(ok);
  return out;
}

std::string parse_error(const std::string& text) {
  Map out;
  std::string err;
  INFO("text: " << text);
  REQUIRE_FALSE(sc::parse_legacy_settings(text, "/etc/sc", &out, &err));
  REQUIRE_FALSE(err.empty());
  return err;
}

std::string single_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string double_quote(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\' || c == '$' || c == '`') q += '\\';
    q += c;
  }
  return q + "\"";
}

}  // namespace

TEST_CASE("legacy: the original tool's own output", "[legacy_settings]") {
  // What `echo "$s='${!s}'"` wrote for ordinary values.
  CHECK(parse_ok("BACKUP_DIR='/srv/backup'\nMAIL_TO='root@example.org'\nEMPTY=''\n") ==
        Map{{"BACKUP_DIR", "/srv/backup"}, {"MAIL_TO", "root@example.org"}, {"EMPTY", ""}});
  CHECK(parse_ok("").empty());
  CHECK(parse_ok("\n\n   \n# only a comment\n\t# indented comment\n").empty());
  CHECK(parse_ok("A='no final newline'") == Map{{"A", "no final newline"}});
}

TEST_CASE("legacy: export, blanks and comments around assignments", "[legacy_settings]") {
  CHECK(parse_ok("export A='1'\nexport\tB=2\n  export   C=3\n\tD=4\n") ==
        Map{{"A", "1"}, {"B", "2"}, {"C", "3"}, {"D", "4"}});
  CHECK(parse_ok("A='x'   # trailing comment\nB=y\t\n") == Map{{"A", "x"}, {"B", "y"}});
  // `#` inside a word is not a comment.
  CHECK(parse_ok("A='x'#not-a-comment\nB=a#b\nC=#c\n") == Map{{"A", "x#not-a-comment"}, {"B", "a#b"}, {"C", "#c"}});
  // Names are kept as written, lower case included; a name may start with "export".
  CHECK(parse_ok("lower_case=1\n_x=2\nexported=3\nexport=4\n") ==
        Map{{"lower_case", "1"}, {"_x", "2"}, {"exported", "3"}, {"export", "4"}});
  // A later assignment wins, as in the shell.
  CHECK(parse_ok("A=1\nA=2\n") == Map{{"A", "2"}});
}

TEST_CASE("legacy: empty values", "[legacy_settings]") {
  CHECK(parse_ok("A=\nB=''\nC=\"\"\nD= # comment\nE=''''\n") ==
        Map{{"A", ""}, {"B", ""}, {"C", ""}, {"D", ""}, {"E", ""}});
}

TEST_CASE("legacy: single quotes keep everything literally", "[legacy_settings]") {
  CHECK(parse_ok("A='it'\\''s'\n") == Map{{"A", "it's"}});
  CHECK(parse_ok("A='x; $(touch /tmp/pwned) `id` $HOME ${X} \\n \" ~ | & > <'\n") ==
        Map{{"A", "x; $(touch /tmp/pwned) `id` $HOME ${X} \\n \" ~ | & > <"}});
  CHECK(parse_ok("A='  with  spaces  '\n") == Map{{"A", "  with  spaces  "}});
  CHECK(parse_ok("A='ünïcødé-名前 🎉'\n") == Map{{"A", "ünïcødé-名前 🎉"}});
}

TEST_CASE("legacy: double quotes with POSIX escapes", "[legacy_settings]") {
  CHECK(parse_ok(R"(A="a\"b\\c\$d\`e")") == Map{{"A", "a\"b\\c$d`e"}});
  // Other backslashes are kept, with the character after them.
  CHECK(parse_ok(R"(A="x\ny\t\'z")") == Map{{"A", R"(x\ny\t\'z)"}});
  // Backslash-newline is a continuation: both disappear.
  CHECK(parse_ok("A=\"ab\\\ncd\"\n") == Map{{"A", "abcd"}});
  // A `$` that starts no expansion is literal.
  CHECK(parse_ok("A=\"$\"\nB=\"a$ b\"\nC=\"100$\"\nD=\"it's\"\n") ==
        Map{{"A", "$"}, {"B", "a$ b"}, {"C", "100$"}, {"D", "it's"}});
}

TEST_CASE("legacy: bare words with backslash escapes", "[legacy_settings]") {
  CHECK(parse_ok(R"(A=foo\ bar)") == Map{{"A", "foo bar"}});
  CHECK(parse_ok(R"(A=it\'s\"q\"\\\$HOME\;\|\~)") == Map{{"A", "it's\"q\"\\$HOME;|~"}});
  CHECK(parse_ok("A=foo\\\nbar\nB=2\n") == Map{{"A", "foobar"}, {"B", "2"}});
  CHECK(parse_ok("A=/srv/*.log\nB=a{b,c}\nC=x=y\nD=100$\nE=a:b\nF=a~b\n") ==
        Map{{"A", "/srv/*.log"}, {"B", "a{b,c}"}, {"C", "x=y"}, {"D", "100$"}, {"E", "a:b"}, {"F", "a~b"}});
  CHECK(parse_ok("A=名前\n") == Map{{"A", "名前"}});
}

TEST_CASE("legacy: concatenations", "[legacy_settings]") {
  CHECK(parse_ok(R"(A=foo'bar'"baz")") == Map{{"A", "foobarbaz"}});
  CHECK(parse_ok(R"(A='a'\''b'"c d"e\ f'')") == Map{{"A", "a'bc de f"}});
  CHECK(parse_ok(R"(A="it's"' "quoted"')") == Map{{"A", "it's \"quoted\""}});
}

TEST_CASE("legacy: values spanning lines", "[legacy_settings]") {
  CHECK(parse_ok("A='line1\nline2\n'\nB=\"x\ny\"\nC=3\n") == Map{{"A", "line1\nline2\n"}, {"B", "x\ny"}, {"C", "3"}});
  // Lines are still counted right after a multi-line value.
  std::string err = parse_error("A='1\n2\n3'\nB=$(id)\n");
  CHECK_THAT(err, Catch::StartsWith("/etc/sc:4: setting B:"));
}

TEST_CASE("legacy: every hostile string survives both quoting styles", "[legacy_settings]") {
  for (const std::string& h : sc::test::hostile_strings()) {
    CHECK(parse_ok("V=" + single_quote(h) + "\n") == Map{{"V", h}});
    CHECK(parse_ok("export V=" + double_quote(h) + " # note\n") == Map{{"V", h}});
  }
}

TEST_CASE("legacy: expansions are refused, naming file, line and fix", "[legacy_settings]") {
  struct Case {
    std::string text;
    std::string start;
    std::string detail;
  };
  const Case cases[] = {
      {"A=1\nB=$(hostname)\n", "/etc/sc:2: setting B:", "command substitution"},
      {"A=\"x$(id)\"\n", "/etc/sc:1: setting A:", "command substitution"},
      {"\nA=`id`\n", "/etc/sc:2: setting A:", "command substitution"},
      {"A=\"`id`\"\n", "/etc/sc:1: setting A:", "command substitution"},
      {"A=$HOME/x\n", "/etc/sc:1: setting A:", "\"$H\" (variable expansion)"},
      {"A=\"${X:-y}\"\n", "/etc/sc:1: setting A:", "parameter expansion"},
      {"A=$1\n", "/etc/sc:1: setting A:", "variable expansion"},
      {"A=$((1+1))\n", "/etc/sc:1: setting A:", "arithmetic"},
      {"A=$'a\\nb'\n", "/etc/sc:1: setting A:", "single quotes"},
      {"A=~/x\n", "/etc/sc:1: setting A:", "home directory"},
      {"A=/a:~/b\n", "/etc/sc:1: setting A:", "home directory"},
  };
  for (const auto& c : cases) {
    std::string err = parse_error(c.text);
    CHECK_THAT(err, Catch::StartsWith(c.start) && Catch::Contains(c.detail) && Catch::Contains("single quotes"));
  }
}

TEST_CASE("legacy: unterminated quotes name the line they opened on", "[legacy_settings]") {
  std::string err = parse_error("A='ok'\nB='never closed\nC=1\n");
  CHECK_THAT(err, Catch::StartsWith("/etc/sc:2: setting B: unterminated single quote") && Catch::Contains("'\\''"));
  err = parse_error("A=1\nB=2\nC=\"open\nD=4\n");
  CHECK_THAT(err, Catch::StartsWith("/etc/sc:3: setting C: unterminated double quote"));
  err = parse_error("A=\"ends in backslash\\");
  CHECK_THAT(err, Catch::StartsWith("/etc/sc:1: setting A: unterminated double quote"));
  err = parse_error("A=x\\");
  CHECK_THAT(err, Catch::StartsWith("/etc/sc:1: setting A: backslash at the end"));
  // The original tool wrote values holding a quote like this.
  err = parse_error("MOTD='it's'\n");
  CHECK_THAT(err, Catch::StartsWith("/etc/sc:1: setting MOTD: unterminated single quote"));
}

TEST_CASE("legacy: lines that are not one assignment", "[legacy_settings]") {
  struct Case {
    std::string text;
    std::string start;
  };
  const Case cases[] = {
      {"A=1\necho hi\n", "/etc/sc:2: not an assignment"},
      {"A = 1\n", "/etc/sc:1: not an assignment"},
      {"1A=x\n", "/etc/sc:1: not an assignment"},
      {"A-B=1\n", "/etc/sc:1: not an assignment"},
      {"A=1\nexport A\n", "/etc/sc:2: not an assignment"},
      {"export\n", "/etc/sc:1: not an assignment"},
      {"ünï=1\n", "/etc/sc:1: not an assignment"},
      {"A=1 B=2\n", "/etc/sc:1: setting A: unexpected text after the value"},
      {"A=foo bar\n", "/etc/sc:1: setting A: unexpected text after the value"},
      {"A='x' 'y'\n", "/etc/sc:1: setting A: unexpected text after the value"},
      {"A=1; B=2\n", "/etc/sc:1: setting A: unquoted ';'"},
      {"A=1&\n", "/etc/sc:1: setting A: unquoted '&'"},
      {"A=a|b\n", "/etc/sc:1: setting A: unquoted '|'"},
      {"A=x>y\n", "/etc/sc:1: setting A: unquoted '>'"},
      {"A=(a b)\n", "/etc/sc:1: setting A: arrays are not supported"},
  };
  for (const auto& c : cases) {
    std::string err = parse_error(c.text);
    CHECK_THAT(err, Catch::StartsWith(c.start));
  }
}

TEST_CASE("legacy: bytes a setting cannot hold", "[legacy_settings]") {
  std::string err = parse_error("A=1\nB='caf\xe9'\n");
  CHECK_THAT(err, Catch::StartsWith("/etc/sc:2: setting B: the value is not valid UTF-8") && Catch::Contains("iconv"));
  const char with_nul[] = "A=1\nB=2\nC='a\0b'\n";
  err = parse_error(std::string(with_nul, sizeof with_nul - 1));
  CHECK_THAT(err, Catch::StartsWith("/etc/sc:3: NUL byte"));
}

TEST_CASE("legacy: errors never echo a value", "[legacy_settings]") {
  std::string err = parse_error("PASSWORD='hunter2\n");
  CHECK_THAT(err, !Catch::Contains("hunter2"));
  err = parse_error("hunter2 secret\n");
  CHECK_THAT(err, !Catch::Contains("hunter2"));
}

TEST_CASE("legacy: valid_shell_name", "[legacy_settings]") {
  CHECK(sc::valid_shell_name("A"));
  CHECK(sc::valid_shell_name("_"));
  CHECK(sc::valid_shell_name("lower_Case9"));
  CHECK_FALSE(sc::valid_shell_name(""));
  CHECK_FALSE(sc::valid_shell_name("9A"));
  CHECK_FALSE(sc::valid_shell_name("A-B"));
  CHECK_FALSE(sc::valid_shell_name("A B"));
  CHECK_FALSE(sc::valid_shell_name("A=B"));
}

TEST_CASE("legacy: values agree with what sh and bash read", "[legacy_settings]") {
  // The parser claims to read like POSIX sh: ask real shells.
  std::vector<std::string> texts = {
      "BACKUP_DIR='/srv/backup'\nEMPTY=''\nexport X=1\n\tY=2 # c\n",
      "A='it'\\''s'\nB='x; $(touch /tmp/pwned) `id` $HOME \\n \" ~'\n",
      "A=\nB=''\nC=\"\"\nD= # comment\nE=''''\n",
      R"(A="a\"b\\c\$d\`e" )"
      "\n"
      R"(B="x\ny\t\'z")"
      "\n",
      "A=\"ab\\\ncd\"\nB=foo\\\nbar\nC=\"$\"\nD=\"a$ b\"\nE=100$\nF=\"100$\"\n",
      R"(A=it\'s\"q\"\\\$HOME\;\|\~)"
      "\n"
      R"(B=foo\ bar)"
      "\n",
      "A=/srv/*.log\nB=a{b,c}\nC=x=y\nE=a:b\nF=a~b\nG=a#b\nH='x'#y\n",
      R"(A=foo'bar'"baz")"
      "\n"
      R"(B='a'\''b'"c d"e\ f'')"
      "\n"
      R"(C="it's"' "q"')"
      "\n",
      "A='line1\nline2\n'\nB=\"x\ny\"\nC='ünïcødé-名前 🎉'\nD=名前\n",
      "A=1\nA=2\nlower_case=3\n_x=4\nexported=5\n",
  };
  for (const std::string& h : sc::test::hostile_strings()) {
    texts.push_back("V=" + single_quote(h) + "\nW=" + double_quote(h) + "\n");
  }
  sc::test::TempDir tmp;
  for (const char* shell : {"sh", "bash"}) {
    for (const std::string& text : texts) {
      Map ours = parse_ok(text);
      sc::test::write_text(tmp / "settings", text);
      sc::ProcessSpec spec;
      spec.argv = {shell, "-c",
                   ". \"$1\" || exit 1; shift; for n in \"$@\"; do eval \"v=\\${$n}\"; "
                   "printf '%s\\0' \"$v\"; done",
                   shell, (tmp / "settings").string()};
      for (const auto& entry : ours) spec.argv.push_back(entry.first);
      spec.capture_out = true;
      sc::ProcessResult r = sc::run_process(spec);
      INFO(shell << " reading: " << text);
      REQUIRE(r.ok());
      Map theirs;
      size_t pos = 0;
      for (const auto& entry : ours) {
        size_t end = r.out.find('\0', pos);
        REQUIRE(end != std::string::npos);
        theirs[entry.first] = r.out.substr(pos, end - pos);
        pos = end + 1;
      }
      CHECK(ours == theirs);
    }
  }
}
