// sshlink's pure logic: peer names as settings keys, the per-peer speed
// limits (SSHLINK_SPEEDLIMITS), the exclusion list, `HOST:/DIR` sources,
// `MODULE/REGEX` import specs, file lists and the settings text of
// getsettings. No host services here: tested directly by plugin_tests.
#pragma once

#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace sshlink {

/// True for a peer name as `sc` accepts it (host, user@host, host:port,
/// [v6]:port, ssh config alias): what may become a key of the speed list.
bool valid_peer(std::string_view peer);

/// The host alone: "user@host:port" -> "host", "[::1]:22" -> "::1".
std::string host_part(std::string_view peer);

/// One bandwidth limit.
struct SpeedLimit {
  std::string peer;
  unsigned kbps = 0;
};

/// Reads SSHLINK_SPEEDLIMITS: items separated by white space, each
/// PEER=KBPS, or HOST:KBPS as the original tool wrote them. Malformed items
/// are skipped and reported in *bad (when given).
std::vector<SpeedLimit> parse_speed_limits(std::string_view text, std::vector<std::string>* bad = nullptr);
/// The setting's text: "PEER=KBPS" items separated by single spaces.
std::string format_speed_limits(const std::vector<SpeedLimit>& limits);
/// The limit for `peer`: an entry for the very name, else one for its host.
std::optional<unsigned> speed_for(const std::vector<SpeedLimit>& limits, std::string_view peer);
/// Sets (replacing an entry for the same name) or, with kbps 0, removes.
/// Returns true when the list changed.
bool set_speed(std::vector<SpeedLimit>* limits, const std::string& peer, unsigned kbps);

/// Parses a KBPS argument: 1 to 10,000,000.
bool parse_kbps(std::string_view text, unsigned* kbps);

/// The exclusion list of copies from peers (rsync patterns), as the
/// original tool's: caches, locks, trash, editor leftovers, histories...
const std::vector<std::string>& exclude_patterns();

/// Splits getfiles' first argument "PEER" or "PEER:/DIR" (DIR absolute).
struct Source {
  std::string peer;
  std::string dir = "/";
};
bool split_source(std::string_view text, Source* out, std::string* err);

/// One argument of importsettings: MODULE or MODULE/REGEX (an extended
/// regular expression that must match a whole setting name, as grep -xE).
struct ImportSpec {
  std::string module;
  std::string pattern;  ///< empty: every setting of the module
  std::optional<std::regex> regex;
  bool matches(const std::string& name) const;
};
bool parse_import_spec(std::string_view text, ImportSpec* out, std::string* err);

/// True for a setting name (upper case, digits, '_', starting with a letter).
bool valid_setting_name(std::string_view name);

/// A file list given on stdin: one path per line, empty lines skipped, a
/// final newline optional; "\r\n" line ends accepted.
std::vector<std::string> parse_file_list(std::string_view text);

/// The settings of a peer as a settings file (format 1 of /etc/sc): the
/// marker, a comment naming the peer, then NAME="JSON string" lines sorted
/// by name. `values` holds name/value pairs.
std::string settings_file_text(const std::string& peer, const std::vector<std::pair<std::string, std::string>>& values);

}  // namespace sshlink
