#include "media_config.hpp"

#include <vector>

namespace media {

std::string lightdm_dropin(const std::string& user, const std::string& session) {
  return "# Written by sc (media module): autologin into Kodi. `sc media cleanup`\n"
         "# removes this file and nothing else of LightDM's configuration.\n"
         "[Seat:*]\n"
         "autologin-user=" +
         user +
         "\n"
         "autologin-user-timeout=0\n"
         "autologin-session=" +
         session + "\n";
}

std::string xml_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

std::string source(const std::string& kind, const std::string& name, const std::string& path) {
  return "  <" + kind +
         ">\n"
         "    <default pathversion=\"1\"></default>\n"
         "    <source>\n"
         "      <name>" +
         xml_escape(name) +
         "</name>\n"
         "      <path pathversion=\"1\">" +
         xml_escape(path) +
         "/</path>\n"
         "      <allowsharing>true</allowsharing>\n"
         "    </source>\n"
         "  </" +
         kind + ">\n";
}

}  // namespace

std::string sources_xml(const std::string& library) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\" ?>\n"
         "<!-- Written by sc (media module) when missing; Kodi keeps it up to date afterwards. -->\n"
         "<sources>\n" +
         source("video", "Videos", library + "/video") + source("music", "Music", library + "/music") +
         source("pictures", "Pictures", library + "/pictures") + "</sources>\n";
}

namespace {

std::vector<std::string> split(std::string_view line, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t at = line.find(sep, start);
    out.emplace_back(line.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

std::optional<unsigned> number(const std::string& s) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  unsigned long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v >= 4294967295UL) return std::nullopt;
  return static_cast<unsigned>(v);
}

}  // namespace

std::optional<Account> find_account(std::string_view passwd, std::string_view login) {
  size_t start = 0;
  while (start < passwd.size()) {
    size_t end = passwd.find('\n', start);
    if (end == std::string_view::npos) end = passwd.size();
    const std::string_view line = passwd.substr(start, end - start);
    start = end + 1;
    const auto f = split(line, ':');
    if (f.size() != 7 || f[0] != login) continue;
    auto uid = number(f[2]);
    auto gid = number(f[3]);
    if (!uid || !gid) return std::nullopt;
    return Account{*uid, *gid, f[5], f[6]};
  }
  return std::nullopt;
}

}  // namespace media
