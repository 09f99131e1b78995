#include "acme.hpp"

#include <algorithm>

namespace ssl {
namespace {

bool printable_ascii(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f;
  });
}

bool has_any(const std::string& s, const char* set) {
  return s.find_first_of(set) != std::string::npos;
}

std::string shown(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::vector<std::string> words(const std::string& text, const char* separators) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (std::string_view(separators).find(c) != std::string_view::npos) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string domain_problem(const std::string& domain) {
  const std::string what = "domain " + shown(domain) + ": ";
  if (domain.empty()) return what + "empty";
  if (domain.size() > 253) return what + "longer than 253 characters";
  if (domain[0] == '*')
    return what + "a wildcard needs the dns-01 challenge, which sc does not drive; name each host instead";
  for (char c : domain) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!ok)
      return what +
             "only lower-case ASCII letters, digits, '-' and '.' are allowed (an internationalised name in its "
             "xn-- form)";
  }
  std::vector<std::string> labels;
  size_t start = 0;
  for (;;) {
    size_t dot = domain.find('.', start);
    labels.push_back(domain.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (labels.size() < 2) return what + "a certificate names a fully qualified name (host.example.org)";
  for (const auto& l : labels) {
    if (l.empty()) return what + "an empty label (two dots, or a dot at an end)";
    if (l.size() > 63) return what + "a label is longer than 63 characters";
    if (l.front() == '-' || l.back() == '-') return what + "a label starts or ends with '-'";
  }
  if (all_digits(labels.back())) return what + "an IP address is not a domain name";
  return "";
}

std::optional<std::vector<std::string>> domains(const std::string& setting, const std::string& fqdn, std::string* why) {
  // Only the plain separators split: a tab or a line break inside the
  // setting is a hostile value, refused by domain_problem.
  std::vector<std::string> names = words(setting, " ,");
  if (names.empty()) {
    if (fqdn.empty()) {
      *why = "no domain to certify: SSL_ACME_DOMAINS is empty and the host has no FQDN (sc hostconf setup)";
      return std::nullopt;
    }
    names = {fqdn};
  }
  std::vector<std::string> out;
  for (const auto& n : names) {
    std::string p = domain_problem(n);
    if (!p.empty()) {
      *why = p;
      return std::nullopt;
    }
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  }
  if (out.size() > 100) {
    *why = "more than 100 domains: an ACME certificate holds at most 100 names";
    return std::nullopt;
  }
  return out;
}

std::string default_email(const std::string& first_domain) {
  const size_t dot = first_domain.find('.');
  const bool has_host = dot != std::string::npos && first_domain.find('.', dot + 1) != std::string::npos;
  return "root@" + (has_host ? first_domain.substr(dot + 1) : first_domain);
}

std::string email_problem(const std::string& email) {
  if (email.empty()) return "";
  const std::string what = "e-mail " + shown(email) + ": ";
  if (email.size() > 254) return what + "longer than 254 characters";
  if (!printable_ascii(email) || has_any(email, "\"'`$;\\<>(),[]"))
    return what + "only printable ASCII without spaces, quotes or shell characters is allowed";
  size_t at = email.find('@');
  if (at == std::string::npos || at == 0 || email.find('@', at + 1) != std::string::npos)
    return what + "not of the form LOCAL@DOMAIN";
  std::string p = domain_problem(email.substr(at + 1));
  if (!p.empty()) return what + p;
  return "";
}

std::string directory_problem(const std::string& url) {
  const std::string what = "ACME directory " + shown(url) + ": ";
  if (url.empty()) return what + "empty";
  if (url.size() > 2048) return what + "longer than 2048 characters";
  if (!printable_ascii(url) || has_any(url, "\"'`\\<>{}|^"))
    return what + "only printable ASCII without spaces or quotes is allowed";
  if (url.rfind("https://", 0) == 0 && url.size() > 8) return "";
  for (const char* loop : {"http://127.", "http://localhost:", "http://localhost/", "http://[::1]"})
    if (url.rfind(loop, 0) == 0) return "";
  return what + "must be an https:// URL (plain http only to a loopback address)";
}

std::string listen_problem(const std::string& listen) {
  const std::string what = "listen address " + shown(listen) + ": ";
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return what + "not of the form :PORT, IPV4:PORT or [IPV6]:PORT";
  std::string host = listen.substr(0, colon), port = listen.substr(colon + 1);
  if (!all_digits(port) || port.size() > 5 || std::stoi(port) < 1 || std::stoi(port) > 65535)
    return what + "the port is not a number from 1 to 65535";
  if (host.empty()) return "";
  if (host.front() == '[') {
    if (host.back() != ']' || host.size() < 3) return what + "an IPv6 address is written [ADDRESS]";
    std::string inner = host.substr(1, host.size() - 2);
    if (!std::all_of(inner.begin(), inner.end(), [](char c) {
          return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
        }))
      return what + "not an IPv6 address";
    return "";
  }
  std::vector<std::string> parts = words(host, ".");
  if (parts.size() != 4 || std::count(host.begin(), host.end(), '.') != 3) return what + "not an IPv4 address";
  for (const auto& p : parts)
    if (!all_digits(p) || p.size() > 3 || std::stoi(p) > 255) return what + "not an IPv4 address";
  return "";
}

std::string path_problem(const std::string& path) {
  const std::string what = "path " + shown(path) + ": ";
  if (path.empty() || path[0] != '/') return what + "not an absolute path";
  if (std::any_of(path.begin(), path.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7f;
      }))
    return what + "holds a control character";
  for (const auto& w : words(path, "/"))
    if (w == "..") return what + "holds \"..\"";
  if (path.size() > 1 && path.back() == '/') return what + "ends with '/': name a file";
  return "";
}

std::optional<std::vector<std::string>> reload_services(const std::string& setting, std::string* why) {
  std::vector<std::string> out;
  for (const auto& w : words(setting, " ,")) {
    if (w != "nginx" && w != "apache2" && w != "postfix" && w != "dovecot") {
      *why = "SSL_RELOAD: " + shown(w) + " is not one of nginx, apache2, postfix, dovecot";
      return std::nullopt;
    }
    if (std::find(out.begin(), out.end(), w) == out.end()) out.push_back(w);
  }
  return out;
}

std::optional<Challenge> challenge(const std::string& setting, bool nginx_runs) {
  if (setting == "webroot") return Challenge::kWebroot;
  if (setting == "standalone") return Challenge::kStandalone;
  if (setting == "auto" || setting.empty()) return nginx_runs ? Challenge::kWebroot : Challenge::kStandalone;
  return std::nullopt;
}

std::vector<std::string> lego_argv(const LegoRequest& r) {
  std::vector<std::string> argv = {"lego", "--server", r.directory, "--accept-tos"};
  if (!r.email.empty()) argv.insert(argv.end(), {"--email", r.email});
  argv.insert(argv.end(), {"--path", r.state_dir, "--key-type", "ec256"});
  for (const auto& d : r.domains) argv.insert(argv.end(), {"--domains", d});
  argv.push_back("--http");
  if (r.challenge == Challenge::kWebroot)
    argv.insert(argv.end(), {"--http.webroot", r.webroot});
  else
    argv.insert(argv.end(), {"--http.port", r.listen});
  argv.insert(argv.end(), {"run", "--always-deactivate-authorizations", "always"});
  return argv;
}

std::vector<std::string> lego_env(const std::string& ca_certificates) {
  if (ca_certificates.empty()) return {};
  return {"LEGO_CA_CERTIFICATES=" + ca_certificates};
}

std::string lego_certificate(const std::string& state_dir, const std::vector<std::string>& domains) {
  return state_dir + "/certificates/" + (domains.empty() ? std::string() : domains.front()) + ".crt";
}

std::string lego_key(const std::string& state_dir, const std::vector<std::string>& domains) {
  return state_dir + "/certificates/" + (domains.empty() ? std::string() : domains.front()) + ".key";
}

std::int64_t days_left(std::int64_t not_after, std::int64_t now) {
  const std::int64_t diff = not_after - now;
  // Floor division: an hour past the end is day -1, not day 0.
  return diff >= 0 ? diff / 86400 : -((-diff + 86399) / 86400);
}

std::string renewal_reason(const Installed& installed, const std::vector<std::string>& domains, std::int64_t now,
                           bool force) {
  if (force) return "--force";
  if (!installed.present) return "no valid certificate and key are installed";
  std::vector<std::string> have = installed.names, want = domains;
  std::sort(have.begin(), have.end());
  std::sort(want.begin(), want.end());
  if (have != want) {
    std::string names;
    for (const auto& n : installed.names) names += (names.empty() ? "" : " ") + n;
    return "the certificate names " + (names.empty() ? std::string("nothing") : names) + ", not the domains asked for";
  }
  const std::int64_t left = days_left(installed.not_after, now);
  if (installed.not_after <= now) return "the certificate has expired";
  if (left < kRenewDays)
    return "the certificate expires in " + std::to_string(left) + " days (renewed under " + std::to_string(kRenewDays) +
           ")";
  return "";
}

std::string export_text(const std::string& chain, const std::string& key) {
  std::string out = chain;
  if (!out.empty() && out.back() != '\n') out += '\n';
  out += key;
  if (!out.empty() && out.back() != '\n') out += '\n';
  return out;
}

bool split_export(const std::string& text, std::string* chain, std::string* key, std::string* why) {
  chain->clear();
  key->clear();
  int keys = 0;
  size_t pos = 0;
  for (;;) {
    size_t begin = text.find("-----BEGIN ", pos);
    if (begin == std::string::npos) break;
    size_t label_end = text.find("-----", begin + 11);
    if (label_end == std::string::npos) break;
    const std::string label = text.substr(begin + 11, label_end - begin - 11);
    const std::string end_marker = "-----END " + label + "-----";
    size_t end = text.find(end_marker, label_end);
    if (end == std::string::npos) {
      *why = "a PEM block (" + label + ") has no end";
      return false;
    }
    const std::string block = text.substr(begin, end + end_marker.size() - begin) + "\n";
    if (label == "CERTIFICATE") {
      *chain += block;
    } else if (label.size() >= 11 && label.compare(label.size() - 11, 11, "PRIVATE KEY") == 0) {
      *key += block;
      ++keys;
    } else {
      *why = "an unexpected PEM block (" + label + ")";
      return false;
    }
    pos = end + end_marker.size();
  }
  if (chain->empty()) {
    *why = "no certificate in it";
    return false;
  }
  if (keys != 1) {
    *why = keys == 0 ? "no private key in it" : "more than one private key in it";
    return false;
  }
  return true;
}

}  // namespace ssl
