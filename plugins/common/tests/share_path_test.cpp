#include "common/share_path.hpp"

#include <catch2/catch.hpp>
#include <sc/plugin.hpp>
#include <string>

#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

namespace sp = plugin_common::share_path;

TEST_CASE("share_path: directories that fstab, exports and ganesha.conf hold as they are", "[common][share_path]") {
  for (const char* ok : {"/", "/srv/mass", "/srv/mass/", "/home/ünïcødé-名前", "/a,b=c:d@e+f%g", "/it's"}) {
    INFO(ok);
    CHECK(sp::problem(ok).empty());
  }
  CHECK(sp::clean("/srv/mass/") == "/srv/mass");
  CHECK(sp::clean("/") == "/");
  for (const std::string bad : {"", "srv", "/a b", "/a\tb", "/a\nb", "/a\\040b", "/a\"b", "/a#b", "/a//b", "/a/./b",
                                "/a/../b", "/..", "/a\x7f", "/a\x01", "/\xff\xfe", "/\xc2\x85", "/\xc0\xaf"}) {
    INFO(bad);
    CHECK_FALSE(sp::problem(bad).empty());
  }
  CHECK_FALSE(sp::problem("/" + std::string(4095, 'a')).empty());
  CHECK(sp::problem("/" + std::string(4094, 'a')).empty());
  CHECK_THROWS_WITH(sp::checked("/a b", "PATH"), Contains("PATH \"/a b\" cannot be shared"));
  for (const auto& bad : hostile_strings()) CHECK_FALSE(sp::problem(bad).empty());
}
