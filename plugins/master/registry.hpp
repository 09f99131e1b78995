// The master's host registry (the setting MASTER_HOSTS): every host that
// took a role under this master, as `PEER=ROLE` items separated by spaces.
// Hosts register themselves at `sc master setup` and leave at cleanup or
// switch; `sc status --all`, `sc master exec --all` and the Ansible
// inventory read it. Pure functions, unit-tested.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/role.hpp"

namespace master {

inline constexpr const char* kHostsSetting = "MASTER_HOSTS";

struct HostEntry {
  std::string peer;  ///< how the master reaches it: host, user@host, host:port
  plugin_common::role::Role role;
  bool operator==(const HostEntry& o) const { return peer == o.peer && role == o.role; }
};

/// MASTER_HOSTS read back, in its order. Throws std::invalid_argument
/// naming the item that is not `PEER=ROLE` (a valid peer name, a role other
/// than master) or a peer named twice.
std::vector<HostEntry> parse_hosts(const std::string& value);
/// The value of MASTER_HOSTS for `hosts`.
std::string hosts_text(const std::vector<HostEntry>& hosts);
/// `hosts` with `entry` in (its role replaced when the peer is there).
std::vector<HostEntry> with_host(std::vector<HostEntry> hosts, const HostEntry& entry);
/// `hosts` without `peer`.
std::vector<HostEntry> without_host(std::vector<HostEntry> hosts, const std::string& peer);

/// `sc master hosts` as text: one "PEER ROLE" line each, or a line saying
/// none registered.
std::string hosts_list_text(const std::vector<HostEntry>& hosts);
/// ... and as JSON: [{"peer": ..., "role": ...}].
nlohmann::json hosts_json(const std::vector<HostEntry>& hosts);

/// Ansible's dynamic-inventory document for the cluster: a group per role
/// (the master `self` in "master"), each host's `sc_role`, `sc_peer`,
/// `sc_master` and connection variables (ansible_user, ansible_host,
/// ansible_port from user@host:port or [IPv6]:port) in _meta.hostvars. A
/// host is named by its host part, or by its whole peer name when the
/// master or another host has the same host part; an item naming `self`
/// is the master, listed once.
nlohmann::json inventory_json(const std::string& self, const std::vector<HostEntry>& hosts);

}  // namespace master
