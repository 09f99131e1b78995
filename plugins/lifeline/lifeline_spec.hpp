// The lifeline as pure functions: its settings checked, and the ssh
// command lines the supervisor runs (the tunnel and its probe).
#pragma once

#include <string>
#include <string_view>

#include "common/openssh.hpp"
#include "common/tunnel.hpp"

namespace lifeline {

inline constexpr const char* kModule = "lifeline";

struct Config {
  std::string target;        ///< LIFELINE_TARGET: the relay, a peer name
  int port = 22000;          ///< LIFELINE_PORT: opened on the relay's loopback
  std::string local_host;    ///< LIFELINE_LOCAL's host: where the relay's port leads, from this host
  int local_port = 22;       ///< LIFELINE_LOCAL's port
  int keepalive = 5;         ///< LIFELINE_KEEPALIVE: seconds between keepalives
  int connect_timeout = 10;  ///< seconds for TCP and the SSH handshake
  bool aes = false;          ///< the processor has AES instructions (openssh::bulk_options)
};

/// Why `local` is not HOST:PORT (HOST a name, an IPv4 address or an IPv6
/// address in brackets; PORT 1-65535), or "" when it is one.
std::string local_problem(std::string_view local);

/// Splits a checked HOST:PORT.
void split_local(std::string_view local, std::string* host, int* port);

/// The tunnel: ssh -N -R PORT:LOCAL_HOST:LOCAL_PORT to the relay, with
/// ExitOnForwardFailure, keepalives every `keepalive` s (3 missed: dead) and
/// a control socket; its probe: a channel through that socket to the
/// relay's localhost:PORT, which must answer with an SSH banner (the
/// relay reaches this host's sshd: the whole loop works).
plugin_common::tunnel::Spec spec(const Config& c, const plugin_common::openssh::Identity& id);

}  // namespace lifeline
