// backup: whole-host backups of sc peers (or single paths of any host) in
// hard-linked snapshots, and restore (the original's backup module, which
// kept one mirror that every run overwrote with --delete).
//
// A run writes BACKUP_DIR/HOST/ENTRY/PERIOD/<start time>.partial: the
// newest complete snapshot of the entry hard-linked by the host (an engine
// action) while rsync compares it with the peer, less what changed, plus
// what changed copied by rsync (or a whole copy for the first snapshot);
// records checksums, and renames it into place only when complete.
// Rotation runs only after a success, so a failed run never costs a good
// snapshot; the .partial is kept and the next run resumes it. Every change
// goes through the host services; the module reads snapshot trees through
// descriptors the host opens (checksums.cpp) and flocks its host lock.
#include <fcntl.h>
#include <sys/file.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sc/plugin.hpp>
#include <set>
#include <thread>

#include "checksums.hpp"
#include "entry.hpp"
#include "health.hpp"
#include "snapshots.hpp"

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

/// The value of --at: a time (2026-01-02, "2026-01-02 03:04", 2026-01-02T03:04:05)
/// or a snapshot name (2026-01-02T03-04-05Z, daily/2026-01-02T03-04-05Z).
std::string at_arg(const std::string& at) {
  std::string_view name = at;
  for (const char* p : backup::kPeriods)
    if (name.size() > std::strlen(p) && name.substr(0, std::strlen(p)) == p && name[std::strlen(p)] == '/')
      name.remove_prefix(std::strlen(p) + 1);
  const bool ok = !name.empty() && at.size() <= 64 && name[0] >= '0' && name[0] <= '9' &&
                  std::all_of(name.begin(), name.end(), [](char c) {
                    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
                           c == ':' || c == ' ';
                  });
  if (!ok)
    throw sc::Usage("--at \"" + at +
                    "\" is neither a time (YYYY-MM-DD[ HH:MM[:SS]]) nor a snapshot name "
                    "([PERIOD/]YYYY-MM-DDTHH-MM-SSZ, see `sc backup list`)");
  return at;
}

std::string period_arg(const std::string& p) {
  if (!backup::valid_period(p)) throw sc::Usage("unknown period \"" + p + "\"; use hourly, daily or weekly");
  return p;
}

/// BACKUP_DIR as a target path, checked to be a directory.
std::string backup_dir(sc::Context& ctx) {
  auto dir = ctx.setting("BACKUP_DIR", SC_SETTING_NO_DEFAULT);
  if (!dir || dir->empty()) throw sc::Failure("BACKUP_DIR is not set; run `sc backup setup`");
  if (!ctx.stat(*dir, true).is_dir())
    throw sc::Failure("BACKUP_DIR " + *dir + " is not a directory; create it with `sc backup setup`");
  return *dir;
}

std::vector<backup::Scheduled> scheduled(sc::Context& ctx) {
  std::vector<std::string> bad;
  auto items = backup::parse_list(ctx.setting("BACKUP_LIST").value_or(""), &bad);
  for (const auto& b : bad)
    ctx.warn("BACKUP_LIST: ignoring malformed item \"" + b + "\"; remove it with sc backup del");
  return items;
}

bool is_dir(sc::Context& ctx, const std::string& path) {
  return ctx.stat(path, true).is_dir();
}

/// The names in a directory of the target, sorted; none when it is missing.
std::vector<std::string> names_in(sc::Context& ctx, const std::string& dir) {
  return is_dir(ctx, dir) ? ctx.list_dir(dir) : std::vector<std::string>{};
}

/// The record a snapshot keeps of the run that made it (backup.json).
std::optional<backup::RunRecord> snapshot_record(sc::Context& ctx, const std::string& snapshot) {
  auto text = ctx.read_file(snapshot + "/" + kSnapshotMeta);
  if (!text) return std::nullopt;
  return backup::RunRecord::from_json(json::parse(*text, nullptr, false));
}

/// Complete snapshots of an entry: (period, name), oldest first.
std::vector<std::pair<std::string, std::string>> snapshots_of(sc::Context& ctx, const std::string& entry_dir) {
  std::vector<std::pair<std::string, std::string>> all;
  for (const char* p : backup::kPeriods)
    for (const auto& n : names_in(ctx, entry_dir + "/" + p))
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
    if (!ctx.stat(lock).exists()) ctx.write_file(lock, "", sc::FileAttr::with_mode(0600));
    // A lock, the one kind of file this module touches itself: flock() on
    // a descriptor the host opened under its root.
    fd_ = ctx.open_read(lock);
    long wait = std::stol(ctx.setting("BACKUP_LOCK_WAIT").value_or("3600"));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait);
    bool told = false;
    while (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
      if (std::chrono::steady_clock::now() >= deadline)
        throw sc::Failure("another backup of " + host + " is still running (lock " + lock + "); try again later");
      if (!told) ctx.info("waiting for another backup of " + host + " to finish");
      told = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    // The programs this run starts (rsync) inherit the lock: when sc is
    // killed, an rsync it left still writing into the .partial keeps the
    // host locked until it ends, so the next run never removes or resumes
    // a .partial that is still being written.
    ::fcntl(fd_.get(), F_SETFD, ::fcntl(fd_.get(), F_GETFD) & ~FD_CLOEXEC);
  }

 private:
  sc::ReadFd fd_;  // closing it (and the end of the programs that inherited it) releases the lock
};

// ---- taking a snapshot ------------------------------------------------------------

/// What the copy of one run made, and what its checksums are built from.
struct Transfer {
  std::vector<std::string> warnings;
  std::vector<std::string> databases;
  /// The new fs/ is the previous snapshot's, hard-linked by the host,
  /// less `dropped`, plus `copied`.
  bool incremental = false;
  std::vector<std::string> dropped;      ///< fs-relative paths left out of the previous snapshot's tree
  std::vector<backup::FileSum> copied;   ///< files rsync copied, with the checksums it computed
  std::set<std::string> unsummed;        ///< files rsync reported without a checksum
  std::vector<backup::FileSum> written;  ///< files this run wrote itself (settings, lists, dumps)
  bool whole_copy = false;               ///< fs/ was copied whole into a new directory: rsync reported every file
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

/// Writes a file of the snapshot (private: it may hold secrets) and keeps
/// its checksum.
void write_private(sc::Context& ctx, const std::string& target, const std::string& rel, const std::string& data,
                   Transfer* t) {
  sc::FileAttr a = sc::FileAttr::with_mode(0600);
  a.secret = true;
  ctx.write_file(target + "/" + rel, data, a);
  t->written.push_back({rel, data.size(), backup::hash_bytes(data)});
}

/// The files of rsync's report, their paths made relative to the snapshot
/// (`prefix`: where the copy's target lies, e.g. "fs/srv").
void keep_copied(const std::vector<sc::FetchItem>& items, const std::string& prefix, Transfer* t) {
  for (const auto& i : items) {
    if (i.deleted() || i.change.size() < 2 || i.change[1] != 'f') continue;
    const std::string path = i.path == "." ? prefix : prefix + "/" + i.path;
    if (i.checksum.empty())
      t->unsummed.insert(path);
    else
      t->copied.push_back({path, i.size, i.checksum});
  }
}

/// rsync's status 24 (files vanished while copying) is a warning; every
/// other failure fails the run.
void check_copy(const sc::FetchResult& r, Transfer* t) {
  if (r.ok()) return;
  if (r.exit_code != 24) throw sc::Failure(r.error);
  t->warnings.push_back("some files vanished while they were copied (rsync status 24)");
}

/// "/a/b" -> "a/b/", "" -> "": a prefix for paths relative to fs/.
std::string fs_prefix(const std::string& sub) {
  return sub.empty() ? std::string() : sub.substr(1) + "/";
}

/// Makes the new fs/ from the previous snapshot's: the host hard-links its
/// tree while rsync compares it with the peer (the comparison mostly waits
/// on the peer, leaving a core free); what changed or went is then left
/// out of the copy, and only what changed is copied, by a second rsync of
/// exactly those paths. No rsync --link-dest, whose cost grows with the
/// depth of every path it links. False (nothing made) when the peer has
/// hard links among what changed, which only a whole rsync run recreates.
bool fetch_incremental(sc::Context& ctx, const sc::FetchOptions& base, const std::string& link_dest,
                       const std::string& target, const std::string& within, Transfer* t) {
  sc::FetchOptions compare = base;
  compare.compare_only = true;
  compare.delete_extraneous = true;
  std::string sub = within;  // the compared directory, below fs/
  if (base.paths.size() == 1) {
    // One directory (a path entry): compared as itself, which rsync walks
    // faster than through a file list. Its previous copy says whether it
    // was a directory; if it no longer is, rsync fails and the run copies.
    const std::string& p = base.paths[0];
    const std::string rel = p == "/" ? "" : "/" + p;
    if (is_dir(ctx, link_dest + "/fs" + within + rel)) {
      compare.source_dir = p == "/" ? base.source_dir : (base.source_dir == "/" ? "" : base.source_dir) + rel;
      compare.paths = {"."};
      sub = within + rel;
    }
  }
  compare.target_dir = link_dest + "/fs" + sub;
  sc::Clone clone = ctx.clone_start(link_dest + "/fs", target + "/fs");
  const auto t0 = std::chrono::steady_clock::now();
  const sc::FetchResult c = ctx.fetch(compare);
  ctx.debug("compared with the previous snapshot in " + ms_since(t0) + " ms: " + (c.differs ? "changes" : "no change"));
  if (!c.ok() || !c.ran) return false;  // the clone is discarded; a plain copy says what is wrong
  for (const auto& i : c.items)
    if (i.change[0] == 'h') return false;

  // Left out of the copy: what went, and every changed item but a
  // directory (new, or with other attributes: the copy below sets those).
  const std::string prefix = fs_prefix(sub);
  std::vector<std::string> get;
  for (const auto& i : c.items) {
    if (ctx.verbose()) ctx.debug("  " + i.change + " " + i.path);
    const std::string rel = i.path == "." ? (sub.empty() ? "" : sub.substr(1)) : prefix + i.path;
    if (!i.deleted()) get.push_back(i.path);
    if ((i.deleted() || !i.is_dir()) && !rel.empty()) t->dropped.push_back(rel);
  }
  clone.finish(t->dropped);
  ctx.debug("previous snapshot linked at " + ms_since(t0) + " ms, " + std::to_string(t->dropped.size()) +
            " paths left out");
  t->incremental = true;
  if (!c.differs) return true;
  // The compared directory itself: what was left out of it, or copied into
  // it, moved its times (rsync puts back those of the directories it
  // passes on the way to what it copies, not those of where it starts).
  if (compare.paths == std::vector<std::string>{"."} && std::find(get.begin(), get.end(), ".") == get.end())
    get.insert(get.begin(), ".");
  sc::FetchOptions changed = base;
  changed.source_dir = compare.source_dir;
  changed.paths = get;
  changed.target_dir = target + "/fs" + sub;
  changed.list_only = true;
  changed.report = true;
  const sc::FetchResult r = ctx.fetch(changed);
  check_copy(r, t);
  keep_copied(r.items, "fs" + sub, t);
  return true;
}

/// rsync from the peer's `source_dir` into `target`/fs`within` (`within`:
/// where source_dir lies in the peer's tree, "" for its root): from the
/// previous snapshot when there is one, else a whole copy.
void fetch_into(sc::Context& ctx, const Entry& e, const std::string& source_dir, const std::vector<std::string>& paths,
                const std::string& target, const std::string& link_dest, Transfer* t, const std::string& within = "") {
  sc::FetchOptions o;
  o.peer = e.host;
  o.source_dir = source_dir;
  o.paths = paths;
  o.excludes = exclusions(ctx);
  o.bwlimit_kbps = speed_limit(ctx, e.host);
  o.exact = true;
  if (!link_dest.empty() && fetch_incremental(ctx, o, link_dest, target, within, t)) return;
  o.target_dir = target + "/fs" + within;
  o.delete_extraneous = true;  // a resumed .partial must end up exactly as the peer is
  o.report = true;
  o.link_dest = link_dest.empty() ? std::string() : link_dest + "/fs" + within;
  t->whole_copy = link_dest.empty() && !ctx.stat(target + "/fs").exists();
  ctx.make_dir(target + "/fs" + within, sc::FileAttr::with_mode(0700));
  const sc::FetchResult r = ctx.fetch(o);
  check_copy(r, t);
  keep_copied(r.items, "fs" + within, t);
}

void transfer_whole_host(sc::Context& ctx, const Entry& e, const std::string& target, const std::string& link_dest,
                         Transfer* t) {
  // Settings, with secrets: the snapshot is private (0700/0600).
  json settings = peer_query(ctx, e.host, {"settings", "print", "--show-secrets"});
  write_private(ctx, target, kSettingsFile, settings.value("output", ""), t);

  // Every module's files: from the hooks' JSON results only.
  json files = peer_query(ctx, e.host, {"broadcast", "files"});
  json lists = json::object();
  std::set<std::string> paths;
  for (const auto& r : files.value("result", json::array())) {
    std::string module = r.value("module", "?");
    if (r.value("status", 1) != 0)
      throw sc::Failure("module " + module + " on " + e.host +
                        " could not list its files: " + r.value("error", json("no reason given")).dump());
    auto list = string_list(r.value("result", json()), "the files hook of " + module + " on " + e.host);
    for (const auto& p : list) {
      if (p.empty() || p[0] != '/' || p.find('\n') != std::string::npos)
        throw sc::Failure("module " + module + " on " + e.host + " listed \"" + p +
                          "\", which is not an absolute path");
      paths.insert(p);
    }
    lists[module] = list;
  }
  write_private(ctx, target, kFileLists, lists.dump(2) + "\n", t);
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
          throw sc::Failure("module " + module + " on " + e.host + " named database \"" + item +
                            "\", which is not valid");
      sc::RunOptions o;
      o.readonly = true;
      o.capture_out = true;
      o.capture_err = true;
      std::string remote_sc = ctx.setting("SSHLINK_REMOTE_SC").value_or("sc");
      sc::RunResult dump = ctx.peer_run(e.host, {remote_sc, "db", "backup", user, database}, o);
      if (!dump.ok())
        throw sc::Failure("dump of database " + database + " on " + e.host +
                          " failed: " + (dump.err.empty() ? ctx.last_error() : dump.err));
      ctx.make_dir(target + "/db", sc::FileAttr::with_mode(0700));
      write_private(ctx, target, "db/" + user + ":" + database + ".sql.xz", dump.out, t);
      t->databases.push_back(user + ":" + database);
    }
  }
}

/// The name of this run's snapshot in `period_dir`, with its ".partial"
/// suffix: an unfinished run's, resumed, else a new one. Names are start
/// times to the second, and always newer than every snapshot of the
/// period: a run within the same second as the last one takes the next
/// second, and a name rotation freed is never reused (it would sort before
/// newer snapshots).
std::string partial_name(sc::Context& ctx, const std::string& period_dir, std::time_t started) {
  const auto names = names_in(ctx, period_dir);
  for (const auto& n : names)
    if (n.size() > 8 && n.compare(n.size() - 8, 8, backup::kPartialSuffix) == 0) return n;
  std::time_t t = started;
  for (const auto& n : names)
    if (auto when = backup::parse_snapshot_name(n); when && *when >= t) t = *when + 1;
  return backup::snapshot_name(t) + backup::kPartialSuffix;
}

/// True when `path` is one of `dirs` or lies below one of them.
bool under_any(std::string_view path, const std::set<std::string, std::less<>>& dirs) {
  if (dirs.empty()) return false;
  for (size_t slash = path.find('/'); slash != std::string_view::npos; slash = path.find('/', slash + 1))
    if (dirs.count(path.substr(0, slash))) return true;
  return dirs.count(path) > 0;
}

/// The checksums of a new snapshot, and the text of its checksum file.
struct SnapshotSums {
  std::string text;
  std::uint64_t files = 0, bytes = 0, new_bytes = 0;
};

/// The checksums of the new snapshot `target`. What is known costs
/// nothing: the previous snapshot's sums of what was linked from it, the
/// sums rsync computed of what it copied, those of what this run wrote.
/// Only when something else may be there (a resumed run, a copy rsync
/// reported without a checksum, a previous list that lost lines) is the
/// snapshot walked, reading just the files no sum is known for.
SnapshotSums checksum_snapshot(sc::Context& ctx, const std::string& target, const std::string& link_dest,
                               const Transfer& t) {
  std::optional<std::string> old_text;
  std::optional<backup::RunRecord> old_run;
  if (!link_dest.empty()) {
    old_text = ctx.read_file(link_dest + "/" + kChecksums);
    old_run = snapshot_record(ctx, link_dest);
  }
  if (t.incremental && t.copied.empty() && t.written.empty() && t.dropped.empty() && t.unsummed.empty() && old_text &&
      old_run && static_cast<std::uint64_t>(std::count(old_text->begin(), old_text->end(), '\n')) == old_run->files)
    // Nothing changed: the previous list is this snapshot's, as it is.
    return SnapshotSums{std::move(*old_text), old_run->files, old_run->bytes, 0};
  std::vector<backup::FileSum> added = t.copied;
  added.insert(added.end(), t.written.begin(), t.written.end());
  std::uint64_t added_bytes = 0;
  for (const auto& s : added) added_bytes += s.size;
  std::set<std::string, std::less<>> dropped, fresh(t.unsummed.begin(), t.unsummed.end());
  for (const auto& d : t.dropped) dropped.insert("fs/" + d);
  for (const auto& s : added) fresh.insert(s.path);
  // What the previous list says of files linked from it: fs/ but what left
  // or is new.
  auto linked = [&](std::string_view path) {
    return path.rfind("fs/", 0) == 0 && !fresh.count(path) && !under_any(path, dropped);
  };
  backup::MergedSums merged;
  std::string err;
  // As many sums as files the previous run recorded: a list that lost
  // lines is not trusted.
  const bool previous_complete = old_text && old_run && backup::merge_sums(*old_text, linked, added, &merged, &err) &&
                                 merged.earlier == old_run->files;
  if (t.unsummed.empty() && (t.incremental ? previous_complete : t.whole_copy)) {
    if (!t.incremental) {  // a whole copy: only what rsync and this run reported
      std::string unused;
      backup::merge_sums("", linked, added, &merged, &unused);
    }
    return SnapshotSums{std::move(merged.text), merged.files, merged.bytes, added_bytes};
  }
  // Something may be there that no list names: walk the snapshot, reading
  // only the files whose sums are not known.
  std::vector<backup::FileSum> known_list;
  if (old_text && backup::parse_sums(*old_text, &known_list, &err))
    known_list.erase(
        std::remove_if(known_list.begin(), known_list.end(), [&](const backup::FileSum& s) { return !linked(s.path); }),
        known_list.end());
  std::map<std::string, backup::FileSum> known;
  for (auto& s : known_list) known.emplace(s.path, std::move(s));
  for (const auto& s : added) known[s.path] = s;
  backup::TreeSums sums;
  sc::ReadFd root = ctx.open_read(target);
  if (!backup::sum_tree(root.get(), known, &sums, {}, &err)) throw sc::Failure(err);
  return SnapshotSums{backup::format_sums(sums.files), sums.files.size(), sums.bytes, sums.new_bytes + added_bytes};
}

/// Removes the period's oldest snapshots beyond its BACKUP_KEEP_* (only
/// ever after a success: a failed run never costs a good snapshot).
void rotate(sc::Context& ctx, const std::string& period_dir, const std::string& period, const std::string& added) {
  // Snapshots are renamed out of their names first, then removed: a run
  // killed while removing leaves a hidden leftover, never a snapshot that
  // looks complete and is half gone. Leftovers of earlier runs go now.
  const std::string suffix = ".sc-removing";
  std::vector<std::string> complete, leftovers;
  for (const auto& n : names_in(ctx, period_dir)) {
    if (backup::parse_snapshot_name(n))
      complete.push_back(n);
    else if (n.size() > suffix.size() + 1 && n[0] == '.' &&
             n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0)
      leftovers.push_back(n);
  }
  if (ctx.dry_run()) complete.push_back(added);
  const std::string keep_setting = "BACKUP_KEEP_" + std::string(period == "hourly"  ? "HOURLY"
                                                                : period == "daily" ? "DAILY"
                                                                                    : "WEEKLY");
  size_t keep = std::stoul(ctx.setting(keep_setting).value_or("7"));
  for (const auto& n : leftovers) ctx.remove(period_dir + "/" + n, true);
  for (const auto& old : backup::to_rotate(complete, keep)) {
    const std::string doomed = period_dir + "/." + old + suffix;
    ctx.rename(period_dir + "/" + old, doomed);
    ctx.remove(doomed, true);
  }
}

/// One run for one entry; returns its record (also stored in status.json).
backup::RunRecord run_entry(sc::Context& ctx, const std::string& dir, const Entry& e, const std::string& period) {
  const std::string host_dir = backup::host_dir(dir, e);
  const std::string entry_dir = backup::entry_dir(dir, e);
  const std::string period_dir = entry_dir + "/" + period;
  backup::RunRecord rec;
  rec.entry = e.text();
  rec.period = period;
  rec.started = std::time(nullptr);
  for (const auto& d : {host_dir, entry_dir, period_dir}) ctx.make_dir(d, sc::FileAttr::with_mode(0700));
  std::optional<HostLock> lock;
  if (!ctx.dry_run()) lock.emplace(ctx, host_dir, e.host);

  const std::string partial = partial_name(ctx, period_dir, rec.started);
  const std::string name = partial.substr(0, partial.size() - 8);
  const std::string target = period_dir + "/" + partial;
  auto previous = snapshots_of(ctx, entry_dir);
  const std::string link_dest =
      previous.empty() ? std::string() : entry_dir + "/" + previous.back().first + "/" + previous.back().second;
  backup::Status status = read_status(ctx, entry_dir);
  try {
    ctx.make_dir(target, sc::FileAttr::with_mode(0700));
    // An unfinished run's fs/ may hold hard links to the previous
    // snapshot, which copying into it in place would change: with a
    // previous snapshot, start fs/ afresh from it (cheap); a first
    // snapshot resumes what the failed run copied.
    if (!link_dest.empty()) ctx.remove(target + "/fs", true);
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
      SnapshotSums sums = checksum_snapshot(ctx, target, link_dest, t);
      rec.files = sums.files;
      rec.bytes = sums.bytes;
      rec.new_bytes = sums.new_bytes;
      ctx.write_file(target + "/" + kChecksums, sums.text, sc::FileAttr::with_mode(0600));
      ctx.debug("checksums done at " + ms_since(t0) + " ms");
    }
    rec.snapshot = name;
    rec.ok = true;
    rec.finished = std::time(nullptr);
    ctx.write_file(target + "/" + kSnapshotMeta, rec.to_json().dump(2) + "\n", sc::FileAttr::with_mode(0600));
    ctx.rename(target, period_dir + "/" + name);
    rotate(ctx, period_dir, period, name);
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
      if (ctx.peer_sc(e.host, {"version", "show"}, true).status != SC_OK) throw sc::Failure("sc does not run there");
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

/// Hook `status [local]` (sc status): for each scheduled entry and period,
/// its last run, last success and age, the history of its snapshots, and
/// what is wrong (health.hpp). Reads only; never contacts another host, so
/// `local` changes nothing. No list: nothing to say.
void status(sc::Context& ctx) {
  ctx.expect_args(0, 1, "[local]");
  if (ctx.args().size() == 1 && ctx.arg(0) != "local")
    throw sc::Usage("argument \"" + ctx.arg(0) + "\" is not \"local\"; usage: sc backup status [local]");
  const std::time_t now = std::time(nullptr);
  std::optional<std::string> dir;
  if (auto d = ctx.setting("BACKUP_DIR", SC_SETTING_NO_DEFAULT); d && !d->empty() && is_dir(ctx, *d)) dir = *d;
  json entries = json::array(), problems = json::array();
  std::string text;
  for (const auto& i : scheduled(ctx)) {
    const std::string edir = dir ? backup::entry_dir(*dir, i.entry) : std::string();
    const backup::Status st = dir ? read_status(ctx, edir) : backup::Status{};
    backup::EntryHealth h{i.entry.text(), i.period, std::nullopt, std::nullopt};
    if (auto it = st.last_run.find(i.period); it != st.last_run.end()) h.last_run = it->second;
    if (auto it = st.last_success.find(i.period); it != st.last_success.end()) h.last_success = it->second;
    // The period's complete snapshots, oldest first (names are start times).
    std::vector<backup::RunRecord> history;
    const std::string pdir = edir + "/" + i.period;
    for (const auto& n : dir ? names_in(ctx, pdir) : std::vector<std::string>{}) {
      if (!backup::parse_snapshot_name(n)) continue;
      const std::string meta = pdir + "/" + n + "/" + kSnapshotMeta;
      auto t = ctx.read_file(meta);
      json j = t ? json::parse(*t, nullptr, false) : json();
      if (!j.is_object()) {
        ctx.warn(meta + (t ? " is not a backup record" : " cannot be read") + ": snapshot left out of the history");
        continue;
      }
      backup::RunRecord r = backup::RunRecord::from_json(j);
      if (r.snapshot.empty()) r.snapshot = n;
      history.push_back(r);
    }
    entries.push_back(backup::entry_facts(h, history, now));
    const auto found = backup::entry_problems(h, now);
    for (const auto& p : found) problems.push_back(plugin_common::status_hook::to_json(p));
    text += i.period + "\t" + h.entry + "\t" +
            (h.last_success ? "last success " + backup::human_time(h.last_success->finished) + " (" +
                                  backup::human_age(static_cast<std::int64_t>(now - h.last_success->finished)) + " ago)"
                            : std::string("no success yet")) +
            (found.empty() ? "\tok" : "\t" + std::to_string(found.size()) + " problem(s)") + "\n";
  }
  ctx.print(text);
  ctx.result(json{{"problems", problems}, {"facts", {{"entries", entries}}}}.dump(-1, ' ', false,
                                                                                  json::error_handler_t::replace));
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

/// Hook `sync HOST MODE`: a backup server takes its master's backup list,
/// and backs the master itself up (daily) unless that list already backs
/// it up whole: the list is the master's (each pull replaces it), and the
/// master is what a backup server is for, whether or not its admin listed
/// it. The setting is written once, only when that list differs.
void sync(sc::Context& ctx) {
  ctx.expect_args(2, 2, "HOST MODE");
  if (ctx.arg(1) != "backup") return;
  const std::string& master = ctx.arg(0);
  sc::CallResult r = ctx.peer_sc(master, {"settings", "get", "BACKUP_LIST"}, /*readonly=*/true);
  json doc = json::parse(r.json, nullptr, false);
  // Status 1: not set there, an empty list.
  if (r.status != SC_OK && r.status != SC_FAIL)
    throw sc::Failure("could not read BACKUP_LIST on " + master + ": " +
                      (doc.is_object() && doc["error"].is_string() ? doc["error"].get<std::string>() : "no answer"));
  const std::string theirs =
      r.status == SC_OK && doc.is_object() && doc["result"].is_string() ? doc["result"].get<std::string>() : "";
  std::vector<std::string> bad;
  auto items = backup::parse_list(theirs, &bad);
  for (const auto& b : bad) ctx.warn("BACKUP_LIST of " + master + ": ignoring malformed item \"" + b + "\"");
  std::string why;
  if (auto e = backup::parse_entry(master, &why)) {
    if (std::none_of(items.begin(), items.end(), [&](const backup::Scheduled& i) { return i.entry == *e; }))
      items.push_back({"daily", *e});
  } else {
    ctx.warn("the master " + master + " is not backed up: " + why);
  }
  const std::string list = backup::format_list(items);
  if (list != ctx.setting("BACKUP_LIST").value_or("")) ctx.set_setting("BACKUP_LIST", list);
}

// ---- restore and verify -------------------------------------------------------

/// True when `dir` is a backup made by the original tool (BACKUP_DIR/HOST:
/// its settings file `sc`, fs/, db/USER:DATABASE.xz), none of the records
/// a snapshot of ours holds.
bool original_layout(sc::Context& ctx, const std::string& dir) {
  return !ctx.stat(dir + "/" + kFileLists).exists() && !ctx.stat(dir + "/" + kSnapshotMeta).exists() &&
         (is_dir(ctx, dir + "/fs") || ctx.stat(dir + "/" + kSettingsFile).is_file());
}

/// Picks the snapshot directory (target path) SOURCE designates: a snapshot,
/// an entry directory, a host directory, or a backup made by the original
/// tool (fs/, db/ and an sc file).
std::string pick_snapshot(sc::Context& ctx, const std::string& source, const std::string& at) {
  if (!is_dir(ctx, source)) throw sc::Usage("backup source " + source + " is not a directory");
  auto looks_like_snapshot = [&](const std::string& s) {
    return is_dir(ctx, s + "/fs") || ctx.stat(s + "/" + kSettingsFile).is_file();
  };
  if (at.empty() && looks_like_snapshot(source)) return source;
  std::string entry_dir = source;
  if (is_dir(ctx, source + "/host")) entry_dir = source + "/host";
  auto snaps = snapshots_of(ctx, entry_dir);
  if (snaps.empty()) {
    if (looks_like_snapshot(source) && !at.empty() && original_layout(ctx, source))
      throw sc::Usage(source +
                      " is a backup of the original tool, which keeps a single copy: --at does not apply; "
                      "restore it without --at");
    if (looks_like_snapshot(source)) return source;
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

/// SOURCE and the options of `restore_from` and `snapshot`, checked.
struct RestoreArgs {
  std::string source;           ///< as given
  std::optional<Entry> remote;  ///< HOST:/DIR: a backup on another host
  std::string at, only_path;
};

RestoreArgs restore_args(sc::Context& ctx, bool path_allowed) {
  const std::string usage = path_allowed ? "usage: sc backup restore_from SOURCE [--at TIME|SNAPSHOT] [--path PATH]"
                                         : "usage: sc backup snapshot SOURCE [--at TIME|SNAPSHOT]";
  RestoreArgs r;
  bool given_at = false, given_path = false;
  const auto& a = ctx.args();
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == "--at" && i + 1 < a.size()) {
      r.at = a[++i];
      given_at = true;
    } else if (a[i] == "--path" && i + 1 < a.size() && path_allowed) {
      r.only_path = a[++i];
      given_path = true;
    } else if (r.source.empty() && !a[i].empty() && a[i][0] != '-') {
      r.source = a[i];
    } else {
      throw sc::Usage(usage + " (SOURCE: an absolute path, or HOST:/DIR on a backup server)");
    }
  }
  if (r.source.empty()) throw sc::Usage("missing SOURCE; " + usage);
  if (r.source[0] != '/') {
    // HOST:/DIR: the rules of a backup entry (a peer name, an absolute
    // path without '.', '..', spaces or control characters).
    std::string why;
    auto e = backup::parse_entry(r.source, &why);
    if (!e || e->path.empty())
      throw sc::Usage("SOURCE \"" + r.source + "\" is neither an absolute path nor HOST:/DIR" +
                      (e ? std::string() : " (" + why + ")"));
    r.remote = e;
  }
  // Every option is checked before SOURCE is looked at: an empty --path
  // would otherwise mean "everything".
  if (given_at) at_arg(r.at);
  if (given_path) {
    auto e =
        !r.only_path.empty() && r.only_path[0] == '/' ? backup::parse_entry("x:" + r.only_path, nullptr) : std::nullopt;
    if (!e)
      throw sc::Usage("--path \"" + r.only_path +
                      "\" is not an absolute path without '.', '..', spaces or "
                      "control characters");
    r.only_path = e->path;
  }
  return r;
}

/// The snapshot directory a remote SOURCE designates on its host, as the
/// backup module there picks it (`sc backup snapshot DIR` on it, read-only).
std::string remote_snapshot(sc::Context& ctx, const Entry& source, const std::string& at) {
  std::string why;
  if (!ctx.peer_linked(source.host, &why))
    throw sc::Usage("cannot reach the backup host " + source.host + " (" + why +
                    "): link it first with `sc sshlink add " + source.host + "`; nothing was changed");
  std::vector<std::string> args = {"backup", "snapshot", source.path};
  if (!at.empty()) args.insert(args.end(), {"--at", at});
  sc::CallResult r = ctx.peer_sc(source.host, args, /*readonly=*/true);
  json doc = json::parse(r.json, nullptr, false);
  const std::string error = doc.is_object() && doc["error"].is_string() ? doc["error"].get<std::string>() : "";
  if (r.status == 3) throw sc::Usage("the backup module is not installed on " + source.host + ": " + error);
  if (r.status != SC_OK || !doc.is_object() || !doc["result"].is_object() || !doc["result"]["snapshot"].is_string())
    throw sc::Usage("on " + source.host + ": " + (error.empty() ? "no snapshot named" : error));
  return doc["result"]["snapshot"].get<std::string>();
}

/// Where a remote snapshot is copied before it is restored: private (it
/// holds secrets), one per backup host, removed once restored; a restore
/// that failed half-way resumes the copy.
std::string staging_dir(sc::Context& ctx, const Entry& source) {
  std::string dir;
  for (const char* level : {"/var", "/lib", "/sc", "/restore"}) {
    dir += level;
    if (!ctx.stat(dir).exists()) ctx.make_dir(dir, sc::FileAttr::with_mode(level[1] == 'r' ? 0700 : 0755));
  }
  dir += "/" + backup::encode_name(source.host);
  if (!ctx.stat(dir).exists()) ctx.make_dir(dir, sc::FileAttr::with_mode(0700));
  return dir;
}

void restore_snapshot(sc::Context& ctx, const std::string& snap, const std::string& only_path);

/// True when MODULE declares the `restore` hook (its manifest, through `help`).
bool has_restore_hook(sc::Context& ctx, const std::string& module) {
  json h = json::parse(ctx.call("help", module).json, nullptr, false);
  if (!h.is_object() || !h.value("result", json()).is_object()) return false;
  const json hooks = h["result"].value("hooks", json::array());
  return hooks.is_array() && std::find(hooks.begin(), hooks.end(), "restore") != hooks.end();
}

/// What each module here would back up (its `files` hook on this host).
std::map<std::string, std::vector<std::string>> files_here(sc::Context& ctx) {
  std::map<std::string, std::vector<std::string>> out;
  auto [rc, captured] = ctx.broadcast("files", {}, /*ready_only=*/false, /*capture=*/true);
  (void)rc;  // each module's own status is in its item
  json items = json::parse(captured, nullptr, false);
  if (!items.is_array()) return out;
  for (const auto& item : items) {
    if (!item.is_object() || !item.value("module", json()).is_string()) continue;
    const std::string module = item["module"].get<std::string>();
    if (item.value("status", SC_FAIL) != SC_OK) {
      ctx.warn("module " + module + " could not list its files here: " + item.value("error", json("")).dump());
      continue;
    }
    try {
      out[module] = string_list(item.value("result", json()), "the files hook of " + module);
    } catch (const sc::Failure& ex) {
      ctx.warn(ex.what());
    }
  }
  return out;
}

/// The account files: only the user module merges them (never copied over
/// this host's own).
const char* const kAccountFiles[] = {"/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow"};

/// The files of a backup of the original tool, which has no list of whose
/// files are whose: each module here with a `restore` hook whose files (as
/// its `files` hook lists them on this host) are in the backup restores
/// its own (user merges the accounts); then `copy_rest` copies back the
/// rest of fs/, less what those modules list (asked again after their
/// restore: the user module then lists the restored homes) and the account
/// files.
void restore_original_files(sc::Context& ctx, const std::string& snap, const std::string& restored,
                            const std::function<void(const std::set<std::string>&)>& copy_rest) {
  std::set<std::string> excluded(std::begin(kAccountFiles), std::end(kAccountFiles));
  std::set<std::string> hooked;
  bool accounts_merged = false;
  for (const auto& [module, paths] : files_here(ctx)) {
    if (!has_restore_hook(ctx, module)) continue;
    hooked.insert(module);
    const bool in_backup = std::any_of(paths.begin(), paths.end(),
                                       [&](const std::string& p) { return ctx.stat(snap + "/fs" + p).exists(); });
    if (!in_backup) continue;
    if (ctx.call_shown(module, "restore", {snap}) != SC_OK)
      throw sc::Failure("module " + module + " could not restore its files");
    ctx.print("module " + module + restored);
    accounts_merged |= module == "user";
  }
  for (const auto& [module, paths] : files_here(ctx))
    if (hooked.count(module))
      for (const auto& p : paths)
        if (p.size() > 1 && p[0] == '/') excluded.insert(p);
  if (!accounts_merged && ctx.stat(snap + "/fs/etc/passwd").exists())
    ctx.warn(
        "the accounts of the backup (fs/etc/passwd, shadow, group, gshadow) were not restored: only the user "
        "module merges them; install it, then restore again");
  copy_rest(excluded);
}

void restore_from(sc::Context& ctx) {
  const RestoreArgs a = restore_args(ctx, /*path_allowed=*/true);
  if (!a.remote) return restore_snapshot(ctx, pick_snapshot(ctx, a.source, a.at), a.only_path);
  // A backup on another host (a backup server): its snapshot copied here
  // with rsync over the run's SSH connection, then restored as a local one.
  const std::string remote = remote_snapshot(ctx, *a.remote, a.at);
  const std::string staging = staging_dir(ctx, *a.remote);
  ctx.print((ctx.dry_run() ? "would copy " : "copying ") + a.remote->host + ":" + remote + " to " + staging + "\n");
  sc::FetchOptions o;
  o.peer = a.remote->host;
  o.source_dir = remote;
  o.paths = {"."};
  o.target_dir = staging;
  o.exact = true;
  o.delete_extraneous = true;
  const sc::FetchResult f = ctx.fetch(o);
  if (!f.ok())
    throw sc::Failure("copying " + a.remote->host + ":" + remote + " failed: " + f.error +
                      "; nothing was restored; run the restore again (the copy resumes)");
  if (ctx.dry_run()) {
    ctx.print("then its settings, every module's files and its databases" +
              (a.only_path.empty() ? std::string() : " (" + a.only_path + " only)") + " would be restored\n");
    return;
  }
  restore_snapshot(ctx, staging, a.only_path);
  ctx.remove(staging, true);
}

/// Restores the snapshot directory `snap` of this host (or `only_path` of it).
void restore_snapshot(sc::Context& ctx, const std::string& snap, const std::string& only_path) {
  const std::string real = ctx.resolve_path(snap);
  ctx.print("restoring from " + snap + "\n");

  // A snapshot of one path (HOST:/PATH) holds the levels above that path
  // only to place it: a restore leaves those directories as they are on
  // this host (made with default attributes when missing). A whole-host
  // snapshot restores them too: a module's files may need their parents'
  // owners and modes.
  std::string entry_path;
  if (auto rec = snapshot_record(ctx, snap))
    if (auto e = backup::parse_entry(rec->entry, nullptr)) entry_path = e->path;
  const std::string restored = ctx.dry_run() ? " would be restored\n" : " restored\n";
  auto rsync_back = [&](const std::vector<std::string>& paths, const std::string& what,
                        const std::set<std::string>& excluded = {}) {
    std::string list;
    for (const auto& p : paths) {
      const size_t first = p.find_first_not_of('/');
      list += (first == std::string::npos ? std::string(".") : p.substr(first)) + '\0';  // "/": all of fs/
    }
    if (list.empty()) return;
    sc::RunOptions o;
    o.input = list;
    o.capture_err = true;
    std::vector<std::string> argv = {"rsync",        "--archive", "--recursive",   "--numeric-ids",
                                     "--hard-links", "--from0",   "--files-from=-"};
    if (!entry_path.empty()) argv.push_back("--no-implied-dirs");
    for (const auto& x : excluded) argv.push_back("--exclude=" + backup::exact_exclude(x));
    argv.insert(argv.end(), {real + "/fs/", ctx.resolve_path("/")});
    sc::RunResult r = ctx.run(argv, o);
    if (!r.ok()) throw sc::Failure("restoring " + what + " failed: " + ctx.last_error());
  };

  if (!only_path.empty()) {
    if (!ctx.stat(snap + "/fs" + only_path).exists()) throw sc::Usage(only_path + " is not in the snapshot " + snap);
    rsync_back({only_path}, only_path);
    return;
  }
  if (!entry_path.empty()) {
    rsync_back({entry_path}, entry_path);
    ctx.print(entry_path + restored);
    return;
  }

  // A backup of the original tool: its dumps' names are checked before
  // anything changes.
  const bool original = original_layout(ctx, snap);
  std::vector<std::string> original_dumps;
  if (original) {
    for (const auto& f : names_in(ctx, snap + "/db")) {
      std::string why;
      if (f.size() < 3 || f.compare(f.size() - 3, 3, ".xz") != 0) {
        ctx.warn(snap + "/db/" + f + " is not a database dump of the original tool (USER:DATABASE.xz): left out");
        continue;
      }
      if (!backup::original_db_file(f, &why))
        throw sc::Usage(snap + "/db/" + f + " cannot be restored: " + why +
                        "; rename or remove it, then restore again; nothing was changed");
      original_dumps.push_back(f);
    }
  }

  // 1. Settings first: modules restored next read them.
  if (ctx.stat(snap + "/" + kSettingsFile).is_file()) {
    sc::CallResult r = ctx.call("settings", "import", {snap + "/" + kSettingsFile});
    if (r.status != SC_OK) throw sc::Failure("restoring the settings failed: " + r.json);
    ctx.print("settings" + restored);
  }
  // 2. Files, module by module: a module with a `restore` hook restores its
  // own (user merges accounts instead of overwriting them); the others'
  // files are copied back.
  auto lists_text = original ? std::nullopt : ctx.read_file(snap + "/" + kFileLists);
  if (lists_text) {
    json lists = json::parse(*lists_text, nullptr, false);
    if (!lists.is_object()) throw sc::Failure(snap + "/" + kFileLists + " is damaged");
    std::vector<std::string> plain;
    for (auto it = lists.begin(); it != lists.end(); ++it) {
      auto paths = string_list(it.value(), "the file list of " + it.key());
      if (has_restore_hook(ctx, it.key())) {
        if (ctx.call_shown(it.key(), "restore", {snap}) != SC_OK)
          throw sc::Failure("module " + it.key() + " could not restore its files");
        ctx.print("module " + it.key() + restored);
      } else {
        plain.insert(plain.end(), paths.begin(), paths.end());
      }
    }
    rsync_back(plain, "the modules' files");
  } else if (original && is_dir(ctx, snap + "/fs")) {
    restore_original_files(ctx, snap, restored, [&](const std::set<std::string>& excluded) {
      rsync_back(names_in(ctx, snap + "/fs"), "the files", excluded);
    });
  }
  // 3. Databases: an original backup's dumps are the original's own
  // streams, which only `db restore --original` takes.
  for (const auto& f : original_dumps) {
    const std::string name = f.substr(0, f.size() - 3);
    if (ctx.call_shown("db", "restore", {snap + "/db/" + f, "--original"}) != SC_OK)
      throw sc::Failure("restoring database " + name + " failed (see above)");
    ctx.print("database " + name + restored);
  }
  for (const auto& f : original ? std::vector<std::string>{} : names_in(ctx, snap + "/db")) {
    if (f.size() < 7 || f.compare(f.size() - 7, 7, ".sql.xz") != 0) continue;
    if (ctx.call_shown("db", "restore", {snap + "/db/" + f}) != SC_OK)
      throw sc::Failure("restoring database " + f.substr(0, f.size() - 7) + " failed (see above)");
    ctx.print("database " + f.substr(0, f.size() - 7) + restored);
  }
}

/// `snapshot SOURCE [--at]`: the snapshot restore_from SOURCE restores,
/// changing nothing (a remote SOURCE's host is asked).
void snapshot(sc::Context& ctx) {
  const RestoreArgs a = restore_args(ctx, /*path_allowed=*/false);
  const std::string snap = a.remote ? remote_snapshot(ctx, *a.remote, a.at) : pick_snapshot(ctx, a.source, a.at);
  ctx.print((a.remote ? a.remote->host + ":" : std::string()) + snap + "\n");
  ctx.result(json{{"host", a.remote ? json(a.remote->host) : json(nullptr)}, {"snapshot", snap}}.dump());
}

int verify(sc::Context& ctx) {
  std::optional<Entry> only;
  std::string at;
  const auto& a = ctx.args();
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == "--at" && i + 1 < a.size())
      at = at_arg(a[++i]);
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
      if (tty)
        ctx.log(SC_LOG_INFO,
                "verify " + e.text() + ": " + backup::human_size(done) + " / " + backup::human_size(total));
    };
    sc::ReadFd root = ctx.open_read(snap);
    auto damage = backup::verify_tree(root.get(), sums, progress);
    json bad = json::array();
    for (const auto& d : damage) {
      bad.push_back({{"path", d.path}, {"problem", d.problem}});
      ctx.print(e.text() + " " + pick.first + "/" + pick.second + ": " + d.path + ": " + d.problem + "\n");
    }
    damaged += static_cast<int>(damage.size());
    ctx.print(e.text() + " " + pick.first + "/" + pick.second + ": " + std::to_string(sums.size()) + " files, " +
              (damage.empty() ? "all intact" : std::to_string(damage.size()) + " damaged") + "\n");
    report.push_back(
        {{"entry", e.text()}, {"snapshot", pick.first + "/" + pick.second}, {"files", sums.size()}, {"damaged", bad}});
  }
  ctx.result(report.dump());
  return damaged ? SC_FAIL : SC_OK;
}

}  // namespace

SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION, sc::command<&setup>("setup"), sc::command<&cleanup>("cleanup"),
          sc::command<&add>("add"), sc::command<&del>("del"), sc::command<&has>("has"), sc::command<&list>("list"),
          sc::command<&start>("start"), sc::command<&restore_from>("restore_from"), sc::command<&snapshot>("snapshot"),
          sc::command<&verify>("verify"), sc::command<&enabled>("enabled"), sc::command<&ready>("ready"),
          sc::command<&cron>("cron"), sc::command<&sync>("sync"), sc::command<&status>("status"))
