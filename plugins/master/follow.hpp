// Code follows the master (issue 15; the original's master buildnumber and
// update_sc): this host's sc is brought to the version its master runs
// before a pull, cron or boot task does anything else. The work itself is
// the update module's (`sc update follow MASTER`: ask, compare, fetch,
// check, install, upgrade hooks); this file decides when, and re-runs the
// command with the new sc once it is installed.
#pragma once

#include <sc/plugin.hpp>
#include <string>
#include <vector>

namespace master_follow {

/// The environment variable a re-run carries (set to the version
/// installed), so that it never follows the master again in the same run.
inline constexpr const char* kFollowedEnv = "SC_MASTER_FOLLOWED";

/// `sc master buildnumber` and `sc master version`: this host's sc version
/// (the original printed an integer build number; ours is MAJOR.MINOR.PATCH);
/// with --json also how it is installed (local, debian or other, from `sc
/// update release`; null without the update module).
void version(sc::Context& ctx);

/// `sc update follow HOST` (HOST: the master), its output shown. True when
/// it installed a new sc: the caller then finishes with rerun(). False when
/// nothing was installed (same version, the master older, a Debian install
/// here, --dry-run...), and when this process is itself a re-run
/// (kFollowedEnv). Throws sc::Failure when the update failed or was refused
/// (a newer major). Without the update module here: a warning naming its
/// package and false, or with `required` (sc master update_sc) a failure.
bool follow(sc::Context& ctx, const std::string& host, bool required = false);

/// Runs `sc ARGS...` with the sc just installed (/usr/local/sbin/sc), with
/// kFollowedEnv set, its output shown (under --json, its document becomes
/// this command's result); throws sc::Failure when it fails.
void rerun(sc::Context& ctx, const std::vector<std::string>& args);

}  // namespace master_follow
