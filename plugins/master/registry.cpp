#include "registry.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "common/peer_name.hpp"

namespace master {

using nlohmann::json;
using plugin_common::role::parse_role;
using plugin_common::role::Role;
using plugin_common::role::role_name;

std::vector<HostEntry> parse_hosts(const std::string& value) {
  std::vector<HostEntry> hosts;
  std::set<std::string> seen;
  size_t i = 0;
  while (i < value.size()) {
    if (value[i] == ' ' || value[i] == '\t') {
      ++i;
      continue;
    }
    size_t end = value.find_first_of(" \t", i);
    if (end == std::string::npos) end = value.size();
    const std::string item = value.substr(i, end - i);
    i = end;
    const size_t eq = item.rfind('=');
    if (eq == std::string::npos) throw std::invalid_argument("\"" + item + "\" is not PEER=ROLE");
    const std::string peer = item.substr(0, eq);
    const std::string why = plugin_common::peer_name::problem(peer);
    if (!why.empty()) throw std::invalid_argument("in \"" + item + "\": " + why);
    auto role = parse_role(item.substr(eq + 1));
    if (!role || *role == Role::master)
      throw std::invalid_argument("in \"" + item + "\": \"" + item.substr(eq + 1) +
                                  "\" is not a role of a host under a master (standby, backup, client, roaming)");
    if (!seen.insert(peer).second) throw std::invalid_argument("the peer " + peer + " is named twice");
    hosts.push_back(HostEntry{peer, *role});
  }
  return hosts;
}

std::string hosts_text(const std::vector<HostEntry>& hosts) {
  std::string text;
  for (const auto& h : hosts) text += (text.empty() ? "" : " ") + h.peer + "=" + role_name(h.role);
  return text;
}

std::vector<HostEntry> with_host(std::vector<HostEntry> hosts, const HostEntry& entry) {
  for (auto& h : hosts)
    if (h.peer == entry.peer) {
      h.role = entry.role;
      return hosts;
    }
  hosts.push_back(entry);
  return hosts;
}

std::vector<HostEntry> without_host(std::vector<HostEntry> hosts, const std::string& peer) {
  hosts.erase(std::remove_if(hosts.begin(), hosts.end(), [&](const HostEntry& h) { return h.peer == peer; }),
              hosts.end());
  return hosts;
}

std::string hosts_list_text(const std::vector<HostEntry>& hosts) {
  if (hosts.empty()) return "no host is registered with this master (hosts register at `sc master setup`)\n";
  size_t width = 0;
  for (const auto& h : hosts) width = std::max(width, h.peer.size());
  std::string text;
  for (const auto& h : hosts) text += h.peer + std::string(width - h.peer.size() + 2, ' ') + role_name(h.role) + "\n";
  return text;
}

json hosts_json(const std::vector<HostEntry>& hosts) {
  json out = json::array();
  for (const auto& h : hosts) out.push_back({{"peer", h.peer}, {"role", role_name(h.role)}});
  return out;
}

namespace {

/// The inventory name and connection variables of a peer name: user@host,
/// host:port and [IPv6]:port become ansible_user, ansible_host and
/// ansible_port; the name is the host part.
std::pair<std::string, json> inventory_host(const std::string& peer) {
  json vars = json::object();
  std::string rest = peer;
  const size_t at = rest.find('@');
  if (at != std::string::npos) {
    vars["ansible_user"] = rest.substr(0, at);
    rest = rest.substr(at + 1);
  }
  std::string host = rest;
  if (!rest.empty() && rest[0] == '[') {
    const size_t close = rest.find(']');
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') vars["ansible_port"] = std::stoi(rest.substr(close + 2));
  } else if (const size_t colon = rest.find(':');
             colon != std::string::npos && rest.find(':', colon + 1) == std::string::npos) {
    host = rest.substr(0, colon);
    vars["ansible_port"] = std::stoi(rest.substr(colon + 1));
  }
  if (host != peer) vars["ansible_host"] = host;
  vars["sc_peer"] = peer;
  return {host, vars};
}

}  // namespace

json inventory_json(const std::string& self, const std::vector<HostEntry>& hosts) {
  json inv = json::object();
  json hostvars = json::object();
  json children = json::array();
  for (Role r : plugin_common::role::all_roles()) {
    children.push_back(role_name(r));
    inv[role_name(r)] = {{"hosts", json::array()}};
  }
  inv["master"]["hosts"].push_back(self);
  hostvars[self] = {{"sc_role", "master"}};
  // A host is named by its host part, as one writes it for Ansible, unless
  // the master or another host has the same host part (two ports or two
  // users of one address): then by its whole peer name, unique in the list
  // (and never another host's host part, which would then not be unique).
  std::vector<std::pair<std::string, json>> parts;
  std::map<std::string, int> uses{{self, 1}};
  for (const auto& h : hosts) {
    parts.push_back(inventory_host(h.peer));
    ++uses[parts.back().first];
  }
  for (size_t i = 0; i < hosts.size(); ++i) {
    const HostEntry& h = hosts[i];
    if (h.peer == self) continue;  // the master itself (a stale item): in "master" already
    auto& [host, vars] = parts[i];
    const std::string name = uses[host] == 1 ? host : h.peer;
    vars["sc_role"] = role_name(h.role);
    vars["sc_master"] = self;
    inv[role_name(h.role)]["hosts"].push_back(name);
    hostvars[name] = vars;
  }
  inv["all"] = {{"children", children}};
  inv["_meta"] = {{"hostvars", hostvars}};
  return inv;
}

}  // namespace master
