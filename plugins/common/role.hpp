// A host's role towards its master (the setting MASTER_MODE, the original's
// names): declared by the master module, read by modules whose work depends
// on the role (user pull, free). One list of roles and their names.
#pragma once

#include <optional>
#include <sc/plugin.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace plugin_common::role {

enum class Role { master, standby, backup, client, roaming };

/// Every role, in the order the master manifest's choices list them.
const std::vector<Role>& all_roles();
/// "client" -> Role::client; nullopt for anything else.
std::optional<Role> parse_role(std::string_view text);
const char* role_name(Role role);
/// True for the roles whose cluster users' homes are kept in sync with the
/// master's (standby, roaming): user pull runs the syncs, and undoing the
/// role (master module) stops them. A client has them over NFS.
bool syncs_homes(Role role);

/// The arguments of a module's `sync HOST MODE` hook (what `sc master
/// pull` sends): the master's name and this host's role. Throws sc::Usage
/// naming the bad one (a HOST that is no host name, a MODE that is no
/// role).
struct SyncArgs {
  std::string host;
  Role role;
};
SyncArgs sync_args(const sc::Context& ctx);

}  // namespace plugin_common::role
