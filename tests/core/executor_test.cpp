#include "engine/executor.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/fs.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "test_support.hpp"

namespace fs = std::filesystem;
using sc::ActionState;
using sc::Executor;
using sc::FileSpec;
using sc::test::read_text;
using sc::test::TempDir;
using sc::test::tree_hash;
using sc::test::write_text;

namespace {

struct stat lstat_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st;
}

unsigned mode_of(const fs::path& p) {
  return lstat_of(p).st_mode & 07777;
}

sc::ExecOptions rooted(const TempDir& root, bool dry_run = false, bool diff = false) {
  sc::ExecOptions o;
  o.root = root.path();
  o.dry_run = dry_run;
  o.diff = diff;
  return o;
}

FileSpec with_mode(std::uint32_t mode) {
  FileSpec s;
  s.mode = mode;
  return s;
}

// Names of leftover temporary files in a directory.
std::vector<std::string> temp_files(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".sc-") != std::string::npos) out.push_back(e.path().filename());
  return out;
}

class Umask {
 public:
  explicit Umask(mode_t m) : old_(::umask(m)) {}
  ~Umask() { ::umask(old_); }

 private:
  mode_t old_;
};

// A test tree with two accounts.
void add_accounts(const TempDir& root) {
  write_text(root / "etc/passwd", "root:x:0:0:root:/root:/bin/sh\nalice:x:1234:2345::/home/alice:/bin/sh\n");
  write_text(root / "etc/group", "root:x:0:\nalice:x:2345:\nstaff:x:3456:alice\n");
}

const sc::Action& last(const Executor& ex) {
  REQUIRE_FALSE(ex.actions().empty());
  return ex.actions().back();
}

}  // namespace

TEST_CASE("write_file creates a file with the exact mode, whatever the umask") {
  TempDir root;
  Executor ex(rooted(root));
  std::string err;
  {
    Umask u(0077);
    REQUIRE(ex.write_file("/f644", "x\n", with_mode(0644), &err));
    REQUIRE(ex.write_file("/f755", "#!/bin/sh\n", with_mode(0755), &err));
  }
  {
    Umask u(0);
    REQUIRE(ex.write_file("/f600", "secret\n", with_mode(0600), &err));
    REQUIRE(ex.write_file("/f4750", "x", with_mode(04750), &err));
  }
  CHECK(mode_of(root / "f644") == 0644);
  CHECK(mode_of(root / "f755") == 0755);
  CHECK(mode_of(root / "f600") == 0600);
  CHECK(mode_of(root / "f4750") == 04750);
  CHECK(read_text(root / "f755") == "#!/bin/sh\n");
  CHECK(last(ex).kind == "write");
  CHECK(last(ex).target == "/f4750");
  CHECK(last(ex).state == ActionState::changed);
  CHECK(last(ex).detail == "created");
  CHECK(temp_files(root.path()).empty());
}

TEST_CASE("an identical second write is ok and rewrites nothing") {
  TempDir root;
  Executor ex(rooted(root));
  std::string err;
  REQUIRE(ex.write_file("/etc-file", "same\n", with_mode(0640), &err));
  struct stat before = lstat_of(root / "etc-file");
  ::usleep(10000);
  REQUIRE(ex.write_file("/etc-file", "same\n", with_mode(0640), &err));
  struct stat after = lstat_of(root / "etc-file");
  CHECK(ex.actions().size() == 2);
  CHECK(last(ex).state == ActionState::ok);
  CHECK(last(ex).detail.empty());
  CHECK(before.st_ino == after.st_ino);
  CHECK(before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);
}

TEST_CASE("write_file details say what changed") {
  TempDir root;
  add_accounts(root);
  write_text(root / "conf", "old\n", fs::perms(0644));
  Executor ex(rooted(root));
  std::string err;
  REQUIRE(ex.write_file("/conf", "new\n", with_mode(0644), &err));
  CHECK(last(ex).detail == "content");
  const ino_t inode = lstat_of(root / "conf").st_ino;
  REQUIRE(ex.write_file("/conf", "new\n", with_mode(0600), &err));
  CHECK(last(ex).detail == "mode 0644 -> 0600");
  CHECK(lstat_of(root / "conf").st_ino == inode);  // changed in place
  FileSpec alice = with_mode(0640);
  alice.owner = "alice";
  REQUIRE(ex.write_file("/conf", "newer\n", alice, &err));
  CHECK(last(ex).detail == "content, mode 0600 -> 0640, owner 0:0 -> 1234:2345");
  CHECK(lstat_of(root / "conf").st_uid == 1234);
  CHECK(lstat_of(root / "conf").st_gid == 2345);
  alice.group = "staff";
  REQUIRE(ex.write_file("/conf", "newer\n", alice, &err));
  CHECK(last(ex).detail == "owner 1234:2345 -> 1234:3456");
  CHECK(lstat_of(root / "conf").st_gid == 3456);
}

TEST_CASE("keep_attrs keeps an existing file's mode and owner") {
  TempDir root;
  add_accounts(root);
  write_text(root / "keep", "v1\n", fs::perms(0604));
  REQUIRE(::chown((root / "keep").c_str(), 1234, 3456) == 0);
  Executor ex(rooted(root));
  std::string err;
  FileSpec spec = with_mode(0600);
  spec.keep_attrs = true;
  REQUIRE(ex.write_file("/keep", "v2\n", spec, &err));
  CHECK(last(ex).detail == "content");
  CHECK(mode_of(root / "keep") == 0604);
  CHECK(lstat_of(root / "keep").st_uid == 1234);
  CHECK(lstat_of(root / "keep").st_gid == 3456);
  // A new file gets the spec's attributes.
  REQUIRE(ex.write_file("/fresh", "x\n", spec, &err));
  CHECK(mode_of(root / "fresh") == 0600);
}

TEST_CASE("unknown owners and groups fail with a clear message") {
  TempDir root;
  add_accounts(root);
  Executor ex(rooted(root));
  std::string err;
  FileSpec spec;
  spec.owner = "mallory";
  CHECK_FALSE(ex.write_file("/x", "x", spec, &err));
  CHECK_THAT(err, Catch::StartsWith("cannot write /x: unknown user \"mallory\""));
  CHECK_THAT(err, Catch::Contains("create the user first"));
  CHECK(last(ex).state == ActionState::failed);
  spec.owner = "alice";
  spec.group = "nogroup-here";
  CHECK_FALSE(ex.write_file("/x", "x", spec, &err));
  CHECK_THAT(err, Catch::Contains("unknown group \"nogroup-here\""));
  CHECK_FALSE(fs::exists(root / "x"));
}

TEST_CASE("errors name the target path and say what to do") {
  TempDir root;
  Executor ex(rooted(root));
  std::string err;
  CHECK_FALSE(ex.write_file("/missing/dir/file", "x", {}, &err));
  CHECK(err ==
        "cannot write /missing/dir/file: directory /missing/dir does not exist; create it "
        "first (make_dir)");
  CHECK(err.find(root.path().string()) == std::string::npos);
  CHECK(last(ex).state == ActionState::failed);
  CHECK(last(ex).target == "/missing/dir/file");
  fs::create_directories(root / "adir");
  CHECK_FALSE(ex.write_file("/adir", "x", {}, &err));
  CHECK(err == "cannot write /adir: it is a directory; remove it first");
  CHECK_FALSE(ex.write_file("/a/../etc/passwd", "x", {}, &err));
  CHECK_THAT(err, Catch::Contains("paths must be absolute and must not contain '..'"));
  CHECK_FALSE(ex.write_file("relative", "x", {}, &err));
  CHECK_THAT(err, Catch::Contains("paths must be absolute"));
  CHECK_FALSE(ex.write_file("/bad-mode", "x", with_mode(010644), &err));
  CHECK_THAT(err, Catch::Contains("invalid mode"));
}

TEST_CASE("symlinks never lead a write out of the root") {
  TempDir root;
  fs::create_directories(root / "etc");
  fs::create_directories(root / "a" / "b");
  fs::create_symlink("/etc", root / "etc-abs");
  fs::create_symlink("../../../../../../../etc", root / "a" / "b" / "etc-rel");
  const std::string name = "sc-executor-test-" + std::to_string(::getpid());
  Executor ex(rooted(root));
  std::string err;
  REQUIRE(ex.write_file("/etc-abs/" + name, "abs\n", {}, &err));
  CHECK(read_text(root / "etc" / name) == "abs\n");
  REQUIRE(ex.write_file("/a/b/etc-rel/" + name + ".2", "rel\n", {}, &err));
  CHECK(read_text(root / "etc" / (name + ".2")) == "rel\n");
  CHECK_FALSE(fs::exists(fs::path("/etc") / name));
  CHECK_FALSE(fs::exists(fs::path("/etc") / (name + ".2")));
  fs::path resolved;
  REQUIRE(ex.resolve("/a/b/etc-rel/passwd", &resolved, &err));
  CHECK(resolved == root.path() / "etc" / "passwd");
}

TEST_CASE("a symlink at the written path is replaced, not followed") {
  TempDir root;
  write_text(root / "etc/passwd", "root:x:0:0::/:/bin/sh\n");
  fs::create_symlink("/etc/passwd", root / "link");
  Executor ex(rooted(root, false, true));
  std::string err;
  REQUIRE(ex.write_file("/link", "own content\n", {}, &err));
  CHECK_FALSE(fs::is_symlink(root / "link"));
  CHECK(read_text(root / "link") == "own content\n");
  CHECK(read_text(root / "etc/passwd") == "root:x:0:0::/:/bin/sh\n");
  CHECK(last(ex).detail == "replaced symlink -> /etc/passwd");
  CHECK(last(ex).diff == "--- /dev/null\n+++ b/link\n@@ -0,0 +1 @@\n+own content\n");
}

TEST_CASE("a symlink loop is refused") {
  TempDir root;
  fs::create_symlink("loop2", root / "loop1");
  fs::create_symlink("loop1", root / "loop2");
  Executor ex(rooted(root));
  std::string err;
  CHECK_FALSE(ex.write_file("/loop1/x", "x", {}, &err));
  CHECK_THAT(err, Catch::Contains("too many levels of symbolic links"));
  CHECK(last(ex).state == ActionState::failed);
}

TEST_CASE("a failed rename leaves the old content and no temporary file") {
  TempDir root;
  write_text(root / "dir/target", "old content\n");
  const fs::path target = root / "dir/target";
  int fd = ::open(target.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  int flags = 0;
  bool immutable = ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
  if (immutable) {
    int with = flags | FS_IMMUTABLE_FL;
    immutable = ::ioctl(fd, FS_IOC_SETFLAGS, &with) == 0;
  }
  if (!immutable) {
    ::close(fd);
    WARN("the file system cannot make files immutable: rename failure not tested");
    return;
  }
  Executor ex(rooted(root));
  std::string err;
  bool ok = ex.write_file("/dir/target", "new content\n", {}, &err);
  ::ioctl(fd, FS_IOC_SETFLAGS, &flags);
  ::close(fd);
  CHECK_FALSE(ok);
  CHECK_THAT(err, Catch::StartsWith("cannot write /dir/target: rename: "));
  CHECK_THAT(err, Catch::Contains("the old file was left as it was"));
  CHECK(read_text(target) == "old content\n");
  CHECK(temp_files(root / "dir").empty());
  CHECK(last(ex).state == ActionState::failed);
}

TEST_CASE("a failed write leaves the old content and no temporary file") {
  TempDir root;
  write_text(root / "dir/target", "old content\n");
  // In a child with a 16-byte file size limit, writing 4 KiB fails midway.
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit lim{16, 16};
    ::setrlimit(RLIMIT_FSIZE, &lim);
    Executor ex(rooted(root));
    std::string err;
    bool ok = ex.write_file("/dir/target", std::string(4096, 'x'), {}, &err);
    bool expected = !ok && err.find("cannot write /dir/target: write: File too large") == 0 &&
                    ex.actions().back().state == ActionState::failed;
    ::_exit(expected ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(read_text(root / "dir/target") == "old content\n");
  CHECK(temp_files(root / "dir").empty());
}

TEST_CASE("changing an owner without root is a clear error") {
  TempDir root;
  fs::permissions(root.path(), fs::perms(0777));
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(77);
    Executor ex(rooted(root));
    std::string err;
    bool ok = ex.write_file("/owned-by-root", "x", {}, &err);
    ::_exit(!ok && err ==
                        "cannot write /owned-by-root: changing owner of /owned-by-root needs "
                        "root; run sc as root"
                ? 0
                : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) {
    WARN("cannot drop privileges here: not tested");
    return;
  }
  CHECK(WEXITSTATUS(status) == 0);
  CHECK_FALSE(fs::exists(root / "owned-by-root"));
}

TEST_CASE("dry-run changes nothing and reports the plan") {
  TempDir root;
  add_accounts(root);
  write_text(root / "etc/conf", "old\n");
  write_text(root / "gone", "bye\n");
  fs::create_directories(root / "tree/sub");
  write_text(root / "tree/sub/file", "x");
  fs::create_symlink("/etc/conf", root / "link");
  const std::string before = tree_hash(root.path());
  Executor ex(rooted(root, true));
  std::string err;
  FileSpec alice = with_mode(0600);
  alice.owner = "alice";
  REQUIRE(ex.write_file("/etc/conf", "new\n", alice, &err));
  REQUIRE(ex.write_file("/etc/new", "fresh\n", {}, &err));
  REQUIRE(ex.remove("/gone", false, &err));
  REQUIRE(ex.remove("/tree", true, &err));
  REQUIRE(ex.make_dir("/srv/data", with_mode(0750), &err));
  REQUIRE(ex.symlink("/srv/data", "/link", &err));
  REQUIRE(ex.set_attr("/etc/passwd", with_mode(0600), &err));
  sc::RunSpec touch;
  touch.process.argv = {"touch", (root / "ran-marker").string()};
  bool ran = true;
  REQUIRE(ex.run(touch, nullptr, &ran, &err));
  CHECK_FALSE(ran);
  CHECK(tree_hash(root.path()) == before);
  REQUIRE(ex.actions().size() == 8);
  for (const auto& a : ex.actions()) {
    INFO(a.kind << " " << a.target);
    CHECK(a.state == ActionState::planned);
  }
  CHECK(ex.actions()[0].detail == "content, mode 0644 -> 0600, owner 0:0 -> 1234:2345");
  CHECK(ex.actions()[1].detail == "created");
  CHECK(ex.actions()[2].detail == "removed file");
  CHECK(ex.actions()[3].detail == "removed directory and its contents");
  CHECK(ex.actions()[4].detail == "created, with parent directories /srv");
  CHECK(ex.actions()[5].detail == "-> /srv/data (was -> /etc/conf)");
  CHECK(ex.actions()[6].detail == "mode 0644 -> 0600");
  CHECK(ex.actions()[7].kind == "run");
  CHECK(ex.actions()[7].detail == "would run");
}

TEST_CASE("dry-run reads and writes see the planned state") {
  TempDir root;
  write_text(root / "etc/conf", "old\n");
  write_text(root / "etc/other", "other\n");
  fs::create_directories(root / "tree/sub");
  write_text(root / "tree/sub/file", "x");
  const std::string before = tree_hash(root.path());
  Executor ex(rooted(root, true));
  std::string err, data;
  REQUIRE(ex.write_file("/etc/conf", "planned\n", {}, &err));
  REQUIRE(ex.read_file("/etc/conf", &data, &err));
  CHECK(data == "planned\n");
  REQUIRE(ex.write_file("/etc/conf", "planned\n", {}, &err));
  CHECK(last(ex).state == ActionState::ok);
  // A directory planned by make_dir can be written into.
  REQUIRE(ex.make_dir("/srv/a/b", with_mode(0755), &err));
  REQUIRE(ex.write_file("/srv/a/b/file", "in planned dir\n", {}, &err));
  REQUIRE(ex.read_file("/srv/a/b/file", &data, &err));
  CHECK(data == "in planned dir\n");
  REQUIRE(ex.make_dir("/srv/a", with_mode(0755), &err));
  CHECK(last(ex).state == ActionState::ok);
  // A removal hides the file and everything below a directory.
  REQUIRE(ex.remove("/etc/other", false, &err));
  CHECK_FALSE(ex.read_file("/etc/other", &data, &err));
  CHECK(err == "cannot read /etc/other: it does not exist");
  REQUIRE(ex.remove("/etc/other", false, &err));
  CHECK(last(ex).state == ActionState::ok);
  REQUIRE(ex.remove("/tree", true, &err));
  CHECK_FALSE(ex.read_file("/tree/sub/file", &data, &err));
  CHECK_FALSE(ex.write_file("/tree/sub/new", "x", {}, &err));
  CHECK_THAT(err, Catch::Contains("does not exist"));
  // A directory emptied by the plan can be removed without recursion.
  REQUIRE(ex.make_dir("/d", with_mode(0755), &err));
  REQUIRE(ex.write_file("/d/f", "x", {}, &err));
  CHECK_FALSE(ex.remove("/d", false, &err));
  REQUIRE(ex.remove("/d/f", false, &err));
  REQUIRE(ex.remove("/d", false, &err));
  CHECK(last(ex).detail == "removed directory");
  // A planned symlink is followed by later paths.
  REQUIRE(ex.symlink("/srv/a", "/alias", &err));
  REQUIRE(ex.read_file("/alias/b/file", &data, &err));
  CHECK(data == "in planned dir\n");
  CHECK(tree_hash(root.path()) == before);
}

TEST_CASE("diffs are exact, with labels a/PATH and b/PATH") {
  TempDir root;
  write_text(root / "etc/conf", "one\ntwo\nthree\n");
  write_text(root / "etc/old", "bye\n");
  Executor ex(rooted(root, false, true));
  std::string err;
  REQUIRE(ex.write_file("/etc//conf", "one\n2\nthree\n", {}, &err));
  CHECK(last(ex).target == "/etc//conf");
  CHECK(last(ex).diff == "--- a/etc/conf\n+++ b/etc/conf\n@@ -1,3 +1,3 @@\n one\n-two\n+2\n three\n");
  REQUIRE(ex.write_file("/etc/new", "hello", {}, &err));
  CHECK(last(ex).diff == "--- /dev/null\n+++ b/etc/new\n@@ -0,0 +1 @@\n+hello\n\\ No newline at end of file\n");
  REQUIRE(ex.remove("/etc/old", false, &err));
  CHECK(last(ex).diff == "--- a/etc/old\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n");
  REQUIRE(ex.write_file("/etc/conf", "one\n2\nthree\n", with_mode(0600), &err));
  CHECK(last(ex).detail == "mode 0644 -> 0600");
  CHECK(last(ex).diff.empty());
  REQUIRE(ex.write_file("/etc/bin", std::string("\0\1", 2), {}, &err));
  REQUIRE(ex.write_file("/etc/bin", std::string("\0\2", 2), {}, &err));
  CHECK(last(ex).diff == "Binary files a/etc/bin and b/etc/bin differ\n");
}

TEST_CASE("diffs without --diff are empty") {
  TempDir root;
  Executor ex(rooted(root));
  std::string err;
  REQUIRE(ex.write_file("/f", "x\n", {}, &err));
  CHECK(last(ex).diff.empty());
}

TEST_CASE("secrets are redacted in diffs, targets, details and errors") {
  TempDir root;
  write_text(root / "etc/app.conf", "user=admin\npassword=old\n");
  write_text(root / "etc/key", "PRIVATE\n", fs::perms(0600));
  Executor ex(rooted(root, true, true));
  ex.add_secret("hunter2");
  ex.add_secret("");
  std::string err;
  REQUIRE(ex.write_file("/etc/app.conf", "user=admin\npassword=hunter2\n", {}, &err));
  CHECK(last(ex).diff ==
        "--- a/etc/app.conf\n+++ b/etc/app.conf\n@@ -1,2 +1,2 @@\n user=admin\n-password=old\n"
        "+password=********\n");
  FileSpec secret;
  secret.secret = true;
  REQUIRE(ex.write_file("/etc/token", "tok-123\n", secret, &err));
  CHECK(last(ex).diff == "(secret content not shown)\n");
  // A file others cannot read is not shown when removed.
  REQUIRE(ex.remove("/etc/key", false, &err));
  CHECK(last(ex).diff == "(secret content not shown)\n");
  REQUIRE(ex.remove("/etc/token", false, &err));
  CHECK(last(ex).diff == "(secret content not shown)\n");
  CHECK_FALSE(ex.write_file("/nodir/hunter2", "x", {}, &err));
  CHECK(err ==
        "cannot write /nodir/********: directory /nodir does not exist; create it first "
        "(make_dir)");
  CHECK(last(ex).target == "/nodir/********");
  CHECK(ex.redact("a hunter2 b hunter2") == "a ******** b ********");
  // A short secret is not searched for: masking every "e" would tell it.
  ex.add_secret("e");
  CHECK(ex.redact("the report here") == "the report here");
}

TEST_CASE("run: secret arguments and secrets in argv are not shown") {
  TempDir root;
  Executor ex(rooted(root, true));
  ex.add_secret("s3cret-pw");
  std::string err;
  sc::RunSpec spec;
  spec.process.argv = {"chpasswd", "--password", "s3cret-pw"};
  REQUIRE(ex.run(spec, nullptr, nullptr, &err));
  CHECK(last(ex).target == "chpasswd --password ********");
  spec.secret_args = true;
  spec.process.argv = {"mysql", "-p", "unregistered-secret"};
  REQUIRE(ex.run(spec, nullptr, nullptr, &err));
  CHECK(last(ex).target == "mysql (arguments hidden)");
}

TEST_CASE("run: readonly programs run under dry-run and are not recorded") {
  TempDir root;
  Executor ex(rooted(root, true));
  sc::RunSpec spec;
  spec.readonly = true;
  spec.process.argv = {"sh", "-c", "echo hello"};
  spec.process.capture_out = true;
  sc::ProcessResult res;
  bool ran = false;
  std::string err;
  REQUIRE(ex.run(spec, &res, &ran, &err));
  CHECK(ran);
  CHECK(res.out == "hello\n");
  CHECK(ex.actions().empty());
}

TEST_CASE("run: a live action under --root is recorded, not run") {
  TempDir root;
  Executor ex(rooted(root));
  sc::RunSpec spec;
  spec.live = true;
  spec.process.argv = {"touch", (root / "marker").string()};
  bool ran = true;
  std::string err;
  REQUIRE(ex.run(spec, nullptr, &ran, &err));
  CHECK_FALSE(ran);
  CHECK_FALSE(fs::exists(root / "marker"));
  CHECK(last(ex).state == ActionState::recorded);
  // Not live: it runs and is recorded as changed.
  spec.live = false;
  REQUIRE(ex.run(spec, nullptr, &ran, &err));
  CHECK(ran);
  CHECK(fs::exists(root / "marker"));
  CHECK(last(ex).state == ActionState::changed);
  CHECK(last(ex).target == "touch " + (root / "marker").string());
}

TEST_CASE("run: a live action on the running system runs") {
  Executor ex(sc::ExecOptions{});
  sc::RunSpec spec;
  spec.live = true;
  spec.process.argv = {"true"};
  bool ran = false;
  std::string err;
  REQUIRE(ex.run(spec, nullptr, &ran, &err));
  CHECK(ran);
  CHECK(last(ex).state == ActionState::changed);
}

TEST_CASE("run: failures say how the program ended") {
  TempDir root;
  Executor ex(rooted(root));
  sc::RunSpec spec;
  spec.process.argv = {"sh", "-c", "echo first problem >&2; echo second >&2; exit 3"};
  spec.process.capture_err = true;
  sc::ProcessResult res;
  bool ran = false;
  std::string err;
  CHECK_FALSE(ex.run(spec, &res, &ran, &err));
  CHECK(ran);
  CHECK(res.exit_code == 3);
  CHECK(err == "sh: exited with status 3: first problem; second");
  CHECK(last(ex).state == ActionState::failed);
  CHECK(last(ex).detail == "exited with status 3");
  spec.process.argv = {"/nonexistent/sc-program"};
  CHECK_FALSE(ex.run(spec, &res, &ran, &err));
  CHECK_FALSE(ran);
  CHECK(err == "/nonexistent/sc-program: not found");
  CHECK(last(ex).state == ActionState::failed);
  spec.readonly = true;
  size_t count = ex.actions().size();
  CHECK_FALSE(ex.run(spec, &res, &ran, &err));
  CHECK(ex.actions().size() == count);
}

TEST_CASE("remove: files, links, directories") {
  TempDir root;
  write_text(root / "file", "x");
  write_text(root / "outside/keep", "keep me");
  fs::create_directory_symlink("/outside", root / "dirlink");
  fs::create_directories(root / "empty");
  write_text(root / "full/a/b", "x");
  Executor ex(rooted(root));
  std::string err;
  REQUIRE(ex.remove("/missing", false, &err));
  CHECK(last(ex).state == ActionState::ok);
  REQUIRE(ex.remove("/file", false, &err));
  CHECK(last(ex).detail == "removed file");
  CHECK_FALSE(fs::exists(root / "file"));
  REQUIRE(ex.remove("/dirlink", true, &err));
  CHECK(last(ex).detail == "removed symlink -> /outside");
  CHECK(read_text(root / "outside/keep") == "keep me");
  REQUIRE(ex.remove("/empty", false, &err));
  CHECK(last(ex).detail == "removed directory");
  CHECK_FALSE(ex.remove("/full", false, &err));
  CHECK(err ==
        "cannot remove /full: it is a directory and not empty; remove its contents first, "
        "or remove it recursively (SC_REMOVE_RECURSIVE)");
  CHECK(fs::exists(root / "full/a/b"));
  REQUIRE(ex.remove("/full", true, &err));
  CHECK_FALSE(fs::exists(root / "full"));
  CHECK_FALSE(ex.remove("/", true, &err));
  CHECK_THAT(err, Catch::Contains("refusing to remove the root directory"));
}

TEST_CASE("make_dir: parents, modes, existing paths") {
  TempDir root;
  add_accounts(root);
  write_text(root / "afile", "x");
  Executor ex(rooted(root));
  std::string err;
  {
    Umask u(0077);
    FileSpec spec = with_mode(0750);
    spec.owner = "alice";
    REQUIRE(ex.make_dir("/srv/app/data", spec, &err));
  }
  CHECK(last(ex).detail == "created, with parent directories /srv, /srv/app");
  CHECK(mode_of(root / "srv") == 0755);
  CHECK(mode_of(root / "srv/app") == 0755);
  CHECK(mode_of(root / "srv/app/data") == 0750);
  CHECK(lstat_of(root / "srv/app").st_uid == 0);
  CHECK(lstat_of(root / "srv/app/data").st_uid == 1234);
  CHECK(lstat_of(root / "srv/app/data").st_gid == 2345);
  FileSpec spec = with_mode(0750);
  spec.owner = "alice";
  REQUIRE(ex.make_dir("/srv/app/data", spec, &err));
  CHECK(last(ex).state == ActionState::ok);
  spec.mode = 0700;
  REQUIRE(ex.make_dir("/srv/app/data", spec, &err));
  CHECK(last(ex).detail == "mode 0750 -> 0700");
  CHECK(mode_of(root / "srv/app/data") == 0700);
  CHECK_FALSE(ex.make_dir("/afile/sub", with_mode(0755), &err));
  CHECK(err == "cannot create directory /afile/sub: /afile exists and is not a directory");
  CHECK_FALSE(ex.make_dir("/afile", with_mode(0755), &err));
  // An existing symlink to a directory counts as that directory.
  fs::create_directory_symlink("/srv", root / "srvlink");
  REQUIRE(ex.make_dir("/srvlink", with_mode(0755), &err));
  CHECK(last(ex).state == ActionState::ok);
}

TEST_CASE("symlink: create, keep, retarget, replace") {
  TempDir root;
  write_text(root / "file", "x");
  fs::create_directories(root / "dir");
  Executor ex(rooted(root));
  std::string err;
  REQUIRE(ex.symlink("../target", "/link", &err));
  CHECK(last(ex).detail == "created -> ../target");
  CHECK(fs::read_symlink(root / "link") == "../target");
  REQUIRE(ex.symlink("../target", "/link", &err));
  CHECK(last(ex).state == ActionState::ok);
  REQUIRE(ex.symlink("/other", "/link", &err));
  CHECK(last(ex).detail == "-> /other (was -> ../target)");
  CHECK(fs::read_symlink(root / "link") == "/other");
  REQUIRE(ex.symlink("/other", "/file", &err));
  CHECK(last(ex).detail == "-> /other (replaced a file)");
  CHECK(fs::is_symlink(root / "file"));
  CHECK_FALSE(ex.symlink("/other", "/dir", &err));
  CHECK(err == "cannot create symlink /dir: it is a directory; remove it first");
  CHECK(temp_files(root.path()).empty());
}

TEST_CASE("rename: moves into place, never over an existing path") {
  TempDir root;
  write_text(root / "snap.partial/fs/f", "data");
  fs::create_directories(root / "done");
  std::string err;
  {
    Executor dry(rooted(root, true));
    std::string before = tree_hash(root.path());
    REQUIRE(dry.rename("/snap.partial", "/snap", &err));
    CHECK(last(dry).state == ActionState::planned);
    CHECK(last(dry).target == "/snap.partial -> /snap");
    CHECK(tree_hash(root.path()) == before);
  }
  Executor ex(rooted(root));
  REQUIRE(ex.rename("/snap.partial", "/snap", &err));
  CHECK(last(ex).state == ActionState::changed);
  CHECK(read_text(root / "snap/fs/f") == "data");
  CHECK_FALSE(fs::exists(root / "snap.partial"));
  CHECK_FALSE(ex.rename("/snap.partial", "/again", &err));
  CHECK_THAT(err, Catch::Contains("does not exist"));
  CHECK_FALSE(ex.rename("/snap", "/done", &err));
  CHECK_THAT(err, Catch::Contains("/done already exists"));
  CHECK(fs::exists(root / "snap/fs/f"));
  CHECK_FALSE(ex.rename("/snap", "/missing/dir/x", &err));
  CHECK_FALSE(ex.rename("/snap", "/../x", &err));
}

TEST_CASE("set_attr: mode and owner of existing paths") {
  TempDir root;
  add_accounts(root);
  write_text(root / "f", "x", fs::perms(0644));
  Executor ex(rooted(root));
  std::string err;
  FileSpec spec = with_mode(0640);
  spec.owner = "alice";
  spec.group = "staff";
  REQUIRE(ex.set_attr("/f", spec, &err));
  CHECK(last(ex).kind == "attr");
  CHECK(last(ex).detail == "mode 0644 -> 0640, owner 0:0 -> 1234:3456");
  CHECK(mode_of(root / "f") == 0640);
  CHECK(lstat_of(root / "f").st_uid == 1234);
  REQUIRE(ex.set_attr("/f", spec, &err));
  CHECK(last(ex).state == ActionState::ok);
  CHECK_FALSE(ex.set_attr("/nope", spec, &err));
  CHECK(err == "cannot set attributes of /nope: it does not exist; create it first");
}

TEST_CASE("read_file follows symlinks inside the root") {
  TempDir root;
  write_text(root / "real/conf", "content\n");
  fs::create_symlink("/real/conf", root / "alias");
  Executor ex(rooted(root));
  std::string err, data;
  REQUIRE(ex.read_file("/alias", &data, &err));
  CHECK(data == "content\n");
  CHECK_FALSE(ex.read_file("/real", &data, &err));
  CHECK_THAT(err, Catch::StartsWith("cannot read /real: "));
  CHECK(ex.actions().empty());
}

TEST_CASE("the listener sees every action as it is recorded") {
  TempDir root;
  Executor ex(rooted(root));
  std::vector<std::string> seen;
  const char* names[] = {"ok", "changed", "planned", "recorded", "failed"};
  ex.set_listener(
      [&](const sc::Action& a) { seen.push_back(a.kind + " " + a.target + " " + names[static_cast<int>(a.state)]); });
  std::string err;
  REQUIRE(ex.write_file("/a", "x", {}, &err));
  REQUIRE(ex.write_file("/a", "x", {}, &err));
  CHECK_FALSE(ex.remove("/", false, &err));
  ex.add_secret("secret1");
  ex.record({"setting", "db.password", ActionState::changed, "secret0 -> secret1", ""});
  CHECK(seen ==
        std::vector<std::string>{"write /a changed", "write /a ok", "remove / failed", "setting db.password changed"});
  CHECK(last(ex).detail == "secret0 -> ********");
}

TEST_CASE("clone: a hard-link copy of a tree, put in place when complete") {
  TempDir root;
  const fs::path from = root / "snap/1/fs", to = root / "snap/2/fs";
  fs::create_directories(root / "snap/2");
  write_text(from / "plain", "plain\n");
  std::vector<std::string> names;
  for (const auto& h : sc::test::hostile_strings())
    if (!h.empty() && h.find('/') == std::string::npos && h != "." && h != "..") {
      names.push_back(h);
      write_text(from / "sub" / h, h);
    }
  fs::create_hard_link(from / "plain", from / "sub/same inode");
  fs::create_symlink("nowhere/at all", from / "sub/dangling");
  fs::create_symlink("/etc", from / "sub/absolute");
  REQUIRE(::mkfifo((from / "sub/fifo").c_str(), 0640) == 0);
  fs::create_directories(from / "empty");
  write_text(from / "locked/inside", "x");
  ::chmod((from / "empty").c_str(), 02750);
  ::chmod((from / "locked").c_str(), 0500);
  const struct timespec old_times[2] = {{1000000000, 5}, {1000000000, 123456789}};
  REQUIRE(::utimensat(AT_FDCWD, (from / "sub").c_str(), old_times, AT_SYMLINK_NOFOLLOW) == 0);
  const std::string before = tree_hash(from);
  auto same_inode = [](const fs::path& a, const fs::path& b) {
    struct stat sa = lstat_of(a), sb = lstat_of(b);
    return sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
  };

  Executor ex(rooted(root));
  std::string err;
  auto job = ex.clone_start("/snap/1/fs", "/snap/2/fs", &err);
  REQUIRE(job);
  // Nothing at `to` before it is finished, and the executor stays usable.
  CHECK(ex.write_file("/snap/2/note", "meanwhile\n", FileSpec{}, &err));
  sc::tree_clone::Stats stats;
  REQUIRE(ex.clone_finish(std::move(job), false, {}, &stats, &err));
  INFO(err);
  for (const char* f : {"plain", "sub/same inode", "sub/dangling", "sub/absolute", "sub/fifo", "locked/inside"})
    CHECK(same_inode(from / f, to / f));
  for (const auto& n : names) CHECK(same_inode(from / "sub" / n, to / "sub" / n));
  CHECK(stats.dirs == 4);
  CHECK(stats.linked == names.size() + 6);
  // Directories are new, with their original's mode, owner and times.
  for (const char* d : {"", "sub", "empty", "locked"}) {
    struct stat a = lstat_of(from / d), b = lstat_of(to / d);
    CHECK(a.st_ino != b.st_ino);
    CHECK(a.st_mode == b.st_mode);
    CHECK(a.st_uid == b.st_uid);
    CHECK(a.st_gid == b.st_gid);
    CHECK(a.st_mtim.tv_sec == b.st_mtim.tv_sec);
    CHECK(a.st_mtim.tv_nsec == b.st_mtim.tv_nsec);
  }
  CHECK(tree_hash(to) == before);
  CHECK(tree_hash(from) == before);
  CHECK_FALSE(fs::exists(root / "snap/2/.fs.sc-clone"));
  // One action.
  REQUIRE(ex.actions().back().kind == "clone");
  CHECK(ex.actions().back().state == ActionState::changed);
  CHECK(ex.actions().back().target == "/snap/1/fs -> /snap/2/fs");
  CHECK(ex.actions().back().detail.find("4 directories") != std::string::npos);

  // The target must be new: an existing one is never merged into.
  CHECK_FALSE(ex.clone_start("/snap/1/fs", "/snap/2/fs", &err));
  CHECK(err.find("already exists") != std::string::npos);
  CHECK_FALSE(ex.clone_start("/snap/1/fs/plain", "/snap/3", &err));
  CHECK(err.find("not a directory") != std::string::npos);
  CHECK_FALSE(ex.clone_start("/snap/1/fs", "/nowhere/x", &err));
  CHECK_FALSE(ex.clone_start("/snap/../etc", "/snap/4", &err));
  ::chmod((from / "locked").c_str(), 0700);
}

TEST_CASE("clone: paths left out, a discarded clone, a dry run, a leftover") {
  TempDir root;
  const fs::path from = root / "a";
  write_text(from / "keep", "k");
  write_text(from / "d/changed", "c");
  write_text(from / "d/gone/deep/x", "x");
  write_text(from / "d/other", "o");
  const struct timespec old_times[2] = {{1000000000, 0}, {1000000000, 0}};
  REQUIRE(::utimensat(AT_FDCWD, (from / "d").c_str(), old_times, 0) == 0);
  Executor ex(rooted(root));
  std::string err;

  // Left out: a file and a directory with all below it; a missing path is
  // fine. The directory that held them keeps its original's times.
  auto job = ex.clone_start("/a", "/b", &err);
  REQUIRE(job);
  sc::tree_clone::Stats stats;
  REQUIRE(ex.clone_finish(std::move(job), false, {"d/changed", "d/gone", "not/there"}, &stats, &err));
  CHECK(stats.skipped == 2);
  CHECK(fs::exists(root / "b/keep"));
  CHECK(fs::exists(root / "b/d/other"));
  CHECK_FALSE(fs::exists(root / "b/d/changed"));
  CHECK_FALSE(fs::exists(root / "b/d/gone"));
  CHECK(fs::exists(from / "d/gone/deep/x"));
  CHECK(lstat_of(root / "b/d").st_mtim.tv_sec == 1000000000);
  CHECK_FALSE(ex.clone_start("/a", "/c", &err) == nullptr);  // a job that is dropped unfinished
  CHECK_FALSE(fs::exists(root / ".c.sc-clone"));
  CHECK_FALSE(fs::exists(root / "c"));

  // Discarded: nothing made, nothing recorded.
  const size_t actions = ex.actions().size();
  job = ex.clone_start("/a", "/c", &err);
  REQUIRE(job);
  REQUIRE(ex.clone_finish(std::move(job), true, {}, nullptr, &err));
  CHECK_FALSE(fs::exists(root / "c"));
  CHECK_FALSE(fs::exists(root / ".c.sc-clone"));
  CHECK(ex.actions().size() == actions);

  // A copy a killed run left under the temporary name is removed first.
  write_text(root / ".c.sc-clone/half", "x");
  job = ex.clone_start("/a", "/c", &err);
  REQUIRE(ex.clone_finish(std::move(job), false, {}, nullptr, &err));
  CHECK_FALSE(fs::exists(root / "c/half"));
  CHECK(fs::exists(root / "c/keep"));

  // A dry run plans one action and touches nothing.
  const std::string hash = tree_hash(root.path());
  Executor dry(rooted(root, true));
  job = dry.clone_start("/a", "/e", &err);
  REQUIRE(job);
  REQUIRE(dry.clone_finish(std::move(job), false, {"keep"}, nullptr, &err));
  CHECK(tree_hash(root.path()) == hash);
  REQUIRE(dry.actions().size() == 1);
  CHECK(dry.actions()[0].state == ActionState::planned);
}

TEST_CASE("clone: a symlink swapped in for the source never leads out of the root") {
  TempDir root, outside;
  write_text(outside / "secret", "outside\n");
  fs::create_directories(root / "snap");
  fs::create_symlink(outside.path(), root / "snap/src");
  Executor ex(rooted(root));
  std::string err;
  // The link is followed inside the root: ROOT/<outside path> does not exist.
  CHECK_FALSE(ex.clone_start("/snap/src", "/snap/copy", &err));
  CHECK_FALSE(fs::exists(root / "snap/copy"));
}

TEST_CASE("stat, list_dir and open_read see the target, stat and list_dir the plan too", "[read]") {
  TempDir root;
  write_text(root / "etc/a", "12345");
  fs::create_symlink("a", root / "etc/link");
  Executor dry(rooted(root, true));
  std::string err;
  REQUIRE(dry.write_file("/etc/b", "planned", FileSpec{}, &err));
  REQUIRE(dry.remove("/etc/a", false, &err));
  std::vector<std::string> names;
  REQUIRE(dry.list_dir("/etc", &names, &err));
  CHECK(names == std::vector<std::string>{"b", "link"});
  sc::rooted_fs::Node node;
  REQUIRE(dry.stat("/etc/b", false, &node, &err));
  CHECK(node.type == sc::rooted_fs::NodeType::file);
  CHECK(node.size == 7);
  REQUIRE(dry.stat("/etc/a", false, &node, &err));
  CHECK(node.type == sc::rooted_fs::NodeType::missing);
  REQUIRE(dry.stat("/etc/link", false, &node, &err));
  CHECK(node.type == sc::rooted_fs::NodeType::symlink);
  CHECK_FALSE(dry.list_dir("/etc/b", &names, &err));
  CHECK_FALSE(dry.list_dir("/nowhere", &names, &err));
  CHECK(err.find("does not exist") != std::string::npos);
  // open_read: the disk, through the root.
  sc::Fd fd;
  REQUIRE(dry.open_read("/etc/a", &fd, &err));
  char buf[8] = {};
  CHECK(::read(fd.get(), buf, sizeof buf) == 5);
  CHECK_FALSE(dry.open_read("/etc/b", &fd, &err));
  CHECK_FALSE(dry.stat("relative", false, &node, &err));
}
