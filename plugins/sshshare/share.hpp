// What an sshfs share is made of, as pure functions: the checks of its
// arguments, the fstab line (source, mount point, options), what `add` and
// `del` make of an fstab text, and whether a share is mounted. The fstab
// and mountinfo text itself (fields, entries, byte-exact edits, unit
// names) is plugins/common/fstab's. The commands (sshshare.cpp) only read
// the target and apply these results through the host.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/fstab.hpp"
#include "common/openssh.hpp"

namespace sshshare {

inline constexpr const char* kFstab = "/etc/fstab";
inline constexpr const char* kFsType = "fuse.sshfs";

/// A peer as ssh takes it, split and written back as every module that
/// runs OpenSSH does (plugins/common/openssh).
using plugin_common::openssh::Peer;
using plugin_common::openssh::peer_text;
using plugin_common::openssh::split_peer;

/// Why `path` cannot be a share's local mount point (`is_mount_point`) or
/// remote directory, or "" when it can: an absolute path of at most 4095
/// bytes, no control character, no empty, "." or ".." component, no '/' at
/// its end; a mount point is not "/" either. Spaces and backslashes are
/// fine (fstab escapes them).
std::string path_problem(std::string_view path, bool is_mount_point);

/// Why `file` (a path sc's SSH identity lives at) cannot stand in the
/// options field of an fstab line, or "": letters, digits and "/._+-@"
/// only (a ',' or '=' would split the option, a blank the line).
std::string option_file_problem(std::string_view file);

/// The files ssh (run by sshfs at mount time, as root, from systemd or
/// mount) must use: those sc's own SSH connections use.
struct SshFiles {
  std::string identity;     ///< our private key
  std::string known_hosts;  ///< where `sshlink add` put the peer's host key
};

/// How long ssh waits for a peer that stopped answering.
struct Timeouts {
  int alive_interval = 0;  ///< ServerAliveInterval
  int alive_count = 0;     ///< ServerAliveCountMax
  int connect = 0;         ///< ConnectTimeout (also bounds the banner exchange)
};

/// The ssh timeouts for SSHSHARE_TIMEOUT = `seconds` (>= 1): keep-alives
/// every ceil(seconds/4) s, three of them unanswered drop the connection
/// (so a request without an answer fails after about `seconds`), and a
/// reconnection gives up after one keep-alive interval.
Timeouts timeouts_for(int seconds);

/// The options field of the fstab line of a share of `peer`.
std::string mount_options(const Peer& peer, int timeout_seconds, const SshFiles& files);

/// "user@host:/remote", the source sshfs mounts.
std::string source(const Peer& peer, std::string_view remote);

/// The whole fstab line (with its '\n'): source, mount point, fuse.sshfs,
/// options, "0 0"; fields escaped as fstab(5) says.
std::string fstab_line(std::string_view source, std::string_view path, std::string_view options);

/// A share as an fstab entry names it.
struct Share {
  Peer peer;
  std::string remote;
  std::string path;
  std::string options;
};

/// True for an entry of type fuse.sshfs or sshfs.
bool is_sshfs(const plugin_common::fstab::Entry& e);

/// The share of an sshfs entry: its spec split into peer and remote
/// directory, the port taken from a port= option; nullopt when the spec
/// has no "HOST:" part.
std::optional<Share> share_of(const plugin_common::fstab::Entry& e);

/// Same user, host, port (none given counts as 22), remote directory and
/// mount point; options do not matter.
bool same_share(const Share& a, const Share& b);

/// What `add` makes of an fstab text.
struct AddPlan {
  std::string text;  ///< the new text (== the old one when nothing changes)
  /// The sshfs entries for the path that the new line replaces or that are
  /// removed as duplicates (their lines differed from the new one).
  std::vector<Share> replaced;
  std::string conflict;  ///< non-empty: why the path cannot take the share (the text is then unchanged)
};

/// The first sshfs entry for `path` becomes `line` (in place, ending as
/// that entry's line ended), other sshfs entries for it are removed, and
/// without one `line` is appended (after a '\n' ending a last line that
/// lacked one): plugin_common::fstab::with_line(). Another type of entry
/// for `path` is a conflict. Every other line is kept byte for byte.
AddPlan plan_add(std::string_view text, std::string_view path, std::string_view line);

/// What `del` makes of an fstab text.
struct DelPlan {
  std::string text;
  int removed = 0;            ///< lines of the share removed
  std::vector<Share> others;  ///< sshfs entries for the same path of another source
};

/// Removes the lines of the sshfs entries of `wanted` (same_share), and
/// nothing else.
DelPlan plan_del(std::string_view text, const Share& wanted);

/// Every sshfs share in an fstab text, in its order.
std::vector<Share> list_shares(std::string_view text);

/// True when one of `mounts` is the sshfs mount of `source`.
bool sshfs_mounted(const std::vector<plugin_common::fstab::Mount>& mounts, std::string_view source);

/// True when one of `mounts` is an automount point (autofs).
bool automounted(const std::vector<plugin_common::fstab::Mount>& mounts);

}  // namespace sshshare
