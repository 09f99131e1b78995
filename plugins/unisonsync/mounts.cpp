#include "mounts.hpp"

#include <algorithm>

namespace unisonsync {

namespace {

/// The fields of a line separated by spaces or tabs.
std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

/// "\040" and the like (three octal digits) decoded, as getmntent does.
std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    bool octal = s[i] == '\\' && i + 3 < s.size();
    for (size_t k = 1; octal && k <= 3; ++k) octal = s[i + k] >= '0' && s[i + k] <= '7';
    if (octal) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
      continue;
    }
    out += s[i];
  }
  return out;
}

std::vector<std::string_view> lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string without_trailing_slash(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

}  // namespace

std::vector<std::string> fstab_mount_points(std::string_view fstab) {
  std::vector<std::string> out;
  for (auto line : lines(fstab)) {
    auto f = fields(line);
    if (f.size() < 2 || f[0][0] == '#') continue;
    std::string point = without_trailing_slash(unescape(f[1]));
    if (point.empty() || point[0] != '/') continue;  // swap, none
    if (f.size() >= 3 && f[2] == "swap") continue;
    out.push_back(point);
  }
  return out;
}

std::vector<std::string> mounted_points(std::string_view mountinfo) {
  std::vector<std::string> out;
  for (auto line : lines(mountinfo)) {
    auto f = fields(line);
    if (f.size() < 5) continue;
    out.push_back(without_trailing_slash(unescape(f[4])));
  }
  return out;
}

std::optional<std::string> unmounted_mount_point(const std::vector<std::string>& fstab,
                                                 const std::vector<std::string>& mounted, std::string_view path) {
  std::string p = without_trailing_slash(std::string(path));
  std::optional<std::string> deepest;
  for (const auto& point : fstab) {
    if (point == "/") continue;
    bool holds =
        p == point || (p.size() > point.size() && p.compare(0, point.size(), point) == 0 && p[point.size()] == '/');
    if (!holds) continue;
    if (std::find(mounted.begin(), mounted.end(), point) != mounted.end()) continue;
    if (!deepest || point.size() > deepest->size()) deepest = point;
  }
  return deepest;
}

}  // namespace unisonsync
