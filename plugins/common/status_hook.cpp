#include "common/status_hook.hpp"

namespace plugin_common::status_hook {

bool local_only(const sc::Context& ctx) {
  ctx.expect_args(0, 1, "[local]");
  if (ctx.args().empty()) return false;
  if (ctx.arg(0) != "local")
    throw sc::Usage("unknown argument \"" + ctx.arg(0) +
                    "\": the status hook takes nothing or `local` (contact no "
                    "other host); `sc status` calls it");
  return true;
}

nlohmann::json to_json(const Problem& p) {
  return {{"level", p.level}, {"what", p.what}, {"fix", p.fix}};
}

void answer(sc::Context& ctx, const std::vector<Problem>& problems, const nlohmann::json& facts,
            const std::vector<std::string>& unused) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& p : problems) list.push_back(to_json(p));
  ctx.result(nlohmann::json{{"problems", list}, {"facts", facts}, {"unused_settings", unused}}.dump());
}

}  // namespace plugin_common::status_hook
