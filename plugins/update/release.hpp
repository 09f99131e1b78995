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

// -- code follows the master (`sc update release`, `sc update follow`) -------

/// How the running sc is installed, from the path of its executable:
/// `local` is a /usr/local install (usr/local/sbin/sc: what `cmake
/// --install --prefix /usr/local` and `sc update start` make), `debian`
/// one from Debian packages (/usr/bin or /usr/sbin: never written by sc),
/// `other` anything else (a build tree, /opt...), which sc never rewrites.
enum class Kind { local, debian, other };
Kind kind_of_exe(std::string_view exe);
const char* kind_name(Kind k);
std::optional<Kind> parse_kind(std::string_view name);

/// The prefix of sc's files other than the executable: every regular file
/// under usr/local/lib/sc (plugins, manifests, core/ssh.so; third-party
/// plugins there too, as the original copied the whole directory).
inline constexpr const char* kLibPrefix = "usr/local/lib/sc/";

/// True when `rel` is one of sc's files a host may take from its master:
/// kScPath, or installable() under kLibPrefix. *why names it otherwise.
bool followable(std::string_view rel, std::string* why);

/// One file of an installed sc, as `sc update release files` lists it.
struct ReleaseFile {
  std::string path;    ///< relative to "/", e.g. usr/local/lib/sc/user.so
  std::string sha256;  ///< 64 lower-case hex digits
  bool exec = false;   ///< installed 0755, else 0644
};

/// What `sc update release [files]` said about a peer's sc.
struct Release {
  Version version;
  Kind kind = Kind::other;
  std::string exe;
  std::vector<ReleaseFile> files;  ///< with `files` only
};

/// The `result` of a peer's `sc --json update release [files]`, checked as
/// hostile input: a version, a kind; with `want_files` a non-empty list of
/// followable, distinct paths, one of them kScPath, each with a SHA-256 and
/// a mode 0644 or 0755. nullopt with *why naming the first fault.
std::optional<Release> parse_release(const std::string& result_json, bool want_files, std::string* why);

/// The Debian packages of sc and of `modules` (synccluster,
/// synccluster-plugin-NAME), and the apt command upgrading them.
std::vector<std::string> debian_packages(const std::vector<std::string>& modules);
std::string apt_upgrade_command(const std::vector<std::string>& packages);

/// What `sc update follow PEER` does, decided from both versions and both
/// install kinds.
enum class FollowAction {
  same,            ///< same version: nothing
  peer_older,      ///< the peer runs an older sc: nothing (said)
  newer_major,     ///< refused: another major on the peer
  debian_here,     ///< this host's sc is a Debian package: skew reported
  other_here,      ///< this host's sc is not an install sc rewrites
  peer_not_local,  ///< the peer's sc is not a /usr/local install
  install,         ///< fetch the peer's files, check, install, upgrade
};
struct FollowPlan {
  FollowAction action = FollowAction::same;
  bool failure = false;  ///< the command fails (newer major)
  std::string message;   ///< one line for the administrator, with the fix
};
/// `here`/`peer`: versions; `here_kind`, `peer_kind`, `here_exe`,
/// `peer_exe`; `packages`: this host's sc packages (for debian_here).
FollowPlan plan_follow(const std::string& peer, const Version& here, Kind here_kind, const std::string& here_exe,
                       const Version& there, Kind peer_kind, const std::string& peer_exe,
                       const std::vector<std::string>& packages);

}  // namespace update_rel
