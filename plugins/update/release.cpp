#include "release.hpp"

#include <algorithm>
#include <cctype>

namespace update_rel {

bool valid_url(std::string_view url, std::string* why) {
  auto fail = [&](const std::string& reason) {
    if (why) *why = "\"" + std::string(url) + "\" is not an update URL: " + reason;
    return false;
  };
  std::string_view rest;
  for (std::string_view scheme : {"file://", "http://", "https://"})
    if (url.substr(0, scheme.size()) == scheme) rest = url.substr(scheme.size());
  if (rest.empty()) return fail("give a file://, http:// or https:// URL of the release archive");
  if (url.size() > 2048) return fail("longer than 2048 characters");
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '\'' || c == '\\' || c == '`' || c == '<' || c == '>')
      return fail("spaces, quotes, backslashes and non-ASCII characters must be %-encoded");
  }
  if (url.substr(0, 7) == "file://" && rest[0] != '/')
    return fail("a file:// URL needs an absolute path (file:///...)");
  return true;
}

std::optional<std::string> parse_sha256(std::string_view text) {
  size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || text.size() - start < 64) return std::nullopt;
  std::string digest(text.substr(start, 64));
  if (!std::all_of(digest.begin(), digest.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }))
    return std::nullopt;
  if (text.size() > start + 64 && !std::isspace(static_cast<unsigned char>(text[start + 64]))) return std::nullopt;
  std::transform(digest.begin(), digest.end(), digest.begin(),
                 [](char c) { return static_cast<char>(std::tolower(c)); });
  return digest;
}

std::vector<std::string> download_argv(const std::string& url, const std::string& out) {
  return {"curl",          "--fail",      "--silent",   "--show-error", "--location", "--proto", "=file,http,https",
          "--proto-redir", "=http,https", "--max-time", "900",          "--output",   out,       url};
}

std::vector<std::string> extract_argv(const std::string& archive, const std::string& dir) {
  return {"tar", "--extract", "--file", archive, "--directory", dir, "--no-same-owner", "--no-same-permissions"};
}

std::optional<Version> parse_version(std::string_view text) {
  Version v;
  unsigned* parts[] = {&v.major, &v.minor, &v.patch};
  size_t pos = 0;
  for (int i = 0; i < 3; ++i) {
    size_t end = pos;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
    if (end == pos || end - pos > 6) return std::nullopt;
    *parts[i] = static_cast<unsigned>(std::stoul(std::string(text.substr(pos, end - pos))));
    if (i < 2) {
      if (end >= text.size() || text[end] != '.') return std::nullopt;
      pos = end + 1;
    } else if (end != text.size()) {
      return std::nullopt;
    }
  }
  return v;
}

std::string to_string(const Version& v) {
  return std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.patch);
}

int compare(const Version& a, const Version& b) {
  if (a.major != b.major) return a.major < b.major ? -1 : 1;
  if (a.minor != b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch != b.patch) return a.patch < b.patch ? -1 : 1;
  return 0;
}

bool installable(std::string_view rel, std::string* why) {
  auto fail = [&](const std::string& reason) {
    if (why) *why = "release member \"" + std::string(rel) + "\" " + reason;
    return false;
  };
  if (rel.substr(0, std::string_view(kPrefix).size()) != kPrefix || rel.size() == std::string_view(kPrefix).size())
    return fail(std::string("is outside /") + kPrefix + ": a release installs only there");
  for (char c : rel)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return fail("has a control character in its name");
  size_t start = 0;
  while (start <= rel.size()) {
    size_t end = rel.find('/', start);
    if (end == std::string_view::npos) end = rel.size();
    std::string_view comp = rel.substr(start, end - start);
    if (comp.empty() || comp == "." || comp == "..") return fail("has an empty, \".\" or \"..\" component");
    start = end + 1;
  }
  return true;
}

void order_for_install(std::vector<std::string>* rels) {
  std::sort(rels->begin(), rels->end(), [](const std::string& a, const std::string& b) {
    bool sa = a == kScPath, sb = b == kScPath;
    return sa != sb ? sb : a < b;
  });
}

std::vector<std::string> upgrade_argv(const std::string& sc_path, const std::string& root, const std::string& old) {
  std::vector<std::string> argv = {sc_path};
  if (!root.empty()) {
    std::string r = root.back() == '/' ? root.substr(0, root.size() - 1) : root;
    argv.insert(argv.end(), {"--root", r, "--plugin-path", r + "/usr/local/lib/sc"});
  }
  argv.insert(argv.end(), {"update", "upgrade", old});
  return argv;
}

}  // namespace update_rel
