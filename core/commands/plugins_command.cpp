// `sc plugins`: every plugin found and its state. Loading a plugin runs
// its code, so each one is probed in a child process: a plugin that
// crashes or hangs while loading is reported, not fatal.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "base/fd.hpp"
#include "commands/commands.hpp"

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
    long left =
        kProbeTimeoutMs -
        static_cast<long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count());
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
    return {
        {"state", "refused"},
        {"reason", "did not finish loading or its readiness check within " + std::to_string(kProbeTimeoutMs / 1000) +
                       " s; the module is faulty: report it to its maintainer"}};
  if (WIFSIGNALED(status))
    return {{"state", "refused"},
            {"reason", "crashed with signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) +
                           ") while loading or checking readiness; the module is faulty: report it to its "
                           "maintainer, or reinstall it (package " +
                           kModulePackagePrefix + name + ")"}};
  json r = json::parse(data, nullptr, false);
  if (r.is_discarded() || !r.is_object())
    return {{"state", "refused"}, {"reason", "the probe of this module ended without an answer"}};
  return r;
}

}  // namespace

int core_plugins(Session& s, Frame& frame, const std::vector<std::string>& args) {
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
    t += e.name + std::string(e.name.size() < 14 ? 14 - e.name.size() : 1, ' ') + j.value("version", std::string("-")) +
         "  " + state;
    if (j.contains("reason")) t += ": " + j["reason"].get<std::string>();
    t += "\n";
    // A copy in a later directory of the search path is never used.
    j["shadowed"] = json::array();
    for (const auto& hidden : e.shadowed) {
      j["shadowed"].push_back(hidden.string());
      t += std::string(16, ' ') + "shadowed, never used: " + hidden.string() + " (remove one of the two)\n";
    }
    list.push_back(std::move(j));
  }
  if (list.empty()) {
    std::string dirs;
    for (const auto& d : s.catalog().dirs()) dirs += (dirs.empty() ? "" : ", ") + d.string();
    t = "no plugins found in " + dirs + "\n";
  }
  frame_print(s, frame, t);
  frame.result = list;
  // Like a status check: 1 when a module cannot be used.
  const bool refused = std::any_of(list.begin(), list.end(), [](const json& j) { return j["state"] == "refused"; });
  if (refused) frame.error = "some modules are refused: see their reasons above";
  return refused ? kExitFailure : kExitOk;
}

}  // namespace sc
