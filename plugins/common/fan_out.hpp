// Running N local child processes in parallel, each with its own deadline:
// the fan-out of `sc master status --all` and `sc master exec --all`.
//
// This is the one place a plugin starts processes outside the engine (rule
// 2 of docs/ARCHITECTURE.md): the children are `sc` itself (the running
// binary, /proc/self/exe), each doing its own work through its own engine
// (`sc sshlink exec PEER ...`: one libssh session to one peer, its own
// actions and report), so that hosts are asked in parallel and a dead host
// costs its own deadline only. The engine runs one program at a time and
// waits for it; a run of many at once, each killed at its own deadline, is
// what this adds. Nothing here changes the host by itself.
//
// Each job runs from an argv vector (never a shell) with stdin from
// /dev/null and stdout and stderr each a pipe to us, in a process group of
// its own: at its deadline the whole group is killed (SIGKILL), so a child's
// own children die with it. At most `concurrency` jobs run at once; the
// others wait their turn, and a job's deadline counts from its own start.
// Lines are handed to a callback as they arrive (for live, prefixed output)
// and the whole output is kept in the job's result.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace plugin_common::fan_out {

enum class Stream { out, err };

struct Job {
  /// The program and its arguments; argv[0] a path, or a name looked up
  /// in PATH.
  std::vector<std::string> argv;
  /// Killed (its process group, SIGKILL) this long after its start; 0: no
  /// deadline.
  std::chrono::milliseconds deadline{0};
};

struct Result {
  bool started = false;  ///< false: it could not be started (`error` says why)
  std::string error;     ///< why it could not be started
  int exit_code = -1;    ///< its exit status, when it exited
  int term_signal = 0;   ///< the signal that ended it (SIGKILL when timed_out)
  bool timed_out = false;
  std::string out, err;  ///< what it wrote, up to Options::max_capture bytes each
  bool truncated = false;
  std::chrono::milliseconds elapsed{0};  ///< from its start to its end

  bool ok() const { return started && !timed_out && term_signal == 0 && exit_code == 0; }
  /// "exited with status 1", "killed by signal 9", "timed out after 3 s",
  /// or why it could not start.
  std::string describe() const;
};

struct Options {
  /// At most this many jobs at once (0 counts as 1).
  std::size_t concurrency = 16;
  /// Called with each complete line (without its '\n') as it arrives, and
  /// with a last line that has no '\n' when the job ends; `job` is the
  /// index in `jobs`. May throw: every running job is then killed and
  /// reaped, and the exception goes on.
  std::function<void(std::size_t job, Stream stream, std::string_view line)> on_line;
  /// Called once per job when it ended (or could not start), in the order
  /// they end.
  std::function<void(std::size_t job, const Result& result)> on_done;
  /// Bytes of each stream kept in the result (the rest is read and
  /// dropped, `truncated` set; on_line still sees every line).
  std::size_t max_capture = std::size_t{64} << 20;
};

/// Runs every job (at most options.concurrency at once) and returns their
/// results, in the order of `jobs`.
std::vector<Result> run(const std::vector<Job>& jobs, const Options& options = {});

/// The path of the running program (/proc/self/exe resolved), for jobs
/// that run sc itself; "/proc/self/exe" when it cannot be read.
std::string self_exe();

}  // namespace plugin_common::fan_out
