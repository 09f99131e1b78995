#include "checksums.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "common/text_split.hpp"

// The only file system calls of this module: reads, relative to a
// directory descriptor the host opened under its root (see the header).

namespace backup {

namespace {

std::string hex128(XXH128_hash_t h) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return buf;
}

/// A descriptor closed on scope exit.
struct OwnedFd {
  int fd;
  explicit OwnedFd(int f) : fd(f) {}
  ~OwnedFd() {
    if (fd >= 0) ::close(fd);
  }
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
};

/// Names in the directory open as `dir`, sorted.
bool names_in(int dir, std::vector<std::string>* names) {
  int copy = ::fcntl(dir, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return false;
  DIR* d = ::fdopendir(copy);
  if (!d) {
    ::close(copy);
    return false;
  }
  ::rewinddir(d);
  errno = 0;
  while (dirent* e = ::readdir(d))
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names->emplace_back(e->d_name);
  const int read_errno = errno;
  ::closedir(d);
  std::sort(names->begin(), names->end());
  errno = read_errno;
  return read_errno == 0;
}

using Visit = std::function<bool(int dir, const std::string& name, const std::string& rel, const struct stat&)>;

/// Walks the directory open as `dir` (`rel` its path in the tree), calling
/// fn for every entry that is not a directory, in path order.
bool walk(int dir, const std::string& rel, const Visit& fn, std::string* err) {
  std::vector<std::string> names;
  if (!names_in(dir, &names)) {
    *err = "cannot read directory " + (rel.empty() ? std::string(".") : rel) + ": " + std::strerror(errno);
    return false;
  }
  for (const auto& n : names) {
    const std::string r = rel.empty() ? n : rel + "/" + n;
    struct stat st {};
    if (::fstatat(dir, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      *err = "cannot stat " + r + ": " + std::strerror(errno);
      return false;
    }
    if (!S_ISDIR(st.st_mode)) {
      if (!fn(dir, n, r, st)) return false;
      continue;
    }
    OwnedFd sub(::openat(dir, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (sub.fd < 0) {
      *err = "cannot open directory " + r + ": " + std::strerror(errno);
      return false;
    }
    if (!walk(sub.fd, r, fn, err)) return false;
  }
  return true;
}

/// The descriptor of the directory holding `path` (relative to `root`),
/// and the path's last component; -1 when a directory on the way is
/// missing or not a directory.
int parent_of(int root, const std::string& path, std::string* name) {
  int dir = ::fcntl(root, F_DUPFD_CLOEXEC, 0);
  size_t start = 0;
  for (size_t slash; dir >= 0 && (slash = path.find('/', start)) != std::string::npos; start = slash + 1) {
    int next =
        ::openat(dir, path.substr(start, slash - start).c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    ::close(dir);
    dir = next;
  }
  *name = path.substr(start);
  return dir;
}

}  // namespace

std::string hash_bytes(std::string_view data) {
  return hex128(XXH3_128bits(data.data(), data.size()));
}

bool FileHasher::hash(int dir, const std::string& name, std::string* hex, std::uint64_t* size, std::string* err) {
  OwnedFd fd(::openat(dir, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.fd < 0) {
    *err = std::strerror(errno);
    return false;
  }
  ::posix_fadvise(fd.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  XXH3_state_t* state = XXH3_createState();
  XXH3_128bits_reset(state);
  std::uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(fd.fd, buf_.data(), buf_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *err = std::strerror(errno);
      XXH3_freeState(state);
      return false;
    }
    if (n == 0) break;
    XXH3_128bits_update(state, buf_.data(), static_cast<size_t>(n));
    total += static_cast<std::uint64_t>(n);
  }
  *hex = hex128(XXH3_128bits_digest(state));
  XXH3_freeState(state);
  if (size) *size = total;
  return true;
}

bool sum_tree(int root, const std::map<std::string, FileSum>& known, TreeSums* out,
              const std::function<void(std::uint64_t)>& progress, std::string* err) {
  *out = TreeSums{};
  FileHasher hasher;
  std::uint64_t done = 0;
  return walk(
      root, "",
      [&](int dir, const std::string& name, const std::string& rel, const struct stat& st) {
        if (!S_ISREG(st.st_mode)) return true;
        FileSum s;
        s.path = rel;
        auto it = known.find(rel);
        if (it != known.end() && it->second.size == static_cast<std::uint64_t>(st.st_size)) {
          s = it->second;
        } else {
          std::string why;
          if (!hasher.hash(dir, name, &s.hash, &s.size, &why)) {
            *err = "cannot read " + rel + ": " + why;
            return false;
          }
          out->new_bytes += s.size;
          done += s.size;
          if (progress) progress(done);
        }
        out->bytes += s.size;
        out->files.push_back(std::move(s));
        return true;
      },
      err);
}

TreeSums sorted_sums(std::vector<FileSum> files) {
  TreeSums t;
  std::sort(files.begin(), files.end(), [](const FileSum& a, const FileSum& b) { return a.path < b.path; });
  for (const auto& f : files) t.bytes += f.size;
  t.files = std::move(files);
  return t;
}

namespace {

// Most paths are printable ASCII without quotes or backslashes: their JSON
// string is the path in quotes, written (and read) without a JSON library,
// which a 20,000-line list would feel; the rest go through nlohmann/json.
bool plain_json(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\'; });
}

}  // namespace

std::string format_sums(const std::vector<FileSum>& sums) {
  std::string out;
  out.reserve(sums.size() * 80);
  for (const auto& s : sums) {
    out += s.hash;
    out += ' ';
    out += std::to_string(s.size);
    out += ' ';
    if (plain_json(s.path)) {
      out += '"';
      out += s.path;
      out += '"';
    } else {
      out += nlohmann::json(s.path).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    out += '\n';
  }
  return out;
}

namespace {

/// The fields of one line of a checksum list, as views into it.
struct SumLine {
  std::string_view hash;
  std::uint64_t size = 0;
  std::string path;
};

bool parse_line(std::string_view line, SumLine* out) {
  const size_t a = line.find(' ');
  const size_t b = a == std::string_view::npos ? a : line.find(' ', a + 1);
  if (b == std::string_view::npos || a != 32) return false;
  out->hash = line.substr(0, a);
  const std::string_view size = line.substr(a + 1, b - a - 1);
  if (size.empty() ||
      std::from_chars(size.data(), size.data() + size.size(), out->size).ptr != size.data() + size.size())
    return false;
  const std::string_view quoted = line.substr(b + 1);
  if (quoted.size() >= 2 && quoted.front() == '"' && quoted.back() == '"' &&
      plain_json(quoted.substr(1, quoted.size() - 2))) {
    out->path.assign(quoted.substr(1, quoted.size() - 2));
    return true;
  }
  nlohmann::json j = nlohmann::json::parse(quoted, nullptr, false);
  if (!j.is_string()) return false;
  out->path = j.get<std::string>();
  return true;
}

}  // namespace

bool parse_sums(const std::string& text, std::vector<FileSum>* out, std::string* err) {
  out->clear();
  const std::vector<std::string_view> lines = plugin_common::text_split::lines(text);
  SumLine l;
  for (size_t n = 0; n < lines.size(); ++n) {
    if (lines[n].empty()) continue;
    if (!parse_line(lines[n], &l)) {
      *err = "checksum file line " + std::to_string(n + 1) + " is damaged";
      return false;
    }
    out->push_back({std::move(l.path), l.size, std::string(l.hash)});
  }
  return true;
}

bool merge_sums(std::string_view earlier, const std::function<bool(std::string_view path)>& keep,
                std::vector<FileSum> added, MergedSums* out, std::string* err) {
  *out = MergedSums{};
  std::sort(added.begin(), added.end(), [](const FileSum& a, const FileSum& b) { return a.path < b.path; });
  out->text.reserve(earlier.size() + added.size() * 100);
  auto next_added = added.begin();
  auto add_until = [&](const std::string* path) {  // the added sums before `path` (all: null)
    for (; next_added != added.end() && (!path || next_added->path < *path); ++next_added) {
      out->text += format_sums({*next_added});
      out->bytes += next_added->size;
      ++out->files;
    }
  };
  SumLine l;
  size_t pos = 0, line_no = 0;
  while (pos < earlier.size()) {
    size_t nl = earlier.find('\n', pos);
    if (nl == std::string_view::npos) nl = earlier.size();
    const std::string_view line = earlier.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (line.empty()) continue;
    if (!parse_line(line, &l)) {
      *err = "checksum file line " + std::to_string(line_no) + " is damaged";
      return false;
    }
    ++out->earlier;
    if (!keep(l.path)) continue;
    add_until(&l.path);
    out->text.append(line).push_back('\n');
    out->bytes += l.size;
    ++out->files;
  }
  add_until(nullptr);
  return true;
}

std::vector<Damage> verify_tree(int root, const std::vector<FileSum>& sums,
                                const std::function<void(std::uint64_t)>& progress) {
  std::vector<Damage> damage;
  FileHasher hasher;
  std::uint64_t done = 0;
  for (const auto& s : sums) {
    std::string name, hex, why;
    std::uint64_t size = 0;
    OwnedFd dir(parent_of(root, s.path, &name));
    struct stat st {};
    if (dir.fd < 0 || ::fstatat(dir.fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      damage.push_back({s.path, "missing"});
      continue;
    }
    if (!hasher.hash(dir.fd, name, &hex, &size, &why)) {
      damage.push_back({s.path, "unreadable: " + why});
      continue;
    }
    done += size;
    if (progress) progress(done);
    if (size != s.size)
      damage.push_back({s.path, "size " + std::to_string(size) + " instead of " + std::to_string(s.size)});
    else if (hex != s.hash)
      damage.push_back({s.path, "content differs from when the snapshot was taken"});
  }
  return damage;
}

}  // namespace backup
