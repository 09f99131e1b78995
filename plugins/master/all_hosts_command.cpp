#include "all_hosts_command.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "all_hosts.hpp"
#include "common/fan_out.hpp"
#include "report_html.hpp"

namespace master::all_hosts {

namespace {

using nlohmann::json;
namespace fan_out = plugin_common::fan_out;

/// A setting of this module as a bounded number, its default when unset;
/// a value out of bounds is refused with the command that fixes it.
int numeric_setting(const sc::Context& ctx, const char* name, int fallback,
                    int (*parse)(const std::string&, const std::string&)) {
  const auto value = ctx.setting(name);
  if (!value || value->empty()) return fallback;
  try {
    return parse(*value, name);
  } catch (const std::invalid_argument& e) {
    throw sc::Usage(std::string(e.what()) + ": set it with `sc settings set " + name + " " + std::to_string(fallback) +
                    "`");
  }
}

/// SSHLINK_CONNECT_TIMEOUT as configured here (2 when unset or unreadable).
int configured_connect_timeout(const sc::Context& ctx) {
  const std::string v = ctx.setting("SSHLINK_CONNECT_TIMEOUT").value_or("");
  if (v.empty() || v.size() > 3 || v.find_first_not_of("0123456789") != std::string::npos) return 2;
  return std::stoi(v);
}

/// This host's name before its own status says it: /etc/hostname (as the
/// target has it), else "localhost".
std::string this_host(const sc::Context& ctx) {
  std::string name = ctx.read_file("/etc/hostname").value_or("");
  name = name.substr(0, name.find('\n'));
  return name.empty() ? "localhost" : name;
}

/// The hosts to ask: this host and the registry, or the hosts named.
std::vector<Host> hosts_of(const sc::Context& ctx, const Cluster& cluster,
                           const std::optional<std::vector<std::string>>& named, const std::string& command) {
  if (!named && !cluster.on_master)
    throw sc::Usage("this host is a " + cluster.self_role +
                    " host: the list of hosts is kept on its master; run `sc master " + command +
                    " --all ...` there, or name the hosts here with --hosts A,B");
  std::vector<HostEntry> registry;
  if (named) {
    try {
      registry = cluster.registry();  // for the roles of the hosts named
    } catch (const std::exception&) {
      registry.clear();
    }
  } else {
    registry = cluster.registry();
  }
  return hosts_to_ask(this_host(ctx), cluster.self_role, registry, named);
}

Answer answer_of(const fan_out::Result& r) {
  Answer a;
  a.started = r.started;
  a.start_error = r.error;
  a.exit_code = r.exit_code;
  a.term_signal = r.term_signal;
  a.timed_out = r.timed_out;
  a.out = r.out;
  a.err = r.err;
  a.elapsed_ms = r.elapsed.count();
  return a;
}

/// Colour in the table: on a terminal, unless NO_COLOR is set (as `sc
/// status` does); never in --json.
bool colour_wanted(const sc::Context& ctx) {
  const char* no_colour = std::getenv("NO_COLOR");
  return !ctx.json() && ::isatty(STDOUT_FILENO) && !(no_colour && *no_colour);
}

/// --html FILE as an absolute path of the target (relative to the current
/// directory), checked before any host is asked.
std::string html_path(const sc::Context& ctx, const std::string& file) {
  namespace fs = std::filesystem;
  fs::path p(file);
  if (p.is_relative()) p = fs::current_path() / p;
  p = p.lexically_normal();
  const std::string path = p.string();
  const std::string dir = p.parent_path().string();
  if (!ctx.stat(dir, true).is_dir())
    throw sc::Usage("--html " + file + ": the directory " + dir + " does not exist; give a FILE in an existing one");
  if (ctx.stat(path, true).is_dir())
    throw sc::Usage("--html " + file + " is a directory: give the path of the page, e.g. " + path + "/cluster.html");
  return path;
}

/// The directory this module's library was loaded from, "" when unknown.
/// The core opens a library through the descriptor it checked
/// (/proc/self/fd/N), so the path is the file mapped at this function's
/// address in /proc/self/maps.
std::string module_dir() {
  const auto here = reinterpret_cast<std::uintptr_t>(&status_all);
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    // "START-END PERMS OFFSET DEV INODE PATH"
    unsigned long long start = 0, end = 0;
    if (std::sscanf(line.c_str(), "%llx-%llx", &start, &end) != 2 || here < start || here >= end) continue;
    const size_t slash = line.find('/');
    if (slash == std::string::npos) return "";
    std::string path = line.substr(slash);
    const std::string deleted = " (deleted)";
    if (path.size() > deleted.size() && path.compare(path.size() - deleted.size(), deleted.size(), deleted) == 0)
      return "";
    return std::filesystem::path(path).parent_path().string();
  }
  return "";
}

/// What every child is given: sc itself, this run's root, and the directory
/// this module was loaded from (so that a run with --plugin-path has
/// children that find the same modules).
Child child_of(const sc::Context& ctx) {
  Child c;
  c.exe = fan_out::self_exe();
  c.root = ctx.rooted() ? ctx.root() : "";
  c.plugin_dir = module_dir();
  return c;
}

long long now_epoch() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

int status_all(sc::Context& ctx, const Cluster& cluster) {
  StatusArgs args;
  try {
    args = parse_status_args(ctx.args());
  } catch (const std::invalid_argument& e) {
    throw sc::Usage(e.what());
  }
  const int deadline =
      args.deadline_s.value_or(numeric_setting(ctx, kDeadlineSetting, kDefaultDeadline, &parse_deadline));
  const int concurrency =
      args.concurrency.value_or(numeric_setting(ctx, kConcurrencySetting, kDefaultConcurrency, &parse_concurrency));
  const std::string html = args.html.empty() ? "" : html_path(ctx, args.html);
  const std::vector<Host> hosts = hosts_of(ctx, cluster, args.hosts, "status");

  const Child child = child_of(ctx);
  const std::string remote_sc = ctx.setting("SSHLINK_REMOTE_SC").value_or("sc");
  const int connect = connect_timeout(configured_connect_timeout(ctx), deadline);
  std::vector<fan_out::Job> jobs;
  for (const auto& h : hosts)
    jobs.push_back(
        {status_argv(child, h, remote_sc.empty() ? "sc" : remote_sc, connect), std::chrono::seconds(deadline)});
  fan_out::Options o;
  o.concurrency = static_cast<size_t>(concurrency);
  // Status documents are small; a host that prints megabytes is not one.
  o.max_capture = size_t{16} << 20;
  const std::vector<fan_out::Result> results = fan_out::run(jobs, o);

  std::vector<json> entries;
  std::string master_name = hosts.front().peer;
  for (size_t i = 0; i < hosts.size(); ++i) {
    json e = host_entry(hosts[i], answer_of(results[i]), ctx.sc_version(), deadline);
    // This host under the name its own status gives (FQDN, else its host name).
    if (hosts[i].local && e["status"].is_object() && e["status"]["host"].is_string() &&
        !e["status"]["host"].get<std::string>().empty()) {
      master_name = e["status"]["host"].get<std::string>();
      e["peer"] = master_name;
    }
    entries.push_back(std::move(e));
  }
  const json all = cluster_json(master_name, now_epoch(), ctx.sc_version(), deadline, concurrency, entries);
  ctx.print(cluster_text(all, colour_wanted(ctx)));
  ctx.result(all.dump(-1, ' ', false, json::error_handler_t::replace));
  // The one change this command makes, through the engine (planned only
  // under --dry-run).
  if (!html.empty()) ctx.write_file(html, render_report_html(all));
  return all["ok"].get<bool>() ? SC_OK : SC_FAIL;
}

int exec_all(sc::Context& ctx, const Cluster& cluster) {
  ExecArgs args;
  try {
    args = parse_exec_args(ctx.args());
  } catch (const std::invalid_argument& e) {
    throw sc::Usage(e.what());
  }
  const int concurrency =
      args.concurrency.value_or(numeric_setting(ctx, kConcurrencySetting, kDefaultConcurrency, &parse_concurrency));
  const std::vector<Host> hosts = hosts_of(ctx, cluster, args.hosts, "exec");
  const std::string shown = command_text(args.command);

  if (ctx.dry_run()) {
    // Planned only: each run an action the engine lists ("would run"),
    // nothing started, no host contacted.
    std::string where;
    for (const auto& h : hosts) where += (where.empty() ? "" : ", ") + h.peer + (h.local ? " (here)" : "");
    ctx.print("would run `" + shown + "` on " + std::to_string(hosts.size()) +
              (hosts.size() == 1 ? " host: " : " hosts: ") + where + "\n");
    for (const auto& h : hosts) {
      if (h.local)
        ctx.run(args.command);
      else
        ctx.peer_run(h.peer, args.command);
    }
    ctx.result(json{
        {"command", args.command},
        {"dry_run", true},
        {"hosts", [&] {
           json list = json::array();
           for (const auto& h : hosts) list.push_back(h.peer);
           return list;
         }()}}.dump());
    return SC_OK;
  }

  const Child child = child_of(ctx);
  const int connect = connect_timeout(configured_connect_timeout(ctx), args.deadline_s.value_or(kMaxDeadline));
  std::vector<fan_out::Job> jobs;
  for (const auto& h : hosts)
    jobs.push_back({exec_argv(child, h, args.command, connect), std::chrono::seconds(args.deadline_s.value_or(0))});

  const bool live = !ctx.json();
  std::vector<ChildStderr> stderrs(hosts.size());
  std::vector<std::vector<std::string>> reports(hosts.size());
  std::vector<std::string> err_kept(hosts.size());
  // The command's stderr lines, prefixed, on our stderr: relayed as the
  // engine relays a peer's (rule 4: stdout holds the data only).
  auto show_err = [&](size_t i, const std::vector<std::string>& lines) {
    for (const auto& l : lines) {
      err_kept[i] += l + "\n";
      if (!live) continue;
      const std::string text = hosts[i].peer + ": " + l + "\n";
      size_t done = 0;
      while (done < text.size()) {
        const ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
        if (n <= 0) break;
        done += static_cast<size_t>(n);
      }
    }
  };
  fan_out::Options o;
  o.concurrency = static_cast<size_t>(concurrency);
  o.on_line = [&](size_t i, fan_out::Stream s, std::string_view line) {
    if (s == fan_out::Stream::out) {
      if (live) ctx.print(hosts[i].peer + ": " + std::string(line) + "\n");
      return;
    }
    show_err(i, stderrs[i].add(std::string(line)));
  };
  o.on_done = [&](size_t i, const fan_out::Result&) { show_err(i, stderrs[i].finish(&reports[i])); };
  const std::vector<fan_out::Result> results = fan_out::run(jobs, o);

  std::vector<ExecOutcome> outcomes;
  json list = json::array();
  bool ok = true;
  for (size_t i = 0; i < hosts.size(); ++i) {
    const ExecOutcome oc = exec_outcome(hosts[i], answer_of(results[i]), reports[i], args.deadline_s);
    ok = ok && (oc.state == "ok" || oc.state == "away");
    list.push_back({{"peer", hosts[i].peer},
                    {"role", hosts[i].role.empty() ? json(nullptr) : json(hosts[i].role)},
                    {"state", oc.state},
                    {"exit_code", oc.exit_code ? json(*oc.exit_code) : json(nullptr)},
                    {"error", oc.reason},
                    {"elapsed_ms", results[i].elapsed.count()},
                    {"out", results[i].out},
                    {"err", err_kept[i]}});
    outcomes.push_back(oc);
  }
  ctx.result(json{{"command", args.command}, {"ok", ok}, {"hosts", list}}.dump(-1, ' ', false,
                                                                               json::error_handler_t::replace));
  if (const std::string away = exec_away(hosts, outcomes); !away.empty()) ctx.warn(away);
  if (const std::string failed = exec_failures(hosts, outcomes); !failed.empty())
    throw sc::Failure("`" + shown + "` " + failed);
  ctx.info("`" + shown + "` ran on " + std::to_string(hosts.size()) + (hosts.size() == 1 ? " host" : " hosts") +
           ", status 0 on each" + (exec_away(hosts, outcomes).empty() ? "" : " that answered"));
  return SC_OK;
}

}  // namespace master::all_hosts
