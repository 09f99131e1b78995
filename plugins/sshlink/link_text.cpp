#include "link_text.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "common/peer_name.hpp"
#include "common/text_split.hpp"

namespace sshlink {
namespace {

bool parse_number(std::string_view text, unsigned long long max, unsigned long long* out) {
  if (text.empty() || text.size() > 12) return false;
  unsigned long long n = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), n);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() || n > max) return false;
  *out = n;
  return true;
}

}  // namespace

bool valid_peer(std::string_view peer) {
  // The rules every module applies (plugins/common/peer_name): the core's,
  // and DNS's that libssh applies only when it connects.
  return plugin_common::peer_name::valid(peer);
}

std::string host_part(std::string_view peer) {
  std::string_view h = peer;
  if (auto at = h.find('@'); at != std::string_view::npos) h = h.substr(at + 1);
  if (!h.empty() && h[0] == '[') {
    auto close = h.find(']');
    return std::string(h.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
  }
  return std::string(h.substr(0, h.find(':')));
}

std::vector<SpeedLimit> parse_speed_limits(std::string_view text, std::vector<std::string>* bad) {
  std::vector<SpeedLimit> out;
  for (std::string_view item : plugin_common::text_split::words(text)) {
    // PEER=KBPS; the original wrote HOST:KBPS (a host without port).
    size_t sep = item.rfind('=');
    if (sep == std::string_view::npos) sep = item.rfind(':');
    unsigned long long kbps = 0;
    if (sep != std::string_view::npos && sep > 0 && valid_peer(item.substr(0, sep)) &&
        parse_number(item.substr(sep + 1), 10000000, &kbps) && kbps > 0) {
      set_speed(&out, std::string(item.substr(0, sep)), static_cast<unsigned>(kbps));
    } else if (bad) {
      bad->emplace_back(item);
    }
  }
  return out;
}

std::string format_speed_limits(const std::vector<SpeedLimit>& limits) {
  std::string s;
  for (const auto& l : limits) s += (s.empty() ? "" : " ") + l.peer + "=" + std::to_string(l.kbps);
  return s;
}

std::optional<unsigned> speed_for(const std::vector<SpeedLimit>& limits, std::string_view peer) {
  for (const auto& l : limits)
    if (l.peer == peer) return l.kbps;
  const std::string host = host_part(peer);
  for (const auto& l : limits)
    if (l.peer == host) return l.kbps;
  return std::nullopt;
}

bool set_speed(std::vector<SpeedLimit>* limits, const std::string& peer, unsigned kbps) {
  auto it = std::find_if(limits->begin(), limits->end(), [&](const SpeedLimit& l) { return l.peer == peer; });
  if (kbps == 0) {
    if (it == limits->end()) return false;
    limits->erase(it);
    return true;
  }
  if (it != limits->end()) {
    if (it->kbps == kbps) return false;
    it->kbps = kbps;
    return true;
  }
  limits->push_back({peer, kbps});
  return true;
}

bool parse_kbps(std::string_view text, unsigned* kbps) {
  unsigned long long n = 0;
  if (!parse_number(text, 10000000, &n) || n == 0) return false;
  *kbps = static_cast<unsigned>(n);
  return true;
}

const std::vector<std::string>& exclude_patterns() {
  // The original tool's list, in its order.
  static const std::vector<std::string> patterns = {
      "*.o",
      ".*.swp",
      "[cC]ache/",
      ".[cC]ache/",
      "[lL]ock",
      ".parentlock",
      ".[lL]ock",
      "*.nps",
      "*~",
      ".*~",
      ".[tT]rash*",
      "[tT]humbs.db",
      "$RECYCLE.BIN",
      "Crash Reports",
      ".nvidia-settings-rc",
      ".dmrc",
      ".xscreensaver",
      ".*authority",
      ".xsession-errors*",
      ".Trash*",
      ".viminfo",
      ".lesshst",
      ".bash_history",
      ".bash_logout",
      ".local",
      ".adobe",
      ".audacity-data",
      ".dbus",
      ".nv",
      ".wine",
      ".thumbnails",
      ".gstreamer-*",
      ".unison.*",
      "ownCloud",
      "tmp",
      "Download.*",
      "Téléchargements",
      ".cache",
  };
  return patterns;
}

bool split_source(std::string_view text, Source* out, std::string* err) {
  Source s;
  auto pos = text.find(":/");
  s.peer = std::string(text.substr(0, pos));
  if (pos != std::string_view::npos) s.dir = std::string(text.substr(pos + 1));
  if (!valid_peer(s.peer) && s.peer != "localhost") {
    *err = "\"" + std::string(text) +
           "\" is not a source: write PEER or PEER:/DIR (PEER as host, user@host, "
           "host:port or an alias of ~/.ssh/config)";
    return false;
  }
  for (char c : s.dir)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      *err = "the directory in \"" + std::string(text) + "\" contains a control character";
      return false;
    }
  *out = std::move(s);
  return true;
}

bool ImportSpec::matches(const std::string& name) const {
  return !regex || std::regex_match(name, *regex);
}

bool parse_import_spec(std::string_view text, ImportSpec* out, std::string* err) {
  ImportSpec s;
  auto slash = text.find('/');
  s.module = std::string(text.substr(0, slash));
  bool ok = !s.module.empty() && s.module.size() <= 64 && s.module[0] >= 'a' && s.module[0] <= 'z';
  for (char c : s.module) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  if (!ok) {
    *err = "\"" + std::string(text) +
           "\": expected MODULE or MODULE/REGEX (a module name is lower-case letters, "
           "digits and '-')";
    return false;
  }
  if (slash != std::string_view::npos) {
    s.pattern = std::string(text.substr(slash + 1));
    try {
      s.regex.emplace(s.pattern, std::regex::extended);
    } catch (const std::regex_error& e) {
      *err = "\"" + s.pattern + "\" is not a valid extended regular expression (" + e.what() + ")";
      return false;
    }
  }
  *out = std::move(s);
  return true;
}

bool valid_setting_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] < 'A' || name[0] > 'Z') return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; });
}

std::vector<std::string> parse_file_list(std::string_view text) {
  return plugin_common::text_split::nonempty_lines(text, plugin_common::text_split::Cr::strip);
}

std::string settings_file_text(const std::string& peer,
                               const std::vector<std::pair<std::string, std::string>>& values) {
  auto sorted = values;
  std::sort(sorted.begin(), sorted.end());
  std::string t = "# sc-settings 1\n# Settings of " + peer + ", read by `sc sshlink getsettings`.\n";
  for (const auto& [name, value] : sorted)
    t += name + "=" + nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return t;
}

}  // namespace sshlink
