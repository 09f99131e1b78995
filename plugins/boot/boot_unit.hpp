// boot: the oneshot systemd unit that runs `sc NAME boot` once per boot.
// Pure functions, tested against exact text and systemd-analyze verify.
#pragma once

#include <string>
#include <string_view>

namespace boot_unit {

inline constexpr const char* kUnitDir = "/etc/systemd/system";
/// Where `systemctl enable` puts the link for WantedBy=multi-user.target.
inline constexpr const char* kWantsDir = "/etc/systemd/system/multi-user.target.wants";

/// Same rule as the core's module names (no '_', '/', '.' or space).
bool valid_module_name(std::string_view name);

/// True when `path` can stand on an ExecStart line as it is: absolute, and
/// only letters, digits and "/._+-".
bool plain_exec_path(std::string_view path);

/// "sc_boot_NAME.service"
std::string unit_name(std::string_view module);

/// Splits a unit file name written by unit_name(); false for other names.
bool parse_unit_name(std::string_view file, std::string* module);

/// The unit: a oneshot running `SC MODULE boot` as root once the network is
/// up, staying "active" afterwards so that it runs once per boot.
std::string unit_file(std::string_view sc_binary, std::string_view module);

}  // namespace boot_unit
