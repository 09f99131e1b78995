#include "packages.hpp"

#include <algorithm>

#include "common/text_split.hpp"

namespace aptpackage {

namespace {

bool lower_or_digit(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool valid_suite(std::string_view s) {
  if (s.empty() || s.size() > 64 || !lower_or_digit(s[0])) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return lower_or_digit(c) || c == '-' || c == '.'; });
}

bool valid_command(std::string_view c) {
  if (c.empty() || c.size() > 255 || c[0] == '.' || c[0] == '-') return false;
  return std::all_of(c.begin(), c.end(), [](char ch) {
    return lower_or_digit(ch) || (ch >= 'A' && ch <= 'Z') || ch == '.' || ch == '_' || ch == '+' || ch == '-';
  });
}

bool valid_path(std::string_view p) {
  if (p.size() < 2 || p[0] != '/' || p.size() > 4096) return false;
  if (std::any_of(p.begin(), p.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    return false;
  size_t start = 1;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    std::string_view comp = p.substr(start, end - start);
    if (comp == "." || comp == "..") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

bool valid_package_name(std::string_view name) {
  if (name.size() < 2 || name.size() > 128 || !lower_or_digit(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return lower_or_digit(c) || c == '+' || c == '-' || c == '.'; });
}

bool parse_package_spec(std::string_view text, PackageSpec* spec, std::string* why) {
  auto fail = [&](const std::string& w) {
    if (why) *why = "\"" + std::string(text) + "\" is not a package request: " + w;
    return false;
  };
  PackageSpec s;
  std::string_view rest = text;
  if (size_t colon = rest.find(':'); colon != std::string_view::npos) {
    s.check = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (s.check.empty()) return fail("nothing after ':' (write PACKAGE:COMMAND or PACKAGE:/absolute/path)");
    if (s.check[0] == '/' ? !valid_path(s.check) : !valid_command(s.check))
      return fail("\"" + s.check +
                  "\" is neither a command name (letters, digits, '.', '_', '+', '-') nor an absolute path "
                  "without '.' or '..' components");
  }
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    s.suite = std::string(rest.substr(slash + 1));
    rest = rest.substr(0, slash);
    if (!valid_suite(s.suite)) return fail("\"" + s.suite + "\" is not a suite name (e.g. bookworm-backports)");
  }
  s.name = std::string(rest);
  if (!valid_package_name(s.name))
    return fail("\"" + s.name +
                "\" is not a Debian package name (lower-case letters, digits, '+', '-' and '.', "
                "at least two characters, starting with a letter or digit)");
  if (spec) *spec = std::move(s);
  return true;
}

std::string install_name(const PackageSpec& spec) {
  return spec.suite.empty() ? spec.name : spec.name + "/" + spec.suite;
}

std::vector<std::string> install_argv(const std::vector<std::string>& names) {
  std::vector<std::string> argv = {"apt-get", "install", "-y", "--no-install-recommends"};
  argv.insert(argv.end(), names.begin(), names.end());
  return argv;
}

std::vector<std::string> status_argv(const std::string& package, const std::string& admindir) {
  std::vector<std::string> argv = {"dpkg-query"};
  if (!admindir.empty()) argv.push_back("--admindir=" + admindir);
  argv.insert(argv.end(), {"-W", "-f=${Status}\\n", package});
  return argv;
}

bool status_installed(std::string_view output) {
  for (std::string_view line : plugin_common::text_split::lines(output)) {
    size_t sp = line.find(' ');
    if (sp != std::string_view::npos && line.substr(sp + 1) == "ok installed") return true;
  }
  return false;
}

}  // namespace aptpackage
