#include "commands/status_view.hpp"

#include <algorithm>

#include "base/text.hpp"

namespace sc {

using json = nlohmann::json;

namespace {

int rank(const std::string& level) {
  return level == "error" ? 0 : level == "warning" ? 1 : 2;
}

json problem(const std::string& level, const std::string& module, const std::string& what, const std::string& fix) {
  return {{"level", level}, {"module", module}, {"what", what}, {"fix", fix}};
}

std::string text_of(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/// A text of the document as the terminal may show it: control characters
/// and bytes that are not UTF-8 escaped (a module's text could hold a
/// setting's value).
std::string shown(const json& j, const char* key) {
  return printable(text_of(j, key));
}

}  // namespace

json assemble_status(const std::string& host, const std::string& version, long long now,
                     const std::vector<ModuleReport>& modules, const std::vector<MissingSetting>& missing) {
  json problems = json::array();
  json mods = json::array();
  for (const auto& m : modules) {
    json row = {{"name", m.name},
                {"version", m.version},
                {"ready", m.ready < 0 ? json(nullptr) : json(m.ready == 1)},
                {"why", m.why},
                {"status", m.status.is_object() ? m.status : json(nullptr)},
                {"text", m.status_text},
                {"loadable", !m.unavailable}};
    mods.push_back(row);
    if (m.unavailable) {
      problems.push_back(problem("error", m.name, "the module cannot be loaded: " + m.why,
                                 "sc plugins (says why; reinstall the module's package)"));
      continue;
    }
    if (!m.status_error.empty()) {
      problems.push_back(problem("warning", m.name, "its status could not be read: " + m.status_error, ""));
      continue;
    }
    if (m.status.is_null()) continue;
    if (!m.status.is_object()) {
      problems.push_back(problem("warning", m.name, "its status hook answered something else than a JSON object", ""));
      continue;
    }
    auto list = m.status.find("problems");
    if (list == m.status.end() || !list->is_array()) continue;
    for (const auto& p : *list) {
      if (!p.is_object()) continue;
      std::string level = text_of(p, "level");
      if (level != "error" && level != "warning") level = "warning";
      const std::string what = text_of(p, "what");
      if (what.empty()) continue;
      problems.push_back(problem(level, m.name, what, text_of(p, "fix")));
    }
  }
  json lacking = json::array();
  for (const auto& s : missing) {
    const std::string fix = "sc settings set " + s.name + " VALUE";
    lacking.push_back({{"module", s.module}, {"name", s.name}, {"summary", s.summary}, {"fix", fix}});
    problems.push_back(problem("warning", s.module,
                               s.name + " is not set" + (s.summary.empty() ? std::string() : " (" + s.summary + ")") +
                                   ": a command that needs it would ask for it, and fail where nobody can answer "
                                   "(cron, boot)",
                               fix));
  }
  std::stable_sort(problems.begin(), problems.end(), [](const json& a, const json& b) {
    return rank(a["level"].get<std::string>()) < rank(b["level"].get<std::string>());
  });
  return {
      {"host", host},    {"version", version},         {"time", now}, {"ok", problems.empty()}, {"problems", problems},
      {"modules", mods}, {"settings_missing", lacking}};
}

std::string status_text(const json& status, bool colour) {
  auto paint = [colour](const char* code, const std::string& s) {
    return colour ? std::string("\033[") + code + "m" + s + "\033[0m" : s;
  };
  std::string out;
  const json& problems = status["problems"];
  const std::string head = shown(status, "host") + " (sc " + shown(status, "version") + "): ";
  if (problems.empty()) {
    out += head + paint("32", "all is fine") + "\n";
  } else {
    size_t errors = 0;
    for (const auto& p : problems) errors += p["level"] == "error";
    const size_t warnings = problems.size() - errors;
    std::string count;
    if (errors) count += std::to_string(errors) + (errors == 1 ? " error" : " errors");
    if (warnings)
      count += (count.empty() ? "" : ", ") + std::to_string(warnings) + (warnings == 1 ? " warning" : " warnings");
    out += head + paint(errors ? "1;31" : "33", count) + "\n";
    for (const auto& p : problems) {
      const bool error = p["level"] == "error";
      out += "  " + paint(error ? "1;31" : "33", error ? "ERROR  " : "WARN   ") +
             (shown(p, "module").empty() ? std::string() : shown(p, "module") + ": ") + shown(p, "what") + "\n";
      const std::string fix = shown(p, "fix");
      if (!fix.empty()) out += "         fix: " + paint("1", fix) + "\n";
    }
  }
  std::string ready, not_ready, no_check, broken;
  for (const auto& m : status["modules"]) {
    const std::string name = shown(m, "name");
    if (m.contains("loadable") && !m["loadable"].get<bool>())
      broken += (broken.empty() ? "" : " ") + name;
    else if (m["ready"].is_null())
      no_check += (no_check.empty() ? "" : " ") + name;
    else if (m["ready"].get<bool>())
      ready += (ready.empty() ? "" : " ") + name;
    else
      not_ready += (not_ready.empty() ? "" : " ") + name;
  }
  out += "modules ready:        " + (ready.empty() ? std::string("none") : ready) + "\n";
  if (!not_ready.empty()) out += "modules not set up:   " + not_ready + "\n";
  if (!no_check.empty()) out += "modules (no check):   " + no_check + "\n";
  if (!broken.empty()) out += "modules not loadable: " + broken + "\n";
  // What each module's hook printed, a line each, under its name.
  for (const auto& m : status["modules"]) {
    const std::string text = text_of(m, "text");  // each line made printable below
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      if (end > start) out += shown(m, "name") + ": " + printable(text.substr(start, end - start)) + "\n";
      start = end + 1;
    }
  }
  return out;
}

}  // namespace sc
