// Pure functions behind nfsclient: its NFSv4 entries of /etc/fstab (the
// server rule, the options and line sc writes, which entries it manages)
// and cachefilesd's files. The fstab text itself (entries, escapes,
// byte-exact edits, the mount table, unit names) is plugins/common/fstab's.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/fstab.hpp"

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
/// "SERVER:REMOTE PATH nfs4 OPTIONS 0 0" (fields escaped as fstab(5) says,
/// which leaves the paths and servers nfsclient accepts as they are).
std::string fstab_line(const Mount& m);

/// True for the NFS types of fstab ("nfs", "nfs4").
bool is_nfs(const plugin_common::fstab::Entry& e);

/// The mount of an NFS entry (server and remote split from its first
/// field, `cache` from an `fsc` option); nullopt for another type or a
/// first field that is not SERVER:/PATH.
std::optional<Mount> mount_of(const plugin_common::fstab::Entry& e);

/// True when the options are those sc writes (mount_options), or those the
/// original tool wrote: an entry sc manages (cleanup, files, restore).
bool managed(const plugin_common::fstab::Entry& e);

/// The first entry on `path` whose type is not NFS: a mount sc must not
/// replace (a disk mounted on /home...).
std::optional<plugin_common::fstab::Entry> other_mount_on(std::string_view fstab, std::string_view path);

/// The NFS entries on `path`.
std::vector<plugin_common::fstab::Entry> nfs_entries_on(std::string_view fstab, std::string_view path);

/// `fstab` with the NFS entry of `m.path` being fstab_line(m): the first
/// NFS entry on that path is replaced in its place, later ones removed;
/// without one, the line is appended (after a '\n' ending the last line
/// when the text lacked one): plugin_common::fstab::with_line(). Every
/// other line is kept byte for byte.
std::string with_mount(std::string_view fstab, const Mount& m);

/// `fstab` without the NFS entries on `path` (only on exactly that path:
/// not on a directory below it, nor an entry of another type).
std::string without_mount(std::string_view fstab, std::string_view path);

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
