// The module hook `status` (called by `sc status` on every module that
// declares it, ready or not): its one optional argument and the shape of
// its result, so that each module states only what it knows.
#pragma once

#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>
#include <string>
#include <vector>

namespace plugin_common::status_hook {

/// One problem: level "error" (broken, not done) or "warning" (worth a
/// look); `fix` the exact command that fixes it, or "".
struct Problem {
  std::string level;
  std::string what;
  std::string fix;
  bool operator==(const Problem& o) const { return level == o.level && what == o.what && fix == o.fix; }
};

/// A problem as the hook's result holds it: {"level", "what", "fix"}.
nlohmann::json to_json(const Problem& p);

/// True when the hook was given `local` (contact no other host); throws
/// sc::Usage for anything else.
bool local_only(const sc::Context& ctx);

/// Sets the hook's result: {"problems": [...], "facts": facts,
/// "unused_settings": unused}.
void answer(sc::Context& ctx, const std::vector<Problem>& problems, const nlohmann::json& facts,
            const std::vector<std::string>& unused = {});

}  // namespace plugin_common::status_hook
