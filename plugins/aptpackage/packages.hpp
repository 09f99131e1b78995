// aptpackage: package requests ("PACKAGE[/SUITE][:CHECK]"), dpkg status and
// the apt-get command lines. Pure functions.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace aptpackage {

/// Directories searched for a command, as root's PATH has them (not the
/// caller's environment: cron and systemd give sc a short PATH).
inline constexpr std::array<const char*, 6> kCommandDirs = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
                                                            "/usr/bin",        "/sbin",          "/bin"};

/// One requested package.
struct PackageSpec {
  std::string name;   ///< Debian package name
  std::string suite;  ///< "" or a suite to take it from, e.g. "bookworm-backports"
  std::string check;  ///< "" (ask dpkg), a command name, or an absolute path
};

/// Debian policy: lower-case letters, digits, '+', '-', '.', at least two
/// characters, starting with a letter or digit.
bool valid_package_name(std::string_view name);

/// Parses "PACKAGE[/SUITE][:CHECK]". CHECK is a command name (letters,
/// digits, '.', '_', '+', '-') looked up in kCommandDirs, or an absolute
/// path without "." or ".." components. On error `why` says what is wrong.
bool parse_package_spec(std::string_view text, PackageSpec* spec, std::string* why);

/// "PACKAGE" or "PACKAGE/SUITE", as apt-get install takes it.
std::string install_name(const PackageSpec& spec);

/// argv of the one apt-get run that installs `names` (in that order).
std::vector<std::string> install_argv(const std::vector<std::string>& names);

/// Environment of every apt-get run: no question may wait for an answer.
inline const std::vector<std::string> kAptEnv = {"DEBIAN_FRONTEND=noninteractive"};

/// argv of the dpkg-query that prints a package's status; `admindir` is the
/// dpkg database of the target ("" for the running system).
std::vector<std::string> status_argv(const std::string& package, const std::string& admindir);

/// True when the output of status_argv() says the package is installed
/// ("<want> ok installed" on some line: one per architecture).
bool status_installed(std::string_view output);

}  // namespace aptpackage
