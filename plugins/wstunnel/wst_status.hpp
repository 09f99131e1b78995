// The daemon's state as a small JSON file (/var/lib/sc/wstunnel/status.json),
// the same shape as the other tunnels' (lifeline, portforward) so that
// `sc status` can show them alike:
//   {"state":"up"|"down","since":"<UTC ISO-8601>","last_error":"...","pid":N,
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
  std::string state = "down";  ///< "up" or "down"
  std::string since;           ///< when state last changed
  std::string last_error;      ///< "" when none yet
  long pid = 0;
  std::string mode;    ///< "server" or "client"
  std::string listen;  ///< HOST:PORT listened on
  std::string peer;    ///< server: the target; client: the server URL
  std::uint64_t active = 0, total = 0, failed = 0, accept_errors = 0;
  std::uint64_t bytes_in = 0, bytes_out = 0;  ///< in: from the websocket side
  std::string updated;
};

/// "2026-12-02T14:33:45Z"
std::string iso8601(std::time_t t);

std::string to_json(const Status& s);
/// nullopt (and *err) when `text` is not such a document.
std::optional<Status> from_json(const std::string& text, std::string* err);

/// Writes `text` to `path` atomically (temporary file in the same
/// directory, fsync, rename), mode 0644, creating the directory (0755).
/// False with *err on failure.
bool write_atomically(const std::string& path, const std::string& text, std::string* err);

/// One line for people: "up since ... (N active, N total; last error: ...)".
std::string describe(const Status& s, bool running);

}  // namespace wstunnel
