#include "sshd_harness.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace sc::test {

namespace {

ProcessResult run_tool(const std::vector<std::string>& argv, const std::string* input = nullptr) {
  ProcessSpec spec;
  spec.argv = argv;
  spec.capture_out = spec.capture_err = true;
  if (input) spec.input = *input;
  spec.timeout = std::chrono::milliseconds(30000);
  ProcessResult r = run_process(spec);
  if (!r.ok())
    throw std::runtime_error(argv[0] + ": " + r.describe() + ": " + r.err + (r.started ? "" : " " + r.error));
  return r;
}

}  // namespace

void make_ssh_key(const fs::path& key, const std::string& comment) {
  fs::create_directories(key.parent_path());
  run_tool({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", key.string()});
}

std::string public_key_line(const fs::path& pub) {
  std::string s = read_text(pub);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string key_fingerprint(const fs::path& pub) {
  // "256 SHA256:xxxx comment (ED25519)"
  std::string out = run_tool({"ssh-keygen", "-l", "-E", "sha256", "-f", pub.string()}).out;
  auto start = out.find("SHA256:");
  return out.substr(start, out.find(' ', start) - start);
}

SshdHarness::SshdHarness() : SshdHarness(Options{}) {}

SshdHarness::SshdHarness(Options options) : options_(std::move(options)) {
  // Accounts other than root must be able to reach their files under here.
  fs::permissions(dir(), fs::perms(0755));
  fs::create_directories(dir() / "authorized");
  fs::create_directories(client_root() / "etc");
  fs::create_directories(peer_root() / "etc");
  fs::create_directories(dir() / "bin");
  fs::create_directories(dir() / "peer-home");
  make_ssh_key(dir() / "ssh_host_ed25519_key", "sc-test-host");
  make_ssh_key(home() / ".ssh/id_ed25519", "sc-test-client");
  fs::permissions(home() / ".ssh", fs::perms(0700));
  authorize(home() / ".ssh/id_ed25519.pub");
  // The peer's sc: the one just built, with its own root.
  std::string extra;
  for (const auto& d : options_.peer_plugin_dirs) extra += " --plugin-path '" + d + "'";
  write_text(dir() / "bin/sc",
             "#!/bin/sh\nexec '" + fs::canonical(kScBinary).string() + "' --plugin-path '" + kPluginDir + "'" + extra +
                 " --root '" + peer_root().string() + "' \"$@\"\n",
             fs::perms(0755));
  start();
  write_text(known_hosts(), host_key_line() + "\n", fs::perms(0644));
}

SshdHarness::~SshdHarness() {
  stop();
}

std::string SshdHarness::peer() const {
  return "root@127.0.0.1:" + std::to_string(port_);
}

std::string SshdHarness::host_key_line() const {
  std::string key = public_key_line(host_key_pub());
  // "ssh-ed25519 AAAA... comment" -> without the comment
  key = key.substr(0, key.find(' ', key.find(' ') + 1));
  return "[127.0.0.1]:" + std::to_string(port_) + " " + key;
}

void SshdHarness::authorize(const fs::path& pub, const std::string& user) const {
  fs::path file = dir() / "authorized" / user;
  std::string old = fs::exists(file) ? read_text(file) : "";
  write_text(file, old + public_key_line(pub) + "\n", fs::perms(0644));
}

void SshdHarness::start() {
  fs::create_directories("/run/sshd");  // privilege separation directory
  std::string last_log;
  // sshd may lose a race for the free port: then another is tried.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_loopback_port();
    std::string config = "Port " + std::to_string(port_) +
                         "\n"
                         "ListenAddress 127.0.0.1\n"
                         "HostKey " +
                         (dir() / "ssh_host_ed25519_key").string() +
                         "\n"
                         "PidFile " +
                         (dir() / "sshd.pid").string() +
                         "\n"
                         "AuthorizedKeysFile " +
                         (dir() / "authorized/%u").string() +
                         " .ssh/authorized_keys\n"
                         "UsePAM no\n"
                         "StrictModes no\n"
                         "LogLevel VERBOSE\n"
                         "PermitRootLogin prohibit-password\n"
                         "PasswordAuthentication " +
                         std::string(options_.password_auth ? "yes" : "no") +
                         "\n"
                         "KbdInteractiveAuthentication no\n"
                         "MaxStartups 50\n"
                         "SetEnv PATH=" +
                         (dir() / "bin").string() + ":/usr/bin:/bin:/usr/sbin:/sbin" +
                         (options_.peer_home ? " HOME=" + (dir() / "peer-home").string() : "") + "\n";
    for (const auto& line : options_.extra_config) config += line + "\n";
    write_text(dir() / "sshd_config", config);
    fs::remove(dir() / "sshd.log");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::execl("/usr/sbin/sshd", "/usr/sbin/sshd", "-D", "-f", (dir() / "sshd_config").c_str(), "-E",
              (dir() / "sshd.log").c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;  // it failed (port taken?): try another port
      }
      if (loopback_port_answers(port_)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    last_log = log();
    stop();
  }
  throw std::runtime_error("sshd did not start (is openssh-server installed?): " + last_log);
}

void SshdHarness::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

ScRun SshdHarness::sc(const std::vector<std::string>& args, const std::string* input) const {
  std::vector<std::string> all = {"--plugin-path", kPluginDir, "--root", client_root().string()};
  all.insert(all.end(), args.begin(), args.end());
  return run_sc(all, input, {"HOME=" + home().string()});
}

ScRun SshdHarness::peer_sc(const std::vector<std::string>& args) const {
  std::vector<std::string> all = {"--plugin-path", kPluginDir};
  for (const auto& d : options_.peer_plugin_dirs) all.insert(all.end(), {"--plugin-path", d});
  all.insert(all.end(), {"--root", peer_root().string()});
  all.insert(all.end(), args.begin(), args.end());
  return run_sc(all, nullptr, {"HOME=" + (dir() / "peer-home").string()});
}

std::string SshdHarness::log() const {
  std::error_code ec;
  return fs::exists(dir() / "sshd.log", ec) ? read_text(dir() / "sshd.log") : std::string();
}

int SshdHarness::accepted_publickey() const {
  std::string l = log();
  int n = 0;
  for (size_t pos = 0; (pos = l.find("Accepted publickey", pos)) != std::string::npos; ++pos) ++n;
  return n;
}

TestUser::TestUser(const fs::path& home_parent, std::string password) : password_(std::move(password)) {
  name_ = "sctest" + std::to_string(::getpid());
  home_ = home_parent / name_;
  fs::create_directories(home_parent);
  run_tool({"useradd", "--create-home", "--home-dir", home_.string(), "--shell", "/bin/sh", name_});
  std::string line = name_ + ":" + password_ + "\n";
  run_tool({"chpasswd"}, &line);
}

TestUser::~TestUser() {
  ProcessSpec spec;
  spec.argv = {"userdel", name_};
  spec.capture_out = spec.capture_err = true;
  run_process(spec);
}

ScopedEnv::ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
  if (const char* old = std::getenv(name_.c_str())) old_ = std::make_unique<std::string>(old);
  ::setenv(name_.c_str(), value.c_str(), 1);
}

ScopedEnv::~ScopedEnv() {
  if (old_)
    ::setenv(name_.c_str(), old_->c_str(), 1);
  else
    ::unsetenv(name_.c_str());
}

}  // namespace sc::test
