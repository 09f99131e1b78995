#include "cloud_config.hpp"

#include "common/web_app.hpp"

namespace cloud {

using plugin_common::web_app::php_quote;

std::string url_problem(const std::string& url) {
  if (url.empty()) return "it is empty";
  bool scheme = false;
  for (const char* s : {"https://", "http://", "file:///"})
    if (url.rfind(s, 0) == 0 && url.size() > std::string(s).size()) scheme = true;
  if (!scheme) return "it does not start with https://, http:// or file:///";
  for (unsigned char c : url)
    if (c <= ' ' || c == 0x7f || c == '"' || c == '\'' || c == '\\' || c == '`')
      return "it holds a blank, a quote, a backslash or a control character";
  return "";
}

std::string normalized_sha256(const std::string& text) {
  if (text.size() != 64) return "";
  std::string out;
  for (char c : text) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return "";
    out += c;
  }
  return out;
}

std::string path_problem(const std::string& path) {
  if (path.empty() || path[0] != '/') return "it is not an absolute path";
  if (path == "/") return "it is the root directory";
  for (char c : path)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '.' ||
          c == '_' || c == '-'))
      return "use only letters, digits and /._-";
  if (("/" + path + "/").find("/../") != std::string::npos || ("/" + path + "/").find("/./") != std::string::npos)
    return "it holds a . or .. component";
  return "";
}

bool valid_host_name(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      if (label == 0 || label > 63 || name[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    const char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (c == '-' && label > 0)))
      return false;
    ++label;
  }
  return true;
}

bool is_zip(const std::string& url) {
  return url.size() >= 4 && url.compare(url.size() - 4, 4, ".zip") == 0;
}

std::string sha256sum_value(const std::string& output) {
  return normalized_sha256(output.substr(0, 64));
}

std::vector<std::string> occ_argv(const std::string& occ, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"runuser", "-u", "www-data", "--", "php", occ};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::vector<std::string> occ_install_args(const Install& i) {
  return {"maintenance:install",     "--database=pgsql",
          "--database-name=cloud",   "--database-host=localhost:" + std::to_string(i.db_port),
          "--database-user=cloud",   "--admin-user=" + i.admin,
          "--data-dir=" + i.data_dir};
}

std::string occ_install_input(const std::string& db_password, const std::string& admin_password) {
  return db_password + "\n" + admin_password + "\n";
}

std::vector<std::string> occ_env() {
  return {"SHELL_INTERACTIVE=1"};
}

std::string fragment_text(const std::string& fqdn, const std::string& data_dir) {
  const std::string host = fqdn.empty() ? "localhost" : fqdn;
  std::string domains = "['localhost'";
  if (!fqdn.empty() && fqdn != "localhost") domains += ", " + php_quote(fqdn);
  domains += "]";
  return "<?php\n"
         "// Written by sc (sc cloud setup); sc writes it again at each setup.\n"
         "// Nextcloud reads it after config.php: what is here wins.\n"
         "$CONFIG = [\n"
         "  'trusted_domains' => " +
         domains +
         ",\n"
         "  // Behind nginx (TLS) and Apache, under /cloud.\n"
         "  'overwrite.cli.url' => " +
         php_quote("https://" + host + "/cloud") +
         ",\n"
         "  'overwritewebroot' => '/cloud',\n"
         "  'overwriteprotocol' => 'https',\n"
         "  'trusted_proxies' => ['127.0.0.1', '::1'],\n"
         "  'datadirectory' => " +
         php_quote(data_dir) +
         ",\n"
         "  // The cluster's users log in with their mail password (user_external).\n"
         "  'user_backends' => [\n"
         "    [\n"
         "      'class' => '\\\\OCA\\\\UserExternal\\\\IMAP',\n"
         "      'arguments' => ['localhost', 143, null, null, true, false],\n"
         "    ],\n"
         "  ],\n"
         "];\n";
}

bool installed(const std::string& config_php) {
  for (const char* form : {"'installed' => true", "\"installed\" => true", "'installed'=>true"})
    if (config_php.find(form) != std::string::npos) return true;
  return false;
}

std::string apache_text(const std::string& webroot, const std::string& data_dir) {
  return "# Written by sc (sc cloud setup): Nextcloud under /cloud.\n"
         "Alias /cloud " +
         webroot +
         "/\n"
         "Redirect 301 /owncloud /cloud\n"
         "Redirect 301 /nextcloud /cloud\n"
         "Redirect 301 /.well-known/carddav /cloud/remote.php/dav\n"
         "Redirect 301 /.well-known/caldav /cloud/remote.php/dav\n"
         "\n"
         "<Directory " +
         webroot +
         "/>\n"
         "  Require all granted\n"
         "  Options FollowSymLinks\n"
         "  # Nextcloud's .htaccess holds its rewrite and security rules.\n"
         "  AllowOverride All\n"
         "  <IfModule mod_dav.c>\n"
         "    Dav off\n"
         "  </IfModule>\n"
         "</Directory>\n"
         "\n"
         "# The data: never served, even when .htaccess files are ignored.\n"
         "<Directory " +
         data_dir +
         "/>\n"
         "  Require all denied\n"
         "</Directory>\n";
}

}  // namespace cloud
