// The text of /etc/motd: pure functions, unit-tested without sc.
#pragma once

#include <string>

namespace motd {

/// The message of the day for `fqdn`: "TEXT FQDN" on one line, or inside a
/// box of '*' when `boxed`. Control characters in `text` become spaces.
std::string render(const std::string& text, const std::string& fqdn, bool boxed);

/// True for a host name made of letters, digits, '-' and '.', at most 253
/// characters, not starting with '-' or '.'.
bool valid_host_name(const std::string& name);

/// The first line of `text`, without surrounding blanks.
std::string first_line(const std::string& text);

}  // namespace motd
