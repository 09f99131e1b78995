// The ssl module's pure logic: settings checked before anything runs, the
// argv and environment of Debian's ACME client `lego`, the renewal
// decision, and the text a master hands a standby.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ssl {

/// Where lego keeps its account and certificates (--path).
inline constexpr const char* kLegoDir = "/var/lib/sc/ssl/lego";
/// Renew when fewer days than this are left (Let's Encrypt's advice for its
/// 90-day certificates).
inline constexpr int kRenewDays = 30;

/// Why `domain` cannot be asked for over http-01, or "" when it can: lower
/// case ASCII letters, digits, '-' and '.', at least two labels of 1 to 63
/// characters, none starting or ending with '-', at most 253 in all (no
/// wildcard: http-01 cannot validate one).
std::string domain_problem(const std::string& domain);

/// The names of SSL_ACME_DOMAINS (separated by spaces or commas), or `fqdn`
/// when it is empty; each checked, duplicates dropped, order kept. nullopt
/// with *why naming the bad value.
std::optional<std::vector<std::string>> domains(const std::string& setting, const std::string& fqdn, std::string* why);

/// Why `email` cannot be the ACME account's contact, or "" ("" is allowed:
/// no contact). One line of printable ASCII, no space or quote, LOCAL@DOMAIN.
std::string email_problem(const std::string& email);

/// The ACME account's contact when SSL_ACME_EMAIL is empty (lego needs
/// one): root at the domain of the certificate's first name, the name
/// without its host label ("m.example.org" -> "root@example.org"; a name of
/// two labels is its own domain). On a master, that is the mail sc serves.
std::string default_email(const std::string& first_domain);

/// Why `url` cannot be the ACME directory, or "": https:// (or http:// to a
/// loopback address), printable ASCII, no space or quote.
std::string directory_problem(const std::string& url);

/// Why `listen` cannot be lego's http-01 address, or "": ":PORT",
/// "IPV4:PORT" or "[IPV6]:PORT".
std::string listen_problem(const std::string& listen);

/// Why `path` cannot be used as a file setting, or "": absolute, no "..",
/// no control character.
std::string path_problem(const std::string& path);

/// The services of SSL_RELOAD (nginx, apache2, postfix, dovecot), checked;
/// nullopt with *why otherwise.
std::optional<std::vector<std::string>> reload_services(const std::string& setting, std::string* why);

/// How lego answers the http-01 challenge.
enum class Challenge {
  kWebroot,     ///< files in SSL_ACME_WEBROOT, served by nginx on port 80
  kStandalone,  ///< lego's own server on SSL_ACME_LISTEN
};

/// SSL_ACME_CHALLENGE ("auto", "webroot", "standalone") resolved: auto is
/// webroot when nginx runs. nullopt for another value.
std::optional<Challenge> challenge(const std::string& setting, bool nginx_runs);

/// What one lego run is given.
struct LegoRequest {
  std::string directory;             ///< ACME directory URL
  std::string email;                 ///< may be empty
  std::vector<std::string> domains;  ///< first one names lego's files
  std::string state_dir;             ///< --path (as the program sees it)
  Challenge challenge = Challenge::kStandalone;
  std::string webroot;  ///< with kWebroot (as the program sees it)
  std::string listen;   ///< with kStandalone
};

/// argv of `lego ... run`: a new order (a first certificate or a renewal
/// alike; lego keeps its account in state_dir). Authorizations are
/// deactivated after each order, so a renewal proves the names again.
std::vector<std::string> lego_argv(const LegoRequest& request);

/// "NAME=VALUE" items lego runs with: LEGO_CA_CERTIFICATES when a CA bundle
/// is named (a private CA's root), nothing else.
std::vector<std::string> lego_env(const std::string& ca_certificates);

/// lego's certificate (leaf + chain) and key for `domains` under state_dir.
std::string lego_certificate(const std::string& state_dir, const std::vector<std::string>& domains);
std::string lego_key(const std::string& state_dir, const std::vector<std::string>& domains);

/// What the installed pair is, as the renewal decision needs it.
struct Installed {
  bool present = false;  ///< both files there, parsed, and matching
  std::int64_t not_after = 0;
  std::vector<std::string> names;  ///< the certificate's DNS names
};

/// Why a renewal is due ("" when it is not), at time `now` (seconds since
/// the epoch): forced, no valid pair, names other than `domains`, or fewer
/// than kRenewDays days left.
std::string renewal_reason(const Installed& installed, const std::vector<std::string>& domains, std::int64_t now,
                           bool force);

/// Whole days left from `now` to `not_after` (negative once expired).
std::int64_t days_left(std::int64_t not_after, std::int64_t now);

/// The text `sc ssl export` prints: the certificate chain, then the key.
std::string export_text(const std::string& chain, const std::string& key);

/// The PEM blocks of `text` split back: certificates into *chain, the
/// private key into *key. False with *why when it is not one key and at
/// least one certificate.
bool split_export(const std::string& text, std::string* chain, std::string* key, std::string* why);

}  // namespace ssl
