// `sc help`, `sc MODULE help`, `sc MODULE COMMAND --help`: all from
// manifests, never opening a library.
#include <algorithm>

#include "base/text.hpp"
#include "base/version.hpp"
#include "commands/commands.hpp"

namespace sc {

using json = nlohmann::json;

namespace {

std::string pad(const std::string& s, size_t width) {
  return s.size() >= width ? s + "  " : s + std::string(width - s.size(), ' ');
}

// Manifest text shown to a person: control characters escaped (a summary
// must not clear the screen or forge a line).
std::string shown(const std::string& s) {
  return printable(s);
}

std::string usage_lines(const CoreCommand& c) {
  std::string t;
  for (const auto& u : c.usages) t += "  sc " + pad(u.usage, 28) + u.summary + "\n";
  return t;
}

json manifest_json(const Manifest& m) {
  json j = {{"name", m.name},          {"version", m.version}, {"summary", m.summary},
            {"requires", m.requires_}, {"hooks", m.hooks},     {"manifest", m.file.string()}};
  j["commands"] = json::array();
  for (const auto& c : m.commands)
    j["commands"].push_back(
        {{"name", c.name}, {"usage", c.usage}, {"summary", c.summary}, {"changes_host", c.changes_host}});
  j["settings"] = json::array();
  for (const auto& s : m.settings) {
    json e = {{"name", s.name},
              {"type", std::string(to_string(s.type))},
              {"prompt", s.prompt},
              {"summary", s.summary},
              {"secret", s.secret}};
    if (s.default_value) e["default"] = *s.default_value;
    if (!s.choices.empty()) e["choices"] = s.choices;
    j["settings"].push_back(std::move(e));
  }
  return j;
}

int general_help(Session& s, Frame& frame) {
  std::string t;
  t += "Usage: sc [OPTIONS] MODULE COMMAND [ARGS...]\n\n"
       "synccluster shares accounts, data and programs between loosely coupled Debian hosts.\n\n";
  t += global_options_help() + "\nCore commands:\n";
  for (const auto& c : core_commands()) t += usage_lines(c);
  t += "\nModules:\n";
  json modules = json::array();
  for (const auto& e : s.catalog().all()) {
    if (e.manifest) {
      t += "  " + pad(e.name, 14) + shown(e.manifest->summary) + "\n";
      modules.push_back({{"name", e.name}, {"summary", e.manifest->summary}, {"version", e.manifest->version}});
    } else {
      t += "  " + pad(e.name, 14) + "(unusable: see `sc plugins`)\n";
      modules.push_back({{"name", e.name}, {"error", e.error}});
    }
  }
  if (modules.empty()) {
    std::string dirs;
    for (const auto& d : s.catalog().dirs()) dirs += (dirs.empty() ? "" : ", ") + d.string();
    t += "  (none installed in " + dirs + ")\n";
  }
  t += "\nRun `sc MODULE help` for a module's commands and settings.\n"
       "Exit status: 0 success (for `ready`/`has`: yes), 1 failure (or no), 2 usage error,\n"
       "3 module not installed or unusable; a crashing module ends sc with its signal.\n";
  frame_print(s, frame, t);
  frame.result = json{{"sc", sc::version()}, {"modules", modules}};
  return kExitOk;
}

int module_help(Session& s, Frame& frame, const Manifest& m) {
  std::string t = "sc " + m.name + " " + shown(m.version) + " - " + shown(m.summary) + "\n\nUsage: sc " + m.name +
                  " COMMAND [ARGS...]\n\nCommands:\n";
  for (const auto& c : m.commands) {
    std::string lhs = c.name + (c.usage.empty() ? "" : " " + shown(c.usage));
    t += "  " + pad(lhs, 30) + shown(c.summary) + (c.changes_host ? " [changes the host]" : "") + "\n";
  }
  if (m.commands.empty()) t += "  (none)\n";
  if (!m.hooks.empty()) {
    t += "\nHooks (run for other modules): ";
    for (size_t i = 0; i < m.hooks.size(); ++i) t += (i ? ", " : "") + m.hooks[i];
    t += "\n";
  }
  if (!m.settings.empty()) {
    t += "\nSettings (sc settings set NAME VALUE, or --set NAME=VALUE):\n";
    for (const auto& st : m.settings) {
      std::string lhs = st.name + " (" + std::string(to_string(st.type));
      if (!st.choices.empty()) {
        lhs += ": ";
        for (size_t i = 0; i < st.choices.size(); ++i) lhs += (i ? "|" : "") + shown(st.choices[i]);
      }
      lhs += ")";
      std::string rhs = shown(!st.summary.empty() ? st.summary : st.prompt);
      if (st.default_value)
        rhs += " [default: " + (st.secret ? std::string(Settings::kRedacted) : shown(*st.default_value)) + "]";
      if (st.secret) rhs += " [secret]";
      t += "  " + pad(lhs, 30) + rhs + "\n";
    }
  }
  if (!m.requires_.empty()) {
    t += "\nRequires: ";
    for (size_t i = 0; i < m.requires_.size(); ++i) t += (i ? ", " : "") + m.requires_[i];
    t += "\n";
  }
  frame_print(s, frame, t);
  frame.result = manifest_json(m);
  return kExitOk;
}

}  // namespace

int core_help(Session& s, Frame& frame, const std::vector<std::string>& topic) {
  if (topic.empty()) return general_help(s, frame);
  if (const CoreCommand* c = s.core_command(topic[0])) {
    frame_print(s, frame, "Core commands:\n" + usage_lines(*c));
    return kExitOk;
  }
  std::string err;
  auto m = s.manifest(topic[0], &err);
  if (!m) {
    // Help about something that is not there is a usage error: the name
    // is what was wrong (3 stays for running a module that is missing, and
    // for a module asking through call(), as the ABI documents).
    frame.error = err;
    return s.depth() > 0 ? kExitUnavailable : kExitUsage;
  }
  if (topic.size() == 1) return module_help(s, frame, *m);
  const CommandSpec* c = m->command(topic[1]);
  if (!c) {
    if (m->has_hook(topic[1])) {
      frame_print(s, frame,
                  "Usage: sc " + m->name + " " + topic[1] + " [ARGS...]\n\n" + topic[1] +
                      " is a hook: other modules run it (e.g. for every module at once).\n");
      return kExitOk;
    }
    frame.error = "module " + m->name + " has no command \"" + topic[1] + "\"; see `sc " + m->name + " help`";
    return kExitUsage;
  }
  frame_print(s, frame,
              "Usage: sc " + m->name + " " + c->name + (c->usage.empty() ? "" : " " + shown(c->usage)) + "\n\n" +
                  shown(c->summary) + "\n" +
                  (c->changes_host ? "This command changes the host (try --dry-run first).\n" : ""));
  frame.result =
      json{{"name", c->name}, {"usage", c->usage}, {"summary", c->summary}, {"changes_host", c->changes_host}};
  return kExitOk;
}

}  // namespace sc
