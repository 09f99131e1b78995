// PLACEHOLDER until branch i19-html is merged (it has the real page): the
// HTML report of `sc master status --all --html FILE`, a pure function of
// that command's --json result (CONTRACTS.md, section 4).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace master {

/// The page for `all`, the result of `sc --json master status --all`.
std::string render_report_html(const nlohmann::json& all);

}  // namespace master
