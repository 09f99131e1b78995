#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "../release.hpp"
#include "test_support.hpp"

extern char** environ;

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

namespace {

std::string run_ok(const std::vector<std::string>& argv) {
  sc::ProcessSpec p;
  p.argv = argv;
  p.capture_out = p.capture_err = true;
  sc::ProcessResult r = sc::run_process(p);
  INFO(sc::format_argv(argv) << ": " << r.describe() << " " << r.err);
  REQUIRE(r.ok());
  return r.out;
}

std::string running_version() {
  return json::parse(run_sc({"--json", "--version"}).out)["version"];
}

/// A release archive in `dir`: the tree `cmake --install` makes under
/// /usr/local (the built sc, the user and update plugins, a doc file) plus
/// `extra` files, as DIR/NAME, with DIR/NAME.sha256 beside it.
fs::path make_release(const fs::path& dir, const std::string& name,
                      const std::vector<std::pair<std::string, std::string>>& extra = {}, bool with_sc = true) {
  const fs::path tree = dir / ("tree-" + name);
  fs::create_directories(tree / "usr/local/sbin");
  fs::create_directories(tree / "usr/local/lib/sc");
  if (with_sc) fs::copy_file(kScBinary, tree / "usr/local/sbin/sc");
  for (const char* m : {"user", "update"})
    for (const char* ext : {".so", ".json"})
      fs::copy_file(fs::path(kPluginDir) / (std::string(m) + ext), tree / "usr/local/lib/sc" / (std::string(m) + ext));
  write_text(tree / "usr/local/share/doc/sc/README", "sc release\n");
  for (const auto& [rel, text] : extra) write_text(tree / rel, text);
  const fs::path archive = dir / name;
  const bool gz = name.size() > 3 && name.substr(name.size() - 3) == ".gz";
  run_ok({"tar", gz ? "-czf" : "-cf", archive.string(), "-C", tree.string(), "."});
  std::string sum = run_ok({"sha256sum", archive.string()});
  write_text(dir / (name + ".sha256"), sum.substr(0, 64) + "  " + name + "\n");
  return archive;
}

/// python3 -m http.server on a free loopback port, stopped on destruction.
class HttpServer {
 public:
  explicit HttpServer(const fs::path& dir) {
    port_ = free_loopback_port();
    std::vector<std::string> args = {"python3",   "-m",          "http.server", "--bind",
                                     "127.0.0.1", "--directory", dir.string(),  std::to_string(port_)};
    std::vector<char*> argv;
    for (auto& x : args) argv.push_back(x.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    REQUIRE(::posix_spawnp(&pid_, "python3", &fa, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 100; ++i) {  // up to 10 s for the server to listen
      if (loopback_port_answers(port_)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL("http.server did not start on port " << port_);
  }
  ~HttpServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  std::string url(const std::string& name) const { return "http://127.0.0.1:" + std::to_string(port_) + "/" + name; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace

TEST_CASE("update: URLs, checksums, versions and release members", "[update]") {
  std::string why;
  for (const char* ok :
       {"file:///srv/sc.tar.gz", "http://127.0.0.1:8000/sc.tar.gz", "https://example.com/a/sc-1.0.0.tar.gz?x=1"})
    CHECK(update_rel::valid_url(ok, &why));
  for (const char* bad :
       {"", "ftp://x/y", "file://relative", "http://a b", "https://x/\"y", "-o/etc/passwd", "http://"})
    CHECK_FALSE(update_rel::valid_url(bad, &why));
  for (const auto& bad : hostile_strings()) CHECK_FALSE(update_rel::valid_url(bad, &why));
  CHECK_THAT(why, Contains("is not an update URL"));

  const std::string d = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  CHECK(update_rel::parse_sha256(d) == d);
  CHECK(update_rel::parse_sha256("9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08  sc.tar.gz\n") == d);
  CHECK(update_rel::parse_sha256(" " + d + " *sc.tar.gz") == d);
  CHECK_FALSE(update_rel::parse_sha256(d.substr(1)));
  CHECK_FALSE(update_rel::parse_sha256(d + "0"));
  CHECK_FALSE(update_rel::parse_sha256("g" + d.substr(1)));
  CHECK_FALSE(update_rel::parse_sha256("<html>404</html>"));

  CHECK(update_rel::download_argv("http://h/a", "/tmp/x") ==
        std::vector<std::string>{"curl", "--fail", "--silent", "--show-error", "--location", "--proto",
                                 "=file,http,https", "--proto-redir", "=http,https", "--max-time", "900", "--output",
                                 "/tmp/x", "http://h/a"});
  CHECK(update_rel::extract_argv("/t/a", "/t/tree") ==
        std::vector<std::string>{"tar", "--extract", "--file", "/t/a", "--directory", "/t/tree", "--no-same-owner",
                                 "--no-same-permissions"});

  auto v = update_rel::parse_version("1.12.3");
  REQUIRE(v);
  CHECK(update_rel::to_string(*v) == "1.12.3");
  CHECK(update_rel::compare(*update_rel::parse_version("1.2.10"), *update_rel::parse_version("1.10.0")) < 0);
  CHECK(update_rel::compare(*update_rel::parse_version("2.0.0"), *update_rel::parse_version("1.99.99")) > 0);
  CHECK(update_rel::compare(*v, *v) == 0);
  for (const char* bad : {"", "1", "1.2", "1.2.3.4", "1.2.x", "v1.2.3", "1..2", "1.2.3 ", "1006"})
    CHECK_FALSE(update_rel::parse_version(bad));

  CHECK(update_rel::installable("usr/local/sbin/sc", &why));
  CHECK(update_rel::installable("usr/local/lib/sc/user.so", &why));
  for (const char* bad : {"etc/passwd", "usr/local/", "usr/local", "usr/sbin/sc", "usr/local/../../etc/x",
                          "usr/local/a//b", "usr/local/./x", "usr/local/a\nb"})
    CHECK_FALSE(update_rel::installable(bad, &why));
  CHECK_THAT(why, Contains("release member"));

  std::vector<std::string> rels = {"usr/local/lib/sc/z.so", update_rel::kScPath, "usr/local/lib/sc/a.json"};
  update_rel::order_for_install(&rels);
  CHECK(rels == std::vector<std::string>{"usr/local/lib/sc/a.json", "usr/local/lib/sc/z.so", "usr/local/sbin/sc"});
  CHECK(update_rel::upgrade_argv("/usr/local/sbin/sc", "", "1.0.0") ==
        std::vector<std::string>{"/usr/local/sbin/sc", "update", "upgrade", "1.0.0"});
  CHECK(update_rel::upgrade_argv("/r/usr/local/sbin/sc", "/r/", "1.0.0") ==
        std::vector<std::string>{"/r/usr/local/sbin/sc", "--root", "/r", "--plugin-path", "/r/usr/local/lib/sc",
                                 "update", "upgrade", "1.0.0"});
}

TEST_CASE("update setup stores a checked URL", "[update]") {
  TempDir root;
  fs::create_directories(root / "etc");
  const std::string before = tree_hash(root.path());
  ScRun r = run_sc_rooted(root.path(), {"update", "setup"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("--set UPDATE_URL="));
  CHECK(run_sc_rooted(root.path(), {"update", "ready"}).status == 1);
  for (const auto& bad : hostile_strings()) {
    INFO(bad);
    CHECK(run_sc_rooted(root.path(), {"--set", "UPDATE_URL=" + bad, "update", "setup"}).status == 2);
    CHECK(run_sc_rooted(root.path(), {"--set", "UPDATE_URL=" + bad, "update", "start"}).status == 2);
  }
  CHECK(tree_hash(root.path()) == before);
  CHECK(
      run_sc_rooted(root.path(), {"--dry-run", "--set", "UPDATE_URL=https://example.com/sc.tar.gz", "update", "setup"})
          .status == 0);
  CHECK(tree_hash(root.path()) == before);
  r = run_sc_rooted(root.path(), {"--set", "UPDATE_URL=https://example.com/sc.tar.gz", "update", "setup"});
  CHECK(r.status == 0);
  CHECK_THAT(read_text(root / "etc/sc"), Contains("UPDATE_URL=\"https://example.com/sc.tar.gz\""));
  CHECK(run_sc_rooted(root.path(), {"update", "ready"}).status == 0);
  json doc = json::parse(run_sc_rooted(root.path(), {"--json", "update", "setup"}).out);
  CHECK(doc["status"] == 0);
  CHECK(doc["summary"]["changed"] == 0);
}

TEST_CASE("update start installs a release from a file:// URL", "[update]") {
  TempDir root, srv;
  fs::create_directories(root / "etc");
  const fs::path archive = make_release(srv.path(), "sc-next.tar.gz");
  const std::string url = "file://" + archive.string();
  const std::string before = tree_hash(root.path());

  ScRun r = run_sc_rooted(root.path(), {"--dry-run", "--set", "UPDATE_URL=" + url, "update", "start"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.err,
             Contains("would change: write /usr/local/sbin/sc") &&
                 Contains("would change: write /usr/local/lib/sc/user.so") &&
                 Contains("would run: " + (root / "usr/local/sbin/sc").string() + " --root " + root.path().string()));
  CHECK_THAT(r.out, Contains("would install 6 files from " + url + "\n"));
  CHECK(tree_hash(root.path()) == before);

  r = run_sc_rooted(root.path(), {"--set", "UPDATE_URL=" + url, "update", "start"});
  CHECK(r.status == 0);
  // The new sc ran its upgrade step (same version here: nothing to do).
  CHECK_THAT(r.out, Contains("nothing to upgrade: " + running_version() + " is the version running") &&
                        Contains("installed 6 files from " + url));
  CHECK(read_text(root / "usr/local/sbin/sc") == read_text(kScBinary));
  CHECK(mode_of(root / "usr/local/sbin/sc") == "0755 0:0");
  CHECK(read_text(root / "usr/local/lib/sc/user.json") == read_text(fs::path(kPluginDir) / "user.json"));
  CHECK(mode_of(root / "usr/local/lib/sc/user.json") == "0644 0:0");
  CHECK(mode_of(root / "usr/local/lib/sc") == "0755 0:0");
  CHECK(read_text(root / "usr/local/share/doc/sc/README") == "sc release\n");
  CHECK_THAT(read_text(root / "etc/sc"), Contains("UPDATE_URL=\"" + url + "\""));
  // The installed sc works with the installed plugins.
  sc::ProcessSpec p;
  p.argv = {(root / "usr/local/sbin/sc").string(),
            "--plugin-path",
            (root / "usr/local/lib/sc").string(),
            "--root",
            root.path().string(),
            "update",
            "ready"};
  CHECK(sc::run_process(p).exit_code == 0);

  // Again: everything is in place, no upgrade step.
  json doc = json::parse(run_sc_rooted(root.path(), {"--json", "update", "start"}).out);
  CHECK(doc["status"] == 0);
  CHECK(doc["summary"]["changed"] == 0);
  CHECK(doc["result"]["changed"] == false);
}

TEST_CASE("update start over http on loopback", "[update]") {
  TempDir root, srv;
  fs::create_directories(root / "etc");
  make_release(srv.path(), "sc.tar");
  HttpServer http(srv.path());
  ScRun r = run_sc_rooted(root.path(), {"--set", "UPDATE_URL=" + http.url("sc.tar"), "update", "start"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(read_text(root / "usr/local/sbin/sc") == read_text(kScBinary));
  // A missing archive: curl's error, nothing installed.
  TempDir other;
  fs::create_directories(other / "etc");
  const std::string before = tree_hash(other.path());
  r = run_sc_rooted(other.path(), {"--set", "UPDATE_URL=" + http.url("missing.tar"), "update", "start"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("downloading " + http.url("missing.tar") + " failed: curl: (22)"));
  CHECK(tree_hash(other.path()) == before);
}

TEST_CASE("update start: a bad checksum or a bad archive installs nothing", "[update]") {
  TempDir root, srv;
  fs::create_directories(root / "etc");
  const fs::path good = make_release(srv.path(), "good.tar");
  const std::string url = "file://" + good.string();
  const std::string before = tree_hash(root.path());

  // Pinned checksum that does not match.
  ScRun r = run_sc_rooted(
      root.path(), {"--set", "UPDATE_URL=" + url, "--set", "UPDATE_SHA256=" + std::string(64, '0'), "update", "start"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err,
             Contains("but UPDATE_SHA256 says " + std::string(64, '0') + ": refusing it, nothing was installed"));
  CHECK(tree_hash(root.path()) == before);
  r = run_sc_rooted(root.path(), {"--set", "UPDATE_URL=" + url, "--set", "UPDATE_SHA256=abc", "update", "start"});
  CHECK(r.status == 2);
  // The .sha256 beside the archive does not match (the archive changed).
  write_text(srv / "good.tar.sha256", std::string(64, 'a') + "  good.tar\n");
  r = run_sc_rooted(root.path(), {"--set", "UPDATE_URL=" + url, "update", "start"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("but " + url + ".sha256 says " + std::string(64, 'a')));
  CHECK(tree_hash(root.path()) == before);
  // No checksum at all.
  fs::remove(srv / "good.tar.sha256");
  r = run_sc_rooted(root.path(), {"--set", "UPDATE_URL=" + url, "update", "start"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("no checksum for " + url));
  CHECK(tree_hash(root.path()) == before);

  // Archives that are not releases, with valid checksums.
  const fs::path evil = make_release(srv.path(), "evil.tar", {{"etc/cron.d/evil", "* * * * * root id\n"}});
  r = run_sc_rooted(root.path(), {"--set", "UPDATE_URL=file://" + evil.string(), "update", "start"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("release member \"etc/cron.d/evil\" is outside /usr/local/"));
  const fs::path nosc = make_release(srv.path(), "nosc.tar", {}, false);
  r = run_sc_rooted(root.path(), {"--set", "UPDATE_URL=file://" + nosc.string(), "update", "start"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("is not an sc release: it has no usr/local/sbin/sc"));
  const fs::path tree = srv / "tree-link";
  fs::create_directories(tree / "usr/local/sbin");
  fs::copy_file(kScBinary, tree / "usr/local/sbin/sc");
  fs::create_symlink("/etc/shadow", tree / "usr/local/sbin/shadow");
  run_ok({"tar", "-cf", (srv / "link.tar").string(), "-C", tree.string(), "."});
  write_text(srv / "link.tar.sha256", run_ok({"sha256sum", (srv / "link.tar").string()}));
  r = run_sc_rooted(root.path(), {"--set", "UPDATE_URL=file://" + (srv / "link.tar").string(), "update", "start"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("release member \"usr/local/sbin/shadow\" is not a regular file or directory"));
  CHECK(tree_hash(root.path()) == before);
}

TEST_CASE("update upgrade runs every module's upgrade hook once", "[update]") {
  TempDir root;
  write_text(root / "etc/sudoers.d/sc", "root   ALL=NOPASSWD: ALL\n%sudo  ALL=NOPASSWD: ALL\n", fs::perms(0440));
  const std::string before = tree_hash(root.path());
  for (std::vector<std::string> bad : std::vector<std::vector<std::string>>{{"upgrade"},
                                                                            {"upgrade", "10066"},
                                                                            {"upgrade", "x"},
                                                                            {"upgrade", "9.9.9"},
                                                                            {"upgrade", "1.0.0", "0.9.0"},
                                                                            {"upgrade", "1", "2", "3"}}) {
    bad.insert(bad.begin(), "update");
    INFO(bad.back());
    CHECK(run_sc_rooted(root.path(), bad).status == 2);
  }
  ScRun r = run_sc_rooted(root.path(), {"update", "upgrade", running_version()});
  CHECK(r.status == 0);
  CHECK(r.out == "nothing to upgrade: " + running_version() + " is the version running\n");
  CHECK(run_sc_rooted(root.path(), {"--dry-run", "update", "upgrade", "0.0.1"}).status == 0);
  CHECK(tree_hash(root.path()) == before);
  // user's upgrade hook rewrites the sudoers text of older versions.
  r = run_sc_rooted(root.path(), {"update", "upgrade", "0.0.1"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("upgraded the modules from 0.0.1 to " + running_version()));
  CHECK_THAT(read_text(root / "etc/sudoers.d/sc"), Contains("%sudo ALL=(ALL:ALL) NOPASSWD: ALL\n"));
}

TEST_CASE("update sync copies settings from a master only", "[update]") {
  TempDir root;
  fs::create_directories(root / "etc");
  CHECK(run_sc_rooted(root.path(), {"update", "sync", "master.example.com", "master"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"update", "sync", "master.example.com", "boss"}).status == 2);
  CHECK(run_sc_rooted(root.path(), {"update", "sync", "a;b", "client"}).status == 2);
  TempDir plugins;
  fs::create_directories(plugins / "lib");
  fs::permissions(plugins / "lib", fs::perms(0755));
  for (const char* f : {"update.so", "update.json"}) fs::copy_file(fs::path(kPluginDir) / f, plugins / "lib" / f);
  ScRun r = run_sc({"--plugin-path", (plugins / "lib").string(), "--root", root.path().string(), "update", "sync",
                    "master.example.com", "client"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("sc update sync needs sshlink (not installed/not built yet)"));
}
