#include "common/module_call.hpp"

namespace plugin_common::module_call {

std::string text(const std::string& module, const std::string& command, const std::vector<std::string>& args) {
  std::string out = "sc " + module + " " + command;
  for (const auto& a : args) out += " " + a;
  return out;
}

void run_shown(const sc::Context& ctx, const std::string& module, const std::string& command,
               const std::vector<std::string>& args) {
  const int status = ctx.call_shown(module, command, args);
  if (status == SC_OK) return;
  if (status == kNotInstalled)
    throw sc::Failure(text(module, command, args) + ": the module " + module +
                      " is not installed (package synccluster-plugin-" + module + ")");
  throw sc::Failure(text(module, command, args) + " failed (status " + std::to_string(status) + ")");
}

}  // namespace plugin_common::module_call
