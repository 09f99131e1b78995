// The core's own commands (`sc help`, `sc plugins`, `sc settings`, `sc
// broadcast`, `sc migrate`): one table, from which the command line dispatches, `sc
// help` lists them, and the host service call() reaches those a module
// may use.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "session/session.hpp"

namespace sc {

/// The core's commands, in the order `sc help` lists them. Static.
std::span<const CoreCommand> core_commands();

// Each command writes into `frame` (text and result) and returns an exit
// status; `args` are the words after its name.

/// `sc help [MODULE [COMMAND]]`: from manifests only, never a library.
int core_help(Session& s, Frame& frame, const std::vector<std::string>& topic);
/// `sc plugins [--no-load]` (plugins_command.cpp).
int core_plugins(Session& s, Frame& frame, const std::vector<std::string>& args);
/// `sc settings ...` (settings_command.cpp).
int core_settings(Session& s, Frame& frame, const std::vector<std::string>& args);
/// `sc broadcast [--ready-only] HOOK [ARGS...]`: every module's HOOK, the
/// captured results as the result (how a peer answers "every module's
/// files" in one call).
int core_broadcast(Session& s, Frame& frame, const std::vector<std::string>& args);

/// `sc status [--local]` (status_command.cpp); `--all ...` is forwarded to
/// `sc master status --all ...`.
int core_status(Session& s, Frame& frame, const std::vector<std::string>& args);

/// `sc migrate [--undo]` (migrate_command.cpp): takes over a host where the
/// original bash sc is installed, or puts it back.
int core_migrate(Session& s, Frame& frame, const std::vector<std::string>& args);

/// What of the original bash sc is still in place on the target (its
/// program, modules, settings, cron entries, units: what `sc migrate`
/// would take), one description each; empty when nothing is.
std::vector<std::string> original_still_installed(Session& s);

/// Appends text to a core command's frame (captured or shown).
void frame_print(Session& s, Frame& frame, const std::string& text);

}  // namespace sc
