#include "cluster.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <sstream>
#include <stdexcept>

namespace sc::test {

namespace {

// The host's own directories and where they live under STATE/hosts/HOST,
// as the tool's PRIVATE table says (a test checks that both agree).
const std::vector<std::pair<std::string, std::string>>& private_dirs() {
  static const std::vector<std::pair<std::string, std::string>> dirs = {
      {"/var/lib/sc", "var-lib-sc"},
      {"/var/mail", "var-mail"},
      {"/run/sshd", "run-sshd"},
      {"/run/lock", "run-lock"},
      {"/etc", "etc"},
      {"/root", "root"},
      {"/home", "home"},
      {"/srv", "srv"},
  };
  return dirs;
}

// The environment of a command run in a host: what a root login has.
const std::vector<std::string>& host_env() {
  static const std::vector<std::string> env = {
      "HOME=/root",      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "USER=root",       "LOGNAME=root",
      "SHELL=/bin/bash", "LANG=C.UTF-8",
  };
  return env;
}

fs::path make_state_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/sc-cluster-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
  return tmpl;
}

}  // namespace

fs::path Cluster::tool() {
  return fs::path(kSourceDir) / "tests/support/cluster";
}

sc::ProcessResult Cluster::run_tool(const std::vector<std::string>& args) const {
  ProcessSpec spec;
  spec.argv = {"/usr/bin/python3", tool().string()};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.capture_out = spec.capture_err = true;
  spec.timeout = std::chrono::milliseconds(120000);
  return run_process(spec);
}

Cluster::Cluster(std::vector<std::string> hosts, const ClusterOptions& options)
    : hosts_(std::move(hosts)), state_(make_state_dir()) {
  std::vector<std::string> args = {"up",
                                   "--state",
                                   state_.string(),
                                   "--owner",
                                   std::to_string(::getpid()),
                                   "--sc",
                                   built_sc_path(),
                                   "--plugins",
                                   fs::canonical(kPluginDir).string()};
  for (const auto& h : options.own_usr_local) args.insert(args.end(), {"--own-usr-local", h});
  args.insert(args.end(), hosts_.begin(), hosts_.end());
  ProcessResult r = run_tool(args);
  if (!r.ok()) {
    std::error_code ec;
    fs::remove(state_, ec);  // the tool removed what it made; the empty directory is ours
    throw std::runtime_error("cluster up failed (" + r.describe() + "): " + r.err + r.error);
  }
  std::istringstream lines(r.out);
  std::string name, address;
  while (lines >> name >> address) addresses_[name] = address;
  for (const auto& h : hosts_) {
    if (!addresses_.count(h)) {
      run_tool({"down", "--state", state_.string()});  // no destructor runs after a throw here
      throw std::runtime_error("cluster up printed no address for " + h + ": " + r.out);
    }
  }
}

Cluster::~Cluster() {
  ProcessResult r = run_tool({"down", "--state", state_.string()});
  if (!r.ok()) std::cerr << "cluster down failed (" << r.describe() << "): " << r.err << r.error << "\n";
}

void Cluster::check_host(const std::string& host) const {
  if (!addresses_.count(host)) throw std::invalid_argument("no host '" + host + "' in this cluster");
}

sc::ProcessResult Cluster::on(const std::string& host, const std::vector<std::string>& argv,
                              const std::string* input) const {
  check_host(host);
  if (argv.empty()) throw std::invalid_argument("Cluster::on: empty argv");
  // env(1) would take a first word with '=' for a variable.
  if (argv[0].find('=') != std::string::npos) throw std::invalid_argument("Cluster::on: '=' in " + argv[0]);
  ProcessSpec spec;
  spec.argv = {"nsenter",
               "--mount=" + (state_ / "ns" / (host + ".mnt")).string(),
               "--uts=" + (state_ / "ns" / (host + ".uts")).string(),
               "--wd=/root",
               "--",
               "/usr/bin/env",
               "-i"};
  spec.argv.insert(spec.argv.end(), host_env().begin(), host_env().end());
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"})
    if (const char* v = std::getenv(name)) spec.argv.push_back(std::string(name) + "=" + v);
  spec.argv.insert(spec.argv.end(), argv.begin(), argv.end());
  spec.capture_out = spec.capture_err = true;
  if (input) spec.input = *input;
  spec.timeout = std::chrono::milliseconds(300000);
  return run_process(spec);
}

ScRun Cluster::sc(const std::string& host, const std::vector<std::string>& args, const std::string* input) const {
  std::vector<std::string> argv = {"/usr/local/bin/sc"};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessResult r = on(host, argv, input);
  if (!r.started) throw std::runtime_error("cannot run sc in " + host + ": " + r.error);
  return {r.term_signal ? 128 + r.term_signal : r.exit_code, r.out, r.err};
}

std::string Cluster::address(const std::string& host) const {
  check_host(host);
  return addresses_.at(host);
}

fs::path Cluster::path(const std::string& host, const fs::path& inside) const {
  check_host(host);
  if (!inside.is_absolute()) throw std::invalid_argument("Cluster::path: not absolute: " + inside.string());
  std::string p = inside.lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  for (const auto& [prefix, dir] : private_dirs()) {
    if (p == prefix || p.compare(0, prefix.size() + 1, prefix + "/") == 0)
      return state_ / "hosts" / host / (dir + p.substr(prefix.size()));
  }
  throw std::invalid_argument("Cluster::path: " + p + " is not one of the host's own directories");
}

void Cluster::trust(const std::string& from, const std::string& to) const {
  check_host(from);
  check_host(to);
  ProcessResult r = run_tool({"trust", "--state", state_.string(), from, to});
  if (!r.ok()) throw std::runtime_error("cluster trust " + from + " " + to + ": " + r.err);
}

void Cluster::trust_all() const {
  ProcessResult r = run_tool({"trust-all", "--state", state_.string()});
  if (!r.ok()) throw std::runtime_error("cluster trust-all: " + r.err);
}

std::vector<int> Cluster::processes(const std::string& host) const {
  check_host(host);
  struct stat host_ns {};
  if (::stat((state_ / "ns" / (host + ".mnt")).c_str(), &host_ns) != 0)
    throw std::runtime_error("no mount namespace for " + host);
  std::vector<int> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    struct stat ns {};
    if (::stat((entry.path() / "ns/mnt").c_str(), &ns) == 0 && ns.st_dev == host_ns.st_dev &&
        ns.st_ino == host_ns.st_ino)
      out.push_back(std::stoi(pid));
  }
  return out;
}

int Cluster::sshd_pid(const std::string& host) const {
  check_host(host);
  return std::stoi(read_text(state_ / "hosts" / host / "sshd.pid"));
}

std::string Cluster::sshd_log(const std::string& host) const {
  check_host(host);
  std::error_code ec;
  fs::path log = state_ / "hosts" / host / "sshd.log";
  return fs::exists(log, ec) ? read_text(log) : std::string();
}

}  // namespace sc::test
