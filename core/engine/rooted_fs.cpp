#include "engine/rooted_fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "engine/rooted_path.hpp"

namespace sc::rooted_fs {
namespace {

Status failure(std::string step) {
  return Status{errno, std::move(step)};
}

Status open_root(const std::filesystem::path& root, Fd* out) {
  Fd fd(::open(host_path(root, {}).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return failure("open root directory");
  *out = std::move(fd);
  return {};
}

// Six random file-name characters: unpredictable so that another process
// cannot pre-create the name, unique enough that O_EXCL rarely retries.
std::string random_suffix() {
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  static std::atomic<unsigned long> counter{0};
  unsigned char bytes[6] = {};
  if (::getrandom(bytes, sizeof bytes, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof bytes)) {
    unsigned long seed = static_cast<unsigned long>(std::chrono::steady_clock::now().time_since_epoch().count());
    seed ^= static_cast<unsigned long>(::getpid()) << 16;
    seed += counter.fetch_add(1) * 0x9E3779B97F4A7C15ul;
    for (auto& b : bytes) {
      b = static_cast<unsigned char>(seed);
      seed = seed * 6364136223846793005ul + 1442695040888963407ul;
    }
  }
  std::string s;
  for (unsigned char b : bytes) s += kChars[b % (sizeof kChars - 1)];
  return s;
}

// ".NAME.sc-" with NAME shortened so that the result fits in NAME_MAX.
Node node_from_stat(const struct stat& st) {
  Node n;
  if (S_ISREG(st.st_mode))
    n.type = NodeType::file;
  else if (S_ISDIR(st.st_mode))
    n.type = NodeType::dir;
  else if (S_ISLNK(st.st_mode))
    n.type = NodeType::symlink;
  else
    n.type = NodeType::other;
  n.mode = static_cast<std::uint32_t>(st.st_mode & 07777);
  n.uid = static_cast<unsigned>(st.st_uid);
  n.gid = static_cast<unsigned>(st.st_gid);
  n.size = static_cast<std::uint64_t>(st.st_size);
  n.mtime = static_cast<std::int64_t>(st.st_mtim.tv_sec);
  return n;
}

Status read_link_at(int dir, const char* name, std::string* out) {
  std::string buf(256, '\0');
  for (;;) {
    ssize_t n = ::readlinkat(dir, name, buf.data(), buf.size());
    if (n < 0) return failure("readlink");
    if (static_cast<size_t>(n) < buf.size()) {
      buf.resize(static_cast<size_t>(n));
      *out = std::move(buf);
      return {};
    }
    buf.resize(buf.size() * 2);
  }
}

// Sets ids (when they differ) then mode on an open descriptor.
Status apply_attrs(int fd, std::uint32_t mode, unsigned uid, unsigned gid) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return failure("stat");
  if (st.st_uid != uid || st.st_gid != gid) {
    if (::fchown(fd, uid, gid) != 0) return failure("chown");
  }
  if (::fchmod(fd, mode) != 0) return failure("chmod");
  return {};
}

Status remove_tree(int parent, const std::string& name, dev_t dev) {
  Fd dir(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) return failure("open " + name);
  struct stat st {};
  if (::fstat(dir.get(), &st) != 0) return failure("stat " + name);
  // Like rm --one-file-system: never empty a file system mounted below.
  if (st.st_dev != dev) return Status{EXDEV, "remove mount point " + name};
  std::vector<std::string> names;
  Status listed = list_at(dir.get(), &names);
  if (!listed.ok()) return Status{listed.err, "open " + name};
  for (const auto& child : names) {
    struct stat cst {};
    if (::fstatat(dir.get(), child.c_str(), &cst, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      return failure("stat " + name + "/" + child);
    }
    if (S_ISDIR(cst.st_mode)) {
      Status s = remove_tree(dir.get(), child, dev);
      if (!s.ok()) return s;
    } else if (::unlinkat(dir.get(), child.c_str(), 0) != 0 && errno != ENOENT) {
      return failure("remove " + name + "/" + child);
    }
  }
  dir.reset();
  if (::unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0) return failure("remove " + name);
  return {};
}

}  // namespace

std::string temp_prefix(const std::string& name) {
  return "." + name.substr(0, 200) + ".sc-";
}

Status open_dir(const Location& at, size_t n, Fd* out) {
  Fd cur;
  Status s = open_root(at.root, &cur);
  if (!s.ok()) return s;
  for (size_t i = 0; i < n && i < at.comps.size(); ++i) {
    Fd next(::openat(cur.get(), at.comps[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next) {
      std::vector<std::string> upto(at.comps.begin(), at.comps.begin() + static_cast<long>(i) + 1);
      return failure("open directory " + join_target_path(upto));
    }
    cur = std::move(next);
  }
  *out = std::move(cur);
  return {};
}

Status stat_node(const Location& at, Node* out) {
  *out = Node{};
  Fd dir;
  size_t n = at.comps.size();
  Status s = open_dir(at, n == 0 ? 0 : n - 1, &dir);
  if (!s.ok()) {
    if (s.err == ENOENT || s.err == ENOTDIR) return {};
    return s;
  }
  if (n == 0) {
    struct stat st {};
    if (::fstat(dir.get(), &st) != 0) return failure("stat");
    *out = node_from_stat(st);
    return {};
  }
  return stat_at(dir.get(), at.comps.back(), out);
}

Status stat_at(int dir, const std::string& name, Node* out) {
  *out = Node{};
  struct stat st {};
  if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return {};
    return failure("stat");
  }
  *out = node_from_stat(st);
  if (out->type == NodeType::symlink) return read_link_at(dir, name.c_str(), &out->link);
  return {};
}

Status list_dir(const Location& at, std::vector<std::string>* names) {
  names->clear();
  Fd dir;
  Status s = open_dir(at, at.comps.size(), &dir);
  if (!s.ok()) return s;
  return list_at(dir.get(), names);
}

Status list_at(int dir, std::vector<std::string>* names) {
  std::vector<DirEntry> entries;
  Status s = list_typed_at(dir, &entries);
  names->clear();
  for (auto& e : entries) names->push_back(std::move(e.name));
  return s;
}

Status list_typed_at(int dir, std::vector<DirEntry>* entries) {
  entries->clear();
  // readdir() on a duplicate: closedir() closes the descriptor it was given.
  int dup_fd = ::fcntl(dir, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return failure("open directory");
  DIR* d = ::fdopendir(dup_fd);
  if (!d) {
    Status s = failure("open directory");
    ::close(dup_fd);
    return s;
  }
  // The duplicate shares the file offset: start from the first entry.
  ::rewinddir(d);
  for (;;) {
    errno = 0;
    dirent* e = ::readdir(d);
    if (!e) break;
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
      entries->push_back(DirEntry{e->d_name, e->d_type});
  }
  Status s = errno != 0 ? failure("read directory") : Status{};
  ::closedir(d);
  return s;
}

Status open_read(const Location& at, Fd* out) {
  if (at.comps.empty()) return open_root(at.root, out);
  Fd dir;
  Status s = open_dir(at, at.comps.size() - 1, &dir);
  if (!s.ok()) return s;
  // O_NONBLOCK: a FIFO must not hang us; it is cleared again for the caller.
  Fd fd(::openat(dir.get(), at.comps.back().c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return failure("open");
  int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags >= 0) ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  *out = std::move(fd);
  return {};
}

Status read_file(const Location& at, std::string* data) {
  if (at.comps.empty()) return Status{EISDIR, "open"};
  Fd dir;
  Status s = open_dir(at, at.comps.size() - 1, &dir);
  if (!s.ok()) return s;
  return read_at(dir.get(), at.comps.back(), data);
}

Status read_at(int dir, const std::string& name, std::string* data) {
  Fd fd(::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return failure("open");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return failure("stat");
  if (S_ISDIR(st.st_mode)) return Status{EISDIR, "read"};
  if (!S_ISREG(st.st_mode)) return Status{EINVAL, "read (not a regular file)"};
  std::string out;
  out.reserve(static_cast<size_t>(st.st_size));
  if (!read_all(fd.get(), &out)) return failure("read");
  *data = std::move(out);
  return {};
}

Status replace_file(const Location& at, std::string_view data, std::uint32_t mode, unsigned uid, unsigned gid) {
  if (at.comps.empty()) return Status{EISDIR, "write"};
  Fd dir;
  Status s = open_dir(at, at.comps.size() - 1, &dir);
  if (!s.ok()) return s;
  return replace_at(dir.get(), at.comps.back(), data, mode, uid, gid);
}

Status replace_at(int dir, const std::string& name, std::string_view data, std::uint32_t mode, unsigned uid,
                  unsigned gid) {
  const std::string prefix = temp_prefix(name);
  std::string tmp;
  Fd fd;
  for (int attempt = 0; attempt < 100 && !fd; ++attempt) {
    tmp = prefix + random_suffix();
    fd.reset(::openat(dir, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd && errno != EEXIST) return failure("create temporary file");
  }
  if (!fd) return failure("create temporary file");
  auto fail = [&](const char* step) {
    Status st = failure(step);
    fd.reset();
    ::unlinkat(dir, tmp.c_str(), 0);
    return st;
  };
  Status attrs = apply_attrs(fd.get(), mode, uid, gid);
  if (!attrs.ok()) {
    fd.reset();
    ::unlinkat(dir, tmp.c_str(), 0);
    return attrs;
  }
  if (!write_all(fd.get(), data)) return fail("write");
  if (::fsync(fd.get()) != 0) return fail("fsync");
  if (!fd.close_checked()) return fail("close");
  if (::renameat(dir, tmp.c_str(), dir, name.c_str()) != 0) return fail("rename");
  // EINVAL: a file system that cannot sync directories; nothing more to do.
  if (::fsync(dir) != 0 && errno != EINVAL) return failure("fsync directory");
  return {};
}

Status make_dir(const Location& at, std::uint32_t mode, unsigned uid, unsigned gid) {
  if (at.comps.empty()) return Status{EEXIST, "mkdir"};
  Fd dir;
  Status s = open_dir(at, at.comps.size() - 1, &dir);
  if (!s.ok()) return s;
  const char* name = at.comps.back().c_str();
  // Private until its attributes are set.
  if (::mkdirat(dir.get(), name, 0700) != 0) return failure("mkdir");
  Fd fd(::openat(dir.get(), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return failure("open");
  s = apply_attrs(fd.get(), mode, uid, gid);
  if (!s.ok()) return s;
  if (::fsync(dir.get()) != 0) return failure("fsync directory");
  return {};
}

Status set_attr(const Location& at, std::uint32_t mode, unsigned uid, unsigned gid) {
  Fd dir;
  size_t n = at.comps.size();
  Status s = open_dir(at, n == 0 ? 0 : n - 1, &dir);
  if (!s.ok()) return s;
  Fd fd;
  if (n == 0)
    fd = std::move(dir);
  else
    fd.reset(::openat(dir.get(), at.comps.back().c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return failure("open");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return failure("stat");
  if (S_ISLNK(st.st_mode)) return Status{ELOOP, "chmod (path is a symlink)"};
  if (st.st_uid != uid || st.st_gid != gid) {
    if (::fchownat(fd.get(), "", uid, gid, AT_EMPTY_PATH) != 0) return failure("chown");
  }
  // fchmod() refuses O_PATH descriptors; the /proc link names exactly the
  // file opened above.
  std::string proc = "/proc/self/fd/" + std::to_string(fd.get());
  if (::fchmodat(AT_FDCWD, proc.c_str(), mode, 0) != 0) {
    if (errno != ENOENT || n == 0) return failure("chmod");
    if (::fchmodat(dir.get(), at.comps.back().c_str(), mode, 0) != 0) return failure("chmod");
  }
  return {};
}

Status replace_symlink(const Location& at, const std::string& target) {
  if (at.comps.empty()) return Status{EEXIST, "symlink"};
  Fd dir;
  Status s = open_dir(at, at.comps.size() - 1, &dir);
  if (!s.ok()) return s;
  const std::string& name = at.comps.back();
  const std::string prefix = temp_prefix(name);
  std::string tmp;
  bool made = false;
  for (int attempt = 0; attempt < 100 && !made; ++attempt) {
    tmp = prefix + random_suffix();
    made = ::symlinkat(target.c_str(), dir.get(), tmp.c_str()) == 0;
    if (!made && errno != EEXIST) return failure("symlink");
  }
  if (!made) return failure("symlink");
  if (::renameat(dir.get(), tmp.c_str(), dir.get(), name.c_str()) != 0) {
    Status st = failure("rename");
    ::unlinkat(dir.get(), tmp.c_str(), 0);
    return st;
  }
  if (::fsync(dir.get()) != 0) return failure("fsync directory");
  return {};
}

Status rename_noreplace(const Location& from, const Location& to) {
  if (from.comps.empty() || to.comps.empty()) return Status{EBUSY, "rename the root directory"};
  Fd from_dir, to_dir;
  Status s = open_dir(from, from.comps.size() - 1, &from_dir);
  if (!s.ok()) return s;
  s = open_dir(to, to.comps.size() - 1, &to_dir);
  if (!s.ok()) return s;
  if (::renameat2(from_dir.get(), from.comps.back().c_str(), to_dir.get(), to.comps.back().c_str(), RENAME_NOREPLACE) !=
      0)
    return failure("rename");
  if (::fsync(to_dir.get()) != 0) return failure("fsync directory");
  if (::fsync(from_dir.get()) != 0) return failure("fsync directory");
  return {};
}

Status remove_tree_at(int dir, const std::string& name) {
  struct stat st {};
  if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return errno == ENOENT ? Status{} : failure("stat");
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(dir, name.c_str(), 0) != 0 && errno != ENOENT) return failure("unlink");
    return {};
  }
  struct stat pst {};
  if (::fstat(dir, &pst) != 0) return failure("stat");
  return remove_tree(dir, name, pst.st_dev);
}

Status remove(const Location& at, bool recursive) {
  if (at.comps.empty()) return Status{EBUSY, "remove the root directory"};
  Fd dir;
  Status s = open_dir(at, at.comps.size() - 1, &dir);
  if (!s.ok()) return s;
  const std::string& name = at.comps.back();
  struct stat st {};
  if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return failure("stat");
  if (S_ISDIR(st.st_mode)) {
    if (recursive) {
      struct stat pst {};
      if (::fstat(dir.get(), &pst) != 0) return failure("stat");
      return remove_tree(dir.get(), name, pst.st_dev);
    }
    if (::unlinkat(dir.get(), name.c_str(), AT_REMOVEDIR) != 0) return failure("rmdir");
    return {};
  }
  if (::unlinkat(dir.get(), name.c_str(), 0) != 0) return failure("unlink");
  return {};
}

std::string describe(const Status& st) {
  std::string text = std::strerror(st.err);
  const char* hint = nullptr;
  switch (st.err) {
    case EACCES:
    case EPERM:
      hint = "run sc as root, and check that the file is not immutable (lsattr)";
      break;
    case ENOSPC:
    case EDQUOT:
      hint = "free some space on that file system";
      break;
    case EROFS:
      hint = "the file system is mounted read-only";
      break;
    case ELOOP:
      hint = "a symlink is in the way (or appeared meanwhile); check the path";
      break;
    case EXDEV:
      hint = "a file system is mounted there; unmount it first";
      break;
    default:
      break;
  }
  if (!st.step.empty()) text = st.step + ": " + text;
  if (hint) text += " (" + std::string(hint) + ")";
  return text;
}

}  // namespace sc::rooted_fs
