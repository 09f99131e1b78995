// The tunnel itself, on Boost.Beast websockets (one thread, one
// io_context): the server (a websocket listener whose every connection is
// joined to the one configured TCP target) and the client (a TCP listener
// whose every connection is joined to a new websocket to the server), both
// with npm wstunnel 1.4.0's wire: subprotocol "tunnel-protocol", the target
// in "/?dst=HOST:PORT", raw bytes in binary frames.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "tunnel_config.hpp"

namespace wstunnel {

struct RelayConfig {
  bool client = false;
  Endpoint listen;                              ///< where to accept (websockets or, client, TCP)
  Endpoint target;                              ///< server: the only destination it tunnels to
  ServerUrl url;                                ///< client: the server
  std::string dst;                              ///< client: the dst to ask for ("" = none, as the original)
  std::string ca_file;                          ///< client: extra CA certificates (PEM); "" = the system's only
  unsigned keepalive = 30;                      ///< seconds: pings every half, dropped when silent for all of it
  std::string status_path;                      ///< where the state is kept ("" = nowhere)
  std::function<void(const std::string&)> log;  ///< one line per event
};

/// Runs until SIGTERM or SIGINT (or a fatal setup error, returned as 1 with
/// *err: a CA file that cannot be read). Never gives up on its listener: an
/// accept error is logged, counted and retried with a bounded backoff, and
/// a listener that cannot accept any more is closed and made again.
int run_relay(const RelayConfig& cfg, std::string* err);

/// Copies stdin to a TCP connection to `to` and the connection to stdout
/// until both ends are done (ssh's ProxyCommand). 1 with *err when it
/// cannot connect.
int bridge_stdio(const Endpoint& to, std::string* err);

}  // namespace wstunnel
