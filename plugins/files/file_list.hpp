// Pure parts of the files module: the file list a module's `files` hook
// returns, and the rsync command that restores it from a backup.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace files_mod {

/// An absolute path without "." or ".." components, empty components,
/// NUL or newline (a trailing '/' is allowed and removed by clean_path).
bool valid_path(std::string_view path);
std::string clean_path(std::string_view path);

/// The paths in a captured `files` hook call ({"status":0,"output":...,
/// "result":...}): the result when it is a JSON array of strings, else the
/// non-empty lines of the output. Every path must be valid_path; duplicates
/// are dropped. nullopt with *why naming the first bad entry otherwise, so
/// an error text can never reach rsync as a path.
std::optional<std::vector<std::string>> parse_file_list(std::string_view captured, std::string* why);

/// rsync copying the listed paths (read NUL-separated from stdin, relative
/// to `from`) into `to`, keeping every attribute and numeric ids, and
/// recursing into listed directories. Nothing is deleted on the target.
std::vector<std::string> restore_argv(const std::string& from, const std::string& to);

/// stdin for restore_argv: each path without its leading '/', NUL-terminated.
std::string files_from(const std::vector<std::string>& paths);

/// rsync's exit status in words ("partial transfer due to error"...).
std::string rsync_status_text(int status);

}  // namespace files_mod
