// File system primitives on resolved paths under a root directory. Every
// directory below the root is opened with O_NOFOLLOW, one component at a
// time, so a symlink swapped in after resolution makes the call fail
// instead of leading out of the root. Used by the executor.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/fd.hpp"

namespace sc::rooted_fs {

/// What is at a path.
enum class NodeType { missing, file, dir, symlink, other };

/// Type, attributes and (for a symlink) content of one path.
struct Node {
  NodeType type = NodeType::missing;
  std::uint32_t mode = 0;  ///< permission bits (07777)
  unsigned uid = 0;
  unsigned gid = 0;
  std::string link;        ///< symlink content
  std::uint64_t size = 0;  ///< bytes (regular files)
  std::int64_t mtime = 0;  ///< modification time, seconds since the epoch
};

/// Why a call failed: an errno value and the step that failed ("rename",
/// "write"...); err == 0 means success.
struct Status {
  int err = 0;
  std::string step;
  bool ok() const { return err == 0; }
};

/// A path below `root` given by its resolved components.
struct Location {
  const std::filesystem::path& root;
  const std::vector<std::string>& comps;
};

/// Opens ROOT/comps[0..n) as a directory (n == 0: the root itself).
Status open_dir(const Location& at, size_t n, Fd* out);

/// lstat() of the location. A missing path, or one below a non-directory,
/// gives NodeType::missing.
Status stat_node(const Location& at, Node* out);

/// Lists the names in a directory (not "." and "..").
Status list_dir(const Location& at, std::vector<std::string>* names);

/// Opens the location for reading only (a file or a directory; the last
/// component is not followed), close-on-exec.
Status open_read(const Location& at, Fd* out);

/// Reads a whole regular file (the last component is not followed).
Status read_file(const Location& at, std::string* data);

/// Writes `data` to a temporary file next to the target (".NAME.sc-XXXXXX",
/// O_EXCL|O_NOFOLLOW, mode 0600 while written), sets owner then mode
/// (ignoring the umask; chown before chmod so set-id bits survive), fsyncs
/// it, renames it over the target (a symlink there is replaced, not
/// followed) and fsyncs the directory. On failure the temporary file is
/// removed and the target is untouched. chown() is called only when the
/// new file's ids differ from uid/gid.
Status replace_file(const Location& at, std::string_view data, std::uint32_t mode, unsigned uid, unsigned gid);

/// Creates the last component as a directory (parents must exist), then
/// sets its owner (when different) and mode.
Status make_dir(const Location& at, std::uint32_t mode, unsigned uid, unsigned gid);

/// Sets owner (when different) then mode of an existing path that is not a
/// symlink.
Status set_attr(const Location& at, std::uint32_t mode, unsigned uid, unsigned gid);

/// Makes the location a symlink to `target`: a new link under a temporary
/// name renamed over whatever non-directory is there.
Status replace_symlink(const Location& at, const std::string& target);

/// Removes a file, symlink or empty directory; with `recursive` a directory
/// and everything below it (symlinks inside are removed, never followed;
/// a file system mounted below is refused with EXDEV).
Status remove(const Location& at, bool recursive);

/// Renames `from` to `to` (same root), never replacing an existing `to`
/// (renameat2 RENAME_NOREPLACE), then syncs both directories.
Status rename_noreplace(const Location& from, const Location& to);

// The same operations relative to a directory already opened with
// open_dir(), for a caller that works in one directory several times (the
// settings store: its lock, its file and the copy of an original one). The
// name is one component: it is never followed when it is a symlink.

/// lstat() of `name` in `dir` (a missing name gives NodeType::missing).
Status stat_at(int dir, const std::string& name, Node* out);
/// The names in the directory open as `dir` (not "." and "..").
Status list_at(int dir, std::vector<std::string>* names);
/// One entry of a directory and its type as readdir() gives it (DT_*;
/// DT_UNKNOWN on file systems that do not say).
struct DirEntry {
  std::string name;
  unsigned char type;
};
/// list_at() with each entry's type.
Status list_typed_at(int dir, std::vector<DirEntry>* entries);
/// read_file() of `name` in `dir`.
Status read_at(int dir, const std::string& name, std::string* data);
/// The start of the names of the temporary files replace_at() writes
/// before renaming one over `name`: ".NAME.sc-". One left behind was
/// written by a process that died before its rename.
std::string temp_prefix(const std::string& name);
/// replace_file() of `name` in `dir`.
Status replace_at(int dir, const std::string& name, std::string_view data, std::uint32_t mode, unsigned uid,
                  unsigned gid);

/// Removes the entry `name` of `dir` with everything below it (as
/// remove() with `recursive`); a missing entry is fine.
Status remove_tree_at(int dir, const std::string& name);

/// strerror(err) plus, for common causes, what to do about it.
std::string describe(const Status& st);

}  // namespace sc::rooted_fs
