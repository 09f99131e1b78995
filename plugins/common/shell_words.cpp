#include "common/shell_words.hpp"

#include <cstdio>

namespace plugin_common::shell_words {

namespace {

bool plain(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("_@%+=:,./-").find(static_cast<char>(c)) != std::string_view::npos;
}

bool control(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}

}  // namespace

std::string quote(std::string_view word) {
  bool all_plain = !word.empty(), any_control = false;
  for (unsigned char c : word) {
    all_plain = all_plain && plain(c);
    any_control = any_control || control(c);
  }
  if (all_plain) return std::string(word);
  std::string out;
  if (!any_control) {
    out = "'";
    for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
  }
  out = "$'";
  for (unsigned char c : word) {
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\'':
        out += "\\'";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (control(c)) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "'";
}

std::string command(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += quote(w);
  }
  return out;
}

}  // namespace plugin_common::shell_words
