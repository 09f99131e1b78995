// `sc master adopt HOST`: on the master, moves a client of the ORIGINAL
// bash tool to this sc over SSH. The original's own update path (its
// master_update_sc: rsync --delete of the master's /usr/local/sbin/sc and
// /usr/local/lib/sc, then re-sourcing its bash modules from there, from
// cron) cannot carry it: it would delete the bash modules under the running
// script and copy an ELF that needs the master's shared libraries and
// architecture. So the master answers "no update" (sshlink scremote) and
// the administrator adopts each client with this command: our sc made
// available on HOST (the one it has, else this master's /usr/local install
// copied, SHA-256-checked and started from a staging directory first), `sc
// migrate` run there, HOST registered in MASTER_HOSTS.
#pragma once

#include <optional>
#include <sc/plugin.hpp>
#include <string>

namespace master_adopt {

/// Where the staged copy goes on HOST; removed once installed.
inline constexpr const char* kStage = "/var/lib/sc/adopt/stage";
/// sc migrate's record on HOST: present once HOST was migrated.
inline constexpr const char* kMigrationRecord = "/var/lib/sc/migrate/original/migration.json";
/// Where sc migrate keeps the original's /usr/local/sbin/sc (its tree
/// mirrors the paths): adopt moves the script there itself before our sc
/// takes its path, when it installs our sc in /usr/local.
inline constexpr const char* kOriginalScBackup = "/var/lib/sc/migrate/original/usr/local/sbin/sc";

/// True when `head` (the start of a file) is the original tool's main
/// script: a shell script that sets SCVERSION=.
bool is_original_script(const std::string& head);

/// The value of NAME in a settings file of the original's format (lines
/// NAME='VALUE', as `settings print` wrote them) or of ours (NAME="VALUE");
/// nullopt when absent. Only plain values (no quote inside) are read.
std::optional<std::string> settings_value(const std::string& text, const std::string& name);

/// The command.
void adopt(sc::Context& ctx);

}  // namespace master_adopt
