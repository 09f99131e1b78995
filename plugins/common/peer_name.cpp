#include "common/peer_name.hpp"

#include <algorithm>
#include <charconv>
#include <regex>
#include <sc/plugin.hpp>

namespace plugin_common::peer_name {
namespace {

// The core's rules for peer names (core/peers/peer_address.cpp).
const std::regex& peer_regex() {
  static const std::regex re(R"(^([A-Za-z0-9._][A-Za-z0-9._-]{0,63}\$?@)?)"
                             R"(([A-Za-z0-9_][A-Za-z0-9._-]{0,252}|\[[0-9A-Za-z:.%]{2,64}\])(:[0-9]{1,5})?$)");
  return re;
}

}  // namespace

std::string problem(std::string_view peer) {
  if (peer.empty()) return "it is empty";
  if (peer.size() > 330) return "it is longer than a user, a host name of 253 bytes and a port";
  // A port that is not a number is said as such, not as a bad host.
  std::string_view rest = peer.substr(peer.find('@') == std::string_view::npos ? 0 : peer.find('@') + 1);
  if (!rest.empty() && rest[0] != '[' && std::count(rest.begin(), rest.end(), ':') == 1) {
    std::string_view port = rest.substr(rest.find(':') + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return "the port must be a number from 1 to 65535";
  }
  std::string p(peer);
  std::smatch m;
  if (!std::regex_match(p, m, peer_regex()))
    return "a host is letters, digits, '.', '-' and '_', starting with a letter, digit or '_' (an IPv6 address in "
           "brackets), optionally after USER@ and followed by :PORT";
  if (m[3].matched) {
    const std::string port = m[3].str().substr(1);
    unsigned long n = 0;
    auto r = std::from_chars(port.data(), port.data() + port.size(), n);
    if (r.ec != std::errc() || r.ptr != port.data() + port.size() || n < 1 || n > 65535)
      return "the port must be a number from 1 to 65535";
  }
  const std::string host = m[2].str();
  if (host[0] != '[') {
    size_t start = 0;
    while (start <= host.size()) {
      size_t dot = host.find('.', start);
      if (dot == std::string::npos) dot = host.size();
      if (dot - start > 63) return "a label of a host name (between dots) has at most 63 bytes";
      start = dot + 1;
    }
  }
  return {};
}

bool valid(std::string_view peer) {
  return problem(peer).empty();
}

std::string checked(const std::string& peer, const std::string& what) {
  const std::string why = problem(peer);
  if (!why.empty())
    throw sc::Usage(what + " \"" + peer + "\" is not a peer name: " + why +
                    "; write host, user@host, host:port, user@host:port, [IPv6]:port or a Host alias of "
                    "~/.ssh/config");
  return peer;
}

}  // namespace plugin_common::peer_name
