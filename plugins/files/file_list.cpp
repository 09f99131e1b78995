#include "file_list.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/text_split.hpp"

namespace files_mod {

bool valid_path(std::string_view path) {
  if (path.empty() || path[0] != '/' || path.size() > 4096) return false;
  if (path.find('\0') != std::string_view::npos || path.find('\n') != std::string_view::npos) return false;
  std::string_view rest = path.substr(1);
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view comp = rest.substr(0, slash);
    if (comp == "." || comp == ".." || (comp.empty() && slash != std::string_view::npos)) return false;
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  return true;
}

std::string clean_path(std::string_view path) {
  std::string p(path);
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::optional<std::vector<std::string>> parse_file_list(std::string_view captured, std::string* why) {
  auto doc = nlohmann::json::parse(captured, nullptr, false);
  if (!doc.is_object()) {
    if (why) *why = "the files hook gave no JSON document";
    return std::nullopt;
  }
  std::vector<std::string> raw;
  const auto& result = doc.contains("result") ? doc["result"] : nlohmann::json();
  if (result.is_array()) {
    for (const auto& e : result) {
      if (!e.is_string()) {
        if (why) *why = "the files hook result holds " + e.dump() + ", not a path";
        return std::nullopt;
      }
      raw.push_back(e.get<std::string>());
    }
  } else if (!result.is_null()) {
    if (why) *why = "the files hook result is " + result.dump() + ", not an array of paths";
    return std::nullopt;
  } else if (doc.contains("output") && doc["output"].is_string()) {
    raw = plugin_common::text_split::nonempty_lines(doc["output"].get<std::string>());
  }
  std::vector<std::string> paths;
  for (const auto& p : raw) {
    if (!valid_path(p)) {
      if (why) *why = "the files hook listed \"" + p + "\", which is not an absolute path (without .. or newlines)";
      return std::nullopt;
    }
    std::string c = clean_path(p);
    if (std::find(paths.begin(), paths.end(), c) == paths.end()) paths.push_back(c);
  }
  return paths;
}

std::vector<std::string> restore_argv(const std::string& from, const std::string& to) {
  auto dir = [](std::string p) { return p.empty() || p.back() != '/' ? p + "/" : p; };
  // --files-from turns -a's recursion off: -r puts it back for listed
  // directories. --from0: names may hold any byte but NUL.
  return {"rsync", "-a", "-r", "--numeric-ids", "--from0", "--files-from=-", "--", dir(from), dir(to)};
}

std::string files_from(const std::vector<std::string>& paths) {
  std::string out;
  for (const auto& p : paths) {
    out += p[0] == '/' ? p.substr(1) : p;
    out += '\0';
  }
  return out;
}

std::string rsync_status_text(int status) {
  switch (status) {
    case 0:
      return "success";
    case 1:
      return "syntax or usage error";
    case 2:
      return "protocol incompatibility";
    case 3:
      return "errors selecting input/output files or directories";
    case 5:
      return "error starting client-server protocol";
    case 10:
      return "error in socket I/O";
    case 11:
      return "error in file I/O";
    case 12:
      return "error in rsync protocol data stream";
    case 20:
      return "received SIGUSR1 or SIGINT";
    case 23:
      return "partial transfer due to error";
    case 24:
      return "partial transfer due to vanished source files";
    case 30:
      return "timeout in data send/receive";
    default:
      return "see rsync(1), EXIT VALUES";
  }
}

}  // namespace files_mod
