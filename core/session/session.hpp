// One `sc` run: options, the plugin catalog, loaded plugins, settings, the
// action engine and output. Commands of plugins run through it.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/executor.hpp"
#include "modules/manifest.hpp"
#include "ui/output.hpp"
#include "modules/plugin_catalog.hpp"
#include "modules/plugin_loader.hpp"
#include "ui/prompt.hpp"
#include "settings/settings_store.hpp"

namespace sc {

class Peers;

/// Global command-line options.
struct GlobalOptions {
  std::filesystem::path root = "/";
  bool dry_run = false;
  bool diff = false;
  bool json = false;
  bool yes = false;
  bool verbose = false;
  std::vector<std::filesystem::path> plugin_dirs;  ///< empty: the default search path
  std::map<std::string, std::string> overrides;    ///< --set NAME=VALUE
};

/// One command invocation: where its text goes and what it returned.
struct Frame {
  std::string module;
  std::string command;
  bool capture = false;  ///< text collected (nested call, or --json at top)
  std::string output;
  bool printed = false;  ///< the command printed text (captured or not)
  std::optional<nlohmann::json> result;
  std::string error;
  int status = 0;
  /// {"status":N,"output":"...","result":...,"error":"..."}
  nlohmann::json to_json() const;
};

/// Exit codes of `sc` (documented in README.md).
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,
  kExitUsage = 2,
  kExitUnavailable = 3,  ///< module not installed, refused, or a dependency problem
};

class Session {
 public:
  explicit Session(GlobalOptions opts);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const GlobalOptions& options() const { return opts_; }
  Output& output() { return output_; }
  Executor& executor() { return executor_; }
  PluginCatalog& catalog() { return catalog_; }
  Prompter& prompter() { return prompter_; }

  /// The settings store, loaded on first use.
  SettingsStore* settings(std::string* err);

  /// A module's manifest (no library opened).
  std::shared_ptr<const Manifest> manifest(const std::string& name, std::string* err);
  /// The module and everything it requires, dependencies first.
  bool dependencies(const std::string& name, std::vector<std::shared_ptr<const Manifest>>* order,
                    std::string* err);
  /// Loads the module's requirements, then the module; each library once.
  LoadedPlugin* load(const std::string& name, std::string* err);

  /// Runs `module command args` in `frame` (module, command, capture set
  /// by the caller). Returns the status; a module that cannot be loaded
  /// gives kExitUnavailable with frame->error set.
  int run(Frame* frame, const std::vector<std::string>& args);
  /// As the command line does: checks the command exists, sets up
  /// unready requirements before `setup`, answers `ready` for modules
  /// without a check.
  int run_top(Frame* frame, const std::vector<std::string>& args);
  /// Runs hook `hook` of every module declaring it, in dependency order.
  /// `captured` (may be null) receives [{"module","status","output","result","error"}].
  int broadcast(const std::string& hook, const std::vector<std::string>& args, bool ready_only,
                nlohmann::json* captured);

  /// Where a setting is declared, searched in `module` and its
  /// requirements; null (and *err) when none of them declares it.
  const SettingSpec* setting_spec(const std::string& module, const std::string& name, std::string* err);
  /// Every module declaring `name` (scans all manifests).
  std::shared_ptr<const Manifest> setting_owner(const std::string& name);
  /// Current value: --set override, then this run's dry-run changes, then
  /// the store. nullopt when unset.
  std::optional<std::string> setting_value(const std::string& name, std::string* err);
  /// Stores a setting (validated by `spec` when given) and records it as
  /// an action; under --dry-run only for this run.
  bool store_setting(const std::string& name, const std::optional<std::string>& value, const SettingSpec* spec,
                     std::string* err);
  /// The text a secret setting's value is replaced with.
  static constexpr const char* kRedacted = "********";

  /// Depth of nested module calls (guards against runaway recursion).
  int depth() const { return depth_; }

  /// Other hosts: connections opened on first use (the SSH layer is loaded
  /// only then) and kept for the whole run.
  Peers& peers();

 private:
  int invoke(LoadedPlugin* plugin, Frame* frame, const std::vector<std::string>& args);
  bool init_plugin(LoadedPlugin* plugin, std::string* err);

  GlobalOptions opts_;
  std::string root_text_;
  Output output_;
  Executor executor_;
  PluginCatalog catalog_;
  Prompter prompter_;
  std::unique_ptr<SettingsStore> settings_;
  std::unique_ptr<Peers> peers_;
  std::map<std::string, std::optional<std::string>> dry_settings_;
  std::map<std::string, std::unique_ptr<LoadedPlugin>> loaded_;
  std::vector<LoadedPlugin*> load_order_;  // unloaded in reverse
  int depth_ = 0;

  friend struct HostAccess;
};

}  // namespace sc
