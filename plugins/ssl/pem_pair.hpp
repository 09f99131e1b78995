// A certificate and its private key, read from PEM text with OpenSSL's
// libcrypto (no program run): what `ready` checks and what is checked
// before a pair is installed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ssl {

/// What a PEM pair holds.
struct PairInfo {
  std::string problem;             ///< "" when the pair is usable (not checked: expiry)
  std::int64_t not_after = 0;      ///< the leaf's end of validity, seconds since the epoch
  std::vector<std::string> names;  ///< the leaf's DNS names (subjectAltName), else its CN
  std::string subject;             ///< the leaf's subject, one line
};

/// Parses `chain` (the leaf first) and `key`; `problem` says what is wrong:
/// no certificate, no key, or a key that is not the certificate's.
PairInfo inspect_pair(const std::string& chain, const std::string& key);

/// The current time, seconds since the epoch.
std::int64_t now_seconds();

/// "2026-12-03 07:52:20 UTC".
std::string utc_text(std::int64_t seconds);

}  // namespace ssl
