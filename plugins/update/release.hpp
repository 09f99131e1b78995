// Pure parts of the update module: the update URL, checksums, versions, the
// release tree and the argv of the programs it runs.
//
// A release archive is a tar file (gzip, xz or plain; GNU tar detects which)
// holding the tree `cmake --install build --prefix /usr/local` makes, with
// paths relative to "/": usr/local/sbin/sc, usr/local/lib/sc/NAME.so and
// NAME.json, headers, docs... `sc update start` installs every regular file
// of it under /usr/local, then runs the new sc's `update upgrade OLD`.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace update_rel {

/// A URL `update start` may download: file://, http:// or https://, then
/// printable ASCII without spaces, quotes, backslashes or '`'. False with
/// *why otherwise.
bool valid_url(std::string_view url, std::string* why);

/// The SHA-256 at the start of `text` (a bare digest, or a sha256sum line
/// "DIGEST  NAME"), lower-cased; nullopt when it is not 64 hex digits.
std::optional<std::string> parse_sha256(std::string_view text);

/// curl downloading `url` to `out`: failing on HTTP errors, following
/// redirects only to http(s), file/http/https only.
std::vector<std::string> download_argv(const std::string& url, const std::string& out);

/// tar extracting `archive` into `dir` (owners not kept).
std::vector<std::string> extract_argv(const std::string& archive, const std::string& dir);

/// A version MAJOR.MINOR.PATCH.
struct Version {
  unsigned major = 0, minor = 0, patch = 0;
};
std::optional<Version> parse_version(std::string_view text);
std::string to_string(const Version& v);
/// <0, 0, >0 as a is older, equal, newer than b.
int compare(const Version& a, const Version& b);

/// The prefix a release installs into.
inline constexpr const char* kPrefix = "usr/local/";
/// The sc executable inside a release tree.
inline constexpr const char* kScPath = "usr/local/sbin/sc";

/// True when the release member `rel` (a path relative to "/") may be
/// installed: under kPrefix, no "." or ".." component, no control
/// characters. *why names the member otherwise.
bool installable(std::string_view rel, std::string* why);

/// Installation order: everything else first, the sc executable last, so
/// that an interrupted update never runs a new sc with old plugins.
void order_for_install(std::vector<std::string>* rels);

/// The upgrade step, run with the newly installed sc: `SC [--root ROOT
/// --plugin-path ROOT/usr/local/lib/sc] update upgrade OLD` (ROOT empty:
/// the running system).
std::vector<std::string> upgrade_argv(const std::string& sc_path, const std::string& root, const std::string& old);

}  // namespace update_rel
