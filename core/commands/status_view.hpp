// `sc status`: the pure part. What each module said (ready or not, its
// `status` hook's problems and facts) and the settings it lacks, made into
// the one status document of this host, and that document as text.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sc {

/// What one module said, as `sc status` collected it.
struct ModuleReport {
  std::string name;
  std::string version;
  /// -1: the module has no `ready` command; 0: not ready; 1: ready.
  int ready = -1;
  std::string why;           ///< why it is not ready, or why it could not be asked
  bool unavailable = false;  ///< its library could not be loaded
  nlohmann::json status;     ///< its `status` hook's result, or null
  std::string status_text;   ///< what that hook printed
  std::string status_error;  ///< the hook failed: why
};

/// A setting of a ready module that has a question and no default, unset.
struct MissingSetting {
  std::string module;
  std::string name;
  std::string summary;
};

/// The status document (the `--json` result of `sc status`): host,
/// version, time, ok, problems (errors first, then warnings, each with its
/// module and fix), modules, settings_missing. A module whose hook fails
/// or answers something else than an object is itself a problem.
nlohmann::json assemble_status(const std::string& host, const std::string& version, long long now,
                               const std::vector<ModuleReport>& modules, const std::vector<MissingSetting>& missing);

/// The document as text: problems first, each with its fix, then the
/// modules (ready, not set up), then what each module's hook printed.
/// `colour`: ANSI colours (a terminal, NO_COLOR unset).
std::string status_text(const nlohmann::json& status, bool colour);

}  // namespace sc
