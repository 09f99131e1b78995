// The master module's pure part: this host's role in the cluster and the
// text the commands print about it, without sc (unit-tested byte for byte).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/role.hpp"

namespace master {

/// A host's role towards the master (the setting MASTER_MODE): one list,
/// shared with the user module.
using plugin_common::role::all_roles;
using plugin_common::role::parse_role;
using plugin_common::role::Role;
using plugin_common::role::role_name;

/// A setting name: an upper-case letter, then upper-case letters, digits
/// and '_', at most 64 characters (the core's rule).
bool valid_setting_name(std::string_view name);

/// What `sc master status` prints. `role` is nullopt when MASTER_MODE is
/// unset; `reachable`/`why` matter for the roles that have a master.
std::string status_text(std::optional<Role> role, const std::string& master, bool reachable, const std::string& why);

}  // namespace master

namespace master {

/// A command of another module that a role runs: `sc MODULE COMMAND ARGS`,
/// where an argument "{master}" stands for the master's peer name and
/// "{host}" for this host's name (as the master knows it).
struct Call {
  std::string module;
  std::string command;
  std::vector<std::string> args;
  /// A step acting on a host that may be gone (the old master): when that
  /// host does not answer, or the call fails, the plan says so and goes on.
  bool optional = false;
  /// A step of one of the master's services (ssl, nginx, www, mail,
  /// roundcube, cloud): it runs, and its check counts, only when the
  /// setting MASTER_SERVICES names its module; otherwise the plan says it
  /// skipped it.
  bool service = false;
  bool operator==(const Call& o) const {
    return module == o.module && command == o.command && args == o.args && optional == o.optional &&
           service == o.service;
  }
};

/// One step of a role's setup, and the look-only call that says it is in
/// place (`sc master ready`); a check with no module: none here (the step
/// acts on the master, which `ready` does not contact).
struct Step {
  Call run;
  Call check;
};

/// What a role is, as data (`sc master roles`).
struct RoleSpec {
  Role role;
  std::string summary;
  /// Settings of other modules the role gives, NAME and VALUE ("{master}").
  std::vector<std::pair<std::string, std::string>> settings;
  /// Settings copied from the master, as `sc sshlink importsettings` takes
  /// them: MODULE or MODULE/REGEX.
  std::vector<std::string> imports;
  /// Modules' commands, in order.
  std::vector<Step> steps;
  /// Periods of `sc master cron PERIOD` (crontask tasks).
  std::vector<std::string> cron;
  /// `sc master boot` at each boot (boot unit).
  bool boot = false;
};

/// The setting naming the services a master or standby sets up.
inline constexpr const char* kServicesSetting = "MASTER_SERVICES";

/// The master's services, in the order they are set up.
const std::vector<std::string>& service_modules();

/// True when `module` is one of service_modules().
bool is_service(const std::string& module);

/// The modules a MASTER_SERVICES value names (words separated by spaces or
/// commas; "none" or nothing: none). Throws std::invalid_argument naming a
/// word that is not one of service_modules().
std::vector<std::string> parse_services(const std::string& value);

/// The role table.
const std::vector<RoleSpec>& role_table();
const RoleSpec& spec_of(Role role);

/// `call` with "{master}" replaced by `master` and "{host}" by `self`.
Call bound(const Call& call, const std::string& master, const std::string& self = "THIS-HOST");
/// True when the role's setup needs this host's name ("{host}").
bool uses_host_name(const RoleSpec& spec);
/// "sc MODULE COMMAND ARGS" (arguments as they are, for a message).
std::string call_text(const Call& call);
/// The Debian package of a module: synccluster-plugin-MODULE.
std::string package_of(const std::string& module);
/// Every module the role's setup calls (its steps, imports, settings'
/// owners given as `owners`, crontask, boot, sshlink for a role with a
/// master), sorted, each once.
std::vector<std::string> modules_needed(const RoleSpec& spec);
/// The look-only calls that say the role is in place on this host.
std::vector<Call> ready_checks(const RoleSpec& spec, const std::string& master);

/// What MASTER_APPLIED holds once `setup` put a role in place: "ROLE" on
/// the master, "ROLE MASTER" otherwise.
std::string applied_text(Role role, const std::string& master);

/// The calls of `sc master setup [SOURCE]` for a role, in order: link the
/// master, store the role, import the master's settings, give the role's
/// settings, set up its modules, add its cron and boot tasks, restore the
/// backup SOURCE (when given), register this host `self` on the master
/// (`sshlink sc MASTER master hostadd SELF ROLE`, optional: skipped when the
/// master does not answer; left out when `self` is ""), record the role,
/// pull from the master. Every call is idempotent, so a setup stopped
/// half-way is finished by running it again.
std::vector<Call> setup_plan(const RoleSpec& spec, const std::string& master, const std::string& self,
                             const std::string& source);
/// The plan as `setup` prints it, one numbered call a line.
std::string plan_text(Role role, const std::string& master, const std::vector<Call>& plan);
/// Any plan: "TITLE, N steps:" then one numbered call a line (an optional
/// step followed by "(skipped if PEER does not answer)").
std::string titled_plan_text(const std::string& title, const std::vector<Call>& plan);
/// What a plan that failed at plan[failed] says: what was done, and how
/// to finish it (running `command` again).
std::string stopped_text(const std::vector<Call>& plan, size_t failed, const std::string& why,
                         const std::string& command = "sc master setup");

/// MASTER_APPLIED read back: the role and its master ("" on the master);
/// nullopt when it is not "ROLE" (master) or "ROLE MASTER" (the others).
std::optional<std::pair<Role, std::string>> parse_applied(const std::string& text);
/// What undoes the parts of a role's setup that act on this host and are
/// tied to the role (its master `master`): the boot unit, the cron tasks,
/// the mass storage's sync or mount, the NFS mounts, and (optional: the old
/// master may be gone) what a step did on the master for this host `self`
/// (`nfssrv allow` undone by `nfssrv deny`), then this host taken out of the
/// master's list of hosts (`master hostdel SELF` there; left out when `self`
/// is ""). Files, accounts and the modules set up are kept.
std::vector<Call> undo_steps(const RoleSpec& spec, const std::string& master, const std::string& self);
/// `sc master cleanup`: undo_steps, then unset MASTER_MODE, MASTER_HOST
/// and, last (so that a stopped cleanup is finished by running it
/// again), MASTER_APPLIED.
std::vector<Call> cleanup_plan(const RoleSpec& spec, const std::string& master, const std::string& self);

/// A role as set up on a host: the role and its master ("" on the master).
struct Placed {
  Role role;
  std::string master;
};

/// Any change of role or master, as one plan: the old role's parts undone
/// (undo_steps; but a promotion does not contact the old master, which may
/// be gone); a master that becomes another role's host forgets its list of
/// hosts (`settings del MASTER_HOSTS`: they register with the new master);
/// when the host becomes roaming, the cluster's accounts deleted (`user
/// cleanup_local`: a roaming host holds only the users it roams; homes
/// kept); then the setup of the new role (setup_plan, with `source`); a
/// standby that becomes the master takes itself out of the list it
/// imported (`master hostdel SELF`, before the role is recorded).
/// MASTER_APPLIED says the old role until the setup's last steps, so a
/// transition stopped half-way is finished by running it again.
std::vector<Call> transition_plan(const Placed& from, const Placed& to, const std::string& self,
                                  const std::string& source = "");
/// Its title: a promotion (standby to master), a switch (the same role,
/// another master), a demotion (master to another role), or a transition.
std::string transition_title(const Placed& from, const Placed& to);
/// `sc master promote` on a standby of `master`: transition_plan to the
/// master role.
std::vector<Call> promote_plan(const std::string& master = "");
/// `sc master switch NEWMASTER` (the same role, another master):
/// transition_plan from (role, old) to (role, master).
std::vector<Call> switch_plan(const RoleSpec& spec, const std::string& old, const std::string& master,
                              const std::string& self);

/// `sc master roles [ROLE]`: the table as text, and as JSON text.
std::string roles_text(const std::vector<Role>& roles);
std::string roles_json(const std::vector<Role>& roles);

}  // namespace master
