// unisonsync: conflicts. What unison's listing says about them, the copies
// its copyonconflict preference leaves, the ledger that records each
// conflict until it is resolved, and the steps of a resolution. Pure
// functions, tested against exact text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time_text.hpp"

namespace unisonsync {

// ---- unison's listing ---------------------------------------------------------------

/// True when unison's listing (its stdout) shows a path whose conflict the
/// `prefer` preference settled (a "====>" or "<====" arrow...).
bool listing_has_conflict(std::string_view listing);
/// True when the listing shows `path` (relative to the roots) as such a
/// conflict: the exact check for a path that may hold spaces or newlines.
bool listing_shows_conflict(std::string_view listing, std::string_view path);

// ---- copies -----------------------------------------------------------------------------------

/// A name unison's copyonconflict gave: "NAME (conflict[ #N]_on_YYYY-MM-DD[_was_deleted]).EXT"
/// for "NAME.EXT".
struct CopyName {
  std::string original;      ///< the name of the file it is a copy of
  bool was_deleted = false;  ///< that side had deleted the file: the copy is the other side's edit
};
/// Parses the last component of a path; nullopt for any other name.
std::optional<CopyName> parse_copy_name(std::string_view name);

/// `find`'s command line listing the copies under `root` (a real path):
/// type, modification time, size and path relative to `root` of each,
/// NUL-terminated records.
std::vector<std::string> find_copies_argv(const std::string& root);

/// One record of that listing.
struct Found {
  char type = '?';  ///< 'f' file, 'd' directory, 'l' symlink...
  std::int64_t mtime = 0;
  std::int64_t size = 0;
  std::string path;  ///< relative to the root
};
std::vector<Found> parse_found(std::string_view out);

/// The path of the file a copy (relative path) stands for.
std::string original_path(std::string_view copy_path, const CopyName& name);

// ---- the ledger -------------------------------------------------------------------------------

/// One conflict, recorded when a run found it and kept until resolved.
struct Conflict {
  std::string sync;         ///< the synchronisation's profile
  std::string path;         ///< relative to the roots
  std::string local_root;   ///< this host's root (target path)
  std::string remote_root;  ///< the peer's root
  std::string local_host;   ///< this host's name
  std::string remote_host;  ///< the peer, as the synchronisation names it
  /// "both-changed": both sides changed the path; "deleted-here" / "deleted-there":
  /// this host (the peer) deleted it while the other side changed it.
  std::string kind;
  std::string kept;                                     ///< whose version the path holds now: "local" or "remote"
  std::optional<std::int64_t> local_time, remote_time;  ///< of each version; none for a deletion
  std::string copy;                                     ///< relative path of the other version ("" when none)
  std::vector<std::string> copy_hosts;                  ///< where that copy is
  std::int64_t found = 0;                               ///< when the run recorded it
  /// The local path and copy as they were when recorded (size -1: not a
  /// file, or absent): a resolution never discards a version changed since.
  std::int64_t path_size = -1, path_mtime = 0, copy_size = -1, copy_mtime = 0;

  std::string local_path() const;
  std::string local_copy() const;
  std::string remote_copy() const;
  std::string remote_path() const;
};

/// The ledger file's text, and back (nullopt when damaged).
std::string ledger_text(const std::vector<Conflict>& conflicts);
std::optional<std::vector<Conflict>> parse_ledger(std::string_view text);

/// A conflict as `conflicts --json` shows it (one JSON object, as text).
std::string conflict_json(const Conflict& c);
/// A conflict as `conflicts` shows it (lines ending in '\n').
std::string conflict_text(const Conflict& c);

/// "2026-12-02T07:18:22Z"
using plugin_common::time_text::iso_time;

// ---- the status hook ---------------------------------------------------------------------------

/// The warning the `status` hook gives for the synchronisation `sync`
/// whose unresolved conflicts are at `paths` (this host's paths, as
/// `conflicts` shows them; at least one): what (one line: the count and the
/// first path, quoted for a shell when it holds what a shell reads
/// otherwise) and fix, `sc unisonsync resolve FIRST-PATH keep-both` (the
/// choice that loses no version; the what names the others).
struct ConflictWarning {
  std::string what;
  std::string fix;
};
ConflictWarning conflict_warning(const std::string& sync, const std::vector<std::string>& paths);

// ---- resolving ----------------------------------------------------------------------------------

enum class Choice { keep_local, keep_remote, keep_both };
std::optional<Choice> parse_choice(std::string_view word);

/// One command of a resolution, run on this host or on the peer.
struct Step {
  bool on_peer = false;
  std::vector<std::string> argv;
};

/// The commands that settle `c` as `choice` says, with this host's root at
/// `local_real` (the real path under --root) and the copy present here
/// (`copy_here`) and/or on the peer (`copy_there`). Changes are made on one
/// side only; the synchronisation that follows carries them over. Throws
/// std::runtime_error naming what is missing when the version to keep is
/// nowhere.
std::vector<Step> resolution_steps(const Conflict& c, Choice choice, const std::string& local_real, bool copy_here,
                                   bool copy_there);

}  // namespace unisonsync
