// What the original bash synccluster leaves on a host, read as text: its
// program (a bash script with a line `SCVERSION=NNNN`), its cron entries
// (/etc/cron.d/sc_MODULE_PERIOD, one line running the original's program
// under flock) and its systemd units (sc_daemon_NAME[_INSTANCE].service,
// sc_boot_NAME.service). Pure functions, no host access: `sc migrate`
// (migrate_command.cpp) reads the files through the engine and asks these
// what they are.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sc::original {

/// Where the original installs itself (its defaults: SCPREFIX=/usr/local).
inline constexpr const char* kProgram = "/usr/local/sbin/sc";
inline constexpr const char* kLibDir = "/usr/local/lib/sc";
inline constexpr const char* kDefaults = "/etc/default/sc";
inline constexpr const char* kSettings = "/etc/sc";
inline constexpr const char* kCronDir = "/etc/cron.d";
inline constexpr const char* kUnitDir = "/etc/systemd/system";
inline constexpr const char* kWantsDir = "/etc/systemd/system/multi-user.target.wants";

/// The build number of the original's program (`SCVERSION=1006`) when
/// `text` is one: a script (`#!`), not an ELF file, holding a line
/// `SCVERSION=DIGITS`. nullopt for anything else (our own sc among them).
std::optional<std::string> program_version(std::string_view text);

/// True when `name` in the original's library directory is one of its
/// bash modules: no extension ('.'), lower-case letters, digits, '-' and
/// '_' (our NAME.so, NAME.json and core/ never match), and `text` is a
/// text file (no NUL byte, not ELF).
bool is_module_file(std::string_view name, std::string_view text);

/// True when a cron entry or unit was written by our modules (their first
/// line "# Written by `sc ...").
bool written_by_us(std::string_view text);

/// One cron task of the original: `sc MODULE cron PERIOD ARGS...`.
struct CronTask {
  std::string module, period, schedule;
  std::vector<std::string> args;
};

/// Splits a cron file name "sc_MODULE_PERIOD" (the original's naming);
/// false for any other name.
bool cron_file_name(std::string_view name, std::string* module, std::string* period);

/// Reads the original's entry `file_name` holds:
/// "<5 time fields> root flock -w 30 -E 1 '/etc/cron.d/NAME' /PATH/sc MODULE cron PERIOD ARGS".
/// Arguments are shell words of plain characters or quoted without
/// expansions; anything the shell would compute or that cron would change
/// (`$`, backquotes, `;`, `|`, `&`, redirections, globs, '%', a second
/// line...) is refused: false with *why saying what.
bool parse_cron(std::string_view file_name, std::string_view text, CronTask* out, std::string* why);

/// One unit of the original: daemon (`sc NAME daemon [INSTANCE]`) or boot
/// (`sc NAME boot`).
struct UnitTask {
  enum class Kind { daemon, boot } kind = Kind::daemon;
  std::string module, instance;
};

/// Splits a unit file name "sc_daemon_STEM.service" / "sc_boot_STEM.service".
bool unit_file_name(std::string_view name, UnitTask::Kind* kind, std::string* stem);

/// Reads the original's unit `file_name` holds (its ExecStart line:
/// `/PATH/sc STEM daemon [INSTANCE]`, the original naming the module
/// `NAME_INSTANCE` there, or `/PATH/sc NAME boot`). False with *why when
/// it is not one the daemon or boot module can write again.
bool parse_unit(std::string_view file_name, std::string_view text, UnitTask* out, std::string* why);

}  // namespace sc::original
