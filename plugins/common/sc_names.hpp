// Module names and the running sc's path, as modules that write `sc MODULE
// COMMAND` into host files (cron entries, systemd units) or take a module
// name on their command line check them. Shared by the boot, crontask,
// daemon, db and files modules (and systemd_unit), so that all of them
// accept the same names.
#pragma once

#include <string>
#include <string_view>

namespace plugin_common::sc_names {

/// The core's rule for module names: a lower-case letter, then lower-case
/// letters, digits and '-', at most 64 characters. Never '/', '.', '_' or
/// a space, so a name is safe in a file or unit name and splits
/// unambiguously at a '_'.
bool valid_module_name(std::string_view name);

/// `name` when it is a valid module name; throws sc::Usage saying what a
/// module name is made of otherwise.
std::string checked_module_name(const std::string& name);

/// The daemon module's rule for a daemon's instance (the INSTANCE of `sc
/// daemon add NAME INSTANCE`, in sc_daemon_NAME_INSTANCE.service): 1 to 128
/// letters, digits, '.', '_' and '-', starting with a letter or a digit.
/// Shared by daemon and by the modules that name their daemons' instances
/// (portforward).
bool valid_daemon_instance(std::string_view instance);

/// Absolute path of the running sc (read from /proc/self/exe, without the
/// " (deleted)" the kernel adds once the file was replaced), so that what a
/// module writes starts the same program that wrote it. Throws sc::Failure
/// when the link cannot be read.
std::string running_sc();

}  // namespace plugin_common::sc_names
