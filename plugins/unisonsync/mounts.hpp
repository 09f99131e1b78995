// unisonsync: is a root under a mount point of /etc/fstab that is not
// mounted? Pure functions over the text of /etc/fstab and
// /proc/self/mountinfo (of this host, or of a peer), tested against exact
// text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace unisonsync {

/// The mount points of the file systems /etc/fstab lists (fields 2, with
/// fstab's octal escapes such as "\040" decoded; swap and "none" left out).
std::vector<std::string> fstab_mount_points(std::string_view fstab);

/// The mount points /proc/self/mountinfo lists (field 5, decoded).
std::vector<std::string> mounted_points(std::string_view mountinfo);

/// The deepest mount point of `fstab` (other than "/") that holds `path`
/// (the path itself or a directory above it) and is not in `mounted`:
/// synchronising `path` now would fill, or empty, the directory the file
/// system is mounted on. nullopt when there is none.
std::optional<std::string> unmounted_mount_point(const std::vector<std::string>& fstab,
                                                 const std::vector<std::string>& mounted, std::string_view path);

}  // namespace unisonsync
