// Running an external program from an argv vector: never a shell string.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sc {

/// What to run and how.
struct ProcessSpec {
  std::vector<std::string> argv;         ///< argv[0] is looked up in PATH
  std::vector<std::string> env_add;      ///< "NAME=VALUE" items added to the environment
  std::string cwd;                       ///< empty: inherit
  std::optional<std::string> input;      ///< stdin bytes; nullopt: /dev/null (or ours, see inherit_stdin)
  bool inherit_stdin = false;            ///< without input: stdin is ours instead of /dev/null
  std::chrono::milliseconds timeout{0};  ///< 0: none; then SIGTERM, 2 s later SIGKILL
  bool capture_out = false;              ///< otherwise stdout is inherited
  bool capture_err = false;              ///< otherwise stderr is inherited
  bool out_to_err = false;               ///< uncaptured stdout goes to our stderr
                                         ///< (keeps a --json document on stdout clean)
};

/// How it went.
struct ProcessResult {
  bool started = false;  ///< false: could not be spawned (see error)
  std::string error;     ///< spawn failure, e.g. "rsync: not found"
  int exit_code = -1;    ///< -1 when killed by a signal
  int term_signal = 0;
  bool timed_out = false;
  std::string out;  ///< captured stdout
  std::string err;  ///< captured stderr
  bool ok() const { return started && exit_code == 0; }
  /// One line for an error message: "exited with status 3", "killed by
  /// signal 9", "timed out after 2000 ms", or the spawn error.
  std::string describe() const;
};

/// Runs the program and waits for it. Never throws for the program's failure.
ProcessResult run_process(const ProcessSpec& spec);

/// `word` quoted for a POSIX shell: unchanged when made only of letters,
/// digits and @%+=:,./_-, else in single quotes with each ' written '\''.
/// Any byte but NUL survives the round trip through `sh -c`.
std::string shell_quote(std::string_view word);

/// The words of argv joined by spaces, each quoted with shell_quote(): how
/// plans and messages show a command, and the command line a peer's shell
/// runs (the only place a shell ever sees our words).
std::string format_argv(const std::vector<std::string>& argv);

}  // namespace sc
