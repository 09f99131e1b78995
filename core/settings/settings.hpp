// The settings service of one `sc` run: where a setting is declared, its
// type, its current value (a --set override, then what this run changed
// under --dry-run, then the store), prompting for a missing one, and every
// change recorded as an action. The host services of the ABI (setting_get,
// setting_set, setting_unset), `sc settings` and the peers all go through
// it; nothing else opens the store (docs/ARCHITECTURE.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/executor.hpp"
#include "modules/manifest.hpp"
#include "modules/plugin_catalog.hpp"
#include "settings/settings_store.hpp"
#include "ui/output.hpp"
#include "ui/prompt.hpp"

namespace sc {

/// What the settings service needs to know of the run.
struct SettingsOptions {
  std::filesystem::path root = "/";              ///< the store is ROOT/etc/sc
  bool dry_run = false;                          ///< changes are kept for this run only
  bool yes = false;                              ///< --yes accepts a default without a terminal
  std::map<std::string, std::string> overrides;  ///< --set NAME=VALUE
};

/// How a module asks for a setting (the SC_SETTING_* bits of the ABI).
struct SettingQuery {
  bool prompt = false;      ///< ask (or take --set) when unset, then store the answer
  bool no_default = false;  ///< do not fall back to the manifest's default
};

/// Not thread-safe (one per run, used from the command's thread).
class Settings {
 public:
  /// The text a secret setting's value is replaced with.
  static constexpr const char* kRedacted = "********";

  /// Every collaborator outlives the service.
  Settings(SettingsOptions opts, PluginCatalog& catalog, Executor& executor, Prompter& prompter, Output& output);

  /// The store, read on first use. A store in the original tool's shell
  /// format is converted at once (0600, a copy kept as etc/sc.legacy);
  /// under --dry-run only announced. Null with *err when it cannot be read.
  SettingsStore* store(std::string* err);

  /// Where `name` is declared, searched in `module` and the modules it
  /// requires (the most basic last, so a module may refine a required
  /// one's setting). Null with *err (a bad name, or not declared there).
  const SettingSpec* declared(const std::string& module, const std::string& name, std::string* err);

  /// The first installed module declaring `name` (scans every manifest);
  /// null when none does.
  std::shared_ptr<const Manifest> owner(const std::string& name);
  /// The declaration of that owner, or null.
  const SettingSpec* spec_of(const std::string& name);

  /// The current value: --set override, then this run's changes under
  /// --dry-run, then the store. nullopt when unset (or the store cannot be
  /// read: then *err is set).
  std::optional<std::string> value(const std::string& name, std::string* err);
  /// value(), else the owner's default.
  std::optional<std::string> value_or_default(const std::string& name, std::string* err);

  /// Stores (nullopt: removes) a value already checked against `spec` and
  /// records the change as a "setting" action (a secret's values are never
  /// shown); under --dry-run only for this run.
  bool put(const std::string& name, const std::optional<std::string>& value, const SettingSpec* spec, std::string* err);

  // -- for a module (the host services) --------------------------------

  /// The value of `name` as `module` asks for it: declared by the module
  /// or one it requires, checked against its type (a --set answer to a
  /// question is stored like a typed one), asked for when unset and
  /// `q.prompt`, else the default unless `q.no_default`. Returns SC_OK,
  /// SC_FAIL (unset, or the store failed) or SC_USAGE (not declared, a
  /// value the type refuses, no terminal to ask on), with *err.
  int get(const std::string& module, const std::string& name, SettingQuery q, std::string* value, std::string* err);
  /// Checks `value` against the declaration and stores it.
  int set(const std::string& module, const std::string& name, const std::string& value, std::string* err);
  /// Removes `name` (SC_OK when already unset).
  int unset(const std::string& module, const std::string& name, std::string* err);

  // -- a command's answers ----------------------------------------------

  /// A command starts: the answers get() takes from a prompt or from
  /// --set are kept for it (and seen by the rest of the run), not stored.
  void begin_command();
  /// It ended: when it succeeded, its answers are stored (recorded as
  /// actions), or handed to the command it is nested in, whose success
  /// decides; when it failed they are dropped, saying so. False with *err
  /// when the store cannot be written.
  bool end_command(bool succeeded, std::string* err);

  /// While set, --set values are not seen: what a module's readiness
  /// reports is the host, not this run's command line.
  void ignore_overrides(bool ignore) { without_overrides_ = ignore; }

 private:
  bool ask(const SettingSpec& spec, bool offer_default, std::string* answer, int* status, std::string* err);
  bool keep_answer(const std::string& name, const std::string& value, const SettingSpec* spec, std::string* err);

  struct Answer {
    std::string value;
    const SettingSpec* spec = nullptr;
  };

  SettingsOptions opts_;
  PluginCatalog& catalog_;
  Executor& executor_;
  Prompter& prompter_;
  Output& output_;
  std::unique_ptr<SettingsStore> store_;
  std::map<std::string, std::optional<std::string>> dry_changes_;
  std::vector<std::map<std::string, Answer>> answers_;  // one map per running command, innermost last
  bool without_overrides_ = false;
};

}  // namespace sc
