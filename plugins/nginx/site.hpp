// The text of sc's TLS front (/etc/nginx/sites-available/sc-front) and the
// checks of every value that reaches it: pure functions, tested against
// expected text.
#pragma once

#include <string>

namespace nginx {

inline constexpr const char* kSiteName = "sc-front";
inline constexpr const char* kSiteFile = "/etc/nginx/sites-available/sc-front";
inline constexpr const char* kSiteLink = "/etc/nginx/sites-enabled/sc-front";
inline constexpr const char* kSiteLinkTarget = "../sites-available/sc-front";
inline constexpr const char* kLocationsDir = "/etc/nginx/sc-locations";
/// Debian's own site, enabled by the package, which listens on port 80 as
/// the default server: it collides with sc's port-80 server.
inline constexpr const char* kDebianDefaultLink = "/etc/nginx/sites-enabled/default";
/// Where sc remembers that it disabled Debian's site (the link's target),
/// so that cleanup enables it again.
inline constexpr const char* kDisabledDefaultRecord = "/var/lib/sc/nginx/disabled-default";
inline constexpr const char* kBackend = "http://127.0.0.1:8080";

inline constexpr const char* kDefaultCert = "/etc/ssl/sc/fullchain.pem";
inline constexpr const char* kDefaultKey = "/etc/ssl/sc/privkey.pem";
inline constexpr const char* kDefaultWebroot = "/var/lib/sc/ssl/webroot";

/// What the site is made of.
struct Site {
  std::string fqdn;          ///< server_name of the 443 server
  std::string cert;          ///< ssl_certificate (full chain)
  std::string key;           ///< ssl_certificate_key
  std::string acme_webroot;  ///< root of /.well-known/acme-challenge/ on port 80
  std::string max_body;      ///< client_max_body_size, e.g. "512m"
  bool hsts = false;         ///< Strict-Transport-Security on every answer
  std::string wstunnel;      ///< HOST:PORT of the tunnel's server; empty: no /wstunnel
};

/// The whole site file. Every value must have passed its check below.
std::string site_text(const Site& site);

/// A host name nginx may serve: lower-case labels of a-z, 0-9 and '-'
/// (not at either end), 1 to 63 characters each, at least two labels, at
/// most 253 characters. False with *why naming the value and the rule.
bool valid_fqdn(const std::string& fqdn, std::string* why);

/// An absolute path that can stand unquoted in nginx's configuration: no
/// white space, control character, quote, ';', '{', '}', '$', '#', '\\',
/// no "..". False with *why.
bool valid_conf_path(const std::string& path, std::string* why);

/// "HOST:PORT" of a loopback or named listener (letters, digits, '.', '-',
/// '[', ']', ':' for an IPv6 address), the port 1-65535.
bool valid_endpoint(const std::string& endpoint, std::string* why);

/// True when the text of an nginx site has a `listen` on port 80 (any
/// address) marked default_server: Debian's `default` site does, and two
/// default servers on one port are an error.
bool listens_default_80(const std::string& text);

}  // namespace nginx
