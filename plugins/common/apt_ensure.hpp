// Debian packages a module needs, as data handed to `sc aptpackage ensure`.
//
// A spec is "PACKAGE[:COMMAND]": install PACKAGE when COMMAND (a name looked
// up in the target's PATH, or an absolute path) is missing; a bare PACKAGE
// must be installed according to the target's dpkg status. Shared by the
// files, update, user and utils modules, so that every module states its
// packages the same way. Needs ABI 1.2 (it looks at the target through
// plugin_common::target).
#pragma once

#include <functional>
#include <sc/plugin.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace plugin_common::apt_ensure {

struct Spec {
  std::string package;
  std::string command;  ///< empty: the package itself must be installed
};

/// Parses "PACKAGE[:COMMAND]". PACKAGE follows Debian policy
/// ([a-z0-9][a-z0-9+.-]+); COMMAND is a plain program name or an absolute
/// path without "..". False with *why naming the spec otherwise.
bool parse_spec(std::string_view text, Spec* out, std::string* why);

/// Names of the packages whose Status is "install ok installed" in the
/// text of a dpkg status file (/var/lib/dpkg/status).
std::set<std::string> installed_packages(std::string_view dpkg_status);

/// The packages (each once, in spec order) whose spec is not satisfied:
/// its command is missing (has_command false) or, for a bare package, it
/// is not in `installed`.
std::vector<std::string> missing_packages(const std::vector<Spec>& specs, const std::set<std::string>& installed,
                                          const std::function<bool(const std::string&)>& has_command);

/// The directories a command name is looked up in on the target (the PATH
/// sc itself runs with).
const std::vector<std::string>& command_dirs();

/// Packages of `specs` missing on the target tree of `ctx` (reads the
/// target's dpkg status and looks commands up under its root). Throws
/// sc::Usage for a malformed spec.
std::vector<std::string> missing_on_target(const sc::Context& ctx, const std::vector<std::string>& specs);

/// What ensure() found: packages already there, and those installed (or,
/// under --dry-run or --root, planned).
struct Outcome {
  std::vector<std::string> present;
  std::vector<std::string> installed;
};

/// Makes sure the packages are installed: through `sc aptpackage ensure
/// SPEC...` when that module is installed (one apt-get run for the batch).
/// When it is not, nothing can be installed: succeeds if nothing is
/// missing, else throws sc::Failure naming the packages and the apt-get
/// command to run.
Outcome ensure(const sc::Context& ctx, const std::vector<std::string>& specs);

}  // namespace plugin_common::apt_ensure
