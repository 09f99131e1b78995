// Checksums of a snapshot, recorded when it is taken and re-read by
// `backup verify`. XXH3-128: fast enough to hash a whole first snapshot at
// disk speed, meant to detect damage (bit rot, truncation), not tampering;
// and the checksum rsync computes of every file it copies
// (--checksum-choice=xxh128), so a copy's sums usually cost nothing.
//
// Trees are read through a directory descriptor the host opened under its
// root (Context::open_read), with the *at() calls and O_NOFOLLOW: nothing
// is followed out of the snapshot, and nothing is written.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace backup {

struct FileSum {
  std::string path;  ///< relative to the snapshot directory
  std::uint64_t size = 0;
  std::string hash;  ///< 32 hex digits
};

/// The sums of a tree.
struct TreeSums {
  std::vector<FileSum> files;   ///< sorted by path
  std::uint64_t bytes = 0;      ///< total apparent size
  std::uint64_t new_bytes = 0;  ///< bytes that had to be read (no sum known)
};

/// XXH3-128 of `data`, as 32 hex digits.
std::string hash_bytes(std::string_view data);

/// Hashes files' contents through one read buffer: one per walk (not to be
/// shared between threads).
class FileHasher {
 public:
  /// Hash of file `name` in the directory open as `dir` (not followed when
  /// it is a symlink); false with *err when it cannot be read.
  bool hash(int dir, const std::string& name, std::string* hex, std::uint64_t* size, std::string* err);

 private:
  std::vector<char> buf_ = std::vector<char>(1 << 20);
};

/// Sums every regular file under the directory open as `root` (no symlink
/// followed). A file whose path and size are in `known` takes that sum
/// instead of being read. `progress` (may be empty) is called with the
/// bytes read so far.
bool sum_tree(int root, const std::map<std::string, FileSum>& known, TreeSums* out,
              const std::function<void(std::uint64_t)>& progress, std::string* err);

/// The sums sorted by path, with their total size.
TreeSums sorted_sums(std::vector<FileSum> files);

/// The checksum file: one "HASH SIZE \"path\"" line per file (the path a
/// JSON string, so any byte is representable).
std::string format_sums(const std::vector<FileSum>& sums);
bool parse_sums(const std::string& text, std::vector<FileSum>* out, std::string* err);

/// A checksum list made from an earlier one without reading every line
/// into memory: the lines `keep` accepts, as they are, merged in path
/// order with the `added` sums.
struct MergedSums {
  std::string text;           ///< the new list
  std::uint64_t files = 0;    ///< its lines
  std::uint64_t bytes = 0;    ///< the sum of its sizes
  std::uint64_t earlier = 0;  ///< lines of the earlier list
};
/// False with *err when a line of `earlier` is damaged.
bool merge_sums(std::string_view earlier, const std::function<bool(std::string_view path)>& keep,
                std::vector<FileSum> added, MergedSums* out, std::string* err);

/// One problem found by verify.
struct Damage {
  std::string path;
  std::string problem;  ///< "missing", "size 10 instead of 12", "content differs ...", "unreadable: ..."
};
/// Re-reads every recorded file under the directory open as `root` and
/// compares.
std::vector<Damage> verify_tree(int root, const std::vector<FileSum>& sums,
                                const std::function<void(std::uint64_t)>& progress);

}  // namespace backup
