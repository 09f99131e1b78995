#include "cron_line.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "common/sc_names.hpp"
#include "common/text_split.hpp"

namespace crontask {

namespace {

constexpr std::string_view kFlock = "/usr/bin/flock";
constexpr std::string_view kHeader =
    "# Written by `sc crontask add`; remove it with `sc crontask del`.\n"
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n";

bool plain_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("@+=:,./_-").find(c) != std::string_view::npos;
}

std::vector<std::string> split_ws(std::string_view s, size_t max_fields, std::string* rest) {
  std::vector<std::string> out;
  size_t i = 0;
  while (out.size() < max_fields) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    if (i >= s.size()) break;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  if (rest) *rest = std::string(s.substr(i));
  return out;
}

// The words of a command written by command(): cron's "\%" first, then the
// shell's single quotes and backslash escapes (the only quoting we write).
std::optional<std::vector<std::string>> split_command(std::string_view cmd) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < cmd.size(); ++i) {
    char c = cmd[i];
    if (c == '\\' && i + 1 < cmd.size() && cmd[i + 1] == '%') {  // cron's escape, anywhere
      word += '%';
      in_word = true;
      ++i;
      continue;
    }
    if (c == '%') return std::nullopt;  // an unescaped % would end the command
    if (c == ' ') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'') {
      for (++i; i < cmd.size() && cmd[i] != '\''; ++i) {
        if (cmd[i] == '\\' && i + 1 < cmd.size() && cmd[i + 1] == '%') ++i;
        word += cmd[i];
      }
      if (i >= cmd.size()) return std::nullopt;  // unterminated quote
    } else if (c == '\\') {
      if (i + 1 >= cmd.size()) return std::nullopt;
      word += cmd[++i];
    } else if (plain_char(c)) {
      word += c;
    } else {
      return std::nullopt;  // not something command() writes
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace

bool valid_period(std::string_view period) {
  return std::find(kPeriods.begin(), kPeriods.end(), period) != kPeriods.end();
}

namespace {

/// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or
/// code points above U+10FFFF).
bool valid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : 4;
    if (n == 4 || i + n >= text.size()) return false;
    std::uint32_t cp = n == 0 ? c : n == 1 ? (c & 0x1fu) : n == 2 ? (c & 0x0fu) : (c & 0x07u);
    for (size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(text[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3fu);
    }
    static const std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace

std::string arg_problem(std::string_view arg) {
  // `sc crontask list` shows the arguments back (as JSON with --json):
  // only text it can show exactly goes into an entry.
  if (!valid_utf8(arg)) return "it is not valid UTF-8, which `sc crontask list` could not show back";
  for (char c : arg) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return "it contains a control character (a newline or tab would break the cron entry)";
    if (c == '\\') return "it contains a backslash, which cron implementations treat differently";
  }
  return {};
}

std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string schedule(std::string_view host_id, std::string_view module, std::string_view period) {
  std::string key;
  key.append(host_id).append("\n").append(module).append("\n").append(period);
  const std::uint64_t h = fnv1a(key);
  const unsigned minute = static_cast<unsigned>(h % 60);
  const unsigned hour = 2 + static_cast<unsigned>((h / 60) % 5);
  const std::string m = std::to_string(minute), hr = std::to_string(hour);
  if (period == "fast") {
    const unsigned first = static_cast<unsigned>(h % 20);
    return std::to_string(first) + "," + std::to_string(first + 20) + "," + std::to_string(first + 40) + " * * * *";
  }
  if (period == "hourly") return m + " * * * *";
  if (period == "daily") return m + " " + hr + " * * *";
  if (period == "weekly") return m + " " + hr + " * * 6";
  if (period == "monthly") return m + " " + hr + " 1 * *";
  throw std::invalid_argument("unknown period \"" + std::string(period) + "\"");
}

std::string shell_word(std::string_view word) {
  if (!word.empty() && std::all_of(word.begin(), word.end(), plain_char)) return std::string(word);
  std::string out = "'";
  for (char c : word) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  out += '\'';
  return out;
}

std::string cron_word(std::string_view word) {
  std::string out;
  for (char c : shell_word(word)) {
    if (c == '%') out += '\\';
    out += c;
  }
  return out;
}

std::string file_path(std::string_view module, std::string_view period) {
  return "/etc/cron.d/sc_" + std::string(module) + "_" + std::string(period);
}

std::string lock_path(std::string_view module, std::string_view period) {
  return "/run/lock/sc_" + std::string(module) + "_" + std::string(period) + ".lock";
}

bool parse_file_name(std::string_view name, std::string* module, std::string* period) {
  if (name.substr(0, 3) != "sc_") return false;
  name.remove_prefix(3);
  // Module names have no '_': the first one ends the module.
  size_t sep = name.find('_');
  if (sep == std::string_view::npos) return false;
  std::string_view m = name.substr(0, sep), p = name.substr(sep + 1);
  if (!plugin_common::sc_names::valid_module_name(m) || !valid_period(p)) return false;
  if (module) *module = std::string(m);
  if (period) *period = std::string(p);
  return true;
}

std::string command(const Task& task) {
  std::string cmd = std::string(kFlock) + " -w 30 -E 1 " + lock_path(task.module, task.period) + " " +
                    cron_word(task.sc_binary) + " " + task.module + " cron " + task.period;
  for (const auto& a : task.args) cmd += " " + cron_word(a);
  return cmd;
}

std::string cron_file(const Task& task) {
  std::string cmd = command(task);
  if (cmd.size() > kMaxCommand)
    throw std::invalid_argument("the cron command would be " + std::to_string(cmd.size()) +
                                " characters long; cron accepts at most " + std::to_string(kMaxCommand));
  return std::string(kHeader) + task.schedule + " root " + cmd + "\n";
}

std::optional<Task> parse_cron_file(std::string_view text) {
  std::optional<Task> found;
  for (std::string_view line : plugin_common::text_split::lines(text)) {
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    std::string rest;
    auto fields = split_ws(line, 6, &rest);
    if (fields.size() < 6 || fields[0].find('=') != std::string::npos) continue;  // environment line
    if (found) return std::nullopt;                                               // one entry per file
    auto words = split_command(rest);
    // flock -w 30 -E 1 LOCK SC MODULE cron PERIOD ARGS...
    if (!words || words->size() < 10 || (*words)[0] != kFlock || (*words)[8] != "cron" || fields[5] != "root")
      return std::nullopt;
    Task t;
    t.schedule = fields[0] + " " + fields[1] + " " + fields[2] + " " + fields[3] + " " + fields[4];
    t.sc_binary = (*words)[6];
    t.module = (*words)[7];
    t.period = (*words)[9];
    t.args.assign(words->begin() + 10, words->end());
    if ((*words)[5] != lock_path(t.module, t.period)) return std::nullopt;
    found = std::move(t);
  }
  return found;
}

}  // namespace crontask
