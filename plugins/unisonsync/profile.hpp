// unisonsync: what a synchronisation is, its unison profile and the common
// preferences, unison's command line, version and messages. Pure
// functions: no host access, tested against exact text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace unisonsync {

/// Where everything of the module lives on a host.
inline constexpr const char* kStateDir = "/var/lib/sc/unisonsync";
/// unison's own directory (its UNISON variable): the profiles, the common
/// preferences and unison's archives.
inline constexpr const char* kUnisonDir = "/var/lib/sc/unisonsync/unison";
/// The conflict ledger and the run state.
inline constexpr const char* kLedgerFile = "/var/lib/sc/unisonsync/conflicts.json";
inline constexpr const char* kStateFile = "/var/lib/sc/unisonsync/state.json";
inline constexpr const char* kLockDir = "/var/lib/sc/unisonsync/locks";
/// The preferences every profile includes.
inline constexpr const char* kCommonName = "_common";
/// The marker file at the top of both roots of a synchronisation. unison
/// is told (mountpoint preference) to stop when it is missing, so a root
/// that is not mounted, or was emptied, is never synchronised.
inline constexpr const char* kMarker = ".sc-unisonsync";

/// The periods a synchronisation can run at (those of crontask).
inline constexpr const char* kPeriods[] = {"fast", "hourly", "daily", "weekly", "monthly"};
bool valid_period(std::string_view period);

/// One synchronisation: the directory `remote` of peer `host` with the
/// directory `local` of this host.
struct Sync {
  std::string host;
  std::string remote;
  std::string local;
  std::string period;       ///< empty: only run by `start`
  bool fill_empty = false;  ///< a first sync may fill an empty side
  bool operator==(const Sync& o) const {
    return host == o.host && remote == o.remote && local == o.local && period == o.period && fill_empty == o.fill_empty;
  }
};

/// True when `text` is valid UTF-8.
bool valid_utf8(std::string_view text);

/// Why `path` cannot be a root of a synchronisation, or "" when it can:
/// absolute, valid UTF-8 without control characters, no empty, "." or
/// ".." component, not "/" alone, no leading or trailing white space
/// (unison's profile reader trims it), at most 1024 bytes. A trailing '/'
/// is allowed (normal_path() drops it).
std::string path_problem(std::string_view path);
/// `path` without its trailing '/' characters (never empty).
std::string normal_path(std::string_view path);

/// The profile's name: "PERIOD:HOST:PATH" as the original named them
/// (PERIOD "manual" when there is none; in HOST every character but
/// letters, digits, '.' and '-', in PATH every one but letters and digits,
/// becomes '_'), with ".XXXXXXXX" (a hash of host and path) appended when
/// that lost anything, so two synchronisations never share a profile.
std::string profile_name(std::string_view host, std::string_view remote, std::string_view period);

/// unison's name for the peer's root: "ssh://HOST//PATH".
std::string remote_root(std::string_view host, std::string_view remote);

/// The words of unison's `sshargs`: OpenSSH with sc's identity and trust
/// (keys and known_hosts of `ssh_dir`, and its config file when
/// `config_exists`), never asking anything, giving up after
/// `connect_timeout` seconds, and noticing a dead peer within a minute.
/// `keys` are the private key files present, in sc's order.
std::vector<std::string> ssh_words(const std::string& ssh_dir, const std::vector<std::string>& keys, bool config_exists,
                                   int connect_timeout);
/// Why these words cannot be given to unison (which splits `sshargs` at
/// spaces and takes '\' as an escape), or "".
std::string ssh_words_problem(const std::vector<std::string>& words);

/// The text of _common.prf: the preferences of every synchronisation.
std::string common_profile(const std::vector<std::string>& ssh_words);

/// The text of a synchronisation's profile. `local_root` is the local root
/// as unison must see it (the real path under --root).
std::string sync_profile(const Sync& sync, const std::string& local_root);
/// The synchronisation a profile describes (its first line); nullopt when
/// the text was not written by sync_profile().
std::optional<Sync> parse_profile(std::string_view text);

/// unison's command line for a profile.
std::vector<std::string> unison_argv(const std::string& profile);

/// Commands sc runs on the peer (each word quoted for its shell by sc):
/// before a first sync, print one "x" when `root` holds anything but the
/// marker (and fail when it is missing or not a directory)...
std::vector<std::string> probe_root_argv(const std::string& root);
/// ...then make the marker at the top of `root`;
std::vector<std::string> mark_root_argv(const std::string& root);
/// after a run, put a change unison set aside (`copy`) back at `path`
/// (both relative to `root`), never over something that is there.
std::vector<std::string> put_back_argv(const std::string& root, const std::string& copy, const std::string& path);

/// What an exit status of unison means.
std::string unison_status_text(int status);

/// The version in `unison -version` output ("2.52.1"), or "".
std::string unison_version(std::string_view output);
/// The series of a version: its first two numbers ("2.52"), or "".
std::string unison_series(std::string_view version);

/// The lines of unison's output worth reporting: errors, failures, the
/// final summary, skipped and failed paths (progress and the listing of
/// what was copied are left out).
std::vector<std::string> unison_messages(std::string_view out, std::string_view err);

/// The summary line unison ends a run with ("Synchronization complete
/// at ..."), or "".
std::string unison_summary(std::string_view err);

}  // namespace unisonsync
