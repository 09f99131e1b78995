#include "peers/peers.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "base/fd.hpp"
#include "base/text.hpp"
#include "peers/rsync_transport.hpp"
#include "peers/ssh_library.hpp"
#include "sc/plugin.h"

namespace sc {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* kLogSource = "ssh";

bool valid_env_item(const std::string& item) {
  auto eq = item.find('=');
  if (eq == std::string::npos || eq == 0) return false;
  for (size_t i = 0; i < eq; ++i) {
    char c = item[i];
    bool ok = c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::string passwd_home() {
  if (const passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_dir) return pw->pw_dir;
  return "/root";
}

}  // namespace

// ---- questions the SSH layer asks ------------------------------------------

class Peers::Hooks final : public ssh::Hooks {
 public:
  explicit Hooks(Peers& peers) : peers_(peers) {}

  bool accept_host_key(const std::string& peer, const std::string& what, const std::string& file,
                       std::string* err) override {
    if (peers_.opts_.dry_run) {
      peers_.record("write", file, ActionState::planned, "would add the " + what + " of peer " + peer);
      return true;
    }
    if (peers_.opts_.yes) {
      peers_.output_.log(SC_LOG_INFO, kLogSource, "trusting the " + what + " of new peer " + peer + " (--yes)");
      return true;
    }
    if (!peers_.prompter_.interactive()) {
      *err =
          "there is no terminal to confirm it on; compare it with the key on the peer (ssh-keygen -lf "
          "/etc/ssh/ssh_host_ed25519_key.pub) and run again with --yes";
      return false;
    }
    Question q;
    q.kind = Question::Kind::yes_no;
    q.default_value = "no";
    q.prompt = "Peer " + peer + " is not a known host. It offers this " + what +
               "\n(compare with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` run on the peer).\nTrust it and add "
               "it to " +
               file + "?";
    std::string answer;
    if (!peers_.prompter_.ask(q, &answer, err)) return false;
    if (answer != "yes") *err = "you answered no";
    return answer == "yes";
  }

  bool record_host_key(const std::string& peer, const std::string& what, const std::string& file,
                       const std::string& line, std::string* err) override {
    // Appended through the engine, like every change sc makes: the file is
    // replaced atomically and the change reported.
    std::string text;
    if (!peers_.home_.read_file(file, &text, nullptr)) text.clear();
    if (!text.empty() && text.back() != '\n') text += '\n';
    text += line;
    if (text.back() != '\n') text += '\n';
    FileSpec spec;
    spec.mode = 0644;
    spec.owner = user_name();
    spec.keep_attrs = true;
    if (!peers_.home_.write_file(file, text, spec, err)) return false;
    peers_.output_.log(SC_LOG_INFO, kLogSource, "added the " + what + " of peer " + peer + " to " + file);
    return true;
  }

  bool ask_password(const std::string& account, std::string* password, std::string* err) override {
    if (!peers_.prompter_.interactive()) {
      *err = "there is no terminal to ask the password of " + account +
             " on; run `sc sshlink add` on a terminal, "
             "or append our public key (~/.ssh/id_ed25519.pub) to ~/.ssh/authorized_keys of " +
             account;
      return false;
    }
    Question q;
    q.kind = Question::Kind::secret;
    q.prompt = "Password of " + account + " (asked once, to install our key there)";
    if (!peers_.prompter_.ask(q, password, err)) return false;
    peers_.target_.add_secret(*password);
    return true;
  }

  void log(int level, const std::string& message) override { peers_.output_.log(level, kLogSource, message); }

 private:
  Peers& peers_;
};

// ---- connections ------------------------------------------------------------

Peers::Peers(PeersOptions opts, Executor& target, Executor& home, Output& output, Prompter& prompter,
             Settings& settings)
    : opts_(opts), target_(target), home_(home), output_(output), prompter_(prompter), settings_(settings) {}

Peers::~Peers() = default;

std::string Peers::ssh_dir() {
  const char* home = std::getenv("HOME");
  std::string h = home && *home ? home : passwd_home();
  while (h.size() > 1 && h.back() == '/') h.pop_back();
  return h + "/.ssh";
}

std::string Peers::setting(const std::string& name, const std::string& fallback) const {
  std::string err;
  return settings_.value_or_default(name, &err).value_or(fallback);
}

int Peers::connect_timeout() const {
  std::string v = setting("SSHLINK_CONNECT_TIMEOUT", "2");
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || !end || *end != '\0' || n < 1 || n > 600) {
    output_.log(SC_LOG_WARN, kLogSource,
                "SSHLINK_CONNECT_TIMEOUT=\"" + v + "\" is not a number of seconds from 1 to 600; using 2");
    return 2;
  }
  return static_cast<int>(n);
}

std::string Peers::remote_sc() const {
  std::string v = setting("SSHLINK_REMOTE_SC", "sc");
  return v.empty() ? "sc" : v;
}

ssh::Target Peers::make_target(const PeerAddress& addr) const {
  ssh::Target t;
  t.peer = addr.text;
  t.host = addr.host;
  t.user = addr.user;
  t.port = addr.port;
  t.ssh_dir = ssh_dir();
  t.timeout_s = connect_timeout();
  return t;
}

void Peers::record(const std::string& kind, const std::string& target, ActionState state, const std::string& detail) {
  target_.record({kind, target, state, detail, ""});
}

std::unique_ptr<ssh::Connection> Peers::connect_fresh(const PeerAddress& addr, const ssh::ConnectMode& mode,
                                                      ssh::FailKind* kind, std::string* err) {
  ssh::FailKind ignored = ssh::FailKind::none;
  if (!kind) kind = &ignored;
  ssh::Layer* layer = ssh_layer(err);
  if (!layer) {
    *kind = ssh::FailKind::other;
    return nullptr;
  }
  Hooks hooks(*this);
  return layer->connect(make_target(addr), mode, hooks, kind, err);
}

ssh::Connection* Peers::connection(const PeerAddress& addr, const ssh::ConnectMode& mode, int* status, std::string* err,
                                   ssh::FailKind* kind) {
  State& st = peers_[addr.text];
  if (st.conn) return st.conn.get();
  if (!st.error.empty() && !mode.accept_new_key) {
    *err = st.error;
    *status = st.status;
    if (kind) *kind = st.kind;
    return nullptr;
  }
  std::string e;
  ssh::FailKind k = ssh::FailKind::none;
  auto c = connect_fresh(addr, mode, &k, &e);
  if (!c) {
    st.error = target_.redact(e);
    st.status = k == ssh::FailKind::usage ? SC_USAGE : SC_FAIL;
    st.kind = k;
    *err = st.error;
    *status = st.status;
    if (kind) *kind = k;
    return nullptr;
  }
  output_.log(SC_LOG_DEBUG, kLogSource, "connected to " + addr.text + " as " + c->account());
  st.error.clear();
  st.conn = std::move(c);
  return st.conn.get();
}

int Peers::link(const std::string& peer, bool add_it, std::string* err) {
  PeerAddress a;
  if (!parse_peer_address(peer, &a, err)) return SC_USAGE;
  if (add_it) return add(a, err);
  int status = SC_FAIL;
  return connection(a, {}, &status, err) ? SC_OK : status;
}

// ---- remote commands ----------------------------------------------------------

int Peers::run(const std::string& peer, const PeerRunSpec& spec, PeerRunResult* result, std::string* err) {
  *result = PeerRunResult{};
  PeerAddress a;
  if (!parse_peer_address(peer, &a, err)) return SC_USAGE;
  if (spec.argv.empty() || spec.argv[0].empty()) {
    *err = "a command to run on peer " + peer + " is missing";
    return SC_USAGE;
  }
  std::string command;
  if (!spec.cwd.empty()) command = "cd " + shell_quote(spec.cwd) + " && ";
  if (!spec.env.empty()) {
    if (spec.argv[0].find('=') != std::string::npos) {
      *err = "cannot run \"" + spec.argv[0] + "\" on " + peer + " with an environment: its name contains '='";
      return SC_USAGE;
    }
    command += "env";
    for (const auto& e : spec.env) {
      if (!valid_env_item(e)) {
        *err = "\"" + e + "\" is not an environment item NAME=VALUE";
        return SC_USAGE;
      }
      command += " " + shell_quote(e);
    }
    command += " ";
  }
  command += format_argv(spec.argv);
  const std::string shown =
      a.text + ": " +
      (spec.secret_args ? format_argv({spec.argv[0]}) + (spec.argv.size() > 1 ? " (arguments hidden)" : "")
                        : format_argv(spec.argv));
  if (!spec.readonly && opts_.dry_run) {
    record("run", shown, ActionState::planned, "would run on the peer");
    return SC_OK;
  }
  int status = SC_FAIL;
  ssh::Connection* conn = connection(a, {}, &status, err);
  if (!conn) {
    if (!spec.readonly) record("run", shown, ActionState::failed, *err);
    return status;
  }
  std::string err_copy;
  auto out_sink = [&](std::string_view piece) {
    if (spec.capture_out)
      result->out += piece;
    else
      write_all(spec.out_to_err ? 2 : 1, piece);
  };
  auto err_sink = [&](std::string_view piece) {
    if (err_copy.size() < 4096) err_copy += piece;
    if (spec.capture_err)
      result->err += piece;
    else
      write_all(2, piece);
  };
  ssh::ExecResult r;
  if (!conn->exec(command, spec.input, spec.timeout, out_sink, err_sink, &r, err)) {
    *err = target_.redact(*err);
    if (!spec.readonly) record("run", shown, ActionState::failed, *err);
    return SC_FAIL;
  }
  result->ran = true;
  result->exit_code = r.exit_code;
  std::string failure;
  if (r.timed_out)
    failure = "timed out after " + std::to_string(spec.timeout.count()) + " ms";
  else if (r.exit_code != 0)
    failure = r.exit_code < 0 ? "ended without an exit status (killed?)"
                              : "exited with status " + std::to_string(r.exit_code);
  if (!failure.empty()) {
    *err = target_.redact(with_excerpt(a.text + ": " + spec.argv[0] + ": " + failure, err_copy));
    if (!spec.readonly) record("run", shown, ActionState::failed, failure);
    return SC_FAIL;
  }
  if (!spec.readonly) record("run", shown, ActionState::changed, "");
  return SC_OK;
}

int Peers::call_sc(const std::string& peer, const std::vector<std::string>& args, bool readonly, bool secret_args,
                   std::optional<json>* doc, std::string* err) {
  doc->reset();
  PeerAddress a;
  if (!parse_peer_address(peer, &a, err)) return SC_USAGE;
  if (args.empty()) {
    *err = "what to run with sc on peer " + peer + " is missing";
    return SC_USAGE;
  }
  const std::string program = remote_sc();
  std::vector<std::string> words = {program, "--json"};
  if (opts_.dry_run && !readonly) words.push_back("--dry-run");
  if (opts_.yes) words.push_back("--yes");
  // Everything after `--` is MODULE COMMAND ARGS to the peer's sc, even an
  // argument that looks like one of its global options.
  words.push_back("--");
  words.insert(words.end(), args.begin(), args.end());
  const std::string shown =
      a.text + ": sc " + (secret_args ? args[0] + (args.size() > 1 ? " (arguments hidden)" : "") : format_argv(args));

  int status = SC_FAIL;
  ssh::Connection* conn = connection(a, {}, &status, err);
  if (!conn) return status;
  output_.log(SC_LOG_DEBUG, kLogSource, "calling " + shown);
  std::string out, errout;
  ssh::ExecResult r;
  bool ok = conn->exec(
      format_argv(words), "", std::chrono::milliseconds(0), [&](std::string_view p) { out += p; },
      [&](std::string_view p) { errout += p; }, &r, err);
  json j;
  if (ok) {
    // The document is sc's last line of output; a login script of the peer
    // may have printed before it.
    size_t end = out.find_last_not_of("\r\n ");
    if (end != std::string::npos) {
      size_t start = out.rfind('\n', end);
      start = start == std::string::npos ? 0 : start + 1;
      j = json::parse(out.substr(start, end + 1 - start), nullptr, false);
    }
    if (j.is_discarded() || !j.is_object()) {
      ok = false;
      std::string code = "exit status " + std::to_string(r.exit_code);
      if (r.exit_code == 127)
        *err = with_excerpt(a.text + ": `" + program + "` was not found there (" + code + ")", errout) +
               "; install sc on the peer, or set SSHLINK_REMOTE_SC to its path";
      else
        *err = with_excerpt(a.text + ": `" + program + " --json` gave no JSON document (" + code + ")", errout) +
               "; the peer needs this sc (the C++ synccluster), not the original bash tool";
    }
  }
  if (!ok) {
    *err = target_.redact(*err);
    return SC_FAIL;
  }
  int peer_status = j.contains("status") && j["status"].is_number_integer() ? j["status"].get<int>() : r.exit_code;
  // The peer's warnings belong to this run's report too.
  if (j.contains("log") && j["log"].is_array())
    for (const auto& entry : j["log"]) {
      if (!entry.is_object()) continue;
      std::string level = entry.value("level", "info");
      std::string module = entry.value("module", "");
      std::string text = a.text + ": " + (module.empty() ? "" : module + ": ") + entry.value("message", "");
      output_.log(level == "error"     ? SC_LOG_ERROR
                  : level == "warning" ? SC_LOG_WARN
                                       : SC_LOG_DEBUG,
                  kLogSource, target_.redact(text));
    }
  // What the peer changed (or, under --dry-run, would change) is reported
  // on stderr: stdout carries only what the peer's module printed, so that
  // it can be piped (a file list must never hold a report line).
  if (!readonly && j.contains("actions") && j["actions"].is_array())
    for (const auto& act : j["actions"]) {
      if (!act.is_object() || act.value("state", "ok") == "ok") continue;
      std::string line =
          a.text + ": " + act.value("state", "") + ": " + act.value("kind", "") + " " + act.value("target", "");
      if (act.contains("detail") && act["detail"].is_string()) line += " (" + act["detail"].get<std::string>() + ")";
      output_.log(SC_LOG_INFO, kLogSource, target_.redact(line));
    }
  if (peer_status != 0) {
    std::string why = j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>() : "failed";
    *err = target_.redact(shown + ": " + why);
  }
  *doc = std::move(j);
  return peer_status;
}

// ---- copying files --------------------------------------------------------------

int Peers::fetch_command(const PeerFetchSpec& spec, RsyncFetch* f, std::string* err) {
  if (!parse_peer_address(spec.peer, &f->peer, err)) return SC_USAGE;
  for (const auto& p : spec.paths)
    if (!check_fetch_path(p, err)) return SC_USAGE;
  if (spec.target_dir.empty() || spec.target_dir[0] != '/') {
    *err = "the target directory \"" + spec.target_dir + "\" must be an absolute path";
    return SC_USAGE;
  }
  fs::path target;
  if (!target_.resolve(spec.target_dir, &target, err)) return SC_USAGE;
  f->source_dir = spec.source_dir.empty() ? "/" : spec.source_dir;
  f->target = target.string();
  f->excludes = spec.excludes;
  f->bwlimit_kbps = spec.bwlimit_kbps;
  f->delete_extraneous = spec.delete_extraneous;
  f->exact = spec.exact;
  f->compare = spec.compare;
  f->report = spec.report;
  f->list_only = spec.list_only;
  // A list of just "." is the source directory itself, which rsync walks
  // measurably faster as its source than through a file list.
  f->whole_dir = spec.paths.size() == 1 && spec.paths[0] == ".";
  if (!spec.link_dest.empty()) {
    fs::path link;
    if (spec.link_dest[0] != '/' || !target_.resolve(spec.link_dest, &link, err)) {
      if (err->empty()) *err = "the link-dest directory \"" + spec.link_dest + "\" must be an absolute path";
      return SC_USAGE;
    }
    f->link_dest = link.string();
  }
  f->progress = !spec.out_to_err && !output_.json() && ::isatty(STDOUT_FILENO);
  return SC_OK;
}

int Peers::fetch(const PeerFetchSpec& spec, PeerFetchResult* result, std::string* err) {
  *result = PeerFetchResult{};
  RsyncFetch f;
  if (int rc = fetch_command(spec, &f, err); rc != SC_OK) return rc;
  if (spec.paths.empty()) {
    output_.log(SC_LOG_DEBUG, kLogSource, "nothing to copy from " + spec.peer + ": the file list is empty");
    result->differs = false;
    return SC_OK;
  }
  // rsync's transport is this run's session to the peer (rsync_transport.hpp).
  RsyncTransport transport;
  if (!transport.open(err)) return SC_FAIL;
  f.rsh = transport.rsh();
  RunSpec run;
  if (!rsync_fetch_argv(f, &run.process.argv, err)) return SC_USAGE;
  if (!f.whole_dir) {
    std::string list;
    for (const auto& p : spec.paths) list.append(p).push_back('\0');
    run.process.input = std::move(list);
  }
  run.process.capture_err = true;
  run.process.capture_out = f.compare || f.report;
  run.process.out_to_err = spec.out_to_err || output_.json();
  // A comparison changes nothing: it runs under --dry-run too, and the
  // list of what would change is the answer.
  run.readonly = f.compare;
  // Under --dry-run a copy does not run (a comparison does): no session then.
  if (run.readonly || !opts_.dry_run) {
    int status = SC_FAIL;
    ssh::Connection* conn = connection(f.peer, {}, &status, err);
    if (!conn) return status;
    transport.start(*conn);
  }
  ProcessResult r;
  std::string e;
  bool ok = target_.run(run, &r, &result->ran, &e);
  transport.finish();
  result->exit_code = result->ran ? r.exit_code : -1;
  // rsync lists what it did even when some files failed (status 23, 24).
  if (result->ran && (f.compare || f.report) && !parse_rsync_report(r.out, &result->items, &e)) {
    *err = "rsync from " + spec.peer + ": " + e;
    return SC_FAIL;
  }
  if (ok && f.compare) result->differs = report_shows_change(result->items, spec.paths, f.whole_dir);
  if (ok) {
    if (result->ran && !r.err.empty())
      output_.log(SC_LOG_WARN, kLogSource, "rsync from " + spec.peer + ": " + excerpt(r.err));
    return SC_OK;
  }
  if (!r.started) {
    *err = "cannot run rsync: " + r.error + " (Debian package rsync)";
    return SC_FAIL;
  }
  std::string what = r.exit_code >= 0 ? "exited with status " + std::to_string(r.exit_code) + " (" +
                                            rsync_exit_meaning(r.exit_code) + ")"
                                      : r.describe();
  if (!transport.error().empty()) what += "; the SSH channel failed: " + transport.error();
  *err = target_.redact(with_excerpt("rsync from " + spec.peer + " " + what, r.err));
  return SC_FAIL;
}

}  // namespace sc
