// What the web applications sc installs behind Apache (roundcube, cloud)
// share: secrets generated once per host and kept in settings, PHP
// configuration text checked with `php -l` before it is installed, the
// database through the db module (the password handed over in a root-only
// file, never on a command line). Their Apache snippets go through
// conf_snippet.
#pragma once

#include <sc/plugin.hpp>
#include <string>
#include <string_view>

namespace plugin_common::web_app {

/// Letters and digits: a generated secret is safe unquoted in PHP strings,
/// URLs and configuration files.
inline constexpr std::string_view kSecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `length` characters of kSecretAlphabet drawn from `random` bytes without
/// bias (bytes >= 248 are skipped); empty when `random` runs out first.
std::string secret_from_bytes(std::string_view random, std::size_t length);

/// A fresh secret of `length` characters from the kernel's random source.
/// Throws sc::Failure when it cannot be read.
std::string random_secret(std::size_t length);

/// True when `value` is a secret sc accepts: only kSecretAlphabet, and at
/// least `min_length` characters.
bool valid_secret(std::string_view value, std::size_t min_length);

/// The setting `name` (a secret of the calling module): its value, or,
/// when unset, a new random secret of `length` characters, stored.
/// Throws sc::Failure naming the setting and the fix when the stored value
/// is not valid_secret(value, length).
std::string secret_setting(const sc::Context& ctx, const std::string& name, std::size_t length);

/// `text` as a PHP single-quoted string literal ('it\'s').
std::string php_quote(std::string_view text);

/// `text` percent-encoded as PHP's rawurlencode does (RFC 3986 unreserved
/// characters kept).
std::string url_encode(std::string_view text);

/// Runs `php -l` on `text` (on its stdin, so a secret in it reaches no file
/// before it is accepted; runs under --dry-run and --root too). Throws
/// sc::Failure with PHP's words, naming `what`, when PHP refuses it.
void php_check(const sc::Context& ctx, const std::string& text, const std::string& what);

/// The role `role` and its database `database` through `sc db add`, the
/// password handed over in `password_file` (written 0600 root, kept: a
/// second setup finds it unchanged and db changes nothing). Throws
/// sc::Failure when db fails.
void ensure_database(const sc::Context& ctx, const std::string& role, const std::string& database,
                     const std::string& password, const std::string& password_file);

/// True when `sc db has DATABASE` succeeds.
bool database_exists(const sc::Context& ctx, const std::string& database);

}  // namespace plugin_common::web_app
