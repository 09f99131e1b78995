// sc/plugin.hpp - header-only C++ layer over sc/plugin.h.
//
// A plugin author writes plain C++ functions taking an sc::Context and
// declares them in a table:
//
//   static void setup(sc::Context& ctx) { ... }
//   static void host(sc::Context& ctx) { ctx.print(...); }
//   SC_PLUGIN("hostconf", "1.0.0",
//             sc::command<&setup>("setup"),
//             sc::command<&host>("host"));
//
// Command functions may return void (success) or int (a status code). Errors
// are thrown: sc::Usage gives status 2, sc::Failure and every other exception
// status 1. No exception ever crosses into the host: the trampoline catches
// everything and copies the message into the host's error buffer.
//
// Only the standard library is used. Everything here is inline; nothing is
// exported but sc_plugin_entry.
#ifndef SC_PLUGIN_HPP
#define SC_PLUGIN_HPP

#include <sc/plugin.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace sc {

/// Thrown for bad arguments or bad input: the command ends with status 2.
class Usage : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Thrown for an operational failure: the command ends with status 1.
class Failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Attributes of a file or directory written through Context.
struct FileAttr {
  std::uint32_t mode = 0644;
  std::string owner;        ///< empty: root
  std::string group;        ///< empty: the owner's primary group
  bool secret = false;      ///< never show the content in --diff
  bool keep_attrs = false;  ///< an existing file keeps its mode and owner

  /// Attributes with another mode, e.g. FileAttr::with_mode(0600).
  static FileAttr with_mode(std::uint32_t m) {
    FileAttr a;
    a.mode = m;
    return a;
  }
};

/// Options of a program run; see sc_run in plugin.h.
struct RunOptions {
  bool readonly = false;  ///< runs under --dry-run too; not an action
  bool live = false;      ///< recorded, not run, under --root
  bool capture_out = false;
  bool capture_err = false;
  bool secret_args = false;
  bool interactive = false;      ///< stdin is sc's own (terminal or pipe), not /dev/null
  std::vector<std::string> env;  ///< extra "NAME=VALUE" items
  std::string cwd;
  std::optional<std::string> input;
  std::uint32_t timeout_ms = 0;
};

/// Outcome of a program run.
struct RunResult {
  int status = SC_FAIL;  ///< SC_OK when it ran and exited 0, or was planned
  bool ran = false;      ///< false when only planned
  int exit_code = -1;
  int term_signal = 0;
  std::string out;
  std::string err;
  bool ok() const { return status == SC_OK; }
};

/// Outcome of Context::call.
struct CallResult {
  int status = SC_FAIL;
  std::string json;  ///< {"status":N,"output":"...","result":...,"error":"..."}
};

/// A copy of files from a peer (Context::fetch); see sc_fetch in plugin.h.
struct FetchOptions {
  std::string peer;
  std::string source_dir = "/";       ///< on the peer; paths are relative to it
  std::string target_dir;             ///< on this host (under --root)
  std::vector<std::string> paths;     ///< files and directories to copy
  std::vector<std::string> excludes;  ///< rsync exclude patterns
  std::uint32_t bwlimit_kbps = 0;     ///< 0: no limit
  bool delete_extraneous = false;     ///< rsync --delete inside listed directories
  bool exact = false;                 ///< numeric owners and hard links kept (SC_FETCH_EXACT)
  std::string link_dest;              ///< on this host: earlier copy to hard-link unchanged files from
  bool compare_only = false;          ///< only tell whether target_dir differs (SC_FETCH_COMPARE)
  bool report = false;                ///< list what was (would be) copied, in FetchResult::items (ABI 1.2)
  bool list_only = false;             ///< exactly the listed paths; directories not entered (ABI 1.2)
};

/// One item of a fetch's report (SC_FETCH_REPORT, ABI 1.2).
struct FetchItem {
  std::string change;    ///< rsync's itemized change: ">f.st......", "cd+++++++++", "*deleting  "...
  std::string checksum;  ///< XXH3-128 of the content copied (32 hex digits), or empty
  std::uint64_t size = 0;
  std::string path;  ///< relative to the target directory, no trailing '/'; "." for itself
  bool is_dir() const { return change.size() > 1 && change[1] == 'd'; }
  bool deleted() const { return change.rfind("*deleting", 0) == 0; }
};

/// Outcome of Context::fetch.
struct FetchResult {
  int status = SC_FAIL;  ///< SC_OK when rsync exited 0, or was only planned
  bool ran = false;
  int exit_code = -1;            ///< rsync's exit status
  std::string error;             ///< what went wrong, when status != SC_OK
  bool differs = true;           ///< with compare_only: the copy would change something
  std::vector<FetchItem> items;  ///< with report, or compare_only on an ABI 1.2 host
  bool ok() const { return status == SC_OK; }
};

/// What is at a path of the target system (Context::stat, ABI 1.2).
struct PathInfo {
  std::uint32_t type = SC_PATH_MISSING;  ///< SC_PATH_*
  std::uint32_t mode = 0, uid = 0, gid = 0;
  std::uint64_t size = 0;
  std::int64_t mtime = 0;
  std::string link;  ///< a symlink's content
  bool exists() const { return type != SC_PATH_MISSING; }
  bool is_dir() const { return type == SC_PATH_DIR; }
  bool is_file() const { return type == SC_PATH_FILE; }
  bool is_symlink() const { return type == SC_PATH_SYMLINK; }
};

/// A read-only descriptor from Context::open_read, closed on destruction.
class ReadFd {
 public:
  explicit ReadFd(int fd = -1) : fd_(fd) {}
  ~ReadFd() { reset(); }
  ReadFd(ReadFd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  ReadFd& operator=(ReadFd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  ReadFd(const ReadFd&) = delete;
  ReadFd& operator=(const ReadFd&) = delete;
  int get() const { return fd_; }
  void reset();

 private:
  int fd_;
};

/// What a finished clone made (sc_clone_stats).
struct CloneStats {
  std::uint64_t linked = 0, copied = 0, dirs = 0, skipped = 0;
};

/// A hard-link copy of a tree in progress (Context::clone_start, ABI 1.2):
/// finish() puts it in place, discard() drops it; one neither finished nor
/// discarded is discarded on destruction.
class Clone {
 public:
  Clone(const sc_host_api* api, sc_host* host, sc_clone* clone) : api_(api), host_(host), clone_(clone) {}
  ~Clone() { discard(); }
  Clone(Clone&& o) noexcept : api_(o.api_), host_(o.host_), clone_(o.clone_) { o.clone_ = nullptr; }
  Clone& operator=(Clone&&) = delete;
  Clone(const Clone&) = delete;
  Clone& operator=(const Clone&) = delete;

  /// Waits, leaves out `skip` (paths relative to the tree copied) and puts
  /// the copy in place; throws Failure when the copy failed.
  CloneStats finish(const std::vector<std::string>& skip = {});
  /// Stops it and removes what it made (nothing is recorded).
  void discard() noexcept {
    if (clone_) api_->clone_finish(host_, clone_, SC_CLONE_DISCARD, nullptr, nullptr);
    clone_ = nullptr;
  }

 private:
  const sc_host_api* api_;
  sc_host* host_;
  sc_clone* clone_;
};

namespace detail {

/// Owns a string the host allocated; releases it with api->free.
struct HostString {
  explicit HostString(const sc_host_api* a, char* p = nullptr, size_t n = 0) : api(a), ptr(p), size(n) {}
  ~HostString() { api->free(ptr); }
  const sc_host_api* api;
  char* ptr;
  size_t size;
  HostString(const HostString&) = delete;
  HostString& operator=(const HostString&) = delete;
  std::string str() const { return ptr ? std::string(ptr, size ? size : std::strlen(ptr)) : std::string(); }
};

inline std::vector<const char*> c_argv(const std::vector<std::string>& v) {
  std::vector<const char*> out;
  out.reserve(v.size() + 1);
  for (const auto& s : v) out.push_back(s.c_str());
  out.push_back(nullptr);
  return out;
}

}  // namespace detail

/// What a command sees: its arguments and the host services. Valid for the
/// duration of the command only.
class Context {
 public:
  explicit Context(const sc_call* call) : call_(call), api_(call->api), host_(call->host) {
    for (int i = 0; i < call->argc; ++i) args_.emplace_back(call->argv[i]);
  }

  std::string module() const { return call_->module; }
  std::string command() const { return call_->command; }
  const std::vector<std::string>& args() const { return args_; }

  /// Throws Usage unless the argument count is within [min, max].
  void expect_args(size_t min, size_t max, std::string_view usage) const {
    if (args_.size() < min || args_.size() > max) {
      std::string msg = args_.size() < min ? "missing argument" : "too many arguments";
      throw Usage(msg + "; usage: sc " + call_->module + " " + call_->command + (usage.empty() ? "" : " ") +
                  std::string(usage));
    }
  }
  /// Argument i, or `fallback` when absent.
  std::string arg(size_t i, std::string fallback = {}) const {
    return i < args_.size() ? args_[i] : std::move(fallback);
  }

  std::uint32_t mode() const { return api_->mode(host_); }
  bool dry_run() const { return mode() & SC_MODE_DRY_RUN; }
  bool json() const { return mode() & SC_MODE_JSON; }
  bool assume_yes() const { return mode() & SC_MODE_YES; }
  bool verbose() const { return mode() & SC_MODE_VERBOSE; }
  bool rooted() const { return mode() & SC_MODE_ROOTED; }
  std::string root() const { return api_->root(host_); }
  /// Version of the running sc core.
  std::string sc_version() const { return api_->version(host_); }

  void print(std::string_view text) const { api_->print(host_, std::string(text).c_str()); }
  /// Sets the structured result (a JSON document as text).
  void result(std::string_view json) const {
    if (api_->result(host_, std::string(json).c_str()) != SC_OK) fail_from_host("result");
  }
  void log(int level, std::string_view msg) const { api_->log(host_, level, std::string(msg).c_str()); }
  void info(std::string_view msg) const { log(SC_LOG_INFO, msg); }
  void warn(std::string_view msg) const { log(SC_LOG_WARN, msg); }
  void debug(std::string_view msg) const { log(SC_LOG_DEBUG, msg); }

  // -- settings -----------------------------------------------------------

  /// The setting's value (or its manifest default); nullopt when unset.
  std::optional<std::string> setting(const std::string& name, std::uint32_t flags = 0) const {
    detail::HostString v{api_};
    int rc = api_->setting_get(host_, name.c_str(), flags, &v.ptr);
    if (rc == SC_OK) return v.str();
    if (rc == SC_USAGE) throw Usage(api_->last_error(host_));
    if (flags & SC_SETTING_PROMPT) throw Failure(api_->last_error(host_));
    return std::nullopt;
  }
  /// The setting's value; asks the user (or takes --set) when unset and
  /// stores the answer. Throws when no value can be had.
  std::string setting_or_prompt(const std::string& name) const { return *setting(name, SC_SETTING_PROMPT); }
  void set_setting(const std::string& name, const std::string& value) const {
    check(api_->setting_set(host_, name.c_str(), value.c_str()));
  }
  void unset_setting(const std::string& name) const { check(api_->setting_unset(host_, name.c_str())); }

  // -- other modules ------------------------------------------------------

  /// Runs another module's command with its output shown to the user.
  int call_shown(const std::string& module, const std::string& command,
                 const std::vector<std::string>& args = {}) const {
    auto argv = detail::c_argv(args);
    return api_->call(host_, module.c_str(), command.c_str(), static_cast<int>(args.size()), argv.data(), nullptr);
  }
  /// Runs another module's command and captures what it prints and returns.
  CallResult call(const std::string& module, const std::string& command,
                  const std::vector<std::string>& args = {}) const {
    auto argv = detail::c_argv(args);
    detail::HostString out{api_};
    CallResult r;
    r.status = api_->call(host_, module.c_str(), command.c_str(), static_cast<int>(args.size()), argv.data(), &out.ptr);
    r.json = out.str();
    return r;
  }
  /// Broadcasts a hook; returns the captured JSON array when `capture`.
  std::pair<int, std::string> broadcast(const std::string& hook, const std::vector<std::string>& args = {},
                                        bool ready_only = false, bool capture = false) const {
    auto argv = detail::c_argv(args);
    detail::HostString out{api_};
    int rc = api_->broadcast(host_, hook.c_str(), static_cast<int>(args.size()), argv.data(), ready_only ? 1 : 0,
                             capture ? &out.ptr : nullptr);
    return {rc, out.str()};
  }

  // -- programs -----------------------------------------------------------

  /// Runs a program; never throws for a non-zero exit (check .ok()).
  RunResult run(const std::vector<std::string>& argv, const RunOptions& o = {}) const {
    auto cargv = detail::c_argv(argv);
    auto cenv = detail::c_argv(o.env);
    sc_run r = c_run(o, cargv, cenv);
    RunResult res;
    res.status = api_->run(host_, &r);
    detail::HostString out{api_, r.out, r.out_size};
    detail::HostString err{api_, r.err, r.err_size};
    res.ran = r.ran != 0;
    res.exit_code = r.exit_code;
    res.term_signal = r.term_signal;
    res.out = out.str();
    res.err = err.str();
    return res;
  }
  /// Runs a program and throws Failure naming it when it does not succeed.
  RunResult run_checked(const std::vector<std::string>& argv, const RunOptions& o = {}) const {
    RunResult r = run(argv, o);
    if (!r.ok()) throw Failure(api_->last_error(host_));
    return r;
  }

  // -- files --------------------------------------------------------------

  void write_file(const std::string& path, std::string_view data, const FileAttr& a = {}) const {
    auto attr = c_attr(a);
    check(api_->write_file(host_, path.c_str(), data.data(), data.size(), &attr));
  }
  void remove(const std::string& path, bool recursive = false) const {
    check(api_->remove(host_, path.c_str(), recursive ? SC_REMOVE_RECURSIVE : 0u));
  }
  void make_dir(const std::string& path, const FileAttr& a = FileAttr::with_mode(0755)) const {
    auto attr = c_attr(a);
    check(api_->make_dir(host_, path.c_str(), &attr));
  }
  /// Renames `from` to `to` atomically, never replacing `to` (ABI 1.1).
  void rename(const std::string& from, const std::string& to) const {
    if (!SC_HAS_MEMBER(api_, sc_host_api, rename))
      throw Failure("this sc is too old for this module: rename needs ABI 1.1; upgrade sc");
    check(api_->rename(host_, from.c_str(), to.c_str()));
  }
  void symlink(const std::string& target, const std::string& path) const {
    check(api_->symlink(host_, target.c_str(), path.c_str()));
  }
  void set_attr(const std::string& path, const FileAttr& a) const {
    auto attr = c_attr(a);
    check(api_->set_attr(host_, path.c_str(), &attr));
  }
  /// Contents of a file of the target system; nullopt when unreadable.
  std::optional<std::string> read_file(const std::string& path) const {
    detail::HostString d{api_};
    if (api_->read_file(host_, path.c_str(), &d.ptr, &d.size) != SC_OK) return std::nullopt;
    return std::string(d.ptr ? d.ptr : "", d.size);
  }
  /// Where a target-system path lives on this machine (under --root).
  std::string resolve_path(const std::string& path) const {
    detail::HostString d{api_};
    check(api_->resolve_path(host_, path.c_str(), &d.ptr));
    return d.str();
  }

  // -- user ---------------------------------------------------------------

  bool ask_yes_no(const std::string& prompt, bool default_yes = false) const {
    return ask(SC_ASK_YESNO, prompt, default_yes ? "yes" : "no", {}) == "yes";
  }
  std::string ask_text(const std::string& prompt, const std::string& default_value = {}) const {
    return ask(SC_ASK_TEXT, prompt, default_value, {});
  }
  std::string ask_secret(const std::string& prompt) const { return ask(SC_ASK_SECRET, prompt, {}, {}); }
  std::string ask_choice(const std::string& prompt, const std::vector<std::string>& choices,
                         const std::string& default_value = {}) const {
    return ask(SC_ASK_CHOICE, prompt, default_value, choices);
  }

  // -- peers (ABI 1.1) ----------------------------------------------------
  // Peer names are written as for ssh: host, user@host, host:port or an
  // alias of ~/.ssh/config. Each method throws Failure("this sc is too
  // old...") on a host older than ABI 1.1, and Usage for a malformed name.

  /// True when `peer` can be reached and accepts our key (host key known
  /// and unchanged). `why`, when given, receives the reason otherwise.
  bool peer_linked(const std::string& peer, std::string* why = nullptr) const {
    require_peer_services("peer_connect");
    int rc = api_->peer_connect(host_, peer.c_str(), 0u);
    if (rc == SC_USAGE) throw Usage(api_->last_error(host_));
    if (rc != SC_OK && why) *why = api_->last_error(host_);
    return rc == SC_OK;
  }
  /// Links `peer` (see SC_PEER_ADD); throws Failure when it cannot.
  void link_peer(const std::string& peer) const {
    require_peer_services("peer_connect");
    check(api_->peer_connect(host_, peer.c_str(), SC_PEER_ADD));
  }
  /// Runs argv on `peer` (each word quoted by the host); never throws for
  /// a non-zero exit or an unreachable peer (check .ok(), and last_error()).
  /// `o.live` is ignored; without `o.readonly` it is planned under --dry-run.
  RunResult peer_run(const std::string& peer, const std::vector<std::string>& argv, const RunOptions& o = {}) const {
    require_peer_services("peer_run");
    auto cargv = detail::c_argv(argv);
    auto cenv = detail::c_argv(o.env);
    sc_run r = c_run(o, cargv, cenv);
    RunResult res;
    res.status = api_->peer_run(host_, peer.c_str(), &r);
    if (res.status == SC_USAGE) throw Usage(api_->last_error(host_));
    detail::HostString out{api_, r.out, r.out_size};
    detail::HostString err{api_, r.err, r.err_size};
    res.ran = r.ran != 0;
    res.exit_code = r.exit_code;
    res.term_signal = r.term_signal;
    res.out = out.str();
    res.err = err.str();
    return res;
  }
  /// Runs `sc --json -- args...` on `peer`. `.status` is the peer's status
  /// and `.json` its whole document. Throws Failure when the peer's sc could
  /// not be run or did not answer with a document.
  CallResult peer_sc(const std::string& peer, const std::vector<std::string>& args, bool readonly = false,
                     bool secret_args = false) const {
    require_peer_services("peer_sc");
    auto argv = detail::c_argv(args);
    detail::HostString doc{api_};
    CallResult r;
    r.status = api_->peer_sc(host_, peer.c_str(), static_cast<int>(args.size()), argv.data(),
                             (readonly ? SC_RUN_READONLY : 0u) | (secret_args ? SC_RUN_SECRET_ARGS : 0u), &doc.ptr);
    if (r.status == SC_USAGE && !doc.ptr) throw Usage(api_->last_error(host_));
    if (!doc.ptr) throw Failure(api_->last_error(host_));
    r.json = doc.str();
    return r;
  }
  /// Copies files from a peer with rsync; never throws for rsync's failure
  /// (check .ok() and .error); throws Usage for bad input.
  FetchResult fetch(const FetchOptions& o) const {
    require_peer_services("peer_fetch");
    auto paths = detail::c_argv(o.paths);
    auto excludes = detail::c_argv(o.excludes);
    sc_fetch f{};
    f.struct_size = sizeof f;
    f.flags = (o.delete_extraneous ? SC_FETCH_DELETE : 0u) | (o.exact ? SC_FETCH_EXACT : 0u) |
              (o.compare_only ? SC_FETCH_COMPARE : 0u);
    f.peer = o.peer.c_str();
    f.source_dir = o.source_dir.empty() ? nullptr : o.source_dir.c_str();
    f.target_dir = o.target_dir.c_str();
    f.paths = paths.data();
    f.excludes = o.excludes.empty() ? nullptr : excludes.data();
    f.bwlimit_kbps = o.bwlimit_kbps;
    f.link_dest = o.link_dest.empty() ? nullptr : o.link_dest.c_str();
    const bool host_1_2 = SC_HAS_MEMBER(api_, sc_host_api, clone_finish);
    if (o.report || o.list_only) require(host_1_2, "fetch reports");
    // A comparison lists what would change whenever the host can say it.
    f.flags |=
        (o.report || (o.compare_only && host_1_2) ? SC_FETCH_REPORT : 0u) | (o.list_only ? SC_FETCH_LIST_ONLY : 0u);
    FetchResult res;
    res.status = api_->peer_fetch(host_, &f);
    if (res.status == SC_USAGE) throw Usage(api_->last_error(host_));
    res.ran = f.ran != 0;
    res.exit_code = f.exit_code;
    res.differs = f.differs != 0;
    if (res.status != SC_OK) res.error = api_->last_error(host_);
    detail::HostString report{api_, f.report, f.report_size};
    res.items = parse_report(f.report, f.report_size);
    return res;
  }

  // -- reading the target system, tree clones (ABI 1.2) -----------------
  // Each throws Failure("this sc is too old...") on an older host.

  /// What is at `path` (as this run planned it under --dry-run); `follow`:
  /// a symlink as the last component is followed. Throws Usage for an
  /// invalid path, Failure when it cannot be looked at.
  PathInfo stat(const std::string& path, bool follow = false) const {
    require(SC_HAS_MEMBER(api_, sc_host_api, stat_path), "stat");
    sc_path_info i{};
    i.struct_size = sizeof i;
    check(api_->stat_path(host_, path.c_str(), follow ? SC_STAT_FOLLOW : 0u, &i));
    detail::HostString link{api_, i.link};
    PathInfo p;
    p.link = link.str();
    p.type = i.type;
    p.mode = i.mode;
    p.uid = i.uid;
    p.gid = i.gid;
    p.size = i.size;
    p.mtime = i.mtime;
    return p;
  }
  /// The names in directory `path`, sorted; throws Failure when it is
  /// missing or not a directory.
  std::vector<std::string> list_dir(const std::string& path) const {
    require(SC_HAS_MEMBER(api_, sc_host_api, list_dir), "list_dir");
    detail::HostString names{api_};
    check(api_->list_dir(host_, path.c_str(), &names.ptr, &names.size));
    std::vector<std::string> out;
    for (size_t i = 0; i < names.size;) {
      size_t len = std::strlen(names.ptr + i);
      out.emplace_back(names.ptr + i, len);
      i += len + 1;
    }
    return out;
  }
  /// A read-only descriptor of a file or directory of the target, opened
  /// through the root (see sc_host_api.open_read); throws Failure.
  ReadFd open_read(const std::string& path) const {
    require(SC_HAS_MEMBER(api_, sc_host_api, open_read), "open_read");
    int fd = -1;
    check(api_->open_read(host_, path.c_str(), &fd));
    return ReadFd(fd);
  }
  /// Starts a hard-link copy of the tree `from` at `to` (see
  /// sc_host_api.clone_start); throws Usage or Failure.
  Clone clone_start(const std::string& from, const std::string& to) const {
    require(SC_HAS_MEMBER(api_, sc_host_api, clone_finish), "clone_start");
    sc_clone* c = nullptr;
    check(api_->clone_start(host_, from.c_str(), to.c_str(), &c));
    return Clone(api_, host_, c);
  }

  /// The host's message about the last failed service call.
  std::string last_error() const { return api_->last_error(host_); }

  const sc_host_api* api() const { return api_; }
  sc_host* host() const { return host_; }
  const sc_call* raw() const { return call_; }

 private:
  // Members added after ABI 1.0 exist only when the host's table covers them.
  void require(bool present, const char* what) const {
    if (!present)
      throw Failure(std::string("this sc is too old: ") + what + " needs ABI 1.2, the running sc implements ABI " +
                    std::to_string(api_->abi_major) + "." + std::to_string(api_->abi_minor) + "; upgrade sc");
  }
  // The four NUL-terminated fields of each item of sc_fetch.report.
  static std::vector<FetchItem> parse_report(const char* p, size_t size) {
    std::vector<FetchItem> items;
    std::string fields[4];
    size_t n = 0;
    for (size_t i = 0; p && i < size; ++n) {
      size_t len = std::strlen(p + i);
      fields[n % 4].assign(p + i, len);
      i += len + 1;
      if (n % 4 != 3) continue;
      FetchItem item;
      item.change = fields[0];
      item.checksum = fields[1];
      item.size = std::strtoull(fields[2].c_str(), nullptr, 10);
      item.path = fields[3];
      items.push_back(std::move(item));
    }
    return items;
  }
  void require_peer_services(const char* what) const {
    if (!SC_HAS_MEMBER(api_, sc_host_api, peer_fetch))
      throw Failure(std::string("this sc is too old: ") + what + " needs ABI 1.1, the running sc implements ABI " +
                    std::to_string(api_->abi_major) + "." + std::to_string(api_->abi_minor) + "; upgrade sc");
  }
  // The returned structure points into `o` and the two vectors.
  static sc_run c_run(const RunOptions& o, const std::vector<const char*>& cargv,
                      const std::vector<const char*>& cenv) {
    sc_run r{};
    r.struct_size = sizeof r;
    r.flags = (o.readonly ? SC_RUN_READONLY : 0u) | (o.live ? SC_RUN_LIVE : 0u) |
              (o.capture_out ? SC_RUN_CAPTURE_OUT : 0u) | (o.capture_err ? SC_RUN_CAPTURE_ERR : 0u) |
              (o.secret_args ? SC_RUN_SECRET_ARGS : 0u) | (o.interactive ? SC_RUN_INTERACTIVE : 0u);
    r.argv = cargv.data();
    r.env = o.env.empty() ? nullptr : cenv.data();
    r.cwd = o.cwd.empty() ? nullptr : o.cwd.c_str();
    if (o.input) {
      r.input = o.input->data();
      r.input_size = o.input->size();
    }
    r.timeout_ms = o.timeout_ms;
    return r;
  }

  void check(int rc) const {
    if (rc == SC_OK) return;
    if (rc == SC_USAGE) throw Usage(api_->last_error(host_));
    throw Failure(api_->last_error(host_));
  }
  [[noreturn]] void fail_from_host(const char* what) const {
    throw Failure(std::string(what) + ": " + api_->last_error(host_));
  }
  // The returned structure points into `a`, which outlives the host call.
  static sc_file_attr c_attr(const FileAttr& a) {
    sc_file_attr c{};
    c.struct_size = sizeof c;
    c.mode = a.mode;
    c.owner = a.owner.empty() ? nullptr : a.owner.c_str();
    c.group = a.group.empty() ? nullptr : a.group.c_str();
    c.flags = (a.secret ? SC_FILE_SECRET : 0u) | (a.keep_attrs ? SC_FILE_KEEP_ATTRS : 0u);
    return c;
  }
  std::string ask(int kind, const std::string& prompt, const std::string& def,
                  const std::vector<std::string>& choices) const {
    auto cchoices = detail::c_argv(choices);
    sc_question q{};
    q.struct_size = sizeof q;
    q.kind = kind;
    q.prompt = prompt.c_str();
    q.default_value = def.empty() ? nullptr : def.c_str();
    q.choices = choices.empty() ? nullptr : cchoices.data();
    detail::HostString answer{api_};
    check(api_->ask(host_, &q, &answer.ptr));
    return answer.str();
  }

  const sc_call* call_;
  const sc_host_api* api_;
  sc_host* host_;
  std::vector<std::string> args_;
};

inline void ReadFd::reset() {
  // close() is the only system call the C++ layer makes: it owns the
  // descriptor the host handed over.
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

inline CloneStats Clone::finish(const std::vector<std::string>& skip) {
  auto c_skip = detail::c_argv(skip);
  sc_clone_stats s{};
  s.struct_size = sizeof s;
  sc_clone* c = clone_;
  clone_ = nullptr;  // released by clone_finish in every case
  if (api_->clone_finish(host_, c, 0u, c_skip.data(), &s) != SC_OK) throw Failure(api_->last_error(host_));
  return CloneStats{s.linked, s.copied, s.dirs, s.skipped};
}

namespace detail {

// A message longer than the host's buffer keeps its start and its end
// (where the argument's name and the rule usually are), the middle left
// out, never cutting a UTF-8 sequence.
inline void copy_error(const sc_call* call, const char* msg) {
  if (!call->error || call->error_size == 0) return;
  const std::size_t room = call->error_size - 1, len = std::strlen(msg);
  auto boundary = [msg](std::size_t i) { return (static_cast<unsigned char>(msg[i]) & 0xc0) != 0x80; };
  if (len <= room) {
    std::memcpy(call->error, msg, len + 1);
    return;
  }
  constexpr std::size_t kGapRoom = 48;  // " [... N bytes left out ...] ", N up to 20 digits
  if (room < 2 * kGapRoom) {
    std::size_t h = room;
    while (h > 0 && !boundary(h)) --h;
    std::memcpy(call->error, msg, h);
    call->error[h] = '\0';
    return;
  }
  std::size_t h = (room - kGapRoom) / 2, t = len - (room - kGapRoom - h);
  while (h > 0 && !boundary(h)) --h;
  while (t < len && !boundary(t)) ++t;
  char gap[kGapRoom + 1];
  const int n = std::snprintf(gap, sizeof gap, " [... %zu bytes left out ...] ", t - h);
  const std::size_t g = n > 0 ? static_cast<std::size_t>(n) : 0;
  std::memcpy(call->error, msg, h);
  std::memcpy(call->error + h, gap, g);
  std::memcpy(call->error + h + g, msg + t, len - t);
  call->error[h + g + (len - t)] = '\0';
}

template <class F>
int guarded(const sc_call* call, F&& body) noexcept {
  try {
    return body();
  } catch (const Usage& e) {
    copy_error(call, e.what());
    return SC_USAGE;
  } catch (const std::exception& e) {
    copy_error(call, e.what());
    return SC_FAIL;
  } catch (...) {
    copy_error(call, "unknown exception");
    return SC_FAIL;
  }
}

template <auto Fn>
int trampoline(const sc_call* call) noexcept {
  return guarded(call, [call]() -> int {
    Context ctx(call);
    if constexpr (std::is_void_v<decltype(Fn(ctx))>) {
      Fn(ctx);
      return SC_OK;
    } else {
      return static_cast<int>(Fn(ctx));
    }
  });
}

}  // namespace detail

/// One row of a command table: `sc::command<&fn>("name")`.
template <auto Fn>
constexpr sc_command command(const char* name) {
  return sc_command{name, &detail::trampoline<Fn>};
}

}  // namespace sc

/// Defines the plugin's descriptor and its exported entry point. NAME and
/// VERSION must equal the manifest's "name" and "version".
#define SC_PLUGIN(NAME, VERSION, ...)                                              \
  namespace {                                                                      \
  const sc_command sc_plugin_commands_[] = {__VA_ARGS__};                          \
  const sc_plugin sc_plugin_descriptor_ = {                                        \
      SC_PLUGIN_MAGIC,                                                             \
      SC_ABI_MAJOR,                                                                \
      SC_PLUGIN_ABI_MINOR,                                                         \
      sizeof(sc_plugin),                                                           \
      NAME,                                                                        \
      VERSION,                                                                     \
      sc_plugin_commands_,                                                         \
      static_cast<std::uint32_t>(sizeof sc_plugin_commands_ / sizeof(sc_command)), \
      nullptr,                                                                     \
      nullptr};                                                                    \
  }                                                                                \
  extern "C" SC_EXPORT const sc_plugin* sc_plugin_entry(void) {                    \
    return &sc_plugin_descriptor_;                                                 \
  }

#endif  // SC_PLUGIN_HPP
