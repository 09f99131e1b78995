#include "lifeline_spec.hpp"

#include "common/host_address.hpp"

namespace lifeline {

namespace {

bool digits(std::string_view s) {
  return !s.empty() && s.size() <= 5 && s.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

std::string local_problem(std::string_view local) {
  if (local.empty()) return "it is empty";
  size_t colon = local.rfind(':');
  if (colon == std::string_view::npos) return "it has no port: write HOST:PORT, e.g. localhost:22";
  std::string_view host = local.substr(0, colon), port = local.substr(colon + 1);
  if (!digits(port) || std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535)
    return "the port must be a number from 1 to 65535";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    if (!plugin_common::host_address::is_ipv6(host.substr(1, host.size() - 2)))
      return "\"" + std::string(host) + "\" is not an IPv6 address in brackets";
    return "";
  }
  if (std::string why = plugin_common::host_address::name_or_ipv4_problem(host); !why.empty())
    return "the host: " + why;
  return "";
}

void split_local(std::string_view local, std::string* host, int* port) {
  size_t colon = local.rfind(':');
  *host = std::string(local.substr(0, colon));
  *port = std::stoi(std::string(local.substr(colon + 1)));
}

plugin_common::tunnel::Spec spec(const Config& c, const plugin_common::openssh::Identity& id) {
  namespace os = plugin_common::openssh;
  plugin_common::tunnel::Spec s;
  s.module = kModule;
  const os::Peer relay = os::split_peer(c.target);
  const std::string ctl = plugin_common::tunnel::control_path(kModule, "");
  const std::string local = c.local_host + ":" + std::to_string(c.local_port);
  s.target = "port " + std::to_string(c.port) + " of " + c.target + " leads to " + local;
  const auto options = os::client_options(id, c.connect_timeout, c.keepalive, 3);
  const auto bulk = os::bulk_options(c.aes);
  const auto dest = os::destination_words(relay);

  s.ssh = {"ssh"};
  s.ssh.insert(s.ssh.end(), options.begin(), options.end());
  s.ssh.insert(s.ssh.end(), bulk.begin(), bulk.end());
  s.ssh.insert(s.ssh.end(), {"-o", "ExitOnForwardFailure=yes", "-o", "ControlMaster=yes", "-o", "ControlPath=" + ctl,
                             "-o", "ControlPersist=no", "-N", "-R", std::to_string(c.port) + ":" + local});
  s.ssh.insert(s.ssh.end(), dest.begin(), dest.end());

  s.probe = {"ssh"};
  s.probe.insert(s.probe.end(), options.begin(), options.end());
  s.probe.insert(s.probe.end(),
                 {"-o", "ControlMaster=no", "-o", "ControlPath=" + ctl, "-W", "localhost:" + std::to_string(c.port)});
  s.probe.insert(s.probe.end(), dest.begin(), dest.end());
  s.probe_expect = "SSH-";
  return s;
}

}  // namespace lifeline
