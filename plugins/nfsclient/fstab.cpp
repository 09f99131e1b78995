#include "fstab.hpp"

#include <algorithm>

#include "common/host_address.hpp"
#include "common/text_split.hpp"

namespace nfsclient {
namespace {

namespace fstab = plugin_common::fstab;

bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

/// The lines of `text`, each with its '\n' (the last one may lack it).
std::vector<std::string_view> raw_lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    out.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

std::string_view without_newline(std::string_view raw) {
  if (!raw.empty() && raw.back() == '\n') raw.remove_suffix(1);
  return raw;
}

bool has_option(std::string_view options, std::string_view wanted) {
  size_t pos = 0;
  while (pos <= options.size()) {
    size_t comma = options.find(',', pos);
    if (comma == std::string_view::npos) comma = options.size();
    if (options.substr(pos, comma - pos) == wanted) return true;
    pos = comma + 1;
  }
  return false;
}

/// The line indexes of `entries`, for fstab's edits.
std::vector<size_t> lines_of(const std::vector<fstab::Entry>& entries) {
  std::vector<size_t> out;
  for (const auto& e : entries) out.push_back(e.line);
  return out;
}

}  // namespace

std::string server_problem(std::string_view server) {
  if (server.empty()) return "it is empty";
  if (server.front() == '[') {
    if (server.back() != ']' || !plugin_common::host_address::is_ipv6(server.substr(1, server.size() - 2)))
      return "an IPv6 address in brackets is hexadecimal digits, ':' and '.' ([fd00::1])";
    return {};
  }
  if (server.find('@') != std::string_view::npos)
    return "it holds '@': NFS takes a host, not user@host (the user is the one of each file access)";
  if (std::count(server.begin(), server.end(), ':') == 1)
    return "it holds ':': NFS takes a host without a port (NFSv4 uses port 2049)";
  if (server.find(':') != std::string_view::npos) return "write an IPv6 address in brackets: [fd00::1]";
  return plugin_common::host_address::name_or_ipv4_problem(server);
}

std::string mount_options(bool cache) {
  return std::string("rw,hard,rsize=131072,wsize=131072,_netdev,noauto,x-systemd.automount") + (cache ? ",fsc" : "");
}

std::string fstab_line(const Mount& m) {
  return fstab::escape(m.server + ":" + m.remote) + " " + fstab::escape(m.path) + " nfs4 " + mount_options(m.cache) +
         " 0 0";
}

bool is_nfs(const fstab::Entry& e) {
  return e.vfstype == "nfs" || e.vfstype == "nfs4";
}

std::optional<Mount> mount_of(const fstab::Entry& e) {
  if (!is_nfs(e)) return std::nullopt;
  size_t colon;
  if (!e.spec.empty() && e.spec[0] == '[') {
    size_t close = e.spec.find(']');
    if (close == std::string::npos || close + 1 >= e.spec.size() || e.spec[close + 1] != ':') return std::nullopt;
    colon = close + 1;
  } else {
    colon = e.spec.find(':');
    if (colon == std::string::npos) return std::nullopt;
  }
  Mount m;
  m.server = e.spec.substr(0, colon);
  m.remote = e.spec.substr(colon + 1);
  if (m.server.empty() || m.remote.empty() || m.remote[0] != '/') return std::nullopt;
  m.path = e.file;
  m.cache = has_option(e.options, "fsc");
  return m;
}

bool managed(const fstab::Entry& e) {
  if (!is_nfs(e)) return false;
  if (e.vfstype == "nfs4" && (e.options == mount_options(false) || e.options == mount_options(true))) return true;
  // What the original tool wrote (with its wait for LightDM).
  const std::string original =
      "rw,rsize=131072,wsize=131072,_netdev,hard,noauto,x-systemd.requires=lightdm.service,"
      "x-systemd.automount";
  return e.vfstype == "nfs4" && (e.options == original || e.options == original + ",proto=tcp,fsc");
}

std::optional<fstab::Entry> other_mount_on(std::string_view text, std::string_view path) {
  for (auto& e : fstab::entries_on(text, path))
    if (!is_nfs(e)) return std::move(e);
  return std::nullopt;
}

std::vector<fstab::Entry> nfs_entries_on(std::string_view text, std::string_view path) {
  std::vector<fstab::Entry> out;
  for (auto& e : fstab::entries_on(text, path))
    if (is_nfs(e)) out.push_back(std::move(e));
  return out;
}

std::string with_mount(std::string_view text, const Mount& m) {
  return fstab::with_line(text, lines_of(nfs_entries_on(text, m.path)), fstab_line(m));
}

std::string without_mount(std::string_view text, std::string_view path) {
  return fstab::without_lines(text, lines_of(nfs_entries_on(text, path)));
}

std::string cachefilesd_default_with_run(std::string_view text) {
  auto lines = raw_lines(text);
  auto assignment = [](std::string_view body) -> std::optional<std::string_view> {
    size_t i = body.find_first_not_of(" \t");
    if (i == std::string_view::npos || body.substr(i, 4) != "RUN=") return std::nullopt;
    std::string_view v = body.substr(i + 4);
    while (!v.empty() && blank(v.back())) v.remove_suffix(1);
    return v;
  };
  auto commented = [](std::string_view body) {
    size_t i = body.find_first_not_of(" \t");
    if (i == std::string_view::npos || body[i] != '#') return false;
    size_t j = body.find_first_not_of(" \t", i + 1);
    return j != std::string_view::npos && body.substr(j, 4) == "RUN=";
  };
  bool any = false;
  std::string out;
  for (std::string_view raw : lines) {
    std::string_view body = without_newline(raw);
    auto v = assignment(body);
    if (!v) {
      out += raw;
      continue;
    }
    any = true;
    if (*v == "yes" || *v == "\"yes\"" || *v == "'yes'")
      out += raw;
    else
      out += "RUN=yes" + std::string(raw.substr(body.size()));
  }
  if (any) return out;
  out.clear();
  bool done = false;
  for (std::string_view raw : lines) {
    std::string_view body = without_newline(raw);
    if (!done && commented(body)) {
      out += "RUN=yes" + std::string(raw.substr(body.size()));
      done = true;
    } else {
      out += raw;
    }
  }
  if (done) return out;
  if (!out.empty() && out.back() != '\n') out += '\n';
  return out + "RUN=yes\n";
}

bool cachefilesd_runs(std::string_view text) {
  return cachefilesd_default_with_run(text) == text;
}

std::string cachefilesd_dir(std::string_view conf) {
  // "dir PATH", one command a line; '#' starts a comment line.
  std::string dir;
  for (std::string_view line : plugin_common::text_split::lines(conf, plugin_common::text_split::Cr::strip)) {
    auto w = plugin_common::text_split::words(line);
    if (w.size() == 2 && w[0] == "dir") dir = std::string(w[1]);
  }
  return dir;
}

}  // namespace nfsclient
