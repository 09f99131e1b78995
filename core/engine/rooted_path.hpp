// Resolving a path of the target system under --root DIR, as a chroot would:
// symlinks are followed inside DIR and can never lead out of it.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sc {

/// Most symlinks followed while resolving one path (the kernel's MAXSYMLINKS).
inline constexpr int kMaxSymlinks = 40;

/// Splits a target path into its components. The path must be absolute and
/// must not contain "." or ".." components or NUL bytes; repeated and
/// trailing slashes are allowed. "/" gives no components. On failure *err
/// names the path and the rule.
bool split_target_path(std::string_view target, std::vector<std::string>* comps, std::string* err);

/// "/a/b" for {"a", "b"}; "/" for none.
std::string join_target_path(const std::vector<std::string>& comps);

/// ROOT/a/b for {"a", "b"} (ROOT itself for none). A root of "/" or ""
/// gives the plain path.
std::filesystem::path host_path(const std::filesystem::path& root, const std::vector<std::string>& comps);

/// True when `root` designates the running system ("/", "" and spellings
/// such as "//" or "/.").
bool is_host_root(const std::filesystem::path& root);

/// Tells whether the already-resolved path `comps` of the target tree is a
/// symlink, and if so returns its content. The default looks at the disk
/// (lstat + readlink under the root); the executor substitutes its dry-run
/// view of the tree.
using SymlinkProbe = std::function<std::optional<std::string>(const std::vector<std::string>& comps)>;

/// Resolves `target` like a chroot into `root` would and returns the
/// components of the result (relative to the root, free of symlinks except
/// for the last one when follow_last is false). Absolute link contents are
/// re-anchored at the root, relative ones resolved from the link's directory,
/// and ".." inside a link stops at the root. Components that do not exist
/// are kept as they are. Fails on an invalid target (see split_target_path)
/// or after kMaxSymlinks links ("too many levels of symbolic links").
bool resolve_components(const std::filesystem::path& root, std::string_view target, bool follow_last,
                        std::vector<std::string>* comps, std::string* err, const SymlinkProbe& probe = {});

/// resolve_components, returned as a path on this machine (ROOT/...).
/// With root "/" the result is the plain, symlink-free path.
bool resolve_under_root(const std::filesystem::path& root, std::string_view target, bool follow_last,
                        std::filesystem::path* out, std::string* err);

}  // namespace sc
