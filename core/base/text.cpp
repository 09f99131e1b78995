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

namespace {

// Length of the UTF-8 sequence at the start of `s`, or 0 when it is not a
// valid one.
size_t utf8_length(std::string_view s) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
  if (n == 0 || n > s.size()) return 0;
  for (size_t i = 1; i < n; ++i)
    if ((b(i) & 0xc0) != 0x80) return 0;
  if (n == 2 && c < 0xc2) return 0;                   // overlong
  if (n == 3 && c == 0xe0 && b(1) < 0xa0) return 0;   // overlong
  if (n == 3 && c == 0xed && b(1) >= 0xa0) return 0;  // surrogate
  if (n == 4 && (c > 0xf4 || (c == 0xf0 && b(1) < 0x90) || (c == 0xf4 && b(1) >= 0x90))) return 0;
  return n;
}

void append_hex(std::string* out, unsigned char c) {
  static const char kHex[] = "0123456789abcdef";
  *out += "\\x";
  *out += kHex[c >> 4];
  *out += kHex[c & 0xf];
}

}  // namespace

std::string printable(std::string_view text, Newlines newlines) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    const size_t n = utf8_length(text.substr(i));
    if (n == 0) {
      append_hex(&out, c);
      ++i;
      continue;
    }
    if (n == 2 && c == 0xc2 && static_cast<unsigned char>(text[i + 1]) < 0xa0) {
      // A C1 control character (U+0080 to U+009F): terminals act on it.
      append_hex(&out, c);
      append_hex(&out, static_cast<unsigned char>(text[i + 1]));
      i += 2;
      continue;
    }
    if (n == 1 && (c < 0x20 || c == 0x7f) && c != '\t') {
      if (c == '\n' && newlines == Newlines::keep)
        out += '\n';
      else if (c == '\n' && newlines == Newlines::indent)
        out += "\n  ";
      else if (c == '\n')
        out += "\\n";
      else if (c == '\r')
        out += "\\r";
      else if (c == 0x1b)
        out += "\\e";
      else
        append_hex(&out, c);
      ++i;
      continue;
    }
    out.append(text.substr(i, n));
    i += n;
  }
  return out;
}

bool valid_utf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t n = utf8_length(text.substr(i));
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  for (size_t i = 0; i < text.size();) {
    size_t j = text.find('\n', i);
    if (j == std::string_view::npos) j = text.size();
    out.push_back(text.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace sc
