#include "roundcube_config.hpp"

#include "common/web_app.hpp"

namespace roundcube {

using plugin_common::web_app::php_quote;
using plugin_common::web_app::url_encode;

std::string config_text(const Config& c) {
  const std::string dsn =
      "pgsql://roundcube:" + url_encode(c.db_password) + "@localhost:" + std::to_string(c.db_port) + "/" + kDatabase;
  return std::string("<?php\n") + kMark +
         "; sc writes it again at each setup.\n"
         "// Debian's own file is kept beside it as config.inc.php.sc-orig.\n"
         "$config = [];\n"
         "$config['db_dsnw'] = " +
         php_quote(dsn) +
         ";\n"
         "// The mail server of this host: IMAP (Dovecot trusts loopback), and\n"
         "// submission with the user's own credentials over STARTTLS (the\n"
         "// certificate names the FQDN, not localhost: not verified on loopback).\n"
         "$config['imap_host'] = 'localhost:143';\n"
         "$config['smtp_host'] = " +
         php_quote("tls://localhost:" + std::to_string(c.smtp_port)) +
         ";\n"
         "$config['smtp_user'] = '%u';\n"
         "$config['smtp_pass'] = '%p';\n"
         "$config['smtp_conn_options'] = ['ssl' => ['verify_peer' => false, 'verify_peer_name' => false]];\n"
         "$config['support_url'] = '';\n"
         "$config['product_name'] = 'Roundcube Webmail';\n"
         "// This host's own key (ROUNDCUBE_DES_KEY), made at random by sc.\n"
         "$config['des_key'] = " +
         php_quote(c.des_key) +
         ";\n"
         "$config['plugins'] = ['archive', 'zipdownload'];\n"
         "$config['skin'] = 'elastic';\n"
         "$config['enable_spellcheck'] = false;\n";
}

bool is_ours(const std::string& text) {
  const std::string head = std::string("<?php\n") + kMark;
  return text.compare(0, head.size(), head) == 0;
}

std::string apache_text() {
  const std::string lib = kInstallPath;
  std::string deny;
  for (const char* sub : {"config", "temp", "logs"})
    deny += "<Directory " + lib + "/" + sub +
            ">\n"
            "  Options -FollowSymLinks\n"
            "  AllowOverride None\n"
            "  Require all denied\n"
            "</Directory>\n";
  return "# Written by sc (sc roundcube setup): Roundcube webmail under /mail.\n"
         "# Debian's public_html is the document root: the application's other\n"
         "# files are never reachable from the web.\n"
         "Alias /mail " +
         std::string(kPublicHtml) +
         "\n"
         "Redirect 301 /roundcube /mail\n"
         "Redirect 301 /roundcubemail /mail\n"
         "\n"
         "<Directory " +
         kPublicHtml +
         "/>\n"
         "  Options +FollowSymLinks\n"
         "  # Roundcube's .htaccess (/etc/roundcube/htaccess) holds its security rules.\n"
         "  AllowOverride All\n"
         "  Require all granted\n"
         "</Directory>\n"
         "\n" +
         deny;
}

}  // namespace roundcube
