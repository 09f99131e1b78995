// `sc status`: is everything fine on this host? Every installed module's
// readiness, what the `status` hook of each ready module reports (its
// problems with their fixes, its facts), and the settings a ready module
// still lacks; exit status 0 when there is no problem, 1 otherwise (for
// cron and monitoring). `sc status --all ...` is the whole cluster's view,
// which the master module builds (`sc master status --all ...`).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <set>

#include "base/version.hpp"
#include "commands/commands.hpp"
#include "commands/status_view.hpp"

namespace sc {

using json = nlohmann::json;

namespace {

constexpr const char* kUsage =
    "usage: sc status [--local] | sc status --all [--hosts A,B] [--html FILE] [--deadline SECONDS] "
    "[--concurrency N]";

/// This host's name: the FQDN setting (hostconf) when set, else
/// /etc/hostname of the target (under --root, the tree's).
std::string host_name(Session& s) {
  std::string err;
  if (auto fqdn = s.settings().value("FQDN", &err); fqdn && !fqdn->empty()) return *fqdn;
  std::string text;
  if (s.executor().read_file("/etc/hostname", &text, &err)) {
    text = text.substr(0, text.find('\n'));
    if (!text.empty()) return text;
  }
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

/// Runs `module command args` captured, its diagnostics kept in `logs`
/// rather than shown (the report says them in its own words).
Frame run_captured(Session& s, const std::string& module, const std::string& command,
                   const std::vector<std::string>& args, int* status, std::vector<LogEntry>* logs) {
  Frame f;
  f.module = module;
  f.command = command;
  f.capture = true;
  s.output().divert_logs(logs);
  *status = s.run(&f, args);
  s.output().divert_logs(nullptr);
  return f;
}

/// Why a command failed: its error, else the messages it logged (a `ready`
/// check says why there), else the last line it printed.
std::string reason(const Frame& f, const std::vector<LogEntry>& logs) {
  if (!f.error.empty()) return f.error;
  std::string why;
  for (const auto& l : logs)
    if (l.level <= SC_LOG_INFO) why += (why.empty() ? "" : "; ") + l.message;
  if (!why.empty()) return why;
  std::string text = f.output;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text.substr(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
}

ModuleReport report_of(Session& s, const Manifest& m, bool local) {
  ModuleReport r;
  r.name = m.name;
  r.version = m.version;
  int rc = kExitOk;
  std::vector<LogEntry> logs;
  if (m.command("ready")) {
    Frame f = run_captured(s, m.name, "ready", {}, &rc, &logs);
    if (rc == kExitUnavailable) {
      r.unavailable = true;
      r.why = f.error;
      return r;
    }
    r.ready = rc == kExitOk ? 1 : 0;
    if (rc != kExitOk) r.why = reason(f, logs);
  }
  // Every module declaring the hook is asked, ready or not: a module not
  // in use answers no problem, and one that should be in place says so
  // (the master module: MASTER_MODE set, the role not in place).
  if (!m.has_hook("status")) return r;
  Frame f = run_captured(s, m.name, "status", local ? std::vector<std::string>{"local"} : std::vector<std::string>{},
                         &rc, &logs);
  if (rc == kExitUnavailable) {
    r.unavailable = true;
    r.why = f.error;
    return r;
  }
  r.status_text = f.output;
  // A hook may fail (exit 1: a tunnel down) and still answer its problems:
  // the answer counts; only a hook with no answer is itself a problem.
  if (f.result && f.result->is_object())
    r.status = *f.result;
  else if (rc != kExitOk)
    r.status_error =
        reason(f, logs).empty() ? "the status hook failed (status " + std::to_string(rc) + ")" : reason(f, logs);
  else
    r.status = f.result.value_or(json(nullptr));
  return r;
}

/// Settings with a question and no default that a ready module has not
/// got, but those its hook says it does not use in its present mode.
std::vector<MissingSetting> missing_settings(Session& s, const Manifest& m, const ModuleReport& r) {
  std::vector<MissingSetting> out;
  if (r.ready != 1) return out;
  std::set<std::string> unused;
  if (r.status.is_object() && r.status.contains("unused_settings") && r.status["unused_settings"].is_array())
    for (const auto& n : r.status["unused_settings"])
      if (n.is_string()) unused.insert(n.get<std::string>());
  for (const auto& spec : m.settings) {
    if (spec.prompt.empty() || spec.default_value || unused.count(spec.name)) continue;
    std::string err;
    auto value = s.settings().value(spec.name, &err);
    // Settings that cannot be read (not root: /etc/sc is 0600) are not
    // said to be missing; the modules' checks say what they could not see.
    if (!err.empty() || (value && !value->empty())) continue;
    out.push_back(MissingSetting{m.name, spec.name, spec.summary});
  }
  return out;
}

bool colour_wanted(Session& s) {
  const char* no_colour = std::getenv("NO_COLOR");
  return !s.output().json() && ::isatty(STDOUT_FILENO) && !(no_colour && *no_colour);
}

}  // namespace

int core_status(Session& s, Frame& frame, const std::vector<std::string>& args) {
  bool local = false;
  for (const auto& a : args) {
    if (a == "--all") {
      // The cluster's view is the master module's.
      Frame f;
      f.module = "master";
      f.command = "status";
      f.capture = frame.capture;
      int rc = s.run(&f, args);
      if (rc == kExitUnavailable && f.error.find("not installed") != std::string::npos)
        f.error += " (sc status --all is built by the master module: install synccluster-plugin-master)";
      frame.output += f.output;
      frame.printed = frame.printed || f.printed;
      frame.result = f.result;
      frame.error = f.error;
      return rc;
    }
    if (a == "--local") {
      local = true;
      continue;
    }
    frame.error = "unknown argument \"" + a + "\"; " + kUsage;
    return kExitUsage;
  }
  std::vector<ModuleReport> reports;
  std::vector<MissingSetting> missing;
  std::vector<std::shared_ptr<const Manifest>> manifests;
  for (const auto& e : s.catalog().all()) {
    if (!e.manifest) {
      ModuleReport r;
      r.name = e.name;
      r.unavailable = true;
      r.why = e.error;
      reports.push_back(r);
      continue;
    }
    manifests.push_back(e.manifest);
  }
  std::sort(manifests.begin(), manifests.end(), [](const auto& a, const auto& b) { return a->name < b->name; });
  for (const auto& m : manifests) {
    reports.push_back(report_of(s, *m, local));
    for (auto& ms : missing_settings(s, *m, reports.back())) missing.push_back(std::move(ms));
  }
  const long long now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  json doc = assemble_status(host_name(s), version(), now, reports, missing);
  // The original bash tool still in place: its cron entries and units keep
  // running it beside (or instead of) this sc.
  if (auto left = original_still_installed(s); !left.empty()) {
    doc["problems"].push_back(
        {{"level", "warning"},
         {"module", ""},
         {"what", "the original bash sc is still installed here (" + left.front() +
                      (left.size() > 1 ? " and " + std::to_string(left.size() - 1) + " more" : std::string()) +
                      "): what of it runs from cron or systemd is not this sc"},
         {"fix", "sc migrate"}});
    doc["ok"] = false;
  }
  if (::geteuid() != 0 && s.options().root == "/") {
    // A user sees neither /etc/sc nor most of what the modules check: an
    // "all is fine" would not be worth much.
    doc["problems"].push_back({{"level", "warning"},
                               {"module", ""},
                               {"what", "sc status runs as a user: what only root may read was not checked"},
                               {"fix", "sudo sc status"}});
    doc["ok"] = false;
  }
  frame_print(s, frame, status_text(doc, colour_wanted(s)));
  frame.result = doc;
  if (doc["ok"].get<bool>()) return kExitOk;
  frame.error = std::to_string(doc["problems"].size()) + " problem" + (doc["problems"].size() == 1 ? "" : "s") +
                " (each with its fix above)";
  return kExitFailure;
}

}  // namespace sc
