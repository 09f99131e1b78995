#include "peers/peers.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "ui/output.hpp"
#include "peers/ssh_library.hpp"
#include "peers/rsync_command.hpp"
#include "peers/rsync_transport.hpp"
#include "sc/plugin.h"
#include "session/session.hpp"

namespace sc {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* kLogSource = "ssh";

// Up to three lines of a program's stderr, for an error message.
std::string excerpt(const std::string& text) {
  std::string out;
  int lines = 0;
  size_t pos = 0;
  while (pos < text.size() && lines < 3) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty()) continue;
    out += (out.empty() ? "" : "; ") + line;
    ++lines;
  }
  if (out.size() > 400) out = out.substr(0, 400) + "...";
  return out;
}

std::string with_excerpt(const std::string& message, const std::string& stderr_text) {
  std::string e = excerpt(stderr_text);
  return e.empty() ? message : message + ": " + e;
}

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

std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

}  // namespace

// ---- questions the SSH layer asks ------------------------------------------

class Peers::Hooks final : public ssh::Hooks {
 public:
  explicit Hooks(Peers& peers) : peers_(peers), s_(peers.session_) {}

  bool accept_host_key(const std::string& peer, const std::string& what, const std::string& file,
                       std::string* err) override {
    if (s_.options().dry_run) {
      peers_.record("write", file, ActionState::planned, "would add the " + what + " of peer " + peer);
      return true;
    }
    if (s_.options().yes) {
      s_.output().log(SC_LOG_INFO, kLogSource, "trusting the " + what + " of new peer " + peer + " (--yes)");
      return true;
    }
    if (!s_.prompter().interactive()) {
      *err = "there is no terminal to confirm it on; compare it with the key on the peer (ssh-keygen -lf "
             "/etc/ssh/ssh_host_ed25519_key.pub) and run again with --yes";
      return false;
    }
    Question q;
    q.kind = Question::Kind::yes_no;
    q.default_value = "no";
    q.prompt = "Peer " + peer + " is not a known host. It offers this " + what +
               "\n(compare with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` run on the peer).\nTrust it and add "
               "it to " + file + "?";
    std::string answer;
    if (!s_.prompter().ask(q, &answer, err)) return false;
    if (answer != "yes") *err = "you answered no";
    return answer == "yes";
  }

  void host_key_recorded(const std::string& peer, const std::string& what, const std::string& file) override {
    peers_.record("write", file, ActionState::changed, "added the " + what + " of peer " + peer);
  }

  bool ask_password(const std::string& account, std::string* password, std::string* err) override {
    if (!s_.prompter().interactive()) {
      *err = "there is no terminal to ask the password of " + account + " on; run `sc sshlink add` on a terminal, "
             "or append our public key (~/.ssh/id_ed25519.pub) to ~/.ssh/authorized_keys of " + account;
      return false;
    }
    Question q;
    q.kind = Question::Kind::secret;
    q.prompt = "Password of " + account + " (asked once, to install our key there)";
    if (!s_.prompter().ask(q, password, err)) return false;
    s_.executor().add_secret(*password);
    return true;
  }

  void log(int level, const std::string& message) override { s_.output().log(level, kLogSource, message); }

 private:
  Peers& peers_;
  Session& s_;
};

// ---- connections ------------------------------------------------------------

Peers::Peers(Session& session) : session_(session) {}

Peers::~Peers() = default;

std::string Peers::ssh_dir() {
  const char* home = std::getenv("HOME");
  std::string h = home && *home ? home : passwd_home();
  while (h.size() > 1 && h.back() == '/') h.pop_back();
  return h + "/.ssh";
}

std::string Peers::setting(const std::string& name, const std::string& fallback) const {
  std::string err;
  if (auto v = session_.setting_value(name, &err)) return *v;
  if (auto owner = session_.setting_owner(name))
    if (const SettingSpec* spec = owner->setting(name); spec && spec->default_value) return *spec->default_value;
  return fallback;
}

int Peers::connect_timeout() const {
  std::string v = setting("SSHLINK_CONNECT_TIMEOUT", "2");
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || !end || *end != '\0' || n < 1 || n > 600) {
    session_.output().log(SC_LOG_WARN, kLogSource,
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
  session_.executor().record({kind, target, state, detail, ""});
}

ssh::Connection* Peers::connection(const PeerAddress& addr, const ssh::ConnectMode& mode, int* status,
                                   std::string* err, ssh::FailKind* kind) {
  State& st = peers_[addr.text];
  if (st.conn) return st.conn.get();
  if (!st.error.empty() && !mode.accept_new_key) {
    *err = st.error;
    *status = st.status;
    if (kind) *kind = st.kind;
    return nullptr;
  }
  std::string e;
  ssh::Layer* layer = ssh_layer(&e);
  if (!layer) {
    *err = e;
    *status = SC_FAIL;
    if (kind) *kind = ssh::FailKind::other;
    return nullptr;
  }
  Hooks hooks(*this);
  ssh::FailKind k = ssh::FailKind::none;
  auto c = layer->connect(make_target(addr), mode, hooks, &k, &e);
  if (!c) {
    st.error = session_.executor().redact(e);
    st.status = k == ssh::FailKind::usage ? SC_USAGE : SC_FAIL;
    st.kind = k;
    *err = st.error;
    *status = st.status;
    if (kind) *kind = k;
    return nullptr;
  }
  session_.output().log(SC_LOG_DEBUG, kLogSource, "connected to " + addr.text + " as " + c->account());
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

// ---- linking a new peer (sshlink add) ---------------------------------------

bool Peers::ensure_key(std::string* pub_file, std::string* err) {
  const std::string dir = ssh_dir();
  for (const char* name : {"id_ed25519", "id_ecdsa", "id_rsa"}) {
    std::string key = dir + "/" + name;
    if (::access(key.c_str(), F_OK) == 0) {
      *pub_file = key + ".pub";
      return true;
    }
  }
  const bool dry = session_.options().dry_run;
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (dry) {
      record("mkdir", dir, ActionState::planned, "would create (mode 0700)");
    } else if (::mkdir(dir.c_str(), 0700) != 0) {
      *err = "cannot create " + dir + ": " + std::strerror(errno);
      record("mkdir", dir, ActionState::failed, std::strerror(errno));
      return false;
    } else {
      record("mkdir", dir, ActionState::changed, "created (mode 0700)");
    }
  }
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  const passwd* pw = ::getpwuid(::geteuid());
  std::string comment = std::string(pw && pw->pw_name ? pw->pw_name : "root") + "@" + host;
  RunSpec spec;
  spec.process.argv = {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", dir + "/id_ed25519"};
  spec.process.capture_err = true;
  ProcessResult r;
  std::string e;
  if (!session_.executor().run(spec, &r, nullptr, &e)) {
    *err = "cannot create our SSH key: " + e + (r.started ? "" : " (Debian package openssh-client)");
    return false;
  }
  *pub_file = dir + "/id_ed25519.pub";
  return true;
}

int Peers::install_key(const PeerAddress& addr, ssh::Connection* conn, const std::string& pub_file,
                       std::string* err) {
  std::string key;
  {
    std::ifstream in(pub_file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    key = first_line(text);
  }
  if (key.empty()) {
    // A private key without its .pub: derive the public half.
    std::string priv = pub_file.substr(0, pub_file.size() - 4);
    RunSpec spec;
    spec.process.argv = {"ssh-keygen", "-y", "-f", priv};
    spec.process.capture_out = spec.process.capture_err = true;
    spec.readonly = true;
    ProcessResult r;
    std::string e;
    if (session_.executor().run(spec, &r, nullptr, &e)) key = first_line(r.out);
    if (key.empty()) {
      *err = "cannot read our public key " + pub_file + (e.empty() ? "" : ": " + e);
      return SC_FAIL;
    }
  }
  if (key.rfind("ssh-", 0) != 0 && key.rfind("ecdsa-", 0) != 0) {
    *err = pub_file + " does not hold an OpenSSH public key; remove it and run `sc sshlink add " + addr.text +
           "` again (a new one is derived from the private key)";
    return SC_FAIL;
  }
  const std::string where = addr.text + ": ~/.ssh/authorized_keys";
  std::string out, errout;
  ssh::ExecResult r;
  bool ok = conn->exec(
      authorized_keys_script(), key + "\n", std::chrono::seconds(60), [&](std::string_view s) { out += s; },
      [&](std::string_view s) { errout += s; }, &r, err);
  if (ok && r.exit_code != 0) {
    ok = false;
    *err = with_excerpt(addr.text + ": cannot add our key to ~/.ssh/authorized_keys of " + conn->account() +
                            " (exit status " + std::to_string(r.exit_code) + ")",
                        errout);
  }
  if (!ok) {
    record("remote", where, ActionState::failed, *err);
    return SC_FAIL;
  }
  const bool added = out.find("added") != std::string::npos;
  record("remote", where, added ? ActionState::changed : ActionState::ok,
         added ? "appended " + pub_file : pub_file + " already there");
  // Prove the link the way later runs will use it: a new connection with
  // the key only.
  std::string e;
  ssh::Layer* layer = ssh_layer(&e);
  Hooks hooks(*this);
  ssh::FailKind kind = ssh::FailKind::none;
  if (!layer || !layer->connect(make_target(addr), {}, hooks, &kind, &e)) {
    *err = "our key is now in ~/.ssh/authorized_keys of " + conn->account() + ", but peer " + addr.text +
           " still refuses it (" + e + "); check AuthorizedKeysFile and StrictModes in its sshd_config";
    return SC_FAIL;
  }
  return SC_OK;
}

int Peers::add(const PeerAddress& addr, std::string* err) {
  const bool dry = session_.options().dry_run;
  std::string pub;
  if (!ensure_key(&pub, err)) return SC_FAIL;
  ssh::ConnectMode mode;
  mode.accept_new_key = true;
  mode.record_new_key = !dry;
  mode.allow_password = !dry;
  int status = SC_FAIL;
  ssh::FailKind kind = ssh::FailKind::none;
  ssh::Connection* conn = connection(addr, mode, &status, err, &kind);
  if (!conn) {
    if (dry && kind == ssh::FailKind::refused) {
      record("remote", addr.text + ": ~/.ssh/authorized_keys", ActionState::planned,
             "would ask the password of the peer's account once and append " + pub);
      err->clear();
      return SC_OK;
    }
    return status;
  }
  if (!conn->used_password()) {
    record("link", addr.text, ActionState::ok, "already linked: it accepts our key as " + conn->account());
    return SC_OK;
  }
  return install_key(addr, conn, pub, err);
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
  Session& s = session_;
  if (!spec.readonly && s.options().dry_run) {
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
    *err = s.executor().redact(*err);
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
    *err = s.executor().redact(with_excerpt(a.text + ": " + spec.argv[0] + ": " + failure, err_copy));
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
  Session& s = session_;
  const std::string program = remote_sc();
  std::vector<std::string> words = {program, "--json"};
  if (s.options().dry_run && !readonly) words.push_back("--dry-run");
  if (s.options().yes) words.push_back("--yes");
  // Everything after `--` is MODULE COMMAND ARGS to the peer's sc, even an
  // argument that looks like one of its global options.
  words.push_back("--");
  words.insert(words.end(), args.begin(), args.end());
  const std::string shown =
      a.text + ": sc " + (secret_args ? args[0] + (args.size() > 1 ? " (arguments hidden)" : "") : format_argv(args));

  int status = SC_FAIL;
  ssh::Connection* conn = connection(a, {}, &status, err);
  if (!conn) return status;
  s.output().log(SC_LOG_DEBUG, kLogSource, "calling " + shown);
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
    *err = s.executor().redact(*err);
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
      s.output().log(level == "error" ? SC_LOG_ERROR : level == "warning" ? SC_LOG_WARN : SC_LOG_DEBUG, kLogSource,
                     s.executor().redact(text));
    }
  // What the peer changed (or, under --dry-run, would change) is reported
  // on stderr: stdout carries only what the peer's module printed, so that
  // it can be piped (a file list must never hold a report line).
  if (!readonly && j.contains("actions") && j["actions"].is_array())
    for (const auto& act : j["actions"]) {
      if (!act.is_object() || act.value("state", "ok") == "ok") continue;
      std::string line = a.text + ": " + act.value("state", "") + ": " + act.value("kind", "") + " " +
                         act.value("target", "");
      if (act.contains("detail") && act["detail"].is_string()) line += " (" + act["detail"].get<std::string>() + ")";
      s.output().log(SC_LOG_INFO, kLogSource, s.executor().redact(line));
    }
  if (peer_status != 0) {
    std::string why = j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>() : "failed";
    *err = s.executor().redact(shown + ": " + why);
  }
  *doc = std::move(j);
  return peer_status;
}

// ---- copying files --------------------------------------------------------------

namespace {

/// Whether rsync's --itemize-changes output lists a change, leaving out the
/// directories that only lead to a listed path (rsync sends them with
/// --files-from, and their times move whenever a sibling changes); a copy
/// of a whole directory has none of those.
bool itemized_changes(const std::string& out, const std::vector<std::string>& paths, bool whole_dir) {
  if (whole_dir) return out.find_first_not_of('\n') != std::string::npos;
  std::vector<std::string> listed;
  for (const auto& p : paths) listed.push_back(p.substr(std::min(p.find_first_not_of('/'), p.size())));
  size_t start = 0;
  while (start < out.size()) {
    size_t end = out.find('\n', start);
    if (end == std::string::npos) end = out.size();
    std::string line = out.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    // ".d..t...... srv/" : 11 flag characters, a space, the path.
    bool leading_dir = false;
    if (line.size() > 12 && line[1] == 'd' && line[11] == ' ') {
      std::string dir = line.substr(12);
      if (dir == "./") dir.clear();
      for (const auto& l : listed)
        if (l.size() > dir.size() && l.compare(0, dir.size(), dir) == 0 && (dir.empty() || dir.back() == '/'))
          leading_dir = true;
    }
    if (!leading_dir) return true;
  }
  return false;
}

}  // namespace

int Peers::fetch(const PeerFetchSpec& spec, int* exit_code, bool* ran, bool* differs, std::string* err) {
  *exit_code = -1;
  *ran = false;
  *differs = true;
  RsyncFetch f;
  if (!parse_peer_address(spec.peer, &f.peer, err)) return SC_USAGE;
  for (const auto& p : spec.paths)
    if (!check_fetch_path(p, err)) return SC_USAGE;
  if (spec.target_dir.empty() || spec.target_dir[0] != '/') {
    *err = "the target directory \"" + spec.target_dir + "\" must be an absolute path";
    return SC_USAGE;
  }
  Session& s = session_;
  fs::path target;
  if (!s.executor().resolve(spec.target_dir, &target, err)) return SC_USAGE;
  if (spec.paths.empty()) {
    s.output().log(SC_LOG_DEBUG, kLogSource, "nothing to copy from " + spec.peer + ": the file list is empty");
    return SC_OK;
  }
  f.source_dir = spec.source_dir.empty() ? "/" : spec.source_dir;
  f.target = target.string();
  f.excludes = spec.excludes;
  f.bwlimit_kbps = spec.bwlimit_kbps;
  f.delete_extraneous = spec.delete_extraneous;
  f.exact = spec.exact;
  f.compare = spec.compare;
  // A list of just "." is the source directory itself, which rsync walks
  // measurably faster as its source than through a file list.
  f.whole_dir = spec.paths.size() == 1 && spec.paths[0] == ".";
  if (!spec.link_dest.empty()) {
    fs::path link;
    if (spec.link_dest[0] != '/' || !s.executor().resolve(spec.link_dest, &link, err)) {
      if (err->empty()) *err = "the link-dest directory \"" + spec.link_dest + "\" must be an absolute path";
      return SC_USAGE;
    }
    f.link_dest = link.string();
  }
  f.progress = !spec.out_to_err && !s.options().json && ::isatty(STDOUT_FILENO);
  // rsync's transport is this run's session to the peer (rsync_transport.hpp).
  RsyncTransport transport;
  if (!transport.open(err)) return SC_FAIL;
  f.rsh = transport.rsh();
  std::vector<std::string> argv;
  if (!rsync_fetch_argv(f, &argv, err)) return SC_USAGE;
  RunSpec run;
  run.process.argv = std::move(argv);
  if (!f.whole_dir) {
    std::string list;
    for (const auto& p : spec.paths) {
      list += p;
      list.push_back('\0');
    }
    run.process.input = std::move(list);
  }
  run.process.capture_err = true;
  run.process.out_to_err = spec.out_to_err || s.options().json;
  if (spec.compare) {
    // A comparison changes nothing: it runs under --dry-run too, and the
    // itemized list of what would change is the answer.
    run.readonly = true;
    run.process.capture_out = true;
  }
  // Under --dry-run a copy does not run (a comparison does): no session then.
  if (run.readonly || !s.options().dry_run) {
    int status = SC_FAIL;
    ssh::Connection* conn = connection(f.peer, {}, &status, err);
    if (!conn) return status;
    transport.start(*conn);
  }
  ProcessResult r;
  bool did_run = false;
  std::string e;
  bool ok = s.executor().run(run, &r, &did_run, &e);
  transport.finish();
  *ran = did_run;
  *exit_code = did_run ? r.exit_code : -1;
  if (ok && spec.compare) *differs = itemized_changes(r.out, spec.paths, f.whole_dir);
  if (ok) {
    if (did_run && !r.err.empty())
      s.output().log(SC_LOG_WARN, kLogSource, "rsync from " + spec.peer + ": " + excerpt(r.err));
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
  *err = s.executor().redact(with_excerpt("rsync from " + spec.peer + " " + what, r.err));
  return SC_FAIL;
}

}  // namespace sc
