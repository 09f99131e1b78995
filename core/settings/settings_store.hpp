// The settings store: `/etc/sc` (under --root, ROOT/etc/sc), read without a
// lock, changed under an exclusive lock by atomic replacement.
//
// File format 1 (the first line is the marker):
//
//   # sc-settings 1
//   # One setting per line, sorted: NAME="value", the value a JSON string (escapes ...
//   BACKUP_DIR="/srv/backup"
//   MOTD="it's \"quoted\"\nand multi-line"
//
// Names are sorted; values are JSON strings (RFC 8259, UTF-8 kept as is), so
// every value sits on one line and `grep '^NAME=' /etc/sc` finds it. Blank
// lines and `#` comments are accepted on read and dropped on the next write.
// A file without the marker is the original tool's shell format and is
// imported with parse_legacy_settings().
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sc {

/// True when `name` may name a new setting: `^[A-Z][A-Z0-9_]{0,63}$`.
/// Files may hold wider (shell) names, e.g. imported ones, which are kept
/// as they are.
bool valid_setting_name(std::string_view name);

/// True when `value` can be stored: valid UTF-8 (the file holds JSON
/// strings) without NUL bytes (plugins get values as C strings).
bool valid_setting_value(std::string_view value);

/// Parses a settings file, format 1 or (without the marker) the original
/// tool's format, into `out` (cleared first). On failure returns false with
/// `*err` like `FILE:LINE: problem; fix` (`FILE` is `file_label`) and `*out`
/// unspecified. A format-1 file holding a name twice is refused.
/// The original's settings are mapped to ours (original_settings::to_ours:
/// names, boolean sense, constants dropped); `*notes`, when given, gets a
/// line per change.
bool parse_settings(std::string_view text, const std::string& file_label, std::map<std::string, std::string>* out,
                    std::string* err, std::vector<std::string>* notes = nullptr);

/// The format-1 text of `values`: marker line, explanation line, then one
/// `NAME="json string"` line per setting, sorted by name.
/// Precondition (a bug otherwise, which throws): every name passes
/// valid_shell_name() and every value valid_setting_value().
std::string serialize_settings(const std::map<std::string, std::string>& values);

/// The settings file of one target tree: `/etc/sc` under the root (or
/// another target path), reached like every path of the engine, through
/// engine/rooted_fs: symlinks on the way (`etc`, `etc/sc`) are followed
/// inside the root only, every directory is opened with O_NOFOLLOW, and
/// the lock, the read and the replacement all happen in one directory
/// opened once. Not thread-safe; separate processes (and separate objects)
/// coordinate through the lock file of update().
class SettingsStore {
 public:
  /// How long update() waits for the lock by default.
  static constexpr std::chrono::milliseconds kDefaultLockTimeout{30000};

  /// The store at `target` (an absolute path of the target system) of the
  /// tree under `root` ("/" for the running system). Nothing is read yet.
  explicit SettingsStore(std::filesystem::path root, std::string target = "/etc/sc");

  /// Reads the file (without locking: writers replace it atomically); a
  /// symlink as the file itself is followed inside the root. A missing
  /// file is an empty store; a file in the original format is parsed, and
  /// rewritten in format 1 on the next update(). On failure returns false
  /// with `*err` naming the file, line and fix; the values held before are
  /// kept.
  bool load(std::string* err);

  /// The values as last loaded or written. The reference stays valid for
  /// the object's lifetime; its content changes on load()/update().
  const std::map<std::string, std::string>& values() const { return values_; }

  /// The value of `name`; nullopt when unset.
  std::optional<std::string> get(const std::string& name) const;

  /// True when the file last read was in the original tool's format.
  bool legacy() const { return legacy_; }
  /// After update() converted such a file: where its copy is kept (FILE.legacy,
  /// or FILE.legacy.N when FILE.legacy held another text already).
  const std::string& legacy_copy() const { return legacy_copy_; }
  /// The mode load() found and set back to 0600 (running as root), or 0.
  std::uint32_t repaired_mode() const { return repaired_mode_; }
  /// A mode other than 0600 that load() found and left (set_repair(false):
  /// a dry run, which changes nothing), or 0.
  std::uint32_t unrepaired_mode() const { return unrepaired_mode_; }
  /// Whether load() puts a wrong mode back to 0600 (default: yes).
  void set_repair(bool repair) { repair_ = repair; }

  /// Locked read-modify-write. Takes an exclusive flock on `<file>.lock`
  /// (created 0600, never removed, refused when it is a symlink), re-reads
  /// the file (another process may have changed it), applies `changes`
  /// (nullopt value = delete), and, only if something differs (values, or
  /// the file is in the original format), writes a temporary file 0600
  /// next to it, fsyncs it, renames it over the file and fsyncs the
  /// directory. When the file replaced is in the original format a copy of
  /// it is kept first as `<file>.legacy` (0600; `<file>.legacy.N` when that
  /// holds another text; see legacy_copy()). Temporary files a killed
  /// writer left are removed under the lock. Settings not mentioned in `changes` are preserved untouched,
  /// unknown ones included. Creates missing parent directories (0755). An
  /// existing file with another mode is set to 0600. So `update({})`
  /// converts an original-format file.
  ///
  /// Names in `changes` must pass valid_shell_name() (the caller enforces
  /// valid_setting_name() for new settings), values valid_setting_value().
  /// Refuses a file that does not parse (it is left for the admin to fix)
  /// and a file that is a symbolic link (replacing it would replace the
  /// link). On failure returns false with `*err`, the old file is intact
  /// and values() is unchanged.
  bool update(const std::map<std::string, std::optional<std::string>>& changes, std::string* err);

  /// The settings file as a path on this machine (ROOT/etc/sc), for
  /// messages; what is read and written is resolved under the root.
  const std::filesystem::path& file() const { return shown_; }

  /// How long update() waits for the lock before failing (tests shorten it).
  void set_lock_timeout(std::chrono::milliseconds timeout) { lock_timeout_ = timeout; }

 private:
  std::filesystem::path root_;
  std::string target_;
  std::filesystem::path shown_;
  std::map<std::string, std::string> values_;
  bool legacy_ = false;
  std::string legacy_copy_;
  std::uint32_t repaired_mode_ = 0;
  std::uint32_t unrepaired_mode_ = 0;
  bool repair_ = true;
  std::chrono::milliseconds lock_timeout_ = kDefaultLockTimeout;
};

}  // namespace sc
