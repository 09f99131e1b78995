#include "role.hpp"

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

}  // namespace plugin_common::role
