// Directories shared between hosts, as the modules that mount or export
// them take them on their command line (nfsclient, nfssrv): paths that can
// stand as they are in /etc/fstab, /etc/exports and ganesha.conf, whose
// fields are separated by white space, escaped with '\', quoted with '"'
// and commented with '#'. A path holding one of those is refused rather
// than escaped, so every file says the path plainly.
#pragma once

#include <string>
#include <string_view>

namespace plugin_common::share_path {

/// Why `path` cannot be a shared directory, or "" when it can: an absolute
/// path of at most 4095 bytes without empty (but a trailing '/'), "." or
/// ".." components, made of UTF-8 text without white space, control
/// characters, '\\', '"' or '#'.
std::string problem(std::string_view path);

/// `path` without its trailing '/' ("/" stays "/").
std::string clean(std::string_view path);

/// clean(path) when problem(path) is ""; throws sc::Usage naming `what`
/// (e.g. "PATH"), the value and the rule otherwise.
std::string checked(const std::string& path, const std::string& what);

}  // namespace plugin_common::share_path
