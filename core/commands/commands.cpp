// The core's own commands: `sc plugins` and `sc settings`.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <set>

#include "cli/cli.hpp"
#include "session/crash_guard.hpp"
#include "modules/dependency_graph.hpp"

namespace sc {

using json = nlohmann::json;

namespace {

constexpr int kProbeTimeoutMs = 15000;

/// Loads a module (and checks its readiness) in a child process, so that a
/// plugin that crashes or hangs while loading is reported, not fatal.
json probe_plugin(Session& s, const std::string& name) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return {{"state", "refused"}, {"reason", "cannot create a pipe"}};
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return {{"state", "refused"}, {"reason", "cannot fork"}};
  }
  if (pid == 0) {
    ::close(fds[0]);
    int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    json r;
    std::string err;
    LoadedPlugin* p = s.load(name, &err);
    if (!p) {
      r = {{"state", "refused"}, {"reason", err}};
    } else if (p->manifest().command("ready")) {
      Frame f;
      f.module = name;
      f.command = "ready";
      f.capture = true;
      int rc = s.run(&f, {});
      r = {{"state", rc == 0 ? "ready" : "not-ready"}};
      if (rc != 0 && !f.error.empty()) r["reason"] = f.error;
    } else {
      r = {{"state", "loaded-ok"}};
    }
    std::string out = r.dump();
    write_all(fds[1], out);
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string data;
  char buf[4096];
  auto start = std::chrono::steady_clock::now();
  bool timed_out = false;
  for (;;) {
    long left = kProbeTimeoutMs - static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                        std::chrono::steady_clock::now() - start)
                                                        .count());
    if (left <= 0) {
      timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int pr = ::poll(&p, 1, static_cast<int>(left));
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) continue;
    ssize_t r = ::read(fds[0], buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    data.append(buf, static_cast<size_t>(r));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out)
    return {{"state", "refused"},
            {"reason", "did not finish loading or its readiness check within " + std::to_string(kProbeTimeoutMs / 1000) +
                           " s; the module is faulty: report it to its maintainer"}};
  if (WIFSIGNALED(status))
    return {{"state", "refused"},
            {"reason", "crashed with signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) +
                           ") while loading or checking readiness; the module is faulty: report it to its "
                           "maintainer, or reinstall it (package sc-plugin-" + name + ")"}};
  json r = json::parse(data, nullptr, false);
  if (r.is_discarded() || !r.is_object())
    return {{"state", "refused"}, {"reason", "the probe of this module ended without an answer"}};
  return r;
}

int plugins_command(Session& s, Frame& frame, const std::vector<std::string>& args) {
  bool load = true;
  for (const auto& a : args) {
    if (a == "--no-load")
      load = false;
    else {
      frame.error = "sc plugins: unknown argument \"" + a + "\"; usage: sc plugins [--no-load]";
      return kExitUsage;
    }
  }
  json list = json::array();
  std::string t;
  for (const auto& e : s.catalog().all()) {
    json j = {{"name", e.name}, {"manifest", e.file.string()}};
    if (!e.manifest) {
      j["state"] = "refused";
      j["reason"] = e.error;
    } else {
      j["version"] = e.manifest->version;
      j["library"] = e.manifest->library.string();
      std::vector<std::shared_ptr<const Manifest>> order;
      std::string err;
      if (!s.dependencies(e.name, &order, &err)) {
        j["state"] = "refused";
        j["reason"] = err;
      } else if (!load) {
        j["state"] = "found";
      } else {
        json r = probe_plugin(s, e.name);
        j["state"] = r.value("state", "refused");
        if (r.contains("reason")) j["reason"] = r["reason"];
      }
    }
    std::string state = j["state"].get<std::string>();
    t += e.name + std::string(e.name.size() < 14 ? 14 - e.name.size() : 1, ' ') +
         j.value("version", std::string("-")) + "  " + state;
    if (j.contains("reason")) t += ": " + j["reason"].get<std::string>();
    t += "\n";
    list.push_back(std::move(j));
  }
  if (list.empty()) {
    std::string dirs;
    for (const auto& d : s.catalog().dirs()) dirs += (dirs.empty() ? "" : ", ") + d.string();
    t = "no plugins found in " + dirs + "\n";
  }
  frame_print(s, frame, t);
  frame.result = list;
  return kExitOk;
}

// ---- settings ---------------------------------------------------------------

std::string encode_value(const std::string& v) {
  return json(v).dump(-1, ' ', false, json::error_handler_t::replace);
}

bool read_value(Session& s, const std::string& name, bool secret, std::string* value, std::string* err) {
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
  while ((r = ::read(STDIN_FILENO, &c, 1)) == 1 && c != '\n') value->push_back(c);
  if (r < 0) {
    *err = std::string("cannot read the value from stdin: ") + std::strerror(errno);
    return false;
  }
  return true;
}

int settings_command(Session& s, Frame& frame, const std::vector<std::string>& args) {
  const std::string usage =
      "usage: sc settings list | print [MODULE] [--show-secrets] | get NAME | set NAME [VALUE] | del NAME | "
      "import FILE [NAME...]";
  if (args.empty() || args[0] == "help") {
    frame_print(s, frame, usage.substr(7) + "\n");
    return args.empty() ? kExitUsage : kExitOk;
  }
  std::string err;
  SettingsStore* store = s.settings(&err);
  if (!store) {
    frame.error = err;
    return kExitFailure;
  }
  const std::string& cmd = args[0];
  auto bad_args = [&]() {
    frame.error = "sc settings " + cmd + ": wrong arguments; " + usage;
    return kExitUsage;
  };
  auto check_name = [&](const std::string& name) {
    if (valid_setting_name(name)) return true;
    frame.error = "\"" + name + "\" is not a setting name (upper-case letters, digits and '_', starting with a letter)";
    return false;
  };

  if (cmd == "list") {
    if (args.size() != 1) return bad_args();
    std::map<std::string, json> rows;
    for (const auto& e : s.catalog().all()) {
      if (!e.manifest) continue;
      for (const auto& st : e.manifest->settings)
        rows.try_emplace(st.name, json{{"name", st.name}, {"module", e.name}, {"type", std::string(to_string(st.type))},
                                       {"secret", st.secret}, {"set", store->get(st.name).has_value()}});
    }
    for (const auto& [name, value] : store->values())
      rows.try_emplace(name, json{{"name", name}, {"module", nullptr}, {"type", "string"}, {"secret", false}, {"set", true}});
    json list = json::array();
    std::string t;
    for (auto& [name, row] : rows) {
      std::string module = row["module"].is_null() ? "(no module)" : row["module"].get<std::string>();
      t += name + std::string(name.size() < 24 ? 24 - name.size() : 1, ' ') + module +
           std::string(module.size() < 14 ? 14 - module.size() : 1, ' ') + row["type"].get<std::string>() +
           (row["secret"].get<bool>() ? " secret" : "") + (row["set"].get<bool>() ? "" : " (unset)") + "\n";
      list.push_back(row);
    }
    frame_print(s, frame, t);
    frame.result = list;
    return kExitOk;
  }
  if (cmd == "print") {
    bool show_secrets = false;
    std::string module;
    for (size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "--show-secrets")
        show_secrets = true;
      else if (module.empty())
        module = args[i];
      else
        return bad_args();
    }
    std::map<std::string, std::string> values;
    std::set<std::string> secret;
    if (!module.empty()) {
      auto m = s.manifest(module, &err);
      if (!m) {
        frame.error = err;
        return kExitUnavailable;
      }
      for (const auto& st : m->settings) {
        if (st.secret) secret.insert(st.name);
        if (auto v = s.setting_value(st.name, &err)) values[st.name] = *v;
      }
    } else {
      for (const auto& [name, value] : store->values()) values[name] = value;
      for (const auto& e : s.catalog().all())
        if (e.manifest)
          for (const auto& st : e.manifest->settings)
            if (st.secret) secret.insert(st.name);
    }
    std::string t;
    json obj = json::object();
    for (const auto& [name, value] : values) {
      bool hide = secret.count(name) && !show_secrets;
      std::string shown = hide ? Session::kRedacted : value;
      t += name + "=" + encode_value(shown) + "\n";
      obj[name] = shown;
    }
    frame_print(s, frame, t);
    frame.result = obj;
    return kExitOk;
  }
  if (cmd == "get") {
    if (args.size() != 2) return bad_args();
    if (!check_name(args[1])) return kExitUsage;
    auto v = s.setting_value(args[1], &err);
    if (!err.empty()) {
      frame.error = err;
      return kExitFailure;
    }
    if (!v) {
      if (auto owner = s.setting_owner(args[1]))
        if (const SettingSpec* st = owner->setting(args[1]); st && st->default_value) v = st->default_value;
    }
    if (!v) {
      frame.error = "setting " + args[1] + " is not set";
      frame.result = nullptr;
      return kExitFailure;
    }
    frame_print(s, frame, *v + "\n");
    frame.result = *v;
    return kExitOk;
  }
  if (cmd == "set") {
    if (args.size() != 2 && args.size() != 3) return bad_args();
    const std::string& name = args[1];
    if (!check_name(name)) return kExitUsage;
    auto owner = s.setting_owner(name);
    const SettingSpec* spec = owner ? owner->setting(name) : nullptr;
    std::string value;
    if (args.size() == 3) {
      value = args[2];
      // A module calling `settings set` (host service call(), depth > 0)
      // passes the value in memory, not on a command line.
      if (spec && spec->secret && s.depth() == 0)
        s.output().log(SC_LOG_WARN, "settings",
                       name + " is secret: a value on the command line can be seen by other users and stays in shell "
                              "history; next time omit VALUE to type it or pipe it on stdin");
    } else if (s.depth() > 0) {
      frame.error = "sc settings set " + name + ": a module must give the value";
      return kExitUsage;
    } else if (!read_value(s, name, spec && spec->secret, &value, &err)) {
      frame.error = "sc settings set " + name + ": " + err;
      return kExitFailure;
    }
    if (spec) {
      std::string normalized;
      if (!validate_setting_value(*spec, value, &normalized, &err)) {
        frame.error = err;
        return kExitUsage;
      }
      value = normalized;
    } else {
      s.output().log(SC_LOG_WARN, "settings", "no installed module declares " + name + "; stored anyway");
    }
    if (!s.store_setting(name, value, spec, &err)) {
      frame.error = err;
      return kExitFailure;
    }
    return kExitOk;
  }
  if (cmd == "import") {
    // Settings from a file in either format (ours, or the original's shell
    // lines): how a backup's settings come back on a restored host.
    if (args.size() < 2) return bad_args();
    std::string text;
    if (!s.executor().read_file(args[1], &text, &err)) {
      frame.error = "sc settings import: " + err;
      return kExitFailure;
    }
    std::map<std::string, std::string> values;
    if (!parse_settings(text, args[1], &values, &err)) {
      frame.error = err;
      return kExitUsage;
    }
    std::set<std::string> only(args.begin() + 2, args.end());
    for (const auto& n : only)
      if (!check_name(n)) return kExitUsage;
    int imported = 0;
    for (const auto& [name, value] : values) {
      if (!only.empty() && !only.count(name)) continue;
      auto owner = s.setting_owner(name);
      const SettingSpec* spec = owner ? owner->setting(name) : nullptr;
      std::string stored = value;
      if (spec && !validate_setting_value(*spec, value, &stored, &err)) {
        s.output().log(SC_LOG_WARN, "settings", "not imported: " + err);
        continue;
      }
      if (!s.store_setting(name, stored, spec, &err)) {
        frame.error = err;
        return kExitFailure;
      }
      ++imported;
    }
    frame_print(s, frame, "imported " + std::to_string(imported) + " setting" + (imported == 1 ? "" : "s") + " from " +
                              args[1] + "\n");
    frame.result = json{{"imported", imported}};
    return kExitOk;
  }
  if (cmd == "del") {
    if (args.size() != 2) return bad_args();
    if (!check_name(args[1])) return kExitUsage;
    auto owner = s.setting_owner(args[1]);
    if (!s.store_setting(args[1], std::nullopt, owner ? owner->setting(args[1]) : nullptr, &err)) {
      frame.error = err;
      return kExitFailure;
    }
    return kExitOk;
  }
  frame.error = "sc settings: unknown command \"" + cmd + "\"; " + usage;
  return kExitUsage;
}

}  // namespace

int core_broadcast(Session& s, Frame& frame, const std::vector<std::string>& args) {
  const std::string usage = "usage: sc broadcast [--ready-only] HOOK [ARGS...]";
  std::vector<std::string> rest = args;
  bool ready_only = false;
  if (!rest.empty() && rest[0] == "--ready-only") {
    ready_only = true;
    rest.erase(rest.begin());
  }
  if (rest.empty()) {
    frame.error = "missing hook; " + usage;
    return kExitUsage;
  }
  if (!valid_command_name(rest[0])) {
    frame.error = "\"" + rest[0] + "\" is not a hook name; " + usage;
    return kExitUsage;
  }
  json results;
  int rc = s.broadcast(rest[0], {rest.begin() + 1, rest.end()}, ready_only, &results);
  std::string text;
  for (const auto& r : results) text += r.value("output", "");
  frame_print(s, frame, text);
  frame.result = results;
  return rc;
}

int core_plugins(Session& s, Frame& frame, const std::vector<std::string>& args) {
  return plugins_command(s, frame, args);
}

int core_settings(Session& s, Frame& frame, const std::vector<std::string>& args) {
  return settings_command(s, frame, args);
}

}  // namespace sc
