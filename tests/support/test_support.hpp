// Helpers shared by every test: temporary trees, running the built `sc`,
// hashing a tree to prove that nothing changed.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/process.hpp"
#include "test_paths.hpp"

namespace sc::test {

namespace fs = std::filesystem;

/// A fresh directory under $TMPDIR, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  /// A directory in `base` instead of $TMPDIR or /tmp.
  explicit TempDir(const fs::path& base);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& rel) const { return path_ / rel; }

 private:
  fs::path path_;
};

/// Result of running `sc`.
struct ScRun {
  int status = -1;  ///< exit status, or 128+signal
  std::string out;
  std::string err;
};

/// Runs the built `sc` with `args` (global options included), stdin from
/// `input` or /dev/null, and returns what it printed.
ScRun run_sc(const std::vector<std::string>& args, const std::string* input = nullptr,
             const std::vector<std::string>& env = {});

/// Like run_sc, with `--plugin-path <built plugins> --root <root>` first.
ScRun run_sc_rooted(const fs::path& root, const std::vector<std::string>& args, const std::string* input = nullptr);

/// Like run_sc, with `--plugin-path <the fixture plugins> --root <root>`
/// first: the core's tests, against the fixtures (probe, cplugin...).
ScRun run_sc_fixtures(const fs::path& root, const std::vector<std::string>& args, const std::string* input = nullptr);

/// One step of a terminal conversation: wait until the output contains
/// `expect`, then type `reply`.
struct TtyStep {
  std::string expect;
  std::string reply;
};

/// Runs the built `sc` on a pseudo-terminal (stdin, stdout and stderr),
/// answering its questions as `steps` say. `out` holds everything the
/// terminal showed (prompts, echoed input, output). Fails the run (status
/// -1) when an expected text does not come within 10 s.
ScRun run_sc_tty(const std::vector<std::string>& args, const std::vector<TtyStep>& steps);

/// Writes `text` to `path`, creating parent directories.
void write_text(const fs::path& path, const std::string& text, fs::perms mode = fs::perms(0644));
/// Whole content of `path`; throws when it cannot be read.
std::string read_text(const fs::path& path);
/// A digest of every path, type, mode, owner, link target and content
/// under `dir`: equal digests mean an unchanged tree.
std::string tree_hash(const fs::path& dir);

/// Starts argv (argv[0] a path; stdin, stdout and stderr on /dev/null),
/// sends it SIGKILL after `delay` unless it ended before, reaps it, and
/// tells whether the kill hit it: fault tests kill at random points.
/// `env_add`: "NAME=VALUE" items set in its environment.
bool run_killed_after(const std::vector<std::string>& argv, std::chrono::microseconds delay,
                      const std::vector<std::string>& env_add = {});

/// Runs the shell `script` (with `args` as $1...) as root in a private mount
/// namespace, so that it can mount a small tmpfs (a full file system)
/// without touching the machine; stdout and stderr captured.
sc::ProcessResult run_in_mount_namespace(const std::string& script, const std::vector<std::string>& args,
                                         const std::vector<std::string>& env_add = {});

/// Hostile strings every input check is tested with.
const std::vector<std::string>& hostile_strings();

/// Runs `sc MODULE ARGS...` under `root` (run_sc_rooted) and checks, as
/// Catch assertions, that it is refused as bad input: exit status 2,
/// `message` in what it wrote to stderr, and nothing under `root` changed.
void check_refused(const fs::path& root, const std::string& module, const std::vector<std::string>& args,
                   const std::string& message);

/// Path of the built sc with every link resolved: what sc reads from
/// /proc/self/exe, so what it writes about itself (ExecStart, cron lines).
std::string built_sc_path();

/// "ARGV STATE" of every program run that the `--json` output of `r`
/// reports, in order (e.g. "systemctl daemon-reload recorded").
std::vector<std::string> run_actions(const ScRun& r);

/// What `systemd-analyze verify UNIT` prints, and how it failed: "" for a
/// unit systemd takes without a word (its checker exits 0 even when it
/// warns, so a test wants no output at all).
std::string systemd_verify(const fs::path& unit);

/// Runs argv (no shell) with `input` on its stdin, stdout and stderr
/// captured, for 120 s at most.
sc::ProcessResult run_captured(const std::vector<std::string>& argv, const std::string& input = "");

/// The same, REQUIRing that it succeeds (its stderr shown when not): its
/// stdout.
std::string output_of(const std::vector<std::string>& argv, const std::string& input = "");

/// A self-signed EC (P-256) certificate made by openssl, valid `days` days:
/// the first of `names` its CN, all of them its DNS subject alternative
/// names; written at `cert` and `key` (parents made). REQUIREs success.
void make_self_signed(const fs::path& cert, const fs::path& key, const std::vector<std::string>& names, int days = 30);

/// systemd-analyze verify's output about `unit`: without the lines about
/// other unit files of the machine ("/lib/systemd/system/OTHER.service:30:
/// ..."), which systemd loads alongside and which are a Debian package's,
/// not the unit's (scanbd's obsolete StandardOutput=syslog, say).
std::string verify_words_about(const std::string& unit, const std::string& output);

/// What `systemctl --root=ROOT is-enabled UNIT` prints ("enabled\n"...).
std::string systemd_is_enabled(const fs::path& root, const std::string& unit);

/// The account files of a minimal Debian root: root, and the shadow and
/// sudo groups.
inline const std::string kMinimalPasswd = "root:x:0:0:root:/root:/bin/bash\n";
inline const std::string kMinimalShadow = "root:*:19000:0:99999:7:::\n";
inline const std::string kMinimalGroup = "root:x:0:\nshadow:x:42:\nsudo:x:27:\n";
inline const std::string kMinimalGshadow = "root:*::\nshadow:*::\nsudo:*::\n";

/// Writes the four account files under `root` with these texts
/// (etc/shadow and etc/gshadow 0640), and an empty etc/.pwd.lock (0600) as
/// any system that ever ran a shadow tool has.
void write_accounts(const fs::path& root, const std::string& passwd, const std::string& shadow,
                    const std::string& group, const std::string& gshadow);

/// write_accounts() with the kMinimal* texts.
void write_minimal_accounts(const fs::path& root);

/// What `pwck -r` and `grpck -r` (read-only) say of the account files under
/// `root`, each prefixed with the tool's name: "" when both are silent and
/// exit 0, i.e. the four files agree with one another.
std::string account_check(const fs::path& root);

/// A free TCP port on 127.0.0.1 (bound, read, released; a server started
/// on it later may still lose a race for it).
int free_loopback_port();

/// True when something accepts TCP connections on 127.0.0.1:`port`.
bool loopback_port_answers(int port);

/// "MODE UID:GID" of `p` itself (not of a link's target), e.g. "0640 0:42".
/// Throws when `p` does not exist.
std::string mode_of(const fs::path& p);

}  // namespace sc::test
