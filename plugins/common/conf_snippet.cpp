#include "common/conf_snippet.hpp"

#include <unistd.h>

namespace plugin_common::conf_snippet {
namespace {

constexpr const char* kApacheAvailable = "/etc/apache2/conf-available";
constexpr const char* kApacheEnabled = "/etc/apache2/conf-enabled";
constexpr const char* kNginxLocations = "/etc/nginx/sc-locations";

std::string file_name(Server server, const std::string& name) {
  return server == Server::apache ? "sc_" + name + ".conf" : name + ".conf";
}

std::string link_path(const std::string& name) {
  return std::string(kApacheEnabled) + "/" + file_name(Server::apache, name);
}

}  // namespace

void check_name(const std::string& name) {
  const auto ok_char = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; };
  bool ok = !name.empty() && name.size() <= 64 && name[0] != '-' && name[0] != '_';
  for (char c : name) ok = ok && ok_char(c);
  if (!ok)
    throw sc::Usage("invalid snippet name \"" + name +
                    "\": use 1 to 64 of a-z, 0-9, '_' and '-', starting with a letter or a digit (e.g. roundcube)");
}

std::string from_stdin(const sc::Context& ctx) {
  const std::string usage = "usage: sc " + ctx.module() + " " + ctx.command() + " NAME < FILE";
  if (::isatty(STDIN_FILENO)) throw sc::Usage("give the snippet on stdin; " + usage);
  std::string text;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(STDIN_FILENO, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    throw sc::Usage("the snippet on stdin is empty; " + usage);
  return text;
}

bool valid_size(const std::string& size, std::string* why) {
  bool ok = !size.empty() && size.size() <= 12;
  for (size_t i = 0; ok && i < size.size(); ++i) {
    const char c = size[i];
    const bool digit = c >= '0' && c <= '9';
    const bool unit = i + 1 == size.size() && i > 0 && std::string("kKmMgG").find(c) != std::string::npos;
    ok = digit || unit;
  }
  if (!ok && why) *why = "\"" + size + "\" is not a size: digits, optionally followed by k, m or g (e.g. 512m)";
  return ok;
}

std::string path(Server server, const std::string& name) {
  return std::string(server == Server::apache ? kApacheAvailable : kNginxLocations) + "/" + file_name(server, name);
}

std::vector<checked_config::File> files(Server server, const std::string& name, const std::string& text) {
  std::vector<checked_config::File> out;
  out.push_back({path(server, name), text});
  if (server == Server::apache) {
    checked_config::File link{link_path(name), ""};
    link.link = "../conf-available/" + file_name(server, name);
    out.push_back(link);
  }
  return out;
}

checked_config::Service service(Server server) {
  return server == Server::apache ? checked_config::apache() : checked_config::nginx();
}

bool add(const sc::Context& ctx, Server server, const std::string& name, const std::string& text) {
  check_name(name);
  if (server == Server::nginx) {
    if (!ctx.stat(kNginxLocations).exists()) ctx.make_dir(kNginxLocations);
  } else {
    for (const char* dir : {kApacheAvailable, kApacheEnabled})
      if (!ctx.stat(dir).exists()) ctx.make_dir(dir);
  }
  const checked_config::Service s = service(server);
  if (!checked_config::install(ctx, s, files(server, name, text))) return false;
  checked_config::reload(ctx, s);
  return true;
}

bool has(const sc::Context& ctx, Server server, const std::string& name) {
  check_name(name);
  if (!ctx.stat(path(server, name), /*follow=*/false).is_file()) return false;
  return server == Server::nginx || ctx.stat(link_path(name), /*follow=*/false).is_symlink();
}

bool remove(const sc::Context& ctx, Server server, const std::string& name) {
  check_name(name);
  std::vector<std::string> paths;
  if (server == Server::apache) paths.push_back(link_path(name));
  paths.push_back(path(server, name));
  const checked_config::Service s = service(server);
  if (!checked_config::remove(ctx, s, paths)) return false;
  checked_config::reload(ctx, s);
  return true;
}

}  // namespace plugin_common::conf_snippet
