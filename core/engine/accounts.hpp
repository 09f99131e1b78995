// Users and groups of the target tree: ROOT/etc/passwd and ROOT/etc/group,
// and the system's name service when the target is the running system.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sc {

/// A user's ids.
struct AccountIds {
  unsigned uid = 0;
  unsigned gid = 0;  ///< primary group
};

/// Finds `name` in the text of a passwd(5) file. Comment, blank, malformed
/// and NIS ("+"/"-") lines are skipped; the first match wins.
std::optional<AccountIds> find_user_in(std::string_view passwd_text, std::string_view name);

/// Finds `name` in the text of a group(5) file and returns its gid.
std::optional<unsigned> find_group_in(std::string_view group_text, std::string_view name);

/// Reads a file of the target tree by its absolute target path ("/etc/passwd");
/// false when it cannot be read.
using TargetFileReader = std::function<bool(const std::string& target_path, std::string* text)>;

/// Looks `name` up in the target's /etc/passwd, read through `read`. When
/// `host_root` is set (the target is the running system) a name missing
/// from the file is then asked of the name service (getpwnam_r: LDAP,
/// systemd-userdb...). "root" is 0/0 even when the file is missing.
std::optional<AccountIds> lookup_user(const TargetFileReader& read, bool host_root, const std::string& name);

/// Likewise for groups (/etc/group, getgrnam_r); "root" is 0.
std::optional<unsigned> lookup_group(const TargetFileReader& read, bool host_root, const std::string& name);

/// lookup_user on the tree under `root` (symlinks resolved inside it); the
/// name service is used only when root is "/".
std::optional<AccountIds> lookup_user(const std::filesystem::path& root, const std::string& name);

/// lookup_group on the tree under `root`.
std::optional<unsigned> lookup_group(const std::filesystem::path& root, const std::string& name);

}  // namespace sc
