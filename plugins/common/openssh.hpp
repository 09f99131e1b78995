// OpenSSH's client (`ssh`) as the modules that run it for long-lived or
// bulk work use it (lifeline, portforward): the peer name split into what
// ssh takes, and the options that make it use sc's own SSH identity — the
// keys and known_hosts of the user running sc, the ones `sc sshlink add`
// fills — in batch mode, so there is never a second trust store and never a
// prompt. Pure functions: ssh_home::identity() finds the files.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace plugin_common::openssh {

/// A peer as ssh takes it.
struct Peer {
  std::string user;  ///< empty: ssh's default (the local user, or ~/.ssh/config)
  std::string host;  ///< a name, an alias, or an IPv6 address in brackets
  int port = 0;      ///< 0: not given (22, or ~/.ssh/config)
};

/// The parts of a peer name that plugin_common::peer_name accepts (host,
/// user@host, host:port, user@host:port, [IPv6], [IPv6]:port). Check the
/// name with peer_name first: this only splits.
Peer split_peer(std::string_view peer);

/// The peer name of `p` ("user@host:port").
std::string peer_text(const Peer& p);

/// ssh's words naming the peer, last on its command line:
/// [-p PORT] [-l USER] -- HOST (an IPv6 host without its brackets).
std::vector<std::string> destination_words(const Peer& p);

/// The files of sc's SSH identity, in the user's ~/.ssh.
struct Identity {
  std::string ssh_dir;            ///< e.g. /root/.ssh
  std::vector<std::string> keys;  ///< private keys that exist, in the core's order (id_ed25519, id_ecdsa, id_rsa)
  bool config_exists = false;     ///< ssh_dir/config is there (ssh reads it with -F)
};

/// The private key names the core tries, in its order.
inline constexpr const char* kKeyNames[] = {"id_ed25519", "id_ecdsa", "id_rsa"};

/// Why `id` cannot be named on ssh's command line (no home; a space, a
/// quote, a backslash, '%' or a control character in its paths, which ssh's
/// options cannot carry), or "".
std::string identity_problem(const Identity& id);

/// Options for ssh: -F config when there is one, -i for each key,
/// IdentitiesOnly, BatchMode, StrictHostKeyChecking=yes, the known_hosts of
/// sshlink, ConnectTimeout, and ServerAliveInterval/CountMax (a dead path is
/// noticed after about interval × count seconds).
std::vector<std::string> client_options(const Identity& id, int connect_timeout, int alive_interval, int alive_count);

/// True when /proc/cpuinfo's text says the processor has AES instructions
/// (the "aes" flag).
bool cpu_has_aes(std::string_view cpuinfo);

/// Options for a connection that carries bulk data (a tunnel): AES-GCM put
/// first when the processor has AES instructions (`aes`), which moves
/// about twice as much per second here as OpenSSH's default
/// chacha20-poly1305 (bench/tunnel_bench.sh); the rest of ssh's default
/// list follows, so a server that refuses AES still connects. Nothing
/// without AES instructions.
std::vector<std::string> bulk_options(bool aes);

}  // namespace plugin_common::openssh
