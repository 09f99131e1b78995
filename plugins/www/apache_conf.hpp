// The files sc writes for Apache behind nginx (the original's lib/www) and
// the checks of the values in them: pure functions, tested against
// expected text.
#pragma once

#include <string>
#include <vector>

namespace www {

inline constexpr const char* kListen = "127.0.0.1:8080";
inline constexpr const char* kConfName = "sc-www";
inline constexpr const char* kConfFile = "/etc/apache2/conf-available/sc-www.conf";
inline constexpr const char* kConfLink = "/etc/apache2/conf-enabled/sc-www.conf";
inline constexpr const char* kConfLinkTarget = "../conf-available/sc-www.conf";
inline constexpr const char* kSiteFile = "/etc/apache2/sites-available/sc-www.conf";
inline constexpr const char* kSiteLink = "/etc/apache2/sites-enabled/sc-www.conf";
inline constexpr const char* kSiteLinkTarget = "../sites-available/sc-www.conf";
inline constexpr const char* kPortsFile = "/etc/apache2/ports.conf";
inline constexpr const char* kPhpIni = "/etc/php/8.2/apache2/conf.d/90-sc-www.ini";
inline constexpr const char* kPhpConfDir = "/etc/php/8.2/apache2/conf.d";
inline constexpr const char* kDefaultRoot = "/var/www/html";
/// What sc puts before the `Listen 80` line of ports.conf it comments out.
inline constexpr const char* kPortsMark = "#sc-www# ";

/// The Apache modules sc enables: proxy (and proxy_http) for modules'
/// snippets, rewrite and headers for the applications, remoteip for the
/// client's address behind nginx, PHP 8.2.
const std::vector<std::string>& modules();
/// The MPMs that cannot run mod_php (it needs prefork).
const std::vector<std::string>& threaded_mpms();

/// conf-available/sc-www.conf: the listener on 127.0.0.1:8080, the server
/// name, HTTPS=on for requests nginx received over TLS, the client's
/// address from nginx's X-Forwarded-For.
std::string conf_text();

/// sites-available/sc-www.conf: the virtual host on 127.0.0.1:8080 serving
/// `root` (the web root).
std::string site_text(const std::string& root);

/// PHP's settings for Apache's mod_php (conf.d/90-sc-www.ini).
struct PhpSettings {
  std::string memory_limit;        ///< e.g. "512M"
  std::string upload_max;          ///< upload_max_filesize and post_max_size
  std::string max_execution_time;  ///< seconds
  std::string timezone;            ///< date.timezone, e.g. "Europe/Paris"
};
std::string php_ini_text(const PhpSettings& php);

/// ports.conf with its `Listen 80` line(s) commented out with kPortsMark;
/// every other line as it was. The same text when there is none.
std::string ports_without_80(const std::string& text);
/// ports.conf with the lines ports_without_80 commented out restored.
std::string ports_restored(const std::string& text);

/// The time zone name of the host from the text of /etc/timezone, or
/// from the target of /etc/localtime (".../zoneinfo/Europe/Paris"); "UTC"
/// when neither names a valid zone.
std::string timezone_of(const std::string& etc_timezone, const std::string& localtime_link);

/// An absolute path Apache's configuration can hold in double quotes: no
/// control character, '"', '\\', '$', no "..". False with *why.
bool valid_root(const std::string& path, std::string* why);

}  // namespace www
