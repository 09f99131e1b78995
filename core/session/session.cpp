#include "session/session.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "engine/rooted_path.hpp"
#include "modules/dependency_graph.hpp"
#include "peers/peers.hpp"
#include "session/crash_guard.hpp"
#include "session/host_services.hpp"

namespace sc {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {
constexpr int kMaxDepth = 32;
}

namespace {

// --add-plugin-path DIRs, then --plugin-path DIRs or the default path.
std::vector<std::filesystem::path> search_path(const GlobalOptions& o) {
  std::vector<std::filesystem::path> dirs = o.plugin_dirs_first;
  const auto rest = o.plugin_dirs.empty() ? default_plugin_dirs() : o.plugin_dirs;
  dirs.insert(dirs.end(), rest.begin(), rest.end());
  return dirs;
}

}  // namespace

Session::Session(GlobalOptions opts, std::span<const CoreCommand> core_commands)
    : opts_(std::move(opts)),
      core_commands_(core_commands),
      output_(opts_.json, opts_.verbose),
      executor_(ExecOptions{opts_.root, opts_.dry_run, opts_.diff}),
      catalog_(search_path(opts_), opts_.plugin_dirs.empty() ? ""
                                                             : "the search path given with --plugin-path, which "
                                                               "replaces the default one (use --add-plugin-path "
                                                               "DIR to look in DIR first, then in the default one)"),
      prompter_(opts_.yes),
      settings_(SettingsOptions{opts_.root, opts_.dry_run, opts_.yes, opts_.overrides}, catalog_, executor_, prompter_,
                output_) {
  executor_.set_listener([this](const Action& a) { output_.action(a); });
}

Peers& Session::peers() {
  if (!peers_) {
    // The SSH identity is that of the user running sc ($HOME/.ssh), on
    // this machine: --root confines the target tree, not who connects.
    if (is_host_root(opts_.root)) {
      peers_ = std::make_unique<Peers>(PeersOptions{opts_.dry_run, opts_.yes}, executor_, executor_, output_, prompter_,
                                       settings_);
    } else {
      home_executor_ = std::make_unique<Executor>(ExecOptions{"/", opts_.dry_run, opts_.diff});
      home_executor_->set_listener([this](const Action& a) { output_.action(a); });
      peers_ = std::make_unique<Peers>(PeersOptions{opts_.dry_run, opts_.yes}, executor_, *home_executor_, output_,
                                       prompter_, settings_);
    }
  }
  return *peers_;
}

Session::~Session() {
  // Unload in reverse load order: a module goes before what it requires.
  for (auto it = load_order_.rbegin(); it != load_order_.rend(); ++it) loaded_.erase((*it)->name());
}

const CoreCommand* Session::core_command(const std::string& name) const {
  for (const auto& c : core_commands_)
    if (name == c.name) return &c;
  return nullptr;
}

std::shared_ptr<const Manifest> Session::manifest(const std::string& name, std::string* err) {
  return catalog_.find(name, err);
}

bool Session::dependencies(const std::string& name, std::vector<std::shared_ptr<const Manifest>>* order,
                           std::string* err) {
  return resolve_dependencies(
      name, [this](const std::string& n, std::string* e) { return catalog_.find(n, e); }, order, err);
}

namespace {

// What a C++ exception thrown through the C ABI (which forbids it) was, for
// the message naming the module. Called inside a catch block.
std::string escaped_exception() {
  try {
    throw;
  } catch (const std::exception& e) {
    return std::string("a C++ exception escaped the module (") + e.what() + "), which the plugin ABI forbids";
  } catch (...) {
    return "a C++ exception escaped the module, which the plugin ABI forbids";
  }
}

}  // namespace

bool Session::init_plugin(LoadedPlugin* plugin, std::string* err) {
  auto init = plugin->init_fn();
  if (!init) return true;
  Frame frame;
  frame.module = plugin->name();
  frame.command = "init";
  frame.capture = true;
  sc_host host{
      this, &frame, plugin->manifest().file.empty() ? nullptr : catalog_.find(plugin->name(), nullptr), {}, {}};
  char buf[1024] = {};
  CrashScope scope(plugin->name().c_str(), "initialising");
  int rc;
  try {
    rc = init(host_api(), &host, buf, sizeof buf);
  } catch (...) {
    *err = "module " + plugin->name() + ": " + plugin->manifest().library.string() +
           ": initialisation failed: " + escaped_exception() + "; report it to the module's author";
    return false;
  }
  if (rc != 0) {
    // The plugin may have filled the whole buffer: never read past it.
    buf[sizeof buf - 1] = '\0';
    *err = "module " + plugin->name() + ": " + plugin->manifest().library.string() +
           ": initialisation failed: " + (buf[0] ? std::string(buf) : "no reason given") +
           "; see the module's documentation";
    return false;
  }
  return true;
}

LoadedPlugin* Session::load(const std::string& name, std::string* err) {
  if (auto it = loaded_.find(name); it != loaded_.end()) return it->second.get();
  std::vector<std::shared_ptr<const Manifest>> order;
  if (!dependencies(name, &order, err)) return nullptr;
  LoadedPlugin* target = nullptr;
  for (const auto& m : order) {
    if (auto it = loaded_.find(m->name); it != loaded_.end()) {
      target = it->second.get();
      continue;
    }
    // A module installed twice runs the first copy found: say so once
    // per run, when it is used.
    if (std::string w = catalog_.shadow_warning(m->name); !w.empty() && shadow_warned_.insert(m->name).second)
      output_.log(SC_LOG_WARN, "", w);
    std::unique_ptr<LoadedPlugin> p;
    {
      CrashScope scope(m->name.c_str(), "loading");
      if (!load_plugin(m, &p, err)) {
        if (m->name != name) *err = "module " + name + " requires " + m->name + ", which cannot be used: " + *err;
        return nullptr;
      }
    }
    LoadedPlugin* raw = p.get();
    loaded_.emplace(m->name, std::move(p));
    load_order_.push_back(raw);
    if (!init_plugin(raw, err)) {
      load_order_.pop_back();
      loaded_.erase(m->name);
      return nullptr;
    }
    target = raw;
  }
  return target;
}

int Session::invoke(LoadedPlugin* plugin, Frame* frame, const std::vector<std::string>& args) {
  sc_command_fn fn = plugin->command(frame->command);
  if (!fn) {
    frame->error =
        "module " + frame->module + " has no command \"" + frame->command + "\"; see `sc " + frame->module + " help`";
    return frame->status = kExitUsage;
  }
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  char error[2048] = {};
  sc_host host{this, frame, catalog_.find(frame->module, nullptr), {}, {}};
  sc_call call{};
  call.struct_size = sizeof call;
  call.api = host_api();
  call.host = &host;
  call.module = frame->module.c_str();
  call.command = frame->command.c_str();
  call.argc = static_cast<int32_t>(args.size());
  call.argv = argv.data();
  call.error = error;
  call.error_size = sizeof error;
  int rc;
  {
    ++depth_;
    settings_.begin_command();
    CrashScope scope(frame->module.c_str(), frame->command.c_str());
    try {
      rc = fn(&call);
    } catch (...) {
      --depth_;
      std::string ignored;
      settings_.end_command(false, &ignored);
      frame->error = "module " + frame->module + ": " + frame->command + ": " + escaped_exception() +
                     "; report it to the module's author";
      return frame->status = kExitFailure;
    }
    --depth_;
  }
  // Answers to its questions are stored only when the command succeeded.
  if (std::string err; !settings_.end_command(rc == SC_OK, &err)) {
    frame->error = err;
    return frame->status = kExitFailure;
  }
  if (rc != SC_OK && rc != SC_FAIL && rc != SC_USAGE) {
    output_.log(
        SC_LOG_WARN, frame->module,
        frame->command + " returned " + std::to_string(rc) + ", which is not a valid status; treated as failure");
    rc = SC_FAIL;
  }
  error[sizeof error - 1] = '\0';
  if (rc != SC_OK) frame->error = executor_.redact(error);
  return frame->status = rc;
}

int Session::run(Frame* frame, const std::vector<std::string>& args) {
  if (depth_ >= kMaxDepth) {
    frame->error = "module calls nested more than " + std::to_string(kMaxDepth) + " deep (" + frame->module + " " +
                   frame->command + "): a module calls itself in a loop";
    return frame->status = kExitFailure;
  }
  std::string err;
  LoadedPlugin* plugin = load(frame->module, &err);
  if (!plugin) {
    frame->error = err;
    return frame->status = kExitUnavailable;
  }
  return invoke(plugin, frame, args);
}

int Session::run_top(Frame* frame, const std::vector<std::string>& args) {
  std::string err;
  auto m = manifest(frame->module, &err);
  if (!m) {
    frame->error = err;
    return frame->status = kExitUnavailable;
  }
  if (!m->runs(frame->command)) {
    if (frame->command == "ready") {
      output_.log(SC_LOG_DEBUG, frame->module, "no readiness check: considered ready");
      return frame->status = kExitOk;
    }
    std::string names;
    for (const auto& c : m->commands) names += (names.empty() ? "" : ", ") + c.name;
    frame->error = "module " + m->name + " has no command \"" + frame->command + "\"" +
                   (names.empty() ? "" : " (its commands: " + names + ")") + "; see `sc " + m->name + " help`";
    return frame->status = kExitUsage;
  }
  const CommandSpec* spec = m->command(frame->command);
  if (spec && spec->changes_host && ::geteuid() != 0 && opts_.root == "/" && !opts_.dry_run) {
    frame->error =
        "`sc " + m->name + " " + spec->name +
        "` changes the host and needs root: run it as root (or try it with --dry-run, or on a tree with --root DIR)";
    return frame->status = kExitFailure;
  }
  if (frame->command == "setup") {
    // A setup whose manifest shows no arguments takes none: refused before
    // the required modules are set up, so that bad input changes nothing.
    if (spec && spec->usage.empty() && !args.empty()) {
      frame->error = "too many arguments; usage: sc " + m->name + " setup";
      return frame->status = kExitUsage;
    }
    // As the original does: set up every required module that is not ready.
    std::vector<std::shared_ptr<const Manifest>> order;
    if (!dependencies(m->name, &order, &err)) {
      frame->error = err;
      return frame->status = kExitUnavailable;
    }
    for (const auto& dep : order) {
      if (dep->name == m->name || !dep->command("setup") || !dep->command("ready")) continue;
      Frame ready;
      ready.module = dep->name;
      ready.command = "ready";
      ready.capture = true;
      // Ready as the host is, not as this run's --set values would make it:
      // otherwise `--set FQDN=...` would skip the setup that stores FQDN.
      settings_.ignore_overrides(true);
      int rc = run(&ready, {});
      settings_.ignore_overrides(false);
      if (rc == kExitOk) continue;
      if (rc == kExitUnavailable) {
        frame->error = ready.error;
        return frame->status = rc;
      }
      output_.log(SC_LOG_INFO, m->name, "setting up required module " + dep->name);
      Frame setup;
      setup.module = dep->name;
      setup.command = "setup";
      setup.capture = frame->capture;
      rc = run(&setup, {});
      frame->output += setup.output;
      if (rc != kExitOk) {
        frame->error = "required module " + dep->name + " could not be set up: " + setup.error;
        return frame->status = rc;
      }
    }
  }
  return run(frame, args);
}

int Session::broadcast(const std::string& hook, const std::vector<std::string>& args, bool ready_only, json* captured) {
  if (captured) *captured = json::array();
  std::vector<std::shared_ptr<const Manifest>> declarers;
  for (const auto& e : catalog_.all())
    if (e.manifest && e.manifest->has_hook(hook)) declarers.push_back(e.manifest);
  std::vector<std::string> errors;
  auto ordered = order_modules(
      declarers, [this](const std::string& n, std::string* e) { return catalog_.find(n, e); }, &errors);
  int status = kExitOk;
  for (const auto& e : errors) {
    output_.log(SC_LOG_ERROR, "", "hook " + hook + ": " + e);
    status = kExitFailure;
  }
  for (const auto& m : ordered) {
    if (ready_only && m->command("ready")) {
      Frame ready;
      ready.module = m->name;
      ready.command = "ready";
      ready.capture = true;
      if (run(&ready, {}) != kExitOk) continue;
    }
    Frame f;
    f.module = m->name;
    f.command = hook;
    f.capture = captured != nullptr;
    int rc = run(&f, args);
    if (rc != kExitOk) {
      status = kExitFailure;
      output_.log(SC_LOG_ERROR, m->name,
                  "hook " + hook + " failed: " + (f.error.empty() ? "no reason given" : f.error));
    }
    if (captured) {
      json j = f.to_json();
      j["module"] = m->name;
      captured->push_back(std::move(j));
    }
  }
  return status;
}

}  // namespace sc
