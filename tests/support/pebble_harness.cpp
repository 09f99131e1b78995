#include "pebble_harness.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>
#include <vector>

namespace sc::test {

namespace {

ProcessResult run_tool(const std::vector<std::string>& argv) {
  ProcessSpec spec;
  spec.argv = argv;
  spec.capture_out = spec.capture_err = true;
  spec.timeout = std::chrono::milliseconds(30000);
  ProcessResult r = run_process(spec);
  if (!r.ok())
    throw std::runtime_error(argv[0] + ": " + r.describe() + ": " + r.err + (r.started ? "" : " " + r.error));
  return r;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

/// Starts argv with `env` added, stdout and stderr to `log`; the child gets
/// SIGKILL if the test process dies first.
pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env, const fs::path& log) {
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int null = ::open("/dev/null", O_RDONLY);
    if (fd < 0 || null < 0) ::_exit(127);
    ::dup2(null, 0);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

void stop_pid(pid_t& pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid = -1;
}

/// Waits until `port` answers; false when `pid` ended first or after 20 s.
bool wait_port(pid_t& pid, int port) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      pid = -1;
      return false;
    }
    if (loopback_port_answers(port)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string read_or_empty(const fs::path& p) {
  try {
    return read_text(p);
  } catch (const std::exception&) {
    return "";
  }
}

}  // namespace

Pebble::Pebble() : Pebble(Options{}) {}

Pebble::Pebble(Options options) : options_(std::move(options)) {
  make_listener_cert();
  try {
    start();
  } catch (...) {
    stop_all();
    throw;
  }
}

Pebble::~Pebble() {
  stop_all();
}

std::string Pebble::directory_url() const {
  return "https://127.0.0.1:" + std::to_string(acme_port_) + "/dir";
}

void Pebble::make_listener_cert() const {
  const fs::path d = dir();
  run_tool({"openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            (d / "listener-ca.key").string(),
            "-out",
            listener_ca().string(),
            "-days",
            "7",
            "-subj",
            "/CN=sc test: pebble listener CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign"});
  run_tool({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
            (d / "listener.key").string(), "-out", (d / "listener.csr").string(), "-subj", "/CN=localhost"});
  write_text(d / "listener.ext",
             "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n"
             "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n");
  run_tool({"openssl", "x509", "-req", "-in", (d / "listener.csr").string(), "-CA", listener_ca().string(), "-CAkey",
            (d / "listener-ca.key").string(), "-CAcreateserial", "-out", (d / "listener.pem").string(), "-days", "7",
            "-extfile", (d / "listener.ext").string()});
}

void Pebble::start() {
  const fs::path d = dir();
  // Free ports are found, released, then bound by the daemons: one may lose
  // a race for its port, and then the whole start is tried again.
  for (int attempt = 0; attempt < 5; ++attempt) {
    stop_all();
    dns_port_ = free_loopback_port();
    challtest_port_ = free_loopback_port();
    acme_port_ = free_loopback_port();
    management_port_ = free_loopback_port();
    if (challtest_port_ == dns_port_ || acme_port_ == dns_port_ || acme_port_ == challtest_port_ ||
        management_port_ == acme_port_ || management_port_ == dns_port_ || management_port_ == challtest_port_)
      continue;
    const std::string dns = "127.0.0.1:" + std::to_string(dns_port_);
    challtest_pid_ = spawn(
        {"pebble-challtestsrv", "-defaultIPv4", options_.default_ipv4, "-defaultIPv6", "", "-dns01", dns, "-http01", "",
         "-https01", "", "-tlsalpn01", "", "-management", "127.0.0.1:" + std::to_string(challtest_port_)},
        {}, d / "challtestsrv.log");
    if (!wait_port(challtest_pid_, challtest_port_) || !loopback_port_answers(dns_port_)) continue;

    write_text(d / "pebble.json",
               "{\"pebble\": {\n"
               "  \"listenAddress\": \"127.0.0.1:" +
                   std::to_string(acme_port_) +
                   "\",\n"
                   "  \"managementListenAddress\": \"127.0.0.1:" +
                   std::to_string(management_port_) +
                   "\",\n"
                   "  \"certificate\": " +
                   json_string((d / "listener.pem").string()) +
                   ",\n"
                   "  \"privateKey\": " +
                   json_string((d / "listener.key").string()) +
                   ",\n"
                   "  \"httpPort\": " +
                   std::to_string(options_.http_port) +
                   ",\n"
                   "  \"tlsPort\": " +
                   std::to_string(options_.tls_port) +
                   ",\n"
                   "  \"ocspResponderURL\": \"\",\n"
                   "  \"externalAccountBindingRequired\": false\n"
                   "}}\n");
    pebble_pid_ = spawn({"pebble", "-config", (d / "pebble.json").string(), "-dnsserver", dns},
                        {"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0"}, d / "pebble.log");
    if (!wait_port(pebble_pid_, acme_port_) || !wait_port(pebble_pid_, management_port_)) continue;

    ProcessResult root = run_tool({"curl", "-sS", "--fail", "--max-time", "20", "--cacert", listener_ca().string(),
                                   "https://127.0.0.1:" + std::to_string(management_port_) + "/roots/0"});
    if (root.out.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
      throw std::runtime_error("pebble's /roots/0 gave no certificate: " + root.out);
    write_text(issuing_root(), root.out);
    return;
  }
  throw std::runtime_error("pebble did not start (are pebble and pebble-challtestsrv installed?):\n" + log());
}

void Pebble::stop_ca() {
  stop_pid(pebble_pid_);
}

void Pebble::stop_all() {
  stop_pid(pebble_pid_);
  stop_pid(challtest_pid_);
}

void Pebble::manage(const std::string& path, const std::string& json) const {
  run_tool({"curl", "-sS", "--fail", "--max-time", "20", "-X", "POST", "--data-binary", json,
            "http://127.0.0.1:" + std::to_string(challtest_port_) + path});
}

void Pebble::resolve(const std::string& name, const std::string& ipv4) const {
  std::string fqdn = name.empty() || name.back() == '.' ? name : name + ".";
  // challtestsrv adds to a name's addresses: the old ones go first, or a
  // validator would still reach the previous address.
  manage("/clear-a", "{\"host\":" + json_string(fqdn) + "}");
  manage("/add-a", "{\"host\":" + json_string(fqdn) + ",\"addresses\":[" + json_string(ipv4) + "]}");
}

void Pebble::set_default_ipv4(const std::string& ipv4) const {
  manage("/set-default-ipv4", "{\"ip\":" + json_string(ipv4) + "}");
}

std::string Pebble::log() const {
  return "--- pebble-challtestsrv:\n" + read_or_empty(dir() / "challtestsrv.log") + "--- pebble:\n" +
         read_or_empty(dir() / "pebble.log");
}

}  // namespace sc::test
