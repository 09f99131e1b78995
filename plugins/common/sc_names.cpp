#include "common/sc_names.hpp"

#include <algorithm>
#include <filesystem>
#include <sc/plugin.hpp>

namespace plugin_common::sc_names {

bool valid_module_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

std::string checked_module_name(const std::string& name) {
  if (!valid_module_name(name))
    throw sc::Usage("\"" + name +
                    "\" is not a module name (lower-case letters, digits and '-', starting with a letter)");
  return name;
}

std::string running_sc() {
  std::error_code ec;
  std::string s = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (ec) throw sc::Failure("cannot tell where sc is installed: /proc/self/exe: " + ec.message());
  const std::string deleted = " (deleted)";
  if (s.size() > deleted.size() && s.compare(s.size() - deleted.size(), deleted.size(), deleted) == 0)
    s.resize(s.size() - deleted.size());
  return s;
}

bool valid_daemon_instance(std::string_view instance) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (instance.empty() || instance.size() > 128 || !alnum(instance[0])) return false;
  for (char c : instance)
    if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

}  // namespace plugin_common::sc_names
