#include "tunnel_config.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <sstream>

namespace wstunnel {

namespace {

bool is_v6(const std::string& h) {
  in6_addr a;
  return inet_pton(AF_INET6, h.c_str(), &a) == 1;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// Why `h` is not a host name or IPv4 address ("" = it is one).
std::string host_problem(const std::string& h) {
  if (h.empty()) return "the host is empty";
  if (h.size() > 253) return "the host is longer than 253 bytes";
  for (unsigned char c : h)
    if (!std::isalnum(c) && c != '-' && c != '.') return "the host may hold only ASCII letters, digits, '-' and '.'";
  if (h.front() == '-' || h.front() == '.') return "the host must start with a letter or digit";
  return "";
}

std::optional<unsigned> parse_port(std::string_view p) {
  if (p.empty() || p.size() > 5) return std::nullopt;
  unsigned v = 0;
  for (char c : p) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v == 0 || v > 65535) return std::nullopt;
  return v;
}

/// HOST[:PORT] or [V6][:PORT] into host and port (0 when absent).
bool split_host_port(std::string_view text, std::string* host, std::string_view* port, bool* has_port) {
  *has_port = false;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return false;
    *host = std::string(text.substr(1, close - 1));
    if (!is_v6(*host)) return false;
    std::string_view rest = text.substr(close + 1);
    if (rest.empty()) return true;
    if (rest.front() != ':') return false;
    *port = rest.substr(1);
    *has_port = true;
    return true;
  }
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    *host = std::string(text);
    return true;
  }
  *host = std::string(text.substr(0, colon));
  *port = text.substr(colon + 1);
  *has_port = true;
  return true;
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string quoted(std::string_view v) {
  // Shown in messages: control characters made visible.
  std::string out = "\"";
  for (unsigned char c : v) {
    if (c < 0x20 || c == 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace

std::string Endpoint::text() const {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<Endpoint> parse_endpoint(std::string_view text, std::string* err) {
  auto fail = [&](const std::string& why) -> std::optional<Endpoint> {
    if (err) *err = quoted(text) + " is not HOST:PORT: " + why + " (e.g. 127.0.0.1:8022 or [::1]:8022)";
    return std::nullopt;
  };
  std::string host;
  std::string_view port;
  bool has_port = false;
  if (!split_host_port(text, &host, &port, &has_port)) return fail("a bracketed host must be an IPv6 address");
  if (!has_port) return fail("the port is missing");
  if (!is_v6(host)) {
    std::string p = host_problem(host);
    if (!p.empty()) return fail(p);
  }
  auto v = parse_port(port);
  if (!v) return fail("the port must be a number from 1 to 65535");
  return Endpoint{host, *v};
}

std::string ServerUrl::host_header() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls ? 443u : 80u)) h += ":" + std::to_string(port);
  return h;
}

std::string ServerUrl::request_target(const std::string& dst) const {
  // The npm client appends "/?dst=" to the URL as it was given.
  if (dst.empty()) return path.empty() ? "/" : path;
  return path + "/?dst=" + dst;
}

std::string ServerUrl::text() const {
  return std::string(tls ? "wss://" : "ws://") + host_header() + path;
}

std::optional<ServerUrl> parse_server_url(std::string_view text, std::string* err) {
  auto fail = [&](const std::string& why) -> std::optional<ServerUrl> {
    if (err)
      *err = quoted(text) + " is not a server URL: " + why +
             " (e.g. https://master.example.com/wstunnel or ws://127.0.0.1:8022)";
    return std::nullopt;
  };
  for (unsigned char c : text)
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\'' || c == '\\' || c == '`' || c == '$' || c == ';')
      return fail("it may hold only printable ASCII without spaces, quotes, '\\', '`', '$' or ';'");
  ServerUrl u;
  std::string_view rest;
  for (auto [scheme, tls] : {std::pair{"wss://", true}, {"https://", true}, {"ws://", false}, {"http://", false}}) {
    std::string_view s(scheme);
    if (text.substr(0, s.size()) == s) {
      u.tls = tls;
      rest = text.substr(s.size());
      break;
    }
  }
  if (rest.empty()) return fail("it must start with wss://, https://, ws:// or http:// and name a host");
  if (rest.find_first_of("?#@") != std::string_view::npos)
    return fail("it may hold no query ('?'), fragment ('#') or user ('@')");
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) u.path = std::string(rest.substr(slash));
  while (!u.path.empty() && u.path.back() == '/') u.path.pop_back();
  std::string_view port;
  bool has_port = false;
  if (!split_host_port(authority, &u.host, &port, &has_port)) return fail("a bracketed host must be an IPv6 address");
  if (!is_v6(u.host)) {
    std::string p = host_problem(u.host);
    if (!p.empty()) return fail(p);
  }
  if (has_port) {
    auto v = parse_port(port);
    if (!v) return fail("the port must be a number from 1 to 65535");
    u.port = *v;
  } else {
    u.port = u.tls ? 443 : 80;
  }
  for (char c : u.path)
    if (!std::isalnum(static_cast<unsigned char>(c)) && std::string_view("/-._~").find(c) == std::string_view::npos)
      return fail("its path may hold only letters, digits and \"/-._~\"");
  return u;
}

std::string peer_host(const std::string& peer) {
  std::string h = peer.substr(peer.find('@') == std::string::npos ? 0 : peer.find('@') + 1);
  if (!h.empty() && h.front() == '[')
    return h.substr(1, h.find(']') == std::string::npos ? std::string::npos : h.find(']') - 1);
  size_t colon = h.find(':');
  if (colon != std::string::npos && h.find(':', colon + 1) == std::string::npos) h.resize(colon);
  return h;
}

std::string default_url(const std::string& master) {
  return "https://" + master + "/wstunnel";
}

std::optional<std::string> query_dst(std::string_view target) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.substr(0, 4) != "dst=" && pair != "dst") continue;
    std::string_view v = pair.size() > 4 ? pair.substr(4) : std::string_view();
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '%' && i + 2 < v.size() && hex(v[i + 1]) >= 0 && hex(v[i + 2]) >= 0) {
        out += static_cast<char>(hex(v[i + 1]) * 16 + hex(v[i + 2]));
        i += 2;
      } else if (v[i] == '+') {
        out += ' ';
      } else {
        out += v[i];
      }
    }
    return out;
  }
  return std::nullopt;
}

bool dst_allowed(const std::optional<std::string>& dst, const Endpoint& target, std::string* why) {
  if (!dst) return true;
  std::string err;
  auto asked = parse_endpoint(*dst, &err);
  if (asked && lower(asked->host) == lower(target.host) && asked->port == target.port) return true;
  if (why)
    *why = "destination " + quoted(*dst) + " refused: this server tunnels only to " + target.text() +
           " (WSTUNNEL_TARGET); ask for no dst or for that one";
  return false;
}

std::optional<unsigned> parse_keepalive(std::string_view text, std::string* err) {
  unsigned v = 0;
  bool ok = !text.empty() && text.size() <= 4;
  for (char c : text) {
    if (c < '0' || c > '9')
      ok = false;
    else
      v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (!ok || v < 5 || v > 3600) {
    if (err) *err = "WSTUNNEL_KEEPALIVE is " + quoted(text) + ", not a number of seconds from 5 to 3600";
    return std::nullopt;
  }
  return v;
}

std::string ca_file_problem(std::string_view path) {
  if (path.empty() || path.front() != '/') return quoted(path) + " is not an absolute path";
  for (unsigned char c : path)
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\'' || c == '\\')
      return quoted(path) + " may hold only printable ASCII without spaces, quotes or '\\'";
  return "";
}

// -- ~/.ssh/config ----------------------------------------------------------

std::string without_route(const std::string& config) {
  std::istringstream in(config);
  std::string out, line;
  bool inside = false, changed = false;
  while (std::getline(in, line)) {
    if (!inside && line == kBlockBegin) {
      inside = changed = true;
      continue;
    }
    if (inside) {
      if (line == kBlockEnd) inside = false;
      continue;
    }
    out += line + "\n";
  }
  if (!changed) return config;
  return out;
}

std::string with_route(const std::string& config, const std::string& host, const std::string& sc) {
  std::string block = std::string(kBlockBegin) + "\n" + "# " + host +
                      " is reached through the websocket tunnel (the client's listener); its host key\n" +
                      "# is still checked under its own name in known_hosts.\n" + "Host " + host + "\n" +
                      "    ProxyCommand " + sc + " wstunnel connect\n" +
                      "# What follows applies to every host again, as it did before this block.\n" + "Host *\n" +
                      kBlockEnd + "\n";
  std::string rest = without_route(config);
  if (!rest.empty() && rest.back() != '\n') rest += "\n";
  return block + rest;
}

std::string routed_host(const std::string& config) {
  std::istringstream in(config);
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line == kBlockBegin)
      inside = true;
    else if (line == kBlockEnd)
      inside = false;
    else if (inside && line.rfind("Host ", 0) == 0)
      return line.substr(5);
  }
  return "";
}

}  // namespace wstunnel
