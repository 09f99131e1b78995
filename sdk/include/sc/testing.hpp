// sc/testing.hpp - a host for unit tests of a module's commands, without sc.
//
// A Host is an in-memory target system and a scripted user: files,
// directories and symlinks in maps, settings in a map, answers to questions
// in a queue, programs answered by a function. It fills an sc_host_api and
// runs a command of the module's descriptor (sc_plugin_entry()) against it,
// recording what the command printed, logged and changed:
//
//   sc::testing::Host host;
//   host.files["/etc/hostname"] = {"node1.example.com\n"};
//   CHECK(host.run(sc_plugin_entry(), "setup") == SC_OK);
//   CHECK(host.files["/etc/motd"].data == "Welcome to node1.example.com\n");
//
// It is a test double, not sc: no manifest is read (give settings' defaults
// in `defaults`), nothing is checked against a schema, and the services that
// need a real system or a peer (peer_*, clone_*, open_read, call, broadcast)
// fail with a message saying so. Test those through a real `sc --root`.
// Header-only, C++17, in the SDK (package synccluster-dev).
#ifndef SC_TESTING_HPP
#define SC_TESTING_HPP

#include <sc/plugin.h>

#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace sc::testing {

/// A regular file of the in-memory target.
struct File {
  std::string data;
  std::uint32_t mode = 0644;
  std::string owner = "root";
  std::string group = "root";
};

/// One program a command ran (or planned).
struct Run {
  std::vector<std::string> argv;
  std::uint32_t flags = 0;  ///< SC_RUN_*
  std::string input;
};

class Host {
 public:
  Host() { fill_api(); }
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  // -- the target system and the user, set up by the test --------------
  std::map<std::string, File> files;
  std::map<std::string, std::uint32_t> dirs = {{"/", 0755}};  ///< path -> mode
  std::map<std::string, std::string> links;                   ///< path -> target
  std::map<std::string, std::string> settings;                ///< NAME -> value
  std::map<std::string, std::string> defaults;                ///< NAME -> the manifest's default
  std::deque<std::string> answers;                            ///< replies to questions, in order
  /// How a program ends: its exit status, `*out` its stdout. Default: 0.
  std::function<int(const Run&, std::string* out)> on_run;
  std::uint32_t mode = 0;  ///< SC_MODE_* bits (SC_MODE_DRY_RUN: nothing changes)

  // -- what the command did ----------------------------------------------
  std::string output;                ///< what it printed
  std::vector<std::string> logs;     ///< "warning: text", "info: text"...
  std::string result;                ///< its result document (JSON), if any
  std::vector<std::string> actions;  ///< "changed: write /etc/motd", "ok: mkdir /etc"...
  std::vector<Run> runs;
  std::string error;  ///< the command's own message when it did not succeed

  /// The service table the host gives commands.
  const sc_host_api* api() const { return &api_; }

  /// Runs `command` of `plugin` with `args`; returns its status.
  int run(const sc_plugin* plugin, const std::string& command, const std::vector<std::string>& args = {}) {
    for (std::uint32_t i = 0; plugin && i < plugin->command_count; ++i)
      if (command == plugin->commands[i].name) return run(plugin->commands[i].run, command, args);
    error = "the module has no command \"" + command + "\"";
    return SC_USAGE;
  }

  /// Runs one command function with `args`; returns its status.
  int run(sc_command_fn fn, const std::string& command, const std::vector<std::string>& args = {}) {
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    char buffer[2048] = {};
    sc_call call{};
    call.struct_size = sizeof call;
    call.api = &api_;
    call.host = self();
    call.module = "test";
    call.command = command.c_str();
    call.argc = static_cast<std::int32_t>(args.size());
    call.argv = argv.data();
    call.error = buffer;
    call.error_size = sizeof buffer;
    error.clear();
    const int status = fn(&call);
    buffer[sizeof buffer - 1] = '\0';
    if (status != SC_OK) error = buffer;
    return status;
  }

 private:
  sc_host* self() { return reinterpret_cast<sc_host*>(this); }
  static Host& of(sc_host* h) { return *reinterpret_cast<Host*>(h); }
  bool dry() const { return (mode & SC_MODE_DRY_RUN) != 0; }

  static char* copy(const std::string& s) {
    char* p = static_cast<char*>(std::malloc(s.size() + 1));
    if (p) std::memcpy(p, s.c_str(), s.size() + 1);
    return p;
  }
  int fail(int status, const std::string& why) {
    last_error_ = why;
    return status;
  }
  void act(bool changed, const std::string& what) {
    actions.push_back(std::string(!changed ? "ok: " : dry() ? "would change: " : "changed: ") + what);
  }
  static std::string parent(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == 0 ? "/" : path.substr(0, slash);
  }
  bool exists(const std::string& p) const { return files.count(p) || dirs.count(p) || links.count(p); }
  // Absolute, without a ".." component: what sc itself accepts.
  static bool valid(const char* path) {
    if (!path || path[0] != '/') return false;
    const std::string p = std::string(path) + "/";
    return p.find("/../") == std::string::npos;
  }

  void fill_api() {
    api_ = sc_host_api{};
    api_.struct_size = sizeof api_;
    api_.abi_major = SC_ABI_MAJOR;
    api_.abi_minor = SC_ABI_MINOR;
    api_.free = [](void* p) { std::free(p); };
    api_.last_error = [](sc_host* h) { return of(h).last_error_.c_str(); };
    api_.mode = [](sc_host* h) { return of(h).mode; };
    api_.root = [](sc_host*) { return "/"; };
    api_.version = [](sc_host*) { return "test-host"; };
    api_.print = [](sc_host* h, const char* text) {
      if (text) of(h).output += text;
    };
    api_.result = [](sc_host* h, const char* json) {
      of(h).result = json ? json : "";
      return SC_OK;
    };
    api_.log = [](sc_host* h, int level, const char* message) {
      static const char* const kLevels[] = {"error", "warning", "info", "debug"};
      of(h).logs.push_back(std::string(kLevels[level >= 0 && level <= 3 ? level : 2]) + ": " +
                           (message ? message : ""));
    };
    api_.setting_get = [](sc_host* h, const char* name, std::uint32_t flags, char** value) {
      Host& t = of(h);
      *value = nullptr;
      if (!name) return t.fail(SC_USAGE, "no setting name");
      if (auto it = t.settings.find(name); it != t.settings.end()) return (*value = copy(it->second)) ? SC_OK : SC_FAIL;
      if (flags & SC_SETTING_PROMPT) {
        if (t.answers.empty())
          return t.fail(SC_USAGE, std::string("setting ") + name + " is not set and no answer is scripted");
        const std::string answer = t.answers.front();
        t.answers.pop_front();
        if (!t.dry()) t.settings[name] = answer;
        t.act(true, std::string("setting ") + name);
        return (*value = copy(answer)) ? SC_OK : SC_FAIL;
      }
      if (auto it = t.defaults.find(name); it != t.defaults.end() && !(flags & SC_SETTING_NO_DEFAULT))
        return (*value = copy(it->second)) ? SC_OK : SC_FAIL;
      return t.fail(SC_FAIL, std::string("setting ") + name + " is not set");
    };
    api_.setting_set = [](sc_host* h, const char* name, const char* value) {
      Host& t = of(h);
      if (!name || !value) return t.fail(SC_USAGE, "no setting name or value");
      const bool changed = t.settings[name] != value;
      if (!t.dry()) t.settings[name] = value;
      t.act(changed, std::string("setting ") + name);
      return SC_OK;
    };
    api_.setting_unset = [](sc_host* h, const char* name) {
      Host& t = of(h);
      if (!name) return t.fail(SC_USAGE, "no setting name");
      const bool changed = t.settings.count(name) > 0;
      if (!t.dry()) t.settings.erase(name);
      t.act(changed, std::string("setting ") + name);
      return SC_OK;
    };
    api_.call = [](sc_host* h, const char*, const char*, int, const char* const*, char** captured) {
      if (captured) *captured = nullptr;
      return of(h).fail(SC_FAIL, "call() is not available in the test host: test it through sc");
    };
    api_.broadcast = [](sc_host* h, const char*, int, const char* const*, int, char** captured) {
      if (captured) *captured = nullptr;
      return of(h).fail(SC_FAIL, "broadcast() is not available in the test host: test it through sc");
    };
    api_.run = [](sc_host* h, sc_run* r) {
      Host& t = of(h);
      if (!r || !r->argv || !r->argv[0]) return t.fail(SC_USAGE, "run: no argv");
      Run rec;
      for (const char* const* a = r->argv; *a; ++a) rec.argv.push_back(*a);
      rec.flags = r->flags;
      if (r->input) rec.input.assign(r->input, r->input_size);
      t.runs.push_back(rec);
      std::string shown;
      for (const auto& a : rec.argv) shown += (shown.empty() ? "" : " ") + a;
      r->out = r->err = nullptr;
      r->out_size = r->err_size = 0;
      if (t.dry() && !(r->flags & SC_RUN_READONLY)) {
        t.actions.push_back("would run: " + shown);
        r->ran = 0;
        r->exit_code = -1;
        return SC_OK;
      }
      std::string out;
      const int code = t.on_run ? t.on_run(rec, &out) : 0;
      if (!(r->flags & SC_RUN_READONLY)) t.actions.push_back("ran: " + shown);
      r->ran = 1;
      r->exit_code = code;
      r->term_signal = 0;
      if (r->flags & SC_RUN_CAPTURE_OUT) {
        r->out = copy(out);
        r->out_size = out.size();
      }
      return code == 0 ? SC_OK : t.fail(SC_FAIL, rec.argv[0] + ": exited with status " + std::to_string(code));
    };
    api_.write_file = [](sc_host* h, const char* path, const char* data, std::size_t size, const sc_file_attr* attr) {
      Host& t = of(h);
      if (!valid(path) || (!data && size)) return t.fail(SC_USAGE, "write_file: invalid path or data");
      if (!t.dirs.count(parent(path)))
        return t.fail(SC_FAIL, std::string("cannot write ") + path + ": directory " + parent(path) +
                                   " does not exist; create it first (make_dir)");
      File f;
      f.data.assign(data ? data : "", size);
      if (attr && SC_HAS_MEMBER(attr, sc_file_attr, mode) && attr->mode) f.mode = attr->mode;
      if (attr && SC_HAS_MEMBER(attr, sc_file_attr, owner) && attr->owner) f.owner = attr->owner;
      if (attr && SC_HAS_MEMBER(attr, sc_file_attr, group) && attr->group) f.group = attr->group;
      auto it = t.files.find(path);
      const bool changed = it == t.files.end() || it->second.data != f.data || it->second.mode != f.mode ||
                           it->second.owner != f.owner || it->second.group != f.group;
      if (!t.dry()) t.files[path] = f;
      t.act(changed, std::string("write ") + path);
      return SC_OK;
    };
    api_.remove = [](sc_host* h, const char* path, std::uint32_t flags) {
      Host& t = of(h);
      if (!valid(path)) return t.fail(SC_USAGE, "remove: invalid path");
      const std::string p = path;
      const bool there = t.exists(p);
      std::vector<std::string> below;
      auto collect = [&](const auto& m) {
        for (const auto& kv : m)
          if (kv.first.rfind(p + "/", 0) == 0) below.push_back(kv.first);
      };
      collect(t.files);
      collect(t.dirs);
      collect(t.links);
      if (!below.empty() && !(flags & SC_REMOVE_RECURSIVE))
        return t.fail(SC_FAIL, "cannot remove " + p + ": the directory is not empty");
      if (!t.dry()) {
        below.push_back(p);
        for (const auto& k : below) {
          t.files.erase(k);
          t.dirs.erase(k);
          t.links.erase(k);
        }
      }
      t.act(there, "remove " + p);
      return SC_OK;
    };
    api_.make_dir = [](sc_host* h, const char* path, const sc_file_attr* attr) {
      Host& t = of(h);
      if (!valid(path)) return t.fail(SC_USAGE, "make_dir: invalid path");
      const std::string p = path;
      if (t.files.count(p) || t.links.count(p)) return t.fail(SC_FAIL, p + " exists and is not a directory");
      const bool changed = !t.dirs.count(p);
      if (!t.dry())
        for (std::string d = p; d != "/" && !t.dirs.count(d); d = parent(d))
          t.dirs[d] = d == p && attr && attr->mode ? attr->mode : 0755;
      t.act(changed, "mkdir " + p);
      return SC_OK;
    };
    api_.symlink = [](sc_host* h, const char* target, const char* path) {
      Host& t = of(h);
      if (!valid(path) || !target) return t.fail(SC_USAGE, "symlink: invalid path or target");
      const bool changed = !t.links.count(path) || t.links[path] != target;
      if (!t.dry()) t.links[path] = target;
      t.act(changed, std::string("symlink ") + path + " -> " + target);
      return SC_OK;
    };
    api_.set_attr = [](sc_host* h, const char* path, const sc_file_attr* attr) {
      Host& t = of(h);
      if (!valid(path) || !attr) return t.fail(SC_USAGE, "set_attr: invalid path or no attributes");
      if (auto it = t.files.find(path); it != t.files.end()) {
        const bool changed = it->second.mode != attr->mode;
        if (!t.dry() && attr->mode) it->second.mode = attr->mode;
        t.act(changed, std::string("attributes ") + path);
        return SC_OK;
      }
      if (auto it = t.dirs.find(path); it != t.dirs.end()) {
        const bool changed = it->second != attr->mode;
        if (!t.dry() && attr->mode) it->second = attr->mode;
        t.act(changed, std::string("attributes ") + path);
        return SC_OK;
      }
      return t.fail(SC_FAIL, std::string(path) + " does not exist");
    };
    api_.read_file = [](sc_host* h, const char* path, char** data, std::size_t* size) {
      Host& t = of(h);
      *data = nullptr;
      if (!valid(path)) return t.fail(SC_USAGE, "read_file: invalid path");
      auto it = t.files.find(path);
      if (it == t.files.end()) return t.fail(SC_FAIL, std::string("cannot read ") + path + ": it does not exist");
      *data = copy(it->second.data);
      if (size) *size = it->second.data.size();
      return SC_OK;
    };
    api_.resolve_path = [](sc_host* h, const char* path, char** real) {
      Host& t = of(h);
      *real = nullptr;
      if (!valid(path)) return t.fail(SC_USAGE, "resolve_path: invalid path");
      *real = copy(path);
      return SC_OK;
    };
    api_.ask = [](sc_host* h, const sc_question* q, char** answer) {
      Host& t = of(h);
      *answer = nullptr;
      if (!q || !q->prompt) return t.fail(SC_USAGE, "ask: no question");
      if (t.answers.empty())
        return t.fail(SC_FAIL, std::string("no answer is scripted for the question \"") + q->prompt + "\"");
      *answer = copy(t.answers.front());
      t.answers.pop_front();
      return SC_OK;
    };
    api_.peer_connect = [](sc_host* h, const char*, std::uint32_t) {
      return of(h).fail(SC_FAIL, "peers are not available in the test host: test them through sc");
    };
    api_.peer_run = [](sc_host* h, const char*, sc_run*) {
      return of(h).fail(SC_FAIL, "peers are not available in the test host: test them through sc");
    };
    api_.peer_sc = [](sc_host* h, const char*, int, const char* const*, std::uint32_t, char** document) {
      *document = nullptr;
      return of(h).fail(SC_FAIL, "peers are not available in the test host: test them through sc");
    };
    api_.peer_fetch = [](sc_host* h, sc_fetch*) {
      return of(h).fail(SC_FAIL, "peers are not available in the test host: test them through sc");
    };
    api_.rename = [](sc_host* h, const char* from, const char* to) {
      Host& t = of(h);
      if (!valid(from) || !valid(to)) return t.fail(SC_USAGE, "rename: invalid path");
      if (!t.exists(from)) return t.fail(SC_FAIL, std::string(from) + " does not exist");
      if (t.exists(to)) return t.fail(SC_FAIL, std::string(to) + " exists");
      if (!t.dry()) {
        const std::string f = from, n = to;
        auto move_all = [&](auto& m) {
          std::vector<std::string> keys;
          for (const auto& kv : m)
            if (kv.first == f || kv.first.rfind(f + "/", 0) == 0) keys.push_back(kv.first);
          for (const auto& k : keys) {
            auto v = m[k];
            m.erase(k);
            m[n + k.substr(f.size())] = v;
          }
        };
        move_all(t.files);
        move_all(t.dirs);
        move_all(t.links);
      }
      t.act(true, std::string("rename ") + from + " -> " + to);
      return SC_OK;
    };
    api_.stat_path = [](sc_host* h, const char* path, std::uint32_t, sc_path_info* info) {
      Host& t = of(h);
      if (!valid(path) || !info) return t.fail(SC_USAGE, "stat_path: invalid path");
      const std::uint32_t size = info->struct_size;
      std::memset(info, 0, size < sizeof *info ? size : sizeof *info);
      info->struct_size = size;
      if (auto f = t.files.find(path); f != t.files.end()) {
        info->type = SC_PATH_FILE;
        info->mode = f->second.mode;
        info->size = f->second.data.size();
      } else if (auto d = t.dirs.find(path); d != t.dirs.end()) {
        info->type = SC_PATH_DIR;
        info->mode = d->second;
      } else if (auto l = t.links.find(path); l != t.links.end()) {
        info->type = SC_PATH_SYMLINK;
        info->mode = 0777;
        info->size = l->second.size();
        if (SC_HAS_MEMBER(info, sc_path_info, link)) info->link = copy(l->second);
      } else {
        info->type = SC_PATH_MISSING;
      }
      return SC_OK;
    };
    api_.list_dir = [](sc_host* h, const char* path, char** names, std::size_t* size) {
      Host& t = of(h);
      *names = nullptr;
      *size = 0;
      if (!valid(path)) return t.fail(SC_USAGE, "list_dir: invalid path");
      const std::string dir = path;
      if (!t.dirs.count(dir)) return t.fail(SC_FAIL, dir + " is not a directory");
      const std::string prefix = dir == "/" ? "/" : dir + "/";
      std::map<std::string, bool> children;
      auto add = [&](const std::string& k) {
        if (k.size() > prefix.size() && k.rfind(prefix, 0) == 0 && k.find('/', prefix.size()) == std::string::npos)
          children[k.substr(prefix.size())] = true;
      };
      for (const auto& kv : t.files) add(kv.first);
      for (const auto& kv : t.dirs) add(kv.first);
      for (const auto& kv : t.links) add(kv.first);
      std::string all;
      for (const auto& kv : children) all += kv.first + std::string(1, '\0');
      if (!all.empty()) {
        *names = static_cast<char*>(std::malloc(all.size()));
        if (!*names) return SC_FAIL;
        std::memcpy(*names, all.data(), all.size());
        *size = all.size();
      }
      return SC_OK;
    };
    api_.open_read = [](sc_host* h, const char*, int* fd) {
      *fd = -1;
      return of(h).fail(SC_FAIL, "open_read() is not available in the test host: test it through sc");
    };
    api_.clone_start = [](sc_host* h, const char*, const char*, sc_clone** clone) {
      *clone = nullptr;
      return of(h).fail(SC_FAIL, "tree clones are not available in the test host: test them through sc");
    };
    api_.clone_finish = [](sc_host* h, sc_clone*, std::uint32_t, const char* const*, sc_clone_stats*) {
      return of(h).fail(SC_FAIL, "tree clones are not available in the test host: test them through sc");
    };
  }

  sc_host_api api_{};
  std::string last_error_;
};

}  // namespace sc::testing

#endif  // SC_TESTING_HPP
