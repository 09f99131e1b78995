#include "common/ssh_home.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "common/text_split.hpp"

namespace plugin_common::ssh_home {

std::string target_home(const sc::Context& ctx) {
  const passwd* pw = ::getpwuid(::geteuid());
  const std::string user = pw && pw->pw_name ? pw->pw_name : "root";
  if (!ctx.rooted()) {
    const char* home = std::getenv("HOME");
    return home && *home ? home : (pw && pw->pw_dir ? pw->pw_dir : "/root");
  }
  const std::string passwd_text = ctx.read_file("/etc/passwd").value_or("");
  for (auto line : text_split::lines(passwd_text)) {
    auto fields = text_split::fields(line, ':');
    if (fields.size() >= 7 && fields[0] == user && !fields[5].empty() && fields[5][0] == '/')
      return std::string(fields[5]);
  }
  return ::geteuid() == 0 ? "/root" : "";
}

std::string target_ssh_dir(const sc::Context& ctx) {
  std::string home = target_home(ctx);
  if (home.empty()) return {};
  while (home.size() > 1 && home.back() == '/') home.pop_back();
  return (home == "/" ? "" : home) + "/.ssh";
}

openssh::Identity identity(const sc::Context& ctx) {
  openssh::Identity id;
  id.ssh_dir = target_ssh_dir(ctx);
  if (id.ssh_dir.empty()) return id;
  for (const char* name : openssh::kKeyNames)
    if (ctx.stat(id.ssh_dir + "/" + name, /*follow=*/true).is_file()) id.keys.push_back(id.ssh_dir + "/" + name);
  id.config_exists = ctx.stat(id.ssh_dir + "/config", /*follow=*/true).is_file();
  return id;
}

bool cpu_has_aes() {
  std::ifstream f("/proc/cpuinfo");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return openssh::cpu_has_aes(text);
}

}  // namespace plugin_common::ssh_home
