// Questions about paths of the target system, through the host (so they
// see --root and what --dry-run planned): never a raw stat() of a resolved
// path. Shared by the files, update and user modules, and by apt_ensure.
// Needs ABI 1.2 (stat_path): modules using it declare "abi": "1.2".
#pragma once

#include <sc/plugin.hpp>
#include <string>

namespace plugin_common::target {

/// True when something is at `path` (a dangling symlink too); a path the
/// host refuses (relative, "..") counts as missing.
bool exists(const sc::Context& ctx, const std::string& path);

/// True when `path` (symlinks followed inside the root) is a regular file
/// someone may execute.
bool executable(const sc::Context& ctx, const std::string& path);

}  // namespace plugin_common::target
