// SHA-256 (FIPS 180-4) of a text, for records that must tell whether a file
// is still what sc wrote (sc migrate's record). The core links no crypto
// library (OpenSSL lives in ssh.so only), hence this small one.
#pragma once

#include <string>
#include <string_view>

namespace sc {

/// The SHA-256 digest of `data`, as 64 lower-case hex digits.
std::string sha256_hex(std::string_view data);

}  // namespace sc
