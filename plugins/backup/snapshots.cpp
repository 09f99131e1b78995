#include "snapshots.hpp"

#include <algorithm>
#include <cstdio>

namespace backup {

using json = nlohmann::json;

std::string snapshot_name(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H-%M-%SZ", &tm);
  return buf;
}

std::optional<std::pair<std::string, std::string>> original_db_file(std::string_view name, std::string* why) {
  auto fail = [&](const std::string& w) -> std::optional<std::pair<std::string, std::string>> {
    if (why) *why = w;
    return std::nullopt;
  };
  auto ident = [](std::string_view s) {
    return !s.empty() && s.size() <= 63 && ((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_') &&
           std::all_of(s.begin(), s.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
  };
  if (name.size() <= 3 || name.substr(name.size() - 3) != ".xz") return fail("its name does not end in .xz");
  std::string_view base = name.substr(0, name.size() - 3);
  const size_t colon = base.find(':');
  if (colon == std::string_view::npos) return fail("its name is not USER:DATABASE.xz");
  std::string_view user = base.substr(0, colon), database = base.substr(colon + 1);
  if (!ident(user) || !ident(database))
    return fail(
        "USER and DATABASE of its name USER:DATABASE.xz must be lower-case letters, digits and '_', "
        "starting with a letter or '_'");
  return std::make_pair(std::string(user), std::string(database));
}

std::string exact_exclude(std::string_view path) {
  const bool wild = path.find_first_of("*?[") != std::string_view::npos;
  std::string out;
  for (char c : path) {
    // rsync reads a backslash as an escape only in a pattern with a wildcard.
    if (wild && (c == '*' || c == '?' || c == '[' || c == '\\')) out += '\\';
    out += c;
  }
  return out;
}

std::optional<std::time_t> parse_snapshot_name(const std::string& name) {
  std::tm tm{};
  int n = 0;
  if (name.size() != 20 ||
      std::sscanf(name.c_str(), "%4d-%2d-%2dT%2d-%2d-%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &n) != 6 ||
      n != 20)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t t = timegm(&tm);
  if (t < 0 || snapshot_name(t) != name) return std::nullopt;
  return t;
}

std::vector<std::string> to_rotate(std::vector<std::string> complete, size_t keep) {
  std::sort(complete.begin(), complete.end());
  if (complete.size() <= keep) return {};
  return std::vector<std::string>(complete.begin(), complete.end() - static_cast<long>(keep));
}

json RunRecord::to_json() const {
  return {{"entry", entry},       {"period", period}, {"snapshot", snapshot},   {"started", started},
          {"finished", finished}, {"ok", ok},         {"error", error},         {"warnings", warnings},
          {"files", files},       {"bytes", bytes},   {"new_bytes", new_bytes}, {"databases", databases}};
}

RunRecord RunRecord::from_json(const json& j) {
  RunRecord r;
  if (!j.is_object()) return r;
  r.entry = j.value("entry", "");
  r.period = j.value("period", "");
  r.snapshot = j.value("snapshot", "");
  r.started = j.value("started", std::time_t{0});
  r.finished = j.value("finished", std::time_t{0});
  r.ok = j.value("ok", false);
  r.error = j.value("error", "");
  r.warnings = j.value("warnings", std::vector<std::string>{});
  r.files = j.value("files", std::uint64_t{0});
  r.bytes = j.value("bytes", std::uint64_t{0});
  r.new_bytes = j.value("new_bytes", std::uint64_t{0});
  r.databases = j.value("databases", std::vector<std::string>{});
  return r;
}

json Status::to_json() const {
  json j = {{"last_run", json::object()}, {"last_success", json::object()}};
  for (const auto& [p, r] : last_run) j["last_run"][p] = r.to_json();
  for (const auto& [p, r] : last_success) j["last_success"][p] = r.to_json();
  return j;
}

Status Status::from_json(const json& j) {
  Status s;
  if (!j.is_object()) return s;
  for (const char* key : {"last_run", "last_success"}) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_object()) continue;
    for (auto e = it->begin(); e != it->end(); ++e)
      (std::string(key) == "last_run" ? s.last_run : s.last_success)[e.key()] = RunRecord::from_json(e.value());
  }
  return s;
}

void Status::record(const RunRecord& r) {
  last_run[r.period] = r;
  if (r.ok) last_success[r.period] = r;
}

std::string human_size(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

std::string human_time(std::time_t t) {
  if (t == 0) return "never";
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

}  // namespace backup
