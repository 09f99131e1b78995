// Builders of `sc master status --all` results (issue 19's CONTRACTS.md,
// sections 1, 2 and 4) for the HTML report's tests.
#pragma once

#include <cstdint>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace report_fixture {

using nlohmann::json;

inline constexpr std::int64_t kNow = 1796292000;  // 2026-12-03 10:00:00 UTC
inline constexpr double kGiB = 1024.0 * 1024 * 1024;

/// A backup history of `n` daily snapshots ending a day before kNow, with
/// sizes, new bytes and durations that differ from one to the next.
inline json daily_history(int n, const std::string& prefix = "") {
  json h = json::array();
  for (int i = 0; i < n; ++i) {
    const std::int64_t started = kNow - (n - i) * 86400 - 3600 + i * 37;
    char name[48];
    std::time_t t = static_cast<std::time_t>(started);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(name, sizeof name, "%Y-%m-%dT%H-%M-%SZ", &tm);
    const auto duration = 60 + 17 * ((i * 7) % 11);
    h.push_back({{"snapshot", prefix + name},
                 {"started", started},
                 {"finished", started + duration},
                 {"size", static_cast<std::int64_t>((40 + 0.7 * i) * kGiB)},
                 {"new_bytes", static_cast<std::int64_t>((0.2 + 0.1 * ((i * 5) % 7)) * kGiB)},
                 {"files", 180000 + 250 * i},
                 {"duration_s", duration}});
  }
  return h;
}

/// A backup entry's facts with that history (the last snapshot its last
/// success).
inline json backup_entry(const std::string& entry, const json& history) {
  json e = {{"entry", entry}, {"period", "daily"}, {"history", history}};
  if (history.empty()) {
    e["last_run"] = nullptr;
    e["last_success"] = nullptr;
    e["age_s"] = nullptr;
  } else {
    const auto finished = history.back()["finished"].get<std::int64_t>();
    e["last_run"] = {{"finished", finished}, {"ok", true}, {"error", ""}};
    e["last_success"] = finished;
    e["age_s"] = kNow - finished;
  }
  return e;
}

/// A module entry of a host's status (section 2) with its hook result.
inline json module(const std::string& name, const json& status) {
  return {{"name", name}, {"version", "1.0.0"}, {"ready", true}, {"why", ""}, {"status", status}};
}

/// A host's `sc --json status --local` result.
inline json host_status(const std::string& host, const json& problems, const json& modules,
                        const std::string& version = "1.2.0") {
  return {{"host", host},
          {"version", version},
          {"time", kNow - 1},
          {"ok", problems.empty()},
          {"problems", problems},
          {"modules", modules},
          {"settings_missing", json::array()}};
}

/// One row of the fan-out's result (section 4).
inline json host(const std::string& peer, const std::string& role, const std::string& state, const json& status,
                 const std::string& error = "") {
  json worst = nullptr;
  if (status.is_object() && !status["problems"].empty()) worst = status["problems"][0];
  return {{"peer", peer},
          {"role", role},
          {"state", state},
          {"worst", worst},
          {"problems", status.is_object() ? status["problems"].size() : 1},
          {"elapsed_ms", 250},
          {"error", error},
          {"status", status}};
}

/// The whole result around `hosts`.
inline json cluster(const json& hosts, const std::string& master = "m") {
  bool ok = true;
  for (const auto& h : hosts) ok = ok && (h["state"] == "ok" || h["state"] == "away");
  return {{"master", master},  {"time", kNow}, {"version", "1.2.0"}, {"deadline_s", 10},
          {"concurrency", 16}, {"ok", ok},     {"hosts", hosts}};
}

}  // namespace report_fixture
