#include "all_hosts.hpp"

#include <algorithm>
#include <cstdio>
#include <set>
#include <stdexcept>

#include "common/peer_name.hpp"

namespace master::all_hosts {

using nlohmann::json;

namespace {

constexpr const char* kStatusUsage =
    "sc master status --all [--hosts A,B] [--html FILE] [--deadline SECONDS] [--concurrency N]";
constexpr const char* kExecUsage =
    "sc master exec --all [--hosts A,B] [--deadline SECONDS] [--concurrency N] COMMAND [ARGS...]";

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// The options that take a value, as `--name VALUE` or `--name=VALUE`.
bool takes_value(std::string_view name) {
  return name == "--hosts" || name == "--html" || name == "--deadline" || name == "--concurrency";
}

/// Splits `--name=value`; `value` set when there was an '='.
std::string option_name(const std::string& word, std::optional<std::string>* value) {
  const size_t eq = word.find('=');
  if (eq == std::string::npos) return word;
  *value = word.substr(eq + 1);
  return word.substr(0, eq);
}

/// The value of the option at args[*i] (moving *i past it), or throws.
std::string option_value(const std::vector<std::string>& args, size_t* i, const std::string& name,
                         const std::optional<std::string>& inline_value, const char* usage) {
  if (inline_value) return *inline_value;
  if (*i + 1 >= args.size()) throw std::invalid_argument(name + " needs a value; usage: " + usage);
  return args[++*i];
}

bool has_control(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

std::string text_of(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/// MAJOR.MINOR.PATCH as numbers, for comparing versions; nullopt when the
/// text is not one.
std::optional<std::vector<long>> version_numbers(const std::string& v) {
  std::vector<long> n;
  size_t i = 0;
  while (i <= v.size()) {
    size_t end = v.find('.', i);
    if (end == std::string::npos) end = v.size();
    const std::string part = v.substr(i, end - i);
    if (part.empty() || part.size() > 9 || part.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    n.push_back(std::stol(part));
    i = end + 1;
  }
  return n;
}

/// The level of a problem as the table ranks it: error, else warning.
bool is_error(const json& p) {
  return text_of(p, "level") == "error";
}

std::string seconds_text(long long ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, ms < 10000 ? "%.2f s" : "%.1f s", static_cast<double>(ms) / 1000.0);
  return buf;
}

}  // namespace

bool wants_all(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--all") return true;
    if (!starts_with(a, "--")) return false;  // COMMAND (exec) or a word (status local)
    std::optional<std::string> inline_value;
    if (takes_value(option_name(a, &inline_value)) && !inline_value) ++i;
  }
  return false;
}

StatusArgs parse_status_args(const std::vector<std::string>& args) {
  StatusArgs r;
  std::set<std::string> seen;
  for (size_t i = 0; i < args.size(); ++i) {
    std::optional<std::string> inline_value;
    const std::string name = option_name(args[i], &inline_value);
    if (name == "--all" && !inline_value) continue;
    if (!takes_value(name)) {
      if (args[i] == "--local" || args[i] == "local")
        throw std::invalid_argument(
            "--all asks every host for its local status (sc status --local there); it takes no \"" + args[i] +
            "\"; usage: " + kStatusUsage);
      throw std::invalid_argument("unknown argument \"" + args[i] + "\"; usage: " + kStatusUsage);
    }
    if (!seen.insert(name).second) throw std::invalid_argument(name + " is given twice; usage: " + kStatusUsage);
    const std::string value = option_value(args, &i, name, inline_value, kStatusUsage);
    if (name == "--hosts") {
      r.hosts = parse_host_list(value);
    } else if (name == "--html") {
      if (value.empty() || has_control(value) || value.back() == '/' || starts_with(value, "-"))
        throw std::invalid_argument("--html \"" + value +
                                    "\" is not a FILE: give the path of the page to write, e.g. "
                                    "--html /var/www/html/cluster.html");
      r.html = value;
    } else if (name == "--deadline") {
      r.deadline_s = parse_deadline(value, "--deadline");
    } else {
      r.concurrency = parse_concurrency(value, "--concurrency");
    }
  }
  return r;
}

ExecArgs parse_exec_args(const std::vector<std::string>& args) {
  ExecArgs r;
  std::set<std::string> seen;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    if (!starts_with(args[i], "--")) break;
    std::optional<std::string> inline_value;
    const std::string name = option_name(args[i], &inline_value);
    if (name == "--all" && !inline_value) continue;
    if (!takes_value(name) || name == "--html")
      throw std::invalid_argument("unknown option \"" + args[i] +
                                  "\" before COMMAND (the options of exec --all are --hosts, --deadline and "
                                  "--concurrency); usage: " +
                                  kExecUsage);
    if (!seen.insert(name).second) throw std::invalid_argument(name + " is given twice; usage: " + kExecUsage);
    const std::string value = option_value(args, &i, name, inline_value, kExecUsage);
    if (name == "--hosts")
      r.hosts = parse_host_list(value);
    else if (name == "--deadline")
      r.deadline_s = parse_deadline(value, "--deadline");
    else
      r.concurrency = parse_concurrency(value, "--concurrency");
  }
  if (i >= args.size()) throw std::invalid_argument("the COMMAND to run is missing; usage: " + std::string(kExecUsage));
  if (args[i].empty())
    throw std::invalid_argument("the COMMAND is empty: give the program to run on every host; usage: " +
                                std::string(kExecUsage));
  r.command.assign(args.begin() + static_cast<long>(i), args.end());
  return r;
}

std::vector<std::string> parse_host_list(const std::string& text) {
  std::vector<std::string> hosts;
  std::set<std::string> seen;
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty())
      throw std::invalid_argument("--hosts \"" + text +
                                  "\" has an empty name: give peer names separated by commas, e.g. --hosts c1,c2");
    if (const std::string why = plugin_common::peer_name::problem(item); !why.empty())
      throw std::invalid_argument("--hosts: \"" + item + "\" is not a peer name (" + why +
                                  "): give host, user@host or host:port names separated by commas");
    if (!seen.insert(item).second) throw std::invalid_argument("--hosts names " + item + " twice");
    hosts.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return hosts;
}

namespace {

int parse_bounded(const std::string& text, const std::string& what, int max, const char* unit) {
  const bool digits = !text.empty() && text.size() <= 6 && text.find_first_not_of("0123456789") == std::string::npos;
  const int n = digits ? std::stoi(text) : 0;
  if (!digits || n < 1 || n > max)
    throw std::invalid_argument(what + " \"" + text + "\" is not a number of " + unit + " from 1 to " +
                                std::to_string(max));
  return n;
}

}  // namespace

int parse_deadline(const std::string& text, const std::string& what) {
  return parse_bounded(text, what, kMaxDeadline, "seconds");
}

int parse_concurrency(const std::string& text, const std::string& what) {
  return parse_bounded(text, what, kMaxConcurrency, "hosts at once");
}

std::vector<Host> hosts_to_ask(const std::string& self, const std::string& self_role,
                               const std::vector<HostEntry>& registry,
                               const std::optional<std::vector<std::string>>& named) {
  std::vector<Host> hosts = {Host{self, self_role, true}};
  auto role_of = [&](const std::string& peer) -> std::string {
    for (const auto& h : registry)
      if (h.peer == peer) return plugin_common::role::role_name(h.role);
    return "";
  };
  if (named) {
    for (const auto& peer : *named)
      if (peer != self) hosts.push_back(Host{peer, role_of(peer), false});
  } else {
    for (const auto& h : registry)
      if (h.peer != self) hosts.push_back(Host{h.peer, plugin_common::role::role_name(h.role), false});
  }
  return hosts;
}

int connect_timeout(int configured, int deadline_s) {
  if (configured < 1) configured = 2;
  return std::max(1, std::min(configured, deadline_s - 1));
}

namespace {

std::vector<std::string> child_head(const Child& child) {
  std::vector<std::string> argv = {child.exe};
  if (!child.root.empty() && child.root != "/") argv.insert(argv.end(), {"--root", child.root});
  if (!child.plugin_dir.empty()) argv.insert(argv.end(), {"--add-plugin-path", child.plugin_dir});
  return argv;
}

}  // namespace

std::vector<std::string> status_argv(const Child& child, const Host& host, const std::string& remote_sc,
                                     int connect_timeout_s) {
  std::vector<std::string> argv = child_head(child);
  if (host.local) {
    argv.insert(argv.end(), {"--json", "status", "--local"});
    return argv;
  }
  // Everything after `--` is sshlink exec's: --json is the remote sc's.
  argv.insert(argv.end(), {"--set", "SSHLINK_CONNECT_TIMEOUT=" + std::to_string(connect_timeout_s), "sshlink", "exec",
                           host.peer, "--", remote_sc, "--json", "status", "--local"});
  return argv;
}

std::vector<std::string> exec_argv(const Child& child, const Host& host, const std::vector<std::string>& command,
                                   int connect_timeout_s) {
  std::vector<std::string> argv = child_head(child);
  argv.insert(argv.end(), {"--set", "SSHLINK_CONNECT_TIMEOUT=" + std::to_string(connect_timeout_s), "sshlink", "exec",
                           host.local ? "localhost" : host.peer, "--"});
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

std::string child_error(const std::string& err) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < err.size()) {
    size_t end = err.find('\n', start);
    if (end == std::string::npos) end = err.size();
    lines.push_back(err.substr(start, end - start));
    start = end + 1;
  }
  const std::string head = "sc: error: ";
  for (size_t i = lines.size(); i-- > 0;) {
    if (!starts_with(lines[i], head)) continue;
    std::string msg = lines[i].substr(head.size());
    for (size_t k = i + 1; k < lines.size() && !lines[k].empty() && (lines[k][0] == ' ' || lines[k][0] == '\t'); ++k) {
      const size_t text = lines[k].find_first_not_of(" \t");
      msg += " " + lines[k].substr(text);
    }
    return msg;
  }
  return "";
}

json host_entry(const Host& host, const Answer& answer, const std::string& own_version, int deadline_s) {
  json e = {{"peer", host.peer}, {"role", host.role.empty() ? json(nullptr) : json(host.role)},
            {"state", "ok"},     {"worst", nullptr},
            {"problems", 0},     {"elapsed_ms", answer.elapsed_ms},
            {"error", ""},       {"status", nullptr}};
  json doc = answer.started && !answer.timed_out ? json::parse(answer.out, nullptr, false) : json();
  json problems = json::array();
  if (doc.is_object() && doc["result"].is_object() && doc["result"]["problems"].is_array()) {
    json status = doc["result"];
    const std::string theirs = text_of(status, "version");
    if (!host.local && theirs != own_version) {
      const auto t = version_numbers(theirs), o = version_numbers(own_version);
      const bool older = t && o && *t < *o;
      json skew = {
          {"level", "warning"},
          {"module", "master"},
          {"what", "sc " + (theirs.empty() ? std::string("of an unknown version") : theirs) + " there, " + own_version +
                       " on the master" + (older ? std::string() : ": this host is ahead, update the master's sc")},
          {"fix", older ? "sc sshlink exec " + host.peer + " sc master update_sc" : ""}};
      // Worst first, as the host ordered them: after its errors.
      json& list = status["problems"];
      auto at = std::find_if(list.begin(), list.end(), [](const json& p) { return !is_error(p); });
      list.insert(at, skew);
      status["ok"] = false;
    }
    for (const auto& p : status["problems"])
      if (p.is_object()) problems.push_back(p);
    e["status"] = status;
  } else if (doc.is_object() && doc.contains("status")) {
    // sc answered, but with no status: an sc without `sc status` (older
    // than the master's), or one that failed.
    const std::string theirs = text_of(doc, "sc");
    const std::string why = text_of(doc, "error");
    problems.push_back(
        {{"level", "error"},
         {"module", "master"},
         {"what", "sc " + (theirs.empty() ? std::string() : theirs + " ") + "there gave no status" +
                      (why.empty() ? std::string() : ": " + why)},
         {"fix", !host.local && theirs != own_version ? "sc sshlink exec " + host.peer + " sc master update_sc"
                                                      : std::string()}});
  } else {
    std::string why;
    if (!answer.started)
      why = answer.start_error;
    else if (answer.timed_out)
      why = "no answer within " + std::to_string(deadline_s) + " s (stopped at the deadline)";
    else
      why = child_error(answer.err);
    if (why.empty())
      why = "no status came back (sc " +
            (answer.term_signal ? "killed by signal " + std::to_string(answer.term_signal)
                                : "exited with status " + std::to_string(answer.exit_code)) +
            (answer.out.empty() ? std::string() : ", and what it printed is not a JSON document") + ")";
    e["state"] = host.role == "roaming" ? "away" : "unreachable";
    e["error"] = why;
    return e;
  }
  e["problems"] = problems.size();
  if (!problems.empty()) {
    auto worst = std::find_if(problems.begin(), problems.end(), is_error);
    const json& w = worst != problems.end() ? *worst : problems.front();
    e["worst"] = {{"level", is_error(w) ? "error" : "warning"},
                  {"module", text_of(w, "module")},
                  {"what", text_of(w, "what")},
                  {"fix", text_of(w, "fix")}};
    e["state"] = "problems";
  }
  return e;
}

int severity(const json& entry) {
  const std::string state = text_of(entry, "state");
  if (state == "unreachable") return 0;
  if (state == "problems") return text_of(entry.value("worst", json()), "level") == "error" ? 1 : 2;
  if (state == "ok") return 3;
  return 4;
}

json cluster_json(const std::string& master, long long time, const std::string& version, int deadline_s,
                  int concurrency, std::vector<json> entries) {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const json& a, const json& b) { return severity(a) < severity(b); });
  bool ok = true;
  for (const auto& e : entries) ok = ok && (e["state"] == "ok" || e["state"] == "away");
  return {{"master", master},           {"time", time}, {"version", version}, {"deadline_s", deadline_s},
          {"concurrency", concurrency}, {"ok", ok},     {"hosts", entries}};
}

std::string printable(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string cluster_text(const json& all, bool colour) {
  struct Row {
    std::string host, role, state, problems, time, detail;
    const char* paint;
  };
  std::vector<Row> rows;
  int counts[5] = {0, 0, 0, 0, 0};
  const json hosts = all.is_object() && all["hosts"].is_array() ? all["hosts"] : json::array();
  for (const auto& h : hosts) {
    const int sev = severity(h);
    ++counts[sev];
    Row r;
    r.host = printable(text_of(h, "peer"));
    r.role = printable(text_of(h, "role"));
    if (r.role.empty()) r.role = "-";
    static const char* const kState[] = {"unreachable", "error", "warning", "ok", "away"};
    static const char* const kPaint[] = {"1;31", "1;31", "33", "32", "36"};
    r.state = kState[sev];
    r.paint = kPaint[sev];
    r.problems = sev == 0 || sev == 4 ? "-" : std::to_string(h.value("problems", 0));
    r.time = seconds_text(h.value("elapsed_ms", 0LL));
    if (sev == 1 || sev == 2) {
      const json w = h.value("worst", json());
      const std::string module = text_of(w, "module"), fix = text_of(w, "fix");
      r.detail = printable((module.empty() ? "" : module + ": ") + text_of(w, "what") +
                           (fix.empty() ? "" : "  (fix: " + fix + ")"));
    } else if (sev == 0) {
      r.detail = printable(text_of(h, "error"));
    } else if (sev == 4) {
      r.detail = "not answering, a roaming host may be away: " + printable(text_of(h, "error"));
    }
    rows.push_back(std::move(r));
  }
  Row head{"HOST", "ROLE", "STATE", "PROBLEMS", "TIME", "WORST PROBLEM, OR WHY NO ANSWER", ""};
  size_t w[5] = {head.host.size(), head.role.size(), head.state.size(), head.problems.size(), head.time.size()};
  for (const auto& r : rows) {
    w[0] = std::max(w[0], r.host.size());
    w[1] = std::max(w[1], r.role.size());
    w[2] = std::max(w[2], r.state.size());
    w[3] = std::max(w[3], r.problems.size());
    w[4] = std::max(w[4], r.time.size());
  }
  auto pad = [](const std::string& s, size_t width) { return s + std::string(width - s.size() + 2, ' '); };
  auto line = [&](const Row& r, bool painted) {
    std::string state = pad(r.state, w[2]);
    if (painted && colour)
      state = std::string("\033[") + r.paint + "m" + r.state + "\033[0m" + state.substr(r.state.size());
    std::string l =
        pad(r.host, w[0]) + pad(r.role, w[1]) + state + pad(r.problems, w[3]) + pad(r.time, w[4]) + r.detail;
    while (!l.empty() && l.back() == ' ') l.pop_back();
    return l + "\n";
  };
  std::string out = line(head, false);
  for (const auto& r : rows) out += line(r, true);
  std::string summary;
  static const char* const kCount[] = {"unreachable", "with errors", "with warnings", "ok", "away"};
  for (int s = 0; s < 5; ++s)
    if (counts[s]) summary += (summary.empty() ? "" : ", ") + std::to_string(counts[s]) + " " + kCount[s];
  out += std::to_string(rows.size()) + (rows.size() == 1 ? " host" : " hosts") +
         (summary.empty() ? std::string() : ": " + summary) + " (deadline " +
         std::to_string(all.is_object() ? all.value("deadline_s", 0) : 0) + " s per host)\n";
  return out;
}

// ---- exec --all ---------------------------------------------------------------

std::string command_text(const std::vector<std::string>& command) {
  std::string text;
  for (const auto& w : command) {
    const bool plain = !w.empty() && w.find_first_not_of(
                                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789_@%+=:,./-") == std::string::npos;
    std::string q = plain ? w : "'";
    if (!plain) {
      for (char c : w) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
      q += "'";
    }
    text += (text.empty() ? "" : " ") + q;
  }
  return printable(text);
}

namespace {

bool is_action_line(std::string_view line) {
  return starts_with(line, "ran: ") || starts_with(line, "FAILED: ") || starts_with(line, "would run: ") ||
         starts_with(line, "not run: ");
}

bool is_summary_line(std::string_view line) {
  return starts_with(line, "sc sshlink exec: ") || starts_with(line, "sc sshlink exec (dry run): ");
}

bool may_be_report(std::string_view line) {
  return is_action_line(line) || is_summary_line(line) || starts_with(line, "sc: ");
}

}  // namespace

std::vector<std::string> ChildStderr::add(std::string line) {
  const bool continuation = !held_.empty() && !line.empty() && (line[0] == ' ' || line[0] == '\t');
  if (may_be_report(line) || continuation) {
    held_.push_back(std::move(line));
    return {};
  }
  std::vector<std::string> show;
  show.swap(held_);
  show.push_back(std::move(line));
  return show;
}

std::vector<std::string> ChildStderr::finish(std::vector<std::string>* report) {
  report->clear();
  size_t at = held_.size();
  for (size_t i = held_.size(); i-- > 0;)
    if (is_action_line(held_[i]) && i + 1 < held_.size() && is_summary_line(held_[i + 1])) {
      at = i;
      break;
    }
  std::vector<std::string> show(held_.begin(), held_.begin() + static_cast<long>(at));
  report->assign(held_.begin() + static_cast<long>(at), held_.end());
  held_.clear();
  return show;
}

ExecOutcome exec_outcome(const Host& host, const Answer& answer, const std::vector<std::string>& report,
                         std::optional<int> deadline_s) {
  if (!answer.started) return {"failed", std::nullopt, answer.start_error};
  if (answer.timed_out)
    return {"failed", std::nullopt,
            "stopped at the deadline of " + std::to_string(deadline_s.value_or(0)) + " s (killed)"};
  if (answer.exit_code == 0 && answer.term_signal == 0) return {"ok", 0, ""};
  std::string joined;
  for (const auto& l : report) joined += l + "\n";
  std::string error = child_error(joined);
  if (error.empty()) error = child_error(answer.err);
  const std::string action = report.empty() || !is_action_line(report.front()) ? "" : report.front();
  const std::string exited = "(exited with status ";
  if (const size_t at = action.rfind(exited); at != std::string::npos && ends_with(action, ")")) {
    const std::string n = action.substr(at + exited.size(), action.size() - 1 - at - exited.size());
    if (!n.empty() && n.size() < 6 && n.find_first_not_of("0123456789") == std::string::npos)
      return {"failed", std::stoi(n), "exited with status " + n};
  }
  if (ends_with(action, "(ended without an exit status (killed?))"))
    return {"failed", std::nullopt, "ended without an exit status (killed?)"};
  if (!action.empty())  // the command did not run: the host did not answer
    return {host.role == "roaming" ? "away" : "unreachable", std::nullopt, error.empty() ? action : error};
  return {"failed", std::nullopt, error.empty() ? "sc exited with status " + std::to_string(answer.exit_code) : error};
}

std::string exec_failures(const std::vector<Host>& hosts, const std::vector<ExecOutcome>& outcomes) {
  std::string list;
  size_t failed = 0;
  for (size_t i = 0; i < hosts.size() && i < outcomes.size(); ++i) {
    const auto& o = outcomes[i];
    if (o.state == "ok" || o.state == "away") continue;
    ++failed;
    list += (list.empty() ? "" : ", ") + hosts[i].peer + " (" +
            (o.state == "unreachable" ? "unreachable: " + o.reason : o.reason) + ")";
  }
  if (!failed) return "";
  return "failed on " + std::to_string(failed) + " of " + std::to_string(hosts.size()) +
         (hosts.size() == 1 ? " host: " : " hosts: ") + printable(list);
}

std::string exec_away(const std::vector<Host>& hosts, const std::vector<ExecOutcome>& outcomes) {
  std::string list;
  for (size_t i = 0; i < hosts.size() && i < outcomes.size(); ++i)
    if (outcomes[i].state == "away")
      list += (list.empty() ? "" : ", ") + hosts[i].peer + " (" + outcomes[i].reason + ")";
  return list.empty() ? "" : "not run on roaming hosts that do not answer (away): " + printable(list);
}

}  // namespace master::all_hosts
