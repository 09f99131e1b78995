#include "settings/settings_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

#include "settings/legacy_settings.hpp"

namespace sc {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::string_view kMarker = "# sc-settings 1";
constexpr std::string_view kMarkerPrefix = "# sc-settings ";
constexpr std::string_view kExplanation =
    "# One setting per line, sorted: NAME=\"value\", the value a JSON string (escapes "
    "\\\" \\\\ \\n \\t \\uXXXX). Written by sc; keep this format when editing by hand.";
constexpr mode_t kFileMode = 0600;
constexpr mode_t kDirMode = 0755;

std::string errno_text(int e) {
  return std::generic_category().message(e);
}

/// Owns one file descriptor; closing it also releases a flock held on it.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  }
  /// Closes and reports close()'s result: for a written file, a late write
  /// error may only show here.
  bool close_checked() {
    int fd = std::exchange(fd_, -1);
    return fd < 0 || ::close(fd) == 0;
  }

 private:
  int fd_ = -1;
};

/// Removes a temporary file on scope exit unless it was renamed into place.
class TempFileGuard {
 public:
  explicit TempFileGuard(std::string path) : path_(std::move(path)) {}
  ~TempFileGuard() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  void release() { path_.clear(); }

 private:
  std::string path_;
};

/// A name as it may appear in a message, whatever bytes it holds.
std::string quoted(const std::string& s) {
  return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string first_line(std::string_view text) {
  return std::string(text.substr(0, text.find('\n')));
}

// "# sc-settings N" marks format N; anything else (say "# sc-settings for
// host a") is the original format. Empty files hold no settings in either
// format and are not "legacy".
bool is_legacy_text(std::string_view text) {
  if (text.empty()) return false;
  std::string line = first_line(text);
  return line.rfind(kMarkerPrefix, 0) != 0 || line.size() == kMarkerPrefix.size() || line[kMarkerPrefix.size()] < '0' ||
         line[kMarkerPrefix.size()] > '9';
}

bool parse_format1(std::string_view text, const std::string& label, std::map<std::string, std::string>* out,
                   std::string* err) {
  out->clear();
  std::map<std::string, int> first_seen;
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    if (line_no == 1) continue;  // the marker, checked by the caller
    auto fail = [&](const std::string& what) {
      if (err) *err = label + ":" + std::to_string(line_no) + ": " + what;
      return false;
    };
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    size_t eq = line.find('=');
    std::string name(line.substr(0, eq == std::string_view::npos ? 0 : eq));
    if (eq == std::string_view::npos || !valid_shell_name(name)) {
      return fail(
          "expected NAME=\"value\", NAME being letters, digits and _ (not starting "
          "with a digit) followed by = without spaces: fix or remove this line");
    }
    std::string_view rest = line.substr(eq + 1);
    if (rest.empty() || rest.front() != '"') {
      return fail("setting " + name + ": the value must be a JSON string in double quotes, e.g. " + name +
                  "=\"value\" (" + name + "=\"\" when empty)");
    }
    json j = json::parse(rest.data(), rest.data() + rest.size(), nullptr, false);
    if (j.is_discarded() || !j.is_string()) {
      return fail("setting " + name +
                  ": the value is not a valid JSON string; write \" as \\\", \\ as \\\\, "
                  "control characters as \\n, \\t or \\u00XX, keep the file UTF-8, and put "
                  "nothing after the closing quote");
    }
    std::string value = j.get<std::string>();
    if (!valid_setting_value(value)) {
      return fail("setting " + name +
                  ": the value holds a NUL (\\u0000), which a setting "
                  "cannot hold: remove it");
    }
    if (auto [it, inserted] = first_seen.emplace(name, line_no); !inserted) {
      return fail("setting " + name + " is set again (first on line " + std::to_string(it->second) +
                  "); keep only one of the two lines");
    }
    (*out)[name] = std::move(value);
  }
  return true;
}

/// What update() and load() learn about the file.
struct FileState {
  bool exists = false;
  bool symlink = false;
  mode_t mode = 0;
  std::string text;
  std::map<std::string, std::string> values;
  bool legacy = false;
};

bool read_state(const fs::path& file, FileState* st, std::string* err) {
  auto fail = [&](const std::string& what) {
    if (err) *err = file.string() + ": " + what;
    return false;
  };
  struct stat lst {};
  st->symlink = ::lstat(file.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode);
  // O_NONBLOCK: a FIFO put there by mistake must not hang us (refused below).
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) {
    if (errno == ENOENT) return true;  // no settings yet
    return fail("cannot open the settings file: " + errno_text(errno) + "; check the path and its permissions");
  }
  struct stat fst {};
  if (::fstat(fd.get(), &fst) != 0) return fail("cannot stat: " + errno_text(errno));
  if (!S_ISREG(fst.st_mode)) {
    return fail("is not a regular file; move it away so that sc can create its settings file");
  }
  st->exists = true;
  st->mode = fst.st_mode & 07777;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("cannot read: " + errno_text(errno));
    if (n == 0) break;
    st->text.append(buf, static_cast<size_t>(n));
  }
  st->legacy = is_legacy_text(st->text);
  return parse_settings(st->text, file.string(), &st->values, err);
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

fs::path dir_of(const fs::path& file) {
  return file.has_parent_path() ? file.parent_path() : fs::path(".");
}

bool make_dirs(const fs::path& dir, std::string* err) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return true;
    if (err) *err = dir.string() + ": is not a directory; the settings file cannot be created there";
    return false;
  }
  // ENOTDIR: the recursion names the ancestor that is not a directory.
  if (errno != ENOENT && errno != ENOTDIR) {
    if (err) *err = dir.string() + ": cannot use this directory for the settings file: " + errno_text(errno);
    return false;
  }
  if (dir.has_parent_path() && dir.parent_path() != dir && !make_dirs(dir.parent_path(), err)) return false;
  if (::mkdir(dir.c_str(), kDirMode) != 0 && errno != EEXIST) {
    if (err) *err = dir.string() + ": cannot create the settings directory: " + errno_text(errno);
    return false;
  }
  ::chmod(dir.c_str(), kDirMode);  // whatever the umask; best effort
  return true;
}

std::string describe_duration(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + " s";
  return std::to_string(d.count()) + " ms";
}

bool lock_exclusive(const fs::path& lock_path, std::chrono::milliseconds timeout, UniqueFd* out, std::string* err) {
  UniqueFd fd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, kFileMode));
  if (!fd.valid()) {
    if (err)
      *err = lock_path.string() + ": cannot open the lock file: " + errno_text(errno) +
             "; it must be a regular file the settings' writer can open";
    return false;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) == 0 && (st.st_mode & 07777) != kFileMode) ::fchmod(fd.get(), kFileMode);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::chrono::milliseconds delay(5);
  for (;;) {
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) break;
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) {
      if (err) *err = lock_path.string() + ": cannot lock: " + errno_text(errno);
      return false;
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      if (err)
        *err = lock_path.string() + ": still locked by another process after " + describe_duration(timeout) +
               "; wait for the other sc to finish (fuser -v " + lock_path.string() + " shows it) and try again";
      return false;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    std::this_thread::sleep_for(std::min(delay, left));
    delay = std::min(delay * 2, std::chrono::milliseconds(100));
  }
  *out = std::move(fd);
  return true;
}

// Temp file in the same directory, fsync, rename, fsync the directory: a
// crash leaves either the old or the new file, never a mix.
bool replace_file(const fs::path& target, std::string_view data, std::string* err) {
  auto fail = [&](const std::string& what) {
    if (err) *err = target.string() + ": " + what + "; the file is unchanged";
    return false;
  };
  std::string tmp = target.string() + ".tmp.XXXXXX";
  UniqueFd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (!fd.valid()) return fail("cannot create a temporary file next to it: " + errno_text(errno));
  TempFileGuard guard(tmp);
  if (::fchmod(fd.get(), kFileMode) != 0) return fail("cannot chmod " + tmp + ": " + errno_text(errno));
  if (!write_all(fd.get(), data)) return fail("cannot write " + tmp + ": " + errno_text(errno));
  if (::fsync(fd.get()) != 0) return fail("cannot sync " + tmp + ": " + errno_text(errno));
  if (!fd.close_checked()) return fail("cannot close " + tmp + ": " + errno_text(errno));
  if (::rename(tmp.c_str(), target.c_str()) != 0)
    return fail("cannot rename " + tmp + " over it: " + errno_text(errno));
  guard.release();
  fs::path dir = dir_of(target);
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  // EINVAL: the file system cannot sync directories; nothing more to do.
  if (!dfd.valid() || (::fsync(dfd.get()) != 0 && errno != EINVAL)) {
    if (err)
      *err = dir.string() + ": cannot sync the directory after replacing " + target.string() + ": " +
             errno_text(errno) + "; the new file is in place but may not survive a crash";
    return false;
  }
  return true;
}

}  // namespace

bool valid_setting_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] < 'A' || name[0] > 'Z') return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; });
}

bool valid_setting_value(std::string_view value) {
  // Well-formed UTF-8 as in Unicode table 3-7: no overlong forms, no
  // surrogates, nothing above U+10FFFF; the same rule nlohmann/json applies.
  size_t i = 0;
  while (i < value.size()) {
    auto c = static_cast<unsigned char>(value[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (value.size() - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      auto ck = static_cast<unsigned char>(value[i + k]);
      if (ck < (k == 1 ? lo : 0x80) || ck > (k == 1 ? hi : 0xBF)) return false;
    }
    i += len;
  }
  return true;
}

bool parse_settings(std::string_view text, const std::string& file_label, std::map<std::string, std::string>* out,
                    std::string* err) {
  if (is_legacy_text(text) || text.empty()) return parse_legacy_settings(text, file_label, out, err);
  std::string marker = first_line(text);
  if (!marker.empty() && marker.back() == '\r') marker.pop_back();
  if (marker != kMarker) {
    if (err)
      *err = file_label + ":1: unsupported settings format \"" + marker.substr(2) + "\": this sc reads \"" +
             std::string(kMarker.substr(2)) + "\"; use the sc that wrote the file (or a newer one)";
    return false;
  }
  return parse_format1(text, file_label, out, err);
}

std::string serialize_settings(const std::map<std::string, std::string>& values) {
  std::string out;
  out.append(kMarker).append("\n").append(kExplanation).append("\n");
  for (const auto& [name, value] : values) {
    if (!valid_shell_name(name) || !valid_setting_value(value))
      throw std::invalid_argument("serialize_settings: cannot store setting " + quoted(name));
    out += name;
    out += '=';
    out += json(value).dump(-1, ' ', false, json::error_handler_t::strict);
    out += '\n';
  }
  return out;
}

SettingsStore::SettingsStore(fs::path file) : file_(std::move(file)) {}

bool SettingsStore::load(std::string* err) {
  FileState st;
  if (!read_state(file_, &st, err)) return false;
  values_ = std::move(st.values);
  legacy_ = st.legacy;
  return true;
}

std::optional<std::string> SettingsStore::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

bool SettingsStore::update(const std::map<std::string, std::optional<std::string>>& changes, std::string* err) {
  for (const auto& [name, value] : changes) {
    if (!valid_shell_name(name)) {
      if (err)
        *err = file_.string() + ": cannot store setting " + quoted(name) +
               ": a name is letters, digits and _, not starting with a digit";
      return false;
    }
    if (value && !valid_setting_value(*value)) {
      if (err)
        *err = file_.string() + ": cannot store setting " + name +
               ": the value is not valid UTF-8 or holds a NUL byte; give it as UTF-8 text";
      return false;
    }
  }
  if (!make_dirs(dir_of(file_), err)) return false;
  UniqueFd lock;
  if (!lock_exclusive(fs::path(file_.string() + ".lock"), lock_timeout_, &lock, err)) return false;

  FileState st;
  if (!read_state(file_, &st, err)) return false;
  if (st.symlink) {
    if (err)
      *err = file_.string() +
             ": is a symbolic link, which replacing the file would "
             "break; replace the link with the file it points to";
    return false;
  }
  std::map<std::string, std::string> next = st.values;
  for (const auto& [name, value] : changes) {
    if (value)
      next[name] = *value;
    else
      next.erase(name);
  }

  if (next == st.values && !st.legacy) {
    if (st.exists && st.mode != kFileMode && ::chmod(file_.c_str(), kFileMode) != 0) {
      if (err) *err = file_.string() + ": cannot set mode 0600: " + errno_text(errno);
      return false;
    }
    values_ = std::move(next);
    legacy_ = false;
    return true;
  }

  if (st.legacy) {
    fs::path copy = file_.string() + ".legacy";
    struct stat cst {};
    if (::lstat(copy.c_str(), &cst) != 0) {
      if (errno != ENOENT) {
        if (err)
          *err = copy.string() + ": cannot check for a copy of the original settings: " + errno_text(errno) + "; " +
                 file_.string() + " is unchanged";
        return false;
      }
      if (!replace_file(copy, st.text, err)) return false;
    }
  }
  if (!replace_file(file_, serialize_settings(next), err)) return false;
  values_ = std::move(next);
  legacy_ = false;
  return true;
}

}  // namespace sc
