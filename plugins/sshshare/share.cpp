#include "share.hpp"

#include <algorithm>

#include "common/share_path.hpp"

namespace sshshare {
namespace {

namespace fstab = plugin_common::fstab;
using plugin_common::share_path::clean;

bool control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// The port of a port= option (ssh takes option names in any case), 0 when
// there is none.
int port_option(std::string_view options) {
  int port = 0;
  size_t start = 0;
  while (start <= options.size()) {
    size_t comma = options.find(',', start);
    if (comma == std::string_view::npos) comma = options.size();
    std::string_view opt = options.substr(start, comma - start);
    std::string lower(opt.substr(0, 5));
    std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; });
    if (lower == "port=") {
      int n = 0;
      std::string_view digits = opt.substr(5);
      bool ok = !digits.empty() && digits.size() <= 5;
      for (char c : digits) {
        ok = ok && c >= '0' && c <= '9';
        if (ok) n = n * 10 + (c - '0');
      }
      port = ok ? n : -1;
    }
    start = comma + 1;
  }
  return port;
}

}  // namespace

std::string path_problem(std::string_view path, bool is_mount_point) {
  if (path.empty()) return "it is empty";
  if (path[0] != '/') return "it must be an absolute path (starting with '/')";
  if (path.size() > 4095) return "it is longer than 4095 bytes";
  if (std::any_of(path.begin(), path.end(), control))
    return "it contains a control character (newline, tab, escape...), which has no place in a file name";
  if (path == "/") return is_mount_point ? "a share cannot be mounted on / itself" : "";
  if (path.back() == '/') return "write it without a '/' at its end";
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view comp = path.substr(start, slash - start);
    if (comp.empty() || comp == "." || comp == "..")
      return "write it without empty, '.' or '..' components (as the canonical path of the directory)";
    start = slash + 1;
  }
  return {};
}

std::string option_file_problem(std::string_view file) {
  if (file.empty() || file[0] != '/') return "it is not an absolute path";
  for (char c : file) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '.' ||
              c == '_' || c == '+' || c == '-' || c == '@';
    if (!ok)
      return "it holds a character other than letters, digits and \"/._+-@\", which the options field of an fstab "
             "line cannot carry";
  }
  return {};
}

Timeouts timeouts_for(int seconds) {
  Timeouts t;
  // ssh sends a keep-alive after each interval without news from the peer
  // and gives up when CountMax of them went unanswered: about (CountMax + 1)
  // intervals after the last answer, measured 39.6 s for 10 s and 3.
  t.alive_count = 3;
  t.alive_interval = std::max(1, (seconds + t.alive_count) / (t.alive_count + 1));
  t.connect = t.alive_interval;
  return t;
}

std::string mount_options(const Peer& peer, int timeout_seconds, const SshFiles& files) {
  const Timeouts t = timeouts_for(timeout_seconds);
  // Mounted on first access by systemd (after the network), never at boot;
  // reconnect after a dropped connection; keep-alives and a connect timeout
  // so that an access to a peer that stopped answering fails instead of
  // waiting for ever; ssh never asks anything (no terminal at mount time)
  // and trusts only the host key `sshlink add` recorded, with our key; then
  // the original's own options.
  std::string o = "noauto,x-systemd.automount,_netdev,reconnect";
  o += ",ServerAliveInterval=" + std::to_string(t.alive_interval);
  o += ",ServerAliveCountMax=" + std::to_string(t.alive_count);
  o += ",ConnectTimeout=" + std::to_string(t.connect);
  o += ",BatchMode=yes,StrictHostKeyChecking=yes";
  o += ",UserKnownHostsFile=" + files.known_hosts;
  o += ",IdentityFile=" + files.identity;
  if (peer.port > 0) o += ",port=" + std::to_string(peer.port);
  o += ",idmap=user,transform_symlinks,allow_other,default_permissions";
  return o;
}

std::string source(const Peer& peer, std::string_view remote) {
  return (peer.user.empty() ? "" : peer.user + "@") + peer.host + ":" + std::string(remote);
}

std::string fstab_line(std::string_view source, std::string_view path, std::string_view options) {
  return fstab::escape(source) + " " + fstab::escape(path) + " " + kFsType + " " + fstab::escape(options) + " 0 0\n";
}

bool is_sshfs(const fstab::Entry& e) {
  return e.vfstype == "fuse.sshfs" || e.vfstype == "sshfs";
}

std::optional<Share> share_of(const fstab::Entry& e) {
  std::string_view spec = e.spec;
  Share s;
  // As sshfs splits its source: the first ':' outside brackets ends
  // [user@]host, and the last '@' in that part ends the user.
  size_t colon = 0;
  bool in_brackets = false;
  for (; colon < spec.size(); ++colon) {
    if (spec[colon] == '[') in_brackets = true;
    if (spec[colon] == ']') in_brackets = false;
    if (spec[colon] == ':' && !in_brackets) break;
  }
  if (colon >= spec.size()) return std::nullopt;
  std::string_view host = spec.substr(0, colon);
  if (size_t at = host.rfind('@'); at != std::string_view::npos) {
    s.peer.user = std::string(host.substr(0, at));
    host = host.substr(at + 1);
  }
  if (host.empty()) return std::nullopt;
  s.peer.host = std::string(host);
  s.remote = std::string(spec.substr(colon + 1));
  int port = port_option(e.options);
  s.peer.port = port > 0 ? port : 0;
  s.path = e.file;
  s.options = e.options;
  return s;
}

bool same_share(const Share& a, const Share& b) {
  auto port = [](int p) { return p > 0 ? p : 22; };
  return a.peer.user == b.peer.user && a.peer.host == b.peer.host && port(a.peer.port) == port(b.peer.port) &&
         a.remote == b.remote && clean(a.path) == clean(b.path);
}

AddPlan plan_add(std::string_view text, std::string_view path, std::string_view line) {
  AddPlan plan;
  plan.text = std::string(text);
  std::string_view new_text = line;
  if (!new_text.empty() && new_text.back() == '\n') new_text.remove_suffix(1);
  const std::vector<fstab::Line> lines = fstab::split(text);
  std::vector<size_t> ours;
  for (const auto& e : fstab::entries_on(text, path)) {
    std::string_view raw = lines[e.line].text;
    if (!is_sshfs(e)) {
      plan.conflict = "/etc/fstab already mounts " + e.vfstype + " " + e.spec + " on it (the line \"" +
                      std::string(raw) +
                      "\"); remove that entry first (for a share of another module, with that module's del)";
      plan.replaced.clear();
      return plan;
    }
    ours.push_back(e.line);
    // A line ended "\r\n" keeps its '\r' (with_line): the same line.
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    if (raw != new_text)
      if (auto s = share_of(e)) plan.replaced.push_back(*s);
  }
  plan.text = fstab::with_line(text, ours, new_text);
  return plan;
}

DelPlan plan_del(std::string_view text, const Share& wanted) {
  DelPlan plan;
  std::vector<size_t> drop;
  for (const auto& e : fstab::entries(text)) {
    std::optional<Share> s = is_sshfs(e) ? share_of(e) : std::nullopt;
    if (!s) continue;
    if (same_share(*s, wanted))
      drop.push_back(e.line);
    else if (s->path == clean(wanted.path))
      plan.others.push_back(*s);
  }
  plan.removed = static_cast<int>(drop.size());
  plan.text = fstab::without_lines(text, drop);
  return plan;
}

std::vector<Share> list_shares(std::string_view text) {
  std::vector<Share> out;
  for (const auto& e : fstab::entries(text))
    if (is_sshfs(e))
      if (auto s = share_of(e)) out.push_back(std::move(*s));
  return out;
}

bool sshfs_mounted(const std::vector<fstab::Mount>& mounts, std::string_view source) {
  return std::any_of(mounts.begin(), mounts.end(),
                     [&](const fstab::Mount& m) { return m.fstype == kFsType && m.source == source; });
}

bool automounted(const std::vector<fstab::Mount>& mounts) {
  return std::any_of(mounts.begin(), mounts.end(), [](const fstab::Mount& m) { return m.fstype == "autofs"; });
}

}  // namespace sshshare
