#include "settings/settings_store.hpp"

#include <dirent.h>
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

#include "base/fd.hpp"
#include "base/text.hpp"
#include "engine/rooted_fs.hpp"
#include "engine/rooted_path.hpp"
#include "settings/legacy_settings.hpp"
#include "settings/original_settings.hpp"

namespace sc {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::string_view kMarker = "# sc-settings 1";
constexpr std::string_view kMarkerPrefix = "# sc-settings ";
constexpr std::string_view kExplanation =
    "# One setting per line, sorted: NAME=\"value\", the value a JSON string (escapes "
    "\\\" \\\\ \\n \\t \\uXXXX). Written by sc; keep this format when editing by hand.";
constexpr std::uint32_t kFileMode = 0600;
constexpr std::uint32_t kDirMode = 0755;

std::string errno_text(int e) {
  return std::generic_category().message(e);
}

/// A name as it may appear in a message, whatever bytes it holds.
std::string quoted(const std::string& s) {
  return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
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
  std::uint32_t mode = 0;
  std::string text;
  std::map<std::string, std::string> values;
  bool legacy = false;
};

/// The settings file's directory, opened through the root, and the
/// file's name in it.
struct Place {
  Fd dir;
  std::string name;
};

std::string shown_path(const fs::path& root, const std::vector<std::string>& comps) {
  return host_path(root, comps).string();
}

/// Reads `name` in `dir` into *st. A missing file is an empty state.
bool read_state(int dir, const std::string& name, const std::string& shown, FileState* st, std::string* err) {
  auto fail = [&](const std::string& what) {
    if (err) *err = shown + ": " + what;
    return false;
  };
  rooted_fs::Node node;
  rooted_fs::Status s = rooted_fs::stat_at(dir, name, &node);
  if (!s.ok()) return fail("cannot look at the settings file: " + rooted_fs::describe(s));
  if (node.type == rooted_fs::NodeType::missing) return true;  // no settings yet
  if (node.type == rooted_fs::NodeType::symlink) {
    st->symlink = true;
    return true;
  }
  if (node.type != rooted_fs::NodeType::file)
    return fail("is not a regular file; move it away so that sc can create its settings file");
  s = rooted_fs::read_at(dir, name, &st->text);
  if (!s.ok()) return fail("cannot read: " + rooted_fs::describe(s) + "; check the path and its permissions");
  st->exists = true;
  st->mode = node.mode;
  st->legacy = is_legacy_text(st->text);
  return parse_settings(st->text, shown, &st->values, err);
}

/// Makes the missing directories of comps[0..n) (0755, ours), each through
/// the root.
bool make_dirs(const fs::path& root, const std::vector<std::string>& comps, size_t n, std::string* err) {
  for (size_t i = 1; i <= n; ++i) {
    std::vector<std::string> sub(comps.begin(), comps.begin() + static_cast<long>(i));
    rooted_fs::Node node;
    rooted_fs::Status s = rooted_fs::stat_node({root, sub}, &node);
    if (s.ok() && node.type == rooted_fs::NodeType::dir) continue;
    if (s.ok() && node.type != rooted_fs::NodeType::missing) {
      if (err) *err = shown_path(root, sub) + ": is not a directory; the settings file cannot be created there";
      return false;
    }
    if (s.ok()) s = rooted_fs::make_dir({root, sub}, kDirMode, ::geteuid(), ::getegid());
    if (!s.ok() && s.err != EEXIST) {
      if (err) *err = shown_path(root, sub) + ": cannot create the settings directory: " + rooted_fs::describe(s);
      return false;
    }
  }
  return true;
}

std::string describe_duration(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + " s";
  return std::to_string(d.count()) + " ms";
}

bool lock_exclusive(int dir, const std::string& name, const std::string& shown, std::chrono::milliseconds timeout,
                    Fd* out, std::string* err) {
  Fd fd(::openat(dir, name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, kFileMode));
  if (!fd) {
    if (err)
      *err = shown + ": cannot open the lock file: " + errno_text(errno) +
             (errno == ELOOP ? "; it is a symbolic link: remove it (sc creates its lock file itself)"
                             : "; it must be a regular file the settings' writer can open");
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
      if (err) *err = shown + ": cannot lock: " + errno_text(errno);
      return false;
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      if (err)
        *err = shown + ": still locked by another process after " + describe_duration(timeout) +
               "; wait for the other sc to finish (fuser -v " + shown + " shows it) and try again";
      return false;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    std::this_thread::sleep_for(std::min(delay, left));
    delay = std::min(delay * 2, std::chrono::milliseconds(100));
  }
  *out = std::move(fd);
  return true;
}

// Temporary file in the same directory, fsync, rename, fsync the
// directory: a crash leaves either the old or the new file, never a mix.
bool replace(int dir, const std::string& name, const std::string& shown, std::string_view data, std::string* err) {
  rooted_fs::Status s = rooted_fs::replace_at(dir, name, data, kFileMode, ::geteuid(), ::getegid());
  if (s.ok()) return true;
  if (err) {
    *err = shown + ": cannot " + s.step + ": " + rooted_fs::describe(rooted_fs::Status{s.err, ""});
    // A failed sync of the directory comes after the rename.
    *err += s.step == "fsync directory" ? "; the new file is in place but may not survive a crash"
                                        : "; the file is unchanged";
  }
  return false;
}

/// Resolves the store's target path under the root and opens its directory.
/// `follow_last`: a symlink as the file itself is followed (inside the
/// root). *missing (when given) is set when the directory does not exist.
bool open_place(const fs::path& root, const std::string& target, bool follow_last, Place* place, bool* missing,
                std::vector<std::string>* comps_out, std::string* err) {
  std::vector<std::string> comps;
  std::string why;
  if (!resolve_components(root, target, follow_last, &comps, &why)) {
    if (err) *err = shown_path(root, {}) + target + ": " + why;
    return false;
  }
  if (comps.empty()) {
    if (err) *err = shown_path(root, {}) + ": the settings file cannot be the root directory";
    return false;
  }
  if (comps_out) *comps_out = comps;
  rooted_fs::Status s = rooted_fs::open_dir({root, comps}, comps.size() - 1, &place->dir);
  if (!s.ok()) {
    if (missing && (s.err == ENOENT || s.err == ENOTDIR)) {
      *missing = true;
      return true;
    }
    if (err) *err = shown_path(root, {comps.begin(), comps.end() - 1}) + ": " + rooted_fs::describe(s);
    return false;
  }
  place->name = comps.back();
  return true;
}

}  // namespace

bool valid_setting_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] < 'A' || name[0] > 'Z') return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; });
}

bool valid_setting_value(std::string_view value) {
  return value.find('\0') == std::string_view::npos && valid_utf8(value);
}

bool parse_settings(std::string_view text, const std::string& file_label, std::map<std::string, std::string>* out,
                    std::string* err, std::vector<std::string>* notes) {
  if (is_legacy_text(text) || text.empty()) {
    if (!parse_legacy_settings(text, file_label, out, err)) return false;
    original_settings::to_ours(out, notes);
    return true;
  }
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

namespace {

// Temporary files of the store (and of its legacy copies) are written only
// under the lock, which we hold: any left is from a writer that died before
// its rename, and holds a full copy of the settings, secrets included.
void remove_stale_temporaries(int dir, const std::string& name) {
  std::vector<rooted_fs::DirEntry> entries;
  if (!rooted_fs::list_typed_at(dir, &entries).ok()) return;
  const std::string ours = rooted_fs::temp_prefix(name), legacy = rooted_fs::temp_prefix(name + ".legacy");
  for (const auto& e : entries)
    if ((e.name.rfind(ours, 0) == 0 || e.name.rfind(legacy, 0) == 0) && e.type == DT_REG)
      ::unlinkat(dir, e.name.c_str(), 0);
}

// Where to keep the original-format `text` being converted: NAME.legacy,
// or, when that holds another text already, the first free NAME.legacy.N.
// Empty when an existing copy holds this very text.
bool legacy_copy_name(int dir, const std::string& name, const std::string& text, const std::string& shown,
                      std::string* out, bool* exists, std::string* err) {
  for (int n = 0; n < 100; ++n) {
    const std::string candidate = name + ".legacy" + (n == 0 ? "" : "." + std::to_string(n));
    rooted_fs::Node node;
    rooted_fs::Status s = rooted_fs::stat_at(dir, candidate, &node);
    if (!s.ok()) {
      if (err)
        *err = shown + ": cannot check for a copy of the original settings (" + candidate +
               "): " + rooted_fs::describe(s) + "; " + shown + " is unchanged";
      return false;
    }
    if (node.type == rooted_fs::NodeType::missing) {
      *out = candidate;
      *exists = false;
      return true;
    }
    std::string held;
    if (node.type == rooted_fs::NodeType::file && rooted_fs::read_at(dir, candidate, &held).ok() && held == text) {
      *out = candidate;
      *exists = true;
      return true;
    }
  }
  if (err) *err = shown + ": 100 copies of original settings files are kept beside it already; remove old ones";
  return false;
}

}  // namespace

SettingsStore::SettingsStore(fs::path root, std::string target) : root_(std::move(root)), target_(std::move(target)) {
  std::vector<std::string> comps;
  if (!split_target_path(target_, &comps, nullptr)) comps = {target_};
  shown_ = host_path(root_, comps);
}

bool SettingsStore::load(std::string* err) {
  Place place;
  bool missing = false;
  if (!open_place(root_, target_, /*follow_last=*/true, &place, &missing, nullptr, err)) return false;
  FileState st;
  if (!missing) {
    if (!read_state(place.dir.get(), place.name, shown_.string(), &st, err)) return false;
    // Resolved with follow_last: a symlink here points out of the tree's
    // reach (a loop, or a dangling link); there is nothing to read.
    if (st.symlink) st = FileState{};
    // The file holds secrets: as root, any read puts its mode back.
    repaired_mode_ = unrepaired_mode_ = 0;
    if (st.exists && st.mode != kFileMode && ::geteuid() == 0) {
      if (!repair_) {
        unrepaired_mode_ = st.mode;
      } else {
        Fd f(::openat(place.dir.get(), place.name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
        if (f && ::fchmod(f.get(), kFileMode) == 0) repaired_mode_ = st.mode;
      }
    }
  }
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
  const std::string shown = shown_.string();
  for (const auto& [name, value] : changes) {
    if (!valid_shell_name(name)) {
      if (err)
        *err = shown + ": cannot store setting " + quoted(name) +
               ": a name is letters, digits and _, not starting with a digit";
      return false;
    }
    if (value && !valid_setting_value(*value)) {
      if (err)
        *err = shown + ": cannot store setting " + name +
               ": the value is not valid UTF-8 or holds a NUL byte; give it as UTF-8 text";
      return false;
    }
  }
  std::vector<std::string> comps;
  {
    std::string why;
    if (!resolve_components(root_, target_, /*follow_last=*/false, &comps, &why) || comps.empty()) {
      if (err) *err = shown + ": " + (why.empty() ? "the settings file cannot be the root directory" : why);
      return false;
    }
  }
  if (!make_dirs(root_, comps, comps.size() - 1, err)) return false;
  Place place;
  if (!open_place(root_, target_, /*follow_last=*/false, &place, nullptr, nullptr, err)) return false;
  const int dir = place.dir.get();
  const std::string& name = place.name;
  Fd lock;
  if (!lock_exclusive(dir, name + ".lock", shown + ".lock", lock_timeout_, &lock, err)) return false;
  remove_stale_temporaries(dir, name);

  FileState st;
  if (!read_state(dir, name, shown, &st, err)) return false;
  if (st.symlink) {
    if (err)
      *err = shown +
             ": is a symbolic link, which replacing the file would "
             "break; replace the link with the file it points to";
    return false;
  }
  std::map<std::string, std::string> next = st.values;
  for (const auto& [key, value] : changes) {
    if (value)
      next[key] = *value;
    else
      next.erase(key);
  }

  if (next == st.values && !st.legacy) {
    if (st.exists && st.mode != kFileMode) {
      Fd f(::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
      if (!f || ::fchmod(f.get(), kFileMode) != 0) {
        if (err) *err = shown + ": cannot set mode 0600: " + errno_text(errno);
        return false;
      }
    }
    values_ = std::move(next);
    legacy_ = false;
    return true;
  }

  legacy_copy_.clear();
  if (st.legacy) {
    std::string copy;
    bool kept = false;
    if (!legacy_copy_name(dir, name, st.text, shown, &copy, &kept, err)) return false;
    const std::string copy_shown = (shown_.parent_path() / copy).string();
    if (!kept && !replace(dir, copy, copy_shown, st.text, err)) return false;
    legacy_copy_ = copy_shown;
  }
  if (!replace(dir, name, shown, serialize_settings(next), err)) return false;
  values_ = std::move(next);
  legacy_ = false;
  return true;
}

}  // namespace sc
