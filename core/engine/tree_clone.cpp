#include "engine/tree_clone.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace sc::tree_clone {

namespace {

using rooted_fs::Status;

Status failure(std::string step) {
  return Status{errno, std::move(step)};
}

Fd open_dir_at(int dir, const std::string& name) {
  return Fd(::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

/// Owner, mode and times of `st` onto the open `fd` (owner first: chown
/// clears the set-id bits).
Status copy_attrs(int fd, const struct stat& st, const std::string& path) {
  if (::fchown(fd, st.st_uid, st.st_gid) != 0) return failure("set the owner of " + path);
  if (::fchmod(fd, st.st_mode & 07777) != 0) return failure("set the mode of " + path);
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (::futimens(fd, times) != 0) return failure("set the times of " + path);
  return {};
}

/// A regular file whose link count is at the file system's limit: a copy
/// with the same content and attributes.
Status copy_file(int from, int to, const std::string& name, const struct stat& st, const std::string& path) {
  Fd in(::openat(from, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!in) return failure("open " + path);
  Fd out(::openat(to, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!out) return failure("create " + path);
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(in.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failure("read " + path);
    if (n == 0) break;
    if (!write_all(out.get(), std::string_view(buf, static_cast<size_t>(n)))) return failure("write " + path);
  }
  return copy_attrs(out.get(), st, path);
}

struct Walk {
  const std::atomic<bool>& stop;
  Stats* stats;
  dev_t dev;

  // Copies the contents of `from` into the new, empty `to`. The entry
  // types readdir() gives spare a stat() of everything but directories
  // (and of entries whose type the file system does not say).
  Status contents(int from, int to, const std::string& path) {
    std::vector<rooted_fs::DirEntry> entries;
    Status s = rooted_fs::list_typed_at(from, &entries);
    if (!s.ok()) return Status{s.err, "read directory " + path};
    for (const auto& [name, type] : entries) {
      if (stop.load(std::memory_order_relaxed)) return Status{ECANCELED, "clone"};
      const std::string child = path + "/" + name;
      if (type != DT_DIR && type != DT_UNKNOWN) {
        s = entry(from, to, name, child);
        if (!s.ok()) return s;
        continue;
      }
      struct stat st {};
      if (::fstatat(from, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return failure("stat " + child);
      s = S_ISDIR(st.st_mode) ? directory(from, to, name, st, child) : entry(from, to, name, child);
      if (!s.ok()) return s;
    }
    return {};
  }

  Status entry(int from, int to, const std::string& name, const std::string& path) {
    if (::linkat(from, name.c_str(), to, name.c_str(), 0) == 0) {
      ++stats->linked;
      return {};
    }
    struct stat st {};
    if (errno != EMLINK || ::fstatat(from, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
      return failure("link " + path);
    ++stats->copied;
    return copy_file(from, to, name, st, path);
  }

  Status directory(int from_parent, int to_parent, const std::string& name, const struct stat& st,
                   const std::string& path) {
    // Like rsync -x and rm --one-file-system: a mount point is not ours.
    if (st.st_dev != dev) return Status{EXDEV, "copy the mount point " + path};
    // Private until its attributes are set, after its contents.
    if (::mkdirat(to_parent, name.c_str(), 0700) != 0) return failure("make directory " + path);
    ++stats->dirs;
    Fd from = open_dir_at(from_parent, name);
    Fd to = open_dir_at(to_parent, name);
    if (!from || !to) return failure("open directory " + path);
    Status s = contents(from.get(), to.get(), path);
    if (!s.ok()) return s;
    return copy_attrs(to.get(), st, path);
  }
};

}  // namespace

Status copy(int from, int to_parent, const std::string& name, const std::atomic<bool>& stop, Stats* stats) {
  struct stat st {};
  if (::fstat(from, &st) != 0) return failure("stat");
  if (!S_ISDIR(st.st_mode)) return Status{ENOTDIR, "copy"};
  if (::mkdirat(to_parent, name.c_str(), 0700) != 0) return failure("make directory " + name);
  ++stats->dirs;
  Fd to = open_dir_at(to_parent, name);
  if (!to) return failure("open directory " + name);
  Walk walk{stop, stats, st.st_dev};
  Status s = walk.contents(from, to.get(), ".");
  if (!s.ok()) return s;
  return copy_attrs(to.get(), st, ".");
}

Status remove_paths(int root, int original, const std::vector<std::string>& skip, Stats* stats) {
  for (const auto& path : skip) {
    // The parent directory in the copy and in the original, one component
    // at a time, never following a symlink.
    std::vector<std::string> comps;
    size_t start = 0;
    while (start <= path.size()) {
      size_t end = path.find('/', start);
      if (end == std::string::npos) end = path.size();
      if (end > start) comps.push_back(path.substr(start, end - start));
      start = end + 1;
    }
    if (comps.empty()) continue;
    for (const auto& c : comps)
      if (c == "." || c == "..") return Status{EINVAL, "leave out " + path};
    Fd copy_dir(::fcntl(root, F_DUPFD_CLOEXEC, 0));
    Fd original_dir(::fcntl(original, F_DUPFD_CLOEXEC, 0));
    bool missing = false;
    for (size_t i = 0; i + 1 < comps.size() && !missing; ++i) {
      copy_dir = open_dir_at(copy_dir.get(), comps[i]);
      if (original_dir) original_dir = open_dir_at(original_dir.get(), comps[i]);
      missing = !copy_dir;
    }
    if (missing) continue;  // nothing of it was copied
    struct stat st {};
    if (::fstatat(copy_dir.get(), comps.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      return failure("stat " + path);
    }
    Status s = rooted_fs::remove_tree_at(copy_dir.get(), comps.back());
    if (!s.ok()) return Status{s.err, "leave out " + path};
    ++stats->skipped;
    struct stat ost {};
    if (original_dir && ::fstat(original_dir.get(), &ost) == 0) {
      const struct timespec times[2] = {ost.st_atim, ost.st_mtim};
      if (::futimens(copy_dir.get(), times) != 0) return failure("set the times of the directory of " + path);
    }
  }
  return {};
}

}  // namespace sc::tree_clone
