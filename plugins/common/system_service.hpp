// Services of Debian packages a module relies on (cachefilesd for
// nfsclient, nfs-server or nfs-ganesha for nfssrv): enabled and running
// through systemctl, as live actions (recorded, not run, under --root).
// Shared by the nfsclient and nfssrv modules. Needs ABI 1.2 (stat_path).
#pragma once

#include <sc/plugin.hpp>
#include <string>

namespace plugin_common::system_service {

/// True when the target runs systemd (what sd_booted() checks:
/// /run/systemd/system is a directory). Under --root the target is an
/// image of a systemd system: true, and systemctl runs are recorded.
bool systemd_running(const sc::Context& ctx);

/// Makes `unit` enabled and running. Under --root, only when `restart`
/// (something it reads changed): `systemctl enable UNIT` and `systemctl
/// restart UNIT`, recorded. On a live systemd host: enables it when
/// `systemctl is-enabled` says it is not, restarts it when `restart` or
/// when `systemctl is-active` says it is not running. Without systemd, a
/// warning saying what to start by hand. Throws sc::Failure when systemctl
/// fails.
void ensure_running(const sc::Context& ctx, const std::string& unit, bool restart);

/// Stops and disables `unit` when it is enabled or running (under --root:
/// when `changed`, recorded). A failure is a warning: what stops a service
/// never stops the command that retires it.
void ensure_stopped(const sc::Context& ctx, const std::string& unit, bool changed);

/// Options of a run acting on the running system (recorded under --root).
sc::RunOptions live();

}  // namespace plugin_common::system_service
