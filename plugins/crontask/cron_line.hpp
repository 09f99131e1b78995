// crontask: the text of /etc/cron.d/sc_MODULE_PERIOD files, and its parser.
// Pure functions: no host access, tested against exact text.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crontask {

/// The periods a task can run at, in the order `list` shows them.
inline constexpr std::array<std::string_view, 5> kPeriods = {"fast", "hourly", "daily", "weekly", "monthly"};

/// Longest command cron accepts in one entry (Debian's cron: MAX_COMMAND 1000,
/// NUL included).
inline constexpr size_t kMaxCommand = 999;

bool valid_period(std::string_view period);

/// Why `arg` cannot be passed on a cron line, or "" when it can. Control
/// characters (a newline would end the entry) and backslashes (cron
/// implementations disagree on them) are refused; '%' is escaped.
std::string arg_problem(std::string_view arg);

/// 64-bit FNV-1a: a stable hash whatever the compiler or platform.
std::uint64_t fnv1a(std::string_view text);

/// The five time fields of a task. Derived from `host_id`, `module` and
/// `period` so that a re-run writes the same line and hosts sharing a task
/// do not all start it at the same minute. Hours stay within 02:00-06:59 as
/// the original's did; weekly runs on Saturday, monthly on the 1st.
std::string schedule(std::string_view host_id, std::string_view module, std::string_view period);

/// `word` quoted for /bin/sh (single quotes) unless it is plain, as `list`
/// shows arguments.
std::string shell_word(std::string_view word);

/// shell_word() escaped for cron ('%' becomes "\%", which
/// cron turns back into '%' before the shell sees it). Plain words are left
/// as they are. The word must pass arg_problem().
std::string cron_word(std::string_view word);

/// "/etc/cron.d/sc_MODULE_PERIOD"
std::string file_path(std::string_view module, std::string_view period);
/// "/run/lock/sc_MODULE_PERIOD.lock": flock's lock file for the task.
std::string lock_path(std::string_view module, std::string_view period);

/// Splits a cron.d file name "sc_MODULE_PERIOD"; false for any other name
/// (MODULE must pass plugin_common::sc_names::valid_module_name(), so it holds no '_').
bool parse_file_name(std::string_view name, std::string* module, std::string* period);

/// One task as written in its file.
struct Task {
  std::string module;
  std::string period;
  std::string schedule;  ///< the five time fields, space separated
  std::vector<std::string> args;
  std::string sc_binary;
};

/// The command part of the entry: flock around `SC MODULE cron PERIOD ARGS`.
std::string command(const Task& task);

/// The whole file: a header, PATH for the job, and the entry (run as root).
/// Throws std::invalid_argument when the entry would not fit cron's limit.
std::string cron_file(const Task& task);

/// Reads back a file written by cron_file(); nullopt when it is not one.
std::optional<Task> parse_cron_file(std::string_view text);

}  // namespace crontask
