// sshlink against a real OpenSSH server on loopback (tests/support/
// sshd_harness.hpp): the peer is this machine through that sshd, with its
// own sc root; the client has its own HOME and root.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>

#include "sshd_harness.hpp"

using namespace sc::test;
using Catch::Contains;
using json = nlohmann::json;

namespace {

json doc_of(const ScRun& r) {
  json j = json::parse(r.out, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

// A TCP port that accepts connections and never says a word.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd_, 8) == 0);
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(a.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace

TEST_CASE("exec passes every argument unchanged and reports the exit status", "[sshlink][sshd]") {
  SshdHarness h;
  std::vector<std::string> words = hostile_strings();
  words.push_back("$(touch " + (h.dir() / "pwned1").string() + ")");
  words.push_back("`touch " + (h.dir() / "pwned2").string() + "`");
  words.push_back("; touch " + (h.dir() / "pwned3").string());
  std::vector<std::string> args = {"sshlink", "exec", h.peer(), "printf", "%s\\0"};
  args.insert(args.end(), words.begin(), words.end());
  ScRun r = h.sc(args);
  INFO(r.err);
  REQUIRE(r.status == 0);
  std::string expected;
  for (const auto& w : words) expected += w + std::string(1, '\0');
  // Byte for byte: the report (ran: ..., the summary) is on stderr.
  CHECK(r.out == expected);
  CHECK_THAT(r.err, Contains("ran: " + h.peer() + ": printf"));
  CHECK_FALSE(fs::exists(h.dir() / "pwned1"));
  CHECK_FALSE(fs::exists(h.dir() / "pwned2"));
  CHECK_FALSE(fs::exists(h.dir() / "pwned3"));

  r = h.sc({"sshlink", "exec", h.peer(), "sh", "-c", "echo oops >&2; exit 3"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("sh: exited with status 3"));
  CHECK_THAT(r.err, Contains("oops"));

  // Under --dry-run a remote command of unknown effect is listed, not run.
  r = h.sc({"--dry-run", "sshlink", "exec", h.peer(), "touch", (h.dir() / "made").string()});
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("would run: " + h.peer() + ": touch"));
  CHECK_FALSE(fs::exists(h.dir() / "made"));
}

TEST_CASE("exec HOST cat FILE > copy makes an exact copy", "[sshlink][sshd]") {
  SshdHarness h;
  // Every byte value, no trailing newline, and a line that looks like sc's
  // own report.
  std::string data;
  for (int i = 0; i < 256; ++i) data.push_back(static_cast<char>(i));
  data += "\nran: x: cat\nsc sshlink exec: 1 changed";
  write_text(h.dir() / "blob", data);
  ScRun r = h.sc({"sshlink", "exec", h.peer(), "cat", (h.dir() / "blob").string()});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out == data);
  CHECK_THAT(r.err, Contains("ran: " + h.peer() + ": cat") && Contains("sc sshlink exec: 1 changed"));
  // --json keeps stdout one document (parse() refuses anything after it);
  // the program's own output goes to stderr then.
  r = h.sc({"--json", "sshlink", "exec", h.peer(), "cat", (h.dir() / "blob").string()});
  REQUIRE(r.status == 0);
  CHECK(r.err == data);
  nlohmann::json doc = nlohmann::json::parse(r.out);
  CHECK(doc["status"] == 0);
  CHECK(doc["actions"].size() == 1);
}

TEST_CASE("hostile peer names are refused before anything runs", "[sshlink][sshd]") {
  SshdHarness h;
  int before = h.accepted_publickey();
  for (const auto& bad : hostile_strings()) {
    INFO(bad);
    for (const char* cmd : {"has", "add", "getsettings"}) {
      ScRun r = h.sc({"sshlink", cmd, bad});
      CHECK(r.status == 2);
    }
  }
  ScRun r = h.sc({"sshlink", "exec", "-oProxyCommand=touch " + (h.dir() / "pwned").string(), "true"});
  CHECK(r.status == 2);
  CHECK_FALSE(fs::exists(h.dir() / "pwned"));
  CHECK(h.accepted_publickey() == before);
}

TEST_CASE("sc calls on a peer give output, result and status, and errors never on stdout", "[sshlink][sshd]") {
  SshdHarness h;
  REQUIRE(h.peer_sc({"settings", "set", "FQDN", "peer.example.org"}).status == 0);
  ScRun r = h.sc({"sshlink", "sc", h.peer(), "hostconf", "fqdn"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out == "peer.example.org\n");
  r = h.sc({"--json", "sshlink", "sc", h.peer(), "hostconf", "host"});
  REQUIRE(r.status == 0);
  CHECK(doc_of(r)["output"] == "peer\n");

  // A module the peer lacks: the error goes to stderr, never into the output
  // a caller might use as a file list.
  r = h.sc({"sshlink", "sc", h.peer(), "nosuchmodule", "files"});
  CHECK(r.status == 1);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Contains("nosuchmodule"));
  CHECK_THAT(r.err, Contains("on " + h.peer()));
  r = h.sc({"sshlink", "sc", h.peer(), "hostconf", "setfqdn", "not a name!"});
  CHECK(r.status == 2);

  // Hostile arguments reach the peer's module unchanged.
  for (const auto& s : hostile_strings()) {
    if (s.empty()) continue;
    r = h.sc({"sshlink", "sc", h.peer(), "sshlink", "exclude_list", s});
    CHECK(r.status == 2);  // "too many arguments": the word arrived as one argument
    CHECK_THAT(r.err, Contains("too many arguments"));
  }
  r = h.sc({"sshlink", "check_sc", h.peer()});
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Contains(h.peer() + ": sc "));
  CHECK(h.sc({"sshlink", "has_sc", h.peer()}).status == 0);
  REQUIRE(h.sc({"settings", "set", "SSHLINK_REMOTE_SC", "/nonexistent/sc"}).status == 0);
  r = h.sc({"sshlink", "has_sc", h.peer()});
  CHECK(r.status == 1);
  r = h.sc({"sshlink", "getsettings", h.peer()});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("SSHLINK_REMOTE_SC"));
}

TEST_CASE("getsettings and getvar read a peer's settings in one round trip", "[sshlink][sshd]") {
  SshdHarness h;
  REQUIRE(h.peer_sc({"settings", "set", "FQDN", "peer.example.org"}).status == 0);
  REQUIRE(h.peer_sc({"settings", "set", "SSHLINK_CONNECT_TIMEOUT", "7"}).status == 0);
  REQUIRE(h.peer_sc({"settings", "set", "ORPHAN_SETTING", "it's \"odd\"\nvalue"}).status == 0);
  int before = h.accepted_publickey();
  ScRun r = h.sc({"sshlink", "getsettings", h.peer()});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out ==
        "# sc-settings 1\n"
        "# Settings of " +
            h.peer() +
            ", read by `sc sshlink getsettings`.\n"
            "FQDN=\"peer.example.org\"\n"
            "ORPHAN_SETTING=\"it's \\\"odd\\\"\\nvalue\"\n"
            "SSHLINK_CONNECT_TIMEOUT=\"7\"\n");
  CHECK(h.accepted_publickey() - before == 1);
  // The text is a settings file sc reads back.
  write_text(h.client_root() / "etc/sc", r.out, fs::perms(0600));
  ScRun back = h.sc({"settings", "get", "ORPHAN_SETTING"});
  CHECK(back.out == "it's \"odd\"\nvalue\n");

  r = h.sc({"sshlink", "getvar", h.peer(), "FQDN"});
  CHECK(r.out == "peer.example.org\n");
  r = h.sc({"sshlink", "getvar", h.peer(), "NOT_SET_THERE"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("NOT_SET_THERE is not set"));
  CHECK(h.sc({"sshlink", "getvar", h.peer(), "bad name"}).status == 2);
}

TEST_CASE("importsettings copies a module's settings, dry run first, then idempotent", "[sshlink][sshd]") {
  SshdHarness h;
  REQUIRE(h.peer_sc({"settings", "set", "FQDN", "peer.example.org"}).status == 0);
  REQUIRE(h.peer_sc({"settings", "set", "SSHLINK_CONNECT_TIMEOUT", "7"}).status == 0);
  REQUIRE(h.peer_sc({"settings", "set", "SSHLINK_SPEEDLIMITS", "nas=100"}).status == 0);
  std::string before = tree_hash(h.client_root());
  ScRun r = h.sc({"--dry-run", "sshlink", "importsettings", h.peer(), "hostconf", "sshlink/SSHLINK_CONNECT.*"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(tree_hash(h.client_root()) == before);
  int connections = h.accepted_publickey();
  r = h.sc({"sshlink", "importsettings", h.peer(), "hostconf", "sshlink/SSHLINK_CONNECT.*"});
  REQUIRE(r.status == 0);
  CHECK(h.accepted_publickey() - connections == 1);
  CHECK_THAT(r.out, Contains("imported 2 settings from " + h.peer() + ": FQDN SSHLINK_CONNECT_TIMEOUT"));
  std::string stored = read_text(h.client_root() / "etc/sc");
  CHECK_THAT(stored, Contains("FQDN=\"peer.example.org\"\n"));
  CHECK_THAT(stored, Contains("SSHLINK_CONNECT_TIMEOUT=\"7\"\n"));
  CHECK(stored.find("SSHLINK_SPEEDLIMITS") == std::string::npos);
  r = h.sc({"--json", "sshlink", "importsettings", h.peer(), "hostconf", "sshlink/SSHLINK_CONNECT.*"});
  REQUIRE(r.status == 0);
  CHECK(doc_of(r)["summary"]["changed"] == 0);
  before = tree_hash(h.client_root());
  CHECK(h.sc({"sshlink", "importsettings", h.peer(), "Bad"}).status == 2);
  CHECK(h.sc({"sshlink", "importsettings", h.peer(), "hostconf/("}).status == 2);
  for (const auto& bad : hostile_strings()) CHECK(h.sc({"sshlink", "importsettings", h.peer(), bad}).status == 2);
  CHECK(tree_hash(h.client_root()) == before);
}

TEST_CASE("getfiles copies listed files with rsync, with and without a speed limit", "[sshlink][sshd]") {
  SshdHarness h;
  fs::path data = h.dir() / "data";
  write_text(data / "a.txt", "a\n");
  write_text(data / "sub/it's b.txt", "b\n");
  write_text(data / "sub/with space", "s\n");
  write_text(data / "sub/ünï", "u\n");
  write_text(data / "sub/core.o", "excluded\n");
  write_text(data / "sub/.cache/x", "excluded\n");
  const std::string src = h.peer() + ":" + data.string();
  write_text(h.client_root() / "backup/sub/stale", "gone after --delete\n");
  ScRun r = h.sc({"sshlink", "getfiles", src, "/backup", "a.txt", "sub"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const fs::path got = h.client_root() / "backup";
  CHECK(read_text(got / "a.txt") == "a\n");
  CHECK(read_text(got / "sub/it's b.txt") == "b\n");
  CHECK(read_text(got / "sub/with space") == "s\n");
  CHECK(read_text(got / "sub/ünï") == "u\n");
  CHECK_FALSE(fs::exists(got / "sub/core.o"));
  CHECK_FALSE(fs::exists(got / "sub/.cache"));
  CHECK_FALSE(fs::exists(got / "sub/stale"));

  // The list on stdin, and a speed limit for this peer.
  REQUIRE(h.sc({"sshlink", "setspeed", h.peer(), "500"}).status == 0);
  CHECK(h.sc({"sshlink", "getspeed", h.peer()}).out == "500\n");
  std::string list = "a.txt\nsub/it's b.txt\n";
  r = h.sc({"--json", "sshlink", "getfiles", src, "/limited"}, &list);
  REQUIRE(r.status == 0);
  json actions = doc_of(r)["actions"];
  REQUIRE(actions.size() == 1);
  CHECK_THAT(actions[0]["target"].get<std::string>(), Contains("--bwlimit=500"));
  CHECK(read_text(h.client_root() / "limited/sub/it's b.txt") == "b\n");
  REQUIRE(h.sc({"sshlink", "delspeed", h.peer()}).status == 0);
  CHECK(h.sc({"sshlink", "getspeed", h.peer()}).out.empty());

  // rsync's failure is reported with its status, not discarded.
  r = h.sc({"sshlink", "getfiles", src, "/partial", "a.txt", "missing.txt"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("exited with status 23"));
  CHECK_THAT(r.err, Contains("missing.txt"));

  // Entries that are no paths (a message with a newline, "..") never reach rsync.
  std::string hostile_list = "Error: Cannot find sc mass enabled\x01\n../../etc/shadow\n";
  std::string before = tree_hash(h.client_root());
  r = h.sc({"sshlink", "getfiles", src, "/evil"}, &hostile_list);
  CHECK(r.status == 2);
  CHECK(tree_hash(h.client_root()) == before);

  // --dry-run plans the copy.
  r = h.sc({"--dry-run", "sshlink", "getfiles", src, "/planned", "a.txt"});
  REQUIRE(r.status == 0);
  CHECK_THAT(r.err, Contains("would run: rsync"));
  CHECK_FALSE(fs::exists(h.client_root() / "planned"));
}

TEST_CASE("an unknown host key is refused, except by add with the fingerprint shown", "[sshlink][sshd]") {
  SshdHarness h;
  fs::remove(h.known_hosts());
  const std::string fp = key_fingerprint(h.host_key_pub());
  ScRun r = h.sc({"sshlink", "has", h.peer()});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("not a known host"));
  CHECK_THAT(r.err, Contains(fp));
  CHECK_THAT(r.err, Contains("sc sshlink add " + h.peer()));
  r = h.sc({"sshlink", "exec", h.peer(), "true"});
  CHECK(r.status == 1);

  // No terminal and no --yes: refused, nothing written.
  r = h.sc({"sshlink", "add", h.peer()});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains(fp));
  CHECK_FALSE(fs::exists(h.known_hosts()));
  r = h.sc({"--dry-run", "sshlink", "add", h.peer()});
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains(fp));
  CHECK_FALSE(fs::exists(h.known_hosts()));

  // On a terminal, answering no, then yes.
  {
    ScopedEnv home("HOME", h.home().string());
    std::vector<std::string> args = {"--plugin-path", kPluginDir, "--root", h.client_root().string(),
                                     "sshlink",       "add",      h.peer()};
    ScRun t = run_sc_tty(args, {{"Trust it", "no\n"}});
    CHECK(t.status == 1);
    CHECK_THAT(t.out, Contains(fp));
    CHECK_FALSE(fs::exists(h.known_hosts()));
    t = run_sc_tty(args, {{"Trust it", "yes\n"}});
    CHECK(t.status == 0);
  }
  CHECK(read_text(h.known_hosts()) == h.host_key_line() + "\n");
  CHECK(h.sc({"sshlink", "has", h.peer()}).status == 0);
  r = h.sc({"--json", "sshlink", "add", h.peer()});
  CHECK(r.status == 0);
  CHECK(doc_of(r)["summary"]["changed"] == 0);
}

TEST_CASE("add --yes trusts a new host for scripts", "[sshlink][sshd]") {
  SshdHarness h;
  fs::remove(h.known_hosts());
  ScRun r = h.sc({"--yes", "sshlink", "add", h.peer()});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains(key_fingerprint(h.host_key_pub())));
  CHECK(read_text(h.known_hosts()) == h.host_key_line() + "\n");
  // ssh itself (used by rsync) agrees with the file libssh wrote.
  write_text(h.dir() / "data/f", "f\n");
  r = h.sc({"sshlink", "getfiles", h.peer() + ":" + (h.dir() / "data").string(), "/copy", "f"});
  CHECK(r.status == 0);
}

TEST_CASE("a changed host key is refused with its fingerprint and the line to fix", "[sshlink][sshd]") {
  SshdHarness h;
  make_ssh_key(h.dir() / "other_host_key", "impostor");
  std::string other = public_key_line(h.dir() / "other_host_key.pub");
  other = other.substr(0, other.rfind(' '));
  write_text(h.known_hosts(), "# trusted hosts\n[127.0.0.1]:" + std::to_string(h.port()) + " " + other + "\n");
  const std::string before = read_text(h.known_hosts());
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"sshlink", "has", h.peer()}, {"--yes", "sshlink", "add", h.peer()}, {"sshlink", "getsettings", h.peer()}}) {
    ScRun r = h.sc(args);
    CHECK(r.status == 1);
    CHECK_THAT(r.err, Contains("HOST KEY CHANGED"));
    CHECK_THAT(r.err, Contains(key_fingerprint(h.host_key_pub())));
    CHECK_THAT(r.err, Contains(h.known_hosts().string() + ":2"));
    CHECK_THAT(r.err, Contains("ssh-keygen -R"));
  }
  CHECK(read_text(h.known_hosts()) == before);
}

TEST_CASE("an unreachable peer is a clear error within the connect timeout", "[sshlink][sshd]") {
  TempDir home;
  TempDir root;
  auto sc_run = [&](const std::vector<std::string>& args) {
    std::vector<std::string> all = {"--plugin-path", kPluginDir, "--root", root.path().string()};
    all.insert(all.end(), args.begin(), args.end());
    return run_sc(all, nullptr, {"HOME=" + home.path().string()});
  };
  // Nobody listens on port 1: refused at once.
  ScRun r = sc_run({"sshlink", "has", "127.0.0.1:1"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("cannot reach peer 127.0.0.1:1"));
  // Something accepts the connection and never answers: the timeout.
  SilentListener silent;
  const std::string peer = "127.0.0.1:" + std::to_string(silent.port());
  auto start = std::chrono::steady_clock::now();
  r = sc_run({"--set", "SSHLINK_CONNECT_TIMEOUT=1", "sshlink", "getsettings", peer});
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("cannot reach peer " + peer));
  CHECK_THAT(r.err, Contains("gave up after 1 s"));
  CHECK(took < std::chrono::milliseconds(2500));
  // The default is 2 s.
  start = std::chrono::steady_clock::now();
  r = sc_run({"sshlink", "has", peer});
  took = std::chrono::steady_clock::now() - start;
  CHECK(r.status == 1);
  CHECK(took >= std::chrono::milliseconds(1900));
  CHECK(took < std::chrono::milliseconds(3500));
}

TEST_CASE("add asks the peer's password once and installs our new key", "[sshlink][sshd]") {
  SshdHarness::Options o;
  o.password_auth = true;
  o.peer_home = false;  // the key goes into the account's own ~/.ssh
  SshdHarness h(o);
  TestUser user(h.dir() / "users", "s3cret 'pass\"word");
  const std::string peer = user.name() + "@127.0.0.1:" + std::to_string(h.port());
  // A fresh client without any key: add creates one.
  fs::remove(h.home() / ".ssh/id_ed25519");
  fs::remove(h.home() / ".ssh/id_ed25519.pub");

  std::string before = tree_hash(h.home());
  ScRun r = h.sc({"--dry-run", "sshlink", "add", peer});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("would run: ssh-keygen"));
  CHECK_THAT(r.err, Contains("would ask the password"));
  CHECK(tree_hash(h.home()) == before);

  // Without a terminal the password cannot be asked.
  r = h.sc({"sshlink", "add", peer});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("no terminal to ask the password of " + user.name()));

  std::vector<std::string> args = {"--plugin-path", kPluginDir, "--root", h.client_root().string(),
                                   "sshlink",       "add",      peer};
  {
    ScopedEnv home("HOME", h.home().string());
    ScRun t = run_sc_tty(args, {{"Password of " + user.name(), "wrong\n"}});
    CHECK(t.status == 1);
    CHECK_THAT(t.out, Contains("refused the password"));
    t = run_sc_tty(args, {{"Password of " + user.name(), user.password() + "\n"}});
    INFO(t.out);
    CHECK(t.status == 0);
    CHECK(t.out.find(user.password()) == std::string::npos);  // never echoed nor printed
  }
  REQUIRE(fs::exists(h.home() / ".ssh/id_ed25519"));
  const std::string key = public_key_line(h.home() / ".ssh/id_ed25519.pub");
  CHECK(read_text(user.home() / ".ssh/authorized_keys") == key + "\n");
  CHECK(h.sc({"sshlink", "has", peer}).status == 0);
  // Linked: no password needed any more, nothing changes.
  r = h.sc({"--json", "sshlink", "add", peer});
  CHECK(r.status == 0);
  CHECK(doc_of(r)["summary"]["changed"] == 0);
  CHECK(read_text(user.home() / ".ssh/authorized_keys") == key + "\n");
  CHECK(h.log().find(user.password()) == std::string::npos);
}

TEST_CASE("settings and hooks of sshlink", "[sshlink]") {
  TempDir root, home;
  auto sc_run = [&](const std::vector<std::string>& args) {
    std::vector<std::string> all = {"--plugin-path", kPluginDir, "--root", root.path().string()};
    all.insert(all.end(), args.begin(), args.end());
    return run_sc(all, nullptr, {"HOME=" + home.path().string()});
  };
  ScRun r = sc_run({"sshlink", "exclude_list"});
  REQUIRE(r.status == 0);
  CHECK(r.out.rfind("- *.o\n- .*.swp\n", 0) == 0);
  CHECK_THAT(r.out, Contains("- Crash Reports\n"));
  for (const auto& bad : hostile_strings()) {
    CHECK(sc_run({"sshlink", "setspeed", bad, "100"}).status == 2);
    CHECK(sc_run({"sshlink", "setspeed", "nas", bad}).status == 2);
  }
  CHECK_FALSE(fs::exists(root / "etc/sc"));
  REQUIRE(sc_run({"sshlink", "setspeed", "nas", "100"}).status == 0);
  REQUIRE(sc_run({"sshlink", "setspeed", "root@web:2222", "300"}).status == 0);
  CHECK_THAT(read_text(root / "etc/sc"), Contains("SSHLINK_SPEEDLIMITS=\"nas=100 root@web:2222=300\""));
  r = sc_run({"--json", "sshlink", "setspeed", "nas", "100"});
  CHECK(doc_of(r)["summary"]["changed"] == 0);
  REQUIRE(sc_run({"sshlink", "setspeed", "nas"}).status == 0);  // no KBPS: no limit
  CHECK(sc_run({"sshlink", "getspeed", "nas"}).out.empty());
  CHECK(sc_run({"sshlink", "getspeed", "root@web:2222"}).out == "300\n");
  // The files hook lists the SSH identity a backup must keep: under --root
  // ROOT's (root's home in ROOT/etc/passwd), those files that exist, as
  // paths of that tree; never the keys of the host sc runs on.
  make_ssh_key(home / ".ssh/id_ed25519");
  r = sc_run({"--json", "sshlink", "files"});
  REQUIRE(r.status == 0);
  CHECK(doc_of(r)["result"] == json::array());
  make_ssh_key(root / "root/.ssh/id_ed25519");
  write_text(root / "root/.ssh/known_hosts", "");
  r = sc_run({"--json", "sshlink", "files"});
  REQUIRE(r.status == 0);
  CHECK(doc_of(r)["result"] ==
        json::array({"/root/.ssh/id_ed25519", "/root/.ssh/id_ed25519.pub", "/root/.ssh/known_hosts"}));
  write_text(root / "etc/passwd", "root:x:0:0:root:/home/admin:/bin/bash\n");
  make_ssh_key(root / "home/admin/.ssh/id_ed25519");
  r = sc_run({"--json", "sshlink", "files"});
  CHECK(doc_of(r)["result"] == json::array({"/home/admin/.ssh/id_ed25519", "/home/admin/.ssh/id_ed25519.pub"}));
  // Without --root: $HOME/.ssh.
  r = run_sc({"--plugin-path", kPluginDir, "--json", "sshlink", "files"}, nullptr, {"HOME=" + home.path().string()});
  CHECK(doc_of(r)["result"] ==
        json::array({(home / ".ssh/id_ed25519").string(), (home / ".ssh/id_ed25519.pub").string()}));
  // localhost is this host: nothing goes over SSH.
  CHECK(sc_run({"sshlink", "has", "localhost"}).status == 0);
  r = sc_run({"sshlink", "exec", "localhost", "echo", "here"});
  CHECK(r.out.rfind("here\n", 0) == 0);
}

TEST_CASE("an alias of ~/.ssh/config works for sc calls and for rsync alike", "[sshlink][sshd]") {
  SshdHarness h;
  write_text(h.home() / ".ssh/config",
             "Host backup-peer\n  HostName 127.0.0.1\n  Port " + std::to_string(h.port()) + "\n  User root\n",
             fs::perms(0600));
  REQUIRE(h.peer_sc({"settings", "set", "FQDN", "alias.example.org"}).status == 0);
  ScRun r = h.sc({"sshlink", "has", "backup-peer"});
  INFO(r.err);
  CHECK(r.status == 0);
  r = h.sc({"sshlink", "getvar", "backup-peer", "FQDN"});
  CHECK(r.out == "alias.example.org\n");
  write_text(h.dir() / "data/f", "via alias\n");
  r = h.sc({"sshlink", "getfiles", "backup-peer:" + (h.dir() / "data").string(), "/copy", "f"});
  CHECK(r.status == 0);
  CHECK(read_text(h.client_root() / "copy/f") == "via alias\n");
  // What is typed wins over the file: a wrong port typed is used.
  r = h.sc({"sshlink", "has", "backup-peer:1"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("port 1"));
}

TEST_CASE("getfiles shows rsync's progress on a terminal", "[sshlink][sshd]") {
  SshdHarness h;
  write_text(h.dir() / "data/big", std::string(200000, 'x'));
  ScopedEnv home("HOME", h.home().string());
  ScRun t = run_sc_tty({"--plugin-path", kPluginDir, "--root", h.client_root().string(), "sshlink", "getfiles",
                        h.peer() + ":" + (h.dir() / "data").string(), "/copy", "big"},
                       {});
  INFO(t.out);
  CHECK(t.status == 0);
  CHECK_THAT(t.out, Contains("100%"));
  CHECK_THAT(t.out, Contains("to-chk=0/"));
  CHECK(fs::file_size(h.client_root() / "copy/big") == 200000);
}
