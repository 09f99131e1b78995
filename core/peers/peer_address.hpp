// Naming a peer and quoting for it: the pure part of the SSH layer (no
// libssh here, so a local command never pays for it and tests need no sshd).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sc {

/// A peer as the administrator writes it for ssh: "host", "user@host",
/// "host:port", "user@host:port", "[v6addr]" or "[v6addr]:port", or a Host
/// alias of ~/.ssh/config (then user and port may come from that file).
struct PeerAddress {
  std::string text;  ///< as typed, for messages and as the cache key
  std::string user;  ///< empty: from ~/.ssh/config, else the local user
  std::string host;  ///< name, alias or address (IPv6 without brackets)
  int port = 0;      ///< 0: from ~/.ssh/config, else 22

  /// The host as ssh and rsync take it: IPv6 addresses in brackets.
  std::string host_for_url() const;
};

/// Parses a peer name. Refuses what could be taken for an option or reach a
/// shell (a leading '-', spaces, quotes, control characters...): *err names
/// the text and the accepted forms.
bool parse_peer_address(std::string_view text, PeerAddress* out, std::string* err);

/// The shell script run on a peer (user's login shell, POSIX) to append the
/// public key read from its stdin to ~/.ssh/authorized_keys unless the very
/// line is already there; creates ~/.ssh (0700) and the file (0600) when
/// missing and keeps a last line without newline intact.
std::string authorized_keys_script();

}  // namespace sc
