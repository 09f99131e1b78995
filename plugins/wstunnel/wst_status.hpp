// The daemon's state as a small JSON file (/var/lib/sc/wstunnel/status.json),
// with the fields of the other tunnels' status (lifeline, portforward:
// plugins/common/tunnel.hpp) so that `sc status` can show them alike:
//   {"module":"wstunnel","instance":"","state":"up"|"down"|"stopped",
//    "since":"<UTC ISO-8601>"|null,"since_epoch":N,"last_error":"...",
//    "last_error_at":"<UTC ISO-8601>"|null,"last_error_at_epoch":N,
//    "attempts":N,"pid":N,"target":"<for people>",
// and wstunnel's own:
//    "mode":"server"|"client","listen":"...","peer":"...",
//    "connections":{"active":N,"total":N,"failed":N},"accept_errors":N,
//    "bytes":{"in":N,"out":N},"updated":"<UTC ISO-8601>"}
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>

namespace wstunnel {

inline constexpr const char* kStatusDir = "/var/lib/sc/wstunnel";
inline constexpr const char* kStatusFile = "/var/lib/sc/wstunnel/status.json";

struct Status {
  std::string state = "down";  ///< "up", "down" or "stopped" (by SIGTERM)
  std::int64_t since = 0;      ///< when state last changed (seconds since the epoch)
  std::string last_error;      ///< "" when none yet
  std::int64_t last_error_at = 0;
  long pid = 0;
  std::string mode;    ///< "server" or "client"
  std::string listen;  ///< HOST:PORT listened on
  std::string peer;    ///< server: the target; client: the server URL
  std::uint64_t active = 0, total = 0, failed = 0, accept_errors = 0;
  std::uint64_t bytes_in = 0, bytes_out = 0;  ///< in: from the websocket side
  std::int64_t updated = 0;                   ///< last written
  /// What the tunnel is, for people: "LISTEN -> PEER".
  std::string target() const { return listen + " -> " + peer; }
};

std::string to_json(const Status& s);
/// nullopt (and *err) when `text` is not such a document.
std::optional<Status> from_json(const std::string& text, std::string* err);

/// One line for people: "up since ... (N active, N total; last error: ...)".
std::string describe(const Status& s, bool running);

}  // namespace wstunnel
