#include "scremote.hpp"

#include <algorithm>
#include <map>

namespace sshlink::scremote {

namespace {

// The original's modules (the files of its lib directory) and, for those
// with a `settings` function, the names it lists, in its order.
const std::map<std::string, std::optional<std::vector<std::string>>>& modules() {
  static const std::map<std::string, std::optional<std::vector<std::string>>> m = {
      {"aptpackage", std::nullopt},
      {"backup", std::vector<std::string>{"BACKUP_DIR", "BACKUP_LIST"}},
      {"bluetooth", std::nullopt},
      {"boot", std::nullopt},
      {"cloud", std::vector<std::string>{"CLOUD_PASSWORD", "CLOUDDIR"}},
      {"crontask", std::nullopt},
      {"daemon", std::nullopt},
      {"db", std::vector<std::string>{"PGVERSION"}},
      {"files", std::nullopt},
      {"hostconf", std::vector<std::string>{"FQDN"}},
      {"lifeline", std::vector<std::string>{"LIFELINE_TARGET", "LIFELINE_PORT"}},
      {"mail", std::vector<std::string>{"MAILDIR", "SPAMMAILDIR", "HAMMAILDIR", "RELAYHOST"}},
      {"mass", std::vector<std::string>{"MASSBACKUP", "MASSMODE"}},
      {"master", std::vector<std::string>{"MASTER", "MASTER_MODE"}},
      {"media", std::vector<std::string>{"KODIDIR", "RETROARCH", "RETROARCHDIR"}},
      {"nfsclient", std::nullopt},
      {"nfssrv", std::nullopt},
      {"nginx", std::nullopt},
      {"portforward", std::vector<std::string>{"PORTFORWARD_LIST"}},
      {"roundcube", std::vector<std::string>{"ROUNDCUBE_PASSWORD"}},
      {"scanner", std::vector<std::string>{"SCANMODE", "SCANDIR", "SCANOPT"}},
      {"settings", std::vector<std::string>{"SETTINGS_VERSION"}},
      {"sshlink", std::vector<std::string>{"SSHLINK_SPEEDLIMITS"}},
      {"sshshare", std::nullopt},
      {"ssl", std::vector<std::string>{"SSLCERT", "SSLKEY"}},
      {"temp", std::nullopt},
      {"unisonsync", std::vector<std::string>{"UNISON"}},
      {"update", std::vector<std::string>{"SCUPDATEURL"}},
      {"user", std::nullopt},
      {"utils", std::nullopt},
      {"version", std::nullopt},
      {"wstunnel", std::vector<std::string>{"WSTUNNEL_MODE"}},
      {"www", std::nullopt},
  };
  return m;
}

// A name bash's ${!NAME} accepts as a variable: what the original's
// `settings get` can read. Anything else makes bash fail (exit 1, nothing
// on stdout).
bool shell_variable_name(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (!alpha(s[0])) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

// A word shown in a note: printable ASCII only, at most 64 characters.
std::string shown(const std::string& w) {
  std::string r;
  for (char c : w.substr(0, 64)) r += (c >= 0x20 && c < 0x7f) ? c : '?';
  return w.size() > 64 ? r + "..." : r;
}

const char* const kWhy =
    "this host runs synccluster's C++ sc, which answers the original tool's clients read-only (master buildnumber: "
    "no update; MODULE settings; settings get NAME) and nothing else; move the client to this sc with `sc master "
    "adopt HOST` on this master (see README, Clients of the original tool)";

Answer cannot_find(const std::string& mod, const std::string& sub) {
  // The original's subcall: "Error: Cannot find $SC $mod $sub", exit 1.
  return {"Error: Cannot find sc " + mod + " " + sub + "\n", 1,
          "sc sshlink scremote " + shown(mod) + " " + shown(sub) + ": not answered: " + kWhy};
}

}  // namespace

std::optional<std::vector<std::string>> original_module_settings(const std::string& module) {
  auto it = modules().find(module);
  return it == modules().end() ? std::nullopt : it->second;
}

bool original_module(const std::string& module) {
  return modules().count(module) != 0;
}

bool original_secret(const std::string& name) {
  return name == "ROUNDCUBE_PASSWORD" || name == "CLOUD_PASSWORD";
}

Answer answer(const std::vector<std::string>& args, const OriginalValue& value) {
  if (args.empty() || args[0].empty())
    // The original's scremote returns 1 at once, printing nothing.
    return {"", 1, std::string("sc sshlink scremote: no module given; ") + kWhy};
  const std::string& mod = args[0];
  if (!original_module(mod))
    // The original's require: "Error: Required module $mod not found", exit 2.
    return {"Error: Required module " + mod + " not found\n", 2,
            "sc sshlink scremote: " + shown(mod) + " is not a module of the original tool"};
  const std::string sub = args.size() > 1 ? args[1] : "";
  if (!sub.empty() && sub[0] == '_') {
    // Private functions: the original says so first; we answer none.
    Answer a = cannot_find(mod, sub);
    a.out = "Cannot call " + mod + " " + sub + ": private function\n" + a.out;
    return a;
  }
  if (mod == "master" && sub == "buildnumber")
    // The original client's update step reads exactly this as "the master's
    // sc does not support update" and keeps its own sc, untouched.
    return {"Cannot find sc master buildnumber\n", 1,
            "sc sshlink scremote master buildnumber: answered \"no update\" on purpose: the original's update would "
            "copy this sc over the client's install; adopt the client with `sc master adopt HOST` on this master"};
  if (sub == "settings") {
    auto names = original_module_settings(mod);
    if (!names) return cannot_find(mod, sub);
    std::string out;
    for (const auto& n : *names) out += n + "\n";
    return {out, 0, ""};
  }
  if (mod == "settings" && sub == "get") {
    if (args.size() < 3)
      // `local name="$1"; shift` with nothing to shift ends the original
      // (set -e): status 1, nothing printed.
      return {"", 1, "sc sshlink scremote settings get: no NAME given"};
    const std::string& name = args[2];
    if (!shell_variable_name(name))
      return {"", 1, "sc sshlink scremote settings get: \"" + shown(name) + "\" is not a setting name"};
    if (original_secret(name))
      return {"", 1,
              "sc sshlink scremote settings get " + name +
                  ": a password is never sent to the original's clients; set it on the client by hand"};
    // The original prints the variable, empty when unset, and succeeds.
    return {value(name).value_or("") + "\n", 0, ""};
  }
  return cannot_find(mod, sub);
}

}  // namespace sshlink::scremote
