// A hard-link copy of a directory tree, made with the *at() system calls
// on descriptors opened through the root (engine/rooted_fs): what rsync
// --link-dest makes of an unchanged tree, for a fraction of its cost. The
// executor runs it in a thread as one planned action (Executor::clone_start).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/rooted_fs.hpp"

namespace sc::tree_clone {

/// What a clone made.
struct Stats {
  std::uint64_t linked = 0;   ///< files, symlinks and special files hard-linked
  std::uint64_t copied = 0;   ///< files copied because their link count was at the limit (EMLINK)
  std::uint64_t dirs = 0;     ///< directories made
  std::uint64_t skipped = 0;  ///< paths of a skip list that were there and were removed
};

/// Makes `name` in directory `to_parent` a copy of the directory open as
/// `from`: every directory new, with the owner, mode and times of its
/// original (set after its contents), everything else hard-linked (copied
/// with its attributes when the link count is at the file system's limit).
/// Nothing is followed: symlinks are linked as symlinks, and a file system
/// mounted below `from` is refused (EXDEV). Checks `stop` between entries:
/// when it becomes true the copy ends with ECANCELED. What was made is left
/// for the caller to remove on failure.
rooted_fs::Status copy(int from, int to_parent, const std::string& name, const std::atomic<bool>& stop, Stats* stats);

/// Removes each path of `skip` (relative, "/"-separated, without "..") from
/// the tree open as `root`, with everything below it; a missing path is
/// fine. The directories that held a removed entry get back the times of
/// their counterparts in `original` (the tree the copy was made from), so
/// that leaving something out does not change them.
rooted_fs::Status remove_paths(int root, int original, const std::vector<std::string>& skip, Stats* stats);

}  // namespace sc::tree_clone
