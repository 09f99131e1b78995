#include "role.hpp"

#include "peer_name.hpp"

namespace plugin_common::role {

const std::vector<Role>& all_roles() {
  static const std::vector<Role> roles = {Role::master, Role::standby, Role::backup, Role::client, Role::roaming};
  return roles;
}

std::optional<Role> parse_role(std::string_view text) {
  for (Role r : all_roles())
    if (text == role_name(r)) return r;
  return std::nullopt;
}

const char* role_name(Role role) {
  switch (role) {
    case Role::master:
      return "master";
    case Role::standby:
      return "standby";
    case Role::backup:
      return "backup";
    case Role::client:
      return "client";
    case Role::roaming:
      return "roaming";
  }
  return "";
}

bool syncs_homes(Role role) {
  return role == Role::standby || role == Role::roaming;
}

SyncArgs sync_args(const sc::Context& ctx) {
  ctx.expect_args(2, 2, "HOST MODE");
  SyncArgs a{peer_name::checked(ctx.arg(0), "HOST"), Role::master};
  const auto role = parse_role(ctx.arg(1));
  if (!role)
    throw sc::Usage("MODE \"" + ctx.arg(1) + "\" is not a role: use master, standby, backup, client or roaming");
  a.role = *role;
  return a;
}

}  // namespace plugin_common::role
