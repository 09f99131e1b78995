// Snippets other modules add to the web servers sc configures, under a
// name: Apache conf snippets (`sc www addconf NAME`, the roundcube and cloud
// modules' `/mail` and `/cloud`) and nginx locations inside sc's TLS front
// (`sc nginx addconf NAME`). One rule for both, through checked_config: the
// snippet is written, the server's own checker runs on the whole
// configuration, a refused snippet is put back as it was, and the server
// is reloaded (never restarted) when something changed.
//
//   Apache: /etc/apache2/conf-available/sc_NAME.conf, enabled as Debian's
//           a2enconf does: conf-enabled/sc_NAME.conf -> ../conf-available/sc_NAME.conf
//   nginx:  /etc/nginx/sc-locations/NAME.conf, which sc's site
//           (sites-available/sc-front) includes in its 443 server
//
// A name is 1 to 64 of [a-z0-9_-], starting with a letter or digit: it
// becomes a file name, so nothing else is accepted (no '/', '..', spaces,
// quotes or shell characters).
#pragma once

#include <sc/plugin.hpp>
#include <string>
#include <vector>

#include "common/checked_config.hpp"

namespace plugin_common::conf_snippet {

enum class Server { apache, nginx };

/// Throws sc::Usage naming the rule when `name` is not a valid snippet name.
void check_name(const std::string& name);

/// The snippet of `sc MODULE addconf NAME < FILE`, read from stdin. Throws
/// sc::Usage when stdin is a terminal (nothing was piped) or the text is
/// blank.
std::string from_stdin(const sc::Context& ctx);

/// A size as nginx and PHP read it: digits, optionally followed by k, m or
/// g (either case). False, with *why saying so, otherwise.
bool valid_size(const std::string& size, std::string* why);

/// The file that holds the snippet (Apache: the conf-available one).
std::string path(Server server, const std::string& name);

/// What add() installs: the snippet's file and, for Apache, its
/// conf-enabled link. Pure.
std::vector<checked_config::File> files(Server server, const std::string& name, const std::string& text);

/// The checked_config service of the server (checker, reload).
checked_config::Service service(Server server);

/// Installs the snippet (creating the snippet directory when missing),
/// checked by the server's checker, then reloads a running server when it
/// changed. True when something changed. Throws sc::Usage for a bad name,
/// sc::Failure with the checker's words when it refuses (nothing left).
bool add(const sc::Context& ctx, Server server, const std::string& name, const std::string& text);

/// True when the snippet is installed (and, for Apache, enabled).
bool has(const sc::Context& ctx, Server server, const std::string& name);

/// Removes the snippet (and its link), checks, reloads a running server.
/// True when something was removed; false when there was nothing.
bool remove(const sc::Context& ctx, Server server, const std::string& name);

}  // namespace plugin_common::conf_snippet
