#include "health.hpp"

#include <algorithm>

#include "common/shell_words.hpp"

namespace backup {

using json = nlohmann::json;

std::int64_t period_seconds(std::string_view period) {
  if (period == "hourly") return 3600;
  if (period == "daily") return 86400;
  if (period == "weekly") return 7 * 86400;
  if (period == "monthly") return 31 * 86400;
  return 0;
}

std::string start_command(const std::string& entry, const std::string& period) {
  return plugin_common::shell_words::command({"sc", "backup", "start", entry, period});
}

std::string human_age(std::int64_t s) {
  if (s < 0) s = 0;
  if (s < 120) return std::to_string(s) + " s";
  if (s < 2 * 3600) return std::to_string(s / 60) + " min";
  if (s < 2 * 86400) return std::to_string(s / 3600) + " h";
  return std::to_string(s / 86400) + " days";
}

std::vector<Problem> entry_problems(const EntryHealth& e, std::time_t now) {
  std::vector<Problem> out;
  const std::string which = e.period + " backup of " + e.entry;
  const std::string fix = start_command(e.entry, e.period);
  if (e.last_run && !e.last_run->ok)
    out.push_back({"error",
                   which + ": the last run (" + human_time(e.last_run->finished) + ") failed: " +
                       (e.last_run->error.empty() ? std::string("no reason recorded") : e.last_run->error),
                   fix});
  const std::int64_t period = period_seconds(e.period);
  if (!e.last_success) {
    out.push_back({"error", which + ": no successful snapshot yet", fix});
  } else if (period > 0) {
    const std::int64_t age = static_cast<std::int64_t>(now) - static_cast<std::int64_t>(e.last_success->finished);
    if (age > 2 * period)
      out.push_back({"error",
                     which + ": the last successful snapshot is " + human_age(age) + " old (" +
                         human_time(e.last_success->finished) + "), more than twice the period (" +
                         human_age(2 * period) + ")",
                     fix});
  }
  return out;
}

json history_item(const RunRecord& r) {
  return {{"snapshot", r.snapshot},
          {"started", r.started},
          {"finished", r.finished},
          {"size", r.bytes},
          {"new_bytes", r.new_bytes},
          {"files", r.files},
          {"duration_s", std::max<std::int64_t>(0, static_cast<std::int64_t>(r.finished - r.started))}};
}

json entry_facts(const EntryHealth& e, const std::vector<RunRecord>& history, std::time_t now) {
  json j = {{"entry", e.entry}, {"period", e.period}};
  j["last_run"] = e.last_run
                      ? json{{"finished", e.last_run->finished}, {"ok", e.last_run->ok}, {"error", e.last_run->error}}
                      : json(nullptr);
  j["last_success"] = e.last_success ? json(e.last_success->finished) : json(nullptr);
  j["age_s"] = e.last_success ? json(std::max<std::int64_t>(0, static_cast<std::int64_t>(now) -
                                                                   static_cast<std::int64_t>(e.last_success->finished)))
                              : json(nullptr);
  j["history"] = json::array();
  for (const auto& r : history) j["history"].push_back(history_item(r));
  return j;
}

}  // namespace backup
