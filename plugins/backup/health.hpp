// What the `status` hook says of each scheduled backup (sc status, the
// master's fan-out and its HTML report read it): pure functions of the
// records a run leaves (status.json, each snapshot's backup.json) and the
// time, so that every rule is tested without a clock or a backup.
#pragma once

#include <cstdint>
#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status_hook.hpp"
#include "snapshots.hpp"

namespace backup {

/// One problem of the hook's result: level "error" or "warning", what is
/// wrong (one line), the command that fixes it.
using Problem = plugin_common::status_hook::Problem;

/// One scheduled entry and period (a BACKUP_LIST item) with what its
/// status.json says of that period.
struct EntryHealth {
  std::string entry;   ///< "HOST" or "HOST:/PATH", as listed
  std::string period;  ///< hourly, daily, weekly
  std::optional<RunRecord> last_run, last_success;
};

/// The length of a period in seconds: hourly 3600, daily 86400, weekly
/// 604800, monthly 31 days; 0 for any other word (no age is checked).
std::int64_t period_seconds(std::string_view period);

/// The command that takes a snapshot of the entry now:
/// "sc backup start HOST[:/PATH] PERIOD" (words quoted for a shell).
std::string start_command(const std::string& entry, const std::string& period);

/// "3 days", "5 h", "12 min", "40 s": an age for people.
std::string human_age(std::int64_t seconds);

/// The problems of one entry at `now`, errors all: its last run failed
/// (naming the entry, the period, when and the error); it has no success
/// yet; or its last success is older than twice the period. Each fix is
/// start_command().
std::vector<Problem> entry_problems(const EntryHealth& e, std::time_t now);

/// One item of an entry's history, from a snapshot's backup.json:
/// {snapshot, started, finished, size, new_bytes, files, duration_s}.
nlohmann::json history_item(const RunRecord& r);

/// The facts of one entry: {entry, period, last_run: {finished, ok, error}
/// | null, last_success: EPOCH | null, age_s: now - last_success | null,
/// history: [history_item...]} (history as given: oldest first).
nlohmann::json entry_facts(const EntryHealth& e, const std::vector<RunRecord>& history, std::time_t now);

}  // namespace backup
