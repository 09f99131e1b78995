// Program runs, secrets and action bookkeeping of the executor (the file
// actions are in executor.cpp).
#include <algorithm>

#include "base/text.hpp"
#include "engine/executor.hpp"
#include "engine/rooted_path.hpp"

namespace sc {
namespace {

constexpr const char* kMask = "********";

}  // namespace

bool Executor::run(const RunSpec& spec, ProcessResult* result, bool* ran, std::string* err) {
  ProcessResult local;
  ProcessResult& res = result ? *result : local;
  res = ProcessResult{};
  if (ran) *ran = false;
  const auto& argv = spec.process.argv;
  std::string shown;
  if (!argv.empty()) {
    shown =
        spec.secret_args ? format_argv({argv[0]}) + (argv.size() > 1 ? " (arguments hidden)" : "") : format_argv(argv);
  }
  if (argv.empty() || argv[0].empty()) {
    res.error = "empty command";
    if (!spec.readonly) record({"run", shown, ActionState::failed, res.error, ""});
    if (err) *err = "cannot run a program: empty command";
    return false;
  }
  if (!spec.readonly) {
    if (opts_.dry_run) {
      record({"run", shown, ActionState::planned, "would run", ""});
      return true;
    }
    if (spec.live && !is_host_root(opts_.root)) {
      record({"run", shown, ActionState::recorded, "acts on the running system: not run under --root", ""});
      return true;
    }
  }
  res = run_process(spec.process);
  if (ran) *ran = res.started;
  if (res.ok()) {
    if (!spec.readonly) record({"run", shown, ActionState::changed, "", ""});
    return true;
  }
  std::string message = res.started ? argv[0] + ": " + res.describe() : res.error;
  if (res.started) {
    message = with_excerpt(message, res.err);
  }
  if (!spec.readonly) record({"run", shown, ActionState::failed, res.describe(), ""});
  if (err) *err = redact(message);
  return false;
}

void Executor::add_secret(std::string value) {
  // A short secret is not searched for in free text: masking every "e" of
  // a report would hide nothing and tell the secret. Where it is a value
  // (a setting's change, a secret file, secret arguments) it is masked as
  // such, whatever its length.
  if (value.size() < kMinSearchedSecret) return;
  if (std::find(secrets_.begin(), secrets_.end(), value) != secrets_.end()) return;
  secrets_.push_back(std::move(value));
  std::stable_sort(secrets_.begin(), secrets_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Executor::redact(std::string_view text) const {
  if (secrets_.empty()) return std::string(text);
  // One pass, longest secret first at each position, so that a secret
  // containing another is masked whole and masks are never re-scanned.
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    bool masked = false;
    for (const auto& s : secrets_) {
      if (text.compare(i, s.size(), s) == 0) {
        out += kMask;
        i += s.size();
        masked = true;
        break;
      }
    }
    if (!masked) out += text[i++];
  }
  return out;
}

void Executor::record(Action action) {
  action.target = redact(action.target);
  action.detail = redact(action.detail);
  action.diff = redact(action.diff);
  actions_.push_back(std::move(action));
  if (listener_) listener_(actions_.back());
}

bool Executor::fail(const char* kind, const std::string& path, const std::string& reason, std::string* err) {
  std::string verb = kind;
  if (verb == "mkdir")
    verb = "create directory";
  else if (verb == "symlink")
    verb = "create symlink";
  else if (verb == "attr")
    verb = "set attributes of";
  record({kind, path, ActionState::failed, reason, ""});
  if (err) *err = redact("cannot " + verb + " " + path + ": " + reason);
  return false;
}

bool Executor::fail_message(const char* kind, const std::string& target, const std::string& message, std::string* err) {
  record({kind, target, ActionState::failed, message, ""});
  if (err) *err = redact(message);
  return false;
}

}  // namespace sc
