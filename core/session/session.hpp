// One `sc` run: options, the plugin catalog, loaded plugins, settings, the
// action engine and output. Commands of plugins run through it.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "engine/executor.hpp"
#include "modules/manifest.hpp"
#include "modules/plugin_catalog.hpp"
#include "modules/plugin_loader.hpp"
#include "session/global_options.hpp"
#include "settings/settings.hpp"
#include "ui/output.hpp"
#include "ui/prompt.hpp"

namespace sc {

class Peers;

/// One usage line of a core command, for `sc help`.
struct CoreUsage {
  const char* usage;    ///< e.g. "settings get NAME"
  const char* summary;  ///< one line
};

/// A command of the core itself (`sc help`, `sc settings`...): how the
/// command line and the host service call() reach it. The table is the
/// commands room's (commands/commands.hpp), handed to the session by the
/// command line, so that the host services never include what is above
/// them.
struct CoreCommand {
  const char* name;                   ///< the first word: "settings"
  std::span<const CoreUsage> usages;  ///< what `sc help` shows of it
  /// Runs it; `args` are the words after the name.
  int (*run)(class Session& s, Frame& frame, const std::vector<std::string>& args);
  bool callable;  ///< a module may reach it with the host service call()
};

class Session {
 public:
  /// `core_commands`: the commands of the core reachable through call()
  /// and the command line (the table outlives the session).
  explicit Session(GlobalOptions opts, std::span<const CoreCommand> core_commands = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const GlobalOptions& options() const { return opts_; }
  Output& output() { return output_; }
  Executor& executor() { return executor_; }
  PluginCatalog& catalog() { return catalog_; }
  Prompter& prompter() { return prompter_; }
  Settings& settings() { return settings_; }
  /// The core command `name`, or null.
  const CoreCommand* core_command(const std::string& name) const;

  /// A module's manifest (no library opened).
  std::shared_ptr<const Manifest> manifest(const std::string& name, std::string* err);
  /// The module and everything it requires, dependencies first.
  bool dependencies(const std::string& name, std::vector<std::shared_ptr<const Manifest>>* order, std::string* err);
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

  /// Depth of nested module calls (guards against runaway recursion).
  int depth() const { return depth_; }

  /// Other hosts: connections opened on first use (the SSH layer is loaded
  /// only then) and kept for the whole run.
  Peers& peers();

 private:
  int invoke(LoadedPlugin* plugin, Frame* frame, const std::vector<std::string>& args);
  bool init_plugin(LoadedPlugin* plugin, std::string* err);

  GlobalOptions opts_;
  std::span<const CoreCommand> core_commands_;
  Output output_;
  Executor executor_;
  PluginCatalog catalog_;
  Prompter prompter_;
  Settings settings_;
  std::unique_ptr<Executor> home_executor_;  // ~/.ssh of the user running sc, outside --root
  std::unique_ptr<Peers> peers_;
  std::map<std::string, std::unique_ptr<LoadedPlugin>> loaded_;
  std::vector<LoadedPlugin*> load_order_;  // unloaded in reverse
  std::set<std::string> shadow_warned_;    // modules whose shadowed copies were reported
  int depth_ = 0;
};

}  // namespace sc
