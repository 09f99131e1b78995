#include "boot_unit.hpp"

#include <algorithm>

namespace boot_unit {

namespace {

constexpr std::string_view kPrefix = "sc_boot_";
constexpr std::string_view kSuffix = ".service";

}  // namespace

bool valid_module_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

bool plain_exec_path(std::string_view path) {
  if (path.size() < 2 || path[0] != '/') return false;
  return std::all_of(path.begin(), path.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("/._+-").find(c) != std::string_view::npos;
  });
}

std::string unit_name(std::string_view module) {
  return std::string(kPrefix) + std::string(module) + std::string(kSuffix);
}

bool parse_unit_name(std::string_view file, std::string* module) {
  if (file.size() <= kPrefix.size() + kSuffix.size() || file.substr(0, kPrefix.size()) != kPrefix ||
      file.substr(file.size() - kSuffix.size()) != kSuffix)
    return false;
  std::string_view m = file.substr(kPrefix.size(), file.size() - kPrefix.size() - kSuffix.size());
  if (!valid_module_name(m)) return false;
  if (module) *module = std::string(m);
  return true;
}

std::string unit_file(std::string_view sc_binary, std::string_view module) {
  const std::string m(module);
  std::string out;
  auto line = [&out](const std::string& text) { out += text + "\n"; };
  line("# Written by `sc boot add " + m + "`; remove it with `sc boot del " + m + "`.");
  line("[Unit]");
  line("Description=sc module " + m + " boot tasks");
  line("Wants=network-online.target");
  line("After=network-online.target");
  line("");
  line("[Service]");
  line("Type=oneshot");
  line("RemainAfterExit=yes");
  line("ExecStart=" + std::string(sc_binary) + " " + m + " boot");
  line("");
  line("[Install]");
  line("WantedBy=multi-user.target");
  return out;
}

}  // namespace boot_unit
