// www: the files sc writes for Apache against the expected text, ports.conf
// edited one line only, the checks of every value, and the commands under
// --root (apache2ctl -t is recorded there, not run: the real checker runs in
// plugins/nginx/tests/nginx_cluster_test.cpp).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../apache_conf.hpp"
#include "common/conf_snippet.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

namespace {

/// Debian 12's /etc/apache2/ports.conf.
const std::string kDebianPorts =
    "# If you just change the port or add more ports here, you will likely also\n"
    "# have to change the VirtualHost statement in\n"
    "# /etc/apache2/sites-enabled/000-default.conf\n"
    "\n"
    "Listen 80\n"
    "\n"
    "<IfModule ssl_module>\n"
    "\tListen 443\n"
    "</IfModule>\n"
    "\n"
    "<IfModule mod_gnutls.c>\n"
    "\tListen 443\n"
    "</IfModule>\n";

/// A root with what Debian's apache2 and libapache2-mod-php8.2 leave.
void apache_root(const fs::path& root, bool with_php = true) {
  write_text(root / "etc/apache2/apache2.conf", "IncludeOptional conf-enabled/*.conf\n");
  write_text(root / "etc/apache2/ports.conf", kDebianPorts);
  write_text(root / "etc/apache2/sites-available/000-default.conf", "<VirtualHost *:80>\n</VirtualHost>\n");
  fs::create_directories(root / "etc/apache2/sites-enabled");
  fs::create_symlink("../sites-available/000-default.conf", root / "etc/apache2/sites-enabled/000-default.conf");
  fs::create_directories(root / "etc/apache2/conf-enabled");
  fs::create_directories(root / "etc/apache2/mods-enabled");
  for (const char* m : {"proxy", "proxy_http", "rewrite", "headers", "remoteip", "mpm_prefork", "mpm_event"})
    write_text(root / "etc/apache2/mods-available" / (std::string(m) + ".load"), "LoadModule x\n");
  for (const char* m : {"proxy", "mpm_prefork", "mpm_event"})
    write_text(root / "etc/apache2/mods-available" / (std::string(m) + ".conf"), "# conf\n");
  for (const char* f : {"mpm_event.load", "mpm_event.conf"})
    fs::create_symlink(std::string("../mods-available/") + f, root / "etc/apache2/mods-enabled" / f);
  if (with_php) {
    write_text(root / "etc/apache2/mods-available/php8.2.load", "LoadModule php_module x\n");
    write_text(root / "etc/apache2/mods-available/php8.2.conf", "# php\n");
    fs::create_directories(root / "etc/php/8.2/apache2/conf.d");
  }
  write_text(root / "etc/timezone", "Europe/Paris\n");
}

}  // namespace

TEST_CASE("www: the files sc writes for Apache", "[www]") {
  CHECK(www::conf_text() ==
        "# sc's Apache behind nginx, written by `sc www setup`: Apache listens on\n"
        "# 127.0.0.1:8080 only (the `Listen 80` of ports.conf is commented out), nginx\n"
        "# (`sc nginx setup`) is the front on 80 and 443.\n"
        "Listen 127.0.0.1:8080\n"
        "ServerName localhost\n"
        "\n"
        "# nginx received the request over TLS: the applications must see HTTPS.\n"
        "SetEnvIf X-Forwarded-Proto \"^https$\" HTTPS=on\n"
        "# The client's address, as nginx (on this host) saw it, in logs and REMOTE_ADDR.\n"
        "RemoteIPHeader X-Forwarded-For\n"
        "RemoteIPInternalProxy 127.0.0.1 ::1\n");
  CHECK(www::site_text("/var/www/html") ==
        "# The web root behind nginx, written by `sc www setup` (it takes the place of\n"
        "# 000-default.conf, whose port 80 Apache no longer listens on).\n"
        "<VirtualHost 127.0.0.1:8080>\n"
        "    ServerAdmin webmaster@localhost\n"
        "    DocumentRoot \"/var/www/html\"\n"
        "    <Directory \"/var/www/html\">\n"
        "        Options FollowSymLinks\n"
        "        AllowOverride All\n"
        "        Require all granted\n"
        "    </Directory>\n"
        "    ErrorLog ${APACHE_LOG_DIR}/error.log\n"
        "    CustomLog ${APACHE_LOG_DIR}/access.log combined\n"
        "</VirtualHost>\n");
  CHECK(www::php_ini_text({"512M", "2G", "1200", "Europe/Paris"}) ==
        "; PHP for Apache behind nginx, written by `sc www setup` (settings WWW_*);\n"
        "; read after php.ini, which sc leaves as the package has it.\n"
        "memory_limit = 512M\n"
        "upload_max_filesize = 2G\n"
        "post_max_size = 2G\n"
        "max_execution_time = 1200\n"
        "date.timezone = \"Europe/Paris\"\n");
}

TEST_CASE("www: only the Listen 80 line of ports.conf is commented out, and back", "[www]") {
  const std::string edited = www::ports_without_80(kDebianPorts);
  std::string expected = kDebianPorts;
  expected.replace(expected.find("Listen 80\n"), 10, "#sc-www# Listen 80\n");
  CHECK(edited == expected);
  CHECK(www::ports_without_80(edited) == edited);  // idempotent
  CHECK(www::ports_restored(edited) == kDebianPorts);
  CHECK(www::ports_restored(kDebianPorts) == kDebianPorts);
  CHECK(www::ports_without_80("Listen 0.0.0.0:80\nListen 8081") == "#sc-www# Listen 0.0.0.0:80\nListen 8081");
  CHECK(www::ports_without_80("# Listen 80\n") == "# Listen 80\n");
}

TEST_CASE("www: time zone, web root and sizes", "[www]") {
  CHECK(www::timezone_of("Europe/Paris\n", "") == "Europe/Paris");
  CHECK(www::timezone_of("", "/usr/share/zoneinfo/America/New_York") == "America/New_York");
  CHECK(www::timezone_of("", "../usr/share/zoneinfo/Etc/UTC") == "Etc/UTC");
  CHECK(www::timezone_of("Bad\"zone\n", "") == "UTC");
  CHECK(www::timezone_of("", "") == "UTC");
  std::string why;
  CHECK(www::valid_root("/var/www/html", &why));
  CHECK(www::valid_root("/srv/www site", &why));  // quoted in Apache's configuration
  for (const char* b : {"", "/", "relative", "/a\"b", "/a\\b", "/a$b", "/a\nb", "/a/../b", "/a/./b", "/a/.."}) {
    INFO(b);
    CHECK_FALSE(www::valid_root(b, &why));
  }
  CHECK(plugin_common::conf_snippet::valid_size("512M", &why));
  CHECK(plugin_common::conf_snippet::valid_size("1024", &why));
  for (const char* b : {"", "M", "512MB", "5 M", "1;x", "-1"})
    CHECK_FALSE(plugin_common::conf_snippet::valid_size(b, &why));
}

TEST_CASE("www setup, ready and cleanup under --root", "[www]") {
  TempDir root;
  apache_root(root.path());
  const std::string before = tree_hash(root.path());
  ScRun r = run_sc_rooted(root.path(), {"--dry-run", "www", "setup"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(tree_hash(root.path()) == before);
  CHECK(run_sc_rooted(root.path(), {"www", "ready"}).status == 1);
  // No web root yet: nothing for a backup (which asks every module) to keep.
  REQUIRE_FALSE(fs::exists(root / "var/www/html"));
  CHECK(run_sc_rooted(root.path(), {"www", "files"}).out.empty());

  r = run_sc_rooted(root.path(), {"www", "setup"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const fs::path a = root / "etc/apache2";
  CHECK(read_text(a / "conf-available/sc-www.conf") == www::conf_text());
  CHECK(fs::read_symlink(a / "conf-enabled/sc-www.conf") == "../conf-available/sc-www.conf");
  CHECK(read_text(a / "sites-available/sc-www.conf") == www::site_text("/var/www/html"));
  CHECK(fs::read_symlink(a / "sites-enabled/sc-www.conf") == "../sites-available/sc-www.conf");
  CHECK(fs::is_symlink(a / "sites-enabled/000-default.conf"));  // the package's site stays
  CHECK(read_text(a / "ports.conf") == www::ports_without_80(kDebianPorts));
  CHECK(read_text(root / "etc/php/8.2/apache2/conf.d/90-sc-www.ini") ==
        www::php_ini_text({"512M", "512M", "1200", "Europe/Paris"}));
  // The modules, php8.2 with the prefork MPM in place of event.
  for (const char* link : {"proxy.load", "proxy.conf", "proxy_http.load", "rewrite.load", "headers.load", "php8.2.load",
                           "php8.2.conf", "mpm_prefork.load", "mpm_prefork.conf"}) {
    INFO(link);
    CHECK(fs::read_symlink(a / "mods-enabled" / link) == std::string("../mods-available/") + link);
  }
  CHECK_FALSE(fs::is_symlink(a / "mods-enabled/mpm_event.load"));
  CHECK_THAT(r.err, Contains("switched Apache from mpm_event to the prefork MPM"));
  CHECK_THAT(r.err, Contains("not run: apache2ctl -t"));
  CHECK(fs::is_directory(root / "var/www/html"));
  CHECK(run_sc_rooted(root.path(), {"www", "ready"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"www", "files"}).out == "/var/www/html\n");

  r = run_sc_rooted(root.path(), {"--json", "www", "setup"});
  json doc = json::parse(r.out);
  INFO(r.out);
  CHECK(doc["status"] == 0);
  CHECK(doc["summary"]["changed"] == 0);

  r = run_sc_rooted(root.path(), {"www", "cleanup"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(read_text(a / "ports.conf") == kDebianPorts);
  CHECK_FALSE(fs::exists(a / "conf-available/sc-www.conf"));
  CHECK_FALSE(fs::is_symlink(a / "conf-enabled/sc-www.conf"));
  CHECK_FALSE(fs::exists(a / "sites-available/sc-www.conf"));
  CHECK_FALSE(fs::exists(root / "etc/php/8.2/apache2/conf.d/90-sc-www.ini"));
  CHECK(run_sc_rooted(root.path(), {"www", "ready"}).status == 1);
  // Again: nothing to do, nothing reloaded.
  r = run_sc_rooted(root.path(), {"--json", "www", "cleanup"});
  CHECK(json::parse(r.out)["summary"]["changed"] == 0);
  CHECK(run_actions(r).empty());
}

TEST_CASE("www setup refuses without PHP 8.2's Apache module", "[www]") {
  TempDir root;
  apache_root(root.path(), /*with_php=*/false);
  const std::string before = tree_hash(root.path());
  ScRun r = run_sc_rooted(root.path(), {"www", "setup"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("the Apache module php8.2 is not installed") &&
                        Contains("apt-get install libapache2-mod-php8.2"));
  CHECK(tree_hash(root.path()) == before);
}

TEST_CASE("www refuses hostile names and values before any change", "[www]") {
  TempDir root;
  apache_root(root.path());
  const std::string in = "Alias /x /srv/x\n";
  for (const auto& bad : hostile_strings()) {
    for (const char* command : {"addconf", "hasconf", "delconf"}) {
      const std::string tree = tree_hash(root.path());
      INFO(command << " [" << bad << "]");
      ScRun r = run_sc_rooted(root.path(), {"www", command, bad}, &in);
      CHECK(r.status == 2);
      CHECK(tree_hash(root.path()) == tree);
    }
    check_refused(root.path(), "www", {"sync", bad, "standby"}, "HOST");
    check_refused(root.path(), "www", {"sync", "m", bad}, "MODE");
  }
  check_refused(root.path(), "www", {"--set", "WWW_ROOT=/a\"b", "setup"}, "WWW_ROOT");
  check_refused(root.path(), "www", {"--set", "WWW_UPLOAD_MAX=1;x", "setup"}, "WWW_UPLOAD_MAX");
  // Not a standby: nothing to copy.
  CHECK(run_sc_rooted(root.path(), {"www", "sync", "m", "client"}).status == 0);
}
