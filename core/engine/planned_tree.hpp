// What a dry run has planned so far: an in-memory layer over the target
// tree, so that later reads and writes of the same run see the planned
// state without anything being touched.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/rooted_fs.hpp"

namespace sc {

/// Planned entries keyed by resolved path components.
class PlannedTree {
 public:
  /// One planned path.
  struct Entry {
    rooted_fs::Node node;          ///< type missing: planned removal
    std::string content;           ///< for files, unless content_on_disk
    bool content_on_disk = false;  ///< a file whose attributes only are planned
    bool fresh = false;            ///< a directory the plan creates: nothing on disk below it counts
  };

  /// The planned entry for `comps`, or nullptr. When there is none,
  /// *hidden tells whether the disk must not be consulted either because a
  /// planned ancestor removes or replaces the path (the path is missing).
  const Entry* find(const std::vector<std::string>& comps, bool* hidden) const;

  /// Plans `entry` at `comps`. Anything planned below it is dropped unless
  /// it is a directory that is not fresh.
  void put(const std::vector<std::string>& comps, Entry entry);

  /// Names planned directly below `comps`, with their entries.
  std::map<std::string, const Entry*> children(const std::vector<std::string>& comps) const;

  bool empty() const { return entries_.empty(); }

 private:
  static std::string key(const std::vector<std::string>& comps);
  std::map<std::string, Entry> entries_;
};

}  // namespace sc
