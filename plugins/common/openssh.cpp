#include "common/openssh.hpp"

namespace plugin_common::openssh {

Peer split_peer(std::string_view peer) {
  Peer p;
  if (auto at = peer.find('@'); at != std::string_view::npos) {
    p.user = std::string(peer.substr(0, at));
    peer = peer.substr(at + 1);
  }
  std::string_view port;
  if (!peer.empty() && peer[0] == '[') {
    size_t close = peer.find(']');
    p.host = std::string(peer.substr(0, close == std::string_view::npos ? peer.size() : close + 1));
    if (close != std::string_view::npos && close + 1 < peer.size()) port = peer.substr(close + 2);
  } else {
    size_t colon = peer.find(':');
    p.host = std::string(peer.substr(0, colon));
    if (colon != std::string_view::npos) port = peer.substr(colon + 1);
  }
  for (char c : port) {
    if (c < '0' || c > '9' || p.port > 65535) break;
    p.port = p.port * 10 + (c - '0');
  }
  return p;
}

std::string peer_text(const Peer& p) {
  return (p.user.empty() ? "" : p.user + "@") + p.host + (p.port > 0 ? ":" + std::to_string(p.port) : "");
}

std::vector<std::string> destination_words(const Peer& p) {
  std::vector<std::string> w;
  if (p.port > 0) w.insert(w.end(), {"-p", std::to_string(p.port)});
  if (!p.user.empty()) w.insert(w.end(), {"-l", p.user});
  std::string host = p.host;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  w.insert(w.end(), {"--", host});
  return w;
}

std::vector<std::string> client_options(const Identity& id, int connect_timeout, int alive_interval, int alive_count) {
  std::vector<std::string> w;
  if (id.config_exists) w.insert(w.end(), {"-F", id.ssh_dir + "/config"});
  for (const auto& k : id.keys) w.insert(w.end(), {"-i", k});
  w.insert(w.end(), {"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o",
                     "UserKnownHostsFile=" + id.ssh_dir + "/known_hosts", "-o",
                     "ConnectTimeout=" + std::to_string(connect_timeout), "-o",
                     "ServerAliveInterval=" + std::to_string(alive_interval), "-o",
                     "ServerAliveCountMax=" + std::to_string(alive_count)});
  return w;
}

std::string identity_problem(const plugin_common::openssh::Identity& id) {
  auto bad = [](const std::string& p) {
    for (char c : p)
      if (c == ' ' || c == '\t' || c == '"' || c == '\'' || c == '%' || c == '\\' ||
          static_cast<unsigned char>(c) < 0x20)
        return true;
    return false;
  };
  if (id.ssh_dir.empty() || id.ssh_dir[0] != '/') return "the user running sc has no home directory";
  if (bad(id.ssh_dir))
    return id.ssh_dir +
           " holds a space, a quote, a backslash, '%' or a control character, which ssh's options cannot carry";
  return "";
}

bool cpu_has_aes(std::string_view cpuinfo) {
  size_t at = 0;
  while ((at = cpuinfo.find("flags", at)) != std::string_view::npos) {
    size_t end = cpuinfo.find('\n', at);
    std::string_view line = cpuinfo.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string_view flags = line.substr(colon + 1);
      size_t i = 0;
      while (i < flags.size()) {
        while (i < flags.size() && flags[i] == ' ') ++i;
        size_t j = flags.find(' ', i);
        if (j == std::string_view::npos) j = flags.size();
        if (flags.substr(i, j - i) == "aes") return true;
        i = j;
      }
    }
    if (end == std::string_view::npos) break;
    at = end;
  }
  return false;
}

std::vector<std::string> bulk_options(bool aes) {
  if (!aes) return {};
  return {"-o", "Ciphers=^aes128-gcm@openssh.com,aes256-gcm@openssh.com"};
}

}  // namespace plugin_common::openssh
