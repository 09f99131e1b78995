// wstunnel's pure rules, its commands under --root, and the tunnel itself
// on loopback: our client and server, npm wstunnel 1.4.0's client and
// server against ours, a refused destination, keepalives that end a
// half-dead tunnel and a listener that keeps accepting after accept errors.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "../tunnel_config.hpp"
#include "../wst_status.hpp"
#include "common/time_text.hpp"
#include "common/tunnel.hpp"
#include "test_paths.hpp"
#include "test_support.hpp"

using namespace sc::test;
using namespace wstunnel;
using Catch::Contains;
using nlohmann::json;
using namespace std::chrono_literals;

extern char** environ;

namespace {

// -- helpers: a background process, an echo server, TCP round trips ---------

/// A program running in the background, its output in a file; stopped
/// (SIGTERM, then SIGKILL) when the object goes.
class Background {
 public:
  Background(const std::vector<std::string>& argv, const fs::path& log) : log_(log) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int rc = posix_spawnp(&pid_, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  }
  ~Background() { stop(); }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  pid_t pid() const { return pid_; }
  /// SIGTERM, and the exit status (128+signal when killed).
  int stop() {
    if (pid_ <= 0) return status_;
    ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGTERM);
    int st = 0;
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return status_;
      }
      std::this_thread::sleep_for(50ms);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
    status_ = 128 + SIGKILL;
    return status_;
  }
  std::string log() const {
    std::ifstream in(log_);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  fs::path log_;
};

/// Polls `done` every 50 ms until it holds or `limit` passes.
template <class F>
bool eventually(F done, std::chrono::milliseconds limit = 15s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done();
}

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Reads until `n` bytes came, EOF or `limit`; what came.
std::string read_some(int fd, size_t n, std::chrono::milliseconds limit = 20s) {
  std::string got;
  auto end = std::chrono::steady_clock::now() + limit;
  char buf[65536];
  while (got.size() < n) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()).count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
    ssize_t r = ::read(fd, buf, std::min(sizeof buf, n - got.size()));
    if (r <= 0) break;
    got.append(buf, static_cast<size_t>(r));
  }
  return got;
}

/// Sends `data` through localhost:`port` and reads as much back (an echo
/// at the far end): what came back.
std::string round_trip(int port, const std::string& data) {
  int fd = connect_to(port);
  if (fd < 0) return "(cannot connect)";
  std::thread writer([&] {
    size_t done = 0;
    while (done < data.size()) {
      ssize_t w = ::write(fd, data.data() + done, std::min<size_t>(data.size() - done, 1 << 20));
      if (w <= 0) break;
      done += static_cast<size_t>(w);
    }
  });
  std::string got = read_some(fd, data.size());
  writer.join();
  ::close(fd);
  return got;
}

/// An echo server on 127.0.0.1: a thread per connection.
class Echo {
 public:
  Echo() : port_(free_loopback_port()) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port_));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 64) != 0)
      throw std::runtime_error("echo: cannot listen");
    thread_ = std::thread([this] {
      for (;;) {
        int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) {
          if (stop_) return;
          continue;
        }
        ++accepted_;
        std::thread([c] {
          char buf[65536];
          for (;;) {
            ssize_t r = ::read(c, buf, sizeof buf);
            if (r <= 0) break;
            ssize_t off = 0;
            while (off < r) {
              ssize_t w = ::write(c, buf + off, static_cast<size_t>(r - off));
              if (w <= 0) break;
              off += w;
            }
          }
          ::close(c);
        }).detach();
      }
    });
  }
  ~Echo() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  int port() const { return port_; }
  int accepted() const { return accepted_; }

 private:
  int port_, fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

/// An /etc/sc in sc's own format (values plain: no quotes or escapes).
std::string settings_text(const std::vector<std::pair<std::string, std::string>>& kv) {
  std::string t = "# sc-settings 1\n";
  for (auto& [k, v] : kv) t += k + "=\"" + v + "\"\n";
  return t;
}

void write_settings(const TempDir& root, const std::vector<std::pair<std::string, std::string>>& kv) {
  write_text(root / "etc/sc", settings_text(kv), fs::perms(0600));
}

/// `sc --root ROOT wstunnel daemon` in the background (`prefix`: e.g. prlimit).
std::unique_ptr<Background> daemon_in(const fs::path& root, const std::vector<std::string>& prefix = {}) {
  std::vector<std::string> argv = prefix;
  for (std::string a : {std::string(kScBinary), std::string("--plugin-path"), std::string(kPluginDir),
                        std::string("--root"), root.string(), std::string("wstunnel"), std::string("daemon")})
    argv.push_back(a);
  return std::make_unique<Background>(argv, root / "daemon.log");
}

std::optional<Status> status_in(const fs::path& root) {
  std::ifstream in(root / "var/lib/sc/wstunnel/status.json");
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return from_json(text, nullptr);
}

bool listening(const fs::path& root) {
  auto s = status_in(root);
  return s && s->state == "up" && s->pid > 0;
}

/// A server (root `srv`) for `target` and a client (root `cli`) to it.
struct Pair {
  TempDir srv, cli;
  int srv_port = free_loopback_port(), cli_port = free_loopback_port();
  std::unique_ptr<Background> server, client;
  Pair(int target_port, unsigned keepalive = 30, bool start_client = true) {
    write_settings(srv, {{"WSTUNNEL_MODE", "server"},
                         {"WSTUNNEL_LISTEN", "127.0.0.1:" + std::to_string(srv_port)},
                         {"WSTUNNEL_TARGET", "127.0.0.1:" + std::to_string(target_port)},
                         {"WSTUNNEL_KEEPALIVE", std::to_string(keepalive)}});
    write_settings(cli, {{"WSTUNNEL_MODE", "client"},
                         {"WSTUNNEL_LISTEN", "127.0.0.1:" + std::to_string(cli_port)},
                         {"WSTUNNEL_URL", "ws://127.0.0.1:" + std::to_string(srv_port) + "/wstunnel"},
                         {"WSTUNNEL_KEEPALIVE", std::to_string(keepalive)}});
    server = daemon_in(srv.path());
    if (start_client) client = daemon_in(cli.path());
    REQUIRE(eventually([&] { return listening(srv.path()) && loopback_port_answers(srv_port); }));
    if (start_client) REQUIRE(eventually([&] { return listening(cli.path()) && loopback_port_answers(cli_port); }));
  }
};

/// A raw HTTP request to 127.0.0.1:`port`; the answer's head (and the
/// body, when the server closes after it).
std::string http_exchange(int port, const std::string& request) {
  int fd = connect_to(port);
  if (fd < 0) return "(cannot connect)";
  (void)!::write(fd, request.data(), request.size());
  std::string got;
  for (int i = 0; i < 8192 && got.find("\r\n\r\n") == std::string::npos; ++i) {
    std::string more = read_some(fd, 1, 5s);
    if (more.empty()) break;
    got += more;
  }
  if (got.find(" 101 ") == std::string::npos) got += read_some(fd, 1 << 16, 5s);  // the body, until the close
  ::close(fd);
  return got;
}

std::string upgrade_request(const std::string& target) {
  return "GET " + target +
         " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
         "Sec-WebSocket-Protocol: tunnel-protocol\r\n\r\n";
}

std::string pattern(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 12345;
  for (auto& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 16);
  }
  return s;
}

/// npm wstunnel 1.4.0 installed once per machine (test-only), or "" with
/// *why when npm or the registry cannot be had.
std::string npm_wstunnel(std::string* why) {
  const std::string dir = "/tmp/sc-npm-wstunnel-1.4.0";
  const std::string bin = dir + "/node_modules/.bin/wstunnel";
  if (access(bin.c_str(), X_OK) == 0) return bin;
  sc::ProcessSpec spec;
  // Without the registry, fail in seconds rather than after npm's minutes of retries.
  spec.argv = {
      "npm",      "install", "--no-audit",    "--no-fund", "--fetch-retries=1", "--fetch-retry-maxtimeout=10000",
      "--prefix", dir,       "wstunnel@1.4.0"};
  spec.capture_out = spec.capture_err = true;
  spec.timeout = std::chrono::minutes(5);
  sc::ProcessResult r = sc::run_process(spec);
  if (!r.ok() || access(bin.c_str(), X_OK) != 0) {
    *why = "npm install wstunnel@1.4.0 " + r.describe() + ": " + r.err.substr(0, 400);
    return "";
  }
  return bin;
}

}  // namespace

// -- pure rules ----------------------------------------------------------------

TEST_CASE("wstunnel: endpoints", "[wstunnel]") {
  std::string err;
  auto e = parse_endpoint("127.0.0.1:8022", &err);
  REQUIRE(e);
  CHECK(e->host == "127.0.0.1");
  CHECK(e->port == 8022);
  CHECK(parse_endpoint("[::1]:22", &err)->text() == "[::1]:22");
  CHECK(parse_endpoint("master.example.com:443", &err)->host == "master.example.com");
  for (std::string bad :
       {"127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "host:22x", ":22", "[nothex]:22", "-x:22", "a b:22", "a;b:22",
        "$(id):22", "`id`:22", "a'b:22", "a\"b:22", "a\nb:22", "名前:22", "host:22\n", "host: 22", "host:+22"}) {
    INFO(bad);
    CHECK_FALSE(parse_endpoint(bad, &err));
    CHECK_THAT(err, Contains("is not HOST:PORT"));
  }
  for (const auto& h : hostile_strings()) {
    INFO(h);
    CHECK_FALSE(parse_endpoint(h, &err));
    CHECK_FALSE(parse_endpoint(h + ":22", &err));
  }
}

TEST_CASE("wstunnel: server URLs and the request target (npm wstunnel 1.4.0's)", "[wstunnel]") {
  std::string err;
  auto u = parse_server_url("https://master.example.com/wstunnel", &err);
  REQUIRE(u);
  CHECK(u->tls);
  CHECK(u->port == 443);
  CHECK(u->host_header() == "master.example.com");
  CHECK(u->path == "/wstunnel");
  // The npm client appends "/?dst=HOST:PORT" to the URL as given.
  CHECK(u->request_target("") == "/wstunnel");
  CHECK(u->request_target("127.0.0.1:22") == "/wstunnel/?dst=127.0.0.1:22");
  CHECK(u->text() == "wss://master.example.com/wstunnel");
  auto w = parse_server_url("ws://127.0.0.1:8022", &err);
  REQUIRE(w);
  CHECK_FALSE(w->tls);
  CHECK(w->host_header() == "127.0.0.1:8022");
  CHECK(w->request_target("") == "/");
  CHECK(parse_server_url("wss://[::1]:8443/a/b/", &err)->host_header() == "[::1]:8443");
  CHECK(parse_server_url("http://h/x", &err)->port == 80);
  CHECK(default_url("m") == "https://m/wstunnel");
  for (std::string bad :
       {"", "ftp://h/x", "https://", "https://h:0/", "https://h/x?dst=1", "https://u@h/", "https://h/x#f",
        "https://h/a b", "https://h/$(id)", "https://h/`id`", "https://h/a'b", "https://h/a\"b", "https://h/a;b",
        "https://h\n/x", "https://名前/x", "https://h/名前", "https://-h/", "https://h/a\\b", "h/wstunnel"}) {
    INFO(bad);
    CHECK_FALSE(parse_server_url(bad, &err));
    CHECK_THAT(err, Contains("is not a server URL"));
  }
  for (const auto& h : hostile_strings()) CHECK_FALSE(parse_server_url("https://" + h + "/x", &err));
}

TEST_CASE("wstunnel: the server reaches only its target", "[wstunnel]") {
  const Endpoint target{"127.0.0.1", 22};
  std::string why;
  CHECK(query_dst("/wstunnel") == std::nullopt);
  CHECK(query_dst("/wstunnel/?dst=127.0.0.1:22") == "127.0.0.1:22");
  CHECK(query_dst("/?a=1&dst=h%3A22") == "h:22");
  CHECK(dst_allowed(std::nullopt, target, &why));
  CHECK(dst_allowed("127.0.0.1:22", target, &why));
  CHECK(dst_allowed("LOCALHOST:22", Endpoint{"localhost", 22}, &why));
  for (std::string bad : {"127.0.0.1:25", "10.0.0.1:22", "localhost:22", "evil.example.com:22", "", "127.0.0.1",
                          "127.0.0.1:22;id", "127.0.0.1:22\n"}) {
    INFO(bad);
    CHECK_FALSE(dst_allowed(bad, target, &why));
    CHECK_THAT(why, Contains("refused: this server tunnels only to 127.0.0.1:22"));
  }
}

TEST_CASE("wstunnel: settings checks", "[wstunnel]") {
  std::string err;
  CHECK(parse_keepalive("30", &err) == 30u);
  for (std::string bad : {"", "4", "3601", "3x", "-5", " 30", "30;"}) CHECK_FALSE(parse_keepalive(bad, &err));
  CHECK(ca_file_problem("/etc/ssl/private-ca.pem").empty());
  for (std::string bad : {"", "ca.pem", "/a b.pem", "/a'b", "/a\"b", "/a\nb", "/名前.pem", "/a\\b"})
    CHECK_FALSE(ca_file_problem(bad).empty());
  CHECK(peer_host("m") == "m");
  CHECK(peer_host("root@m.example.com:2222") == "m.example.com");
  CHECK(peer_host("[::1]:22") == "::1");
}

TEST_CASE("wstunnel: the managed ~/.ssh/config block", "[wstunnel]") {
  const std::string mine = "Host backup\n    User admin\n";
  std::string with = with_route(mine, "m", "/usr/local/sbin/sc");
  CHECK(with == std::string(kBlockBegin) +
                    "\n"
                    "# m is reached through the websocket tunnel (the client's listener); its host key\n"
                    "# is still checked under its own name in known_hosts.\n"
                    "Host m\n"
                    "    ProxyCommand /usr/local/sbin/sc wstunnel connect\n"
                    "# What follows applies to every host again, as it did before this block.\n"
                    "Host *\n" +
                    kBlockEnd + "\n" + mine);
  CHECK(routed_host(with) == "m");
  CHECK(with_route(with, "m", "/usr/local/sbin/sc") == with);  // idempotent
  CHECK(routed_host(with_route(with, "n", "/usr/bin/sc")) == "n");
  CHECK(without_route(with) == mine);
  CHECK(without_route(mine) == mine);
  CHECK(without_route(with_route("", "m", "/usr/bin/sc")).empty());
  CHECK(with_route("User x", "m", "/sc").find("Host *\n# END sc wstunnel\nUser x\n") != std::string::npos);
}

TEST_CASE("wstunnel: the state document", "[wstunnel]") {
  Status s;
  s.state = "up";
  s.since = 86400;
  s.last_error = "it \"broke\"";
  s.last_error_at = 86401;
  s.pid = 42;
  s.mode = "client";
  s.listen = "127.0.0.1:8022";
  s.peer = "wss://m/wstunnel";
  s.active = 1;
  s.total = 7;
  s.failed = 2;
  s.accept_errors = 3;
  s.bytes_in = 10;
  s.bytes_out = 20;
  CHECK(plugin_common::time_text::iso_time(0) == "1970-01-01T00:00:00Z");
  json j = json::parse(to_json(s));
  // The shape shared with the other tunnels (lifeline, portforward).
  CHECK(j["state"] == "up");
  CHECK(j["module"] == "wstunnel");
  CHECK(j["since"] == "1970-01-02T00:00:00Z");
  CHECK(j["since_epoch"] == 86400);
  CHECK(j["last_error"] == s.last_error);
  CHECK(j["last_error_at"] == "1970-01-02T00:00:01Z");
  CHECK(j["attempts"] == 9);
  CHECK(j["target"] == "127.0.0.1:8022 -> wss://m/wstunnel");
  CHECK(json::parse(to_json(Status{}))["since"].is_null());
  CHECK(j["pid"] == 42);
  CHECK(j["connections"]["total"] == 7);
  auto back = from_json(to_json(s), nullptr);
  REQUIRE(back);
  CHECK(back->last_error == s.last_error);
  CHECK(back->since == 86400);
  CHECK(back->last_error_at == 86401);
  CHECK(back->accept_errors == 3);
  CHECK(back->bytes_out == 20);
  CHECK_FALSE(from_json("not json", nullptr));
  CHECK_FALSE(from_json("[1]", nullptr));
  TempDir d;
  std::string err;
  REQUIRE(plugin_common::tunnel::write_atomically((d / "sub/status.json").string(), to_json(s), &err));
  CHECK(read_text(d / "sub/status.json") == to_json(s));
  CHECK(mode_of(d / "sub/status.json").substr(0, 4) == "0644");
}

// -- commands under --root -----------------------------------------------------

TEST_CASE("wstunnel: hostile settings are refused before any change", "[wstunnel]") {
  for (const auto& h : hostile_strings()) {
    for (const char* name : {"WSTUNNEL_LISTEN", "WSTUNNEL_TARGET"}) {
      TempDir root;
      write_settings(root, {});
      REQUIRE(run_sc_rooted(root.path(), {"settings", "set", name, h}).status == 0);
      INFO(name << "=" << h);
      check_refused(root.path(), "wstunnel", {"setup"}, std::string(name) + ": ");
    }
    TempDir root;
    write_settings(root, {{"MASTER_MODE", "client"}, {"MASTER_HOST", "m"}});
    REQUIRE(run_sc_rooted(root.path(), {"settings", "set", "WSTUNNEL_URL", "https://" + h + "/wstunnel"}).status == 0);
    INFO("WSTUNNEL_URL with " << h);
    check_refused(root.path(), "wstunnel", {"client"}, "WSTUNNEL_URL: ");
  }
  TempDir root;
  write_settings(root, {{"MASTER_MODE", "client"}, {"MASTER_HOST", "m"}});
  REQUIRE(run_sc_rooted(root.path(), {"settings", "set", "WSTUNNEL_CA_FILE", "/a b.pem"}).status == 0);
  check_refused(root.path(), "wstunnel", {"client"}, "WSTUNNEL_CA_FILE: ");
}

TEST_CASE("wstunnel client is refused without a master", "[wstunnel]") {
  for (std::string mode : {"", "master", "standby", "backup"}) {
    TempDir root;
    if (mode.empty())
      write_settings(root, {});
    else
      write_settings(root, {{"MASTER_MODE", mode}, {"MASTER_HOST", "m"}});
    INFO(mode);
    check_refused(root.path(), "wstunnel", {"client"}, "no master to connect to");
  }
}

TEST_CASE("wstunnel setup, client, ready and cleanup under --root", "[wstunnel]") {
  TempDir root;
  write_settings(root, {{"MASTER_MODE", "roaming"}, {"MASTER_HOST", "root@m.example.com"}});
  write_text(root / "etc/passwd", kMinimalPasswd);
  write_text(root / "root/.ssh/config", "Host backup\n    User admin\n", fs::perms(0600));
  CHECK(run_sc_rooted(root.path(), {"wstunnel", "ready"}).status == 1);

  ScRun r = run_sc_rooted(root.path(), {"--json", "wstunnel", "client"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const fs::path unit = root / "etc/systemd/system/sc_daemon_wstunnel.service";
  REQUIRE(fs::exists(unit));
  CHECK_THAT(read_text(unit), Contains("ExecStart=" + built_sc_path() + " wstunnel daemon\n"));
  CHECK(systemd_verify(unit) == "");
  const std::string config = read_text(root / "root/.ssh/config");
  CHECK(routed_host(config) == "m.example.com");
  CHECK_THAT(config, Contains("ProxyCommand " + built_sc_path() + " wstunnel connect\n"));
  CHECK_THAT(config, Contains("Host backup\n    User admin\n"));
  CHECK(mode_of(root / "root/.ssh/config").substr(0, 4) == "0600");
  CHECK_THAT(read_text(root / "etc/sc"), Contains("WSTUNNEL_MODE=\"client\""));
  CHECK(run_sc_rooted(root.path(), {"wstunnel", "ready"}).status == 0);

  // Again: nothing changes.
  const std::string before = tree_hash(root.path());
  REQUIRE(run_sc_rooted(root.path(), {"wstunnel", "client"}).status == 0);
  CHECK(tree_hash(root.path()) == before);

  r = run_sc_rooted(root.path(), {"wstunnel", "cleanup"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK_FALSE(fs::exists(unit));
  CHECK(read_text(root / "root/.ssh/config") == "Host backup\n    User admin\n");
  CHECK_THAT(read_text(root / "etc/sc"), !Contains("WSTUNNEL_MODE"));
  CHECK(run_sc_rooted(root.path(), {"wstunnel", "ready"}).status == 1);

  r = run_sc_rooted(root.path(), {"wstunnel", "setup"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(systemd_verify(unit) == "");
  CHECK_THAT(read_text(root / "etc/sc"), Contains("WSTUNNEL_MODE=\"server\""));
  CHECK_THAT(r.err, Contains("nginx must proxy"));
}

TEST_CASE("wstunnel client makes ~/.ssh when there is none", "[wstunnel]") {
  TempDir root;
  write_settings(root, {{"MASTER_MODE", "client"}, {"MASTER_HOST", "m"}});
  write_text(root / "etc/passwd", kMinimalPasswd);
  ScRun r = run_sc_rooted(root.path(), {"wstunnel", "client"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(mode_of(root / "root/.ssh").substr(0, 4) == "0700");
  CHECK(routed_host(read_text(root / "root/.ssh/config")) == "m");
}

TEST_CASE("wstunnel status without a daemon", "[wstunnel]") {
  TempDir root;
  write_settings(root, {});
  ScRun r = run_sc_rooted(root.path(), {"--json", "wstunnel", "status"});
  CHECK(r.status == 1);
  json j = json::parse(r.out, nullptr, false);
  INFO(r.out);
  REQUIRE(j.is_object());
  CHECK(j["result"]["state"] == "down");
  CHECK(j["result"]["running"] == false);
  // The status hook: no WSTUNNEL_MODE, no tunnel here, nothing wrong.
  CHECK(j["result"]["problems"] == json::array());
  CHECK(j["result"]["facts"] == json{{"tunnels", json::array()}});
  CHECK(run_sc_rooted(root.path(), {"wstunnel", "status", "remote"}).status == 2);

  // A client set up whose daemon never ran: an error; its fix restarts the
  // unit, or makes it when it is missing.
  write_settings(root, {{"WSTUNNEL_MODE", "client"}});
  const std::string status_file = (root / "var/lib/sc/wstunnel/status.json").string();
  r = run_sc_rooted(root.path(), {"--json", "wstunnel", "status", "local"});
  CHECK(r.status == 1);
  j = json::parse(r.out, nullptr, false);
  CHECK(j["result"]["problems"] ==
        json::array({{{"level", "error"},
                      {"what",
                       "the wstunnel client is not up: down (the daemon is not running); last error: the "
                       "daemon has not run here (no " +
                           status_file + "); its daemon unit is missing"},
                      {"fix", "sc wstunnel client"}}}));
  CHECK(j["result"]["facts"] ==
        json{{"tunnels", json::array({{{"name", "client"},
                                       {"up", false},
                                       {"detail", "wstunnel client: down (the daemon is not running)"}}})}});
  write_text(root / "etc/systemd/system/sc_daemon_wstunnel.service", "[Service]\n");
  r = run_sc_rooted(root.path(), {"--json", "wstunnel", "status", "local"});
  j = json::parse(r.out, nullptr, false);
  REQUIRE(j["result"]["problems"].size() == 1);
  CHECK(j["result"]["problems"][0]["fix"] == "sc daemon restart wstunnel");
  write_settings(root, {{"WSTUNNEL_MODE", "server"}});
  fs::remove(root / "etc/systemd/system/sc_daemon_wstunnel.service");
  r = run_sc_rooted(root.path(), {"--json", "wstunnel", "status"});
  j = json::parse(r.out, nullptr, false);
  REQUIRE(j["result"]["problems"].size() == 1);
  CHECK(j["result"]["problems"][0]["fix"] == "sc wstunnel setup");
}

// -- the tunnel on loopback ----------------------------------------------------

TEST_CASE("wstunnel: our client through our server to the target, and the state", "[wstunnel]") {
  Echo echo;
  Pair p(echo.port());
  const std::string small = "hello through the tunnel\n";
  CHECK(round_trip(p.cli_port, small) == small);
  const std::string big = pattern(8 << 20);  // many frames both ways, bounded buffers
  CHECK(round_trip(p.cli_port, big) == big);
  // Several at once.
  std::vector<std::thread> many;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i)
    many.emplace_back([&, i] {
      std::string d = pattern(100000 + static_cast<size_t>(i));
      if (round_trip(p.cli_port, d) == d) ++ok;
    });
  for (auto& t : many) t.join();
  CHECK(ok == 8);

  REQUIRE(eventually([&] {
    auto s = status_in(p.cli.path());
    return s && s->total >= 10 && s->active == 0;
  }));
  auto cs = status_in(p.cli.path());
  CHECK(cs->state == "up");
  CHECK(cs->mode == "client");
  CHECK(cs->bytes_in >= big.size());
  CHECK(cs->failed == 0);
  ScRun st = run_sc_rooted(p.cli.path(), {"--json", "wstunnel", "status"});
  INFO(st.out << st.err);
  CHECK(st.status == 0);
  json j = json::parse(st.out, nullptr, false);
  CHECK(j["result"]["running"] == true);
  CHECK(j["result"]["state"] == "up");
  // The status hook: the client up, no problem.
  CHECK(j["result"]["problems"] == json::array());
  REQUIRE(j["result"]["facts"]["tunnels"].size() == 1);
  CHECK(j["result"]["facts"]["tunnels"][0]["name"] == "client");
  CHECK(j["result"]["facts"]["tunnels"][0]["up"] == true);
  CHECK_THAT(j["result"]["facts"]["tunnels"][0]["detail"].get<std::string>(), Contains("wstunnel client: up since "));
  ScRun text = run_sc_rooted(p.srv.path(), {"wstunnel", "status"});
  CHECK_THAT(text.out, Contains("wstunnel server: up since "));
  CHECK_THAT(text.out, Contains("target 127.0.0.1:" + std::to_string(echo.port())));

  // Stopped by SIGTERM: the state says so, and status tells it is down.
  CHECK(p.client->stop() == 0);
  auto after = status_in(p.cli.path());
  REQUIRE(after);
  CHECK(after->state == "stopped");
  CHECK(run_sc_rooted(p.cli.path(), {"wstunnel", "status"}).status == 1);
  st = run_sc_rooted(p.cli.path(), {"--json", "wstunnel", "status", "local"});
  j = json::parse(st.out, nullptr, false);
  REQUIRE(j["result"]["problems"].size() == 1);
  CHECK(j["result"]["problems"][0]["level"] == "error");
  CHECK_THAT(j["result"]["problems"][0]["what"].get<std::string>(),
             Contains("the wstunnel client is not up: down (the daemon is not running; it was pid "));
  CHECK(j["result"]["facts"]["tunnels"][0]["up"] == false);
}

TEST_CASE("wstunnel: the server refuses other destinations and plain HTTP", "[wstunnel]") {
  Echo echo;
  Pair p(echo.port(), 30, false);
  std::string answer = http_exchange(p.srv_port, upgrade_request("/wstunnel/?dst=127.0.0.1:25"));
  CHECK_THAT(answer, Contains("HTTP/1.1 403"));
  CHECK_THAT(answer, Contains("destination \"127.0.0.1:25\" refused: this server tunnels only to 127.0.0.1:" +
                              std::to_string(echo.port())));
  CHECK(echo.accepted() == 0);
  CHECK_THAT(http_exchange(p.srv_port, "GET /wstunnel HTTP/1.1\r\nHost: x\r\n\r\n"), Contains("HTTP/1.1 426"));
  // Its own target, asked for by name, is fine.
  answer = http_exchange(p.srv_port, upgrade_request("/wstunnel/?dst=127.0.0.1:" + std::to_string(echo.port())));
  CHECK_THAT(answer, Contains("HTTP/1.1 101"));
  CHECK_THAT(answer, Contains("Sec-WebSocket-Protocol: tunnel-protocol"));
  REQUIRE(eventually([&] { return status_in(p.srv.path())->failed >= 2; }));
  CHECK_THAT(status_in(p.srv.path())->last_error, Contains("refused"));
  CHECK_THAT(p.server->log(), Contains("destination \"127.0.0.1:25\" refused"));
}

TEST_CASE("wstunnel: a client whose server stops answering drops the tunnel (keepalive)", "[wstunnel]") {
  Echo echo;
  Pair p(echo.port(), 5);
  int fd = connect_to(p.cli_port);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, "x", 1) == 1);
  REQUIRE(read_some(fd, 1) == "x");
  // The server hangs (a half-dead path: nothing refused, nothing answered).
  ::kill(p.server->pid(), SIGSTOP);
  auto t0 = std::chrono::steady_clock::now();
  // Within the keepalive (5 s) and some slack, the client closes our side.
  std::string rest = read_some(fd, 1, 20s);
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(rest.empty());
  CHECK(took < 15s);
  ::close(fd);
  ::kill(p.server->pid(), SIGCONT);
  REQUIRE(eventually([&] { return status_in(p.cli.path())->active == 0; }));
  CHECK_THAT(p.client->log(), Contains("ended"));
}

TEST_CASE("wstunnel: the listener keeps accepting after accept errors", "[wstunnel]") {
  Echo echo;
  Pair p(echo.port(), 30, false);
  p.server.reset();
  // Again, with few descriptors: accepting fails with EMFILE once the
  // connections below take them all.
  p.server = daemon_in(p.srv.path(), {"prlimit", "--nofile=40:40", "--"});
  REQUIRE(eventually([&] { return listening(p.srv.path()) && loopback_port_answers(p.srv_port); }));
  std::vector<int> held;
  for (int i = 0; i < 80; ++i) {
    int fd = connect_to(p.srv_port);
    if (fd >= 0) held.push_back(fd);
  }
  // The state file cannot be written without a descriptor either: the log
  // says it at once, the state once there is room again.
  REQUIRE(eventually([&] { return p.server->log().find("Too many open files") != std::string::npos; }));
  CHECK_THAT(p.server->log(), Contains("accepting again in"));
  for (int fd : held) ::close(fd);
  // Room again: a real tunnel through the same listener.
  TempDir cli;
  const int cli_port = free_loopback_port();
  write_settings(cli, {{"WSTUNNEL_MODE", "client"},
                       {"WSTUNNEL_LISTEN", "127.0.0.1:" + std::to_string(cli_port)},
                       {"WSTUNNEL_URL", "ws://127.0.0.1:" + std::to_string(p.srv_port)}});
  auto client = daemon_in(cli.path());
  REQUIRE(eventually([&] { return listening(cli.path()); }));
  REQUIRE(eventually([&] { return round_trip(cli_port, "again\n") == "again\n"; }, 30s));
  REQUIRE(eventually([&] { return status_in(p.srv.path())->accept_errors > 0; }));
  CHECK(status_in(p.srv.path())->state == "up");
}

TEST_CASE("wstunnel: npm wstunnel 1.4.0's client through our server, our client through its server", "[wstunnel]") {
  std::string why;
  const std::string npm = npm_wstunnel(&why);
  if (npm.empty()) {
    WARN("skipped: npm wstunnel 1.4.0 cannot be installed: " << why);
    return;
  }
  Echo echo;
  Pair p(echo.port(), 30, false);
  TempDir logs;
  {
    // As the original ran it: `wstunnel -t PORT URL` (no dst, the server decides)...
    const int port = free_loopback_port();
    Background npm_client(
        {npm, "-t", std::to_string(port), "ws://127.0.0.1:" + std::to_string(p.srv_port) + "/wstunnel"},
        logs / "npm-client.log");
    REQUIRE(eventually([&] { return loopback_port_answers(port); }));
    const std::string d = pattern(3 << 20);
    CHECK(round_trip(port, d) == d);
    INFO(npm_client.log());
    CHECK_THAT(npm_client.log(), Contains("Websocket tunnel established"));
  }
  {
    // ... and naming the destination: ours, then another one.
    const int port = free_loopback_port(), other = free_loopback_port();
    Background good({npm, "-t", "127.0.0.1:" + std::to_string(port) + ":127.0.0.1:" + std::to_string(echo.port()),
                     "ws://127.0.0.1:" + std::to_string(p.srv_port)},
                    logs / "npm-good.log");
    Background bad({npm, "-t", "127.0.0.1:" + std::to_string(other) + ":127.0.0.1:1",
                    "ws://127.0.0.1:" + std::to_string(p.srv_port)},
                   logs / "npm-bad.log");
    REQUIRE(eventually([&] { return loopback_port_answers(port) && loopback_port_answers(other); }));
    CHECK(round_trip(port, "named\n") == "named\n");
    int fd = connect_to(other);
    CHECK(read_some(fd, 1, 3s).empty());  // refused: nothing comes through
    ::close(fd);
    CHECK(eventually([&] { return p.server->log().find("destination \"127.0.0.1:1\" refused") != std::string::npos; }));
  }
  {
    // Our client through npm's server, locked to the target as the original ran it.
    const int npm_port = free_loopback_port(), cli_port = free_loopback_port();
    Background npm_server(
        {npm, "-s", "127.0.0.1:" + std::to_string(npm_port), "-t", "127.0.0.1:" + std::to_string(echo.port())},
        logs / "npm-server.log");
    REQUIRE(eventually([&] { return loopback_port_answers(npm_port); }));
    TempDir cli;
    write_settings(cli, {{"WSTUNNEL_MODE", "client"},
                         {"WSTUNNEL_LISTEN", "127.0.0.1:" + std::to_string(cli_port)},
                         {"WSTUNNEL_URL", "http://127.0.0.1:" + std::to_string(npm_port)}});
    auto client = daemon_in(cli.path());
    REQUIRE(eventually([&] { return listening(cli.path()); }));
    const std::string d = pattern(3 << 20);
    CHECK(round_trip(cli_port, d) == d);
    INFO(npm_server.log());
    CHECK_THAT(npm_server.log(), Contains("established ws tunnel to 127.0.0.1:" + std::to_string(echo.port())));
  }
}

TEST_CASE("wstunnel: a client whose server cannot be reached is down and says why", "[wstunnel]") {
  TempDir cli;
  const int cli_port = free_loopback_port(), dead = free_loopback_port();
  // wss:// to a port where nothing listens, then to one that speaks no TLS.
  write_settings(cli, {{"WSTUNNEL_MODE", "client"},
                       {"WSTUNNEL_LISTEN", "127.0.0.1:" + std::to_string(cli_port)},
                       {"WSTUNNEL_URL", "wss://127.0.0.1:" + std::to_string(dead) + "/wstunnel"}});
  auto client = daemon_in(cli.path());
  REQUIRE(eventually([&] { return listening(cli.path()); }));
  int fd = connect_to(cli_port);
  CHECK(read_some(fd, 1, 10s).empty());  // closed: nothing to carry it
  ::close(fd);
  REQUIRE(eventually([&] { return status_in(cli.path())->state == "down"; }));
  CHECK_THAT(status_in(cli.path())->last_error, Contains("cannot connect to 127.0.0.1:" + std::to_string(dead)));
  CHECK(run_sc_rooted(cli.path(), {"wstunnel", "status"}).status == 1);
  client.reset();

  Echo plain;  // a TCP server that is no TLS server
  write_settings(cli, {{"WSTUNNEL_MODE", "client"},
                       {"WSTUNNEL_LISTEN", "127.0.0.1:" + std::to_string(cli_port)},
                       {"WSTUNNEL_URL", "wss://127.0.0.1:" + std::to_string(plain.port())}});
  client = daemon_in(cli.path());
  REQUIRE(eventually([&] { return listening(cli.path()); }));
  fd = connect_to(cli_port);
  CHECK(read_some(fd, 1, 40s).empty());
  ::close(fd);
  REQUIRE(eventually([&] { return status_in(cli.path())->state == "down"; }, 40s));
  CHECK_THAT(status_in(cli.path())->last_error,
             Contains("TLS with 127.0.0.1:" + std::to_string(plain.port()) + " failed"));
}
