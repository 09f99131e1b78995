#include "apache_conf.hpp"

#include <sstream>

namespace www {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

std::string joined(const std::vector<std::string>& lines, bool final_newline) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) out += lines[i] + (i + 1 < lines.size() || final_newline ? "\n" : "");
  return out;
}

bool is_listen_80(const std::string& line) {
  std::istringstream in(line);
  std::string directive, address, rest;
  if (!(in >> directive >> address) || (in >> rest)) return false;
  if (directive != "Listen") return false;
  return address == "80" || (address.size() > 3 && address.compare(address.size() - 3, 3, ":80") == 0);
}

bool valid_zone(const std::string& zone) {
  if (zone.empty() || zone.size() > 64 || zone[0] == '/' || zone.find("..") != std::string::npos) return false;
  for (char c : zone)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          std::string("/_+-").find(c) != std::string::npos))
      return false;
  return true;
}

}  // namespace

const std::vector<std::string>& modules() {
  static const std::vector<std::string> m = {"proxy", "proxy_http", "rewrite", "headers", "remoteip", "php8.2"};
  return m;
}

const std::vector<std::string>& threaded_mpms() {
  static const std::vector<std::string> m = {"mpm_event", "mpm_worker"};
  return m;
}

std::string conf_text() {
  return "# sc's Apache behind nginx, written by `sc www setup`: Apache listens on\n"
         "# 127.0.0.1:8080 only (the `Listen 80` of ports.conf is commented out), nginx\n"
         "# (`sc nginx setup`) is the front on 80 and 443.\n"
         "Listen " +
         std::string(kListen) +
         "\n"
         "ServerName localhost\n"
         "\n"
         "# nginx received the request over TLS: the applications must see HTTPS.\n"
         "SetEnvIf X-Forwarded-Proto \"^https$\" HTTPS=on\n"
         "# The client's address, as nginx (on this host) saw it, in logs and REMOTE_ADDR.\n"
         "RemoteIPHeader X-Forwarded-For\n"
         "RemoteIPInternalProxy 127.0.0.1 ::1\n";
}

std::string site_text(const std::string& root) {
  return "# The web root behind nginx, written by `sc www setup` (it takes the place of\n"
         "# 000-default.conf, whose port 80 Apache no longer listens on).\n"
         "<VirtualHost " +
         std::string(kListen) +
         ">\n"
         "    ServerAdmin webmaster@localhost\n"
         "    DocumentRoot \"" +
         root +
         "\"\n"
         "    <Directory \"" +
         root +
         "\">\n"
         "        Options FollowSymLinks\n"
         "        AllowOverride All\n"
         "        Require all granted\n"
         "    </Directory>\n"
         "    ErrorLog ${APACHE_LOG_DIR}/error.log\n"
         "    CustomLog ${APACHE_LOG_DIR}/access.log combined\n"
         "</VirtualHost>\n";
}

std::string php_ini_text(const PhpSettings& p) {
  return "; PHP for Apache behind nginx, written by `sc www setup` (settings WWW_*);\n"
         "; read after php.ini, which sc leaves as the package has it.\n"
         "memory_limit = " +
         p.memory_limit +
         "\n"
         "upload_max_filesize = " +
         p.upload_max +
         "\n"
         "post_max_size = " +
         p.upload_max +
         "\n"
         "max_execution_time = " +
         p.max_execution_time +
         "\n"
         "date.timezone = \"" +
         p.timezone + "\"\n";
}

std::string ports_without_80(const std::string& text) {
  std::vector<std::string> lines = lines_of(text);
  for (auto& l : lines)
    if (is_listen_80(l)) l = kPortsMark + l;
  return joined(lines, text.empty() || text.back() == '\n');
}

std::string ports_restored(const std::string& text) {
  std::vector<std::string> lines = lines_of(text);
  const std::string mark = kPortsMark;
  for (auto& l : lines)
    if (l.rfind(mark, 0) == 0) l = l.substr(mark.size());
  return joined(lines, text.empty() || text.back() == '\n');
}

std::string timezone_of(const std::string& etc_timezone, const std::string& localtime_link) {
  std::string zone = etc_timezone.substr(0, etc_timezone.find('\n'));
  while (!zone.empty() && (zone.back() == ' ' || zone.back() == '\r')) zone.pop_back();
  if (valid_zone(zone)) return zone;
  const std::string marker = "zoneinfo/";
  if (const size_t at = localtime_link.find(marker); at != std::string::npos) {
    zone = localtime_link.substr(at + marker.size());
    if (zone.rfind("posix/", 0) == 0) zone = zone.substr(6);
    if (valid_zone(zone)) return zone;
  }
  return "UTC";
}

bool valid_root(const std::string& path, std::string* why) {
  auto bad = [&](const std::string& rule) {
    if (why) *why = "\"" + path + "\" " + rule;
    return false;
  };
  if (path.size() < 2 || path[0] != '/') return bad("is not an absolute path other than /");
  for (unsigned char c : path) {
    if (c < 0x20 || c == 0x7f) return bad("contains a control character");
    if (c == '"' || c == '\\' || c == '$') return bad("contains '\"', '\\' or '$', which Apache would read as syntax");
  }
  if (path.find("/../") != std::string::npos || path.find("/./") != std::string::npos ||
      (path.size() >= 3 && path.compare(path.size() - 3, 3, "/..") == 0))
    return bad("contains \"..\" or \".\"");
  return true;
}

}  // namespace www
