#include "common/text_split.hpp"

#include <catch2/catch.hpp>

using plugin_common::text_split::Cr;
using Views = std::vector<std::string_view>;

TEST_CASE("text_split: lines, with and without carriage returns", "[common][text_split]") {
  CHECK(plugin_common::text_split::lines("").empty());
  CHECK(plugin_common::text_split::lines("\n") == Views{""});
  CHECK(plugin_common::text_split::lines("a") == Views{"a"});
  CHECK(plugin_common::text_split::lines("a\n") == Views{"a"});
  CHECK(plugin_common::text_split::lines("a\n\nb") == Views{"a", "", "b"});
  CHECK(plugin_common::text_split::lines("a\r\nb\r\r\n") == Views{"a\r", "b\r\r"});
  CHECK(plugin_common::text_split::lines("a\r\nb\r\r\n", Cr::strip) == Views{"a", "b\r"});
  CHECK(plugin_common::text_split::lines("\r\n", Cr::strip) == Views{""});
  CHECK(plugin_common::text_split::nonempty_lines("a\r\n\nb c\n/d\n", Cr::strip) ==
        std::vector<std::string>{"a", "b c", "/d"});
  CHECK(plugin_common::text_split::nonempty_lines("\r\n\n", Cr::keep) == std::vector<std::string>{"\r"});
}

TEST_CASE("text_split: words", "[common][text_split]") {
  CHECK(plugin_common::text_split::words("").empty());
  CHECK(plugin_common::text_split::words(" \t\n").empty());
  CHECK(plugin_common::text_split::words("a") == Views{"a"});
  CHECK(plugin_common::text_split::words("  daily:/srv \t weekly:host\nx  ") ==
        Views{"daily:/srv", "weekly:host", "x"});
  // Only space, tab and newline separate: a carriage return is part of a word.
  CHECK(plugin_common::text_split::words("a\rb c\r") == Views{"a\rb", "c\r"});
}
