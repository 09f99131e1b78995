#include "common/tunnel.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

namespace plugin_common::tunnel {

namespace {

using nlohmann::json;

constexpr const char* kStateDir = "/var/lib/sc/";

std::string suffix(std::string_view instance) {
  return instance.empty() ? std::string() : "-" + std::string(instance);
}

std::string duration_text(std::int64_t s) {
  if (s < 0) s = 0;
  if (s < 60) return std::to_string(s) + " s";
  if (s < 3600) return std::to_string(s / 60) + " min " + std::to_string(s % 60) + " s";
  if (s < 86400) return std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min";
  return std::to_string(s / 86400) + " d " + std::to_string(s % 86400 / 3600) + " h";
}

bool contains(std::string_view text, std::string_view what) {
  return text.find(what) != std::string_view::npos;
}

/// The number after `key` in `line` ("... listen port 22000"), or "".
std::string number_after(std::string_view line, std::string_view key) {
  size_t at = line.find(key);
  if (at == std::string_view::npos) return {};
  std::string n;
  for (size_t i = at + key.size(); i < line.size() && line[i] >= '0' && line[i] <= '9'; ++i) n += line[i];
  return n;
}

/// Makes the directories above `file` (0755) that are missing: the
/// daemon's own state directory under /var/lib/sc, on the running system.
bool make_parent_dirs(const std::string& file, std::string* err) {
  const std::string dir = file.substr(0, file.rfind('/'));
  for (size_t at = 1; at <= dir.size(); ++at) {
    if (at < dir.size() && dir[at] != '/') continue;
    const std::string part = dir.substr(0, at);
    if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) {
      if (err) *err = "cannot create " + part + ": " + std::strerror(errno);
      return false;
    }
  }
  return true;
}

}  // namespace

std::string status_path(std::string_view module, std::string_view instance) {
  return kStateDir + std::string(module) + "/status" + suffix(instance) + ".json";
}

std::string control_path(std::string_view module, std::string_view instance) {
  return kStateDir + std::string(module) + "/ctl" + suffix(instance);
}

std::string restart_command(std::string_view module, std::string_view instance) {
  return "sc daemon restart " + std::string(module) + (instance.empty() ? "" : " " + std::string(instance));
}

std::string to_json(const Status& s) {
  json j = {{"module", s.module},
            {"instance", s.instance},
            {"state", s.state},
            {"since", s.since ? json(iso_time(s.since)) : json(nullptr)},
            {"since_epoch", s.since},
            {"last_error", s.last_error},
            {"last_error_at", s.last_error_at ? json(iso_time(s.last_error_at)) : json(nullptr)},
            {"last_error_at_epoch", s.last_error_at},
            {"attempts", s.attempts},
            {"pid", s.pid},
            {"target", s.target}};
  return j.dump() + "\n";
}

std::optional<Status> from_json(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("state") || !j["state"].is_string()) return std::nullopt;
  Status s;
  auto str = [&j](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : ""; };
  auto num = [&j](const char* k) -> std::int64_t {
    return j.contains(k) && j[k].is_number_integer() ? j[k].get<std::int64_t>() : 0;
  };
  s.module = str("module");
  s.instance = str("instance");
  s.state = str("state");
  s.since = num("since_epoch");
  s.last_error = str("last_error");
  s.last_error_at = num("last_error_at_epoch");
  s.attempts = num("attempts");
  s.pid = static_cast<long>(num("pid"));
  s.target = str("target");
  return s;
}

std::string describe(const Status& s, std::int64_t now, bool alive) {
  std::string out;
  if (!alive && s.state != "stopped") {
    out = "down: its daemon (pid " + std::to_string(s.pid) + ") is not running; it said \"" + s.state + "\" since " +
          iso_time(s.since);
  } else {
    out = s.state + " since " + iso_time(s.since) + " (" + duration_text(now - s.since) + ")";
  }
  if (!s.target.empty()) out += "; " + s.target;
  out += "; " + std::to_string(s.attempts) + (s.attempts == 1 ? " connection" : " connections") + " started";
  if (!s.last_error.empty())
    out += "\nlast error (" + iso_time(s.last_error_at) + ", " + duration_text(now - s.last_error_at) +
           " ago): " + s.last_error;
  return out;
}

bool daemon_running(long pid, std::string_view module) {
  if (pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM)) return false;
  // A pid the kernel gave to another program since is not our daemon.
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
  std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return cmd.find(std::string(module) + '\0' + "daemon") != std::string::npos;
}

std::string status_problem(const std::optional<Status>& s, bool alive, std::string_view status_file) {
  if (!s) return "its daemon has not run yet (no " + std::string(status_file) + ")";
  if (!alive && s->state != "stopped") return "its daemon (pid " + std::to_string(s->pid) + ") is not running";
  if (s->state != "up") return "the tunnel is " + s->state + (s->last_error.empty() ? "" : ": " + s->last_error);
  return "";
}

std::optional<Status> read_status(const sc::Context& ctx, std::string_view module, std::string_view instance,
                                  bool* alive) {
  auto text = ctx.read_file(status_path(module, instance));
  if (alive) *alive = false;
  if (!text) return std::nullopt;
  auto s = from_json(*text);
  if (!s) return std::nullopt;
  if (alive) {
    if (ctx.rooted()) {
      *alive = true;
    } else {
      *alive = daemon_running(s->pid, module);
    }
  }
  return s;
}

bool write_atomically(const std::string& path, const std::string& text, std::string* err) {
  auto fail = [&](const std::string& what) {
    if (err) *err = what + ": " + std::strerror(errno);
    return false;
  };
  if (!make_parent_dirs(path, err)) return false;
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return fail("cannot write " + tmp);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return fail("cannot write " + tmp);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return fail("cannot write " + tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return fail("cannot rename " + tmp + " to " + path);
  }
  return true;
}

int backoff_seconds(int failures, int cap) {
  if (failures <= 1) return std::min(1, cap);
  int d = 1;
  for (int i = 1; i < failures && d < cap; ++i) d *= 2;
  return std::min(d, cap);
}

std::string explain_ssh_error(std::string_view line) {
  if (contains(line, "remote port forwarding failed for listen port")) {
    std::string port = number_after(line, "listen port ");
    return "the peer refused to listen on its port " + port +
           ": the port is taken there, most likely by a previous tunnel of this host that the peer has not yet "
           "noticed is dead (its sshd frees it after ClientAliveInterval × ClientAliveCountMax; see the README), "
           "or by another program";
  }
  if (contains(line, "cannot listen to port") || (contains(line, "bind ") && contains(line, "Address already in use")))
    return "a local port to forward is taken on this host (" + std::string(line) + ")";
  if (contains(line, "Could not request local forwarding")) return "a local forward could not be set up";
  // A forwarded connection, not the tunnel: "channel 2: open failed:
  // connect failed: Connection refused".
  if (contains(line, "open failed"))
    return "the peer could not open a forwarded connection (" + std::string(line) + "): is the service running there?";
  if (contains(line, "Connection refused")) return "the peer refused the connection (is its sshd running?)";
  if (contains(line, "Connection timed out") || contains(line, "Operation timed out"))
    return "the peer did not answer (connection timed out)";
  if (contains(line, "No route to host") || contains(line, "Network is unreachable"))
    return "the peer cannot be reached (" + std::string(line) + ")";
  if (contains(line, "Could not resolve hostname")) return "the peer's name does not resolve";
  if (contains(line, "REMOTE HOST IDENTIFICATION HAS CHANGED") || contains(line, "Host key verification failed"))
    return "the peer's host key is unknown or changed: check it and link it again with `sc sshlink add`";
  if (contains(line, "Permission denied")) return "the peer refused our key: link it again with `sc sshlink add`";
  if (contains(line, "not responding"))
    return "the peer stopped answering keepalives (the path is dead or the peer hangs)";
  if (contains(line, "connect_to ") && contains(line, "failed"))
    return "the tunnel's local end does not answer (" + std::string(line) + ")";
  if (contains(line, "Connection closed") || contains(line, "Connection reset") || contains(line, "Broken pipe"))
    return "the connection was closed (" + std::string(line) + ")";
  return {};
}

// ---- the supervisor ------------------------------------------------------------------

namespace {

volatile sig_atomic_t g_stop = 0;

void on_stop_signal(int) {
  g_stop = 1;
}

std::int64_t now_s() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

void log_line(const Spec& spec, const std::string& text) {
  std::string who = spec.module + (spec.instance.empty() ? "" : " " + spec.instance);
  std::string line = who + ": " + text + "\n";
  (void)!::write(2, line.data(), line.size());
}

void write_status(const Spec& spec, const Status& s) {
  std::string err;
  if (!write_atomically(status_path(spec.module, spec.instance), to_json(s), &err))
    log_line(spec, "cannot record the status: " + err);
}

struct Proc {
  pid_t pid = -1;
  int out = -1;  ///< what we read (the child's stdout or stderr)
  int in = -1;   ///< the write end of the child's stdin, kept open (or -1)
  std::string buf;
};

/// Starts argv with its stdin from /dev/null or a pipe we hold open
/// (`keep_stdin`), and `read_fd` (1 or 2) a pipe to us; the other output
/// goes to /dev/null. The child dies with us.
Proc spawn(const std::vector<std::string>& argv, int read_fd, bool keep_stdin) {
  Proc p;
  int out[2], in[2] = {-1, -1};
  if (::pipe2(out, O_CLOEXEC) != 0) return p;
  if (keep_stdin && ::pipe2(in, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    return p;
  }
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(keep_stdin ? in[0] : null, 0);
    ::dup2(out[1], read_fd);
    ::dup2(null, read_fd == 2 ? 1 : 2);  // a probe's complaints are its failure, said once by us
    ::execvp(cargv[0], cargv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  if (keep_stdin) ::close(in[0]);
  if (pid < 0) {
    ::close(out[0]);
    if (keep_stdin) ::close(in[1]);
    return p;
  }
  ::fcntl(out[0], F_SETFL, O_NONBLOCK);
  p.pid = pid;
  p.out = out[0];
  p.in = keep_stdin ? in[1] : -1;
  return p;
}

/// Reads what is there; false at end of file.
bool drain(Proc& p) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(p.out, buf, sizeof buf);
    if (n > 0) {
      if (p.buf.size() < 65536) p.buf.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return false;
    return errno == EAGAIN || errno == EINTR;
  }
}

void close_fds(Proc& p) {
  if (p.out >= 0) ::close(p.out);
  if (p.in >= 0) ::close(p.in);
  p.out = p.in = -1;
}

/// Kills and reaps p (SIGTERM, SIGKILL after `grace` seconds).
int stop(Proc& p, int grace) {
  int status = 0;
  if (p.pid > 0) {
    ::kill(p.pid, SIGTERM);
    for (int i = 0; i < grace * 10; ++i) {
      if (::waitpid(p.pid, &status, WNOHANG) == p.pid) {
        p.pid = -1;
        break;
      }
      ::usleep(100000);
    }
    if (p.pid > 0) {
      ::kill(p.pid, SIGKILL);
      ::waitpid(p.pid, &status, 0);
      p.pid = -1;
    }
  }
  close_fds(p);
  return status;
}

bool is_socket(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

std::string exit_text(int status) {
  if (WIFSIGNALED(status)) return "ssh was killed by signal " + std::to_string(WTERMSIG(status));
  return "ssh ended with status " + std::to_string(WEXITSTATUS(status));
}

/// Lines of ssh's stderr worth keeping: not the chatter of a first contact.
bool noise(std::string_view line) {
  return line.empty() || contains(line, "Permanently added") || contains(line, "Pseudo-terminal");
}

void sleep_until(std::int64_t when) {
  while (!g_stop && now_s() < when) ::usleep(200000);
}

}  // namespace

int supervise(const Spec& spec) {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGHUP, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  Status st;
  st.module = spec.module;
  st.instance = spec.instance;
  st.pid = static_cast<long>(::getpid());
  st.target = spec.target;
  const std::string ctl = control_path(spec.module, spec.instance);
  if (std::string err; !make_parent_dirs(ctl, &err)) log_line(spec, err);
  int failures = 0;
  auto set_state = [&](const std::string& state) {
    if (st.state != state) {
      st.state = state;
      st.since = now_s();
    }
    write_status(spec, st);
  };
  auto set_error = [&](const std::string& e) {
    st.last_error = e;
    st.last_error_at = now_s();
  };

  while (!g_stop) {
    ::unlink(ctl.c_str());  // a socket left by a killed run would disable the control master
    ++st.attempts;
    st.state = "";  // a new run starts "connecting" now
    set_state("connecting");
    log_line(spec, "connecting (attempt " + std::to_string(st.attempts) + "): " + spec.target);
    Proc ssh = spawn(spec.ssh, 2, false);
    if (ssh.pid < 0) {
      set_error(std::string("cannot start ssh: ") + std::strerror(errno));
      ++failures;
      set_state("down");
      sleep_until(now_s() + backoff_seconds(failures, spec.backoff_cap));
      continue;
    }
    std::int64_t up_at = 0, next_probe = now_s() + 1, probe_deadline = 0;
    int probe_fails = 0, status = 0;
    bool exited = false;
    std::string last_line, first_known, kill_reason;
    Proc probe;
    while (!exited) {
      pollfd fds[2] = {{ssh.out, POLLIN, 0}, {probe.out, POLLIN, 0}};
      ::poll(fds, probe.out >= 0 ? 2 : 1, 200);
      // ssh's stderr, line by line, to our log.
      if (ssh.out >= 0) {
        bool open = drain(ssh);
        size_t nl;
        while ((nl = ssh.buf.find('\n')) != std::string::npos) {
          std::string line = ssh.buf.substr(0, nl);
          ssh.buf.erase(0, nl + 1);
          if (!line.empty() && line.back() == '\r') line.pop_back();
          if (noise(line)) continue;
          log_line(spec, "ssh: " + line);
          last_line = line;
          if (st.state != "up" && first_known.empty() && !explain_ssh_error(line).empty()) first_known = line;
          // A forward that fails later (portforward's remote service, the
          // lifeline's local sshd) does not end ssh: it is not silent.
          if (std::string why = explain_ssh_error(line); !why.empty() && st.state == "up") {
            set_error(why);
            write_status(spec, st);
          }
        }
        if (!open) {
          ::close(ssh.out);
          ssh.out = -1;
        }
      }
      if (::waitpid(ssh.pid, &status, WNOHANG) == ssh.pid) {
        ssh.pid = -1;
        exited = true;
        break;
      }
      if (g_stop) break;
      const std::int64_t now = now_s();
      // The probe.
      if (probe.pid > 0) {
        if (probe.out >= 0 && !drain(probe)) {
          ::close(probe.out);
          probe.out = -1;
        }
        int ps = 0;
        bool done = ::waitpid(probe.pid, &ps, WNOHANG) == probe.pid;
        if (done) probe.pid = -1;
        std::optional<bool> ok;
        if (!spec.probe_expect.empty() && probe.buf.size() >= spec.probe_expect.size())
          ok = probe.buf.compare(0, spec.probe_expect.size(), spec.probe_expect) == 0;
        else if (done)
          ok = spec.probe_expect.empty() && WIFEXITED(ps) && WEXITSTATUS(ps) == 0;
        else if (now >= probe_deadline)
          ok = false;
        if (ok) {
          stop(probe, 1);
          probe = Proc();
          if (*ok) {
            probe_fails = 0;
            if (st.state != "up") {
              up_at = now;
              set_state("up");
              log_line(spec, "up: " + spec.target);
            }
          } else {
            ++probe_fails;
            if (st.state == "up")
              log_line(spec, "no answer through the tunnel (" + std::to_string(probe_fails) + " in a row)");
            if (st.state == "up" && probe_fails >= spec.probe_failures) {
              kill_reason = "no answer through the tunnel for " +
                            std::to_string(spec.probe_failures * spec.probe_interval) +
                            " s: the path or the peer is dead; reconnecting";
              break;
            }
            if (st.state != "up" && probe_fails == spec.probe_failures) {
              log_line(spec, "connected, but no answer through the tunnel yet");
              set_error("connected, but the tunnel does not work end to end yet: " +
                        (last_line.empty() ? std::string("no answer through it") : last_line));
              write_status(spec, st);
            }
          }
          next_probe = now + (st.state == "up" ? spec.probe_interval : 1);
        }
      } else if (now >= next_probe) {
        // Only through the control socket: never a second connection.
        if (is_socket(ctl)) {
          probe = spawn(spec.probe, 1, true);
          probe_deadline = now + spec.probe_timeout;
        }
        next_probe = now + 1;
      }
    }
    if (probe.pid > 0 || probe.out >= 0) stop(probe, 1);
    if (!exited) {
      status = stop(ssh, 5);
    } else {
      // The rest of what ssh said.
      if (ssh.out >= 0) drain(ssh);
      for (size_t nl; (nl = ssh.buf.find('\n')) != std::string::npos;) {
        std::string line = ssh.buf.substr(0, nl);
        ssh.buf.erase(0, nl + 1);
        if (noise(line)) continue;
        log_line(spec, "ssh: " + line);
        last_line = line;
        if (st.state != "up" && first_known.empty() && !explain_ssh_error(line).empty()) first_known = line;
      }
      close_fds(ssh);
    }
    if (g_stop) break;
    std::string error = kill_reason;
    if (error.empty()) {
      // The first line that says what went wrong: what follows it is often
      // only its consequence ("Could not request local forwarding").
      std::string why = explain_ssh_error(first_known.empty() ? last_line : first_known);
      error = why.empty() ? exit_text(status) + (last_line.empty() ? "" : ": " + last_line) : why;
    }
    set_error(error);
    const std::int64_t now = now_s();
    if (up_at && now - up_at >= 30) failures = 0;
    ++failures;
    const int delay = backoff_seconds(failures, spec.backoff_cap);
    set_state("down");
    log_line(spec, "down: " + error + "; next attempt in " + std::to_string(delay) + " s");
    sleep_until(now + delay);
  }
  ::unlink(ctl.c_str());
  set_state("stopped");
  log_line(spec, "stopped");
  return 0;
}

}  // namespace plugin_common::tunnel
