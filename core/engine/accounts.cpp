#include "engine/accounts.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>
#include <vector>

#include "engine/rooted_path.hpp"

namespace sc {
namespace {

bool parse_id(std::string_view s, unsigned* out) {
  if (s.empty()) return false;
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  // (uid_t)-1 means "no change" to chown: never a real id.
  if (ec != std::errc() || end != s.data() + s.size() || v == static_cast<unsigned>(-1)) return false;
  *out = v;
  return true;
}

// The fields of the first usable line whose first field is `name`.
std::optional<std::vector<std::string_view>> find_entry(std::string_view text, std::string_view name,
                                                        size_t min_fields) {
  if (name.empty() || name.find_first_of(":\n") != std::string_view::npos) return std::nullopt;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty() || line[0] == '#' || line[0] == '+' || line[0] == '-') continue;
    std::vector<std::string_view> fields;
    size_t start = 0;
    for (;;) {
      size_t colon = line.find(':', start);
      fields.push_back(line.substr(start, colon == std::string_view::npos ? line.npos : colon - start));
      if (colon == std::string_view::npos) break;
      start = colon + 1;
    }
    if (fields.size() >= min_fields && fields[0] == name) return fields;
  }
  return std::nullopt;
}

std::vector<char> nss_buffer(int which) {
  long size = ::sysconf(which);
  return std::vector<char>(size > 0 ? static_cast<size_t>(size) : 16384);
}

std::optional<AccountIds> nss_user(const std::string& name) {
  std::vector<char> buf = nss_buffer(_SC_GETPW_R_SIZE_MAX);
  for (;;) {
    passwd pw{};
    passwd* res = nullptr;
    int rc = ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &res);
    if (rc == ERANGE && buf.size() < (1u << 24)) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (rc != 0 || !res) return std::nullopt;
    return AccountIds{static_cast<unsigned>(pw.pw_uid), static_cast<unsigned>(pw.pw_gid)};
  }
}

std::optional<unsigned> nss_group(const std::string& name) {
  std::vector<char> buf = nss_buffer(_SC_GETGR_R_SIZE_MAX);
  for (;;) {
    group gr{};
    group* res = nullptr;
    int rc = ::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &res);
    if (rc == ERANGE && buf.size() < (1u << 24)) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (rc != 0 || !res) return std::nullopt;
    return static_cast<unsigned>(gr.gr_gid);
  }
}

TargetFileReader disk_reader(const std::filesystem::path& root) {
  return [root](const std::string& target_path, std::string* text) {
    std::filesystem::path p;
    if (!resolve_under_root(root, target_path, true, &p, nullptr)) return false;
    std::ifstream f(p, std::ios::binary);
    if (!f) return false;
    std::ostringstream ss;
    ss << f.rdbuf();
    *text = ss.str();
    return true;
  };
}

}  // namespace

std::optional<AccountIds> find_user_in(std::string_view passwd_text, std::string_view name) {
  auto fields = find_entry(passwd_text, name, 4);
  AccountIds ids;
  if (!fields || !parse_id((*fields)[2], &ids.uid) || !parse_id((*fields)[3], &ids.gid)) return std::nullopt;
  return ids;
}

std::optional<unsigned> find_group_in(std::string_view group_text, std::string_view name) {
  auto fields = find_entry(group_text, name, 3);
  unsigned gid = 0;
  if (!fields || !parse_id((*fields)[2], &gid)) return std::nullopt;
  return gid;
}

std::optional<AccountIds> lookup_user(const TargetFileReader& read, bool host_root, const std::string& name) {
  std::string text;
  if (read("/etc/passwd", &text)) {
    if (auto ids = find_user_in(text, name)) return ids;
  }
  if (host_root && !name.empty() && name.find('\0') == std::string::npos) {
    if (auto ids = nss_user(name)) return ids;
  }
  if (name == "root") return AccountIds{0, 0};
  return std::nullopt;
}

std::optional<unsigned> lookup_group(const TargetFileReader& read, bool host_root, const std::string& name) {
  std::string text;
  if (read("/etc/group", &text)) {
    if (auto gid = find_group_in(text, name)) return gid;
  }
  if (host_root && !name.empty() && name.find('\0') == std::string::npos) {
    if (auto gid = nss_group(name)) return gid;
  }
  if (name == "root") return 0u;
  return std::nullopt;
}

std::optional<AccountIds> lookup_user(const std::filesystem::path& root, const std::string& name) {
  return lookup_user(disk_reader(root), is_host_root(root), name);
}

std::optional<unsigned> lookup_group(const std::filesystem::path& root, const std::string& name) {
  return lookup_group(disk_reader(root), is_host_root(root), name);
}

}  // namespace sc
