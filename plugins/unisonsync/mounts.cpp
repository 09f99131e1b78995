#include "mounts.hpp"

#include <algorithm>

#include "common/fstab.hpp"

namespace unisonsync {

namespace {

std::string without_trailing_slash(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

}  // namespace

// Both texts are read as libmount reads them (plugins/common/fstab).
std::vector<std::string> fstab_mount_points(std::string_view fstab) {
  std::vector<std::string> out;
  for (const auto& e : plugin_common::fstab::entries(fstab)) {
    if (e.file.empty() || e.file[0] != '/' || e.vfstype == "swap") continue;  // swap, none
    out.push_back(e.file);
  }
  return out;
}

std::vector<std::string> mounted_points(std::string_view mountinfo) {
  std::vector<std::string> out;
  for (const auto& m : plugin_common::fstab::parse_mountinfo(mountinfo)) out.push_back(without_trailing_slash(m.point));
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
