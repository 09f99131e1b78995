// Tunnels that never die for good (lifeline, portforward): an OpenSSH
// client kept running by a supervisor, and the status it leaves for
// `status`, `ready` and, later, `sc status`.
//
// The supervisor (`sc MODULE daemon`, under a daemon unit that itself never
// gives up) runs ssh with ExitOnForwardFailure (a forward the peer refuses
// ends ssh at once, with the reason), ServerAliveInterval (a half-dead path
// ends it after interval × count seconds) and a control socket; it probes
// the tunnel through that socket (lifeline: the relay's forwarded port must
// answer with our sshd's banner); whatever way ssh ends — an error, a
// signal, status 0 — it starts it again after a bounded backoff (1, 2, 4,
// 8, then every 10 s), reset once a tunnel stayed up 30 s.
//
// Status file: /var/lib/sc/MODULE/status[-INSTANCE].json, replaced
// atomically at each change:
//   {"module", "instance", "state": "up"|"connecting"|"down"|"stopped",
//    "since" (UTC, ISO 8601: when that state began), "last_error",
//    "last_error_at", "attempts" (ssh runs started), "pid" (supervisor),
//    "target" (what the tunnel is, for people)}
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <sc/plugin.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/time_text.hpp"

namespace plugin_common::tunnel {

struct Status {
  std::string module;
  std::string instance;
  std::string state = "down";  ///< up, connecting, down, stopped
  std::int64_t since = 0;      ///< seconds since the epoch
  std::string last_error;
  std::int64_t last_error_at = 0;
  std::int64_t attempts = 0;
  long pid = 0;
  std::string target;
};

/// "/var/lib/sc/MODULE/status.json" or ".../status-INSTANCE.json".
std::string status_path(std::string_view module, std::string_view instance);

/// The control socket of one tunnel: /var/lib/sc/MODULE/ctl[-INSTANCE].
std::string control_path(std::string_view module, std::string_view instance);

using time_text::iso_time;

std::string to_json(const Status& s);
/// nullopt for a text that is not such a document.
std::optional<Status> from_json(std::string_view text);

/// For people: "up since 2026-...Z (5 min)" / "down since ...; last error
/// (at ...): ..." . `now` for the durations; `alive` false when the status
/// names a supervisor that no longer runs.
std::string describe(const Status& s, std::int64_t now, bool alive);

/// True when `pid` runs and is `sc MODULE daemon` (not a program that
/// got the pid of a daemon that died).
bool daemon_running(long pid, std::string_view module);

/// Why a tunnel whose status is `s` (nullopt: none was written) is not up,
/// for people, or "" when it is up. `alive`: its daemon runs;
/// `status_file` is named when there is no status.
std::string status_problem(const std::optional<Status>& s, bool alive, std::string_view status_file);

/// The command that starts a tunnel's daemon again, the fix the `status`
/// hook gives for a tunnel whose unit exists but that is not up:
/// "sc daemon restart MODULE[ INSTANCE]".
std::string restart_command(std::string_view module, std::string_view instance);

/// The status of a tunnel as `status` and `ready` see it on the target:
/// nullopt when no daemon ever wrote one. `alive` tells whether its
/// supervisor still runs (always true under --root: not knowable).
std::optional<Status> read_status(const sc::Context& ctx, std::string_view module, std::string_view instance,
                                  bool* alive);

/// Writes `text` to `path` atomically (a temporary file in the same
/// directory, fsync, rename), mode 0644, making the directories (0755):
/// a reader sees the old or the new status, never a mix. False with *err.
/// On the running system only (a daemon's state, not a planned change).
bool write_atomically(const std::string& path, const std::string& text, std::string* err);

/// The delay before the attempt after `failures` failed ones in a row:
/// 1, 2, 4, 8, then `cap` seconds (never more).
int backoff_seconds(int failures, int cap = 10);

/// What an ssh error line means for a tunnel, for people, or "" when the
/// line is nothing known. Knows: a remote port the peer refused (taken,
/// most likely by a dead tunnel of ours the peer still holds), a local port
/// taken, refused or timed-out connections, a changed or unknown host key,
/// a key refused, the keepalive's "server not responding".
std::string explain_ssh_error(std::string_view line);

/// What one supervised tunnel is.
struct Spec {
  std::string module, instance;
  std::string target;              ///< for people ("relay:22000 -> localhost:22")
  std::vector<std::string> ssh;    ///< the tunnel's ssh argv (with -N, the forwards, -o ControlPath=...)
  std::vector<std::string> probe;  ///< argv that proves the tunnel works; empty: none (up once ssh is connected)
  std::string probe_expect;        ///< the probe's stdout must start with this (empty: its exit status 0 is enough)
  int probe_interval = 10;         ///< seconds between probes while connected
  int probe_timeout = 8;           ///< a probe taking longer failed
  int probe_failures = 2;          ///< failed probes in a row that end the ssh run
  int backoff_cap = 10;
};

/// Runs the tunnel until SIGTERM or SIGINT (then stops ssh, writes the
/// "stopped" status and returns 0). Logs each change on stderr (the unit's
/// journal). Never returns on a tunnel failure: it starts ssh again.
int supervise(const Spec& spec);

}  // namespace plugin_common::tunnel
