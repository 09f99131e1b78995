// Nextcloud as sc installs it: the checks of a release's URL and SHA-256,
// the occ command lines, the config fragment sc keeps in config/ and the
// Apache snippet. Pure text, tested against expected text and checked with
// `php -l` and `apache2 -t`.
#pragma once

#include <string>
#include <vector>

namespace cloud {

inline constexpr const char* kDatabase = "cloud";
inline constexpr const char* kSnippet = "cloud";
inline constexpr const char* kStateDir = "/var/lib/sc/cloud";
inline constexpr const char* kPasswordFile = "/var/lib/sc/cloud/db-password";
/// "SHA256 URL" of the release sc installed in the web root.
inline constexpr const char* kReleaseFile = "/var/lib/sc/cloud/release";
inline constexpr const char* kDownload = "/var/lib/sc/cloud/download";
/// sc's part of Nextcloud's configuration, beside config.php (Nextcloud
/// reads every config/*.config.php after config.php).
inline constexpr const char* kFragment = "config/sc.config.php";
inline constexpr std::size_t kPasswordLength = 32;

/// Empty when `url` may name a release: https://, http:// or file://,
/// no blank, quote or control character; else why not.
std::string url_problem(const std::string& url);

/// The SHA-256 in lower case, or empty when `text` is not 64 hex digits.
std::string normalized_sha256(const std::string& text);

/// Empty when `path` is an absolute path made of letters, digits and
/// "/._-" only (safe unquoted in Apache, PHP and argv), without "..";
/// else why not.
std::string path_problem(const std::string& path);

/// True when `name` is a DNS host name (labels of letters, digits and
/// '-', at most 63 each, 253 in all).
bool valid_host_name(const std::string& name);

/// True when `url` names a zip archive (else a tar archive, any compression).
bool is_zip(const std::string& url);

/// The SHA-256 that `sha256sum` printed, or empty.
std::string sha256sum_value(const std::string& output);

/// argv running Nextcloud's occ (`occ` the script's path) as www-data,
/// without a login shell.
std::vector<std::string> occ_argv(const std::string& occ, const std::vector<std::string>& args);

/// What `maintenance:install` needs; passwords are not in it.
struct Install {
  int db_port = 5432;
  std::string admin = "admin";
  std::string data_dir = "/srv/cloud";
};

/// occ's arguments for the first install. The database and administrator
/// passwords are answered on stdin (occ_install_input), never on argv.
std::vector<std::string> occ_install_args(const Install& i);

/// occ's stdin for maintenance:install: the two hidden questions it asks
/// when --database-pass and --admin-pass are not given.
std::string occ_install_input(const std::string& db_password, const std::string& admin_password);

/// Environment for occ runs that read answers from a pipe (Symfony's
/// console asks only when it believes it is interactive).
std::vector<std::string> occ_env();

/// The fragment sc keeps as config/sc.config.php.
std::string fragment_text(const std::string& fqdn, const std::string& data_dir);

/// True when Nextcloud's config.php says the instance is installed.
bool installed(const std::string& config_php);

/// The Apache snippet: /cloud aliased to the web root, the data denied.
std::string apache_text(const std::string& webroot, const std::string& data_dir);

}  // namespace cloud
