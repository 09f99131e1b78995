#include "test_support.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace sc::test {

TempDir::TempDir()
    : TempDir([] {
        const char* base = std::getenv("TMPDIR");
        return fs::path(base && *base ? base : "/tmp");
      }()) {}

TempDir::TempDir(const fs::path& base) {
  std::string tmpl = (base / "sc-test-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  // A test may have made parts read-only: make everything removable first.
  for (auto it = fs::recursive_directory_iterator(path_, ec); !ec && it != fs::end(it); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec))
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
  }
  fs::remove_all(path_, ec);
}

ScRun run_sc(const std::vector<std::string>& args, const std::string* input, const std::vector<std::string>& env) {
  ProcessSpec spec;
  spec.argv.push_back(kScBinary);
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.capture_out = spec.capture_err = true;
  spec.env_add = env;
  if (input) spec.input = *input;
  spec.timeout = std::chrono::milliseconds(120000);
  ProcessResult r = run_process(spec);
  if (!r.started) throw std::runtime_error("cannot run sc: " + r.error);
  return {r.term_signal ? 128 + r.term_signal : r.exit_code, r.out, r.err};
}

ScRun run_sc_rooted(const fs::path& root, const std::vector<std::string>& args, const std::string* input) {
  std::vector<std::string> all = {"--plugin-path", kPluginDir, "--root", root.string()};
  all.insert(all.end(), args.begin(), args.end());
  return run_sc(all, input);
}

ScRun run_sc_fixtures(const fs::path& root, const std::vector<std::string>& args, const std::string* input) {
  std::vector<std::string> all = {"--plugin-path", kFixtureDir, "--root", root.string()};
  all.insert(all.end(), args.begin(), args.end());
  return run_sc(all, input);
}

ScRun run_sc_tty(const std::vector<std::string>& args, const std::vector<TtyStep>& steps) {
  int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0)
    throw std::runtime_error("cannot open a pseudo-terminal");
  std::string slave_name = ::ptsname(master);
  std::vector<std::string> all = {kScBinary};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::setsid();
    int slave = ::open(slave_name.c_str(), O_RDWR);
    if (slave < 0) ::_exit(127);
    ::ioctl(slave, TIOCSCTTY, 0);
    ::dup2(slave, 0);
    ::dup2(slave, 1);
    ::dup2(slave, 2);
    if (slave > 2) ::close(slave);
    ::execv(kScBinary, argv.data());
    ::_exit(127);
  }
  ScRun result;
  std::string seen;
  size_t step = 0, searched_from = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool timed_out = false;
  for (;;) {
    if (step < steps.size()) {
      size_t at = seen.find(steps[step].expect, searched_from);
      if (at != std::string::npos) {
        const std::string& reply = steps[step].reply;
        if (::write(master, reply.data(), reply.size()) != static_cast<ssize_t>(reply.size()))
          throw std::runtime_error("cannot type into the pseudo-terminal");
        searched_from = at + steps[step].expect.size();
        ++step;
        deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        continue;
      }
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd p{master, POLLIN, 0};
    int pr = ::poll(&p, 1, static_cast<int>(left.count()));
    if (pr <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO: the other side closed
    seen.append(buf, static_cast<size_t>(n));
  }
  ::close(master);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.out = seen;
  if (timed_out)
    result.status = -1;
  else
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

void write_text(const fs::path& path, const std::string& text, fs::perms mode) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw std::runtime_error("cannot write " + path.string());
  f << text;
  f.close();
  fs::permissions(path, mode);
}

std::string read_text(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string tree_hash(const fs::path& dir) {
  std::vector<std::string> rows;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::none, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    std::ostringstream row;
    row << fs::relative(it->path(), dir).string() << '\t' << std::oct << st.st_mode << std::dec << '\t' << st.st_uid
        << ':' << st.st_gid << '\t';
    if (S_ISLNK(st.st_mode))
      row << fs::read_symlink(it->path()).string();
    else if (S_ISREG(st.st_mode))
      row << std::hash<std::string>{}(read_text(it->path())) << '/' << st.st_size;
    rows.push_back(row.str());
  }
  std::sort(rows.begin(), rows.end());
  std::string all;
  for (const auto& r : rows) all += r + '\n';
  return all;
}

bool run_killed_after(const std::vector<std::string>& argv, std::chrono::microseconds delay,
                      const std::vector<std::string>& env_add) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_text;
  for (char** e = environ; *e; ++e) {
    const std::string item = *e;
    const bool replaced = std::any_of(env_add.begin(), env_add.end(), [&](const std::string& add) {
      return item.compare(0, add.find('=') + 1, add, 0, add.find('=') + 1) == 0;
    });
    if (!replaced) env_text.push_back(item);
  }
  env_text.insert(env_text.end(), env_add.begin(), env_add.end());
  std::vector<char*> env;
  for (auto& e : env_text) env.push_back(e.data());
  env.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  for (int fd : {0, 1, 2}) posix_spawn_file_actions_addopen(&fa, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, args[0], &fa, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  std::this_thread::sleep_for(delay);
  ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

sc::ProcessResult run_in_mount_namespace(const std::string& script, const std::vector<std::string>& args,
                                         const std::vector<std::string>& env_add) {
  sc::ProcessSpec p;
  p.argv = {"unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh"};
  p.argv.insert(p.argv.end(), args.begin(), args.end());
  p.env_add = env_add;
  p.capture_out = p.capture_err = true;
  return sc::run_process(p);
}

const std::vector<std::string>& hostile_strings() {
  static const std::vector<std::string> v = {
      "it's",      "a\"b",       "x; rm -rf /",  "$(touch /tmp/pwned)", "`id`",
      "new\nline", "with space", "ünïcødé-名前", "../../etc",           "-rf",
      "a|b&c>d<e", "*",          "$HOME",        "\\back\\slash",       "",
  };
  return v;
}

void check_refused(const fs::path& root, const std::string& module, const std::vector<std::string>& args,
                   const std::string& message) {
  const std::string before = tree_hash(root);
  std::vector<std::string> all = {module};
  all.insert(all.end(), args.begin(), args.end());
  std::string shown = "sc";
  for (const auto& a : all) shown += " [" + a + "]";
  INFO(shown);
  ScRun r = run_sc_rooted(root, all);
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Catch::Contains(message));
  CHECK(tree_hash(root) == before);
}

std::string built_sc_path() {
  return fs::canonical(kScBinary).string();
}

std::vector<std::string> run_actions(const ScRun& r) {
  nlohmann::json doc = nlohmann::json::parse(r.out);
  std::vector<std::string> out;
  for (const auto& a : doc["actions"])
    if (a["kind"] == "run") out.push_back(a["target"].get<std::string>() + " " + a["state"].get<std::string>());
  return out;
}

std::string systemd_verify(const fs::path& unit) {
  ProcessSpec p;
  p.argv = {"systemd-analyze", "verify", unit.string()};
  p.capture_out = true;
  p.capture_err = true;
  ProcessResult r = run_process(p);
  return verify_words_about(unit.string(), r.out + r.err) + (r.ok() ? "" : r.describe());
}

sc::ProcessResult run_captured(const std::vector<std::string>& argv, const std::string& input) {
  ProcessSpec p;
  p.argv = argv;
  p.input = input;
  p.capture_out = true;
  p.capture_err = true;
  p.timeout = std::chrono::seconds(120);
  return run_process(p);
}

std::string output_of(const std::vector<std::string>& argv, const std::string& input) {
  ProcessResult r = run_captured(argv, input);
  INFO(argv.front() << ": " << r.err);
  REQUIRE(r.ok());
  return r.out;
}

void make_self_signed(const fs::path& cert, const fs::path& key, const std::vector<std::string>& names, int days) {
  REQUIRE_FALSE(names.empty());
  fs::create_directories(cert.parent_path());
  fs::create_directories(key.parent_path());
  std::string alt;
  for (const auto& n : names) alt += (alt.empty() ? "subjectAltName=DNS:" : ",DNS:") + n;
  ProcessSpec p;
  p.argv = {"openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            key.string(),
            "-out",
            cert.string(),
            "-days",
            std::to_string(days),
            "-subj",
            "/CN=" + names.front(),
            "-addext",
            alt};
  p.capture_out = true;
  p.capture_err = true;
  ProcessResult r = run_process(p);
  INFO(r.err);
  REQUIRE(r.ok());
}

std::string verify_words_about(const std::string& unit, const std::string& output) {
  std::string kept, line;
  std::istringstream lines(output);
  while (std::getline(lines, line)) {
    const size_t colon = line.find(':');
    const bool about_a_unit_file = !line.empty() && line[0] == '/' && colon != std::string::npos &&
                                   line.compare(0, colon, unit) != 0 &&
                                   line.substr(0, colon).find("/systemd/") != std::string::npos;
    if (!about_a_unit_file) kept += line + "\n";
  }
  return kept;
}

std::string systemd_is_enabled(const fs::path& root, const std::string& unit) {
  ProcessSpec p;
  p.argv = {"systemctl", "--root=" + root.string(), "is-enabled", unit};
  p.capture_out = true;
  p.capture_err = true;
  return run_process(p).out;
}

void write_accounts(const fs::path& root, const std::string& passwd, const std::string& shadow,
                    const std::string& group, const std::string& gshadow) {
  write_text(root / "etc/passwd", passwd);
  write_text(root / "etc/shadow", shadow, fs::perms(0640));
  write_text(root / "etc/group", group);
  write_text(root / "etc/gshadow", gshadow, fs::perms(0640));
  write_text(root / "etc/.pwd.lock", "", fs::perms(0600));
}

void write_minimal_accounts(const fs::path& root) {
  write_accounts(root, kMinimalPasswd, kMinimalShadow, kMinimalGroup, kMinimalGshadow);
}

std::string account_check(const fs::path& root) {
  std::string out;
  for (const char* tool : {"pwck", "grpck"}) {
    sc::ProcessSpec p;
    p.argv = {tool, "-r", "-R", root.string()};
    p.capture_out = p.capture_err = true;
    sc::ProcessResult r = sc::run_process(p);
    if (r.exit_code != 0 || !(r.out + r.err).empty()) out += std::string(tool) + ": " + r.out + r.err;
  }
  return out;
}

int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot find a free loopback port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool loopback_port_answers(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

std::string mode_of(const fs::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) throw std::runtime_error("cannot lstat " + p.string());
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04o %u:%u", st.st_mode & 07777, st.st_uid, st.st_gid);
  return buf;
}

}  // namespace sc::test
