// Peer names, as every module that takes one on its command line checks
// them before its first action (sshlink, backup, files, user, update, db):
// the core's rules for a peer (core/peers/peer_address.cpp) plus those of
// DNS that libssh applies only when it connects (labels of at most 63
// bytes, names of at most 253), so that a name is refused with exit 2 and
// a message naming the rule, before a module writes anything.
#pragma once

#include <string>
#include <string_view>

namespace plugin_common::peer_name {

/// Why `peer` is not a peer name (host, user@host, host:port,
/// user@host:port, [IPv6]:port, an ssh config alias), or "" when it is one.
std::string problem(std::string_view peer);

/// True when problem(peer) is "".
bool valid(std::string_view peer);

/// `peer` when it is valid; throws sc::Usage naming `what` (e.g. "HOST"),
/// the value and the rule otherwise.
std::string checked(const std::string& peer, const std::string& what);

}  // namespace plugin_common::peer_name
