// The table of the core's commands, and `sc broadcast`.
#include "commands/commands.hpp"

#include <iterator>

namespace sc {

using json = nlohmann::json;

namespace {

constexpr CoreUsage kHelpUsage[] = {
    {"help [MODULE [COMMAND]]", "show this help, a module's commands, or one command"},
};
constexpr CoreUsage kBroadcastUsage[] = {
    {"broadcast [--ready-only] HOOK [ARGS...]",
     "run every module's HOOK (only ready modules with --ready-only); --json gives each module's result"},
};
constexpr CoreUsage kPluginsUsage[] = {
    {"plugins [--no-load]", "list every plugin found, its version and state (ready, not-ready, loaded-ok, refused)"},
};
constexpr CoreUsage kSettingsUsage[] = {
    {"settings list", "list every known setting, its module, type and whether it is set"},
    {"settings print [MODULE]", "print settings as NAME=\"value\" (secrets hidden unless --show-secrets)"},
    {"settings get NAME", "print one setting's value (its default when unset)"},
    {"settings set NAME [VALUE]", "store a setting (VALUE omitted: read from the terminal or stdin)"},
    {"settings del NAME", "remove a setting"},
    {"settings import FILE [NAME...]",
     "store the settings (or only NAMEs) of a settings file, in sc's format or the original's"},
};

constexpr CoreUsage kStatusUsage[] = {
    {"status [--local]",
     "is everything fine here? problems first with their fixes, then each module's state; exit 1 when there is a "
     "problem; --local: contact no other host"},
    {"status --all [--hosts A,B] [--html FILE] [--deadline SECONDS] [--concurrency N]",
     "every host the master knows, in parallel (the master module's `master status --all`)"},
};

constexpr CoreUsage kMigrateUsage[] = {
    {"migrate",
     "take over a host where the original bash sc is installed: its files moved into /var/lib/sc/migrate/original, "
     "its settings imported, its cron tasks and units written again by sc's modules"},
    {"migrate --undo", "put the original sc back as it was and remove what `sc migrate` wrote"},
};

// `help` and `settings` are reachable from modules (ABI 1.1): `settings`
// reaches every module's settings, `help MODULE` a module's manifest.
constexpr CoreCommand kCoreCommands[] = {
    {"help", kHelpUsage, core_help, true},
    {"status", kStatusUsage, core_status, false},
    {"broadcast", kBroadcastUsage, core_broadcast, false},
    {"plugins", kPluginsUsage, core_plugins, false},
    {"settings", kSettingsUsage, core_settings, true},
    {"migrate", kMigrateUsage, core_migrate, false},
};

}  // namespace

std::span<const CoreCommand> core_commands() {
  return kCoreCommands;
}

void frame_print(Session& s, Frame& frame, const std::string& text) {
  frame.printed = true;
  if (frame.capture)
    frame.output += text;
  else
    s.output().text(text);
}

int core_broadcast(Session& s, Frame& frame, const std::vector<std::string>& args) {
  const std::string usage = "usage: sc broadcast [--ready-only] HOOK [ARGS...]";
  std::vector<std::string> rest = args;
  bool ready_only = false;
  if (!rest.empty() && rest[0] == "--ready-only") {
    ready_only = true;
    rest.erase(rest.begin());
  }
  if (rest.empty()) {
    frame.error = "missing hook; " + usage;
    return kExitUsage;
  }
  if (!valid_command_name(rest[0])) {
    frame.error = "\"" + rest[0] + "\" is not a hook name; " + usage;
    return kExitUsage;
  }
  json results;
  int rc = s.broadcast(rest[0], {rest.begin() + 1, rest.end()}, ready_only, &results);
  std::string text;
  for (const auto& r : results) text += r.value("output", "");
  frame_print(s, frame, text);
  frame.result = results;
  return rc;
}

}  // namespace sc
