#include "common/fan_out.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <exception>
#include <filesystem>
#include <optional>
#include <stdexcept>

extern char** environ;

namespace plugin_common::fan_out {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

/// A pidfd of `pid` (readable once it ended), or -1 where the kernel has
/// none: then the loop looks with waitpid(WNOHANG) every few milliseconds.
int pidfd_of(pid_t pid) {
#ifdef SYS_pidfd_open
  const long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0) {
    ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
    return static_cast<int>(fd);
  }
#endif
  (void)pid;
  return -1;
}

/// One job while it runs.
struct Running {
  std::size_t index = 0;
  pid_t pid = -1;
  int out = -1, err = -1, pidfd = -1;
  Clock::time_point start;
  std::optional<Clock::time_point> deadline;
  bool killed = false;
  std::string partial[2];  ///< the line being read, per stream
};

class Runner {
 public:
  Runner(const std::vector<Job>& jobs, const Options& o) : jobs_(jobs), o_(o), results_(jobs.size()) {}

  ~Runner() {
    // Only reached with jobs left on an exception: none outlives us.
    for (auto& r : running_) {
      ::kill(-r.pid, SIGKILL);
      ::kill(r.pid, SIGKILL);
      int status = 0;
      while (::waitpid(r.pid, &status, 0) < 0 && errno == EINTR) {
      }
      close_fd(r.out);
      close_fd(r.err);
      close_fd(r.pidfd);
    }
  }

  std::vector<Result> run() {
    const std::size_t limit = std::max<std::size_t>(o_.concurrency, 1);
    std::size_t next = 0;
    for (;;) {
      while (running_.size() < limit && next < jobs_.size()) start(next++);
      if (running_.empty()) break;
      wait_once();
    }
    return std::move(results_);
  }

 private:
  void start(std::size_t i) {
    Result& res = results_[i];
    const Job& job = jobs_[i];
    if (job.argv.empty() || job.argv[0].empty()) {
      res.error = "empty command";
      done(i);
      return;
    }
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0) {
      res.error = std::string("pipe: ") + std::strerror(errno);
      done(i);
      return;
    }
    if (::pipe2(err, O_CLOEXEC) != 0) {
      res.error = std::string("pipe: ") + std::strerror(errno);
      ::close(out[0]);
      ::close(out[1]);
      done(i);
      return;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // Default signal handling (sc ignores SIGPIPE), nothing blocked, and a
    // process group of its own, so that the deadline kills its children too.
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
    std::vector<char*> argv;
    for (const auto& a : job.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int rc = ::posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    ::close(out[1]);
    ::close(err[1]);
    if (rc != 0) {
      res.error = job.argv[0] + ": " + (rc == ENOENT ? std::string("not found") : std::strerror(rc));
      ::close(out[0]);
      ::close(err[0]);
      done(i);
      return;
    }
    ::fcntl(out[0], F_SETFL, O_NONBLOCK);
    ::fcntl(err[0], F_SETFL, O_NONBLOCK);
    res.started = true;
    Running r;
    r.index = i;
    r.pid = pid;
    r.out = out[0];
    r.err = err[0];
    r.pidfd = pidfd_of(pid);
    r.start = Clock::now();
    if (job.deadline.count() > 0) r.deadline = r.start + job.deadline;
    running_.push_back(std::move(r));
  }

  /// One poll over every running job's pipes and pidfd, until something
  /// arrives, a job ends or the nearest deadline.
  void wait_once() {
    std::vector<pollfd> fds;
    bool without_pidfd = false;
    std::optional<Clock::time_point> nearest;
    for (const auto& r : running_) {
      if (r.out >= 0) fds.push_back({r.out, POLLIN, 0});
      if (r.err >= 0) fds.push_back({r.err, POLLIN, 0});
      if (r.pidfd >= 0) fds.push_back({r.pidfd, POLLIN, 0});
      without_pidfd = without_pidfd || r.pidfd < 0;
      if (r.deadline && !r.killed && (!nearest || *r.deadline < *nearest)) nearest = r.deadline;
    }
    int timeout = -1;
    if (nearest) {
      const auto left = std::chrono::ceil<milliseconds>(*nearest - Clock::now()).count();
      timeout = static_cast<int>(std::clamp<long long>(left, 0, INT_MAX));
    }
    if (without_pidfd) timeout = timeout < 0 ? 20 : std::min(timeout, 20);
    const int pr = ::poll(fds.data(), fds.size(), timeout);
    if (pr < 0 && errno != EINTR) throw std::runtime_error(std::string("poll: ") + std::strerror(errno));

    const auto now = Clock::now();
    for (std::size_t k = 0; k < running_.size();) {
      Running& r = running_[k];
      if (r.out >= 0) read_some(r, Stream::out, /*all=*/false);
      if (r.err >= 0) read_some(r, Stream::err, /*all=*/false);
      if (r.deadline && !r.killed && now >= *r.deadline) {
        // The whole group, and the child itself should it have left it.
        ::kill(-r.pid, SIGKILL);
        ::kill(r.pid, SIGKILL);
        r.killed = true;
        results_[r.index].timed_out = true;
      }
      int status = 0;
      const pid_t w = ::waitpid(r.pid, &status, WNOHANG);
      // ECHILD: reaped elsewhere (nothing in sc does): ended, status unknown.
      const bool gone = w < 0 && errno == ECHILD;
      if (w != r.pid && !gone) {
        ++k;
        continue;
      }
      if (gone) status = W_EXITCODE(255, 0);
      // Out of the list first: should a callback throw, the destructor
      // must not signal a pid that was reaped.
      Running ended = std::move(r);
      running_.erase(running_.begin() + static_cast<long>(k));
      finish(ended, status);
      done(ended.index);
    }
  }

  /// Reads what is there; `all`: until EOF or nothing more (the child has
  /// ended: what it wrote is all in the pipe, a grandchild holding the pipe
  /// open is not waited for).
  void read_some(Running& r, Stream s, bool all) {
    int& fd = s == Stream::out ? r.out : r.err;
    char buf[65536];
    for (int rounds = 0; fd >= 0 && (all || rounds < 4); ++rounds) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) {
        take(r, s, std::string_view(buf, static_cast<std::size_t>(n)));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN && !all) return;
      close_fd(fd);  // end of file, an error, or (all) nothing more
    }
  }

  void take(Running& r, Stream s, std::string_view piece) {
    Result& res = results_[r.index];
    std::string& kept = s == Stream::out ? res.out : res.err;
    const std::size_t room = kept.size() < o_.max_capture ? o_.max_capture - kept.size() : 0;
    kept.append(piece.substr(0, room));
    if (piece.size() > room) res.truncated = true;
    if (!o_.on_line) return;
    std::string& line = r.partial[s == Stream::out ? 0 : 1];
    for (;;) {
      const std::size_t nl = piece.find('\n');
      if (nl == std::string_view::npos) break;
      line.append(piece.substr(0, nl));
      std::string whole;
      whole.swap(line);
      o_.on_line(r.index, s, whole);
      piece.remove_prefix(nl + 1);
    }
    line.append(piece);
    // A "line" that never ends is handed on in pieces of kMaxLine bytes.
    while (line.size() >= kMaxLine) {
      std::string head = line.substr(0, kMaxLine);
      line.erase(0, kMaxLine);
      o_.on_line(r.index, s, head);
    }
  }

  static constexpr std::size_t kMaxLine = 65536;

  void finish(Running& r, int status) {
    Result& res = results_[r.index];
    struct Closer {
      Running& r;
      ~Closer() {
        close_fd(r.out);
        close_fd(r.err);
        close_fd(r.pidfd);
      }
    } closer{r};
    read_some(r, Stream::out, /*all=*/true);
    read_some(r, Stream::err, /*all=*/true);
    if (o_.on_line)
      for (int s = 0; s < 2; ++s)
        if (!r.partial[s].empty()) {
          std::string last;
          last.swap(r.partial[s]);
          o_.on_line(r.index, s == 0 ? Stream::out : Stream::err, last);
        }
    if (WIFEXITED(status)) res.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) res.term_signal = WTERMSIG(status);
    res.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - r.start);
  }

  void done(std::size_t i) {
    if (o_.on_done) o_.on_done(i, results_[i]);
  }

  const std::vector<Job>& jobs_;
  const Options& o_;
  std::vector<Result> results_;
  std::vector<Running> running_;
};

}  // namespace

std::string Result::describe() const {
  if (!started) return error.empty() ? std::string("not started") : error;
  if (timed_out) return "timed out after " + std::to_string((elapsed.count() + 500) / 1000) + " s";
  if (term_signal != 0) return "killed by signal " + std::to_string(term_signal) + " (" + strsignal(term_signal) + ")";
  return "exited with status " + std::to_string(exit_code);
}

std::vector<Result> run(const std::vector<Job>& jobs, const Options& options) {
  Runner runner(jobs, options);
  return runner.run();
}

std::string self_exe() {
  std::error_code ec;
  const std::filesystem::path p = std::filesystem::read_symlink("/proc/self/exe", ec);
  const std::string s = p.string();
  const std::string deleted = " (deleted)";
  if (ec || s.empty() ||
      (s.size() > deleted.size() && s.compare(s.size() - deleted.size(), deleted.size(), deleted) == 0))
    return "/proc/self/exe";
  return s;
}

}  // namespace plugin_common::fan_out
