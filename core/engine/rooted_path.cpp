#include "engine/rooted_path.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace sc {
namespace {

constexpr const char* kRule = "paths must be absolute and must not contain '..' or '.'";

// The path as given, with NUL bytes made visible, for error messages.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\0')
      out += "\\0";
    else
      out += c;
  }
  return out;
}

std::optional<std::string> disk_symlink(const std::filesystem::path& root, const std::vector<std::string>& comps) {
  std::filesystem::path p = host_path(root, comps);
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return std::nullopt;
  std::string buf(st.st_size > 0 ? static_cast<size_t>(st.st_size) + 1 : 256, '\0');
  for (;;) {
    ssize_t n = ::readlink(p.c_str(), buf.data(), buf.size());
    // A link that vanished or cannot be read resolves as a plain component;
    // the operation on the result then fails with a precise error.
    if (n < 0) return std::nullopt;
    if (static_cast<size_t>(n) < buf.size()) {
      buf.resize(static_cast<size_t>(n));
      return buf;
    }
    buf.resize(buf.size() * 2);
  }
}

// Pushes the components of `text` so that the first one is popped first.
void push_reversed(std::string_view text, std::vector<std::string>* pending) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t slash = text.find('/', pos);
    if (slash == std::string_view::npos) slash = text.size();
    if (slash > pos) parts.emplace_back(text.substr(pos, slash - pos));
    pos = slash + 1;
  }
  pending->insert(pending->end(), parts.rbegin(), parts.rend());
}

}  // namespace

bool split_target_path(std::string_view target, std::vector<std::string>* comps, std::string* err) {
  comps->clear();
  const std::string shown = "invalid path \"" + printable(target) + "\": ";
  if (target.empty()) {
    if (err) *err = shown + "the path is empty";
    return false;
  }
  if (target.find('\0') != std::string_view::npos) {
    if (err) *err = shown + "paths must not contain NUL bytes";
    return false;
  }
  if (target.front() != '/') {
    if (err) *err = shown + kRule;
    return false;
  }
  size_t pos = 1;
  while (pos <= target.size()) {
    size_t slash = target.find('/', pos);
    if (slash == std::string_view::npos) slash = target.size();
    std::string_view part = target.substr(pos, slash - pos);
    if (part == "." || part == "..") {
      comps->clear();
      if (err) *err = shown + kRule;
      return false;
    }
    if (!part.empty()) comps->emplace_back(part);
    pos = slash + 1;
  }
  return true;
}

std::string join_target_path(const std::vector<std::string>& comps) {
  if (comps.empty()) return "/";
  std::string s;
  for (const auto& c : comps) {
    s += '/';
    s += c;
  }
  return s;
}

bool is_host_root(const std::filesystem::path& root) {
  if (root.empty()) return true;
  const std::string& s = root.native();
  return std::all_of(s.begin(), s.end(), [](char c) { return c == '/' || c == '.'; }) && s.front() == '/' &&
         s.find("..") == std::string::npos;
}

std::filesystem::path host_path(const std::filesystem::path& root, const std::vector<std::string>& comps) {
  std::filesystem::path p = is_host_root(root) ? std::filesystem::path("/") : root;
  for (const auto& c : comps) p /= c;
  return p;
}

bool resolve_components(const std::filesystem::path& root, std::string_view target, bool follow_last,
                        std::vector<std::string>* comps, std::string* err, const SymlinkProbe& probe) {
  std::vector<std::string> input;
  if (!split_target_path(target, &input, err)) return false;
  std::vector<std::string> pending(input.rbegin(), input.rend());
  std::vector<std::string> done;
  int links = 0;
  while (!pending.empty()) {
    std::string c = std::move(pending.back());
    pending.pop_back();
    // Only link contents can bring these: the input was checked.
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      if (!done.empty()) done.pop_back();  // ".." at the root stays at the root
      continue;
    }
    done.push_back(std::move(c));
    if (pending.empty() && !follow_last) break;
    std::optional<std::string> link = probe ? probe(done) : disk_symlink(root, done);
    if (!link) continue;
    if (++links > kMaxSymlinks) {
      if (err)
        *err = "cannot resolve " + printable(target) + ": too many levels of symbolic links (more than " +
               std::to_string(kMaxSymlinks) + "); look for a symlink loop";
      return false;
    }
    done.pop_back();
    if (!link->empty() && link->front() == '/') done.clear();
    push_reversed(*link, &pending);
  }
  *comps = std::move(done);
  return true;
}

bool resolve_under_root(const std::filesystem::path& root, std::string_view target, bool follow_last,
                        std::filesystem::path* out, std::string* err) {
  std::vector<std::string> comps;
  if (!resolve_components(root, target, follow_last, &comps, err)) return false;
  *out = host_path(root, comps);
  return true;
}

}  // namespace sc
