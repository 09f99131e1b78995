// The master module's pure part: this host's role in the cluster and the
// text the commands print about it, without sc (unit-tested byte for byte).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace master {

/// A host's role towards the master (the setting MASTER_MODE).
enum class Role { master, standby, backup, client, roaming };

/// Every role, in the order the manifest's choices list them.
const std::vector<Role>& all_roles();
/// "client" -> Role::client; nullopt for anything else.
std::optional<Role> parse_role(std::string_view text);
const char* role_name(Role role);

/// A setting name: an upper-case letter, then upper-case letters, digits
/// and '_', at most 64 characters (the core's rule).
bool valid_setting_name(std::string_view name);

/// What `sc master status` prints. `role` is nullopt when MASTER_MODE is
/// unset; `reachable`/`why` matter for the roles that have a master.
std::string status_text(std::optional<Role> role, const std::string& master, bool reachable, const std::string& why);

}  // namespace master
