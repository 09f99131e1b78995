// Backup entries ("HOST" or "HOST:/PATH") and their place under BACKUP_DIR.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace backup {

inline constexpr const char* kPeriods[] = {"hourly", "daily", "weekly"};

/// One thing to back up: a whole sc host (path empty) or one path of a host.
struct Entry {
  std::string host;  ///< as the admin wrote it: host, user@host, host:port, an ssh alias
  std::string path;  ///< absolute path on the host, or empty for the whole host
  bool whole_host() const { return path.empty(); }
  /// "HOST" or "HOST:/PATH", as typed.
  std::string text() const { return path.empty() ? host : host + ":" + path; }
  bool operator==(const Entry& o) const { return host == o.host && path == o.path; }
};

/// Parses "HOST[:/PATH]" (the path starts at the first ":/"). Refuses
/// spaces, control characters, "..", a host starting with '-', and any
/// character that cannot be part of a host name, a user or a port.
std::optional<Entry> parse_entry(std::string_view text, std::string* why);

bool valid_period(std::string_view period);

/// A file-name-safe form of any text: bytes outside [A-Za-z0-9._-] become %XX.
std::string encode_name(std::string_view text);
std::string decode_name(std::string_view name);

/// Directory of the host under BACKUP_DIR (one lock per host lives there).
std::string host_dir(const std::string& backup_dir, const Entry& e);
/// Directory of the entry's snapshots: HOST_DIR/host, or HOST_DIR/fs-<encoded path>.
std::string entry_dir(const std::string& backup_dir, const Entry& e);

/// A BACKUP_LIST item "PERIOD:ENTRY".
struct Scheduled {
  std::string period;
  Entry entry;
};
/// Parses the BACKUP_LIST setting (whitespace-separated PERIOD:ENTRY items);
/// malformed items are reported in *bad and skipped.
std::vector<Scheduled> parse_list(std::string_view list, std::vector<std::string>* bad);
std::string format_list(const std::vector<Scheduled>& items);

}  // namespace backup
