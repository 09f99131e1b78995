// sc_bench: runs a command many times and prints whole-process latency
// (median, 90th percentile, minimum) in milliseconds. Used by bench/run.
//
//   sc_bench [--runs N] [--warmup N] LABEL -- COMMAND [ARGS...]
//
// Output, one line: "LABEL<TAB>median<TAB>p90<TAB>min<TAB>runs".
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern char** environ;

namespace {

int usage() {
  std::fprintf(stderr, "usage: sc_bench [--runs N] [--warmup N] LABEL -- COMMAND [ARGS...]\n");
  return 2;
}

/// One run; returns its wall time in ms, or a negative value on failure.
double run_once(char** argv) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  auto start = std::chrono::steady_clock::now();
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    std::fprintf(stderr, "sc_bench: cannot run %s: %s\n", argv[0], std::strerror(rc));
    return -1;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  auto end = std::chrono::steady_clock::now();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "sc_bench: %s failed (status %d)\n", argv[0], status);
    return -1;
  }
  return std::chrono::duration<double, std::milli>(end - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 50, warmup = 5, i = 1;
  for (; i < argc && argv[i][0] == '-' && std::strcmp(argv[i], "--") != 0; i += 2) {
    if (i + 1 >= argc) return usage();
    if (std::strcmp(argv[i], "--runs") == 0)
      runs = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--warmup") == 0)
      warmup = std::atoi(argv[i + 1]);
    else
      return usage();
  }
  if (i + 2 >= argc || std::strcmp(argv[i + 1], "--") != 0 || runs < 1) return usage();
  const char* label = argv[i];
  char** command = argv + i + 2;
  for (int w = 0; w < warmup; ++w)
    if (run_once(command) < 0) return 1;
  std::vector<double> times;
  for (int r = 0; r < runs; ++r) {
    double t = run_once(command);
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
