// What the mail module's tests share: a stand-in for the ssl module.
//
// mail requires ssl (its SSLCERT and SSLKEY settings), which another
// module provides; these tests must not depend on its code or on an ACME
// CA. The stand-in (tests/ssl_standin.*, built beside the tests, never
// installed) declares the two settings with the contract's defaults and
// has no setup or ready command, so `sc mail setup` has nothing of ssl to
// run; the tests write the certificate and key themselves. First on the
// plugin path, it shadows the real ssl module when that one is built too.
#pragma once

#include <string>

#include "test_paths.hpp"

namespace mail_test {

/// The directory of the stand-in's ssl.json and ssl.so.
inline std::string ssl_standin_dir() {
  return std::string(sc::test::kBuildDir) + "/tests/mail-ssl-standin";
}

}  // namespace mail_test
