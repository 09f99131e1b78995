#include "checksums.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "common/text_split.hpp"
#include "tree.hpp"

namespace backup {

namespace {

std::string hex128(XXH128_hash_t h) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return buf;
}

/// Walks `dir` (no symlinks followed), calling fn(relative path, stat);
/// `skip` names a top-level entry left out.
bool walk(const std::string& dir, const std::string& rel, const std::function<bool(const std::string&, const struct stat&)>& fn,
          std::string* err, const std::string& skip = {}) {
  std::string full = rel.empty() ? dir : dir + "/" + rel;
  DIR* d = ::opendir(full.c_str());
  if (!d) {
    *err = "cannot read directory " + full + ": " + std::strerror(errno);
    return false;
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    if (rel.empty() && !skip.empty() && skip == e->d_name) continue;
    names.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    std::string r = rel.empty() ? n : rel + "/" + n;
    struct stat st {};
    if (::lstat((dir + "/" + r).c_str(), &st) != 0) {
      *err = "cannot stat " + dir + "/" + r + ": " + std::strerror(errno);
      return false;
    }
    if (S_ISDIR(st.st_mode)) {
      if (!walk(dir, r, fn, err)) return false;
    } else if (!fn(r, st)) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool FileHasher::hash(const std::string& path, std::string* hex, std::uint64_t* size, std::string* err) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    *err = std::strerror(errno);
    return false;
  }
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  XXH3_state_t* state = XXH3_createState();
  XXH3_128bits_reset(state);
  std::uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(fd.get(), buf_.data(), buf_.size());
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

namespace {

bool sum_walk(const std::string& dir, const std::map<InodeKey, FileSum>& known, TreeSums* out,
              const std::function<void(std::uint64_t)>& progress, std::string* err, const std::string& skip) {
  *out = TreeSums{};
  FileHasher hasher;
  std::uint64_t done = 0;
  bool ok = walk(
      dir, "",
      [&](const std::string& rel, const struct stat& st) {
        if (!S_ISREG(st.st_mode)) return true;
        FileSum s;
        s.path = rel;
        auto it = known.find({st.st_dev, st.st_ino});
        if (it != known.end() && it->second.size == static_cast<std::uint64_t>(st.st_size)) {
          s.size = it->second.size;
          s.hash = it->second.hash;
        } else {
          std::string why;
          if (!hasher.hash(dir + "/" + rel, &s.hash, &s.size, &why)) {
            *err = "cannot read " + dir + "/" + rel + ": " + why;
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
      err, skip);
  return ok;
}

}  // namespace

bool sum_tree(const std::string& dir, const std::map<InodeKey, FileSum>& known, TreeSums* out,
              const std::function<void(std::uint64_t)>& progress, std::string* err) {
  return sum_walk(dir, known, out, progress, err, {});
}

bool sum_tree_carrying(const std::string& dir, const std::string& same, const std::vector<FileSum>& earlier,
                       TreeSums* out, std::string* err) {
  if (!sum_walk(dir, {}, out, {}, err, same)) return false;
  // In walk order: the carried block goes where `same` sorts among the
  // top-level names.
  const std::string prefix = same + "/";
  auto top = [](const std::string& p) { return p.substr(0, p.find('/')); };
  auto at = std::find_if(out->files.begin(), out->files.end(), [&](const FileSum& f) { return top(f.path) > same; });
  std::vector<FileSum> carried;
  for (const auto& f : earlier)
    if (f.path.compare(0, prefix.size(), prefix) == 0) {
      out->bytes += f.size;
      carried.push_back(f);
    }
  out->files.insert(at, carried.begin(), carried.end());
  return true;
}

std::map<InodeKey, FileSum> index_by_inode(const std::string& dir, const std::vector<FileSum>& sums) {
  std::map<InodeKey, FileSum> index;
  for (const auto& s : sums) {
    struct stat st {};
    if (::lstat((dir + "/" + s.path).c_str(), &st) == 0 && S_ISREG(st.st_mode)) index[{st.st_dev, st.st_ino}] = s;
  }
  return index;
}

std::string format_sums(const std::vector<FileSum>& sums) {
  std::string out;
  for (const auto& s : sums)
    out += s.hash + " " + std::to_string(s.size) + " " +
           nlohmann::json(s.path).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return out;
}

bool parse_sums(const std::string& text, std::vector<FileSum>* out, std::string* err) {
  out->clear();
  const std::vector<std::string_view> lines = plugin_common::text_split::lines(text);
  for (size_t n = 0; n < lines.size(); ++n) {
    const std::string line(lines[n]);
    const size_t line_no = n + 1;
    if (line.empty()) continue;
    size_t a = line.find(' '), b = a == std::string::npos ? a : line.find(' ', a + 1);
    FileSum s;
    try {
      if (b == std::string::npos) throw std::invalid_argument("fields");
      s.hash = line.substr(0, a);
      s.size = std::stoull(line.substr(a + 1, b - a - 1));
      s.path = nlohmann::json::parse(line.substr(b + 1)).get<std::string>();
    } catch (const std::exception&) {
      *err = "checksum file line " + std::to_string(line_no) + " is damaged";
      return false;
    }
    if (s.hash.size() != 32) {
      *err = "checksum file line " + std::to_string(line_no) + " is damaged";
      return false;
    }
    out->push_back(std::move(s));
  }
  return true;
}

std::vector<Damage> verify_tree(const std::string& dir, const std::vector<FileSum>& sums,
                                const std::function<void(std::uint64_t)>& progress) {
  std::vector<Damage> damage;
  FileHasher hasher;
  std::uint64_t done = 0;
  for (const auto& s : sums) {
    std::string hex, why;
    std::uint64_t size = 0;
    struct stat st {};
    std::string full = dir + "/" + s.path;
    if (::lstat(full.c_str(), &st) != 0) {
      damage.push_back({s.path, "missing"});
      continue;
    }
    if (!hasher.hash(full, &hex, &size, &why)) {
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
