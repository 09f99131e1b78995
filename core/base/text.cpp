#include "base/text.hpp"

namespace sc {

namespace {

std::string_view trim_end(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  return line;
}

}  // namespace

std::string excerpt(std::string_view text) {
  constexpr size_t kMaxLines = 3, kMaxChars = 400;
  std::string out;
  size_t lines = 0, pos = 0;
  while (pos < text.size() && lines < kMaxLines) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = trim_end(text.substr(pos, nl - pos));
    pos = nl + 1;
    if (line.empty()) continue;
    if (!out.empty()) out += "; ";
    out += line;
    ++lines;
  }
  if (out.size() > kMaxChars) out = out.substr(0, kMaxChars) + "...";
  return out;
}

std::string with_excerpt(const std::string& message, std::string_view output) {
  std::string e = excerpt(output);
  return e.empty() ? message : message + ": " + e;
}

std::string first_line(std::string_view text) {
  return std::string(trim_end(text.substr(0, text.find('\n'))));
}

}  // namespace sc
