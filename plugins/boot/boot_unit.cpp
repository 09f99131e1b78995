#include "boot_unit.hpp"

#include "common/sc_names.hpp"
#include "common/systemd_unit.hpp"

namespace boot_unit {

namespace {

constexpr std::string_view kPrefix = "sc_boot_";

}  // namespace

std::string unit_name(std::string_view module) {
  return plugin_common::systemd_unit::unit_name(kPrefix, module);
}

bool parse_unit_name(std::string_view file, std::string* module) {
  std::optional<std::string_view> m = plugin_common::systemd_unit::unit_stem(file, kPrefix);
  if (!m || !plugin_common::sc_names::valid_module_name(*m)) return false;
  if (module) *module = std::string(*m);
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
