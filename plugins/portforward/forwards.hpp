// portforward as pure functions: the list of forwards (PORTFORWARD_LIST,
// "HOST:PORT" items separated by spaces, as the original kept it), the
// daemon instance of each host, and the ssh command lines of one host's
// tunnel (every port of that host on one connection).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/openssh.hpp"
#include "common/tunnel.hpp"

namespace portforward {

inline constexpr const char* kModule = "portforward";

struct Forward {
  std::string host;  ///< a peer name (host, user@host, host:port, [v6]:port)
  int port = 0;      ///< forwarded from this host's PORTFORWARD_BIND to the peer's localhost, same number
  bool operator==(const Forward& o) const { return host == o.host && port == o.port; }
};

/// Why `port` is not a port number (1-65535), or "".
std::string port_problem(std::string_view port);

/// Parses PORTFORWARD_LIST; *bad gets the items that are not HOST:PORT
/// (kept out of the result, said by the caller).
std::vector<Forward> parse_list(std::string_view text, std::vector<std::string>* bad);

/// The list as PORTFORWARD_LIST holds it.
std::string list_text(const std::vector<Forward>& list);

/// "HOST:PORT"
std::string item_text(const Forward& f);

/// The hosts of the list, each once, in the list's order.
std::vector<std::string> hosts(const std::vector<Forward>& list);

/// The ports forwarded from `host`, in the list's order.
std::vector<int> ports_of(const std::vector<Forward>& list, const std::string& host);

/// The daemon instance of `host` (sc_daemon_portforward_INSTANCE.service):
/// the host itself when it is a plain name, as in the original; otherwise
/// its letters, digits, '.', '-' and '_' with a short hash of the whole name.
std::string instance_name(std::string_view host);

/// The fix the `status` hook gives for the tunnel of `host` that is not
/// up: with its daemon unit missing, `sc portforward add HOST PORT` (its
/// first port) makes the unit again; else the unit is restarted (`sc daemon
/// restart portforward INSTANCE`). Words quoted for a shell.
std::string tunnel_fix(const std::string& host, const std::vector<int>& ports, bool unit_exists);

/// Why `bind` cannot be PORTFORWARD_BIND ("localhost", "*", a host name or
/// an address, IPv6 in brackets), or "".
std::string bind_problem(std::string_view bind);

/// The tunnel of `host`: ssh -N with -L BIND:PORT:localhost:PORT for each
/// port, AES first when `aes` (openssh::bulk_options), ExitOnForwardFailure (a local port taken ends it, said),
/// keepalives, a control socket; its probe asks the control master whether
/// it runs (`ssh -O check`).
plugin_common::tunnel::Spec spec(const std::string& host, const std::vector<int>& ports, const std::string& bind,
                                 int keepalive, int connect_timeout, bool aes,
                                 const plugin_common::openssh::Identity& id);

}  // namespace portforward
