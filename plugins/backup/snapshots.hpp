// Snapshot naming, rotation and the metadata kept beside each snapshot.
// Pure functions: the module does the I/O through host services.
#pragma once

#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace backup {

/// A snapshot directory name: the UTC start time, sortable and free of ':'
/// ("2026-11-26T08-00-00Z"); an unfinished one ends in ".partial".
std::string snapshot_name(std::time_t t);
inline constexpr const char* kPartialSuffix = ".partial";
std::optional<std::time_t> parse_snapshot_name(const std::string& name);

/// Names of complete snapshots to delete so that `keep` newest remain
/// (partial ones are never in `complete`, so never rotated).
std::vector<std::string> to_rotate(std::vector<std::string> complete, size_t keep);

/// What one run recorded (snapshot/backup.json), also the "last run" of the
/// entry's status.
struct RunRecord {
  std::string entry;
  std::string period;
  std::string snapshot;  ///< directory name, empty when the run failed
  std::time_t started = 0;
  std::time_t finished = 0;
  bool ok = false;
  std::string error;  ///< why it failed
  std::vector<std::string> warnings;
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;      ///< apparent size of the snapshot
  std::uint64_t new_bytes = 0;  ///< bytes not shared with the previous snapshot
  std::vector<std::string> databases;
  nlohmann::json to_json() const;
  static RunRecord from_json(const nlohmann::json& j);
};

/// status.json of an entry: the last run and the last success per period.
struct Status {
  std::map<std::string, RunRecord> last_run;      // by period
  std::map<std::string, RunRecord> last_success;  // by period
  nlohmann::json to_json() const;
  static Status from_json(const nlohmann::json& j);
  void record(const RunRecord& r);
};

/// The role and database of a dump in a backup of the original tool
/// (db/USER:DATABASE.xz): lower-case letters, digits and '_', starting with
/// a letter or '_', at most 63 bytes each. nullopt with *why otherwise.
std::optional<std::pair<std::string, std::string>> original_db_file(std::string_view name, std::string* why);

/// An rsync --exclude pattern matching exactly the absolute path `path` of
/// a transfer rooted at "/" (anchored; wildcard characters escaped).
std::string exact_exclude(std::string_view path);

/// "1.2 GiB", "340 KiB".
std::string human_size(std::uint64_t bytes);
/// "2026-11-26 08:00:00 UTC".
std::string human_time(std::time_t t);

}  // namespace backup
