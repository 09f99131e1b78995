#include "engine/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "base/fd.hpp"

extern char** environ;

namespace sc {
namespace {

/// A pipe: [0] the read end, [1] the write end.
struct Pipe {
  Fd end[2];
  bool open() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    end[0].reset(fds[0]);
    end[1].reset(fds[1]);
    return true;
  }
};

/// The child's stdin, stdout and stderr, as seen from the parent.
struct Pipes {
  Pipe in, out, err;
};

std::vector<std::string> merged_environment(const std::vector<std::string>& add) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string item(*e);
    std::string name = item.substr(0, item.find('='));
    bool replaced = false;
    for (const auto& a : add)
      if (a.compare(0, name.size() + 1, name + "=") == 0) replaced = true;
    if (!replaced) env.push_back(std::move(item));
  }
  env.insert(env.end(), add.begin(), add.end());
  return env;
}

std::vector<char*> c_vector(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

long elapsed_ms(std::chrono::steady_clock::time_point start) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace

std::string ProcessResult::describe() const {
  if (!started) return error;
  if (timed_out) return "timed out" + (error.empty() ? std::string() : " (" + error + ")");
  if (term_signal != 0) return "killed by signal " + std::to_string(term_signal) + " (" + strsignal(term_signal) + ")";
  return "exited with status " + std::to_string(exit_code);
}

namespace {

/// Starts the program, its stdin, stdout and stderr as `spec` says, in
/// `p` (the parent's ends stay open, the child's are closed here). False
/// with *error when it cannot be started.
bool spawn(const ProcessSpec& spec, Pipes& p, pid_t* pid, std::string* error) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (spec.input)
    posix_spawn_file_actions_adddup2(&fa, p.in.end[0].get(), 0);
  else if (!spec.inherit_stdin)
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (spec.capture_out)
    posix_spawn_file_actions_adddup2(&fa, p.out.end[1].get(), 1);
  else if (spec.out_to_err)
    posix_spawn_file_actions_adddup2(&fa, 2, 1);
  if (spec.capture_err) posix_spawn_file_actions_adddup2(&fa, p.err.end[1].get(), 2);
  if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, spec.cwd.c_str());

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // The child starts with default signal handling (we ignore SIGPIPE) and
  // in its own process group, so a timeout can stop it and its children.
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(
      &attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | (spec.timeout.count() > 0 ? POSIX_SPAWN_SETPGROUP : 0));

  std::vector<std::string> argv = spec.argv;
  std::vector<std::string> env = merged_environment(spec.env_add);
  auto cargv = c_vector(argv);
  auto cenv = c_vector(env);
  int rc = posix_spawnp(pid, cargv[0], &fa, &attr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    *error = spec.argv[0] + ": " + (rc == ENOENT ? std::string("not found") : std::strerror(rc));
    return false;
  }
  p.in.end[0].reset();
  p.out.end[1].reset();
  p.err.end[1].reset();
  if (!spec.input) p.in.end[1].reset();
  if (!spec.capture_out) p.out.end[0].reset();
  if (!spec.capture_err) p.err.end[0].reset();
  if (p.in.end[1]) ::fcntl(p.in.end[1].get(), F_SETFL, O_NONBLOCK);
  return true;
}

/// Feeds the child's stdin and collects its stdout and stderr until every
/// pipe is closed and, with a timeout, until the child ends or was killed
/// (SIGTERM to its group at the limit, SIGKILL 2 s later). True when the
/// child was reaped here (*status set).
bool exchange(const ProcessSpec& spec, pid_t pid, Pipes& p, ProcessResult* res, int* status) {
  size_t written = 0;
  const auto start = std::chrono::steady_clock::now();
  bool term_sent = false;
  char buf[65536];
  const bool limited = spec.timeout.count() > 0;
  Fd& in = p.in.end[1];
  Fd& out = p.out.end[0];
  Fd& err = p.err.end[0];
  for (;;) {
    const bool pipes_open = in || out || err;
    if (!pipes_open && !limited) return false;  // nothing left but a plain wait
    if (!pipes_open && ::waitpid(pid, status, WNOHANG) == pid) return true;
    int wait_ms = -1;
    if (limited) {
      long left = static_cast<long>(spec.timeout.count()) - elapsed_ms(start) + (term_sent ? 2000 : 0);
      if (left <= 0) {
        ::kill(-pid, term_sent ? SIGKILL : SIGTERM);
        res->timed_out = true;
        if (term_sent) return false;
        term_sent = true;
        continue;
      }
      // Without pipes to watch, poll the child's state every 10 ms.
      wait_ms = pipes_open ? static_cast<int>(left) : static_cast<int>(std::min(left, 10L));
    }
    pollfd fds[3];
    nfds_t n = 0;
    if (in) fds[n++] = {in.get(), POLLOUT, 0};
    if (out) fds[n++] = {out.get(), POLLIN, 0};
    if (err) fds[n++] = {err.get(), POLLIN, 0};
    int pr = ::poll(fds, n, wait_ms);
    if (pr < 0 && errno == EINTR) continue;
    if (pr < 0) return false;
    for (nfds_t i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      if (in && fds[i].fd == in.get()) {
        ssize_t w = ::write(in.get(), spec.input->data() + written, spec.input->size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if (w < 0 && errno != EAGAIN && errno != EINTR) written = spec.input->size();
        if (written >= spec.input->size()) in.reset();
        continue;
      }
      const bool is_out = out && fds[i].fd == out.get();
      ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
      if (r > 0)
        (is_out ? res->out : res->err).append(buf, static_cast<size_t>(r));
      else if (r == 0 || (errno != EINTR && errno != EAGAIN))
        (is_out ? out : err).reset();
    }
  }
}

}  // namespace

ProcessResult run_process(const ProcessSpec& spec) {
  ProcessResult res;
  if (spec.argv.empty() || spec.argv[0].empty()) {
    res.error = "empty command";
    return res;
  }
  Pipes pipes;
  if (!pipes.in.open() || !pipes.out.open() || !pipes.err.open()) {
    res.error = std::string("pipe: ") + std::strerror(errno);
    return res;
  }
  pid_t pid = -1;
  if (!spawn(spec, pipes, &pid, &res.error)) return res;
  res.started = true;
  int status = 0;
  const bool reaped = exchange(spec, pid, pipes, &res, &status);
  pipes = Pipes{};
  while (!reaped && ::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) res.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) res.term_signal = WTERMSIG(status);
  if (res.timed_out) res.error = "after " + std::to_string(spec.timeout.count()) + " ms";
  return res;
}

std::string shell_quote(std::string_view word) {
  bool plain = !word.empty();
  for (unsigned char c : word)
    if (!(std::isalnum(c) || std::strchr("@%+=:,./_-", c) != nullptr) || c == '\0') plain = false;
  if (plain) return std::string(word);
  std::string q = "'";
  for (char c : word) {
    if (c == '\'')
      q += "'\\''";
    else
      q += c;
  }
  return q + '\'';
}

std::string format_argv(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    s += shell_quote(a);
  }
  return s;
}

}  // namespace sc
