// sc_bench: runs a command many times and prints whole-process latency
// (median, 90th percentile, minimum) in milliseconds. Used by bench/run and
// the other scripts of bench/.
//
//   sc_bench [--runs N] [--warmup N] [--timeout S] LABEL -- COMMAND [ARGS...]
//
// Output, one line: "LABEL<TAB>median<TAB>p90<TAB>min<TAB>runs".
//
// Paired mode: two commands, A and B, timed in turn (A, B, A, B, ...), so
// that a change in the machine's load falls on both alike; each pair's
// ratio A/B is taken, and their median is the figure to read:
//
//   sc_bench [--runs N] [--warmup N] [--timeout S] LABEL -- A [ARGS...] --vs B [ARGS...]
//
// A's words run up to the first word that is exactly "--vs", B's are the
// rest (so A cannot itself have a word "--vs", B can; a command with such a
// word is paired). Neither goes through a shell: for a pipe, give `sh -c
// '...'` as the command. --warmup W runs W untimed pairs before the timed
// ones (--runs N: N pairs). Output, one line:
//
//   "LABEL<TAB>A median<TAB>B median<TAB>ratio median<TAB>ratio min<TAB>ratio max<TAB>pairs"
//
// times in milliseconds, ratios A/B of one pair each; a median here is the
// middle value, or the mean of the two middle ones for an even count.
//
// Both modes: every run's stdin, stdout and stderr are /dev/null; a run
// that fails (exit status not 0) stops sc_bench with status 1. With
// --timeout S (seconds, 0 = none, the default) each run starts in a process
// group of its own and a run still going after S seconds is killed with its
// group (SIGKILL), which fails it likewise; SIGINT, SIGTERM or SIGHUP to
// sc_bench then kills the running group too before sc_bench exits.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

extern char** environ;

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: sc_bench [--runs N] [--warmup N] [--timeout S] LABEL -- COMMAND [ARGS...]\n"
               "       sc_bench [--runs N] [--warmup N] [--timeout S] LABEL -- A [ARGS...] --vs B [ARGS...]\n");
  return 2;
}

/// The signal mask sc_bench started with: every child gets it back.
sigset_t original_mask;

/// The signals main blocks: SIGCHLD (for sigtimedwait), and with --timeout
/// those that end sc_bench, so that the run's process group ends with it.
sigset_t blocked;

/// Waits for pid; with timeout_s > 0, kills its process group after that
/// many seconds, or when sc_bench gets SIGINT, SIGTERM or SIGHUP (then
/// exits 128 + the signal). Returns false on timeout.
bool wait_child(pid_t pid, int* status, double timeout_s) {
  if (timeout_s > 0) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    for (;;) {
      pid_t done = waitpid(pid, status, WNOHANG);
      if (done == pid) return true;
      if (done < 0 && errno != EINTR) return true;  // cannot happen: pid is ours
      auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) {
        kill(-pid, SIGKILL);
        while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
        }
        return false;
      }
      auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
      timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
      int sig = sigtimedwait(&blocked, nullptr, &ts);  // a SIGCHLD, the deadline or EINTR: check again
      if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
        kill(-pid, SIGKILL);
        while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
        }
        std::_Exit(128 + sig);
      }
    }
  }
  while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
  }
  return true;
}

/// One run; returns its wall time in ms, or a negative value on failure.
double run_once(char** argv, double timeout_s) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  short flags = POSIX_SPAWN_SETSIGMASK;
  if (timeout_s > 0) {
    flags = static_cast<short>(flags | POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
  }
  posix_spawnattr_setflags(&attr, flags);
  posix_spawnattr_setsigmask(&attr, &original_mask);
  auto start = std::chrono::steady_clock::now();
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    std::fprintf(stderr, "sc_bench: cannot run %s: %s\n", argv[0], std::strerror(rc));
    return -1;
  }
  int status = 0;
  bool in_time = wait_child(pid, &status, timeout_s);
  auto end = std::chrono::steady_clock::now();
  if (!in_time) {
    std::fprintf(stderr, "sc_bench: %s timed out (%g s), killed\n", argv[0], timeout_s);
    return -1;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "sc_bench: %s failed (status %d)\n", argv[0], status);
    return -1;
  }
  return std::chrono::duration<double, std::milli>(end - start).count();
}

/// The middle value of v (sorted here), or the mean of the two middle ones.
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int paired(const char* label, char** a, char** b, int runs, int warmup, double timeout_s) {
  for (int w = 0; w < warmup; ++w)
    if (run_once(a, timeout_s) < 0 || run_once(b, timeout_s) < 0) return 1;
  std::vector<double> ta, tb, ratios;
  for (int r = 0; r < runs; ++r) {
    double x = run_once(a, timeout_s);
    if (x < 0) return 1;
    double y = run_once(b, timeout_s);
    if (y < 0) return 1;
    ta.push_back(x);
    tb.push_back(y);
    ratios.push_back(y > 0 ? x / y : INFINITY);
  }
  auto [lo, hi] = std::minmax_element(ratios.begin(), ratios.end());
  std::printf("%s\t%.2f\t%.2f\t%.3f\t%.3f\t%.3f\t%d\n", label, median(ta), median(tb), median(ratios), *lo, *hi, runs);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 50, warmup = 5, i = 1;
  double timeout_s = 0;
  for (; i < argc && argv[i][0] == '-' && std::strcmp(argv[i], "--") != 0; i += 2) {
    if (i + 1 >= argc) return usage();
    char* end = nullptr;
    if (std::strcmp(argv[i], "--runs") == 0)
      runs = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--warmup") == 0)
      warmup = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--timeout") == 0) {
      timeout_s = std::strtod(argv[i + 1], &end);
      if (end == argv[i + 1] || *end != '\0' || !std::isfinite(timeout_s) || timeout_s < 0) return usage();
    } else
      return usage();
  }
  if (i + 2 >= argc || std::strcmp(argv[i + 1], "--") != 0 || runs < 1 || warmup < 0) return usage();
  const char* label = argv[i];
  char** command = argv + i + 2;
  // Blocked for sigtimedwait (wait_child); every child gets the mask back.
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGCHLD);
  if (timeout_s > 0) {
    sigaddset(&blocked, SIGINT);
    sigaddset(&blocked, SIGTERM);
    sigaddset(&blocked, SIGHUP);
  }
  sigprocmask(SIG_BLOCK, &blocked, &original_mask);

  // Paired mode: the first "--vs" word ends A and starts B.
  for (char** p = command; *p; ++p) {
    if (std::strcmp(*p, "--vs") != 0) continue;
    if (p == command || p[1] == nullptr) return usage();
    *p = nullptr;
    return paired(label, command, p + 1, runs, warmup, timeout_s);
  }

  for (int w = 0; w < warmup; ++w)
    if (run_once(command, timeout_s) < 0) return 1;
  std::vector<double> times;
  for (int r = 0; r < runs; ++r) {
    double t = run_once(command, timeout_s);
    if (t < 0) return 1;
    times.push_back(t);
  }
  std::sort(times.begin(), times.end());
  auto pct = [&](double p) {
    return times[std::min(times.size() - 1, static_cast<size_t>(p * static_cast<double>(times.size())))];
  };
  std::printf("%s\t%.2f\t%.2f\t%.2f\t%d\n", label, pct(0.5), pct(0.9), times.front(), runs);
  return 0;
}
