// Everything `sc` shows: command text, logs, planned actions, summaries,
// and the --json document.
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "engine/executor.hpp"

namespace sc {

/// Exit codes of `sc` (documented in README.md).
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,
  kExitUsage = 2,
  kExitUnavailable = 3,  ///< module not installed, refused, or a dependency problem
};

/// One command invocation: where its text goes and what it returned.
struct Frame {
  std::string module;
  std::string command;
  bool capture = false;  ///< text collected (nested call, or --json at top)
  std::string output;
  bool printed = false;  ///< the command printed text (captured or not)
  std::optional<nlohmann::json> result;
  std::string error;
  int status = 0;
  /// {"status":N,"output":"...","result":...,"error":"..."}
  nlohmann::json to_json() const;
};

/// A diagnostic kept instead of shown (Output::divert_logs).
struct LogEntry {
  int level;
  std::string module;
  std::string message;
};

/// What the run's final report says besides the command's own frame.
struct RunFacts {
  std::string version;  ///< sc's version
  bool dry_run = false;
  std::string root;  ///< --root (paths in a result are under it)
};

/// Counts of actions by state.
struct ActionSummary {
  int ok = 0, changed = 0, planned = 0, recorded = 0, failed = 0;
  int total() const { return ok + changed + planned + recorded + failed; }
  void add(ActionState s);
  nlohmann::json to_json() const;
  /// "2 changed, 1 ok" (or "2 would change, 1 ok" for a dry run).
  std::string text() const;
};

/// Text mode writes as it goes; JSON mode collects and prints one document
/// at the end. Only a command's own text (and, under --json, the document)
/// goes to stdout, so that it can be piped or redirected: the action
/// report, the summary line and the logs go to stderr (logs also into the
/// document's "log" array under --json).
class Output {
 public:
  Output(bool json, bool verbose);

  bool json() const { return json_; }
  bool verbose() const { return verbose_; }

  /// Command text, shown at once in text mode.
  void text(std::string_view s);
  /// A diagnostic: "sc: MODULE: warning: MESSAGE" on stderr. Debug lines
  /// only with --verbose.
  void log(int level, std::string_view module, std::string_view message);
  /// An action as the engine recorded it (a line on stderr in text mode).
  void action(const Action& a);

  /// While `sink` is set, diagnostics go there instead of stderr and the
  /// document (how `sc status` asks every module whether it is ready and
  /// keeps their answers as its own report); null: shown again.
  void divert_logs(std::vector<LogEntry>* sink) { log_sink_ = sink; }

  const ActionSummary& summary() const { return summary_; }
  const nlohmann::json& actions() const { return actions_; }
  const nlohmann::json& log_entries() const { return log_; }

  /// Prints the --json document (one line) to stdout.
  void emit_document(const nlohmann::json& doc);

  /// Ends the run of the top-level command `frame`: under --json the one
  /// document (frame, actions, summary, log) on stdout; in text mode the
  /// captured text and, when the command printed nothing, its result on
  /// stdout, then the summary line and the error on stderr.
  /// Returns frame.status.
  int finish(const Frame& frame, const RunFacts& facts);

  /// `status`, or 1 (with an error on stderr) when it was 0 and writing to
  /// stdout failed during the run: output lost to a full disk or a closed
  /// descriptor is never a success.
  int check_stdout(int status);

 private:
  void out(std::string_view s);  // to stdout, failures remembered
  int stdout_errno_ = 0;
  std::vector<LogEntry>* log_sink_ = nullptr;
  bool json_;
  bool verbose_;
  ActionSummary summary_;
  nlohmann::json actions_ = nlohmann::json::array();
  nlohmann::json log_ = nlohmann::json::array();
};

/// "ok", "changed", "planned", "recorded", "failed".
const char* to_string(ActionState s);

}  // namespace sc
