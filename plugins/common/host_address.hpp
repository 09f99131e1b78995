// Hosts as NFS files name them (nfsclient's SERVER in /etc/fstab, nfssrv's
// clients in /etc/exports and ganesha.conf): a DNS host name, an IPv4
// address or an IPv6 address, checked by the same rules and refused with
// the same words in both modules. Each module keeps what it adds around
// them (brackets, a prefix length, a port refused).
#pragma once

#include <string>
#include <string_view>

namespace plugin_common::host_address {

/// True for a dotted-quad IPv4 address: four numbers of 0 to 255, without
/// leading zeros.
bool is_ipv4(std::string_view s);

/// True for text that can be an IPv6 address: 2 to 45 bytes of hexadecimal
/// digits, ':' (at least two) and '.' (an embedded IPv4 part).
bool is_ipv6(std::string_view s);

/// Why `host` is neither a host name nor an IPv4 address, or "" when it is
/// one: at most 253 bytes; digits and dots only must be an IPv4 address;
/// otherwise labels between dots of 1 to 63 letters, digits and '-', not
/// starting or ending with '-'.
std::string name_or_ipv4_problem(std::string_view host);

}  // namespace plugin_common::host_address
