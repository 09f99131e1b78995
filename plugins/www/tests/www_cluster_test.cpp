// www's sync hook between two hosts of the test cluster: a standby takes
// the master's web root over sc's SSH session, files gone from the master
// removed; another role keeps its own.
#include <catch2/catch.hpp>

#include "cluster.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

TEST_CASE("www sync: a standby takes the master's web root", "[www][cluster]") {
  Cluster c({"m", "s"});
  c.trust_all();
  // The web roots in the hosts' own /srv (/var/www is the machine's); the
  // standby's differs from the master's, which it asks the master for.
  REQUIRE(c.sc("m", {"settings", "set", "WWW_ROOT", "/srv/www/html"}).status == 0);
  REQUIRE(c.sc("s", {"settings", "set", "WWW_ROOT", "/srv/web"}).status == 0);
  write_text(c.path("m", "/srv/www/html/index.php"), "<?php echo 'hello';\n");
  write_text(c.path("m", "/srv/www/html/sub/page.html"), "page\n");
  write_text(c.path("s", "/srv/web/stale.html"), "stale\n");

  // A client keeps its own web root.
  ScRun r = c.sc("s", {"www", "sync", "m", "client"});
  CHECK(r.status == 0);
  CHECK(fs::exists(c.path("s", "/srv/web/stale.html")));
  CHECK_FALSE(fs::exists(c.path("s", "/srv/web/index.php")));

  r = c.sc("s", {"www", "sync", "m", "standby"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(read_text(c.path("s", "/srv/web/index.php")) == "<?php echo 'hello';\n");
  CHECK(read_text(c.path("s", "/srv/web/sub/page.html")) == "page\n");
  CHECK_FALSE(fs::exists(c.path("s", "/srv/web/stale.html")));

  // Removed on the master: removed on the standby at the next sync.
  fs::remove(c.path("m", "/srv/www/html/sub/page.html"));
  REQUIRE(c.sc("s", {"www", "sync", "m", "standby"}).status == 0);
  CHECK_FALSE(fs::exists(c.path("s", "/srv/web/sub/page.html")));
  CHECK(fs::exists(c.path("s", "/srv/web/index.php")));

  // An unreachable master: a failure naming it, the copy left as it was.
  r = c.sc("s", {"www", "sync", "127.0.0.1:1", "standby"});
  CHECK(r.status == 1);
  CHECK(fs::exists(c.path("s", "/srv/web/index.php")));
}
