// Roundcube's configuration as sc writes it: pure text, tested against
// expected text and checked by `php -l` (config) and `apache2ctl -t`
// (snippet) before it is installed.
#pragma once

#include <string>

namespace roundcube {

/// Where Debian's roundcube package puts things.
inline constexpr const char* kConfig = "/etc/roundcube/config.inc.php";
inline constexpr const char* kConfigOrig = "/etc/roundcube/config.inc.php.sc-orig";
inline constexpr const char* kPublicHtml = "/var/lib/roundcube/public_html";
inline constexpr const char* kInstallPath = "/var/lib/roundcube";
inline constexpr const char* kSchema = "/usr/share/roundcube/SQL/postgres.initial.sql";
/// The package's own Apache conf, disabled when sc serves /mail.
inline constexpr const char* kPackageConfEnabled = "/etc/apache2/conf-enabled/roundcube.conf";
inline constexpr const char* kPackageConfAvailable = "/etc/apache2/conf-available/roundcube.conf";
/// sc's files: the database password handed to db, and the mark that the
/// schema was loaded.
inline constexpr const char* kStateDir = "/var/lib/sc/roundcube";
inline constexpr const char* kPasswordFile = "/var/lib/sc/roundcube/db-password";
inline constexpr const char* kSchemaMark = "/var/lib/sc/roundcube/schema-loaded";
/// Says that setup disabled Debian's conf (cleanup enables it again).
inline constexpr const char* kPackageConfMark = "/var/lib/sc/roundcube/package-conf-disabled";
/// The snippet's name (sc_roundcube.conf) and the URL path.
inline constexpr const char* kSnippet = "roundcube";
inline constexpr const char* kDatabase = "roundcube";
/// Length of des_key: Roundcube wants exactly 24 characters.
inline constexpr std::size_t kDesKeyLength = 24;
inline constexpr std::size_t kDbPasswordLength = 32;
/// First line of sc's config.inc.php: tells sc's file from another.
inline constexpr const char* kMark = "// Written by sc (sc roundcube setup)";

struct Config {
  std::string db_password;  ///< letters and digits (web_app::valid_secret)
  int db_port = 5432;
  std::string des_key;  ///< 24 letters and digits
  int smtp_port = 587;
};

/// /etc/roundcube/config.inc.php.
std::string config_text(const Config& c);

/// True when `text` is a config.inc.php sc wrote.
bool is_ours(const std::string& text);

/// The Apache snippet: /mail aliased to the package's public_html, with the
/// Directory rules of the package's apache.conf.
std::string apache_text();

}  // namespace roundcube
