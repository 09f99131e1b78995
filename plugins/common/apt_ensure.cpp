#include "common/apt_ensure.hpp"

#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/target.hpp"
#include "common/text_split.hpp"

namespace plugin_common::apt_ensure {
namespace {

constexpr int kModuleUnavailable = 3;  // sc's exit code for a missing module

bool valid_package(std::string_view p) {
  if (p.size() < 2 || p.size() > 128) return false;
  auto lower_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_digit(p[0])) return false;
  return std::all_of(p.begin(), p.end(), [&](char c) { return lower_digit(c) || c == '+' || c == '.' || c == '-'; });
}

bool valid_command(std::string_view c) {
  if (c.empty() || c.size() > 255) return false;
  auto plain = [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '+' ||
           ch == '.' || ch == '-';
  };
  if (c[0] != '/') return c[0] != '-' && c != "." && c != ".." && std::all_of(c.begin(), c.end(), plain);
  // An absolute path: plain characters and '/', no "." or ".." component.
  std::string_view rest = c.substr(1);
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view comp = rest.substr(0, slash);
    if (comp.empty() || comp == "." || comp == ".." || !std::all_of(comp.begin(), comp.end(), plain)) return false;
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  return true;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

}  // namespace

bool parse_spec(std::string_view text, Spec* out, std::string* why) {
  size_t colon = text.find(':');
  Spec s;
  s.package = std::string(text.substr(0, colon));
  if (colon != std::string_view::npos) s.command = std::string(text.substr(colon + 1));
  if (!valid_package(s.package) || (colon != std::string_view::npos && !valid_command(s.command))) {
    if (why)
      *why = "\"" + std::string(text) +
             "\" is not a package spec: expected PACKAGE[:COMMAND] with a Debian package name and a program name "
             "or absolute path";
    return false;
  }
  *out = std::move(s);
  return true;
}

std::set<std::string> installed_packages(std::string_view status) {
  // Paragraphs separated by blank lines; only Package and Status matter.
  std::set<std::string> out;
  std::string package, state;
  auto flush = [&] {
    if (!package.empty() && state == "install ok installed") out.insert(package);
    package.clear();
    state.clear();
  };
  for (std::string_view line : text_split::lines(status, text_split::Cr::strip)) {
    if (line.empty()) {
      flush();
      continue;
    }
    auto value = [&](std::string_view key) -> std::optional<std::string> {
      if (line.rfind(key, 0) != 0) return std::nullopt;
      std::string v(line.substr(key.size()));
      v.erase(0, v.find_first_not_of(" \t"));
      v.erase(v.find_last_not_of(" \t") + 1);
      return v;
    };
    if (auto v = value("Package:")) package = *v;
    if (auto v = value("Status:")) state = *v;
  }
  flush();
  return out;
}

std::vector<std::string> missing_packages(const std::vector<Spec>& specs, const std::set<std::string>& installed,
                                          const std::function<bool(const std::string&)>& has_command) {
  std::vector<std::string> out;
  for (const auto& s : specs) {
    bool ok = s.command.empty() ? installed.count(s.package) > 0 : has_command(s.command);
    if (!ok && std::find(out.begin(), out.end(), s.package) == out.end()) out.push_back(s.package);
  }
  return out;
}

const std::vector<std::string>& command_dirs() {
  static const std::vector<std::string> dirs = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
                                                "/usr/bin",        "/sbin",          "/bin"};
  return dirs;
}

std::vector<std::string> missing_on_target(const sc::Context& ctx, const std::vector<std::string>& specs) {
  std::vector<Spec> parsed;
  for (const auto& text : specs) {
    Spec s;
    std::string why;
    if (!parse_spec(text, &s, &why)) throw sc::Usage(why);
    parsed.push_back(std::move(s));
  }
  auto has_command = [&](const std::string& cmd) {
    if (cmd[0] == '/') return target::exists(ctx, cmd);
    for (const auto& dir : command_dirs())
      if (target::executable(ctx, dir + "/" + cmd)) return true;
    return false;
  };
  std::set<std::string> installed;
  if (std::any_of(parsed.begin(), parsed.end(), [](const Spec& s) { return s.command.empty(); }))
    installed = installed_packages(ctx.read_file("/var/lib/dpkg/status").value_or(""));
  return missing_packages(parsed, installed, has_command);
}

Outcome ensure(const sc::Context& ctx, const std::vector<std::string>& specs) {
  Outcome out;
  if (specs.empty()) return out;
  // Bad specs are a bug of the caller: refuse them before anything runs.
  for (const auto& text : specs) {
    Spec s;
    std::string why;
    if (!parse_spec(text, &s, &why)) throw sc::Usage(why);
  }
  sc::CallResult r = ctx.call("aptpackage", "ensure", specs);
  std::string error;
  auto doc = nlohmann::json::parse(r.json, nullptr, false);
  if (doc.is_object() && doc.contains("error") && doc["error"].is_string()) error = doc["error"].get<std::string>();
  if (r.status == SC_OK) {
    // aptpackage's result: {"present":[...],"installed":[...]}
    auto names = [&](const char* key) {
      std::vector<std::string> v;
      if (doc.is_object() && doc["result"].is_object() && doc["result"][key].is_array())
        for (const auto& n : doc["result"][key])
          if (n.is_string()) v.push_back(n.get<std::string>());
      return v;
    };
    out.present = names("present");
    out.installed = names("installed");
    return out;
  }
  if (r.status != kModuleUnavailable)
    throw sc::Failure("installing the packages " + join(specs, " ") +
                      " failed: " + (error.empty() ? "see the messages above" : error));
  std::vector<std::string> missing = missing_on_target(ctx, specs);
  if (missing.empty()) {
    ctx.debug("aptpackage is not available; the packages needed are present: " + join(specs, " "));
    for (const auto& text : specs) {
      std::string name = text.substr(0, text.find(':'));
      if (std::find(out.present.begin(), out.present.end(), name) == out.present.end()) out.present.push_back(name);
    }
    return out;
  }
  throw sc::Failure("needs the Debian package" + std::string(missing.size() > 1 ? "s " : " ") + join(missing, ", ") +
                    ", and the aptpackage module that installs packages is not available (" + error +
                    "): install them with `apt-get install " + join(missing, " ") + "`, then run this again");
}

}  // namespace plugin_common::apt_ensure
