// cloud: release checks, occ command lines, the config fragment and the
// Apache snippet against expected text, then through php -l and apache2 -t.
#include "../cloud_config.hpp"

#include <catch2/catch.hpp>

#include "service_daemons.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

namespace {

sc::ProcessResult php(const std::vector<std::string>& args, const std::string& input) {
  std::vector<std::string> argv = {"php", "-n"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_captured(argv, input);
}

}  // namespace

TEST_CASE("cloud: release URL, SHA-256 and paths are checked", "[cloud]") {
  CHECK(cloud::url_problem("https://download.nextcloud.com/server/releases/nextcloud-28.0.14.tar.bz2").empty());
  CHECK(cloud::url_problem("file:///srv/mirror/nextcloud-29.0.9.zip").empty());
  CHECK_FALSE(cloud::url_problem("").empty());
  CHECK_FALSE(cloud::url_problem("ftp://x/y").empty());
  CHECK_FALSE(cloud::url_problem("-o/etc/passwd").empty());
  CHECK_FALSE(cloud::url_problem("https://x/a b").empty());
  CHECK_FALSE(cloud::url_problem("https://x/a'b").empty());
  CHECK_FALSE(cloud::url_problem("https://x/a\nb").empty());
  CHECK_FALSE(cloud::url_problem("file://relative").empty());
  const std::string sum(64, 'a');
  CHECK(cloud::normalized_sha256(sum) == sum);
  CHECK(cloud::normalized_sha256(std::string(64, 'A')) == sum);
  CHECK(cloud::normalized_sha256(std::string(63, 'a')).empty());
  CHECK(cloud::normalized_sha256(std::string(63, 'a') + "g").empty());
  CHECK(cloud::sha256sum_value(sum + "  /var/lib/sc/cloud/download.tar\n") == sum);
  CHECK(cloud::sha256sum_value("sha256sum: x: No such file\n").empty());
  CHECK(cloud::path_problem("/var/www/nextcloud").empty());
  CHECK_FALSE(cloud::path_problem("var/www").empty());
  CHECK_FALSE(cloud::path_problem("/").empty());
  CHECK_FALSE(cloud::path_problem("/var/www/../etc").empty());
  CHECK_FALSE(cloud::path_problem("/var/www/x y").empty());
  CHECK_FALSE(cloud::path_problem("/var/www/\"x").empty());
  CHECK(cloud::valid_host_name("m.example.test"));
  CHECK(cloud::valid_host_name("localhost"));
  CHECK_FALSE(cloud::valid_host_name(std::string(64, 'a') + ".example.com"));
  CHECK_FALSE(cloud::valid_host_name("a..b"));
  CHECK_FALSE(cloud::valid_host_name("-a.b"));
  CHECK_FALSE(cloud::valid_host_name("x'); system('id'); //"));
  CHECK(cloud::is_zip("https://x/nextcloud-28.0.1.zip"));
  CHECK_FALSE(cloud::is_zip("https://x/nextcloud-28.0.1.tar.bz2"));
}

TEST_CASE("cloud: occ runs as www-data without a login shell, passwords on stdin", "[cloud]") {
  CHECK(cloud::occ_argv("/var/www/nextcloud/occ", {"upgrade"}) ==
        std::vector<std::string>{"runuser", "-u", "www-data", "--", "php", "/var/www/nextcloud/occ", "upgrade"});
  cloud::Install in;
  in.db_port = 5433;
  CHECK(cloud::occ_install_args(in) ==
        std::vector<std::string>{"maintenance:install", "--database=pgsql", "--database-name=cloud",
                                 "--database-host=localhost:5433", "--database-user=cloud", "--admin-user=admin",
                                 "--data-dir=/srv/cloud"});
  CHECK(cloud::occ_install_input("dbpw", "adminpw") == "dbpw\nadminpw\n");
  CHECK(cloud::occ_env() == std::vector<std::string>{"SHELL_INTERACTIVE=1"});
  CHECK(cloud::installed("<?php\n$CONFIG = array (\n  'installed' => true,\n);\n"));
  CHECK_FALSE(cloud::installed("<?php\n$CONFIG = array (\n  'installed' => false,\n);\n"));
}

TEST_CASE("cloud: the config fragment is the expected text and PHP reads it as meant", "[cloud]") {
  const std::string text = cloud::fragment_text("cloud.example.org", "/srv/cloud");
  CHECK(text ==
        "<?php\n"
        "// Written by sc (sc cloud setup); sc writes it again at each setup.\n"
        "// Nextcloud reads it after config.php: what is here wins.\n"
        "$CONFIG = [\n"
        "  'trusted_domains' => ['localhost', 'cloud.example.org'],\n"
        "  // Behind nginx (TLS) and Apache, under /cloud.\n"
        "  'overwrite.cli.url' => 'https://cloud.example.org/cloud',\n"
        "  'overwritewebroot' => '/cloud',\n"
        "  'overwriteprotocol' => 'https',\n"
        "  'trusted_proxies' => ['127.0.0.1', '::1'],\n"
        "  'datadirectory' => '/srv/cloud',\n"
        "  // The cluster's users log in with their mail password (user_external).\n"
        "  'user_backends' => [\n"
        "    [\n"
        "      'class' => '\\\\OCA\\\\UserExternal\\\\IMAP',\n"
        "      'arguments' => ['localhost', 143, null, null, true, false],\n"
        "    ],\n"
        "  ],\n"
        "];\n");
  sc::ProcessResult r = php({"-l"}, text);
  INFO(r.out << r.err);
  CHECK(r.ok());
  r = php({}, text + "echo $CONFIG['user_backends'][0]['class'], ' ', implode(',', $CONFIG['trusted_domains']);");
  CHECK(r.out == "\\OCA\\UserExternal\\IMAP localhost,cloud.example.org");
  // No FQDN yet: localhost only.
  CHECK_THAT(cloud::fragment_text("", "/srv/cloud"), Contains("'trusted_domains' => ['localhost'],"));
  // A quote in a name stays data.
  r = php({"-l"}, cloud::fragment_text("x'); system('id'); //", "/srv/cloud"));
  CHECK(r.ok());
  CHECK_FALSE(php({"-l"}, text + "$CONFIG[ = 1;\n").ok());
}

TEST_CASE("cloud: the Apache snippet is the expected text and apache2 -t accepts it", "[cloud]") {
  const std::string text = cloud::apache_text("/var/www/nextcloud", "/srv/cloud");
  CHECK(text ==
        "# Written by sc (sc cloud setup): Nextcloud under /cloud.\n"
        "Alias /cloud /var/www/nextcloud/\n"
        "Redirect 301 /owncloud /cloud\n"
        "Redirect 301 /nextcloud /cloud\n"
        "Redirect 301 /.well-known/carddav /cloud/remote.php/dav\n"
        "Redirect 301 /.well-known/caldav /cloud/remote.php/dav\n"
        "\n"
        "<Directory /var/www/nextcloud/>\n"
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
        "<Directory /srv/cloud/>\n"
        "  Require all denied\n"
        "</Directory>\n");
  sc::ProcessResult r = apache_check(text);
  INFO(r.out << r.err);
  CHECK(r.ok());
  CHECK_FALSE(apache_check(text + "</Directory>\n").ok());
}
