#include "common/share_path.hpp"

#include <sc/plugin.hpp>

namespace plugin_common::share_path {
namespace {

/// Length of the UTF-8 sequence starting at s[i] (a code point of U+00A0
/// or above: C1 controls are refused like C0 ones), or 0 when it is not one.
size_t utf8_sequence(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  unsigned cp = n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3f);
  }
  // Overlong forms, surrogates, beyond U+10FFFF and C1 controls.
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
      cp < 0xa0)
    return 0;
  return n;
}

}  // namespace

std::string problem(std::string_view path) {
  if (path.empty()) return "it is empty";
  if (path[0] != '/') return "it is not an absolute path (it must start with '/')";
  if (path.size() > 4095) return "it is longer than 4095 bytes";
  for (size_t i = 0; i < path.size();) {
    const unsigned char c = static_cast<unsigned char>(path[i]);
    if (c >= 0x80) {
      size_t n = utf8_sequence(path, i);
      if (n == 0) return "it is not UTF-8 text (or holds a control character)";
      i += n;
      continue;
    }
    if (c <= 0x20 || c == 0x7f) return "it holds white space or a control character";
    if (c == '\\' || c == '"' || c == '#')
      return std::string("it holds '") + static_cast<char>(c) +
             "', which /etc/fstab and /etc/exports read as an escape, a quote or a comment";
    ++i;
  }
  std::string_view rest = path.substr(1);
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view comp = rest.substr(0, slash);
    if (comp == "." || comp == "..") return "it has a \".\" or \"..\" component";
    if (comp.empty() && slash != std::string_view::npos) return "it has an empty component (\"//\")";
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  return {};
}

std::string clean(std::string_view path) {
  std::string p(path);
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::string checked(const std::string& path, const std::string& what) {
  const std::string why = problem(path);
  if (!why.empty())
    throw sc::Usage(what + " \"" + path + "\" cannot be shared: " + why +
                    "; give an absolute path of letters, digits and punctuation other than \\ \" and #");
  return clean(path);
}

}  // namespace plugin_common::share_path
