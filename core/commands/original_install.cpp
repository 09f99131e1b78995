#include "commands/original_install.hpp"

#include <algorithm>

#include "base/text.hpp"
#include "modules/manifest.hpp"

namespace sc::original {

namespace {

constexpr std::string_view kPeriods[] = {"fast", "hourly", "daily", "weekly", "monthly"};

bool is_elf(std::string_view text) {
  return text.size() >= 4 && text.substr(0, 4) == std::string_view(
                                                      "\x7f"
                                                      "ELF",
                                                      4);
}

bool plain_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("@+=:,./_-").find(c) != std::string_view::npos;
}

/// Shell words of `text` that the shell takes literally: plain characters,
/// '...' and "..." without `$`, backquote or backslash. False with *why.
bool literal_words(std::string_view text, std::vector<std::string>* out, std::string* why) {
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i >= text.size()) break;
    std::string word;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') {
      char c = text[i];
      if (c == '\'' || c == '"') {
        size_t end = text.find(c, i + 1);
        if (end == std::string_view::npos) {
          *why = "an unterminated quote";
          return false;
        }
        std::string_view inner = text.substr(i + 1, end - i - 1);
        if (c == '"' && inner.find_first_of("$`\\") != std::string_view::npos) {
          *why = "a double-quoted word the shell would expand";
          return false;
        }
        if (inner.find('%') != std::string_view::npos) {
          *why = "a '%' (cron makes it a new line)";
          return false;
        }
        word += inner;
        i = end + 1;
        continue;
      }
      if (!plain_char(c)) {
        *why = c == '%' ? std::string("a '%' (cron makes it a new line)")
                        : "shell syntax ('" + std::string(1, c) + "') that /bin/sh would interpret";
        return false;
      }
      word += c;
      ++i;
    }
    out->push_back(std::move(word));
  }
  return true;
}

bool sc_program(std::string_view word) {
  return word.size() >= 3 && word[0] == '/' && word.substr(word.size() - 3) == "/sc";
}

bool valid_instance(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (!alnum(s[0])) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
}

}  // namespace

std::optional<std::string> program_version(std::string_view text) {
  if (is_elf(text) || text.substr(0, 2) != "#!") return std::nullopt;
  for (std::string_view line : lines_of(text)) {
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.substr(0, 10) != "SCVERSION=") continue;
    line.remove_prefix(10);
    size_t n = 0;
    while (n < line.size() && line[n] >= '0' && line[n] <= '9') ++n;
    if (n > 0) return std::string(line.substr(0, n));
  }
  return std::nullopt;
}

bool is_module_file(std::string_view name, std::string_view text) {
  if (name.empty() || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  if (!std::all_of(name.begin(), name.end(),
                   [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'; }))
    return false;
  return !is_elf(text) && text.find('\0') == std::string_view::npos;
}

bool written_by_us(std::string_view text) {
  return text.substr(0, 15) == "# Written by `s";
}

bool cron_file_name(std::string_view name, std::string* module, std::string* period) {
  if (name.substr(0, 3) != "sc_") return false;
  size_t last = name.rfind('_');
  if (last <= 3) return false;
  std::string_view m = name.substr(3, last - 3), p = name.substr(last + 1);
  if (!valid_module_name(m) || std::find(std::begin(kPeriods), std::end(kPeriods), p) == std::end(kPeriods))
    return false;
  *module = std::string(m);
  *period = std::string(p);
  return true;
}

bool parse_cron(std::string_view file_name, std::string_view text, CronTask* out, std::string* why) {
  std::string module, period;
  if (!cron_file_name(file_name, &module, &period)) {
    *why = "its name is not sc_MODULE_PERIOD";
    return false;
  }
  std::vector<std::string_view> lines = lines_of(text);
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.size() != 1) {
    *why = lines.empty() ? "it is empty" : "it holds more than the original's one line";
    return false;
  }
  std::string_view line = lines[0];
  // The five time fields and the user.
  std::vector<std::string> fields;
  size_t i = 0;
  while (fields.size() < 6) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j == i) break;
    fields.emplace_back(line.substr(i, j - i));
    i = j;
  }
  if (fields.size() < 6 || fields[5] != "root") {
    *why = "it is not \"MINUTE HOUR DAY MONTH WEEKDAY root COMMAND\"";
    return false;
  }
  std::vector<std::string> words;
  std::string problem;
  if (!literal_words(line.substr(i), &words, &problem)) {
    *why = "its command holds " + problem;
    return false;
  }
  const std::string path = std::string(kCronDir) + "/" + std::string(file_name);
  const std::vector<std::string> head = {"flock", "-w", "30", "-E", "1", path};
  if (words.size() < head.size() + 4 || !std::equal(head.begin(), head.end(), words.begin()) || !sc_program(words[6]) ||
      words[7] != module || words[8] != "cron" || words[9] != period) {
    *why = "its command is not the original's \"flock -w 30 -E 1 '" + path + "' /usr/local/sbin/sc " + module +
           " cron " + period + " [ARGS...]\"";
    return false;
  }
  out->module = module;
  out->period = period;
  out->schedule.clear();
  for (size_t k = 0; k < 5; ++k) out->schedule += (k ? " " : "") + fields[k];
  out->args.assign(words.begin() + 10, words.end());
  return true;
}

bool unit_file_name(std::string_view name, UnitTask::Kind* kind, std::string* stem) {
  constexpr std::string_view suffix = ".service";
  if (name.size() <= suffix.size() || name.substr(name.size() - suffix.size()) != suffix) return false;
  std::string_view base = name.substr(0, name.size() - suffix.size());
  for (auto [prefix, k] : {std::pair{std::string_view("sc_daemon_"), UnitTask::Kind::daemon},
                           std::pair{std::string_view("sc_boot_"), UnitTask::Kind::boot}}) {
    if (base.size() > prefix.size() && base.substr(0, prefix.size()) == prefix) {
      *kind = k;
      *stem = std::string(base.substr(prefix.size()));
      return true;
    }
  }
  return false;
}

bool parse_unit(std::string_view file_name, std::string_view text, UnitTask* out, std::string* why) {
  UnitTask::Kind kind;
  std::string stem;
  if (!unit_file_name(file_name, &kind, &stem)) {
    *why = "its name is not sc_daemon_NAME[_INSTANCE].service or sc_boot_NAME.service";
    return false;
  }
  std::vector<std::string_view> exec;
  for (std::string_view line : lines_of(text))
    if (line.substr(0, 10) == "ExecStart=") exec.push_back(line.substr(10));
  if (exec.size() != 1) {
    *why = exec.empty() ? "it has no ExecStart line" : "it has more than one ExecStart line";
    return false;
  }
  std::vector<std::string> words;
  std::string problem;
  if (!literal_words(exec[0], &words, &problem)) {
    *why = "its ExecStart holds " + problem;
    return false;
  }
  const char* verb = kind == UnitTask::Kind::daemon ? "daemon" : "boot";
  if (words.size() < 3 || !sc_program(words[0]) || words[1] != stem || words[2] != verb) {
    *why = std::string("its ExecStart is not the original's \"/usr/local/sbin/sc ") + stem + " " + verb + "\"";
    return false;
  }
  std::vector<std::string> rest(words.begin() + 3, words.end());
  out->kind = kind;
  out->instance.clear();
  if (rest.empty() && valid_module_name(stem)) {
    out->module = stem;
    return true;
  }
  if (kind == UnitTask::Kind::daemon && rest.size() == 1 && valid_instance(rest[0]) &&
      stem.size() > rest[0].size() + 1 && stem.substr(stem.size() - rest[0].size() - 1) == "_" + rest[0] &&
      valid_module_name(stem.substr(0, stem.size() - rest[0].size() - 1))) {
    out->module = stem.substr(0, stem.size() - rest[0].size() - 1);
    out->instance = rest[0];
    return true;
  }
  *why = std::string("its ExecStart runs `sc ") + stem + " " + verb + "` with arguments the " + verb +
         " module cannot pass (it takes " + (kind == UnitTask::Kind::daemon ? "NAME [INSTANCE]" : "NAME") + ")";
  return false;
}

}  // namespace sc::original
