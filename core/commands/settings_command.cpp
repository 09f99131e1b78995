// `sc settings`: the settings of every module, through the settings
// service (settings/settings.hpp), one function per subcommand.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <set>

#include "commands/commands.hpp"
#include "engine/rooted_fs.hpp"
#include "settings/legacy_settings.hpp"
#include "settings/original_settings.hpp"

namespace sc {

using json = nlohmann::json;

namespace {

constexpr const char* kUsage =
    "usage: sc settings list | print [MODULE] [--show-secrets] | get NAME | set NAME [VALUE] | del NAME | "
    "import FILE [NAME...] | original [NAME]";

std::string encode_value(const std::string& v) {
  return json(v).dump(-1, ' ', false, json::error_handler_t::replace);
}

/// The arguments of one subcommand, and how it reports.
struct SettingsCall {
  Session& s;
  Frame& frame;
  const std::vector<std::string>& args;  ///< args[0] is the subcommand
  SettingsStore& store;

  int bad_args() const {
    frame.error = "sc settings " + args[0] + ": wrong arguments; " + kUsage;
    return kExitUsage;
  }
  /// `stored_ok`: a name the store already holds is accepted even when it
  /// is not one a new setting may take (the original tool's files hold
  /// shell names such as `lower_case`): it can be read and deleted.
  bool check_name(const std::string& name, bool stored_ok = false) const {
    if (valid_setting_name(name)) return true;
    if (stored_ok && valid_shell_name(name) && store.get(name)) return true;
    frame.error = "\"" + name + "\" is not a setting name (upper-case letters, digits and '_', starting with a letter)";
    return false;
  }
  int fail(const std::string& err, int status = kExitFailure) const {
    frame.error = err;
    return status;
  }
};

bool read_value(Session& s, const std::string& name, bool secret, std::string* value, std::string* err, bool* usage) {
  if (s.prompter().interactive()) {
    Question q;
    q.kind = secret ? Question::Kind::secret : Question::Kind::text;
    q.prompt = "Value of " + name;
    return s.prompter().ask(q, value, err);
  }
  // Not a terminal: the first line of stdin, so secrets never need to be
  // on a command line (`printf '%s\n' "$pw" | sc settings set DB_PASSWORD`).
  value->clear();
  char c;
  ssize_t r;
  bool any = false;
  while ((r = ::read(STDIN_FILENO, &c, 1)) == 1 && (any = true) && c != '\n') value->push_back(c);
  if (r < 0) {
    *err = std::string("cannot read the value from stdin: ") + std::strerror(errno);
    return false;
  }
  if (!any) {
    // Nothing at all (stdin empty, e.g. /dev/null) is not an empty value.
    *err =
        "no value given: stdin is empty and not a terminal; give the value on stdin, or as an argument (an "
        "empty value as '')";
    *usage = true;
    return false;
  }
  return true;
}

std::string padded(const std::string& s, size_t width) {
  return s + std::string(s.size() < width ? width - s.size() : 1, ' ');
}

int settings_list(const SettingsCall& c) {
  if (c.args.size() != 1) return c.bad_args();
  std::map<std::string, json> rows;
  for (const auto& e : c.s.catalog().all()) {
    if (!e.manifest) continue;
    for (const auto& st : e.manifest->settings)
      rows.try_emplace(st.name, json{{"name", st.name},
                                     {"module", e.name},
                                     {"type", std::string(to_string(st.type))},
                                     {"secret", st.secret},
                                     {"set", c.store.get(st.name).has_value()}});
  }
  for (const auto& [name, value] : c.store.values())
    rows.try_emplace(name,
                     json{{"name", name}, {"module", nullptr}, {"type", "string"}, {"secret", false}, {"set", true}});
  json list = json::array();
  std::string t;
  for (auto& [name, row] : rows) {
    std::string module = row["module"].is_null() ? "(no module)" : row["module"].get<std::string>();
    t += padded(name, 24) + padded(module, 14) + row["type"].get<std::string>() +
         (row["secret"].get<bool>() ? " secret" : "") + (row["set"].get<bool>() ? "" : " (unset)") + "\n";
    list.push_back(row);
  }
  frame_print(c.s, c.frame, t);
  c.frame.result = list;
  return kExitOk;
}

int settings_print(const SettingsCall& c) {
  bool show_secrets = false;
  std::string module;
  for (size_t i = 1; i < c.args.size(); ++i) {
    if (c.args[i] == "--show-secrets")
      show_secrets = true;
    else if (module.empty())
      module = c.args[i];
    else
      return c.bad_args();
  }
  std::map<std::string, std::string> values;
  std::set<std::string> secret;
  std::string err;
  if (!module.empty()) {
    auto m = c.s.manifest(module, &err);
    if (!m) return c.fail(err, kExitUnavailable);
    for (const auto& st : m->settings) {
      if (st.secret) secret.insert(st.name);
      if (auto v = c.s.settings().value(st.name, &err)) values[st.name] = *v;
    }
  } else {
    values = c.store.values();
    for (const auto& e : c.s.catalog().all())
      if (e.manifest)
        for (const auto& st : e.manifest->settings)
          if (st.secret) secret.insert(st.name);
  }
  std::string t;
  json obj = json::object();
  for (const auto& [name, value] : values) {
    const bool hide = secret.count(name) && !show_secrets;
    const std::string shown = hide ? Settings::kRedacted : value;
    t += name + "=" + encode_value(shown) + "\n";
    obj[name] = shown;
  }
  frame_print(c.s, c.frame, t);
  c.frame.result = obj;
  return kExitOk;
}

int settings_get(const SettingsCall& c) {
  if (c.args.size() != 2) return c.bad_args();
  if (!c.check_name(c.args[1], true)) return kExitUsage;
  std::string err;
  auto v = c.s.settings().value_or_default(c.args[1], &err);
  if (!err.empty()) return c.fail(err);
  if (!v) {
    c.frame.result = nullptr;
    return c.fail("setting " + c.args[1] + " is not set");
  }
  frame_print(c.s, c.frame, *v + "\n");
  c.frame.result = *v;
  return kExitOk;
}

int settings_set(const SettingsCall& c) {
  if (c.args.size() != 2 && c.args.size() != 3) return c.bad_args();
  const std::string& name = c.args[1];
  if (!c.check_name(name)) return kExitUsage;
  const SettingSpec* spec = c.s.settings().spec_of(name);
  std::string value, err;
  if (c.args.size() == 3) {
    value = c.args[2];
    // A module calling `settings set` (host service call(), depth > 0)
    // passes the value in memory, not on a command line.
    if (spec && spec->secret && c.s.depth() == 0)
      c.s.output().log(SC_LOG_WARN, "settings",
                       name +
                           " is secret: a value on the command line can be seen by other users and stays in shell "
                           "history; next time omit VALUE to type it or pipe it on stdin");
  } else if (c.s.depth() > 0) {
    return c.fail("sc settings set " + name + ": a module must give the value", kExitUsage);
  } else if (bool usage = false; !read_value(c.s, name, spec && spec->secret, &value, &err, &usage)) {
    return c.fail("sc settings set " + name + ": " + err, usage ? kExitUsage : kExitFailure);
  }
  if (spec) {
    std::string normalized;
    if (!validate_setting_value(*spec, value, &normalized, &err)) return c.fail(err, kExitUsage);
    value = normalized;
  } else {
    c.s.output().log(SC_LOG_WARN, "settings", "no installed module declares " + name + "; stored anyway");
  }
  if (!c.s.settings().put(name, value, spec, &err)) return c.fail(err);
  return kExitOk;
}

// Settings from a file in either format (ours, or the original's shell
// lines): how a backup's settings come back on a restored host.
int settings_import(const SettingsCall& c) {
  if (c.args.size() < 2) return c.bad_args();
  std::set<std::string> only(c.args.begin() + 2, c.args.end());
  for (const auto& n : only)
    if (!c.check_name(n)) return kExitUsage;
  const std::string& file = c.args[1];
  std::string text, err;
  // What is wrong with the argument itself is a usage error; a file that
  // cannot be read is a failure.
  rooted_fs::Node node;
  if (file.empty() || file[0] != '/')
    return c.fail("sc settings import: \"" + file + "\" is not an absolute path; give the settings file as /PATH",
                  kExitUsage);
  if (!c.s.executor().stat(file, true, &node, &err)) return c.fail("sc settings import: " + err, kExitUsage);
  if (node.type == rooted_fs::NodeType::dir)
    return c.fail("sc settings import: " + file + " is a directory; give a settings file", kExitUsage);
  if (!c.s.executor().read_file(file, &text, &err)) return c.fail("sc settings import: " + err);
  std::map<std::string, std::string> values;
  std::vector<std::string> notes;  // the original's settings, mapped to ours
  if (!parse_settings(text, file, &values, &err, &notes)) return c.fail(err, kExitUsage);
  for (const auto& n : notes) c.s.output().log(SC_LOG_INFO, "settings", n);
  int imported = 0;
  for (const auto& [name, value] : values) {
    if (!only.empty() && !only.count(name)) continue;
    const SettingSpec* spec = c.s.settings().spec_of(name);
    std::string stored = value;
    if (spec && !validate_setting_value(*spec, value, &stored, &err)) {
      c.s.output().log(SC_LOG_WARN, "settings", "not imported: " + err);
      continue;
    }
    if (!c.s.settings().put(name, stored, spec, &err)) return c.fail(err);
    ++imported;
  }
  frame_print(
      c.s, c.frame,
      "imported " + std::to_string(imported) + " setting" + (imported == 1 ? "" : "s") + " from " + c.args[1] + "\n");
  c.frame.result = json{{"imported", imported}};
  return kExitOk;
}

// The original tool's settings and ours: the mapping table, or the value
// the original would hold for one of its settings on this host (what our
// master answers an original client that asks for it).
int settings_original(const SettingsCall& c) {
  if (c.args.size() > 2) return c.bad_args();
  if (c.args.size() == 1) {
    std::string t;
    json rows = json::array();
    for (const auto& m : original_settings::table()) {
      std::string ours;
      json names = json::array();
      for (auto o : m.ours) {
        ours += (ours.empty() ? "" : " ") + std::string(o);
        names.push_back(std::string(o));
      }
      t += padded(std::string(m.original), 20) + padded(std::string(original_settings::how_name(m.how)), 10) +
           padded(ours.empty() ? "-" : ours, 24) + std::string(m.why) + "\n";
      rows.push_back(json{{"original", std::string(m.original)},
                          {"ours", m.ours.empty() ? json(nullptr) : names},
                          {"how", std::string(original_settings::how_name(m.how))},
                          {"why", std::string(m.why)}});
    }
    frame_print(c.s, c.frame, t);
    c.frame.result = rows;
    return kExitOk;
  }
  const std::string& name = c.args[1];
  if (!valid_shell_name(name))
    return c.fail("\"" + name + "\" is not a setting name of the original tool (a shell variable name)", kExitUsage);
  std::string err;
  auto v = original_settings::to_original(
      name, [&](const std::string& ours) { return c.s.settings().value_or_default(ours, &err); });
  if (!err.empty()) return c.fail(err);
  if (!v) {
    c.frame.result = json{{"name", name}, {"value", nullptr}};
    return c.fail(original_settings::find(name)
                      ? "the original's setting " + name + " has no value on this host"
                      : name + " is not a setting of the original tool; see sc settings original");
  }
  frame_print(c.s, c.frame, *v + "\n");
  c.frame.result = json{{"name", name}, {"value", *v}};
  return kExitOk;
}

int settings_del(const SettingsCall& c) {
  if (c.args.size() != 2) return c.bad_args();
  if (!c.check_name(c.args[1], true)) return kExitUsage;
  std::string err;
  if (!c.s.settings().put(c.args[1], std::nullopt, c.s.settings().spec_of(c.args[1]), &err)) return c.fail(err);
  return kExitOk;
}

struct Subcommand {
  const char* name;
  int (*run)(const SettingsCall&);
};

constexpr Subcommand kSubcommands[] = {
    {"list", settings_list},     {"print", settings_print}, {"get", settings_get},           {"set", settings_set},
    {"import", settings_import}, {"del", settings_del},     {"original", settings_original},
};

}  // namespace

int core_settings(Session& s, Frame& frame, const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "help") {
    frame_print(s, frame, std::string(kUsage).substr(7) + "\n");
    return args.empty() ? kExitUsage : kExitOk;
  }
  for (const auto& sub : kSubcommands) {
    if (args[0] != sub.name) continue;
    std::string err;
    SettingsStore* store = s.settings().store(&err);
    if (!store) {
      frame.error = err;
      return kExitFailure;
    }
    return sub.run(SettingsCall{s, frame, args, *store});
  }
  frame.error = "sc settings: unknown command \"" + args[0] + "\"; " + kUsage;
  return kExitUsage;
}

}  // namespace sc
