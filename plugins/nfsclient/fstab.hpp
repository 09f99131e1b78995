// Pure functions behind nfsclient: NFSv4 entries of /etc/fstab, the mount
// table, the systemd unit names of a mount point and cachefilesd's
// defaults file. Every edit keeps every other line of a file byte for byte.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nfsclient {

/// An NFS mount as sc writes it: SERVER:REMOTE on PATH, with FS-Cache
/// (`fsc`, served by cachefilesd) when `cache`.
struct Mount {
  std::string server;  ///< host name, IPv4 address or [IPv6] address
  std::string remote;  ///< absolute path on the server
  std::string path;    ///< absolute mount point here
  bool cache = false;
};

/// Why `server` cannot be an NFS server in fstab, or "" when it can: a host
/// name (letters, digits and '-' in labels of at most 63 bytes, at most 253
/// bytes), an IPv4 address, or an IPv6 address in brackets. A user@ or
/// :port part is refused: NFS takes neither.
std::string server_problem(std::string_view server);

/// The options sc writes: read-write, hard (a server that goes away makes
/// programs wait, never lose writes), 128 KiB transfers, mounted after the
/// network (_netdev) by a systemd automount on first access (noauto +
/// x-systemd.automount), and `fsc` with a cache.
std::string mount_options(bool cache);

/// The fstab line of `m`, without its newline:
/// "SERVER:REMOTE PATH nfs4 OPTIONS 0 0".
std::string fstab_line(const Mount& m);

/// One entry (not a comment or blank line) of an fstab text.
struct Entry {
  size_t line = 0;   ///< index of its line (0-based)
  std::string spec;  ///< first field, as written
  std::string path;  ///< second field with fstab's octal escapes decoded, without a trailing '/'
  std::string type;  ///< third field
  std::string options;
};

/// The entries of an fstab text, in order. Fields are separated by spaces
/// and tabs (a '\r' ending a line is white space too); a line whose first
/// word starts with '#' is a comment; a line of fewer than three fields is
/// not an entry.
std::vector<Entry> entries(std::string_view fstab);

/// True for the NFS types of fstab ("nfs", "nfs4").
bool is_nfs(const Entry& e);

/// The mount of an NFS entry (server and remote split from its first
/// field, `cache` from an `fsc` option); nullopt for another type or a
/// first field that is not SERVER:/PATH.
std::optional<Mount> mount_of(const Entry& e);

/// True when the options are those sc writes (mount_options), or those the
/// original tool wrote: an entry sc manages (cleanup, files, restore).
bool managed(const Entry& e);

/// The first entry on `path` whose type is not NFS: a mount sc must not
/// replace (a disk mounted on /home...).
std::optional<Entry> other_mount_on(std::string_view fstab, std::string_view path);

/// The NFS entries on `path`.
std::vector<Entry> nfs_entries_on(std::string_view fstab, std::string_view path);

/// `fstab` with the NFS entry of `m.path` being fstab_line(m): the first
/// NFS entry on that path is replaced in its place, later ones removed;
/// without one, the line is appended (after a '\n' ending the last line
/// when the text lacked one). Every other line is kept byte for byte.
std::string with_mount(std::string_view fstab, const Mount& m);

/// `fstab` without the NFS entries on `path` (only on exactly that path:
/// not on a directory below it, nor an entry of another type).
std::string without_mount(std::string_view fstab, std::string_view path);

/// `fstab` with the lines of `drop` (line indexes) removed.
std::string without_lines(std::string_view fstab, const std::vector<size_t>& drop);

/// Decodes fstab's (and the mount table's) octal escapes: "\040" is a space.
std::string unescape(std::string_view field);

/// True when /proc/self/mountinfo text `mountinfo` has a mount on `path`.
bool mounted(std::string_view mountinfo, std::string_view path);

/// systemd's unit name stem of a mount point (`systemd-escape --path`):
/// "/srv/mass" is "srv-mass", so the units are srv-mass.mount and
/// srv-mass.automount.
std::string unit_stem(std::string_view path);

/// cachefilesd's /etc/default/cachefilesd with the daemon allowed to run
/// (RUN=yes, which Debian's init script requires): every RUN= line set to
/// yes; without one, the first commented "#RUN=..." line uncommented;
/// without that either, "RUN=yes" appended. Unchanged when it already runs.
std::string cachefilesd_default_with_run(std::string_view text);

/// True when cachefilesd_default_with_run(text) is text.
bool cachefilesd_runs(std::string_view text);

/// The cache directory /etc/cachefilesd.conf names: the word after "dir"
/// on its last "dir PATH" line (cachefilesd keeps the last one), or "" when
/// it names none.
std::string cachefilesd_dir(std::string_view conf);

}  // namespace nfsclient
