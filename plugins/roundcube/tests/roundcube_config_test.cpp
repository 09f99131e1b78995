// roundcube: the generated config.inc.php and Apache snippet against
// expected text, then through the real checkers (php -l, apache2 -t).
#include "../roundcube_config.hpp"

#include <catch2/catch.hpp>

#include "service_daemons.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

namespace {

sc::ProcessResult php_lint(const std::string& text) {
  return run_captured({"php", "-n", "-l"}, text);
}

/// Runs PHP on `text` followed by `tail`, printing what the tail echoes.
std::string php_eval(const std::string& text, const std::string& tail) {
  return output_of({"php", "-n"}, text + tail);
}

}  // namespace

TEST_CASE("roundcube: config.inc.php is the expected text and PHP accepts it", "[roundcube]") {
  roundcube::Config c;
  c.db_password = "Pw0123456789abcdefghijklmnopqrst";
  c.db_port = 5433;
  c.des_key = "ABCDEFGHIJKLMNOPQRSTUVWX";
  c.smtp_port = 587;
  const std::string text = roundcube::config_text(c);
  CHECK(text ==
        "<?php\n"
        "// Written by sc (sc roundcube setup); sc writes it again at each setup.\n"
        "// Debian's own file is kept beside it as config.inc.php.sc-orig.\n"
        "$config = [];\n"
        "$config['db_dsnw'] = 'pgsql://roundcube:Pw0123456789abcdefghijklmnopqrst@localhost:5433/roundcube';\n"
        "// The mail server of this host: IMAP (Dovecot trusts loopback), and\n"
        "// submission with the user's own credentials over STARTTLS (the\n"
        "// certificate names the FQDN, not localhost: not verified on loopback).\n"
        "$config['imap_host'] = 'localhost:143';\n"
        "$config['smtp_host'] = 'tls://localhost:587';\n"
        "$config['smtp_user'] = '%u';\n"
        "$config['smtp_pass'] = '%p';\n"
        "$config['smtp_conn_options'] = ['ssl' => ['verify_peer' => false, 'verify_peer_name' => false]];\n"
        "$config['support_url'] = '';\n"
        "$config['product_name'] = 'Roundcube Webmail';\n"
        "// This host's own key (ROUNDCUBE_DES_KEY), made at random by sc.\n"
        "$config['des_key'] = 'ABCDEFGHIJKLMNOPQRSTUVWX';\n"
        "$config['plugins'] = ['archive', 'zipdownload'];\n"
        "$config['skin'] = 'elastic';\n"
        "$config['enable_spellcheck'] = false;\n");
  CHECK(roundcube::is_ours(text));
  CHECK_FALSE(roundcube::is_ours("<?php\n$config = [];\n"));
  sc::ProcessResult r = php_lint(text);
  INFO(r.out << r.err);
  CHECK(r.ok());
  // What PHP reads back is what was meant.
  CHECK(php_eval(text, "echo $config['des_key'], ' ', $config['smtp_host'], ' ', $config['db_dsnw'];") ==
        "ABCDEFGHIJKLMNOPQRSTUVWX tls://localhost:587 "
        "pgsql://roundcube:Pw0123456789abcdefghijklmnopqrst@localhost:5433/roundcube");

  // Hostile values stay data: quoted for PHP and encoded for the DSN.
  c.des_key = "x'; system('id'); //\\";
  c.db_password = "p@ss:w/rd'\\";
  const std::string hostile = roundcube::config_text(c);
  r = php_lint(hostile);
  INFO(r.out << r.err);
  CHECK(r.ok());
  CHECK(php_eval(hostile, "echo $config['des_key'], '|', $config['db_dsnw'];") ==
        "x'; system('id'); //\\|pgsql://roundcube:p%40ss%3Aw%2Frd%27%5C@localhost:5433/roundcube");
  // A broken file is refused by the checker sc runs.
  CHECK_FALSE(php_lint(text + "$config['x'] = ;\n").ok());
}

TEST_CASE("roundcube: the Apache snippet is the expected text and apache2 -t accepts it", "[roundcube]") {
  const std::string text = roundcube::apache_text();
  CHECK(text ==
        "# Written by sc (sc roundcube setup): Roundcube webmail under /mail.\n"
        "# Debian's public_html is the document root: the application's other\n"
        "# files are never reachable from the web.\n"
        "Alias /mail /var/lib/roundcube/public_html\n"
        "Redirect 301 /roundcube /mail\n"
        "Redirect 301 /roundcubemail /mail\n"
        "\n"
        "<Directory /var/lib/roundcube/public_html/>\n"
        "  Options +FollowSymLinks\n"
        "  # Roundcube's .htaccess (/etc/roundcube/htaccess) holds its security rules.\n"
        "  AllowOverride All\n"
        "  Require all granted\n"
        "</Directory>\n"
        "\n"
        "<Directory /var/lib/roundcube/config>\n"
        "  Options -FollowSymLinks\n"
        "  AllowOverride None\n"
        "  Require all denied\n"
        "</Directory>\n"
        "<Directory /var/lib/roundcube/temp>\n"
        "  Options -FollowSymLinks\n"
        "  AllowOverride None\n"
        "  Require all denied\n"
        "</Directory>\n"
        "<Directory /var/lib/roundcube/logs>\n"
        "  Options -FollowSymLinks\n"
        "  AllowOverride None\n"
        "  Require all denied\n"
        "</Directory>\n");
  sc::ProcessResult r = apache_check(text);
  INFO(r.out << r.err);
  CHECK(r.ok());
  CHECK_THAT(r.err + r.out, Contains("Syntax OK"));
  // The same check refuses a broken snippet.
  CHECK_FALSE(apache_check(text + "<Directory /x>\n").ok());
}
