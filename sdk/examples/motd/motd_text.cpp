#include "motd_text.hpp"

#include <cctype>

namespace motd {

std::string render(const std::string& text, const std::string& fqdn, bool boxed) {
  std::string line;
  for (unsigned char c : text) line += std::iscntrl(c) ? ' ' : static_cast<char>(c);
  line += (line.empty() ? "" : " ") + fqdn;
  if (!boxed) return line + "\n";
  const std::string border(line.size() + 4, '*');
  return border + "\n* " + line + " *\n" + border + "\n";
}

bool valid_host_name(const std::string& name) {
  if (name.empty() || name.size() > 253 || name[0] == '-' || name[0] == '.') return false;
  for (unsigned char c : name)
    if (!std::isalnum(c) && c != '-' && c != '.') return false;
  return true;
}

std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  const auto first = line.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  return line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
}

}  // namespace motd
