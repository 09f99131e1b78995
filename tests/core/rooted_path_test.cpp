#include "engine/rooted_path.hpp"

#include <catch2/catch.hpp>

#include "test_support.hpp"

namespace fs = std::filesystem;
using sc::test::TempDir;

namespace {

fs::path resolved(const fs::path& root, const std::string& target, bool follow_last = true) {
  fs::path out;
  std::string err;
  INFO(target);
  REQUIRE(sc::resolve_under_root(root, target, follow_last, &out, &err));
  return out;
}

std::string resolve_error(const fs::path& root, const std::string& target) {
  fs::path out;
  std::string err;
  CHECK_FALSE(sc::resolve_under_root(root, target, true, &out, &err));
  return err;
}

bool is_inside(const fs::path& root, const fs::path& p) {
  std::string r = root.string() + "/";
  return p == root || p.string().compare(0, r.size(), r) == 0;
}

}  // namespace

TEST_CASE("split_target_path accepts absolute paths and folds slashes") {
  std::vector<std::string> comps;
  std::string err;
  REQUIRE(sc::split_target_path("/etc//ssh/sshd_config/", &comps, &err));
  CHECK(comps == std::vector<std::string>{"etc", "ssh", "sshd_config"});
  REQUIRE(sc::split_target_path("/", &comps, &err));
  CHECK(comps.empty());
  REQUIRE(sc::split_target_path("/with space/new\nline/..dots", &comps, &err));
  CHECK(comps == std::vector<std::string>{"with space", "new\nline", "..dots"});
  CHECK(sc::join_target_path({"a", "b"}) == "/a/b");
  CHECK(sc::join_target_path({}) == "/");
}

TEST_CASE("relative paths, '.', '..', empty paths and NUL bytes are refused") {
  const std::string rule = "paths must be absolute and must not contain '..'";
  for (std::string bad : {"etc/passwd", "/etc/../passwd", "/..", "/etc/./passwd", "/.", "./x", "../x"}) {
    INFO(bad);
    std::vector<std::string> comps;
    std::string err;
    CHECK_FALSE(sc::split_target_path(bad, &comps, &err));
    CHECK_THAT(err, Catch::Contains(rule));
    CHECK_THAT(err, Catch::Contains("\"" + bad + "\""));
    TempDir root;
    CHECK_THAT(resolve_error(root.path(), bad), Catch::Contains(rule));
  }
  std::string err;
  std::vector<std::string> comps;
  CHECK_FALSE(sc::split_target_path("", &comps, &err));
  CHECK_THAT(err, Catch::Contains("empty"));
  CHECK_FALSE(sc::split_target_path(std::string("/etc/pa\0ss", 10), &comps, &err));
  CHECK_THAT(err, Catch::Contains("NUL"));
}

TEST_CASE("root '/' gives the plain path") {
  CHECK(resolved("/", "/etc/passwd") == "/etc/passwd");
  CHECK(resolved("/", "/nonexistent-sc-dir/x/y", false) == "/nonexistent-sc-dir/x/y");
  CHECK(resolved("/", "/") == "/");
  CHECK(resolved("", "/usr//lib/") == "/usr/lib");
  CHECK(sc::is_host_root("/"));
  CHECK(sc::is_host_root("//"));
  CHECK(sc::is_host_root(""));
  CHECK_FALSE(sc::is_host_root("/tmp"));
}

TEST_CASE("plain paths under a root are joined") {
  TempDir root;
  CHECK(resolved(root.path(), "/etc/hosts") == root.path() / "etc" / "hosts");
  CHECK(resolved(root.path(), "/") == root.path());
}

TEST_CASE("an absolute symlink is re-anchored at the root") {
  TempDir root;
  fs::create_directories(root / "etc");
  fs::create_symlink("/etc", root / "etc-link");
  CHECK(resolved(root.path(), "/etc-link/passwd") == root.path() / "etc" / "passwd");
  // The last component is left alone unless asked.
  CHECK(resolved(root.path(), "/etc-link", false) == root.path() / "etc-link");
  CHECK(resolved(root.path(), "/etc-link", true) == root.path() / "etc");
}

TEST_CASE("'..' inside a symlink stops at the root") {
  TempDir root;
  fs::create_directories(root / "a" / "b");
  fs::create_symlink("../../../../../../../etc", root / "a" / "b" / "up");
  fs::create_symlink("../../..", root / "a" / "b" / "top");
  CHECK(resolved(root.path(), "/a/b/up/passwd") == root.path() / "etc" / "passwd");
  CHECK(resolved(root.path(), "/a/b/top") == root.path());
  CHECK(resolved(root.path(), "/a/b/top/tmp/x") == root.path() / "tmp" / "x");
}

TEST_CASE("relative symlinks resolve from their directory") {
  TempDir root;
  fs::create_directories(root / "srv" / "data");
  fs::create_directories(root / "a");
  fs::create_symlink("../srv/./data", root / "a" / "rel");
  fs::create_symlink("sub/x", root / "a" / "down");
  CHECK(resolved(root.path(), "/a/rel/file") == root.path() / "srv" / "data" / "file");
  CHECK(resolved(root.path(), "/a/down") == root.path() / "a" / "sub" / "x");
}

TEST_CASE("dangling links and missing components are kept as written") {
  TempDir root;
  fs::create_symlink("/missing/dir", root / "dangling");
  CHECK(resolved(root.path(), "/dangling/x") == root.path() / "missing" / "dir" / "x");
  CHECK(resolved(root.path(), "/no/such/path") == root.path() / "no" / "such" / "path");
}

TEST_CASE("symlink loops fail like ELOOP") {
  TempDir root;
  fs::create_symlink("l2", root / "l1");
  fs::create_symlink("/l1", root / "l2");
  fs::create_symlink("self", root / "self");
  for (std::string p : {"/l1/x", "/self", "/l2"}) {
    INFO(p);
    std::string err = resolve_error(root.path(), p);
    CHECK_THAT(err, Catch::Contains("too many levels of symbolic links"));
    CHECK_THAT(err, Catch::Contains(p));
  }
  // A loop at the last component is not followed when not asked to.
  CHECK(resolved(root.path(), "/self", false) == root.path() / "self");
}

TEST_CASE("a chain of 40 links resolves, 41 does not") {
  TempDir root;
  fs::create_directories(root / "end");
  for (int i = 0; i < 41; ++i)
    fs::create_symlink(i == 40 ? "end" : "c" + std::to_string(i + 1), root / ("c" + std::to_string(i)));
  CHECK(resolved(root.path(), "/c1/x") == root.path() / "end" / "x");
  CHECK_THAT(resolve_error(root.path(), "/c0/x"), Catch::Contains("too many levels"));
}

TEST_CASE("no symlink leads out of the root") {
  TempDir root;
  fs::create_directories(root / "a" / "b");
  fs::create_symlink("/", root / "slash");
  fs::create_symlink("/..", root / "a" / "dotdot");
  fs::create_symlink("../../../../..", root / "a" / "b" / "rel");
  fs::create_symlink(root.path().parent_path(), root / "a" / "host-abs");
  for (std::string p :
       {"/slash/etc", "/a/dotdot/etc", "/a/b/rel/etc", "/a/host-abs/etc", "/a/b/rel/slash/a/dotdot/x"}) {
    INFO(p);
    fs::path out = resolved(root.path(), p);
    CHECK(is_inside(root.path(), out));
  }
  // An absolute link naming the host's parent directory lands under the root.
  CHECK(resolved(root.path(), "/a/host-abs/x") == root.path() / root.path().parent_path().relative_path() / "x");
}

TEST_CASE("a probe replaces the disk view") {
  std::vector<std::string> comps;
  std::string err;
  sc::SymlinkProbe probe = [](const std::vector<std::string>& c) -> std::optional<std::string> {
    if (c == std::vector<std::string>{"planned"}) return std::string("/real/dir");
    return std::nullopt;
  };
  REQUIRE(sc::resolve_components("/nonexistent-root", "/planned/x", true, &comps, &err, probe));
  CHECK(comps == std::vector<std::string>{"real", "dir", "x"});
}
