// Times as sc's modules write them for people and in JSON: UTC, ISO 8601
// to the second ("2026-12-02T15:04:05Z"). Shared by unisonsync's ledger and
// the tunnels' status.
#pragma once

#include <cstdint>
#include <string>

namespace plugin_common::time_text {

/// "2026-12-02T15:04:05Z" for `t` seconds since the epoch.
std::string iso_time(std::int64_t t);

}  // namespace plugin_common::time_text
