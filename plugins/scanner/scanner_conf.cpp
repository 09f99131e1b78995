#include "scanner_conf.hpp"

#include <cctype>
#include <sstream>

#include "common/host_address.hpp"

namespace scanner {

namespace {

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t nl = text.find('\n', at);
    if (nl == std::string_view::npos) nl = text.size();
    out.emplace_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  return out;
}

bool only(std::string_view s, std::string_view extra) {
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && extra.find(c) == std::string_view::npos) return false;
  return true;
}

bool all_digits(std::string_view s) {
  if (s.empty() || s.size() > 3) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

std::string merge_block(std::string_view existing, const std::vector<std::string>& lines) {
  std::string out;
  bool inside = false;
  for (const std::string& line : lines_of(existing)) {
    if (line == kBegin) {
      inside = true;
      continue;
    }
    if (inside) {
      if (line == kEnd) inside = false;
      continue;
    }
    out += line + "\n";
  }
  if (lines.empty()) return out;
  out += std::string(kBegin) + "\n";
  for (const std::string& l : lines) out += l + "\n";
  out += std::string(kEnd) + "\n";
  return out;
}

std::vector<std::string> block_lines(std::string_view text) {
  std::vector<std::string> out;
  bool inside = false;
  for (const std::string& line : lines_of(text)) {
    if (line == kBegin) {
      inside = true;
    } else if (line == kEnd) {
      inside = false;
    } else if (inside) {
      out.push_back(line);
    }
  }
  return out;
}

std::string client_problem(std::string_view client) {
  if (client.empty()) return "it is empty";
  if (client == "+") return "\"+\" lets every host scan: name the cluster's hosts instead";
  if (plugin_common::host_address::is_ipv6(client)) return "";
  if (auto slash = client.find('/'); slash != std::string_view::npos) {
    std::string_view addr = client.substr(0, slash), prefix = client.substr(slash + 1);
    if (!plugin_common::host_address::is_ipv4(addr)) return "a subnet must be IPV4ADDRESS/PREFIX";
    if (!all_digits(prefix) || std::stoi(std::string(prefix)) < 8 || std::stoi(std::string(prefix)) > 32)
      return "the prefix length of a subnet must be 8 to 32";
    return "";
  }
  std::string why = plugin_common::host_address::name_or_ipv4_problem(client);
  return why;
}

std::string device_problem(std::string_view device) {
  if (device.empty()) return "it is empty";
  if (device.size() > 200) return "it is longer than 200 bytes";
  if (!std::isalpha(static_cast<unsigned char>(device[0]))) return "it must start with a letter";
  if (!only(device, "_:.-/")) return "only letters, digits and \"_:.-/\" are allowed";
  return "";
}

bool parse_options(std::string_view text, std::vector<std::string>* out, std::string* why) {
  static const char* const kRefused[] = {"-d",
                                         "--device-name",
                                         "--format",
                                         "-o",
                                         "--output-file",
                                         "-b",
                                         "--batch",
                                         "-L",
                                         "--list-devices",
                                         "-f",
                                         "--formatted-device-list",
                                         "-h",
                                         "--help",
                                         "-T",
                                         "--test",
                                         "-A",
                                         "--all-options",
                                         "-n",
                                         "--dont-scan",
                                         "-i",
                                         "--icc-profile"};
  std::istringstream in{std::string(text)};
  std::vector<std::string> words;
  for (std::string w; in >> w;) {
    if (w.size() > 200 || !only(w, "-=._:,/")) {
      *why = "the word \"" + w + "\" holds a character other than letters, digits and \"-=._:,/\"";
      return false;
    }
    std::string name = w.substr(0, w.find('='));
    for (std::string_view r : kRefused)
      // A short option may carry its value: "-dtest" is "-d test".
      if (name == r || (r.size() == 2 && w.size() > 2 && w[1] != '-' && w.rfind(r, 0) == 0)) {
        *why = "the option \"" + w + "\" is sc's own (device and output are set by sc scanner)";
        return false;
      }
    words.push_back(w);
  }
  if (!words.empty() && words[0][0] != '-') {
    *why = "the first word \"" + words[0] + "\" is not an option";
    return false;
  }
  *out = words;
  return true;
}

std::string lang_problem(std::string_view lang) {
  if (lang.empty()) return "it is empty";
  if (lang.size() > 100) return "it is longer than 100 bytes";
  if (!only(lang, "_+")) return "only letters, digits, '_' and '+' are allowed";
  if (lang.front() == '+' || lang.back() == '+' || lang.find("++") != std::string_view::npos)
    return "'+' stands between language names";
  return "";
}

std::string user_problem(std::string_view name) {
  if (name.empty()) return "it is empty";
  if (name.size() > 32) return "it is longer than 32 bytes";
  if (!(std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_'))
    return "it must start with a lower-case letter or '_'";
  for (char c : name)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_' ||
          c == '-'))
      return "only lower-case letters, digits, '_' and '-' are allowed";
  return "";
}

std::string dir_problem(std::string_view dir) {
  if (dir.rfind(kMassRoot, 0) != 0 || dir.size() <= std::string_view(kMassRoot).size())
    return "it must be a directory under /srv/mass (the mass storage)";
  if (dir.size() > 200) return "it is longer than 200 bytes";
  if (!only(dir, "/._-")) return "only letters, digits and \"/._-\" are allowed";
  std::string padded = std::string(dir) + "/";
  if (padded.find("/./") != std::string::npos || padded.find("/../") != std::string::npos ||
      padded.find("//") != std::string::npos)
    return "\".\", \"..\" and empty components are not allowed";
  return "";
}

std::vector<std::string> scanimage_argv(const std::string& device, const std::vector<std::string>& options,
                                        const std::string& out) {
  std::vector<std::string> argv{"scanimage"};
  if (!device.empty()) argv.push_back("--device-name=" + device);
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back("--format=tiff");
  argv.push_back("--output-file=" + out);
  return argv;
}

std::vector<std::string> tesseract_argv(const std::string& in, const std::string& out_base, const std::string& lang) {
  return {"tesseract", in, out_base, "-l", lang, "pdf"};
}

std::string scan_file_name(const std::string& stamp, int n) {
  return "scan-" + stamp + (n > 1 ? "-" + std::to_string(n) : "") + ".pdf";
}

std::string scanbd_device_conf(const std::string& device, const std::string& script) {
  // scanbd matches the filter, a regular expression, against the device
  // name: a name of letters, digits and "_:-/" needs '.' escaped only.
  std::string filter = "^";
  for (char c : device) {
    if (c == '.') filter += '\\';
    filter += c;
  }
  filter += ".*";
  return "# Written by `sc scanner setup`: the scan button runs `sc scanner scan`.\n"
         "device synccluster {\n"
         "  filter = \"" +
         filter +
         "\"\n"
         "  desc = \"synccluster scanner\"\n"
         "  action scan {\n"
         "    filter = \"^scan.*\"\n"
         "    numerical-trigger {\n"
         "      from-value = 1\n"
         "      to-value = 0\n"
         "    }\n"
         "    desc = \"Scan to a searchable PDF\"\n"
         "    script = \"" +
         script +
         "\"\n"
         "  }\n"
         "}\n";
}

std::string scanbd_without_include(std::string_view existing) {
  std::string out;
  for (const std::string& line : lines_of(existing))
    if (line != kScanbdInclude) out += line + "\n";
  return out;
}

std::string scanbd_with_include(std::string_view existing) {
  return scanbd_without_include(existing) + kScanbdInclude + "\n";
}

std::string trigger_script(const std::string& sc_path) {
  return "#!/bin/sh\n"
         "# Written by `sc scanner setup`: run by scanbd when the scan button is pressed.\n"
         "exec " +
         sc_path + " scanner scan\n";
}

}  // namespace scanner
