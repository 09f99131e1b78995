// Configuration files of a service (nginx, Apache, Postfix, Dovecot, PHP),
// installed only once the service's own checker accepts them, and the
// service reloaded, never restarted, afterwards. Shared by the ssl, nginx,
// www, mail, roundcube and cloud modules.
//
// The rule: the files are written, the checker runs on the installed
// configuration (what the service would read), and when it refuses every
// file is put back as it was (a new file removed) before anything reloads:
// the running service never sees the refused text and keeps its previous
// configuration, and the files on disk are the previous ones again. The
// checker's own words are the error.
//
// Without systemd (a container, the test machines), a running service is
// reloaded with its own command (`nginx -s reload`, `apache2ctl graceful`,
// `postfix reload`, `doveadm reload`) and a stopped one is named with the
// command that starts it: sc does not start daemons systemd does not watch.
#pragma once

#include <sc/plugin.hpp>
#include <string>
#include <vector>

namespace plugin_common::checked_config {

/// One configuration file and what it must hold: its text, or, when
/// `link` is set, a symbolic link to `link` (how Debian's nginx and Apache
/// enable a site or a conf: `sites-enabled/NAME -> ../sites-available/NAME`).
struct File {
  std::string path;
  std::string text;
  sc::FileAttr attr = {};
  std::string link = {};
};

/// A service whose configuration sc writes.
struct Service {
  std::string unit;                 ///< systemd unit, e.g. "nginx"
  std::vector<std::string> check;   ///< checker argv; empty: no checker
  std::vector<std::string> reload;  ///< reload without systemd, e.g. {"nginx", "-s", "reload"}
  std::vector<std::string> start;   ///< start without systemd (said, not run), e.g. {"nginx"}
  std::string pidfile;              ///< tells whether it runs without systemd; empty: reload is tried
};

/// The services sc configures, with their checkers and commands.
Service nginx();
Service apache();
Service postfix();
Service dovecot();

/// Runs the service's checker (live: recorded, not run, under --root;
/// skipped under --dry-run). Throws sc::Failure with the checker's output
/// when it refuses.
void check(const sc::Context& ctx, const Service& service);

/// Writes the files that differ from what they hold (planned changes),
/// then runs the checker when one changed. When the checker refuses,
/// restores every file written (removes the new ones) and throws
/// sc::Failure naming the service and quoting the checker. True when a
/// file changed (the caller then reloads).
bool install(const sc::Context& ctx, const Service& service, const std::vector<File>& files);

/// Removes files sc wrote (planned changes), then checks what is left
/// (restoring them when the checker refuses). True when one was removed.
bool remove(const sc::Context& ctx, const Service& service, const std::vector<std::string>& paths);

/// True when the service runs: systemd's `is-active`, else its pid file
/// names a live process. Under --root: false.
bool running(const sc::Context& ctx, const Service& service);

/// Makes a running service read its configuration again, without a
/// restart: `systemctl reload UNIT` under systemd (recorded under --root),
/// else its own reload command. A service that does not run is left alone
/// and named with the command that starts it (info). Throws sc::Failure
/// when the reload fails.
void reload(const sc::Context& ctx, const Service& service);

}  // namespace plugin_common::checked_config
