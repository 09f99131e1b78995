// Checksums of a snapshot, recorded when it is taken and re-read by
// `backup verify`. XXH3-128: fast enough to hash a whole first snapshot at
// disk speed, and meant to detect damage (bit rot, truncation), not
// tampering.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace backup {

struct FileSum {
  std::string path;  ///< relative to the snapshot directory
  std::uint64_t size = 0;
  std::string hash;  ///< 32 hex digits
};

/// Identity of a file's content on disk: a hard-linked file shares it.
struct InodeKey {
  dev_t dev;
  ino_t ino;
  bool operator<(const InodeKey& o) const { return dev != o.dev ? dev < o.dev : ino < o.ino; }
};

/// Result of summing a tree.
struct TreeSums {
  std::vector<FileSum> files;  ///< sorted by path
  std::uint64_t bytes = 0;     ///< total apparent size
  std::uint64_t new_bytes = 0; ///< bytes that had to be read (not reused)
};

/// Hashes files' contents through one read buffer: one per walk (not to be
/// shared between threads).
class FileHasher {
 public:
  /// Hash of one file's content; false with *err when it cannot be read.
  bool hash(const std::string& path, std::string* hex, std::uint64_t* size, std::string* err);

 private:
  std::vector<char> buf_ = std::vector<char>(1 << 20);
};

/// Sums every regular file under `dir`. A file that is a hard link to one
/// summed before (same inode, as rsync --link-dest makes for unchanged
/// files) takes the known sum from `known` instead of being read again.
/// `progress` (may be empty) is called with bytes done so far.
bool sum_tree(const std::string& dir, const std::map<InodeKey, FileSum>& known, TreeSums* out,
              const std::function<void(std::uint64_t)>& progress, std::string* err);

/// Sums `dir` when its top-level directory `same` (e.g. "fs") is a whole
/// hard-link copy of an earlier snapshot's, whose sums are `earlier` (paths
/// relative to that snapshot): those are carried over without walking or
/// reading the copy; the rest of `dir` is summed as sum_tree does.
bool sum_tree_carrying(const std::string& dir, const std::string& same, const std::vector<FileSum>& earlier,
                       TreeSums* out, std::string* err);

/// Index of a summed tree by inode, for the next snapshot's sum_tree.
std::map<InodeKey, FileSum> index_by_inode(const std::string& dir, const std::vector<FileSum>& sums);

/// The checksum file: one "HASH SIZE \"path\"" line per file (the path a
/// JSON string, so any byte is representable).
std::string format_sums(const std::vector<FileSum>& sums);
bool parse_sums(const std::string& text, std::vector<FileSum>* out, std::string* err);

/// One problem found by verify.
struct Damage {
  std::string path;
  std::string problem;  ///< "missing", "size 10 != 12", "content differs", "unreadable: ..."
};
/// Re-reads every recorded file under `dir` and compares.
std::vector<Damage> verify_tree(const std::string& dir, const std::vector<FileSum>& sums,
                                const std::function<void(std::uint64_t)>& progress);

}  // namespace backup
