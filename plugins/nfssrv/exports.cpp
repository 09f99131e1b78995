#include "exports.hpp"

#include <algorithm>
#include <set>

#include "common/host_address.hpp"
#include "common/text_split.hpp"

namespace nfssrv {
namespace {

namespace host_address = plugin_common::host_address;

bool digit(char c) {
  return c >= '0' && c <= '9';
}

/// A prefix length from 0 to `max`.
bool valid_prefix(std::string_view s, int max) {
  if (s.empty() || s.size() > 3 || !std::all_of(s.begin(), s.end(), digit) || (s.size() > 1 && s[0] == '0'))
    return false;
  return std::stoi(std::string(s)) <= max;
}

std::string header(bool ganesha) {
  return std::string("# Written by sc nfssrv from the settings NFSSRV_EXPORTS and NFSSRV_CLIENTS") +
         (ganesha ? " (and NFSSRV_GANESHA_PORT,\n# NFSSRV_GANESHA_BIND)" : "") +
         ": change them with\n"
         "# `sc nfssrv add|del PATH` and `sc nfssrv allow|deny CLIENT`; edits made here are replaced.\n";
}

std::string notes(const Exports& e) {
  std::string out;
  for (const auto& m : e.missing) out += "# " + m + " is not a directory on this host: not exported.\n";
  if (e.paths.empty() && e.missing.empty()) out += "# No directory to export (sc nfssrv add PATH).\n";
  if (e.clients.empty()) out += "# No client is allowed (sc nfssrv allow CLIENT): nothing is exported.\n";
  return out;
}

}  // namespace

constexpr const char* kHeaderStart = "# Written by sc nfssrv ";

std::string client_problem(std::string_view client) {
  if (client.empty()) return "it is empty";
  if (client.find_first_of("*?") != std::string_view::npos)
    return "wildcards are refused: exports go to named hosts and networks only";
  if (client.size() > 253) return "it is longer than 253 bytes";
  const size_t slash = client.find('/');
  std::string_view address = client.substr(0, slash);
  std::string_view prefix = slash == std::string_view::npos ? std::string_view() : client.substr(slash + 1);
  if (address.find(':') != std::string_view::npos) {
    if (!host_address::is_ipv6(address)) return "an IPv6 address is hexadecimal digits, ':' and '.' (fd00::1)";
    if (slash != std::string_view::npos && !valid_prefix(prefix, 128)) return "an IPv6 prefix length is 0 to 128";
    return {};
  }
  if (std::all_of(address.begin(), address.end(), [](char c) { return digit(c) || c == '.'; })) {
    if (!host_address::is_ipv4(address)) return "it is neither a host name nor an IPv4 address";
    if (slash != std::string_view::npos && !valid_prefix(prefix, 32)) return "an IPv4 prefix length is 0 to 32";
    return {};
  }
  if (slash != std::string_view::npos) return "a network is an IP address and a prefix length (10.0.0.0/24)";
  return host_address::name_or_ipv4_problem(address);
}

bool valid_address(std::string_view address) {
  return host_address::is_ipv4(address) || host_address::is_ipv6(address);
}

std::vector<std::string> list_items(std::string_view text) {
  std::vector<std::string> out;
  for (auto w : plugin_common::text_split::words(text)) {
    std::string item(w);
    if (std::find(out.begin(), out.end(), item) == out.end()) out.push_back(std::move(item));
  }
  return out;
}

std::string join_items(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : " ") + i;
  return out;
}

std::string exports_file(const Exports& e) {
  std::string out = header(false) + notes(e);
  if (e.clients.empty()) return out;
  for (const auto& p : e.paths) {
    out += p;
    for (const auto& c : e.clients) out += " " + c + "(" + kKernelOptions + ")";
    out += "\n";
  }
  return out;
}

std::map<std::string, std::uint16_t> export_ids(const std::vector<std::string>& paths) {
  std::set<std::string> sorted(paths.begin(), paths.end());
  std::set<std::uint16_t> used;
  std::map<std::string, std::uint16_t> out;
  for (const auto& p : sorted) {
    std::uint32_t h = 2166136261u;
    for (unsigned char c : p) {
      h ^= c;
      h *= 16777619u;
    }
    // 0 is the pseudo file system's; 1-65535 are ours.
    auto id = static_cast<std::uint16_t>(h % 65535u + 1u);
    while (used.count(id)) id = static_cast<std::uint16_t>(id % 65535u + 1u);
    used.insert(id);
    out[p] = id;
  }
  return out;
}

std::string ganesha_conf(const Exports& e, const Listen& l) {
  std::string out = header(true) + notes(e);
  out +=
      "\n"
      "NFS_CORE_PARAM {\n"
      "    # NFSv4 over TCP only: no rpcbind, no NLM, no RQUOTA.\n"
      "    Protocols = 4;\n"
      "    NFS_Port = " +
      std::to_string(l.port) + ";\n";
  if (!l.bind.empty()) out += "    Bind_addr = " + l.bind + ";\n";
  out +=
      "    Enable_NLM = false;\n"
      "    Enable_RQUOTA = false;\n"
      "}\n";
  if (e.clients.empty()) return out;
  std::string clients;
  for (const auto& c : e.clients) clients += (clients.empty() ? "" : ", ") + c;
  const auto ids = export_ids(e.paths);
  for (const auto& p : e.paths) {
    out += "\nEXPORT {\n    Export_Id = " + std::to_string(ids.at(p)) +
           ";\n"
           "    Path = \"" +
           p + "\";\n    Pseudo = \"" + p +
           "\";\n"
           "    Protocols = 4;\n"
           "    Transports = TCP;\n"
           "    SecType = sys;\n"
           "    Squash = Root_Squash;\n"
           "    Anonymous_Uid = 65534;\n"
           "    Anonymous_Gid = 65534;\n"
           "    Access_Type = None;\n"
           "    FSAL {\n"
           "        Name = VFS;\n"
           "    }\n"
           "    CLIENT {\n"
           "        Clients = " +
           clients +
           ";\n"
           "        Protocols = 4;\n"
           "        Access_Type = RW;\n"
           "    }\n"
           "}\n";
  }
  return out;
}

std::string ganesha_core_block(std::string_view conf) {
  size_t start = conf.find("\nNFS_CORE_PARAM {\n");
  if (start == std::string_view::npos) return {};
  size_t end = conf.find("\n}\n", start + 1);
  return std::string(conf.substr(start + 1, end == std::string_view::npos ? std::string_view::npos : end + 2 - start));
}

bool written_by_sc(std::string_view text) {
  return text.substr(0, std::string_view(kHeaderStart).size()) == kHeaderStart;
}

bool has_content(std::string_view text) {
  for (auto line : plugin_common::text_split::lines(text, plugin_common::text_split::Cr::strip)) {
    size_t i = line.find_first_not_of(" \t");
    if (i != std::string_view::npos && line[i] != '#') return true;
  }
  return false;
}

std::string server_name(Server s) {
  return s == Server::kernel ? "kernel" : "ganesha";
}

Server choose_server(std::string_view setting, std::string_view proc_filesystems, bool nfsd_module, std::string* why) {
  auto say = [&](const std::string& w) {
    if (why) *why = w;
  };
  if (setting == "kernel") {
    say("NFSSRV_SERVER is kernel");
    return Server::kernel;
  }
  if (setting == "ganesha") {
    say("NFSSRV_SERVER is ganesha");
    return Server::ganesha;
  }
  for (auto line : plugin_common::text_split::lines(proc_filesystems)) {
    auto w = plugin_common::text_split::words(line);
    if (!w.empty() && w.back() == "nfsd") {
      say("the kernel has an NFS server (nfsd in /proc/filesystems)");
      return Server::kernel;
    }
  }
  if (nfsd_module) {
    say("the kernel's NFS server module (nfsd) can be loaded");
    return Server::kernel;
  }
  say("the kernel has no NFS server (no nfsd in /proc/filesystems, no nfsd module, as in a container): "
      "NFS-Ganesha serves the exports");
  return Server::ganesha;
}

}  // namespace nfssrv
