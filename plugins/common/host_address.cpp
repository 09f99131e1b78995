#include "common/host_address.hpp"

#include <algorithm>

namespace plugin_common::host_address {
namespace {

bool digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

bool is_ipv4(std::string_view s) {
  int parts = 0;
  size_t i = 0;
  while (true) {
    size_t start = i;
    while (i < s.size() && digit(s[i])) ++i;
    size_t len = i - start;
    if (len == 0 || len > 3 || (len > 1 && s[start] == '0')) return false;
    if (std::stoi(std::string(s.substr(start, len))) > 255) return false;
    ++parts;
    if (i == s.size()) break;
    if (s[i] != '.' || parts == 4) return false;
    ++i;
  }
  return parts == 4;
}

bool is_ipv6(std::string_view s) {
  if (s.size() < 2 || s.size() > 45 || std::count(s.begin(), s.end(), ':') < 2) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
  });
}

std::string name_or_ipv4_problem(std::string_view host) {
  if (host.size() > 253) return "it is longer than 253 bytes";
  if (std::all_of(host.begin(), host.end(), [](char c) { return digit(c) || c == '.'; }))
    return is_ipv4(host) ? std::string() : "it is neither a host name nor an IPv4 address";
  size_t start = 0;
  while (start <= host.size()) {
    size_t dot = host.find('.', start);
    if (dot == std::string_view::npos) dot = host.size();
    std::string_view label = host.substr(start, dot - start);
    if (label.empty()) return "it has an empty label (two dots, or a dot at an end)";
    if (label.size() > 63) return "a label (between dots) is longer than 63 bytes";
    if (label.front() == '-' || label.back() == '-') return "a label starts or ends with '-'";
    for (char c : label)
      if (!(digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'))
        return "a host name is letters, digits, '-' and '.'";
    start = dot + 1;
  }
  return {};
}

}  // namespace plugin_common::host_address
