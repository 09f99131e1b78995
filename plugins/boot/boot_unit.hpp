// boot: the oneshot systemd unit that runs `sc NAME boot` once per boot.
// Pure functions, tested against exact text and systemd-analyze verify.
// Writing and enabling it is shared with daemon (common/systemd_unit.hpp).
#pragma once

#include <string>
#include <string_view>

namespace boot_unit {

/// "sc_boot_NAME.service"
std::string unit_name(std::string_view module);

/// Splits a unit file name written by unit_name(); false for other names.
bool parse_unit_name(std::string_view file, std::string* module);

/// The unit: a oneshot running `SC MODULE boot` as root once the network is
/// up, staying "active" afterwards so that it runs once per boot.
std::string unit_file(std::string_view sc_binary, std::string_view module);

}  // namespace boot_unit
