#include "common/text_split.hpp"

namespace plugin_common::text_split {

std::vector<std::string_view> lines(std::string_view text, Cr cr) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    if (cr == Cr::strip && !line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    pos = nl + 1;
  }
  return out;
}

std::vector<std::string> nonempty_lines(std::string_view text, Cr cr) {
  std::vector<std::string> out;
  for (std::string_view line : lines(text, cr))
    if (!line.empty()) out.emplace_back(line);
  return out;
}

std::vector<std::string_view> fields(std::string_view line, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t at; (at = line.find(sep, start)) != std::string_view::npos; start = at + 1)
    out.push_back(line.substr(start, at - start));
  out.push_back(line.substr(start));
  return out;
}

std::vector<std::string_view> words(std::string_view text) {
  constexpr std::string_view kSpace = " \t\n";
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t start = text.find_first_not_of(kSpace, pos);
    if (start == std::string_view::npos) break;
    size_t end = text.find_first_of(kSpace, start);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    pos = end;
  }
  return out;
}

}  // namespace plugin_common::text_split
