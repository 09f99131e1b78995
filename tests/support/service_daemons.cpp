#include "service_daemons.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "cluster_checks.hpp"

namespace sc::test {
namespace {

struct Daemon {
  std::string name;
  std::vector<std::string> start;
  std::vector<std::string> stop;
  /// Its pid file: /run and /var/spool are the machine's, read from here.
  std::string pidfile;
};

const std::vector<Daemon>& table() {
  static const std::vector<Daemon> t = {
      {"nginx", {"nginx"}, {"nginx", "-s", "stop"}, "/run/nginx.pid"},
      {"apache2", {"apache2ctl", "start"}, {"apache2ctl", "stop"}, "/run/apache2/apache2.pid"},
      {"postfix", {"postfix", "start"}, {"postfix", "stop"}, "/var/spool/postfix/pid/master.pid"},
      {"dovecot", {"dovecot"}, {"doveadm", "stop"}, "/run/dovecot/master.pid"},
      {"spamd",
       {"spamd", "--daemonize", "--pidfile=/run/spamd.pid", "--create-prefs", "--max-children", "2",
        "--helper-home-dir", "--listen=127.0.0.1:783", "--syslog=stderr"},
       {"start-stop-daemon", "--stop", "--quiet", "--retry", "TERM/10/KILL/5", "--pidfile", "/run/spamd.pid",
        "--remove-pidfile"},
       "/run/spamd.pid"},
  };
  return t;
}

const Daemon& daemon_named(const std::string& name) {
  for (const auto& d : table())
    if (d.name == name) return d;
  throw std::invalid_argument("Daemons: no daemon named " + name);
}

std::string pid_in(const std::string& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return "";
  std::string pid;
  for (char ch : read_text(file)) {
    if (ch >= '0' && ch <= '9')
      pid += ch;
    else if (!pid.empty())
      break;
  }
  return pid;
}

/// The words run in the host with their output appended to the log: a
/// daemon that kept on()'s stdout or stderr open would make it wait. The
/// words are the shell's positional parameters, never parsed by it.
std::vector<std::string> logged(const std::vector<std::string>& argv) {
  std::vector<std::string> sh = {"sh", "-c", "exec \"$0\" \"$@\" </dev/null >>/root/daemons.log 2>&1"};
  sh.insert(sh.end(), argv.begin(), argv.end());
  return sh;
}

}  // namespace

Daemons::Daemons(const Cluster& c, std::string host) : c_(c), host_(std::move(host)) {}

Daemons::~Daemons() {
  while (!running_.empty()) {
    try {
      stop(running_.back());
    } catch (...) {
      running_.pop_back();  // a destructor goes on with the others
    }
  }
}

const std::vector<std::string>& Daemons::known() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& d : table()) n.push_back(d.name);
    return n;
  }();
  return names;
}

void Daemons::start(const std::string& name) {
  const Daemon& d = daemon_named(name);
  sc::ProcessResult r = c_.on(host_, logged(d.start));
  running_.push_back(name);
  INFO(host_ << ": " << d.start.front() << " did not start:\n" << log());
  REQUIRE(r.exit_code == 0);
}

void Daemons::stop(const std::string& name) {
  const Daemon& d = daemon_named(name);
  const std::string pid = pid_in(d.pidfile);
  c_.on(host_, logged(d.stop));
  for (auto it = running_.begin(); it != running_.end(); ++it)
    if (*it == name) {
      running_.erase(it);
      break;
    }
  if (pid.empty()) return;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (fs::exists("/proc/" + pid) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

std::string Daemons::log() const {
  return c_.on(host_, {"cat", "/root/daemons.log"}).out;
}

sc::ProcessResult mail_client(const Cluster& c, const std::string& host, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"python3", std::string(kSourceDir) + "/tests/support/mail_client.py"};
  argv.insert(argv.end(), args.begin(), args.end());
  return c.on(host, argv);
}

int maildir_messages(const fs::path& folder) {
  int n = 0;
  for (const char* sub : {"new", "cur"}) {
    std::error_code ec;
    if (fs::is_directory(folder / sub, ec))
      for ([[maybe_unused]] const auto& e : fs::directory_iterator(folder / sub)) ++n;
  }
  return n;
}

bool mail_delivered(const fs::path& folder, int count) {
  return wait_for([&] { return maildir_messages(folder) >= count; }, 60) >= 0;
}

sc::ProcessResult apache_check(const std::string& snippet) {
  TempDir dir;
  write_text(dir / "snippet.conf", snippet);
  std::string conf = "ServerRoot /etc/apache2\nServerName localhost\n";
  for (const char* m : {"mpm_prefork", "authz_core", "alias", "rewrite", "dir", "mime", "env"})
    conf += std::string("LoadModule ") + m + "_module /usr/lib/apache2/modules/mod_" + m + ".so\n";
  conf += "Listen 127.0.0.1:1\nPidFile " + (dir / "pid").string() + "\nErrorLog " + (dir / "error.log").string() +
          "\nInclude " + (dir / "snippet.conf").string() + "\n";
  write_text(dir / "apache2.conf", conf);
  sc::ProcessSpec p;
  p.argv = {"apache2", "-t", "-f", (dir / "apache2.conf").string()};
  p.capture_out = p.capture_err = true;
  return sc::run_process(p);
}

}  // namespace sc::test
