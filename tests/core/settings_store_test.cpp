#include "settings/settings_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <map>
#include <optional>
#include <string>

#include "test_support.hpp"

namespace {

namespace fs = std::filesystem;
using Map = std::map<std::string, std::string>;
using Changes = std::map<std::string, std::optional<std::string>>;
using sc::test::read_text;
using sc::test::TempDir;
using sc::test::write_text;

const std::string kHeader =
    "# sc-settings 1\n"
    "# One setting per line, sorted: NAME=\"value\", the value a JSON string (escapes \\\" "
    "\\\\ \\n \\t \\uXXXX). Written by sc; keep this format when editing by hand.\n";

Map parse_ok(const std::string& text) {
  Map out;
  std::string err;
  INFO("text: " << text);
  bool ok = sc::parse_settings(text, "/etc/sc", &out, &err);
  INFO("err: " << err);
  REQUIRE(ok);
  return out;
}

std::string parse_error(const std::string& text) {
  Map out;
  std::string err;
  INFO("text: " << text);
  REQUIRE_FALSE(sc::parse_settings(text, "/etc/sc", &out, &err));
  return err;
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

ino_t inode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_ino;
}

// The store of `file`, a path below `root`, as sc opens it: through the root.
sc::SettingsStore store_of(const fs::path& root, const fs::path& file) {
  return sc::SettingsStore(root, "/" + fs::relative(file, root).string());
}

void update_ok(sc::SettingsStore& store, const Changes& changes) {
  std::string err;
  bool ok = store.update(changes, &err);
  INFO("err: " << err);
  REQUIRE(ok);
}

/// Restores the umask on scope exit.
class UmaskGuard {
 public:
  explicit UmaskGuard(mode_t m) : old_(::umask(m)) {}
  ~UmaskGuard() { ::umask(old_); }
  UmaskGuard(const UmaskGuard&) = delete;
  UmaskGuard& operator=(const UmaskGuard&) = delete;

 private:
  mode_t old_;
};

// Runs `body` in a child process; true when it returned true there.
template <typename F>
bool in_child(F body) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) ::_exit(body() ? 0 : 1);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

TEST_CASE("settings: names and values", "[settings_store]") {
  CHECK(sc::valid_setting_name("A"));
  CHECK(sc::valid_setting_name("BACKUP_DIR_2"));
  CHECK(sc::valid_setting_name(std::string(64, 'A')));
  CHECK_FALSE(sc::valid_setting_name(std::string(65, 'A')));
  CHECK_FALSE(sc::valid_setting_name(""));
  CHECK_FALSE(sc::valid_setting_name("_A"));
  CHECK_FALSE(sc::valid_setting_name("1A"));
  CHECK_FALSE(sc::valid_setting_name("lower"));
  CHECK_FALSE(sc::valid_setting_name("A-B"));
  CHECK_FALSE(sc::valid_setting_name("A B"));

  CHECK(sc::valid_setting_value(""));
  CHECK(sc::valid_setting_value("ünïcødé-名前 🎉 \x01\x7f\n"));
  CHECK(sc::valid_setting_value("\xf4\x8f\xbf\xbf"));  // U+10FFFF
  CHECK_FALSE(sc::valid_setting_value(std::string("a\0b", 3)));
  CHECK_FALSE(sc::valid_setting_value("caf\xe9"));           // Latin-1
  CHECK_FALSE(sc::valid_setting_value("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(sc::valid_setting_value("\xed\xa0\x80"));      // surrogate
  CHECK_FALSE(sc::valid_setting_value("\xf4\x90\x80\x80"));  // above U+10FFFF
  CHECK_FALSE(sc::valid_setting_value("\xe5\x90"));          // truncated
  CHECK_FALSE(sc::valid_setting_value("\x80"));
}

TEST_CASE("settings: the exact file serialize writes", "[settings_store]") {
  CHECK(sc::serialize_settings({}) == kHeader);
  Map values = {
      {"MOTD", "it's \"quoted\"\nline 2"},          {"A_EMPTY", ""},   {"NAME", "ünïcødé-名前"},
      {"PATHS", "C:\\dir\ttab $(id) `id` ; $HOME"}, {"lower", "kept"}, {"CTRL", std::string("\x01\r", 2)},
  };
  CHECK(sc::serialize_settings(values) == kHeader +
                                              "A_EMPTY=\"\"\n"
                                              "CTRL=\"\\u0001\\r\"\n"
                                              "MOTD=\"it's \\\"quoted\\\"\\nline 2\"\n"
                                              "NAME=\"ünïcødé-名前\"\n"
                                              "PATHS=\"C:\\\\dir\\ttab $(id) `id` ; $HOME\"\n"
                                              "lower=\"kept\"\n");
  CHECK_THROWS(sc::serialize_settings({{"BAD NAME", "x"}}));
  CHECK_THROWS(sc::serialize_settings({{"A", "caf\xe9"}}));
}

TEST_CASE("settings: parse(serialize(x)) == x for hostile values", "[settings_store]") {
  Map values;
  int i = 0;
  for (const std::string& h : sc::test::hostile_strings()) values["H" + std::to_string(i++)] = h;
  values["CONTROLS"] = "\x01\x02\x1f\x7f\r\n\t\b\f";
  values["EMOJI"] = "🎉\xf4\x8f\xbf\xbf";
  values["QUOTES"] = "'\"'\"\\\"\\";
  values["LOOKS_LIKE_A_LINE"] = "x\"\nB=\"y";
  values["MARKER"] = "\n# sc-settings 1\n";
  CHECK(parse_ok(sc::serialize_settings(values)) == values);
}

TEST_CASE("settings: format 1 read with comments and blank lines", "[settings_store]") {
  CHECK(parse_ok("# sc-settings 1\n") == Map{});
  CHECK(parse_ok("# sc-settings 1") == Map{});
  CHECK(parse_ok("# sc-settings 1\n\n# a note\n  # indented note\nB=\"2\"\n\nA=\"1\"  \n"
                 "C=\"x\"\r\n  D=\"4\"") == Map{{"A", "1"}, {"B", "2"}, {"C", "x"}, {"D", "4"}});
  CHECK(parse_ok("# sc-settings 1\nA=\"\\u00fc\\ud83c\\udf89\"\n") == Map{{"A", "ü🎉"}});
}

TEST_CASE("settings: format 1 errors name file, line and fix", "[settings_store]") {
  struct Case {
    std::string text;
    std::string start;
    std::string fix;
  };
  const Case cases[] = {
      {"# sc-settings 1\nA=\"1\"\njust words\n", "/etc/sc:3: expected NAME=\"value\"", "fix or remove"},
      {"# sc-settings 1\nA B=\"1\"\n", "/etc/sc:2: expected NAME=\"value\"", "without spaces"},
      {"# sc-settings 1\nA='x'\n", "/etc/sc:2: setting A: the value must be a JSON string", "A=\"value\""},
      {"# sc-settings 1\nA=plain\n", "/etc/sc:2: setting A: the value must be a JSON string", "A=\"\""},
      {"# sc-settings 1\nA=\"open\n", "/etc/sc:2: setting A: the value is not a valid JSON", "\\\""},
      {"# sc-settings 1\nA=\"x\" # note\n", "/etc/sc:2: setting A: the value is not a valid", "nothing after"},
      {"# sc-settings 1\nA=\"bad \\q\"\n", "/etc/sc:2: setting A: the value is not a valid", ""},
      {"# sc-settings 1\nA=\"\\ud800\"\n", "/etc/sc:2: setting A: the value is not a valid", ""},
      {"# sc-settings 1\nA=\"caf\xe9\"\n", "/etc/sc:2: setting A: the value is not a valid", "UTF-8"},
      {"# sc-settings 1\nA=\"a\\u0000b\"\n", "/etc/sc:2: setting A: the value holds a NUL", "remove"},
      {"# sc-settings 1\nA=\"1\"\nB=\"2\"\nA=\"3\"\n", "/etc/sc:4: setting A is set again", "first on line 2"},
      {"# sc-settings 2\nA=\"1\"\n", "/etc/sc:1: unsupported settings format \"sc-settings 2\"", "newer"},
  };
  for (const auto& c : cases) {
    std::string err = parse_error(c.text);
    CHECK_THAT(err, Catch::StartsWith(c.start) && Catch::Contains(c.fix));
  }
}

TEST_CASE("settings: a file without the marker is the original format", "[settings_store]") {
  CHECK(parse_ok("A='it'\\''s'\n# sc-settings 1\n") == Map{{"A", "it's"}});
  CHECK(parse_ok("# sc-settings for this host\nA=1\n") == Map{{"A", "1"}});
  CHECK(parse_ok("") == Map{});
  CHECK_THAT(parse_error("A=1\nB=$(id)\n"), Catch::StartsWith("/etc/sc:2: setting B:"));
}

TEST_CASE("settings store: missing file, first write, parent created", "[settings_store]") {
  TempDir tmp;
  UmaskGuard umask_guard(077);
  fs::path file = tmp / "root/etc/sc";
  sc::SettingsStore store = store_of(tmp.path(), file);
  CHECK(store.file() == file);
  std::string err;
  REQUIRE(store.load(&err));
  CHECK(store.values().empty());
  CHECK_FALSE(store.legacy());
  CHECK_FALSE(store.get("A"));

  // Deleting from nothing writes nothing.
  update_ok(store, {{"A", std::nullopt}});
  CHECK_FALSE(fs::exists(file));

  update_ok(store, {{"B", "2"}, {"A", "it's"}});
  CHECK(read_text(file) == kHeader + "A=\"it's\"\nB=\"2\"\n");
  CHECK(mode_of(file) == 0600);
  CHECK(mode_of(tmp / "root/etc") == 0755);
  CHECK(mode_of(tmp / "root") == 0755);
  CHECK(mode_of(tmp / "root/etc/sc.lock") == 0600);
  CHECK(store.get("A") == std::optional<std::string>("it's"));

  sc::SettingsStore again = store_of(tmp.path(), file);
  REQUIRE(again.load(&err));
  CHECK(again.values() == Map{{"A", "it's"}, {"B", "2"}});

  // Only the file and its lock: no temporary left behind.
  CHECK(sc::test::tree_hash(tmp / "root/etc").find(".tmp.") == std::string::npos);
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(tmp / "root/etc")) ++entries;
  CHECK(entries == 2);
}

TEST_CASE("settings store: update keeps what it does not change", "[settings_store]") {
  TempDir tmp;
  fs::path file = tmp / "sc";
  write_text(file,
             "# sc-settings 1\n# hand-written note\nFOREIGN=\"from \\\"elsewhere\\\"\"\n"
             "lower_case=\"x\"\nOLD=\"1\"\n",
             fs::perms(0600));
  sc::SettingsStore store = store_of(tmp.path(), file);
  update_ok(store, {{"NEW", "n"}, {"OLD", std::nullopt}});
  CHECK(store.values() == Map{{"FOREIGN", "from \"elsewhere\""}, {"lower_case", "x"}, {"NEW", "n"}});
  CHECK(read_text(file) == kHeader + "FOREIGN=\"from \\\"elsewhere\\\"\"\nNEW=\"n\"\n" + "lower_case=\"x\"\n");
  // A legacy lower-case name can be changed and removed.
  update_ok(store, {{"lower_case", std::nullopt}});
  CHECK_FALSE(store.get("lower_case"));
}

TEST_CASE("settings store: update re-reads what another writer changed", "[settings_store]") {
  TempDir tmp;
  sc::SettingsStore first = store_of(tmp.path(), tmp / "sc");
  sc::SettingsStore second = store_of(tmp.path(), tmp / "sc");
  std::string err;
  REQUIRE(first.load(&err));
  update_ok(second, {{"X", "from second"}});
  update_ok(first, {{"Y", "from first"}});
  CHECK(first.values() == Map{{"X", "from second"}, {"Y", "from first"}});
}

TEST_CASE("settings store: an update changing nothing writes nothing", "[settings_store]") {
  TempDir tmp;
  fs::path file = tmp / "sc";
  sc::SettingsStore store = store_of(tmp.path(), file);
  update_ok(store, {{"A", "1"}});
  ino_t before = inode_of(file);
  update_ok(store, {{"A", "1"}, {"B", std::nullopt}});
  update_ok(store, {});
  CHECK(inode_of(file) == before);
  // ... but puts a wrong mode right.
  fs::permissions(file, fs::perms(0644));
  update_ok(store, {});
  CHECK(mode_of(file) == 0600);
  CHECK(inode_of(file) == before);
}

TEST_CASE("settings store: mode 0600 even with umask 0", "[settings_store]") {
  TempDir tmp;
  UmaskGuard umask_guard(0);
  fs::path file = tmp / "new/sc";
  sc::SettingsStore store = store_of(tmp.path(), file);
  update_ok(store, {{"PASSWORD", "hunter2"}});
  CHECK(mode_of(file) == 0600);
  CHECK(mode_of(tmp / "new/sc.lock") == 0600);
  CHECK(mode_of(tmp / "new") == 0755);
  update_ok(store, {{"PASSWORD", "changed"}});
  CHECK(mode_of(file) == 0600);
}

TEST_CASE("settings store: the original format is converted, a copy kept", "[settings_store]") {
  TempDir tmp;
  UmaskGuard umask_guard(0);
  fs::path file = tmp / "etc/sc";
  const std::string original =
      "BACKUP_DIR='/srv/backup'\nMOTD='line 1\nline 2'\nPASS='it'\\''s \"x\" $(no)'\n"
      "export lower=plain # note\nEMPTY=''\n";
  write_text(file, original, fs::perms(0644));
  const Map expected = {{"BACKUP_DIR", "/srv/backup"},
                        {"MOTD", "line 1\nline 2"},
                        {"PASS", "it's \"x\" $(no)"},
                        {"lower", "plain"},
                        {"EMPTY", ""}};

  sc::SettingsStore store = store_of(tmp.path(), file);
  std::string err;
  REQUIRE(store.load(&err));
  CHECK(store.legacy());
  CHECK(store.values() == expected);

  // An update changing no value still converts the file.
  update_ok(store, {});
  CHECK_FALSE(store.legacy());
  CHECK(store.values() == expected);
  CHECK(read_text(file) == sc::serialize_settings(expected));
  CHECK(mode_of(file) == 0600);
  CHECK(read_text(tmp / "etc/sc.legacy") == original);
  CHECK(mode_of(tmp / "etc/sc.legacy") == 0600);

  sc::SettingsStore reread = store_of(tmp.path(), file);
  REQUIRE(reread.load(&err));
  CHECK_FALSE(reread.legacy());
  CHECK(reread.values() == expected);

  // A second original-format file (the old tool ran again) is converted
  // too, but the first copy is never overwritten.
  write_text(file, "A='again'\n", fs::perms(0644));
  update_ok(store, {{"B", "b"}});
  CHECK(store.values() == Map{{"A", "again"}, {"B", "b"}});
  CHECK(read_text(tmp / "etc/sc.legacy") == original);
}

TEST_CASE("settings store: a file that does not parse is refused, not replaced", "[settings_store]") {
  TempDir tmp;
  fs::path file = tmp / "sc";
  write_text(file, "A='ok'\nB=$(hostname)\n", fs::perms(0644));
  write_text(tmp / "sc.lock", "", fs::perms(0600));
  const std::string before = sc::test::tree_hash(tmp.path());
  sc::SettingsStore store = store_of(tmp.path(), file);
  std::string err;
  CHECK_FALSE(store.load(&err));
  CHECK_THAT(err, Catch::StartsWith(file.string() + ":2: setting B:"));
  err.clear();
  CHECK_FALSE(store.update({{"C", "1"}}, &err));
  CHECK_THAT(err, Catch::StartsWith(file.string() + ":2: setting B:"));
  CHECK(sc::test::tree_hash(tmp.path()) == before);
  CHECK(store.values().empty());
}

TEST_CASE("settings store: bad names and values are refused", "[settings_store]") {
  TempDir tmp;
  sc::SettingsStore store = store_of(tmp.path(), tmp / "sc");
  update_ok(store, {{"A", "1"}});
  std::string before = read_text(tmp / "sc");
  std::string err;
  CHECK_FALSE(store.update({{"A", "2"}, {"BAD NAME", "x"}}, &err));
  CHECK_THAT(err, Catch::Contains("\"BAD NAME\"") && Catch::Contains("letters, digits"));
  CHECK_FALSE(store.update({{"A", "caf\xe9"}}, &err));
  CHECK_THAT(err, Catch::Contains("setting A") && Catch::Contains("UTF-8"));
  CHECK_FALSE(store.update({{"A", std::string("a\0b", 3)}}, &err));
  CHECK(read_text(tmp / "sc") == before);
  CHECK(store.get("A") == std::optional<std::string>("1"));
}

TEST_CASE("settings store: failed updates leave the old file intact", "[settings_store]") {
  TempDir tmp;
  fs::path file = tmp / "sc";
  sc::SettingsStore store = store_of(tmp.path(), file);
  update_ok(store, {{"KEEP", "me"}});
  const std::string before = sc::test::tree_hash(tmp.path());
  const std::string text = read_text(file);
  std::string err;

  SECTION("the parent directory is a regular file") {
    write_text(tmp / "plain", "not a directory\n");
    const std::string with_plain = sc::test::tree_hash(tmp.path());
    sc::SettingsStore bad = store_of(tmp.path(), tmp / "plain/etc/sc");
    CHECK_FALSE(bad.update({{"A", "1"}}, &err));
    CHECK_THAT(err, Catch::Contains((tmp / "plain").string()) && Catch::Contains("not a directory"));
    CHECK(sc::test::tree_hash(tmp.path()) == with_plain);
  }
  SECTION("the write fails half-way (file size limit)") {
    // Works as root too, unlike a read-only directory.
    bool failed_cleanly = in_child([&] {
      std::signal(SIGXFSZ, SIG_IGN);
      rlimit limit{100, 100};
      if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return false;
      std::string child_err;
      bool ok = store.update({{"BIG", std::string(4096, 'x')}}, &child_err);
      return !ok && child_err.find("cannot write") != std::string::npos &&
             child_err.find("unchanged") != std::string::npos && store.values() == Map{{"KEEP", "me"}};
    });
    CHECK(failed_cleanly);
    CHECK(sc::test::tree_hash(tmp.path()) == before);
  }
  SECTION("the lock file cannot be opened") {
    fs::remove(tmp / "sc.lock");
    fs::create_directory(tmp / "sc.lock");
    CHECK_FALSE(store.update({{"A", "1"}}, &err));
    CHECK_THAT(err, Catch::Contains((tmp / "sc.lock").string()) && Catch::Contains("cannot open the lock file"));
  }
  SECTION("the lock is held by someone else") {
    int fd = ::open((tmp / "sc.lock").c_str(), O_RDWR | O_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(::flock(fd, LOCK_EX) == 0);
    store.set_lock_timeout(std::chrono::milliseconds(300));
    auto start = std::chrono::steady_clock::now();
    CHECK_FALSE(store.update({{"A", "1"}}, &err));
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(300));
    CHECK_THAT(err, Catch::StartsWith((tmp / "sc.lock").string() + ": still locked by another process after 300 ms"));
    ::close(fd);
    CHECK(sc::test::tree_hash(tmp.path()) == before);
    update_ok(store, {{"A", "1"}});  // free again
    return;
  }
  SECTION("the settings file is a symbolic link") {
    fs::rename(file, tmp / "real");
    fs::create_symlink("real", file);
    const std::string linked = sc::test::tree_hash(tmp.path());
    REQUIRE(store.load(&err));  // reading through it is fine
    CHECK_FALSE(store.update({{"A", "1"}}, &err));
    CHECK_THAT(err, Catch::Contains("symbolic link"));
    CHECK(sc::test::tree_hash(tmp.path()) == linked);
    return;
  }
  CHECK(read_text(file) == text);
  CHECK(store.values() == Map{{"KEEP", "me"}});
}

TEST_CASE("settings store: concurrent updates lose nothing", "[settings_store]") {
  TempDir tmp;
  fs::path file = tmp / "etc/sc";
  const fs::path root = tmp.path();
  auto writer = [&](const std::string& prefix) {
    return [root, file, prefix] {
      for (int i = 0; i < 50; ++i) {
        // A fresh store each time, like separate sc runs.
        sc::SettingsStore store = store_of(root, file);
        std::string err;
        if (!store.update({{prefix + std::to_string(i), prefix + " value " + std::to_string(i)}}, &err)) return false;
      }
      return true;
    };
  };
  pid_t pids[2];
  const char* prefixes[2] = {"FIRST_", "SECOND_"};
  for (int k = 0; k < 2; ++k) {
    pids[k] = ::fork();
    REQUIRE(pids[k] >= 0);
    if (pids[k] == 0) ::_exit(writer(prefixes[k])() ? 0 : 1);
  }
  for (pid_t pid : pids) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  }
  sc::SettingsStore store = store_of(tmp.path(), file);
  std::string err;
  REQUIRE(store.load(&err));
  REQUIRE(store.values().size() == 100);
  for (const char* prefix : prefixes) {
    for (int i = 0; i < 50; ++i) {
      CHECK(store.get(prefix + std::to_string(i)) ==
            std::optional<std::string>(prefix + std::string(" value ") + std::to_string(i)));
    }
  }
  CHECK(mode_of(file) == 0600);
}

TEST_CASE("settings store: load refuses what is not a settings file", "[settings_store]") {
  TempDir tmp;
  fs::create_directory(tmp / "sc");
  sc::SettingsStore store = store_of(tmp.path(), tmp / "sc");
  std::string err;
  CHECK_FALSE(store.load(&err));
  CHECK_THAT(err, Catch::StartsWith((tmp / "sc").string() + ": is not a regular file"));
}

// Symlinks on the way to the store are followed inside the root only: an
// `etc`, `etc/sc` or `etc/sc.lock` pointing out of it, by an absolute or
// a relative target, never makes sc read or write outside the root.
TEST_CASE("settings store: symlinks never lead out of the root", "[settings_store]") {
  TempDir tmp;
  const fs::path root = tmp / "root";
  const fs::path outside = tmp / "outside";
  fs::create_directories(root);
  fs::create_directories(outside / "etc");
  write_text(outside / "etc/sc", "# sc-settings 1\nOUTSIDE=\"secret from outside\"\n", fs::perms(0600));
  write_text(outside / "sc", "# sc-settings 1\nOUTSIDE=\"secret from outside\"\n", fs::perms(0600));
  const std::string outside_before = sc::test::tree_hash(outside);
  std::string err;
  auto store = [&] { return sc::SettingsStore(root, "/etc/sc"); };
  auto check_outside_untouched = [&] { CHECK(sc::test::tree_hash(outside) == outside_before); };

  for (bool absolute : {true, false}) {
    DYNAMIC_SECTION("etc is a symlink out of the root (" << (absolute ? "absolute" : "relative") << ")") {
      fs::create_symlink(absolute ? outside / "etc" : fs::path("../outside/etc"), root / "etc");
      sc::SettingsStore s = store();
      REQUIRE(s.load(&err));
      // Followed as a chroot would: ROOT/.../outside/etc does not exist
      // inside the root, so there are no settings, not the outside ones.
      CHECK_FALSE(s.get("OUTSIDE"));
      REQUIRE(s.update({{"A", "1"}}, &err));
      check_outside_untouched();
      // The write went to where the link leads inside the root (".." of a
      // relative target stops at the root).
      fs::path inside = absolute ? root / fs::relative(outside / "etc", "/") : root / "outside/etc";
      CHECK(read_text(inside / "sc").find("A=\"1\"") != std::string::npos);
      sc::SettingsStore again = store();
      REQUIRE(again.load(&err));
      CHECK(again.get("A") == std::optional<std::string>("1"));
    }
    DYNAMIC_SECTION("etc/sc is a symlink out of the root (" << (absolute ? "absolute" : "relative") << ")") {
      fs::create_directories(root / "etc");
      fs::create_symlink(absolute ? outside / "sc" : fs::path("../../outside/sc"), root / "etc/sc");
      sc::SettingsStore s = store();
      REQUIRE(s.load(&err));
      CHECK_FALSE(s.get("OUTSIDE"));
      // Replacing a symlink would replace the link: refused, nothing written.
      CHECK_FALSE(s.update({{"A", "1"}}, &err));
      CHECK_THAT(err, Catch::Contains("symbolic link"));
      check_outside_untouched();
    }
    DYNAMIC_SECTION("etc/sc.lock is a symlink out of the root (" << (absolute ? "absolute" : "relative") << ")") {
      fs::create_directories(root / "etc");
      fs::create_symlink(absolute ? outside / "lock" : fs::path("../../outside/lock"), root / "etc/sc.lock");
      sc::SettingsStore s = store();
      REQUIRE(s.load(&err));
      CHECK_FALSE(s.update({{"A", "1"}}, &err));
      CHECK_THAT(err, Catch::Contains("sc.lock") && Catch::Contains("symbolic link"));
      CHECK_FALSE(fs::exists(outside / "lock"));
      CHECK_FALSE(fs::exists(root / "etc/sc"));
      check_outside_untouched();
    }
  }
}
