// The peer services of ABI 1.1 against a real sshd (tests/support/
// sshd_harness.hpp), through the `peerprobe` fixture; and what a local
// command does not pay for them.
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>

#include "sc/plugin.hpp"
#include "session/host_services.hpp"
#include "sshd_harness.hpp"

using namespace sc::test;
using Catch::Contains;

namespace {

sc::test::ScRun probe(const SshdHarness& h, std::vector<std::string> args) {
  args.insert(args.begin(), {"--plugin-path", kFixtureDir, "peerprobe"});
  return h.sc(args);
}

}  // namespace

TEST_CASE("a local command does not load the SSH layer, a call to a peer does", "[peer]") {
  TempDir root, home;
  std::vector<std::string> env = {"LD_DEBUG=files", "HOME=" + home.path().string()};
  ScRun r = run_sc({"--plugin-path", kPluginDir, "--root", root.path().string(), "version", "show"}, nullptr, env);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.err, Contains("/proc/self/fd/"));  // the plugin: LD_DEBUG reports what is opened
  CHECK(r.err.find("libssh") == std::string::npos);
  CHECK(r.err.find("libcrypto") == std::string::npos);
  // Port 1 of loopback refuses at once: the layer is loaded, then fails.
  r = run_sc({"--plugin-path", kFixtureDir, "--root", root.path().string(), "peerprobe", "many", "127.0.0.1:1", "1"},
             nullptr, env);
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("libssh.so"));
  CHECK_THAT(r.err, Contains("cannot reach peer 127.0.0.1:1"));
}

TEST_CASE("the C++ layer refuses the peer services on a 1.0 host with a clear message", "[peer]") {
  sc_host_api old = *sc::host_api();
  old.struct_size = static_cast<uint32_t>(offsetof(sc_host_api, peer_connect));
  old.abi_minor = 0;
  const char* argv[] = {nullptr};
  sc_call call{};
  call.struct_size = sizeof call;
  call.api = &old;
  call.module = "x";
  call.command = "y";
  call.argv = argv;
  sc::Context ctx(&call);
  CHECK_THROWS_WITH(ctx.peer_run("host", {"true"}),
                    Contains("this sc is too old") && Contains("needs ABI 1.1") && Contains("implements ABI 1.0"));
  CHECK_THROWS_AS(ctx.peer_linked("host"), sc::Failure);
  CHECK_THROWS_AS(ctx.peer_sc("host", {"version", "show"}), sc::Failure);
  CHECK_THROWS_AS(ctx.fetch({}), sc::Failure);
  CHECK_THROWS_AS(ctx.link_peer("host"), sc::Failure);
}

TEST_CASE("one sc run opens one SSH connection to a peer however many calls it makes", "[peer][sshd]") {
  SshdHarness h;
  int before = h.accepted_publickey();
  ScRun r = probe(h, {"many", h.peer(), "10"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out == "ok 10\n");
  CHECK(h.accepted_publickey() - before == 1);
  // And a second run opens its own.
  r = probe(h, {"many", h.peer(), "2"});
  REQUIRE(r.status == 0);
  CHECK(h.accepted_publickey() - before == 2);
}

TEST_CASE("a remote command gets its environment, directory and input, and its output is captured", "[peer][sshd]") {
  SshdHarness h;
  ScRun r = probe(h, {"run", h.peer()});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out == "it's $(x) \"y\"|/tmp|line 1\nline 2\nerr\n");
}

TEST_CASE("a remote command is stopped at its timeout", "[peer][sshd]") {
  SshdHarness h;
  auto start = std::chrono::steady_clock::now();
  ScRun r = probe(h, {"timeout", h.peer(), "300"});
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("sleep: timed out after 300 ms"));
  CHECK(took < std::chrono::seconds(5));
}

TEST_CASE("fetch copies through the C++ layer and reports rsync's status", "[peer][sshd]") {
  SshdHarness h;
  write_text(h.dir() / "data/one", "1\n");
  ScRun r = probe(h, {"fetch", h.peer(), (h.dir() / "data").string(), "/copy", "one"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Contains("rsync exit 0"));
  CHECK(read_text(h.client_root() / "copy/one") == "1\n");
  r = probe(h, {"fetch", h.peer(), (h.dir() / "data").string(), "/copy", "missing"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("exited with status 23 (partial transfer"));
  r = probe(h, {"fetch", h.peer(), (h.dir() / "data").string(), "/copy", "../escape"});
  CHECK(r.status == 2);
  r = probe(h, {"--dry-run", "fetch", h.peer(), (h.dir() / "data").string(), "/copy2", "one"});
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Contains("(not run)"));
  CHECK_FALSE(fs::exists(h.client_root() / "copy2"));
}

TEST_CASE("rsync runs over the run's own SSH session, both ways and with its errors", "[peer][sshd]") {
  SshdHarness h;
  // Several megabytes each way exceed every SSH window and pipe buffer; a
  // name with quotes, spaces and non-ASCII rides in rsync's protocol.
  std::string big;
  for (unsigned i = 0; big.size() < (6u << 20); ++i) big += std::to_string(i * 2654435761u) + (i % 7 ? " " : "\n");
  const std::string odd = "it's a \"file\" $(x) ünï";
  write_text(h.dir() / "data/big", big);
  write_text(h.dir() / "data/dir" / odd, "odd\n");
  int before = h.accepted_publickey();
  ScRun r = probe(h, {"fetch", h.peer(), (h.dir() / "data").string(), "/copy", "big", "dir"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(read_text(h.client_root() / "copy/big") == big);
  CHECK(read_text(h.client_root() / "copy/dir" / odd) == "odd\n");
  // One login: the peer's log shows no second one for rsync.
  CHECK(h.accepted_publickey() - before == 1);

  // A list of just "." copies the directory itself (no file list).
  r = probe(h, {"fetch", h.peer(), (h.dir() / "data/dir").string(), "/whole", "."});
  REQUIRE(r.status == 0);
  CHECK(read_text(h.client_root() / "whole" / odd) == "odd\n");

  // The remote rsync's complaints reach us through the channel's stderr.
  r = probe(h, {"fetch", h.peer(), (h.dir() / "data").string(), "/copy", "missing"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("exited with status 23") && Contains("missing"));

  // A peer that cannot be reached fails before rsync starts, saying why.
  r = probe(h, {"fetch", "root@127.0.0.1:1", (h.dir() / "data").string(), "/copy", "big"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("cannot reach peer root@127.0.0.1:1"));
}

TEST_CASE("transport mode is only for rsync started by sc", "[peer]") {
  // No inherited socket: a clear message and ssh's status for a failed
  // connection, never a hang.
  for (const auto& fd : {"99", "x", "1"}) {
    ScRun r = run_sc({std::string("--rsync-transport=") + fd, "host", "rsync", "--server", "."});
    CHECK(r.status == 255);
    CHECK_THAT(r.err, Contains("rsync transport: this mode is for rsync started by sc"));
  }
}

TEST_CASE("the SSH layer is found next to sc and checked like a plugin", "[peer]") {
  TempDir tmp, root;
  fs::create_directories(tmp / "bin");
  fs::create_directories(tmp / "lib/sc/core");
  fs::copy_file(kScBinary, tmp / "bin/sc");
  fs::copy_file(std::string(kPluginDir) + "/core/ssh.so", tmp / "lib/sc/core/ssh.so");
  fs::permissions(tmp / "lib/sc/core/ssh.so", fs::perms(0664));
  auto run = [&]() {
    sc::ProcessSpec spec;
    spec.argv = {(tmp / "bin/sc").string(),
                 "--plugin-path",
                 kFixtureDir,
                 "--root",
                 root.path().string(),
                 "peerprobe",
                 "many",
                 "127.0.0.1:1",
                 "1"};
    spec.env_add = {"HOME=" + tmp.path().string()};
    spec.capture_out = spec.capture_err = true;
    return sc::run_process(spec);
  };
  // The copy next to this sc is the one used, and refused: anyone in its
  // group could make root run their code.
  sc::ProcessResult r = run();
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains((tmp / "lib/sc/core/ssh.so").string()));
  CHECK_THAT(r.err, Contains("chmod go-w"));
  fs::permissions(tmp / "lib/sc/core/ssh.so", fs::perms(0644));
  r = run();
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("cannot reach peer 127.0.0.1:1"));
}
