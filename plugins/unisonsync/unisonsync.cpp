// unisonsync: two-way synchronisation of a directory with a peer through
// unison (the original's lib/unisonsync), one profile per synchronisation,
// scheduled through crontask.
//
// The original ran unison with `batch` and `prefer = newer` and nothing
// else: when both sides changed a file, the older edit was lost without a
// word. Here a conflict keeps both versions (unison's copyonconflict: the
// newer takes the path, the other is kept beside it), a deletion against
// an edit keeps the edit at its path, and every conflict is recorded in a
// ledger until `resolve` settles it. A root is marked (.sc-unisonsync) and
// unison stops when the mark is missing (mountpoint preference), so a disk
// that is not mounted never makes the other side's files disappear; the
// first sync of a pair is checked first (both roots present, mounted, and
// not one empty against a full one).
//
// unison reaches the peer through OpenSSH with sc's own identity and trust:
// root's keys and the known_hosts file sshlink maintains, BatchMode and
// StrictHostKeyChecking (the sshargs of the common preferences). The checks
// sc makes itself (first sync, versions, conflict copies on the peer) go
// over sc's own SSH session.
#include <pwd.h>
#include <sys/file.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sc/plugin.hpp>
#include <set>
#include <thread>

#include "common/apt_ensure.hpp"
#include "common/peer_name.hpp"
#include "common/status_hook.hpp"
#include "common/target.hpp"
#include "ledger.hpp"
#include "mounts.hpp"
#include "profile.hpp"

namespace {

using json = nlohmann::json;
using unisonsync::Conflict;
using unisonsync::Sync;

const std::string kUnisonDir = unisonsync::kUnisonDir;
const std::string kMarker = unisonsync::kMarker;

std::string profile_path(const std::string& name) {
  return kUnisonDir + "/" + name + ".prf";
}

std::string common_path() {
  return profile_path(unisonsync::kCommonName);
}

std::int64_t now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

/// Errors of sc's calls into other modules: the "error" of their document.
std::string error_of(const std::string& captured) {
  auto doc = json::parse(captured, nullptr, false);
  return doc.is_object() && doc["error"].is_string() ? doc["error"].get<std::string>() : "failed";
}

std::string join_lines(const std::vector<std::string>& lines, const std::string& sep = "\n") {
  std::string out;
  for (const auto& l : lines) out += (out.empty() ? "" : sep) + l;
  return out;
}

// ---- arguments -------------------------------------------------------------------------

std::string checked_path(const std::string& value, const std::string& what) {
  if (auto why = unisonsync::path_problem(value); !why.empty())
    throw sc::Usage(what + " \"" + value + "\" " + why + "; give the absolute path of a directory");
  return unisonsync::normal_path(value);
}

std::string checked_period(const std::string& value) {
  if (!unisonsync::valid_period(value))
    throw sc::Usage("PERIOD \"" + value + "\" is not a period; use fast, hourly, daily, weekly or monthly");
  return value;
}

std::string checked_host(const std::string& value) {
  if (value == "localhost") throw sc::Usage("HOST \"localhost\": a synchronisation needs a peer; name another host");
  return plugin_common::peer_name::checked(value, "HOST");
}

/// HOST REMOTE [LOCAL] [PERIOD] [--fill-empty], as add and start take them.
Sync sync_args(const sc::Context& ctx) {
  std::vector<std::string> words;
  bool fill_empty = false;
  for (const auto& a : ctx.args()) {
    if (a == "--fill-empty")
      fill_empty = true;
    else
      words.push_back(a);
  }
  const std::string usage =
      "usage: sc " + ctx.module() + " " + ctx.command() + " HOST REMOTE [LOCAL] [PERIOD] [--fill-empty]";
  if (words.size() < 2) throw sc::Usage("missing argument; " + usage);
  if (words.size() > 4) throw sc::Usage("too many arguments; " + usage);
  Sync s;
  s.host = checked_host(words[0]);
  s.remote = checked_path(words[1], "REMOTE");
  s.local = s.remote;
  size_t next = 2;
  if (words.size() > next && !words[next].empty() && words[next][0] == '/')
    s.local = checked_path(words[next++], "LOCAL");
  if (words.size() > next) s.period = checked_period(words[next++]);
  if (words.size() > next)
    throw sc::Usage("unexpected argument \"" + words[next] + "\" (LOCAL must be an absolute path); " + usage);
  s.fill_empty = fill_empty;
  return s;
}

/// HOST REMOTE [PERIOD], as del and has take them: the profile's name.
std::string name_args(const sc::Context& ctx) {
  ctx.expect_args(2, 3, "HOST REMOTE [PERIOD]");
  const std::string host = checked_host(ctx.arg(0));
  const std::string remote = checked_path(ctx.arg(1), "REMOTE");
  const std::string period = ctx.args().size() == 3 ? checked_period(ctx.arg(2)) : "";
  return unisonsync::profile_name(host, remote, period);
}

// ---- the host --------------------------------------------------------------------------

/// The SSH directory of the user running sc, as sc's SSH layer takes it:
/// $HOME/.ssh, else the password database's home. It is on this machine
/// whatever --root says (--root confines the target, not who connects),
/// so its files are looked at directly, read-only.
std::string ssh_dir() {
  const char* home = std::getenv("HOME");
  std::string h = home && *home ? home : "";
  if (h.empty())
    if (const passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_dir) h = pw->pw_dir;
  if (h.empty()) h = "/root";
  while (h.size() > 1 && h.back() == '/') h.pop_back();
  return h + "/.ssh";
}

std::string common_text(sc::Context& ctx) {
  const std::string dir = ssh_dir();
  std::vector<std::string> keys;
  for (const char* name : {"id_ed25519", "id_ecdsa", "id_rsa"})
    if (::access((dir + "/" + name).c_str(), R_OK) == 0) keys.push_back(dir + "/" + name);
  const bool config = ::access((dir + "/config").c_str(), R_OK) == 0;
  int timeout = 2;
  try {
    timeout = std::stoi(ctx.setting("SSHLINK_CONNECT_TIMEOUT").value_or("2"));
  } catch (const std::exception&) {
  }
  auto words = unisonsync::ssh_words(dir, keys, config, timeout);
  if (auto why = unisonsync::ssh_words_problem(words); !why.empty())
    throw sc::Failure("cannot tell unison how to reach peers: " + why + " (the SSH directory is " + dir + ")");
  return unisonsync::common_profile(words);
}

/// This host's name, for the ledger.
std::string local_host_name(sc::Context& ctx) {
  if (auto text = ctx.read_file("/etc/hostname")) {
    std::string name = text->substr(0, text->find('\n'));
    if (!name.empty()) return name;
  }
  if (!ctx.rooted()) {
    utsname u{};
    if (::uname(&u) == 0 && u.nodename[0]) return u.nodename;
  }
  return "localhost";
}

/// A target path as a program must see it (the real path under --root).
std::string real_path(const sc::Context& ctx, const std::string& path) {
  if (!ctx.rooted()) return path;
  sc::detail::HostString out{ctx.api()};
  if (ctx.api()->resolve_path(ctx.host(), path.c_str(), &out.ptr) == SC_OK) return out.str();
  std::string root = ctx.root();
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  return root + path;
}

bool unison_installed(const sc::Context& ctx) {
  return plugin_common::apt_ensure::missing_on_target(ctx, {"unison:unison"}).empty();
}

/// The syncs this host has: profile name -> synchronisation.
std::map<std::string, Sync> read_syncs(sc::Context& ctx) {
  std::map<std::string, Sync> out;
  if (!ctx.stat(kUnisonDir, true).is_dir()) return out;
  for (const auto& file : ctx.list_dir(kUnisonDir)) {
    if (file.size() < 5 || file.compare(file.size() - 4, 4, ".prf") != 0) continue;
    const std::string name = file.substr(0, file.size() - 4);
    if (name == unisonsync::kCommonName) continue;
    auto text = ctx.read_file(kUnisonDir + "/" + file);
    auto sync = text ? unisonsync::parse_profile(*text) : std::nullopt;
    if (!sync) {
      ctx.warn(kUnisonDir + "/" + file + " was not written by sc unisonsync: left alone");
      continue;
    }
    if (unisonsync::profile_name(sync->host, sync->remote, sync->period) != name) {
      ctx.warn(kUnisonDir + "/" + file + " describes another synchronisation than its name says: left alone");
      continue;
    }
    out.emplace(name, *sync);
  }
  return out;
}

void write_profile(sc::Context& ctx, const Sync& s) {
  const std::string name = unisonsync::profile_name(s.host, s.remote, s.period);
  ctx.write_file(profile_path(name), unisonsync::sync_profile(s, real_path(ctx, s.local)),
                 sc::FileAttr::with_mode(0644));
}

void make_dirs(sc::Context& ctx) {
  sc::FileAttr keep = sc::FileAttr::with_mode(0755);
  keep.keep_attrs = true;
  ctx.make_dir("/var/lib/sc", keep);
  ctx.make_dir(unisonsync::kStateDir, sc::FileAttr::with_mode(0700));
  ctx.make_dir(kUnisonDir, sc::FileAttr::with_mode(0700));
}

// ---- state and ledger --------------------------------------------------------------------

json read_state(sc::Context& ctx) {
  auto text = ctx.read_file(unisonsync::kStateFile);
  json j = text ? json::parse(*text, nullptr, false) : json::object();
  if (!j.is_object()) j = json::object();
  if (!j.contains("syncs") || !j["syncs"].is_object()) j["syncs"] = json::object();
  return j;
}

void write_state(sc::Context& ctx, const json& state) {
  ctx.write_file(unisonsync::kStateFile, state.dump(1, ' ', false, json::error_handler_t::replace) + "\n",
                 sc::FileAttr::with_mode(0600));
}

std::vector<Conflict> read_ledger(sc::Context& ctx) {
  auto text = ctx.read_file(unisonsync::kLedgerFile);
  if (!text) return {};
  auto ledger = unisonsync::parse_ledger(*text);
  if (!ledger)
    throw sc::Failure(std::string(unisonsync::kLedgerFile) +
                      " is damaged; fix it or move it away (the conflict copies stay in the synchronised trees)");
  return *ledger;
}

void write_ledger(sc::Context& ctx, const std::vector<Conflict>& ledger) {
  ctx.write_file(unisonsync::kLedgerFile, unisonsync::ledger_text(ledger), sc::FileAttr::with_mode(0600));
}

/// One run at a time per synchronisation: held for the object's life.
class SyncLock {
 public:
  SyncLock(sc::Context& ctx, const std::string& name) {
    if (ctx.dry_run()) return;
    sc::FileAttr keep = sc::FileAttr::with_mode(0700);
    keep.keep_attrs = true;
    ctx.make_dir(unisonsync::kLockDir, keep);
    const std::string lock = std::string(unisonsync::kLockDir) + "/" + name + ".lock";
    if (!ctx.stat(lock).exists()) ctx.write_file(lock, "", sc::FileAttr::with_mode(0600));
    // A lock, the one kind of file this module touches itself: flock() on
    // a descriptor the host opened under its root.
    fd_ = ctx.open_read(lock);
    long wait = 600;
    try {
      wait = std::stol(ctx.setting("UNISONSYNC_LOCK_WAIT").value_or("600"));
    } catch (const std::exception&) {
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait);
    bool told = false;
    while (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
      if (std::chrono::steady_clock::now() >= deadline)
        throw sc::Failure("another run of " + name + " is still going on (lock " + lock +
                          "); try again later, or raise UNISONSYNC_LOCK_WAIT");
      if (!told) ctx.info("waiting for the run of " + name + " in progress to finish");
      told = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

 private:
  sc::ReadFd fd_;  // closing it releases the lock
};

// ---- the peer ----------------------------------------------------------------------------

sc::RunOptions reading() {
  sc::RunOptions o;
  o.readonly = o.capture_out = o.capture_err = true;
  return o;
}

std::string first_line(const std::string& s) {
  std::string l = s.substr(0, s.find('\n'));
  while (!l.empty() && (l.back() == '\r' || l.back() == ' ')) l.pop_back();
  return l;
}

std::string local_unison_version(sc::Context& ctx) {
  sc::RunResult r = ctx.run({"unison", "-version"}, reading());
  std::string v = unisonsync::unison_version(r.out);
  if (v.empty())
    throw sc::Failure("cannot tell the version of unison on this host (`unison -version`: " +
                      first_line(r.out + r.err) + "); install it with sc unisonsync setup");
  return v;
}

/// The unison version `command -version` reports on the peer; "" when it
/// does not run there, with *why saying what happened.
std::string peer_unison_version(sc::Context& ctx, const std::string& host, const std::string& command,
                                std::string* why) {
  sc::RunResult r = ctx.peer_run(host, {command, "-version"}, reading());
  std::string v = unisonsync::unison_version(r.out);
  if (v.empty())
    *why = r.exit_code == 127 ? command + " is not installed" : first_line(r.err + r.out + ctx.last_error());
  return v;
}

/// Refuses a peer whose unison is of another series than ours (unison
/// needs the same one on both sides), naming both versions; installs it on
/// a peer running sc that has none.
void check_peer_unison(sc::Context& ctx, const std::string& host) {
  const std::string mine = local_unison_version(ctx);
  const std::string series = unisonsync::unison_series(mine);
  const std::string versioned = "unison-" + series;  // what addversionno makes unison run there
  std::string why;
  std::string theirs = peer_unison_version(ctx, host, versioned, &why);
  if (!theirs.empty() && unisonsync::unison_series(theirs) == series) return;
  std::string any_why;
  std::string any = peer_unison_version(ctx, host, "unison", &any_why);
  if (!any.empty() && unisonsync::unison_series(any) != series)
    throw sc::Failure(host + " runs unison " + any + " (series " + unisonsync::unison_series(any) +
                      ") and this host unison " + mine + " (series " + series +
                      "): unison needs the same series on both sides; install unison " + series + " on " + host +
                      " (Debian package unison-" + series + "), or the same version here");
  if (any.empty() && !ctx.dry_run()) {
    // No unison there: a peer running sc installs it as its setup would.
    ctx.info("installing unison on " + host);
    try {
      sc::CallResult r = ctx.peer_sc(host, {"aptpackage", "ensure", "unison:unison"});
      if (r.status == SC_OK) theirs = peer_unison_version(ctx, host, versioned, &why);
    } catch (const sc::Failure& e) {
      why = e.what();
    }
    if (!theirs.empty() && unisonsync::unison_series(theirs) == series) return;
  }
  throw sc::Failure("unison " + series + " does not run on " + host + " (" + (why.empty() ? any_why : why) +
                    "); install it there (apt-get install unison; its unison-" + series + " command is what runs)");
}

// ---- the first sync ------------------------------------------------------------------------

/// Before the first sync of a pair of roots: both must exist, neither may
/// be a mount point of /etc/fstab that is not mounted, and one empty side
/// against a full one is refused unless the synchronisation allows it.
void first_sync_checks(sc::Context& ctx, const std::string& name, const Sync& s) {
  const std::string here = local_host_name(ctx);
  sc::PathInfo info = ctx.stat(s.local, true);
  if (!info.exists())
    throw sc::Failure("first sync of " + name + " refused: " + s.local + " does not exist on " + here +
                      "; create it (or mount it) first");
  if (!info.is_dir())
    throw sc::Failure("first sync of " + name + " refused: " + s.local + " on " + here + " is not a directory");
  auto fstab = unisonsync::fstab_mount_points(ctx.read_file("/etc/fstab").value_or(""));
  // /proc is the live system's: under --root it does not describe the
  // target, and the check is left out.
  if (!ctx.rooted()) {
    auto mounted = unisonsync::mounted_points(ctx.read_file("/proc/self/mountinfo").value_or(""));
    if (auto m = unisonsync::unmounted_mount_point(fstab, mounted, s.local))
      throw sc::Failure("first sync of " + name + " refused: " + s.local + " is on " + *m +
                        ", which /etc/fstab mounts but is not mounted on " + here + "; mount it (mount " + *m +
                        ") and run again. Syncing now would fill the directory under it");
  }
  const auto names = ctx.list_dir(s.local);
  const bool local_empty = std::none_of(names.begin(), names.end(), [](const std::string& n) { return n != kMarker; });

  sc::RunResult r = ctx.peer_run(s.host, unisonsync::probe_root_argv(s.remote), reading());
  if (!r.ok()) {
    std::string why = first_line(r.err);
    if (why.empty()) why = ctx.last_error();
    throw sc::Failure("first sync of " + name + " refused: " + s.remote + " on " + s.host + " cannot be read (" + why +
                      "); create it there (or mount it) first");
  }
  const bool remote_empty = r.out.empty();
  sc::RunResult peer_fstab = ctx.peer_run(s.host, {"cat", "/etc/fstab"}, reading());
  sc::RunResult peer_mounts = ctx.peer_run(s.host, {"cat", "/proc/self/mountinfo"}, reading());
  if (peer_mounts.ok()) {
    auto m = unisonsync::unmounted_mount_point(unisonsync::fstab_mount_points(peer_fstab.ok() ? peer_fstab.out : ""),
                                               unisonsync::mounted_points(peer_mounts.out), s.remote);
    if (m)
      throw sc::Failure("first sync of " + name + " refused: " + s.remote + " is on " + *m + ", which /etc/fstab of " +
                        s.host + " mounts but is not mounted there; mount it and run again");
  }
  if (local_empty != remote_empty && !s.fill_empty) {
    const std::string empty_side = local_empty ? s.local + " on " + here : s.remote + " on " + s.host;
    const std::string full_side = local_empty ? s.remote + " on " + s.host : s.local + " on " + here;
    throw sc::Failure("first sync of " + name + " refused: " + empty_side + " is empty while " + full_side +
                      " is not. An empty side is often a disk that is not mounted: nothing was synchronised. Mount "
                      "it, or, if it is meant to be filled from the other side, run `sc unisonsync start " +
                      s.host + " " + s.remote + " " + s.local + (s.period.empty() ? "" : " " + s.period) +
                      " --fill-empty`");
  }
}

/// The marker at the top of both roots (unison's mountpoint).
void mark_roots(sc::Context& ctx, const Sync& s) {
  const std::string local_marker = s.local + "/" + kMarker;
  if (!ctx.stat(local_marker).exists()) ctx.write_file(local_marker, "", sc::FileAttr::with_mode(0644));
  sc::RunOptions o;
  o.capture_out = o.capture_err = true;
  sc::RunResult r = ctx.peer_run(s.host, unisonsync::mark_root_argv(s.remote), o);
  if (!r.ok())
    throw sc::Failure("cannot mark " + s.remote + " on " + s.host + " (" + first_line(r.err + ctx.last_error()) + ")");
}

// ---- conflicts after a run -------------------------------------------------------------------

struct Side {
  bool peer;
  std::vector<unisonsync::Found> found;
};

/// The copies unison's copyonconflict made on this run, each recorded in
/// the ledger; a deletion against an edit is put back at its path. Returns
/// the conflicts recorded.
std::vector<Conflict> record_conflicts(sc::Context& ctx, const std::string& name, const Sync& s,
                                       const std::string& listing) {
  const std::string local_real = real_path(ctx, s.local);
  std::vector<Side> sides;
  sc::RunResult here = ctx.run(unisonsync::find_copies_argv(local_real), reading());
  sides.push_back({false, unisonsync::parse_found(here.out)});
  if (!here.ok() && sides[0].found.empty()) ctx.warn("cannot look for conflict copies here: " + first_line(here.err));
  sc::RunResult there = ctx.peer_run(s.host, unisonsync::find_copies_argv(s.remote), reading());
  sides.push_back({true, unisonsync::parse_found(there.out)});
  if (!there.ok() && sides[1].found.empty())
    ctx.warn("cannot look for conflict copies on " + s.host + ": " + first_line(there.err + ctx.last_error()));

  auto ledger = read_ledger(ctx);
  std::set<std::string> known;
  for (const auto& c : ledger)
    if (c.sync == name && !c.copy.empty()) known.insert(c.copy);
  const std::string here_name = local_host_name(ctx);
  std::vector<Conflict> added;
  for (const auto& side : sides) {
    for (const auto& f : side.found) {
      const size_t slash = f.path.rfind('/');
      auto copy = unisonsync::parse_copy_name(slash == std::string::npos ? f.path : f.path.substr(slash + 1));
      if (!copy) continue;
      const std::string path = unisonsync::original_path(f.path, *copy);
      if (!unisonsync::listing_shows_conflict(listing, path) || known.count(f.path)) continue;
      if (!unisonsync::valid_utf8(f.path)) {
        ctx.warn("a conflict on a path that is not UTF-8 kept both versions but is not recorded: " + f.path);
        continue;
      }
      Conflict c;
      c.sync = name;
      c.path = path;
      c.local_root = s.local;
      c.remote_root = s.remote;
      c.local_host = here_name;
      c.remote_host = s.host;
      c.found = now();
      if (copy->was_deleted) {
        // That side had deleted the path and the other changed it: unison
        // put the change beside the path. Back to its path, so the change
        // stays (the next run would otherwise delete it on the other side).
        c.kind = side.peer ? "deleted-there" : "deleted-here";
        c.kept = side.peer ? "local" : "remote";
        (side.peer ? c.local_time : c.remote_time) = f.mtime;
        if (side.peer) {
          sc::RunOptions o;
          o.capture_out = o.capture_err = true;
          sc::RunResult mv = ctx.peer_run(s.host, unisonsync::put_back_argv(s.remote, f.path, path), o);
          if (!mv.ok()) ctx.warn("cannot put " + path + " back on " + s.host + ": " + first_line(mv.err));
        } else if (!ctx.stat(s.local + "/" + path).exists()) {
          ctx.rename(s.local + "/" + f.path, s.local + "/" + path);
        }
        sc::PathInfo p = ctx.stat(s.local + "/" + path);
        c.path_size = p.is_file() ? static_cast<std::int64_t>(p.size) : -1;
        c.path_mtime = p.mtime;
      } else {
        // This side's version lost: the copy holds it, the path the other's.
        c.kind = "both-changed";
        c.kept = side.peer ? "local" : "remote";
        c.copy = f.path;
        c.copy_hosts = {side.peer ? s.host : here_name};
        sc::PathInfo p = ctx.stat(s.local + "/" + path);
        (side.peer ? c.remote_time : c.local_time) = f.mtime;
        (side.peer ? c.local_time : c.remote_time) = p.mtime;
        c.path_size = p.is_file() ? static_cast<std::int64_t>(p.size) : -1;
        c.path_mtime = p.mtime;
        c.copy_size = f.type == 'f' ? f.size : -1;
        c.copy_mtime = f.mtime;
      }
      known.insert(f.path);
      added.push_back(c);
    }
  }
  if (!added.empty()) {
    ledger.insert(ledger.end(), added.begin(), added.end());
    write_ledger(ctx, ledger);
  }
  return added;
}

/// After the last pass: where the copies recorded by this run are now.
void settle_copy_hosts(sc::Context& ctx, std::vector<Conflict>& added, bool synced) {
  if (added.empty()) return;
  auto ledger = read_ledger(ctx);
  for (auto& c : added) {
    if (c.copy.empty()) continue;
    std::vector<std::string> hosts;
    if (ctx.stat(c.local_copy()).exists()) hosts.push_back(c.local_host);
    if (synced || c.copy_hosts == std::vector<std::string>{c.remote_host}) hosts.push_back(c.remote_host);
    c.copy_hosts = hosts;
    for (auto& l : ledger)
      if (l.sync == c.sync && l.copy == c.copy) l.copy_hosts = hosts;
  }
  write_ledger(ctx, ledger);
}

// ---- a run -----------------------------------------------------------------------------------

struct RunOutcome {
  int status = -1;  ///< unison's last exit status (-1: not run)
  std::string summary;
  std::vector<std::string> messages;
  std::vector<Conflict> conflicts;
};

/// Why a fatal run failed, in words an administrator can act on.
std::string fatal_reason(sc::Context& ctx, const std::string& name, const Sync& s, const RunOutcome& o) {
  const std::string status = "unison ended with status 3 (" + unisonsync::unison_status_text(3) + "): ";
  const std::string text = join_lines(o.messages, "; ");
  if (text.find("is designated as a mountpoint, but points to nothing") != std::string::npos)
    return status + "a root of " + name + " lacks its marker " + kMarker + " (" + text +
           "): that directory is probably not mounted, or was emptied. Nothing was synchronised, nothing deleted. "
           "Mount it and run again; if it is really to start afresh, `sc unisonsync del` the synchronisation and "
           "add it again (its first sync is then checked again)";
  // A dead link or another unison on the peer: say which.
  std::string why;
  try {
    check_peer_unison(ctx, s.host);
  } catch (const sc::Failure& e) {
    why = status + e.what() + " (unison: " + text + ")";
  }
  if (!why.empty()) return why;
  return status + (text.empty() ? std::string("no message") : text);
}

RunOutcome run_sync(sc::Context& ctx, const std::string& name, const Sync& s) {
  if (!unison_installed(ctx)) throw sc::Failure("unison is not installed here; run sc unisonsync setup");
  make_dirs(ctx);
  ctx.write_file(common_path(), common_text(ctx), sc::FileAttr::with_mode(0644));
  write_profile(ctx, s);
  SyncLock lock(ctx, name);

  json state = read_state(ctx);
  json& entry = state["syncs"][name];
  if (!entry.is_object()) entry = json::object();
  RunOutcome out;
  json last = {{"started", now()}};
  auto finish = [&](bool ok, const std::string& message) {
    last["finished"] = now();
    last["ok"] = ok;
    last["unison_status"] = out.status >= 0 ? json(out.status) : json(nullptr);
    last["summary"] = out.summary;
    last["message"] = message;
    entry["last_run"] = last;
    write_state(ctx, state);
  };
  // A first sync ignores unison's archives: one left by an earlier
  // synchronisation of the same roots (deleted, then added again, or a
  // root emptied and refilled meanwhile) would take what one side lacks
  // for deletions to make on the other. Without them unison only copies,
  // and what differs is a conflict (both versions kept).
  const bool first = !entry.value("established", false);
  try {
    if (first) {
      first_sync_checks(ctx, name, s);
      mark_roots(ctx, s);
    }
  } catch (const sc::Failure& e) {
    finish(false, e.what());
    throw;
  }

  sc::RunOptions o;
  o.capture_out = o.capture_err = true;
  o.env = {"UNISON=" + real_path(ctx, kUnisonDir)};
  for (int pass = 1; pass <= 3; ++pass) {
    std::vector<std::string> argv = unisonsync::unison_argv(name);
    if (first && pass == 1) argv.push_back("-ignorearchives");
    sc::RunResult r = ctx.run(argv, o);
    if (!r.ran) {
      ctx.print(name + ": would synchronise " + s.local + " with " + s.host + ":" + s.remote + "\n");
      return out;
    }
    out.status = r.exit_code >= 0 ? r.exit_code : 3;
    out.messages = unisonsync::unison_messages(r.out, r.err);
    out.summary = unisonsync::unison_summary(r.err);
    if (r.exit_code < 0) out.messages.push_back("unison was killed by signal " + std::to_string(r.term_signal));
    for (const auto& line : out.messages) ctx.debug(name + ": " + line);
    if (out.status > 2) break;
    entry["established"] = true;
    if (!unisonsync::listing_has_conflict(r.out)) break;
    auto added = record_conflicts(ctx, name, s, r.out);
    out.conflicts.insert(out.conflicts.end(), added.begin(), added.end());
    if (added.empty()) break;
    // Again, so that the copies and the edits put back reach the other side.
  }
  settle_copy_hosts(ctx, out.conflicts, out.status == 0);
  for (const auto& c : out.conflicts)
    ctx.warn(name + ": conflict on " + c.local_path() +
             (c.kind == "both-changed" ? ": both versions kept (the other one is " + c.local_copy() + ")"
                                       : ": deleted on one side, changed on the other: the change was kept") +
             "; see sc unisonsync conflicts");
  if (out.status == 0) {
    finish(true, "");
    return out;
  }
  std::string message = out.status == 3
                            ? fatal_reason(ctx, name, s, out)
                            : "unison ended with status " + std::to_string(out.status) + " (" +
                                  unisonsync::unison_status_text(out.status) + "): " + join_lines(out.messages, "; ");
  finish(false, message);
  throw sc::Failure(name + ": " + message);
}

json outcome_json(const std::string& name, const RunOutcome& o) {
  json conflicts = json::array();
  for (const auto& c : o.conflicts) conflicts.push_back(json::parse(unisonsync::conflict_json(c)));
  return {{"sync", name},
          {"unison_status", o.status >= 0 ? json(o.status) : json(nullptr)},
          {"summary", o.summary},
          {"conflicts", conflicts}};
}

// ---- scheduling ------------------------------------------------------------------------------

/// The cron task of each period in use (crontask's one per module and
/// period), and none for a period no longer used.
void schedule(sc::Context& ctx, const std::map<std::string, Sync>& syncs) {
  std::set<std::string> used;
  for (const auto& [name, s] : syncs)
    if (!s.period.empty()) used.insert(s.period);
  for (const char* p : unisonsync::kPeriods) {
    const bool has = ctx.call("crontask", "has", {"unisonsync", p}).status == SC_OK;
    if (used.count(p) && !has) {
      sc::CallResult r = ctx.call("crontask", "add", {"unisonsync", p});
      if (r.status != SC_OK)
        throw sc::Failure(std::string("could not add the ") + p + " cron task: " + error_of(r.json));
    } else if (!used.count(p) && has) {
      sc::CallResult r = ctx.call("crontask", "del", {"unisonsync", p});
      if (r.status != SC_OK)
        throw sc::Failure(std::string("could not remove the ") + p + " cron task: " + error_of(r.json));
    }
  }
}

// ---- commands ----------------------------------------------------------------------------------

void install(sc::Context& ctx) {
  plugin_common::apt_ensure::ensure(ctx, {"unison:unison"});
  make_dirs(ctx);
  ctx.write_file(common_path(), common_text(ctx), sc::FileAttr::with_mode(0644));
}

void setup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  install(ctx);
  schedule(ctx, read_syncs(ctx));
}

void cleanup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  sc::CallResult r = ctx.call("crontask", "del", {"unisonsync"});
  if (r.status != SC_OK) throw sc::Failure("could not remove the cron tasks: " + error_of(r.json));
  ctx.remove(common_path());
  ctx.info("the profiles, the conflict ledger and the synchronised data are kept");
}

int ready(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  std::vector<std::string> reasons;
  if (!unison_installed(ctx)) reasons.push_back("unison is not installed (sc unisonsync setup)");
  auto common = ctx.read_file(common_path());
  std::string expected;
  try {
    expected = common_text(ctx);
  } catch (const sc::Failure& e) {
    reasons.push_back(e.what());
  }
  if (!common || (!expected.empty() && *common != expected))
    reasons.push_back(common_path() + " is missing or outdated (sc unisonsync setup)");
  std::set<std::string> periods;
  for (const auto& [name, s] : read_syncs(ctx))
    if (!s.period.empty()) periods.insert(s.period);
  for (const auto& p : periods)
    if (ctx.call("crontask", "has", {"unisonsync", p}).status != SC_OK)
      reasons.push_back("the " + p + " cron task is missing (sc unisonsync setup)");
  std::vector<Conflict> ledger;
  try {
    ledger = read_ledger(ctx);
  } catch (const sc::Failure& e) {
    reasons.push_back(e.what());
  }
  if (!ledger.empty())
    reasons.push_back(std::to_string(ledger.size()) + " unresolved conflict" + (ledger.size() == 1 ? "" : "s") +
                      " (sc unisonsync conflicts)");
  std::string text;
  for (const auto& r : reasons) text += "not ready: " + r + "\n";
  ctx.print(text);
  ctx.result(json{{"ready", reasons.empty()}, {"reasons", reasons}, {"conflicts", ledger.size()}}.dump());
  return reasons.empty() ? SC_OK : SC_FAIL;
}

void add_sync(sc::Context& ctx, const Sync& s, bool quiet) {
  if (!unison_installed(ctx) || !ctx.read_file(common_path())) install(ctx);
  ctx.link_peer(s.host);
  if (!ctx.dry_run() || unison_installed(ctx)) check_peer_unison(ctx, s.host);
  make_dirs(ctx);
  const std::string name = unisonsync::profile_name(s.host, s.remote, s.period);
  auto before = read_syncs(ctx);
  if (auto it = before.find(name); it != before.end() && it->second.local != s.local) {
    // Another local root: its first sync is checked as a first sync.
    json state = read_state(ctx);
    if (state["syncs"].contains(name)) {
      state["syncs"].erase(name);
      write_state(ctx, state);
    }
  }
  write_profile(ctx, s);
  auto syncs = read_syncs(ctx);
  if (ctx.dry_run()) syncs[unisonsync::profile_name(s.host, s.remote, s.period)] = s;
  schedule(ctx, syncs);
  if (!quiet)
    ctx.print(unisonsync::profile_name(s.host, s.remote, s.period) + ": " + s.local + " <-> " + s.host + ":" +
              s.remote + (s.period.empty() ? " (run it with sc unisonsync start)" : ", " + s.period) + "\n");
}

void add(sc::Context& ctx) {
  Sync s = sync_args(ctx);
  add_sync(ctx, s, false);
}

void del(sc::Context& ctx) {
  const std::string name = name_args(ctx);
  auto syncs = read_syncs(ctx);
  if (!syncs.count(name)) return ctx.print("no synchronisation " + name + "\n");
  ctx.remove(profile_path(name));
  syncs.erase(name);
  json state = read_state(ctx);
  if (state["syncs"].contains(name)) {
    state["syncs"].erase(name);
    write_state(ctx, state);
  }
  schedule(ctx, syncs);
  ctx.info("the synchronised data, unison's archives and the recorded conflicts are kept");
}

int has(sc::Context& ctx) {
  const std::string name = name_args(ctx);
  const bool found = read_syncs(ctx).count(name) > 0;
  ctx.result(found ? "true" : "false");
  return found ? SC_OK : SC_FAIL;
}

void list(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  json state = read_state(ctx);
  std::vector<Conflict> ledger;
  try {
    ledger = read_ledger(ctx);
  } catch (const sc::Failure& e) {
    ctx.warn(e.what());
  }
  json out = json::array();
  std::string text;
  for (const auto& [name, s] : read_syncs(ctx)) {
    const json st = state["syncs"].value(name, json::object());
    const json last = st.value("last_run", json());
    size_t conflicts = std::count_if(ledger.begin(), ledger.end(), [&](const Conflict& c) { return c.sync == name; });
    json row = {{"profile", name},
                {"host", s.host},
                {"remote", s.remote},
                {"local", s.local},
                {"period", s.period.empty() ? json(nullptr) : json(s.period)},
                {"fill_empty", s.fill_empty},
                {"established", st.value("established", false)},
                {"last_run", last.is_object() ? last : json(nullptr)},
                {"conflicts", conflicts}};
    out.push_back(row);
    std::string when = "never run";
    if (last.is_object()) {
      when = "last run " + unisonsync::iso_time(last.value("finished", std::int64_t{0}));
      when += last.value("ok", false) ? ": ok" : ": FAILED: " + last.value("message", std::string());
    }
    text += name + "\t" + s.local + " <-> " + s.host + ":" + s.remote + "\t" +
            (s.period.empty() ? std::string("manual") : s.period) + "\t" + when +
            (conflicts ? "\t" + std::to_string(conflicts) + " unresolved conflict(s)" : std::string()) + "\n";
  }
  ctx.print(text);
  ctx.result(out.dump(-1, ' ', false, json::error_handler_t::replace));
}

void start(sc::Context& ctx) {
  Sync s = sync_args(ctx);
  const std::string name = unisonsync::profile_name(s.host, s.remote, s.period);
  auto syncs = read_syncs(ctx);
  auto it = syncs.find(name);
  if (it == syncs.end() || it->second.local != s.local || (s.fill_empty && !it->second.fill_empty)) {
    add_sync(ctx, s, true);
  } else {
    s.fill_empty = it->second.fill_empty;
  }
  RunOutcome o = run_sync(ctx, name, s);
  if (o.status == 0) ctx.print(name + ": " + (o.summary.empty() ? "synchronised" : o.summary) + "\n");
  ctx.result(outcome_json(name, o).dump(-1, ' ', false, json::error_handler_t::replace));
}

int cron(sc::Context& ctx) {
  ctx.expect_args(1, 1, "PERIOD");
  const std::string period = checked_period(ctx.arg(0));
  int failures = 0;
  for (const auto& [name, s] : read_syncs(ctx)) {
    if (s.period != period) continue;
    try {
      RunOutcome o = run_sync(ctx, name, s);
      ctx.info(name + ": " + (o.summary.empty() ? "synchronised" : o.summary));
    } catch (const sc::Usage&) {
      throw;
    } catch (const std::exception& e) {
      ctx.log(SC_LOG_ERROR, e.what());
      ++failures;
    }
  }
  return failures ? SC_FAIL : SC_OK;
}

void conflicts(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  json out = json::array();
  std::string text;
  for (const auto& c : read_ledger(ctx)) {
    out.push_back(json::parse(unisonsync::conflict_json(c)));
    text += unisonsync::conflict_text(c);
  }
  ctx.print(text);
  ctx.result(out.dump(-1, ' ', false, json::error_handler_t::replace));
}

/// Hook `status [local]` (sc status): every synchronisation with the
/// paths of its unresolved conflicts (the ledger `conflicts` reads), and a
/// warning for each that has some. Reads only; contacts no peer, so
/// `local` changes nothing.
void status(sc::Context& ctx) {
  ctx.expect_args(0, 1, "[local]");
  if (ctx.args().size() == 1 && ctx.arg(0) != "local")
    throw sc::Usage("argument \"" + ctx.arg(0) + "\" is not \"local\"; usage: sc unisonsync status [local]");
  json problems = json::array();
  std::vector<Conflict> ledger;
  try {
    ledger = read_ledger(ctx);
  } catch (const sc::Failure& e) {
    problems.push_back(plugin_common::status_hook::to_json({"error", e.what(), ""}));
  }
  // Every synchronisation, and those the ledger still names after a `del`.
  std::map<std::string, std::vector<std::string>> by_sync;
  for (const auto& [name, s] : read_syncs(ctx)) by_sync[name];
  for (const auto& c : ledger) by_sync[c.sync].push_back(c.local_path());
  json profiles = json::array();
  std::string text;
  for (const auto& [name, paths] : by_sync) {
    profiles.push_back({{"name", name}, {"conflicts", paths}});
    if (paths.empty()) continue;
    const auto w = unisonsync::conflict_warning(name, paths);
    problems.push_back(plugin_common::status_hook::to_json({"warning", w.what, w.fix}));
    text += w.what + "\n";
  }
  if (text.empty()) text = by_sync.empty() ? "no synchronisation\n" : "no unresolved conflict\n";
  ctx.print(text);
  ctx.result(json{{"problems", problems}, {"facts", {{"profiles", profiles}}}}.dump(-1, ' ', false,
                                                                                    json::error_handler_t::replace));
}

/// True when the local file at `path` is as recorded (size -1: not a file
/// when recorded, only its presence counts).
bool unchanged(sc::Context& ctx, const std::string& path, std::int64_t size, std::int64_t mtime) {
  sc::PathInfo p = ctx.stat(path);
  if (!p.exists()) return false;
  if (size < 0) return true;
  return p.is_file() && static_cast<std::int64_t>(p.size) == size && p.mtime == mtime;
}

void resolve(sc::Context& ctx) {
  ctx.expect_args(2, 2, "PATH keep-local|keep-remote|keep-both");
  const std::string& path = ctx.arg(0);
  if (path.empty() || path[0] != '/')
    throw sc::Usage("PATH \"" + path +
                    "\" is not absolute; give this host's path of the file (sc unisonsync conflicts)");
  auto choice = unisonsync::parse_choice(ctx.arg(1));
  if (!choice) throw sc::Usage("\"" + ctx.arg(1) + "\" is not a choice; use keep-local, keep-remote or keep-both");
  auto ledger = read_ledger(ctx);
  auto it = std::find_if(ledger.begin(), ledger.end(), [&](const Conflict& c) {
    return c.local_path() == path || (!c.copy.empty() && c.local_copy() == path);
  });
  if (it == ledger.end())
    throw sc::Usage("PATH \"" + path + "\" has no unresolved conflict; see sc unisonsync conflicts");
  const Conflict c = *it;
  std::vector<unisonsync::Step> steps;
  {
    SyncLock lock(ctx, c.sync);
    if (*choice != unisonsync::Choice::keep_both) {
      const bool path_ok = unchanged(ctx, c.local_path(), c.path_size, c.path_mtime);
      const bool copy_here = !c.copy.empty() && ctx.stat(c.local_copy()).exists();
      if (!path_ok || (copy_here && !unchanged(ctx, c.local_copy(), c.copy_size, c.copy_mtime)))
        throw sc::Failure(c.local_path() +
                          " (or its other version) changed since the conflict was recorded: nothing was done, so "
                          "that no edit is lost; compare the versions, settle them by hand, then `sc unisonsync "
                          "resolve PATH keep-both` forgets the conflict");
      bool copy_there = false;
      if (!copy_here && !c.copy.empty()) {
        sc::RunResult t = ctx.peer_run(c.remote_host, {"test", "-e", c.remote_copy()}, reading());
        copy_there = t.ok();
      }
      try {
        steps = unisonsync::resolution_steps(c, *choice, real_path(ctx, c.local_root), copy_here, copy_there);
      } catch (const std::runtime_error& e) {
        throw sc::Failure(c.local_path() + ": " + e.what() + "; nothing was done");
      }
      for (const auto& step : steps) {
        sc::RunOptions o;
        o.capture_out = o.capture_err = true;
        sc::RunResult r = step.on_peer ? ctx.peer_run(c.remote_host, step.argv, o) : ctx.run(step.argv, o);
        if (!r.ok())
          throw sc::Failure("resolving " + c.local_path() + " failed on " +
                            (step.on_peer ? c.remote_host : c.local_host) + ": " + step.argv[0] + ": " +
                            first_line(r.err + ctx.last_error()));
      }
    }
    ledger.erase(std::find_if(ledger.begin(), ledger.end(), [&](const Conflict& x) {
      return x.sync == c.sync && x.path == c.path && x.copy == c.copy;
    }));
    write_ledger(ctx, ledger);
  }
  ctx.print(c.local_path() + ": " + ctx.arg(1) + "\n");
  if (steps.empty()) return;
  auto syncs = read_syncs(ctx);
  auto s = syncs.find(c.sync);
  if (s == syncs.end()) {
    ctx.warn("the synchronisation " + c.sync + " no longer exists: the change stays on this host");
    return;
  }
  try {
    run_sync(ctx, c.sync, s->second);
  } catch (const sc::Failure& e) {
    ctx.warn(std::string("resolved here; the synchronisation failed and its next run carries it over: ") + e.what());
  }
}

/// Hook `files`: the profiles (not _common.prf, which is this host's own).
void files(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  json out = json::array();
  std::string text;
  for (const auto& [name, s] : read_syncs(ctx)) {
    out.push_back(profile_path(name));
    text += profile_path(name) + "\n";
  }
  ctx.print(text);
  ctx.result(out.dump());
}

/// Hook `sync HOST MODE`: a standby or roaming host takes HOST's syncs.
void sync_hook(sc::Context& ctx) {
  ctx.expect_args(2, 2, "HOST MODE");
  const std::string host = checked_host(ctx.arg(0));
  const std::string& mode = ctx.arg(1);
  static const std::set<std::string> kModes = {"master", "standby", "backup", "client", "roaming"};
  if (!kModes.count(mode))
    throw sc::Usage("MODE \"" + mode + "\" is not a mode; use master, standby, backup, client or roaming");
  if (mode == "master" || mode == "backup" || mode == "client") return;
  if (!unison_installed(ctx) || !ctx.read_file(common_path())) install(ctx);
  sc::CallResult r = ctx.call("files", "pull", {"unisonsync", host});
  if (r.status != SC_OK) throw sc::Failure("cannot copy the synchronisations of " + host + ": " + error_of(r.json));
  // Each profile as this host writes it (its own path to the local root).
  auto syncs = read_syncs(ctx);
  for (const auto& [name, s] : syncs) write_profile(ctx, s);
  schedule(ctx, syncs);
}

/// Hook `restore SOURCE`: the profiles of a backup, then their schedule.
/// The run state is not restored: each first sync is checked again.
void restore(sc::Context& ctx) {
  ctx.expect_args(1, 1, "SOURCE");
  const std::string& source = ctx.arg(0);
  if (auto why = unisonsync::path_problem(source); !why.empty())
    throw sc::Usage("SOURCE \"" + source + "\" " + why + "; give the directory of a backup (holding fs/)");
  const std::string dir = unisonsync::normal_path(source) + "/fs" + kUnisonDir;
  std::vector<Sync> found;
  if (ctx.stat(dir, true).is_dir()) {
    for (const auto& file : ctx.list_dir(dir)) {
      if (file.size() < 5 || file.compare(file.size() - 4, 4, ".prf") != 0 ||
          file == std::string(unisonsync::kCommonName) + ".prf")
        continue;
      auto text = ctx.read_file(dir + "/" + file);
      if (auto s = text ? unisonsync::parse_profile(*text) : std::nullopt)
        found.push_back(*s);
      else
        ctx.warn(dir + "/" + file + " is not a profile of sc unisonsync: not restored");
    }
  }
  if (found.empty()) return ctx.print("the backup holds no synchronisation\n");
  install(ctx);
  json state = read_state(ctx);
  for (const auto& s : found) {
    write_profile(ctx, s);
    state["syncs"].erase(unisonsync::profile_name(s.host, s.remote, s.period));
  }
  write_state(ctx, state);
  schedule(ctx, read_syncs(ctx));
  for (const auto& s : found) {
    std::string why;
    if (!ctx.dry_run() && !ctx.peer_linked(s.host, &why))
      ctx.warn(s.host + " cannot be reached now (" + why + "): its synchronisations wait for it");
  }
  ctx.print("restored " + std::to_string(found.size()) + " synchronisation(s)\n");
}

}  // namespace

SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION, sc::command<&setup>("setup"), sc::command<&cleanup>("cleanup"),
          sc::command<&ready>("ready"), sc::command<&add>("add"), sc::command<&del>("del"), sc::command<&has>("has"),
          sc::command<&list>("list"), sc::command<&start>("start"), sc::command<&cron>("cron"),
          sc::command<&conflicts>("conflicts"), sc::command<&resolve>("resolve"), sc::command<&files>("files"),
          sc::command<&sync_hook>("sync"), sc::command<&restore>("restore"), sc::command<&status>("status"))
