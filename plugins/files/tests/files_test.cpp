#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../file_list.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

namespace {

void make_system(const fs::path& root) {
  write_minimal_accounts(root);
  write_text(root / "usr/bin/rsync", "", fs::perms(0755));  // aptpackage's check looks under the root
}

}  // namespace

TEST_CASE("files: paths and file lists", "[files]") {
  CHECK(files_mod::valid_path("/etc/passwd"));
  CHECK(files_mod::valid_path("/home/a b/it's"));  // any name rsync can take NUL-separated
  CHECK(files_mod::valid_path("/srv/data/"));
  for (const char* bad : {"", "etc", "/etc/../x", "/./etc", "//etc", "/a\nb", "/a/.."})
    CHECK_FALSE(files_mod::valid_path(bad));
  CHECK(files_mod::clean_path("/srv/data//") == "/srv/data");

  std::string why;
  auto list = files_mod::parse_file_list(
      json{{"status", 0}, {"output", "ignored\n"}, {"result", {"/etc/passwd", "/home/a/", "/etc/passwd"}}}.dump(),
      &why);
  REQUIRE(list);
  CHECK(*list == std::vector<std::string>{"/etc/passwd", "/home/a"});
  // Without a result: the printed lines.
  list = files_mod::parse_file_list(json{{"status", 0}, {"output", "/etc/a\n\n/etc/b\n"}, {"result", nullptr}}.dump(),
                                    &why);
  REQUIRE(list);
  CHECK(*list == std::vector<std::string>{"/etc/a", "/etc/b"});
  // An error text never becomes a path (the original sent "Error: Cannot
  // find sc mass enabled" to rsync).
  CHECK_FALSE(files_mod::parse_file_list(
      json{{"status", 0}, {"output", "Error: Cannot find sc mass enabled\n"}, {"result", nullptr}}.dump(), &why));
  CHECK(why ==
        "the files hook listed \"Error: Cannot find sc mass enabled\", which is not an absolute path (without .. or "
        "newlines)");
  CHECK_FALSE(files_mod::parse_file_list(json{{"result", {"/a", 3}}}.dump(), &why));
  CHECK_FALSE(files_mod::parse_file_list(json{{"result", "/a"}}.dump(), &why));
  CHECK_FALSE(files_mod::parse_file_list(json{{"result", {"/a/../../etc"}}}.dump(), &why));
  CHECK_FALSE(files_mod::parse_file_list("not json", &why));

  CHECK(files_mod::restore_argv("/b/fs", "/") == std::vector<std::string>{"rsync", "-a", "-r", "--numeric-ids",
                                                                          "--from0", "--files-from=-", "--", "/b/fs/",
                                                                          "/"});
  CHECK(files_mod::files_from({"/etc/passwd", "/home/a b"}) == std::string("etc/passwd\0home/a b\0", 20));
  CHECK(files_mod::rsync_status_text(23) == "partial transfer due to error");
  CHECK(files_mod::rsync_status_text(99) == "see rsync(1), EXIT VALUES");
}

TEST_CASE("files restoremodule copies a module's files back with rsync", "[files]") {
  TempDir root;
  make_system(root.path());
  REQUIRE(run_sc_rooted(root.path(), {"user", "add", "alice"}).status == 0);
  write_text(root / "home/alice/keep.txt", "made after the backup\n");
  // The backup: the account files as they were, and alice's home.
  const fs::path b = root / "srv/backups/h1/fs";
  const std::string passwd = kMinimalPasswd + "alice:x:10000:10000:Alice:/home/alice:/bin/bash\n";
  write_text(b / "etc/passwd", passwd);
  write_text(b / "etc/shadow", kMinimalShadow + "alice:$y$x:1:0:99999:7:::\n", fs::perms(0640));
  write_text(b / "etc/group", kMinimalGroup + "alice:x:10000:\n");
  write_text(b / "home/alice/notes/today.txt", "notes\n", fs::perms(0600));
  write_text(b / "home/alice/it's a \"file\"", "odd name\n");

  const std::string before = tree_hash(root.path());
  ScRun r = run_sc_rooted(root.path(), {"--dry-run", "files", "restoremodule", "user", "/srv/backups/h1"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("would run: rsync -a -r --numeric-ids --from0 --files-from=- --"));
  CHECK(r.out == "would restore 4 path(s) of user from /srv/backups/h1\n");
  CHECK_THAT(r.err, Contains("not in the backup, not restored: /etc/gshadow"));
  CHECK(tree_hash(root.path()) == before);

  r = run_sc_rooted(root.path(), {"files", "restoremodule", "user", "/srv/backups/h1/"});
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("restored 4 path(s) of user from /srv/backups/h1/"));
  CHECK(read_text(root / "etc/passwd") == passwd);
  CHECK(read_text(root / "etc/group") == kMinimalGroup + "alice:x:10000:\n");
  CHECK(read_text(root / "etc/gshadow") == kMinimalGshadow + "alice:!::\n");  // not in the backup: untouched
  CHECK(read_text(root / "home/alice/notes/today.txt") == "notes\n");
  CHECK((fs::status(root / "home/alice/notes/today.txt").permissions() & fs::perms::all) == fs::perms(0600));
  CHECK(read_text(root / "home/alice/it's a \"file\"") == "odd name\n");
  CHECK(read_text(root / "home/alice/keep.txt") == "made after the backup\n");  // nothing deleted

  json doc =
      json::parse(run_sc_rooted(root.path(), {"--json", "files", "restoremodule", "user", "/srv/backups/h1"}).out);
  CHECK(doc["status"] == 0);
  CHECK(doc["result"]["restored"] == json{"/etc/passwd", "/etc/shadow", "/etc/group", "/home/alice"});
  CHECK(doc["result"]["absent"] == json{"/etc/gshadow"});

  // rsync's failure is reported with its status: a non-empty directory
  // stands where the backup has a file.
  fs::remove(root / "home/alice/notes/today.txt");
  write_text(root / "home/alice/notes/today.txt/inside", "x\n");
  r = run_sc_rooted(root.path(), {"files", "restoremodule", "user", "/srv/backups/h1"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("rsync exited with status 23 (partial transfer due to error)"));
}

TEST_CASE("files restoremodule: modules without files, bad input", "[files]") {
  TempDir root;
  make_system(root.path());
  fs::create_directories(root / "backup/fs/etc");
  const std::string before = tree_hash(root.path());
  ScRun r = run_sc_rooted(root.path(), {"files", "restoremodule", "version", "/backup"});
  CHECK(r.status == 0);
  CHECK(r.out == "module version has no files hook: nothing to restore\n");
  r = run_sc_rooted(root.path(), {"files", "restoremodule", "nosuch", "/backup"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("cannot get the file list of module nosuch"));
  r = run_sc_rooted(root.path(), {"files", "restoremodule", "user", "/nobackup"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("/nobackup/fs is not a directory"));
  CHECK(run_sc_rooted(root.path(), {"files", "restoremodule", "user"}).status == 2);
  for (const auto& bad : hostile_strings()) {
    INFO(bad);
    CHECK(run_sc_rooted(root.path(), {"files", "restoremodule", bad, "/backup"}).status == 2);
    CHECK(run_sc_rooted(root.path(), {"files", "restoremodule", "user", bad}).status == 2);
    CHECK(run_sc_rooted(root.path(), {"files", "pull", bad, "host"}).status == 2);
  }
  CHECK(run_sc_rooted(root.path(), {"files", "restoremodule", "user", "/backup/../etc"}).status == 2);
  CHECK(run_sc_rooted(root.path(), {"files", "pull", "user", "-oProxyCommand=x"}).status == 2);
  CHECK(run_sc_rooted(root.path(), {"files", "pull", "user"}).status == 2);
  CHECK(tree_hash(root.path()) == before);
}

TEST_CASE("files pull without the sshlink module says so", "[files]") {
  TempDir root, plugins;
  make_system(root.path());
  fs::create_directories(plugins / "lib");
  fs::permissions(plugins / "lib", fs::perms(0755));
  for (const char* f : {"files.so", "files.json"}) fs::copy_file(fs::path(kPluginDir) / f, plugins / "lib" / f);
  const std::string before = tree_hash(root.path());
  ScRun r = run_sc({"--plugin-path", (plugins / "lib").string(), "--root", root.path().string(), "files", "pull",
                    "user", "master.example.com"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("sc files pull needs sshlink (not installed/not built yet)"));
  CHECK(tree_hash(root.path()) == before);
}
