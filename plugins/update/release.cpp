#include "release.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

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

Kind kind_of_exe(std::string_view exe) {
  if (exe == std::string("/") + kScPath) return Kind::local;
  if (exe.substr(0, 9) == "/usr/bin/" || exe.substr(0, 10) == "/usr/sbin/") return Kind::debian;
  return Kind::other;
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::local:
      return "local";
    case Kind::debian:
      return "debian";
    case Kind::other:
      break;
  }
  return "other";
}

std::optional<Kind> parse_kind(std::string_view name) {
  for (Kind k : {Kind::local, Kind::debian, Kind::other})
    if (name == kind_name(k)) return k;
  return std::nullopt;
}

bool followable(std::string_view rel, std::string* why) {
  if (!installable(rel, why)) return false;
  const std::string_view lib(kLibPrefix);
  if (rel == kScPath || (rel.substr(0, lib.size()) == lib && rel.size() > lib.size())) return true;
  if (why)
    *why = "\"" + std::string(rel) + "\" is not one of sc's files (/" + kScPath + " or under /" + kLibPrefix + ")";
  return false;
}

std::optional<Release> parse_release(const std::string& result_json, bool want_files, std::string* why) {
  auto fail = [&](const std::string& reason) -> std::optional<Release> {
    if (why) *why = reason;
    return std::nullopt;
  };
  auto doc = nlohmann::json::parse(result_json, nullptr, false);
  if (!doc.is_object()) return fail("its answer is not a JSON object");
  Release r;
  if (!doc["version"].is_string()) return fail("its answer has no \"version\"");
  auto v = parse_version(doc["version"].get<std::string>());
  if (!v)
    return fail("its version \"" + doc["version"].get<std::string>().substr(0, 40) + "\" is not MAJOR.MINOR.PATCH");
  r.version = *v;
  auto kind = doc["kind"].is_string() ? parse_kind(doc["kind"].get<std::string>()) : std::nullopt;
  if (!kind) return fail("its answer has no install \"kind\" (local, debian or other)");
  r.kind = *kind;
  if (doc["exe"].is_string()) r.exe = doc["exe"].get<std::string>().substr(0, 4096);
  if (!want_files) return r;
  if (!doc["files"].is_array() || doc["files"].empty()) return fail("its answer lists no files");
  if (doc["files"].size() > 100000) return fail("its answer lists more than 100000 files");
  std::set<std::string> seen;
  for (const auto& f : doc["files"]) {
    // A const object: find, never operator[] (which asserts on a missing key).
    auto field = [&f](const char* key) -> std::optional<std::string> {
      if (!f.is_object()) return std::nullopt;
      auto it = f.find(key);
      if (it == f.end() || !it->is_string()) return std::nullopt;
      return it->get<std::string>();
    };
    if (!field("path") || !field("sha256") || !field("mode"))
      return fail("a file of its list lacks \"path\", \"sha256\" or \"mode\"");
    ReleaseFile rf;
    rf.path = *field("path");
    std::string reason;
    if (!followable(rf.path, &reason)) return fail(reason);
    if (!seen.insert(rf.path).second) return fail("\"" + rf.path + "\" is listed twice");
    const std::string sum = *field("sha256");
    auto digest = parse_sha256(sum);
    if (!digest || sum.size() != 64) return fail("the SHA-256 of \"" + rf.path + "\" is not 64 hex digits");
    rf.sha256 = *digest;
    const std::string mode = *field("mode");
    if (mode != "0644" && mode != "0755") return fail("the mode of \"" + rf.path + "\" is not 0644 or 0755");
    rf.exec = mode == "0755";
    r.files.push_back(std::move(rf));
  }
  if (!seen.count(kScPath)) return fail(std::string("its list has no ") + kScPath);
  return r;
}

std::vector<std::string> debian_packages(const std::vector<std::string>& modules) {
  std::vector<std::string> p = {"synccluster"};
  for (const auto& m : modules) p.push_back("synccluster-plugin-" + m);
  std::sort(p.begin() + 1, p.end());
  p.erase(std::unique(p.begin(), p.end()), p.end());
  return p;
}

std::string apt_upgrade_command(const std::vector<std::string>& packages) {
  std::string cmd = "apt-get update && apt-get install --only-upgrade";
  for (const auto& p : packages) cmd += " " + p;
  return cmd;
}

FollowPlan plan_follow(const std::string& peer, const Version& here, Kind here_kind, const std::string& here_exe,
                       const Version& there, Kind peer_kind, const std::string& peer_exe,
                       const std::vector<std::string>& packages) {
  const std::string a = to_string(here), b = to_string(there);
  FollowPlan p;
  const int c = compare(there, here);
  if (c == 0) {
    p.action = FollowAction::same;
    p.message = "sc " + a + " here is the version " + peer + " runs: nothing to update";
  } else if (c < 0) {
    p.action = FollowAction::peer_older;
    p.message = peer + " runs sc " + b + ", older than " + a + " here: nothing to update (update sc on " + peer +
                ", e.g. with `sc update start` there)";
  } else if (there.major != here.major) {
    p.action = FollowAction::newer_major;
    p.failure = true;
    p.message = "refusing to update sc " + a + " to " + b + " from " + peer +
                ": another major version changes what hosts exchange, so it is never taken from a peer; "
                "install sc " +
                b +
                " here by hand (a release archive with `sc update start`, or the Debian "
                "packages) and run `sc update upgrade " +
                a + "`";
  } else if (here_kind == Kind::debian) {
    p.action = FollowAction::debian_here;
    p.message = peer + " runs sc " + b + ", this host " + a + " from Debian packages (" + here_exe +
                "), which sc never overwrites: upgrade them to " + b + " with `" + apt_upgrade_command(packages) +
                "`, then run `sc update upgrade " + a + "`";
  } else if (here_kind == Kind::other) {
    p.action = FollowAction::other_here;
    p.message = peer + " runs sc " + b + ", this host " + a + " from " + here_exe + ", neither /" + kScPath +
                " nor a Debian package: sc does not rewrite it; install sc " + b + " there yourself";
  } else if (peer_kind != Kind::local) {
    p.action = FollowAction::peer_not_local;
    p.message = peer + " runs sc " + b + " from " + (peer_exe.empty() ? std::string("elsewhere") : peer_exe) +
                ", not from /" + kScPath + ": its files are not an install this host can copy; install sc " + b +
                " here (`sc update start` with its release archive)";
  } else {
    p.action = FollowAction::install;
    p.message = "updating sc " + a + " to " + b + " from " + peer;
  }
  return p;
}

}  // namespace update_rel
