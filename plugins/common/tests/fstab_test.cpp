// The fstab and mountinfo text shared by the modules that mount
// (plugins/common/fstab): field escapes, entries, byte-exact lines.
#include "common/fstab.hpp"

#include <catch2/catch.hpp>

#include "test_support.hpp"

namespace fstab = plugin_common::fstab;

TEST_CASE("fstab: fields are escaped and read back as libmount does", "[common][fstab]") {
  CHECK(fstab::escape("a b\tc\nd\\e") == "a\\040b\\011c\\012d\\134e");
  CHECK(fstab::escape("ünï-名前#$") == "ünï-名前#$");
  for (const auto& s : sc::test::hostile_strings()) CHECK(fstab::unescape(fstab::escape(s)) == s);
  CHECK(fstab::unescape("a\\040b") == "a b");
  CHECK(fstab::unescape("a\\04") == "a\\04");    // too short: kept
  CHECK(fstab::unescape("a\\089") == "a\\089");  // not octal: kept
  CHECK(fstab::unescape("\\") == "\\");
  // An escaped field never holds a blank or a newline.
  for (const auto& s : sc::test::hostile_strings()) {
    const std::string e = fstab::escape(s);
    CHECK(e.find_first_of(" \t\n") == std::string::npos);
  }
}

TEST_CASE("fstab: entries are parsed like mount(8) reads them", "[common][fstab]") {
  auto e = fstab::parse_entry("  m:/srv/a\\040b\t/srv/x   fuse.sshfs  ro,port=2 0   0");
  REQUIRE(e);
  CHECK(e->spec == "m:/srv/a b");
  CHECK(e->file == "/srv/x");
  CHECK(e->vfstype == "fuse.sshfs");
  CHECK(e->options == "ro,port=2");
  CHECK(e->freq == "0");
  CHECK(e->passno == "0");
  CHECK_FALSE(fstab::parse_entry(""));
  CHECK_FALSE(fstab::parse_entry("   "));
  CHECK_FALSE(fstab::parse_entry("# m:/a /a fuse.sshfs x 0 0"));
  CHECK_FALSE(fstab::parse_entry("  #m:/a /a fuse.sshfs"));
  CHECK_FALSE(fstab::parse_entry("/dev/sda1 /"));
  e = fstab::parse_entry("proc /proc proc");
  REQUIRE(e);
  CHECK(e->options.empty());

  for (const char* text : {"", "a", "a\n", "a\nb", "\n\n", "x\r\ny\n"}) CHECK(fstab::join(fstab::split(text)) == text);
}
