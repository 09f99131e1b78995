// Hosts as NFS files name them (plugins/common/host_address), shared by
// nfsclient's SERVER and nfssrv's clients.
#include "common/host_address.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "test_support.hpp"

using Catch::Contains;

namespace ha = plugin_common::host_address;

TEST_CASE("host_address: IPv4 and IPv6 addresses", "[common][host_address]") {
  for (const char* ok : {"10.0.0.1", "0.0.0.0", "255.255.255.255", "192.168.1.10"}) {
    INFO(ok);
    CHECK(ha::is_ipv4(ok));
  }
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1..2.3", "1.2.3.", "a.b.c.d", "1.2.3.4/8",
                          " 1.2.3.4", "1234.1.1.1"}) {
    INFO(bad);
    CHECK_FALSE(ha::is_ipv4(bad));
  }
  for (const char* ok : {"::", "::1", "fd00::1", "FD00::A:b", "::ffff:10.0.0.1", "2001:db8:0:0:0:0:0:1"}) {
    INFO(ok);
    CHECK(ha::is_ipv6(ok));
  }
  for (const char* bad : {"", ":", "fd00:1", "[fd00::1]", "fd00::1%eth0", "fd00::g", "fd00::/64"}) {
    INFO(bad);
    CHECK_FALSE(ha::is_ipv6(bad));
  }
  CHECK_FALSE(ha::is_ipv6(std::string(46, ':')));
}

TEST_CASE("host_address: host names and IPv4 addresses", "[common][host_address]") {
  for (const char* ok : {"master", "master.example.com", "a-1.b", "10.0.0.1", "x1", "1a.example"}) {
    INFO(ok);
    CHECK(ha::name_or_ipv4_problem(ok).empty());
  }
  CHECK_THAT(ha::name_or_ipv4_problem("300.1.1.1"), Contains("neither a host name nor an IPv4 address"));
  CHECK_THAT(ha::name_or_ipv4_problem("1.2.3"), Contains("neither a host name nor an IPv4 address"));
  CHECK_THAT(ha::name_or_ipv4_problem("a..b"), Contains("empty label"));
  CHECK_THAT(ha::name_or_ipv4_problem(".a"), Contains("empty label"));
  CHECK_THAT(ha::name_or_ipv4_problem(std::string(64, 'a') + ".com"), Contains("longer than 63 bytes"));
  CHECK_THAT(ha::name_or_ipv4_problem("-a"), Contains("starts or ends with '-'"));
  CHECK_THAT(ha::name_or_ipv4_problem("a_b"), Contains("letters, digits, '-' and '.'"));
  CHECK_THAT(ha::name_or_ipv4_problem(std::string(127, 'a') + "." + std::string(126, 'b')),
             Contains("longer than 253 bytes"));
  CHECK(ha::name_or_ipv4_problem(std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
                                 std::string(61, 'd'))
            .empty());
  for (const auto& bad : sc::test::hostile_strings()) {
    INFO(bad);
    CHECK_FALSE(ha::name_or_ipv4_problem(bad).empty());
  }
}
