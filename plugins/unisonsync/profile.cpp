#include "profile.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/openssh.hpp"

namespace unisonsync {

namespace {

using nlohmann::json;

constexpr const char* kHeader = "# sc-unisonsync ";
constexpr size_t kMaxPath = 1024;
constexpr size_t kMaxNamePart = 96;

bool alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/// Length of the UTF-8 sequence starting at s[i], or 0 when it is not one.
size_t utf8_length(std::string_view s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xe ? 3 : (b >> 3) == 0x1e ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
  return n;
}

std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t h = 1469598103934665603ull;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find_first_of("\r\n", start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

bool valid_utf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    size_t n = utf8_length(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

bool valid_period(std::string_view period) {
  return std::any_of(std::begin(kPeriods), std::end(kPeriods), [&](const char* p) { return period == p; });
}

std::string path_problem(std::string_view path) {
  if (path.empty()) return "is empty";
  if (path[0] != '/') return "is not an absolute path";
  if (path.size() > kMaxPath) return "is longer than " + std::to_string(kMaxPath) + " bytes";
  for (size_t i = 0; i < path.size();) {
    const auto c = static_cast<unsigned char>(path[i]);
    if (c < 0x20 || c == 0x7f) return "contains a control character";
    size_t n = utf8_length(path, i);
    if (n == 0) return "is not valid UTF-8";
    i += n;
  }
  if (path.back() == ' ' || path.back() == '\t') return "ends with white space (unison would drop it)";
  const std::string normal = normal_path(path);
  if (normal == "/") return "is the root directory: synchronise a directory under it";
  for (size_t start = 1; start <= normal.size();) {
    size_t end = normal.find('/', start);
    if (end == std::string::npos) end = normal.size();
    std::string_view part = std::string_view(normal).substr(start, end - start);
    if (part.empty()) return "has an empty component (\"//\")";
    if (part == "." || part == "..") return "has a \".\" or \"..\" component";
    start = end + 1;
  }
  return "";
}

std::string normal_path(std::string_view path) {
  std::string p(path);
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::string profile_name(std::string_view host, std::string_view remote, std::string_view period) {
  bool lossy = false;
  std::string h, p;
  for (char c : host) {
    bool keep = alnum(c) || c == '.' || c == '-';
    lossy |= !keep;
    h += keep ? c : '_';
  }
  for (char c : remote) {
    lossy |= !alnum(c) && c != '/';
    p += alnum(c) ? c : '_';
  }
  if (h.size() > kMaxNamePart) {
    h.resize(kMaxNamePart);
    lossy = true;
  }
  if (p.size() > kMaxNamePart) {
    p.resize(kMaxNamePart);
    lossy = true;
  }
  std::string name = std::string(period.empty() ? "manual" : period) + ":" + h + ":" + p;
  if (lossy) {
    char hash[16];
    std::string key = std::string(host) + '\0' + std::string(remote);
    std::snprintf(hash, sizeof hash, ".%08x", static_cast<unsigned>(fnv1a(key) & 0xffffffffu));
    name += hash;
  }
  return name;
}

std::string remote_root(std::string_view host, std::string_view remote) {
  return "ssh://" + std::string(host) + "/" + std::string(remote);
}

std::vector<std::string> ssh_words(const std::string& ssh_dir, const std::vector<std::string>& keys, bool config_exists,
                                   int connect_timeout) {
  return plugin_common::openssh::client_options({ssh_dir, keys, config_exists}, connect_timeout, 15, 4);
}

std::string ssh_words_problem(const std::vector<std::string>& words) {
  for (const auto& w : words) {
    if (w.empty()) return "an empty word";
    for (char c : w) {
      if (c == ' ' || c == '\\' || c == '\t' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        return "\"" + w +
               "\" holds a space, a tab, a backslash or a control character, which unison cannot pass to ssh";
    }
  }
  return "";
}

std::string common_profile(const std::vector<std::string>& ssh_words) {
  std::string args;
  for (const auto& w : ssh_words) args += (args.empty() ? "" : " ") + w;
  std::string text =
      "# Written by sc unisonsync: the preferences of every synchronisation of\n"
      "# this host (each profile includes this file). `sc unisonsync setup`\n"
      "# rewrites it; edits are lost.\n"
      "#\n"
      "# A conflict keeps both versions: the newer one takes the path, the other\n"
      "# is kept beside it as \"NAME (conflict_on_DATE)\" (copyonconflict), and a\n"
      "# deletion against an edit keeps the edit. A root lacking the marker file\n"
      "# .sc-unisonsync (not mounted, or emptied) stops the run (mountpoint).\n"
      "batch = true\n"
      "terse = true\n"
      "color = false\n"
      "log = false\n"
      "times = true\n"
      "owner = true\n"
      "group = true\n"
      "prefer = newer\n"
      "copyonconflict = true\n"
      "confirmbigdel = true\n"
      "addversionno = true\n"
      "retry = 1\n"
      "mountpoint = " +
      std::string(kMarker) +
      "\n"
      "ignore = Path " +
      std::string(kMarker) +
      "\n"
      "sshargs = " +
      args +
      "\n"
      "\n"
      "ignore = Regex .*/\\.?[cC]ache/.*\n"
      "ignore = Name [lL]ock\n"
      "ignore = Name .parentlock\n"
      "ignore = Name *.[lL]ock\n"
      "ignore = Name *.nps\n"
      "ignore = Name *.o\n"
      "ignore = Name *~\n"
      "ignore = Name .*~\n"
      "ignore = Name .[tT]rash*\n"
      "ignore = Name .*.swp\n"
      "ignore = Name [Tt]humbs.db\n"
      "ignore = Name $RECYCLE.BIN\n"
      "ignore = Name Crash Reports\n"
      "ignore = Name .nvidia-settings-rc\n"
      "ignore = Name .dmrc\n"
      "ignore = Name .xscreensaver\n"
      "ignore = Name .*authority\n"
      "ignore = Name .xsession-errors*\n"
      "ignore = Name .Trash*\n"
      "ignore = Name .viminfo\n"
      "ignore = Name .lesshst\n"
      "ignore = Name .bash_history\n"
      "ignore = Name .bash_logout\n"
      "ignore = Name ownCloud\n"
      "ignore = Name tmp\n"
      "ignore = Name Download*\n"
      "ignore = Name Téléchargements\n"
      "ignore = Path Documents/HTC\n"
      "ignore = Path .local\n"
      "ignore = Path .adobe\n"
      "ignore = Path .audacity-data\n"
      "ignore = Path .dbus\n"
      "ignore = Path .nv\n"
      "ignore = Path .wine\n"
      "ignore = Path .thumbnails\n"
      "ignore = Path .gstreamer-*\n"
      "ignore = Path .cache\n";
  return text;
}

std::string sync_profile(const Sync& sync, const std::string& local_root) {
  json header = {{"host", sync.host},
                 {"remote", sync.remote},
                 {"local", sync.local},
                 {"period", sync.period},
                 {"fill_empty", sync.fill_empty}};
  return kHeader + header.dump() +
         "\n"
         "# Written by `sc unisonsync add`; `sc unisonsync del` removes it.\n"
         "include " +
         std::string(kCommonName) + "\nroot = " + local_root + "\nroot = " + remote_root(sync.host, sync.remote) + "\n";
}

std::optional<Sync> parse_profile(std::string_view text) {
  if (!starts_with(text, kHeader)) return std::nullopt;
  size_t end = text.find('\n');
  if (end == std::string_view::npos) return std::nullopt;
  json j = json::parse(text.substr(std::string_view(kHeader).size(), end - std::string_view(kHeader).size()), nullptr,
                       false);
  if (!j.is_object()) return std::nullopt;
  Sync s;
  try {
    s.host = j.at("host").get<std::string>();
    s.remote = j.at("remote").get<std::string>();
    s.local = j.at("local").get<std::string>();
    s.period = j.at("period").get<std::string>();
    s.fill_empty = j.value("fill_empty", false);
  } catch (const json::exception&) {
    return std::nullopt;
  }
  if (s.host.empty() || !path_problem(s.remote).empty() || !path_problem(s.local).empty() ||
      (!s.period.empty() && !valid_period(s.period)))
    return std::nullopt;
  return s;
}

std::vector<std::string> unison_argv(const std::string& profile) {
  return {"unison", profile};
}

std::vector<std::string> probe_root_argv(const std::string& root) {
  return {"find", root + "/", "-mindepth", "1", "-maxdepth", "1", "!", "-name", kMarker, "-printf", "x", "-quit"};
}

std::vector<std::string> mark_root_argv(const std::string& root) {
  return {"touch", "--", root + "/" + kMarker};
}

std::vector<std::string> put_back_argv(const std::string& root, const std::string& copy, const std::string& path) {
  return {"mv", "-n", "-T", "--", root + "/" + copy, root + "/" + path};
}

std::string unison_status_text(int status) {
  switch (status) {
    case 0:
      return "successful synchronisation";
    case 1:
      return "some paths were skipped, the others synchronised";
    case 2:
      return "some paths failed to synchronise (non-fatal failures)";
    case 3:
      return "fatal error: the synchronisation stopped";
    default:
      return "unknown status " + std::to_string(status);
  }
}

std::string unison_version(std::string_view output) {
  size_t at = output.find("version ");
  if (at == std::string_view::npos) return "";
  at += 8;
  size_t end = at;
  while (end < output.size() && ((output[end] >= '0' && output[end] <= '9') || output[end] == '.')) ++end;
  std::string v(output.substr(at, end - at));
  return unison_series(v).empty() ? "" : v;
}

std::string unison_series(std::string_view version) {
  size_t dot = version.find('.');
  if (dot == 0 || dot == std::string_view::npos) return "";
  size_t end = dot + 1;
  while (end < version.size() && version[end] >= '0' && version[end] <= '9') ++end;
  if (end == dot + 1) return "";
  for (size_t i = 0; i < dot; ++i)
    if (version[i] < '0' || version[i] > '9') return "";
  return std::string(version.substr(0, end));
}

std::vector<std::string> unison_messages(std::string_view out, std::string_view err) {
  static const char* const kNoise[] = {"[BGN] ",
                                       "[END] ",
                                       "Looking for changes",
                                       "Reconciling changes",
                                       "Propagating updates",
                                       "Saving synchronizer state",
                                       "Nothing to do: replicas have not changed"};
  std::vector<std::string> msgs;
  for (auto line : split_lines(err)) {
    while (!line.empty() && line.back() == ' ') line.remove_suffix(1);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line.empty() || line.find(" ETA") != std::string_view::npos) continue;
    if (std::any_of(std::begin(kNoise), std::end(kNoise), [&](const char* n) { return starts_with(line, n); }))
      continue;
    if (starts_with(line, "Unison ") && (line.find("propagating changes") != std::string_view::npos ||
                                         line.find("Contacting server") != std::string_view::npos))
      continue;
    msgs.emplace_back(line);
  }
  for (auto line : split_lines(out))
    if (starts_with(line, "Failed") || starts_with(line, "Error") || starts_with(line, "Fatal"))
      msgs.emplace_back(line);
  return msgs;
}

std::string unison_summary(std::string_view err) {
  std::string last;
  for (auto line : split_lines(err))
    if (starts_with(line, "Synchronization complete") || starts_with(line, "Synchronization incomplete"))
      last = std::string(line);
  return last;
}

}  // namespace unisonsync
