#include "daemon_unit.hpp"

#include "common/sc_names.hpp"
#include "common/systemd_unit.hpp"

namespace daemon_unit {

namespace {

constexpr std::string_view kPrefix = "sc_daemon_";

}  // namespace

bool valid_instance(std::string_view instance) {
  return plugin_common::sc_names::valid_daemon_instance(instance);
}

std::string unit_name(std::string_view module, std::string_view instance) {
  std::string stem(module);
  if (!instance.empty()) stem += "_" + std::string(instance);
  return plugin_common::systemd_unit::unit_name(kPrefix, stem);
}

bool parse_unit_name(std::string_view file, std::string* module, std::string* instance) {
  std::optional<std::string_view> rest = plugin_common::systemd_unit::unit_stem(file, kPrefix);
  if (!rest) return false;
  // Module names have no '_': the first one starts the instance.
  size_t sep = rest->find('_');
  std::string_view m = rest->substr(0, sep);
  std::string_view i = sep == std::string_view::npos ? std::string_view() : rest->substr(sep + 1);
  if (!plugin_common::sc_names::valid_module_name(m) || (sep != std::string_view::npos && !valid_instance(i)))
    return false;
  if (module) *module = std::string(m);
  if (instance) *instance = std::string(i);
  return true;
}

std::string unit_file(std::string_view sc_binary, std::string_view module, std::string_view instance) {
  const std::string m(module), i(instance);
  const std::string args = m + (i.empty() ? "" : " " + i);
  std::string out;
  auto line = [&out](const std::string& text) { out += text + "\n"; };
  line("# Written by `sc daemon add " + args + "`; remove it with `sc daemon del " + args + "`.");
  line("[Unit]");
  line("Description=sc module " + m + " daemon" + (i.empty() ? "" : " (" + i + ")"));
  line("Wants=network-online.target");
  line("After=network-online.target");
  line("# Never give up restarting: no start-rate limit.");
  line("StartLimitIntervalSec=0");
  line("");
  line("[Service]");
  line("ExecStart=" + std::string(sc_binary) + " " + m + " daemon" + (i.empty() ? "" : " " + i));
  line("Restart=always");
  line("RestartSec=10");
  line("");
  line("[Install]");
  line("WantedBy=multi-user.target");
  return out;
}

}  // namespace daemon_unit
