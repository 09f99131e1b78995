#include "hosts_file.hpp"

#include <cctype>
#include <vector>

#include "common/text_split.hpp"

namespace hostconf {

namespace {

/// The first field of a hosts line, or "" for blank and comment lines.
std::string_view address_of(std::string_view line) {
  size_t i = line.find_first_not_of(" \t");
  if (i == std::string_view::npos || line[i] == '#') return {};
  size_t end = line.find_first_of(" \t#", i);
  return line.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
}

}  // namespace

bool valid_fqdn(std::string_view fqdn, std::string* why) {
  auto fail = [&](const std::string& w) {
    if (why) *why = "\"" + std::string(fqdn) + "\" is not a valid host and domain name: " + w;
    return false;
  };
  if (fqdn.empty()) return fail("it is empty");
  if (fqdn.size() > 253) return fail("it is longer than 253 characters");
  if (fqdn.find('.') == std::string_view::npos) return fail("it has no domain (write host.example.com)");
  size_t start = 0;
  while (start <= fqdn.size()) {
    size_t end = fqdn.find('.', start);
    if (end == std::string_view::npos) end = fqdn.size();
    std::string_view label = fqdn.substr(start, end - start);
    if (label.empty()) return fail("it has an empty label (two dots, or a dot at an end)");
    if (label.size() > 63) return fail("a label is longer than 63 characters");
    if (label.front() == '-' || label.back() == '-') return fail("a label starts or ends with '-'");
    for (char c : label)
      if (!(std::isalnum(static_cast<unsigned char>(c)) && static_cast<unsigned char>(c) < 128) && c != '-')
        return fail(std::string("it contains '") + c + "' (only letters, digits, '-' and '.' are allowed)");
    start = end + 1;
  }
  return true;
}

std::string normalize_fqdn(std::string_view fqdn) {
  std::string s(fqdn);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string host_part(std::string_view fqdn) {
  return std::string(fqdn.substr(0, fqdn.find('.')));
}

std::string domain_part(std::string_view fqdn) {
  size_t dot = fqdn.find('.');
  return dot == std::string_view::npos ? std::string() : std::string(fqdn.substr(dot + 1));
}

std::string hostname_file(std::string_view fqdn) {
  return host_part(fqdn) + "\n";
}

std::string set_hosts_entry(std::string_view hosts, std::string_view fqdn) {
  const std::string entry = "127.0.1.1\t" + std::string(fqdn) + " " + host_part(fqdn);
  bool placed = false;
  std::vector<std::string> out;
  for (std::string_view line : plugin_common::text_split::lines(hosts)) {
    if (address_of(line) == "127.0.1.1") {
      if (!placed) out.push_back(entry);  // later duplicates are dropped
      placed = true;
    } else {
      out.emplace_back(line);
    }
  }
  if (!placed) {
    size_t pos = 0;
    for (size_t i = 0; i < out.size(); ++i)
      if (address_of(out[i]) == "127.0.0.1") pos = i + 1;
    out.insert(out.begin() + static_cast<long>(pos), entry);
  }
  std::string text;
  for (const auto& l : out) text += l + "\n";
  return text;
}

}  // namespace hostconf
