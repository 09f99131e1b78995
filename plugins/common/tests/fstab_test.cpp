// The fstab and mountinfo text shared by the modules that mount
// (plugins/common/fstab): field escapes, entries, byte-exact edits, the
// mount table, unit names checked against systemd's own tool.
#include "common/fstab.hpp"

#include <catch2/catch.hpp>

#include "engine/process.hpp"
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
  CHECK(fstab::unescape("/a\\040b\\011c\\134d\\012") == "/a b\tc\\d\n");
  CHECK(fstab::unescape("/a\\999") == "/a\\999");
  CHECK(fstab::unescape("\\101\\0400") == "A 0");
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

TEST_CASE("fstab: lines read as libmount reads them, found by mount point", "[common][fstab]") {
  // A line ended "\r\n" (an editor of another system): its '\r' is not part
  // of the last field; one inside a line is a byte of its field.
  auto e = fstab::parse_entry("s:/a\t/srv/mass/\tnfs4\trw\t0 2\r");
  REQUIRE(e);
  CHECK(e->file == "/srv/mass");  // a '/' ending the mount point does not count
  CHECK(e->vfstype == "nfs4");
  CHECK(e->passno == "2");
  e = fstab::parse_entry("s:/a /b nfs4\r");
  REQUIRE(e);
  CHECK(e->vfstype == "nfs4");
  CHECK(e->options.empty());
  e = fstab::parse_entry("s:/a /b\rc nfs4 rw");
  REQUIRE(e);
  CHECK(e->file == "/b\rc");
  CHECK_FALSE(fstab::parse_entry("# comment\r"));
  CHECK_FALSE(fstab::parse_entry("\r"));
  // Every field decoded, the spec too (sshshare writes it escaped).
  e = fstab::parse_entry("m:/srv/my\\040files /mnt/a\\134b\\040c fuse.sshfs o\\054p 0 0");
  REQUIRE(e);
  CHECK(e->spec == "m:/srv/my files");
  CHECK(e->file == "/mnt/a\\b c");
  CHECK(e->options == "o,p");
  CHECK(fstab::parse_entry("/ / ext4 d 0 1")->file == "/");
  CHECK(fstab::parse_entry("x // ext4 d 0 1")->file == "/");

  const std::string text =
      "# /etc/fstab\n"
      "UUID=1 / ext4 errors=remount-ro 0 1\n"
      "\n"
      "s:/x /srv/mass/sub nfs4 rw 0 0\n"
      "  # s:/y /srv/mass nfs4 rw 0 0\n"
      "/dev/sdb1 /srv/mass/ ext4 defaults 0 2\r\n"
      "short line\n"
      "m:/srv/mass /srv/my\\040mass fuse.sshfs o 0 0\n"
      "s:/z /srv/mass nfs4 rw 0 0";
  auto all = fstab::entries(text);
  REQUIRE(all.size() == 5);
  CHECK(all[0].line == 1);
  CHECK(all[0].file == "/");
  CHECK(all[2].line == 5);
  CHECK(all[2].passno == "2");
  CHECK(all[4].line == 8);
  auto on = fstab::entries_on(text, "/srv/mass");
  REQUIRE(on.size() == 2);
  CHECK(on[0].vfstype == "ext4");
  CHECK(on[1].spec == "s:/z");
  CHECK(fstab::entries_on(text, "/srv/mass/").size() == 2);
  REQUIRE(fstab::entries_on(text, "/srv/my mass").size() == 1);  // an escaped mount point written by hand
  CHECK(fstab::entries_on(text, "/srv/my mass")[0].line == 7);
  CHECK(fstab::entries_on(text, "/srv").empty());
  CHECK(fstab::entries("").empty());
}

TEST_CASE("fstab: an entry replaced, added or removed, every other line byte for byte", "[common][fstab]") {
  const std::string line = "m:/srv/mass /srv/mass nfs4 o 0 0";
  // Appended; a last line without its newline gets one, nothing else changes.
  CHECK(fstab::with_line("", {}, line) == line + "\n");
  CHECK(fstab::with_line("a /a ext4 d 0 1\n", {}, line) == "a /a ext4 d 0 1\n" + line + "\n");
  CHECK(fstab::with_line("a /a ext4 d 0 1", {}, line) == "a /a ext4 d 0 1\n" + line + "\n");
  CHECK(fstab::with_line("a\r\n\n", {}, line) == "a\r\n\n" + line + "\n");
  // In place of the first line named, ending as it ended; the others named
  // go; tabs, CRLF lines, comments, blank lines are kept as they were.
  const std::string before =
      "# comment\twith tab\r\n"
      "old.example.com:/mass\t/srv/mass/\tnfs\tdefaults\t0 0\r\n"
      "/dev/sdb1  /srv/massive  ext4  defaults  0 2\n"
      "dup:/y /srv/mass nfs4 rw 0 0\n"
      "  # indented comment /srv/mass nfs4\n"
      "\n";
  CHECK(fstab::with_line(before, {1, 3}, line) == "# comment\twith tab\r\n" + line +
                                                      "\r\n"
                                                      "/dev/sdb1  /srv/massive  ext4  defaults  0 2\n"
                                                      "  # indented comment /srv/mass nfs4\n"
                                                      "\n");
  CHECK(fstab::with_line("a /a ext4 d 0 1\nold /srv/mass nfs4 rw 0 0", {1}, line) == "a /a ext4 d 0 1\n" + line);
  CHECK(fstab::with_line(line + "\n", {0}, line) == line + "\n");
  // Removed: exactly the lines named.
  const std::string text = "# keep\na /a ext4 d 0 1\r\nb /b nfs4 rw 0 0\n\nc /c nfs4 rw 0 0";
  CHECK(fstab::without_lines(text, {}) == text);
  CHECK(fstab::without_lines(text, {2}) == "# keep\na /a ext4 d 0 1\r\n\nc /c nfs4 rw 0 0");
  CHECK(fstab::without_lines(text, {1, 4}) == "# keep\nb /b nfs4 rw 0 0\n\n");  // the last line, without its newline
  CHECK(fstab::without_lines(text, {0, 1, 2, 3, 4}).empty());
  CHECK(fstab::without_lines(text, {9}) == text);
  // What entries() reads is what the edits name.
  std::vector<size_t> lines;
  for (const auto& e : fstab::entries_on(before, "/srv/mass")) lines.push_back(e.line);
  CHECK(lines == std::vector<size_t>{1, 3});
}

TEST_CASE("fstab: mountinfo, its mount points, types and sources", "[common][fstab]") {
  const std::string info =
      "22 1 0:21 / /proc rw,nosuid shared:12 - proc proc rw\n"
      "40 25 0:35 / /srv/mass rw,relatime shared:20 - autofs systemd-1 rw,fd=40\n"
      "41 40 0:36 / /srv/mass rw,nosuid,nodev - fuse.sshfs m:/srv/mass rw,user_id=0\n"
      "42 25 0:37 / /mnt/with\\040space rw - fuse.sshfs m:/a\\040b rw\n"
      "43 22 0:38 / /srv/my\\040data rw shared:3 master:2 - nfs4 m:/x rw\n"
      "44 22 0:39 / /empty rw - tmpfs  rw\n"
      "garbage\n"
      "1 2 3:4 / /no-dash rw x - y\n";
  auto mounts = fstab::parse_mountinfo(info);
  REQUIRE(mounts.size() == 6);
  CHECK(mounts[0].point == "/proc");
  CHECK(mounts[0].fstype == "proc");
  CHECK(mounts[3].point == "/mnt/with space");
  CHECK(mounts[3].source == "m:/a b");
  CHECK(mounts[4].point == "/srv/my data");  // optional fields before the " - "
  CHECK(mounts[4].fstype == "nfs4");
  CHECK(mounts[4].source == "m:/x");
  CHECK(mounts[5].fstype == "tmpfs");  // an empty source: two spaces
  CHECK(mounts[5].source.empty());
  auto at = fstab::mounts_at(mounts, "/srv/mass");
  REQUIRE(at.size() == 2);
  CHECK(at[0].fstype == "autofs");
  CHECK(at[1].fstype == "fuse.sshfs");
  CHECK(fstab::mounts_at(mounts, "/srv/mass/").size() == 2);
  CHECK(fstab::mounts_at(mounts, "/mnt/with space").size() == 1);
  CHECK(fstab::mounts_at(mounts, "/srv/my data").size() == 1);
  CHECK(fstab::mounts_at(mounts, "/srv").empty());
  CHECK(fstab::mounts_at(fstab::parse_mountinfo("22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"), "/")
            .size() == 1);
  CHECK(fstab::parse_mountinfo("").empty());
}

TEST_CASE("fstab: automount unit names are systemd-escape's", "[common][fstab]") {
  CHECK(fstab::automount_unit("/srv/mass") == "srv-mass.automount");
  CHECK(fstab::automount_unit("/srv/with space/.hid/a-b") == "srv-with\\x20space-.hid-a\\x2db.automount");
  CHECK(fstab::automount_unit("/.x") == "\\x2ex.automount");
  CHECK(fstab::automount_unit("/x/ünï") == "x-\\xc3\\xbcn\\xc3\\xaf.automount");
  CHECK(fstab::automount_unit("/a\\b") == "a\\x5cb.automount");
  CHECK(fstab::automount_unit("/") == "-.automount");
  // Against systemd's own escaping (systemd-escape simplifies the path as
  // systemd does for the units it generates from fstab).
  for (const std::string p : {"/srv/mass", "/home", "/", "/srv/with space", "/srv/my-mass/x_y", "/x/ünï-名前",
                              "/srv/ünï:cødé", "/a\\b", "/.hidden/x.y", "/.hidden/a.b", "/a:b_c-d", "/a,b=c@d+e%f",
                              "/$HOME", "/it's", "/a/./b", "//a//b/", "/srv/mass/"}) {
    INFO(p);
    sc::ProcessSpec spec;
    spec.argv = {"systemd-escape", "--path", "--suffix=automount", p};
    spec.capture_out = true;
    spec.capture_err = true;
    sc::ProcessResult r = sc::run_process(spec);
    INFO(r.err);
    REQUIRE(r.ok());
    CHECK(fstab::automount_unit(p) + "\n" == r.out);
  }
}
