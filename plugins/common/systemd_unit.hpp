// What the boot and daemon modules do alike with their systemd units: the
// unit files in /etc/systemd/system, enabled for multi-user.target by the
// link `systemctl enable` would make, and `systemctl daemon-reload` after a
// change. Each module keeps its own unit text and naming rules.
#pragma once

#include <optional>
#include <sc/plugin.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace plugin_common::systemd_unit {

inline constexpr const char* kUnitDir = "/etc/systemd/system";
/// Where `systemctl enable` puts the link for WantedBy=multi-user.target.
inline constexpr const char* kWantsDir = "/etc/systemd/system/multi-user.target.wants";

/// True when `path` can stand on an ExecStart line as it is: absolute, and
/// only letters, digits and "/._+-" (no quoting, no '%' specifier, no '$').
bool plain_exec_path(std::string_view path);

/// The running sc, for ExecStart. Throws sc::Failure when its path cannot
/// be read or cannot stand on an ExecStart line as it is.
std::string exec_sc_path();

/// "PREFIXSTEM.service"
std::string unit_name(std::string_view prefix, std::string_view stem);

/// STEM of a file name "PREFIXSTEM.service" with a non-empty STEM;
/// nullopt for any other name.
std::optional<std::string_view> unit_stem(std::string_view file, std::string_view prefix);

/// "/etc/systemd/system/UNIT"
std::string unit_path(const std::string& unit);

/// True when the unit file exists on the target.
bool unit_written(const sc::Context& ctx, const std::string& unit);

/// True when the unit file or its enable link exists on the target.
bool unit_exists(const sc::Context& ctx, const std::string& unit);

/// True when the enable link of `unit` points at its unit file.
bool unit_enabled(const sc::Context& ctx, const std::string& unit);

/// Writes the unit (0644) and its enable link, as planned changes, making
/// the directories when missing. True when the file or the link was not
/// already as wanted (systemd must then reload).
bool install_unit(const sc::Context& ctx, const std::string& unit, const std::string& text);

/// Removes the enable link and the unit file (planned changes).
void remove_unit(const sc::Context& ctx, const std::string& unit);

/// File names in the target's /etc/systemd/system, sorted.
std::vector<std::string> unit_dir_files(const sc::Context& ctx);

/// Options of a systemctl run that acts on the running system (recorded,
/// not run, under --root).
sc::RunOptions live();

/// `systemctl daemon-reload`, live; throws sc::Failure when it fails.
void daemon_reload(const sc::Context& ctx);

}  // namespace plugin_common::systemd_unit
