// Unit test of motd_text.cpp; plain C++, no framework needed.
#include "../motd_text.hpp"

#include <iostream>
#include <string>

static int failures = 0;

static void expect(bool ok, const std::string& what) {
  if (!ok) {
    std::cerr << "FAIL: " << what << "\n";
    ++failures;
  }
}

int main() {
  expect(motd::render("Welcome to", "node1.example.com", false) == "Welcome to node1.example.com\n", "plain");
  expect(motd::render("Hi", "h", true) == "********\n* Hi h *\n********\n", "boxed");
  expect(motd::render("", "h", false) == "h\n", "no text");
  expect(motd::render("a\nb\tc", "h", false) == "a b c h\n", "control characters");
  expect(motd::valid_host_name("node-1.example.com"), "valid name");
  expect(!motd::valid_host_name(""), "empty name");
  expect(!motd::valid_host_name("-x"), "leading dash");
  expect(!motd::valid_host_name("a b"), "space");
  expect(!motd::valid_host_name("a;rm -rf /"), "hostile");
  expect(!motd::valid_host_name(std::string(254, 'a')), "too long");
  expect(motd::first_line("  node1 \nother\n") == "node1", "first line");
  expect(motd::first_line("") == "", "empty file");
  std::cout << (12 - failures) << " passed, " << failures << " failed\n";
  return failures ? 1 : 0;
}
