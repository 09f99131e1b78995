// The motd commands run against sc/testing.hpp's in-memory host: no sc, no
// root tree. What they print, write and refuse is checked exactly.
#include <iostream>
#include <sc/testing.hpp>
#include <string>

static int failures = 0, checks = 0;

static void expect(bool ok, const std::string& what) {
  ++checks;
  if (!ok) {
    std::cerr << "FAIL: " << what << "\n";
    ++failures;
  }
}

int main() {
  sc::testing::Host host;
  // The manifest's defaults (the test host reads no manifest).
  host.defaults = {{"MOTD_TEXT", "Welcome to"}, {"MOTD_BOXED", "no"}};
  host.dirs["/etc"] = 0755;
  host.files["/etc/hostname"] = {"node1.example.com\n"};

  expect(host.run(sc_plugin_entry(), "setup") == SC_OK, "setup succeeds: " + host.error);
  expect(host.files["/etc/motd"].data == "Welcome to node1.example.com\n", "setup writes /etc/motd");
  expect(host.actions.back() == "changed: write /etc/motd", "setup reports the change");
  expect(host.run(sc_plugin_entry(), "setup") == SC_OK && host.actions.back() == "ok: write /etc/motd",
         "a second setup changes nothing");

  // Settings are the module's: a boxed message.
  host.settings["MOTD_BOXED"] = "yes";
  host.settings["MOTD_TEXT"] = "Hi";
  expect(host.run(sc_plugin_entry(), "setfqdn", {"h"}) == SC_OK, "setfqdn succeeds");
  expect(host.files["/etc/motd"].data == "********\n* Hi h *\n********\n", "setfqdn writes the boxed text");

  // Hostile input is refused with exit 2 and nothing written.
  const std::string before = host.files["/etc/motd"].data;
  host.actions.clear();
  expect(host.run(sc_plugin_entry(), "setfqdn", {"a;rm -rf /"}) == SC_USAGE, "a hostile name is refused");
  expect(host.error.find("a;rm -rf /") != std::string::npos, "the refusal names the value");
  expect(host.actions.empty() && host.files["/etc/motd"].data == before, "nothing changed");

  // --dry-run: planned, not written.
  host.mode = SC_MODE_DRY_RUN;
  expect(host.run(sc_plugin_entry(), "setfqdn", {"other.example.com"}) == SC_OK, "a dry run succeeds");
  expect(host.actions.back() == "would change: write /etc/motd", "a dry run plans the write");
  expect(host.files["/etc/motd"].data == before, "a dry run writes nothing");
  host.mode = 0;

  // show prints the file; without it, a clear failure.
  host.output.clear();
  expect(host.run(sc_plugin_entry(), "show") == SC_OK && host.output == before, "show prints /etc/motd");
  host.files.erase("/etc/motd");
  expect(host.run(sc_plugin_entry(), "show") == SC_FAIL && host.error.find("sc motd setup") != std::string::npos,
         "show without /etc/motd says what to run");

  std::cout << (checks - failures) << " passed, " << failures << " failed\n";
  return failures ? 1 : 0;
}
