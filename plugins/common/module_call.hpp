// Calling another module's command from a module, as several do alike:
// the status the core gives for a module that is not installed, the call
// written as the user would type it, and a call whose failure ends the
// command with a message naming it (and the package, when the module is
// missing).
#pragma once

#include <sc/plugin.hpp>
#include <string>
#include <vector>

namespace plugin_common::module_call {

/// Status of a call to a module that is not installed.
inline constexpr int kNotInstalled = 3;

/// "sc MODULE COMMAND ARGS..." (arguments as given).
std::string text(const std::string& module, const std::string& command, const std::vector<std::string>& args);

/// Runs the call with its output shown; throws sc::Failure naming the call
/// (and the package synccluster-plugin-MODULE when it is not installed)
/// when it does not succeed.
void run_shown(const sc::Context& ctx, const std::string& module, const std::string& command,
               const std::vector<std::string>& args = {});

}  // namespace plugin_common::module_call
