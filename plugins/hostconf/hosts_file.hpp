// Pure functions behind hostconf: FQDN checks and the /etc/hosts edit.
#pragma once

#include <string>
#include <string_view>

namespace hostconf {

/// A host name with a domain, as DNS allows: labels of [a-z0-9-] (1-63
/// characters, no leading or trailing '-'), at least two labels, at most 253
/// characters. Upper case is accepted and lowered by normalize_fqdn.
bool valid_fqdn(std::string_view fqdn, std::string* why);
std::string normalize_fqdn(std::string_view fqdn);

/// The host part ("www" of "www.example.com") and the domain part.
std::string host_part(std::string_view fqdn);
std::string domain_part(std::string_view fqdn);

/// /etc/hosts with its 127.0.1.1 line set to "127.0.1.1\tFQDN HOST": the
/// existing line is replaced in place (comments and every other line kept);
/// without one, the line goes after the last 127.0.0.1 line, or first.
std::string set_hosts_entry(std::string_view hosts, std::string_view fqdn);

/// /etc/hostname content: the host part only, as hostname(5) recommends.
std::string hostname_file(std::string_view fqdn);

}  // namespace hostconf
