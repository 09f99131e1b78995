#include "entry.hpp"

#include <cctype>
#include <cstdio>

#include "common/peer_name.hpp"
#include "common/text_split.hpp"

namespace backup {

bool valid_period(std::string_view period) {
  for (const char* p : kPeriods)
    if (period == p) return true;
  return false;
}

std::optional<Entry> parse_entry(std::string_view text, std::string* why) {
  auto fail = [&](const std::string& w) -> std::optional<Entry> {
    if (why) *why = "invalid backup entry \"" + std::string(text) + "\": " + w;
    return std::nullopt;
  };
  if (text.empty()) return fail("it is empty; write HOST or HOST:/PATH");
  Entry e;
  size_t split = text.find(":/");
  e.host = std::string(text.substr(0, split));
  if (split != std::string_view::npos) e.path = std::string(text.substr(split + 1));
  if (e.host.empty()) return fail("the host is missing; write HOST or HOST:/PATH");
  // The rules sshlink and the core apply to a peer, checked here so that
  // `backup add` refuses a name before it sets anything up or links.
  if (auto bad = plugin_common::peer_name::problem(e.host); !bad.empty())
    return fail("HOST \"" + e.host + "\" is not a peer name: " + bad +
                "; write host, user@host, host:port or an ssh alias");
  if (e.host.find("..") != std::string::npos) return fail("the host contains \"..\"");
  if (!e.path.empty()) {
    for (char c : e.path)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return fail("the path contains a control character");
    if (e.path.find(' ') != std::string::npos) return fail("the path contains a space");
    std::string_view p = e.path;
    size_t start = 1;
    while (start <= p.size()) {
      size_t end = p.find('/', start);
      if (end == std::string_view::npos) end = p.size();
      std::string_view comp = p.substr(start, end - start);
      if (comp == ".." || comp == ".") return fail("the path contains \".\" or \"..\"; give the real absolute path");
      start = end + 1;
    }
    while (e.path.size() > 1 && e.path.back() == '/') e.path.pop_back();
  }
  return e;
}

std::string encode_name(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '.' || c == '_' || c == '-') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  if (out == "." || out == "..") out = "%2E" + out.substr(1);
  return out;
}

std::string decode_name(std::string_view name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '%' && i + 2 < name.size() + 0 && std::isxdigit(static_cast<unsigned char>(name[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(name[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(name.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += name[i];
    }
  }
  return out;
}

std::string host_dir(const std::string& backup_dir, const Entry& e) {
  return backup_dir + "/" + encode_name(e.host);
}

std::string entry_dir(const std::string& backup_dir, const Entry& e) {
  return host_dir(backup_dir, e) + "/" + (e.whole_host() ? std::string("host") : "fs-" + encode_name(e.path));
}

std::vector<Scheduled> parse_list(std::string_view list, std::vector<std::string>* bad) {
  std::vector<Scheduled> out;
  for (std::string_view item : plugin_common::text_split::words(list)) {
    size_t colon = item.find(':');
    std::string why;
    std::optional<Entry> entry;
    if (colon != std::string_view::npos && valid_period(item.substr(0, colon)))
      entry = parse_entry(item.substr(colon + 1), &why);
    if (!entry) {
      if (bad) bad->push_back(std::string(item));
      continue;
    }
    out.push_back({std::string(item.substr(0, colon)), *entry});
  }
  return out;
}

std::string format_list(const std::vector<Scheduled>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : " ") + i.period + ":" + i.entry.text();
  return s;
}

}  // namespace backup
