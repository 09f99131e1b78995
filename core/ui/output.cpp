#include "ui/output.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/fd.hpp"
#include "base/text.hpp"
#include "sc/plugin.h"

namespace sc {

using Json = nlohmann::json;

Json Frame::to_json() const {
  Json j = {{"status", status}, {"output", output}, {"result", result ? *result : Json(nullptr)}};
  j["error"] = error.empty() ? Json(nullptr) : Json(error);
  return j;
}

const char* to_string(ActionState s) {
  switch (s) {
    case ActionState::ok:
      return "ok";
    case ActionState::changed:
      return "changed";
    case ActionState::planned:
      return "planned";
    case ActionState::recorded:
      return "recorded";
    case ActionState::failed:
      return "failed";
  }
  return "failed";
}

void ActionSummary::add(ActionState s) {
  switch (s) {
    case ActionState::ok:
      ++ok;
      break;
    case ActionState::changed:
      ++changed;
      break;
    case ActionState::planned:
      ++planned;
      break;
    case ActionState::recorded:
      ++recorded;
      break;
    case ActionState::failed:
      ++failed;
      break;
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
  if (!json_) out(s);
}

void Output::out(std::string_view s) {
  // A failed write of a command's output (a full disk, a closed pipe) is a
  // failure of the command: remembered, reported by finish().
  if (!write_all(STDOUT_FILENO, s) && !stdout_errno_) stdout_errno_ = errno ? errno : EIO;
}

void Output::log(int level, std::string_view module, std::string_view message) {
  static const char* const kLevels[] = {"error", "warning", "info", "debug"};
  if (level < SC_LOG_ERROR || level > SC_LOG_DEBUG) level = SC_LOG_INFO;
  if (log_sink_) {
    log_sink_->push_back({level, std::string(module), std::string(message)});
    return;
  }
  if (json_)
    log_.push_back({{"level", kLevels[level]}, {"module", std::string(module)}, {"message", std::string(message)}});
  if (level == SC_LOG_DEBUG && !verbose_) return;
  std::string line = "sc: ";
  if (!module.empty()) line += printable(module) + ": ";
  if (level != SC_LOG_INFO) line += std::string(kLevels[level]) + ": ";
  line += printable(message, Newlines::indent);
  if (line.empty() || line.back() != '\n') line += '\n';
  write_all(STDERR_FILENO, line);
}

void Output::action(const Action& a) {
  summary_.add(a.state);
  Json j = {{"kind", a.kind}, {"target", a.target}, {"state", to_string(a.state)}};
  if (!a.detail.empty()) j["detail"] = a.detail;
  if (!a.diff.empty()) j["diff"] = a.diff;
  actions_.push_back(std::move(j));
  if (json_) return;
  if (a.state == ActionState::ok && !verbose_) return;
  const char* label = "";
  switch (a.state) {
    case ActionState::ok:
      label = "ok";
      break;
    case ActionState::changed:
      label = a.kind == "run" ? "ran" : "changed";
      break;
    case ActionState::planned:
      label = a.kind == "run" ? "would run" : "would change";
      break;
    case ActionState::recorded:
      label = "not run";
      break;
    case ActionState::failed:
      label = "FAILED";
      break;
  }
  // "changed: write /etc/hostname (created)", "ran: systemctl daemon-reload"
  // Targets and details hold what users and peers typed: one line each.
  std::string line = std::string(label) + ": " + (a.kind == "run" ? "" : a.kind + " ") + printable(a.target);
  if (!a.detail.empty() && a.detail != label) line += " (" + printable(a.detail) + ")";
  line += '\n';
  if (!a.diff.empty()) {
    line += printable(a.diff, Newlines::keep);
    if (line.back() != '\n') line += '\n';
  }
  write_all(STDERR_FILENO, line);
}

void Output::emit_document(const nlohmann::json& doc) {
  out(doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

int Output::check_stdout(int status) {
  if (!stdout_errno_) return status;
  log(SC_LOG_ERROR, "",
      std::string("cannot write the output to stdout: ") + std::strerror(stdout_errno_) +
          (stdout_errno_ == ENOSPC  ? " (the disk is full)"
           : stdout_errno_ == EPIPE ? " (the reader went away)"
                                    : ""));
  return status == kExitOk ? kExitFailure : status;
}

}  // namespace sc

namespace sc {

namespace {

// A result shown as text: a string as is, a list of strings one per line,
// anything else as indented JSON.
std::string result_text(const Json& r) {
  std::string text;
  if (r.is_string())
    text = r.get<std::string>() + "\n";
  else if (r.is_array() && std::all_of(r.begin(), r.end(), [](const Json& e) { return e.is_string(); }))
    for (const auto& e : r) text += e.get<std::string>() + "\n";
  else if (!r.is_null())
    text = r.dump(2) + "\n";
  return text;
}

}  // namespace

int Output::finish(const Frame& frame, const RunFacts& facts) {
  if (json_) {
    Json doc = frame.to_json();
    doc["sc"] = facts.version;
    doc["module"] = frame.module;
    doc["command"] = frame.command;
    doc["dry_run"] = facts.dry_run;
    doc["root"] = facts.root;
    doc["actions"] = actions_;
    doc["summary"] = summary_.to_json();
    doc["log"] = log_;
    emit_document(doc);
    return check_stdout(frame.status);
  }
  if (!frame.output.empty()) out(frame.output);
  // A command that printed nothing shows its result.
  if (frame.result && !frame.printed && frame.output.empty()) out(result_text(*frame.result));
  if (summary_.total() > 0 && frame.status != kExitUsage) {
    std::string label = "sc " + printable(frame.module) + (frame.command.empty() ? "" : " " + printable(frame.command));
    write_all(STDERR_FILENO, label + (facts.dry_run ? " (dry run)" : "") + ": " + summary_.text() + "\n");
  }
  if (frame.status != kExitOk && !frame.error.empty()) log(SC_LOG_ERROR, "", frame.error);
  return check_stdout(frame.status);
}

}  // namespace sc
