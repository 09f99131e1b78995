// Whole-tree operations on snapshots, done in-process with the *at() system
// calls: a no-change run links 20,000 files in a fraction of what
// `cp --archive --link` or rsync --link-dest take.
#pragma once

#include <unistd.h>

#include <atomic>
#include <string>

namespace backup {

/// A file descriptor closed on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

/// Makes `to` (which must not exist; its parent must) a copy of the tree
/// `from` in which every file, symbolic link and special file is a hard
/// link to the one in `from`, and every directory is new with the mode,
/// owner and times of its original: what rsync --link-dest builds when
/// nothing changed. Stops early when `cancel` becomes true. False with
/// *err on failure or when cancelled (*err empty then); what was made is
/// left for remove_tree().
bool link_tree(const std::string& from, const std::string& to, const std::atomic<bool>& cancel, std::string* err);

/// Removes `path` and everything under it (no symbolic link followed); a
/// missing `path` is fine.
bool remove_tree(const std::string& path, std::string* err);

}  // namespace backup
