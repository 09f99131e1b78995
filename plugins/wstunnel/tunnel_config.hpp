// wstunnel's pure rules: the addresses and URL its settings hold, the
// request target the client sends (npm wstunnel 1.4.0's `URL/?dst=HOST:PORT`),
// the server's check of a requested destination, and the managed block of
// ~/.ssh/config that routes a host through the client. No I/O here.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wstunnel {

/// A TCP address: a host name, an IPv4 address or an IPv6 address (kept
/// without brackets), and a port 1-65535.
struct Endpoint {
  std::string host;
  unsigned port = 0;
  /// "host:port", "[v6]:port" for an IPv6 address.
  std::string text() const;
  bool operator==(const Endpoint& o) const { return host == o.host && port == o.port; }
};

/// HOST:PORT (or [V6]:PORT). Host names are ASCII letters, digits, '-' and
/// '.', at most 253 bytes; nothing else (no spaces, quotes, shell
/// characters, non-ASCII). nullopt with *err naming the value and the rule.
std::optional<Endpoint> parse_endpoint(std::string_view text, std::string* err);

/// The server URL of the client: ws:// or wss://, or http:// and https://
/// meaning the same (the npm client's convention), a host, an optional port
/// and an optional path of plain characters (no query, no fragment).
struct ServerUrl {
  bool tls = false;
  std::string host;   ///< without brackets
  unsigned port = 0;  ///< 443 or 80 when the URL names none
  std::string path;   ///< "/wstunnel", or "" for the root
  /// The Host header: host, with ":port" unless it is the scheme's default.
  std::string host_header() const;
  /// The HTTP request target for `dst` ("" = none): PATH, or, as the npm
  /// client builds it, PATH + "/?dst=" + dst. Never empty ("/" at least).
  std::string request_target(const std::string& dst) const;
  /// wss://host[:port]/path
  std::string text() const;
};
std::optional<ServerUrl> parse_server_url(std::string_view text, std::string* err);

/// The host part of a peer name (host, user@host, host:port, [v6]:port):
/// what a Host line of ~/.ssh/config and the default URL name.
std::string peer_host(const std::string& peer);

/// The default server URL for a master: https://MASTER/wstunnel.
std::string default_url(const std::string& master);

/// The value of the `dst` query parameter of a request target,
/// percent-decoded; nullopt when there is none.
std::optional<std::string> query_dst(std::string_view target);

/// Whether a client asking for `dst` (nullopt: none asked) may be tunnelled
/// to `target`: none asked, or the same address (host compared without
/// case). Anything else is refused and *why says so, naming both: the
/// server is never an open proxy.
bool dst_allowed(const std::optional<std::string>& dst, const Endpoint& target, std::string* why);

/// The keepalive setting: seconds 5-3600 (pings every half of it, the
/// connection dropped when nothing came back within it).
std::optional<unsigned> parse_keepalive(std::string_view text, std::string* err);

/// Why `path` cannot be the CA file setting ("" = it can): absolute, plain
/// printable ASCII without spaces or quotes.
std::string ca_file_problem(std::string_view path);

// -- ~/.ssh/config ----------------------------------------------------------

/// The first and last lines of the block `sc wstunnel client` manages.
inline constexpr const char* kBlockBegin =
    "# BEGIN sc wstunnel: managed by `sc wstunnel client`, removed by `sc wstunnel cleanup`";
inline constexpr const char* kBlockEnd = "# END sc wstunnel";

/// `config` with our block (replacing an older one) at its top, so that its
/// ProxyCommand is the first one ssh and libssh read for `host`:
///   Host HOST
///       ProxyCommand SC wstunnel connect
/// `sc` must be a plain absolute path and `host` a plain host name (checked
/// by the caller).
std::string with_route(const std::string& config, const std::string& host, const std::string& sc);

/// `config` without our block (unchanged when it has none).
std::string without_route(const std::string& config);

/// The host our block routes, or "" when there is no block.
std::string routed_host(const std::string& config);

}  // namespace wstunnel
