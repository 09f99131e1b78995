// backup: whole-host backups of sc peers (or single paths of any host) in
// hard-linked snapshots, and restore (the original's backup module, which
// kept one mirror that every run overwrote with --delete).
//
// A run writes BACKUP_DIR/HOST/ENTRY/PERIOD/<start time>.partial with rsync
// --link-dest against the newest complete snapshot of the entry, records
// checksums, and renames it into place only when complete. Rotation runs
// only after a success, so a failed run never costs a good snapshot; the
// .partial is kept and the next run resumes it.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>
#include <set>
#include <thread>

#include "checksums.hpp"
#include "entry.hpp"
#include "snapshots.hpp"
#include "tree.hpp"

namespace {

using json = nlohmann::json;
using backup::Entry;

const char* const kSnapshotMeta = "backup.json";
const char* const kChecksums = "checksums";
const char* const kFileLists = "files.json";
const char* const kSettingsFile = "sc";

// ---- small helpers ----------------------------------------------------------

Entry entry_arg(const std::string& text) {
  std::string why;
  auto e = backup::parse_entry(text, &why);
  if (!e) throw sc::Usage(why);
  return *e;
}

std::string period_arg(const std::string& p) {
  if (!backup::valid_period(p)) throw sc::Usage("unknown period \"" + p + "\"; use hourly, daily or weekly");
  return p;
}

/// BACKUP_DIR as a target path, checked to be a directory.
std::string backup_dir(sc::Context& ctx) {
  auto dir = ctx.setting("BACKUP_DIR", SC_SETTING_NO_DEFAULT);
  if (!dir || dir->empty()) throw sc::Failure("BACKUP_DIR is not set; run `sc backup setup`");
  struct stat st {};
  std::string real = ctx.resolve_path(*dir);
  if (::stat(real.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw sc::Failure("BACKUP_DIR " + *dir + " is not a directory; create it with `sc backup setup`");
  return *dir;
}

std::vector<backup::Scheduled> scheduled(sc::Context& ctx) {
  std::vector<std::string> bad;
  auto items = backup::parse_list(ctx.setting("BACKUP_LIST").value_or(""), &bad);
  for (const auto& b : bad) ctx.warn("BACKUP_LIST: ignoring malformed item \"" + b + "\"; remove it with sc backup del");
  return items;
}

std::vector<std::string> list_dir(const std::string& real) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(real.c_str())) {
    while (dirent* e = ::readdir(d))
      if (std::string n = e->d_name; n != "." && n != "..") names.push_back(n);
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool is_dir(const std::string& real) {
  struct stat st {};
  return ::stat(real.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::optional<std::string> read_real(const std::string& real) {
  int fd = ::open(real.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string data;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) data.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return data;
}

/// The record a snapshot keeps of the run that made it (backup.json), from
/// the snapshot's real path.
std::optional<backup::RunRecord> snapshot_record(const std::string& real_snapshot) {
  auto text = read_real(real_snapshot + "/" + kSnapshotMeta);
  if (!text) return std::nullopt;
  return backup::RunRecord::from_json(json::parse(*text, nullptr, false));
}

/// Complete snapshots of an entry: (period, name), oldest first.
std::vector<std::pair<std::string, std::string>> snapshots_of(sc::Context& ctx, const std::string& entry_dir) {
  std::vector<std::pair<std::string, std::string>> all;
  for (const char* p : backup::kPeriods)
    for (const auto& n : list_dir(ctx.resolve_path(entry_dir + "/" + p)))
      if (backup::parse_snapshot_name(n)) all.emplace_back(p, n);
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  return all;
}

backup::Status read_status(sc::Context& ctx, const std::string& entry_dir) {
  auto text = ctx.read_file(entry_dir + "/status.json");
  if (!text) return {};
  json j = json::parse(*text, nullptr, false);
  return j.is_discarded() ? backup::Status{} : backup::Status::from_json(j);
}

void write_status(sc::Context& ctx, const std::string& entry_dir, const backup::Status& s) {
  ctx.write_file(entry_dir + "/status.json", s.to_json().dump(2) + "\n", sc::FileAttr::with_mode(0600));
}

sc::FileAttr private_file() {
  sc::FileAttr a = sc::FileAttr::with_mode(0600);
  a.secret = true;
  return a;
}

/// The peer's `sc --json ARGS` document; throws naming the peer on failure.
json peer_query(sc::Context& ctx, const std::string& host, const std::vector<std::string>& args) {
  sc::CallResult r = ctx.peer_sc(host, args, /*readonly=*/true);
  json doc = json::parse(r.json, nullptr, false);
  if (doc.is_discarded()) throw sc::Failure("sc on " + host + " gave no readable answer to `sc " + args[0] + "`");
  if (r.status != SC_OK && r.status != SC_FAIL)
    throw sc::Failure("sc " + args[0] + (args.size() > 1 ? " " + args[1] : "") + " on " + host +
                      " failed: " + doc.value("error", std::string("status ") + std::to_string(r.status)));
  return doc;
}

/// Strings of a hook's JSON result (never its printed text: an error
/// message must not become a path); non-strings make the hook's answer
/// invalid.
std::vector<std::string> string_list(const json& result, const std::string& what) {
  std::vector<std::string> out;
  if (result.is_null()) return out;
  if (!result.is_array()) throw sc::Failure(what + " did not return a list");
  for (const auto& v : result) {
    if (!v.is_string()) throw sc::Failure(what + " returned something that is not a path");
    out.push_back(v.get<std::string>());
  }
  return out;
}

/// One lock per backed-up host: two hosts back up in parallel, one host
/// never twice at once. Held for the object's life.
class HostLock {
 public:
  HostLock(sc::Context& ctx, const std::string& host_dir, const std::string& host) {
    const std::string lock = host_dir + "/.lock";
    if (!ctx.read_file(lock)) ctx.write_file(lock, "", sc::FileAttr::with_mode(0600));
    fd_ = ::open(ctx.resolve_path(lock).c_str(), O_RDWR | O_CLOEXEC);
    if (fd_ < 0) throw sc::Failure("cannot open the lock " + lock);
    long wait = std::stol(ctx.setting("BACKUP_LOCK_WAIT").value_or("3600"));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait);
    bool told = false;
    while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        ::close(fd_);
        fd_ = -1;
        throw sc::Failure("another backup of " + host + " is still running (lock " + lock + "); try again later");
      }
      if (!told) ctx.info("waiting for another backup of " + host + " to finish");
      told = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  ~HostLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  HostLock(const HostLock&) = delete;
  HostLock& operator=(const HostLock&) = delete;

 private:
  int fd_ = -1;
};

// ---- taking a snapshot ------------------------------------------------------------

struct Transfer {
  std::vector<std::string> warnings;
  std::vector<std::string> databases;
  bool fs_linked = false;  ///< fs/ is a hard-link copy of the previous snapshot's
};

unsigned speed_limit(sc::Context& ctx, const std::string& host) {
  json r = json::parse(ctx.call("sshlink", "getspeed", {host}).json, nullptr, false);
  if (r.is_object() && r.value("result", json()).is_number_unsigned()) return r["result"].get<unsigned>();
  return 0;
}

std::vector<std::string> exclusions(sc::Context& ctx) {
  json r = json::parse(ctx.call("sshlink", "exclude_list").json, nullptr, false);
  if (r.is_object() && r.value("result", json()).is_array()) return string_list(r["result"], "sshlink exclude_list");
  return {};
}

std::string ms_since(std::chrono::steady_clock::time_point t0) {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());
}

/// When nothing changed since the previous snapshot (rsync, with the same
/// options, itemizes no difference against it), makes the new fs/ a
/// hard-link copy of the previous one's: what --link-dest would build, for
/// a fraction of its cost. The copy is made in-process while rsync
/// compares (the comparison mostly waits on the peer, leaving a core
/// free) and removed again when something changed. True when fs/ was made
/// (under --dry-run: would be).
bool link_if_unchanged(sc::Context& ctx, const sc::FetchOptions& o, const std::string& link_dest,
                       const std::string& within, const std::string& target) {
  sc::FetchOptions same = o;
  same.compare_only = true;
  same.link_dest.clear();
  same.target_dir = link_dest + "/fs" + within;
  if (o.paths.size() == 1) {
    // One directory (a path entry): compared as itself, which rsync walks
    // faster than through a file list. Its previous copy says whether it
    // was a directory; if it no longer is, rsync fails and the run copies.
    const std::string& p = o.paths[0];
    const std::string dir = p == "/" ? o.source_dir : (o.source_dir == "/" ? "" : o.source_dir) + "/" + p;
    const std::string copy = same.target_dir + (p == "/" ? "" : "/" + p);
    struct stat st {};
    if (::lstat(ctx.resolve_path(copy).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      same.source_dir = dir;
      same.paths = {"."};
      same.target_dir = copy;
    }
  }
  // Made under another name and renamed when complete: a run that dies
  // while linking leaves no fs/ that the next run would take for a
  // resumable copy (it removes the leftover first).
  const std::string from = ctx.resolve_path(link_dest + "/fs"), to = ctx.resolve_path(target + "/fs");
  const std::string linking = to + ".linking";
  std::string err;
  if (!ctx.dry_run() && !backup::remove_tree(linking, &err)) throw sc::Failure(err);
  std::atomic<bool> cancel{false};
  bool linked = false;
  std::string link_err;
  std::thread linker;
  struct Join {
    std::thread& th;
    std::atomic<bool>& cancel;
    ~Join() {
      if (th.joinable()) {
        cancel = true;
        th.join();
      }
    }
  } join{linker, cancel};
  if (!ctx.dry_run()) linker = std::thread([&] { linked = backup::link_tree(from, linking, cancel, &link_err); });
  const auto t0 = std::chrono::steady_clock::now();
  sc::FetchResult c = ctx.fetch(same);
  const bool unchanged = c.ok() && c.ran && !c.differs;
  ctx.debug("compared with the previous snapshot in " + ms_since(t0) + " ms: " + (unchanged ? "no change" : "changes"));
  if (!unchanged) cancel = true;
  if (linker.joinable()) linker.join();
  if (unchanged && ctx.dry_run()) {
    ctx.info("nothing changed since " + link_dest + ": its fs/ would be hard-linked into the new snapshot");
    return true;
  }
  if (unchanged && linked) {
    if (::rename(linking.c_str(), to.c_str()) != 0)
      throw sc::Failure("cannot rename " + linking + " to " + to + ": " + std::strerror(errno));
    ctx.debug("linked the previous snapshot at " + ms_since(t0) + " ms");
    return true;
  }
  if (unchanged) ctx.warn("could not hard-link the previous snapshot (" + link_err + "); copying instead");
  if (!ctx.dry_run() && !backup::remove_tree(linking, &err)) throw sc::Failure(err);
  return false;
}

/// rsync from the peer's `source_dir` into `target`/fs`within` (`within`:
/// where source_dir lies in the peer's tree, "" for its root); rsync's 24
/// (files vanished while copying) is a warning, every other failure fails
/// the run.
void fetch_into(sc::Context& ctx, const Entry& e, const std::string& source_dir, const std::vector<std::string>& paths,
                const std::string& target, const std::string& link_dest, Transfer* t, const std::string& within = "") {
  sc::FetchOptions o;
  o.peer = e.host;
  o.source_dir = source_dir;
  o.target_dir = target + "/fs" + within;
  o.paths = paths;
  o.excludes = exclusions(ctx);
  o.bwlimit_kbps = speed_limit(ctx, e.host);
  o.exact = true;
  o.delete_extraneous = true;  // a resumed .partial must end up exactly as the peer is
  o.link_dest = link_dest.empty() ? std::string() : link_dest + "/fs" + within;
  struct stat st {};
  // Not for a resumed .partial: its fs/ holds what the failed run copied.
  if (!link_dest.empty() && ::lstat(ctx.resolve_path(target + "/fs").c_str(), &st) != 0 &&
      link_if_unchanged(ctx, o, link_dest, within, target)) {
    t->fs_linked = true;
    return;
  }
  ctx.make_dir(target + "/fs" + within, sc::FileAttr::with_mode(0700));
  sc::FetchResult r = ctx.fetch(o);
  if (r.ok()) return;
  if (r.exit_code == 24) {
    t->warnings.push_back("some files vanished while they were copied (rsync status 24)");
    return;
  }
  throw sc::Failure(r.error);
}

void transfer_whole_host(sc::Context& ctx, const Entry& e, const std::string& target, const std::string& link_dest,
                         Transfer* t) {
  // Settings, with secrets: the snapshot is private (0700/0600).
  json settings = peer_query(ctx, e.host, {"settings", "print", "--show-secrets"});
  ctx.write_file(target + "/" + kSettingsFile, settings.value("output", ""), private_file());

  // Every module's files: from the hooks' JSON results only.
  json files = peer_query(ctx, e.host, {"broadcast", "files"});
  json lists = json::object();
  std::set<std::string> paths;
  for (const auto& r : files.value("result", json::array())) {
    std::string module = r.value("module", "?");
    if (r.value("status", 1) != 0)
      throw sc::Failure("module " + module + " on " + e.host + " could not list its files: " +
                        r.value("error", json("no reason given")).dump());
    auto list = string_list(r.value("result", json()), "the files hook of " + module + " on " + e.host);
    for (const auto& p : list) {
      if (p.empty() || p[0] != '/' || p.find('\n') != std::string::npos)
        throw sc::Failure("module " + module + " on " + e.host + " listed \"" + p + "\", which is not an absolute path");
      paths.insert(p);
    }
    lists[module] = list;
  }
  ctx.write_file(target + "/" + kFileLists, lists.dump(2) + "\n", sc::FileAttr::with_mode(0600));
  // The peer's paths are paths of its own tree: "/" unless it runs with --root.
  const std::string peer_root = files.value("root", std::string("/"));
  fetch_into(ctx, e, peer_root, {paths.begin(), paths.end()}, target, link_dest, t);

  // Databases of ready modules: each a `db backup` stream from the peer.
  json dbs = peer_query(ctx, e.host, {"broadcast", "--ready-only", "db"});
  for (const auto& r : dbs.value("result", json::array())) {
    std::string module = r.value("module", "?");
    if (r.value("status", 1) != 0)
      throw sc::Failure("module " + module + " on " + e.host + " could not list its databases");
    for (const auto& item : string_list(r.value("result", json()), "the db hook of " + module)) {
      auto slash = item.find(':');
      std::string user = item.substr(0, slash), database = slash == std::string::npos ? user : item.substr(slash + 1);
      for (char c : user + database)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
          throw sc::Failure("module " + module + " on " + e.host + " named database \"" + item + "\", which is not valid");
      sc::RunOptions o;
      o.readonly = true;
      o.capture_out = true;
      o.capture_err = true;
      std::string remote_sc = ctx.setting("SSHLINK_REMOTE_SC").value_or("sc");
      sc::RunResult dump = ctx.peer_run(e.host, {remote_sc, "db", "backup", user, database}, o);
      if (!dump.ok())
        throw sc::Failure("dump of database " + database + " on " + e.host + " failed: " +
                          (dump.err.empty() ? ctx.last_error() : dump.err));
      ctx.make_dir(target + "/db", sc::FileAttr::with_mode(0700));
      ctx.write_file(target + "/db/" + user + ":" + database + ".sql.xz", dump.out, private_file());
      t->databases.push_back(user + ":" + database);
    }
  }
}

/// One run for one entry; returns its record (also stored in status.json).
backup::RunRecord run_entry(sc::Context& ctx, const std::string& dir, const Entry& e, const std::string& period) {
  const std::string host_dir = backup::host_dir(dir, e);
  const std::string entry_dir = backup::entry_dir(dir, e);
  backup::RunRecord rec;
  rec.entry = e.text();
  rec.period = period;
  rec.started = std::time(nullptr);
  for (const auto& d : {host_dir, entry_dir, entry_dir + "/" + period}) ctx.make_dir(d, sc::FileAttr::with_mode(0700));
  std::optional<HostLock> lock;
  if (!ctx.dry_run()) lock.emplace(ctx, host_dir, e.host);

  // Resume an unfinished run of this period, else start a new one.
  std::string partial;
  for (const auto& n : list_dir(ctx.resolve_path(entry_dir + "/" + period)))
    if (n.size() > 8 && n.compare(n.size() - 8, 8, backup::kPartialSuffix) == 0) partial = n;
  if (partial.empty()) {
    // Names are start times to the second, and always newer than every
    // snapshot of the period: a run within the same second as the last one
    // takes the next second, and a name rotation freed is never reused (it
    // would sort before newer snapshots).
    std::time_t t = rec.started;
    for (const auto& n : list_dir(ctx.resolve_path(entry_dir + "/" + period)))
      if (auto when = backup::parse_snapshot_name(n); when && *when >= t) t = *when + 1;
    partial = backup::snapshot_name(t) + backup::kPartialSuffix;
  }
  const std::string name = partial.substr(0, partial.size() - 8);
  const std::string target = entry_dir + "/" + period + "/" + partial;
  auto previous = snapshots_of(ctx, entry_dir);
  const std::string link_dest =
      previous.empty() ? std::string() : entry_dir + "/" + previous.back().first + "/" + previous.back().second;
  backup::Status status = read_status(ctx, entry_dir);
  try {
    ctx.make_dir(target, sc::FileAttr::with_mode(0700));
    Transfer t;
    const auto t0 = std::chrono::steady_clock::now();
    if (e.whole_host()) {
      if (!ctx.peer_linked(e.host)) throw sc::Failure(ctx.last_error());
      transfer_whole_host(ctx, e, target, link_dest, &t);
    } else {
      // From the path's parent: rsync opens every level of a file's path
      // relative to the transfer for each file it checks, so a short one
      // is measurably faster on deep trees. fs/ keeps the same layout;
      // the levels above the path are made here (a restore leaves them).
      const auto slash = e.path.find_last_of('/');
      const std::string parent = slash == 0 ? "/" : e.path.substr(0, slash);
      const std::string last = e.path == "/" ? "/" : e.path.substr(slash + 1);
      fetch_into(ctx, e, parent, {last}, target, link_dest, &t, parent == "/" ? "" : parent);
    }
    rec.warnings = t.warnings;
    rec.databases = t.databases;
    ctx.debug("copied in " + ms_since(t0) + " ms");
    if (!ctx.dry_run()) {
      // Checksums: files hard-linked from the previous snapshot keep theirs;
      // when all of fs/ was linked, its sums carry over without a walk.
      std::vector<backup::FileSum> old;
      std::string err;
      bool have_old = false;
      bool old_complete = false;  // as many sums as files the previous run recorded
      if (!link_dest.empty()) {
        auto text = ctx.read_file(link_dest + "/" + kChecksums);
        have_old = text && backup::parse_sums(*text, &old, &err);
        auto previous_run = snapshot_record(ctx.resolve_path(link_dest));
        old_complete = have_old && previous_run && previous_run->files == old.size();
      }
      backup::TreeSums sums;
      bool summed = false;
      if (t.fs_linked && old_complete) {
        summed = backup::sum_tree_carrying(ctx.resolve_path(target), "fs", old, &sums, &err);
      } else {
        std::map<backup::InodeKey, backup::FileSum> known;
        if (have_old) known = backup::index_by_inode(ctx.resolve_path(link_dest), old);
        summed = backup::sum_tree(ctx.resolve_path(target), known, &sums, {}, &err);
      }
      if (!summed) throw sc::Failure(err);
      rec.files = sums.files.size();
      rec.bytes = sums.bytes;
      rec.new_bytes = sums.new_bytes;
      ctx.write_file(target + "/" + kChecksums, backup::format_sums(sums.files), sc::FileAttr::with_mode(0600));
      ctx.debug("checksums done at " + ms_since(t0) + " ms (" + std::to_string(sums.new_bytes) + " bytes read)");
    }
    rec.snapshot = name;
    rec.ok = true;
    rec.finished = std::time(nullptr);
    ctx.write_file(target + "/" + kSnapshotMeta, rec.to_json().dump(2) + "\n", sc::FileAttr::with_mode(0600));
    ctx.rename(target, entry_dir + "/" + period + "/" + name);
    // Only now, with a good snapshot in place, may old ones go.
    std::vector<std::string> complete;
    for (const auto& n : list_dir(ctx.resolve_path(entry_dir + "/" + period)))
      if (backup::parse_snapshot_name(n)) complete.push_back(n);
    if (ctx.dry_run()) complete.push_back(name);
    const std::string keep_setting = "BACKUP_KEEP_" + std::string(period == "hourly" ? "HOURLY" : period == "daily" ? "DAILY" : "WEEKLY");
    size_t keep = std::stoul(ctx.setting(keep_setting).value_or("7"));
    for (const auto& old : backup::to_rotate(complete, keep)) ctx.remove(entry_dir + "/" + period + "/" + old, true);
    for (const auto& w : rec.warnings) ctx.warn(e.text() + ": " + w);
  } catch (const std::exception& ex) {
    rec.ok = false;
    rec.error = ex.what();
    rec.finished = std::time(nullptr);
    status.record(rec);
    write_status(ctx, entry_dir, status);
    throw;
  }
  status.record(rec);
  write_status(ctx, entry_dir, status);
  return rec;
}

// ---- commands -----------------------------------------------------------------

void setup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  std::string dir = ctx.setting_or_prompt("BACKUP_DIR");
  ctx.make_dir(dir, sc::FileAttr::with_mode(0700));
  for (const char* p : backup::kPeriods)
    if (ctx.call_shown("crontask", "add", {"backup", p}) != SC_OK)
      throw sc::Failure(std::string("could not add the ") + p + " cron task (see above)");
}

void cleanup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  if (ctx.call_shown("crontask", "del", {"backup"}) != SC_OK) throw sc::Failure("could not remove the cron tasks");
  ctx.unset_setting("BACKUP_LIST");
  ctx.unset_setting("BACKUP_DIR");
  ctx.info("snapshots are kept where they are");
}

int ready(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  try {
    backup_dir(ctx);
  } catch (const sc::Failure&) {
    return SC_FAIL;
  }
  for (const char* p : backup::kPeriods)
    if (ctx.call("crontask", "has", {"backup", p}).status != SC_OK) return SC_FAIL;
  return SC_OK;
}

int enabled(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  if (scheduled(ctx).empty()) return SC_FAIL;
  try {
    backup_dir(ctx);
  } catch (const sc::Failure&) {
    return SC_FAIL;
  }
  return SC_OK;
}

void add(sc::Context& ctx) {
  ctx.expect_args(1, 2, "HOST[:/PATH] [PERIOD]");
  Entry e = entry_arg(ctx.arg(0));
  std::string period = period_arg(ctx.arg(1, "daily"));
  if (ctx.call("backup", "ready").status != SC_OK && ctx.call_shown("backup", "setup") != SC_OK)
    throw sc::Failure("backup could not be set up (see above)");
  ctx.link_peer(e.host);
  if (e.whole_host() && !ctx.dry_run()) {
    const std::string fix = "; install it there, or back up a path (" + e.host + ":/PATH)";
    try {
      if (ctx.peer_sc(e.host, {"version", "show"}, true).status != SC_OK)
        throw sc::Failure("sc does not run there");
    } catch (const sc::Failure& ex) {
      throw sc::Failure("sc is not installed on " + e.host + " (" + ex.what() + ")" + fix);
    }
  }
  auto items = scheduled(ctx);
  for (const auto& i : items)
    if (i.period == period && i.entry == e) return ctx.print(e.text() + " is already backed up " + period + "\n");
  items.push_back({period, e});
  ctx.set_setting("BACKUP_LIST", backup::format_list(items));
}

void del(sc::Context& ctx) {
  ctx.expect_args(1, 2, "HOST[:/PATH] [PERIOD]");
  Entry e = entry_arg(ctx.arg(0));
  std::string period = period_arg(ctx.arg(1, "daily"));
  auto items = scheduled(ctx);
  auto it = std::find_if(items.begin(), items.end(), [&](const auto& i) { return i.period == period && i.entry == e; });
  if (it == items.end()) return ctx.print(e.text() + " is not backed up " + period + "\n");
  items.erase(it);
  ctx.set_setting("BACKUP_LIST", backup::format_list(items));
  ctx.info("its snapshots are kept");
}

int has(sc::Context& ctx) {
  ctx.expect_args(1, 2, "HOST[:/PATH] [PERIOD]");
  Entry e = entry_arg(ctx.arg(0));
  std::string period = period_arg(ctx.arg(1, "daily"));
  for (const auto& i : scheduled(ctx))
    if (i.period == period && i.entry == e) return SC_OK;
  return SC_FAIL;
}

void list(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  auto items = scheduled(ctx);
  std::optional<std::string> dir;
  if (auto d = ctx.setting("BACKUP_DIR", SC_SETTING_NO_DEFAULT)) dir = *d;
  json out = json::array();
  std::string text;
  for (const auto& i : items) {
    backup::Status st = dir ? read_status(ctx, backup::entry_dir(*dir, i.entry)) : backup::Status{};
    const backup::RunRecord* ok = st.last_success.count(i.period) ? &st.last_success.at(i.period) : nullptr;
    const backup::RunRecord* last = st.last_run.count(i.period) ? &st.last_run.at(i.period) : nullptr;
    json row = {{"entry", i.entry.text()}, {"period", i.period}};
    row["last_success"] = ok ? json(ok->finished) : json(nullptr);
    row["snapshot"] = ok ? json(ok->snapshot) : json(nullptr);
    row["size"] = ok ? json(ok->bytes) : json(nullptr);
    row["new_bytes"] = ok ? json(ok->new_bytes) : json(nullptr);
    row["files"] = ok ? json(ok->files) : json(nullptr);
    row["duration"] = ok ? json(ok->finished - ok->started) : json(nullptr);
    row["last_error"] = last && !last->ok ? json(last->error) : json(nullptr);
    out.push_back(row);
    text += i.period + "\t" + i.entry.text() + "\tlast: " + (ok ? backup::human_time(ok->finished) : "never") +
            (ok ? ", " + backup::human_size(ok->bytes) + " (" + backup::human_size(ok->new_bytes) + " new), " +
                      std::to_string(ok->finished - ok->started) + " s"
                : std::string()) +
            (last && !last->ok ? "\tERROR: " + last->error : std::string()) + "\n";
  }
  ctx.print(text);
  ctx.result(out.dump());
}

void start(sc::Context& ctx) {
  ctx.expect_args(1, 2, "HOST[:/PATH] [PERIOD]");
  Entry e = entry_arg(ctx.arg(0));
  std::string period = period_arg(ctx.arg(1, "daily"));
  std::string dir = backup_dir(ctx);
  backup::RunRecord rec = run_entry(ctx, dir, e, period);
  ctx.print(e.text() + ": snapshot " + period + "/" + rec.snapshot + ", " + std::to_string(rec.files) + " files, " +
            backup::human_size(rec.bytes) + " (" + backup::human_size(rec.new_bytes) + " new)\n");
  ctx.result(rec.to_json().dump());
}

/// Hook `cron PERIOD`: every entry of that period; one failure does not
/// stop the others.
int cron(sc::Context& ctx) {
  ctx.expect_args(1, 1, "PERIOD");
  std::string period = period_arg(ctx.arg(0));
  std::string dir = backup_dir(ctx);
  int failures = 0;
  for (const auto& i : scheduled(ctx)) {
    if (i.period != period) continue;
    try {
      run_entry(ctx, dir, i.entry, period);
    } catch (const sc::Usage&) {
      throw;
    } catch (const std::exception& ex) {
      ctx.log(SC_LOG_ERROR, i.entry.text() + ": " + ex.what());
      ++failures;
    }
  }
  return failures ? SC_FAIL : SC_OK;
}

/// Hook `sync HOST MODE`: a standby takes its master's backup list.
void sync(sc::Context& ctx) {
  ctx.expect_args(2, 2, "HOST MODE");
  if (ctx.arg(1) != "backup") return;
  if (ctx.call_shown("sshlink", "importsettings", {ctx.arg(0), "backup/BACKUP_LIST"}) != SC_OK)
    throw sc::Failure("could not import BACKUP_LIST from " + ctx.arg(0));
}

// ---- restore and verify -------------------------------------------------------

/// Picks the snapshot directory (target path) SOURCE designates: a snapshot,
/// an entry directory, a host directory, or a backup made by the original
/// tool (fs/, db/ and an sc file).
std::string pick_snapshot(sc::Context& ctx, const std::string& source, const std::string& at) {
  const std::string real = ctx.resolve_path(source);
  if (!is_dir(real)) throw sc::Usage("backup source " + source + " is not a directory");
  auto looks_like_snapshot = [&](const std::string& r) {
    return is_dir(r + "/fs") || read_real(r + "/" + kSettingsFile).has_value();
  };
  if (at.empty() && looks_like_snapshot(real)) return source;
  std::string entry_dir = source;
  if (is_dir(real + "/host")) entry_dir = source + "/host";
  auto snaps = snapshots_of(ctx, entry_dir);
  if (snaps.empty()) {
    if (looks_like_snapshot(real)) return source;
    throw sc::Usage("no snapshot found in " + source + "; give a snapshot directory or an entry directory");
  }
  if (at.empty()) return entry_dir + "/" + snaps.back().first + "/" + snaps.back().second;
  for (const auto& [p, n] : snaps)
    if (n == at || p + "/" + n == at) return entry_dir + "/" + p + "/" + n;
  // A time: the newest snapshot taken at or before it.
  std::string key = at;
  std::replace(key.begin(), key.end(), ':', '-');
  std::replace(key.begin(), key.end(), ' ', 'T');
  std::string best;
  for (const auto& [p, n] : snaps)
    if (n.compare(0, key.size(), key) <= 0) best = entry_dir + "/" + p + "/" + n;
  if (best.empty()) throw sc::Usage("no snapshot at or before " + at + " in " + source);
  return best;
}

void restore_from(sc::Context& ctx) {
  std::string source, at, only_path;
  const auto& a = ctx.args();
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == "--at" && i + 1 < a.size())
      at = a[++i];
    else if (a[i] == "--path" && i + 1 < a.size())
      only_path = a[++i];
    else if (source.empty() && !a[i].empty() && a[i][0] == '/')
      source = a[i];
    else
      throw sc::Usage("usage: sc backup restore_from SOURCE [--at TIME|SNAPSHOT] [--path PATH] (SOURCE absolute)");
  }
  if (source.empty()) throw sc::Usage("missing SOURCE; usage: sc backup restore_from SOURCE [--at TIME|SNAPSHOT] [--path PATH]");
  if (!only_path.empty()) {
    auto e = backup::parse_entry("x:" + only_path, nullptr);
    if (!e) throw sc::Usage("--path " + only_path + " is not an absolute path without '..', spaces or control characters");
    only_path = e->path;
  }
  const std::string snap = pick_snapshot(ctx, source, at);
  const std::string real = ctx.resolve_path(snap);
  ctx.print("restoring from " + snap + "\n");

  // A snapshot of one path (HOST:/PATH) holds the levels above that path
  // only to place it: a restore leaves those directories as they are on
  // this host (made with default attributes when missing). A whole-host
  // snapshot restores them too: a module's files may need their parents'
  // owners and modes.
  std::string entry_path;
  if (auto rec = snapshot_record(real))
    if (auto e = backup::parse_entry(rec->entry, nullptr)) entry_path = e->path;
  const std::string restored = ctx.dry_run() ? " would be restored\n" : " restored\n";
  auto rsync_back = [&](const std::vector<std::string>& paths, const std::string& what) {
    std::string list;
    for (const auto& p : paths) {
      const size_t first = p.find_first_not_of('/');
      list += (first == std::string::npos ? std::string(".") : p.substr(first)) + '\0';  // "/": all of fs/
    }
    if (list.empty()) return;
    sc::RunOptions o;
    o.input = list;
    o.capture_err = true;
    std::vector<std::string> argv = {"rsync", "--archive", "--recursive", "--numeric-ids", "--hard-links", "--from0",
                                     "--files-from=-"};
    if (!entry_path.empty()) argv.push_back("--no-implied-dirs");
    argv.insert(argv.end(), {real + "/fs/", ctx.resolve_path("/")});
    sc::RunResult r = ctx.run(argv, o);
    if (!r.ok()) throw sc::Failure("restoring " + what + " failed: " + ctx.last_error());
  };

  if (!only_path.empty()) {
    struct stat st {};
    if (::lstat((real + "/fs" + only_path).c_str(), &st) != 0)
      throw sc::Usage(only_path + " is not in the snapshot " + snap);
    rsync_back({only_path}, only_path);
    return;
  }
  if (!entry_path.empty()) {
    rsync_back({entry_path}, entry_path);
    ctx.print(entry_path + restored);
    return;
  }

  // 1. Settings first: modules restored next read them.
  if (read_real(real + "/" + kSettingsFile)) {
    sc::CallResult r = ctx.call("settings", "import", {snap + "/" + kSettingsFile});
    if (r.status != SC_OK) throw sc::Failure("restoring the settings failed: " + r.json);
    ctx.print("settings" + restored);
  }
  // 2. Files, module by module: a module with a `restore` hook restores its
  // own (user merges accounts instead of overwriting them); the others'
  // files are copied back.
  auto lists_text = read_real(real + "/" + kFileLists);
  if (lists_text) {
    json lists = json::parse(*lists_text, nullptr, false);
    if (!lists.is_object()) throw sc::Failure(snap + "/" + kFileLists + " is damaged");
    std::vector<std::string> plain;
    for (auto it = lists.begin(); it != lists.end(); ++it) {
      auto paths = string_list(it.value(), "the file list of " + it.key());
      sc::CallResult help = ctx.call("help", it.key());  // the module's manifest
      bool has_restore = false;
      json h = json::parse(help.json, nullptr, false);
      if (h.is_object() && h.value("result", json()).is_object())
        for (const auto& hook : h["result"].value("hooks", json::array())) has_restore |= hook == "restore";
      if (has_restore) {
        if (ctx.call_shown(it.key(), "restore", {snap}) != SC_OK)
          throw sc::Failure("module " + it.key() + " could not restore its files");
        ctx.print("module " + it.key() + restored);
      } else {
        plain.insert(plain.end(), paths.begin(), paths.end());
      }
    }
    rsync_back(plain, "the modules' files");
  } else if (is_dir(real + "/fs")) {
    // A backup of the original tool: everything in fs/.
    rsync_back(list_dir(real + "/fs"), "the files");
  }
  // 3. Databases.
  for (const auto& f : list_dir(real + "/db")) {
    if (f.size() < 7 || f.compare(f.size() - 7, 7, ".sql.xz") != 0) continue;
    if (ctx.call_shown("db", "restore", {snap + "/db/" + f}) != SC_OK)
      throw sc::Failure("restoring database " + f.substr(0, f.size() - 7) + " failed (see above)");
    ctx.print("database " + f.substr(0, f.size() - 7) + restored);
  }
}

int verify(sc::Context& ctx) {
  std::optional<Entry> only;
  std::string at;
  const auto& a = ctx.args();
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == "--at" && i + 1 < a.size())
      at = a[++i];
    else if (!only)
      only = entry_arg(a[i]);
    else
      throw sc::Usage("usage: sc backup verify [HOST[:/PATH]] [--at SNAPSHOT]");
  }
  std::string dir = backup_dir(ctx);
  std::vector<Entry> entries;
  if (only) {
    entries.push_back(*only);
  } else {
    for (const auto& i : scheduled(ctx))
      if (std::find(entries.begin(), entries.end(), i.entry) == entries.end()) entries.push_back(i.entry);
  }
  const bool tty = ctx.mode() & SC_MODE_TTY;
  json report = json::array();
  int damaged = 0;
  for (const auto& e : entries) {
    std::string edir = backup::entry_dir(dir, e);
    auto snaps = snapshots_of(ctx, edir);
    if (snaps.empty()) {
      ctx.warn(e.text() + ": no snapshot to verify");
      continue;
    }
    auto pick = snaps.back();
    if (!at.empty()) {
      auto it = std::find_if(snaps.begin(), snaps.end(), [&](const auto& s) { return s.second == at; });
      if (it == snaps.end()) throw sc::Usage("no snapshot " + at + " of " + e.text());
      pick = *it;
    }
    const std::string snap = edir + "/" + pick.first + "/" + pick.second;
    auto text = ctx.read_file(snap + "/" + kChecksums);
    std::vector<backup::FileSum> sums;
    std::string err;
    if (!text || !backup::parse_sums(*text, &sums, &err))
      throw sc::Failure("the checksums of " + snap + " are missing or damaged" + (err.empty() ? "" : ": " + err));
    std::uint64_t total = 0;
    for (const auto& s : sums) total += s.size;
    auto progress = [&](std::uint64_t done) {
      if (tty) ctx.log(SC_LOG_INFO, "verify " + e.text() + ": " + backup::human_size(done) + " / " + backup::human_size(total));
    };
    auto damage = backup::verify_tree(ctx.resolve_path(snap), sums, progress);
    json bad = json::array();
    for (const auto& d : damage) {
      bad.push_back({{"path", d.path}, {"problem", d.problem}});
      ctx.print(e.text() + " " + pick.first + "/" + pick.second + ": " + d.path + ": " + d.problem + "\n");
    }
    damaged += static_cast<int>(damage.size());
    ctx.print(e.text() + " " + pick.first + "/" + pick.second + ": " + std::to_string(sums.size()) + " files, " +
              (damage.empty() ? "all intact" : std::to_string(damage.size()) + " damaged") + "\n");
    report.push_back({{"entry", e.text()}, {"snapshot", pick.first + "/" + pick.second}, {"files", sums.size()},
                      {"damaged", bad}});
  }
  ctx.result(report.dump());
  return damaged ? SC_FAIL : SC_OK;
}

}  // namespace

SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION,
          sc::command<&setup>("setup"), sc::command<&cleanup>("cleanup"), sc::command<&add>("add"),
          sc::command<&del>("del"), sc::command<&has>("has"), sc::command<&list>("list"),
          sc::command<&start>("start"), sc::command<&restore_from>("restore_from"), sc::command<&verify>("verify"),
          sc::command<&enabled>("enabled"), sc::command<&ready>("ready"), sc::command<&cron>("cron"),
          sc::command<&sync>("sync"))
