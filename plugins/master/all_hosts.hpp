// `sc master status --all` and `sc master exec --all`: the whole cluster at
// once. The master asks this host and every registered host (MASTER_HOSTS,
// or the hosts named with --hosts) in parallel, each through a child `sc`
// (plugins/common/fan_out): `sc sshlink exec PEER -- sc --json status
// --local` holds one libssh session to its host and hands back the host's
// own status document on its stdout; this host's is `sc --json status
// --local` run as a child too. Each child is killed at the per-host
// deadline, so a host that refuses, drops packets or hangs costs at most
// that deadline, however many there are.
//
// This file is the pure part, unit-tested with fixture documents: the
// options, the children's argv, what a child's answer means (the host's
// state, the worst problem, why it did not answer, a version skew), the
// order of the hosts, the table, and for exec the split of a child's stderr
// into the command's lines and sc's own report. all_hosts_command.cpp runs
// it.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registry.hpp"

namespace master::all_hosts {

inline constexpr const char* kConcurrencySetting = "MASTER_STATUS_CONCURRENCY";
inline constexpr const char* kDeadlineSetting = "MASTER_STATUS_DEADLINE";
inline constexpr int kDefaultConcurrency = 16;
inline constexpr int kDefaultDeadline = 10;
inline constexpr int kMaxConcurrency = 256;
inline constexpr int kMaxDeadline = 3600;

/// True when `args` (of `master status` or `master exec`) ask for the whole
/// cluster: --all among the leading options.
bool wants_all(const std::vector<std::string>& args);

struct StatusArgs {
  std::optional<std::vector<std::string>> hosts;  ///< --hosts A,B
  std::string html;                               ///< --html FILE ("" none)
  std::optional<int> deadline_s;                  ///< --deadline SECONDS
  std::optional<int> concurrency;                 ///< --concurrency N
};
/// The arguments of `sc master status --all ...`, checked. Throws
/// std::invalid_argument naming what is wrong and how to give it.
StatusArgs parse_status_args(const std::vector<std::string>& args);

struct ExecArgs {
  std::optional<std::vector<std::string>> hosts;
  std::optional<int> deadline_s;  ///< none: no deadline
  std::optional<int> concurrency;
  std::vector<std::string> command;  ///< COMMAND [ARGS...]
};
/// The arguments of `sc master exec --all [--hosts A,B] [--deadline S]
/// [--concurrency N] COMMAND [ARGS...]`: options first, the first other
/// word is COMMAND and everything after it is its own. Throws
/// std::invalid_argument.
ExecArgs parse_exec_args(const std::vector<std::string>& args);

/// "A,B" as peer names, each checked (peer_name), none twice, none empty.
std::vector<std::string> parse_host_list(const std::string& text);
/// A number of seconds (1..kMaxDeadline) or a concurrency (1..
/// kMaxConcurrency) given as `text` for `what` (an option or a setting).
int parse_deadline(const std::string& text, const std::string& what);
int parse_concurrency(const std::string& text, const std::string& what);

/// A host asked: this host (local) or a peer, with its role ("" when a
/// host named with --hosts is not registered).
struct Host {
  std::string peer;
  std::string role;
  bool local = false;
};
/// This host first (named `self`, with `self_role`), then the named hosts
/// (their registered role, if any) or else every registered host.
std::vector<Host> hosts_to_ask(const std::string& self, const std::string& self_role,
                               const std::vector<HostEntry>& registry,
                               const std::optional<std::vector<std::string>>& named);

/// SSHLINK_CONNECT_TIMEOUT for the children: the configured one, but below
/// the deadline (so that a host that does not answer is said to time out
/// connecting, rather than killed without a word), and at least 1.
int connect_timeout(int configured, int deadline_s);

/// What every child is given of this run: sc itself, the root (--root,
/// "" or "/" for none) and the directory this module was loaded from
/// (--add-plugin-path, so that a child finds the modules this run found;
/// "" for none).
struct Child {
  std::string exe;
  std::string root;
  std::string plugin_dir;
};
/// The child that asks `host` for its status: `EXE [--root R]
/// [--add-plugin-path D] --json status --local` for this host, `EXE ...
/// --set SSHLINK_CONNECT_TIMEOUT=N sshlink exec PEER -- REMOTE_SC --json
/// status --local` for a peer.
std::vector<std::string> status_argv(const Child& child, const Host& host, const std::string& remote_sc,
                                     int connect_timeout_s);
/// The child that runs `command` on `host`: `EXE ... --set
/// SSHLINK_CONNECT_TIMEOUT=N sshlink exec PEER|localhost -- COMMAND...`.
std::vector<std::string> exec_argv(const Child& child, const Host& host, const std::vector<std::string>& command,
                                   int connect_timeout_s);

/// What a child gave back (fan_out::Result, without its types).
struct Answer {
  bool started = true;
  std::string start_error;
  int exit_code = 0;
  int term_signal = 0;
  bool timed_out = false;
  std::string out, err;
  long long elapsed_ms = 0;
};

/// The message of the child sc's error line (`sc: error: ...`, with its
/// indented continuation lines joined), "" when none.
std::string child_error(const std::string& err);

/// One host of `sc master status --all --json` (CONTRACTS.md, section 4)
/// from its child's answer: state ok, problems, unreachable or (a roaming
/// host that did not answer) away; a version other than `own_version` is a
/// warning problem added to the host's status.
nlohmann::json host_entry(const Host& host, const Answer& answer, const std::string& own_version, int deadline_s);

/// 0 unreachable, 1 problems with an error, 2 problems (warnings), 3 ok,
/// 4 away: the order of the table, worst first.
int severity(const nlohmann::json& entry);

/// The whole result: `entries` sorted worst first (stable: this host and
/// the registry's order within a state), `ok` when every host is ok or
/// away.
nlohmann::json cluster_json(const std::string& master, long long time, const std::string& version, int deadline_s,
                            int concurrency, std::vector<nlohmann::json> entries);

/// The table of `sc master status --all`: a line per host in the result's
/// order (HOST, ROLE, STATE, PROBLEMS, TIME, the worst problem and its fix
/// or why it did not answer), then a count line. `colour`: the state in
/// ANSI colours (a terminal without NO_COLOR).
std::string cluster_text(const nlohmann::json& all, bool colour);

/// `text` safe for a terminal: control characters as \xNN.
std::string printable(std::string_view text);

// ---- exec --all ---------------------------------------------------------------

/// COMMAND [ARGS...] as one line for people: words quoted as a POSIX
/// shell would need, control characters escaped.
std::string command_text(const std::vector<std::string>& command);

/// The stderr of a child `sc sshlink exec`: the command's own lines, then
/// sc's report of its run (its action line "ran: ..." or "FAILED: ...",
/// its summary "sc sshlink exec: ...", its error). Lines that could be the
/// report are held back until a later line shows they were the command's;
/// at the end, what follows the last action line and summary is the
/// report, not shown (the master says what happened, once).
class ChildStderr {
 public:
  /// The lines to show now, in order (none while they may be the report).
  std::vector<std::string> add(std::string line);
  /// At the child's end: the held lines that were the command's (to show),
  /// and the report in *report.
  std::vector<std::string> finish(std::vector<std::string>* report);

 private:
  std::vector<std::string> held_;
};

struct ExecOutcome {
  std::string state;  ///< ok, failed, unreachable, away
  std::optional<int> exit_code;
  std::string reason;  ///< "" when ok
};
/// What happened on `host` from its child's answer and report.
ExecOutcome exec_outcome(const Host& host, const Answer& answer, const std::vector<std::string>& report,
                         std::optional<int> deadline_s);

/// The last word of exec --all: "" when every host ran the command with
/// status 0 (away hosts aside), else "the command failed on 2 of 5 hosts:
/// c1 (exited with status 3), c2 (unreachable: ...)".
std::string exec_failures(const std::vector<Host>& hosts, const std::vector<ExecOutcome>& outcomes);
/// "not run on r1 (away: ...)" for away hosts, "" when none.
std::string exec_away(const std::vector<Host>& hosts, const std::vector<ExecOutcome>& outcomes);

}  // namespace master::all_hosts
