#include "peers/peer_address.hpp"

#include <charconv>

namespace sc {
namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool valid_user(std::string_view u) {
  if (u.empty() || u.size() > 64 || u[0] == '-') return false;
  for (size_t i = 0; i < u.size(); ++i) {
    char c = u[i];
    if (is_alnum(c) || c == '_' || c == '.' || c == '-') continue;
    if (c == '$' && i + 1 == u.size()) continue;  // machine accounts
    return false;
  }
  return true;
}

bool valid_host_name(std::string_view h) {
  if (h.empty() || h.size() > 253 || !(is_alnum(h[0]) || h[0] == '_')) return false;
  for (char c : h)
    if (!(is_alnum(c) || c == '.' || c == '-' || c == '_')) return false;
  return true;
}

bool valid_ipv6(std::string_view h) {
  if (h.size() < 2 || h.size() > 64 || h.find(':') == std::string_view::npos) return false;
  for (char c : h)
    if (!(is_alnum(c) || c == ':' || c == '.' || c == '%')) return false;
  return true;
}

}  // namespace

std::string PeerAddress::host_for_url() const {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

bool parse_peer_address(std::string_view text, PeerAddress* out, std::string* err) {
  auto fail = [&](const std::string& why) {
    std::string shown;
    for (char c : text) shown += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
    *err = "\"" + shown + "\" is not a peer name: " + why +
           "; write host, user@host, host:port, user@host:port, [IPv6]:port or a Host alias of ~/.ssh/config";
    return false;
  };
  if (text.empty()) return fail("it is empty");
  PeerAddress a;
  a.text = std::string(text);
  std::string_view rest = text;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    a.user = std::string(rest.substr(0, at));
    rest = rest.substr(at + 1);
    if (!valid_user(a.user)) return fail("bad user name before '@'");
  }
  std::string_view port_text;
  if (!rest.empty() && rest[0] == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos) return fail("'[' without ']'");
    a.host = std::string(rest.substr(1, close - 1));
    if (!valid_ipv6(a.host)) return fail("bad IPv6 address in brackets");
    rest = rest.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return fail("unexpected text after ']'");
      port_text = rest.substr(1);
      if (port_text.empty()) return fail("empty port after ':'");
    }
  } else {
    auto colon = rest.find(':');
    if (colon != std::string_view::npos && rest.find(':', colon + 1) != std::string_view::npos)
      return fail("more than one ':' (write an IPv6 address in brackets: [::1]:22)");
    a.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = rest.substr(colon + 1);
      if (port_text.empty()) return fail("empty port after ':'");
    }
    if (!valid_host_name(a.host))
      return fail("a host is letters, digits, '.', '-' and '_', starting with a letter or digit");
  }
  if (!port_text.empty()) {
    int port = 0;
    auto r = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (r.ec != std::errc() || r.ptr != port_text.data() + port_text.size() || port < 1 || port > 65535)
      return fail("the port must be a number from 1 to 65535");
    a.port = port;
  }
  *out = std::move(a);
  return true;
}

std::string authorized_keys_script() {
  // Prints "present" or "added" so the caller can report ok or changed.
  return "umask 077 && mkdir -p \"$HOME/.ssh\" && f=\"$HOME/.ssh/authorized_keys\" && key=$(cat) && "
         "[ -n \"$key\" ] && touch \"$f\" && "
         "if grep -qxF -- \"$key\" \"$f\"; then echo present; else "
         "if [ -s \"$f\" ] && [ -n \"$(tail -c 1 \"$f\")\" ]; then echo >> \"$f\"; fi && "
         "printf '%s\\n' \"$key\" >> \"$f\" && echo added; fi";
}

}  // namespace sc
