// The execution engine: every change to the target system goes through
// here as a planned action, so that --dry-run, --diff, --root and the
// ok/changed report work the same for every module (docs/ARCHITECTURE.md, rule 2).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/planned_tree.hpp"
#include "engine/process.hpp"
#include "engine/rooted_fs.hpp"
#include "engine/tree_clone.hpp"

namespace sc {

/// Outcome of one action.
enum class ActionState {
  ok,        ///< already as wanted: nothing done
  changed,   ///< done
  planned,   ///< would change (--dry-run): nothing done
  recorded,  ///< acts on the live system and --root is given: not run
  failed,    ///< could not be done; the detail says why
};

/// One reported action.
struct Action {
  std::string kind;    ///< "write", "remove", "mkdir", "symlink", "attr" or "run"
  std::string target;  ///< the path as the caller wrote it, or the formatted argv
  ActionState state = ActionState::ok;
  std::string detail;  ///< what changed ("created", "content, mode 0644 -> 0600") or why it failed
  std::string diff;    ///< unified diff under --diff for file contents, else empty
};

/// How the executor runs.
struct ExecOptions {
  std::filesystem::path root = "/";  ///< --root DIR: every path is resolved under it
  bool dry_run = false;              ///< --dry-run: touch nothing, report the plan
  bool diff = false;                 ///< --diff: attach diffs to file actions
};

/// Attributes of a written file or directory; mirrors sc_file_attr.
struct FileSpec {
  std::uint32_t mode = 0644;  ///< permission bits (07777 at most), applied regardless of umask
  std::string owner;          ///< user name on the target; empty: root
  std::string group;          ///< group name on the target; empty: the owner's primary group
  bool secret = false;        ///< never show the content in a diff
  bool keep_attrs = false;    ///< an existing path keeps its mode and owner
};

/// A program to run; mirrors sc_run's flags.
struct RunSpec {
  ProcessSpec process;
  bool readonly = false;     ///< only reads: runs under --dry-run too, not reported
  bool live = false;         ///< acts on the running system: recorded, not run, under --root
  bool secret_args = false;  ///< report argv[0] only
};

/// A hard-link copy of a tree in progress (Executor::clone_start).
/// Destroying one that was not finished stops it and removes its work.
class CloneJob {
 public:
  ~CloneJob();
  CloneJob(const CloneJob&) = delete;
  CloneJob& operator=(const CloneJob&) = delete;

 private:
  friend class Executor;
  CloneJob() = default;
  /// Stops and joins the worker, then removes the temporary copy.
  void discard();

  std::string from, to;  // as the caller wrote them, for the report
  bool planned = false;  // --dry-run: nothing runs
  Fd from_dir, parent_dir;
  std::string name, temp;  // of `to`, and of the copy while it is made, in parent_dir
  std::atomic<bool> stop{false};
  std::thread worker;
  rooted_fs::Status result;
  tree_clone::Stats stats;
};

/// Applies (or, under --dry-run, plans) changes to the target tree and
/// records one Action per call. Paths are absolute paths of the target
/// system, resolved under options().root like a chroot would (".." is
/// refused, symlinks never lead out of the root). Error messages name the
/// path as the caller wrote it and say what to do. Not thread-safe.
class Executor {
 public:
  explicit Executor(ExecOptions opts);

  /// Makes `path` a regular file with `data` and the attributes of `spec`:
  /// `ok` when it already is, else written atomically (temporary file in the
  /// same directory, fsync, rename, fsync of the directory); when only mode
  /// or owner differ they are changed in place. A symlink at `path` is
  /// replaced, never followed. The parent directory must exist. On failure
  /// the old file is left intact.
  bool write_file(const std::string& path, std::string_view data, const FileSpec& spec, std::string* err);

  /// Removes a file, symlink or empty directory (`recursive`: any
  /// directory, without following symlinks or crossing mount points). A
  /// missing path is `ok`. Under --diff a removed file's content is shown
  /// against /dev/null unless others may not read it or this run wrote it
  /// as secret.
  bool remove(const std::string& path, bool recursive, std::string* err);

  /// Creates a directory and its missing parents (0755, owned by root) and
  /// gives the last one the attributes of `spec`. An existing directory
  /// with those attributes is `ok`; an existing non-directory is an error.
  bool make_dir(const std::string& path, const FileSpec& spec, std::string* err);

  /// Makes `path` a symlink to `target` (stored as given). A link with that
  /// target is `ok`; another link or a file is replaced atomically; a
  /// directory is an error.
  bool symlink(const std::string& target, const std::string& path, std::string* err);
  /// Renames `from` to `to` (same file system), never replacing an
  /// existing `to`; the parent of `to` must exist. Under --dry-run only
  /// recorded: the plan of later calls does not follow the rename.
  bool rename(const std::string& from, const std::string& to, std::string* err);

  /// Starts making `to` a copy of the directory tree `from` in which every
  /// file is a hard link to the original and every directory is new with
  /// its original's owner, mode and times (tree_clone::copy), in a thread,
  /// under a temporary name next to `to` (".NAME.sc-clone"; one left by a
  /// killed run is removed first). Only this thread's own descriptors are
  /// used, so the executor stays usable meanwhile. `to` must not exist and
  /// its parent must. Under --dry-run nothing starts. Null with *err when
  /// the paths are wrong (nothing recorded).
  std::unique_ptr<CloneJob> clone_start(const std::string& from, const std::string& to, std::string* err);

  /// Waits for the clone, removes `skip` (paths relative to `from`) from
  /// the copy, renames it into place and records one "clone" action
  /// (planned under --dry-run; the plan of later calls does not see the
  /// copy). `discard`: stops it and removes its work instead, recording
  /// nothing. On failure nothing is left at `to`. *stats may be null.
  bool clone_finish(std::unique_ptr<CloneJob> job, bool discard, const std::vector<std::string>& skip,
                    tree_clone::Stats* stats, std::string* err);

  /// Sets the mode and owner of an existing path (symlinks followed inside
  /// the root). spec.keep_attrs makes it a no-op; spec.secret is ignored.
  bool set_attr(const std::string& path, const FileSpec& spec, std::string* err);

  /// Reads a file of the target (symlinks followed inside the root). Under
  /// --dry-run, planned writes and removals of this run are visible.
  bool read_file(const std::string& path, std::string* data, std::string* err) const;

  /// What is at a path of the target: type, mode, owner, size and time
  /// (under --dry-run, as this run planned it). `follow`: a symlink as the
  /// last component is followed (inside the root). A missing path is
  /// NodeType::missing, not an error; false with *err for an invalid path
  /// or a failed lstat().
  bool stat(const std::string& path, bool follow, rooted_fs::Node* out, std::string* err) const;

  /// The names in a directory of the target, sorted (under --dry-run, with
  /// what this run planned to create or remove there). False with *err
  /// when it is missing, not a directory or cannot be read.
  bool list_dir(const std::string& path, std::vector<std::string>* names, std::string* err) const;

  /// Opens a file or directory of the target for reading (symlinks
  /// followed inside the root, every directory opened with O_NOFOLLOW):
  /// what is on disk, not what --dry-run planned.
  bool open_read(const std::string& path, Fd* out, std::string* err) const;

  /// The path on this machine for a target path (under the root, symlinks
  /// followed inside it), for handing to a program.
  bool resolve(const std::string& path, std::filesystem::path* out, std::string* err) const;

  /// Runs (or plans) a program. readonly: always runs, not recorded.
  /// Otherwise: under dry_run it is recorded as `planned` and not run; when
  /// live and the root is not "/", recorded as `recorded` and not run; else
  /// run and recorded as `changed`, or `failed` with
  /// ProcessResult::describe(). *ran tells whether it ran (either pointer
  /// may be null). Returns false when it ran and failed or could not start:
  /// *err is "<argv0>: exited with status N" followed by the first lines of
  /// captured stderr, or the spawn error.
  bool run(const RunSpec& spec, ProcessResult* result, bool* ran, std::string* err);

  /// Registers a secret: every occurrence is replaced by "********" in
  /// diffs, action targets and details, and error messages. Values shorter
  /// than kMinSearchedSecret bytes are not searched for (they would mask
  /// every matching letter of the text, telling the secret): the places
  /// that hold a secret as a value mask it themselves.
  void add_secret(std::string value);
  static constexpr std::size_t kMinSearchedSecret = 6;

  /// `text` with every registered secret replaced by "********".
  std::string redact(std::string_view text) const;

  /// Records an action carried out elsewhere (a setting change, a unit
  /// restart...): target, detail and diff are redacted, then it is stored
  /// and passed to the listener like the executor's own actions.
  void record(Action action);

  /// Every action recorded so far, in order.
  const std::vector<Action>& actions() const { return actions_; }

  /// Called with each action as it is recorded.
  void set_listener(std::function<void(const Action&)> fn) { listener_ = std::move(fn); }

  const ExecOptions& options() const { return opts_; }

 private:
  using Comps = std::vector<std::string>;

  bool resolve_comps(const std::string& path, bool follow_last, Comps* comps, std::string* err) const;
  rooted_fs::Status stat_view(const Comps& comps, rooted_fs::Node* out) const;
  rooted_fs::Status read_view(const Comps& comps, std::string* data) const;
  rooted_fs::Status list_view(const Comps& comps, std::vector<std::string>* names) const;
  bool dir_is_empty(const Comps& comps) const;
  bool check_parent(const std::string& path, const Comps& comps, std::string* reason) const;
  bool owner_ids(const FileSpec& spec, unsigned* uid, unsigned* gid, std::string* reason) const;
  std::string file_diff(const std::string& path, std::string_view old_text, bool old_exists, std::string_view new_text,
                        bool new_exists, bool secret) const;
  void plan(const Comps& comps, PlannedTree::Entry entry) { plan_.put(comps, std::move(entry)); }

  bool fail(const char* kind, const std::string& path, const std::string& reason, std::string* err);
  bool fail_message(const char* kind, const std::string& target, const std::string& message, std::string* err);

  ExecOptions opts_;
  std::vector<Action> actions_;
  std::function<void(const Action&)> listener_;
  std::vector<std::string> secrets_;    // longest first
  std::set<std::string> secret_paths_;  // resolved target paths written as secret
  PlannedTree plan_;                    // used under dry_run only
};

}  // namespace sc
