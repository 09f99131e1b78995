#include "ledger.hpp"

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/shell_words.hpp"

namespace unisonsync {

namespace {

using nlohmann::json;

// unison's text interface shows each path as
//   R1 + " " + ARROW + " " + R2 + "   " + PATH + "  "
// where R1 and R2 are 8 characters ("changed ", "deleted ", "new file"...)
// and ARROW is 5. A forced arrow (made of '=') marks a path whose direction
// is not the default one: a conflict that `prefer` settled.
constexpr size_t kArrowAt = 9;
constexpr size_t kPathAt = 26;
constexpr const char* kForced[] = {"====>", "<====", "<=?=>", "==?=>", "<=?==", "<=M=>"};

bool forced_line_at(std::string_view text, size_t at) {
  if (text.size() < at + kPathAt) return false;
  if (text[at + 8] != ' ' || text[at + 14] != ' ' || text.compare(at + 23, 3, "   ") != 0) return false;
  for (size_t i = 0; i < 8; ++i) {
    char a = text[at + i], b = text[at + 15 + i];
    if (!((a >= 'a' && a <= 'z') || a == ' ') || !((b >= 'a' && b <= 'z') || b == ' ')) return false;
  }
  std::string_view arrow = text.substr(at + kArrowAt, 5);
  for (const char* f : kForced)
    if (arrow == f) return true;
  return false;
}

/// Offsets where lines start.
std::vector<size_t> line_starts(std::string_view text) {
  std::vector<size_t> out;
  if (text.empty()) return out;
  out.push_back(0);
  for (size_t i = 0; i + 1 < text.size(); ++i)
    if (text[i] == '\n') out.push_back(i + 1);
  return out;
}

bool digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

json opt_time(const std::optional<std::int64_t>& t) {
  return t ? json(iso_time(*t)) : json(nullptr);
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

/// A path as a line of text shows it: control characters as \n, \t or \xNN.
std::string shown(std::string_view s) {
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out;
}

std::string joined(const std::string& root, const std::string& rel) {
  return rel.empty() ? root : root + "/" + rel;
}

}  // namespace

bool listing_has_conflict(std::string_view listing) {
  for (size_t at : line_starts(listing))
    if (forced_line_at(listing, at)) return true;
  return false;
}

bool listing_shows_conflict(std::string_view listing, std::string_view path) {
  for (size_t at : line_starts(listing)) {
    if (!forced_line_at(listing, at)) continue;
    std::string_view rest = listing.substr(at + kPathAt);
    if (rest.size() < path.size() + 2 || rest.substr(0, path.size()) != path) continue;
    if (rest.substr(path.size(), 2) != "  ") continue;
    if (rest.size() == path.size() + 2 || rest[path.size() + 2] == '\n') return true;
  }
  return false;
}

std::optional<CopyName> parse_copy_name(std::string_view name) {
  static constexpr std::string_view kOpen = " (conflict";
  for (size_t pos = name.rfind(kOpen); pos != std::string_view::npos;
       pos = pos == 0 ? std::string_view::npos : name.rfind(kOpen, pos - 1)) {
    std::string_view rest = name.substr(pos + kOpen.size());
    if (rest.substr(0, 2) == " #") {
      size_t end = 2;
      while (end < rest.size() && rest[end] >= '0' && rest[end] <= '9') ++end;
      if (end == 2) continue;
      rest.remove_prefix(end);
    }
    if (rest.substr(0, 4) != "_on_" || rest.size() < 14) continue;
    std::string_view date = rest.substr(4, 10);
    if (!digits(date.substr(0, 4)) || date[4] != '-' || !digits(date.substr(5, 2)) || date[7] != '-' ||
        !digits(date.substr(8, 2)))
      continue;
    rest.remove_prefix(14);
    CopyName c;
    if (rest.substr(0, 12) == "_was_deleted") {
      c.was_deleted = true;
      rest.remove_prefix(12);
    }
    if (rest.empty() || rest[0] != ')') continue;
    rest.remove_prefix(1);
    std::string_view base = name.substr(0, pos);
    // unison puts the suffix before the last '.' of the name, if any.
    if (!rest.empty() && (rest[0] != '.' || rest.find('.', 1) != std::string_view::npos)) continue;
    if (rest.empty() && base.find('.') != std::string_view::npos) continue;
    c.original = std::string(base) + std::string(rest);
    if (c.original.empty()) continue;
    return c;
  }
  return std::nullopt;
}

std::vector<std::string> find_copies_argv(const std::string& root) {
  return {"find",    root + "/",        "-name", "* (conflict*_on_[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*)*",
          "-printf", "%y %T@ %s %P\\0", "-prune"};
}

std::vector<Found> parse_found(std::string_view out) {
  std::vector<Found> found;
  size_t start = 0;
  while (start < out.size()) {
    size_t end = out.find('\0', start);
    if (end == std::string_view::npos) break;  // a record cut short
    std::string_view rec = out.substr(start, end - start);
    start = end + 1;
    size_t s1 = rec.find(' ');
    size_t s2 = s1 == std::string_view::npos ? s1 : rec.find(' ', s1 + 1);
    size_t s3 = s2 == std::string_view::npos ? s2 : rec.find(' ', s2 + 1);
    if (s1 != 1 || s3 == std::string_view::npos) continue;
    std::string_view t = rec.substr(s1 + 1, s2 - s1 - 1);
    std::string_view size = rec.substr(s2 + 1, s3 - s2 - 1);
    std::string_view secs = t.substr(0, t.find('.'));
    if (!digits(secs) || !digits(size)) continue;
    Found f;
    f.type = rec[0];
    f.mtime = std::stoll(std::string(secs));
    f.size = std::stoll(std::string(size));
    f.path = std::string(rec.substr(s3 + 1));
    if (f.path.empty()) continue;
    found.push_back(std::move(f));
  }
  return found;
}

std::string original_path(std::string_view copy_path, const CopyName& name) {
  size_t slash = copy_path.rfind('/');
  return slash == std::string_view::npos ? name.original : std::string(copy_path.substr(0, slash + 1)) + name.original;
}

std::string Conflict::local_path() const {
  return joined(local_root, path);
}
std::string Conflict::local_copy() const {
  return copy.empty() ? "" : joined(local_root, copy);
}
std::string Conflict::remote_copy() const {
  return copy.empty() ? "" : joined(remote_root, copy);
}
std::string Conflict::remote_path() const {
  return joined(remote_root, path);
}

std::string ledger_text(const std::vector<Conflict>& conflicts) {
  json list = json::array();
  for (const auto& c : conflicts) {
    json j = {{"sync", c.sync},
              {"path", c.path},
              {"local_root", c.local_root},
              {"remote_root", c.remote_root},
              {"local_host", c.local_host},
              {"remote_host", c.remote_host},
              {"kind", c.kind},
              {"kept", c.kept},
              {"local_time", c.local_time ? json(*c.local_time) : json(nullptr)},
              {"remote_time", c.remote_time ? json(*c.remote_time) : json(nullptr)},
              {"copy", c.copy},
              {"copy_hosts", c.copy_hosts},
              {"found", c.found},
              {"path_size", c.path_size},
              {"path_mtime", c.path_mtime},
              {"copy_size", c.copy_size},
              {"copy_mtime", c.copy_mtime}};
    list.push_back(std::move(j));
  }
  // Only UTF-8 paths are recorded (the run warns about the others), so
  // nothing is replaced here in practice; "replace" keeps a damaged entry
  // from making the whole ledger unwritable.
  return json{{"format", 1}, {"conflicts", list}}.dump(1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::optional<std::vector<Conflict>> parse_ledger(std::string_view text) {
  json doc = json::parse(text, nullptr, false);
  if (!doc.is_object() || doc.value("format", 0) != 1 || !doc.contains("conflicts") || !doc["conflicts"].is_array())
    return std::nullopt;
  std::vector<Conflict> out;
  try {
    for (const auto& j : doc["conflicts"]) {
      Conflict c;
      c.sync = j.at("sync").get<std::string>();
      c.path = j.at("path").get<std::string>();
      c.local_root = j.at("local_root").get<std::string>();
      c.remote_root = j.at("remote_root").get<std::string>();
      c.local_host = j.at("local_host").get<std::string>();
      c.remote_host = j.at("remote_host").get<std::string>();
      c.kind = j.at("kind").get<std::string>();
      c.kept = j.at("kept").get<std::string>();
      if (!j.at("local_time").is_null()) c.local_time = j["local_time"].get<std::int64_t>();
      if (!j.at("remote_time").is_null()) c.remote_time = j["remote_time"].get<std::int64_t>();
      c.copy = j.at("copy").get<std::string>();
      c.copy_hosts = j.at("copy_hosts").get<std::vector<std::string>>();
      c.found = j.at("found").get<std::int64_t>();
      c.path_size = j.at("path_size").get<std::int64_t>();
      c.path_mtime = j.at("path_mtime").get<std::int64_t>();
      c.copy_size = j.at("copy_size").get<std::int64_t>();
      c.copy_mtime = j.at("copy_mtime").get<std::int64_t>();
      out.push_back(std::move(c));
    }
  } catch (const json::exception&) {
    return std::nullopt;
  }
  return out;
}

std::string conflict_json(const Conflict& c) {
  const std::string local_v = c.local_host + (c.kind == "deleted-here" ? " (deleted)" : "");
  json j = {{"path", c.local_path()},
            {"sync", c.sync},
            {"relative_path", c.path},
            {"kind", c.kind},
            {"local_host", c.local_host},
            {"remote_host", c.remote_host},
            {"local_time", opt_time(c.local_time)},
            {"remote_time", opt_time(c.remote_time)},
            {"kept", c.kept},
            {"kept_host", c.kept == "local" ? c.local_host : c.remote_host},
            {"other_copy", c.copy.empty() ? json(nullptr) : json(c.local_copy())},
            {"other_copy_remote", c.copy.empty() ? json(nullptr) : json(c.remote_copy())},
            {"other_copy_hosts", c.copy_hosts},
            {"found", iso_time(c.found)}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string conflict_text(const Conflict& c) {
  auto when = [](const std::optional<std::int64_t>& t) { return t ? iso_time(*t) : std::string("deleted"); };
  std::string text = shown(c.local_path()) + "\n";
  text += "  " + c.local_host + ": " + when(c.local_time) + ", " + c.remote_host + ": " + when(c.remote_time) + "\n";
  const std::string& keeper = c.kept == "local" ? c.local_host : c.remote_host;
  const std::string& other = c.kept == "local" ? c.remote_host : c.local_host;
  if (c.kind == "both-changed") {
    text += "  the path holds " + keeper + "'s version (the newer); " + other + "'s is " + shown(c.local_copy()) +
            (c.copy_hosts.empty() ? std::string(" (not found)") : " on " + join(c.copy_hosts, " and ")) + "\n";
  } else {
    text += "  " + other + " deleted it, " + keeper + " changed it: the change was kept\n";
  }
  text += "  sync " + c.sync + ", found " + iso_time(c.found) + "\n";
  return text;
}

ConflictWarning conflict_warning(const std::string& sync, const std::vector<std::string>& paths) {
  const std::string first = paths.empty() ? std::string() : paths.front();
  const std::string quoted = plugin_common::shell_words::quote(first);
  const size_t n = paths.size();
  return {sync + ": " + std::to_string(n) + " unresolved conflict" + (n == 1 ? "" : "s") + ", " +
              (n == 1 ? "on " : "the first on ") + quoted +
              " (both versions are kept until resolved: keep-local, keep-remote or keep-both; sc unisonsync "
              "conflicts lists them)",
          plugin_common::shell_words::command({"sc", "unisonsync", "resolve", first, "keep-both"})};
}

std::optional<Choice> parse_choice(std::string_view word) {
  if (word == "keep-local") return Choice::keep_local;
  if (word == "keep-remote") return Choice::keep_remote;
  if (word == "keep-both") return Choice::keep_both;
  return std::nullopt;
}

std::vector<Step> resolution_steps(const Conflict& c, Choice choice, const std::string& local_real, bool copy_here,
                                   bool copy_there) {
  std::vector<Step> steps;
  if (choice == Choice::keep_both) return steps;
  const std::string here_path = joined(local_real, c.path);
  if (c.kind == "deleted-here" || c.kind == "deleted-there") {
    // The change was kept on both sides; keeping the deletion removes it
    // here, and the next run carries the deletion over.
    const bool keep_deletion = (c.kind == "deleted-here") == (choice == Choice::keep_local);
    if (keep_deletion) steps.push_back({false, {"rm", "-rf", "--", here_path}});
    return steps;
  }
  // Both changed: the path holds `kept`'s version, the copy the other's.
  const bool keep_copy = (c.kept == "local") == (choice == Choice::keep_remote);
  if (!copy_here && !copy_there) {
    if (!keep_copy) return steps;  // the version kept is the path's; the copy is already gone
    throw std::runtime_error("the other version (" + c.copy + ") is on neither host any more");
  }
  const bool on_peer = !copy_here;
  const std::string copy = on_peer ? c.remote_copy() : joined(local_real, c.copy);
  const std::string path = on_peer ? c.remote_path() : here_path;
  if (keep_copy)
    steps.push_back({on_peer, {"mv", "-f", "-T", "--", copy, path}});
  else
    steps.push_back({on_peer, {"rm", "-rf", "--", copy}});
  return steps;
}

}  // namespace unisonsync
