#include "tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace backup {
namespace {

bool fail(std::string* err, const std::string& what, const std::string& path) {
  *err = "cannot " + what + " " + path + ": " + std::strerror(errno);
  return false;
}

/// Copies a directory's owner, mode and times (owner first: chown clears
/// the set-id bits), after its contents were made (they change its mtime).
bool copy_dir_attributes(int dir_fd, const struct stat& st, const std::string& shown, std::string* err) {
  if (::fchown(dir_fd, st.st_uid, st.st_gid) != 0) return fail(err, "set the owner of", shown);
  if (::fchmod(dir_fd, st.st_mode & 07777) != 0) return fail(err, "set the mode of", shown);
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (::futimens(dir_fd, times) != 0) return fail(err, "set the times of", shown);
  return true;
}

/// Calls fn(name) for every entry of the directory open as `fd` but "."
/// and ".."; stops at the first false (fn set *err then).
template <class Fn>
bool for_each_entry(int fd, const std::string& shown, std::string* err, Fn fn) {
  DIR* d = ::fdopendir(::dup(fd));
  if (!d) return fail(err, "read directory", shown);
  bool ok = true;
  while (ok) {
    errno = 0;
    dirent* e = ::readdir(d);
    if (!e) {
      if (errno != 0) ok = fail(err, "read directory", shown);
      break;
    }
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) ok = fn(e);
  }
  ::closedir(d);
  return ok;
}

bool link_dir(int from_fd, int to_fd, const std::string& shown, const std::atomic<bool>& cancel, std::string* err) {
  return for_each_entry(from_fd, shown, err, [&](const dirent* e) {
    const char* name = e->d_name;
    if (cancel.load(std::memory_order_relaxed)) {
      err->clear();
      return false;
    }
    const std::string path = shown + "/" + name;
    unsigned char type = e->d_type;
    struct stat st {};
    if (type == DT_DIR || type == DT_UNKNOWN) {
      if (::fstatat(from_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return fail(err, "read", path);
      type = S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
    }
    if (type != DT_DIR) return ::linkat(from_fd, name, to_fd, name, 0) == 0 || fail(err, "link", path);
    if (::mkdirat(to_fd, name, 0700) != 0) return fail(err, "make directory", path);
    Fd sub_from(::openat(from_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    Fd sub_to(::openat(to_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (sub_from.get() < 0 || sub_to.get() < 0) return fail(err, "open directory", path);
    return link_dir(sub_from.get(), sub_to.get(), path, cancel, err) &&
           copy_dir_attributes(sub_to.get(), st, path, err);
  });
}

bool remove_dir_contents(int fd, const std::string& shown, std::string* err) {
  return for_each_entry(fd, shown, err, [&](const dirent* e) {
    const char* name = e->d_name;
    const std::string path = shown + "/" + name;
    if (::unlinkat(fd, name, 0) == 0) return true;
    if (errno != EISDIR) return fail(err, "remove", path);
    Fd sub(::openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    // A directory made without write permission (0500) is emptied all the
    // same: we own what we made, and root may anyway.
    if (sub.get() < 0 || ::fchmod(sub.get(), 0700) != 0) return fail(err, "open directory", path);
    return remove_dir_contents(sub.get(), path, err) &&
           (::unlinkat(fd, name, AT_REMOVEDIR) == 0 || fail(err, "remove", path));
  });
}

}  // namespace

bool link_tree(const std::string& from, const std::string& to, const std::atomic<bool>& cancel, std::string* err) {
  struct stat st {};
  Fd from_fd(::open(from.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (from_fd.get() < 0 || ::fstat(from_fd.get(), &st) != 0) return fail(err, "open directory", from);
  if (::mkdir(to.c_str(), 0700) != 0) return fail(err, "make directory", to);
  Fd to_fd(::open(to.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (to_fd.get() < 0) return fail(err, "open directory", to);
  return link_dir(from_fd.get(), to_fd.get(), to, cancel, err) && copy_dir_attributes(to_fd.get(), st, to, err);
}

bool remove_tree(const std::string& path, std::string* err) {
  if (::unlink(path.c_str()) == 0 || errno == ENOENT) return true;
  if (errno != EISDIR) return fail(err, "remove", path);
  Fd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0 || ::fchmod(fd.get(), 0700) != 0) return fail(err, "open directory", path);
  if (!remove_dir_contents(fd.get(), path, err)) return false;
  if (::rmdir(path.c_str()) != 0) return fail(err, "remove", path);
  return true;
}

}  // namespace backup
