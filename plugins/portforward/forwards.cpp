#include "forwards.hpp"

#include <algorithm>

#include "common/host_address.hpp"
#include "common/peer_name.hpp"
#include "common/shell_words.hpp"

namespace portforward {

namespace {

bool plain(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

std::uint32_t fnv1a(std::string_view s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

}  // namespace

std::string port_problem(std::string_view port) {
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
      port[0] == '0')
    return "\"" + std::string(port) + "\" is not a port number (1 to 65535)";
  if (std::stoi(std::string(port)) > 65535) return "\"" + std::string(port) + "\" is above 65535";
  return "";
}

std::vector<Forward> parse_list(std::string_view text, std::vector<std::string>* bad) {
  std::vector<Forward> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n')) ++i;
    size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\t' && text[j] != '\n') ++j;
    if (j == i) break;
    std::string_view item = text.substr(i, j - i);
    i = j;
    size_t colon = item.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || !port_problem(item.substr(colon + 1)).empty() ||
        !plugin_common::peer_name::valid(item.substr(0, colon))) {
      if (bad) bad->emplace_back(item);
      continue;
    }
    Forward f{std::string(item.substr(0, colon)), std::stoi(std::string(item.substr(colon + 1)))};
    if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
  }
  return out;
}

std::string item_text(const Forward& f) {
  return f.host + ":" + std::to_string(f.port);
}

std::string list_text(const std::vector<Forward>& list) {
  std::string out;
  for (const auto& f : list) out += (out.empty() ? "" : " ") + item_text(f);
  return out;
}

std::vector<std::string> hosts(const std::vector<Forward>& list) {
  std::vector<std::string> out;
  for (const auto& f : list)
    if (std::find(out.begin(), out.end(), f.host) == out.end()) out.push_back(f.host);
  return out;
}

std::vector<int> ports_of(const std::vector<Forward>& list, const std::string& host) {
  std::vector<int> out;
  for (const auto& f : list)
    if (f.host == host) out.push_back(f.port);
  return out;
}

std::string instance_name(std::string_view host) {
  const bool is_plain = !host.empty() && host.size() <= 100 && host[0] != '.' && host[0] != '-' && host[0] != '_' &&
                        std::all_of(host.begin(), host.end(), plain);
  if (is_plain) return std::string(host);
  std::string out;
  for (char c : host.substr(0, 80)) out += plain(c) ? c : '_';
  while (!out.empty() &&
         !((out[0] >= 'a' && out[0] <= 'z') || (out[0] >= 'A' && out[0] <= 'Z') || (out[0] >= '0' && out[0] <= '9')))
    out.erase(0, 1);
  char hash[16];
  std::snprintf(hash, sizeof hash, "%08x", static_cast<unsigned>(fnv1a(host)));
  return (out.empty() ? "h" : out) + "-" + hash;
}

std::string tunnel_fix(const std::string& host, const std::vector<int>& ports, bool unit_exists) {
  if (!unit_exists && !ports.empty())
    return plugin_common::shell_words::command({"sc", "portforward", "add", host, std::to_string(ports.front())});
  return plugin_common::tunnel::restart_command(kModule, instance_name(host));
}

std::string bind_problem(std::string_view bind) {
  if (bind == "localhost" || bind == "*") return "";
  if (bind.size() > 2 && bind.front() == '[' && bind.back() == ']')
    return plugin_common::host_address::is_ipv6(bind.substr(1, bind.size() - 2))
               ? ""
               : "\"" + std::string(bind) + "\" is not an IPv6 address in brackets";
  if (std::string why = plugin_common::host_address::name_or_ipv4_problem(bind); !why.empty())
    return "\"" + std::string(bind) + "\": " + why;
  return "";
}

plugin_common::tunnel::Spec spec(const std::string& host, const std::vector<int>& ports, const std::string& bind,
                                 int keepalive, int connect_timeout, bool aes,
                                 const plugin_common::openssh::Identity& id) {
  namespace os = plugin_common::openssh;
  plugin_common::tunnel::Spec s;
  s.module = kModule;
  s.instance = instance_name(host);
  const std::string ctl = plugin_common::tunnel::control_path(kModule, s.instance);
  const auto options = os::client_options(id, connect_timeout, keepalive, 3);
  const auto dest = os::destination_words(os::split_peer(host));
  std::string list;
  for (int p : ports) list += (list.empty() ? "" : ", ") + std::to_string(p);
  s.target = (ports.size() == 1 ? "port " : "ports ") + list + " of " + host + " on " + bind;

  s.ssh = {"ssh"};
  s.ssh.insert(s.ssh.end(), options.begin(), options.end());
  const auto bulk = os::bulk_options(aes);
  s.ssh.insert(s.ssh.end(), bulk.begin(), bulk.end());
  s.ssh.insert(s.ssh.end(), {"-o", "ExitOnForwardFailure=yes", "-o", "ControlMaster=yes", "-o", "ControlPath=" + ctl,
                             "-o", "ControlPersist=no", "-N"});
  for (int p : ports)
    s.ssh.insert(s.ssh.end(), {"-L", bind + ":" + std::to_string(p) + ":localhost:" + std::to_string(p)});
  s.ssh.insert(s.ssh.end(), dest.begin(), dest.end());

  s.probe = {"ssh", "-o", "ControlPath=" + ctl, "-O", "check"};
  s.probe.insert(s.probe.end(), dest.begin(), dest.end());
  return s;
}

}  // namespace portforward
