// daemon: the systemd unit that keeps `sc NAME daemon [INSTANCE]` running.
// Pure functions, tested against exact text and systemd-analyze verify.
// Writing and enabling it is shared with boot (common/systemd_unit.hpp).
#pragma once

#include <string>
#include <string_view>

namespace daemon_unit {

/// An instance (e.g. a peer host name): letters, digits, '.', '_' and '-',
/// starting with a letter or digit, at most 128 characters. Safe in a unit
/// name and on an ExecStart line without quoting.
bool valid_instance(std::string_view instance);

/// "sc_daemon_NAME.service" or "sc_daemon_NAME_INSTANCE.service".
std::string unit_name(std::string_view module, std::string_view instance);

/// Splits a unit file name written by unit_name(); false for other names.
bool parse_unit_name(std::string_view file, std::string* module, std::string* instance);

/// The unit: runs `SC MODULE daemon [INSTANCE]` as root, restarted 10 s
/// after any exit, with no start-rate limit, so it never stays stopped.
std::string unit_file(std::string_view sc_binary, std::string_view module, std::string_view instance);

}  // namespace daemon_unit
