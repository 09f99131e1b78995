// user: the accounts sc shares between hosts (ids 10000-10099), password-less
// sudo for group sudo, and their restore from a backup (the original's user
// module). Every edit of passwd/shadow/group/gshadow is one locked
// read-modify-write through AccountStore.
#include <crypt.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>
#include <set>

#include "account_merge.hpp"
#include "account_ops.hpp"
#include "account_store.hpp"
#include "common/apt_ensure.hpp"
#include "common/peer_name.hpp"
#include "common/target.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace useracct;

constexpr const char* kSudoers = "/etc/sudoers.d/sc";
constexpr const char* kPasswordStdin = "--password-stdin";
/// This host's role towards its master: the original's setting, which the
/// master module declares and stores (`sc master setup`); read through the
/// core's `settings get` so that `user free` works without that module.
constexpr const char* kRoleSetting = "MASTER_MODE";

/// "created", or "would create" under --dry-run.
std::string past(const sc::Context& ctx, const std::string& done, const std::string& planned) {
  return ctx.dry_run() ? "would " + planned : done;
}

std::string checked_name(const std::string& name, const char* what) {
  std::string why;
  if (!valid_name(name, what, &why)) throw sc::Usage(why);
  return name;
}

/// A backup directory: a target path, absolute, without "..".
std::string checked_source(const std::string& source) {
  std::string s = source;
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  if (s == "/" || !valid_home(s))
    throw sc::Usage("\"" + source +
                    "\" is not a backup directory: give the absolute path of a backup (the directory holding fs/)");
  return s;
}

/// Wipes a password from memory when it goes out of scope.
struct Secret {
  std::string value;
  ~Secret() { explicit_bzero(value.data(), value.size()); }
};

/// yescrypt, the default of Debian 12's pam_unix and passwd: hashed in this
/// process with libcrypt, so the password is never on a command line nor in
/// a pipe to another program.
std::string hash_password(const std::string& password) {
  char* salt = crypt_gensalt_ra("$y$", 0, nullptr, 0);
  if (!salt) throw sc::Failure("cannot make a password salt (libcrypt): " + std::string(strerror(errno)));
  void* data = nullptr;
  int size = 0;
  const char* h = crypt_ra(password.c_str(), salt, &data, &size);
  std::string hash = h ? h : "";
  free(salt);
  if (data) {
    explicit_bzero(data, static_cast<size_t>(size));
    free(data);
  }
  if (hash.rfind("$y$", 0) != 0) throw sc::Failure("hashing the password failed (libcrypt has no yescrypt?)");
  return hash;
}

/// The password of a new account: from stdin with --password-stdin, else
/// asked twice on the terminal; "!" (no password login) without either, as
/// useradd leaves it.
std::string new_password_hash(sc::Context& ctx, const std::string& login, bool from_stdin) {
  if (ctx.dry_run()) return "!";
  Secret pw;
  if (from_stdin) {
    char buf[512];
    for (;;) {
      ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      pw.value.append(buf, static_cast<size_t>(n));
      if (pw.value.size() > 4096) throw sc::Usage("the password read from stdin is longer than 4096 bytes");
    }
    explicit_bzero(buf, sizeof buf);
    if (!pw.value.empty() && pw.value.back() == '\n') pw.value.pop_back();
    if (!pw.value.empty() && pw.value.back() == '\r') pw.value.pop_back();
    if (pw.value.empty() || pw.value.find_first_of(std::string("\n\0", 2)) != std::string::npos)
      throw sc::Usage("--password-stdin: give the password as one non-empty line on stdin");
    return hash_password(pw.value);
  }
  if (!(ctx.mode() & SC_MODE_TTY)) {
    ctx.info("no terminal to ask a password on: " + login +
             " cannot log in with a password until one is set with `passwd " + login +
             "` (or give it with --password-stdin)");
    return "!";
  }
  pw.value = ctx.ask_secret("Password for " + login);
  Secret again;
  again.value = ctx.ask_secret("Retype the password for " + login);
  if (again.value != pw.value) throw sc::Usage("the two passwords differ; nothing was changed");
  return hash_password(pw.value);
}

/// Copies the tree `from` of the target into `to` (which exists), every
/// entry owned as `own` says with its own mode; symlinks copied as they
/// are. A missing `from` copies nothing.
void copy_tree(sc::Context& ctx, const std::string& from, const std::string& to, const sc::FileAttr& own) {
  if (!ctx.stat(from, /*follow=*/true).is_dir()) return;
  for (const auto& name : ctx.list_dir(from)) {
    const std::string source = from + "/" + name, target = to + "/" + name;
    const sc::PathInfo info = ctx.stat(source);
    sc::FileAttr a = own;
    a.mode = info.mode & 0777u;
    if (info.is_symlink()) {
      ctx.symlink(info.link, target);
    } else if (info.is_dir()) {
      ctx.make_dir(target, a);
      copy_tree(ctx, source, target, own);
    } else if (info.is_file()) {
      auto data = ctx.read_file(source);
      if (!data) throw sc::Failure("cannot read " + source);
      ctx.write_file(target, *data, a);
    }
  }
}

/// The home directory of a new account: 0700 (Debian 12's adduser default),
/// with the target's /etc/skel copied in, owned by the user.
/// It is made under a temporary name and renamed into place when complete:
/// a run killed half-way leaves no half-filled home that the next run would
/// take for a finished one (it removes the partial copy and starts again).
void make_home(sc::Context& ctx, const std::string& home, const std::string& login, const std::string& group) {
  const auto slash = home.rfind('/');
  const std::string partial = home.substr(0, slash + 1) + "." + home.substr(slash + 1) + ".sc-new";
  if (plugin_common::target::exists(ctx, partial)) ctx.remove(partial, /*recursive=*/true);
  if (plugin_common::target::exists(ctx, home)) {
    ctx.info("home directory " + home + " exists: left as it is");
    return;
  }
  sc::FileAttr own;
  own.owner = login;
  own.group = group;
  own.mode = 0700;
  ctx.make_dir(partial, own);
  copy_tree(ctx, "/etc/skel", partial, own);
  ctx.rename(partial, home);
}

/// An account `add` finds already there: finishes what a killed run left
/// undone (a missing shadow or gshadow line, the home) and says so.
void complete_existing(sc::Context& ctx, const std::string& login) {
  AccountStore peek(ctx, false);
  Db probe = peek.db();
  const long today = days_since_epoch(std::time(nullptr));
  if (!complete_entries(probe, today).empty()) {
    AccountStore store(ctx, true);
    Db next = store.db();
    std::vector<std::string> added = complete_entries(next, today);
    if (!added.empty()) {
      store.commit(next);
      std::string list;
      for (const auto& a : added) list += (list.empty() ? "" : ", ") + a;
      ctx.warn("completed the account files, which an interrupted run had left unfinished (" + list +
               "); an account completed so has no password: set one with `passwd`");
    }
  }
  const Row* u = peek.db().passwd.find(login);
  const auto uid = uid_of(peek.db(), login);
  if (!u || !uid || !is_managed(*uid) || !valid_home((*u)[5])) return;
  const Row* g = nullptr;
  for (const Row* r : peek.db().group.rows())
    if ((*r)[2] == (*u)[3]) g = r;
  if (g && !plugin_common::target::exists(ctx, (*u)[5])) make_home(ctx, (*u)[5], login, (*g)[0]);
}

// -- commands -----------------------------------------------------------

void setup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  plugin_common::apt_ensure::ensure(ctx, {"sudo:sudo"});
  const std::string text = sudoers_text();
  // visudo is the program that knows what sudo accepts; without it (an
  // image prepared on a machine without sudo) the fixed text goes unchecked.
  // It runs on this machine, so this machine's files say whether it is
  // there (not the target's, under --root).
  bool have_visudo = false;
  for (const char* p : {"/usr/sbin/visudo", "/usr/bin/visudo", "/sbin/visudo"}) have_visudo |= ::access(p, X_OK) == 0;
  if (have_visudo) {
    sc::RunOptions o;
    o.readonly = true;
    o.capture_out = o.capture_err = true;
    o.input = text;
    sc::RunResult r = ctx.run({"visudo", "-c", "-q", "-f", "-"}, o);
    if (!r.ok()) throw sc::Failure("visudo rejects the sudoers text sc would write: " + r.err + r.out);
  } else {
    ctx.debug("visudo not found on this machine: " + std::string(kSudoers) + " is written unchecked");
  }
  // The sudo package makes /etc/sudoers.d; an image without it gets one,
  // an existing one keeps its mode.
  if (!plugin_common::target::exists(ctx, "/etc/sudoers.d")) ctx.make_dir("/etc/sudoers.d");
  ctx.write_file(kSudoers, text, sc::FileAttr::with_mode(0440));
}

int ready(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  if (ctx.read_file(kSudoers) != sudoers_text()) return SC_FAIL;
  return plugin_common::apt_ensure::missing_on_target(ctx, {"sudo:sudo"}).empty() ? SC_OK : SC_FAIL;
}

void add(sc::Context& ctx) {
  std::vector<std::string> args = ctx.args();
  bool from_stdin = false;
  if (!args.empty() && args.back() == kPasswordStdin) {
    from_stdin = true;
    args.pop_back();
  }
  if (args.empty() || args.size() > 2)
    throw sc::Usage(std::string(args.empty() ? "missing argument" : "too many arguments") +
                    "; usage: sc user add LOGIN [GROUP] [--password-stdin]");
  const std::string login = checked_name(args[0], "login");
  const std::string group = checked_name(args.size() > 1 ? args[1] : login, "group");

  std::optional<unsigned> gid;
  std::string hash;
  {
    AccountStore peek(ctx, false);
    if (peek.db().passwd.find(login)) {
      complete_existing(ctx, login);
      ctx.print("user " + login + " exists\n");
      ctx.result(json{{"login", login}, {"created", false}}.dump());
      return;
    }
  }
  // Asked before the lock is taken: a person typing must not block others.
  hash = new_password_hash(ctx, login, from_stdin);

  AccountStore store(ctx, true);
  Db next = store.db();
  if (next.passwd.find(login)) throw sc::Failure("user " + login + " was created by another program meanwhile");
  complete_entries(next, days_since_epoch(std::time(nullptr)));
  gid = gid_of(next, group);
  NewUser u;
  u.login = login;
  u.home = "/home/" + login;
  u.hash = hash;
  u.last_change = days_since_epoch(std::time(nullptr));
  // free_id is free both as a uid and as a gid: a user created with its
  // own group gets the same number for both.
  auto id = free_id(next);
  if (!id)
    throw sc::Failure("no free id left in " + std::to_string(kFirstId) + "-" + std::to_string(kLastId) + " for user " +
                      login + "; delete unused accounts (`sc user del`, `sc user delgroup`)");
  if (!gid) {
    add_group(next, group, *id);
    gid = id;
  }
  u.uid = *id;
  u.gid = *gid;
  add_user(next, u);
  store.commit(next);
  make_home(ctx, u.home, login, group);
  ctx.print(past(ctx, "created", "create") + " user " + login + " (uid " + std::to_string(u.uid) + ", group " + group +
            " " + std::to_string(u.gid) + ")\n");
  ctx.result(json{{"login", login}, {"uid", u.uid}, {"gid", u.gid}, {"group", group}, {"created", true}}.dump());
}

/// Refuses to touch an account outside the managed range.
void require_managed(unsigned id, const std::string& what, const std::string& name, const char* tool) {
  if (!is_managed(id))
    throw sc::Usage(what + " " + name + " has id " + std::to_string(id) + ", outside the range sc manages (" +
                    std::to_string(kFirstId) + "-" + std::to_string(kLastId) + "); use " + tool + " for it");
}

/// Removes a user; with `remove_home`, its home directory too (userdel -r).
void delete_user(sc::Context& ctx, const std::string& login, bool remove_home) {
  AccountStore store(ctx, true);
  const Row* row = store.db().passwd.find(login);
  if (!row) {
    ctx.print("user " + login + " does not exist\n");
    return;
  }
  auto uid = uid_of(store.db(), login);
  require_managed(uid.value_or(0), "user", login, "userdel");
  const std::string home = (*row)[5];
  Db next = store.db();
  auto group = remove_user(next, login);
  store.commit(next);
  if (group) ctx.info("removed the personal group " + *group);
  if (remove_home && valid_home(home) && plugin_common::target::exists(ctx, home)) {
    if (ctx.stat(home).uid == *uid)
      ctx.remove(home, true);
    else
      ctx.warn("home directory " + home + " is not owned by " + login + ": left in place");
  }
}

void del(sc::Context& ctx) {
  ctx.expect_args(1, 1, "LOGIN");
  delete_user(ctx, checked_name(ctx.args()[0], "login"), true);
}

int has(sc::Context& ctx) {
  ctx.expect_args(1, 1, "LOGIN");
  const std::string login = checked_name(ctx.args()[0], "login");
  AccountStore store(ctx, false);
  return store.db().passwd.find(login) ? SC_OK : SC_FAIL;
}

void addgroup(sc::Context& ctx) {
  ctx.expect_args(1, 1, "GROUP");
  const std::string group = checked_name(ctx.args()[0], "group");
  AccountStore store(ctx, true);
  if (store.db().group.find(group)) {
    ctx.print("group " + group + " exists\n");
    return;
  }
  Db next = store.db();
  auto id = free_id(next);
  if (!id)
    throw sc::Failure("no free id left in " + std::to_string(kFirstId) + "-" + std::to_string(kLastId) + " for group " +
                      group + "; delete unused accounts");
  add_group(next, group, *id);
  store.commit(next);
  ctx.print(past(ctx, "created", "create") + " group " + group + " (gid " + std::to_string(*id) + ")\n");
  ctx.result(json{{"group", group}, {"gid", *id}}.dump());
}

void delgroup(sc::Context& ctx) {
  ctx.expect_args(1, 1, "GROUP");
  const std::string group = checked_name(ctx.args()[0], "group");
  AccountStore store(ctx, true);
  auto gid = gid_of(store.db(), group);
  if (!store.db().group.find(group)) {
    ctx.print("group " + group + " does not exist\n");
    return;
  }
  require_managed(gid.value_or(0), "group", group, "groupdel");
  auto users = users_with_primary_gid(store.db(), *gid);
  if (!users.empty())
    throw sc::Failure("group " + group + " is the primary group of " + users.front() + "; delete that user first");
  Db next = store.db();
  remove_group(next, group);
  store.commit(next);
}

int hasgroup(sc::Context& ctx) {
  ctx.expect_args(1, 1, "GROUP");
  const std::string group = checked_name(ctx.args()[0], "group");
  AccountStore store(ctx, false);
  return store.db().group.find(group) ? SC_OK : SC_FAIL;
}

void export_user(sc::Context& ctx) {
  ctx.expect_args(1, 1, "LOGIN");
  const std::string login = checked_name(ctx.args()[0], "login");
  AccountStore store(ctx, false);
  const Row* r = store.db().passwd.find(login);
  if (!r) throw sc::Failure("user " + login + " does not exist");
  std::string line;
  for (size_t i = 0; i < r->size(); ++i) line += (i ? ":" : "") + (*r)[i];
  ctx.print(line + "\n");
  json j = {{"login", (*r)[0]},
            {"uid", std::stoul((*r)[2])},
            {"gid", std::stoul((*r)[3])},
            {"gecos", (*r)[4]},
            {"home", (*r)[5]},
            {"shell", (*r)[6]}};
  // The primary group's name, so that a roaming host can create it.
  for (const Row* g : store.db().group.rows())
    if ((*g)[2] == (*r)[3]) {
      j["group"] = (*g)[0];
      break;
    }
  ctx.result(j.dump());
}

/// An account as `sc user export` returns it, checked before it is
/// written here.
NewUser imported_account(const json& j, const std::string& login, std::string* group) {
  auto bad = [&](const std::string& what) {
    return sc::Failure("the master's account of " + login + " cannot be imported: " + what);
  };
  if (!j.is_object() || j.value("login", "") != login) throw bad("it did not answer with that account");
  if (!j["uid"].is_number_unsigned() || !j["gid"].is_number_unsigned()) throw bad("its uid or gid is missing");
  NewUser u;
  u.login = login;
  u.uid = j["uid"].get<unsigned>();
  u.gid = j["gid"].get<unsigned>();
  u.home = j.value("home", "");
  u.shell = j.value("shell", "");
  if (!is_managed(u.uid)) throw bad("its uid " + std::to_string(u.uid) + " is outside 10000-10099");
  if (!valid_home(u.home)) throw bad("home directory \"" + u.home + "\" is not a valid path");
  if (!valid_home(u.shell)) throw bad("shell \"" + u.shell + "\" is not a valid path");
  *group = j.contains("group") && j["group"].is_string() ? j["group"].get<std::string>() : "";
  std::string why;
  if (!group->empty() && !valid_name(*group, "group", &why)) throw bad(why);
  return u;
}

/// This host's role (MASTER_MODE), or "" when it is not set.
std::string host_role(sc::Context& ctx) {
  sc::CallResult r = ctx.call("settings", "get", {kRoleSetting});
  auto doc = json::parse(r.json, nullptr, false);
  if (r.status == SC_OK && doc.is_object() && doc["result"].is_string()) return doc["result"].get<std::string>();
  return "";
}

// -- homes of a standby or a roaming host ----------------------------------
//
// On a standby (every cluster user) and on a roaming host (the users it
// holds) each home is kept in sync with the master's through unisonsync:
// one synchronisation per home, MASTER:HOME <-> HOME, without a period of
// its own. Every pull runs them after the account merge (`sc master pull`,
// and the master module's cron: the accounts every 20 minutes, everything
// daily), so accounts and homes have one schedule and a home never syncs
// for an account that is not there yet. unison runs as root on both sides
// and keeps owners and groups by name: the cluster user's ids, the same on
// both hosts. A conflict keeps both versions and goes to unisonsync's
// ledger. A client has the master's homes over NFS: nothing is synchronised
// there.

/// The "error" of the document a called command answered.
std::string error_in(const sc::CallResult& r) {
  auto doc = json::parse(r.json, nullptr, false);
  return doc.is_object() && doc["error"].is_string() ? doc["error"].get<std::string>() : "failed";
}

/// Why homes cannot be synchronised when unisonsync does not load.
std::string no_unisonsync(const sc::CallResult& r) {
  return "the unisonsync module is not available here (" + error_in(r) +
         "); install sc's unisonsync module (`sc master setup` sets it up)";
}

/// The hosts `home` is synchronised with as this module does it (a
/// synchronisation without a period whose two roots are `home`), only
/// `host` when it is given. nullopt when unisonsync is not installed.
std::optional<std::vector<std::string>> home_sync_hosts(sc::Context& ctx, const std::string& home,
                                                        const std::string& host) {
  sc::CallResult r = ctx.call("unisonsync", "list");
  if (r.status == 3) return std::nullopt;
  if (r.status != SC_OK) throw sc::Failure("cannot list the synchronisations (sc unisonsync list): " + error_in(r));
  auto doc = json::parse(r.json, nullptr, false);
  std::vector<std::string> hosts;
  if (!doc.is_object() || !doc["result"].is_array()) return hosts;
  for (const auto& row : doc["result"]) {
    if (!row.is_object() || !row.value("period", json()).is_null() || row.value("local", "") != home ||
        row.value("remote", "") != home)
      continue;
    const std::string h = row.value("host", "");
    if (!h.empty() && (host.empty() || h == host)) hosts.push_back(h);
  }
  return hosts;
}

/// Stops the synchronisation of `home` with `host` (with any host when
/// empty); the home and unisonsync's archives and ledger stay. Throws when
/// unisonsync fails; false when there was none.
bool remove_home_syncs(sc::Context& ctx, const std::string& home, const std::string& host) {
  auto hosts = home_sync_hosts(ctx, home, host);
  if (!hosts || hosts->empty()) return false;
  for (const auto& h : *hosts) {
    sc::CallResult r = ctx.call("unisonsync", "del", {h, home});
    if (r.status != SC_OK)
      throw sc::Failure("cannot stop the synchronisation of " + home + " with " + h + ": " + error_in(r));
  }
  return true;
}

/// What one run of a home's synchronisation gave.
struct HomeRun {
  std::string error;                   ///< empty: it ran (or was planned)
  bool unavailable = false;            ///< unisonsync did not load
  std::vector<std::string> conflicts;  ///< paths of this host where both versions were kept
};

/// `sc unisonsync start HOST HOME HOME [--fill-empty]`: adds the
/// synchronisation when it is missing and runs it now, under its lock.
HomeRun sync_home(sc::Context& ctx, const std::string& host, const std::string& home, bool fill_empty) {
  std::vector<std::string> args = {host, home, home};
  if (fill_empty) args.push_back("--fill-empty");
  sc::CallResult r = ctx.call("unisonsync", "start", args);
  HomeRun out;
  if (r.status == 3) {
    out.unavailable = true;
    out.error = no_unisonsync(r);
  } else if (r.status != SC_OK) {
    out.error = error_in(r);
  } else {
    auto doc = json::parse(r.json, nullptr, false);
    if (doc.is_object() && doc["result"].is_object() && doc["result"]["conflicts"].is_array())
      for (const auto& c : doc["result"]["conflicts"])
        if (c.is_object() && !c.value("path", "").empty()) out.conflicts.push_back(c.value("path", ""));
  }
  return out;
}

/// An empty home (0700, the user's) for the first synchronisation to fill
/// from the master's: never the skeleton, whose files would meet the
/// master's edited ones as conflicts. False when a home is already there.
bool make_empty_home(sc::Context& ctx, const std::string& home, const std::string& login, const std::string& group) {
  if (plugin_common::target::exists(ctx, home)) {
    ctx.info("home directory " + home +
             " exists: left as it is, its first synchronisation merges it with the master's");
    return false;
  }
  const std::string parent = fs::path(home).parent_path().string();
  if (!plugin_common::target::exists(ctx, parent)) ctx.make_dir(parent, sc::FileAttr::with_mode(0755));
  sc::FileAttr own;
  own.owner = login;
  own.group = group;
  own.mode = 0700;
  ctx.make_dir(home, own);
  return true;
}

/// A home just made empty here: a synchronisation of it left from before
/// (its user gone and back, its home removed by hand) is dropped, so that
/// the next run is a first sync again, which fills it from the master's
/// (an established one would stop at the missing marker). A failure here
/// shows in that run.
void forget_home_sync(sc::Context& ctx, const std::string& home, const std::string& host) {
  try {
    remove_home_syncs(ctx, home, host);
  } catch (const sc::Failure& e) {
    ctx.debug(e.what());
  }
}

/// The line saying how a home's run went (unisonsync warns of each
/// conflict itself).
std::string home_run_text(const sc::Context& ctx, const std::string& login, const std::string& home,
                          const std::string& host, const HomeRun& h) {
  return past(ctx, "synchronised", "synchronise") + " the home " + home + " of " + login + " with " + host +
         (h.conflicts.empty() ? std::string()
                              : " (" + std::to_string(h.conflicts.size()) + " conflict" +
                                    (h.conflicts.size() == 1 ? "" : "s") + ", both versions kept)");
}

void roam(sc::Context& ctx) {
  ctx.expect_args(2, 2, "LOGIN MASTER");
  const std::string login = checked_name(ctx.args()[0], "login");
  const std::string master = plugin_common::peer_name::checked(ctx.args()[1], "MASTER");
  auto role = parse_role(host_role(ctx));
  const bool sync = role && plugin_common::role::syncs_homes(*role);
  // A user already here: on a roaming host its home's synchronisation is
  // (re)started, so `roam` again finishes one that failed.
  std::string held_home;
  {
    AccountStore store(ctx, false);
    if (const Row* row = store.db().passwd.find(login)) {
      auto uid = uid_of(store.db(), login);
      if (!sync || !uid || !is_managed(*uid) || !valid_home((*row)[5])) {
        ctx.print("user " + login + " exists\n");
        return;
      }
      held_home = (*row)[5];
    }
  }
  if (!held_home.empty()) {
    HomeRun h = sync_home(ctx, master, held_home, false);
    if (!h.error.empty())
      throw sc::Failure("user " + login + " exists; the synchronisation of its home " + held_home + " with " + master +
                        " failed: " + h.error);
    ctx.print("user " + login + " exists\n" + home_run_text(ctx, login, held_home, master, h) + "\n");
    return;
  }
  sc::CallResult r = ctx.call("sshlink", "sc", {master, "user", "export", login});
  auto doc = json::parse(r.json, nullptr, false);
  std::string error = error_in(r);
  if (r.status == 3)
    throw sc::Failure("sc user roam needs sshlink (not installed/not built yet): " + error +
                      "; install sc's sshlink module");
  if (r.status == SC_USAGE) throw sc::Usage(error);
  if (r.status != SC_OK) throw sc::Failure("cannot read the account of " + login + " on " + master + ": " + error);
  std::string group;
  NewUser u = imported_account(doc.is_object() ? doc["result"] : json(), login, &group);
  u.last_change = days_since_epoch(std::time(nullptr));

  // The account under the lock; the home and its first sync after it.
  std::string local_group;
  {
    AccountStore store(ctx, true);
    Db next = store.db();
    if (next.passwd.find(login)) throw sc::Failure("user " + login + " was created by another program meanwhile");
    complete_entries(next, days_since_epoch(std::time(nullptr)));
    for (const Row* row : next.passwd.rows())
      if ((*row)[2] == std::to_string(u.uid))
        throw sc::Failure("uid " + std::to_string(u.uid) + " of " + login + " on " + master + " belongs to " +
                          (*row)[0] + " here; free it first");
    for (const Row* g : next.group.rows())
      if ((*g)[2] == std::to_string(u.gid)) local_group = (*g)[0];
    if (!local_group.empty() && !group.empty() && local_group != group)
      throw sc::Failure("gid " + std::to_string(u.gid) + " is group " + local_group + " here but " + group + " on " +
                        master + "; the accounts of this host and its master disagree");
    if (local_group.empty()) {
      if (group.empty() || next.group.find(group) || !is_managed(u.gid))
        throw sc::Failure("the primary group (gid " + std::to_string(u.gid) + ") of " + login +
                          " does not exist here and cannot be created; add it with `sc user restoregroups` or a pull "
                          "from the master");
      add_group(next, group, u.gid);
      local_group = group;
    }
    add_user(next, u);
    store.commit(next);
  }
  const std::string imported = past(ctx, "imported", "import") + " user " + login + " (uid " + std::to_string(u.uid) +
                               ") from " + master + "; its password comes with the next pull from the master\n";
  if (!sync) {
    make_home(ctx, u.home, login, local_group);
    ctx.print(imported);
    return;
  }
  // Its home: empty here, filled by the first synchronisation from the
  // master's (--fill-empty; unison then only copies, it deletes nothing).
  const bool fill = make_empty_home(ctx, u.home, login, local_group);
  if (fill) forget_home_sync(ctx, u.home, master);
  ctx.print(imported);
  HomeRun h = sync_home(ctx, master, u.home, fill);
  if (!h.error.empty())
    throw sc::Failure("user " + login + " is imported, but the first synchronisation of its home " + u.home + " with " +
                      master + " failed: " + h.error + "; `sc user roam " + login + " " + master +
                      "` or the next pull tries again");
  ctx.print(home_run_text(ctx, login, u.home, master, h) + "\n");
}

void free_user(sc::Context& ctx) {
  ctx.expect_args(1, 1, "LOGIN");
  const std::string login = checked_name(ctx.args()[0], "login");
  const std::string role = host_role(ctx);
  if (role != "roaming")
    throw sc::Usage("this host is not roaming (" +
                    (role.empty() ? std::string(kRoleSetting) +
                                        " is not set; `sc master setup` sets it, or on a roaming host without the "
                                        "master module `sc settings set " +
                                        kRoleSetting + " roaming`"
                                  : std::string(kRoleSetting) + " is \"" + role + "\"") +
                    "): `sc user free` only releases users of a roaming host; use `sc user del`");
  std::string home;
  {
    AccountStore store(ctx, false);
    if (const Row* row = store.db().passwd.find(login)) home = (*row)[5];
  }
  // The synchronisation first (a failure stops here, nothing deleted): the
  // home's deletion must never reach the master's copy.
  if (valid_home(home) && remove_home_syncs(ctx, home, ""))
    ctx.print(past(ctx, "stopped", "stop") + " the synchronisation of the home " + home + " of " + login + "\n");
  delete_user(ctx, login, true);
}

/// Command `accounts`: the account files as `user pull` on the hosts of
/// this master reads them (export_accounts). The files are replaced one by
/// one (group, gshadow, passwd, shadow) by whoever edits them, so they are
/// read until two reads agree: never half of one edit and half of another.
void accounts(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  std::optional<AccountTexts> last;
  for (int attempt = 0; attempt < 5; ++attempt) {
    AccountStore store(ctx, false);
    AccountTexts t = export_accounts(store.db());
    if (last && last->passwd == t.passwd && last->shadow == t.shadow && last->group == t.group &&
        last->gshadow == t.gshadow) {
      const size_t users = managed_users(store.db()).size(), groups = managed_groups(store.db()).size();
      // The hashes go into the --json result only, never onto a terminal.
      ctx.print(std::to_string(users) + " user" + (users == 1 ? "" : "s") + " and " + std::to_string(groups) +
                " group" + (groups == 1 ? "" : "s") + " of " + std::to_string(kFirstId) + "-" +
                std::to_string(kLastId) + " (the files are in the --json result, for `sc user pull`)\n");
      ctx.result(
          json{{"format", 1}, {"passwd", t.passwd}, {"shadow", t.shadow}, {"group", t.group}, {"gshadow", t.gshadow}}
              .dump());
      return;
    }
    last = std::move(t);
  }
  throw sc::Failure("the account files kept changing while they were read; try again when the edits are done");
}

/// The master's account files, through `sc user accounts` on it over this
/// run's SSH connection, checked before anything is changed.
Db fetch_master_accounts(sc::Context& ctx, const std::string& host) {
  const std::string unchanged = "; nothing was changed";
  sc::CallResult r;
  try {
    r = ctx.peer_sc(host, {"user", "accounts"}, /*readonly=*/true);
  } catch (const sc::Failure& e) {
    throw sc::Failure("cannot read the accounts of the master " + host + ": " + e.what() + unchanged);
  }
  auto doc = json::parse(r.json, nullptr, false);
  if (!doc.is_object())
    throw sc::Failure("the master " + host + " answered `sc user accounts` with no JSON document" + unchanged);
  const std::string error = doc["error"].is_string() ? doc["error"].get<std::string>() : "failed";
  if (r.status == 3) throw sc::Failure("the user module is not available on " + host + ": " + error + unchanged);
  if (r.status != SC_OK)
    throw sc::Failure("cannot read the accounts of the master " + host + ": " + error +
                      (error.find("has no command \"accounts\"") != std::string::npos
                           ? "; its sc is older than this one: upgrade sc on " + host
                           : std::string()) +
                      unchanged);
  const json& res = doc["result"];
  AccountTexts t;
  bool complete = res.is_object();
  for (auto [name, text] : {std::pair<const char*, std::string*>{"passwd", &t.passwd},
                            {"shadow", &t.shadow},
                            {"group", &t.group},
                            {"gshadow", &t.gshadow}}) {
    if (complete && res.contains(name) && res[name].is_string())
      *text = res[name].get<std::string>();
    else
      complete = false;
  }
  if (!complete)
    throw sc::Failure("the master " + host +
                      " sent incomplete account files (passwd, shadow, group and gshadow expected)" + unchanged);
  std::string err;
  auto db = check_master(t, host, &err);
  if (!db) throw sc::Failure(err);
  return std::move(*db);
}

std::string group_name_of(const Db& db, const std::string& gid) {
  for (const Row* g : db.group.rows())
    if ((*g)[2] == gid) return (*g)[0];
  return gid;
}

/// `user pull HOST MODE` and the `sync` hook.
void pull_accounts(sc::Context& ctx) {
  ctx.expect_args(2, 2, "HOST MODE");
  const std::string host = plugin_common::peer_name::checked(ctx.args()[0], "HOST");
  const auto role = parse_role(ctx.args()[1]);
  if (!role)
    throw sc::Usage("\"" + ctx.args()[1] +
                    "\" is not a MODE: give this host's role, master, standby, backup, client or roaming");
  json result = {{"master", host}, {"mode", role_name(*role)}};
  if (*role == Role::master) {
    ctx.print("this host is the master: no accounts to pull\n");
    result["changed"] = false;
    ctx.result(result.dump());
    return;
  }
  // The network first, the lock after: the account files are locked only
  // for the merge itself.
  const Db master = fetch_master_accounts(ctx, host);
  PullPlan plan;
  std::map<std::string, std::string> removed_homes;
  {
    AccountStore store(ctx, true);
    plan = plan_pull(store.db(), master, *role, host);
    if (!plan.conflicts.empty()) {
      std::string text;
      for (const auto& c : plan.conflicts) text += (text.empty() ? "" : "; ") + c;
      throw sc::Failure("refusing to pull the accounts of " + host + ", nothing was changed: " + text);
    }
    // The homes of the users the pull removes, to stop their synchronisation.
    for (const auto& u : plan.users_removed)
      if (const Row* row = store.db().passwd.find(u)) removed_homes[u] = (*row)[5];
    store.commit(plan.next);
  }
  for (const auto& w : plan.warnings) ctx.warn(w);
  std::string out;
  auto line = [&](const std::string& text) { out += text + "\n"; };
  for (const auto& g : plan.groups_added)
    line(past(ctx, "added", "add") + " group " + g + " (gid " + (*plan.next.group.find(g))[2] + ")");
  for (const auto& g : plan.groups_updated) line(past(ctx, "updated", "update") + " group " + g);
  for (const auto& u : plan.users_added)
    line(past(ctx, "added", "add") + " user " + u + " (uid " + (*plan.next.passwd.find(u))[2] + ")");
  for (const auto& u : plan.users_updated) line(past(ctx, "updated", "update") + " user " + u);
  for (const auto& u : plan.passwords_changed) line(past(ctx, "updated", "update") + " the password of " + u);
  for (const auto& m : plan.members_added) {
    const auto colon = m.find(':');
    line(past(ctx, "added", "add") + " " + m.substr(colon + 1) + " to group " + m.substr(0, colon));
  }
  for (const auto& m : plan.members_removed) {
    const auto colon = m.find(':');
    line(past(ctx, "removed", "remove") + " " + m.substr(colon + 1) + " from group " + m.substr(0, colon));
  }
  for (const auto& u : plan.users_removed) {
    line(past(ctx, "removed", "remove") + " user " + u + ", gone from " + host + " (its home directory is kept)");
  }
  for (const auto& g : plan.groups_removed)
    line(past(ctx, "removed", "remove") + " group " + g + ", gone from " + host);
  // Homes of the cluster users where this host keeps its own (a client's
  // /home may be the master's, mounted later over them): from /etc/skel,
  // or empty where the master's is synchronised into it.
  const bool sync_homes = plugin_common::role::syncs_homes(*role);
  std::vector<std::string> homes;
  std::set<std::string> fresh;  // created empty: their first sync fills them
  if (role_creates_users(*role) || sync_homes) {
    for (const auto& login : plan.cluster_users) {
      const Row& u = *plan.next.passwd.find(login);
      const std::string home = u[5];
      if (plugin_common::target::exists(ctx, home)) continue;
      const std::string group = group_name_of(plan.next, u[3]);
      if (sync_homes) {
        make_empty_home(ctx, home, login, group);
        fresh.insert(login);
        forget_home_sync(ctx, home, host);
      } else {
        const std::string parent = fs::path(home).parent_path().string();
        if (!plugin_common::target::exists(ctx, parent)) ctx.make_dir(parent, sc::FileAttr::with_mode(0755));
        make_home(ctx, home, login, group);
      }
      homes.push_back(home);
      line(past(ctx, "created", "create") + " the home directory " + home + " of " + login +
           (sync_homes ? " (empty: its first synchronisation fills it from " + host + ")" : ""));
    }
  }
  if (!plan.not_roaming.empty())
    ctx.info(std::to_string(plan.not_roaming.size()) + " user" + (plan.not_roaming.size() == 1 ? "" : "s") + " of " +
             host + " not on this roaming host (`sc user roam LOGIN " + host + "` adds one)");
  if (!plan.changed() && homes.empty()) line("the accounts are as on " + host);
  ctx.print(out);
  result["changed"] = plan.changed() || !homes.empty();
  result["users_added"] = plan.users_added;
  result["users_updated"] = plan.users_updated;
  result["passwords_changed"] = plan.passwords_changed;
  result["users_removed"] = plan.users_removed;
  result["groups_added"] = plan.groups_added;
  result["groups_updated"] = plan.groups_updated;
  result["groups_removed"] = plan.groups_removed;
  result["members_added"] = plan.members_added;
  result["members_removed"] = plan.members_removed;
  result["homes_created"] = homes;
  result["not_roaming"] = plan.not_roaming;
  result["warnings"] = plan.warnings;
  if (!sync_homes) {
    ctx.result(result.dump());
    return;
  }

  // The homes, after the accounts: each user's on its own, so that one
  // failing stops neither the others nor the merge done above.
  json synced = json::array(), stopped = json::array(), failed = json::array();
  size_t conflicts = 0;
  auto fail = [&](const std::string& login, const std::string& home, const std::string& why) {
    ctx.warn("home of " + login + " (" + home + "): " + why);
    failed.push_back(json{{"login", login}, {"home", home}, {"error", why}});
  };
  std::string unavailable;  // why unisonsync did not load, once seen
  for (const auto& [login, home] : removed_homes) {
    if (!valid_home(home)) continue;
    try {
      if (remove_home_syncs(ctx, home, host)) {
        ctx.print(past(ctx, "stopped", "stop") + " the synchronisation of the home " + home + " of " + login +
                  " (the home is kept)\n");
        stopped.push_back(login);
      }
    } catch (const sc::Usage&) {
      throw;
    } catch (const std::exception& e) {
      fail(login, home, e.what());
    }
  }
  for (const auto& login : plan.cluster_users) {
    const std::string home = (*plan.next.passwd.find(login))[5];
    if (!unavailable.empty()) {
      fail(login, home, "not synchronised: " + unavailable);
      continue;
    }
    HomeRun h = sync_home(ctx, host, home, fresh.count(login) > 0);
    if (h.unavailable) unavailable = h.error;
    if (!h.error.empty()) {
      fail(login, home, "not synchronised: " + h.error);
      continue;
    }
    ctx.print(home_run_text(ctx, login, home, host, h) + "\n");
    conflicts += h.conflicts.size();
    synced.push_back(login);
  }
  result["homes_synchronised"] = synced;
  result["home_syncs_stopped"] = stopped;
  result["home_conflicts"] = conflicts;
  result["homes_failed"] = failed;
  ctx.result(result.dump(-1, ' ', false, json::error_handler_t::replace));
  if (!failed.empty()) {
    std::string logins;
    for (const auto& f : failed) logins += (logins.empty() ? "" : ", ") + f["login"].get<std::string>();
    throw sc::Failure("the accounts of " + host + " are merged, but the home" + (failed.size() == 1 ? "" : "s") +
                      " of " + logins +
                      " could not be synchronised (see the warnings above); the next pull tries "
                      "again");
  }
}

/// Command `stophomes [HOST]`: stops the synchronisation of every cluster
/// user's home with HOST (with any host when not given), as a role that
/// synchronises homes is undone (`sc master cleanup`, `switch`, a change of
/// role); the homes, unison's archives and the conflict ledger stay.
void stop_homes(sc::Context& ctx) {
  ctx.expect_args(0, 1, "[HOST]");
  const std::string host = ctx.args().empty() ? "" : plugin_common::peer_name::checked(ctx.arg(0), "HOST");
  std::vector<std::string> homes;
  {
    AccountStore store(ctx, false);
    homes = managed_homes(store.db());
  }
  std::vector<std::string> stopped;
  for (const auto& home : homes) {
    if (!valid_home(home) || !remove_home_syncs(ctx, home, host)) continue;
    ctx.print(past(ctx, "stopped", "stop") + " the synchronisation of the home " + home + "\n");
    stopped.push_back(home);
  }
  if (stopped.empty()) ctx.print("no home is synchronised" + (host.empty() ? std::string() : " with " + host) + "\n");
  ctx.result(json{{"stopped", stopped}}.dump());
}

void cleanup_local(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  AccountStore store(ctx, true);
  Db next = store.db();
  std::vector<std::string> users = managed_users(next), groups = managed_groups(next);
  for (const auto& u : users) remove_user(next, u);
  for (const auto& g : groups) remove_group(next, g);
  store.commit(next);
  ctx.result(json{{"users", users}, {"groups", groups}}.dump());
}

/// The backup's four files, parsed; sc::Usage when one is missing.
Db read_backup(const sc::Context& ctx, const std::string& source, std::vector<File> needed) {
  Db db;
  for (File f : needed) {
    std::string path = source + "/fs" + path_of(f);
    auto text = ctx.read_file(path);
    if (!text) throw sc::Usage(path + " is missing: is " + source + " a backup of a whole host?");
    std::string err;
    auto t = Table::parse(f, *text, &err);
    if (!t) throw sc::Failure("in the backup " + source + ": " + err);
    db.table(f) = std::move(*t);
  }
  return db;
}

void report_merge(sc::Context& ctx, const MergeReport& m) {
  for (const auto& w : m.warnings) ctx.warn(w);
  for (const auto& g : m.groups) ctx.print(past(ctx, "restored", "restore") + " group " + g + "\n");
  for (const auto& u : m.users) ctx.print(past(ctx, "restored", "restore") + " user " + u + "\n");
  for (const auto& x : m.members) ctx.print(past(ctx, "restored", "restore") + " membership " + x + "\n");
}

json merge_json(const MergeReport& m) {
  return json{{"groups", m.groups}, {"users", m.users}, {"members", m.members}, {"warnings", m.warnings}};
}

void restoregroups(sc::Context& ctx) {
  ctx.expect_args(1, 1, "SOURCE");
  const std::string source = checked_source(ctx.args()[0]);
  Db backup = read_backup(ctx, source, {File::group, File::gshadow});
  AccountStore store(ctx, true);
  Db next = store.db();
  MergeReport m;
  restore_groups(next, backup, &m);
  drop_unknown_members(next, m.groups, &m);
  store.commit(next);
  report_merge(ctx, m);
  ctx.result(merge_json(m).dump());
}

void restoresudoers(sc::Context& ctx) {
  ctx.expect_args(1, 1, "SOURCE");
  const std::string source = checked_source(ctx.args()[0]);
  Db backup = read_backup(ctx, source, {File::group});
  AccountStore store(ctx, true);
  Db next = store.db();
  MergeReport m;
  restore_sudoers(next, backup, &m);
  store.commit(next);
  report_merge(ctx, m);
  ctx.result(merge_json(m).dump());
}

void restore(sc::Context& ctx) {
  ctx.expect_args(1, 1, "SOURCE");
  const std::string source = checked_source(ctx.args()[0]);
  Db backup = read_backup(ctx, source, {File::passwd, File::shadow, File::group, File::gshadow});
  MergeReport m;
  {
    // Groups, users and sudo membership in one locked edit.
    AccountStore store(ctx, true);
    Db next = store.db();
    restore_groups(next, backup, &m);
    restore_users(next, backup, &m);
    drop_unknown_members(next, m.groups, &m);
    restore_sudoers(next, backup, &m);
    store.commit(next);
  }
  report_merge(ctx, m);
  // Home directories: copied from the backup when this host has none yet.
  for (const auto& login : m.users) {
    const Row* r = backup.passwd.find(login);
    const std::string home = (*r)[5];
    const std::string from = source + "/fs" + home;
    if (plugin_common::target::exists(ctx, home)) {
      ctx.info("home directory " + home + " of " + login + " exists: left as it is");
    } else if (!plugin_common::target::exists(ctx, from)) {
      ctx.warn("the backup has no home directory for " + login + " (" + from + ")");
    } else {
      ctx.make_dir(fs::path(home).parent_path().string());
      sc::RunResult rr = ctx.run(home_restore_argv(ctx.resolve_path(from), ctx.resolve_path(home)));
      if (!rr.ok())
        throw sc::Failure("restoring the home directory of " + login + " failed: rsync " +
                          (rr.exit_code >= 0 ? "exited with status " + std::to_string(rr.exit_code)
                                             : std::string("did not run to its end")) +
                          "; the account is restored, run the restore again to retry");
    }
  }
  ctx.result(merge_json(m).dump());
}

void files(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  AccountStore store(ctx, false);
  std::vector<std::string> list = {"/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow"};
  for (const auto& h : managed_homes(store.db())) list.push_back(h);
  std::string text;
  for (const auto& f : list) text += f + "\n";
  ctx.print(text);
  ctx.result(json(list).dump());
}

/// Hook `upgrade OLD NEW`: a host set up by an older sc (or by the original
/// tool) gets the current sudoers text.
void upgrade(sc::Context& ctx) {
  ctx.expect_args(2, 2, "OLD NEW");
  auto current = ctx.read_file(kSudoers);
  if (current && *current != sudoers_text()) ctx.write_file(kSudoers, sudoers_text(), sc::FileAttr::with_mode(0440));
}

}  // namespace

SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION, sc::command<&setup>("setup"), sc::command<&ready>("ready"),
          sc::command<&add>("add"), sc::command<&del>("del"), sc::command<&has>("has"),
          sc::command<&addgroup>("addgroup"), sc::command<&delgroup>("delgroup"), sc::command<&hasgroup>("hasgroup"),
          sc::command<&export_user>("export"), sc::command<&roam>("roam"), sc::command<&free_user>("free"),
          sc::command<&cleanup_local>("cleanup_local"), sc::command<&stop_homes>("stophomes"),
          sc::command<&restore>("restore"), sc::command<&restoregroups>("restoregroups"),
          sc::command<&restoresudoers>("restoresudoers"), sc::command<&files>("files"),
          sc::command<&upgrade>("upgrade"), sc::command<&accounts>("accounts"), sc::command<&pull_accounts>("pull"),
          sc::command<&pull_accounts>("sync"))
