#include "ui/output.hpp"

#include <unistd.h>

#include <cerrno>

#include "sc/plugin.h"

namespace sc {

void write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t w = ::write(fd, s.data(), s.size());
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    s.remove_prefix(static_cast<size_t>(w));
  }
}

const char* to_string(ActionState s) {
  switch (s) {
    case ActionState::ok: return "ok";
    case ActionState::changed: return "changed";
    case ActionState::planned: return "planned";
    case ActionState::recorded: return "recorded";
    case ActionState::failed: return "failed";
  }
  return "failed";
}

void ActionSummary::add(ActionState s) {
  switch (s) {
    case ActionState::ok: ++ok; break;
    case ActionState::changed: ++changed; break;
    case ActionState::planned: ++planned; break;
    case ActionState::recorded: ++recorded; break;
    case ActionState::failed: ++failed; break;
  }
}

nlohmann::json ActionSummary::to_json() const {
  return {{"ok", ok}, {"changed", changed}, {"planned", planned}, {"recorded", recorded}, {"failed", failed}};
}

std::string ActionSummary::text() const {
  std::string s;
  auto part = [&](int n, const char* what) {
    if (n == 0) return;
    if (!s.empty()) s += ", ";
    s += std::to_string(n) + " " + what;
  };
  part(changed, "changed");
  part(planned, "would change");
  part(recorded, "recorded (not run under --root)");
  part(failed, "failed");
  if (s.empty() || ok) {
    if (!s.empty()) s += ", ";
    s += std::to_string(ok) + " ok";
  }
  return s;
}

Output::Output(bool json, bool verbose) : json_(json), verbose_(verbose) {}

void Output::text(std::string_view s) {
  if (!json_) write_all(STDOUT_FILENO, s);
}

void Output::log(int level, std::string_view module, std::string_view message) {
  static const char* const kLevels[] = {"error", "warning", "info", "debug"};
  if (level < SC_LOG_ERROR || level > SC_LOG_DEBUG) level = SC_LOG_INFO;
  if (json_)
    log_.push_back({{"level", kLevels[level]}, {"module", std::string(module)}, {"message", std::string(message)}});
  if (level == SC_LOG_DEBUG && !verbose_) return;
  std::string line = "sc: ";
  if (!module.empty()) line += std::string(module) + ": ";
  if (level != SC_LOG_INFO) line += std::string(kLevels[level]) + ": ";
  line += message;
  if (line.empty() || line.back() != '\n') line += '\n';
  write_all(STDERR_FILENO, line);
}

void Output::action(const Action& a) {
  summary_.add(a.state);
  nlohmann::json j = {{"kind", a.kind}, {"target", a.target}, {"state", to_string(a.state)}};
  if (!a.detail.empty()) j["detail"] = a.detail;
  if (!a.diff.empty()) j["diff"] = a.diff;
  actions_.push_back(std::move(j));
  if (json_) return;
  if (a.state == ActionState::ok && !verbose_) return;
  const char* label = "";
  switch (a.state) {
    case ActionState::ok: label = "ok"; break;
    case ActionState::changed: label = a.kind == "run" ? "ran" : "changed"; break;
    case ActionState::planned: label = a.kind == "run" ? "would run" : "would change"; break;
    case ActionState::recorded: label = "not run"; break;
    case ActionState::failed: label = "FAILED"; break;
  }
  // "changed: write /etc/hostname (created)", "ran: systemctl daemon-reload"
  std::string line = std::string(label) + ": " + (a.kind == "run" ? "" : a.kind + " ") + a.target;
  if (!a.detail.empty() && a.detail != label) line += " (" + a.detail + ")";
  line += '\n';
  if (!a.diff.empty()) {
    line += a.diff;
    if (line.back() != '\n') line += '\n';
  }
  write_all(STDOUT_FILENO, line);
}

void Output::emit_document(const nlohmann::json& doc) {
  write_all(STDOUT_FILENO, doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

}  // namespace sc
