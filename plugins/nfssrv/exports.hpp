// Pure functions behind nfssrv: the clients an export is for, /etc/exports
// for the kernel's NFS server, ganesha.conf for NFS-Ganesha (the user-space
// server, NFSv4 only), and which of the two serves this host.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace nfssrv {

/// Why `client` cannot be an NFS client of an export, or "" when it can:
/// a host name (letters, digits, '-' in labels of at most 63 bytes), an
/// IPv4 address or network (10.0.0.0/24), an IPv6 address or network
/// (fd00::/64). Never "*" or a wildcard: exports go to named hosts only.
std::string client_problem(std::string_view client);

/// True for an IPv4 or IPv6 address (no prefix length): where a server
/// may listen.
bool valid_address(std::string_view address);

/// The words of a list setting (split at white space), each once, in order.
std::vector<std::string> list_items(std::string_view text);

/// The items joined with single spaces.
std::string join_items(const std::vector<std::string>& items);

/// What the server files are made from.
struct Exports {
  std::vector<std::string> paths;    ///< exported directories (existing ones)
  std::vector<std::string> missing;  ///< configured but not directories here: left out, said in a comment
  std::vector<std::string> clients;  ///< who may mount them
};

/// The kernel server's options for each client: read-write, synchronous
/// writes, no subtree check (root stays squashed, as exports(5) defaults).
inline constexpr const char* kKernelOptions = "rw,sync,no_subtree_check";

/// /etc/exports: a header naming the settings it comes from, then one line
/// per exported directory with every client and kKernelOptions. Without
/// clients nothing is exported (a line without clients would export to
/// the world).
std::string exports_file(const Exports& e);

/// Stable NFS-Ganesha export ids (1-65535) for `paths`: derived from each
/// path (FNV-1a), the next free one on a collision, assigned in sorted
/// order, so adding or removing a directory never renumbers the others
/// (an id is part of every file handle clients hold).
std::map<std::string, std::uint16_t> export_ids(const std::vector<std::string>& paths);

/// Where and how NFS-Ganesha listens.
struct Listen {
  int port = 2049;
  std::string bind;  ///< an address, or "" for every address
};

/// ganesha.conf: NFSv4 only over TCP (no rpcbind, no NLM, no RQUOTA), then
/// one EXPORT block per directory at the same pseudo path (clients mount
/// SERVER:/PATH as with the kernel server), VFS, AUTH_SYS, root squashed
/// to 65534, read-write for the clients only.
std::string ganesha_conf(const Exports& e, const Listen& l);

/// The NFS_CORE_PARAM block of a ganesha.conf text ("" when it has none):
/// what NFS-Ganesha reads only when it starts, while its exports are read
/// again on SIGHUP (`systemctl reload nfs-ganesha`).
std::string ganesha_core_block(std::string_view conf);

/// True when `text` starts with the header sc writes in both files.
bool written_by_sc(std::string_view text);

/// True when `text` holds more than comments and blank lines (a
/// configuration of someone else's that sc keeps a copy of before
/// replacing it). '#' starts a comment in both files.
bool has_content(std::string_view text);

/// Which server serves the exports.
enum class Server { kernel, ganesha };

std::string server_name(Server s);

/// The server for NFSSRV_SERVER `setting` ("auto", "kernel", "ganesha"):
/// auto is the kernel's when it has an NFS server (nfsd in
/// /proc/filesystems `proc_filesystems`, or `nfsd_module` loadable),
/// NFS-Ganesha otherwise (a container). *why says how it was chosen.
Server choose_server(std::string_view setting, std::string_view proc_filesystems, bool nfsd_module, std::string* why);

}  // namespace nfssrv
