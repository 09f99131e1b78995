// scanner on the test cluster: s is the scanning station (SANE's test
// backend stands for the scanner, saned serves it on port 6566 of s's
// address), c scans through SANE's net backend that `sc scanner setup`
// points at s, into a searchable PDF owned by its user. saned allows only
// the hosts of SCANNER_CLIENTS: all the test hosts share one network
// stack, and their connections to each other come from 127.0.0.1, so that
// is the address s must allow for c (see below).
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cluster.hpp"
#include "cluster_checks.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

TEST_CASE("cluster: scanner on c scans through saned on s into a searchable PDF owned by its user",
          "[scanner][cluster][services]") {
  Cluster c({"s", "c"});
  // The test backend stands for the scanner attached to s.
  const fs::path dll = c.path("s", "/etc/sane.d/dll.conf");
  write_text(dll, read_text(dll) + "test\n");

  // saned admits connections from the loopback network whatever its
  // access list says, and the test hosts reach each other from 127.0.0.1:
  // sc's lines are checked as text here, the refusal of a host not named is
  // not exercised.
  ScRun r = c.sc("s", {"--set", "SCANNER_MODE=local", "--set", "SCANNER_CLIENTS=c 127.0.0.1", "--set",
                       "SCANNER_DEVICE=test", "scanner", "setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(read_text(c.path("s", "/etc/sane.d/saned.conf")), Contains("\nc\n127.0.0.1\n# END synccluster scanner\n"));
  start_background(c, "s", {"saned", "-l", "-e", "-b", c.address("s")}, "/var/lib/sc/saned.log");

  REQUIRE(c.on("c", {"useradd", "-u", "4343", "-M", "alice"}).ok());
  r = c.sc("c", {"--set", "SCANNER_MODE=remote", "--set", "SCANNER_HOST=s", "scanner", "setup"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(read_text(c.path("c", "/etc/sane.d/net.conf")), Contains("\ns\n# END synccluster scanner\n"));
  r = c.sc("c", {"scanner", "ready"});
  INFO(r.err);
  CHECK(r.status == 0);

  const std::vector<std::string> scan = {"--set",  "SCANNER_DEVICE=net:s:test:0",
                                         "--set",  "SCANNER_OPTIONS=--mode=Gray --resolution=50",
                                         "--json", "scanner",
                                         "scan",   "alice"};
  // saned listens soon after start_background returns: wait until c finds it.
  CHECK(wait_for(
            [&] {
              return c.on("c", {"scanimage", "-L"}).out.find("net:s:test:0") != std::string::npos;
            },
            20) >= 0);
  r = c.sc("c", scan);
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  const std::string file = json::parse(r.out)["result"]["file"];
  CHECK(file.rfind("/srv/mass/scan/alice/scan-", 0) == 0);
  const fs::path pdf = c.path("c", file);
  struct stat st {};
  REQUIRE(::stat(pdf.c_str(), &st) == 0);
  CHECK(st.st_uid == 4343u);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK_THAT(out_of(c, "c", {"pdfinfo", file}), Contains("Tesseract"));
  CHECK_THAT(read_text(c.path("s", "/var/lib/sc/saned.log")), Contains("access granted"));

  // s is ready; a second setup on each host changes nothing.
  r = c.sc("s", {"scanner", "ready"});
  INFO(r.err);
  CHECK(r.status == 0);
  for (const char* h : {"s", "c"}) {
    r = c.sc(h, {"--json", "scanner", "setup"});
    REQUIRE(r.status == 0);
    CHECK(json::parse(r.out)["summary"]["changed"] == 0);
  }
}
