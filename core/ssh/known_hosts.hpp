// Host keys for messages: fingerprints as OpenSSH prints them, and the
// known_hosts line that disagrees with a server's key. Part of ssh.so.
#pragma once

#include <libssh/libssh.h>

#include <string>
#include <vector>

namespace sc::ssh {

/// "ED25519 key SHA256:..." for a public key (type as OpenSSH names it).
std::string describe_key(ssh_key key);

/// The name a known_hosts file uses for host:port ("host" for port 22,
/// else "[host]:port"), lower-cased as libssh and OpenSSH compare it.
std::string known_hosts_name(const std::string& host, unsigned port);

/// Every "FILE:LINE" of `files` holding a key for `name` other than `key`
/// (the lines to remove when a host key changed). Markers (@revoked,
/// @cert-authority) and unreadable files are skipped.
std::vector<std::string> conflicting_lines(const std::vector<std::string>& files, const std::string& name, ssh_key key);

}  // namespace sc::ssh
