#include "common/fstab.hpp"

#include <algorithm>
#include <cstdio>

#include "common/share_path.hpp"

namespace plugin_common::fstab {
namespace {

bool blank(char c) {
  return c == ' ' || c == '\t';
}

bool octal(char c) {
  return c >= '0' && c <= '7';
}

// The fields of a line separated by runs of blanks (spaces and tabs).
std::vector<std::string_view> blank_fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && blank(line[i])) ++i;
    if (i == line.size()) break;
    size_t start = i;
    while (i < line.size() && !blank(line[i])) ++i;
    out.push_back(line.substr(start, i - start));
  }
  return out;
}

bool listed(const std::vector<size_t>& indexes, size_t i) {
  return std::find(indexes.begin(), indexes.end(), i) != indexes.end();
}

}  // namespace

std::string escape(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (char c : field) {
    switch (c) {
      case ' ':
        out += "\\040";
        break;
      case '\t':
        out += "\\011";
        break;
      case '\n':
        out += "\\012";
        break;
      case '\\':
        out += "\\134";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string unescape(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && octal(field[i + 1]) && octal(field[i + 2]) && octal(field[i + 3])) {
      out += static_cast<char>(((field[i + 1] - '0') << 6) | ((field[i + 2] - '0') << 3) | (field[i + 3] - '0'));
      i += 3;
      continue;
    }
    out += field[i];
  }
  return out;
}

std::vector<Line> split(std::string_view text) {
  std::vector<Line> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      out.push_back({std::string(text.substr(start)), false});
      break;
    }
    out.push_back({std::string(text.substr(start, nl - start)), true});
    start = nl + 1;
  }
  return out;
}

std::string join(const std::vector<Line>& lines) {
  std::string out;
  for (const auto& l : lines) {
    out += l.text;
    if (l.newline) out += '\n';
  }
  return out;
}

std::optional<Entry> parse_entry(std::string_view line) {
  // libmount drops the '\r' of a line ended "\r\n" before reading it.
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  auto f = blank_fields(line);
  if (f.empty() || f[0][0] == '#' || f.size() < 3) return std::nullopt;
  Entry e;
  e.spec = unescape(f[0]);
  e.file = share_path::clean(unescape(f[1]));
  e.vfstype = unescape(f[2]);
  if (f.size() > 3) e.options = unescape(f[3]);
  if (f.size() > 4) e.freq = std::string(f[4]);
  if (f.size() > 5) e.passno = std::string(f[5]);
  return e;
}

std::vector<Entry> entries(std::string_view text) {
  std::vector<Entry> out;
  const std::vector<Line> lines = split(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    auto e = parse_entry(lines[i].text);
    if (!e) continue;
    e->line = i;
    out.push_back(std::move(*e));
  }
  return out;
}

std::vector<Entry> entries_on(std::string_view text, std::string_view path) {
  const std::string want = share_path::clean(path);
  std::vector<Entry> out;
  for (auto& e : entries(text))
    if (e.file == want) out.push_back(std::move(e));
  return out;
}

std::string with_line(std::string_view text, const std::vector<size_t>& replace, std::string_view line) {
  std::vector<Line> lines = split(text);
  if (replace.empty()) {
    if (!lines.empty()) lines.back().newline = true;
    lines.push_back({std::string(line), true});
    return join(lines);
  }
  std::vector<Line> out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i == replace.front()) {
      // In its place, ending as it ended: "\r\n", "\n" or nothing.
      const bool cr = !lines[i].text.empty() && lines[i].text.back() == '\r';
      out.push_back({std::string(line) + (cr ? "\r" : ""), lines[i].newline});
    } else if (!listed(replace, i)) {
      out.push_back(std::move(lines[i]));
    }
  }
  return join(out);
}

std::string without_lines(std::string_view text, const std::vector<size_t>& drop) {
  std::vector<Line> out;
  std::vector<Line> lines = split(text);
  for (size_t i = 0; i < lines.size(); ++i)
    if (!listed(drop, i)) out.push_back(std::move(lines[i]));
  return join(out);
}

std::vector<Mount> parse_mountinfo(std::string_view text) {
  // "ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS",
  // fields separated by one space (an empty source is two spaces in a row).
  std::vector<Mount> out;
  for (const Line& l : split(text)) {
    std::vector<std::string_view> f;
    size_t start = 0;
    const std::string_view line = l.text;
    while (start <= line.size()) {
      size_t sp = line.find(' ', start);
      if (sp == std::string_view::npos) sp = line.size();
      f.push_back(line.substr(start, sp - start));
      start = sp + 1;
    }
    size_t dash = 6;
    while (dash < f.size() && f[dash] != "-") ++dash;
    if (f.size() < 7 || dash + 2 >= f.size()) continue;
    out.push_back({unescape(f[4]), unescape(f[dash + 1]), unescape(f[dash + 2])});
  }
  return out;
}

std::vector<Mount> mounts_at(const std::vector<Mount>& mounts, std::string_view path) {
  const std::string want = share_path::clean(path);
  std::vector<Mount> out;
  for (const auto& m : mounts)
    if (m.point == want) out.push_back(m);
  return out;
}

std::string automount_unit(std::string_view path) {
  // systemd's unit_name_path_escape(): the path simplified (no empty or "."
  // component: "/" alone is "-"), its components joined by '-', and every
  // byte but letters, digits, ':', '_' and a '.' that does not start the
  // name as \xNN.
  std::string out;
  bool first = true;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = std::min(path.find('/', pos), path.size());
    const std::string_view part = path.substr(pos, slash - pos);
    pos = slash + 1;
    if (part.empty() || part == ".") continue;
    if (!out.empty()) out += '-';
    for (const char c : part) {
      const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
                         c == '_' || (c == '.' && !first);
      first = false;
      if (plain) {
        out += c;
      } else {
        char buf[5];
        std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
        out += buf;
      }
    }
  }
  return (out.empty() ? "-" : out) + ".automount";
}

}  // namespace plugin_common::fstab
