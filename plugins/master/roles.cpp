#include "roles.hpp"

namespace master {

const std::vector<Role>& all_roles() {
  static const std::vector<Role> roles{Role::master, Role::standby, Role::backup, Role::client, Role::roaming};
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
  return "?";
}

bool valid_setting_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] < 'A' || name[0] > 'Z') return false;
  for (char c : name)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

std::string status_text(std::optional<Role> role, const std::string& master, bool reachable, const std::string& why) {
  if (!role)
    return "this host has no role (MASTER_MODE is not set): a host of its own; `sc master setup` gives it one\n";
  if (*role == Role::master) return "this host is the master\n";
  std::string text = "this host is a " + std::string(role_name(*role)) + " host of the master " + master + "\n";
  if (reachable) return text + master + " answers (SSH, our key accepted)\n";
  return text + master + " does not answer: " + (why.empty() ? "unreachable" : why) + "\n";
}

}  // namespace master
