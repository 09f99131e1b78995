#include "common/shell_words.hpp"

#include <catch2/catch.hpp>

#include "test_support.hpp"

namespace shell_words = plugin_common::shell_words;
using sc::test::hostile_strings;
using sc::test::output_of;

TEST_CASE("shell_words: words quoted only when needed, exactly", "[common][shell_words]") {
  CHECK(shell_words::quote("c1:/srv/data") == "c1:/srv/data");
  CHECK(shell_words::quote("root@node1:2222:/a_b-c.d,e+f=g%h") == "root@node1:2222:/a_b-c.d,e+f=g%h");
  CHECK(shell_words::quote("") == "''");
  CHECK(shell_words::quote("with space") == "'with space'");
  CHECK(shell_words::quote("it's") == "'it'\\''s'");
  CHECK(shell_words::quote("$HOME") == "'$HOME'");
  CHECK(shell_words::quote("a\nb'c\\d\te\x01"
                           "f") == "$'a\\nb\\'c\\\\d\\te\\x01f'");
  CHECK(shell_words::command({"sc", "unisonsync", "resolve", "/srv/data/my file", "keep-local"}) ==
        "sc unisonsync resolve '/srv/data/my file' keep-local");
  CHECK(shell_words::command({}).empty());
}

TEST_CASE("shell_words: a shell reads every quoted word back as it was", "[common][shell_words]") {
  std::vector<std::string> words = hostile_strings();
  words.insert(words.end(), {"it's \"odd\"\nname é", "tab\there", "esc\x1b[31m", std::string("nul-less\x7f"),
                             "back\\slash'quote", "\xff\xfe non-utf8", "-n", "'", "''"});
  for (const auto& w : words) {
    INFO(w);
    // bash for every word; dash (POSIX sh) for those without a control
    // character, which are single-quoted.
    CHECK(output_of({"bash", "-c", "printf %s " + shell_words::quote(w)}) == w);
    const bool control = w.find_first_of(std::string("\n\t\r\x1b\x7f", 5)) != std::string::npos;
    if (!control) CHECK(output_of({"sh", "-c", "printf %s " + shell_words::quote(w)}) == w);
  }
}
